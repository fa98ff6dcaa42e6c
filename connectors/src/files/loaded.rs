//! Readers that assemble a whole file before handing out pages, and small helpers the Magento,
//! BigCommerce and Ikas modules share.
//!
//! Those formats cannot be read row by row into records: Magento lists a configurable's simple
//! children before the configurable row that names them, and store-view rows (translations) can
//! come anywhere after their product. So the reader parses the file once into records, and a
//! cursor is the index of the next record. Export files of these platforms are catalog sized
//! (tens of thousands of rows), which fits in memory many times over.

use super::dates::{Clock, DateReader};
use super::table::{Header, Row, TableFile};
use super::EntityReader;
use crate::connector::{ConnectorError, Cursor, Result, SourcePage};
use crate::finding::{Finding, Severity};
use crate::model::{Entity, Money, Platform, Record, Timestamp, WeightUnit, Zone};
use crate::spec::EndpointSpec;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// A whole file read into records. Each finding carries the number of records produced before
/// it was noticed, so it is reported with the page holding the record it is about.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub findings: Vec<(usize, Finding)>,
    /// The key a companion file names a record by (Magento: email and website of a customer),
    /// and the record's index.
    pub join_keys: std::collections::HashMap<String, usize>,
}

impl Parsed {
    /// Notes a finding about the record that will be pushed next.
    pub fn note(&mut self, f: Finding) {
        self.findings.push((self.records.len(), f));
    }
}

/// What a parser needs besides the file: the currency prices are in (exports rarely say) and
/// the weight unit of the store (Magento's is a store setting, not in the file).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub currency: String,
    pub weight_unit: Option<WeightUnit>,
    /// Where image paths that are not URLs live (`options.media_url`): Magento exports paths
    /// inside its media folder, and a target fetches images by URL.
    pub media_url: Option<String>,
    /// The platform that exported the file: its spreadsheet guard comes off every cell.
    pub platform: Option<Platform>,
    /// The store's zone (`timezone`), for times the file writes without one.
    pub zone: Option<Zone>,
}

impl Ctx {
    pub fn new(currency: &str) -> Ctx {
        Ctx {
            currency: currency.to_string(),
            weight_unit: None,
            media_url: None,
            platform: None,
            zone: None,
        }
    }
}

/// How one file becomes records.
pub type ParseFn = fn(&TableFile, &Ctx) -> Result<Parsed>;

/// How a file that completes another one is joined into the records read from that one
/// (Magento's customer_address into customer_main, advanced_pricing into catalog_product).
pub type JoinFn = fn(&TableFile, &Ctx, &mut Parsed) -> Result<()>;

/// Says, from its header, whether a file completes another file of its entity, and how it is
/// joined. Read on its own, such a file goes through its entity's [`ParseFn`] like any other.
pub type Companion = fn(&Header) -> Option<JoinFn>;

/// A resumable reader over a file parsed whole; the cursor is `{"record": n}`.
pub struct LoadedReader {
    entity: Entity,
    path: PathBuf,
    encoding: Option<String>,
    ctx: Ctx,
    parse: ParseFn,
    joins: Vec<(PathBuf, JoinFn)>,
    parsed: Option<Parsed>,
}

impl LoadedReader {
    pub fn new(entity: Entity, path: PathBuf, ctx: Ctx, parse: ParseFn) -> Self {
        LoadedReader {
            entity,
            path,
            encoding: None,
            ctx,
            parse,
            joins: Vec::new(),
            parsed: None,
        }
    }

    pub fn with_encoding(mut self, encoding: Option<String>) -> Self {
        self.encoding = encoding;
        self
    }

    /// Files joined into this one's records after it is read, in order.
    pub fn with_joins(mut self, joins: Vec<(PathBuf, JoinFn)>) -> Self {
        self.joins = joins;
        self
    }

