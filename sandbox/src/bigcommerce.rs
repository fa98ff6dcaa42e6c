//! A BigCommerce v3 Admin API in memory: `/stores/{hash}/v3/` with `X-Auth-Token`,
//! `page`/`limit` pagination reported in `meta.pagination`, the request window announced in
//! `X-Rate-Limit-*` headers on every reply (429 with `X-Retry-After` when spent), unique
//! product names and SKUs, one product per POST, batch writes of at most 10 (PUT products,
//! POST/PUT customers) and `{status, title, type, errors}` error bodies.
//!
//! It answers as BigCommerce's published OpenAPI documents say (the contract tests hold it to
//! them): `sku`/`sku:in` on products match the main SKU only, variant SKUs are found through
//! `GET /catalog/variants?sku=`, every product has variants (a simple one its base variant),
//! `brand_name` in a write creates or joins a brand and is never echoed (`brand_id` is), and
//! names, SKUs and customer fields are refused where the documents refuse them.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use storeshift_connectors::platform::bigcommerce::{
    MAX_BATCH, MAX_CUSTOM_FIELDS, MAX_CUSTOM_FIELD_LEN, MAX_NAME_LEN, MAX_PAGE_SIZE, MAX_SKU_LEN,
};

#[derive(Debug, Clone)]
pub struct BigCommerceConfig {
    pub store_hash: String,
    pub token: String,
    /// Requests allowed per window.
    pub quota: u32,
    pub window_ms: u64,
}

impl Default for BigCommerceConfig {
    fn default() -> Self {
        BigCommerceConfig {
            store_hash: "sandbox".into(),
            token: "bc_sandbox_token".into(),
            quota: 150,
            window_ms: 30_000,
        }
    }
}

#[derive(Debug)]
struct Window {
    start: Instant,
    used: u32,
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    products: BTreeMap<u64, Value>,
    customers: BTreeMap<u64, Value>,
    brands: BTreeMap<u64, String>,
    /// Categories of the one category tree ([`TREE_ID`]), by `category_id`.
    categories: BTreeMap<u64, Value>,
    /// Custom field ids are numbered across the store.
    next_custom_field: u64,
}

impl Store {
    /// The brand of that name (case does not matter, as BigCommerce says), created if new.
    fn brand(&mut self, name: &str) -> u64 {
        if let Some((id, _)) = self
            .brands
            .iter()
            .find(|(_, b)| b.eq_ignore_ascii_case(name))
        {
            return *id;
        }
        self.next_id += 1;
        self.brands.insert(self.next_id, name.to_string());
        self.next_id
    }
}

struct Inner {
    config: BigCommerceConfig,
    store: Mutex<Store>,
    window: Mutex<Window>,
    created: CreationLog,
    limited: Mutex<u64>,
}

#[derive(Clone)]
pub struct BigCommerceSandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

const DOCS: &str = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

fn error(status: StatusCode, title: &str, errors: Value) -> Response {
    (
        status,
        Json(json!({ "status": status.as_u16(), "title": title, "type": DOCS, "errors": errors })),
    )
        .into_response()
}

type Q = Query<HashMap<String, String>>;

