//! Shopify Admin GraphQL as a source (cursor pagination, or one bulk query for a big catalog)
//! and as a target (productSet / customerSet upserts by identifier, collections, pages,
//! redirects and orders by their external key, bulk mutations and redirect imports for big
//! batches), paced by the cost bucket the API reports in `extensions.cost.throttleStatus` so a
//! run spends the budget without being throttled.

mod bulk;
mod bulk_file;
mod catalog;
mod consent;
mod content;
pub mod documents;
mod orders;
pub mod reply;
mod source;
mod target;
mod verify;

pub use documents::{Document, Kind as DocumentKind};
pub use source::ShopifySource;
pub use target::ShopifyTarget;
pub use verify::ShopifyVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Safety};
use crate::connector::{ApiStats, ConnectorError, Result};
use crate::platform::shopify::{self as facts, cost, CostBucket};
use crate::spec::EndpointSpec;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the client believes the bucket holds, refreshed from every reply.
#[derive(Debug)]
struct Budget {
    bucket: CostBucket,
    available: f64,
    at: Instant,
}

impl Budget {
    fn now(&self) -> f64 {
        (self.available + self.at.elapsed().as_secs_f64() * self.bucket.restore_rate)
            .min(self.bucket.maximum)
    }

    /// How long until `cost` points are there.
    fn wait_for(&self, cost: f64) -> Duration {
        let missing = cost.min(self.bucket.maximum) - self.now();
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / self.bucket.restore_rate.max(1.0))
        }
    }

    /// The most a page may ask for now: one query's limit (1,000 points) within the bucket,
    /// and no more than it holds unless that is under a second of restore. A page asking for
    /// more than is there waits for it, and a query's requested cost is mostly refunded (it
    /// costs what came back), so asking for a full 1,000 from an empty Standard bucket would
    /// idle ten seconds for a page that may cost a tenth of that.
    fn page_ceiling(&self) -> u64 {
        let full = (facts::MAX_QUERY_COST as f64).min(self.bucket.maximum);
        full.min(self.now().max(self.bucket.restore_rate)) as u64
    }

    fn spend(&mut self, cost: f64) {
        self.available = self.now() - cost;
        self.at = Instant::now();
    }

    fn observe(&mut self, status: &reply::ThrottleStatus) {
        self.bucket = CostBucket {
            restore_rate: status.restore_rate,
            maximum: status.maximum_available,
        };
        self.available = status.currently_available;
        self.at = Instant::now();
    }
}

/// Errors GraphQL reported for the request as a whole (HTTP 200 with `errors`).
#[derive(Debug)]
pub(super) struct GraphqlErrors(pub String);

/// How a GraphQL document fared.
pub(super) enum Ran {
    Data(Value),
    Errors(GraphqlErrors),
    /// It may or may not have been applied (see [`ShopifyClient::run_with`]).
    Ambiguous(String),
}

/// A GraphQL Admin API session of one store.
pub struct ShopifyClient {
    pub(super) http: HttpClient,
    endpoint: String,
    token: String,
    budget: Mutex<Budget>,
    pub(super) store_url: String,
}

