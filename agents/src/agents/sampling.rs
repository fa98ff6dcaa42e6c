//! Verification of a live store at the cost of a sample: each entity's count comes from the
//! platform's count endpoint and the executor's sample is fetched by target id in batches,
//! within a share of what the load spent (`[run] verify_budget_pct`, 10% by default). The
//! sample shrinks to fit and the report says by how much. Progress commits after every
//! batch, so a run killed here resumes without fetching again what was compared.

use crate::agents::verification::{compare, not_carried, Difference, Sample, MAX_DIFFS};
use crate::event::AgentKind;
use crate::runtime::{phase_key, Ctx, Halt};
use crate::store::{entity_key, EntityCheckpoint, IdMapEntry, T};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use storeshift_connectors::model::Entity;
use storeshift_connectors::verify::sizing;
use storeshift_connectors::{BudgetUnit, StoreCount, Verifier};

const AGENT: AgentKind = AgentKind::Verification;
const PROGRESS: &str = "verification_progress";

/// What verification spent against what it was allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// `sample` or `full`.
    pub mode: String,
    pub unit: BudgetUnit,
    /// What the load spent on the target, in `unit`.
    pub load_spent: u64,
    /// What verification was allowed (`None`: no cap, a full read-back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u64>,
    pub spent: u64,
    /// HTTP requests verification sent.
    #[serde(default)]
    pub requests: u64,
    /// HTTP requests the load sent to the target.
    #[serde(default)]
    pub load_requests: u64,
}

/// How one entity was checked, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityCheck {
    pub entity: Entity,
    /// How the target's count was taken.
    pub counted: String,
    /// Whether the count is exact (a platform may only say "at least").
    pub exact: bool,
    /// Records the executor kept for the sample.
    pub kept: u64,
    /// Records fetched and compared field by field.
    pub checked: u64,
    /// How they were fetched.
    pub fetched: String,
    pub spent: u64,
    /// Why fewer were checked than kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<String>,
}

/// The durable state of a sampled verification, committed after every step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Progress {
    /// Spent by every process so far (a batch fetched but not committed before a kill is
    /// not in it).
    spent: u64,
    requests: u64,
    entities: BTreeMap<Entity, EntityProgress>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EntityProgress {
    count: Option<StoreCount>,
    counted: bool,
    /// What this entity may spend on its sample, fixed when it starts.
    allowance: Option<u64>,
    /// Samples compared so far, in the order [`sizing::spread`] gives.
    next: usize,
    compared: u64,
    differences: Vec<Difference>,
    missing: Vec<String>,
    spent: u64,
    /// What of `spent` went on the count (the allowance is for the sample alone: it is
    /// given after the counts are paid for).
    #[serde(default)]
    count_spent: u64,
    /// Highest ratio of what a batch cost to what its records were estimated at, so the
    /// next batch is sized from what the platform really charges.
    ratio: Option<f64>,
    done: bool,
    shrunk: Option<String>,
}

/// One entity's sample (target id and record), the order it is checked in, and what each
/// record in that order should cost.
type SamplePlan = (Vec<(String, Sample)>, Vec<usize>, Vec<f64>);

/// The verdict of a sampled verification, for the caller to fold into its report.
pub struct Outcome {
    pub counts: BTreeMap<Entity, Option<StoreCount>>,
    pub compared: BTreeMap<Entity, u64>,
    pub differences: Vec<Difference>,
    pub missing: Vec<String>,
    pub checks: Vec<EntityCheck>,
    pub cost: Cost,
}

