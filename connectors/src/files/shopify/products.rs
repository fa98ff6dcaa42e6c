//! Shopify's product CSV, read in either header generation and written in the current one.
//!
//! Source of the column list: Shopify Help Center, "Using CSV files to import and export
//! products" (help.shopify.com/en/manual/products/import-export/using-csv) and its sample file
//! `product_template.csv` as published since 2024: `Title, URL handle, Description, Vendor,
//! Product category, Type, Tags, Published on online store, Status, SKU, Barcode, Option1 name,
//! Option1 value, Option1 Linked To, ... Option3 Linked To, Price, Compare-at price, Cost per item,
//! Charge tax, Tax code, Unit price total measure, Unit price total measure unit, Unit price base
//! measure, Unit price base measure unit, Inventory tracker, Inventory quantity, Continue selling
//! when out of stock, Weight value (grams), Weight unit for display, Requires shipping, Fulfillment
//! service, Product image URL, Image position, Image alt text, Variant image URL, Gift card, SEO
//! title, SEO description`, then metafield columns `Label (product.metafields.namespace.key)`
//! (and Google Shopping / market columns, which storeshift neither needs nor writes). The older
//! generation (`Handle, Title, Body (HTML), ..., Variant SKU, Variant Grams, ...`) is the one in
//! the real template at tests/data/real/shopify/product_template.csv.
//!
//! Layout: rows sharing a handle are one product, consecutive; product fields sit on its first
//! row; each further row is a variant and/or an image; image-only rows carry just the handle and
//! image columns. A single variant named Option1 "Title" / "Default Title" is a product without
//! options. Metafields map to `Product.attributes["namespace.key"]`; attributes that have no
//! declared column travel together as JSON in the `storeshift.attributes` metafield so nothing
//! is dropped.

use super::csvin::{
    bool_cell, cell_finding, decimal_cell, integer_cell, require_columns, CsvIn, Pos, Row,
};
use super::{
    fmt_bool, fmt_decimal, fmt_money, join_tags, non_empty, split_tags, Assemble, CsvOut, CsvReader,
};
use crate::connector::Result;
use crate::files::EntityWriter;
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::{
    Entity, Image, Money, Product, ProductKind, ProductOption, ProductStatus, Record, Seo,
    SourceRef, Variant, Weight, WeightUnit,
};
use crate::platform::shopify::FACTS;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// Columns storeshift reads and writes, as (current header, older header).
// Every variant indexes COLUMNS, which the writer writes in full; the reader looks only some up.
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
enum C {
    Title,
    Handle,
    Body,
    Vendor,
    Category,
    Type,
    Tags,
    Published,
    Status,
    Sku,
    Barcode,
    Opt1Name,
    Opt1Value,
    Opt1Link,
    Opt2Name,
    Opt2Value,
    Opt2Link,
    Opt3Name,
    Opt3Value,
    Opt3Link,
    Price,
    CompareAt,
    Cost,
    Taxable,
    TaxCode,
    UnitTotal,
    UnitTotalUnit,
    UnitBase,
    UnitBaseUnit,
    InvTracker,
    InvQty,
    InvPolicy,
    Grams,
    WeightUnit,
    RequiresShipping,
    Fulfillment,
    ImageSrc,
    ImagePos,
    ImageAlt,
    VariantImage,
    GiftCard,
    SeoTitle,
    SeoDesc,
}

const NCOL: usize = C::SeoDesc as usize + 1;

/// (current, older) header names, in the current header's order.
const COLUMNS: [(&str, &str); NCOL] = [
    ("Title", "Title"),
    ("URL handle", "Handle"),
    ("Description", "Body (HTML)"),
    ("Vendor", "Vendor"),
    ("Product category", "Product Category"),
    ("Type", "Type"),
    ("Tags", "Tags"),
    ("Published on online store", "Published"),
    ("Status", "Status"),
    ("SKU", "Variant SKU"),
    ("Barcode", "Variant Barcode"),
    ("Option1 name", "Option1 Name"),
    ("Option1 value", "Option1 Value"),
    ("Option1 Linked To", "Option1 Linked To"),
    ("Option2 name", "Option2 Name"),
    ("Option2 value", "Option2 Value"),
    ("Option2 Linked To", "Option2 Linked To"),
    ("Option3 name", "Option3 Name"),
    ("Option3 value", "Option3 Value"),
    ("Option3 Linked To", "Option3 Linked To"),
    ("Price", "Variant Price"),
    ("Compare-at price", "Variant Compare At Price"),
    ("Cost per item", "Cost per item"),
    ("Charge tax", "Variant Taxable"),
    ("Tax code", "Variant Tax Code"),
    ("Unit price total measure", "Unit Price Total Measure"),
    (
        "Unit price total measure unit",
        "Unit Price Total Measure Unit",
    ),
    ("Unit price base measure", "Unit Price Base Measure"),
    (
        "Unit price base measure unit",
        "Unit Price Base Measure Unit",
    ),
    ("Inventory tracker", "Variant Inventory Tracker"),
    ("Inventory quantity", "Variant Inventory Qty"),
    (
        "Continue selling when out of stock",
        "Variant Inventory Policy",
    ),
    ("Weight value (grams)", "Variant Grams"),
    ("Weight unit for display", "Variant Weight Unit"),
    ("Requires shipping", "Variant Requires Shipping"),
    ("Fulfillment service", "Variant Fulfillment Service"),
    ("Product image URL", "Image Src"),
    ("Image position", "Image Position"),
    ("Image alt text", "Image Alt Text"),
    ("Variant image URL", "Variant Image"),
    ("Gift card", "Gift Card"),
    ("SEO title", "SEO Title"),
    ("SEO description", "SEO Description"),
];

