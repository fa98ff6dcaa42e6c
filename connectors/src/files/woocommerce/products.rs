//! The product CSV of WooCommerce's built-in exporter and importer.
//!
//! One row per product; a variable product is a `variable` row plus one `variation` row per
//! variation, which names its parent in `Parent` by SKU or as `id:N` and may sit anywhere in the
//! file. Reading makes one canonical [`Product`] per parent with its variations as variants:
//!
//! - `Type` may be a list ("simple, downloadable, virtual"); virtual means no shipping.
//! - `Published`: 1 is published (active); -1 draft and 0 private both become draft (private
//!   products are hidden from shoppers); 0.5/2 (pending review) become draft. Private and
//!   pending are kept in `woo:post_status` so writing back restores them.
//! - `Sale price` present: price = sale, compare-at = regular; otherwise price = regular.
//! - Weights in the unit the header names ("Weight (lbs)"); dimensions go to attributes.
//! - Options are the attributes a variation gives a value to; attributes no variation uses
//!   (and attributes of non-variable products) stay in `attributes` as `woo:attribute:{name}`.
//! - Columns with no canonical field are kept in `attributes` under `woo:...` keys, `Meta: x`
//!   columns under `meta:x` (Yoast title/description go to SEO), so writing back is lossless.
//!
//! Reading is two passes: the first ([`scan`]) counts the variation rows that follow their
//! parent, indexes the others by byte offset and notes duplicate rows; the second streams
//! parents in file order, takes the variations that follow them from the same stream and
//! seeks to the others. The cursor is a byte offset, line and record
//! count, so a page read again after a crash gives exactly the same records.

use super::scan::{self, is_variation, Scan};
use super::{
    categories_cell, category_paths, escape_newlines, field, join_list, opt_field, percent_decode,
    split_list, tag_names, unescape_newlines,
};
use crate::connector::{Cursor, Result, SourcePage};
use crate::files::cells::ColumnGuards;
use crate::files::table::{push_row, Header, Row, RowCursor, Rows, TableFile};
use crate::files::{EntityReader, EntityWriter};
use crate::finding::{Finding, Severity};
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductKind, ProductOption, ProductStatus, Record,
    Seo, SourceRef, Variant, Weight, WeightUnit,
};
use crate::platform;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Columns with no canonical field, kept in `attributes` when they differ from the default.
const PASSTHROUGH: &[(&str, &str, &str)] = &[
    ("Is featured?", "woo:featured", "0"),
    ("Visibility in catalog", "woo:visibility", "visible"),
    ("Date sale price starts", "woo:sale_from", ""),
    ("Date sale price ends", "woo:sale_to", ""),
    ("Tax status", "woo:tax_status", "taxable"),
    ("Tax class", "woo:tax_class", ""),
    ("Low stock amount", "woo:low_stock_amount", ""),
    ("Sold individually?", "woo:sold_individually", "0"),
    ("Allow customer reviews?", "woo:reviews_allowed", "1"),
    ("Purchase note", "woo:purchase_note", ""),
    ("Shipping class", "woo:shipping_class", ""),
    ("Download limit", "woo:download_limit", ""),
    ("Download expiry days", "woo:download_expiry_days", ""),
    ("Grouped products", "woo:grouped_products", ""),
    ("Upsells", "woo:upsells", ""),
    ("Cross-sells", "woo:cross_sells", ""),
    ("External URL", "woo:external_url", ""),
    ("Button text", "woo:button_text", ""),
    ("Position", "woo:position", "0"),
];

/// WooCommerce's exporter adds a column to the header when a later batch of products first
/// has a meta key or another attribute, so the rows it wrote before end early: a row that stops
/// short of nothing but such columns is the exporter's own shape (the fields are empty), not a
/// damaged row.
fn exporters_short_row(header: &Header, row: &Row) -> bool {
    let names = header.names();
    let n = row.fields_read.unwrap_or(row.record.len());
    n < names.len()
        && names[n..].iter().all(|c| {
            let c = c.trim();
            c.starts_with("Meta: ") || c.starts_with("Attribute ")
        })
}

const SEO_TITLE_META: &str = "_yoast_wpseo_title";
const SEO_DESC_META: &str = "_yoast_wpseo_metadesc";
const GTIN: &str = "GTIN, UPC, EAN, or ISBN";
pub const ATTR: &str = platform::woocommerce::ATTRIBUTE_ATTR;
const ATTR_VISIBLE: &str = platform::woocommerce::ATTRIBUTE_VISIBLE_ATTR;
const ATTR_GLOBAL: &str = "woo:attribute_global:";
const ATTR_DEFAULT: &str = "woo:attribute_default:";

#[derive(Debug, Default, Clone)]
struct AttrCols {
    name: Option<usize>,
    value: Option<usize>,
    visible: Option<usize>,
    global: Option<usize>,
    default: Option<usize>,
}

#[derive(Debug, Default)]
struct Cols {
    id: Option<usize>,
    typ: Option<usize>,
    sku: Option<usize>,
    gtin: Option<usize>,
    name: Option<usize>,
    slug: Option<usize>,
    published: Option<usize>,
    short: Option<usize>,
    description: Option<usize>,
    in_stock: Option<usize>,
    stock: Option<usize>,
    backorders: Option<usize>,
    weight: Option<(usize, WeightUnit)>,
    dims: Vec<(usize, &'static str, String)>,
    sale: Option<usize>,
    regular: Option<usize>,
    categories: Option<usize>,
    tags: Option<usize>,
    images: Option<usize>,
    parent: Option<usize>,
    brands: Option<usize>,
    tax_status: Option<usize>,
    passthrough: Vec<(usize, &'static str, &'static str)>,
    attrs: Vec<AttrCols>,
    meta: Vec<(usize, String)>,
    downloads: Vec<(u32, Option<usize>, Option<usize>)>,
}

/// "Weight (lbs)" → "lbs".
fn unit_of(header_name: &str, prefix: &str) -> Option<String> {
    let n = header_name.trim();
    let rest = n
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &n[prefix.len()..])?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Some(String::new());
    }
    rest.strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|u| u.trim().to_string())
}

