//! Replies of the Ideasoft Admin API as the document's schemas describe them (`Product`,
//! `Category`, `Member`, `Page`, `ProductDetail`, `OptionGroup`, `Option`, `Currency`, `Brand`,
//! `Country`, `Location`, `Order`, `OrderItem`, the address objects), limited to the fields
//! storeshift reads. A field the document requires and storeshift needs is a plain field, so
//! its absence is an error naming the endpoint and the field; the rest are `Option`.
//!
//! Numbers the document types as `number` are read into [`Decimal`] from a JSON number or a
//! numeric string, never through a float; integer flags accept `1` and `"1"` alike.

use crate::connector::{ConnectorError, Result};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;
use std::str::FromStr;

/// A reference to another record: only its id matters.
#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Currency {
    pub id: u64,
    #[serde(default)]
    pub abbr: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Brand {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Country {
    pub id: u64,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Location {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub sort_order: Option<i64>,
    #[serde(default)]
    pub parent: Option<IdRef>,
    #[serde(default)]
    pub page_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub showcase_content: Option<String>,
    /// When Ideasoft last saved the record (the sync window's mark).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A category as a product lists it: possibly only its id.
#[derive(Debug, Clone, Deserialize)]
pub struct CategoryLink {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub parent: Option<IdRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(default)]
    pub original_url: Option<String>,
    #[serde(default)]
    pub thumb_url: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub sort_order: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionValue {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub option_group: Option<IdRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionGroup {
    pub id: u64,
    pub title: String,
    #[serde(default, deserialize_with = "vec_or_null")]
    pub options: Vec<OptionValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    pub sku: String,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(deserialize_with = "decimal")]
    pub price1: Decimal,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub discount: Option<Decimal>,
    #[serde(deserialize_with = "int")]
    pub discount_type: i64,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub buying_price: Option<Decimal>,
    #[serde(deserialize_with = "decimal")]
    pub stock_amount: Decimal,
    #[serde(default, deserialize_with = "opt_int")]
    pub tax: Option<i64>,
    #[serde(deserialize_with = "int")]
    pub status: i64,
    #[serde(deserialize_with = "int")]
    pub has_option: i64,
    #[serde(default)]
    pub stock_type_label: Option<String>,
    #[serde(default)]
    pub page_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub search_keywords: Option<String>,
    #[serde(default)]
    pub short_details: Option<String>,
    pub currency: Currency,
    #[serde(default)]
    pub brand: Option<Brand>,
    #[serde(default)]
    pub parent: Option<IdRef>,
    #[serde(default, deserialize_with = "vec_or_null")]
    pub categories: Vec<CategoryLink>,
    #[serde(default, deserialize_with = "vec_or_null")]
    pub images: Vec<Image>,
    #[serde(default, deserialize_with = "vec_or_null")]
    pub option_groups: Vec<OptionGroup>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// When Ideasoft last saved the record (the sync window's mark).
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductDetail {
    pub id: u64,
    pub details: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: u64,
    pub email: String,
    pub firstname: String,
    pub surname: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub mobile_phone_number: Option<String>,
    #[serde(default)]
    pub commercial_name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub zip_code: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub other_location: Option<String>,
    #[serde(default)]
    pub country: Option<Country>,
    #[serde(default, deserialize_with = "opt_int")]
    pub allowed_to_campaigns: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub allowed_to_sms: Option<i64>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub slug: Option<String>,
    pub content: String,
    #[serde(deserialize_with = "int")]
    pub status: i64,
    #[serde(default)]
    pub page_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// When Ideasoft last saved the record (the sync window's mark).
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAddress {
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub sub_location: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub zip_code: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub mobile_phone_number: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub product_name: String,
    pub product_sku: String,
    #[serde(deserialize_with = "decimal")]
    pub product_price: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub product_quantity: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub product_tax: Decimal,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub discount: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: u64,
    pub transaction_id: String,
    pub customer_email: String,
    pub currency: String,
    pub status: String,
    pub payment_status: String,
    pub payment_type_name: String,
    #[serde(deserialize_with = "decimal")]
    pub general_amount: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub final_amount: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub shipping_amount: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub coupon_discount: Decimal,
    #[serde(default)]
    pub shipping_provider_name: Option<String>,
    #[serde(default)]
    pub member: Option<IdRef>,
    #[serde(default)]
    pub billing_address: Option<OrderAddress>,
    #[serde(default)]
    pub shipping_address: Option<OrderAddress>,
    #[serde(default, deserialize_with = "vec_or_null")]
    pub order_items: Vec<OrderItem>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `POST /oauth/v2/token`.
#[derive(Deserialize)]
pub struct TokenReply {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// Ideasoft's error body: an OAuth error, or a validation failure naming each refused field,
/// or a plain message.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub errors: Option<ErrorTree>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ErrorTree {
    #[serde(default)]
    pub children: std::collections::BTreeMap<String, FieldErrors>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FieldErrors {
    #[serde(default)]
    pub errors: Vec<String>,
}

/// One record of `endpoint`'s reply; a missing field names the endpoint and the field.
pub fn parse_one<T: DeserializeOwned>(body: Value, endpoint: &str) -> Result<T> {
    serde_json::from_value(body).map_err(|e| {
        ConnectorError::Remote(format!(
            "Ideasoft {endpoint} answered a record storeshift cannot use: {e}"
        ))
    })
}

/// A list reply (a bare JSON array), item by item so an error names the record.
pub fn parse_list<T: DeserializeOwned>(body: Value, endpoint: &str) -> Result<Vec<T>> {
    let Value::Array(items) = body else {
        return Err(ConnectorError::Remote(format!(
            "Ideasoft {endpoint} answered {} instead of a list",
            snippet(&body)
        )));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let id = item.get("id").map(|v| v.to_string()).unwrap_or("?".into());
            serde_json::from_value(item).map_err(|e| {
                ConnectorError::Remote(format!(
                    "Ideasoft {endpoint} answered record {} (id {id}) without what storeshift needs: {e}",
                    i + 1
                ))
            })
        })
        .collect()
}

pub fn snippet(v: &Value) -> String {
    let t = v.to_string();
    match t.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t,
    }
}

fn to_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let s = n.to_string();
            Decimal::from_str(&s)
                .ok()
                .or_else(|| Decimal::from_scientific(&s).ok())
        }
        Value::String(s) => {
            let s = s.trim();
            Decimal::from_str(s)
                .ok()
                .or_else(|| Decimal::from_scientific(s).ok())
        }
        _ => None,
    }
}

fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decimal, D::Error> {
    let v = Value::deserialize(d)?;
    to_decimal(&v).ok_or_else(|| serde::de::Error::custom(format!("{v} is not a number")))
}

fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Decimal>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => to_decimal(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{v} is not a number"))),
    }
}

fn int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    to_int(&v).ok_or_else(|| serde::de::Error::custom(format!("{v} is not an integer")))
}

