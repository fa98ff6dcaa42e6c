//! What the run asked of the remote APIs behind its source and target (calls, retries,
//! throttled and failed responses), kept across restarts so the report can show the retries
//! a flaky store cost. Each process's HTTP counters start at zero; only what a process added
//! since its last save is folded into the persisted totals.

use crate::runtime::{phase_key, Ctx};
use crate::store::T;
use serde::{Deserialize, Serialize};
use storeshift_connectors::ApiStats;

const PHASE: &str = "api_use";

/// Totals of one side (source or target) over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTotals {
    pub calls: u64,
    pub retries: u64,
    pub throttled: u64,
    pub server_errors: u64,
    /// Cost points charged, where the platform charges points (Shopify).
    #[serde(default)]
    pub points: u64,
}

impl ApiTotals {
    fn of(s: &ApiStats) -> Self {
        ApiTotals {
            calls: s.calls,
            retries: s.retries,
            throttled: s.throttled,
            server_errors: s.server_errors,
            points: s.points,
        }
    }

    /// What was spent in the platform's budget unit: points where it charges points.
    pub fn spent(&self) -> (u64, storeshift_connectors::BudgetUnit) {
        if self.points > 0 {
            (self.points, storeshift_connectors::BudgetUnit::Points)
        } else {
            (self.calls, storeshift_connectors::BudgetUnit::Requests)
        }
    }

    fn plus_delta(self, now: ApiTotals, before: ApiTotals) -> Self {
        ApiTotals {
            calls: self.calls + now.calls.saturating_sub(before.calls),
            retries: self.retries + now.retries.saturating_sub(before.retries),
            throttled: self.throttled + now.throttled.saturating_sub(before.throttled),
            server_errors: self.server_errors
                + now.server_errors.saturating_sub(before.server_errors),
            points: self.points + now.points.saturating_sub(before.points),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApiTotals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ApiTotals>,
}

impl ApiUse {
    pub fn load(ctx: &Ctx) -> Option<ApiUse> {
        ctx.load_phase(PHASE)
    }
}

/// Folds one process's counters into the run's totals.
#[derive(Default)]
pub struct Tracker {
    source: ApiTotals,
    target: ApiTotals,
    /// The run's totals as last recorded.
    total: Option<ApiUse>,
}

impl Tracker {
    /// Adds the totals, as of now, to `step` (committed with the step that goes with them).
    pub fn record(
        &mut self,
        ctx: &Ctx,
        step: &mut crate::store::Step,
        source: Option<ApiStats>,
        target: Option<ApiStats>,
    ) {
        if source.is_none() && target.is_none() {
            return;
        }
        let mut total = ApiUse::load(ctx).unwrap_or_default();
        if let Some(s) = source {
            let now = ApiTotals::of(&s);
            total.source = Some(
                total
                    .source
                    .unwrap_or_default()
                    .plus_delta(now, self.source),
            );
            self.source = now;
        }
        if let Some(t) = target {
            let now = ApiTotals::of(&t);
            total.target = Some(
                total
                    .target
                    .unwrap_or_default()
                    .plus_delta(now, self.target),
            );
            self.target = now;
        }
        step.put_json(T::Phases, phase_key(ctx.run, PHASE), &total);
        self.total = Some(total);
    }

    /// The run's totals as last recorded by this tracker.
    pub fn total(&self) -> Option<&ApiUse> {
        self.total.as_ref()
    }
}