impl ShopifyClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Shopify API endpoint needs `url = \"https://STORE.myshopify.com\"`".into(),
            )
        })?;
        let token = spec.credential("token")?;
        let version = crate::platform::versions::api_version(spec)
            .map_err(|e| ConnectorError::Input(format!("Shopify {url}: {e}")))?
            .unwrap_or(facts::API_VERSION);
        let plan = spec
            .options
            .get("plan")
            .and_then(Value::as_str)
            .unwrap_or("standard");
        let http = HttpClient::new(HttpConfig::default().with_options(spec))?;
        let bucket = facts::cost_bucket(plan);
        Ok(ShopifyClient {
            http,
            endpoint: format!(
                "{}{}",
                url.trim_end_matches('/'),
                facts::graphql_path(version)
            ),
            token,
            budget: Mutex::new(Budget {
                bucket,
                available: bucket.maximum,
                at: Instant::now(),
            }),
            store_url: url.to_string(),
        })
    }

    fn budget(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> ApiStats {
        let used = {
            let b = self.budget();
            100.0 * (1.0 - b.now() / b.bucket.maximum.max(1.0))
        };
        self.http.counters().set_budget_used(used);
        self.http.stats()
    }

    /// Runs one GraphQL document, waiting for the bucket to hold its cost first. Throttled and
    /// internal-error replies are retried; other GraphQL errors come back as `Ok(Err(..))`.
    pub(super) async fn run(
        &self,
        query: &Document,
        variables: Value,
    ) -> Result<std::result::Result<Value, GraphqlErrors>> {
        match self.run_with(query, variables, Safety::Idempotent).await? {
            Ran::Data(d) => Ok(Ok(d)),
            Ran::Errors(e) => Ok(Err(e)),
            Ran::Ambiguous(m) => Err(ConnectorError::Remote(m)),
        }
    }

    /// Runs a document that creates records (`Safety::Unsafe`): a failure after which Shopify
    /// may have applied it comes back as [`Ran::Ambiguous`], never retried blindly, so the
    /// caller looks the records up before sending again.
    pub(super) async fn run_with(
        &self,
        query: &Document,
        variables: Value,
        safety: Safety,
    ) -> Result<Ran> {
        let requested = cost::requested(query.text(), &variables).map_err(|e| {
            ConnectorError::Other(anyhow::anyhow!(
                "bad GraphQL document {:?}: {e}",
                query.name()
            ))
        })? as f64;
        let body = json!({ "query": query.text(), "variables": variables });
        let max_retries = self.http.config().max_retries;
        let mut attempt = 0u32;
        loop {
            let wait = self.budget().wait_for(requested);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            self.budget().spend(requested);
            let reply = match self
                .http
                .send("Shopify GraphQL", safety, |c| {
                    c.post(&self.endpoint)
                        .header(facts::TOKEN_HEADER, &self.token)
                        .json(&body)
                })
                .await
            {
                Ok(r) => r,
                Err(CallError::Ambiguous(m)) => return Ok(Ran::Ambiguous(m)),
                Err(e) => return Err(e.into()),
            };
            if !reply.status.is_success() {
                let msg = match &reply.body {
                    Value::Object(o) => o
                        .get("errors")
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| reply.body.to_string()),
                    other => other.to_string(),
                };
                let hint = if reply.status.as_u16() == 401 || reply.status.as_u16() == 403 {
                    " (check the access token and its scopes)"
                } else {
                    ""
                };
                return Err(ConnectorError::Remote(format!(
                    "Shopify {}: HTTP {}: {msg}{hint}",
                    self.store_url, reply.status
                )));
            }
            let envelope: reply::Envelope =
                reply::parse(query.name(), "", &reply.body).map_err(ConnectorError::from)?;
            let cost = envelope.extensions.as_ref().and_then(|e| e.cost.as_ref());
            if let Some(status) = cost.and_then(|c| c.throttle_status.as_ref()) {
                self.budget().observe(status);
            }
            // What the bucket was really charged (a throttled document has no actual cost).
            if let Some(actual) = cost.and_then(|c| c.actual_query_cost) {
                self.http
                    .counters()
                    .add_points(actual.max(0.0).round() as u64);
            }
            let errors = envelope.errors.unwrap_or_default();
            if errors.is_empty() {
                return Ok(Ran::Data(envelope.data.unwrap_or(Value::Null)));
            }
            let throttled = errors.iter().any(|e| e.code() == Some("THROTTLED"));
            let internal = errors
                .iter()
                .any(|e| e.code() == Some("INTERNAL_SERVER_ERROR"));
            let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            if !(throttled || internal) || attempt >= max_retries {
                return Ok(Ran::Errors(GraphqlErrors(messages.join("; "))));
            }
            // An internal error may come after the work was done: only a throttled document
            // is known not to have run.
            if internal && safety == Safety::Unsafe {
                return Ok(Ran::Ambiguous(messages.join("; ")));
            }
            if throttled {
                self.http.note_throttled();
                let wait = self.budget().wait_for(requested);
                self.http.wait_before_retry(attempt, Some(wait)).await;
            } else {
                self.http.wait_before_retry(attempt, None).await;
            }
            attempt += 1;
        }
    }

    pub(super) async fn run_ok(&self, query: &Document, variables: Value) -> Result<Value> {
        self.run(query, variables)
            .await?
            .map_err(|e| ConnectorError::Remote(format!("Shopify {}: {}", self.store_url, e.0)))
    }

    /// Runs a query and reads its `data` as `T` (see [`reply::parse`]).
    pub(super) async fn query<T: serde::de::DeserializeOwned>(
        &self,
        document: &Document,
        variables: Value,
    ) -> Result<T> {
        let data = self.run_ok(document, variables).await?;
        Ok(reply::parse(document.name(), "", &data)?)
    }

    /// Runs a query and reads the field `key` of its `data` as `T`.
    pub(super) async fn query_field<T: serde::de::DeserializeOwned>(
        &self,
        document: &Document,
        variables: Value,
        key: &str,
    ) -> Result<T> {
        let data = self.run_ok(document, variables).await?;
        Ok(reply::field(document.name(), &data, key)?)
    }

    /// Largest page whose requested cost fits one query and the bucket.
    pub(super) fn page_size(&self, query: &Document, limit: usize) -> u64 {
        self.shaped_page(query, &json!({}), limit)
    }

    /// Largest `first` for `query` with its other page-size variables (`fixed`, such as a
    /// nested connection's `inner`) whose requested cost fits one query and the bucket, and
    /// at most `limit`.
    pub(super) fn shaped_page(&self, query: &Document, fixed: &Value, limit: usize) -> u64 {
        self.largest_fitting(
            query,
            |first| {
                let mut v = fixed.clone();
                if let Some(o) = v.as_object_mut() {
                    o.insert("first".into(), json!(first));
                }
                v
            },
            limit as u64,
        )
    }

    /// Largest first page of a listing's nested connection (its `$inner`), at most `wanted`,
    /// that still lets one parent fit a query: what does not fit is followed, not cut.
    pub(super) fn shaped_inner(&self, query: &Document, wanted: u64) -> u64 {
        self.largest_fitting(query, |inner| json!({ "first": 1, "inner": inner }), wanted)
    }

    /// The largest `n` (1 to `cap`, at most 250) for which the requested cost of `query` with
    /// the variables `at(n)` fits the page ceiling (see `Budget::page_ceiling`).
    /// The cost grows linearly in `n`, so two costings give it.
    fn largest_fitting(&self, query: &Document, at: impl Fn(u64) -> Value, cap: u64) -> u64 {
        let cost = |n| cost::requested(query.text(), &at(n)).unwrap_or(u64::MAX / 4);
        let base = cost(0);
        let per_node = cost(1).saturating_sub(base).max(1);
        let ceiling = self.budget().page_ceiling();
        (ceiling.saturating_sub(base) / per_node)
            .clamp(1, facts::MAX_PAGE_SIZE)
            .min(cap.max(1))
    }
}

