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
