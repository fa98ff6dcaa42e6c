//! Verification (Post-migration): reads what was written back from the target — its import
//! files or its API — and compares counts and every field of a deterministic sample of records
//! with what the executor sent, as it kept a deterministic sample while writing.

use crate::event::AgentKind;
use crate::runtime::{cursor_key, Ctx, Halt};
use crate::store::{EntityCheckpoint, T};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use storeshift_connectors::model::Entity;
pub use storeshift_connectors::verify::sizing::Stride;
pub use storeshift_connectors::verify::{compare, not_carried};
use storeshift_connectors::{EndpointKind, EndpointSpec, Finding, Severity, Source};

const AGENT: AgentKind = AgentKind::Verification;
pub(crate) const MAX_DIFFS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountCheck {
    pub entity: Entity,
    pub source: u64,
    /// Written to the target by this run (created + updated).
    pub written: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Found when reading the target back (None: the target cannot be read back).
    pub in_target: Option<u64>,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub entity: Entity,
    pub key: String,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub counts: Vec<CountCheck>,
    pub sampled: BTreeMap<Entity, u64>,
    pub compared: BTreeMap<Entity, u64>,
    pub differences: Vec<Difference>,
    /// Sampled records that were written but are not in the target.
    pub missing: Vec<String>,
    pub checked_from: String,
    /// Fields the target's format does not hold, and where they went instead.
    pub not_carried: Vec<String>,
    /// Import files only: each field the compared records lost by design, with its reason and
    /// how many of them lost it (the lines of [`Verification::not_carried`] are made from it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_design: Vec<ByDesign>,
    /// How each entity was checked and what it cost (live targets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::agents::sampling::EntityCheck>,
    /// What verification spent of the target's API budget (live targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::agents::sampling::Cost>,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.missing.is_empty() && self.counts.iter().all(|c| c.ok)
    }
}

/// A field the target's import files have no place for, counted over the compared records
/// that had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByDesign {
    pub entity: Entity,
    pub field: String,
    pub reason: String,
    /// Compared records that lost it.
    pub records: u64,
    /// Records of the entity compared.
    pub compared: u64,
}

impl ByDesign {
    /// The report's line: `entity.field: reason (N of M compared)`.
    fn line(&self) -> String {
        format!(
            "{}.{}: {} ({} of {} compared record(s))",
            self.entity, self.field, self.reason, self.records, self.compared
        )
    }
}

/// One record of the deterministic sample, as the executor sent it to the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The record's external key in the target (how it is found when read back).
    pub key: String,
    pub source_id: String,
    /// The transformed record, as JSON.
    pub expected: Value,
}

pub fn sample_key(run: u32, entity: Entity, source_id: &str) -> Vec<u8> {
    let mut k = sample_prefix(run, entity);
    k.extend_from_slice(source_id.as_bytes());
    k
}

fn sample_prefix(run: u32, entity: Entity) -> Vec<u8> {
    format!("{run:08}/sample/{}/", entity.key()).into_bytes()
}

/// The sample's stride for an entity of `total` records (unknown: the first records).
pub fn sample_stride(ctx: &Ctx, total: Option<u64>) -> Stride {
    Stride::new(ctx.cfg.run.sample_size, total)
}

/// What reading one entity back found.
#[derive(Debug, Default)]
pub struct ReadBack {
    in_target: u64,
    compared: u64,
    differences: Vec<Difference>,
    missing: Vec<String>,
    /// Import files: (field, reason, records) lost by design, in the order first met.
    by_design: Vec<(String, String, u64)>,
}

/// Read-backs started during Execution. An entity's import file is final once the executor has
/// finished that entity, so it is read back on the otherwise idle reading core while the
/// executor loads the entities after it; Post-migration takes the result instead of reading
/// the file again. Nothing here is durable: a run that stops first reads back in Post-migration.
#[derive(Default)]
pub struct Early(std::sync::Mutex<HashMap<Entity, tokio::task::JoinHandle<Option<ReadBack>>>>);

