//! The console's state and what each key does to it. Pure: no terminal, no channels, so every
//! screen can be built in a test and every key checked without a runtime.

use super::glyphs::Glyphs;
use super::keymap::{Action, Context, Keymap};
use super::logbuf::{LogBuffer, LOG_CAPACITY};
use super::theme::Theme;
use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use ratatui::layout::Rect;
use std::time::Instant;
use storeshift_agents::agents::file_mapping::{self, FileProposal};
use storeshift_agents::{Actor, Command, Event, Intervention, RunKind, RunState, Snapshot};
use tui_input::backend::crossterm::to_input_request;
use tui_input::Input;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Agents,
    Interventions,
    Logs,
}

impl Focus {
    const ORDER: [Focus; 3] = [Focus::Logs, Focus::Interventions, Focus::Agents];

    fn step(self, forward: bool) -> Focus {
        let i = Focus::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Focus::ORDER.len();
        Focus::ORDER[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// Lines one page up/down scrolls an intervention's text: most of a small dialog, so nothing
/// is skipped over.
const DIALOG_PAGE: u16 = 8;

#[derive(Debug)]
pub struct Dialog {
    /// The intervention this dialog decides: by id, so a queue that reorders underneath (another
    /// console decided something) never shifts the decision onto a different item.
    pub id: String,
    pub option: usize,
    pub note: Input,
    pub note_focus: bool,
    /// Lines of the intervention's text scrolled past (page up/down).
    pub scroll: u16,
    /// The most `scroll` can be, as the last frame laid the text out (0: it all fits).
    pub scroll_max: std::cell::Cell<u16>,
    /// A file's proposed column mapping, when the intervention is one, with the operator's edits.
    pub mapping: Option<MappingEdit>,
}

/// The column editor of a file-mapping intervention.
#[derive(Debug)]
pub struct MappingEdit {
    pub proposal: FileProposal,
    /// The column the cursor is on.
    pub cursor: usize,
    /// Columns whose target the operator changed: (column, target key).
    pub edits: Vec<(String, String)>,
    /// Up/Down move over the columns (else over the options).
    pub on_columns: bool,
}

impl MappingEdit {
    fn new(proposal: FileProposal) -> MappingEdit {
        MappingEdit {
            proposal,
            cursor: 0,
            edits: vec![],
            on_columns: true,
        }
    }

    /// The target of column `i`: the operator's, else the proposal's.
    pub fn target_of(&self, i: usize) -> &str {
        let Some(c) = self.proposal.columns.get(i) else {
            return "";
        };
        self.edits
            .iter()
            .find(|(col, _)| *col == c.column)
            .map(|(_, t)| t.as_str())
            .unwrap_or(&c.target)
    }

    pub fn is_edited(&self, i: usize) -> bool {
        self.proposal
            .columns
            .get(i)
            .is_some_and(|c| self.edits.iter().any(|(col, _)| *col == c.column))
    }

    fn set(&mut self, target: String) {
        let Some(c) = self.proposal.columns.get(self.cursor) else {
            return;
        };
        let column = c.column.clone();
        self.edits.retain(|(col, _)| *col != column);
        if target != c.target {
            self.edits.push((column, target));
        }
    }

    /// The next (or previous) field the selected column can hold.
    fn cycle(&mut self, forward: bool) {
        let choices = file_mapping::choices(self.proposal.entity);
        if choices.is_empty() {
            return;
        }
        let now = self.target_of(self.cursor).to_string();
        let at = choices.iter().position(|c| *c == now);
        let n = choices.len();
        let next = match (at, forward) {
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
            (None, true) => 0,
            (None, false) => n - 1,
        };
        self.set(choices[next].clone());
    }

    /// Keep the selected column as an attribute, or back to what was proposed.
    fn toggle_attribute(&mut self) {
        let proposed = self
            .proposal
            .columns
            .get(self.cursor)
            .map(|c| c.target.clone())
            .unwrap_or_default();
        if self.target_of(self.cursor) == "attribute" {
            self.set(proposed);
        } else {
            self.set("attribute".into());
        }
    }
}

#[derive(Debug)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    /// Boxed: a dialog holds a whole intervention, the other overlays a few bytes.
    Dialog(Box<Dialog>),
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Nothing changed on screen.
    Nothing,
    Redraw,
    Send(Command),
    Leave,
}

/// A request sent and not yet visible in a snapshot: shown in the footer until it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Awaiting {
    Pause,
    Resume,
    Decision {
        id: String,
        label: String,
    },
    /// `f` in sync mode: until the sync status says the next cycle is full.
    FullCycle,
}

/// Where panes landed in the last frame, for the mouse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub agents: [Rect; 6],
    pub interventions: Rect,
    pub logs: Rect,
}

