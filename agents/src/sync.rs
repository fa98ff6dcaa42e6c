//! Sync cycles: after a finished migration, keep the target caught up with what changes in the
//! source until cutover, at a cost proportional to what changed.
//!
//! A cycle is a run of its own (kind `sync`): for each entity it reads only the records the
//! source says changed since the entity's high-water mark minus the configured overlap, and
//! moves them through the same transform/validate/load as a migration — the id map makes them
//! updates of what the first run created, and the content hash skips what the overlap re-reads
//! unchanged. The new high-water mark is the newest modification time the *source* reported
//! (never the local clock) and is committed in the same atomic step as the entity's last batch,
//! so a cycle killed at any point starts again from the old mark and moves nothing twice.
//!
//! Deletions: where the source can list its ids cheaply, ids the id map holds and the source no
//! longer has are reported as one intervention per entity and cycle (delete in the target,
//! keep, decide later). Nothing is deleted until an operator decides; a decision to delete is
//! carried out at the start of the next cycle through `Target::delete`, behind a durable marker.

use crate::agents::analysis::Analysis;
use crate::event::{AgentKind, Counts, EventKind, Level, RunState};
use crate::executor::{self, Lookup};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{cursor_key, phase_key, run_key, Ctx, Halt, RunRecord};
use crate::store::{entity_key, entity_prefix, now_rfc3339, IdMapEntry, Store, T};
use crate::transform::Transformer;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;
use storeshift_connectors::model::Entity;
use storeshift_connectors::{RecordRef, Source, Target};

const AGENT: AgentKind = AgentKind::Executor;
/// Step name prefix of the deletion interventions.
pub const DELETIONS_STEP: &str = "sync/deletions/";
/// Records listed by name in a deletion intervention (the rest are counted).
const LISTED: usize = 200;
const CUTOVER: &str = "sync/cutover_requested";
/// An operator's request that the next new cycle be full (the console's `f`).
const FULL_REQUESTED: &str = "sync/full_requested";

/// What one cycle did, kept per cycle (`storeshift status`, the console, `cutover`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleSummary {
    pub run: u32,
    /// The migration whose id map and decisions this cycle keeps current.
    pub base_run: u32,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Per entity: the window start asked of the source (high-water mark minus the overlap),
    /// or `None` when the source has no "changed since" filter for it and was read whole.
    pub since: BTreeMap<Entity, Option<String>>,
    pub counts: BTreeMap<Entity, Counts>,
    /// Records the source reported gone, by entity (raised as interventions).
    pub deletions_reported: BTreeMap<Entity, u64>,
    /// Records deleted in the target on an operator's decision at the start of this cycle.
    pub deleted: u64,
    /// Entities of a file source whose export file had the content hash of the last cycle's
    /// read: nothing was read for them.
    #[serde(default)]
    pub files_unchanged: Vec<Entity>,
    /// A full cycle: every entity was read whole as a migration reads it, past the marks and
    /// the file hashes, so what a source's "changed since" filter cannot see moved too.
    #[serde(default)]
    pub full: bool,
}

impl CycleSummary {
    pub fn read(&self) -> u64 {
        self.counts.values().map(|c| c.read).sum()
    }
    /// Changes moved: records created or updated in the target.
    pub fn moved(&self) -> u64 {
        self.counts.values().map(|c| c.created + c.updated).sum()
    }
    pub fn failed(&self) -> u64 {
        self.counts.values().map(|c| c.failed).sum()
    }

    /// The cycle as one line of the console's history.
    pub fn row(&self) -> crate::snapshot::CycleRow {
        let secs = match (
            stamp(&self.started_at),
            self.finished_at.as_deref().and_then(stamp),
        ) {
            (Some(a), Some(b)) => u64::try_from((b - a).num_seconds()).ok(),
            _ => None,
        };
        crate::snapshot::CycleRow {
            run: self.run,
            moved: self.moved(),
            read: self.read(),
            failed: self.failed(),
            deletions: self.deletions_reported.values().sum(),
            deleted: self.deleted,
            secs,
            full: self.full,
        }
    }
}

fn hwm_key(entity: Entity) -> String {
    format!("sync/hwm/{}", entity.key())
}

