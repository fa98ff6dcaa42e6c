//! The executor (Execution phase): extract → transform → validate → load, streaming, batch by
//! batch. Each batch commits as one step — id map, handles, cursor, target checkpoint, counts
//! and event together — and only then counts as moved.
//!
//! Remote targets get exactly-once effects from intents: write a pending intent per record,
//! flush, call the API (upsert by external key), then commit the result with the intent removed.
//! After a crash every pending intent is reconciled by a remote lookup before anything else.

use crate::agents::analysis::Analysis;
use crate::derived;
use crate::event::{AgentKind, Counts, EventKind, Level};
use crate::intervention::{Intervention, InterventionOption};
use crate::prefetch::Prefetch;
use crate::runtime::{cursor_key, Ctx, Halt};
use crate::store::{
    entity_key, entity_prefix, now_rfc3339, EntityCheckpoint, IdMapEntry, Intent, Step, T,
};
use crate::transform::{Outcome, Transformer};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use storeshift_connectors::model::{Entity, Record};
use storeshift_connectors::platform;
use storeshift_connectors::{Finding, RecordRef, Severity, Target, WriteOutcome};

const AGENT: AgentKind = AgentKind::Executor;
/// Per-record failure events per batch; the rest are summarised (the counts stay exact).
const FAILURE_EVENTS_PER_BATCH: usize = 20;

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    let opened = ctx.open_source()?;
    let source_platform = opened.platform();
    let source_entities = opened.entities();
    // Lent to the page reader of each entity in turn.
    let mut source = Some(opened);
    let mut target =
        storeshift_connectors::open_target(&ctx.cfg.target, &ctx.cfg.base_dir, &ctx.output_dir())
            .map_err(|e| {
            Halt::Failed(format!(
                "cannot open the target ({}): {e}",
                ctx.cfg.target.describe()
            ))
        })?;
    let analysis: Analysis = ctx.load_phase("analysis").unwrap_or_default();
    let mut tf = Transformer::new(
        target.platform(),
        ctx.cfg.target.kind,
        source_platform,
        &analysis,
        ctx.decisions(),
    )
    .with_category_map(crate::agents::mapping::resolved(&ctx))
    .with_decision_notes(&ctx.decision_notes());
    let mut api_use = crate::api_use::Tracker::default();
    let mut relearn = crate::agents::planning::Relearn::new(&ctx);
    let mut entities = ctx.entities(&source_entities);
    // Categories the source only names inside products, and the redirect map, are derived.
    if !entities.contains(&Entity::Categories)
        && !analysis.categories.is_empty()
        && wanted(&ctx, Entity::Categories)
    {
        entities.insert(0, Entity::Categories);
    }
    if !entities.contains(&Entity::Redirects) && wanted(&ctx, Entity::Redirects) {
        entities.push(Entity::Redirects);
    }

    for entity in entities {
        let mut cp = ctx.checkpoint(entity);
        if cp.done {
            continue;
        }
        if !target.accepts(entity) {
            let mut step = ctx.step();
            cp.done = true;
            cp.unsupported = true;
            cp.refusal = target.refusal(entity);
            step.put_json(T::Cursors, cursor_key(ctx.run, entity), &cp);
            step.event(
                Level::Warn,
                Some(AGENT),
                EventKind::Log {
                    message: match &cp.refusal {
                        Some(why) => format!("{entity} not moved: {why}"),
                        None => format!(
                            "{} has no place for {entity}; not moved (see the report)",
                            target.describe()
                        ),
                    },
                },
            );
            ctx.commit(step)?;
            continue;
        }
        // Killed after the last batch committed but before the done step: nothing is left
        // to read, and reading from a `None` cursor would start the entity over.
        let read_all = cp.read_all();
        ctx.status(AGENT, "running", format!("loading {entity}"), 0, 0)?;
        target
            .resume(entity, cp.target.as_ref())
            .await
            .map_err(|e| Halt::Failed(format!("cannot resume {entity} in the target: {e}")))?;
        if target.is_remote() {
            reconcile(&ctx, target.as_mut(), entity).await?;
        }
        let from_source = source_entities.contains(&entity);
        let expected = ctx
            .load_phase::<std::collections::BTreeMap<Entity, u64>>("expected_counts")
            .and_then(|m| m.get(&entity).copied());
        let mut ahead = None;
        if from_source && !read_all {
            let s = source.take().ok_or_else(|| {
                Halt::Failed(format!("the source was not handed back before {entity}"))
            })?;
            ahead = Some(Prefetch::start(
                s,
                vec![(entity, cp.cursor.clone())],
                ctx.cfg.run.batch_size,
                true,
            ));
        }
        // File targets commit each batch on a blocking thread while the next one is read,
        // transformed and written: the sled transaction is a third of a batch's time. At most
        // one commit is in flight, commits stay in order, and the file bytes of a batch whose
        // commit never lands are cut off on resume like any uncommitted batch. Remote targets
        // keep the plain order, since their intents must be durable before each call.
        //
        // A fresh entity (nothing of it in the id map or the handles yet: a first run) asks
        // the store nothing while it loads, so the commit in flight, which holds sled's global
        // lock, never makes it wait: its own keys are remembered, and only a source id seen
        // twice is looked up. Derived entities qualify too: the redirect map reads only the
        // id map entries of entities already finished, and reads each page before the
        // commit queued behind it starts.
        let fresh = !target.is_remote()
            && !ctx
                .store
                .has_prefix(T::IdMap, entity_prefix(entity))
                .map_err(|e| Halt::Failed(e.to_string()))?
            && !ctx
                .store
                .has_prefix(T::Handles, entity_prefix(entity))
                .map_err(|e| Halt::Failed(e.to_string()))?;
        if fresh {
            tf.begin_fresh(entity);
        }
        let mut seen_keys: Option<HashSet<Vec<u8>>> = fresh.then(HashSet::new);
        let mut inflight: Option<InFlight> = None;
        // A prepared batch starts committing only once the next page is read, so reading the
        // redirect map from the id map never waits behind sled's lock.
        let mut queued: Option<Queued> = None;
        let looped = async {
            if read_all {
                return Ok(());
            }
            loop {
                if ctx.halt_requested() {
                    // A pause or stop sees every batch already prepared committed first.
                    land(&ctx, &mut queued, &mut inflight, &mut tf).await?;
                }
                ctx.safe_point().await?;
                if ctx.cfg.run.throttle_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(ctx.cfg.run.throttle_ms)).await;
                    ctx.safe_point().await?;
                }
                let started = Instant::now();
                let (page, hashes) = match ahead.as_mut() {
                    Some(p) => {
                        let a = p.next().await.map_err(Halt::Failed)?;
                        (a.page, a.hashes)
                    }
                    None => (
                        derived::page(
                            &ctx,
                            entity,
                            &analysis,
                            cp.cursor.as_ref(),
                            ctx.cfg.run.batch_size,
                        )?,
                        vec![],
                    ),
                };
                if let Some(q) = queued.take() {
                    inflight = Some(InFlight::start(&ctx, q));
                }
                let finished = page.next.is_none();
                let batch = tf.next_batch();
                let prepared = load_batch(
                    &ctx,
                    &mut tf,
                    target.as_mut(),
                    entity,
                    page,
                    &hashes,
                    cp.clone(),
                    expected,
                    started,
                    Lookup {
                        inflight: inflight.as_ref().map(|f| &f.ids),
                        seen: seen_keys.as_ref(),
                    },
                    fresh,
                )
                .await?;
                let Prepared {
                    cp: next,
                    mut step,
                    ids,
                    written,
                } = prepared;
                cp = next;
                if target.is_remote() {
                    // The load's spend commits with each batch, so a run killed mid-entity
                    // still knows what its verification may spend.
                    api_use.record(&ctx, &mut step, None, target.api_stats());
                    if let Some(t) = api_use.total().and_then(|u| u.target) {
                        let (amount, unit) = t.spent();
                        ctx.hub.update(|s| {
                            s.metrics.set_spent(
                                crate::event::Phase::Execution,
                                amount,
                                unit.label(),
                            )
                        });
                    }
                }
                relearn.batch(&ctx, written.len() as u64)?;
                if let Some(seen) = seen_keys.as_mut() {
                    seen.extend(ids.keys().cloned());
                }
                settle(&mut inflight, &mut tf).await?;
                if fresh && !finished {
                    let q = Queued {
                        step,
                        ids,
                        batch,
                        written,
                    };
                    if ahead.is_some() {
                        // Read on another thread: the commit overlaps the wait for the page.
                        inflight = Some(InFlight::start(&ctx, q));
                    } else {
                        queued = Some(q);
                    }
                } else {
                    ctx.commit(step)?;
                    tf.committed(batch);
                }
                if finished {
                    return Ok::<(), Halt>(());
                }
            }
        }
        .await;
        // Whatever stopped the loop, the batches handed to the store land (or fail) first.
        let settled = land(&ctx, &mut queued, &mut inflight, &mut tf).await;
        tf.end_entity(entity);
        looped?;
        settled?;
        if let Some(p) = ahead {
            source = Some(p.finish().await?);
        }
        crate::crash::point(&format!("execution/{}/read-all", entity.key()));
        target
            .finish(entity)
            .await
            .map_err(|e| Halt::Failed(format!("cannot finish {entity}: {e}")))?;
        let owner_file = if entity == Entity::Customers {
            crate::no_email::write_owner_file(&ctx)?
        } else {
            None
        };
        let mut step = ctx.step();
        if let Some(path) = owner_file {
            step.event(
                Level::Info,
                Some(AGENT),
                EventKind::Log {
                    message: format!(
                        "{} customer(s) without an email written to {} for the store owner",
                        cp.outcomes
                            .get(crate::no_email::OUTCOME_OWNER)
                            .copied()
                            .unwrap_or(0),
                        path.display()
                    ),
                },
            );
        }
        cp.done = true;
        step.put_json(T::Cursors, cursor_key(ctx.run, entity), &cp);
        api_use.record(
            &ctx,
            &mut step,
            source.as_ref().and_then(|s| s.api_stats()),
            target.api_stats(),
        );
        step.event(
            Level::Info,
            Some(AGENT),
            EventKind::Log {
                message: format!(
                    "{entity} done: {} created, {} updated, {} unchanged, {} skipped, {} failed",
                    cp.counts.created,
                    cp.counts.updated,
                    cp.counts.unchanged,
                    cp.counts.skipped,
                    cp.counts.failed
                ),
            },
        );
        ctx.commit(step)?;
        crate::agents::verification::start_early(&ctx, entity);
    }
    drop(source);
    ctx.status(AGENT, "done", "all entities loaded", 0, 0)?;
    Ok(())
}

