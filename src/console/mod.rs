//! The operator console: a ratatui front end over a [`Link`] to a run, in this process or
//! attached through the control socket.
//!
//! It reads only the link's `watch` (newest snapshot) and bounded event queue, so however slow
//! the terminal, the runtime never waits for it. A frame is drawn only when something changed
//! (snapshot, events, a key, the size), at most 20 in any second, from the newest snapshot,
//! inside a synchronized update. Frames the run causes are spaced by at least 50 ms and by a
//! byte budget (a frame that wrote a lot waits longer); a key's frame comes after 10 ms unless
//! the second's 20 frames are spent. Setting `STORESHIFT_CONSOLE_STATS=FILE` writes the bytes sent to the
//! terminal, the frames drawn and the key-to-frame latencies to FILE as JSON on exit (for the
//! benchmarks).

mod app;
mod glyphs;
mod keymap;
mod logbuf;
mod pane;
mod render;
mod terminal;
mod theme;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;

use anyhow::{Context as _, Result};
use app::{App, Effect};
use glyphs::Glyphs;
use keymap::Keymap;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as term_event, Event as TermEvent};
use ratatui::Terminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storeshift_agents::{Command, Link, RunState};
use terminal::{draw_synced, CountingWriter, TerminalGuard};
use theme::Theme;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

/// How the console looks and behaves; the CLI fills it from flags.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// A built-in theme (default, light, high-contrast, mono) or a theme file. None: default,
    /// or mono when NO_COLOR is set.
    pub theme: Option<String>,
    /// A keymap file overriding single bindings of `assets/keymap.toml`.
    pub keymap: Option<PathBuf>,
    /// Capture the mouse (wheel scrolls the log, click focuses a pane). Off by default so the
    /// terminal's own selection and copy keep working.
    pub mouse: bool,
    /// Attached to a run owned by another process: `q` leaves it running.
    pub attach: bool,
    /// Force ASCII drawing (true) or Unicode (false); None decides from the locale.
    pub ascii: Option<bool>,
}

/// How the console ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleExit {
    /// The operator left before the run finished. In-process, `Command::Stop` was sent: the
    /// runtime stops at the next safe point, checkpointed (await its task before exiting the
    /// process). Attached, the run keeps going.
    Detached,
    /// The run had finished (the operator saw the final screen and left).
    Finished(RunState),
}

/// At most this many frames in any one second.
const FRAMES_PER_SEC: usize = 20;
/// The least time between two frames the run caused (snapshots, events).
const FRAME: Duration = Duration::from_millis(50);
/// The least time between a frame and one a key asked for: a key shows at once unless the
/// second's frames are spent.
const KEY_FRAME: Duration = Duration::from_millis(10);
/// A resize waits for the size to stay still this long, then redraws everything once.
const RESIZE_QUIET: Duration = Duration::from_millis(80);
/// Bytes per second the console aims to stay under on a busy run: a frame that wrote a lot
/// (the log scrolled) delays the next one accordingly. Keys are never held back by it.
const BYTE_BUDGET: f64 = 16_000.0;
/// Events taken from the queue per wake-up before drawing again.
const EVENT_BATCH: usize = 2048;

