//! Logs: daily files in the workspace's logs/ folder (tracing-appender), never the terminal the
//! console draws on. Events are logged as they are published; secrets never reach them.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging; keep the guard alive for the whole run so the last lines are written.
pub fn init(logs: &Path) -> Option<WorkerGuard> {
    // A process that drives several runs (`sync --every`) keeps the first run's writer: its
    // guard lives as long as the sync, and a second writer would never be installed.
    if tracing::dispatcher::has_been_set() {
        return None;
    }
    std::fs::create_dir_all(logs).ok()?;
    let appender = tracing_appender::rolling::daily(logs, "storeshift.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("STORESHIFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
