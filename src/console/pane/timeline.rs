//! The five phases in order, each marked done, active or pending.

use crate::console::app::App;
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use storeshift_agents::{Phase, PhaseState};

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let mut spans = vec![Span::raw(" ")];
    let wide = area.width >= 100;
    for (i, phase) in Phase::ALL.iter().enumerate() {
        let state = app
            .snapshot
            .phases
            .iter()
            .find(|(p, _)| p == phase)
            .map(|(_, s)| *s)
            .unwrap_or(PhaseState::Pending);
        let (sym, token) = match state {
            PhaseState::Done => (g.done, Token::PhaseDone),
            PhaseState::Active => (g.active, Token::PhaseActive),
            PhaseState::Pending => (g.pending, Token::PhasePending),
        };
        if i > 0 {
            spans.push(Span::styled(g.timeline_sep, t.style(Token::Muted)));
        }
        let label = if wide {
            format!("{} {}", i + 1, phase.label())
        } else {
            phase.label().to_string()
        };
        spans.push(Span::styled(format!("{sym} {label}"), t.style(token)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
