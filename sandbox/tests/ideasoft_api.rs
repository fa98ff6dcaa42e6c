//! The Ideasoft Admin API connector against the Ideasoft sandbox.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use storeshift_connectors::api::ideasoft::{IdeasoftSource, IdeasoftTarget};
use storeshift_connectors::model::{Entity, Platform, Product, Record};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::ideasoft::{IdeasoftConfig, IdeasoftSandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::extract_all;

fn spec_with(server: &Running, credentials: &[(&str, &str)]) -> EndpointSpec {
    let cfg = IdeasoftConfig::default();
    std::env::set_var("STORESHIFT_TEST_IDEASOFT_TOKEN", &cfg.access_token);
    std::env::set_var("STORESHIFT_TEST_IDEASOFT_CLIENT", &cfg.client_id);
    std::env::set_var("STORESHIFT_TEST_IDEASOFT_SECRET", &cfg.client_secret);
    std::env::set_var("STORESHIFT_TEST_IDEASOFT_REFRESH", &cfg.refresh_token);
    std::env::set_var("STORESHIFT_TEST_IDEASOFT_WRONG", "not-the-token");
    EndpointSpec {
        platform: Platform::Ideasoft,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: credentials
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        currency: Some("TRY".into()),
        encoding: None,
        timezone: None,
        options: [
            ("timeout_ms", json!(400)),
            ("retry_base_ms", json!(5)),
            ("retry_max_ms", json!(50)),
            ("breaker_cooldown_ms", json!(20)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        mapping: None,
    }
}

fn spec(server: &Running) -> EndpointSpec {
    spec_with(server, &[("token", "STORESHIFT_TEST_IDEASOFT_TOKEN")])
}

fn roomy() -> IdeasoftConfig {
    IdeasoftConfig {
        quota: 100_000,
        ..Default::default()
    }
}

fn product(r: &Record) -> &Product {
    match r {
        Record::Product(p) => p,
        other => panic!("expected a product, got {other:?}"),
    }
}

/// A store seeded with `n` products, read back through the connector (categories first).
async fn source_records(n: usize) -> (Vec<Record>, Vec<Record>) {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_catalog(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let cats = extract_all(&mut src, Entity::Categories, 100).await.0;
    let products = extract_all(&mut src, Entity::Products, 100).await.0;
    (cats, products)
}

/// A target store as its owner set it up: the brands exist, the catalogue is empty.
fn empty_target(config: IdeasoftConfig) -> IdeasoftSandbox {
    let sb = IdeasoftSandbox::new(config);
    sb.add_brand("Anadolu Tekstil");
    sb.add_brand("Ege Deri");
    sb
}

/// An empty target whose option groups exist already (a rollback then leaves it as it was:
/// option groups are shared vocabulary, never deleted with a product).
fn prepared_target(config: IdeasoftConfig) -> IdeasoftSandbox {
    let sb = empty_target(config);
    sb.add_option_group("Renk", &["Kırmızı", "Lacivert"]);
    sb.add_option_group("Beden", &["S", "M"]);
    sb
}

#[tokio::test]
async fn extracts_categories_products_with_variants_and_members_page_by_page() {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_catalog(23);
    sb.seed_customers(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");

    let (cats, _) = extract_all(&mut src, Entity::Categories, 100).await;
    let paths: Vec<Vec<String>> = cats
        .iter()
        .map(|r| match r {
            Record::Category(c) => c.path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(paths.contains(&vec!["Giyim".to_string(), "Kadın".to_string()]));

    // 23 products and 32 variants are listed flat: pages of 10 ids hold fewer products.
    let (products, pages) = extract_all(&mut src, Entity::Products, 10).await;
    assert_eq!(products.len(), 23);
    assert!(pages >= 6, "{pages} pages");
    let p0 = product(&products[0]);
    assert_eq!(p0.handle, "orgu-kazak-0");
    assert_eq!(p0.source.url_path.as_deref(), Some("/urun/orgu-kazak-0"));
    assert_eq!(p0.options.len(), 2);
    assert_eq!(p0.options[0].name, "Renk");
    assert_eq!(p0.options[0].values, vec!["Kırmızı", "Lacivert"]);
    assert_eq!(p0.variants.len(), 4);
    assert_eq!(p0.variants[1].sku.as_deref(), Some("IS-0-KIR-M"));
    assert_eq!(p0.variants[1].option_values, vec!["Kırmızı", "M"]);
    // Seeded with price1 100.5 and 5 TL off.
    let v = &p0.variants[0];
    assert_eq!(
        v.price.as_ref().map(|m| m.amount.to_string()).as_deref(),
        Some("95.5")
    );
    assert_eq!(v.price.as_ref().map(|m| m.currency.as_str()), Some("TRY"));
    assert_eq!(
        v.compare_at_price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("100.5")
    );
    assert_eq!(p0.body_html, "<p>Yün karışımlı kazak 0.</p>");
    assert_eq!(
        p0.categories,
        vec![vec!["Giyim".to_string(), "Kadın".to_string()]]
    );
    assert_eq!(p0.vendor.as_deref(), Some("Anadolu Tekstil"));
    assert_eq!(p0.images.len(), 2);
    assert_eq!(p0.images[0].src, "https://cdn.example.com/ideasoft/0-1.jpg");
    assert_eq!(p0.tags, vec!["kazak", "kış"]);
    // Product 1: a percentage discount (10 % of 101.5) and no variants.
    let p1 = product(&products[1]);
    assert!(p1.options.is_empty());
    assert_eq!(p1.variants[0].sku.as_deref(), Some("IS-1"));
    assert_eq!(
        p1.variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("91.35")
    );

    let (members, member_pages) = extract_all(&mut src, Entity::Customers, 5).await;
    assert_eq!((members.len(), member_pages), (12, 3));
    let Record::Customer(c) = &members[1] else {
        panic!()
    };
    assert_eq!(c.email, "uye1@example.com");
    assert_eq!(c.last_name.as_deref(), Some("Yılmaz"));
    assert!(c.marketing.email);
    assert_eq!(c.addresses[0].province.as_deref(), Some("İstanbul"));
}

#[tokio::test]
async fn loading_twice_creates_once_and_rollback_restores_the_store() {
    let (cats, products) = source_records(12).await;
    let target = prepared_target(roomy());
    target.seed_customers(2);
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");

    let cat_out = t
        .write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    let first = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("load");
    for o in cat_out.iter().chain(&first) {
        assert!(matches!(o, WriteOutcome::Created { .. }), "{o:?}");
    }
    let second = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("again");
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{second:?}"
    );
    assert_eq!(target.product_count(), 12);
    assert_eq!(target.variant_count(), 16);
    assert!(target.creation_log().duplicates().is_empty());
    // Images cannot travel by URL: one finding per product, never a failed product.
    let findings = t.take_findings();
    assert!(findings.iter().any(|f| f.code == "image_not_moved"));
    assert!(
        findings.iter().all(|f| f.code == "image_not_moved"),
        "{findings:?}"
    );

    let found = t
        .lookup(Entity::Products, "orgu-kazak-7")
        .await
        .expect("lookup");
    assert!(found.is_some());
    assert_eq!(
        t.lookup(Entity::Products, "no-such-product")
            .await
            .expect("lookup"),
        None
    );
    assert!(t
        .lookup(Entity::Categories, "kadin")
        .await
        .expect("lookup")
        .is_some());

    // Rollback: products first (their variants and descriptions go with them), then the
    // categories in the order they were created — parents before children, as a rollback
    // plan may list them; a parent takes its subcategories along.
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    for o in cat_out.iter() {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Categories, target_id)
                .await
                .expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn every_fault_kind_still_lands_every_product_once() {
    let (cats, products) = source_records(10).await;
    let target = empty_target(roomy());
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    target.faults.after(&[
        (
            2,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (4, Fault::Status(500)),
        (6, Fault::Status(502)),
        (8, Fault::Status(503)),
        (11, Fault::Slow(Duration::from_millis(900))),
        (14, Fault::Reset),
        (17, Fault::MalformedJson),
        (21, Fault::Slow(Duration::from_millis(900))),
        (25, Fault::Reset),
        (29, Fault::MalformedJson),
        (33, Fault::Status(503)),
    ]);
    let out = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 11);
    assert_eq!(target.product_count(), 10);
    assert_eq!(target.variant_count(), 16);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    // Every product has its description exactly once.
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let (back, _) = extract_all(&mut src, Entity::Products, 100).await;
    assert_eq!(back.len(), 10);
    assert!(back
        .iter()
        .all(|r| product(r).body_html.starts_with("<p>Yün")));
}

#[tokio::test]
async fn a_refused_product_fails_alone_with_ideasofts_message() {
    let (cats, mut products) = source_records(6).await;
    if let Record::Product(p) = &mut products[2] {
        p.variants[0].price = Some(storeshift_connectors::model::Money::new(
            rust_decimal::Decimal::new(-500, 2),
            "TRY",
        ));
    }
    // A product without a name is never sent: the document requires one.
    if let Record::Product(p) = &mut products[4] {
        p.title = "  ".into();
    }
    let target = empty_target(roomy());
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    let out = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("load");
    assert!(
        matches!(&out[2], WriteOutcome::Failed { message } if message.contains("HTTP 422") && message.contains("price1: This value should be greater than or equal to 0.")),
        "{out:?}"
    );
    assert!(
        matches!(&out[4], WriteOutcome::Failed { message } if message.contains("requires a product name")),
        "{out:?}"
    );
    assert!(t
        .take_findings()
        .iter()
        .any(|f| f.code == "product_name_missing"));
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, WriteOutcome::Created { .. }))
            .count(),
        4
    );
    assert_eq!(target.product_count(), 4);
}

#[tokio::test]
async fn members_upsert_by_email_and_a_bad_address_fails_alone() {
    let src_sb = IdeasoftSandbox::new(roomy());
    src_sb.seed_customers(8);
    let src_server = src_sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&src_server)).expect("open");
    let (mut members, _) = extract_all(&mut src, Entity::Customers, 100).await;
    if let Record::Customer(c) = &mut members[3] {
        c.email = "not-an-email".into();
    }
    let target = IdeasoftSandbox::new(roomy());
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Customers, &members)
        .await
        .expect("load");
    assert!(
        matches!(&out[3], WriteOutcome::Failed { message } if message.contains("not a valid email")),
        "{out:?}"
    );
    let again = t
        .write_batch(Entity::Customers, &members)
        .await
        .expect("again");
    assert_eq!(
        again
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Updated { .. }))
            .count(),
        7
    );
    assert_eq!(target.member_count(), 7);
    assert!(target.creation_log().duplicates().is_empty());
    // The seeded members live in İstanbul, TR: both are references into the store's lists.
    let WriteOutcome::Updated { target_id } = &again[0] else {
        panic!("{again:?}")
    };
    let stored = target
        .record("members", target_id.parse().expect("id"))
        .expect("member");
    assert_eq!(stored["location"]["name"], "İstanbul");
    assert_eq!(stored["country"]["code"], "TR");
    assert!(stored.get("password").is_none(), "never shown: {stored}");
    assert!(t
        .lookup(Entity::Customers, "UYE5@example.com")
        .await
        .expect("lookup")
        .is_some());
}

