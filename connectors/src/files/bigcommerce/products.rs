//! BigCommerce product CSV, both layouts.
//!
//! Current (Products > Export, "v3" template): an `Item` column says what each row is.
//! `Product` rows hold the product (Name, Type, SKU, Price, Sale Price, Retail Price, Cost Price,
//! Categories, Description, Page Title, Product URL, Meta Description, UPC/EAN, Weight,
//! Is Visible, Brand); the `Variant` rows after it hold its variants with `Options`
//! (`Type=Rectangle List|Name=Size|Value=S|Type=Swatch|Name=Color|Value=Red`); the `Image` rows
//! its images (`Image URL (Import)` or `Internal Image URL (Export)`, description, thumbnail
//! flag, sort order).
//!
//! Legacy (Bulk Edit template): `Item Type` is Product, SKU or Rule. SKU rows name their option
//! values in `Product Name` as `[S]Size=Large,[RB]Color=Red`; Rule rows adjust prices of the
//! SKUs they match (`[ADD]5`, `[REMOVE]2`, `[FIXED]20`). Images are the `Product Image
//! URL/File - N` column groups of the product row; categories are `Cat/Sub;Cat2`.
//!
//! Prices: canonical price is what the customer pays (Sale Price when set), compare-at the
//! regular Price. Retail Price (MSRP) is kept as `bigcommerce.retail_price`.

use crate::connector::Result;
use crate::files::loaded::{
    all_rows, cell, cell_finding, fmt_amount, fmt_decimal, fmt_money, header_bytes, Ctx, OutRow,
    Parsed,
};
use crate::files::table::{Header, Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::Severity;
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductKind, ProductOption, ProductStatus, Record,
    Seo, SourceRef, Variant, Weight, WeightUnit,
};
use crate::platform;
use rust_decimal::Decimal;
use std::collections::HashMap;

pub const HEADER: &[&str] = &[
    "Item",
    "ID",
    "Name",
    "Type",
    "SKU",
    "Options",
    "Inventory Tracking",
    "Current Stock",
    "Price",
    "Cost Price",
    "Retail Price",
    "Sale Price",
    "Brand Name",
    "Categories",
    "Description",
    "Page Title",
    "Product URL",
    "Meta Description",
    "Search Keywords",
    "UPC/EAN",
    "Weight",
    "Is Visible",
    "Tax Class",
    "Variant Image URL",
    "Image URL (Import)",
    "Image Description",
    "Image is Thumbnail",
    "Image Sort Order",
];

/// Columns of one legacy image group: URL/file, description, thumbnail flag, sort order.
type ImageCols = (Option<usize>, Option<usize>, Option<usize>, Option<usize>);

struct Cols {
    item: Option<usize>,
    id: Option<usize>,
    name: Option<usize>,
    ptype: Option<usize>,
    sku: Option<usize>,
    options: Option<usize>,
    tracking: Option<usize>,
    stock: Option<usize>,
    price: Option<usize>,
    cost: Option<usize>,
    retail: Option<usize>,
    sale: Option<usize>,
    brand: Option<usize>,
    categories: Option<usize>,
    description: Option<usize>,
    page_title: Option<usize>,
    url: Option<usize>,
    meta_description: Option<usize>,
    keywords: Option<usize>,
    barcode: Option<usize>,
    weight: Option<usize>,
    visible: Option<usize>,
    tax_class: Option<usize>,
    variant_image: Option<usize>,
    /// `Image URL (Import)`; exports leave it empty and fill `export_image`.
    image: Option<usize>,
    /// `Internal Image URL (Export)`: the image on BigCommerce's CDN, as exported.
    export_image: Option<usize>,
    image_alt: Option<usize>,
    image_thumb: Option<usize>,
    /// Legacy `Product Image URL - N` groups: (url/file, description, thumbnail, sort).
    legacy_images: Vec<ImageCols>,
}

