//! Streaming CSV input for the Shopify readers: one row at a time with its byte offset and line,
//! so a reader can hand out a small cursor and pick up exactly where it stopped.
//!
//! Resuming replays the file from the start up to the cursor instead of seeking: readers keep
//! per-file state (handles already seen, the row read ahead) that a seek would lose, and a
//! replay at several hundred thousand rows per second costs seconds, not minutes.

use crate::connector::{ConnectorError, Cursor, Result};
use crate::files::split::{At, Fields, RawFields, Splitter};
use crate::files::table::TableFile;
use crate::finding::{Finding, Location, Severity};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

/// Where a row starts: what a cursor stores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    pub offset: u64,
    pub line: u64,
}

impl Pos {
    pub fn to_cursor(self) -> Cursor {
        serde_json::json!({ "offset": self.offset, "line": self.line })
    }

    pub fn from_cursor(cursor: &Cursor, file: &str) -> Result<Pos> {
        serde_json::from_value(cursor.clone()).map_err(|e| {
            ConnectorError::Input(format!(
                "the saved reading position for {file} is not readable ({e}); run again with --restart"
            ))
        })
    }
}

/// One data row: its fields (always valid UTF-8) and where it starts.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub rec: Fields,
    pub pos: Pos,
}

impl Row {
    pub fn get(&self, idx: Option<usize>) -> &str {
        match idx {
            Some(i) => self.rec.get(i).map(str::trim).unwrap_or(""),
            None => "",
        }
    }

    /// The raw cell without trimming (descriptions keep their whitespace).
    pub fn raw(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.rec.get(i)).unwrap_or("")
    }
}

pub struct CsvIn {
    /// The file name used in findings.
    pub label: String,
    /// Encoding detection and transcoding; kept open so a transcoded copy lives as long as
    /// this reader.
    _table: TableFile,
    splitter: Splitter<File>,
    pub header: Vec<String>,
    record: RawFields,
    len: u64,
    /// The columns Shopify guards throughout (see `EXPORT_GUARD.always`).
    guarded: Vec<bool>,
    /// Columns in the file's own header row (a column mapping may add its own after them).
    width: usize,
}

impl CsvIn {
    /// Opens a CSV export through [`TableFile`] (BOM / encoding detection and transcoding to
    /// UTF-8, delimiter sniffing, header row); `encoding` is the spec's fallback encoding.
    pub fn open(path: &Path, encoding: Option<&str>) -> Result<CsvIn> {
        let table = TableFile::open(path, encoding)?;
        let label = table.display().to_string();
        let start = table.start();
        let utf8 = table.utf8_path();
        let mut file = File::open(utf8)
            .map_err(|e| ConnectorError::Input(format!("cannot open {label}: {e}")))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        file.seek(SeekFrom::Start(start.offset))
            .map_err(|e| ConnectorError::Input(format!("cannot read {label}: {e}")))?;
        let splitter = Splitter::new(
            file,
            table.delimiter(),
            At {
                offset: start.offset,
                line: start.line,
            },
        );
        let header = table.header().names().to_vec();
        let guarded = crate::platform::shopify::EXPORT_GUARD.always_columns(&header);
        Ok(CsvIn {
            guarded,
            label,
            splitter,
            header,
            record: RawFields::default(),
            len,
            width: table.width(),
            _table: table,
        })
    }

    /// Size of the file when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Where the next row starts.
    pub fn position(&self) -> Pos {
        let p = self.splitter.position();
        Pos {
            offset: p.offset,
            line: p.line,
        }
    }

