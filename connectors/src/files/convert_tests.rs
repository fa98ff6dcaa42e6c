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
        // Magento refuses an address row without a telephone.
        phone: Some("+90 555 000 0001".into()),
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
        // Magento's customers come in two files, the main one and the addresses.
        let mut files: Vec<PathBuf> = std::fs::read_dir(src.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let report = rt()
            .block_on(convert(
                from,
                &files,
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
        // The second address has no place in Shopify's file: lost by design, counted once.
        let nc = &report.not_carried[&(Entity::Customers, "addresses".to_string())];
        assert_eq!(
            (nc.records, nc.examples.clone()),
            (1, vec!["ayse@example.test".to_string()]),
            "{from}: {:?}",
            report.not_carried
        );
        assert!(
            !report
                .lossy
                .iter()
                .any(|l| l.key == "ayse@example.test"
                    && l.what.iter().any(|w| w.contains("addresses"))),
            "{from}: {:?}",
            report.lossy
        );
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
    // What Shopify's format cannot hold is one line per field, not a line per product: the
    // grouped and the external product become ordinary ones, two products list option values
    // in the order their variants use them.
    let by_design: Vec<(String, usize)> = report
        .not_carried
        .iter()
        .map(|((_, field), nc)| (field.clone(), nc.records))
        .collect();
    assert_eq!(
        by_design,
        [("kind".to_string(), 2), ("options[].values".to_string(), 2)]
    );
    assert!(lines.is_empty(), "{lines:#?}");
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

/// Records with every field the canonical model has set to something a format may lose.
fn full_records(entity: Entity) -> Vec<Record> {
    let usd = |s: &str| Money::parse(s, "USD").unwrap();
    let addr = |street: &str, default: bool| Address {
        first_name: Some("Deniz".into()),
        last_name: Some("Kaya".into()),
        company: Some("Kaya Ltd".into()),
        address1: Some(street.into()),
        address2: Some("Daire 4".into()),
        city: Some("İzmir".into()),
        province: Some("35".into()),
        country_code: Some("TR".into()),
        zip: Some("35210".into()),
        phone: Some("+90 232 000 00 01".into()),
        default,
    };
    match entity {
        Entity::Products => {
            let variant = |sku: &str, values: &[&str]| Variant {
                sku: Some(sku.into()),
                barcode: Some("8690000000017".into()),
                price: Some(usd("20.00")),
                compare_at_price: Some(usd("25.00")),
                cost: Some(usd("8.00")),
                weight: Some(Weight {
                    value: rust_decimal::Decimal::new(5, 1),
                    unit: WeightUnit::Kg,
                }),
                inventory: Some(7),
                allow_backorder: true,
                option_values: values.iter().map(|v| v.to_string()).collect(),
                image: Some(format!("https://img.example.test/{sku}.jpg")),
                requires_shipping: false,
                taxable: false,
                ..Variant::default()
            };
            let base = Product {
                source: SourceRef::with_url("10", "/product/linen-shirt/"),
                handle: "linen-shirt".into(),
                title: "Linen Shirt".into(),
                body_html: "<p>Soft linen</p>".into(),
                vendor: Some("Kaya Tekstil".into()),
                product_type: Some("Shirts".into()),
                tags: vec!["summer".into()],
                status: ProductStatus::Archived,
                kind: ProductKind::External,
                categories: vec![vec!["Clothing".into(), "Shirts".into()]],
                images: vec![Image {
                    src: "https://img.example.test/LS-1.jpg".into(),
                    alt: Some("A linen shirt".into()),
                    position: 1,
                }],
                seo: Seo {
                    title: Some("Linen Shirt | Kaya".into()),
                    description: Some("A soft linen shirt".into()),
                },
                attributes: [("Material".to_string(), "Linen".to_string())].into(),
                created_at: crate::model::Timestamp::parse_rfc3339("2024-03-01T10:00:00+03:00"),
                variants: vec![variant("LS-1", &[])],
                ..Product::default()
            };
            // Variants listed in another order than the option values (L before S).
            let mut variable = base.clone();
            variable.source = SourceRef::with_url("11", "/product/linen-dress/");
            variable.handle = "linen-dress".into();
            variable.title = "Linen Dress".into();
            variable.kind = ProductKind::Variable;
            variable.status = ProductStatus::Active;
            variable.options = vec![ProductOption {
                name: "Size".into(),
                values: vec!["S".into(), "L".into()],
            }];
            variable.variants = vec![variant("LD-L", &["L"]), variant("LD-S", &["S"])];
            variable.images[0].src = "https://img.example.test/LD-L.jpg".into();
            vec![Record::Product(base), Record::Product(variable)]
        }
        Entity::Customers => vec![Record::Customer(Customer {
            source: SourceRef::new("c-1"),
            email: "deniz@example.test".into(),
            first_name: Some("Deniz".into()),
            last_name: Some("Kaya".into()),
            phone: Some("+90 555 000 00 01".into()),
            addresses: vec![addr("Kordon 1", false), addr("Alsancak 2", true)],
            marketing: MarketingConsent {
                email: true,
                sms: true,
                updated_at: crate::model::Timestamp::parse_rfc3339("2024-03-01T10:00:00+03:00"),
            },
            tags: vec!["vip".into()],
            note: Some("Calls before noon".into()),
            created_at: crate::model::Timestamp::parse_rfc3339("2024-01-01T09:00:00+03:00"),
        })],
        Entity::Categories => vec![Record::Category(Category {
            source: SourceRef::with_url("cat-1", "/product-category/clothing/shirts/"),
            handle: "shirts".into(),
            path: vec!["Clothing".into(), "Shirts".into()],
            description_html: "<p>All shirts</p>".into(),
            seo: Seo {
                title: Some("Shirts".into()),
                description: Some("Our shirts".into()),
            },
            position: Some(3),
            image: Some("https://img.example.test/shirts.jpg".into()),
        })],
        Entity::Pages => vec![Record::Page(Page {
            source: SourceRef::with_url("p-1", "/about/"),
            handle: "about".into(),
            title: "About us".into(),
            body_html: "<p>Since 1990</p>".into(),
            published: true,
            seo: Seo {
                title: Some("About Kaya".into()),
                description: Some("Who we are".into()),
            },
            created_at: crate::model::Timestamp::parse_rfc3339("2024-01-01T09:00:00+03:00"),
        })],
        Entity::Orders => {
            let vat = |amount: &str| TaxLine {
                title: "KDV".into(),
                rate: rust_decimal::Decimal::new(2, 1),
                amount: usd(amount),
            };
            let when = |t: &str| crate::model::Timestamp::parse_rfc3339(t);
            let eur = |amount: &str| Money::parse(amount, "EUR").unwrap();
            let mut shipping = addr("Alsancak 2", false);
            shipping.phone = Some("+90 532 000 00 02".into());
            vec![Record::Order(Box::new(Order {
                source: SourceRef::new("o-1"),
                number: "1001".into(),
                email: Some("deniz@example.test".into()),
                customer_ref: Some("c-1".into()),
                currency: "USD".into(),
                // Paid in euros: no order file has a place for the customer's own amounts.
                presentment: Some(Presentment {
                    currency: "EUR".into(),
                    totals: OrderTotals {
                        subtotal: eur("36.80"),
                        discounts: eur("4.60"),
                        shipping: eur("4.60"),
                        tax: eur("7.36"),
                        total: eur("44.16"),
                    },
                    line_items: vec![PresentedLine {
                        price: eur("18.40"),
                        total_discount: Some(eur("4.60")),
                        tax_lines: vec![eur("6.44")],
                    }],
                    shipping_lines: vec![PresentedLine {
                        price: eur("4.60"),
                        total_discount: None,
                        tax_lines: vec![eur("0.92")],
                    }],
                    tax_lines: vec![eur("7.36")],
                    transactions: vec![eur("9.20")],
                }),
                line_items: vec![LineItem {
                    sku: Some("LS-1".into()),
                    title: "Linen Shirt".into(),
                    variant_title: Some("Size=M".into()),
                    quantity: 2,
                    price: usd("20.00"),
                    total_discount: Some(usd("5.00")),
                    tax_lines: vec![vat("7.00")],
                    product_ref: Some("10".into()),
                }],
                tax_lines: vec![vat("8.00")],
                discounts: vec![Discount {
                    code: "WELCOME".into(),
                    amount: usd("5.00"),
                }],
                shipping_lines: vec![ShippingLine {
                    title: "Flat rate".into(),
                    code: Some("flat_rate".into()),
                    price: usd("5.00"),
                    tax_lines: vec![vat("1.00")],
                }],
                // A captured part payment, still pending: nothing like the one sale of the
                // order total that an order file's payment method reads back as.
                transactions: vec![Transaction {
                    kind: "capture".into(),
                    status: "pending".into(),
                    gateway: Some("stripe".into()),
                    amount: usd("10.00"),
                    processed_at: when("2024-03-01T10:05:00+03:00"),
                }],
                totals: OrderTotals {
                    subtotal: usd("40.00"),
                    discounts: usd("5.00"),
                    shipping: usd("5.00"),
                    tax: usd("8.00"),
                    total: usd("48.00"),
                },
                // States every order file holds as they are: the status mappings have a test
                // of their own.
                financial_status: FinancialStatus::Paid,
                fulfillment_status: FulfillmentStatus::Fulfilled,
                created_at: when("2024-03-01T10:00:00+03:00"),
                processed_at: when("2024-03-01T10:05:00+03:00"),
                cancelled_at: when("2024-03-02T09:00:00+03:00"),
                billing_address: Some(addr("Kordon 1", false)),
                shipping_address: Some(shipping),
                note: Some("Leave at the door".into()),
                tags: vec!["gift".into()],
            }))]
        }
        _ => vec![],
    }
}

/// Every field a platform's import file is said not to carry really does not come back, and
/// (printed, for whoever extends the lists) what else differs.
#[test]
fn by_design_facts_are_true_of_every_file_format() {
    let mut failures = vec![];
    for to in FIVE {
        for entity in [
            Entity::Products,
            Entity::Customers,
            Entity::Categories,
            Entity::Pages,
            Entity::Orders,
        ] {
            let facts = platform::file_not_carried(to, entity);
            let mut sent = full_records(entity);
            let mut retarget = Retarget::new(Platform::WooCommerce, to);
            retarget.page(entity, &mut sent, &mut vec![]);
            let dir = tempfile::tempdir().unwrap();
            let spec = EndpointSpec::files(to, dir.path().to_path_buf());
            let target = crate::files::open_target(&spec, Path::new("."), dir.path()).unwrap();
            if !target.accepts(entity) {
                if !facts.is_empty() {
                    failures.push(format!("{to} has no {entity} file but facts about it"));
                }
                continue;
            }
            let refused = write(to, dir.path(), entity, &sent);
            if !refused.is_empty() {
                failures.push(format!("{to} {entity} refused: {refused:?}"));
                continue;
            }
            // Some formats read an entity back only beside another (WooCommerce builds its
            // category tree from the products file): convert checks those with the rest.
            let Ok(mut back) = crate::files::open_source(&spec, Path::new(".")) else {
                eprintln!("{to} {entity}: not readable back on its own");
                continue;
            };
            let (got, _) = rt().block_on(read_all(back.as_mut(), entity)).unwrap();
            if got.len() != sent.len() {
                failures.push(format!(
                    "{to} {entity}: {} written, {} read back",
                    sent.len(),
                    got.len()
                ));
                continue;
            }
            let mut covered: Vec<&str> = vec![];
            for (s, g) in sent.iter().zip(&got) {
                let (s, g) = (
                    serde_json::to_value(s).unwrap(),
                    serde_json::to_value(g).unwrap(),
                );
                let changes = crate::files::readback::diff_changes(&s, &g, to);
                let verdict = crate::files::readback::classify(changes.clone(), &g, facts);
                // A field whose value moved elsewhere did not come back in its place either.
                covered.extend(
                    verdict
                        .by_design
                        .iter()
                        .map(|(f, _)| f)
                        .chain(verdict.moved.iter().map(|(from, _)| from))
                        .filter_map(|f| facts.iter().find(|(x, _)| f.starts_with(x)))
                        .map(|(f, _)| *f),
                );
                eprintln!(
                    "{to} {entity}: real {:?}; moved {:?}; filled {:?}; by design {:?}",
                    verdict.real(),
                    verdict.moved,
                    verdict.filled,
                    verdict.by_design
                );
            }
            // A loss the comparison forgives (Shopify's categories, carried as collection tags)
            // is still a field the format does not hold: look at the records themselves.
            for (s, g) in sent.iter().zip(&got) {
                let (s, g) = (
                    serde_json::to_value(s).unwrap(),
                    serde_json::to_value(g).unwrap(),
                );
                for (f, _) in facts.iter().filter(|(f, _)| !f.contains('[')) {
                    let at = |v: &serde_json::Value| {
                        f.split('.').try_fold(v.clone(), |v, k| v.get(k).cloned())
                    };
                    let had = at(&s).is_some_and(|v| !v.is_null() && v != serde_json::json!([]));
                    if had && at(&s) != at(&g) {
                        covered.push(f);
                    }
                }
            }
            let untrue: Vec<&str> = facts
                .iter()
                .map(|(f, _)| *f)
                .filter(|f| !covered.contains(f))
                .collect();
            if !untrue.is_empty() {
                failures.push(format!(
                    "{to} {entity}: said not to be carried, but they came back: {untrue:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every payment and fulfilment state an order can have comes back from each order file as
/// `platform::file_order_status` says (as it is, where that says nothing), and the read-back
/// counts exactly those changes by design.
#[test]
fn order_states_read_back_as_the_platform_says() {
    use FinancialStatus as F;
    use FulfillmentStatus as S;
    let Some(Record::Order(base)) = full_records(Entity::Orders).pop() else {
        panic!("no order record");
    };
    let mut states = vec![];
    for f in [
        F::Pending,
        F::Authorized,
        F::Paid,
        F::PartiallyPaid,
        F::Refunded,
        F::PartiallyRefunded,
        F::Voided,
    ] {
        for s in [S::Unfulfilled, S::Partial, S::Fulfilled, S::Cancelled] {
            states.push((f, s));
        }
    }
    let sent: Vec<Record> = states
        .iter()
        .enumerate()
        .map(|(i, &(f, s))| {
            let mut o = base.clone();
            o.number = format!("{}", 2000 + i);
            o.source = SourceRef::new(format!("o-{i}"));
            o.financial_status = f;
            o.fulfillment_status = s;
            Record::Order(o)
        })
        .collect();
    let mut mapped = 0;
    for to in [Platform::Shopify, Platform::WooCommerce] {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(to, dir.path(), Entity::Orders, &sent).is_empty());
        let spec = EndpointSpec::files(to, dir.path().to_path_buf());
        let mut back = crate::files::open_source(&spec, Path::new(".")).unwrap();
        let (got, _) = rt()
            .block_on(read_all(back.as_mut(), Entity::Orders))
            .unwrap();
        assert_eq!(got.len(), sent.len(), "{to}");
        for ((s, g), &(fs, ss)) in sent.iter().zip(&got).zip(&states) {
            let Record::Order(o) = g else {
                panic!("{to}: not an order: {g:?}")
            };
            let want = platform::file_order_status(to, fs, ss);
            assert_eq!(
                (o.financial_status, o.fulfillment_status),
                want.map_or((fs, ss), |m| (m.financial, m.fulfillment)),
                "{to}: {fs:?}, {ss:?} written as {:?}",
                want.map(|m| m.written)
            );
            let (s, g) = (
                serde_json::to_value(s).unwrap(),
                serde_json::to_value(g).unwrap(),
            );
            let changes = crate::files::readback::diff_changes(&s, &g, to);
            let verdict = crate::files::readback::classify(
                changes,
                &g,
                platform::file_not_carried(to, Entity::Orders),
            );
            assert!(
                !verdict.real().iter().any(|r| r.contains("_status")),
                "{to}: {fs:?}, {ss:?}: {verdict:?}"
            );
            let by_design: Vec<&str> = verdict
                .by_design
                .iter()
                .map(|(f, _)| f.as_str())
                .filter(|f| f.contains("_status:"))
                .collect();
            let changed = usize::from(want.is_some_and(|m| m.financial != fs))
                + usize::from(want.is_some_and(|m| m.fulfillment != ss));
            assert_eq!(
                by_design.len(),
                changed,
                "{to}: {fs:?}, {ss:?}: {verdict:?}"
            );
            mapped += changed;
        }
    }
    // A partly refunded, fulfilled order is WooCommerce's `completed`: it comes back paid.
    let m = platform::file_order_status(Platform::WooCommerce, F::PartiallyRefunded, S::Fulfilled);
    assert_eq!(
        m.map(|m| (m.written, m.financial)),
        Some(("completed", F::Paid))
    );
    assert!(mapped > 0);
}

#[test]
fn the_report_counts_by_design_losses_per_field_and_lists_only_real_differences() {
    let mut r = ConvertReport {
        from: Some(Platform::Shopify),
        to: Some(Platform::WooCommerce),
        read_back: true,
        ..ConvertReport::default()
    };
    r.counts.insert(Entity::Products, (3, 3, 0));
    for key in ["a", "b", "c", "d"] {
        r.not_carried(
            Entity::Products,
            "images[].alt".into(),
            "the Images column holds URLs only",
            key,
        );
    }
    r.moved.insert(
        (
            Entity::Customers,
            "addresses[].phone".into(),
            "phone".into(),
        ),
        7,
    );
    r.filled
        .insert((Entity::Customers, "addresses[].first_name".into()), 2);
    r.lossy.push(Loss {
        entity: Entity::Products,
        key: "hat".into(),
        label: "Hat".into(),
        what: vec!["title: \"Hat\" became \"Cap\"".into()],
    });
    let md = render_report(&r);
    assert!(
        md.contains("## Not carried by WooCommerce's import files, by design (1 field(s))"),
        "{md}"
    );
    // One line for the field, however many records lost it, with the first few as examples.
    assert_eq!(md.matches("images[].alt").count(), 1, "{md}");
    assert!(
        md.contains(
            "| products | images[].alt | 4 | the Images column holds URLs only | a, b, c |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| customers | addresses[].phone | phone | 7 |"),
        "{md}"
    );
    assert!(
        md.contains("| customers | addresses[].first_name | 2 |"),
        "{md}"
    );
    assert!(
        md.contains("## Values that really differ (1 record(s))"),
        "{md}"
    );
    assert!(
        md.contains("- products `hat` (Hat):\n  - title: \"Hat\" became \"Cap\""),
        "{md}"
    );

    r.read_back = false;
    let md = render_report(&r);
    assert!(!md.contains("by design"), "{md}");
    assert!(md.contains("was not read back"), "{md}");
}

#[test]
fn a_value_read_back_in_another_field_is_moved_not_lost() {
    let sent = Record::Customer(Customer {
        source: SourceRef::new("1"),
        email: "a@example.test".into(),
        addresses: vec![Address {
            address1: Some("Kordon 1".into()),
            phone: Some("+90 555 000 00 01".into()),
            default: true,
            ..Address::default()
        }],
        ..Customer::default()
    });
    let mut got = sent.clone();
    if let Record::Customer(c) = &mut got {
        c.phone = c.addresses[0].phone.take();
        c.addresses[0].first_name = Some("Filled".into());
        c.addresses[0].city = Some("İzmir".into());
    }
    let (s, g) = (
        serde_json::to_value(&sent).unwrap(),
        serde_json::to_value(&got).unwrap(),
    );
    let changes = crate::files::readback::diff_changes(&s, &g, Platform::WooCommerce);
    let v = crate::files::readback::classify(changes.clone(), &g, &[]);
    assert_eq!(
        v.moved,
        [("addresses[].phone".to_string(), "phone".to_string())]
    );
    assert_eq!(v.filled, ["addresses[].city", "addresses[].first_name"]);
    assert!(v.real().is_empty(), "{v:?}");
    // A phone that is gone for good is lost, by design where the format says so.
    if let Record::Customer(c) = &mut got {
        c.phone = None;
    }
    let g = serde_json::to_value(&got).unwrap();
    let changes = crate::files::readback::diff_changes(&s, &g, Platform::WooCommerce);
    let v = crate::files::readback::classify(
        changes.clone(),
        &g,
        platform::file_not_carried(Platform::WooCommerce, Entity::Customers),
    );
    assert!(v.moved.is_empty(), "{v:?}");
    assert_eq!(v.by_design.len(), 1, "{v:?}");
    assert_eq!(v.by_design[0].0, "addresses[].phone");
    let v = crate::files::readback::classify(changes, &g, &[]);
    assert_eq!(
        v.real(),
        ["addresses[0].phone: \"+90 555 000 00 01\" became (none)"]
    );
}

#[test]
fn customers_without_an_email_are_skipped_addressed_or_written_for_the_owner() {
    let person = |id: &str, email: &str, phone: &str| {
        Record::Customer(Customer {
            source: SourceRef::new(id),
            email: email.into(),
            phone: (!phone.is_empty()).then(|| phone.to_string()),
            first_name: Some(format!("Name {id}")),
            ..Customer::default()
        })
    };
    let records = vec![
        person("1", "a@example.test", ""),
        person("2", "", "+90 555 000 00 02"),
        person("3", "", "+905550000002"), // the same number: a distinct address
        person("4", "", "12"),            // too few digits to name an address by
    ];
    let src = tempfile::tempdir().unwrap();
    assert!(write(Platform::Shopify, src.path(), Entity::Customers, &records).is_empty());
    let file = only_file(src.path());
    let run = |choice: NoEmail, to: Platform| {
        let out = tempfile::tempdir().unwrap();
        let report = rt()
            .block_on(convert(
                Platform::Shopify,
                std::slice::from_ref(&file),
                to,
                out.path(),
                &ConvertOptions {
                    customers_without_email: choice,
                    ..ConvertOptions::default()
                },
            ))
            .unwrap();
        (report, out)
    };
    let (r, out) = run(
        NoEmail::Domain("shop.example".into()),
        Platform::WooCommerce,
    );
    assert_eq!(r.counts[&Entity::Customers], (4, 4, 0));
    let given: Vec<&str> = r
        .no_email
        .addressed
        .iter()
        .map(|(_, a)| a.as_str())
        .collect();
    // The second customer with the same number gets its id (as Shopify's file gives it) added.
    assert_eq!(given.len(), 3, "{given:?}");
    assert_eq!(given[0], "phone-905550000002@shop.example");
    assert!(
        given[1].starts_with("phone-905550000002-") && given[1].ends_with("@shop.example"),
        "{given:?}"
    );
    assert!(
        given[2].starts_with("customer-") && given[2].ends_with("@shop.example"),
        "{given:?}"
    );
    assert!(r.lossy.is_empty(), "{:?}", r.lossy);
    let md = std::fs::read_to_string(out.path().join("convert-report.md")).unwrap();
    assert!(md.contains("- 3 given an address on shop.example"), "{md}");

    let (r, out) = run(NoEmail::OwnerFile, Platform::Magento);
    assert_eq!(r.counts[&Entity::Customers], (4, 1, 3));
    assert_eq!(r.no_email.to_owner, 3);
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    let owner = std::fs::read_to_string(out.path().join(crate::no_email::OWNER_FILE)).unwrap();
    assert_eq!(owner.lines().count(), 4, "{owner}");
    // The owner's file is not taken for an import file when the output is read back.
    assert!(r.read_back);

    let (r, _) = run(NoEmail::Skip, Platform::WooCommerce);
    assert_eq!(r.counts[&Entity::Customers], (4, 1, 3));
    assert_eq!(r.refused.len(), 3);
    assert!(r.refused[0].what[0].contains("no email, and WooCommerce needs one"));

    // Shopify keys customers by phone: nothing to decide.
    let (r, _) = run(NoEmail::Skip, Platform::Shopify);
    assert_eq!(r.counts[&Entity::Customers], (4, 4, 0));
    assert_eq!(r.no_email.total(), 0);
}
