//! The frame: where each pane goes at any terminal size, the footer, and the overlays.

use super::app::{App, Awaiting, Overlay};
use super::keymap::{Action, Context};
use super::pane::{self, span_width};
use super::theme::Token;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    // The base style fills the screen; with the default theme it sets nothing, so the
    // terminal's own background shows through.
    f.render_widget(Block::default().style(app.theme.style(Token::Text)), area);
    let h = area.height;
    let agents_h = if h >= 40 { 12 } else { 10 };
    let mid_h = if h >= 36 { 9 } else { 6 };
    let [header, timeline, agents, mid, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(agents_h),
        Constraint::Length(mid_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    pane::header::render(f, app, header);
    // Sync mode: the cycles matter more than the phases and the throughput of one cycle.
    let sync = app.snapshot.sync.clone();
    match &sync {
        Some(s) => pane::sync::render_status(f, app, s, timeline),
        None => pane::timeline::render(f, app, timeline),
    }
    app.areas.agents = pane::agents::render(f, app, agents);
    let widths = if sync.is_some() {
        [40, 27, 33]
    } else {
        [30, 33, 37]
    };
    let [metrics, progress, interventions] =
        Layout::horizontal(widths.map(Constraint::Percentage)).areas(mid);
    match &sync {
        Some(s) => pane::sync::render_history(f, app, s, metrics),
        None => pane::metrics::render(f, app, metrics),
    }
    pane::entities::render(f, app, progress);
    pane::interventions::render(f, app, interventions);
    app.areas.interventions = interventions;
    app.areas.logs = logs;
    app.log_page = pane::logs::render(f, app, logs).max(1);
    render_footer(f, app, footer);

    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => pane::help::render(f, app, *scroll, area),
        Overlay::Dialog(d) => pane::dialog::render(f, app, d, area),
    }
    if app.glyphs.ascii {
        // Store data (names, addresses, titles) may hold any character. A terminal that is not
        // UTF-8 would show each as several bytes of mojibake and shift the rest of the line.
        for cell in f.buffer_mut().content.iter_mut() {
            if !cell.symbol().is_ascii() {
                cell.set_symbol("?");
            }
        }
    }
}

fn render_footer(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if app.filtering {
        let prompt = app
            .keymap
            .first(Context::Main, Action::Filter)
            .unwrap_or_else(|| "/".into());
        let w = (area.width as usize)
            .saturating_sub(prompt.len() + 1)
            .max(1);
        let scroll = app.filter_input.visual_scroll(w);
        let value: String = app
            .filter_input
            .value()
            .chars()
            .skip(scroll)
            .take(w)
            .collect();
        let hint = format!(
            "  {} keep  {} drop",
            app.keymap.label(Context::Filter, Action::Apply),
            app.keymap.label(Context::Filter, Action::Cancel)
        );
        let mut spans = vec![
            Span::styled(format!("{prompt} "), t.style(Token::Key)),
            Span::styled(value, t.style(Token::Input)),
        ];
        if span_width(&spans) + hint.len() <= area.width as usize {
            spans.push(Span::styled(hint, t.style(Token::Muted)));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        let x = area.x
            + (prompt.len() + 1 + app.filter_input.visual_cursor().saturating_sub(scroll)) as u16;
        f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }

    let status = if app.disconnected {
        Some(format!(
            "Lost the connection to the run. {} to leave.",
            app.keymap
                .first(Context::Main, Action::Quit)
                .unwrap_or_default()
        ))
    } else if let Some(n) = &app.notice {
        Some(n.clone())
    } else {
        match &app.awaiting {
            Some(Awaiting::Pause) => Some("Pausing at the next safe point…".to_string()),
            Some(Awaiting::Resume) => Some("Resuming…".to_string()),
            Some(Awaiting::FullCycle) => Some("Asking for a full next cycle…".to_string()),
            Some(Awaiting::Decision { id, label }) => {
                Some(format!("Decision sent for {id}: {label}"))
            }
            None => None,
        }
    };
    let status = status.map(|s| {
        if app.glyphs.ascii {
            s.replace('…', "...")
        } else {
            s
        }
    });

    let km = &app.keymap;
    let state = app.snapshot.state;
    let pending = app.pending_count();
    let quit_label = if app.attach || state.is_final() {
        "quit"
    } else {
        "checkpoint & quit"
    };
    // (priority, key, what): when the line is too narrow the least important hints go first.
    let mut hints: Vec<(u8, Option<String>, String)> = Vec::new();
    if !state.is_final() {
        let pause = if state == storeshift_agents::RunState::Paused {
            "resume"
        } else {
            "pause"
        };
        hints.push((0, km.first(Context::Main, Action::Pause), pause.to_string()));
    }
    if pending > 0 {
        hints.push((
            0,
            km.first(Context::Main, Action::Interventions),
            format!("decide ({pending})"),
        ));
    }
    // Sync mode: a next cycle to make full, unless it is full already or syncing ended.
    if app
        .snapshot
        .sync
        .as_ref()
        .is_some_and(|s| s.ended.is_none() && s.full_next.is_none())
    {
        hints.push((
            2,
            km.first(Context::Main, Action::FullCycle),
            "full next cycle".into(),
        ));
    }
    hints.push((2, km.first(Context::Main, Action::Filter), "filter".into()));
    hints.push((
        3,
        km.first(Context::Main, Action::FocusNext),
        "focus".into(),
    ));
    hints.push((1, km.first(Context::Main, Action::Help), "help".into()));
    hints.push((0, km.first(Context::Main, Action::Quit), quit_label.into()));
    let mut items: Vec<(u8, [Span; 2])> = hints
        .into_iter()
        .filter_map(|(p, key, what)| {
            let key = key?;
            Some((
                p,
                [
                    Span::styled(key, t.style(Token::Key)),
                    Span::styled(format!(" {what}  "), t.style(Token::Muted)),
                ],
            ))
        })
        .collect();

    let width = area.width as usize;
    let mut spans: Vec<Span> = Vec::new();
    if let Some(s) = status {
        spans.push(Span::styled(
            format!(" {s} "),
            t.style(Token::StatusMessage),
        ));
    }
    spans.push(Span::raw(" "));
    let used = span_width(&spans);
    while used + items.iter().map(|(_, i)| span_width(i)).sum::<usize>() > width {
        let Some(worst) = items
            .iter()
            .enumerate()
            .max_by_key(|(i, (p, _))| (*p, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        items.remove(worst);
    }
    for (_, item) in items {
        spans.extend(item);
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
