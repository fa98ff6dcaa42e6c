//! Property tests: categories, pages, redirects and orders loaded into the Shopify sandbox
//! through the connector read back through the connector as they were.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};

mod support;
use support::api_spec;

fn spec(url: String) -> EndpointSpec {
    let token = ShopifyConfig::default().token;
    api_spec(Platform::Shopify, url, &[("token", &token)], json!({}))
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-zÇçĞğİıÖöŞşÜüß][A-Za-zÇçĞğİıÖöŞşÜüß0-9 ,.;:|&\"'-]{0,12}[A-Za-z0-9]"
}

fn handle() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6}){0,2}"
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, "USD")
}

fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..100_000).prop_map(|n| Decimal::new(n, 2))
}

fn seo() -> impl Strategy<Value = Seo> {
    (proptest::option::of(word()), proptest::option::of(word()))
        .prop_map(|(title, description)| Seo { title, description })
}

fn category() -> impl Strategy<Value = Category> {
    (
        handle(),
        proptest::collection::vec(word(), 1..4),
        proptest::option::of(word()),
        seo(),
        proptest::option::of(handle()),
    )
        .prop_map(|(handle, path, desc, seo, image)| Category {
            source: SourceRef::new(format!("c-{handle}")),
            description_html: desc.map(|d| format!("<p>{d}</p>")).unwrap_or_default(),
            image: image.map(|i| format!("https://cdn.example.com/{i}.png")),
            handle,
            path,
            seo,
            position: None,
        })
}

fn page() -> impl Strategy<Value = Page> {
    (handle(), word(), word(), any::<bool>(), seo()).prop_map(
        |(handle, title, body, published, seo)| Page {
            source: SourceRef::new(format!("p-{handle}")),
            body_html: format!("<div>{body}</div>"),
            handle,
            title,
            published,
            seo,
            created_at: None,
        },
    )
}

fn redirect() -> impl Strategy<Value = Redirect> {
    ("/[a-z0-9_./-]{1,30}", "/[a-z]{1,12}(/[a-z0-9-]{1,12})?")
        .prop_filter("a redirect goes elsewhere", |(from, to)| from != to)
        .prop_map(|(from, to)| Redirect {
            source: SourceRef::new(from.clone()),
            from,
            to,
        })
}

fn tax() -> impl Strategy<Value = TaxLine> {
    (
        prop_oneof![Just("VAT"), Just("GST")],
        prop_oneof![Just(5i64), Just(8), Just(20)],
        amount(),
    )
        .prop_map(|(title, pct, a)| TaxLine {
            title: title.into(),
            rate: Decimal::new(pct, 2),
            amount: usd(a),
        })
}

fn line() -> impl Strategy<Value = LineItem> {
    (
        word(),
        proptest::option::of("[A-Z]{2}-[0-9]{3}"),
        proptest::option::of(word()),
        1i64..6,
        amount(),
        proptest::collection::vec(tax(), 0..2),
    )
        .prop_map(
            |(title, sku, variant_title, quantity, price, tax_lines)| LineItem {
                sku,
                title,
                variant_title,
                quantity,
                price: usd(price),
                total_discount: None,
                tax_lines,
                product_ref: None,
            },
        )
}

/// Order-level tax lines as Shopify shows them: the lines' ones summed by title and rate.
fn merged(taxes: impl Iterator<Item = TaxLine>) -> Vec<TaxLine> {
    let mut out: Vec<TaxLine> = vec![];
    for t in taxes {
        match out
            .iter_mut()
            .find(|o| o.title == t.title && o.rate == t.rate)
        {
            Some(o) => o.amount.amount += t.amount.amount,
            None => out.push(t),
        }
    }
    out
}

