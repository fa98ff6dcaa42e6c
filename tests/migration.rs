//! End to end through the binary: the demo migration, what it writes, what the report says,
//! and re-runs that move only what changed.

mod common;
use common::*;

#[test]
fn demo_store_migrates_to_shopify_files_with_every_planted_problem_decided() {
    let s = Scenario::demo();
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "run failed: {}", text(&o));

    let out = s.output(1);
    for f in [
        "products.csv",
        "customers.csv",
        "orders.csv",
        "redirects.csv",
    ] {
        assert!(out.join(f).is_file(), "{f} missing in {}", out.display());
    }
    let handles = product_handles(&out.join("products.csv"));
    let unique: std::collections::HashSet<_> = handles.iter().collect();
    assert_eq!(
        unique.len(),
        handles.len(),
        "a product handle appears twice"
    );
    assert!(
        handles.len() >= 300,
        "only {} products written",
        handles.len()
    );
    assert!(
        handles.iter().all(|h| h.is_ascii() && h.len() <= 255),
        "handles must be ASCII and ≤ 255 chars"
    );

    let report = s.report_json();
    let codes: Vec<String> = report["analysis"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap().to_string())
        .collect();
    for planted in [
        "duplicate_sku",
        "missing_price",
        "too_many_options",
        "handle_too_long",
        "non_ascii_handle",
    ] {
        assert!(
            codes.contains(&planted.to_string()),
            "analysis missed {planted}: {codes:?}"
        );
    }
    // Headless: each intervention took its recommended option, and the report says who and why.
    let ivs = report["interventions"].as_array().unwrap();
    assert!(
        ivs.len() >= 7,
        "expected the planted problems, the plan and the notices as interventions"
    );
    for iv in ivs {
        let d = &iv["decision"];
        assert_eq!(d["option"], iv["recommended"], "{iv}");
        assert_eq!(d["by"]["via"], "headless-auto");
        assert!(d["note"].as_str().unwrap().contains("recommended"));
    }
    // Verification read the files back: counts match and the sample shows no differences.
    let v = &report["verification"];
    assert!(
        v["differences"].as_array().unwrap().is_empty(),
        "differences: {}",
        v["differences"]
    );
    assert!(v["missing"].as_array().unwrap().is_empty());
    for c in v["counts"].as_array().unwrap() {
        assert_eq!(c["ok"], true, "count mismatch: {c}");
    }
    for entity in ["products", "customers", "orders"] {
        assert!(
            v["compared"][entity].as_u64().unwrap_or(0) >= 40,
            "too few {entity} compared: {}",
            v["compared"]
        );
    }
    let r = &report["redirects"];
    assert!(
        r["unaccounted"].as_array().unwrap().is_empty()
            && r["chains"].as_array().unwrap().is_empty()
    );
    assert!(s.ws().join("report").join("report.html").is_file());

    // The old slug of the Turkish product redirects to its transliterated handle.
    let redirects = std::fs::read_to_string(out.join("redirects.csv")).unwrap();
    assert!(
        redirects
            .lines()
            .any(|l| l.contains("/products/kadin-orgu-kazak")),
        "{redirects}"
    );

    // Status and events work offline on the finished workspace.
    let st = s.status_json();
    assert_eq!(st["state"], "done");
    let ev = storeshift(&["events", &s.ws_str(), "--json"]);
    assert!(ev.status.success());
    let seqs: Vec<u64> = String::from_utf8_lossy(&ev.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "event sequence has gaps"
    );
    // Products were read back during Execution, and that reading is what the counts above
    // checked.
    assert!(
        String::from_utf8_lossy(&ev.stdout)
            .contains("products were read back while the executor loaded the rest"),
        "no early read-back of products in the events"
    );
}

