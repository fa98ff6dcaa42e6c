//! Splitting CSV text into records: the same fields the csv crate reads (RFC 4180 quoting,
//! doubled quotes, any of `\r`, `\n`, `\r\n` ending a record, blank lines skipped), but with the
//! true offset and line of each record's first byte, and a good deal faster on export files.
//!
//! Why not `csv::Reader`: it reports a record's position as the end of the record before it, so
//! behind blank lines or `\r\n` line ends (Excel on Windows) every line number in a message was
//! off by one or more; and its byte-at-a-time automaton is most of what reading a 60-column
//! export costs. Here the bytes between separators are skipped with `memchr` (inside a quoted
//! cell only a quote matters, outside it only the delimiter and the line ends do), and a record
//! is copied once, as a whole, into the caller's buffer. `csv_compat` in the tests holds every
//! field to the csv crate's on arbitrary input.

use std::io::Read;
use wide::u8x16;

/// Where a record (or the gap before one) starts in the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At {
    pub offset: u64,
    /// 1-based; `\n`, `\r\n` and a lone `\r` each end a line.
    pub line: u64,
}

/// One record's fields as raw bytes, unchecked.
#[derive(Debug, Clone, Default)]
pub struct RawFields {
    bytes: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

impl RawFields {
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let &(a, b) = self.bounds.get(i)?;
        self.bytes.get(a..b)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Cuts the record to `n` fields or pads it with empty ones (a column mapping reads every
    /// row at the header's width before it adds its own columns).
    pub fn set_len(&mut self, n: usize) {
        if self.bounds.len() > n {
            self.bounds.truncate(n);
        }
        let end = self.bytes.len();
        while self.bounds.len() < n {
            self.bounds.push((end, end));
        }
    }

    /// Appends a field.
    pub fn push(&mut self, field: &[u8]) {
        let a = self.bytes.len();
        self.bytes.extend_from_slice(field);
        self.bounds.push((a, self.bytes.len()));
    }

    /// Appends a copy of field `i` (an empty field when there is none).
    pub fn push_copy(&mut self, i: usize) {
        match self.bounds.get(i).copied() {
            Some((a, b)) => {
                let at = self.bytes.len();
                self.bytes.extend_from_within(a..b);
                self.bounds.push((at, self.bytes.len()));
            }
            None => self.push(b""),
        }
    }
}

/// One record's fields as text (every field valid UTF-8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    text: String,
    bounds: Vec<(usize, usize)>,
}

impl Fields {
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let &(a, b) = self.bounds.get(i)?;
        self.text.get(a..b)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.bounds.clear();
    }

    pub fn push_field(&mut self, field: &str) {
        let a = self.text.len();
        self.text.push_str(field);
        self.bounds.push((a, self.text.len()));
    }

    /// Drops the first `cut(index, field)` bytes of every field (a spreadsheet guard): the
    /// text stays, only the field bounds move. `cut` must return 0 or the length of a leading
    /// ASCII mark.
    pub fn cut_leading(&mut self, cut: impl Fn(usize, &[u8]) -> usize) {
        let bytes = self.text.as_bytes();
        for (i, (a, b)) in self.bounds.iter_mut().enumerate() {
            let n = bytes.get(*a..*b).map_or(0, |f| cut(i, f));
            *a = (*a + n).min(*b);
        }
    }

    /// Takes `raw`'s fields when they are all UTF-8, trading buffers with it so neither side
    /// allocates; otherwise leaves `raw` as it was and returns the first bad field's index.
    pub fn take_from(&mut self, raw: &mut RawFields) -> Result<(), usize> {
        match String::from_utf8(std::mem::take(&mut raw.bytes)) {
            Ok(text) => {
                let mut old = std::mem::replace(&mut self.text, text).into_bytes();
                old.clear();
                raw.bytes = old;
                std::mem::swap(&mut self.bounds, &mut raw.bounds);
                Ok(())
            }
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                raw.bytes = e.into_bytes();
                Err(raw
                    .bounds
                    .iter()
                    .position(|&(a, b)| a <= bad && bad < b.max(a + 1))
                    .unwrap_or(0))
            }
        }
    }
}

