//! Every screen as insta snapshots (80×24 and 160×48, default and mono themes) drawn with
//! ratatui's TestBackend, and the keys' behaviour checked against the commands they send.

use super::app::{App, Effect, Overlay};
use super::fixture;
use super::glyphs::{self, Glyphs};
use super::keymap::Keymap;
use super::render;
use super::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use ratatui::Terminal;
use std::fmt::Write as _;
use storeshift_agents::{Actor, Command, RunState};
use tokio::sync::mpsc;

fn app_with(state: RunState, theme: &str, glyphs: Glyphs, attach: bool) -> App {
    let mut app = App::new(
        fixture::snapshot(state),
        Keymap::builtin(),
        Theme::preset(theme).unwrap(),
        glyphs,
        attach,
    );
    // A fixed person, so snapshots do not depend on who runs the tests.
    app.actor = Actor {
        user: "sam".into(),
        ssh_client: None,
        via: "console".into(),
    };
    app.push_events(fixture::events().iter());
    app
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Effect> {
    keys.iter().map(|k| app.handle_key(k)).collect()
}

fn draw(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

/// The screen as text, then each row's styled runs, so a snapshot shows colour and emphasis
/// as well as the characters.
fn dump(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out.push_str("--- styles (row: columns style) ---\n");
    for y in 0..area.height {
        let mut runs: Vec<(u16, u16, Style)> = Vec::new();
        for x in 0..area.width {
            let c = &buf[(x, y)];
            let s = Style::default().fg(c.fg).bg(c.bg).add_modifier(c.modifier);
            match runs.last_mut() {
                Some((_, end, st)) if *st == s && *end + 1 == x => *end = x,
                _ => runs.push((x, x, s)),
            }
        }
        let shown: Vec<String> = runs
            .iter()
            .filter(|(_, _, s)| {
                !(s.fg == Some(Color::Reset)
                    && s.bg == Some(Color::Reset)
                    && s.add_modifier.is_empty())
            })
            .map(|(a, b, s)| format!("{a}-{b} {}", describe(s)))
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(out, "{y}: {}", shown.join(" | "));
        }
    }
    out
}

fn describe(s: &Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = s.fg.filter(|c| *c != Color::Reset) {
        parts.push(format!("fg={fg}"));
    }
    if let Some(bg) = s.bg.filter(|c| *c != Color::Reset) {
        parts.push(format!("bg={bg}"));
    }
    for (m, name) in [
        (Modifier::BOLD, "bold"),
        (Modifier::DIM, "dim"),
        (Modifier::ITALIC, "italic"),
        (Modifier::UNDERLINED, "underline"),
        (Modifier::REVERSED, "reverse"),
    ] {
        if s.add_modifier.contains(m) {
            parts.push(name.to_string());
        }
    }
    parts.join(",")
}

#[derive(Clone, Copy)]
enum Screen {
    Main,
    Paused,
    Waiting,
    Dialog,
    Help,
    Filter,
    Done,
    Failed,
    /// `storeshift sync` between cycles: history, lag, countdown.
    SyncIdle,
    /// The same, paused: the next cycle held.
    SyncHeld,
    /// Between cycles after `f`: the next cycle is full.
    SyncFullNext,
}

fn screen(which: Screen, theme: &str, glyphs: Glyphs) -> App {
    let state = match which {
        Screen::Paused => RunState::Paused,
        Screen::Waiting | Screen::Dialog => RunState::WaitingForOperator,
        Screen::Done => RunState::Done,
        Screen::Failed => RunState::Failed,
        _ => RunState::Running,
    };
    let mut app = app_with(state, theme, glyphs, false);
    match which {
        Screen::Dialog => {
            press(
                &mut app,
                &[ch('i'), ch('j'), key(KeyCode::Tab), ch('o'), ch('k')],
            );
        }
        Screen::Help => {
            press(&mut app, &[ch('?')]);
        }
        Screen::Filter => {
            press(&mut app, &[ch('/'), ch('h'), ch('b'), ch('-')]);
        }
        Screen::SyncIdle => app.set_snapshot(fixture::sync_snapshot(false)),
        Screen::SyncHeld => app.set_snapshot(fixture::sync_snapshot(true)),
        Screen::SyncFullNext => app.set_snapshot(fixture::sync_full_next_snapshot()),
        _ => {}
    }
    app
}

macro_rules! screens {
    ($($name:ident: $screen:expr;)+) => {
        $(
            #[test]
            fn $name() {
                for (w, h) in [(80u16, 24u16), (160, 48)] {
                    for (theme, g) in [("default", glyphs::UNICODE), ("mono", glyphs::UNICODE)] {
                        let mut app = screen($screen, theme, g);
                        let buf = draw(&mut app, w, h);
                        insta::assert_snapshot!(
                            format!("{}_{}_{w}x{h}", stringify!($name), theme),
                            dump(&buf)
                        );
                    }
                }
            }
        )+
    };
}

screens! {
    screen_main: Screen::Main;
    screen_paused: Screen::Paused;
    screen_waiting: Screen::Waiting;
    screen_dialog: Screen::Dialog;
    screen_help: Screen::Help;
    screen_filter: Screen::Filter;
    screen_done: Screen::Done;
    screen_failed: Screen::Failed;
    screen_sync_idle: Screen::SyncIdle;
    screen_sync_held: Screen::SyncHeld;
    screen_sync_full_next: Screen::SyncFullNext;
}

/// `f` in sync mode asks once for a full next cycle (the footer says so until the status
/// shows it), the status line and the cycles pane then say `next cycle: full` and why, and
/// the key's hint leaves the footer; a migration's console sends nothing.
#[test]
fn full_cycle_key_asks_for_a_full_next_cycle_in_sync_mode_only() {
    let mut app = screen(Screen::SyncIdle, "default", glyphs::UNICODE);
    let text = text_of(&draw(&mut app, 160, 48));
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("f full next cycle"), "{footer}");
    assert!(!text.contains("next cycle: full"), "{text}");
    assert!(!text.contains("next full cycle"), "{text}");

    let by = app.actor.clone();
    assert_eq!(
        app.handle_key(&ch('f')),
        Effect::Send(Command::FullCycle { by })
    );
    let text = text_of(&draw(&mut app, 160, 48));
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("Asking for a full next cycle"),
        "{text}"
    );

    app.set_snapshot(fixture::sync_full_next_snapshot());
    assert_eq!(app.awaiting, None, "the footer message goes once it shows");
    let text = text_of(&draw(&mut app, 160, 48));
    let status = text.lines().nth(1).unwrap();
    assert!(status.contains("next full cycle in 47s"), "{status}");
    assert!(
        text.contains("next cycle: full, asked by sam via console"),
        "{text}"
    );
    assert!(
        !text.lines().last().unwrap().contains("full next cycle"),
        "{text}"
    );
    // Asked again: nothing sent, the console says why.
    assert_eq!(app.handle_key(&ch('f')), Effect::Redraw);
    let text = text_of(&draw(&mut app, 160, 48));
    assert!(
        text.contains("The next cycle is full already (asked by sam via console)"),
        "{text}"
    );

    // Held or during a cycle, the status line says it apart from the state.
    let mut held = fixture::sync_full_next_snapshot();
    if let Some(sync) = held.sync.as_mut() {
        sync.held = true;
        sync.next_in_secs = None;
    }
    held.state = RunState::Paused;
    app.set_snapshot(held);
    let text = text_of(&draw(&mut app, 160, 48));
    let status = text.lines().nth(1).unwrap();
    assert!(
        status.contains("next cycle held: paused") && status.contains("next cycle: full"),
        "{status}"
    );

    // A migration has no next cycle: nothing is sent.
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    assert_eq!(app.handle_key(&ch('f')), Effect::Redraw);
    let text = text_of(&draw(&mut app, 160, 48));
    assert!(text.contains("A full cycle is a sync's"), "{text}");
}

