//! What Ikas's Admin API answers, as the connector reads it: the token endpoint, the GraphQL
//! envelope (`data` and `errors`, which Ikas sends with HTTP 200), and one struct per reply
//! shape for the fields the documents of `mod.rs` select.
//!
//! A GraphQL server always answers every field a document selects, `null` or not, so a field
//! missing from a reply is an error naming the operation and the field's path ([`parse`]).
//! Nullability follows Ikas's published Admin API reference (ikas.dev, "type definitions"):
//! non-null there (`Product.name`, `Variant.prices`, `VariantType.values`,
//! `ProductPaginationResponse.hasNext`) is a plain field here; nullable fields are an
//! `Option` that must still be present ([`nullable`]), so "not answered" never reads as
//! "empty". Amounts (`Float`) are read exactly through [`crate::api::amount_of`].

use crate::connector::ConnectorError;
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Why a reply could not be read: which operation, where in its `data`, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub operation: String,
    /// Dotted path into the parsed value (`listProduct.data[0].variants[1].prices`).
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Ikas's reply to {} does not match the Admin API at `{}`: {}",
            self.operation, self.path, self.message
        )
    }
}

impl From<ReplyError> for ConnectorError {
    fn from(e: ReplyError) -> Self {
        ConnectorError::Remote(e.to_string())
    }
}

/// Parses `value`, the reply (or the `data` of the reply) to `operation`, into `T`.
/// A missing field's path ends at the field itself, not at the object that lacks it.
pub fn parse<T: DeserializeOwned>(operation: &str, value: &Value) -> Result<T, ReplyError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let mut path = e.path().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next());
        if let Some(field) = missing {
            path = if path == "." {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
        }
        ReplyError {
            operation: operation.to_string(),
            path,
            message,
        }
    })
}

/// Present, possibly `null`: a missing field is an error (serde alone would make it `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// A present, possibly `null` list; `null` reads as empty (Ikas answers `null` for a product
/// without variant types).
fn list_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A nullable `Float` amount, read exactly.
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    crate::api::amount_of(&Value::deserialize(d)?).map_err(D::Error::custom)
}

// ---------- token endpoint ----------

/// `POST {store}/api/admin/oauth/token`, either answer: the token on success, an OAuth error
/// (`error`, `error_description`) otherwise. Which one is decided by the HTTP status.
#[derive(Debug, Deserialize)]
pub struct Token {
    pub access_token: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenRefusal {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

// ---------- GraphQL envelope ----------

/// `{ data, errors }`. `data` is `null` (or absent) when the request failed as a whole.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Option<Vec<GraphqlError>>,
}

/// One entry of `errors`: a `message` is required by the GraphQL spec; Ikas adds
/// `extensions.code` (`UNAUTHENTICATED`, `INTERNAL_SERVER_ERROR`, validation codes).
#[derive(Debug, Clone, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<Extensions>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Extensions {
    #[serde(default)]
    pub code: Option<String>,
}

impl GraphqlError {
    pub fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.code.as_deref()
    }
}

// ---------- listProduct ----------

/// `{ listProduct(...) { ... } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListProduct<T> {
    pub list_product: T,
}

/// `ProductPaginationResponse` with `data` and `hasNext` selected (pages of the source, the
/// id-only listing, the slug search).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_next: bool,
}

/// `ProductPaginationResponse` with only `data` selected (by SKU, by ids).
#[derive(Debug, Deserialize)]
pub struct Rows<T> {
    pub data: Vec<T>,
}

/// `ProductPaginationResponse` with only `count` selected (the verifier's total).
#[derive(Debug, Deserialize)]
pub struct Count {
    pub count: u64,
}

/// A product of which only the id was asked for.
#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: String,
}

/// A product as the target looks it up: its id and its variants' ids and SKUs (the slug only
/// where the document asks for it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Existing {
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub meta_data: Option<SlugOnly>,
    pub variants: Vec<ExistingVariant>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SlugOnly {
    #[serde(deserialize_with = "nullable")]
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExistingVariant {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
}

/// A product as read with `PRODUCT_FIELDS`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub description: Option<String>,
    /// `ProductTypeEnum!`: `PHYSICAL`, `DIGITAL`, `BUNDLE`...; only `DIGITAL` matters here.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub meta_data: Option<MetaData>,
    #[serde(deserialize_with = "list_or_null")]
    pub product_variant_types: Vec<ProductVariantType>,
    pub variants: Vec<Variant>,
}