#[test]
fn rerun_moves_exactly_the_five_changed_records() {
    let s = Scenario::generated(600, "batch_size = 50");
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let before = s.report_json()["counts"].clone();

    // Change the name of five products (parent rows) in the export.
    let path = s.path().join("source").join("products.csv");
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers = r.headers().unwrap().clone();
    let ty = headers.iter().position(|h| h == "Type").unwrap();
    let name = headers.iter().position(|h| h == "Name").unwrap();
    let id = headers.iter().position(|h| h == "ID").unwrap();
    let mut w = csv::Writer::from_path(path.with_extension("new")).unwrap();
    w.write_record(&headers).unwrap();
    let mut changed = vec![];
    for (i, rec) in r.records().enumerate() {
        let mut rec: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if changed.len() < 5 && i % 7 == 3 && rec[ty] != "variation" {
            rec[name] = format!("{} (2026 edition)", rec[name]);
            changed.push(rec[id].clone());
        }
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    std::fs::rename(path.with_extension("new"), &path).unwrap();
    assert_eq!(changed.len(), 5);

    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = s.report_json();
    assert_eq!(report["run"]["run"], 2);
    assert_eq!(report["run"]["incremental"], true);
    let products = report["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "products")
        .unwrap()[1]
        .clone();
    assert_eq!(products["updated"], 5, "{products}");
    assert_eq!(products["created"], 0);
    let total_before = before
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "products")
        .unwrap()[1]["created"]
        .as_u64()
        .unwrap();
    assert_eq!(products["unchanged"].as_u64().unwrap(), total_before - 5);
    // The delta import file holds exactly the five changed products.
    let handles = product_handles(&s.output(2).join("products.csv"));
    assert_eq!(handles.len(), 5, "{handles:?}");
}

#[test]
fn bad_config_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("migration.toml");
    std::fs::write(
        &cfg,
        "name = \"x\"\n[source]\nplatform = \"woocommerce\"\nkind = \"filez\"\n",
    )
    .unwrap();
    let o = storeshift(&["run", cfg.to_str().unwrap(), "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("migration.toml:4:"), "{t}");
}

#[test]
fn config_command_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("migration.toml");
    std::fs::write(
        &cfg,
        "[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"s\"\n[target]\nplatform = \"shopify\"\nkind = \"api\"\nurl = \"https://x.example\"\ncredentials = { token = \"STORESHIFT_E2E_TOKEN\" }\n",
    )
    .unwrap();
    let o = std::process::Command::new(bin())
        .args(["config", cfg.to_str().unwrap()])
        .env("STORESHIFT_E2E_TOKEN", "shpat_do_not_print_me")
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("shpat_do_not_print_me"), "{t}");
    assert!(
        t.contains("STORESHIFT_E2E_TOKEN (set, value hidden)"),
        "{t}"
    );
}

