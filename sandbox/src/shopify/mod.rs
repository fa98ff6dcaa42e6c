//! A Shopify Admin GraphQL API in memory: `POST /admin/api/{version}/graphql.json` with
//! `X-Shopify-Access-Token`, queries parsed and projected field by field (unknown fields are
//! errors, as on Shopify), cursor pagination (`first` ≤ 250, `pageInfo`), the calculated query
//! cost charged against a leaky bucket reported in `extensions.cost.throttleStatus` (THROTTLED
//! when empty), `userErrors` on mutations, and upserts through `productSet` / `customerSet`
//! with an `identifier` (in [`catalog`]). Collections, pages and redirects live in
//! [`content`], orders in [`orders`], staged uploads, bulk operations and redirect imports in
//! [`bulk`].

mod bulk;
mod catalog;
mod consent;
mod content;
mod orders;
pub mod schema;

use catalog::{
    customer_set, find_customer, find_product, product_set, ADDRESS_INPUT, CUSTOMER_SET_INPUT,
    PRODUCT_SET_INPUT, VARIANT_SET_INPUT,
};

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use graphql_parser::query::{Definition, Field, OperationDefinition, SelectionSet};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use storeshift_connectors::platform::shopify::cost::{to_json, CostCx};
use storeshift_connectors::platform::shopify::{MAX_PAGE_SIZE, MAX_QUERY_COST};

/// How the sandbox store is set up.
#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    pub token: String,
    /// Points restored per second.
    pub restore_rate: f64,
    /// Bucket size (`maximumAvailable`).
    pub bucket: f64,
    pub currency: String,
    /// Image URLs containing this text fail to download (the product is still saved).
    pub failing_image_marker: String,
    /// How fast a bulk query works through its objects (records and nested nodes) per
    /// second; 0 finishes at once. Shopify publishes no figure; a bulk query of a big store
    /// takes minutes, and this lets a test or benchmark see one RUNNING.
    pub bulk_objects_per_second: f64,
    /// How long a finished bulk operation's result file stays downloadable (Shopify: seven
    /// days); after that the operation is EXPIRED and its URL refused.
    pub bulk_result_ttl: std::time::Duration,
}

impl Default for ShopifyConfig {
    fn default() -> Self {
        ShopifyConfig {
            token: "shpat_sandbox".into(),
            restore_rate: 100.0,
            bucket: 2000.0,
            currency: "USD".into(),
            failing_image_marker: "unreachable".into(),
            bulk_objects_per_second: 0.0,
            bulk_result_ttl: std::time::Duration::from_secs(7 * 24 * 3600),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    available: f64,
    last: Instant,
}

/// Counters a benchmark reads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostStats {
    pub requests: u64,
    pub throttled: u64,
    /// Sum of actual query costs charged.
    pub points_spent: f64,
    /// The largest requested cost of a query run (one over 1,000 is refused, never run).
    pub max_requested: f64,
    /// Records answered by `nodes(ids:)` (a verification that resumes fetches none twice).
    pub nodes_served: u64,
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    products: BTreeMap<u64, Value>,
    customers: BTreeMap<u64, Value>,
    collections: BTreeMap<u64, Value>,
    pages: BTreeMap<u64, Value>,
    redirects: BTreeMap<u64, Value>,
    orders: BTreeMap<u64, Value>,
    /// Products by handle (`h:`) and by custom id (`c:namespace/key/value`), so lookups stay
    /// cheap in stores of tens of thousands of products.
    product_index: HashMap<String, u64>,
    /// Customers by lower-cased email (`e:`) and by phone (`p:`): every customerSet checks
    /// both are free, and every order looks its customer up.
    customer_index: HashMap<String, u64>,
    /// Orders by custom id (`c:namespace/key/value`): a load looks each order up before it
    /// creates it, so a linear scan made loading quadratic in the store's orders.
    order_index: HashMap<String, u64>,
}

impl Store {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn index_keys(p: &Value) -> Vec<String> {
        let mut keys = vec![format!("h:{}", p["handle"].as_str().unwrap_or(""))];
        for m in p["__metafields"].as_array().into_iter().flatten() {
            keys.push(custom_key(&m["namespace"], &m["key"], &m["value"]));
        }
        keys
    }

    fn put_product(&mut self, id: u64, p: Value) {
        if let Some(old) = self.products.get(&id) {
            for k in Store::index_keys(old) {
                self.product_index.remove(&k);
            }
        }
        for k in Store::index_keys(&p) {
            self.product_index.insert(k, id);
        }
        self.products.insert(id, p);
    }

    fn customer_keys(c: &Value) -> Vec<String> {
        let mut keys = vec![];
        if let Some(e) = c["email"].as_str() {
            keys.push(format!("e:{}", e.to_ascii_lowercase()));
        }
        if let Some(p) = c["phone"].as_str() {
            keys.push(format!("p:{p}"));
        }
        keys
    }

    fn put_customer(&mut self, id: u64, c: Value) {
        self.remove_customer(id);
        for k in Store::customer_keys(&c) {
            self.customer_index.insert(k, id);
        }
        self.customers.insert(id, c);
    }

    fn remove_customer(&mut self, id: u64) -> bool {
        match self.customers.remove(&id) {
            Some(old) => {
                for k in Store::customer_keys(&old) {
                    self.customer_index.remove(&k);
                }
                true
            }
            None => false,
        }
    }

