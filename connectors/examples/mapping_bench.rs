//! What reading through a column mapping costs against reading the same data natively, on one
//! core: a generated WooCommerce product export read by the WooCommerce reader, then the same
//! export with every column renamed and the columns shuffled, read through a mapping that puts
//! each column back (the mapped path: a registered header, no per-row work); then a handmade
//! sheet's case, where the mapping adds columns to every row (an option name, the row type).
//! Also Shopify's product file, natively and renamed. Prints rows/s of wall and CPU time and the
//! overhead of each mapped read over its native one; asserts nothing.
//!
//! `cargo run --release -p storeshift-connectors --example mapping_bench -- 300000`
//! (the argument is the number of WooCommerce variation rows; default 100000).

use std::path::{Path, PathBuf};
use std::time::Instant;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::mapping::{file, ColumnMap, FileMapping, Target};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::spec::EndpointSpec;
use storeshift_connectors::synth::{SynthSpec, SynthStore};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Reads every record of `entity` from a files source; returns (records, variants, CPU s, wall s).
fn read(
    rt: &tokio::runtime::Runtime,
    spec: &EndpointSpec,
    entity: Entity,
) -> Res<(usize, usize, f64, f64)> {
    let (t, c) = (Instant::now(), cpu_seconds());
    let (records, variants) = rt.block_on(async {
        let mut src = storeshift_connectors::files::open_source(spec, Path::new("/"))?;
        let mut cursor: Option<Cursor> = None;
        let (mut records, mut variants) = (0, 0);
        loop {
            let page = src.read_page(entity, cursor.as_ref(), 1000).await?;
            for r in &page.records {
                records += 1;
                if let Record::Product(p) = r {
                    variants += p.variants.len();
                }
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => return Ok::<_, storeshift_connectors::ConnectorError>((records, variants)),
            }
        }
    })?;
    Ok((
        records,
        variants,
        cpu_seconds() - c,
        t.elapsed().as_secs_f64(),
    ))
}

fn spec(platform: Platform, file: &Path, mapping: Option<&Path>) -> EndpointSpec {
    let mut s = EndpointSpec::files(platform, PathBuf::new());
    s.path = None;
    s.files.insert(Entity::Products, file.to_path_buf());
    s.mapping = mapping.map(Path::to_path_buf);
    s
}

/// Writes `from` with its columns reversed and renamed, and the mapping that reads it back.
fn renamed(from: &Path, dir: &Path, layout: Platform) -> Res<(PathBuf, PathBuf)> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(from)?;
    let out = dir.join("renamed.csv");
    let mut w = csv::Writer::from_path(&out)?;
    let mut header: Vec<String> = vec![];
    for (n, rec) in r.records().enumerate() {
        let rec = rec?;
        if n == 0 {
            header = rec.iter().map(str::to_string).collect();
            let names: Vec<String> = (0..header.len())
                .rev()
                .map(|i| format!("column {i}"))
                .collect();
            w.write_record(&names)?;
            continue;
        }
        let row: Vec<&str> = (0..header.len())
            .rev()
            .map(|i| rec.get(i).unwrap_or(""))
            .collect();
        w.write_record(&row)?;
    }
    w.flush()?;
    let mapping = FileMapping {
        file: Some("renamed.csv".into()),
        entity: Entity::Products,
        layout,
        columns: (0..header.len())
            .rev()
            .map(|i| ColumnMap::new(format!("column {i}"), Target::Column(header[i].clone())))
            .collect(),
    };
    let m = dir.join("renamed.toml");
    std::fs::write(&m, file::render(&[mapping]))?;
    Ok((out, m))
}

