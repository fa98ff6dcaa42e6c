//! WooCommerce export and import files.
//!
//! - products: the CSV of WooCommerce's built-in product exporter/importer
//!   (Products > Export), see [`products`].
//! - customers and orders: WooCommerce has no built-in CSV for these; the layout read and
//!   written is the "default" format of the widely used Customer/Order/Coupon Export
//!   extension, see [`customers`] and [`orders`].
//! - pages: a WP All Export-style CSV of WordPress pages, see [`pages`].
//!
//! A source path may be a directory (every `*.csv`, `*.tsv` and `*.txt` file in it is
//! recognised by its header) or a single file; `files = { products = "..." }` in the spec
//! overrides recognition per entity.

pub mod customers;
pub mod orders;
pub mod pages;
pub mod products;

use super::table::{Row, RowCursor, TableFile};
use super::{EntityReader, EntityWriter, FileSource};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage};
use crate::finding::Finding;
use crate::model::{Entity, Platform, Record};
use crate::spec::EndpointSpec;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which entity an export file holds, judged by its header.
pub fn recognise(table: &TableFile) -> Option<Entity> {
    let h = table.header();
    if h.has("order_id") || (h.has("order_number") && h.has("order_total")) {
        Some(Entity::Orders)
    } else if h.has("customer_id") && (h.has("email") || h.has("billing_email")) {
        Some(Entity::Customers)
    } else if h.has("Type") && h.has("Name") && (h.has("SKU") || h.has("Regular price")) {
        Some(Entity::Products)
    } else if h.has("Title") && h.has("Content") {
        Some(Entity::Pages)
    } else {
        None
    }
}

/// Opens a WooCommerce export directory or file as a source.
pub fn open_source(spec: &EndpointSpec, base: &Path) -> Result<FileSource> {
    let encoding = spec.encoding.as_deref();
    let mut found: BTreeMap<Entity, (PathBuf, TableFile)> = BTreeMap::new();
    let mut ignored = vec![];

    if let Some(path) = spec.resolved_path(base) {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| ConnectorError::Input(format!("cannot list {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            ["csv", "tsv", "txt"].contains(&e.to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            v.sort();
            v
        } else if path.is_file() {
            vec![path.clone()]
        } else {
            return Err(ConnectorError::Input(format!(
                "{} does not exist; set `path` of the source to the folder of WooCommerce export files",
                path.display()
            )));
        };
        for file in files {
            if spec.files.values().any(|p| {
                (if p.is_absolute() {
                    p.clone()
                } else {
                    base.join(p)
                }) == file
            }) {
                continue;
            }
            let table = TableFile::open(&file, encoding)?;
            match recognise(&table) {
                Some(entity) if spec.files.contains_key(&entity) => ignored.push(file),
                Some(entity) => {
                    if let Some((other, _)) = found.get(&entity) {
                        return Err(ConnectorError::Input(format!(
                            "both {} and {} look like WooCommerce {entity} exports; name the one to use \
                             with `files = {{ {entity} = \"...\" }}` in the source section",
                            other.display(),
                            file.display()
                        )));
                    }
                    found.insert(entity, (file, table));
                }
                None => ignored.push(file),
            }
        }
    }
    for (entity, p) in &spec.files {
        let file = if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        };
        let table = TableFile::open(&file, encoding)?;
        found.insert(*entity, (file, table));
    }
    if found.is_empty() {
        return Err(ConnectorError::Input(format!(
            "no WooCommerce export file found in {}{}; expected a product export (Products > Export), \
             customers/orders from Customer/Order/Coupon Export, or a pages CSV",
            spec.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            if ignored.is_empty() {
                String::new()
            } else {
                format!(
                    " (not recognised: {})",
                    ignored.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                )
            }
        )));
    }

    let currency = spec.currency().to_string();
    let mut readers: Vec<Box<dyn EntityReader>> = vec![];
    let mut names = vec![];
    for (entity, (file, table)) in found {
        names.push(format!("{entity}: {}", file.display()));
        let reader: Box<dyn EntityReader> = match entity {
            Entity::Products => Box::new(products::ProductReader::new(table, &currency)?),
            Entity::Customers => Box::new(customers::reader(table)?),
            Entity::Orders => Box::new(orders::reader(table, &currency)?),
            Entity::Pages => Box::new(pages::reader(table)?),
            other => {
                return Err(ConnectorError::Input(format!(
                    "WooCommerce files cannot hold {other}; remove it from `files`"
                )))
            }
        };
        readers.push(reader);
    }
    Ok(FileSource::new(
        Platform::WooCommerce,
        format!("WooCommerce files ({})", names.join("; ")),
        readers,
    ))
}

