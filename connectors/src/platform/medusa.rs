//! Medusa v2 facts, checked against a running 2.21.2 server.
//!
//! - Prices in the Admin API are decimal numbers in MAJOR units (`"amount": 19.99` is $19.99) —
//!   unlike Medusa v1, which took minor units. Currency codes are lower case (`usd`). A missing or
//!   non-numeric amount is rejected ("Field 'variants, 0, prices, 0, amount' is required");
//!   negative amounts are accepted.
//! - Handles are enforced unique ("Product with handle: tee, already exists."), so are SKUs across
//!   all products ("Product variant with sku: T-S, already exists.") and category handles.
//! - Updating a product with a `variants` list replaces the variant set (variants left out are
//!   deleted) and `options` can no longer be sent to the product update (removed in 2.16.0): the
//!   connector updates variants one by one through `/admin/products/{id}/variants/{id}`.
//! - Customer emails are NOT unique for customers made by an admin (`has_account: false`) and are
//!   compared case-sensitively, so the connector searches (`q=`) and matches case-insensitively.
//!   Address country codes are not validated.
//! - Image URLs are stored as given and never downloaded; the first is the thumbnail; there is no
//!   alt text.
//! - Stock lives on inventory items per stock location; a fresh store has no stock location, so
//!   quantities need one (the connector uses the first, or option `stock_location_id`). Products
//!   are published in the first sales channel (or option `sales_channel_id`): without one a
//!   storefront does not show them.
//! - Product `metadata` carries the source's extra attributes, plus the option order (see
//!   [`OPTION_ORDER_KEY`]) and variant order ([`VARIANT_ORDER_KEY`]).
//! - Not carried by the connector: vendor, product type and tags (separate Medusa entities a
//!   rollback would leave behind), compare-at price, cost, SEO fields.
//! - Deleting a product or a customer is a soft delete; the handle becomes free again.
//! - The Next.js storefront starter serves `/{country}/products/{handle}` and
//!   `/{country}/categories/{parent}/{child}`; it redirects paths without the country prefix, so
//!   redirects point at the prefix-less path.
//! - Orders cannot be imported with their history: draft orders get a new display id, today's
//!   date and no payment.

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Medusa,
    max_options: None,
    max_variants: None,
    max_handle_len: 255,
    ascii_handles: true,
};

/// Records written at once by the target. Measured (engine_bench, 2 cores under load, products
/// with 2 variants and stock per second): 1 → 3.0, 2 → 4.3, 4 → 4.3, 8 → 4.0; Medusa and its
/// PostgreSQL share the cores, so more in flight only queues.
pub const CONCURRENCY: usize = 4;

/// What the Admin API can take: orders cannot be imported with their history, and Medusa has no
/// pages or redirects.
pub const LOADS: [Entity; 3] = [Entity::Categories, Entity::Products, Entity::Customers];

/// Product metadata key holding the option names in their source order: Medusa returns a
/// product's options in no defined order, and option order is what variant titles and other
/// platforms' Option1/Option2 columns follow.
pub const OPTION_ORDER_KEY: &str = "storeshift_option_order";

/// Product metadata key holding the variants' SKUs in source order: Medusa gives every variant
/// made with the product the same rank and returns them in no defined order.
pub const VARIANT_ORDER_KEY: &str = "storeshift_variant_order";

/// Largest page the source asks for.
pub const PAGE_LIMIT: usize = 100;

pub const ORDERS_NOT_IMPORTABLE: &str = "Medusa's Admin API cannot import an order with its history: \
draft orders get a new display id, today's date and no payment. Move orders with a custom Medusa workflow or keep them in the old store's export";

