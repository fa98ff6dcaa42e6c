//! Magento 2 catalog product import/export CSV (System > Data Transfer > Export, entity
//! "Products"; the same layout imports).
//!
//! - One row per product per store view. Rows with an empty `store_view_code` hold the default
//!   values; rows with a code hold that store view's translations and are read into the
//!   product's `attributes` as `translation.<store>.<field>` (a child's as
//!   `translation.<store>.<child sku>.<field>`), never as products of their own.
//! - A configurable product names its children in `configurable_variations`
//!   (`sku=A,size=XS,color=Black|sku=B,...`) and its option labels in
//!   `configurable_variation_labels` (`size=Size,color=Colour`). The children are ordinary
//!   simple rows (usually before the configurable) and become the product's variants.
//! - `categories` is a comma list of paths from the root category (`Default Category/Men/Tops`);
//!   the root is not part of the storefront tree and is dropped (kept in
//!   `magento.root_category` when it is not "Default Category").
//! - `additional_attributes` is `code=value,code=value` (a multi-select value joins its options
//!   with `|`). `barcode`/`ean`/`gtin`/`upc` become the barcode, `cost` the cost,
//!   `manufacturer`/`brand` the vendor; the rest is kept as `magento.attr.<code>`.
//! - `price` is the regular price and `special_price` the sale price: canonical price is what
//!   the customer pays, compare-at the regular price.
//! - Weights are in the store's weight unit (a setting, not in the file): `options.weight_unit`
//!   of the spec, "lbs" (Magento's default) when not given.

use crate::connector::Result;
use crate::files::dates::DateReader;
use crate::files::loaded::{
    all_rows, cell, cell_finding, col, date_cell, fmt_amount, fmt_decimal, fmt_money, header_bytes,
    Ctx, OutRow, Parsed,
};
use crate::files::table::{Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::Severity;
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductKind, ProductOption, ProductStatus, Record,
    Seo, SourceRef, Variant, Weight, WeightUnit,
};
use crate::platform;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const DEFAULT_ROOT: &str = "Default Category";
pub const NOT_VISIBLE: &str = "Not Visible Individually";
pub const VISIBLE: &str = "Catalog, Search";

/// Fields a store-view row can translate.
pub const TRANSLATED: &[&str] = &[
    "name",
    "description",
    "short_description",
    "url_key",
    "meta_title",
    "meta_keywords",
    "meta_description",
];

/// The columns written, in Magento's export order (a subset: the rest take their defaults).
pub const HEADER: &[&str] = &[
    "sku",
    "store_view_code",
    "attribute_set_code",
    "product_type",
    "categories",
    "product_websites",
    "name",
    "description",
    "short_description",
    "weight",
    "product_online",
    "tax_class_name",
    "visibility",
    "price",
    "special_price",
    "url_key",
    "meta_title",
    "meta_keywords",
    "meta_description",
    "base_image",
    "base_image_label",
    "small_image",
    "thumbnail_image",
    "created_at",
    "additional_attributes",
    "qty",
    "allow_backorders",
    "is_in_stock",
    "manage_stock",
    "additional_images",
    "additional_image_labels",
    "configurable_variations",
    "configurable_variation_labels",
    "associated_skus",
];

struct Cols {
    sku: Option<usize>,
    store: Option<usize>,
    set: Option<usize>,
    ptype: Option<usize>,
    categories: Option<usize>,
    websites: Option<usize>,
    name: Option<usize>,
    description: Option<usize>,
    short: Option<usize>,
    weight: Option<usize>,
    online: Option<usize>,
    tax: Option<usize>,
    price: Option<usize>,
    special: Option<usize>,
    url_key: Option<usize>,
    meta_title: Option<usize>,
    meta_keywords: Option<usize>,
    meta_description: Option<usize>,
    base_image: Option<usize>,
    base_label: Option<usize>,
    created: Option<usize>,
    additional: Option<usize>,
    qty: Option<usize>,
    backorders: Option<usize>,
    manage_stock: Option<usize>,
    images: Option<usize>,
    image_labels: Option<usize>,
    variations: Option<usize>,
    labels: Option<usize>,
    associated: Option<usize>,
    /// Reads `created_at` (see [`platform::magento::date_clock`]).
    dates: DateReader,
}

