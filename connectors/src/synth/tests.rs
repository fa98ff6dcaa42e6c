use super::*;
use crate::connector::Cursor;
use crate::files::woocommerce::{self, products::ProductReader};
use crate::files::EntityReader;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/woocommerce")
}

fn read_all(reader: &mut dyn EntityReader) -> Vec<Record> {
    let mut cursor: Option<Cursor> = None;
    let mut out = vec![];
    loop {
        let page = reader.read_page(cursor.as_ref(), 250).unwrap();
        out.extend(page.records);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return out,
        }
    }
}

fn read_entity(dir: &Path, file: &str) -> Vec<Record> {
    let table = woocommerce::open_table(&dir.join(file), None).unwrap();
    let mut reader: Box<dyn EntityReader> = match woocommerce::recognise(&table).unwrap() {
        Entity::Products => Box::new(ProductReader::new(table, "USD").unwrap()),
        Entity::Customers => Box::new(woocommerce::customers::reader(table, None).unwrap()),
        Entity::Orders => Box::new(woocommerce::orders::reader(table, "USD", None).unwrap()),
        Entity::Pages => Box::new(woocommerce::pages::reader(table, None).unwrap()),
        other => panic!("unexpected {other}"),
    };
    read_all(reader.as_mut())
}

/// The committed demo store is exactly what the generator makes. To regenerate after changing
/// the generator: `STORESHIFT_REGEN_DEMO=1 cargo test -p storeshift-connectors demo_assets`.
#[test]
fn demo_assets_match_the_generator() {
    let store = SynthStore::new(SynthSpec::demo());
    if std::env::var("STORESHIFT_REGEN_DEMO").is_ok_and(|v| v == "1") {
        store.write_dir(&demo_dir()).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let summary = store.write_dir(tmp.path()).unwrap();
    assert!(
        summary.products >= 300 && summary.variations > 0,
        "{summary:?}"
    );
    assert_eq!(
        (summary.customers, summary.orders, summary.pages),
        (1000, 2000, 5)
    );
    for file in ["products.csv", "customers.csv", "orders.csv", "pages.csv"] {
        let fresh = std::fs::read(tmp.path().join(file)).unwrap();
        let committed = std::fs::read(demo_dir().join(file)).unwrap_or_default();
        assert!(
            fresh == committed,
            "assets/demo/woocommerce/{file} differs from the generator; regenerate it with \
             STORESHIFT_REGEN_DEMO=1 cargo test -p storeshift-connectors demo_assets"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_store_and_another_seed_another() {
    let spec = SynthSpec {
        products: 40,
        customers: 20,
        orders: 30,
        ..SynthSpec::demo()
    };
    let a = SynthStore::new(spec.clone());
    let b = SynthStore::new(spec.clone());
    assert!(a.products().eq(b.products()));
    assert!(a.orders().eq(b.orders()));
    let c = SynthStore::new(SynthSpec {
        seed: spec.seed + 1,
        ..spec
    });
    assert!(!a.products().eq(c.products()));
}

#[test]
fn the_demo_store_reads_back_and_contains_every_planted_problem() {
    let dir = demo_dir();
    let products: Vec<Product> = read_entity(&dir, "products.csv")
        .into_iter()
        .map(|r| match r {
            Record::Product(p) => p,
            _ => unreachable!("products file yields products"),
        })
        .collect();
    let customers: Vec<Customer> = read_entity(&dir, "customers.csv")
        .into_iter()
        .map(|r| match r {
            Record::Customer(c) => c,
            _ => unreachable!("customers file yields customers"),
        })
        .collect();
    let orders: Vec<Order> = read_entity(&dir, "orders.csv")
        .into_iter()
        .map(|r| match r {
            Record::Order(o) => *o,
            _ => unreachable!("orders file yields orders"),
        })
        .collect();
    assert_eq!(products.len(), SynthSpec::demo().products);
    assert_eq!(customers.len(), 1000);
    assert_eq!(orders.len(), 2000);
    assert_eq!(read_entity(&dir, "pages.csv").len(), 5);
    let variable = products
        .iter()
        .filter(|p| p.kind == ProductKind::Variable)
        .count();
    assert!(variable > 50, "{variable} variable products");
    assert!(
        products
            .iter()
            .any(|p| p.title.contains('ı') || p.title.contains('ş')),
        "Turkish names"
    );

    // What a simple analysis sees, checked against the planted list.
    let by_id: HashMap<&str, &Product> =
        products.iter().map(|p| (p.source.id.as_str(), p)).collect();
    let mut sku_owners: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in &products {
        for s in p.skus() {
            sku_owners
                .entry(s)
                .or_default()
                .insert(p.source.id.as_str());
        }
    }
    let customer_ids: HashSet<&str> = customers.iter().map(|c| c.source.id.as_str()).collect();
    let mut emails: HashMap<String, usize> = HashMap::new();
    for c in &customers {
        *emails.entry(c.email.to_lowercase()).or_default() += 1;
    }
    for problem in planted_problems() {
        let id = problem.source_id.as_str();
        let found = match problem.code {
            "duplicate_sku" => by_id[id].skus().any(|s| sku_owners[s].len() > 1),
            "missing_price" => by_id[id].variants.iter().all(|v| v.price.is_none()),
            "too_many_options" => by_id[id].options.len() == 4,
            "handle_too_long" => by_id[id].handle.chars().count() > 255,
            "non_ascii_handle" => !by_id[id].handle.is_ascii(),
            "duplicate_email" => {
                let c = customers.iter().find(|c| c.source.id == id).unwrap();
                emails[&c.email.to_lowercase()] == 2
            }
            "missing_customer" => {
                let o = orders.iter().find(|o| o.source.id == id).unwrap();
                o.customer_ref
                    .as_deref()
                    .is_some_and(|c| !customer_ids.contains(c))
            }
            other => panic!("unknown planted code {other}"),
        };
        assert!(found, "planted problem not in the demo store: {problem:?}");
    }
    // Exactly the planted ones: no other duplicate SKU, missing price, 4-option product, ...
    let dup_skus = sku_owners.values().filter(|o| o.len() > 1).count();
    assert_eq!(dup_skus, 2);
    assert_eq!(
        products
            .iter()
            .filter(|p| p.variants.iter().all(|v| v.price.is_none()))
            .count(),
        1
    );
    assert_eq!(products.iter().filter(|p| p.options.len() > 3).count(), 1);
    assert_eq!(products.iter().filter(|p| !p.handle.is_ascii()).count(), 3);
    assert_eq!(emails.values().filter(|n| **n > 1).count(), 1);

    // Orders add up and point at real customers and products (except the planted one).
    let product_ids: HashSet<&str> = by_id.keys().copied().collect();
    let mut missing_customers = 0;
    for o in &orders {
        assert_eq!(
            o.computed_total(),
            o.totals.total.amount,
            "order {} does not add up",
            o.number
        );
        assert!(!o.line_items.is_empty(), "order {} has no lines", o.number);
        for l in &o.line_items {
            assert!(
                product_ids.contains(l.product_ref.as_deref().unwrap_or("")),
                "order {}",
                o.number
            );
        }
        if o.customer_ref
            .as_deref()
            .is_some_and(|c| !customer_ids.contains(c))
        {
            missing_customers += 1;
        }
    }
    assert_eq!(missing_customers, 1);
}

/// Reading the demo store and writing it again gives the same bytes: the readers lose nothing
/// the writers put in.
#[test]
fn the_demo_store_survives_read_and_write_byte_for_byte() {
    let dir = demo_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut writers: Vec<(Box<dyn EntityWriter>, &str)> = vec![
        (Box::new(ProductWriter::for_export()), "products.csv"),
        (Box::new(CustomerWriter::for_export()), "customers.csv"),
        (Box::new(OrderWriter::for_export()), "orders.csv"),
        (Box::new(PageWriter::for_export()), "pages.csv"),
    ];
    for (w, file) in writers.iter_mut() {
        let mut out = w.header();
        for r in read_entity(&dir, file) {
            w.encode(&r, &mut out).unwrap();
        }
        std::fs::write(tmp.path().join(*file), &out).unwrap();
        let original = std::fs::read(dir.join(*file)).unwrap();
        let first_diff = String::from_utf8_lossy(&out)
            .lines()
            .zip(String::from_utf8_lossy(&original).lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}:\n written: {a}\n original: {b}", i + 1));
        assert!(
            out == original,
            "{file} changed in a read/write round trip; {first_diff:?}"
        );
    }
}

#[test]
fn bench_spec_has_the_asked_number_of_variation_rows() {
    let spec = SynthSpec::bench(1000);
    let store = SynthStore::new(spec);
    let rows: usize = store.products().map(|p| p.variants.len()).sum();
    assert_eq!(rows, 1000);
}
