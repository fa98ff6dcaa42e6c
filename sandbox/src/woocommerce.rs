//! A WooCommerce REST API v3 in memory: `/wp-json/wc/v3/` with consumer key/secret (HTTP Basic
//! or query string), `page`/`per_page` ≤ 100 with `X-WP-Total`/`X-WP-TotalPages` and `Link`,
//! `{code, message, data: {status}}` errors, `/batch` endpoints of at most 100 objects, unique
//! SKUs, slugs sanitised and made unique like WordPress does, and remote images that can fail.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

mod categories;
mod changes;
mod orders;
mod pages;
mod shapes;
mod tags;

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct WooConfig {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Image URLs containing this text cannot be fetched (the item fails, as in WooCommerce).
    pub failing_image_marker: String,
    /// The WordPress user and application password that open `/wp-json/wp/v2/` (pages).
    pub wp_user: String,
    pub wp_app_password: String,
}

impl Default for WooConfig {
    fn default() -> Self {
        WooConfig {
            consumer_key: "ck_sandbox".into(),
            consumer_secret: "cs_sandbox".into(),
            failing_image_marker: "unreachable".into(),
            wp_user: "admin".into(),
            wp_app_password: "abcd EFGH 1234 ijkl MNOP 6789".into(),
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    products: BTreeMap<u64, Value>,
    /// product id → variation id → variation
    variations: BTreeMap<u64, BTreeMap<u64, Value>>,
    customers: BTreeMap<u64, Value>,
    categories: BTreeMap<u64, Value>,
    /// Product tags (`product_tag` terms) by id.
    tags: BTreeMap<u64, Value>,
    orders: BTreeMap<u64, Value>,
    /// Variation id → its product's id: an order line names a variation by SKU or id, and
    /// finding its product by scanning every product made order loads slow with the catalog.
    variation_parent: HashMap<u64, u64>,
    pages: BTreeMap<u64, Value>,
    skus: HashMap<String, u64>,
    /// GTIN/UPC/EAN/ISBN → product or variation id (WooCommerce keeps them unique).
    gtins: HashMap<String, u64>,
    /// product slug → product id (WordPress keeps slugs unique by suffixing -2, -3, ...)
    slugs: HashMap<String, u64>,
    /// Lower-cased email → customer id: every create checks the email is free and every
    /// order's customer is looked up by email, so a scan made loads quadratic.
    emails: HashMap<String, u64>,
}

impl Store {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn remove_customer(&mut self, id: u64) -> Option<Value> {
        let c = self.customers.remove(&id)?;
        if let Some(e) = c["email"].as_str() {
            self.emails.remove(e);
        }
        Some(c)
    }
}

struct Inner {
    config: WooConfig,
    store: Mutex<Store>,
    created: CreationLog,
}

#[derive(Clone)]
pub struct WooSandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

pub use storeshift_connectors::platform::woocommerce::{MAX_BATCH, MAX_PER_PAGE};

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "code": code, "message": message, "data": { "status": status.as_u16() } })),
    )
        .into_response()
}

fn item_error(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message, "data": { "status": 400 } })
}