fn wanted(ctx: &Ctx, e: Entity) -> bool {
    ctx.cfg.run.entities.is_empty() || ctx.cfg.run.entities.contains(&e)
}

struct Pending {
    key: Vec<u8>,
    source_id: String,
    source_url: Option<String>,
    hash: String,
    prev: Option<IdMapEntry>,
    external_key: String,
    label: String,
    /// Picked for the verification sample (kept if the target takes it).
    sample: bool,
    /// The address a customer without an email was given: recorded like a handle, so a
    /// re-run gives the same one and no other customer gets it.
    generated: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn load_batch(
    ctx: &Ctx,
    tf: &mut Transformer,
    target: &mut dyn Target,
    entity: Entity,
    page: storeshift_connectors::SourcePage,
    hashes: &[[u8; 32]],
    mut cp: EntityCheckpoint,
    expected: Option<u64>,
    started: Instant,
    lookup: Lookup<'_>,
    keep_ids: bool,
) -> Result<Prepared, Halt> {
    let mut ids: HashMap<Vec<u8>, IdMapEntry> = HashMap::new();
    let mut counts = Counts::default();
    let mut step = ctx.step();
    let stride = crate::agents::verification::sample_stride(ctx, expected);
    let mut to_write: Vec<Record> = Vec::with_capacity(page.records.len());
    let mut pending: Vec<Pending> = Vec::with_capacity(page.records.len());
    for f in page.findings.iter().take(FAILURE_EVENTS_PER_BATCH) {
        step.finding(AGENT, f.clone());
    }
    for (i, record) in page.records.into_iter().enumerate() {
        counts.read += 1;
        let ordinal = cp.counts.read + counts.read;
        if let Record::Product(p) = &record {
            counts.rows += p.variants.len().max(1) as u64;
        }
        let source_id = record.source().id.clone();
        let source_url = record.source().url_path.clone();
        let key = entity_key(entity, &source_id);
        // The batch still committing is not in the store yet: its entries come from memory.
        let prev: Option<IdMapEntry> = match lookup.inflight.and_then(|o| o.get(&key)) {
            Some(e) => Some(e.clone()),
            None if lookup.seen.is_some_and(|s| !s.contains(&key)) => None,
            None => ctx
                .store
                .get_json(T::IdMap, &key)
                .map_err(|e| Halt::Failed(e.to_string()))?,
        };
        let hash = blake3::Hash::from(
            hashes
                .get(i)
                .copied()
                .unwrap_or_else(|| record.content_hash()),
        )
        .to_hex()
        .to_string();
        if let Some(p) = &prev {
            if p.hash == hash && p.last_run < ctx.run {
                counts.unchanged += 1;
                continue;
            }
        }
        let label = record.label();
        let outcome = tf.transform(&ctx.store, record, prev.as_ref());
        // What became of a customer without an email: counted with this batch, and kept for
        // the store owner's file in the same step.
        let mut generated = None;
        if let Some(done) = tf.no_email.take() {
            *cp.outcomes.entry(done.outcome().to_string()).or_default() += 1;
            match done {
                crate::no_email::Done::ToOwner(c) => {
                    step.put_json(
                        T::Phases,
                        crate::no_email::owner_key(ctx.run, &source_id),
                        &c,
                    );
                }
                crate::no_email::Done::Addressed(address) => generated = Some(address),
                crate::no_email::Done::Skipped(label) => {
                    step.put_json(
                        T::Phases,
                        crate::no_email::skipped_key(ctx.run, &source_id),
                        &label,
                    );
                }
            }
        }
        match outcome {
            Outcome::Skip(reason) => {
                counts.skipped += 1;
                let entry = IdMapEntry {
                    target_id: String::new(),
                    handle: None,
                    hash,
                    created_run: None,
                    last_run: ctx.run,
                    source_url,
                };
                step.put_json(T::IdMap, &key, &entry);
                if keep_ids {
                    ids.insert(key.clone(), entry);
                }
                let f = Finding::new(Severity::Info, "skipped", format!("{label}: {reason}"))
                    .about(RecordRef {
                        entity,
                        source_id,
                        label,
                    });
                step.finding(AGENT, f);
            }
            Outcome::Write(rec) => {
                let external_key = rec.external_key();
                pending.push(Pending {
                    key,
                    source_id,
                    source_url,
                    hash,
                    prev,
                    external_key,
                    label,
                    sample: stride.picks(ordinal),
                    generated,
                });
                to_write.push(*rec);
            }
        }
    }

    for f in tf.notes.drain(..).take(FAILURE_EVENTS_PER_BATCH) {
        step.finding(AGENT, f);
    }
    let remote = target.is_remote();
    if remote && !to_write.is_empty() {
        ask(ctx, target, entity, &to_write).await?;
        // The intent is durable before the remote call is made.
        let mut intents = ctx.step();
        for p in &pending {
            let intent = Intent {
                idempotency_key: idempotency_key(ctx.run, entity, &p.source_id),
                external_key: p.external_key.clone(),
                run: ctx.run,
                hash: p.hash.clone(),
            };
            intents.put_json(T::Intents, entity_key(entity, &p.source_id), &intent);
        }
        ctx.commit(intents)?;
    }
    let outcomes = if to_write.is_empty() {
        vec![]
    } else {
        target
            .write_batch(entity, &to_write)
            .await
            .map_err(|e| Halt::Failed(format!("writing {entity} to the target failed: {e}")))?
    };
    for f in target
        .take_findings()
        .into_iter()
        .take(FAILURE_EVENTS_PER_BATCH)
    {
        step.finding(AGENT, f);
    }
    if let Some(st) = target.api_stats() {
        ctx.hub.update(|s| {
            s.metrics.api_calls = st.calls;
            s.metrics.retries = st.retries;
            s.metrics.api_budget_pct = st
                .budget_used_pct
                .map(|p| p.round().clamp(0.0, 100.0) as u8);
        });
    }
    if outcomes.len() != to_write.len() {
        return Err(Halt::Failed(format!(
            "the target answered {} outcomes for {} {entity}",
            outcomes.len(),
            to_write.len()
        )));
    }
    let mut failure_events = 0;
    for ((p, outcome), rec) in pending.iter().zip(outcomes).zip(&to_write) {
        if remote {
            step.remove(T::Intents, entity_key(entity, &p.source_id));
        }
        let target_id = match outcome {
            WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id }
                if p.prev.as_ref().is_some_and(|x| !x.target_id.is_empty()) =>
            {
                counts.updated += 1;
                target_id
            }
            WriteOutcome::Created { target_id } => {
                counts.created += 1;
                target_id
            }
            WriteOutcome::Updated { target_id } => {
                counts.updated += 1;
                target_id
            }
            WriteOutcome::Failed { message } => {
                counts.failed += 1;
                if failure_events < FAILURE_EVENTS_PER_BATCH {
                    failure_events += 1;
                    let f = Finding::new(
                        Severity::Warning,
                        "load_failed",
                        format!("{}: {message}", p.label),
                    )
                    .about(RecordRef {
                        entity,
                        source_id: p.source_id.clone(),
                        label: p.label.clone(),
                    });
                    step.finding(AGENT, f);
                }
                continue;
            }
        };
        let created_run = match &p.prev {
            Some(prev) if !prev.target_id.is_empty() => prev.created_run,
            _ => Some(ctx.run),
        };
        let handle = handle_of(rec).or_else(|| p.generated.clone());
        let entry = IdMapEntry {
            target_id,
            handle: handle.clone(),
            hash: p.hash.clone(),
            created_run,
            last_run: ctx.run,
            source_url: p.source_url.clone(),
        };
        step.put_json(T::IdMap, &p.key, &entry);
        if keep_ids {
            ids.insert(p.key.clone(), entry);
        }
        if p.sample {
            // Kept in the same step as the batch, so a resumed run has exactly the samples of
            // the batches it committed: verification needs no second pass over the source.
            step.put_json(
                T::Phases,
                crate::agents::verification::sample_key(ctx.run, entity, &p.source_id),
                &crate::agents::verification::Sample {
                    key: p.external_key.clone(),
                    source_id: p.source_id.clone(),
                    expected: serde_json::to_value(rec).unwrap_or_default(),
                },
            );
        }
        if let Some(h) = handle {
            step.put(
                T::Handles,
                entity_key(entity, &h),
                p.source_id.as_bytes().to_vec(),
            );
        }
    }
    if failure_events == FAILURE_EVENTS_PER_BATCH && counts.failed as usize > failure_events {
        step.event(
            Level::Warn,
            Some(AGENT),
            EventKind::Log {
                message: format!(
                    "{} more {entity} failed in this batch (see the report)",
                    counts.failed as usize - failure_events
                ),
            },
        );
    }
    cp.cursor = page.next.clone();
    cp.target = target.checkpoint(entity);
    cp.counts.add(&counts);
    cp.batches += 1;
    step.put_json(T::Cursors, cursor_key(ctx.run, entity), &cp);
    step.event(
        Level::Debug,
        Some(AGENT),
        EventKind::BatchCommitted {
            entity,
            counts,
            totals: cp.counts,
            expected,
            millis: started.elapsed().as_millis() as u64,
        },
    );
    Ok(Prepared {
        cp,
        step,
        ids,
        written: to_write,
    })
}

