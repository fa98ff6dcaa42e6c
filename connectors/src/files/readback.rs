//! Convert's read-back: what was written is compared, field by field, with what the target's
//! own reader gets out of the written files.
//!
//! The written records wait in an unnamed temporary file as JSON, indexed by external key, and
//! the output is read back a page at a time: a million-row conversion is compared in the memory
//! of its keys, never with both catalogs held whole.

use super::convert::Loss;
use crate::connector::{Cursor, Result, Source};
use crate::model::{Entity, FinancialStatus, FulfillmentStatus, Platform, Record, WeightUnit};
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

/// What the read-back of one entity found, record by record, sorted into what the target's
/// format cannot hold by design, values that moved to another field, values the target's
/// format filled in, and real differences.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// Records with values that really differ, in the order written.
    pub lossy: Vec<Loss>,
    /// Per record: (key, verdict) of records with by-design losses, moves or fills.
    pub sorted: Vec<(String, Verdict)>,
}

/// Reads `entity` back from `back` and sorts what did not survive, in the order written.
pub(super) async fn compare(
    back: &mut dyn Source,
    entity: Entity,
    written: Written,
    to: Platform,
) -> Result<Found> {
    let Written {
        out,
        mut index,
        count,
        ..
    } = written;
    if count == 0 {
        return Ok(Found::default());
    }
    let facts = file_facts(to, entity);
    let file = out.into_inner().map_err(|e| e.into_error())?;
    let load = |slot: &Slot| -> Result<Value> {
        let mut buf = vec![0u8; slot.len];
        file.read_exact_at(&mut buf, slot.offset)?;
        Ok(serde_json::from_slice(&buf).map_err(std::io::Error::other)?)
    };
    let mut losses: Vec<(usize, Loss)> = Vec::new();
    let mut sorted: Vec<(usize, String, Verdict)> = Vec::new();
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
            let verdict = classify(diff_changes(&sent, &got, to), &got, &facts);
            let seq = slot.seq;
            if !verdict.differs.is_empty() {
                losses.push((seq, loss(entity, key.clone(), &sent, verdict.real())));
            }
            if !verdict.by_design.is_empty()
                || !verdict.moved.is_empty()
                || !verdict.filled.is_empty()
            {
                sorted.push((seq, key, verdict));
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
    sorted.sort_by_key(|(seq, _, _)| *seq);
    Ok(Found {
        lossy: losses.into_iter().map(|(_, l)| l).collect(),
        sorted: sorted.into_iter().map(|(_, k, v)| (k, v)).collect(),
    })
}

/// Fields of `entity` that `to`'s import files have no place for: what the read-back of convert
/// and of a run counts by design.
fn file_facts(to: Platform, entity: Entity) -> Vec<(&'static str, &'static str)> {
    let mut facts = platform::file_not_carried(to, entity).to_vec();
    facts.extend(platform::not_carried_by_format(to, entity, true));
    facts
}

/// One record a run sent to `to`'s import files (`sent`, as JSON) against the same record read
/// back from them (`got`), sorted as convert's read-back sorts it. `sent` is first made what
/// the file holds of it ([`platform::fit_file_record`], which the writers apply as well and
/// convert applies before writing), each change it makes counted by design: so a run and
/// convert count the same losses, by the same rules.
pub fn judge_file_record(entity: Entity, sent: &Value, got: &Value, to: Platform) -> Verdict {
    let mut fitted = vec![];
    let mut sent_fitted = None;
    if let Ok(mut r) = serde_json::from_value::<Record>(sent.clone()) {
        fitted = platform::fit_file_record(to, &mut r);
        if !fitted.is_empty() {
            sent_fitted = serde_json::to_value(&r).ok();
        }
    }
    let sent = sent_fitted.as_ref().unwrap_or(sent);
    let mut verdict = classify(diff_changes(sent, got, to), got, &file_facts(to, entity));
    for (field, why) in fitted {
        let hit = (field.to_string(), why);
        if !verdict.by_design.contains(&hit) {
            verdict.by_design.push(hit);
        }
    }
    verdict
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

/// One difference between a record as written and as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A value differs; `None` is empty or absent.
    Value {
        path: String,
        sent: Option<Value>,
        got: Option<Value>,
    },
    /// A list holds another number of items.
    Count {
        path: String,
        sent: usize,
        got: usize,
    },
    /// The same items in another order.
    Order {
        path: String,
        sent: Value,
        got: Value,
    },
    /// A loss said in words (a category without its collection tag): never by design.
    Note { path: String, text: String },
    /// A value the target's file holds only as another (an order state WooCommerce's single
    /// status cannot tell apart), read back as the platform says it is: by design, under
    /// `label`.
    Mapped {
        path: String,
        label: String,
        why: &'static str,
    },
}

impl Change {
    fn path(&self) -> &str {
        match self {
            Change::Value { path, .. }
            | Change::Count { path, .. }
            | Change::Order { path, .. }
            | Change::Note { path, .. }
            | Change::Mapped { path, .. } => path,
        }
    }

    /// The field, the value written and the value read back, as a report shows them.
    pub fn parts(&self) -> (String, String, String) {
        match self {
            Change::Value { path, sent, got } => {
                (path.clone(), show(sent.as_ref()), show(got.as_ref()))
            }
            Change::Count { path, sent, got } => (
                path.clone(),
                format!("{sent} item(s)"),
                format!("{got} item(s)"),
            ),
            Change::Order { path, sent, got } => (path.clone(), show(Some(sent)), show(Some(got))),
            Change::Note { path, text } => (path.clone(), String::new(), text.clone()),
            Change::Mapped { path, label, .. } => (path.clone(), label.clone(), String::new()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Value { path, sent, got } => {
                format!(
                    "{path}: {} became {}",
                    show(sent.as_ref()),
                    show(got.as_ref())
                )
            }
            Change::Count { path, sent, got } => format!("{path}: {sent} item(s) became {got}"),
            Change::Order { path, sent, got } => format!(
                "{path}: order changed from {} to {}",
                show(Some(sent)),
                show(Some(got))
            ),
            Change::Note { text, .. } => text.clone(),
            Change::Mapped { label, .. } => label.clone(),
        }
    }
}

/// How the differences of one record were sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Values that really differ ([`Verdict::real`] says them one line each).
    pub differs: Vec<Change>,
    /// Fields the target's format has no place for: (field, reason).
    pub by_design: Vec<(String, &'static str)>,
    /// Values found again in another field: (from, to).
    pub moved: Vec<(String, String)>,
    /// Fields that were empty and that the target's format filled in.
    pub filled: Vec<String>,
}

impl Verdict {
    /// The values that really differ, one line each.
    pub fn real(&self) -> Vec<String> {
        self.differs.iter().map(Change::describe).collect()
    }
}

/// `path` with list positions left out: `variants[3].cost` is `variants[].cost`.
fn field_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The by-design fact that covers `field`, and the field as the report names it.
fn by_design_of(
    field: &str,
    facts: &[(&'static str, &'static str)],
) -> Option<(String, &'static str)> {
    facts.iter().find_map(|(fact, why)| {
        let covers = field == *fact
            || field
                .strip_prefix(fact)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['));
        // Each extra attribute is a field of its own; elsewhere the fact names the field.
        covers.then(|| {
            let name = if *fact == "attributes" { field } else { fact };
            (name.to_string(), *why)
        })
    })
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.trim().chars().count() >= 4 => Some(s.trim().to_string()),
        _ => None,
    }
}

/// A text that names one thing only (a URL, an email address): found again in the record, it
/// is the same value, not a coincidence of words.
fn identifying(text: &str) -> bool {
    text.contains("://") || (text.contains('@') && !text.contains(' '))
}

/// Every text of `v` long enough to be told apart, with the first field it is in.
fn texts_in(v: &Value, path: &mut String, out: &mut FxHashMap<String, String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                texts_in(x, path, out);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                texts_in(x, path, out);
                path.truncate(len);
            }
        }
        other => {
            if let Some(t) = text_of(other) {
                out.entry(t).or_insert_with(|| path.clone());
            }
        }
    }
}

