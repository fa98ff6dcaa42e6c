//! Ikas facts: every storefront URL is `/{slug}` in one namespace shared by products,
//! categories and brands (and pages under `/pages/{slug}`), so a slug used by a category cannot
//! also be a product's. Slugs are lower-case ASCII (Turkish letters transliterated).

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Ikas,
    max_options: None,
    max_variants: None,
    max_handle_len: 255,
    ascii_handles: true,
};

/// Entities whose slugs share the one `/{slug}` namespace (brands too, which the canonical
/// model carries as a product's vendor).
pub const SHARED_SLUG_NAMESPACE: &[Entity] = &[Entity::Products, Entity::Categories];

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Pages => format!("/pages/{handle}"),
        Entity::BlogPosts => format!("/blog/{handle}"),
        _ => format!("/{handle}"),
    }
}

/// Admin API: client-credentials token from the store, then one GraphQL endpoint.
pub mod api {
    /// `POST {store}/api/admin/oauth/token` (form: grant_type=client_credentials, client_id,
    /// client_secret) → `{access_token, token_type, expires_in}`.
    pub const TOKEN_PATH: &str = "/api/admin/oauth/token";
    /// The Admin GraphQL endpoint (on `api.myikas.com` for live stores).
    pub const GRAPHQL_PATH: &str = "/api/v1/admin/graphql";
    /// Page size the connector asks `listProduct` for.
    pub const PAGE_LIMIT: u64 = 50;
    /// Largest `limit` a list query accepts.
    pub const MAX_LIMIT: u64 = 200;
}

use super::cells::{ImportFile, Strips};

/// What reads the file the Ikas writer produces.
pub const IMPORT_FILES: &[ImportFile] = &[ImportFile {
    file: "ikas_products.csv",
    importer: "Ikas admin: Ürünler > İçe Aktar",
    guard: None,
    strips: Strips::Nowhere,
    evidence: "Ikas documents no apostrophe handling for its product import; none written",
}];

use crate::files::dates::{Clock, DayOrder};

/// `Oluşturulma Tarihi` (created) in the product export is on the store's clock; Turkish dates
/// put the day first (`05.01.2024`).
pub const CREATED_CLOCK: Clock = Clock::Store;
pub const DAY_ORDER: DayOrder = DayOrder::DayFirst;
/// Fields Ikas's import file has no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("attributes", "the product file has no column for other platforms' extra fields (metafields, store settings)"),
            ("images[].alt", "the Resim URL column holds URLs only: alt texts are not carried"),
            ("variants[].image", "Ikas variants share the product's images"),
            ("variants[].weight", "the product file has desi (volume weight), not weight"),
            ("product_type", "Ikas products have no product type"),
            ("kind", "Ikas has no grouped or external products: they arrive as ordinary products"),
            ("status", "the product file has no archived status"),
            ("options[].values", "Ikas lists a variant type's values in the order the variants use them"),
            ("variants[].taxable", "Ikas sets taxes per product, not per variant"),
            ("variants[].allow_backorder", "the product file sets selling when out of stock per product"),
        ],
        _ => &[],
    }
}

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "In the ikas dashboard: Settings → Domains → add the domain and make it the primary domain.",
    "At the DNS provider: the records ikas lists for the domain (CNAME for www, A record for the apex).",
    "ikas issues the TLS certificate once the records resolve; check the storefront answers on https.",
];
