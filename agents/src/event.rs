//! The append-only event log's entries. Every event has a per-run sequence number and is only
//! published after the step that produced it was flushed to disk.

use crate::intervention::Actor;
use serde::{Deserialize, Serialize};
use storeshift_connectors::model::Entity;
use storeshift_connectors::Finding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Assessment,
    Planning,
    PreMigration,
    Execution,
    PostMigration,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Assessment,
        Phase::Planning,
        Phase::PreMigration,
        Phase::Execution,
        Phase::PostMigration,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Assessment => "Assessment",
            Phase::Planning => "Planning",
            Phase::PreMigration => "Pre-migration",
            Phase::Execution => "Execution",
            Phase::PostMigration => "Post-migration",
        }
    }
}

/// The agents of the runtime. Each runs as its own tokio task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    DataAnalysis,
    MigrationPlanning,
    SeoPreservation,
    CustomerCommunication,
    Executor,
    Verification,
}

impl AgentKind {
    pub const ALL: [AgentKind; 6] = [
        AgentKind::DataAnalysis,
        AgentKind::MigrationPlanning,
        AgentKind::SeoPreservation,
        AgentKind::CustomerCommunication,
        AgentKind::Executor,
        AgentKind::Verification,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AgentKind::DataAnalysis => "Data Analysis",
            AgentKind::MigrationPlanning => "Migration Planning",
            AgentKind::SeoPreservation => "SEO Preservation",
            AgentKind::CustomerCommunication => "Customer Communication",
            AgentKind::Executor => "Executor",
            AgentKind::Verification => "Verification",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl From<storeshift_connectors::Severity> for Level {
    fn from(s: storeshift_connectors::Severity) -> Level {
        use storeshift_connectors::Severity;
        match s {
            Severity::Info => Level::Info,
            Severity::Warning => Level::Warn,
            Severity::Blocking | Severity::Error => Level::Error,
        }
    }
}

/// Overall state of a run as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Starting,
    Running,
    Paused,
    WaitingForOperator,
    Done,
    Failed,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Starting => "STARTING",
            RunState::Running => "RUNNING",
            RunState::Paused => "PAUSED",
            RunState::WaitingForOperator => "WAITING FOR OPERATOR",
            RunState::Done => "DONE",
            RunState::Failed => "FAILED",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, RunState::Done | RunState::Failed)
    }
}

/// Counters of one entity's progress in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Records read from the source.
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    /// Unchanged since the previous run (content hash matched): not moved again.
    pub unchanged: u64,
    pub failed: u64,
    /// Left out by an operator decision (listed in the report).
    #[serde(default)]
    pub skipped: u64,
    /// Variant rows (products only): the unit benchmarks speak in.
    pub rows: u64,
}