/// The content hash of the export file(s) an entity was last read whole from (file sources).
fn file_hash_key(entity: Entity) -> String {
    format!("sync/file-hash/{}", entity.key())
}

fn newest_key(run: u32, entity: Entity) -> String {
    format!("{run:08}/sync-newest/{}", entity.key())
}

fn gone_key(entity: Entity, source_id: &str) -> String {
    format!("sync/gone/{}/{source_id}", entity.key())
}

fn applied_key(iv: &str) -> String {
    format!("sync/applied/{iv}")
}

fn deleting_key(entity: Entity, source_id: &str) -> String {
    format!("sync/deleting/{}/{source_id}", entity.key())
}

/// The hook `storeshift cutover` uses: the sync loop stops before its next cycle once set.
pub fn request_cutover(store: &Store) -> Result<(), String> {
    let mut step = crate::store::Step::new(0);
    step.put_json(T::Meta, CUTOVER, &now_rfc3339());
    step.event(
        Level::Info,
        None,
        EventKind::Log {
            message: "cutover requested: syncing stops after the cycle in flight".into(),
        },
    );
    store.commit(step).map(|_| ()).map_err(|e| e.to_string())
}

/// Lifts the stop [`request_cutover`] set, in the caller's commit: a cutover called off lets
/// `sync --until-cutover` run again.
pub fn clear_cutover_request(step: &mut crate::store::Step) {
    step.remove(T::Meta, CUTOVER);
}

/// When a cutover was requested (`None`: keep syncing).
pub fn cutover_requested(store: &Store) -> Option<String> {
    store.get_json::<String>(T::Meta, CUTOVER).ok().flatten()
}

/// Who asked for the next cycle to be full, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullRequest {
    pub by: crate::intervention::Actor,
    pub at: String,
}

/// Persists an operator's request that the next cycle be full, with its event: a sync killed
/// before that cycle starts still owes it, and the request is in the event log like a pause.
/// The cycle that starts full carries it out and lifts it ([`take_full_request`]).
pub fn request_full(
    store: &Store,
    run: u32,
    by: crate::intervention::Actor,
) -> Result<Vec<crate::Event>, String> {
    let mut step = crate::store::Step::new(run);
    put_full_request(
        &mut step,
        &FullRequest {
            by: by.clone(),
            at: now_rfc3339(),
        },
    );
    step.event(Level::Info, None, EventKind::FullCycleRequested { by });
    store.commit(step).map_err(|e| e.to_string())
}

/// Stores a request in the caller's commit (also how recovery carries one over from the
/// event log).
pub fn put_full_request(step: &mut crate::store::Step, request: &FullRequest) {
    step.put_json(T::Meta, FULL_REQUESTED, request);
}

/// The request for a full next cycle not yet carried out, if any.
pub fn full_requested(store: &Store) -> Option<FullRequest> {
    store
        .get_json::<FullRequest>(T::Meta, FULL_REQUESTED)
        .ok()
        .flatten()
}

/// Lifts the request in the caller's commit: the one that records a new full cycle, so the
/// request is carried out exactly once whatever kills the process in between.
pub fn take_full_request(step: &mut crate::store::Step) {
    step.remove(T::Meta, FULL_REQUESTED);
}

/// The summary of cycle `run`, if it ran.
pub fn summary(store: &Store, run: u32) -> Option<CycleSummary> {
    store
        .get_json(T::Phases, phase_key(run, "sync_cycle"))
        .ok()
        .flatten()
}

/// The newest finished cycle's summary.
pub fn last_summary(store: &Store, upto: u32) -> Option<CycleSummary> {
    (1..=upto)
        .rev()
        .filter_map(|r| summary(store, r))
        .find(|s| s.finished_at.is_some())
}

/// The newest `n` finished cycles up to run `upto`, oldest first.
pub fn recent(store: &Store, upto: u32, n: usize) -> Vec<CycleSummary> {
    let mut out: Vec<CycleSummary> = (1..=upto)
        .rev()
        .filter_map(|r| summary(store, r))
        .filter(|s| s.finished_at.is_some())
        .take(n)
        .collect();
    out.reverse();
    out
}

