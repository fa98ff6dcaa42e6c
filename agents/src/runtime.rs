//! Starting, resuming and controlling a run. The orchestrator, the agents, the command loop,
//! the once-a-second ticker and the control socket are each a tokio task.

use crate::config::{InterventionPolicy, MigrationConfig};
use crate::event::{AgentKind, EventKind, Level, Phase, RunState};
use crate::hub::Hub;
use crate::intervention::{Actor, Decision, Intervention};
use crate::snapshot::{PhaseState, Snapshot};
use crate::store::{now_rfc3339, EntityCheckpoint, Step, Store, StoreError, T};
use crate::workspace::Workspace;
use crate::{orchestrator, Command, Link};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use storeshift_connectors::model::Entity;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How a run ended (or stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    Done,
    Failed {
        message: String,
    },
    /// Stopped at an intervention point nobody may decide here (headless, policy `ask`).
    WaitingForOperator,
    /// Stopped on request (console `q`, SIGTERM); everything is checkpointed.
    Stopped,
}

/// Why an agent stopped early.
#[derive(Debug)]
pub enum Halt {
    Stopped,
    NeedsOperator,
    Failed(String),
}

impl<E: std::fmt::Display> From<E> for Halt
where
    E: Into<anyhow::Error>,
{
    fn from(e: E) -> Halt {
        Halt::Failed(e.to_string())
    }
}

/// What the state database remembers of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: u32,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    pub state: RunState,
    #[serde(default)]
    pub phases_done: Vec<Phase>,
    /// True when an earlier run finished: only what changed since moves.
    #[serde(default)]
    pub incremental: bool,
    /// A sync cycle: only what changed in the source since the last cycle moves.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sync: bool,
    /// A cutover (`storeshift cutover`): the checklist that switches the store over. It is
    /// also `sync` (it runs the final cycle and is never the base of later cycles).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cutover: bool,
    /// A full sync cycle: every entity read whole, past every high-water mark and export file
    /// hash (`storeshift sync --full`, `[sync] full_every`). Decided when the cycle starts, so
    /// a resumed cycle stays what it began as.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
    #[serde(default)]
    pub elapsed_secs: u64,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseFlag {
    pub paused: bool,
}

pub fn run_key(run: u32) -> String {
    format!("run/{run:08}")
}
const CURRENT_RUN: &str = "current_run";
const PAUSED: &str = "paused";

pub fn cursor_key(run: u32, entity: Entity) -> String {
    format!("{run:08}/{}", entity.key())
}

pub fn phase_key(run: u32, phase: &str) -> String {
    format!("{run:08}/{phase}")
}

/// Front-end choices for one start.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub policy: InterventionPolicy,
    /// Serve the control socket (off only in unit tests of the runtime).
    pub control_socket: bool,
    /// A person watches (a console): a question only a person may answer waits for them
    /// instead of ending the run. Set before the run starts, since a cutover asks its first
    /// such question (the freeze) at once.
    pub wait_for_operator: bool,
}

pub struct Inner {
    pub cfg: MigrationConfig,
    pub ws: Workspace,
    pub store: Arc<Store>,
    pub hub: Arc<Hub>,
    pub run: u32,
    pub policy: InterventionPolicy,
    pub incremental: bool,
    /// Entities already being read back from the target (see `verification::Early`).
    pub early: crate::agents::verification::Early,
}

/// What every agent gets: the config, the store, the hub, and the safe-point and commit helpers.
#[derive(Clone)]
pub struct Ctx(pub Arc<Inner>);

impl std::ops::Deref for Ctx {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Ctx {
    /// A safe point: returns at once when running, waits while paused, and says stop when asked.
    pub async fn safe_point(&self) -> Result<(), Halt> {
        loop {
            let notified = self.hub.control.notify.notified();
            if self.hub.control.stop.load(Ordering::SeqCst) {
                return Err(Halt::Stopped);
            }
            if !self.hub.control.paused.load(Ordering::SeqCst) {
                return Ok(());
            }
            notified.await;
        }
    }

    /// True when a pause or a stop has been asked for (the next safe point will act on it).
    pub fn halt_requested(&self) -> bool {
        self.hub.control.stop.load(Ordering::SeqCst)
            || self.hub.control.paused.load(Ordering::SeqCst)
    }

