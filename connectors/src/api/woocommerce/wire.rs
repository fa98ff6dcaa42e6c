//! WooCommerce's replies as types, after the REST API v3 reference
//! (woocommerce/woocommerce-rest-api-docs, `source/includes/wp-api-v3/`) and WordPress's own
//! REST reference for pages.
//!
//! Three kinds of field, so that nothing the platform did not send becomes a default:
//! - a plain field is one the reference lists on every reply of the resource and the client
//!   needs: its absence is an error naming endpoint and path;
//! - `#[serde(deserialize_with = "nullable…")]` is listed on every reply but may be empty or
//!   null there (`"sku": ""`, `"stock_quantity": null`): it must be present, and empty is `None`;
//! - `#[serde(default)]` is newer than the reference (`global_unique_id`, WooCommerce 9.2;
//!   `rate_percent`; `display_key`), absent in projected lists (`_fields=`), or only sometimes
//!   sent: `None` when absent.
//!
//! WooCommerce writes money, weights and quantities of money as strings ("12.50"); they are
//! read exactly into `Decimal` (a JSON number is read too, by its decimal text).

use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

/// Parses a reply body into `T`; what is missing or malformed is named by its path.
pub fn parse<T: DeserializeOwned>(endpoint: &str, body: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        format!(
            "WooCommerce {endpoint}: the reply does not match the REST API reference at `{path}`: {}",
            e.inner()
        )
    })
}

fn decimal_of<E: serde::de::Error>(v: Value) -> Result<Option<Decimal>, E> {
    crate::api::amount_of(&v).map_err(E::custom)
}

/// An amount that must be there and not be empty (order totals: WooCommerce writes "0.00").
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_of(Value::deserialize(d)?)?
        .ok_or_else(|| D::Error::custom("expected an amount, got an empty value"))
}

/// An amount that may be empty (`"sale_price": ""`) or absent (with `default`).
fn nullable_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    decimal_of(Value::deserialize(d)?)
}

/// A field that must be present but may be null (`Option` alone would take absence as `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// Text with the empty string as nothing (WooCommerce writes `""` for unset text fields).
pub fn text(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|x| !x.trim().is_empty()).cloned()
}

/// `manage_stock` is a boolean, except on a variation whose stock the parent product keeps,
/// where WooCommerce answers `"parent"`: the variation then has no stock of its own.
fn stock_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s == "parent" => Ok(false),
        other => Err(D::Error::custom(format!(
            "expected true, false or \"parent\", got {other}"
        ))),
    }
}

/// `{ code, message, data: { status } }`: an error reply, or one refused item of a batch.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub data: Option<ErrorData>,
}

/// An error's `data`: WooCommerce's terms controller adds `resource_id` to `term_exists`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub resource_id: Option<u64>,
}

impl ApiError {
    /// The term a create was refused for because its name is taken (`term_exists`): WordPress
    /// compares term names without case, and WooCommerce answers the existing term's id as
    /// `data.resource_id` ("give them the identifier they can actually use").
    pub fn existing_term(&self) -> Option<u64> {
        if self.code != "term_exists" {
            return None;
        }
        self.data.as_ref().and_then(|d| d.resource_id)
    }
}

/// `meta_data[]`: the reference types `value` as a string; plugins store arrays and objects.
#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub key: String,
    #[serde(deserialize_with = "nullable")]
    pub value: Option<Value>,
}

/// A meta value stored as non-empty text under `key`.
pub fn meta(list: &[Meta], key: &str) -> Option<String> {
    list.iter()
        .find(|m| m.key == key)
        .and_then(|m| m.value.as_ref())
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

/// A record's dates: `X` in the site's time zone, `X_gmt` in UTC, both without an offset.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Dates {
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub date_modified: Option<String>,
    #[serde(default)]
    pub date_modified_gmt: Option<String>,
}

use crate::platform::woocommerce::term_name;

fn term_name_of<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(term_name(&String::deserialize(d)?))
}

fn optional_term_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|n| term_name(&n)))
}

/// A product's `categories[]` / `tags[]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct TermRef {
    pub id: u64,
    #[serde(default, deserialize_with = "optional_term_name")]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
}

/// `GET /products/tags`, and a tag written (`product-tags.md`, "Product tag properties").
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    pub id: u64,
    #[serde(deserialize_with = "term_name_of")]
    pub name: String,
    pub slug: String,
}

/// An image of a product, a variation or a category.
#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    #[serde(default)]
    pub id: Option<u64>,
    pub src: String,
    #[serde(default)]
    pub alt: Option<String>,
}