    fn order_keys(o: &Value) -> Vec<String> {
        o["__metafields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| custom_key(&m["namespace"], &m["key"], &m["value"]))
            .collect()
    }

    fn put_order(&mut self, n: u64, o: Value) {
        if let Some(old) = self.orders.get(&n) {
            for k in Store::order_keys(old) {
                self.order_index.remove(&k);
            }
        }
        for k in Store::order_keys(&o) {
            self.order_index.insert(k, n);
        }
        self.orders.insert(n, o);
    }

    fn remove_product(&mut self, id: u64) -> bool {
        match self.products.remove(&id) {
            Some(old) => {
                for k in Store::index_keys(&old) {
                    self.product_index.remove(&k);
                }
                true
            }
            None => false,
        }
    }
}

fn custom_key(namespace: &Value, key: &Value, value: &Value) -> String {
    format!(
        "c:{}/{}/{}",
        namespace.as_str().unwrap_or(""),
        key.as_str().unwrap_or(""),
        value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string())
    )
}

struct Inner {
    config: ShopifyConfig,
    store: Mutex<Store>,
    bucket: Mutex<Bucket>,
    stats: Mutex<CostStats>,
    created: Arc<CreationLog>,
    started: Instant,
    bulk: Mutex<bulk::BulkState>,
    bulk_released: tokio::sync::Notify,
    documents: schema::DocumentCache,
    /// Every distinct document received: (how it came — query, mutation, bulk query, bulk
    /// mutation — and its text), for tests that check what a client sends.
    received: Mutex<std::collections::BTreeSet<(String, String)>>,
    /// The requested cost of each query run, by its first root field (the latest 10,000).
    requested: Mutex<std::collections::VecDeque<(String, f64)>>,
    /// How many times each mutation field ran (a bulk operation's lines included).
    mutations_run: Mutex<HashMap<String, usize>>,
}

/// The sandbox: clone it to keep a handle on the store while the server runs.
#[derive(Clone)]
pub struct ShopifySandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

impl ShopifySandbox {
    pub fn new(config: ShopifyConfig) -> Self {
        let bucket = Bucket {
            available: config.bucket,
            last: Instant::now(),
        };
        ShopifySandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(Store::default()),
                bucket: Mutex::new(bucket),
                stats: Mutex::new(CostStats::default()),
                created: Arc::new(CreationLog::default()),
                started: Instant::now(),
                bulk: Mutex::new(bulk::BulkState::default()),
                bulk_released: tokio::sync::Notify::new(),
                documents: schema::DocumentCache::default(),
                received: Mutex::new(Default::default()),
                requested: Mutex::new(Default::default()),
                mutations_run: Mutex::new(HashMap::new()),
            }),
            faults: Arc::new(Faults::default()),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/admin/api/{version}/graphql.json", post(graphql))
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .route(
                &format!("{}/", bulk::STAGED_PATH),
                post(bulk::staged_upload).layer(bulk::upload_limit()),
            )
            .route(
                &format!("{}/{{file}}", bulk::RESULTS_PATH),
                get(bulk::bulk_result),
            )
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "errors": status.canonical_reason().unwrap_or("Error") }),
        )
    }

    /// Starts the server on 127.0.0.1:`port` (0 = any free port).
    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &ShopifyConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    /// Every distinct GraphQL document received so far, with how it came (`query`,
    /// `mutation`, `bulk query`, `bulk mutation`), in text order.
    pub fn documents_received(&self) -> Vec<(String, String)> {
        lock(&self.inner.received).iter().cloned().collect()
    }

    fn note_received(&self, how: &str, text: &str) {
        let mut r = lock(&self.inner.received);
        // A bound, so a long-running `storeshift sandbox` does not grow without end.
        if r.len() < 10_000 {
            r.insert((how.to_string(), text.to_string()));
        }
    }

    /// Validates a document against the schema of `version` (cached per text); the errors
    /// are Shopify's, ready to answer with.
    pub(crate) fn validate_document(
        &self,
        version: &'static str,
        text: &str,
    ) -> Result<crate::graphql_schema::Document, Vec<Value>> {
        let schema =
            schema::schema(version).map_err(|e| vec![gql_error(e, "INTERNAL_SERVER_ERROR")])?;
        self.inner.documents.validate(&schema, version, text)
    }

    /// Validates a document and its variables (the operation named, or the only one).
    pub(crate) fn validate_request(
        &self,
        version: &'static str,
        text: &str,
        operation: Option<&str>,
        variables: &Value,
    ) -> Result<(), Vec<Value>> {
        let doc = self.validate_document(version, text)?;
        let schema =
            schema::schema(version).map_err(|e| vec![gql_error(e, "INTERNAL_SERVER_ERROR")])?;
        schema.check_variables(&doc, operation, variables)
    }

    /// How many times the mutation field `name` ran, in documents and bulk operations alike.
    pub fn mutations_run(&self, name: &str) -> usize {
        lock(&self.inner.mutations_run)
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// The requested cost of each query run whose first root field is `root`, in order (the
    /// latest 10,000 queries are kept).
    pub fn requested_costs(&self, root: &str) -> Vec<f64> {
        lock(&self.inner.requested)
            .iter()
            .filter(|(r, _)| r == root)
            .map(|(_, c)| *c)
            .collect()
    }

    pub fn cost_stats(&self) -> CostStats {
        *lock(&self.inner.stats)
    }

    /// Points the bucket holds now.
    pub fn bucket_available(&self) -> f64 {
        let cfg = &self.inner.config;
        let b = lock(&self.inner.bucket);
        (b.available + b.last.elapsed().as_secs_f64() * cfg.restore_rate).min(cfg.bucket)
    }

    /// Seconds since the server's bucket started filling.
    pub fn uptime(&self) -> f64 {
        self.inner.started.elapsed().as_secs_f64()
    }

    pub fn product_count(&self) -> usize {
        lock(&self.inner.store).products.len()
    }

    pub fn customer_count(&self) -> usize {
        lock(&self.inner.store).customers.len()
    }

    pub fn collection_count(&self) -> usize {
        lock(&self.inner.store).collections.len()
    }

    pub fn page_count(&self) -> usize {
        lock(&self.inner.store).pages.len()
    }

    pub fn redirect_count(&self) -> usize {
        lock(&self.inner.store).redirects.len()
    }

    pub fn order_count(&self) -> usize {
        lock(&self.inner.store).orders.len()
    }

    /// Stored collections, pages, redirects or orders (`entity` as in the creation log).
    pub fn records(&self, entity: &str) -> Vec<Value> {
        let s = lock(&self.inner.store);
        let map = match entity {
            "products" => &s.products,
            "customers" => &s.customers,
            "collections" => &s.collections,
            "pages" => &s.pages,
            "redirects" => &s.redirects,
            "orders" => &s.orders,
            _ => return vec![],
        };
        map.values().cloned().collect()
    }

    /// Stored products (internal representation: connections under `__connection`).
    pub fn products(&self) -> Vec<Value> {
        lock(&self.inner.store).products.values().cloned().collect()
    }

    pub fn customers(&self) -> Vec<Value> {
        lock(&self.inner.store)
            .customers
            .values()
            .cloned()
            .collect()
    }

    /// A digest of the whole store, for "left as it was" comparisons.
    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "products": s.products.values().collect::<Vec<_>>(), "customers": s.customers.values().collect::<Vec<_>>(),
            "collections": s.collections.values().collect::<Vec<_>>(), "pages": s.pages.values().collect::<Vec<_>>(),
            "redirects": s.redirects.values().collect::<Vec<_>>(), "orders": s.orders.values().collect::<Vec<_>>() });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// Fills the store with `n` products as if they had been made in the admin: every third has
    /// two options and four variants, every product has an image.
    pub fn seed_products(&self, n: usize) {
        for i in 0..n {
            let options = if i % 3 == 0 {
                json!([{ "name": "Size", "values": [{"name": "S"}, {"name": "M"}] },
                       { "name": "Color", "values": [{"name": "Red"}, {"name": "Blue"}] }])
            } else {
                json!([])
            };
            let variants: Vec<Value> = if i % 3 == 0 {
                let mut v = vec![];
                for (j, (s, c)) in [("S", "Red"), ("S", "Blue"), ("M", "Red"), ("M", "Blue")]
                    .iter()
                    .enumerate()
                {
                    v.push(json!({
                        "sku": format!("SEED-{i}-{j}"), "price": format!("{}.50", 10 + j),
                        "optionValues": [{"optionName": "Size", "name": s}, {"optionName": "Color", "name": c}],
                        "inventoryQuantities": [{"locationId": "gid://shopify/Location/1", "name": "available", "quantity": j as i64 * 3}],
                        "inventoryItem": {"measurement": {"weight": {"value": 0.5, "unit": "KILOGRAMS"}}}
                    }));
                }
                v
            } else {
                vec![
                    json!({ "sku": format!("SEED-{i}"), "price": format!("{}.99", 5 + i % 50), "compareAtPrice": "99.00",
                             "inventoryQuantities": [{"locationId": "gid://shopify/Location/1", "name": "available", "quantity": 7}] }),
                ]
            };
            let input = json!({
                "title": format!("Seed product {i}"), "handle": format!("seed-product-{i}"),
                "descriptionHtml": format!("<p>Product number {i}</p>"), "vendor": "Seed Co", "productType": "Thing",
                "tags": ["seed", format!("group-{}", i % 4)], "status": "ACTIVE",
                "seo": {"title": format!("Seed {i}"), "description": "A seeded product"},
                "productOptions": options, "variants": variants,
                "files": [{"originalSource": format!("https://cdn.example.com/seed/{i}.jpg"), "alt": format!("Seed {i}"), "contentType": "IMAGE"}]
            });
            let mut store = lock(&self.inner.store);
            let _ = product_set(
                &self.inner.config,
                &mut store,
                &self.inner.created,
                &json!(null),
                &input,
            );
        }
    }

    pub fn seed_customers(&self, n: usize) {
        for i in 0..n {
            let input = json!({
                "email": format!("seed{i}@example.com"), "firstName": format!("Seed{i}"), "lastName": "Customer",
                "phone": format!("+1555000{:04}", i), "tags": ["seed"], "note": "seeded",
                "addresses": [{"address1": format!("{i} Main St"), "city": "Springfield", "countryCode": "US", "provinceCode": "IL", "zip": "62701", "firstName": format!("Seed{i}"), "lastName": "Customer"}]
            });
            let mut store = lock(&self.inner.store);
            let Ok(c) = customer_set(&mut store, &self.inner.created, &json!(null), &input) else {
                continue;
            };
            // Every consent a store holds: every third subscribed to email (the first of
            // those also to SMS), every fifth unsubscribed, the rest never asked.
            let id = c["id"].clone();
            let at = format!("2024-0{}-15T09:30:00Z", 1 + i % 9);
            let mut set = |channel: consent::Channel, state: &str| {
                let input = json!({ "customerId": id, channel.field(): {
                    "marketingState": state, "consentUpdatedAt": at, "marketingOptInLevel": "SINGLE_OPT_IN" } });
                let _ = consent::update(&mut store, channel, &input);
            };
            if i % 3 == 0 {
                set(consent::Channel::Email, "SUBSCRIBED");
                if i % 6 == 0 {
                    set(consent::Channel::Sms, "SUBSCRIBED");
                }
            } else if i % 5 == 0 {
                set(consent::Channel::Email, "UNSUBSCRIBED");
            }
        }
    }

    /// `n` custom collections as if made in the admin; every other one has SEO and an image.
    pub fn seed_collections(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let mut input = json!({ "title": format!("Seed collection {i}"), "handle": format!("seed-collection-{i}"),
                "descriptionHtml": format!("<p>Collection {i}</p>") });
            if i % 2 == 0 {
                input["seo"] =
                    json!({ "title": format!("Collection {i}"), "description": "Seeded" });
                input["image"] = json!({ "src": format!("https://cdn.example.com/collections/{i}.jpg"), "altText": format!("Collection {i}") });
            }
            let _ = content::collection_save(&mut s, &self.inner.created, &input, false);
        }
    }

    /// `n` pages; every third is hidden.
    pub fn seed_pages(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let input = json!({ "title": format!("Seed page {i}"), "handle": format!("seed-page-{i}"),
                "body": format!("<h1>Page {i}</h1><p>Seeded content.</p>"), "isPublished": i % 3 != 2 });
            let _ = content::page_save(&mut s, &self.inner.created, None, &input);
        }
    }

    /// `n` redirects from `/old/{i}` to `/products/seed-product-{i}`.
    pub fn seed_redirects(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let input = json!({ "path": format!("/old/{i}"), "target": format!("/products/seed-product-{i}") });
            let _ = content::redirect_save(&mut s, &self.inner.created, None, &input);
        }
    }

    /// `n` orders named `#1001`, `#1002`, ...: two lines with tax, shipping and a sale
    /// transaction; every other one belongs to a seeded customer when there is one.
    pub fn seed_orders(&self, n: usize) {
        let currency = self.inner.config.currency.clone();
        let mut s = lock(&self.inner.store);
        let customers: Vec<Value> = s.customers.values().map(|c| c["id"].clone()).collect();
        for i in 0..n {
            let money = |a: &str| json!({ "shopMoney": { "amount": a, "currencyCode": currency } });
            let mut input = json!({
                "name": format!("#{}", 1001 + i), "email": format!("buyer{i}@example.com"), "currency": currency,
                "processedAt": format!("2024-0{}-1{}T10:00:00Z", 1 + i % 9, i % 10), "note": format!("Seed order {i}"), "tags": ["seed"],
                "lineItems": [
                    { "title": format!("Seed product {i}"), "sku": format!("SEED-{i}"), "quantity": 1 + (i % 3) as i64, "priceSet": money("10.00"),
                      "taxLines": [{ "title": "VAT", "rate": 0.2, "priceSet": money("2.00") }] },
                    { "title": "Gift wrap", "quantity": 1, "priceSet": money("3.50"), "taxLines": [{ "title": "VAT", "rate": 0.2, "priceSet": money("0.70") }] }
                ],
                "shippingLines": [{ "title": "Standard", "code": "STD", "priceSet": money("5.00") }],
                "transactions": [{ "kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money("20.00") }],
                "financialStatus": "PAID",
                "shippingAddress": { "address1": format!("{i} High St"), "city": "Leeds", "countryCode": "GB", "zip": "LS1 1AA", "firstName": "Seed", "lastName": "Buyer" },
            });
            if i % 2 == 0 {
                if let Some(c) = customers.get(i % customers.len().max(1)) {
                    input["customer"] = json!({ "toAssociate": { "id": c } });
                    input.as_object_mut().map(|o| o.remove("email"));
                }
            }
            let _ = orders::order_create(&mut s, &self.inner.created, &currency, &input);
        }
    }

    /// One order with `lines` line items (more than a page: Shopify keeps what checkout made,
    /// whatever an API input's 250-item cap), named `#9001` onwards.
    pub fn seed_order_with_lines(&self, lines: usize) -> String {
        let currency = self.inner.config.currency.clone();
        let mut s = lock(&self.inner.store);
        let money = |a: &str| json!({ "shopMoney": { "amount": a, "currencyCode": currency } });
        let items: Vec<Value> = (0..lines)
            .map(|j| json!({ "title": format!("Line {j}"), "sku": format!("LINE-{j}"), "quantity": 1, "priceSet": money("1.00") }))
            .collect();
        let name = format!("#{}", 9001 + s.orders.len());
        let input = json!({ "name": name, "email": "big@example.com", "currency": currency, "lineItems": items,
            "transactions": [{ "kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money(&format!("{lines}.00")) }] });
        let _ = orders::order_create(&mut s, &self.inner.created, &currency, &input);
        name
    }

    fn charge(&self, requested: f64) -> Result<(), f64> {
        let cfg = &self.inner.config;
        let mut b = lock(&self.inner.bucket);
        let now = Instant::now();
        b.available = (b.available + now.duration_since(b.last).as_secs_f64() * cfg.restore_rate)
            .min(cfg.bucket);
        b.last = now;
        if requested > b.available {
            return Err(b.available);
        }
        b.available -= requested;
        Ok(())
    }

    fn refund(&self, points: f64) -> f64 {
        let cfg = &self.inner.config;
        let mut b = lock(&self.inner.bucket);
        b.available = (b.available + points).min(cfg.bucket);
        b.available
    }

    fn throttle_status(&self, available: f64) -> Value {
        let cfg = &self.inner.config;
        json!({ "maximumAvailable": cfg.bucket, "currentlyAvailable": available.floor(), "restoreRate": cfg.restore_rate })
    }
}

async fn control_state(State(sb): State<ShopifySandbox>) -> Json<Value> {
    let stats = sb.cost_stats();
    let downloads = sb.bulk_downloads();
    Json(json!({
        "products": sb.product_count(), "customers": sb.customer_count(),
        "collections": sb.collection_count(), "pages": sb.page_count(), "redirects": sb.redirect_count(),
        "orders": sb.order_count(), "bulk_operations": sb.bulk_operations().len(),
        "bulk": sb.bulk_operations(),
        "bulk_downloads": { "requests": downloads.requests, "ranged": downloads.ranged, "bytes": downloads.bytes },
        "duplicates": sb.creation_log().duplicates(), "requests": sb.faults.requests(),
        "throttled": stats.throttled, "points_spent": stats.points_spent,
        "nodes_served": stats.nodes_served,
    }))
}

/// What a `*Count` field counts up to unless its `limit` says otherwise.
const COUNT_LIMIT: usize = 10_000;
/// Most items any input array may hold (`nodes(ids:)` included).
const MAX_INPUT_SIZE: usize = 250;

fn gql_error(message: impl Into<String>, code: &str) -> Value {
    json!({ "message": message.into(), "extensions": { "code": code } })
}

async fn graphql(
    State(sb): State<ShopifySandbox>,
    axum::extract::Path(version): axum::extract::Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let version = match schema::served(&version) {
        schema::Served::Version(v) | schema::Served::FallForward(v) => v,
        schema::Served::NotFound => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "errors": "Not Found" })),
            )
                .into_response()
        }
    };
    let mut reply = graphql_at(sb, version, headers, body).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(version) {
        reply.headers_mut().insert("x-shopify-api-version", v);
    }
    reply
}

