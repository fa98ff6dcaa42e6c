//! Date cells as export files write them, read into [`Timestamp`]s.
//!
//! Files write dates every way there is: RFC 3339 (`2024-05-06T07:08:09Z`), SQL
//! (`2024-05-06 07:08:09`), with an offset (`2024-05-06 07:08:09 -0500`, Shopify), in a locale's
//! short form (`5/6/24, 7:08 AM`, Magento's ICU formatting), with month names (`May 6, 2024
//! 7:08:09 AM`, Magento's order grid), day first (`06.05.2024 07:08`). A cell that states its
//! offset is read with it. A wall-clock time is read in the zone its platform keeps such times
//! in ([`Clock`]): UTC where the platform stores UTC, else the store's zone from the config
//! (`timezone = "Europe/Istanbul"`); without one, UTC, and the file gets one finding saying so.
//! A cell that is no date at all is a finding naming file, line and column; the record moves
//! without the date.

use crate::finding::{Finding, Location, Severity};
use crate::model::{Timestamp, Zone};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// Which comes first in a numeric date such as `04/05/2024` when neither number is above 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    /// `M/D/Y`: ICU's en_US short format (Magento's admin default).
    MonthFirst,
    /// `D/M/Y` and `D.M.Y`: most of Europe and Turkey.
    DayFirst,
}

/// A date cell as written: with the offset it states, or a wall-clock time without a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellTime {
    Stated(Timestamp),
    Local(NaiveDateTime),
}

/// The zone a column's wall-clock times are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The platform keeps and exports these times in UTC (its database's clock).
    Utc,
    /// The store's own clock: the zone the config names.
    Store,
}

/// Reads the date cells of one file.
#[derive(Debug, Clone)]
pub struct DateReader {
    zone: Option<Zone>,
    order: DayOrder,
    /// The file has had its finding about times read as UTC for want of a zone (a cell, so
    /// readers that assemble records through `&self` can read dates too).
    told: std::cell::Cell<bool>,
}

impl DateReader {
    /// `zone` is the store's (the spec's `timezone`).
    pub fn new(zone: Option<Zone>, order: DayOrder) -> DateReader {
        DateReader {
            zone,
            order,
            told: std::cell::Cell::new(false),
        }
    }

    /// The timestamp `text` names; `None` for an empty cell, and for one that is no date (with
    /// a finding at `at`).
    pub fn read(
        &self,
        text: &str,
        clock: Clock,
        at: impl FnOnce() -> Location,
        findings: &mut Vec<Finding>,
    ) -> Option<Timestamp> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match parse_cell(text, self.order) {
            Some(CellTime::Stated(t)) => Some(t),
            Some(CellTime::Local(local)) => Some(match (clock, self.zone) {
                (Clock::Utc, _) => Timestamp::from_local(local, Zone::UTC),
                (Clock::Store, Some(z)) => Timestamp::from_local(local, z),
                (Clock::Store, None) => {
                    if !self.told.replace(true) {
                        let loc = at();
                        findings.push(
                            Finding::new(
                                Severity::Info,
                                "date_zone_assumed",
                                format!(
                                    "times in {} such as \"{text}\" say no time zone and none is \
                                     configured: they were read as UTC. If the store's clock is \
                                     elsewhere, name its zone: timezone = \"Europe/Istanbul\" in \
                                     the source section, or --timezone",
                                    loc.file
                                ),
                            )
                            .at(loc),
                        );
                    }
                    Timestamp::from_local(local, Zone::UTC)
                }
            }),
            None => {
                findings.push(
                    Finding::new(
                        Severity::Warning,
                        "bad_date",
                        format!(
                            "\"{text}\" is not a date storeshift can read (write it like \
                             2024-05-06 10:20:00 or 2024-05-06T10:20:00+03:00); the record moves \
                             without it"
                        ),
                    )
                    .at(at()),
                );
                None
            }
        }
    }
}

/// Reads a date cell in any of the forms export files use.
pub fn parse_cell(text: &str, order: DayOrder) -> Option<CellTime> {
    let t = normalise(text);
    if t.is_empty() {
        return None;
    }
    if let Some(ts) = Timestamp::parse_rfc3339(&t) {
        return Some(CellTime::Stated(ts));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(&t) {
        return Some(CellTime::Stated(Timestamp::new(d)));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return Some(CellTime::Stated(Timestamp::new(d)));
        }
    }
    for suffix in [" UTC", " GMT", "Z", " Z"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            if let Some(n) = parse_local(rest.trim_end(), order) {
                return Some(CellTime::Stated(Timestamp::from_local(n, Zone::UTC)));
            }
        }
    }
    parse_local(&t, order).map(CellTime::Local)
}

