//! The replies to the documents of `documents.rs`, as types.
//!
//! Nullability follows the Admin API schema of the default version (`API_VERSION`, vendored in
//! `sandbox/schemas/shopify/`): a field that is non-null there is a plain field, so a reply
//! without it is an error naming the document and the field's path ([`parse`]); a nullable
//! field is an `Option`. Only the fields the client reads are declared (serde skips the rest),
//! and a field selected in `documents.rs` but read nowhere is not typed twice.
//!
//! Money (`MoneyV2.amount` is a `Decimal`, `ProductVariant.price` a `Money`, both sent as
//! strings) reads exactly into `rust_decimal`; `Float` fields (weights, tax rates) read through
//! their shortest decimal text, as the JSON has them.

use crate::connector::ConnectorError;
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a reply could not be read: which document, where in its `data`, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub document: String,
    /// Dotted path into `data` (`products.nodes[0].variants.nodes[2]`); `.` is the top.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Shopify's reply to {:?} does not match the Admin API schema at `{}`: {}",
            self.document, self.path, self.message
        )
    }
}

impl From<ReplyError> for ConnectorError {
    fn from(e: ReplyError) -> Self {
        ConnectorError::Remote(e.to_string())
    }
}

/// Parses (part of) a reply into `T`; what is missing or malformed is named by its path.
/// `at` is where `value` sits in the reply (empty: it is the whole `data`).
pub fn parse<T: DeserializeOwned>(
    document: &str,
    at: &str,
    value: &Value,
) -> Result<T, ReplyError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (at.is_empty(), inner.as_str()) {
            (true, p) => p.to_string(),
            (false, ".") => at.to_string(),
            (false, p) => format!("{at}.{p}"),
        };
        ReplyError {
            document: document.to_string(),
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// The field `key` of `data` as `T`; its absence is an error even where `T` is an `Option`
/// (a selected field is always answered, if only with `null`).
pub fn field<T: DeserializeOwned>(
    document: &str,
    data: &Value,
    key: &str,
) -> Result<T, ReplyError> {
    match data.get(key) {
        Some(v) => parse(document, key, v),
        None => Err(ReplyError {
            document: document.to_string(),
            path: ".".into(),
            message: format!("missing field `{key}`"),
        }),
    }
}

/// A `Decimal` or `Money` scalar (a string), or a `Float` (a number), exactly as written.
fn decimal_of(v: &Value) -> Result<Decimal, String> {
    crate::api::amount_of(v)?.ok_or_else(|| format!("expected a decimal, got {v}"))
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_of(&Value::deserialize(d)?).map_err(D::Error::custom)
}

fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal_of(&v).map(Some).map_err(D::Error::custom),
    }
}

/// An `UnsignedInt64`: Shopify sends it as a string.
fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|e| D::Error::custom(format!("{s:?} is not an UnsignedInt64: {e}"))),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{n} is not an UnsignedInt64"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected an UnsignedInt64, got {other}"
        ))),
    }
}

// ---- connections --------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The cursor of the next page, if there is one.
    pub fn next(&self) -> Option<&str> {
        self.end_cursor.as_deref().filter(|_| self.has_next_page)
    }
}

/// A paged connection: `{ nodes { ... } pageInfo { hasNextPage endCursor } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub nodes: Vec<T>,
    pub page_info: PageInfo,
}

/// A connection whose `pageInfo` is not selected.
#[derive(Debug, Clone, Deserialize)]
pub struct Nodes<T> {
    pub nodes: Vec<T>,
}

/// `{ id }`.
#[derive(Debug, Clone, Deserialize)]
pub struct Id {
    pub id: String,
}

/// The reply to `nested_page`: `owner(id:) { field(first:, after:) { nodes pageInfo } }`, the
/// owner nullable (it may be gone), the keys those of [`super::documents::Nested::path`].
pub type NestedReply<T> = BTreeMap<String, Option<BTreeMap<String, Connection<T>>>>;