async fn graphql_at(
    sb: ShopifySandbox,
    version: &'static str,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(sb.inner.config.token.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" })),
        )
            .into_response();
    }
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "errors": { "query": "Required parameter missing or invalid" } })),
            )
                .into_response()
        }
    };
    lock(&sb.inner.stats).requests += 1;
    let query = req.get("query").and_then(Value::as_str).unwrap_or("");
    let variables = req
        .get("variables")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let op_name = req.get("operationName").and_then(Value::as_str);
    let how = if query.trim_start().starts_with("mutation") {
        "mutation"
    } else {
        "query"
    };
    sb.note_received(how, query);
    // Shopify validates the document and coerces its variables before it costs anything.
    if let Err(errors) = sb.validate_request(version, query, op_name, &variables) {
        return Json(json!({ "errors": errors })).into_response();
    }
    let doc = match graphql_parser::parse_query::<String>(query) {
        Ok(d) => d,
        Err(e) => {
            return Json(
                json!({ "errors": [gql_error(format!("Parse error: {e}"), "parseError")] }),
            )
            .into_response()
        }
    };
    let op = doc.definitions.iter().find_map(|d| match d {
        Definition::Operation(op) => {
            let name = match op {
                OperationDefinition::Query(q) => q.name.as_deref(),
                OperationDefinition::Mutation(m) => m.name.as_deref(),
                _ => None,
            };
            (op_name.is_none() || name == op_name).then_some(op)
        }
        _ => None,
    });
    let Some(op) = op else {
        return Json(json!({ "errors": [gql_error("No operation named in the document", "missingOperation")] })).into_response();
    };
    let variables = with_defaults(op, variables);
    let cx = CostCx::new(&doc, &variables);
    let requested = cx.operation_cost(op, None) as f64;
    if requested > MAX_QUERY_COST as f64 {
        return Json(json!({ "errors": [{
            "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"),
            "extensions": { "code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST }
        }] }))
        .into_response();
    }
    if let Err(available) = sb.charge(requested) {
        lock(&sb.inner.stats).throttled += 1;
        return Json(json!({
            "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
            "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": sb.throttle_status(available) } }
        }))
        .into_response();
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let exec = Exec {
        cx: &cx,
        sb: &sb,
        bulk: false,
        host,
        version,
    };
    let result = match op {
        OperationDefinition::Mutation(m) => exec.mutation(&m.selection_set),
        OperationDefinition::Query(q) => exec.query(&q.selection_set),
        OperationDefinition::SelectionSet(s) => exec.query(s),
        OperationDefinition::Subscription(_) => {
            Err(gql_error("Subscriptions are not supported", "unsupported"))
        }
    };
    match result {
        Ok(data) => {
            let actual = cx.operation_cost(op, Some(&data)) as f64;
            let available = sb.refund((requested - actual).max(0.0));
            {
                let mut stats = lock(&sb.inner.stats);
                stats.points_spent += actual;
                stats.max_requested = stats.max_requested.max(requested);
            }
            if let OperationDefinition::Query(q) = op {
                if let Some(root) = cx.fields(&q.selection_set).first() {
                    let mut log = lock(&sb.inner.requested);
                    if log.len() == 10_000 {
                        log.pop_front();
                    }
                    log.push_back((root.name.clone(), requested));
                }
            }
            Json(json!({
                "data": data,
                "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": sb.throttle_status(available) } }
            }))
            .into_response()
        }
        Err(e) => {
            // Validation errors are found before execution: nothing is charged.
            let available = sb.refund(requested);
            Json(json!({
                "errors": [e],
                "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": 0, "throttleStatus": sb.throttle_status(available) } }
            }))
            .into_response()
        }
    }
}

