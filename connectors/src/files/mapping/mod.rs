//! Column mappings: reading export files whose layout storeshift does not know.
//!
//! A mapping says, for each column of a file, which canonical field it holds (`product.title`,
//! `variant.sku`, `customer.email`, ...), that its values are an option (`option`), that it is
//! kept as an extra attribute (`attribute`), left out (`ignore`), or that it is a column of the
//! layout as it is (`column:NAME`). The file is then read as a known layout (WooCommerce's
//! product CSV, Shopify's, ...) whose reader sees the renamed columns, so a mapped file reads
//! into exactly the records the same data in that layout would, at the cost of renaming a
//! header (see [`header`]).
//!
//! - [`propose`] proposes a mapping for a file: rules (names and synonyms in the platforms'
//!   languages, value shapes, row shapes), with a confidence and a reason per column.
//! - [`file`] reads and writes mapping files (TOML), the format `inspect --write-mapping`
//!   writes and `[source] mapping` / `convert --mapping` read.
//! - [`open`] applies mappings (and WooCommerce's translated headers) when a source is opened.

pub mod fields;
pub mod file;
pub mod header;
pub mod layout;
pub mod open;
pub mod propose;
pub mod shape;
#[cfg(test)]
mod tests;

pub use fields::Field;
pub use header::{MappedHeader, Virtual};
pub use layout::Layout;

use crate::model::{Entity, Platform};
use serde::{Deserialize, Serialize};

/// What one column becomes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A canonical field.
    Field(Field),
    /// The column's values are an option of the product (its name: the column's, unless given).
    Option(Option<String>),
    /// Kept as an extra attribute of the record, under the column's name.
    Attribute,
    /// Left out; listed in the report.
    Ignore,
    /// A column of the layout, taken as it is (`column:Is featured?`).
    Column(String),
}

impl Target {
    /// Parses the value of a mapping file's column entry.
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(rest) = t
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("column:"))
            .map(|_| t[7..].trim())
        {
            if rest.is_empty() {
                return Err(
                    "`column:` needs the layout's column name, e.g. column:Is featured?".into(),
                );
            }
            return Ok(Target::Column(rest.to_string()));
        }
        if lower == "option" {
            return Ok(Target::Option(None));
        }
        if let Some(name) = t
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("option:"))
            .map(|_| t[7..].trim())
        {
            return Ok(Target::Option((!name.is_empty()).then(|| name.to_string())));
        }
        match lower.as_str() {
            "attribute" => Ok(Target::Attribute),
            "ignore" => Ok(Target::Ignore),
            _ => Field::parse(t).map(Target::Field).ok_or_else(|| {
                let near = nearest_field(t)
                    .map(|f| format!(" (did you mean {}?)", f.key()))
                    .unwrap_or_default();
                format!(
                    "\"{t}\" is not a field{near}; use a field such as product.title or variant.sku, \
                     or option, attribute, ignore, column:NAME (README: Column mappings)"
                )
            }),
        }
    }

    /// How the target is written in a mapping file.
    pub fn key(&self) -> String {
        match self {
            Target::Field(f) => f.key().to_string(),
            Target::Option(None) => "option".into(),
            Target::Option(Some(n)) => format!("option:{n}"),
            Target::Attribute => "attribute".into(),
            Target::Ignore => "ignore".into(),
            Target::Column(c) => format!("column:{c}"),
        }
    }

    /// For people: "product name (product.title)".
    pub fn describe(&self) -> String {
        match self {
            Target::Field(f) => format!("{} ({})", f.label(), f.key()),
            Target::Option(None) => "an option named after the column".into(),
            Target::Option(Some(n)) => format!("option \"{n}\""),
            Target::Attribute => "kept as an attribute".into(),
            Target::Ignore => "ignored".into(),
            Target::Column(c) => format!("the layout's column \"{c}\""),
        }
    }
}

/// The field whose key is closest to a misspelt one (for messages).
fn nearest_field(text: &str) -> Option<Field> {
    let t = text.trim().to_ascii_lowercase();
    let distance = |a: &str, b: &str| -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            }
            prev = cur;
        }
        prev[b.len()]
    };
    Field::ALL
        .iter()
        .map(|f| (distance(&t, f.key()), *f))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// One column of a file and what it becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap {
    /// The column's name as the file writes it.
    pub column: String,
    pub target: Target,
    /// How sure the proposer was (written into mapping files as a comment; not read back).
    pub confidence: Option<f32>,
    /// Why it was proposed.
    pub reason: Option<String>,
    /// A few of the column's values.
    pub samples: Vec<String>,
}