// ---- shared objects -----------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
pub struct Seo {
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImageUrl {
    pub url: String,
}

/// A metafield selected by alias (`treePath`, `seoTitle`): `{ value }`, `null` when unset.
#[derive(Debug, Clone, Deserialize)]
pub struct MetafieldValue {
    pub value: String,
}

/// `MoneyV2` where only its `amount` is selected.
#[derive(Debug, Clone, Deserialize)]
pub struct Amount {
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
}

/// `MoneyBag { shopMoney { … } presentmentMoney { … } }`: the amount in the shop's currency
/// and in the one the customer was shown (the order's `presentmentCurrencyCode`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    pub shop_money: Amount,
    pub presentment_money: Amount,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailingAddress {
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub company: Option<String>,
    pub country_code_v2: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub province_code: Option<String>,
    pub zip: Option<String>,
}

// ---- products -----------------------------------------------------------------------------

/// `PRODUCT_FIELDS` (and the bulk query's product lines, regrouped).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductNode {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub seo: Seo,
    pub options: Vec<ProductOption>,
    pub variants: Connection<VariantNode>,
    pub media: Connection<MediaNode>,
    pub collections: Connection<CollectionRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// `VARIANT_FRAGMENT`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantNode {
    pub id: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    #[serde(deserialize_with = "decimal")]
    pub price: Decimal,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub compare_at_price: Option<Decimal>,
    pub inventory_quantity: Option<i64>,
    pub inventory_policy: String,
    pub taxable: bool,
    pub image: Option<ImageUrl>,
    pub selected_options: Vec<SelectedOption>,
    pub inventory_item: InventoryItem,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SelectedOption {
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryItem {
    pub tracked: bool,
    pub requires_shipping: bool,
    pub unit_cost: Option<Amount>,
    pub measurement: Measurement,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Measurement {
    pub weight: Option<WeightReply>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WeightReply {
    #[serde(deserialize_with = "decimal")]
    pub value: Decimal,
    pub unit: String,
}

/// A product's media: `image` is there only for a `MediaImage` (an inline fragment).
#[derive(Debug, Clone, Deserialize)]
pub struct MediaNode {
    pub alt: Option<String>,
    #[serde(default)]
    pub image: Option<ImageUrl>,
}

/// A collection a product is in: what names its category path.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionRef {
    pub title: String,
    pub tree_path: Option<MetafieldValue>,
}

// ---- customers ----------------------------------------------------------------------------

/// `CUSTOMER_FIELDS`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerNode {
    pub id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub addresses: Vec<MailingAddress>,
    pub email_marketing_consent: Option<ConsentState>,
    pub sms_marketing_consent: Option<ConsentState>,
}

/// A consent's state, and its date where the document asks for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentState {
    pub marketing_state: String,
    pub consent_updated_at: Option<String>,
}

// ---- collections, pages, redirects ----------------------------------------------------------

/// `COLLECTION_FIELDS`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionNode {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description_html: String,
    pub updated_at: String,
    pub seo: Seo,
    pub image: Option<ImageUrl>,
    pub tree_path: Option<MetafieldValue>,
}

/// `PAGE_FIELDS`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageNode {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub body: String,
    pub is_published: bool,
    pub created_at: String,
    pub seo_title: Option<MetafieldValue>,
    pub seo_description: Option<MetafieldValue>,
}

/// `REDIRECT_FIELDS`.
#[derive(Debug, Clone, Deserialize)]
pub struct RedirectNode {
    pub id: String,
    pub path: String,
    pub target: String,
}

// ---- orders -------------------------------------------------------------------------------

