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

/// Fields BigCommerce's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("attributes", "the product CSV has no column for other platforms' extra fields (metafields, store settings)"),
            ("created_at", "the product CSV has no creation date"),
            ("product_type", "BigCommerce products have no product type"),
            ("tags", "BigCommerce products have no tags"),
            ("kind", "BigCommerce's product file has no grouped or external products: they arrive as ordinary products"),
            ("status", "BigCommerce products are visible or not: archived products arrive hidden"),
            ("options[].values", "BigCommerce lists an option's values in the order the variants use them"),
            ("variants[].allow_backorder", "the product CSV has no backorder setting"),
        ],
        _ => &[],
    }
}
