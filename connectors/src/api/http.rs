//! The HTTP layer every API connector shares: one reqwest client (rustls), request timeouts,
//! retries with exponential backoff and full jitter that honour `Retry-After` /
//! `X-Retry-After`, a circuit breaker that opens on repeated server errors, a request-rate
//! limiter, and the counters the metrics pane reads.
//!
//! Retrying is only safe when a request cannot have been applied twice. Reads and upserts by
//! key are safe; a create is not. For unsafe requests every failure after which the server may
//! have applied the request (timeout, dropped connection, 5xx, unreadable body) comes back as
//! [`CallError::Ambiguous`] so the connector can look the records up again before resending.

use crate::connector::{ApiStats, BreakerState, ConnectorError};
use crate::spec::EndpointSpec;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tunables of the HTTP layer; every one can be set in the endpoint's `options`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout (`timeout_ms`).
    pub timeout: Duration,
    /// Retries after the first attempt (`max_retries`).
    pub max_retries: u32,
    /// First backoff step (`retry_base_ms`); doubles each attempt up to `max_delay`.
    pub base_delay: Duration,
    /// Longest backoff (`retry_max_ms`).
    pub max_delay: Duration,
    /// Consecutive server failures that open the breaker (`breaker_threshold`).
    pub breaker_threshold: u32,
    /// How long an open breaker waits before one probe call (`breaker_cooldown_ms`).
    pub breaker_cooldown: Duration,
    /// Request-rate ceiling (`requests_per_second`), `None` = unlimited.
    pub requests_per_second: Option<f64>,
    /// Burst size of the rate limiter (`burst`).
    pub burst: f64,
    /// Whether a request that timed out is sent again. An LLM that did not answer within the
    /// timeout will not answer faster when asked again; a store's API usually will.
    pub retry_timeouts: bool,
    /// The longest `Retry-After` worth waiting for; a server asking for more fails the call
    /// at once (an optional helper such as the LLM goes on without it instead of stalling).
    pub max_server_wait: Duration,
    /// Whether the client follows redirects itself. Off for checking redirects, where the
    /// `301` and its `Location` are the answer.
    pub follow_redirects: bool,
    /// Certificate authorities (PEM) trusted besides the public ones: a new store still on a
    /// staging host often has a certificate of its own making.
    pub extra_roots: Option<Arc<Vec<u8>>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(30),
            max_retries: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(10),
            requests_per_second: None,
            burst: 1.0,
            retry_timeouts: true,
            max_server_wait: Duration::from_secs(3600),
            follow_redirects: true,
            extra_roots: None,
        }
    }
}

impl HttpConfig {
    /// Reads overrides from the endpoint's options, starting from `self` (platform defaults).
    pub fn with_options(mut self, spec: &EndpointSpec) -> Self {
        let num = |k: &str| spec.options.get(k).and_then(Value::as_f64);
        let ms = |k: &str| num(k).map(|v| Duration::from_millis(v.max(0.0) as u64));
        if let Some(v) = ms("timeout_ms") {
            self.timeout = v;
        }
        if let Some(v) = num("max_retries") {
            self.max_retries = v.max(0.0) as u32;
        }
        if let Some(v) = ms("retry_base_ms") {
            self.base_delay = v;
        }
        if let Some(v) = ms("retry_max_ms") {
            self.max_delay = v;
        }
        if let Some(v) = num("breaker_threshold") {
            self.breaker_threshold = v.max(1.0) as u32;
        }
        if let Some(v) = ms("breaker_cooldown_ms") {
            self.breaker_cooldown = v;
        }
        if let Some(v) = num("requests_per_second") {
            self.requests_per_second = (v > 0.0).then_some(v);
        }
        if let Some(v) = num("burst") {
            self.burst = v.max(1.0);
        }
        self
    }
}

/// Counters shared by a connector and its HTTP client.
#[derive(Debug, Default)]
pub struct Counters {
    pub calls: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    /// Budget used, in hundredths of a percent (`u64::MAX` = unknown).
    budget_used: AtomicU64,
    /// Cost points the platform charged (GraphQL APIs that publish a cost per query).
    points: AtomicU64,
}

impl Counters {
    fn new() -> Self {
        Counters {
            budget_used: AtomicU64::new(u64::MAX),
            ..Default::default()
        }
    }

    /// Adds what one reply said it cost (Shopify's `actualQueryCost`).
    pub fn add_points(&self, points: u64) {
        self.points.fetch_add(points, Ordering::Relaxed);
    }