fn opt_int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => to_int(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{v} is not an integer"))),
    }
}

fn vec_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product() -> Value {
        json!({ "id": 7, "name": "Kazak", "sku": "K-1", "price1": "100.50", "discountType": 0,
                "stockAmount": 3, "status": "1", "hasOption": 0, "currency": { "id": 1, "abbr": "TL" },
                "categories": null })
    }

    #[test]
    fn a_product_reads_numbers_from_numbers_and_strings() {
        let p: Product = parse_one(product(), "GET /admin-api/products/7").expect("parse");
        assert_eq!(p.price1.to_string(), "100.50");
        assert_eq!(p.status, 1);
        assert!(p.categories.is_empty());
    }

    #[test]
    fn a_missing_required_field_names_endpoint_record_and_field() {
        let mut p = product();
        p.as_object_mut().map(|o| o.remove("price1"));
        let err = parse_list::<Product>(json!([product(), p]), "GET /admin-api/products")
            .expect_err("missing")
            .to_string();
        assert!(
            err.contains("GET /admin-api/products")
                && err.contains("record 2 (id 7)")
                && err.contains("price1"),
            "{err}"
        );
    }

    #[test]
    fn an_order_without_its_amounts_is_an_error_not_zero() {
        let o = json!({ "id": 1, "transactionId": "T1", "customerEmail": "a@b.co", "currency": "TL",
                        "status": "approved", "paymentStatus": "success", "paymentTypeName": "Havale",
                        "generalAmount": 10, "finalAmount": 10, "shippingAmount": 0 });
        let err = parse_one::<Order>(o, "GET /admin-api/orders")
            .expect_err("missing couponDiscount")
            .to_string();
        assert!(err.contains("couponDiscount"), "{err}");
    }

    #[test]
    fn a_list_that_is_not_an_array_is_refused_by_name() {
        let err = parse_list::<Brand>(json!({ "code": 500 }), "GET /admin-api/brands")
            .expect_err("not a list")
            .to_string();
        assert!(err.contains("instead of a list"), "{err}");
    }
}
