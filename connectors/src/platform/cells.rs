//! What a spreadsheet cell means on each platform: the guard its exporter puts in front of
//! values, and, for every import file storeshift writes, the importer that reads it and whether
//! that importer takes the guard off again.
//!
//! Spreadsheet-safe exporters put a mark before values that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`) or reformat (Shopify: long digit strings). The mark is not data: a reader
//! removes it by its platform's one rule, from every column. A writer puts it back only where the
//! importer of its file removes it again; everywhere else a guard would end up in the store
//! (`'+56 9 …` as a customer's phone).

use crate::model::Platform;

/// The mark one platform's exporter puts before a value, and which values get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    /// The byte put in front (`'`; Magento puts a space).
    pub mark: u8,
    /// Values starting with one of these bytes get the mark.
    pub triggers: &'static [u8],
    /// Values made only of ASCII digits get the mark too (Shopify's barcodes and ids, which a
    /// spreadsheet would turn into numbers and round).
    pub digits: bool,
    /// Columns whose every value gets the mark, whatever it starts with (Shopify's zip codes:
    /// `'N1 9GU`); `*` in a name stands for any text.
    pub always: &'static [&'static str],
}

impl Guard {
    /// Whether the exporter would guard `value`.
    pub fn wants(&self, value: &str) -> bool {
        let b = value.as_bytes();
        match b.first() {
            None => false,
            Some(first) => {
                self.triggers.contains(first) || (self.digits && b.iter().all(u8::is_ascii_digit))
            }
        }
    }

    /// `cell` without the guard, when it carries one.
    pub fn strip<'a>(&self, cell: &'a str) -> &'a str {
        match cell.as_bytes().split_first() {
            Some((&m, rest)) if m == self.mark && !rest.is_empty() => {
                // The mark is ASCII, so the rest starts on a character boundary.
                let value = &cell[1..];
                if self.wants(value) {
                    value
                } else {
                    cell
                }
            }
            _ => cell,
        }
    }

    /// Whether every value of the column named `column` gets the mark.
    pub fn always_in(&self, column: &str) -> bool {
        self.always.iter().any(|p| glob(p, column))
    }

    /// For each column of `header`, whether its every value is guarded.
    pub fn always_columns<S: AsRef<str>>(&self, header: &[S]) -> Vec<bool> {
        header.iter().map(|c| self.always_in(c.as_ref())).collect()
    }

    /// [`Self::len_in`] for a cell of a column whose every value is guarded (`always`) or not.
    pub fn len_in_column(&self, always: bool, cell: &[u8]) -> usize {
        if always && cell.len() > 1 && cell[0] == self.mark {
            1
        } else {
            self.len_in(cell)
        }
    }

    /// [`Self::apply`] for a column whose every value is guarded (`always`) or not.
    pub fn apply_in<'a>(&self, always: bool, value: &'a str) -> std::borrow::Cow<'a, str> {
        if always && !value.is_empty() {
            format!("{}{value}", char::from(self.mark)).into()
        } else {
            self.apply(value)
        }
    }

    /// How many bytes of `cell` are the guard (0 or 1): for readers that trim cells in place.
    pub fn len_in(&self, cell: &[u8]) -> usize {
        match cell.split_first() {
            Some((&m, rest)) if m == self.mark && !rest.is_empty() => {
                let wanted = self.triggers.contains(&rest[0])
                    || (self.digits && rest.iter().all(u8::is_ascii_digit));
                usize::from(wanted)
            }
            _ => 0,
        }
    }

    /// `value` as the exporter writes it.
    pub fn apply<'a>(&self, value: &'a str) -> std::borrow::Cow<'a, str> {
        if self.wants(value) {
            let mut s = String::with_capacity(value.len() + 1);
            s.push(char::from(self.mark));
            s.push_str(value);
            s.into()
        } else {
            value.into()
        }
    }
}

/// Where an importer removes the guard again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strips {
    /// Nowhere that is known: a guard would be imported as part of the value.
    Nowhere,
    /// In these columns (a `*` in a name stands for any text: `Weight (*)`).
    Columns(&'static [&'static str]),
}

/// One import file a writer produces and what reads it into the store.
#[derive(Debug, Clone, Copy)]
pub struct ImportFile {
    /// The writer's file name (`products.csv`).
    pub file: &'static str,
    /// The program that reads it into the store.
    pub importer: &'static str,
    /// The guard the importer understands, and where it removes it.
    pub guard: Option<Guard>,
    pub strips: Strips,
    /// Where the importer's behaviour was read: repository, file, function.
    pub evidence: &'static str,
}

impl ImportFile {
    /// Whether the importer removes the guard from the column named `column`.
    pub fn strips_in(&self, column: &str) -> bool {
        match self.strips {
            Strips::Nowhere => false,
            Strips::Columns(list) => list.iter().any(|p| glob(p, column)),
        }
    }

    /// For each column of `header`, the guard to write there (`None`: write values as they are).
    pub fn guards_for<S: AsRef<str>>(&self, header: &[S]) -> Vec<Option<Guard>> {
        header
            .iter()
            .map(|c| self.guard.filter(|_| self.strips_in(c.as_ref())))
            .collect()
    }
}

