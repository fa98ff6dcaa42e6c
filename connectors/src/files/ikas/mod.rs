//! Ikas product export/import (Ürünler > Dışa Aktar), Turkish headers, one row per variant; the
//! rows of one product share `Ürün Grup ID` and repeat its product fields.
//!
//! Columns: `Varyant ID`, `İsim`, `Açıklama` (HTML), `Satış Fiyatı` (price), `İndirimli Fiyatı`
//! (discounted price: what the customer pays when set), `Alış Fiyatı` (cost), `Barkod Listesi`
//! (`;` list, the first is the barcode), `SKU`, `Silindi mi?` (deleted), `Marka` (brand),
//! `Kategoriler` (`A>B>C;D`), `Etiketler` (`;`), `Resim URL` (`;`, in order), `Metadata Başlık`,
//! `Metadata Açıklama`, `Slug`, `Stok:<warehouse>` (summed into inventory, each kept as
//! `ikas.stock.<warehouse>` = the variants' counts joined by `,`), `Tip`, `Varyant Tip N` /
//! `Varyant Değer N`, `Satış Kanalı:<channel>` (kept as `ikas.channel.<channel>`),
//! `Varyant Aktiflik`, `Oluşturulma Tarihi`.
//!
//! Prices may be written with a decimal comma ("1.299,90"); files often come as .xlsx or as
//! Windows-1254 CSV, which the table layer handles.

#[cfg(test)]
mod tests;

use super::dates::DateReader;
use super::loaded::{
    self, all_rows, cell, cell_finding, date_cell, fmt_money, Ctx, OutRow, ParseFn, Parsed,
};
use super::table::{Header, Row, TableFile};
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::finding::Severity;
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductKind, ProductOption, ProductStatus, Record,
    Seo, SourceRef, Variant,
};
use crate::platform;
use crate::spec::EndpointSpec;
use std::collections::HashMap;
use std::path::Path;

/// Option columns written (`Varyant Tip 1..N`).
pub const WRITTEN_OPTIONS: usize = 5;
/// The warehouse and sales channel written when the spec names none.
pub const DEFAULT_WAREHOUSE: &str = "Ana Depo";
pub const DEFAULT_CHANNEL: &str = "Storefront";

pub fn recognise(h: &Header) -> Option<Entity> {
    (h.has("Ürün Grup ID") && h.has("İsim")).then_some(Entity::Products)
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    (entity == Entity::Products).then_some(parse as ParseFn)
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}

pub fn writers(spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> {
    let list = |key: &str, default: &str| -> Vec<String> {
        spec.options
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| vec![default.to_string()])
    };
    vec![Box::new(ProductWriter::new(
        list("warehouses", DEFAULT_WAREHOUSE),
        list("sales_channels", DEFAULT_CHANNEL),
    ))]
}

fn truthy(s: &str) -> bool {
    matches!(
        s.trim().to_lowercase().as_str(),
        "true" | "evet" | "1" | "yes" | "doğru"
    )
}