/// The next record, or the need to see more of the text first.
enum Parsed {
    /// The record's fields end at this index of the parsed text (its terminator, if any,
    /// follows); `breaks` counts the line ends inside its quoted cells.
    Record {
        end: usize,
        breaks: u64,
    },
    More,
}

/// A field whose text is not a plain slice of the record: its quotes are undone later.
#[derive(Debug, Clone, Copy)]
struct Escaped {
    field: usize,
    from: usize,
    to: usize,
}

/// Reads records from any byte stream, tracking the offset and line of each.
pub struct Splitter<R> {
    src: R,
    delimiter: u8,
    buf: Vec<u8>,
    /// `buf[start..end]` is read but not yet consumed.
    start: usize,
    end: usize,
    eof: bool,
    /// Offset and line of `buf[start]`.
    at: At,
    escaped: Vec<Escaped>,
}

const BUFFER: usize = 256 * 1024;

impl<R: Read> Splitter<R> {
    /// A splitter over `src`, whose first byte is at `at` in the file.
    pub fn new(src: R, delimiter: u8, at: At) -> Self {
        Self::with_capacity(src, delimiter, at, BUFFER)
    }

    /// Like [`Splitter::new`] with a read buffer of `capacity` bytes to start with (it grows to
    /// hold the longest record); tests use tiny ones to cross buffer ends everywhere.
    pub fn with_capacity(src: R, delimiter: u8, at: At, capacity: usize) -> Self {
        Splitter {
            src,
            delimiter,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            eof: false,
            at,
            escaped: Vec::new(),
        }
    }

    /// Where the next record starts (the end of the text after the last one).
    pub fn position(&self) -> At {
        self.at
    }

    /// Reads the next record's fields into `out`; `None` at the end of the text.
    pub fn next_raw(&mut self, out: &mut RawFields) -> std::io::Result<Option<At>> {
        if !self.skip_line_ends()? {
            return Ok(None);
        }
        loop {
            out.bounds.clear();
            self.escaped.clear();
            let text = &self.buf[self.start..self.end];
            match parse(
                text,
                self.eof,
                self.delimiter,
                &mut out.bounds,
                &mut self.escaped,
            ) {
                Parsed::More => self.fill()?,
                Parsed::Record { end, breaks } => {
                    out.bytes.clear();
                    out.bytes.extend_from_slice(&text[..end]);
                    for e in &self.escaped {
                        let from = out.bytes.len();
                        unquote(&mut out.bytes, e.from, e.to);
                        out.bounds[e.field] = (from, out.bytes.len());
                    }
                    let at = self.at;
                    self.start += end;
                    self.at.offset += end as u64;
                    self.at.line += breaks;
                    // So that `position` names where the next record really starts.
                    self.skip_line_ends()?;
                    return Ok(Some(at));
                }
            }
        }
    }

