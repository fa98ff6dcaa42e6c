//! An Ikas Admin GraphQL API in memory: a client-credentials token endpoint, one GraphQL
//! endpoint with Bearer auth, `listProduct(pagination: {page, limit})` (filtered by `sku` or
//! `id`, each `eq` or an `in` list; an argument Ikas's reference does not give `listProduct`,
//! such as `updatedAt`, is a validation error) answering
//! `{data, count, page, limit, hasNext}`, `saveProduct` (create without `id`, update with it),
//! variant types, `deleteProductList`, and errors in `errors` with HTTP 200.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use graphql_parser::query::{Definition, Field, OperationDefinition, SelectionSet};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use storeshift_connectors::platform::ikas::api::{GRAPHQL_PATH, MAX_LIMIT, TOKEN_PATH};
use storeshift_connectors::platform::shopify::cost::CostCx;

#[derive(Debug, Clone)]
pub struct IkasConfig {
    pub client_id: String,
    pub client_secret: String,
}

impl Default for IkasConfig {
    fn default() -> Self {
        IkasConfig {
            client_id: "ikas_client".into(),
            client_secret: "ikas_secret".into(),
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    products: BTreeMap<u64, Value>,
    variant_types: BTreeMap<u64, Value>,
    tokens: Vec<String>,
}

impl Store {
    fn id(&mut self) -> String {
        self.next_id += 1;
        // Ikas ids are UUIDs; a counter formatted like one keeps order stable.
        format!("00000000-0000-4000-8000-{:012x}", self.next_id)
    }
}

struct Inner {
    config: IkasConfig,
    store: Mutex<Store>,
    created: CreationLog,
}

#[derive(Clone)]
pub struct IkasSandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

fn gql_error(message: &str, code: &str) -> Value {
    json!({ "message": message, "extensions": { "code": code } })
}

impl IkasSandbox {
    pub fn new(config: IkasConfig) -> Self {
        IkasSandbox {
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
            .route(TOKEN_PATH, post(token))
            .route(GRAPHQL_PATH, post(graphql))
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "errors": [gql_error(status.canonical_reason().unwrap_or("Error"), "INTERNAL_SERVER_ERROR")] }),
        )
    }

    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &IkasConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    pub fn product_count(&self) -> usize {
        lock(&self.inner.store).products.len()
    }

    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        blake3::hash(json!({ "p": s.products }).to_string().as_bytes())
            .to_hex()
            .to_string()
    }

    /// Products as made in the Ikas admin: every third has a "Beden" (size) variant type.
    pub fn seed_products(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        let beden = if n > 0 {
            save_variant_type(
                &mut s,
                &json!({ "name": "Beden", "values": [{ "name": "S" }, { "name": "M" }] }),
            )
        } else {
            Value::Null
        };
        for i in 0..n {
            let mut input = json!({
                "name": format!("Ikas ürün {i}"), "description": format!("<p>Ikas {i}</p>"), "type": "PHYSICAL",
                "metaData": { "slug": format!("ikas-urun-{i}"), "pageTitle": format!("Ikas {i}"), "description": "" },
            });
            if i % 3 == 0 {
                let vt = &beden;
                let vt_id = vt["id"].clone();
                let values: Vec<Value> = vt["values"].as_array().cloned().unwrap_or_default();
                input["productVariantTypes"] = json!([{ "variantTypeId": vt_id, "variantValueIds": values.iter().map(|v| v["id"].clone()).collect::<Vec<_>>(), "order": 0 }]);
                input["variants"] = json!(values.iter().enumerate().map(|(j, v)| json!({
                    "sku": format!("IK-{i}-{}", v["name"].as_str().unwrap_or("")), "isActive": true, "weight": 0.3,
                    "prices": [{ "sellPrice": 100.0 + j as f64, "discountPrice": null, "currency": "TRY" }],
                    "variantValueIds": [{ "variantTypeId": vt_id, "variantValueId": v["id"] }],
                })).collect::<Vec<_>>());
            } else {
                input["variants"] = json!([{ "sku": format!("IK-{i}"), "isActive": true, "weight": 0.5, "barcodeList": [format!("869{i:010}")],
                                             "prices": [{ "sellPrice": 250.0, "discountPrice": 199.9, "currency": "TRY" }] }]);
            }
            let _ = save_product(&self.inner, &mut s, &input);
        }
    }
}