#[test]
fn headless_jsonl_events_and_prometheus_metrics_while_running() {
    use std::io::{Read, Write};
    let s = Scenario::generated(2000, "batch_size = 10\nthrottle_ms = 10");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(bin())
        .args([
            "run",
            &s.cfg(),
            "--headless",
            "--events",
            "jsonl",
            "--metrics",
            &addr,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let scrape = || -> String {
        let Ok(mut c) = std::net::TcpStream::connect(&addr) else {
            return String::new();
        };
        let _ = c.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
        let mut body = String::new();
        let _ = c.read_to_string(&mut body);
        body
    };
    let mut seen = String::new();
    wait_until(60, "metrics with product counts", || {
        seen = scrape();
        seen.contains("storeshift_records_total{entity=\"products\",outcome=\"created\"}")
    });
    assert!(
        seen.contains("storeshift_batch_latency_seconds_bucket"),
        "{seen}"
    );
    assert!(seen.contains("storeshift_interventions_pending"), "{seen}");
    assert!(
        seen.contains("storeshift_run_state{run=\"1\",state=\"running\"} 1"),
        "{seen}"
    );
    // The control socket is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s.ws().join("control.sock"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(events
        .windows(2)
        .all(|w| w[1]["seq"].as_u64() > w[0]["seq"].as_u64()));
    assert_eq!(events.last().unwrap()["type"], "run_finished");
    assert_eq!(events.last().unwrap()["state"], "done");
}

#[test]
fn real_woocommerce_sample_has_every_url_redirected_in_every_format() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/real/woocommerce/sample_products.csv");
    assert!(
        sample.is_file(),
        "the real sample is missing: {}",
        sample.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("migration.toml");
    std::fs::write(
        &cfg,
        format!(
            "workspace = \"ws\"\n[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"{}\"\n[target]\nplatform = \"shopify\"\nkind = \"files\"\n",
            sample.display()
        ),
    )
    .unwrap();
    let o = storeshift(&["run", cfg.to_str().unwrap(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ws = dir.path().join("ws");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("report/report.json")).unwrap())
            .unwrap();
    let r = &report["redirects"];
    // 18 products and 6 category paths in the sample (25 rows repeated 16 times, 7 variations).
    assert_eq!(r["source_urls"], 24, "{r}");
    assert!(r["unaccounted"].as_array().unwrap().is_empty(), "{r}");
    assert!(
        r["dangling"].as_array().unwrap().is_empty() && r["chains"].as_array().unwrap().is_empty()
    );
    let out = ws.join("output/run-1");
    // Shopify's own redirect import: parse it back.
    let mut rd = csv::Reader::from_path(out.join("redirects.csv")).unwrap();
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Redirect from", "Redirect to"]
    );
    let shopify: Vec<(String, String)> = rd
        .records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x[1].to_string()))
        .collect();
    assert_eq!(shopify.len(), 24);
    assert!(shopify
        .iter()
        .all(|(from, to)| from.starts_with('/') && to.starts_with('/') && from != to));
    // nginx map: `"from" "to";` lines inside `map ... { }`.
    let nginx = std::fs::read_to_string(out.join("redirects/nginx.map.conf")).unwrap();
    let mut from_nginx: Vec<(String, String)> = nginx
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_suffix(';')?;
            let mut parts = l.split("\" \"");
            let a = parts.next()?.strip_prefix('"')?.to_string();
            let b = parts.next()?.strip_suffix('"')?.to_string();
            Some((a, b))
        })
        .collect();
    assert!(
        nginx.trim_end().ends_with('}')
            && nginx.contains("map $request_uri $storeshift_redirect {")
    );
    // Apache: `Redirect 301 from to`.
    let mut from_apache: Vec<(String, String)> =
        std::fs::read_to_string(out.join("redirects/apache.conf"))
            .unwrap()
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("Redirect 301 ")?;
                let (a, b) = rest.split_once(' ')?;
                Some((a.to_string(), b.to_string()))
            })
            .collect();
    let mut plain: Vec<(String, String)> =
        csv::Reader::from_path(out.join("redirects/redirects.csv"))
            .unwrap()
            .records()
            .map(|x| x.unwrap())
            .map(|x| {
                assert_eq!(&x[2], "301");
                (x[0].to_string(), x[1].to_string())
            })
            .collect();
    let mut expected = shopify.clone();
    expected.sort();
    from_nginx.sort();
    from_apache.sort();
    plain.sort();
    assert_eq!(from_nginx, expected);
    assert_eq!(from_apache, expected);
    assert_eq!(plain, expected);
}

/// A workspace migrating the (anonymized) real Shopify customers export, four of whose 18
/// customers have no email, into WooCommerce import files.
fn phone_only_store(dir: &std::path::Path) -> std::path::PathBuf {
    let src = dir.join("source");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/real/shopify/customers_export_anonymized.csv"),
        src.join("customers_export.csv"),
    )
    .unwrap();
    let cfg = dir.join("migration.toml");
    std::fs::write(
        &cfg,
        "workspace = \"ws\"\n[source]\nplatform = \"shopify\"\nkind = \"files\"\npath = \"source\"\n[target]\nplatform = \"woocommerce\"\nkind = \"files\"\n",
    )
    .unwrap();
    cfg
}