impl Cols {
    fn new(t: &TableFile, ctx: &Ctx) -> Cols {
        let h = t.header();
        let c = |n: &str| col(h, &[n]);
        Cols {
            sku: c("sku"),
            store: c("store_view_code"),
            set: c("attribute_set_code"),
            ptype: c("product_type"),
            categories: c("categories"),
            websites: c("product_websites"),
            name: c("name"),
            description: c("description"),
            short: c("short_description"),
            weight: c("weight"),
            online: c("product_online"),
            tax: c("tax_class_name"),
            price: c("price"),
            special: c("special_price"),
            url_key: c("url_key"),
            meta_title: c("meta_title"),
            meta_keywords: c("meta_keywords"),
            meta_description: c("meta_description"),
            base_image: c("base_image"),
            base_label: c("base_image_label"),
            created: c("created_at"),
            additional: c("additional_attributes"),
            qty: c("qty"),
            backorders: c("allow_backorders"),
            manage_stock: c("manage_stock"),
            images: c("additional_images"),
            image_labels: c("additional_image_labels"),
            variations: c("configurable_variations"),
            labels: c("configurable_variation_labels"),
            associated: c("associated_skus"),
            dates: DateReader::new(ctx.zone, platform::magento::DAY_ORDER),
        }
    }

    fn translated(&self, field: &str) -> Option<usize> {
        match field {
            "name" => self.name,
            "description" => self.description,
            "short_description" => self.short,
            "url_key" => self.url_key,
            "meta_title" => self.meta_title,
            "meta_keywords" => self.meta_keywords,
            "meta_description" => self.meta_description,
            _ => None,
        }
    }
}

/// Splits `code=value,code=value`; a piece without `=` belongs to the previous value (a comma
/// inside a value).
pub fn split_pairs(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for piece in text.split(',') {
        match piece.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !k.contains(' ') => {
                out.push((k.trim().to_string(), v.to_string()))
            }
            _ => match out.last_mut() {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(piece);
                }
                None if piece.trim().is_empty() => {}
                None => out.push((String::new(), piece.to_string())),
            },
        }
    }
    out
}

/// The attribute code Magento would give an option name: lower case ASCII, `_` between words.
pub fn option_code(name: &str) -> String {
    let mut out = String::new();
    for ch in deunicode::deunicode(name).chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "opt_");
    }
    out
}

fn weight_unit(ctx: &Ctx) -> WeightUnit {
    ctx.weight_unit.unwrap_or(WeightUnit::Lb)
}

const BARCODE_KEYS: &[&str] = &["barcode", "ean", "gtin", "upc"];

