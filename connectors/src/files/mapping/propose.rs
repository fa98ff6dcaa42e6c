//! Proposing a mapping for a file nobody has mapped yet, by rules that need no server:
//!
//! 1. **Names**: each column's name is folded (see [`fold`]) and compared with every field's
//!    synonyms in the platforms' languages, the known layouts' own column names, and
//!    WooCommerce's column names in every vendored translation catalogue.
//! 2. **Values**: a sample of each column is checked against the shape the field's values have
//!    (prices, SKUs, barcodes, URLs, emails, dates, ...). A shape that fits confirms a name; one
//!    that does not weakens it; a telling shape (emails, image URLs, barcodes) proposes a field
//!    for a column whose name says nothing.
//! 3. **Rows**: the file is products, customers or orders by the fields found; products whose
//!    rows name a parent (a column holding other rows' SKUs or ids) are read as WooCommerce's
//!    layout, products whose consecutive rows share a title or handle as Shopify's.
//!
//! Hints from an embedding model or an LLM, when the caller has them, join the rules' candidates
//! with their own score and reason; the proposal stays the same without them.

use super::fields::{fold, Field};
use super::shape::{Observed, Shape, SAMPLE};
use super::{ColumnMap, FileMapping, Layout, Target};
use crate::connector::Result;
use crate::files::table::{Row, TableFile};
use crate::model::{Entity, Platform};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Rows a proposal looks at.
pub const SAMPLE_ROWS: usize = 500;

/// What a proposal knows of a file: its header, a sample of each column and of the rows.
#[derive(Debug, Clone, Default)]
pub struct Sampled {
    pub header: Vec<String>,
    pub columns: Vec<Observed>,
    /// The first [`SAMPLE_ROWS`] non-blank rows, cell by cell.
    pub rows: Vec<Vec<String>>,
}

impl Sampled {
    /// Samples `path` as it is written (whatever mapping is registered for it).
    pub fn of(path: &Path, encoding: Option<&str>) -> Result<Sampled> {
        super::open::as_written(|| {
            let table = TableFile::open(path, encoding)?;
            Sampled::of_table(&table)
        })
    }

    pub fn of_table(table: &TableFile) -> Result<Sampled> {
        let header: Vec<String> =
            table.header().names()[..table.width().min(table.header().len())].to_vec();
        let mut values: Vec<Vec<String>> = vec![vec![]; header.len()];
        let mut rows_out = vec![];
        let mut rows = table.rows_from(table.start())?;
        let mut row = Row::default();
        while rows_out.len() < SAMPLE_ROWS && rows.next_into(&mut row)? {
            if row.is_blank() {
                continue;
            }
            let cells: Vec<String> = (0..header.len())
                .map(|i| crate::files::table::trim(row.get(Some(i))).to_string())
                .collect();
            for (i, c) in cells.iter().enumerate() {
                if !c.is_empty() && values[i].len() < SAMPLE {
                    values[i].push(c.clone());
                }
            }
            rows_out.push(cells);
        }
        let n = rows_out.len();
        Ok(Sampled {
            header,
            columns: values.into_iter().map(|v| Observed::new(v, n)).collect(),
            rows: rows_out,
        })
    }
}

/// Evidence from outside the rules: an embedding model's similarity or an LLM's suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub column: usize,
    pub target: Target,
    /// 0..1, comparable to the rules' confidence.
    pub score: f32,
    /// "embedding similarity 0.91 to product name", "LLM: ...".
    pub reason: String,
}

/// A proposed mapping with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub mapping: FileMapping,
    /// Why the file was taken as its entity and layout.
    pub why: String,
    /// Rows looked at.
    pub rows: usize,
}

/// One candidate target for one column.
#[derive(Debug, Clone)]
struct Candidate {
    field: Field,
    score: f32,
    reason: String,
}

