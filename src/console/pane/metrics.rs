//! Throughput with its sparkline, API budget, retries, errors and dropped events.

use super::{block, thousands};
use crate::console::app::App;
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let m = &app.snapshot.metrics;
    let b = block(app, Line::from(" Metrics "), false);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let label = |s: &str| Span::styled(s.to_string(), t.style(Token::MetricLabel));
    let value = |s: String| Span::styled(s, t.style(Token::MetricValue));
    let alert = |n: u64| {
        let token = if n > 0 {
            Token::MetricAlert
        } else {
            Token::MetricValue
        };
        Span::styled(thousands(n), t.style(token))
    };

    let rate = format!("{:.1}", m.records_per_sec);
    let rate_spans = vec![value(rate.clone()), label(" rec/s ")];
    let spark_w_inline = w.saturating_sub(rate.len() + 7);
    let budget = match m.api_budget_pct {
        Some(p) => {
            let token = if p >= 90 {
                Token::MetricAlert
            } else {
                Token::MetricValue
            };
            Span::styled(format!("{p}%"), t.style(token))
        }
        None => value("n/a".into()),
    };
    let dropped = app.dropped();
    let mut lines: Vec<Line> = Vec::new();
    let roomy = inner.height >= 6;
    if roomy {
        lines.push(Line::from(rate_spans));
        lines.push(Line::from(Span::styled(
            app.glyphs.sparkline(&m.rate_history, w),
            t.style(Token::Sparkline),
        )));
        lines.push(Line::from(vec![
            label("API budget "),
            budget,
            label("  calls "),
            value(thousands(m.api_calls)),
        ]));
        lines.push(Line::from(vec![
            label("retries "),
            alert(m.retries),
            label("  errors "),
            alert(m.errors),
        ]));
        if m.budget_spent.is_empty() && m.plan_eta_secs.is_none() {
            lines.push(Line::from(vec![label("dropped events "), alert(dropped)]));
            lines.push(Line::from(vec![
                label("last batch "),
                value(format!("{} ms", m.batch_millis_last)),
            ]));
        } else {
            // Room for the budget lines below.
            lines.push(Line::from(vec![
                label("dropped "),
                alert(dropped),
                label("  last batch "),
                value(format!("{} ms", m.batch_millis_last)),
            ]));
        }
    } else {
        let mut first = rate_spans;
        first.push(Span::styled(
            app.glyphs.sparkline(&m.rate_history, spark_w_inline),
            t.style(Token::Sparkline),
        ));
        lines.push(Line::from(first));
        lines.push(Line::from(vec![
            label("API "),
            budget,
            label(" calls "),
            value(thousands(m.api_calls)),
        ]));
        lines.push(Line::from(vec![
            label("retries "),
            alert(m.retries),
            label(" errors "),
            alert(m.errors),
        ]));
        lines.push(Line::from(vec![
            label("dropped "),
            alert(dropped),
            label(" batch "),
            value(format!("{}ms", m.batch_millis_last)),
        ]));
    }
    // The target's budget spent per phase and the plan's re-learned ETA, once there are any.
    if !m.budget_spent.is_empty() {
        let mut spans = vec![label("spent ")];
        for (i, p) in m.budget_spent.iter().enumerate() {
            if i > 0 {
                spans.push(label(" · "));
            }
            spans.push(label(&format!("{} ", phase_word(p.phase))));
            spans.push(value(thousands(p.amount)));
            spans.push(label(&format!(" {}", unit_word(&p.unit))));
        }
        lines.push(Line::from(spans));
    }
    if let Some(e) = m.plan_eta_secs {
        lines.push(Line::from(vec![
            label("plan ETA (learned) "),
            value(super::clock(e)),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn phase_word(p: storeshift_agents::event::Phase) -> &'static str {
    use storeshift_agents::event::Phase;
    match p {
        Phase::Execution => "load",
        Phase::PostMigration => "verify",
        Phase::Assessment => "assess",
        Phase::Planning => "plan",
        Phase::PreMigration => "pre",
    }
}

fn unit_word(unit: &str) -> &str {
    match unit {
        "points" => "pts",
        "requests" => "req",
        other => other,
    }
}
