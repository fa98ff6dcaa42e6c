//! Keys are data: the defaults in `assets/keymap.toml` are built in, and a user file overrides
//! single bindings. Lookups take a crossterm key event and answer with an [`Action`].

use anyhow::{anyhow, bail, Context as _, Result};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a key is pressed: each screen has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Main,
    Dialog,
    Filter,
    Help,
}

impl Context {
    pub const ALL: [Context; 4] = [
        Context::Main,
        Context::Dialog,
        Context::Filter,
        Context::Help,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Main => "main",
            Context::Dialog => "dialog",
            Context::Filter => "filter",
            Context::Help => "help",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Main => "Main screen",
            Context::Dialog => "Intervention dialog",
            Context::Filter => "Log filter",
            Context::Help => "This help",
        }
    }

    fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The actions that mean something here, in the order the help screen lists them.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Context::Main => &[
                Pause,
                FullCycle,
                Interventions,
                Open,
                Filter,
                FocusNext,
                FocusPrev,
                Up,
                Down,
                Left,
                Right,
                PageUp,
                PageDown,
                Top,
                Bottom,
                Clear,
                Help,
                Quit,
            ],
            Context::Dialog => &[
                Up, Down, Left, Right, PageUp, PageDown, Attribute, Note, Decide, Close,
            ],
            Context::Filter => &[Apply, Cancel],
            Context::Help => &[Up, Down, PageUp, PageDown, Close],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Pause,
    /// Sync mode: the next cycle reads every entity whole.
    FullCycle,
    Interventions,
    Filter,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Help,
    Quit,
    Clear,
    Note,
    Decide,
    Close,
    Apply,
    Cancel,
    Attribute,
}

impl Action {
    const ALL: [Action; 24] = [
        Action::Pause,
        Action::FullCycle,
        Action::Interventions,
        Action::Filter,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Help,
        Action::Quit,
        Action::Clear,
        Action::Note,
        Action::Decide,
        Action::Close,
        Action::Apply,
        Action::Cancel,
        Action::Attribute,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::FullCycle => "full-cycle",
            Action::Interventions => "interventions",
            Action::Filter => "filter",
            Action::FocusNext => "focus-next",
            Action::FocusPrev => "focus-prev",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Clear => "clear",
            Action::Note => "note",
            Action::Decide => "decide",
            Action::Close => "close",
            Action::Apply => "apply",
            Action::Cancel => "cancel",
            Action::Attribute => "attribute",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// What the key does, for the help screen. `q` is described by the caller, since it
    /// depends on whether this console owns the run or is attached to it.
    pub fn describe(self, ctx: Context) -> &'static str {
        match (ctx, self) {
            (_, Action::Pause) => "pause the run at the next safe point / resume it",
            (_, Action::FullCycle) => "sync: make the next cycle full (all read whole)",
            (_, Action::Interventions) => "open the next pending intervention",
            (_, Action::Filter) => "filter the log as you type",
            (_, Action::FocusNext) => "focus the next pane",
            (_, Action::FocusPrev) => "focus the previous pane",
            (Context::Dialog, Action::Up) => "previous option (column mapping: previous column)",
            (Context::Dialog, Action::Down) => "next option (column mapping: next column)",
            (Context::Dialog, Action::Left) => "column mapping: the column's previous field",
            (Context::Dialog, Action::Right) => "column mapping: the column's next field",
            (_, Action::Attribute) => {
                "column mapping: keep the column as an attribute (again: as proposed)"
            }
            (Context::Dialog, Action::PageUp) => "scroll the intervention's text back",
            (Context::Dialog, Action::PageDown) => "scroll the intervention's text on",
            (Context::Help, Action::Up) => "scroll up",
            (Context::Help, Action::Down) => "scroll down",
            (_, Action::Up) => "move up (log: scroll back)",
            (_, Action::Down) => "move down (log: scroll forward)",
            (_, Action::Left) => "previous agent",
            (_, Action::Right) => "next agent",
            (_, Action::PageUp) => "page up",
            (_, Action::PageDown) => "page down",
            (_, Action::Top) => "oldest line / first item",
            (_, Action::Bottom) => "newest line, follow the log / last item",
            (_, Action::Open) => "open the selected intervention",
            (_, Action::Help) => "show this help",
            (_, Action::Quit) => "leave (see below)",
            (_, Action::Clear) => "clear the log filter, close messages",
            (_, Action::Note) => "move between the options and the note field",
            (_, Action::Decide) => "decide with the selected option (and the note)",
            (Context::Help, Action::Close) => "close the help",
            (_, Action::Close) => "close without deciding",
            (_, Action::Apply) => "keep the filter and go back to the panes",
            (_, Action::Cancel) => "drop the filter",
        }
    }
}

