//! A complete, cheap-to-clone picture of a run: what the console draws and `status` prints.
//! The runtime publishes a new one whenever something changed; readers never block it.

use crate::event::{AgentKind, Counts, Phase, RunState};
use crate::intervention::Intervention;
use serde::{Deserialize, Serialize};
use storeshift_connectors::model::Entity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    Pending,
    Active,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSnapshot {
    pub agent: AgentKind,
    pub status: String,
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_finding: Option<String>,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityProgress {
    pub entity: Entity,
    pub counts: Counts,
    /// Records the source holds, when known (from assessment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub records_per_sec: f64,
    /// Records/s, one sample a second, newest last (for the sparkline).
    pub rate_history: Vec<u64>,
    pub api_calls: u64,
    /// Share of the target's rate-limit budget in use, 0..=100, when the target has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_budget_pct: Option<u8>,
    pub retries: u64,
    pub errors: u64,
    /// Events the runtime could not hand to this reader because it was too slow.
    pub dropped_events: u64,
    pub batch_millis_last: u64,
    /// The target's API budget spent in each phase so far (points or requests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budget_spent: Vec<PhaseSpend>,
    /// The Planning agent's ETA, re-learned from the first batches the executor loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_eta_secs: Option<u64>,
    /// Time left of the verification, projected from its measured rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_eta_secs: Option<u64>,
}

/// What one phase spent of the target's API budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSpend {
    pub phase: Phase,
    pub amount: u64,
    /// `points` or `requests`.
    pub unit: String,
}

impl Metrics {
    /// Sets what `phase` has spent so far (one entry per phase).
    pub fn set_spent(&mut self, phase: Phase, amount: u64, unit: &str) {
        match self.budget_spent.iter_mut().find(|p| p.phase == phase) {
            Some(p) => {
                p.amount = amount;
                p.unit = unit.to_string();
            }
            None => self.budget_spent.push(PhaseSpend {
                phase,
                amount,
                unit: unit.to_string(),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub run: u32,
    pub source: String,
    pub target: String,
    pub state: RunState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    pub phases: Vec<(Phase, PhaseState)>,
    pub started_at: String,
    pub elapsed_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_secs: Option<u64>,
    pub agents: Vec<AgentSnapshot>,
    pub entities: Vec<EntityProgress>,
    pub metrics: Metrics,
    /// Pending first, then decided, each in the order raised.
    pub interventions: Vec<Intervention>,
    /// Last event sequence number folded into this snapshot.
    pub last_seq: u64,
    /// Set while `storeshift sync` drives cycles in a console: the cycles so far and what
    /// comes next. The snapshot around it is the cycle in flight, or the last one between
    /// cycles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncStatus>,
    /// What the run is when it is not a migration (`storeshift status` says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RunKind>,
}

/// A run that is not a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A sync cycle reading what the source's "changed since" filters select.
    Sync,
    /// A full sync cycle: every entity read whole.
    FullSync,
    Cutover,
}

impl RunKind {
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Sync => "sync cycle",
            RunKind::FullSync => "sync cycle, full: every entity read whole",
            RunKind::Cutover => "cutover",
        }
    }
}

/// Sync mode as the console shows it. Times are as of the snapshot; a reader adds the time
/// since it arrived (the lag grows, the countdown runs down).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The cycle in flight (its run number); `None` between cycles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<u32>,
    /// Time between cycle starts; `None`: one cycle only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_secs: Option<u64>,
    /// Upper bound on the age of the oldest change not yet moved: the time since the last
    /// finished cycle began (`None` before any cycle finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_secs: Option<u64>,
    /// Seconds until the next cycle starts; `None` during a cycle, while held, or when no
    /// further cycle comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_in_secs: Option<u64>,
    /// The next cycle waits for a resume (`p`, `storeshift resume`).
    #[serde(default)]
    pub held: bool,
    /// Syncing ended (one cycle only, a cutover was requested): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The last cycles, oldest first.
    #[serde(default)]
    pub history: Vec<CycleRow>,
    /// Records that failed in the last cycle (the first few, `label: reason`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// The last cycle ended in error: what happened (a finished cycle clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The next cycle will be full (every entity read whole): why — `--full`, who asked for
    /// it (`f` in a console), `[sync] full_every`. `None`: it reads what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_next: Option<String>,
}

/// One finished sync cycle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleRow {
    pub run: u32,
    /// Records created or updated in the target.
    pub moved: u64,
    pub read: u64,
    pub failed: u64,
    /// Records the source reported deleted (raised as interventions).
    pub deletions: u64,
    /// Records deleted in the target on a decision.
    pub deleted: u64,
    /// How long the cycle took, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secs: Option<u64>,
    /// Every entity was read whole (`sync --full`, `[sync] full_every`, a cutover's cycle).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
}

impl Snapshot {
    pub fn new(run: u32, source: String, target: String) -> Snapshot {
        Snapshot {
            run,
            source,
            target,
            state: RunState::Starting,
            phase: None,
            phases: Phase::ALL
                .iter()
                .map(|p| (*p, PhaseState::Pending))
                .collect(),
            started_at: String::new(),
            elapsed_secs: 0,
            eta_secs: None,
            agents: AgentKind::ALL
                .iter()
                .map(|a| AgentSnapshot {
                    agent: *a,
                    status: "idle".into(),
                    task: String::new(),
                    last_finding: None,
                    done: 0,
                    total: 0,
                })
                .collect(),
            entities: vec![],
            metrics: Metrics::default(),
            interventions: vec![],
            last_seq: 0,
            sync: None,
            kind: None,
        }
    }

    pub fn pending_interventions(&self) -> impl Iterator<Item = &Intervention> {
        self.interventions.iter().filter(|i| i.is_pending())
    }

    pub fn agent(&self, kind: AgentKind) -> Option<&AgentSnapshot> {
        self.agents.iter().find(|a| a.agent == kind)
    }
}
