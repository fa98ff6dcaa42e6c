//! Shopify facts: URL patterns and limits (3 options, 2,048 variants, 255-character handles).

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Shopify,
    max_options: Some(3),
    max_variants: Some(2048),
    max_handle_len: 255,
    ascii_handles: true,
};

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Categories => format!("/collections/{handle}"),
        Entity::Products => format!("/products/{handle}"),
        Entity::Pages => format!("/pages/{handle}"),
        // blog post handles are "blog/post" (see Record::external_key)
        Entity::BlogPosts => format!("/blogs/{handle}"),
        Entity::Customers => "/account".to_string(),
        Entity::Orders => "/account/orders".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}