/// Sorts one record's differences. A text that left a field and arrived in a field that was
/// empty moved, and is not lost (an address phone read back as the customer's phone); a field
/// the target's format has no place for is lost by design; a field that was empty and came
/// back with a value was filled in by the format; the rest really differs.
///
/// Only a text that arrived where there was none counts as moved, or a URL or address still
/// found in the record: the same words in some other field (a product type that is also a
/// category's name) are no proof the value survived.
pub(crate) fn classify(
    changes: Vec<Change>,
    got: &Value,
    facts: &[(&'static str, &'static str)],
) -> Verdict {
    let mut verdict = Verdict::default();
    let mut used = vec![false; changes.len()];
    let mut kept: FxHashMap<String, String> = FxHashMap::default();
    texts_in(got, &mut String::new(), &mut kept);
    // Pair what left a field with what arrived in another.
    for (i, c) in changes.iter().enumerate() {
        let Change::Value {
            path,
            sent: Some(sent),
            got: None,
        } = c
        else {
            continue;
        };
        let Some(text) = text_of(sent) else { continue };
        let arrived = changes.iter().enumerate().position(|(j, c)| {
            !used[j]
                && matches!(c, Change::Value { sent: None, got: Some(g), .. }
                    if text_of(g).as_deref() == Some(text.as_str()))
        });
        if let Some(j) = arrived {
            used[i] = true;
            used[j] = true;
            verdict
                .moved
                .push((field_of(path), field_of(changes[j].path())));
        } else if let Some(at) = identifying(&text).then(|| kept.get(&text)).flatten() {
            // A URL or an address still in the record, in a field that kept it (a simple
            // product's variant image that is also the product's image).
            used[i] = true;
            verdict.moved.push((field_of(path), field_of(at)));
        }
    }
    for (c, used) in changes.iter().zip(used) {
        if used {
            continue;
        }
        if let Change::Mapped { label, why, .. } = c {
            let hit = (label.clone(), *why);
            if !verdict.by_design.contains(&hit) {
                verdict.by_design.push(hit);
            }
            continue;
        }
        let field = field_of(c.path());
        if !matches!(c, Change::Note { .. }) {
            if let Some(hit) = by_design_of(&field, facts) {
                if !verdict.by_design.contains(&hit) {
                    verdict.by_design.push(hit);
                }
                continue;
            }
        }
        // A field that was empty, or a list that grew (Shopify lists variant images among the
        // product's), gained what the format added: nothing was lost.
        let gained = match c {
            Change::Value {
                sent: None,
                got: Some(_),
                ..
            } => true,
            Change::Count { sent, got, .. } => got > sent,
            _ => false,
        };
        if gained {
            if !verdict.filled.contains(&field) {
                verdict.filled.push(field);
            }
        } else {
            verdict.differs.push(c.clone());
        }
    }
    verdict
}

