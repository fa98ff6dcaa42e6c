//! What the Vendure connector reads from the Admin GraphQL API, as typed replies.
//!
//! The shapes follow Vendure 3.7's Admin API schema as the running engine answers it by
//! introspection (`__type(name: "Product") { fields { name type { kind name } } }` and so on,
//! checked against Vendure 3.7.3 as tools/engines/vendure-start.sh runs it). Non-null fields of the schema that a document selects are plain fields here: a reply
//! without one is an error naming the query and the path. Nullable fields are `Option`.
//! Prices are `Int` in minor units (`Money` scalar), kept as integers until turned into exact
//! decimals.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Parses a reply's `data` into `T`; what is missing or malformed is named by its path.
pub fn parse<T: DeserializeOwned>(what: &str, data: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(data).map_err(|e| {
        format!(
            "Vendure {what}: the reply does not match the Admin API's schema at `{}`: {}",
            e.path(),
            e.inner()
        )
    })
}

/// A `PaginatedList` (`totalItems: Int!`, `items: [T!]!`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    pub total_items: u64,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// `{ collections(...) { ... } }`.
#[derive(Debug, Deserialize)]
pub struct Collections<T> {
    pub collections: List<T>,
}

/// `{ products(...) { ... } }`.
#[derive(Debug, Deserialize)]
pub struct Products<T> {
    pub products: List<T>,
}

/// `{ customers(...) { ... } }`.
#[derive(Debug, Deserialize)]
pub struct Customers<T> {
    pub customers: List<T>,
}

/// Only the total of a list was asked for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub total_items: u64,
}

/// `{ activeChannel { defaultCurrencyCode } globalSettings { serverConfig { moneyStrategyPrecision } } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveChannel {
    pub active_channel: Channel,
    pub global_settings: GlobalSettings,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub default_currency_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalSettings {
    pub server_config: ServerConfig,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfig {
    /// The server's `MoneyStrategy.precision` (since 2.2): how many decimal places its money
    /// integers hold, whatever the currency (2 by default, so ¥1,500 is stored as 150000).
    pub money_strategy_precision: u32,
}

/// A list item of which only the id was asked for.
#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: String,
}

/// A collection of the tree the connector caches: its slug names it, its breadcrumbs its path.
#[derive(Debug, Deserialize)]
pub struct CollectionNode {
    pub id: String,
    pub slug: String,
    pub breadcrumbs: Vec<Breadcrumb>,
}

/// `{ product(slug:) { id slug optionGroups { ... } variants { id sku } } }`.
#[derive(Debug, Deserialize)]
pub struct ProductBySlug {
    pub product: Option<FoundProduct>,
}

/// A product found by its slug, with what the upsert compares.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundProduct {
    pub id: String,
    pub slug: String,
    pub option_groups: Vec<OptionGroupReply>,
    pub variants: Vec<VariantSku>,
}

#[derive(Debug, Deserialize)]
pub struct VariantSku {
    pub id: String,
    pub sku: String,
}

/// `createProduct { id slug }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedProduct {
    pub create_product: Made,
}

/// What a create mutation answers: the new record's id and slug.
#[derive(Debug, Deserialize)]
pub struct Made {
    pub id: String,
    pub slug: String,
}

/// `createProductOptionGroup { id options { id name } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedGroup {
    pub create_product_option_group: NewGroup,
}

#[derive(Debug, Deserialize)]
pub struct NewGroup {
    pub id: String,
    pub options: Vec<OptionReply>,
}

/// `createProductOption { id }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOption {
    pub create_product_option: Id,
}

/// `{ customers(...) { items { id emailAddress addresses { ... } } } }`: the look-up by email.
#[derive(Debug, Deserialize)]
pub struct CustomersFound {
    pub customers: Items<FoundCustomer>,
}

/// A list of which only the items were asked for.
#[derive(Debug, Deserialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundCustomer {
    pub id: String,
    pub email_address: String,
    /// `[Address!]`: nullable in the schema.
    pub addresses: Option<Vec<AddressKey>>,
}

/// What tells a customer's addresses apart.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressKey {
    pub street_line1: String,
    pub postal_code: Option<String>,
    pub country: CountryRef,
}

/// Vendure's `ErrorResult` interface: every error member of a result union carries its
/// `errorCode` (`EMAIL_ADDRESS_CONFLICT_ERROR`, …) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResult {
    pub error_code: String,
    pub message: String,
}

/// `login(...)`: `NativeAuthenticationResult = CurrentUser | InvalidCredentialsError |
/// NativeAuthStrategyError`, told apart by `__typename`.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub enum LoginResult {
    CurrentUser(CurrentUser),
    InvalidCredentialsError(ErrorResult),
    NativeAuthStrategyError(ErrorResult),
}

