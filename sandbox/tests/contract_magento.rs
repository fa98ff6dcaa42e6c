//! Magento 2 traffic held to Adobe's Admin REST schema (admin-schema-2.4.8): every request the
//! connector sends while extracting a store and while loading one twice (the update paths) —
//! categories and products' category links, customers' newsletter subscription,
//! configurables whose attributes and options must be made first, SKUs beyond 64 characters,
//! an option name two attributes fit, customers without names, addresses without countries
//! or with regions the directory does not know — and every reply the sandbox gives, checked by
//! the contract harness. Where the schema is wrong or silent, `sandbox/specs/exceptions.toml`
//! says so once with its evidence; nothing else may disagree.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use storeshift_connectors::api::magento::{MagentoSource, MagentoTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::contract::{Contract, Report};
use storeshift_sandbox::magento::{MagentoConfig, MagentoSandbox};
use storeshift_sandbox::Running;

mod support;
use support::{api_spec, read_all};

fn spec(server: &Running) -> EndpointSpec {
    let cfg = MagentoConfig::default();
    let credentials = [
        ("username", cfg.username.as_str()),
        ("password", &cfg.password),
    ];
    let mut spec = api_spec(Platform::Magento, server.url(), &credentials, json!({}));
    spec.currency = Some("EUR".into());
    spec
}