/// Reads a product export.
pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    table.require(&["sku", "product_type"], "Magento product")?;
    let c = Cols::new(table, ctx);
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;

    // Default rows by SKU; store-view rows wait until every product exists.
    let mut by_sku: HashMap<String, usize> = HashMap::new();
    let mut children: HashSet<String> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if !cell(row, c.store).is_empty() {
            continue;
        }
        let sku = cell(row, c.sku);
        if sku.is_empty() {
            out.note(cell_finding(
                table,
                row,
                c.sku,
                Severity::Warning,
                "missing_sku",
                "row has no sku; Magento identifies products by SKU, so this row was skipped",
            ));
            continue;
        }
        if by_sku.contains_key(sku) {
            out.note(cell_finding(
                table,
                row,
                c.sku,
                Severity::Warning,
                "duplicate_sku",
                format!("SKU \"{sku}\" appears on an earlier row too; this row was skipped"),
            ));
            continue;
        }
        by_sku.insert(sku.to_string(), i);
        if cell(row, c.ptype).eq_ignore_ascii_case("configurable") {
            for entry in cell(row, c.variations).split('|') {
                if let Some((_, s)) = split_pairs(entry)
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("sku"))
                {
                    children.insert(s.trim().to_string());
                }
            }
        }
    }

    let mut owner: HashMap<String, (usize, bool)> = HashMap::new();
    let mut handles: HashMap<String, u64> = HashMap::new();
    // Image paths that are not URLs, and where the first one is (record, line, column).
    let mut media_paths: HashSet<String> = HashSet::new();
    let mut first_media_path: Option<(usize, u64, Option<usize>, String)> = None;
    for (i, row) in rows.iter().enumerate() {
        let sku = cell(row, c.sku);
        if !cell(row, c.store).is_empty() || sku.is_empty() || by_sku.get(sku) != Some(&i) {
            continue;
        }
        let ptype = cell(row, c.ptype).to_ascii_lowercase();
        if children.contains(sku) && ptype != "configurable" {
            continue;
        }
        let product = match ptype.as_str() {
            "simple" | "virtual" | "downloadable" | "grouped" | "bundle" => {
                simple(table, &c, ctx, row, &ptype, &mut out)
            }
            "configurable" => configurable(table, &c, ctx, row, &rows, &by_sku, &mut out),
            other => {
                out.note(cell_finding(
                    table,
                    row,
                    c.ptype,
                    Severity::Warning,
                    "unknown_type",
                    format!(
                        "product_type \"{other}\" is not one of simple, configurable, virtual, \
                         downloadable, grouped, bundle; the row was skipped"
                    ),
                ));
                continue;
            }
        };
        if let Some(prev) = handles.get(&product.handle) {
            out.note(cell_finding(
                table,
                row,
                c.url_key,
                Severity::Warning,
                "duplicate_handle",
                format!(
                    "url_key \"{}\" is also used on line {prev}; URLs must be unique, one of them \
                     must change",
                    product.handle
                ),
            ));
        } else {
            handles.insert(product.handle.clone(), row.line);
        }
        let idx = out.records.len();
        let mut product = product;
        if let Some(media) = &ctx.media_url {
            let srcs = product
                .images
                .iter_mut()
                .map(|i| &mut i.src)
                .chain(product.variants.iter_mut().filter_map(|v| v.image.as_mut()));
            for src in srcs {
                if !is_url(src) {
                    *src = format!("{media}/{}", src.trim().trim_start_matches('/'));
                }
            }
        }
        let srcs = product
            .images
            .iter()
            .map(|i| i.src.as_str())
            .chain(product.variants.iter().filter_map(|v| v.image.as_deref()));
        for src in srcs {
            if is_url(src) {
                continue;
            }
            if first_media_path.is_none() {
                let column = if row.opt(c.base_image) == Some(src) {
                    c.base_image
                } else {
                    c.images
                };
                first_media_path = Some((idx, row.line, column, src.to_string()));
            }
            media_paths.insert(src.to_string());
        }
        owner.insert(sku.to_string(), (idx, false));
        for v in &product.variants {
            if let Some(s) = &v.sku {
                owner.entry(s.clone()).or_insert((idx, true));
            }
        }
        out.records.push(Record::Product(product));
    }

    for row in &rows {
        let store = cell(row, c.store);
        if store.is_empty() {
            continue;
        }
        let sku = cell(row, c.sku);
        let Some(&(idx, child)) = owner.get(sku) else {
            out.note(cell_finding(
                table,
                row,
                c.sku,
                Severity::Warning,
                "translation_without_product",
                format!(
                    "store view \"{store}\" row for SKU \"{sku}\" has no default row (empty \
                     store_view_code) in this file; its translations were skipped"
                ),
            ));
            continue;
        };
        let Some(Record::Product(p)) = out.records.get_mut(idx) else {
            continue;
        };
        for field in TRANSLATED {
            let value = row.get(c.translated(field));
            if value.trim().is_empty() {
                continue;
            }
            let key = if child {
                format!("translation.{store}.{sku}.{field}")
            } else {
                format!("translation.{store}.{field}")
            };
            p.attributes.insert(key, value.to_string());
        }
    }
    // Magento exports image paths inside pub/media/catalog/product, never URLs. Said once per
    // file: every image of a real export is like that.
    if let Some((idx, line, column, example)) = first_media_path {
        let n = media_paths.len();
        out.findings.push((
            idx,
            table.finding(
                Severity::Warning,
                "image_path_not_url",
                line,
                column,
                format!(
                    "image paths in this file are not URLs ({n} distinct, e.g. \"{example}\"): Magento \
                     exports paths inside its media folder and a target fetches images by URL, so \
                     they will not import. Name the store's media URL \
                     (https://<store>/media/catalog/product) as --media-url, or as \
                     media_url in [source.options], and each path is resolved against it"
                ),
            ),
        ));
    }
    Ok(out)
}

/// Whether an image reference is something a target can fetch.
fn is_url(src: &str) -> bool {
    let s = src.trim_start();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}

fn money(
    table: &TableFile,
    row: &Row,
    col: Option<usize>,
    ctx: &Ctx,
    out: &mut Parsed,
) -> Option<Money> {
    let mut f = Vec::new();
    let d = table.decimal(row, col, &mut f);
    for x in f {
        out.note(x);
    }
    d.map(|d| Money::new(d, ctx.currency.clone()))
}