    fn load(&mut self) -> Result<&Parsed> {
        if self.parsed.is_none() {
            let guard = self.ctx.platform.and_then(crate::platform::export_guard);
            let table = TableFile::open(&self.path, self.encoding.as_deref())?.with_guard(guard);
            let mut parsed = (self.parse)(&table, &self.ctx)?;
            for (path, join) in &self.joins {
                let table = TableFile::open(path, self.encoding.as_deref())?.with_guard(guard);
                join(&table, &self.ctx, &mut parsed)?;
            }
            self.parsed = Some(parsed);
        }
        self.parsed
            .as_ref()
            .ok_or_else(|| ConnectorError::Input(format!("{} was not read", self.path.display())))
    }
}

impl EntityReader for LoadedReader {
    fn entity(&self) -> Entity {
        self.entity
    }

    fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.path.clone())
            .chain(self.joins.iter().map(|(p, _)| p.clone()))
            .collect()
    }

    fn describe(&self) -> String {
        let mut d = self.path.display().to_string();
        for (p, _) in &self.joins {
            d.push_str(" + ");
            d.push_str(&p.display().to_string());
        }
        d
    }

    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage> {
        let file = self.path.display().to_string();
        let start = match cursor {
            None => 0,
            Some(c) => c
                .get("record")
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| {
                    ConnectorError::Input(format!(
                        "the saved position for {file} is not one this reader wrote; restart the \
                         extraction of this file with --restart"
                    ))
                })? as usize,
        };
        let parsed = self.load()?;
        let total = parsed.records.len();
        if start > total {
            return Err(ConnectorError::Input(format!(
                "{file} has {total} records but reading stopped at record {start}: the file changed \
                 since the run started; run again with --restart"
            )));
        }
        let end = (start + limit.max(1)).min(total);
        let last = end == total;
        let findings = parsed
            .findings
            .iter()
            .filter(|(i, _)| (*i >= start && *i < end) || (last && *i >= end))
            .map(|(_, f)| f.clone())
            .collect();
        Ok(SourcePage {
            records: parsed.records[start..end].to_vec(),
            findings,
            next: (!last).then(|| serde_json::json!({ "record": end })),
        })
    }
}

/// Recognises which entity a file holds from its header.
pub type Recognise = fn(&Header) -> Option<Entity>;

/// File types looked at in a source directory.
const EXPORT_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods"];

/// The parse context a spec gives: currency, `options.weight_unit` and `options.media_url`.
pub fn ctx_of(spec: &EndpointSpec) -> Ctx {
    Ctx {
        currency: spec.currency().to_string(),
        weight_unit: spec
            .options
            .get("weight_unit")
            .and_then(|v| v.as_str())
            .and_then(WeightUnit::parse),
        media_url: spec
            .options
            .get("media_url")
            .and_then(|v| v.as_str())
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty()),
        platform: Some(spec.platform),
        // An unknown zone name is refused when the source opens (readers() checks it first).
        zone: spec.zone().ok().flatten(),
    }
}

/// The time in a date cell, read by `dates` on `clock`; a cell that is no date becomes a
/// finding about the record that will be pushed next.
pub fn date_cell(
    table: &TableFile,
    row: &Row,
    col: Option<usize>,
    dates: &DateReader,
    clock: Clock,
    out: &mut Parsed,
) -> Option<Timestamp> {
    let mut found = Vec::new();
    let t = dates.read(
        cell(row, col),
        clock,
        || table.location(row.line, col.map(|c| table.header().name(c))),
        &mut found,
    );
    for f in found {
        out.note(f);
    }
    t
}

/// The readers of a file source: `spec.files` per entity, else every export file in
/// `spec.path` (a directory or one file), recognised by its header.
pub fn readers(
    spec: &EndpointSpec,
    base: &Path,
    recognise: Recognise,
    parser: fn(Entity) -> Option<ParseFn>,
) -> Result<Vec<Box<dyn EntityReader>>> {
    readers_joined(spec, base, recognise, parser, |_| None)
}

/// Files of a source that complete another one: `options.extra_files` names them for sources
/// given as `files`, and `convert` passes them there.
pub const EXTRA_FILES: &str = "extra_files";

