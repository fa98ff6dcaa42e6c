//! Runs the phases in order — Assessment → Planning → Pre-migration → Execution →
//! Post-migration — each agent as its own tokio task. A phase that finished is never run again
//! for the same run; one that was interrupted starts again from its own checkpoints.

use crate::agents::{analysis, communication, planning, seo, verification};
use crate::event::{EventKind, Level, Phase};
use crate::executor;
use crate::report;
use crate::runtime::{run_key, Ctx, Halt, RunOutcome};
use crate::store::T;
use std::future::Future;

pub async fn run(ctx: Ctx) -> RunOutcome {
    match run_phases(&ctx).await {
        Ok(()) => RunOutcome::Done,
        Err(Halt::Stopped) => RunOutcome::Stopped,
        Err(Halt::NeedsOperator) => RunOutcome::WaitingForOperator,
        Err(Halt::Failed(message)) => {
            let _ = ctx.emit(
                Level::Error,
                None,
                EventKind::Log {
                    message: message.clone(),
                },
            );
            RunOutcome::Failed { message }
        }
    }
}

/// Runs an agent as its own task; a panic inside it becomes a failure with its message.
async fn agent<F>(name: &str, fut: F) -> Result<(), Halt>
where
    F: Future<Output = Result<(), Halt>> + Send + 'static,
{
    match tokio::spawn(fut).await {
        Ok(r) => r,
        Err(e) => Err(Halt::Failed(format!("the {name} agent crashed: {e}"))),
    }
}

async fn run_phases(ctx: &Ctx) -> Result<(), Halt> {
    let rec = ctx.run_record()?;
    if rec.cutover {
        return agent("Cutover", crate::cutover::run(ctx.clone())).await;
    }
    if rec.sync {
        return agent("Sync", crate::sync::cycle(ctx.clone(), rec.full)).await;
    }
    for phase in Phase::ALL {
        if ctx.run_record()?.phases_done.contains(&phase) {
            continue;
        }
        ctx.safe_point().await?;
        ctx.emit(Level::Info, None, EventKind::PhaseStarted { phase })?;
        match phase {
            Phase::Assessment => {
                agent("Data Analysis", analysis::run(ctx.clone())).await?;
                ctx.await_decisions("assessment/").await?;
            }
            Phase::Planning => {
                agent("Migration Planning", planning::run(ctx.clone())).await?;
                ctx.await_decisions("planning/").await?;
                planning::check_approved(ctx)?;
            }
            Phase::PreMigration => {
                let seo = tokio::spawn(seo::prepare(ctx.clone()));
                let comms = tokio::spawn(communication::draft(ctx.clone()));
                let mapping = tokio::spawn(crate::agents::mapping::run(ctx.clone()));
                for (name, h) in [
                    ("SEO Preservation", seo),
                    ("Customer Communication", comms),
                    ("Category mapping", mapping),
                ] {
                    h.await
                        .map_err(|e| Halt::Failed(format!("the {name} agent crashed: {e}")))??;
                }
                ctx.await_decisions("premigration/").await?;
            }
            Phase::Execution => agent("Executor", executor::run(ctx.clone())).await?,
            Phase::PostMigration => {
                let verify = tokio::spawn(verification::run(ctx.clone()));
                let redirects = tokio::spawn(seo::validate(ctx.clone()));
                let comms = tokio::spawn(communication::finalize(ctx.clone()));
                for (name, h) in [
                    ("Verification", verify),
                    ("SEO Preservation", redirects),
                    ("Customer Communication", comms),
                ] {
                    h.await
                        .map_err(|e| Halt::Failed(format!("the {name} agent crashed: {e}")))??;
                }
                report::write(ctx)
                    .map_err(|e| Halt::Failed(format!("cannot write the report: {e}")))?;
            }
        }
        let mut rec = ctx.run_record()?;
        rec.phases_done.push(phase);
        let mut step = ctx.step();
        step.put_json(T::Meta, run_key(ctx.run), &rec);
        step.event(Level::Info, None, EventKind::PhaseFinished { phase });
        ctx.commit(step)?;
        // The state keeps the newest events only; events.jsonl keeps them all.
        ctx.store
            .prune_events(ctx.cfg.run.event_retention)
            .map_err(|e| Halt::Failed(e.to_string()))?;
    }
    Ok(())
}