impl WooSandbox {
    pub fn new(config: WooConfig) -> Self {
        WooSandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(Store::default()),
                created: CreationLog::default(),
            }),
            faults: Arc::new(Faults::default()),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route(
                "/wp-json/wc/v3/products",
                get(list_products).post(create_product),
            )
            .route("/wp-json/wc/v3/products/batch", post(batch_products))
            .route(
                "/wp-json/wc/v3/products/{id}",
                get(get_product).put(update_product).delete(delete_product),
            )
            .route(
                "/wp-json/wc/v3/products/{id}/variations",
                get(list_variations),
            )
            .route(
                "/wp-json/wc/v3/products/{id}/variations/batch",
                post(batch_variations),
            )
            .route(
                "/wp-json/wc/v3/products/categories",
                get(categories::list_categories).post(categories::create_category),
            )
            .route(
                "/wp-json/wc/v3/products/categories/batch",
                post(categories::batch_categories),
            )
            .route(
                "/wp-json/wc/v3/products/categories/{id}",
                get(categories::get_category)
                    .put(categories::update_category)
                    .delete(categories::delete_category),
            )
            .route(
                "/wp-json/wc/v3/products/tags",
                get(tags::list_tags).post(tags::create_tag),
            )
            .route("/wp-json/wc/v3/products/tags/batch", post(tags::batch_tags))
            .route(
                "/wp-json/wc/v3/products/tags/{id}",
                get(tags::get_tag)
                    .put(tags::update_tag)
                    .delete(tags::delete_tag),
            )
            .route(
                "/wp-json/wc/v3/orders",
                get(orders::list_orders).post(orders::create_order),
            )
            .route("/wp-json/wc/v3/orders/batch", post(orders::batch_orders))
            .route(
                "/wp-json/wc/v3/orders/{id}",
                get(orders::get_order)
                    .put(orders::update_order)
                    .delete(orders::delete_order),
            )
            .route(
                "/wp-json/wp/v2/pages",
                get(pages::list_pages).post(pages::create_page),
            )
            .route(
                "/wp-json/wp/v2/pages/{id}",
                get(pages::get_page)
                    .post(pages::update_page)
                    .put(pages::update_page)
                    .delete(pages::delete_page),
            )
            .route("/wp-json/wc/v3/customers", get(list_customers))
            .route("/wp-json/wc/v3/customers/batch", post(batch_customers))
            .route(
                "/wp-json/wc/v3/customers/{id}",
                get(get_customer).delete(delete_customer),
            )
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(api, self.faults.clone(), |status| {
            if status == StatusCode::TOO_MANY_REQUESTS {
                json!({ "code": "woocommerce_rest_too_many_requests", "message": "Too many requests. Please wait and try again.", "data": { "status": 429 } })
            } else {
                json!({ "code": "internal_server_error", "message": "<p>There has been a critical error on this website.</p>", "data": { "status": status.as_u16() } })
            }
        })
    }

    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &WooConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    pub fn product_count(&self) -> usize {
        lock(&self.inner.store).products.len()
    }

    pub fn variation_count(&self) -> usize {
        lock(&self.inner.store)
            .variations
            .values()
            .map(BTreeMap::len)
            .sum()
    }

    pub fn customer_count(&self) -> usize {
        lock(&self.inner.store).customers.len()
    }

    pub fn category_count(&self) -> usize {
        lock(&self.inner.store).categories.len()
    }

    pub fn tag_count(&self) -> usize {
        lock(&self.inner.store).tags.len()
    }

    /// The store's product tags, as stored (`count` is worked out when a tag is answered).
    pub fn tags(&self) -> Vec<Value> {
        lock(&self.inner.store).tags.values().cloned().collect()
    }

    pub fn order_count(&self) -> usize {
        lock(&self.inner.store).orders.len()
    }

    pub fn page_count(&self) -> usize {
        lock(&self.inner.store).pages.len()
    }

    pub fn orders(&self) -> Vec<Value> {
        lock(&self.inner.store).orders.values().cloned().collect()
    }

    pub fn categories(&self) -> Vec<Value> {
        lock(&self.inner.store)
            .categories
            .values()
            .cloned()
            .collect()
    }

    pub fn pages(&self) -> Vec<Value> {
        lock(&self.inner.store).pages.values().cloned().collect()
    }

    pub fn products(&self) -> Vec<Value> {
        lock(&self.inner.store).products.values().cloned().collect()
    }

    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "p": s.products.values().collect::<Vec<_>>(), "v": s.variations, "c": s.customers.values().collect::<Vec<_>>(),
                        "cat": s.categories.values().collect::<Vec<_>>(), "o": s.orders.values().collect::<Vec<_>>(), "pg": s.pages.values().collect::<Vec<_>>() });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// Fills the store as if products had been made in wp-admin: every fourth is a variable
    /// product with a Size attribute and three variations.
    pub fn seed_products(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        if n == 0 {
            return;
        }
        // Products name their tags by id: the "seed" tag first (or the one a seed made before).
        let seed_tag = match tags::create_tag_in(&self.inner, &mut s, &json!({ "name": "seed" })) {
            Ok(t) => t["id"].clone(),
            Err(e) => e["data"]["resource_id"].clone(),
        };
        for i in 0..n {
            let variable = i % 4 == 0;
            let mut input = json!({
                "name": format!("Woo product {i}"), "slug": format!("woo-product-{i}"), "type": if variable { "variable" } else { "simple" },
                "description": format!("<p>Woo number {i}</p>"), "short_description": "",
                "tags": [{ "id": seed_tag }], "images": [{ "src": format!("https://shop.example.com/wp-content/uploads/{i}.jpg"), "alt": format!("Woo {i}") }],
                "weight": "0.25", "meta_data": [{ "key": "vendor", "value": "Woo Seed" }],
            });
            if variable {
                input["attributes"] = json!([{ "name": "Size", "position": 0, "visible": true, "variation": true, "options": ["S", "M", "L"] }]);
            } else {
                input["sku"] = json!(format!("WOO-{i}"));
                input["regular_price"] = json!(format!("{}.00", 20 + i % 30));
                input["sale_price"] = json!(if i % 2 == 0 {
                    format!("{}.50", 10 + i % 9)
                } else {
                    String::new()
                });
                input["manage_stock"] = json!(true);
                input["stock_quantity"] = json!(i % 13);
            }
            let Ok(p) = create_product_in(&self.inner, &mut s, &input) else {
                continue;
            };
            if variable {
                let pid = p["id"].as_u64().unwrap_or(0);
                for (j, size) in ["S", "M", "L"].iter().enumerate() {
                    let v = json!({ "sku": format!("WOO-{i}-{size}"), "regular_price": format!("{}.00", 30 + j),
                                    "manage_stock": true, "stock_quantity": j * 2, "attributes": [{ "name": "Size", "option": size }] });
                    let _ = create_variation_in(&mut s, pid, &v);
                }
            }
        }
    }

    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let input = json!({
                "email": format!("woo{i}@example.com"), "first_name": format!("Woo{i}"), "last_name": "Buyer",
                "billing": { "first_name": format!("Woo{i}"), "last_name": "Buyer", "address_1": format!("{i} High St"), "city": "Leeds",
                             "state": "", "postcode": "LS1 1AA", "country": "GB", "email": format!("woo{i}@example.com"), "phone": format!("+44 113 000 {i:04}") },
            });
            let _ = create_customer_in(&self.inner, &mut s, &input);
        }
    }

    /// A write's credentials, then its JSON body: what every create and update checks first.
    fn authorised_json(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        method: &Method,
        body: &[u8],
    ) -> Result<Value, Response> {
        self.authorised(headers, query, method)?;
        body_json(body)
    }

    fn authorised(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        method: &Method,
    ) -> Result<(), Response> {
        let cfg = &self.inner.config;
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            });
        let pair = basic.or_else(|| {
            Some((
                query.get("consumer_key")?.clone(),
                query.get("consumer_secret")?.clone(),
            ))
        });
        match pair {
            None => {
                let (code, message) = if method == Method::GET {
                    (
                        "woocommerce_rest_cannot_view",
                        "Sorry, you cannot list resources.",
                    )
                } else {
                    (
                        "woocommerce_rest_cannot_create",
                        "Sorry, you are not allowed to create resources.",
                    )
                };
                Err(err(StatusCode::UNAUTHORIZED, code, message))
            }
            Some((k, _)) if k != cfg.consumer_key => Err(err(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_authentication_error",
                "Consumer key is invalid.",
            )),
            Some((_, s)) if s != cfg.consumer_secret => Err(err(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_authentication_error",
                "Consumer secret is invalid.",
            )),
            Some(_) => Ok(()),
        }
    }
}

