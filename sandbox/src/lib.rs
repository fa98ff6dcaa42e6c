//! Local test servers that behave like the platforms' Admin APIs, as their documentation
//! describes them: pagination, authentication, rate limits, error shapes, batch limits and
//! upsert semantics. In-memory, bound to 127.0.0.1, one per platform.
//!
//! Every server counts the requests it receives and can be scripted to misbehave at a given
//! request number ([`Fault`]), so fault-injection tests are deterministic. Every server also
//! keeps a [`CreationLog`]: the external keys it created records for, so a test can assert that
//! nothing was ever created twice. On demand it records its [`Traffic`] (every API request and
//! its reply) for the [`contract`] harness, which holds both sides to the platform's published
//! specification.

pub mod bigcommerce;
pub mod contract;
pub mod graphql_schema;
pub mod ideasoft;
pub mod ikas;
pub mod magento;
pub mod shopify;
pub mod woocommerce;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Paths under this prefix are the sandbox's own (inspection), never counted or faulted.
pub const CONTROL_PREFIX: &str = "/__sandbox";

/// One scripted misbehaviour.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `Retry-After` (and `X-Retry-After`) in seconds; the request is not applied.
    TooManyRequests { retry_after_secs: f64 },
    /// The given 5xx status; the request is not applied.
    Status(u16),
    /// The request is applied, then the reply is held back this long (beyond a client timeout
    /// the client cannot know whether it was applied).
    Slow(Duration),
    /// The request is applied, then the connection is dropped without a complete reply.
    Reset,
    /// The request is applied, then the reply is truncated JSON with status 200.
    MalformedJson,
    /// GraphQL only: HTTP 200 with an `errors` array (INTERNAL_SERVER_ERROR); not applied.
    GraphqlError,
}

impl Fault {
    /// Reads one scripted fault as the `sandbox` command takes it: `N=KIND`, where N is the
    /// 1-based request number and KIND is `429[:SECS]`, a 5xx status (`500`, `502`, `503`),
    /// `reset`, `malformed`, `slow:SECS` or `graphql`.
    pub fn parse_spec(spec: &str) -> Result<(u64, Fault), String> {
        let usage = "use N=KIND with KIND one of 429[:SECS], 500, 502, 503, reset, malformed, slow:SECS, graphql (e.g. 7=429:2)";
        let (n, kind) = spec
            .split_once('=')
            .ok_or_else(|| format!("fault {spec:?} has no request number: {usage}"))?;
        let n: u64 = n.trim().parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
            format!("fault {spec:?}: {n:?} is not a request number (1 or more): {usage}")
        })?;
        let (name, arg) = match kind.trim().split_once(':') {
            Some((a, b)) => (a, Some(b)),
            None => (kind.trim(), None),
        };
        let secs = |what: &str| -> Result<f64, String> {
            arg.map(str::trim)
                .and_then(|a| a.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
                .ok_or_else(|| {
                    format!("fault {spec:?}: {what} takes seconds (0 to 3600), e.g. {n}={what}:2")
                })
        };
        let fault = match name.to_ascii_lowercase().as_str() {
            "429" => Fault::TooManyRequests {
                retry_after_secs: if arg.is_some() { secs("429")? } else { 1.0 },
            },
            "reset" => Fault::Reset,
            "malformed" => Fault::MalformedJson,
            "graphql" => Fault::GraphqlError,
            "slow" => Fault::Slow(Duration::from_secs_f64(secs("slow")?)),
            code => match code.parse::<u16>() {
                Ok(c) if (500..=599).contains(&c) && arg.is_none() => Fault::Status(c),
                _ => return Err(format!("fault {spec:?}: unknown kind {kind:?}: {usage}")),
            },
        };
        Ok((n, fault))
    }
}

/// Faults by request number (1-based, counting every API request the server receives), and
/// the traffic recorder: the two controls every sandbox's middleware shares.
#[derive(Debug, Default)]
pub struct Faults {
    count: AtomicU64,
    script: Mutex<BTreeMap<u64, Fault>>,
    injected: AtomicU64,
    traffic: Traffic,
}

impl Faults {
    /// The server's traffic recorder (off until [`Traffic::record`] or `POST /__sandbox/traffic`).
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Makes request number `n` (1-based) misbehave.
    pub fn at(&self, n: u64, fault: Fault) {
        lock(&self.script).insert(n, fault);
    }