/// [`readers`] for platforms whose entities may come in several files. Files `companion`
/// accepts (found in `spec.path` or named in `options.extra_files`) are joined into the main
/// file of their entity; an entity with no main file is read from its first companion alone.
pub fn readers_joined(
    spec: &EndpointSpec,
    base: &Path,
    recognise: Recognise,
    parser: fn(Entity) -> Option<ParseFn>,
    companion: Companion,
) -> Result<Vec<Box<dyn EntityReader>>> {
    let platform = spec.platform;
    spec.zone()?;
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut found: Vec<(Entity, PathBuf)> =
        spec.files.iter().map(|(e, p)| (*e, resolve(p))).collect();
    let mut joins: Vec<(Entity, PathBuf, JoinFn)> = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(root) = spec.resolved_path(base) {
        if root.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
                .map_err(|e| ConnectorError::Input(format!("cannot list {}: {e}", root.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            EXPORT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            v.sort();
            candidates.extend(v);
        } else if root.is_file() {
            candidates.push(root.clone());
        } else {
            return Err(ConnectorError::Input(format!(
                "{} does not exist: set `path` to the folder holding the {platform} export files",
                root.display()
            )));
        }
    }
    let extra: Vec<PathBuf> = match spec.options.get(EXTRA_FILES) {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|x| x.as_str().map(|s| resolve(Path::new(s))))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                ConnectorError::Input(format!(
                    "options.{EXTRA_FILES} must be a list of file names, e.g. {EXTRA_FILES} = \
                     [\"customer_address.csv\"]"
                ))
            })?,
    };
    for path in &extra {
        if !path.is_file() {
            return Err(ConnectorError::Input(format!(
                "{} (named in options.{EXTRA_FILES}) does not exist",
                path.display()
            )));
        }
    }
    let named = extra.len();
    candidates.splice(0..0, extra);
    for (i, path) in candidates.into_iter().enumerate() {
        if found.iter().any(|(_, p)| *p == path) || joins.iter().any(|(_, p, _)| *p == path) {
            continue;
        }
        let table = match TableFile::open(&path, spec.encoding.as_deref()) {
            Ok(t) => t,
            Err(e) if i < named => return Err(e),
            Err(_) => continue,
        };
        let Some(entity) = recognise(table.header()) else {
            if i < named {
                return Err(ConnectorError::Input(format!(
                    "{} (named in options.{EXTRA_FILES}) is not a {platform} export file this \
                     reader knows; check its header row",
                    path.display()
                )));
            }
            continue;
        };
        if let Some(join) = companion(table.header()) {
            joins.push((entity, path, join));
            continue;
        }
        if spec.files.contains_key(&entity) {
            continue;
        }
        if let Some((_, other)) = found.iter().find(|(e, _)| *e == entity) {
            return Err(ConnectorError::Input(format!(
                "two files look like {platform} {entity}: {} and {}; name the one to read with \
                 `files.{} = \"...\"`",
                other.display(),
                path.display(),
                entity.key()
            )));
        }
        found.push((entity, path));
    }
    // An entity known only from companions is read from the first one alone.
    for (entity, path, _) in &joins {
        if !found.iter().any(|(e, _)| e == entity) {
            found.push((*entity, path.clone()));
        }
    }
    if found.is_empty() {
        return Err(ConnectorError::Input(format!(
            "no {platform} export file was found: point `path` at the folder with the export files \
             or name them under [source.files]"
        )));
    }
    let ctx = ctx_of(spec);
    let mut out: Vec<Box<dyn EntityReader>> = Vec::new();
    for (entity, path) in found {
        let parse = parser(entity).ok_or_else(|| {
            ConnectorError::Input(format!(
                "{platform} export files cannot hold {entity}; remove it from `files`"
            ))
        })?;
        let joined: Vec<(PathBuf, JoinFn)> = joins
            .iter()
            .filter(|(e, p, _)| *e == entity && *p != path)
            .map(|(_, p, j)| (p.clone(), *j))
            .collect();
        out.push(Box::new(
            LoadedReader::new(entity, path, ctx.clone(), parse)
                .with_encoding(spec.encoding.clone())
                .with_joins(joined),
        ));
    }
    Ok(out)
}

