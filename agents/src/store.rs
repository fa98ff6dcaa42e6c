//! Durable state of a workspace, in sled.
//!
//! Every logical step commits as ONE atomic batch (intent + id map + cursor + event together)
//! followed by a flush; only then is it observable (events published, counters shown, remote
//! calls made on its strength). sled keeps writes in memory until flushed, so a kill -9 between
//! commit and flush loses the step entirely — never half of it.
//!
//! The tables live in one sled tree, each under a first key byte of its own ([`Table`]), so a
//! step is one `apply_batch`, which sled recovers all or nothing. A transaction over one tree
//! per table did the same job but read every key back before writing it: two fifths of the
//! time a batch took to commit.

use crate::event::{AgentKind, Event, EventKind, Level};
use crate::intervention::Intervention;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::{Batch, Db, IVec, Tree};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use storeshift_connectors::model::Entity;

/// The tables of the state database. The discriminant is the first byte of their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    /// Run counter, run records, pause flag, event sequence.
    Meta = 0,
    /// Per run and entity: source cursor, target checkpoint, counts.
    Cursors,
    /// entity + source id → target id, content hash, which run created it.
    IdMap,
    /// entity + target handle → source id: keeps target handles unique.
    Handles,
    /// entity + source id → a remote write in flight (exactly-once).
    Intents,
    /// seq → event (append-only, bounded by retention).
    Events,
    /// id → intervention.
    Interventions,
    /// run + phase → the phase's result (analysis, plan, url map summary, verification).
    Phases,
    /// request hash → LLM answer, journaled before use.
    Journal,
}

/// The tree the tables share.
const STATE_TREE: &str = "state";

/// The trees of the layout before one tree held every table, in `T` order: a workspace made
/// by an earlier version is moved over when it is opened.
const OLD_TREE_NAMES: [&str; 9] = [
    "meta",
    "cursors",
    "idmap",
    "handles",
    "intents",
    "events",
    "interventions",
    "phases",
    "journal",
];

const SEQ_KEY: &[u8] = b"event_seq";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Open(String),
    /// Another process holds the database (a live run, or a command reading it for a moment).
    #[error("{0}")]
    Locked(String),
    #[error("state database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("state record {key} is unreadable: {err}")]
    Decode { key: String, err: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A group of writes that becomes durable together.
#[derive(Default)]
pub struct Step {
    batch: Batch,
    writes: usize,
    events: Vec<(Level, Option<AgentKind>, EventKind)>,
    run: u32,
}

/// A table's key in the shared tree.
fn tagged(t: T, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(t as u8);
    k.extend_from_slice(key);
    k
}

impl Step {
    pub fn new(run: u32) -> Step {
        Step {
            run,
            ..Default::default()
        }
    }

    pub fn put(&mut self, t: T, key: impl AsRef<[u8]>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.batch.insert(tagged(t, key.as_ref()), value.into());
        self.writes += 1;
        self
    }

    pub fn put_json<V: Serialize>(&mut self, t: T, key: impl AsRef<[u8]>, value: &V) -> &mut Self {
        // Serialising our own plain data types cannot fail (no maps with non-string keys).
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.put(t, key, bytes)
    }

    pub fn remove(&mut self, t: T, key: impl AsRef<[u8]>) -> &mut Self {
        self.batch.remove(tagged(t, key.as_ref()));
        self.writes += 1;
        self
    }

    pub fn event(&mut self, level: Level, agent: Option<AgentKind>, kind: EventKind) -> &mut Self {
        self.events.push((level, agent, kind));
        self
    }

    /// An agent's status line and progress, as one event.
    pub fn agent_status(
        &mut self,
        agent: AgentKind,
        status: &str,
        task: impl Into<String>,
        done: u64,
        total: u64,
    ) -> &mut Self {
        let kind = EventKind::AgentStatus {
            agent,
            status: status.into(),
            task: task.into(),
            done,
            total,
        };
        self.event(Level::Info, Some(agent), kind)
    }

    /// A finding an agent reports, logged at the level its severity calls for.
    pub fn finding(
        &mut self,
        agent: AgentKind,
        finding: storeshift_connectors::Finding,
    ) -> &mut Self {
        let level = Level::from(finding.severity);
        self.event(level, Some(agent), EventKind::Finding { agent, finding })
    }

    pub fn is_empty(&self) -> bool {
        self.writes == 0 && self.events.is_empty()
    }
}

/// One table of the state database: the keys of the shared tree that start with its byte,
/// seen without that byte.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    tree: &'a Tree,
    t: T,
}