#[test]
fn sync_mode_shows_history_lag_countdown_and_failures() {
    let mut app = screen(Screen::SyncIdle, "default", glyphs::UNICODE);
    let text = text_of(&draw(&mut app, 160, 48));
    let header = text.lines().next().unwrap();
    assert!(header.contains("BETWEEN CYCLES"), "{header}");
    let status = text.lines().nth(1).unwrap();
    for needle in [
        "next cycle in 47s",
        "lag ≤ 1m 13s",
        "every 2m 00s",
        "1 failed in cycle 12",
    ] {
        assert!(status.contains(needle), "{needle}: {status}");
    }
    // Cycle, moved, read, failed, deletions reported, time taken; a full cycle says so.
    let row = |run: &str, words: usize| {
        text.lines()
            .find(|l| l.contains("│") && l.split_whitespace().nth(1) == Some(run))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .take(words)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    };
    assert_eq!(
        row("11", 8).as_deref(),
        Some("11 1,204 4,210 0 1 1m 35s full"),
        "{text}"
    );
    assert_eq!(row("12", 6).as_deref(), Some("12 3 5 1 0 9s"), "{text}");
    assert!(text.contains("Linen Apron – Rust: price"), "{text}");

    // Between snapshots the lag grows and the countdown runs down.
    app.snapshot_at = std::time::Instant::now().checked_sub(std::time::Duration::from_secs(5));
    assert_eq!(app.sync_lag_secs(), Some(78));
    assert_eq!(app.sync_next_in_secs(), Some(42));
    // Nothing runs between cycles: the header has no clock moving.
    assert_eq!(app.elapsed_secs(), 9);

    // `p` between cycles pauses; held, it resumes.
    let by = app.actor.clone();
    assert_eq!(
        app.handle_key(&ch('p')),
        Effect::Send(Command::Pause { by: by.clone() })
    );
    app.set_snapshot(fixture::sync_snapshot(true));
    let text = text_of(&draw(&mut app, 160, 48));
    assert!(text.lines().next().unwrap().contains("PAUSED"), "{text}");
    let status = text.lines().nth(1).unwrap();
    assert!(
        status.contains("next cycle held: paused (p resumes)"),
        "{status}"
    );
    assert!(!status.contains("next cycle in"), "{status}");
    assert_eq!(
        app.handle_key(&ch('p')),
        Effect::Send(Command::Resume { by })
    );

    // During a cycle the usual header and the cycle's number.
    let mut s = fixture::sync_snapshot(false);
    if let Some(sync) = s.sync.as_mut() {
        sync.cycle = Some(13);
        sync.next_in_secs = None;
    }
    app.set_snapshot(s);
    let text = text_of(&draw(&mut app, 160, 48));
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("RUNNING") && header.contains("sync cycle 13"),
        "{header}"
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("sync cycle 13 running"),
        "{text}"
    );
}