impl Cols {
    fn new(h: &Header) -> Cols {
        let c = |names: &[&str]| h.any(names);
        let mut legacy_images = Vec::new();
        for n in 1..=50 {
            let url = h.any(&[
                &format!("Product Image URL - {n}"),
                &format!("Product Image File - {n}"),
            ]);
            if url.is_none() {
                if n > 1 {
                    break;
                }
                continue;
            }
            legacy_images.push((
                url,
                h.get(&format!("Product Image Description - {n}")),
                h.get(&format!("Product Image Is Thumbnail - {n}")),
                h.get(&format!("Product Image Sort - {n}")),
            ));
        }
        Cols {
            item: c(&["Item", "Item Type"]),
            id: c(&["ID", "Product ID"]),
            name: c(&["Name", "Product Name"]),
            ptype: c(&["Type", "Product Type"]),
            sku: c(&["SKU", "Product Code/SKU"]),
            options: c(&["Options"]),
            tracking: c(&["Inventory Tracking", "Track Inventory"]),
            stock: c(&["Current Stock", "Current Stock Level"]),
            price: c(&["Price"]),
            cost: c(&["Cost Price"]),
            retail: c(&["Retail Price"]),
            sale: c(&["Sale Price"]),
            brand: c(&["Brand Name", "Brand"]),
            categories: c(&["Categories", "Category"]),
            description: c(&["Description", "Product Description"]),
            page_title: c(&["Page Title"]),
            url: c(&["Product URL"]),
            meta_description: c(&["Meta Description"]),
            keywords: c(&["Search Keywords"]),
            barcode: c(&["UPC/EAN", "Product UPC/EAN", "Global Trade Number"]),
            weight: c(&["Weight", "Product Weight"]),
            visible: c(&["Is Visible", "Product Visible?"]),
            tax_class: c(&["Tax Class", "Product Tax Class"]),
            variant_image: c(&["Variant Image URL"]),
            image: c(&["Image URL (Import)", "Image URL"]),
            export_image: c(&["Internal Image URL (Export)"]),
            image_alt: c(&["Image Description"]),
            image_thumb: c(&["Image is Thumbnail"]),
            legacy_images,
        }
    }
}

/// Parses `Type=Rectangle List|Name=Size|Value=S|Type=Swatch|Name=Color|Value=Red` into
/// (name, value) pairs. Options may also be separated by `;`, a line break, or nothing at all
/// before `Type=`.
pub fn parse_options(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    // Each option starts with `Type=`; files written for import (and, by several accounts,
    // exports) put the next option right after the previous value with no separator:
    // `...|Value=BlackType=Rectangle|...`. A separator is put back before every `Type=`.
    let mut normalised = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find("Type=") {
        let (before, after) = rest.split_at(i);
        normalised.push_str(before);
        if !normalised.is_empty() && !normalised.ends_with(['|', ';', '\n']) {
            normalised.push('|');
        }
        normalised.push_str("Type=");
        rest = &after["Type=".len()..];
    }
    normalised.push_str(rest);
    let normalised = normalised
        .replace(";Type=", "|Type=")
        .replace("\nType=", "|Type=");
    let mut name: Option<String> = None;
    for piece in normalised.split('|') {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v.trim().to_string()),
            "value" => {
                // Swatch values carry their colour: "Red[#FF0000]".
                let v = match v.rfind('[') {
                    Some(i) if v.ends_with(']') && v[i..].starts_with("[#") => &v[..i],
                    _ => v,
                };
                out.push((name.take().unwrap_or_default(), v.trim().to_string()));
            }
            _ => {}
        }
    }
    out
}