/// Runs the console until the operator leaves. Errors in the options (a bad keymap or theme
/// file) are returned before the terminal is touched.
pub async fn run(link: Link, opts: ConsoleOptions) -> Result<ConsoleExit> {
    let keymap = Keymap::load(opts.keymap.as_deref())?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::select(opts.theme.as_deref(), no_color)?;
    let glyphs = match opts.ascii {
        Some(true) => glyphs::ASCII,
        Some(false) => glyphs::UNICODE,
        None => Glyphs::from_env(),
    };
    let Link {
        mut snapshots,
        mut events,
        dropped,
        commands,
        history,
    } = link;
    let mut app = App::new(
        snapshots.borrow_and_update().clone(),
        keymap,
        theme,
        glyphs,
        opts.attach,
    );
    app.snapshot_at = Some(Instant::now());
    app.push_events(history.iter());

    let guard =
        TerminalGuard::enter(opts.mouse).context("cannot put the terminal into raw mode")?;
    let writer = CountingWriter::stdout();
    let written = writer.written.clone();
    let mut term = Terminal::new(CrosstermBackend::new(writer))?;
    term.clear()?;

    let (input_tx, mut input_rx) = mpsc::channel::<TermEvent>(256);
    // Dropped on every way out of this function, before the terminal guard.
    let _input = InputReader::spawn(input_tx)?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);

    let started = Instant::now();
    let mut stats = Stats::default();
    let mut dirty = true;
    let mut snapshot_stale = false;
    let mut last_draw: Option<Instant> = None;
    let mut recent_frames: std::collections::VecDeque<Instant> = std::collections::VecDeque::new();
    let mut resized_at: Option<Instant> = None;
    let mut key_at: Option<Instant> = None;
    let mut pace = FRAME;
    let (mut snapshots_open, mut events_open) = (true, true);

    let outcome: Result<ConsoleExit> = loop {
        let now = Instant::now();
        let gap = if key_at.is_some() { KEY_FRAME } else { pace };
        let mut frame_due = last_draw.map_or(now, |t| t + gap);
        while recent_frames
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            recent_frames.pop_front();
        }
        if recent_frames.len() >= FRAMES_PER_SEC {
            if let Some(oldest) = recent_frames.front() {
                frame_due = frame_due.max(*oldest + Duration::from_secs(1));
            }
        }
        let resize_due = resized_at.map(|t| t + RESIZE_QUIET);
        let draw_at = resize_due.map_or(frame_due, |r| r.max(frame_due));
        if dirty && now >= draw_at {
            if snapshot_stale {
                app.set_snapshot(snapshots.borrow_and_update().clone());
                app.snapshot_at = Some(Instant::now());
                snapshot_stale = false;
            }
            let before = written.load(Ordering::Relaxed);
            let full = resized_at.take().is_some();
            if let Err(e) = draw_frame(&mut term, &mut app, full) {
                break Err(anyhow::Error::new(e).context("cannot draw on the terminal"));
            }
            let done = Instant::now();
            let bytes = written.load(Ordering::Relaxed) - before;
            pace = FRAME
                .max(Duration::from_secs_f64(bytes as f64 / BYTE_BUDGET))
                .min(Duration::from_secs(1));
            stats.frames += 1;
            if let Some(k) = key_at.take() {
                stats
                    .key_latencies_ms
                    .push(done.duration_since(k).as_secs_f64() * 1000.0);
            }
            last_draw = Some(done);
            recent_frames.push_back(done);
            dirty = false;
        }
        let wake = dirty.then_some(draw_at);

        tokio::select! {
            biased;
            input = input_rx.recv() => {
                let Some(ev) = input else { break Err(anyhow::anyhow!("lost the terminal input")) };
                if let TermEvent::Resize(..) = ev {
                    resized_at = Some(Instant::now());
                    dirty = true;
                    continue;
                }
                if snapshot_stale {
                    app.set_snapshot(snapshots.borrow_and_update().clone());
                    app.snapshot_at = Some(Instant::now());
                    snapshot_stale = false;
                }
                match app.handle_term_event(&ev) {
                    Effect::Nothing => {}
                    Effect::Redraw => dirty = true,
                    Effect::Send(cmd) => {
                        send(&mut app, &commands, cmd);
                        dirty = true;
                    }
                    Effect::Leave => break Ok(leave(&app, &commands).await),
                }
                if dirty && key_at.is_none() {
                    key_at = Some(Instant::now());
                }
            }
            changed = snapshots.changed(), if snapshots_open => {
                match changed {
                    Ok(()) => snapshot_stale = true,
                    Err(_) => {
                        // The runtime let go of the run: final, or gone.
                        snapshots_open = false;
                        app.set_snapshot(snapshots.borrow().clone());
                        app.disconnected = !app.snapshot.state.is_final();
                    }
                }
                dirty = true;
            }
            ev = events.recv(), if events_open => {
                match ev {
                    Some(first) => {
                        let mut batch = vec![first];
                        while batch.len() < EVENT_BATCH {
                            match events.try_recv() {
                                Ok(e) => batch.push(e),
                                Err(_) => break,
                            }
                        }
                        app.push_events(batch.iter());
                    }
                    None => events_open = false,
                }
                dirty = true;
            }
            _ = tick.tick() => {
                let d = dropped.load(Ordering::Relaxed);
                // Sync mode's lag and countdown move even while paused between cycles.
                let clock_moves = matches!(app.snapshot.state, RunState::Running | RunState::WaitingForOperator)
                    || (app.snapshot.sync.is_some() && !app.snapshot.state.is_final());
                if d != app.link_dropped || clock_moves {
                    app.link_dropped = d;
                    dirty = true;
                }
            }
            _ = sleep_until(wake), if wake.is_some() => {}
            _ = sigterm.recv() => break Ok(leave(&app, &commands).await),
            _ = sighup.recv() => break Ok(leave(&app, &commands).await),
        }
    };

    drop(_input);
    drop(term);
    drop(guard);
    stats.bytes = written.load(Ordering::Relaxed);
    stats.seconds = started.elapsed().as_secs_f64();
    stats.write_if_asked();
    outcome
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

