//! Categories as Magento keeps them: a tree under "Root Catalog" (id 1) whose store root is
//! "Default Category" (id 2); `path` as the ids from the tree's root ("1/2/7"), `level` its
//! depth, `children` the child ids comma separated; `url_key` (made from the name when a save
//! gives none) and `url_path` as custom attributes. A second category with a URL key its
//! parent already has is refused as the URL rewrite would clash ("URL key for specified store
//! already exists."). `GET /V1/categories` answers the tree (`children_data`, `product_count`),
//! `/V1/categories/list` the search.

use super::search::Criteria;
use super::{error, now, save_wrapped, wrapped, Inner, MagentoSandbox, Store};
use crate::lock;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

type Q = Query<Vec<(String, String)>>;

/// "Root Catalog", the tree's own root.
pub(crate) const TREE_ROOT: u64 = 1;
/// "Default Category", the default store's root category.
pub(crate) const STORE_ROOT: u64 = 2;

const URL_KEY_TAKEN: &str = "URL key for specified store already exists.";

pub(crate) fn routes() -> Router<MagentoSandbox> {
    Router::new()
        .route(
            "/rest/{store}/V1/categories",
            get(tree).post(create_category),
        )
        .route("/rest/{store}/V1/categories/list", get(list_categories))
        // One pattern for both: the schema names the parameter `categoryId` on GET and
        // DELETE, `id` on PUT.
        .route(
            "/rest/{store}/V1/categories/{id}",
            get(get_category).put(put_category).delete(delete_category),
        )
}

/// The tree's two categories of a fresh install.
pub(crate) fn install(s: &mut Store) {
    for (id, parent, name, level, path) in [
        (TREE_ROOT, 0, "Root Catalog", 0, "1"),
        (STORE_ROOT, TREE_ROOT, "Default Category", 1, "1/2"),
    ] {
        s.categories.insert(
            id,
            json!({ "id": id, "parent_id": parent, "name": name, "is_active": true, "position": 1,
                    "level": level, "path": path, "created_at": now(), "updated_at": now(),
                    "include_in_menu": true, "available_sort_by": [],
                    "custom_attributes": [{ "attribute_code": "url_key", "value": name.to_lowercase().replace(' ', "-") }] }),
        );
    }
}

