//! Micro-benchmark of the Shopify product CSV writer and reader.
//!
//! `cargo run --release -p storeshift-connectors --example shopify_files_bench [products]`
//! writes `products` products of three variants and two images (three rows each) and reads
//! them back (`page` records per page, default 500), printing rows per second for each
//! direction on one core. Usage: `shopify_files_bench [products] [page]`.

use rust_decimal::Decimal;
use std::time::Instant;
use storeshift_connectors::files::shopify::{ProductReader, ProductWriter};
use storeshift_connectors::files::{EntityReader, EntityWriter};
use storeshift_connectors::model::{
    Image, Money, Product, ProductKind, ProductOption, Record, Seo, SourceRef, Variant, Weight,
    WeightUnit,
};

fn product(i: usize) -> Product {
    let handle = format!("product-{i}");
    let sizes = ["S", "M", "L"];
    Product {
        source: SourceRef::with_url(handle.clone(), format!("/products/{handle}")),
        title: format!("Product number {i}, in cotton"),
        body_html: format!(
            "<p>Soft \"organic\" cotton, item {i}.</p>\n<ul><li>Machine wash</li></ul>"
        ),
        vendor: Some("Acme".into()),
        product_type: Some("Shirts".into()),
        tags: vec!["cotton".into(), "summer".into()],
        kind: ProductKind::Variable,
        categories: vec![vec!["Apparel & Accessories".into(), "Clothing".into()]],
        options: vec![ProductOption {
            name: "Size".into(),
            values: sizes.iter().map(|s| s.to_string()).collect(),
        }],
        variants: sizes
            .iter()
            .enumerate()
            .map(|(k, s)| Variant {
                sku: Some(format!("SKU-{i}-{s}")),
                barcode: Some(format!("{:013}", i * 3 + k)),
                price: Some(Money::new(Decimal::new(1999 + k as i64 * 100, 2), "USD")),
                compare_at_price: Some(Money::new(Decimal::new(2999, 2), "USD")),
                cost: Some(Money::new(Decimal::new(750, 2), "USD")),
                weight: Some(Weight {
                    value: Decimal::new(5, 1),
                    unit: WeightUnit::Lb,
                }),
                inventory: Some(10 + k as i64),
                option_values: vec![s.to_string()],
                image: Some(format!("https://cdn.example.com/{i}-a.jpg")),
                requires_shipping: true,
                taxable: true,
                ..Default::default()
            })
            .collect(),
        images: (0..2)
            .map(|k| Image {
                src: format!("https://cdn.example.com/{i}-{}.jpg", ["a", "b"][k]),
                alt: Some(format!("View {k}")),
                position: k as u32 + 1,
            })
            .collect(),
        seo: Seo {
            title: Some(format!("Product {i} | Acme")),
            description: None,
        },
        handle,
        ..Default::default()
    }
}

/// CPU seconds this thread has used (user + system), from /proc: the machine is shared, so
/// wall-clock rates understate what one core does.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn rate(rows: usize, wall: f64, cpu: Option<f64>) -> String {
    let per_core = cpu.filter(|c| *c > 0.0).map(|c| {
        format!(
            ", {:.0} rows/s per CPU second ({c:.2} s CPU)",
            rows as f64 / c
        )
    });
    format!(
        "{:>9.0} rows/s wall ({wall:.3} s){}",
        rows as f64 / wall,
        per_core.unwrap_or_default()
    )
}

fn main() {
    let products: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(120_000);
    let page_size: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let records: Vec<Record> = (0..products).map(|i| Record::Product(product(i))).collect();
    let rows = products * 3;

    let mut writer = ProductWriter::new(vec![], Some("USD".into()));
    let mut bytes = writer.header();
    bytes.reserve(rows * 400);
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    for r in &records {
        if let Err(e) = writer.encode(r, &mut bytes) {
            eprintln!("write failed: {e}");
            std::process::exit(1);
        }
    }
    let write_secs = start.elapsed().as_secs_f64();
    let write_cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    drop(records);

    let path = std::env::temp_dir().join(format!("storeshift-bench-{}.csv", std::process::id()));
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    let size = bytes.len();
    drop(bytes);
    let mut reader = ProductReader::new(path.clone(), "USD".into());
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let mut cursor = None;
    let mut read = 0usize;
    let mut findings = 0usize;
    loop {
        let page = match reader.read_page(cursor.as_ref(), page_size) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("read failed: {e}");
                std::process::exit(1);
            }
        };
        read += page.records.len();
        findings += page.findings.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let read_secs = start.elapsed().as_secs_f64();
    let read_cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let _ = std::fs::remove_file(&path);

    println!(
        "products.csv: {products} products, {rows} rows, {:.1} MB",
        size as f64 / 1e6
    );
    println!("write: {}", rate(rows, write_secs, write_cpu));
    println!(
        "read:  {} ({read} products, {findings} findings)",
        rate(rows, read_secs, read_cpu)
    );
}