async fn control_state(State(sb): State<WooSandbox>) -> Json<Value> {
    Json(json!({
        "products": sb.product_count(), "variations": sb.variation_count(), "customers": sb.customer_count(),
        "categories": sb.category_count(), "tags": sb.tag_count(), "orders": sb.order_count(), "pages": sb.page_count(),
        "duplicates": sb.creation_log().duplicates(), "requests": sb.faults.requests(),
    }))
}

/// WordPress's sanitize_title: lower case, spaces to dashes, other punctuation dropped, and
/// UTF-8 kept percent-encoded (lower-case hex), which is how slugs are stored and returned.
pub fn sanitize_title(title: &str) -> String {
    let mut out = String::new();
    // sanitize_title_with_dashes: "Kill entities" (a term's name is stored escaped, so
    // `Salt &amp; Pepper` is `salt-pepper`).
    let title = without_entities(title);
    for ch in title.trim().chars() {
        let c = ch.to_lowercase().next().unwrap_or(ch);
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if c.is_whitespace() || c == '.' || c == '/' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else if !c.is_ascii() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02x}"));
            }
        }
    }
    let out = out.trim_matches('-').to_string();
    let mut collapsed = String::with_capacity(out.len());
    for ch in out.chars() {
        if !(ch == '-' && collapsed.ends_with('-')) {
            collapsed.push(ch);
        }
    }
    collapsed
}

/// The length of the entity `text` starts with (`&amp;`, `&#039;`), if it starts with one.
fn entity_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('&')?;
    let end = body.find(';')?;
    let name = &body[..end];
    let valid = match name.strip_prefix('#') {
        Some(n) => match n.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()),
        },
        None => !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
    };
    (valid && end <= 10).then_some(end + 2)
}

fn without_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let skip = entity_len(rest).unwrap_or(1);
        if skip == 1 {
            out.push('&');
        }
        rest = &rest[skip..];
    }
    out.push_str(rest);
    out
}

