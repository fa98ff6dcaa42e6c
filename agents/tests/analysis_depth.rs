//! The Data Analysis agent's deeper checks on a generated WooCommerce store with a few known
//! faults written into its files: images missing or on another host, HTML Shopify strips,
//! a barcode used twice, an order line for a product the source does not have. Each finding
//! names the affected record; nothing else is reported.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use storeshift_agents::agents::analysis::{self, Analysis};
use storeshift_connectors::synth::{SynthSpec, SynthStore};

fn rewrite_csv(path: &Path, mut f: impl FnMut(&csv::StringRecord, &mut Vec<String>, usize)) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    let mut rows = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
        f(&headers, &mut row, i);
        rows.push(row);
    }
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&headers).unwrap();
    for row in rows {
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

fn col(headers: &csv::StringRecord, name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[tokio::test]
async fn deeper_checks_name_the_affected_records_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    let spec = SynthSpec {
        products: 40,
        customers: 20,
        orders: 20,
        pages: 2,
        seed: 11,
        planted_problems: false,
        variants_per_variable: (2, 3),
        variable_percent: 30,
    };
    SynthStore::new(spec).write_dir(&src).unwrap();

    // Simple products get one fault each; the ids are recorded as they are written.
    let mut faults: BTreeMap<&str, String> = BTreeMap::new();
    let mut barcode: Option<String> = None;
    rewrite_csv(&src.join("products.csv"), |h, row, _| {
        if row[col(h, "Type")] != "simple" {
            return;
        }
        let id = row[col(h, "ID")].clone();
        let gtin = row[col(h, "GTIN, UPC, EAN, or ISBN")].clone();
        let todo = ["missing_image", "foreign_image_host", "script", "handler"]
            .into_iter()
            .find(|k| !faults.contains_key(k));
        match todo {
            Some("missing_image") => row[col(h, "Images")] = String::new(),
            Some("foreign_image_host") => {
                row[col(h, "Images")] = "https://cdn.elsewhere.example/img/a.jpg".into()
            }
            Some("script") => {
                row[col(h, "Description")] = "<p>Warm.</p><script>track()</script>".into()
            }
            Some("handler") => {
                row[col(h, "Description")] = "<p><a href=\"#\" onclick=\"buy()\">Buy</a></p>".into()
            }
            _ if !gtin.is_empty() => match &barcode {
                None => {
                    barcode = Some(gtin);
                    return;
                }
                Some(b) if !faults.contains_key("duplicate_barcode") => {
                    row[col(h, "GTIN, UPC, EAN, or ISBN")] = b.clone()
                }
                Some(_) => return,
            },
            _ => return,
        }
        let key = todo.unwrap_or("duplicate_barcode");
        faults.insert(key, id);
    });
    assert_eq!(
        faults.len(),
        5,
        "the generated store must have enough simple products: {faults:?}"
    );
    let mut order_id = String::new();
    rewrite_csv(&src.join("orders.csv"), |h, row, i| {
        if i == 0 {
            order_id = row[col(h, "order_id")].clone();
            let items = &mut row[col(h, "line_items")];
            let start = items.find("product_id:").unwrap();
            let end = start + items[start..].find("|quantity:").unwrap();
            items.replace_range(start..end, "product_id:777777|sku:NO-SUCH-SKU");
        }
    });

    // The store's zone is named, so its local order dates are no finding of their own.
    let cfg = common::config("[run]\nsource_url = \"https://demo-store.example\"\n").replace(
        "currency = \"USD\"\n",
        "currency = \"USD\"\ntimezone = \"Europe/Istanbul\"\n",
    );
    let ctx = common::ctx(dir.path(), &cfg);
    analysis::run(ctx.clone()).await.expect("analysis runs");
    let a: Analysis = ctx.load_phase("analysis").unwrap();
    let listed = |code: &str| -> Vec<String> {
        a.group(code)
            .map(|g| g.records.iter().map(|r| r.source_id.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        listed("missing_image"),
        vec![faults["missing_image"].clone()]
    );
    assert_eq!(
        listed("foreign_image_host"),
        vec![faults["foreign_image_host"].clone()]
    );
    assert!(a.group("foreign_image_host").unwrap().records[0]
        .label
        .contains("cdn.elsewhere.example"));
    let mut html = listed("unsafe_html");
    html.sort();
    let mut want = vec![faults["script"].clone(), faults["handler"].clone()];
    want.sort();
    assert_eq!(html, want);
    assert_eq!(
        listed("duplicate_barcode"),
        vec![faults["duplicate_barcode"].clone()]
    );
    assert_eq!(listed("order_missing_product"), vec![order_id]);
    assert!(a.group("order_missing_product").unwrap().records[0]
        .label
        .contains("NO-SUCH-SKU"));
    let codes: Vec<&str> = a.groups.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes.len(), 5, "only the planted faults: {codes:?}");
    // None of these blocks the move: no intervention is raised for them.
    assert!(ctx.store.interventions().unwrap().is_empty());
}
