//! Moments in time, as every reader produces them and every writer consumes them.
//!
//! A [`Timestamp`] is an instant with the UTC offset it was stated in (the offset the platform
//! wrote, or the store's zone for a platform that writes local times). Two timestamps are equal
//! when they name the same instant, whatever their offsets: `10:00+03:00` is `07:00Z`.
//! It serialises as RFC 3339 with its offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An IANA time zone (`Europe/Istanbul`), or UTC.
pub type Zone = chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    pub fn new(at: DateTime<FixedOffset>) -> Timestamp {
        Timestamp(at)
    }

    pub fn from_utc(at: DateTime<Utc>) -> Timestamp {
        Timestamp(at.fixed_offset())
    }

    /// The instant a wall-clock time names in `zone`. A time the clocks skipped (the hour a
    /// daylight-saving change leaves out) is read an hour later, as clocks show it; a time they
    /// showed twice is the first.
    pub fn from_local(local: NaiveDateTime, zone: Zone) -> Timestamp {
        let at = zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + chrono::TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|d| d.fixed_offset())
            // Past every gap a zone database knows; the wall time as if it were UTC.
            .unwrap_or_else(|| Utc.from_utc_datetime(&local).fixed_offset());
        Timestamp(at)
    }

    /// Midnight of `date` in `zone`.
    pub fn from_date(date: NaiveDate, zone: Zone) -> Timestamp {
        Timestamp::from_local(date.and_time(chrono::NaiveTime::MIN), zone)
    }

    /// RFC 3339 / ISO 8601 with an offset or `Z` (`2024-05-06T07:08:09+03:00`,
    /// `2024-05-06 07:08:09.5Z`); `None` for anything else.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        DateTime::parse_from_rfc3339(t)
            .ok()
            .or_else(|| {
                // A space instead of the T, as SQL and many exports write it.
                let (date, time) = t.split_once(' ')?;
                DateTime::parse_from_rfc3339(&format!("{date}T{time}")).ok()
            })
            .map(Timestamp)
    }

    /// What an API sends: RFC 3339, RFC 2822 (BigCommerce v2), or a time without a zone, which
    /// those APIs state in UTC (WooCommerce's `*_gmt` fields, Magento's database times).
    pub fn parse_api(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Timestamp::parse_rfc3339(t)
            .or_else(|| DateTime::parse_from_rfc2822(t).ok().map(Timestamp))
            .or_else(|| {
                ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                    .map(|n| Timestamp::from_local(n, Zone::UTC))
            })
            .or_else(|| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .map(|d| Timestamp::from_date(d, Zone::UTC))
            })
    }

    /// The instant with the offset it was stated in.
    pub fn at(&self) -> DateTime<FixedOffset> {
        self.0
    }

    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// The wall-clock time in `zone`, or in the offset the time was stated in when no zone is
    /// named (a source store's local times stay local).
    pub fn local(&self, zone: Option<Zone>) -> DateTime<FixedOffset> {
        match zone {
            Some(z) => self.0.with_timezone(&z).fixed_offset(),
            None => self.0,
        }
    }

    /// RFC 3339 with the stated offset (`Z` for UTC), seconds fractions only when there are any.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// `fmt` (chrono's strftime) of the time in UTC.
    pub fn format_utc(&self, fmt: &str) -> String {
        self.utc().format(fmt).to_string()
    }

    /// `fmt` of the wall-clock time [`Self::local`] gives.
    pub fn format_local(&self, zone: Option<Zone>, fmt: &str) -> String {
        self.local(zone).format(fmt).to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        // Records saved before timestamps had a type hold the text as read; those were written
        // in UTC when they had no zone.
        Timestamp::parse_api(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{text}\" is not a timestamp (RFC 3339, e.g. 2024-05-06T07:08:09+03:00)"
            ))
        })
    }
}

/// Deserialises an optional timestamp the way records saved by earlier versions hold it: an
/// empty text is no date, and a text no reader can make a time of is dropped rather than
/// failing the whole record (those versions kept dates as the files wrote them).
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    Ok(text.as_deref().and_then(|t| {
        Timestamp::parse_api(t).or_else(|| {
            match crate::files::dates::parse_cell(t, crate::files::dates::DayOrder::MonthFirst) {
                Some(crate::files::dates::CellTime::Stated(s)) => Some(s),
                Some(crate::files::dates::CellTime::Local(l)) => {
                    Some(Timestamp::from_local(l, Zone::UTC))
                }
                None => None,
            }
        })
    }))
}

