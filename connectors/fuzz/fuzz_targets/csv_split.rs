//! The CSV splitter against the csv crate: on any bytes, any delimiter and any buffer size,
//! both read the same records with the same fields, and every record starts where the
//! splitter says (its first byte, after a line end).
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::files::split::{At, RawFields, Splitter};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, text)) = data.split_first() else {
        return;
    };
    let delimiter = [b',', b';', b'\t', b'|'][usize::from(knobs & 3)];
    let capacity = usize::from(knobs >> 2) + 1;
    let mut theirs = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);
    let mut want = csv::ByteRecord::new();
    let mut ours = Splitter::with_capacity(text, delimiter, At { offset: 0, line: 1 }, capacity);
    let mut got = RawFields::default();
    loop {
        let more = theirs.read_byte_record(&mut want).expect("csv reads any bytes");
        let at = ours.next_raw(&mut got).expect("a slice cannot fail to read");
        assert_eq!(more, at.is_some(), "record count differs");
        let Some(at) = at else { break };
        let fields: Vec<&[u8]> = got.iter().collect();
        let expected: Vec<&[u8]> = want.iter().collect();
        assert_eq!(fields, expected);
        let o = at.offset as usize;
        assert!(!matches!(text[o], b'\n' | b'\r'));
        assert!(o == 0 || matches!(text[o - 1], b'\n' | b'\r'));
    }
});
