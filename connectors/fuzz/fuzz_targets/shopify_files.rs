//! Arbitrary bytes read as a Shopify products / customers / orders / redirects / collections
//! export must never panic the reader, whatever the page size or resume point. The first byte
//! picks the reader, whether a valid header is put in front (else the bytes are the whole file,
//! header included) and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::shopify::{
    CollectionReader, CollectionWriter, CustomerReader, CustomerWriter, OrderReader, OrderWriter,
    ProductReader, ProductWriter, RedirectReader, RedirectWriter,
};
use storeshift_connectors::files::{EntityReader, EntityWriter};

/// The older product header generation, which the writer no longer produces.
const LEGACY_PRODUCTS: &[u8] = b"Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,\
Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,\
Variant Compare At Price,Variant Barcode,Image Src,Image Position,Image Alt Text,SEO Title,\
SEO Description,Variant Image,Variant Weight Unit,Cost per item,Status,Material (product.metafields.custom.material)\n";

/// Shopify's own order export (the reader also takes Matrixify's layout, the writer's).
const NATIVE_ORDERS: &[u8] =
    b"Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,\
Shipping,Taxes,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,\
Lineitem price,Lineitem sku,Billing Name,Billing Address1,Billing City,Billing Zip,Billing Country,\
Shipping Name,Shipping Address1,Shipping City,Shipping Country,Tax 1 Name,Tax 1 Value,Id\n";

const KINDS: usize = 8;

fn reader(kind: usize, path: std::path::PathBuf, zoned: bool) -> (Vec<u8>, Box<dyn EntityReader>) {
    let usd = || "USD".to_string();
    // Order times without an offset are read on this zone's clock (else as UTC, with a finding).
    let zone = zoned
        .then(|| storeshift_connectors::model::parse_zone("Europe/Istanbul"))
        .flatten();
    match kind {
        0 => (
            ProductWriter::new(vec!["custom.material".into()], None).header(),
            Box::new(ProductReader::new(path, usd())),
        ),
        1 => (
            LEGACY_PRODUCTS.to_vec(),
            Box::new(ProductReader::new(path, usd())),
        ),
        2 => (
            CustomerWriter::new().header(),
            Box::new(CustomerReader::new(path)),
        ),
        3 => (
            OrderWriter::new().header(),
            Box::new(OrderReader::new(path, usd()).with_zone(zone)),
        ),
        4 => (
            NATIVE_ORDERS.to_vec(),
            Box::new(OrderReader::new(path, usd()).with_zone(zone)),
        ),
        5 => (
            RedirectWriter::new().header(),
            Box::new(RedirectReader::new(path)),
        ),
        6 => (
            CollectionWriter::new().header(),
            Box::new(CollectionReader::new(path)),
        ),
        _ => (Vec::new(), Box::new(ProductReader::new(path, usd()))),
    }
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
    // Kind 7 (and the high bit) give the bytes as the whole file, header included.
    let raw = sel & 0x80 != 0;
    let (header, mut reader) = reader(kind, path.clone(), sel & 0x40 != 0);
    let mut bytes = if raw { Vec::new() } else { header };
    bytes.extend_from_slice(body);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
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