pub struct App {
    pub snapshot: Snapshot,
    pub logs: LogBuffer,
    pub keymap: Keymap,
    pub theme: Theme,
    pub glyphs: Glyphs,
    /// Attached to a run owned by another process: leaving never stops it.
    pub attach: bool,
    pub actor: Actor,
    pub focus: Focus,
    pub selected_agent: usize,
    pub selected_intervention: Option<String>,
    /// Lines scrolled back from the newest; 0 follows the log.
    pub log_scroll: usize,
    pub filtering: bool,
    pub filter_input: Input,
    pub overlay: Overlay,
    pub awaiting: Option<Awaiting>,
    pub notice: Option<String>,
    /// Events this console's link dropped (the runtime's count for this reader).
    pub link_dropped: u64,
    /// The run's side of the link is gone (runtime ended or socket closed).
    pub disconnected: bool,
    /// When the current snapshot arrived, to keep the elapsed clock moving between snapshots;
    /// None in tests, so frames are reproducible.
    pub snapshot_at: Option<Instant>,
    pub areas: Areas,
    pub log_page: usize,
}

impl App {
    pub fn new(
        snapshot: Snapshot,
        keymap: Keymap,
        theme: Theme,
        glyphs: Glyphs,
        attach: bool,
    ) -> App {
        let actor = Actor::current(if attach { "attach" } else { "console" });
        let mut app = App {
            snapshot,
            logs: LogBuffer::new(LOG_CAPACITY),
            keymap,
            theme,
            glyphs,
            attach,
            actor,
            focus: Focus::Logs,
            selected_agent: 0,
            selected_intervention: None,
            log_scroll: 0,
            filtering: false,
            filter_input: Input::default(),
            overlay: Overlay::None,
            awaiting: None,
            notice: None,
            link_dropped: 0,
            disconnected: false,
            snapshot_at: None,
            areas: Areas::default(),
            log_page: 10,
        };
        app.fix_selection();
        app
    }

    pub fn set_snapshot(&mut self, snapshot: Snapshot) {
        self.snapshot = snapshot;
        let settled = match &self.awaiting {
            Some(Awaiting::Pause) => self.snapshot.state != RunState::Running,
            Some(Awaiting::Resume) => self.snapshot.state != RunState::Paused,
            Some(Awaiting::Decision { id, .. }) => {
                self.intervention(id).is_none_or(|iv| !iv.is_pending())
            }
            Some(Awaiting::FullCycle) => self
                .snapshot
                .sync
                .as_ref()
                .is_none_or(|s| s.full_next.is_some() || s.ended.is_some()),
            None => false,
        };
        if settled || self.snapshot.state.is_final() {
            // Once a decision lands, the queue's selection moves on to what still waits.
            if let Some(Awaiting::Decision { id, .. }) = &self.awaiting {
                if self.selected_intervention.as_ref() == Some(id) {
                    self.selected_intervention = None;
                }
            }
            self.awaiting = None;
        }
        self.fix_selection();
    }

    /// Adds events to the log, keeping a scrolled-back view where it is.
    pub fn push_events<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> bool {
        let before = self.logs.len();
        let mut added = false;
        for ev in events {
            added |= self.logs.push_event(ev);
        }
        if self.log_scroll > 0 {
            self.log_scroll += self.logs.len().saturating_sub(before);
            self.clamp_scroll();
        }
        added
    }

    pub fn intervention(&self, id: &str) -> Option<&Intervention> {
        self.snapshot.interventions.iter().find(|i| i.id == id)
    }

    pub fn pending_count(&self) -> usize {
        self.snapshot.pending_interventions().count()
    }

    /// Dropped events as the runtime counted them for this reader.
    pub fn dropped(&self) -> u64 {
        self.snapshot.metrics.dropped_events.max(self.link_dropped)
    }

    /// Seconds since the run started, advancing between snapshots while it runs.
    pub fn elapsed_secs(&self) -> u64 {
        if self.sync_idle() {
            // Between sync cycles nothing runs: the last cycle's clock stands.
            return self.snapshot.elapsed_secs;
        }
        let extra = match (self.snapshot_at, self.snapshot.state) {
            (Some(at), RunState::Running | RunState::WaitingForOperator | RunState::Starting) => {
                at.elapsed().as_secs()
            }
            _ => 0,
        };
        self.snapshot.elapsed_secs + extra
    }

