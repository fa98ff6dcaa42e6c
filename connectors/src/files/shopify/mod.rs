//! Shopify's own import/export files, read and written through the canonical model:
//! products (both product CSV header generations), customers, URL redirects, orders (in the
//! Matrixify "Orders" layout, Shopify having no native order import), and pages / blog posts as
//! JSON lines (Shopify has no CSV for them; JSON lines of the canonical model lose nothing).

mod collections;
mod content;
mod csvin;
mod customers;
pub mod layout;
mod orders;
mod products;
mod redirects;
#[cfg(test)]
mod tests;

pub use collections::{CollectionReader, CollectionWriter, COLLECTION_HEADER};
pub use content::{BlogPostReader, BlogPostWriter, PageReader, PageWriter};
pub use customers::{CustomerReader, CustomerWriter, CUSTOMER_HEADER};
pub use orders::{OrderReader, OrderWriter};
pub use products::{ProductReader, ProductWriter, PRODUCT_HEADER};
pub use redirects::{RedirectReader, RedirectWriter};

use crate::connector::{ConnectorError, Result, SourcePage};
use crate::files::{EntityReader, EntityWriter};
use crate::model::{Entity, Money};
use crate::spec::EndpointSpec;
use csvin::{CsvIn, Pos};
use std::path::{Path, PathBuf};

/// The writers of a Shopify file target: one file per entity in the output directory.
pub fn writers(spec: &EndpointSpec) -> Result<Vec<Box<dyn EntityWriter>>> {
    let metafields = metafield_option(spec)?;
    let currency = spec.currency.clone();
    Ok(vec![
        Box::new(CollectionWriter::new()),
        Box::new(ProductWriter::new(metafields, currency.clone())),
        Box::new(CustomerWriter::new()),
        Box::new(OrderWriter::new().in_zone(spec.zone()?)),
        Box::new(RedirectWriter::new()),
        Box::new(PageWriter::new()),
        Box::new(BlogPostWriter::new()),
    ])
}

/// `options.metafields = ["custom.material", "Care (custom.care)"]`: the product metafields that
/// get their own column in products.csv.
fn metafield_option(spec: &EndpointSpec) -> Result<Vec<String>> {
    let Some(value) = spec.options.get("metafields") else {
        return Ok(Vec::new());
    };
    let bad = || {
        ConnectorError::Input(
            "options.metafields must be a list of \"namespace.key\" strings, e.g. metafields = [\"custom.material\"]"
                .to_string(),
        )
    };
    let list = value.as_array().ok_or_else(bad)?;
    let mut out = Vec::new();
    for v in list {
        let decl = v.as_str().ok_or_else(bad)?;
        if !products::valid_metafield_declaration(decl) {
            return Err(ConnectorError::Input(format!(
                "options.metafields has \"{decl}\", which is not a metafield: write \"namespace.key\" \
                 (letters, digits, _ and -), e.g. \"custom.material\""
            )));
        }
        out.push(decl.to_string());
    }
    Ok(out)
}

