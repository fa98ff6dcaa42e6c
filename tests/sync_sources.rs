//! `storeshift sync` through the binary from the Shopify, BigCommerce, Magento, Ideasoft and
//! Ikas sandboxes into the WooCommerce sandbox. After a finished migration two products are
//! changed, one added, one deleted and one customer changed in the source through the
//! platform's own API; the next cycle asks the source for what changed (Shopify's
//! `updated_at:>=` search, BigCommerce's `date_modified:min`, Magento's `updated_at gteq`,
//! Ideasoft's `startUpdatedAt`), reads about those records and moves exactly them, once; the
//! deletion waits as an intervention. A cycle after that reads at most the changes again (the
//! window's first second), not the store. Ideasoft's members and Ikas's products have no such
//! filter (Ikas's reference gives `listProduct` no `updatedAt` argument): they are read whole
//! and the unchanged skipped by hash, so exactly the changed ones still move; the Ikas source
//! reads products only.

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// How a source reads customers in a sync cycle.
#[derive(PartialEq)]
enum Customers {
    /// Through its "changed since" filter.
    Filtered,
    /// Whole, the unchanged ones skipped by content hash (no filter).
    Whole,
    /// The source does not read customers.
    None,
}

/// What a source platform's API does for the shared scenario.
trait SourceApi {
    fn customers(&self) -> Customers {
        Customers::Filtered
    }
    /// Whether products are read through a "changed since" filter (else whole, by hash).
    fn products_filtered(&self) -> bool {
        true
    }
    /// Source ids (as the id map keys them) and names of the store's products, in order.
    fn products(&self) -> Vec<(String, String)>;
    fn rename(&self, id: &str, name: &str);
    fn add(&self, name: &str);
    fn delete(&self, id: &str);
    /// Changes the first customer's first name.
    fn change_customer(&self, first_name: &str);
    /// The platform's published specification, when the contract harness has it: every
    /// request the sync cycles send must follow it.
    fn contract(&self) -> Option<storeshift_sandbox::contract::Contract> {
        None
    }
}

/// Turns the sandbox's traffic recorder on or off.
fn recording(sb: &SandboxProc, on: bool) {
    let r = http_json(
        "POST",
        &format!("{}/__sandbox/traffic", sb.url),
        Some(&json!({ "record": on })),
    );
    assert_eq!(r["recording"], on, "{r}");
}

