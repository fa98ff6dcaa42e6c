//! BigCommerce's request and reply bodies as types, after the published OpenAPI documents
//! (Catalog products, variants and brands; Customers v3). A reply field the client needs is a
//! plain field, so its absence is an error naming endpoint and field; every other field is an
//! `Option`. Request bodies leave out what the record does not have instead of sending `""`,
//! which the documents refuse wherever they give a `minLength`.

use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Parses a reply body into `T`; what is missing or malformed is named by its path.
pub fn parse<T: DeserializeOwned>(endpoint: &str, body: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        format!(
            "BigCommerce {endpoint}: the reply does not match the API's schema at `{path}`: {}",
            e.inner()
        )
    })
}

/// A money or weight amount: the API writes JSON numbers; a string is read too, exactly.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(v) => crate::api::amount_of(&v).map_err(D::Error::custom),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pagination {
    pub total: u64,
    pub current_page: u64,
    pub total_pages: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

/// `{ data: [...], meta: { pagination } }`.
#[derive(Debug, Deserialize)]
pub struct Collection<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub meta: Meta,
}

impl<T> Collection<T> {
    /// Whether another page follows this one.
    pub fn has_more(&self) -> bool {
        self.meta
            .pagination
            .as_ref()
            .is_some_and(|p| p.current_page < p.total_pages)
    }
}

/// A record listed by id only (finding deletions).
#[derive(Debug, Clone, Deserialize)]
pub struct IdOnly {
    pub id: u64,
}

