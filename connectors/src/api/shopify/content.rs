//! Categories ↔ custom collections, pages, redirects: the GraphQL fields read, the node →
//! canonical mapping and the canonical → input mapping.

use super::s;
use crate::model::*;
use crate::platform::shopify as facts;
use crate::platform::url_path;
use serde_json::{json, Value};

// The fields read here are selected in `documents.rs` (COLLECTION_FIELDS, PAGE_FIELDS,
// REDIRECT_FIELDS).

/// Shopify collections are flat: a category tree flattens here. The collection takes the
/// category's own name as its title and keeps the whole path (root → category) in a
/// `storeshift.category_path` list metafield, so reading the store back rebuilds the tree.
/// A collection made in the admin has no such metafield and is a root category.
pub(super) fn category_from(node: &Value) -> Category {
    let handle = s(node, "handle").unwrap_or_default();
    let title = s(node, "title").unwrap_or_default();
    let path = node
        .pointer("/treePath/value")
        .and_then(Value::as_str)
        .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .filter(|p| p.last() == Some(&title))
        .unwrap_or_else(|| vec![title.clone()]);
    Category {
        source: SourceRef::with_url(
            s(node, "id").unwrap_or_default(),
            url_path(Platform::Shopify, Entity::Categories, &handle, &[]),
        ),
        handle,
        path,
        description_html: s(node, "descriptionHtml").unwrap_or_default(),
        seo: Seo {
            title: s(&node["seo"], "title"),
            description: s(&node["seo"], "description"),
        },
        position: None,
        image: node
            .pointer("/image/url")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

pub(super) fn collection_input(c: &Category, id: Option<&str>) -> Value {
    let mut input = json!({
        "handle": c.handle,
        "title": c.name(),
        "descriptionHtml": c.description_html,
        "metafields": [{ "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CATEGORY_PATH_KEY,
                         "type": "list.single_line_text_field", "value": json!(c.path).to_string() }],
    });
    if let Some(id) = id {
        input["id"] = json!(id);
    }
    if !c.seo.is_empty() {
        input["seo"] = json!({ "title": c.seo.title, "description": c.seo.description });
    }
    if let Some(img) = &c.image {
        input["image"] = json!({ "src": img, "altText": c.name() });
    }
    input
}

pub(super) fn page_from(node: &Value) -> Page {
    let handle = s(node, "handle").unwrap_or_default();
    Page {
        source: SourceRef::with_url(
            s(node, "id").unwrap_or_default(),
            url_path(Platform::Shopify, Entity::Pages, &handle, &[]),
        ),
        handle,
        title: s(node, "title").unwrap_or_default(),
        body_html: s(node, "body").unwrap_or_default(),
        published: node["isPublished"].as_bool().unwrap_or(true),
        seo: Seo {
            title: node
                .pointer("/seoTitle/value")
                .and_then(Value::as_str)
                .map(str::to_string),
            description: node
                .pointer("/seoDescription/value")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        created_at: crate::api::time(s(node, "createdAt")),
    }
}

/// A page's SEO title and description are the `global.title_tag` / `global.description_tag`
/// metafields, as the admin's "search engine listing" stores them.
pub(super) fn page_input(p: &Page) -> Value {
    let mut metafields = vec![];
    if let Some(t) = &p.seo.title {
        metafields.push(json!({ "namespace": "global", "key": "title_tag", "type": "single_line_text_field", "value": t }));
    }
    if let Some(d) = &p.seo.description {
        metafields.push(json!({ "namespace": "global", "key": "description_tag", "type": "multi_line_text_field", "value": d }));
    }
    json!({
        "handle": p.handle,
        "title": p.title,
        "body": p.body_html,
        "isPublished": p.published,
        "metafields": metafields,
    })
}

pub(super) fn redirect_from(node: &Value) -> Redirect {
    Redirect {
        source: SourceRef::new(s(node, "id").unwrap_or_default()),
        from: s(node, "path").unwrap_or_default(),
        to: s(node, "target").unwrap_or_default(),
    }
}

pub(super) fn redirect_input(r: &Redirect) -> Value {
    json!({ "path": r.from, "target": r.to })
}

/// A Shopify search term `field:"value"` (the value quoted so spaces and colons are kept).
pub(super) fn search_term(field: &str, value: &str) -> String {
    if value.contains('"') {
        format!("{field}:'{value}'")
    } else {
        format!("{field}:\"{value}\"")
    }
}

/// The redirect import's CSV: `Redirect from,Redirect to`, one row per redirect.
pub(super) fn redirect_csv(redirects: &[&Redirect]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    let _ = w.write_record(["Redirect from", "Redirect to"]);
    for r in redirects {
        let _ = w.write_record([r.from.as_str(), r.to.as_str()]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_path_survives_the_flat_collection() {
        let c = Category {
            handle: "tshirts".into(),
            path: vec!["Clothing".into(), "Tshirts".into()],
            ..Default::default()
        };
        let input = collection_input(&c, None);
        assert_eq!(input["title"], "Tshirts");
        let node = json!({ "id": "gid://shopify/Collection/1", "handle": "tshirts", "title": "Tshirts",
            "treePath": { "value": input["metafields"][0]["value"] } });
        assert_eq!(category_from(&node).path, c.path);
        let renamed = json!({ "handle": "tshirts", "title": "Tees", "treePath": { "value": "[\"Clothing\",\"Tshirts\"]" } });
        assert_eq!(
            category_from(&renamed).path,
            vec!["Tees"],
            "a renamed collection is a root"
        );
    }

    #[test]
    fn redirect_csv_quotes_what_needs_quoting() {
        let r = Redirect {
            from: "/a,b".into(),
            to: "/c".into(),
            ..Default::default()
        };
        let csv = String::from_utf8(redirect_csv(&[&r])).expect("utf-8");
        assert_eq!(csv, "Redirect from,Redirect to\n\"/a,b\",/c\n");
    }
}