    /// Makes each of the next requests at the given offsets from now misbehave.
    pub fn after(&self, offsets: &[(u64, Fault)]) {
        let base = self.requests();
        for (off, f) in offsets {
            self.at(base + off, f.clone());
        }
    }

    /// API requests received so far.
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Faults that actually fired.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Faults scripted but not yet reached.
    pub fn scripted(&self) -> usize {
        lock(&self.script).len()
    }

    fn next(&self) -> Option<Fault> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let f = lock(&self.script).remove(&n);
        if f.is_some() {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        f
    }
}

/// External keys a server created records for, per entity. A key created twice is the bug
/// every idempotency test looks for.
#[derive(Debug, Default)]
pub struct CreationLog {
    created: Mutex<HashMap<(String, String), u32>>,
}

impl CreationLog {
    pub fn record(&self, entity: &str, key: &str) {
        *lock(&self.created)
            .entry((entity.to_string(), key.to_string()))
            .or_insert(0) += 1;
    }

    /// `(entity, key, times created)` for every key created more than once.
    pub fn duplicates(&self) -> Vec<(String, String, u32)> {
        let mut d: Vec<_> = lock(&self.created)
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|((e, k), n)| (e.clone(), k.clone(), *n))
            .collect();
        d.sort();
        d
    }

    pub fn total(&self) -> usize {
        lock(&self.created).values().map(|n| *n as usize).sum()
    }
}

/// One API request and the reply the platform handler gave it, as the contract harness checks
/// them. Bodies that are not JSON are kept as a JSON string so the harness can say so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    /// The query string as sent (percent-encoded), empty when there was none.
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub request: Option<Value>,
    pub status: u16,
    #[serde(default)]
    pub reply: Option<Value>,
}

/// Records [`Exchange`]s while switched on. Off by default: a sandbox serving a long rehearsal
/// keeps no history it was not asked for.
#[derive(Debug, Default)]
pub struct Traffic {
    on: AtomicBool,
    log: Mutex<Vec<Exchange>>,
}

impl Traffic {
    /// Starts or stops recording (what was recorded stays until [`Traffic::take`]).
    pub fn record(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }

    pub fn is_recording(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// Everything recorded so far, in arrival order.
    pub fn snapshot(&self) -> Vec<Exchange> {
        lock(&self.log).clone()
    }

    /// Everything recorded so far; the log starts empty again.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *lock(&self.log))
    }

    fn push(&self, e: Exchange) {
        lock(&self.log).push(e);
    }
}

/// Largest body the recorder buffers; a sandbox never sees more from a connector.
const MAX_RECORDED_BODY: usize = 64 << 20;

fn body_json(bytes: &[u8]) -> Option<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

/// Buffers request and reply of every API call while the recorder is on. It sits inside the
/// fault injector, so it records what the platform handler answered, not the scripted fault.
async fn record(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let traffic = faults.traffic();
    if !traffic.is_recording() || req.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_RECORDED_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large for the recorder",
        )
            .into_response();
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let request = body_json(&bytes);
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (rparts, rbody) = resp.into_parts();
    let rbytes = axum::body::to_bytes(rbody, MAX_RECORDED_BODY)
        .await
        .unwrap_or_default();
    traffic.push(Exchange {
        method,
        path,
        query,
        request,
        status: rparts.status.as_u16(),
        reply: body_json(&rbytes),
    });
    Response::from_parts(rparts, Body::from(rbytes))
}

#[derive(Debug, Deserialize)]
struct TrafficControl {
    #[serde(default)]
    record: Option<bool>,
    #[serde(default)]
    clear: bool,
}

/// `GET /__sandbox/traffic`: every exchange recorded so far (a JSON array of [`Exchange`]).
async fn traffic_log(State(faults): State<Arc<Faults>>) -> axum::Json<Vec<Exchange>> {
    axum::Json(faults.traffic().snapshot())
}

/// `POST /__sandbox/traffic` with `{"record": true}` starts recording (`false` stops it),
/// `{"clear": true}` empties the log; replies with the recorder's state.
async fn traffic_control(State(faults): State<Arc<Faults>>, body: axum::body::Bytes) -> Response {
    let ctl: TrafficControl = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({ "error": format!("expected {{\"record\": true|false, \"clear\": true|false}}: {e}") })),
            )
                .into_response()
        }
    };
    let t = faults.traffic();
    if ctl.clear {
        t.take();
    }
    if let Some(on) = ctl.record {
        t.record(on);
    }
    axum::Json(
        serde_json::json!({ "recording": t.is_recording(), "exchanges": lock(&t.log).len() }),
    )
    .into_response()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a platform words a server-side error (status, JSON body).
