//! Owning the terminal: raw mode, alternate screen, hidden cursor, optional mouse capture — all
//! undone by a guard on every way out, including a panic — and frames wrapped in synchronized
//! updates so a slow link never shows a half-drawn screen.

use super::app::App;
use super::render;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use std::io::{self, BufWriter, Stdout, Write};
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Set while the console owns the terminal, so restoring happens exactly once.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Puts the terminal back the way the shell had it. Safe to call more than once.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    // Each step on its own: one failing must not keep the others from running.
    let _ = execute!(out, EndSynchronizedUpdate);
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
}

pub struct TerminalGuard {
    previous_hook: Arc<Hook>,
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        let previous_hook: Arc<Hook> = Arc::new(std::panic::take_hook());
        let chained = previous_hook.clone();
        std::panic::set_hook(Box::new(move |info| {
            // Restore first, so the panic message lands on the normal screen, readable.
            restore();
            chained(info);
        }));
        let guard = TerminalGuard { previous_hook };
        MOUSE.store(mouse, Ordering::SeqCst);
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        let mut out = io::stdout();
        execute!(out, EnterAlternateScreen, cursor::Hide)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        let _ours = std::panic::take_hook();
        let previous = self.previous_hook.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Stdout through a large buffer (one write per frame, not one per cell) that counts the bytes
/// it passes on, for the bytes-per-second figure.
pub struct CountingWriter {
    inner: BufWriter<Stdout>,
    pub written: Arc<AtomicU64>,
}

impl CountingWriter {
    pub fn stdout() -> CountingWriter {
        CountingWriter {
            inner: BufWriter::with_capacity(64 * 1024, io::stdout()),
            written: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Draws one frame inside a synchronized update: terminals that support it show the frame
/// at once; the rest ignore the sequence.
pub fn draw_synced<W: Write>(
    term: &mut Terminal<CrosstermBackend<W>>,
    app: &mut App,
) -> io::Result<()> {
    queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = term.draw(|f| render::draw(f, app)).map(|_| ());
    let ended = execute!(term.backend_mut(), EndSynchronizedUpdate);
    drawn.and(ended)
}
