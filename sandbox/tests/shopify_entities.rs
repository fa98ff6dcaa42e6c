//! Collections, pages, redirects and orders through the Shopify connector and sandbox: round
//! trips, idempotent reloads, lookups, rollback, rejected records and faults on creates.

use rust_decimal::Decimal;
use serde_json::json;
use std::time::Duration;
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, quick, read_all};

fn spec(server: &Running, extra: serde_json::Value) -> EndpointSpec {
    let token = ShopifyConfig::default().token;
    let mut options = quick(json!({ "bulk_poll_ms": 20 }));
    if let (Some(o), Some(extra)) = (options.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    api_spec(
        Platform::Shopify,
        server.url(),
        &[("token", &token)],
        options,
    )
}

fn roomy() -> ShopifySandbox {
    ShopifySandbox::new(ShopifyConfig {
        bucket: 100_000.0,
        restore_rate: 100_000.0,
        ..Default::default()
    })
}

fn usd(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), "USD")
}

fn categories() -> Vec<Record> {
    let cat = |handle: &str, path: &[&str], seo: bool| {
        Record::Category(Category {
            source: SourceRef::new(format!("src-{handle}")),
            handle: handle.into(),
            path: path.iter().map(|p| p.to_string()).collect(),
            description_html: format!("<p>All of {}</p>", path.join(" / ")),
            seo: if seo {
                Seo {
                    title: Some(format!("{} | Shop", path[path.len() - 1])),
                    description: Some("Browse the range".into()),
                }
            } else {
                Seo::default()
            },
            position: None,
            image: seo.then(|| format!("https://cdn.example.com/c/{handle}.jpg")),
        })
    };
    vec![
        cat("clothing", &["Clothing"], true),
        cat("clothing-tshirts", &["Clothing", "T-shirts"], false),
        cat(
            "clothing-tshirts-v-neck",
            &["Clothing", "T-shirts", "V-neck"],
            true,
        ),
        cat("sale", &["Sale"], false),
    ]
}

fn pages() -> Vec<Record> {
    (0usize..5)
        .map(|i| {
            Record::Page(Page {
                source: SourceRef::new(format!("page-{i}")),
                handle: format!("about-{i}"),
                title: format!("About us {i}"),
                body_html: format!("<p>We sell things, part {i}.</p>"),
                published: i != 3,
                seo: if i.is_multiple_of(2) {
                    Seo {
                        title: Some(format!("About {i}")),
                        description: Some("Who we are".into()),
                    }
                } else {
                    Seo::default()
                },
                created_at: None,
            })
        })
        .collect()
}

fn redirects(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            Record::Redirect(Redirect {
                source: SourceRef::new(format!("r{i}")),
                from: format!("/old-shop/item-{i}.html"),
                to: format!("/products/item-{i}"),
            })
        })
        .collect()
}