impl ColumnMap {
    pub fn new(column: impl Into<String>, target: Target) -> ColumnMap {
        ColumnMap {
            column: column.into(),
            target,
            confidence: None,
            reason: None,
            samples: vec![],
        }
    }
}

/// The mapping of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileMapping {
    /// The file it is for (its name); without one it applies to any file with these columns.
    pub file: Option<String>,
    pub entity: Entity,
    /// The platform whose layout reads the mapped file.
    pub layout: Platform,
    /// Every column of the file, in the file's order.
    pub columns: Vec<ColumnMap>,
}

/// The decision an operator (or the headless run) made about a file, journaled with the
/// intervention and reused on resume: the mapping in force for that file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    pub file: String,
    pub entity: Entity,
    pub layout: Platform,
    /// (column, target key) in the file's order.
    pub columns: Vec<(String, String)>,
}

impl FileMapping {
    pub fn layout(&self) -> Layout {
        Layout::new(self.layout, self.entity)
    }

    /// The column names the mapping is for, in order.
    pub fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.column.clone()).collect()
    }

    pub fn to_decided(&self, file: &str) -> Decided {
        Decided {
            file: file.to_string(),
            entity: self.entity,
            layout: self.layout,
            columns: self
                .columns
                .iter()
                .map(|c| (c.column.clone(), c.target.key()))
                .collect(),
        }
    }

    pub fn from_decided(d: &Decided) -> Result<FileMapping, String> {
        let mut columns = vec![];
        for (column, key) in &d.columns {
            columns.push(ColumnMap::new(
                column.clone(),
                Target::parse(key).map_err(|e| format!("column \"{column}\": {e}"))?,
            ));
        }
        Ok(FileMapping {
            file: Some(d.file.clone()),
            entity: d.entity,
            layout: d.layout,
            columns,
        })
    }

    /// The lowest confidence of any column (1 when none was given).
    pub fn min_confidence(&self) -> f32 {
        self.columns
            .iter()
            .filter_map(|c| c.confidence)
            .fold(1.0, f32::min)
    }

    /// What the mapping does with each column, resolved against the file's `header`: the
    /// header the layout's reader is given, and what is kept aside or left out.
    pub fn resolve(&self, header: &[String], by: &str) -> Result<Resolved, String> {
        resolve(self, header, by)
    }
}

/// A mapping made concrete for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub header: MappedHeader,
    /// Lines for the report: columns kept as attributes, ignored, or without a place.
    pub notes: Vec<Note>,
}

/// What happened to a column that is not read into a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub column: String,
    pub kept: bool,
    pub message: String,
}

/// The name a layout's readers never look at, for a column the mapping leaves out.
fn ignored_name(i: usize) -> String {
    format!("(ignored column {})", i + 1)
}

/// The unit a weight column's name gives ("Weight (g)", "Gewicht in Gramm", "agirlik_kg").
pub fn weight_unit_of(name: &str) -> Option<crate::model::WeightUnit> {
    use crate::model::WeightUnit;
    let folded = fields::fold(name);
    for w in folded.split(' ') {
        let unit = match w {
            "kg" | "kgs" | "kilo" | "kilogram" | "kilograms" | "kilogramm" | "kilogramos" => {
                WeightUnit::Kg
            }
            "g" | "gr" | "gram" | "grams" | "gramm" | "gramos" | "grammi" | "gramas" | "grams)" => {
                WeightUnit::G
            }
            "lb" | "lbs" | "pound" | "pounds" => WeightUnit::Lb,
            "oz" | "ounce" | "ounces" => WeightUnit::Oz,
            _ => continue,
        };
        return Some(unit);
    }
    None
}