fn configurable(handle: &str, option: &str, values: &[&str]) -> Record {
    Record::Product(Product {
        source: SourceRef::new(handle),
        handle: handle.into(),
        title: format!("Product {handle}"),
        options: vec![ProductOption {
            name: option.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }],
        variants: values
            .iter()
            .map(|v| Variant {
                sku: Some(format!("{handle}-{}", v.to_lowercase())),
                price: Some(Money::new(Decimal::new(1999, 2), "EUR")),
                compare_at_price: Some(Money::new(Decimal::new(2499, 2), "EUR")),
                inventory: None,
                option_values: vec![v.to_string()],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

fn customer(email: &str, names: Option<(&str, &str)>, addresses: Vec<Address>) -> Record {
    Record::Customer(Customer {
        source: SourceRef::new(email),
        email: email.into(),
        first_name: names.map(|n| n.0.to_string()),
        last_name: names.map(|n| n.1.to_string()),
        phone: Some("+1 555 0100".into()),
        addresses,
        ..Default::default()
    })
}

fn address(province: Option<&str>, country: Option<&str>) -> Address {
    Address {
        address1: Some("1 Main St".into()),
        city: Some("Somewhere".into()),
        province: province.map(str::to_string),
        country_code: country.map(str::to_string),
        zip: Some("10001".into()),
        ..Default::default()
    }
}

/// Asks, takes each question's recommended choice (as a headless run does), writes.
async fn load(t: &mut MagentoTarget, entity: Entity, batch: &[Record]) -> Vec<WriteOutcome> {
    for q in t.questions(entity, batch).await.expect("questions") {
        t.decide(&q.code, &q.item, &q.recommended);
    }
    t.write_batch(entity, batch).await.expect("write")
}

fn check(sb: &MagentoSandbox, contract: &Contract) -> Report {
    contract.check_all(&sb.faults.traffic().take())
}

#[tokio::test]
async fn extraction_and_two_loads_agree_with_adobes_admin_schema() {
    let contract = Contract::magento().expect("the Magento schema loads");

    // Out of a store: products with configurables, customers.
    let source = MagentoSandbox::new(MagentoConfig::default());
    let gear = source.add_category(None, "Gear").expect("gear");
    let bags = source.add_category(Some(gear), "Bags").expect("bags");
    source.seed_products(9);
    assert!(source.link_product("MG-1", &[gear, bags]));
    assert!(source.link_product("MG-4", &[bags]));
    source.seed_customers(6);
    source.faults.traffic().record(true);
    let sserver = source.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&sserver)).expect("open");
    let categories = read_all(&mut src, Entity::Categories, 5).await;
    assert_eq!(categories.len(), 2);
    let mut products = read_all(&mut src, Entity::Products, 5).await;
    let mut customers = read_all(&mut src, Entity::Customers, 5).await;
    let mut report = check(&source, &contract);

    // Into another, twice.
    products.extend([
        configurable("merino-tee", "Fabric Weight", &["Light", "Heavy"]),
        configurable("cap", "Color", &["Navy", "Sand"]),
        configurable(
            &"an-overlong-handle-for-a-product-".repeat(3),
            "Size",
            &["S"],
        ),
    ]);
    customers.extend([
        customer(
            "nameless@example.com",
            None,
            vec![address(Some("NY"), Some("US"))],
        ),
        customer(
            "nowhere@example.com",
            Some(("No", "Where")),
            vec![address(None, None)],
        ),
        customer(
            "gotham@example.com",
            Some(("Bruce", "Wayne")),
            vec![
                address(Some("Gotham"), Some("US")),
                address(Some("BE"), Some("DE")),
            ],
        ),
        customer(
            "istanbul@example.com",
            Some(("Ayşe", "Kaya")),
            vec![address(Some("İstanbul"), Some("TR"))],
        ),
        customer(
            "london@example.com",
            Some(("Tom", "Hardy")),
            vec![address(None, Some("GB"))],
        ),
    ]);
    let target = MagentoSandbox::new(MagentoConfig::default());
    target.add_attribute("apparel_color", "Color", true, &["Navy"]);
    target.faults.traffic().record(true);
    let tserver = target.start(0).await.expect("bind");
    for round in 0..2 {
        // Each round is a run of its own: nothing remembered but what the store holds.
        let mut t = MagentoTarget::open(&spec(&tserver)).expect("open");
        let k = load(&mut t, Entity::Categories, &categories).await;
        assert!(
            k.iter().all(|o| !matches!(o, WriteOutcome::Failed { .. })),
            "round {round}: {k:?}"
        );
        let p = load(&mut t, Entity::Products, &products).await;
        let c = load(&mut t, Entity::Customers, &customers).await;
        let done = |o: &&WriteOutcome| !matches!(o, WriteOutcome::Failed { .. });
        assert_eq!(
            p.iter().filter(done).count(),
            products.len(),
            "round {round}: {p:?}"
        );
        assert_eq!(
            c.iter().filter(done).count(),
            customers.len() - 1,
            "round {round}: only the nameless customer is left out: {c:?}"
        );
        if round == 1 {
            assert!(
                p.iter().all(|o| matches!(o, WriteOutcome::Updated { .. })),
                "{p:?}"
            );
            // Rollback's deletes are part of the contract too.
            let WriteOutcome::Updated { target_id } = &p[0] else {
                unreachable!()
            };
            t.delete(Entity::Products, target_id).await.expect("delete");
            let WriteOutcome::Updated { target_id } = &c[0] else {
                unreachable!()
            };
            t.delete(Entity::Customers, target_id)
                .await
                .expect("delete");
            let WriteOutcome::Updated { target_id } = &k[1] else {
                unreachable!()
            };
            t.delete(Entity::Categories, target_id)
                .await
                .expect("delete");
        }
    }
    assert!(target.creation_log().duplicates().is_empty());
    report.merge(check(&target, &contract));
    println!("{report}");
    for op in [
        "GET /V1/products",
        "PUT /V1/products/{sku}",
        "GET /V1/products/attributes",
        "POST /V1/products/attributes",
        "POST /V1/products/attributes/{attributeCode}/options",
        "POST /V1/products/attribute-sets/attributes",
        "POST /V1/configurable-products/{sku}/options",
        "POST /V1/configurable-products/{sku}/child",
        "GET /V1/directory/countries",
        "POST /V1/customers",
        "PUT /V1/customers/{customerId}",
        "DELETE /V1/products/{sku}",
        "GET /V1/categories/list",
        "POST /V1/categories",
        "PUT /V1/categories/{id}",
        "DELETE /V1/categories/{categoryId}",
    ] {
        assert!(
            report.operations.contains_key(op),
            "{op} was exercised: {report}"
        );
    }
    assert!(report.open().is_empty(), "{report}");
}

#[tokio::test]
async fn the_sandbox_answers_its_refusals_in_magentos_documented_error_shape() {
    let contract = Contract::magento().expect("the Magento schema loads");
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.faults.traffic().record(true);
    let server = sb.start(0).await.expect("bind");
    let client = reqwest::Client::new();
    let token: String = client
        .post(format!("{}/rest/V1/integration/admin/token", server.url()))
        .json(&json!({ "username": "admin", "password": "sandbox123" }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let base = format!("{}/rest/default/V1", server.url());
    let send = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let long = "X".repeat(65);
    let refusals: Vec<(reqwest::Method, String, Value, u16, &str)> = vec![
        (
            reqwest::Method::PUT,
            format!("/products/{long}"),
            json!({ "product": { "sku": long, "name": "Long", "price": 1.5, "attribute_set_id": 4, "type_id": "simple" } }),
            400,
            "SKU length should be %1 characters maximum.",
        ),
        (
            reqwest::Method::PUT,
            "/products/NEW-1".into(),
            json!({ "product": { "sku": "NEW-1", "name": "No price", "attribute_set_id": 4, "type_id": "simple" } }),
            400,
            "The value of attribute \"%1\" must be set",
        ),
        (
            reqwest::Method::PUT,
            "/products/NEW-2".into(),
            json!({ "product": { "sku": "NEW-2", "name": "Bad size", "price": 2, "attribute_set_id": 4, "type_id": "simple",
                                 "custom_attributes": [{ "attribute_code": "size", "value": "999999" }] } }),
            400,
            "Invalid value of \"%value\" provided for the %fieldName field.",
        ),
        (
            reqwest::Method::POST,
            "/customers".into(),
            json!({ "customer": { "email": "a@example.com", "firstname": "A", "lastname": "B", "website_id": 1,
                                  "addresses": [{ "firstname": "A", "lastname": "B", "street": ["1 Main"], "city": "Austin", "postcode": "73301",
                                                  "country_id": "US", "telephone": "555" }] } }),
            400,
            "\"%fieldName\" is required. Enter and try again.",
        ),
        (
            reqwest::Method::POST,
            "/customers".into(),
            json!({ "customer": { "email": "b@example.com", "firstname": "", "lastname": "", "website_id": 1 } }),
            400,
            "One or more input exceptions have occurred.",
        ),
        (
            reqwest::Method::POST,
            "/configurable-products/NOPE/options".into(),
            json!({ "option": { "attribute_id": "93", "label": "Color", "values": [] } }),
            400,
            "Option values are not specified.",
        ),
    ];
    for (method, path, body, status, message) in refusals {
        let r = send(method.clone(), &path, body).await.expect("send");
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["message"], message, "{method} {path}: {v}");
    }
    let missing: Value = client
        .get(format!("{base}/products/NOPE"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(
        missing.get("parameters").is_none(),
        "no empty parameters: {missing}"
    );
    assert!(
        sb.product("NEW-1").is_none() && sb.product("NEW-2").is_none() && sb.customer_count() == 0
    );
    let report = contract.check_all(&sb.faults.traffic().take());
    println!("{report}");
    assert!(report.open().is_empty(), "{report}");
}
