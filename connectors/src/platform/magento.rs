//! Magento 2 facts: `/{url_key}.html` URLs, and the REST API's shape (`/rest/{store}/V1/`,
//! admin token then Bearer, `searchCriteria` paging that stops on `total_count` because a page
//! past the end repeats the last one).

use super::versions::{ApiVersions, VersionScheme};
use crate::model::{Entity, Platform};

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

/// Magento 2's REST API has one version, `V1` in every path (Magento 2.4's admin schema).
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::Magento,
    supported: &["V1"],
    default: "V1",
    scheme: VersionScheme::Numbered,
    why: "Magento 2's REST API has the one version V1",
};

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
