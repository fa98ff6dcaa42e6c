//! The two traits every platform connector implements.
//!
//! A [`Source`] yields pages of one entity from a resumable cursor. A [`Target`] writes a batch
//! idempotently, can find a record by its external key and can delete what a run created.

use crate::finding::Finding;
use crate::model::{Entity, Platform, Record};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Where a source stopped: opaque to the runtime, meaningful to the connector (a byte offset in a
/// file, an API cursor, a page number). Persisted with every checkpoint.
pub type Cursor = serde_json::Value;

/// One page read from a source.
#[derive(Debug, Default)]
pub struct SourcePage {
    pub records: Vec<Record>,
    /// Problems met while reading this page (ragged rows, bad numbers, orphan variations).
    pub findings: Vec<Finding>,
    /// Where the next page starts; `None` when the entity is exhausted.
    pub next: Option<Cursor>,
}

impl SourcePage {
    /// A page of `items` (already in reading order) from an `{"index": n}` cursor: the records
    /// `make` gives for items `n..n + limit`, and the next cursor while any are left. For
    /// sources that hold a whole listing in memory (a category tree read at once).
    pub fn indexed<T>(
        items: &[T],
        cursor: Option<&Cursor>,
        limit: usize,
        make: impl FnMut(&T) -> Option<Record>,
    ) -> SourcePage {
        let start = cursor
            .and_then(|c| c.get("index"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as usize;
        let end = (start + limit.max(1)).min(items.len());
        SourcePage {
            records: items[start.min(end)..end].iter().filter_map(make).collect(),
            findings: vec![],
            next: (end < items.len()).then(|| serde_json::json!({ "index": end })),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The input cannot be read; the message names the file/record and what to do.
    #[error("{0}")]
    Input(String),
    /// A remote call failed in a way retries did not cure.
    #[error("{0}")]
    Remote(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;

#[async_trait]
pub trait Source: Send {
    fn platform(&self) -> Platform;
    /// Entities this source can yield, in dependency order.
    fn entities(&self) -> Vec<Entity>;
    /// Reads up to `limit` records of `entity` starting at `cursor` (`None` = from the start).
    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage>;
    /// A human description: file paths, store URL.
    fn describe(&self) -> String;
    /// Counters of the remote API behind this source, for the metrics pane (files: `None`).
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
    /// Reads up to `limit` records of `entity` modified at or after `since` (RFC 3339, UTC),
    /// through the platform's documented "changed since" filter, from `cursor`. `Ok(None)` when
    /// the source has no such filter for `entity`: the caller then reads every record and skips
    /// the unchanged ones by content hash.
    async fn read_changed(
        &mut self,
        _entity: Entity,
        _since: &str,
        _cursor: Option<&Cursor>,
        _limit: usize,
    ) -> Result<Option<ChangedPage>> {
        Ok(None)
    }
    /// The source id of every record of `entity` the store has now, read as cheaply as the
    /// platform allows (ids only), to find records deleted since the last sync. `Ok(None)` when
    /// the source cannot list them without reading every record.
    async fn live_ids(&mut self, _entity: Entity) -> Result<Option<Vec<String>>> {
        Ok(None)
    }
    /// A hash of the bytes `entity` is read from, for sources made of export files: a sync
    /// cycle that finds the hash it stored last time reads nothing. `Ok(None)` for APIs.
    async fn content_hash(&mut self, _entity: Entity) -> Result<Option<String>> {
        Ok(None)
    }
}

/// One page of a "changed since" read.
#[derive(Debug, Default)]
pub struct ChangedPage {
    pub page: SourcePage,
    /// The newest modification time among the page's records (RFC 3339, UTC), as the source
    /// stated it: the next sync window starts from the source's clock, never the local one.
    pub newest: Option<String>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WriteOutcome {
    Created {
        target_id: String,
    },
    Updated {
        target_id: String,
    },
    /// The target rejected this record alone; the message is the target's own words.
    Failed {
        message: String,
    },
}

/// A choice only a person can make before some records of a batch can be written: an option
/// name that matches several of the target's attributes, a region the target's directory does
/// not know. The runtime raises it as an intervention, waits for the decision, hands it back
/// through [`Target::decide`], and only then writes the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable machine code: `ambiguous_attribute`, `unknown_region`, ...
    pub code: String,
    /// What it is about, the same on every run and restart: an option name, `DE/Bavaria`.
    pub item: String,
    pub title: String,
    pub problem: String,
    pub choices: Vec<Choice>,
    /// Key of the recommended choice.
    pub recommended: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<crate::finding::RecordRef>,
}

/// One answer to a [`Question`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub label: String,
    /// What choosing it will do, stated plainly.
    pub consequence: String,
}

#[async_trait]
pub trait Target: Send {
    fn platform(&self) -> Platform;
    fn describe(&self) -> String;
    /// Called once per entity before the first batch, with the target's own checkpoint as it was
    /// last committed (`None` on a fresh start). File targets cut their outputs back to it so a
    /// batch written but not committed before a crash is written again exactly once.
    async fn resume(
        &mut self,
        entity: Entity,
        checkpoint: Option<&serde_json::Value>,
    ) -> Result<()>;
    /// Writes a batch; one outcome per record, in order. Must be idempotent by external key.
    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>>;
    /// The checkpoint to commit together with the batch just written (file offsets, ...).
    fn checkpoint(&self, entity: Entity) -> Option<serde_json::Value>;
    /// Looks a record up by external key; used to reconcile pending intents after a crash.
    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>>;
    /// Deletes a record this run created (rollback).
    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()>;
    /// After a rollback deleted the run's records: removes what the run made besides them
    /// (WooCommerce product tags that no product uses any more), given each entity's last
    /// committed [`Target::checkpoint`]. Says what it removed and what it kept, and why.
    async fn clean_up_after_rollback(
        &mut self,
        _checkpoints: &[(Entity, serde_json::Value)],
    ) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Flushes and closes everything for `entity` (files are synced to disk).
    async fn finish(&mut self, entity: Entity) -> Result<()>;
    /// Whether this target has a place for `entity` at all (Shopify files have no pages CSV).
    fn accepts(&self, _entity: Entity) -> bool {
        true
    }
    /// Why an entity this target does not accept cannot be moved, when there is more to say
    /// than "no place for it" (shown in the log and the report).
    fn refusal(&self, _entity: Entity) -> Option<String> {
        None
    }
    /// Remote targets need intents before each call (exactly-once); local files do not, since
    /// they are cut back to the committed checkpoint on resume.
    fn is_remote(&self) -> bool {
        true
    }
    /// Counters of the remote API behind this target, for the metrics pane (files: `None`).
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
    /// Findings noticed while writing (an image the target could not fetch is a finding on its
    /// product, never a failed product). Drained: each finding is returned once.
    fn take_findings(&mut self) -> Vec<Finding> {
        Vec::new()
    }
    /// Questions `batch` raises before it can be written. Only look-ups happen here, nothing
    /// is changed; each answer comes back through [`Target::decide`] before `write_batch`.
    /// A question already answered is not asked again.
    async fn questions(&mut self, _entity: Entity, _batch: &[Record]) -> Result<Vec<Question>> {
        Ok(Vec::new())
    }
    /// The decision on a question this target asked, by the question's code and item.
    fn decide(&mut self, _code: &str, _item: &str, _choice: &str) {}
}

/// State of the circuit breaker in front of a remote API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow normally.
    #[default]
    Closed,
    /// Too many consecutive server errors: calls wait until the cool-down ends.
    Open,
    /// Cool-down over: one probe call decides whether to close again.
    HalfOpen,
}

/// What the runtime shows in the metrics pane about an API connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiStats {
    /// HTTP requests sent, retries included.
    pub calls: u64,
    /// Requests sent again after a retryable failure.
    pub retries: u64,
    /// Responses that said "slow down" (HTTP 429, GraphQL THROTTLED).
    pub throttled: u64,
    /// Responses with a 5xx status.
    pub server_errors: u64,
    pub breaker: BreakerState,
    /// Share of the platform's rate-limit budget in use right now, 0-100 (`None` when the
    /// platform publishes no budget).
    pub budget_used_pct: Option<f64>,
    /// Cost points the platform charged, on APIs that charge points per query (Shopify's
    /// `actualQueryCost`); 0 where the budget is counted in requests.
    #[serde(default)]
    pub points: u64,
}