/// Variant fields of one row, plus the row's additional attributes not used by the variant.
fn variant_of(
    table: &TableFile,
    c: &Cols,
    ctx: &Ctx,
    row: &Row,
    out: &mut Parsed,
) -> (Variant, Vec<(String, String)>) {
    let regular = money(table, row, c.price, ctx, out);
    let special = money(table, row, c.special, ctx, out);
    let (price, compare_at_price) = match special {
        Some(s) => (Some(s), regular),
        None => (regular, None),
    };
    let mut f = Vec::new();
    let weight = table.decimal(row, c.weight, &mut f).map(|value| Weight {
        value,
        unit: weight_unit(ctx),
    });
    let manage = cell(row, c.manage_stock) != "0";
    let inventory = if manage {
        table.integer(row, c.qty, &mut f)
    } else {
        None
    };
    for x in f {
        out.note(x);
    }
    let mut barcode = None;
    let mut cost = None;
    let mut rest = Vec::new();
    for (k, v) in split_pairs(row.get(c.additional)) {
        let key = k.to_ascii_lowercase();
        if BARCODE_KEYS.contains(&key.as_str()) && barcode.is_none() && !v.trim().is_empty() {
            let b = v.trim().to_string();
            if let Some(msg) = crate::files::table::excel_barcode_damage(&b) {
                out.note(cell_finding(
                    table,
                    row,
                    c.additional,
                    Severity::Warning,
                    "barcode_damaged",
                    msg,
                ));
            }
            barcode = Some(b);
        } else if key == "cost" && cost.is_none() {
            match crate::model::parse_decimal(&v) {
                Some(d) => cost = Some(Money::new(d, ctx.currency.clone())),
                None => out.note(cell_finding(
                    table,
                    row,
                    c.additional,
                    Severity::Warning,
                    "bad_number",
                    format!("cost \"{v}\" is not a number; the cost was left empty"),
                )),
            }
        } else {
            rest.push((k, v));
        }
    }
    let ptype = cell(row, c.ptype).to_ascii_lowercase();
    let v = Variant {
        source_id: None,
        sku: Some(cell(row, c.sku).to_string()),
        barcode,
        price,
        compare_at_price,
        cost,
        weight,
        inventory,
        allow_backorder: !matches!(cell(row, c.backorders), "" | "0"),
        option_values: vec![],
        image: row.opt(c.base_image).map(str::to_string),
        requires_shipping: !(ptype == "virtual" || ptype == "downloadable"),
        taxable: !cell(row, c.tax).eq_ignore_ascii_case("none"),
        price_tiers: Default::default(),
    };
    (v, rest)
}

/// Product-level fields of a default row.
fn product_of(table: &TableFile, c: &Cols, row: &Row, out: &mut Parsed) -> Product {
    let sku = cell(row, c.sku).to_string();
    let title = match row.opt(c.name) {
        Some(t) => t.to_string(),
        None => {
            out.note(cell_finding(
                table,
                row,
                c.name,
                Severity::Warning,
                "missing_title",
                format!("product {sku} has no name; its SKU was used as the title"),
            ));
            sku.clone()
        }
    };
    let handle = match row.opt(c.url_key) {
        Some(k) => k.to_string(),
        None => platform::normalize_handle(Platform::Magento, &title),
    };
    let mut attributes = BTreeMap::new();
    let mut categories = Vec::new();
    for path in cell(row, c.categories).split(',') {
        let mut parts: Vec<String> = path
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if parts.len() < 2 {
            continue;
        }
        let root = parts.remove(0);
        if root != DEFAULT_ROOT {
            attributes.insert("magento.root_category".to_string(), root);
        }
        if !categories.contains(&parts) {
            categories.push(parts);
        }
    }
    let mut images = Vec::new();
    if let Some(base) = row.opt(c.base_image) {
        images.push(Image {
            src: base.to_string(),
            alt: row.opt(c.base_label).map(str::to_string),
            position: 1,
        });
    }
    let labels: Vec<&str> = row.get(c.image_labels).split(',').collect();
    for (i, src) in row.get(c.images).split(',').enumerate() {
        let src = src.trim();
        if src.is_empty() || images.iter().any(|im| im.src == src) {
            continue;
        }
        let alt = labels
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let position = images.len() as u32 + 1;
        images.push(Image {
            src: src.to_string(),
            alt,
            position,
        });
    }
    let mut put = |k: &str, col: Option<usize>| {
        if let Some(v) = row.opt(col) {
            attributes.insert(k.to_string(), v.to_string());
        }
    };
    put("magento.short_description", c.short);
    put("magento.meta_keywords", c.meta_keywords);
    if cell(row, c.set) != "Default" {
        put("magento.attribute_set_code", c.set);
    }
    if cell(row, c.websites) != "base" {
        put("magento.product_websites", c.websites);
    }
    let status = match cell(row, c.online) {
        "0" | "2" => ProductStatus::Draft,
        _ => ProductStatus::Active,
    };
    Product {
        source: SourceRef::with_url(
            sku,
            platform::url_path(Platform::Magento, Entity::Products, &handle, &[]),
        ),
        handle,
        title,
        body_html: row.get(c.description).to_string(),
        status,
        categories,
        images,
        seo: Seo {
            title: row.opt(c.meta_title).map(str::to_string),
            description: row.opt(c.meta_description).map(str::to_string),
        },
        attributes,
        created_at: date_cell(
            table,
            row,
            c.created,
            &c.dates,
            platform::magento::date_clock(cell(row, c.created)),
            out,
        ),
        ..Product::default()
    }
}

