//! The characters the console draws with. A terminal whose locale is not UTF-8 (common on old
//! servers reached over SSH) gets plain ASCII, so nothing turns into `?` or mojibake.

use ratatui::symbols::border;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub ascii: bool,
    pub border: border::Set,
    pub border_focus: border::Set,
    pub arrow: &'static str,
    pub gauge_full: &'static str,
    pub gauge_empty: &'static str,
    /// Nine levels, empty to full.
    pub spark: [&'static str; 9],
    pub done: &'static str,
    pub active: &'static str,
    pub pending: &'static str,
    pub running: &'static str,
    pub idle: &'static str,
    pub paused: &'static str,
    pub waiting: &'static str,
    pub failed: &'static str,
    pub pointer: &'static str,
    pub recommended: &'static str,
    pub timeline_sep: &'static str,
    pub ellipsis: &'static str,
    /// Separates items on one line.
    pub dot: &'static str,
}

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

const ASCII_BORDER_FOCUS: border::Set = border::Set {
    top_left: "#",
    top_right: "#",
    bottom_left: "#",
    bottom_right: "#",
    vertical_left: "#",
    vertical_right: "#",
    horizontal_top: "=",
    horizontal_bottom: "=",
};

pub const UNICODE: Glyphs = Glyphs {
    ascii: false,
    border: border::ROUNDED,
    border_focus: border::THICK,
    arrow: "→",
    gauge_full: "█",
    gauge_empty: "░",
    spark: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
    done: "✓",
    active: "▶",
    pending: "○",
    running: "●",
    idle: "·",
    paused: "‖",
    waiting: "?",
    failed: "✗",
    pointer: "›",
    recommended: "★",
    timeline_sep: " ─ ",
    ellipsis: "…",
    dot: "·",
};

pub const ASCII: Glyphs = Glyphs {
    ascii: true,
    border: ASCII_BORDER,
    border_focus: ASCII_BORDER_FOCUS,
    arrow: "->",
    gauge_full: "#",
    gauge_empty: "-",
    spark: [" ", ".", ".", "-", "-", "=", "=", "#", "#"],
    done: "+",
    active: ">",
    pending: "o",
    running: "*",
    idle: ".",
    paused: "=",
    waiting: "?",
    failed: "x",
    pointer: ">",
    recommended: "*",
    timeline_sep: " - ",
    ellipsis: "~",
    dot: "|",
};

impl Glyphs {
    /// Chooses by locale the way C programs do: LC_ALL, then LC_CTYPE, then LANG; the first one
    /// set decides. Unset everywhere means the "C" locale, which is not UTF-8.
    pub fn from_env() -> Glyphs {
        let get = |k: &str| std::env::var(k).ok();
        if locale_is_utf8(get("LC_ALL"), get("LC_CTYPE"), get("LANG")) {
            UNICODE
        } else {
            ASCII
        }
    }

    /// A horizontal bar of `width` cells filled to `ratio` (0..=1).
    pub fn gauge(&self, ratio: f64, width: usize) -> (String, String) {
        let ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let filled = ((ratio * width as f64).round() as usize).min(width);
        (
            self.gauge_full.repeat(filled),
            self.gauge_empty.repeat(width - filled),
        )
    }

    /// The newest `width` samples as one line of bars scaled to the largest visible sample.
    pub fn sparkline(&self, samples: &[u64], width: usize) -> String {
        let start = samples.len().saturating_sub(width);
        let visible = &samples[start..];
        let max = visible.iter().copied().max().unwrap_or(0);
        let mut out = String::with_capacity(width * 3);
        for _ in visible.len()..width {
            out.push_str(self.spark[0]);
        }
        for &v in visible {
            let level = if max == 0 {
                0
            } else {
                // Any non-zero sample shows at least the lowest bar: "slow" must not look like "stopped".
                let l = (v as f64 / max as f64 * 8.0).round() as usize;
                if v > 0 {
                    l.clamp(1, 8)
                } else {
                    0
                }
            };
            out.push_str(self.spark[level]);
        }
        out
    }
}

pub fn locale_is_utf8(
    lc_all: Option<String>,
    lc_ctype: Option<String>,
    lang: Option<String>,
) -> bool {
    let chosen = [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.trim().is_empty());
    match chosen {
        Some(v) => {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn locale_precedence_follows_posix() {
        assert!(locale_is_utf8(None, None, s("en_US.UTF-8")));
        assert!(locale_is_utf8(None, None, s("de_DE.utf8")));
        assert!(
            !locale_is_utf8(s("C"), None, s("en_US.UTF-8")),
            "LC_ALL wins over LANG"
        );
        assert!(
            locale_is_utf8(None, s("C.UTF-8"), s("C")),
            "LC_CTYPE wins over LANG"
        );
        assert!(
            !locale_is_utf8(None, None, None),
            "no locale at all is the C locale"
        );
        assert!(!locale_is_utf8(None, None, s("POSIX")));
        assert!(
            locale_is_utf8(s(""), None, s("en_GB.UTF-8")),
            "empty values are skipped"
        );
    }

    #[test]
    fn ascii_glyphs_are_ascii() {
        let g = ASCII;
        let all = [
            g.arrow,
            g.gauge_full,
            g.gauge_empty,
            g.done,
            g.active,
            g.pending,
            g.running,
        ]
        .into_iter()
        .chain(g.spark)
        .chain([
            g.border.top_left,
            g.border.horizontal_top,
            g.border_focus.vertical_left,
        ]);
        for s in all {
            assert!(s.is_ascii(), "{s:?} is not ASCII");
        }
    }

    #[test]
    fn gauge_and_sparkline_fill_their_width() {
        let (full, empty) = UNICODE.gauge(0.5, 10);
        assert_eq!((full.chars().count(), empty.chars().count()), (5, 5));
        let (full, empty) = ASCII.gauge(f64::NAN, 4);
        assert_eq!((full.as_str(), empty.as_str()), ("", "----"));
        assert_eq!(ASCII.sparkline(&[0, 1, 100], 5), "   .#");
        assert_eq!(UNICODE.sparkline(&[], 3).chars().count(), 3);
    }
}
