//! The cutover: the checklist that switches a store from the old platform to the new one, after
//! a finished migration (and usually days of `storeshift sync`). It is a run of its own (kind
//! `cutover`) made of steps in a fixed order; each step ends in an intervention the operator
//! decides in the console or with `storeshift decide`, so who decided what and when is
//! journaled like every other decision, and a cutover killed at any point resumes at the step
//! it was in (a finished step is recorded in the same commit as its event).
//!
//! 1. freeze — the old store stopped taking orders (always a person's word);
//! 2. the final sync cycle — a full one, every entity read whole, so nothing a platform's
//!    "changed since" filter misses is left behind — then verification: every count equal;
//! 3. redirects live — every old URL asked for on the new store (`--check-live URL`);
//! 4. the domain — the target platform's DNS instructions (always a person's word);
//! 5. customer notices approved;
//! 6. the rollback plan — how to point the domain back, and a reverse sync that exports what the
//!    new store took after the freeze into the old platform's import files.

use crate::agents::communication::Drafts;
use crate::agents::verification::Verification;
use crate::derived::{redirect_for, WITH_URLS};
use crate::event::{EventKind, Level, RunState};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{phase_key, run_key, Ctx, Halt, RunRecord};
use crate::store::{entity_prefix, now_rfc3339, IdMapEntry, Store, T};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use storeshift_connectors::live::{CheckLimits, UrlCheck, Verdict};
use storeshift_connectors::model::{Entity, Record};
use storeshift_connectors::{platform, EndpointKind, EndpointSpec, Source};

/// Step names of the cutover's interventions start with this.
pub const PREFIX: &str = "cutover/";
const OPTIONS: &str = "cutover/options";
const RECORD: &str = "cutover/record";
/// Cutovers called off, by run: a later cutover replaces [`RECORD`], these stay in the report.
const ABANDONED: &str = "cutover/abandoned/";
/// The option that calls the cutover off on the steps between the freeze and the domain.
pub const ABANDON: &str = "abandon";
/// Attempts at verification or the live check whose recommended option is to try again; after
/// them the recommendation is to go on with what was found (recorded in the report).
const RETRIES_RECOMMENDED: u32 = 2;
/// Failures named in an intervention's text (all of them are in its detail).
const NAMED: usize = 40;

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutoverStep {
    Freeze,
    FinalSync,
    Redirects,
    Domain,
    Notices,
    Rollback,
}

impl CutoverStep {
    pub const ALL: [CutoverStep; 6] = [
        CutoverStep::Freeze,
        CutoverStep::FinalSync,
        CutoverStep::Redirects,
        CutoverStep::Domain,
        CutoverStep::Notices,
        CutoverStep::Rollback,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CutoverStep::Freeze => "freeze",
            CutoverStep::FinalSync => "final_sync",
            CutoverStep::Redirects => "redirects",
            CutoverStep::Domain => "domain",
            CutoverStep::Notices => "notices",
            CutoverStep::Rollback => "rollback",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CutoverStep::Freeze => "Freeze the old store",
            CutoverStep::FinalSync => "Final sync and verification",
            CutoverStep::Redirects => "Redirects live",
            CutoverStep::Domain => "Point the domain at the new store",
            CutoverStep::Notices => "Customer notices",
            CutoverStep::Rollback => "Rollback plan",
        }
    }

    /// The intervention step name (`cutover/freeze`).
    pub fn step_name(self) -> String {
        format!("{PREFIX}{}", self.key())
    }
}

/// What `storeshift cutover` was asked to do, kept so a resumed cutover does the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutoverOptions {
    /// The new store's base URL the old URLs are requested on (`None`: not checked live).
    pub check_live: Option<String>,
    /// Requests per second of the live check.
    pub check_rate: f64,
    /// Requests of the live check in flight at once.
    pub concurrency: usize,
    /// A PEM file of certificate authorities the live check trusts besides the public ones
    /// (a new store on a staging host with a certificate of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_ca: Option<std::path::PathBuf>,
}

impl Default for CutoverOptions {
    fn default() -> Self {
        let l = CheckLimits::default();
        CutoverOptions {
            check_live: None,
            check_rate: l.rate,
            concurrency: l.concurrency,
            check_ca: None,
        }
    }
}

/// One finished step, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: CutoverStep,
    pub title: String,
    /// done, accepted (went on despite what was found), skipped
    pub outcome: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervention: Option<String>,
    /// The option chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The decider's note, when they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub finished_at: String,
    /// What the step found, in its own shape (counts, failed URLs, files written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// The cutover as a whole (the newest one of the workspace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CutoverRecord {
    pub run: u32,
    /// The migration it switches over.
    pub base_run: u32,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// When the operator confirmed the old store stopped taking orders: what the new store
    /// takes after it is what a rollback must carry back.
    #[serde(default)]
    pub frozen_at: Option<String>,
    /// When the operator called the cutover off (its last step says where and why): the old
    /// store goes on selling and syncing may resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned_at: Option<String>,
    pub steps: Vec<StepRecord>,
}

