//! Medusa 2.x product CSV: the admin's export (comma or semicolon separated, in either of the
//! column orders Medusa has written), its import template, and the 1.x-style template Medusa
//! still reads. Written in the current template's layout, which Medusa's importer takes back.
//! Facts about the layout are in [`crate::platform::medusa::csv`].

#[cfg(test)]
mod tests;

use super::dates::{Clock, DateReader, DayOrder};
use super::loaded::{
    self, all_rows, cell, cell_finding, date_cell, fmt_amount, fmt_decimal, header_bytes, Ctx,
    ParseFn, Parsed,
};
use super::table::{Header, Row, TableFile};
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::finding::{Finding, Severity};
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductOption, ProductStatus, Record, SourceRef,
    Variant, Weight,
};
use crate::platform;
use crate::platform::medusa::{csv as facts, WEIGHT_UNIT};
use crate::spec::EndpointSpec;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Which Medusa file this is, by its header.
pub fn recognise(h: &Header) -> Option<Entity> {
    (h.has("Product Handle") && h.has("Product Title")).then_some(Entity::Products)
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    (entity == Entity::Products).then_some(parse as ParseFn)
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}

pub fn writers(spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> {
    vec![Box::new(ProductWriter::new(spec.currency()))]
}

/// A price column: its currency, and the region it is for (`None`: the currency's own price).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PriceCol {
    col: usize,
    currency: String,
    region: Option<String>,
    /// The column name after "Variant Price " / "Price ", kept for the attribute name.
    suffix: String,
}

/// Parses a price column name: "Variant Price USD", "Variant Price [Europe] EUR" (current),
/// "Variant Price Test Region [USD]" (Medusa 2.0), "Price EUR" (1.x template).
fn price_col(col: usize, name: &str) -> Option<PriceCol> {
    let lower = name.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("variant price ")
        .or_else(|| lower.strip_prefix("price "))?;
    let suffix = name.trim()[name.trim().len() - rest.len()..].to_string();
    let rest = suffix.trim();
    let (currency, region) = if let Some(body) = rest.strip_suffix(']') {
        let (region, cur) = body.rsplit_once('[')?;
        (cur.trim().to_string(), Some(region.trim().to_string()))
    } else if let Some((left, cur)) = rest.rsplit_once(' ') {
        let region = left.trim().trim_start_matches('[').trim_end_matches(']');
        (cur.trim().to_string(), Some(region.trim().to_string()))
    } else {
        (rest.to_string(), None)
    };
    let ok = currency.len() == 3 && currency.chars().all(|c| c.is_ascii_alphabetic());
    ok.then(|| PriceCol {
        col,
        currency: currency.to_ascii_uppercase(),
        region: region.filter(|r| !r.is_empty()),
        suffix: rest.to_string(),
    })
}

/// Columns numbered from 1: "Product Image 3 Url" → (3, ...); `prefixes` in lower case.
fn numbered(h: &Header, prefixes: &[&str], suffix: &str) -> Vec<(u32, usize)> {
    let mut v: Vec<(u32, usize)> = Vec::new();
    for (i, name) in h.names().iter().enumerate() {
        let lower = crate::files::table::normalise_name(name);
        for p in prefixes {
            let Some(rest) = lower.strip_prefix(p) else {
                continue;
            };
            let rest = rest.trim();
            let num = match rest.strip_suffix(suffix) {
                Some(n) if !suffix.is_empty() => n.trim(),
                _ if suffix.is_empty() => rest,
                _ => continue,
            };
            if let Ok(n) = num.parse::<u32>() {
                v.push((n, i));
            }
        }
    }
    v.sort();
    v
}

