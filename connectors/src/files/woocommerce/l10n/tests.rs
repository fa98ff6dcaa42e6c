//! A test per language, built from the vendored catalogues: WooCommerce's product export with
//! its header written in that language reads into exactly the records of the English export.

use super::*;
use crate::files::testkit;
use crate::model::{Entity, Platform, Record};
use crate::spec::EndpointSpec;
use crate::synth::{SynthSpec, SynthStore};
use std::path::Path;

/// The header of `english`, each column written as `locale`'s catalogue writes it; `newest`
/// picks the latest wording of a name where the catalogues changed it, else the oldest.
fn localize(english: &[String], locale: &str, newest: bool) -> Vec<String> {
    let cat = catalogues().iter().find(|c| c.locale == locale).unwrap();
    english
        .iter()
        .map(|col| {
            let mut hits = cat.entries.iter().filter_map(|(en, tr)| {
                // The English name against the entry's own msgid gives the placeholder's text.
                let eng = match_entry(col, en, en)?;
                debug_assert_eq!(&eng, col);
                let (pre, post) = en
                    .split_once(['%'])
                    .map(|(a, b)| (a, &b[1..]))
                    .unwrap_or((en, ""));
                let middle = if en.contains('%') {
                    &col[pre.len()..col.len() - post.len()]
                } else {
                    ""
                };
                Some(tr.replacen("%d", middle, 1).replacen("%s", middle, 1))
            });
            let found = if newest {
                hits.next_back()
            } else {
                hits.next()
            };
            found.unwrap_or_else(|| col.clone())
        })
        .collect()
}

fn read(spec: &EndpointSpec, entity: Entity) -> (Vec<Record>, Vec<crate::Finding>) {
    testkit::rt().block_on(async {
        let mut src = crate::files::open_source(spec, Path::new("/")).unwrap();
        let mut out = vec![];
        let mut findings = vec![];
        let mut cursor = None;
        loop {
            let page = src.read_page(entity, cursor.as_ref(), 9).await.unwrap();
            out.extend(page.records);
            findings.extend(page.findings);
            match page.next {
                Some(c) => cursor = Some(c),
                None => return (out, findings),
            }
        }
    })
}

fn english_export(dir: &Path) -> std::path::PathBuf {
    SynthStore::new(SynthSpec {
        products: 25,
        customers: 1,
        orders: 1,
        pages: 1,
        seed: 11,
        ..SynthSpec::demo()
    })
    .write_dir(dir)
    .unwrap();
    dir.join("products.csv")
}

fn with_header(from: &Path, to: &Path, header: &[String]) {
    let text = std::fs::read_to_string(from).unwrap();
    let body = text.split_once('\n').unwrap().1;
    let mut out = vec![];
    crate::files::table::push_row(&mut out, header, b',');
    out.extend_from_slice(body.as_bytes());
    std::fs::write(to, out).unwrap();
}

fn reads_like_english(locale: &str) {
    let dir = tempfile::tempdir().unwrap();
    let english = english_export(dir.path());
    let header: Vec<String> = crate::files::mapping::open::as_written(|| {
        crate::files::table::TableFile::open(&english, None)
            .unwrap()
            .header()
            .names()
            .to_vec()
    });
    let spec = |path: &Path| EndpointSpec::files(Platform::WooCommerce, path);
    let (want_p, _) = read(&spec(&english), Entity::Products);
    let (want_c, _) = read(&spec(&english), Entity::Categories);
    for newest in [true, false] {
        let local = localize(&header, locale, newest);
        let translated = local.iter().zip(&header).filter(|(a, b)| a != b).count();
        assert!(
            translated >= 20,
            "{locale}: only {translated} columns translated: {local:?}"
        );
        let file = dir
            .path()
            .join(format!("wc-product-export-{locale}-{newest}.csv"));
        with_header(&english, &file, &local);
        let t = translate(&local).unwrap_or_else(|| panic!("{locale}: {local:?} not recognised"));
        assert_eq!(t.locale, locale, "{local:?}");
        let (got_p, findings) = read(&spec(&file), Entity::Products);
        assert_eq!(got_p, want_p, "{locale} (newest wording: {newest})");
        let (got_c, _) = read(&spec(&file), Entity::Categories);
        assert_eq!(got_c, want_c, "{locale}");
        // Storeshift's own Slug column is no exporter column: it keeps its name, silently.
        assert!(
            !findings.iter().any(|f| f.code.starts_with("mapped_column")),
            "{findings:?}"
        );
        std::fs::remove_file(&file).unwrap();
    }
}

#[test]
fn turkish() {
    reads_like_english("tr_TR");
}

#[test]
fn german() {
    reads_like_english("de_DE");
}

#[test]
fn french() {
    reads_like_english("fr_FR");
}

#[test]
fn spanish() {
    reads_like_english("es_ES");
}

#[test]
fn italian() {
    reads_like_english("it_IT");
}

#[test]
fn portuguese_brazil() {
    reads_like_english("pt_BR");
}

#[test]
fn dutch() {
    reads_like_english("nl_NL");
}

#[test]
fn polish() {
    reads_like_english("pl_PL");
}

#[test]
fn russian() {
    reads_like_english("ru_RU");
}

