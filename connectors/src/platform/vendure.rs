//! Vendure 3 facts, checked against a running 3.7.3 server.
//!
//! - Prices are integers in the channel's currency (the default channel is USD) holding
//!   `MoneyStrategy.precision` decimal places: 2 by default for every currency (¥1,500 is
//!   150000), configurable since 2.2 and published as `serverConfig.moneyStrategyPrecision`,
//!   which the connector reads. A decimal sent anyway is rounded silently (19.99 becomes 20), so
//!   the connector always sends `Money::minor_units`. Negative and huge prices are accepted: Vendure does not validate them.
//! - Slugs are not enforced unique: a taken slug is silently renamed (`dup` becomes `dup-2`), so
//!   the connector looks up by slug first and refuses a product whose slug came back changed.
//!   SKUs are not enforced unique either. Two variants of one product with the same option values
//!   are rejected ("A ProductVariant with the selected options already exists").
//! - Customers: emails are stored in lower case ("Grace.Hopper@Example.com" comes back as
//!   "grace.hopper@example.com"); the email is enforced unique (`EmailAddressConflictError`); first and last name are
//!   required (empty strings accepted); an address needs `streetLine1` and a known country code
//!   ("The countryCode \"ZZ\" was not recognized").
//! - Images are assets made from the file itself (an upload to `createAssets`); storeshift never
//!   fetches image URLs, so images are not moved into Vendure.
//! - Not carried by the connector: vendor, product type, tags, barcode, weight, compare-at price,
//!   cost, SEO fields (Vendure core has no such fields; custom fields would be needed).
//! - No storefront ships with Vendure; its storefront starters serve `/products/{slug}` and
//!   `/collections/{slug}`.
//! - Orders cannot be imported with their history through the Admin API.
//! - sql.js (the SQLite build the test server uses) runs one query at a time, yet a few requests in
//!   flight still help: Node parses and validates the next GraphQL request while the database
//!   works. Measured (engine_bench, 2 cores under load, products/s): 1 → 5.3, 2 → 6.0, 4 → 8.4,
//!   8 → 5.7.

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Vendure,
    max_options: None,
    max_variants: None,
    max_handle_len: 255,
    ascii_handles: true,
};

/// Records written at once by the target (see `connectors/examples/engine_bench.rs`).
pub const CONCURRENCY: usize = 4;

/// Largest page the source asks for (Vendure's default `adminListQueryLimit` is 1000).
pub const PAGE_LIMIT: usize = 100;

/// What the Admin API can take: orders cannot be imported with their history, and Vendure core
/// has no pages or redirects.
pub const LOADS: [Entity; 3] = [Entity::Categories, Entity::Products, Entity::Customers];

pub const ORDERS_NOT_IMPORTABLE: &str = "Vendure's Admin API cannot import an order with its history: \
draft orders get a new code, today's date and no payments. Move orders with a Vendure plugin or keep them in the old store's export";

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Categories => format!("/collections/{handle}"),
        Entity::Products => format!("/products/{handle}"),
        Entity::Pages => format!("/{handle}"),
        Entity::BlogPosts => format!("/blog/{}", handle.rsplit('/').next().unwrap_or(handle)),
        Entity::Customers => "/account".to_string(),
        Entity::Orders => "/account/history".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}

/// Product import CSV facts (Vendure's `ImportParser`, packages/core/src/data-import), checked
/// against Vendure's own fixtures:
///
/// - Every column below is required (`stockOnHand` and `trackInventory` are optional); a product
///   starts at a row whose `name` is filled, and the rows after it are its further variants.
/// - `price` is in major units (45.3 is 45.30; the importer multiplies by 100).
/// - Translatable columns may instead appear once per language (`name:en`, `name:de`); a file
///   may not have both forms of one column, and every language must have every translated one.
/// - `facets`, `variantFacets`: `facet:value` pairs separated by `|`; `assets` and
///   `variantAssets`: file names (in the importer's asset folder) or URLs separated by `|`.
/// - A column `product:x` or `variant:x` must name a custom field the server defines, or the
///   whole file is refused.
pub mod csv {
    /// The columns of an import file, in Vendure's order.
    pub const COLUMNS: &[&str] = &[
        "name",
        "slug",
        "description",
        "assets",
        "facets",
        "optionGroups",
        "optionValues",
        "sku",
        "price",
        "taxCategory",
        "stockOnHand",
        "trackInventory",
        "variantAssets",
        "variantFacets",
    ];
    /// Columns the importer refuses a file without.
    pub const REQUIRED: &[&str] = &[
        "name",
        "slug",
        "description",
        "assets",
        "facets",
        "optionGroups",
        "optionValues",
        "sku",
        "price",
        "taxCategory",
        "variantAssets",
        "variantFacets",
    ];
    /// Columns that can be given per language.
    pub const TRANSLATABLE: &[&str] = &[
        "name",
        "slug",
        "description",
        "facets",
        "optionGroups",
        "optionValues",
        "variantFacets",
    ];
    /// The language of the product's own texts when a file has several (a server's default).
    pub const DEFAULT_LANGUAGE: &str = "en";
    /// Target options: the main language, and the other languages to give columns.
    pub const LANGUAGE_OPTION: &str = "language";
    pub const LANGUAGES_OPTION: &str = "languages";
    /// The tax category Vendure's default setup and fixtures use.
    pub const DEFAULT_TAX_CATEGORY: &str = "standard";
    /// Facet names storeshift reads into canonical fields (compared in lower case).
    pub const FACET_BRAND: &str = "brand";
    pub const FACET_TYPE: &str = "type";
    pub const FACET_CATEGORY: &str = "category";
    pub const FACET_TAG: &str = "tag";
    /// How a category path is written in one facet value.
    pub const PATH_SEPARATOR: &str = " > ";
    /// Product attribute prefix for what has no canonical field.
    pub const ATTR: &str = "vendure.";
}

/// Fields Vendure's product import file has no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            (
                "kind",
                "Vendure has one product kind: variants make a product variable",
            ),
            ("seo", "Vendure core has no SEO fields"),
            ("created_at", "Vendure's import dates a product itself"),
            ("variants[].barcode", "Vendure core has no barcode field"),
            ("variants[].weight", "Vendure core has no weight field"),
            (
                "variants[].compare_at_price",
                "Vendure core has no compare-at price",
            ),
            ("variants[].cost", "Vendure core has no cost price"),
            (
                "variants[].requires_shipping",
                "Vendure decides shipping by shipping method, not per variant",
            ),
            (
                "variants[].taxable",
                "Vendure decides taxes by tax category and zone, not per variant",
            ),
            (
                "variants[].allow_backorder",
                "Vendure's product import has no backorder column",
            ),
            (
                "images[].alt",
                "Vendure's product import has no image alt text",
            ),
        ],
        _ => &[],
    }
}

use super::cells::{ImportFile, Strips};

/// What reads the file the Vendure writer produces.
pub const IMPORT_FILES: &[ImportFile] = &[ImportFile {
    file: "products.csv",
    importer: "Vendure's Importer (populate / the import CLI)",
    guard: None,
    strips: Strips::Nowhere,
    evidence: "vendure-ecommerce/vendure packages/core/src/data-import/providers/import-parser: \
               csv-parse takes cells as read; none written",
}];

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "At the DNS provider: A/AAAA (or CNAME) records for the apex and www pointing to the host serving the Vendure storefront; the Shop API's own host name if it has one.",
    "Set the storefront's base URL and the Vendure server's CORS origin and asset URL prefix to the domain, then restart both.",
    "Install the TLS certificate for the domain on the storefront's host.",
];
