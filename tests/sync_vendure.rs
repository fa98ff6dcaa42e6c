//! `storeshift sync` through the binary from a real Vendure 3 server (started by
//! tools/engines/vendure-start.sh) into the WooCommerce sandbox. The store is seeded through
//! Vendure's own Admin API and migrated; then, through that API, one product is renamed, one
//! variant gets a new price (which moves the variant's `updatedAt`, not the product's), one
//! product is added, one deleted and one customer renamed. The next cycle lists what changed
//! (`updatedAt: { after }` on products, variants and customers), reads about those records by
//! id and moves exactly them, once; the deletion waits as an intervention. A cycle after that
//! moves nothing and reads at most the last window's second again.
//!
//! Outside CI a machine that cannot start Vendure skips this test loudly; in CI it fails.

mod common;
#[path = "../connectors/tests/engine_support/mod.rs"]
mod engine_support;

use common::*;
use engine_support::Engine;
use serde_json::{json, Value};

const PRODUCTS: usize = 30;
const CUSTOMERS: usize = 3;

/// Vendure's Admin API, logged in as the engine's superadmin.
struct Admin {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Admin {
    fn login(e: &Engine) -> Admin {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let http = reqwest::Client::new();
        let token = rt.block_on(async {
            let resp = http
                .post(&e.url)
                .json(&json!({
                    "query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ __typename } }",
                    "variables": {"u": e.email, "p": e.password}
                }))
                .send()
                .await
                .expect("vendure login");
            resp.headers()
                .get("vendure-auth-token")
                .and_then(|h| h.to_str().ok())
                .expect("vendure-auth-token header")
                .to_string()
        });
        Admin {
            rt,
            http,
            url: e.url.clone(),
            token,
        }
    }