/// `HTMLMetaData`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaData {
    #[serde(deserialize_with = "nullable")]
    pub slug: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub page_title: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub description: Option<String>,
}

/// A variant type as a product uses it: which type, which of its values, in which order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductVariantType {
    pub variant_type_id: String,
    pub variant_value_ids: Vec<String>,
    pub order: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
    #[serde(deserialize_with = "list_or_null")]
    pub barcode_list: Vec<Option<String>>,
    #[serde(deserialize_with = "amount")]
    pub weight: Option<Decimal>,
    #[serde(deserialize_with = "nullable")]
    pub is_active: Option<bool>,
    pub prices: Vec<Price>,
    #[serde(deserialize_with = "list_or_null")]
    pub variant_value_ids: Vec<VariantValueRelation>,
}

/// `ProductPrice`: the first one is the store's price (the connector writes one).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    #[serde(deserialize_with = "amount")]
    pub sell_price: Option<Decimal>,
    #[serde(deserialize_with = "amount")]
    pub discount_price: Option<Decimal>,
    #[serde(deserialize_with = "nullable")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantValueRelation {
    pub variant_type_id: String,
    pub variant_value_id: String,
}

// ---------- variant types ----------

/// `{ listVariantType { id name values { id name } } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVariantType {
    pub list_variant_type: Vec<VariantType>,
}

#[derive(Debug, Deserialize)]
pub struct VariantType {
    pub id: String,
    pub name: String,
    pub values: Vec<VariantValue>,
}

#[derive(Debug, Deserialize)]
pub struct VariantValue {
    pub id: String,
    pub name: String,
}

// ---------- mutations ----------

/// `{ saveProduct(input: ...) { id } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveProduct {
    pub save_product: Id,
}

/// `{ saveVariantType(input: ...) { id } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveVariantType {
    pub save_variant_type: Id,
}