    /// Commits a step (flushed) and publishes its events.
    pub fn commit(&self, step: Step) -> Result<(), Halt> {
        self.hub
            .commit_and_publish(|| self.store.commit(step))
            .map_err(|e| Halt::Failed(e.to_string()))
    }

    pub fn step(&self) -> Step {
        Step::new(self.run)
    }

    pub fn emit(
        &self,
        level: Level,
        agent: Option<AgentKind>,
        kind: EventKind,
    ) -> Result<(), Halt> {
        let mut step = self.step();
        step.event(level, agent, kind);
        self.commit(step)
    }

    pub fn log(
        &self,
        agent: AgentKind,
        level: Level,
        message: impl Into<String>,
    ) -> Result<(), Halt> {
        self.emit(
            level,
            Some(agent),
            EventKind::Log {
                message: message.into(),
            },
        )
    }

    pub fn status(
        &self,
        agent: AgentKind,
        status: &str,
        task: impl Into<String>,
        done: u64,
        total: u64,
    ) -> Result<(), Halt> {
        let mut step = self.step();
        step.agent_status(agent, status, task, done, total);
        self.commit(step)
    }

    /// Transient progress shown live but not journaled (an event per page would cost a flush).
    pub fn progress(&self, agent: AgentKind, task: impl Into<String>, done: u64, total: u64) {
        let task = task.into();
        self.hub.update(|s| {
            if let Some(a) = s.agents.iter_mut().find(|a| a.agent == agent) {
                a.status = "running".into();
                a.task = task;
                a.done = done;
                a.total = total;
            }
        });
    }

    /// Entities this run moves: what the source has, limited to the config's list, in
    /// dependency order.
    pub fn entities(&self, available: &[Entity]) -> Vec<Entity> {
        let wanted = &self.cfg.run.entities;
        Entity::ALL
            .into_iter()
            .filter(|e| available.contains(e))
            .filter(|e| wanted.is_empty() || wanted.contains(e))
            .collect()
    }

    pub fn open_source(&self) -> Result<Box<dyn storeshift_connectors::Source>, Halt> {
        let opened = if self.cfg.source.kind == storeshift_connectors::EndpointKind::Files {
            // Files whose columns were mapped in this run are read through their mapping.
            let decided = crate::agents::file_mapping::decided(self);
            storeshift_connectors::files::open_source_with(
                &self.cfg.source,
                &self.cfg.base_dir,
                &decided,
            )
        } else {
            storeshift_connectors::open_source(
                &with_scratch(&self.cfg.source, &self.ws.scratch().join("source")),
                &self.cfg.base_dir,
            )
        };
        opened.map_err(|e| {
            Halt::Failed(format!(
                "cannot open the source ({}): {e}",
                self.cfg.source.describe()
            ))
        })
    }

    pub fn save_phase<V: Serialize>(&self, name: &str, value: &V) -> Result<(), Halt> {
        let mut step = self.step();
        step.put_json(T::Phases, phase_key(self.run, name), value);
        self.commit(step)
    }

    pub fn load_phase<V: serde::de::DeserializeOwned>(&self, name: &str) -> Option<V> {
        self.store
            .get_json(T::Phases, phase_key(self.run, name))
            .ok()
            .flatten()
    }

    /// Adds the intervention to `step` unless it already exists (a restart never re-creates it).
    pub fn raise(&self, step: &mut Step, iv: Intervention) -> Result<bool, Halt> {
        if self
            .store
            .intervention(&iv.id)
            .map_err(|e| Halt::Failed(e.to_string()))?
            .is_some()
        {
            return Ok(false);
        }
        let mut iv = iv;
        // A decision made before `storeshift recover` rebuilt the state still stands.
        if let Ok(Some(d)) = self
            .store
            .get_json::<Decision>(T::Meta, format!("carried/{}", iv.id))
        {
            step.event(
                Level::Info,
                None,
                EventKind::Log {
                    message: format!(
                        "intervention {} keeps its earlier decision ({}) from before recovery",
                        iv.id, d.option
                    ),
                },
            );
            iv.decision = Some(d);
        }
        step.event(
            Level::Warn,
            None,
            EventKind::InterventionRaised {
                id: iv.id.clone(),
                title: iv.title.clone(),
            },
        );
        step.put_json(T::Interventions, &iv.id, &iv);
        Ok(true)
    }