/// The current header without metafield columns.
pub const PRODUCT_HEADER: [&str; NCOL] = {
    let mut h = [""; NCOL];
    let mut i = 0;
    while i < NCOL {
        h[i] = COLUMNS[i].0;
        i += 1;
    }
    h
};

const OPT_NAME: [C; 3] = [C::Opt1Name, C::Opt2Name, C::Opt3Name];
const OPT_VALUE: [C; 3] = [C::Opt1Value, C::Opt2Value, C::Opt3Value];

/// Top-level categories of Shopify's Standard Product Taxonomy, which the "Product category"
/// column takes (shopify.github.io/product-taxonomy). Used only by this file's writer.
const TAXONOMY_VERTICALS: [&str; 26] = [
    "Animals & Pet Supplies",
    "Apparel & Accessories",
    "Arts & Entertainment",
    "Baby & Toddler",
    "Bundles",
    "Business & Industrial",
    "Cameras & Optics",
    "Electronics",
    "Food, Beverages & Tobacco",
    "Furniture",
    "Gift Cards",
    "Hardware",
    "Health & Beauty",
    "Home & Garden",
    "Luggage & Bags",
    "Mature",
    "Media",
    "Office Supplies",
    "Product Add-Ons",
    "Religious & Ceremonial",
    "Services",
    "Software",
    "Sporting Goods",
    "Toys & Games",
    "Uncategorized",
    "Vehicles & Parts",
];

/// The product's category in Shopify's taxonomy, if it has one. A store's own category tree
/// (WooCommerce "Clothing > Tshirts") is not taxonomy and would fail the import; the transform
/// carries those as tags for automated collections, so they are not written here.
fn taxonomy_category(categories: &[Vec<String>]) -> Option<String> {
    categories.iter().find_map(|path| {
        let top = path.first()?;
        let is_taxonomy = top.starts_with("gid://shopify/TaxonomyCategory/")
            || TAXONOMY_VERTICALS
                .iter()
                .any(|v| v.eq_ignore_ascii_case(top));
        is_taxonomy.then(|| path.join(" > "))
    })
}

/// Attributes without a declared column travel as one JSON metafield.
const CARRIER_KEY: &str = "storeshift.attributes";
const CARRIER_LABEL: &str = "Storeshift attributes";

/// Parses a metafield header: `Label (product.metafields.ns.key)` (what Shopify writes) or
/// `Label (ns.key)`. Variant metafields and other parenthesised headers ("Body (HTML)") are not
/// product metafields.
fn metafield_key(header: &str) -> Option<String> {
    let h = header.trim();
    let inner = h.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let inner = &inner[open + 1..];
    if inner.starts_with("variant.") {
        return None;
    }
    let key = inner.strip_prefix("product.metafields.").unwrap_or(inner);
    is_metafield_key(key).then(|| key.to_string())
}

/// Checks one `options.metafields` entry: "namespace.key", "Label (namespace.key)" or
/// "Label (product.metafields.namespace.key)".
pub(crate) fn valid_metafield_declaration(decl: &str) -> bool {
    metafield_key(decl).is_some() || is_metafield_key(decl.trim())
}