/// Parses legacy `[S]Size=Large,[RB]Color=Red`.
pub fn parse_legacy_options(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    for piece in text.split(',') {
        if piece.trim_start().starts_with('[') || parts.is_empty() {
            parts.push(piece.to_string());
        } else if let Some(last) = parts.last_mut() {
            last.push(',');
            last.push_str(piece);
        }
    }
    for p in parts {
        let p = p.trim();
        let p = match p.find(']') {
            Some(i) if p.starts_with('[') => &p[i + 1..],
            _ => p,
        };
        if let Some((n, v)) = p.split_once('=') {
            out.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// A legacy price or weight cell: a plain number, or `[FIXED]n`, `[ADD]n`, `[REMOVE]n` applied
/// to `base`.
fn adjusted(text: &str, base: Option<Decimal>) -> Option<Option<Decimal>> {
    let t = text.trim();
    if t.is_empty() {
        return Some(None);
    }
    let upper = t.to_ascii_uppercase();
    let (kind, num) = match upper.find(']') {
        Some(i) if upper.starts_with('[') => (&upper[1..i], &t[i + 1..]),
        _ => ("FIXED", t),
    };
    let n = crate::model::parse_decimal(num)?;
    Some(Some(match kind {
        "ADD" => base.unwrap_or_default() + n,
        "REMOVE" => base.unwrap_or_default() - n,
        _ => n,
    }))
}

fn truthy(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "1"
    )
}

struct Reading<'a> {
    table: &'a TableFile,
    c: Cols,
    ctx: &'a Ctx,
    out: Parsed,
    current: Option<(Product, u64)>,
    handles: HashMap<String, u64>,
    legacy: bool,
    /// The product row's price and weight, which legacy SKU rows adjust or inherit.
    base: (Option<Decimal>, Option<Decimal>),
}

impl Reading<'_> {
    fn money(&mut self, row: &Row, col: Option<usize>) -> Option<Money> {
        let mut f = Vec::new();
        let d = self.table.decimal(row, col, &mut f);
        for x in f {
            self.out.note(x);
        }
        d.map(|d| Money::new(d, self.ctx.currency.clone()))
    }

    fn int(&mut self, row: &Row, col: Option<usize>) -> Option<i64> {
        let mut f = Vec::new();
        let d = self.table.integer(row, col, &mut f);
        for x in f {
            self.out.note(x);
        }
        d
    }

    fn weight(&mut self, row: &Row) -> Option<Weight> {
        let mut f = Vec::new();
        let d = self.table.decimal(row, self.c.weight, &mut f);
        for x in f {
            self.out.note(x);
        }
        d.map(|value| Weight {
            value,
            unit: self.ctx.weight_unit.unwrap_or(WeightUnit::Lb),
        })
    }

    fn prices(&mut self, row: &Row) -> (Option<Money>, Option<Money>) {
        let price = self.money(row, self.c.price);
        let sale = self.money(row, self.c.sale);
        match sale {
            Some(s) if s.amount > Decimal::ZERO => (Some(s), price),
            _ => (price, None),
        }
    }

    fn barcode(&mut self, row: &Row) -> Option<String> {
        let b = row.opt(self.c.barcode)?.to_string();
        if let Some(msg) = crate::files::table::excel_barcode_damage(&b) {
            self.out.note(cell_finding(
                self.table,
                row,
                self.c.barcode,
                Severity::Warning,
                "barcode_damaged",
                msg,
            ));
        }
        Some(b)
    }

    fn finish(&mut self) {
        let Some((mut p, line)) = self.current.take() else {
            return;
        };
        if p.variants.is_empty() {
            p.variants.push(Variant {
                requires_shipping: true,
                taxable: true,
                ..Variant::default()
            });
        }
        if let Some(prev) = self.handles.get(&p.handle) {
            self.out.note(self.table.finding(
                Severity::Warning,
                "duplicate_handle",
                line,
                self.c.url,
                format!(
                    "product URL /{}/ is also used by the product on line {prev}",
                    p.handle
                ),
            ));
        } else {
            self.handles.insert(p.handle.clone(), line);
        }
        if p.variants.len() > 1 || !p.options.is_empty() {
            p.kind = ProductKind::Variable;
        }
        self.out.records.push(Record::Product(p));
    }

    fn product(&mut self, row: &Row) {
        self.finish();
        let c = &self.c;
        let title = cell(row, c.name).to_string();
        if title.is_empty() {
            self.out.note(cell_finding(
                self.table,
                row,
                c.name,
                Severity::Warning,
                "missing_title",
                "product row has no name",
            ));
        }
        let url = cell(row, c.url).trim_matches('/').to_string();
        let handle = if url.is_empty() {
            platform::normalize_handle(Platform::BigCommerce, &title)
        } else {
            url
        };
        let mut attributes = std::collections::BTreeMap::new();
        let mut categories = Vec::new();
        let cats = cell(row, c.categories);
        if !cats.is_empty()
            && cats
                .split(';')
                .all(|x| x.trim().chars().all(|ch| ch.is_ascii_digit()))
        {
            attributes.insert("bigcommerce.category_ids".to_string(), cats.to_string());
            self.out.note(cell_finding(
                self.table,
                row,
                c.categories,
                Severity::Info,
                "category_ids",
                format!("categories \"{cats}\" are BigCommerce category IDs, not names; they are kept as IDs and need the store's category export to become paths"),
            ));
        } else {
            for path in cats.split(';') {
                let parts: Vec<String> = path
                    .split('/')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if !parts.is_empty() && !categories.contains(&parts) {
                    categories.push(parts);
                }
            }
        }
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                attributes.insert(k.to_string(), v.to_string());
            }
        };
        put("bigcommerce.retail_price", row.opt(c.retail));
        put("bigcommerce.search_keywords", row.opt(c.keywords));
        let digital = matches!(
            cell(row, c.ptype).to_ascii_lowercase().as_str(),
            "digital" | "d"
        );
        let visible = row.opt(c.visible).map(truthy).unwrap_or(true);
        let id = row
            .opt(c.id)
            .map(str::to_string)
            .unwrap_or_else(|| handle.clone());
        let mut images = Vec::new();
        if self.legacy {
            for (u, d, t, _s) in self.c.legacy_images.clone() {
                if let Some(src) = row.opt(u) {
                    let im = Image {
                        src: src.to_string(),
                        alt: row.opt(d).map(str::to_string),
                        position: 0,
                    };
                    if row.opt(t).map(truthy).unwrap_or(false) {
                        images.insert(0, im);
                    } else {
                        images.push(im);
                    }
                }
            }
            for (i, im) in images.iter_mut().enumerate() {
                im.position = i as u32 + 1;
            }
        }
        let (price, compare_at_price) = self.prices(row);
        self.base = (price.as_ref().map(|m| m.amount), None);
        let tracking = cell(row, self.c.tracking).to_ascii_lowercase();
        let inventory = if tracking == "none" || tracking == "n" {
            None
        } else {
            self.int(row, self.c.stock)
        };
        let base = Variant {
            source_id: None,
            sku: None,
            barcode: self.barcode(row),
            price,
            compare_at_price,
            cost: self.money(row, self.c.cost),
            weight: self.weight(row),
            inventory,
            allow_backorder: false,
            option_values: vec![],
            image: None,
            requires_shipping: !digital,
            taxable: !cell(row, self.c.tax_class).eq_ignore_ascii_case("non-taxable"),
            price_tiers: Default::default(),
        };
        self.base.1 = base.weight.map(|w| w.value);
        let c = &self.c;
        let p = Product {
            source: SourceRef::with_url(
                id,
                platform::url_path(Platform::BigCommerce, Entity::Products, &handle, &[]),
            ),
            handle,
            title,
            body_html: row.get(c.description).to_string(),
            vendor: row.opt(c.brand).map(str::to_string),
            status: if visible {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            },
            categories,
            images,
            seo: Seo {
                title: row.opt(c.page_title).map(str::to_string),
                description: row.opt(c.meta_description).map(str::to_string),
            },
            attributes,
            ..Product::default()
        };
        let sku = cell(row, c.sku).to_string();
        let mut p = p;
        p.attributes.insert("bigcommerce.sku".into(), sku.clone());
        // Held until we know whether variant rows follow.
        p.variants.push(Variant {
            sku: (!sku.is_empty()).then_some(sku),
            ..base
        });
        p.attributes
            .insert("bigcommerce.pending_base".into(), String::new());
        self.current = Some((p, row.line));
    }

    fn parent(&mut self, row: &Row, what: &str) -> bool {
        if self.current.is_some() {
            return true;
        }
        self.out.note(cell_finding(
            self.table,
            row,
            self.c.item,
            Severity::Warning,
            "variant_without_product",
            format!("this {what} row comes before any Product row, so its product is missing; the row was skipped"),
        ));
        false
    }

    fn variant(&mut self, row: &Row, values: Vec<(String, String)>) {
        if !self.parent(row, "variant") {
            return;
        }
        let (base_price, base_weight) = self.base;
        let (price, compare_at_price) = if self.legacy {
            match adjusted(row.get(self.c.price), base_price) {
                Some(Some(d)) => (Some(Money::new(d, self.ctx.currency.clone())), None),
                Some(None) => (
                    base_price.map(|d| Money::new(d, self.ctx.currency.clone())),
                    None,
                ),
                None => {
                    self.out.note(cell_finding(
                        self.table,
                        row,
                        self.c.price,
                        Severity::Warning,
                        "bad_number",
                        format!("\"{}\" is not a price", row.get(self.c.price)),
                    ));
                    (None, None)
                }
            }
        } else {
            self.prices(row)
        };
        let weight = if self.legacy {
            adjusted(row.get(self.c.weight), base_weight)
                .flatten()
                .or(base_weight)
                .map(|value| Weight {
                    value,
                    unit: self.ctx.weight_unit.unwrap_or(WeightUnit::Lb),
                })
        } else {
            self.weight(row)
        };
        let v = Variant {
            source_id: row.opt(self.c.id).map(str::to_string),
            sku: row.opt(self.c.sku).map(str::to_string),
            barcode: self.barcode(row),
            price,
            compare_at_price,
            cost: self.money(row, self.c.cost),
            weight,
            inventory: self.int(row, self.c.stock),
            allow_backorder: false,
            option_values: vec![],
            image: row.opt(self.c.variant_image).map(str::to_string),
            requires_shipping: true,
            taxable: true,
            price_tiers: Default::default(),
        };
        let Some((p, _)) = self.current.as_mut() else {
            return;
        };
        if p.attributes.remove("bigcommerce.pending_base").is_some() {
            // The first variant row replaces the product row's stand-in variant; its price,
            // weight and tax flags are the defaults the variants inherit.
            let base = p.variants.remove(0);
            let mut v = v;
            v.requires_shipping = base.requires_shipping;
            v.taxable = base.taxable;
            if v.price.is_none() {
                v.price = base.price.clone();
                v.compare_at_price = base.compare_at_price.clone();
            }
            if v.weight.is_none() {
                v.weight = base.weight;
            }
            push_variant(p, v, values);
        } else {
            let mut v = v;
            if let Some(first) = p.variants.first() {
                v.requires_shipping = first.requires_shipping;
                v.taxable = first.taxable;
            }
            push_variant(p, v, values);
        }
    }

    fn image(&mut self, row: &Row) {
        if !self.parent(row, "image") {
            return;
        }
        // An export has both URL columns and fills only the export one; a hand-made import
        // file may have either. The import URL wins when both are given.
        let src = row
            .opt(self.c.image)
            .or_else(|| row.opt(self.c.export_image))
            .map(str::to_string);
        let Some(src) = src else {
            self.out.note(cell_finding(
                self.table,
                row,
                self.c.image,
                Severity::Warning,
                "missing_image_url",
                "image row has no image URL; skipped",
            ));
            return;
        };
        let alt = row.opt(self.c.image_alt).map(str::to_string);
        let thumb = row.opt(self.c.image_thumb).map(truthy).unwrap_or(false);
        let Some((p, _)) = self.current.as_mut() else {
            return;
        };
        let im = Image {
            src,
            alt,
            position: 0,
        };
        if thumb {
            p.images.insert(0, im);
        } else {
            p.images.push(im);
        }
        for (i, im) in p.images.iter_mut().enumerate() {
            im.position = i as u32 + 1;
        }
    }

    fn rule(&mut self, row: &Row) {
        if !self.parent(row, "rule") {
            return;
        }
        let conds = parse_legacy_options(row.get(self.c.name));
        let adj = row.get(self.c.price).to_string();
        let Some((p, _)) = self.current.as_mut() else {
            return;
        };
        let mut applied = 0;
        for v in p.variants.iter_mut() {
            let matches = conds.iter().all(|(n, val)| {
                p.options
                    .iter()
                    .position(|o| o.name == *n)
                    .and_then(|i| v.option_values.get(i))
                    == Some(val)
            });
            if matches && !conds.is_empty() && !adj.trim().is_empty() {
                if let Some(Some(d)) = adjusted(&adj, v.price.as_ref().map(|m| m.amount)) {
                    v.price = Some(Money::new(d, self.ctx.currency.clone()));
                    applied += 1;
                }
            }
        }
        if applied == 0 && !adj.trim().is_empty() {
            self.out.note(cell_finding(
                self.table,
                row,
                self.c.name,
                Severity::Warning,
                "rule_not_carried",
                format!(
                    "rule \"{}\" ({adj}) matches no SKU of this product; it was not carried",
                    row.get(self.c.name)
                ),
            ));
        }
    }
}

