//! Ideasoft Admin API (`{store}/admin-api/`, OAuth2 bearer), built on Ideasoft's own API
//! document: categories, products (variants are child products, options are option groups
//! and options, descriptions live in `product_details`), members, orders and pages as a
//! source, read with `sinceId` cursors in pages of at most 100; categories, products, members
//! and pages as a target, upserted by slug / SKU / e-mail so a repeated write updates instead
//! of duplicating. The request window the API announces in `X-RateLimit-*` is spent to the last
//! request, then waited out.
//!
//! ```toml
//! [target]
//! platform = "ideasoft"
//! kind = "api"
//! url = "https://STORE.myideasoft.com"
//! credentials = { token = "IDEASOFT_TOKEN" }
//! # or, to let storeshift renew the token (the refresh token rotates at every renewal and
//! # the current one is kept in options.token_file, mode 0600):
//! # credentials = { client_id = "IDEASOFT_CLIENT_ID", client_secret = "IDEASOFT_CLIENT_SECRET",
//! #                 refresh_token = "IDEASOFT_REFRESH_TOKEN" }
//! options = { tax_rate = 20, untracked_stock = 0, token_file = "ideasoft-tokens.json" }
//! ```
//!
//! `tax_rate` is the KDV percent for taxable products whose source names no rate;
//! `untracked_stock` the stock amount given to variants whose source tracks none;
//! `default_country` / `default_location` the country (ISO code) and city of members whose
//! address names none.
//!
//! Brands and categories are referenced by id: a product's brand is matched by name among
//! the store's brands (never created, so a rollback leaves nothing behind) and its categories
//! by path among the store's categories; what is missing becomes a finding.
//!
//! Images cannot move: Ideasoft takes them as uploaded base64 files and storeshift never
//! fetches image URLs, so each product with images gets a finding instead.

mod auth;
pub mod client;
mod members;
mod products;
mod source;
mod target;
pub mod types;
mod verify;

pub use client::default_token_file;
pub use source::IdeasoftSource;
pub use target::IdeasoftTarget;
pub use verify::IdeasoftVerifier;

use crate::platform::ideasoft::api::{DISCOUNT_AMOUNT, DISCOUNT_PERCENT};
use rust_decimal::Decimal;

/// Canonical (price, compare-at) from `price1`, `discount` and `discountType`: a discount
/// makes `price1` the compare-at price and the discounted amount the price.
pub fn prices_from(
    price1: Decimal,
    discount: Decimal,
    discount_type: i64,
) -> (Decimal, Option<Decimal>) {
    if discount <= Decimal::ZERO {
        return (price1, None);
    }
    let sale = if discount_type == DISCOUNT_PERCENT {
        (price1 * (Decimal::ONE_HUNDRED - discount.min(Decimal::ONE_HUNDRED))
            / Decimal::ONE_HUNDRED)
            .round_dp(2)
    } else {
        (price1 - discount).max(Decimal::ZERO)
    };
    (sale, Some(price1))
}

/// `(price1, discount, discountType)` for a canonical price and compare-at price: a
/// compare-at above the price becomes `price1` with the difference as an amount off.
pub fn prices_to(price: Decimal, compare_at: Option<Decimal>) -> (Decimal, Decimal, i64) {
    match compare_at {
        Some(c) if c > price => (c, c - price, DISCOUNT_AMOUNT),
        _ => (price, Decimal::ZERO, DISCOUNT_AMOUNT),
    }
}

/// An optional text, trimmed, empty when absent.
fn text(s: &Option<String>) -> String {
    s.as_deref().unwrap_or("").trim().to_string()
}