fn resolve(m: &FileMapping, header: &[String], by: &str) -> Result<Resolved, String> {
    use crate::files::table::normalise_name;
    let layout = m.layout();
    // Columns are matched to the file's header by name; a repeated name is matched in turn.
    let mut targets: Vec<Option<&ColumnMap>> = vec![None; header.len()];
    let mut used = vec![false; m.columns.len()];
    for (i, h) in header.iter().enumerate() {
        let hit = m
            .columns
            .iter()
            .enumerate()
            .find(|(j, c)| !used[*j] && normalise_name(&c.column) == normalise_name(h));
        if let Some((j, c)) = hit {
            used[j] = true;
            targets[i] = Some(c);
        }
    }
    if let Some((_, c)) = m.columns.iter().enumerate().find(|(j, _)| !used[*j]) {
        return Err(format!(
            "the mapping names the column \"{}\", which the file does not have; remove it from the \
             mapping or correct its name",
            c.column
        ));
    }
    let has = |f: Field| m.columns.iter().any(|c| c.target == Target::Field(f));
    let table_needed = m
        .columns
        .iter()
        .any(|c| matches!(c.target, Target::Field(_) | Target::Option(_)));
    if table_needed && layout.table().is_none() {
        return Err(format!(
            "storeshift maps fields onto the {} only through its own column names: write \
             column:NAME for each column (fields and options map onto WooCommerce and Shopify \
             products, WooCommerce and Shopify customers, and Shopify orders)",
            layout.describe()
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    let mut virtuals: Vec<(String, Virtual)> = vec![];
    let mut notes: Vec<Note> = vec![];
    let mut options = 0usize;
    let woo = layout.platform == Platform::WooCommerce;
    let shopify = layout.platform == Platform::Shopify;
    let mut title_col: Option<usize> = None;
    for (i, h) in header.iter().enumerate() {
        let target = targets[i].map(|c| c.target.clone()).unwrap_or_else(|| {
            notes.push(Note {
                column: h.clone(),
                kept: layout.keeps_attributes(),
                message: format!(
                    "\"{h}\" is not in the mapping ({by}); it was {}",
                    if layout.keeps_attributes() {
                        "kept as an attribute"
                    } else {
                        "left out"
                    }
                ),
            });
            if layout.keeps_attributes() {
                Target::Attribute
            } else {
                Target::Ignore
            }
        });
        let attribute = |names: &mut Vec<String>, notes: &mut Vec<Note>, why: Option<String>| {
            if layout.keeps_attributes() {
                names.push(if woo {
                    format!("Meta: {h}")
                } else {
                    format!("{h} (product.metafields.custom.{})", metafield_key(h, i))
                });
                if let Some(why) = why {
                    notes.push(Note {
                        column: h.clone(),
                        kept: true,
                        message: format!("\"{h}\" is kept as an attribute: {why}"),
                    });
                }
            } else {
                names.push(ignored_name(i));
                notes.push(Note {
                    column: h.clone(),
                    kept: false,
                    message: format!(
                        "\"{h}\" is not read: {}",
                        why.unwrap_or_else(|| format!(
                            "storeshift keeps no extra attributes for {}",
                            layout.entity
                        ))
                    ),
                });
            }
        };
        match target {
            Target::Ignore => {
                names.push(ignored_name(i));
                if targets[i].is_some() {
                    notes.push(Note {
                        column: h.clone(),
                        kept: false,
                        message: format!("\"{h}\" is ignored by the mapping ({by})"),
                    });
                }
            }
            Target::Column(c) => names.push(c),
            Target::Attribute => attribute(&mut names, &mut notes, None),
            Target::Option(name) => {
                let name = name.unwrap_or_else(|| h.clone());
                options += 1;
                if layout.entity != Entity::Products {
                    attribute(
                        &mut names,
                        &mut notes,
                        Some("only products have options".to_string()),
                    );
                } else if woo {
                    names.push(format!("Attribute {options} value(s)"));
                    virtuals.push((format!("Attribute {options} name"), Virtual::Constant(name)));
                } else if shopify && options <= 3 {
                    names.push(format!("Option{options} Value"));
                    virtuals.push((format!("Option{options} Name"), Virtual::Constant(name)));
                } else {
                    attribute(
                        &mut names,
                        &mut notes,
                        Some(format!("{} takes at most 3 options", layout.platform)),
                    );
                }
            }
            Target::Field(f) => {
                if !f.fits(layout.entity) {
                    return Err(format!(
                        "the column \"{h}\" is mapped to {}, a field of {}, in a {} file",
                        f.key(),
                        f.entity(),
                        layout.entity
                    ));
                }
                let col = match (layout.platform, f) {
                    (Platform::WooCommerce, Field::VariantPrice)
                        if has(Field::VariantCompareAtPrice) =>
                    {
                        Some("Sale price".to_string())
                    }
                    (Platform::WooCommerce, Field::VariantWeight) => {
                        let unit = weight_unit_of(h).unwrap_or(crate::model::WeightUnit::Kg);
                        let label = match unit {
                            crate::model::WeightUnit::Lb => "lbs",
                            other => other.key(),
                        };
                        Some(format!("Weight ({label})"))
                    }
                    (Platform::WooCommerce, Field::ProductParent) => {
                        names.push(ignored_name(i));
                        virtuals.push(("Parent".to_string(), Virtual::IdRef(i)));
                        continue;
                    }
                    (Platform::Shopify, Field::VariantWeight)
                        if weight_unit_of(h).is_some_and(|u| u != crate::model::WeightUnit::G) =>
                    {
                        attribute(
                            &mut names,
                            &mut notes,
                            Some(
                                "Shopify's product CSV holds weights in grams and this column's \
                                 unit is another; map the file as woocommerce to read it as a weight"
                                    .to_string(),
                            ),
                        );
                        continue;
                    }
                    _ => layout.column(f).map(str::to_string),
                };
                if f == Field::ProductTitle {
                    title_col = Some(i);
                }
                match col {
                    Some(c) => names.push(c),
                    None => attribute(
                        &mut names,
                        &mut notes,
                        Some(format!(
                            "the {} has no column for {}",
                            layout.describe(),
                            f.key()
                        )),
                    ),
                }
            }
        }
    }
    // Two columns given one name: the reader would take the first and drop the second.
    for (i, n) in names.iter().enumerate() {
        if let Some(j) = names[..i]
            .iter()
            .position(|o| normalise_name(o) == normalise_name(n))
        {
            return Err(format!(
                "the columns \"{}\" and \"{}\" both become \"{n}\"; map one of them to another field \
                 (or to attribute or ignore)",
                header[j], header[i]
            ));
        }
    }
    let present = |name: &str| {
        names
            .iter()
            .any(|n| normalise_name(n) == normalise_name(name))
            || virtuals
                .iter()
                .any(|(n, _)| normalise_name(n) == normalise_name(name))
    };
    // Columns the layout's reader needs that a file may lack, and what stands in for them.
    match (layout.platform, layout.entity) {
        (Platform::WooCommerce, Entity::Products) => {
            if !present("Name") {
                return Err("no column is mapped to product.title; a product needs a name".into());
            }
            if !present("Type") {
                // Every row a product, or a variation where it names a parent.
                virtuals.push(("Type".into(), Virtual::Constant(String::new())));
            }
        }
        (Platform::WooCommerce, Entity::Customers) => {
            if !present("email") {
                return Err("no column is mapped to customer.email".into());
            }
            if !present("customer_id") {
                virtuals.push(("customer_id".into(), Virtual::Constant(String::new())));
            }
        }
        (Platform::Shopify, Entity::Products) => {
            if !present("Title") {
                return Err("no column is mapped to product.title; a product needs a title".into());
            }
            if !present("Handle") {
                // Rows of one product share its title; the title stands in for the handle.
                if let Some(t) = title_col {
                    virtuals.push(("Handle".into(), Virtual::Copy(t)));
                }
            }
        }
        (Platform::Shopify, Entity::Customers) if !present("Email") => {
            return Err("no column is mapped to customer.email".into());
        }
        (Platform::Shopify, Entity::Orders) => {
            if !present("Name") {
                return Err("no column is mapped to order.number".into());
            }
            if !present("Lineitem name") {
                virtuals.push(("Lineitem name".into(), Virtual::Constant(String::new())));
            }
        }
        _ => {}
    }
    Ok(Resolved {
        header: MappedHeader {
            source: header.to_vec(),
            names,
            virtuals,
            by: by.to_string(),
        },
        notes,
    })
}

/// A metafield key for a column kept as a Shopify product attribute.
fn metafield_key(name: &str, i: usize) -> String {
    let k: String = fields::fold(name).replace(' ', "_");
    if k.is_empty() {
        format!("column_{}", i + 1)
    } else {
        k
    }
}