/// Reads every row of a table (blank rows skipped, ragged rows noted).
pub fn all_rows(table: &TableFile, out: &mut Parsed) -> Result<Vec<Row>> {
    let mut rows = table.rows_from(table.start())?;
    let mut v = Vec::new();
    let mut row = Row::default();
    while rows.next_into(&mut row)? {
        if row.is_blank() {
            continue;
        }
        if let Some(f) = table.check_width(&row) {
            out.note(f);
        }
        v.push(row.clone());
    }
    Ok(v)
}

/// An amount as shops write prices: at least two decimals ("25.00", "19.995").
pub fn fmt_amount(d: Decimal) -> String {
    crate::model::decimal_text(d, 2)
}

pub fn fmt_money(m: Option<&Money>) -> String {
    m.map(|m| fmt_amount(m.amount)).unwrap_or_default()
}

/// A decimal without trailing zeros: "1.5", "453.59237", "0".
pub fn fmt_decimal(d: Decimal) -> String {
    crate::model::decimal_text(d, 0)
}

/// A row being written: cells addressed by column name of a fixed header.
pub struct OutRow<'a> {
    header: &'a [&'a str],
    cells: Vec<String>,
}

impl<'a> OutRow<'a> {
    pub fn new(header: &'a [&'a str]) -> Self {
        OutRow {
            header,
            cells: vec![String::new(); header.len()],
        }
    }

    pub fn set(&mut self, column: &str, value: impl Into<String>) -> &mut Self {
        if let Some(i) = self.header.iter().position(|h| *h == column) {
            self.cells[i] = value.into();
        }
        self
    }

    pub fn write(&self, out: &mut Vec<u8>, delimiter: u8) {
        super::table::push_row(out, &self.cells, delimiter);
    }
}

/// The header row of a fixed column list.
pub fn header_bytes(header: &[&str], delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    super::table::push_row(&mut out, header, delimiter);
    out
}

/// A finding at a row and a column named as the header has it.
pub fn cell_finding(
    table: &TableFile,
    row: &Row,
    col: Option<usize>,
    severity: Severity,
    code: &str,
    message: impl Into<String>,
) -> Finding {
    table.finding(severity, code, row.line, col, message)
}

/// Column lookups resolved once per file.
pub fn col(header: &Header, names: &[&str]) -> Option<usize> {
    header.any(names)
}

/// The trimmed cell, or "".
pub fn cell(row: &Row, col: Option<usize>) -> &str {
    row.get(col).trim()
}

pub fn opt(row: &Row, col: Option<usize>) -> Option<String> {
    row.opt(col).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Page;

    fn parse_three(_t: &TableFile, _c: &Ctx) -> Result<Parsed> {
        let mut p = Parsed::default();
        for i in 0..3 {
            p.note(Finding::new(Severity::Info, "seen", format!("record {i}")));
            p.records.push(Record::Page(Page {
                handle: format!("p{i}"),
                ..Page::default()
            }));
        }
        p.note(Finding::new(Severity::Info, "end", "after the last record"));
        Ok(p)
    }

    #[test]
    fn pages_carry_their_own_findings_and_resume_by_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a\n1\n").unwrap();
        let mut r = LoadedReader::new(Entity::Pages, path, Ctx::new("USD"), parse_three);
        let p1 = r.read_page(None, 2).unwrap();
        assert_eq!(p1.records.len(), 2);
        assert_eq!(p1.findings.len(), 2);
        let p2 = r.read_page(p1.next.as_ref(), 2).unwrap();
        assert_eq!(p2.records.len(), 1);
        assert_eq!(
            p2.findings
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>(),
            ["seen", "end"]
        );
        assert!(p2.next.is_none());
        let err = r
            .read_page(Some(&serde_json::json!({"record": 9})), 2)
            .unwrap_err();
        assert!(err.to_string().contains("x.csv"), "{err}");
    }
}
