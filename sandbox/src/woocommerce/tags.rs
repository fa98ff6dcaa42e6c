//! `/products/tags` (`product-tags.md`): WordPress terms of the flat `product_tag` taxonomy.
//! A name is unique in the taxonomy, compared without case: `wp_insert_term` refuses a second
//! one with `term_exists` and the existing term's id, which WooCommerce's terms controller
//! passes on as `data.resource_id`. A slug is unique too (`wp_unique_term_slug` appends -2,
//! -3, …). Products refer to tags by id only: the products controller's `save_taxonomy_terms`
//! plucks each entry's `id`, and WordPress skips ids that name no term, so a tag given by
//! name alone is dropped. A product answers its tags as `{id, name, slug}` in name order
//! (`get_the_terms`, ordered by name); a tag's `count` is its published products.

use super::*;

fn term_error(status: StatusCode, code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message, "data": { "status": status.as_u16() } })
}

fn invalid_term() -> Value {
    term_error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_term_invalid",
        "Resource does not exist.",
    )
}

/// WordPress compares term names without case (`wp_insert_term`: `strtolower`).
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

fn slug_owner(s: &Store, slug: &str) -> Option<u64> {
    s.tags
        .values()
        .find(|t| t["slug"].as_str() == Some(slug))
        .and_then(|t| t["id"].as_u64())
}