/// Whether cycle `run` is due to be full under `[sync] full_every = every`: the `every - 1`
/// finished cycles before it, back to the migration, were all filtered. A full cycle (asked
/// for, or a cutover's final one) starts the count again, as a migration does: each read the
/// whole source.
pub fn full_due(store: &Store, run: u32, every: u32) -> bool {
    if every == 0 {
        return false;
    }
    let mut filtered = 0u32;
    for r in (1..run).rev() {
        if filtered + 1 >= every {
            break;
        }
        let rec: Option<RunRecord> = store.get_json(T::Meta, run_key(r)).ok().flatten();
        let Some(rec) = rec else { continue };
        if !rec.sync {
            break;
        }
        match summary(store, r) {
            Some(s) if s.finished_at.is_some() && s.full => break,
            Some(s) if s.finished_at.is_some() => filtered += 1,
            // A cutover that stopped before its final sync, a cycle that never got going.
            _ => {}
        }
    }
    filtered + 1 >= every
}

/// The newest finished migration (not a sync cycle) before `run`.
fn base_run(store: &Store, run: u32) -> Result<RunRecord, Halt> {
    for r in (1..run).rev() {
        let rec: Option<RunRecord> = store
            .get_json(T::Meta, run_key(r))
            .map_err(|e| Halt::Failed(e.to_string()))?;
        if let Some(rec) = rec {
            if !rec.sync && rec.state == RunState::Done {
                return Ok(rec);
            }
        }
    }
    Err(Halt::Failed(
        "no finished migration to keep in sync: run `storeshift run` first".into(),
    ))
}

/// `t - overlap`, both RFC 3339; an unreadable mark reads everything again (hash-skipped).
fn window_start(mark: &str, overlap: std::time::Duration) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(mark).ok()?;
    let back = chrono::Duration::from_std(overlap).ok()?;
    Some(
        (t.with_timezone(&chrono::Utc) - back)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

fn later(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if stamp(&y) > stamp(&x) { y } else { x }),
        (x, y) => x.or(y),
    }
}