/// What did not survive between `sent` and `got`, one line per field.
#[cfg(test)]
pub(super) fn diff_records(sent: &Record, got: &Record, to: Platform) -> Vec<String> {
    match (serde_json::to_value(sent), serde_json::to_value(got)) {
        (Ok(a), Ok(b)) => diff_changes(&a, &b, to)
            .iter()
            .map(Change::describe)
            .collect(),
        _ => vec![],
    }
}

/// Every difference between `a` (written) and `b` (read back).
pub(crate) fn diff_changes(a: &Value, b: &Value, to: Platform) -> Vec<Change> {
    let mut out = Vec::new();
    diff_value(&mut String::new(), a, b, &mut out);
    if a.get("entity").and_then(Value::as_str) == Some("order") {
        mapped_order_status(a, b, to, &mut out);
    }
    if a.get("entity").and_then(Value::as_str) != Some("product") {
        return out;
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
        out.retain(|c| !c.path().starts_with("categories"));
        let tags = strings(b.get("tags"));
        let lost: Vec<String> = sent_paths
            .iter()
            .filter(|path| platform::shopify::category_tags(path).any(|t| !tags.contains(&t)))
            .map(|path| path.join(" > "))
            .collect();
        if !lost.is_empty() {
            out.push(Change::Note {
                path: "categories".into(),
                text: format!(
                    "categories {} have no tag for a Shopify collection to select on",
                    lost.join(", ")
                ),
            });
        }
    }
    let attributes = |v: &Value| v.get("attributes").and_then(Value::as_object).cloned();
    if let Some(sent) = attributes(a) {
        let got = attributes(b).unwrap_or_default();
        for (k, v) in sent.iter().filter(|(k, _)| !got.contains_key(*k)) {
            out.push(Change::Value {
                path: format!("attributes.{k}"),
                sent: Some(v.clone()),
                got: None,
            });
        }
    }
    out
}