impl BigCommerceSandbox {
    pub fn new(config: BigCommerceConfig) -> Self {
        BigCommerceSandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(Store::default()),
                window: Mutex::new(Window {
                    start: Instant::now(),
                    used: 0,
                }),
                created: CreationLog::default(),
                limited: Mutex::new(0),
            }),
            faults: Arc::new(Faults::default()),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route(
                "/stores/{hash}/v3/catalog/products",
                get(list_products)
                    .post(create_product)
                    .put(update_products)
                    .delete(delete_products),
            )
            .route("/stores/{hash}/v3/catalog/variants", get(list_variants))
            .route("/stores/{hash}/v3/catalog/trees", get(list_trees))
            .route(
                "/stores/{hash}/v3/catalog/trees/categories",
                get(list_categories)
                    .post(create_categories)
                    .put(update_categories)
                    .delete(delete_categories),
            )
            .route("/stores/{hash}/v3/catalog/brands", get(list_brands))
            .route(
                "/stores/{hash}/v3/customers",
                get(list_customers)
                    .post(create_customers)
                    .put(update_customers)
                    .delete(delete_customers),
            )
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "status": status.as_u16(), "title": status.canonical_reason().unwrap_or("Error"), "type": DOCS }),
        )
    }

    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &BigCommerceConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    /// The request window as the next request would find it: requests left and milliseconds
    /// until it resets. A spent-out or never-opened window counts as a fresh one, which opens
    /// with the next request (so benchmarks can bound a load by whole windows).
    pub fn window_left(&self) -> (u32, u64) {
        let cfg = self.config();
        let w = lock(&self.inner.window);
        let elapsed = w.start.elapsed().as_millis() as u64;
        if elapsed >= cfg.window_ms {
            (cfg.quota, cfg.window_ms)
        } else {
            (cfg.quota.saturating_sub(w.used), cfg.window_ms - elapsed)
        }
    }

    pub fn product_count(&self) -> usize {
        lock(&self.inner.store).products.len()
    }

    pub fn customer_count(&self) -> usize {
        lock(&self.inner.store).customers.len()
    }

    /// Variants across the catalog (a simple product's base variant counts).
    pub fn variant_count(&self) -> usize {
        lock(&self.inner.store)
            .products
            .values()
            .map(|p| p["variants"].as_array().map_or(0, Vec::len))
            .sum()
    }

    /// Brand names, as the store holds them.
    pub fn brands(&self) -> Vec<String> {
        lock(&self.inner.store).brands.values().cloned().collect()
    }

    /// Every category as its path of names from the root, sorted.
    pub fn category_paths(&self) -> Vec<Vec<String>> {
        let s = lock(&self.inner.store);
        let mut out: Vec<Vec<String>> = s
            .categories
            .keys()
            .map(|id| category_path(&s, *id))
            .collect();
        out.sort();
        out
    }

    /// Each product's name with the paths of its categories, sorted.
    pub fn product_categories(&self) -> BTreeMap<String, Vec<Vec<String>>> {
        let s = lock(&self.inner.store);
        s.products
            .values()
            .map(|p| {
                let mut paths: Vec<Vec<String>> = p["categories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64)
                    .map(|id| category_path(&s, id))
                    .collect();
                paths.sort();
                (p["name"].as_str().unwrap_or("").to_string(), paths)
            })
            .collect()
    }

    /// Creates `path` (and its missing ancestors) in the tree, as a merchant would in the
    /// control panel; returns the id of its last category.
    pub fn seed_category(&self, path: &[&str]) -> u64 {
        let mut s = lock(&self.inner.store);
        let mut parent = 0u64;
        for name in path {
            let found = s
                .categories
                .iter()
                .find(|(_, c)| {
                    c["parent_id"].as_u64() == Some(parent) && c["name"].as_str() == Some(*name)
                })
                .map(|(id, _)| *id);
            parent = match found {
                Some(id) => id,
                None => {
                    let input = json!({ "name": name, "parent_id": parent, "tree_id": TREE_ID,
                                        "description": format!("<p>{name}</p>"), "page_title": name });
                    match create_category_in(&self.inner, &mut s, &input) {
                        Ok(c) => c["category_id"].as_u64().unwrap_or(0),
                        Err(_) => return 0,
                    }
                }
            };
        }
        parent
    }

    /// Puts a product (by name) into categories, as the control panel would.
    pub fn categorize(&self, product: &str, categories: &[u64]) {
        let mut s = lock(&self.inner.store);
        if let Some(p) = s
            .products
            .values_mut()
            .find(|p| p["name"].as_str() == Some(product))
        {
            p["categories"] = json!(categories);
        }
    }

    /// Replies refused because the request window was spent.
    pub fn rate_limited(&self) -> u64 {
        *lock(&self.inner.limited)
    }

    /// A hash of the products and customers (what a rollback promises to restore; brands a
    /// load created through `brand_name` stay, as they do on BigCommerce).
    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "p": s.products, "c": s.customers });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    pub fn seed_products(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let mut p = json!({
                "name": format!("BC product {i}"), "type": "physical", "weight": 1.5, "price": 20.0 + i as f64,
                "sale_price": if i % 2 == 0 { 15.0 } else { 0.0 }, "description": format!("<p>BC {i}</p>"),
                "custom_url": { "url": format!("/bc-product-{i}/"), "is_customized": true },
                "inventory_tracking": "product", "inventory_level": i % 9, "is_visible": true,
                "images": [{ "image_url": format!("https://cdn.example.com/bc/{i}.jpg"), "is_thumbnail": true, "description": format!("BC {i}") }],
                "page_title": format!("BC {i}"), "meta_description": "", "brand_name": if i % 3 == 0 { "BC Brand" } else { "Other Brand" },
            });
            if i % 5 == 0 {
                p["variants"] = json!([
                    { "sku": format!("BC-{i}-S"), "price": 21.0, "inventory_level": 3, "option_values": [{ "option_display_name": "Size", "label": "S" }],
                      "image_url": format!("https://cdn.example.com/bc/{i}-s.jpg") },
                    { "sku": format!("BC-{i}-M"), "price": 22.0, "inventory_level": 4, "option_values": [{ "option_display_name": "Size", "label": "M" }] },
                ]);
                p["inventory_tracking"] = json!("variant");
            } else {
                p["sku"] = json!(format!("BC-{i}"));
            }
            if i % 4 == 0 {
                p["custom_fields"] = json!([{ "name": "Material", "value": format!("Wool {i}") }, { "name": "Care", "value": "Hand wash" }]);
            }
            let _ = create_product_in(&self.inner, &mut s, &p);
        }
    }

    /// The custom fields of the product named `name`, as (name, value), in the store's order.
    pub fn custom_fields(&self, name: &str) -> Vec<(String, String)> {
        let s = lock(&self.inner.store);
        s.products
            .values()
            .filter(|p| p["name"].as_str() == Some(name))
            .flat_map(|p| p["custom_fields"].as_array().cloned().unwrap_or_default())
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                (text("name"), text("value"))
            })
            .collect()
    }

    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let c = json!({ "email": format!("bc{i}@example.com"), "first_name": format!("Bc{i}"), "last_name": "Shopper", "phone": format!("555-01{i:02}"),
                            "addresses": [{ "first_name": format!("Bc{i}"), "last_name": "Shopper", "address1": format!("{i} Elm St"), "city": "Austin",
                                            "state_or_province": "Texas", "postal_code": "78701", "country_code": "US" }] });
            let _ = create_customer_in(&self.inner, &mut s, &c);
        }
    }

    /// Checks the credentials and counts the request against the window. Returns the rate
    /// headers to put on the reply.
    fn admit(&self, hash: &str, headers: &HeaderMap) -> Result<HeaderMap, Response> {
        let cfg = &self.inner.config;
        if hash != cfg.store_hash {
            return Err(error(StatusCode::NOT_FOUND, "Store not found", json!({})));
        }
        if headers.get("x-auth-token").and_then(|v| v.to_str().ok()) != Some(cfg.token.as_str()) {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "No valid credentials were found in this request",
                json!({}),
            ));
        }
        let mut w = lock(&self.inner.window);
        let now = Instant::now();
        let elapsed = now.duration_since(w.start).as_millis() as u64;
        if elapsed >= cfg.window_ms {
            w.start = now;
            w.used = 0;
        }
        let reset_ms = cfg
            .window_ms
            .saturating_sub(now.duration_since(w.start).as_millis() as u64);
        let mut h = HeaderMap::new();
        h.insert(
            "x-rate-limit-time-window-ms",
            HeaderValue::from(cfg.window_ms),
        );
        h.insert("x-rate-limit-time-reset-ms", HeaderValue::from(reset_ms));
        h.insert("x-rate-limit-requests-quota", HeaderValue::from(cfg.quota));
        if w.used >= cfg.quota {
            *lock(&self.inner.limited) += 1;
            h.insert("x-rate-limit-requests-left", HeaderValue::from(0));
            h.insert("x-retry-after", HeaderValue::from(reset_ms.div_ceil(1000)));
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                json!({}),
            );
            r.headers_mut().extend(h);
            return Err(r);
        }
        w.used += 1;
        h.insert(
            "x-rate-limit-requests-left",
            HeaderValue::from(cfg.quota - w.used),
        );
        Ok(h)
    }
}

