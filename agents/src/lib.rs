//! storeshift-agents: the runtime that drives a migration — orchestrator, phases, durable
//! checkpoints in sled, events, interventions — and the agents that run inside it.
//! Knows nothing of terminals: front ends read [`Snapshot`]s and [`Event`]s and send [`Command`]s.

pub mod agents;
pub mod api_use;
pub mod command;
pub mod config;
pub mod control;
pub mod crash;
pub mod cutover;
pub mod derived;
pub mod embed;
pub mod event;
pub mod executor;
pub mod hub;
pub mod intervention;
pub mod link;
pub mod llm;
pub mod maintenance;
pub mod no_email;
pub mod orchestrator;
pub mod prefetch;
pub mod report;
pub mod runtime;
pub mod snapshot;
pub mod store;
pub mod sync;
pub mod transform;
pub mod workspace;

pub use command::Command;
pub use config::{InterventionPolicy, MigrationConfig};
pub use event::{AgentKind, Counts, Event, EventKind, Level, Phase, RunState};
pub use intervention::{Actor, Decision, Intervention, InterventionOption};
pub use link::{EventTap, Link};
pub use runtime::{start, start_cutover, start_sync, RunHandle, RunOutcome, StartOptions};
pub use snapshot::{
    AgentSnapshot, CycleRow, EntityProgress, Metrics, PhaseState, RunKind, Snapshot, SyncStatus,
};
pub use workspace::Workspace;