    pub fn set_budget_used(&self, pct: f64) {
        let v = (pct.clamp(0.0, 100.0) * 100.0).round() as u64;
        self.budget_used.store(v, Ordering::Relaxed);
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a call did not produce a reply.
#[derive(Debug)]
pub enum CallError {
    /// The request may or may not have been applied (timeout, dropped connection, server error,
    /// unreadable body on an unsafe request). The caller must find out before resending.
    Ambiguous(String),
    /// Retries did not cure it, or it cannot be retried.
    Failed(String),
}

impl CallError {
    /// What went wrong, in words.
    pub fn message(&self) -> &str {
        match self {
            CallError::Ambiguous(m) | CallError::Failed(m) => m,
        }
    }
}

impl From<CallError> for ConnectorError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Ambiguous(m) | CallError::Failed(m) => ConnectorError::Remote(m),
        }
    }
}

/// What came back: status, headers and the body as JSON (a non-JSON error body becomes a
/// JSON string so its words are never lost).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A reply whose body is not JSON.
#[derive(Debug)]
pub struct RawReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Whether a request may be sent again blindly after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reads, deletes by id, upserts by key: applying twice equals applying once.
    Idempotent,
    /// Creates: an ambiguous failure is returned to the caller.
    Unsafe,
}

#[derive(Debug)]
struct BreakerInner {
    state: BreakerState,
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// Opens after `threshold` consecutive server failures; after the cool-down one probe decides.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<BreakerInner>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold,
            cooldown,
            inner: Mutex::new(BreakerInner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                open_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// How long to wait before the next call may go out (zero when closed).
    fn wait_time(&self) -> Duration {
        let mut b = self.lock();
        match (b.state, b.open_until) {
            (BreakerState::Open, Some(until)) => {
                let now = Instant::now();
                if now >= until {
                    b.state = BreakerState::HalfOpen;
                    Duration::ZERO
                } else {
                    until - now
                }
            }
            _ => Duration::ZERO,
        }
    }

    fn success(&self) {
        let mut b = self.lock();
        b.state = BreakerState::Closed;
        b.consecutive_failures = 0;
        b.open_until = None;
    }

    fn failure(&self) {
        let mut b = self.lock();
        b.consecutive_failures += 1;
        if b.state == BreakerState::HalfOpen || b.consecutive_failures >= self.threshold {
            if b.state != BreakerState::Open {
                tracing::warn!(failures = b.consecutive_failures, "circuit breaker opened");
            }
            b.state = BreakerState::Open;
            b.open_until = Some(Instant::now() + self.cooldown);
        }
    }
}

#[derive(Debug)]
struct LimiterInner {
    tokens: f64,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// A token bucket on requests, plus a pause the platform can order through its headers.
#[derive(Debug)]
pub struct Limiter {
    rate: Option<f64>,
    burst: f64,
    inner: Mutex<LimiterInner>,
}

impl Limiter {
    pub fn new(rate: Option<f64>, burst: f64) -> Self {
        Limiter {
            rate,
            burst,
            inner: Mutex::new(LimiterInner {
                tokens: burst,
                last: Instant::now(),
                blocked_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds every request until `until` (a window reset the platform announced).
    pub fn pause_until(&self, until: Instant) {
        let mut l = self.lock();
        if l.blocked_until.is_none_or(|b| b < until) {
            l.blocked_until = Some(until);
        }
    }

    /// Takes one token, returning how long the caller must wait before sending.
    fn reserve(&self) -> Duration {
        let mut l = self.lock();
        let now = Instant::now();
        let mut wait = match l.blocked_until {
            Some(b) if b > now => b - now,
            _ => Duration::ZERO,
        };
        if let Some(rate) = self.rate {
            let elapsed = now.saturating_duration_since(l.last).as_secs_f64();
            l.tokens = (l.tokens + elapsed * rate).min(self.burst);
            l.last = now;
            l.tokens -= 1.0;
            if l.tokens < 0.0 {
                wait = wait.max(Duration::from_secs_f64(-l.tokens / rate));
            }
        }
        wait
    }
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    config: Arc<HttpConfig>,
    breaker: Arc<Breaker>,
    limiter: Arc<Limiter>,
    counters: Arc<Counters>,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, ConnectorError> {
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &config.extra_roots {
            let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                ConnectorError::Input(format!("the trusted certificates are not PEM: {e}"))
            })?;
            if roots.is_empty() {
                return Err(ConnectorError::Input(
                    "the trusted certificates file holds no PEM certificate".into(),
                ));
            }
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let client = builder
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("storeshift/", env!("CARGO_PKG_VERSION")))
            .redirect(if config.follow_redirects {
                reqwest::redirect::Policy::default()
            } else {
                reqwest::redirect::Policy::none()
            })
            .build()
            .map_err(|e| ConnectorError::Remote(format!("cannot set up the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            breaker: Arc::new(Breaker::new(
                config.breaker_threshold,
                config.breaker_cooldown,
            )),
            limiter: Arc::new(Limiter::new(config.requests_per_second, config.burst)),
            counters: Arc::new(Counters::new()),
            config: Arc::new(config),
        })
    }

    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn stats(&self) -> ApiStats {
        let c = &self.counters;
        let budget = c.budget_used.load(Ordering::Relaxed);
        ApiStats {
            calls: c.calls.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            server_errors: c.server_errors.load(Ordering::Relaxed),
            breaker: self.breaker.state(),
            budget_used_pct: (budget != u64::MAX).then(|| budget as f64 / 100.0),
            points: c.points.load(Ordering::Relaxed),
        }
    }

    /// Exponential backoff with full jitter: a random wait in [0, min(max, base·2^attempt)].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self.config.max_delay.as_secs_f64();
        let step = self.config.base_delay.as_secs_f64() * 2f64.powi(attempt.min(30) as i32);
        Duration::from_secs_f64(fastrand::f64() * step.min(cap))
    }

