//! The scrollable log. Only the lines that fit on screen are looked at, whatever is buffered.

use super::{block, thousands, truncate};
use crate::console::app::{App, Focus};
use crate::console::logbuf::level_tag;
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use storeshift_agents::Level;

pub fn level_token(level: Level) -> Token {
    match level {
        Level::Debug => Token::LogDebug,
        Level::Info => Token::LogInfo,
        Level::Warn => Token::LogWarn,
        Level::Error => Token::LogError,
    }
}

/// Draws the log and returns how many lines it shows (the page size for PageUp/PageDown).
pub fn render(f: &mut Frame, app: &App, area: Rect) -> usize {
    let t = &app.theme;
    let g = &app.glyphs;
    let logs = &app.logs;
    let shown = logs.len();
    let mut title = vec![Span::raw(" Log ")];
    if logs.filter().is_empty() {
        title.push(Span::styled(
            format!("{} lines ", thousands(shown as u64)),
            t.style(Token::Muted),
        ));
    } else {
        title.push(Span::styled(
            format!("/{}", logs.filter()),
            t.style(Token::Key),
        ));
        title.push(Span::styled(
            format!(
                " {} of {} ",
                thousands(shown as u64),
                thousands(logs.total() as u64)
            ),
            t.style(Token::Muted),
        ));
    }
    if app.log_scroll > 0 {
        title.push(Span::styled(
            format!("{} lines back ", thousands(app.log_scroll as u64)),
            t.style(Token::StatusMessage),
        ));
    }
    let b = block(app, Line::from(title), app.focus == Focus::Logs);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height as usize;
    let w = inner.width as usize;
    if h == 0 {
        return 0;
    }
    if shown == 0 {
        let msg = if logs.filter().is_empty() {
            "no events yet"
        } else {
            "no line matches the filter"
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, t.style(Token::Muted))),
            inner,
        );
        return h;
    }
    let end = shown.saturating_sub(app.log_scroll.min(shown.saturating_sub(1)));
    let start = end.saturating_sub(h);
    let lines: Vec<Line> = (start..end)
        .filter_map(|i| logs.get(i))
        .map(|l| {
            let lt = t.style(level_token(l.level));
            let agent = l
                .agent
                .map(|a| format!("{} ", short_agent(a)))
                .unwrap_or_default();
            let prefix_w = l.time.len() + 1 + 3 + 1 + agent.len();
            let text_style = match l.level {
                Level::Warn | Level::Error | Level::Debug => lt,
                Level::Info => t.style(Token::Text),
            };
            Line::from(vec![
                Span::styled(format!("{} ", l.time), t.style(Token::LogTime)),
                Span::styled(level_tag(l.level), lt),
                Span::raw(" "),
                Span::styled(agent, t.style(Token::Muted)),
                Span::styled(
                    truncate(&l.text, w.saturating_sub(prefix_w), g.ellipsis),
                    text_style,
                ),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    h
}

fn short_agent(a: storeshift_agents::AgentKind) -> &'static str {
    use storeshift_agents::AgentKind::*;
    match a {
        DataAnalysis => "analysis",
        MigrationPlanning => "planning",
        SeoPreservation => "seo",
        CustomerCommunication => "comms",
        Executor => "executor",
        Verification => "verify",
    }
}