/// A term's name as WordPress saves it, and so as the REST API answers it: `pre_term_name`
/// runs `sanitize_text_field` (tags stripped, runs of whitespace made one space, trimmed),
/// `wp_filter_kses` and `_wp_specialchars` (ENT_NOQUOTES, no double encoding): `&`, `<` and
/// `>` become `&amp;`, `&lt;` and `&gt;`, and an entity already there stays as it is. So
/// `Salt & Pepper` is stored, listed and compared as `Salt &amp; Pepper`.
pub fn wp_term_name(name: &str) -> String {
    let mut stripped = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('<') {
        stripped.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        // A tag starts with a letter, `/` or `!`; a lone `<` is text.
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>').filter(|_| is_tag) {
            Some(end) => rest = &after[end + 1..],
            None => {
                stripped.push('<');
                rest = after;
            }
        }
    }
    stripped.push_str(rest);
    let text = stripped.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text.as_str();
    while let Some(c) = rest.chars().next() {
        match c {
            '&' => match entity_len(rest) {
                Some(n) => {
                    out.push_str(&rest[..n]);
                    rest = &rest[n..];
                    continue;
                }
                None => out.push_str("&amp;"),
            },
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn unique_slug(s: &Store, wanted: &str, except: Option<u64>) -> String {
    let taken = |slug: &str| s.slugs.get(slug).is_some_and(|id| Some(*id) != except);
    if !taken(wanted) {
        return wanted.to_string();
    }
    (2..)
        .map(|n| format!("{wanted}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or_default()
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn str_field(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn failing_image(inner: &Inner, input: &Value) -> Option<String> {
    let imgs = input.get("images").and_then(Value::as_array)?;
    imgs.iter()
        .filter_map(|i| i["src"].as_str())
        .find(|src| src.contains(&inner.config.failing_image_marker))
        .map(|src| {
            format!("Error getting remote image {src}. Error: cURL error 6: Could not resolve host")
        })
}

/// GTIN/UPC/EAN/ISBN: WooCommerce keeps only digits and dashes, unique across products and
/// variations.
fn apply_gtin(s: &mut Store, id: u64, item: &mut Value, input: &Value) -> Result<(), Value> {
    let Some(raw) = input.get("global_unique_id").and_then(Value::as_str) else {
        return Ok(());
    };
    let gtin: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let gtin = gtin.as_str();
    let invalid = || {
        item_error(
            "product_invalid_global_unique_id",
            "Invalid or duplicated GTIN, UPC, EAN or ISBN.",
        )
    };
    if s.gtins.get(gtin).is_some_and(|owner| *owner != id) {
        return Err(invalid());
    }
    if let Some(old) = item["global_unique_id"].as_str().filter(|o| !o.is_empty()) {
        s.gtins.remove(old);
    }
    if !gtin.is_empty() {
        s.gtins.insert(gtin.to_string(), id);
    }
    item["global_unique_id"] = json!(gtin);
    Ok(())
}

/// A product attribute as WooCommerce answers it: every property of the reference, with its
/// documented default where the request left it out (custom attributes have id 0).
fn product_attribute(a: &Value) -> Value {
    json!({
        "id": a["id"].as_u64().unwrap_or(0),
        "name": str_field(a, "name"),
        "position": a["position"].as_u64().unwrap_or(0),
        "visible": a["visible"].as_bool().unwrap_or(false),
        "variation": a["variation"].as_bool().unwrap_or(false),
        "options": a["options"].as_array().map(|o| o.iter().filter_map(Value::as_str).collect::<Vec<_>>()).unwrap_or_default(),
    })
}

/// Writes the fields `input` gives onto product `p` (create and update share this).
fn apply_product(s: &mut Store, id: u64, p: &mut Value, input: &Value) -> Result<(), Value> {
    apply_gtin(s, id, p, input)?;
    if let Some(sku) = input.get("sku").and_then(Value::as_str) {
        if !sku.is_empty() && s.skus.get(sku).is_some_and(|owner| *owner != id) {
            return Err(item_error(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
            ));
        }
    }
    for k in [
        "name",
        "type",
        "status",
        "description",
        "short_description",
        "regular_price",
        "sale_price",
        "backorders",
        "weight",
        "catalog_visibility",
    ] {
        if let Some(v) = input.get(k) {
            p[k] = json!(str_field(input, k));
            let _ = v;
        }
    }
    for k in ["manage_stock", "stock_quantity"] {
        if let Some(v) = input.get(k) {
            p[k] = v.clone();
        }
    }
    if let Some(m) = input.get("meta_data") {
        p["meta_data"] = shapes::merge_meta(&p["meta_data"], m, &mut || s.id());
    }
    if let Some(list) = input.get("attributes").and_then(Value::as_array) {
        p["attributes"] = json!(list.iter().map(product_attribute).collect::<Vec<_>>());
    }
    if let Some(c) = input.get("categories") {
        p["categories"] = categories::resolve_product_categories(s, c);
    }
    if let Some(t) = input.get("tags") {
        p["tags"] = tags::resolve_product_tags(s, t);
    }
    if let Some(imgs) = input.get("images").and_then(Value::as_array) {
        let now = now();
        p["images"] = json!(imgs
            .iter()
            .enumerate()
            .map(|(i, im)| shapes::image(id * 100 + i as u64, &im["src"], &im["alt"], &now))
            .collect::<Vec<_>>());
    }
    if let Some(slug) = input.get("slug").and_then(Value::as_str) {
        let clean = sanitize_title(slug);
        let unique = unique_slug(s, &clean, Some(id));
        if let Some(old) = p["slug"].as_str().filter(|o| !o.is_empty()) {
            s.slugs.remove(old);
        }
        s.slugs.insert(unique.clone(), id);
        p["slug"] = json!(unique);
    }
    if let Some(sku) = input.get("sku").and_then(Value::as_str) {
        if let Some(old) = p["sku"].as_str().filter(|o| !o.is_empty()) {
            s.skus.remove(old);
        }
        p["sku"] = json!(sku);
        if !sku.is_empty() {
            s.skus.insert(sku.to_string(), id);
        }
    }
    let sale = str_field(p, "sale_price");
    p["price"] = json!(if sale.is_empty() {
        str_field(p, "regular_price")
    } else {
        sale.clone()
    });
    p["on_sale"] = json!(!sale.is_empty());
    p["purchasable"] = json!(!str_field(p, "price").is_empty());
    p["permalink"] = json!(format!(
        "https://shop.example.com/product/{}/",
        p["slug"].as_str().unwrap_or("")
    ));
    changes::touch(p);
    Ok(())
}

fn create_product_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Value> {
    if let Some(msg) = failing_image(inner, input) {
        return Err(item_error("woocommerce_product_image_upload_error", &msg));
    }
    if let Some(sku) = input.get("sku").and_then(Value::as_str) {
        if !sku.is_empty() && s.skus.contains_key(sku) {
            return Err(item_error(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
            ));
        }
    }
    let id = s.id();
    let name = str_field(input, "name");
    let mut p = shapes::product(id, &now());
    p["name"] = json!(name);
    let mut input = input.clone();
    if input
        .get("slug")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        input["slug"] = json!(if name.is_empty() {
            format!("product-{id}")
        } else {
            name.clone()
        });
    }
    apply_product(s, id, &mut p, &input)?;
    let key = match p["sku"].as_str() {
        Some(sku) if !sku.is_empty() => format!("sku:{sku}"),
        _ => format!(
            "slug:{}",
            sanitize_title(input["slug"].as_str().unwrap_or(""))
        ),
    };
    inner.created.record("products", &key);
    s.products.insert(id, p.clone());
    Ok(p)
}

fn update_product_in(inner: &Inner, s: &mut Store, id: u64, input: &Value) -> Result<Value, Value> {
    if let Some(msg) = failing_image(inner, input) {
        return Err(item_error("woocommerce_product_image_upload_error", &msg));
    }
    let Some(mut p) = s.products.get(&id).cloned() else {
        return Err(item_error(
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ));
    };
    apply_product(s, id, &mut p, input)?;
    s.products.insert(id, p.clone());
    Ok(p)
}

fn create_variation_in(s: &mut Store, pid: u64, input: &Value) -> Result<Value, Value> {
    if !s.products.contains_key(&pid) {
        return Err(item_error(
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ));
    }
    let id = s.id();
    let mut v = shapes::variation(id, &now());
    apply_variation(s, id, &mut v, input)?;
    s.variations.entry(pid).or_default().insert(id, v.clone());
    s.variation_parent.insert(id, pid);
    if let Some(p) = s.products.get_mut(&pid) {
        if let Some(list) = p["variations"].as_array_mut() {
            list.push(json!(id));
        }
    }
    Ok(v)
}

fn apply_variation(s: &mut Store, id: u64, v: &mut Value, input: &Value) -> Result<(), Value> {
    apply_gtin(s, id, v, input)?;
    if let Some(sku) = input.get("sku").and_then(Value::as_str) {
        if !sku.is_empty() && s.skus.get(sku).is_some_and(|owner| *owner != id) {
            return Err(item_error(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
            ));
        }
        if let Some(old) = v["sku"].as_str().filter(|o| !o.is_empty()) {
            s.skus.remove(old);
        }
        if !sku.is_empty() {
            s.skus.insert(sku.to_string(), id);
        }
        v["sku"] = json!(sku);
    }
    for k in ["regular_price", "sale_price", "backorders", "weight"] {
        if input.get(k).is_some() {
            v[k] = json!(str_field(input, k));
        }
    }
    for k in ["manage_stock", "stock_quantity"] {
        if let Some(x) = input.get(k) {
            v[k] = x.clone();
        }
    }
    if let Some(list) = input.get("attributes").and_then(Value::as_array) {
        // A custom (non-taxonomy) attribute has id 0, as WooCommerce answers it.
        v["attributes"] = json!(list
            .iter()
            .map(|a| json!({ "id": a["id"].as_u64().unwrap_or(0), "name": str_field(a, "name"), "option": str_field(a, "option") }))
            .collect::<Vec<_>>());
    }
    if let Some(img) = input.get("image").filter(|i| i.is_object()) {
        v["image"] = shapes::image(id, &img["src"], &img["alt"], &now());
    }
    if let Some(m) = input.get("meta_data") {
        v["meta_data"] = shapes::merge_meta(&v["meta_data"], m, &mut || s.id());
    }
    let sale = str_field(v, "sale_price");
    v["on_sale"] = json!(!sale.is_empty());
    v["price"] = json!(if sale.is_empty() {
        str_field(v, "regular_price")
    } else {
        sale
    });
    v["purchasable"] = json!(!str_field(v, "price").is_empty());
    Ok(())
}

fn valid_email(e: &str) -> bool {
    e.split_once('@')
        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.ends_with('.'))
        && !e.contains(char::is_whitespace)
}

fn create_customer_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Value> {
    let email = str_field(input, "email").to_ascii_lowercase();
    if !valid_email(&email) {
        return Err(item_error(
            "registration-error-invalid-email",
            "Please provide a valid email address.",
        ));
    }
    if s.emails.contains_key(&email) {
        return Err(item_error("registration-error-email-exists", "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>"));
    }
    let id = s.id();
    let mut c = shapes::customer(id, &email, &now());
    apply_customer(s, &mut c, input);
    inner.created.record("customers", &email);
    s.emails.insert(email, id);
    s.customers.insert(id, c.clone());
    Ok(c)
}

fn apply_customer(s: &mut Store, c: &mut Value, input: &Value) {
    changes::touch(c);
    for k in ["first_name", "last_name"] {
        if input.get(k).is_some() {
            c[k] = json!(str_field(input, k));
        }
    }
    for k in ["billing", "shipping"] {
        if let Some(Value::Object(m)) = input.get(k) {
            for (f, v) in m {
                // Only the address's own parts: WooCommerce drops what its schema lacks.
                if c[k].get(f).is_some() {
                    c[k][f] = json!(str_field(&json!({ "x": v }), "x"));
                }
            }
        }
    }
    if let Some(m) = input.get("meta_data") {
        c["meta_data"] = shapes::merge_meta(&c["meta_data"], m, &mut || s.id());
    }
}

fn page_params(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let invalid = |p: &str, why: &str| {
        (StatusCode::BAD_REQUEST, Json(json!({ "code": "rest_invalid_param", "message": format!("Invalid parameter(s): {p}"),
            "data": { "status": 400, "params": { p: why } } }))).into_response()
    };
    let per_page = match q.get("per_page") {
        None => 10,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            _ => {
                return Err(invalid(
                    "per_page",
                    "per_page must be between 1 (inclusive) and 100 (inclusive)",
                ))
            }
        },
    };
    let page = match q.get("page") {
        None => 1,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(invalid("page", "page must be greater than or equal to 1")),
        },
    };
    Ok((page, per_page))
}

fn paged(items: Vec<Value>, page: usize, per_page: usize, path: &str) -> Response {
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    page_response(slice, total, page, per_page, path)
}

/// The page asked for of `items`, records still in the store, filtered and ordered: only
/// the records on the page are copied out (and cut to `_fields`). A list that copied every
/// record before paging made each page cost the whole store.
fn paged_refs(
    items: &[&Value],
    q: &HashMap<String, String>,
    page: usize,
    per_page: usize,
    path: &str,
) -> Response {
    let slice: Vec<Value> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|v| (*v).clone())
        .collect();
    page_response(
        changes::project(slice, q),
        items.len(),
        page,
        per_page,
        path,
    )
}

/// One page of a list with WordPress's paging headers (`X-WP-Total`, `X-WP-TotalPages`,
/// `Link`).
fn page_response(
    slice: Vec<Value>,
    total: usize,
    page: usize,
    per_page: usize,
    path: &str,
) -> Response {
    let pages = total.div_ceil(per_page);
    let mut r = Json(slice).into_response();
    let h = r.headers_mut();
    h.insert("x-wp-total", HeaderValue::from(total));
    h.insert("x-wp-totalpages", HeaderValue::from(pages));
    let mut links = vec![];
    if page > 1 {
        links.push(format!(
            "<{path}?page={}&per_page={per_page}>; rel=\"prev\"",
            page - 1
        ));
    }
    if page < pages {
        links.push(format!(
            "<{path}?page={}&per_page={per_page}>; rel=\"next\"",
            page + 1
        ));
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        if !links.is_empty() {
            h.insert("link", v);
        }
    }
    r
}

fn order<V: Borrow<Value>>(items: &mut [V], q: &HashMap<String, String>, default_orderby: &str) {
    let orderby = q
        .get("orderby")
        .map(String::as_str)
        .unwrap_or(default_orderby);
    let desc = q.get("order").map(String::as_str).unwrap_or("desc") == "desc";
    items.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        let ord = match orderby {
            "title" => a["name"].as_str().cmp(&b["name"].as_str()),
            "slug" => a["slug"].as_str().cmp(&b["slug"].as_str()),
            "date" => a["date_created"].as_str().cmp(&b["date_created"].as_str()),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a["id"].as_u64().cmp(&b["id"].as_u64()));
        if desc {
            ord.reverse()
        } else {
            ord
        }
    });
}

