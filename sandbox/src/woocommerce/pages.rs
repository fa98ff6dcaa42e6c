//! `/wp-json/wp/v2/pages`: WordPress's own REST API, which WooCommerce's consumer keys do not
//! open. Writing and `context=edit` need a user's application password (HTTP Basic, spaces in
//! the password ignored); anonymous reads see published pages only. `per_page` ≤ 100 with
//! `X-WP-Total`/`X-WP-TotalPages`, a page past the end is an error, slugs are made unique with
//! `-2`, `-3`..., `date` may be set, and a page without `force=true` goes to the trash.

use super::*;

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    err(status, code, message)
}

/// `Ok(true)` with a valid application password, `Ok(false)` anonymous, `Err` for bad ones.
fn wp_user(sb: &WooSandbox, headers: &HeaderMap) -> Result<bool, Response> {
    let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return Ok(false);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let cfg = &sb.inner.config;
    if user != cfg.wp_user {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "invalid_username",
            "Unknown username. Check again or try your email address.",
        ));
    }
    let strip = |p: &str| p.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    if strip(pass) != strip(&cfg.wp_app_password) {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ));
    }
    Ok(true)
}

const STATUSES: [&str; 5] = ["publish", "draft", "pending", "private", "future"];

fn rendered(page: &Value, edit: bool) -> Value {
    let mut p = page.clone();
    if !edit {
        for k in ["title", "content", "excerpt", "guid"] {
            if let Some(o) = p[k].as_object_mut() {
                o.remove("raw");
            }
        }
    }
    p
}

fn apply_page(s: &mut Store, id: u64, p: &mut Value, input: &Value) -> Result<(), Response> {
    let text = |v: &Value| match v {
        Value::String(x) => Some(x.clone()),
        Value::Object(o) => o.get("raw").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    if let Some(t) = input.get("title").and_then(text) {
        p["title"] = json!({ "raw": t, "rendered": t });
    }
    if let Some(c) = input.get("content").and_then(text) {
        p["content"] = json!({ "raw": c, "rendered": c, "protected": false });
    }
    if let Some(st) = input.get("status") {
        let st = st.as_str().unwrap_or("");
        if !STATUSES.contains(&st) {
            return Err((StatusCode::BAD_REQUEST, Json(json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): status",
                "data": { "status": 400, "params": { "status": format!("status is not one of {}.", STATUSES.join(", ")) } } }))).into_response());
        }
        p["status"] = json!(st);
    }
    if let Some(d) = input.get("date").and_then(Value::as_str) {
        let ok = chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S").is_ok()
            || chrono::DateTime::parse_from_rfc3339(d).is_ok();
        if !ok {
            return Err((
                StatusCode::BAD_REQUEST,
                Json(
                    json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): date",
                "data": { "status": 400, "params": { "date": "Invalid date." } } }),
                ),
            )
                .into_response());
        }
        let local = chrono::DateTime::parse_from_rfc3339(d)
            .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_else(|_| d.to_string());
        p["date"] = json!(local);
        p["date_gmt"] = json!(local);
    }
    if let Some(m) = input.get("menu_order").and_then(Value::as_i64) {
        p["menu_order"] = json!(m);
    }
    let wanted = match input
        .get("slug")
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
    {
        Some(x) => Some(sanitize_title(x)),
        None if p["slug"] == "" => Some(sanitize_title(p["title"]["raw"].as_str().unwrap_or(""))),
        None => None,
    };
    if let Some(w) = wanted {
        let w = if w.is_empty() { id.to_string() } else { w };
        let taken = |slug: &str| {
            s.pages
                .values()
                .any(|o| o["slug"].as_str() == Some(slug) && o["id"].as_u64() != Some(id))
        };
        let slug = if taken(&w) {
            (2..)
                .map(|n| format!("{w}-{n}"))
                .find(|c| !taken(c))
                .unwrap_or_default()
        } else {
            w
        };
        p["link"] = json!(format!("https://shop.example.com/{slug}/"));
        p["slug"] = json!(slug);
    }
    p["modified"] = json!(now());
    p["modified_gmt"] = json!(now());
    Ok(())
}

pub(super) async fn list_pages(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let authed = match wp_user(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let edit = q.get("context").map(String::as_str) == Some("edit");
    if edit && !authed {
        return wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_forbidden_context",
            "Sorry, you are not allowed to edit posts in this post type.",
        );
    }
    let (page, per_page) = match page_params(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let statuses: Vec<String> = q
        .get("status")
        .map(|x| x.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["publish".into()]);
    if !authed && statuses.iter().any(|x| x != "publish") {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): status",
            "data": { "status": 400, "params": { "status": "Status is forbidden." } } }),
            ),
        )
            .into_response();
    }
    let any = statuses.iter().any(|x| x == "any");
    let slug = q.get("slug").map(|x| sanitize_title(x));
    let s = lock(&sb.inner.store);
    let mut items: Vec<Value> = s
        .pages
        .values()
        .filter(|p| {
            let st = p["status"].as_str().unwrap_or("");
            (any && st != "trash") || statuses.iter().any(|x| x == st)
        })
        .filter(|p| {
            slug.as_ref()
                .is_none_or(|x| p["slug"].as_str() == Some(x.as_str()))
        })
        .map(|p| rendered(p, edit))
        .collect();
    drop(s);
    keep_included(&mut items, &q);
    let total_pages = items.len().div_ceil(per_page);
    if page > 1 && page > total_pages {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
        );
    }
    for p in &mut items {
        p["name"] = p["title"]["rendered"].clone();
        p["date_created"] = p["date"].clone();
    }
    order(&mut items, &q, "date");
    for p in &mut items {
        if let Some(o) = p.as_object_mut() {
            o.remove("name");
            o.remove("date_created");
        }
    }
    paged(items, page, per_page, "/wp-json/wp/v2/pages")
}

