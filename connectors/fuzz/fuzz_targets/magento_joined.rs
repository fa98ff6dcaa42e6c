//! Magento's files that complete another one, joined to it: arbitrary bytes split between a
//! main file (customers, or the catalog) and its companion (customer addresses, or advanced
//! pricing) must never panic the join, whatever the page size or resume point. Each file is
//! also read alone. The first byte picks the pair and the page size, the second where the
//! bytes are split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::loaded::{Ctx, JoinFn, LoadedReader, ParseFn};
use storeshift_connectors::files::magento::{customers, pricing, products};
use storeshift_connectors::files::EntityReader;
use storeshift_connectors::model::Entity;

type Pair = (&'static [u8], &'static [u8], Entity, ParseFn, ParseFn, JoinFn);

const PAIRS: &[Pair] = &[
    (
        b"email,_website,_store,firstname,lastname,_address_street,_address_city,_address_telephone,_address_default_billing_\n",
        b"_website,_email,_entity_id,city,company,country_id,firstname,lastname,postcode,region,street,telephone,_address_default_billing_,_address_default_shipping_\n",
        Entity::Customers,
        customers::parse,
        customers::parse,
        customers::join_addresses,
    ),
    (
        b"sku,store_view_code,product_type,name,price,url_key,configurable_variations,configurable_variation_labels,additional_attributes\n",
        b"sku,tier_price_website,tier_price_customer_group,tier_price_qty,tier_price,tier_price_value_type\n",
        Entity::Products,
        products::parse,
        pricing::parse,
        pricing::join,
    ),
];

fn drain(mut reader: LoadedReader, limit: usize) {
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
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let (main_path, side_path) = (dir.path().join("main.csv"), dir.path().join("side.csv"));
    let (sel, cut, body) = match data {
        [a, b, rest @ ..] => (usize::from(*a), usize::from(*b), rest),
        _ => return,
    };
    let (main_h, side_h, entity, parse, parse_side, join) = PAIRS[sel % PAIRS.len()];
    let limit = sel / PAIRS.len() % 8 + 1;
    let split = if body.is_empty() { 0 } else { cut * body.len() / 256 };
    let (a, b) = body.split_at(split.min(body.len()));
    let write = |path: &std::path::Path, header: &[u8], rest: &[u8]| {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(rest);
        std::fs::write(path, &bytes).is_ok()
    };
    if !write(&main_path, main_h, a) || !write(&side_path, side_h, b) {
        return;
    }
    let ctx = Ctx::new("USD");
    drain(
        LoadedReader::new(entity, main_path.clone(), ctx.clone(), parse)
            .with_joins(vec![(side_path.clone(), join)]),
        limit,
    );
    drain(LoadedReader::new(entity, side_path, ctx, parse_side), limit);
});