/// The endpoint's bulk settings: the threshold (`bulk_threshold`, 0 = never bulk) and pacing.
fn bulk_options(spec: &EndpointSpec) -> (usize, bulk::BulkConfig) {
    let num = |k: &str| spec.options.get(k).and_then(Value::as_u64);
    (
        num("bulk_threshold").unwrap_or(facts::BULK_THRESHOLD as u64) as usize,
        bulk::BulkConfig {
            poll: Duration::from_millis(num("bulk_poll_ms").unwrap_or(facts::BULK_POLL_MS).max(1)),
            timeout: Duration::from_secs(
                num("bulk_timeout_secs").unwrap_or(facts::BULK_TIMEOUT_SECS),
            ),
        },
    )
}

/// A text the platform may send empty where it means none.
pub(super) fn nonempty(v: Option<&str>) -> Option<String> {
    v.filter(|x| !x.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Platform;
    use documents::{list_page, nested_page, Listing, Nested};
    use proptest::prelude::*;

    /// A client that never sends anything, its bucket `maximum` points large.
    fn offline(maximum: f64) -> ShopifyClient {
        std::env::set_var("STORESHIFT_TEST_SHOPIFY_OFFLINE_TOKEN", "t");
        let spec = EndpointSpec {
            platform: Platform::Shopify,
            kind: crate::spec::EndpointKind::Api,
            path: None,
            files: Default::default(),
            url: Some("http://127.0.0.1:9".into()),
            credentials: [(
                "token".to_string(),
                "STORESHIFT_TEST_SHOPIFY_OFFLINE_TOKEN".to_string(),
            )]
            .into_iter()
            .collect(),
            currency: None,
            encoding: None,
            timezone: None,
            options: Default::default(),
            mapping: None,
        };
        let c = ShopifyClient::open(&spec).expect("open");
        c.budget().bucket.maximum = maximum;
        c
    }

    proptest! {
        /// A page is as large as the budget allows: its requested cost fits one query and the
        /// bucket, and one record more would not (unless the page is at its cap); the nested
        /// connection's page leaves room for at least one record.
        #[test]
        fn pages_fill_the_budget_and_never_pass_it(
            maximum in 50.0f64..5000.0, limit in 1usize..400, wanted in 1u64..700, which in 0usize..6
        ) {
            let c = offline(maximum);
            let listing = Listing::ALL[which];
            let q = list_page(listing);
            let ceiling = maximum.min(1000.0) as u64;
            let mut vars = json!({});
            if listing.nested().is_some() {
                let inner = c.shaped_inner(&q, wanted);
                prop_assert!((1..=wanted.min(250)).contains(&inner));
                vars["inner"] = json!(inner);
            }
            let first = c.shaped_page(&q, &vars, limit);
            let at = |n: u64| {
                let mut v = vars.clone();
                v["first"] = json!(n);
                cost::requested(q.text(), &v).unwrap()
            };
            prop_assert!((1..=250).contains(&first) && first <= limit as u64);
            if at(1) <= ceiling {
                prop_assert!(at(first) <= ceiling, "first {first} costs {}", at(first));
                prop_assert!(first == 250 || first == limit as u64 || at(first + 1) > ceiling);
            }
        }
    }

    #[test]
    fn a_drained_bucket_shrinks_the_page_to_what_it_holds_or_a_seconds_restore() {
        let c = offline(2000.0);
        let q = list_page(Listing::Customers);
        let full = c.shaped_page(&q, &json!({}), 250);
        {
            let mut b = c.budget();
            b.bucket.restore_rate = 100.0;
            b.available = 0.0;
            b.at = Instant::now();
        }
        let drained = c.shaped_page(&q, &json!({}), 250);
        let cost = |f: u64| cost::requested(q.text(), &json!({ "first": f })).unwrap();
        assert!(cost(drained) <= 101 && cost(drained + 1) > 100, "{drained}");
        assert!(drained < full);
        c.budget().available = 600.0;
        let half = c.shaped_page(&q, &json!({}), 250);
        assert!(cost(half) <= 601 && half > drained, "{half}");
    }

    #[test]
    fn a_nested_page_is_as_large_as_one_query_allows() {
        let c = offline(2000.0);
        for n in Nested::ALL {
            let q = nested_page(n);
            let first = c.shaped_page(&q, &json!({ "id": "x" }), usize::MAX);
            let cost =
                |f: u64| cost::requested(q.text(), &json!({ "id": "x", "first": f })).unwrap();
            assert!(cost(first) <= 1000, "{n:?}");
            assert!(first == 250 || cost(first + 1) > 1000, "{n:?}: {first}");
        }
    }

    #[test]
    fn budget_waits_for_the_missing_points_at_the_restore_rate() {
        let b = Budget {
            bucket: CostBucket {
                restore_rate: 100.0,
                maximum: 2000.0,
            },
            available: 50.0,
            at: Instant::now(),
        };
        let w = b.wait_for(150.0);
        assert!(
            w > Duration::from_millis(900) && w <= Duration::from_millis(1000),
            "{w:?}"
        );
        assert_eq!(b.wait_for(10.0), Duration::ZERO);
    }
}