/// Never blocks: a full command queue is reported, not waited on.
fn send(app: &mut App, commands: &mpsc::Sender<Command>, cmd: Command) {
    match commands.try_send(cmd) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            app.awaiting = None;
            app.notice = Some("The run is busy and did not take the command; try again.".into());
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            app.awaiting = None;
            app.disconnected = true;
        }
    }
}

async fn leave(app: &App, commands: &mpsc::Sender<Command>) -> ConsoleExit {
    let state = app.snapshot.state;
    if state.is_final() {
        return ConsoleExit::Finished(state);
    }
    if !app.attach && !app.disconnected {
        // The run lives in this process: ask it to stop at the next safe point, checkpointed.
        // A full queue gets a moment to drain; the runtime reads commands between records.
        let _ = tokio::time::timeout(Duration::from_secs(2), commands.send(Command::Stop)).await;
    }
    ConsoleExit::Detached
}

fn draw_frame<W: std::io::Write>(
    term: &mut Terminal<CrosstermBackend<W>>,
    app: &mut App,
    full: bool,
) -> std::io::Result<()> {
    if full {
        // One full redraw after the size settled: no leftovers from the old layout.
        term.autoresize()?;
        term.clear()?;
    }
    draw_synced(term, app)
}

/// Reads the terminal on its own thread (crossterm's reads block) into a bounded channel.
/// Dropping it stops and joins the thread, so it never eats keys meant for the shell after
/// the console is gone.
struct InputReader {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InputReader {
    fn spawn(tx: mpsc::Sender<TermEvent>) -> Result<InputReader> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("console-input".into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    match term_event::poll(Duration::from_millis(100)) {
                        Ok(true) => match term_event::read() {
                            Ok(ev) => {
                                if tx.blocking_send(ev).is_err() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        },
                        Ok(false) => {}
                        Err(_) => break,
                    }
                }
            })?;
        Ok(InputReader {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for InputReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The reader polls every 100 ms, so this waits at most that long.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Default)]
struct Stats {
    bytes: u64,
    frames: u64,
    seconds: f64,
    key_latencies_ms: Vec<f64>,
}

impl Stats {
    fn write_if_asked(&self) {
        let Some(path) = std::env::var_os("STORESHIFT_CONSOLE_STATS") else {
            return;
        };
        let n = self.key_latencies_ms.len().max(1) as f64;
        let json = serde_json::json!({
            "bytes": self.bytes,
            "frames": self.frames,
            "seconds": self.seconds,
            "bytes_per_sec": self.bytes as f64 / self.seconds.max(0.001),
            "key_to_frame_ms_avg": self.key_latencies_ms.iter().sum::<f64>() / n,
            "key_to_frame_ms_max": self.key_latencies_ms.iter().copied().fold(0.0, f64::max),
            "keys": self.key_latencies_ms.len(),
        });
        if let Err(e) = std::fs::write(&path, json.to_string()) {
            tracing::warn!(
                "cannot write console stats to {}: {e}",
                PathBuf::from(path).display()
            );
        }
    }
}

/// Frame timings for `examples/console_bench.rs`, which includes this module by path (the
/// binary has no library target to link against).
#[doc(hidden)]
#[allow(dead_code)]
pub mod bench {
    use super::app::App;
    use super::keymap::Keymap;
    use super::terminal::draw_synced;
    use super::theme::Theme;
    use super::{glyphs, Result};
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{Terminal, TerminalOptions, Viewport};
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use storeshift_agents::{Event, Snapshot};