/// A key as the keymap names it: a code plus Ctrl/Alt. Shift is part of the character ("G").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            // Terminals send Ctrl-letters in either case; `Ctrl-c` in the file means both.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::ALT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn parse(spec: &str) -> Result<Key> {
        let mut rest = spec;
        let mut mods = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 2 && (lower.starts_with("ctrl-") || lower.starts_with("alt-"))
            {
                let (m, len) = if lower.starts_with("ctrl-") {
                    (KeyModifiers::CONTROL, 5)
                } else {
                    (KeyModifiers::ALT, 4)
                };
                mods |= m;
                rest = &rest[len..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "shift-tab" | "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "space" => KeyCode::Char(' '),
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => bail!(
                        "unknown key {spec:?}: use one character (\"p\", \"?\") or one of Enter Esc \
                         Tab Shift-Tab Backspace Delete Up Down Left Right PageUp PageDown Home End \
                         Space F1..F12, optionally with Ctrl- or Alt-"
                    ),
                },
            },
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

type RawKeymap = BTreeMap<String, BTreeMap<String, Keys>>;

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<(Context, Action), Vec<Key>>,
    lookup: HashMap<(Context, Key), Action>,
}

impl Keymap {
    /// The built-in keys.
    #[cfg(test)]
    pub fn builtin() -> Keymap {
        Keymap::from_sources(None).expect("the built-in keymap is valid (unit-tested)")
    }

