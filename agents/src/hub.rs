//! The hub between the runtime and its front ends: folds committed events into the current
//! [`Snapshot`], fans them out to every attached reader without ever blocking, and mirrors them
//! to `events.jsonl` (the log that survives even a damaged state database).

use crate::event::{AgentKind, Event, EventKind, Phase, RunState};
use crate::link::{EventTap, Link};
use crate::snapshot::{EntityProgress, PhaseState, Snapshot};
use crate::store::Store;
use crate::Command;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, watch, Notify};

const HISTORY: usize = 2000;
const RATE_SAMPLES: usize = 120;

/// Pause and stop flags, checked by agents at safe points.
#[derive(Default)]
pub struct Control {
    pub paused: AtomicBool,
    pub stop: AtomicBool,
    /// Set when someone can decide interactively (a console is open): intervention points wait
    /// instead of ending a headless run with "waiting for operator".
    pub wait_for_operator: AtomicBool,
    /// Woken on resume, stop and every decision.
    pub notify: Notify,
}

struct State {
    snapshot: Snapshot,
    taps: Vec<EventTap>,
    mirror: Option<File>,
    recent: VecDeque<Event>,
    started: Instant,
    elapsed_before: u64,
    last_done: u64,
    last_tick: Instant,
}

pub struct Hub {
    state: Mutex<State>,
    /// Held from a commit until its events are published, so readers and the JSONL mirror see
    /// events in sequence order even when several agents commit at once.
    order: Mutex<()>,
    snap_tx: watch::Sender<Snapshot>,
    pub control: Control,
    store: Arc<Store>,
    commands: mpsc::Sender<Command>,
}

