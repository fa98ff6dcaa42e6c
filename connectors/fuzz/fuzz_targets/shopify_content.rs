//! Arbitrary bytes as the JSON-lines files pages and blog posts are kept in (`pages.jsonl`,
//! `blog_posts.jsonl`) must never panic the reader, whatever the page size or resume point: a
//! line that is not a record is a finding naming its line. The first byte picks the reader
//! and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::shopify::{BlogPostReader, PageReader};
use storeshift_connectors::files::EntityReader;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("content.jsonl");
    let (sel, body) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s), rest),
        None => (0, data),
    };
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let limit = sel / 2 % 8 + 1;
    let mut reader: Box<dyn EntityReader> = if sel % 2 == 0 {
        Box::new(PageReader::new(path))
    } else {
        Box::new(BlogPostReader::new(path))
    };
    let mut cursor: Option<Cursor> = None;
    for _ in 0..10_000 {
        match reader.read_page(cursor.as_ref(), limit) {
            Ok(page) => {
                for f in &page.findings {
                    assert!(f.location.is_some(), "{}", f.message);
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            Err(_) => break,
        }
    }
});
