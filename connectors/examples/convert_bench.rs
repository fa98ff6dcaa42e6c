//! File reading and conversion speed through the canonical model on one core: WooCommerce and
//! Shopify product files read alone, then WooCommerce → Shopify and Shopify → WooCommerce
//! (read + write), then both again as `storeshift convert` runs them by default, with the
//! output read back and compared record by record.
//! Prints rows per second of wall time and per CPU second (getrusage: the machine is shared, so
//! wall-clock rates understate what one core does); asserts nothing.
//!
//! `cargo run --release -p storeshift-connectors --example convert_bench -- 300000`
//! (the argument is the number of WooCommerce variation rows; default 100000).

use std::path::{Path, PathBuf};
use std::time::Instant;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::convert::{convert, ConvertOptions};
use storeshift_connectors::files::table::TableFile;
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::Platform;
use storeshift_connectors::synth::{SynthSpec, SynthStore};

// Every allocation of the benchmark goes through the allocator the binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// CPU seconds (user + system) this process has used.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Runs `f`, printing rows per second of wall and of CPU time.
fn measure<T>(label: &str, rows: u64, f: impl FnOnce() -> Res<(T, String)>) -> Res<T> {
    let (t, cpu0) = (Instant::now(), cpu_seconds());
    let (out, note) = f()?;
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "{label:<40} {rows:>8} rows: {:>8.0} rows/s wall ({wall:>5.2} s), {:>8.0} rows/s per CPU second ({cpu:>5.2} s) {note}",
        rows as f64 / wall,
        rows as f64 / cpu.max(1e-9),
    );
    Ok(out)
}

fn data_rows(path: &Path) -> Res<u64> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while r.read_byte_record(&mut rec)? {
        n += 1;
    }
    Ok(n)
}

/// Reads every page of `reader`, returning (records, variants).
fn drain(reader: &mut dyn EntityReader) -> Res<(usize, usize)> {
    let mut cursor: Option<Cursor> = None;
    let (mut records, mut variants) = (0, 0);
    loop {
        let page = reader.read_page(cursor.as_ref(), 1000)?;
        for r in &page.records {
            records += 1;
            if let storeshift_connectors::model::Record::Product(p) = r {
                variants += p.variants.len();
            }
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => return Ok((records, variants)),
        }
    }
}

/// A conversion as `storeshift convert` runs it; `skip_readback: false` adds the read-back and
/// record-by-record comparison the command makes by default.
fn converted(
    rt: &tokio::runtime::Runtime,
    label: &str,
    (from, file): (Platform, &Path),
    (to, out): (Platform, &Path),
    skip_readback: bool,
) -> Res<()> {
    let rows = data_rows(file)?;
    let opts = ConvertOptions {
        skip_readback,
        ..ConvertOptions::default()
    };
    measure(label, rows, || {
        let report = rt.block_on(convert(from, &[file.to_path_buf()], to, out, &opts))?;
        let written: usize = report.counts.values().map(|c| c.1).sum();
        Ok(((), format!("({written} records written)")))
    })
}

fn main() -> Res<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let woo_dir = tmp.path().join("woo");
    SynthStore::new(SynthSpec::bench(rows)).write_dir(&woo_dir)?;
    let woo = woo_dir.join("products.csv");
    // The conversion reads its own copy: the WooCommerce reader keeps the last file's scan,
    // and the conversion must not be timed with the read stage's scan for free.
    let woo_copy = tmp.path().join("woo-copy").join("products.csv");
    std::fs::create_dir_all(woo_copy.parent().unwrap_or(tmp.path()))?;
    std::fs::copy(&woo, &woo_copy)?;
    // One core: the conversion runs on a current-thread runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    // CONVERT_BENCH_ONLY=woo2shop runs the WooCommerce → Shopify conversion alone (for profiles).
    let only = std::env::var("CONVERT_BENCH_ONLY").unwrap_or_default();
    let shop = tmp.path().join("shopify");
    if only == "woo2shop" {
        return converted(
            &rt,
            "WooCommerce -> Shopify (read + write)",
            (Platform::WooCommerce, &woo),
            (Platform::Shopify, &shop),
            true,
        );
    }
    let woo_rows = data_rows(&woo)?;
    measure("read WooCommerce products", woo_rows, || {
        let table = TableFile::open(&woo, None)?;
        let mut reader =
            storeshift_connectors::files::woocommerce::products::ProductReader::new(table, "USD")?;
        let (p, v) = drain(&mut reader)?;
        Ok(((), format!("({p} products, {v} variants)")))
    })?;

    converted(
        &rt,
        "WooCommerce -> Shopify (read + write)",
        (Platform::WooCommerce, &woo_copy),
        (Platform::Shopify, &shop),
        true,
    )?;

    let shop_file: PathBuf = shop.join("products.csv");
    let shop_rows = data_rows(&shop_file)?;
    measure("read Shopify products", shop_rows, || {
        let mut reader = storeshift_connectors::files::shopify::ProductReader::new(
            shop_file.clone(),
            "USD".into(),
        );
        let (p, v) = drain(&mut reader)?;
        Ok(((), format!("({p} products, {v} variants)")))
    })?;

    converted(
        &rt,
        "Shopify -> WooCommerce (read + write)",
        (Platform::Shopify, &shop_file),
        (Platform::WooCommerce, &tmp.path().join("woo2")),
        true,
    )?;

    converted(
        &rt,
        "WooCommerce -> Shopify, read back",
        (Platform::WooCommerce, &woo_copy),
        (Platform::Shopify, &tmp.path().join("shopify-verified")),
        false,
    )?;
    converted(
        &rt,
        "Shopify -> WooCommerce, read back",
        (Platform::Shopify, &shop_file),
        (Platform::WooCommerce, &tmp.path().join("woo2-verified")),
        false,
    )?;
    Ok(())
}
