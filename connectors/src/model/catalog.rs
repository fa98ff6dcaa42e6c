use super::{Money, Seo, SourceRef, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A category in the tree. `path` holds the names from the root down to this category.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Category {
    pub source: SourceRef,
    pub handle: String,
    /// Names from the root to this category, inclusive: ["Clothing", "Tshirts"].
    pub path: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description_html: String,
    #[serde(default, skip_serializing_if = "Seo::is_empty")]
    pub seo: Seo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Category {
    pub fn name(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }
    pub fn parent_path(&self) -> &[String] {
        &self.path[..self.path.len().saturating_sub(1)]
    }
    pub fn path_string(&self) -> String {
        self.path.join(" > ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    #[default]
    Active,
    Draft,
    Archived,
}

/// What kind of product the source said it was; targets that cannot model a kind report it.
#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductKind {
    #[default]
    Simple,
    Variable,
    Grouped,
    External,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    G,
    Kg,
    Lb,
    Oz,
}

impl WeightUnit {
    pub fn parse(s: &str) -> Option<WeightUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "g" | "gram" | "grams" => Some(WeightUnit::G),
            "kg" | "kgs" | "kilogram" | "kilograms" => Some(WeightUnit::Kg),
            "lb" | "lbs" | "pound" | "pounds" => Some(WeightUnit::Lb),
            "oz" | "ounce" | "ounces" => Some(WeightUnit::Oz),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            WeightUnit::G => "g",
            WeightUnit::Kg => "kg",
            WeightUnit::Lb => "lb",
            WeightUnit::Oz => "oz",
        }
    }
    /// Grams in one unit (exact decimals, so conversions are reproducible).
    pub fn grams(self) -> Decimal {
        match self {
            WeightUnit::G => Decimal::ONE,
            WeightUnit::Kg => Decimal::from(1000),
            WeightUnit::Lb => Decimal::new(45359237, 5),
            WeightUnit::Oz => Decimal::new(28349523125, 9),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Weight {
    pub value: Decimal,
    pub unit: WeightUnit,
}

impl Weight {
    pub fn grams(&self) -> Decimal {
        self.value * self.unit.grams()
    }
    pub fn to_unit(&self, unit: WeightUnit) -> Weight {
        Weight {
            value: (self.grams() / unit.grams()).round_dp(4).normalize(),
            unit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Variant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_at_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Weight>,
    /// Units in stock; `None` when the source does not track inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<i64>,
    /// Sell when out of stock (Shopify "continue", WooCommerce backorders).
    #[serde(default)]
    pub allow_backorder: bool,
    /// One value per product option, in the product's option order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_values: Vec<String>,
    /// Source URL of this variant's image (also present in the product's images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default = "yes")]
    pub requires_shipping: bool,
    #[serde(default = "yes")]
    pub taxable: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// 1-based position; 1 is the featured image.
    pub position: u32,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Product {
    pub source: SourceRef,
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub body_html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub status: ProductStatus,
    #[serde(default)]
    pub kind: ProductKind,
    /// Category paths, each from the root: [["Clothing", "Tshirts"], ["Sale"]].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    #[serde(default, skip_serializing_if = "Seo::is_empty")]
    pub seo: Seo,
    /// Everything else the source had that has no canonical field (metafields, Woo meta, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub created_at: Option<Timestamp>,
}

impl Product {
    /// A product without options still has one variant; this says whether it is that default one.
    pub fn has_only_default_variant(&self) -> bool {
        self.options.is_empty() && self.variants.len() <= 1
    }

    pub fn skus(&self) -> impl Iterator<Item = &str> {
        self.variants.iter().filter_map(|v| v.sku.as_deref())
    }
}