/// Where a record's id-map entry is looked for before the store.
pub(crate) struct Lookup<'a> {
    /// The entries of the batch still committing.
    pub(crate) inflight: Option<&'a HashMap<Vec<u8>, IdMapEntry>>,
    /// On a fresh entity: every key this pass wrote (any other has no entry).
    pub(crate) seen: Option<&'a HashSet<Vec<u8>>>,
}

/// A batch ready to commit: its checkpoint, its step and the id-map entries the step writes.
pub(crate) struct Prepared {
    pub(crate) cp: EntityCheckpoint,
    pub(crate) step: Step,
    pub(crate) ids: HashMap<Vec<u8>, IdMapEntry>,
    /// The records written, dropped where the commit runs: freeing a page of records (read on
    /// another thread) is a tenth of a batch's work, and the loading thread is the busier one.
    pub(crate) written: Vec<Record>,
}

/// A batch waiting for its commit to start.
struct Queued {
    step: Step,
    ids: HashMap<Vec<u8>, IdMapEntry>,
    batch: u64,
    written: Vec<Record>,
}

/// A batch's commit running on a blocking thread.
struct InFlight {
    batch: u64,
    /// Its id-map entries, for look-ups made before it lands.
    ids: HashMap<Vec<u8>, IdMapEntry>,
    task: tokio::task::JoinHandle<Result<(), Halt>>,
}