/// A product's `attributes[]` entry (id 0 for an attribute local to the product).
#[derive(Debug, Clone, Deserialize)]
pub struct ProductAttribute {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    pub variation: bool,
    pub options: Vec<String>,
}

/// A variation's `attributes[]` entry: the option it takes.
#[derive(Debug, Clone, Deserialize)]
pub struct VariationAttribute {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    pub option: String,
}

/// What a simple product and a variation share: what is sold, at which price, from which stock.
#[derive(Debug, Clone, Deserialize)]
pub struct Sellable {
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
    /// GTIN/UPC/EAN/ISBN since WooCommerce 9.2 (after the reference); older stores lack it.
    #[serde(default)]
    pub global_unique_id: Option<String>,
    #[serde(deserialize_with = "nullable_amount")]
    pub regular_price: Option<Decimal>,
    #[serde(deserialize_with = "nullable_amount")]
    pub sale_price: Option<Decimal>,
    #[serde(deserialize_with = "nullable_amount")]
    pub weight: Option<Decimal>,
    #[serde(deserialize_with = "stock_flag")]
    pub manage_stock: bool,
    #[serde(deserialize_with = "nullable")]
    pub stock_quantity: Option<i64>,
    pub backorders: String,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    pub tax_status: String,
    pub meta_data: Vec<Meta>,
}

/// `GET /products`, `GET /products/<id>`.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub description: String,
    pub categories: Vec<TermRef>,
    pub tags: Vec<TermRef>,
    pub images: Vec<Image>,
    pub attributes: Vec<ProductAttribute>,
    #[serde(flatten)]
    pub sellable: Sellable,
    #[serde(flatten)]
    pub dates: Dates,
}

/// `GET /products/<id>/variations`.
#[derive(Debug, Clone, Deserialize)]
pub struct Variation {
    pub id: u64,
    pub attributes: Vec<VariationAttribute>,
    #[serde(deserialize_with = "nullable")]
    pub image: Option<Image>,
    #[serde(flatten)]
    pub sellable: Sellable,
}

/// What a look-up by SKU or slug reads of a product.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductKey {
    pub id: u64,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
}

/// What matching the record's variants to a product's variations reads.
#[derive(Debug, Clone, Deserialize)]
pub struct VariationKey {
    pub id: u64,
    #[serde(deserialize_with = "nullable")]
    pub sku: Option<String>,
    pub attributes: Vec<VariationAttribute>,
}

/// A record of which only the id is read (look-ups, a written page).
#[derive(Debug, Clone, Deserialize)]
pub struct IdOnly {
    pub id: u64,
}

/// A row of an id-only listing (`_fields=id,status`): customers have no status.
#[derive(Debug, Clone, Deserialize)]
pub struct IdStatus {
    pub id: u64,
    #[serde(default)]
    pub status: Option<String>,
}

/// A category's image: PHP writes a category without one as an empty array (the reference's
/// own example shows `"image": []`), newer versions as null.
fn category_image<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Image>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(a) if a.is_empty() => Ok(None),
        other => Image::deserialize(other)
            .map(Some)
            .map_err(D::Error::custom),
    }
}

/// `GET /products/categories`, and the reply of a category written.
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: u64,
    #[serde(deserialize_with = "term_name_of")]
    pub name: String,
    pub slug: String,
    pub parent: u64,
    pub description: String,
    #[serde(deserialize_with = "category_image")]
    pub image: Option<Image>,
    #[serde(default)]
    pub menu_order: Option<i64>,
}

/// A customer's or an order's `billing` / `shipping`; every part may be empty.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub address_1: Option<String>,
    #[serde(default)]
    pub address_2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Billing only.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// `GET /customers`.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    #[serde(deserialize_with = "nullable")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub last_name: Option<String>,
    pub billing: Address,
    pub shipping: Address,
    #[serde(flatten)]
    pub dates: Dates,
}