#[test]
fn screen_ascii_fallback() {
    for which in [(Screen::Main, "main"), (Screen::Dialog, "dialog")] {
        // The fixture's data holds non-ASCII (an en dash in a product name): it shows as `?`.
        let mut app = screen(which.0, "mono", glyphs::ASCII);
        let buf = draw(&mut app, 80, 24);
        let text = dump(&buf);
        let screen_text = text.split("--- styles").next().unwrap();
        assert!(
            screen_text.is_ascii(),
            "non-ASCII on the ASCII screen:\n{screen_text}"
        );
        insta::assert_snapshot!(format!("screen_ascii_{}_80x24", which.1), text);
    }
}

fn text_of(buf: &Buffer) -> String {
    dump(buf).split("--- styles").next().unwrap().to_string()
}

#[test]
fn header_shows_each_state_by_name() {
    for (state, label) in [
        (RunState::Running, "RUNNING"),
        (RunState::Paused, "PAUSED"),
        (RunState::WaitingForOperator, "WAITING FOR OPERATOR"),
        (RunState::Done, "DONE"),
        (RunState::Failed, "FAILED"),
    ] {
        let mut app = app_with(state, "default", glyphs::UNICODE, false);
        let text = text_of(&draw(&mut app, 80, 24));
        let header = text.lines().next().unwrap();
        assert!(header.contains(label), "{state:?}: {header}");
    }
}

