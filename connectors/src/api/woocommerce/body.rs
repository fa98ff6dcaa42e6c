//! What the connector sends WooCommerce, as types (REST API v3 reference, the writable
//! properties of each resource; `sandbox/specs/woocommerce-rest-v3.openapi.json` holds them).
//!
//! A value the record does not have is left out (`skip_serializing_if`), never sent as `""`:
//! WooCommerce reads `""` as "set this to empty", which on an update erases what the store
//! had. The one deliberate empty is `sale_price`, whose `""` is WooCommerce's way to end a sale
//! (see [`SalePrice`]).

use serde::Serialize;

/// `POST …/batch`: at most `MAX_BATCH` objects in all; an empty list is left out.
#[derive(Debug, Clone, Serialize)]
pub struct Batch<C, U> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<C>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<WithId<U>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<u64>,
}

impl<C, U> Default for Batch<C, U> {
    fn default() -> Self {
        Batch {
            create: vec![],
            update: vec![],
            delete: vec![],
        }
    }
}

impl<C, U> Batch<C, U> {
    pub fn len(&self) -> usize {
        self.create.len() + self.update.len() + self.delete.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An update item of a batch: the record's id beside what changes.
#[derive(Debug, Clone, Serialize)]
pub struct WithId<T> {
    pub id: u64,
    #[serde(flatten)]
    pub body: T,
}

/// `meta_data[]` entry written (the reference types `value` as a string).
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub key: String,
    pub value: String,
}

/// `{ "id": … }`: a product's category or tag.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IdRef {
    pub id: u64,
}

/// `POST /products/tags` (in a batch): a tag the store lacks. A product names its tags by id
/// only ([`IdRef`]); WooCommerce ignores a product's tag given by name.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
}

/// An image WooCommerce fetches from `src` (a product's `images[]`, a variation's or a
/// category's `image`).
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub src: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// Options: `simple`, `grouped`, `external` and `variable`; storeshift writes two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductType {
    Simple,
    Variable,
}

/// Options: `draft`, `pending`, `private` and `publish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Private,
    Publish,
}

/// Options: `no`, `notify` and `yes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backorders {
    No,
    Notify,
}

/// The sale price: a price, or `""`, which ends a sale the store still runs (an update
/// that left it out would keep the old sale price).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SalePrice {
    Price(String),
    #[serde(serialize_with = "empty")]
    NoSale,
}

fn empty<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("")
}

/// What a simple product and a variation sell: SKU, prices, weight, stock.
#[derive(Debug, Clone, Serialize)]
pub struct Sellable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// GTIN/UPC/EAN/ISBN, WooCommerce 9.2 on (after the reference: WOOCOMMERCE-NOTES.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_unique_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regular_price: Option<String>,
    pub sale_price: SalePrice,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    pub manage_stock: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_quantity: Option<i64>,
    pub backorders: Backorders,
}

/// A product's `attributes[]` entry (a custom attribute, named, with its term names).
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub name: String,
    pub position: usize,
    pub visible: bool,
    pub variation: bool,
    pub options: Vec<String>,
}

/// `POST /products` (in a batch), and the update of one.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(rename = "type")]
    pub kind: ProductType,
    pub status: PostStatus,
    pub description: String,
    pub tags: Vec<IdRef>,
    pub categories: Vec<IdRef>,
    pub meta_data: Vec<Meta>,
    /// Left out when a first attempt's image could not be fetched: the product goes in
    /// without it rather than not at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<Image>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<Attribute>>,
    /// A simple product's own price and stock; a variable one keeps them on variations.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub sellable: Option<Sellable>,
}

/// A variation's `attributes[]` entry: the option it takes.
#[derive(Debug, Clone, Serialize)]
pub struct VariationAttribute {
    pub name: String,
    pub option: String,
}