fn custom(c: &Value, code: &str) -> Option<String> {
    c["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .and_then(|a| a["value"].as_str().map(str::to_string))
}

fn set_custom(c: &mut Value, code: &str, value: &str) {
    let mut list = c["custom_attributes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.retain(|a| a["attribute_code"] != code);
    list.push(json!({ "attribute_code": code, "value": value }));
    c["custom_attributes"] = json!(list);
}

/// Catalog's `Category::formatUrlKey`: lower case, anything but letters and digits a dash.
fn format_url_key(name: &str) -> String {
    let mut out = String::new();
    for ch in name.trim().to_lowercase().chars() {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn children_of(s: &Store, id: u64) -> Vec<u64> {
    s.categories
        .values()
        .filter(|c| c["parent_id"].as_u64() == Some(id))
        .filter_map(|c| c["id"].as_u64())
        .collect()
}

/// A category as the repository answers it, with its `children` listed.
fn answer(s: &Store, c: &Value) -> Value {
    let mut out = c.clone();
    let kids: Vec<String> = children_of(s, c["id"].as_u64().unwrap_or(0))
        .iter()
        .map(u64::to_string)
        .collect();
    out["children"] = json!(kids.join(","));
    out
}

fn no_category(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "No such entity with %fieldName = %fieldValue",
        json!({ "fieldName": "id", "fieldValue": id }),
    )
}

/// Whether a sibling of `id` under `parent` has `url_key`.
fn key_taken(s: &Store, parent: u64, url_key: &str, id: Option<u64>) -> bool {
    s.categories.values().any(|c| {
        c["parent_id"].as_u64() == Some(parent)
            && c["id"].as_u64() != id
            && custom(c, "url_key").as_deref() == Some(url_key)
    })
}

/// Creates a category under `input.parent_id` (the store root when absent), as
/// `CategoryRepository::save` does.
pub(crate) fn create_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Response> {
    let name = input["name"].as_str().unwrap_or("").trim().to_string();
    if name.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The \"%1\" attribute value is empty. Set the attribute and try again.",
            json!(["name"]),
        ));
    }
    let parent_id = input["parent_id"].as_u64().unwrap_or(STORE_ROOT);
    let Some(parent) = s.categories.get(&parent_id).cloned() else {
        return Err(no_category(&parent_id.to_string()));
    };
    let url_key = input["custom_attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["attribute_code"] == "url_key")
        .and_then(|a| a["value"].as_str())
        .map(format_url_key)
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| format_url_key(&name));
    if key_taken(s, parent_id, &url_key, None) {
        return Err(error(StatusCode::BAD_REQUEST, URL_KEY_TAKEN, Value::Null));
    }
    let id = s.next();
    let level = parent["level"].as_u64().unwrap_or(0) + 1;
    let position = children_of(s, parent_id).len() + 1;
    let mut c = json!({
        "id": id, "parent_id": parent_id, "name": name,
        "is_active": input["is_active"].as_bool().unwrap_or(true),
        "position": input["position"].as_i64().unwrap_or(position as i64),
        "level": level, "path": format!("{}/{id}", parent["path"].as_str().unwrap_or("1")),
        "created_at": now(), "updated_at": now(), "available_sort_by": [],
        "include_in_menu": input["include_in_menu"].as_bool().unwrap_or(true),
        "custom_attributes": [],
    });
    for a in input["custom_attributes"].as_array().into_iter().flatten() {
        if let (Some(code), Some(v)) = (a["attribute_code"].as_str(), a["value"].as_str()) {
            set_custom(&mut c, code, v);
        }
    }
    set_custom(&mut c, "url_key", &url_key);
    // Below a store root a category's URL is its parents' keys and its own.
    let url_path = match custom(&parent, "url_path") {
        Some(p) if level > 2 => format!("{p}/{url_key}"),
        _ => url_key.clone(),
    };
    set_custom(&mut c, "url_path", &url_path);
    inner
        .created
        .record("categories", &format!("{parent_id}/{url_key}"));
    s.categories.insert(id, c.clone());
    Ok(answer(s, &c))
}

async fn create_category(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    save_wrapped(&sb, &body, "category", |_| {}, create_in)
}

async fn put_category(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let input = match wrapped(&body, "category") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    let Some(mut c) = id
        .parse::<u64>()
        .ok()
        .and_then(|n| s.categories.get(&n).cloned())
    else {
        return no_category(&id);
    };
    let n = c["id"].as_u64().unwrap_or(0);
    let parent = c["parent_id"].as_u64().unwrap_or(0);
    for (k, v) in input.as_object().into_iter().flatten() {
        match k.as_str() {
            // Moving is `PUT /categories/{id}/move`'s; ids and dates are the store's.
            "id" | "parent_id" | "path" | "level" | "children" | "created_at" | "updated_at" => {}
            "name" if v.as_str().is_none_or(|n| n.trim().is_empty()) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The \"%1\" attribute value is empty. Set the attribute and try again.",
                    json!(["name"]),
                )
            }
            "custom_attributes" => {
                for a in v.as_array().into_iter().flatten() {
                    let (Some(code), Some(value)) =
                        (a["attribute_code"].as_str(), a["value"].as_str())
                    else {
                        continue;
                    };
                    if code == "url_key" {
                        let key = format_url_key(value);
                        if key_taken(&s, parent, &key, Some(n)) {
                            return error(StatusCode::BAD_REQUEST, URL_KEY_TAKEN, Value::Null);
                        }
                        set_custom(&mut c, code, &key);
                    } else {
                        set_custom(&mut c, code, value);
                    }
                }
            }
            _ => c[k] = v.clone(),
        }
    }
    c["updated_at"] = json!(now());
    s.categories.insert(n, c.clone());
    Json(answer(&s, &c)).into_response()
}

async fn get_category(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let s = lock(&sb.inner.store);
    match id.parse::<u64>().ok().and_then(|n| s.categories.get(&n)) {
        Some(c) => Json(answer(&s, c)).into_response(),
        None => no_category(&id),
    }
}

