//! What Medusa's Admin API answers, as the connector reads it: one struct per reply shape, for
//! the fields the connector asks for (`fields=`). A field it needs and did not get is an error
//! naming the request and the field's path; a field Medusa may answer `null` for is an `Option`
//! that must still be present (`nullable`), so "not asked" and "empty" never look alike.
//! Amounts are read exactly (rust_decimal), never through a float.
//!
//! Schemas: Medusa's published Admin API reference (medusajs/medusa,
//! www/apps/api-reference/specs/admin, vendored in connectors/tests/data/medusa/spec); where the
//! running 2.21.2 engine answers differently, the engine wins and the struct says so.

use super::client::ApiError;
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Parses `body`, the reply to `what` (`GET /admin/...`); a mismatch names the path in it.
pub fn parse<T: DeserializeOwned>(what: &str, body: &Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        ApiError::Malformed(format!(
            "Medusa {what}: the reply does not match at `{}`: {}",
            e.path(),
            e.inner()
        ))
    })
}

/// A list reply: its rows under `key` and the `count` of every match (not only this page's).
pub fn list<T: DeserializeOwned>(
    what: &str,
    key: &str,
    body: &Value,
) -> Result<(Vec<T>, u64), ApiError> {
    #[derive(Deserialize)]
    struct Count {
        count: u64,
    }
    let Count { count } = parse(what, body)?;
    let rows = body
        .get(key)
        .ok_or_else(|| ApiError::Malformed(format!("Medusa {what}: the reply has no `{key}`")))?;
    let rows = serde_path_to_error::deserialize(rows).map_err(|e| {
        ApiError::Malformed(format!(
            "Medusa {what}: the reply does not match at `{key}{}{}`: {}",
            if e.path().to_string().starts_with('[') {
                ""
            } else {
                "."
            },
            e.path(),
            e.inner()
        ))
    })?;
    Ok((rows, count))
}

/// Present, possibly `null`: a missing field is an error (serde would make it `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

fn decimal_of<E: serde::de::Error>(v: &Value) -> Result<Decimal, E> {
    crate::api::amount_of(v)
        .map_err(E::custom)?
        .ok_or_else(|| E::custom(format!("expected a number, got {v}")))
}

/// An amount Medusa writes as a JSON number (or a numeric string), read exactly.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_of(&Value::deserialize(d)?)
}

/// A nullable amount.
fn decimal_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => decimal_of(&v).map(Some),
    }
}

/// A quantity: a whole number, which Medusa (BigNumber) may write as a float or a string.
fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = decimal_of::<D::Error>(&Value::deserialize(d)?)?;
    i64::try_from(n.trunc()).map_err(|_| D::Error::custom(format!("{n} is not a quantity")))
}

// ---------- identity replies ----------

/// `POST /auth/user/emailpass`.
#[derive(Debug, Deserialize)]
pub struct Login {
    pub token: String,
}

/// A row asked for with `fields=id`.
#[derive(Debug, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

/// `{"product": {...}}` and the like, after a create: only the id is read.
#[derive(Debug, Deserialize)]
pub struct CreatedProduct {
    pub product: IdOnly,
}

#[derive(Debug, Deserialize)]
pub struct CreatedCategory {
    pub product_category: IdOnly,
}

#[derive(Debug, Deserialize)]
pub struct CreatedCustomer {
    pub customer: IdOnly,
}

// ---------- categories ----------

/// A product category as read (`fields=id,name,handle,description,rank,parent_category_id,
/// updated_at`; the tree is read with the first four only).
#[derive(Debug, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub handle: String,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub rank: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub parent_category_id: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

// ---------- products ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Proposed,
    Published,
    Rejected,
}

/// A product as read with `PRODUCT_FIELDS`.
#[derive(Debug, Deserialize)]
pub struct Product {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub status: Status,
    #[serde(deserialize_with = "nullable")]
    pub description: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub created_at: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub metadata: Option<Map<String, Value>>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub categories: Vec<IdOnly>,
    pub images: Vec<Image>,
}

#[derive(Debug, Deserialize)]
pub struct ProductOption {
    pub id: String,
    pub title: String,
    pub values: Vec<OptionValue>,
}

