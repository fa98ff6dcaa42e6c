//! Medusa and Vendure as targets and sources against real servers started by the project's own
//! scripts (`tools/engines/*-start.sh`): load, load again without duplicates (counted through the
//! Admin API, not through the connector), extract and compare, a rejected record failing alone
//! with the engine's words, lookups for crash reconciliation, and rollback to exactly what the
//! engine held before.

mod engine_support;

use engine_support::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use storeshift_connectors::api::http::HttpConfig;
use storeshift_connectors::api::{medusa::Medusa, vendure::Vendure};
use storeshift_connectors::model::*;
use storeshift_connectors::platform;
use storeshift_connectors::{Source, Target, WriteOutcome};

// ---------- the canonical store loaded into both engines ----------

fn usd(s: &str) -> Option<Money> {
    Money::parse(s, "USD")
}

fn categories() -> Vec<Record> {
    let cat = |handle: &str, path: &[&str]| {
        Record::Category(Category {
            source: SourceRef::new(format!("woo-cat-{handle}")),
            handle: handle.into(),
            path: path.iter().map(|s| s.to_string()).collect(),
            description_html: format!("All {}", path.join(" / ")),
            ..Category::default()
        })
    };
    vec![
        cat("clothing", &["Clothing"]),
        cat("tees", &["Clothing", "Tees"]),
        cat("kitchen", &["Kitchen"]),
    ]
}

fn variant(sku: &str, price: &str, values: &[&str], stock: i64) -> Variant {
    Variant {
        sku: Some(sku.into()),
        price: usd(price),
        inventory: Some(stock),
        option_values: values.iter().map(|s| s.to_string()).collect(),
        ..Variant::default()
    }
}