type Entry = sled::Result<(IVec, IVec)>;

impl<'a> Table<'a> {
    fn strip(item: Entry) -> Entry {
        item.map(|(k, v)| (k.subslice(1, k.len() - 1), v))
    }

    /// The first key past the table.
    fn end(&self) -> Vec<u8> {
        vec![self.t as u8 + 1]
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<IVec>> {
        self.tree.get(tagged(self.t, key.as_ref()))
    }

    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> sled::Result<bool> {
        self.tree.contains_key(tagged(self.t, key.as_ref()))
    }

    /// Entries whose key starts with `prefix`, in key order.
    pub fn scan_prefix(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> impl DoubleEndedIterator<Item = Entry> + 'a {
        self.tree
            .scan_prefix(tagged(self.t, prefix.as_ref()))
            .map(Self::strip)
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Entry> + 'a {
        self.scan_prefix(b"")
    }

    /// Entries from `from` (excluded or included) to the end of the table.
    pub fn from(&self, from: Bound<&[u8]>) -> impl DoubleEndedIterator<Item = Entry> + 'a {
        let start = match from {
            Bound::Included(k) => Bound::Included(tagged(self.t, k)),
            Bound::Excluded(k) => Bound::Excluded(tagged(self.t, k)),
            Bound::Unbounded => Bound::Included(tagged(self.t, b"")),
        };
        self.tree
            .range::<Vec<u8>, _>((start, Bound::Excluded(self.end())))
            .map(Self::strip)
    }

    /// Entries from the start of the table up to `to`, included.
    pub fn upto(&self, to: &[u8]) -> impl DoubleEndedIterator<Item = Entry> + 'a {
        self.tree
            .range(tagged(self.t, b"")..=tagged(self.t, to))
            .map(Self::strip)
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

pub struct Store {
    db: Db,
    tree: Tree,
    path: PathBuf,
    commit_lock: Mutex<()>,
}

impl Store {
    /// Opens the state database for a run: a command that reads the workspace while no run is
    /// live holds it for a moment, so a lock is retried for a few seconds before giving up.
    pub fn open_for_run(path: &Path) -> Result<Store> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match Store::open(path) {
                Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Opens (or creates) the state database. A database another process holds, or one that
    /// is damaged, gives a message that says what happened and what to do — never a panic.
    pub fn open(path: &Path) -> Result<Store> {
        let p = path.to_path_buf();
        // sled can panic on some kinds of corrupted segments; contain it.
        let opened = std::panic::catch_unwind(move || sled::Config::new().path(&p).open());
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) if is_lock_error(&e) => {
                return Err(StoreError::Locked(describe_open_error(path, &e)))
            }
            Ok(Err(e)) => return Err(StoreError::Open(describe_open_error(path, &e))),
            Err(_) => {
                return Err(StoreError::Open(damaged_message(
                    path,
                    "the database panicked while loading",
                )))
            }
        };
        let tree = db
            .open_tree(STATE_TREE)
            .map_err(|e| StoreError::Open(describe_open_error(path, &e)))?;
        move_old_layout(&db, &tree).map_err(|e| StoreError::Open(describe_open_error(path, &e)))?;
        let store = Store {
            db,
            tree,
            path: path.to_path_buf(),
            commit_lock: Mutex::new(()),
        };
        // Touch the sequence counter so a damaged meta tree fails here, clearly.
        store.last_seq()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn tree(&self, t: T) -> Table<'_> {
        Table {
            tree: &self.tree,
            t,
        }
    }

