//! `storeshift sync` through the binary from a real Medusa 2.21 (the engine, started by
//! tools/engines) into the WooCommerce sandbox. A small store is made through Medusa's own Admin
//! API and migrated; then one product is renamed, one gets a new price (through its variant, which
//! leaves the product's own `updated_at` as it was), one is added, one deleted and one customer
//! renamed. The next cycle reads those records only (`updated_at[$gte]`, and
//! `variants[updated_at][$gte]` for the price), moves each once as an update of what the first run
//! created (the new one as a create), and raises the deletion as an intervention without deleting
//! anything in the target. A cycle after that moves nothing.
//!
//! Outside CI a machine that cannot start the engine skips this test loudly; in CI it fails.

mod common;
#[path = "../connectors/tests/engine_support/mod.rs"]
mod engine_support;

use common::*;
use engine_support::Engine;
use serde_json::{json, Value};

/// Medusa's Admin API, as a shop owner's own tools would call it.
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
        let r: Value = rt.block_on(async {
            http.post(format!("{}/auth/user/emailpass", e.url))
                .json(&json!({"email": e.email, "password": e.password}))
                .send()
                .await
                .expect("medusa login")
                .json()
                .await
                .expect("medusa login reply")
        });
        Admin {
            rt,
            http,
            url: e.url.clone(),
            token: r["token"].as_str().expect("token").to_string(),
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.rt.block_on(async {
            let mut r = self
                .http
                .request(method.clone(), format!("{}{path}", self.url))
                .bearer_auth(&self.token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let resp = r.send().await.expect("medusa call");
            let status = resp.status();
            let v: Value = resp.json().await.expect("medusa json");
            assert!(status.is_success(), "{method} {path}: {status}: {v}");
            v
        })
    }

    fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    fn add_product(&self, title: &str, handle: &str, sku: &str, price: f64, category: &str) {
        let p = self.post(
            "/admin/products",
            json!({
                "title": title,
                "handle": handle,
                "status": "published",
                "categories": [{ "id": category }],
                "options": [{ "title": "Default option", "values": ["Default option value"] }],
                "variants": [{
                    "title": title,
                    "sku": sku,
                    "options": { "Default option": "Default option value" },
                    "prices": [{ "currency_code": "usd", "amount": price }]
                }]
            }),
        );
        assert!(p["product"]["id"].is_string(), "{p}");
    }

    /// Gives the product's first variant a new price, through the variant, as the admin does:
    /// the product's own `updated_at` stays as it was.
    fn reprice(&self, product: &str, amount: f64) {
        let p = self.get(&format!("/admin/products/{product}?fields=id,*variants"));
        let variant = p["product"]["variants"][0]["id"]
            .as_str()
            .expect("variant id")
            .to_string();
        self.post(
            &format!("/admin/products/{product}/variants/{variant}"),
            json!({ "prices": [{ "currency_code": "usd", "amount": amount }] }),
        );
    }

    /// (id, title) of every product, oldest first.
    fn products(&self) -> Vec<(String, String)> {
        self.get("/admin/products?limit=100&order=id&fields=id,title")["products"]
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
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Products in the store the test makes.
const STORE: usize = 30;

#[test]
fn medusa_source_sync_moves_what_changed_once_and_deletions_wait() {
    let Some(engine) = Engine::start("medusa", "Medusa") else {
        return;
    };
    let admin = Admin::login(&engine);
    let cat = admin.post(
        "/admin/product-categories",
        json!({ "name": "Shirts", "handle": "shirts", "is_active": true }),
    );
    let cat = cat["product_category"]["id"]
        .as_str()
        .expect("category id")
        .to_string();
    for i in 1..=STORE {
        admin.add_product(
            &format!("Shirt {i}"),
            &format!("shirt-{i}"),
            &format!("SHIRT-{i}"),
            10.0 + i as f64,
            &cat,
        );
    }
    for i in 1..=3 {
        let c = admin.post(
            "/admin/customers",
            json!({ "email": format!("buyer{i}@example.test"), "first_name": format!("Buyer{i}"), "last_name": "Test" }),
        );
        assert!(c["customer"]["id"].is_string(), "{c}");
    }
    next_second();

    let dst = SandboxProc::start("woocommerce", &[]);
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config(
        // One record a batch, a little apart: the killed cycles below always have a batch to
        // commit before each kill.
        "entities = [\"categories\", \"products\", \"customers\"]\nbatch_size = 1\nthrottle_ms = 150\n\n[sync]\noverlap = \"0s\"",
    );
    s.set_source(&format!(
        "platform = \"medusa\"\nkind = \"api\"\nurl = \"{}\"\ncredentials = {{ email = \"MEDUSA_EMAIL\", password = \"MEDUSA_PASSWORD\" }}\n",
        engine.url
    ));
    s.set_target(&dst.endpoint_toml("retry_base_ms = 20, retry_max_ms = 500"));
    let mut env: Vec<(&str, &str)> = SANDBOX_ENV.to_vec();
    env.push(("MEDUSA_EMAIL", engine.email.as_str()));
    env.push(("MEDUSA_PASSWORD", engine.password.as_str()));
    let status = s
        .spawn_env(
            &[
                "run",
                &s.cfg(),
                "--headless",
                "--interventions",
                "recommended",
            ],
            &env,
        )
        .wait()
        .expect("wait");
    assert_eq!(status.code(), Some(0), "migration: {}", s.logs());
    let before = woo_products(&dst);
    assert_eq!(before.len(), STORE, "{before:#?}");
    assert_eq!(woo_customers(&dst).len(), 3);

    // Nothing changed since the migration began: nothing is read, nothing moves.
    let (code, c) = sync_cycle_with(&s, env.iter().copied());
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(n(&c["counts"]["products"]["read"]), 0, "{c}");
    next_second();

    let all = admin.products();
    assert_eq!(all.len(), STORE);
    let (renamed, repriced, gone) = (&all[1], &all[3], &all[5]);
    admin.post(
        &format!("/admin/products/{}", renamed.0),
        json!({ "title": "Renamed while selling" }),
    );
    admin.reprice(&repriced.0, 77.5);
    admin.add_product(
        "Arrived after the migration",
        "arrived-late",
        "LATE-1",
        5.0,
        &cat,
    );
    admin.call(
        reqwest::Method::DELETE,
        &format!("/admin/products/{}", gone.0),
        None,
    );
    let first = admin.get("/admin/customers?limit=1&order=id&fields=id");
    let first = first["customers"][0]["id"]
        .as_str()
        .expect("customer id")
        .to_string();
    admin.post(
        &format!("/admin/customers/{first}"),
        json!({ "first_name": "Changed" }),
    );

    let (code, c) = sync_cycle_with(&s, env.iter().copied());
    assert_eq!(code, Some(0), "{c}");
    let p = &c["counts"]["products"];
    // Read about the three changed products only, not the whole store.
    assert_eq!(n(&p["read"]), 3, "{c}");
    assert_eq!(p["unchanged"], 0, "{c}");
    assert_eq!(p["created"], 1, "{c}");
    assert_eq!(p["updated"], 2, "{c}");
    assert_eq!(p["failed"], 0, "{c}");
    let k = &c["counts"]["customers"];
    assert_eq!(n(&k["read"]), 1, "{c}");
    assert_eq!(k["updated"], 1, "{c}");
    assert!(c["since"]["products"].is_string(), "{c}");
    assert!(c["since"]["customers"].is_string(), "{c}");
    assert_eq!(c["deletions_reported"], 1, "{c}");
    assert_eq!(c["deleted"], 0, "{c}");

    let target = woo_products(&dst);
    assert_eq!(target.len(), before.len() + 1);
    assert_eq!(named(&target, "Renamed while selling").len(), 1);
    assert_eq!(named(&target, &renamed.1).len(), 0, "{}", renamed.1);
    assert_eq!(named(&target, "Arrived after the migration").len(), 1);
    let price = named(&target, &repriced.1);
    assert_eq!(price.len(), 1, "{}", repriced.1);
    assert_eq!(
        price[0]["regular_price"]
            .as_str()
            .and_then(|p| p.parse::<f64>().ok()),
        Some(77.5),
        "{:#}",
        price[0]
    );
    // The updates landed on what the first run created, under the same ids.
    let ids = |v: &[Value]| -> std::collections::BTreeSet<u64> {
        v.iter().filter_map(|p| p["id"].as_u64()).collect()
    };
    assert!(ids(&before).is_subset(&ids(&target)));
    // The deleted product is still in the target: nobody decided yet.
    assert_eq!(named(&target, &gone.1).len(), 1, "{}", gone.1);
    assert_eq!(
        dst.state()["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{}",
        dst.state()
    );
    let customers = woo_customers(&dst);
    assert_eq!(customers.len(), 3);
    assert_eq!(
        customers
            .iter()
            .filter(|c| c["first_name"] == "Changed")
            .count(),
        1
    );

    let ivs = deletion_interventions(&s);
    let status = s.status_json();
    assert_eq!(ivs.len(), 1, "{status:#}");
    assert_eq!(ivs[0]["records"][0]["source_id"], gone.0.as_str());
    assert!(ivs[0]["decision"].is_null());

    // Nothing more changed: at most the last window's newest records are read again, and
    // nothing moves.
    let (code, c) = sync_cycle_with(&s, env.iter().copied());
    assert_eq!(code, Some(0), "{c}");
    assert!(n(&c["counts"]["products"]["read"]) <= 3, "{c}");
    assert!(n(&c["counts"]["customers"]["read"]) <= 1, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(c["deletions_reported"], 0, "{c}");
    assert_eq!(woo_products(&dst).len(), before.len() + 1);

    // A busier stretch: every product gets a new price (through its variant, so most are found
    // only by the second list, `variants[updated_at]`) and a third are renamed too (found by
    // the first). The cycle that moves them is killed (kill -9) ten times, each time after a
    // batch committed; the next cycle finishes it. Every change lands once, on the record
    // the first run made.
    next_second();
    let live = admin.products();
    assert_eq!(live.len(), STORE);
    for (i, (id, title)) in live.iter().enumerate() {
        admin.reprice(id, 100.0 + i as f64);
        if i % 3 == 0 {
            admin.post(
                &format!("/admin/products/{id}"),
                json!({ "title": format!("{title} v2") }),
            );
        }
    }
    for kill in 0..10 {
        let before = s.events_of("batch_committed").len();
        let mut child = s.spawn_env(&["sync", &s.ws_str(), "--headless"], &env);
        wait_until(
            120,
            &format!("a batch committed before kill {kill}"),
            || s.events_of("batch_committed").len() > before,
        );
        child.kill().expect("kill -9");
        let _ = child.wait();
    }
    let (code, c) = sync_cycle_with(&s, env.iter().copied());
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["created"], 0, "{c}");
    assert_eq!(c["counts"]["products"]["failed"], 0, "{c}");
    let after = woo_products(&dst);
    assert_eq!(
        after.len(),
        before.len() + 1,
        "nothing duplicated, nothing lost"
    );
    assert_eq!(
        ids(&after),
        ids(&target),
        "the same records, updated in place"
    );
    assert_eq!(
        dst.state()["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{}",
        dst.state()
    );
    for (i, (_, title)) in live.iter().enumerate() {
        let name = if i % 3 == 0 {
            format!("{title} v2")
        } else {
            title.clone()
        };
        let found = named(&after, &name);
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(
            found[0]["regular_price"]
                .as_str()
                .and_then(|p| p.parse::<f64>().ok()),
            Some(100.0 + i as f64),
            "{name}: {:#}",
            found[0]
        );
    }
    // Nothing left over for the next cycle.
    let (code, c) = sync_cycle_with(&s, env.iter().copied());
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
}