type Q = Query<HashMap<String, String>>;

/// `include=1,2,3` (WooCommerce's and WordPress's list parameter): only the items with these
/// ids; `None` when the request does not limit them.
pub(super) fn included(q: &HashMap<String, String>) -> Option<std::collections::HashSet<u64>> {
    q.get("include").map(|ids| {
        ids.split(',')
            .filter_map(|x| x.trim().parse::<u64>().ok())
            .collect()
    })
}

/// Keeps the items `include=` names, when it names any.
pub(super) fn keep_included(items: &mut Vec<Value>, q: &HashMap<String, String>) {
    if let Some(ids) = included(q) {
        items.retain(|it| it["id"].as_u64().is_some_and(|id| ids.contains(&id)));
    }
}

/// The records of `map` a list may answer: those `include=` names, looked up by id, or
/// every record; borrowed, so filtering and ordering copy nothing.
pub(super) fn candidates<'a>(
    map: &'a BTreeMap<u64, Value>,
    q: &HashMap<String, String>,
) -> Vec<&'a Value> {
    match included(q) {
        Some(ids) => ids.iter().filter_map(|id| map.get(id)).collect(),
        None => map.values().collect(),
    }
}

async fn list_products(State(sb): State<WooSandbox>, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let (page, per_page) = match page_params(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let s = lock(&sb.inner.store);
    let mut items: Vec<&Value> = if let Some(skus) = q.get("sku") {
        let wanted: Vec<&str> = skus
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        let mut found: Vec<&Value> = wanted
            .iter()
            .filter_map(|k| s.skus.get(*k))
            .filter_map(|id| s.products.get(id))
            .collect();
        keep_included_refs(&mut found, &q);
        found
    } else if let Some(slug) = q.get("slug") {
        let slug = sanitize_title(slug);
        candidates(&s.products, &q)
            .into_iter()
            .filter(|p| p["slug"].as_str() == Some(slug.as_str()))
            .collect()
    } else {
        candidates(&s.products, &q)
    };
    if let Err(r) = changes::filter(&mut items, &q) {
        return r;
    }
    // `tag`: products assigned that tag id.
    if let Some(tag) = q.get("tag") {
        let Ok(tag) = tag.trim().parse::<u64>() else {
            return err(
                StatusCode::BAD_REQUEST,
                "rest_invalid_param",
                "Invalid parameter(s): tag",
            );
        };
        items.retain(|p| {
            p["tags"]
                .as_array()
                .is_some_and(|l| l.iter().any(|t| t["id"].as_u64() == Some(tag)))
        });
    }
    order(&mut items, &q, "date");
    paged_refs(&items, &q, page, per_page, "/wp-json/wc/v3/products")
}

/// [`keep_included`] for records still in the store.
fn keep_included_refs(items: &mut Vec<&Value>, q: &HashMap<String, String>) {
    if let Some(ids) = included(q) {
        items.retain(|it| it["id"].as_u64().is_some_and(|id| ids.contains(&id)));
    }
}

async fn get_product(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    match lock(&sb.inner.store).products.get(&id) {
        Some(p) => Json(p.clone()).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ),
    }
}