    /// Whole seconds since the current snapshot arrived (0 in tests).
    fn since_snapshot(&self) -> u64 {
        self.snapshot_at.map_or(0, |at| at.elapsed().as_secs())
    }

    /// `storeshift sync` between two cycles (or after the last one).
    pub fn sync_idle(&self) -> bool {
        self.snapshot
            .sync
            .as_ref()
            .is_some_and(|s| s.cycle.is_none())
    }

    /// The sync lag now: it grows between snapshots whatever the state, since changes keep
    /// arriving in the source while nothing moves them.
    pub fn sync_lag_secs(&self) -> Option<u64> {
        let s = self.snapshot.sync.as_ref()?;
        s.lag_secs.map(|l| l + self.since_snapshot())
    }

    /// Seconds until the next sync cycle now.
    pub fn sync_next_in_secs(&self) -> Option<u64> {
        let s = self.snapshot.sync.as_ref()?;
        s.next_in_secs
            .map(|n| n.saturating_sub(self.since_snapshot()))
    }

    fn fix_selection(&mut self) {
        let ivs = &self.snapshot.interventions;
        let still_there = self
            .selected_intervention
            .as_ref()
            .is_some_and(|id| ivs.iter().any(|i| &i.id == id));
        if !still_there {
            self.selected_intervention = ivs
                .iter()
                .find(|i| i.is_pending())
                .or_else(|| ivs.first())
                .map(|i| i.id.clone());
        }
        let n = self.snapshot.agents.len().max(1);
        self.selected_agent = self.selected_agent.min(n - 1);
    }

    fn selected_index(&self) -> Option<usize> {
        let id = self.selected_intervention.as_ref()?;
        self.snapshot.interventions.iter().position(|i| &i.id == id)
    }

    pub fn context(&self) -> Context {
        match &self.overlay {
            Overlay::Help { .. } => Context::Help,
            Overlay::Dialog(_) => Context::Dialog,
            Overlay::None if self.filtering => Context::Filter,
            Overlay::None => Context::Main,
        }
    }

