//! WooCommerce product exports in the store's language.
//!
//! WooCommerce's exporter writes its column names through `__()`, so a Turkish store's export
//! says `Tür, Stok kodu (SKU), İsim, ...` where an English one says `Type, SKU, Name, ...`. The
//! names come from WooCommerce's translation catalogues; `l10n/LOCALE.po` holds, per locale, the
//! catalogue entries of the exporter's column names (and only those; the sources are named at
//! the top of each file). A header is recognised as a localized export when one catalogue
//! translates its `Type` and `Name` columns, and it is then renamed onto the English names
//! before the ordinary reader sees it. `%d` and `%s` in a name (`Attribute %d name`,
//! `Weight (%s)`, `Meta: %s`) match a number and any text.

use crate::files::table::normalise_name;
use std::sync::OnceLock;

/// The vendored catalogues: locale and `.po` text.
const CATALOGUES: [(&str, &str); 9] = [
    ("tr_TR", include_str!("l10n/tr_TR.po")),
    ("de_DE", include_str!("l10n/de_DE.po")),
    ("fr_FR", include_str!("l10n/fr_FR.po")),
    ("es_ES", include_str!("l10n/es_ES.po")),
    ("it_IT", include_str!("l10n/it_IT.po")),
    ("pt_BR", include_str!("l10n/pt_BR.po")),
    ("nl_NL", include_str!("l10n/nl_NL.po")),
    ("pl_PL", include_str!("l10n/pl_PL.po")),
    ("ru_RU", include_str!("l10n/ru_RU.po")),
];

/// One catalogue: the English column name and its translation, per entry.
#[derive(Debug)]
pub struct Catalogue {
    pub locale: &'static str,
    pub entries: Vec<(String, String)>,
    /// The entries ready to compare, in the same order.
    patterns: Vec<Pattern>,
}

/// Every vendored catalogue, parsed once.
pub fn catalogues() -> &'static [Catalogue] {
    static PARSED: OnceLock<Vec<Catalogue>> = OnceLock::new();
    PARSED.get_or_init(|| {
        CATALOGUES
            .iter()
            .map(|(locale, text)| {
                let entries = parse_po(text);
                let patterns = entries
                    .iter()
                    .map(|(en, tr)| Pattern::new(en, tr))
                    .collect();
                Catalogue {
                    locale,
                    entries,
                    patterns,
                }
            })
            .collect()
    })
}

/// The msgid/msgstr pairs of a `.po` text (the subset the vendored files use: one-line
/// strings, `#` comments, blank lines between entries).
pub fn parse_po(text: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut id: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("msgid ") {
            id = unquote(rest);
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            if let (Some(i), Some(s)) = (id.take(), unquote(rest)) {
                if !i.is_empty() && !s.is_empty() {
                    out.push((i, s));
                }
            }
        }
    }
    out
}

fn unquote(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Whitespace (no-break spaces too) collapsed, typographic apostrophes made plain: how
/// translations and headers are compared, besides case.
fn tidy(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['’', 'ʼ', '`'], "'")
}

/// Case-insensitive comparison, letter by letter (Turkish `İ` lower-cases to `i` and a
/// combining dot, which is dropped so that `İ` and `i` meet).
fn same(a: &[char], b: &[char]) -> bool {
    let lower = |c: &char| c.to_lowercase().filter(|l| *l != '\u{307}');
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || lower(x).eq(lower(y)))
}

/// The English name of `column` when `translated` (a catalogue entry's msgstr) names it,
/// `english` being the msgid; placeholders take what the column has in their place.
pub fn match_entry(column: &str, english: &str, translated: &str) -> Option<String> {
    Pattern::new(english, translated).english_of(&letters(column))
}

/// A column name as patterns compare it: tidied, letter by letter.
fn letters(column: &str) -> Vec<char> {
    tidy(column).chars().collect()
}

/// A catalogue entry tidied and split at its placeholder once, not once per column it is
/// tried on: a header is tried against every entry of every catalogue, and redoing that work
/// per column made a wide header take seconds (found by fuzzing the mapping path).
#[derive(Debug)]
struct Pattern {
    english: String,
    /// The translation before its placeholder; all of it when it has none.
    pre: Vec<char>,
    /// After the placeholder, and whether it takes only digits (`%d`); `None` without one.
    post: Option<(Vec<char>, bool)>,
}

impl Pattern {
    fn new(english: &str, translated: &str) -> Pattern {
        let tr = tidy(translated);
        let placeholder = ["%d", "%s", "%1$d", "%1$s"]
            .into_iter()
            .find_map(|p| tr.find(p).map(|i| (i, p)));
        let english = english.to_string();
        match placeholder {
            None => Pattern {
                english,
                pre: tr.chars().collect(),
                post: None,
            },
            Some((at, p)) => Pattern {
                english,
                pre: tr[..at].chars().collect(),
                post: Some((tr[at + p.len()..].chars().collect(), p.ends_with('d'))),
            },
        }
    }

