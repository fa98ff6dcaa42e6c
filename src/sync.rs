//! `storeshift sync`: sync cycles after a finished migration, once, every DURATION, or until a
//! cutover is requested. Each cycle is a run of its own (resumable, pausable, killable); between
//! cycles the workspace is free for `storeshift decide`, `pause`, `status`.

use crate::cli::{EventsFormat, SyncArgs};
use crate::run::{self, exit};
use anyhow::{anyhow, Result};
use serde_json::json;
use std::time::Duration;
use storeshift_agents::config::parse_duration;
use storeshift_agents::store::Store;
use storeshift_agents::sync::{cutover_requested, last_summary, CycleSummary};
use storeshift_agents::{runtime, Workspace};

mod front;

pub(crate) use front::owed_full_cycle;

/// Cycle period of `--until-cutover` without `--every`.
const DEFAULT_EVERY: Duration = Duration::from_secs(600);

pub async fn sync(args: &SyncArgs) -> Result<i32> {
    let t = crate::ops::resolve(&args.workspace)?;
    let cfg = t.cfg.ok_or_else(|| {
        anyhow!(
            "{} has no migration.toml: sync the workspace a finished `storeshift run` made",
            args.workspace.display()
        )
    })?;
    let every = match &args.every {
        Some(d) => Some(parse_duration(d).map_err(|e| anyhow!("--every {e}"))?),
        None if args.until_cutover => Some(DEFAULT_EVERY),
        None => None,
    };
    if every == Some(Duration::ZERO) {
        return Err(anyhow!("--every must be longer than zero"));
    }
    let ws = t.ws;
    if run::console_mode(&args.front) {
        return front::run(args, cfg, ws, every).await;
    }
    // Cycles come one after another in this process: the log writer and the metrics port are
    // set up once and outlive every cycle (a cycle's own would end with it).
    let _log_guard = crate::logging::init(&ws.logs());
    let metrics = match args.front.metrics {
        Some(addr) => {
            let m = crate::metrics::Metrics::bind(addr).await?;
            eprintln!("metrics: http://{addr}/metrics");
            Some(m)
        }
        None => None,
    };
    // `--full` holds until a full cycle finished: a cycle a crash interrupted resumes as it
    // began, and the full one follows it at once.
    let mut full = args.full;
    loop {
        if let Some(at) = peek(&ws, cutover_requested)? {
            say(args, &format!("cutover requested at {at}: syncing stopped"));
            return Ok(exit::DONE);
        }
        let began = std::time::Instant::now();
        let code = run::drive_kind(
            cfg.clone(),
            &args.front,
            false,
            run::Kind::Sync { full },
            metrics.as_ref(),
        )
        .await?;
        if code != exit::DONE {
            return Ok(code);
        }
        let summary = peek(&ws, |s| {
            let run = runtime::current_run(s).map(|r| r.run).unwrap_or(0);
            last_summary(s, run)
        })?;
        if let Some(summary) = summary.as_ref().filter(|s| full && !s.full) {
            print_cycle(args, &ws, summary, began.elapsed(), None);
            say(
                args,
                &format!(
                    "cycle {} was resumed as it began (not full); the full cycle --full asks for starts now",
                    summary.run
                ),
            );
            continue;
        }
        full = false;
        let next = every.map(|e| chrono::Utc::now() + e.saturating_sub(began.elapsed()));
        if let Some(summary) = &summary {
            print_cycle(args, &ws, summary, began.elapsed(), next);
        }
        let Some(every) = every else {
            return Ok(exit::DONE);
        };
        let wait = every.saturating_sub(began.elapsed());
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => return Ok(exit::STOPPED),
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => return Ok(exit::STOPPED),
        }
    }
}

/// Reads the state for a moment (no run is live between cycles).
fn peek<V>(ws: &Workspace, f: impl FnOnce(&Store) -> V) -> Result<V> {
    if !ws.state().exists() {
        return Err(anyhow!(
            "{} has no state: run `storeshift run` first",
            ws.dir.display()
        ));
    }
    // The cycle just ended may still be letting go of the state (its tasks wind down).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(&ws.state()) {
            Ok(store) => return Ok(f(&store)),
            Err(storeshift_agents::store::StoreError::Locked(_))
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(anyhow!("{e}")),
        }
    }
}

fn say(args: &SyncArgs, line: &str) {
    if args.front.events == EventsFormat::Bars {
        eprintln!("{line}");
    }
}

/// The cycle's summary: changes moved, records read, failures, deletions, the lag (no change
/// older than the cycle's start is still unmoved) and the next cycle's time.
fn print_cycle(
    args: &SyncArgs,
    ws: &Workspace,
    s: &CycleSummary,
    took: Duration,
    next: Option<chrono::DateTime<chrono::Utc>>,
) {
    let reported: u64 = s.deletions_reported.values().sum();
    let next_at = next.map(|n| n.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    if args.front.events == EventsFormat::Jsonl {
        println!(
            "{}",
            json!({
                "type": "sync_cycle",
                "run": s.run,
                "full": s.full,
                "read": s.read(),
                "moved": s.moved(),
                "failed": s.failed(),
                "counts": s.counts,
                "since": s.since,
                "files_unchanged": s.files_unchanged,
                "deletions_reported": reported,
                "deleted": s.deleted,
                "lag_secs": took.as_secs(),
                "next_cycle_at": next_at,
            })
        );
    } else {
        let unchanged = if s.files_unchanged.is_empty() {
            String::new()
        } else {
            format!(
                "; export files unchanged since the last cycle (nothing read): {}",
                s.files_unchanged
                    .iter()
                    .map(|e| e.key())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        eprintln!(
            "sync cycle {}{}: {} changes moved, {} records read, {} failed, {} deletions reported{}, {} deleted; lag ≤ {}s{}{}",
            s.run,
            if s.full { " (full: every entity read whole)" } else { "" },
            s.moved(),
            s.read(),
            s.failed(),
            reported,
            if reported > 0 { format!(" (decide them: `storeshift status {}`)", ws.dir.display()) } else { String::new() },
            s.deleted,
            took.as_secs(),
            unchanged,
            next_at.map(|n| format!("; next cycle at {n}")).unwrap_or_default()
        );
    }
}