    /// Counts a retry the caller decided on and waits the backoff (or the server's word).
    pub async fn wait_before_retry(&self, attempt: u32, server_says: Option<Duration>) {
        Counters::bump(&self.counters.retries);
        let wait = match server_says {
            // The server's own number is a floor; jitter on top keeps clients from lining up.
            Some(d) => {
                d + Duration::from_secs_f64(fastrand::f64() * self.config.base_delay.as_secs_f64())
            }
            None => self.backoff(attempt),
        };
        tokio::time::sleep(wait).await;
    }

    /// Records a "slow down" answer that arrived inside a 200 (GraphQL THROTTLED).
    pub fn note_throttled(&self) {
        Counters::bump(&self.counters.throttled);
    }

    /// Sends the request `build` makes (called again for every attempt), retrying what is safe
    /// to retry. 4xx replies other than 429, and 501, are returned to the caller: they carry the
    /// platform's own message about the request.
    pub async fn send(
        &self,
        what: &str,
        safety: Safety,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CallError> {
        self.send_decoded(what, safety, build, |status, headers, bytes| {
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => v,
                    Err(e) if status.is_success() => {
                        return Err(format!("the reply is not valid JSON ({e})"))
                    }
                    Err(_) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                }
            };
            Ok(Reply {
                status,
                headers,
                body,
            })
        })
        .await
    }

