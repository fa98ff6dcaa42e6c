//! The one pass over a WooCommerce product file that both of its readers need before they can
//! give a first record: the category reader needs every category path in the file, the product
//! reader needs to know where each parent's variations are (they may sit anywhere), which rows
//! repeat an earlier ID and which variations have no parent.
//!
//! Variations right after their parent (where WooCommerce's exporter and our writer put them)
//! are only counted, so the product reader reads them from its main stream; just the others
//! are indexed by byte offset. A million-row export in the usual order therefore costs a few
//! bytes per parent here.
//!
//! A scan is a pure function of the file's bytes, and a migration opens its source once per
//! phase (Assessment, then Execution): the last scan is kept, keyed by the file's identity, so
//! the file is scanned once per process.

use super::unescape;
use crate::connector::Result;
use crate::files::split::RawFields;
use crate::files::table::{FileMemo, TableFile};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Debug, Default)]
pub(super) struct Scan {
    /// (offset of a parent row, number of its variation rows that follow it directly), in
    /// file order.
    pub inline: Vec<(u64, u32)>,
    /// "id:N" / "sku:X" → (offset, line) of variation rows naming that parent that do not
    /// follow it directly.
    pub children: HashMap<String, Vec<(u64, u64)>>,
    /// For each SKU that `children` names: the offset of the first parent row with it (that
    /// row gets the SKU's variations).
    pub sku_parent: HashMap<String, u64>,
    /// Offset → line of the earlier row with the same ID.
    pub duplicates: HashMap<u64, u64>,
    /// Offset → the parent reference that matched nothing.
    pub orphans: HashMap<u64, String>,
    /// Every category path, and every path above it, in order of first appearance.
    pub categories: Vec<Vec<String>>,
}

impl Scan {
    /// Variation rows directly after the parent row at `offset`.
    pub fn inline_after(&self, offset: u64) -> u32 {
        self.inline
            .binary_search_by_key(&offset, |&(o, _)| o)
            .map(|i| self.inline[i].1)
            .unwrap_or(0)
    }
}

/// Which columns the scan reads.
#[derive(Debug, Clone, Copy)]
pub(super) struct ScanCols {
    pub id: Option<usize>,
    pub typ: Option<usize>,
    pub sku: Option<usize>,
    pub parent: Option<usize>,
    pub categories: Option<usize>,
}

impl ScanCols {
    pub fn of(table: &TableFile) -> ScanCols {
        let h = table.header();
        ScanCols {
            id: h.get("ID"),
            typ: h.get("Type"),
            sku: h.get("SKU"),
            parent: h.get("Parent"),
            categories: h.get("Categories"),
        }
    }
}

pub(super) fn is_variation(types: &str) -> bool {
    types
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("variation"))
}