/// Additional attributes that are product-level facts.
fn absorb(p: &mut Product, rest: Vec<(String, String)>, prefix: &str) {
    for (k, v) in rest {
        let key = k.to_ascii_lowercase();
        if (key == "manufacturer" || key == "brand") && p.vendor.is_none() && prefix.is_empty() {
            p.vendor = Some(v.trim().to_string());
        } else {
            p.attributes.insert(format!("magento.attr.{prefix}{k}"), v);
        }
    }
}

fn simple(
    table: &TableFile,
    c: &Cols,
    ctx: &Ctx,
    row: &Row,
    ptype: &str,
    out: &mut Parsed,
) -> Product {
    let mut p = product_of(table, c, row, out);
    let (v, rest) = variant_of(table, c, ctx, row, out);
    absorb(&mut p, rest, "");
    match ptype {
        "grouped" | "bundle" => {
            p.kind = ProductKind::Grouped;
            if let Some(a) = row.opt(c.associated) {
                p.attributes
                    .insert("magento.associated_skus".into(), a.to_string());
            }
            if ptype == "bundle" {
                out.note(cell_finding(
                    table,
                    row,
                    c.ptype,
                    Severity::Warning,
                    "bundle_read_as_grouped",
                    format!(
                        "bundle product {} was read as a grouped product: its bundle options \
                         (bundle_values) are not carried",
                        p.source.id
                    ),
                ));
            }
        }
        "downloadable" => {
            p.attributes
                .insert("magento.product_type".into(), "downloadable".into());
        }
        _ => {}
    }
    p.variants.push(v);
    p
}

fn configurable(
    table: &TableFile,
    c: &Cols,
    ctx: &Ctx,
    row: &Row,
    rows: &[Row],
    by_sku: &HashMap<String, usize>,
    out: &mut Parsed,
) -> Product {
    let mut p = product_of(table, c, row, out);
    p.kind = ProductKind::Variable;
    let (_, rest) = variant_of(table, c, ctx, row, out);
    absorb(&mut p, rest, "");
    p.attributes
        .insert("magento.sku".into(), p.source.id.clone());

    let labels = split_pairs(row.get(c.labels));
    let entries: Vec<Vec<(String, String)>> = row
        .get(c.variations)
        .split('|')
        .map(split_pairs)
        .filter(|e| !e.is_empty())
        .collect();
    let mut codes: Vec<String> = labels.iter().map(|(k, _)| k.clone()).collect();
    for e in &entries {
        for (k, _) in e {
            if !k.eq_ignore_ascii_case("sku") && !codes.contains(k) {
                codes.push(k.clone());
            }
        }
    }
    codes.retain(|code| entries.iter().any(|e| e.iter().any(|(k, _)| k == code)));
    let names: Vec<String> = codes
        .iter()
        .map(|code| {
            labels
                .iter()
                .find(|(k, _)| k == code)
                // Magento's importer splits each pair on every `=` and takes the second piece.
                .map(|(_, l)| l.split('=').next().unwrap_or_default().trim().to_string())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| code.clone())
        })
        .collect();
    if codes
        .iter()
        .zip(&names)
        .any(|(code, name)| option_code(name) != *code)
    {
        p.attributes
            .insert("magento.option_codes".into(), codes.join(","));
    }
    let mut options: Vec<ProductOption> = names
        .iter()
        .map(|n| ProductOption {
            name: n.clone(),
            values: vec![],
        })
        .collect();
    for e in entries {
        let sku = e
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("sku"))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let values: Vec<String> = codes
            .iter()
            .map(|code| {
                e.iter()
                    .find(|(k, _)| k == code)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect();
        for (o, v) in options.iter_mut().zip(&values) {
            if !v.is_empty() && !o.values.contains(v) {
                o.values.push(v.clone());
            }
        }
        let mut variant = match by_sku.get(&sku).and_then(|&i| rows.get(i)) {
            Some(child) => {
                let (v, rest) = variant_of(table, c, ctx, child, out);
                let rest: Vec<(String, String)> = rest
                    .into_iter()
                    .filter(|(k, _)| !codes.contains(k))
                    .collect();
                absorb(&mut p, rest, &format!("{sku}."));
                v
            }
            None => {
                out.note(cell_finding(
                    table,
                    row,
                    c.variations,
                    Severity::Warning,
                    "variation_row_missing",
                    format!(
                        "configurable {} names child SKU \"{sku}\" but the file has no row for it; \
                         the variant was read without price, stock or weight",
                        p.source.id
                    ),
                ));
                Variant {
                    sku: (!sku.is_empty()).then_some(sku),
                    requires_shipping: true,
                    taxable: true,
                    ..Variant::default()
                }
            }
        };
        variant.option_values = values;
        p.variants.push(variant);
    }
    p.options = options;
    p
}

