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

/// Fields Magento 2's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("product_type", "Magento groups products by attribute set, not by a product type"),
            ("tags", "Magento products have no tags"),
            ("kind", "Magento has no grouped or external product in the catalog file storeshift writes: they arrive as simple products"),
            ("status", "Magento products are enabled or disabled: archived products arrive disabled"),
            ("options[].values", "Magento lists an option's values in the order the variants use them"),
        ],
        Entity::Customers => &[
            ("phone", "the customer file keeps phones on addresses only: the customer's phone is read back as the default address's"),
            ("tags", "the customer file has no tags"),
            ("marketing", "the customer file has no marketing consent: newsletter subscriptions are separate"),
            ("note", "the customer file has no note"),
        ],
        Entity::Categories => &[("image", "the category file storeshift writes has no image column")],
        Entity::Pages => &[("created_at", "the CMS page file has no creation date")],
        _ => &[],
    }
}