fn push_variant(p: &mut Product, mut v: Variant, values: Vec<(String, String)>) {
    let mut ordered = vec![String::new(); p.options.len()];
    for (name, value) in values {
        let i = match p.options.iter().position(|o| o.name == name) {
            Some(i) => i,
            None => {
                p.options.push(ProductOption {
                    name: name.clone(),
                    values: vec![],
                });
                for other in p.variants.iter_mut() {
                    other.option_values.push(String::new());
                }
                ordered.push(String::new());
                p.options.len() - 1
            }
        };
        if !p.options[i].values.contains(&value) {
            p.options[i].values.push(value.clone());
        }
        ordered[i] = value;
    }
    v.option_values = ordered;
    p.variants.push(v);
}

pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    let h = table.header();
    let legacy = h.has("Item Type");
    if legacy {
        table.require(
            &["Item Type", "Product Name"],
            "BigCommerce (legacy) product",
        )?;
    } else {
        table.require(&["Item", "Name"], "BigCommerce product")?;
    }
    let mut r = Reading {
        table,
        c: Cols::new(h),
        ctx,
        out: Parsed::default(),
        current: None,
        handles: HashMap::new(),
        legacy,
        base: (None, None),
    };
    let rows = all_rows(table, &mut r.out)?;
    for row in &rows {
        let item = cell(row, r.c.item).to_ascii_lowercase();
        match item.as_str() {
            "product" => r.product(row),
            "variant" => {
                let values = parse_options(row.get(r.c.options));
                r.variant(row, values)
            }
            "sku" if legacy => {
                let values = parse_legacy_options(row.get(r.c.name));
                r.variant(row, values)
            }
            "image" => r.image(row),
            "rule" if legacy => r.rule(row),
            other => r.out.note(cell_finding(
                table,
                row,
                r.c.item,
                Severity::Warning,
                "unknown_type",
                format!(
                    "\"{other}\" is not a row kind of this file ({}); the row was skipped",
                    if legacy {
                        "Product, SKU or Rule"
                    } else {
                        "Product, Variant or Image"
                    }
                ),
            )),
        }
    }
    r.finish();
    for rec in r.out.records.iter_mut() {
        if let Record::Product(p) = rec {
            p.attributes.remove("bigcommerce.pending_base");
            if p.attributes
                .get("bigcommerce.sku")
                .is_some_and(|s| s.is_empty())
            {
                p.attributes.remove("bigcommerce.sku");
            }
            if p.variants.len() == 1 && p.options.is_empty() {
                p.attributes.remove("bigcommerce.sku");
            }
        }
    }
    Ok(r.out)
}