/// Folded names meaning each field: its synonyms, the known layouts' column names, and
/// WooCommerce's translated column names.
fn names() -> &'static HashMap<Field, Vec<(String, String)>> {
    static NAMES: std::sync::OnceLock<HashMap<Field, Vec<(String, String)>>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut m: HashMap<Field, Vec<(String, String)>> = HashMap::new();
        for f in Field::ALL {
            let v = m.entry(*f).or_default();
            for s in f.synonyms() {
                v.push((s.to_string(), format!("a name for {}", f.label())));
            }
        }
        for layout in Layout::MAPPED {
            let table = layout.table().unwrap_or_default();
            for (f, col) in table {
                // A column several fields share ("Regular price": the price, or the compare-at
                // price beside a sale price) names none of them by itself.
                if table.iter().filter(|(_, c)| c == col).count() > 1 {
                    continue;
                }
                let folded = fold(col);
                let v = m.entry(*f).or_default();
                if !v.iter().any(|(s, _)| *s == folded) {
                    v.push((folded, format!("{}'s column \"{col}\"", layout.platform)));
                }
                if layout.platform == Platform::WooCommerce {
                    for (locale, tr) in crate::files::woocommerce::l10n::translations_of(col) {
                        let folded = fold(tr);
                        if !v.iter().any(|(s, _)| *s == folded) {
                            v.push((folded, format!("WooCommerce's {locale} name for \"{col}\"")));
                        }
                    }
                }
            }
        }
        m
    })
}

/// Words that say nothing on their own (they only qualify a field).
const WEAK: [&str; 13] = [
    "product", "products", "item", "variant", "the", "of", "and", "billing", "default", "urun",
    "line", "order",
    // "skin_type", "body_type": a merchant's own attribute, not the product type.
    "type",
];

/// How well a column name means a field, with the name it met.
fn name_score(column: &str, field: Field) -> Option<(f32, String)> {
    let col = fold(column);
    if col.is_empty() {
        return None;
    }
    let col_words: Vec<&str> = col.split(' ').collect();
    let mut best: Option<(f32, String)> = None;
    for (syn, why) in names().get(&field).map(Vec::as_slice).unwrap_or_default() {
        let score = if *syn == col {
            1.0
        } else {
            let syn_words: Vec<&str> = syn.split(' ').collect();
            let strong = syn_words.iter().any(|w| !WEAK.contains(w) && w.len() > 2);
            let contained = strong
                && syn_words.iter().all(|w| col_words.contains(w))
                && syn_words.len() < col_words.len();
            if contained {
                // "Product Regular Price" holds "regular price": the more of the name it
                // explains, the surer.
                0.6 + 0.3 * syn_words.len() as f32 / col_words.len() as f32
            } else {
                0.0
            }
        };
        if score > 0.0 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, format!("name \"{column}\" is {why}")));
        }
    }
    best
}

/// The candidates for one column, best first.
fn candidates(column: &str, observed: &Observed) -> Vec<Candidate> {
    let mut out = vec![];
    for f in Field::ALL {
        let shape = f.shape();
        let fit = observed.fit(shape);
        // Shapes a wrong column rarely has by chance; a description in plain text is still a
        // description, so HTML only proposes, it does not refute.
        let telling = (Shape::TELLING.contains(&shape) && shape != Shape::Html)
            || matches!(
                shape,
                Shape::Price | Shape::Integer | Shape::Decimal | Shape::Sku | Shape::Code
            );
        let shape_note = |fit: f32| {
            if observed.is_empty() {
                "the column is empty".to_string()
            } else {
                format!("{:.0}% of its values are {}", fit * 100.0, shape.label())
            }
        };
        if let Some((name, why)) = name_score(column, *f) {
            // A specific shape that fits breaks a tie between names (row types over a
            // merchant's product type in a column called "Product Type").
            let specific = !matches!(shape, Shape::Text | Shape::Reference) && fit >= 0.9;
            let mut score = if observed.is_empty() {
                name * 0.85
            } else {
                name * 0.74 + fit * 0.25 + if specific { 0.01 } else { 0.0 }
            };
            if telling && !observed.is_empty() && fit < 0.5 {
                score *= 0.6;
            }
            out.push(Candidate {
                field: *f,
                score,
                reason: format!("{why}; {}", shape_note(fit)),
            });
        } else if Shape::TELLING.contains(&shape) && fit >= 0.9 && observed.values.len() >= 2 {
            out.push(Candidate {
                field: *f,
                score: 0.45 + 0.15 * fit,
                reason: format!("the name says nothing, but {}", shape_note(fit)),
            });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.field.cmp(&b.field)));
    out
}