fn order(i: usize, email: &str) -> Record {
    let vat = |cents| TaxLine {
        title: "VAT".into(),
        rate: Decimal::new(2, 1),
        amount: usd(cents),
    };
    Record::Order(Box::new(Order {
        source: SourceRef::new(format!("o{i}")),
        number: format!("{}", 5001 + i),
        email: Some(email.into()),
        customer_ref: None,
        currency: "USD".into(),
        presentment: None,
        line_items: vec![
            LineItem {
                sku: Some(format!("SKU-{i}")),
                title: "Wool hat".into(),
                variant_title: Some("Blue".into()),
                quantity: 2,
                price: usd(1500),
                total_discount: None,
                tax_lines: vec![vat(600)],
                product_ref: None,
            },
            LineItem {
                sku: None,
                title: "Gift card note".into(),
                variant_title: None,
                quantity: 1,
                price: usd(500),
                total_discount: None,
                tax_lines: vec![vat(100)],
                product_ref: None,
            },
        ],
        tax_lines: vec![vat(700)],
        discounts: vec![Discount {
            code: "WELCOME5".into(),
            amount: usd(500),
        }],
        shipping_lines: vec![ShippingLine {
            title: "Standard".into(),
            code: Some("STD".into()),
            price: usd(495),
            tax_lines: vec![],
        }],
        transactions: vec![Transaction {
            kind: "sale".into(),
            status: "success".into(),
            gateway: Some("manual".into()),
            amount: usd(4195),
            processed_at: Timestamp::parse_api("2023-05-04T10:00:00Z"),
        }],
        totals: OrderTotals {
            subtotal: usd(3500),
            discounts: usd(500),
            shipping: usd(495),
            tax: usd(700),
            total: usd(4195),
        },
        financial_status: FinancialStatus::Paid,
        fulfillment_status: FulfillmentStatus::Fulfilled,
        created_at: Timestamp::parse_api("2023-05-04T09:58:00Z"),
        processed_at: Timestamp::parse_api("2023-05-04T09:58:00Z"),
        cancelled_at: None,
        billing_address: Some(Address {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            address1: Some("1 Main St".into()),
            city: Some("London".into()),
            country_code: Some("GB".into()),
            zip: Some("N1 1AA".into()),
            ..Default::default()
        }),
        shipping_address: None,
        note: Some(format!("order {i}")),
        tags: vec!["imported".into()],
    }))
}

/// `order(i)` as a customer paying in euros saw it: every amount in EUR beside the shop's USD.
fn paid_in_euros(i: usize) -> Record {
    let mut r = order(i, "guest@example.org");
    let eur = |cents| Money::new(Decimal::new(cents, 2), "EUR");
    let line = |price, tax| PresentedLine {
        price: eur(price),
        total_discount: None,
        tax_lines: vec![eur(tax)],
    };
    if let Record::Order(o) = &mut r {
        o.presentment = Some(Presentment {
            currency: "EUR".into(),
            totals: OrderTotals {
                subtotal: eur(3220),
                discounts: eur(460),
                shipping: eur(455),
                tax: eur(644),
                total: eur(3859),
            },
            line_items: vec![line(1380, 552), line(460, 92)],
            shipping_lines: vec![PresentedLine {
                price: eur(455),
                total_discount: None,
                tax_lines: vec![],
            }],
            tax_lines: vec![eur(644)],
            transactions: vec![eur(3859)],
        });
    }
    r
}

async fn load(t: &mut ShopifyTarget, entity: Entity, records: &[Record]) -> Vec<WriteOutcome> {
    t.write_batch(entity, records).await.expect("load")
}

fn created(out: &[WriteOutcome]) -> usize {
    out.iter()
        .filter(|o| matches!(o, WriteOutcome::Created { .. }))
        .count()
}

fn updated(out: &[WriteOutcome]) -> usize {
    out.iter()
        .filter(|o| matches!(o, WriteOutcome::Updated { .. }))
        .count()
}

