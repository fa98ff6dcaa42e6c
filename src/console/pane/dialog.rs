//! The decision dialog: the problem, the records it concerns, the options with the recommended
//! one marked, a note, and who decided once someone has.

use super::{centered, truncate};
use crate::console::app::{App, Dialog};
use crate::console::keymap::{Action, Context};
use crate::console::theme::Token;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn render(f: &mut Frame, app: &App, d: &Dialog, area: Rect) {
    let t = &app.theme;
    let g = &app.glyphs;
    let Some(iv) = app.intervention(&d.id) else {
        return;
    };
    if let Some(m) = &d.mapping {
        return super::mapping::render(f, app, d, m, iv, area);
    }
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(100),
        area.height.saturating_sub(2).min(32),
    );
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(g.border_focus)
        .border_style(t.style(Token::DialogBorder))
        .style(t.style(Token::Text))
        .title(Line::from(vec![
            Span::styled(" Intervention ", t.style(Token::Intervention)),
            Span::styled(format!("{} ", iv.id), t.style(Token::Muted)),
        ]));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let w = inner.width as usize;

    // The options always stay on screen; the problem text gets what is left.
    let selected = iv.options.get(d.option);
    let consequence_lines = selected
        .map(|o| o.consequence.len().div_ceil(w.max(1)).clamp(1, 3))
        .unwrap_or(0);
    let options_h = (iv.options.len() + 1 + consequence_lines) as u16;
    let bottom_h: u16 = if iv.is_pending() { 3 } else { 2 };
    let [top, opts, bottom] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(options_h),
        Constraint::Length(bottom_h),
    ])
    .areas(inner);

    // Wrapped here, not by the paragraph, so the text's height is known and a text taller
    // than the dialog (a cutover's failing URLs, DNS steps, rollback plan) scrolls.
    let mut lines: Vec<Line> = wrap(&iv.title, w)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, t.style(Token::Title))))
        .collect();
    lines.push(Line::from(Span::styled(
        truncate(
            &format!("step {} {} item {}", iv.step, g.dot, iv.item),
            w,
            g.ellipsis,
        ),
        t.style(Token::Muted),
    )));
    lines.push(Line::default());
    lines.extend(
        wrap(&iv.problem, w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.style(Token::Text)))),
    );
    lines.push(Line::default());
    if !iv.records.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("Affected records ({}):", iv.records.len()),
            t.style(Token::Title),
        )));
        // The records fill the rows the text leaves; the rest are counted.
        let room = (top.height as usize).saturating_sub(lines.len()).max(1);
        let show = if iv.records.len() > room {
            room.saturating_sub(1).max(1)
        } else {
            room
        };
        for r in iv.records.iter().take(show) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<9} ", r.entity.key()), t.style(Token::Muted)),
                Span::styled(format!("{:<8} ", r.source_id), t.style(Token::MetricValue)),
                Span::styled(
                    truncate(&r.label, w.saturating_sub(21), g.ellipsis),
                    t.style(Token::Text),
                ),
            ]));
        }
        if iv.records.len() > show {
            lines.push(Line::from(Span::styled(
                format!("  and {} more", iv.records.len() - show),
                t.style(Token::Muted),
            )));
        }
    }
    // The trailing blank line may be cut without scrolling.
    let total = lines.len().saturating_sub(1);
    let height = top.height as usize;
    if total > height && height >= 2 {
        // The last row says where the view is and how to move it.
        let view = height - 1;
        let max = total - view;
        d.scroll_max.set(max as u16);
        let from = (d.scroll as usize).min(max);
        let km = &app.keymap;
        let marker = Line::from(vec![
            Span::styled(
                format!("lines {}-{} of {total}  ", from + 1, from + view),
                t.style(Token::Muted),
            ),
            Span::styled(
                km.first(Context::Dialog, Action::PageUp)
                    .unwrap_or_default(),
                t.style(Token::Key),
            ),
            Span::styled("/", t.style(Token::Muted)),
            Span::styled(
                km.first(Context::Dialog, Action::PageDown)
                    .unwrap_or_default(),
                t.style(Token::Key),
            ),
            Span::styled(" scroll", t.style(Token::Muted)),
        ]);
        let mut shown: Vec<Line> = lines.into_iter().skip(from).take(view).collect();
        shown.push(marker);
        f.render_widget(Paragraph::new(shown), top);
    } else {
        d.scroll_max.set(0);
        f.render_widget(Paragraph::new(lines), top);
    }

    let mut olines = vec![Line::from(Span::styled("Options:", t.style(Token::Title)))];
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
        if is_sel && !d.note_focus {
            line = line.patch_style(t.style(Token::Selection));
        }
        olines.push(line);
    }
    if let Some(o) = selected {
        olines.push(Line::from(Span::styled(
            format!("    {}", o.consequence),
            t.style(Token::Muted),
        )));
    }
    f.render_widget(Paragraph::new(olines).wrap(Wrap { trim: false }), opts);

    let [first, second, third] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(bottom);
    match &iv.decision {
        Some(dec) => {
            let note = dec
                .note
                .as_deref()
                .map(|n| format!(" — \"{n}\""))
                .unwrap_or_default();
            let text = format!(
                "Decided: {} by {} at {}{}",
                dec.option,
                dec.by.describe(),
                dec.at,
                note
            );
            f.render_widget(
                Paragraph::new(Span::styled(text, t.style(Token::StatusMessage))),
                first,
            );
            let hint = format!("{} close", app.keymap.label(Context::Dialog, Action::Close));
            f.render_widget(
                Paragraph::new(Span::styled(hint, t.style(Token::Muted))),
                second,
            );
        }
        None => {
            let label = "Note (optional): ";
            let field_w = w.saturating_sub(label.len()).max(1);
            let scroll = d.note.visual_scroll(field_w);
            let value: String = d.note.value().chars().skip(scroll).take(field_w).collect();
            let pad = field_w.saturating_sub(value.chars().count());
            let field_style = if d.note_focus {
                t.style(Token::Input)
            } else {
                t.style(Token::Muted)
            };
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
                    Span::styled(format!("{value}{}", " ".repeat(pad)), field_style),
                ])),
                second,
            );
            if d.note_focus {
                let x =
                    second.x + (label.len() + d.note.visual_cursor().saturating_sub(scroll)) as u16;
                f.set_cursor_position((x.min(second.right().saturating_sub(1)), second.y));
            }
            let km = &app.keymap;
            let hint = vec![
                Span::styled(km.label(Context::Dialog, Action::Up), t.style(Token::Key)),
                Span::styled("/", t.style(Token::Muted)),
                Span::styled(km.label(Context::Dialog, Action::Down), t.style(Token::Key)),
                Span::styled(" choose  ", t.style(Token::Muted)),
                Span::styled(
                    km.first(Context::Dialog, Action::Note).unwrap_or_default(),
                    t.style(Token::Key),
                ),
                Span::styled(" note  ", t.style(Token::Muted)),
                Span::styled(
                    km.label(Context::Dialog, Action::Decide),
                    t.style(Token::Key),
                ),
                Span::styled(" decide  ", t.style(Token::Muted)),
                Span::styled(
                    km.label(Context::Dialog, Action::Close),
                    t.style(Token::Key),
                ),
                Span::styled(" close", t.style(Token::Muted)),
            ];
            f.render_widget(Paragraph::new(Line::from(hint)), third);
        }
    }
}

/// Breaks `text` into lines of at most `width` display columns: at spaces where it can, inside
/// a word longer than a line where it must. Line breaks in the text are kept.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(1);
    let mut out = vec![];
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        for word in para.split(' ') {
            let ww = word.width();
            let sep = usize::from(!line.is_empty());
            if line_w + sep + ww <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += sep + ww;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                line_w = 0;
            }
            for c in word.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if line_w + cw > width {
                    out.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += cw;
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words_only() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("x\n\ny", 5), ["x", "", "y"]);
        assert_eq!(wrap("kadın ürün", 5), ["kadın", "ürün"]);
    }
}
