//! A Magento 2 REST API in memory: admin token (`POST /rest/V1/integration/admin/token`) then
//! `Authorization: Bearer`, `/rest/{store}/V1/products` with `searchCriteria` paging (a page past
//! the end repeats the last page; clients must stop on `total_count`), save-by-SKU product
//! writes, configurable products with their children, attribute options, customers, and
//! `{message, parameters}` errors.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct MagentoConfig {
    pub username: String,
    pub password: String,
    pub store_code: String,
}

impl Default for MagentoConfig {
    fn default() -> Self {
        MagentoConfig {
            username: "admin".into(),
            password: "sandbox123".into(),
            store_code: "default".into(),
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    /// sku → product
    products: BTreeMap<String, Value>,
    /// parent sku → child skus
    children: BTreeMap<String, Vec<String>>,
    /// attribute code → (attribute id, [(value, label)])
    attributes: BTreeMap<String, (u64, Vec<(String, String)>)>,
    customers: BTreeMap<u64, Value>,
    tokens: Vec<String>,
}

struct Inner {
    config: MagentoConfig,
    store: Mutex<Store>,
    created: CreationLog,
}

#[derive(Clone)]
pub struct MagentoSandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

fn error(status: StatusCode, message: &str, parameters: Value) -> Response {
    (
        status,
        Json(json!({ "message": message, "parameters": parameters })),
    )
        .into_response()
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

type Q = Query<Vec<(String, String)>>;

impl MagentoSandbox {
    pub fn new(config: MagentoConfig) -> Self {
        let mut store = Store::default();
        store.attributes.insert("size".into(), (141, vec![]));
        store.attributes.insert("color".into(), (93, vec![]));
        MagentoSandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(store),
                created: CreationLog::default(),
            }),
            faults: Arc::new(Faults::default()),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/rest/V1/integration/admin/token", post(admin_token))
            .route(
                "/rest/{store}/V1/integration/admin/token",
                post(admin_token_scoped),
            )
            .route(
                "/rest/{store}/V1/products",
                get(list_products).post(post_product),
            )
            .route(
                "/rest/{store}/V1/products/{sku}",
                get(get_product).put(put_product).delete(delete_product),
            )
            .route(
                "/rest/{store}/V1/configurable-products/{sku}/children",
                get(get_children),
            )
            .route(
                "/rest/{store}/V1/configurable-products/{sku}/child",
                post(add_child),
            )
            .route(
                "/rest/{store}/V1/configurable-products/{sku}/options",
                post(add_option),
            )
            .route(
                "/rest/{store}/V1/products/attributes/{code}",
                get(get_attribute),
            )
            .route(
                "/rest/{store}/V1/products/attributes/{code}/options",
                get(attribute_options).post(add_attribute_option),
            )
            .route("/rest/{store}/V1/customers/search", get(search_customers))
            .route("/rest/{store}/V1/customers", post(create_customer))
            .route(
                "/rest/{store}/V1/customers/{id}",
                get(get_customer).put(put_customer).delete(delete_customer),
            )
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "message": format!("{}", status.canonical_reason().unwrap_or("Internal Error")), "parameters": [] }),
        )
    }

    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &MagentoConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    pub fn product_count(&self) -> usize {
        lock(&self.inner.store).products.len()
    }

    pub fn customer_count(&self) -> usize {
        lock(&self.inner.store).customers.len()
    }

    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "p": s.products, "ch": s.children, "c": s.customers });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// Products as made in the admin: every fourth is configurable by size with three children.
    pub fn seed_products(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let configurable = i % 4 == 0;
            let parent = json!({
                "sku": format!("MG-{i}"), "name": format!("Magento product {i}"), "price": if configurable { 0.0 } else { 30.0 + i as f64 },
                "status": 1, "visibility": 4, "type_id": if configurable { "configurable" } else { "simple" }, "weight": 0.8,
                "extension_attributes": { "stock_item": { "qty": if configurable { 0 } else { i as i64 % 11 }, "is_in_stock": true } },
                "custom_attributes": [
                    { "attribute_code": "url_key", "value": format!("magento-product-{i}") },
                    { "attribute_code": "description", "value": format!("<p>Magento {i}</p>") },
                    { "attribute_code": "meta_title", "value": format!("Magento {i}") },
                ],
                "media_gallery_entries": [{ "media_type": "image", "label": format!("Magento {i}"), "position": 1, "disabled": false,
                                            "types": ["image", "small_image", "thumbnail"], "file": format!("/m/g/mg{i}.jpg") }],
            });
            let _ = save_product(&self.inner, &mut s, &parent);
            if configurable {
                let mut values = vec![];
                for size in ["S", "M", "L"] {
                    let value = ensure_option(&mut s, "size", size);
                    values.push(json!({ "value_index": value.parse::<u64>().unwrap_or(0) }));
                    let child = json!({
                        "sku": format!("MG-{i}-{size}"), "name": format!("Magento product {i}-{size}"), "price": 40.0, "status": 1, "visibility": 1,
                        "type_id": "simple", "weight": 0.8, "extension_attributes": { "stock_item": { "qty": 5, "is_in_stock": true } },
                        "custom_attributes": [{ "attribute_code": "size", "value": value }, { "attribute_code": "url_key", "value": format!("magento-product-{i}-{}", size.to_lowercase()) }],
                    });
                    let _ = save_product(&self.inner, &mut s, &child);
                    s.children
                        .entry(format!("MG-{i}"))
                        .or_default()
                        .push(format!("MG-{i}-{size}"));
                }
                if let Some(p) = s.products.get_mut(&format!("MG-{i}")) {
                    p["extension_attributes"]["configurable_product_options"] = json!([{ "attribute_id": "141", "label": "Size", "position": 0, "values": values }]);
                }
            }
        }
    }

    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let c = json!({ "email": format!("mg{i}@example.com"), "firstname": format!("Mg{i}"), "lastname": "Client",
                            "addresses": [{ "firstname": format!("Mg{i}"), "lastname": "Client", "street": [format!("{i} Hauptstr.")], "city": "Berlin",
                                            "postcode": "10115", "country_id": "DE", "telephone": format!("030 {i:04}"), "default_billing": true, "default_shipping": true }] });
            let _ = create_customer_in(&self.inner, &mut s, &c);
        }
    }

    fn authorised(&self, headers: &HeaderMap, store: &str) -> Result<(), Response> {
        if store != self.inner.config.store_code && store != "all" {
            return Err(error(
                StatusCode::NOT_FOUND,
                "Requested store is not found",
                json!([]),
            ));
        }
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let ok = token.is_some_and(|t| lock(&self.inner.store).tokens.iter().any(|x| x == t));
        if ok {
            Ok(())
        } else {
            Err(error(
                StatusCode::UNAUTHORIZED,
                "The consumer isn't authorized to access %resources.",
                json!({ "resources": "Magento_Catalog::products" }),
            ))
        }
    }
}