fn stamp(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// One sync cycle, given the workspace's running context (callable on its own: `cutover` runs
/// a final one). `full`: read every entity whole, as a migration does, whatever the marks and
/// file hashes say; a resumed cycle stays what its summary says it began as.
pub async fn cycle(ctx: Ctx, full: bool) -> Result<(), Halt> {
    let base = base_run(&ctx.store, ctx.run)?;
    let overlap = crate::config::parse_duration(&ctx.cfg.sync.overlap).map_err(Halt::Failed)?;
    let mut summary = summary(&ctx.store, ctx.run).unwrap_or_else(|| CycleSummary {
        run: ctx.run,
        base_run: base.run,
        started_at: now_rfc3339(),
        full,
        ..Default::default()
    });
    let full = summary.full;
    ctx.save_phase("sync_cycle", &summary)?;

    let mut source = ctx.open_source()?;
    let mut target =
        storeshift_connectors::open_target(&ctx.cfg.target, &ctx.cfg.base_dir, &ctx.output_dir())
            .map_err(|e| {
            Halt::Failed(format!(
                "cannot open the target ({}): {e}",
                ctx.cfg.target.describe()
            ))
        })?;
    summary.deleted += apply_deletions(&ctx, target.as_mut()).await?;

    let analysis: Analysis = ctx
        .store
        .get_json(T::Phases, phase_key(base.run, "analysis"))
        .ok()
        .flatten()
        .unwrap_or_default();
    // The decisions of the migration stand for every record a cycle moves.
    let decisions: BTreeMap<String, String> = ctx
        .store
        .interventions()
        .map_err(|e| Halt::Failed(e.to_string()))?
        .into_iter()
        .filter(|i| i.run == base.run)
        .filter_map(|i| i.decision.map(|d| (i.step, d.option)))
        .collect();
    let mut tf = Transformer::new(
        target.platform(),
        ctx.cfg.target.kind,
        source.platform(),
        &analysis,
        decisions,
    )
    .with_category_map(crate::agents::mapping::resolved_at(&ctx, base.run));

    let entities: Vec<Entity> = ctx
        .entities(&source.entities())
        .into_iter()
        .filter(|e| *e != Entity::Redirects)
        .collect();
    for entity in entities {
        let mut cp = ctx.checkpoint(entity);
        if cp.done || !target.accepts(entity) {
            continue;
        }
        ctx.safe_point().await?;
        ctx.status(AGENT, "running", format!("syncing {entity}"), 0, 0)?;
        target
            .resume(entity, cp.target.as_ref())
            .await
            .map_err(|e| Halt::Failed(format!("cannot resume {entity} in the target: {e}")))?;
        if target.is_remote() {
            executor::reconcile(&ctx, target.as_mut(), entity).await?;
        }
        let mark: Option<String> = ctx
            .store
            .get_json(T::Meta, hwm_key(entity))
            .map_err(|e| Halt::Failed(e.to_string()))?;
        // The first cycle looks back to when the migration started reading.
        let mark = mark.unwrap_or_else(|| base.started_at.clone());
        let since = if full {
            None
        } else {
            window_start(&mark, overlap)
        };
        let mut newest: Option<String> = ctx
            .store
            .get_json(T::Cursors, newest_key(ctx.run, entity))
            .map_err(|e| Halt::Failed(e.to_string()))?;
        let mut filtered = since.is_some();
        // An export file whose bytes are those of the last cycle's holds no change: nothing
        // is read. Only at the entity's start: a resumed read goes on with the file it began.
        let file_hash = source
            .content_hash(entity)
            .await
            .map_err(|e| Halt::Failed(format!("cannot read the {entity} export file: {e}")))?;
        let stored_hash: Option<String> = ctx
            .store
            .get_json(T::Meta, file_hash_key(entity))
            .map_err(|e| Halt::Failed(e.to_string()))?;
        // Killed after the last batch committed but before the done step: nothing is left
        // to read, and reading from a `None` cursor would start the entity over.
        let read_all = cp.read_all();
        let same_file = !full
            && cp.cursor.is_none()
            && cp.counts.read == 0
            && file_hash.is_some()
            && file_hash == stored_hash;
        if same_file {
            filtered = false;
        }
        loop {
            if same_file || read_all {
                break;
            }
            ctx.safe_point().await?;
            if ctx.cfg.run.throttle_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(ctx.cfg.run.throttle_ms)).await;
                ctx.safe_point().await?;
            }
            let started = Instant::now();
            let page = match (&since, filtered) {
                (Some(t), true) => {
                    match source
                        .read_changed(entity, t, cp.cursor.as_ref(), ctx.cfg.run.batch_size)
                        .await
                        .map_err(|e| {
                            Halt::Failed(format!("reading changed {entity} failed: {e}"))
                        })? {
                        Some(c) => {
                            newest = later(newest, c.newest);
                            c.page
                        }
                        None => {
                            // No such filter for this entity: read it whole, hash-skip.
                            filtered = false;
                            continue;
                        }
                    }
                }
                _ => source
                    .read_page(entity, cp.cursor.as_ref(), ctx.cfg.run.batch_size)
                    .await
                    .map_err(|e| Halt::Failed(format!("reading {entity} failed: {e}")))?,
            };
            let finished = page.next.is_none();
            let batch = tf.next_batch();
            let prepared = executor::load_batch(
                &ctx,
                &mut tf,
                target.as_mut(),
                entity,
                page,
                &[],
                cp.clone(),
                None,
                started,
                Lookup {
                    inflight: None,
                    seen: None,
                },
                false,
            )
            .await?;
            cp = prepared.cp;
            let mut step = prepared.step;
            if let Some(n) = &newest {
                step.put_json(T::Cursors, newest_key(ctx.run, entity), n);
            }
            if finished {
                // The mark moves with the entity's last batch, never before it.
                if let Some(next) = later(Some(mark.clone()), newest.clone()) {
                    if filtered {
                        step.put_json(T::Meta, hwm_key(entity), &next);
                    }
                }
                // A whole read reports no modification times: like the migration's start
                // (the first cycle's mark), the cycle's start bounds what it has seen, and
                // the next window's overlap covers a source clock running behind.
                if full {
                    if let Some(next) = later(Some(mark.clone()), Some(summary.started_at.clone()))
                    {
                        step.put_json(T::Meta, hwm_key(entity), &next);
                    }
                }
                // So does the hash of the file read whole; not when a record failed, so the
                // next cycle reads the file again and retries it.
                if let (Some(h), 0) = (&file_hash, cp.counts.failed) {
                    step.put_json(T::Meta, file_hash_key(entity), h);
                }
            }
            ctx.commit(step)?;
            tf.committed(batch);
            if finished {
                break;
            }
        }
        tf.end_entity(entity);
        crate::crash::point(&format!("sync/{}/read-all", entity.key()));
        target
            .finish(entity)
            .await
            .map_err(|e| Halt::Failed(format!("cannot finish {entity}: {e}")))?;
        summary
            .since
            .insert(entity, if filtered { since.clone() } else { None });
        if same_file && !summary.files_unchanged.contains(&entity) {
            summary.files_unchanged.push(entity);
        }
        summary.counts.insert(entity, cp.counts);
        let reported = detect_deletions(&ctx, source.as_mut(), entity).await?;
        summary.deletions_reported.insert(entity, reported);
        let mut step = ctx.step();
        cp.done = true;
        step.put_json(T::Cursors, cursor_key(ctx.run, entity), &cp);
        step.put_json(T::Phases, phase_key(ctx.run, "sync_cycle"), &summary);
        step.event(
            Level::Info,
            Some(AGENT),
            EventKind::Log {
                message: format!(
                    "sync {entity}: {} read, {} created, {} updated, {} unchanged, {} failed{}",
                    cp.counts.read,
                    cp.counts.created,
                    cp.counts.updated,
                    cp.counts.unchanged,
                    cp.counts.failed,
                    if same_file {
                        " (the export file is the one the last cycle read, same content hash: nothing read)".into()
                    } else if full {
                        " (full cycle: read whole, unchanged records skipped by hash)".into()
                    } else if filtered {
                        String::new()
                    } else if file_hash.is_some() {
                        " (the export file changed: read whole, unchanged records skipped by hash)".into()
                    } else {
                        " (no changed-since filter: read whole, unchanged skipped by hash)".into()
                    }
                ),
            },
        );
        ctx.commit(step)?;
    }
    // Rebuilt from the checkpoints: a resumed cycle counts the entities it finished earlier.
    for entity in Entity::ALL {
        if let Ok(Some(cp)) = ctx
            .store
            .get_json::<crate::store::EntityCheckpoint>(T::Cursors, cursor_key(ctx.run, entity))
        {
            summary.counts.insert(entity, cp.counts);
        }
    }
    summary.finished_at = Some(now_rfc3339());
    let mut step = ctx.step();
    step.put_json(T::Phases, phase_key(ctx.run, "sync_cycle"), &summary);
    step.event(
        Level::Info,
        Some(AGENT),
        EventKind::Log {
            message: format!(
                "sync cycle {}{}: {} changes moved, {} records read, {} failed, {} deletions reported, {} deleted",
                ctx.run,
                if summary.full { " (full)" } else { "" },
                summary.moved(),
                summary.read(),
                summary.failed(),
                summary.deletions_reported.values().sum::<u64>(),
                summary.deleted
            ),
        },
    );
    ctx.commit(step)?;
    ctx.status(AGENT, "done", "sync cycle done", 0, 0)?;
    Ok(())
}