impl Cols {
    fn new(h: &Header) -> Cols {
        let mut c = Cols {
            id: h.get("ID"),
            typ: h.get("Type"),
            sku: h.get("SKU"),
            gtin: h.any(&[GTIN, "GTIN", "EAN", "Barcode"]),
            name: h.get("Name"),
            slug: h.any(&["Slug", "post_name"]),
            published: h.get("Published"),
            short: h.get("Short description"),
            description: h.get("Description"),
            in_stock: h.get("In stock?"),
            stock: h.get("Stock"),
            backorders: h.get("Backorders allowed?"),
            sale: h.get("Sale price"),
            regular: h.get("Regular price"),
            categories: h.get("Categories"),
            tags: h.get("Tags"),
            images: h.get("Images"),
            parent: h.get("Parent"),
            brands: h.any(&["Brands", "Brand"]),
            tax_status: h.get("Tax status"),
            ..Cols::default()
        };
        for &(col, key, default) in PASSTHROUGH {
            if let Some(i) = h.get(col) {
                c.passthrough.push((i, key, default));
            }
        }
        let mut attrs: BTreeMap<u32, AttrCols> = BTreeMap::new();
        let mut downloads: BTreeMap<u32, (Option<usize>, Option<usize>)> = BTreeMap::new();
        for (i, name) in h.names().iter().enumerate() {
            let lower = name.trim().to_lowercase();
            if let Some(u) = unit_of(name, "Weight") {
                let unit = WeightUnit::parse(&u).unwrap_or(WeightUnit::Kg);
                c.weight.get_or_insert((i, unit));
            }
            for (prefix, key) in [
                ("Length", "woo:length"),
                ("Width", "woo:width"),
                ("Height", "woo:height"),
            ] {
                if let Some(u) = unit_of(name, prefix) {
                    c.dims.push((i, key, u));
                }
            }
            if let Some(rest) = lower.strip_prefix("attribute ") {
                let mut parts = rest.splitn(2, ' ');
                if let (Some(n), Some(what)) = (
                    parts.next().and_then(|n| n.parse::<u32>().ok()),
                    parts.next(),
                ) {
                    let a = attrs.entry(n).or_default();
                    match what.trim() {
                        "name" => a.name = Some(i),
                        "value(s)" | "values" | "value" => a.value = Some(i),
                        "visible" => a.visible = Some(i),
                        "global" => a.global = Some(i),
                        "default" => a.default = Some(i),
                        _ => {}
                    }
                }
            }
            if let Some(rest) = lower.strip_prefix("download ") {
                let mut parts = rest.splitn(2, ' ');
                if let (Some(n), Some(what)) = (
                    parts.next().and_then(|n| n.parse::<u32>().ok()),
                    parts.next(),
                ) {
                    let d = downloads.entry(n).or_default();
                    match what.trim() {
                        "name" => d.0 = Some(i),
                        "url" => d.1 = Some(i),
                        _ => {}
                    }
                }
            }
            if lower.starts_with("meta:") {
                let key = name.trim().get(5..).unwrap_or("").trim().to_string();
                if !key.is_empty() {
                    c.meta.push((i, key));
                }
            }
        }
        c.attrs = attrs.into_values().filter(|a| a.name.is_some()).collect();
        c.downloads = downloads.into_iter().map(|(n, (a, b))| (n, a, b)).collect();
        c
    }
}

/// Reads products from a WooCommerce product export.
pub struct ProductReader {
    table: TableFile,
    currency: String,
    cols: Cols,
    scan: Option<Arc<Scan>>,
    /// The main stream and the variation stream of the last page, kept so the next page
    /// (normally starting where this one stopped) needs no reopen.
    stream: Option<Rows>,
    child_stream: Option<Rows>,
}

impl ProductReader {
    pub fn new(table: TableFile, currency: &str) -> Result<ProductReader> {
        // WooCommerce's importer reads any subset of its columns (`Type` defaults to simple),
        // so long as something tells the products apart.
        if !["Name", "SKU", "ID"].iter().any(|c| table.header().has(c)) {
            table.require(&["Name"], "WooCommerce product")?;
        }
        let cols = Cols::new(table.header());
        Ok(ProductReader {
            // The exporter's guard is not data, however the file was opened.
            table: table.with_guard(Some(platform::woocommerce::EXPORT_GUARD)),
            currency: currency.to_string(),
            cols,
            scan: None,
            stream: None,
            child_stream: None,
        })
    }

    fn weight(&self, row: &Row, findings: &mut Vec<Finding>) -> Option<Weight> {
        let (col, unit) = self.cols.weight?;
        self.table
            .decimal(row, Some(col), findings)
            .map(|value| Weight { value, unit })
    }

    fn money(&self, row: &Row, col: Option<usize>, findings: &mut Vec<Finding>) -> Option<Money> {
        self.table
            .decimal(row, col, findings)
            .map(|d| Money::new(d, self.currency.clone()))
    }