/// A line item's `meta_data[]`: variation attributes show as `display_key`/`display_value`
/// (WooCommerce 3.x on; not in the reference's table).
#[derive(Debug, Clone, Deserialize)]
pub struct LineMeta {
    pub key: String,
    #[serde(default)]
    pub value: Value,
    #[serde(default)]
    pub display_key: Option<String>,
    #[serde(default)]
    pub display_value: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineItem {
    pub name: String,
    /// 0 when the product is gone.
    pub product_id: u64,
    pub quantity: i64,
    #[serde(deserialize_with = "amount")]
    pub subtotal: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
    /// Read-only; empty or null when the product has none or is gone.
    #[serde(default)]
    pub sku: Option<String>,
    pub meta_data: Vec<LineMeta>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TaxLine {
    #[serde(deserialize_with = "nullable")]
    pub label: Option<String>,
    /// Since WooCommerce 3.7, after the reference's table.
    #[serde(default, deserialize_with = "nullable_amount")]
    pub rate_percent: Option<Decimal>,
    #[serde(deserialize_with = "amount")]
    pub tax_total: Decimal,
    #[serde(deserialize_with = "amount")]
    pub shipping_tax_total: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShippingLine {
    #[serde(deserialize_with = "nullable")]
    pub method_title: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub method_id: Option<String>,
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FeeLine {
    pub name: String,
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CouponLine {
    pub code: String,
    #[serde(deserialize_with = "amount")]
    pub discount: Decimal,
}

/// `GET /orders`.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: u64,
    pub number: String,
    pub status: String,
    pub currency: String,
    #[serde(deserialize_with = "amount")]
    pub discount_total: Decimal,
    #[serde(deserialize_with = "amount")]
    pub shipping_total: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total_tax: Decimal,
    /// 0 for a guest.
    pub customer_id: u64,
    #[serde(deserialize_with = "nullable")]
    pub customer_note: Option<String>,
    pub billing: Address,
    pub shipping: Address,
    #[serde(deserialize_with = "nullable")]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub date_paid: Option<String>,
    #[serde(default)]
    pub date_paid_gmt: Option<String>,
    pub meta_data: Vec<Meta>,
    pub line_items: Vec<LineItem>,
    pub tax_lines: Vec<TaxLine>,
    pub shipping_lines: Vec<ShippingLine>,
    pub fee_lines: Vec<FeeLine>,
    pub coupon_lines: Vec<CouponLine>,
    #[serde(flatten)]
    pub dates: Dates,
}

/// What the order index reads: the source's order number is in meta data.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderKey {
    pub id: u64,
    pub meta_data: Vec<Meta>,
}

/// One item of a batch reply: the record written, or why it was not.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchItem {
    /// 0 or absent on a refused create.
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub error: Option<ApiError>,
}

/// `POST …/batch`: WooCommerce answers only the operations the request had items for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Batch {
    #[serde(default)]
    pub create: Vec<BatchItem>,
    #[serde(default)]
    pub update: Vec<BatchItem>,
    #[serde(default)]
    pub delete: Vec<BatchItem>,
}

impl Batch {
    pub fn items(&self, kind: BatchKind) -> &[BatchItem] {
        match kind {
            BatchKind::Create => &self.create,
            BatchKind::Update => &self.update,
            BatchKind::Delete => &self.delete,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Create,
    Update,
    Delete,
}

impl BatchKind {
    pub fn key(self) -> &'static str {
        match self {
            BatchKind::Create => "create",
            BatchKind::Update => "update",
            BatchKind::Delete => "delete",
        }
    }
}

/// What became of one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    Written(u64),
    Refused { code: String, message: String },
}

impl BatchItem {
    /// The item's id, or WooCommerce's refusal; an item with neither is a malformed reply.
    pub fn result(
        &self,
        endpoint: &str,
        kind: BatchKind,
        index: usize,
    ) -> Result<ItemResult, String> {
        match (&self.error, self.id) {
            (Some(e), _) => Ok(ItemResult::Refused {
                code: e.code.clone(),
                message: e.message.clone(),
            }),
            (None, Some(id)) if id != 0 => Ok(ItemResult::Written(id)),
            (None, _) => Err(format!(
                "WooCommerce {endpoint}: the reply does not match the REST API reference at `{}[{index}].id`: a written item without an id",
                kind.key()
            )),
        }
    }
}

/// WordPress's `{ raw, rendered }` (`raw` only with `context=edit`).
#[derive(Debug, Clone, Deserialize)]
pub struct Rendered {
    #[serde(default)]
    pub raw: Option<String>,
    pub rendered: String,
}

impl Rendered {
    /// What the author wrote when WordPress gives it, else what it renders.
    pub fn text(&self) -> String {
        self.raw.clone().unwrap_or_else(|| self.rendered.clone())
    }
}

/// `GET /wp-json/wp/v2/pages` (WordPress's REST reference: Pages).
#[derive(Debug, Clone, Deserialize)]
pub struct Page {
    pub id: u64,
    pub slug: String,
    pub status: String,
    pub title: Rendered,
    pub content: Rendered,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub date_gmt: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    /// A reply of the reference's own examples (vendored under connectors/tests/data/woocommerce).
    fn example(name: &str) -> Value {
        let path = format!(
            "{}/tests/data/woocommerce/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn without(mut v: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a key");
        let removed = v
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .and_then(|o| o.remove(key));
        assert!(removed.is_some(), "{pointer} is not in the example");
        v
    }