fn order(n: usize) -> impl Strategy<Value = Order> {
    (
        proptest::collection::vec(line(), 1..4),
        proptest::collection::vec(
            (word(), amount(), proptest::collection::vec(tax(), 0..2)),
            0..2,
        ),
        proptest::option::of(("[A-Z]{3,8}", 0i64..500)),
        proptest::collection::vec(tax(), 0..2),
        proptest::collection::vec(
            (
                prop_oneof![Just("sale"), Just("authorization")],
                prop_oneof![Just("success"), Just("pending")],
                amount(),
            ),
            0..3,
        ),
        prop_oneof![
            Just(FinancialStatus::Pending),
            Just(FinancialStatus::Paid),
            Just(FinancialStatus::PartiallyPaid),
            Just(FinancialStatus::Refunded),
            Just(FinancialStatus::Authorized),
        ],
        prop_oneof![
            Just(FulfillmentStatus::Unfulfilled),
            Just(FulfillmentStatus::Fulfilled),
            Just(FulfillmentStatus::Partial),
        ],
        (0u32..28, 0u32..24),
        proptest::option::of(word()),
        proptest::collection::vec("[a-z]{1,8}", 0..3),
    )
        .prop_map(
            move |(
                lines,
                ships,
                discount,
                order_taxes,
                txs,
                financial,
                fulfillment,
                (d, h),
                note,
                tags,
            )| {
                let shipping_lines: Vec<ShippingLine> = ships
                    .into_iter()
                    .map(|(title, price, tax_lines)| ShippingLine {
                        title,
                        code: None,
                        price: usd(price),
                        tax_lines,
                    })
                    .collect();
                let line_taxed = lines.iter().any(|l| !l.tax_lines.is_empty())
                    || shipping_lines.iter().any(|s| !s.tax_lines.is_empty());
                let tax_lines = if line_taxed {
                    merged(
                        lines
                            .iter()
                            .flat_map(|l| l.tax_lines.clone())
                            .chain(shipping_lines.iter().flat_map(|s| s.tax_lines.clone())),
                    )
                } else {
                    merged(order_taxes.into_iter())
                };
                let subtotal: Decimal = lines
                    .iter()
                    .map(|l| l.price.amount * Decimal::from(l.quantity))
                    .sum();
                let shipping: Decimal = shipping_lines.iter().map(|s| s.price.amount).sum();
                let tax: Decimal = tax_lines.iter().map(|t| t.amount.amount).sum();
                let discounts: Vec<Discount> = discount
                    .filter(|(_, cents)| *cents > 0)
                    .map(|(code, cents)| Discount {
                        code,
                        amount: usd(Decimal::new(cents, 2).min(subtotal)),
                    })
                    .filter(|d| !d.amount.amount.is_zero())
                    .into_iter()
                    .collect();
                let off: Decimal = discounts.iter().map(|d| d.amount.amount).sum();
                let when = Timestamp::parse_api(&format!("2023-03-{:02}T{:02}:15:00Z", d + 1, h));
                Order {
                    source: SourceRef::new(format!("o{n}")),
                    number: format!("{}", 9000 + n),
                    email: Some(format!("buyer{n}@example.com")),
                    customer_ref: None,
                    currency: "USD".into(),
                    presentment: None,
                    line_items: lines,
                    tax_lines,
                    discounts,
                    shipping_lines,
                    transactions: txs
                        .into_iter()
                        .map(|(kind, status, a)| Transaction {
                            kind: kind.into(),
                            status: status.into(),
                            gateway: Some("manual".into()),
                            amount: usd(a),
                            processed_at: when,
                        })
                        .collect(),
                    totals: OrderTotals {
                        subtotal: usd(subtotal),
                        discounts: usd(off),
                        shipping: usd(shipping),
                        tax: usd(tax),
                        total: usd(subtotal - off + shipping + tax),
                    },
                    financial_status: financial,
                    fulfillment_status: fulfillment,
                    created_at: when,
                    processed_at: when,
                    cancelled_at: None,
                    billing_address: None,
                    shipping_address: None,
                    note,
                    tags,
                }
            },
        )
}

fn dedup_by<T>(mut v: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(key(x)));
    v
}

async fn read_all(src: &mut ShopifySource, entity: Entity) -> Vec<Record> {
    let mut out = vec![];
    let mut cursor = None;
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), 50)
            .await
            .expect("page");
        out.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn round_trip(entity: Entity, records: Vec<Record>) -> Vec<Record> {
    let sb = ShopifySandbox::new(ShopifyConfig {
        bucket: 1_000_000.0,
        restore_rate: 1_000_000.0,
        ..Default::default()
    });
    let server = sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(server.url())).expect("open");
    let out = t.write_batch(entity, &records).await.expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    let mut src = ShopifySource::open(&spec(server.url())).expect("open");
    read_all(&mut src, entity).await
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn categories_read_back_as_loaded(cats in proptest::collection::vec(category(), 1..6)) {
        let cats = dedup_by(cats, |c| c.handle.clone());
        let back = runtime().block_on(round_trip(Entity::Categories, cats.iter().cloned().map(Record::Category).collect()));
        prop_assert_eq!(back.len(), cats.len());
        for (a, b) in cats.iter().zip(&back) {
            let Record::Category(b) = b else { panic!("not a category") };
            prop_assert_eq!(&a.handle, &b.handle);
            prop_assert_eq!(&a.path, &b.path);
            prop_assert_eq!(&a.description_html, &b.description_html);
            prop_assert_eq!(&a.seo, &b.seo);
            prop_assert_eq!(&a.image, &b.image);
        }
    }

    #[test]
    fn pages_and_redirects_read_back_as_loaded(
        pages in proptest::collection::vec(page(), 1..6),
        redirects in proptest::collection::vec(redirect(), 1..8),
    ) {
        let pages = dedup_by(pages, |p| p.handle.clone());
        let rt = runtime();
        let back = rt.block_on(round_trip(Entity::Pages, pages.iter().cloned().map(Record::Page).collect()));
        prop_assert_eq!(back.len(), pages.len());
        for (a, b) in pages.iter().zip(&back) {
            let Record::Page(b) = b else { panic!("not a page") };
            prop_assert_eq!((&a.handle, &a.title, &a.body_html, a.published, &a.seo), (&b.handle, &b.title, &b.body_html, b.published, &b.seo));
        }
        let redirects = dedup_by(redirects, |r| r.from.clone());
        let back = rt.block_on(round_trip(Entity::Redirects, redirects.iter().cloned().map(Record::Redirect).collect()));
        let pairs: Vec<(String, String)> = back.iter().map(|r| match r {
            Record::Redirect(r) => (r.from.clone(), r.to.clone()),
            _ => panic!("not a redirect"),
        }).collect();
        let want: Vec<(String, String)> = redirects.iter().map(|r| (r.from.clone(), r.to.clone())).collect();
        prop_assert_eq!(pairs, want);
    }

    #[test]
    fn orders_read_back_as_loaded(orders in (0usize..4).prop_flat_map(|k| {
        (0..k + 1).map(order).collect::<Vec<_>>()
    })) {
        let back = runtime().block_on(round_trip(Entity::Orders, orders.iter().cloned().map(|o| Record::Order(Box::new(o))).collect()));
        prop_assert_eq!(back.len(), orders.len());
        for (a, b) in orders.iter().zip(&back) {
            let Record::Order(b) = b else { panic!("not an order") };
            let mut b = (**b).clone();
            b.source = a.source.clone();
            prop_assert_eq!(a, &b);
        }
    }
}
