//! The queue of points where a person decides: pending first, then decided, with counts.

use super::{block, truncate};
use crate::console::app::{App, Focus};
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let ivs = &app.snapshot.interventions;
    let pending = app.pending_count();
    let decided = ivs.len() - pending;
    let focused = app.focus == Focus::Interventions;
    let count_token = if pending > 0 {
        Token::Intervention
    } else {
        Token::Muted
    };
    // Narrow panes say "2 pending/3"; wide ones spell out both counts.
    let counts = if area.width >= 40 {
        vec![
            Span::styled(format!("{pending} pending"), t.style(count_token)),
            Span::raw(format!(" {} {decided} decided ", g.dot)),
        ]
    } else {
        vec![
            Span::styled(format!("{pending} pending"), t.style(count_token)),
            Span::raw(format!("/{} ", ivs.len())),
        ]
    };
    let mut title = vec![Span::raw(" Interventions ")];
    title.extend(counts);
    let title = Line::from(title);
    let b = block(app, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if ivs.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled("none so far", t.style(Token::Muted))),
            inner,
        );
        return;
    }
    let h = inner.height as usize;
    let w = inner.width as usize;
    let sel = app
        .selected_intervention
        .as_ref()
        .and_then(|id| ivs.iter().position(|i| &i.id == id))
        .unwrap_or(0);
    // Keep the selection on screen.
    let first = if h == 0 { 0 } else { sel.saturating_sub(h - 1) };
    let lines: Vec<Line> = ivs
        .iter()
        .enumerate()
        .skip(first)
        .take(h)
        .map(|(i, iv)| {
            let (sym, token) = if iv.is_pending() {
                ("!", Token::Intervention)
            } else {
                (g.done, Token::InterventionDecided)
            };
            let pointer = if i == sel { g.pointer } else { " " };
            let text = match &iv.decision {
                Some(d) => format!("{} {} {}", iv.title, g.arrow, d.option),
                None => iv.title.clone(),
            };
            let body = truncate(&text, w.saturating_sub(4), g.ellipsis);
            let mut line = Line::from(vec![
                Span::raw(format!("{pointer} ")),
                Span::styled(format!("{sym} "), t.style(token)),
                Span::styled(
                    body,
                    t.style(if iv.is_pending() {
                        Token::Text
                    } else {
                        Token::Muted
                    }),
                ),
            ]);
            if i == sel && focused {
                line = line.patch_style(t.style(Token::Selection));
            }
            line
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
