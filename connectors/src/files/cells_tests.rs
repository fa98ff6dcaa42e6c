//! Spreadsheet guards: every written file names its importer, no written file carries a guard
//! its importer would keep, and exports with guards in every column read as plain ones do.

use super::*;
use crate::files::convert::{convert, ConvertOptions};
use crate::files::testkit::{catalog, read, rt, write};
use crate::files::EntityWriter;
use crate::model::*;
use crate::spec::EndpointSpec;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const FILE_PLATFORMS: [Platform; 7] = [
    Platform::Shopify,
    Platform::WooCommerce,
    Platform::Magento,
    Platform::BigCommerce,
    Platform::Ikas,
    Platform::Medusa,
    Platform::Vendure,
];

fn writers_of(platform: Platform) -> Vec<Box<dyn EntityWriter>> {
    let spec = EndpointSpec::files(platform, PathBuf::from("."));
    match platform {
        Platform::Shopify => super::super::shopify::writers(&spec).unwrap(),
        Platform::WooCommerce => super::super::woocommerce::writers(&spec).unwrap(),
        Platform::Magento => super::super::magento::writers(&spec),
        Platform::BigCommerce => super::super::bigcommerce::writers(&spec),
        Platform::Ikas => super::super::ikas::writers(&spec),
        Platform::Medusa => super::super::medusa::writers(&spec),
        Platform::Vendure => super::super::vendure::writers(&spec),
        _ => vec![],
    }
}

/// The files a writer produces: its own and its side files.
fn names(w: &dyn EntityWriter) -> Vec<String> {
    let mut v = vec![w.file_name()];
    v.extend(w.side_files().into_iter().map(|(n, _)| n));
    v
}

#[test]
fn every_written_file_names_its_importer() {
    for p in FILE_PLATFORMS {
        for name in writers_of(p).iter().flat_map(|w| names(w.as_ref())) {
            let f = platform::import_file(p, &name)
                .unwrap_or_else(|| panic!("{p} writes {name} but names no importer for it"));
            assert!(
                !f.importer.is_empty() && !f.evidence.is_empty(),
                "{p} {name}"
            );
            if f.strips != platform::Strips::Nowhere {
                assert!(
                    f.guard.is_some(),
                    "{p} {name} strips a guard it does not name"
                );
            }
        }
        for f in platform::import_files(p) {
            assert!(
                writers_of(p)
                    .iter()
                    .flat_map(|w| names(w.as_ref()))
                    .any(|n| n == f.file),
                "{p}: {} is listed but no writer produces it",
                f.file
            );
        }
    }
}

/// The values spreadsheets would run as formulas, one per record field.
const TRIGGERED: [&str; 4] = ["-", "+", "=", "@"];

fn triggered_catalog(seed: u64, n: usize, picks: &[usize]) -> Vec<Product> {
    let pick = |i: usize| TRIGGERED[picks.get(i % picks.len().max(1)).copied().unwrap_or(i) % 4];
    let mut cat = catalog(seed, n);
    for (i, p) in cat.iter_mut().enumerate() {
        // `=` first in every title: every platform guards it, so each export carries a guard
        // whatever the picks (Magento leaves `@` alone).
        p.title = format!("={}{} off {}", pick(i), 5 + i, p.title);
        p.body_html = format!("{}<p>{}</p>", pick(i + 1), p.title);
        p.vendor = Some(format!("{}brand", pick(i + 2)));
        p.tags = vec![format!("{}sale", pick(i + 3)), "plain".into()];
        p.seo.title = Some(format!("{}{}", pick(i + 4), p.title));
        if let Some(v) = p.variants.first_mut() {
            v.sku = v.sku.as_ref().map(|s| format!("{}{s}", pick(i + 5)));
        }
    }
    cat
}

fn customers_with_phones() -> Vec<Record> {
    (0..3)
        .map(|i| {
            Record::Customer(Customer {
                source: SourceRef::new(format!("{i}")),
                email: format!("c{i}@example.test"),
                first_name: Some(format!("{}Ana", TRIGGERED[i % 4])),
                last_name: Some("Lopez".into()),
                phone: Some(format!("+56 9 1234 567{i}")),
                addresses: vec![Address {
                    address1: Some(format!("-{i} Calle Sur")),
                    city: Some("Santiago".into()),
                    country_code: Some("CL".into()),
                    zip: Some("8320000".into()),
                    phone: Some(format!("+56 2 2345 678{i}")),
                    default: true,
                    ..Address::default()
                }],
                note: Some("=VIP".into()),
                ..Customer::default()
            })
        })
        .collect()
}

/// Every cell of every CSV in `dir` with the column it sits in.
fn cells(dir: &Path) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&path)
            .unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        for rec in r.records() {
            for (i, cell) in rec.unwrap().iter().enumerate() {
                let col = header.get(i).cloned().unwrap_or_default();
                out.push((file.clone(), col, cell.to_string()));
            }
        }
    }
    out
}

/// Whether `cell` starts with a guard any platform's exporter or importer knows.
fn guarded(cell: &str) -> bool {
    FILE_PLATFORMS
        .iter()
        .filter_map(|p| platform::export_guard(*p))
        .any(|g| g.len_in(cell.as_bytes()) == 1)
}