fn body_json(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        err(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        )
    })
}

async fn create_product(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    let input = match sb.authorised_json(&headers, &q, &Method::POST, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    match create_product_in(&sb.inner, &mut s, &input) {
        Ok(p) => (StatusCode::CREATED, Json(p)).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(e)).into_response(),
    }
}

async fn update_product(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    let input = match sb.authorised_json(&headers, &q, &Method::PUT, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    match update_product_in(&sb.inner, &mut s, id, &input) {
        Ok(p) => Json(p).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(e)).into_response(),
    }
}

fn remove_product(s: &mut Store, id: u64) -> Option<Value> {
    let p = s.products.remove(&id)?;
    if let Some(sku) = p["sku"].as_str() {
        s.skus.remove(sku);
    }
    if let Some(g) = p["global_unique_id"].as_str() {
        s.gtins.remove(g);
    }
    if let Some(slug) = p["slug"].as_str() {
        s.slugs.remove(slug);
    }
    for (vid, v) in s.variations.remove(&id).unwrap_or_default() {
        s.variation_parent.remove(&vid);
        if let Some(sku) = v["sku"].as_str() {
            s.skus.remove(sku);
        }
        if let Some(g) = v["global_unique_id"].as_str() {
            s.gtins.remove(g);
        }
    }
    Some(p)
}