impl CutoverRecord {
    pub fn step(&self, step: CutoverStep) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// Saves the options `storeshift cutover` was given.
pub fn save_options(store: &Store, o: &CutoverOptions) -> Result<(), String> {
    let mut step = crate::store::Step::new(0);
    step.put_json(T::Meta, OPTIONS, o);
    store.commit(step).map(|_| ()).map_err(|e| e.to_string())
}

fn options(store: &Store) -> CutoverOptions {
    store
        .get_json(T::Meta, OPTIONS)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The newest cutover's record, if one started.
pub fn record(store: &Store) -> Option<CutoverRecord> {
    store.get_json(T::Meta, RECORD).ok().flatten()
}

/// Every cutover called off, oldest first.
pub fn abandoned(store: &Store) -> Vec<CutoverRecord> {
    store
        .scan_json::<CutoverRecord>(T::Meta, ABANDONED)
        .map(|v| v.into_iter().map(|(_, r)| r).collect())
        .unwrap_or_default()
}

/// Whether cutover run `run` was called off (a new cutover may then start).
pub fn was_abandoned(store: &Store, run: u32) -> bool {
    record(store).is_some_and(|r| r.run == run && r.abandoned_at.is_some())
}

/// The option that calls the cutover off, offered on the steps after the freeze and until the
/// domain points at the new store.
fn abandon_option() -> InterventionOption {
    option(
        ABANDON,
        "Call the cutover off",
        "The cutover ends here: lift the old store's maintenance mode; `storeshift sync --until-cutover` can run again and a later `storeshift cutover` starts over.",
    )
}

/// The newest finished migration (neither a sync cycle nor a cutover) before `run`.
pub fn base_run(store: &Store, run: u32) -> Option<RunRecord> {
    (1..run).rev().find_map(|r| {
        store
            .get_json::<RunRecord>(T::Meta, run_key(r))
            .ok()
            .flatten()
            .filter(|rec| !rec.sync && rec.state == RunState::Done)
    })
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    let mut rec = match record(&ctx.store) {
        Some(r) if r.run == ctx.run => r,
        _ => {
            let base = base_run(&ctx.store, ctx.run).ok_or_else(|| {
                Halt::Failed("no finished migration to cut over: run `storeshift run` first".into())
            })?;
            CutoverRecord {
                run: ctx.run,
                base_run: base.run,
                started_at: now_rfc3339(),
                ..Default::default()
            }
        }
    };
    if crate::sync::cutover_requested(&ctx.store).is_none() {
        // A `sync --until-cutover` loop stops before its next cycle.
        crate::sync::request_cutover(&ctx.store).map_err(Halt::Failed)?;
    }
    save(&ctx, &rec, None)?;
    let opts = options(&ctx.store);
    for step in CutoverStep::ALL {
        if rec.step(step).is_some() {
            continue;
        }
        ctx.safe_point().await?;
        ctx.log(
            crate::event::AgentKind::Executor,
            Level::Info,
            format!("cutover: {}", step.title()),
        )?;
        let done = match step {
            CutoverStep::Freeze => freeze(&ctx).await?,
            CutoverStep::FinalSync => final_sync(&ctx).await?,
            CutoverStep::Redirects => redirects(&ctx, &opts).await?,
            CutoverStep::Domain => domain(&ctx).await?,
            CutoverStep::Notices => notices(&ctx, &rec).await?,
            CutoverStep::Rollback => rollback(&ctx, &rec).await?,
        };
        if step == CutoverStep::Freeze {
            rec.frozen_at = done.decided_at.clone();
        }
        let abandoned = done.decision.as_deref() == Some(ABANDON);
        rec.steps.push(done);
        if abandoned {
            return abandon(&ctx, rec);
        }
        save(&ctx, &rec, rec.steps.last())?;
    }
    rec.finished_at = Some(now_rfc3339());
    save(&ctx, &rec, None)
}

/// Ends the cutover as called off, in one commit: the record (kept apart so a later cutover
/// does not replace it), and the sync loop's stop flag lifted.
fn abandon(ctx: &Ctx, mut rec: CutoverRecord) -> Result<(), Halt> {
    let now = now_rfc3339();
    rec.abandoned_at = Some(now.clone());
    rec.finished_at = Some(now);
    let mut step = ctx.step();
    step.put_json(T::Meta, RECORD, &rec);
    step.put_json(T::Meta, format!("{ABANDONED}{:010}", rec.run), &rec);
    crate::sync::clear_cutover_request(&mut step);
    if let Some(s) = rec.steps.last() {
        step.event(
            Level::Warn,
            None,
            EventKind::Log {
                message: format!(
                    "cutover called off at step {} by {} at {}{}: syncing may go on",
                    s.step.key(),
                    s.decided_by.as_deref().unwrap_or("-"),
                    s.decided_at.as_deref().unwrap_or("-"),
                    s.note
                        .as_deref()
                        .map(|n| format!(" (\"{n}\")"))
                        .unwrap_or_default()
                ),
            },
        );
    }
    ctx.commit(step)
}

/// Commits the record, with the event saying which step finished.
fn save(ctx: &Ctx, rec: &CutoverRecord, finished: Option<&StepRecord>) -> Result<(), Halt> {
    let mut step = ctx.step();
    step.put_json(T::Meta, RECORD, rec);
    if let Some(s) = finished {
        step.event(
            Level::Info,
            None,
            EventKind::Log {
                message: format!(
                    "cutover step {} {}: {}{}",
                    s.step.key(),
                    s.outcome,
                    s.summary,
                    match (&s.decision, &s.decided_by, &s.decided_at) {
                        (Some(d), Some(by), Some(at)) => format!(" ({d} by {by} at {at})"),
                        _ => String::new(),
                    }
                ),
            },
        );
    }
    ctx.commit(step)
}

struct Ask {
    step: CutoverStep,
    item: String,
    title: String,
    problem: String,
    options: Vec<InterventionOption>,
    recommended: String,
    detail: Option<serde_json::Value>,
}

/// A passed check's choices: go on (recommended) or abandon; with the recommended key.
fn go_on(consequence: &str) -> (Vec<InterventionOption>, String) {
    (
        vec![option("continue", "Go on", consequence), abandon_option()],
        "continue".to_string(),
    )
}

/// A failed check's choices: try again (recommended for the first attempts), go on anyway,
/// or abandon; with the recommended key.
fn retry_or_accept(
    attempt: u32,
    retry: InterventionOption,
    accept: InterventionOption,
) -> (Vec<InterventionOption>, String) {
    let recommended = if attempt <= RETRIES_RECOMMENDED {
        &retry.key
    } else {
        &accept.key
    }
    .clone();
    (vec![retry, accept, abandon_option()], recommended)
}

fn option(key: &str, label: &str, consequence: &str) -> InterventionOption {
    InterventionOption {
        key: key.into(),
        label: label.into(),
        consequence: consequence.into(),
    }
}

/// Raises the step's intervention (once: a resumed cutover finds it) and waits for its
/// decision — a person's for `person`, else the policy's. Returns it decided.
async fn ask(ctx: &Ctx, a: Ask, person: bool) -> Result<Intervention, Halt> {
    let name = a.step.step_name();
    let id = Intervention::make_id(ctx.run, &name, &a.item);
    let iv = Intervention {
        id: id.clone(),
        run: ctx.run,
        step: name.clone(),
        item: a.item,
        title: a.title,
        problem: a.problem,
        records: vec![],
        options: a.options,
        recommended: a.recommended,
        raised_at: now_rfc3339(),
        detail: a.detail,
        decision: None,
    };
    let mut step = ctx.step();
    if ctx.raise(&mut step, iv)? {
        ctx.commit(step)?;
    }
    if person {
        ctx.await_person(&name).await?;
    } else {
        ctx.await_decisions(&name).await?;
    }
    ctx.store
        .intervention(&id)
        .map_err(|e| Halt::Failed(e.to_string()))?
        .filter(|i| i.decision.is_some())
        .ok_or_else(|| Halt::Failed(format!("intervention {id} has no decision")))
}

fn finished(
    step: CutoverStep,
    iv: &Intervention,
    outcome: &str,
    summary: String,
    detail: Option<serde_json::Value>,
) -> StepRecord {
    let d = iv.decision.as_ref();
    let abandoned = d.is_some_and(|d| d.option == ABANDON);
    StepRecord {
        step,
        title: step.title().into(),
        outcome: if abandoned { "abandoned" } else { outcome }.into(),
        summary: if abandoned {
            format!("cutover called off; {summary}")
        } else {
            summary
        },
        intervention: Some(iv.id.clone()),
        decision: d.map(|d| d.option.clone()),
        decided_by: d.map(|d| d.by.describe()),
        decided_at: d.map(|d| d.at.clone()),
        note: d.and_then(|d| d.note.clone()),
        finished_at: now_rfc3339(),
        detail,
    }
}

fn old_domain(ctx: &Ctx) -> String {
    ctx.cfg
        .run
        .source_url
        .as_deref()
        .and_then(|u| reqwest::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "the store's domain".into())
}

async fn freeze(ctx: &Ctx) -> Result<StepRecord, Halt> {
    let iv = ask(
        ctx,
        Ask {
            step: CutoverStep::Freeze,
            item: "old-store".into(),
            title: "Freeze: confirm the old store takes no more orders".into(),
            problem: format!(
                "Put {} ({}) in maintenance mode (or close checkout) so no order, customer or stock change arrives there any more, then confirm. The final sync cycle (a full one: every record read again) runs right after, and anything the old store takes later would be left behind.",
                ctx.cfg.source.describe(),
                old_domain(ctx)
            ),
            options: vec![option(
                "frozen",
                "The old store is frozen",
                "The final sync cycle starts; orders placed in the old store from now on are not moved.",
            )],
            recommended: "frozen".into(),
            detail: None,
        },
        true,
    )
    .await?;
    Ok(finished(
        CutoverStep::Freeze,
        &iv,
        "done",
        "the old store stopped taking orders".into(),
        None,
    ))
}

/// One line of the cutover's count check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountRow {
    pub entity: Entity,
    /// The source's own count (`None`: the source cannot count it cheaply).
    pub in_source: Option<u64>,
    /// Records storeshift knows of: moved, or left out by a decision.
    pub known: u64,
    pub left_out: u64,
    pub moved: u64,
    /// The target's own count (`None`: import files, or no count endpoint).
    pub in_target: Option<u64>,
    pub equal: bool,
}

async fn final_sync(ctx: &Ctx) -> Result<StepRecord, Halt> {
    for attempt in 1.. {
        let summary = match crate::sync::summary(&ctx.store, ctx.run) {
            Some(s) if s.finished_at.is_some() => s,
            _ => {
                // Full: whatever a platform's "changed since" filter cannot see (a change on
                // a child product, a description or an address saved alone) is read here,
                // not left behind at the switch.
                crate::sync::cycle(ctx.clone(), true).await?;
                crate::sync::summary(&ctx.store, ctx.run)
                    .ok_or_else(|| Halt::Failed("the final sync cycle left no summary".into()))?
            }
        };
        crate::agents::verification::run(ctx.clone()).await?;
        let v: Verification = ctx.load_phase("verification").unwrap_or_default();
        let entities: Vec<Entity> = summary.counts.keys().copied().collect();
        let rows = count_rows(ctx, &entities).await?;
        let equal = rows.iter().all(|r| r.equal) && v.is_clean();
        let line = |r: &CountRow| {
            format!(
                "{}: source {}, known {} ({} moved, {} left out), target {}{}",
                r.entity,
                r.in_source.map_or("-".into(), |n| n.to_string()),
                r.known,
                r.moved,
                r.left_out,
                r.in_target.map_or("-".into(), |n| n.to_string()),
                if r.equal { "" } else { " — DIFFER" }
            )
        };
        let text = format!(
            "final sync cycle{}: {} changes moved, {} read, {} failed; {}; sample: {} compared, {} differences, {} missing",
            if summary.full {
                " (full: every entity read whole, so changes the source's \"changed since\" filter misses moved too)"
            } else {
                ""
            },
            summary.moved(),
            summary.read(),
            summary.failed(),
            if equal { "every count equal" } else { "counts differ" },
            v.compared.values().sum::<u64>(),
            v.differences.len(),
            v.missing.len()
        );
        let detail = json!({
            "cycle": summary,
            "counts": rows,
            "verification_clean": v.is_clean(),
            "differences": v.differences.len(),
            "missing": v.missing.len(),
        });
        let (title, problem, (options, recommended)) = if equal {
            (
                "Final sync done: every count equal".to_string(),
                format!(
                    "{text}.\n{}",
                    rows.iter().map(line).collect::<Vec<_>>().join("\n")
                ),
                go_on("The cutover goes on to the live redirect check."),
            )
        } else {
            (
                format!("Final sync: counts differ (attempt {attempt})"),
                format!(
                    "{text}.\n{}\nThe report of this run lists the sampled differences.",
                    rows.iter().map(line).collect::<Vec<_>>().join("\n")
                ),
                retry_or_accept(
                    attempt,
                    option(
                        "retry",
                        "Sync and verify again",
                        "Another full sync cycle reads everything again and moves what changed, then everything is counted again.",
                    ),
                    option(
                        "accept",
                        "Go on with the differences",
                        "The cutover goes on; the differences stay in the report's cutover section.",
                    ),
                ),
            )
        };
        let iv = ask(
            ctx,
            Ask {
                step: CutoverStep::FinalSync,
                item: format!("attempt-{attempt}"),
                title,
                problem,
                options,
                recommended,
                detail: Some(detail.clone()),
            },
            false,
        )
        .await?;
        if iv.decision.as_ref().is_some_and(|d| d.option == "retry") {
            restart_cycle(ctx)?;
            continue;
        }
        return Ok(finished(
            CutoverStep::FinalSync,
            &iv,
            if equal { "done" } else { "accepted" },
            text,
            Some(detail),
        ));
    }
    unreachable!("the loop only ends by returning")
}

/// Forgets this run's cycle and verification so they run again (a full cycle again: every
/// entity read whole).
fn restart_cycle(ctx: &Ctx) -> Result<(), Halt> {
    let mut step = ctx.step();
    for e in Entity::ALL {
        step.remove(T::Cursors, crate::runtime::cursor_key(ctx.run, e));
    }
    step.remove(T::Phases, phase_key(ctx.run, "sync_cycle"));
    step.remove(T::Phases, phase_key(ctx.run, "verification"));
    ctx.commit(step)
}

/// Counts each entity in the source, in storeshift's id map and in the target.
async fn count_rows(ctx: &Ctx, entities: &[Entity]) -> Result<Vec<CountRow>, Halt> {
    let mut src_counter = match ctx.cfg.source.kind {
        EndpointKind::Api => storeshift_connectors::open_verifier(&ctx.cfg.source)
            .ok()
            .flatten(),
        EndpointKind::Files => None,
    };
    let mut tgt_counter = match ctx.cfg.target.kind {
        EndpointKind::Api => storeshift_connectors::open_verifier(&ctx.cfg.target)
            .ok()
            .flatten(),
        EndpointKind::Files => None,
    };
    let mut source: Option<Box<dyn Source>> = None;
    let mut rows = vec![];
    for &entity in entities {
        ctx.safe_point().await?;
        let mut in_source = match src_counter.as_mut() {
            Some(c) => c.count(entity).await.ok().flatten().map(|c| c.count),
            None => None,
        };
        if in_source.is_none() {
            if source.is_none() {
                source = Some(ctx.open_source()?);
            }
            if let Some(s) = source.as_mut() {
                in_source = count_source(ctx, s.as_mut(), entity).await?;
            }
        }
        let in_target = match tgt_counter.as_mut() {
            Some(c) => c
                .count(entity)
                .await
                .map_err(|e| Halt::Failed(format!("counting {entity} in the target failed: {e}")))?
                .map(|c| c.count),
            None => None,
        };
        let (mut known, mut moved) = (0u64, 0u64);
        for (_, entry) in ctx
            .store
            .scan_json::<IdMapEntry>(T::IdMap, entity_prefix(entity))
            .map_err(|e| Halt::Failed(e.to_string()))?
        {
            known += 1;
            if !entry.target_id.is_empty() {
                moved += 1;
            }
        }
        let equal = in_source.is_none_or(|n| n == known) && in_target.is_none_or(|n| n == moved);
        rows.push(CountRow {
            entity,
            in_source,
            known,
            left_out: known - moved,
            moved,
            in_target,
            equal,
        });
    }
    Ok(rows)
}

/// The source's count of `entity` from its id list, or for export files by reading them (no
/// API budget to spend); `None` when neither is possible.
async fn count_source(
    ctx: &Ctx,
    source: &mut dyn Source,
    entity: Entity,
) -> Result<Option<u64>, Halt> {
    if let Ok(Some(ids)) = source.live_ids(entity).await {
        return Ok(Some(ids.len() as u64));
    }
    if ctx.cfg.source.kind != EndpointKind::Files {
        return Ok(None);
    }
    let mut n = 0u64;
    let mut cursor = None;
    loop {
        let page = source
            .read_page(entity, cursor.as_ref(), 1000)
            .await
            .map_err(|e| Halt::Failed(format!("counting {entity} in the source failed: {e}")))?;
        n += page.records.len() as u64;
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(Some(n)),
        }
    }
}

