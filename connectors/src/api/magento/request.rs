//! The bodies the connector sends, as Adobe's Admin REST schema (2.4.8) describes them. A value
//! the record does not have is left out, never sent as `""` or `0`.

use serde::Serialize;

/// `POST /V1/integration/admin/token`.
#[derive(Debug, Serialize)]
pub struct AdminLogin<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

/// `PUT /V1/products/{sku}`: `{ "product": ... }`.
#[derive(Debug, Serialize)]
pub struct SaveProduct<'a> {
    pub product: &'a ProductBody,
}

/// `catalog-data-product-interface`, as the connector writes it.
#[derive(Debug, Clone, Serialize)]
pub struct ProductBody {
    pub sku: String,
    pub name: String,
    pub attribute_set_id: u64,
    pub status: i64,
    pub visibility: i64,
    pub type_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_attributes: Option<ProductExtensionBody>,
    pub custom_attributes: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProductExtensionBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_item: Option<StockItemBody>,
    /// Sent whole: Magento replaces a product's links with the list a save carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_links: Option<Vec<CategoryLinkBody>>,
}

/// `catalog-data-category-link-interface`: `category_id` is the id as text.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryLinkBody {
    pub position: i64,
    pub category_id: String,
}

/// `POST /V1/categories` and `PUT /V1/categories/{id}`: `{ "category": ... }`.
#[derive(Debug, Serialize)]
pub struct SaveCategory<'a> {
    pub category: &'a CategoryBody,
}

/// `catalog-data-category-interface`, as the connector writes it. `url_key` (and the
/// description and meta fields) are custom attributes of the category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub parent_id: u64,
    pub name: String,
    /// Sent on a create only: an update keeps what the store's admin set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_in_menu: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    pub custom_attributes: Vec<AttributeValue>,
}

/// `catalog-inventory-data-stock-item-interface`. Magento applies `manage_stock` and
/// `backorders` only when the matching `use_config_*` flag is off.
#[derive(Debug, Clone, Serialize)]
pub struct StockItemBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<f64>,
    pub is_in_stock: bool,
    pub use_config_manage_stock: bool,
    pub manage_stock: bool,
    pub use_config_backorders: bool,
    pub backorders: i64,
}

/// `framework-attribute-interface`: every value the connector writes is text (option values
/// are their ids as text, as Magento's own admin sends them).
#[derive(Debug, Clone, Serialize)]
pub struct AttributeValue {
    pub attribute_code: String,
    pub value: String,
}

impl AttributeValue {
    pub fn new(code: &str, value: impl Into<String>) -> Self {
        AttributeValue {
            attribute_code: code.to_string(),
            value: value.into(),
        }
    }
}

/// `POST /V1/products/attributes`: a dropdown attribute configurable products can use.
#[derive(Debug, Serialize)]
pub struct SaveAttribute<'a> {
    pub attribute: NewAttribute<'a>,
}

/// `catalog-data-product-attribute-interface`, with the fields the schema requires
/// (`attribute_code`, `frontend_input`, `entity_type_id`, `is_required`, `frontend_labels`) and
/// the ones ConfigurableProduct checks (global scope, visible, user defined).
#[derive(Debug, Serialize)]
pub struct NewAttribute<'a> {
    pub attribute_code: &'a str,
    pub frontend_input: &'static str,
    pub entity_type_id: &'static str,
    pub is_required: bool,
    pub frontend_labels: Vec<FrontendLabel<'a>>,
    pub default_frontend_label: &'a str,
    pub scope: &'static str,
    pub is_user_defined: bool,
    pub is_visible: bool,
    pub is_filterable: bool,
    pub is_comparable: &'static str,
    pub is_visible_on_front: &'static str,
}

#[derive(Debug, Serialize)]
pub struct FrontendLabel<'a> {
    pub store_id: u64,
    pub label: &'a str,
}

/// `POST /V1/products/attribute-sets/attributes`: puts an attribute in a set's group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignAttribute<'a> {
    pub attribute_set_id: u64,
    pub attribute_group_id: u64,
    pub attribute_code: &'a str,
    pub sort_order: i64,
}

/// `POST /V1/products/attributes/{code}/options`. The schema marks `value` required; Magento
/// ignores it on create and numbers the option itself (magento/magento2#36939), so it is left
/// out.
#[derive(Debug, Serialize)]
pub struct AddOption<'a> {
    pub option: NewOption<'a>,
}

#[derive(Debug, Serialize)]
pub struct NewOption<'a> {
    pub label: &'a str,
    pub is_default: bool,
}

/// `POST /V1/configurable-products/{sku}/options`.
#[derive(Debug, Serialize)]
pub struct AddConfigurableOption<'a> {
    pub option: ConfigurableOptionBody<'a>,
}

#[derive(Debug, Serialize)]
pub struct ConfigurableOptionBody<'a> {
    pub attribute_id: String,
    pub label: &'a str,
    pub position: i64,
    pub is_use_default: bool,
    pub values: Vec<ConfigurableValueBody>,
}

#[derive(Debug, Serialize)]
pub struct ConfigurableValueBody {
    pub value_index: u64,
}

/// `POST /V1/configurable-products/{sku}/child`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddChild<'a> {
    pub child_sku: &'a str,
}

/// `POST /V1/customers` and `PUT /V1/customers/{id}`: `{ "customer": ... }`.
#[derive(Debug, Serialize)]
pub struct SaveCustomer<'a> {
    pub customer: &'a CustomerBody,
}

/// `customer-data-customer-interface`: `email`, `firstname` and `lastname` are required.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub website_id: u64,
    pub addresses: Vec<AddressBody>,
    pub extension_attributes: CustomerExtensionBody,
}

/// `customer-data-customer-extension-interface`: the newsletter subscription, Magento's
/// e-mail consent.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerExtensionBody {
    pub is_subscribed: bool,
}

/// `customer-data-address-interface`, with every value Magento's address validator requires
/// (names, first street line, city, country, telephone, postcode where the country has them,
/// and the directory's `region_id` where the country has regions).
#[derive(Debug, Clone, Serialize)]
pub struct AddressBody {
    pub firstname: String,
    pub lastname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub street: Vec<String>,
    pub city: String,
    pub country_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Required unless the store made it optional (Stores > Configuration > Customers >
    /// Name and Address Options > Show Telephone; the endpoint's `optional_telephone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    pub default_billing: bool,
    pub default_shipping: bool,
}

/// `customer-data-region-interface`: the schema requires all three. A region typed as text
/// (countries without a region list) carries `region_id: 0`, which is how Magento itself
/// stores "no directory region".
#[derive(Debug, Clone, Serialize)]
pub struct RegionBody {
    pub region_code: String,
    pub region: String,
    pub region_id: u64,
}