async fn delete_product(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::DELETE) {
        return r;
    }
    let force = q.get("force").is_some_and(|f| f == "true" || f == "1");
    let mut s = lock(&sb.inner.store);
    if !force {
        // Without force a product goes to the trash and stays in the store.
        return match s.products.get_mut(&id) {
            Some(p) => {
                p["status"] = json!("trash");
                Json(p.clone()).into_response()
            }
            None => err(
                StatusCode::NOT_FOUND,
                "woocommerce_rest_product_invalid_id",
                "Invalid ID.",
            ),
        };
    }
    match remove_product(&mut s, id) {
        Some(p) => Json(p).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ),
    }
}

/// The create, update and delete lists of a batch request.
type BatchInput = (Vec<Value>, Vec<Value>, Vec<Value>);

fn batch_input(body: &[u8]) -> Result<BatchInput, Response> {
    let v = body_json(body)?;
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (c, u, d) = (list("create"), list("update"), list("delete"));
    if c.len() + u.len() + d.len() > MAX_BATCH {
        return Err(err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "woocommerce_rest_request_entity_too_large",
            &format!("Unable to accept more than {MAX_BATCH} items for this request."),
        ));
    }
    Ok((c, u, d))
}

fn outcome(r: Result<Value, Value>, id: u64) -> Value {
    r.unwrap_or_else(|e| json!({ "id": id, "error": e }))
}

async fn batch_products(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::POST) {
        return r;
    }
    let (create, update, delete) = match batch_input(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    let mut out = Map::new();
    if !create.is_empty() {
        out.insert(
            "create".into(),
            json!(create
                .iter()
                .map(|i| outcome(create_product_in(&sb.inner, &mut s, i), 0))
                .collect::<Vec<_>>()),
        );
    }
    if !update.is_empty() {
        let res: Vec<Value> = update
            .iter()
            .map(|i| {
                let id = i["id"].as_u64().unwrap_or(0);
                outcome(update_product_in(&sb.inner, &mut s, id, i), id)
            })
            .collect();
        out.insert("update".into(), json!(res));
    }
    if !delete.is_empty() {
        let res: Vec<Value> = delete
            .iter()
            .map(|d| {
                let id = d.as_u64().unwrap_or(0);
                outcome(
                    remove_product(&mut s, id).ok_or_else(|| {
                        item_error("woocommerce_rest_product_invalid_id", "Invalid ID.")
                    }),
                    id,
                )
            })
            .collect();
        out.insert("delete".into(), json!(res));
    }
    Json(Value::Object(out)).into_response()
}

async fn list_variations(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(pid): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let (page, per_page) = match page_params(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let s = lock(&sb.inner.store);
    if !s.products.contains_key(&pid) {
        return err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        );
    }
    let mut items: Vec<Value> = s
        .variations
        .get(&pid)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    drop(s);
    order(&mut items, &q, "date");
    paged(
        items,
        page,
        per_page,
        &format!("/wp-json/wc/v3/products/{pid}/variations"),
    )
}