/// `wp_unique_term_slug` for a flat taxonomy: the slug, or the first free `slug-N` from 2.
fn unique_tag_slug(s: &Store, wanted: &str, except: Option<u64>) -> String {
    let taken = |slug: &str| slug_owner(s, slug).is_some_and(|id| Some(id) != except);
    if !taken(wanted) {
        return wanted.to_string();
    }
    (2..)
        .map(|n| format!("{wanted}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or_default()
}

/// A tag as WooCommerce answers it, with the number of published products that carry it.
fn tag_reply(s: &Store, t: &Value) -> Value {
    let id = t["id"].as_u64();
    let count = s
        .products
        .values()
        .filter(|p| p["status"] == "publish")
        .filter(|p| {
            p["tags"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x["id"].as_u64() == id))
        })
        .count();
    let mut t = t.clone();
    t["count"] = json!(count);
    t
}

pub(super) fn create_tag_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Value> {
    let Some(name) = input.get("name") else {
        return Err(
            json!({ "code": "rest_missing_callback_param", "message": "Missing parameter(s): name",
                    "data": { "status": 400, "params": ["name"] } }),
        );
    };
    let name = wp_term_name(name.as_str().unwrap_or(""));
    if name.is_empty() {
        return Err(term_error(
            StatusCode::BAD_REQUEST,
            "empty_term_name",
            "A name is required for this term.",
        ));
    }
    let given_slug = input
        .get("slug")
        .and_then(Value::as_str)
        .map(sanitize_title)
        .filter(|x| !x.is_empty());
    let slug = given_slug.clone().unwrap_or_else(|| sanitize_title(&name));
    // wp_insert_term: a name the taxonomy has is refused unless a slug of its own was given
    // (one that is neither the existing term's nor any other term's).
    if let Some(existing) = s
        .tags
        .values()
        .find(|t| same_name(t["name"].as_str().unwrap_or(""), &name))
    {
        if given_slug.is_none()
            || existing["slug"].as_str() == Some(slug.as_str())
            || slug_owner(s, &slug).is_some()
        {
            return Err(
                json!({ "code": "term_exists", "message": "A term with the name provided already exists in this taxonomy.",
                        "data": { "status": 400, "resource_id": existing["id"] } }),
            );
        }
    }
    let id = s.id();
    let mut t = super::shapes::tag(id);
    t["name"] = json!(name);
    t["slug"] = json!(unique_tag_slug(s, &slug, None));
    if input.get("description").is_some() {
        t["description"] = json!(str_field(input, "description"));
    }
    inner.created.record("tags", &name.to_lowercase());
    s.tags.insert(id, t.clone());
    Ok(tag_reply(s, &t))
}

/// `wp_update_term`: a new name is taken as it is; a slug another term has is refused.
fn update_tag_in(s: &mut Store, id: u64, input: &Value) -> Result<Value, Value> {
    let Some(mut t) = s.tags.get(&id).cloned() else {
        return Err(invalid_term());
    };
    if let Some(name) = input.get("name") {
        let name = wp_term_name(name.as_str().unwrap_or(""));
        if name.is_empty() {
            return Err(term_error(
                StatusCode::BAD_REQUEST,
                "empty_term_name",
                "A name is required for this term.",
            ));
        }
        t["name"] = json!(name);
    }
    if let Some(slug) = input.get("slug").and_then(Value::as_str) {
        let clean = sanitize_title(slug);
        if slug_owner(s, &clean).is_some_and(|owner| owner != id) {
            return Err(term_error(
                StatusCode::BAD_REQUEST,
                "duplicate_term_slug",
                &format!("The slug “{clean}” is already in use by another term."),
            ));
        }
        if !clean.is_empty() {
            t["slug"] = json!(clean);
        }
    }
    if input.get("description").is_some() {
        t["description"] = json!(str_field(input, "description"));
    }
    s.tags.insert(id, t.clone());
    // Products show the tag as it is now.
    for p in s.products.values_mut() {
        if let Some(list) = p["tags"].as_array_mut() {
            for x in list.iter_mut().filter(|x| x["id"].as_u64() == Some(id)) {
                *x = json!({ "id": id, "name": t["name"], "slug": t["slug"] });
            }
            sort_by_name(list);
        }
    }
    Ok(tag_reply(s, &t))
}

fn remove_tag(s: &mut Store, id: u64) -> Option<Value> {
    let t = s.tags.get(&id).cloned()?;
    let reply = tag_reply(s, &t);
    s.tags.remove(&id);
    for p in s.products.values_mut() {
        if let Some(list) = p["tags"].as_array_mut() {
            list.retain(|x| x["id"].as_u64() != Some(id));
        }
    }
    Some(reply)
}

fn sort_by_name(list: &mut [Value]) {
    list.sort_by_key(|x| {
        (
            x["name"].as_str().unwrap_or("").to_lowercase(),
            x["id"].as_u64(),
        )
    });
}

/// A product's `tags` from the request's entries: each entry's `id` (once), when it names a
/// tag; anything else (a name without an id, an unknown id) is dropped, as WooCommerce does.
pub(super) fn resolve_product_tags(s: &Store, input: &Value) -> Value {
    let mut ids: Vec<u64> = input
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("id")?.as_u64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut list: Vec<Value> = ids
        .iter()
        .filter_map(|id| s.tags.get(id))
        .map(|t| json!({ "id": t["id"], "name": t["name"], "slug": t["slug"] }))
        .collect();
    sort_by_name(&mut list);
    json!(list)
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

fn ids_param(q: &HashMap<String, String>, k: &str) -> Option<Vec<u64>> {
    q.get(k).map(|v| {
        v.split(',')
            .filter_map(|x| x.trim().parse::<u64>().ok())
            .collect()
    })
}

/// `GET /products/tags`: the reference's parameters (`search` matches name or slug, `slug`
/// is exact, `hide_empty` and `product` look at the products), ordered by name unless told.
pub(super) async fn list_tags(
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
    let search = q.get("search").map(|x| x.to_lowercase());
    let slug = q.get("slug").map(|x| sanitize_title(x));
    let include = ids_param(&q, "include");
    let exclude = ids_param(&q, "exclude").unwrap_or_default();
    let hide_empty = q.get("hide_empty").is_some_and(|v| v == "true" || v == "1");
    // The tags of one product (none when there is no such product).
    let of_product: Option<Vec<u64>> = q.get("product").map(|p| {
        p.parse::<u64>()
            .ok()
            .and_then(|id| s.products.get(&id))
            .and_then(|p| p["tags"].as_array())
            .map(|l| l.iter().filter_map(|t| t["id"].as_u64()).collect())
            .unwrap_or_default()
    });
    let mut items: Vec<Value> = s
        .tags
        .values()
        .filter(|t| {
            let id = t["id"].as_u64().unwrap_or(0);
            let name = t["name"].as_str().unwrap_or("").to_lowercase();
            let tslug = t["slug"].as_str().unwrap_or("");
            search
                .as_ref()
                .is_none_or(|w| name.contains(w.as_str()) || tslug.contains(w.as_str()))
                && slug.as_ref().is_none_or(|x| tslug == x.as_str())
                && include.as_ref().is_none_or(|ids| ids.contains(&id))
                && !exclude.contains(&id)
                && of_product.as_ref().is_none_or(|ids| ids.contains(&id))
        })
        .map(|t| tag_reply(&s, t))
        .filter(|t| !hide_empty || t["count"].as_u64().unwrap_or(0) > 0)
        .collect();
    drop(s);
    let text = |t: &Value, k: &str| t[k].as_str().unwrap_or("").to_lowercase();
    match q.get("orderby").map(String::as_str) {
        Some("id") => items.sort_by_key(|t| t["id"].as_u64()),
        Some("slug") => items.sort_by_key(|t| (text(t, "slug"), t["id"].as_u64())),
        Some("description") => items.sort_by_key(|t| (text(t, "description"), t["id"].as_u64())),
        Some("count") => items.sort_by_key(|t| (t["count"].as_u64(), t["id"].as_u64())),
        _ => sort_by_name(&mut items),
    }
    if q.get("order").is_some_and(|o| o == "desc") {
        items.reverse();
    }
    if let Some(offset) = q.get("offset").and_then(|o| o.parse::<usize>().ok()) {
        items.drain(..offset.min(items.len()));
    }
    paged(items, page, per_page, "/wp-json/wc/v3/products/tags")
}

pub(super) async fn get_tag(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let s = lock(&sb.inner.store);
    let found = s.tags.get(&id).map(|t| tag_reply(&s, t));
    reply(found.ok_or_else(invalid_term), StatusCode::OK)
}

pub(super) async fn create_tag(
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
        create_tag_in(&sb.inner, &mut s, &input),
        StatusCode::CREATED,
    )
}

pub(super) async fn update_tag(
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
    reply(update_tag_in(&mut s, id, &input), StatusCode::OK)
}

pub(super) async fn delete_tag(
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
    let removed = remove_tag(&mut lock(&sb.inner.store), id);
    reply(removed.ok_or_else(invalid_term), StatusCode::OK)
}

/// `POST /products/tags/batch`: each item as its own request would be answered; a refused
/// create carries the request's error, `data.resource_id` included.
pub(super) async fn batch_tags(
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
        let created: Vec<Value> = create
            .iter()
            .map(|i| outcome(create_tag_in(&sb.inner, &mut s, i), 0))
            .collect();
        out.insert("create".into(), json!(created));
    }
    if !update.is_empty() {
        let updated: Vec<Value> = update
            .iter()
            .map(|i| {
                let id = i["id"].as_u64().unwrap_or(0);
                outcome(update_tag_in(&mut s, id, i), id)
            })
            .collect();
        out.insert("update".into(), json!(updated));
    }
    if !delete.is_empty() {
        let deleted: Vec<Value> = delete
            .iter()
            .map(|d| {
                let id = d.as_u64().unwrap_or(0);
                outcome(remove_tag(&mut s, id).ok_or_else(invalid_term), id)
            })
            .collect();
        out.insert("delete".into(), json!(deleted));
    }
    Json(Value::Object(out)).into_response()
}