    /// Index of the first header matching one of `names` (case-insensitive).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    pub fn location(&self, line: u64, column: Option<usize>) -> Location {
        Location {
            file: self.label.clone(),
            line,
            column: column
                .filter(|&c| c < self.header.len())
                .map(|c| self._table.column_label(c).to_string()),
        }
    }

    /// The next data row; blank rows are skipped. Ragged rows and bytes that are not UTF-8
    /// become findings, and the row is still returned (missing cells read as empty).
    pub fn next_row(&mut self, findings: &mut Vec<Finding>) -> Result<Option<Row>> {
        let mut row = Row::default();
        Ok(self.read_into(&mut row, findings)?.then_some(row))
    }

    /// Like [`CsvIn::next_row`], reusing `row`'s buffers: readers that keep a pool of rows
    /// allocate nothing per row.
    pub fn read_into(&mut self, row: &mut Row, findings: &mut Vec<Finding>) -> Result<bool> {
        loop {
            let Some(at) = self
                .splitter
                .next_raw(&mut self.record)
                .map_err(|e| csv_error(&self.label, self.position().line, e))?
            else {
                return Ok(false);
            };
            let pos = Pos {
                offset: at.offset,
                line: at.line,
            };
            if self.record.len() == 1
                && self
                    .record
                    .get(0)
                    .is_some_and(|f| f.trim_ascii().is_empty())
            {
                continue;
            }
            if self.record.len() != self.width {
                findings.push(
                    Finding::new(
                        Severity::Warning,
                        "ragged_row",
                        format!(
                            "row has {} cells but the header has {}: check for a missing or extra separator \
                             (cells beyond the header are ignored, missing ones read as empty)",
                            self.record.len(),
                            self.width
                        ),
                    )
                    .at(self.location(pos.line, None)),
                );
            }
            self._table.widen(&mut self.record);
            row.pos = pos;
            // Shopify's guard is not data: it comes off every cell (see
            // platform::shopify::EXPORT_GUARD), barcodes and phones alike.
            let guard = crate::platform::shopify::EXPORT_GUARD;
            // One UTF-8 check for the whole row; a row that fails is read again cell by cell
            // to name the cell.
            let guarded = &self.guarded;
            let always = |i: usize| guarded.get(i).copied().unwrap_or(false);
            if row.rec.take_from(&mut self.record).is_ok() {
                row.rec
                    .cut_leading(|i, cell| guard.len_in_column(always(i), cell));
                return Ok(true);
            }
            row.rec.clear();
            for (i, f) in self.record.iter().enumerate() {
                match std::str::from_utf8(f) {
                    Ok(text) => {
                        let cut = guard.len_in_column(always(i), text.as_bytes());
                        row.rec.push_field(&text[cut..])
                    }
                    Err(_) => {
                        findings.push(
                            Finding::new(
                                Severity::Warning,
                                "bad_encoding",
                                "cell is not valid UTF-8; unreadable characters were replaced with \u{FFFD}: \
                                 save the file as \"CSV UTF-8\"",
                            )
                            .at(self.location(pos.line, Some(i))),
                        );
                        row.rec.push_field(&String::from_utf8_lossy(f));
                    }
                }
            }
            return Ok(true);
        }
    }
}

fn csv_error(label: &str, line: u64, e: std::io::Error) -> ConnectorError {
    ConnectorError::Input(format!("{label}:{line}: the file cannot be read: {e}"))
}

/// A finding about one cell.
pub fn cell_finding(
    input: &CsvIn,
    row: &Row,
    column: Option<usize>,
    severity: Severity,
    code: &str,
    message: impl Into<String>,
) -> Finding {
    Finding::new(severity, code, message).at(input.location(row.pos.line, column))
}

/// Parses a decimal cell; a bad number becomes a finding and reads as absent.
pub fn decimal_cell(
    input: &CsvIn,
    row: &Row,
    column: Option<usize>,
    findings: &mut Vec<Finding>,
) -> Option<rust_decimal::Decimal> {
    let text = row.get(column);
    if text.is_empty() {
        return None;
    }
    let parsed = crate::model::parse_decimal(text);
    if parsed.is_none() {
        findings.push(cell_finding(
            input,
            row,
            column,
            Severity::Warning,
            "bad_number",
            if crate::model::is_too_large(text) {
                format!(
                    "\"{text}\" is too large for a store figure (a quadrillion or more); the \
                     value was left empty: correct the cell"
                )
            } else {
                format!("\"{text}\" is not a number; the value was left empty: correct the cell")
            },
        ));
    }
    parsed
}

/// Parses a whole-number cell ("5", "5.0").
pub fn integer_cell(
    input: &CsvIn,
    row: &Row,
    column: Option<usize>,
    findings: &mut Vec<Finding>,
) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    let text = row.get(column);
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let parsed = crate::model::parse_decimal(text)
        .filter(|d| d.fract().is_zero())
        .and_then(|d| d.to_i64());
    if parsed.is_none() {
        findings.push(cell_finding(
            input,
            row,
            column,
            Severity::Warning,
            "bad_number",
            format!("\"{text}\" is not a whole number; the value was left empty: correct the cell"),
        ));
    }
    parsed
}

/// Parses TRUE/FALSE, yes/no, 1/0; empty gives `default`.
pub fn bool_cell(
    input: &CsvIn,
    row: &Row,
    column: Option<usize>,
    default: bool,
    findings: &mut Vec<Finding>,
) -> bool {
    let text = row.get(column);
    match parse_bool(text) {
        Some(b) => b,
        None if text.is_empty() => default,
        None => {
            findings.push(cell_finding(
                input,
                row,
                column,
                Severity::Warning,
                "bad_boolean",
                format!(
                    "\"{text}\" is neither TRUE nor FALSE; read as {}",
                    if default { "TRUE" } else { "FALSE" }
                ),
            ));
            default
        }
    }
}

pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    let any = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if any(&["true", "yes", "y", "1"]) {
        Some(true)
    } else if any(&["false", "no", "n", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// Missing required columns: the file cannot be read at all.
pub fn require_columns(input: &CsvIn, wanted: &[(&str, Option<usize>)]) -> Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(_, i)| i.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ConnectorError::Input(format!(
        "{}:1: the header has no {} column{}: add {} (header found: {})",
        input.label,
        missing
            .iter()
            .map(|m| format!("\"{m}\""))
            .collect::<Vec<_>>()
            .join(", "),
        if missing.len() > 1 { "s" } else { "" },
        if missing.len() > 1 { "them" } else { "it" },
        input.header.join(", ")
    )))
}