#[tokio::test]
async fn categories_pages_and_redirects_round_trip_and_reload_as_updates() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut t =
        ShopifyTarget::open(&spec(&server, json!({ "mutations_per_request": 3 }))).expect("open");
    let (cats, pgs, reds) = (categories(), pages(), redirects(7));
    assert_eq!(created(&load(&mut t, Entity::Categories, &cats).await), 4);
    assert_eq!(created(&load(&mut t, Entity::Pages, &pgs).await), 5);
    assert_eq!(created(&load(&mut t, Entity::Redirects, &reds).await), 7);

    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let back = read_all(&mut src, Entity::Categories, 2).await;
    assert_eq!(back.len(), 4);
    for (a, b) in cats.iter().zip(&back) {
        let (Record::Category(a), Record::Category(b)) = (a, b) else {
            panic!("not categories")
        };
        assert_eq!(a.handle, b.handle);
        assert_eq!(a.path, b.path, "the tree survives the flat collections");
        assert_eq!(a.description_html, b.description_html);
        assert_eq!(a.seo, b.seo);
        assert_eq!(a.image, b.image);
        assert_eq!(
            b.source.url_path.as_deref(),
            Some(format!("/collections/{}", a.handle).as_str())
        );
    }
    let back = read_all(&mut src, Entity::Pages, 2).await;
    assert_eq!(back.len(), 5);
    for (a, b) in pgs.iter().zip(&back) {
        let (Record::Page(a), Record::Page(b)) = (a, b) else {
            panic!("not pages")
        };
        assert_eq!(
            (&a.handle, &a.title, &a.body_html, a.published),
            (&b.handle, &b.title, &b.body_html, b.published)
        );
        assert_eq!(
            a.seo, b.seo,
            "page SEO lives in global.title_tag / description_tag"
        );
    }
    let back = read_all(&mut src, Entity::Redirects, 3).await;
    let pairs: Vec<(String, String)> = back
        .iter()
        .map(|r| match r {
            Record::Redirect(r) => (r.from.clone(), r.to.clone()),
            _ => panic!("not a redirect"),
        })
        .collect();
    let want: Vec<(String, String)> = reds
        .iter()
        .map(|r| match r {
            Record::Redirect(r) => (r.from.clone(), r.to.clone()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(pairs, want);

    // Loading everything again finds every record by its key and creates nothing.
    assert_eq!(updated(&load(&mut t, Entity::Categories, &cats).await), 4);
    assert_eq!(updated(&load(&mut t, Entity::Pages, &pgs).await), 5);
    assert_eq!(updated(&load(&mut t, Entity::Redirects, &reds).await), 7);
    assert_eq!(
        (sb.collection_count(), sb.page_count(), sb.redirect_count()),
        (4, 5, 7)
    );
    assert!(
        sb.creation_log().duplicates().is_empty(),
        "{:?}",
        sb.creation_log().duplicates()
    );

    let id = t.lookup(Entity::Pages, "about-2").await.expect("lookup");
    assert!(
        id.as_deref()
            .is_some_and(|i| i.starts_with("gid://shopify/Page/")),
        "{id:?}"
    );
    assert_eq!(
        t.lookup(Entity::Pages, "about-99").await.expect("lookup"),
        None
    );
    assert!(t
        .lookup(Entity::Categories, "sale")
        .await
        .expect("lookup")
        .is_some());
    assert!(t
        .lookup(Entity::Redirects, "/old-shop/item-3.html")
        .await
        .expect("lookup")
        .is_some());
    assert_eq!(
        t.lookup(Entity::Redirects, "/old-shop/item-3")
            .await
            .expect("lookup"),
        None,
        "only the exact path"
    );
}

#[tokio::test]
async fn orders_round_trip_with_lines_taxes_shipping_transactions_and_customer() {
    let sb = roomy();
    sb.seed_customers(3);
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let orders = vec![order(0, "seed1@example.com"), order(1, "guest@example.org")];
    let out = load(&mut t, Entity::Orders, &orders).await;
    assert_eq!(created(&out), 2, "{out:?}");
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let back = read_all(&mut src, Entity::Orders, 10).await;
    assert_eq!(back.len(), 2);
    for (a, b) in orders.iter().zip(&back) {
        let (Record::Order(a), Record::Order(b)) = (a, b) else {
            panic!("not orders")
        };
        assert_eq!(a.number, b.number);
        assert_eq!(a.email, b.email);
        assert_eq!(a.line_items, b.line_items);
        assert_eq!(a.shipping_lines, b.shipping_lines);
        assert_eq!(
            a.tax_lines, b.tax_lines,
            "order tax lines sum the lines' ones"
        );
        assert_eq!(a.discounts, b.discounts);
        assert_eq!(a.transactions, b.transactions);
        assert_eq!(a.totals, b.totals);
        assert_eq!(a.financial_status, b.financial_status);
        assert_eq!(a.fulfillment_status, b.fulfillment_status);
        assert_eq!(a.processed_at, b.processed_at);
        assert_eq!(
            a.created_at, b.processed_at,
            "the order's own date is processedAt"
        );
        assert_eq!(a.billing_address, b.billing_address);
        assert_eq!((&a.note, &a.tags), (&b.note, &b.tags));
    }
    let Record::Order(first) = &back[0] else {
        unreachable!()
    };
    assert!(
        first
            .customer_ref
            .as_deref()
            .is_some_and(|c| c.starts_with("gid://shopify/Customer/")),
        "associated by email"
    );
    let Record::Order(guest) = &back[1] else {
        unreachable!()
    };
    assert_eq!(
        guest.customer_ref, None,
        "no customer is invented for a guest order"
    );
    assert_eq!(sb.customer_count(), 3);

    let again = load(&mut t, Entity::Orders, &orders).await;
    assert_eq!(updated(&again), 2, "{again:?}");
    assert_eq!(sb.order_count(), 2);
    assert!(sb.creation_log().duplicates().is_empty());
    assert!(t
        .lookup(Entity::Orders, "5002")
        .await
        .expect("lookup")
        .is_some());
    assert_eq!(
        t.lookup(Entity::Orders, "5003").await.expect("lookup"),
        None
    );
}

#[tokio::test]
async fn an_order_paid_in_another_currency_keeps_both_amounts_from_store_to_store() {
    let Record::Order(sent) = paid_in_euros(0) else {
        unreachable!()
    };
    let mut carried = Record::Order(sent.clone());
    let mut stores = vec![];
    // Into one store, out of it, into a second store and out again: every hop keeps the
    // shop's amounts and the customer's apart.
    for hop in 0..2 {
        let sb = roomy();
        let server = sb.start(0).await.expect("bind");
        let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
        let out = load(&mut t, Entity::Orders, std::slice::from_ref(&carried)).await;
        assert_eq!(created(&out), 1, "hop {hop}: {out:?}");
        assert!(t
            .take_findings()
            .iter()
            .all(|f| f.code == "order_lines_custom"));
        let stored = sb.records("orders");
        assert_eq!(stored[0]["currencyCode"], "USD");
        assert_eq!(stored[0]["presentmentCurrencyCode"], "EUR");
        assert_eq!(
            stored[0]["totalPriceSet"],
            json!({ "__typename": "MoneyBag",
                    "shopMoney": { "__typename": "MoneyV2", "amount": "41.95", "currencyCode": "USD" },
                    "presentmentMoney": { "__typename": "MoneyV2", "amount": "38.59", "currencyCode": "EUR" } }),
            "hop {hop}: the sandbox answers each amount in its own currency"
        );
        let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
        let back = read_all(&mut src, Entity::Orders, 10).await;
        let Some(Record::Order(got)) = back.first() else {
            panic!("hop {hop}: no order read back: {back:?}")
        };
        assert_eq!(got.currency, "USD");
        assert_eq!(got.totals, sent.totals, "hop {hop}: the shop's amounts");
        assert_eq!(got.line_items, sent.line_items, "hop {hop}");
        assert_eq!(got.transactions, sent.transactions, "hop {hop}");
        assert_eq!(
            got.presentment, sent.presentment,
            "hop {hop}: what the customer paid, 38.59 EUR"
        );
        carried = back[0].clone();
        stores.push((sb, server));
    }

    // An order in the shop's own currency has no presentment, read or written.
    let (_, server) = &stores[0];
    let mut t = ShopifyTarget::open(&spec(server, json!({}))).expect("open");
    load(&mut t, Entity::Orders, &[order(1, "guest@example.org")]).await;
    let mut src = ShopifySource::open(&spec(server, json!({}))).expect("open");
    let back = read_all(&mut src, Entity::Orders, 10).await;
    let plain = back.iter().find_map(|r| match r {
        Record::Order(o) if o.number == "5002" => Some(o),
        _ => None,
    });
    assert_eq!(plain.map(|o| o.presentment.is_none()), Some(true));
}

#[tokio::test]
async fn seeded_orders_move_from_one_store_to_another_unchanged() {
    let from = roomy();
    from.seed_customers(2);
    from.seed_orders(7);
    let from_server = from.start(0).await.expect("bind");
    let mut src = ShopifySource::open(&spec(&from_server, json!({}))).expect("open");
    let orders = read_all(&mut src, Entity::Orders, 3).await;
    assert_eq!(orders.len(), 7);
    let to = roomy();
    to.seed_customers(2);
    let to_server = to.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&to_server, json!({}))).expect("open");
    assert_eq!(created(&load(&mut t, Entity::Orders, &orders).await), 7);
    let mut src2 = ShopifySource::open(&spec(&to_server, json!({}))).expect("open");
    let back = read_all(&mut src2, Entity::Orders, 50).await;
    let strip = |r: &Record| match r {
        Record::Order(o) => {
            let mut o = (**o).clone();
            o.source = SourceRef::default();
            o.customer_ref = None;
            for t in &mut o.transactions {
                t.processed_at = None;
            }
            o
        }
        _ => panic!("not an order"),
    };
    for (a, b) in orders.iter().zip(&back) {
        assert_eq!(strip(a), strip(b));
    }
}