#[test]
fn pause_key_sends_pause_then_resume_and_ignores_repeats() {
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    let by = app.actor.clone();
    assert_eq!(
        app.handle_key(&ch('p')),
        Effect::Send(Command::Pause { by: by.clone() })
    );
    // The terminal repeats a held key and reports its release: neither may act again.
    for kind in [KeyEventKind::Repeat, KeyEventKind::Release] {
        let ev = KeyEvent {
            code: KeyCode::Char('p'),
            modifiers: KeyModifiers::NONE,
            kind,
            state: KeyEventState::NONE,
        };
        assert_eq!(app.handle_key(&ev), Effect::Nothing);
    }
    let text = text_of(&draw(&mut app, 80, 24));
    assert!(text.contains("Pausing at the next safe point"), "{text}");
    app.set_snapshot(fixture::snapshot(RunState::Paused));
    assert_eq!(
        app.awaiting, None,
        "the footer message goes once the run shows PAUSED"
    );
    assert_eq!(
        app.handle_key(&ch('p')),
        Effect::Send(Command::Resume { by })
    );
}

#[test]
fn decisions_go_by_id_with_the_chosen_option_and_note() {
    let mut app = app_with(
        RunState::WaitingForOperator,
        "default",
        glyphs::UNICODE,
        false,
    );
    let first = fixture::interventions()[0].clone();
    press(&mut app, &[ch('i')]);
    let Overlay::Dialog(d) = &app.overlay else {
        panic!("i opens the dialog")
    };
    assert_eq!(d.id, first.id);
    assert_eq!(
        first.options[d.option].key, first.recommended,
        "the recommended option is preselected"
    );

    // Another console decides something and the queue reorders under the open dialog.
    let mut s = fixture::snapshot(RunState::WaitingForOperator);
    s.interventions.reverse();
    app.set_snapshot(s);

    // Down to "merge", then a note: letters that are keys elsewhere (q, p, i) type.
    let effects = press(
        &mut app,
        &[
            ch('j'),
            key(KeyCode::Tab),
            ch('q'),
            ch('p'),
            ch(' '),
            ch('i'),
            ch('t'),
        ],
    );
    assert!(effects.iter().all(|e| *e == Effect::Redraw), "{effects:?}");
    let effect = app.handle_key(&key(KeyCode::Enter));
    assert_eq!(
        effect,
        Effect::Send(Command::Decide {
            id: first.id.clone(),
            option: "merge".into(),
            note: Some("qp it".into()),
            by: app.actor.clone(),
            value: None,
        })
    );
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn a_decision_made_elsewhere_is_not_made_twice() {
    let mut app = app_with(
        RunState::WaitingForOperator,
        "default",
        glyphs::UNICODE,
        true,
    );
    press(&mut app, &[ch('i')]);
    let mut s = fixture::snapshot(RunState::WaitingForOperator);
    s.interventions[0].decision = fixture::snapshot(RunState::Done).interventions[0]
        .decision
        .clone();
    app.set_snapshot(s);
    assert_eq!(app.handle_key(&key(KeyCode::Enter)), Effect::Redraw);
    assert!(
        app.notice
            .as_deref()
            .unwrap_or("")
            .contains("already decided by dana"),
        "{:?}",
        app.notice
    );
}

#[test]
fn filter_keys_type_and_escape_drops_the_filter() {
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    let all = app.logs.len();
    let effects = press(&mut app, &[ch('/'), ch('q'), ch('4'), ch('2'), ch('9')]);
    assert!(!effects.contains(&Effect::Leave), "q types while filtering");
    assert_eq!(app.logs.filter(), "q429");
    assert_eq!(app.logs.len(), 0);
    press(
        &mut app,
        &[
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
        ],
    );
    press(&mut app, &[ch('4'), ch('2'), ch('9')]);
    assert_eq!(app.logs.len(), 1, "one line mentions the 429");
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(!app.filtering);
    assert_eq!(app.logs.filter(), "429", "Enter keeps the filter");
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.logs.len(), all, "Esc on the main screen clears it");
}