    /// [`send`](Self::send) for replies that are not JSON (file uploads and downloads): the
    /// same retries, waits, breaker and limiter, the body handed back as bytes.
    pub async fn send_bytes(
        &self,
        what: &str,
        safety: Safety,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<RawReply, CallError> {
        self.send_decoded(what, safety, build, |status, headers, bytes| {
            Ok(RawReply {
                status,
                headers,
                bytes,
            })
        })
        .await
    }

    /// The one retry loop. `decode` turns a non-429, non-5xx reply into the caller's type; its
    /// `Err` means the reply could not be read (a truncated download, a body that does not
    /// parse) and is retried like a broken connection.
    pub async fn send_decoded<T>(
        &self,
        what: &str,
        safety: Safety,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
        decode: impl Fn(StatusCode, HeaderMap, Vec<u8>) -> Result<T, String>,
    ) -> Result<T, CallError> {
        self.send_with(what, safety, build, true, decode).await
    }

    /// [`send`](Self::send) when only the status and headers matter (a `GET` standing in for a
    /// refused `HEAD`): the body is never read, the connection is dropped after the headers.
    pub async fn send_headers_only(
        &self,
        what: &str,
        safety: Safety,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap), CallError> {
        self.send_with(what, safety, build, false, |status, headers, _| {
            Ok((status, headers))
        })
        .await
    }

    async fn send_with<T>(
        &self,
        what: &str,
        safety: Safety,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
        read_body: bool,
        decode: impl Fn(StatusCode, HeaderMap, Vec<u8>) -> Result<T, String>,
    ) -> Result<T, CallError> {
        let mut attempt = 0u32;
        loop {
            let wait = self.breaker.wait_time().max(self.limiter.reserve());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Counters::bump(&self.counters.calls);
            let (message, server_says, ambiguous) =
                match self.attempt(what, build(&self.client), read_body).await {
                    Attempt::Done(status, headers, bytes) => match decode(status, headers, bytes) {
                        Ok(v) => return Ok(v),
                        Err(why) => (format!("{what}: {why}"), None, true),
                    },
                    Attempt::Retry {
                        message,
                        server_says,
                        ambiguous,
                    } => (message, server_says, ambiguous),
                    Attempt::GiveUp(message) => return Err(CallError::Failed(message)),
                };
            if ambiguous && safety == Safety::Unsafe {
                return Err(CallError::Ambiguous(message));
            }
            if attempt >= self.config.max_retries {
                return Err(CallError::Failed(format!(
                    "{message} (gave up after {} attempts)",
                    attempt + 1
                )));
            }
            if let Some(d) = server_says.filter(|d| *d > self.config.max_server_wait) {
                return Err(CallError::Failed(format!(
                    "{message}; the server asks to wait {} s, longer than the {} s this caller waits",
                    d.as_secs(),
                    self.config.max_server_wait.as_secs()
                )));
            }
            tracing::debug!(what, attempt, %message, "retrying");
            self.wait_before_retry(attempt, server_says).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, what: &str, request: RequestBuilder, read_body: bool) -> Attempt {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                self.breaker.failure();
                if e.is_timeout() && !self.config.retry_timeouts {
                    return Attempt::GiveUp(describe_error(what, &e, self.config.timeout));
                }
                // A refused connection never reached the server; anything later might have.
                let ambiguous = !e.is_connect();
                return Attempt::Retry {
                    message: describe_error(what, &e, self.config.timeout),
                    server_says: None,
                    ambiguous,
                };
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::TOO_MANY_REQUESTS {
            Counters::bump(&self.counters.throttled);
            self.breaker.success();
            let server_says = retry_after(&headers);
            let _ = response.bytes().await;
            return Attempt::Retry {
                message: format!("{what}: HTTP 429 Too Many Requests"),
                server_says,
                ambiguous: false,
            };
        }
        // 501: the server does not implement the method; asking again cannot change that.
        let retried_error = status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED;
        if !read_body {
            // Dropping the response closes the connection before the body is read.
            drop(response);
            if retried_error {
                Counters::bump(&self.counters.server_errors);
                self.breaker.failure();
                return Attempt::Retry {
                    message: format!("{what}: HTTP {status}"),
                    server_says: retry_after(&headers),
                    ambiguous: true,
                };
            }
            self.breaker.success();
            return Attempt::Done(status, headers, vec![]);
        }
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.breaker.failure();
                return Attempt::Retry {
                    message: describe_error(what, &e, self.config.timeout),
                    server_says: None,
                    ambiguous: true,
                };
            }
        };
        if retried_error {
            Counters::bump(&self.counters.server_errors);
            self.breaker.failure();
            let text = String::from_utf8_lossy(&bytes);
            return Attempt::Retry {
                message: format!("{what}: HTTP {status}: {}", snippet(&text)),
                server_says: retry_after(&headers),
                ambiguous: true,
            };
        }
        self.breaker.success();
        Attempt::Done(status, headers, bytes.to_vec())
    }
}

enum Attempt {
    Done(StatusCode, HeaderMap, Vec<u8>),
    /// Not worth another attempt (see [`HttpConfig::retry_timeouts`]).
    GiveUp(String),
    Retry {
        message: String,
        server_says: Option<Duration>,
        ambiguous: bool,
    },
}

fn describe_error(what: &str, e: &reqwest::Error, timeout: Duration) -> String {
    // reqwest errors carry the URL; ours never holds a secret (credentials travel in headers).
    let waited;
    let kind = if e.is_timeout() {
        waited = format!("no answer within {} s", timeout.as_secs_f64());
        waited.as_str()
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the reply"
    } else {
        "the request failed"
    };
    format!("{what}: {kind} ({e})")
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// `Retry-After` (seconds or an HTTP date) or BigCommerce's `X-Retry-After` (seconds).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after", "x-retry-after"] {
        let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let v = v.trim();
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Some(Duration::from_secs_f64(secs.min(3600.0)));
            }
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            let now = chrono::Utc::now();
            let secs = (at.with_timezone(&chrono::Utc) - now)
                .num_milliseconds()
                .max(0) as u64;
            return Some(Duration::from_millis(secs.min(3_600_000)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_bigcommerce_header() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("x-retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after", HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let c = HttpClient::new(HttpConfig {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..HttpConfig::default()
        })
        .expect("client");
        for attempt in 0..20 {
            let d = c.backoff(attempt);
            let cap =
                Duration::from_millis(100 * 2u64.pow(attempt.min(10))).min(Duration::from_secs(1));
            assert!(d <= cap, "attempt {attempt}: {d:?} > {cap:?}");
        }
        let spread: std::collections::BTreeSet<_> =
            (0..50).map(|_| c.backoff(5).as_micros()).collect();
        assert!(spread.len() > 10, "full jitter spreads the waits");
    }

    #[test]
    fn breaker_opens_after_threshold_and_half_opens_after_cooldown() {
        let b = Breaker::new(3, Duration::from_millis(0));
        b.failure();
        b.failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.wait_time(), Duration::ZERO);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.failure();
        assert_eq!(b.state(), BreakerState::Open);
        b.wait_time();
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn limiter_spaces_requests_at_the_rate() {
        let l = Limiter::new(Some(10.0), 1.0);
        assert_eq!(l.reserve(), Duration::ZERO);
        let w = l.reserve();
        assert!(
            w > Duration::from_millis(50) && w <= Duration::from_millis(100),
            "{w:?}"
        );
    }
}
