//! Generator and reader speed on a synthetic WooCommerce catalog. Prints numbers; asserts none.
//!
//! `cargo run --release -p storeshift-connectors --example woo_bench -- 1000000`
//! (the argument is the number of variation rows; default 100000). A second argument names a
//! directory to keep the files in; when it already holds them, generation is skipped, so the
//! two halves can be timed apart (`/usr/bin/time` shows CPU time on a busy machine).

use std::time::Instant;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::table::TableFile;
use storeshift_connectors::files::woocommerce::products::ProductReader;
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::synth::{SynthSpec, SynthStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let dir = std::env::args()
        .nth(2)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let store = SynthStore::new(SynthSpec::bench(rows));

    if !dir.join("products.csv").exists() {
        let t = Instant::now();
        let summary = store.write_dir(&dir)?;
        let gen = t.elapsed().as_secs_f64();
        let file_rows = summary.products + summary.variations;
        let bytes = std::fs::metadata(dir.join("products.csv"))?.len();
        println!(
            "generate: {} products + {} variations + {} customers + {} orders in {gen:.2}s \
             ({:.0} product-file rows/s, products.csv {:.1} MB)",
            summary.products,
            summary.variations,
            summary.customers,
            summary.orders,
            file_rows as f64 / gen,
            bytes as f64 / 1e6
        );
    }
    let bytes = std::fs::metadata(dir.join("products.csv"))?.len();

    let t = Instant::now();
    let table = TableFile::open(&dir.join("products.csv"), None)?;
    let mut reader = ProductReader::new(table, "USD")?;
    let mut cursor: Option<Cursor> = None;
    let (mut products, mut variants) = (0usize, 0usize);
    let mut first_page = None;
    loop {
        let page = reader.read_page(cursor.as_ref(), 500)?;
        // The first page includes the pass that indexes variations by parent.
        first_page.get_or_insert_with(|| t.elapsed().as_secs_f64());
        for r in &page.records {
            if let storeshift_connectors::model::Record::Product(p) = r {
                products += 1;
                variants += p.variants.len();
            }
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    let read = t.elapsed().as_secs_f64();
    println!(
        "read: {products} products with {variants} variants in {read:.2}s ({:.0} rows/s, {:.1} MB/s; \
         first page with the variation index {:.2}s)",
        (products + variants) as f64 / read,
        bytes as f64 / 1e6 / read,
        first_page.unwrap_or_default()
    );
    Ok(())
}
