//! Shopify's URL redirect CSV: `Redirect from,Redirect to` (Shopify Help Center, "URL
//! redirects" → "Import URL redirects"). Paths are storefront paths such as `/product/blue-hat/`.

use super::csvin::{cell_finding, require_columns, CsvIn, Pos};
use super::{Assemble, CsvOut, CsvReader};
use crate::connector::Result;
use crate::files::EntityWriter;
use crate::finding::{Finding, Severity};
use crate::model::{Entity, Record, Redirect, SourceRef};
use std::path::PathBuf;

pub const REDIRECT_HEADER: [&str; 2] = ["Redirect from", "Redirect to"];

/// Writes `redirects.csv`.
pub struct RedirectWriter {
    csv: CsvOut,
}

impl RedirectWriter {
    pub fn new() -> Self {
        RedirectWriter { csv: CsvOut::new() }
    }
}

impl Default for RedirectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl EntityWriter for RedirectWriter {
    fn entity(&self) -> Entity {
        Entity::Redirects
    }

    fn file_name(&self) -> String {
        "redirects.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        CsvOut::bytes_of(REDIRECT_HEADER)
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Redirect(r) = record else {
            return Err(format!("redirects.csv cannot hold {}", record.entity()));
        };
        let from = r.from.trim();
        let to = r.to.trim();
        if from.is_empty() || to.is_empty() {
            return Err(format!(
                "redirect \"{}\" -> \"{}\" lacks a path: both the old and the new path are needed",
                r.from, r.to
            ));
        }
        if from == to {
            return Err(format!(
                "redirect from \"{from}\" points at itself: drop it in the transform"
            ));
        }
        self.csv.row([from, to], out);
        Ok(from.to_string())
    }
}

/// Reads a Shopify redirect export.
pub struct RedirectReader(CsvReader<RedirectRows>);

impl RedirectReader {
    pub fn new(path: PathBuf) -> Self {
        RedirectReader(CsvReader::new(Entity::Redirects, path, String::new()))
    }

    /// The encoding to assume when the file has no BOM and does not look like UTF-8.
    pub fn with_encoding(self, encoding: Option<String>) -> Self {
        RedirectReader(self.0.with_encoding(encoding))
    }
}

impl crate::files::EntityReader for RedirectReader {
    fn entity(&self) -> Entity {
        Entity::Redirects
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn read_page(
        &mut self,
        cursor: Option<&crate::Cursor>,
        limit: usize,
    ) -> Result<crate::SourcePage> {
        self.0.read_page(cursor, limit)
    }
}

pub(crate) struct RedirectRows {
    from: Option<usize>,
    to: Option<usize>,
}

impl Assemble for RedirectRows {
    fn start(input: &CsvIn, _currency: &str) -> Result<Self> {
        let from = input.column(&["Redirect from", "Path"]);
        let to = input.column(&["Redirect to", "Target"]);
        require_columns(input, &[("Redirect from", from), ("Redirect to", to)])?;
        Ok(RedirectRows { from, to })
    }

    fn next(&mut self, input: &mut CsvIn, f: &mut Vec<Finding>) -> Result<Option<Record>> {
        loop {
            let Some(row) = input.next_row(f)? else {
                return Ok(None);
            };
            let (from, to) = (row.get(self.from), row.get(self.to));
            if from.is_empty() || to.is_empty() {
                let col = if from.is_empty() { self.from } else { self.to };
                f.push(cell_finding(
                    input,
                    &row,
                    col,
                    Severity::Warning,
                    "incomplete_redirect",
                    "redirect lacks a path and was skipped: fill in both columns",
                ));
                continue;
            }
            return Ok(Some(Record::Redirect(Redirect {
                source: SourceRef::new(from),
                from: from.to_string(),
                to: to.to_string(),
            })));
        }
    }

    fn resume_point(&self, input: &CsvIn) -> Pos {
        input.position()
    }
}