/// Records of `entity` the id map holds (moved to the target) that the source no longer lists;
/// raises one intervention for those not reported before. Returns how many it reported.
async fn detect_deletions(ctx: &Ctx, source: &mut dyn Source, entity: Entity) -> Result<u64, Halt> {
    let Some(live) = source
        .live_ids(entity)
        .await
        .map_err(|e| Halt::Failed(format!("listing {entity} ids in the source failed: {e}")))?
    else {
        return Ok(0);
    };
    let live: HashSet<String> = live.into_iter().collect();
    let prefix = entity_prefix(entity);
    let mut gone: Vec<(String, IdMapEntry)> = vec![];
    for (key, entry) in ctx
        .store
        .scan_json::<IdMapEntry>(T::IdMap, &prefix)
        .map_err(|e| Halt::Failed(e.to_string()))?
    {
        let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
        if entry.target_id.is_empty() || live.contains(&id) {
            continue;
        }
        let reported = ctx
            .store
            .get_json::<serde_json::Value>(T::Phases, gone_key(entity, &id))
            .map_err(|e| Halt::Failed(e.to_string()))?
            .is_some();
        if !reported {
            gone.push((id, entry));
        }
    }
    if gone.is_empty() {
        return Ok(0);
    }
    let step_name = format!("{DELETIONS_STEP}{}", entity.key());
    let id = Intervention::make_id(ctx.run, &step_name, entity.key());
    let mut step = ctx.step();
    let records: Vec<RecordRef> = gone
        .iter()
        .take(LISTED)
        .map(|(sid, e)| RecordRef {
            entity,
            source_id: sid.clone(),
            label: e
                .handle
                .clone()
                .or_else(|| e.source_url.clone())
                .unwrap_or_else(|| format!("{entity} {sid}")),
        })
        .collect();
    let n = gone.len();
    let iv = Intervention {
        id: id.clone(),
        run: ctx.run,
        step: step_name,
        item: entity.key().to_string(),
        title: format!("{n} {entity} deleted in the source since the last sync"),
        problem: format!(
            "The source no longer has {n} {entity} that were moved to the target{}. Nothing is deleted in the target without a decision.",
            if n > LISTED { format!(" ({LISTED} listed)") } else { String::new() }
        ),
        records,
        options: vec![
            InterventionOption {
                key: "delete".into(),
                label: "Delete them in the target".into(),
                consequence: "The next sync cycle deletes each of them in the target (only what storeshift moved).".into(),
            },
            InterventionOption {
                key: "keep".into(),
                label: "Keep them in the target".into(),
                consequence: "They stay in the target and are not reported again.".into(),
            },
            InterventionOption {
                key: "later".into(),
                label: "Decide later".into(),
                consequence: "Nothing changes; the next cycle reports them again.".into(),
            },
        ],
        recommended: "later".into(),
        raised_at: now_rfc3339(),
        detail: None,
        decision: None,
    };
    for (sid, _) in &gone {
        step.put_json(T::Phases, gone_key(entity, sid), &id);
    }
    ctx.raise(&mut step, iv)?;
    ctx.commit(step)?;
    Ok(n as u64)
}