/// `{ data: {...} }`.
#[derive(Debug, Deserialize)]
pub struct Single<T> {
    pub data: T,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomUrl {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OptionValue {
    #[serde(default)]
    pub option_display_name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VariantReply {
    pub id: u64,
    #[serde(default)]
    pub product_id: Option<u64>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub sale_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub cost_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub weight: Option<Decimal>,
    #[serde(default)]
    pub inventory_level: Option<i64>,
    #[serde(default)]
    pub upc: Option<String>,
    #[serde(default)]
    pub gtin: Option<String>,
    #[serde(default)]
    pub option_values: Vec<OptionValue>,
    /// The variant's own image, when it has one.
    #[serde(default)]
    pub image_url: Option<String>,
}

/// A product's custom field (`include=custom_fields`).
#[derive(Debug, Clone, Deserialize)]
pub struct CustomFieldReply {
    pub id: u64,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImageReply {
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub url_zoom: Option<String>,
    #[serde(default)]
    pub url_standard: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sort_order: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductReply {
    pub id: u64,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub sale_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub cost_price: Option<Decimal>,
    #[serde(default)]
    pub inventory_level: Option<i64>,
    #[serde(default)]
    pub inventory_tracking: Option<String>,
    #[serde(default)]
    pub is_visible: Option<bool>,
    #[serde(default)]
    pub brand_id: Option<u64>,
    #[serde(default)]
    pub upc: Option<String>,
    #[serde(default)]
    pub gtin: Option<String>,
    #[serde(default)]
    pub custom_url: Option<CustomUrl>,
    #[serde(default)]
    pub page_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    /// When the store last changed the record (ISO 8601): the sync window's clock.
    #[serde(default)]
    pub date_modified: Option<String>,
    #[serde(default)]
    pub variants: Option<Vec<VariantReply>>,
    #[serde(default)]
    pub images: Option<Vec<ImageReply>>,
    /// Ids of the categories (of any tree) the product is in.
    #[serde(default)]
    pub categories: Option<Vec<u64>>,
    #[serde(default)]
    pub custom_fields: Option<Vec<CustomFieldReply>>,
}

/// What a look-up by handle reads (`include_fields=custom_url`).
#[derive(Debug, Clone, Deserialize)]
pub struct ProductUrl {
    pub id: u64,
    #[serde(default)]
    pub custom_url: Option<CustomUrl>,
}

/// What a look-up by SKU or name reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductKey {
    pub id: u64,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /catalog/variants?sku=`: the variant and the product it belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct VariantKey {
    pub product_id: u64,
    #[serde(default)]
    pub sku: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Brand {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddressReply {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state_or_province: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerReply {
    pub id: u64,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    /// When the store last changed the record (ISO 8601): the sync window's clock.
    #[serde(default)]
    pub date_modified: Option<String>,
    #[serde(default)]
    pub addresses: Option<Vec<AddressReply>>,
}

/// A customer as a look-up reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerKey {
    pub id: u64,
    pub email: String,
}

// ---- request bodies ----

fn is_false(b: &bool) -> bool {
    !*b
}

/// Amounts go out as JSON numbers, as the documents type them (rust_decimal's own serializer
/// writes strings). Shortest round-trip formatting keeps 19.99 as 19.99.
fn number<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    match d.to_f64() {
        Some(f) => s.serialize_f64(f),
        None => Err(serde::ser::Error::custom(format!(
            "{d} is not a number BigCommerce takes"
        ))),
    }
}

fn number_opt<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => number(d, s),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UrlBody {
    pub url: String,
    pub is_customized: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionValueBody {
    pub option_display_name: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VariantBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub sale_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub cost_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub weight: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    pub option_values: Vec<OptionValueBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// One of a product's custom fields; `id` names one the product has (a batch update changes it
/// in place: without an id BigCommerce adds another field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageBody {
    pub image_url: String,
    pub is_thumbnail: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub sort_order: u32,
}

/// The body of `POST /catalog/products` and of one item of `PUT /catalog/products`.
#[derive(Debug, Clone, Serialize)]
pub struct ProductBody {
    /// Only in a batch update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub description: String,
    /// Required on POST; a product without one is sent 0, which the document allows.
    #[serde(serialize_with = "number")]
    pub weight: Decimal,
    /// Required on POST; a product without a price never gets here (the transform decides).
    #[serde(serialize_with = "number")]
    pub price: Decimal,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub sale_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "number_opt")]
    pub cost_price: Option<Decimal>,
    pub is_visible: bool,
    pub inventory_tracking: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// BigCommerce creates the brand when it does not exist yet, and never echoes this back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand_name: Option<String>,
    pub custom_url: UrlBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageBody>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<VariantBody>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldBody>,
    /// The category ids the product is in; sent even when empty, so an update leaves the
    /// product exactly in its source's categories.
    pub categories: Vec<u64>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_free_shipping: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddressBody {
    pub first_name: String,
    pub last_name: String,
    pub address1: String,
    pub city: String,
    pub country_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The body of one item of `POST /customers` (with addresses) or `PUT /customers` (with `id`,
/// without email and addresses).
#[derive(Debug, Clone, Serialize)]
pub struct CustomerBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<AddressBody>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_missing_required_field_is_named_with_its_path() {
        let body = json!({ "data": [{ "id": 1, "name": "a" }, { "name": "b" }], "meta": {} });
        let e = parse::<Collection<ProductReply>>("GET /catalog/products", &body).unwrap_err();
        assert!(
            e.contains("GET /catalog/products") && e.contains("data[1]") && e.contains("id"),
            "{e}"
        );
    }

    #[test]
    fn amounts_are_exact_and_absent_ones_stay_absent() {
        let body =
            json!({ "id": 1, "name": "a", "price": 19.99, "sale_price": null, "weight": "1.5" });
        let p: ProductReply = parse("x", &body).unwrap();
        assert_eq!(p.price, Some(Decimal::new(1999, 2)));
        assert_eq!(p.sale_price, None);
        assert_eq!(p.cost_price, None);
        assert_eq!(p.weight, Some(Decimal::new(15, 1)));
        let bad = json!({ "id": 1, "name": "a", "price": "cheap" });
        assert!(parse::<ProductReply>("x", &bad)
            .unwrap_err()
            .contains("`price`"));
    }

    #[test]
    fn bodies_leave_out_what_the_record_does_not_have() {
        let c = CustomerBody {
            id: None,
            email: Some("a@b.co".into()),
            first_name: "A".into(),
            last_name: "B".into(),
            phone: None,
            company: None,
            notes: None,
            addresses: None,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({ "email": "a@b.co", "first_name": "A", "last_name": "B" })
        );
    }
}