impl Early {
    fn take(&self) -> HashMap<Entity, tokio::task::JoinHandle<Option<ReadBack>>> {
        match self.0.lock() {
            Ok(mut m) => std::mem::take(&mut *m),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

/// Starts reading `entity` back from the target's import files. Only products, the bulk of
/// any catalog, and only from files: every format keeps them in a file of their own, while
/// some read other entities from files written later (WooCommerce builds categories from the
/// products file), and a live store's API budget belongs to the loading.
pub fn start_early(ctx: &Ctx, entity: Entity) {
    if ctx.cfg.target.kind != EndpointKind::Files || entity != Entity::Products {
        return;
    }
    let task_ctx = ctx.clone();
    let task = tokio::spawn(async move {
        let ctx = task_ctx;
        let reader = storeshift_connectors::open_source(&target_spec(&ctx).0, &ctx.cfg.base_dir)
            .ok()
            .filter(|r| r.entities().contains(&entity))?;
        let mut ahead = crate::prefetch::Prefetch::start(reader, vec![(entity, None)], 2000, false);
        let found = read_back(&ctx, entity, &mut ahead, None).await.ok();
        drop(ahead.finish().await);
        found
    });
    let mut started = match ctx.early.0.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    started.insert(entity, task);
}

/// Where the target is read back from, and how the report names it.
fn target_spec(ctx: &Ctx) -> (EndpointSpec, String) {
    match ctx.cfg.target.kind {
        EndpointKind::Files => {
            let mut s = EndpointSpec::files(ctx.cfg.target.platform, ctx.output_dir());
            s.currency = ctx
                .cfg
                .target
                .currency
                .clone()
                .or(ctx.cfg.source.currency.clone());
            (
                s,
                format!(
                    "{} import files in {}",
                    ctx.cfg.target.platform,
                    ctx.output_dir().display()
                ),
            )
        }
        EndpointKind::Api => (ctx.target_reader_spec(), ctx.cfg.target.describe()),
    }
}

/// The deterministic sample the executor kept for `entity`, by store key.
pub(crate) fn samples(ctx: &Ctx, entity: Entity) -> Result<Vec<(Vec<u8>, Sample)>, Halt> {
    ctx.store
        .scan_json::<Sample>(T::Phases, sample_prefix(ctx.run, entity))
        .map_err(|e| Halt::Failed(format!("reading the {entity} sample: {e}")))
}

/// The deterministic sample the executor kept for `entity`, by external key.
fn samples_of(ctx: &Ctx, entity: Entity) -> Result<HashMap<String, (String, Value)>, Halt> {
    Ok(ctx
        .store
        .scan_json::<Sample>(T::Phases, sample_prefix(ctx.run, entity))
        .map_err(|e| Halt::Failed(format!("reading the {entity} sample: {e}")))?
        .into_iter()
        .map(|(_, s)| (s.key, (s.source_id, s.expected)))
        .collect())
}

/// Reads every page of `entity` from `reader`, counting records and comparing the sampled
/// ones field by field. `progress` is what was written, when the reading is shown.
async fn read_back(
    ctx: &Ctx,
    entity: Entity,
    reader: &mut crate::prefetch::Prefetch,
    progress: Option<u64>,
) -> Result<ReadBack, Halt> {
    let mut samples = samples_of(ctx, entity)?;
    let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
    let files = ctx.cfg.target.kind == EndpointKind::Files;
    let mut found = ReadBack::default();
    loop {
        if progress.is_none() {
            // Read early, in the background: a pause holds it too.
            ctx.safe_point().await?;
        }
        let got = reader.next().await.map_err(|e| {
            Halt::Failed(format!("reading {entity} back from the target failed: {e}"))
        })?;
        if got.entity != entity {
            return Err(Halt::Failed(format!(
                "reading back gave {} while {entity} was compared",
                got.entity
            )));
        }
        let page = got.page;
        for rec in page.records {
            found.in_target += 1;
            let key = rec.external_key();
            if let Some((_, expected)) = samples.remove(&key) {
                found.compared += 1;
                let actual = serde_json::to_value(&rec).unwrap_or(Value::Null);
                let diffs = if files {
                    judge_file(
                        &mut found,
                        entity,
                        &expected,
                        &actual,
                        ctx.cfg.target.platform,
                    )
                } else {
                    compare(expected, actual, &ignore)
                };
                for (field, e, a) in diffs {
                    if found.differences.len() < MAX_DIFFS {
                        found.differences.push(Difference {
                            entity,
                            key: key.clone(),
                            field,
                            expected: e,
                            actual: a,
                        });
                    }
                }
            }
        }
        if let Some(written) = progress {
            ctx.progress(
                AGENT,
                format!("comparing {entity}"),
                found.in_target,
                written,
            );
        }
        if page.next.is_none() {
            break;
        }
    }
    for (key, (id, _)) in samples.drain() {
        found.missing.push(format!("{entity} {key} (source {id})"));
    }
    Ok(found)
}

/// Sorts one record read back from import files the way convert's read-back does (the same
/// rules, in connectors): what the format loses by design is counted in `found`, values that
/// moved to another field or that the format filled in are not differences, and what really
/// differs is returned as (field, expected, actual).
fn judge_file(
    found: &mut ReadBack,
    entity: Entity,
    expected: &Value,
    actual: &Value,
    to: storeshift_connectors::model::Platform,
) -> Vec<(String, String, String)> {
    let verdict =
        storeshift_connectors::files::readback::judge_file_record(entity, expected, actual, to);
    for (field, why) in verdict.by_design {
        match found
            .by_design
            .iter_mut()
            .find(|(f, w, _)| *f == field && w == why)
        {
            Some((_, _, n)) => *n += 1,
            None => found.by_design.push((field, why.to_string(), 1)),
        }
    }
    verdict.differs.iter().map(|c| c.parts()).collect()
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<Verification>("verification").is_some() {
        return Ok(());
    }
    ctx.status(AGENT, "running", "reading the target back", 0, 0)?;
    let expected_counts: BTreeMap<Entity, u64> =
        ctx.load_phase("expected_counts").unwrap_or_default();
    let mut v = Verification::default();
    let (target_spec, from) = target_spec(&ctx);
    v.checked_from = from;
    // What was read back during Execution (a task that failed or stopped is read again here).
    let mut early: HashMap<Entity, ReadBack> = HashMap::new();
    for (entity, task) in ctx.early.take() {
        if let Ok(Some(found)) = task.await {
            early.insert(entity, found);
        }
    }
    // A live store is verified at the cost of a sample unless a full read-back was asked for.
    let mut verifier = match (ctx.cfg.target.kind, ctx.cfg.run.verify) {
        (EndpointKind::Api, crate::config::VerifyMode::Sample) => {
            storeshift_connectors::open_verifier(&ctx.cfg.target).map_err(|e| {
                Halt::Failed(format!(
                    "cannot open the target for verification ({}): {e}",
                    ctx.cfg.target.describe()
                ))
            })?
        }
        _ => None,
    };
    let target_reader: Option<Box<dyn Source>> = match verifier {
        Some(_) => None,
        None => storeshift_connectors::open_source(&target_spec, &ctx.cfg.base_dir).ok(),
    };
    let readable: Vec<Entity> = target_reader
        .as_ref()
        .map(|s| s.entities())
        .unwrap_or_default();
    let checkpoints: Vec<(Entity, EntityCheckpoint)> = Entity::ALL
        .into_iter()
        .filter_map(
            |e| match ctx.store.get_json(T::Cursors, cursor_key(ctx.run, e)) {
                Ok(Some(cp)) => Some((e, cp)),
                _ => None,
            },
        )
        .collect();
    // The rest of the target is read back on a thread of its own while this one compares.
    let plan: Vec<(Entity, Option<storeshift_connectors::Cursor>)> = checkpoints
        .iter()
        .filter(|(e, cp)| {
            *e != Entity::Redirects
                && !cp.unsupported
                && readable.contains(e)
                && !early.contains_key(e)
        })
        .map(|(e, _)| (*e, None))
        .collect();
    let mut ahead = match (target_reader, plan.is_empty()) {
        (Some(s), false) => Some(crate::prefetch::Prefetch::start(s, plan, 2000, false)),
        _ => None,
    };
    let mut by_sample = match verifier.as_mut() {
        Some(verifier) => {
            let checked: Vec<(Entity, EntityCheckpoint)> = checkpoints
                .iter()
                .filter(|(e, cp)| *e != Entity::Redirects && !cp.unsupported)
                .cloned()
                .collect();
            ctx.status(
                AGENT,
                "running",
                format!("counting and sampling by id in {}", verifier.describe()),
                0,
                0,
            )?;
            Some(crate::agents::sampling::verify(&ctx, verifier.as_mut(), &checked).await?)
        }
        None => None,
    };

    for (entity, cp) in checkpoints {
        if entity == Entity::Redirects || cp.unsupported {
            // Redirects are validated by the SEO agent; unsupported entities are reported as such.
            if cp.unsupported {
                v.not_carried.push(match &cp.refusal {
                    Some(why) => format!("{entity}: not moved: {why}"),
                    None => format!(
                        "{entity}: {} has no place for them; not moved",
                        ctx.cfg.target.describe()
                    ),
                });
            }
            continue;
        }
        let written = cp.counts.created + cp.counts.updated;
        let total = expected_counts
            .get(&entity)
            .copied()
            .unwrap_or(cp.counts.read);
        let sampled = samples_of(&ctx, entity)?.len() as u64;
        v.sampled.insert(entity, sampled);
        // Import files are read back whole: their lines are what the compared records lost,
        // counted (below); a live store's are the fields its API has no place for.
        if ctx.cfg.target.kind != EndpointKind::Files {
            let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
            for (path, why) in &ignore {
                let line = format!("{entity}.{path}: {why}");
                if !v.not_carried.contains(&line) && *path != "source" {
                    v.not_carried.push(line);
                }
            }
        }
        let found = match (early.remove(&entity), ahead.as_mut()) {
            _ if by_sample.is_some() => {
                let o = by_sample.as_mut().expect("checked above");
                Some(ReadBack {
                    in_target: o
                        .counts
                        .get(&entity)
                        .and_then(|c| c.as_ref())
                        .map(|c| c.count)
                        .unwrap_or(0),
                    compared: o.compared.get(&entity).copied().unwrap_or(0),
                    differences: {
                        let (mine, rest): (Vec<Difference>, Vec<Difference>) =
                            std::mem::take(&mut o.differences)
                                .into_iter()
                                .partition(|d| d.entity == entity);
                        o.differences = rest;
                        mine
                    },
                    missing: {
                        let prefix = format!("{entity} ");
                        let (mine, rest): (Vec<String>, Vec<String>) =
                            std::mem::take(&mut o.missing)
                                .into_iter()
                                .partition(|m| m.starts_with(&prefix));
                        o.missing = rest;
                        mine
                    },
                    by_design: vec![],
                })
            }
            (Some(found), _) => {
                ctx.emit(
                    crate::event::Level::Info,
                    Some(AGENT),
                    crate::event::EventKind::Log {
                        message: format!(
                            "{entity} were read back while the executor loaded the rest: {} in the target, {} compared",
                            found.in_target, found.compared
                        ),
                    },
                )?;
                Some(found)
            }
            (None, Some(reader)) if readable.contains(&entity) => {
                Some(read_back(&ctx, entity, reader, Some(written)).await?)
            }
            _ => None,
        };
        let mut in_target = None;
        if let Some(found) = found {
            v.compared.insert(entity, found.compared);
            for (field, reason, records) in &found.by_design {
                let b = ByDesign {
                    entity,
                    field: field.clone(),
                    reason: reason.clone(),
                    records: *records,
                    compared: found.compared,
                };
                v.not_carried.push(b.line());
                v.by_design.push(b);
            }
            let room = MAX_DIFFS.saturating_sub(v.differences.len());
            v.differences
                .extend(found.differences.into_iter().take(room));
            v.missing.extend(found.missing);
            let uncounted = by_sample
                .as_ref()
                .is_some_and(|o| o.counts.get(&entity).is_none_or(Option::is_none));
            in_target = (!uncounted).then_some(found.in_target);
        }
        // Import files hold exactly what this run wrote; a live store may have had records already.
        let ok = match (in_target, ctx.cfg.target.kind) {
            (Some(n), EndpointKind::Files) => n == written,
            (Some(n), EndpointKind::Api) => n >= written,
            (None, _) => true,
        } && cp.counts.done() == total.max(cp.counts.done());
        v.counts.push(CountCheck {
            entity,
            source: total,
            written,
            unchanged: cp.counts.unchanged,
            skipped: cp.counts.skipped,
            failed: cp.counts.failed,
            in_target,
            ok,
        });
    }
    if let Some(reader) = ahead {
        let source = reader.finish().await?;
        // A full read-back of a live store is measured too.
        if let Some(stats) = source.api_stats() {
            let load = crate::api_use::ApiUse::load(&ctx)
                .and_then(|u| u.target)
                .unwrap_or_default();
            let (load_spent, unit) = load.spent();
            v.cost = Some(crate::agents::sampling::Cost {
                mode: "full".into(),
                unit,
                load_spent,
                cap: None,
                spent: match unit {
                    storeshift_connectors::BudgetUnit::Points => stats.points,
                    storeshift_connectors::BudgetUnit::Requests => stats.calls,
                },
                requests: stats.calls,
                load_requests: load.calls,
            });
        }
    }
    if let Some(o) = by_sample {
        v.checks = o.checks;
        v.cost = Some(o.cost);
        v.checked_from = format!(
            "{} (counts from its count endpoints, the sample fetched by id)",
            v.checked_from
        );
    }
    let summary = format!(
        "counts {} ; {} records compared field by field, {} differences, {} missing",
        if v.counts.iter().all(|c| c.ok) {
            "match"
        } else {
            "DIFFER"
        },
        v.compared.values().sum::<u64>(),
        v.differences.len(),
        v.missing.len()
    );
    let mut step = ctx.step();
    step.put_json(
        T::Phases,
        crate::runtime::phase_key(ctx.run, "verification"),
        &v,
    );
    if !v.is_clean() {
        let f = Finding::new(
            Severity::Warning,
            "verification_differences",
            summary.clone(),
        );
        step.finding(AGENT, f);
    }
    step.agent_status(AGENT, "done", summary, 1, 1);
    ctx.commit(step)
}
