//! Arbitrary bytes after a Medusa product CSV header (an export's or the import template's,
//! comma or semicolon separated) must never panic the reader, whatever the page size or resume
//! point. The first byte picks the header, the delimiter and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::loaded::{Ctx, LoadedReader};
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::Entity;

const HEADERS: &[&str] = &[
    "Product Id,Product Handle,Product Title,Product Status,Product Description,Product Thumbnail,Product Image 1,Product Image 2,Product Tag 1,Product Category 1,Product Metadata,Product Weight,Variant Id,Variant Sku,Variant Barcode,Variant Manage Inventory,Variant Allow Backorder,Variant Option 1 Name,Variant Option 1 Value,Variant Option 2 Name,Variant Option 2 Value,Variant Price EUR,Variant Price USD,Variant Price Test Region [USD],Variant Weight\n",
    "Product Id,Product Handle,Product Title,Product Tags,Product Type,Variant SKU,Variant Inventory Quantity,Price USD,Price Test region [USD],Option 1 Name,Option 1 Value,Image 1 Url\n",
];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("products.csv");
    let (sel, body) = match data.split_first() {
        Some((l, rest)) => (usize::from(*l), rest),
        None => (0, data),
    };
    let mut header = HEADERS[sel % HEADERS.len()].to_string();
    if sel / HEADERS.len() % 2 == 1 {
        header = header.replace(',', ";");
    }
    let limit = sel / 4 % 8 + 1;
    let mut bytes = header.into_bytes();
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let mut reader = LoadedReader::new(
        Entity::Products,
        path,
        Ctx::new("USD"),
        storeshift_connectors::files::medusa::parse,
    );
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
