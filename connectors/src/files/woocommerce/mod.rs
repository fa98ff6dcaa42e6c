//! WooCommerce export and import files.
//!
//! - products: the CSV of WooCommerce's built-in product exporter/importer
//!   (Products > Export), see [`products`].
//! - customers and orders: WooCommerce has no built-in CSV for these; the layout read and
//!   written is the "default" format of the widely used Customer/Order/Coupon Export
//!   extension, see [`customers`] and [`orders`].
//! - pages: a WP All Export-style CSV of WordPress pages, see [`pages`].
//! - categories: no file of their own; the tree is read from the product file's paths, see
//!   [`categories`].
//!
//! A source path may be a directory (every `*.csv`, `*.tsv`, `*.txt` and spreadsheet file in
//! it is recognised by its header) or a single file; `files = { products = "..." }` in the spec
//! overrides recognition per entity.

pub mod categories;
pub mod customers;
pub mod l10n;
pub mod layout;
pub mod orders;
pub mod pages;
pub mod products;
#[cfg(test)]
mod proptests;
mod scan;

use super::table::{Row, RowCursor, TableFile};
use super::{EntityReader, EntityWriter, FileSource};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage};
use crate::files::dates::{Clock, DateReader};
use crate::finding::Finding;
use crate::model::{Entity, Platform, Record, Timestamp, WeightUnit};
use crate::platform;
use crate::spec::EndpointSpec;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File types looked at in a source directory.
const EXPORT_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods"];

/// Which entity an export file holds, judged by its header.
pub fn recognise(table: &TableFile) -> Option<Entity> {
    let h = table.header();
    if h.has("order_id") || (h.has("order_number") && h.has("order_total")) {
        Some(Entity::Orders)
    } else if h.has("customer_id") && (h.has("email") || h.has("billing_email")) {
        Some(Entity::Customers)
    } else if (h.has("Type")
        && h.has("Name")
        // WooCommerce's importer takes a file of names and attributes alone; its
        // "Attribute N value(s)" column is its own.
        && (h.has("SKU") || h.has("Regular price") || h.has("Attribute 1 value(s)")))
        || is_partial_product_file(h.names())
    {
        Some(Entity::Products)
    } else if h.has("Title") && h.has("Content") && !h.has("SKU") && !h.has("Product Type") {
        // WP All Export's product exports have Title and Content too.
        Some(Entity::Pages)
    } else {
        None
    }
}

/// A file of some of the exporter's own columns, with a name or an SKU to tell its products
/// apart: WooCommerce's importer takes any subset of the columns (an update file of `ID, SKU`
/// or `Name, SKU, Regular price`), defaulting `Type` to simple.
pub fn is_partial_product_file(names: &[String]) -> bool {
    let english: Vec<Option<&str>> = names
        .iter()
        .map(|c| l10n::is_english_column(c).then_some(c.as_str()))
        .collect();
    l10n::is_partial_file(&english)
}

/// Opens one WooCommerce export file: its exporter's guard comes off every cell.
pub fn open_table(file: &Path, encoding: Option<&str>) -> Result<TableFile> {
    Ok(TableFile::open(file, encoding)?.with_guard(Some(platform::woocommerce::EXPORT_GUARD)))
}

/// Opens a WooCommerce export directory or file as a source.
pub fn open_source(spec: &EndpointSpec, base: &Path) -> Result<FileSource> {
    let (readers, description) = readers(spec, base)?;
    Ok(FileSource::new(Platform::WooCommerce, description, readers))
}