/// Columns with short, non-numeric values, few of them: what a product option (Color, Size)
/// looks like, when its values also differ between one product's rows.
fn looks_like_option(o: &Observed) -> bool {
    if o.values.len() < 2 {
        return false;
    }
    let short = o
        .values
        .iter()
        .all(|v| v.chars().count() <= 24 && !v.contains(['<', '@']));
    let numeric = o.fit(Shape::Decimal) > 0.9;
    // Flags (yes/no) and stock states differ between variants without being options.
    let flags = o.fit(Shape::Boolean) > 0.5
        || o.fit(Shape::Date) > 0.5
        || o.fit(Shape::Url) > 0.5
        || o.values.iter().all(|v| {
            matches!(
                fold(v).as_str(),
                "instock"
                    | "outofstock"
                    | "onbackorder"
                    | "in stock"
                    | "out of stock"
                    | "backorder"
            )
        });
    short && !numeric && !flags && o.distinct <= 40
}

/// The entity a set of column candidates says the file is, and why.
fn entity_of(cands: &[Vec<Candidate>]) -> (Entity, String) {
    let best = |f: Field| {
        cands
            .iter()
            .filter_map(|c| c.iter().find(|c| c.field == f).map(|c| c.score))
            .fold(0.0f32, f32::max)
    };
    let score = |e: Entity| -> f32 {
        cands
            .iter()
            .map(|c| {
                c.iter()
                    .filter(|c| c.field.fits(e) && c.field.entity() == e)
                    .map(|c| c.score)
                    .fold(0.0f32, f32::max)
            })
            .filter(|s| *s >= 0.5)
            .sum()
    };
    let products = score(Entity::Products) + best(Field::VariantSku) + best(Field::ProductTitle);
    let customers = score(Entity::Customers) + 2.0 * best(Field::CustomerEmail);
    let orders = score(Entity::Orders)
        + 1.5 * best(Field::OrderNumber)
        + best(Field::LineQuantity).max(best(Field::OrderTotal));
    let mut ranked = [
        (products, Entity::Products),
        (customers, Entity::Customers),
        (orders, Entity::Orders),
    ];
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (s, e) = ranked[0];
    let why = match e {
        Entity::Products => "its columns are product fields (title, SKU, price, ...)",
        Entity::Customers => "its columns are customer fields (email, names, address)",
        _ => "its columns are order fields (order number, totals, lines)",
    };
    (
        e,
        format!(
            "{e}: {why} (score {s:.1} against {:.1} for {})",
            ranked[1].0, ranked[1].1
        ),
    )
}