    /// The English name of the column whose `letters` these are, when this entry names it.
    fn english_of(&self, col: &[char]) -> Option<String> {
        let pre = &self.pre;
        let Some((post, digits)) = &self.post else {
            return same(col, pre).then(|| self.english.clone());
        };
        if col.len() <= pre.len() + post.len()
            || !same(&col[..pre.len()], pre)
            || !same(&col[col.len() - post.len()..], post)
        {
            return None;
        }
        let middle: String = col[pre.len()..col.len() - post.len()].iter().collect();
        let middle = middle.trim();
        if middle.is_empty() || (*digits && !middle.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let eng_p = ["%d", "%s"]
            .into_iter()
            .find(|q| self.english.contains(q))?;
        Some(self.english.replacen(eng_p, middle, 1))
    }
}

/// A header translated back to English by one catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub locale: &'static str,
    /// The English name of each column; `None` where the catalogue names no exporter column.
    pub names: Vec<Option<String>>,
}

impl Translated {
    /// Columns the catalogue translated into a name different from their own.
    pub fn translated(&self, header: &[String]) -> usize {
        self.names
            .iter()
            .zip(header)
            .filter(|(n, h)| {
                n.as_deref()
                    .is_some_and(|n| normalise_name(n) != normalise_name(h))
            })
            .count()
    }
}

fn translate_with(cat: &Catalogue, header: &[String]) -> Translated {
    let names = header
        .iter()
        .map(|h| {
            let col = letters(h);
            cat.patterns.iter().find_map(|p| p.english_of(&col))
        })
        .collect();
    Translated {
        locale: cat.locale,
        names,
    }
}

/// WooCommerce's importer takes a file of any subset of its columns with a Name or an SKU to
/// tell the products apart; `names` are the columns' English names (`None`: not one of the
/// exporter's). Every column must be one, so that a sheet merely sharing a word is not taken.
pub fn is_partial_file(names: &[Option<&str>]) -> bool {
    let named = |n: &str| {
        names
            .iter()
            .flatten()
            .any(|c| normalise_name(c) == normalise_name(n))
    };
    names.len() >= 2 && names.iter().all(Option::is_some) && (named("SKU") || named("Name"))
}

/// The catalogue that reads `header` as a WooCommerce product export, if one does: it must
/// name the `Type` and `Name` columns (what recognises an English export), or name every
/// column of a partial file with its `Name` or `SKU`, and translate more columns than any
/// other catalogue.
pub fn translate(header: &[String]) -> Option<Translated> {
    let mut best: Option<(usize, Translated)> = None;
    for cat in catalogues() {
        let t = translate_with(cat, header);
        let has = |n: &str| t.names.iter().flatten().any(|x| x == n);
        let names: Vec<Option<&str>> = t.names.iter().map(Option::as_deref).collect();
        if !(is_partial_file(&names) || has("Type") && has("Name")) {
            continue;
        }
        let score = t.translated(header);
        if score == 0 {
            continue;
        }
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, t));
        }
    }
    best.map(|(_, t)| t)
}

/// Every translation of the English exporter column `english` in the vendored catalogues
/// (`%d` / `%s` left in place): synonyms for the column mapper.
pub fn translations_of(english: &str) -> Vec<(&'static str, &'static str)> {
    catalogues()
        .iter()
        .flat_map(|c| {
            c.entries
                .iter()
                .filter(move |(en, _)| en == english)
                .map(move |(_, tr)| (c.locale, tr.as_str()))
        })
        .collect()
}

/// Whether `column` is a name WooCommerce's English export (or storeshift's reader) uses:
/// such a column keeps its name in a translated header.
pub fn is_english_column(column: &str) -> bool {
    const READER_NAMES: [&str; 7] = [
        "Slug",
        "post_name",
        "Brand",
        "Brands",
        "GTIN",
        "EAN",
        "Barcode",
    ];
    if READER_NAMES
        .iter()
        .any(|n| normalise_name(n) == normalise_name(column))
    {
        return true;
    }
    // Every catalogue holds the same English names: each is compared once.
    static ENGLISH: OnceLock<Vec<Pattern>> = OnceLock::new();
    let english = ENGLISH.get_or_init(|| {
        let mut names: Vec<&str> = catalogues()
            .iter()
            .flat_map(|c| c.entries.iter().map(|(en, _)| en.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(|en| Pattern::new(en, en)).collect()
    });
    let col = letters(column);
    english.iter().any(|p| p.english_of(&col).is_some())
}

#[cfg(test)]
mod tests;