fn is_metafield_key(key: &str) -> bool {
    let mut parts = key.splitn(2, '.');
    let ok = |s: Option<&str>| {
        s.is_some_and(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    };
    ok(parts.next()) && ok(parts.next())
}

fn label_for(key: &str) -> String {
    let name = key
        .rsplit('.')
        .next()
        .unwrap_or(key)
        .replace(['_', '-'], " ");
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => key.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Writes `products.csv` in the current header generation.
pub struct ProductWriter {
    /// (attribute key, header) of every metafield column, the carrier column last.
    metafields: Vec<(String, String)>,
    declared: HashSet<String>,
    currency: Option<String>,
    csv: CsvOut,
    /// The row being filled, kept so its strings are allocated once, not per product.
    row: Vec<String>,
}

impl ProductWriter {
    /// `metafields`: "namespace.key" or "Label (namespace.key)" / "Label (product.metafields.namespace.key)".
    pub fn new(metafields: Vec<String>, currency: Option<String>) -> Self {
        let mut cols: Vec<(String, String)> = Vec::new();
        for m in metafields {
            let (key, label) = match metafield_key(&m) {
                Some(k) => {
                    let label = m[..m.rfind('(').unwrap_or(0)].trim().to_string();
                    let label = if label.is_empty() {
                        label_for(&k)
                    } else {
                        label
                    };
                    (k, label)
                }
                None => (m.trim().to_string(), label_for(m.trim())),
            };
            if key == CARRIER_KEY || cols.iter().any(|(k, _)| *k == key) {
                continue;
            }
            cols.push((key.clone(), format!("{label} (product.metafields.{key})")));
        }
        cols.push((
            CARRIER_KEY.to_string(),
            format!("{CARRIER_LABEL} (product.metafields.{CARRIER_KEY})"),
        ));
        let declared = cols.iter().map(|(k, _)| k.clone()).collect();
        ProductWriter {
            metafields: cols,
            declared,
            currency,
            csv: CsvOut::new(),
            row: Vec::new(),
        }
    }

    fn check(&self, p: &Product) -> std::result::Result<(), String> {
        let who = format!("product \"{}\" (handle \"{}\")", p.title, p.handle);
        if p.handle.trim().is_empty() {
            return Err(format!(
                "product \"{}\" has no handle: give it one in the transform",
                p.title
            ));
        }
        if p.title.trim().is_empty() {
            let sku = p
                .variants
                .iter()
                .find_map(|v| v.sku.as_deref().filter(|s| !s.trim().is_empty()))
                .map(|s| format!(" (SKU {s})"))
                .unwrap_or_default();
            return Err(format!(
                "product with handle \"{}\"{sku} has no title; Shopify requires one: set it in the transform",
                p.handle
            ));
        }
        if let Some(img) = p.images.iter().find(|i| i.src.trim().is_empty()) {
            return Err(format!(
                "{who} has an image without a URL (position {}): drop it in the transform",
                img.position
            ));
        }
        if let Some(name) = p.categories.iter().flatten().find(|c| c.contains('>')) {
            return Err(format!(
                "{who} has the category \"{name}\" containing '>', which the product CSV uses between \
                 levels: rename it in the transform"
            ));
        }
        let max_options = FACTS.max_options.unwrap_or(usize::MAX);
        if p.options.len() > max_options {
            return Err(format!(
                "{who} has {} options; Shopify allows {max_options}: merge or drop options in the transform",
                p.options.len()
            ));
        }
        let max_variants = FACTS.max_variants.unwrap_or(usize::MAX);
        if p.variants.len() > max_variants {
            return Err(format!(
                "{who} has {} variants; Shopify allows {max_variants}: split the product in the transform",
                p.variants.len()
            ));
        }
        if p.options.is_empty() && p.variants.len() > 1 {
            return Err(format!(
                "{who} has {} variants but no options to tell them apart: give it options in the transform",
                p.variants.len()
            ));
        }
        if p.options.iter().any(|o| o.name.trim().is_empty()) {
            return Err(format!(
                "{who} has an option without a name: name it in the transform"
            ));
        }
        let mut combos: rustc_hash::FxHashSet<&[String]> =
            rustc_hash::FxHashSet::with_capacity_and_hasher(p.variants.len(), Default::default());
        for (i, v) in p.variants.iter().enumerate() {
            if v.option_values.len() != p.options.len() {
                return Err(format!(
                    "{who}: variant {} has {} option values for {} options: fix the variant in the transform",
                    i + 1,
                    v.option_values.len(),
                    p.options.len()
                ));
            }
            if v.option_values.iter().any(|x| x.trim().is_empty()) {
                return Err(format!(
                    "{who}: variant {} has an empty option value: fill it in the transform",
                    i + 1
                ));
            }
            if !p.options.is_empty() && !combos.insert(v.option_values.as_slice()) {
                return Err(format!(
                    "{who}: two variants share the options {}; Shopify needs each combination once: merge them",
                    v.option_values.join(" / ")
                ));
            }
            if let Some(cur) = &self.currency {
                for m in [&v.price, &v.compare_at_price, &v.cost]
                    .into_iter()
                    .flatten()
                {
                    if !m.currency.eq_ignore_ascii_case(cur) {
                        return Err(format!(
                            "{who}: a price is in {} but the Shopify store sells in {cur}: convert it in the transform",
                            m.currency
                        ));
                    }
                }
            }
        }
        if p.attributes.contains_key(CARRIER_KEY) {
            return Err(format!(
                "{who} has an attribute named {CARRIER_KEY}, which storeshift reserves: rename it"
            ));
        }
        Ok(())
    }
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        "products.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let fields = PRODUCT_HEADER
            .iter()
            .map(|s| s.to_string())
            .chain(self.metafields.iter().map(|(_, h)| h.clone()));
        CsvOut::bytes_of(fields)
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err(format!("products.csv cannot hold {}", record.entity()));
        };
        self.check(p)?;
        let tags = join_tags(&p.tags, &format!("product \"{}\"", p.handle))?;
        let rows = p.variants.len().max(p.images.len()).max(1);
        let width = NCOL + self.metafields.len();
        let mut row = std::mem::take(&mut self.row);
        row.resize(width, String::new());
        for r in 0..rows {
            row.iter_mut().for_each(String::clear);
            let set = |row: &mut Vec<String>, c: C, v: &str| {
                row[c as usize].clear();
                row[c as usize].push_str(v);
            };
            set(&mut row, C::Handle, &p.handle);
            if r == 0 {
                set(&mut row, C::Title, &p.title);
                set(&mut row, C::Body, &p.body_html);
                set(&mut row, C::Vendor, p.vendor.as_deref().unwrap_or(""));
                if let Some(category) = taxonomy_category(&p.categories) {
                    set(&mut row, C::Category, &category);
                }
                set(&mut row, C::Type, p.product_type.as_deref().unwrap_or(""));
                set(&mut row, C::Tags, &tags);
                set(
                    &mut row,
                    C::Published,
                    fmt_bool(p.status == ProductStatus::Active),
                );
                set(
                    &mut row,
                    C::Status,
                    match p.status {
                        ProductStatus::Active => "active",
                        ProductStatus::Draft => "draft",
                        ProductStatus::Archived => "archived",
                    },
                );
                for (i, o) in p.options.iter().enumerate() {
                    set(&mut row, OPT_NAME[i], &o.name);
                }
                if p.options.is_empty() && !p.variants.is_empty() {
                    set(&mut row, C::Opt1Name, "Title");
                }
                set(&mut row, C::GiftCard, "FALSE");
                set(&mut row, C::SeoTitle, p.seo.title.as_deref().unwrap_or(""));
                set(
                    &mut row,
                    C::SeoDesc,
                    p.seo.description.as_deref().unwrap_or(""),
                );
                let mut extra: BTreeMap<&str, &str> = BTreeMap::new();
                for (k, v) in &p.attributes {
                    // A blank cell reads as "no metafield", so blank values of declared
                    // metafields travel with the undeclared ones.
                    if !self.declared.contains(k) || v.trim().is_empty() {
                        extra.insert(k, v);
                    }
                }
                for (i, (key, _)) in self.metafields.iter().enumerate() {
                    if key == CARRIER_KEY {
                        if !extra.is_empty() {
                            row[NCOL + i] = serde_json::to_string(&extra).unwrap_or_default();
                        }
                    } else if let Some(v) = p.attributes.get(key).filter(|v| !v.trim().is_empty()) {
                        row[NCOL + i].push_str(v);
                    }
                }
            }
            if let Some(v) = p.variants.get(r) {
                if p.options.is_empty() {
                    set(&mut row, C::Opt1Value, "Default Title");
                } else {
                    for (i, value) in v.option_values.iter().enumerate() {
                        set(&mut row, OPT_VALUE[i], value);
                    }
                }
                set(&mut row, C::Sku, v.sku.as_deref().unwrap_or(""));
                set(&mut row, C::Barcode, v.barcode.as_deref().unwrap_or(""));
                set(&mut row, C::Price, &fmt_money(&v.price));
                set(&mut row, C::CompareAt, &fmt_money(&v.compare_at_price));
                set(&mut row, C::Cost, &fmt_money(&v.cost));
                set(&mut row, C::Taxable, fmt_bool(v.taxable));
                if let Some(q) = v.inventory {
                    set(&mut row, C::InvTracker, "shopify");
                    set(&mut row, C::InvQty, &q.to_string());
                }
                set(
                    &mut row,
                    C::InvPolicy,
                    if v.allow_backorder {
                        "CONTINUE"
                    } else {
                        "DENY"
                    },
                );
                if let Some(w) = v.weight {
                    set(&mut row, C::Grams, &fmt_decimal(w.grams()));
                    set(&mut row, C::WeightUnit, w.unit.key());
                }
                set(&mut row, C::RequiresShipping, fmt_bool(v.requires_shipping));
                set(&mut row, C::Fulfillment, "manual");
                set(&mut row, C::VariantImage, v.image.as_deref().unwrap_or(""));
            }
            if let Some(img) = p.images.get(r) {
                set(&mut row, C::ImageSrc, &img.src);
                set(&mut row, C::ImagePos, &img.position.to_string());
                set(&mut row, C::ImageAlt, img.alt.as_deref().unwrap_or(""));
            }
            self.csv.row(row.iter(), out);
        }
        self.row = row;
        Ok(p.handle.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// Reader

/// Reads a Shopify product export (either header generation), streaming, one product per
/// group of consecutive rows sharing a handle.
pub struct ProductReader(CsvReader<ProductRows>);

impl ProductReader {
    pub fn new(path: PathBuf, currency: String) -> Self {
        ProductReader(CsvReader::new(Entity::Products, path, currency))
    }

    /// The encoding to assume when the file has no BOM and does not look like UTF-8.
    pub fn with_encoding(self, encoding: Option<String>) -> Self {
        ProductReader(self.0.with_encoding(encoding))
    }
}

impl crate::files::EntityReader for ProductReader {
    fn entity(&self) -> Entity {
        Entity::Products
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn read_page(
        &mut self,
        cursor: Option<&crate::Cursor>,
        limit: usize,
    ) -> Result<crate::SourcePage> {
        self.0.read_page(cursor, limit)
    }
}

pub(crate) struct ProductRows {
    cols: [Option<usize>; NCOL],
    /// (column, attribute key) of each product metafield column.
    metafields: Vec<(usize, String)>,
    currency: String,
    /// Handle → line of the product's first row, to catch handles that come back later.
    seen: HashMap<String, u64>,
    group: Vec<Row>,
    has_pending: bool,
    /// The storefront path of a product minus its handle, from the platform facts.
    url_prefix: String,
    /// Whether the file's missing stock column was reported (once per file; a resumed reader
    /// replays from the start, so this is set again before any page is returned).
    told_no_stock: bool,
    /// Shopify's inventory export ([`inventory_columns`]): the columns whose quantities make a
    /// variant's stock, and whether a variant has a row per location.
    locations: Vec<usize>,
    row_per_location: bool,
}

/// Where Shopify's inventory export (Products > Export inventory, `inventory_export_1.csv`)
/// states a variant's stock: its product and option columns are the product export's, then
/// `SKU, HS Code, COO` and, by vintage, either one column per location named after it (holding
/// that location's available quantity), or a `Location` column with the quantities of one
/// location per row: `Incoming, Unavailable, Committed, Available, On hand`, since 2024 each
/// named with `(not editable)` / `(current)` / `(new)`, `not stocked` where the variant is not
/// stocked there. Stock is what can be sold, `Available`, summed over the locations. Returns
/// (columns to sum, a row per location), or `None` when the file is not an inventory export.
fn inventory_columns(input: &CsvIn) -> Option<(Vec<usize>, bool)> {
    if input.column(&["Location"]).is_some() {
        let available = input.column(&["Available", "Available (not editable)"])?;
        return Some((vec![available], true));
    }
    let coo = input.column(&["COO"])?;
    input.column(&["HS Code"])?;
    Some(((coo + 1..input.header.len()).collect(), false))
}

impl ProductRows {
    /// Reads the next row into pool slot `i`.
    fn read_slot(&mut self, input: &mut CsvIn, i: usize, f: &mut Vec<Finding>) -> Result<bool> {
        while self.group.len() <= i {
            self.group.push(Row::default());
        }
        input.read_into(&mut self.group[i], f)
    }

    /// `/products/{handle}`, built without `format!`'s reallocations (this runs per product).
    fn url_of(&self, handle: &str) -> String {
        let mut url = String::with_capacity(self.url_prefix.len() + handle.len());
        url.push_str(&self.url_prefix);
        url.push_str(handle);
        url
    }

    fn col(&self, c: C) -> Option<usize> {
        self.cols[c as usize]
    }

    fn handle_of<'a>(&self, row: &'a Row) -> &'a str {
        row.get(self.col(C::Handle))
    }

    fn money(&self, input: &CsvIn, row: &Row, c: C, f: &mut Vec<Finding>) -> Option<Money> {
        decimal_cell(input, row, self.col(c), f).map(|d| Money::new(d, self.currency.clone()))
    }

    fn is_variant_row(&self, row: &Row) -> bool {
        [
            C::Opt1Value,
            C::Sku,
            C::Price,
            C::Barcode,
            C::CompareAt,
            C::InvQty,
            C::Grams,
        ]
        .iter()
        .any(|&c| !row.get(self.col(c)).is_empty())
    }

    fn variant(&self, input: &CsvIn, row: &Row, options: usize, f: &mut Vec<Finding>) -> Variant {
        let tracker_col = self.col(C::InvTracker);
        let qty_col = self.col(C::InvQty);
        let qty = integer_cell(input, row, qty_col, f);
        let inventory = match (tracker_col, qty_col) {
            _ if !self.locations.is_empty() => self.location_stock(input, row, f),
            // Exports of stores with several locations leave the quantity column out: the
            // stock is unknown, and reading it as 0 would sell nothing on the target.
            (_, None) => None,
            (Some(_), _) if row.get(tracker_col).is_empty() => None,
            (Some(_), _) => Some(qty.unwrap_or(0)),
            (None, _) => qty,
        };
        let weight = decimal_cell(input, row, self.col(C::Grams), f).map(|grams| {
            let unit_text = row.get(self.col(C::WeightUnit));
            // Exports write the unit in lower case; the fast path spares an allocation per row.
            let unit = match unit_text {
                "g" => Some(WeightUnit::G),
                "kg" => Some(WeightUnit::Kg),
                "lb" => Some(WeightUnit::Lb),
                "oz" => Some(WeightUnit::Oz),
                other => WeightUnit::parse(other),
            };
            let unit = unit.unwrap_or_else(|| {
                if !unit_text.is_empty() {
                    f.push(cell_finding(
                        input,
                        row,
                        self.col(C::WeightUnit),
                        Severity::Warning,
                        "bad_weight_unit",
                        format!(
                            "\"{unit_text}\" is not a weight unit (g, kg, lb, oz); grams were kept"
                        ),
                    ));
                }
                WeightUnit::G
            });
            Weight {
                value: grams,
                unit: WeightUnit::G,
            }
            .to_unit(unit)
        });
        let policy = row.get(self.col(C::InvPolicy));
        // Exports write `'7649988260513` so spreadsheets keep the digits; the rows come
        // without that guard.
        let barcode = non_empty(row.get(self.col(C::Barcode)));
        // Shopify's barcode is free text (its own template's 12-digit codes fail the GTIN
        // check), so only certain damage is reported: Excel's scientific notation.
        if let Some(msg) = barcode
            .as_deref()
            .filter(|b| b.contains(['E', 'e']))
            .and_then(crate::files::table::excel_barcode_damage)
        {
            f.push(cell_finding(
                input,
                row,
                self.col(C::Barcode),
                Severity::Warning,
                "barcode_damaged",
                msg,
            ));
        }
        Variant {
            source_id: None,
            sku: non_empty(row.get(self.col(C::Sku))),
            barcode,
            price: self.money(input, row, C::Price, f),
            compare_at_price: self.money(input, row, C::CompareAt, f),
            cost: self.money(input, row, C::Cost, f),
            weight,
            inventory,
            allow_backorder: policy.eq_ignore_ascii_case("continue")
                || policy.eq_ignore_ascii_case("true"),
            option_values: (0..options)
                .map(|i| row.get(self.col(OPT_VALUE[i])).to_string())
                .collect(),
            image: non_empty(row.get(self.col(C::VariantImage))),
            requires_shipping: bool_cell(input, row, self.col(C::RequiresShipping), true, f),
            taxable: bool_cell(input, row, self.col(C::Taxable), true, f),
            price_tiers: Default::default(),
        }
    }

    /// A variant's stock summed over the inventory export's location quantities; `None` where
    /// no location stocks it.
    fn location_stock(&self, input: &CsvIn, row: &Row, f: &mut Vec<Finding>) -> Option<i64> {
        let mut total: Option<i64> = None;
        for &col in &self.locations {
            let cell = row.get(Some(col));
            if cell.is_empty() || cell.eq_ignore_ascii_case("not stocked") {
                continue;
            }
            if let Some(n) = integer_cell(input, row, Some(col), f) {
                total = Some(total.unwrap_or(0).saturating_add(n));
            }
        }
        total
    }

    fn image(
        &self,
        input: &CsvIn,
        row: &Row,
        images: &[Image],
        f: &mut Vec<Finding>,
    ) -> Option<Image> {
        let src = row.get(self.col(C::ImageSrc));
        if src.is_empty() {
            return None;
        }
        let position = integer_cell(input, row, self.col(C::ImagePos), f)
            .filter(|p| *p > 0 && *p <= u32::MAX as i64)
            .map(|p| p as u32)
            .unwrap_or(images.len() as u32 + 1);
        Some(Image {
            src: src.to_string(),
            alt: non_empty(row.get(self.col(C::ImageAlt))),
            position,
        })
    }

    fn status(&self, input: &CsvIn, row: &Row, f: &mut Vec<Finding>) -> ProductStatus {
        let text = row.get(self.col(C::Status));
        let is = |w: &str| text.eq_ignore_ascii_case(w);
        match text {
            _ if is("active") => ProductStatus::Active,
            _ if is("draft") => ProductStatus::Draft,
            _ if is("archived") => ProductStatus::Archived,
            "" => {
                if bool_cell(input, row, self.col(C::Published), true, f) {
                    ProductStatus::Active
                } else {
                    ProductStatus::Draft
                }
            }
            _ => {
                f.push(cell_finding(
                    input,
                    row,
                    self.col(C::Status),
                    Severity::Warning,
                    "bad_status",
                    format!("\"{text}\" is not active, draft or archived; the product was read as draft"),
                ));
                ProductStatus::Draft
            }
        }
    }

    /// Builds one product from its rows.
    fn build(&self, input: &CsvIn, rows: &[Row], f: &mut Vec<Finding>) -> Product {
        let first = &rows[0];
        let handle = self.handle_of(first).to_string();
        let mut title = first.get(self.col(C::Title)).to_string();
        if title.is_empty() {
            f.push(cell_finding(
                input,
                first,
                self.col(C::Title),
                Severity::Warning,
                "missing_title",
                format!("the first row of product \"{handle}\" has no title; the handle was used: add a title"),
            ));
            title = handle.clone();
        }
        let n_options = OPT_NAME
            .iter()
            .take_while(|&&c| !first.get(self.col(c)).is_empty())
            .count();
        let mut options: Vec<ProductOption> = (0..n_options)
            .map(|i| ProductOption {
                name: first.get(self.col(OPT_NAME[i])).to_string(),
                values: Vec::new(),
            })
            .collect();
        let mut variants: Vec<Variant> = Vec::with_capacity(rows.len());
        let mut images: Vec<Image> = Vec::with_capacity(rows.len());
        for row in rows {
            if self.is_variant_row(row) {
                let v = self.variant(input, row, n_options, f);
                for (i, value) in v.option_values.iter().enumerate() {
                    if value.is_empty() {
                        f.push(cell_finding(
                            input,
                            row,
                            self.col(OPT_VALUE[i]),
                            Severity::Warning,
                            "missing_option_value",
                            format!(
                                "variant of \"{handle}\" has no value for option \"{}\": fill it",
                                options[i].name
                            ),
                        ));
                    }
                    if !options[i].values.contains(value) {
                        options[i].values.push(value.clone());
                    }
                }
                // The inventory export repeats a variant once per location: one variant,
                // stocked with the sum.
                let same = self.row_per_location.then(|| {
                    variants
                        .iter_mut()
                        .find(|w| w.option_values == v.option_values && w.sku == v.sku)
                });
                match same.flatten() {
                    Some(w) => {
                        w.inventory = match (w.inventory, v.inventory) {
                            (Some(a), Some(b)) => Some(a.saturating_add(b)),
                            (a, b) => a.or(b),
                        }
                    }
                    None => variants.push(v),
                }
            }
            if let Some(img) = self.image(input, row, &images, f) {
                images.push(img);
            }
        }
        // A variant image Shopify shows is always one of the product's images.
        for v in &variants {
            if let Some(src) = &v.image {
                if !images.iter().any(|i| &i.src == src) {
                    let position = images.len() as u32 + 1;
                    images.push(Image {
                        src: src.clone(),
                        alt: None,
                        position,
                    });
                }
            }
        }
        let default_only = options.len() == 1
            && options[0].name.eq_ignore_ascii_case("Title")
            && options[0].values.iter().all(|v| v == "Default Title");
        if default_only {
            options.clear();
            variants.iter_mut().for_each(|v| v.option_values.clear());
        }
        let mut attributes = BTreeMap::new();
        for (col, key) in &self.metafields {
            let value = first.raw(Some(*col));
            if value.trim().is_empty() {
                continue;
            }
            if key == CARRIER_KEY {
                match serde_json::from_str::<BTreeMap<String, String>>(value) {
                    Ok(map) => attributes.extend(map),
                    Err(e) => {
                        f.push(cell_finding(
                            input,
                            first,
                            Some(*col),
                            Severity::Warning,
                            "bad_attributes",
                            format!("the attributes cell is not a JSON object of strings ({e}); it was kept as one attribute"),
                        ));
                        attributes.insert(key.clone(), value.to_string());
                    }
                }
            } else {
                attributes.insert(key.clone(), value.to_string());
            }
        }
        let category = first.get(self.col(C::Category));
        let categories = if category.is_empty() {
            Vec::new()
        } else {
            vec![category
                .split('>')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()]
        };
        Product {
            source: SourceRef::with_url(handle.clone(), self.url_of(&handle)),
            title,
            body_html: first.raw(self.col(C::Body)).to_string(),
            vendor: non_empty(first.get(self.col(C::Vendor))),
            product_type: non_empty(first.get(self.col(C::Type))),
            tags: split_tags(first.get(self.col(C::Tags))),
            status: self.status(input, first, f),
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            categories,
            options,
            variants,
            images,
            seo: Seo {
                title: non_empty(first.get(self.col(C::SeoTitle))),
                description: non_empty(first.get(self.col(C::SeoDesc))),
            },
            attributes,
            created_at: None,
            handle,
            translations: Default::default(),
        }
    }
}

impl Assemble for ProductRows {
    fn start(input: &CsvIn, currency: &str) -> Result<Self> {
        let mut cols = [None; NCOL];
        for (i, (current, older)) in COLUMNS.iter().enumerate() {
            cols[i] = input.column(&[current, older]);
        }
        // Matrixify's product sheet names the description "Body HTML".
        if cols[C::Body as usize].is_none() {
            cols[C::Body as usize] = input.column(&["Body HTML"]);
        }
        require_columns(
            input,
            &[
                ("URL handle", cols[C::Handle as usize]),
                ("Title", cols[C::Title as usize]),
            ],
        )?;
        let metafields = input
            .header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| metafield_key(h).map(|k| (i, k)))
            .collect();
        let (locations, row_per_location) = if cols[C::InvQty as usize].is_none() {
            inventory_columns(input).unwrap_or_default()
        } else {
            (Vec::new(), false)
        };
        Ok(ProductRows {
            cols,
            metafields,
            currency: currency.to_string(),
            seen: HashMap::new(),
            group: Vec::new(),
            has_pending: false,
            url_prefix: crate::platform::shopify::url_path(Entity::Products, ""),
            told_no_stock: false,
            locations,
            row_per_location,
        })
    }

    fn next(&mut self, input: &mut CsvIn, f: &mut Vec<Finding>) -> Result<Option<Record>> {
        // Rows live in a reused pool: `group[0]` is the product's first row (the row read ahead
        // last time, when `has_pending`), `group[..n]` its rows.
        if !self.has_pending {
            loop {
                if !self.read_slot(input, 0, f)? {
                    return Ok(None);
                }
                if !self.handle_of(&self.group[0]).is_empty() {
                    break;
                }
                f.push(cell_finding(
                    input,
                    &self.group[0],
                    self.col(C::Handle),
                    Severity::Blocking,
                    "missing_handle",
                    "row has no handle and follows no product; it was skipped: fill in the URL handle",
                ));
            }
        }
        self.has_pending = false;
        let handle = self.handle_of(&self.group[0]).to_string();
        let mut n = 1;
        while self.read_slot(input, n, f)? {
            let h = self.handle_of(&self.group[n]);
            if h == handle {
                n += 1;
            } else if h.is_empty() {
                f.push(cell_finding(
                    input,
                    &self.group[n],
                    self.col(C::Handle),
                    Severity::Warning,
                    "missing_handle",
                    format!("row has no handle; it was read as part of \"{handle}\", the product above it: fill in the handle"),
                ));
                n += 1;
            } else {
                self.has_pending = true;
                break;
            }
        }
        let rows = &self.group[..n];
        let product = self.build(input, rows, f);
        let line = rows[0].pos.line;
        let tracker = self.col(C::InvTracker);
        if !self.told_no_stock
            && self.col(C::InvQty).is_none()
            && self.locations.is_empty()
            && rows.iter().any(|r| !r.get(tracker).is_empty())
        {
            self.told_no_stock = true;
            let at = rows
                .iter()
                .find(|r| !r.get(tracker).is_empty())
                .map_or(line, |r| r.pos.line);
            f.push(
                Finding::new(
                    Severity::Warning,
                    "no_stock_column",
                    "the file tracks inventory but has no quantity column (Shopify leaves it out of \
                     exports of stores with several locations), so stock levels are not moved: \
                     move them with Shopify's inventory CSV export",
                )
                .at(input.location(at, tracker)),
            );
        }
        if let Some(prev) = self.seen.get(&handle) {
            f.push(
                Finding::new(
                    Severity::Blocking,
                    "duplicate_handle",
                    format!(
                        "handle \"{handle}\" on line {line} was already used by the product starting on line {prev}; \
                         rows of one product must be consecutive: merge the rows or give one product another handle"
                    ),
                )
                .at(input.location(line, self.col(C::Handle)))
                .about(RecordRef { entity: Entity::Products, source_id: handle.clone(), label: product.title.clone() }),
            );
        } else {
            self.seen.insert(handle, line);
        }
        if self.has_pending {
            self.group.swap(0, n);
        }
        Ok(Some(Record::Product(product)))
    }

    fn resume_point(&self, input: &CsvIn) -> Pos {
        if self.has_pending {
            self.group[0].pos
        } else {
            input.position()
        }
    }
}