fn with_defaults(op: &OperationDefinition<'_, String>, mut vars: Value) -> Value {
    let defs = match op {
        OperationDefinition::Query(q) => &q.variable_definitions,
        OperationDefinition::Mutation(m) => &m.variable_definitions,
        _ => return vars,
    };
    let empty = json!({});
    if let Some(map) = vars.as_object_mut() {
        for d in defs {
            if !map.contains_key(&d.name) {
                if let Some(def) = &d.default_value {
                    map.insert(d.name.clone(), to_json(def, &empty));
                }
            }
        }
    }
    vars
}

struct Exec<'a, 'd> {
    cx: &'a CostCx<'d>,
    sb: &'a ShopifySandbox,
    /// A bulk query: connections return every node, whatever `first` says.
    bulk: bool,
    /// The `Host` the request came to, for URLs that point back at this server.
    host: String,
    /// The Admin API version the request is served at (its schema validates bulk documents).
    version: &'static str,
}

type GqlResult<T> = Result<T, Value>;

fn key_of<'d>(f: &Field<'d, String>) -> String {
    f.alias.clone().unwrap_or_else(|| f.name.clone())
}

fn encode_cursor(id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"last_id\":\"{id}\"}}"))
}

fn decode_cursor(c: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("last_id").and_then(Value::as_str).map(str::to_string)
}

