//! `storeshift sync` on a terminal: one console for every cycle.
//!
//! Each cycle is a run of its own with its own hub, so the console cannot hold a cycle's link:
//! it would end with the cycle. Instead this loop owns a link of its own for the whole session
//! and feeds it: during a cycle, the cycle's snapshots and events pass through; between cycles
//! it publishes the last cycle's snapshot with the sync status (`Snapshot::sync`: history, lag,
//! countdown, failures). Commands from the console go to the cycle in flight; between cycles
//! the loop carries them out on the state itself, the way `storeshift pause`/`decide` do when
//! no run is live, so a pause made here or from another shell is the same persisted flag.

use crate::cli::SyncArgs;
use crate::run::{self, exit};
use crate::{console, logging, metrics};
use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};
use storeshift_agents::store::{Step, Store, StoreError};
use storeshift_agents::{
    control, runtime, sync, Command, CycleRow, Event, EventKind, EventTap, InterventionPolicy,
    Level, Link, MigrationConfig, RunHandle, RunOutcome, RunState, Snapshot, StartOptions,
    SyncStatus, Workspace,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Cycles kept in the console's history.
const HISTORY: usize = 8;
/// Failed records of the last cycle listed by name.
const FAILURES: usize = 5;
/// Events the console's log starts with.
const BACKLOG: usize = 2000;

pub async fn run(
    args: &SyncArgs,
    cfg: MigrationConfig,
    ws: Workspace,
    every: Option<Duration>,
) -> Result<i32> {
    if control::is_live(&ws.socket()).await {
        bail!(
            "a run is already live in {} — watch it with `storeshift attach {}` or `storeshift status {}`",
            ws.dir.display(),
            ws.dir.display(),
            ws.dir.display()
        );
    }
    if !ws.state().exists() {
        bail!(
            "{} has no state: run `storeshift run` first",
            ws.dir.display()
        );
    }
    let store = open_store(&ws, Duration::from_secs(10))
        .await?
        .ok_or_else(|| anyhow!("the state of {} stays locked", ws.dir.display()))?;
    let (source, target) = (cfg.source.describe(), cfg.target.describe());
    let base = runtime::snapshot_from_store(&store, source.clone(), target.clone())
        .unwrap_or_else(|| Snapshot::new(0, source, target));
    let upto = runtime::current_run(&store).map(|r| r.run).unwrap_or(0);
    let past = sync::recent(&store, upto, HISTORY);
    // Before any cycle of this session, the newest finished cycle bounds the lag; with none,
    // the migration it follows (the first cycle reads back to when that started).
    let moved_upto = past
        .last()
        .map(|s| s.started_at.clone())
        .or_else(|| {
            runtime::current_run(&store)
                .filter(|r| r.state == RunState::Done)
                .map(|r| r.started_at)
        })
        .and_then(|t| parse_time(&t));
    let backlog = store.recent_events(BACKLOG).unwrap_or_default();
    let held = runtime::is_paused(&store);
    let cutover = sync::cutover_requested(&store);
    let full_every = cfg.sync.full_every;
    let full_request = sync::full_requested(&store).map(|r| asked_by(&r));
    let full_due = full_due_next(&store, full_every);
    drop(store);

    let _log_guard = logging::init(&ws.logs());
    let policy = run::policy(&cfg, &args.front, true);
    let (snap_tx, _) = watch::channel(base.clone());
    let mut d = Driver {
        cfg,
        ws,
        every,
        policy,
        snap_tx,
        taps: vec![],
        last_seq: backlog.last().map(|e| e.seq).unwrap_or(0),
        base,
        history: past.iter().map(|s| s.row()).collect(),
        moved_upto,
        due: Some(Instant::now()),
        held,
        failures: vec![],
        cycle_failures: vec![],
        error: None,
        ended: None,
        outcome: None,
        full: args.full,
        full_request,
        full_due,
    };
    if let Some(at) = cutover {
        d.end(
            format!("cutover requested at {at}: syncing stopped"),
            RunState::Done,
            exit::DONE,
        );
    }
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(64);
    let link = d.link(cmd_tx, backlog);
    if let Some(addr) = args.front.metrics {
        // Its own command channel: only the console's closing means the operator left.
        let (metrics_cmds, _) = mpsc::channel(1);
        metrics::serve(addr, d.link(metrics_cmds, vec![])).await?;
        eprintln!("metrics: http://{addr}/metrics");
    }
    // The first cycle starts before the console opens: a workspace that cannot sync says so
    // on the terminal, as `storeshift sync` does headless.
    let first = if d.ended.is_none() && !d.held {
        Some(d.start().await.map_err(|e| anyhow!(e))?)
    } else {
        None
    };
    d.publish_idle();
    let driver = tokio::spawn(d.drive(cmd_rx, first));
    let ui = console::run(link, run::console_options(&args.front)).await;
    // The link (and with it the command sender) is gone: the loop stops syncing at a safe
    // point and returns.
    let code = driver
        .await
        .map_err(|e| anyhow!("the sync loop crashed: {e}"))??;
    ui?;
    match code {
        exit::STOPPED => eprintln!(
            "syncing stopped with everything checkpointed. Continue with `storeshift sync {}`.",
            args.workspace.display()
        ),
        exit::FAILED => eprintln!(
            "the sync cycle failed; everything up to the failure is checkpointed: fix the cause and run `storeshift sync` again."
        ),
        _ => {}
    }
    Ok(code)
}

/// A cycle in flight: what the loop keeps of its run handle. Dropped when the cycle ends, so
/// the state database closes between cycles for `decide`, `pause` and `status`.
struct Cycle {
    run: u32,
    hub: std::sync::Arc<storeshift_agents::hub::Hub>,
    store: std::sync::Arc<Store>,
    commands: mpsc::Sender<Command>,
    began: Instant,
    began_wall: DateTime<Utc>,
}

/// A started cycle and the streams the loop follows.
struct Started {
    cycle: Cycle,
    snapshots: watch::Receiver<Snapshot>,
    events: mpsc::Receiver<Event>,
    join: JoinHandle<RunOutcome>,
    history: Vec<Event>,
}

struct Driver {
    cfg: MigrationConfig,
    ws: Workspace,
    every: Option<Duration>,
    policy: InterventionPolicy,
    snap_tx: watch::Sender<Snapshot>,
    taps: Vec<EventTap>,
    /// The newest event passed on: cycles' links repeat history, passed on once.
    last_seq: u64,
    /// The last cycle's snapshot (before the first, the state's): shown between cycles.
    base: Snapshot,
    history: Vec<CycleRow>,
    /// When the last finished cycle began: no change older than that is still unmoved.
    moved_upto: Option<DateTime<Utc>>,
    /// When the next cycle starts; `None`: no further cycle.
    due: Option<Instant>,
    /// The next cycle waits for a resume.
    held: bool,
    failures: Vec<String>,
    cycle_failures: Vec<String>,
    error: Option<String>,
    /// Syncing ended: why.
    ended: Option<String>,
    /// Once ended: the state shown and the exit code.
    outcome: Option<(RunState, i32)>,
    /// `--full` not yet carried out: the next cycle started is full (a resumed cycle stays
    /// what it began as, and the full one follows it).
    full: bool,
    /// A request for a full next cycle in the state (`f` here or in an attached console),
    /// as who asked: the runtime carries it out when it starts the next new cycle.
    full_request: Option<String>,
    /// `[sync] full_every` makes the next cycle full (known between cycles).
    full_due: bool,
}

impl Driver {
    fn link(&mut self, commands: mpsc::Sender<Command>, history: Vec<Event>) -> Link {
        let (tap, events, dropped) = EventTap::channel();
        self.taps.push(tap);
        Link {
            snapshots: self.snap_tx.subscribe(),
            events,
            dropped,
            commands,
            history,
        }
    }

    fn end(&mut self, why: String, state: RunState, code: i32) {
        self.ended = Some(why);
        self.outcome = Some((state, code));
        self.due = None;
    }

    async fn drive(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        first: Option<Started>,
    ) -> Result<i32> {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut cycle: Option<Cycle> = None;
        let mut snaps: Option<watch::Receiver<Snapshot>> = None;
        let mut events: Option<mpsc::Receiver<Event>> = None;
        let mut join: Option<JoinHandle<RunOutcome>> = None;
        let mut stopping = false;
        let mut commands_open = true;
        let mut next = first;
        loop {
            if let Some(s) = next.take() {
                self.cycle_failures.clear();
                for ev in s.history {
                    self.forward(ev);
                }
                self.publish_cycle(s.snapshots.borrow().clone(), s.cycle.run);
                cycle = Some(s.cycle);
                snaps = Some(s.snapshots);
                events = Some(s.events);
                join = Some(s.join);
            }
            tokio::select! {
                biased;
                cmd = commands.recv(), if commands_open => match (cmd, &cycle) {
                    // The console closed (q, or the terminal went): stop at a safe point.
                    (None | Some(Command::Stop), Some(c)) => {
                        commands_open = false;
                        stopping = true;
                        let _ = c.commands.send(Command::Stop).await;
                    }
                    (None | Some(Command::Stop), None) => {
                        return Ok(self.outcome.map(|(_, code)| code).unwrap_or(exit::STOPPED));
                    }
                    // Carried out here on the cycle's own state rather than through its
                    // command loop: a cycle ending at this moment would drop it there, and
                    // the request is for the cycle after it anyway.
                    (Some(cmd @ Command::FullCycle { .. }), Some(c)) => {
                        if let Err(e) = runtime::apply(&c.store, &c.hub, c.run, cmd) {
                            self.error = Some(format!("the full-cycle request failed: {e}"));
                        }
                        self.full_request = sync::full_requested(&c.store).map(|r| asked_by(&r));
                        self.publish_cycle(c.hub.snapshot(), c.run);
                    }
                    (Some(cmd), Some(c)) => {
                        let _ = c.commands.send(cmd).await;
                    }
                    (Some(cmd), None) => {
                        self.between_cycles(cmd).await;
                        self.publish_idle();
                    }
                },
                ev = recv(&mut events) => match ev {
                    Some(ev) => self.forward(ev),
                    None => events = None,
                },
                changed = changed(&mut snaps) => match (changed, &cycle) {
                    (Ok(s), Some(c)) => self.publish_cycle(s, c.run),
                    _ => snaps = None,
                },
                outcome = finished(&mut join) => {
                    join = None;
                    if let Some(mut rx) = events.take() {
                        while let Ok(ev) = rx.try_recv() {
                            self.forward(ev);
                        }
                    }
                    snaps = None;
                    let outcome = outcome.unwrap_or(RunOutcome::Failed {
                        message: "the runtime crashed".into(),
                    });
                    if let Some(c) = cycle.take() {
                        self.cycle_ended(c, &outcome);
                    }
                    if stopping {
                        return Ok(exit::STOPPED);
                    }
                    self.publish_idle();
                }
                _ = tick.tick() => {
                    match &cycle {
                        Some(c) => self.publish_cycle(c.hub.snapshot(), c.run),
                        None => {
                            if self.ended.is_none() {
                                self.poll().await;
                            }
                            if self.ended.is_none()
                                && !self.held
                                && self.due.is_some_and(|d| Instant::now() >= d)
                            {
                                match self.start().await {
                                    Ok(s) => next = Some(s),
                                    Err(e) => self.start_failed(e),
                                }
                            }
                            if next.is_none() {
                                self.publish_idle();
                            }
                        }
                    }
                }
            }
        }
    }

    async fn start(&mut self) -> Result<Started, String> {
        // Someone is watching: intervention points wait for a decision in the console, from
        // the run's first instant.
        let opts = StartOptions {
            policy: self.policy,
            control_socket: true,
            wait_for_operator: true,
        };
        let began = Instant::now();
        let began_wall = Utc::now();
        let handle = storeshift_agents::start_sync(self.cfg.clone(), opts, self.full)
            .await
            .map_err(|e| e.to_string())?;
        run::spawn_event_log(handle.link());
        // A cycle that starts full carries out `--full` and any request (the runtime lifted
        // it in the cycle's first commit); a resumed filtered one leaves both for the next.
        if runtime::current_run(&handle.store).is_some_and(|r| r.full) {
            self.full = false;
        }
        self.full_request = sync::full_requested(&handle.store).map(|r| asked_by(&r));
        self.full_due = false;
        let link = handle.link();
        let commands = handle.commands();
        let run = handle.run;
        let RunHandle {
            hub, store, join, ..
        } = handle;
        Ok(Started {
            cycle: Cycle {
                run,
                hub,
                store,
                commands,
                began,
                began_wall,
            },
            snapshots: link.snapshots,
            events: link.events,
            join,
            history: link.history,
        })
    }

    fn start_failed(&mut self, message: String) {
        match self.every {
            Some(e) => {
                self.error = Some(format!("the next cycle could not start: {message}"));
                self.due = Some(Instant::now() + e);
            }
            None => {
                self.error = Some(format!("the cycle could not start: {message}"));
                self.end("syncing stopped".into(), RunState::Failed, exit::FAILED);
            }
        }
    }

    fn cycle_ended(&mut self, c: Cycle, outcome: &RunOutcome) {
        let summary = sync::summary(&c.store, c.run);
        let failed = summary.as_ref().map(|s| s.failed()).unwrap_or(0);
        let mut failures = std::mem::take(&mut self.cycle_failures);
        if failed as usize > failures.len() && !failures.is_empty() {
            failures.push(format!(
                "{} more (`storeshift events` lists them)",
                failed as usize - failures.len()
            ));
        }
        // A resumed cycle that was not full leaves `--full` to the next one, at once.
        let full_left = self.full && summary.as_ref().is_some_and(|s| !s.full);
        match outcome {
            RunOutcome::Done => {
                self.full = full_left;
                if let Some(s) = &summary {
                    let mut row = s.row();
                    row.secs = Some(c.began.elapsed().as_secs());
                    self.history.push(row);
                    let extra = self.history.len().saturating_sub(HISTORY);
                    self.history.drain(..extra);
                }
                self.moved_upto = Some(c.began_wall);
                self.error = None;
                self.failures = failures;
            }
            RunOutcome::Failed { message } => {
                self.error = Some(format!("cycle {} failed: {message}", c.run));
                self.failures = failures;
            }
            RunOutcome::WaitingForOperator => {
                self.error = Some(format!(
                    "cycle {} stopped at a question nobody answered",
                    c.run
                ));
            }
            RunOutcome::Stopped => {}
        }
        self.base = c.hub.snapshot();
        self.base.interventions = c.store.interventions().unwrap_or_default();
        self.held = runtime::is_paused(&c.store);
        self.full_request = sync::full_requested(&c.store).map(|r| asked_by(&r));
        self.full_due = full_due_next(&c.store, self.cfg.sync.full_every);
        self.due = self.every.map(|e| c.began + e);
        let full_next = self.full && *outcome == RunOutcome::Done;
        if full_next {
            self.due = Some(Instant::now());
        }
        if let Some(at) = sync::cutover_requested(&c.store) {
            self.end(
                format!("cutover requested at {at}: syncing stopped"),
                RunState::Done,
                exit::DONE,
            );
        } else if self.every.is_none() && !full_next {
            match outcome {
                RunOutcome::Done => self.end("one cycle: done".into(), RunState::Done, exit::DONE),
                RunOutcome::WaitingForOperator => self.end(
                    "waiting for a decision".into(),
                    RunState::WaitingForOperator,
                    exit::WAITING_FOR_OPERATOR,
                ),
                _ => self.end("syncing stopped".into(), RunState::Failed, exit::FAILED),
            }
        }
    }

    /// A command while no cycle runs: carried out on the state, as `storeshift pause`,
    /// `resume` and `decide` do when no run is live.
    async fn between_cycles(&mut self, cmd: Command) {
        let store = match open_store(&self.ws, Duration::from_secs(3)).await {
            Ok(Some(s)) => s,
            _ => {
                self.error = Some("the state is busy; try the key again".into());
                return;
            }
        };
        let run = runtime::current_run(&store).map(|r| r.run).unwrap_or(1);
        let result = match cmd {
            Command::Pause { by } => runtime::record_pause(&store, run, true, by),
            Command::Resume { by } => runtime::record_pause(&store, run, false, by),
            Command::Decide {
                id,
                option,
                note,
                by,
                value,
            } => {
                let run = store
                    .intervention(&id)
                    .ok()
                    .flatten()
                    .map(|i| i.run)
                    .unwrap_or(run);
                runtime::record_decision_with(&store, run, &id, &option, note, value, by)
            }
            Command::FullCycle { by } => sync::request_full(&store, run, by),
            Command::Stop => Ok(vec![]),
        };
        let events = match result {
            Ok(events) => events,
            Err(message) => {
                // Said in the log, as the runtime's command loop does.
                let mut step = Step::new(run);
                step.event(Level::Warn, None, EventKind::Log { message });
                store.commit(step).unwrap_or_default()
            }
        };
        for ev in events {
            self.forward(ev);
        }
        self.refresh(&store);
    }

    /// Between cycles, once a second: what other shells did to the state (pause, resume,
    /// decisions, a cutover request) shows here.
    async fn poll(&mut self) {
        // One try: a busy state is read on the next tick.
        if let Ok(Some(store)) = open_store(&self.ws, Duration::ZERO).await {
            if let Ok(events) = store.events_after(self.last_seq, 1000) {
                for ev in events {
                    self.forward(ev);
                }
            }
            self.refresh(&store);
            if let Some(at) = sync::cutover_requested(&store) {
                self.end(
                    format!("cutover requested at {at}: syncing stopped"),
                    RunState::Done,
                    exit::DONE,
                );
            }
        }
    }

    fn refresh(&mut self, store: &Store) {
        self.held = runtime::is_paused(store);
        self.full_request = sync::full_requested(store).map(|r| asked_by(&r));
        self.full_due = full_due_next(store, self.cfg.sync.full_every);
        if let Ok(ivs) = store.interventions() {
            self.base.interventions = ivs;
        }
    }

    fn forward(&mut self, ev: Event) {
        if ev.seq <= self.last_seq {
            return;
        }
        self.last_seq = ev.seq;
        // A request made during a cycle (here or in an attached console) shows at once.
        if let EventKind::FullCycleRequested { by } = &ev.kind {
            self.full_request = Some(format!("asked by {}", by.describe()));
        }
        if let EventKind::Finding { finding, .. } = &ev.kind {
            if finding.code == "load_failed" && self.cycle_failures.len() < FAILURES {
                self.cycle_failures.push(finding.message.clone());
            }
        }
        self.taps.retain(|t| t.send(ev.clone()));
    }

    fn status(&self, cycle: Option<u32>) -> SyncStatus {
        let idle = cycle.is_none() && self.ended.is_none();
        SyncStatus {
            cycle,
            every_secs: self.every.map(|e| e.as_secs()),
            lag_secs: self
                .moved_upto
                .map(|t| u64::try_from((Utc::now() - t).num_seconds()).unwrap_or(0)),
            next_in_secs: self
                .due
                .filter(|_| idle && !self.held)
                .map(|d| ceil_secs(d.saturating_duration_since(Instant::now()))),
            held: idle && self.held,
            ended: self.ended.clone(),
            history: self.history.clone(),
            failures: self.failures.clone(),
            error: self.error.clone(),
            full_next: self.full_next(idle),
        }
    }

    /// Why the next cycle will be full, if it will. `full_every` is known between cycles
    /// only: during one, the count depends on how the cycle in flight ends.
    fn full_next(&self, idle: bool) -> Option<String> {
        if self.full {
            Some("--full".into())
        } else if let Some(who) = &self.full_request {
            Some(who.clone())
        } else if idle && self.full_due {
            Some(format!("[sync] full_every = {}", self.cfg.sync.full_every))
        } else {
            None
        }
    }

    fn publish_idle(&self) {
        let mut s = self.base.clone();
        s.state = match self.outcome {
            Some((state, _)) => state,
            None if self.held => RunState::Paused,
            None => RunState::Running,
        };
        s.eta_secs = None;
        s.sync = Some(self.status(None));
        self.snap_tx.send_replace(s);
    }

    fn publish_cycle(&self, mut s: Snapshot, run: u32) {
        // A cycle's end is not the end of syncing: what comes next is this loop's to say.
        if s.state.is_final() {
            s.state = RunState::Running;
        }
        s.sync = Some(self.status(Some(run)));
        self.snap_tx.send_replace(s);
    }
}

fn asked_by(r: &sync::FullRequest) -> String {
    format!("asked by {}", r.by.describe())
}

/// Why the next sync cycle of a workspace nobody is syncing now will be full, as `storeshift
/// status` says it: an operator's request still owed, or `[sync] full_every` after a
/// finished cycle. `None`: it reads what changed.
pub(crate) fn owed_full_cycle(store: &Store, full_every: u32) -> Option<String> {
    if let Some(r) = sync::full_requested(store) {
        return Some(format!("{} at {}", asked_by(&r), r.at));
    }
    let after_a_cycle = runtime::current_run(store).is_some_and(|r| r.sync);
    (after_a_cycle && full_due_next(store, full_every))
        .then(|| format!("[sync] full_every = {full_every}"))
}

/// Whether `[sync] full_every` makes the cycle after the state's newest finished run full.
fn full_due_next(store: &Store, every: u32) -> bool {
    runtime::current_run(store)
        .filter(|r| r.state == RunState::Done)
        .is_some_and(|r| sync::full_due(store, r.run + 1, every))
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Opens the state, waiting up to `patience` while another process (or a cycle letting go)
/// holds it; `None` when it stays locked.
async fn open_store(ws: &Workspace, patience: Duration) -> Result<Option<Store>> {
    let deadline = Instant::now() + patience;
    loop {
        match Store::open(&ws.state()) {
            Ok(s) => return Ok(Some(s)),
            Err(StoreError::Locked(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(StoreError::Locked(_)) => return Ok(None),
            Err(e) => return Err(anyhow!("{e}")),
        }
    }
}

async fn recv(rx: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn changed(
    rx: &mut Option<watch::Receiver<Snapshot>>,
) -> Result<Snapshot, watch::error::RecvError> {
    match rx {
        Some(rx) => {
            rx.changed().await?;
            Ok(rx.borrow_and_update().clone())
        }
        None => std::future::pending().await,
    }
}

async fn finished(
    join: &mut Option<JoinHandle<RunOutcome>>,
) -> Result<RunOutcome, tokio::task::JoinError> {
    match join {
        Some(j) => j.await,
        None => std::future::pending().await,
    }
}