/// An order whose payment and fulfilment states came back as the target's file holds them
/// (`platform::file_order_status`) lost them by design, one line per state and change; states
/// that came back otherwise still really differ.
fn mapped_order_status(a: &Value, b: &Value, to: Platform, out: &mut [Change]) {
    fn states(v: &Value) -> Option<(FinancialStatus, FulfillmentStatus)> {
        let f = serde_json::from_value(v.get("financial_status")?.clone()).ok()?;
        let s = serde_json::from_value(v.get("fulfillment_status")?.clone()).ok()?;
        Some((f, s))
    }
    let (Some((f, s)), Some(got)) = (states(a), states(b)) else {
        return;
    };
    let Some(m) = platform::file_order_status(to, f, s) else {
        return;
    };
    if got != (m.financial, m.fulfillment) {
        return;
    }
    for c in out.iter_mut() {
        let Change::Value {
            path,
            sent: Some(Value::String(sent)),
            got: Some(Value::String(got)),
        } = c
        else {
            continue;
        };
        if path != "financial_status" && path != "fulfillment_status" {
            continue;
        }
        let label = format!("{path}: {sent} → {got} (as `{}`)", m.written);
        let path = std::mem::take(path);
        *c = Change::Mapped {
            path,
            label,
            why: m.why,
        };
    }
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

/// Equal for a store owner: both empty, the same number written differently, the same instant
/// on another clock (a Shopify order's `+01:00` read back from a target that keeps UTC), or the
/// same text up to surrounding spaces.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    if is_empty(a) && is_empty(b) {
        return true;
    }
    match (a, b) {
        (Some(x), Some(y)) => {
            if x == y || crate::model::same_instant(x, y) {
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
fn diff_value(path: &mut String, a: &Value, b: &Value, out: &mut Vec<Change>) {
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
                    (va, vb) if !same(va, vb) => out.push(Change::Value {
                        path: path.clone(),
                        sent: va.filter(|v| !is_empty(Some(v))).cloned(),
                        got: vb.filter(|v| !is_empty(Some(v))).cloned(),
                    }),
                    _ => {}
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                // A list that arrived empty lost its values; one that was empty was filled.
                let (sent, got) = (!x.is_empty(), !y.is_empty());
                out.push(if sent && got {
                    Change::Count {
                        path: path.clone(),
                        sent: x.len(),
                        got: y.len(),
                    }
                } else {
                    Change::Value {
                        path: path.clone(),
                        sent: sent.then(|| a.clone()),
                        got: got.then(|| b.clone()),
                    }
                });
                return;
            }
            // The same records in another order (a customer's addresses, default first) are
            // the same records.
            if x.iter().all(Value::is_object)
                && x.iter().all(|v| y.contains(v))
                && y.iter().all(|v| x.contains(v))
            {
                return;
            }
            if let Some(tx) = texts(x) {
                if Some(tx) == texts(y) {
                    out.push(Change::Order {
                        path: path.clone(),
                        sent: a.clone(),
                        got: b.clone(),
                    });
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
                out.push(Change::Value {
                    path: path.clone(),
                    sent: Some(x.clone()).filter(|v| !is_empty(Some(v))),
                    got: Some(y.clone()).filter(|v| !is_empty(Some(v))),
                });
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
    fn a_time_read_back_on_another_clock_is_not_a_difference() {
        let sent =
            serde_json::json!({"entity": "order", "created_at": "2025-08-22T12:43:50+01:00"});
        let same_instant =
            serde_json::json!({"entity": "order", "created_at": "2025-08-22T11:43:50Z"});
        assert!(diff_changes(&sent, &same_instant, Platform::WooCommerce).is_empty());
        let an_hour_off =
            serde_json::json!({"entity": "order", "created_at": "2025-08-22T12:43:50Z"});
        assert_eq!(
            diff_changes(&sent, &an_hour_off, Platform::WooCommerce).len(),
            1,
            "a different instant is still a difference"
        );
    }

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
                .lossy
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