fn ensure_option(s: &mut Store, code: &str, label: &str) -> String {
    let next = s.next_id + 1;
    let Some((_, options)) = s.attributes.get_mut(code) else {
        return String::new();
    };
    if let Some((v, _)) = options.iter().find(|(_, l)| l == label) {
        return v.clone();
    }
    let value = (1000 + next).to_string();
    options.push((value.clone(), label.to_string()));
    s.next_id = next;
    value
}

fn custom(p: &Value, code: &str) -> Option<String> {
    p["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .and_then(|a| a["value"].as_str())
        .map(str::to_string)
}

/// Saves by SKU: an existing SKU is updated in place, a new one created.
fn save_product(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Response> {
    let sku = input["sku"].as_str().unwrap_or("").trim().to_string();
    if sku.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The \"%1\" attribute value is empty. Set the attribute and try again.",
            json!(["sku"]),
        ));
    }
    if sku.len() > 64 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "SKU length should be 64 characters maximum.",
            json!([]),
        ));
    }
    if let Some(key) = custom(input, "url_key") {
        if s.products
            .iter()
            .any(|(k, p)| *k != sku && custom(p, "url_key").as_deref() == Some(key.as_str()))
        {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "URL key for specified store already exists.",
                json!([]),
            ));
        }
    }
    let existing = s.products.get(&sku).cloned();
    let mut p = match existing {
        Some(p) => p,
        None => {
            if input["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "The \"%1\" attribute value is empty. Set the attribute and try again.",
                    json!(["name"]),
                ));
            }
            s.next_id += 1;
            inner.created.record("products", &sku);
            json!({ "id": s.next_id, "sku": sku, "name": "", "attribute_set_id": 4, "price": 0, "status": 1, "visibility": 4, "type_id": "simple",
                    "created_at": now(), "updated_at": now(), "weight": 0, "extension_attributes": { "website_ids": [1] },
                    "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [], "custom_attributes": [] })
        }
    };
    for (k, v) in input.as_object().into_iter().flatten() {
        match k.as_str() {
            "id" | "sku" => {}
            "custom_attributes" => {
                let mut attrs = p["custom_attributes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for a in v.as_array().into_iter().flatten() {
                    attrs.retain(|x| x["attribute_code"] != a["attribute_code"]);
                    attrs.push(a.clone());
                }
                p["custom_attributes"] = json!(attrs);
            }
            "extension_attributes" => {
                for (ek, ev) in v.as_object().into_iter().flatten() {
                    p["extension_attributes"][ek] = ev.clone();
                }
            }
            "media_gallery_entries" => {
                let list: Vec<Value> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, m)| {
                        let mut m = m.clone();
                        m["id"] = json!(p["id"].as_u64().unwrap_or(0) * 100 + i as u64 + 1);
                        if let Some(o) = m.as_object_mut() {
                            // The image's bytes become a file name under pub/media/catalog/product.
                            if let Some(name) = o
                                .remove("content")
                                .and_then(|c| c["name"].as_str().map(str::to_string))
                            {
                                o.insert(
                                    "file".into(),
                                    json!(format!(
                                        "/{}/{}/{name}",
                                        &name[..1.min(name.len())],
                                        &name[1.min(name.len())..2.min(name.len())]
                                    )),
                                );
                            }
                        }
                        m
                    })
                    .collect();
                p["media_gallery_entries"] = json!(list);
            }
            _ => p[k] = v.clone(),
        }
    }
    p["updated_at"] = json!(now());
    s.products.insert(sku, p.clone());
    Ok(p)
}

