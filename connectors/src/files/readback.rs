//! Convert's read-back: what was written is compared, field by field, with what the target's
//! own reader gets out of the written files.
//!
//! The written records wait in an unnamed temporary file as JSON, indexed by external key, and
//! the output is read back a page at a time: a million-row conversion is compared in the memory
//! of its keys, never with both catalogs held whole.

use super::convert::Loss;
use crate::connector::{Cursor, Result, Source};
use crate::model::{Entity, Platform, Record, WeightUnit};
use crate::platform;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

/// Records read back per step.
const PAGE: usize = 1000;

/// Where one written record's JSON is in the spill file.
struct Slot {
    seq: usize,
    /// The record's fingerprint: a read-back with the same one is unchanged.
    print: [u8; 32],
    offset: u64,
    len: usize,
    matched: bool,
}

/// The records of one entity as written, kept on disk for the read-back.
pub(super) struct Written {
    to: Platform,
    out: BufWriter<File>,
    at: u64,
    index: FxHashMap<String, Vec<Slot>>,
    count: usize,
}

impl Written {
    pub fn new(to: Platform) -> std::io::Result<Written> {
        Ok(Written {
            to,
            out: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            at: 0,
            index: FxHashMap::default(),
            count: 0,
        })
    }

    pub fn push(&mut self, mut r: Record) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&r)?;
        self.out.write_all(&bytes)?;
        let key = r.external_key();
        self.index.entry(key).or_default().push(Slot {
            seq: self.count,
            print: fingerprint(&mut r, self.to),
            offset: self.at,
            len: bytes.len(),
            matched: false,
        });
        self.at += bytes.len() as u64;
        self.count += 1;
        Ok(())
    }
}

