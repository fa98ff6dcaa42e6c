//! Mapping files: TOML, one `[[file]]` table per export file, one line per column.
//!
//! ```toml
//! [[file]]
//! name = "urunler.csv"      # the file it is for (else: any file with exactly these columns)
//! entity = "products"       # products | customers | orders
//! layout = "woocommerce"    # the reader that reads the mapped rows
//!
//! [file.columns]
//! "Ürün Adı" = "product.title"     # 0.95: Turkish for product name
//! "Stok Kodu" = "variant.sku"
//! "Renk" = "option"                # its values are the option "Renk"
//! "Notlar" = "ignore"
//! ```
//!
//! The comments `inspect --write-mapping` writes (confidence, reason, sample values) are for
//! the person editing the file; reading ignores them.

use super::{ColumnMap, FileMapping, Target};
use crate::connector::{ConnectorError, Result};
use crate::model::{Entity, Platform};
use std::fmt::Write as _;
use std::path::Path;

/// Reads a mapping file.
pub fn read(path: &Path) -> Result<Vec<FileMapping>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConnectorError::Input(format!(
            "cannot read the column mapping {}: {e}; check `mapping` in migration.toml or --mapping",
            path.display()
        ))
    })?;
    parse(&text, &path.display().to_string())
}

/// 1-based line and column of byte `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Where `key` is written in `text` at or after byte `from` (for messages).
fn find_key(text: &str, key: &str, from: usize) -> (usize, usize) {
    let rest = &text[from.min(text.len())..];
    let quoted = toml::Value::String(key.to_string()).to_string();
    let at = rest
        .lines()
        .scan(0usize, |off, l| {
            let start = *off;
            *off += l.len() + 1;
            Some((start, l))
        })
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with(&quoted)
                || t.starts_with(&format!("{key} "))
                || t.starts_with(&format!("{key}="))
        })
        .map(|(s, l)| s + (l.len() - l.trim_start().len()))
        .unwrap_or(0);
    line_col(text, from + at)
}

/// Parses a mapping file's text; `origin` names it in messages.
pub fn parse(text: &str, origin: &str) -> Result<Vec<FileMapping>> {
    let err = |line: usize, col: usize, msg: String| {
        ConnectorError::Input(format!("{origin}:{line}:{col}: {msg}"))
    };
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        err(line, col, format!("{}; fix the TOML", e.message().trim()))
    })?;
    if let Some(k) = doc.keys().find(|k| k.as_str() != "file") {
        let (l, c) = find_key(text, k, 0);
        return Err(err(
            l,
            c,
            format!("unknown key `{k}`; a mapping file holds [[file]] tables"),
        ));
    }
    let Some(files) = doc.get("file") else {
        return Err(err(
            1,
            1,
            "no [[file]] table; write one per export file".into(),
        ));
    };
    let files = files
        .as_array()
        .ok_or_else(|| err(1, 1, "`file` must be [[file]] tables".into()))?;
    // Where each [[file]] starts, so messages point into the right table.
    let starts: Vec<usize> = text.match_indices("[[file]]").map(|(i, _)| i).collect();
    let mut out = vec![];
    for (n, f) in files.iter().enumerate() {
        let from = starts.get(n).copied().unwrap_or(0);
        let here = |key: &str| find_key(text, key, from);
        let table = f
            .as_table()
            .ok_or_else(|| err(1, 1, format!("[[file]] number {} is not a table", n + 1)))?;
        for k in table.keys() {
            if !["name", "entity", "layout", "columns"].contains(&k.as_str()) {
                let (l, c) = here(k);
                return Err(err(
                    l,
                    c,
                    format!(
                        "unknown key `{k}`; [[file]] takes name, entity, layout and [file.columns]"
                    ),
                ));
            }
        }
        let string = |key: &str| -> Result<Option<String>> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => {
                    let (l, c) = here(key);
                    Err(err(l, c, format!("`{key}` must be a string")))
                }
            }
        };
        let entity_text = string("entity")?.ok_or_else(|| {
            let (l, c) = line_col(text, from);
            err(
                l,
                c,
                "this [[file]] has no `entity` (products, customers or orders)".into(),
            )
        })?;
        let entity = Entity::parse(&entity_text).ok_or_else(|| {
            let (l, c) = here("entity");
            err(
                l,
                c,
                format!("entity \"{entity_text}\" is not products, customers or orders"),
            )
        })?;
        let layout_text = string("layout")?.ok_or_else(|| {
            let (l, c) = line_col(text, from);
            err(
                l,
                c,
                "this [[file]] has no `layout` (woocommerce or shopify)".into(),
            )
        })?;
        let layout = Platform::parse(&layout_text).ok_or_else(|| {
            let (l, c) = here("layout");
            err(
                l,
                c,
                format!("layout \"{layout_text}\" is not a platform (woocommerce, shopify, magento, ...)"),
            )
        })?;
        let columns_at = text[from..]
            .find("columns]")
            .map(|i| from + i)
            .unwrap_or(from);
        let cols = match table.get("columns") {
            Some(toml::Value::Table(t)) => t,
            _ => {
                let (l, c) = line_col(text, from);
                return Err(err(
                    l,
                    c,
                    "this [[file]] has no [file.columns] table with one line per column".into(),
                ));
            }
        };
        let mut columns = vec![];
        for (name, value) in cols {
            let (l, c) = find_key(text, name, columns_at);
            let v = value.as_str().ok_or_else(|| {
                err(
                    l,
                    c,
                    format!("the column \"{name}\" must map to a string such as \"product.title\""),
                )
            })?;
            let target =
                Target::parse(v).map_err(|e| err(l, c, format!("column \"{name}\": {e}")))?;
            // Repeated column names are written "Name #2"; the mapping matches them in turn.
            let column = match name.rsplit_once(" #") {
                Some((base, n)) if n.parse::<u32>().is_ok() => base.to_string(),
                _ => name.clone(),
            };
            columns.push((l, ColumnMap::new(column, target)));
        }
        // TOML tables do not keep their order; the file's lines do.
        columns.sort_by_key(|(l, _)| *l);
        out.push(FileMapping {
            file: string("name")?,
            entity,
            layout,
            columns: columns.into_iter().map(|(_, c)| c).collect(),
        });
    }
    Ok(out)
}

