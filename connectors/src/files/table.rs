//! The one place every CSV-ish export file is opened through.
//!
//! Store exports arrive in whatever encoding the tool that made them liked: UTF-8 with or without
//! a BOM, UTF-16 from Excel's "Unicode text" (tab separated), or the Windows code page of the
//! machine that saved them (1250 Central European, 1251 Cyrillic, 1252 Western, 1253 Greek, 1254
//! Turkish, ...). The encoding is settled in this order: a byte order mark; the encoding the spec
//! names (`encoding =`, `--encoding`); valid UTF-8; else chardetng, hinted by the country
//! domain the file's own URLs and emails use. How sure the guess is travels with the file
//! ([`EncodingGuess`]). A non-UTF-8 file is transcoded once into a UTF-8 copy in a
//! temporary directory, so every cursor a reader hands out is a byte offset into UTF-8 text and a
//! resumed read lands on exactly the same record.
//!
//! Spreadsheets (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) go through the same layer: the first
//! sheet with data is written once to a UTF-8 CSV copy, with a line per sheet row, so line numbers
//! in messages are the spreadsheet's row numbers (as long as no cell holds a line break).
//!
//! The delimiter (`,` `;` tab or `|`) is sniffed from the header line. Columns are looked up by name,
//! case-insensitively and ignoring surrounding whitespace, because exports are edited by hand.

use crate::connector::{ConnectorError, Result};
use crate::finding::{Finding, Location, Severity};
use crate::platform::Guard;
use encoding_rs::Encoding;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use super::mapping::header::{mapped_header, MappedHeader};
use super::split::{At, Fields, RawFields, Splitter};
use std::path::{Path, PathBuf};

/// Where a page of rows starts: a byte offset into the UTF-8 text, the 1-based line number of
/// the row found there, and how many records were produced before it (for progress only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCursor {
    pub offset: u64,
    pub line: u64,
    pub records: u64,
}

impl RowCursor {
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({ "offset": self.offset, "line": self.line, "records": self.records })
    }

    pub fn from_json(file: &str, v: &serde_json::Value) -> Result<RowCursor> {
        serde_json::from_value(v.clone()).map_err(|e| {
            ConnectorError::Input(format!(
                "the saved position for {file} is not one this reader wrote ({e}); \
                 restart the extraction of this file with --restart"
            ))
        })
    }
}

/// The header row: names as written, and a lookup by normalised name.
#[derive(Debug, Clone, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

/// Lower case, trimmed, inner whitespace collapsed: how column names are compared.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

impl Header {
    pub fn new(names: Vec<String>) -> Header {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            // The first of two equally named columns wins, as spreadsheet tools do.
            index.entry(normalise_name(n)).or_insert(i);
        }
        Header { names, index }
    }

    /// Position of the column named `name` (case-insensitive, whitespace-trimmed).
    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(&normalise_name(name)).copied()
    }

    /// The first of several alternative names that is present.
    pub fn any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.get(n))
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// `str::trim`, quick for the usual cell that starts and ends with a visible ASCII character
/// (readers trim every field they look at).
#[inline]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

/// One data row with where it was found.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub record: Fields,
    /// 1-based line number of the row's first line.
    pub line: u64,
    /// Byte offset of the row in the UTF-8 text.
    pub offset: u64,
    /// Fields the file itself had in this row, when a column mapping added its own.
    pub fields_read: Option<usize>,
}

impl Row {
    /// The field at `col`, or "" when the column is absent or the row is short.
    pub fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.record.get(c)).unwrap_or("")
    }

    /// The trimmed field, `None` when empty.
    pub fn opt(&self, col: Option<usize>) -> Option<&str> {
        let v = trim(self.get(col));
        (!v.is_empty()).then_some(v)
    }

    pub fn is_blank(&self) -> bool {
        self.record.iter().all(|f| trim(f).is_empty())
    }
}

/// An opened export file: encoding resolved, delimiter sniffed, header read.
#[derive(Debug)]
pub struct TableFile {
    /// The file as the user named it, for messages.
    display: String,
    /// UTF-8 text to read: the file itself or its transcoded copy.
    utf8_path: PathBuf,
    _transcoded: Option<tempfile::TempDir>,
    encoding: EncodingGuess,
    delimiter: u8,
    header: Header,
    header_line: u64,
    /// Offset and line of the first data row.
    data_start: RowCursor,
    /// The spreadsheet guard the exporting platform puts before values, taken off every cell,
    /// and the columns whose every value carries it.
    guard: Option<Guard>,
    guard_always: std::sync::Arc<[bool]>,
    /// The header readers see instead of the file's own (a column mapping), if any.
    mapped: Option<std::sync::Arc<MappedHeader>>,
    /// Columns in the file's own header row.
    width: usize,
}

const SNIFF: usize = 64 * 1024;

impl TableFile {
    /// Opens `path`. `forced_encoding` is the spec's `encoding`, used when no BOM says otherwise.
    pub fn open(path: &Path, forced_encoding: Option<&str>) -> Result<TableFile> {
        let display = path.display().to_string();
        let mut file = File::open(path).map_err(|e| {
            ConnectorError::Input(format!(
                "cannot open {display}: {e}; check the file name (in the command or in migration.toml)"
            ))
        })?;
        let mut head = vec![0u8; SNIFF];
        let n = read_up_to(&mut file, &mut head).map_err(|e| io_err(&display, e))?;
        head.truncate(n);

        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        if SPREADSHEET_EXTENSIONS.contains(&ext.as_str()) {
            return TableFile::open_spreadsheet(path, display);
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Err(ConnectorError::Input(format!(
                "{display} is a binary file (a spreadsheet or an archive), not CSV text; \
                 give it its .xlsx/.xls extension or save it as CSV (UTF-8)"
            )));
        }

        let bom = Encoding::for_bom(&head);
        let guess = match (bom, forced_encoding) {
            (Some((enc, _)), _) => EncodingGuess::certain(enc, EncodingBasis::Bom),
            (None, Some(label)) => EncodingGuess::certain(
                named_encoding(label).ok_or_else(|| {
                    ConnectorError::Input(format!(
                        "encoding \"{label}\" named for {display} is unknown; use a WHATWG label \
                         such as utf-8, utf-16le, windows-1250, windows-1251, windows-1252, \
                         windows-1253, windows-1254 or iso-8859-2"
                    ))
                })?,
                EncodingBasis::Named,
            ),
            (None, None) => detected_encoding(path).map_err(|e| io_err(&display, e))?,
        };
        let encoding = guess.encoding;

        let (utf8_path, transcoded, bom_len) = if encoding == encoding_rs::UTF_8 {
            let bom_len = bom.map(|(_, l)| l as u64).unwrap_or(0);
            (path.to_path_buf(), None, bom_len)
        } else {
            let dir = tempfile::Builder::new()
                .prefix("storeshift-utf8-")
                .tempdir()
                .map_err(|e| io_err(&display, e))?;
            let out = dir.path().join("utf8.csv");
            transcode(path, &out, encoding).map_err(|e| io_err(&display, e))?;
            (out, Some(dir), 0)
        };

        let mut table = TableFile {
            display,
            utf8_path,
            _transcoded: transcoded,
            encoding: guess,
            delimiter: b',',
            header: Header::default(),
            header_line: 1,
            data_start: RowCursor {
                offset: bom_len,
                line: 1,
                records: 0,
            },
            guard: None,
            guard_always: std::sync::Arc::new([]),
            mapped: mapped_header(path),
            width: 0,
        };
        table.read_header(bom_len)?;
        Ok(table)
    }

