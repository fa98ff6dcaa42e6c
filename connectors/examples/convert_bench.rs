//! Conversion speed through the canonical model, WooCommerce → Shopify and back, on one core.
//! Prints rows per second; asserts nothing.
//!
//! `cargo run --release -p storeshift-connectors --example convert_bench -- 300000`
//! (the argument is the number of WooCommerce variation rows; default 100000).

use std::path::{Path, PathBuf};
use std::time::Instant;
use storeshift_connectors::files::convert::{convert, ConvertOptions};
use storeshift_connectors::model::Platform;
use storeshift_connectors::synth::{SynthSpec, SynthStore};

fn data_rows(path: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while r.read_byte_record(&mut rec)? {
        n += 1;
    }
    Ok(n)
}

fn timed(
    rt: &tokio::runtime::Runtime,
    label: &str,
    from: Platform,
    file: &Path,
    to: Platform,
    out: &Path,
    readback: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = data_rows(file)?;
    let opts = ConvertOptions {
        skip_readback: !readback,
        ..ConvertOptions::default()
    };
    let t = Instant::now();
    let report = rt.block_on(convert(from, &[file.to_path_buf()], to, out, &opts))?;
    let secs = t.elapsed().as_secs_f64();
    let written: usize = report.counts.values().map(|c| c.1).sum();
    println!(
        "{label:<48} {rows:>9} rows in {secs:>6.2} s = {:>9.0} rows/s ({written} records written)",
        rows as f64 / secs
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let woo_dir = tmp.path().join("woo");
    SynthStore::new(SynthSpec::bench(rows)).write_dir(&woo_dir)?;
    let woo = woo_dir.join("products.csv");
    // One core: the conversion runs on a current-thread runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    {
        let rows = data_rows(&woo)?;
        let t = Instant::now();
        let found = rt.block_on(storeshift_connectors::files::convert::inspect(
            std::slice::from_ref(&woo),
            None,
        ));
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{:<48} {rows:>9} rows in {secs:>6.2} s = {:>9.0} rows/s ({} records)",
            "read WooCommerce products (inspect)",
            rows as f64 / secs,
            found[0].records
        );
    }
    let shop = tmp.path().join("shopify");
    timed(
        &rt,
        "WooCommerce -> Shopify (read + write)",
        Platform::WooCommerce,
        &woo,
        Platform::Shopify,
        &shop,
        false,
    )?;
    let shop_file: PathBuf = shop.join("products.csv");
    timed(
        &rt,
        "Shopify -> WooCommerce (read + write)",
        Platform::Shopify,
        &shop_file,
        Platform::WooCommerce,
        &tmp.path().join("woo2"),
        false,
    )?;
    timed(
        &rt,
        "WooCommerce -> Shopify (+ read-back report)",
        Platform::WooCommerce,
        &woo,
        Platform::Shopify,
        &tmp.path().join("shop3"),
        true,
    )?;
    Ok(())
}