#[derive(Debug, Deserialize)]
pub struct OptionValue {
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub struct Image {
    pub url: String,
    #[serde(deserialize_with = "nullable")]
    pub rank: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Variant {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub barcode: Option<String>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    #[serde(deserialize_with = "decimal_or_null")]
    pub weight: Option<Decimal>,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: Option<String>,
    pub options: Vec<VariantOption>,
    pub prices: Vec<Price>,
    /// Medusa links an inventory item to a variant only when it manages the variant's stock;
    /// a link that is not there is no stock to read, not a malformed reply.
    #[serde(default)]
    pub inventory_items: Vec<InventoryLink>,
}

/// A variant's value of one of the product's options.
#[derive(Debug, Deserialize)]
pub struct VariantOption {
    #[serde(deserialize_with = "nullable")]
    pub option_id: Option<String>,
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub struct Price {
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    pub currency_code: String,
}

/// A variant's link to its inventory item, with the item's levels per stock location.
#[derive(Debug, Deserialize)]
pub struct InventoryLink {
    pub inventory_item_id: String,
    /// Absent when the fields asked did not reach the item.
    #[serde(default)]
    pub inventory: Option<Inventory>,
}

#[derive(Debug, Deserialize)]
pub struct Inventory {
    pub location_levels: Vec<LocationLevel>,
}

#[derive(Debug, Deserialize)]
pub struct LocationLevel {
    pub location_id: String,
    #[serde(deserialize_with = "quantity")]
    pub stocked_quantity: i64,
}

/// A product found by handle (`fields=id,handle,*variants,...`): its id and variants' SKUs.
#[derive(Debug, Deserialize)]
pub struct ProductKeys {
    pub id: String,
    pub variants: Vec<VariantKeys>,
}

#[derive(Debug, Deserialize)]
pub struct VariantKeys {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
}

/// `GET /admin/products/{id}?fields=id,variants.sku,*variants.inventory_items...`.
#[derive(Debug, Deserialize)]
pub struct StockReply {
    pub product: StockProduct,
}

#[derive(Debug, Deserialize)]
pub struct StockProduct {
    pub variants: Vec<StockVariant>,
}

#[derive(Debug, Deserialize)]
pub struct StockVariant {
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
    #[serde(default)]
    pub inventory_items: Vec<InventoryLink>,
}

// ---------- customers ----------

/// A customer as read with `CUSTOMER_FIELDS` (and found by email, with fewer fields).
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    pub email: String,
    #[serde(default, deserialize_with = "nullable")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub updated_at: Option<String>,
    pub addresses: Vec<Address>,
}

#[derive(Debug, Deserialize)]
pub struct Address {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub last_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub company: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub address_1: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub address_2: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub city: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub province: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub postal_code: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub country_code: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub phone: Option<String>,
    pub is_default_shipping: bool,
    #[serde(deserialize_with = "nullable")]
    pub created_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    // Replies of a running Medusa 2.21.2 to the connector's own list requests.
    const PRODUCTS: &str = include_str!("../../../tests/data/medusa/products.json");
    const CATEGORIES: &str = include_str!("../../../tests/data/medusa/categories.json");
    const CUSTOMERS: &str = include_str!("../../../tests/data/medusa/customers.json");

    fn body(text: &str) -> Value {
        serde_json::from_str(text).expect("captured reply is JSON")
    }

    #[test]
    fn real_replies_parse() {
        let (products, count) =
            list::<Product>("list products", "products", &body(PRODUCTS)).expect("products");
        assert_eq!((products.len(), count), (2, 2));
        let shirt = &products[1];
        assert_eq!(shirt.status, Status::Published);
        assert_eq!(shirt.variants.len(), 3);
        assert_eq!(shirt.variants[0].prices[0].amount, Decimal::new(3, 0));
        let levels = &shirt.variants[0].inventory_items[0]
            .inventory
            .as_ref()
            .expect("inventory")
            .location_levels;
        assert_eq!(levels[0].stocked_quantity, 7);
        assert_eq!(
            products[0].variants[0].prices[0].amount,
            Decimal::new(1225, 2)
        );
        let (categories, _) =
            list::<Category>("list categories", "product_categories", &body(CATEGORIES))
                .expect("categories");
        assert_eq!(categories[0].handle, "shirts");
        assert_eq!(categories[0].parent_category_id, None);
        let (customers, _) =
            list::<Customer>("list customers", "customers", &body(CUSTOMERS)).expect("customers");
        assert_eq!(
            customers[0].addresses[0].country_code.as_deref(),
            Some("de")
        );
    }

    #[test]
    fn a_required_field_removed_is_named_with_its_path() {
        let mut b = body(PRODUCTS);
        if let Some(price) = b["products"][0]["variants"][0]["prices"][0].as_object_mut() {
            price.remove("amount");
        }
        let e = list::<Product>("list products (GET /admin/products)", "products", &b)
            .expect_err("amount is required");
        let m = e.message();
        assert!(m.contains("GET /admin/products"), "{m}");
        assert!(m.contains("products[0].variants[0].prices[0]"), "{m}");
        assert!(m.contains("missing field `amount`"), "{m}");

        // Nullable is not optional: a SKU left out is not a variant without one.
        let mut b = body(PRODUCTS);
        if let Some(v) = b["products"][1]["variants"][2].as_object_mut() {
            v.remove("sku");
        }
        let e = list::<Product>("list products", "products", &b).expect_err("sku is required");
        assert!(
            e.message().contains("products[1].variants[2]"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("`sku`"), "{}", e.message());

        let mut b = body(CUSTOMERS);
        if let Some(o) = b.as_object_mut() {
            o.remove("count");
        }
        let e = list::<Customer>("list customers", "customers", &b).expect_err("count");
        assert!(
            e.message().contains("missing field `count`"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn an_amount_is_read_exactly() {
        let p: Price = parse(
            "test",
            &serde_json::json!({"amount": 19.99, "currency_code": "usd"}),
        )
        .expect("price");
        assert_eq!(p.amount, Decimal::new(1999, 2));
        let e = parse::<Price>(
            "test",
            &serde_json::json!({"amount": "x", "currency_code": "usd"}),
        )
        .expect_err("not a number");
        assert!(e.message().contains("amount"), "{}", e.message());
    }
}