/// `pattern` with at most one `*` (any text) matches `name`, ignoring ASCII case.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(name),
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len()
                && name
                    .get(..head.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(head))
                && name
                    .get(name.len() - tail.len()..)
                    .is_some_and(|t| t.eq_ignore_ascii_case(tail))
        }
    }
}

/// The guard `platform`'s own exporter writes, which its readers remove from every column.
pub fn export_guard(platform: Platform) -> Option<Guard> {
    match platform {
        Platform::Shopify => Some(super::shopify::EXPORT_GUARD),
        Platform::WooCommerce => Some(super::woocommerce::EXPORT_GUARD),
        Platform::Magento => Some(super::magento::EXPORT_GUARD),
        // No guard seen in their exports: BigCommerce's and Ikas's files, and the API-only
        // platforms, have nothing to remove.
        Platform::BigCommerce
        | Platform::Ikas
        | Platform::Ideasoft
        | Platform::Medusa
        | Platform::Vendure => None,
    }
}

/// The import files `platform`'s writers produce, with their importers.
pub fn import_files(platform: Platform) -> &'static [ImportFile] {
    match platform {
        Platform::Shopify => super::shopify::IMPORT_FILES,
        Platform::WooCommerce => super::woocommerce::IMPORT_FILES,
        Platform::Magento => super::magento::IMPORT_FILES,
        Platform::BigCommerce => super::bigcommerce::IMPORT_FILES,
        Platform::Ikas => super::ikas::IMPORT_FILES,
        Platform::Ideasoft | Platform::Medusa | Platform::Vendure => &[],
    }
}

/// The importer of `file` on `platform`, if storeshift writes that file.
pub fn import_file(platform: Platform, file: &str) -> Option<&'static ImportFile> {
    import_files(platform).iter().find(|f| f.file == file)
}

/// The formula triggers of the CSV-injection advice every exporter here follows.
pub const FORMULA_TRIGGERS: &[u8] = b"=+-@";

#[cfg(test)]
mod tests {
    use super::*;

    const WOO: Guard = Guard {
        mark: b'\'',
        triggers: b"=+-@\t\r",
        digits: false,
        always: &[],
    };
    const SHOPIFY: Guard = Guard {
        mark: b'\'',
        triggers: FORMULA_TRIGGERS,
        digits: true,
        always: &["*Zip"],
    };

    #[test]
    fn strip_takes_off_only_a_guard() {
        assert_eq!(WOO.strip("'+56 9 1234 5678"), "+56 9 1234 5678");
        assert_eq!(WOO.strip("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(WOO.strip("'Tis the season"), "'Tis the season");
        assert_eq!(WOO.strip("'"), "'");
        assert_eq!(WOO.strip(""), "");
        assert_eq!(WOO.strip("'7649988260513"), "'7649988260513");
        assert_eq!(SHOPIFY.strip("'7649988260513"), "7649988260513");
        assert_eq!(SHOPIFY.strip("'90s Retro Tee"), "'90s Retro Tee");
        assert_eq!(SHOPIFY.strip("'ğ"), "'ğ");
        let magento = Guard {
            mark: b' ',
            triggers: b"=+-",
            digits: false,
            always: &[],
        };
        assert_eq!(magento.strip(" -5"), "-5");
        assert_eq!(magento.strip(" @x"), " @x");
    }

    #[test]
    fn apply_and_strip_round_trip() {
        for v in [
            "-5", "+1 555", "=1+1", "@home", "plain", "", "'quoted", "12345",
        ] {
            for g in [WOO, SHOPIFY] {
                let guarded = g.apply(v);
                assert_eq!(g.strip(&guarded), v, "{g:?} {v}");
                assert_eq!(g.len_in(guarded.as_bytes()), usize::from(g.wants(v)));
            }
        }
    }

    #[test]
    fn columns_guarded_throughout_lose_any_leading_mark() {
        assert!(SHOPIFY.always_in("Billing Zip") && !SHOPIFY.always_in("Name"));
        assert_eq!(SHOPIFY.len_in_column(true, b"'N1 9GU"), 1);
        assert_eq!(SHOPIFY.len_in_column(false, b"'N1 9GU"), 0);
        assert_eq!(SHOPIFY.len_in_column(true, b"'"), 0);
        assert_eq!(SHOPIFY.apply_in(true, "N1 9GU"), "'N1 9GU");
        assert_eq!(SHOPIFY.apply_in(true, ""), "");
    }

    #[test]
    fn column_patterns_match_ignoring_case() {
        assert!(glob("Weight (*)", "Weight (kg)"));
        assert!(glob("Attribute * value(s)", "attribute 12 value(s)"));
        assert!(!glob("Attribute * value(s)", "Attribute 1 name"));
        assert!(glob("Stock", "stock"));
        assert!(!glob("Stock", "In stock?"));
        assert!(!glob("ab*ba", "aba"));
    }
}