    /// The built-in keys with the user's file merged over them.
    pub fn load(user: Option<&Path>) -> Result<Keymap> {
        let text = match user {
            Some(path) => Some((
                path.display().to_string(),
                std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "cannot read the keymap file {}: check the --keymap path",
                        path.display()
                    )
                })?,
            )),
            None => None,
        };
        Keymap::from_sources(text.as_ref().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// `user` is (file name for messages, TOML text).
    pub fn from_sources(user: Option<(&str, &str)>) -> Result<Keymap> {
        let mut bindings = parse_layer("assets/keymap.toml (built in)", DEFAULT_KEYMAP)?;
        if let Some((name, text)) = user {
            let overrides = parse_layer(name, text)?;
            for ((ctx, action), keys) in &overrides {
                // The user's key moves here from whatever default action held it.
                for ((c, a), held) in bindings.iter_mut() {
                    if c == ctx && !overrides.contains_key(&(*c, *a)) {
                        held.retain(|k| !keys.contains(k));
                    }
                }
                bindings.insert((*ctx, *action), keys.clone());
            }
            check_conflicts(name, &overrides)?;
        }
        let mut lookup = HashMap::new();
        for ((ctx, action), keys) in &bindings {
            for key in keys {
                lookup.insert((*ctx, *key), *action);
            }
        }
        Ok(Keymap { bindings, lookup })
    }

    /// The action a key press means here. Release and repeat events mean nothing: a held key
    /// must not pause and resume in one go.
    pub fn action(&self, ctx: Context, ev: &KeyEvent) -> Option<Action> {
        if ev.kind != KeyEventKind::Press {
            return None;
        }
        self.lookup.get(&(ctx, Key::from_event(ev))).copied()
    }

    pub fn keys(&self, ctx: Context, action: Action) -> &[Key] {
        self.bindings
            .get(&(ctx, action))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// "p", "Up/k": the keys of an action joined for hints.
    pub fn label(&self, ctx: Context, action: Action) -> String {
        let keys = self.keys(ctx, action);
        keys.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key only, for the footer where space is short.
    pub fn first(&self, ctx: Context, action: Action) -> Option<String> {
        self.keys(ctx, action).first().map(|k| k.to_string())
    }
}

fn parse_layer(name: &str, text: &str) -> Result<BTreeMap<(Context, Action), Vec<Key>>> {
    let raw: RawKeymap = toml::from_str(text)
        .map_err(|e| anyhow!("{name}: {e}").context("the keymap is not valid"))?;
    let mut out = BTreeMap::new();
    for (section, actions) in raw {
        let ctx = Context::parse(&section).ok_or_else(|| {
            anyhow!(
                "{name}: unknown section [{section}]; the sections are {}",
                Context::ALL.map(Context::name).join(", ")
            )
        })?;
        for (action_name, keys) in actions {
            let action = Action::parse(&action_name)
                .filter(|a| ctx.actions().contains(a))
                .ok_or_else(|| {
                    anyhow!(
                        "{name}: [{section}] has no action {action_name:?}; its actions are {}",
                        ctx.actions()
                            .iter()
                            .map(|a| a.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            let specs = match keys {
                Keys::One(s) => vec![s],
                Keys::Many(v) => v,
            };
            let keys = specs
                .iter()
                .map(|s| {
                    Key::parse(s).map_err(|e| anyhow!("{name}: [{section}] {action_name}: {e}"))
                })
                .collect::<Result<Vec<_>>>()?;
            out.insert((ctx, action), keys);
        }
    }
    check_conflicts(name, &out)?;
    Ok(out)
}

fn check_conflicts(name: &str, layer: &BTreeMap<(Context, Action), Vec<Key>>) -> Result<()> {
    let mut seen: HashMap<(Context, Key), Action> = HashMap::new();
    for ((ctx, action), keys) in layer {
        for key in keys {
            if let Some(other) = seen.insert((*ctx, *key), *action) {
                if other != *action {
                    bail!(
                        "{name}: in [{}] the key {key} is bound to both {} and {}; give one of them \
                         another key",
                        ctx.name(),
                        other.name(),
                        action.name()
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventState;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_bind_every_documented_key() {
        let km = Keymap::builtin();
        let m = Context::Main;
        let ch = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(km.action(m, &ch('p')), Some(Action::Pause));
        assert_eq!(km.action(m, &ch('f')), Some(Action::FullCycle));
        assert_eq!(km.action(m, &ch('i')), Some(Action::Interventions));
        assert_eq!(km.action(m, &ch('/')), Some(Action::Filter));
        assert_eq!(km.action(m, &ch('?')), Some(Action::Help));
        assert_eq!(km.action(m, &ch('q')), Some(Action::Quit));
        assert_eq!(km.action(m, &ch('k')), Some(Action::Up));
        assert_eq!(
            km.action(m, &press(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Tab, KeyModifiers::NONE)),
            Some(Action::FocusNext)
        );
        // Terminals report Shift-Tab as BackTab with SHIFT set.
        assert_eq!(
            km.action(m, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        // `G` arrives with SHIFT; the character already says so.
        assert_eq!(
            km.action(m, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Char('C'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Open)
        );
        assert_eq!(
            km.action(Context::Dialog, &press(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Decide)
        );
        assert_eq!(km.action(m, &ch('x')), None);
        for ctx in Context::ALL {
            for a in ctx.actions() {
                assert!(
                    !km.keys(ctx, *a).is_empty(),
                    "{} {} has no default key",
                    ctx.name(),
                    a.name()
                );
            }
        }
    }

    #[test]
    fn repeat_and_release_never_act() {
        let km = Keymap::builtin();
        for kind in [KeyEventKind::Repeat, KeyEventKind::Release] {
            let ev = KeyEvent {
                code: KeyCode::Char('p'),
                modifiers: KeyModifiers::NONE,
                kind,
                state: KeyEventState::NONE,
            };
            assert_eq!(
                km.action(Context::Main, &ev),
                None,
                "{kind:?} must be ignored"
            );
        }
    }

    #[test]
    fn user_file_overrides_single_bindings() {
        let user = "[main]\npause = [\"Space\"]\nquit = \"Ctrl-q\"\n";
        let km = Keymap::from_sources(Some(("my-keys.toml", user))).unwrap();
        let m = Context::Main;
        assert_eq!(
            km.action(m, &press(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Pause)
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Char('p'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(m, &press(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        // Untouched bindings keep their defaults.
        assert_eq!(
            km.action(m, &press(KeyCode::Char('i'), KeyModifiers::NONE)),
            Some(Action::Interventions)
        );
        assert_eq!(km.label(m, Action::Up), "Up/k");
    }

    #[test]
    fn a_user_key_moves_from_its_default_action() {
        // `j` belongs to `down` by default; the user gives it to `bottom`.
        let km = Keymap::from_sources(Some(("k.toml", "[main]\nbottom = [\"j\"]\n"))).unwrap();
        let j = press(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action(Context::Main, &j), Some(Action::Bottom));
        assert_eq!(km.label(Context::Main, Action::Down), "Down");
        // Other screens keep their own `j`.
        assert_eq!(km.action(Context::Dialog, &j), Some(Action::Down));
    }

    #[test]
    fn bad_files_get_clear_errors() {
        let err = |t: &str| {
            format!(
                "{:#}",
                Keymap::from_sources(Some(("k.toml", t))).unwrap_err()
            )
        };
        let e = err("[main]\npause = [\"p\"\n");
        assert!(e.contains("k.toml") && e.contains("line 2"), "{e}");
        let e = err("[mian]\npause = \"p\"\n");
        assert!(
            e.contains("unknown section [mian]") && e.contains("main, dialog"),
            "{e}"
        );
        let e = err("[main]\npuase = \"p\"\n");
        assert!(
            e.contains("no action \"puase\"") && e.contains("pause"),
            "{e}"
        );
        let e = err("[main]\npause = \"Ctrl-Banana\"\n");
        assert!(e.contains("unknown key \"Ctrl-Banana\""), "{e}");
        let e = err("[main]\npause = \"x\"\nquit = \"x\"\n");
        assert!(e.contains("bound to both"), "{e}");
    }

    #[test]
    fn keys_print_as_they_are_written() {
        for s in [
            "p",
            "?",
            "G",
            "Enter",
            "Shift-Tab",
            "Ctrl-c",
            "Alt-Up",
            "F5",
            "Space",
            "PageDown",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Key::parse("BackTab").unwrap().to_string(), "Shift-Tab");
    }
}