#[tokio::test]
async fn rollback_deletes_what_the_run_created_and_nothing_it_found() {
    let sb = roomy();
    sb.seed_collections(2);
    sb.seed_pages(2);
    sb.seed_redirects(2);
    sb.seed_customers(1);
    sb.seed_orders(1);
    let before = sb.fingerprint();
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let mut cats = categories();
    // One category the store already had: updated, adopted, and left in place by rollback.
    if let Record::Category(c) = &mut cats[3] {
        c.handle = "seed-collection-1".into();
        c.path = vec!["Seed collection 1".into()];
    }
    let batches = [
        (Entity::Categories, cats),
        (Entity::Pages, pages()),
        (Entity::Redirects, redirects(4)),
        (Entity::Orders, vec![order(0, "nobody@example.com")]),
    ];
    let mut made = vec![];
    for (entity, records) in &batches {
        for o in load(&mut t, *entity, records).await {
            if let WriteOutcome::Created { target_id } = o {
                made.push((*entity, target_id));
            }
        }
    }
    assert_eq!(made.len(), 3 + 5 + 4 + 1);
    assert_ne!(sb.fingerprint(), before);
    for (entity, id) in made.iter().rev() {
        t.delete(*entity, id).await.expect("delete");
        t.delete(*entity, id).await.expect("deleting twice is fine");
    }
    // What the run found in the store (the adopted collection) is not the run's to delete.
    assert_eq!(sb.collection_count(), 2);
    assert!(t
        .lookup(Entity::Categories, "seed-collection-1")
        .await
        .expect("lookup")
        .is_some());
    assert_eq!(
        (sb.page_count(), sb.redirect_count(), sb.order_count()),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn rollback_without_adoption_restores_the_exact_fingerprint() {
    let sb = roomy();
    sb.seed_collections(1);
    sb.seed_pages(1);
    sb.seed_redirects(1);
    let before = sb.fingerprint();
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let mut made = vec![];
    for (entity, records) in [
        (Entity::Categories, categories()),
        (Entity::Pages, pages()),
        (Entity::Redirects, redirects(3)),
        (Entity::Orders, vec![order(2, "x@example.com")]),
    ] {
        for o in load(&mut t, entity, &records).await {
            match o {
                WriteOutcome::Created { target_id } => made.push((entity, target_id)),
                other => panic!("{other:?}"),
            }
        }
    }
    for (entity, id) in made {
        t.delete(entity, &id).await.expect("delete");
    }
    assert_eq!(sb.fingerprint(), before);
}

#[tokio::test]
async fn a_record_shopify_rejects_fails_alone_with_shopifys_words() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let mut pgs = pages();
    if let Record::Page(p) = &mut pgs[1] {
        p.title = "  ".into();
    }
    let out = load(&mut t, Entity::Pages, &pgs).await;
    assert!(
        matches!(&out[1], WriteOutcome::Failed { message } if message.contains("Title can't be blank")),
        "{out:?}"
    );
    assert_eq!(created(&out), 4);

    let mut reds = redirects(4);
    if let Record::Redirect(r) = &mut reds[2] {
        r.to = r.from.clone();
    }
    let out = load(&mut t, Entity::Redirects, &reds).await;
    assert!(
        matches!(&out[2], WriteOutcome::Failed { message } if message.contains("same path")),
        "{out:?}"
    );
    assert_eq!(created(&out), 3);

    let mut orders = vec![
        order(0, "a@example.com"),
        order(1, "b@example.com"),
        order(2, "c@example.com"),
    ];
    if let Record::Order(o) = &mut orders[1] {
        o.line_items[0].quantity = 0;
    }
    let out = load(&mut t, Entity::Orders, &orders).await;
    assert!(
        matches!(&out[1], WriteOutcome::Failed { message } if message.contains("Quantity must be greater than or equal to 1")),
        "{out:?}"
    );
    assert_eq!(created(&out), 2);
    assert_eq!(sb.order_count(), 2);
}

#[tokio::test]
async fn an_order_shopify_cannot_fully_express_is_imported_with_a_finding() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let mut o = order(0, "a@example.com");
    if let Record::Order(o) = &mut o {
        o.fulfillment_status = FulfillmentStatus::Cancelled;
        o.cancelled_at = Timestamp::parse_api("2023-05-05T00:00:00Z");
        o.discounts.push(Discount {
            code: "EXTRA".into(),
            amount: usd(100),
        });
    }
    let out = load(&mut t, Entity::Orders, &[o.clone()]).await;
    assert_eq!(created(&out), 1);
    let findings = t.take_findings();
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert_eq!(findings[0].code, "order_lines_custom", "said once per run");
    let findings = &findings[1..];
    assert!(findings
        .iter()
        .all(|f| f.code == "order_field_not_imported" && f.records[0].label == o.label()));
    assert!(findings.iter().any(|f| f.message.contains("cancelled")));
    assert!(findings
        .iter()
        .any(|f| f.message.contains("WELCOME5+EXTRA")));
}