/// Writes the current layout (Item = Product / Variant / Image).
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

fn check(what: &str, v: &str, seps: &[char]) -> std::result::Result<(), String> {
    match seps.iter().find(|s| v.contains(**s)) {
        Some(s) => Err(format!("{what} \"{v}\" contains '{s}', which separates values in BigCommerce's CSV; change it in the transform")),
        None => Ok(()),
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
        header_bytes(HEADER, b',')
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err("not a product".into());
        };
        let limit = platform::facts(Platform::BigCommerce)
            .max_variants
            .unwrap_or(usize::MAX);
        if p.variants.len() > limit {
            return Err(format!(
                "product \"{}\" has {} variants; BigCommerce allows {limit}: split it in the transform",
                p.title,
                p.variants.len()
            ));
        }
        let mut cats = Vec::new();
        for path in &p.categories {
            for n in path {
                check("category name", n, &['/', ';'])?;
            }
            cats.push(path.join("/"));
        }
        let variable = !p.options.is_empty() || p.variants.len() > 1;
        let first = p.variants.first().cloned().unwrap_or_default();
        let a = |k: &str| p.attributes.get(k).cloned().unwrap_or_default();
        let price_cells = |row: &mut OutRow, v: &Variant| {
            let (price, sale) = match &v.compare_at_price {
                Some(c) => (Some(c), v.price.as_ref()),
                None => (v.price.as_ref(), None),
            };
            row.set("Price", fmt_money(price))
                .set("Sale Price", fmt_money(sale));
        };
        let mut row = OutRow::new(HEADER);
        row.set("Item", "Product")
            .set("Name", p.title.clone())
            .set(
                "Type",
                crate::platform::bigcommerce::product_type(&p.variants),
            )
            .set(
                "SKU",
                if variable {
                    a("bigcommerce.sku")
                } else {
                    first.sku.clone().unwrap_or_default()
                },
            )
            .set(
                "Inventory Tracking",
                match (variable, p.variants.iter().any(|v| v.inventory.is_some())) {
                    (_, false) => "none",
                    (true, true) => "variant",
                    (false, true) => "product",
                },
            )
            .set("Retail Price", a("bigcommerce.retail_price"))
            .set("Brand Name", p.vendor.clone().unwrap_or_default())
            .set("Categories", cats.join(";"))
            .set("Description", p.body_html.clone())
            .set("Page Title", p.seo.title.clone().unwrap_or_default())
            .set("Product URL", format!("/{}/", p.handle))
            .set(
                "Meta Description",
                p.seo.description.clone().unwrap_or_default(),
            )
            .set("Search Keywords", a("bigcommerce.search_keywords"))
            .set(
                "Is Visible",
                if p.status == ProductStatus::Active {
                    "TRUE"
                } else {
                    "FALSE"
                },
            )
            .set("Tax Class", if first.taxable { "" } else { "Non-Taxable" });
        price_cells(&mut row, &first);
        if let Some(w) = first.weight {
            row.set("Weight", fmt_decimal(w.to_unit(self.weight_unit).value));
        }
        if !variable {
            row.set(
                "Current Stock",
                first.inventory.map(|i| i.to_string()).unwrap_or_default(),
            )
            .set(
                "Cost Price",
                first
                    .cost
                    .as_ref()
                    .map(|c| fmt_amount(c.amount))
                    .unwrap_or_default(),
            )
            .set("UPC/EAN", first.barcode.clone().unwrap_or_default());
        }
        row.write(out, b',');
        if variable {
            for v in &p.variants {
                let mut opts = Vec::new();
                for (o, val) in p.options.iter().zip(&v.option_values) {
                    check("option name", &o.name, &['|', '='])?;
                    check("option value", val, &['|', '='])?;
                    opts.push(format!("Type=Rectangle List|Name={}|Value={val}", o.name));
                }
                let mut row = OutRow::new(HEADER);
                row.set("Item", "Variant")
                    .set("SKU", v.sku.clone().unwrap_or_default())
                    .set("Options", opts.join("|"))
                    .set(
                        "Current Stock",
                        v.inventory.map(|i| i.to_string()).unwrap_or_default(),
                    )
                    .set(
                        "Cost Price",
                        v.cost
                            .as_ref()
                            .map(|c| fmt_amount(c.amount))
                            .unwrap_or_default(),
                    )
                    .set("UPC/EAN", v.barcode.clone().unwrap_or_default())
                    .set("Variant Image URL", v.image.clone().unwrap_or_default());
                price_cells(&mut row, v);
                if let Some(w) = v.weight {
                    row.set("Weight", fmt_decimal(w.to_unit(self.weight_unit).value));
                }
                row.write(out, b',');
            }
        }
        for (i, im) in p.images.iter().enumerate() {
            let mut row = OutRow::new(HEADER);
            row.set("Item", "Image")
                .set("Image URL (Import)", im.src.clone())
                .set("Image Description", im.alt.clone().unwrap_or_default())
                .set("Image is Thumbnail", if i == 0 { "TRUE" } else { "FALSE" })
                .set("Image Sort Order", i.to_string());
            row.write(out, b',');
        }
        Ok(p.handle.clone())
    }
}
