//! Dates through real readers and writers: the store's zone, the one finding when there is
//! none, unreadable dates as findings with file, line and column, and conversions that keep
//! the instant.

use crate::files::convert::{convert, ConvertOptions};
use crate::files::testkit::{read, rt};
use crate::files::EntityWriter;
use crate::model::*;
use crate::synth::{SynthSpec, SynthStore};
use std::path::{Path, PathBuf};

fn small_store() -> SynthStore {
    SynthStore::new(SynthSpec {
        products: 6,
        customers: 6,
        orders: 6,
        pages: 2,
        planted_problems: false,
        ..SynthSpec::demo()
    })
}

/// A WooCommerce order export with `order_date` of row `i` set to `dates[i]`.
fn woo_orders(dir: &Path, dates: &[&str]) -> PathBuf {
    let mut w = crate::files::woocommerce::orders::OrderWriter::for_export();
    let mut out = w.header();
    for o in small_store().orders().take(dates.len()) {
        w.encode(&Record::Order(Box::new(o)), &mut out).unwrap();
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out.as_slice());
    let mut text = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let mut fields: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if i > 0 {
            fields[2] = dates[i - 1].to_string();
        }
        crate::files::table::push_row(&mut text, &fields, b',');
    }
    let path = dir.join("orders.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn read_orders(file: &Path, timezone: Option<&str>) -> (Vec<Order>, Vec<crate::Finding>) {
    let mut spec = crate::spec::EndpointSpec::files(Platform::WooCommerce, file.to_path_buf());
    spec.timezone = timezone.map(str::to_string);
    let mut source = crate::files::open_source(&spec, Path::new(".")).unwrap();
    let page = rt()
        .block_on(source.read_page(Entity::Orders, None, 100))
        .unwrap();
    let orders = page
        .records
        .into_iter()
        .map(|r| match r {
            Record::Order(o) => *o,
            other => panic!("{other:?}"),
        })
        .collect();
    (orders, page.findings)
}

#[test]
fn woocommerce_order_dates_are_on_the_stores_clock() {
    let dir = tempfile::tempdir().unwrap();
    let file = woo_orders(
        dir.path(),
        &[
            "2024-03-01 10:20:30",
            "2024-07-01T08:00:00",
            "31/02/2024",
            "",
        ],
    );
    let (orders, findings) = read_orders(&file, Some("Europe/Istanbul"));
    assert_eq!(orders.len(), 4, "every order moves, dated or not");
    let dates: Vec<Option<String>> = orders
        .iter()
        .map(|o| o.created_at.map(|t| t.to_rfc3339()))
        .collect();
    assert_eq!(
        dates,
        [
            Some("2024-03-01T10:20:30+03:00".to_string()),
            Some("2024-07-01T08:00:00+03:00".to_string()),
            None,
            None
        ]
    );
    let bad: Vec<_> = findings.iter().filter(|f| f.code == "bad_date").collect();
    assert_eq!(bad.len(), 1, "{findings:?}");
    let loc = bad[0].location.clone().unwrap();
    assert!(loc.file.ends_with("orders.csv"), "{loc}");
    assert_eq!((loc.line, loc.column.as_deref()), (4, Some("order_date")));
    assert!(bad[0].message.contains("31/02/2024"), "{}", bad[0].message);
    assert!(findings.iter().all(|f| f.code != "date_zone_assumed"));

    // Without a zone: UTC, and the file says so once however many rows it has.
    let (orders, findings) = read_orders(&file, None);
    assert_eq!(
        orders[0].created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-03-01T10:20:30Z")
    );
    let told: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "date_zone_assumed")
        .collect();
    assert_eq!(told.len(), 1, "{findings:?}");
    assert_eq!(told[0].location.as_ref().map(|l| l.line), Some(2));

    // A zone the config names wrongly is a clear error, not a guess.
    let mut spec = crate::spec::EndpointSpec::files(Platform::WooCommerce, file.clone());
    spec.timezone = Some("Europe/Atlantis".into());
    let err = crate::files::open_source(&spec, Path::new("."))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("Europe/Atlantis") && err.contains("IANA"),
        "{err}"
    );
}