fn line(label: &str, rows: u64, (records, variants, cpu, wall): (usize, usize, f64, f64)) -> f64 {
    println!(
        "{label:<44} {rows:>8} rows: {:>8.0} rows/s wall ({wall:>5.2} s), {:>8.0} rows/s per CPU second ({cpu:>5.2} s) ({records} products, {variants} variants)",
        rows as f64 / wall,
        rows as f64 / cpu.max(1e-9),
    );
    cpu
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

fn main() -> Res<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tmp = tempfile::tempdir()?;
    let woo_dir = tmp.path().join("woo");
    SynthStore::new(SynthSpec::bench(rows)).write_dir(&woo_dir)?;
    let woo = woo_dir.join("products.csv");
    let n = data_rows(&woo)?;

    // Each read twice, the first warming the page cache; the second is reported.
    let native_spec = spec(Platform::WooCommerce, &woo, None);
    read(&rt, &native_spec, Entity::Products)?;
    let native = line(
        "WooCommerce products, native",
        n,
        read(&rt, &native_spec, Entity::Products)?,
    );

    let mdir = tmp.path().join("mapped");
    std::fs::create_dir_all(&mdir)?;
    let (file_r, map_r) = renamed(&woo, &mdir, Platform::WooCommerce)?;
    let mapped_spec = spec(Platform::WooCommerce, &file_r, Some(&map_r));
    read(&rt, &mapped_spec, Entity::Products)?;
    let mapped = line(
        "WooCommerce products, renamed + mapped",
        n,
        read(&rt, &mapped_spec, Entity::Products)?,
    );
    println!(
        "  mapped read: {:+.1}% CPU against native",
        (mapped / native - 1.0) * 100.0
    );

    // Options named by the mapping: every row gets the option's name and an empty row type.
    let hdir = tmp.path().join("handmade");
    std::fs::create_dir_all(&hdir)?;
    let hand = hdir.join("sheet.csv");
    let mut w = csv::Writer::from_path(&hand)?;
    w.write_record(["name", "sku", "parent", "price", "color", "size", "stock"])?;
    let colors = ["Red", "Blue", "Green"];
    let sizes = ["S", "M", "L"];
    let mut written = 0u64;
    let mut p = 0;
    while written < n {
        let parent = format!("P{p}");
        w.write_record([format!("Product {p}").as_str(), &parent, "", "", "", "", ""])?;
        written += 1;
        for c in colors {
            for s in sizes {
                w.write_record([
                    format!("Product {p}").as_str(),
                    &format!("{parent}-{c}-{s}"),
                    &parent,
                    "19.90",
                    c,
                    s,
                    "4",
                ])?;
                written += 1;
            }
        }
        p += 1;
    }
    w.flush()?;
    let columns = |opt: bool| -> Vec<ColumnMap> {
        vec![
            ColumnMap::new(
                "name",
                Target::Field(storeshift_connectors::files::mapping::Field::ProductTitle),
            ),
            ColumnMap::new(
                "sku",
                Target::Field(storeshift_connectors::files::mapping::Field::VariantSku),
            ),
            ColumnMap::new(
                "parent",
                Target::Field(storeshift_connectors::files::mapping::Field::ProductParent),
            ),
            ColumnMap::new(
                "price",
                Target::Field(storeshift_connectors::files::mapping::Field::VariantPrice),
            ),
            ColumnMap::new(
                "color",
                if opt {
                    Target::Option(None)
                } else {
                    Target::Column("Attribute 1 value(s)".into())
                },
            ),
            ColumnMap::new(
                "size",
                if opt {
                    Target::Option(None)
                } else {
                    Target::Column("Attribute 2 value(s)".into())
                },
            ),
            ColumnMap::new(
                "stock",
                Target::Field(storeshift_connectors::files::mapping::Field::VariantInventory),
            ),
        ]
    };
    let hmap = hdir.join("sheet.toml");
    std::fs::write(
        &hmap,
        file::render(&[FileMapping {
            file: Some("sheet.csv".into()),
            entity: Entity::Products,
            layout: Platform::WooCommerce,
            columns: columns(true),
        }]),
    )?;
    // The same rows written as a WooCommerce export (names and row types in columns of their
    // own), read natively: what the handmade sheet's mapping saves the merchant from writing.
    let wdir = tmp.path().join("handmade-native");
    std::fs::create_dir_all(&wdir)?;
    let wnative = wdir.join("products.csv");
    {
        let mut r = csv::Reader::from_path(&hand)?;
        let mut w = csv::Writer::from_path(&wnative)?;
        w.write_record([
            "Name",
            "SKU",
            "Parent",
            "Regular price",
            "Attribute 1 value(s)",
            "Attribute 2 value(s)",
            "Stock",
            "Type",
            "Attribute 1 name",
            "Attribute 2 name",
        ])?;
        for rec in r.records() {
            let rec = rec?;
            let mut row: Vec<&str> = rec.iter().collect();
            row.extend(["", "color", "size"]);
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    let hn = data_rows(&hand)?;
    let nspec = spec(Platform::WooCommerce, &wnative, None);
    read(&rt, &nspec, Entity::Products)?;
    let native_h = line(
        "sheet as a WooCommerce export, native",
        hn,
        read(&rt, &nspec, Entity::Products)?,
    );
    let hspec = spec(Platform::WooCommerce, &hand, Some(&hmap));
    read(&rt, &hspec, Entity::Products)?;
    let mapped_h = line(
        "handmade sheet, mapped (3 added columns/row)",
        hn,
        read(&rt, &hspec, Entity::Products)?,
    );
    println!(
        "  mapped read: {:+.1}% CPU against native",
        (mapped_h / native_h - 1.0) * 100.0
    );

    // Shopify's product file, natively and renamed.
    let shop_dir = tmp.path().join("shopify");
    let out = storeshift_connectors::files::convert::ConvertOptions {
        skip_readback: true,
        ..Default::default()
    };
    rt.block_on(storeshift_connectors::files::convert::convert(
        Platform::WooCommerce,
        std::slice::from_ref(&woo),
        Platform::Shopify,
        &shop_dir,
        &out,
    ))?;
    let shop = shop_dir.join("products.csv");
    let sn = data_rows(&shop)?;
    let sspec = spec(Platform::Shopify, &shop, None);
    read(&rt, &sspec, Entity::Products)?;
    let native_s = line(
        "Shopify products, native",
        sn,
        read(&rt, &sspec, Entity::Products)?,
    );
    let sdir = tmp.path().join("shopify-mapped");
    std::fs::create_dir_all(&sdir)?;
    let (sfile, smap) = renamed(&shop, &sdir, Platform::Shopify)?;
    let smapped = spec(Platform::Shopify, &sfile, Some(&smap));
    read(&rt, &smapped, Entity::Products)?;
    let mapped_s = line(
        "Shopify products, renamed + mapped",
        sn,
        read(&rt, &smapped, Entity::Products)?,
    );
    println!(
        "  mapped read: {:+.1}% CPU against native",
        (mapped_s / native_s - 1.0) * 100.0
    );
    Ok(())
}