/// `order_fields` (paged, and the bulk query's order lines, regrouped).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderNode {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub processed_at: String,
    pub cancelled_at: Option<String>,
    pub currency_code: String,
    pub presentment_currency_code: String,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub display_financial_status: Option<String>,
    pub display_fulfillment_status: String,
    pub customer: Option<OrderCustomer>,
    pub subtotal_price_set: Option<MoneyBag>,
    pub total_discounts_set: Option<MoneyBag>,
    pub total_shipping_price_set: MoneyBag,
    pub total_tax_set: Option<MoneyBag>,
    pub total_price_set: MoneyBag,
    pub discount_codes: Vec<String>,
    pub tax_lines: Vec<TaxLineReply>,
    pub transactions: Vec<TransactionReply>,
    pub billing_address: Option<MailingAddress>,
    pub shipping_address: Option<MailingAddress>,
    pub shipping_lines: Connection<ShippingLineNode>,
    pub line_items: Connection<LineItemNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderCustomer {
    pub id: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxLineReply {
    pub title: String,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub rate: Option<Decimal>,
    pub price_set: MoneyBag,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionReply {
    pub kind: String,
    pub status: String,
    pub gateway: Option<String>,
    pub processed_at: Option<String>,
    pub amount_set: MoneyBag,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingLineNode {
    pub title: String,
    pub code: Option<String>,
    pub original_price_set: MoneyBag,
    pub tax_lines: Vec<TaxLineReply>,
}

/// Fragment `L`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItemNode {
    pub title: String,
    pub sku: Option<String>,
    pub variant_title: Option<String>,
    pub quantity: i64,
    pub original_unit_price_set: MoneyBag,
    pub total_discount_set: MoneyBag,
    pub tax_lines: Vec<TaxLineReply>,
}

// ---- small queries ------------------------------------------------------------------------

/// `{ shop { currencyCode } }`.
#[derive(Debug, Clone, Deserialize)]
pub struct ShopReply {
    pub shop: Shop,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shop {
    pub currency_code: String,
}

/// `{ locations(first: 1) { nodes { id } } }`.
#[derive(Debug, Clone, Deserialize)]
pub struct LocationsReply {
    pub locations: Nodes<Id>,
}

/// A `Count` where only `count` is selected.
#[derive(Debug, Clone, Deserialize)]
pub struct CountOnly {
    pub count: u64,
}

/// A record found by key (collections by handle, orders by custom id, pages and redirects by
/// search); `handle` / `path` / `target` where the lookup selects them.
#[derive(Debug, Clone, Deserialize)]
pub struct Keyed {
    pub id: String,
    pub handle: Option<String>,
    pub path: Option<String>,
    pub target: Option<String>,
}

// ---- mutation payloads --------------------------------------------------------------------

/// `userErrors { field message }` (and `code` where selected; every error type the connector
/// selects has it nullable).
#[derive(Debug, Clone, Deserialize)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    #[serde(default)]
    pub code: Option<String>,
}

/// The payload of an upsert or keyed write: the record (`product`, `customer`, `collection`,
/// `page`, `urlRedirect` or `order`, nullable) and its `userErrors`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WritePayload {
    #[serde(
        rename = "product",
        alias = "customer",
        alias = "collection",
        alias = "page",
        alias = "urlRedirect",
        alias = "order",
        default
    )]
    pub record: Option<Written>,
    pub user_errors: Vec<UserError>,
}

/// The record a write answers: its id, for `productSet` its media's processing, and for
/// `customerSet` the phone and consent states the customer holds (only customers ask for them).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    pub id: String,
    #[serde(default)]
    pub media: Option<Nodes<MediaStatus>>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email_marketing_consent: Option<ConsentState>,
    #[serde(default)]
    pub sms_marketing_consent: Option<ConsentState>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStatus {
    pub status: String,
    pub media_errors: Vec<MediaError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MediaError {
    pub message: String,
}

/// A delete's payload: only its errors are read (the deleted id is nullable and unused).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePayload {
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedUploadsPayload {
    pub staged_targets: Option<Vec<StagedTarget>>,
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedTarget {
    pub url: Option<String>,
    pub resource_url: Option<String>,
    pub parameters: Vec<StagedParameter>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StagedParameter {
    pub name: String,
    pub value: String,
}

/// `bulkOperationRunMutation` / `bulkOperationRunQuery`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRunPayload {
    pub bulk_operation: Option<BulkOp>,
    pub user_errors: Vec<UserError>,
}

/// Where a bulk operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OpStatus {
    Created,
    Running,
    Canceling,
    Canceled,
    Completed,
    Failed,
    /// Its result file is gone (Shopify keeps it seven days).
    Expired,
    #[serde(other)]
    Unknown,
}

impl OpStatus {
    /// Shopify's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::Created => "CREATED",
            OpStatus::Running => "RUNNING",
            OpStatus::Canceling => "CANCELING",
            OpStatus::Canceled => "CANCELED",
            OpStatus::Completed => "COMPLETED",
            OpStatus::Failed => "FAILED",
            OpStatus::Expired => "EXPIRED",
            OpStatus::Unknown => "an unknown status",
        }
    }

    pub fn running(self) -> bool {
        matches!(
            self,
            OpStatus::Created | OpStatus::Running | OpStatus::Canceling
        )
    }
}