#[test]
fn a_shopify_order_moves_to_woocommerce_at_the_same_instant() {
    let src = tempfile::tempdir().unwrap();
    let ist = parse_zone("Europe/Istanbul");
    // Matrixify's layout, times written with Istanbul's offset.
    let mut w = crate::files::shopify::OrderWriter::new().in_zone(ist);
    let mut out = w.header();
    let orders: Vec<Order> = small_store().orders().take(4).collect();
    for o in &orders {
        w.encode(&Record::Order(Box::new(o.clone())), &mut out)
            .unwrap();
    }
    let file = src.path().join("orders_export.csv");
    std::fs::write(&file, &out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(" +0300,"), "Matrixify's offset form: {text}");

    let dst = tempfile::tempdir().unwrap();
    let opts = ConvertOptions {
        timezone: Some("Europe/Istanbul".into()),
        ..ConvertOptions::default()
    };
    let report = rt()
        .block_on(convert(
            Platform::Shopify,
            &[file],
            Platform::WooCommerce,
            dst.path(),
            &opts,
        ))
        .unwrap();
    assert!(
        report
            .lossy
            .iter()
            .all(|l| l.what.iter().all(|w| !w.contains("created_at"))),
        "{:?}",
        report.lossy
    );
    let (back, _) = read(
        Platform::WooCommerce,
        &dst.path().join("orders.csv"),
        Entity::Orders,
        10,
    )
    .unwrap();
    // Read without the zone the file is on (the helper names none): the wall clock is
    // Istanbul's, so the instants differ by its offset, exactly.
    for (sent, got) in orders.iter().zip(&back) {
        let Record::Order(got) = got else { panic!() };
        let (s, g) = (sent.created_at.unwrap(), got.created_at.unwrap());
        assert_eq!(g.utc() - s.utc(), chrono::TimeDelta::hours(3));
    }
}

#[test]
fn magento_admin_dates_are_local_and_database_dates_utc() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("customer.csv");
    std::fs::write(
        &file,
        "email,_website,created_at,firstname,lastname\n\
         a@example.test,base,2024-05-06 23:08:00,Ann,Lee\n\
         b@example.test,base,\"5/6/24, 7:08\u{202f}PM\",Bob,Ray\n\
         c@example.test,base,yesterday,Cem,Ak\n",
    )
    .unwrap();
    let mut spec = crate::spec::EndpointSpec::files(Platform::Magento, PathBuf::new());
    spec.path = None;
    spec.files.insert(Entity::Customers, file.clone());
    spec.timezone = Some("America/New_York".into());
    let mut source = crate::files::open_source(&spec, Path::new(".")).unwrap();
    let page = rt()
        .block_on(source.read_page(Entity::Customers, None, 10))
        .unwrap();
    let dates: Vec<Option<Timestamp>> = page
        .records
        .iter()
        .map(|r| match r {
            Record::Customer(c) => c.created_at,
            _ => None,
        })
        .collect();
    // The database form is UTC; the admin's short form is New York's clock: the same instant.
    assert_eq!(dates[0], dates[1]);
    assert_eq!(dates[0].unwrap().to_rfc3339(), "2024-05-06T23:08:00Z");
    assert_eq!(dates[1].unwrap().to_rfc3339(), "2024-05-06T19:08:00-04:00");
    assert_eq!(dates[2], None);
    assert!(page.findings.iter().any(|f| f.code == "bad_date"
        && f.location.as_ref().map(|l| (l.line, l.column.as_deref()))
            == Some((4, Some("created_at")))));

    // Written back as Magento's importer reads it: the database form, in UTC.
    let out = tempfile::tempdir().unwrap();
    crate::files::testkit::write(
        Platform::Magento,
        out.path(),
        Entity::Customers,
        &page.records,
    );
    let text = std::fs::read_to_string(out.path().join("customer_composite.csv")).unwrap();
    assert_eq!(text.matches("2024-05-06 23:08:00").count(), 2, "{text}");
}
