//! The Magento 2 REST connector against the Magento sandbox, which answers as Magento's own
//! validators do: attributes and options made before the products that need them, SKUs within
//! 64 characters, regions resolved to the directory's ids, no empty value where one is
//! required, and the questions only a person can answer.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;
use storeshift_connectors::api::magento::{MagentoSource, MagentoTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::magento::{MagentoConfig, MagentoSandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, extract_all, quick};

fn spec_with(server: &Running, options: &[(&str, Value)]) -> EndpointSpec {
    let cfg = MagentoConfig::default();
    let credentials = [
        ("username", cfg.username.as_str()),
        ("password", &cfg.password),
    ];
    let extra: serde_json::Map<String, Value> = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let options = quick(Value::Object(extra));
    let mut spec = api_spec(Platform::Magento, server.url(), &credentials, options);
    spec.currency = Some("EUR".into());
    spec
}

fn spec(server: &Running) -> EndpointSpec {
    spec_with(server, &[])
}

async fn source_records(n: usize) -> Vec<Record> {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_products(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, Entity::Products, 100).await.0
}

fn eur(s: &str) -> Option<Money> {
    Some(Money::new(s.parse::<Decimal>().expect("amount"), "EUR"))
}

/// A configurable product: one option per `(name, values)`, one variant per combination.
fn configurable(handle: &str, options: &[(&str, &[&str])]) -> Record {
    let mut variants: Vec<Vec<String>> = vec![vec![]];
    for (_, values) in options {
        variants = variants
            .into_iter()
            .flat_map(|v| {
                values.iter().map(move |x| {
                    let mut v = v.clone();
                    v.push(x.to_string());
                    v
                })
            })
            .collect();
    }
    Record::Product(Product {
        source: SourceRef::new(handle),
        handle: handle.into(),
        title: format!("Product {handle}"),
        options: options
            .iter()
            .map(|(n, v)| ProductOption {
                name: n.to_string(),
                values: v.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        variants: variants
            .into_iter()
            .map(|values| Variant {
                sku: Some(format!("{handle}-{}", values.join("-").to_lowercase())),
                price: eur("25.00"),
                inventory: Some(3),
                option_values: values,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

fn customer(
    email: &str,
    first: Option<&str>,
    last: Option<&str>,
    addresses: Vec<Address>,
) -> Record {
    Record::Customer(Customer {
        source: SourceRef::new(email),
        email: email.into(),
        first_name: first.map(str::to_string),
        last_name: last.map(str::to_string),
        phone: Some("+1 555 0100".into()),
        addresses,
        ..Default::default()
    })
}

fn address(city: &str, province: Option<&str>, country: Option<&str>, zip: &str) -> Address {
    Address {
        address1: Some("1 Main St".into()),
        city: Some(city.into()),
        province: province.map(str::to_string),
        country_code: country.map(str::to_string),
        zip: Some(zip.into()),
        ..Default::default()
    }
}

fn custom(p: &Value, code: &str) -> Option<String> {
    p["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .and_then(|a| a["value"].as_str().map(str::to_string))
}

#[tokio::test]
async fn extraction_stops_on_total_count_although_magento_repeats_the_last_page() {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_products(10);
    sb.seed_customers(7);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    // 10 products: 3 configurables with 3 children each (listed too, but read with their parent).
    let (products, pages) = extract_all(&mut src, Entity::Products, 4).await;
    assert_eq!(products.len(), 10, "children are not products of their own");
    assert_eq!(pages, 5, "19 items in pages of 4");
    let Record::Product(p0) = &products[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "magento-product-0");
    assert_eq!(p0.options[0].name, "Size");
    assert_eq!(p0.options[0].values, vec!["S", "M", "L"]);
    assert_eq!(p0.variants[2].sku.as_deref(), Some("MG-0-L"));
    assert_eq!(p0.variants[2].price, eur("40"));
    assert!(
        p0.images[0]
            .src
            .ends_with("/media/catalog/product/m/g/mg0.jpg"),
        "{}",
        p0.images[0].src
    );
    let (customers, _) = extract_all(&mut src, Entity::Customers, 3).await;
    assert_eq!(customers.len(), 7);
    let Record::Customer(c) = &customers[1] else {
        panic!()
    };
    assert_eq!(c.addresses[0].city.as_deref(), Some("Berlin"));
    // Magento's own code for Berlin (`BER`) is read as ISO 3166-2, as other platforms write it.
    assert_eq!(c.addresses[0].province.as_deref(), Some("BE"));

    // Asking for a page past the end gets the last page again, as on Magento.
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
    let page = |n: u32| {
        client
            .get(format!("{}/rest/default/V1/products?searchCriteria[pageSize]=4&searchCriteria[currentPage]={n}", server.url()))
            .bearer_auth(&token)
            .send()
    };
    let last: Value = page(5).await.expect("p5").json().await.expect("json");
    let past: Value = page(9).await.expect("p9").json().await.expect("json");
    assert_eq!(last["items"], past["items"]);
}

#[tokio::test]
async fn loading_twice_saves_by_sku_once_and_rollback_restores_the_store() {
    let records = source_records(9).await;
    let target = MagentoSandbox::new(MagentoConfig::default());
    target.seed_customers(1);
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    assert!(
        t.questions(Entity::Products, &records)
            .await
            .expect("questions")
            .is_empty(),
        "\"Size\" is the store's size attribute, by code and by label"
    );
    let first = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        first
            .iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{first:?}"
    );
    assert_eq!(
        t.take_findings().len(),
        9,
        "every product's images are reported, none is failed"
    );
    let second = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("again");
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{second:?}"
    );
    assert_eq!(target.product_count(), 9 + 3 * 3);
    assert!(target.creation_log().duplicates().is_empty());
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    let (copied, _) = extract_all(&mut src, Entity::Products, 100).await;
    let p0 = copied
        .iter()
        .find_map(|r| match r {
            Record::Product(p) if p.handle == "magento-product-0" => Some(p),
            _ => None,
        })
        .expect("the configurable came back");
    assert_eq!(p0.options[0].values, vec!["S", "M", "L"]);
    assert_eq!(p0.variants.len(), 3);
    assert_eq!(p0.variants[0].price, eur("40"));
    assert_eq!(
        t.lookup(Entity::Products, "magento-product-3")
            .await
            .expect("lookup")
            .as_deref(),
        Some("MG-3")
    );
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn missing_attributes_are_created_in_the_attribute_set_before_the_products_that_need_them() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let batch = vec![
        configurable(
            "merino-tee",
            &[
                ("Size", &["S", "M"]),
                ("Fabric Weight", &["Light", "Heavy"]),
            ],
        ),
        configurable("linen-tee", &[("Fabric weight", &["light", "Medium"])]),
    ];
    assert!(t
        .questions(Entity::Products, &batch)
        .await
        .expect("q")
        .is_empty());
    let out = t.write_batch(Entity::Products, &batch).await.expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    let attr = target.attribute("fabric_weight").expect("created");
    assert_eq!(attr["scope"], "global");
    assert_eq!(attr["frontend_input"], "select");
    assert_eq!(attr["default_frontend_label"], "Fabric Weight");
    assert!(
        target.in_default_set("fabric_weight"),
        "configurables can use it"
    );
    let labels: Vec<&str> = attr["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["label"].as_str())
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        labels,
        ["Light", "Heavy", "Medium"],
        "labels are matched without case"
    );
    let parent = target.product("merino-tee").expect("parent");
    assert_eq!(parent["type_id"], "configurable");
    let options = parent["extension_attributes"]["configurable_product_options"]
        .as_array()
        .unwrap();
    assert_eq!(options.len(), 2);
    assert_eq!(options[1]["attribute_id"], attr["attribute_id"].to_string());
    assert_eq!(target.children("merino-tee").len(), 4);
    let child = target.product("merino-tee-m-heavy").expect("child");
    let heavy = attr["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["label"] == "Heavy")
        .unwrap()["value"]
        .clone();
    assert_eq!(custom(&child, "fabric_weight").as_deref(), heavy.as_str());
    // A second load changes nothing and creates nothing.
    let again = t
        .write_batch(Entity::Products, &batch)
        .await
        .expect("again");
    assert!(
        again
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{again:?}"
    );
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    // Another run (a new connector) finds the attribute instead of making it again.
    let mut t2 = MagentoTarget::open(&spec(&server)).expect("open");
    let third = t2
        .write_batch(Entity::Products, &batch)
        .await
        .expect("third");
    assert!(
        third
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{third:?}"
    );
    assert!(target.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn an_option_name_two_attributes_fit_is_asked_and_the_decision_is_used() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    // The store's "color" (id 93) is labelled Color; so is this one.
    target.add_attribute("apparel_color", "Color", true, &["Navy"]);
    // A store-scoped attribute cannot carry a configurable: it is no candidate.
    target.add_attribute("finish", "Finish", false, &[]);
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let batch = vec![
        configurable("tee", &[("Color", &["Navy", "Sand"])]),
        configurable("cap", &[("color", &["Navy"])]),
        configurable("bench", &[("Finish", &["Oak"])]),
    ];
    let questions = t
        .questions(Entity::Products, &batch)
        .await
        .expect("questions");
    assert_eq!(questions.len(), 1, "{questions:?}");
    let q = &questions[0];
    assert_eq!(q.code, "ambiguous_attribute");
    assert_eq!(q.item, "color");
    let keys: Vec<&str> = q.choices.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["color", "apparel_color", "skip"]);
    assert_eq!(
        q.recommended, "color",
        "the attribute named like the option"
    );
    assert_eq!(q.records.len(), 2, "both products wait for it");

    // Written without a decision, nothing is created and the products say why.
    let undecided = t
        .write_batch(Entity::Products, &batch[..1])
        .await
        .expect("write");
    assert!(
        matches!(&undecided[0], WriteOutcome::Failed { message } if message.contains("several Magento attributes")),
        "{undecided:?}"
    );
    assert!(target.product("tee").is_none());

    t.decide("ambiguous_attribute", "color", "apparel_color");
    let out = t
        .write_batch(Entity::Products, &batch)
        .await
        .expect("write");
    assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
    assert!(matches!(out[1], WriteOutcome::Created { .. }), "{out:?}");
    assert!(
        matches!(&out[2], WriteOutcome::Failed { message } if message.contains("\"finish\"") && message.contains("not global")),
        "{out:?}"
    );
    let navy = target.attribute("apparel_color").unwrap()["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["label"] == "Navy")
        .unwrap()["value"]
        .clone();
    let child = target.product("cap-navy").expect("child");
    assert_eq!(custom(&child, "apparel_color").as_deref(), navy.as_str());
    assert_eq!(custom(&child, "color"), None);

    // Leaving them out is a decision too.
    let mut t2 = MagentoTarget::open(&spec(&server)).expect("open");
    assert_eq!(
        t2.questions(Entity::Products, &batch[..1])
            .await
            .expect("q")
            .len(),
        1
    );
    t2.decide("ambiguous_attribute", "color", "skip");
    let skipped = t2
        .write_batch(Entity::Products, &batch[..1])
        .await
        .expect("write");
    assert!(
        matches!(&skipped[0], WriteOutcome::Failed { message } if message.contains("left out as decided")),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn skus_longer_than_magentos_64_characters_are_shortened_the_same_way_on_every_run() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let handle = "the-extraordinarily-long-handle-of-a-merino-overshirt-in-many-colours-and-sizes";
    let Record::Product(mut p) = configurable(handle, &[("Size", &["S", "M"])]) else {
        unreachable!()
    };
    p.variants[1].sku = Some("SHORT-M".into());
    let batch = vec![Record::Product(p)];
    let out = t.write_batch(Entity::Products, &batch).await.expect("load");
    let WriteOutcome::Created { target_id } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(target_id.chars().count(), 64);
    assert!(handle.starts_with(&target_id[..50]), "{target_id}");
    let findings = t.take_findings();
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.code == "sku_shortened")
            .count(),
        2,
        "the parent's and the long variant's: {findings:?}"
    );
    assert!(target.skus().iter().all(|s| s.chars().count() <= 64));
    assert!(target.skus().contains(&"SHORT-M".to_string()));
    let mut t2 = MagentoTarget::open(&spec(&server)).expect("open");
    let again = t2
        .write_batch(Entity::Products, &batch)
        .await
        .expect("again");
    assert_eq!(
        again,
        vec![WriteOutcome::Updated {
            target_id: target_id.clone()
        }]
    );
    assert_eq!(
        t2.lookup(Entity::Products, handle)
            .await
            .expect("lookup")
            .as_deref(),
        Some(target_id.as_str()),
        "a resumed run finds it by its handle"
    );
    assert_eq!(target.product_count(), 3);
    assert!(target.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn addresses_carry_the_directorys_region_id_and_an_unknown_region_is_asked() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let batch = vec![
        customer(
            "ny@example.com",
            Some("Ann"),
            Some("Lee"),
            vec![address("New York", Some("NY"), Some("US"), "10001")],
        ),
        customer(
            "be@example.com",
            Some("Jürgen"),
            Some("Yılmaz"),
            vec![address("Berlin", Some("BE"), Some("de"), "10115")],
        ),
        customer(
            "tr@example.com",
            Some("Ayşe"),
            Some("Kaya"),
            vec![address("İstanbul", Some("İstanbul"), Some("TR"), "34000")],
        ),
        customer(
            "uk@example.com",
            Some("Tom"),
            Some("Hardy"),
            vec![address("London", None, Some("GB"), "EC1A 1BB")],
        ),
        customer(
            "gotham@example.com",
            Some("Bruce"),
            Some("Wayne"),
            vec![
                address("Gotham", Some("Gotham"), Some("US"), "07001"),
                address("Austin", Some("Texas"), Some("US"), "73301"),
            ],
        ),
    ];
    let questions = t
        .questions(Entity::Customers, &batch)
        .await
        .expect("questions");
    assert_eq!(questions.len(), 1, "{questions:?}");
    let q = &questions[0];
    assert_eq!(
        (q.code.as_str(), q.item.as_str()),
        ("unknown_region", "US/Gotham")
    );
    assert_eq!(q.recommended, "leave_out");
    let keys: Vec<&str> = q.choices.iter().map(|c| c.key.as_str()).collect();
    assert!(keys.ends_with(&["leave_out", "skip"]), "{keys:?}");
    assert!(
        q.choices
            .iter()
            .any(|c| c.label.contains("Georgia") || c.label.contains("Guam")),
        "the nearest regions are offered: {keys:?}"
    );
    t.decide("unknown_region", "US/Gotham", "leave_out");
    let out = t
        .write_batch(Entity::Customers, &batch)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    let findings = t.take_findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "address_left_out");
    assert!(
        findings[0].message.contains("Gotham"),
        "{}",
        findings[0].message
    );
    let stored = target.customers();
    let region = |email: &str| {
        let c = stored.iter().find(|c| c["email"] == email).expect("stored");
        (
            c["addresses"][0]["region_id"].clone(),
            c["addresses"][0]["region"]["region_code"].clone(),
        )
    };
    assert_eq!(region("ny@example.com"), (json!(43), json!("NY")));
    assert_eq!(
        region("be@example.com"),
        (json!(82), json!("BER")),
        "ISO BE is Magento 2.4.8's BER"
    );
    assert_eq!(
        region("tr@example.com"),
        (json!(0), json!("İstanbul")),
        "typed where a country has no list"
    );
    assert_eq!(
        region("gotham@example.com"),
        (json!(57), json!("TX")),
        "the other address went"
    );

    // A region of the list, once chosen, goes on every such address.
    let mut t2 = MagentoTarget::open(&spec(&server)).expect("open");
    let again = vec![customer(
        "gotham@example.com",
        Some("Bruce"),
        Some("Wayne"),
        vec![address("Gotham", Some("Gotham"), Some("US"), "07001")],
    )];
    let q = t2.questions(Entity::Customers, &again).await.expect("q");
    assert_eq!(q.len(), 1);
    let georgia = q[0]
        .choices
        .iter()
        .find(|c| c.label.contains("Georgia"))
        .expect("offered");
    t2.decide("unknown_region", "US/Gotham", &georgia.key);
    assert!(
        t2.questions(Entity::Customers, &again)
            .await
            .expect("q")
            .is_empty(),
        "asked once"
    );
    let out = t2
        .write_batch(Entity::Customers, &again)
        .await
        .expect("load");
    assert!(matches!(out[0], WriteOutcome::Updated { .. }), "{out:?}");
    let c = target
        .customers()
        .into_iter()
        .find(|c| c["email"] == "gotham@example.com")
        .unwrap();
    assert_eq!(c["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(c["addresses"][0]["region"]["region"], "Georgia");
    assert_eq!(c["addresses"][0]["region_id"], 19);
}

#[tokio::test]
async fn customers_without_names_and_addresses_without_countries_never_send_empty_values() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    let server = target.start(0).await.expect("bind");
    let batch = vec![
        customer(
            "nameless@example.com",
            None,
            None,
            vec![address("New York", Some("NY"), Some("US"), "10001")],
        ),
        customer("cher@example.com", Some("Cher"), None, vec![]),
        customer(
            "nowhere@example.com",
            Some("No"),
            Some("Where"),
            vec![address("Somewhere", None, None, "12345")],
        ),
        customer("", Some("No"), Some("Email"), vec![]),
    ];
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let questions = t
        .questions(Entity::Customers, &batch)
        .await
        .expect("questions");
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert_eq!(questions[0].code, "missing_name");
    assert_eq!(questions[0].records.len(), 2);
    assert_eq!(questions[0].recommended, "skip");
    t.decide("missing_name", "customers", "skip");
    let out = t
        .write_batch(Entity::Customers, &batch)
        .await
        .expect("load");
    assert!(
        matches!(&out[0], WriteOutcome::Failed { message } if message.contains("left out as decided")),
        "{out:?}"
    );
    assert!(matches!(&out[1], WriteOutcome::Failed { .. }), "{out:?}");
    assert!(matches!(&out[2], WriteOutcome::Created { .. }), "{out:?}");
    assert!(
        matches!(&out[3], WriteOutcome::Failed { message } if message.contains("requires an email")),
        "{out:?}"
    );
    let findings = t.take_findings();
    assert!(
        findings
            .iter()
            .any(|f| f.code == "address_left_out" && f.message.contains("country")),
        "{findings:?}"
    );
    let nowhere = target
        .customers()
        .into_iter()
        .find(|c| c["email"] == "nowhere@example.com")
        .unwrap();
    assert_eq!(nowhere["addresses"], json!([]));

    let mut t2 = MagentoTarget::open(&spec(&server)).expect("open");
    t2.decide("missing_name", "customers", "fill");
    let out = t2
        .write_batch(Entity::Customers, &batch[..2])
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    let all = target.customers();
    let named = |email: &str| {
        let c = all.iter().find(|c| c["email"] == email).unwrap();
        (
            c["firstname"].as_str().unwrap().to_string(),
            c["lastname"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        named("nameless@example.com"),
        ("nameless".into(), "nameless".into())
    );
    assert_eq!(named("cher@example.com"), ("Cher".into(), "Cher".into()));
    // Nothing stored anywhere is an empty text.
    fn no_empty(v: &Value, at: &str) {
        match v {
            Value::String(s) => assert!(!s.is_empty(), "empty value at {at}"),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| no_empty(x, &format!("{at}[{i}]"))),
            Value::Object(o) => o
                .iter()
                .for_each(|(k, x)| no_empty(x, &format!("{at}.{k}"))),
            _ => {}
        }
    }
    for c in target.customers() {
        no_empty(&c, "customer");
    }
    // Magento requires a telephone on addresses unless the store made it optional; the
    // endpoint option says which.
    let Record::Customer(mut quiet) = customer(
        "quiet@example.com",
        Some("Q"),
        Some("Uiet"),
        vec![address("London", None, Some("GB"), "N1")],
    ) else {
        unreachable!()
    };
    quiet.phone = None;
    let quiet = vec![Record::Customer(quiet)];
    let out = t2
        .write_batch(Entity::Customers, &quiet)
        .await
        .expect("load");
    assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
    assert!(
        t2.take_findings()
            .iter()
            .any(|f| f.code == "address_left_out" && f.message.contains("telephone")),
        "the address without a telephone is left out, the customer goes"
    );
    let relaxed = MagentoSandbox::new(MagentoConfig {
        telephone_required: false,
        ..MagentoConfig::default()
    });
    let rserver = relaxed.start(0).await.expect("bind");
    let mut t3 = MagentoTarget::open(&spec_with(&rserver, &[("optional_telephone", json!(true))]))
        .expect("open");
    let out = t3
        .write_batch(Entity::Customers, &quiet)
        .await
        .expect("load");
    assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
    let c = relaxed.customers().pop().expect("created");
    assert_eq!(c["addresses"][0]["city"], "London");
    assert!(c["addresses"][0].get("telephone").is_none());
}

#[tokio::test]
async fn faults_are_survived_and_customers_are_created_once() {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_customers(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 100).await;
    if let Record::Customer(c) = &mut customers[6] {
        c.email = "nope".into();
    }
    let target = MagentoSandbox::new(MagentoConfig::default());
    let tserver = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&tserver)).expect("open");
    assert!(t
        .questions(Entity::Customers, &customers)
        .await
        .expect("q")
        .is_empty());
    target.faults.after(&[
        (2, Fault::Status(503)),
        (3, Fault::Slow(Duration::from_millis(900))),
        (6, Fault::Reset),
        (9, Fault::MalformedJson),
        (
            12,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (15, Fault::Status(502)),
    ]);
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert!(
        matches!(&out[6], WriteOutcome::Failed { message } if message.contains("not a valid email")),
        "{out:?}"
    );
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, WriteOutcome::Created { .. }))
            .count(),
        11,
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 6);
    assert_eq!(target.customer_count(), 11);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    let c = target.customers().into_iter().next().expect("one");
    assert_eq!(
        c["addresses"][0]["region_id"], 82,
        "Berlin came as BER and went as its id"
    );
}

fn category(handle: &str, path: &[&str]) -> Record {
    Record::Category(Category {
        source: SourceRef::new(path.join(" > ")),
        handle: handle.into(),
        path: path.iter().map(|s| s.to_string()).collect(),
        description_html: format!("<p>{}</p>", path.join(" / ")),
        ..Default::default()
    })
}

fn simple(handle: &str, categories: &[&[&str]]) -> Record {
    Record::Product(Product {
        source: SourceRef::new(handle),
        handle: handle.into(),
        title: format!("Product {handle}"),
        categories: categories
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect(),
        variants: vec![Variant {
            sku: Some(handle.to_uppercase()),
            price: eur("12.50"),
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn paths(r: &Record) -> Vec<String> {
    match r {
        Record::Product(p) => p.categories.iter().map(|c| c.join(" > ")).collect(),
        _ => vec![],
    }
}

/// The category ids a product in the sandbox links to, as their names.
fn linked_names(sb: &MagentoSandbox, sku: &str) -> Vec<String> {
    let cats = sb.categories();
    let p = sb.product(sku).expect("the product");
    let mut names: Vec<String> = p["extension_attributes"]["category_links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let id = l["category_id"].as_str()?;
            cats.iter()
                .find(|c| c["id"].as_u64() == id.parse::<u64>().ok())
                .and_then(|c| c["name"].as_str().map(str::to_string))
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn categories_and_product_links_move_both_ways_parents_first_and_never_twice() {
    use storeshift_connectors::api::magento::MagentoVerifier;
    use storeshift_connectors::Verifier;

    // Out of Magento: the tree below "Default Category", parents first, and products' links
    // as paths; the newsletter subscription as e-mail consent.
    let source = MagentoSandbox::new(MagentoConfig::default());
    let men = source.add_category(None, "Men").expect("men");
    let men_shirts = source.add_category(Some(men), "Shirts").expect("shirts");
    let women = source.add_category(None, "Women").expect("women");
    let women_shirts = source.add_category(Some(women), "Shirts").expect("shirts");
    source.seed_products(3);
    assert!(source.link_product("MG-1", &[men_shirts, women]));
    assert!(source.link_product("MG-0", &[women_shirts]));
    source.seed_customers(1);
    let sserver = source.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&sserver)).expect("open");
    let (cats, _) = extract_all(&mut src, Entity::Categories, 3).await;
    let labels: Vec<String> = cats.iter().map(Record::label).collect();
    assert_eq!(labels, ["Men", "Women", "Men > Shirts", "Women > Shirts"]);
    let Record::Category(c) = &cats[2] else {
        panic!("a category")
    };
    assert_eq!(c.handle, "shirts");
    assert_eq!(c.source.url_path.as_deref(), Some("/men/shirts.html"));
    let (products, _) = extract_all(&mut src, Entity::Products, 100).await;
    let by_handle = |h: &str| {
        products
            .iter()
            .find(|r| r.external_key() == h)
            .expect("product")
    };
    assert_eq!(
        paths(by_handle("magento-product-1")),
        ["Men > Shirts", "Women"]
    );
    assert_eq!(paths(by_handle("magento-product-0")), ["Women > Shirts"]);
    assert!(paths(by_handle("magento-product-2")).is_empty());

    // Into Magento from another platform: category records (a child listed before its
    // parent too), then products naming paths, one of which no record has.
    let target = MagentoSandbox::new(MagentoConfig::default());
    let tserver = target.start(0).await.expect("bind");
    let records = vec![
        category("tops", &["Apparel", "Tops"]),
        category("apparel", &["Apparel"]),
        category("bags", &["Bags"]),
    ];
    let goods = vec![
        simple("tee", &[&["Apparel", "Tops"], &["Sale", "Summer"]]),
        simple("tote", &[&["Bags"]]),
        simple("plain", &[]),
    ];
    let mut t = MagentoTarget::open(&spec(&tserver)).expect("open");
    assert!(t.accepts(Entity::Categories));
    // A dropped connection after the first create landed: looked up, never posted again.
    target.faults.after(&[(3, Fault::Reset)]);
    let out = t
        .write_batch(Entity::Categories, &records)
        .await
        .expect("categories");
    assert!(
        out.iter().all(|o| matches!(
            o,
            WriteOutcome::Created { .. } | WriteOutcome::Updated { .. }
        )),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 1);
    let out = t
        .write_batch(Entity::Products, &goods)
        .await
        .expect("products");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.category_count(), 5, "{:?}", target.categories());
    assert_eq!(linked_names(&target, "TEE"), ["Summer", "Tops"]);
    assert_eq!(linked_names(&target, "TOTE"), ["Bags"]);
    assert!(linked_names(&target, "PLAIN").is_empty());
    let tops = target
        .categories()
        .into_iter()
        .find(|c| c["name"] == "Tops")
        .expect("tops");
    assert!(
        tops["custom_attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .any(|a| a["attribute_code"] == "url_key" && a["value"] == "tops"),
        "{tops}"
    );

    // Another writer made "Outlet" after the tree was read: Magento's refusal of the same URL
    // key under the same parent leads to it, not to a second one.
    let outlet = target.add_category(None, "Outlet").expect("outlet");
    let out = t
        .write_batch(Entity::Products, &[simple("cap", &[&["Outlet"]])])
        .await
        .expect("cap");
    assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
    let cap = target.product("CAP").expect("cap");
    assert_eq!(
        cap["extension_attributes"]["category_links"][0]["category_id"],
        outlet.to_string()
    );

    // A rerun from a fresh target: everything is found, nothing is created twice.
    let mut again = MagentoTarget::open(&spec(&tserver)).expect("open");
    let out = again
        .write_batch(Entity::Categories, &records)
        .await
        .expect("categories again");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{out:?}"
    );
    again
        .write_batch(Entity::Products, &goods)
        .await
        .expect("products again");
    assert_eq!(target.category_count(), 6);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    assert!(again
        .lookup(Entity::Categories, "bags")
        .await
        .expect("lookup")
        .is_some());

    // Verification reads the tree back and compares categories like any record.
    let mut v = MagentoVerifier::open(&spec(&tserver)).expect("verifier");
    let count = v
        .count(Entity::Categories)
        .await
        .expect("count")
        .expect("counted");
    assert_eq!(count.count, 6);
    let ids: Vec<String> = out
        .iter()
        .filter_map(|o| match o {
            WriteOutcome::Updated { target_id } => Some(target_id.clone()),
            _ => None,
        })
        .collect();
    let back = v.fetch(Entity::Categories, &ids).await.expect("fetch");
    for (sent, got) in records.iter().zip(&back) {
        let (Record::Category(s), Some(Record::Category(g))) = (sent, got) else {
            panic!("{got:?}")
        };
        assert_eq!((&g.path, &g.handle), (&s.path, &s.handle));
        assert_eq!(g.description_html, s.description_html);
    }
}

#[tokio::test]
async fn the_newsletter_subscription_is_written_and_read_back() {
    let target = MagentoSandbox::new(MagentoConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
    let mut subscribed = customer(
        "news@example.com",
        Some("Nia"),
        Some("Sub"),
        vec![address("Berlin", Some("BE"), Some("DE"), "10115")],
    );
    if let Record::Customer(c) = &mut subscribed {
        c.marketing.email = true;
    }
    let quiet = customer(
        "quiet@example.com",
        Some("Qi"),
        Some("Not"),
        vec![address("Berlin", Some("BE"), Some("DE"), "10115")],
    );
    let out = t
        .write_batch(Entity::Customers, &[subscribed, quiet])
        .await
        .expect("customers");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    let (read, _) = extract_all(&mut src, Entity::Customers, 10).await;
    let consent: Vec<(String, bool)> = read
        .iter()
        .filter_map(|r| match r {
            Record::Customer(c) => Some((c.email.clone(), c.marketing.email)),
            _ => None,
        })
        .collect();
    assert_eq!(
        consent,
        [
            ("news@example.com".to_string(), true),
            ("quiet@example.com".to_string(), false)
        ]
    );
}
