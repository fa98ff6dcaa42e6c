//! A Magento 2 REST API in memory, held to Adobe's Admin REST schema (2.4.8) and to Magento's
//! own validators: admin token (`POST /rest/V1/integration/admin/token`) then `Authorization:
//! Bearer`; `/rest/{store}/V1/products` with `searchCriteria` paging (a page past the end
//! repeats the last page; clients must stop on `total_count`); save-by-SKU product writes with
//! Magento's 64-character SKU limit; attributes with their options and attribute sets (a value
//! for an attribute outside the product's set is dropped, as Magento drops it; an option id the
//! attribute does not have is refused); configurable products built through their option and
//! child endpoints with Magento's checks; customers whose addresses pass Magento's address
//! validator (a `region_id` of the directory for countries that have regions); the directory
//! of countries (real region ids of a default install); categories under "Default Category"
//! with URL keys unique under their parent and products' `category_links` kept and answered;
//! customers' newsletter subscription (`extension_attributes.is_subscribed`); and
//! `{message, parameters}` errors.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

mod catalog;
mod categories;
mod customers;
mod directory;
mod search;

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct MagentoConfig {
    pub username: String,
    pub password: String,
    pub store_code: String,
    /// Whether addresses need a telephone (Magento's default; "Show Telephone: Optional" turns
    /// it off).
    pub telephone_required: bool,
}

impl Default for MagentoConfig {
    fn default() -> Self {
        MagentoConfig {
            username: "admin".into(),
            password: "sandbox123".into(),
            store_code: "default".into(),
            telephone_required: true,
        }
    }
}

/// A product attribute as the store keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub id: u64,
    pub code: String,
    pub label: String,
    pub input: String,
    pub scope: String,
    pub user_defined: bool,
    pub visible: bool,
    /// (option id, label)
    pub options: Vec<(u64, String)>,
}

impl Attr {
    pub fn uses_options(&self) -> bool {
        matches!(self.input.as_str(), "select" | "multiselect")
    }

    /// ConfigurableProduct's `canUseAttribute`.
    pub fn configurable(&self) -> bool {
        self.input == "select" && self.scope == "global" && self.user_defined && self.visible
    }

    pub fn to_json(&self) -> Value {
        let mut options = vec![];
        if self.uses_options() {
            // Magento lists an empty option first for dropdowns.
            options.push(json!({ "label": " ", "value": "" }));
            options.extend(
                self.options
                    .iter()
                    .map(|(v, l)| json!({ "label": l, "value": v.to_string() })),
            );
        }
        json!({
            "attribute_id": self.id, "attribute_code": self.code, "frontend_input": self.input,
            "entity_type_id": "4", "is_required": false, "is_user_defined": self.user_defined,
            "is_visible": self.visible, "scope": self.scope, "default_frontend_label": self.label,
            "frontend_labels": [], "options": options, "is_unique": "0",
            "backend_type": if self.uses_options() { "int" } else { "varchar" },
            "is_filterable": self.uses_options(), "is_comparable": "0",
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub next_id: u64,
    /// sku → product
    pub products: BTreeMap<String, Value>,
    /// parent sku → child skus
    pub children: BTreeMap<String, Vec<String>>,
    /// attribute code → attribute
    pub attributes: BTreeMap<String, Attr>,
    /// attribute set id → codes of its attributes
    pub sets: BTreeMap<u64, BTreeSet<String>>,
    /// (group id, set id, name)
    pub groups: Vec<(u64, u64, String)>,
    pub customers: BTreeMap<u64, Value>,
    /// id → category
    pub categories: BTreeMap<u64, Value>,
    pub tokens: Vec<String>,
}

impl Store {
    pub fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn attribute(&self, code_or_id: &str) -> Option<&Attr> {
        self.attributes.get(code_or_id).or_else(|| {
            self.attributes
                .values()
                .find(|a| a.id.to_string() == code_or_id)
        })
    }
}

pub(crate) struct Inner {
    pub config: MagentoConfig,
    pub store: Mutex<Store>,
    pub created: CreationLog,
    pub directory: Vec<Value>,
}

#[derive(Clone)]
pub struct MagentoSandbox {
    pub(crate) inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

/// The attribute set every product is in unless it names another ("Default").
pub(crate) const DEFAULT_SET: u64 = 4;

/// Attributes of a standard install, by id, code, label, input, scope, made by a user. `size`
/// is the Luma sample data's.
const ATTRIBUTES: [(u64, &str, &str, &str, &str, bool); 13] = [
    (73, "name", "Product Name", "text", "store", false),
    (74, "sku", "SKU", "text", "global", false),
    (75, "description", "Description", "textarea", "store", false),
    (77, "price", "Price", "price", "website", false),
    (
        78,
        "special_price",
        "Special Price",
        "price",
        "website",
        false,
    ),
    (82, "weight", "Weight", "weight", "global", false),
    (84, "meta_title", "Meta Title", "text", "store", false),
    (
        86,
        "meta_description",
        "Meta Description",
        "textarea",
        "store",
        false,
    ),
    (93, "color", "Color", "select", "global", true),
    (97, "status", "Enable Product", "boolean", "website", false),
    (99, "visibility", "Visibility", "select", "store", false),
    (121, "url_key", "URL Key", "text", "store", false),
    (141, "size", "Size", "select", "global", true),
];

/// An error as Magento's REST layer writes it: the message with its placeholders, and the
/// parameters (named or numbered) only when there are some.
pub(crate) fn error(status: StatusCode, message: &str, parameters: Value) -> Response {
    let mut body = json!({ "message": message });
    let empty = match &parameters {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        body["parameters"] = parameters;
    }
    (status, Json(body)).into_response()
}

/// Several validation errors at once ("One or more input exceptions have occurred."); one
/// error alone is answered as itself.
pub(crate) fn input_errors(mut list: Vec<(String, Value)>) -> Response {
    if list.len() == 1 {
        let (m, p) = list.remove(0);
        return error(StatusCode::BAD_REQUEST, &m, p);
    }
    // Each error of the list carries its parameters, an empty list when it has none.
    let errors: Vec<Value> = list
        .into_iter()
        .map(
            |(m, p)| json!({ "message": m, "parameters": if p.is_null() { json!([]) } else { p } }),
        )
        .collect();
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "message": "One or more input exceptions have occurred.", "errors": errors })),
    )
        .into_response()
}