    /// Price, stock and identity of one sellable row (a simple product or a variation).
    fn variant_from(&self, row: &Row, findings: &mut Vec<Finding>) -> Variant {
        let t = &self.table;
        let sale = self.money(row, self.cols.sale, findings);
        let regular = self.money(row, self.cols.regular, findings);
        let (price, compare_at_price) = match (sale, regular) {
            (Some(s), Some(r)) => (Some(s), Some(r)),
            (Some(s), None) => (Some(s), None),
            (None, r) => (r, None),
        };
        let mut inventory = t.integer(row, self.cols.stock, findings);
        let is = |value: &str, words: &[&str]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
        let in_stock = field(row, self.cols.in_stock);
        let on_backorder = is(in_stock, &["backorder", "onbackorder"]);
        let mut allow_backorder = is(
            field(row, self.cols.backorders),
            &["1", "notify", "yes", "true"],
        );
        if inventory.is_none() && (in_stock == "0" || on_backorder) {
            inventory = Some(0);
        }
        if on_backorder {
            allow_backorder = true;
        }
        let types = field(row, self.cols.typ);
        let barcode = opt_field(row, self.cols.gtin);
        if let Some(b) = &barcode {
            if let Some(msg) = crate::files::table::excel_barcode_damage(b) {
                findings.push(t.finding(
                    Severity::Warning,
                    "excel_damaged_barcode",
                    row.line,
                    self.cols.gtin,
                    msg,
                ));
            }
        }
        let sku = opt_field(row, self.cols.sku);
        if let Some(s) = &sku {
            if s.contains(['E', 'e'])
                && s.contains('+')
                && crate::files::table::excel_barcode_damage(s).is_some()
            {
                findings.push(t.finding(
                    Severity::Warning,
                    "excel_damaged_sku",
                    row.line,
                    self.cols.sku,
                    format!("SKU \"{s}\" is in scientific notation: Excel turned it into a number and its digits are lost. Export again and keep the column as Text"),
                ));
            }
        }
        let tax_status = field(row, self.cols.tax_status);
        Variant {
            source_id: opt_field(row, self.cols.id).or_else(|| sku.clone()),
            sku,
            barcode,
            price,
            compare_at_price,
            cost: None,
            weight: self.weight(row, findings),
            inventory,
            allow_backorder,
            option_values: vec![],
            image: None,
            requires_shipping: !types
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("virtual")),
            taxable: !tax_status.eq_ignore_ascii_case("none"),
            price_tiers: Default::default(),
        }
    }

    fn build(&self, row: &Row, children: &[Row], findings: &mut Vec<Finding>) -> Product {
        let t = &self.table;
        let c = &self.cols;
        let types_raw = field(row, c.typ).to_ascii_lowercase();
        let types: Vec<&str> = types_raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let kind = if types.contains(&"variable") {
            ProductKind::Variable
        } else if types.contains(&"grouped") {
            ProductKind::Grouped
        } else if types.contains(&"external") {
            ProductKind::External
        } else {
            if !types.is_empty() && !types.contains(&"simple") {
                findings.push(t.finding(
                    Severity::Warning,
                    "unknown_product_type",
                    row.line,
                    c.typ,
                    format!("product type \"{types_raw}\" is not simple, variable, grouped or external; read as simple"),
                ));
            }
            ProductKind::Simple
        };
        let title = field(row, c.name).to_string();
        let handle = match opt_field(row, c.slug) {
            Some(s) => percent_decode(&s),
            None => platform::normalize_handle(Platform::WooCommerce, &title),
        };
        let id = opt_field(row, c.id)
            .or_else(|| opt_field(row, c.sku))
            .unwrap_or_else(|| format!("line-{}", row.line));
        let mut attributes = BTreeMap::new();
        let published = field(row, c.published);
        // WordPress's own words (publish, draft, private, pending) come from exports of other
        // plugins read through a column mapping.
        let word = published.to_ascii_lowercase();
        let status = match word.as_str() {
            "1" | "true" | "" | "publish" | "published" | "active" => ProductStatus::Active,
            "-1" | "false" | "draft" => ProductStatus::Draft,
            "0" | "private" => {
                attributes.insert("woo:post_status".to_string(), "private".to_string());
                ProductStatus::Draft
            }
            "0.5" | "2" | "pending" => {
                attributes.insert("woo:post_status".to_string(), "pending".to_string());
                ProductStatus::Draft
            }
            _ => {
                findings.push(t.finding(
                    Severity::Warning,
                    "bad_status",
                    row.line,
                    c.published,
                    format!(
                        "Published \"{published}\" is not 1, 0 or -1; read as draft. Set 1 to publish"
                    ),
                ));
                ProductStatus::Draft
            }
        };
        if types.contains(&"downloadable") {
            attributes.insert("woo:downloadable".to_string(), "1".to_string());
        }
        for &(col, key, default) in &c.passthrough {
            let v = field(row, Some(col));
            if !v.is_empty() && v != default {
                attributes.insert(key.to_string(), v.to_string());
            }
        }
        if let Some(s) = opt_field(row, c.short) {
            attributes.insert("woo:short_description".to_string(), unescape_newlines(&s));
        }
        for (col, key, unit) in &c.dims {
            if let Some(v) = opt_field(row, Some(*col)) {
                attributes.insert(key.to_string(), v);
                if !unit.is_empty() {
                    attributes.insert("woo:dimension_unit".to_string(), unit.clone());
                }
            }
        }
        for (n, name, url) in &c.downloads {
            if let Some(v) = opt_field(row, *name) {
                attributes.insert(format!("woo:download_{n}_name"), v);
            }
            if let Some(v) = opt_field(row, *url) {
                attributes.insert(format!("woo:download_{n}_url"), v);
            }
        }
        let mut seo = Seo::default();
        for (col, key) in &c.meta {
            let Some(v) = opt_field(row, Some(*col)) else {
                continue;
            };
            match key.as_str() {
                SEO_TITLE_META => seo.title = Some(v),
                SEO_DESC_META => seo.description = Some(v),
                _ => {
                    attributes.insert(format!("meta:{key}"), v);
                }
            }
        }

        // Attributes of the parent row, in column order.
        struct Attr {
            name: String,
            values: Vec<String>,
        }
        let mut attrs: Vec<Attr> = vec![];
        for a in &c.attrs {
            let name = field(row, a.name);
            if name.is_empty() {
                continue;
            }
            let values = split_list(field(row, a.value));
            for (col, prefix, default) in [
                (a.visible, ATTR_VISIBLE, "1"),
                (a.global, ATTR_GLOBAL, "0"),
                (a.default, ATTR_DEFAULT, ""),
            ] {
                let v = field(row, col);
                if !v.is_empty() && v != default {
                    attributes.insert(format!("{prefix}{name}"), v.to_string());
                }
            }
            attrs.push(Attr {
                name: name.to_string(),
                values,
            });
        }

        let mut images: Vec<Image> = split_list(field(row, c.images))
            .into_iter()
            .enumerate()
            .map(|(i, src)| Image {
                src,
                alt: None,
                position: i as u32 + 1,
            })
            .collect();

        let mut options: Vec<ProductOption> = vec![];
        let mut variants: Vec<Variant>;
        if kind == ProductKind::Variable && children.is_empty() {
            // The exporter's type filter can leave the variations out; the product then has
            // no price and no variant, which a target would publish as a free product.
            findings.push(t.finding(
                Severity::Warning,
                "variable_without_variations",
                row.line,
                c.typ,
                format!(
                    "variable product \"{}\" has no variation rows in this file, so it is read with no \
                     variants and no price. Export again with the \"variation\" type included",
                    field(row, c.name)
                ),
            ));
        }
        if kind == ProductKind::Variable || !children.is_empty() {
            if let Some(sku) = opt_field(row, c.sku) {
                attributes.insert("woo:sku".to_string(), sku);
            }
            let parent_weight = self.weight(row, &mut vec![]);
            let parent_taxable = !field(row, c.tax_status).eq_ignore_ascii_case("none");
            // Each variation's (attribute name in lower case, value) pairs, borrowed from the
            // rows where no change is needed; a name given twice takes the later value.
            let mut pairs: Vec<(&str, Cow<str>)> = Vec::new();
            let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(children.len());
            let mut used: Vec<&str> = vec![];
            for child in children {
                let from = pairs.len();
                for a in &c.attrs {
                    let n = field(child, a.name);
                    if n.is_empty() {
                        continue;
                    }
                    let v = field(child, a.value);
                    let v = if v.contains("\\,") {
                        Cow::Owned(v.replace("\\,", ","))
                    } else {
                        Cow::Borrowed(v)
                    };
                    if !v.is_empty() && !used.iter().any(|u| same_name(u, n)) {
                        used.push(n);
                    }
                    pairs.push((n, v));
                }
                spans.push(from..pairs.len());
            }
            for a in &attrs {
                if used.iter().any(|u| same_name(u, &a.name)) {
                    options.push(ProductOption {
                        name: a.name.clone(),
                        values: a.values.clone(),
                    });
                }
            }
            // A variation may use an attribute the parent row does not list.
            for span in &spans {
                let vals = &pairs[span.clone()];
                let mut extra: Vec<String> = vals
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| {
                        !options.iter().any(|o| same_name(&o.name, k))
                            && last_value(vals, k).is_some_and(|v| !v.is_empty())
                    })
                    .map(|k| k.to_lowercase())
                    .collect();
                extra.sort_unstable();
                extra.dedup();
                for k in extra {
                    options.push(ProductOption {
                        name: k,
                        values: vec![],
                    });
                }
            }
            variants = Vec::with_capacity(children.len());
            let option_keys: Vec<String> = options.iter().map(|o| o.name.clone()).collect();
            for (child, span) in children.iter().zip(&spans) {
                let vals = &pairs[span.clone()];
                let mut v = self.variant_from(child, findings);
                if v.weight.is_none() {
                    v.weight = parent_weight;
                }
                let tax = field(child, c.tax_status);
                if tax.is_empty() || tax.eq_ignore_ascii_case("parent") {
                    v.taxable = parent_taxable;
                }
                for (o, key) in options.iter_mut().zip(&option_keys) {
                    let value = last_value(vals, key).unwrap_or_default().to_string();
                    if value.is_empty() {
                        findings.push(t.finding(
                            Severity::Warning,
                            "variation_any_value",
                            child.line,
                            None,
                            format!(
                                "variation gives no value for \"{}\" (WooCommerce reads that as \"any {}\"); \
                                 a target with fixed options needs one: set the value in this row",
                                o.name, o.name
                            ),
                        ));
                    } else if !o.values.contains(&value) {
                        o.values.push(value.clone());
                    }
                    v.option_values.push(value);
                }
                if let Some(src) = first_of_list(field(child, c.images)) {
                    if !images.iter().any(|i| i.src == src) {
                        images.push(Image {
                            src: src.clone(),
                            alt: None,
                            position: images.len() as u32 + 1,
                        });
                    }
                    v.image = Some(src);
                }
                variants.push(v);
            }
            for a in attrs
                .iter()
                .filter(|a| !used.iter().any(|u| same_name(u, &a.name)))
            {
                attributes.insert(format!("{ATTR}{}", a.name), join_list(&a.values));
            }
        } else {
            for a in &attrs {
                attributes.insert(format!("{ATTR}{}", a.name), join_list(&a.values));
            }
            variants = vec![self.variant_from(row, findings)];
        }

        let categories = category_paths(field(row, c.categories));

        Product {
            // A row with neither slug nor name (an update file of ID and SKU) has no URL this
            // file can tell: no redirect is planned from a made-up one.
            source: if handle.is_empty() {
                SourceRef::new(id)
            } else {
                SourceRef::with_url(
                    id,
                    platform::url_path(Platform::WooCommerce, Entity::Products, &handle, &[]),
                )
            },
            handle,
            title,
            body_html: unescape_newlines(field(row, c.description)),
            vendor: opt_field(row, c.brands),
            product_type: None,
            tags: tag_names(field(row, c.tags)),
            status,
            kind,
            categories,
            options,
            variants,
            images,
            seo,
            attributes,
            created_at: None,
            translations: Default::default(),
        }
    }
}