impl InFlight {
    fn start(ctx: &Ctx, q: Queued) -> InFlight {
        let ctx = ctx.clone();
        let (step, written) = (q.step, q.written);
        InFlight {
            batch: q.batch,
            ids: q.ids,
            task: tokio::task::spawn_blocking(move || {
                let committed = ctx.commit(step);
                drop(written);
                committed
            }),
        }
    }
}

/// Lands every prepared batch: the one committing, then the one queued behind it.
async fn land(
    ctx: &Ctx,
    queued: &mut Option<Queued>,
    inflight: &mut Option<InFlight>,
    tf: &mut Transformer,
) -> Result<(), Halt> {
    settle(inflight, tf).await?;
    if let Some(q) = queued.take() {
        ctx.commit(q.step)?;
        tf.committed(q.batch);
    }
    Ok(())
}

/// Waits for the commit in flight, if any.
async fn settle(inflight: &mut Option<InFlight>, tf: &mut Transformer) -> Result<(), Halt> {
    if let Some(f) = inflight.take() {
        f.task
            .await
            .map_err(|e| Halt::Failed(format!("committing a batch failed: {e}")))??;
        tf.committed(f.batch);
    }
    Ok(())
}

/// Raises the questions the target has about a batch as interventions, waits for every
/// decision and hands each back, all before anything of the batch is written: a decision
/// starts a new step. A restarted run finds the same interventions (their ids come from run,
/// step and item) and hands back the decisions already made.
async fn ask(
    ctx: &Ctx,
    target: &mut dyn Target,
    entity: Entity,
    batch: &[Record],
) -> Result<(), Halt> {
    let questions = target.questions(entity, batch).await.map_err(|e| {
        Halt::Failed(format!(
            "asking {} about {entity} failed: {e}",
            target.describe()
        ))
    })?;
    if questions.is_empty() {
        return Ok(());
    }
    let prefix = format!("execution/{}/ask", entity.key());
    let mut step = ctx.step();
    let mut asked = Vec::with_capacity(questions.len());
    for q in questions {
        let step_name = format!("{prefix}/{}", q.code);
        let id = Intervention::make_id(ctx.run, &step_name, &q.item);
        let iv = Intervention {
            id: id.clone(),
            run: ctx.run,
            step: step_name,
            item: q.item.clone(),
            title: q.title,
            problem: q.problem,
            records: q.records,
            options: q
                .choices
                .into_iter()
                .map(|c| InterventionOption {
                    key: c.key,
                    label: c.label,
                    consequence: c.consequence,
                })
                .collect(),
            recommended: q.recommended,
            raised_at: now_rfc3339(),
            decision: None,
            detail: None,
        };
        ctx.raise(&mut step, iv)?;
        asked.push((id, q.code, q.item));
    }
    if !step.is_empty() {
        ctx.commit(step)?;
    }
    ctx.await_decisions(&prefix).await?;
    for (id, code, item) in asked {
        let decided = ctx
            .store
            .intervention(&id)
            .map_err(|e| Halt::Failed(e.to_string()))?
            .and_then(|iv| iv.decision);
        match decided {
            Some(d) => target.decide(&code, &item, &d.option),
            None => {
                return Err(Halt::Failed(format!(
                    "intervention {id} ({code} {item}) has no decision after waiting for one"
                )))
            }
        }
    }
    Ok(())
}