/// Writes the catalog product import CSV.
pub struct ProductWriter {
    pub weight_unit: WeightUnit,
}

impl ProductWriter {
    pub fn new(weight_unit: Option<WeightUnit>) -> Self {
        ProductWriter {
            weight_unit: weight_unit.unwrap_or(WeightUnit::Lb),
        }
    }
}

fn no_separators(what: &str, value: &str, seps: &[char]) -> std::result::Result<(), String> {
    if let Some(s) = seps.iter().find(|s| value.contains(**s)) {
        return Err(format!(
            "{what} \"{value}\" contains '{s}', which Magento's import uses as a separator there; \
             change it in the transform"
        ));
    }
    Ok(())
}

/// The child SKU a variant without one gets: the parent's SKU and its option values.
pub fn generated_sku(parent: &str, v: &Variant, i: usize) -> String {
    if v.option_values.is_empty() {
        format!("{parent}-{}", i + 1)
    } else {
        format!(
            "{parent}-{}",
            platform::normalize_handle(Platform::Magento, &v.option_values.join("-"))
        )
    }
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        platform::magento::CATALOG_PRODUCT_FILE.into()
    }

    fn header(&self) -> Vec<u8> {
        header_bytes(HEADER, b',')
    }

    fn side_files(&self) -> Vec<(String, Vec<u8>)> {
        vec![(
            platform::magento::ADVANCED_PRICING_FILE.into(),
            super::pricing::header(),
        )]
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        self.encode_with_sides(record, out, &mut [Vec::new()])
    }

    /// catalog_product.csv rows, and the variants' tier prices in advanced_pricing.csv.
    fn encode_with_sides(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
        sides: &mut [Vec<u8>],
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err("not a product".into());
        };
        let Some(pricing) = sides.first_mut() else {
            return Err("advanced_pricing.csv is not open".into());
        };
        let pricing_only = p.attributes.contains_key(platform::magento::PRICING_ONLY);
        let parent_sku = if pricing_only {
            p.source.id.clone()
        } else {
            self.encode_catalog(p, out)?
        };
        let variable = !p.options.is_empty() || p.variants.len() > 1;
        for (i, v) in p.variants.iter().enumerate() {
            let sku = match (&v.sku, variable) {
                (Some(s), true) => s.clone(),
                (None, true) => generated_sku(&parent_sku, v, i),
                (Some(s), false) if pricing_only => s.clone(),
                _ => parent_sku.clone(),
            };
            super::pricing::write_rows(&sku, v, pricing)?;
        }
        Ok(parent_sku)
    }
}