impl<'a, 'd> Exec<'a, 'd> {
    fn query(&self, set: &SelectionSet<'d, String>) -> GqlResult<Value> {
        let mut out = Map::new();
        for f in self.cx.fields(set) {
            let path = vec![json!(key_of(f))];
            let v = match f.name.as_str() {
                "products" | "customers" | "collections" | "pages" | "urlRedirects" | "orders" => {
                    self.root_connection(f, &path)?
                }
                "productsCount" | "customersCount" | "collectionsCount" | "pagesCount"
                | "urlRedirectsCount" | "ordersCount" => {
                    let terms = search_terms(self.cx.arg(f, "query").as_ref());
                    let n = {
                        let s = lock(&self.sb.inner.store);
                        let root = format!("{}s", f.name.trim_end_matches("sCount"));
                        Exec::root_map(&s, &root)
                            .map(|(m, _)| m.values().filter(|it| matches_terms(it, &terms)).count())
                            .unwrap_or(0)
                    };
                    // `limit` (default 10,000, `null` for none) caps the count; above it
                    // Shopify answers the limit with precision AT_LEAST.
                    let limit = match self.cx.arg(f, "limit") {
                        None => Some(COUNT_LIMIT),
                        Some(Value::Null) => None,
                        Some(v) => v.as_u64().map(|l| l as usize),
                    };
                    let (n, precision) = match limit {
                        Some(l) if n > l => (l, "AT_LEAST"),
                        _ => (n, "EXACT"),
                    };
                    let count =
                        json!({ "__typename": "Count", "count": n, "precision": precision });
                    self.project(&count, &f.selection_set, &path)?
                }
                "nodes" => self.nodes(f, &path)?,
                "product" | "customer" | "collection" | "page" | "urlRedirect" | "order" => {
                    let id = self
                        .cx
                        .arg(f, "id")
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let found = self.find_by_id(&f.name, &id);
                    self.project_opt(found.as_ref(), f, &path)?
                }
                "collectionByIdentifier" | "collectionByHandle" | "orderByIdentifier" => {
                    let ident = match self.cx.arg(f, "handle") {
                        Some(h) => json!({ "handle": h }),
                        None => self.cx.arg(f, "identifier").unwrap_or(Value::Null),
                    };
                    // Only the match is cloned: a load looks orders up by the thousand.
                    let found = {
                        let s = lock(&self.sb.inner.store);
                        if f.name.starts_with("order") {
                            find_order(&s, &ident).and_then(|n| s.orders.get(&n).cloned())
                        } else {
                            s.collections
                                .values()
                                .find(|it| identified_by(it, &ident))
                                .cloned()
                        }
                    };
                    self.project_opt(found.as_ref(), f, &path)?
                }
                "productByIdentifier" => {
                    let ident = self.cx.arg(f, "identifier").unwrap_or(Value::Null);
                    let found = {
                        let s = lock(&self.sb.inner.store);
                        find_product(&s, &ident).and_then(|id| s.products.get(&id).cloned())
                    };
                    self.project_opt(found.as_ref(), f, &path)?
                }
                "customerByIdentifier" => {
                    let ident = self.cx.arg(f, "identifier").unwrap_or(Value::Null);
                    let ident = match ident.get("emailAddress") {
                        Some(e) => json!({ "email": e }),
                        None => ident,
                    };
                    let found = {
                        let s = lock(&self.sb.inner.store);
                        find_customer(&s, &ident).and_then(|id| s.customers.get(&id).cloned())
                    };
                    self.project_opt(found.as_ref(), f, &path)?
                }
                "shop" => {
                    let shop = json!({ "__typename": "Shop", "id": "gid://shopify/Shop/1", "name": "Sandbox", "currencyCode": self.sb.inner.config.currency, "myshopifyDomain": "sandbox.myshopify.com" });
                    self.project(&shop, &f.selection_set, &path)?
                }
                "locations" => {
                    let loc = json!({ "__typename": "Location", "id": "gid://shopify/Location/1", "name": "Shop location", "isActive": true });
                    self.connection(&[loc], "LocationConnection", f, &path)?
                }
                other => match self.bulk_query_field(f) {
                    Some(found) => {
                        self.project_opt(Some(&found).filter(|v| !v.is_null()), f, &path)?
                    }
                    None => return Err(undefined_field(other, "QueryRoot", &path)),
                },
            };
            out.insert(key_of(f), v);
        }
        Ok(Value::Object(out))
    }