    /// Waits until every intervention of this run whose step starts with `prefix` is decided.
    /// Under the `recommended` policy each takes its recommended option, recorded as automatic.
    pub async fn await_decisions(&self, prefix: &str) -> Result<(), Halt> {
        loop {
            let notified = self.hub.control.notify.notified();
            if self.hub.control.stop.load(Ordering::SeqCst) {
                return Err(Halt::Stopped);
            }
            let pending: Vec<Intervention> = self
                .store
                .interventions()
                .map_err(|e| Halt::Failed(e.to_string()))?
                .into_iter()
                .filter(|i| i.run == self.run && i.is_pending() && i.step.starts_with(prefix))
                .collect();
            if pending.is_empty() {
                self.hub
                    .set_state(if self.hub.control.paused.load(Ordering::SeqCst) {
                        RunState::Paused
                    } else {
                        RunState::Running
                    });
                return Ok(());
            }
            match self.policy {
                InterventionPolicy::Recommended => {
                    for iv in pending {
                        let by = Actor {
                            via: "headless-auto".into(),
                            ..Actor::current("headless-auto")
                        };
                        decide(
                            &self.store,
                            &self.hub,
                            self.run,
                            &iv.id,
                            &iv.recommended,
                            Some("recommended option taken automatically (headless run)".into()),
                            by,
                        )
                        .map_err(Halt::Failed)?;
                    }
                }
                InterventionPolicy::Ask => {
                    self.hub.set_state(RunState::WaitingForOperator);
                    if !self.interactive_waiting_allowed() {
                        return Err(Halt::NeedsOperator);
                    }
                    notified.await;
                }
            }
        }
    }

    /// Waits until every intervention of this run whose step starts with `prefix` is decided
    /// by a person: no policy decides these (the freeze and domain steps of a cutover state
    /// facts only the operator knows). Headless runs stop and exit; console runs wait.
    pub async fn await_person(&self, prefix: &str) -> Result<(), Halt> {
        loop {
            let notified = self.hub.control.notify.notified();
            if self.hub.control.stop.load(Ordering::SeqCst) {
                return Err(Halt::Stopped);
            }
            let pending = self
                .store
                .interventions()
                .map_err(|e| Halt::Failed(e.to_string()))?
                .into_iter()
                .any(|i| i.run == self.run && i.is_pending() && i.step.starts_with(prefix));
            if !pending {
                self.hub
                    .set_state(if self.hub.control.paused.load(Ordering::SeqCst) {
                        RunState::Paused
                    } else {
                        RunState::Running
                    });
                return Ok(());
            }
            self.hub.set_state(RunState::WaitingForOperator);
            if !self.interactive_waiting_allowed() {
                return Err(Halt::NeedsOperator);
            }
            notified.await;
        }
    }

    /// Headless `ask` runs stop and exit; console and attached runs wait.
    fn interactive_waiting_allowed(&self) -> bool {
        self.hub.control.wait_for_operator.load(Ordering::SeqCst)
    }

    /// The option chosen for each decided intervention of this run, keyed by its step.
    pub fn decisions(&self) -> BTreeMap<String, String> {
        self.store
            .interventions()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.run == self.run)
            .filter_map(|i| i.decision.map(|d| (i.step, d.option)))
            .collect()
    }

    /// The notes of this run's decisions that have one, by step (a domain, a reason).
    pub fn decision_notes(&self) -> BTreeMap<String, String> {
        self.store
            .interventions()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.run == self.run)
            .filter_map(|i| i.decision.and_then(|d| Some((i.step, d.note?))))
            .collect()
    }

    pub fn run_record(&self) -> Result<RunRecord, Halt> {
        self.store
            .get_json::<RunRecord>(T::Meta, run_key(self.run))
            .map_err(|e| Halt::Failed(e.to_string()))?
            .ok_or_else(|| Halt::Failed(format!("run {} has no record", self.run)))
    }

    pub fn checkpoint(&self, entity: Entity) -> EntityCheckpoint {
        self.store
            .get_json(T::Cursors, cursor_key(self.run, entity))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Where file targets write this run's import files.
    pub fn output_dir(&self) -> PathBuf {
        self.ws.output(self.run)
    }

    /// The target's endpoint as its readers open it (verification's read-back, the SEO
    /// agent's redirects, the taxonomy): big downloads go to the workspace's scratch, on the
    /// disk the operator chose, not to the system's temporary directory.
    pub fn target_reader_spec(&self) -> storeshift_connectors::EndpointSpec {
        target_reader_spec(&self.cfg, &self.ws)
    }
}

