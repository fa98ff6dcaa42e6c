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
    /// Prices for larger quantities or particular customer groups (Magento's advanced pricing).
    #[serde(default, skip_serializing_if = "PriceTiers::is_empty")]
    pub price_tiers: PriceTiers,
}

/// What a tier charges: a fixed unit price, or a percentage off the variant's price.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierPrice {
    Fixed(Money),
    PercentOff(Decimal),
}

/// A price a variant has from a quantity on, for one customer group and website.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceTier {
    /// The quantity from which the tier applies (1: every purchase of that group).
    pub min_quantity: Decimal,
    /// The customer group it is for, as the source names it; `None`: every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<String>,
    /// The website (Magento website code) it is for; `None`: every website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    pub price: TierPrice,
}

/// A variant's price tiers. Most catalogs have none, and then they hash as nothing: the content
/// hash of every record stays what it was before tiers existed, so a re-run after an upgrade
/// moves no unchanged record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTiers(pub Vec<PriceTier>);

impl PriceTiers {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::hash::Hash for PriceTiers {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        if !self.0.is_empty() {
            self.0.hash(state);
        }
    }
}

impl std::ops::Deref for PriceTiers {
    type Target = Vec<PriceTier>;
    fn deref(&self) -> &Vec<PriceTier> {
        &self.0
    }
}

impl std::ops::DerefMut for PriceTiers {
    fn deref_mut(&mut self) -> &mut Vec<PriceTier> {
        &mut self.0
    }
}

/// A product's texts in another language (Vendure's `name:de`, `slug:de`, `description:de`).
/// `options` follows the product's options one for one, each value translating the value at the
/// same place; a text the source did not translate is `None` or empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ProductTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ProductOption>,
}

/// A product's translations by language code (`de`, `zh_Hans`). Hashed as nothing when empty,
/// for the same reason as [`PriceTiers`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Translations(pub BTreeMap<String, ProductTranslation>);

impl Translations {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::hash::Hash for Translations {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        if !self.0.is_empty() {
            self.0.hash(state);
        }
    }
}

impl std::ops::Deref for Translations {
    type Target = BTreeMap<String, ProductTranslation>;
    fn deref(&self) -> &BTreeMap<String, ProductTranslation> {
        &self.0
    }
}

impl std::ops::DerefMut for Translations {
    fn deref_mut(&mut self) -> &mut BTreeMap<String, ProductTranslation> {
        &mut self.0
    }
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
    /// Title, handle, description and options in other languages.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub translations: Translations,
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
