//! BigCommerce facts: `/{handle}/` URLs, 600 variants, and the v3 Admin API's shape and limits
//! (`/stores/{hash}/v3/`, `X-Auth-Token`, pages of ≤ 250, batch writes of ≤ 10, names of ≤ 250
//! and SKUs of ≤ 255 characters, a request window of 150 per 30 s on Standard).

use super::versions::{ApiVersions, VersionScheme};
use super::Facts;
use crate::model::{Entity, Platform, Variant};

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

/// The connector reads and writes the catalog and customers through v3; the v2 endpoints it
/// would otherwise use (products, customers) are superseded by v3 and not spoken.
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::BigCommerce,
    supported: &["v3"],
    default: "v3",
    scheme: VersionScheme::Numbered,
    why: "storeshift moves the catalog and customers through the v3 Admin API; their v2 endpoints are superseded",
};

pub const TOKEN_HEADER: &str = "X-Auth-Token";
/// Largest `limit` of a list request.
pub const MAX_PAGE_SIZE: usize = 250;
/// Most objects one batch write (PUT products, POST/PUT customers) may carry.
pub const MAX_BATCH: usize = 10;
/// Longest product name (Catalog API: `name` maxLength 250).
pub const MAX_NAME_LEN: usize = 250;
/// Longest SKU (Catalog API: product `sku` maxLength 255; the variant schema states none, and
/// variant and product SKUs share one namespace).
pub const MAX_SKU_LEN: usize = 255;
/// Longest category name (Catalog Trees API: category `name` maxLength 50, unique among its
/// siblings).
pub const MAX_CATEGORY_NAME_LEN: usize = 50;
/// Deepest category tree: "8 levels of child categories depth limit" (Create Categories).
pub const MAX_CATEGORY_DEPTH: usize = 9;
/// Customers v3 requires `first_name` and `last_name` (minLength 1) on every customer.
pub const CUSTOMER_NAMES_REQUIRED: bool = true;
/// Custom fields a product may have ("200 maximum custom fields per product") and the longest
/// name or value of one (`productCustomField_Base`: `name`, `value` maxLength 250, minLength 1).
pub const MAX_CUSTOM_FIELDS: usize = 200;
pub const MAX_CUSTOM_FIELD_LEN: usize = 250;
/// A product's sub-resources a read asks for (`include`): what the connector maps.
pub const PRODUCT_INCLUDE: &str = "variants,images,custom_fields";
/// Where a product's custom fields live in the canonical attributes, read from BigCommerce.
pub const CUSTOM_FIELD_ATTR: &str = "bigcommerce.custom_field:";

/// The product attributes BigCommerce shows as custom fields (name, value): its own custom fields
/// read from another BigCommerce store, and WooCommerce's product attributes that make no
/// variants (the "Additional information" a shopper sees, like BigCommerce's custom fields).
/// Attributes WooCommerce hides from the product page stay hidden; everything else in the
/// attributes is other platforms' settings, not shown to shoppers.
pub fn custom_fields(attributes: &std::collections::BTreeMap<String, String>) -> Vec<(&str, &str)> {
    use super::woocommerce as woo;
    attributes
        .iter()
        .filter_map(|(k, v)| {
            let name = match k.strip_prefix(CUSTOM_FIELD_ATTR) {
                Some(n) => n,
                None => {
                    let n = k.strip_prefix(woo::ATTRIBUTE_ATTR)?;
                    let hidden = attributes
                        .get(&format!("{}{n}", woo::ATTRIBUTE_VISIBLE_ATTR))
                        .is_some_and(|v| v.trim() == "0");
                    if hidden {
                        return None;
                    }
                    n
                }
            };
            Some((name, v.as_str()))
        })
        .filter(|(n, v)| !n.trim().is_empty() && !v.trim().is_empty())
        .collect()
}

/// Values per `sku:in` / `email:in` filter, so the request line stays well under the URL
/// lengths proxies accept.
pub const SKU_FILTER_CHUNK: usize = 50;

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
/// BigCommerce's product `type` (the product CSV's `Type`, the Catalog API's `type`): whether
/// a product ships is the product's, not a variant's. A product with any variant that needs
/// shipping is `physical`, so nothing that must be shipped is sold as a download; its virtual
/// variants then need shipping too ([`SHIPPING_PER_PRODUCT`]).
pub fn product_type(variants: &[Variant]) -> &'static str {
    if variants.is_empty() || variants.iter().any(|v| v.requires_shipping) {
        "physical"
    } else {
        "digital"
    }
}

/// Why a virtual variant of a product that also ships reads back as needing shipping.
pub const SHIPPING_PER_PRODUCT: &str = "BigCommerce's product type (physical or digital) is the product's: a product with a variant that needs shipping is physical, so its virtual variants need shipping too";

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

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "In the BigCommerce control panel: Channel Manager → the storefront → Domains → edit the primary domain and enter it.",
    "At the DNS provider: the CNAME for www and the A record for the apex with the values that Domains page shows for the store.",
    "BigCommerce provisions the TLS certificate once the records resolve; check the storefront answers on https.",
];
