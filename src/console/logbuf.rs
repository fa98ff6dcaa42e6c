//! The log pane's memory: a bounded ring of lines with an incrementally kept filter result, so
//! drawing a frame only touches the lines on screen however many are buffered.

use std::collections::VecDeque;
use storeshift_agents::{AgentKind, Event, Level};

/// Lines kept for scrolling back; older ones fall off (they stay in the event log on disk).
pub const LOG_CAPACITY: usize = 100_000;

#[derive(Debug, Clone)]
pub struct LogLine {
    pub seq: u64,
    /// HH:MM:SS (UTC, as the event log stores it).
    pub time: String,
    pub level: Level,
    pub agent: Option<AgentKind>,
    pub text: String,
    /// Lower-cased "time tag level agent text": what the filter searches.
    haystack: String,
}

impl LogLine {
    pub fn from_event(ev: &Event) -> LogLine {
        let time = match ev.at.get(11..19) {
            Some(t) if ev.at.as_bytes().get(10) == Some(&b'T') => t.to_string(),
            _ => ev.at.clone(),
        };
        LogLine::new(ev.seq, time, ev.level, ev.agent, ev.summary())
    }

    pub fn new(
        seq: u64,
        time: String,
        level: Level,
        agent: Option<AgentKind>,
        text: String,
    ) -> LogLine {
        // Both the tag on screen (ERR) and the word people type (error) find a level.
        let level_word = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warning",
            Level::Error => "error",
        };
        let haystack = format!(
            "{time} {} {level_word} {} {}",
            level_tag(level),
            agent.map(|a| a.label()).unwrap_or(""),
            text
        )
        .to_lowercase();
        LogLine {
            seq,
            time,
            level,
            agent,
            text,
            haystack,
        }
    }

    fn matches(&self, needle: &str) -> bool {
        self.haystack.contains(needle)
    }
}

pub fn level_tag(level: Level) -> &'static str {
    match level {
        Level::Debug => "DBG",
        Level::Info => "INF",
        Level::Warn => "WRN",
        Level::Error => "ERR",
    }
}

#[derive(Debug)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Absolute number of the line at `lines[0]`; grows as old lines fall off.
    base: u64,
    /// Lower-cased filter; empty means every line.
    filter: String,
    /// Absolute numbers of the lines that match `filter`, oldest first.
    matches: VecDeque<u64>,
    last_seq: Option<u64>,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> LogBuffer {
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            base: 0,
            filter: String::new(),
            matches: VecDeque::new(),
            last_seq: None,
        }
    }

    /// Adds an event's line unless it was seen already (history and the live stream overlap).
    /// Returns whether a line was added.
    pub fn push_event(&mut self, ev: &Event) -> bool {
        if self.last_seq.is_some_and(|s| ev.seq <= s) {
            return false;
        }
        self.push(LogLine::from_event(ev));
        true
    }

    pub fn push(&mut self, line: LogLine) {
        self.last_seq = Some(line.seq);
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.base += 1;
            while self.matches.front().is_some_and(|&m| m < self.base) {
                self.matches.pop_front();
            }
        }
        let abs = self.base + self.lines.len() as u64;
        if !self.filter.is_empty() && line.matches(&self.filter) {
            self.matches.push_back(abs);
        }
        self.lines.push_back(line);
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Narrowing the filter (typing one more character) only re-checks the current matches;
    /// anything else scans the buffer once.
    pub fn set_filter(&mut self, text: &str) {
        let new = text.to_lowercase();
        if new == self.filter {
            return;
        }
        if new.is_empty() {
            self.matches.clear();
        } else if !self.filter.is_empty() && new.contains(self.filter.as_str()) {
            let (lines, base) = (&self.lines, self.base);
            self.matches
                .retain(|&abs| lines[(abs - base) as usize].matches(&new));
        } else {
            self.matches = self
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.matches(&new))
                .map(|(i, _)| self.base + i as u64)
                .collect();
        }
        self.filter = new;
    }

    /// Lines shown: all, or the matches while a filter is set.
    pub fn len(&self) -> usize {
        if self.filter.is_empty() {
            self.lines.len()
        } else {
            self.matches.len()
        }
    }

    pub fn total(&self) -> usize {
        self.lines.len()
    }

    /// The `i`-th shown line, oldest first.
    pub fn get(&self, i: usize) -> Option<&LogLine> {
        if self.filter.is_empty() {
            self.lines.get(i)
        } else {
            let abs = *self.matches.get(i)?;
            self.lines.get((abs - self.base) as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, level: Level, text: &str) -> LogLine {
        LogLine::new(
            seq,
            "12:00:00".into(),
            level,
            Some(AgentKind::Executor),
            text.into(),
        )
    }

    fn shown(b: &LogBuffer) -> Vec<String> {
        (0..b.len())
            .map(|i| b.get(i).unwrap().text.clone())
            .collect()
    }

    #[test]
    fn filter_narrows_widens_and_follows_new_lines() {
        let mut b = LogBuffer::new(100);
        b.push(line(1, Level::Info, "products: +50 committed"));
        b.push(line(2, Level::Warn, "duplicate SKU HB-104"));
        b.push(line(3, Level::Info, "customers: +20 committed"));
        b.set_filter("COMM");
        assert_eq!(
            shown(&b),
            ["products: +50 committed", "customers: +20 committed"]
        );
        b.set_filter("committed cust");
        assert!(shown(&b).is_empty());
        b.set_filter("cust");
        assert_eq!(shown(&b), ["customers: +20 committed"]);
        b.push(line(4, Level::Info, "customers: +40 committed"));
        b.push(line(5, Level::Info, "orders: +10 committed"));
        assert_eq!(
            shown(&b),
            ["customers: +20 committed", "customers: +40 committed"]
        );
        // Level and agent are searchable too.
        b.set_filter("wrn");
        assert_eq!(shown(&b), ["duplicate SKU HB-104"]);
        b.set_filter("warning");
        assert_eq!(shown(&b), ["duplicate SKU HB-104"]);
        b.set_filter("executor");
        assert_eq!(b.len(), 5);
        b.set_filter("");
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn ring_drops_the_oldest_and_keeps_matches_consistent() {
        let mut b = LogBuffer::new(3);
        b.set_filter("even");
        for i in 0..10u64 {
            let parity = if i % 2 == 0 { "even" } else { "odd" };
            b.push(line(i, Level::Info, &format!("{parity} {i}")));
        }
        assert_eq!(b.total(), 3);
        assert_eq!(shown(&b), ["even 8"]);
        b.set_filter("");
        assert_eq!(shown(&b), ["odd 7", "even 8", "odd 9"]);
    }

    #[test]
    fn overlapping_history_is_not_shown_twice() {
        let ev = |seq| Event {
            seq,
            run: 1,
            at: "2026-11-23T02:10:05Z".into(),
            level: Level::Info,
            agent: None,
            kind: storeshift_agents::EventKind::Log {
                message: format!("line {seq}"),
            },
        };
        let mut b = LogBuffer::new(10);
        assert!(b.push_event(&ev(1)));
        assert!(b.push_event(&ev(2)));
        assert!(!b.push_event(&ev(2)));
        assert!(!b.push_event(&ev(1)));
        assert!(b.push_event(&ev(3)));
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(0).unwrap().time, "02:10:05");
    }
}