    /// Consumes the line ends before the next record; false when the text ends first.
    fn skip_line_ends(&mut self) -> std::io::Result<bool> {
        loop {
            while self.start < self.end {
                match self.buf[self.start] {
                    b'\n' => self.at.line += 1,
                    b'\r' => match self.buf[..self.end].get(self.start + 1).copied() {
                        Some(b'\n') => {}
                        Some(_) => self.at.line += 1,
                        // A `\r` as the last byte read: whether it ends a line depends on
                        // the next byte.
                        None if !self.eof => break,
                        None => self.at.line += 1,
                    },
                    _ => return Ok(true),
                }
                self.start += 1;
                self.at.offset += 1;
            }
            if self.eof && self.start >= self.end {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// Moves the unconsumed bytes to the front and reads more after them (growing the buffer
    /// when one record fills it).
    fn fill(&mut self) -> std::io::Result<()> {
        if self.eof {
            return Ok(());
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Where a record's parse stands at one interesting byte.
#[derive(Clone, Copy)]
enum State {
    /// In an unquoted field (or at the start of any field).
    Plain,
    /// Inside quotes; `doubled` once a `""` was seen.
    Quoted { doubled: bool },
    /// After a closing quote that a delimiter or line end did not follow (`"ab"cd`).
    Tail,
}

/// Splits the record at the start of `text` (which starts with a byte that is not a line end)
/// into `bounds`; fields needing their quotes undone go to `escaped`.
///
/// Only delimiters, quotes and line ends are looked at: 64 bytes at a time become bit masks of
/// those, and the loop visits just the set bits. Outside quotes, every delimiter before the
/// next quote or line end closes a field without its byte being read again.
fn parse(
    text: &[u8],
    eof: bool,
    delimiter: u8,
    bounds: &mut Vec<(usize, usize)>,
    escaped: &mut Vec<Escaped>,
) -> Parsed {
    let n = text.len();
    let masks = Masks::new(delimiter);
    // Start of the current field (its opening quote, for a quoted one).
    let mut field = 0;
    let mut state = State::Plain;
    // Bytes before this one are dealt with.
    let mut pos = 0;
    let mut breaks = 0;
    let mut base = 0;
    while base < n {
        let (mut delims, mut others) = masks.block(text, base);
        loop {
            let done = below(pos, base);
            delims &= !done;
            others &= !done;
            match state {
                State::Plain => {
                    let next = others & others.wrapping_neg();
                    let mut run = delims & next.wrapping_sub(1);
                    while run != 0 {
                        let k = base + run.trailing_zeros() as usize;
                        run &= run - 1;
                        bounds.push((field, k));
                        field = k + 1;
                    }
                    if next == 0 {
                        break;
                    }
                    let k = base + next.trailing_zeros() as usize;
                    pos = k + 1;
                    if text[k] != b'"' {
                        bounds.push((field, k));
                        return Parsed::Record { end: k, breaks };
                    }
                    // A quote opens a quoted field only as its first byte.
                    if k == field {
                        state = State::Quoted { doubled: false };
                    }
                }
                State::Quoted { doubled } => {
                    // Delimiters are text here: only quotes and line ends matter.
                    if others == 0 {
                        break;
                    }
                    let k = base + others.trailing_zeros() as usize;
                    pos = k + 1;
                    match text[k] {
                        b'"' => match text.get(k + 1).copied() {
                            None if !eof => return Parsed::More,
                            None => {
                                push_quoted(bounds, escaped, field, k, n, doubled);
                                return Parsed::Record { end: n, breaks };
                            }
                            Some(b'"') => {
                                state = State::Quoted { doubled: true };
                                pos = k + 2;
                            }
                            Some(c) if c == delimiter => {
                                push_quoted(bounds, escaped, field, k, k + 1, doubled);
                                field = k + 2;
                                pos = k + 2;
                                state = State::Plain;
                            }
                            Some(b'\n' | b'\r') => {
                                push_quoted(bounds, escaped, field, k, k + 1, doubled);
                                return Parsed::Record { end: k + 1, breaks };
                            }
                            Some(_) => state = State::Tail,
                        },
                        b'\n' => breaks += 1,
                        _ => match text.get(k + 1) {
                            Some(b'\n') => {}
                            None if !eof => return Parsed::More,
                            _ => breaks += 1,
                        },
                    }
                }
                State::Tail => {
                    let bits = delims | others;
                    if bits == 0 {
                        break;
                    }
                    let k = base + bits.trailing_zeros() as usize;
                    pos = k + 1;
                    let b = text[k];
                    if b != b'"' {
                        escaped.push(Escaped {
                            field: bounds.len(),
                            from: field,
                            to: k,
                        });
                        bounds.push((field, k));
                        if b != delimiter {
                            return Parsed::Record { end: k, breaks };
                        }
                        field = k + 1;
                        state = State::Plain;
                    }
                }
            }
        }
        base += 64;
    }
    if !eof {
        return Parsed::More;
    }
    match state {
        State::Plain => bounds.push((field, n)),
        // Unterminated at the end of the text: the field runs to the end, as the csv crate
        // reads it.
        State::Quoted { doubled } => push_quoted(bounds, escaped, field, n, n, doubled),
        State::Tail => {
            escaped.push(Escaped {
                field: bounds.len(),
                from: field,
                to: n,
            });
            bounds.push((field, n));
        }
    }
    Parsed::Record { end: n, breaks }
}

/// The bits of the block at `base` that stand for bytes before `pos`.
#[inline]
fn below(pos: usize, base: usize) -> u64 {
    match pos.saturating_sub(base) {
        0 => 0,
        d if d >= 64 => u64::MAX,
        d => (1u64 << d) - 1,
    }
}

/// Bit masks of the bytes [`parse`] looks at, 16 at a time with SIMD compares (`wide` picks
/// SSE2 or NEON, or plain code elsewhere).
struct Masks {
    delimiter: u8x16,
    quote: u8x16,
    newline: u8x16,
    carriage: u8x16,
}

impl Masks {
    fn new(delimiter: u8) -> Masks {
        Masks {
            delimiter: u8x16::splat(delimiter),
            quote: u8x16::splat(b'"'),
            newline: u8x16::splat(b'\n'),
            carriage: u8x16::splat(b'\r'),
        }
    }

    /// For the 64 bytes at `base`: bit i set when `text[base + i]` is the delimiter, and bit
    /// i set when it is a quote or a line end.
    #[inline]
    fn block(&self, text: &[u8], base: usize) -> (u64, u64) {
        match text.get(base..base + 64) {
            Some(block) => self.of(block),
            None => {
                // The last, partial block: padded with bytes that are masked off below.
                let rest = &text[base.min(text.len())..];
                let mut padded = [0u8; 64];
                padded[..rest.len()].copy_from_slice(rest);
                let keep = u64::MAX >> (64 - rest.len().clamp(1, 64));
                let (d, o) = self.of(&padded);
                (d & keep, o & keep)
            }
        }
    }

    #[inline]
    fn of(&self, block: &[u8]) -> (u64, u64) {
        let (chunks, _) = block.as_chunks::<16>();
        let (mut delims, mut others) = (0u64, 0u64);
        for (i, chunk) in chunks.iter().enumerate().take(4) {
            let v = u8x16::new(*chunk);
            let d = v.cmp_eq(self.delimiter);
            let o = v.cmp_eq(self.quote) | v.cmp_eq(self.newline) | v.cmp_eq(self.carriage);
            delims |= u64::from(d.move_mask() as u16) << (16 * i);
            others |= u64::from(o.move_mask() as u16) << (16 * i);
        }
        (delims, others)
    }
}

/// Records a quoted field running from the quote at `open` to the closing quote at `close`
/// (the raw field ends at `end`).
fn push_quoted(
    bounds: &mut Vec<(usize, usize)>,
    escaped: &mut Vec<Escaped>,
    open: usize,
    close: usize,
    end: usize,
    doubled: bool,
) {
    if doubled {
        escaped.push(Escaped {
            field: bounds.len(),
            from: open,
            to: end,
        });
    }
    bounds.push((open + 1, close));
}

/// Appends the field `bytes[from..to]` (starting with its opening quote) with its quotes
/// undone: `""` inside quotes is one quote, a lone quote ends the quoted part.
fn unquote(bytes: &mut Vec<u8>, from: usize, to: usize) {
    let mut quoted = false;
    let mut k = from;
    while k < to {
        let b = bytes[k];
        if b == b'"' {
            if !quoted {
                // Only the opening quote starts a quoted part (later quotes are literal).
                if k == from {
                    quoted = true;
                } else {
                    bytes.push(b);
                }
            } else if bytes.get(k + 1) == Some(&b'"') && k + 1 < to {
                bytes.push(b'"');
                k += 1;
            } else {
                // Once closed, the rest of the field is literal text.
                k += 1;
                while k < to {
                    let c = bytes[k];
                    bytes.push(c);
                    k += 1;
                }
                return;
            }
        } else {
            bytes.push(b);
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Line ends in `text`: `\n`, `\r\n` and a lone `\r`.
    fn line_breaks(text: &[u8]) -> u64 {
        let lone_cr = |(k, &b): (usize, &u8)| b == b'\r' && text.get(k + 1) != Some(&b'\n');
        (text.iter().filter(|&&b| b == b'\n').count()
            + text.iter().enumerate().filter(|&p| lone_cr(p)).count()) as u64
    }

    fn split(text: &[u8], delimiter: u8, capacity: usize) -> Vec<(At, Vec<Vec<u8>>)> {
        let mut s = Splitter::with_capacity(text, delimiter, At { offset: 0, line: 1 }, capacity);
        let mut rec = RawFields::default();
        let mut out = vec![];
        let mut first = true;
        loop {
            let before = s.position();
            let Some(at) = s.next_raw(&mut rec).expect("reading a slice cannot fail") else {
                break;
            };
            // Once a record was read, the position is where the next one starts.
            assert!(first || before == at, "{before:?} then {at:?}");
            first = false;
            out.push((at, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    fn csv_crate(text: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text);
        let mut rec = csv::ByteRecord::new();
        let mut out = vec![];
        while r.read_byte_record(&mut rec).expect("csv reads any bytes") {
            out.push(rec.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    /// The line an editor shows for `offset`: line ends before it, plus one.
    fn line_of(text: &[u8], offset: usize) -> u64 {
        line_breaks(&text[..offset]) + 1
    }

    #[test]
    fn crlf_and_blank_lines_give_true_lines_and_offsets() {
        let text = b"a,b\r\n1,2\r\n\r\n\r\n3,\"x\r\ny\"\r\n4,5";
        let got = split(text, b',', 4);
        let starts: Vec<(u64, u64)> = got.iter().map(|(a, _)| (a.offset, a.line)).collect();
        assert_eq!(starts, vec![(0, 1), (5, 2), (14, 5), (24, 7)]);
        assert_eq!(got[2].1, vec![b"3".to_vec(), b"x\r\ny".to_vec()]);
    }

    #[test]
    fn quotes_undone_as_the_csv_crate_does() {
        for text in [
            &b"\"a\"\"b\",\"c\"d\"e\",f\"g,\"\"\n"[..],
            b"\"unterminated,\nstill",
            b"x,\"\"",
            b"\"a\"\"\"",
            b";\"a;b\";c\n",
        ] {
            let want = csv_crate(text, b',');
            let got: Vec<_> = split(text, b',', 3).into_iter().map(|(_, f)| f).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn fields_take_utf8_and_name_the_bad_field() {
        let mut raw = RawFields::default();
        let mut s = Splitter::new(&b"ok,caf\xc3\xa9\nok,bad\xff,x\n"[..], b',', At::default());
        let mut fields = Fields::default();
        s.next_raw(&mut raw).unwrap();
        assert_eq!(fields.take_from(&mut raw), Ok(()));
        assert_eq!(fields.get(1), Some("café"));
        s.next_raw(&mut raw).unwrap();
        assert_eq!(fields.take_from(&mut raw), Err(1));
        assert_eq!(raw.get(2), Some(&b"x"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn csv_compat(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(&b","[..]), Just(&b";"[..]), Just(&b"\""[..]), Just(&b"\n"[..]),
                    Just(&b"\r"[..]), Just(&b"\r\n"[..]), Just(&b"ab"[..]), Just(&b" "[..]),
                    Just(&b"\xc3\xa9"[..]), Just(&b"\"\""[..]), Just(&b"x"[..]),
                ],
                0..200,
            ),
            semicolon in any::<bool>(),
            capacity in 1usize..200,
        ) {
            let text: Vec<u8> = parts.concat();
            let delimiter = if semicolon { b';' } else { b',' };
            let got = split(&text, delimiter, capacity);
            let fields: Vec<_> = got.iter().map(|(_, f)| f.clone()).collect();
            prop_assert_eq!(fields, csv_crate(&text, delimiter));
            for (at, _) in &got {
                let o = at.offset as usize;
                prop_assert!(text[o] != b'\n' && text[o] != b'\r', "record starts on a line end");
                prop_assert!(o == 0 || text[o - 1] == b'\n' || text[o - 1] == b'\r', "record starts mid-line");
                prop_assert_eq!(at.line, line_of(&text, o));
            }
        }
    }
}