pub type ErrorBody = fn(StatusCode) -> Value;

#[derive(Clone)]
struct FaultState {
    faults: Arc<Faults>,
    error_body: ErrorBody,
}

async fn inject(State(st): State<FaultState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    let Some(fault) = st.faults.next() else {
        return next.run(req).await;
    };
    match fault {
        Fault::TooManyRequests { retry_after_secs } => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json((st.error_body)(StatusCode::TOO_MANY_REQUESTS)))
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{retry_after_secs}")) {
                r.headers_mut().insert("retry-after", v.clone());
                r.headers_mut().insert("x-retry-after", v);
            }
            r
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json((st.error_body)(status))).into_response()
        }
        Fault::Slow(d) => {
            let r = next.run(req).await;
            tokio::time::sleep(d).await;
            r
        }
        Fault::Reset => {
            let _ = next.run(req).await;
            // A body that fails on its first read makes hyper abort the connection.
            let stream = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sandbox fault: connection reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Fault::MalformedJson => {
            let _ = next.run(req).await;
            ([("content-type", "application/json")], "{\"data\": {\"truncated\": [1, 2,").into_response()
        }
        Fault::GraphqlError => axum::Json(serde_json::json!({
            "errors": [{
                "message": "Internal error. Looks like something went wrong on our end.\nRequest ID: sandbox",
                "extensions": { "code": "INTERNAL_SERVER_ERROR", "requestId": "sandbox" }
            }]
        }))
        .into_response(),
    }
}

/// `GET /__sandbox/faults`: requests counted, faults injected and still scripted.
async fn faults_state(State(faults): State<Arc<Faults>>) -> axum::Json<Value> {
    axum::Json(serde_json::json!({
        "requests": faults.requests(), "injected": faults.injected(), "scripted": faults.scripted(),
    }))
}

/// `POST /__sandbox/faults` with `["7=429:2", "+3=reset"]`: scripts faults by request number,
/// or (with `+`) relative to the requests received so far.
async fn add_faults(State(faults): State<Arc<Faults>>, body: axum::body::Bytes) -> Response {
    let specs: Vec<String> = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({ "error": format!("expected a JSON array of fault specs such as [\"7=429:2\"]: {e}") })),
            )
                .into_response()
        }
    };
    let base = faults.requests();
    for spec in &specs {
        let (relative, text) = match spec.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        match Fault::parse_spec(text) {
            Ok((n, f)) => faults.at(if relative { base + n } else { n }, f),
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({ "error": e })),
                )
                    .into_response()
            }
        }
    }
    faults_state(State(faults)).await.into_response()
}

/// Wraps a platform router with the traffic recorder, the fault injector (outside it) and
/// their control routes.
pub(crate) fn with_faults(router: Router, faults: Arc<Faults>, error_body: ErrorBody) -> Router {
    let control = axum::routing::get(faults_state)
        .post(add_faults)
        .with_state(faults.clone());
    let traffic = axum::routing::get(traffic_log)
        .post(traffic_control)
        .with_state(faults.clone());
    router
        .route(&format!("{CONTROL_PREFIX}/faults"), control)
        .route(&format!("{CONTROL_PREFIX}/traffic"), traffic)
        .layer(axum::middleware::from_fn_with_state(faults.clone(), record))
        .layer(axum::middleware::from_fn_with_state(
            FaultState { faults, error_body },
            inject,
        ))
}

/// A server running on 127.0.0.1; stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the task ends (the example binary waits on this).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1:`port` (0 = any free port) and serves `router` in the background.
pub async fn serve(router: Router, port: u16) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("sandbox server stopped: {e}");
        }
    });
    Ok(Running { addr, task })
}

fn script(faults: &Faults, script: &[(u64, Fault)]) {
    for (n, f) in script {
        faults.at(*n, f.clone());
    }
}

