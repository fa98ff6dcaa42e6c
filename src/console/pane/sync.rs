//! Sync mode (`storeshift sync` in the console): one status line in place of the phase
//! timeline (the cycle in flight or the countdown to the next, the lag, errors), and the
//! cycle history in place of the metrics pane (changes moved per cycle, failures).

use super::{block, span_width, thousands, truncate};
use crate::console::app::App;
use crate::console::keymap::{Action, Context};
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use storeshift_agents::{RunState, SyncStatus};

/// Seconds the way a countdown reads: `7s`, `4m 05s`, `2h 03m`.
pub fn short(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

/// The line under the header.
pub fn render_status(f: &mut Frame, app: &App, s: &SyncStatus, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let sep = || Span::styled(format!(" {} ", g.dot), t.style(Token::Muted));
    let mut spans = vec![Span::raw(" ")];
    let paused = app.snapshot.state == RunState::Paused;
    // A full next cycle (`f`, `--full`, `full_every`) reads the whole store: say so before
    // it starts, so a long cycle comes as no surprise.
    let full_next = s.ended.is_none() && s.full_next.is_some();
    let counting_down = s.ended.is_none() && s.cycle.is_none() && !s.held;
    match (&s.ended, s.cycle) {
        (Some(why), _) => spans.push(Span::styled(
            format!("{} sync ended: {why}", g.done),
            t.style(Token::StateDone),
        )),
        (None, Some(run)) if paused => spans.push(Span::styled(
            format!("{} sync cycle {run} paused", g.paused),
            t.style(Token::StatePaused),
        )),
        (None, Some(run)) => spans.push(Span::styled(
            format!("{} sync cycle {run} running", g.running),
            t.style(Token::StateRunning),
        )),
        (None, None) if s.held => {
            let key = app
                .keymap
                .first(Context::Main, Action::Pause)
                .unwrap_or_else(|| "p".into());
            spans.push(Span::styled(
                format!("{} next cycle held: paused", g.paused),
                t.style(Token::StatePaused),
            ));
            spans.push(Span::styled(
                format!(" ({key} resumes)"),
                t.style(Token::Muted),
            ));
        }
        (None, None) => {
            let cycle = if full_next {
                "next full cycle"
            } else {
                "next cycle"
            };
            let next = match app.sync_next_in_secs() {
                Some(0) | None => format!("{cycle} starting"),
                Some(n) => format!("{cycle} in {}", short(n)),
            };
            spans.push(Span::styled(
                format!("{} {next}", g.pending),
                t.style(Token::StateRunning),
            ));
        }
    }
    if full_next && !counting_down {
        spans.push(sep());
        spans.push(Span::styled(
            "next cycle: full",
            t.style(Token::MetricValue),
        ));
    }
    spans.push(sep());
    spans.push(Span::styled("lag ≤ ", t.style(Token::MetricLabel)));
    spans.push(Span::styled(
        app.sync_lag_secs()
            .map(short)
            .unwrap_or_else(|| "--".into()),
        t.style(Token::MetricValue),
    ));
    if let Some(e) = s.every_secs {
        spans.push(sep());
        spans.push(Span::styled(
            format!("every {}", short(e)),
            t.style(Token::Muted),
        ));
    }
    let last_failed = s.history.last().filter(|r| r.failed > 0);
    let alert = match (&s.error, last_failed) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(r)) => Some(format!("{} failed in cycle {}", thousands(r.failed), r.run)),
        _ => None,
    };
    if let Some(a) = alert {
        spans.push(sep());
        let room = (area.width as usize).saturating_sub(span_width(&spans));
        spans.push(Span::styled(
            truncate(&format!("{} {a}", g.failed), room, g.ellipsis),
            t.style(Token::MetricAlert),
        ));
    }
    let text = if app.glyphs.ascii {
        spans
            .into_iter()
            .map(|s| Span::styled(s.content.replace('≤', "<="), s.style))
            .collect()
    } else {
        spans
    };
    f.render_widget(Paragraph::new(Line::from(text)), area);
}

/// The history: one row per finished cycle (newest last, a full one marked `full`), then the
/// last cycle's failures.
pub fn render_history(f: &mut Frame, app: &App, s: &SyncStatus, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let b = block(app, Line::from(" Sync cycles "), false);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let rows_room = (inner.height as usize).saturating_sub(1);
    let wide = w >= 36;
    let head = if wide {
        format!(
            "{:>5}{:>6}{:>6}{:>7}{:>5}{:>7}",
            "cycle", "moved", "read", "failed", "gone", "took"
        )
    } else {
        format!(
            "{:>5}{:>6}{:>6}{:>7}{:>5}",
            "cycle", "moved", "read", "failed", "gone"
        )
    };
    let mut lines = vec![Line::from(Span::styled(
        truncate(&head, w, g.ellipsis),
        t.style(Token::MetricLabel),
    ))];
    if s.history.is_empty() {
        lines.push(Line::from(Span::styled(
            "no cycle finished yet",
            t.style(Token::Muted),
        )));
    }
    let mut problems: Vec<String> = s.error.iter().cloned().collect();
    problems.extend(s.failures.iter().cloned());
    // Two cycles stay in view before failures take the rest.
    let problems_shown = problems
        .len()
        .min(rows_room.saturating_sub(s.history.len().min(2)));
    let rows_shown = s
        .history
        .len()
        .min(rows_room - problems_shown.min(rows_room));
    for r in &s.history[s.history.len() - rows_shown..] {
        let took = match (wide, r.secs) {
            (true, Some(secs)) => format!("{:>7}", short(secs)),
            (true, None) => format!("{:>7}", "--"),
            _ => String::new(),
        };
        let failed_token = if r.failed > 0 {
            Token::MetricAlert
        } else {
            Token::MetricValue
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>5}", r.run), t.style(Token::Text)),
            Span::styled(
                format!("{:>6}", thousands(r.moved)),
                t.style(Token::MetricValue),
            ),
            Span::styled(
                format!("{:>6}", thousands(r.read)),
                t.style(Token::MetricValue),
            ),
            Span::styled(format!("{:>7}", thousands(r.failed)), t.style(failed_token)),
            Span::styled(
                format!("{:>5}", thousands(r.deletions)),
                t.style(Token::MetricValue),
            ),
            Span::styled(took, t.style(Token::Muted)),
            // A full cycle reads the whole store: its read count is no sign of trouble.
            Span::styled(
                if r.full && wide { " full" } else { "" },
                t.style(Token::Muted),
            ),
        ]));
    }
    for p in problems.iter().take(problems_shown) {
        lines.push(Line::from(Span::styled(
            truncate(&format!("{} {p}", g.failed), w, g.ellipsis),
            t.style(Token::MetricAlert),
        )));
    }
    // Why the next cycle is full, on a row left free (the status line says that it is).
    if let Some(why) = s.full_next.as_ref().filter(|_| s.ended.is_none()) {
        if lines.len() <= rows_room {
            lines.push(Line::from(Span::styled(
                truncate(&format!("next cycle: full, {why}"), w, g.ellipsis),
                t.style(Token::Muted),
            )));
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn countdowns_read_like_durations() {
        assert_eq!(short(0), "0s");
        assert_eq!(short(59), "59s");
        assert_eq!(short(245), "4m 05s");
        assert_eq!(short(7380), "2h 03m");
    }
}