/// Column positions of one file, looked up once.
struct Cols {
    id: Option<usize>,
    handle: Option<usize>,
    title: Option<usize>,
    description: Option<usize>,
    status: Option<usize>,
    thumbnail: Option<usize>,
    created: Option<usize>,
    weight: Option<usize>,
    metadata: Option<usize>,
    tags_v1: Option<usize>,
    type_v1: Option<usize>,
    images: Vec<(u32, usize)>,
    tags: Vec<(u32, usize)>,
    categories: Vec<(u32, usize)>,
    channels: Vec<(u32, usize)>,
    /// Product fields kept as `medusa.<key>` attributes.
    kept: Vec<(&'static str, Option<usize>)>,
    variant_id: Option<usize>,
    sku: Option<usize>,
    barcode: Vec<Option<usize>>,
    backorder: Option<usize>,
    manage: Option<usize>,
    quantity: Option<usize>,
    variant_weight: Option<usize>,
    option_names: Vec<(u32, usize)>,
    option_values: HashMap<u32, usize>,
    prices: Vec<PriceCol>,
}

/// Product fields with no canonical place, kept as attributes: (attribute key, column names).
const KEPT: &[(&str, &[&str])] = &[
    ("subtitle", &["Product Subtitle"]),
    ("external_id", &["Product External Id"]),
    ("collection_id", &["Product Collection Id"]),
    ("collection", &["Product Collection Title"]),
    ("collection_handle", &["Product Collection Handle"]),
    ("type_id", &["Product Type Id"]),
    ("shipping_profile_id", &["Shipping Profile Id"]),
    ("discountable", &["Product Discountable"]),
    ("is_giftcard", &["Product Is Giftcard"]),
    ("material", &["Product Material"]),
    ("hs_code", &["Product Hs Code", "Product HS Code"]),
    ("mid_code", &["Product Mid Code", "Product MID Code"]),
    ("origin_country", &["Product Origin Country"]),
    ("length", &["Product Length"]),
    ("width", &["Product Width"]),
    ("height", &["Product Height"]),
];

impl Cols {
    fn new(h: &Header) -> Cols {
        let c = |names: &[&str]| h.any(names);
        let mut option_values = HashMap::new();
        for (n, i) in numbered(h, &["variant option ", "option "], "value") {
            option_values.insert(n, i);
        }
        Cols {
            id: c(&["Product Id"]),
            handle: c(&["Product Handle"]),
            title: c(&["Product Title"]),
            description: c(&["Product Description"]),
            status: c(&["Product Status"]),
            thumbnail: c(&["Product Thumbnail"]),
            created: c(&["Product Created At"]),
            weight: c(&["Product Weight"]),
            metadata: c(&["Product Metadata"]),
            tags_v1: c(&["Product Tags"]),
            type_v1: c(&["Product Type"]),
            images: {
                let mut v = numbered(h, &["product image ", "image "], "url");
                v.extend(numbered(h, &["product image "], ""));
                v.sort();
                v.dedup_by_key(|x| x.1);
                v
            },
            tags: numbered(h, &["product tag "], ""),
            categories: numbered(h, &["product category "], ""),
            channels: numbered(h, &["product sales channel "], ""),
            kept: KEPT.iter().map(|(k, names)| (*k, c(names))).collect(),
            variant_id: c(&["Variant Id"]),
            sku: c(&["Variant Sku"]),
            barcode: vec![
                c(&["Variant Barcode"]),
                c(&["Variant Ean"]),
                c(&["Variant Upc"]),
            ],
            backorder: c(&["Variant Allow Backorder"]),
            manage: c(&["Variant Manage Inventory"]),
            quantity: c(&["Variant Inventory Quantity"]),
            variant_weight: c(&["Variant Weight"]),
            option_names: numbered(h, &["variant option ", "option "], "name"),
            option_values,
            prices: h
                .names()
                .iter()
                .enumerate()
                .filter_map(|(i, n)| price_col(i, n))
                .collect(),
        }
    }
}

/// Medusa writes booleans as true/false (exports) or TRUE/FALSE (template).
fn flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// One product being assembled from its rows.
struct Building {
    product: Product,
    line: u64,
    /// Prices of other currencies and regions, by variant: kept as attributes.
    extra_prices: Vec<(usize, String, String)>,
}

/// Reads a Medusa product CSV.
pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    table.require(&["Product Handle", "Product Title"], "Medusa product")?;
    let h = table.header();
    let c = Cols::new(h);
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    // The canonical price: the currency asked for, else the first currency the file has.
    let main = c
        .prices
        .iter()
        .filter(|p| p.region.is_none())
        .find(|p| p.currency.eq_ignore_ascii_case(&ctx.currency))
        .or_else(|| c.prices.iter().find(|p| p.region.is_none()))
        .cloned();
    let dates = DateReader::new(ctx.zone, DayOrder::MonthFirst);
    let mut order: Vec<Building> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        let handle = cell(row, c.handle);
        let id = cell(row, c.id);
        if handle.is_empty() && id.is_empty() {
            out.note(cell_finding(
                table,
                row,
                c.handle,
                Severity::Warning,
                "missing_handle",
                "row has neither Product Id nor Product Handle; Medusa groups variants by them, so \
                 this row was skipped",
            ));
            continue;
        }
        let key = if id.is_empty() {
            format!("handle:{handle}")
        } else {
            format!("id:{id}")
        };
        let i = match by_key.get(&key) {
            Some(&i) => i,
            None => {
                let mut product = product_of(table, &c, row, &mut out);
                // Medusa exports its database's times, in UTC (`2024-05-06T07:08:09.000Z`).
                product.created_at = date_cell(table, row, c.created, &dates, Clock::Utc, &mut out);
                by_key.insert(key, order.len());
                order.push(Building {
                    product,
                    line: row.line,
                    extra_prices: vec![],
                });
                order.len() - 1
            }
        };
        let b = &mut order[i];
        let n = b.product.variants.len();
        let variant = variant_of(table, &c, main.as_ref(), row, b, &mut out);
        if let Some(v) = variant {
            b.product.variants.push(v);
        }
        for p in &c.prices {
            if Some(p) == main.as_ref() {
                continue;
            }
            if let Some(v) = row.opt(Some(p.col)) {
                b.extra_prices.push((n, p.suffix.clone(), v.to_string()));
            }
        }
    }
    let mut other_currencies = false;
    let mut no_stock = false;
    for b in order {
        let Building {
            mut product,
            extra_prices,
            line,
        } = b;
        for (n, suffix, value) in extra_prices {
            other_currencies = true;
            product
                .attributes
                .insert(format!("{}price.{}.{suffix}", facts::ATTR, n + 1), value);
        }
        if product.variants.iter().any(|v| v.inventory.is_none()) && c.quantity.is_none() {
            no_stock = true;
        }
        if product.variants.is_empty() {
            out.note(table.finding(
                Severity::Warning,
                "product_without_variants",
                line,
                None,
                format!(
                    "product {} has no variant row; it was read with one empty variant",
                    product.handle
                ),
            ));
            product.variants.push(Variant {
                requires_shipping: true,
                taxable: true,
                ..Variant::default()
            });
        }
        out.records.push(Record::Product(product));
    }
    let at = |msg: String, code: &str| {
        Finding::new(Severity::Info, code, msg).at(table.location(table.header_line(), None))
    };
    if other_currencies {
        let cur = main.as_ref().map(|p| p.currency.as_str()).unwrap_or("");
        out.findings.push((
            0,
            at(
                format!(
                    "prices in other currencies and regions than {cur} were kept as product \
                     attributes ({}price.<variant>.<column>): a variant has one price in the \
                     canonical model (pick its currency with --currency)",
                    facts::ATTR
                ),
                "prices_kept_as_attributes",
            ),
        ));
    }
    if no_stock && !out.records.is_empty() {
        out.findings.push((
            0,
            at(
                "Medusa's product CSV has no stock levels (they live in its inventory module): \
                 variants were read without a quantity"
                    .to_string(),
                "no_stock_levels",
            ),
        ));
    }
    Ok(out)
}

