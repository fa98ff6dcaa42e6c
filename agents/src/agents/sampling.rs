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
    /// Samples compared so far, in the order [`spread`] gives.
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

/// The first entity's share of `budget` when it is shared by need among `needs` (water
/// filling: the smallest needs are met whole, the rest share what remains evenly).
fn share_by_need(mut budget: f64, needs: Vec<f64>) -> f64 {
    let Some(first) = needs.first().copied() else {
        return 0.0;
    };
    let mut sorted = needs;
    sorted.sort_by(|a, b| a.total_cmp(b));
    let n = sorted.len();
    for (k, need) in sorted.into_iter().enumerate() {
        let share = budget / (n - k) as f64;
        if need >= share {
            // From here on every need is at least the even share: the first gets that share
            // unless its own need is smaller (then it was met in an earlier round).
            return first.min(share);
        }
        budget -= need;
    }
    first
}

/// Indices 0..n in an order whose every prefix is spread over the whole range (bit-reversed
/// order), so a sample cut short by the budget still spans the entity.
fn spread(n: usize) -> Vec<usize> {
    if n == 0 {
        return vec![];
    }
    let bits = usize::BITS - (n - 1).leading_zeros();
    (0..1usize << bits)
        .map(|i| {
            if bits == 0 {
                0
            } else {
                i.reverse_bits() >> (usize::BITS - bits)
            }
        })
        .filter(|i| *i < n)
        .collect()
}

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
    let cap = (load_spent as f64 * ctx.cfg.run.verify_budget_pct.max(0.0) / 100.0).floor() as u64;
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
        let order = spread(samples.len());
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
            // What is left of the cap is shared by need among this entity and those after
            // it: one whose whole sample costs less than an even share takes what it needs
            // (with a margin for the estimate), and what an entity leaves goes to the next.
            let budget = cap.saturating_sub(spent_now(verifier)) as f64;
            let given = share_by_need(
                budget,
                plans[i..]
                    .iter()
                    .map(|(_, _, c)| c.iter().sum::<f64>() * 1.25)
                    .collect(),
            );
            // Requests and points are whole: a share of 0.6 is one request while the budget
            // still holds one, not none.
            let whole = if given > 0.0 {
                given.ceil().min(budget.floor())
            } else {
                0.0
            };
            prog.entities.entry(entity).or_default().allowance = Some(whole as u64);
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
            let (n, _) = batch_within(
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
            // Estimates are a model of the platform's charge; what it really charged sizes
            // the next batch (never below the model).
            let seen = cost as f64 / estimated.ceil().max(1.0);
            ep.ratio = Some(seen.max(ep.ratio.unwrap_or(1.0)));
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

/// How many of the next records (`costs`, in the order they are checked) one batch of at
/// most `limit` takes within `room`, and what that batch is estimated to cost: the records'
/// shares are summed, scaled by what the platform was seen to charge (`ratio`), and rounded
/// up once for the whole batch.
fn batch_within(costs: &[f64], limit: usize, ratio: f64, room: u64) -> (usize, u64) {
    let (mut n, mut sum, mut charged) = (0, 0.0, 0);
    for c in costs.iter().take(limit) {
        // The shares are fractions summed in floating point: 250 × 1/250 may come to a
        // hair over 1, which is still one request.
        let next = ((sum + c) * ratio - 1e-9).ceil().max(0.0) as u64;
        if next > room {
            break;
        }
        sum += c;
        charged = next;
        n += 1;
    }
    (n, charged)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_prefix_of_the_spread_spans_the_range() {
        assert_eq!(spread(8), vec![0, 4, 2, 6, 1, 5, 3, 7]);
        assert_eq!(spread(1), vec![0]);
        assert!(spread(0).is_empty());
        let first: Vec<usize> = spread(100).into_iter().take(4).collect();
        assert_eq!(first, vec![0, 64, 32, 96]);
    }

    #[test]
    fn small_needs_are_met_whole_and_the_rest_share_evenly() {
        assert_eq!(share_by_need(100.0, vec![10.0, 500.0, 500.0]), 10.0);
        assert_eq!(share_by_need(100.0, vec![500.0, 10.0, 500.0]), 45.0);
        assert_eq!(share_by_need(100.0, vec![20.0]), 20.0);
        assert_eq!(share_by_need(100.0, vec![]), 0.0);
    }

    #[test]
    fn a_batch_is_charged_whole_not_record_by_record() {
        // 250 records at a 250th of a request each: one request for the lot.
        let per = vec![1.0 / 250.0; 300];
        assert_eq!(batch_within(&per, 250, 1.0, 1), (250, 1));
        // Nothing left: nothing fetched.
        assert_eq!(batch_within(&per, 250, 1.0, 0), (0, 0));
        // A configurable costs its own request for its children on top of its share.
        let mixed = vec![1.0 + 1.0 / 100.0, 1.0 / 100.0, 1.0 + 1.0 / 100.0];
        assert_eq!(batch_within(&mixed, 100, 1.0, 2), (2, 2));
        assert_eq!(batch_within(&mixed, 100, 1.0, 3), (3, 3));
        // The platform charged twice the model: half as many fit.
        let points = vec![10.0; 10];
        assert_eq!(batch_within(&points, 10, 2.0, 100), (5, 100));
    }

    proptest! {
        #[test]
        fn the_spread_is_a_permutation(n in 0usize..3000) {
            let mut s = spread(n);
            s.sort_unstable();
            prop_assert_eq!(s, (0..n).collect::<Vec<_>>());
        }
    }
}