    /// The stored objects behind a root connection, with the connection's type name.
    fn root_map<'s>(s: &'s Store, root: &str) -> Option<(&'s BTreeMap<u64, Value>, &'static str)> {
        Some(match root {
            "products" => (&s.products, "ProductConnection"),
            "customers" => (&s.customers, "CustomerConnection"),
            "collections" => (&s.collections, "CollectionConnection"),
            "pages" => (&s.pages, "PageConnection"),
            "urlRedirects" => (&s.redirects, "UrlRedirectConnection"),
            "orders" => (&s.orders, "OrderConnection"),
            _ => return None,
        })
    }

    /// A page of a root connection. Only the page is cloned out of the store (a store of
    /// thousands of orders is read a page at a time), with one item before and after it so
    /// the connection knows whether there is more.
    fn root_connection(&self, f: &Field<'d, String>, path: &[Value]) -> GqlResult<Value> {
        let terms = search_terms(self.cx.arg(f, "query").as_ref());
        let after = self
            .cx
            .arg(f, "after")
            .and_then(|v| v.as_str().map(str::to_string));
        let after_id = match &after {
            Some(c) => match decode_cursor(c) {
                Some(id) => Some(id),
                None => {
                    return Err(gql_path_error(
                        format!("Invalid cursor for current pagination: {c}"),
                        "argumentInvalid",
                        path,
                    ))
                }
            },
            None => None,
        };
        let want = if self.bulk {
            usize::MAX
        } else {
            self.cx.page_size(f).unwrap_or(0) as usize
        };
        let (items, typename) = {
            let s = lock(&self.sb.inner.store);
            let Some((map, ty)) = Exec::root_map(&s, &f.name) else {
                return Ok(Value::Null);
            };
            let mut matching = map.values().filter(|it| matches_terms(it, &terms));
            let mut out: Vec<Value> = vec![];
            if let Some(id) = &after_id {
                // The item the cursor names stays in, so `hasPreviousPage` can be told.
                if matching
                    .position(|it| it["id"].as_str() == Some(id.as_str()))
                    .is_some()
                {
                    out.push(json!({ "id": id }));
                }
            }
            out.extend(matching.take(want.saturating_add(1)).cloned());
            (out, ty)
        };
        self.connection(&items, typename, f, path)
    }

    fn find_by_id(&self, kind: &str, gid: &str) -> Option<Value> {
        let n: u64 = gid.rsplit('/').next()?.parse().ok()?;
        let s = lock(&self.sb.inner.store);
        match kind {
            "product" => s.products.get(&n),
            "customer" => s.customers.get(&n),
            "collection" => s.collections.get(&n),
            "page" => s.pages.get(&n),
            "urlRedirect" => s.redirects.get(&n),
            "order" => s.orders.get(&n),
            _ => None,
        }
        .cloned()
    }

    /// `nodes(ids:)`: one answer per id, in order, `null` for an id not found; more than
    /// [`MAX_INPUT_SIZE`] ids are refused as Shopify refuses any longer input array.
    fn nodes(&self, f: &Field<'d, String>, path: &[Value]) -> GqlResult<Value> {
        let ids: Vec<String> = self
            .cx
            .arg(f, "ids")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        if ids.len() > MAX_INPUT_SIZE {
            return Err(gql_path_error(
                format!(
                    "The input array size of {} is greater than the maximum allowed of {MAX_INPUT_SIZE}.",
                    ids.len()
                ),
                "MAX_INPUT_SIZE_EXCEEDED",
                path,
            ));
        }
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let found = self.node_of_store(id).unwrap_or(Value::Null);
            if found.is_null() {
                out.push(Value::Null);
                continue;
            }
            let mut p = path.to_vec();
            p.push(json!(i));
            out.push(self.project(&found, &f.selection_set, &p)?);
        }
        lock(&self.sb.inner.stats).nodes_served +=
            out.iter().filter(|n| n.is_object()).count() as u64;
        Ok(Value::Array(out))
    }

    /// `node(id:)` for the store's own objects.
    fn node_of_store(&self, gid: &str) -> Option<Value> {
        let kind = gid.strip_prefix("gid://shopify/")?.split('/').next()?;
        let kind = match kind {
            "Product" => "product",
            "Customer" => "customer",
            "Collection" => "collection",
            "Page" => "page",
            "UrlRedirect" => "urlRedirect",
            "Order" => "order",
            _ => return Some(Value::Null),
        };
        Some(self.find_by_id(kind, gid).unwrap_or(Value::Null))
    }

    fn mutation(&self, set: &SelectionSet<'d, String>) -> GqlResult<Value> {
        let cfg = &self.sb.inner.config;
        let mut out = Map::new();
        for f in self.cx.fields(set) {
            *lock(&self.sb.inner.mutations_run)
                .entry(f.name.clone())
                .or_default() += 1;
            let path = vec![json!(key_of(f))];
            let payload = match f.name.as_str() {
                "productSet" => {
                    let input = self.cx.arg(f, "input").unwrap_or(Value::Null);
                    check_input_fields(&input, "ProductSetInput", PRODUCT_SET_INPUT, "input")?;
                    let ident = self.cx.arg(f, "identifier").unwrap_or(Value::Null);
                    let mut s = lock(&self.sb.inner.store);
                    match product_set(cfg, &mut s, &self.sb.inner.created, &ident, &input) {
                        Ok(p) => {
                            json!({ "__typename": "ProductSetPayload", "product": p, "productSetOperation": null, "userErrors": [] })
                        }
                        Err(errs) => {
                            json!({ "__typename": "ProductSetPayload", "product": null, "productSetOperation": null, "userErrors": errs })
                        }
                    }
                }
                "customerSet" => {
                    let input = self.cx.arg(f, "input").unwrap_or(Value::Null);
                    check_input_fields(&input, "CustomerSetInput", CUSTOMER_SET_INPUT, "input")?;
                    let ident = self.cx.arg(f, "identifier").unwrap_or(Value::Null);
                    let mut s = lock(&self.sb.inner.store);
                    match customer_set(&mut s, &self.sb.inner.created, &ident, &input) {
                        Ok(c) => {
                            json!({ "__typename": "CustomerSetPayload", "customer": c, "userErrors": [] })
                        }
                        Err(errs) => {
                            json!({ "__typename": "CustomerSetPayload", "customer": null, "userErrors": errs })
                        }
                    }
                }
                "customerEmailMarketingConsentUpdate" | "customerSmsMarketingConsentUpdate" => {
                    let channel = consent::Channel::of_mutation(&f.name).ok_or_else(|| {
                        gql_error(format!("unknown mutation {}", f.name), "UNDEFINED")
                    })?;
                    let input = self.cx.arg(f, "input").unwrap_or(Value::Null);
                    check_input_fields(
                        &input,
                        channel.input_type(),
                        channel.input_fields(),
                        "input",
                    )?;
                    check_input_fields(
                        &consent::consent_of(channel, &input),
                        channel.consent_type(),
                        consent::CONSENT_INPUT,
                        "input",
                    )?;
                    let mut s = lock(&self.sb.inner.store);
                    saved(
                        channel.payload_type(),
                        "customer",
                        consent::update(&mut s, channel, &input),
                    )
                }
                "productDelete" | "customerDelete" => {
                    let id = self
                        .cx
                        .arg(f, "input")
                        .and_then(|i| i.get("id").and_then(Value::as_str).map(str::to_string))
                        .unwrap_or_default();
                    let n: Option<u64> = id.rsplit('/').next().and_then(|x| x.parse().ok());
                    let mut s = lock(&self.sb.inner.store);
                    let removed = match (f.name.as_str(), n) {
                        ("productDelete", Some(n)) => s.remove_product(n),
                        (_, Some(n)) => s.remove_customer(n),
                        _ => false,
                    };
                    let (field, ty) = if f.name == "productDelete" {
                        ("deletedProductId", "ProductDeletePayload")
                    } else {
                        ("deletedCustomerId", "CustomerDeletePayload")
                    };
                    if removed {
                        json!({ "__typename": ty, field: id, "userErrors": [] })
                    } else {
                        let what = if f.name == "productDelete" {
                            "Product"
                        } else {
                            "Customer"
                        };
                        json!({ "__typename": ty, field: null, "userErrors": [{ "__typename": "UserError", "field": ["id"], "message": format!("{what} does not exist"), "code": null }] })
                    }
                }
                "collectionCreate" | "collectionUpdate" => {
                    let input = self.cx.arg(f, "input").unwrap_or(Value::Null);
                    check_input_fields(
                        &input,
                        "CollectionInput",
                        content::COLLECTION_INPUT,
                        "input",
                    )?;
                    let mut s = lock(&self.sb.inner.store);
                    let r = content::collection_save(
                        &mut s,
                        &self.sb.inner.created,
                        &input,
                        f.name == "collectionUpdate",
                    );
                    saved(&format!("{}Payload", upper_first(&f.name)), "collection", r)
                }
                "pageCreate" | "pageUpdate" => {
                    let input = self.cx.arg(f, "page").unwrap_or(Value::Null);
                    check_input_fields(&input, "PageCreateInput", content::PAGE_INPUT, "page")?;
                    let id = self
                        .cx
                        .arg(f, "id")
                        .and_then(|v| v.as_str().map(str::to_string));
                    if f.name == "pageUpdate" && id.is_none() {
                        return Err(gql_error(
                            "Variable $id of type ID! was provided invalid value",
                            "INVALID_VARIABLE",
                        ));
                    }
                    let mut s = lock(&self.sb.inner.store);
                    let r =
                        content::page_save(&mut s, &self.sb.inner.created, id.as_deref(), &input);
                    saved(&format!("{}Payload", upper_first(&f.name)), "page", r)
                }
                "urlRedirectCreate" | "urlRedirectUpdate" => {
                    let input = self.cx.arg(f, "urlRedirect").unwrap_or(Value::Null);
                    check_input_fields(
                        &input,
                        "UrlRedirectInput",
                        content::REDIRECT_INPUT,
                        "urlRedirect",
                    )?;
                    let id = self
                        .cx
                        .arg(f, "id")
                        .and_then(|v| v.as_str().map(str::to_string));
                    if f.name == "urlRedirectUpdate" && id.is_none() {
                        return Err(gql_error(
                            "Variable $id of type ID! was provided invalid value",
                            "INVALID_VARIABLE",
                        ));
                    }
                    let mut s = lock(&self.sb.inner.store);
                    let r = content::redirect_save(
                        &mut s,
                        &self.sb.inner.created,
                        id.as_deref(),
                        &input,
                    );
                    saved(
                        &format!("{}Payload", upper_first(&f.name)),
                        "urlRedirect",
                        r,
                    )
                }
                "orderCreate" => {
                    let input = self.cx.arg(f, "order").unwrap_or(Value::Null);
                    check_input_fields(
                        &input,
                        "OrderCreateOrderInput",
                        orders::ORDER_INPUT,
                        "order",
                    )?;
                    for (i, l) in input
                        .get("lineItems")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        check_input_fields(
                            l,
                            "OrderCreateLineItemInput",
                            orders::LINE_ITEM_INPUT,
                            &format!("order.lineItems.{i}"),
                        )?;
                    }
                    let mut s = lock(&self.sb.inner.store);
                    let r =
                        orders::order_create(&mut s, &self.sb.inner.created, &cfg.currency, &input);
                    saved("OrderCreatePayload", "order", r)
                }
                "orderUpdate" => {
                    let input = self.cx.arg(f, "input").unwrap_or(Value::Null);
                    let mut s = lock(&self.sb.inner.store);
                    saved(
                        "OrderUpdatePayload",
                        "order",
                        orders::order_update(&mut s, &input),
                    )
                }
                "collectionDelete" | "pageDelete" | "urlRedirectDelete" | "orderDelete" => {
                    let id = match f.name.as_str() {
                        "collectionDelete" => {
                            self.cx.arg(f, "input").and_then(|i| i.get("id").cloned())
                        }
                        "orderDelete" => self.cx.arg(f, "orderId"),
                        _ => self.cx.arg(f, "id"),
                    }
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                    let mut s = lock(&self.sb.inner.store);
                    let (removed, field, what) = match f.name.as_str() {
                        "collectionDelete" => (
                            content::remove(&mut s.collections, &id),
                            "deletedCollectionId",
                            "Collection",
                        ),
                        "pageDelete" => {
                            (content::remove(&mut s.pages, &id), "deletedPageId", "Page")
                        }
                        "urlRedirectDelete" => (
                            content::remove(&mut s.redirects, &id),
                            "deletedUrlRedirectId",
                            "Redirect",
                        ),
                        _ => (content::remove(&mut s.orders, &id), "deletedId", "Order"),
                    };
                    let ty = format!("{}Payload", upper_first(&f.name));
                    if removed {
                        json!({ "__typename": ty, field: id, "userErrors": [] })
                    } else {
                        json!({ "__typename": ty, field: null, "userErrors": [user_error("UserError", json!(["id"]), format!("{what} does not exist"), "NOT_FOUND")] })
                    }
                }
                other => match self.bulk_mutation_field(f) {
                    Some(payload) => payload?,
                    None => return Err(undefined_field(other, "Mutation", &path)),
                },
            };
            out.insert(key_of(f), self.project(&payload, &f.selection_set, &path)?);
        }
        Ok(Value::Object(out))
    }

    fn project_opt(
        &self,
        v: Option<&Value>,
        f: &Field<'d, String>,
        path: &[Value],
    ) -> GqlResult<Value> {
        match v {
            Some(v) => self.project(v, &f.selection_set, path),
            None => Ok(Value::Null),
        }
    }

    /// Picks the selected fields out of a stored object, recursively.
    fn project(
        &self,
        obj: &Value,
        set: &SelectionSet<'d, String>,
        path: &[Value],
    ) -> GqlResult<Value> {
        let typename = obj
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or("Object");
        let mut out = Map::new();
        for f in self.cx.fields(set) {
            let mut p = path.to_vec();
            p.push(json!(key_of(f)));
            let v = if f.name == "__typename" {
                json!(typename)
            } else if f.name == "collections" && obj.get("__collections").is_some() {
                // Membership is kept as ids: the collections are read as they are now.
                let items: Vec<Value> = {
                    let s = lock(&self.sb.inner.store);
                    obj["__collections"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| s.collections.get(&n.as_u64()?).cloned())
                        .collect()
                };
                self.connection(&items, "CollectionConnection", f, &p)?
            } else if f.name == "metafield" {
                let ns = self.cx.arg(f, "namespace");
                let key = self.cx.arg(f, "key");
                let found = obj
                    .get("__metafields")
                    .and_then(Value::as_array)
                    .and_then(|m| {
                        m.iter()
                            .find(|x| {
                                Some(&x["namespace"]) == ns.as_ref()
                                    && Some(&x["key"]) == key.as_ref()
                            })
                            .cloned()
                    });
                self.project_opt(found.as_ref(), f, &p)?
            } else {
                match obj.get(&f.name) {
                    None => return Err(undefined_field(&f.name, typename, &p)),
                    Some(Value::Object(m)) if m.contains_key("__connection") => {
                        let items = m
                            .get("__connection")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        let ty = format!(
                            "{}Connection",
                            m.get("__item").and_then(Value::as_str).unwrap_or("Node")
                        );
                        self.connection(&items, &ty, f, &p)?
                    }
                    Some(Value::Null) => Value::Null,
                    Some(v @ Value::Object(_)) => {
                        if f.selection_set.items.is_empty() {
                            return Err(gql_path_error(format!("Field must have selections (field '{}' returns an object but has no selections. Did you mean '{} {{ ... }}'?)", f.name, f.name), "selectionMismatch", &p));
                        }
                        self.project(v, &f.selection_set, &p)?
                    }
                    Some(Value::Array(items)) if items.first().is_some_and(Value::is_object) => {
                        let mut arr = vec![];
                        for (i, it) in items.iter().enumerate() {
                            let mut pi = p.clone();
                            pi.push(json!(i));
                            arr.push(self.project(it, &f.selection_set, &pi)?);
                        }
                        Value::Array(arr)
                    }
                    Some(v) => {
                        if !f.selection_set.items.is_empty() && !v.is_array() {
                            return Err(gql_path_error(format!("Selections can't be made on scalars (field '{}' returns a scalar but has selections)", f.name), "selectionMismatch", &p));
                        }
                        v.clone()
                    }
                }
            };
            out.insert(key_of(f), v);
        }
        Ok(Value::Object(out))
    }

    fn connection(
        &self,
        items: &[Value],
        typename: &str,
        f: &Field<'d, String>,
        path: &[Value],
    ) -> GqlResult<Value> {
        let n = if self.bulk {
            Some(items.len().max(1) as u64)
        } else {
            self.cx.page_size(f)
        };
        let Some(n) = n else {
            return Err(gql_path_error(
                "you must provide one of first or last",
                "argumentMissing",
                path,
            ));
        };
        if n > MAX_PAGE_SIZE && !self.bulk {
            return Err(gql_path_error(
                format!("The value for 'first' must be at most {MAX_PAGE_SIZE}, got {n}"),
                "argumentInvalid",
                path,
            ));
        }
        let start = match self
            .cx
            .arg(f, "after")
            .and_then(|v| v.as_str().map(str::to_string))
        {
            Some(c) => {
                let Some(last) = decode_cursor(&c) else {
                    return Err(gql_path_error(
                        format!("Invalid cursor for current pagination: {c}"),
                        "argumentInvalid",
                        path,
                    ));
                };
                items
                    .iter()
                    .position(|it| it["id"].as_str() == Some(last.as_str()))
                    .map(|i| i + 1)
                    .unwrap_or(items.len())
            }
            None => 0,
        };
        let end = (start + n as usize).min(items.len());
        let page = &items[start.min(end)..end];
        let cursor = |it: &Value| encode_cursor(it["id"].as_str().unwrap_or(""));
        let conn = json!({
            "__typename": typename,
            "nodes": page,
            "edges": page.iter().map(|it| json!({ "__typename": "Edge", "cursor": cursor(it), "node": it })).collect::<Vec<_>>(),
            "pageInfo": {
                "__typename": "PageInfo",
                "hasNextPage": end < items.len(),
                "hasPreviousPage": start > 0,
                "startCursor": page.first().map(cursor),
                "endCursor": page.last().map(cursor),
            }
        });
        self.project(&conn, &f.selection_set, path)
    }
}