fn list(s: &str, sep: char) -> Vec<String> {
    s.split(sep)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    table.require(&["Ürün Grup ID", "İsim"], "Ikas product")?;
    let h = table.header();
    let c = |n: &str| h.get(n);
    let (group, vid, name, desc, sale, discounted, cost, barcodes, sku, deleted) = (
        c("Ürün Grup ID"),
        c("Varyant ID"),
        c("İsim"),
        c("Açıklama"),
        c("Satış Fiyatı"),
        c("İndirimli Fiyatı"),
        c("Alış Fiyatı"),
        c("Barkod Listesi"),
        c("SKU"),
        c("Silindi mi?"),
    );
    let (brand, cats, tags, images, mtitle, mdesc, slug, ptype, active, created) = (
        c("Marka"),
        c("Kategoriler"),
        c("Etiketler"),
        c("Resim URL"),
        c("Metadata Başlık"),
        c("Metadata Açıklama"),
        c("Slug"),
        c("Tip"),
        c("Varyant Aktiflik"),
        c("Oluşturulma Tarihi"),
    );
    let warehouses: Vec<(String, usize)> = h
        .names()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.strip_prefix("Stok:").map(|w| (w.trim().to_string(), i)))
        .collect();
    let channels: Vec<(String, usize)> = h
        .names()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            n.strip_prefix("Satış Kanalı:")
                .map(|w| (w.trim().to_string(), i))
        })
        .collect();
    let mut option_cols = Vec::new();
    for n in 1..=20 {
        match (
            h.get(&format!("Varyant Tip {n}")),
            h.get(&format!("Varyant Değer {n}")),
        ) {
            (Some(t), Some(v)) => option_cols.push((t, v)),
            _ => break,
        }
    }
    let mut out = Parsed::default();
    let dates = DateReader::new(ctx.zone, platform::ikas::DAY_ORDER);
    let rows = all_rows(table, &mut out)?;
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<&Row>> = HashMap::new();
    for row in &rows {
        let g = cell(row, group);
        if g.is_empty() {
            out.note(cell_finding(
                table,
                row,
                group,
                Severity::Warning,
                "missing_group",
                "row has no Ürün Grup ID, so its product is unknown; the row was skipped",
            ));
            continue;
        }
        if !groups.contains_key(g) {
            order.push(g.to_string());
        }
        groups.entry(g.to_string()).or_default().push(row);
    }
    let mut handles: HashMap<String, u64> = HashMap::new();
    for g in order {
        let Some(rows) = groups.get(&g) else { continue };
        let first = rows[0];
        let title = cell(first, name).to_string();
        if title.is_empty() {
            out.note(cell_finding(
                table,
                first,
                name,
                Severity::Warning,
                "missing_title",
                format!("product {g} has no İsim"),
            ));
        }
        let handle = match first.opt(slug) {
            Some(s) => s.to_string(),
            None => platform::normalize_handle(Platform::Ikas, &title),
        };
        if let Some(line) = handles.get(&handle) {
            out.note(cell_finding(
                table,
                first,
                slug,
                Severity::Warning,
                "duplicate_handle",
                format!("slug \"{handle}\" is also used by the product on line {line}; Ikas URLs must be unique"),
            ));
        } else {
            handles.insert(handle.clone(), first.line);
        }
        let mut p = Product {
            source: SourceRef::with_url(
                g.clone(),
                platform::url_path(Platform::Ikas, Entity::Products, &handle, &[]),
            ),
            handle,
            title,
            body_html: first.get(desc).to_string(),
            vendor: first.opt(brand).map(str::to_string),
            tags: list(first.get(tags), ';'),
            categories: first
                .get(cats)
                .split(';')
                .map(|p| list(p, '>'))
                .filter(|p| !p.is_empty())
                .collect(),
            seo: Seo {
                title: first.opt(mtitle).map(str::to_string),
                description: first.opt(mdesc).map(str::to_string),
            },
            created_at: date_cell(
                table,
                first,
                created,
                &dates,
                platform::ikas::CREATED_CLOCK,
                &mut out,
            ),
            ..Product::default()
        };
        for (ch, i) in &channels {
            if let Some(v) = first.opt(Some(*i)) {
                p.attributes
                    .insert(format!("ikas.channel.{ch}"), v.to_string());
            }
        }
        if !channels.is_empty()
            && channels.iter().all(|(_, i)| {
                let v = cell(first, Some(*i)).to_ascii_uppercase();
                matches!(v.as_str(), "HIDDEN" | "PASSIVE" | "FALSE" | "0" | "")
            })
        {
            p.status = ProductStatus::Draft;
        }
        let mut stock: Vec<(String, Vec<String>)> = warehouses
            .iter()
            .map(|(w, _)| (w.clone(), vec![]))
            .collect();
        let mut all_deleted = true;
        for row in rows {
            let mut f = Vec::new();
            let sale_p = table.decimal(row, sale, &mut f);
            let disc = table.decimal(row, discounted, &mut f);
            let cost_p = table.decimal(row, cost, &mut f);
            let m = |d: rust_decimal::Decimal| Money::new(d, ctx.currency.clone());
            let (price, compare) = match disc {
                Some(d) => (Some(m(d)), sale_p.map(m)),
                None => (sale_p.map(m), None),
            };
            let mut inventory: Option<i64> = None;
            for (k, (_, i)) in warehouses.iter().enumerate() {
                let n = table.integer(row, Some(*i), &mut f);
                stock[k]
                    .1
                    .push(n.map(|n| n.to_string()).unwrap_or_default());
                if let Some(n) = n {
                    inventory = Some(inventory.unwrap_or(0) + n);
                }
            }
            for x in f {
                out.note(x);
            }
            let bl = list(row.get(barcodes), ';');
            if let Some(b) = bl.first() {
                if let Some(msg) = crate::files::table::excel_barcode_damage(b) {
                    out.note(cell_finding(
                        table,
                        row,
                        barcodes,
                        Severity::Warning,
                        "barcode_damaged",
                        msg,
                    ));
                }
            }
            let row_images = list(row.get(images), ';');
            for src in &row_images {
                if !p.images.iter().any(|i| &i.src == src) {
                    let position = p.images.len() as u32 + 1;
                    p.images.push(Image {
                        src: src.clone(),
                        alt: None,
                        position,
                    });
                }
            }
            let mut values = Vec::new();
            for (t, v) in &option_cols {
                let tn = cell(row, Some(*t));
                let vv = cell(row, Some(*v));
                if tn.is_empty() && vv.is_empty() {
                    continue;
                }
                let i = match p.options.iter().position(|o| o.name == tn) {
                    Some(i) => i,
                    None => {
                        p.options.push(ProductOption {
                            name: tn.to_string(),
                            values: vec![],
                        });
                        p.options.len() - 1
                    }
                };
                if !p.options[i].values.iter().any(|x| x == vv) {
                    p.options[i].values.push(vv.to_string());
                }
                if values.len() <= i {
                    values.resize(i + 1, String::new());
                }
                values[i] = vv.to_string();
            }
            let is_deleted = truthy(cell(row, deleted));
            all_deleted &= is_deleted;
            let vsku = row.opt(sku).map(str::to_string);
            if is_deleted {
                out.note(cell_finding(
                    table,
                    row,
                    deleted,
                    Severity::Info,
                    "deleted_variant",
                    format!(
                        "variant {} of {} is marked deleted (Silindi mi?) and was not read",
                        vsku.as_deref().unwrap_or("?"),
                        p.title
                    ),
                ));
                for s in stock.iter_mut() {
                    s.1.pop();
                }
                continue;
            }
            if row.opt(active).is_some_and(|a| !truthy(a)) {
                p.attributes.insert(
                    format!(
                        "ikas.inactive.{}",
                        vsku.clone().unwrap_or_else(|| cell(row, vid).to_string())
                    ),
                    "true".into(),
                );
            }
            if bl.len() > 1 {
                p.attributes.insert(
                    format!("ikas.barcodes.{}", vsku.clone().unwrap_or_default()),
                    bl.join(";"),
                );
            }
            p.variants.push(Variant {
                source_id: row.opt(vid).map(str::to_string),
                sku: vsku,
                barcode: bl.first().cloned(),
                price,
                compare_at_price: compare,
                cost: cost_p.map(|d| Money::new(d, ctx.currency.clone())),
                weight: None,
                inventory,
                allow_backorder: false,
                option_values: values,
                image: row_images
                    .first()
                    .filter(|i| p.images.first().map(|f| &f.src) != Some(*i))
                    .cloned(),
                requires_shipping: !cell(row, ptype).eq_ignore_ascii_case("DIGITAL"),
                taxable: true,
                price_tiers: Default::default(),
            });
        }
        if all_deleted {
            continue;
        }
        let n = p.options.len();
        for v in p.variants.iter_mut() {
            v.option_values.resize(n, String::new());
        }
        for (w, counts) in stock {
            if counts.iter().any(|c| !c.is_empty()) {
                p.attributes
                    .insert(format!("ikas.stock.{w}"), counts.join(","));
            }
        }
        if p.variants.len() > 1 || !p.options.is_empty() {
            p.kind = ProductKind::Variable;
        }
        out.records.push(Record::Product(p));
    }
    Ok(out)
}

