//! What a cell means, on arbitrary bytes: the encoding detector (and the country domain it is
//! hinted with), the date parser with either day order and a store zone or none, and every
//! platform's spreadsheet guard. None may panic; a guard taken off must leave a suffix of the
//! cell, and a guard put on must come off again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::files::dates::{Clock, DateReader, DayOrder};
use storeshift_connectors::files::table::guess_legacy;
use storeshift_connectors::finding::Location;
use storeshift_connectors::model::{parse_zone, Platform};
use storeshift_connectors::platform::export_guard;

fuzz_target!(|data: &[u8]| {
    let guess = guess_legacy(data);
    assert!((0.0..=1.0).contains(&guess.confidence));
    let _ = guess.to_string();

    let text = String::from_utf8_lossy(data);
    let at = || Location {
        file: "fuzz.csv".into(),
        line: 1,
        column: None,
    };
    let mut findings = Vec::new();
    for (zone, order) in [
        (None, DayOrder::MonthFirst),
        (parse_zone("Pacific/Chatham"), DayOrder::DayFirst),
    ] {
        let dates = DateReader::new(zone, order);
        for clock in [Clock::Utc, Clock::Store] {
            let _ = dates.read(&text, clock, at, &mut findings);
        }
    }

    for p in Platform::ALL {
        if let Some(g) = export_guard(p) {
            let stripped = g.strip(&text);
            assert!(text.ends_with(stripped));
            assert!(g.len_in_column(true, data) <= 1);
            let guarded = g.apply(&text);
            assert_eq!(g.strip(&guarded), if g.wants(&text) { &*text } else { stripped });
        }
    }
});