/// The first entry of a comma list (a variation's image), without splitting the rest.
fn first_of_list(value: &str) -> Option<String> {
    if value.contains('\\') {
        return split_list(value).into_iter().next();
    }
    value
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// Attribute names match whatever their case (this runs for every attribute of every
/// variation, so ASCII names are compared without lowering them).
fn same_name(a: &str, b: &str) -> bool {
    if a == b {
        true
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        // Letter by letter, without lowercased copies of both (this runs per variation).
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

/// The value a variation gives attribute `key` (the last one when it names it twice).
fn last_value<'a>(vals: &'a [(&str, Cow<str>)], key: &str) -> Option<&'a str> {
    vals.iter()
        .rev()
        .find(|(k, _)| same_name(k, key))
        .map(|(_, v)| v.as_ref())
}

/// Moves `rows` to `offset`, reading forward when that is close, reopening otherwise.
fn seek_rows(table: &TableFile, rows: &mut Option<Rows>, offset: u64, line: u64) -> Result<()> {
    if let Some(r) = rows.as_mut() {
        let mut skip = Row::default();
        let mut steps = 0;
        while r.position().offset < offset && steps < 64 {
            if !r.next_into(&mut skip)? {
                break;
            }
            steps += 1;
        }
        if r.position().offset == offset {
            return Ok(());
        }
    }
    *rows = Some(table.rows_from(RowCursor {
        offset,
        line,
        records: 0,
    })?);
    Ok(())
}

impl EntityReader for ProductReader {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn describe(&self) -> String {
        self.table.display().to_string()
    }

    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage> {
        if self.scan.is_none() {
            self.scan = Some(scan::of(&self.table)?);
        }
        let Some(index) = self.scan.clone() else {
            return Ok(SourcePage::default());
        };
        let start = match cursor {
            Some(c) => RowCursor::from_json(self.table.display(), c)?,
            None => self.table.start(),
        };
        let t = &self.table;
        let c = &self.cols;
        let mut rows = match self.stream.take() {
            Some(r) if r.position().offset == start.offset && r.position().line == start.line => r,
            _ => t.rows_from(start)?,
        };
        let mut child_rows: Option<Rows> = self.child_stream.take();
        let mut page = SourcePage::default();
        let mut row = Row::default();
        let mut produced = start.records;
        let mut kids: Vec<Row> = vec![];
        while page.records.len() < limit.max(1) {
            if !rows.next_into(&mut row)? {
                break;
            }
            if row.is_blank() {
                continue;
            }
            if !exporters_short_row(t.header(), &row) {
                page.findings.extend(t.check_width(&row));
            }
            if let Some(first) = index.duplicates.get(&row.offset) {
                page.findings.push(t.finding(
                    Severity::Warning,
                    "duplicate_row",
                    row.line,
                    c.id,
                    format!(
                        "ID {} was already used on line {first}; this row was skipped (WooCommerce would \
                         overwrite the first). Delete one of the two rows",
                        field(&row, c.id)
                    ),
                ));
                continue;
            }
            let types = field(&row, c.typ);
            if is_variation(types) || (types.is_empty() && !field(&row, c.parent).is_empty()) {
                if let Some(parent) = index.orphans.get(&row.offset) {
                    page.findings.push(t.finding(
                        Severity::Blocking,
                        "orphan_variation",
                        row.line,
                        c.parent,
                        format!(
                            "variation {} names parent \"{}\", which is not in this file; it cannot be \
                             moved. Add the parent product or fix the Parent column",
                            opt_field(&row, c.sku).or_else(|| opt_field(&row, c.id)).unwrap_or_default(),
                            parent.split_once(':').map(|(_, p)| p).unwrap_or(parent)
                        ),
                    ));
                }
                continue;
            }
            // Variations of this parent, in file order: those elsewhere in the file (by its ID
            // and, if it is the first row with its SKU, by SKU) are seeked to; those right after
            // it come from the main stream, with no second parse and no seek.
            let mut locs: Vec<(u64, u64)> = vec![];
            if !index.children.is_empty() {
                let id = field(&row, c.id);
                if !id.is_empty() {
                    if let Some(v) = index.children.get(&scan::key_string((true, id))) {
                        locs.extend_from_slice(v);
                    }
                }
                let sku = field(&row, c.sku);
                if !sku.is_empty() && index.sku_parent.get(sku) == Some(&row.offset) {
                    if let Some(v) = index.children.get(&scan::key_string((false, sku))) {
                        locs.extend_from_slice(v);
                    }
                }
                locs.sort_unstable();
                locs.dedup();
            }
            let split = locs.partition_point(|&(o, _)| o < row.offset);
            // Rows are reused from product to product: their buffers are the costly part.
            let mut n = 0;
            let seek_to = |locs: &[(u64, u64)],
                           n: &mut usize,
                           kids: &mut Vec<Row>,
                           child_rows: &mut Option<Rows>|
             -> Result<()> {
                for &(offset, line) in locs {
                    seek_rows(t, child_rows, offset, line)?;
                    if kids.len() == *n {
                        kids.push(Row::default());
                    }
                    if let Some(r) = child_rows.as_mut() {
                        if r.next_into(&mut kids[*n])? {
                            *n += 1;
                        }
                    }
                }
                Ok(())
            };
            seek_to(&locs[..split], &mut n, &mut kids, &mut child_rows)?;
            for _ in 0..index.inline_after(row.offset) {
                if kids.len() == n {
                    kids.push(Row::default());
                }
                if !rows.next_into(&mut kids[n])? {
                    break;
                }
                if !exporters_short_row(t.header(), &kids[n]) {
                    page.findings.extend(t.check_width(&kids[n]));
                }
                n += 1;
            }
            seek_to(&locs[split..], &mut n, &mut kids, &mut child_rows)?;
            let product = self.build(&row, &kids[..n], &mut page.findings);
            page.records.push(Record::Product(product));
            produced += 1;
        }
        if !rows.at_end() {
            let mut next = rows.position();
            next.records = produced;
            page.next = Some(next.to_json());
            self.stream = Some(rows);
        }
        self.child_stream = child_rows;
        Ok(page)
    }
}

/// Writes products in the reader's format: the parent row, then one row per variation.
pub struct ProductWriter {
    /// Write source ids into `ID` (and `Parent` as `id:N`). Right for regenerating a
    /// WooCommerce export; wrong for importing into another store, where ids would collide.
    pub write_ids: bool,
    pub weight_unit: WeightUnit,
    /// Dimension unit named in the header ("cm", "in").
    pub dimension_unit: String,
    /// Attribute slots per row ("Attribute 1 name" ...).
    pub attribute_slots: usize,
    /// `Meta: x` columns written besides Yoast's title and description.
    pub extra_meta: Vec<String>,
    header: Vec<String>,
    /// Column name → position, so filling a row never searches the header.
    index: HashMap<String, usize>,
    /// Positions of "Attribute N name/value(s)/visible/global/default" per slot.
    attr_idx: Vec<[usize; 5]>,
    /// Positions of the columns every variation row fills, found once.
    at: RowCols,
    /// Positions of the [`PASSTHROUGH`] columns, in its order.
    passthrough_at: Vec<usize>,
    row: Vec<String>,
    /// The spreadsheet guard of each column: where WooCommerce's importer takes it off again,
    /// or (regenerating an export) everywhere, as its exporter writes.
    guards: ColumnGuards,
}

/// Column positions of the fields written on every row.
#[derive(Debug, Default, Clone, Copy)]
struct RowCols {
    id: usize,
    typ: usize,
    sku: usize,
    gtin: usize,
    name: usize,
    published: usize,
    tax_status: usize,
    sale: usize,
    regular: usize,
    in_stock: usize,
    stock: usize,
    backorders: usize,
    weight: usize,
    images: usize,
    parent: usize,
    position: usize,
    seo_title: usize,
    seo_desc: usize,
}

impl ProductWriter {
    pub fn new(
        write_ids: bool,
        weight_unit: WeightUnit,
        dimension_unit: &str,
        extra_meta: Vec<String>,
    ) -> Self {
        let mut w = ProductWriter {
            write_ids,
            weight_unit,
            dimension_unit: dimension_unit.to_string(),
            attribute_slots: 6,
            extra_meta,
            header: vec![],
            index: HashMap::new(),
            attr_idx: vec![],
            at: RowCols::default(),
            passthrough_at: vec![],
            row: vec![],
            guards: ColumnGuards::default(),
        };
        w.header = w.columns();
        w.guards = ColumnGuards::import(Platform::WooCommerce, "products.csv", &w.header);
        w.index = w
            .header
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        w.attr_idx = (1..=w.attribute_slots)
            .map(|n| {
                ["name", "value(s)", "visible", "global", "default"].map(|what| {
                    w.index
                        .get(&format!("Attribute {n} {what}"))
                        .copied()
                        .unwrap_or(0)
                })
            })
            .collect();
        w.at = RowCols {
            id: w.col("ID"),
            typ: w.col("Type"),
            sku: w.col("SKU"),
            gtin: w.col(GTIN),
            name: w.col("Name"),
            published: w.col("Published"),
            tax_status: w.col("Tax status"),
            sale: w.col("Sale price"),
            regular: w.col("Regular price"),
            in_stock: w.col("In stock?"),
            stock: w.col("Stock"),
            backorders: w.col("Backorders allowed?"),
            weight: w.col(&w.weight_header()),
            images: w.col("Images"),
            parent: w.col("Parent"),
            position: w.col("Position"),
            seo_title: w.col(&format!("Meta: {SEO_TITLE_META}")),
            seo_desc: w.col(&format!("Meta: {SEO_DESC_META}")),
        };
        w.passthrough_at = PASSTHROUGH.iter().map(|(c, _, _)| w.col(c)).collect();
        w.row = vec![String::new(); w.header.len()];
        w
    }

    /// The writer a migration into WooCommerce uses: no ids, kg and cm (WooCommerce's defaults).
    pub fn for_import() -> Self {
        ProductWriter::new(false, WeightUnit::Kg, "cm", vec![])
    }

    /// The writer that regenerates an export (ids kept, every column guarded as the exporter
    /// does), as the demo store generator uses.
    pub fn for_export() -> Self {
        let mut w = ProductWriter::new(true, WeightUnit::Kg, "cm", vec![]);
        w.guards = ColumnGuards::export(Platform::WooCommerce, &w.header);
        w
    }

    fn weight_header(&self) -> String {
        let u = match self.weight_unit {
            WeightUnit::G => "g",
            WeightUnit::Kg => "kg",
            WeightUnit::Lb => "lbs",
            WeightUnit::Oz => "oz",
        };
        format!("Weight ({u})")
    }

    fn columns(&self) -> Vec<String> {
        let d = &self.dimension_unit;
        let mut cols: Vec<String> = [
            "ID",
            "Type",
            "SKU",
            GTIN,
            "Name",
            "Slug",
            "Published",
            "Is featured?",
            "Visibility in catalog",
            "Short description",
            "Description",
            "Date sale price starts",
            "Date sale price ends",
            "Tax status",
            "Tax class",
            "In stock?",
            "Stock",
            "Low stock amount",
            "Backorders allowed?",
            "Sold individually?",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        cols.push(self.weight_header());
        cols.push(format!("Length ({d})"));
        cols.push(format!("Width ({d})"));
        cols.push(format!("Height ({d})"));
        for s in [
            "Allow customer reviews?",
            "Purchase note",
            "Sale price",
            "Regular price",
            "Categories",
            "Tags",
            "Shipping class",
            "Images",
            "Download limit",
            "Download expiry days",
            "Parent",
            "Grouped products",
            "Upsells",
            "Cross-sells",
            "External URL",
            "Button text",
            "Position",
            "Brands",
        ] {
            cols.push(s.to_string());
        }
        for n in 1..=self.attribute_slots {
            for what in ["name", "value(s)", "visible", "global", "default"] {
                cols.push(format!("Attribute {n} {what}"));
            }
        }
        cols.push(format!("Meta: {SEO_TITLE_META}"));
        cols.push(format!("Meta: {SEO_DESC_META}"));
        for m in &self.extra_meta {
            cols.push(format!("Meta: {m}"));
        }
        for n in 1..=2 {
            cols.push(format!("Download {n} name"));
            cols.push(format!("Download {n} URL"));
        }
        cols
    }

    fn col(&self, name: &str) -> usize {
        // Columns are the writer's own; a miss is a programming error caught by the tests.
        self.index.get(name).copied().unwrap_or(0)
    }

    fn set(&mut self, name: &str, value: impl AsRef<str>) {
        let i = self.col(name);
        self.set_at(i, value.as_ref());
    }

    fn set_at(&mut self, i: usize, value: &str) {
        let f = &mut self.row[i];
        f.clear();
        f.push_str(value);
    }

    /// Writes `value` (a number) into column `i` without an intermediate string.
    fn set_decimal(&mut self, i: usize, value: Decimal) {
        let f = &mut self.row[i];
        f.clear();
        crate::model::push_decimal(f, value);
    }

    fn set_display(&mut self, i: usize, value: impl std::fmt::Display) {
        use std::fmt::Write;
        let f = &mut self.row[i];
        f.clear();
        let _ = write!(f, "{value}");
    }

    fn clear(&mut self) {
        for f in &mut self.row {
            f.clear();
        }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        self.guards.push_row(out, &self.row, b',');
    }

    fn set_weight(&mut self, w: Option<&Weight>) {
        if let Some(w) = w {
            let w = if w.unit == self.weight_unit {
                *w
            } else {
                w.to_unit(self.weight_unit)
            };
            self.set_display(self.at.weight, w.value);
        }
    }

    fn set_variant_fields(&mut self, v: &Variant) {
        let at = self.at;
        self.set_at(at.sku, v.sku.as_deref().unwrap_or(""));
        self.set_at(at.gtin, v.barcode.as_deref().unwrap_or(""));
        match (&v.price, &v.compare_at_price) {
            (Some(p), Some(c)) => {
                self.set_decimal(at.sale, p.amount);
                self.set_decimal(at.regular, c.amount);
            }
            (Some(p), None) => self.set_decimal(at.regular, p.amount),
            (None, Some(c)) => self.set_decimal(at.regular, c.amount),
            (None, None) => {}
        }
        let in_stock = match v.inventory {
            Some(n) if n <= 0 => {
                if v.allow_backorder {
                    "backorder"
                } else {
                    "0"
                }
            }
            _ => "1",
        };
        self.set_at(at.in_stock, in_stock);
        if let Some(n) = v.inventory {
            self.set_display(at.stock, n);
        }
        self.set_at(at.backorders, if v.allow_backorder { "1" } else { "0" });
        self.set_weight(v.weight.as_ref());
    }

    fn dims(&mut self, p: &Product) {
        let from = p
            .attributes
            .get("woo:dimension_unit")
            .map(String::as_str)
            .unwrap_or(&self.dimension_unit);
        let factor = length_factor(from, &self.dimension_unit);
        let d = self.dimension_unit.clone();
        for (key, col) in [
            ("woo:length", "Length"),
            ("woo:width", "Width"),
            ("woo:height", "Height"),
        ] {
            if let Some(v) = p.attributes.get(key) {
                let value = match (factor, crate::model::parse_decimal(v)) {
                    (Some(f), Some(n)) if f != Decimal::ONE => {
                        (n * f).round_dp(4).normalize().to_string()
                    }
                    _ => v.clone(),
                };
                self.set(&format!("{col} ({d})"), value);
            }
        }
    }

    fn encode_product(
        &mut self,
        p: &Product,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let variable =
            p.kind == ProductKind::Variable || !p.options.is_empty() || p.variants.len() > 1;
        let descriptive: Vec<(&str, &String)> = p
            .attributes
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(ATTR).map(|n| (n, v)))
            .collect();
        let slots_needed = descriptive.len() + if variable { p.options.len() } else { 0 };
        if slots_needed > self.attribute_slots {
            return Err(format!(
                "product \"{}\" has {slots_needed} attributes; the WooCommerce file is written with room for {}",
                p.title, self.attribute_slots
            ));
        }
        let numeric_id = p.source.id.bytes().all(|b| b.is_ascii_digit()) && !p.source.id.is_empty();
        let parent_sku = p.attributes.get("woo:sku").cloned();
        let parent_ref = if self.write_ids && numeric_id {
            format!("id:{}", p.source.id)
        } else {
            parent_sku.clone().unwrap_or_else(|| p.handle.clone())
        };

        self.clear();
        if self.write_ids && numeric_id {
            self.set("ID", p.source.id.clone());
        }
        let first = p.variants.first();
        let mut types = vec![match p.kind {
            _ if variable => "variable",
            ProductKind::Grouped => "grouped",
            ProductKind::External => "external",
            _ => "simple",
        }];
        if !variable {
            if p.attributes
                .get("woo:downloadable")
                .is_some_and(|v| v == "1")
            {
                types.push("downloadable");
            }
            if first.is_some_and(|v| !v.requires_shipping) {
                types.push("virtual");
            }
        }
        self.set("Type", types.join(", "));
        self.set_at(self.at.name, &p.title);
        let slug = self.col("Slug");
        self.set_at(slug, &p.handle);
        let published = match (
            p.status,
            p.attributes.get("woo:post_status").map(String::as_str),
        ) {
            (ProductStatus::Active, _) => "1",
            (_, Some("private")) => "0",
            (_, Some("pending")) => "2",
            (ProductStatus::Archived, _) => "0",
            (ProductStatus::Draft, _) => "-1",
        };
        self.set("Published", published);
        for (k, &(_, key, default)) in PASSTHROUGH.iter().enumerate() {
            let i = self.passthrough_at[k];
            let v = p.attributes.get(key).map(String::as_str).unwrap_or(default);
            self.set_at(i, v);
        }
        if !variable
            && !p.attributes.contains_key("woo:tax_status")
            && first.is_some_and(|v| !v.taxable)
        {
            self.set("Tax status", "none");
        }
        self.set(
            "Short description",
            escape_newlines(
                p.attributes
                    .get("woo:short_description")
                    .map(String::as_str)
                    .unwrap_or(""),
            ),
        );
        self.set("Description", escape_newlines(&p.body_html));
        self.set("Categories", categories_cell(&p.categories));
        self.set("Tags", join_list(&p.tags));
        let imgs: Vec<&str> = p.images.iter().map(|i| i.src.as_str()).collect();
        self.set("Images", imgs.join(", "));
        self.set("Brands", p.vendor.clone().unwrap_or_default());
        self.dims(p);
        for n in 1..=2 {
            for (what, col) in [("name", "name"), ("url", "URL")] {
                if let Some(v) = p.attributes.get(&format!("woo:download_{n}_{what}")) {
                    self.set(&format!("Download {n} {col}"), v.clone());
                }
            }
        }
        self.set_at(self.at.seo_title, p.seo.title.as_deref().unwrap_or(""));
        self.set_at(self.at.seo_desc, p.seo.description.as_deref().unwrap_or(""));
        for m in self.extra_meta.clone() {
            if let Some(v) = p.attributes.get(&format!("meta:{m}")) {
                self.set(&format!("Meta: {m}"), v.clone());
            }
        }
        let mut slot = 1;
        let flags = |name: &str| {
            (
                p.attributes
                    .get(&format!("{ATTR_VISIBLE}{name}"))
                    .cloned()
                    .unwrap_or_else(|| "1".into()),
                p.attributes
                    .get(&format!("{ATTR_GLOBAL}{name}"))
                    .cloned()
                    .unwrap_or_else(|| "0".into()),
                p.attributes
                    .get(&format!("{ATTR_DEFAULT}{name}"))
                    .cloned()
                    .unwrap_or_default(),
            )
        };
        if variable {
            for o in &p.options {
                let (vis, glob, def) = flags(&o.name);
                self.set_attr(slot, &o.name, &join_list(&o.values), &vis, &glob, &def);
                slot += 1;
            }
        }
        for (name, values) in &descriptive {
            let (vis, glob, def) = flags(name);
            self.set_attr(slot, name, values, &vis, &glob, &def);
            slot += 1;
        }
        if variable {
            if let Some(sku) = &parent_sku {
                self.set("SKU", sku.clone());
            } else if !(self.write_ids && numeric_id) {
                self.set("SKU", parent_ref.clone());
            }
            self.flush(out);
            let at = self.at;
            // The global flag of each option, looked up once rather than per variation.
            let globals: Vec<String> = p.options.iter().map(|o| flags(&o.name).1).collect();
            let mut escaped = String::new();
            for (i, v) in p.variants.iter().enumerate() {
                self.clear();
                if self.write_ids {
                    if let Some(id) = v
                        .source_id
                        .as_ref()
                        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    {
                        self.set_at(at.id, id);
                    }
                }
                self.set_at(
                    at.typ,
                    if v.requires_shipping {
                        "variation"
                    } else {
                        "variation, virtual"
                    },
                );
                // "Title - Red, XL": the name WooCommerce gives a variation.
                let name = &mut self.row[at.name];
                name.push_str(&p.title);
                let mut first_value = true;
                for value in v.option_values.iter().filter(|s| !s.is_empty()) {
                    name.push_str(if first_value { " - " } else { ", " });
                    name.push_str(value);
                    first_value = false;
                }
                self.set_at(at.published, published);
                self.set_at(at.tax_status, if v.taxable { "taxable" } else { "none" });
                self.set_variant_fields(v);
                self.set_at(at.images, v.image.as_deref().unwrap_or(""));
                self.set_at(at.parent, &parent_ref);
                self.set_display(at.position, i + 1);
                for (k, o) in p.options.iter().enumerate() {
                    let value = v.option_values.get(k).map(String::as_str).unwrap_or("");
                    escaped.clear();
                    if value.contains(',') {
                        escaped.push_str(&value.replace(',', "\\,"));
                    } else {
                        escaped.push_str(value);
                    }
                    self.set_attr(k + 1, &o.name, &escaped, "", &globals[k], "");
                }
                self.flush(out);
            }
        } else {
            if let Some(v) = first {
                self.set_variant_fields(v);
            }
            self.flush(out);
        }
        Ok(p.handle.clone())
    }

    fn set_attr(
        &mut self,
        slot: usize,
        name: &str,
        values: &str,
        visible: &str,
        global: &str,
        default: &str,
    ) {
        let idx = self.attr_idx[slot - 1];
        for (i, v) in idx
            .into_iter()
            .zip([name, values, visible, global, default])
        {
            let f = &mut self.row[i];
            f.clear();
            f.push_str(v);
        }
    }
}

/// Factor turning a length in `from` into `to` (None when either unit is unknown).
fn length_factor(from: &str, to: &str) -> Option<Decimal> {
    let mm = |u: &str| -> Option<Decimal> {
        Some(match u.trim().to_ascii_lowercase().as_str() {
            "mm" => Decimal::ONE,
            "cm" => Decimal::from(10),
            "m" => Decimal::from(1000),
            "in" => Decimal::new(254, 1),
            "yd" => Decimal::new(9144, 1),
            _ => return None,
        })
    };
    if from.eq_ignore_ascii_case(to) {
        return Some(Decimal::ONE);
    }
    Some(mm(from)? / mm(to)?)
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        "products.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut out = vec![];
        push_row(&mut out, &self.header, b',');
        out
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        match record {
            Record::Product(p) => self.encode_product(p, out),
            other => Err(format!(
                "the WooCommerce product file cannot hold {}",
                other.entity()
            )),
        }
    }
}

#[cfg(test)]
mod tests;