/// Writes the Ikas product import layout, one row per variant.
pub struct ProductWriter {
    header: Vec<String>,
    warehouses: Vec<String>,
    channels: Vec<String>,
}

impl ProductWriter {
    pub fn new(warehouses: Vec<String>, channels: Vec<String>) -> Self {
        let mut header: Vec<String> = [
            "Ürün Grup ID",
            "Varyant ID",
            "İsim",
            "Açıklama",
            "Satış Fiyatı",
            "İndirimli Fiyatı",
            "Alış Fiyatı",
            "Barkod Listesi",
            "SKU",
            "Silindi mi?",
            "Marka",
            "Kategoriler",
            "Etiketler",
            "Resim URL",
            "Metadata Başlık",
            "Metadata Açıklama",
            "Slug",
            "Tip",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for w in &warehouses {
            header.push(format!("Stok:{w}"));
        }
        for n in 1..=WRITTEN_OPTIONS {
            header.push(format!("Varyant Tip {n}"));
            header.push(format!("Varyant Değer {n}"));
        }
        for ch in &channels {
            header.push(format!("Satış Kanalı:{ch}"));
        }
        header.push("Varyant Aktiflik".into());
        header.push("Oluşturulma Tarihi".into());
        ProductWriter {
            header,
            warehouses,
            channels,
        }
    }
}

fn check(what: &str, v: &str, seps: &[char]) -> std::result::Result<(), String> {
    match seps.iter().find(|s| v.contains(**s)) {
        Some(s) => Err(format!("{what} \"{v}\" contains '{s}', which separates values in Ikas's file; change it in the transform")),
        None => Ok(()),
    }
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        "ikas_products.csv".into()
    }