    pub struct FrameStats {
        pub per_frame: Vec<Duration>,
        pub bytes: u64,
        pub buffered: usize,
        pub shown: usize,
    }

    /// Discards what a terminal would receive, counting it.
    struct Sink(Arc<AtomicU64>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Draws one frame per `live` event, the way the console does when the run moves: a new
    /// snapshot (counters changed), the event appended to the log, then the frame, all timed.
    pub fn frames(
        snapshot: Snapshot,
        history: &[Event],
        live: &[Event],
        size: (u16, u16),
        filter: &str,
        scroll_back: usize,
    ) -> Result<FrameStats> {
        let theme = Theme::preset("default").expect("built in");
        let mut app = App::new(
            snapshot.clone(),
            Keymap::load(None)?,
            theme,
            glyphs::UNICODE,
            false,
        );
        app.push_events(history.iter());
        app.logs.set_filter(filter);
        let written = Arc::new(AtomicU64::new(0));
        // A fixed viewport: the benchmark's size, whatever terminal (if any) runs it.
        let viewport = Viewport::Fixed(Rect::new(0, 0, size.0, size.1));
        let mut term = Terminal::with_options(
            CrosstermBackend::new(Sink(written.clone())),
            TerminalOptions { viewport },
        )?;
        draw_synced(&mut term, &mut app)?;
        app.log_scroll = scroll_back;
        let before = written.load(Ordering::Relaxed);
        let mut per_frame = Vec::with_capacity(live.len());
        let mut snap = snapshot;
        for (i, ev) in live.iter().enumerate() {
            snap.metrics.api_calls += 1;
            snap.elapsed_secs += 1;
            snap.metrics.rate_history.push(40 + (i as u64 % 7));
            if let Some(a) = snap.agents.get_mut(4) {
                a.done = (a.done + 50).min(a.total);
            }
            let next = snap.clone();
            let t = Instant::now();
            app.set_snapshot(next);
            app.push_events(std::iter::once(ev));
            draw_synced(&mut term, &mut app)?;
            per_frame.push(t.elapsed());
        }
        let bytes = written.load(Ordering::Relaxed) - before;
        Ok(FrameStats {
            per_frame,
            bytes,
            buffered: app.logs.total(),
            shown: app.logs.len(),
        })
    }

    /// Time to apply each filter in turn to a full buffer (a keystroke in the filter field).
    pub fn filter_keystrokes(history: &[Event], steps: &[&str]) -> Vec<(String, Duration, usize)> {
        let mut logs = super::logbuf::LogBuffer::new(super::logbuf::LOG_CAPACITY);
        for e in history {
            logs.push_event(e);
        }
        steps
            .iter()
            .map(|f| {
                let t = Instant::now();
                logs.set_filter(f);
                (f.to_string(), t.elapsed(), logs.len())
            })
            .collect()
    }
}