/// `{ deleteProductList(idList: ...) }`: `Boolean!`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteProductList {
    pub delete_product_list: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product() -> Value {
        json!({
            "id": "p1", "name": "Kazak", "description": "<p>x</p>", "type": "PHYSICAL",
            "metaData": { "slug": "kazak", "pageTitle": null, "description": null },
            "productVariantTypes": [{ "variantTypeId": "t1", "variantValueIds": ["v1"], "order": 0 }],
            "variants": [{
                "id": "var1", "sku": "K-1", "barcodeList": ["869"], "weight": 0.25, "isActive": true,
                "prices": [{ "sellPrice": 129.9, "discountPrice": null, "currency": "TRY" }],
                "variantValueIds": [{ "variantTypeId": "t1", "variantValueId": "v1" }],
            }],
        })
    }

    fn page(p: Value) -> Value {
        json!({ "listProduct": { "data": [p], "hasNext": false, "page": 1, "count": 1 } })
    }

    #[test]
    fn a_complete_product_reads_exactly() {
        let r: ListProduct<Page<Product>> = parse("listProduct", &page(product())).unwrap();
        let p = &r.list_product.data[0];
        assert_eq!(p.name, "Kazak");
        assert_eq!(p.variants[0].weight, Some(Decimal::new(25, 2)));
        assert_eq!(
            p.variants[0].prices[0].sell_price,
            Some(Decimal::new(1299, 1))
        );
        assert_eq!(p.variants[0].prices[0].discount_price, None);
        assert!(!r.list_product.has_next);
    }

    #[test]
    fn a_missing_required_field_is_named_with_its_path() {
        for (field, path) in [
            ("name", "listProduct.data[0].name"),
            ("type", "listProduct.data[0].type"),
            ("variants", "listProduct.data[0].variants"),
        ] {
            let mut p = product();
            p.as_object_mut().unwrap().remove(field);
            let e = parse::<ListProduct<Page<Product>>>("listProduct", &page(p)).unwrap_err();
            assert_eq!(e.operation, "listProduct");
            assert_eq!(e.path, path, "{e}");
            assert!(
                e.message.contains(&format!("missing field `{field}`")),
                "{e}"
            );
            assert!(e.to_string().contains(path), "{e}");
        }
    }

    #[test]
    fn a_nullable_field_must_still_be_answered() {
        let mut p = product();
        p["variants"][0].as_object_mut().unwrap().remove("sku");
        let e = parse::<ListProduct<Page<Product>>>("listProduct", &page(p)).unwrap_err();
        assert_eq!(e.path, "listProduct.data[0].variants[0].sku", "{e}");

        let mut p = product();
        p["variants"][0]["prices"][0]
            .as_object_mut()
            .unwrap()
            .remove("sellPrice");
        let e = parse::<ListProduct<Page<Product>>>("listProduct", &page(p)).unwrap_err();
        assert_eq!(
            e.path, "listProduct.data[0].variants[0].prices[0].sellPrice",
            "{e}"
        );
    }

    #[test]
    fn null_where_ikas_may_answer_null_reads_as_empty() {
        let mut p = product();
        p["productVariantTypes"] = Value::Null;
        p["metaData"] = Value::Null;
        p["variants"][0]["barcodeList"] = Value::Null;
        p["variants"][0]["variantValueIds"] = Value::Null;
        let r: ListProduct<Page<Product>> = parse("listProduct", &page(p)).unwrap();
        let p = &r.list_product.data[0];
        assert!(p.product_variant_types.is_empty());
        assert!(p.meta_data.is_none());
        assert!(p.variants[0].barcode_list.is_empty());
    }

    #[test]
    fn a_page_without_has_next_is_an_error_not_the_last_page() {
        let body = json!({ "listProduct": { "data": [{ "id": "p1" }] } });
        let e = parse::<ListProduct<Page<Id>>>("listProduct", &body).unwrap_err();
        assert_eq!(e.path, "listProduct.hasNext", "{e}");
    }

    #[test]
    fn an_amount_that_is_not_a_number_is_an_error() {
        let mut p = product();
        p["variants"][0]["prices"][0]["sellPrice"] = json!(true);
        let e = parse::<ListProduct<Page<Product>>>("listProduct", &page(p)).unwrap_err();
        assert_eq!(
            e.path, "listProduct.data[0].variants[0].prices[0].sellPrice",
            "{e}"
        );
    }

    #[test]
    fn variant_types_and_mutations_name_what_is_missing() {
        let e = parse::<ListVariantType>(
            "listVariantType",
            &json!({ "listVariantType": [{ "id": "t1", "name": "Beden" }] }),
        )
        .unwrap_err();
        assert_eq!(e.path, "listVariantType[0].values", "{e}");
        assert!(e.message.contains("missing field `values`"), "{e}");

        let e = parse::<SaveProduct>("saveProduct", &json!({ "saveProduct": {} })).unwrap_err();
        assert_eq!(e.path, "saveProduct.id", "{e}");
        assert!(e.message.contains("missing field `id`"), "{e}");

        let e = parse::<DeleteProductList>("deleteProductList", &json!({})).unwrap_err();
        assert_eq!(e.path, "deleteProductList", "{e}");

        let e =
            parse::<ListProduct<Count>>("listProduct", &json!({ "listProduct": {} })).unwrap_err();
        assert!(e.message.contains("missing field `count`"), "{e}");
    }

    #[test]
    fn errors_carry_their_code_and_need_a_message() {
        let env: Envelope = parse(
            "listProduct",
            &json!({ "data": null, "errors": [
                { "message": "Token expired", "extensions": { "code": "UNAUTHENTICATED" } },
                { "message": "Boom" },
            ] }),
        )
        .unwrap();
        let errors = env.errors.unwrap_or_default();
        assert_eq!(errors[0].code(), Some("UNAUTHENTICATED"));
        assert_eq!(errors[1].code(), None);
        assert!(env.data.is_none());

        let e = parse::<Envelope>("listProduct", &json!({ "errors": [{ "extensions": {} }] }))
            .unwrap_err();
        assert_eq!(e.path, "errors[0].message", "{e}");
        assert!(e.message.contains("missing field `message`"), "{e}");
    }

    #[test]
    fn a_token_reply_without_a_token_is_an_error() {
        let e =
            parse::<Token>("the token request", &json!({ "token_type": "Bearer" })).unwrap_err();
        assert!(e.message.contains("missing field `access_token`"), "{e}");
        let refusal: TokenRefusal = parse(
            "the token request",
            &json!({ "error": "invalid_client", "error_description": "Bad secret" }),
        )
        .unwrap();
        assert_eq!(refusal.error_description.as_deref(), Some("Bad secret"));
    }
}