pub(crate) const REQUIRED: &str = "\"%fieldName\" is required. Enter and try again.";
pub(crate) const INVALID: &str = "Invalid value of \"%value\" provided for the %fieldName field.";
pub(crate) const NO_PRODUCT: &str =
    "The product that was requested doesn't exist. Verify the product and try again.";

pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A JSON request body, or Magento's answer to one it cannot decode.
pub(crate) fn body_of(bytes: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(bytes).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "Decoding error: \nSyntax error",
            Value::Null,
        )
    })
}

/// The object under `key` of a request body (`product`, `customer`, `option`, ...).
pub(crate) fn wrapped(bytes: &[u8], key: &str) -> Result<Value, Response> {
    match body_of(bytes)?.get(key) {
        Some(v) if v.is_object() => Ok(v.clone()),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            REQUIRED,
            json!({ "fieldName": key }),
        )),
    }
}

/// A create or save endpoint: the object under `key`, shaped by `prepare` (a path parameter
/// the body does not repeat), saved under the store's lock and answered as saved.
pub(crate) fn save_wrapped(
    sb: &MagentoSandbox,
    body: &[u8],
    key: &str,
    prepare: impl FnOnce(&mut Value),
    save: fn(&Inner, &mut Store, &Value) -> Result<Value, Response>,
) -> Response {
    let mut input = match wrapped(body, key) {
        Ok(v) => v,
        Err(r) => return r,
    };
    prepare(&mut input);
    let mut s = lock(&sb.inner.store);
    match save(&sb.inner, &mut s, &input) {
        Ok(saved) => Json(saved).into_response(),
        Err(r) => r,
    }
}