/// The scenario every source goes through (see the file's comment).
fn changes_move_once_and_deletions_wait(src: &dyn SourceApi, sb: &SandboxProc) {
    let dst = SandboxProc::start("woocommerce", &[]);
    let customers = src.customers();
    let entities = if customers == Customers::None {
        "[\"products\"]"
    } else {
        "[\"products\", \"customers\"]"
    };
    let s = migrated_between(sb, &dst, &format!("entities = {entities}"));
    let before = woo_products(&dst).len();
    assert!(before >= 10, "{before} products migrated");

    // The cycles' requests are recorded (the test's own edits through the API are not).
    let contract = src.contract();
    if contract.is_some() {
        recording(sb, true);
    }
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    next_second();
    if contract.is_some() {
        recording(sb, false);
    }

    let all = src.products();
    let (a, b, gone) = (&all[1], &all[3], &all[5]);
    src.rename(&a.0, "Renamed while selling");
    src.rename(&b.0, "Renamed twice over");
    src.add("Arrived after the migration");
    src.delete(&gone.0);
    if customers != Customers::None {
        src.change_customer("Changed");
    }

    if contract.is_some() {
        recording(sb, true);
    }
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    let p = &c["counts"]["products"];
    assert_eq!(n(&p["read"]) - n(&p["unchanged"]), 3, "{c}");
    assert_eq!(p["created"], 1, "{c}");
    assert_eq!(p["updated"], 2, "{c}");
    if customers != Customers::None {
        assert_eq!(c["counts"]["customers"]["updated"], 1, "{c}");
        assert_eq!(
            n(&c["counts"]["customers"]["read"]) - n(&c["counts"]["customers"]["unchanged"]),
            1,
            "{c}"
        );
    }
    assert_eq!(c["deletions_reported"], 1, "{c}");
    assert_eq!(c["deleted"], 0, "{c}");
    // Filtered by the source's own "changed since", not read whole, where it has one.
    if src.products_filtered() {
        assert!(c["since"]["products"].is_string(), "{c}");
    } else {
        assert!(c["since"]["products"].is_null(), "{c}");
        assert!(n(&p["read"]) >= before as u64, "{c}");
    }
    match customers {
        Customers::Filtered => assert!(c["since"]["customers"].is_string(), "{c}"),
        Customers::Whole => {
            assert!(c["since"]["customers"].is_null(), "{c}");
            // Every member was read again, not only the changed one.
            assert!(n(&c["counts"]["customers"]["read"]) > 1, "{c}");
        }
        Customers::None => assert!(c["counts"]["customers"].is_null(), "{c}"),
    }

    let target = woo_products(&dst);
    assert_eq!(target.len(), before + 1);
    assert_eq!(named(&target, "Renamed while selling").len(), 1);
    assert_eq!(named(&target, "Renamed twice over").len(), 1);
    assert_eq!(named(&target, "Arrived after the migration").len(), 1);
    // The deleted product is still in the target: nobody decided yet.
    assert_eq!(named(&target, &gone.1).len(), 1, "{}", gone.1);
    assert_eq!(
        dst.state()["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{}",
        dst.state()
    );
    if customers != Customers::None {
        assert!(woo_customers(&dst)
            .iter()
            .any(|c| c["first_name"] == "Changed"));
    }

    let ivs = deletion_interventions(&s);
    let status = s.status_json();
    assert_eq!(ivs.len(), 1, "{status:#}");
    assert_eq!(ivs[0]["records"][0]["source_id"], gone.0.as_str());
    assert!(ivs[0]["decision"].is_null());

    // Nothing more changed: the next cycle reads at most the last window's second again.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    if src.products_filtered() {
        assert!(n(&c["counts"]["products"]["read"]) <= 3, "{c}");
    } else {
        let p = &c["counts"]["products"];
        assert_eq!(n(&p["read"]), n(&p["unchanged"]), "{c}");
    }
    if customers == Customers::Filtered {
        assert!(n(&c["counts"]["customers"]["read"]) <= 1, "{c}");
    }
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(c["deletions_reported"], 0, "{c}");

    let o = storeshift(&[
        "decide",
        &s.ws_str(),
        ivs[0]["id"].as_str().unwrap_or_default(),
        "delete",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["deleted"], 1, "{c}");
    let target = woo_products(&dst);
    assert_eq!(named(&target, &gone.1).len(), 0);
    assert_eq!(target.len(), before);

    // Every request the cycles sent (changed-since searches, id-only lists) follows the
    // platform's own specification.
    if let Some(contract) = contract {
        let traffic: Vec<storeshift_sandbox::Exchange> = serde_json::from_value(http_json(
            "GET",
            &format!("{}/__sandbox/traffic", sb.url),
            None,
        ))
        .expect("traffic");
        assert!(!traffic.is_empty(), "no traffic recorded");
        let checked = contract.check_all(&traffic);
        eprintln!("{checked}");
        for (op, n) in &checked.operations {
            eprintln!("  {n:>5}  {op}");
        }
        assert!(checked.open().is_empty(), "{checked}");
    }
}

// ---- Shopify ---------------------------------------------------------------------------------

struct Shopify<'a>(&'a SandboxProc);

impl Shopify<'_> {
    fn gql(&self, query: &str, variables: Value) -> Value {
        let v = http_call(
            &self.0.url,
            "POST",
            "/admin/api/2026-07/graphql.json",
            &[("X-Shopify-Access-Token", "shpat_sandbox")],
            Some(&json!({ "query": query, "variables": variables })),
        );
        assert!(v.get("errors").is_none(), "{v}");
        v["data"].clone()
    }
}