/// A TOML string (quoted and escaped).
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Writes mappings as a mapping file, with the proposer's confidence, reason and sample
/// values as comments for the person who checks it.
pub fn render(mappings: &[FileMapping]) -> String {
    let mut s = String::new();
    s.push_str(
        "# storeshift column mapping (storeshift inspect --write-mapping).\n\
         # Each column maps to a field (product.title, variant.sku, customer.email, ...: see the\n\
         # README, \"Column mappings\"), or to: option (its values are a product option named after\n\
         # the column; option:Size names it), attribute (kept as an extra attribute), ignore (left\n\
         # out and listed in the report), column:NAME (the layout's own column NAME).\n\
         # Use it with `[source] mapping = \"THIS.toml\"` or `storeshift convert --mapping THIS.toml`.\n",
    );
    for m in mappings {
        s.push_str("\n[[file]]\n");
        if let Some(name) = &m.file {
            let _ = writeln!(s, "name = {}", quote(name));
        }
        let _ = writeln!(s, "entity = {}", quote(m.entity.key()));
        let _ = writeln!(
            s,
            "layout = {}    # {}",
            quote(m.layout.key()),
            m.layout().describe()
        );
        s.push_str("\n[file.columns]\n");
        let mut seen: Vec<&str> = vec![];
        for c in &m.columns {
            let repeats = seen.iter().filter(|n| **n == c.column).count();
            seen.push(&c.column);
            let key = if repeats > 0 {
                format!("{} #{}", c.column, repeats + 1)
            } else {
                c.column.clone()
            };
            let mut comment = vec![];
            if let Some(conf) = c.confidence {
                comment.push(format!("{conf:.2}"));
            }
            if let Some(r) = &c.reason {
                comment.push(r.clone());
            }
            if !c.samples.is_empty() {
                comment.push(format!(
                    "e.g. {}",
                    c.samples
                        .iter()
                        .map(|v| v.replace(['\n', '\r'], " "))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
            let line = format!("{} = {}", quote(&key), quote(&c.target.key()));
            if comment.is_empty() {
                let _ = writeln!(s, "{line}");
            } else {
                let _ = writeln!(s, "{line:<44} # {}", comment.join("; "));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::mapping::Field;

    fn sample() -> FileMapping {
        FileMapping {
            file: Some("ürünler.csv".into()),
            entity: Entity::Products,
            layout: Platform::WooCommerce,
            columns: vec![
                ColumnMap {
                    confidence: Some(0.95),
                    reason: Some("name: Turkish for product name".into()),
                    samples: vec!["Kazak".into(), "Gömlek \"slim\"".into()],
                    ..ColumnMap::new("Ürün Adı", Target::Field(Field::ProductTitle))
                },
                ColumnMap::new("Renk", Target::Option(None)),
                ColumnMap::new("Beden", Target::Option(Some("Size".into()))),
                ColumnMap::new("Not", Target::Ignore),
                ColumnMap::new("Not", Target::Attribute),
                ColumnMap::new("a = \"b\"", Target::Column("Is featured?".into())),
            ],
        }
    }

    #[test]
    fn rendered_mappings_read_back() {
        let m = sample();
        let text = render(std::slice::from_ref(&m));
        let back = parse(&text, "m.toml").unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].file, m.file);
        assert_eq!(back[0].entity, m.entity);
        assert_eq!(back[0].layout, m.layout);
        let cols: Vec<(String, Target)> = back[0]
            .columns
            .iter()
            .map(|c| (c.column.clone(), c.target.clone()))
            .collect();
        let want: Vec<(String, Target)> = m
            .columns
            .iter()
            .map(|c| (c.column.clone(), c.target.clone()))
            .collect();
        assert_eq!(cols, want, "{text}");
        assert!(text.contains("0.95; name: Turkish"), "{text}");
    }

    #[test]
    fn mistakes_name_file_line_and_column() {
        let text = "[[file]]\nentity = \"products\"\nlayout = \"woocommerce\"\n\n[file.columns]\n\"Ad\" = \"product.title\"\n\"Fiyat\" = \"variant.prise\"\n";
        let e = parse(text, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:7:1:"), "{e}");
        assert!(e.contains("variant.price"), "suggests the field: {e}");

        let e = parse("[[file]]\nentity = \"produkts\"\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("m.toml:2:1:") && e.contains("produkts"),
            "{e}"
        );

        let e = parse("[[file]\n", "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1:"), "{e}");

        let e = parse(
            "[[file]]\nentity = \"products\"\nlayout = \"woocommerce\"\nsheet = 2\n[file.columns]\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("m.toml:4:1:") && e.contains("sheet"), "{e}");
    }
}