/// Trimmed, with the no-break spaces ICU puts before AM/PM and between parts made plain, and
/// runs of spaces made one.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        let c = if matches!(c, '\u{202f}' | '\u{a0}' | '\u{2009}' | '\t') {
            ' '
        } else {
            c
        };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out
}

fn parse_local(t: &str, order: DayOrder) -> Option<NaiveDateTime> {
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        // Month names: Magento's order grid (`Nov 1, 2025 10:00:00 AM`, newer ICU with a comma
        // after the year), and day-first English forms.
        "%b %d, %Y %I:%M:%S %p",
        "%b %d, %Y, %I:%M:%S %p",
        "%b %d, %Y %I:%M %p",
        "%b %d, %Y, %I:%M %p",
        "%b %d, %Y %H:%M:%S",
        "%b %d, %Y, %H:%M:%S",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
        "%d %b %Y, %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(n);
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%d %b %Y", "%d %b, %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d.and_time(NaiveTime::MIN));
        }
    }
    numeric(t, order)
}

/// `5/6/24, 7:08 AM`, `06.05.2024 07:08`, `6-5-2024`: three numbers, then maybe a time.
fn numeric(t: &str, order: DayOrder) -> Option<NaiveDateTime> {
    let (date, time) = match t.find([' ', ',']) {
        Some(i) => (&t[..i], t[i..].trim_start_matches([',', ' '])),
        None => (t, ""),
    };
    let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = date.trim_end_matches('.').split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = if parts[0].len() == 4 {
        (num(parts[0])?, num(parts[1])?, num(parts[2])?)
    } else {
        let (a, b) = (num(parts[0])?, num(parts[1])?);
        let year = match parts[2].len() {
            4 => num(parts[2])?,
            2 => {
                let y = num(parts[2])?;
                if y < 70 {
                    2000 + y
                } else {
                    1900 + y
                }
            }
            _ => return None,
        };
        let (m, d) = if a > 12 {
            (b, a)
        } else if b > 12 {
            (a, b)
        } else {
            match order {
                DayOrder::MonthFirst => (a, b),
                DayOrder::DayFirst => (b, a),
            }
        };
        (year, m, d)
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    let time = if time.is_empty() {
        NaiveTime::MIN
    } else {
        clock_time(time)?
    };
    Some(date.and_time(time))
}

/// `7:08`, `07:08:09`, `7:08 AM`, `7:08:09 p.m.`
fn clock_time(t: &str) -> Option<NaiveTime> {
    let lower = t.trim().to_ascii_lowercase().replace('.', "");
    let (hm, pm) = if let Some(r) = lower.strip_suffix("pm") {
        (r.trim_end(), Some(true))
    } else if let Some(r) = lower.strip_suffix("am") {
        (r.trim_end(), Some(false))
    } else {
        (lower.as_str(), None)
    };
    let mut it = hm.split(':');
    let h: u32 = it.next()?.trim().parse().ok()?;
    let m: u32 = it.next()?.trim().parse().ok()?;
    let s: u32 = match it.next() {
        Some(s) => s.trim().get(..2.min(s.trim().len()))?.parse().ok()?,
        None => 0,
    };
    if it.next().is_some() {
        return None;
    }
    let h = match pm {
        Some(true) if (1..12).contains(&h) => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if !(1..=12).contains(&h) => return None,
        _ => h,
    };
    NaiveTime::from_hms_opt(h, m, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_zone;
    use proptest::prelude::*;

    fn local(text: &str, order: DayOrder) -> String {
        match parse_cell(text, order) {
            Some(CellTime::Local(n)) => n.format("%Y-%m-%d %H:%M:%S").to_string(),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn stated(text: &str) -> String {
        match parse_cell(text, DayOrder::DayFirst) {
            Some(CellTime::Stated(t)) => t.to_rfc3339(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn cells_that_state_an_offset_keep_it() {
        assert_eq!(stated("2024-05-06T07:08:09Z"), "2024-05-06T07:08:09Z");
        assert_eq!(
            stated("2024-05-06 07:08:09 -0500"),
            "2024-05-06T07:08:09-05:00"
        );
        assert_eq!(
            stated("2024-05-06 07:08:09 +03:00"),
            "2024-05-06T07:08:09+03:00"
        );
        assert_eq!(
            stated("2024-05-06T07:08:09.123+0300"),
            "2024-05-06T07:08:09.123+03:00"
        );
        assert_eq!(
            stated("Tue, 20 Nov 2012 00:00:00 +0000"),
            "2012-11-20T00:00:00Z"
        );
        assert_eq!(stated("2024-05-06 07:08:09 UTC"), "2024-05-06T07:08:09Z");
    }

    #[test]
    fn wall_clock_times_in_the_forms_exports_use() {
        let m = DayOrder::MonthFirst;
        let d = DayOrder::DayFirst;
        assert_eq!(local("2024-05-06 07:08:09", d), "2024-05-06 07:08:09");
        assert_eq!(local("2024-05-06T07:08", d), "2024-05-06 07:08:00");
        assert_eq!(local("2024-05-06", d), "2024-05-06 00:00:00");
        // Magento's product export (ICU short, en_US, a narrow no-break space before PM).
        assert_eq!(local("5/6/24, 7:08\u{202f}PM", m), "2024-05-06 19:08:00");
        assert_eq!(local("12/31/23, 12:05 AM", m), "2023-12-31 00:05:00");
        // Magento's order grid.
        assert_eq!(local("Nov 1, 2025 10:00:00 AM", m), "2025-11-01 10:00:00");
        assert_eq!(local("Nov 1, 2025, 10:00:00 PM", m), "2025-11-01 22:00:00");
        assert_eq!(local("Nov 2, 2025", m), "2025-11-02 00:00:00");
        // Day first where the order says so, or where the first number cannot be a month.
        assert_eq!(local("06.05.2024 07:08", d), "2024-05-06 07:08:00");
        assert_eq!(local("06/05/2024", d), "2024-05-06 00:00:00");
        assert_eq!(local("06/05/2024", m), "2024-06-05 00:00:00");
        assert_eq!(local("25/12/2024 18:30", m), "2024-12-25 18:30:00");
        assert_eq!(local("15 Jan 2024 10:20", d), "2024-01-15 10:20:00");
    }

    #[test]
    fn what_is_no_date_is_none() {
        for t in [
            "",
            "soon",
            "32/13/2024",
            "2024-13-01",
            "1/2",
            "10:20",
            "5/6/24, 25:00",
        ] {
            assert_eq!(parse_cell(t, DayOrder::DayFirst), None, "{t}");
        }
    }

    #[test]
    fn the_reader_uses_the_store_zone_or_says_once_that_it_took_utc() {
        let at = || Location {
            file: "orders.csv".into(),
            line: 2,
            column: Some("order_date".into()),
        };
        let mut f = vec![];
        let ist = parse_zone("Europe/Istanbul");
        let r = DateReader::new(ist, DayOrder::DayFirst);
        let t = r.read("2024-05-06 10:00:00", Clock::Store, at, &mut f);
        assert_eq!(t.unwrap().to_rfc3339(), "2024-05-06T10:00:00+03:00");
        let t = r.read("2024-05-06 10:00:00", Clock::Utc, at, &mut f);
        assert_eq!(t.unwrap().to_rfc3339(), "2024-05-06T10:00:00Z");
        assert!(f.is_empty());

        let r = DateReader::new(None, DayOrder::DayFirst);
        for _ in 0..3 {
            let t = r.read("2024-05-06 10:00:00", Clock::Store, at, &mut f);
            assert_eq!(t.unwrap().to_rfc3339(), "2024-05-06T10:00:00Z");
        }
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, "date_zone_assumed");
        assert!(f[0].message.contains("timezone ="), "{}", f[0].message);

        f.clear();
        assert_eq!(r.read("next week", Clock::Store, at, &mut f), None);
        assert_eq!(r.read("  ", Clock::Store, at, &mut f), None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "bad_date");
        let loc = f[0].location.clone().unwrap();
        assert_eq!((loc.line, loc.column.as_deref()), (2, Some("order_date")));
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_cell(&text, DayOrder::MonthFirst);
            let _ = parse_cell(&text, DayOrder::DayFirst);
        }

        #[test]
        fn formats_writers_use_read_back(secs in 0i64..4_000_000_000) {
            let t = Timestamp::from_utc(DateTime::from_timestamp(secs, 0).unwrap());
            for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
                let text = t.format_utc(f);
                prop_assert_eq!(
                    parse_cell(&text, DayOrder::DayFirst),
                    Some(CellTime::Local(t.utc().naive_utc()))
                );
            }
            let text = t.format_local(None, "%Y-%m-%d %H:%M:%S %z");
            prop_assert_eq!(parse_cell(&text, DayOrder::DayFirst), Some(CellTime::Stated(t)));
        }
    }
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod file_tests;
