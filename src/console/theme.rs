//! Semantic theme tokens ("agent-running", "log-error") mapped to styles, read from TOML. The
//! presets in `themes/` are built in; a user file names a base preset and overrides single tokens.

use anyhow::{anyhow, bail, Context as _, Result};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

macro_rules! tokens {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Token { $($variant),+ }
        impl Token {
            pub const ALL: &'static [Token] = &[$(Token::$variant),+];
            pub fn name(self) -> &'static str {
                match self { $(Token::$variant => $name),+ }
            }
        }
    };
}

tokens! {
    Text => "text",
    Muted => "muted",
    Title => "title",
    TitleFocus => "title-focus",
    Border => "border",
    BorderFocus => "border-focus",
    Header => "header",
    Key => "key",
    StatusMessage => "status-message",
    StateStarting => "state-starting",
    StateRunning => "state-running",
    StatePaused => "state-paused",
    StateWaiting => "state-waiting",
    StateDone => "state-done",
    StateFailed => "state-failed",
    PhaseDone => "phase-done",
    PhaseActive => "phase-active",
    PhasePending => "phase-pending",
    AgentRunning => "agent-running",
    AgentIdle => "agent-idle",
    AgentWaiting => "agent-waiting",
    AgentDone => "agent-done",
    AgentFailed => "agent-failed",
    Gauge => "gauge",
    GaugeEmpty => "gauge-empty",
    Sparkline => "sparkline",
    MetricLabel => "metric-label",
    MetricValue => "metric-value",
    MetricAlert => "metric-alert",
    LogTime => "log-time",
    LogDebug => "log-debug",
    LogInfo => "log-info",
    LogWarn => "log-warn",
    LogError => "log-error",
    Intervention => "intervention",
    InterventionDecided => "intervention-decided",
    Recommended => "recommended",
    Selection => "selection",
    DialogBorder => "dialog-border",
    Input => "input",
}

pub const PRESETS: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    tokens: BTreeMap<String, StyleSpec>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reverse: bool,
}

impl Theme {
    pub fn style(&self, token: Token) -> Style {
        self.styles[token as usize]
    }