/// A create/update payload: the object or the user errors.
fn saved(typename: &str, field: &str, r: Result<Value, Vec<Value>>) -> Value {
    match r {
        Ok(v) => json!({ "__typename": typename, field: v, "userErrors": [] }),
        Err(e) => json!({ "__typename": typename, field: null, "userErrors": e }),
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The items a search query selects (see [`search_terms`]).
#[cfg(test)]
fn search(items: Vec<Value>, query: Option<Value>) -> Vec<Value> {
    let terms = search_terms(query.as_ref());
    items
        .into_iter()
        .filter(|it| matches_terms(it, &terms))
        .collect()
}

/// One `field:value` term of a search; `op` is the range operator of a range field
/// (`updated_at:>='2026-…'`), empty for an equality.
struct Term {
    field: String,
    op: &'static str,
    value: String,
}

/// Shopify's search syntax, the part a migration and a sync use: `field:value` terms (value
/// optionally quoted, optionally after a range operator `>`, `>=`, `<`, `<=`), all of which
/// must match. Unknown fields are ignored, as Shopify does. No terms: everything matches.
fn search_terms(query: Option<&Value>) -> Vec<Term> {
    let Some(q) = query
        .and_then(Value::as_str)
        .filter(|q| !q.trim().is_empty())
    else {
        return vec![];
    };
    let mut terms = vec![];
    let mut rest = q.trim();
    while !rest.is_empty() {
        let Some((field, after)) = rest.split_once(':') else {
            break;
        };
        let after = after.trim_start();
        let (op, after) = [">=", "<=", ">", "<"]
            .into_iter()
            .find_map(|op| after.strip_prefix(op).map(|a| (op, a)))
            .unwrap_or(("", after));
        let (value, tail) = match after.strip_prefix('"').or_else(|| after.strip_prefix('\'')) {
            Some(quoted) => {
                let end = quoted.find(['"', '\'']).unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
            }
            None => after.split_at(after.find(' ').unwrap_or(after.len())),
        };
        terms.push(Term {
            field: field.trim().to_string(),
            op,
            value: value.to_string(),
        });
        rest = tail.trim_start();
        rest = rest.strip_prefix("AND ").unwrap_or(rest).trim_start();
    }
    terms
}

/// A search's time value: a full time, or a date (its midnight, UTC).
fn search_time(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn matches_terms(it: &Value, terms: &[Term]) -> bool {
    terms.iter().all(|t| {
        let (field, value) = (t.field.as_str(), t.value.as_str());
        // The time ranges: `updated_at` and `created_at` compare the object's own stamps.
        let stamp = match field {
            "updated_at" => Some("updatedAt"),
            "created_at" => Some("createdAt"),
            _ => None,
        };
        if let Some(key) = stamp {
            let (Some(have), Some(want)) = (
                it.get(key).and_then(Value::as_str).and_then(search_time),
                search_time(value),
            ) else {
                // An unreadable time selects nothing, as Shopify's does.
                return false;
            };
            return match t.op {
                ">" => have > want,
                ">=" => have >= want,
                "<" => have < want,
                "<=" => have <= want,
                _ => have == want,
            };
        }
        let stored = match field {
            "handle" | "path" | "name" | "email" | "title" | "target" => it.get(field),
            "id" => it.get("id"),
            _ => return true,
        };
        let stored = stored.and_then(Value::as_str).unwrap_or("");
        let stored = if field == "id" {
            stored.rsplit('/').next().unwrap_or("")
        } else {
            stored
        };
        stored.eq_ignore_ascii_case(value)
    })
}

/// Whether a stored object matches an identifier input (`id`, `handle` or `customId`).
/// The number at the end of a global id (`gid://shopify/Order/12` → 12).
pub(super) fn gid_number(gid: &str) -> Option<u64> {
    gid.rsplit('/').next()?.parse().ok()
}

/// An order by custom id (through the index) or by id.
fn find_order(s: &Store, ident: &Value) -> Option<u64> {
    if let Some(c) = ident.get("customId").filter(|c| c.is_object()) {
        return s
            .order_index
            .get(&custom_key(&c["namespace"], &c["key"], &c["value"]))
            .copied();
    }
    ident
        .get("id")
        .and_then(Value::as_str)
        .and_then(gid_number)
        .filter(|n| s.orders.contains_key(n))
}

fn identified_by(obj: &Value, ident: &Value) -> bool {
    if let Some(c) = ident.get("customId").filter(|c| c.is_object()) {
        return obj["__metafields"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| {
                m["namespace"] == c["namespace"] && m["key"] == c["key"] && m["value"] == c["value"]
            });
    }
    if let Some(h) = ident.get("handle").and_then(Value::as_str) {
        return obj["handle"].as_str() == Some(h);
    }
    ident
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| obj["id"].as_str() == Some(id))
}

fn undefined_field(name: &str, typename: &str, path: &[Value]) -> Value {
    json!({
        "message": format!("Field '{name}' doesn't exist on type '{typename}'"),
        "path": path,
        "extensions": { "code": "undefinedField", "typeName": typename, "fieldName": name }
    })
}

fn gql_path_error(message: impl Into<String>, code: &str, path: &[Value]) -> Value {
    json!({ "message": message.into(), "path": path, "extensions": { "code": code } })
}

/// Input objects are checked field by field, like Shopify's variable coercion does.
fn check_input_fields(v: &Value, ty: &str, allowed: &[&str], var: &str) -> GqlResult<()> {
    let Some(obj) = v.as_object() else {
        return Err(gql_error(
            format!("Variable ${var} of type {ty}! was provided invalid value"),
            "INVALID_VARIABLE",
        ));
    };
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(json!({
                "message": format!("Variable ${var} of type {ty}! was provided invalid value for {k} (Field is not defined on {ty})"),
                "extensions": { "code": "INVALID_VARIABLE", "value": v, "problems": [{ "path": [k], "explanation": format!("Field is not defined on {ty}") }] }
            }));
        }
    }
    if ty == "ProductSetInput" {
        for (i, variant) in obj
            .get("variants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_input_fields(
                variant,
                "ProductVariantSetInput",
                VARIANT_SET_INPUT,
                &format!("{var}.variants.{i}"),
            )?;
        }
    }
    if ty == "CustomerSetInput" {
        for (i, a) in obj
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_input_fields(
                a,
                "MailingAddressInput",
                ADDRESS_INPUT,
                &format!("{var}.addresses.{i}"),
            )?;
        }
    }
    Ok(())
}

