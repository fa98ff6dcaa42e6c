//! Custom collections, online-store pages and URL redirects, as the Admin API keeps them:
//! `collectionCreate` / `collectionUpdate` / `collectionDelete`, `pageCreate` / `pageUpdate` /
//! `pageDelete`, `urlRedirectCreate` / `urlRedirectUpdate` / `urlRedirectDelete`.

use super::{gid_number, now, slugify, str_of, user_error, Store};
use crate::CreationLog;
use serde_json::{json, Value};

/// The fields of `CollectionInput`.
pub(super) const COLLECTION_INPUT: &[&str] = &[
    "id",
    "title",
    "handle",
    "descriptionHtml",
    "seo",
    "image",
    "sortOrder",
    "templateSuffix",
    "metafields",
    "ruleSet",
    "products",
    "redirectNewHandle",
];

/// The fields of `PageCreateInput` / `PageUpdateInput`.
pub(super) const PAGE_INPUT: &[&str] = &[
    "title",
    "handle",
    "body",
    "isPublished",
    "publishDate",
    "templateSuffix",
    "metafields",
    "redirectNewHandle",
];

/// The fields of `UrlRedirectInput`.
pub(super) const REDIRECT_INPUT: &[&str] = &["path", "target"];

/// Sets metafields from a `[MetafieldInput]`, replacing same namespace + key.
pub(super) fn set_metafields(obj: &mut Value, input: Option<&Value>) {
    let mut list = obj["__metafields"].as_array().cloned().unwrap_or_default();
    for m in input.and_then(Value::as_array).into_iter().flatten() {
        list.retain(|x| !(x["namespace"] == m["namespace"] && x["key"] == m["key"]));
        list.push(json!({ "__typename": "Metafield", "namespace": m["namespace"], "key": m["key"],
            "type": m.get("type").cloned().unwrap_or(json!("single_line_text_field")), "value": m["value"] }));
    }
    obj["__metafields"] = Value::Array(list);
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Shopify keeps collection handles unique by appending `-1`, `-2`, ... to a taken one (no
/// error): a client that creates twice gets two collections, which is what the creation log
/// is there to catch.
fn free_collection_handle(s: &Store, wanted: &str, except: Option<u64>) -> String {
    let taken = |h: &str| {
        s.collections
            .iter()
            .any(|(id, c)| Some(*id) != except && c["handle"].as_str() == Some(h))
    };
    if !taken(wanted) {
        return wanted.to_string();
    }
    (1..)
        .map(|n| format!("{wanted}-{n}"))
        .find(|h| !taken(h))
        .unwrap_or_else(|| wanted.to_string())
}

/// collectionCreate (`update` false) or collectionUpdate (`update` true).
pub(super) fn collection_save(
    s: &mut Store,
    created: &CreationLog,
    input: &Value,
    update: bool,
) -> Result<Value, Vec<Value>> {
    const T: &str = "UserError";
    let existing = if update {
        let id = input
            .get("id")
            .and_then(Value::as_str)
            .and_then(gid_number)
            .filter(|n| s.collections.contains_key(n));
        if id.is_none() {
            return Err(vec![user_error(
                T,
                json!(["id"]),
                "Collection does not exist",
                "NOT_FOUND",
            )]);
        }
        id
    } else {
        if input.get("id").is_some_and(|v| !v.is_null()) {
            return Err(vec![user_error(
                T,
                json!(["id"]),
                "Cannot specify an ID when creating a collection",
                "INVALID",
            )]);
        }
        None
    };
    let title = str_of(input, "title");
    if existing.is_none() && title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(vec![user_error(
            T,
            json!(["title"]),
            "Title can't be blank",
            "BLANK",
        )]);
    }
    let id = existing.unwrap_or_else(|| s.id());
    let mut c = s.collections.get(&id).cloned().unwrap_or_else(|| {
        json!({
            "__typename": "Collection", "id": format!("gid://shopify/Collection/{id}"), "handle": "", "title": "",
            "descriptionHtml": "", "description": "", "seo": { "__typename": "SEO", "title": null, "description": null },
            "image": null, "sortOrder": "BEST_SELLING", "templateSuffix": null, "updatedAt": now(),
            "__metafields": [], "productsCount": { "__typename": "Count", "count": 0, "precision": "EXACT" },
        })
    });
    let requested = str_of(input, "handle")
        .filter(|h| !h.is_empty())
        .map(|h| slugify(&h))
        .or_else(|| (existing.is_none()).then(|| slugify(title.as_deref().unwrap_or(""))));
    if let Some(h) = &requested {
        c["handle"] = json!(free_collection_handle(s, h, Some(id)));
    }
    for k in ["title", "sortOrder", "templateSuffix"] {
        if let Some(v) = input.get(k) {
            c[k] = v.clone();
        }
    }
    if let Some(d) = input.get("descriptionHtml").and_then(Value::as_str) {
        c["descriptionHtml"] = json!(d);
        c["description"] = json!(strip_tags(d));
    }
    if let Some(seo) = input.get("seo") {
        c["seo"] = json!({ "__typename": "SEO", "title": seo.get("title").cloned().unwrap_or(Value::Null), "description": seo.get("description").cloned().unwrap_or(Value::Null) });
    }
    if let Some(img) = input.get("image") {
        c["image"] = match str_of(img, "src") {
            Some(src) => {
                json!({ "__typename": "Image", "url": src, "altText": img.get("altText").cloned().unwrap_or(Value::Null) })
            }
            None => Value::Null,
        };
    }
    set_metafields(&mut c, input.get("metafields"));
    c["updatedAt"] = json!(now());
    if existing.is_none() {
        created.record("collections", requested.as_deref().unwrap_or(""));
    }
    s.collections.insert(id, c.clone());
    Ok(c)
}

/// pageCreate (`id` None) or pageUpdate.
pub(super) fn page_save(
    s: &mut Store,
    created: &CreationLog,
    id: Option<&str>,
    input: &Value,
) -> Result<Value, Vec<Value>> {
    const T: &str = "PageCreateUserError";
    let existing = match id {
        Some(gid) => {
            let n = gid_number(gid).filter(|n| s.pages.contains_key(n));
            if n.is_none() {
                return Err(vec![user_error(
                    "PageUpdateUserError",
                    json!(["id"]),
                    "Page does not exist",
                    "NOT_FOUND",
                )]);
            }
            n
        }
        None => None,
    };
    let title = str_of(input, "title");
    let mut errors = vec![];
    if existing.is_none() && title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        errors.push(user_error(
            T,
            json!(["page", "title"]),
            "Title can't be blank",
            "BLANK",
        ));
    }
    let handle = str_of(input, "handle")
        .filter(|h| !h.is_empty())
        .map(|h| slugify(&h))
        .or_else(|| (existing.is_none()).then(|| slugify(title.as_deref().unwrap_or(""))));
    if let Some(h) = &handle {
        if s.pages
            .iter()
            .any(|(n, p)| Some(*n) != existing && p["handle"].as_str() == Some(h))
        {
            errors.push(user_error(
                T,
                json!(["page", "handle"]),
                "Handle has already been taken",
                "TAKEN",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let n = existing.unwrap_or_else(|| s.id());
    let mut p = s.pages.get(&n).cloned().unwrap_or_else(|| {
        json!({
            "__typename": "Page", "id": format!("gid://shopify/Page/{n}"), "title": "", "handle": "", "body": "",
            "bodySummary": "", "isPublished": true, "publishedAt": now(), "createdAt": now(), "updatedAt": now(),
            "templateSuffix": null, "__metafields": [],
        })
    });
    if let Some(h) = &handle {
        p["handle"] = json!(h);
    }
    for k in ["title", "templateSuffix"] {
        if let Some(v) = input.get(k) {
            p[k] = v.clone();
        }
    }
    if let Some(b) = input.get("body").and_then(Value::as_str) {
        p["body"] = json!(b);
        p["bodySummary"] = json!(strip_tags(b).chars().take(150).collect::<String>());
    }
    if let Some(published) = input.get("isPublished").and_then(Value::as_bool) {
        p["isPublished"] = json!(published);
        p["publishedAt"] = if published {
            input
                .get("publishDate")
                .cloned()
                .filter(|d| !d.is_null())
                .unwrap_or_else(|| json!(now()))
        } else {
            Value::Null
        };
    }
    set_metafields(&mut p, input.get("metafields"));
    p["updatedAt"] = json!(now());
    if existing.is_none() {
        created.record("pages", handle.as_deref().unwrap_or(""));
    }
    s.pages.insert(n, p.clone());
    Ok(p)
}

/// What is wrong with a redirect's path and target, in Shopify's words.
fn redirect_problems(path: Option<&str>, target: Option<&str>, creating: bool) -> Vec<Value> {
    const T: &str = "UrlRedirectUserError";
    let mut errors = vec![];
    match path {
        None | Some("") if creating => errors.push(user_error(
            T,
            json!(["urlRedirect", "path"]),
            "Path can't be blank",
            "CREATE_FAILED",
        )),
        Some(p) if !p.is_empty() && !p.starts_with('/') && !p.contains("://") => {
            errors.push(user_error(
                T,
                json!(["urlRedirect", "path"]),
                "Path must start with a slash",
                "CREATE_FAILED",
            ))
        }
        _ => {}
    }
    match target {
        None | Some("") if creating => errors.push(user_error(
            T,
            json!(["urlRedirect", "target"]),
            "Target can't be blank",
            "CREATE_FAILED",
        )),
        _ => {}
    }
    if let (Some(p), Some(t)) = (path, target) {
        if !p.is_empty() && p == t {
            errors.push(user_error(
                T,
                json!(["urlRedirect", "target"]),
                "Target cannot redirect to the same path",
                "CREATE_FAILED",
            ));
        }
    }
    errors
}

/// urlRedirectCreate (`id` None) or urlRedirectUpdate.
pub(super) fn redirect_save(
    s: &mut Store,
    created: &CreationLog,
    id: Option<&str>,
    input: &Value,
) -> Result<Value, Vec<Value>> {
    let existing = match id {
        Some(gid) => {
            let n = gid_number(gid).filter(|n| s.redirects.contains_key(n));
            if n.is_none() {
                return Err(vec![user_error(
                    "UrlRedirectUserError",
                    json!(["id"]),
                    "Redirect does not exist",
                    "DOES_NOT_EXIST",
                )]);
            }
            n
        }
        None => None,
    };
    let path = str_of(input, "path");
    let target = str_of(input, "target");
    let mut errors = redirect_problems(path.as_deref(), target.as_deref(), existing.is_none());
    if let Some(p) = &path {
        if s.redirects
            .iter()
            .any(|(n, r)| Some(*n) != existing && r["path"].as_str() == Some(p))
        {
            errors.push(user_error(
                "UrlRedirectUserError",
                json!(["urlRedirect", "path"]),
                "Path has already been taken",
                "CREATE_FAILED",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let n = existing.unwrap_or_else(|| s.id());
    let mut r = s.redirects.get(&n).cloned().unwrap_or_else(|| {
        json!({ "__typename": "UrlRedirect", "id": format!("gid://shopify/UrlRedirect/{n}"), "path": "", "target": "" })
    });
    if let Some(p) = &path {
        r["path"] = json!(p);
    }
    if let Some(t) = &target {
        r["target"] = json!(t);
    }
    if existing.is_none() {
        created.record("redirects", path.as_deref().unwrap_or(""));
    }
    s.redirects.insert(n, r.clone());
    Ok(r)
}

/// How one row of a redirect import went.
pub(super) enum ImportRow {
    Created,
    Updated,
    Failed,
}

/// One CSV row of a redirect import: an existing path is updated, a new one created.
pub(super) fn import_redirect(
    s: &mut Store,
    created: &CreationLog,
    path: &str,
    target: &str,
) -> ImportRow {
    if !redirect_problems(Some(path), Some(target), true).is_empty() {
        return ImportRow::Failed;
    }
    let existing = s
        .redirects
        .iter()
        .find(|(_, r)| r["path"].as_str() == Some(path))
        .map(|(n, r)| (*n, r["id"].as_str().unwrap_or("").to_string()));
    let input = json!({ "path": path, "target": target });
    match existing {
        Some((_, gid)) => match redirect_save(s, created, Some(&gid), &input) {
            Ok(_) => ImportRow::Updated,
            Err(_) => ImportRow::Failed,
        },
        None => match redirect_save(s, created, None, &input) {
            Ok(_) => ImportRow::Created,
            Err(_) => ImportRow::Failed,
        },
    }
}

/// Deletes by global id from one of the store's maps; `true` when something was removed.
pub(super) fn remove(map: &mut std::collections::BTreeMap<u64, Value>, gid: &str) -> bool {
    gid_number(gid).is_some_and(|n| map.remove(&n).is_some())
}