    #[test]
    fn term_names_read_as_typed_not_as_wordpress_stores_them() {
        assert_eq!(term_name("Salt &amp; Pepper"), "Salt & Pepper");
        assert_eq!(term_name("R&amp;D"), "R&D");
        assert_eq!(term_name("a &lt;b&gt; &#039;c&#x2019;"), "a <b> 'c\u{2019}");
        // A plain ampersand (a store that did not escape) and a name that only looks like an
        // entity stay as they are.
        assert_eq!(term_name("Fish & Chips"), "Fish & Chips");
        assert_eq!(term_name("AT&T;"), "AT&T;");
        assert_eq!(term_name("&amp;amp;"), "&amp;");
        assert_eq!(term_name("Çay &amp; Kahve"), "Çay & Kahve");
        let c: Category = parse(
            "GET /products/categories/1",
            &json!({ "id": 1, "name": "Salt &amp; Pepper", "slug": "salt-pepper", "parent": 0,
                     "description": "", "image": null }),
        )
        .expect("reads");
        assert_eq!(c.name, "Salt & Pepper");
    }

    #[test]
    fn the_reference_examples_parse() {
        let products: Vec<Product> = parse("GET /products", &example("products.json")).unwrap();
        assert_eq!(products.len(), 2);
        let variable = &products[0];
        assert_eq!((variable.id, variable.kind.as_str()), (799, "variable"));
        assert!(variable.attributes.iter().any(|a| a.variation));
        let simple = &products[1];
        assert_eq!(simple.sellable.regular_price, Some(Decimal::new(2199, 2)));
        assert_eq!(simple.sellable.sale_price, None);
        assert_eq!(simple.sellable.global_unique_id, None);

        let variations: Vec<Variation> = parse(
            "GET /products/22/variations",
            &example("product-variations.json"),
        )
        .unwrap();
        assert_eq!(variations[0].attributes[0].option, "Green");
        assert_eq!(
            variations[0].sellable.regular_price,
            Some(Decimal::new(9, 0))
        );

        let categories: Vec<Category> = parse(
            "GET /products/categories",
            &example("product-categories.json"),
        )
        .unwrap();
        assert!(categories.iter().any(|c| c.parent != 0));
        let with_image = categories.iter().find(|c| c.id == 9).expect("category 9");
        assert!(with_image
            .image
            .as_ref()
            .is_some_and(|i| i.src.ends_with("T_2_front.jpg")));
        assert!(categories
            .iter()
            .filter(|c| c.id != 9)
            .all(|c| c.image.is_none()));

        let customers: Vec<Customer> = parse("GET /customers", &example("customers.json")).unwrap();
        assert_eq!(customers[1].email, "john.doe@example.com");

        let orders: Vec<Order> = parse("GET /orders", &example("orders.json")).unwrap();
        assert_eq!(orders[0].total, Decimal::from_str("29.35").unwrap());
        assert_eq!(orders[0].line_items.len(), 2);
        assert_eq!(orders[0].shipping_lines[0].total, Decimal::new(1000, 2));

        let batch: Batch = parse("POST /products/batch", &example("products-batch.json")).unwrap();
        assert!(batch
            .create
            .iter()
            .all(|i| i.error.is_none() && i.id.is_some()));
        assert_eq!(batch.delete.len(), 1);
    }

    #[test]
    fn a_missing_required_field_is_named_with_endpoint_and_path() {
        let cases: [(&str, &str, &str); 6] = [
            ("products.json", "/1/id", "[1].id"),
            ("products.json", "/0/type", "[0].type"),
            ("products.json", "/1/regular_price", "[1].regular_price"),
            (
                "orders.json",
                "/0/line_items/1/total",
                "[0].line_items[1].total",
            ),
            ("orders.json", "/1/total", "[1].total"),
            ("customers.json", "/0/email", "[0].email"),
        ];
        for (file, pointer, path) in cases {
            let body = without(example(file), pointer);
            let e = match file {
                "products.json" => parse::<Vec<Product>>("GET /products", &body).map(|_| ()),
                "orders.json" => parse::<Vec<Order>>("GET /orders", &body).map(|_| ()),
                _ => parse::<Vec<Customer>>("GET /customers", &body).map(|_| ()),
            }
            .expect_err(pointer);
            let field = pointer.rsplit('/').next().unwrap_or_default();
            let endpoint = format!("GET /{}", file.trim_end_matches(".json"));
            assert!(e.contains(&endpoint), "{e}");
            assert!(
                e.contains(&format!("missing field `{field}`")) || e.contains(path),
                "{e}"
            );
            let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
            assert!(e.contains(parent), "{e}");
        }
    }