/// The readers of a WooCommerce export directory or file, and the source's description.
pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<(Vec<Box<dyn EntityReader>>, String)> {
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
                            EXPORT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
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
            let table = open_table(&file, encoding)?;
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
        let table = open_table(&file, encoding)?;
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
    let zone = spec.zone()?;
    let mut readers: Vec<Box<dyn EntityReader>> = vec![];
    let mut names = vec![];
    for (entity, (file, table)) in found {
        names.push(format!("{entity}: {}", file.display()));
        let reader: Box<dyn EntityReader> = match entity {
            Entity::Products => {
                if table.header().has("Categories") {
                    let again = open_table(&file, encoding)?;
                    readers.push(Box::new(categories::CategoryReader::new(again)?));
                }
                Box::new(products::ProductReader::new(table, &currency)?)
            }
            Entity::Customers => Box::new(customers::reader(table, zone)?),
            Entity::Orders => Box::new(orders::reader(table, &currency, zone)?),
            Entity::Pages => Box::new(pages::reader(table, zone)?),
            other => {
                return Err(ConnectorError::Input(format!(
                    "WooCommerce files cannot hold {other}; remove it from `files`"
                )))
            }
        };
        readers.push(reader);
    }
    Ok((readers, format!("WooCommerce files ({})", names.join("; "))))
}

/// The writers of a WooCommerce import directory. The store's units come from the target's
/// options (`weight_unit` = "kg" | "g" | "lbs" | "oz", `dimension_unit` = "cm" | "m" | "mm" |
/// "in" | "yd"; WooCommerce's defaults kg and cm otherwise): its importer reads numbers in the
/// store's own units whatever the header says.
pub fn writers(spec: &EndpointSpec) -> Result<Vec<Box<dyn EntityWriter>>> {
    let option = |name: &str| {
        spec.options
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::trim)
    };
    let weight = match option("weight_unit") {
        None => WeightUnit::Kg,
        Some(u) => WeightUnit::parse(u).ok_or_else(|| {
            ConnectorError::Input(format!(
                "weight_unit \"{u}\" in the target options is not kg, g, lbs or oz"
            ))
        })?,
    };
    let dims = match option("dimension_unit") {
        None => "cm".to_string(),
        Some(u) if ["cm", "m", "mm", "in", "yd"].contains(&u) => u.to_string(),
        Some(u) => {
            return Err(ConnectorError::Input(format!(
                "dimension_unit \"{u}\" in the target options is not cm, m, mm, in or yd"
            )))
        }
    };
    Ok(vec![
        Box::new(categories::CategoryWriter::for_import()),
        Box::new(products::ProductWriter::new(false, weight, &dims, vec![])),
        Box::new(customers::CustomerWriter::for_import()),
        Box::new(orders::OrderWriter::for_import().in_zone(spec.zone()?)),
        Box::new(pages::PageWriter::for_import().in_zone(spec.zone()?)),
    ])
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
        // The exporter's guard is not data, however the file was opened.
        let table = table.with_guard(Some(platform::woocommerce::EXPORT_GUARD));
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

/// A cell read raw (the row layer had no chance to) as the exporter meant it: WooCommerce's
/// guard taken off (see [`platform::woocommerce::EXPORT_GUARD`]).
pub fn unescape(value: &str) -> &str {
    platform::woocommerce::EXPORT_GUARD.strip(value)
}

