//! The layouts a mapped file is read as: a platform's export file of one entity, whose reader
//! reads the renamed columns. Each layout's field ↔ column table lives with its platform's
//! reader (`woocommerce::layout`, `shopify::layout`); this module only says which layouts a
//! proposal may choose and how a mapping's targets become that layout's columns.

use super::fields::Field;
use crate::model::{Entity, Platform};

/// A platform's export file of one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    pub platform: Platform,
    pub entity: Entity,
}

impl Layout {
    pub const fn new(platform: Platform, entity: Entity) -> Layout {
        Layout { platform, entity }
    }

    /// Products with a parent-reference per variation row (WooCommerce's product CSV): also
    /// the layout for one row per product.
    pub const WOO_PRODUCTS: Layout = Layout::new(Platform::WooCommerce, Entity::Products);
    /// Products whose rows are grouped by handle, one row per variant (Shopify's product CSV).
    pub const SHOPIFY_PRODUCTS: Layout = Layout::new(Platform::Shopify, Entity::Products);
    /// One row per customer with billing and shipping address columns.
    pub const WOO_CUSTOMERS: Layout = Layout::new(Platform::WooCommerce, Entity::Customers);
    /// One row per customer with a default address (Shopify's customer CSV).
    pub const SHOPIFY_CUSTOMERS: Layout = Layout::new(Platform::Shopify, Entity::Customers);
    /// One row per order line, grouped by order number (Shopify's admin order export).
    pub const SHOPIFY_ORDERS: Layout = Layout::new(Platform::Shopify, Entity::Orders);

    /// The layouts with a field table: what a proposal maps onto.
    pub const MAPPED: [Layout; 5] = [
        Layout::WOO_PRODUCTS,
        Layout::SHOPIFY_PRODUCTS,
        Layout::WOO_CUSTOMERS,
        Layout::SHOPIFY_CUSTOMERS,
        Layout::SHOPIFY_ORDERS,
    ];

    /// The layout's field table: which of its columns holds each canonical field.
    pub fn table(self) -> Option<&'static [(Field, &'static str)]> {
        use crate::files::{shopify, woocommerce};
        Some(match (self.platform, self.entity) {
            (Platform::WooCommerce, Entity::Products) => woocommerce::layout::PRODUCTS,
            (Platform::WooCommerce, Entity::Customers) => woocommerce::layout::CUSTOMERS,
            (Platform::Shopify, Entity::Products) => shopify::layout::PRODUCTS,
            (Platform::Shopify, Entity::Customers) => shopify::layout::CUSTOMERS,
            (Platform::Shopify, Entity::Orders) => shopify::layout::ORDERS,
            _ => return None,
        })
    }

    /// The layout's column for `field`, if it has one.
    pub fn column(self, field: Field) -> Option<&'static str> {
        self.table()?
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| *c)
    }

    /// Whether columns can be kept as extra attributes of the records (products can; the
    /// model has no extra attributes for customers and orders).
    pub fn keeps_attributes(self) -> bool {
        self.entity == Entity::Products
            && matches!(self.platform, Platform::WooCommerce | Platform::Shopify)
    }

    /// How `mapping` files name the layout (`woocommerce`, `shopify`, ...).
    pub fn key(self) -> &'static str {
        self.platform.key()
    }

    /// For people: "WooCommerce product CSV (a parent reference per variation row)".
    pub fn describe(self) -> String {
        let how = match (self.platform, self.entity) {
            (Platform::WooCommerce, Entity::Products) => {
                " (one row per product, variations name their parent)"
            }
            (Platform::Shopify, Entity::Products) => " (rows grouped by handle, one per variant)",
            (Platform::Shopify, Entity::Orders) => " (one row per order line, grouped by order)",
            (_, Entity::Customers) => " (one row per customer)",
            _ => "",
        };
        format!("{} {} file{how}", self.platform, self.entity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_names_fields_of_its_entity_once() {
        for layout in Layout::MAPPED {
            let table = layout.table().unwrap();
            for (i, (f, col)) in table.iter().enumerate() {
                assert!(f.fits(layout.entity), "{layout:?}: {} in {col}", f.key());
                assert!(
                    !table[..i].iter().any(|(g, _)| g == f),
                    "{layout:?}: {} twice",
                    f.key()
                );
            }
        }
    }
}
