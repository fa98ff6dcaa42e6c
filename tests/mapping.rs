//! Files storeshift does not know, end to end: `inspect` proposes a column mapping and writes
//! it, `convert --mapping` reads through it; in a run such a file waits for an operator, who
//! gives an edited mapping with `storeshift decide`, and the resumed run reads the file as
//! decided; unattended, a confident proposal is taken and a file that is no export is left out.

mod common;

use common::{storeshift, text, Scenario};
use std::path::Path;

/// A spreadsheet made by hand: Turkish names, ';' separated, rows grouped by product name.
const SHEET: &str = "Ürün Adı;Stok Kodu;Satış Fiyatı;Stok;Renk;Beden;Tedarikçi\n\
Kazak;KZ-S;199,90;3;Kırmızı;S;Acme\n\
Kazak;KZ-M;199,90;0;Kırmızı;M;Acme\n\
Kazak;KZ-MB;189,90;2;Mavi;M;Acme\n\
Gömlek;GM-1;299,90;5;Mavi;L;Beta\n\
Şapka;SP-1;49,90;12;Siyah;Std;Beta\n";

/// Customers from an order-export plugin: every column named, nothing to doubt.
const CUSTOMERS: &str = "Email,First Name,Last Name,Phone,City,Country\n\
ana@example.com,Ana,Berg,+90 532 111 22 33,Ankara,TR\n\
can@example.com,Can,Dorn,+90 532 444 55 66,İzmir,TR\n";

fn scenario_with(files: &[(&str, &str)], run: &str) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    std::fs::create_dir_all(&src).unwrap();
    for (name, body) in files {
        std::fs::write(src.join(name), body).unwrap();
    }
    let s = Scenario { dir };
    s.write_config(run);
    s
}

fn products_in(csv: &Path) -> usize {
    common::product_handles(csv).len()
}

#[test]
fn inspect_proposes_and_writes_a_mapping_that_convert_reads() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("liste.csv");
    std::fs::write(&sheet, SHEET).unwrap();
    let m = dir.path().join("liste.toml");
    let o = storeshift(&[
        "inspect",
        sheet.to_str().unwrap(),
        "--write-mapping",
        m.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for needle in [
        "proposed column mapping",
        "Ürün Adı",
        "product.title",
        "variant.sku",
        "option",
        "read through this mapping: 3 products record(s)",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
    let toml = std::fs::read_to_string(&m).unwrap();
    assert!(toml.contains("\"Stok Kodu\" = \"variant.sku\""), "{toml}");

    // Without the mapping convert says what to do; with it, it converts.
    let out_dir = dir.path().join("out");
    let o = storeshift(&[
        "convert",
        "--from",
        "woocommerce",
        sheet.to_str().unwrap(),
        "--to",
        "shopify",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--write-mapping"), "{}", text(&o));
    let o = storeshift(&[
        "convert",
        "--from",
        "woocommerce",
        sheet.to_str().unwrap(),
        "--to",
        "shopify",
        out_dir.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("products: 3 read, 3 written"),
        "{}",
        text(&o)
    );
    assert_eq!(products_in(&out_dir.join("products.csv")), 3);

    // inspect --mapping reads the file through the (edited) mapping.
    std::fs::write(
        &m,
        toml.replace(
            "\"Tedarikçi\" = \"attribute\"",
            "\"Tedarikçi\" = \"product.vendor\"",
        ),
    )
    .unwrap();
    let o = storeshift(&[
        "inspect",
        sheet.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
    ]);
    assert!(
        text(&o).contains("read through the mapping") && text(&o).contains("3 record(s)"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unknown_file_waits_for_an_operator_and_the_resumed_run_reads_it_as_decided() {
    let s = scenario_with(&[("liste.csv", SHEET)], "");
    let o = storeshift(&["run", &s.cfg(), "--headless", "--interventions", "ask"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "waits for an operator: {}",
        text(&o)
    );
    let status = s.status_json();
    let iv = status["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["step"] == "assessment/file_mapping")
        .unwrap_or_else(|| panic!("no file-mapping intervention: {status}"))
        .clone();
    let id = iv["id"].as_str().unwrap().to_string();
    let cols = iv["detail"]["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 7, "{iv}");
    assert!(cols
        .iter()
        .any(|c| c["column"] == "Stok Kodu" && c["target"] == "variant.sku"));
    assert!(cols
        .iter()
        .all(|c| c["samples"].as_array().is_some_and(|v| !v.is_empty())));

    // `edited` needs the mapping; the operator writes one (supplier as vendor) and gives it.
    let o = storeshift(&["decide", &s.ws_str(), &id, "edited"]);
    assert!(
        !o.status.success() && text(&o).contains("--mapping"),
        "{}",
        text(&o)
    );
    let m = s.path().join("fix.toml");
    let o = storeshift(&[
        "inspect",
        s.path().join("source/liste.csv").to_str().unwrap(),
        "--write-mapping",
        m.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let toml = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        toml.replace(
            "\"Tedarikçi\" = \"attribute\"",
            "\"Tedarikçi\" = \"product.vendor\"",
        ),
    )
    .unwrap();
    let o = storeshift(&[
        "decide",
        &s.ws_str(),
        &id,
        "edited",
        "--mapping",
        m.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    // The rest decided as recommended; the file is read with the edited mapping.
    let o = storeshift(&[
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ]);
    assert!(o.status.success(), "{}\n{}", text(&o), s.logs());
    let products = s.output(1).join("products.csv");
    assert_eq!(products_in(&products), 3);
    let body = std::fs::read_to_string(&products).unwrap();
    assert!(body.contains("Acme") && body.contains("KZ-MB"), "{body}");
    let decided: Vec<_> = s
        .events_of("intervention_decided")
        .into_iter()
        .filter(|e| e["id"] == id.as_str())
        .collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["option"], "edited");
    assert!(decided[0]["value"]["columns"]
        .to_string()
        .contains("product.vendor"));
    let report = std::fs::read_to_string(s.ws().join("report").join("report.md")).unwrap();
    assert!(
        report.contains("Column mappings") && report.contains("edited mapping"),
        "{report}"
    );
}

#[test]
fn unattended_a_confident_proposal_is_taken_and_a_file_that_is_no_export_is_left_out() {
    let s = scenario_with(
        &[
            ("kunden.csv", CUSTOMERS),
            ("notes.csv", "just,some\nnotes,here\n"),
        ],
        "",
    );
    let o = storeshift(&[
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ]);
    assert!(o.status.success(), "{}\n{}", text(&o), s.logs());
    let customers = std::fs::read_to_string(s.output(1).join("customers.csv")).unwrap();
    assert!(
        customers.contains("ana@example.com") && customers.contains("İzmir"),
        "{customers}"
    );
    let report = std::fs::read_to_string(s.ws().join("report").join("report.md")).unwrap();
    assert!(report.contains("kunden.csv: customers"), "{report}");
    assert!(
        report.contains("notes.csv") && report.contains("left out"),
        "{report}"
    );
}

#[test]
fn unattended_an_unsure_proposal_stops_for_an_operator() {
    let s = scenario_with(&[("liste.csv", SHEET)], "");
    // The sheet's option and supplier columns are proposed at 0.5–0.6: under the threshold.
    s.write_config("mapping_min_confidence = 0.8\n");
    let o = storeshift(&[
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let events = std::fs::read_to_string(s.ws().join("events.jsonl")).unwrap();
    assert!(events.contains("confidence under 0.80"), "{events}");
}