    #[test]
    fn money_strings_are_read_exactly() {
        let o = example("orders.json")[0].clone();
        let mut o = o;
        o["total"] = json!("0.30");
        o["discount_total"] = json!("1234567890.123456789");
        let o: Order = parse("GET /orders/727", &o).unwrap();
        assert_eq!(o.total.to_string(), "0.30");
        assert_eq!(
            o.discount_total,
            Decimal::from_str("1234567890.123456789").unwrap()
        );
        let bad = json!({ "code": "c", "discount": "ten" });
        let e = parse::<CouponLine>("x", &bad).unwrap_err();
        assert!(e.contains("`discount`") && e.contains("\"ten\""), "{e}");
        let empty = json!({ "code": "c", "discount": "" });
        assert!(parse::<CouponLine>("x", &empty).is_err());
    }

    #[test]
    fn batch_items_are_written_or_refused_and_never_silently_empty() {
        let reply = json!({
            "create": [{ "id": 0, "error": { "code": "product_invalid_sku", "message": "Invalid or duplicated SKU.", "data": { "status": 400 } } }],
            "update": [{ "id": 12, "name": "x" }, { "name": "no id" }],
        });
        let b: Batch = parse("POST /products/batch", &reply).unwrap();
        let ep = "POST /products/batch";
        assert_eq!(
            b.create[0].result(ep, BatchKind::Create, 0),
            Ok(ItemResult::Refused {
                code: "product_invalid_sku".into(),
                message: "Invalid or duplicated SKU.".into()
            })
        );
        assert_eq!(
            b.update[0].result(ep, BatchKind::Update, 0),
            Ok(ItemResult::Written(12))
        );
        let e = b.update[1].result(ep, BatchKind::Update, 1).unwrap_err();
        assert!(e.contains(ep) && e.contains("update[1].id"), "{e}");
    }

    #[test]
    fn tags_parse_and_a_taken_name_answers_the_existing_tags_id() {
        let tags: Vec<Tag> = parse("GET /products/tags", &example("product-tags.json")).unwrap();
        assert_eq!(
            tags.iter()
                .map(|t| (t.id, t.name.as_str(), t.slug.as_str()))
                .collect::<Vec<_>>(),
            [
                (34, "Leather Shoes", "leather-shoes"),
                (35, "Oxford Shoes", "oxford-shoes")
            ]
        );
        let batch: Batch = parse(
            "POST /products/tags/batch",
            &example("product-tags-batch.json"),
        )
        .unwrap();
        let ep = "POST /products/tags/batch";
        assert_eq!(
            batch.create[1].result(ep, BatchKind::Create, 1),
            Ok(ItemResult::Written(37))
        );
        // WooCommerce's terms controller: `term_exists` with the existing term's id.
        let reply = json!({ "create": [
            { "id": 0, "error": { "code": "term_exists", "message": "A term with the name provided already exists in this taxonomy.",
                                  "data": { "status": 400, "resource_id": 34 } } },
            { "id": 0, "error": { "code": "empty_term_name", "message": "A name is required for this term.", "data": { "status": 400 } } },
            { "id": 0, "error": { "code": "db_insert_error", "message": "Could not insert term into the database.", "data": { "status": 400, "resource_id": 9 } } },
        ]});
        let b: Batch = parse(ep, &reply).unwrap();
        let existing: Vec<Option<u64>> = b
            .create
            .iter()
            .map(|i| i.error.as_ref().and_then(ApiError::existing_term))
            .collect();
        assert_eq!(existing, [Some(34), None, None]);
    }

    #[test]
    fn variation_stock_kept_by_the_parent_is_no_stock_of_its_own() {
        let mut v = example("product-variations.json")[0].clone();
        v["manage_stock"] = json!("parent");
        let v: Variation = parse("x", &v).unwrap();
        assert!(!v.sellable.manage_stock);
    }

    #[test]
    fn wordpress_pages_read_raw_text_first() {
        let p = json!({ "id": 5, "slug": "about", "status": "publish", "date_gmt": "2024-01-02T03:04:05",
                        "title": { "raw": "About", "rendered": "About" },
                        "content": { "rendered": "<p>Hi</p>" } });
        let p: Page = parse("GET /pages", &p).unwrap();
        assert_eq!(
            (p.title.text(), p.content.text()),
            ("About".into(), "<p>Hi</p>".into())
        );
    }
}
