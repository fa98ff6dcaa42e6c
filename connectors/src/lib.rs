//! storeshift-connectors: the canonical store model and every platform's readers, writers and
//! API clients. Knows nothing of the runtime that drives it.

pub mod api;
pub mod connector;
pub mod files;
pub mod finding;
pub mod live;
pub mod model;
pub mod no_email;
pub mod platform;
pub mod spec;
pub mod synth;
pub mod verify;

pub use connector::{
    ApiStats, BreakerState, ChangedPage, ConnectorError, Cursor, Source, SourcePage, Target,
    WriteOutcome,
};
pub use connector::{Choice, Question};
pub use finding::{Finding, Location, RecordRef, Severity};
pub use spec::{open_source, open_target, open_verifier, EndpointKind, EndpointSpec};
pub use verify::{BudgetUnit, StoreCount, Verifier};