fn no_email_intervention(ws: &std::path::Path) -> serde_json::Value {
    let o = storeshift(&["status", ws.to_str().unwrap(), "--json"]);
    let status: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    status["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["step"] == "assessment/customer_without_email")
        .cloned()
        .unwrap_or_else(|| panic!("no intervention for customers without an email: {status}"))
}

#[test]
fn customers_without_an_email_get_the_address_the_operator_chose_the_same_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = phone_only_store(dir.path());
    let cfg = cfg.to_str().unwrap();
    let ws = dir.path().join("ws");
    let o = storeshift(&["run", cfg, "--headless", "--interventions", "ask"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let iv = no_email_intervention(&ws);
    let keys: Vec<&str> = iv["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["owner_file", "skip", "domain"]);
    assert_eq!(iv["recommended"], "owner_file");
    let id = iv["id"].as_str().unwrap();
    let ws_s = ws.to_str().unwrap();
    // The domain option needs a domain, and a real one.
    let o = storeshift(&["decide", ws_s, id, "domain"]);
    assert!(
        !o.status.success() && text(&o).contains("domain:shop.example"),
        "{}",
        text(&o)
    );
    let o = storeshift(&["decide", ws_s, id, "domain", "--note", "not a domain"]);
    assert!(
        !o.status.success() && text(&o).contains("not a domain"),
        "{}",
        text(&o)
    );
    let o = storeshift(&["decide", ws_s, id, "domain:Shop.Example"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = storeshift(&["run", cfg, "--headless", "--interventions", "recommended"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let customers = std::fs::read_to_string(ws.join("output/run-1/customers.csv")).unwrap();
    let mut r = csv::Reader::from_reader(customers.as_bytes());
    let email = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "email")
        .unwrap();
    let emails: Vec<String> = r.records().map(|x| x.unwrap()[email].to_string()).collect();
    assert_eq!(emails.len(), 18, "{customers}");
    let given: Vec<&String> = emails
        .iter()
        .filter(|e| e.ends_with("@shop.example"))
        .collect();
    assert_eq!(
        given,
        [
            "phone-34600000006@shop.example",
            "phone-56900000010@shop.example",
            "phone-56900000011@shop.example",
            "phone-56900000018@shop.example"
        ]
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("report/report.json")).unwrap())
            .unwrap();
    let n = &report["customers_without_email"];
    assert_eq!(
        (
            n["addressed"].as_u64(),
            n["skipped"].as_u64(),
            n["owner_file"].as_u64()
        ),
        (Some(4), Some(0), Some(0)),
        "{n}"
    );
    assert_eq!(n["domain"], "shop.example");
    let md = std::fs::read_to_string(ws.join("report/report.md")).unwrap();
    assert!(md.contains("4 given an address on shop.example"), "{md}");

    // The source changes one of them (a new phone): the next run moves it again, and it keeps
    // the address it was given.
    let src = dir.path().join("source/customers_export.csv");
    let text_src = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, text_src.replace("'+56900000010", "'+56911111111")).unwrap();
    let o = storeshift(&["run", cfg, "--headless", "--interventions", "recommended"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let run2 = std::fs::read_to_string(ws.join("output/run-2/customers.csv")).unwrap();
    assert!(run2.contains("phone-56900000010@shop.example"), "{run2}");
    assert!(!run2.contains("phone-56911111111@"), "{run2}");
}

#[test]
fn customers_without_an_email_go_to_a_file_for_the_store_owner_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = phone_only_store(dir.path());
    let o = storeshift(&[
        "run",
        cfg.to_str().unwrap(),
        "--headless",
        "--interventions",
        "recommended",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ws = dir.path().join("ws");
    let out = ws.join("output/run-1");
    let mut owner = csv::Reader::from_path(out.join("customers-without-email.csv")).unwrap();
    let names: Vec<String> = owner
        .records()
        .map(|r| {
            let r = r.unwrap();
            format!("{} {}", &r[1], &r[2])
        })
        .collect();
    assert_eq!(
        names,
        [
            "Álvaro Rodríguez Gutiérrez",
            "Isabel Bustos",
            "Magdalena Fuentes",
            "Maria Isabel Ribera"
        ]
    );
    let customers = std::fs::read_to_string(out.join("customers.csv")).unwrap();
    assert_eq!(
        csv::Reader::from_reader(customers.as_bytes())
            .records()
            .count(),
        14
    );
    let md = std::fs::read_to_string(ws.join("report/report.md")).unwrap();
    assert!(md.contains("## Customers without an email"), "{md}");
    assert!(
        md.contains("4 left out and written for the store owner"),
        "{md}"
    );
    // Verification reads the target's files back without taking the owner's file for one.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("report/report.json")).unwrap())
            .unwrap();
    let counts = report["verification"]["counts"].as_array().unwrap();
    let customers = counts.iter().find(|c| c["entity"] == "customers").unwrap();
    assert_eq!(customers["in_target"], 14, "{customers}");
    assert_eq!(customers["ok"], true, "{customers}");
}