/// See [`Inner::target_reader_spec`].
pub fn target_reader_spec(
    cfg: &MigrationConfig,
    ws: &Workspace,
) -> storeshift_connectors::EndpointSpec {
    with_scratch(&cfg.target, &ws.scratch().join("target"))
}

/// Records a decision durably. Decisions go by id; a decided intervention is never re-decided.
/// Returns the committed events (publish them when a hub is live).
pub fn record_decision(
    store: &Store,
    run: u32,
    id: &str,
    option: &str,
    note: Option<String>,
    by: Actor,
) -> Result<Vec<crate::Event>, String> {
    record_decision_with(store, run, id, option, note, None, by)
}

/// [`record_decision`] for an option that takes a value (an edited column mapping).
pub fn record_decision_with(
    store: &Store,
    run: u32,
    id: &str,
    option: &str,
    note: Option<String>,
    value: Option<serde_json::Value>,
    by: Actor,
) -> Result<Vec<crate::Event>, String> {
    let mut iv = store
        .intervention(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no intervention with id {id} (`storeshift status` lists them)"))?;
    if let Some(d) = &iv.decision {
        return Err(format!(
            "intervention {id} was already decided ({}) by {} at {}",
            d.option,
            d.by.describe(),
            d.at
        ));
    }
    // `OPTION:NOTE` is the option with its note (`domain:shop.example`).
    let (option, note) = match (iv.option(option), option.split_once(':')) {
        (None, Some((key, rest))) if iv.option(key).is_some() && note.is_none() => {
            (key, Some(rest.to_string()))
        }
        _ => (option, note),
    };
    if iv.option(option).is_none() {
        let keys: Vec<&str> = iv.options.iter().map(|o| o.key.as_str()).collect();
        return Err(format!(
            "intervention {id} has no option {option:?}; options: {}",
            keys.join(", ")
        ));
    }
    let note = crate::no_email::check_decision(&iv, option, note)?;
    // A note the decision cannot do without travels in the event as `OPTION:NOTE`, so a
    // state recovered from the event log decides the same.
    let logged = match (
        &note,
        option == crate::no_email::DOMAIN && iv.step == crate::no_email::step(),
    ) {
        (Some(n), true) => format!("{option}:{n}"),
        _ => option.to_string(),
    };
    crate::agents::file_mapping::check_decision(&iv, option, value.as_ref())?;
    iv.decision = Some(Decision {
        option: option.to_string(),
        note,
        value: value.clone(),
        by: by.clone(),
        at: now_rfc3339(),
    });
    let mut step = Step::new(run);
    step.put_json(T::Interventions, id, &iv);
    step.event(
        Level::Info,
        None,
        EventKind::InterventionDecided {
            id: id.to_string(),
            option: logged,
            by,
            value,
        },
    );
    store.commit(step).map_err(|e| e.to_string())
}

/// Records a decision and wakes whoever waits for it.
pub fn decide(
    store: &Store,
    hub: &Hub,
    run: u32,
    id: &str,
    option: &str,
    note: Option<String>,
    by: Actor,
) -> Result<(), String> {
    decide_with(store, hub, run, id, option, note, None, by)
}

/// [`decide`] for an option that takes a value.
#[allow(clippy::too_many_arguments)]
pub fn decide_with(
    store: &Store,
    hub: &Hub,
    run: u32,
    id: &str,
    option: &str,
    note: Option<String>,
    value: Option<serde_json::Value>,
    by: Actor,
) -> Result<(), String> {
    hub.commit_and_publish(|| record_decision_with(store, run, id, option, note, value, by))?;
    hub.control.notify.notify_waiters();
    Ok(())
}

/// Persists the pause flag (a run killed while paused comes back paused).
pub fn record_pause(
    store: &Store,
    run: u32,
    paused: bool,
    by: Actor,
) -> Result<Vec<crate::Event>, String> {
    let mut step = Step::new(run);
    step.put_json(T::Meta, PAUSED, &PauseFlag { paused });
    step.event(
        Level::Info,
        None,
        if paused {
            EventKind::Paused { by }
        } else {
            EventKind::Resumed { by }
        },
    );
    store.commit(step).map_err(|e| e.to_string())
}

/// Sets the persisted pause flag of a live run.
pub fn set_paused(
    store: &Store,
    hub: &Hub,
    run: u32,
    paused: bool,
    by: Actor,
) -> Result<(), String> {
    if hub.control.paused.load(Ordering::SeqCst) == paused {
        return Ok(());
    }
    hub.commit_and_publish(|| {
        let events = record_pause(store, run, paused, by)?;
        hub.control.paused.store(paused, Ordering::SeqCst);
        Ok::<_, String>(events)
    })?;
    hub.control.notify.notify_waiters();
    Ok(())
}

pub fn is_paused(store: &Store) -> bool {
    store
        .get_json::<PauseFlag>(T::Meta, PAUSED)
        .ok()
        .flatten()
        .map(|p| p.paused)
        .unwrap_or(false)
}

pub fn current_run(store: &Store) -> Option<RunRecord> {
    let n: u32 = store.get_json(T::Meta, CURRENT_RUN).ok().flatten()?;
    store.get_json(T::Meta, run_key(n)).ok().flatten()
}

pub struct RunHandle {
    pub hub: Arc<Hub>,
    pub store: Arc<Store>,
    pub ws: Workspace,
    pub run: u32,
    pub join: JoinHandle<RunOutcome>,
    commands: mpsc::Sender<Command>,
}

impl RunHandle {
    pub fn link(&self) -> Link {
        self.hub.link()
    }
    pub fn commands(&self) -> mpsc::Sender<Command> {
        self.commands.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
    /// `sync` before a migration finished.
    #[error("{0}")]
    NotSynced(String),
}

/// `spec` with the `scratch_dir` its connector keeps big downloads in (a Shopify bulk result)
/// set to `dir` in the workspace, unless the config names one (a disk with more room).
pub fn with_scratch(
    spec: &storeshift_connectors::EndpointSpec,
    dir: &std::path::Path,
) -> storeshift_connectors::EndpointSpec {
    let mut spec = spec.clone();
    spec.options
        .entry("scratch_dir".into())
        .or_insert_with(|| dir.to_string_lossy().into_owned().into());
    spec
}

/// Opens the workspace, finds the run to resume (or starts the next one) and spawns it.
pub async fn start(cfg: MigrationConfig, opts: StartOptions) -> Result<RunHandle, StartError> {
    start_kind(cfg, opts, Kind::Migration, None, false).await
}

/// What a start begins (or resumes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Migration,
    Sync,
    Cutover,
}

/// Starts the cutover checklist (or resumes the one under way); refused until a migration
/// finished. `options` replace the saved ones when given (a resumed cutover keeps them).
pub async fn start_cutover(
    cfg: MigrationConfig,
    opts: StartOptions,
    options: Option<crate::cutover::CutoverOptions>,
) -> Result<RunHandle, StartError> {
    start_kind(cfg, opts, Kind::Cutover, options, false).await
}

/// Starts one sync cycle (or resumes the one a crash interrupted); refused until a migration
/// finished, since a cycle moves only what changed after one. A new cycle is full when `full`
/// asks for it or `[sync] full_every` says it is due; a resumed one stays what it began as.
pub async fn start_sync(
    cfg: MigrationConfig,
    opts: StartOptions,
    full: bool,
) -> Result<RunHandle, StartError> {
    start_kind(cfg, opts, Kind::Sync, None, full).await
}

async fn start_kind(
    cfg: MigrationConfig,
    opts: StartOptions,
    kind: Kind,
    cutover_options: Option<crate::cutover::CutoverOptions>,
    full: bool,
) -> Result<RunHandle, StartError> {
    let sync = kind != Kind::Migration;
    let cutover = kind == Kind::Cutover;
    let ws = Workspace::new(cfg.workspace_dir());
    ws.create().map_err(|e| {
        StartError::Io(format!("cannot create workspace {}: {e}", ws.dir.display()))
    })?;
    let store = Arc::new(Store::open_for_run(&ws.state())?);

    let previous = current_run(&store);
    // An operator's `f` in a sync console: the next new cycle is full.
    let full_request = if kind == Kind::Sync {
        crate::sync::full_requested(&store)
    } else {
        None
    };
    let (record, resumed) = match previous {
        Some(r) if r.cutover && !cutover && r.state != RunState::Done => {
            return Err(StartError::NotSynced(format!(
                "a cutover is under way in {}: continue it with `storeshift cutover`",
                ws.dir.display()
            )));
        }
        Some(r) if r.sync && !r.cutover && cutover && r.state != RunState::Done => {
            return Err(StartError::NotSynced(format!(
                "sync cycle {} of {} has not finished: finish it with `storeshift sync` before the cutover",
                r.run,
                ws.dir.display()
            )));
        }
        Some(r)
            if r.cutover
                && cutover
                && r.state == RunState::Done
                && !crate::cutover::was_abandoned(&store, r.run) =>
        {
            return Err(StartError::NotSynced(format!(
                "the cutover of {} finished at {}: its steps are in the report",
                ws.dir.display(),
                r.finished_at.clone().unwrap_or_default()
            )));
        }
        Some(r) if r.state != RunState::Done => {
            if sync && !r.sync {
                return Err(StartError::NotSynced(format!(
                    "run {} of {} has not finished: finish it with `storeshift run` before syncing",
                    r.run,
                    ws.dir.display()
                )));
            }
            (r, true)
        }
        Some(r) => {
            let mut next = new_run(r.run + 1, true);
            next.sync = sync;
            next.cutover = cutover;
            next.full = kind == Kind::Sync
                && (full
                    || full_request.is_some()
                    || crate::sync::full_due(&store, next.run, cfg.sync.full_every));
            (next, false)
        }
        None if sync => {
            return Err(StartError::NotSynced(format!(
                "{} has no finished migration to keep in sync: run `storeshift run` first",
                ws.dir.display()
            )))
        }
        None => (new_run(1, false), false),
    };
    let run = record.run;
    if let Some(o) = &cutover_options {
        crate::cutover::save_options(&store, o).map_err(StartError::Io)?;
    }
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(64);
    let snapshot = seed_snapshot(&store, &record, &cfg);
    let hub = Arc::new(Hub::new(
        store.clone(),
        snapshot,
        &ws.events_mirror(),
        cmd_tx.clone(),
    ));
    hub.set_elapsed_before(record.elapsed_secs);
    let paused = is_paused(&store);
    hub.control.paused.store(paused, Ordering::SeqCst);
    hub.control
        .wait_for_operator
        .store(opts.wait_for_operator, Ordering::SeqCst);

    let source = cfg.source.describe();
    let target = cfg.target.describe();
    let mut step = Step::new(run);
    let mut rec = record.clone();
    if rec.state != RunState::Paused {
        rec.state = RunState::Running;
    }
    step.put_json(T::Meta, CURRENT_RUN, &run);
    step.put_json(T::Meta, run_key(run), &rec);
    step.event(
        Level::Info,
        None,
        EventKind::RunStarted {
            source,
            target,
            resumed,
        },
    );
    if paused {
        step.event(
            Level::Warn,
            None,
            EventKind::Log {
                message: "run is paused: resume with `p` or `storeshift resume`".into(),
            },
        );
    }
    // This new full cycle carries out the request, in the commit that records it: a kill
    // before leaves the request for the next start, a kill after cannot make a second one.
    // A resumed cycle stays what it began as and leaves the request to the next.
    if let Some(req) = full_request.filter(|_| rec.full && !resumed) {
        crate::sync::take_full_request(&mut step);
        step.event(
            Level::Info,
            None,
            EventKind::FullCycleStarted {
                asked_by: req.by,
                asked_at: req.at,
            },
        );
    }
    hub.commit_and_publish(|| store.commit(step))?;
    if paused {
        hub.set_state(RunState::Paused);
    }
    // Copy the config, paths made absolute, so commands given only the workspace find it.
    let mut copy = cfg.clone();
    let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    copy.workspace = abs(&ws.dir);
    for spec in [&mut copy.source, &mut copy.target] {
        if let Some(p) = spec.resolved_path(&cfg.base_dir) {
            spec.path = Some(abs(&p));
        }
        for (_, f) in spec.files.iter_mut() {
            *f = abs(&cfg.base_dir.join(&*f));
        }
    }
    if let Ok(text) = toml::to_string_pretty(&copy) {
        let _ = std::fs::write(ws.config_copy(), text);
    }

    let ctx = Ctx(Arc::new(Inner {
        cfg,
        ws: ws.clone(),
        store: store.clone(),
        hub: hub.clone(),
        run,
        policy: opts.policy,
        incremental: record.incremental,
        early: Default::default(),
    }));

    // Aborted when the run ends: the loop holds the store, which must close with the run so a
    // sync loop can open it between cycles (and other commands can while none runs).
    let commands = tokio::spawn(command_loop(store.clone(), hub.clone(), run, cmd_rx));
    let ticker_hub = hub.clone();
    let ticker = tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(1));
        loop {
            iv.tick().await;
            ticker_hub.tick();
        }
    });
    let control = if opts.control_socket {
        Some(
            crate::control::serve(ws.socket(), store.clone(), hub.clone())
                .map_err(StartError::Io)?,
        )
    } else {
        None
    };

    let join = tokio::spawn(async move {
        let outcome = orchestrator::run(ctx.clone()).await;
        finish(&ctx, &outcome);
        ticker.abort();
        commands.abort();
        ctx.hub.tick();
        if let Some(c) = control {
            c.shutdown().await;
        }
        outcome
    });
    Ok(RunHandle {
        hub,
        store,
        ws,
        run,
        join,
        commands: cmd_tx,
    })
}