/// One searchCriteria filter: field, value, condition type.
type Filter = (Option<String>, Option<String>, Option<String>);

fn search(items: Vec<Value>, q: &[(String, String)]) -> Value {
    let get = |k: &str| q.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    // filter_groups[0][filters][0][field|value|condition_type]
    let mut filters: BTreeMap<String, Filter> = BTreeMap::new();
    for (k, v) in q {
        if let Some(rest) = k.strip_prefix("searchCriteria[filter_groups]") {
            let parts: Vec<&str> = rest.split(['[', ']']).filter(|x| !x.is_empty()).collect();
            if parts.len() == 4 && parts[1] == "filters" {
                let key = format!("{}-{}", parts[0], parts[2]);
                let e = filters.entry(key).or_default();
                match parts[3] {
                    "field" => e.0 = Some(v.clone()),
                    "value" => e.1 = Some(v.clone()),
                    "condition_type" => e.2 = Some(v.clone()),
                    _ => {}
                }
            }
        }
    }
    let matches = |item: &Value| {
        filters.values().all(|(field, value, cond)| {
            let (Some(field), Some(value)) = (field, value) else {
                return true;
            };
            // Customers are searched by `entity_id`, the column behind their `id`.
            let key = if field == "entity_id" && item.get(field).is_none() {
                "id"
            } else {
                field.as_str()
            };
            let actual = item
                .get(key)
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .or_else(|| v.as_u64().map(|n| n.to_string()))
                })
                .or_else(|| custom(item, field));
            let actual = actual.unwrap_or_default();
            match cond.as_deref().unwrap_or("eq") {
                "in" => value
                    .split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case(&actual)),
                "like" => actual.contains(value.trim_matches('%')),
                "neq" => !actual.eq_ignore_ascii_case(value),
                "nin" => !value
                    .split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case(&actual)),
                _ => actual.eq_ignore_ascii_case(value),
            }
        })
    };
    let items: Vec<Value> = items.into_iter().filter(matches).collect();
    let total = items.len();
    let page_size = get("searchCriteria[pageSize]")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let page = get("searchCriteria[currentPage]")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let data: Vec<Value> = match page_size {
        None => items,
        Some(size) => {
            // Magento clamps a page past the end to the last page: it never returns an empty page.
            let pages = total.div_ceil(size).max(1);
            let page = page.min(pages);
            items
                .into_iter()
                .skip((page - 1) * size)
                .take(size)
                .collect()
        }
    };
    json!({ "items": data, "search_criteria": { "filter_groups": [], "page_size": page_size, "current_page": page }, "total_count": total })
}

