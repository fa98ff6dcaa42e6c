//! Arbitrary bytes after a Magento products/customers/categories/pages/orders header must never panic the reader, whatever the page size or
//! resume point. The first byte picks the file kind and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::loaded::{Ctx, LoadedReader, ParseFn};
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::{parse_zone, Entity, Platform};

const KINDS: &[(&[u8], Entity, ParseFn)] = &[
    (b"sku,store_view_code,product_type,name,price,special_price,qty,weight,url_key,categories,base_image,additional_images,additional_image_labels,additional_attributes,configurable_variations,configurable_variation_labels\n", Entity::Products, storeshift_connectors::files::magento::products::parse),
    (b"email,_website,firstname,lastname,_address_street,_address_telephone,_address_default_billing_\n", Entity::Customers, storeshift_connectors::files::magento::customers::parse),
    (b"name,url_key,path,position\n", Entity::Categories, storeshift_connectors::files::magento::content::parse_categories),
    (b"title,identifier,content,is_active,meta_keywords\n", Entity::Pages, storeshift_connectors::files::magento::content::parse_pages),
    (b"ID,Purchase Date,Grand Total (Purchased),Subtotal,Shipping and Handling,Status\n", Entity::Orders, storeshift_connectors::files::magento::orders::parse),
];

/// The exporting platform (its guard comes off every cell) and, by bit 6 of `sel`, a store
/// zone for the dates (else UTC with a finding).
fn ctx(sel: usize) -> Ctx {
    let mut ctx = Ctx::new("USD");
    ctx.platform = Some(Platform::Magento);
    ctx.zone = (sel & 0x40 != 0).then(|| parse_zone("America/New_York")).flatten();
    ctx
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("export.csv");
    let (sel, body) = match data.split_first() {
        Some((l, rest)) => (usize::from(*l), rest),
        None => (0, data),
    };
    let (header, entity, parse) = KINDS[sel % KINDS.len()];
    let limit = sel / KINDS.len() % 8 + 1;
    let mut bytes = header.to_vec();
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let mut reader = LoadedReader::new(entity, path, ctx(sel), parse);
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