#[tokio::test]
async fn lost_replies_on_creates_never_create_twice() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut t =
        ShopifyTarget::open(&spec(&server, json!({ "mutations_per_request": 2 }))).expect("open");
    // Every create below may reach the store before its reply is lost; the connector must
    // look the keys up again instead of sending the create a second time.
    let faults = [
        Fault::Reset,
        Fault::MalformedJson,
        Fault::Slow(Duration::from_millis(900)),
        Fault::GraphqlError,
        Fault::Status(502),
        Fault::TooManyRequests {
            retry_after_secs: 0.02,
        },
    ];
    let mut script = vec![];
    for (i, f) in faults.iter().cycle().take(18).enumerate() {
        script.push((2 + 2 * i as u64, f.clone()));
    }
    sb.faults.after(&script);
    let cats = categories();
    let pgs = pages();
    let reds = redirects(6);
    sb.seed_customers(1);
    let orders: Vec<Record> = (0..5).map(|i| order(i, "seed0@example.com")).collect();
    for (entity, records) in [
        (Entity::Categories, &cats),
        (Entity::Pages, &pgs),
        (Entity::Redirects, &reds),
        (Entity::Orders, &orders),
    ] {
        let out = load(&mut t, entity, records).await;
        assert!(
            out.iter()
                .all(|o| !matches!(o, WriteOutcome::Failed { .. })),
            "{entity}: {out:?}"
        );
    }
    assert_eq!(sb.faults.injected(), 18, "every scripted fault fired");
    assert_eq!(
        (
            sb.collection_count(),
            sb.page_count(),
            sb.redirect_count(),
            sb.order_count()
        ),
        (4, 5, 6, 5)
    );
    assert!(
        sb.creation_log().duplicates().is_empty(),
        "{:?}",
        sb.creation_log().duplicates()
    );
    let stats = t.api_stats().expect("stats");
    assert!(stats.retries >= 10, "{stats:?}");
}