    fn header(&self) -> Vec<u8> {
        let names: Vec<&str> = self.header.iter().map(String::as_str).collect();
        loaded::header_bytes(&names, b',')
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err("not a product".into());
        };
        if p.options.len() > WRITTEN_OPTIONS {
            return Err(format!(
                "product \"{}\" has {} options; this Ikas file has columns for {WRITTEN_OPTIONS}",
                p.title,
                p.options.len()
            ));
        }
        let mut cats = Vec::new();
        for path in &p.categories {
            for n in path {
                check("category name", n, &['>', ';'])?;
            }
            cats.push(path.join(">"));
        }
        for t in &p.tags {
            check("tag", t, &[';'])?;
        }
        for i in &p.images {
            check("image URL", &i.src, &[';'])?;
        }
        let names: Vec<&str> = self.header.iter().map(String::as_str).collect();
        let group = p
            .attributes
            .get("ikas.group_id")
            .cloned()
            .unwrap_or_else(|| p.source.id.clone());
        let group = if group.is_empty() {
            p.handle.clone()
        } else {
            group
        };
        let stock_of = |w: &str| -> Option<Vec<String>> {
            p.attributes
                .get(&format!("ikas.stock.{w}"))
                .map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>())
                .filter(|v| v.len() == p.variants.len())
        };
        let split_stock = self.warehouses.iter().all(|w| stock_of(w).is_some())
            && p.variants.iter().enumerate().all(|(i, v)| {
                let sum = self
                    .warehouses
                    .iter()
                    .filter_map(|w| stock_of(w)?.get(i)?.parse::<i64>().ok())
                    .fold(0i64, i64::saturating_add);
                v.inventory == Some(sum) || v.inventory.is_none()
            });
        let all_images: Vec<&str> = p.images.iter().map(|i| i.src.as_str()).collect();
        for (vi, v) in p.variants.iter().enumerate() {
            let mut row = OutRow::new(&names);
            let (sale, disc) = match &v.compare_at_price {
                Some(c) => (Some(c), v.price.as_ref()),
                None => (v.price.as_ref(), None),
            };
            let barcodes = match v
                .sku
                .as_ref()
                .and_then(|s| p.attributes.get(&format!("ikas.barcodes.{s}")))
            {
                Some(list) => list.clone(),
                None => v.barcode.clone().unwrap_or_default(),
            };
            // The first row lists the product's images in order; a later row starts with its
            // variant's own image (the first variant's image is the product's first).
            let imgs: Vec<&str> = match &v.image {
                Some(img) if vi > 0 && all_images.first() != Some(&img.as_str()) => {
                    let mut l = vec![img.as_str()];
                    l.extend(all_images.iter().filter(|i| **i != img.as_str()));
                    l
                }
                _ => all_images.clone(),
            };
            row.set("Ürün Grup ID", group.clone())
                .set("Varyant ID", v.source_id.clone().unwrap_or_default())
                .set("İsim", p.title.clone())
                .set("Açıklama", p.body_html.clone())
                .set("Satış Fiyatı", fmt_money(sale))
                .set("İndirimli Fiyatı", fmt_money(disc))
                .set("Alış Fiyatı", fmt_money(v.cost.as_ref()))
                .set("Barkod Listesi", barcodes)
                .set("SKU", v.sku.clone().unwrap_or_default())
                .set("Silindi mi?", "false")
                .set("Marka", p.vendor.clone().unwrap_or_default())
                .set("Kategoriler", cats.join(";"))
                .set("Etiketler", p.tags.join(";"))
                .set("Resim URL", imgs.join(";"))
                .set("Metadata Başlık", p.seo.title.clone().unwrap_or_default())
                .set(
                    "Metadata Açıklama",
                    p.seo.description.clone().unwrap_or_default(),
                )
                .set("Slug", p.handle.clone())
                .set(
                    "Tip",
                    if v.requires_shipping {
                        "PHYSICAL"
                    } else {
                        "DIGITAL"
                    },
                )
                .set(
                    "Varyant Aktiflik",
                    if v.sku
                        .as_ref()
                        .is_some_and(|s| p.attributes.contains_key(&format!("ikas.inactive.{s}")))
                    {
                        "false"
                    } else {
                        "true"
                    },
                )
                .set(
                    "Oluşturulma Tarihi",
                    // ISO 8601 with the offset: unambiguous whatever the store's locale.
                    p.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                );
            for (k, w) in self.warehouses.iter().enumerate() {
                let value = if split_stock {
                    stock_of(w)
                        .and_then(|s| s.get(vi).cloned())
                        .unwrap_or_default()
                } else if k == 0 {
                    v.inventory.map(|n| n.to_string()).unwrap_or_default()
                } else {
                    String::new()
                };
                row.set(&format!("Stok:{w}"), value);
            }
            for (n, (o, val)) in p.options.iter().zip(&v.option_values).enumerate() {
                row.set(&format!("Varyant Tip {}", n + 1), o.name.clone())
                    .set(&format!("Varyant Değer {}", n + 1), val.clone());
            }
            for ch in &self.channels {
                let v = p
                    .attributes
                    .get(&format!("ikas.channel.{ch}"))
                    .cloned()
                    .unwrap_or_else(|| {
                        if p.status == ProductStatus::Active {
                            "VISIBLE"
                        } else {
                            "HIDDEN"
                        }
                        .to_string()
                    });
                row.set(&format!("Satış Kanalı:{ch}"), v);
            }
            row.write(out, b',');
        }
        Ok(p.handle.clone())
    }
}
