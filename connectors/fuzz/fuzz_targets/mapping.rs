//! The column-mapping path must never panic: arbitrary bytes as an export file get a proposal
//! that is then read through; arbitrary bytes as a mapping file are parsed and, when they
//! parse, applied to a small export; arbitrary headers are tried against every translation
//! catalogue. The first byte picks which and the page size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, Waker};
use storeshift_connectors::connector::Cursor;
use storeshift_connectors::files::mapping::propose::{propose, Sampled};
use storeshift_connectors::files::mapping::{file, FileMapping};
use storeshift_connectors::files::woocommerce::l10n;
use storeshift_connectors::model::Platform;
use storeshift_connectors::spec::EndpointSpec;

/// File sources never wait: one poll finishes them.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn read_through(path: &Path, m: &FileMapping, limit: usize) {
    let mut spec = EndpointSpec::files(m.layout, PathBuf::new());
    spec.path = None;
    spec.files.insert(m.entity, path.to_path_buf());
    let Ok(mut src) = storeshift_connectors::files::open_source_with(
        &spec,
        Path::new("/"),
        std::slice::from_ref(m),
    ) else {
        return;
    };
    for entity in src.entities() {
        let mut cursor: Option<Cursor> = None;
        for _ in 0..10_000 {
            match block_on(src.read_page(entity, cursor.as_ref(), limit)) {
                Ok(page) => match page.next {
                    Some(n) => cursor = Some(n),
                    None => break,
                },
                Err(_) => break,
            }
        }
    }
}

const SMALL: &[u8] = b"title;sku;price;color;parent\nTee;T1;10;Red;\nTee - Red;T1-R;10;Red;T1\n";

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let (sel, body) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s), rest),
        None => (0, data),
    };
    let limit = sel / 4 % 8 + 1;
    match sel % 4 {
        0 | 1 => {
            let path = dir.path().join(if sel % 4 == 0 { "export.csv" } else { "export.tsv" });
            if std::fs::write(&path, body).is_err() {
                return;
            }
            let Ok(sample) = Sampled::of(&path, None) else {
                return;
            };
            let mut p = propose(&sample, Some("export.csv"), &[]);
            p.mapping.file = path.file_name().map(|n| n.to_string_lossy().to_string());
            let _ = p.mapping.resolve(&sample.header, "the proposal");
            read_through(&path, &p.mapping, limit);
        }
        2 => {
            let text = String::from_utf8_lossy(body);
            let Ok(mappings) = file::parse(&text, "fuzz.toml") else {
                return;
            };
            let path = dir.path().join("small.csv");
            if std::fs::write(&path, SMALL).is_err() {
                return;
            }
            for mut m in mappings {
                m.file = Some("small.csv".into());
                let _ = file::render(std::slice::from_ref(&m));
                read_through(&path, &m, limit);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let header: Vec<String> = text.split([',', '\n']).map(str::to_string).collect();
            if let Some(t) = l10n::translate(&header) {
                let _ = t.translated(&header);
            }
            for h in &header {
                let _ = l10n::is_english_column(h);
            }
            let path = dir.path().join("products.csv");
            if std::fs::write(&path, body).is_ok() {
                let spec = EndpointSpec::files(Platform::WooCommerce, &path);
                if let Ok(mut src) = storeshift_connectors::files::open_source(&spec, Path::new("/")) {
                    for entity in src.entities() {
                        let _ = block_on(src.read_page(entity, None, limit));
                    }
                }
            }
        }
    }
});