/// Reads `entity` back from `back` and returns what did not survive, in the order written.
pub(super) async fn compare(
    back: &mut dyn Source,
    entity: Entity,
    written: Written,
    to: Platform,
) -> Result<Vec<Loss>> {
    let Written {
        out,
        mut index,
        count,
        ..
    } = written;
    if count == 0 {
        return Ok(vec![]);
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    let load = |slot: &Slot| -> Result<Value> {
        let mut buf = vec![0u8; slot.len];
        file.read_exact_at(&mut buf, slot.offset)?;
        Ok(serde_json::from_slice(&buf).map_err(std::io::Error::other)?)
    };
    let mut losses: Vec<(usize, Loss)> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        // A file the target's reader cannot read back leaves every record unconfirmed.
        let Ok(page) = back.read_page(entity, cursor.as_ref(), PAGE).await else {
            break;
        };
        for mut got in page.records {
            let key = got.external_key();
            let Some(slot) = index
                .get_mut(&key)
                .and_then(|slots| slots.iter_mut().find(|s| !s.matched))
            else {
                continue;
            };
            slot.matched = true;
            // The Shopify print leaves categories out; only a read-back without any (the
            // file's own case) may be judged by it.
            let comparable = match &got {
                Record::Product(p) => to != Platform::Shopify || p.categories.is_empty(),
                _ => true,
            };
            if comparable && fingerprint(&mut got, to) == slot.print {
                continue;
            }
            let sent = load(slot)?;
            let got = serde_json::to_value(&got).map_err(std::io::Error::other)?;
            let what = diff_values(&sent, &got, to);
            if !what.is_empty() {
                let seq = slot.seq;
                losses.push((seq, loss(entity, key, &sent, what)));
            }
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    for (key, slots) in index {
        for slot in slots.iter().filter(|s| !s.matched) {
            let sent = load(slot)?;
            let what = vec![format!(
                "not found when {to}'s reader read the written file back"
            )];
            losses.push((slot.seq, loss(entity, key.clone(), &sent, what)));
        }
    }
    losses.sort_by_key(|(seq, _)| *seq);
    Ok(losses.into_iter().map(|(_, l)| l).collect())
}

fn loss(entity: Entity, key: String, sent: &Value, what: Vec<String>) -> Loss {
    let label = serde_json::from_value::<Record>(sent.clone())
        .map(|r| r.label())
        .unwrap_or_else(|_| key.clone());
    Loss {
        entity,
        key,
        label,
        what,
    }
}

/// A record's content as the comparison sees it, hashed: without where it came from (source,
/// variant ids), and for Shopify without the category paths its file carries as tags. Equal
/// fingerprints mean nothing to report; different ones get the field-by-field comparison, which
/// alone decides what is lost (so a difference the comparison forgives costs time, not truth).
///
/// It clears those fields in place: the comparison ignores them too, so the record can still be
/// compared afterwards, without a copy made per record.
fn fingerprint(r: &mut Record, to: Platform) -> [u8; 32] {
    *r.source_mut() = Default::default();
    if let Record::Product(p) = r {
        for v in &mut p.variants {
            v.source_id = None;
        }
        if to == Platform::Shopify {
            p.categories.clear();
        }
    }
    r.content_hash()
}

/// What did not survive between `sent` and `got`, one line per field.
#[cfg(test)]
pub(super) fn diff_records(sent: &Record, got: &Record, to: Platform) -> Vec<String> {
    match (serde_json::to_value(sent), serde_json::to_value(got)) {
        (Ok(a), Ok(b)) => diff_values(&a, &b, to),
        _ => vec![],
    }
}

fn diff_values(a: &Value, b: &Value, to: Platform) -> Vec<String> {
    let mut out = Vec::new();
    diff_value(&mut String::new(), a, b, &mut out);
    if a.get("entity").and_then(Value::as_str) != Some("product") {
        return out;
    }
    // A field the target's files have no place for is one line saying so, not one per value.
    for (carried, part, what, why) in [
        (
            platform::carries_price_tiers(to, true),
            ".price_tiers",
            "tier prices",
            platform::PRICE_TIERS_NOT_CARRIED,
        ),
        (
            platform::carries_translations(to, true),
            "translations",
            "translations",
            platform::TRANSLATIONS_NOT_CARRIED,
        ),
    ] {
        let about = |l: &String| l.split(':').next().is_some_and(|path| path.contains(part));
        if !carried && out.iter().any(about) {
            out.retain(|l| !about(l));
            out.push(format!("{what} not carried: {why}"));
        }
    }
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let paths = |v: &Value| -> Vec<Vec<String>> {
        v.get("categories")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|p| strings(Some(p))).collect())
            .unwrap_or_default()
    };
    let (sent_paths, got_paths) = (paths(a), paths(b));
    // Shopify's product file has no category column: a path is carried when its tag came back
    // (collections.csv selects on it); only paths without one are lost.
    if to == Platform::Shopify && got_paths.is_empty() && !sent_paths.is_empty() {
        out.retain(|line| !line.starts_with("categories:"));
        let tags = strings(b.get("tags"));
        let lost: Vec<String> = sent_paths
            .iter()
            .filter(|path| platform::shopify::category_tags(path).any(|t| !tags.contains(&t)))
            .map(|path| path.join(" > "))
            .collect();
        if !lost.is_empty() {
            out.push(format!(
                "categories {} have no tag for a Shopify collection to select on",
                lost.join(", ")
            ));
        }
    }
    let attributes = |v: &Value| v.get("attributes").and_then(Value::as_object).cloned();
    if let Some(sent) = attributes(a) {
        let got = attributes(b).unwrap_or_default();
        let lost: Vec<&str> = sent
            .keys()
            .filter(|k| !got.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !lost.is_empty() {
            out.push(format!(
                "attributes with no {to} column: {}",
                lost.join(", ")
            ));
        }
    }
    out
}

fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) => {
            let s: String = s.chars().take(60).collect();
            format!("\"{s}\"")
        }
        Some(other) => {
            let s = other.to_string();
            s.chars().take(80).collect()
        }
    }
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// Equal for a store owner: both empty, the same number written differently, or the same text
/// up to surrounding spaces.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    if is_empty(a) && is_empty(b) {
        return true;
    }
    match (a, b) {
        (Some(x), Some(y)) => {
            if x == y {
                return true;
            }
            if let (Some(p), Some(q)) = (as_decimal(x), as_decimal(y)) {
                return p == q;
            }
            if let (Value::String(p), Value::String(q)) = (x, y) {
                return p.trim() == q.trim();
            }
            false
        }
        _ => false,
    }
}

/// A weight is the same weight in another unit (to a tenth of a gram).
fn same_weight(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    let grams = |o: &Map<String, Value>| {
        let value = o.get("value").and_then(as_decimal)?;
        let unit = o
            .get("unit")
            .and_then(Value::as_str)
            .and_then(WeightUnit::parse)?;
        Some(crate::model::Weight { value, unit }.grams())
    };
    match (grams(x), grams(y)) {
        (Some(p), Some(q)) => (p - q).abs() <= Decimal::new(1, 1),
        _ => false,
    }
}

