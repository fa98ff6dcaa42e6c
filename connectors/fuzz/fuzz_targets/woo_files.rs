//! Arbitrary bytes read as a WooCommerce customers / orders / pages export, or as the product
//! file the category tree is read from, must never panic the reader, whatever the page size or
//! resume point. (Products have their own target, woo_products.) The first byte picks the
//! reader, whether a valid header is put in front (else the bytes are the whole file, header
//! included) and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::{Cursor, Result};
use storeshift_connectors::files::table::TableFile;
use storeshift_connectors::files::woocommerce::{categories, customers, open_table, orders, pages};
use storeshift_connectors::files::{EntityReader, EntityWriter};
use storeshift_connectors::model::{parse_zone, Zone};

const PRODUCTS: &[u8] = b"ID,Type,SKU,Name,Parent,Categories,Regular price\n";

const KINDS: usize = 4;

fn header(kind: usize) -> Vec<u8> {
    match kind {
        0 => customers::CustomerWriter::for_import().header(),
        1 => orders::OrderWriter::for_import().header(),
        2 => pages::PageWriter::for_import().header(),
        _ => PRODUCTS.to_vec(),
    }
}

fn reader(kind: usize, table: TableFile, zone: Option<Zone>) -> Result<Box<dyn EntityReader>> {
    Ok(match kind {
        0 => Box::new(customers::reader(table, zone)?),
        1 => Box::new(orders::reader(table, "USD", zone)?),
        2 => Box::new(pages::reader(table, zone)?),
        _ => Box::new(categories::CategoryReader::new(table)?),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("export.csv");
    let (sel, body) = match data.split_first() {
        Some((l, rest)) => (usize::from(*l), rest),
        None => (0, data),
    };
    let kind = sel % KINDS;
    let limit = sel / KINDS % 8 + 1;
    let raw = sel & 0x80 != 0;
    let mut bytes = if raw { Vec::new() } else { header(kind) };
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    // WooCommerce's guard comes off every cell; bit 6 gives the store a zone for its dates.
    let Ok(table) = open_table(&path, None) else {
        return;
    };
    let zone = (sel & 0x40 != 0).then(|| parse_zone("Europe/Istanbul")).flatten();
    let Ok(mut reader) = reader(kind, table, zone) else {
        return;
    };
    let mut cursor: Option<Cursor> = None;
    for _ in 0..10_000 {
        match reader.read_page(cursor.as_ref(), limit) {
            Ok(page) => match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            },
            Err(_) => break,
        }
    }
});
