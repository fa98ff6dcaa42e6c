//! The headless front end: progress bars on stderr (indicatif) or one JSON event per line on
//! stdout, for scripts and CI. Reads the same Link the console does.

use crate::cli::EventsFormat;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use storeshift_agents::{Event, EventKind, Level, Link};
use storeshift_connectors::model::Entity;
use tokio::sync::watch;

/// Prints progress until `done` turns true (the run returned), then drains what is left.
pub async fn follow(link: Link, format: EventsFormat, mut done: watch::Receiver<bool>) {
    let Link {
        events, history, ..
    } = link;
    let mut feed = Feed {
        events,
        done: done.clone(),
    };
    let _ = done.borrow_and_update();
    let mut progress: BTreeMap<Entity, u64> = BTreeMap::new();
    match format {
        EventsFormat::Jsonl => {
            let stdout = std::io::stdout();
            for ev in history {
                print_json(&stdout, &ev);
            }
            while let Some(ev) = feed.next().await {
                print_json(&stdout, &ev);
            }
        }
        EventsFormat::Bars if !std::io::stderr().is_terminal() => {
            // Logs and CI: plain lines, one per event worth reading, no cursor movement.
            while let Some(ev) = feed.next().await {
                let show = match &ev.kind {
                    EventKind::BatchCommitted {
                        entity,
                        totals,
                        expected,
                        ..
                    } => last_progress(&mut progress, *entity, totals.done(), *expected),
                    EventKind::AgentStatus { .. } => ev.level >= Level::Info,
                    _ => ev.level >= Level::Info,
                };
                if show {
                    eprintln!("{}", line(&ev));
                }
            }
        }
        EventsFormat::Bars => {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            let mut bars: BTreeMap<Entity, ProgressBar> = BTreeMap::new();
            while let Some(ev) = feed.next().await {
                match &ev.kind {
                    EventKind::BatchCommitted {
                        entity,
                        totals,
                        expected,
                        ..
                    } => {
                        let bar = bars.entry(*entity).or_insert_with(|| {
                            let b = mp.add(ProgressBar::new(expected.unwrap_or(0)));
                            b.set_style(style.clone());
                            b.set_prefix(entity.to_string());
                            b
                        });
                        if let Some(n) = expected {
                            bar.set_length((*n).max(totals.done()));
                        }
                        bar.set_position(totals.done());
                        bar.set_message(format!(
                            "{} created {} updated {} unchanged {} skipped {} failed",
                            totals.created,
                            totals.updated,
                            totals.unchanged,
                            totals.skipped,
                            totals.failed
                        ));
                    }
                    EventKind::AgentStatus { .. } => {}
                    _ if ev.level >= Level::Info => {
                        let _ = mp.println(line(&ev));
                    }
                    _ => {}
                }
            }
            for b in bars.values() {
                b.finish();
            }
        }
    }
}

/// Batch progress in plain mode: a line per tenth of an entity, not per batch.
fn last_progress(
    seen: &mut BTreeMap<Entity, u64>,
    entity: Entity,
    done: u64,
    expected: Option<u64>,
) -> bool {
    let step = expected.map(|n| (n / 10).max(1)).unwrap_or(1000);
    let last = seen.entry(entity).or_insert(0);
    if done / step > *last / step || Some(done) == expected {
        *last = done;
        true
    } else {
        false
    }
}

fn print_json(out: &std::io::Stdout, ev: &Event) {
    if let Ok(s) = serde_json::to_string(ev) {
        let mut lock = out.lock();
        let _ = writeln!(lock, "{s}");
    }
}

pub fn line(ev: &Event) -> String {
    let level = match ev.level {
        Level::Debug => "debug",
        Level::Info => "info ",
        Level::Warn => "WARN ",
        Level::Error => "ERROR",
    };
    let time = ev.at.get(11..19).unwrap_or(&ev.at);
    format!("{time} {level} #{} {}", ev.seq, ev.summary())
}

struct Feed {
    events: tokio::sync::mpsc::Receiver<Event>,
    done: watch::Receiver<bool>,
}

impl Feed {
    /// The next event; once the run has returned, only what is already queued.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.done.borrow() {
                return self.events.try_recv().ok();
            }
            tokio::select! {
                ev = self.events.recv() => return ev,
                r = self.done.changed() => if r.is_err() { return self.events.try_recv().ok() },
            }
        }
    }
}