#[test]
fn placeholders_take_numbers_and_text() {
    assert_eq!(
        match_entry("Nitelik 3 ismi", "Attribute %d name", "Nitelik %d ismi").as_deref(),
        Some("Attribute 3 name")
    );
    assert_eq!(
        match_entry("Nitelik x ismi", "Attribute %d name", "Nitelik %d ismi"),
        None
    );
    assert_eq!(
        match_entry("Вес (lbs)", "Weight (%s)", "Вес (%s)").as_deref(),
        Some("Weight (lbs)")
    );
    assert_eq!(
        match_entry("Мета: _yoast_wpseo_title", "Meta: %s", "Мета: %s").as_deref(),
        Some("Meta: _yoast_wpseo_title")
    );
    // Case, no-break spaces and typographic apostrophes do not matter.
    assert_eq!(
        match_entry("MIS EN AVANT\u{a0}?", "Is featured?", "Mis en avant ?").as_deref(),
        Some("Is featured?")
    );
    assert_eq!(
        match_entry(
            "Nom de l’attribut 2",
            "Attribute %d name",
            "Nom de l'attribut %d"
        )
        .as_deref(),
        Some("Attribute 2 name")
    );
    assert_eq!(
        match_entry("İNDİRME 1 URL'Sİ", "Download %d URL", "İndirme %d URL'si").as_deref(),
        Some("Download 1 URL")
    );
}

#[test]
fn an_english_or_unknown_header_is_not_taken_for_a_translation() {
    let english: Vec<String> = ["ID", "Type", "SKU", "Name", "Regular price"]
        .map(String::from)
        .to_vec();
    assert_eq!(translate(&english), None);
    let other: Vec<String> = ["a", "b"].map(String::from).to_vec();
    assert_eq!(translate(&other), None);
}

#[test]
fn every_catalogue_names_the_columns_the_reader_needs() {
    for cat in catalogues() {
        for needed in [
            "Type",
            "Name",
            "SKU",
            "Regular price",
            "Parent",
            "Attribute %d name",
        ] {
            assert!(
                cat.entries.iter().any(|(en, _)| en == needed),
                "{}: no {needed}",
                cat.locale
            );
        }
    }
}

#[test]
fn columns_no_catalogue_names_are_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tr.csv");
    std::fs::write(
        &file,
        "Tür,Stok kodu (SKU),İsim,Normal fiyat,Tedarikçi\nsimple,A1,Kazak,10,Acme\n",
    )
    .unwrap();
    let (records, findings) = read(
        &EndpointSpec::files(Platform::WooCommerce, &file),
        Entity::Products,
    );
    let p = testkit::products(&records)[0];
    assert_eq!(p.title, "Kazak");
    assert_eq!(p.variants[0].sku.as_deref(), Some("A1"));
    assert_eq!(
        p.attributes.get("meta:Tedarikçi").map(String::as_str),
        Some("Acme")
    );
    assert!(findings.iter().any(|f| f.code == "mapped_column_kept"
        && f.message.contains("Tedarikçi")
        && f.message.contains("tr_TR")));
    let mut src = crate::files::open_source(
        &EndpointSpec::files(Platform::WooCommerce, &file),
        Path::new("/"),
    )
    .unwrap();
    assert_eq!(src.entities(), vec![Entity::Products]);
    let _ = src.describe();
    let _ = testkit::rt().block_on(src.read_page(Entity::Products, None, 1));
}

#[test]
fn a_partial_localized_file_of_the_catalogues_columns_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tr.csv");
    // No Type column: WooCommerce's importer makes such rows simple products.
    std::fs::write(
        &file,
        "İsim,Stok kodu (SKU),Normal fiyat\nKazak,A1,10\nAtkı,A2,5\n",
    )
    .unwrap();
    let (records, findings) = read(
        &EndpointSpec::files(Platform::WooCommerce, &file),
        Entity::Products,
    );
    let ps = testkit::products(&records);
    assert_eq!(ps.len(), 2, "{findings:?}");
    assert_eq!(ps[0].title, "Kazak");
    assert_eq!(ps[1].variants[0].sku.as_deref(), Some("A2"));
    assert_eq!(
        ps[1].variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("5")
    );
}

#[test]
fn a_partial_file_with_a_column_no_catalogue_names_is_left_to_the_mapping() {
    let header: Vec<String> = ["İsim", "Stok kodu (SKU)", "Tedarikçi"]
        .map(String::from)
        .to_vec();
    assert_eq!(translate(&header), None);
    // One column is not a file.
    assert_eq!(translate(&["İsim".to_string()]), None);
}

/// Found by fuzzing (mapping): each column of a header was tidied again for every entry of
/// every catalogue, so a header with hundreds of meta columns took seconds to recognise. The
/// entries are prepared once; a wide header still gets every column's English name.
#[test]
fn a_wide_localized_header_is_translated_column_by_column() {
    let english: Vec<String> = ["Type", "SKU", "Name"]
        .iter()
        .map(|s| s.to_string())
        .chain((0..2000).map(|i| format!("Meta: field_{i}")))
        .collect();
    let header = localize(&english, "ru_RU", true);
    assert_eq!(header[0], "Тип");
    assert_eq!(header[3], "Мета: field_0");
    let t = translate(&header).expect("the Russian catalogue reads it");
    assert_eq!(t.locale, "ru_RU");
    let names: Vec<String> = t.names.into_iter().map(Option::unwrap_or_default).collect();
    assert_eq!(names, english);
    assert!(header.iter().skip(3).all(|h| !is_english_column(h)));
    assert!(english.iter().all(|h| is_english_column(h)));
}