fn new_run(run: u32, incremental: bool) -> RunRecord {
    RunRecord {
        run,
        started_at: now_rfc3339(),
        finished_at: None,
        state: RunState::Starting,
        phases_done: vec![],
        incremental,
        sync: false,
        cutover: false,
        full: false,
        elapsed_secs: 0,
        message: None,
    }
}

/// A snapshot rebuilt from the state database (for `status` when no run is live).
pub fn snapshot_from_store(store: &Store, source: String, target: String) -> Option<Snapshot> {
    let record = current_run(store)?;
    let mut s = seed(store, &record, source, target);
    s.state = if is_paused(store) && !record.state.is_final() {
        RunState::Paused
    } else {
        record.state
    };
    if s.state == RunState::Running || s.state == RunState::Starting {
        // Nobody is running it now: it stopped (quit, killed) and resumes with `storeshift run`.
        s.state = RunState::Paused;
    }
    Some(s)
}

fn seed_snapshot(store: &Store, record: &RunRecord, cfg: &MigrationConfig) -> Snapshot {
    seed(store, record, cfg.source.describe(), cfg.target.describe())
}

fn seed(store: &Store, record: &RunRecord, source: String, target: String) -> Snapshot {
    let mut s = Snapshot::new(record.run, source, target);
    s.started_at = record.started_at.clone();
    s.kind = match (record.sync, record.cutover, record.full) {
        (_, true, _) => Some(crate::snapshot::RunKind::Cutover),
        (true, _, true) => Some(crate::snapshot::RunKind::FullSync),
        (true, _, false) => Some(crate::snapshot::RunKind::Sync),
        (false, ..) => None,
    };
    s.elapsed_secs = record.elapsed_secs;
    for (p, st) in s.phases.iter_mut() {
        if record.phases_done.contains(p) {
            *st = PhaseState::Done;
        }
    }
    for entity in Entity::ALL {
        if let Ok(Some(cp)) =
            store.get_json::<EntityCheckpoint>(T::Cursors, cursor_key(record.run, entity))
        {
            s.entities.push(crate::snapshot::EntityProgress {
                entity,
                counts: cp.counts,
                expected: None,
            });
        }
    }
    if let Ok(Some(expected)) =
        store.get_json::<BTreeMap<Entity, u64>>(T::Phases, phase_key(record.run, "expected_counts"))
    {
        for e in s.entities.iter_mut() {
            e.expected = expected.get(&e.entity).copied();
        }
    }
    s.interventions = store.interventions().unwrap_or_default();
    s.last_seq = store.last_seq().unwrap_or(0);
    s
}

