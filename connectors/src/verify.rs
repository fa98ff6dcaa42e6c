//! What verification asks of a live store, at a cost that does not grow with the store: how
//! many records of an entity it holds (the platform's count endpoint, never a full read) and
//! the sampled records by their target ids, several per request where the API allows it.
//! Import files have none of this: they are read back whole, which costs no API budget.

pub mod compare;
pub mod sizing;

pub use compare::{compare, not_carried};

use crate::connector::Result;
use crate::model::{Entity, Record};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The unit a platform's API budget is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetUnit {
    /// Calculated query cost points (Shopify's GraphQL Admin API).
    Points,
    /// HTTP requests (every REST API, and GraphQL APIs that publish no cost).
    Requests,
}

impl BudgetUnit {
    pub fn label(self) -> &'static str {
        match self {
            BudgetUnit::Points => "points",
            BudgetUnit::Requests => "requests",
        }
    }
}

/// A store's own count of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCount {
    pub count: u64,
    /// `false` when the platform said "at least this many" (Shopify's `AT_LEAST`).
    pub exact: bool,
    /// The endpoint that answered, as the report names it.
    pub how: String,
}

#[async_trait]
pub trait Verifier: Send {
    fn describe(&self) -> String;
    /// The unit [`Verifier::spent`] and the cost estimates are in.
    fn unit(&self) -> BudgetUnit;
    /// Counts `entity` in the store the cheapest documented way (`None`: nothing to count it
    /// with, the entity has no place there).
    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>>;
    /// Most ids one [`Verifier::fetch`] request takes for `entity`.
    fn batch_limit(&self, entity: Entity) -> usize;
    /// What fetching `n` records of `entity` is expected to cost before it is spent, in
    /// [`Verifier::unit`]s (the sample is sized from it, then measured).
    fn fetch_cost(&self, entity: Entity, n: usize) -> u64;
    /// What fetching one record like `expected` (the canonical record as JSON) is expected to
    /// cost, in [`Verifier::unit`]s: platforms that charge by what comes back (Shopify) size
    /// it from the record's variants, images or lines; others charge per request.
    fn record_cost(&self, entity: Entity, _expected: &serde_json::Value) -> f64 {
        self.fetch_cost(entity, self.batch_limit(entity).max(1)) as f64
            / self.batch_limit(entity).max(1) as f64
    }
    /// How records are fetched by id, as the report names it.
    fn fetch_how(&self, entity: Entity) -> String;
    /// The records with these target ids, one answer per id in order (`None`: not there).
    /// At most [`Verifier::batch_limit`] ids.
    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>>;
    /// What this verifier has spent so far, in [`Verifier::unit`]s.
    fn spent(&self) -> u64;
    /// HTTP requests it has sent so far, retries included.
    fn requests(&self) -> u64;
}