/// Deletes the category and everything below it, and the products' links to them.
async fn delete_category(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let mut s = lock(&sb.inner.store);
    let Some(n) = id
        .parse::<u64>()
        .ok()
        .filter(|n| s.categories.contains_key(n))
    else {
        return no_category(&id);
    };
    if n <= STORE_ROOT {
        return error(
            StatusCode::BAD_REQUEST,
            "Cannot delete category with id %1",
            json!([n.to_string()]),
        );
    }
    let mut gone = vec![n];
    let mut i = 0;
    while i < gone.len() {
        gone.extend(children_of(&s, gone[i]));
        i += 1;
    }
    for g in &gone {
        s.categories.remove(g);
    }
    let gone_text: Vec<String> = gone.iter().map(u64::to_string).collect();
    for p in s.products.values_mut() {
        let links = p
            .get_mut("extension_attributes")
            .and_then(|e| e.get_mut("category_links"))
            .and_then(Value::as_array_mut);
        if let Some(links) = links {
            links.retain(|l| {
                !l["category_id"]
                    .as_str()
                    .is_some_and(|c| gone_text.iter().any(|g| g == c))
            });
        }
    }
    Json(json!(true)).into_response()
}

/// A category field as the collection filters it: its own fields, then its attributes.
fn category_field(c: &Value, field: &str) -> Option<String> {
    let field = if field == "entity_id" { "id" } else { field };
    match c.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(if *b { "1" } else { "0" }.into()),
        _ => custom(c, field),
    }
}

async fn list_categories(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let criteria = match Criteria::read(&q, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let s = lock(&sb.inner.store);
    let items: Vec<Value> = s
        .categories
        .values()
        .filter(|c| criteria.matches(c, &category_field))
        .map(|c| answer(&s, c))
        .collect();
    Json(criteria.page(items)).into_response()
}

/// `catalog-data-category-tree-interface` of `id`, `depth` levels of children below it.
fn tree_of(s: &Store, id: u64, depth: Option<u64>) -> Value {
    let c = &s.categories[&id];
    let id_text = id.to_string();
    let product_count = s
        .products
        .values()
        .filter(|p| {
            p["extension_attributes"]["category_links"]
                .as_array()
                .is_some_and(|l| {
                    l.iter()
                        .any(|x| x["category_id"].as_str() == Some(&id_text))
                })
        })
        .count();
    let children: Vec<Value> = match depth {
        Some(0) => vec![],
        _ => children_of(s, id)
            .into_iter()
            .map(|k| tree_of(s, k, depth.map(|d| d - 1)))
            .collect(),
    };
    json!({
        "id": id, "parent_id": c["parent_id"], "name": c["name"], "is_active": c["is_active"],
        "position": c["position"], "level": c["level"], "product_count": product_count,
        "children_data": children,
    })
}

async fn tree(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let number = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.parse::<u64>())
    };
    let root = match number("rootCategoryId") {
        None => STORE_ROOT,
        Some(Ok(n)) => n,
        Some(Err(_)) => return no_category("rootCategoryId"),
    };
    let depth = number("depth").and_then(Result::ok);
    let s = lock(&sb.inner.store);
    if !s.categories.contains_key(&root) {
        return no_category(&root.to_string());
    }
    Json(tree_of(&s, root, depth)).into_response()
}

/// Links every `category_links` entry carries as Magento answers them: the id as text, a
/// position; `Err` for a category the store does not have.
pub(crate) fn links(s: &Store, sku: &str, list: &Value) -> Result<Value, Response> {
    let mut out = vec![];
    for l in list.as_array().into_iter().flatten() {
        let id = match &l["category_id"] {
            Value::String(t) => t.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let known = id
            .parse::<u64>()
            .ok()
            .filter(|n| s.categories.contains_key(n));
        let position = l["position"].as_i64().unwrap_or(0);
        let Some(n) = known else {
            // CategoryLinkRepository's refusal of a link it cannot save.
            return Err(error(
                StatusCode::BAD_REQUEST,
                "Could not save product \"%1\" with position %2 to category %3",
                json!([sku, position.to_string(), id]),
            ));
        };
        let id_text = n.to_string();
        if !out
            .iter()
            .any(|x: &Value| x["category_id"] == id_text.as_str())
        {
            out.push(json!({ "position": position, "category_id": id_text }));
        }
    }
    Ok(json!(out))
}