fn with_headers(h: HeaderMap, r: Response) -> Response {
    let mut r = r;
    r.headers_mut().extend(h);
    r
}

async fn control_state(State(sb): State<BigCommerceSandbox>) -> Json<Value> {
    Json(
        json!({ "products": sb.product_count(), "customers": sb.customer_count(), "categories": lock(&sb.inner.store).categories.len(), "duplicates": sb.creation_log().duplicates(),
                 "requests": sb.faults.requests(), "rate_limited": sb.rate_limited() }),
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A `date_modified` filter value: a full ISO 8601 time, or a date, to which (as the
/// Catalog document says) BigCommerce adds the current time of the request.
fn filter_time(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(d.and_time(chrono::Utc::now().time()).and_utc())
}

/// `date_modified`, `date_modified:min` and `date_modified:max` (inclusive) on a product or
/// customer list. An unreadable value selects nothing.
fn modified_within(item: &Value, q: &HashMap<String, String>) -> bool {
    let have = item["date_modified"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let bound = |key: &str,
                 keep: &dyn Fn(
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    ) -> bool| {
        q.get(key).is_none_or(|v| match (have, filter_time(v)) {
            (Some(h), Some(w)) => keep(h, w),
            _ => false,
        })
    };
    bound("date_modified:min", &|h, w| h >= w)
        && bound("date_modified:max", &|h, w| h <= w)
        && bound("date_modified", &|h, w| h == w)
}

fn sku_taken(s: &Store, sku: &str, except: Option<u64>) -> bool {
    s.products.iter().any(|(id, p)| {
        Some(*id) != except
            && (p["sku"].as_str() == Some(sku)
                || p["variants"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["sku"].as_str() == Some(sku))))
    })
}

fn invalid(field: &str, why: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "JSON data is missing or invalid",
        json!({ field: why }),
    )
}

fn validate(s: &Store, p: &Value, id: Option<u64>) -> Result<(), Response> {
    let name = p["name"].as_str().unwrap_or("");
    if name.chars().count() > MAX_NAME_LEN {
        return Err(invalid(
            "name",
            &format!("The field 'name' cannot be longer than {MAX_NAME_LEN} characters."),
        ));
    }
    if p.get("name")
        .is_some_and(|n| n.as_str().is_some_and(|n| n.trim().is_empty()))
    {
        return Err(invalid("name", "The field 'name' cannot be empty."));
    }
    let variants = p["variants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, v) in variants.iter().enumerate() {
        for ov in v["option_values"].as_array().into_iter().flatten() {
            for k in ["option_display_name", "label"] {
                if ov[k].as_str().is_none_or(|x| x.is_empty()) {
                    return Err(invalid(
                        &format!("variants.{i}.option_values.{k}"),
                        &format!("{k} is a required field"),
                    ));
                }
            }
        }
    }
    for sku in p["sku"]
        .as_str()
        .into_iter()
        .chain(variants.iter().filter_map(|v| v["sku"].as_str()))
    {
        if sku.chars().count() > MAX_SKU_LEN {
            return Err(invalid(
                "sku",
                &format!("The field 'sku' cannot be longer than {MAX_SKU_LEN} characters."),
            ));
        }
    }
    if id.is_none() {
        let mut missing = serde_json::Map::new();
        for k in ["name", "type", "weight", "price"] {
            if p.get(k).is_none_or(Value::is_null) || (k == "name" && name.trim().is_empty()) {
                missing.insert(k.into(), json!(format!("{k} is a required field")));
            }
        }
        if !missing.is_empty() {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "JSON data is missing or invalid",
                Value::Object(missing),
            ));
        }
    }
    if !name.is_empty()
        && s.products
            .iter()
            .any(|(pid, q)| Some(*pid) != id && q["name"].as_str() == Some(name))
    {
        return Err(error(
            StatusCode::CONFLICT,
            &format!("The product name is a duplicate: \"{name}\""),
            json!({}),
        ));
    }
    let skus = p["sku"].as_str().into_iter().chain(
        p["variants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["sku"].as_str()),
    );
    for sku in skus.filter(|x| !x.is_empty()) {
        if sku_taken(s, sku, id) {
            return Err(error(
                StatusCode::CONFLICT,
                &format!("Sku {sku} is not unique"),
                json!({}),
            ));
        }
    }
    if let Some(cats) = p.get("categories").filter(|c| !c.is_null()) {
        let ids: Option<Vec<u64>> = cats
            .as_array()
            .and_then(|a| a.iter().map(Value::as_u64).collect());
        match ids {
            None => {
                return Err(invalid(
                    "categories",
                    "categories must be a list of category ids",
                ))
            }
            Some(ids) => {
                if let Some(bad) = ids.iter().find(|c| !s.categories.contains_key(c)) {
                    return Err(invalid(
                        "categories",
                        &format!("category {bad} does not exist"),
                    ));
                }
            }
        }
    }
    if let Some(fields) = p.get("custom_fields").filter(|c| !c.is_null()) {
        validate_custom_fields(s, fields, id)?;
    }
    if p["variants"].as_array().is_some_and(|v| v.len() > 600) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The product has too many variants (600 at most)",
            json!({}),
        ));
    }
    if p["price"].as_f64().is_some_and(|x| x < 0.0) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON data is missing or invalid",
            json!({ "price": "price must be greater than or equal to 0" }),
        ));
    }
    Ok(())
}

/// `custom_fields` as `productCustomField_Put` has them: a name and a value of 1 to 250
/// characters each, an `id` only of a field the product has, at most 200 a product.
fn validate_custom_fields(s: &Store, fields: &Value, id: Option<u64>) -> Result<(), Response> {
    let Some(fields) = fields.as_array() else {
        return Err(invalid(
            "custom_fields",
            "custom_fields must be a list of custom fields",
        ));
    };
    let existing: Vec<Value> = id
        .and_then(|id| s.products.get(&id))
        .and_then(|p| p["custom_fields"].as_array().cloned())
        .unwrap_or_default();
    let mut added = 0;
    for (i, f) in fields.iter().enumerate() {
        for key in ["name", "value"] {
            let len = f[key].as_str().map(|v| v.chars().count());
            if !len.is_some_and(|n| (1..=MAX_CUSTOM_FIELD_LEN).contains(&n)) {
                return Err(invalid(
                    &format!("custom_fields.{i}.{key}"),
                    &format!("{key} must be between 1 and {MAX_CUSTOM_FIELD_LEN} characters"),
                ));
            }
        }
        match f.get("id").and_then(Value::as_u64) {
            Some(cf) if !existing.iter().any(|e| e["id"].as_u64() == Some(cf)) => {
                return Err(invalid(
                    &format!("custom_fields.{i}.id"),
                    &format!("custom field {cf} does not exist on this product"),
                ))
            }
            Some(_) => {}
            None => added += 1,
        }
    }
    if existing.len() + added > MAX_CUSTOM_FIELDS {
        return Err(invalid(
            "custom_fields",
            &format!("a product has at most {MAX_CUSTOM_FIELDS} custom fields"),
        ));
    }
    Ok(())
}