/// Every redirect of the plan: each moved (or left-out) record whose URL changed.
pub fn redirect_plan(ctx: &Ctx) -> Result<Vec<(String, String)>, Halt> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    for entity in WITH_URLS {
        for (_, entry) in ctx
            .store
            .scan_json::<IdMapEntry>(T::IdMap, entity_prefix(entity))
            .map_err(|e| Halt::Failed(e.to_string()))?
        {
            if let Some(r) = redirect_for(ctx.cfg.target.platform, entity, &entry) {
                if seen.insert(r.from.clone()) {
                    out.push((r.from, r.to));
                }
            }
        }
    }
    Ok(out)
}

/// What the live check found, kept per attempt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveCheck {
    pub base: String,
    pub checked: u64,
    pub ok: u64,
    pub warnings: Vec<UrlCheck>,
    pub failures: Vec<UrlCheck>,
}

async fn redirects(ctx: &Ctx, opts: &CutoverOptions) -> Result<StepRecord, Halt> {
    let Some(base) = opts.check_live.clone() else {
        return Ok(StepRecord {
            step: CutoverStep::Redirects,
            title: CutoverStep::Redirects.title().into(),
            outcome: "skipped".into(),
            summary: "not checked live: no --check-live URL was given (the redirect files were validated after the migration)".into(),
            intervention: None,
            decision: None,
            decided_by: None,
            decided_at: None,
            note: None,
            finished_at: now_rfc3339(),
            detail: None,
        });
    };
    let plan = redirect_plan(ctx)?;
    for attempt in 1.. {
        let key = format!("cutover_live/{attempt}");
        let found: LiveCheck = match ctx.load_phase(&key) {
            Some(f) => f,
            None => {
                ctx.safe_point().await?;
                ctx.status(
                    crate::event::AgentKind::SeoPreservation,
                    "running",
                    format!("requesting {} old URLs on {base}", plan.len()),
                    0,
                    plan.len() as u64,
                )?;
                let limits = CheckLimits {
                    rate: opts.check_rate,
                    concurrency: opts.concurrency,
                    ..CheckLimits::default()
                };
                let trusted = match &opts.check_ca {
                    Some(path) => Some(std::fs::read(path).map_err(|e| {
                        Halt::Failed(format!(
                            "cannot read the certificate authorities {} (--check-live-ca): {e}",
                            path.display()
                        ))
                    })?),
                    None => None,
                };
                let checks =
                    storeshift_connectors::live::check_redirects(&base, &plan, limits, trusted)
                        .await
                        .map_err(|e| {
                            Halt::Failed(format!("the live redirect check failed: {e}"))
                        })?;
                let mut f = LiveCheck {
                    base: base.clone(),
                    checked: checks.len() as u64,
                    ..Default::default()
                };
                for c in checks {
                    match c.verdict {
                        Verdict::Ok => f.ok += 1,
                        Verdict::Warning => f.warnings.push(c),
                        Verdict::Failed => f.failures.push(c),
                    }
                }
                ctx.save_phase(&key, &f)?;
                ctx.status(
                    crate::event::AgentKind::SeoPreservation,
                    "done",
                    format!(
                        "{} old URLs: {} redirect correctly, {} warnings, {} failed",
                        f.checked,
                        f.ok,
                        f.warnings.len(),
                        f.failures.len()
                    ),
                    f.checked,
                    f.checked,
                )?;
                f
            }
        };
        let text = format!(
            "{} old URLs requested on {base}: {} answer 301 to their new URL, {} redirect but not permanently, {} failed",
            found.checked,
            found.ok,
            found.warnings.len(),
            found.failures.len()
        );
        let detail = serde_json::to_value(&found).unwrap_or_default();
        let listed = |list: &[UrlCheck]| {
            list.iter()
                .take(NAMED)
                .map(|c| format!("{}: {}", c.from, c.reason))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (title, problem, (options, recommended)) = if found.failures.is_empty() {
            (
                format!("Redirects live: {} of {} correct", found.ok, found.checked),
                if found.warnings.is_empty() {
                    format!("{text}.")
                } else {
                    format!("{text}.\nWarnings:\n{}", listed(&found.warnings))
                },
                go_on("The cutover goes on to the domain step."),
            )
        } else {
            (
                format!(
                    "Redirects live: {} of {} old URLs fail (attempt {attempt})",
                    found.failures.len(),
                    found.checked
                ),
                format!(
                    "{text}.\n{}{}",
                    listed(&found.failures),
                    if found.failures.len() > NAMED {
                        format!("\n… {} more in the detail", found.failures.len() - NAMED)
                    } else {
                        String::new()
                    }
                ),
                retry_or_accept(
                    attempt,
                    option(
                        "retry",
                        "Check again",
                        "Every old URL is requested again (fix the redirects in the new store first).",
                    ),
                    option(
                        "accept",
                        "Go on with the failures",
                        "The cutover goes on; the failing URLs stay listed in the report.",
                    ),
                ),
            )
        };
        let iv = ask(
            ctx,
            Ask {
                step: CutoverStep::Redirects,
                item: format!("attempt-{attempt}"),
                title,
                problem,
                options,
                recommended,
                detail: Some(detail.clone()),
            },
            false,
        )
        .await?;
        if iv.decision.as_ref().is_some_and(|d| d.option == "retry") {
            continue;
        }
        return Ok(finished(
            CutoverStep::Redirects,
            &iv,
            if found.failures.is_empty() {
                "done"
            } else {
                "accepted"
            },
            text,
            Some(detail),
        ));
    }
    unreachable!("the loop only ends by returning")
}

async fn domain(ctx: &Ctx) -> Result<StepRecord, Halt> {
    let steps = platform::domain_steps(ctx.cfg.target.platform);
    let domain = old_domain(ctx);
    let numbered: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect();
    let iv = ask(
        ctx,
        Ask {
            step: CutoverStep::Domain,
            item: "dns".into(),
            title: format!(
                "Domain: point {domain} at the new {} store",
                ctx.cfg.target.platform
            ),
            problem: format!(
                "Switch {domain} to {}, then confirm:\n{}",
                ctx.cfg.target.describe(),
                numbered.join("\n")
            ),
            options: vec![
                option(
                    "switched",
                    "The domain points at the new store",
                    "The cutover goes on to the customer notices and the rollback plan.",
                ),
                abandon_option(),
            ],
            recommended: "switched".into(),
            detail: Some(json!({ "domain": domain, "instructions": steps })),
        },
        true,
    )
    .await?;
    Ok(finished(
        CutoverStep::Domain,
        &iv,
        "done",
        format!("{domain} points at the new store"),
        Some(json!({ "instructions": steps })),
    ))
}

async fn notices(ctx: &Ctx, rec: &CutoverRecord) -> Result<StepRecord, Halt> {
    let drafts: Option<Drafts> = ctx
        .store
        .get_json(T::Phases, phase_key(rec.base_run, "drafts"))
        .ok()
        .flatten();
    let files: Vec<String> = drafts
        .as_ref()
        .map(|d| d.files.keys().cloned().collect())
        .unwrap_or_default();
    let place = drafts
        .as_ref()
        .and_then(|d| d.exported_to.clone())
        .unwrap_or_else(|| "the migration's report".into());
    let iv = ask(
        ctx,
        Ask {
            step: CutoverStep::Notices,
            item: "notices".into(),
            title: format!("Customer notices: approve {} drafts", files.len()),
            problem: format!(
                "The notices drafted during the migration ({}) tell customers the store moved (new account passwords, where their order history is). They are in {place}; storeshift sends nothing.",
                if files.is_empty() { "none were drafted".to_string() } else { files.join(", ") }
            ),
            options: vec![
                option(
                    "approve",
                    "Approve the notices",
                    "They are recorded as approved for sending by your mail tool.",
                ),
                option(
                    "hold",
                    "Do not send them",
                    "Recorded as held; customers are not told by storeshift's drafts.",
                ),
            ],
            recommended: "approve".into(),
            detail: Some(json!({ "files": files, "at": place })),
        },
        false,
    )
    .await?;
    let approved = iv.decision.as_ref().is_some_and(|d| d.option == "approve");
    Ok(finished(
        CutoverStep::Notices,
        &iv,
        "done",
        format!(
            "{} notices {}",
            files.len(),
            if approved { "approved" } else { "held" }
        ),
        Some(json!({ "files": files })),
    ))
}

/// What a reverse sync exported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReverseSync {
    /// Where the import files are (`None`: nothing could be written).
    pub dir: Option<String>,
    pub exported: BTreeMap<Entity, u64>,
    /// Records the new store has without a creation time (cannot be told apart; not exported).
    pub undated: BTreeMap<Entity, u64>,
    /// Why nothing was (or could be) exported, when so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Exports the orders and customers the new store has that storeshift did not put there and
/// that were created at or after `since`, into the old platform's import files under `out`.
pub async fn reverse_sync(
    cfg: &crate::config::MigrationConfig,
    store: &Store,
    since: &str,
    out: &Path,
) -> Result<ReverseSync, String> {
    let mut r = ReverseSync::default();
    if cfg.target.kind == EndpointKind::Files {
        r.note = Some(
            "the new store is import files: nothing can be created in it after the cutover, so there is nothing to carry back".into(),
        );
        return Ok(r);
    }
    let since = chrono::DateTime::parse_from_rfc3339(since)
        .map_err(|e| format!("the cutover time {since:?} is not a time: {e}"))?
        .with_timezone(&chrono::Utc);
    let reader =
        crate::runtime::target_reader_spec(cfg, &crate::Workspace::new(cfg.workspace_dir()));
    let mut new_store = storeshift_connectors::open_source(&reader, &cfg.base_dir)
        .map_err(|e| format!("cannot read the new store ({}): {e}", cfg.target.describe()))?;
    let spec = EndpointSpec {
        kind: EndpointKind::Files,
        path: Some(out.to_path_buf()),
        files: BTreeMap::new(),
        url: None,
        credentials: BTreeMap::new(),
        options: BTreeMap::new(),
        mapping: None,
        ..cfg.source.clone()
    };
    let mut writer = match storeshift_connectors::open_target(&spec, &cfg.base_dir, out) {
        Ok(w) => w,
        Err(e) => {
            r.note = Some(format!(
                "{} has no import file writer in storeshift ({e}): orders and customers taken by the new store after the cutover must be re-entered in the old store by hand",
                cfg.source.platform
            ));
            return Ok(r);
        }
    };
    r.dir = Some(out.display().to_string());
    for entity in [Entity::Customers, Entity::Orders] {
        if !new_store.entities().contains(&entity) || !writer.accepts(entity) {
            continue;
        }
        // Records storeshift put in the new store are the old store's own.
        let ours: HashSet<String> = store
            .scan_json::<IdMapEntry>(T::IdMap, entity_prefix(entity))
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(_, e)| e.target_id)
            .filter(|t| !t.is_empty())
            .collect();
        writer
            .resume(entity, None)
            .await
            .map_err(|e| format!("cannot start the {entity} import file: {e}"))?;
        let mut cursor = None;
        let (mut exported, mut undated) = (0u64, 0u64);
        loop {
            let page = new_store
                .read_page(entity, cursor.as_ref(), 250)
                .await
                .map_err(|e| format!("reading {entity} from the new store failed: {e}"))?;
            let mut batch = vec![];
            for rec in page.records {
                if ours.contains(&rec.source().id) {
                    continue;
                }
                let created = match &rec {
                    Record::Customer(c) => c.created_at.as_ref().map(|t| t.utc()),
                    Record::Order(o) => o.created_at.as_ref().map(|t| t.utc()),
                    _ => None,
                };
                match created {
                    Some(t) if t >= since => batch.push(rec),
                    Some(_) => {}
                    None => undated += 1,
                }
            }
            if !batch.is_empty() {
                for o in writer
                    .write_batch(entity, &batch)
                    .await
                    .map_err(|e| format!("writing {entity} import files failed: {e}"))?
                {
                    if !matches!(o, storeshift_connectors::WriteOutcome::Failed { .. }) {
                        exported += 1;
                    }
                }
            }
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        writer
            .finish(entity)
            .await
            .map_err(|e| format!("cannot finish the {entity} import file: {e}"))?;
        r.exported.insert(entity, exported);
        if undated > 0 {
            r.undated.insert(entity, undated);
        }
    }
    Ok(r)
}

/// Where the rollback plan and the reverse sync's files go.
pub fn rollback_dir(ws: &crate::Workspace) -> PathBuf {
    ws.dir.join("cutover")
}

async fn rollback(ctx: &Ctx, rec: &CutoverRecord) -> Result<StepRecord, Halt> {
    let dir = rollback_dir(&ctx.ws);
    let key = "cutover_reverse_sync";
    let since = rec
        .frozen_at
        .clone()
        .unwrap_or_else(|| rec.started_at.clone());
    let rs: ReverseSync = match ctx.load_phase(key) {
        Some(r) => r,
        None => {
            ctx.safe_point().await?;
            let out = dir.join("reverse-sync");
            let r = match reverse_sync(&ctx.cfg, &ctx.store, &since, &out).await {
                Ok(r) => r,
                Err(e) => ReverseSync {
                    note: Some(format!("the reverse sync failed: {e}")),
                    ..Default::default()
                },
            };
            ctx.save_phase(key, &r)?;
            r
        }
    };
    let plan = rollback_plan(ctx, &since, &rs);
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join("rollback.md"), &plan))
        .map_err(|e| Halt::Failed(format!("cannot write the rollback plan: {e}")))?;
    let summary = format!(
        "rollback plan in {}; reverse sync: {}",
        dir.join("rollback.md").display(),
        reverse_summary(&rs)
    );
    let iv = ask(
        ctx,
        Ask {
            step: CutoverStep::Rollback,
            item: "plan".into(),
            title: "Rollback plan ready".into(),
            problem: plan.clone(),
            options: vec![option(
                "keep",
                "Keep the plan on file",
                "The cutover is complete; the plan stays in the workspace's cutover folder and the report.",
            )],
            recommended: "keep".into(),
            detail: Some(json!({ "reverse_sync": rs, "since": since })),
        },
        false,
    )
    .await?;
    Ok(finished(
        CutoverStep::Rollback,
        &iv,
        "done",
        summary,
        Some(
            json!({ "reverse_sync": rs, "since": since, "plan": dir.join("rollback.md").display().to_string() }),
        ),
    ))
}