/// The readers of a Shopify file source: `spec.files` per entity, else every CSV / JSONL file in
/// `spec.path` (a directory or one file), recognised by its header or name.
pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    let currency = spec.currency().to_string();
    let zone = spec.zone()?;
    let mut found: Vec<(Entity, PathBuf)> = Vec::new();
    for (entity, path) in &spec.files {
        let path = if path.is_absolute() {
            path.clone()
        } else {
            base.join(path)
        };
        found.push((*entity, path));
    }
    if let Some(root) = spec.resolved_path(base) {
        let files: Vec<PathBuf> = if root.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
                .map_err(|e| ConnectorError::Input(format!("cannot list {}: {e}", root.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            v.sort();
            v
        } else if root.is_file() {
            vec![root.clone()]
        } else {
            return Err(ConnectorError::Input(format!(
                "{} does not exist: set `path` to the folder holding the Shopify export files",
                root.display()
            )));
        };
        for path in files {
            if let Some(entity) = recognise(&path, spec.encoding.as_deref()) {
                if found.iter().any(|(e, _)| *e == entity) {
                    if spec.files.contains_key(&entity) {
                        continue;
                    }
                    return Err(ConnectorError::Input(format!(
                        "two files look like Shopify {entity}: {} and {}; name the one to read with \
                         `files.{} = \"...\"`",
                        found.iter().find(|(e, _)| *e == entity).map(|(_, p)| p.display().to_string()).unwrap_or_default(),
                        path.display(),
                        entity.key()
                    )));
                }
                found.push((entity, path));
            }
        }
    }
    if found.is_empty() {
        return Err(ConnectorError::Input(
            "no Shopify export file was found: point `path` at the folder with products_export.csv, \
             customers_export.csv, ... or name them under [source.files]"
                .to_string(),
        ));
    }
    let mut out: Vec<Box<dyn EntityReader>> = Vec::new();
    for (entity, path) in found {
        let reader: Box<dyn EntityReader> = match entity {
            Entity::Products => Box::new(
                ProductReader::new(path, currency.clone()).with_encoding(spec.encoding.clone()),
            ),
            Entity::Customers => {
                Box::new(CustomerReader::new(path).with_encoding(spec.encoding.clone()))
            }
            Entity::Orders => Box::new(
                OrderReader::new(path, currency.clone())
                    .with_encoding(spec.encoding.clone())
                    .with_zone(zone),
            ),
            Entity::Redirects => {
                Box::new(RedirectReader::new(path).with_encoding(spec.encoding.clone()))
            }
            Entity::Pages => Box::new(PageReader::new(path)),
            Entity::BlogPosts => Box::new(BlogPostReader::new(path)),
            Entity::Categories => {
                Box::new(CollectionReader::new(path).with_encoding(spec.encoding.clone()))
            }
        };
        out.push(reader);
    }
    Ok(out)
}

/// Which Shopify file this is, by its header (CSV) or name (JSON lines).
pub fn recognise(path: &Path, encoding: Option<&str>) -> Option<Entity> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".jsonl") {
        return if name.contains("blog") || name.contains("article") {
            Some(Entity::BlogPosts)
        } else if name.contains("page") {
            Some(Entity::Pages)
        } else {
            None
        };
    }
    if !name.ends_with(".csv") {
        return None;
    }
    let input = CsvIn::open(path, encoding).ok()?;
    let has = |n: &str| input.column(&[n]).is_some();
    if has("Handle") && (has("Must Match") || has("Rule: Product Column")) {
        // Checked before products: a collections sheet also has Handle and Title.
        Some(Entity::Categories)
    } else if (has("Handle") || has("URL handle")) && has("Title") {
        Some(Entity::Products)
    } else if has("Redirect from") && has("Redirect to") {
        Some(Entity::Redirects)
    } else if has("Line: Type") || (has("Name") && (has("Line: Title") || has("Lineitem name"))) {
        Some(Entity::Orders)
    } else if has("Email") && (has("First Name") || has("Accepts Email Marketing")) {
        Some(Entity::Customers)
    } else {
        None
    }
}

/// How one file's rows become records. Implemented per entity; [`CsvReader`] adds cursors.
pub(crate) trait Assemble: Send + Sized {
    /// Checks the header and prepares column lookups.
    fn start(input: &CsvIn, currency: &str) -> Result<Self>;
    /// The store's zone, for times the file writes without one (only readers with dates care).
    fn set_zone(&mut self, _zone: Option<crate::model::Zone>) {}
    /// The next record, or `None` at the end of the file.
    fn next(
        &mut self,
        input: &mut CsvIn,
        findings: &mut Vec<crate::Finding>,
    ) -> Result<Option<crate::model::Record>>;
    /// Where the next record starts (a row read ahead belongs to the next record).
    fn resume_point(&self, input: &CsvIn) -> Pos;
}

/// A resumable reader over one CSV file. The cursor is `{"offset": bytes, "line": n}` of the
/// first row of the next record.
pub(crate) struct CsvReader<A: Assemble> {
    entity: Entity,
    path: PathBuf,
    currency: String,
    encoding: Option<String>,
    zone: Option<crate::model::Zone>,
    state: Option<(CsvIn, A)>,
    done: bool,
}

impl<A: Assemble> CsvReader<A> {
    pub fn new(entity: Entity, path: PathBuf, currency: String) -> Self {
        CsvReader {
            entity,
            path,
            currency,
            encoding: None,
            zone: None,
            state: None,
            done: false,
        }
    }