/// Custom fields with an `id` change that field; without one BigCommerce adds a field.
fn apply_custom_fields(s: &mut Store, p: &mut Value, fields: &Value) {
    let mut list = p["custom_fields"].as_array().cloned().unwrap_or_default();
    for f in fields.as_array().into_iter().flatten() {
        match f.get("id").and_then(Value::as_u64) {
            Some(cf) => {
                if let Some(e) = list.iter_mut().find(|e| e["id"].as_u64() == Some(cf)) {
                    e["name"] = f["name"].clone();
                    e["value"] = f["value"].clone();
                }
            }
            None => {
                s.next_custom_field += 1;
                list.push(
                    json!({ "id": s.next_custom_field, "name": f["name"], "value": f["value"] }),
                );
            }
        }
    }
    p["custom_fields"] = json!(list);
}

fn create_product_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Response> {
    validate(s, input, None)?;
    s.next_id += 1;
    let id = s.next_id;
    let mut p = json!({
        "id": id, "name": "", "type": "physical", "sku": "", "description": "", "weight": 0, "price": 0, "sale_price": 0, "retail_price": 0,
        "cost_price": 0, "inventory_level": 0, "inventory_tracking": "none", "is_visible": true, "brand_id": 0,
        "custom_url": { "url": "", "is_customized": false }, "page_title": "", "meta_description": "", "search_keywords": "", "upc": "", "gtin": "",
        "categories": [], "date_created": now(), "date_modified": now(), "variants": [], "images": [], "custom_fields": [],
    });
    apply(s, &mut p, input, id);
    if p["variants"].as_array().is_none_or(Vec::is_empty) {
        // A product without options has one base variant carrying its SKU.
        p["variants"] = json!([{ "id": id * 1000 + 1, "product_id": id, "sku": p["sku"], "price": null, "sale_price": null,
                                 "inventory_level": p["inventory_level"], "upc": p["upc"], "gtin": p["gtin"], "option_values": [] }]);
    }
    if p["custom_url"]["url"] == "" {
        let slug = storeshift_connectors::platform::normalize_handle(
            storeshift_connectors::model::Platform::BigCommerce,
            p["name"].as_str().unwrap_or(""),
        );
        p["custom_url"] = json!({ "url": format!("/{slug}/"), "is_customized": false });
    }
    let key = p["custom_url"]["url"].as_str().unwrap_or("").to_string();
    inner.created.record("products", &key);
    s.products.insert(id, p.clone());
    Ok(p)
}

fn apply(s: &mut Store, p: &mut Value, input: &Value, id: u64) {
    if let Some(o) = input.as_object() {
        for (k, v) in o {
            match k.as_str() {
                "id" => {}
                // Creates or joins the brand; BigCommerce keeps brand_id and never brand_name.
                "brand_name" => {
                    if let Some(name) = v.as_str().map(str::trim).filter(|n| !n.is_empty()) {
                        p["brand_id"] = json!(s.brand(name));
                    }
                }
                "sku" => {
                    p["sku"] = v.clone();
                    // The base variant of a product without options carries its SKU.
                    if let Some(vs) = p["variants"].as_array_mut() {
                        if let [base] = vs.as_mut_slice() {
                            if base["option_values"].as_array().is_none_or(Vec::is_empty) {
                                base["sku"] = v.clone();
                            }
                        }
                    }
                }
                "variants" => {
                    let vs: Vec<Value> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(|(i, x)| {
                            let mut x = x.clone();
                            x["id"] = json!(id * 1000 + i as u64 + 1);
                            x["product_id"] = json!(id);
                            if x.get("option_values").is_none() {
                                x["option_values"] = json!([]);
                            }
                            x
                        })
                        .collect();
                    p["variants"] = json!(vs);
                }
                "custom_fields" => apply_custom_fields(s, p, v),
                "images" => {
                    let imgs: Vec<Value> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(|(i, x)| json!({ "id": id * 1000 + i as u64 + 1, "product_id": id, "image_url": x["image_url"], "url_standard": x["image_url"],
                                               "is_thumbnail": x.get("is_thumbnail").cloned().unwrap_or(json!(i == 0)), "sort_order": i, "description": x.get("description").cloned().unwrap_or(json!("")) }))
                        .collect();
                    p["images"] = json!(imgs);
                }
                _ => p[k] = v.clone(),
            }
        }
    }
    p["date_modified"] = json!(now());
}

/// A product as a reply shows it: sub-resources only when `include` names them, and only the
/// id and the `include_fields` when those are given.
fn project(p: &Value, include: &str, fields: Option<&Vec<String>>) -> Value {
    let mut p = p.clone();
    let inc: Vec<&str> = include.split(',').map(str::trim).collect();
    if let Some(o) = p.as_object_mut() {
        if !inc.contains(&"variants") {
            o.remove("variants");
        }
        if !inc.contains(&"images") {
            o.remove("images");
        }
        if !inc.contains(&"custom_fields") {
            o.remove("custom_fields");
        }
        if let Some(fields) = fields {
            o.retain(|k, _| {
                k == "id" || fields.iter().any(|f| f == k) || inc.contains(&k.as_str())
            });
        }
    }
    p
}