impl Counts {
    pub fn done(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.failed + self.skipped
    }
    pub fn add(&mut self, o: &Counts) {
        self.read += o.read;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.failed += o.failed;
        self.skipped += o.skipped;
        self.rows += o.rows;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The run number is the event's own `run`.
    RunStarted {
        source: String,
        target: String,
        resumed: bool,
    },
    PhaseStarted {
        phase: Phase,
    },
    PhaseFinished {
        phase: Phase,
    },
    AgentStatus {
        agent: AgentKind,
        status: String,
        task: String,
        done: u64,
        total: u64,
    },
    /// A batch was committed. `counts` are the batch's own; `totals` the entity's so far.
    BatchCommitted {
        entity: Entity,
        counts: Counts,
        totals: Counts,
        expected: Option<u64>,
        millis: u64,
    },
    Finding {
        agent: AgentKind,
        finding: Finding,
    },
    InterventionRaised {
        id: String,
        title: String,
    },
    InterventionDecided {
        id: String,
        option: String,
        by: Actor,
        /// What the option was given (an edited column mapping), so recovery keeps it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
    },
    Paused {
        by: Actor,
    },
    Resumed {
        by: Actor,
    },
    /// An operator asked that the next sync cycle read every entity whole.
    FullCycleRequested {
        by: Actor,
    },
    /// A sync cycle began full because an operator asked: the request is carried out and
    /// lifted in the same commit, so the event log (and a recovery from it) knows it is no
    /// longer owed.
    FullCycleStarted {
        asked_by: Actor,
        /// When the request was made (RFC 3339).
        asked_at: String,
    },
    Log {
        message: String,
    },
    RunFinished {
        state: RunState,
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Per-workspace sequence number: strictly increasing, never reused.
    pub seq: u64,
    pub run: u32,
    /// RFC 3339, UTC.
    pub at: String,
    pub level: Level,
    /// The agent that emitted the event. Serialised as `emitter` because some kinds carry an
    /// `agent` of their own, and a flattened enum cannot share a key with its parent.
    #[serde(default, rename = "emitter", skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentKind>,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// One line for logs and `storeshift events`.
    pub fn summary(&self) -> String {
        match &self.kind {
            EventKind::RunStarted {
                source,
                target,
                resumed,
            } => {
                let run = self.run;
                format!(
                    "run {run} {}: {source} -> {target}",
                    if *resumed { "resumed" } else { "started" }
                )
            }
            EventKind::PhaseStarted { phase } => format!("phase {} started", phase.label()),
            EventKind::PhaseFinished { phase } => format!("phase {} finished", phase.label()),
            EventKind::AgentStatus {
                agent,
                status,
                task,
                ..
            } => format!("{}: {status} {task}", agent.label()),
            EventKind::BatchCommitted {
                entity,
                counts,
                totals,
                ..
            } => format!(
                "{entity}: +{} committed ({} created, {} updated, {} unchanged, {} failed so far)",
                counts.done(),
                totals.created,
                totals.updated,
                totals.unchanged,
                totals.failed
            ),
            EventKind::Finding { finding, .. } => finding.to_string(),
            EventKind::InterventionRaised { id, title } => format!("intervention {id}: {title}"),
            EventKind::InterventionDecided { id, option, by, .. } => {
                format!("intervention {id} decided: {option} by {}", by.describe())
            }
            EventKind::Paused { by } => format!("paused by {}", by.describe()),
            EventKind::Resumed { by } => format!("resumed by {}", by.describe()),
            EventKind::FullCycleRequested { by } => format!(
                "next sync cycle full (every entity read whole): asked by {}",
                by.describe()
            ),
            EventKind::FullCycleStarted { asked_by, asked_at } => format!(
                "sync cycle {} is full (every entity read whole), as {} asked at {asked_at}",
                self.run,
                asked_by.describe()
            ),
            EventKind::Log { message } => message.clone(),
            EventKind::RunFinished { state, summary } => {
                format!("run finished {}: {summary}", state.label())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intervention::Actor;
    use storeshift_connectors::Severity;

    #[test]
    fn every_event_kind_round_trips_through_json() {
        let by = Actor {
            user: "ana".into(),
            ssh_client: Some("10.0.0.5 5000 22".into()),
            via: "cli".into(),
        };
        let kinds = vec![
            EventKind::RunStarted {
                source: "a".into(),
                target: "b".into(),
                resumed: true,
            },
            EventKind::PhaseStarted {
                phase: Phase::Execution,
            },
            EventKind::PhaseFinished {
                phase: Phase::Planning,
            },
            EventKind::AgentStatus {
                agent: AgentKind::Executor,
                status: "running".into(),
                task: "x".into(),
                done: 1,
                total: 2,
            },
            EventKind::BatchCommitted {
                entity: Entity::Products,
                counts: Counts::default(),
                totals: Counts::default(),
                expected: Some(3),
                millis: 4,
            },
            EventKind::Finding {
                agent: AgentKind::DataAnalysis,
                finding: Finding::new(Severity::Warning, "c", "m"),
            },
            EventKind::InterventionRaised {
                id: "iv-1".into(),
                title: "t".into(),
            },
            EventKind::InterventionDecided {
                id: "iv-1".into(),
                option: "o".into(),
                by: by.clone(),
                value: Some(serde_json::json!({"file": "x.csv"})),
            },
            EventKind::Paused { by: by.clone() },
            EventKind::FullCycleRequested { by: by.clone() },
            EventKind::FullCycleStarted {
                asked_by: by.clone(),
                asked_at: "2026-01-01T00:00:00Z".into(),
            },
            EventKind::Resumed { by },
            EventKind::Log {
                message: "hello".into(),
            },
            EventKind::RunFinished {
                state: RunState::Done,
                summary: "s".into(),
            },
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            for agent in [None, Some(AgentKind::Executor)] {
                let ev = Event {
                    seq: i as u64,
                    run: 1,
                    at: "2026-01-01T00:00:00Z".into(),
                    level: Level::Info,
                    agent,
                    kind: kind.clone(),
                };
                let json = serde_json::to_string(&ev).unwrap();
                let back: Event =
                    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
                assert_eq!(back, ev);
            }
        }
    }
}
