//! Arbitrary bytes after a Vendure product import header (plain, or with `name:LANG`
//! translation columns and custom fields) must never panic the reader, whatever the page size
//! or resume point. The first byte picks the header and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::loaded::{Ctx, LoadedReader};
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::Entity;

const HEADERS: &[&str] = &[
    "name,slug,description,assets,facets,optionGroups,optionValues,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets\n",
    "name:en,name:de,slug:en,slug:de,description:en,description:de,assets,facets:en,facets:de,optionGroups:en,optionGroups:de,optionValues:en,optionValues:de,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets:en,variantFacets:de,product:keywords,product:localName:de,variant:weight\n",
];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("products.csv");
    let (sel, body) = match data.split_first() {
        Some((l, rest)) => (usize::from(*l), rest),
        None => (0, data),
    };
    let limit = sel / HEADERS.len() % 8 + 1;
    let mut bytes = HEADERS[sel % HEADERS.len()].as_bytes().to_vec();
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let mut reader = LoadedReader::new(
        Entity::Products,
        path,
        Ctx::new("USD"),
        storeshift_connectors::files::vendure::parse,
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