async fn batch_variations(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(pid): Path<u64>,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::POST) {
        return r;
    }
    let (create, update, delete) = match batch_input(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    if !s.products.contains_key(&pid) {
        return err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        );
    }
    let mut out = Map::new();
    out.insert(
        "create".into(),
        json!(create
            .iter()
            .map(|i| outcome(create_variation_in(&mut s, pid, i), 0))
            .collect::<Vec<_>>()),
    );
    let mut updated = vec![];
    for i in &update {
        let id = i["id"].as_u64().unwrap_or(0);
        let current = s.variations.get(&pid).and_then(|m| m.get(&id)).cloned();
        let r = match current {
            Some(mut v) => apply_variation(&mut s, id, &mut v, i).map(|_| {
                s.variations.entry(pid).or_default().insert(id, v.clone());
                v
            }),
            None => Err(item_error(
                "woocommerce_rest_product_variation_invalid_id",
                "Invalid ID.",
            )),
        };
        updated.push(outcome(r, id));
    }
    out.insert("update".into(), json!(updated));
    let mut deleted = vec![];
    for d in &delete {
        let id = d.as_u64().unwrap_or(0);
        let r = s.variations.get_mut(&pid).and_then(|m| m.remove(&id));
        if r.is_some() {
            s.variation_parent.remove(&id);
        }
        if let Some(v) = &r {
            if let Some(sku) = v["sku"].as_str() {
                s.skus.remove(sku);
            }
            if let Some(g) = v["global_unique_id"].as_str() {
                s.gtins.remove(g);
            }
            if let Some(list) = s
                .products
                .get_mut(&pid)
                .and_then(|p| p["variations"].as_array_mut())
            {
                list.retain(|x| x.as_u64() != Some(id));
            }
        }
        deleted.push(outcome(
            r.ok_or_else(|| {
                item_error(
                    "woocommerce_rest_product_variation_invalid_id",
                    "Invalid ID.",
                )
            }),
            id,
        ));
    }
    out.insert("delete".into(), json!(deleted));
    Json(Value::Object(out)).into_response()
}

async fn list_customers(State(sb): State<WooSandbox>, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let (page, per_page) = match page_params(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let s = lock(&sb.inner.store);
    let mut items: Vec<&Value> = match q.get("email") {
        Some(e) => {
            let mut found: Vec<&Value> = s
                .emails
                .get(&e.to_ascii_lowercase())
                .and_then(|id| s.customers.get(id))
                .into_iter()
                .collect();
            keep_included_refs(&mut found, &q);
            found
        }
        None => candidates(&s.customers, &q),
    };
    // Customers list by name ascending unless told otherwise.
    let mut q2 = q.clone();
    q2.entry("order".into()).or_insert_with(|| "asc".into());
    if let Err(r) = changes::filter(&mut items, &q) {
        return r;
    }
    order(&mut items, &q2, "id");
    paged_refs(&items, &q, page, per_page, "/wp-json/wc/v3/customers")
}

async fn get_customer(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    match lock(&sb.inner.store).customers.get(&id) {
        Some(c) => Json(c.clone()).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_invalid_id",
            "Invalid resource ID.",
        ),
    }
}

async fn delete_customer(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::DELETE) {
        return r;
    }
    if !q.get("force").is_some_and(|f| f == "true" || f == "1") {
        return err(
            StatusCode::NOT_IMPLEMENTED,
            "woocommerce_rest_trash_not_supported",
            "Customers do not support trashing.",
        );
    }
    match lock(&sb.inner.store).remove_customer(id) {
        Some(c) => Json(c).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_invalid_id",
            "Invalid resource ID.",
        ),
    }
}

async fn batch_customers(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::POST) {
        return r;
    }
    let (create, update, delete) = match batch_input(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    let mut out = Map::new();
    out.insert(
        "create".into(),
        json!(create
            .iter()
            .map(|i| outcome(create_customer_in(&sb.inner, &mut s, i), 0))
            .collect::<Vec<_>>()),
    );
    let mut updated = vec![];
    for i in &update {
        let id = i["id"].as_u64().unwrap_or(0);
        let r = match s.customers.get(&id).cloned() {
            Some(mut c) => {
                apply_customer(&mut s, &mut c, i);
                s.customers.insert(id, c.clone());
                Ok(c)
            }
            None => Err(item_error(
                "woocommerce_rest_invalid_id",
                "Invalid resource ID.",
            )),
        };
        updated.push(outcome(r, id));
    }
    out.insert("update".into(), json!(updated));
    let deleted: Vec<Value> = delete
        .iter()
        .map(|d| {
            let id = d.as_u64().unwrap_or(0);
            outcome(
                s.remove_customer(id).ok_or_else(|| {
                    item_error("woocommerce_rest_invalid_id", "Invalid resource ID.")
                }),
                id,
            )
        })
        .collect();
    out.insert("delete".into(), json!(deleted));
    Json(Value::Object(out)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_sanitised_like_wordpress() {
        assert_eq!(sanitize_title("Hello World!"), "hello-world");
        assert_eq!(sanitize_title("kadın-giyim"), "kad%c4%b1n-giyim");
        assert_eq!(sanitize_title("  a  --  b "), "a-b");
    }
}