/// Creates a variant type, or with `id` replaces its values (keeping the ids of names it had).
fn save_variant_type(s: &mut Store, input: &Value) -> Value {
    let existing = input["id"].as_str().and_then(|id| {
        s.variant_types
            .iter()
            .find(|(_, v)| v["id"].as_str() == Some(id))
            .map(|(k, v)| (*k, v.clone()))
    });
    let (key, id, old) = match existing {
        Some((k, v)) => (
            k,
            v["id"].as_str().unwrap_or("").to_string(),
            v["values"].as_array().cloned().unwrap_or_default(),
        ),
        None => {
            let id = s.id();
            (s.next_id, id, vec![])
        }
    };
    let mut values = vec![];
    for v in input["values"].as_array().into_iter().flatten() {
        let kept = old.iter().find(|o| o["name"] == v["name"]).cloned();
        values.push(kept.unwrap_or_else(
            || json!({ "__typename": "VariantValue", "id": s.id(), "name": v["name"] }),
        ));
    }
    let vt = json!({ "__typename": "VariantType", "id": id, "name": input["name"], "selectionType": "CHOICE", "values": values });
    s.variant_types.insert(key, vt.clone());
    vt
}

fn save_product(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Value> {
    if input["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
        return Err(gql_error("name must not be empty", "VALIDATION_ERROR"));
    }
    let skus: Vec<&str> = input["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["sku"].as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let existing_key = input["id"].as_str().and_then(|id| {
        s.products
            .iter()
            .find(|(_, p)| p["id"].as_str() == Some(id))
            .map(|(k, _)| *k)
    });
    if input["id"].is_string() && existing_key.is_none() {
        return Err(gql_error("Product not found", "NOT_FOUND"));
    }
    for sku in &skus {
        let taken = s.products.iter().any(|(k, p)| {
            Some(*k) != existing_key
                && p["variants"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["sku"].as_str() == Some(sku)))
        });
        if taken {
            return Err(gql_error(
                &format!("Sku {sku} is already used by another product"),
                "SKU_ALREADY_EXISTS",
            ));
        }
    }
    let slug = input
        .pointer("/metaData/slug")
        .and_then(Value::as_str)
        .map(|x| {
            storeshift_connectors::platform::normalize_handle(
                storeshift_connectors::model::Platform::Ikas,
                x,
            )
        });
    if let Some(slug) = &slug {
        if s.products.iter().any(|(k, p)| {
            Some(*k) != existing_key
                && p.pointer("/metaData/slug").and_then(Value::as_str) == Some(slug)
        }) {
            return Err(gql_error(
                &format!("Slug {slug} is already in use"),
                "SLUG_ALREADY_EXISTS",
            ));
        }
    }
    let (key, id) = match existing_key {
        Some(k) => (k, s.products[&k]["id"].as_str().unwrap_or("").to_string()),
        None => {
            let id = s.id();
            (s.next_id, id)
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let mut p = s.products.get(&key).cloned().unwrap_or_else(|| {
        json!({ "__typename": "Product", "id": id, "createdAt": now, "name": "", "description": "", "shortDescription": null, "type": "PHYSICAL",
                "brandId": null, "categoryIds": [], "tagIds": [], "metaData": null, "variants": [], "productVariantTypes": [] })
    });
    for k in [
        "name",
        "description",
        "shortDescription",
        "type",
        "brandId",
        "categoryIds",
        "tagIds",
    ] {
        if let Some(v) = input.get(k) {
            p[k] = v.clone();
        }
    }
    if let Some(m) = input.get("metaData") {
        p["metaData"] = json!({ "__typename": "HTMLMetaData", "slug": slug, "pageTitle": m["pageTitle"], "description": m["description"] });
    }
    if let Some(pvt) = input.get("productVariantTypes") {
        p["productVariantTypes"] = json!(pvt
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                let mut x = x.clone();
                x["__typename"] = json!("ProductVariantType");
                x
            })
            .collect::<Vec<_>>());
    }
    if let Some(vs) = input.get("variants").and_then(Value::as_array) {
        let mut out = vec![];
        for v in vs {
            let mut v = v.clone();
            v["__typename"] = json!("Variant");
            if v["id"].as_str().is_none() {
                v["id"] = json!(s.id());
            }
            for k in ["sku", "weight", "isActive"] {
                if v.get(k).is_none() {
                    v[k] = Value::Null;
                }
            }
            for k in ["barcodeList", "images", "variantValueIds", "prices"] {
                if v.get(k).is_none_or(Value::is_null) {
                    v[k] = json!([]);
                }
            }
            for pr in v["prices"].as_array_mut().into_iter().flatten() {
                pr["__typename"] = json!("ProductPrice");
                for k in ["sellPrice", "discountPrice", "buyPrice", "currency"] {
                    if pr.get(k).is_none() {
                        pr[k] = Value::Null;
                    }
                }
            }
            for vv in v["variantValueIds"].as_array_mut().into_iter().flatten() {
                vv["__typename"] = json!("VariantValueRelation");
            }
            out.push(v);
        }
        p["variants"] = json!(out);
    }
    p["updatedAt"] = json!(now);
    if existing_key.is_none() {
        let k = skus
            .first()
            .map(|x| format!("sku:{x}"))
            .or_else(|| slug.map(|x| format!("slug:{x}")))
            .unwrap_or_else(|| id.clone());
        inner.created.record("products", &k);
    }
    s.products.insert(key, p.clone());
    Ok(p)
}

