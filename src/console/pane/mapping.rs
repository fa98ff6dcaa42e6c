//! The column-mapping dialog of a file storeshift does not know: every column with sample
//! values, the field proposed (or the operator's, marked), the confidence, and the reason for
//! the column under the cursor; then the options and a note.

use super::{centered, truncate};
use crate::console::app::{App, Dialog, MappingEdit};
use crate::console::keymap::{Action, Context};
use crate::console::theme::Token;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use storeshift_agents::agents::file_mapping::describe_target;
use storeshift_agents::Intervention;
use unicode_width::UnicodeWidthStr;

/// Below this a proposed column is shown as unsure.
const UNSURE: f32 = 0.6;

fn pad(s: &str, width: usize, ellipsis: &str) -> String {
    let t = truncate(s, width, ellipsis);
    let w = t.width();
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

pub fn render(
    f: &mut Frame,
    app: &App,
    d: &Dialog,
    m: &MappingEdit,
    iv: &Intervention,
    area: Rect,
) {
    let t = &app.theme;
    let g = &app.glyphs;
    let rect = centered(
        area,
        area.width.saturating_sub(2).min(132),
        area.height.saturating_sub(2).min(40),
    );
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(g.border_focus)
        .border_style(t.style(Token::DialogBorder))
        .style(t.style(Token::Text))
        .title(Line::from(vec![
            Span::styled(" Column mapping ", t.style(Token::Intervention)),
            Span::styled(format!("{} ", iv.id), t.style(Token::Muted)),
        ]));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let w = inner.width as usize;
    let p = &m.proposal;

    let options_h = iv.options.len() as u16 + 2;
    let [head, table, reason, opts, bottom] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(4),
        Constraint::Length(2),
        Constraint::Length(options_h),
        Constraint::Length(2),
    ])
    .areas(inner);

    let head_lines = vec![
        Line::from(Span::styled(iv.title.clone(), t.style(Token::Title))),
        Line::from(Span::styled(
            format!(
                "{} {} {} as {} {} {} rows looked at {} {}",
                p.name, g.dot, p.entity, p.layout, g.dot, p.rows, g.dot, p.method
            ),
            t.style(Token::Muted),
        )),
        Line::from(Span::styled(
            match &p.problem {
                Some(e) => format!("As proposed it cannot be read: {e}"),
                None => p.why.clone(),
            },
            t.style(if p.problem.is_some() {
                Token::LogWarn
            } else {
                Token::Text
            }),
        )),
    ];
    f.render_widget(Paragraph::new(head_lines).wrap(Wrap { trim: false }), head);

    // Column | sample values | field | confidence.
    let conf_w = 5;
    let rest = w.saturating_sub(conf_w + 2 + 6);
    let col_w = (rest * 26 / 100).max(8);
    let field_w = (rest * 30 / 100).max(10);
    let sample_w = rest.saturating_sub(col_w + field_w).max(6);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {} {} {} {}",
            pad("column", col_w, g.ellipsis),
            pad("sample values", sample_w, g.ellipsis),
            pad("field", field_w, g.ellipsis),
            pad("conf", conf_w, g.ellipsis)
        ),
        t.style(Token::Header),
    ))];
    let rows = (table.height as usize).saturating_sub(1).max(1);
    let first = m.cursor.saturating_sub(rows.saturating_sub(1));
    for (i, c) in p.columns.iter().enumerate().skip(first).take(rows) {
        let edited = m.is_edited(i);
        let target = m.target_of(i);
        let conf = if edited {
            "set".to_string()
        } else {
            format!("{:.2}", c.confidence)
        };
        let cursor = i == m.cursor;
        let marker = if cursor { g.pointer } else { " " };
        let mut spans = vec![
            Span::raw(format!("{marker}{}", if edited { "+" } else { " " })),
            Span::styled(
                format!("{} ", pad(&c.column, col_w, g.ellipsis)),
                t.style(Token::Text),
            ),
            Span::styled(
                format!("{} ", pad(&c.samples.join(" | "), sample_w, g.ellipsis)),
                t.style(Token::Muted),
            ),
            Span::styled(
                format!("{} ", pad(target, field_w, g.ellipsis)),
                t.style(if edited {
                    Token::Recommended
                } else {
                    Token::MetricValue
                }),
            ),
            Span::styled(
                pad(&conf, conf_w, g.ellipsis),
                t.style(if !edited && c.confidence < UNSURE {
                    Token::LogWarn
                } else {
                    Token::Muted
                }),
            ),
        ];
        if cursor && m.on_columns && !d.note_focus {
            spans = spans
                .into_iter()
                .map(|s| s.patch_style(t.style(Token::Selection)))
                .collect();
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), table);

    if let Some(c) = p.columns.get(m.cursor) {
        let why = if m.is_edited(m.cursor) {
            format!(
                "{}: {} (the operator's; proposed {})",
                c.column,
                describe_target(m.target_of(m.cursor)),
                c.target
            )
        } else {
            format!(
                "{}: {} — {}",
                c.column,
                describe_target(&c.target),
                c.reason
            )
        };
        f.render_widget(
            Paragraph::new(Span::styled(why, t.style(Token::Muted))).wrap(Wrap { trim: true }),
            reason,
        );
    }

    let mut olines = vec![Line::from(Span::styled(
        if m.edits.is_empty() {
            "Options:".to_string()
        } else {
            format!(
                "Options ({} column{} changed: deciding uses the edited mapping):",
                m.edits.len(),
                if m.edits.len() == 1 { "" } else { "s" }
            )
        },
        t.style(Token::Title),
    ))];
    for (i, o) in iv.options.iter().enumerate() {
        let is_sel = i == d.option;
        let rec = o.key == iv.recommended;
        let mut spans = vec![
            Span::raw(format!("{} ", if is_sel { g.pointer } else { " " })),
            Span::styled(
                format!("{} ", if rec { g.recommended } else { " " }),
                t.style(Token::Recommended),
            ),
            Span::styled(o.label.clone(), t.style(Token::Text)),
        ];
        if rec {
            spans.push(Span::styled(" (recommended)", t.style(Token::Recommended)));
        }
        let mut line = Line::from(spans);
        if is_sel && !m.on_columns && !d.note_focus {
            line = line.patch_style(t.style(Token::Selection));
        }
        olines.push(line);
    }
    if let Some(o) = iv.options.get(d.option) {
        olines.push(Line::from(Span::styled(
            truncate(&format!("    {}", o.consequence), w, g.ellipsis),
            t.style(Token::Muted),
        )));
    }
    f.render_widget(Paragraph::new(olines), opts);

    let [note_area, hint_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(bottom);
    let label = "Note (optional): ";
    let field_w = w.saturating_sub(label.len()).max(1);
    let scroll = d.note.visual_scroll(field_w);
    let value: String = d.note.value().chars().skip(scroll).take(field_w).collect();
    let fill = field_w.saturating_sub(value.chars().count());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                label,
                t.style(if d.note_focus {
                    Token::Key
                } else {
                    Token::Muted
                }),
            ),
            Span::styled(
                format!("{value}{}", " ".repeat(fill)),
                t.style(if d.note_focus {
                    Token::Input
                } else {
                    Token::Muted
                }),
            ),
        ])),
        note_area,
    );
    if d.note_focus {
        let x = note_area.x + (label.len() + d.note.visual_cursor().saturating_sub(scroll)) as u16;
        f.set_cursor_position((x.min(note_area.right().saturating_sub(1)), note_area.y));
    }
    let km = &app.keymap;
    let key = |a: Action| Span::styled(km.label(Context::Dialog, a), t.style(Token::Key));
    let text = |s: &'static str| Span::styled(s, t.style(Token::Muted));
    let hint = vec![
        key(Action::Up),
        text("/"),
        key(Action::Down),
        text(" column  "),
        key(Action::Left),
        text("/"),
        key(Action::Right),
        text(" field  "),
        key(Action::Attribute),
        text(" keep as attribute  "),
        Span::styled(
            km.first(Context::Dialog, Action::Note).unwrap_or_default(),
            t.style(Token::Key),
        ),
        text(" options/note  "),
        key(Action::Decide),
        text(" decide  "),
        key(Action::Close),
        text(" close"),
    ];
    f.render_widget(Paragraph::new(Line::from(hint)), hint_area);
}
