//! Magento 2 facts: `/{url_key}.html` URLs, and the REST API's shape (`/rest/{store}/V1/`,
//! admin token then Bearer, `searchCriteria` paging that stops on `total_count` because a page
//! past the end repeats the last one).

use crate::model::Entity;

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Pages => format!("/{handle}"),
        _ => format!("/{handle}.html"),
    }
}

/// REST root of a store view (`default`, or `all` for global scope).
pub fn rest_base(store_code: &str) -> String {
    format!("/rest/{store_code}/V1")
}

/// Where an admin user trades username and password for a token.
pub const ADMIN_TOKEN_PATH: &str = "/rest/V1/integration/admin/token";

/// Page size the connector asks for; Magento accepts larger, but big pages of products with
/// media and custom attributes get slow.
pub const PAGE_SIZE: usize = 100;

/// Product status values.
pub const STATUS_ENABLED: i64 = 1;
pub const STATUS_DISABLED: i64 = 2;
/// Visibility: children of configurables are "Not Visible Individually".
pub const VISIBILITY_NOT_VISIBLE: i64 = 1;
pub const VISIBILITY_CATALOG_SEARCH: i64 = 4;

/// Import/export file names of System > Data Transfer, as the writers name them.
pub const CATALOG_PRODUCT_FILE: &str = "catalog_product.csv";
pub const ADVANCED_PRICING_FILE: &str = "advanced_pricing.csv";
pub const CUSTOMER_MAIN_FILE: &str = "customer_main.csv";
pub const CUSTOMER_ADDRESS_FILE: &str = "customer_address.csv";

/// The website every customer and price belongs to when the source names none.
pub const DEFAULT_WEBSITE: &str = "base";

/// advanced_pricing's website for a tier valid on every website: "All Websites [USD]", the
/// base currency in brackets.
pub const ALL_WEBSITES: &str = "All Websites";
/// advanced_pricing's customer group for a tier valid for every group.
pub const ALL_GROUPS: &str = "ALL GROUPS";
/// `tier_price_value_type`: a fixed unit price, or a percentage off the product's price.
pub const TIER_FIXED: &str = "Fixed";
pub const TIER_DISCOUNT: &str = "Discount";

/// Product attribute marking a product known only from advanced_pricing.csv (its SKU and tier
/// prices): a Magento target writes its tier prices alone, other targets refuse it.
pub const PRICING_ONLY: &str = "magento.pricing_only";

/// Splits a `tier_price_website` value into the website code (`None`: all websites) and the
/// currency in brackets, if any: "All Websites [USD]" gives (None, Some("USD")).
pub fn tier_website(value: &str) -> (Option<String>, Option<String>) {
    let v = value.trim();
    let (name, currency) = match v.rsplit_once('[') {
        Some((n, c)) if c.ends_with(']') => (n.trim(), Some(c.trim_end_matches(']').trim())),
        _ => (v, None),
    };
    let currency = currency.filter(|c| !c.is_empty()).map(str::to_string);
    if name.is_empty() || name.eq_ignore_ascii_case(ALL_WEBSITES) {
        (None, currency)
    } else {
        (Some(name.to_string()), currency)
    }
}