fn reverse_summary(rs: &ReverseSync) -> String {
    if let Some(n) = &rs.note {
        return n.clone();
    }
    let parts: Vec<String> = rs
        .exported
        .iter()
        .map(|(e, n)| format!("{n} {e}"))
        .collect();
    format!(
        "{} exported to {}{}",
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(", ")
        },
        rs.dir.as_deref().unwrap_or("-"),
        if rs.undated.is_empty() {
            String::new()
        } else {
            format!(
                " ({} records without a creation time left out)",
                rs.undated.values().sum::<u64>()
            )
        }
    )
}

fn rollback_plan(ctx: &Ctx, since: &str, rs: &ReverseSync) -> String {
    let domain = old_domain(ctx);
    let mut s = format!(
        "# Rollback plan\n\nIf the new store ({}) must be left, point {domain} back at the old one ({}):\n\n",
        ctx.cfg.target.describe(),
        ctx.cfg.source.describe()
    );
    s.push_str(&format!(
        "1. Take {domain} off the new store ({}'s domain settings), so it stops answering for it.\n",
        ctx.cfg.target.platform
    ));
    for (i, step) in platform::domain_steps(ctx.cfg.source.platform)
        .iter()
        .enumerate()
    {
        s.push_str(&format!("{}. {step}\n", i + 2));
    }
    s.push_str(&format!(
        "\nThen lift the old store's maintenance mode.\n\n## Orders and customers taken by the new store\n\nEverything the new store took since the freeze ({since}) and storeshift did not put there: {}.\n",
        reverse_summary(rs)
    ));
    if rs.dir.is_some() {
        s.push_str(&format!(
            "Import those files into {} before reopening it.\n",
            ctx.cfg.source.platform
        ));
    }
    s
}