#[test]
fn no_written_file_carries_a_guard_its_importer_keeps() {
    for p in FILE_PLATFORMS {
        let dir = tempfile::tempdir().unwrap();
        let products: Vec<Record> = triggered_catalog(7, 8, &[0, 1, 2, 3])
            .into_iter()
            .map(Record::Product)
            .collect();
        write(p, dir.path(), Entity::Products, &products);
        write(p, dir.path(), Entity::Customers, &customers_with_phones());
        let mut guards_written = 0;
        for (file, col, cell) in cells(dir.path()) {
            if !guarded(&cell) {
                continue;
            }
            let importer = platform::import_file(p, &file).expect("listed");
            assert!(
                importer.strips_in(&col),
                "{p} {file} column \"{col}\" holds \"{cell}\", but {} keeps the guard",
                importer.importer
            );
            guards_written += 1;
        }
        if p == Platform::WooCommerce {
            // Tags and the like: where WooCommerce's importer takes the guard off, it is written.
            assert!(
                guards_written > 0,
                "the Tags column of products.csv is guarded"
            );
        }
    }
}

/// `file` rewritten as `platform`'s exporter writes it: every cell but the header guarded.
fn as_exported(platform: Platform, file: &Path) -> PathBuf {
    let guard = platform::export_guard(platform).expect("an exporter with a guard");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(file)
        .unwrap();
    let mut out = Vec::new();
    let mut always = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        if i == 0 {
            always = rec.iter().map(|c| guard.always_in(c)).collect();
        }
        let fields: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if i == 0 {
                    c.to_string()
                } else {
                    guard.apply_in(always[k], c).into_owned()
                }
            })
            .collect();
        crate::files::table::push_row(&mut out, &fields, b',');
    }
    let path = file.with_file_name(format!(
        "exported-{}",
        file.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&path, out).unwrap();
    path
}

fn only_csv(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().and_then(|e| e.to_str()) == Some("csv"))
        .expect("a csv")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// An export with its platform's guard in every column reads the same records as the file
    /// without guards: the one rule takes them off everywhere, and nothing else.
    #[test]
    fn guarded_exports_read_as_plain_ones(
        seed in any::<u64>(),
        picks in proptest::collection::vec(0usize..4, 1..8),
        which in 0usize..3,
    ) {
        let p = [Platform::WooCommerce, Platform::Shopify, Platform::Magento][which];
        let dir = tempfile::tempdir().unwrap();
        let products: Vec<Record> = triggered_catalog(seed, 4, &picks)
            .into_iter()
            .map(Record::Product)
            .collect();
        write(p, dir.path(), Entity::Products, &products);
        let plain_file = only_csv(dir.path());
        let (plain, _) = read(p, &plain_file, Entity::Products, 3).unwrap();
        let exported = as_exported(p, &plain_file);
        prop_assert_ne!(
            std::fs::read(&exported).unwrap(),
            std::fs::read(&plain_file).unwrap(),
            "the export carries guards"
        );
        let (got, findings) = read(p, &exported, Entity::Products, 3).unwrap();
        prop_assert!(findings.iter().all(|f| f.code != "bad_number"), "{:?}", findings);
        prop_assert_eq!(got, plain);

        let cdir = tempfile::tempdir().unwrap();
        write(p, cdir.path(), Entity::Customers, &customers_with_phones());
        let plain_file = only_csv(cdir.path());
        let (plain, _) = read(p, &plain_file, Entity::Customers, 2).unwrap();
        let (got, _) = read(p, &as_exported(p, &plain_file), Entity::Customers, 2).unwrap();
        prop_assert_eq!(got, plain);
    }
}

/// The case: a Shopify customer export with `'+56 9 …` phones, converted to
/// WooCommerce, gives the customer import plugin phones without the apostrophe.
#[test]
fn shopify_phone_guards_do_not_reach_the_woocommerce_customer_file() {
    let src = tempfile::tempdir().unwrap();
    let export = src.path().join("customers_export.csv");
    std::fs::write(
        &export,
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,\
         Default Address Address1,Default Address Address2,Default Address City,\
         Default Address Province Code,Default Address Country Code,Default Address Zip,\
         Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,\
         Tax Exempt,Tags\n\
         '7210448301122,Ana,Lopez,ana@example.test,yes,,Av. Sur 1,,Santiago,RM,CL,'8320000,\
         '+56 2 2345 6789,'+56 9 1234 5678,no,10.00,1,,no,\n\
         '7210448301123,Luis,Rojas,luis@example.test,no,,Calle 2,,Valparaíso,VS,CL,2340000,\
         ,'+56 9 8765 4321,no,0.00,0,,no,\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = rt()
        .block_on(convert(
            Platform::Shopify,
            &[export],
            Platform::WooCommerce,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let file = out.path().join("customers.csv");
    let written = cells(out.path());
    let phones: Vec<&str> = written
        .iter()
        .filter(|(f, c, _)| f == "customers.csv" && c == "billing_phone")
        .map(|(_, _, v)| v.as_str())
        .collect();
    assert_eq!(phones, ["+56 9 1234 5678", "+56 9 8765 4321"]);
    assert!(
        written.iter().all(|(_, _, v)| !v.starts_with('\'')),
        "no apostrophe anywhere: {written:?}"
    );
    let (back, _) = read(Platform::WooCommerce, &file, Entity::Customers, 10).unwrap();
    let Record::Customer(c) = &back[0] else {
        panic!("{back:?}")
    };
    assert_eq!(c.phone.as_deref(), Some("+56 9 1234 5678"));
    assert_eq!(c.addresses[0].zip.as_deref(), Some("8320000"));
}