/// The texts of an array of texts, sorted.
fn texts(v: &[Value]) -> Option<Vec<&str>> {
    let mut t: Vec<&str> = v.iter().filter_map(Value::as_str).collect();
    t.sort_unstable();
    (t.len() == v.len()).then_some(t)
}

/// Field-by-field differences, with `path` the field's place ("variants[2].price.amount").
/// The path is one buffer grown and cut back, since most fields are equal and need none.
fn diff_value(path: &mut String, a: &Value, b: &Value, out: &mut Vec<String>) {
    if a == b || crate::model::same_instant(a, b) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.contains_key("unit") && y.contains_key("unit") && same_weight(x, y) {
                return;
            }
            // Both maps iterate in key order: walk them side by side.
            let (mut xi, mut yi) = (x.iter().peekable(), y.iter().peekable());
            loop {
                let order = match (xi.peek(), yi.peek()) {
                    (None, None) => break,
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (Some((kx, _)), Some((ky, _))) => kx.cmp(ky),
                };
                let (k, va, vb) = match order {
                    Ordering::Less => match xi.next() {
                        Some((k, v)) => (k, Some(v), None),
                        None => break,
                    },
                    Ordering::Greater => match yi.next() {
                        Some((k, v)) => (k, None, Some(v)),
                        None => break,
                    },
                    Ordering::Equal => match (xi.next(), yi.next()) {
                        (Some((k, v)), Some((_, w))) => (k, Some(v), Some(w)),
                        _ => break,
                    },
                };
                // Where a record came from is not content: a variant that gains the id its
                // target file gives it has lost nothing.
                if (path.is_empty() && (k == "source" || k == "attributes")) || k == "source_id" {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match (va, vb) {
                    (Some(va), Some(vb)) if va.is_object() || va.is_array() => {
                        diff_value(path, va, vb, out)
                    }
                    (va, vb) if !same(va, vb) => {
                        out.push(format!("{path}: {} became {}", show(va), show(vb)))
                    }
                    _ => {}
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: {} item(s) became {}", x.len(), y.len()));
                return;
            }
            if let Some(tx) = texts(x) {
                if Some(tx) == texts(y) {
                    out.push(format!(
                        "{path}: order changed from {} to {}",
                        show(Some(a)),
                        show(Some(b))
                    ));
                    return;
                }
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                diff_value(path, va, vb, out);
                path.truncate(len);
            }
        }
        (x, y) => {
            if !same(Some(x), Some(y)) {
                out.push(format!(
                    "{path}: {} became {}",
                    show(Some(x)),
                    show(Some(y))
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::open_source;
    use crate::files::testkit::{catalog, rt, write};
    use crate::spec::EndpointSpec;
    use std::path::Path;

    #[test]
    fn unchanged_changed_and_missing_records_are_told_apart_in_written_order() {
        // As convert sends them to Shopify: category paths also as collection tags.
        let sent: Vec<Record> = catalog(7, 4)
            .into_iter()
            .map(|mut p| {
                platform::shopify::tag_categories(&p.categories, &mut p.tags);
                Record::Product(p)
            })
            .collect();
        // The target file holds: the first as sent, the second with a new title, the fourth
        // as sent; the third never arrived.
        let mut got = vec![sent[0].clone(), sent[1].clone(), sent[3].clone()];
        if let Record::Product(p) = &mut got[1] {
            p.title = "Renamed".into();
            p.variants[0].source_id = Some("gid-1".into()); // not a loss
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(write(Platform::Shopify, dir.path(), Entity::Products, &got).is_empty());
        let losses = rt().block_on(async {
            let mut written = Written::new(Platform::Shopify).unwrap();
            for r in sent.iter().rev() {
                written.push(r.clone()).unwrap();
            }
            let spec = EndpointSpec::files(Platform::Shopify, dir.path().to_path_buf());
            let mut back = open_source(&spec, Path::new(".")).unwrap();
            compare(back.as_mut(), Entity::Products, written, Platform::Shopify)
                .await
                .unwrap()
        });
        let title = |r: &Record| r.label();
        let got: Vec<(String, Vec<String>)> =
            losses.into_iter().map(|l| (l.label, l.what)).collect();
        // Written in reverse: the missing third comes before the renamed second.
        assert_eq!(
            got,
            [
                (
                    title(&sent[2]),
                    vec!["not found when Shopify's reader read the written file back".to_string()]
                ),
                (
                    title(&sent[1]),
                    vec![format!("title: \"{}\" became \"Renamed\"", title(&sent[1]))]
                ),
            ]
        );
    }
}