impl SourceApi for Shopify<'_> {
    fn products(&self) -> Vec<(String, String)> {
        let d = self.gql("{ products(first: 250) { nodes { id title } } }", json!({}));
        d["products"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or_default().to_string(),
                    p["title"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn rename(&self, id: &str, name: &str) {
        let d = self.gql(
            "mutation($i: ProductSetInput!, $id: ProductSetIdentifiers) { productSet(input: $i, identifier: $id) { product { id } userErrors { message } } }",
            json!({ "i": { "title": name }, "id": { "id": id } }),
        );
        assert_eq!(d["productSet"]["userErrors"], json!([]), "{d}");
    }

    fn add(&self, name: &str) {
        let d = self.gql(
            "mutation($i: ProductSetInput!) { productSet(input: $i) { product { id } userErrors { message } } }",
            json!({ "i": { "title": name, "handle": "arrived-late", "status": "ACTIVE",
                           "productOptions": [{ "name": "Title", "values": [{ "name": "Default Title" }] }],
                           "variants": [{ "sku": "LATE-1", "price": "5.00",
                                          "optionValues": [{ "optionName": "Title", "name": "Default Title" }] }] } }),
        );
        assert_eq!(d["productSet"]["userErrors"], json!([]), "{d}");
    }

    fn delete(&self, id: &str) {
        let d = self.gql(
            "mutation($i: ProductDeleteInput!) { productDelete(input: $i) { deletedProductId userErrors { message } } }",
            json!({ "i": { "id": id } }),
        );
        assert_eq!(d["productDelete"]["userErrors"], json!([]), "{d}");
    }

    fn change_customer(&self, first_name: &str) {
        let d = self.gql("{ customers(first: 1) { nodes { id } } }", json!({}));
        let id = d["customers"]["nodes"][0]["id"].clone();
        let d = self.gql(
            "mutation($i: CustomerSetInput!, $id: CustomerSetIdentifiers) { customerSet(input: $i, identifier: $id) { customer { id } userErrors { message } } }",
            json!({ "i": { "firstName": first_name }, "id": { "id": id } }),
        );
        assert_eq!(d["customerSet"]["userErrors"], json!([]), "{d}");
    }
}

#[test]
fn shopify_source_sync_moves_what_updated_at_selects() {
    let sb = SandboxProc::start(
        "shopify",
        &[
            "--seed-products",
            "30",
            "--seed-customers",
            "6",
            "--restore-rate",
            "1000",
            "--bucket",
            "20000",
        ],
    );
    changes_move_once_and_deletions_wait(&Shopify(&sb), &sb);
}

// ---- BigCommerce -----------------------------------------------------------------------------

struct BigCommerce<'a>(&'a SandboxProc);

impl BigCommerce<'_> {
    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http_call(
            &self.0.url,
            method,
            &format!("/stores/sandbox/v3{path}"),
            &[("X-Auth-Token", "bc_sandbox_token")],
            body,
        )
    }
}