    fn open_spreadsheet(path: &Path, display: String) -> Result<TableFile> {
        let dir = tempfile::Builder::new()
            .prefix("storeshift-sheet-")
            .tempdir()
            .map_err(|e| io_err(&display, e))?;
        let out = dir.path().join("sheet.csv");
        spreadsheet_to_csv(path, &out).map_err(|e| {
            ConnectorError::Input(format!(
                "cannot read the spreadsheet {display}: {e}. Open it and save it again, or export it as CSV"
            ))
        })?;
        let mut table = TableFile {
            display,
            utf8_path: out,
            _transcoded: Some(dir),
            encoding: EncodingGuess::certain(encoding_rs::UTF_8, EncodingBasis::Spreadsheet),
            delimiter: b',',
            header: Header::default(),
            header_line: 1,
            data_start: RowCursor {
                offset: 0,
                line: 1,
                records: 0,
            },
            guard: None,
            guard_always: std::sync::Arc::new([]),
            mapped: mapped_header(path),
            width: 0,
        };
        table.read_header(0)?;
        Ok(table)
    }

    fn read_header(&mut self, start: u64) -> Result<()> {
        let mut f = File::open(&self.utf8_path).map_err(|e| io_err(&self.display, e))?;
        f.seek(SeekFrom::Start(start))
            .map_err(|e| io_err(&self.display, e))?;
        let mut head = vec![0u8; SNIFF];
        let n = read_up_to(&mut f, &mut head).map_err(|e| io_err(&self.display, e))?;
        head.truncate(n);
        // Blank lines before the header are skipped (some tools write one); the splitter
        // skips them too.
        let skip = head
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(head.len());
        self.delimiter = sniff_delimiter(&head[skip..]);
        let mut rows = self.rows_at(At {
            offset: start,
            line: 1,
        })?;
        let mut row = Row::default();
        let got = rows.next_into(&mut row)?;
        if !got || row.is_blank() {
            return Err(ConnectorError::Input(format!(
                "{} is empty: it has no header row. Export the file again from the store",
                self.display
            )));
        }
        // A byte order mark is only recognised at the very start of the file. A WordPress
        // plugin or theme that prints a blank line and a tab before WooCommerce's exporter
        // writes its BOM leaves the mark inside the first column's name.
        let names: Vec<String> = row
            .record
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        self.width = names.len();
        self.header = match &self.mapped {
            Some(m) => {
                m.check(&self.display, &names)?;
                Header::new(m.all_names())
            }
            None => Header::new(names),
        };
        self.header_line = row.line;
        self.data_start = rows.position();
        Ok(())
    }

    fn rows_at(&self, at: At) -> Result<Rows> {
        let mut f = File::open(&self.utf8_path).map_err(|e| io_err(&self.display, e))?;
        f.seek(SeekFrom::Start(at.offset))
            .map_err(|e| io_err(&self.display, e))?;
        Ok(Rows {
            display: self.display.as_str().into(),
            splitter: Splitter::new(f, self.delimiter, at),
            raw: RawFields::default(),
            records: 0,
            done: false,
            guard: self.guard,
            guard_always: self.guard_always.clone(),
            mapped: None,
            read: 0,
        })
    }

    /// Takes `guard` (the exporting platform's, see [`crate::platform::export_guard`]) off every
    /// cell of every data row read from now on. Raw rows ([`Rows::next_bytes`]) keep it.
    pub fn with_guard(mut self, guard: Option<Guard>) -> TableFile {
        self.guard = guard;
        self.guard_always = guard
            .map(|g| g.always_columns(self.header.names()))
            .unwrap_or_default()
            .into();
        self
    }

    /// The guard taken off the cells of this file's rows.
    pub fn guard(&self) -> Option<Guard> {
        self.guard
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The UTF-8 text cursors point into (the file itself or its transcoded copy), for readers
    /// that keep their own streaming state.
    pub fn utf8_path(&self) -> &Path {
        &self.utf8_path
    }

    pub fn encoding_name(&self) -> &'static str {
        self.encoding.encoding.name()
    }