/// A user error. `field` is `[String!]` in the schema: a list index in the path is sent as
/// its decimal text (`["input", "variants", "0", "price"]`), as Shopify sends it.
fn user_error(typename: &str, field: Value, message: impl Into<String>, code: &str) -> Value {
    let field = match field {
        Value::Array(parts) => Value::Array(
            parts
                .into_iter()
                .map(|p| match p {
                    Value::Number(n) => Value::String(n.to_string()),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    };
    json!({ "__typename": typename, "field": field, "message": message.into(), "code": code })
}

fn slugify(s: &str) -> String {
    storeshift_connectors::platform::normalize_handle(
        storeshift_connectors::model::Platform::Shopify,
        s,
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn str_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(handle: &str, path: &str) -> Value {
        json!({ "id": format!("gid://shopify/Page/{}", handle.len()), "handle": handle, "path": path })
    }

    #[test]
    fn search_matches_quoted_and_bare_terms_and_ignores_unknown_fields() {
        let items = vec![item("a", "/x y"), item("bb", "/z")];
        let found = |q: &str| -> Vec<String> {
            search(items.clone(), Some(json!(q)))
                .iter()
                .map(|i| i["handle"].as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(found("handle:bb"), vec!["bb"]);
        assert_eq!(found("path:\"/x y\""), vec!["a"]);
        assert_eq!(found("path:'/z' AND handle:bb"), vec!["bb"]);
        assert_eq!(found("published_status:any"), vec!["a", "bb"]);
        assert_eq!(found("handle:nothing"), Vec::<String>::new());
        assert_eq!(found(""), vec!["a", "bb"]);
    }

    #[test]
    fn updated_at_ranges_compare_times() {
        let items = vec![
            json!({ "handle": "old", "updatedAt": "2026-12-06T05:00:00Z" }),
            json!({ "handle": "new", "updatedAt": "2026-12-06T05:00:01Z" }),
        ];
        let found = |q: &str| -> Vec<String> {
            search(items.clone(), Some(json!(q)))
                .iter()
                .map(|i| i["handle"].as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(found("updated_at:>'2026-12-06T05:00:00Z'"), vec!["new"]);
        assert_eq!(
            found("updated_at:>='2026-12-06T05:00:00Z'"),
            vec!["old", "new"]
        );
        assert_eq!(found("updated_at:<2026-12-06T05:00:01Z"), vec!["old"]);
        assert_eq!(found("updated_at:>2026-12-07"), Vec::<String>::new());
        assert_eq!(
            found("updated_at:>='2026-12-06T05:00:01Z' AND handle:new"),
            vec!["new"]
        );
    }

    proptest! {
        #[test]
        fn a_quoted_value_finds_exactly_its_item(values in proptest::collection::btree_set("[^\"']{1,20}", 1..6)) {
            let items: Vec<Value> = values.iter().map(|v| item("h", v)).collect();
            for v in &values {
                let q = format!("path:\"{v}\"");
                let hits = search(items.clone(), Some(json!(q)));
                prop_assert!(!hits.is_empty(), "{q}");
                prop_assert!(hits.iter().all(|h| h["path"].as_str().is_some_and(|p| p.eq_ignore_ascii_case(v))));
            }
        }
    }
}
