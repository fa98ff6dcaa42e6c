//! `/products/categories`: WordPress terms of the `product_cat` taxonomy. A name is unique
//! under its parent (`term_exists`), a slug is unique in the taxonomy (a child's taken slug
//! becomes `slug-parentslug`, as `wp_unique_term_slug` does), a parent must exist, and terms
//! cannot be trashed (`force=true` deletes, and its children move up to its parent).

use super::*;

fn term_error(status: StatusCode, code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message, "data": { "status": status.as_u16() } })
}

fn unique_term_slug(s: &Store, wanted: &str, parent: u64, except: Option<u64>) -> String {
    let taken = |slug: &str| {
        s.categories
            .values()
            .any(|c| c["slug"].as_str() == Some(slug) && c["id"].as_u64() != except)
    };
    if !taken(wanted) {
        return wanted.to_string();
    }
    let base = match s.categories.get(&parent).and_then(|p| p["slug"].as_str()) {
        Some(ps) if parent != 0 => format!("{wanted}-{ps}"),
        _ => wanted.to_string(),
    };
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or_default()
}

/// Writes `input` onto category `id` (new when `current` is None).
fn apply_category(
    inner: &Inner,
    s: &mut Store,
    id: u64,
    current: Option<Value>,
    input: &Value,
) -> Result<Value, Value> {
    let mut c = current
        .clone()
        .unwrap_or_else(|| super::shapes::category(id));
    if let Some(name) = input.get("name") {
        let name = wp_term_name(name.as_str().unwrap_or(""));
        if name.is_empty() {
            return Err(term_error(
                StatusCode::BAD_REQUEST,
                "empty_term_name",
                "A name is required for this term.",
            ));
        }
        c["name"] = json!(name);
    } else if current.is_none() {
        return Err(term_error(
            StatusCode::BAD_REQUEST,
            "rest_missing_callback_param",
            "Missing parameter(s): name",
        ));
    }
    if let Some(p) = input.get("parent") {
        let parent = p.as_u64().unwrap_or(0);
        if parent != 0 && (!s.categories.contains_key(&parent) || parent == id) {
            return Err(term_error(
                StatusCode::BAD_REQUEST,
                "woocommerce_rest_term_invalid",
                "Resource does not exist.",
            ));
        }
        c["parent"] = json!(parent);
    }
    let parent = c["parent"].as_u64().unwrap_or(0);
    let name = c["name"].as_str().unwrap_or("").to_string();
    if let Some(other) = s.categories.values().find(|o| {
        o["id"].as_u64() != Some(id)
            && o["parent"].as_u64() == Some(parent)
            && o["name"].as_str().map(str::to_lowercase) == Some(name.to_lowercase())
    }) {
        return Err(
            json!({ "code": "term_exists", "message": "A term with the name provided already exists with this parent.",
                           "data": { "status": 400, "resource_id": other["id"] } }),
        );
    }
    let wanted = match input
        .get("slug")
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
    {
        Some(slug) => {
            let clean = sanitize_title(slug);
            if s.categories
                .values()
                .any(|o| o["slug"].as_str() == Some(clean.as_str()) && o["id"].as_u64() != Some(id))
            {
                return Err(term_error(
                    StatusCode::BAD_REQUEST,
                    "duplicate_term_slug",
                    &format!("The slug “{}” is already in use by another term.", clean),
                ));
            }
            Some(clean)
        }
        None if current.is_none() => Some(sanitize_title(&name)),
        None => None,
    };
    if let Some(w) = wanted {
        c["slug"] = json!(unique_term_slug(s, &w, parent, Some(id)));
    }
    for k in ["description", "display"] {
        if input.get(k).is_some() {
            c[k] = json!(str_field(input, k));
        }
    }
    if let Some(m) = input.get("menu_order").and_then(Value::as_i64) {
        c["menu_order"] = json!(m);
    }
    if let Some(img) = input.get("image") {
        c["image"] = if img.is_object() {
            if let Some(msg) = failing_image(inner, &json!({ "images": [img] })) {
                return Err(term_error(
                    StatusCode::BAD_REQUEST,
                    "woocommerce_product_image_upload_error",
                    &msg,
                ));
            }
            super::shapes::image(id * 100, &img["src"], &img["alt"], &now())
        } else {
            // No image: PHP's empty array, as the reference's example shows.
            json!([])
        };
    }
    if current.is_none() {
        inner
            .created
            .record("categories", &format!("{parent}/{}", name.to_lowercase()));
    }
    s.categories.insert(id, c.clone());
    Ok(c)
}

pub(super) fn create_category_in(
    inner: &Inner,
    s: &mut Store,
    input: &Value,
) -> Result<Value, Value> {
    let id = s.id();
    apply_category(inner, s, id, None, input)
}