    pub fn handle_term_event(&mut self, ev: &TermEvent) -> Effect {
        match ev {
            TermEvent::Key(k) => self.handle_key(k),
            TermEvent::Mouse(m) => self.handle_mouse(m),
            _ => Effect::Nothing,
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Effect {
        // A held key repeats and a released key reports again on some terminals: only the
        // press counts, so `p` can never pause and resume in one go.
        if key.kind != KeyEventKind::Press {
            return Effect::Nothing;
        }
        let ctx = self.context();
        let typing = match (&self.overlay, ctx) {
            (_, Context::Filter) => true,
            (Overlay::Dialog(d), _) => d.note_focus,
            _ => false,
        };
        let printable = matches!(key.code, KeyCode::Char(_))
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let action = if typing && printable {
            None
        } else {
            self.keymap.action(ctx, key)
        };
        // In the note field the arrows move the cursor.
        let action = action
            .filter(|a| !(typing && matches!(a, Action::Left | Action::Right | Action::Attribute)));
        match (ctx, action) {
            (Context::Main, Some(a)) => self.main_action(a),
            (Context::Help, Some(a)) => self.help_action(a),
            (Context::Dialog, Some(a)) => self.dialog_action(a),
            (Context::Filter, Some(Action::Apply)) => {
                self.filtering = false;
                Effect::Redraw
            }
            (Context::Filter, Some(Action::Cancel)) => {
                self.filtering = false;
                self.filter_input.reset();
                self.logs.set_filter("");
                self.log_scroll = 0;
                Effect::Redraw
            }
            (Context::Filter, _) => {
                if self.edit(key, true) {
                    self.logs.set_filter(self.filter_input.value());
                    self.log_scroll = 0;
                    Effect::Redraw
                } else {
                    Effect::Nothing
                }
            }
            (Context::Dialog, None) if typing => {
                if self.edit(key, false) {
                    Effect::Redraw
                } else {
                    Effect::Nothing
                }
            }
            _ => Effect::Nothing,
        }
    }

    /// Feeds a key to the text field that has the cursor. Returns whether it changed.
    fn edit(&mut self, key: &KeyEvent, filter: bool) -> bool {
        let Some(req) = to_input_request(&TermEvent::Key(*key)) else {
            return false;
        };
        let input = if filter {
            &mut self.filter_input
        } else if let Overlay::Dialog(d) = &mut self.overlay {
            &mut d.note
        } else {
            return false;
        };
        input.handle(req).is_some()
    }

    fn main_action(&mut self, action: Action) -> Effect {
        self.notice = None;
        match action {
            Action::Pause => self.toggle_pause(),
            Action::FullCycle => self.request_full_cycle(),
            Action::Interventions => {
                let target = self
                    .selected_intervention
                    .clone()
                    .filter(|id| self.intervention(id).is_some_and(|i| i.is_pending()))
                    .or_else(|| {
                        self.snapshot
                            .pending_interventions()
                            .next()
                            .map(|i| i.id.clone())
                    });
                self.focus = Focus::Interventions;
                match target {
                    Some(id) => self.open_dialog(id),
                    None => {
                        self.notice = Some("No intervention is waiting for a decision.".into());
                    }
                }
                Effect::Redraw
            }
            Action::Open => {
                if self.focus == Focus::Interventions {
                    if let Some(id) = self.selected_intervention.clone() {
                        self.open_dialog(id);
                    }
                }
                Effect::Redraw
            }
            Action::Filter => {
                self.filtering = true;
                self.filter_input = Input::new(self.logs.filter().to_string());
                Effect::Redraw
            }
            Action::FocusNext | Action::FocusPrev => {
                self.focus = self.focus.step(action == Action::FocusNext);
                Effect::Redraw
            }
            Action::Up | Action::Down | Action::Left | Action::Right => {
                self.move_selection(action);
                Effect::Redraw
            }
            Action::PageUp => {
                self.scroll_log(self.log_page as isize);
                Effect::Redraw
            }
            Action::PageDown => {
                self.scroll_log(-(self.log_page as isize));
                Effect::Redraw
            }
            Action::Top | Action::Bottom => {
                let top = action == Action::Top;
                match self.focus {
                    Focus::Interventions => {
                        let ivs = &self.snapshot.interventions;
                        let pick = if top { ivs.first() } else { ivs.last() };
                        self.selected_intervention = pick.map(|i| i.id.clone());
                    }
                    Focus::Agents => {
                        self.selected_agent = if top {
                            0
                        } else {
                            self.snapshot.agents.len().saturating_sub(1)
                        };
                    }
                    Focus::Logs => {
                        self.log_scroll = if top { usize::MAX } else { 0 };
                        self.clamp_scroll();
                    }
                }
                Effect::Redraw
            }
            Action::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                Effect::Redraw
            }
            Action::Quit => Effect::Leave,
            Action::Clear => {
                self.logs.set_filter("");
                self.filter_input.reset();
                self.log_scroll = 0;
                Effect::Redraw
            }
            _ => Effect::Nothing,
        }
    }

    fn toggle_pause(&mut self) -> Effect {
        let state = self.snapshot.state;
        if state.is_final() {
            self.notice = Some(format!("The run is {}: nothing to pause.", state.label()));
            return Effect::Redraw;
        }
        if self.disconnected {
            self.notice = Some("The run is no longer connected.".into());
            return Effect::Redraw;
        }
        let by = self.actor.clone();
        if state == RunState::Paused {
            self.awaiting = Some(Awaiting::Resume);
            Effect::Send(Command::Resume { by })
        } else {
            self.awaiting = Some(Awaiting::Pause);
            Effect::Send(Command::Pause { by })
        }
    }

    /// `f`: the next sync cycle reads every entity whole. Only a sync has a next cycle: a
    /// migration's console says so and sends nothing.
    fn request_full_cycle(&mut self) -> Effect {
        let attached_cycle = matches!(
            self.snapshot.kind,
            Some(RunKind::Sync) | Some(RunKind::FullSync)
        );
        let sync = self.snapshot.sync.as_ref();
        if sync.is_none() && !attached_cycle {
            self.notice = Some(
                "A full cycle is a sync's: `storeshift sync WS --full`, or f in its console."
                    .into(),
            );
            return Effect::Redraw;
        }
        if let Some(why) = sync.and_then(|s| s.ended.as_ref()) {
            self.notice = Some(format!(
                "Syncing ended ({why}): no next cycle to make full."
            ));
            return Effect::Redraw;
        }
        if let Some(why) = sync.and_then(|s| s.full_next.as_ref()) {
            self.notice = Some(format!("The next cycle is full already ({why})."));
            return Effect::Redraw;
        }
        if self.disconnected {
            self.notice = Some("The run is no longer connected.".into());
            return Effect::Redraw;
        }
        // An attached console sees no sync status: the request shows in the log instead.
        if sync.is_some() {
            self.awaiting = Some(Awaiting::FullCycle);
        } else {
            self.notice =
                Some("Asked for a full next cycle: the log shows the request landing.".into());
        }
        Effect::Send(Command::FullCycle {
            by: self.actor.clone(),
        })
    }

    fn open_dialog(&mut self, id: String) {
        let option = self
            .intervention(&id)
            .and_then(|iv| iv.options.iter().position(|o| o.key == iv.recommended))
            .unwrap_or(0);
        self.selected_intervention = Some(id.clone());
        let mapping = self
            .intervention(&id)
            .filter(|iv| iv.step == file_mapping::STEP && iv.is_pending())
            .and_then(|iv| iv.detail.as_ref())
            .and_then(FileProposal::from_detail)
            .map(MappingEdit::new);
        self.overlay = Overlay::Dialog(Box::new(Dialog {
            id,
            option,
            note: Input::default(),
            note_focus: false,
            scroll: 0,
            scroll_max: std::cell::Cell::new(0),
            mapping,
        }));
    }

    fn move_selection(&mut self, action: Action) {
        match self.focus {
            Focus::Logs => match action {
                Action::Up => self.scroll_log(1),
                Action::Down => self.scroll_log(-1),
                _ => {}
            },
            Focus::Interventions => {
                let n = self.snapshot.interventions.len();
                if n == 0 {
                    return;
                }
                let i = self.selected_index().unwrap_or(0);
                let j = match action {
                    Action::Up | Action::Left => i.saturating_sub(1),
                    _ => (i + 1).min(n - 1),
                };
                self.selected_intervention = Some(self.snapshot.interventions[j].id.clone());
            }
            Focus::Agents => {
                let n = self.snapshot.agents.len();
                if n == 0 {
                    return;
                }
                let cols = 3;
                let i = self.selected_agent;
                self.selected_agent = match action {
                    Action::Left => i.saturating_sub(1),
                    Action::Right => (i + 1).min(n - 1),
                    Action::Up => i.checked_sub(cols).unwrap_or(i),
                    _ => {
                        if i + cols < n {
                            i + cols
                        } else {
                            i
                        }
                    }
                };
            }
        }
    }

    fn scroll_log(&mut self, lines_back: isize) {
        self.log_scroll = self.log_scroll.saturating_add_signed(lines_back);
        self.clamp_scroll();
    }

    fn clamp_scroll(&mut self) {
        let max = self.logs.len().saturating_sub(self.log_page.max(1));
        self.log_scroll = self.log_scroll.min(max);
    }

    fn help_action(&mut self, action: Action) -> Effect {
        let Overlay::Help { scroll } = &mut self.overlay else {
            return Effect::Nothing;
        };
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = scroll.saturating_add(1),
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll = scroll.saturating_add(10),
            Action::Close => self.overlay = Overlay::None,
            _ => return Effect::Nothing,
        }
        Effect::Redraw
    }