/// Proposes a mapping for a sampled file named `file`.
pub fn propose(s: &Sampled, file: Option<&str>, hints: &[Hint]) -> Proposal {
    let mut cands: Vec<Vec<Candidate>> = s
        .header
        .iter()
        .zip(&s.columns)
        .map(|(h, o)| candidates(h, o))
        .collect();
    for h in hints {
        if let (Target::Field(f), Some(list)) = (&h.target, cands.get_mut(h.column)) {
            list.push(Candidate {
                field: *f,
                score: h.score.clamp(0.0, 1.0),
                reason: h.reason.clone(),
            });
            list.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.field.cmp(&b.field)));
        }
    }
    let (entity, entity_why) = entity_of(&cands);

    // Greedy over all (column, field) pairs, best first: each field once, each column once.
    let mut pairs: Vec<(f32, usize, usize)> = vec![];
    for (i, list) in cands.iter().enumerate() {
        for (k, c) in list.iter().enumerate() {
            if c.field.fits(entity) && c.score >= 0.45 {
                pairs.push((c.score, i, k));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<Option<usize>> = vec![None; s.header.len()];
    let mut taken: HashSet<Field> = HashSet::new();
    for (_, i, k) in pairs {
        let f = cands[i][k].field;
        if chosen[i].is_some() || taken.contains(&f) {
            continue;
        }
        // One column answers for a field and its stand-ins (a name is first name or all of it).
        let clashes = match f {
            Field::CustomerName => taken.contains(&Field::CustomerFirstName),
            Field::CustomerFirstName => taken.contains(&Field::CustomerName),
            Field::ProductStatus => taken.contains(&Field::ProductPublished),
            Field::ProductPublished => taken.contains(&Field::ProductStatus),
            _ => false,
        };
        if clashes {
            continue;
        }
        chosen[i] = Some(k);
        taken.insert(f);
    }

    let demoted = prices_as_woocommerce_writes_them(&s.header, &cands, &mut chosen);
    let mut columns: Vec<ColumnMap> = vec![];
    for (i, h) in s.header.iter().enumerate() {
        let o = &s.columns[i];
        let mut c = match chosen[i] {
            Some(k) => {
                let cand = &cands[i][k];
                ColumnMap {
                    confidence: Some(round2(cand.score)),
                    reason: Some(cand.reason.clone()),
                    ..ColumnMap::new(h.clone(), Target::Field(cand.field))
                }
            }
            None if demoted.contains(&i) => ColumnMap {
                confidence: Some(0.7),
                reason: Some(
                    "the price charged now, which the regular and the sale price already give; \
                     kept as an attribute"
                        .into(),
                ),
                ..ColumnMap::new(h.clone(), Target::Attribute)
            },
            None if o.is_empty() => ColumnMap {
                confidence: Some(0.9),
                reason: Some("the column is empty in every row looked at".into()),
                ..ColumnMap::new(h.clone(), Target::Ignore)
            },
            None => {
                let near = cands[i]
                    .first()
                    .map(|c| format!(" (closest: {} at {:.2})", c.field.key(), c.score))
                    .unwrap_or_default();
                if entity == Entity::Products {
                    ColumnMap {
                        confidence: Some(0.5),
                        reason: Some(format!("no field matched{near}; kept as an attribute")),
                        ..ColumnMap::new(h.clone(), Target::Attribute)
                    }
                } else {
                    ColumnMap {
                        confidence: Some(0.5),
                        reason: Some(format!(
                            "no field matched{near}; {entity} have no extra attributes, so it is left out and reported"
                        )),
                        ..ColumnMap::new(h.clone(), Target::Ignore)
                    }
                }
            }
        };
        c.samples = o.samples(3);
        columns.push(c);
    }

    let free: Vec<bool> = (0..s.header.len())
        .map(|i| chosen[i].is_none() && !s.columns[i].is_empty())
        .collect();
    let (layout, layout_why) = match entity {
        Entity::Products => product_layout(s, &mut columns, &free),
        Entity::Customers => (
            Layout::WOO_CUSTOMERS,
            "one row per customer, billing and shipping addresses side by side".to_string(),
        ),
        _ => (
            Layout::SHOPIFY_ORDERS,
            "rows with one order number are one order, a row per line".to_string(),
        ),
    };
    Proposal {
        why: format!(
            "{entity_why}; read as a {}: {layout_why}",
            layout.describe()
        ),
        mapping: FileMapping {
            file: file.map(str::to_string),
            entity,
            layout: layout.platform,
            columns,
        },
        rows: s.rows.len(),
    }
}

/// A regular price beside a sale price is WooCommerce's pair: the regular price is the price
/// (the sale price replaces it while set), and a third "price" column, the price currently
/// charged, is what the pair already says.
fn prices_as_woocommerce_writes_them(
    header: &[String],
    cands: &[Vec<Candidate>],
    chosen: &mut [Option<usize>],
) -> Vec<usize> {
    let field = |chosen: &[Option<usize>], i: usize| chosen[i].map(|k| cands[i][k].field);
    let has_sale = (0..header.len()).any(|i| field(chosen, i) == Some(Field::VariantSalePrice));
    let regular = (0..header.len()).find(|&i| fold(&header[i]).split(' ').any(|w| w == "regular"));
    let (true, Some(r)) = (has_sale, regular) else {
        return vec![];
    };
    let Some(k) = cands[r].iter().position(|c| c.field == Field::VariantPrice) else {
        return vec![];
    };
    let mut demoted = vec![];
    for i in 0..header.len() {
        if i != r
            && matches!(
                field(chosen, i),
                Some(Field::VariantPrice | Field::VariantCompareAtPrice)
            )
        {
            chosen[i] = None;
            demoted.push(i);
        }
    }
    chosen[r] = Some(k);
    demoted
}

/// Free columns whose short values differ between the rows of one product: its options.
fn mark_options(
    s: &Sampled,
    columns: &mut [ColumnMap],
    free: &[bool],
    groups: impl Iterator<Item = Vec<usize>>,
) {
    let groups: Vec<Vec<usize>> = groups.filter(|g| g.len() > 1).collect();
    for i in 0..columns.len() {
        if !free[i] || !looks_like_option(&s.columns[i]) {
            continue;
        }
        let varies = groups.iter().filter(|g| {
            let first = &s.rows[g[0]][i];
            g.iter()
                .any(|&r| s.rows[r][i] != *first && !s.rows[r][i].is_empty())
        });
        let n = varies.count();
        if n > 0 {
            columns[i].target = Target::Option(None);
            columns[i].confidence = Some(0.6);
            columns[i].reason = Some(format!(
                "no field's name; its short values differ between the rows of one product ({n} product{}): an option",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

/// Which products layout fits the rows: parent references (WooCommerce) or rows grouped by
/// title or handle (Shopify). Finds a parent column by its values when its name did not say.
fn product_layout(s: &Sampled, columns: &mut [ColumnMap], free: &[bool]) -> (Layout, String) {
    let col_of =
        |columns: &[ColumnMap], f: Field| columns.iter().position(|c| c.target == Target::Field(f));
    let keys: HashSet<&str> = [Field::VariantSku, Field::ProductId]
        .into_iter()
        .filter_map(|f| col_of(columns, f))
        .flat_map(|i| s.rows.iter().map(move |r| r[i].as_str()))
        .filter(|v| !v.is_empty())
        .collect();
    if col_of(columns, Field::ProductParent).is_none() && !keys.is_empty() {
        // A column filled in some rows only, with values that are other rows' SKUs or ids.
        let found = (0..s.header.len()).find(|&i| {
            if !free[i] {
                return false;
            }
            let vals: Vec<&str> = s
                .rows
                .iter()
                .map(|r| r[i].as_str())
                .filter(|v| !v.is_empty())
                .collect();
            let part = !vals.is_empty() && vals.len() < s.rows.len();
            let hits = vals
                .iter()
                .filter(|v| {
                    keys.contains(*v) || v.strip_prefix("id:").is_some_and(|x| keys.contains(x))
                })
                .count();
            part && hits * 10 >= vals.len() * 8
        });
        if let Some(i) = found {
            columns[i].target = Target::Field(Field::ProductParent);
            columns[i].confidence = Some(0.75);
            columns[i].reason = Some(
                "filled in some rows only, with values that are other rows' SKUs or ids: the parent of a variation row"
                    .into(),
            );
        }
    }
    if let Some(p) =
        col_of(columns, Field::ProductParent).or_else(|| col_of(columns, Field::ProductKind))
    {
        // Options are the free columns whose values vary between a parent's variation rows.
        let parent = col_of(columns, Field::ProductParent);
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (r, row) in s.rows.iter().enumerate() {
            if let Some(pc) = parent {
                if !row[pc].is_empty() {
                    groups.entry(row[pc].as_str()).or_default().push(r);
                }
            } else if row[p].eq_ignore_ascii_case("variation") {
                groups.entry("").or_default().push(r);
            }
        }
        mark_options(s, columns, free, groups.into_values());
        return (
            Layout::WOO_PRODUCTS,
            "variation rows name their parent".to_string(),
        );
    }
    // Consecutive rows sharing a handle or a title are one product's variants.
    let group_col =
        col_of(columns, Field::ProductHandle).or_else(|| col_of(columns, Field::ProductTitle));
    if let Some(g) = group_col {
        let mut grouped = 0;
        for w in s.rows.windows(2) {
            if !w[0][g].is_empty() && (w[0][g] == w[1][g] || w[1][g].is_empty()) {
                grouped += 1;
            }
        }
        if grouped > 0 {
            let mut groups: Vec<Vec<usize>> = vec![];
            for (r, row) in s.rows.iter().enumerate() {
                match groups.last_mut() {
                    Some(rows) if row[g].is_empty() || s.rows[rows[0]][g] == row[g] => rows.push(r),
                    _ => groups.push(vec![r]),
                }
            }
            mark_options(s, columns, free, groups.into_iter());
            return (
                Layout::SHOPIFY_PRODUCTS,
                format!(
                    "consecutive rows that share \"{}\" are one product's variants ({grouped} such rows)",
                    s.header[g]
                ),
            );
        }
    }
    (Layout::WOO_PRODUCTS, "one row per product".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampled(header: &[&str], rows: &[&[&str]]) -> Sampled {
        let n = rows.len();
        let mut values = vec![vec![]; header.len()];
        for r in rows {
            for (i, v) in r.iter().enumerate() {
                if !v.is_empty() {
                    values[i].push(v.to_string());
                }
            }
        }
        Sampled {
            header: header.iter().map(|s| s.to_string()).collect(),
            columns: values.into_iter().map(|v| Observed::new(v, n)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    fn target(p: &Proposal, col: &str) -> Target {
        p.mapping
            .columns
            .iter()
            .find(|c| c.column == col)
            .map(|c| c.target.clone())
            .unwrap()
    }

    #[test]
    fn a_turkish_product_sheet_maps_by_name_and_values() {
        let s = sampled(
            &[
                "Ürün Adı",
                "Stok Kodu",
                "Satış Fiyatı",
                "Barkod",
                "Renk",
                "Beden",
                "Görsel",
            ],
            &[
                &[
                    "Kazak",
                    "KZ-1-S",
                    "199,90",
                    "8690000000011",
                    "Kırmızı",
                    "S",
                    "https://x/k.jpg",
                ],
                &[
                    "Kazak",
                    "KZ-1-M",
                    "199,90",
                    "8690000000028",
                    "Kırmızı",
                    "M",
                    "",
                ],
                &[
                    "Gömlek",
                    "GM-1",
                    "299,90",
                    "8690000000035",
                    "Mavi",
                    "L",
                    "https://x/g.jpg",
                ],
            ],
        );
        let p = propose(&s, Some("urunler.csv"), &[]);
        assert_eq!(p.mapping.entity, Entity::Products);
        assert_eq!(target(&p, "Ürün Adı"), Target::Field(Field::ProductTitle));
        assert_eq!(target(&p, "Stok Kodu"), Target::Field(Field::VariantSku));
        assert_eq!(
            target(&p, "Satış Fiyatı"),
            Target::Field(Field::VariantPrice)
        );
        assert_eq!(target(&p, "Barkod"), Target::Field(Field::VariantBarcode));
        assert_eq!(target(&p, "Görsel"), Target::Field(Field::ProductImages));
        assert_eq!(target(&p, "Beden"), Target::Option(None));
        assert_eq!(p.mapping.layout, Platform::Shopify, "{}", p.why);
        assert!(p.mapping.columns.iter().all(|c| c.reason.is_some()));
    }

    #[test]
    fn customers_are_found_by_email_even_without_a_name() {
        let s = sampled(
            &["Kontakt", "Vorname", "Nachname", "PLZ", "Ort", "Land"],
            &[
                &["a@b.de", "Anna", "Berg", "10115", "Berlin", "DE"],
                &["c@d.de", "Carl", "Dorn", "80331", "München", "DE"],
            ],
        );
        let p = propose(&s, None, &[]);
        assert_eq!(p.mapping.entity, Entity::Customers, "{}", p.why);
        assert_eq!(target(&p, "Kontakt"), Target::Field(Field::CustomerEmail));
        assert_eq!(
            target(&p, "Vorname"),
            Target::Field(Field::CustomerFirstName)
        );
        assert_eq!(target(&p, "PLZ"), Target::Field(Field::AddressZip));
        assert_eq!(p.mapping.layout, Platform::WooCommerce);
    }

    #[test]
    fn parent_rows_are_found_by_their_values() {
        let s = sampled(
            &["sku", "title", "price", "belongs_to", "color"],
            &[
                &["TS", "Tee", "", "", ""],
                &["TS-R", "Tee - Red", "10", "TS", "Red"],
                &["TS-B", "Tee - Blue", "10", "TS", "Blue"],
                &["MUG", "Mug", "5", "", ""],
            ],
        );
        let p = propose(&s, None, &[]);
        assert_eq!(
            target(&p, "belongs_to"),
            Target::Field(Field::ProductParent)
        );
        assert_eq!(p.mapping.layout, Platform::WooCommerce, "{}", p.why);
    }

    #[test]
    fn a_hint_can_win_a_column_the_rules_cannot_name() {
        let s = sampled(
            &["title", "xq7"],
            &[&["Tee", "Soft cotton tee"], &["Mug", "Big mug"]],
        );
        let hint = Hint {
            column: 1,
            target: Target::Field(Field::ProductDescription),
            score: 0.8,
            reason: "embedding similarity 0.80 to description".into(),
        };
        let p = propose(&s, None, &[hint]);
        assert_eq!(target(&p, "xq7"), Target::Field(Field::ProductDescription));
        let without = propose(&s, None, &[]);
        assert_eq!(target(&without, "xq7"), Target::Attribute);
    }
}
