//! Ideasoft facts: storefront URLs `/urun/{slug}`, `/kategori/{slug}`, `/sayfa/{slug}` and
//! `/marka/{slug}` (ASCII slugs, Turkish letters transliterated), and the Admin API's shape:
//! `https://{store}.myideasoft.com/admin-api/...` with an OAuth2 bearer token from
//! `/oauth/v2/token`, list pages of at most 100 with the total in a `total_count` header,
//! prices as decimals in the product's currency (`price1`, with `discount`/`discountType`),
//! variants as child products (`parent`), at most 8 images per product uploaded as base64.
//!
//! Where each API fact comes from is written down in `sandbox/ideasoft.rs`.

use super::versions::{ApiVersions, VersionScheme};
use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Ideasoft,
    max_options: None,
    max_variants: None,
    max_handle_len: 255,
    ascii_handles: true,
};

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Categories => format!("/kategori/{handle}"),
        Entity::Pages => format!("/sayfa/{handle}"),
        _ => format!("/urun/{handle}"),
    }
}

/// The Admin API ("Ideashop API") is at 3.x, with no version in its paths; its own swagger
/// document says 3.0.0.
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::Ideasoft,
    supported: &["3"],
    default: "3",
    scheme: VersionScheme::Numbered,
    why: "Ideasoft's Admin API is the Ideashop API 3.x; earlier ones are not served",
};

/// The Admin API: paths, limits and value sets.
pub mod api {
    /// Every Admin API path starts here, under the store's own domain.
    pub const PREFIX: &str = "/admin-api";
    /// OAuth2 token endpoint (authorization code and refresh token grants), on the store domain.
    pub const TOKEN_PATH: &str = "/oauth/v2/token";
    /// Largest `limit` a list request accepts.
    pub const MAX_LIMIT: usize = 100;
    /// Response header carrying the number of records the list filters match.
    pub const TOTAL_COUNT_HEADER: &str = "total_count";
    /// A product shows at most this many images (`sortOrder` 1-8).
    pub const MAX_IMAGES: usize = 8;
    /// `stockTypeLabel` values the API accepts; `Piece` (adet) is the default unit.
    pub const STOCK_TYPES: &[&str] = &[
        "Piece", "cm", "Dozen", "gram", "kg", "Person", "Package", "metre", "m2", "pair",
    ];
    /// `discountType`: 1 = the discount is a percentage of `price1`, 0 = an amount off it.
    pub const DISCOUNT_PERCENT: i64 = 1;
    pub const DISCOUNT_AMOUNT: i64 = 0;
    /// The standard KDV rate (percent) Turkish prices include since July 2023; a product's
    /// `tax` other than this is worth carrying.
    pub const STANDARD_KDV: i64 = 20;
    /// Member `status` values; `active` is the one a migrated customer gets.
    pub const MEMBER_STATUSES: &[&str] = &["queue", "active", "passive", "suspended"];
}

/// Ideasoft names the Turkish lira `TL`; everything else by its ISO code.
pub fn currency_abbr(iso: &str) -> String {
    match iso.trim().to_ascii_uppercase().as_str() {
        "TRY" | "TRL" => "TL".to_string(),
        other => other.to_string(),
    }
}

/// The ISO 4217 code of an Ideasoft currency abbreviation (`TL` → `TRY`).
pub fn currency_iso(abbr: &str) -> String {
    match abbr.trim().to_ascii_uppercase().as_str() {
        "TL" | "YTL" => "TRY".to_string(),
        other => other.to_string(),
    }
}
