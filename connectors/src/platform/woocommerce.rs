//! WooCommerce facts: `/product/{slug}/`, nested `/product-category/{a}/{b}/`, UTF-8 slugs.

use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::WooCommerce,
    max_options: None,
    max_variants: None,
    max_handle_len: 200,
    ascii_handles: false,
};

pub fn url_path(entity: Entity, handle: &str, parents: &[String]) -> String {
    match entity {
        Entity::Categories => {
            let mut p = String::from("/product-category/");
            for parent in parents {
                p.push_str(parent);
                p.push('/');
            }
            p.push_str(handle);
            p.push('/');
            p
        }
        Entity::Products => format!("/product/{handle}/"),
        Entity::Pages => format!("/{handle}/"),
        Entity::BlogPosts => format!("/{}/", handle.rsplit('/').next().unwrap_or(handle)),
        Entity::Customers => "/my-account/".to_string(),
        Entity::Orders => "/my-account/orders/".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}

/// REST API root under the store URL.
pub const API_BASE: &str = "/wp-json/wc/v3";
/// Most objects one `/batch` request may carry (create + update + delete together).
pub const MAX_BATCH: usize = 100;
/// Largest `per_page` a list endpoint accepts.
pub const MAX_PER_PAGE: usize = 100;
/// Weight unit of a store unless the endpoint's `weight_unit` option says otherwise
/// (WooCommerce → Settings → Products → Weight unit).
pub const DEFAULT_WEIGHT_UNIT: &str = "kg";
/// Order statuses the REST API accepts (plugins may add more).
pub const ORDER_STATUSES: [&str; 7] = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
];
/// An order's `number` is read-only through the REST API (WooCommerce numbers orders by their
/// id); the source store's number travels in this meta key, the one storeshift looks orders
/// up by and reads back as the order's number.
pub const ORDER_NUMBER_META: &str = "storeshift_order_number";
/// The source's order date: `date_created` is read-only through the REST API.
pub const ORDER_CREATED_META: &str = "storeshift_created_at";
/// WordPress's own REST API root (pages), opened by an application password rather than the
/// WooCommerce consumer key.
pub const WP_API_BASE: &str = "/wp-json/wp/v2";

/// Fields WooCommerce's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("attributes", "the product CSV has no column for other platforms' extra fields (metafields, store settings)"),
            ("created_at", "the product CSV has no creation date"),
            ("images[].alt", "the Images column holds URLs only: alt texts are not carried"),
            ("product_type", "WooCommerce products have no product type"),
            ("variants[].cost", "WooCommerce has no cost price"),
            ("status", "WooCommerce has no archived status: archived products arrive as drafts"),
        ],
        Entity::Customers => &[(
            "addresses[].phone",
            "the customer file has one phone, the billing phone, which is the customer's own",
        )],
        _ => &[],
    }
}
