//! BigCommerce facts: `/{handle}/` URLs, 600 variants, and the v3 Admin API's shape and limits
//! (`/stores/{hash}/v3/`, `X-Auth-Token`, pages of ≤ 250, batch writes of ≤ 10, a request
//! window of 150 per 30 s on Standard).

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::BigCommerce,
    max_options: None,
    max_variants: Some(600),
    max_handle_len: 255,
    ascii_handles: true,
};

pub fn url_path(_entity: Entity, handle: &str) -> String {
    format!("/{handle}/")
}

/// v3 API root of a store, under `https://api.bigcommerce.com`.
pub fn api_base(store_hash: &str) -> String {
    format!("/stores/{store_hash}/v3")
}

pub const TOKEN_HEADER: &str = "X-Auth-Token";
/// Largest `limit` of a list request.
pub const MAX_PAGE_SIZE: usize = 250;
/// Most objects one batch write (PUT products, POST/PUT customers) may carry.
pub const MAX_BATCH: usize = 10;

/// Requests per window by plan: Standard and Plus 150 per 30 s, Pro 450 per 30 s.
pub fn request_window(plan: &str) -> (u32, u32) {
    match plan.trim().to_ascii_lowercase().as_str() {
        "pro" | "enterprise" => (450, 30_000),
        _ => (150, 30_000),
    }
}

use super::cells::{ImportFile, Strips};

/// What reads the file the BigCommerce writer produces.
pub const IMPORT_FILES: &[ImportFile] = &[ImportFile {
    file: "products.csv",
    importer: "BigCommerce control panel: Products > Import",
    guard: None,
    strips: Strips::Nowhere,
    evidence: "BigCommerce documents no apostrophe handling for its product import; none \
               written",
}];

use crate::files::dates::{Clock, DayOrder};

/// `Order Date` in an order export is on the store's clock (Settings > Store Profile > Date and
/// timezone). Its export templates let the store choose the date format; a numeric date that
/// leaves day and month open is read month first, BigCommerce's US default.
pub const ORDER_DATE_CLOCK: Clock = Clock::Store;
pub const DAY_ORDER: DayOrder = DayOrder::MonthFirst;