#[test]
fn a_scrolled_log_stays_put_while_lines_arrive() {
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    draw(&mut app, 80, 24);
    press(&mut app, &[ch('k'), ch('k')]);
    let top_before = text_of(&draw(&mut app, 80, 24));
    app.push_events(fixture::many_events(5).iter());
    let top_after = text_of(&draw(&mut app, 80, 24));
    let log_rows = |t: &str| {
        t.lines()
            .skip(19)
            .take(3)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(log_rows(&top_before), log_rows(&top_after));
    press(&mut app, &[ch('G')]);
    assert_eq!(app.log_scroll, 0, "G follows the log again");
}

#[test]
fn help_lists_every_key_and_both_ways_of_leaving() {
    for attach in [false, true] {
        let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, attach);
        let text: String = super::pane::help::lines(&app)
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    + "\n"
            })
            .collect();
        for k in [
            "p ",
            "i ",
            "/ ",
            "Tab",
            "Shift-Tab",
            "Up/k",
            "Down/j",
            "Enter",
            "? ",
            "q/Ctrl-c",
            "Esc",
        ] {
            assert!(text.contains(k), "help misses {k:?}:\n{text}");
        }
        assert!(
            text.contains("checkpointed") && text.contains("the run keeps going"),
            "{text}"
        );
        let expect = if attach {
            "This console is attached"
        } else {
            "This console is running the migration"
        };
        assert!(text.contains(expect), "{text}");
        press(&mut app, &[ch('?')]);
        assert!(matches!(app.overlay, Overlay::Help { .. }));
        press(&mut app, &[key(KeyCode::Esc)]);
        assert!(matches!(app.overlay, Overlay::None));
    }
}

#[tokio::test]
async fn leaving_stops_an_owned_run_and_only_detaches_from_an_attached_one() {
    let (tx, mut rx) = mpsc::channel(4);
    let app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    assert_eq!(super::leave(&app, &tx).await, super::ConsoleExit::Detached);
    assert_eq!(rx.try_recv().ok(), Some(Command::Stop));

    let attached = app_with(RunState::Running, "default", glyphs::UNICODE, true);
    assert_eq!(
        super::leave(&attached, &tx).await,
        super::ConsoleExit::Detached
    );
    assert!(
        rx.try_recv().is_err(),
        "an attached console never stops the run"
    );

    let done = app_with(RunState::Done, "default", glyphs::UNICODE, false);
    assert_eq!(
        super::leave(&done, &tx).await,
        super::ConsoleExit::Finished(RunState::Done)
    );
    assert!(rx.try_recv().is_err());

    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    assert_eq!(app.handle_key(&ch('q')), Effect::Leave);
}

#[test]
fn after_a_decision_lands_the_queue_selects_the_next_pending_one() {
    let mut app = app_with(
        RunState::WaitingForOperator,
        "default",
        glyphs::UNICODE,
        false,
    );
    let ivs = fixture::interventions();
    press(&mut app, &[ch('i')]);
    assert!(matches!(
        app.handle_key(&key(KeyCode::Enter)),
        Effect::Send(Command::Decide { .. })
    ));
    assert_eq!(
        app.selected_intervention.as_deref(),
        Some(ivs[0].id.as_str())
    );
    let mut s = fixture::snapshot(RunState::WaitingForOperator);
    s.interventions[0].decision = fixture::snapshot(RunState::Done).interventions[0]
        .decision
        .clone();
    app.set_snapshot(s);
    assert_eq!(app.awaiting, None);
    assert_eq!(
        app.selected_intervention.as_deref(),
        Some(ivs[1].id.as_str())
    );
    // `i` now opens the one still waiting.
    press(&mut app, &[ch('i')]);
    let Overlay::Dialog(d) = &app.overlay else {
        panic!("i opens the dialog")
    };
    assert_eq!(d.id, ivs[1].id);
}

