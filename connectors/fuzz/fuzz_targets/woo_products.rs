//! Arbitrary bytes after a WooCommerce product header must never panic the reader, whatever
//! the page size or resume point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::table::TableFile;
use storeshift_connectors::files::woocommerce::products::ProductReader;
use storeshift_connectors::files::EntityReader;

const HEADER: &[u8] = b"ID,Type,SKU,Name,Published,Parent,Regular price,Sale price,Stock,In stock?,\
Weight (lbs),Categories,Images,Attribute 1 name,Attribute 1 value(s),Attribute 2 name,Attribute 2 value(s),\
\"GTIN, UPC, EAN, or ISBN\",Meta: _yoast_wpseo_title\n";

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("products.csv");
    let (limit, body) = match data.split_first() {
        Some((l, rest)) => (usize::from(*l % 8) + 1, rest),
        None => (1, data),
    };
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let Ok(table) = TableFile::open(&path, None) else {
        return;
    };
    let Ok(mut reader) = ProductReader::new(table, "USD") else {
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
