//! Commands into a running migration, from the console, the control socket or the CLI.

use crate::intervention::Actor;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Pause {
        by: Actor,
    },
    Resume {
        by: Actor,
    },
    /// Decide an intervention by its id.
    Decide {
        id: String,
        option: String,
        note: Option<String>,
        by: Actor,
        /// What the option takes, when it takes something (an edited column mapping).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
    },
    /// Make the next new sync cycle a full one (the console's `f` in sync mode): persisted,
    /// so it holds until a full cycle starts.
    FullCycle {
        by: Actor,
    },
    /// Stop at the next safe point, leaving everything checkpointed (the console's `q`).
    Stop,
}