    /// The encoding the text was read in, how it was settled and how sure that is.
    pub fn encoding(&self) -> &EncodingGuess {
        &self.encoding
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Columns in the file's own header row (a column mapping may add columns of its own).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The column mapping this file is read through, if any.
    pub fn mapped(&self) -> Option<&MappedHeader> {
        self.mapped.as_deref()
    }

    /// Adds a column mapping's own columns to a row read from this file (see [`MappedHeader`]).
    pub fn widen(&self, raw: &mut RawFields) {
        if let Some(m) = &self.mapped {
            m.widen(raw, self.width);
        }
    }

    /// The name of column `i` as the file writes it (a mapped file's own name, not the one
    /// the mapping gave it).
    pub fn column_label(&self, i: usize) -> &str {
        match &self.mapped {
            Some(m) if i < m.source.len() => &m.source[i],
            _ => self.header.name(i),
        }
    }

    /// Where the first data row starts.
    pub fn start(&self) -> RowCursor {
        self.data_start
    }

    /// A streaming reader of rows from `at` (a cursor this file handed out, or [`Self::start`]).
    pub fn rows_from(&self, at: RowCursor) -> Result<Rows> {
        if at.offset < self.data_start.offset {
            return Err(ConnectorError::Input(format!(
                "the saved position for {} points into its header; restart this file with --restart",
                self.display
            )));
        }
        let mut rows = self.rows_at(At {
            offset: at.offset,
            line: at.line,
        })?;
        rows.records = at.records;
        rows.mapped = self.mapped.clone();
        Ok(rows)
    }

    /// Reads the single row starting at `offset` (found earlier at `line`).
    pub fn row_at(&self, offset: u64, line: u64) -> Result<Option<Row>> {
        let mut rows = self.rows_from(RowCursor {
            offset,
            line,
            records: 0,
        })?;
        let mut row = Row::default();
        Ok(rows.next_into(&mut row)?.then_some(row))
    }

    pub fn location(&self, line: u64, column: Option<&str>) -> Location {
        Location {
            file: self.display.clone(),
            line,
            column: column.map(str::to_string),
        }
    }

    /// A finding at `line`, `column` of this file.
    pub fn finding(
        &self,
        severity: Severity,
        code: &str,
        line: u64,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Finding {
        let col = column.map(|c| self.column_label(c));
        Finding::new(severity, code, message).at(self.location(line, col))
    }

    /// An input error naming file, line and column.
    pub fn error(
        &self,
        line: u64,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> ConnectorError {
        ConnectorError::Input(format!(
            "{}: {}",
            self.location(line, column),
            message.into()
        ))
    }

    /// Errors naming every column of `required` the header lacks.
    pub fn require(&self, required: &[&str], what: &str) -> Result<()> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !self.header.has(c))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if let Some(m) = &self.mapped {
            return Err(ConnectorError::Input(format!(
                "{}:{}: the column mapping ({}) gives this {what} file no column for {}; map a \
                 column of the file to {}",
                self.display,
                self.header_line,
                m.by,
                missing.join(", "),
                if missing.len() > 1 { "them" } else { "it" }
            )));
        }
        Err(ConnectorError::Input(format!(
            "{}:{}: this {what} file has no column {}; add the column{} to the header row \
             (names are matched ignoring case) or export the file again",
            self.display,
            self.header_line,
            missing
                .iter()
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>()
                .join(", "),
            if missing.len() > 1 { "s" } else { "" }
        )))
    }

    /// Parses a decimal field; a bad number becomes a finding and `None`.
    pub fn decimal(
        &self,
        row: &Row,
        col: Option<usize>,
        findings: &mut Vec<Finding>,
    ) -> Option<Decimal> {
        // A leading ' is the formula guard exporters put before "-5"; numbers never start with one.
        let raw = trim(row.get(col));
        let raw = raw.strip_prefix('\'').map(str::trim).unwrap_or(raw);
        if raw.is_empty() {
            return None;
        }
        match crate::model::parse_decimal(raw) {
            Some(d) => Some(d),
            None => {
                findings.push(self.finding(
                    Severity::Warning,
                    "bad_number",
                    row.line,
                    col,
                    if crate::model::is_too_large(raw) {
                        format!(
                            "\"{raw}\" is too large for a store figure (a quadrillion or more; \
                             an id or a barcode in this column?); the value was left empty"
                        )
                    } else {
                        format!(
                            "\"{raw}\" is not a number; write it like 19.99 (the value was left empty)"
                        )
                    },
                ));
                None
            }
        }
    }

    /// Parses a whole number field; a bad one becomes a finding and `None`.
    pub fn integer(
        &self,
        row: &Row,
        col: Option<usize>,
        findings: &mut Vec<Finding>,
    ) -> Option<i64> {
        // A leading ' is the formula guard exporters put before "-5"; numbers never start with one.
        let raw = trim(row.get(col));
        let raw = raw.strip_prefix('\'').map(str::trim).unwrap_or(raw);
        if raw.is_empty() {
            return None;
        }
        if let Ok(n) = raw.parse::<i64>() {
            return Some(n);
        }
        // "12.0" from a spreadsheet is still twelve.
        if let Some(d) = crate::model::parse_decimal(raw) {
            if d.fract().is_zero() {
                use rust_decimal::prelude::ToPrimitive;
                if let Some(n) = d.to_i64() {
                    return Some(n);
                }
            }
        }
        findings.push(self.finding(
            Severity::Warning,
            "bad_number",
            row.line,
            col,
            format!("\"{raw}\" is not a whole number; write it like 12 (the value was left empty)"),
        ));
        None
    }

    /// A finding when a row has a different number of fields than the header.
    pub fn check_width(&self, row: &Row) -> Option<Finding> {
        let n = row.fields_read.unwrap_or(row.record.len());
        let h = self.width;
        (n != h && !row.is_blank()).then(|| {
            self.finding(
                Severity::Warning,
                "ragged_row",
                row.line,
                None,
                format!(
                    "row has {n} fields but the header has {h}; {}. Check for an unquoted delimiter \
                     or a missing field in this row",
                    if n < h { "missing fields were read as empty" } else { "extra fields were ignored" }
                ),
            )
        })
    }
}

/// Rows of a [`TableFile`] from a cursor.
pub struct Rows {
    /// The file's name for messages (rows outlive no borrow, so readers can keep them).
    display: std::sync::Arc<str>,
    splitter: Splitter<File>,
    raw: RawFields,
    /// Records produced before the cursor this stream started at (carried for progress).
    records: u64,
    done: bool,
    guard: Option<Guard>,
    guard_always: std::sync::Arc<[bool]>,
    /// The column mapping whose columns every row gets (see [`MappedHeader::widen`]).
    mapped: Option<std::sync::Arc<MappedHeader>>,
    /// Fields the last row had in the file.
    read: usize,
}

impl Rows {
    /// Reads the next row into `row`; false at the end of the file.
    pub fn next_into(&mut self, row: &mut Row) -> Result<bool> {
        let Some(at) = self.next_at()? else {
            return Ok(false);
        };
        row.offset = at.offset;
        row.line = at.line;
        row.fields_read = self.mapped.as_ref().map(|_| self.read);
        row.record.take_from(&mut self.raw).map_err(|field| {
            ConnectorError::Input(format!(
                "{}:{}: field {} of this row is not UTF-8 text; save the file as \"CSV UTF-8\" \
                 or name its encoding (encoding = \"windows-1254\", ...) in migration.toml",
                self.display,
                at.line,
                field + 1
            ))
        })?;
        if let Some(g) = self.guard {
            let always = &self.guard_always;
            row.record.cut_leading(|i, cell| {
                g.len_in_column(always.get(i).copied().unwrap_or(false), cell)
            });
        }
        Ok(true)
    }

    /// Reads the next row as raw bytes (no UTF-8 check); returns its offset and line, `None`
    /// at the end of the file.
    pub fn next_bytes(&mut self, rec: &mut RawFields) -> Result<Option<(u64, u64)>> {
        std::mem::swap(&mut self.raw, rec);
        let got = self.next_at();
        std::mem::swap(&mut self.raw, rec);
        Ok(got?.map(|at| (at.offset, at.line)))
    }

    fn next_at(&mut self) -> Result<Option<At>> {
        if self.done {
            return Ok(None);
        }
        let at = self.splitter.next_raw(&mut self.raw).map_err(|e| {
            ConnectorError::Input(format!(
                "{}:{}: cannot read this row ({e}); check the file and run again",
                self.display,
                self.splitter.position().line
            ))
        })?;
        self.done = at.is_none();
        if let (Some(m), Some(_)) = (&self.mapped, at) {
            self.read = self.raw.len();
            m.widen(&mut self.raw, m.source.len());
        }
        Ok(at)
    }

    /// Where the row after the last one read starts.
    pub fn position(&self) -> RowCursor {
        let at = self.splitter.position();
        RowCursor {
            offset: at.offset,
            line: at.line,
            records: self.records,
        }
    }

    pub fn at_end(&self) -> bool {
        self.done
    }
}

fn io_err(file: &str, e: std::io::Error) -> ConnectorError {
    ConnectorError::Input(format!("cannot read {file}: {e}"))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

const SPREADSHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Excel's and LibreOffice's last row (1,048,576).
const MAX_SHEET_ROWS: u32 = 1 << 20;

/// Writes the first sheet with data as CSV, one line per sheet row (leading empty rows kept as
/// empty lines so line numbers are row numbers).
fn spreadsheet_to_csv(path: &Path, out: &Path) -> std::result::Result<(), String> {
    // calamine indexes some of a workbook's tables by what the file says (a shared string's
    // number, for one) and panics when the file is damaged; that is a broken workbook, to be
    // reported like any other, not a crash of the whole run.
    std::panic::catch_unwind(|| sheet_to_csv(path, out)).unwrap_or_else(|_| {
        Err("the workbook is damaged (it refers to cells or strings it does not hold)".to_string())
    })
}

fn sheet_to_csv(path: &Path, out: &Path) -> std::result::Result<(), String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).map_err(|e| e.to_string())?;
    let sheets = book.sheet_names();
    for i in 0..sheets.len() {
        let range = match book.worksheet_range_at(i) {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(e.to_string()),
            None => continue,
        };
        if range.is_empty() {
            continue;
        }
        let mut w = BufWriter::new(File::create(out).map_err(|e| e.to_string())?);
        let mut buf = Vec::with_capacity(1 << 16);
        let (first_row, _) = range.start().unwrap_or((0, 0));
        // Blank lines stand for the empty rows above the first; a row number past the last a
        // spreadsheet can have is damage, not billions of blank lines to write.
        if first_row >= MAX_SHEET_ROWS {
            return Err(format!(
                "its first row is number {}, past the last a spreadsheet has ({MAX_SHEET_ROWS})",
                u64::from(first_row) + 1
            ));
        }
        buf.extend(std::iter::repeat_n(b'\n', first_row as usize));
        let mut fields: Vec<String> = vec![];
        for row in range.rows() {
            fields.clear();
            fields.extend(row.iter().map(cell_text));
            while fields.last().is_some_and(|f| f.is_empty()) {
                fields.pop();
            }
            push_row(&mut buf, &fields, b',');
            if buf.len() > 1 << 16 {
                w.write_all(&buf).map_err(|e| e.to_string())?;
                buf.clear();
            }
        }
        w.write_all(&buf).map_err(|e| e.to_string())?;
        return w.flush().map_err(|e| e.to_string());
    }
    Err("it has no sheet with data".to_string())
}