impl MagentoSandbox {
    pub fn new(config: MagentoConfig) -> Self {
        let mut store = Store::default();
        for (id, code, label, input, scope, user) in ATTRIBUTES {
            store.attributes.insert(
                code.into(),
                Attr {
                    id,
                    code: code.into(),
                    label: label.into(),
                    input: input.into(),
                    scope: scope.into(),
                    user_defined: user,
                    visible: true,
                    options: vec![],
                },
            );
        }
        store.sets.insert(
            DEFAULT_SET,
            ATTRIBUTES.iter().map(|a| a.1.to_string()).collect(),
        );
        store.groups = vec![
            (7, DEFAULT_SET, "Product Details".into()),
            (8, DEFAULT_SET, "Content".into()),
            (13, DEFAULT_SET, "Search Engine Optimization".into()),
        ];
        store.next_id = 1000;
        categories::install(&mut store);
        MagentoSandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(store),
                created: CreationLog::default(),
                directory: directory::countries(),
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
            .merge(
                Router::new()
                    .route(
                        "/rest/{store}/V1/directory/countries",
                        get(directory::countries_handler),
                    )
                    .route(
                        "/rest/{store}/V1/directory/countries/{id}",
                        get(directory::country_handler),
                    )
                    .merge(catalog::routes())
                    .merge(categories::routes())
                    .merge(customers::routes())
                    // After routing, so an unknown path stays a 404 and not a 401.
                    .route_layer(middleware::from_fn_with_state(self.clone(), admin_only)),
            )
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "message": status.canonical_reason().unwrap_or("Internal Error").to_string() }),
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

    /// Categories below the store root ("Default Category").
    pub fn category_count(&self) -> usize {
        let s = lock(&self.inner.store);
        s.categories
            .values()
            .filter(|c| c["level"].as_u64().is_some_and(|l| l > 1))
            .count()
    }

    /// Every category, as `GET /categories/{id}` keeps them (the tree's roots too).
    pub fn categories(&self) -> Vec<Value> {
        lock(&self.inner.store)
            .categories
            .values()
            .cloned()
            .collect()
    }

    /// Adds a category as an admin would, under `parent` (the store root when `None`).
    /// Returns its id.
    pub fn add_category(&self, parent: Option<u64>, name: &str) -> Option<u64> {
        let mut s = lock(&self.inner.store);
        let mut input = json!({ "name": name });
        if let Some(p) = parent {
            input["parent_id"] = json!(p);
        }
        categories::create_in(&self.inner, &mut s, &input)
            .ok()
            .and_then(|c| c["id"].as_u64())
    }

    /// Links product `sku` to the categories `ids`, as the admin's Categories field does.
    pub fn link_product(&self, sku: &str, ids: &[u64]) -> bool {
        let mut s = lock(&self.inner.store);
        let list = json!(ids
            .iter()
            .map(|i| json!({ "position": 0, "category_id": i.to_string() }))
            .collect::<Vec<_>>());
        let Ok(links) = categories::links(&s, sku, &list) else {
            return false;
        };
        match s.products.get_mut(sku) {
            Some(p) => {
                p["extension_attributes"]["category_links"] = links;
                true
            }
            None => false,
        }
    }

    pub fn customer_count(&self) -> usize {
        lock(&self.inner.store).customers.len()
    }

    /// The product saved under `sku`, as `GET /products/{sku}` answers it.
    pub fn product(&self, sku: &str) -> Option<Value> {
        lock(&self.inner.store).products.get(sku).cloned()
    }

    /// Every SKU in the store.
    pub fn skus(&self) -> Vec<String> {
        lock(&self.inner.store).products.keys().cloned().collect()
    }

    /// The children linked to configurable `sku`.
    pub fn children(&self, sku: &str) -> Vec<String> {
        lock(&self.inner.store)
            .children
            .get(sku)
            .cloned()
            .unwrap_or_default()
    }

    /// Every customer, as `GET /customers/{id}` answers them.
    pub fn customers(&self) -> Vec<Value> {
        lock(&self.inner.store)
            .customers
            .values()
            .cloned()
            .collect()
    }

    /// An attribute, as `GET /products/attributes/{code}` answers it.
    pub fn attribute(&self, code: &str) -> Option<Value> {
        lock(&self.inner.store).attribute(code).map(Attr::to_json)
    }

    /// Whether attribute `code` is in the default attribute set.
    pub fn in_default_set(&self, code: &str) -> bool {
        lock(&self.inner.store)
            .sets
            .get(&DEFAULT_SET)
            .is_some_and(|s| s.contains(code))
    }

    /// Adds a dropdown attribute as an admin would (`global`: usable by configurables), in the
    /// default set. Returns its id.
    pub fn add_attribute(&self, code: &str, label: &str, global: bool, options: &[&str]) -> u64 {
        let mut s = lock(&self.inner.store);
        let id = s.next();
        let mut attr = Attr {
            id,
            code: code.into(),
            label: label.into(),
            input: "select".into(),
            scope: if global { "global" } else { "store" }.into(),
            user_defined: true,
            visible: true,
            options: vec![],
        };
        for o in options {
            let v = s.next();
            attr.options.push((v, o.to_string()));
        }
        s.attributes.insert(code.into(), attr);
        s.sets.entry(DEFAULT_SET).or_default().insert(code.into());
        id
    }

    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "p": s.products, "ch": s.children, "c": s.customers, "cat": s.categories });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// Products as made in the admin: every fourth is configurable by size with three children.
    pub fn seed_products(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let configurable = i % 4 == 0;
            let mut parent = json!({
                "sku": format!("MG-{i}"), "name": format!("Magento product {i}"),
                "attribute_set_id": DEFAULT_SET, "status": 1, "visibility": 4,
                "type_id": if configurable { "configurable" } else { "simple" }, "weight": 0.8,
                "extension_attributes": { "stock_item": { "qty": if configurable { 0 } else { i as i64 % 11 }, "is_in_stock": true, "manage_stock": true } },
                "custom_attributes": [
                    { "attribute_code": "url_key", "value": format!("magento-product-{i}") },
                    { "attribute_code": "description", "value": format!("<p>Magento {i}</p>") },
                    { "attribute_code": "meta_title", "value": format!("Magento {i}") },
                ],
                "media_gallery_entries": [{ "media_type": "image", "label": format!("Magento {i}"), "position": 1, "disabled": false,
                                            "types": ["image", "small_image", "thumbnail"], "file": format!("/m/g/mg{i}.jpg") }],
            });
            if !configurable {
                parent["price"] = json!(30.0 + i as f64);
            }
            let _ = catalog::save_product(&self.inner, &mut s, &parent);
            if configurable {
                let mut values = vec![];
                for size in ["S", "M", "L"] {
                    let value = catalog::ensure_option(&mut s, "size", size);
                    values.push(json!({ "value_index": value }));
                    let child = json!({
                        "sku": format!("MG-{i}-{size}"), "name": format!("Magento product {i}-{size}"), "price": 40.0,
                        "attribute_set_id": DEFAULT_SET, "status": 1, "visibility": 1, "type_id": "simple", "weight": 0.8,
                        "extension_attributes": { "stock_item": { "qty": 5, "is_in_stock": true, "manage_stock": true } },
                        "custom_attributes": [{ "attribute_code": "size", "value": value.to_string() }, { "attribute_code": "url_key", "value": format!("magento-product-{i}-{}", size.to_lowercase()) }],
                    });
                    let _ = catalog::save_product(&self.inner, &mut s, &child);
                    s.children
                        .entry(format!("MG-{i}"))
                        .or_default()
                        .push(format!("MG-{i}-{size}"));
                }
                let option_id = s.next();
                if let Some(p) = s.products.get_mut(&format!("MG-{i}")) {
                    p["extension_attributes"]["configurable_product_options"] = json!([{ "id": option_id, "attribute_id": "141", "label": "Size", "position": 0, "values": values }]);
                }
            }
        }
    }

    /// Customers as made in the admin, each with a Berlin address.
    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let c = json!({ "email": format!("mg{i}@example.com"), "firstname": format!("Mg{i}"), "lastname": "Client", "website_id": 1,
                            "addresses": [{ "firstname": format!("Mg{i}"), "lastname": "Client", "street": [format!("{i} Hauptstr.")], "city": "Berlin",
                                            "postcode": "10115", "country_id": "DE", "region_id": 82, "telephone": format!("030 {i:04}"),
                                            "default_billing": true, "default_shipping": true }] });
            let _ = customers::create_in(&self.inner, &mut s, &c);
        }
    }

    /// Checks the store code and the bearer token, as Magento's REST layer does first.
    fn authorised(&self, headers: &HeaderMap, store: &str) -> Result<(), Response> {
        if store != self.inner.config.store_code && store != "all" {
            return Err(error(
                StatusCode::NOT_FOUND,
                "Requested store is not found",
                Value::Null,
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

/// Every admin endpoint answers an unknown store code or a missing token before it reads
/// its body: `/rest/{store}/V1/...`.
async fn admin_only(State(sb): State<MagentoSandbox>, request: Request, next: Next) -> Response {
    let store = request.uri().path().split('/').nth(2).unwrap_or_default();
    match sb.authorised(request.headers(), store) {
        Ok(()) => next.run(request).await,
        Err(r) => r,
    }
}

async fn control_state(State(sb): State<MagentoSandbox>) -> Json<Value> {
    Json(
        json!({ "products": sb.product_count(), "customers": sb.customer_count(), "categories": sb.category_count(), "duplicates": sb.creation_log().duplicates(), "requests": sb.faults.requests() }),
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
        error(StatusCode::UNAUTHORIZED, "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.", Value::Null)
    }
}

async fn admin_token_scoped(
    State(sb): State<MagentoSandbox>,
    axum::extract::Path(_store): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    admin_token(State(sb), body).await
}
