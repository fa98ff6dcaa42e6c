//! Top line: which store moves where, the phase, the run's state and its clock.

use super::{clock, span_width, truncate};
use crate::console::app::App;
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use storeshift_agents::RunState;

pub fn state_token(state: RunState) -> Token {
    match state {
        RunState::Starting => Token::StateStarting,
        RunState::Running => Token::StateRunning,
        RunState::Paused => Token::StatePaused,
        RunState::WaitingForOperator => Token::StateWaiting,
        RunState::Done => Token::StateDone,
        RunState::Failed => Token::StateFailed,
    }
}

pub fn state_symbol(app: &App, state: RunState) -> &'static str {
    let g = &app.glyphs;
    match state {
        RunState::Starting => g.pending,
        RunState::Running => g.running,
        RunState::Paused => g.paused,
        RunState::WaitingForOperator => g.waiting,
        RunState::Done => g.done,
        RunState::Failed => g.failed,
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let s = &app.snapshot;
    let state = s.state;
    let eta = match (state, s.eta_secs) {
        (RunState::Done | RunState::Failed, _) => String::new(),
        (_, Some(e)) => format!("  ETA {}", clock(e)),
        (_, None) => "  ETA --".to_string(),
    };
    // Between sync cycles nothing runs: the state says so and no clock ticks.
    let idle = app.sync_idle() && !state.is_final();
    let right = if idle {
        let (symbol, label) = match state {
            RunState::Running => (app.glyphs.pending, "BETWEEN CYCLES"),
            other => (state_symbol(app, other), other.label()),
        };
        vec![
            Span::styled(format!(" {symbol} {label} "), t.style(state_token(state))),
            Span::raw(" "),
        ]
    } else {
        vec![
            Span::styled(
                format!(" {} {} ", state_symbol(app, state), state.label()),
                t.style(state_token(state)),
            ),
            Span::styled(
                format!("  {}", clock(app.elapsed_secs())),
                t.style(Token::MetricValue),
            ),
            Span::styled(eta, t.style(Token::Muted)),
            Span::raw(" "),
        ]
    };
    let right_w = span_width(&right);
    let phase_label;
    let phase = match (&s.sync, s.phase) {
        (Some(sync), _) => {
            phase_label = match sync.cycle {
                Some(run) => format!("sync cycle {run}"),
                None => "sync".to_string(),
            };
            phase_label.as_str()
        }
        (None, p) => p.map(|p| p.label()).unwrap_or("not started"),
    };
    let left_text = format!(" {} {} {}", s.source, app.glyphs.arrow, s.target);
    let phase_text = format!("  {phase}");
    let avail = (area.width as usize).saturating_sub(right_w + 1);
    let phase_fits = left_text.chars().count() + phase_text.chars().count() <= avail;
    let mut left = vec![Span::styled(
        truncate(&left_text, avail, app.glyphs.ellipsis),
        t.style(Token::Header),
    )];
    if phase_fits {
        left.push(Span::styled(phase_text, t.style(Token::PhaseActive)));
    }
    let pad = (area.width as usize).saturating_sub(span_width(&left) + right_w);
    let mut spans = left;
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(right);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