/// `parents` are the handles of the parent categories, root first.
pub fn url_path(entity: Entity, handle: &str, parents: &[String]) -> String {
    match entity {
        Entity::Categories => {
            let mut p = String::from("/categories/");
            for parent in parents {
                p.push_str(parent);
                p.push('/');
            }
            p.push_str(handle);
            p
        }
        Entity::Products => format!("/products/{handle}"),
        Entity::Pages => format!("/{handle}"),
        Entity::BlogPosts => format!("/blog/{}", handle.rsplit('/').next().unwrap_or(handle)),
        Entity::Customers => "/account".to_string(),
        Entity::Orders => "/account/orders".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}

/// Medusa stores weights as bare numbers; the connector and the files read and write grams.
pub const WEIGHT_UNIT: crate::model::WeightUnit = crate::model::WeightUnit::G;

/// Product CSV facts (Medusa 2.x admin: Products > Export, Products > Import, and the import
/// template the admin offers), checked against Medusa's own fixtures and CSV normalizer:
///
/// - One row per variant; rows of one product share `Product Id` (an export) or `Product Handle`
///   (a new product). Column names are matched without regard to case ("Variant Sku" in exports,
///   "Variant SKU" in the template). Exports come comma or semicolon separated.
/// - Prices are `Variant Price <ISO>` (or `Variant Price [<region>] <ISO>`; older exports
///   `Variant Price <region> [<ISO>]`) in major units (29.5 is 29.50). The 1.x-style template
///   (`Price EUR`, `Option 1 Name`, `Image 1 Url`, `Variant Inventory Quantity`, `Product Tags`)
///   is still read.
/// - Options are `Variant Option N Name` / `Variant Option N Value`; images `Product Image N`
///   (`Product Image N Url` in the template).
/// - The importer rejects a file with any column it does not know, and takes tags, types,
///   collections, categories, sales channels and shipping profiles by the id of a record that
///   must already exist in the store: names cannot be imported.
/// - Stock levels are not in the product CSV (they live in the inventory module).
pub mod csv {
    /// Statuses a product can have.
    pub const STATUS_PUBLISHED: &str = "published";
    pub const STATUS_DRAFT: &str = "draft";
    pub const STATUS_PROPOSED: &str = "proposed";
    pub const STATUS_REJECTED: &str = "rejected";
    /// Options and images the import file has columns for at least; more are added when the
    /// first records written need them.
    pub const MIN_OPTIONS: usize = 3;
    pub const MIN_IMAGES: usize = 5;
    /// Product attribute prefix for the fields of a Medusa product the canonical model has no
    /// field for (`medusa.subtitle`, `medusa.collection_id`, ...).
    pub const ATTR: &str = "medusa.";
}

/// Fields Medusa's product import file has no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    const BY_ID: &str =
        "Medusa's product import takes it only as the id of a record already in the store";
    match entity {
        Entity::Products => &[
            (
                "kind",
                "Medusa has one product kind: variants make a product variable",
            ),
            ("vendor", "Medusa's product CSV has no vendor column"),
            ("product_type", BY_ID),
            ("tags", BY_ID),
            ("categories", BY_ID),
            ("seo", "Medusa's product CSV has no SEO columns"),
            ("created_at", "Medusa's import dates a product itself"),
            (
                "variants[].inventory",
                "Medusa's product CSV has no stock levels (they live in its inventory module)",
            ),
            (
                "variants[].compare_at_price",
                "Medusa keeps sale prices in price lists, not on the variant",
            ),
            ("variants[].cost", "Medusa has no cost price"),
            (
                "variants[].image",
                "Medusa's product CSV has no variant images",
            ),
            (
                "variants[].requires_shipping",
                "Medusa decides shipping by shipping profile, not per variant",
            ),
            (
                "variants[].taxable",
                "Medusa decides taxes by region, not per variant",
            ),
            ("images[].alt", "Medusa images have no alt text"),
        ],
        _ => &[],
    }
}

use super::cells::{ImportFile, Strips};

/// What reads the file the Medusa writer produces.
pub const IMPORT_FILES: &[ImportFile] = &[ImportFile {
    file: "products.csv",
    importer: "Medusa admin: Products > Import (the product import workflow)",
    guard: None,
    strips: Strips::Nowhere,
    evidence: "medusajs/medusa packages/core/core-flows product import: cells are parsed as \
               read (its own export writes no guard); none written",
}];

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "At the DNS provider: A/AAAA (or CNAME) records for the apex and www pointing to the host serving the Medusa storefront; the API's own host name if it has one.",
    "Set the storefront's base URL and the Medusa server's STORE_CORS (and AUTH_CORS) to https://DOMAIN, then restart both.",
    "Install the TLS certificate for the domain on the storefront's host.",
];
