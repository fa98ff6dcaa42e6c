//! The BigCommerce connector and sandbox held to BigCommerce's published OpenAPI documents
//! (Catalog products, variants, brands and category trees; Customers): the traffic of an
//! extraction, two loads of the same store (create, then the update paths), look-ups, a
//! rollback, and customers without names or with addresses that lack a country, all recorded
//! and checked.

use serde_json::json;
use storeshift_connectors::api::bigcommerce::{BigCommerceSource, BigCommerceTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use storeshift_sandbox::contract::{Contract, Report};
use storeshift_sandbox::Running;

mod support;
use support::api_spec;

fn spec(server: &Running) -> EndpointSpec {
    let token = BigCommerceConfig::default().token;
    let options = json!({ "store_hash": "sandbox" });
    let mut spec = api_spec(
        Platform::BigCommerce,
        server.url(),
        &[("token", &token)],
        options,
    );
    spec.currency = Some("USD".into());
    spec
}

fn unlimited() -> BigCommerceConfig {
    BigCommerceConfig {
        quota: 100_000,
        ..Default::default()
    }
}

async fn extract(src: &mut dyn Source, entity: Entity) -> Vec<Record> {
    let mut cursor = None;
    let mut out = vec![];
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), 7)
            .await
            .expect("page");
        out.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Customers a real store holds: one without any name, one whose address has no country and
/// no names of its own, one with a full address.
fn awkward_customers() -> Vec<Record> {
    let base = |i: u32| Customer {
        source: SourceRef::new(format!("c{i}")),
        email: format!("awkward{i}@example.com"),
        ..Default::default()
    };
    let no_name = base(1);
    let mut no_country = base(2);
    no_country.first_name = Some("Ada".into());
    no_country.last_name = Some("Lovelace".into());
    no_country.addresses = vec![Address {
        address1: Some("1 Main St".into()),
        city: Some("Springfield".into()),
        default: true,
        ..Default::default()
    }];
    let mut full = base(3);
    full.first_name = Some("Grace".into());
    full.last_name = Some("Hopper".into());
    full.phone = Some("555-0100".into());
    full.addresses = vec![Address {
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        address1: Some("2 Navy Way".into()),
        city: Some("Arlington".into()),
        province: Some("Virginia".into()),
        country_code: Some("US".into()),
        zip: Some("22201".into()),
        default: true,
        ..Default::default()
    }];
    vec![
        Record::Customer(no_name),
        Record::Customer(no_country),
        Record::Customer(full),
    ]
}

/// Runs the whole scenario and returns the report of both sandboxes' traffic.
async fn scenario() -> (Report, BigCommerceSandbox) {
    let contract = Contract::bigcommerce().expect("specifications");
    // Source: extraction through every page.
    let source = BigCommerceSandbox::new(unlimited());
    source.seed_products(12);
    source.seed_customers(9);
    let linen = source.seed_category(&["Clothing", "Shirts", "Linen"]);
    let sale = source.seed_category(&["Sale"]);
    for i in 0..12 {
        let cats = if i % 2 == 0 {
            vec![linen, sale]
        } else {
            vec![sale]
        };
        source.categorize(&format!("BC product {i}"), &cats);
    }
    source.faults.traffic().record(true);
    let sserver = source.start(0).await.expect("bind");
    let mut src = BigCommerceSource::open(&spec(&sserver)).expect("open");
    let categories = extract(&mut src, Entity::Categories).await;
    assert_eq!(categories.len(), 4);
    let products = extract(&mut src, Entity::Products).await;
    let mut customers = extract(&mut src, Entity::Customers).await;
    customers.extend(awkward_customers());
    assert_eq!(products.len(), 12);
    let mut report = contract.check_all(&source.faults.traffic().take());

    // Target: load twice (creates, then updates), look up, roll back.
    let target = BigCommerceSandbox::new(unlimited());
    target.faults.traffic().record(true);
    let tserver = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&tserver)).expect("open");
    for round in 0..2 {
        let out = t
            .write_batch(Entity::Categories, &categories)
            .await
            .expect("categories");
        assert!(
            out.iter()
                .all(|o| !matches!(o, WriteOutcome::Failed { .. })),
            "round {round}: {out:?}"
        );
        let out = t
            .write_batch(Entity::Products, &products)
            .await
            .expect("products");
        assert!(
            out.iter()
                .all(|o| !matches!(o, WriteOutcome::Failed { .. })),
            "round {round}: {out:?}"
        );
        let out = t
            .write_batch(Entity::Customers, &customers)
            .await
            .expect("customers");
        // The customer without a name cannot be held: BigCommerce requires first and last
        // name. It is refused before anything is sent, with the reason.
        let (failed, written): (Vec<_>, Vec<_>) = out
            .iter()
            .partition(|o| matches!(o, WriteOutcome::Failed { .. }));
        assert_eq!(written.len(), customers.len() - 1, "round {round}: {out:?}");
        assert!(
            matches!(failed[0], WriteOutcome::Failed { message } if message.contains("awkward1@example.com") && message.contains("first_name and last_name")),
            "round {round}: {out:?}"
        );
    }
    let found = t
        .lookup(Entity::Products, "bc-product-5")
        .await
        .expect("lookup");
    let id = found.expect("the product is found by its handle");
    t.delete(Entity::Products, &id).await.expect("delete");
    let cat = t
        .lookup(Entity::Categories, "linen")
        .await
        .expect("lookup")
        .expect("the category is found by its handle");
    t.delete(Entity::Categories, &cat).await.expect("delete");
    let cid = t
        .lookup(Entity::Customers, "awkward2@example.com")
        .await
        .expect("lookup")
        .expect("found");
    t.delete(Entity::Customers, &cid).await.expect("delete");
    report.merge(contract.check_all(&target.faults.traffic().take()));
    (report, target)
}

#[tokio::test]
async fn the_connector_and_the_sandbox_follow_bigcommerces_published_specifications() {
    let (report, target) = scenario().await;
    println!("{report}");
    assert!(target.creation_log().duplicates().is_empty());
    // Every product in its categories; Linen was rolled back (taking it off the products).
    let placed = target.product_categories();
    assert_eq!(placed.len(), 11, "{placed:?}");
    assert!(
        placed
            .values()
            .all(|p| p == &vec![vec!["Sale".to_string()]]),
        "{placed:?}"
    );
    assert_eq!(
        target.category_paths(),
        [
            vec!["Clothing".to_string()],
            vec!["Clothing".into(), "Shirts".into()],
            vec!["Sale".into()]
        ]
    );
    for op in [
        "GET /catalog/products",
        "POST /catalog/products",
        "PUT /catalog/products",
        "DELETE /catalog/products",
        "GET /customers",
        "POST /customers",
        "PUT /customers",
        "DELETE /customers",
        "GET /catalog/trees",
        "GET /catalog/trees/categories",
        "POST /catalog/trees/categories",
        "PUT /catalog/trees/categories",
        "DELETE /catalog/trees/categories",
    ] {
        assert!(
            report.operations.contains_key(op),
            "{op} not exercised: {report}"
        );
    }
    assert!(report.open().is_empty(), "{report}");
}