/// A cell as the text a CSV export of it would hold.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers (barcodes, stock, ids) print without ".0" or an exponent.
        Data::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            format!("{}", *f as i64)
        }
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
    }
}

/// Picks `,` `;` tab or `|`: whichever occurs most outside quotes on the first line (a tie
/// goes to the earlier one: a comma file with a `|` in one column name stays a comma file).
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; CANDIDATES.len()];
    let mut quoted = false;
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..CANDIDATES.len())
        .max_by_key(|&i| (counts[i], CANDIDATES.len() - i))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        CANDIDATES[best]
    }
}

/// A file's identity for per-process memos of what was learned by reading it whole: a file
/// changed since (length, modification time or inode) is read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    path: PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
    ino: u64,
}

impl FileKey {
    pub fn of(path: &Path) -> Option<FileKey> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let ino = 0;
        Some(FileKey {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
            ino,
        })
    }
}

/// What was learned by reading whole files, kept per file for the process: a source is opened
/// several times (once per reader and per phase) and the answer only changes with the file.
pub struct FileMemo<V: Clone> {
    entries: std::sync::Mutex<Vec<(FileKey, V)>>,
    /// A migration reads a handful of files; the memo stays that small.
    keep: usize,
}

impl<V: Clone> FileMemo<V> {
    pub const fn new(keep: usize) -> Self {
        FileMemo {
            entries: std::sync::Mutex::new(Vec::new()),
            keep,
        }
    }

    /// The value for `path`, computed by `learn` when the file is new or has changed.
    pub fn get_or<E>(
        &self,
        path: &Path,
        learn: impl FnOnce() -> std::result::Result<V, E>,
    ) -> std::result::Result<V, E> {
        let key = FileKey::of(path);
        if let (Some(k), Ok(memo)) = (&key, self.entries.lock()) {
            if let Some((_, v)) = memo.iter().find(|(mk, _)| mk == k) {
                return Ok(v.clone());
            }
        }
        let value = learn()?;
        if let (Some(k), Ok(mut memo)) = (key, self.entries.lock()) {
            if memo.len() >= self.keep.max(1) {
                memo.remove(0);
            }
            memo.push((k, value.clone()));
        }
        Ok(value)
    }
}

/// How a file's encoding was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingBasis {
    /// A byte order mark at the start of the file.
    Bom,
    /// The spec's `encoding` (or `--encoding`).
    Named,
    /// Every byte is ASCII: any ASCII-compatible encoding reads the same text.
    Ascii,
    /// The whole file is valid UTF-8 and holds non-ASCII text.
    Utf8,
    /// A spreadsheet, read cell by cell (its text has no encoding of its own).
    Spreadsheet,
    /// Guessed by chardetng from the bytes.
    Detected {
        /// chardetng's own assessment: the winner outscored another candidate.
        confident: bool,
        /// Parts of the file (judged each on its own) that got the same answer, of those with
        /// enough non-ASCII bytes to judge.
        parts_agreeing: u8,
        parts_judged: u8,
        /// Bytes above 0x7F seen: the evidence the guess rests on.
        non_ascii: u64,
        /// The country domain found in the file's URLs and emails, given to chardetng as a hint.
        tld: Option<[u8; 2]>,
    },
}

/// The encoding a file is read in, how it was settled and how sure that is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodingGuess {
    pub encoding: &'static Encoding,
    pub basis: EncodingBasis,
    /// From 0 (a coin toss) to 1 (settled by the file itself or by the operator). For a detected
    /// encoding: the share of the file's parts that chardetng, judging each part alone, gives
    /// the same answer, scaled down when the guess rests on few non-ASCII bytes (fewer than 64)
    /// and halved when chardetng itself does not rate its winner above the others.
    pub confidence: f64,
}

impl EncodingGuess {
    pub fn certain(encoding: &'static Encoding, basis: EncodingBasis) -> EncodingGuess {
        EncodingGuess {
            encoding,
            basis,
            confidence: 1.0,
        }
    }

    /// Below this a guess is reported to the operator as uncertain.
    pub const WEAK: f64 = 0.5;

    /// Whether the guess is weak enough that the operator should check it.
    pub fn is_weak(&self) -> bool {
        self.confidence < Self::WEAK
    }

    /// A finding telling the operator that the encoding of `file` is a weak guess, if it is.
    pub fn finding(&self, file: &str) -> Option<Finding> {
        self.is_weak().then(|| {
            Finding::new(
                Severity::Warning,
                "encoding_uncertain",
                format!(
                    "{file} was read as {self}. If accented letters look wrong, name the \
                     encoding: --encoding windows-1250 (or encoding = \"...\" in the source section)"
                ),
            )
        })
    }
}

impl std::fmt::Display for EncodingGuess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.encoding.name();
        match self.basis {
            EncodingBasis::Bom => write!(f, "{name} (byte order mark)"),
            EncodingBasis::Named => write!(f, "{name} (as named)"),
            EncodingBasis::Ascii => write!(f, "{name} (plain ASCII)"),
            EncodingBasis::Utf8 => write!(f, "{name} (valid UTF-8)"),
            EncodingBasis::Spreadsheet => write!(f, "{name} (spreadsheet)"),
            EncodingBasis::Detected {
                confident,
                parts_agreeing,
                parts_judged,
                non_ascii,
                tld,
            } => {
                write!(
                    f,
                    "{name} (detected, confidence {:.0}%: {non_ascii} non-ASCII byte{}",
                    self.confidence * 100.0,
                    if non_ascii == 1 { "" } else { "s" }
                )?;
                if parts_judged > 0 {
                    write!(f, ", {parts_agreeing} of {parts_judged} parts agree")?;
                }
                if !confident {
                    write!(f, ", no clear winner")?;
                }
                if let Some(t) = tld {
                    write!(f, ", .{} domain", String::from_utf8_lossy(&t))?;
                }
                write!(f, ")")
            }
        }
    }
}

/// The encoding a label names (`windows-1254`, `cp1251`, `latin2`, `utf8`, ...).
fn named_encoding(label: &str) -> Option<&'static Encoding> {
    let label = label.trim();
    Encoding::for_label(label.as_bytes()).or_else(|| {
        // Names people write that WHATWG does not list: cp1250..cp1258 are there, "windows1254"
        // and "win-1251" are not.
        let digits: String = label.chars().filter(char::is_ascii_digit).collect();
        let lower = label.to_ascii_lowercase();
        (lower.starts_with("win") && digits.len() == 4)
            .then(|| Encoding::for_label(format!("windows-{digits}").as_bytes()))
            .flatten()
    })
}

