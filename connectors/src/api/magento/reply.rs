//! The replies the connector reads, as Adobe's Admin REST schema (2.4.8) describes them. A
//! field the schema requires and the connector needs is a plain field: a reply without it is
//! an error naming endpoint and field. Everything else is an `Option`, so a value Magento did
//! not send is never taken for zero or empty. Where Magento itself answers differently from
//! its schema (named error parameters, `null` region fields, array attribute values), the
//! struct follows Magento and `sandbox/specs/magento/exceptions.md` says why.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `*-search-results-interface`: one page of a search.
#[derive(Debug, Deserialize)]
pub struct SearchResults<T> {
    pub items: Vec<T>,
    pub total_count: u64,
}

/// `catalog-data-product-interface`.
#[derive(Debug, Deserialize)]
pub struct Product {
    pub id: Option<u64>,
    pub sku: String,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    pub status: Option<i64>,
    pub visibility: Option<i64>,
    pub type_id: Option<String>,
    pub created_at: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS`, UTC: when the store last saved the product.
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub weight: Option<Decimal>,
    pub extension_attributes: Option<ProductExtension>,
    pub media_gallery_entries: Option<Vec<MediaEntry>>,
    pub custom_attributes: Option<Vec<CustomAttribute>>,
}

impl Product {
    /// A custom attribute's value as text (numbers as written), `None` when absent or empty.
    pub fn custom(&self, code: &str) -> Option<String> {
        custom_value(self.custom_attributes.as_deref(), code)
    }

    /// The ids of the categories the product is linked to (ids that are not numbers cannot
    /// name a category and are left out).
    pub fn category_ids(&self) -> Vec<u64> {
        self.extension_attributes
            .as_ref()
            .and_then(|e| e.category_links.as_deref())
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l.category_id.trim().parse().ok())
            .collect()
    }

    pub fn stock(&self) -> Option<&StockItem> {
        self.extension_attributes.as_ref()?.stock_item.as_ref()
    }

    pub fn configurable_options(&self) -> &[ConfigurableOption] {
        self.extension_attributes
            .as_ref()
            .and_then(|e| e.configurable_product_options.as_deref())
            .unwrap_or_default()
    }
}

/// `catalog-data-product-extension-interface` (the parts the connector reads).
#[derive(Debug, Deserialize)]
pub struct ProductExtension {
    pub stock_item: Option<StockItem>,
    pub configurable_product_options: Option<Vec<ConfigurableOption>>,
    #[serde(default)]
    pub category_links: Option<Vec<CategoryLink>>,
}

/// `catalog-data-category-link-interface`: the schema types `category_id` as a string (the
/// id as text) and requires it.
#[derive(Debug, Deserialize)]
pub struct CategoryLink {
    pub category_id: String,
}

/// `catalog-data-category-interface` as `/V1/categories/list` and `/V1/categories/{id}`
/// answer it (the parts the connector reads). The schema requires none of its fields; a
/// category without its id, parent or name cannot be placed in the tree, so those three are
/// required here. The canonical category has no active flag or position to read them into.
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: u64,
    pub parent_id: u64,
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    #[serde(default)]
    pub updated_at: Option<String>,
    pub custom_attributes: Option<Vec<CustomAttribute>>,
}

impl Category {
    /// A custom attribute's value as text, `None` when absent or empty.
    pub fn custom(&self, code: &str) -> Option<String> {
        custom_value(self.custom_attributes.as_deref(), code)
    }
}

fn custom_value(attributes: Option<&[CustomAttribute]>, code: &str) -> Option<String> {
    attributes?
        .iter()
        .find(|a| a.attribute_code == code)
        .and_then(|a| match &a.value {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// `catalog-inventory-data-stock-item-interface` (the parts the connector reads).
#[derive(Debug, Deserialize)]
pub struct StockItem {
    pub qty: Option<f64>,
    pub manage_stock: Option<bool>,
    pub backorders: Option<i64>,
}

/// `configurable-product-data-option-interface`. The schema requires none of its fields; the
/// connector cannot read an option without its attribute.
#[derive(Debug, Deserialize)]
pub struct ConfigurableOption {
    pub attribute_id: String,
    pub label: Option<String>,
    pub position: Option<i64>,
}

/// `catalog-data-product-attribute-media-gallery-entry-interface`.
#[derive(Debug, Deserialize)]
pub struct MediaEntry {
    pub label: Option<String>,
    pub position: Option<i64>,
    pub disabled: Option<bool>,
    pub file: Option<String>,
}

/// `framework-attribute-interface`. The schema types `value` as a string; Magento sends arrays
/// for multiselect attributes and `category_ids`, so the value is kept as it came.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomAttribute {
    pub attribute_code: String,
    pub value: Value,
}

/// A record listed for its id only (`fields=items[id,sku,visibility,type_id]`).
#[derive(Debug, Deserialize)]
pub struct IdOnly {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub visibility: Option<i64>,
    #[serde(default)]
    pub type_id: Option<String>,
}

/// `customer-data-customer-interface`. `id` is optional in the schema, but a customer the
/// connector reads or creates without one cannot be referred to.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    pub website_id: Option<u64>,
    pub addresses: Option<Vec<Address>>,
    #[serde(default)]
    pub extension_attributes: Option<CustomerExtension>,
}

/// `customer-data-customer-extension-interface` (the part the connector reads).
#[derive(Debug, Deserialize)]
pub struct CustomerExtension {
    /// The newsletter subscription: Magento's only e-mail consent.
    pub is_subscribed: Option<bool>,
}

/// `customer-data-address-interface`.
#[derive(Debug, Deserialize)]
pub struct Address {
    pub region: Option<Region>,
    pub country_id: Option<String>,
    pub street: Option<Vec<String>>,
    pub company: Option<String>,
    pub telephone: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub default_billing: Option<bool>,
}

/// `customer-data-region-interface`. The schema requires all three fields; Magento answers
/// `null` for an address without a region (its own tests expect `region_id: 0` and nulls).
#[derive(Debug, Deserialize)]
pub struct Region {
    pub region_code: Option<String>,
    pub region: Option<String>,
}

/// `directory-data-country-information-interface` (the parts the connector reads).
#[derive(Debug, Deserialize)]
pub struct Country {
    pub id: String,
    pub full_name_english: Option<String>,
    pub available_regions: Option<Vec<DirectoryRegion>>,
}

/// `directory-data-region-information-interface`.
#[derive(Debug, Clone, Deserialize)]
pub struct DirectoryRegion {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// `catalog-data-product-attribute-interface` (the parts the connector reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Attribute {
    pub attribute_id: u64,
    pub attribute_code: String,
    pub frontend_input: String,
    pub scope: Option<String>,
    pub is_user_defined: Option<bool>,
    pub is_visible: Option<bool>,
    pub default_frontend_label: Option<String>,
}

impl Attribute {
    /// Whether a configurable product can be built on it (ConfigurableProduct's
    /// `canUseAttribute`: global scope, visible, a list of options, made by a user).
    pub fn configurable(&self) -> Result<(), String> {
        let select = matches!(
            self.frontend_input.as_str(),
            "select" | "swatch_visual" | "swatch_text"
        );
        if !select {
            return Err(format!(
                "its input type is \"{}\", not a dropdown",
                self.frontend_input
            ));
        }
        if self.scope.as_deref() != Some("global") {
            return Err(format!(
                "its scope is \"{}\", not global",
                self.scope.as_deref().unwrap_or("unknown")
            ));
        }
        if self.is_user_defined == Some(false) || self.is_visible == Some(false) {
            return Err("it is a system or hidden attribute".into());
        }
        Ok(())
    }

    pub fn label(&self) -> &str {
        self.default_frontend_label
            .as_deref()
            .unwrap_or(&self.attribute_code)
    }
}

/// `eav-data-attribute-option-interface`.
#[derive(Debug, Clone, Deserialize)]
pub struct AttributeOption {
    pub label: String,
    pub value: String,
}

/// `eav-data-attribute-group-interface`.
#[derive(Debug, Deserialize)]
pub struct AttributeGroup {
    pub attribute_group_id: String,
    pub attribute_group_name: String,
}

/// `error-response`. The schema types `parameters` as a list of named items; Magento sends an
/// object for named placeholders (`%fieldName`) and a list for numbered ones (`%1`).
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    pub parameters: Option<Parameters>,
    pub errors: Option<Vec<ErrorItem>>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorItem {
    pub message: String,
    pub parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Parameters {
    Named(Map<String, Value>),
    Numbered(Vec<Value>),
}

fn fill(message: &str, parameters: Option<&Parameters>) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut m = message.to_string();
    match parameters {
        Some(Parameters::Named(p)) => {
            for (k, v) in p {
                m = m.replace(&format!("%{k}"), &text(v));
            }
        }
        Some(Parameters::Numbered(p)) => {
            // %10 before %1, so the longer placeholder is not eaten by the shorter.
            for (i, v) in p.iter().enumerate().rev() {
                m = m.replace(&format!("%{}", i + 1), &text(v));
            }
        }
        None => {}
    }
    m
}

impl ErrorBody {
    pub fn text(&self) -> String {
        let head = fill(&self.message, self.parameters.as_ref());
        match self.errors.as_deref() {
            Some(list) if !list.is_empty() => {
                let each: Vec<String> = list
                    .iter()
                    .map(|e| fill(&e.message, e.parameters.as_ref()))
                    .collect();
                format!("{head} {}", each.join(" "))
            }
            _ => head,
        }
    }
}

/// A number the schema types as `number`; Magento writes decimals as JSON numbers, some
/// extensions as numeric strings. Anything else is an error, never a zero.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(v) => crate::api::amount_of(&v).map_err(serde::de::Error::custom),
    }
}