fn paged(items: Vec<Value>, q: &HashMap<String, String>) -> Value {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, MAX_PAGE_SIZE);
    let page = q
        .get("page")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(limit).max(1);
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    let mut links = json!({ "current": format!("?page={page}&limit={limit}") });
    if page > 1 {
        links["previous"] = json!(format!("?page={}&limit={limit}", page - 1));
    }
    if page < pages {
        links["next"] = json!(format!("?page={}&limit={limit}", page + 1));
    }
    json!({ "data": data, "meta": { "pagination": { "total": total, "count": data.len(), "per_page": limit, "current_page": page, "total_pages": pages, "links": links } } })
}

fn list_of(q: &HashMap<String, String>, key: &str) -> Option<Vec<String>> {
    q.get(key).map(|v| {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
}

async fn list_products(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let include = q.get("include").cloned().unwrap_or_default();
    let fields = list_of(&q, "include_fields");
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .products
        .values()
        .filter(|p| {
            // "Filter items by main SKU. To filter by variant SKU, see Get all variants."
            let main_sku = |list: &[String]| list.iter().any(|k| p["sku"].as_str() == Some(k));
            list_of(&q, "sku:in").is_none_or(|l| main_sku(&l))
                && q.get("sku")
                    .is_none_or(|k| main_sku(std::slice::from_ref(k)))
                && q.get("name").is_none_or(|n| p["name"].as_str() == Some(n))
                && list_of(&q, "id:in")
                    .is_none_or(|l| l.iter().any(|i| i.parse::<u64>().ok() == p["id"].as_u64()))
                && modified_within(p, &q)
        })
        .map(|p| project(p, &include, fields.as_ref()))
        .collect();
    drop(s);
    with_headers(h, Json(paged(items, &q)).into_response())
}

/// `GET /catalog/variants`: every variant of the catalog (base variants too), filtered by
/// `sku`, `id` or `product_id:in`.
async fn list_variants(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let fields = list_of(&q, "include_fields");
    let products = list_of(&q, "product_id:in");
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .products
        .values()
        .flat_map(|p| p["variants"].as_array().cloned().unwrap_or_default())
        .filter(|v| {
            q.get("sku").is_none_or(|k| v["sku"].as_str() == Some(k))
                && q.get("id")
                    .is_none_or(|i| i.parse::<u64>().ok() == v["id"].as_u64())
                && products.as_ref().is_none_or(|l| {
                    l.iter()
                        .any(|i| i.parse::<u64>().ok() == v["product_id"].as_u64())
                })
        })
        .map(|mut v| {
            if let (Some(fields), Some(o)) = (&fields, v.as_object_mut()) {
                o.retain(|k, _| k == "id" || fields.iter().any(|f| f == k));
            }
            v
        })
        .collect();
    drop(s);
    with_headers(h, Json(paged(items, &q)).into_response())
}

/// `GET /catalog/brands`, filtered by `id:in` or `name`.
async fn list_brands(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let ids = list_of(&q, "id:in");
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .brands
        .iter()
        .filter(|(id, name)| {
            ids.as_ref()
                .is_none_or(|l| l.iter().any(|i| i.parse::<u64>().ok() == Some(**id)))
                && q.get("name").is_none_or(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect();
    drop(s);
    with_headers(h, Json(paged(items, &q)).into_response())
}

async fn create_product(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return with_headers(
            h,
            error(StatusCode::BAD_REQUEST, "Input is invalid", json!({})),
        );
    };
    if input.is_array() {
        return with_headers(
            h,
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "JSON data is missing or invalid",
                json!({ "": "a single product object is expected" }),
            ),
        );
    }
    let mut s = lock(&sb.inner.store);
    let r = match create_product_in(&sb.inner, &mut s, &input) {
        Ok(p) => Json(json!({ "data": project(&p, "images", None), "meta": {} })).into_response(),
        Err(r) => r,
    };
    with_headers(h, r)
}

async fn update_products(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let items = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
    {
        Some(a) => a,
        None => {
            return with_headers(
                h,
                error(StatusCode::BAD_REQUEST, "Input is invalid", json!({})),
            )
        }
    };
    if items.len() > MAX_BATCH {
        return with_headers(
            h,
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("You can update at most {MAX_BATCH} products at a time"),
                json!({}),
            ),
        );
    }
    let mut s = lock(&sb.inner.store);
    // The batch is validated whole: one bad product refuses the request, as BigCommerce does.
    for it in &items {
        let id = it["id"].as_u64().unwrap_or(0);
        if !s.products.contains_key(&id) {
            return with_headers(
                h,
                error(
                    StatusCode::NOT_FOUND,
                    &format!("Product {id} not found"),
                    json!({}),
                ),
            );
        }
        if let Err(r) = validate(&s, it, Some(id)) {
            return with_headers(h, r);
        }
    }
    let mut out = vec![];
    for it in &items {
        let id = it["id"].as_u64().unwrap_or(0);
        if let Some(mut p) = s.products.remove(&id) {
            apply(&mut s, &mut p, it, id);
            out.push(project(&p, "", None));
            s.products.insert(id, p);
        }
    }
    with_headers(h, Json(json!({ "data": out, "meta": {} })).into_response())
}

async fn delete_products(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Some(ids) = list_of(&q, "id:in") else {
        return with_headers(
            h,
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "A filter is required to delete products",
                json!({}),
            ),
        );
    };
    let mut s = lock(&sb.inner.store);
    for id in ids.iter().filter_map(|i| i.parse::<u64>().ok()) {
        s.products.remove(&id);
    }
    with_headers(h, StatusCode::NO_CONTENT.into_response())
}

/// What the Customers document requires of a new customer and its addresses (the names, and
/// an address's names, street, city and country), in BigCommerce's words.
fn customer_refusal(c: &Value, creating: bool) -> Option<String> {
    let blank = |v: &Value, k: &str| {
        v.get(k)
            .is_some_and(|x| x.as_str().is_none_or(|s| s.trim().is_empty()))
    };
    let absent = |v: &Value, k: &str| v.get(k).is_none_or(Value::is_null);
    for k in ["first_name", "last_name"] {
        if blank(c, k) || (creating && absent(c, k)) {
            return Some(format!("{k} is required and cannot be empty"));
        }
    }
    for (i, a) in c["addresses"].as_array().into_iter().flatten().enumerate() {
        for k in [
            "first_name",
            "last_name",
            "address1",
            "city",
            "country_code",
        ] {
            if absent(a, k) || blank(a, k) {
                return Some(format!("addresses.{i}.{k} is required and cannot be empty"));
            }
        }
    }
    None
}

fn create_customer_in(inner: &Inner, s: &mut Store, c: &Value) -> Result<Value, String> {
    let email = c["email"].as_str().unwrap_or("").to_ascii_lowercase();
    if !email
        .split_once('@')
        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
    {
        return Err(format!(
            "Error creating customer '{email}'. The email address is not valid."
        ));
    }
    if s.customers
        .values()
        .any(|x| x["email"].as_str() == Some(email.as_str()))
    {
        return Err(format!("Error creating customer '{email}'. The email address {email} is already in use by another customer."));
    }
    s.next_id += 1;
    let id = s.next_id;
    let mut out = json!({ "id": id, "email": email, "first_name": c["first_name"], "last_name": c["last_name"], "company": c.get("company").cloned().unwrap_or(json!("")),
                          "phone": c.get("phone").cloned().unwrap_or(json!("")), "notes": c.get("notes").cloned().unwrap_or(json!("")),
                          "date_created": now(), "date_modified": now(), "addresses": [], "address_count": 0 });
    set_addresses(&mut out, c, id);
    inner.created.record("customers", &email);
    s.customers.insert(id, out.clone());
    Ok(out)
}

fn set_addresses(out: &mut Value, c: &Value, id: u64) {
    if let Some(a) = c["addresses"].as_array() {
        let list: Vec<Value> = a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let mut x = x.clone();
                x["id"] = json!(id * 100 + i as u64 + 1);
                x["customer_id"] = json!(id);
                // BigCommerce answers every address with these, empty when none was given
                // (the Customers document's reply schema requires them).
                for k in ["state_or_province", "postal_code"] {
                    if x.get(k).is_none_or(Value::is_null) {
                        x[k] = json!("");
                    }
                }
                x
            })
            .collect();
        out["address_count"] = json!(list.len());
        out["addresses"] = json!(list);
    }
}