/// What to start with [`launch`].
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    pub port: u16,
    pub seed_products: usize,
    pub seed_customers: usize,
    /// Shopify only: orders the store starts with.
    pub seed_orders: usize,
    /// Shopify only: objects a bulk query works through per second (None: at once).
    pub bulk_objects_per_second: Option<f64>,
    /// Shopify only: downloads of a bulk result that break halfway, from the first.
    pub cut_bulk_downloads: u32,
    /// Shopify only: points restored per second and bucket size (None: the defaults).
    pub restore_rate: Option<f64>,
    pub bucket: Option<f64>,
    /// Scripted faults by request number (see [`Fault::parse_spec`]).
    pub faults: Vec<(u64, Fault)>,
    /// BigCommerce only: the plan whose request window the store enforces (None: standard).
    pub plan: Option<String>,
}

/// Starts one platform's sandbox on 127.0.0.1 (for rehearsals and kill -9 tests run as a
/// separate process). Returns the running server and a line saying which credentials it takes.
pub async fn launch(platform: &str, opts: &LaunchOptions) -> Result<(Running, String), String> {
    use bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
    use ikas::{IkasConfig, IkasSandbox};
    use magento::{MagentoConfig, MagentoSandbox};
    use shopify::{ShopifyConfig, ShopifySandbox};
    use woocommerce::{WooConfig, WooSandbox};
    let (products, customers) = (opts.seed_products, opts.seed_customers);
    let bind = |e: std::io::Error| format!("cannot bind 127.0.0.1:{}: {e}", opts.port);
    match platform {
        "shopify" => {
            let mut cfg = ShopifyConfig::default();
            if let Some(r) = opts.restore_rate {
                cfg.restore_rate = r;
            }
            if let Some(b) = opts.bucket {
                cfg.bucket = b;
            }
            if let Some(r) = opts.bulk_objects_per_second {
                cfg.bulk_objects_per_second = r;
            }
            let sb = ShopifySandbox::new(cfg);
            sb.seed_products(products);
            sb.seed_customers(customers);
            sb.seed_orders(opts.seed_orders);
            sb.cut_next_bulk_downloads(opts.cut_bulk_downloads);
            let creds = format!(
                "Shopify sandbox: X-Shopify-Access-Token {}",
                sb.config().token
            );
            script(&sb.faults, &opts.faults);
            Ok((sb.start(opts.port).await.map_err(bind)?, creds))
        }
        "woocommerce" | "woo" => {
            let sb = WooSandbox::new(WooConfig::default());
            sb.seed_products(products);
            sb.seed_customers(customers);
            let creds = format!(
                "WooCommerce sandbox: consumer key {} secret {}; WordPress user {} application password \"{}\" (pages)",
                sb.config().consumer_key,
                sb.config().consumer_secret,
                sb.config().wp_user,
                sb.config().wp_app_password
            );
            script(&sb.faults, &opts.faults);
            Ok((sb.start(opts.port).await.map_err(bind)?, creds))
        }
        "bigcommerce" => {
            let mut cfg = BigCommerceConfig::default();
            if let Some(plan) = &opts.plan {
                let (quota, window_ms) = storeshift_connectors::platform::bigcommerce::request_window(plan);
                cfg.quota = quota;
                cfg.window_ms = u64::from(window_ms);
            }
            let sb = BigCommerceSandbox::new(cfg);
            sb.seed_products(products);
            sb.seed_customers(customers);
            let creds = format!(
                "BigCommerce sandbox: store hash {}, X-Auth-Token {}",
                sb.config().store_hash,
                sb.config().token
            );
            script(&sb.faults, &opts.faults);
            Ok((sb.start(opts.port).await.map_err(bind)?, creds))
        }
        "magento" => {
            let sb = MagentoSandbox::new(MagentoConfig::default());
            sb.seed_products(products);
            sb.seed_customers(customers);
            let creds = format!(
                "Magento sandbox: admin {} / {}",
                sb.config().username,
                sb.config().password
            );
            script(&sb.faults, &opts.faults);
            Ok((sb.start(opts.port).await.map_err(bind)?, creds))
        }
        "ikas" => {
            let sb = IkasSandbox::new(IkasConfig::default());
            sb.seed_products(products);
            let creds = format!(
                "Ikas sandbox: client {} secret {} (use the printed URL as url and api_url)",
                sb.config().client_id,
                sb.config().client_secret
            );
            script(&sb.faults, &opts.faults);
            Ok((sb.start(opts.port).await.map_err(bind)?, creds))
        }
        "ideasoft" => ideasoft::launch(opts).await.map_err(bind),
        other => Err(format!(
            "no sandbox for {other:?}: use shopify, woocommerce, bigcommerce, magento, ikas or ideasoft"
        )),
    }
}
