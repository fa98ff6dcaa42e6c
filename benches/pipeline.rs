//! End-to-end pipeline benchmark: generate WooCommerce stores of 10k, 100k (and with
//! STORESHIFT_BENCH_1M=1, 1M) variant rows, migrate each file → file (Shopify import files) with
//! durable checkpoints through the real binary, and print rows/s and the peak RSS of the
//! migrating process. Numbers are printed, never asserted.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_storeshift")
}

/// Runs a command to completion and returns (seconds, peak RSS in MiB) of that one process.
// The child is reaped with wait4 (not Child::wait) because only wait4 reports its own rusage.
#[allow(clippy::zombie_processes)]
fn measure(args: &[&str]) -> (f64, f64, i32) {
    let started = Instant::now();
    let child = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storeshift");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert!(r == pid, "wait4 failed");
    let secs = started.elapsed().as_secs_f64();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (secs, usage.ru_maxrss as f64 / 1024.0, code)
}

/// Seconds between a phase's start and finish events in the run's event log.
fn phase_secs(ws: &Path, phase: &str) -> Option<f64> {
    let text = std::fs::read_to_string(ws.join("events.jsonl")).ok()?;
    let mut start = None;
    let mut end = None;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let at = chrono::DateTime::parse_from_rfc3339(v["at"].as_str()?).ok()?;
        if v["phase"] == phase {
            match v["type"].as_str()? {
                "phase_started" => start = Some(at),
                "phase_finished" => end = Some(at),
                _ => {}
            }
        }
    }
    Some((end? - start?).num_milliseconds() as f64 / 1000.0)
}

fn main() {
    let mut sizes = vec![10_000usize, 100_000];
    if std::env::var("STORESHIFT_BENCH_1M").is_ok() {
        sizes.push(1_000_000);
    }
    println!(
        "{:>9} {:>9} {:>10} {:>12} {:>14} {:>12}",
        "rows", "gen s", "run s", "rows/s", "exec rows/s", "peak RSS MB"
    );
    for rows in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("source");
        let (gen_s, _, code) = measure(&[
            "generate",
            src.to_str().unwrap(),
            "--variant-rows",
            &rows.to_string(),
        ]);
        assert_eq!(code, 0, "generate failed");
        let cfg = dir.path().join("migration.toml");
        std::fs::write(
            &cfg,
            "name = \"bench\"\nworkspace = \"ws\"\n[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"source\"\n[target]\nplatform = \"shopify\"\nkind = \"files\"\n[run]\nbatch_size = 1000\n",
        )
        .unwrap();
        let (run_s, rss, code) = measure(&["run", cfg.to_str().unwrap(), "--headless"]);
        assert_eq!(code, 0, "migration failed");
        let ws = dir.path().join("ws");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(ws.join("report/report.json")).unwrap())
                .unwrap();
        let variant_rows = report["analysis"]["variant_rows"]
            .as_u64()
            .unwrap_or(rows as u64) as f64;
        let exec = phase_secs(&ws, "execution").unwrap_or(f64::NAN);
        println!(
            "{:>9} {:>9.2} {:>10.2} {:>12.0} {:>14.0} {:>12.1}",
            variant_rows,
            gen_s,
            run_s,
            variant_rows / run_s,
            variant_rows / exec,
            rss
        );
    }
}