fn hash_str(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// A parent reference as the index keys it: "id:N" or "sku:X".
pub(super) fn parent_key(parent: &str) -> (bool, &str) {
    let p = parent.trim();
    match p.get(..3) {
        Some(pre) if pre.eq_ignore_ascii_case("id:") => (true, p[3..].trim()),
        _ => (false, p),
    }
}

pub(super) fn key_string((by_id, value): (bool, &str)) -> String {
    format!("{}{value}", if by_id { "id:" } else { "sku:" })
}

/// A field the readers would see as empty (they trim Unicode whitespace).
fn blank(raw: &[u8]) -> bool {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    !raw.is_ascii() && std::str::from_utf8(raw).is_ok_and(|s| s.trim().is_empty())
}

/// The scan of `table`, from the memo when the file has not changed since.
pub(super) fn of(table: &TableFile) -> Result<Arc<Scan>> {
    static MEMO: FileMemo<Arc<Scan>> = FileMemo::new(1);
    MEMO.get_or(table.utf8_path(), || run(table).map(Arc::new))
}

/// The parent the rows being read belong to, while its variations follow it directly.
struct Current {
    offset: u64,
    id: Option<u64>,
    /// Set when this parent is the first row with its SKU (only then do variations naming
    /// the SKU belong to it).
    first_sku: Option<u64>,
}

fn run(table: &TableFile) -> Result<Scan> {
    let c = ScanCols::of(table);
    let mut scan = Scan::default();
    // Keys are already hashes (SipHash, so distinct IDs do not collide); the maps only need a
    // quick hash of them.
    let mut seen_ids: FxHashMap<u64, u64> = FxHashMap::default();
    let mut parent_ids: FxHashSet<u64> = FxHashSet::default();
    let mut first_sku: FxHashMap<u64, u64> = FxHashMap::default();
    let mut seen_paths: HashSet<Vec<String>> = HashSet::new();
    // Most products repeat a category list seen before: those cells are skipped whole.
    let mut seen_cells: FxHashSet<Vec<u8>> = FxHashSet::default();
    let mut current: Option<Current> = None;
    let mut rows = table.rows_from(table.start())?;
    let mut rec = RawFields::default();
    // Only a few fields matter: read raw bytes and decode just those, borrowed.
    fn get(rec: &RawFields, col: Option<usize>) -> &str {
        let raw = col.and_then(|i| rec.get(i)).unwrap_or(b"");
        unescape(std::str::from_utf8(raw).unwrap_or("").trim())
    }
    while let Some((offset, line)) = rows.next_bytes(&mut rec)? {
        categories(
            table,
            &c,
            &rec,
            line,
            &mut scan,
            &mut seen_cells,
            &mut seen_paths,
        )?;
        if rec.iter().all(blank) {
            current = None;
            continue;
        }
        let id = get(&rec, c.id);
        if !id.is_empty() {
            match seen_ids.entry(hash_str(id)) {
                Entry::Occupied(first) => {
                    scan.duplicates.insert(offset, *first.get());
                    current = None;
                    continue;
                }
                Entry::Vacant(slot) => {
                    slot.insert(line);
                }
            }
        }
        let typ = get(&rec, c.typ);
        let parent = get(&rec, c.parent);
        if is_variation(typ) || (typ.is_empty() && !parent.is_empty()) {
            let (by_id, value) = parent_key(parent);
            let h = Some(hash_str(value));
            let follows =
                current
                    .as_ref()
                    .is_some_and(|p| if by_id { p.id == h } else { p.first_sku == h });
            match (follows, current.as_ref()) {
                (true, Some(p)) => match scan.inline.last_mut() {
                    Some((o, n)) if *o == p.offset => *n += 1,
                    _ => scan.inline.push((p.offset, 1)),
                },
                _ => {
                    current = None;
                    scan.children
                        .entry(key_string((by_id, value)))
                        .or_default()
                        .push((offset, line));
                }
            }
        } else {
            let id_hash = (!id.is_empty()).then(|| hash_str(id));
            if let Some(h) = id_hash {
                parent_ids.insert(h);
            }
            let sku = get(&rec, c.sku);
            let mut first = None;
            if !sku.is_empty() {
                let h = hash_str(sku);
                if let Entry::Vacant(slot) = first_sku.entry(h) {
                    slot.insert(offset);
                    first = Some(h);
                }
            }
            current = Some(Current {
                offset,
                id: id_hash,
                first_sku: first,
            });
        }
    }
    for (key, kids) in &scan.children {
        let parent = match key.strip_prefix("id:") {
            Some(id) => parent_ids.contains(&hash_str(id)).then_some(None),
            None => key.strip_prefix("sku:").and_then(|s| {
                first_sku
                    .get(&hash_str(s))
                    .map(|&offset| Some((s.to_string(), offset)))
            }),
        };
        match parent {
            Some(Some((sku, offset))) => {
                scan.sku_parent.insert(sku, offset);
            }
            Some(None) => {}
            None => {
                for (offset, _) in kids {
                    scan.orphans.insert(*offset, key.clone());
                }
            }
        }
    }
    Ok(scan)
}

/// Adds the category paths of one row's Categories cell.
fn categories(
    table: &TableFile,
    c: &ScanCols,
    rec: &RawFields,
    line: u64,
    scan: &mut Scan,
    seen_cells: &mut FxHashSet<Vec<u8>>,
    seen_paths: &mut HashSet<Vec<String>>,
) -> Result<()> {
    let raw = c.categories.and_then(|i| rec.get(i)).unwrap_or(b"");
    if raw.is_empty() || seen_cells.contains(raw) {
        return Ok(());
    }
    seen_cells.insert(raw.to_vec());
    let text = std::str::from_utf8(raw).map_err(|_| {
        table.error(
            line,
            Some("Categories"),
            "the cell is not valid UTF-8 text; save the file as \"CSV UTF-8\" or name its encoding",
        )
    })?;
    for path in super::category_paths(unescape(text.trim())) {
        for depth in 1..=path.len() {
            let prefix = path[..depth].to_vec();
            if seen_paths.insert(prefix.clone()) {
                scan.categories.push(prefix);
            }
        }
    }
    Ok(())
}