/// Records how the run ended; a stopped or waiting run stays resumable.
fn finish(ctx: &Ctx, outcome: &RunOutcome) {
    let mut rec = match ctx.run_record() {
        Ok(r) => r,
        Err(_) => return,
    };
    let snap = ctx.hub.snapshot();
    rec.elapsed_secs = snap.elapsed_secs;
    let (state, summary, level) = match outcome {
        RunOutcome::Done if rec.cutover && crate::cutover::was_abandoned(&ctx.store, ctx.run) => (
            RunState::Done,
            format!(
                "cutover called off (run {}): syncing may go on; `storeshift cutover` starts a new one",
                ctx.run
            ),
            Level::Warn,
        ),
        RunOutcome::Done if rec.cutover => (
            RunState::Done,
            format!("cutover complete (run {})", ctx.run),
            Level::Info,
        ),
        RunOutcome::Done if rec.sync => (
            RunState::Done,
            format!("sync cycle {} complete", ctx.run),
            Level::Info,
        ),
        RunOutcome::Done => (
            RunState::Done,
            "migration complete".to_string(),
            Level::Info,
        ),
        RunOutcome::Failed { message } => (RunState::Failed, message.clone(), Level::Error),
        RunOutcome::WaitingForOperator => (
            RunState::WaitingForOperator,
            "waiting for an operator decision".to_string(),
            Level::Warn,
        ),
        RunOutcome::Stopped => (
            RunState::Paused,
            "stopped; resumes where it stopped".to_string(),
            Level::Info,
        ),
    };
    rec.state = if matches!(outcome, RunOutcome::Stopped)
        && !ctx.hub.control.paused.load(Ordering::SeqCst)
    {
        RunState::Running
    } else {
        state
    };
    if state.is_final() {
        rec.finished_at = Some(now_rfc3339());
    }
    rec.message = Some(summary.clone());
    let mut step = ctx.step();
    step.put_json(T::Meta, run_key(ctx.run), &rec);
    if state.is_final() {
        step.event(level, None, EventKind::RunFinished { state, summary });
    } else {
        step.event(level, None, EventKind::Log { message: summary });
    }
    let _ = ctx.commit(step);
    if state == RunState::Done {
        // A finished run resumes nothing, so a download a kill left half read is of no use.
        if let Err(e) = std::fs::remove_dir_all(ctx.ws.scratch()) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("cannot empty {}: {e}", ctx.ws.scratch().display());
            }
        }
    }
    if (state.is_final() && !rec.sync) || rec.cutover {
        // The report states the final outcome, so it is (re)written after it is recorded.
        // A sync cycle keeps the migration's report; its own summary is in the event log.
        // A cutover adds its steps to the migration's report each time it stops.
        let _ = crate::report::write(ctx);
    }
    if !state.is_final() {
        ctx.hub
            .set_state(if matches!(outcome, RunOutcome::WaitingForOperator) {
                RunState::WaitingForOperator
            } else {
                RunState::Paused
            });
    }
}

/// Carries out one command against a live run. The in-process command loop and the control
/// socket both come here, so a command means the same thing whichever way it arrives.
pub fn apply(store: &Store, hub: &Hub, run: u32, command: Command) -> Result<(), String> {
    match command {
        Command::Pause { by } => set_paused(store, hub, run, true, by),
        Command::Resume { by } => set_paused(store, hub, run, false, by),
        Command::Decide {
            id,
            option,
            note,
            by,
            value,
        } => decide_with(store, hub, run, &id, &option, note, value, by),
        Command::FullCycle { by } => {
            hub.commit_and_publish(|| crate::sync::request_full(store, run, by))
        }
        Command::Stop => {
            hub.control.stop.store(true, Ordering::SeqCst);
            hub.control.notify.notify_waiters();
            Ok(())
        }
    }
}

async fn command_loop(store: Arc<Store>, hub: Arc<Hub>, run: u32, mut rx: mpsc::Receiver<Command>) {
    while let Some(cmd) = rx.recv().await {
        if let Err(message) = apply(&store, &hub, run, cmd) {
            let mut step = Step::new(run);
            step.event(Level::Warn, None, EventKind::Log { message });
            let _ = hub.commit_and_publish(|| store.commit(step));
        }
    }
}
