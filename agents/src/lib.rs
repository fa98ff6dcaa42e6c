//! storeshift-agents: the runtime that drives a migration — orchestrator, phases, durable
//! checkpoints in sled, events, interventions — and the agents that run inside it.
//! Knows nothing of terminals: front ends read [`Snapshot`]s and [`Event`]s and send [`Command`]s.

pub mod command;
pub mod event;
pub mod intervention;
pub mod link;
pub mod snapshot;

pub use command::Command;
pub use event::{AgentKind, Counts, Event, EventKind, Level, Phase, RunState};
pub use intervention::{Actor, Decision, Intervention, InterventionOption};
pub use snapshot::{AgentSnapshot, EntityProgress, Metrics, PhaseState, Snapshot};
pub use link::{EventTap, Link};