impl Hub {
    pub fn new(
        store: Arc<Store>,
        snapshot: Snapshot,
        mirror_path: &Path,
        commands: mpsc::Sender<Command>,
    ) -> Hub {
        let mirror = open_mirror(mirror_path, &store);
        let recent: VecDeque<Event> = store.recent_events(HISTORY).unwrap_or_default().into();
        let (snap_tx, _) = watch::channel(snapshot.clone());
        Hub {
            order: Mutex::new(()),
            state: Mutex::new(State {
                snapshot,
                taps: vec![],
                mirror,
                recent,
                started: Instant::now(),
                elapsed_before: 0,
                last_done: 0,
                last_tick: Instant::now(),
            }),
            snap_tx,
            control: Control::default(),
            store,
            commands,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new front end: the current snapshot, recent history and its own bounded event stream.
    pub fn link(&self) -> Link {
        let (tap, events, dropped) = EventTap::channel();
        let mut st = self.lock();
        st.taps.push(tap);
        Link {
            snapshots: self.snap_tx.subscribe(),
            events,
            dropped,
            commands: self.commands.clone(),
            history: st.recent.iter().cloned().collect(),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.lock().snapshot.clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.snap_tx.subscribe()
    }

    /// Runs `commit` (which commits and flushes a step) and publishes its events, both under
    /// the ordering lock.
    pub fn commit_and_publish<E>(
        &self,
        commit: impl FnOnce() -> Result<Vec<Event>, E>,
    ) -> Result<(), E> {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        let events = commit()?;
        self.publish(events);
        Ok(())
    }

    /// Publishes events that were committed and flushed. Call through [`Hub::commit_and_publish`]
    /// when other tasks may be committing at the same time.
    pub fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let refresh_interventions = events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::InterventionRaised { .. } | EventKind::InterventionDecided { .. }
            )
        });
        let interventions = if refresh_interventions {
            self.store.interventions().ok()
        } else {
            None
        };
        let mut st = self.lock();
        for ev in &events {
            fold(&mut st.snapshot, ev);
        }
        if let Some(list) = interventions {
            st.snapshot.interventions = list;
        }
        if let Some(m) = st.mirror.as_mut() {
            let mut buf = Vec::with_capacity(events.len() * 200);
            for ev in &events {
                if serde_json::to_writer(&mut buf, ev).is_ok() {
                    buf.push(b'\n');
                }
            }
            // The mirror is a recovery aid; a failed write must not stop the migration.
            let _ = m.write_all(&buf);
        }
        for ev in &events {
            st.taps.retain(|t| t.send(ev.clone()));
            if st.recent.len() >= HISTORY {
                st.recent.pop_front();
            }
            st.recent.push_back(ev.clone());
        }
        let snap = st.snapshot.clone();
        drop(st);
        self.snap_tx.send_replace(snap);
    }

    /// Changes a transient state (waiting for the operator) that is not itself an event.
    pub fn set_state(&self, state: RunState) {
        let mut st = self.lock();
        if st.snapshot.state == state {
            return;
        }
        st.snapshot.state = state;
        let snap = st.snapshot.clone();
        drop(st);
        self.snap_tx.send_replace(snap);
    }

    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        let mut st = self.lock();
        f(&mut st.snapshot);
        let snap = st.snapshot.clone();
        drop(st);
        self.snap_tx.send_replace(snap);
    }

    pub fn set_elapsed_before(&self, secs: u64) {
        self.lock().elapsed_before = secs;
    }

    /// Once a second: records/s, the sparkline, elapsed time and the ETA.
    pub fn tick(&self) {
        let mut st = self.lock();
        let now = Instant::now();
        let dt = now.duration_since(st.last_tick).as_secs_f64().max(0.001);
        let done: u64 = st.snapshot.entities.iter().map(|e| e.counts.done()).sum();
        let rate = (done.saturating_sub(st.last_done)) as f64 / dt;
        st.last_done = done;
        st.last_tick = now;
        let elapsed = st.elapsed_before + st.started.elapsed().as_secs();
        let paused = st.snapshot.state == RunState::Paused;
        let s = &mut st.snapshot;
        s.elapsed_secs = elapsed;
        if !paused {
            s.metrics.records_per_sec = rate;
            s.metrics.rate_history.push(rate.round() as u64);
            if s.metrics.rate_history.len() > RATE_SAMPLES {
                let extra = s.metrics.rate_history.len() - RATE_SAMPLES;
                s.metrics.rate_history.drain(..extra);
            }
        }
        let remaining: u64 = s
            .entities
            .iter()
            .map(|e| e.expected.unwrap_or(0).saturating_sub(e.counts.done()))
            .sum();
        let avg = average_rate(&s.metrics.rate_history);
        s.eta_secs = if s.state.is_final() {
            Some(0)
        } else if avg > 0.0 && remaining > 0 {
            Some((remaining as f64 / avg).ceil() as u64)
        } else {
            // Past the load, what is left is the verification, at its own measured rate.
            s.metrics.verify_eta_secs
        };
        let dropped: u64 = st.taps.iter().map(|t| t.dropped()).sum();
        st.snapshot.metrics.dropped_events = dropped;
        let snap = st.snapshot.clone();
        drop(st);
        self.snap_tx.send_replace(snap);
    }
}

fn average_rate(history: &[u64]) -> f64 {
    let recent: Vec<u64> = history
        .iter()
        .rev()
        .take(10)
        .copied()
        .filter(|r| *r > 0)
        .collect();
    if recent.is_empty() {
        0.0
    } else {
        recent.iter().sum::<u64>() as f64 / recent.len() as f64
    }
}

