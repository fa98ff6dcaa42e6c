//! Vendure's product import CSV (the file `populate` and the `Importer` take, and the e2e
//! fixtures use): one row per variant, a new product wherever `name` is filled. Facts about the
//! layout are in [`crate::platform::vendure::csv`].
//!
//! - `optionGroups` names the options (`size|colour`); each variant row has `optionValues` in
//!   the same order (`small|beige`).
//! - `facets` are `facet:value` pairs (`brand:Apple|category:Computers`): `brand` becomes the
//!   vendor, `type` the product type, `category` a category (a path written `Men > Tops`),
//!   `tag` a tag, and any other facet a tag kept as `Facet:Value`.
//! - `assets` and `variantAssets` are file names or URLs separated by `|`: the images.
//! - Translations: `name:de`, `slug:de`, `description:de`, `optionGroups:de`, `optionValues:de`,
//!   `facets:de`, `variantFacets:de`. The product's own texts are the `en` columns when there
//!   are any, else the first language's; the others become [`ProductTranslation`]s.
//! - `product:x` and `variant:x` custom fields are kept as attributes (`vendure.product:x`,
//!   `vendure.variant.<n>.variant:x`); the writer leaves them out, since Vendure refuses a file
//!   naming a custom field its server does not define.

#[cfg(test)]
mod tests;

use super::loaded::{self, all_rows, cell, cell_finding, fmt_amount, Ctx, OutRow, ParseFn, Parsed};
use super::table::{Header, Row, TableFile};
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::finding::Severity;
use crate::model::{
    Entity, Image, Money, Platform, Product, ProductKind, ProductOption, ProductTranslation,
    Record, SourceRef, Variant,
};
use crate::platform::{self, vendure::csv as facts};
use crate::spec::EndpointSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Which Vendure file this is, by its header (translated columns count too).
pub fn recognise(h: &Header) -> Option<Entity> {
    let has = |base: &str| {
        h.names()
            .iter()
            .any(|n| n == base || n.starts_with(&format!("{base}:")))
    };
    (has("optionGroups") && has("optionValues") && h.has("sku") && h.has("taxCategory"))
        .then_some(Entity::Products)
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    (entity == Entity::Products).then_some(parse as ParseFn)
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}

pub fn writers(spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> {
    let language = spec
        .options
        .get(facts::LANGUAGE_OPTION)
        .and_then(|v| v.as_str())
        .unwrap_or(facts::DEFAULT_LANGUAGE)
        .to_string();
    let languages: Option<Vec<String>> = spec
        .options
        .get(facts::LANGUAGES_OPTION)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        });
    vec![Box::new(ProductWriter::new(language, languages))]
}

/// The language of a column name (`name:zh_Hans` → ("name", "zh_Hans")), for the translatable
/// columns and `product:`/`variant:` custom fields (`product:keywords:de`).
fn split_language(name: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        [base, lang] if facts::TRANSLATABLE.contains(base) => (*base, Some(*lang)),
        [scope, _, lang] if *scope == "product" || *scope == "variant" => {
            (&name[..name.len() - lang.len() - 1], Some(*lang))
        }
        _ => (name, None),
    }
}