async fn list_customers(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let with_addresses = q.get("include").is_some_and(|i| i.contains("addresses"));
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .customers
        .values()
        .filter(|c| {
            list_of(&q, "email:in").is_none_or(|l| {
                l.iter()
                    .any(|e| c["email"].as_str() == Some(e.to_ascii_lowercase().as_str()))
            })
        })
        .filter(|c| {
            list_of(&q, "id:in")
                .is_none_or(|l| l.iter().any(|i| i.parse::<u64>().ok() == c["id"].as_u64()))
        })
        .filter(|c| modified_within(c, &q))
        .map(|c| {
            let mut c = c.clone();
            if !with_addresses {
                if let Some(o) = c.as_object_mut() {
                    o.remove("addresses");
                }
            }
            c
        })
        .collect();
    drop(s);
    with_headers(h, Json(paged(items, &q)).into_response())
}

async fn create_customers(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let items = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
    {
        Some(a) => a,
        None => {
            return with_headers(
                h,
                error(StatusCode::BAD_REQUEST, "Input is invalid", json!({})),
            )
        }
    };
    if items.len() > MAX_BATCH {
        return with_headers(
            h,
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("You can create at most {MAX_BATCH} customers at a time"),
                json!({}),
            ),
        );
    }
    let mut s = lock(&sb.inner.store);
    // All or nothing: a bad customer refuses the whole request with its reason.
    let mut seen = vec![];
    for c in &items {
        let email = c["email"].as_str().unwrap_or("").to_ascii_lowercase();
        let valid = email
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'));
        let taken = s
            .customers
            .values()
            .any(|x| x["email"].as_str() == Some(email.as_str()))
            || seen.contains(&email);
        let msg = if !valid {
            Some(format!(
                "Error creating customer '{email}'. The email address is not valid."
            ))
        } else if let Some(why) = customer_refusal(c, true) {
            Some(format!("Error creating customer '{email}'. {why}."))
        } else if taken {
            Some(format!("Error creating customer '{email}'. The email address {email} is already in use by another customer."))
        } else {
            None
        };
        if let Some(msg) = msg {
            return with_headers(
                h,
                error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Error creating customers",
                    json!({ ".customer_create": msg }),
                ),
            );
        }
        seen.push(email);
    }
    let out: Vec<Value> = items
        .iter()
        .filter_map(|c| create_customer_in(&sb.inner, &mut s, c).ok())
        .collect();
    with_headers(h, Json(json!({ "data": out, "meta": {} })).into_response())
}

async fn update_customers(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let items = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
    {
        Some(a) => a,
        None => {
            return with_headers(
                h,
                error(StatusCode::BAD_REQUEST, "Input is invalid", json!({})),
            )
        }
    };
    if items.len() > MAX_BATCH {
        return with_headers(
            h,
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("You can update at most {MAX_BATCH} customers at a time"),
                json!({}),
            ),
        );
    }
    // All or nothing: a refused customer refuses the request before anything changes.
    for it in &items {
        if let Some(why) = customer_refusal(it, false) {
            let id = it["id"].as_u64().unwrap_or(0);
            return with_headers(
                h,
                error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Error updating customers",
                    json!({ ".customer_update": format!("Customer {id}: {why}") }),
                ),
            );
        }
    }
    let mut s = lock(&sb.inner.store);
    let mut out = vec![];
    for it in &items {
        let id = it["id"].as_u64().unwrap_or(0);
        let Some(c) = s.customers.get_mut(&id) else {
            return with_headers(
                h,
                error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Error updating customers",
                    json!({ ".customer_update": format!("Customer {id} does not exist") }),
                ),
            );
        };
        for k in ["first_name", "last_name", "phone", "company", "notes"] {
            if let Some(v) = it.get(k) {
                c[k] = v.clone();
            }
        }
        c["date_modified"] = json!(now());
        out.push(c.clone());
    }
    with_headers(h, Json(json!({ "data": out, "meta": {} })).into_response())
}

async fn delete_customers(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Some(ids) = list_of(&q, "id:in") else {
        return with_headers(
            h,
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "A filter is required to delete customers",
                json!({}),
            ),
        );
    };
    let mut s = lock(&sb.inner.store);
    for id in ids.iter().filter_map(|i| i.parse::<u64>().ok()) {
        s.customers.remove(&id);
    }
    with_headers(h, StatusCode::NO_CONTENT.into_response())
}