impl SourceApi for BigCommerce<'_> {
    fn contract(&self) -> Option<storeshift_sandbox::contract::Contract> {
        Some(storeshift_sandbox::contract::Contract::bigcommerce().expect("specification"))
    }
    fn products(&self) -> Vec<(String, String)> {
        self.api("GET", "/catalog/products?limit=250", None)["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                (
                    p["id"].to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn rename(&self, id: &str, name: &str) {
        let id: u64 = id.parse().expect("numeric id");
        let v = self.api(
            "PUT",
            "/catalog/products",
            Some(&json!([{ "id": id, "name": name }])),
        );
        assert!(v["data"].is_array(), "{v}");
    }

    fn add(&self, name: &str) {
        let v = self.api(
            "POST",
            "/catalog/products",
            Some(&json!({ "name": name, "type": "physical", "weight": 1, "price": 5, "sku": "LATE-1" })),
        );
        assert!(v["data"]["id"].is_u64(), "{v}");
    }

    fn delete(&self, id: &str) {
        self.api("DELETE", &format!("/catalog/products?id:in={id}"), None);
    }

    fn change_customer(&self, first_name: &str) {
        let v = self.api("GET", "/customers?limit=1", None);
        let id = v["data"][0]["id"].clone();
        let v = self.api(
            "PUT",
            "/customers",
            Some(&json!([{ "id": id, "first_name": first_name }])),
        );
        assert!(v["data"].is_array(), "{v}");
    }
}

#[test]
fn bigcommerce_source_sync_moves_what_date_modified_min_selects() {
    let sb = SandboxProc::start(
        "bigcommerce",
        &[
            "--seed-products",
            "30",
            "--seed-customers",
            "6",
            "--plan",
            "enterprise",
        ],
    );
    changes_move_once_and_deletions_wait(&BigCommerce(&sb), &sb);
}

// ---- Magento ---------------------------------------------------------------------------------

struct Magento<'a>(&'a SandboxProc);