#[test]
fn mouse_clicks_focus_panes_and_the_wheel_scrolls_the_log() {
    use ratatui::crossterm::event::Event as TermEvent;
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    app.push_events(fixture::many_events(100).iter());
    draw(&mut app, 160, 48);
    let at = |kind, r: ratatui::layout::Rect| {
        TermEvent::Mouse(MouseEvent {
            kind,
            column: r.x + 2,
            row: r.y + 1,
            modifiers: KeyModifiers::NONE,
        })
    };
    let click = MouseEventKind::Down(MouseButton::Left);
    assert_eq!(
        app.handle_term_event(&at(click, app.areas.interventions)),
        Effect::Redraw
    );
    assert_eq!(app.focus, super::app::Focus::Interventions);
    assert_eq!(
        app.handle_term_event(&at(click, app.areas.agents[4])),
        Effect::Redraw
    );
    assert_eq!(
        (app.focus, app.selected_agent),
        (super::app::Focus::Agents, 4)
    );
    app.handle_term_event(&at(MouseEventKind::ScrollUp, app.areas.logs));
    assert_eq!(app.log_scroll, 3);
    app.handle_term_event(&at(MouseEventKind::ScrollDown, app.areas.logs));
    assert_eq!(app.log_scroll, 0);
}

#[test]
fn metrics_show_the_budget_spent_per_phase_and_the_learned_plan_eta() {
    let mut app = app_with(RunState::Running, "default", glyphs::UNICODE, false);
    app.snapshot
        .metrics
        .set_spent(storeshift_agents::event::Phase::Execution, 28_012, "points");
    app.snapshot.metrics.set_spent(
        storeshift_agents::event::Phase::PostMigration,
        1_845,
        "points",
    );
    app.snapshot.metrics.plan_eta_secs = Some(272);
    let text = text_of(&draw(&mut app, 200, 70));
    assert!(
        text.contains("spent load 28,012 pts · verify 1,845 pts"),
        "{text}"
    );
    assert!(text.contains("plan ETA (learned) 0:04:32"), "{text}");
}

/// The run waiting on a file-mapping intervention, its dialog open.
fn mapping_screen(theme: &str, g: Glyphs) -> App {
    let mut app = app_with(RunState::WaitingForOperator, theme, g, false);
    let mut snap = fixture::snapshot(RunState::WaitingForOperator);
    let iv = fixture::mapping_intervention();
    app.selected_intervention = Some(iv.id.clone());
    snap.interventions.insert(0, iv);
    app.set_snapshot(snap);
    press(&mut app, &[ch('i')]);
    app
}

#[test]
fn screen_mapping() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        for (theme, g) in [("default", glyphs::UNICODE), ("mono", glyphs::UNICODE)] {
            let mut app = mapping_screen(theme, g);
            // The cursor on "Renk", its field changed to the next choice: shown as edited.
            press(&mut app, &[ch('j'), ch('j'), ch('j'), ch('a')]);
            let buf = draw(&mut app, w, h);
            insta::assert_snapshot!(format!("screen_mapping_{theme}_{w}x{h}"), dump(&buf));
        }
    }
}