/// Whether two JSON values are timestamps naming the same instant (`10:00+03:00` and
/// `07:00Z`): record comparisons that work on JSON take them as equal, as [`Timestamp`] does.
pub fn same_instant(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => matches!(
            (Timestamp::parse_rfc3339(x), Timestamp::parse_rfc3339(y)),
            (Some(p), Some(q)) if p == q
        ),
        _ => false,
    }
}

/// Reads a zone name from a config (`Europe/Istanbul`, `UTC`).
pub fn parse_zone(name: &str) -> Option<Zone> {
    name.trim().parse::<Zone>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn equal_instants_are_equal_whatever_the_offset() {
        assert_eq!(ts("2024-01-01T10:00:00+03:00"), ts("2024-01-01T07:00:00Z"));
        assert_eq!(
            ts("2024-01-01T10:00:00+03:00").to_rfc3339(),
            "2024-01-01T10:00:00+03:00"
        );
        assert_eq!(
            ts("2024-01-01 07:00:00.250Z").to_rfc3339(),
            "2024-01-01T07:00:00.250Z"
        );
        let a = Record::hash_of(&ts("2024-01-01T10:00:00+03:00"));
        let b = Record::hash_of(&ts("2024-01-01T07:00:00Z"));
        assert_eq!(a, b, "the content hash agrees with equality");
    }

    struct Record;
    impl Record {
        fn hash_of(t: &Timestamp) -> u64 {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        }
    }

    #[test]
    fn local_times_take_the_zones_offset_across_daylight_saving() {
        let ist = parse_zone("Europe/Istanbul").unwrap();
        let t = Timestamp::from_local(
            NaiveDateTime::parse_from_str("2024-05-06 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap(),
            ist,
        );
        assert_eq!(t.to_rfc3339(), "2024-05-06T10:00:00+03:00");
        let ny = parse_zone("America/New_York").unwrap();
        let winter = Timestamp::from_date(NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(), ny);
        assert_eq!(winter.to_rfc3339(), "2024-01-15T00:00:00-05:00");
        // 02:30 on 10 March 2024 did not happen in New York: read as 03:30 EDT.
        let gap = Timestamp::from_local(
            NaiveDateTime::parse_from_str("2024-03-10 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
            ny,
        );
        assert_eq!(gap.to_rfc3339(), "2024-03-10T03:30:00-04:00");
        assert_eq!(
            winter.format_local(Some(ist), "%Y-%m-%d %H:%M"),
            "2024-01-15 08:00"
        );
        assert_eq!(winter.format_local(None, "%H:%M %z"), "00:00 -0500");
        assert!(parse_zone("Mars/Olympus").is_none());
    }

    #[test]
    fn api_times_without_a_zone_are_utc() {
        assert_eq!(
            Timestamp::parse_api("2017-03-21T19:29:30")
                .unwrap()
                .to_rfc3339(),
            "2017-03-21T19:29:30Z"
        );
        assert_eq!(
            Timestamp::parse_api("Tue, 20 Nov 2012 00:00:00 +0000")
                .unwrap()
                .to_rfc3339(),
            "2012-11-20T00:00:00Z"
        );
        assert_eq!(Timestamp::parse_api("soon"), None);
        assert_eq!(Timestamp::parse_api(""), None);
    }

    #[test]
    fn serde_writes_rfc3339_and_reads_old_zoneless_text() {
        let t = ts("2024-05-06T07:08:09+03:00");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2024-05-06T07:08:09+03:00\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        let old: Timestamp = serde_json::from_str("\"2024-05-06T04:08:09\"").unwrap();
        assert_eq!(old, t);
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("yesterday"), "{err}");
    }

    #[test]
    fn records_saved_by_earlier_versions_still_load() {
        let load = |date: &str| {
            let json = format!(
                r#"{{"source":{{"id":"1"}},"email":"a@example.test","created_at":{date}}}"#
            );
            serde_json::from_str::<crate::model::Customer>(&json)
                .unwrap()
                .created_at
                .map(|t| t.to_rfc3339())
        };
        assert_eq!(load("\"\""), None);
        assert_eq!(load("\"not a date\""), None);
        assert_eq!(load("null"), None);
        assert_eq!(
            load("\"2024-05-01 10:00:00 +0200\"").as_deref(),
            Some("2024-05-01T10:00:00+02:00")
        );
        assert_eq!(
            load("\"2024-05-01T10:00:00\"").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(secs in -2_000_000_000i64..4_000_000_000, off in -50_400i32..50_400) {
            let off = FixedOffset::east_opt(off / 60 * 60).unwrap();
            let t = Timestamp::new(DateTime::from_timestamp(secs, 0).unwrap().with_timezone(&off));
            let back = Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap();
            prop_assert_eq!(back, t);
            prop_assert_eq!(*back.at().offset(), *t.at().offset());
        }
    }
}
