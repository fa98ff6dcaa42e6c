//! Per-entity progress: records done out of those the source holds.

use super::{block, thousands, truncate};
use crate::console::app::App;
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let b = block(app, Line::from(" Progress "), false);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let entities = &app.snapshot.entities;
    if entities.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled("nothing moved yet", t.style(Token::Muted))),
            inner,
        );
        return;
    }
    let name_w = entities
        .iter()
        .map(|e| e.entity.key().len())
        .max()
        .unwrap_or(8)
        .min(10);
    let wide = w >= 44;
    let lines: Vec<Line> = entities
        .iter()
        .map(|e| {
            let done = e.counts.done();
            let (ratio, pct) = match e.expected {
                Some(x) if x > 0 => {
                    let r = (done as f64 / x as f64).min(1.0);
                    (r, format!(" {:>3}%", (r * 100.0).floor() as u64))
                }
                _ => (0.0, " --%".to_string()),
            };
            let counts = if wide {
                match e.expected {
                    Some(x) => format!(" {}/{}", thousands(done), thousands(x)),
                    None => format!(" {}", thousands(done)),
                }
            } else {
                String::new()
            };
            let failed = if e.counts.failed > 0 {
                format!(" {}{}", g.failed, thousands(e.counts.failed))
            } else {
                String::new()
            };
            let fixed = name_w + 1 + counts.len() + pct.len() + failed.chars().count();
            let bar_w = w.saturating_sub(fixed + 1);
            let (full, empty) = g.gauge(ratio, bar_w);
            Line::from(vec![
                Span::styled(
                    format!("{:<name_w$}", truncate(e.entity.key(), name_w, g.ellipsis)),
                    t.style(Token::Text),
                ),
                Span::styled(counts, t.style(Token::MetricValue)),
                Span::raw(" "),
                Span::styled(full, t.style(Token::Gauge)),
                Span::styled(empty, t.style(Token::GaugeEmpty)),
                Span::styled(pct, t.style(Token::MetricValue)),
                Span::styled(failed, t.style(Token::MetricAlert)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