/// `POST /products/<id>/variations/batch` items.
#[derive(Debug, Clone, Serialize)]
pub struct Variation {
    #[serde(flatten)]
    pub sellable: Sellable,
    pub attributes: Vec<VariationAttribute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
}

/// `POST /products/categories`, `PUT /products/categories/<id>`.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub name: String,
    /// Left out on updates: the slug stays as WordPress made it (a clash would refuse it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    pub parent: u64,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub menu_order: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
}

/// A customer's or an order's `billing` / `shipping`: only the parts the record has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Billing only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Billing only (the reference's shipping address has no phone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// `POST /customers/batch` items.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Address::is_empty")]
    pub billing: Address,
    #[serde(skip_serializing_if = "Address::is_empty")]
    pub shipping: Address,
}

/// A line item's `meta_data[]` entry ("Size" = "XL").
#[derive(Debug, Clone, Serialize)]
pub struct LineMeta {
    pub key: String,
    pub value: String,
}

/// An order's `line_items[]` entry, found by SKU (WOOCOMMERCE-NOTES.md: the reference calls
/// `sku` read-only; WooCommerce resolves the product by it).
#[derive(Debug, Clone, Serialize)]
pub struct LineItem {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub subtotal: String,
    pub total: String,
    pub meta_data: Vec<LineMeta>,
}

/// Options: `taxable` and `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaxStatus {
    None,
}

/// An order's `fee_lines[]` entry: a charge without a product.
#[derive(Debug, Clone, Serialize)]
pub struct FeeLine {
    pub name: String,
    pub total: String,
    pub tax_status: TaxStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShippingLine {
    pub method_title: String,
    pub method_id: String,
    pub total: String,
}

/// `POST /orders/batch` items. The lines and `set_paid` go with a create only: lines sent
/// again on an update would be added to the order.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub status: &'static str,
    pub currency: String,
    pub customer_id: u64,
    #[serde(skip_serializing_if = "Address::is_empty")]
    pub billing: Address,
    #[serde(skip_serializing_if = "Address::is_empty")]
    pub shipping: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_title: Option<String>,
    pub meta_data: Vec<Meta>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub lines: Option<OrderLines>,
}

/// What only a create carries.
#[derive(Debug, Clone, Serialize)]
pub struct OrderLines {
    pub set_paid: bool,
    pub line_items: Vec<LineItem>,
    pub fee_lines: Vec<FeeLine>,
    pub shipping_lines: Vec<ShippingLine>,
}

impl Order {
    /// The same order without what an update must not send.
    pub fn for_update(&self) -> Order {
        Order {
            lines: None,
            ..self.clone()
        }
    }
}

/// `POST /wp-json/wp/v2/pages` (WordPress's REST reference: Pages).
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub title: String,
    pub content: String,
    pub slug: String,
    pub status: PostStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_values_are_left_out_and_only_a_sale_is_ended_with_empty() {
        let s = Sellable {
            sku: None,
            global_unique_id: None,
            regular_price: Some("10".into()),
            sale_price: SalePrice::NoSale,
            weight: None,
            manage_stock: false,
            stock_quantity: None,
            backorders: Backorders::No,
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({ "regular_price": "10", "sale_price": "", "manage_stock": false, "backorders": "no" })
        );
        let c = Customer {
            email: "a@b.example".into(),
            first_name: None,
            last_name: Some("Lovelace".into()),
            billing: Address::default(),
            shipping: Address {
                city: Some("London".into()),
                ..Default::default()
            },
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({ "email": "a@b.example", "last_name": "Lovelace", "shipping": { "city": "London" } })
        );
    }

    #[test]
    fn batches_carry_only_the_lists_they_have_and_updates_their_ids() {
        let mut b: Batch<IdRef, Tag> = Batch::default();
        b.update.push(WithId {
            id: 7,
            body: Tag { name: "x".into() },
        });
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            json!({ "update": [{ "id": 7, "name": "x" }] })
        );
    }
}