/// The encoding of a file without a BOM (telling UTF-8 needs the whole file).
fn detected_encoding(path: &Path) -> std::io::Result<EncodingGuess> {
    static MEMO: FileMemo<EncodingGuess> = FileMemo::new(16);
    MEMO.get_or(path, || {
        let guess = detect_encoding(path)?;
        if matches!(guess.basis, EncodingBasis::Detected { .. }) {
            // Once per file and process: the memo answers the later opens.
            tracing::info!(file = %path.display(), "encoding: {guess}");
        }
        Ok(guess)
    })
}

/// How much of a file that is not UTF-8 chardetng is shown: enough for any real export's
/// vocabulary, bounded for huge files.
const DETECT_MAX: usize = 16 << 20;
/// The parts a file is cut into to see whether the guess holds throughout.
const DETECT_PARTS: usize = 8;
/// Non-ASCII bytes a part needs before its own guess counts.
const PART_EVIDENCE: u64 = 16;
/// Non-ASCII bytes at which the amount of evidence no longer lowers the confidence.
const FULL_EVIDENCE: f64 = 64.0;

fn detect_encoding(path: &Path) -> std::io::Result<EncodingGuess> {
    let mut f = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut buf = vec![0u8; 1 << 20];
    let mut carry = 0usize;
    let mut valid = true;
    let mut ascii = true;
    loop {
        let n = f.read(&mut buf[carry..])?;
        let end = carry + n;
        if valid {
            ascii &= buf[carry..end].is_ascii();
            match std::str::from_utf8(&buf[..end]) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() && n > 0 => {
                    // A character cut by the chunk boundary: keep its start for the next round.
                    let keep = end - e.valid_up_to();
                    buf.copy_within(e.valid_up_to()..end, 0);
                    carry = keep;
                }
                Err(_) => valid = false,
            }
        }
        if !valid {
            // Not UTF-8: what follows is for chardetng.
            break;
        }
        if n == 0 {
            if carry > 0 {
                valid = false;
            }
            break;
        }
    }
    if valid {
        let basis = if ascii {
            EncodingBasis::Ascii
        } else {
            EncodingBasis::Utf8
        };
        return Ok(EncodingGuess::certain(encoding_rs::UTF_8, basis));
    }
    // A second pass, only for files that are not UTF-8 (most are).
    let mut sample = Vec::new();
    File::open(path)?
        .take(DETECT_MAX as u64)
        .read_to_end(&mut sample)?;
    Ok(guess_legacy(&sample))
}

/// chardetng's guess for bytes that are not UTF-8, with how far it holds across the text.
pub fn guess_legacy(sample: &[u8]) -> EncodingGuess {
    let tld = country_domain(sample);
    let hint = tld.as_ref().map(|t| &t[..]);
    let mut whole = chardetng::EncodingDetector::new();
    whole.feed(sample, true);
    let (encoding, confident) = whole.guess_assess(hint, false);
    let non_ascii = sample.iter().filter(|b| !b.is_ascii()).count() as u64;

    let (mut judged, mut agreeing) = (0u8, 0u8);
    for part in parts(sample, DETECT_PARTS) {
        if part.iter().filter(|b| !b.is_ascii()).count() as u64 >= PART_EVIDENCE {
            let mut d = chardetng::EncodingDetector::new();
            d.feed(part, true);
            judged += 1;
            if d.guess(hint, false) == encoding {
                agreeing += 1;
            }
        }
    }
    let agreement = if judged == 0 {
        1.0
    } else {
        f64::from(agreeing) / f64::from(judged)
    };
    let evidence = (non_ascii as f64 / FULL_EVIDENCE).sqrt().min(1.0);
    let assessed = if confident { 1.0 } else { 0.5 };
    EncodingGuess {
        encoding,
        basis: EncodingBasis::Detected {
            confident,
            parts_agreeing: agreeing,
            parts_judged: judged,
            non_ascii,
            tld,
        },
        confidence: agreement * evidence * assessed,
    }
}

/// `bytes` cut into about `n` parts at line ends (a part never splits a character of a
/// single-byte encoding, and rarely a row).
fn parts(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let size = bytes.len().div_ceil(n.max(1)).max(1);
    let mut out = Vec::with_capacity(n);
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut cut = size.min(rest.len());
        if let Some(nl) = rest[cut..].iter().position(|&b| b == b'\n') {
            cut += nl + 1;
        } else {
            cut = rest.len();
        }
        let (part, tail) = rest.split_at(cut);
        out.push(part);
        rest = tail;
    }
    out
}

/// The two-letter country domain most used by the URLs and email addresses in `text`
/// (`https://magaza.com.tr/...`, `info@eshop.cz`): a store's files name its own site, and the
/// country says which code page its Windows machines use.
fn country_domain(text: &[u8]) -> Option<[u8; 2]> {
    let mut counts: Vec<([u8; 2], usize)> = Vec::new();
    let host_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut i = 0;
    while i < text.len() {
        let start = if text[i..].starts_with(b"://") {
            i + 3
        } else if text[i] == b'@' {
            i + 1
        } else {
            i += 1;
            continue;
        };
        let len = text[start..].iter().take_while(|&&b| host_byte(b)).count();
        let host = text[start..start + len].trim_ascii_end();
        let host = host.strip_suffix(b".").unwrap_or(host);
        if let Some(label) = host.rsplit(|&b| b == b'.').next() {
            if host.contains(&b'.') && label.len() == 2 && label.iter().all(u8::is_ascii_alphabetic)
            {
                let key = [label[0].to_ascii_lowercase(), label[1].to_ascii_lowercase()];
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((key, 1)),
                }
            }
        }
        i = start + len.max(1);
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(k, _)| k)
}

fn transcode(from: &Path, to: &Path, encoding: &'static Encoding) -> std::io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(from)?);
    let mut output = BufWriter::with_capacity(1 << 20, File::create(to)?);
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut src = vec![0u8; 1 << 16];
    let mut dst = vec![0u8; (1 << 18) + 16];
    loop {
        let n = input.read(&mut src)?;
        let last = n == 0;
        let mut consumed = 0;
        loop {
            let (result, read, written, _) =
                decoder.decode_to_utf8(&src[consumed..n], &mut dst, last);
            consumed += read;
            output.write_all(&dst[..written])?;
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
        if last {
            break;
        }
    }
    output.flush()
}

/// Appends one CSV field, quoted only when it must be (delimiter, quote, line break, or
/// surrounding space that a spreadsheet would trim).
pub fn push_field(out: &mut Vec<u8>, field: &str, delimiter: u8) {
    let bytes = field.as_bytes();
    // No early exit: the branch-free scan vectorises, and most fields are short.
    let special = bytes.iter().fold(false, |found, &b| {
        found | (b == delimiter) | (b == b'"') | (b == b'\n') | (b == b'\r')
    });
    let needs = special
        || bytes.first().is_some_and(|b| *b == b' ')
        || bytes.last().is_some_and(|b| *b == b' ');
    if !needs {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut pieces = bytes.split(|&b| b == b'"');
    if let Some(first) = pieces.next() {
        out.extend_from_slice(first);
    }
    for piece in pieces {
        out.extend_from_slice(b"\"\"");
        out.extend_from_slice(piece);
    }
    out.push(b'"');
}

/// Appends a whole CSV row ending with `\n`.
pub fn push_row<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S], delimiter: u8) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        push_field(out, f.as_ref(), delimiter);
    }
    out.push(b'\n');
}