/// The writers of a WooCommerce import directory.
pub fn writers() -> Vec<Box<dyn EntityWriter>> {
    vec![
        Box::new(products::ProductWriter::for_import()),
        Box::new(customers::CustomerWriter),
        Box::new(orders::OrderWriter),
        Box::new(pages::PageWriter),
    ]
}

/// Maps one row to one record (customers, orders, pages: one row each).
pub type RowMapper = Box<dyn FnMut(&TableFile, &Row, &mut Vec<Finding>) -> Option<Record> + Send>;

/// A reader of files with one record per row.
pub struct RowReader {
    entity: Entity,
    table: TableFile,
    map: RowMapper,
}

impl RowReader {
    pub fn new(entity: Entity, table: TableFile, map: RowMapper) -> RowReader {
        RowReader { entity, table, map }
    }
}

impl EntityReader for RowReader {
    fn entity(&self) -> Entity {
        self.entity
    }

    fn describe(&self) -> String {
        self.table.display().to_string()
    }

    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage> {
        let start = match cursor {
            Some(c) => RowCursor::from_json(self.table.display(), c)?,
            None => self.table.start(),
        };
        let mut rows = self.table.rows_from(start)?;
        let mut page = SourcePage::default();
        let mut row = Row::default();
        let mut produced = start.records;
        while page.records.len() < limit.max(1) {
            if !rows.next_into(&mut row)? {
                break;
            }
            if row.is_blank() {
                continue;
            }
            page.findings.extend(self.table.check_width(&row));
            if let Some(rec) = (self.map)(&self.table, &row, &mut page.findings) {
                page.records.push(rec);
                produced += 1;
            }
        }
        if !rows.at_end() {
            let mut next = rows.position();
            next.records = produced;
            page.next = Some(next.to_json());
        }
        Ok(page)
    }
}

/// WooCommerce prefixes values starting with = + - @ with `'` so spreadsheets do not run them
/// as formulas; the importer strips it again.
pub fn unescape(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

/// The exporter's side of [`unescape`].
pub fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// Splits a WooCommerce comma list ("A, B\, C" is two items: "A" and "B, C").
pub fn split_list(value: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => {
                let t = cur.trim();
                if !t.is_empty() {
                    out.push(t.to_string());
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    let t = cur.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
    out
}

/// Joins items into a WooCommerce comma list, escaping commas inside items.
pub fn join_list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&it.as_ref().replace(',', "\\,"));
    }
    out
}

/// WordPress stores non-ASCII slugs percent-encoded (`kad%c4%b1n`); decode them when valid.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Literal `\n` in exported text fields stands for a line break.
pub fn unescape_newlines(s: &str) -> String {
    s.replace("\\n", "\n")
}

pub fn escape_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\\n")
}

/// A field as the exporter meant it: formula escape removed.
pub fn field(row: &Row, col: Option<usize>) -> &str {
    unescape(row.get(col).trim())
}

pub fn opt_field(row: &Row, col: Option<usize>) -> Option<String> {
    let v = field(row, col);
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_escaped_commas() {
        assert_eq!(
            split_list("Clothing > Tshirts, Sale\\, 50%"),
            vec!["Clothing > Tshirts", "Sale, 50%"]
        );
        assert_eq!(join_list(&["a, b", "c"]), "a\\, b, c");
        assert_eq!(split_list(&join_list(&["a, b", "c"])), vec!["a, b", "c"]);
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn formula_escape_round_trips() {
        assert_eq!(unescape(&escape("-1")), "-1");
        assert_eq!(unescape("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unescape("'quoted"), "'quoted");
    }

    #[test]
    fn slugs_are_percent_decoded() {
        assert_eq!(percent_decode("kad%c4%b1n-kazak"), "kadın-kazak");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
