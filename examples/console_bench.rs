//! Console rendering benchmark: time per frame with six agent panes and 100,000 buffered log
//! lines, bytes written per frame, and the cost of a filter keystroke over the full buffer.
//! Figures are printed, not asserted. Run: `cargo run --release --example console_bench`.

// The console lives in the binary; this example compiles the same source files.
#![allow(dead_code)]

#[path = "../src/console/mod.rs"]
mod console;
#[path = "../src/console/fixture.rs"]
mod fixture;

use std::time::Duration;
use storeshift_agents::RunState;

fn report(label: &str, stats: &console::bench::FrameStats) {
    let mut t: Vec<Duration> = stats.per_frame.clone();
    t.sort();
    let n = t.len().max(1);
    let mean = t.iter().sum::<Duration>() / n as u32;
    let pct = |p: f64| t[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "{label:<44} mean {:>7.3} ms  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  {:>6.0} bytes/frame  ({} of {} lines shown)",
        ms(mean),
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(*t.last().unwrap_or(&Duration::ZERO)),
        stats.bytes as f64 / n as f64,
        stats.shown,
        stats.buffered,
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let mut history = fixture::events();
    history.extend(fixture::many_events(100_000));
    let live: Vec<_> = fixture::many_events(100_500).split_off(100_000);
    let snap = fixture::snapshot(RunState::Running);
    println!(
        "console frame benchmark: 6 agent panes, {} buffered log lines, {} frames each\n",
        history.len().min(100_000),
        live.len()
    );
    for size in [(160u16, 48u16), (80, 24), (240, 70)] {
        let label = format!("{}x{} following the log", size.0, size.1);
        report(
            &label,
            &console::bench::frames(snap.clone(), &history, &live, size, "", 0)?,
        );
        let label = format!("{}x{} scrolled 50,000 lines back", size.0, size.1);
        report(
            &label,
            &console::bench::frames(snap.clone(), &history, &live, size, "", 50_000)?,
        );
        let label = format!("{}x{} filter \"hb-1\" active", size.0, size.1);
        report(
            &label,
            &console::bench::frames(snap.clone(), &history, &live, size, "hb-1", 0)?,
        );
    }
    println!("\nfilter keystrokes over the full buffer (typing, then deleting):");
    for (f, took, matches) in console::bench::filter_keystrokes(
        &history,
        &["h", "hb", "hb-", "hb-9", "hb-99", "hb-9", "error", ""],
    ) {
        println!(
            "  {:<8} {:>8.3} ms  {:>7} matching lines",
            format!("{f:?}"),
            ms(took),
            matches
        );
    }
    Ok(())
}