    /// Runs a document; its `data`, any GraphQL error failing the test.
    fn gql(&self, query: &str, variables: Value) -> Value {
        let r: Value = self.rt.block_on(async {
            self.http
                .post(&self.url)
                .bearer_auth(&self.token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .expect("vendure call")
                .json()
                .await
                .expect("vendure json")
        });
        assert!(r["errors"].is_null(), "vendure: {r}");
        r["data"].clone()
    }

    /// A product with one variant; its id.
    fn add_product(&self, name: &str, slug: &str, sku: &str, price: i64) -> String {
        let d = self.gql(
            "mutation($i:CreateProductInput!){ createProduct(input:$i){ id } }",
            json!({"i": {"enabled": true,
                "translations": [{"languageCode": "en", "name": name, "slug": slug, "description": ""}]}}),
        );
        let id = d["createProduct"]["id"]
            .as_str()
            .expect("product id")
            .to_string();
        self.gql(
            "mutation($i:[CreateProductVariantInput!]!){ createProductVariants(input:$i){ id } }",
            json!({"i": [{"productId": id, "sku": sku, "price": price, "stockOnHand": 5,
                "trackInventory": "TRUE", "translations": [{"languageCode": "en", "name": name}]}]}),
        );
        id
    }

    /// (id, name, first variant's id) of every product, by id.
    fn products(&self) -> Vec<(String, String, String)> {
        let d = self.gql(
            "{ products(options:{take:100, sort:{id:ASC}}){ items{ id name variants{ id } } } }",
            json!({}),
        );
        d["products"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (s(&p["id"]), s(&p["name"]), s(&p["variants"][0]["id"]))
            })
            .collect()
    }
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The sandbox credentials and the engine's login, under the names the config uses.
fn env_of(e: &Engine) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = SANDBOX_ENV
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    env.push(("VENDURE_EMAIL", e.email.clone()));
    env.push(("VENDURE_PASSWORD", e.password.clone()));
    env
}

#[test]
fn vendure_source_sync_moves_what_updated_at_after_selects() {
    let Some(engine) = Engine::start("vendure", "Vendure") else {
        return;
    };
    let admin = Admin::login(&engine);
    for i in 1..=PRODUCTS {
        admin.add_product(
            &format!("Seeded product {i}"),
            &format!("seeded-{i}"),
            &format!("SEED-{i}"),
            1000 + i as i64,
        );
    }
    for i in 1..=CUSTOMERS {
        let d = admin.gql(
            "mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ __typename } }",
            json!({"i": {"emailAddress": format!("buyer{i}@example.com"),
                "firstName": format!("Buyer{i}"), "lastName": "Seeded"}}),
        );
        assert_eq!(d["createCustomer"]["__typename"], "Customer", "{d}");
    }
    // The migration's start is the first window's mark; the seeded records are older than
    // its second, so the first cycle has nothing to re-read.
    next_second();

    let dst = SandboxProc::start("woocommerce", &[]);
    let env = env_of(&engine);
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    // One record a batch, a little apart: the killed cycles below always have a batch to
    // commit before each kill.
    s.write_config(
        "entities = [\"products\", \"customers\"]\nbatch_size = 1\nthrottle_ms = 150\n\n[sync]\noverlap = \"0s\"",
    );
    s.set_source(&format!(
        "platform = \"vendure\"\nkind = \"api\"\nurl = \"{}\"\ncredentials = {{ email = \"VENDURE_EMAIL\", password = \"VENDURE_PASSWORD\" }}\n",
        engine.url
    ));
    s.set_target(&dst.endpoint_toml("retry_base_ms = 20, retry_max_ms = 500"));
    let status = s
        .spawn_env(
            &[
                "run",
                &s.cfg(),
                "--headless",
                "--interventions",
                "recommended",
            ],
            &env_ref,
        )
        .wait()
        .expect("wait");
    assert_eq!(status.code(), Some(0), "migration: {}", s.logs());
    let before = woo_products(&dst).len();
    assert_eq!(before, PRODUCTS, "products migrated");
    assert_eq!(woo_customers(&dst).len(), CUSTOMERS);

    let (code, c) = sync_cycle_with(&s, env.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(n(&c["counts"]["products"]["read"]), 0, "{c}");
    next_second();

    let all = admin.products();
    let (renamed, repriced, gone) = (&all[1], &all[3], &all[5]);
    admin.gql(
        "mutation($i:UpdateProductInput!){ updateProduct(input:$i){ id } }",
        json!({"i": {"id": renamed.0, "translations": [{"languageCode": "en", "name": "Renamed while selling"}]}}),
    );
    // Only the variant changes: the product's own updatedAt stays where it was.
    admin.gql(
        "mutation($i:[UpdateProductVariantInput!]!){ updateProductVariants(input:$i){ id } }",
        json!({"i": [{"id": repriced.2, "price": 4321}]}),
    );
    admin.add_product("Arrived after the migration", "arrived-late", "LATE-1", 500);
    let d = admin.gql(
        "mutation($id:ID!){ deleteProduct(id:$id){ result } }",
        json!({"id": gone.0}),
    );
    assert_eq!(d["deleteProduct"]["result"], "DELETED", "{d}");
    let d = admin.gql(
        "{ customers(options:{take:1, sort:{id:ASC}}){ items{ id } } }",
        json!({}),
    );
    let customer = d["customers"]["items"][0]["id"].clone();
    let d = admin.gql(
        "mutation($i:UpdateCustomerInput!){ updateCustomer(input:$i){ __typename } }",
        json!({"i": {"id": customer, "firstName": "Changed"}}),
    );
    assert_eq!(d["updateCustomer"]["__typename"], "Customer", "{d}");

    let (code, c) = sync_cycle_with(&s, env.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(code, Some(0), "{c}");
    let p = &c["counts"]["products"];
    // Read about the three changed products, not the store.
    assert_eq!(n(&p["read"]), 3, "{c}");
    assert_eq!(p["created"], 1, "{c}");
    assert_eq!(p["updated"], 2, "{c}");
    let cu = &c["counts"]["customers"];
    assert_eq!(n(&cu["read"]), 1, "{c}");
    assert_eq!(cu["updated"], 1, "{c}");
    assert_eq!(c["deletions_reported"], 1, "{c}");
    assert_eq!(c["deleted"], 0, "{c}");
    assert!(c["since"]["products"].is_string(), "{c}");
    assert!(c["since"]["customers"].is_string(), "{c}");

    let target = woo_products(&dst);
    assert_eq!(target.len(), before + 1);
    assert_eq!(named(&target, "Renamed while selling").len(), 1);
    assert_eq!(named(&target, &renamed.1).len(), 0, "{}", renamed.1);
    let late = named(&target, "Arrived after the migration");
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["regular_price"], "5.00", "{}", late[0]);
    let repriced_now = named(&target, &repriced.1);
    assert_eq!(repriced_now.len(), 1, "{}", repriced.1);
    assert_eq!(
        repriced_now[0]["regular_price"], "43.21",
        "{}",
        repriced_now[0]
    );
    // The deleted product is still in the target: nobody decided yet.
    assert_eq!(named(&target, &gone.1).len(), 1, "{}", gone.1);
    assert_eq!(
        dst.state()["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{}",
        dst.state()
    );
    let customers = woo_customers(&dst);
    assert_eq!(customers.len(), CUSTOMERS);
    assert!(customers.iter().any(|c| c["first_name"] == "Changed"));

    let ivs = deletion_interventions(&s);
    let status = s.status_json();
    assert_eq!(ivs.len(), 1, "{status:#}");
    assert_eq!(ivs[0]["records"][0]["source_id"], gone.0.as_str());
    assert!(ivs[0]["decision"].is_null());

    // Nothing more changed: the next cycle moves nothing and reads at most the last window's
    // second again.
    let (code, c) = sync_cycle_with(&s, env.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(code, Some(0), "{c}");
    assert!(n(&c["counts"]["products"]["read"]) <= 3, "{c}");
    assert!(n(&c["counts"]["customers"]["read"]) <= 1, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(c["deletions_reported"], 0, "{c}");
    assert_eq!(woo_products(&dst).len(), before + 1);

    // A busier stretch: every variant gets a new price (so most products are found only
    // through `productVariants`) and a third of the products are renamed too. The cycle that
    // moves them is killed (kill -9) ten times, each time after a batch committed; the next
    // cycle finishes it. Every change lands once, on the record the first run made.
    next_second();
    let ids = |v: &[Value]| -> std::collections::BTreeSet<u64> {
        v.iter().filter_map(|p| p["id"].as_u64()).collect()
    };
    let made = ids(&woo_products(&dst));
    let live = admin.products();
    assert_eq!(live.len(), PRODUCTS);
    for (i, (id, name, variant)) in live.iter().enumerate() {
        admin.gql(
            "mutation($i:[UpdateProductVariantInput!]!){ updateProductVariants(input:$i){ id } }",
            json!({"i": [{"id": variant, "price": 10_000 + i as i64}]}),
        );
        if i % 3 == 0 {
            admin.gql(
                "mutation($i:UpdateProductInput!){ updateProduct(input:$i){ id } }",
                json!({"i": {"id": id, "translations": [{"languageCode": "en", "name": format!("{name} v2")}]}}),
            );
        }
    }
    for kill in 0..10 {
        let committed = s.events_of("batch_committed").len();
        let mut child = s.spawn_env(&["sync", &s.ws_str(), "--headless"], &env_ref);
        wait_until(
            120,
            &format!("a batch committed before kill {kill}"),
            || s.events_of("batch_committed").len() > committed,
        );
        child.kill().expect("kill -9");
        let _ = child.wait();
    }
    let (code, c) = sync_cycle_with(&s, env.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["created"], 0, "{c}");
    assert_eq!(c["counts"]["products"]["failed"], 0, "{c}");
    let after = woo_products(&dst);
    assert_eq!(after.len(), before + 1, "nothing duplicated, nothing lost");
    assert_eq!(ids(&after), made, "the same records, updated in place");
    assert_eq!(
        dst.state()["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{}",
        dst.state()
    );
    for (i, (_, name, _)) in live.iter().enumerate() {
        let name = if i % 3 == 0 {
            format!("{name} v2")
        } else {
            name.clone()
        };
        let found = named(&after, &name);
        assert_eq!(found.len(), 1, "{name}");
        let cents = 10_000 + i;
        assert_eq!(
            found[0]["regular_price"],
            format!("{}.{:02}", cents / 100, cents % 100),
            "{name}"
        );
    }
    // Nothing left over for the next cycle.
    let (code, c) = sync_cycle_with(&s, env.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
}