fn update_category_in(
    inner: &Inner,
    s: &mut Store,
    id: u64,
    input: &Value,
) -> Result<Value, Value> {
    match s.categories.get(&id).cloned() {
        Some(c) => apply_category(inner, s, id, Some(c), input),
        None => Err(term_error(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_term_invalid",
            "Resource does not exist.",
        )),
    }
}

fn remove_category(s: &mut Store, id: u64) -> Option<Value> {
    let c = s.categories.remove(&id)?;
    let parent = c["parent"].as_u64().unwrap_or(0);
    for child in s.categories.values_mut() {
        if child["parent"].as_u64() == Some(id) {
            child["parent"] = json!(parent);
        }
    }
    for p in s.products.values_mut() {
        if let Some(list) = p["categories"].as_array_mut() {
            list.retain(|x| x["id"].as_u64() != Some(id));
        }
    }
    Some(c)
}

/// `[{id}]` on a product becomes `[{id, name, slug}]`; unknown ids are dropped (WordPress
/// does not assign terms that do not exist).
pub(super) fn resolve_product_categories(s: &Store, input: &Value) -> Value {
    json!(input
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| s.categories.get(&c["id"].as_u64()?))
        .map(|c| json!({ "id": c["id"], "name": c["name"], "slug": c["slug"] }))
        .collect::<Vec<_>>())
}

fn reply(r: Result<Value, Value>, ok: StatusCode) -> Response {
    match r {
        Ok(v) => (ok, Json(v)).into_response(),
        Err(e) => {
            let status = e["data"]["status"]
                .as_u64()
                .and_then(|s| StatusCode::from_u16(s as u16).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(e)).into_response()
        }
    }
}

pub(super) async fn list_categories(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
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
    let slug = q.get("slug").map(|x| sanitize_title(x));
    let parent = q.get("parent").and_then(|p| p.parse::<u64>().ok());
    let mut items: Vec<Value> = s
        .categories
        .values()
        .filter(|c| {
            slug.as_ref()
                .is_none_or(|x| c["slug"].as_str() == Some(x.as_str()))
        })
        .filter(|c| parent.is_none_or(|p| c["parent"].as_u64() == Some(p)))
        .cloned()
        .collect();
    drop(s);
    // Terms list by name ascending unless told otherwise.
    let mut q2 = q.clone();
    q2.entry("order".into()).or_insert_with(|| "asc".into());
    let by = match q.get("orderby").map(String::as_str) {
        Some("id") => "id",
        Some("slug") => "slug",
        _ => "title",
    };
    q2.insert("orderby".into(), by.into());
    order(&mut items, &q2, by);
    paged(items, page, per_page, "/wp-json/wc/v3/products/categories")
}

pub(super) async fn get_category(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let found = lock(&sb.inner.store).categories.get(&id).cloned();
    reply(
        found.ok_or_else(|| {
            term_error(
                StatusCode::NOT_FOUND,
                "woocommerce_rest_term_invalid",
                "Resource does not exist.",
            )
        }),
        StatusCode::OK,
    )
}

pub(super) async fn create_category(
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
    reply(
        create_category_in(&sb.inner, &mut s, &input),
        StatusCode::CREATED,
    )
}

pub(super) async fn update_category(
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
    reply(
        update_category_in(&sb.inner, &mut s, id, &input),
        StatusCode::OK,
    )
}

pub(super) async fn delete_category(
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
            "Resource does not support trashing.",
        );
    }
    let removed = remove_category(&mut lock(&sb.inner.store), id);
    reply(
        removed.ok_or_else(|| {
            term_error(
                StatusCode::NOT_FOUND,
                "woocommerce_rest_term_invalid",
                "Resource does not exist.",
            )
        }),
        StatusCode::OK,
    )
}

pub(super) async fn batch_categories(
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
    let created: Vec<Value> = create
        .iter()
        .map(|i| outcome(create_category_in(&sb.inner, &mut s, i), 0))
        .collect();
    let updated: Vec<Value> = update
        .iter()
        .map(|i| {
            let id = i["id"].as_u64().unwrap_or(0);
            outcome(update_category_in(&sb.inner, &mut s, id, i), id)
        })
        .collect();
    let deleted: Vec<Value> = delete
        .iter()
        .map(|d| {
            let id = d.as_u64().unwrap_or(0);
            outcome(
                remove_category(&mut s, id).ok_or_else(|| {
                    item_error("woocommerce_rest_term_invalid", "Resource does not exist.")
                }),
                id,
            )
        })
        .collect();
    Json(json!({ "create": created, "update": updated, "delete": deleted })).into_response()
}