    /// Applies a step atomically across trees, assigns event sequence numbers and flushes.
    /// Returns the events as they were stored, ready to publish.
    pub fn commit(&self, step: Step) -> Result<Vec<Event>> {
        if step.is_empty() {
            return Ok(vec![]);
        }
        let _guard = self.commit_lock.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_rfc3339();
        let Step {
            mut batch,
            events: kinds,
            run,
            ..
        } = step;
        let mut seq = self.last_seq()?;
        let mut events = Vec::with_capacity(kinds.len());
        for (level, agent, kind) in kinds {
            seq += 1;
            let ev = Event {
                seq,
                run,
                at: now.clone(),
                level,
                agent,
                kind,
            };
            let bytes = serde_json::to_vec(&ev).unwrap_or_default();
            batch.insert(tagged(T::Events, &seq.to_be_bytes()), bytes);
            events.push(ev);
        }
        batch.insert(tagged(T::Meta, SEQ_KEY), &seq.to_be_bytes());
        // Writers all come through here, one at a time, so the sequence read above stands.
        self.tree.apply_batch(batch)?;
        // Nothing is done until it is flushed.
        self.db.flush()?;
        Ok(events)
    }

    pub fn get_json<V: DeserializeOwned>(&self, t: T, key: impl AsRef<[u8]>) -> Result<Option<V>> {
        match self.tree(t).get(key.as_ref())? {
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StoreError::Decode {
                        key: String::from_utf8_lossy(key.as_ref()).into_owned(),
                        err: e.to_string(),
                    })
            }
            None => Ok(None),
        }
    }

    /// All values under a key prefix, decoded, in key order.
    /// Whether any key of `t` starts with `prefix`.
    pub fn has_prefix(&self, t: T, prefix: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self
            .tree(t)
            .scan_prefix(prefix.as_ref())
            .next()
            .transpose()?
            .is_some())
    }

    pub fn scan_json<V: DeserializeOwned>(
        &self,
        t: T,
        prefix: impl AsRef<[u8]>,
    ) -> Result<Vec<(Vec<u8>, V)>> {
        let mut out = vec![];
        for item in self.tree(t).scan_prefix(prefix.as_ref()) {
            let (k, v) = item?;
            let value = serde_json::from_slice(&v).map_err(|e| StoreError::Decode {
                key: String::from_utf8_lossy(&k).into_owned(),
                err: e.to_string(),
            })?;
            out.push((k.to_vec(), value));
        }
        Ok(out)
    }

    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .tree(T::Meta)
            .get(SEQ_KEY)?
            .map(|v| be_u64(&v))
            .unwrap_or(0))
    }

    /// Events with sequence number > `after`, oldest first, at most `limit`.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let mut out = vec![];
        let from = (after + 1).to_be_bytes();
        for item in self.tree(T::Events).from(Bound::Included(&from)) {
            let (k, v) = item?;
            match serde_json::from_slice::<Event>(&v) {
                Ok(ev) => out.push(ev),
                Err(e) => {
                    return Err(StoreError::Decode {
                        key: format!("event {}", be_u64(&k)),
                        err: e.to_string(),
                    })
                }
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The newest `n` events, oldest first.
    pub fn recent_events(&self, n: usize) -> Result<Vec<Event>> {
        let mut out = vec![];
        for item in self.tree(T::Events).iter().rev().take(n) {
            let (_, v) = item?;
            if let Ok(ev) = serde_json::from_slice::<Event>(&v) {
                out.push(ev);
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Drops the oldest events beyond `keep`. The JSONL mirror keeps the full history.
    pub fn prune_events(&self, keep: u64) -> Result<()> {
        let last = self.last_seq()?;
        if last <= keep {
            return Ok(());
        }
        let cut = last - keep;
        let _guard = self.commit_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = Batch::default();
        for item in self.tree(T::Events).upto(&cut.to_be_bytes()) {
            let (k, _) = item?;
            batch.remove(tagged(T::Events, &k));
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    pub fn intervention(&self, id: &str) -> Result<Option<Intervention>> {
        self.get_json(T::Interventions, id)
    }

    /// All interventions, pending first, each group in the order raised.
    pub fn interventions(&self) -> Result<Vec<Intervention>> {
        let mut all: Vec<Intervention> = self
            .scan_json(T::Interventions, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        all.sort_by(|a, b| {
            (a.decision.is_some(), &a.raised_at, &a.id).cmp(&(
                b.decision.is_some(),
                &b.raised_at,
                &b.id,
            ))
        });
        Ok(all)
    }

    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// Moves the tables of a workspace made before they shared one tree into it, at once.
fn move_old_layout(db: &Db, tree: &Tree) -> sled::Result<()> {
    let names = db.tree_names();
    let mut batch = Batch::default();
    let mut old = vec![];
    for (i, name) in OLD_TREE_NAMES.iter().enumerate() {
        if !names.iter().any(|n| n.as_ref() == name.as_bytes()) {
            continue;
        }
        let t = db.open_tree(name)?;
        for item in t.iter() {
            let (k, v) = item?;
            let mut key = Vec::with_capacity(k.len() + 1);
            key.push(i as u8);
            key.extend_from_slice(&k);
            batch.insert(key, v);
        }
        old.push(*name);
    }
    if old.is_empty() {
        return Ok(());
    }
    tree.apply_batch(batch)?;
    db.flush()?;
    for name in old {
        db.drop_tree(name)?;
    }
    db.flush()?;
    Ok(())
}

/// Key of an entity-scoped record: `entity \x1f id`.
pub fn entity_key(entity: Entity, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(entity.key().len() + 1 + id.len());
    k.extend_from_slice(entity.key().as_bytes());
    k.push(0x1f);
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn entity_prefix(entity: Entity) -> Vec<u8> {
    let mut k = entity.key().as_bytes().to_vec();
    k.push(0x1f);
    k
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = bytes.len().min(8);
    a[8 - n..].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(a)
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock"))
}

fn describe_open_error(path: &Path, e: &sled::Error) -> String {
    if is_lock_error(e) {
        return format!(
            "the state at {} is held by another storeshift process (a run is live). \
             Use `storeshift status|pause|resume|decide|events` on the workspace: they talk to the live run \
             through its control socket.",
            path.display()
        );
    }
    damaged_message(path, &e.to_string())
}

fn damaged_message(path: &Path, what: &str) -> String {
    format!(
        "the state database at {} is damaged ({what}). Nothing in the target was lost. \
         Run `storeshift recover <workspace>`: it moves the damaged state aside, keeps every operator \
         decision from the event log mirror (events.jsonl), and the next `storeshift run` re-checks the \
         target record by record instead of duplicating anything. `storeshift events <workspace>` still \
         reads the event log from the mirror.",
        path.display()
    )
}

/// One entity's position within a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntityCheckpoint {
    #[serde(default)]
    pub cursor: Option<serde_json::Value>,
    #[serde(default)]
    pub target: Option<serde_json::Value>,
    #[serde(default)]
    pub counts: crate::event::Counts,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub batches: u64,
    /// The target has no place for this entity; nothing was moved.
    #[serde(default)]
    pub unsupported: bool,
    /// The target's reason when it has more to say than "no place for it".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Records by what an operator's decision made of them (customers without an email:
    /// left out, given an address, kept for the store owner), counted with their batch.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub outcomes: std::collections::BTreeMap<String, u64>,
}

impl EntityCheckpoint {
    /// Every page was read and its batch committed; only finishing the entity (the target's
    /// sync, the done step) is left. A `None` cursor means "from the start" before the first
    /// batch and "past the end" after the last: read as the start, a run killed between the
    /// last batch and the done step would read and write the whole entity a second time
    /// (collections.csv twice over). The batch count tells the two apart.
    pub fn read_all(&self) -> bool {
        !self.done && self.batches > 0 && self.cursor.is_none()
    }
}

/// What the id map remembers of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdMapEntry {
    /// The record's id in the target (a file target's key, or the remote API id); empty when
    /// the record was left out by a decision.
    pub target_id: String,
    /// The handle the record has in the target (its URL), kept so re-runs and the redirect map
    /// use the same one; the target id of an API is not a handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Content hash of the source record when it was last moved (hex).
    pub hash: String,
    /// Run that created the record in the target (None: the target already had it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_run: Option<u32>,
    pub last_run: u32,
    /// Source URL path, kept for the redirect map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
}

/// A remote write in flight: written and flushed before the call, removed after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub idempotency_key: String,
    pub external_key: String,
    pub run: u32,
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_assigns_increasing_sequence_numbers_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        {
            let s = Store::open(&path).unwrap();
            let mut step = Step::new(1);
            step.put(T::Cursors, "a", "1".as_bytes().to_vec());
            step.event(
                Level::Info,
                None,
                EventKind::Log {
                    message: "one".into(),
                },
            );
            step.event(
                Level::Info,
                None,
                EventKind::Log {
                    message: "two".into(),
                },
            );
            let ev = s.commit(step).unwrap();
            assert_eq!(ev.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        }
        let s = Store::open(&path).unwrap();
        let mut step = Step::new(1);
        step.event(
            Level::Info,
            None,
            EventKind::Log {
                message: "three".into(),
            },
        );
        assert_eq!(s.commit(step).unwrap()[0].seq, 3);
        assert_eq!(s.tree(T::Cursors).get("a").unwrap().unwrap().as_ref(), b"1");
        assert_eq!(s.events_after(1, 10).unwrap().len(), 2);
        s.prune_events(1).unwrap();
        assert_eq!(s.events_after(0, 10).unwrap().len(), 1);
    }

    #[test]
    fn damaged_state_gives_a_message_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        {
            let s = Store::open(&path).unwrap();
            let mut step = Step::new(1);
            for i in 0..200 {
                step.put(T::IdMap, format!("k{i}"), vec![7u8; 300]);
            }
            s.commit(step).unwrap();
        }
        // Overwrite the data files with garbage.
        for entry in std::fs::read_dir(&path).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                std::fs::write(&p, vec![0xA5u8; 4096]).unwrap();
            }
        }
        match Store::open(&path) {
            Err(StoreError::Open(msg)) => assert!(msg.contains("storeshift recover"), "{msg}"),
            Err(other) => panic!("unexpected error kind: {other}"),
            Ok(_) => panic!("garbage state opened as if healthy"),
        }
    }

    #[test]
    fn a_workspace_of_the_old_layout_is_moved_over_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        {
            let db = sled::open(&path).unwrap();
            db.open_tree("meta")
                .unwrap()
                .insert(SEQ_KEY, &7u64.to_be_bytes())
                .unwrap();
            db.open_tree("idmap")
                .unwrap()
                .insert(entity_key(Entity::Products, "p1"), &b"{\"x\":1}"[..])
                .unwrap();
            db.open_tree("events")
                .unwrap()
                .insert(7u64.to_be_bytes(), &b"not read here"[..])
                .unwrap();
            db.flush().unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.last_seq().unwrap(), 7);
        let v: Option<serde_json::Value> = s
            .get_json(T::IdMap, entity_key(Entity::Products, "p1"))
            .unwrap();
        assert_eq!(v, Some(serde_json::json!({"x": 1})));
        // Keys come back without the table byte, and tables do not see each other's keys.
        let keys: Vec<Vec<u8>> = s
            .tree(T::IdMap)
            .iter()
            .map(|r| r.unwrap().0.to_vec())
            .collect();
        assert_eq!(keys, vec![entity_key(Entity::Products, "p1")]);
        assert_eq!(s.tree(T::Handles).len(), 0);
        let mut step = Step::new(1);
        step.event(
            Level::Info,
            None,
            EventKind::Log {
                message: "after the move".into(),
            },
        );
        let ev = s.commit(step).unwrap();
        assert_eq!(ev[0].seq, 8);
        drop(s);
        // sled's flusher thread lets go of the file lock a moment after the last handle is
        // dropped: wait for it rather than fail (this failed about one run in four).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let db = loop {
            match sled::open(&path) {
                Ok(db) => break db,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => panic!("the state cannot be opened again: {e}"),
            }
        };
        let names: Vec<String> = db
            .tree_names()
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n == "idmap" || n == "meta"),
            "{names:?}"
        );
    }
}