    pub fn preset(name: &str) -> Option<Theme> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
        Some(
            Theme::parse_preset(name, text)
                .expect("the built-in themes are complete and valid (unit-tested)"),
        )
    }

    /// What the console starts with: an explicit `--theme` (a preset name or a file) wins;
    /// otherwise NO_COLOR (set and not empty, per no-color.org) selects mono.
    pub fn select(choice: Option<&str>, no_color: bool) -> Result<Theme> {
        match choice {
            Some(c) => match Theme::preset(c) {
                Some(t) => Ok(t),
                None => Theme::load_file(Path::new(c)),
            },
            None if no_color => Ok(Theme::preset("mono").expect("mono is built in")),
            None => Ok(Theme::preset("default").expect("default is built in")),
        }
    }

    pub fn load_file(path: &Path) -> Result<Theme> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the theme {}: --theme takes a file or one of {}",
                path.display(),
                preset_names()
            )
        })?;
        Theme::from_user(&path.display().to_string(), &text)
    }

    /// A user theme: its `base` preset (default unless named) with its tokens laid over.
    pub fn from_user(file: &str, text: &str) -> Result<Theme> {
        let parsed: ThemeFile = toml::from_str(text)
            .map_err(|e| anyhow!("{file}: {e}").context("the theme is not valid"))?;
        let base_name = parsed.base.as_deref().unwrap_or("default");
        let mut theme = Theme::preset(base_name).ok_or_else(|| {
            anyhow!(
                "{file}: base = {base_name:?} is not a built-in theme; use one of {}",
                preset_names()
            )
        })?;
        for (name, spec) in &parsed.tokens {
            let token = find_token(file, name)?;
            theme.styles[token as usize] = spec.to_style(file, name)?;
        }
        theme.name = parsed.name.unwrap_or_else(|| file.to_string());
        Ok(theme)
    }

    fn parse_preset(name: &str, text: &str) -> Result<Theme> {
        let file = format!("themes/{name}.toml");
        let parsed: ThemeFile = toml::from_str(text).map_err(|e| anyhow!("{file}: {e}"))?;
        let mut styles = vec![None; Token::ALL.len()];
        for (tname, spec) in &parsed.tokens {
            let token = find_token(&file, tname)?;
            styles[token as usize] = Some(spec.to_style(&file, tname)?);
        }
        let styles = Token::ALL
            .iter()
            .map(|t| {
                styles[*t as usize].ok_or_else(|| anyhow!("{file}: token {} is missing", t.name()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Theme {
            name: name.to_string(),
            styles,
        })
    }
}

fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn find_token(file: &str, name: &str) -> Result<Token> {
    Token::ALL
        .iter()
        .copied()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            anyhow!(
                "{file}: unknown token {name:?}; the tokens are {}",
                Token::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

impl StyleSpec {
    fn to_style(&self, file: &str, token: &str) -> Result<Style> {
        let color = |field: &str, v: &Option<String>| -> Result<Option<Color>> {
            match v {
                None => Ok(None),
                Some(s) => match s.parse::<Color>() {
                    Ok(c) => Ok(Some(c)),
                    Err(_) => bail!(
                        "{file}: token {token}: {field} = {s:?} is not a colour; use an ANSI name \
                         (red, light-blue, dark-gray...), \"reset\", 0-255 or \"#rrggbb\""
                    ),
                },
            }
        };
        let mut style = Style::default();
        if let Some(c) = color("fg", &self.fg)? {
            style = style.fg(c);
        }
        if let Some(c) = color("bg", &self.bg)? {
            style = style.bg(c);
        }
        let flags = [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reverse, Modifier::REVERSED),
        ];
        for (on, m) in flags {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_defines_every_token() {
        for (name, text) in PRESETS {
            Theme::parse_preset(name, text).unwrap_or_else(|e| panic!("{e:#}"));
        }
    }

    #[test]
    fn default_theme_keeps_the_terminal_background() {
        let t = Theme::preset("default").unwrap();
        for token in Token::ALL {
            let s = t.style(*token);
            assert_eq!(s.bg, None, "{} sets a background", token.name());
            if let Some(fg) = s.fg {
                assert!(
                    !matches!(fg, Color::Rgb(..) | Color::Indexed(_)),
                    "{} uses {fg:?}, not one of the 16 ANSI colours",
                    token.name()
                );
            }
        }
    }

    #[test]
    fn mono_has_no_colour_and_still_marks_state() {
        let t = Theme::preset("mono").unwrap();
        for token in Token::ALL {
            let s = t.style(*token);
            assert!(
                s.fg.is_none() && s.bg.is_none(),
                "{} has a colour",
                token.name()
            );
        }
        for token in [
            Token::StatePaused,
            Token::StateWaiting,
            Token::StateFailed,
            Token::LogError,
        ] {
            assert!(
                t.style(token).add_modifier.contains(Modifier::REVERSED),
                "{}",
                token.name()
            );
        }
    }

    #[test]
    fn user_theme_overrides_single_tokens() {
        let user =
            "base = \"light\"\n[tokens]\nlog-error = { fg = \"#ff0000\", underline = true }\n";
        let t = Theme::from_user("mine.toml", user).unwrap();
        let light = Theme::preset("light").unwrap();
        assert_eq!(
            t.style(Token::LogError),
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::UNDERLINED)
        );
        assert_eq!(t.style(Token::LogWarn), light.style(Token::LogWarn));
        assert_eq!(t.style(Token::PhaseDone), light.style(Token::PhaseDone));
        // No base: the default preset underneath.
        let t =
            Theme::from_user("mine.toml", "[tokens]\nphase-done = { fg = \"blue\" }\n").unwrap();
        assert_eq!(t.style(Token::PhaseDone), Style::default().fg(Color::Blue));
        assert_eq!(
            t.style(Token::AgentRunning),
            Theme::preset("default").unwrap().style(Token::AgentRunning)
        );
    }

    #[test]
    fn bad_theme_files_say_what_is_wrong() {
        let err = |t: &str| format!("{:#}", Theme::from_user("mine.toml", t).unwrap_err());
        let e = err("[tokens]\nlog-eror = { fg = \"red\" }\n");
        assert!(
            e.contains("mine.toml")
                && e.contains("unknown token \"log-eror\"")
                && e.contains("log-error"),
            "{e}"
        );
        let e = err("[tokens]\nlog-error = { fg = \"reddish\" }\n");
        assert!(e.contains("fg = \"reddish\" is not a colour"), "{e}");
        let e = err("base = \"dark\"\n");
        assert!(
            e.contains("not a built-in theme") && e.contains("high-contrast"),
            "{e}"
        );
        let e = err("[tokens]\nlog-error = { fg = \"red\", blink = true }\n");
        assert!(e.contains("mine.toml") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn no_color_picks_mono_unless_a_theme_is_named() {
        assert_eq!(Theme::select(None, true).unwrap().name, "mono");
        assert_eq!(Theme::select(None, false).unwrap().name, "default");
        assert_eq!(Theme::select(Some("light"), true).unwrap().name, "light");
        let e = Theme::select(Some("/nonexistent/theme.toml"), false).unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent/theme.toml"));
    }
}