async fn control_state(State(sb): State<MagentoSandbox>) -> Json<Value> {
    Json(
        json!({ "products": sb.product_count(), "customers": sb.customer_count(), "duplicates": sb.creation_log().duplicates(), "requests": sb.faults.requests() }),
    )
}

async fn admin_token(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let cfg = &sb.inner.config;
    if v["username"].as_str() == Some(cfg.username.as_str())
        && v["password"].as_str() == Some(cfg.password.as_str())
    {
        let mut s = lock(&sb.inner.store);
        let token = format!("mgtoken{}", s.tokens.len() + 1);
        s.tokens.push(token.clone());
        Json(json!(token)).into_response()
    } else {
        error(StatusCode::UNAUTHORIZED, "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.", json!([]))
    }
}

async fn admin_token_scoped(
    State(sb): State<MagentoSandbox>,
    Path(_store): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    admin_token(State(sb), body).await
}

async fn list_products(
    State(sb): State<MagentoSandbox>,
    Path(store): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    if !q.iter().any(|(k, _)| k.starts_with("searchCriteria")) {
        return error(
            StatusCode::BAD_REQUEST,
            "\"%fieldName\" is required. Enter and try again.",
            json!({ "fieldName": "searchCriteria" }),
        );
    }
    let mut items: Vec<Value> = lock(&sb.inner.store).products.values().cloned().collect();
    // Magento lists by entity id unless sortOrders say otherwise.
    items.sort_by_key(|p| p["id"].as_u64());
    Json(search(items, &q)).into_response()
}

async fn get_product(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    match lock(&sb.inner.store).products.get(&sku) {
        Some(p) => Json(p.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "The product that was requested doesn't exist. Verify the product and try again.",
            json!([]),
        ),
    }
}

fn product_of(body: &[u8]) -> Result<Value, Response> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "Decoding error: \nSyntax error",
            json!([]),
        )
    })?;
    match v.get("product") {
        Some(p) if p.is_object() => Ok(p.clone()),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "\"%fieldName\" is required. Enter and try again.",
            json!({ "fieldName": "product" }),
        )),
    }
}

async fn post_product(
    State(sb): State<MagentoSandbox>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let p = match product_of(&body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    match save_product(&sb.inner, &mut s, &p) {
        Ok(p) => Json(p).into_response(),
        Err(r) => r,
    }
}

async fn put_product(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let mut p = match product_of(&body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    p["sku"] = json!(sku);
    let mut s = lock(&sb.inner.store);
    match save_product(&sb.inner, &mut s, &p) {
        Ok(p) => Json(p).into_response(),
        Err(r) => r,
    }
}

async fn delete_product(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let mut s = lock(&sb.inner.store);
    if s.products.remove(&sku).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            "The product that was requested doesn't exist. Verify the product and try again.",
            json!([]),
        );
    }
    s.children.remove(&sku);
    for list in s.children.values_mut() {
        list.retain(|c| *c != sku);
    }
    Json(json!(true)).into_response()
}