/// What Ideasoft carries for a product, ids left out.
fn view(p: &Product) -> Value {
    json!({
        "handle": p.handle, "title": p.title, "body": p.body_html, "vendor": p.vendor, "tags": p.tags,
        "status": p.status, "options": p.options, "categories": p.categories, "seo": p.seo,
        "attributes": p.attributes,
        "variants": p.variants.iter().map(|v| json!({
            "sku": v.sku, "barcode": v.barcode, "price": v.price, "compare": v.compare_at_price, "cost": v.cost,
            "inventory": v.inventory, "values": v.option_values, "taxable": v.taxable,
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn ideasoft_to_canonical_to_ideasoft_keeps_the_fields() {
    let (cats, products) = source_records(9).await;
    let target = prepared_target(roomy());
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    t.write_batch(Entity::Products, &products)
        .await
        .expect("load");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let (cats_back, _) = extract_all(&mut src, Entity::Categories, 100).await;
    let (back, _) = extract_all(&mut src, Entity::Products, 100).await;
    assert_eq!(back.len(), products.len());
    for (a, b) in products.iter().zip(&back) {
        assert_eq!(view(product(a)), view(product(b)));
    }
    let cat_view = |rs: &[Record]| -> Vec<Value> {
        rs.iter()
            .map(|r| match r {
                Record::Category(c) => json!([c.handle, c.path, c.description_html, c.seo]),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(cat_view(&cats), cat_view(&cats_back));
}

#[tokio::test]
async fn a_spent_request_window_is_waited_out_not_hammered() {
    let (cats, products) = source_records(6).await;
    let target = empty_target(IdeasoftConfig {
        quota: 20,
        window_ms: 400,
        ..Default::default()
    });
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    let out = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.product_count(), 6);
    assert_eq!(target.rate_limited(), 0, "the client waits for the reset");
    assert!(t.api_stats().is_some_and(|s| s.budget_used_pct.is_some()));
}

#[tokio::test]
async fn an_expired_token_is_renewed_with_the_refresh_token() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig {
        token_ttl_requests: Some(3),
        ..roomy()
    });
    sb.seed_customers(25);
    let server = sb.start(0).await.expect("bind");
    let creds = [
        ("token", "STORESHIFT_TEST_IDEASOFT_TOKEN"),
        ("client_id", "STORESHIFT_TEST_IDEASOFT_CLIENT"),
        ("client_secret", "STORESHIFT_TEST_IDEASOFT_SECRET"),
        ("refresh_token", "STORESHIFT_TEST_IDEASOFT_REFRESH"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = spec_with(&server, &creds);
    spec.options.insert(
        "token_file".into(),
        json!(dir.path().join("tokens.json").display().to_string()),
    );
    let mut src = IdeasoftSource::open(&spec).expect("open");
    // 13 pages of 2: the token expires after every third request.
    let (members, pages) = extract_all(&mut src, Entity::Customers, 2).await;
    assert_eq!((members.len(), pages), (25, 13));
    assert!(sb.refreshes() >= 4, "{} renewals", sb.refreshes());
    assert_eq!(sb.spent_refresh_attempts(), 0);
}

#[tokio::test]
async fn a_refused_token_is_reported_without_its_value() {
    let sb = IdeasoftSandbox::new(roomy());
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec_with(
        &server,
        &[("token", "STORESHIFT_TEST_IDEASOFT_WRONG")],
    ))
    .expect("open");
    let err = src
        .read_page(Entity::Products, None, 10)
        .await
        .expect_err("refused")
        .to_string();
    assert!(err.contains("401") && err.contains("access token"), "{err}");
    assert!(!err.contains("not-the-token"), "{err}");
    let missing = IdeasoftSource::open(&spec_with(&server, &[]))
        .err()
        .map(|e| e.to_string());
    assert!(missing.is_some_and(|m| m.contains("IDEASOFT_TOKEN")));
}

mod prices {
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;
    use storeshift_connectors::api::ideasoft::{prices_from, prices_to};
    use storeshift_connectors::model::Entity;
    use storeshift_connectors::platform::ideasoft::{currency_abbr, currency_iso, url_path};

    const AMOUNT: i64 = 0;
    const PERCENT: i64 = 1;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn discounts_of_both_kinds_become_a_compare_at_price() {
        assert_eq!(
            prices_from(d("120"), d("20"), AMOUNT),
            (d("100"), Some(d("120")))
        );
        assert_eq!(
            prices_from(d("200"), d("15"), PERCENT),
            (d("170"), Some(d("200")))
        );
        assert_eq!(prices_from(d("99.90"), d("0"), PERCENT), (d("99.90"), None));
        assert_eq!(
            prices_from(d("10"), d("25"), AMOUNT),
            (d("0"), Some(d("10")))
        );
        assert_eq!(
            prices_to(d("100"), Some(d("120"))),
            (d("120"), d("20"), AMOUNT)
        );
        assert_eq!(
            prices_to(d("100"), Some(d("80"))),
            (d("100"), d("0"), AMOUNT)
        );
    }

    #[test]
    fn lira_is_tl_on_ideasoft_and_try_everywhere_else() {
        assert_eq!(currency_abbr("TRY"), "TL");
        assert_eq!(currency_iso("TL"), "TRY");
        assert_eq!(currency_iso(&currency_abbr("EUR")), "EUR");
        assert_eq!(
            url_path(Entity::Categories, "kadin-giyim"),
            "/kategori/kadin-giyim"
        );
        assert_eq!(url_path(Entity::Products, "mavi-kazak"), "/urun/mavi-kazak");
    }

    proptest! {
        #[test]
        fn prices_survive_the_round_trip_through_price1_and_discount(
            cents in 0i64..10_000_000, extra in 0i64..5_000_000, discounted in any::<bool>()
        ) {
            let price = Decimal::new(cents, 2);
            let compare = discounted.then(|| Decimal::new(cents + extra, 2));
            let (price1, discount, kind) = prices_to(price, compare);
            let (back, back_compare) = prices_from(price1, discount, kind);
            prop_assert_eq!(back, price);
            prop_assert_eq!(back_compare, compare.filter(|c| *c > price));
        }
    }
}

#[tokio::test]
async fn orders_are_read_with_their_lines_kdv_and_totals() {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_orders(9);
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    assert!(src.entities().contains(&Entity::Orders));
    let (orders, pages) = extract_all(&mut src, Entity::Orders, 4).await;
    assert_eq!((orders.len(), pages), (9, 3));
    for r in &orders {
        let Record::Order(o) = r else { panic!("{r:?}") };
        assert_eq!(o.currency, "TRY");
        assert_eq!(
            o.computed_total(),
            o.totals.total.amount,
            "order {}",
            o.number
        );
    }
    let Record::Order(o0) = &orders[0] else {
        panic!()
    };
    assert_eq!(o0.number, "IS001000");
    assert_eq!(o0.email.as_deref(), Some("uye0@example.com"));
    assert_eq!(
        o0.fulfillment_status,
        storeshift_connectors::model::FulfillmentStatus::Cancelled
    );
    assert_eq!(o0.discounts[0].amount.amount.to_string(), "10");
    // 150 TL with 20 % KDV included carries 25 TL of tax.
    assert_eq!(
        o0.line_items[0].tax_lines[0].amount.amount.to_string(),
        "25"
    );
    assert_eq!(
        o0.shipping_address.as_ref().and_then(|a| a.city.as_deref()),
        Some("Kadıköy")
    );
    let Record::Order(o1) = &orders[1] else {
        panic!()
    };
    assert_eq!(
        o1.financial_status,
        storeshift_connectors::model::FinancialStatus::Paid
    );
    assert_eq!(o1.line_items[0].quantity, 2);
}

#[tokio::test]
async fn reads_and_member_writes_survive_faults_too() {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_catalog(8);
    sb.seed_customers(9);
    let server = sb.start(0).await.expect("bind");
    sb.faults.after(&[
        (1, Fault::Status(503)),
        (3, Fault::Reset),
        (5, Fault::MalformedJson),
        (
            7,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (9, Fault::Slow(Duration::from_millis(900))),
        (12, Fault::Status(502)),
    ]);
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let (products, _) = extract_all(&mut src, Entity::Products, 3).await;
    assert_eq!(products.len(), 8);
    assert_eq!(product(&products[6]).variants.len(), 4);
    let (members, _) = extract_all(&mut src, Entity::Customers, 4).await;
    assert_eq!(members.len(), 9);
    assert_eq!(sb.faults.injected(), 6);

    let target = IdeasoftSandbox::new(roomy());
    let tserver = target.start(0).await.expect("bind");
    target.faults.after(&[
        (2, Fault::Status(500)),
        (4, Fault::Slow(Duration::from_millis(900))),
        (6, Fault::Reset),
        (8, Fault::MalformedJson),
        (10, Fault::Status(503)),
    ]);
    let mut t = IdeasoftTarget::open(&spec(&tserver)).expect("open");
    let out = t
        .write_batch(Entity::Customers, &members)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 5);
    assert_eq!(target.member_count(), 9);
    assert!(target.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn a_product_without_a_handle_is_found_again_by_the_slug_made_from_its_name() {
    let (cats, mut products) = source_records(3).await;
    if let Record::Product(p) = &mut products[1] {
        p.handle = String::new();
    }
    let target = empty_target(roomy());
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    let first = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("load");
    let second = t
        .write_batch(Entity::Products, &products)
        .await
        .expect("again");
    assert!(
        matches!(first[1], WriteOutcome::Created { .. }),
        "{first:?}"
    );
    assert!(
        matches!(second[1], WriteOutcome::Updated { .. }),
        "{second:?}"
    );
    assert_eq!(target.product_count(), 3);
    assert!(t
        .lookup(Entity::Products, "orgu-kazak-1")
        .await
        .expect("lookup")
        .is_some());
}

#[tokio::test]
async fn pages_move_both_ways_and_upsert_by_slug() {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_pages(4);
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let (pages, _) = extract_all(&mut src, Entity::Pages, 3).await;
    assert_eq!(pages.len(), 4);
    let Record::Page(p0) = &pages[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "kargo-ve-iade-0");
    assert_eq!(
        p0.source.url_path.as_deref(),
        Some("/sayfa/kargo-ve-iade-0")
    );
    assert!(p0.published);
    let Record::Page(p3) = &pages[3] else {
        panic!()
    };
    assert!(!p3.published);

    let target = IdeasoftSandbox::new(roomy());
    let before = target.fingerprint();
    let tserver = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&tserver)).expect("open");
    let first = t.write_batch(Entity::Pages, &pages).await.expect("load");
    let second = t.write_batch(Entity::Pages, &pages).await.expect("again");
    assert!(
        first
            .iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{first:?}"
    );
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{second:?}"
    );
    assert!(target.creation_log().duplicates().is_empty());
    let mut back_src = IdeasoftSource::open(&spec(&tserver)).expect("open");
    let (back, _) = extract_all(&mut back_src, Entity::Pages, 100).await;
    let view = |rs: &[Record]| -> Vec<Value> {
        rs.iter()
            .map(|r| match r {
                Record::Page(p) => json!([p.handle, p.title, p.body_html, p.published, p.seo]),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(view(&pages), view(&back));
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Pages, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn a_product_linked_to_a_vanished_category_is_read_with_a_finding() {
    let sb = IdeasoftSandbox::new(roomy());
    sb.seed_catalog(3);
    sb.link_missing_category(1);
    let server = sb.start(0).await.expect("bind");
    let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
    let page = src
        .read_page(Entity::Products, None, 100)
        .await
        .expect("page");
    assert_eq!(page.records.len(), 3);
    assert_eq!(product(&page.records[1]).categories.len(), 2);
    assert_eq!(page.findings.len(), 1, "{:?}", page.findings);
    assert_eq!(page.findings[0].code, "category_unreadable");
    assert!(
        page.findings[0].message.contains("404"),
        "{}",
        page.findings[0].message
    );
}

/// Any product Ideasoft can hold comes back from a write and a read as it went in.
mod round_trip_property {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use storeshift_connectors::model::{
        Money, ProductKind, ProductOption, ProductStatus, Seo, SourceRef, Variant,
    };

    fn money(cents: i64) -> Money {
        Money::new(Decimal::new(cents, 2).normalize(), "TRY")
    }

    fn words() -> impl Strategy<Value = String> {
        "[A-Za-zÇĞİÖŞÜçğıöşü0-9][A-Za-zÇĞİÖŞÜçğıöşü0-9 ]{0,14}[A-Za-zçğıöşü0-9]"
    }

    prop_compose! {
        fn prices()(cents in 0i64..5_000_000, extra in prop::option::of(1i64..100_000),
                    cost in prop::option::of(1i64..1_000_000), stock in 0i64..5_000)
            -> (Money, Option<Money>, Option<Money>, i64) {
            (money(cents), extra.map(|e| money(cents + e)), cost.map(money), stock)
        }
    }

    prop_compose! {
        fn products()(
            handle in "[a-z0-9]{1,10}(-[a-z0-9]{1,8}){0,2}",
            title in words(),
            body in ".{0,60}",
            vendor in prop::option::of(prop::sample::select(vec!["Anadolu Tekstil", "Ege Deri"])),
            tags in prop::collection::vec("[a-zçğıöşü]{1,8}", 0..4),
            active in any::<bool>(),
            taxable in any::<bool>(),
            seo_title in prop::option::of(words()),
            seo_description in prop::option::of(words()),
            barcode in prop::option::of("[0-9]{8,13}"),
            option_values in prop::collection::vec(prop::collection::btree_set(words(), 1..3), 0..3),
            price_list in prop::collection::vec(prices(), 9),
        ) -> Product {
            let names = ["Renk", "Beden", "Materyal"];
            let options: Vec<ProductOption> = option_values
                .iter()
                .enumerate()
                .map(|(i, vals)| ProductOption { name: names[i].to_string(), values: vals.iter().cloned().collect() })
                .collect();
            // Every combination of the option values, in order.
            let mut combos: Vec<Vec<String>> = vec![vec![]];
            for o in &options {
                combos = combos
                    .into_iter()
                    .flat_map(|c| o.values.iter().map(move |v| { let mut c = c.clone(); c.push(v.clone()); c }))
                    .collect();
            }
            let variants = combos
                .into_iter()
                .enumerate()
                .map(|(i, values)| {
                    let (price, compare, cost, stock) = price_list[i % price_list.len()].clone();
                    Variant {
                        sku: Some(format!("{handle}-sku-{i}")),
                        barcode: if i == 0 { barcode.clone() } else { None },
                        price: Some(price),
                        compare_at_price: compare,
                        cost,
                        inventory: Some(stock),
                        option_values: values,
                        taxable,
                        ..Default::default()
                    }
                })
                .collect();
            Product {
                source: SourceRef::new("generated"),
                kind: if options.is_empty() { ProductKind::Simple } else { ProductKind::Variable },
                handle, title, body_html: body,
                vendor: vendor.map(str::to_string),
                tags,
                status: if active { ProductStatus::Active } else { ProductStatus::Draft },
                options, variants,
                seo: Seo { title: seo_title, description: seo_description },
                ..Default::default()
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn products_survive_a_write_and_a_read(p in products()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let back = rt.block_on(async {
                let target = empty_target(roomy());
                let server = target.start(0).await.expect("bind");
                let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
                let out = t.write_batch(Entity::Products, &[Record::Product(p.clone())]).await.expect("load");
                assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
                let mut src = IdeasoftSource::open(&spec(&server)).expect("open");
                extract_all(&mut src, Entity::Products, 100).await.0
            });
            prop_assert_eq!(back.len(), 1);
            prop_assert_eq!(view(product(&back[0])), view(&p));
        }
    }
}

#[tokio::test]
async fn a_slug_two_products_share_is_refused_not_guessed() {
    let (cats, mut products) = source_records(2).await;
    let target = empty_target(roomy());
    let twins = target.add_duplicate_slug("ikiz-kazak", "İkiz Kazak");
    let server = target.start(0).await.expect("bind");
    let mut t = IdeasoftTarget::open(&spec(&server)).expect("open");
    t.write_batch(Entity::Categories, &cats)
        .await
        .expect("categories");
    if let Record::Product(p) = &mut products[1] {
        p.handle = "ikiz-kazak".into();
    }
    let out = t
        .write_batch(Entity::Products, &products[1..])
        .await
        .expect("load");
    let WriteOutcome::Failed { message } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(
        message.contains(&format!("ids {}, {}", twins[0], twins[1]))
            && message.contains("ikiz-kazak"),
        "{message}"
    );
    assert!(t.take_findings().iter().any(|f| f.code == "ambiguous_match"
        && f.severity == storeshift_connectors::finding::Severity::Blocking));
    // Neither twin was touched, and no third product was made.
    assert_eq!(target.product_count(), 2);
    for id in &twins {
        let twin = target.record("products", *id).expect("twin");
        assert_eq!(twin["name"], "İkiz Kazak", "{twin}");
    }
    // A look-up after a crash fails instead of picking one: the runtime raises an intervention.
    let err = t
        .lookup(Entity::Products, "ikiz-kazak")
        .await
        .expect_err("ambiguous")
        .to_string();
    assert!(
        err.contains("2 records in /products") && err.contains("will not guess"),
        "{err}"
    );
}
