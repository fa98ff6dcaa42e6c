//! `?`: every key of every screen, read from the live keymap, and what leaving does.

use super::centered;
use crate::console::app::App;
use crate::console::keymap::{Action, Context};
use crate::console::theme::Token;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let km = &app.keymap;
    let mut out = Vec::new();
    for ctx in Context::ALL {
        out.push(Line::from(Span::styled(
            ctx.title().to_string(),
            t.style(Token::Title),
        )));
        for a in ctx.actions() {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<18}", km.label(ctx, *a)), t.style(Token::Key)),
                Span::styled(a.describe(ctx).to_string(), t.style(Token::Text)),
            ]));
        }
        out.push(Line::default());
    }
    let quit = km.label(Context::Main, Action::Quit);
    let marker = if app.glyphs.ascii { ">" } else { "▸" };
    let (here, there) = if app.attach {
        (" ", marker)
    } else {
        (marker, " ")
    };
    out.push(Line::from(Span::styled(
        format!("Leaving with {quit}"),
        t.style(Token::Title),
    )));
    out.push(Line::from(vec![
        Span::styled(format!("{here} "), t.style(Token::Key)),
        Span::raw("In the console that runs the migration (storeshift run / demo): the run stops at the next safe point with everything checkpointed, and the same command resumes it exactly there."),
    ]));
    out.push(Line::from(vec![
        Span::styled(format!("{there} "), t.style(Token::Key)),
        Span::raw("In an attached console (storeshift attach): only this console closes; the run keeps going and you can attach again."),
    ]));
    out.push(Line::from(Span::styled(
        format!(
            "  This console is {}.",
            if app.attach {
                "attached"
            } else if app.snapshot.sync.is_some() {
                "running sync cycles (p holds the next one)"
            } else {
                "running the migration"
            }
        ),
        t.style(Token::Muted),
    )));
    out.push(Line::default());
    out.push(Line::from(Span::styled("Setup", t.style(Token::Title))));
    out.push(Line::from(
        "  --keymap FILE overrides single keys (see assets/keymap.toml); --theme NAME|FILE picks \
         default, light, high-contrast, mono or a file overriding single tokens; NO_COLOR=1 \
         gives mono; a non-UTF-8 locale gives ASCII drawing; --mouse turns the mouse on.",
    ));
    out
}

pub fn render(f: &mut Frame, app: &App, scroll: u16, area: Rect) {
    let t = &app.theme;
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, rect);
    let close = app.keymap.label(Context::Help, Action::Close);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(app.glyphs.border_focus)
        .border_style(t.style(Token::BorderFocus))
        .style(t.style(Token::Text))
        .title(Line::from(Span::styled(
            " Keys ",
            t.style(Token::TitleFocus),
        )))
        .title_bottom(Line::from(Span::styled(
            format!(" {close} close "),
            t.style(Token::Muted),
        )));
    f.render_widget(
        Paragraph::new(lines(app))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        rect,
    );
}