async fn get_children(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let s = lock(&sb.inner.store);
    let kids: Vec<Value> = s
        .children
        .get(&sku)
        .into_iter()
        .flatten()
        .filter_map(|c| s.products.get(c))
        .cloned()
        .collect();
    Json(json!(kids)).into_response()
}

async fn add_child(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let child = v["childSku"].as_str().unwrap_or("").to_string();
    let mut s = lock(&sb.inner.store);
    if !s.products.contains_key(&sku) || !s.products.contains_key(&child) {
        return error(
            StatusCode::NOT_FOUND,
            "The product that was requested doesn't exist. Verify the product and try again.",
            json!([]),
        );
    }
    let list = s.children.entry(sku).or_default();
    if list.contains(&child) {
        return error(
            StatusCode::BAD_REQUEST,
            "The product is already attached.",
            json!([]),
        );
    }
    list.push(child);
    Json(json!(true)).into_response()
}

async fn add_option(
    State(sb): State<MagentoSandbox>,
    Path((store, sku)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let opt = v["option"].clone();
    let mut s = lock(&sb.inner.store);
    let attr = opt["attribute_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| opt["attribute_id"].as_u64().map(|n| n.to_string()))
        .unwrap_or_default();
    if !s.attributes.values().any(|(id, _)| id.to_string() == attr) {
        return error(
            StatusCode::BAD_REQUEST,
            "Provided attribute can not be used with configurable product.",
            json!([]),
        );
    }
    let Some(p) = s.products.get_mut(&sku) else {
        return error(
            StatusCode::NOT_FOUND,
            "The product that was requested doesn't exist. Verify the product and try again.",
            json!([]),
        );
    };
    let mut list = p["extension_attributes"]["configurable_product_options"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list.iter().any(|o| {
        o["attribute_id"].to_string().trim_matches('"')
            == opt["attribute_id"].to_string().trim_matches('"')
    }) {
        return error(
            StatusCode::BAD_REQUEST,
            "Something went wrong while saving option.",
            json!([]),
        );
    }
    let id = 500 + list.len() as u64;
    let mut opt = opt;
    opt["id"] = json!(id);
    list.push(opt);
    p["extension_attributes"]["configurable_product_options"] = json!(list);
    Json(json!(id)).into_response()
}

/// Looks an attribute up by code or by numeric id, as Magento's endpoint accepts both.
async fn get_attribute(
    State(sb): State<MagentoSandbox>,
    Path((store, code)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let s = lock(&sb.inner.store);
    let found = s
        .attributes
        .iter()
        .find(|(c, (id, _))| **c == code || id.to_string() == code);
    match found {
        Some((c, (id, opts))) => {
            let mut label = c.clone();
            if let Some(f) = label.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            let options: Vec<Value> = opts.iter().map(|(v, l)| json!({ "label": l, "value": v })).collect();
            Json(json!({ "attribute_id": id, "attribute_code": c, "frontend_input": "select", "default_frontend_label": label, "options": options })).into_response()
        }
        None => error(StatusCode::NOT_FOUND, &format!("The attribute with a \"{code}\" attributeCode doesn't exist. Verify the attribute and try again."), json!([])),
    }
}

async fn attribute_options(
    State(sb): State<MagentoSandbox>,
    Path((store, code)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let s = lock(&sb.inner.store);
    match s.attributes.get(&code) {
        Some((_, opts)) => {
            let mut list = vec![json!({ "label": " ", "value": "" })];
            list.extend(opts.iter().map(|(v, l)| json!({ "label": l, "value": v })));
            Json(json!(list)).into_response()
        }
        None => error(StatusCode::NOT_FOUND, &format!("The attribute with a \"{code}\" attributeCode doesn't exist. Verify the attribute and try again."), json!([])),
    }
}

async fn add_attribute_option(
    State(sb): State<MagentoSandbox>,
    Path((store, code)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let label = v["option"]["label"].as_str().unwrap_or("").to_string();
    let mut s = lock(&sb.inner.store);
    if !s.attributes.contains_key(&code) {
        return error(StatusCode::NOT_FOUND, &format!("The attribute with a \"{code}\" attributeCode doesn't exist. Verify the attribute and try again."), json!([]));
    }
    if s.attributes[&code].1.iter().any(|(_, l)| *l == label) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Admin store attribute option label \"{label}\" is already exists."),
            json!([]),
        );
    }
    let value = ensure_option(&mut s, &code, &label);
    Json(json!(format!("id_{value}"))).into_response()
}

fn create_customer_in(inner: &Inner, s: &mut Store, c: &Value) -> Result<Value, Response> {
    let email = c["email"].as_str().unwrap_or("").to_ascii_lowercase();
    if !email
        .split_once('@')
        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
    {
        return Err(error(StatusCode::BAD_REQUEST, "\"%fieldName\" is not a valid email address. Enter a valid email address and try again.", json!({ "fieldName": email })));
    }
    if s.customers
        .values()
        .any(|x| x["email"].as_str() == Some(email.as_str()))
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "A customer with the same email address already exists in an associated website.",
            json!([]),
        ));
    }
    for k in ["firstname", "lastname"] {
        if c[k].as_str().is_none_or(|x| x.trim().is_empty()) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "\"%fieldName\" is required. Enter and try again.",
                json!({ "fieldName": k }),
            ));
        }
    }
    s.next_id += 1;
    let id = s.next_id;
    let mut out = c.clone();
    out["id"] = json!(id);
    out["email"] = json!(email);
    out["created_at"] = json!(now());
    out["website_id"] = json!(1);
    out["group_id"] = json!(1);
    number_addresses(&mut out, id);
    inner.created.record("customers", &email);
    s.customers.insert(id, out.clone());
    Ok(out)
}