/// `a|b|c`, trimmed, empty pieces dropped (as Vendure's parser does).
fn list(v: &str) -> Vec<String> {
    v.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Columns of one file: the main language's and each other language's.
struct Cols {
    main: Option<String>,
    others: Vec<String>,
    /// Column of `base` in `lang` (`None`: the untranslated column).
    by: BTreeMap<(String, Option<String>), usize>,
    sku: Option<usize>,
    price: Option<usize>,
    tax: Option<usize>,
    stock: Option<usize>,
    track: Option<usize>,
    assets: Option<usize>,
    variant_assets: Option<usize>,
    /// `product:` custom fields by column name, and `variant:` ones.
    product_custom: Vec<(String, usize)>,
    variant_custom: Vec<(String, usize)>,
}

impl Cols {
    fn new(h: &Header) -> Cols {
        let mut by = BTreeMap::new();
        let mut langs: Vec<String> = Vec::new();
        let mut product_custom = Vec::new();
        let mut variant_custom = Vec::new();
        for (i, name) in h.names().iter().enumerate() {
            let (base, lang) = split_language(name);
            if let Some(l) = lang {
                if !langs.iter().any(|x| x == l) {
                    langs.push(l.to_string());
                }
            }
            if base.starts_with("product:") {
                product_custom.push((name.clone(), i));
            } else if base.starts_with("variant:") {
                variant_custom.push((name.clone(), i));
            }
            by.entry((base.to_string(), lang.map(str::to_string)))
                .or_insert(i);
        }
        let main = if langs.is_empty() {
            None
        } else if langs.iter().any(|l| l == facts::DEFAULT_LANGUAGE) {
            Some(facts::DEFAULT_LANGUAGE.to_string())
        } else {
            langs.first().cloned()
        };
        let others = langs
            .into_iter()
            .filter(|l| Some(l) != main.as_ref())
            .collect();
        let c = |n: &str| h.get(n);
        Cols {
            main,
            others,
            by,
            sku: c("sku"),
            price: c("price"),
            tax: c("taxCategory"),
            stock: c("stockOnHand"),
            track: c("trackInventory"),
            assets: c("assets"),
            variant_assets: c("variantAssets"),
            product_custom,
            variant_custom,
        }
    }

    /// The main column of a translatable field: untranslated, else in the main language.
    fn main_col(&self, base: &str) -> Option<usize> {
        self.by
            .get(&(base.to_string(), None))
            .or_else(|| self.by.get(&(base.to_string(), self.main.clone())))
            .copied()
    }

    fn lang_col(&self, base: &str, lang: &str) -> Option<usize> {
        self.by
            .get(&(base.to_string(), Some(lang.to_string())))
            .copied()
    }
}

/// Facets as the canonical product has them: vendor, type, categories and tags.
fn apply_facets(p: &mut Product, facets: &[String]) {
    for f in facets {
        let (name, value) = match f.split_once(':') {
            Some((n, v)) => (n.trim(), v.trim()),
            None => ("", f.trim()),
        };
        match name.to_ascii_lowercase().as_str() {
            facts::FACET_BRAND if p.vendor.is_none() => p.vendor = Some(value.to_string()),
            facts::FACET_TYPE if p.product_type.is_none() => {
                p.product_type = Some(value.to_string())
            }
            facts::FACET_CATEGORY => {
                let path: Vec<String> = value
                    .split(facts::PATH_SEPARATOR)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if !path.is_empty() && !p.categories.contains(&path) {
                    p.categories.push(path);
                }
            }
            facts::FACET_TAG | "" => p.tags.push(value.to_string()),
            _ => p.tags.push(format!("{name}:{value}")),
        }
    }
}

/// Reads a Vendure product import CSV.
pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    let h = table.header();
    let c = Cols::new(h);
    let missing: Vec<&str> = facts::REQUIRED
        .iter()
        .copied()
        .filter(|base| c.main_col(base).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(table.error(
            table.header_line(),
            None,
            format!(
                "this Vendure product import file has no column {}; Vendure's importer needs \
                 them all (translated as name:en, ... when the file has languages)",
                missing
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    let mut current: Option<Product> = None;
    let finish = |p: Option<Product>, out: &mut Parsed| {
        if let Some(p) = p {
            out.records.push(Record::Product(p));
        }
    };
    for row in &rows {
        let name = cell(row, c.main_col("name"));
        if !name.is_empty() {
            finish(current.take(), &mut out);
            current = Some(product_of(&c, row, name));
        }
        let Some(p) = current.as_mut() else {
            out.note(cell_finding(
                table,
                row,
                c.main_col("name"),
                Severity::Warning,
                "variant_without_product",
                "a variant row (empty name) comes before any product row; it was skipped",
            ));
            continue;
        };
        add_variant(table, &c, ctx, row, p, &mut out);
    }
    finish(current.take(), &mut out);
    Ok(out)
}

fn product_of(c: &Cols, row: &Row, name: &str) -> Product {
    let slug = cell(row, c.main_col("slug"));
    let handle = if slug.is_empty() {
        platform::normalize_handle(Platform::Vendure, name)
    } else {
        slug.to_string()
    };
    let mut p = Product {
        source: SourceRef::with_url(
            handle.clone(),
            platform::url_path(Platform::Vendure, Entity::Products, &handle, &[]),
        ),
        handle,
        title: name.to_string(),
        body_html: cell(row, c.main_col("description")).to_string(),
        options: list(cell(row, c.main_col("optionGroups")))
            .into_iter()
            .map(|name| ProductOption {
                name,
                values: vec![],
            })
            .collect(),
        ..Product::default()
    };
    if !p.options.is_empty() {
        p.kind = ProductKind::Variable;
    }
    for (i, src) in list(cell(row, c.assets)).into_iter().enumerate() {
        p.images.push(Image {
            src,
            alt: None,
            position: i as u32 + 1,
        });
    }
    apply_facets(&mut p, &list(cell(row, c.main_col("facets"))));
    for lang in &c.others {
        let text = |base: &str| row.opt(c.lang_col(base, lang)).map(str::to_string);
        let t = ProductTranslation {
            title: text("name"),
            handle: text("slug"),
            body_html: text("description"),
            // Untranslated option names stay the product's own, so translated values still
            // have a place.
            options: match list(&text("optionGroups").unwrap_or_default()) {
                names if names.is_empty() => p
                    .options
                    .iter()
                    .map(|o| ProductOption {
                        name: o.name.clone(),
                        values: vec![],
                    })
                    .collect(),
                names => names
                    .into_iter()
                    .map(|name| ProductOption {
                        name,
                        values: vec![],
                    })
                    .collect(),
            },
        };
        if let Some(f) = text("facets") {
            p.attributes
                .insert(format!("{}facets:{lang}", facts::ATTR), f);
        }
        p.translations.insert(lang.clone(), t);
    }
    for (name, col) in &c.product_custom {
        if let Some(v) = row.opt(Some(*col)) {
            p.attributes
                .insert(format!("{}{name}", facts::ATTR), v.to_string());
        }
    }
    p
}

fn add_variant(
    table: &TableFile,
    c: &Cols,
    ctx: &Ctx,
    row: &Row,
    p: &mut Product,
    out: &mut Parsed,
) {
    let n = p.variants.len() + 1;
    let values = list(cell(row, c.main_col("optionValues")));
    if values.len() != p.options.len() {
        out.note(cell_finding(
            table,
            row,
            c.main_col("optionValues"),
            Severity::Warning,
            "option_values_count",
            format!(
                "{} option value(s) for {} option group(s) of \"{}\"; Vendure's importer refuses \
                 such a row (the variant was read with the values it has)",
                values.len(),
                p.options.len(),
                p.title
            ),
        ));
    }
    let mut option_values = vec![String::new(); p.options.len()];
    for (k, v) in values.iter().enumerate().take(p.options.len()) {
        option_values[k] = v.clone();
        if !p.options[k].values.contains(v) {
            p.options[k].values.push(v.clone());
        }
    }
    // Translated option names and values, aligned with the product's.
    for lang in &c.others {
        let tv = list(cell(row, c.lang_col("optionValues", lang)));
        let Some(t) = p.translations.get_mut(lang) else {
            continue;
        };
        for (k, main) in values.iter().enumerate().take(p.options.len()) {
            let Some(tr) = tv.get(k) else { continue };
            let Some(idx) = p.options[k].values.iter().position(|x| x == main) else {
                continue;
            };
            let Some(opt) = t.options.get_mut(k) else {
                continue;
            };
            while opt.values.len() <= idx {
                opt.values.push(String::new());
            }
            opt.values[idx] = tr.clone();
        }
    }
    let mut f = Vec::new();
    let price = table
        .decimal(row, c.price, &mut f)
        .map(|d| Money::new(d, ctx.currency.clone()));
    let stock = table.integer(row, c.stock, &mut f);
    for x in f {
        out.note(x);
    }
    let tracked = !matches!(
        cell(row, c.track).to_ascii_lowercase().as_str(),
        "false" | "0" | "no"
    );
    let tax = cell(row, c.tax);
    if !tax.is_empty() && !tax.eq_ignore_ascii_case(facts::DEFAULT_TAX_CATEGORY) {
        p.attributes.insert(
            format!("{}variant.{n}.taxCategory", facts::ATTR),
            tax.to_string(),
        );
    }
    let assets = list(cell(row, c.variant_assets));
    for src in &assets {
        if !p.images.iter().any(|i| &i.src == src) {
            let position = p.images.len() as u32 + 1;
            p.images.push(Image {
                src: src.clone(),
                alt: None,
                position,
            });
        }
    }
    let mut keep = |column: &str, col: Option<usize>| {
        if let Some(v) = row.opt(col) {
            p.attributes.insert(
                format!("{}variant.{n}.{column}", facts::ATTR),
                v.to_string(),
            );
        }
    };
    keep("variantFacets", c.main_col("variantFacets"));
    for lang in &c.others {
        keep(
            &format!("variantFacets:{lang}"),
            c.lang_col("variantFacets", lang),
        );
    }
    for (name, col) in &c.variant_custom {
        keep(name, Some(*col));
    }
    p.variants.push(Variant {
        sku: row.opt(c.sku).map(str::to_string),
        price,
        inventory: if tracked {
            Some(stock.unwrap_or(0))
        } else {
            None
        },
        option_values,
        image: assets.into_iter().next(),
        requires_shipping: true,
        taxable: true,
        ..Variant::default()
    });
}

/// Writes Vendure's product import CSV. With translations the header names the main language
/// (`options.language`, default `en`) and every other language (`options.languages`, else the
/// languages of the first records written) for each translatable column.
pub struct ProductWriter {
    language: String,
    fixed: Option<Vec<String>>,
    languages: Vec<String>,
}

impl ProductWriter {
    pub fn new(language: String, languages: Option<Vec<String>>) -> Self {
        let fixed = languages.map(|l| l.into_iter().filter(|x| *x != language).collect());
        ProductWriter {
            languages: fixed.clone().unwrap_or_default(),
            language,
            fixed,
        }
    }

    /// Column names: untranslated without languages, else one per language.
    fn columns(&self) -> Vec<String> {
        let mut v = Vec::new();
        let langs: Vec<&str> = std::iter::once(self.language.as_str())
            .chain(self.languages.iter().map(String::as_str))
            .collect();
        for base in facts::COLUMNS {
            if self.languages.is_empty() || !facts::TRANSLATABLE.contains(base) {
                v.push(base.to_string());
            } else {
                v.extend(langs.iter().map(|l| format!("{base}:{l}")));
            }
        }
        v
    }

    /// The column of `base` in `lang` (`None`: the main language).
    fn col(&self, base: &str, lang: Option<&str>) -> String {
        if self.languages.is_empty() || !facts::TRANSLATABLE.contains(&base) {
            base.to_string()
        } else {
            format!("{base}:{}", lang.unwrap_or(&self.language))
        }
    }
}

/// Refuses a value holding a character Vendure's importer splits on.
fn plain(what: &str, value: &str, seps: &[char]) -> std::result::Result<(), String> {
    match seps.iter().find(|s| value.contains(**s)) {
        Some(s) => Err(format!(
            "{what} \"{value}\" contains '{s}', which Vendure's product import splits on"
        )),
        None => Ok(()),
    }
}

/// The `facets` cell of a product: vendor, type, categories and tags as facet values.
fn facets_of(p: &Product) -> std::result::Result<String, String> {
    let mut v = Vec::new();
    if let Some(b) = &p.vendor {
        plain("vendor", b, &['|', ':'])?;
        v.push(format!("{}:{b}", facts::FACET_BRAND));
    }
    if let Some(t) = &p.product_type {
        plain("product type", t, &['|', ':'])?;
        v.push(format!("{}:{t}", facts::FACET_TYPE));
    }
    for path in &p.categories {
        for name in path {
            plain("category", name, &['|', ':'])?;
        }
        v.push(format!(
            "{}:{}",
            facts::FACET_CATEGORY,
            path.join(facts::PATH_SEPARATOR)
        ));
    }
    for t in &p.tags {
        plain("tag", t, &['|'])?;
        match t.split_once(':') {
            // A tag read from a facet of its own ("Material:Denim") goes back to it.
            Some((name, value)) if !value.contains(':') && !name.trim().is_empty() => {
                v.push(t.clone())
            }
            Some(_) => return Err(format!("tag \"{t}\" has more than one ':'; Vendure's facet values keep only the text up to the second")),
            None => v.push(format!("{}:{t}", facts::FACET_TAG)),
        }
    }
    Ok(v.join("|"))
}

impl EntityWriter for ProductWriter {
    fn entity(&self) -> Entity {
        Entity::Products
    }

    fn file_name(&self) -> String {
        "products.csv".into()
    }

    fn header(&self) -> Vec<u8> {
        let cols = self.columns();
        loaded::header_bytes(&cols.iter().map(String::as_str).collect::<Vec<_>>(), b',')
    }

    fn header_from_records(&self) -> bool {
        true
    }

    fn prepare(&mut self, first: &[Record]) {
        if self.fixed.is_some() {
            return;
        }
        let mut langs = BTreeSet::new();
        for r in first {
            if let Record::Product(p) = r {
                langs.extend(
                    p.translations
                        .keys()
                        .filter(|l| **l != self.language)
                        .cloned(),
                );
            }
        }
        self.languages = langs.into_iter().collect();
    }

    fn adopt_header(&mut self, header: &[u8]) {
        let text = String::from_utf8_lossy(header);
        let mut langs = Vec::new();
        for name in text.trim_end().split(',') {
            if let Some(l) = name.trim_matches('"').strip_prefix("name:") {
                langs.push(l.to_string());
            }
        }
        if let Some(first) = langs.first() {
            self.language = first.clone();
        }
        self.languages = langs.into_iter().skip(1).collect();
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Product(p) = record else {
            return Err("not a product".into());
        };
        if p.title.trim().is_empty() {
            return Err(
                "product has no name; Vendure starts a product at a row with a name".into(),
            );
        }
        for o in &p.options {
            plain("option name", &o.name, &['|'])?;
        }
        for im in &p.images {
            plain("image", &im.src, &['|'])?;
        }
        let facets = facets_of(p)?;
        let columns = self.columns();
        let header: Vec<&str> = columns.iter().map(String::as_str).collect();
        let attr = |k: &str| {
            p.attributes
                .get(&format!("{}{k}", facts::ATTR))
                .map(String::as_str)
        };
        let variants: Vec<Variant> = if p.variants.is_empty() {
            vec![Variant::default()]
        } else {
            p.variants.clone()
        };
        for (i, v) in variants.iter().enumerate() {
            let n = i + 1;
            for value in &v.option_values {
                plain("option value", value, &['|'])?;
            }
            let mut row = OutRow::new(&header);
            if i == 0 {
                let image_list: Vec<&str> = p
                    .images
                    .iter()
                    .map(|im| im.src.as_str())
                    .filter(|s| !p.variants.iter().any(|v| v.image.as_deref() == Some(s)))
                    .collect();
                row.set(&self.col("name", None), p.title.clone())
                    .set(&self.col("slug", None), p.handle.clone())
                    .set(&self.col("description", None), p.body_html.clone())
                    .set("assets", image_list.join("|"))
                    .set(&self.col("facets", None), facets.clone())
                    .set(
                        &self.col("optionGroups", None),
                        p.options
                            .iter()
                            .map(|o| o.name.as_str())
                            .collect::<Vec<_>>()
                            .join("|"),
                    );
                for lang in &self.languages {
                    let t = p.translations.get(lang);
                    let pick = |x: Option<&String>, main: &str| {
                        x.filter(|s| !s.is_empty())
                            .cloned()
                            .unwrap_or_else(|| main.to_string())
                    };
                    let groups: Vec<String> = p
                        .options
                        .iter()
                        .enumerate()
                        .map(|(k, o)| {
                            pick(t.and_then(|t| t.options.get(k)).map(|x| &x.name), &o.name)
                        })
                        .collect();
                    row.set(
                        &self.col("name", Some(lang.as_str())),
                        pick(t.and_then(|t| t.title.as_ref()), &p.title),
                    )
                    .set(
                        &self.col("slug", Some(lang.as_str())),
                        t.and_then(|t| t.handle.clone()).unwrap_or_default(),
                    )
                    .set(
                        &self.col("description", Some(lang.as_str())),
                        pick(t.and_then(|t| t.body_html.as_ref()), &p.body_html),
                    )
                    .set(
                        &self.col("facets", Some(lang.as_str())),
                        attr(&format!("facets:{lang}"))
                            .map(str::to_string)
                            .unwrap_or_else(|| facets.clone()),
                    )
                    .set(
                        &self.col("optionGroups", Some(lang.as_str())),
                        groups.join("|"),
                    );
                }
            }
            row.set(&self.col("optionValues", None), v.option_values.join("|"));
            for lang in &self.languages {
                let t = p.translations.get(lang);
                let values: Vec<String> = v
                    .option_values
                    .iter()
                    .enumerate()
                    .map(|(k, value)| {
                        let idx = p
                            .options
                            .get(k)
                            .and_then(|o| o.values.iter().position(|x| x == value));
                        t.and_then(|t| t.options.get(k))
                            .zip(idx)
                            .and_then(|(o, idx)| o.values.get(idx))
                            .filter(|s| !s.is_empty())
                            .cloned()
                            .unwrap_or_else(|| value.clone())
                    })
                    .collect();
                row.set(
                    &self.col("optionValues", Some(lang.as_str())),
                    values.join("|"),
                );
                if let Some(vf) = attr(&format!("variant.{n}.variantFacets:{lang}"))
                    .or(attr(&format!("variant.{n}.variantFacets")))
                {
                    row.set(&self.col("variantFacets", Some(lang.as_str())), vf);
                }
            }
            if let Some(vf) = attr(&format!("variant.{n}.variantFacets")) {
                row.set(&self.col("variantFacets", None), vf);
            }
            row.set("sku", v.sku.clone().unwrap_or_default())
                .set(
                    "price",
                    v.price
                        .as_ref()
                        .map(|m| fmt_amount(m.amount))
                        .unwrap_or_default(),
                )
                .set(
                    "taxCategory",
                    attr(&format!("variant.{n}.taxCategory"))
                        .unwrap_or(facts::DEFAULT_TAX_CATEGORY),
                )
                .set(
                    "stockOnHand",
                    v.inventory.map(|q| q.to_string()).unwrap_or_default(),
                )
                .set(
                    "trackInventory",
                    if v.inventory.is_some() {
                        "true"
                    } else {
                        "false"
                    },
                )
                .set("variantAssets", v.image.clone().unwrap_or_default());
            row.write(out, b',');
        }
        Ok(p.handle.clone())
    }
}