fn product(
    handle: &str,
    title: &str,
    options: &[(&str, &[&str])],
    variants: Vec<Variant>,
    cats: &[&[&str]],
) -> Product {
    Product {
        source: SourceRef::with_url(format!("woo-{handle}"), format!("/product/{handle}/")),
        handle: handle.into(),
        title: title.into(),
        body_html: format!("<p>{title}, moved by storeshift.</p>"),
        status: ProductStatus::Active,
        categories: cats
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect(),
        options: options
            .iter()
            .map(|(n, vs)| ProductOption {
                name: n.to_string(),
                values: vs.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        variants,
        ..Product::default()
    }
}

trait WithImages {
    fn with_images(self, urls: &[&str]) -> Product;
}

impl WithImages for Product {
    /// Loopback URLs: no engine and no test may ever fetch from another host.
    fn with_images(mut self, urls: &[&str]) -> Product {
        self.images = urls
            .iter()
            .enumerate()
            .map(|(i, u)| Image {
                src: u.to_string(),
                alt: None,
                position: i as u32 + 1,
            })
            .collect();
        self
    }
}

fn products() -> Vec<Record> {
    vec![
        Record::Product(
            product(
                "classic-tee",
                "Classic Tee",
                &[("Size", &["S", "M"])],
                vec![
                    variant("TEE-S", "19.99", &["S"], 5),
                    variant("TEE-M", "20.99", &["M"], 7),
                ],
                &[&["Clothing", "Tees"]],
            )
            .with_images(&[
                "http://127.0.0.1:9/tee-front.jpg",
                "http://127.0.0.1:9/tee-back.jpg",
            ]),
        ),
        Record::Product(product(
            "enamel-mug",
            "Enamel Mug",
            &[("Color", &["Red", "Blue"])],
            vec![
                variant("MUG-RED", "12.50", &["Red"], 3),
                variant("MUG-BLUE", "12.00", &["Blue"], 0),
            ],
            &[&["Kitchen"]],
        )),
        Record::Product(product(
            "hoodie",
            "Hoodie",
            &[("Size", &["M", "L"]), ("Color", &["Grey", "Navy"])],
            vec![
                variant("HOOD-M-GREY", "49.00", &["M", "Grey"], 2),
                variant("HOOD-L-NAVY", "51.00", &["L", "Navy"], 4),
            ],
            &[&["Clothing"], &["Clothing", "Tees"]],
        )),
    ]
}

fn tote_bag() -> Product {
    product(
        "tote-bag",
        "Tote Bag",
        &[("Color", &["Natural", "Black"])],
        vec![
            variant("TOTE-NAT", "15.00", &["Natural"], 1),
            variant("TOTE-BLK", "15.00", &["Black"], 1),
        ],
        &[],
    )
}

fn customer(email: &str, first: &str, last: &str, street: &str, country: &str) -> Record {
    Record::Customer(Customer {
        source: SourceRef::new(format!("woo-{email}")),
        email: email.into(),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        phone: Some("+15555550100".into()),
        addresses: vec![Address {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            address1: Some(street.into()),
            city: Some("Springfield".into()),
            province: Some("IL".into()),
            country_code: Some(country.into()),
            zip: Some("62701".into()),
            default: true,
            ..Address::default()
        }],
        ..Customer::default()
    })
}

fn customers() -> Vec<Record> {
    vec![
        customer(
            "ada@example.com",
            "Ada",
            "Lovelace",
            "1 Analytical Way",
            "US",
        ),
        customer(
            "Grace.Hopper@Example.com",
            "Grace",
            "Hopper",
            "2 Compiler Street",
            "US",
        ),
    ]
}

// ---------- one engine's scenario ----------

/// What the scenario needs that differs between engines.
trait Harness {
    fn name(&self) -> &'static str;
    fn connect(&self) -> Box<dyn Connector>;
    /// Record counts through the Admin API directly (not through the connector under test).
    async fn counts(&self) -> BTreeMap<&'static str, u64>;
    /// Records the engine itself rejects, with words expected in its message, plus one good record
    /// of the same entity that must still be written.
    fn rejected(&self) -> Vec<(Entity, Vec<Record>, &'static str)>;
    fn carries_inventory(&self) -> bool;
    /// Whether product images (URLs) are kept.
    fn carries_images(&self) -> bool;
    /// Whether the engine stores an email as given (Vendure lower-cases it).
    fn keeps_email_case(&self) -> bool;
}

trait Connector: Source + Target {}
impl<T: Source + Target> Connector for T {}

async fn write_all(
    target: &mut dyn Connector,
    entity: Entity,
    records: &[Record],
) -> Vec<WriteOutcome> {
    target.resume(entity, None).await.expect("resume");
    let out = target
        .write_batch(entity, records)
        .await
        .unwrap_or_else(|e| panic!("write {entity}: {e}"));
    target.finish(entity).await.expect("finish");
    assert_eq!(out.len(), records.len(), "one outcome per record");
    out
}

fn target_id(o: &WriteOutcome) -> String {
    match o {
        WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id } => {
            target_id.clone()
        }
        WriteOutcome::Failed { message } => panic!("unexpected failure: {message}"),
    }
}

async fn extract(source: &mut dyn Connector, entity: Entity) -> Vec<Record> {
    let mut all = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        // Pages of two so the cursor is exercised even on this small store.
        let page = source
            .read_page(entity, cursor.as_ref(), 2)
            .await
            .unwrap_or_else(|e| panic!("read {entity}: {e}"));
        pages += 1;
        assert!(pages < 1000, "the {entity} cursor never ends");
        all.extend(page.records);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    all
}

async fn scenario(h: &impl Harness) {
    let name = h.name();
    let before = h.counts().await;
    let mut conn = h.connect();
    let conn = conn.as_mut();

    // 1. First load: everything is created.
    let mut created: Vec<(Entity, String)> = Vec::new();
    for (entity, records) in [
        (Entity::Categories, categories()),
        (Entity::Products, products()),
        (Entity::Customers, customers()),
    ] {
        for (r, o) in records.iter().zip(write_all(conn, entity, &records).await) {
            assert!(
                matches!(o, WriteOutcome::Created { .. }),
                "{name}: first load of {} gave {o:?}",
                r.label()
            );
            created.push((entity, target_id(&o)));
        }
    }
    let loaded = h.counts().await;
    let expect_delta = |key: &str, n: u64| {
        assert_eq!(
            loaded[key],
            before[key] + n,
            "{name}: {key} after the first load (before: {before:?}, after: {loaded:?})"
        );
    };
    expect_delta("products", 3);
    expect_delta("variants", 6);
    expect_delta("customers", 2);
    expect_delta("categories", 3);

    // 2. Second load of the same records (a resumed run): updated in place, nothing duplicated.
    for (entity, records) in [
        (Entity::Categories, categories()),
        (Entity::Products, products()),
        (Entity::Customers, customers()),
    ] {
        for (r, o) in records.iter().zip(write_all(conn, entity, &records).await) {
            assert!(
                matches!(o, WriteOutcome::Updated { .. }),
                "{name}: second load of {} gave {o:?}",
                r.label()
            );
            assert!(
                created.contains(&(entity, target_id(&o))),
                "{name}: {} updated a record the first load did not create",
                r.label()
            );
        }
    }
    assert_eq!(
        h.counts().await,
        loaded,
        "{name}: the second load changed the counts"
    );

    // 3. Lookups by external key find exactly what was created (crash reconciliation).
    for (entity, records) in [
        (Entity::Categories, categories()),
        (Entity::Products, products()),
        (Entity::Customers, customers()),
    ] {
        for r in &records {
            let found = conn
                .lookup(entity, &r.external_key())
                .await
                .expect("lookup");
            let id = found
                .unwrap_or_else(|| panic!("{name}: lookup of {} found nothing", r.external_key()));
            assert!(
                created.contains(&(entity, id)),
                "{name}: lookup of {} found a record the run did not create",
                r.external_key()
            );
        }
    }
    assert_eq!(
        conn.lookup(Entity::Products, "no-such-handle")
            .await
            .expect("lookup"),
        None
    );

    // 4. Extract back and compare field by field.
    compare_categories(name, &extract(conn, Entity::Categories).await);
    compare_products(
        name,
        &extract(conn, Entity::Products).await,
        h.carries_inventory(),
        h.carries_images(),
    );
    compare_customers(
        name,
        &extract(conn, Entity::Customers).await,
        h.keeps_email_case(),
    );

    // 5. A record the engine rejects fails alone, in the engine's words; its neighbour is written.
    let mut after_rejects = loaded.clone();
    for (entity, batch, words) in h.rejected() {
        let outcomes = write_all(conn, entity, &batch).await;
        match &outcomes[0] {
            WriteOutcome::Failed { message } => assert!(
                message.contains(words),
                "{name}: rejection message {message:?} lacks {words:?}"
            ),
            other => panic!("{name}: the bad record was accepted: {other:?}"),
        }
        let WriteOutcome::Created { target_id } = &outcomes[1] else {
            panic!(
                "{name}: the good record next to the bad one was not created: {:?}",
                outcomes[1]
            )
        };
        created.push((entity, target_id.clone()));
        *after_rejects.get_mut(entity_key(entity)).expect("counted") += 1;
        if entity == Entity::Products {
            // The good product: two variants and (where counted) one option group.
            *after_rejects.get_mut("variants").expect("counted") += 2;
            if let Some(groups) = after_rejects.get_mut("option_groups") {
                *groups += 1;
            }
        }
    }
    let orders = write_all(conn, Entity::Orders, &[order()]).await;
    assert!(
        matches!(&orders[0], WriteOutcome::Failed { message } if message.contains("cannot import an order")),
        "{name}: orders are refused with the reason: {orders:?}"
    );
    assert_eq!(
        h.counts().await,
        after_rejects,
        "{name}: the rejected record left something behind"
    );

    // 6. Rollback: delete what the run created, newest first; the engine is as it was.
    for (entity, id) in created.iter().rev() {
        conn.delete(*entity, id)
            .await
            .unwrap_or_else(|e| panic!("{name}: delete {entity} {id}: {e}"));
    }
    assert_eq!(
        h.counts().await,
        before,
        "{name}: rollback did not restore the counts"
    );
    for r in products() {
        assert_eq!(
            conn.lookup(Entity::Products, &r.external_key())
                .await
                .expect("lookup"),
            None
        );
    }
    // Deleting again (a rollback resumed after a crash) is harmless.
    for (entity, id) in created.iter().rev() {
        conn.delete(*entity, id)
            .await
            .unwrap_or_else(|e| panic!("{name}: second delete {entity} {id}: {e}"));
    }
}

fn entity_key(e: Entity) -> &'static str {
    match e {
        Entity::Categories => "categories",
        Entity::Products => "products",
        Entity::Customers => "customers",
        _ => "other",
    }
}

fn order() -> Record {
    let m = |s: &str| Money::parse(s, "USD").expect("money");
    Record::Order(Box::new(Order {
        source: SourceRef::new("woo-order-1001"),
        number: "1001".into(),
        email: Some("ada@example.com".into()),
        customer_ref: None,
        currency: "USD".into(),
        presentment: None,
        line_items: vec![LineItem {
            sku: Some("TEE-S".into()),
            title: "Classic Tee".into(),
            variant_title: Some("S".into()),
            quantity: 1,
            price: m("19.99"),
            total_discount: None,
            tax_lines: vec![],
            product_ref: None,
        }],
        tax_lines: vec![],
        discounts: vec![],
        shipping_lines: vec![],
        transactions: vec![],
        totals: OrderTotals {
            subtotal: m("19.99"),
            discounts: m("0"),
            shipping: m("0"),
            tax: m("0"),
            total: m("19.99"),
        },
        financial_status: FinancialStatus::Paid,
        fulfillment_status: FulfillmentStatus::Unfulfilled,
        created_at: Timestamp::parse_api("2024-01-02T03:04:05Z"),
        processed_at: None,
        cancelled_at: None,
        billing_address: None,
        shipping_address: None,
        note: None,
        tags: vec![],
    }))
}

fn compare_categories(name: &str, got: &[Record]) {
    for want in categories() {
        let Record::Category(w) = want else {
            unreachable!()
        };
        let g = got
            .iter()
            .find_map(|r| match r {
                Record::Category(c) if c.handle == w.handle => Some(c),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name}: category {} not extracted", w.handle));
        assert_eq!(g.path, w.path, "{name}: path of {}", w.handle);
        assert_eq!(
            g.description_html, w.description_html,
            "{name}: description of {}",
            w.handle
        );
        assert!(
            g.source
                .url_path
                .as_deref()
                .is_some_and(|u| u.ends_with(&w.handle)),
            "{name}: url of {}",
            w.handle
        );
    }
}

fn compare_products(name: &str, got: &[Record], inventory: bool, images: bool) {
    for want in products() {
        let Record::Product(w) = want else {
            unreachable!()
        };
        let g = got
            .iter()
            .find_map(|r| match r {
                Record::Product(p) if p.handle == w.handle => Some(p),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name}: product {} not extracted", w.handle));
        assert_eq!(g.title, w.title, "{name}: title of {}", w.handle);
        assert_eq!(
            g.body_html, w.body_html,
            "{name}: description of {}",
            w.handle
        );
        assert_eq!(g.status, w.status, "{name}: status of {}", w.handle);
        let mut gc = g.categories.clone();
        let mut wc = w.categories.clone();
        gc.sort();
        wc.sort();
        assert_eq!(gc, wc, "{name}: categories of {}", w.handle);
        let by_name = |opts: &[ProductOption]| -> BTreeMap<String, Vec<String>> {
            opts.iter()
                .map(|o| {
                    let mut v = o.values.clone();
                    v.sort();
                    (o.name.clone(), v)
                })
                .collect()
        };
        assert_eq!(
            by_name(&g.options),
            by_name(&w.options),
            "{name}: options of {}",
            w.handle
        );
        assert_eq!(
            g.variants.len(),
            w.variants.len(),
            "{name}: variants of {}",
            w.handle
        );
        if images {
            let srcs = |p: &Product| {
                p.images
                    .iter()
                    .map(|i| (i.position, i.src.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(srcs(g), srcs(&w), "{name}: images of {}", w.handle);
        }
        for wv in &w.variants {
            let gv = g
                .variants
                .iter()
                .find(|v| v.sku == wv.sku)
                .unwrap_or_else(|| panic!("{name}: variant {:?} of {} missing", wv.sku, w.handle));
            let (gp, wp) = (
                gv.price.as_ref().expect("price"),
                wv.price.as_ref().expect("price"),
            );
            assert_eq!(
                gp.amount.normalize(),
                wp.amount.normalize(),
                "{name}: price of {:?}",
                wv.sku
            );
            assert_eq!(gp.currency, wp.currency, "{name}: currency of {:?}", wv.sku);
            // Option values by option name: engines may order option groups their own way.
            let values = |p: &Product, v: &Variant| -> BTreeMap<String, String> {
                p.options
                    .iter()
                    .map(|o| o.name.clone())
                    .zip(v.option_values.iter().cloned())
                    .collect()
            };
            assert_eq!(
                values(g, gv),
                values(&w, wv),
                "{name}: option values of {:?}",
                wv.sku
            );
            if inventory {
                assert_eq!(gv.inventory, wv.inventory, "{name}: stock of {:?}", wv.sku);
            }
        }
    }
}

fn compare_customers(name: &str, got: &[Record], keeps_case: bool) {
    for want in customers() {
        let Record::Customer(w) = want else {
            unreachable!()
        };
        let g = got
            .iter()
            .find_map(|r| match r {
                Record::Customer(c) if c.email.eq_ignore_ascii_case(&w.email) => Some(c),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name}: customer {} not extracted", w.email));
        if keeps_case {
            assert_eq!(g.email, w.email, "{name}: email keeps its case");
        } else {
            assert_eq!(
                g.email,
                w.email.to_lowercase(),
                "{name}: email is stored in lower case"
            );
        }
        assert_eq!(
            (&g.first_name, &g.last_name, &g.phone),
            (&w.first_name, &w.last_name, &w.phone),
            "{name}: {}",
            w.email
        );
        assert_eq!(g.addresses.len(), 1, "{name}: addresses of {}", w.email);
        let (ga, wa) = (&g.addresses[0], &w.addresses[0]);
        assert_eq!(
            (
                &ga.first_name,
                &ga.last_name,
                &ga.address1,
                &ga.city,
                &ga.province,
                &ga.country_code,
                &ga.zip
            ),
            (
                &wa.first_name,
                &wa.last_name,
                &wa.address1,
                &wa.city,
                &wa.province,
                &wa.country_code,
                &wa.zip
            ),
            "{name}: address of {}",
            w.email
        );
    }
}

// ---------- Medusa ----------

struct MedusaHarness(Engine);

impl Harness for MedusaHarness {
    fn name(&self) -> &'static str {
        "Medusa"
    }
    fn connect(&self) -> Box<dyn Connector> {
        Box::new(
            Medusa::connect(
                &self.0.url,
                &self.0.email,
                &self.0.password,
                platform::medusa::CONCURRENCY,
                HttpConfig::default(),
            )
            .expect("client"),
        )
    }
    async fn counts(&self) -> BTreeMap<&'static str, u64> {
        let http = reqwest::Client::new();
        let token = medusa_token(&http, &self.0).await;
        let mut counts = BTreeMap::new();
        for (key, path) in [
            ("products", "/admin/products"),
            ("variants", "/admin/product-variants"),
            ("customers", "/admin/customers"),
            ("categories", "/admin/product-categories"),
        ] {
            let body: Value = http
                .get(format!("{}{path}?limit=1&fields=id", self.0.url))
                .bearer_auth(&token)
                .send()
                .await
                .expect("count")
                .json()
                .await
                .expect("count reply");
            counts.insert(
                key,
                body["count"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("no count in {path}: {body}")),
            );
        }
        counts
    }
    fn rejected(&self) -> Vec<(Entity, Vec<Record>, &'static str)> {
        // Medusa enforces SKUs unique across products: this one is already taken by the tee.
        let bad = product(
            "copy-tee",
            "Copy Tee",
            &[("Size", &["S"])],
            vec![variant("TEE-S", "9.99", &["S"], 1)],
            &[],
        );
        vec![(
            Entity::Products,
            vec![Record::Product(bad), Record::Product(tote_bag())],
            "already exists",
        )]
    }
    fn carries_inventory(&self) -> bool {
        true
    }
    fn carries_images(&self) -> bool {
        true
    }
    fn keeps_email_case(&self) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn medusa_loads_extracts_rejects_and_rolls_back() {
    let Some(engine) = Engine::start("medusa", "Medusa") else {
        return;
    };
    // Without a stock location the product still loads, and the missing stock is a finding.
    let harness = MedusaHarness(engine);
    let mut conn = harness.connect();
    let tee = Record::Product(tote_bag());
    let out = write_all(conn.as_mut(), Entity::Products, std::slice::from_ref(&tee)).await;
    let findings = conn.take_findings();
    assert!(
        findings
            .iter()
            .any(|f| f.code == "stock_not_moved" && f.message.contains("stock location")),
        "no stock location must be reported: {findings:?}"
    );
    conn.delete(Entity::Products, &target_id(&out[0]))
        .await
        .expect("delete");
    let engine = harness.0;

    // A store that sells has a warehouse: stock quantities live on its location levels.
    let http = reqwest::Client::new();
    let token = medusa_token(&http, &engine).await;
    let location: Value = http
        .post(format!("{}/admin/stock-locations", engine.url))
        .bearer_auth(&token)
        .json(&json!({"name": "Main warehouse"}))
        .send()
        .await
        .expect("create a stock location")
        .json()
        .await
        .expect("stock location reply");
    assert!(
        location["stock_location"]["id"].is_string(),
        "stock location: {location}"
    );
    scenario(&MedusaHarness(engine)).await;
}

async fn medusa_token(http: &reqwest::Client, engine: &Engine) -> String {
    let reply: Value = http
        .post(format!("{}/auth/user/emailpass", engine.url))
        .json(&json!({"email": engine.email, "password": engine.password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login reply");
    reply["token"].as_str().expect("token").to_string()
}

// ---------- Vendure ----------

struct VendureHarness(Engine);

impl Harness for VendureHarness {
    fn name(&self) -> &'static str {
        "Vendure"
    }
    fn connect(&self) -> Box<dyn Connector> {
        Box::new(
            Vendure::connect(
                &self.0.url,
                &self.0.email,
                &self.0.password,
                platform::vendure::CONCURRENCY,
                HttpConfig::default(),
            )
            .expect("client"),
        )
    }
    async fn counts(&self) -> BTreeMap<&'static str, u64> {
        let http = reqwest::Client::new();
        let login = http
            .post(&self.0.url)
            .json(&json!({"query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ __typename } }",
                "variables": {"u": self.0.email, "p": self.0.password}}))
            .send()
            .await
            .expect("login");
        let token = login
            .headers()
            .get("vendure-auth-token")
            .and_then(|v| v.to_str().ok())
            .expect("token")
            .to_string();
        let body: Value = http
            .post(&self.0.url)
            .bearer_auth(&token)
            .json(&json!({"query": "{ products{ totalItems } productVariants{ totalItems } customers{ totalItems }
                collections{ totalItems } facetValues{ totalItems } facets{ totalItems } productOptionGroups{ totalItems } }"}))
            .send()
            .await
            .expect("count")
            .json()
            .await
            .expect("count reply");
        let d = &body["data"];
        let n = |k: &str| {
            d[k]["totalItems"]
                .as_u64()
                .unwrap_or_else(|| panic!("no {k} count: {body}"))
        };
        BTreeMap::from([
            ("products", n("products")),
            ("variants", n("productVariants")),
            ("customers", n("customers")),
            ("categories", n("collections")),
            ("facet_values", n("facetValues")),
            ("facets", n("facets")),
            ("option_groups", n("productOptionGroups")),
        ])
    }
    fn rejected(&self) -> Vec<(Entity, Vec<Record>, &'static str)> {
        // Vendure refuses two variants of one product with the same option values; the product
        // it had already made must go too.
        let twins = product(
            "twin-tee",
            "Twin Tee",
            &[("Size", &["S"])],
            vec![
                variant("TWIN-1", "9.99", &["S"], 1),
                variant("TWIN-2", "9.99", &["S"], 1),
            ],
            &[],
        );
        let products = (
            Entity::Products,
            vec![Record::Product(twins), Record::Product(tote_bag())],
            "already exists",
        );
        // Vendure checks address countries against its own list.
        let bad = customer("nowhere@example.com", "No", "Where", "0 Nowhere Road", "ZZ");
        let good = customer(
            "linus@example.com",
            "Linus",
            "Torvalds",
            "3 Kernel Court",
            "US",
        );
        vec![
            products,
            (Entity::Customers, vec![bad, good], "was not recognized"),
        ]
    }
    fn carries_inventory(&self) -> bool {
        true
    }
    fn carries_images(&self) -> bool {
        // Vendure keeps images as assets made from the file itself (see platform::vendure).
        false
    }
    fn keeps_email_case(&self) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendure_loads_extracts_rejects_and_rolls_back() {
    let Some(engine) = Engine::start("vendure", "Vendure") else {
        return;
    };
    scenario(&VendureHarness(engine)).await;
}