async fn control_state(State(sb): State<IkasSandbox>) -> Json<Value> {
    Json(
        json!({ "products": sb.product_count(), "duplicates": sb.creation_log().duplicates(), "requests": sb.faults.requests() }),
    )
}

async fn token(State(sb): State<IkasSandbox>, body: axum::body::Bytes) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded_pairs(&body);
    let get = |k: &str| form.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    let cfg = &sb.inner.config;
    if get("grant_type") != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    if get("client_id") != Some(cfg.client_id.as_str())
        || get("client_secret") != Some(cfg.client_secret.as_str())
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed" }))).into_response();
    }
    let mut s = lock(&sb.inner.store);
    let t = format!("ikas-token-{}", s.tokens.len() + 1);
    s.tokens.push(t.clone());
    Json(json!({ "access_token": t, "token_type": "Bearer", "expires_in": 14400 })).into_response()
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let dec = |x: &str| {
                let x = x.replace('+', " ");
                let bytes = x.as_bytes();
                let mut out = vec![];
                let mut i = 0;
                while i < bytes.len() {
                    match (
                        bytes[i],
                        x.get(i + 1..i + 3)
                            .and_then(|h| u8::from_str_radix(h, 16).ok()),
                    ) {
                        (b'%', Some(b)) => {
                            out.push(b);
                            i += 3;
                        }
                        (c, _) => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                String::from_utf8_lossy(&out).into_owned()
            };
            Some((dec(k), dec(v)))
        })
        .collect()
}