fn product_of(table: &TableFile, c: &Cols, row: &Row, out: &mut Parsed) -> Product {
    let title = match row.opt(c.title) {
        Some(t) => t.to_string(),
        None => {
            let fallback = cell(row, c.handle).to_string();
            out.note(cell_finding(
                table,
                row,
                c.title,
                Severity::Warning,
                "missing_title",
                format!("product {fallback} has no title; its handle was used as the title"),
            ));
            fallback
        }
    };
    let handle = match row.opt(c.handle) {
        Some(h) => h.to_string(),
        None => platform::normalize_handle(Platform::Medusa, &title),
    };
    let status = match cell(row, c.status).to_ascii_lowercase().as_str() {
        "" | facts::STATUS_PUBLISHED => ProductStatus::Active,
        facts::STATUS_DRAFT | facts::STATUS_PROPOSED => ProductStatus::Draft,
        facts::STATUS_REJECTED => ProductStatus::Archived,
        other => {
            out.note(cell_finding(
                table,
                row,
                c.status,
                Severity::Warning,
                "unknown_status",
                format!(
                    "status \"{other}\" is not one of published, draft, proposed, rejected; the \
                     product was read as a draft"
                ),
            ));
            ProductStatus::Draft
        }
    };
    let mut images: Vec<Image> = Vec::new();
    let srcs = row
        .opt(c.thumbnail)
        .into_iter()
        .chain(c.images.iter().filter_map(|(_, i)| row.opt(Some(*i))));
    for src in srcs {
        if !images.iter().any(|im| im.src == src) {
            let position = images.len() as u32 + 1;
            images.push(Image {
                src: src.to_string(),
                alt: None,
                position,
            });
        }
    }
    let mut tags: Vec<String> = c
        .tags
        .iter()
        .filter_map(|(_, i)| row.opt(Some(*i)).map(str::to_string))
        .collect();
    for t in cell(row, c.tags_v1).split(',') {
        let t = t.trim();
        if !t.is_empty() && !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    let mut attributes = BTreeMap::new();
    for (key, col) in &c.kept {
        if let Some(v) = row.opt(*col) {
            // The defaults say nothing about a product.
            if (*key == "discountable" && flag(v) == Some(true))
                || (*key == "is_giftcard" && flag(v) == Some(false))
            {
                continue;
            }
            attributes.insert(format!("{}{key}", facts::ATTR), v.to_string());
        }
    }
    let ids = |cols: &[(u32, usize)]| {
        cols.iter()
            .filter_map(|(_, i)| row.opt(Some(*i)))
            .collect::<Vec<_>>()
            .join(",")
    };
    for (key, cols) in [
        ("category_ids", &c.categories),
        ("sales_channel_ids", &c.channels),
    ] {
        let v = ids(cols);
        if !v.is_empty() {
            attributes.insert(format!("{}{key}", facts::ATTR), v);
        }
    }
    if let Some(meta) = row.opt(c.metadata) {
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(meta) {
            Ok(map) => {
                for (k, v) in map {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    attributes.insert(k, text);
                }
            }
            Err(e) => out.note(cell_finding(
                table,
                row,
                c.metadata,
                Severity::Warning,
                "bad_metadata",
                format!(
                    "Product Metadata is not a JSON object ({e}); it was kept whole as the \
                     attribute {}metadata",
                    facts::ATTR
                ),
            )),
        }
        if !meta.trim_start().starts_with('{') {
            attributes.insert(format!("{}metadata", facts::ATTR), meta.to_string());
        }
    }
    Product {
        source: SourceRef::with_url(
            match row.opt(c.id) {
                Some(id) => id.to_string(),
                None => handle.clone(),
            },
            platform::url_path(Platform::Medusa, Entity::Products, &handle, &[]),
        ),
        handle,
        title,
        body_html: cell(row, c.description).to_string(),
        product_type: row.opt(c.type_v1).map(str::to_string),
        tags,
        status,
        images,
        attributes,
        ..Product::default()
    }
}

fn variant_of(
    table: &TableFile,
    c: &Cols,
    main: Option<&PriceCol>,
    row: &Row,
    b: &mut Building,
    out: &mut Parsed,
) -> Option<Variant> {
    // A product exported without variants has one row with empty variant columns.
    let has_variant = row.opt(c.variant_id).is_some()
        || row.opt(c.sku).is_some()
        || c.option_names
            .iter()
            .any(|(_, i)| row.opt(Some(*i)).is_some())
        || c.prices.iter().any(|p| row.opt(Some(p.col)).is_some());
    if !has_variant {
        return None;
    }
    let mut f = Vec::new();
    let price = main
        .and_then(|p| table.decimal(row, Some(p.col), &mut f).map(|d| (d, p)))
        .map(|(d, p)| Money::new(d, p.currency.clone()));
    let weight = table
        .decimal(row, c.variant_weight, &mut f)
        .or_else(|| table.decimal(row, c.weight, &mut f))
        .map(|value| Weight {
            value,
            unit: WEIGHT_UNIT,
        });
    let managed = flag(cell(row, c.manage)).unwrap_or(true);
    let inventory = if managed {
        table.integer(row, c.quantity, &mut f)
    } else {
        None
    };
    for x in f {
        out.note(x);
    }
    let p = &mut b.product;
    let mut values = vec![String::new(); p.options.len()];
    for (n, name_col) in &c.option_names {
        let Some(name) = row.opt(Some(*name_col)) else {
            continue;
        };
        let value_col = c.option_values.get(n).copied();
        let Some(value) = row.opt(value_col) else {
            out.note(cell_finding(
                table,
                row,
                value_col.or(Some(*name_col)),
                Severity::Warning,
                "missing_option_value",
                format!(
                    "option \"{name}\" has no value on this row; Medusa's importer refuses such \
                     a row (the variant was read without it)"
                ),
            ));
            continue;
        };
        let k = match p.options.iter().position(|o| o.name == name) {
            Some(k) => k,
            None => {
                p.options.push(ProductOption {
                    name: name.to_string(),
                    values: vec![],
                });
                for v in p.variants.iter_mut() {
                    v.option_values.push(String::new());
                }
                values.push(String::new());
                p.options.len() - 1
            }
        };
        if !p.options[k].values.iter().any(|v| v == value) {
            p.options[k].values.push(value.to_string());
        }
        values[k] = value.to_string();
    }
    if !p.options.is_empty() {
        p.kind = crate::model::ProductKind::Variable;
    }
    Some(Variant {
        source_id: row.opt(c.variant_id).map(str::to_string),
        sku: row.opt(c.sku).map(str::to_string),
        barcode: c
            .barcode
            .iter()
            .find_map(|b| row.opt(*b))
            .map(str::to_string),
        price,
        weight,
        inventory,
        allow_backorder: flag(cell(row, c.backorder)).unwrap_or(false),
        option_values: values,
        requires_shipping: true,
        taxable: true,
        ..Variant::default()
    })
}

/// The columns written before the numbered ones, in the template's order.
const PRODUCT_COLS: &[&str] = &[
    "Product Id",
    "Product Handle",
    "Product Title",
    "Product Subtitle",
    "Product Description",
    "Product Status",
    "Product Thumbnail",
    "Product Weight",
    "Product Length",
    "Product Width",
    "Product Height",
    "Product HS Code",
    "Product Origin Country",
    "Product MID Code",
    "Product Material",
    "Shipping Profile Id",
    "Product Collection Id",
    "Product Type Id",
    "Product Discountable",
    "Product External Id",
    "Product Metadata",
    "Variant Id",
    "Variant Title",
    "Variant SKU",
    "Variant Barcode",
    "Variant Allow Backorder",
    "Variant Manage Inventory",
    "Variant Weight",
];

/// Attributes written to their own column (the rest go to Product Metadata).
const ATTR_COLUMNS: &[(&str, &str)] = &[
    ("subtitle", "Product Subtitle"),
    ("external_id", "Product External Id"),
    ("collection_id", "Product Collection Id"),
    ("type_id", "Product Type Id"),
    ("material", "Product Material"),
    ("hs_code", "Product HS Code"),
    ("mid_code", "Product MID Code"),
    ("origin_country", "Product Origin Country"),
    ("length", "Product Length"),
    ("width", "Product Width"),
    ("height", "Product Height"),
];

/// Writes products in the layout of Medusa's import template.
pub struct ProductWriter {
    currency: String,
    options: usize,
    images: usize,
    channels: usize,
    categories: usize,
}

impl ProductWriter {
    pub fn new(currency: &str) -> Self {
        ProductWriter {
            currency: currency.to_ascii_uppercase(),
            options: facts::MIN_OPTIONS,
            images: facts::MIN_IMAGES,
            channels: 1,
            categories: 0,
        }
    }

    fn columns(&self) -> Vec<String> {
        let mut v: Vec<String> = PRODUCT_COLS.iter().map(|s| s.to_string()).collect();
        for n in 1..=self.channels {
            v.push(format!("Product Sales Channel {n}"));
        }
        for n in 1..=self.categories {
            v.push(format!("Product Category {n}"));
        }
        v.push(format!("Variant Price {}", self.currency));
        for n in 1..=self.options {
            v.push(format!("Variant Option {n} Name"));
            v.push(format!("Variant Option {n} Value"));
        }
        for n in 1..=self.images {
            v.push(format!("Product Image {n} Url"));
        }
        v
    }

    fn id_list<'a>(p: &'a Product, key: &str) -> Vec<&'a str> {
        p.attributes
            .get(&format!("{}{key}", facts::ATTR))
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        "products.csv".into()
    }

    fn header(&self) -> Vec<u8> {
        header_bytes(
            &self
                .columns()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            b',',
        )
    }

    fn header_from_records(&self) -> bool {
        true
    }

    fn prepare(&mut self, first: &[Record]) {
        for r in first {
            if let Record::Product(p) = r {
                self.options = self.options.max(p.options.len());
                self.images = self.images.max(p.images.len());
                self.channels = self
                    .channels
                    .max(Self::id_list(p, "sales_channel_ids").len());
                self.categories = self.categories.max(Self::id_list(p, "category_ids").len());
            }
        }
    }

    fn adopt_header(&mut self, header: &[u8]) {
        let text = String::from_utf8_lossy(header);
        let names: Vec<String> = text
            .trim_end()
            .split(',')
            .map(|s| s.trim_matches('"').to_string())
            .collect();
        let h = Header::new(names);
        self.options = numbered(&h, &["variant option "], "name").len();
        self.images = numbered(&h, &["product image "], "url").len();
        self.channels = numbered(&h, &["product sales channel "], "").len();
        self.categories = numbered(&h, &["product category "], "").len();
        if let Some(p) = h
            .names()
            .iter()
            .enumerate()
            .find_map(|(i, n)| price_col(i, n))
        {
            self.currency = p.currency;
        }
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err("not a product".into());
        };
        if p.handle.trim().is_empty() {
            return Err(format!(
                "product \"{}\" has no handle; Medusa groups variants by it",
                p.title
            ));
        }
        if p.options.len() > self.options {
            return Err(format!(
                "{} options, but this file has columns for {} (set by the first records written); \
                 convert this product on its own",
                p.options.len(),
                self.options
            ));
        }
        if p.images.len() > self.images {
            return Err(format!(
                "{} images, but this file has columns for {} (set by the first records written); \
                 convert this product on its own",
                p.images.len(),
                self.images
            ));
        }
        let columns = self.columns();
        let header: Vec<&str> = columns.iter().map(String::as_str).collect();
        let attr = |k: &str| {
            p.attributes
                .get(&format!("{}{k}", facts::ATTR))
                .map(String::as_str)
        };
        // Everything else the source had rides in the product's metadata.
        let columned: Vec<String> = ATTR_COLUMNS
            .iter()
            .map(|(k, _)| format!("{}{k}", facts::ATTR))
            .chain(
                [
                    "shipping_profile_id",
                    "discountable",
                    "is_giftcard",
                    "category_ids",
                    "sales_channel_ids",
                ]
                .iter()
                .map(|k| format!("{}{k}", facts::ATTR)),
            )
            .collect();
        let metadata: serde_json::Map<String, serde_json::Value> = p
            .attributes
            .iter()
            .filter(|(k, _)| !columned.contains(k))
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let channels = Self::id_list(p, "sales_channel_ids");
        let categories = Self::id_list(p, "category_ids");
        let variants: Vec<Variant> = if p.variants.is_empty() {
            vec![Variant::default()]
        } else {
            p.variants.clone()
        };
        for v in &variants {
            if let Some(m) = &v.price {
                if !m.currency.eq_ignore_ascii_case(&self.currency) {
                    return Err(format!(
                        "price {m} is not in {}, the currency of this file's price column; \
                         convert with --currency {}",
                        self.currency, m.currency
                    ));
                }
            }
            let mut row = loaded::OutRow::new(&header);
            row.set("Product Handle", p.handle.clone())
                .set("Product Title", p.title.clone())
                .set("Product Description", p.body_html.clone())
                .set(
                    "Product Status",
                    match p.status {
                        ProductStatus::Active => facts::STATUS_PUBLISHED,
                        _ => facts::STATUS_DRAFT,
                    },
                )
                .set(
                    "Product Thumbnail",
                    p.images.first().map(|i| i.src.clone()).unwrap_or_default(),
                )
                .set(
                    "Product Discountable",
                    if attr("discountable").and_then(flag) == Some(false) {
                        "FALSE"
                    } else {
                        "TRUE"
                    },
                );
            for (k, column) in ATTR_COLUMNS {
                if let Some(value) = attr(k) {
                    row.set(column, value);
                }
            }
            if let Some(value) = attr("shipping_profile_id") {
                row.set("Shipping Profile Id", value);
            }
            if !metadata.is_empty() {
                row.set(
                    "Product Metadata",
                    serde_json::Value::Object(metadata.clone()).to_string(),
                );
            }
            for (n, id) in channels.iter().enumerate() {
                row.set(&format!("Product Sales Channel {}", n + 1), *id);
            }
            for (n, id) in categories.iter().enumerate() {
                row.set(&format!("Product Category {}", n + 1), *id);
            }
            let title = if v.option_values.iter().any(|x| !x.is_empty()) {
                v.option_values.join(" / ")
            } else {
                "Default".to_string()
            };
            row.set("Variant Title", title)
                .set("Variant SKU", v.sku.clone().unwrap_or_default())
                .set("Variant Barcode", v.barcode.clone().unwrap_or_default())
                .set(
                    "Variant Allow Backorder",
                    if v.allow_backorder { "TRUE" } else { "FALSE" },
                )
                .set(
                    "Variant Manage Inventory",
                    if v.inventory.is_some() {
                        "TRUE"
                    } else {
                        "FALSE"
                    },
                )
                .set(
                    &format!("Variant Price {}", self.currency),
                    v.price
                        .as_ref()
                        .map(|m| fmt_amount(m.amount))
                        .unwrap_or_default(),
                );
            if let Some(w) = &v.weight {
                row.set("Variant Weight", fmt_decimal(w.to_unit(WEIGHT_UNIT).value));
            }
            for (n, (o, value)) in p.options.iter().zip(&v.option_values).enumerate() {
                row.set(&format!("Variant Option {} Name", n + 1), o.name.clone())
                    .set(&format!("Variant Option {} Value", n + 1), value.clone());
            }
            for (n, im) in p.images.iter().enumerate() {
                row.set(&format!("Product Image {} Url", n + 1), im.src.clone());
            }
            row.write(out, b',');
        }
        Ok(p.handle.clone())
    }
}