fn need_user(
    sb: &WooSandbox,
    headers: &HeaderMap,
    code: &str,
    message: &str,
) -> Result<(), Response> {
    match wp_user(sb, headers)? {
        true => Ok(()),
        false => Err(wp_error(StatusCode::UNAUTHORIZED, code, message)),
    }
}

pub(super) async fn create_page(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = need_user(
        &sb,
        &headers,
        "rest_cannot_create",
        "Sorry, you are not allowed to create posts as this user.",
    ) {
        return r;
    }
    let input = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let empty = |k: &str| match input.get(k) {
        Some(Value::String(x)) => x.trim().is_empty(),
        Some(Value::Object(o)) => o
            .get("raw")
            .and_then(Value::as_str)
            .is_none_or(|x| x.trim().is_empty()),
        _ => true,
    };
    if empty("title") && empty("content") {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "empty_content",
            "Content, title, and excerpt are empty.",
        );
    }
    let mut s = lock(&sb.inner.store);
    let id = s.id();
    // Every property of WordPress's page schema (sandbox/specs/wordpress-rest-v2/pages.md):
    // pages are closed to comments and pings by default, the application password's user
    // (id 1) is the author, and WordPress 6.3+ registers the `footnotes` meta on pages.
    let guid = format!("https://shop.example.com/?page_id={id}");
    let mut p = json!({ "id": id, "date": now(), "date_gmt": now(), "modified": now(), "modified_gmt": now(),
                        "guid": { "raw": guid, "rendered": guid }, "slug": "", "status": "draft", "type": "page",
                        "link": "", "title": { "raw": "", "rendered": "" }, "content": { "raw": "", "rendered": "", "protected": false },
                        "excerpt": { "raw": "", "rendered": "" }, "author": 1, "featured_media": 0, "comment_status": "closed",
                        "ping_status": "closed", "parent": 0, "menu_order": 0, "meta": { "footnotes": "" }, "template": "" });
    if let Err(r) = apply_page(&mut s, id, &mut p, &input) {
        return r;
    }
    sb.inner
        .created
        .record("pages", p["slug"].as_str().unwrap_or(""));
    s.pages.insert(id, p.clone());
    (StatusCode::CREATED, Json(p)).into_response()
}

pub(super) async fn update_page(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = need_user(
        &sb,
        &headers,
        "rest_cannot_edit",
        "Sorry, you are not allowed to edit this post.",
    ) {
        return r;
    }
    let input = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    let Some(mut p) = s.pages.get(&id).cloned() else {
        return wp_error(
            StatusCode::NOT_FOUND,
            "rest_post_invalid_id",
            "Invalid post ID.",
        );
    };
    if let Err(r) = apply_page(&mut s, id, &mut p, &input) {
        return r;
    }
    s.pages.insert(id, p.clone());
    Json(p).into_response()
}

pub(super) async fn get_page(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    let authed = match wp_user(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let edit = q.get("context").map(String::as_str) == Some("edit");
    match lock(&sb.inner.store).pages.get(&id) {
        Some(p) if authed || p["status"] == "publish" => {
            Json(rendered(p, edit && authed)).into_response()
        }
        _ => wp_error(
            StatusCode::NOT_FOUND,
            "rest_post_invalid_id",
            "Invalid post ID.",
        ),
    }
}

pub(super) async fn delete_page(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = need_user(
        &sb,
        &headers,
        "rest_cannot_delete",
        "Sorry, you are not allowed to delete this post.",
    ) {
        return r;
    }
    let force = q.get("force").is_some_and(|f| f == "true" || f == "1");
    let mut s = lock(&sb.inner.store);
    if !force {
        return match s.pages.get_mut(&id) {
            Some(p) if p["status"] == "trash" => wp_error(
                StatusCode::GONE,
                "rest_already_trashed",
                "The post has already been deleted.",
            ),
            Some(p) => {
                p["status"] = json!("trash");
                Json(p.clone()).into_response()
            }
            None => wp_error(
                StatusCode::NOT_FOUND,
                "rest_post_invalid_id",
                "Invalid post ID.",
            ),
        };
    }
    match s.pages.remove(&id) {
        Some(p) => Json(json!({ "deleted": true, "previous": p })).into_response(),
        None => wp_error(
            StatusCode::NOT_FOUND,
            "rest_post_invalid_id",
            "Invalid post ID.",
        ),
    }
}