    fn dialog_action(&mut self, action: Action) -> Effect {
        let Overlay::Dialog(d) = &mut self.overlay else {
            return Effect::Nothing;
        };
        let Some(iv) = self.snapshot.interventions.iter().find(|i| i.id == d.id) else {
            self.overlay = Overlay::None;
            self.notice = Some("That intervention is no longer in the run.".into());
            return Effect::Redraw;
        };
        let on_columns = d.mapping.as_ref().is_some_and(|m| m.on_columns) && !d.note_focus;
        match (action, d.mapping.as_mut()) {
            (Action::Up, Some(m)) if on_columns => m.cursor = m.cursor.saturating_sub(1),
            (Action::Down, Some(m)) if on_columns => {
                m.cursor = (m.cursor + 1).min(m.proposal.columns.len().saturating_sub(1))
            }
            (Action::Left | Action::Right, Some(m)) if on_columns => {
                m.cycle(action == Action::Right);
                // An edited mapping is decided as such.
                if let Some(i) = iv
                    .options
                    .iter()
                    .position(|o| o.key == file_mapping::EDITED)
                {
                    d.option = if m.edits.is_empty() {
                        iv.options
                            .iter()
                            .position(|o| o.key == iv.recommended)
                            .unwrap_or(0)
                    } else {
                        i
                    };
                }
            }
            (Action::Attribute, Some(m)) if on_columns => {
                m.toggle_attribute();
                if let Some(i) = iv
                    .options
                    .iter()
                    .position(|o| o.key == file_mapping::EDITED)
                {
                    d.option = if m.edits.is_empty() {
                        iv.options
                            .iter()
                            .position(|o| o.key == iv.recommended)
                            .unwrap_or(0)
                    } else {
                        i
                    };
                }
            }
            (Action::Note, Some(m)) => {
                // Columns, then options, then the note.
                if m.on_columns && !d.note_focus {
                    m.on_columns = false;
                } else if !d.note_focus && iv.is_pending() {
                    d.note_focus = true;
                } else {
                    d.note_focus = false;
                    m.on_columns = true;
                }
            }
            (Action::Up, _) if !d.note_focus => d.option = d.option.saturating_sub(1),
            (Action::Down, _) if !d.note_focus => {
                d.option = (d.option + 1).min(iv.options.len().saturating_sub(1))
            }
            (Action::Note, None) => d.note_focus = !d.note_focus && iv.is_pending(),
            (Action::PageUp, _) => d.scroll = d.scroll.saturating_sub(DIALOG_PAGE),
            (Action::PageDown, _) => {
                d.scroll = d.scroll.saturating_add(DIALOG_PAGE).min(d.scroll_max.get())
            }
            (Action::Close, _) => self.overlay = Overlay::None,
            (Action::Decide, _) => {
                if let Some(decision) = &iv.decision {
                    self.notice = Some(format!(
                        "{} was already decided by {}: {}",
                        iv.id,
                        decision.by.describe(),
                        decision.option
                    ));
                    self.overlay = Overlay::None;
                    return Effect::Redraw;
                }
                if self.disconnected {
                    self.notice =
                        Some("The run is no longer connected: nothing was decided.".into());
                    return Effect::Redraw;
                }
                let Some(mut opt) = iv.options.get(d.option) else {
                    return Effect::Nothing;
                };
                let mut value = None;
                if let Some(m) = &d.mapping {
                    // Edited columns make the decision "edited", whatever option is selected,
                    // unless the file is left out.
                    if !m.edits.is_empty() && opt.key != file_mapping::SKIP {
                        match file_mapping::edited_value(&m.proposal, &m.edits) {
                            Ok(v) => value = Some(v),
                            Err(e) => {
                                self.notice = Some(e);
                                return Effect::Redraw;
                            }
                        }
                        if let Some(o) = iv.options.iter().find(|o| o.key == file_mapping::EDITED) {
                            opt = o;
                        }
                    } else if opt.key == file_mapping::EDITED {
                        self.notice = Some(
                            "Nothing was edited: change a column's field with Left/Right or keep it as an \
                             attribute with `a`, or choose another option."
                                .into(),
                        );
                        return Effect::Redraw;
                    }
                }
                let note = d.note.value().trim();
                let cmd = Command::Decide {
                    id: iv.id.clone(),
                    option: opt.key.clone(),
                    note: (!note.is_empty()).then(|| note.to_string()),
                    by: self.actor.clone(),
                    value,
                };
                self.awaiting = Some(Awaiting::Decision {
                    id: iv.id.clone(),
                    label: opt.label.clone(),
                });
                self.overlay = Overlay::None;
                return Effect::Send(cmd);
            }
            _ => return Effect::Nothing,
        }
        Effect::Redraw
    }

    fn handle_mouse(&mut self, m: &ratatui::crossterm::event::MouseEvent) -> Effect {
        use ratatui::crossterm::event::{MouseButton, MouseEventKind};
        if !matches!(self.overlay, Overlay::None) {
            return Effect::Nothing;
        }
        let at = ratatui::layout::Position {
            x: m.column,
            y: m.row,
        };
        match m.kind {
            MouseEventKind::ScrollUp => self.scroll_log(3),
            MouseEventKind::ScrollDown => self.scroll_log(-3),
            MouseEventKind::Down(MouseButton::Left) => {
                if self.areas.logs.contains(at) {
                    self.focus = Focus::Logs;
                } else if self.areas.interventions.contains(at) {
                    self.focus = Focus::Interventions;
                } else if let Some(i) = self.areas.agents.iter().position(|r| r.contains(at)) {
                    self.focus = Focus::Agents;
                    self.selected_agent = i;
                } else {
                    return Effect::Nothing;
                }
            }
            _ => return Effect::Nothing,
        }
        Effect::Redraw
    }
}
