//! Migration Planning agent (Planning): orders the work by dependency, sizes batches from the
//! target's model, estimates time per entity, lists risks and the rollback plan, and asks the
//! operator to approve before anything is written.

use crate::agents::analysis::Analysis;
use crate::event::AgentKind;
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{Ctx, Halt};
use crate::store::now_rfc3339;
use serde::{Deserialize, Serialize};
use storeshift_connectors::model::Entity;
use storeshift_connectors::{EndpointKind, Severity};

const AGENT: AgentKind = AgentKind::MigrationPlanning;
pub const APPROVE_STEP: &str = "planning/approve";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStep {
    pub entity: Entity,
    pub records: u64,
    pub batch_size: usize,
    pub concurrency: usize,
    pub eta_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<PlanStep>,
    pub eta_secs: u64,
    /// How throughput was estimated.
    pub rate_model: String,
    pub risks: Vec<String>,
    pub rollback: String,
}

/// Records per second the target sustains, and how that was worked out.
fn throughput(ctx: &Ctx) -> (f64, usize, usize, String) {
    let batch = ctx.cfg.run.batch_size;
    match ctx.cfg.target.kind {
        EndpointKind::Files => (
            50_000.0,
            batch,
            1,
            "local import files: bounded by disk syncs, about 50,000 records/s".into(),
        ),
        EndpointKind::Api => {
            let (rate, b, c, model) = match ctx.cfg.target.platform {
                storeshift_connectors::model::Platform::Shopify => (
                    10.0,
                    batch.min(250),
                    1,
                    "Shopify GraphQL cost points: a productSet costs ~10 points, 100 points/s restore on the standard plan".to_string(),
                ),
                storeshift_connectors::model::Platform::WooCommerce => (
                    200.0,
                    batch.min(100),
                    2,
                    "WooCommerce REST batches of 100, about 2 batches/s per worker".to_string(),
                ),
                storeshift_connectors::model::Platform::BigCommerce => (
                    50.0,
                    batch.min(10),
                    1,
                    "BigCommerce 150 requests per 30 s window, batches of 10".to_string(),
                ),
                p => (20.0, batch.min(50), 1, format!("{p} Admin API, conservative 20 records/s")),
            };
            (rate, b, c, model)
        }
    }
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<Plan>("plan").is_none() {
        ctx.status(AGENT, "running", "sizing batches and estimating time", 0, 1)?;
        let analysis: Analysis = ctx.load_phase("analysis").unwrap_or_default();
        let (rate, batch_size, concurrency, rate_model) = throughput(&ctx);
        let mut steps = vec![];
        for entity in Entity::ALL {
            let records = match analysis.counts.get(&entity) {
                Some(n) => *n,
                None if entity == Entity::Categories && !analysis.categories.is_empty() => {
                    analysis.categories.len() as u64
                }
                None => continue,
            };
            let eta = (records as f64 / rate).ceil() as u64;
            steps.push(PlanStep {
                entity,
                records,
                batch_size,
                concurrency,
                eta_secs: eta,
            });
        }
        let eta_secs = steps.iter().map(|s| s.eta_secs).sum();
        let mut risks: Vec<String> = analysis
            .groups
            .iter()
            .filter(|g| g.severity >= Severity::Warning)
            .map(|g| format!("{} ({})", g.title, g.count))
            .collect();
        if ctx.cfg.target.kind == EndpointKind::Api {
            risks.push("the target's rate limit may slow the run; the plan paces itself to the published budget".into());
        }
        let rollback = match ctx.cfg.target.kind {
            EndpointKind::Files => "Nothing is written to a live store: the import files can be discarded. `storeshift rollback` removes this run's output files.".to_string(),
            EndpointKind::Api => "Every record the run creates is recorded in the id map with its target id; `storeshift rollback` deletes exactly those (never records the target already had) after confirmation.".to_string(),
        };
        let plan = Plan {
            steps,
            eta_secs,
            rate_model,
            risks,
            rollback,
        };
        let mut step = ctx.step();
        step.put_json(
            crate::store::T::Phases,
            crate::runtime::phase_key(ctx.run, "plan"),
            &plan,
        );
        step.agent_status(
            AGENT,
            "done",
            format!(
                "plan ready: {} entities, ETA {}",
                plan.steps.len(),
                human_secs(plan.eta_secs)
            ),
            1,
            1,
        );
        let order: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{} ({})", s.entity, s.records))
            .collect();
        let iv = Intervention {
            id: Intervention::make_id(ctx.run, APPROVE_STEP, "plan"),
            run: ctx.run,
            step: APPROVE_STEP.into(),
            item: "plan".into(),
            title: format!(
                "Approve the migration plan (ETA {})",
                human_secs(plan.eta_secs)
            ),
            problem: format!(
                "Order: {}. Batches of {batch_size}, {concurrency} at a time. {} Rollback: {}",
                order.join(" → "),
                plan.rate_model,
                plan.rollback
            ),
            records: vec![],
            options: vec![
                InterventionOption {
                    key: "approve".into(),
                    label: "Approve and start loading".into(),
                    consequence: "Execution starts; records are written to the target.".into(),
                },
                InterventionOption {
                    key: "reject".into(),
                    label: "Stop here".into(),
                    consequence:
                        "Nothing is written; the run ends as failed with the plan in the report."
                            .into(),
                },
            ],
            recommended: "approve".into(),
            raised_at: now_rfc3339(),
            detail: None,
            decision: None,
        };
        ctx.raise(&mut step, iv)?;
        ctx.commit(step)?;
    }
    Ok(())
}

pub fn check_approved(ctx: &Ctx) -> Result<(), Halt> {
    match ctx.decisions().get(APPROVE_STEP).map(String::as_str) {
        Some("reject") => Err(Halt::Failed(
            "the operator rejected the plan; nothing was written".into(),
        )),
        _ => Ok(()),
    }
}

pub fn human_secs(s: u64) -> String {
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}