impl Magento<'_> {
    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let token = http_json(
            "POST",
            &format!("{}/rest/V1/integration/admin/token", self.0.url),
            Some(&json!({ "username": "admin", "password": "sandbox123" })),
        );
        let bearer = format!("Bearer {}", token.as_str().expect("token"));
        http_call(
            &self.0.url,
            method,
            &format!("/rest/default/V1{path}"),
            &[("Authorization", &bearer)],
            body,
        )
    }

    fn sku_of(&self, id: &str) -> String {
        self.list()
            .into_iter()
            .find(|p| p["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
            .and_then(|p| p["sku"].as_str().map(str::to_string))
            .expect("product by id")
    }

    /// Products listed on their own (configurable children come with their parent).
    fn list(&self) -> Vec<Value> {
        self.api(
            "GET",
            "/products?searchCriteria[pageSize]=300&searchCriteria[currentPage]=1",
            None,
        )["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p["visibility"] != 1)
            .collect()
    }
}

impl SourceApi for Magento<'_> {
    fn contract(&self) -> Option<storeshift_sandbox::contract::Contract> {
        Some(storeshift_sandbox::contract::Contract::magento().expect("specification"))
    }
    fn products(&self) -> Vec<(String, String)> {
        self.list()
            .iter()
            .map(|p| {
                (
                    p["id"].to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn rename(&self, id: &str, name: &str) {
        let sku = self.sku_of(id);
        let v = self.api(
            "PUT",
            &format!("/products/{sku}"),
            Some(&json!({ "product": { "sku": sku, "name": name } })),
        );
        assert_eq!(v["name"], name, "{v}");
    }

    fn add(&self, name: &str) {
        let v = self.api(
            "POST",
            "/products",
            Some(&json!({ "product": { "sku": "LATE-1", "name": name, "attribute_set_id": 4, "price": 5, "status": 1,
                                       "visibility": 4, "type_id": "simple",
                                       "custom_attributes": [{ "attribute_code": "url_key", "value": "arrived-late" }] } })),
        );
        assert!(v["id"].is_u64(), "{v}");
    }

    fn delete(&self, id: &str) {
        let sku = self.sku_of(id);
        let v = self.api("DELETE", &format!("/products/{sku}"), None);
        assert_eq!(v, json!(true), "{v}");
    }

    fn change_customer(&self, first_name: &str) {
        let v = self.api(
            "GET",
            "/customers/search?searchCriteria[pageSize]=1&searchCriteria[currentPage]=1",
            None,
        );
        let mut c = v["items"][0].clone();
        let id = c["id"].clone();
        c["firstname"] = json!(first_name);
        let v = self.api(
            "PUT",
            &format!("/customers/{id}"),
            Some(&json!({ "customer": c })),
        );
        assert_eq!(v["firstname"], first_name, "{v}");
    }
}

#[test]
fn magento_source_sync_moves_what_updated_at_gteq_selects() {
    let sb = SandboxProc::start(
        "magento",
        &["--seed-products", "30", "--seed-customers", "6"],
    );
    changes_move_once_and_deletions_wait(&Magento(&sb), &sb);
}

// ---- Ideasoft --------------------------------------------------------------------------------

struct Ideasoft<'a>(&'a SandboxProc);

impl Ideasoft<'_> {
    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http_call(
            &self.0.url,
            method,
            &format!("/admin-api{path}"),
            &[("Authorization", "Bearer ideasoft_sandbox_token")],
            body,
        )
    }

    /// Saves product `id`'s description alone, in its `product_details` record (the product's
    /// own `updatedAt` stays as it was).
    fn describe_alone(&self, id: &str, text: &str) {
        let details = self.api("GET", &format!("/product_details?product={id}"), None);
        let detail = &details[0];
        assert!(detail["id"].is_u64(), "{details}");
        let v = self.api(
            "PUT",
            &format!("/product_details/{}", detail["id"]),
            Some(&json!({ "sku": detail["sku"], "details": text, "product": { "id": detail["product"]["id"] } })),
        );
        assert_eq!(v["details"], text, "{v}");
    }
}

/// The description [`Ideasoft::describe_alone`] gives in the tests below.
const NEW_DESCRIPTION: &str = "<p>Yeni sezon: yün oranı artırıldı.</p>";

/// Products named `name` in the target carrying [`NEW_DESCRIPTION`].
fn described(dst: &SandboxProc, name: &str) -> usize {
    named(&woo_products(dst), name)
        .iter()
        .filter(|p| {
            p["description"]
                .as_str()
                .unwrap_or("")
                .contains("Yeni sezon")
        })
        .count()
}

impl SourceApi for Ideasoft<'_> {
    fn customers(&self) -> Customers {
        Customers::Whole
    }

    fn contract(&self) -> Option<storeshift_sandbox::contract::Contract> {
        Some(storeshift_sandbox::contract::Contract::ideasoft().expect("specification"))
    }

    fn products(&self) -> Vec<(String, String)> {
        self.api("GET", "/products?limit=100&sort=id", None)
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|p| p["parent"].is_null())
            .map(|p| {
                (
                    p["id"].to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn rename(&self, id: &str, name: &str) {
        let v = self.api(
            "PUT",
            &format!("/products/{id}"),
            Some(&json!({ "name": name })),
        );
        assert_eq!(v["name"], name, "{v}");
    }

    fn add(&self, name: &str) {
        let v = self.api(
            "POST",
            "/products",
            Some(
                &json!({ "name": name, "sku": "LATE-1", "slug": "arrived-late", "price1": 5.0,
                           "discount": 0, "discountType": 0, "tax": 20, "taxIncluded": 1,
                           "stockAmount": 1.0, "stockTypeLabel": "Piece", "status": 1,
                           "currency": { "id": 1 }, "customShippingDisabled": 1,
                           "moneyOrderDiscount": 0, "hasGift": 0, "categoryShowcaseStatus": 0 }),
            ),
        );
        assert!(v["id"].is_u64(), "{v}");
    }

    fn delete(&self, id: &str) {
        self.api("DELETE", &format!("/products/{id}"), None);
        let v = self.api("GET", &format!("/products/{id}"), None);
        assert!(v["id"].is_null(), "{v}");
    }

    fn change_customer(&self, first_name: &str) {
        let v = self.api("GET", "/members?limit=1&sort=id", None);
        let id = v[0]["id"].clone();
        let v = self.api(
            "PUT",
            &format!("/members/{id}"),
            Some(&json!({ "firstname": first_name })),
        );
        assert_eq!(v["firstname"], first_name, "{v}");
    }
}

#[test]
fn ideasoft_source_sync_moves_what_start_updated_at_selects() {
    let sb = SandboxProc::start(
        "ideasoft",
        &["--seed-products", "12", "--seed-customers", "5"],
    );
    changes_move_once_and_deletions_wait(&Ideasoft(&sb), &sb);
}

/// A description lives in Ideasoft's `product_details`, which has neither an `updatedAt` nor a
/// date filter in Ideasoft's document (nor has `product_to_categories`), and saving it leaves
/// the product's `updatedAt` alone: a cycle cannot see a description changed alone. It moves,
/// once, with the product's next save (what the README's sync section promises).
#[test]
fn ideasoft_description_changed_alone_waits_for_the_products_next_save() {
    let sb = SandboxProc::start("ideasoft", &["--seed-products", "6"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let src = Ideasoft(&sb);
    let s = migrated_between(&sb, &dst, "entities = [\"products\"]");
    // A product saved after the migration moves the mark past the second the store was
    // seeded in (a window re-reads its first second, which would select every seeded product).
    next_second();
    let all = src.products();
    src.rename(&all[0].0, "Saved after the migration");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    next_second();

    let (id, name) = all[2].clone();
    src.describe_alone(&id, NEW_DESCRIPTION);

    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(
        described(&dst, &name),
        0,
        "the description alone selects nothing"
    );

    src.rename(&id, &name);
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    assert_eq!(described(&dst, &name), 1);
    assert_eq!(named(&woo_products(&dst), &name).len(), 1);
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
}

/// `sync --full` reads every product whole, as the migration did, so the description a normal
/// cycle cannot see moves at once; only it is written (the rest are skipped by hash). The full
/// cycle commits marks: the normal cycle after it reads nothing again.
#[test]
fn a_full_cycle_moves_the_description_a_normal_cycle_misses() {
    let sb = SandboxProc::start("ideasoft", &["--seed-products", "6"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let src = Ideasoft(&sb);
    let s = migrated_between(&sb, &dst, "entities = [\"products\"]");
    next_second();
    let all = src.products();
    src.rename(&all[0].0, "Saved after the migration");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    next_second();

    let (id, name) = all[2].clone();
    src.describe_alone(&id, NEW_DESCRIPTION);
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    let filtered_read = n(&c["counts"]["products"]["read"]);
    assert_eq!(described(&dst, &name), 0, "a normal cycle misses it");
    next_second();

    let (code, c) = full_sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], true, "{c}");
    let p = &c["counts"]["products"];
    // Read whole, past the mark: every product, not what the filter selects.
    assert!(c["since"]["products"].is_null(), "{c}");
    assert!(n(&p["read"]) >= all.len() as u64, "{c}");
    assert!(n(&p["read"]) > filtered_read, "{c}");
    assert_eq!(p["updated"], 1, "{c}");
    assert_eq!(p["created"], 0, "{c}");
    assert_eq!(n(&p["unchanged"]), n(&p["read"]) - 1, "{c}");
    assert_eq!(c["deletions_reported"], 0, "{c}");
    assert_eq!(described(&dst, &name), 1);
    assert_eq!(named(&woo_products(&dst), &name).len(), 1);
    let o = storeshift(&["status", &s.ws_str()]);
    assert!(
        text(&o).contains("(sync cycle, full: every entity read whole)"),
        "{}",
        text(&o)
    );

    // The full cycle moved the mark to its start: nothing is read again.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "{c}");
    assert!(c["since"]["products"].is_string(), "{c}");
    assert_eq!(n(&c["counts"]["products"]["read"]), 0, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
}

/// `[sync] full_every = 2`: every second cycle reads everything whole by itself and catches
/// what the filter missed; the cycles between stay filtered.
#[test]
fn full_every_2_makes_every_second_cycle_full() {
    let sb = SandboxProc::start("ideasoft", &["--seed-products", "6"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let src = Ideasoft(&sb);
    let s = migrated_with_sync(
        &sb,
        &dst,
        "entities = [\"products\"]",
        "overlap = \"0s\"\nfull_every = 2",
    );
    next_second();
    let all = src.products();
    src.rename(&all[0].0, "Saved after the migration");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "{c}");
    assert!(c["since"]["products"].is_string(), "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    next_second();

    let (id, name) = all[2].clone();
    src.describe_alone(&id, NEW_DESCRIPTION);
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], true, "the 2nd cycle: {c}");
    assert!(c["since"]["products"].is_null(), "{c}");
    assert!(
        n(&c["counts"]["products"]["read"]) >= all.len() as u64,
        "{c}"
    );
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    assert_eq!(described(&dst, &name), 1);

    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "the 3rd cycle: {c}");
    assert_eq!(c["moved"], 0, "{c}");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], true, "the 4th cycle: {c}");
    assert!(
        n(&c["counts"]["products"]["read"]) >= all.len() as u64,
        "{c}"
    );
    assert_eq!(c["moved"], 0, "{c}");
}

// ---- Ikas ------------------------------------------------------------------------------------

struct Ikas<'a>(&'a SandboxProc);

impl Ikas<'_> {
    /// A client-credentials token, as an Ikas app gets one (a form POST).
    fn token(&self) -> String {
        let host = self.0.url.trim_start_matches("http://");
        let form = "grant_type=client_credentials&client_id=ikas_client&client_secret=ikas_secret";
        let mut c = std::net::TcpStream::connect(host).expect("connect sandbox");
        write!(
            c,
            "POST /api/admin/oauth/token HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        )
        .expect("send");
        let mut reply = String::new();
        c.read_to_string(&mut reply).expect("read");
        let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"));
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    fn gql(&self, query: &str, variables: Value) -> Value {
        let bearer = format!("Bearer {}", self.token());
        let v = http_call(
            &self.0.url,
            "POST",
            "/api/v1/admin/graphql",
            &[("Authorization", &bearer)],
            Some(&json!({ "query": query, "variables": variables })),
        );
        assert!(v.get("errors").is_none(), "{v}");
        v["data"].clone()
    }
}

impl SourceApi for Ikas<'_> {
    fn customers(&self) -> Customers {
        Customers::None
    }

    fn products_filtered(&self) -> bool {
        false
    }

    fn products(&self) -> Vec<(String, String)> {
        let d = self.gql(
            "{ listProduct(pagination: { page: 1, limit: 200 }) { data { id name } } }",
            json!({}),
        );
        d["listProduct"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or_default().to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn rename(&self, id: &str, name: &str) {
        let d = self.gql(
            "mutation($i: ProductInput!) { saveProduct(input: $i) { id name } }",
            json!({ "i": { "id": id, "name": name } }),
        );
        assert_eq!(d["saveProduct"]["name"], name, "{d}");
    }

    fn add(&self, name: &str) {
        let d = self.gql(
            "mutation($i: ProductInput!) { saveProduct(input: $i) { id } }",
            json!({ "i": { "name": name, "type": "PHYSICAL",
                           "metaData": { "slug": "arrived-late", "pageTitle": name, "description": "" },
                           "variants": [{ "sku": "LATE-1", "isActive": true,
                                          "prices": [{ "sellPrice": 5.0, "currency": "USD" }] }] } }),
        );
        assert!(d["saveProduct"]["id"].is_string(), "{d}");
    }

    fn delete(&self, id: &str) {
        let d = self.gql(
            "mutation($ids: [String!]!) { deleteProductList(idList: $ids) }",
            json!({ "ids": [id] }),
        );
        assert_eq!(d["deleteProductList"], true, "{d}");
    }

    fn change_customer(&self, _first_name: &str) {
        unreachable!("the Ikas source reads no customers")
    }
}

#[test]
fn ikas_source_sync_reads_products_whole_and_moves_only_the_changed() {
    let sb = SandboxProc::start("ikas", &["--seed-products", "12"]);
    changes_move_once_and_deletions_wait(&Ikas(&sb), &sb);
}