/// A bulk operation as Shopify reports it (`OP_FIELDS`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOp {
    pub id: String,
    pub status: OpStatus,
    pub error_code: Option<String>,
    pub url: Option<String>,
    pub partial_data_url: Option<String>,
    /// Bytes of the result file.
    #[serde(default, deserialize_with = "opt_u64")]
    pub file_size: Option<u64>,
    pub query: String,
}

/// One line of a bulk mutation's result file: the mutation's `data` (or its `errors`) and the
/// number of the input line it answers.
#[derive(Debug, Clone, Deserialize)]
pub struct BulkMutationLine {
    #[serde(rename = "__lineNumber")]
    pub line_number: usize,
    #[serde(default)]
    pub data: Option<BTreeMap<String, Option<WritePayload>>>,
    #[serde(default)]
    pub errors: Option<Vec<GraphqlError>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectImportCreatePayload {
    pub url_redirect_import: Option<Id>,
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectImportSubmitPayload {
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectImport {
    pub finished: bool,
    pub created_count: Option<u64>,
    pub updated_count: Option<u64>,
    pub failed_count: Option<u64>,
}

// ---- the envelope -------------------------------------------------------------------------

/// A GraphQL error (`errors[]`), with the code Shopify puts in its extensions.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<ErrorExtensions>,
}

impl GraphqlError {
    pub fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.code.as_deref()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

/// The whole reply: `data`, `errors`, `extensions.cost`.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Option<Vec<GraphqlError>>,
    #[serde(default)]
    pub extensions: Option<Extensions>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Extensions {
    #[serde(default)]
    pub cost: Option<Cost>,
}

/// `extensions.cost`: what the document was charged and what the bucket holds now.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    /// `null` for a throttled document (it did not run).
    #[serde(default)]
    pub actual_query_cost: Option<f64>,
    #[serde(default)]
    pub throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// The user errors as one message (`field.path: message; ...`).
pub fn user_errors(errors: &[UserError]) -> String {
    if errors.is_empty() {
        return "Shopify returned no record and no error".into();
    }
    errors
        .iter()
        .map(|e| match e.field.as_deref().map(|f| f.join(".")) {
            Some(f) if !f.is_empty() => format!("{f}: {}", e.message),
            _ => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Just the messages, joined.
pub fn messages(errors: &[UserError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Replies as the documents of `documents.rs` select them, complete, for tests.
#[cfg(test)]
pub(super) mod fixtures {
    use serde_json::{json, Value};

    pub fn variant() -> Value {
        json!({ "id": "gid://shopify/ProductVariant/1", "sku": "HAT-S", "barcode": null,
            "price": "19.99", "compareAtPrice": null, "inventoryQuantity": 4,
            "inventoryPolicy": "DENY", "taxable": true, "image": null,
            "selectedOptions": [{ "name": "Size", "value": "S" }],
            "inventoryItem": { "tracked": true, "requiresShipping": true, "unitCost": { "amount": "7.125" },
                "measurement": { "weight": { "value": 0.25, "unit": "KILOGRAMS" } } } })
    }

    pub fn product() -> Value {
        json!({ "id": "gid://shopify/Product/1", "handle": "hat", "title": "Hat",
            "descriptionHtml": "<p>Warm</p>", "vendor": "Acme", "productType": "", "tags": ["winter"],
            "status": "ACTIVE", "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-02-01T00:00:00Z",
            "seo": { "title": null, "description": null },
            "options": [{ "name": "Size", "values": ["S"] }],
            "variants": { "nodes": [variant()], "pageInfo": { "hasNextPage": false, "endCursor": null } },
            "media": { "nodes": [{ "id": "gid://shopify/MediaImage/1", "alt": "front", "image": { "url": "https://cdn/x.png" } },
                                 { "id": "gid://shopify/Video/1", "alt": null }],
                       "pageInfo": { "hasNextPage": false, "endCursor": null } },
            "collections": { "nodes": [{ "id": "gid://shopify/Collection/1", "title": "Hats",
                                         "treePath": { "value": "[\"Clothing\",\"Hats\"]" } }],
                             "pageInfo": { "hasNextPage": false, "endCursor": null } } })
    }

    fn bag(amount: &str) -> Value {
        json!({ "shopMoney": { "amount": amount, "currencyCode": "EUR" },
                "presentmentMoney": { "amount": amount, "currencyCode": "EUR" } })
    }

    pub fn order() -> Value {
        json!({ "id": "gid://shopify/Order/7", "name": "#1007", "email": null,
            "createdAt": "2024-03-02T00:00:00Z", "updatedAt": "2024-03-02T00:00:00Z",
            "processedAt": "2024-03-01T10:00:00Z", "cancelledAt": null, "currencyCode": "EUR",
            "presentmentCurrencyCode": "EUR",
            "note": null, "tags": [], "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "UNFULFILLED",
            "customer": { "id": "gid://shopify/Customer/3", "email": "a@b.co" },
            "subtotalPriceSet": bag("90.10"), "totalDiscountsSet": bag("9.90"),
            "totalShippingPriceSet": bag("4.95"), "totalTaxSet": null, "totalPriceSet": bag("95.05"),
            "discountCodes": ["TEN"],
            "taxLines": [{ "title": "VAT", "rate": 0.2, "priceSet": bag("0.00") }],
            "transactions": [{ "kind": "SALE", "status": "SUCCESS", "gateway": "manual",
                               "processedAt": null, "amountSet": bag("95.05") }],
            "billingAddress": null,
            "shippingAddress": { "address1": "1 Road", "address2": null, "city": "Town", "company": null,
                "countryCodeV2": "DE", "firstName": "A", "lastName": "B", "phone": null,
                "provinceCode": null, "zip": "10115" },
            "shippingLines": { "nodes": [{ "title": "Post", "code": null, "originalPriceSet": bag("4.95"), "taxLines": [] }],
                               "pageInfo": { "hasNextPage": false, "endCursor": null } },
            "lineItems": { "nodes": [{ "title": "Hat", "sku": "HAT-S", "variantTitle": "S", "quantity": 2,
                                       "originalUnitPriceSet": bag("50.00"), "totalDiscountSet": bag("0.00"),
                                       "taxLines": [] }],
                           "pageInfo": { "hasNextPage": false, "endCursor": null } } })
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures;
    use super::*;
    use serde_json::json;

    fn listing(node: Value) -> Value {
        json!({ "products": { "nodes": [node], "pageInfo": { "hasNextPage": false, "endCursor": null } } })
    }

    #[test]
    fn a_complete_product_reads_and_its_money_is_exact() {
        let conn: Connection<ProductNode> =
            field("list products", &listing(fixtures::product()), "products").expect("reads");
        let p = &conn.nodes[0];
        let v = &p.variants.nodes[0];
        assert_eq!(v.price, Decimal::new(1999, 2));
        assert_eq!(v.compare_at_price, None);
        let cost = v.inventory_item.unit_cost.as_ref().expect("a cost");
        assert_eq!(cost.amount, Decimal::new(7125, 3));
        assert_eq!(
            v.inventory_item
                .measurement
                .weight
                .as_ref()
                .map(|w| w.value),
            Some(Decimal::new(25, 2))
        );
        // The video has no `image` (it is selected by a MediaImage fragment only).
        assert!(p.media.nodes[1].image.is_none());
    }

    #[test]
    fn money_keeps_every_digit_a_float_would_lose() {
        let mut node = fixtures::variant();
        node["price"] = json!("12345678901234.567890123");
        node["compareAtPrice"] = json!("0.1");
        let v: VariantNode = parse("more product variants", "", &node).expect("reads");
        assert_eq!(v.price.to_string(), "12345678901234.567890123");
        assert_eq!(v.compare_at_price, Some(Decimal::new(1, 1)));
        node["price"] = json!("twelve");
        let e = parse::<VariantNode>("more product variants", "", &node).expect_err("refused");
        assert_eq!(e.path, "price");
        assert!(e.message.contains("twelve"), "{e}");
    }

    #[test]
    fn a_missing_non_null_field_is_an_error_naming_document_and_path() {
        let mut node = fixtures::product();
        node["variants"]["nodes"][0]
            .as_object_mut()
            .expect("an object")
            .remove("price");
        let e = field::<Connection<ProductNode>>("list products", &listing(node), "products")
            .expect_err("refused");
        assert_eq!(e.document, "list products");
        assert_eq!(e.path, "products.nodes[0].variants.nodes[0]");
        assert!(e.message.contains("missing field `price`"), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("\"list products\"") && text.contains("`price`"),
            "{text}"
        );

        let mut order = fixtures::order();
        order
            .as_object_mut()
            .expect("an object")
            .remove("totalPriceSet");
        let e = parse::<OrderNode>("list orders", "orders.nodes[3]", &order).expect_err("refused");
        assert_eq!(e.path, "orders.nodes[3]");
        assert!(e.message.contains("`totalPriceSet`"), "{e}");

        let mut order = fixtures::order();
        order["lineItems"]["nodes"][0]["originalUnitPriceSet"] = json!({ "shopMoney": {} });
        let e = parse::<OrderNode>("list orders", "", &order).expect_err("refused");
        assert_eq!(e.path, "lineItems.nodes[0].originalUnitPriceSet.shopMoney");
        assert!(e.message.contains("`amount`"), "{e}");

        // The root field itself, even where it may be null.
        let e = field::<Option<CountOnly>>("count productsCount", &json!({}), "productsCount")
            .expect_err("refused");
        assert!(e.message.contains("`productsCount`"), "{e}");
    }

    #[test]
    fn nullable_fields_are_options_and_null_is_not_an_error() {
        let o: OrderNode = parse("list orders", "", &fixtures::order()).expect("reads");
        assert!(o.total_tax_set.is_none() && o.billing_address.is_none());
        assert_eq!(o.tax_lines[0].rate, Some(Decimal::new(2, 1)));
        assert_eq!(
            o.customer.as_ref().map(|c| c.id.as_str()),
            Some("gid://shopify/Customer/3")
        );
        let c: Option<CountOnly> = field(
            "count productsCount",
            &json!({ "productsCount": null }),
            "productsCount",
        )
        .expect("null is an answer");
        assert!(c.is_none());
    }

    #[test]
    fn write_payloads_read_whichever_record_they_carry() {
        let p: WritePayload = parse(
            "writes [CollectionCreate]",
            "r0",
            &json!({ "collection": { "id": "gid://shopify/Collection/9" }, "userErrors": [] }),
        )
        .expect("reads");
        assert_eq!(
            p.record.map(|r| r.id).as_deref(),
            Some("gid://shopify/Collection/9")
        );
        let p: WritePayload = parse(
            "upsert Product x1",
            "r0",
            &json!({ "product": null, "userErrors": [{ "field": ["input", "handle"], "message": "taken", "code": "TAKEN" }] }),
        )
        .expect("reads");
        assert_eq!(user_errors(&p.user_errors), "input.handle: taken");
        let e = parse::<WritePayload>("upsert Product x1", "r0", &json!({ "product": null }))
            .expect_err("userErrors is non-null");
        assert!(e.message.contains("`userErrors`"), "{e}");
    }

    #[test]
    fn a_bulk_operation_reads_its_unsigned_int64_and_requires_its_status() {
        let op: BulkOp = parse(
            "bulk operation by id",
            "node",
            &json!({ "id": "gid://shopify/BulkOperation/1", "status": "COMPLETED", "errorCode": null,
                     "objectCount": "3", "fileSize": "1024", "url": "http://127.0.0.1/x", "partialDataUrl": null,
                     "query": "{ products { edges { node { id } } } }" }),
        )
        .expect("reads");
        assert_eq!((op.status, op.file_size), (OpStatus::Completed, Some(1024)));
        let e = parse::<BulkOp>(
            "bulk operation by id",
            "node",
            &json!({ "id": "x", "query": "" }),
        )
        .expect_err("refused");
        assert_eq!(e.path, "node");
        assert!(e.message.contains("`status`"), "{e}");
    }

    #[test]
    fn the_envelope_reads_cost_and_error_codes() {
        let env: Envelope = parse(
            "list products",
            "",
            &json!({ "data": null, "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED" } }],
                     "extensions": { "cost": { "requestedQueryCost": 50, "actualQueryCost": null,
                        "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 10, "restoreRate": 100.0 } } } }),
        )
        .expect("reads");
        let errors = env.errors.expect("errors");
        assert_eq!(errors[0].code(), Some("THROTTLED"));
        let cost = env.extensions.and_then(|e| e.cost).expect("a cost");
        assert_eq!(cost.actual_query_cost, None);
        assert_eq!(
            cost.throttle_status.map(|t| t.currently_available),
            Some(10.0)
        );
    }
}