fn handle_of(r: &Record) -> Option<String> {
    match r {
        Record::Product(p) => Some(p.handle.clone()),
        Record::Category(c) => Some(c.handle.clone()),
        Record::Page(p) => Some(p.handle.clone()),
        Record::BlogPost(b) => Some(b.handle.clone()),
        _ => None,
    }
}

pub fn idempotency_key(run: u32, entity: Entity, source_id: &str) -> String {
    blake3::hash(format!("{run}/{}/{source_id}", entity.key()).as_bytes()).to_hex()[..32]
        .to_string()
}

/// Settles every intent a crash left pending: found remotely → recorded as moved; not found →
/// dropped (the cursor never advanced, so the record is read and written again); lookup failing
/// → an intervention, never a guess and never a duplicate.
pub(crate) async fn reconcile(
    ctx: &Ctx,
    target: &mut dyn Target,
    entity: Entity,
) -> Result<(), Halt> {
    let intents = ctx
        .store
        .scan_json::<Intent>(T::Intents, entity_prefix(entity))
        .map_err(|e| Halt::Failed(e.to_string()))?;
    if intents.is_empty() {
        return Ok(());
    }
    let mut step = ctx.step();
    let mut found = 0;
    let mut dropped = 0;
    for (key, intent) in intents {
        let source_id = String::from_utf8_lossy(&key[entity_prefix(entity).len()..]).into_owned();
        match target.lookup(entity, &intent.external_key).await {
            Ok(Some(target_id)) => {
                found += 1;
                let prev: Option<IdMapEntry> = ctx
                    .store
                    .get_json(T::IdMap, &key)
                    .map_err(|e| Halt::Failed(e.to_string()))?;
                let created_run = match &prev {
                    Some(p) if !p.target_id.is_empty() => p.created_run,
                    _ => Some(intent.run),
                };
                let entry = IdMapEntry {
                    target_id,
                    handle: prev.as_ref().and_then(|p| p.handle.clone()),
                    hash: String::new(), // forces a rewrite when the record is read again
                    created_run,
                    last_run: intent.run,
                    source_url: prev.and_then(|p| p.source_url),
                };
                step.put_json(T::IdMap, &key, &entry);
                step.remove(T::Intents, &key);
            }
            Ok(None) => {
                dropped += 1;
                step.remove(T::Intents, &key);
            }
            Err(e) => {
                let step_name = format!("execution/reconcile/{}", entity.key());
                let iv = Intervention {
                    id: Intervention::make_id(ctx.run, &step_name, &source_id),
                    run: ctx.run,
                    step: step_name,
                    item: source_id.clone(),
                    title: format!("Cannot tell whether {entity} {} reached the target", intent.external_key),
                    problem: format!("A write was in flight when the run stopped, and looking it up failed: {e}"),
                    records: vec![RecordRef { entity, source_id: source_id.clone(), label: intent.external_key.clone() }],
                    options: vec![
                        InterventionOption { key: "retry".into(), label: "Look it up again".into(), consequence: "The lookup is retried when the run resumes.".into() },
                        InterventionOption { key: "rewrite".into(), label: "Write it again".into(), consequence: "The record is upserted by its external key; the target updates it if it exists.".into() },
                    ],
                    recommended: "retry".into(),
                    raised_at: now_rfc3339(),
                    detail: None,
                    decision: None,
                };
                ctx.raise(&mut step, iv)?;
            }
        }
    }
    step.event(
        Level::Info,
        Some(AGENT),
        EventKind::Log {
            message: format!(
                "reconciled {entity} in flight: {found} found in the target, {dropped} not written"
            ),
        },
    );
    ctx.commit(step)?;
    ctx.await_decisions(&format!("execution/reconcile/{}", entity.key()))
        .await?;
    // A decided "rewrite" simply drops the intent: the upsert by key is safe to repeat.
    let mut step = ctx.step();
    for (key, _) in ctx
        .store
        .scan_json::<Intent>(T::Intents, entity_prefix(entity))
        .map_err(|e| Halt::Failed(e.to_string()))?
    {
        step.remove(T::Intents, key);
    }
    ctx.commit(step)?;
    Ok(())
}

/// The storefront path a record has in the target, for redirects and verification.
pub fn target_url(ctx: &Ctx, entity: Entity, handle: &str) -> String {
    platform::url_path(ctx.cfg.target.platform, entity, handle, &[])
}
