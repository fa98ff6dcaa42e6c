//! Prometheus metrics for agencies watching many runs: records by entity and outcome, batch
//! latency, API calls and retries, interventions pending, run state, dropped events.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use storeshift_agents::{EventKind, Link, RunState, Snapshot};
use tokio::sync::watch;

/// Upper bounds of the batch latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Latency {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

/// Serves `/metrics` on `addr` until the process ends.
pub async fn serve(addr: SocketAddr, link: Link) -> anyhow::Result<Metrics> {
    let m = Metrics::bind(addr).await?;
    m.follow(link);
    Ok(m)
}

/// The `/metrics` endpoint, bound once and pointed at each run in turn: `storeshift sync
/// --every` runs a cycle after another in one process, and the port stays the same.
#[derive(Clone)]
pub struct Metrics {
    snapshots: Arc<Mutex<Option<watch::Receiver<Snapshot>>>>,
    latency: Arc<Mutex<Latency>>,
}

impl Metrics {
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Metrics> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
        let m = Metrics {
            snapshots: Arc::new(Mutex::new(None)),
            latency: Arc::new(Mutex::new(Latency::default())),
        };
        let (snapshots, latency) = (m.snapshots.clone(), m.latency.clone());
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let snap = lock(&snapshots).as_ref().map(|s| s.borrow().clone());
                let text = snap.map(|snap| render(&snap, &lock(&latency)));
                async move {
                    match text {
                        Some(text) => (
                            StatusCode::OK,
                            [("content-type", "text/plain; version=0.0.4")],
                            text,
                        ),
                        None => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [("content-type", "text/plain")],
                            "no run has started yet\n".to_string(),
                        ),
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(m)
    }

    /// From now on the endpoint shows this run; batch latencies add to those seen before.
    pub fn follow(&self, link: Link) {
        let Link {
            snapshots,
            mut events,
            ..
        } = link;
        *lock(&self.snapshots) = Some(snapshots);
        let latency = self.latency.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if let EventKind::BatchCommitted { millis, .. } = ev.kind {
                    let secs = millis as f64 / 1000.0;
                    let mut l = lock(&latency);
                    for (i, b) in BUCKETS.iter().enumerate() {
                        if secs <= *b {
                            l.counts[i] += 1;
                        }
                    }
                    l.sum += secs;
                    l.total += 1;
                }
            }
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn render(s: &Snapshot, l: &Latency) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP storeshift_records_total Records by entity and outcome in the current run."
    );
    let _ = writeln!(o, "# TYPE storeshift_records_total counter");
    for e in &s.entities {
        let c = &e.counts;
        for (outcome, n) in [
            ("created", c.created),
            ("updated", c.updated),
            ("unchanged", c.unchanged),
            ("skipped", c.skipped),
            ("failed", c.failed),
        ] {
            let _ = writeln!(
                o,
                "storeshift_records_total{{entity=\"{}\",outcome=\"{outcome}\"}} {n}",
                e.entity
            );
        }
    }
    let _ = writeln!(o, "# HELP storeshift_batch_latency_seconds Time to read, transform, load and commit one batch.");
    let _ = writeln!(o, "# TYPE storeshift_batch_latency_seconds histogram");
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            o,
            "storeshift_batch_latency_seconds_bucket{{le=\"{b}\"}} {}",
            l.counts[i]
        );
    }
    let _ = writeln!(
        o,
        "storeshift_batch_latency_seconds_bucket{{le=\"+Inf\"}} {}",
        l.total
    );
    let _ = writeln!(o, "storeshift_batch_latency_seconds_sum {}", l.sum);
    let _ = writeln!(o, "storeshift_batch_latency_seconds_count {}", l.total);
    let m = &s.metrics;
    for (name, help, kind, v) in [
        (
            "storeshift_api_calls_total",
            "API requests sent by the target connector.",
            "counter",
            m.api_calls as f64,
        ),
        (
            "storeshift_api_retries_total",
            "API requests retried.",
            "counter",
            m.retries as f64,
        ),
        (
            "storeshift_errors_total",
            "Records that failed.",
            "counter",
            m.errors as f64,
        ),
        (
            "storeshift_events_dropped_total",
            "Events slow readers missed.",
            "counter",
            m.dropped_events as f64,
        ),
        (
            "storeshift_records_per_second",
            "Current throughput.",
            "gauge",
            m.records_per_sec,
        ),
        (
            "storeshift_interventions_pending",
            "Interventions waiting for a decision.",
            "gauge",
            s.pending_interventions().count() as f64,
        ),
    ] {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    let _ = writeln!(o, "# HELP storeshift_run_state 1 for the run's current state.\n# TYPE storeshift_run_state gauge");
    for st in [
        RunState::Starting,
        RunState::Running,
        RunState::Paused,
        RunState::WaitingForOperator,
        RunState::Done,
        RunState::Failed,
    ] {
        let _ = writeln!(
            o,
            "storeshift_run_state{{run=\"{}\",state=\"{}\"}} {}",
            s.run,
            st.label().to_lowercase().replace(' ', "_"),
            u8::from(s.state == st)
        );
    }
    o
}
