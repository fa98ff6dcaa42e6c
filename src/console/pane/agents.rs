//! One pane per agent: status, current task, latest finding and a progress gauge.

use super::{block, thousands, truncate};
use crate::console::app::{App, Focus};
use crate::console::theme::Token;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use storeshift_agents::AgentSnapshot;

/// How an agent's free-text status reads, for colour and symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Running,
    Waiting,
    Done,
    Failed,
    Idle,
}

pub fn activity(status: &str) -> Activity {
    let s = status.to_ascii_lowercase();
    if s.contains("fail") || s.contains("error") {
        Activity::Failed
    } else if s.contains("wait") || s.contains("blocked") || s.contains("paus") {
        Activity::Waiting
    } else if s.contains("done") || s.contains("finish") || s.contains("complete") {
        Activity::Done
    } else if s == "idle" || s.is_empty() || s.contains("pending") {
        Activity::Idle
    } else {
        Activity::Running
    }
}

/// Lays the agents out in a grid of three columns and returns each pane's area.
pub fn render(f: &mut Frame, app: &App, area: Rect) -> [Rect; 6] {
    let mut areas = [Rect::default(); 6];
    let agents = &app.snapshot.agents;
    let rows = agents.len().div_ceil(3).max(1);
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, rows as u32); rows]).split(area);
    for (r, row) in row_areas.iter().enumerate() {
        let cols = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(*row);
        for (c, cell) in cols.iter().enumerate() {
            let i = r * 3 + c;
            if let Some(agent) = agents.get(i) {
                let focused = app.focus == Focus::Agents && app.selected_agent == i;
                render_agent(f, app, agent, *cell, focused);
                if i < areas.len() {
                    areas[i] = *cell;
                }
            }
        }
    }
    areas
}

fn render_agent(f: &mut Frame, app: &App, a: &AgentSnapshot, area: Rect, focused: bool) {
    let t = &app.theme;
    let g = &app.glyphs;
    let act = activity(&a.status);
    let (sym, token) = match act {
        Activity::Running => (g.running, Token::AgentRunning),
        Activity::Waiting => (g.waiting, Token::AgentWaiting),
        Activity::Done => (g.done, Token::AgentDone),
        Activity::Failed => (g.failed, Token::AgentFailed),
        Activity::Idle => (g.idle, Token::AgentIdle),
    };
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(sym, t.style(token)),
        Span::raw(format!(" {} ", a.agent.label())),
    ]);
    let b = block(app, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    if w == 0 || inner.height == 0 {
        return;
    }

    let ratio = if a.total > 0 {
        a.done as f64 / a.total as f64
    } else if act == Activity::Done {
        1.0
    } else {
        0.0
    };
    let pct = if a.total > 0 || act == Activity::Done {
        format!(" {:>3}%", (ratio * 100.0).floor() as u64)
    } else {
        " --%".to_string()
    };
    let status = Span::styled(a.status.clone(), t.style(token));
    let counts = if a.total > 0 {
        format!("{}/{}", thousands(a.done), thousands(a.total))
    } else {
        String::new()
    };
    let task = if a.task.is_empty() {
        Span::styled("no task", t.style(Token::Muted))
    } else {
        Span::styled(truncate(&a.task, w, g.ellipsis), t.style(Token::Text))
    };
    let finding = match &a.last_finding {
        Some(fd) => Span::styled(truncate(fd, w, g.ellipsis), t.style(Token::LogWarn)),
        None => Span::styled("no findings", t.style(Token::Muted)),
    };

    let mut lines = Vec::new();
    if inner.height >= 4 {
        let gap = w.saturating_sub(a.status.chars().count() + counts.chars().count());
        lines.push(Line::from(vec![
            status,
            Span::raw(" ".repeat(gap)),
            Span::styled(counts, t.style(Token::MetricValue)),
        ]));
        lines.push(Line::from(task));
        for _ in 0..inner.height.saturating_sub(4) {
            lines.push(Line::default());
        }
        lines.insert(2, Line::from(finding));
        lines.truncate(inner.height as usize - 1);
        lines.push(gauge_line(app, ratio, &pct, w));
    } else {
        // Short panes: status and gauge share the first line.
        // A long status gives way to the gauge: at least a few cells of bar stay visible.
        let status_w = a
            .status
            .chars()
            .count()
            .min(w.saturating_sub(pct.len() + 6));
        let status = Span::styled(truncate(&a.status, status_w, g.ellipsis), t.style(token));
        let bar_w = w.saturating_sub(status_w + 1 + pct.len());
        let mut first = vec![status, Span::raw(" ")];
        first.extend(gauge_line(app, ratio, &pct, bar_w + pct.len()).spans);
        lines.push(Line::from(first));
        lines.push(Line::from(task));
        lines.push(Line::from(finding));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn gauge_line(app: &App, ratio: f64, pct: &str, width: usize) -> Line<'static> {
    let t = &app.theme;
    let bar_w = width.saturating_sub(pct.len());
    let (full, empty) = app.glyphs.gauge(ratio, bar_w);
    Line::from(vec![
        Span::styled(full, t.style(Token::Gauge)),
        Span::styled(empty, t.style(Token::GaugeEmpty)),
        Span::styled(pct.to_string(), t.style(Token::MetricValue)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_people_write_them() {
        assert_eq!(activity("running"), Activity::Running);
        assert_eq!(activity("loading products"), Activity::Running);
        assert_eq!(activity("waiting for operator"), Activity::Waiting);
        assert_eq!(activity("done"), Activity::Done);
        assert_eq!(activity("failed"), Activity::Failed);
        assert_eq!(activity("idle"), Activity::Idle);
        assert_eq!(activity(""), Activity::Idle);
    }
}