// ---- category trees (Catalog Trees API) ----

/// The store's one category tree, that of its default channel (1).
const TREE_ID: u64 = 1;
/// `name` maxLength in the Category Trees document.
const MAX_CATEGORY_NAME: usize = 50;

/// Names from the root down to a category.
fn category_path(s: &Store, id: u64) -> Vec<String> {
    let mut path = vec![];
    let mut at = id;
    while let Some(c) = s.categories.get(&at) {
        path.push(c["name"].as_str().unwrap_or("").to_string());
        at = c["parent_id"].as_u64().unwrap_or(0);
        if at == 0 || path.len() > 16 {
            break;
        }
    }
    path.reverse();
    path
}

/// The Category Trees document's error body for a refused write: `{errors: {status, title,
/// type, errors}, meta: {total, success, failed}}` (ErrorResponse), not the bare error the
/// product endpoints send.
fn tree_error(status: StatusCode, title: &str, errors: Value, total: usize) -> Response {
    (
        status,
        Json(json!({
            "errors": { "status": status.as_u16(), "title": title, "type": DOCS, "errors": errors },
            "meta": { "total": total, "success": 0, "failed": total },
        })),
    )
        .into_response()
}

/// What BigCommerce refuses in one category of a write (`at` is its index in the batch), in
/// its words; `id` is the category being updated.
fn category_refusal(s: &Store, c: &Value, id: Option<u64>) -> Option<(String, String)> {
    let field = |k: &str| k.to_string();
    let current = id.and_then(|i| s.categories.get(&i));
    let name = match c.get("name") {
        Some(n) => match n.as_str().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => return Some((field("name"), "name cannot be empty".into())),
        },
        None if id.is_none() => return Some((field("name"), "name is a required field".into())),
        None => current
            .and_then(|c| c["name"].as_str())
            .unwrap_or("")
            .to_string(),
    };
    if name.chars().count() > MAX_CATEGORY_NAME {
        return Some((
            field("name"),
            format!("name cannot be longer than {MAX_CATEGORY_NAME} characters"),
        ));
    }
    let parent = match c.get("parent_id") {
        Some(p) => match p.as_u64() {
            Some(p) => p,
            None => return Some((field("parent_id"), "parent_id must be an integer".into())),
        },
        None => match current {
            Some(cur) => cur["parent_id"].as_u64().unwrap_or(0),
            None if c.get("tree_id").is_some() => 0,
            None => {
                return Some((
                    field("tree_id"),
                    "tree_id or parent_id is a required field".into(),
                ))
            }
        },
    };
    if let Some(t) = c.get("tree_id") {
        if t.as_u64() != Some(TREE_ID) {
            return Some((
                field("tree_id"),
                format!("category tree {t} does not exist"),
            ));
        }
    }
    if parent != 0 && !s.categories.contains_key(&parent) {
        return Some((
            field("parent_id"),
            format!("parent category {parent} does not exist"),
        ));
    }
    if Some(parent) == id {
        return Some((
            field("parent_id"),
            "a category cannot be its own parent".into(),
        ));
    }
    // "Name is unique with respect to the category's siblings."
    if s.categories.iter().any(|(cid, o)| {
        Some(*cid) != id
            && o["parent_id"].as_u64() == Some(parent)
            && o["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
    }) {
        return Some((
            field("name"),
            format!("a category named \"{name}\" already exists under this parent"),
        ));
    }
    None
}

fn create_category_in(
    inner: &Inner,
    s: &mut Store,
    input: &Value,
) -> Result<Value, (String, String)> {
    if let Some(r) = category_refusal(s, input, None) {
        return Err(r);
    }
    s.next_id += 1;
    let id = s.next_id;
    let mut c = json!({
        "category_id": id, "category_uuid": format!("00000000-0000-4000-8000-{id:012x}"), "parent_id": 0, "tree_id": TREE_ID,
        "name": "", "description": "", "views": 0, "sort_order": 0, "page_title": "", "meta_keywords": [], "meta_description": "",
        "layout_file": "category.html", "image_url": "", "is_visible": true, "search_keywords": "", "default_product_sort": "use_store_settings",
        "url": { "path": "", "is_customized": false },
    });
    apply_category(&mut c, input);
    if c["url"]["path"] == "" {
        // "If not provided in POST request, the URL is autogenerated from the category name."
        let parent = c["parent_id"].as_u64().unwrap_or(0);
        let mut path: Vec<String> = category_path(s, parent);
        path.push(c["name"].as_str().unwrap_or("").to_string());
        let slugs: Vec<String> = path
            .iter()
            .map(|n| {
                storeshift_connectors::platform::normalize_handle(
                    storeshift_connectors::model::Platform::BigCommerce,
                    n,
                )
            })
            .collect();
        c["url"] = json!({ "path": format!("/{}/", slugs.join("/")), "is_customized": false });
    }
    s.categories.insert(id, c.clone());
    let key = category_path(s, id).join(" > ");
    inner.created.record("categories", &key);
    Ok(c)
}

fn apply_category(c: &mut Value, input: &Value) {
    for (k, v) in input.as_object().into_iter().flatten() {
        match k.as_str() {
            "category_id" | "category_uuid" | "views" => {}
            "tree_id" => c["tree_id"] = json!(TREE_ID),
            "name" => c["name"] = json!(v.as_str().unwrap_or("").trim()),
            _ => c[k] = v.clone(),
        }
    }
}

/// `GET /catalog/trees`: the one tree, on channel 1.
async fn list_trees(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let trees: Vec<Value> = [json!({ "id": TREE_ID, "name": "Default", "channels": [1] })]
        .into_iter()
        .filter(|t| {
            list_of(&q, "id:in")
                .is_none_or(|l| l.iter().any(|i| i.parse::<u64>().ok() == t["id"].as_u64()))
                && list_of(&q, "channel_id:in").is_none_or(|l| l.iter().any(|c| c == "1"))
        })
        .collect();
    with_headers(h, Json(paged(trees, &q)).into_response())
}

fn ids_in(q: &HashMap<String, String>, key: &str, v: &Value) -> bool {
    list_of(q, key).is_none_or(|l| l.iter().any(|i| i.parse::<u64>().ok() == v.as_u64()))
}

