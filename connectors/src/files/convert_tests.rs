use super::*;
use crate::files::readback::diff_records;
use crate::files::testkit::{catalog, products, read, rt, write};
use crate::model::*;

const FIVE: [Platform; 5] = [
    Platform::Shopify,
    Platform::WooCommerce,
    Platform::Magento,
    Platform::BigCommerce,
    Platform::Ikas,
];

fn only_file(dir: &Path) -> PathBuf {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

fn product_file(to: Platform, report: &ConvertReport) -> PathBuf {
    report
        .files
        .iter()
        .find(|f| entity_for(to, f, None).ok().flatten() == Some(Entity::Products))
        .cloned()
        .unwrap_or_else(|| panic!("no {to} product file in {:?}", report.files))
}

/// What a conversion must keep, field by field, for one product.
fn check_kept(from: Platform, to: Platform, s: &Product, t: &Product) -> Vec<String> {
    let bad = std::cell::RefCell::new(Vec::new());
    let eq = |what: &str, a: String, b: String| {
        if a != b {
            bad.borrow_mut().push(format!("{what}: {a} != {b}"));
        }
    };
    eq("title", s.title.clone(), t.title.clone());
    eq(
        "description",
        s.body_html.trim().to_string(),
        t.body_html.trim().to_string(),
    );
    eq(
        "handle",
        platform::normalize_handle(to, &s.handle),
        t.handle.clone(),
    );
    if platform::facts(to).ascii_handles {
        eq(
            "ascii handle",
            "true".into(),
            t.handle.is_ascii().to_string(),
        );
    }
    eq(
        "seo title",
        format!("{:?}", s.seo.title),
        format!("{:?}", t.seo.title),
    );
    eq(
        "seo description",
        format!("{:?}", s.seo.description),
        format!("{:?}", t.seo.description),
    );
    let names = |p: &Product| p.options.iter().map(|o| o.name.clone()).collect::<Vec<_>>();
    eq(
        "option names",
        format!("{:?}", names(s)),
        format!("{:?}", names(t)),
    );
    let imgs = |p: &Product| p.images.iter().map(|i| i.src.clone()).collect::<Vec<_>>();
    eq(
        "image order",
        format!("{:?}", imgs(s)),
        format!("{:?}", imgs(t)),
    );
    if to == Platform::Shopify {
        for path in &s.categories {
            if !t.tags.contains(&path.join(" > ")) {
                bad.borrow_mut()
                    .push(format!("category {path:?} not carried as a tag"));
            }
        }
    } else {
        eq(
            "categories",
            format!("{:?}", s.categories),
            format!("{:?}", t.categories),
        );
    }
    eq(
        "variant count",
        s.variants.len().to_string(),
        t.variants.len().to_string(),
    );
    for sv in &s.variants {
        let Some(tv) = t.variants.iter().find(|v| v.sku == sv.sku) else {
            bad.borrow_mut().push(format!("sku {:?} missing", sv.sku));
            continue;
        };
        let amt = |m: &Option<Money>| m.as_ref().map(|m| m.amount.normalize().to_string());
        eq(
            "price",
            format!("{:?}", amt(&sv.price)),
            format!("{:?}", amt(&tv.price)),
        );
        eq(
            "compare at",
            format!("{:?}", amt(&sv.compare_at_price)),
            format!("{:?}", amt(&tv.compare_at_price)),
        );
        eq(
            "barcode",
            format!("{:?}", sv.barcode),
            format!("{:?}", tv.barcode),
        );
        eq(
            "option values",
            format!("{:?}", sv.option_values),
            format!("{:?}", tv.option_values),
        );
    }
    let _ = from;
    bad.into_inner()
}

#[test]
fn every_pair_of_formats_keeps_what_the_canonical_model_promises() {
    let mut failures = Vec::new();
    for from in FIVE {
        for to in FIVE {
            if from == to {
                continue;
            }
            let mut cat = catalog(7, 6);
            for p in cat.iter_mut() {
                p.handle = platform::normalize_handle(from, &p.title);
            }
            let recs: Vec<Record> = cat.into_iter().map(Record::Product).collect();
            let src = tempfile::tempdir().unwrap();
            let refused = write(from, src.path(), Entity::Products, &recs);
            assert!(refused.is_empty(), "{from}: {refused:?}");
            let file = only_file(src.path());
            let (source, _) = read(from, &file, Entity::Products, 100).unwrap();
            let out = tempfile::tempdir().unwrap();
            let report = rt()
                .block_on(convert(
                    from,
                    std::slice::from_ref(&file),
                    to,
                    out.path(),
                    &ConvertOptions::default(),
                ))
                .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
            let refused: Vec<&Loss> = report
                .refused
                .iter()
                .filter(|l| l.entity == Entity::Products)
                .collect();
            assert!(refused.is_empty(), "{from} -> {to}: {refused:?}");
            let (target, _) = read(to, &product_file(to, &report), Entity::Products, 100).unwrap();
            let (s, t) = (products(&source), products(&target));
            assert_eq!(s.len(), t.len(), "{from} -> {to}");
            for sp in &s {
                let Some(tp) = t.iter().find(|tp| tp.title == sp.title) else {
                    failures.push(format!("{from} -> {to}: {} missing", sp.title));
                    continue;
                };
                for b in check_kept(from, to, sp, tp) {
                    failures.push(format!("{from} -> {to}: {}: {b}", sp.title));
                }
            }
            assert!(out.path().join("convert-report.md").exists());
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn turkish_handles_are_transliterated_for_shopify_with_a_redirect_from_the_old_slug() {
    let mut cat = catalog(3, 1);
    cat[0].title = "Kadın Şık Örgü Kazak".into();
    cat[0].handle = "kadın-şık-örgü-kazak".into();
    let src = tempfile::tempdir().unwrap();
    assert!(write(
        Platform::WooCommerce,
        src.path(),
        Entity::Products,
        &[Record::Product(cat.remove(0))]
    )
    .is_empty());
    let file = only_file(src.path());
    let out = tempfile::tempdir().unwrap();
    let report = rt()
        .block_on(convert(
            Platform::WooCommerce,
            &[file],
            Platform::Shopify,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    let (target, _) = read(
        Platform::Shopify,
        &product_file(Platform::Shopify, &report),
        Entity::Products,
        10,
    )
    .unwrap();
    let t = products(&target);
    assert_eq!(t[0].handle, "kadin-sik-orgu-kazak");
    assert!(
        report
            .redirects
            .iter()
            .any(|r| r.to == "/products/kadin-sik-orgu-kazak"),
        "{:?}",
        report.redirects
    );
    // Shopify has a redirect import file: the redirect is in it.
    let redirects = std::fs::read_to_string(
        out.path().join(
            report
                .files
                .iter()
                .find(|f| f.to_string_lossy().contains("redirect"))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(
        redirects.contains("/products/kadin-sik-orgu-kazak"),
        "{redirects}"
    );
}

#[test]
fn what_the_target_cannot_hold_is_reported_record_by_record() {
    let mut cat = catalog(5, 2);
    cat[0].title = "Four Options".into();
    cat[0].options = ["A", "B", "C", "D"]
        .iter()
        .map(|n| ProductOption {
            name: n.to_string(),
            values: vec!["x".into()],
        })
        .collect();
    cat[0].variants.truncate(1);
    cat[0].variants[0].option_values = vec!["x".into(); 4];
    cat[0].kind = ProductKind::Variable;
    cat[1].tags = vec!["summer".into()];
    let src = tempfile::tempdir().unwrap();
    assert!(write(
        Platform::Magento,
        src.path(),
        Entity::Products,
        &cat.into_iter().map(Record::Product).collect::<Vec<_>>()
    )
    .is_empty());
    let file = only_file(src.path());
    let out = tempfile::tempdir().unwrap();
    let report = rt()
        .block_on(convert(
            Platform::Magento,
            &[file],
            Platform::Shopify,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].what[0].contains("options"),
        "{:?}",
        report.refused
    );
    let md = std::fs::read_to_string(out.path().join("convert-report.md")).unwrap();
    assert!(md.contains("Four Options"), "{md}");

    // BigCommerce files have no customer file: every customer is listed as not written.
    let src = tempfile::tempdir().unwrap();
    let customers = vec![Record::Customer(Customer {
        email: "a@b.test".into(),
        source: SourceRef::new("a@b.test"),
        ..Customer::default()
    })];
    assert!(write(Platform::Magento, src.path(), Entity::Customers, &customers).is_empty());
    let out = tempfile::tempdir().unwrap();
    let report = rt()
        .block_on(convert(
            Platform::Magento,
            &[only_file(src.path())],
            Platform::BigCommerce,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.refused.len(), 1);
    assert!(report.refused[0].what[0].contains("no file for customers"));
}

#[test]
fn inspect_names_platform_and_entity_of_real_files() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/real");
    let files = vec![
        root.join("magento/categories.csv"),
        root.join("magento/cms_pages.csv"),
        root.join("woocommerce/sample_products.csv"),
        root.join("shopify/product_template.csv"),
    ];
    let found = rt().block_on(inspect(&files, None));
    let got: Vec<(Option<Detected>, usize)> = found
        .iter()
        .map(|i| (i.detected.clone(), i.records))
        .collect();
    assert_eq!(
        got[0],
        (
            Some(Detected {
                platform: Platform::Magento,
                entity: Entity::Categories
            }),
            6
        )
    );
    assert_eq!(
        got[1],
        (
            Some(Detected {
                platform: Platform::Magento,
                entity: Entity::Pages
            }),
            4
        )
    );
    assert_eq!(
        got[2].0,
        Some(Detected {
            platform: Platform::WooCommerce,
            entity: Entity::Products
        })
    );
    assert_eq!(
        got[3].0,
        Some(Detected {
            platform: Platform::Shopify,
            entity: Entity::Products
        })
    );
}

/// The same file in another encoding and delimiter, as Excel and other tools save it.
fn resave(text: &str, delimiter: u8, encoding: &str) -> Vec<u8> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(vec![]);
    for rec in r.records() {
        w.write_record(&rec.unwrap()).unwrap();
    }
    let plain = String::from_utf8(w.into_inner().unwrap()).unwrap();
    match encoding {
        "utf-8-bom" => [b"\xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat(),
        "utf-16le" => {
            let mut out = vec![0xFF, 0xFE];
            for u in plain.encode_utf16() {
                out.extend_from_slice(&u.to_le_bytes());
            }
            out
        }
        "windows-1254" => encoding_rs::WINDOWS_1254.encode(&plain).0.into_owned(),
        "windows-1252" => encoding_rs::WINDOWS_1252.encode(&plain).0.into_owned(),
        _ => plain.into_bytes(),
    }
}

#[test]
fn encodings_and_delimiters_read_the_same_records() {
    for platform in [Platform::Magento, Platform::BigCommerce, Platform::Ikas] {
        let cat = catalog(11, 4);
        let recs: Vec<Record> = cat.into_iter().map(Record::Product).collect();
        let dir = tempfile::tempdir().unwrap();
        assert!(write(platform, dir.path(), Entity::Products, &recs).is_empty());
        let mut file = only_file(dir.path());
        let mut text = std::fs::read_to_string(&file).unwrap();
        if platform != Platform::Ikas {
            // Windows-1252 has no ı, ş or ğ: this catalog is saved without them.
            text = text.replace(['ı', 'ş', 'ğ', 'İ', 'Ş', 'Ğ'], "i");
            file = dir.path().join("latin.csv");
            std::fs::write(&file, &text).unwrap();
        }
        let (plain, _) = read(platform, &file, Entity::Products, 50).unwrap();
        let single = if platform == Platform::Ikas {
            "windows-1254"
        } else {
            "windows-1252"
        };
        for (delimiter, encoding) in [
            (b';', "utf-8-bom"),
            (b'\t', "utf-16le"),
            (b';', single),
            (b',', "utf-8"),
        ] {
            let other = dir.path().join(format!("again-{}.csv", encoding));
            std::fs::write(&other, resave(&text, delimiter, encoding)).unwrap();
            let (got, f) = read(platform, &other, Entity::Products, 3).unwrap();
            assert!(f.is_empty(), "{platform} {encoding}: {f:?}");
            let strip = |rs: &[Record]| {
                rs.iter()
                    .map(|r| match r {
                        Record::Product(p) => (
                            p.title.clone(),
                            p.body_html.clone(),
                            p.variants.clone(),
                            p.categories.clone(),
                        ),
                        _ => unreachable!(),
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                strip(&got),
                strip(&plain),
                "{platform} {encoding} '{}'",
                delimiter as char
            );
        }
    }
}

#[test]
fn customers_keep_their_default_address_and_phone_only_customers_stay_apart() {
    let addr = |street: &str, city: &str, default: bool| Address {
        first_name: Some("Ayşe".into()),
        last_name: Some("Yılmaz".into()),
        address1: Some(street.into()),
        city: Some(city.into()),
        country_code: Some("TR".into()),
        zip: Some("34000".into()),
        default,
        ..Address::default()
    };
    let person = |id: &str, email: &str, phone: &str, addresses: Vec<Address>| {
        Record::Customer(Customer {
            email: email.into(),
            phone: (!phone.is_empty()).then(|| phone.to_string()),
            first_name: Some("Ayşe".into()),
            last_name: Some(format!("Yılmaz {id}")),
            addresses,
            source: SourceRef::new(id),
            ..Customer::default()
        })
    };
    let customers = [
        person(
            "1",
            "ayse@example.test",
            "",
            vec![
                addr("Bağdat Cd. 1", "İstanbul", false),
                addr("Kızılay 5", "Ankara", true),
            ],
        ),
        person("2", "", "+905550000002", vec![addr("A 1", "İzmir", true)]),
        person("3", "", "+905550000003", vec![addr("B 2", "Bursa", true)]),
    ];
    for from in [Platform::Magento, Platform::WooCommerce, Platform::Shopify] {
        let src = tempfile::tempdir().unwrap();
        // Only Shopify's file holds customers without an email; the others refuse them.
        let n = if from == Platform::Shopify { 3 } else { 1 };
        let mut records = customers[..n].to_vec();
        if from == Platform::Shopify {
            for r in &mut records {
                if let Record::Customer(c) = r {
                    c.keep_addresses(1); // the Shopify writer holds one address
                }
            }
        }
        let findings = write(from, src.path(), Entity::Customers, &records);
        assert!(findings.is_empty(), "{from}: {findings:?}");
        let out = tempfile::tempdir().unwrap();
        let report = rt()
            .block_on(convert(
                from,
                &[only_file(src.path())],
                Platform::Shopify,
                out.path(),
                &ConvertOptions::default(),
            ))
            .unwrap();
        assert!(report.refused.is_empty(), "{from}: {:?}", report.refused);
        let file = report
            .files
            .iter()
            .find(|f| {
                entity_for(Platform::Shopify, f, None).ok().flatten() == Some(Entity::Customers)
            })
            .unwrap_or_else(|| panic!("{from}: no customer file in {:?}", report.files));
        let (got, _) = read(Platform::Shopify, file, Entity::Customers, usize::MAX).unwrap();
        let keys: Vec<String> = got.iter().map(Record::external_key).collect();
        let want = [
            "ayse@example.test",
            "phone:+905550000002",
            "phone:+905550000003",
        ];
        assert_eq!(keys, want[..n], "{from}");
        let Record::Customer(first) = &got[0] else {
            panic!("{got:?}")
        };
        let kept: Vec<_> = first.addresses.iter().map(|a| a.city.clone()).collect();
        assert_eq!(kept, [Some("Ankara".to_string())], "{from}");
        if from == Platform::Shopify {
            continue; // one address per customer already
        }
        let lost: Vec<_> = report
            .lossy
            .iter()
            .filter(|l| l.what.iter().any(|w| w.contains("Bağdat Cd. 1, İstanbul")))
            .collect();
        assert_eq!(lost.len(), 1, "{from}: {:?}", report.lossy);
        assert_eq!(lost[0].key, "ayse@example.test");
    }
}

#[test]
fn the_report_lists_real_losses_not_ids_or_categories_carried_as_collection_tags() {
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/woocommerce/sample_products.csv");
    let out = tempfile::tempdir().unwrap();
    let report = rt()
        .block_on(convert(
            Platform::WooCommerce,
            &[real],
            Platform::Shopify,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    let lines: Vec<String> = report
        .lossy
        .iter()
        .flat_map(|l| l.what.iter().map(move |w| format!("{}: {w}", l.key)))
        .collect();
    assert!(
        !lines.is_empty(),
        "the sample has image alts Shopify keeps per image"
    );
    let noise: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("source_id") || l.contains("categories"))
        .collect();
    assert!(noise.is_empty(), "{noise:#?}");
    // A category whose tag is gone is still a loss.
    let mut sent = Product {
        handle: "hoodie".into(),
        categories: vec![vec!["Clothing".into(), "Hoodies".into()]],
        tags: vec!["Clothing".into(), "Clothing > Hoodies".into()],
        ..Product::default()
    };
    let mut got = sent.clone();
    got.categories.clear();
    assert!(diff_records(
        &Record::Product(sent.clone()),
        &Record::Product(got.clone()),
        Platform::Shopify
    )
    .is_empty());
    got.tags.pop();
    sent.tags.pop();
    let lost = diff_records(
        &Record::Product(sent),
        &Record::Product(got),
        Platform::Shopify,
    );
    assert_eq!(
        lost,
        ["categories Clothing > Hoodies have no tag for a Shopify collection to select on"]
    );
}
