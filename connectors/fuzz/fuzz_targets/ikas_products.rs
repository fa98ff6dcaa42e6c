//! Arbitrary bytes after a Ikas product header must never panic the reader, whatever the page size or
//! resume point. The first byte picks the file kind and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::loaded::{Ctx, LoadedReader, ParseFn};
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::{parse_zone, Entity, Platform};

const KINDS: &[(&[u8], Entity, ParseFn)] = &[
    ("Ürün Grup ID,Varyant ID,İsim,Satış Fiyatı,İndirimli Fiyatı,Barkod Listesi,SKU,Silindi mi?,Kategoriler,Resim URL,Slug,Stok:A,Stok:B,Varyant Tip 1,Varyant Değer 1,Satış Kanalı:S\n".as_bytes(), Entity::Products, storeshift_connectors::files::ikas::parse),
];

/// The exporting platform (its guard comes off every cell) and, by bit 6 of `sel`, a store
/// zone for the dates (else UTC with a finding).
fn ctx(sel: usize) -> Ctx {
    let mut ctx = Ctx::new("USD");
    ctx.platform = Some(Platform::Ikas);
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
