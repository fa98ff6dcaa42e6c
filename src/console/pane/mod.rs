//! One module per pane. Each draws from the [`App`] it is given and nothing else.

pub mod agents;
pub mod dialog;
pub mod entities;
pub mod header;
pub mod help;
pub mod interventions;
pub mod logs;
pub mod mapping;
pub mod metrics;
pub mod sync;
pub mod timeline;

use super::app::App;
use super::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use unicode_width::UnicodeWidthStr;

/// A bordered pane; the focused one gets the focus border and a highlighted title.
pub fn block<'a>(app: &App, title: Line<'a>, focused: bool) -> Block<'a> {
    let t = &app.theme;
    let (set, border, title_style) = if focused {
        (
            app.glyphs.border_focus,
            t.style(Token::BorderFocus),
            t.style(Token::TitleFocus),
        )
    } else {
        (
            app.glyphs.border,
            t.style(Token::Border),
            t.style(Token::Title),
        )
    };
    Block::default()
        .borders(Borders::ALL)
        .border_set(set)
        .border_style(border)
        .title(title.style(title_style))
}

/// Cuts `s` to `width` display columns, marking the cut.
pub fn truncate(s: &str, width: usize, ellipsis: &str) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width.saturating_sub(ellipsis.width());
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > keep {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push_str(ellipsis);
    out
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as H:MM:SS.
pub fn clock(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

pub fn span_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// A rectangle of `w`×`h` centred in `area`, never larger than it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_format_like_people_read() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(truncate("Customer Communication", 10, "…"), "Customer …");
        assert_eq!(truncate("short", 10, "…"), "short");
        assert_eq!(truncate("abcdef", 4, "~"), "abc~");
    }
}