#[test]
fn mapping_dialog_shows_columns_samples_fields_and_confidence() {
    let mut app = mapping_screen("default", glyphs::UNICODE);
    let text = text_of(&draw(&mut app, 160, 48));
    for needle in [
        "Column mapping",
        "Ürün Adı",
        "Kazak | Gömlek",
        "product.title",
        "0.94",
        "Tedarikçi",
        "attribute",
        "Accept the proposed mapping",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn mapping_dialog_accepts_or_sends_the_edited_mapping() {
    use storeshift_agents::agents::file_mapping::{ACCEPT, EDITED, SKIP};
    // Untouched: Enter accepts the proposal as it is.
    let mut app = mapping_screen("default", glyphs::UNICODE);
    match app.handle_key(&key(KeyCode::Enter)) {
        Effect::Send(Command::Decide { option, value, .. }) => {
            assert_eq!(option, ACCEPT);
            assert_eq!(value, None);
        }
        other => panic!("{other:?}"),
    }

    // "Tedarikçi" to the vendor field, "Renk" kept as an attribute: an edited mapping.
    let mut app = mapping_screen("default", glyphs::UNICODE);
    press(&mut app, &[ch('j'), ch('j'), ch('j'), ch('a'), ch('j')]);
    // Cycle Tedarikçi's field until it is product.vendor.
    for _ in 0..40 {
        let Overlay::Dialog(d) = &app.overlay else {
            panic!()
        };
        if d.mapping.as_ref().unwrap().target_of(4) == "product.vendor" {
            break;
        }
        press(&mut app, &[key(KeyCode::Right)]);
    }
    match app.handle_key(&key(KeyCode::Enter)) {
        Effect::Send(Command::Decide { option, value, .. }) => {
            assert_eq!(option, EDITED);
            let v = value.expect("the edited mapping travels with the decision");
            let cols = v["columns"].as_array().unwrap();
            let target = |c: &str| {
                cols.iter()
                    .find(|p| p[0] == c)
                    .map(|p| p[1].as_str().unwrap().to_string())
                    .unwrap()
            };
            assert_eq!(target("Renk"), "attribute");
            assert_eq!(target("Tedarikçi"), "product.vendor");
            assert_eq!(target("Ürün Adı"), "product.title");
        }
        other => panic!("{other:?}"),
    }

    // Leaving the file out wins over edits.
    let mut app = mapping_screen("default", glyphs::UNICODE);
    press(&mut app, &[ch('a'), key(KeyCode::Tab), ch('j'), ch('j')]);
    match app.handle_key(&key(KeyCode::Enter)) {
        Effect::Send(Command::Decide { option, value, .. }) => {
            assert_eq!(option, SKIP);
            assert_eq!(value, None);
        }
        other => panic!("{other:?}"),
    }
}

/// A question longer than the dialog (a cutover's failing URLs) scrolls with page up/down, the
/// last row saying which lines are shown; the options stay on screen throughout.
#[test]
fn a_long_intervention_text_scrolls_in_the_dialog() {
    let mut app = app_with(
        RunState::WaitingForOperator,
        "default",
        glyphs::UNICODE,
        false,
    );
    let mut s = fixture::snapshot(RunState::WaitingForOperator);
    let failures: Vec<String> = (1..=30)
        .map(|i| format!("/product/item-{i:02}/: answered 404, not a redirect"))
        .collect();
    s.interventions[0].problem = format!("30 old URLs fail.\n{}", failures.join("\n"));
    app.set_snapshot(s);
    press(&mut app, &[ch('i')]);
    let first = text_of(&draw(&mut app, 80, 24));
    assert!(first.contains("/product/item-01/"), "{first}");
    assert!(!first.contains("/product/item-30/"), "{first}");
    assert!(first.contains("lines 1-"), "{first}");
    assert!(first.contains("(recommended)"), "{first}");
    // Past the end stops at the end.
    for _ in 0..10 {
        press(&mut app, &[key(KeyCode::PageDown)]);
        draw(&mut app, 80, 24);
    }
    let last = text_of(&draw(&mut app, 80, 24));
    assert!(last.contains("/product/item-30/"), "{last}");
    assert!(!last.contains("/product/item-01/"), "{last}");
    assert!(last.contains("(recommended)"), "{last}");
    press(&mut app, &[key(KeyCode::PageUp); 10]);
    let back = text_of(&draw(&mut app, 80, 24));
    assert!(back.contains("/product/item-01/"), "{back}");
}