    /// The store's zone, for times the file writes without one.
    pub fn with_zone(mut self, zone: Option<crate::model::Zone>) -> Self {
        self.zone = zone;
        self
    }

    /// The encoding to assume when the file has no BOM and does not look like UTF-8.
    pub fn with_encoding(mut self, encoding: Option<String>) -> Self {
        self.encoding = encoding;
        self
    }

    fn open_at(&mut self, want: Option<Pos>) -> Result<()> {
        let input = CsvIn::open(&self.path, self.encoding.as_deref())?;
        let mut assembler = A::start(&input, &self.currency)?;
        assembler.set_zone(self.zone);
        let mut state = (input, assembler);
        self.done = false;
        if let Some(want) = want {
            if want.offset > state.0.len() {
                return Err(ConnectorError::Input(format!(
                    "{} is shorter ({} bytes) than where reading stopped ({} bytes): the file was replaced \
                     since the run started; run again with --restart",
                    state.0.label,
                    state.0.len(),
                    want.offset
                )));
            }
            let mut ignored = Vec::new();
            while state.1.resume_point(&state.0).offset < want.offset {
                ignored.clear();
                if state.1.next(&mut state.0, &mut ignored)?.is_none() {
                    break;
                }
            }
            let at = state.1.resume_point(&state.0);
            if at != want {
                return Err(ConnectorError::Input(format!(
                    "{}: reading stopped at line {} (byte {}) but no record starts there now: the file \
                     changed since the run started; run again with --restart",
                    state.0.label, want.line, want.offset
                )));
            }
        }
        self.state = Some(state);
        Ok(())
    }
}

impl<A: Assemble> EntityReader for CsvReader<A> {
    fn entity(&self) -> Entity {
        self.entity
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn read_page(&mut self, cursor: Option<&crate::Cursor>, limit: usize) -> Result<SourcePage> {
        let label = self.path.display().to_string();
        let want = cursor.map(|c| Pos::from_cursor(c, &label)).transpose()?;
        let in_place = match (&self.state, want) {
            (Some((input, a)), Some(w)) => a.resume_point(input) == w,
            _ => false,
        };
        if !in_place {
            self.open_at(want)?;
        }
        let mut page = SourcePage {
            records: Vec::with_capacity(limit.clamp(1, 4096)),
            ..SourcePage::default()
        };
        let Some((input, assembler)) = self.state.as_mut() else {
            return Ok(page);
        };
        if self.done {
            return Ok(page);
        }
        while page.records.len() < limit.max(1) {
            match assembler.next(input, &mut page.findings)? {
                Some(r) => page.records.push(r),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        if !self.done {
            page.next = Some(assembler.resume_point(input).to_cursor());
        }
        Ok(page)
    }
}

/// Appends CSV rows (comma separated, `\n` ended, quoted only where needed) to a buffer.
#[derive(Default)]
pub(crate) struct CsvOut;

impl CsvOut {
    pub fn new() -> Self {
        CsvOut
    }

    pub fn row<I, T>(&mut self, fields: I, out: &mut Vec<u8>)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            crate::files::table::push_field(out, f.as_ref(), b',');
        }
        out.push(b'\n');
    }

    pub fn bytes_of<I, T>(fields: I) -> Vec<u8>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut out = Vec::new();
        CsvOut.row(fields, &mut out);
        out
    }
}

pub(crate) use crate::files::loaded::{fmt_amount, fmt_decimal};

pub(crate) fn fmt_money(m: &Option<Money>) -> String {
    m.as_ref().map(|m| fmt_amount(m.amount)).unwrap_or_default()
}

pub(crate) fn fmt_bool(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}

/// Shopify tag lists: comma separated, so a tag cannot itself hold a comma.
pub(crate) fn join_tags(tags: &[String], what: &str) -> std::result::Result<String, String> {
    if let Some(t) = tags.iter().find(|t| t.contains(',')) {
        return Err(format!(
            "{what} has the tag \"{t}\" which contains a comma; Shopify separates tags with commas: \
             replace the comma in the transform"
        ));
    }
    Ok(tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(", "))
}

pub(crate) fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}
