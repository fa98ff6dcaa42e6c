//! Categories ↔ custom collections, pages, redirects: the GraphQL fields read, the node →
//! canonical mapping and the canonical → input mapping.

use super::nonempty;
use super::reply::{CollectionNode, MetafieldValue, PageNode, RedirectNode};
use crate::model::*;
use crate::platform::shopify as facts;
use crate::platform::url_path;
use serde_json::{json, Value};

// The fields read here are selected in `documents.rs` (COLLECTION_FIELDS, PAGE_FIELDS,
// REDIRECT_FIELDS).

/// Shopify collections are flat: a category tree flattens here. The collection takes the
/// category's own name as its title and keeps the whole path (root → category) in a
/// `storeshift.category_path` list metafield, so reading the store back rebuilds the tree.
/// A collection made in the admin (no such metafield), or renamed since (the path no longer
/// ends in its title), is a root category.
pub(super) fn category_path(title: &str, tree_path: Option<&MetafieldValue>) -> Vec<String> {
    tree_path
        .and_then(|m| serde_json::from_str::<Vec<String>>(&m.value).ok())
        .filter(|p| p.last().map(String::as_str) == Some(title))
        .unwrap_or_else(|| vec![title.to_string()])
}

pub(super) fn category_from(node: &CollectionNode) -> Category {
    let handle = node.handle.clone();
    Category {
        source: SourceRef::with_url(
            node.id.clone(),
            url_path(Platform::Shopify, Entity::Categories, &handle, &[]),
        ),
        handle,
        path: category_path(&node.title, node.tree_path.as_ref()),
        description_html: node.description_html.clone(),
        seo: Seo {
            title: nonempty(node.seo.title.as_deref()),
            description: nonempty(node.seo.description.as_deref()),
        },
        position: None,
        image: node.image.as_ref().map(|i| i.url.clone()),
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

pub(super) fn page_from(node: &PageNode) -> Page {
    let handle = node.handle.clone();
    Page {
        source: SourceRef::with_url(
            node.id.clone(),
            url_path(Platform::Shopify, Entity::Pages, &handle, &[]),
        ),
        handle,
        title: node.title.clone(),
        body_html: node.body.clone(),
        published: node.is_published,
        seo: Seo {
            title: node.seo_title.as_ref().map(|m| m.value.clone()),
            description: node.seo_description.as_ref().map(|m| m.value.clone()),
        },
        created_at: crate::api::time(Some(node.created_at.clone())),
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

pub(super) fn redirect_from(node: &RedirectNode) -> Redirect {
    Redirect {
        source: SourceRef::new(node.id.clone()),
        from: node.path.clone(),
        to: node.target.clone(),
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
        let stored = MetafieldValue {
            value: input["metafields"][0]["value"]
                .as_str()
                .expect("a string")
                .to_string(),
        };
        assert_eq!(category_path("Tshirts", Some(&stored)), c.path);
        assert_eq!(
            category_path("Tees", Some(&stored)),
            vec!["Tees"],
            "a renamed collection is a root"
        );
        assert_eq!(category_path("Tees", None), vec!["Tees"]);
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