impl ProductWriter {
    /// The catalog_product.csv rows of a product; returns its SKU.
    fn encode_catalog(
        &mut self,
        p: &Product,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let a = |k: &str| p.attributes.get(k).map(String::as_str);
        let parent_sku = a("magento.sku")
            .map(str::to_string)
            .or_else(|| {
                (p.variants.len() == 1 && p.options.is_empty())
                    .then(|| p.variants[0].sku.clone())
                    .flatten()
            })
            .unwrap_or_else(|| p.handle.clone());
        if parent_sku.is_empty() {
            return Err(format!(
                "product \"{}\" has neither SKU nor handle",
                p.title
            ));
        }
        let root = a("magento.root_category").unwrap_or(DEFAULT_ROOT);
        let mut cats = Vec::new();
        for path in &p.categories {
            for name in path {
                no_separators("category name", name, &['/', ','])?;
            }
            cats.push(format!("{root}/{}", path.join("/")));
        }
        for im in &p.images {
            no_separators("image", &im.src, &[','])?;
            if let Some(alt) = &im.alt {
                no_separators("image label", alt, &[','])?;
            }
        }
        let variable = !p.options.is_empty() || p.variants.len() > 1;
        let codes: Vec<String> = match a("magento.option_codes") {
            Some(list) if list.split(',').count() == p.options.len() => {
                list.split(',').map(str::to_string).collect()
            }
            _ => p.options.iter().map(|o| option_code(&o.name)).collect(),
        };
        for o in &p.options {
            no_separators("option name", &o.name, &[',', '=', '|'])?;
        }

        let product_row = |row: &mut OutRow, ptype: &str| {
            row.set("sku", parent_sku.clone())
                .set(
                    "attribute_set_code",
                    a("magento.attribute_set_code").unwrap_or("Default"),
                )
                .set("product_type", ptype)
                .set("categories", cats.join(","))
                .set(
                    "product_websites",
                    a("magento.product_websites").unwrap_or("base"),
                )
                .set("name", p.title.clone())
                .set("description", p.body_html.clone())
                .set(
                    "short_description",
                    a("magento.short_description").unwrap_or(""),
                )
                .set(
                    "product_online",
                    if p.status == ProductStatus::Active {
                        "1"
                    } else {
                        "2"
                    },
                )
                .set("visibility", VISIBLE)
                .set("url_key", p.handle.clone())
                .set("meta_title", p.seo.title.clone().unwrap_or_default())
                .set("meta_keywords", a("magento.meta_keywords").unwrap_or(""))
                .set(
                    "meta_description",
                    p.seo.description.clone().unwrap_or_default(),
                )
                .set(
                    "created_at",
                    p.created_at
                        .map(|t| t.format_utc(platform::magento::DATE_FORMAT))
                        .unwrap_or_default(),
                );
            if let Some(first) = p.images.first() {
                row.set("base_image", first.src.clone())
                    .set("base_image_label", first.alt.clone().unwrap_or_default())
                    .set("small_image", first.src.clone())
                    .set("thumbnail_image", first.src.clone());
                let rest = &p.images[1..];
                row.set(
                    "additional_images",
                    rest.iter()
                        .map(|i| i.src.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                );
                if rest.iter().any(|i| i.alt.is_some()) {
                    row.set(
                        "additional_image_labels",
                        rest.iter()
                            .map(|i| i.alt.as_deref().unwrap_or(""))
                            .collect::<Vec<_>>()
                            .join(","),
                    );
                }
            }
        };
        let variant_cells = |row: &mut OutRow,
                             v: &Variant,
                             extra: Vec<String>|
         -> std::result::Result<(), String> {
            let (price, special) = match &v.compare_at_price {
                Some(c) => (Some(c), v.price.as_ref()),
                None => (v.price.as_ref(), None),
            };
            row.set("price", fmt_money(price))
                .set("special_price", fmt_money(special))
                .set(
                    "tax_class_name",
                    if v.taxable { "Taxable Goods" } else { "None" },
                )
                .set(
                    "allow_backorders",
                    if v.allow_backorder { "1" } else { "0" },
                )
                .set(
                    "manage_stock",
                    if v.inventory.is_some() { "1" } else { "0" },
                )
                .set(
                    "qty",
                    v.inventory.map(|q| q.to_string()).unwrap_or_default(),
                )
                .set(
                    "is_in_stock",
                    if v.inventory.unwrap_or(1) > 0 || v.allow_backorder {
                        "1"
                    } else {
                        "0"
                    },
                );
            if let Some(w) = &v.weight {
                row.set("weight", fmt_decimal(w.to_unit(self.weight_unit).value));
            }
            let mut pairs = extra;
            if let Some(b) = &v.barcode {
                no_separators("barcode", b, &[','])?;
                pairs.push(format!("barcode={b}"));
            }
            if let Some(c) = &v.cost {
                pairs.push(format!("cost={}", fmt_amount(c.amount)));
            }
            row.set("additional_attributes", pairs.join(","));
            Ok(())
        };
        let product_pairs = |prefix: Option<&str>| -> Vec<String> {
            let mut pairs = Vec::new();
            if prefix.is_none() {
                if let Some(vendor) = &p.vendor {
                    pairs.push(format!("manufacturer={vendor}"));
                }
            }
            for (k, v) in &p.attributes {
                let Some(code) = k.strip_prefix("magento.attr.") else {
                    continue;
                };
                match (prefix, code.rsplit_once('.')) {
                    (None, None) => pairs.push(format!("{code}={v}")),
                    (Some(sku), Some((s, c))) if s == sku => pairs.push(format!("{c}={v}")),
                    _ => {}
                }
            }
            pairs
        };

        let mut variations = Vec::new();
        if variable {
            let mut seen = HashSet::new();
            for (i, v) in p.variants.iter().enumerate() {
                let sku = v
                    .sku
                    .clone()
                    .unwrap_or_else(|| generated_sku(&parent_sku, v, i));
                no_separators("SKU", &sku, &[',', '|', '='])?;
                if !seen.insert(sku.clone()) || sku == parent_sku {
                    return Err(format!(
                        "SKU \"{sku}\" is used twice in product \"{}\"",
                        p.title
                    ));
                }
                let mut pairs = Vec::new();
                let mut entry = vec![format!("sku={sku}")];
                for (code, value) in codes.iter().zip(&v.option_values) {
                    no_separators("option value", value, &[',', '|', '='])?;
                    pairs.push(format!("{code}={value}"));
                    entry.push(format!("{code}={value}"));
                }
                pairs.extend(product_pairs(Some(&sku)));
                let mut row = OutRow::new(HEADER);
                row.set("sku", sku.clone())
                    .set(
                        "attribute_set_code",
                        a("magento.attribute_set_code").unwrap_or("Default"),
                    )
                    .set(
                        "product_type",
                        if v.requires_shipping {
                            "simple"
                        } else {
                            "virtual"
                        },
                    )
                    .set(
                        "product_websites",
                        a("magento.product_websites").unwrap_or("base"),
                    )
                    .set("name", format!("{}-{}", p.title, v.option_values.join("-")))
                    .set(
                        "product_online",
                        if p.status == ProductStatus::Active {
                            "1"
                        } else {
                            "2"
                        },
                    )
                    .set("visibility", NOT_VISIBLE)
                    .set(
                        "url_key",
                        platform::normalize_handle(
                            Platform::Magento,
                            &format!("{}-{sku}", p.handle),
                        ),
                    );
                if let Some(img) = &v.image {
                    no_separators("image", img, &[','])?;
                    row.set("base_image", img.clone());
                }
                variant_cells(&mut row, v, pairs)?;
                row.write(out, b',');
                variations.push(entry.join(","));
            }
            let mut row = OutRow::new(HEADER);
            product_row(&mut row, "configurable");
            row.set("configurable_variations", variations.join("|"))
                .set(
                    "configurable_variation_labels",
                    codes
                        .iter()
                        .zip(&p.options)
                        .map(|(c, o)| format!("{c}={}", o.name))
                        .collect::<Vec<_>>()
                        .join(","),
                );
            row.set("additional_attributes", product_pairs(None).join(","))
                .set("is_in_stock", "1");
            row.write(out, b',');
        } else {
            let ptype = match (p.kind, p.variants.first()) {
                (ProductKind::Grouped, _) => "grouped",
                _ if a("magento.product_type") == Some("downloadable") => "downloadable",
                (_, Some(v)) if !v.requires_shipping => "virtual",
                _ => "simple",
            };
            let mut row = OutRow::new(HEADER);
            product_row(&mut row, ptype);
            if let Some(v) = p.variants.first() {
                variant_cells(&mut row, v, product_pairs(None))?;
            } else {
                row.set("additional_attributes", product_pairs(None).join(","));
            }
            if let Some(s) = a("magento.associated_skus") {
                row.set("associated_skus", s);
            }
            row.write(out, b',');
        }

        // Store-view rows carry the translations back.
        let mut stores: BTreeMap<(String, String), Vec<(&str, &str)>> = BTreeMap::new();
        for (k, v) in &p.attributes {
            let Some(rest) = k.strip_prefix("translation.") else {
                continue;
            };
            let Some((store, tail)) = rest.split_once('.') else {
                continue;
            };
            let (sku, field) = match tail.rsplit_once('.') {
                Some((sku, field)) => (sku.to_string(), field),
                None => (parent_sku.clone(), tail),
            };
            if let Some(f) = TRANSLATED.iter().find(|f| **f == field) {
                stores
                    .entry((store.to_string(), sku))
                    .or_default()
                    .push((f, v.as_str()));
            }
        }
        for ((store, sku), fields) in stores {
            let mut row = OutRow::new(HEADER);
            let ptype = if sku == parent_sku {
                if variable {
                    "configurable"
                } else {
                    "simple"
                }
            } else {
                "simple"
            };
            row.set("sku", sku)
                .set("store_view_code", store)
                .set(
                    "attribute_set_code",
                    a("magento.attribute_set_code").unwrap_or("Default"),
                )
                .set("product_type", ptype);
            for (f, v) in fields {
                row.set(f, v);
            }
            row.write(out, b',');
        }
        Ok(parent_sku)
    }
}