fn number_addresses(c: &mut Value, id: u64) {
    if let Some(list) = c["addresses"].as_array_mut() {
        for (i, a) in list.iter_mut().enumerate() {
            a["id"] = json!(id * 100 + i as u64 + 1);
            a["customer_id"] = json!(id);
        }
    } else {
        c["addresses"] = json!([]);
    }
}

async fn search_customers(
    State(sb): State<MagentoSandbox>,
    Path(store): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let items: Vec<Value> = lock(&sb.inner.store).customers.values().cloned().collect();
    Json(search(items, &q)).into_response()
}

async fn create_customer(
    State(sb): State<MagentoSandbox>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = lock(&sb.inner.store);
    match create_customer_in(&sb.inner, &mut s, &v["customer"]) {
        Ok(c) => Json(c).into_response(),
        Err(r) => r,
    }
}

async fn get_customer(
    State(sb): State<MagentoSandbox>,
    Path((store, id)): Path<(String, u64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    match lock(&sb.inner.store).customers.get(&id) {
        Some(c) => Json(c.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "customerId", "fieldValue": id }),
        ),
    }
}

async fn put_customer(
    State(sb): State<MagentoSandbox>,
    Path((store, id)): Path<(String, u64)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = lock(&sb.inner.store);
    let Some(c) = s.customers.get_mut(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "customerId", "fieldValue": id }),
        );
    };
    for (k, val) in v["customer"].as_object().into_iter().flatten() {
        if k != "id" {
            c[k] = val.clone();
        }
    }
    number_addresses(c, id);
    Json(c.clone()).into_response()
}

async fn delete_customer(
    State(sb): State<MagentoSandbox>,
    Path((store, id)): Path<(String, u64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &store) {
        return r;
    }
    match lock(&sb.inner.store).customers.remove(&id) {
        Some(_) => Json(json!(true)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "customerId", "fieldValue": id }),
        ),
    }
}