async fn graphql(
    State(sb): State<IkasSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !token.is_some_and(|t| lock(&sb.inner.store).tokens.iter().any(|x| x == t)) {
        return Json(
            json!({ "data": null, "errors": [gql_error("Unauthorized", "UNAUTHENTICATED")] }),
        )
        .into_response();
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let query = req["query"].as_str().unwrap_or("");
    let variables = req
        .get("variables")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let doc = match graphql_parser::parse_query::<String>(query) {
        Ok(d) => d,
        Err(e) => return Json(json!({ "data": null, "errors": [gql_error(&format!("Syntax Error: {e}"), "GRAPHQL_PARSE_FAILED")] })).into_response(),
    };
    let Some(op) = doc.definitions.iter().find_map(|d| match d {
        Definition::Operation(op) => Some(op),
        _ => None,
    }) else {
        return Json(json!({ "data": null, "errors": [gql_error("No operation", "GRAPHQL_VALIDATION_FAILED")] })).into_response();
    };
    let cx = CostCx::new(&doc, &variables);
    let (set, mutation) = match op {
        OperationDefinition::Query(q) => (&q.selection_set, false),
        OperationDefinition::Mutation(m) => (&m.selection_set, true),
        OperationDefinition::SelectionSet(s) => (s, false),
        OperationDefinition::Subscription(s) => (&s.selection_set, false),
    };
    let mut data = Map::new();
    let mut errors = vec![];
    for f in cx.fields(set) {
        let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
        match resolve(&sb, &cx, f, mutation) {
            Ok(v) => {
                data.insert(key, v);
            }
            Err(mut e) => {
                e["path"] = json!([key]);
                errors.push(e);
                data.insert(key, Value::Null);
            }
        }
    }
    if errors.is_empty() {
        Json(json!({ "data": data })).into_response()
    } else {
        Json(json!({ "data": data, "errors": errors })).into_response()
    }
}

/// `listProduct`'s arguments in Ikas's Admin API reference (ikas.dev, type definitions,
/// queries/list-product). There is no `updatedAt`: products cannot be filtered by update time.
const LIST_PRODUCT_ARGUMENTS: &[&str] = &[
    "attributeId",
    "barcodeList",
    "brandId",
    "categoryIds",
    "id",
    "includeDeleted",
    "name",
    "pagination",
    "salesChannelIds",
    "sku",
    "sort",
    "tagIds",
    "variantStockLocationId",
    "variantTypeId",
    "vendorId",
];

fn resolve<'d>(
    sb: &IkasSandbox,
    cx: &CostCx<'d>,
    f: &Field<'d, String>,
    mutation: bool,
) -> Result<Value, Value> {
    let inner = &sb.inner;
    match (f.name.as_str(), mutation) {
        ("listProduct", false) => {
            // Only the arguments Ikas's reference gives `listProduct`; any other (`updatedAt`
            // among them) fails validation as it would on Ikas.
            if let Some((name, _)) = f
                .arguments
                .iter()
                .find(|(name, _)| !LIST_PRODUCT_ARGUMENTS.contains(&name.as_str()))
            {
                return Err(gql_error(
                    &format!("Unknown argument \"{name}\" on field \"Query.listProduct\"."),
                    "GRAPHQL_VALIDATION_FAILED",
                ));
            }
            let page = cx
                .arg(f, "pagination")
                .and_then(|p| p["page"].as_u64())
                .unwrap_or(1)
                .max(1);
            let limit = cx
                .arg(f, "pagination")
                .and_then(|p| p["limit"].as_u64())
                .unwrap_or(50);
            if limit == 0 || limit > MAX_LIMIT {
                return Err(gql_error(
                    &format!("pagination.limit must be between 1 and {MAX_LIMIT}"),
                    "VALIDATION_ERROR",
                ));
            }
            let sku_in: Option<Vec<String>> = cx.arg(f, "sku").and_then(|s| {
                s.get("in")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .or_else(|| {
                        s.get("eq")
                            .and_then(Value::as_str)
                            .map(|x| vec![x.to_string()])
                    })
            });
            // Ikas's `StringFilterInput`: `eq` or an `in` list, as for `sku`.
            let id_in: Option<Vec<String>> = cx.arg(f, "id").and_then(|s| {
                s.get("in")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .or_else(|| {
                        s.get("eq")
                            .and_then(Value::as_str)
                            .map(|x| vec![x.to_string()])
                    })
            });
            let s = lock(&inner.store);
            let all: Vec<Value> = s
                .products
                .values()
                .filter(|p| {
                    sku_in.as_ref().is_none_or(|list| {
                        p["variants"].as_array().is_some_and(|vs| {
                            vs.iter().any(|v| {
                                v["sku"]
                                    .as_str()
                                    .is_some_and(|x| list.iter().any(|l| l == x))
                            })
                        })
                    })
                })
                .filter(|p| {
                    id_in
                        .as_ref()
                        .is_none_or(|ids| ids.iter().any(|id| p["id"].as_str() == Some(id)))
                })
                .cloned()
                .collect();
            let count = all.len() as u64;
            let data: Vec<Value> = all
                .into_iter()
                .skip(((page - 1) * limit) as usize)
                .take(limit as usize)
                .collect();
            let resp = json!({ "__typename": "ProductPaginationResponse", "data": data, "count": count, "page": page, "limit": limit, "hasNext": page * limit < count });
            project(cx, &resp, &f.selection_set)
        }
        ("listVariantType", false) => {
            let s = lock(&inner.store);
            let list: Vec<Value> = s.variant_types.values().cloned().collect();
            project(cx, &json!(list), &f.selection_set)
        }
        ("saveVariantType", true) => {
            let input = cx.arg(f, "input").unwrap_or(Value::Null);
            let mut s = lock(&inner.store);
            let vt = save_variant_type(&mut s, &input);
            project(cx, &vt, &f.selection_set)
        }
        ("saveProduct", true) => {
            let input = cx.arg(f, "input").unwrap_or(Value::Null);
            let mut s = lock(&inner.store);
            let p = save_product(inner, &mut s, &input)?;
            project(cx, &p, &f.selection_set)
        }
        ("deleteProductList", true) => {
            let ids: Vec<String> = cx
                .arg(f, "idList")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            let mut s = lock(&inner.store);
            s.products
                .retain(|_, p| !ids.iter().any(|id| p["id"].as_str() == Some(id)));
            Ok(json!(true))
        }
        (other, _) => Err(gql_error(
            &format!(
                "Cannot query field \"{other}\" on type \"{}\".",
                if mutation { "Mutation" } else { "Query" }
            ),
            "GRAPHQL_VALIDATION_FAILED",
        )),
    }
}

/// Picks the selected fields, recursively; an unknown field is an error, as on a real server.
fn project<'d>(cx: &CostCx<'d>, v: &Value, set: &SelectionSet<'d, String>) -> Result<Value, Value> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| project(cx, i, set))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(o) if !set.items.is_empty() => {
            let typename = o
                .get("__typename")
                .and_then(Value::as_str)
                .unwrap_or("Object");
            let mut out = Map::new();
            for f in cx.fields(set) {
                let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
                let val = if f.name == "__typename" {
                    json!(typename)
                } else {
                    match o.get(&f.name) {
                        Some(x) => project(cx, x, &f.selection_set)?,
                        None => {
                            return Err(gql_error(
                                &format!(
                                    "Cannot query field \"{}\" on type \"{typename}\".",
                                    f.name
                                ),
                                "GRAPHQL_VALIDATION_FAILED",
                            ))
                        }
                    }
                };
                out.insert(key, val);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}