/// Splits a WooCommerce comma list ("A, B\, C" is two items: "A" and "B, C").
pub fn split_list(value: &str) -> Vec<String> {
    if !value.contains('\\') {
        return value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
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

/// The category paths of a Categories cell ("Clothing > Women, Salt &amp; Pepper"): items
/// split on unescaped commas, each split on `>` into names, and each name decoded from the
/// HTML escaping the exporter writes term names in ([`platform::woocommerce::term_name`],
/// woocommerce/woocommerce#21910). Splitting comes first: a name holding `>` is exported as
/// `&gt;` and stays one name.
pub fn category_paths(cell: &str) -> Vec<Vec<String>> {
    split_list(cell)
        .into_iter()
        .map(|item| {
            item.split('>')
                .map(|s| platform::woocommerce::term_name(s.trim()))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The names of a Tags cell, decoded like category names.
pub fn tag_names(cell: &str) -> Vec<String> {
    split_list(cell)
        .iter()
        .map(|t| platform::woocommerce::term_name(t))
        .collect()
}

/// A Categories cell WooCommerce's product importer reads back as `paths`. The importer
/// (`parse_categories_field`) splits on unescaped commas and on every `>`, then saves each name
/// through `wp_insert_term`, which HTML-escapes `&`, `<` and `>` without escaping an entity
/// twice. So names are written as typed, except that `>` (it would start a subcategory) and
/// `<` (the importer's tag stripping would eat what follows) go as `&gt;` and `&lt;`: the
/// importer stores those exactly as it stores a typed `>` or `<`.
pub fn categories_cell(paths: &[Vec<String>]) -> String {
    let joined: Vec<String> = paths
        .iter()
        .map(|path| {
            path.iter()
                .map(|name| name.replace('<', "&lt;").replace('>', "&gt;"))
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .collect();
    join_list(&joined)
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

pub fn escape_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\n') {
        return s.into();
    }
    s.replace("\r\n", "\n").replace('\n', "\\n").into()
}

/// The timestamp in a date cell; `clock` says whose clock a time without a zone is on (see
/// [`platform::woocommerce::ORDER_DATE_CLOCK`] and its neighbours).
pub fn date_field(
    dates: &DateReader,
    t: &TableFile,
    row: &Row,
    col: Option<usize>,
    clock: Clock,
    findings: &mut Vec<Finding>,
) -> Option<Timestamp> {
    dates.read(
        field(row, col),
        clock,
        || t.location(row.line, col.map(|c| t.header().name(c))),
        findings,
    )
}

/// A field, trimmed (the table layer has taken the exporter's guard off already).
pub fn field(row: &Row, col: Option<usize>) -> &str {
    crate::files::table::trim(row.get(col))
}

pub fn opt_field(row: &Row, col: Option<usize>) -> Option<String> {
    let v = field(row, col);
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::Source;
    use crate::synth::{SynthSpec, SynthStore};
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// File sources and targets never wait on anything: one poll finishes them.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    fn small_store(dir: &Path) {
        let spec = SynthSpec {
            products: 30,
            customers: 20,
            orders: 25,
            pages: 5,
            ..SynthSpec::demo()
        };
        SynthStore::new(spec).write_dir(dir).unwrap();
    }

    fn count(source: &mut dyn Source, entity: Entity) -> usize {
        let mut cursor = None;
        let mut n = 0;
        loop {
            let page = block_on(source.read_page(entity, cursor.as_ref(), 7)).unwrap();
            n += page.records.len();
            match page.next {
                Some(c) => cursor = Some(c),
                None => return n,
            }
        }
    }

    fn read_all(source: &mut dyn Source, entity: Entity) -> Vec<Record> {
        let mut cursor = None;
        let mut out = vec![];
        loop {
            let page = block_on(source.read_page(entity, cursor.as_ref(), 7)).unwrap();
            out.extend(page.records);
            match page.next {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    #[test]
    fn category_and_tag_names_come_unescaped_and_go_as_the_importer_reads_them() {
        // The exporter writes term names as WordPress stores them, HTML-escaped
        // (woocommerce/woocommerce#21910); a name holding `>` comes as `&gt;`.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("wc-product-export.csv"),
            "ID,Type,SKU,Name,Regular price,Categories,Tags\n\
             7,simple,SP-1,Grinder,9.50,\"Salt &amp; Pepper > Mills, Sizes &gt; 10 cm\",\"R&amp;D, Tom &amp; Jerry\"\n",
        )
        .unwrap();
        let spec = EndpointSpec::files(Platform::WooCommerce, dir.path().to_path_buf());
        let mut source = open_source(&spec, dir.path()).unwrap();
        let products = read_all(&mut source, Entity::Products);
        let Some(Record::Product(p)) = products.first() else {
            panic!("{products:?}");
        };
        assert_eq!(
            p.categories,
            vec![
                vec!["Salt & Pepper".to_string(), "Mills".to_string()],
                vec!["Sizes > 10 cm".to_string()],
            ]
        );
        assert_eq!(p.tags, ["R&D", "Tom & Jerry"]);
        let names: Vec<String> = read_all(&mut source, Entity::Categories)
            .into_iter()
            .filter_map(|r| match r {
                Record::Category(c) => c.path.last().cloned(),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["Salt & Pepper", "Mills", "Sizes > 10 cm"]);

        // Written back as typed, except what the importer would split or strip.
        assert_eq!(
            categories_cell(&p.categories),
            "Salt & Pepper > Mills, Sizes &gt; 10 cm"
        );
        assert_eq!(
            category_paths(&categories_cell(&[vec!["A <b>".into(), "C, D".into()]])),
            vec![vec!["A <b>".to_string(), "C, D".to_string()]]
        );
    }

    #[test]
    fn partial_files_of_the_exporters_columns_are_product_files() {
        fn names(cols: &[&str]) -> Vec<String> {
            cols.iter().map(|c| c.to_string()).collect()
        }
        // WooCommerce's own importer tests: an update file and a name/SKU/price file.
        assert!(is_partial_product_file(&names(&["ID", "SKU"])));
        assert!(is_partial_product_file(&names(&[
            "Name",
            "SKU",
            "Regular price"
        ])));
        // A hand-made sheet sharing a few words goes to the column mapping instead.
        assert!(!is_partial_product_file(&names(&[
            "product_id",
            "name",
            "price",
            "size",
            "color"
        ])));
        // Nothing to tell the products apart, or a single column.
        assert!(!is_partial_product_file(&names(&[
            "Regular price",
            "Stock"
        ])));
        assert!(!is_partial_product_file(&names(&["SKU"])));
    }

    #[test]
    fn a_directory_is_recognised_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        small_store(dir.path());
        // Files are recognised by header, not by name.
        std::fs::rename(
            dir.path().join("products.csv"),
            dir.path().join("wc-product-export-1-1-2025.csv"),
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.csv"), "just,some\nnotes,here\n").unwrap();
        let spec = EndpointSpec::files(Platform::WooCommerce, dir.path());
        let mut source = crate::files::open_source(&spec, Path::new("/")).unwrap();
        assert_eq!(
            source.entities(),
            vec![
                Entity::Categories,
                Entity::Products,
                Entity::Customers,
                Entity::Orders,
                Entity::Pages
            ]
        );
        assert_eq!(count(source.as_mut(), Entity::Products), 30);
        assert_eq!(count(source.as_mut(), Entity::Customers), 20);
        assert_eq!(count(source.as_mut(), Entity::Orders), 25);
        assert_eq!(count(source.as_mut(), Entity::Pages), 5);
        assert!(
            source.describe().contains("wc-product-export-1-1-2025.csv"),
            "{}",
            source.describe()
        );
    }

    #[test]
    fn two_files_of_one_kind_need_an_explicit_choice() {
        let dir = tempfile::tempdir().unwrap();
        small_store(dir.path());
        std::fs::copy(
            dir.path().join("orders.csv"),
            dir.path().join("orders-old.csv"),
        )
        .unwrap();
        let mut spec = EndpointSpec::files(Platform::WooCommerce, dir.path());
        let err = crate::files::open_source(&spec, Path::new("/"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("orders-old.csv") && err.contains("files = { orders"),
            "{err}"
        );
        spec.files.insert(Entity::Orders, "orders-old.csv".into());
        let mut source = crate::files::open_source(&spec, dir.path()).unwrap();
        assert_eq!(count(source.as_mut(), Entity::Orders), 25);
    }

    #[test]
    fn a_single_file_path_is_read_as_its_entity() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/real/woocommerce/sample_products.csv");
        let spec = EndpointSpec::files(Platform::WooCommerce, &sample);
        let mut source = crate::files::open_source(&spec, Path::new("/")).unwrap();
        assert_eq!(
            source.entities(),
            vec![Entity::Categories, Entity::Products]
        );
        // Clothing, Clothing > Tshirts, Clothing > Hoodies, Clothing > Accessories, Music, Decor
        assert_eq!(count(source.as_mut(), Entity::Categories), 6);
        assert_eq!(count(source.as_mut(), Entity::Products), 18);
        let missing = EndpointSpec::files(Platform::WooCommerce, "/nonexistent/export");
        let err = crate::files::open_source(&missing, Path::new("/"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("/nonexistent/export") && err.contains("does not exist"),
            "{err}"
        );
    }

    #[test]
    fn the_target_writes_in_the_units_its_options_name() {
        let out = tempfile::tempdir().unwrap();
        let mut spec = EndpointSpec::files(Platform::WooCommerce, out.path());
        spec.options.insert("weight_unit".into(), "lbs".into());
        spec.options.insert("dimension_unit".into(), "in".into());
        let mut target = crate::files::open_target(&spec, Path::new("/"), out.path()).unwrap();
        let store = SynthStore::new(SynthSpec {
            products: 3,
            ..SynthSpec::demo()
        });
        let records: Vec<Record> = store.products().map(Record::Product).collect();
        block_on(target.write_batch(Entity::Products, &records)).unwrap();
        block_on(target.finish(Entity::Products)).unwrap();
        let text = std::fs::read_to_string(out.path().join("products.csv")).unwrap();
        let header = text.lines().next().unwrap();
        assert!(
            header.contains("Weight (lbs)") && header.contains("Length (in)"),
            "{header}"
        );

        spec.options.insert("weight_unit".into(), "stone".into());
        let err = crate::files::open_target(&spec, Path::new("/"), out.path())
            .err()
            .unwrap();
        assert!(err.to_string().contains("stone"), "{err}");
    }

    #[test]
    fn a_folder_without_exports_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.csv"), "a,b\n1,2\n").unwrap();
        let spec = EndpointSpec::files(Platform::WooCommerce, dir.path());
        let err = crate::files::open_source(&spec, Path::new("/"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("notes.csv") && err.contains("product export"),
            "{err}"
        );
    }

    #[test]
    fn the_target_writes_import_files_that_read_back() {
        let dir = tempfile::tempdir().unwrap();
        small_store(dir.path());
        let spec = EndpointSpec::files(Platform::WooCommerce, dir.path());
        let mut source = crate::files::open_source(&spec, Path::new("/")).unwrap();
        let out = tempfile::tempdir().unwrap();
        let target_spec = EndpointSpec::files(Platform::WooCommerce, out.path());
        let mut target =
            crate::files::open_target(&target_spec, Path::new("/"), out.path()).unwrap();
        for entity in [Entity::Categories, Entity::Products, Entity::Customers] {
            let page = block_on(source.read_page(entity, None, 1000)).unwrap();
            let outcomes = block_on(target.write_batch(entity, &page.records)).unwrap();
            assert!(outcomes
                .iter()
                .all(|o| matches!(o, crate::connector::WriteOutcome::Created { .. })));
            block_on(target.finish(entity)).unwrap();
        }
        let mut again = crate::files::open_source(&target_spec, Path::new("/")).unwrap();
        assert_eq!(count(again.as_mut(), Entity::Products), 30);
        assert_eq!(count(again.as_mut(), Entity::Customers), 20);
        // Import files carry no WooCommerce ids: they would clash in the new store.
        let text = std::fs::read_to_string(out.path().join("products.csv")).unwrap();
        assert!(
            text.lines().skip(1).all(|l| l.starts_with(',')),
            "ID column is empty"
        );
    }

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
    fn the_exporters_guard_comes_off_raw_cells() {
        assert_eq!(unescape("'-1"), "-1");
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