#[tokio::test]
async fn the_sandbox_reports_counts_per_entity() {
    let sb = roomy();
    sb.seed_products(2);
    sb.seed_customers(2);
    sb.seed_collections(3);
    sb.seed_pages(4);
    sb.seed_redirects(5);
    sb.seed_orders(6);
    let server = sb.start(0).await.expect("bind");
    let body: serde_json::Value = reqwest::get(format!("{}/__sandbox/state", server.url()))
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    for (k, n) in [
        ("products", 2),
        ("customers", 2),
        ("collections", 3),
        ("pages", 4),
        ("redirects", 5),
        ("orders", 6),
    ] {
        assert_eq!(body[k], n, "{k} in {body}");
    }
    assert_eq!(body["duplicates"], json!([]));
}

#[tokio::test]
async fn products_join_the_collections_of_their_categories_and_read_back_with_them() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({ "bulk_threshold": 0 }))).expect("open");
    assert_eq!(
        created(&load(&mut t, Entity::Categories, &categories()).await),
        4
    );
    let product = |i: usize, cats: Vec<Vec<&str>>| {
        Record::Product(Product {
            source: SourceRef::new(format!("p{i}")),
            handle: format!("member-{i}"),
            title: format!("Member {i}"),
            categories: cats
                .into_iter()
                .map(|c| c.into_iter().map(str::to_string).collect())
                .collect(),
            variants: vec![Variant {
                sku: Some(format!("M-{i}")),
                price: Some(usd(100)),
                requires_shipping: true,
                taxable: true,
                ..Default::default()
            }],
            ..Default::default()
        })
    };
    let products = vec![
        product(0, vec![vec!["Clothing", "T-shirts"], vec!["Sale"]]),
        product(1, vec![vec!["Clothing", "T-shirts", "V-neck"]]),
        product(2, vec![]),
        product(3, vec![vec!["Sale"], vec!["Not", "There"]]),
    ];
    let out = load(&mut t, Entity::Products, &products).await;
    assert_eq!(created(&out), 4, "{out:?}");
    let findings = t.take_findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "category_without_collection");
    assert!(findings[0].message.contains("Not > There"));
    for threshold in [0, 1] {
        let mut src = ShopifySource::open(&spec(&server, json!({ "bulk_threshold": threshold })))
            .expect("open");
        let back = read_all(&mut src, Entity::Products, 10).await;
        let cats: Vec<Vec<Vec<String>>> = back
            .iter()
            .map(|r| match r {
                Record::Product(p) => p.categories.clone(),
                _ => panic!("not a product"),
            })
            .collect();
        let want = |v: Vec<Vec<&str>>| -> Vec<Vec<String>> {
            v.into_iter()
                .map(|c| c.into_iter().map(str::to_string).collect())
                .collect()
        };
        assert_eq!(
            cats,
            vec![
                want(vec![vec!["Clothing", "T-shirts"], vec!["Sale"]]),
                want(vec![vec!["Clothing", "T-shirts", "V-neck"]]),
                vec![],
                want(vec![vec!["Sale"]]),
            ],
            "bulk_threshold {threshold}"
        );
    }
    assert_eq!(
        sb.bulk_operations().len(),
        1,
        "the second read went through a bulk query"
    );
}