/// Counts every entity of `entities`, then fetches and compares its sample, committing after
/// each request.
pub async fn verify(
    ctx: &Ctx,
    verifier: &mut dyn Verifier,
    entities: &[(Entity, EntityCheckpoint)],
) -> Result<Outcome, Halt> {
    let unit = verifier.unit();
    let load = crate::api_use::ApiUse::load(ctx)
        .and_then(|u| u.target)
        .unwrap_or_default();
    let load_spent = match unit {
        BudgetUnit::Points => load.points,
        BudgetUnit::Requests => load.calls,
    };
    let cap = sizing::budget_cap(load_spent, ctx.cfg.run.verify_budget_pct);
    let mut prog: Progress = ctx.load_phase(PROGRESS).unwrap_or_default();
    let before = prog.spent;
    let spent_now = |v: &dyn Verifier| before + v.spent();
    let requests_before = prog.requests;

    // Counts first: a point or a request each, and exact whatever the sample can afford.
    for (entity, _) in entities {
        let ep = prog.entities.entry(*entity).or_default();
        if ep.counted {
            continue;
        }
        ctx.safe_point().await?;
        let before_call = verifier.spent();
        let count = verifier
            .count(*entity)
            .await
            .map_err(|e| Halt::Failed(format!("counting {entity} in the target failed: {e}")))?;
        let ep = prog.entities.entry(*entity).or_default();
        ep.count = count;
        ep.counted = true;
        let cost = verifier.spent().saturating_sub(before_call);
        ep.spent += cost;
        ep.count_spent += cost;
        prog.spent = spent_now(verifier);
        prog.requests = requests_before + verifier.requests();
        save(ctx, &prog)?;
    }

    let mut out = Outcome {
        counts: BTreeMap::new(),
        compared: BTreeMap::new(),
        differences: vec![],
        missing: vec![],
        checks: vec![],
        cost: Cost {
            mode: "sample".into(),
            unit,
            load_spent,
            cap: Some(cap),
            spent: 0,
            requests: 0,
            load_requests: load.calls,
        },
    };
    // Time left is projected from this process's measured pace over what is left to fetch.
    let started = std::time::Instant::now();
    let mut fetched_here = 0u64;
    let mut later: Vec<u64> = Vec::with_capacity(entities.len());
    for (entity, _) in entities {
        let ep = prog.entities.get(entity);
        let kept = crate::agents::verification::samples(ctx, *entity)?.len() as u64;
        later.push(if ep.is_some_and(|e| e.done) {
            0
        } else {
            kept.saturating_sub(ep.map(|e| e.next as u64).unwrap_or(0))
        });
    }
    // Each entity's sample in the order it is checked, with what each record should cost.
    let mut plans: Vec<SamplePlan> = vec![];
    for (entity, _) in entities {
        let samples = samples_by_target_id(ctx, *entity)?;
        let order = sizing::spread(samples.len());
        let costs = order
            .iter()
            .map(|i| verifier.record_cost(*entity, &samples[*i].1.expected))
            .collect();
        plans.push((samples, order, costs));
    }
    for (i, (entity, _)) in entities.iter().enumerate() {
        let entity = *entity;
        let (samples, order, costs) = &plans[i];
        let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
        if prog.entities.entry(entity).or_default().allowance.is_none() {
            // What is left of the cap is shared by need among this entity and those after it.
            let needs: Vec<f64> = plans[i..]
                .iter()
                .map(|(_, _, c)| c.iter().sum::<f64>())
                .collect();
            let given = sizing::allowance(cap.saturating_sub(spent_now(verifier)), &needs);
            prog.entities.entry(entity).or_default().allowance = Some(given);
            save(ctx, &prog)?;
        }
        while !prog.entities[&entity].done {
            ctx.safe_point().await?;
            let ep = &prog.entities[&entity];
            let allowance = ep.allowance.unwrap_or(0);
            let ratio = ep.ratio.unwrap_or(1.0);
            // As many of the next records as the batch takes and the allowance still holds.
            // A batch is charged whole (a request, or the points of one query), so the
            // records' shares are summed before rounding: 250 records at 1/250 of a request
            // each cost one request, not 250.
            let room = allowance.saturating_sub(ep.spent.saturating_sub(ep.count_spent));
            let (n, _) = sizing::batch_within(
                &costs[ep.next..],
                verifier.batch_limit(entity).max(1),
                ratio,
                room,
            );
            let remaining = order.len().saturating_sub(ep.next);
            if n == 0 {
                let ep = prog.entities.get_mut(&entity).expect("entry made above");
                ep.done = true;
                if remaining > 0 {
                    ep.shrunk = Some(format!(
                        "{} of the {} kept: the {allowance} {} allowed for them held no more (the next would cost about {:.0})",
                        ep.next,
                        order.len(),
                        unit.label(),
                        costs[ep.next] * ratio
                    ));
                }
                save(ctx, &prog)?;
                break;
            }
            let estimated: f64 = costs[ep.next..ep.next + n].iter().sum();
            let picked: Vec<&(String, Sample)> = order[ep.next..ep.next + n]
                .iter()
                .map(|i| &samples[*i])
                .collect();
            let ids: Vec<String> = picked.iter().map(|(id, _)| id.clone()).collect();
            let before_call = verifier.spent();
            let got = verifier.fetch(entity, &ids).await.map_err(|e| {
                Halt::Failed(format!(
                    "fetching sampled {entity} from the target failed: {e}"
                ))
            })?;
            let cost = verifier.spent().saturating_sub(before_call);
            let ep = prog.entities.get_mut(&entity).expect("entry made above");
            for ((_, sample), rec) in picked.iter().zip(got) {
                let Some(rec) = rec else {
                    ep.missing.push(format!(
                        "{entity} {} (source {})",
                        sample.key, sample.source_id
                    ));
                    continue;
                };
                ep.compared += 1;
                let actual = serde_json::to_value(&rec).unwrap_or_default();
                for (field, e, a) in compare(sample.expected.clone(), actual, &ignore) {
                    if ep.differences.len() < MAX_DIFFS {
                        ep.differences.push(Difference {
                            entity,
                            key: sample.key.clone(),
                            field,
                            expected: e,
                            actual: a,
                        });
                    }
                }
            }
            ep.next += n;
            ep.spent += cost;
            ep.ratio = Some(sizing::next_ratio(ep.ratio, cost, estimated));
            if ep.next >= order.len() {
                ep.done = true;
            }
            ctx.progress(
                AGENT,
                format!("comparing sampled {entity} by id"),
                ep.next as u64,
                order.len() as u64,
            );
            prog.spent = spent_now(verifier);
            prog.requests = requests_before + verifier.requests();
            save(ctx, &prog)?;
            fetched_here += n as u64;
            let left = order.len().saturating_sub(prog.entities[&entity].next) as u64
                + later[i + 1..].iter().sum::<u64>();
            let per = started.elapsed().as_secs_f64() / fetched_here as f64;
            let (spent, unit_label) = (prog.spent, unit.label());
            ctx.hub.update(|s| {
                s.metrics
                    .set_spent(crate::event::Phase::PostMigration, spent, unit_label);
                s.metrics.verify_eta_secs = Some((left as f64 * per).ceil() as u64);
            });
        }
        let ep = &prog.entities[&entity];
        out.counts.insert(entity, ep.count.clone());
        out.compared.insert(entity, ep.compared);
        let room = MAX_DIFFS.saturating_sub(out.differences.len());
        out.differences
            .extend(ep.differences.iter().take(room).cloned());
        out.missing.extend(ep.missing.iter().cloned());
        out.checks.push(EntityCheck {
            entity,
            counted: ep
                .count
                .as_ref()
                .map(|c| c.how.clone())
                .unwrap_or_else(|| "not countable on this platform".into()),
            exact: ep.count.as_ref().is_some_and(|c| c.exact),
            kept: order.len() as u64,
            checked: ep.next as u64,
            fetched: verifier.fetch_how(entity),
            spent: ep.spent,
            shrunk: ep.shrunk.clone(),
        });
    }
    ctx.hub.update(|s| s.metrics.verify_eta_secs = None);
    out.cost.spent = prog.spent;
    out.cost.requests = prog.requests;
    Ok(out)
}

fn save(ctx: &Ctx, prog: &Progress) -> Result<(), Halt> {
    let mut step = ctx.step();
    step.put_json(T::Phases, phase_key(ctx.run, PROGRESS), prog);
    ctx.commit(step)
}

/// The executor's sample of `entity` with each record's target id from the id map, in a
/// stable order (by source id).
fn samples_by_target_id(ctx: &Ctx, entity: Entity) -> Result<Vec<(String, Sample)>, Halt> {
    let mut out = vec![];
    for (_, s) in crate::agents::verification::samples(ctx, entity)? {
        let entry: Option<IdMapEntry> = ctx
            .store
            .get_json(T::IdMap, entity_key(entity, &s.source_id))
            .map_err(|e| Halt::Failed(format!("reading the id map: {e}")))?;
        if let Some(e) = entry.filter(|e| !e.target_id.is_empty()) {
            out.push((e.target_id, s));
        }
    }
    out.sort_by(|a, b| a.1.source_id.cmp(&b.1.source_id));
    Ok(out)
}
