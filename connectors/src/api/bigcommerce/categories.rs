//! Categories through the Catalog Trees API (`/catalog/trees`, `/catalog/trees/categories`):
//! the tree of the store's default channel, read whole (every page) into an index, since
//! products name their categories by id and a path needs every ancestor. As a target a
//! category is found by its name under the same parent (BigCommerce keeps sibling names
//! unique), so a rerun or a resumed load updates what an earlier one created.
//!
//! The document offers no date filter on categories, so a sync reads the tree whole and the
//! caller skips unchanged categories by content hash.

use super::wire::{parse, Collection, ProductReply};
use super::{error_text, text, BigCommerceClient};
use crate::api::http::{CallError, Reply, Safety};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage, WriteOutcome};
use crate::model::{Category, Entity, Platform, Record, Seo, SourceRef};
use crate::platform::bigcommerce::{MAX_CATEGORY_DEPTH, MAX_CATEGORY_NAME_LEN};
use crate::platform::url_path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(super) const PATH: &str = "/catalog/trees/categories";

/// The channel whose tree is the store's catalog (BigCommerce's default storefront).
const DEFAULT_CHANNEL: u64 = 1;

#[derive(Debug, Clone, Deserialize)]
pub struct TreeReply {
    pub id: u64,
    #[serde(default)]
    pub channels: Option<Vec<u64>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CategoryUrl {
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CategoryReply {
    pub category_id: u64,
    pub parent_id: u64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sort_order: Option<i64>,
    #[serde(default)]
    pub page_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub url: Option<CategoryUrl>,
}

/// A category listed by id only (finding deletions).
#[derive(Debug, Clone, Deserialize)]
pub struct CategoryId {
    pub category_id: u64,
}

/// One item of `POST` (with `name`, `parent_id`, `tree_id`) or `PUT` (with `category_id`)
/// `/catalog/trees/categories`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CategoryBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Both sent on a create: the document's schema requires the pair (`anyOf` of one
    /// `required: [tree_id, parent_id]`), a top-level category with `parent_id` 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

impl CategoryBody {
    /// The fields a category record carries beyond its place in the tree.
    fn with_details(mut self, c: &Category) -> Self {
        self.description = Some(c.description_html.clone()).filter(|d| !d.is_empty());
        self.sort_order = c.position;
        self.page_title = c.seo.title.clone().filter(|t| !t.trim().is_empty());
        self.meta_description = c.seo.description.clone().filter(|t| !t.trim().is_empty());
        // "Must be either a full-qualified URL or an empty string."
        self.image_url = c
            .image
            .clone()
            .filter(|i| i.starts_with("http://") || i.starts_with("https://"));
        self
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Every category of one tree, by id.
#[derive(Debug, Default)]
pub struct CategoryTree {
    pub tree_id: u64,
    nodes: BTreeMap<u64, CategoryReply>,
}

impl CategoryTree {
    pub fn insert(&mut self, c: CategoryReply) {
        self.nodes.insert(c.category_id, c);
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Names from the root down to `id` (a broken parent chain stops where it breaks).
    pub fn path_of(&self, id: u64) -> Vec<String> {
        let mut path = vec![];
        let mut at = id;
        while let Some(c) = self.nodes.get(&at) {
            path.push(c.name.trim().to_string());
            if c.parent_id == 0 || path.len() > MAX_CATEGORY_DEPTH * 2 {
                break;
            }
            at = c.parent_id;
        }
        path.reverse();
        path
    }

    /// A product's `categories` as paths from the root; ids of another tree are left out.
    pub fn paths_of(&self, ids: &[u64]) -> Vec<Vec<String>> {
        ids.iter()
            .map(|id| self.path_of(*id))
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// The category named `name` (case aside) directly under `parent` (0: the root).
    pub fn child(&self, parent: u64, name: &str) -> Option<u64> {
        self.nodes
            .values()
            .find(|c| c.parent_id == parent && key(&c.name) == key(name))
            .map(|c| c.category_id)
    }

    /// The id of the category at `path`, if the tree has it.
    pub fn id_of(&self, path: &[String]) -> Option<u64> {
        let mut parent = 0u64;
        for name in path {
            parent = self.child(parent, name)?;
        }
        (parent != 0).then_some(parent)
    }

    /// The category with this id as a record.
    pub fn get(&self, id: u64) -> Option<Category> {
        let c = self.nodes.get(&id)?;
        // BigCommerce makes a category's URL from its whole path ("/men/shirts/"); the
        // handle is its own last segment.
        let url = c
            .url
            .as_ref()
            .and_then(|u| u.path.as_deref())
            .unwrap_or("")
            .trim_matches('/');
        let handle = url.rsplit('/').next().unwrap_or("").to_string();
        Some(Category {
            source: SourceRef::with_url(
                id.to_string(),
                url_path(Platform::BigCommerce, Entity::Categories, url, &[]),
            ),
            handle,
            path: self.path_of(id),
            description_html: c.description.clone().unwrap_or_default(),
            seo: Seo {
                title: text(c.page_title.as_ref()),
                description: text(c.meta_description.as_ref()),
            },
            position: c.sort_order.filter(|s| *s != 0),
            image: text(c.image_url.as_ref()),
        })
    }

    /// The category whose URL ends in `handle`.
    pub fn by_handle(&self, handle: &str) -> Option<u64> {
        self.nodes
            .values()
            .find(|c| {
                c.url
                    .as_ref()
                    .and_then(|u| u.path.as_deref())
                    .map(|p| p.trim_matches('/').rsplit('/').next() == Some(handle))
                    .unwrap_or(false)
            })
            .map(|c| c.category_id)
    }

    /// Parents before children, so a target can link each category to one it already has.
    pub fn page(&self, cursor: Option<&Cursor>, limit: usize) -> SourcePage {
        let mut ids: Vec<u64> = self.nodes.keys().copied().collect();
        ids.sort_by_key(|id| (self.path_of(*id).len(), *id));
        SourcePage::indexed(&ids, cursor, limit, |id| {
            self.get(*id).map(Record::Category)
        })
    }
}

/// Why a category path cannot be held, before anything is sent.
pub fn path_refusal(path: &[String]) -> Option<String> {
    if path.len() > MAX_CATEGORY_DEPTH {
        return Some(format!(
            "category \"{}\" is {} levels deep; BigCommerce takes at most {MAX_CATEGORY_DEPTH}",
            path.join(" > "),
            path.len()
        ));
    }
    for name in path {
        let n = name.trim().chars().count();
        if n == 0 {
            return Some(format!(
                "category \"{}\" has an empty name; BigCommerce requires one",
                path.join(" > ")
            ));
        }
        if n > MAX_CATEGORY_NAME_LEN {
            return Some(format!(
                "category name {name:?} is {n} characters; BigCommerce takes at most {MAX_CATEGORY_NAME_LEN}: shorten it in the source"
            ));
        }
    }
    None
}

/// The category endpoints' error body, `{errors: {title, errors: {...}}}`; other shapes are
/// read as the product endpoints' `{title, errors}`.
pub(super) fn category_error(reply: &Reply) -> String {
    match reply.body.get("errors").filter(|e| e.is_object()) {
        Some(inner) => {
            let r = Reply {
                status: reply.status,
                headers: reply.headers.clone(),
                body: inner.clone(),
            };
            error_text(&r)
        }
        None => error_text(reply),
    }
}

impl BigCommerceClient {
    /// The tree of the default channel (the first tree when none names it).
    pub(super) async fn tree_id(&self) -> Result<u64> {
        // The document gives this list no `page` or `limit`: one request has every tree.
        let trees: Vec<TreeReply> = self
            .get_as::<Collection<TreeReply>>("/catalog/trees", &[])
            .await?
            .data;
        trees
            .iter()
            .find(|t| {
                t.channels
                    .as_ref()
                    .is_some_and(|c| c.contains(&DEFAULT_CHANNEL))
            })
            .or(trees.first())
            .map(|t| t.id)
            .ok_or_else(|| {
                ConnectorError::Remote(
                    "BigCommerce GET /catalog/trees: the store has no category tree".into(),
                )
            })
    }

    /// The whole tree of the default channel, every page.
    pub(super) async fn category_tree(&self) -> Result<CategoryTree> {
        let tree_id = self.tree_id().await?;
        let all: Vec<CategoryReply> = self
            .get_all(PATH, &[("tree_id:in", tree_id.to_string())])
            .await?;
        let mut tree = CategoryTree {
            tree_id,
            nodes: BTreeMap::new(),
        };
        for c in all {
            tree.insert(c);
        }
        Ok(tree)
    }

    /// Category ids of the default channel's tree.
    pub(super) async fn category_ids(&self) -> Result<Vec<String>> {
        let tree_id = self.tree_id().await?;
        let all: Vec<CategoryId> = self
            .get_all(
                PATH,
                &[
                    ("tree_id:in", tree_id.to_string()),
                    ("include_fields", "name".into()),
                ],
            )
            .await?;
        Ok(all.into_iter().map(|c| c.category_id.to_string()).collect())
    }

    /// The categories of a page of products, as paths.
    pub(super) fn product_paths(tree: &CategoryTree, p: &ProductReply) -> Vec<Vec<String>> {
        tree.paths_of(p.categories.as_deref().unwrap_or_default())
    }

    /// The category named `name` under `parent`, read from the store (every page), into the
    /// kept tree.
    async fn find_category(
        &self,
        tree: &mut CategoryTree,
        parent: u64,
        name: &str,
    ) -> Result<Option<u64>> {
        let found: Vec<CategoryReply> = self
            .get_all(
                PATH,
                &[
                    ("tree_id:in", tree.tree_id.to_string()),
                    ("parent_id:in", parent.to_string()),
                    ("name", name.to_string()),
                ],
            )
            .await?;
        Ok(found
            .into_iter()
            .find(|c| c.parent_id == parent && key(&c.name) == key(name))
            .map(|c| {
                let id = c.category_id;
                tree.insert(c);
                id
            }))
    }

    /// One category created under `parent`; after an ambiguous failure it is looked up by
    /// name under that parent before any second POST, so it is never created twice.
    /// `Ok(Err(message))`: BigCommerce refused it.
    pub(super) async fn create_category(
        &self,
        tree: &mut CategoryTree,
        parent: u64,
        body: CategoryBody,
    ) -> Result<std::result::Result<u64, String>> {
        let name = body.name.clone().unwrap_or_default();
        let json = serde_json::to_value([&body]).map_err(|e| {
            ConnectorError::Input(format!("cannot write a BigCommerce request: {e}"))
        })?;
        for attempt in 0..=self.http.config().max_retries {
            if attempt > 0 {
                self.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.find_category(tree, parent, &name).await? {
                    return Ok(Ok(id));
                }
            }
            match self
                .call(
                    reqwest::Method::POST,
                    PATH,
                    &[],
                    Some(&json),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) if r.status.is_success() => {
                    let c: Collection<CategoryReply> =
                        parse("POST /catalog/trees/categories", &r.body)
                            .map_err(ConnectorError::Remote)?;
                    let Some(c) = c.data.into_iter().next() else {
                        return Ok(Err(category_error(&r)));
                    };
                    let id = c.category_id;
                    tree.insert(c);
                    return Ok(Ok(id));
                }
                Ok(r) if matches!(r.status.as_u16(), 401 | 403) => {
                    // Credentials, not this category: the whole run must hear about it.
                    return Err(ConnectorError::Remote(format!(
                        "BigCommerce POST {PATH}: {}",
                        category_error(&r)
                    )));
                }
                Ok(r) => {
                    // Another writer (a products batch running beside the categories) may
                    // have made it since the tree was read: sibling names are unique.
                    if r.status.as_u16() == 422 {
                        if let Some(id) = self.find_category(tree, parent, &name).await? {
                            return Ok(Ok(id));
                        }
                    }
                    return Ok(Err(category_error(&r)));
                }
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!("category create ambiguous ({m}); looking it up first");
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Err(ConnectorError::Remote(format!(
            "BigCommerce did not confirm category \"{name}\" after repeated attempts"
        )))
    }

    /// The id of the category at `path`, creating each missing level, parents first.
    /// `leaf` gives the fields of the last level when it is created.
    pub(super) async fn ensure_path(
        &self,
        tree: &mut CategoryTree,
        path: &[String],
        leaf: Option<&Category>,
    ) -> Result<std::result::Result<u64, String>> {
        if let Some(why) = path_refusal(path) {
            return Ok(Err(why));
        }
        let mut parent = 0u64;
        for (depth, name) in path.iter().enumerate() {
            if let Some(id) = tree.child(parent, name) {
                parent = id;
                continue;
            }
            let mut body = CategoryBody {
                name: Some(name.trim().to_string()),
                parent_id: Some(parent),
                tree_id: Some(tree.tree_id),
                ..Default::default()
            };
            if depth + 1 == path.len() {
                if let Some(c) = leaf {
                    body = body.with_details(c);
                }
            }
            match self.create_category(tree, parent, body).await? {
                Ok(id) => parent = id,
                Err(why) => {
                    return Ok(Err(format!(
                        "category \"{}\": {why}",
                        path[..=depth].join(" > ")
                    )))
                }
            }
        }
        Ok(Ok(parent))
    }

    /// A category record written: created (with any missing parents) or, when the tree has
    /// its path already, its details updated.
    pub(super) async fn write_category(
        &self,
        tree: &mut CategoryTree,
        c: &Category,
    ) -> Result<WriteOutcome> {
        if c.path.is_empty() {
            return Ok(WriteOutcome::Failed {
                message: "the category has no name; BigCommerce requires one".into(),
            });
        }
        let existing = tree.id_of(&c.path);
        let id = match self.ensure_path(tree, &c.path, Some(c)).await? {
            Ok(id) => id,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        let target_id = id.to_string();
        if existing.is_none() {
            return Ok(WriteOutcome::Created { target_id });
        }
        let body = CategoryBody {
            category_id: Some(id),
            ..Default::default()
        }
        .with_details(c);
        let json = serde_json::to_value([&body]).map_err(|e| {
            ConnectorError::Input(format!("cannot write a BigCommerce request: {e}"))
        })?;
        let r = self
            .call(
                reqwest::Method::PUT,
                PATH,
                &[],
                Some(&json),
                Safety::Idempotent,
            )
            .await?;
        Ok(if r.status.is_success() {
            WriteOutcome::Updated { target_id }
        } else {
            WriteOutcome::Failed {
                message: category_error(&r),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u64, parent: u64, name: &str) -> CategoryReply {
        CategoryReply {
            category_id: id,
            parent_id: parent,
            name: name.into(),
            description: None,
            sort_order: None,
            page_title: None,
            meta_description: None,
            image_url: None,
            url: Some(CategoryUrl {
                path: Some(format!("/x/{}/", name.to_lowercase())),
            }),
        }
    }

    #[test]
    fn paths_are_read_from_the_root_and_found_by_name_under_the_same_parent() {
        let mut t = CategoryTree::default();
        for n in [
            node(1, 0, "Men"),
            node(2, 1, "Shirts"),
            node(3, 0, "Women"),
            node(4, 3, "Shirts"),
        ] {
            t.insert(n);
        }
        assert_eq!(t.path_of(4), vec!["Women", "Shirts"]);
        assert_eq!(
            t.paths_of(&[2, 99, 3]),
            vec![
                vec!["Men".to_string(), "Shirts".into()],
                vec!["Women".into()]
            ]
        );
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(t.id_of(&p(&["women", "SHIRTS"])), Some(4));
        assert_eq!(t.id_of(&p(&["Shirts"])), None);
        assert_eq!(t.get(4).map(|c| c.handle), Some("shirts".into()));
        let page = t.page(None, 10);
        let order: Vec<String> = page.records.iter().map(|r| r.label()).collect();
        assert_eq!(order, ["Men", "Women", "Men > Shirts", "Women > Shirts"]);
    }

    #[test]
    fn names_bigcommerce_would_refuse_are_said_before_sending() {
        let long = "n".repeat(MAX_CATEGORY_NAME_LEN + 1);
        assert!(path_refusal(&["A".into(), long])
            .unwrap()
            .contains("at most 50"));
        assert!(path_refusal(&["A".into(), " ".into()])
            .unwrap()
            .contains("empty name"));
        assert_eq!(path_refusal(&["A".into(), "B".into()]), None);
    }
}