/// Applies one event to the snapshot.
pub fn fold(s: &mut Snapshot, ev: &Event) {
    s.last_seq = s.last_seq.max(ev.seq);
    match &ev.kind {
        EventKind::RunStarted { source, target, .. } => {
            s.run = ev.run;
            s.source = source.clone();
            s.target = target.clone();
            if !s.state.is_final() && s.state != RunState::Paused {
                s.state = RunState::Running;
            }
            if s.started_at.is_empty() {
                s.started_at = ev.at.clone();
            }
        }
        EventKind::PhaseStarted { phase } => {
            s.phase = Some(*phase);
            set_phase(s, *phase, PhaseState::Active);
        }
        EventKind::PhaseFinished { phase } => set_phase(s, *phase, PhaseState::Done),
        EventKind::AgentStatus {
            agent,
            status,
            task,
            done,
            total,
        } => {
            if let Some(a) = s.agents.iter_mut().find(|a| a.agent == *agent) {
                a.status = status.clone();
                a.task = task.clone();
                a.done = *done;
                a.total = *total;
            }
        }
        EventKind::BatchCommitted {
            entity,
            totals,
            expected,
            millis,
            ..
        } => {
            match s.entities.iter_mut().find(|e| e.entity == *entity) {
                Some(e) => {
                    e.counts = *totals;
                    if expected.is_some() {
                        e.expected = *expected;
                    }
                }
                None => s.entities.push(EntityProgress {
                    entity: *entity,
                    counts: *totals,
                    expected: *expected,
                }),
            }
            s.metrics.batch_millis_last = *millis;
            s.metrics.errors = s.entities.iter().map(|e| e.counts.failed).sum();
            let done: u64 = s.entities.iter().map(|e| e.counts.done()).sum();
            let total: u64 = s
                .entities
                .iter()
                .map(|e| e.expected.unwrap_or(e.counts.done()))
                .sum();
            if let Some(a) = s.agents.iter_mut().find(|a| a.agent == AgentKind::Executor) {
                a.status = "running".into();
                a.task = format!("loading {entity}");
                a.done = done;
                a.total = total.max(done);
            }
        }
        EventKind::Finding { agent, finding } => {
            if let Some(a) = s.agents.iter_mut().find(|a| a.agent == *agent) {
                a.last_finding = Some(finding.message.clone());
            }
        }
        EventKind::InterventionRaised { .. } | EventKind::InterventionDecided { .. } => {}
        EventKind::Paused { .. } => s.state = RunState::Paused,
        EventKind::Resumed { .. } => {
            if s.state == RunState::Paused {
                s.state = RunState::Running;
            }
        }
        EventKind::Log { .. }
        | EventKind::FullCycleRequested { .. }
        | EventKind::FullCycleStarted { .. } => {}
        EventKind::RunFinished { state, .. } => {
            s.state = *state;
            s.eta_secs = Some(0);
        }
    }
}

fn set_phase(s: &mut Snapshot, phase: Phase, state: PhaseState) {
    for (p, st) in s.phases.iter_mut() {
        if *p == phase {
            *st = state;
        } else if state == PhaseState::Active && *p < phase && *st != PhaseState::Done {
            *st = PhaseState::Done;
        }
    }
}

/// Opens the JSONL mirror for appending, first cutting a torn last line (a kill -9 mid-write)
/// and appending any committed events the mirror had not received.
fn open_mirror(path: &Path, store: &Store) -> Option<File> {
    match try_open_mirror(path, store) {
        Ok(f) => Some(f),
        Err(e) => {
            // The mirror is a recovery aid; losing it must be visible, not fatal.
            tracing::warn!("event log mirror {} unavailable: {e}", path.display());
            eprintln!(
                "storeshift: warning: the event log mirror {} is unavailable: {e}",
                path.display()
            );
            None
        }
    }
}

fn try_open_mirror(path: &Path, store: &Store) -> std::io::Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    let mut last_seq = 0u64;
    let mut good_len = 0u64;
    {
        // Bytes, not text: a kill can cut the last line inside a multi-byte character.
        let mut reader = BufReader::new(&file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if let Ok(ev) = serde_json::from_slice::<Event>(&line) {
                last_seq = ev.seq;
            }
            good_len += n as u64;
        }
    }
    if file.metadata()?.len() != good_len {
        file.set_len(good_len)?;
    }
    file.seek(SeekFrom::End(0))?;
    let mut after = last_seq;
    loop {
        let missing = store
            .events_after(after, 10_000)
            .map_err(std::io::Error::other)?;
        if missing.is_empty() {
            break;
        }
        for ev in &missing {
            let mut line = serde_json::to_vec(ev).map_err(std::io::Error::other)?;
            line.push(b'\n');
            file.write_all(&line)?;
            after = ev.seq;
        }
    }
    Ok(file)
}

/// Reads the JSONL mirror (for `storeshift events` when the state database is unavailable).
pub fn read_mirror(path: &Path) -> std::io::Result<Vec<Event>> {
    let file = File::open(path)?;
    let mut out = vec![];
    for line in BufReader::new(file).lines() {
        let line = line?;
        if let Ok(ev) = serde_json::from_str::<Event>(&line) {
            out.push(ev);
        }
    }
    Ok(out)
}
