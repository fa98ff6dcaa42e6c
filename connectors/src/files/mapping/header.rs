//! The header a reader sees when a file is read through a column mapping.
//!
//! A mapping renames the file's columns onto the columns of a layout storeshift reads (a
//! WooCommerce product export, Shopify's product CSV, ...), and may add columns the file does
//! not have: a constant (`Attribute 1 name` = "Color" for a file whose `Color` column holds the
//! values), a copy of another column (`Handle` from the title, for rows grouped by title), or a
//! parent reference written as WooCommerce writes it (`id:12` for a bare `12`). Every reader
//! then reads the file exactly as it reads that layout: renaming costs nothing per row, and the
//! added columns cost a few copied bytes.
//!
//! Mapped headers are registered per file for the whole process. Every reader opens its file
//! by path through [`super::super::table::TableFile`] (some several times, some in later phases
//! of a run), and a mapping has to reach all of them; the registration is keyed by the file's
//! identity, so a file changed since is read as it is (and its header checked again).

use crate::connector::{ConnectorError, Result};
use crate::files::split::RawFields;
use crate::files::table::{normalise_name, FileKey};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A column a mapping adds to every (non-blank) row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Virtual {
    /// The same text in every row.
    Constant(String),
    /// A copy of the file's column at this index.
    Copy(usize),
    /// The file's column at this index as a WooCommerce parent reference: a bare number is a
    /// product ID and becomes `id:N`; anything else is a SKU and stays as it is.
    IdRef(usize),
}

/// The header a mapped file is read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedHeader {
    /// The file's own column names, as the mapping was made for them.
    pub source: Vec<String>,
    /// The name readers see for each of the file's columns.
    pub names: Vec<String>,
    /// Columns the mapping adds after the file's own.
    pub virtuals: Vec<(String, Virtual)>,
    /// What made it, for messages ("the mapping in products.toml").
    pub by: String,
}

impl MappedHeader {
    /// Every name readers see: the file's columns renamed, then the added ones.
    pub fn all_names(&self) -> Vec<String> {
        self.names
            .iter()
            .cloned()
            .chain(self.virtuals.iter().map(|(n, _)| n.clone()))
            .collect()
    }

    /// Errors when the file's header is not the one the mapping was made for.
    pub fn check(&self, file: &str, found: &[String]) -> Result<()> {
        let same = found.len() == self.source.len()
            && found
                .iter()
                .zip(&self.source)
                .all(|(a, b)| normalise_name(a) == normalise_name(b));
        if same {
            return Ok(());
        }
        let missing: Vec<&str> = self
            .source
            .iter()
            .filter(|s| !found.iter().any(|f| normalise_name(f) == normalise_name(s)))
            .map(String::as_str)
            .collect();
        let extra: Vec<&str> = found
            .iter()
            .filter(|f| {
                !self
                    .source
                    .iter()
                    .any(|s| normalise_name(f) == normalise_name(s))
            })
            .map(String::as_str)
            .collect();
        let what = match (missing.is_empty(), extra.is_empty()) {
            (true, true) => "its columns are in another order".to_string(),
            _ => format!(
                "{}{}",
                if missing.is_empty() {
                    String::new()
                } else {
                    format!("it lacks {} ", quoted(&missing))
                },
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("it has {} the mapping does not name", quoted(&extra))
                }
            ),
        };
        Err(ConnectorError::Input(format!(
            "{file}:1: the header is not the one {} was made for ({}); make the mapping again \
             with `storeshift inspect --write-mapping FILE.toml {file}` or edit its columns",
            self.by,
            what.trim()
        )))
    }

    /// Brings a row read from the file to the file's `width` and appends the added columns.
    /// Blank rows stay blank: readers skip them, and a constant would make them look like data.
    pub fn widen(&self, raw: &mut RawFields, width: usize) {
        if self.virtuals.is_empty() || raw.iter().all(|f| f.trim_ascii().is_empty()) {
            return;
        }
        raw.set_len(width);
        for (_, v) in &self.virtuals {
            match v {
                Virtual::Constant(text) => raw.push(text.as_bytes()),
                Virtual::Copy(i) => raw.push_copy(*i),
                Virtual::IdRef(i) => {
                    let value = raw.get(*i).unwrap_or(b"").trim_ascii();
                    if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                        let mut id = b"id:".to_vec();
                        id.extend_from_slice(value);
                        raw.push(&id);
                    } else {
                        raw.push_copy(*i);
                    }
                }
            }
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

type Registry = Vec<(FileKey, Arc<MappedHeader>)>;

static MAPPED: Mutex<Registry> = Mutex::new(Vec::new());

fn key(path: &Path) -> Option<FileKey> {
    let canonical: PathBuf = std::fs::canonicalize(path).ok()?;
    FileKey::of(&canonical)
}

/// Reads `path` through `header` from now on, in this process.
pub fn map_header(path: &Path, header: MappedHeader) -> Result<()> {
    let k = key(path).ok_or_else(|| {
        ConnectorError::Input(format!(
            "cannot open {} to read it through a column mapping; check the file name",
            path.display()
        ))
    })?;
    let mut reg = MAPPED.lock().unwrap_or_else(|p| p.into_inner());
    reg.retain(|(other, _)| *other != k);
    reg.push((k, Arc::new(header)));
    Ok(())
}

/// Reads `path` with its own header again.
pub fn unmap_header(path: &Path) {
    if let Some(k) = key(path) {
        let mut reg = MAPPED.lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|(other, _)| *other != k);
    }
}

/// The mapped header registered for `path`, if any.
pub fn mapped_header(path: &Path) -> Option<Arc<MappedHeader>> {
    if super::open::reading_as_written() {
        return None;
    }
    let reg = MAPPED.lock().unwrap_or_else(|p| p.into_inner());
    if reg.is_empty() {
        return None;
    }
    let k = key(path)?;
    reg.iter()
        .find(|(other, _)| *other == k)
        .map(|(_, h)| h.clone())
}
