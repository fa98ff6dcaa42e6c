//! Streaming CSV input for the Shopify readers: one row at a time with its byte offset and line,
//! so a reader can hand out a small cursor and pick up exactly where it stopped.
//!
//! Resuming replays the file from the start up to the cursor instead of seeking: readers keep
//! per-file state (handles already seen, the row read ahead) that a seek would lose, and a
//! replay at several hundred thousand rows per second costs seconds, not minutes.

use crate::connector::{ConnectorError, Cursor, Result};
use crate::finding::{Finding, Location, Severity};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Where a row starts: what a cursor stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone)]
pub struct Row {
    pub rec: csv::StringRecord,
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
    reader: csv::Reader<BufReader<File>>,
    pub header: Vec<String>,
    record: csv::ByteRecord,
    len: u64,
}

impl CsvIn {
    pub fn open(path: &Path) -> Result<CsvIn> {
        let label = path.display().to_string();
        let mut file = File::open(path)
            .map_err(|e| ConnectorError::Input(format!("cannot open {label}: {e}")))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut head = [0u8; 4096];
        let n = read_prefix(&mut file, &mut head)
            .map_err(|e| ConnectorError::Input(format!("cannot read {label}: {e}")))?;
        let head = &head[..n];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(ConnectorError::Input(format!(
                "{label}:1: the file is UTF-16; Shopify files are UTF-8: save it again as \"CSV UTF-8\""
            )));
        }
        let delimiter = sniff_delimiter(head);
        let file = File::open(path)
            .map_err(|e| ConnectorError::Input(format!("cannot open {label}: {e}")))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(BufReader::with_capacity(1 << 18, file));
        let mut record = csv::ByteRecord::new();
        let got = reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&label, 1, e))?;
        if !got {
            return Err(ConnectorError::Input(format!(
                "{label}:1: the file is empty; expected a header row"
            )));
        }
        let header = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i == 0 {
                    f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
                } else {
                    f
                };
                String::from_utf8_lossy(f).trim().to_string()
            })
            .collect();
        Ok(CsvIn {
            label,
            reader,
            header,
            record,
            len,
        })
    }

    /// Size of the file when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Where the next row starts.
    pub fn position(&self) -> Pos {
        let p = self.reader.position();
        Pos {
            offset: p.byte(),
            line: p.line(),
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
            column: column.and_then(|c| self.header.get(c).cloned()),
        }
    }

    /// The next data row; blank rows are skipped. Ragged rows and bytes that are not UTF-8
    /// become findings, and the row is still returned (missing cells read as empty).
    pub fn next_row(&mut self, findings: &mut Vec<Finding>) -> Result<Option<Row>> {
        loop {
            let pos = self.position();
            let got = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(&self.label, pos.line, e))?;
            if !got {
                return Ok(None);
            }
            if self.record.len() == 1
                && self
                    .record
                    .get(0)
                    .is_some_and(|f| f.trim_ascii().is_empty())
            {
                continue;
            }
            if self.record.len() != self.header.len() {
                findings.push(
                    Finding::new(
                        Severity::Warning,
                        "ragged_row",
                        format!(
                            "row has {} cells but the header has {}: check for a missing or extra separator \
                             (cells beyond the header are ignored, missing ones read as empty)",
                            self.record.len(),
                            self.header.len()
                        ),
                    )
                    .at(self.location(pos.line, None)),
                );
            }
            let rec = match csv::StringRecord::from_byte_record(self.record.clone()) {
                Ok(r) => r,
                Err(e) => {
                    let bytes = e.into_byte_record();
                    let mut rec =
                        csv::StringRecord::with_capacity(bytes.as_slice().len(), bytes.len());
                    for (i, f) in bytes.iter().enumerate() {
                        if std::str::from_utf8(f).is_err() {
                            findings.push(
                                Finding::new(
                                    Severity::Warning,
                                    "bad_encoding",
                                    "cell is not valid UTF-8; unreadable characters were replaced with \u{FFFD}: \
                                     save the file as \"CSV UTF-8\"",
                                )
                                .at(self.location(pos.line, Some(i))),
                            );
                        }
                        rec.push_field(&String::from_utf8_lossy(f));
                    }
                    rec
                }
            };
            return Ok(Some(Row { rec, pos }));
        }
    }
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Excel in many locales (Turkish, German) saves CSV with `;`. Counts separators on the header
/// line, outside quotes.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], i == 0)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn csv_error(label: &str, line: u64, e: csv::Error) -> ConnectorError {
    let line = e.position().map(|p| p.line()).unwrap_or(line);
    ConnectorError::Input(format!(
        "{label}:{line}: the file cannot be read as CSV: {e}"
    ))
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
            format!("\"{text}\" is not a number; the value was left empty: correct the cell"),
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
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_semicolons_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