/// Carries out the deletion decisions made since the last cycle. A record is deleted behind a
/// durable marker: a cycle killed after the call and before the commit finds the marker, and a
/// second delete that fails then means the first one landed.
async fn apply_deletions(ctx: &Ctx, target: &mut dyn Target) -> Result<u64, Halt> {
    let mut deleted = 0;
    for iv in ctx
        .store
        .interventions()
        .map_err(|e| Halt::Failed(e.to_string()))?
    {
        if !iv.step.starts_with(DELETIONS_STEP) {
            continue;
        }
        let Some(d) = &iv.decision else { continue };
        if ctx
            .store
            .get_json::<serde_json::Value>(T::Phases, applied_key(&iv.id))
            .map_err(|e| Halt::Failed(e.to_string()))?
            .is_some()
        {
            continue;
        }
        let Some(entity) = Entity::ALL.into_iter().find(|e| e.key() == iv.item) else {
            continue;
        };
        // Every record reported under this intervention (more than it lists by name).
        // The id is everything after the prefix: Shopify's ids (`gid://shopify/Product/6`)
        // have slashes of their own.
        let prefix = format!("sync/gone/{}/", entity.key());
        let ids: Vec<String> = ctx
            .store
            .scan_json::<String>(T::Phases, &prefix)
            .map_err(|e| Halt::Failed(e.to_string()))?
            .into_iter()
            .filter(|(_, owner)| *owner == iv.id)
            .map(|(k, _)| {
                let k = String::from_utf8_lossy(&k).into_owned();
                k.strip_prefix(&prefix).map(str::to_string).unwrap_or(k)
            })
            .collect();
        for sid in &ids {
            let key = entity_key(entity, sid);
            let mut step = ctx.step();
            if d.option == "delete" {
                let entry: Option<IdMapEntry> = ctx
                    .store
                    .get_json(T::IdMap, &key)
                    .map_err(|e| Halt::Failed(e.to_string()))?;
                if let Some(entry) = entry.filter(|e| !e.target_id.is_empty()) {
                    ctx.safe_point().await?;
                    let retry = ctx
                        .store
                        .get_json::<serde_json::Value>(T::Phases, deleting_key(entity, sid))
                        .map_err(|e| Halt::Failed(e.to_string()))?
                        .is_some();
                    if !retry {
                        let mut marker = ctx.step();
                        marker.put_json(T::Phases, deleting_key(entity, sid), &entry.target_id);
                        ctx.commit(marker)?;
                    }
                    match target.delete(entity, &entry.target_id).await {
                        Ok(()) => deleted += 1,
                        Err(_) if retry => {}
                        Err(e) => {
                            return Err(Halt::Failed(format!(
                                "deleting {entity} {} in the target failed: {e}",
                                entry.target_id
                            )))
                        }
                    }
                    step.remove(T::IdMap, &key);
                    if let Some(h) = &entry.handle {
                        step.remove(T::Handles, entity_key(entity, h));
                    }
                }
                step.remove(T::Phases, deleting_key(entity, sid));
                step.remove(T::Phases, gone_key(entity, sid));
            } else if d.option == "later" {
                // Reported again by the next detection.
                step.remove(T::Phases, gone_key(entity, sid));
            }
            if !step.is_empty() {
                ctx.commit(step)?;
            }
        }
        let mut step = ctx.step();
        step.put_json(T::Phases, applied_key(&iv.id), &d.option);
        step.event(
            Level::Info,
            Some(AGENT),
            EventKind::Log {
                message: format!(
                    "deletions {}: {} {entity} — {}",
                    iv.id,
                    ids.len(),
                    match d.option.as_str() {
                        "delete" => "deleted in the target",
                        "keep" => "kept in the target",
                        _ => "left for a later decision",
                    }
                ),
            },
        );
        ctx.commit(step)?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_reaches_back_by_the_overlap() {
        let w = window_start("2026-12-06T05:10:00Z", std::time::Duration::from_secs(300));
        assert_eq!(w.as_deref(), Some("2026-12-06T05:05:00Z"));
        assert_eq!(window_start("not a date", Default::default()), None);
    }

    /// Run 1 a migration, then one sync cycle per entry of `full` (finished).
    fn cycles(full: &[bool]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state")).unwrap();
        let mut step = crate::store::Step::new(1);
        let record = |run: u32, sync: bool| RunRecord {
            run,
            started_at: now_rfc3339(),
            finished_at: Some(now_rfc3339()),
            state: RunState::Done,
            phases_done: vec![],
            incremental: false,
            sync,
            cutover: false,
            full: false,
            elapsed_secs: 0,
            message: None,
        };
        step.put_json(T::Meta, run_key(1), &record(1, false));
        for (i, &f) in full.iter().enumerate() {
            let run = i as u32 + 2;
            step.put_json(T::Meta, run_key(run), &record(run, true));
            let s = CycleSummary {
                run,
                finished_at: Some(now_rfc3339()),
                full: f,
                ..Default::default()
            };
            step.put_json(T::Phases, phase_key(run, "sync_cycle"), &s);
        }
        store.commit(step).unwrap();
        (dir, store)
    }

    #[test]
    fn every_nth_cycle_since_the_last_whole_read_is_full() {
        // `full_every = 2`: the 1st cycle after the migration is filtered, the 2nd full.
        let (_d, s) = cycles(&[]);
        assert!(!full_due(&s, 2, 2));
        let (_d, s) = cycles(&[false]);
        assert!(full_due(&s, 3, 2));
        let (_d, s) = cycles(&[false, true]);
        assert!(!full_due(&s, 4, 2));
        // A cycle made full by `--full` starts the count again.
        let (_d, s) = cycles(&[false, false, true, false]);
        assert!(!full_due(&s, 6, 3));
        assert!(full_due(&s, 6, 2));
        // 1: every cycle; 0: never.
        let (_d, s) = cycles(&[]);
        assert!(full_due(&s, 2, 1));
        let (_d, s) = cycles(&[false, false, false]);
        assert!(!full_due(&s, 5, 0));
    }

    #[test]
    fn the_mark_only_moves_forward() {
        let a = Some("2026-12-06T05:10:00Z".to_string());
        let b = Some("2026-12-06T05:09:00Z".to_string());
        assert_eq!(later(a.clone(), b.clone()), a);
        assert_eq!(later(b, a.clone()), a);
        assert_eq!(later(None, a.clone()), a);
    }
}