/// Whether `value` is a long number as Excel shows it once it took the cell for a number:
/// scientific notation (`8.69E+12`, `9,19961E+11`), whose digits are gone.
pub fn excel_scientific(value: &str) -> bool {
    let v = value.trim();
    let (mantissa, exp) = match v.find(['E', 'e']) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => return false,
    };
    let exp = exp.trim_start_matches(['+', '-']);
    !mantissa.is_empty()
        && mantissa
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'.' || c == b',')
        && mantissa.bytes().any(|c| c.is_ascii_digit())
        && !exp.is_empty()
        && exp.bytes().all(|c| c.is_ascii_digit())
}

/// What Excel did to a barcode when the file went through it, if anything.
///
/// Excel reads a long digit string as a number: it shows `8.69E+12` (the digits are gone) and
/// drops leading zeros (`0012345678905` becomes `12345678905`).
pub fn excel_barcode_damage(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let b = v.as_bytes();
    let sci = excel_scientific(v);
    if sci {
        return Some(format!(
            "barcode \"{v}\" is in scientific notation: Excel turned it into a number and its digits \
             are lost. Export the file again and open it with the column formatted as Text"
        ));
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match b.len() {
        8 | 12 | 13 | 14 => {
            if gtin_check_ok(b) {
                None
            } else {
                Some(format!(
                    "barcode \"{v}\" has a wrong check digit for a {}-digit GTIN; check it against the product",
                    b.len()
                ))
            }
        }
        n if n < 14 => {
            let hint = if n < 8 {
                "EAN-8"
            } else if n < 12 {
                "UPC-A (12)"
            } else {
                "EAN-13"
            };
            Some(format!(
                "barcode \"{v}\" has {n} digits, not the 8, 12, 13 or 14 of EAN/UPC: leading zeros were \
                 probably lost in Excel (expected {hint}). Format the column as Text and restore the zeros"
            ))
        }
        _ => None,
    }
}

/// GTIN check digit (EAN-8/UPC-A/EAN-13/GTIN-14): weights 3,1,3,... from the right.
fn gtin_check_ok(digits: &[u8]) -> bool {
    let Some((&check, body)) = digits.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn all_rows(t: &TableFile) -> Vec<Row> {
        let mut rows = t.rows_from(t.start()).unwrap();
        let mut out = vec![];
        let mut r = Row::default();
        while rows.next_into(&mut r).unwrap() {
            out.push(r.clone());
        }
        out
    }

    #[test]
    fn a_bom_after_stray_leading_whitespace_is_not_part_of_the_first_name() {
        // A real Russian WooCommerce export: a newline and a tab before the BOM and the header.
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "wc.csv",
            "\n\t\u{feff}ID,Тип,Артикул\n40,simple,A-1\n".as_bytes(),
        );
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.header().names()[0], "ID");
        assert_eq!(t.header().get("ID"), Some(0));
        let rows = all_rows(&t);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get(Some(0)), "40");
    }

    #[test]
    fn reads_utf8_with_bom_and_semicolons() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            "\u{feff}ID; Name ;Price\n1;Kazak;19,99\n2;\"a;b\";5\n".as_bytes(),
        );
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.delimiter(), b';');
        assert_eq!(t.header().get("name"), Some(1));
        assert_eq!(t.header().get("  PRICE "), Some(2));
        let rows = all_rows(&t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].get(Some(1)), "a;b");
        // The offset of a row, read again, gives the same row.
        let again = t.row_at(rows[1].offset, rows[1].line).unwrap().unwrap();
        assert_eq!(again.get(Some(0)), "2");
    }

    #[test]
    fn sniffs_a_pipe_separated_sheet_and_keeps_commas_inside_its_cells() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "p.csv",
            "sku|name|description|price\n1|Huile d'Argan|Sèche, fine|28\n".as_bytes(),
        );
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.delimiter(), b'|');
        let rows = all_rows(&t);
        assert_eq!(rows[0].get(t.header().get("description")), "Sèche, fine");
        // A comma file whose one column name holds a pipe is still a comma file.
        assert_eq!(sniff_delimiter(b"Name,Attribute|Color,Price\n"), b',');
    }

    #[test]
    fn transcodes_utf16le_tab_separated_excel_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = "SKU\tName\r\nK1\tKadın Örgü Kazak\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let p = write(dir.path(), "u.txt", &bytes);
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.encoding_name(), "UTF-16LE");
        assert_eq!(t.delimiter(), b'\t');
        let rows = all_rows(&t);
        assert_eq!(rows[0].get(t.header().get("name")), "Kadın Örgü Kazak");
    }

    /// Product rows as stores in each script write them (several rows: real exports are
    /// longer than one line, and a detector needs some text).
    const TURKISH: &str = "Ürün Adı;Açıklama;Bağlantı\n\
        Kadın Şık Örgü Kazak;Yumuşak yün karışımlı, kışlık örgü kazak;https://magaza.com.tr/kazak\n\
        Erkek Gömlek;Pamuklu, uzun kollu gömlek. Ütü gerektirmez;https://magaza.com.tr/gomlek\n\
        Çocuk Ayakkabısı;Günlük kullanım için ışıklı spor ayakkabı;https://magaza.com.tr/ayakkabi\n\
        Deri Çanta;El yapımı, içi bölmeli şık deri çanta;https://magaza.com.tr/canta\n";
    const POLISH: &str = "Nazwa;Opis\n\
        Koszulka bawełniana;Miękka koszulka z bawełny, rozmiar średni, kolor żółty\n\
        Spódnica damska;Wygodna, lekka spódnica na lato, można prać w pralce\n\
        Kurtka zimowa;Ciepła kurtka z kapturem, wodoodporna, idealna na śnieżną pogodę\n\
        Szalik wełniany;Długi szalik z wełny owczej, ręcznie tkany w Zakopanem\n\
        Rękawiczki;Skórzane rękawiczki męskie, podszewka z polaru, źródło: Kraków\n";
    const RUSSIAN: &str = "Название;Описание\n\
        Женский вязаный свитер;Мягкий шерстяной свитер для холодной зимы\n\
        Мужская рубашка;Хлопковая рубашка с длинным рукавом, не требует глажки\n\
        Детская обувь;Лёгкие кроссовки для прогулок и спорта\n\
        Кожаная сумка;Сумка ручной работы с отделениями внутри\n";
    const GREEK: &str = "Όνομα;Περιγραφή\n\
        Γυναικείο πουλόβερ;Μαλακό μάλλινο πουλόβερ για τον κρύο χειμώνα\n\
        Ανδρικό πουκάμισο;Βαμβακερό πουκάμισο με μακριά μανίκια, δεν χρειάζεται σιδέρωμα\n\
        Παιδικά παπούτσια;Ελαφριά αθλητικά παπούτσια για περίπατο και παιχνίδι\n\
        Δερμάτινη τσάντα;Χειροποίητη τσάντα με θήκες στο εσωτερικό\n";
    /// Icelandic: ð, þ, ý and Ð are the bytes the old detector took for Turkish ğ, ş, ı and Ğ.
    const ICELANDIC: &str = "Nafn;Lýsing\n\
        Peysa úr íslenskri ull;Hlý og mjúk peysa, prjónuð á Íslandi\n\
        Vettlingar;Þykkir vettlingar fyrir veturinn, góðir í kuldanum\n\
        Húfa;Ullarhúfa með dúski, handprjónuð í Reykjavík\n\
        Trefill;Langur trefill úr lambsull, litaður með jurtalitum\n";

    fn detected(dir: &Path, name: &str, text: &str, enc: &'static Encoding) -> TableFile {
        let (bytes, _, unmappable) = enc.encode(text);
        assert!(!unmappable, "{name} is writable in {}", enc.name());
        let p = write(dir, name, &bytes);
        let t = TableFile::open(&p, None).unwrap();
        let got: Vec<String> = all_rows(&t)
            .iter()
            .map(|r| r.record.iter().collect::<Vec<_>>().join(";"))
            .collect();
        let want: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(t.encoding_name(), enc.name(), "{name}: {}", t.encoding());
        assert_eq!(got, want, "{name} reads back as written");
        t
    }

    #[test]
    fn each_scripts_code_page_is_detected_and_decoded() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, enc) in [
            ("tr.csv", TURKISH, encoding_rs::WINDOWS_1254),
            ("pl.csv", POLISH, encoding_rs::WINDOWS_1250),
            ("ru.csv", RUSSIAN, encoding_rs::WINDOWS_1251),
            ("el.csv", GREEK, encoding_rs::WINDOWS_1253),
            ("is.csv", ICELANDIC, encoding_rs::WINDOWS_1252),
        ] {
            let t = detected(dir.path(), name, text, enc);
            let guess = t.encoding();
            assert!(
                matches!(guess.basis, EncodingBasis::Detected { .. }),
                "{guess}"
            );
            assert!(!guess.is_weak(), "{name}: {guess}");
            assert!(guess.finding(name).is_none());
        }
        // The Turkish file names its .com.tr shop: the hint is reported with the guess.
        let t = detected(dir.path(), "tr2.csv", TURKISH, encoding_rs::WINDOWS_1254);
        assert!(
            t.encoding().to_string().contains(".tr domain"),
            "{}",
            t.encoding()
        );
    }

    #[test]
    fn one_accented_byte_is_a_weak_guess_that_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1252.encode("Name,Note\nScarf,knitted by Guðrún\nHat,wool\n");
        let p = write(dir.path(), "thin.csv", &bytes);
        let t = TableFile::open(&p, None).unwrap();
        // One byte is not a Turkish file: read as Western European, the name comes out whole.
        assert_eq!(t.encoding_name(), "windows-1252");
        assert_eq!(all_rows(&t)[0].get(Some(1)), "knitted by Guðrún");
        let guess = t.encoding();
        assert!(guess.is_weak(), "{guess}");
        let f = guess.finding("thin.csv").unwrap();
        assert_eq!(f.code, "encoding_uncertain");
        assert!(f.message.contains("--encoding"), "{}", f.message);
    }

    #[test]
    fn utf8_ascii_and_boms_are_certain() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.csv", b"Name\nHat\n");
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.encoding().basis, EncodingBasis::Ascii);
        let p = write(dir.path(), "u.csv", "Name\nŞapka\n".as_bytes());
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(
            (t.encoding().basis, t.encoding().confidence),
            (EncodingBasis::Utf8, 1.0)
        );
        // A named encoding does not outrank a BOM, and is taken as certain otherwise.
        let p = write(dir.path(), "b.csv", "\u{feff}Name\nŞapka\n".as_bytes());
        let t = TableFile::open(&p, Some("windows-1251")).unwrap();
        assert_eq!(t.encoding().basis, EncodingBasis::Bom);
        assert_eq!(all_rows(&t)[0].get(Some(0)), "Şapka");
    }

    #[test]
    fn the_named_encoding_overrides_detection() {
        let dir = tempfile::tempdir().unwrap();
        // Russian bytes that the operator says are Cyrillic: no guess is made.
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(RUSSIAN);
        let p = write(dir.path(), "ru.csv", &bytes);
        for label in ["windows-1251", "cp1251", "Win-1251", " WINDOWS1251 "] {
            let t = TableFile::open(&p, Some(label)).unwrap();
            assert_eq!(
                (t.encoding_name(), t.encoding().basis),
                ("windows-1251", EncodingBasis::Named),
                "{label}"
            );
        }
        // Named wrongly, the text is read as named: the operator's word stands.
        let t = TableFile::open(&p, Some("windows-1252")).unwrap();
        assert_ne!(all_rows(&t)[0].get(Some(0)), "Женский вязаный свитер");
    }

    #[test]
    fn country_domains_come_from_urls_and_emails() {
        assert_eq!(
            country_domain(b"x,https://shop.example.cz/a,info@eshop.cz,https://cdn.test/x.jpg"),
            Some(*b"cz")
        );
        assert_eq!(country_domain(b"https://magaza.com.tr/"), Some(*b"tr"));
        assert_eq!(country_domain(b"https://example.com/ a@b.org"), None);
        assert_eq!(country_domain(b"@@@://..@.x"), None);
    }

    #[test]
    fn spec_encoding_is_used_when_no_bom() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode("Name\nçay\n");
        let p = write(dir.path(), "x.csv", &bytes);
        let t = TableFile::open(&p, Some("windows-1254")).unwrap();
        assert_eq!(all_rows(&t)[0].get(Some(0)), "çay");
        let err = TableFile::open(&p, Some("klingon"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("klingon") && err.contains("x.csv"), "{err}");
    }

    #[test]
    fn ragged_rows_and_bad_numbers_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "r.csv", b"ID,Price\n1,abc\n2\n");
        let t = TableFile::open(&p, None).unwrap();
        let rows = all_rows(&t);
        let mut f = vec![];
        assert_eq!(t.decimal(&rows[0], t.header().get("price"), &mut f), None);
        assert_eq!(f[0].code, "bad_number");
        let loc = f[0].location.clone().unwrap();
        assert_eq!((loc.line, loc.column.as_deref()), (2, Some("Price")));
        let ragged = t.check_width(&rows[1]).unwrap();
        assert_eq!(ragged.location.unwrap().line, 3);
        let err = t
            .require(&["ID", "SKU"], "product")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.csv:1") && err.contains("\"SKU\""), "{err}");
    }

    #[test]
    fn lines_are_true_behind_crlf_ends_blank_lines_and_multiline_cells() {
        let dir = tempfile::tempdir().unwrap();
        // Header on line 2; rows on lines 3, 5 (its cell runs on to 6) and 8.
        let p = write(
            dir.path(),
            "w.csv",
            b"\r\nID,Price,Notes\r\n1,abc,x\r\n\r\n2,3,\"two\r\nlines\"\r\n\r\n3,zz,\r\n",
        );
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.header_line(), 2);
        let rows = all_rows(&t);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5, 8]);
        assert_eq!(rows[1].get(Some(2)), "two\r\nlines");
        let mut f = vec![];
        assert_eq!(t.decimal(&rows[2], t.header().get("price"), &mut f), None);
        assert_eq!(f[0].location.clone().unwrap().line, 8);
        // A row resumed from its cursor is the same row.
        let again = t.row_at(rows[2].offset, rows[2].line).unwrap().unwrap();
        assert_eq!(again.get(Some(1)), "zz");
    }

    #[test]
    fn bytes_that_are_not_utf8_name_the_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "u.csv",
            b"ID,Name\n1,ok\n\n2,caf\xe9 cr\xe8me\n",
        );
        let t = TableFile::open(&p, Some("utf-8")).unwrap();
        let mut rows = t.rows_from(t.start()).unwrap();
        let mut row = Row::default();
        assert!(rows.next_into(&mut row).unwrap());
        let err = rows.next_into(&mut row).unwrap_err().to_string();
        assert!(err.contains("u.csv:4") && err.contains("field 2"), "{err}");
    }

    #[test]
    fn empty_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "e.csv", b"");
        let err = TableFile::open(&p, None).unwrap_err().to_string();
        assert!(err.contains("e.csv") && err.contains("no header"), "{err}");
    }

    #[test]
    fn excel_damage_is_recognised() {
        assert!(excel_barcode_damage("8.69E+12")
            .unwrap()
            .contains("scientific"));
        assert!(excel_barcode_damage("12345678905")
            .unwrap()
            .contains("leading zeros"));
        assert_eq!(excel_barcode_damage("4006381333931"), None); // valid EAN-13
        assert_eq!(excel_barcode_damage("036000291452"), None); // valid UPC-A
        assert!(excel_barcode_damage("4006381333932")
            .unwrap()
            .contains("check digit"));
        assert_eq!(excel_barcode_damage("ABC-123"), None);
    }

    #[test]
    fn written_fields_read_back() {
        let mut out = b"a,b,c\n".to_vec();
        push_row(&mut out, &["x,y", "say \"hi\"", " pad"], b',');
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "w.csv", &out);
        let t = TableFile::open(&p, None).unwrap();
        let r = &all_rows(&t)[0];
        assert_eq!(
            (r.get(Some(0)), r.get(Some(1)), r.get(Some(2))),
            ("x,y", "say \"hi\"", " pad")
        );
    }

    /// A stored (uncompressed) zip, enough to build a small .xlsx without a writer crate.
    fn zip(files: &[(&str, String)]) -> Vec<u8> {
        fn crc32(data: &[u8]) -> u32 {
            let mut crc = !0u32;
            for &b in data {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let mut out = vec![];
        let mut central = vec![];
        for (name, body) in files {
            let (name, body) = (name.as_bytes(), body.as_bytes());
            let crc = crc32(body);
            let offset = out.len() as u32;
            let mut common = vec![];
            common.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            common.extend_from_slice(&crc.to_le_bytes());
            common.extend_from_slice(&(body.len() as u32).to_le_bytes());
            common.extend_from_slice(&(body.len() as u32).to_le_bytes());
            common.extend_from_slice(&(name.len() as u16).to_le_bytes());
            common.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&common);
            out.extend_from_slice(name);
            out.extend_from_slice(body);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&[20, 0]);
            central.extend_from_slice(&common);
            central.extend_from_slice(&[0; 10]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name);
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    /// An .xlsx whose first sheet has `rows` (strings as inline strings, numbers as numbers).
    fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, row) in rows.iter().enumerate() {
            sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, v) in row.iter().enumerate() {
                let cell = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                if v.parse::<f64>().is_ok() {
                    sheet.push_str(&format!(r#"<c r="{cell}"><v>{v}</v></c>"#));
                } else if !v.is_empty() {
                    sheet.push_str(&format!(
                        r#"<c r="{cell}" t="inlineStr"><is><t>{v}</t></is></c>"#
                    ));
                }
            }
            sheet.push_str("</row>");
        }
        sheet.push_str("</sheetData></worksheet>");
        xlsx_of_sheet(sheet)
    }

    /// An .xlsx whose only sheet is `sheet` (its XML, as written), with no shared strings.
    fn xlsx_of_sheet(sheet: String) -> Vec<u8> {
        let rels = "http://schemas.openxmlformats.org/package/2006/relationships";
        let office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        zip(&[
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            ("_rels/.rels", format!(r#"<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)),
            ("xl/workbook.xml", format!(r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{office}"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
            ("xl/_rels/workbook.xml.rels", format!(r#"<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#)),
            ("xl/worksheets/sheet1.xml", sheet),
        ])
    }

    #[test]
    fn reads_xlsx_through_the_same_layer() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = xlsx(&[
            &["ID", "Name", "Price", "Barcode"],
            &["1", "Kadın Örgü Kazak", "19.9", "4006381333931"],
            &["2", "Mug, large", "abc", ""],
        ]);
        let p = write(dir.path(), "products.xlsx", &bytes);
        let t = TableFile::open(&p, None).unwrap();
        assert_eq!(t.header().get("barcode"), Some(3));
        let rows = all_rows(&t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(Some(1)), "Kadın Örgü Kazak");
        assert_eq!(rows[0].get(Some(2)), "19.9");
        assert_eq!(
            rows[0].get(Some(3)),
            "4006381333931",
            "whole numbers keep every digit"
        );
        assert_eq!(rows[1].get(Some(1)), "Mug, large");
        let mut f = vec![];
        assert_eq!(t.decimal(&rows[1], Some(2), &mut f), None);
        let loc = f[0].location.clone().unwrap();
        assert!(loc.file.ends_with("products.xlsx"));
        assert_eq!(
            (loc.line, loc.column.as_deref()),
            (3, Some("Price")),
            "line = spreadsheet row"
        );

        // A broken workbook and a spreadsheet saved under a .csv name are clear errors.
        let p = write(dir.path(), "broken.xlsx", b"PK\x03\x04 not really");
        let err = TableFile::open(&p, None).unwrap_err().to_string();
        assert!(
            err.contains("broken.xlsx") && err.contains("save it again"),
            "{err}"
        );
        let p = write(dir.path(), "renamed.csv", &bytes);
        let err = TableFile::open(&p, None).unwrap_err().to_string();
        assert!(
            err.contains("renamed.csv") && err.contains(".xlsx"),
            "{err}"
        );
    }

    /// Found by fuzzing (spreadsheet): a cell naming a shared string the workbook does not hold
    /// panicked inside calamine, and a first row numbered in the billions asked for that many
    /// blank lines. Both are damaged workbooks: an error naming the file, as for any other.
    #[test]
    fn damaged_workbooks_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let head = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
        for (name, rows, says) in [
            (
                "strings.xlsx",
                r#"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#,
                "damaged",
            ),
            (
                "far.xlsx",
                r#"<row r="4000000000"><c r="A4000000000"><v>1</v></c></row>"#,
                "4000000000",
            ),
        ] {
            let sheet = format!("{head}{rows}</sheetData></worksheet>");
            let p = write(dir.path(), name, &xlsx_of_sheet(sheet));
            let err = TableFile::open(&p, None)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains(name) && err.contains(says), "{err}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn never_panics_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            name in proptest::sample::select(vec!["f.csv", "f.xlsx", "f.ods", "f.xls"]),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = write(dir.path(), name, &bytes);
            if let Ok(t) = TableFile::open(&p, None) {
                let mut rows = t.rows_from(t.start()).unwrap();
                let mut r = Row::default();
                let mut n = 0;
                while let Ok(true) = rows.next_into(&mut r) {
                    let _ = t.check_width(&r);
                    let mut f = vec![];
                    let _ = t.decimal(&r, Some(0), &mut f);
                    let _ = excel_barcode_damage(r.get(Some(0)));
                    n += 1;
                    prop_assert!(n <= bytes.len() + 1);
                }
            }
        }

        /// The detector and the domain scan take any bytes, URL-ish ones included.
        #[test]
        fn detection_never_panics(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'@'), Just(b'.'), Just(b':'), Just(b'/'), Just(b'\n')],
                0..512,
            ),
        ) {
            let guess = guess_legacy(&bytes);
            prop_assert!((0.0..=1.0).contains(&guess.confidence));
            let _ = guess.to_string();
            let _ = country_domain(&bytes);
        }
    }
}