/// `GET /catalog/trees/categories`, by id order, filtered by `category_id:in`, `tree_id:in`,
/// `parent_id:in`, `name`, `is_visible`; `include_fields` keeps the id and those fields.
async fn list_categories(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let fields = list_of(&q, "include_fields");
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .categories
        .values()
        .filter(|c| {
            ids_in(&q, "category_id:in", &c["category_id"])
                && ids_in(&q, "tree_id:in", &c["tree_id"])
                && ids_in(&q, "parent_id:in", &c["parent_id"])
                && q.get("name").is_none_or(|n| c["name"].as_str() == Some(n))
                && q.get("is_visible").is_none_or(|v| {
                    c["is_visible"].as_bool().map(|b| b.to_string()).as_deref() == Some(v)
                })
        })
        .map(|c| {
            let mut c = c.clone();
            if let (Some(fields), Some(o)) = (&fields, c.as_object_mut()) {
                o.retain(|k, _| k == "category_id" || fields.iter().any(|f| f == k));
            }
            c
        })
        .collect();
    drop(s);
    with_headers(h, Json(paged(items, &q)).into_response())
}

/// The array body of a category write, or the 400 the document gives for anything else.
fn category_items(body: &[u8]) -> Result<Vec<Value>, Response> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .ok_or_else(|| {
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "errors": [{ "status": 400, "title": "Input is invalid: an array of categories is expected", "type": DOCS }] })),
            )
                .into_response()
        })
}

/// `POST /catalog/trees/categories`: 201 when every category is created, 207 with `data` and
/// `errors` when some are, 422 when none is.
async fn create_categories(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let items = match category_items(&body) {
        Ok(i) => i,
        Err(r) => return with_headers(h, r),
    };
    let mut s = lock(&sb.inner.store);
    let mut data = vec![];
    let mut errors = serde_json::Map::new();
    for (i, it) in items.iter().enumerate() {
        match create_category_in(&sb.inner, &mut s, it) {
            Ok(c) => data.push(c),
            Err((field, why)) => {
                errors.insert(format!("{i}.{field}"), json!(why));
            }
        }
    }
    let (total, failed) = (items.len(), errors.len());
    let r = if failed == 0 {
        (
            StatusCode::CREATED,
            Json(
                json!({ "data": data, "meta": { "total": total, "success": total, "failed": 0 } }),
            ),
        )
            .into_response()
    } else if data.is_empty() {
        tree_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The category was not valid",
            Value::Object(errors),
            total,
        )
    } else {
        (
            StatusCode::MULTI_STATUS,
            Json(json!({
                "data": data,
                "errors": { "status": 207, "title": "Some categories were not created", "type": DOCS, "errors": errors },
                "meta": { "total": total, "success": total - failed, "failed": failed },
            })),
        )
            .into_response()
    };
    with_headers(h, r)
}

/// `PUT /catalog/trees/categories`: each item needs `category_id`; validated whole.
async fn update_categories(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let items = match category_items(&body) {
        Ok(i) => i,
        Err(r) => return with_headers(h, r),
    };
    let mut s = lock(&sb.inner.store);
    let mut errors = serde_json::Map::new();
    for (i, it) in items.iter().enumerate() {
        let refusal = match it["category_id"].as_u64() {
            None => Some((
                "category_id".to_string(),
                "category_id is a required field".to_string(),
            )),
            Some(id) if !s.categories.contains_key(&id) => Some((
                "category_id".to_string(),
                format!("category {id} does not exist"),
            )),
            Some(id) => category_refusal(&s, it, Some(id)),
        };
        if let Some((field, why)) = refusal {
            errors.insert(format!("{i}.{field}"), json!(why));
        }
    }
    let total = items.len();
    if !errors.is_empty() {
        return with_headers(
            h,
            tree_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The category was not valid",
                Value::Object(errors),
                total,
            ),
        );
    }
    for it in &items {
        if let Some(c) = it["category_id"]
            .as_u64()
            .and_then(|id| s.categories.get_mut(&id))
        {
            apply_category(c, it);
        }
    }
    with_headers(
        h,
        Json(json!({ "meta": { "total": total, "success": total, "failed": 0 } })).into_response(),
    )
}

/// `DELETE /catalog/trees/categories`: needs a filter; a deleted category takes its
/// subcategories with it and leaves the products it held.
async fn delete_categories(
    State(sb): State<BigCommerceSandbox>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = match sb.admit(&hash, &headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let filters = [
        "category_id:in",
        "tree_id:in",
        "parent_id:in",
        "category_uuid:in",
    ];
    if filters.iter().all(|f| !q.contains_key(*f)) {
        return with_headers(
            h,
            tree_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "A filter is required to delete categories",
                json!({ "category_id:in": "give category_id:in, category_uuid:in, tree_id:in or parent_id:in" }),
                0,
            ),
        );
    }
    let mut s = lock(&sb.inner.store);
    let mut gone: Vec<u64> = s
        .categories
        .values()
        .filter(|c| {
            ids_in(&q, "category_id:in", &c["category_id"])
                && ids_in(&q, "tree_id:in", &c["tree_id"])
                && ids_in(&q, "parent_id:in", &c["parent_id"])
                && list_of(&q, "category_uuid:in").is_none_or(|l| {
                    l.iter()
                        .any(|u| c["category_uuid"].as_str() == Some(u.as_str()))
                })
        })
        .filter_map(|c| c["category_id"].as_u64())
        .collect();
    let mut i = 0;
    while i < gone.len() {
        let parent = gone[i];
        let children: Vec<u64> = s
            .categories
            .iter()
            .filter(|(id, c)| c["parent_id"].as_u64() == Some(parent) && !gone.contains(id))
            .map(|(id, _)| *id)
            .collect();
        gone.extend(children);
        i += 1;
    }
    for id in &gone {
        s.categories.remove(id);
    }
    for p in s.products.values_mut() {
        if let Some(list) = p["categories"].as_array_mut() {
            list.retain(|c| c.as_u64().is_none_or(|c| !gone.contains(&c)));
        }
    }
    let total = gone.len();
    with_headers(
        h,
        (
            StatusCode::ACCEPTED,
            Json(json!({ "meta": { "total": total, "success": total, "failed": 0 } })),
        )
            .into_response(),
    )
}