/// The session's user: the login succeeded; nothing of it is read (the token is in a header).
#[derive(Debug, Deserialize)]
pub struct CurrentUser {}

/// `{ login { ... } }`.
#[derive(Debug, Deserialize)]
pub struct Login {
    pub login: LoginResult,
}

/// `createCustomer` / `updateCustomer`: `CreateCustomerResult` and `UpdateCustomerResult` are
/// both `Customer | EmailAddressConflictError`.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub enum CustomerResult {
    Customer(Id),
    EmailAddressConflictError(ErrorResult),
}

impl CustomerResult {
    pub fn into_result(self) -> Result<Id, ErrorResult> {
        match self {
            CustomerResult::Customer(id) => Ok(id),
            CustomerResult::EmailAddressConflictError(e) => Err(e),
        }
    }
}

/// `{ createCustomer { __typename ... on Customer { id } ... on ErrorResult { errorCode message } } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedCustomer {
    pub create_customer: CustomerResult,
}

/// `{ updateCustomer { ... } }`, selected as for a create.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedCustomer {
    pub update_customer: CustomerResult,
}

/// Every GraphQL reply: `data` (null when the request failed as a whole) and `errors`
/// (GraphQL-over-HTTP: a list of `{message, extensions}`).
#[derive(Debug, Deserialize)]
pub struct GqlReply {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<GqlErrorEntry>,
}

#[derive(Debug, Deserialize)]
pub struct GqlErrorEntry {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<GqlErrorExtensions>,
}

/// Vendure names the class of an error here (`FORBIDDEN` when the session ended).
#[derive(Debug, Deserialize)]
pub struct GqlErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

impl GqlReply {
    /// Whether Vendure refused the session (the token expired or was revoked).
    pub fn forbidden(&self) -> bool {
        self.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.code.as_deref())
                .is_some_and(|c| c == "FORBIDDEN")
        })
    }

    /// Vendure's own words for what went wrong.
    pub fn error_messages(&self) -> String {
        self.errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `{ facets(...) { items { id values { id code } } } }`.
#[derive(Debug, Deserialize)]
pub struct Facets {
    pub facets: Items<FacetWithValues>,
}

#[derive(Debug, Deserialize)]
pub struct FacetWithValues {
    pub id: String,
    pub values: Vec<FacetValueId>,
}

#[derive(Debug, Deserialize)]
pub struct FacetValueId {
    pub id: String,
    pub code: String,
}

/// `createFacet { id }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedFacet {
    pub create_facet: Id,
}

/// `createFacetValues { id code }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedFacetValues {
    pub create_facet_values: Vec<FacetValueId>,
}

/// `{ facet(id:) { values { id } } }`.
#[derive(Debug, Deserialize)]
pub struct FacetById {
    pub facet: Option<FacetValuesOnly>,
}

#[derive(Debug, Deserialize)]
pub struct FacetValuesOnly {
    pub values: Vec<Id>,
}

/// `{ collection(slug:) { id } }`.
#[derive(Debug, Deserialize)]
pub struct CollectionBySlug {
    pub collection: Option<Id>,
}

/// `createCollection { id slug }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedCollection {
    pub create_collection: Made,
}

/// `{ collection(id:) { id slug filters { args { name value } } } }`.
#[derive(Debug, Deserialize)]
pub struct CollectionFilters {
    pub collection: Option<CollectionWithFilters>,
}

#[derive(Debug, Deserialize)]
pub struct CollectionWithFilters {
    pub filters: Vec<ConfigurableOperation>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigurableOperation {
    pub args: Vec<ConfigArg>,
}

/// A filter argument: its value is JSON written as a string.
#[derive(Debug, Deserialize)]
pub struct ConfigArg {
    pub name: String,
    pub value: String,
}

/// `{ product(id:) { id optionGroups { id } } }`.
#[derive(Debug, Deserialize)]
pub struct ProductGroups {
    pub product: Option<ProductGroupIds>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductGroupIds {
    pub option_groups: Vec<Id>,
}

/// `DeletionResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeletionResult {
    Deleted,
    NotDeleted,
}

#[derive(Debug, Deserialize)]
pub struct DeletionResponse {
    pub result: DeletionResult,
    pub message: Option<String>,
}

/// `deleteProduct { result message }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedProduct {
    pub delete_product: DeletionResponse,
}

/// `{ customer(id:) { id } }`.
#[derive(Debug, Deserialize)]
pub struct CustomerById {
    pub customer: Option<Id>,
}

