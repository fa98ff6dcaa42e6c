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