/// An id and the time it was last updated (`DateTime!`, ISO 8601 in UTC).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Changed {
    /// `id`, or `productId` of a variant.
    #[serde(alias = "productId")]
    pub id: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize)]
pub struct Breadcrumb {
    pub name: String,
    pub slug: String,
}

/// A `Collection` as the source reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionReply {
    pub id: String,
    pub slug: String,
    pub description: String,
    pub position: i64,
    pub breadcrumbs: Vec<Breadcrumb>,
}

#[derive(Debug, Deserialize)]
pub struct FacetRef {
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct FacetValueReply {
    pub code: String,
    pub facet: FacetRef,
}

#[derive(Debug, Deserialize)]
pub struct OptionReply {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct OptionGroupReply {
    pub id: String,
    pub name: String,
    pub options: Vec<OptionReply>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantOption {
    pub group_id: String,
    pub name: String,
}

/// `GlobalFlag`: a variant's `trackInventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GlobalFlag {
    True,
    False,
    Inherit,
}

/// A `ProductVariant` as the source reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantReply {
    pub id: String,
    pub sku: String,
    /// `Money!`: minor units of `currency_code`.
    pub price: i64,
    pub currency_code: String,
    /// Deprecated in 3.x (introspection hides it) yet answered: the sum over stock levels.
    pub stock_on_hand: i64,
    pub track_inventory: GlobalFlag,
    pub options: Vec<VariantOption>,
}

/// A `Product` as the source reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductReply {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub created_at: String,
    pub facet_values: Vec<FacetValueReply>,
    pub option_groups: Vec<OptionGroupReply>,
    pub variants: Vec<VariantReply>,
}

#[derive(Debug, Deserialize)]
pub struct CountryRef {
    pub code: String,
}

/// An `Address` as the source reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressReply {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    pub street_line1: String,
    #[serde(default)]
    pub street_line2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: CountryRef,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub default_shipping_address: Option<bool>,
}

/// A `Customer` as the source reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReply {
    pub id: String,
    pub email_address: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub addresses: Option<Vec<AddressReply>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `products` reply of the running Vendure 3.7.3 engine to the source's list document.
    fn engine_products_reply() -> Value {
        json!({"products": {"totalItems": 1, "items": [{
            "id": "1", "slug": "p1", "name": "P1", "description": "", "enabled": true,
            "createdAt": "2026-12-07T00:40:12.000Z", "updatedAt": "2026-12-07T00:40:12.000Z",
            "facetValues": [{"code": "shirts", "facet": {"code": "category"}}],
            "optionGroups": [{"id": "1", "name": "Size", "options": [{"id": "1", "name": "M"}]}],
            "variants": [{"id": "1", "sku": "S1", "price": 1234, "currencyCode": "USD",
                "stockOnHand": 9, "trackInventory": "TRUE",
                "options": [{"id": "1", "groupId": "1", "name": "M"}]}]
        }]}})
    }

    #[test]
    fn an_engine_reply_parses() {
        let p: Products<ProductReply> =
            parse("list products", &engine_products_reply()).expect("parses");
        assert_eq!(p.products.total_items, 1);
        let v = &p.products.items[0].variants[0];
        assert_eq!((v.price, v.track_inventory), (1234, GlobalFlag::True));
        assert_eq!(v.options[0].group_id, "1");
    }

    #[test]
    fn a_missing_required_field_is_named_with_its_path() {
        let mut reply = engine_products_reply();
        if let Some(v) = reply["products"]["items"][0]["variants"][0].as_object_mut() {
            v.remove("price");
        }
        let e = parse::<Products<ProductReply>>("list products", &reply).expect_err("no price");
        assert!(e.contains("list products"), "{e}");
        assert!(e.contains("products.items[0].variants[0]"), "{e}");
        assert!(e.contains("missing field `price`"), "{e}");
    }

    #[test]
    fn a_customer_without_addresses_selected_parses_and_a_null_email_does_not() {
        let ok = json!({"customers": {"totalItems": 1, "items": [{"id": "1",
            "emailAddress": "a@b.c", "firstName": "A", "lastName": "B", "phoneNumber": null,
            "createdAt": "2026-12-07T00:40:36.000Z"}]}});
        let c: Customers<CustomerReply> = parse("list customers", &ok).expect("parses");
        assert!(c.customers.items[0].addresses.is_none());
        let mut bad = ok.clone();
        bad["customers"]["items"][0]["emailAddress"] = Value::Null;
        let e = parse::<Customers<CustomerReply>>("list customers", &bad).expect_err("null");
        assert!(e.contains("customers.items[0].emailAddress"), "{e}");
    }
}
