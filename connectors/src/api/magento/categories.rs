//! Categories: the store's tree read whole through `GET /V1/categories/list` (every page of the
//! search, stopping on `total_count`) into an index, since a product names its categories by id
//! in `extension_attributes.category_links` and a path needs every ancestor's name. Paths are
//! read and written below the store's root category (`options.root_category_id`, "Default
//! Category" by default); categories elsewhere in the tree (another store's root) are left out.
//!
//! As a target a category is found by its URL key under the same parent before it is created
//! (Magento refuses a second one: its URL would clash), by name when no URL key matches, so a
//! rerun, a resumed load or a retried create never makes one twice.

use super::reply;
use super::request::{AttributeValue, CategoryBody, SaveCategory};
use super::{criteria_any, Filter, MagentoClient};
use crate::api::http::{CallError, Safety};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage, WriteOutcome};
use crate::model::{Category, Entity, Platform, Record, Seo, SourceRef};
use crate::platform::magento::{PAGE_SIZE, URL_KEY_TAKEN};
use crate::platform::{normalize_handle, url_path};
use std::collections::{BTreeMap, HashSet};

pub(super) const LIST: &str = "/categories/list";

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Every category of the store's tree, by id, and the root paths are read below.
#[derive(Debug, Default)]
pub(crate) struct CategoryTree {
    root: u64,
    nodes: BTreeMap<u64, reply::Category>,
}

impl CategoryTree {
    pub fn new(root: u64) -> Self {
        CategoryTree {
            root,
            nodes: BTreeMap::new(),
        }
    }

    pub fn insert(&mut self, c: reply::Category) {
        self.nodes.insert(c.id, c);
    }

    /// Names from below the root down to `id`; `None` when `id` is not below the root (or
    /// its parent chain is broken).
    pub fn path_of(&self, id: u64) -> Option<Vec<String>> {
        let mut path = vec![];
        let mut at = id;
        while at != self.root {
            let c = self.nodes.get(&at)?;
            path.push(c.name.trim().to_string());
            // A chain longer than the tree has nodes loops.
            if path.len() > self.nodes.len() {
                return None;
            }
            at = c.parent_id;
        }
        path.reverse();
        (!path.is_empty()).then_some(path)
    }

    /// A product's categories as paths; links to categories outside the root are left out.
    pub fn paths_of(&self, ids: &[u64]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = vec![];
        for p in ids.iter().filter_map(|id| self.path_of(*id)) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The ids below the root, parents before children (then by id), so a target reading
    /// them in order always has a category's parent first.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<(usize, u64)> = self
            .nodes
            .keys()
            .filter_map(|id| self.path_of(*id).map(|p| (p.len(), *id)))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    pub fn len(&self) -> usize {
        self.ids().len()
    }

    /// The child of `parent` with URL key `url_key`, else the one named `name` (case aside).
    pub fn child(&self, parent: u64, url_key: &str, name: &str) -> Option<u64> {
        let under = || self.nodes.values().filter(move |c| c.parent_id == parent);
        under()
            .find(|c| c.custom("url_key").as_deref() == Some(url_key))
            .or_else(|| under().find(|c| key(&c.name) == key(name)))
            .map(|c| c.id)
    }

    /// The id of the category at `path` (names), if the tree has it.
    pub fn id_of(&self, path: &[String]) -> Option<u64> {
        let mut parent = self.root;
        for name in path {
            parent = self.child(parent, &url_key_of(name), name)?;
        }
        (parent != self.root).then_some(parent)
    }

    /// The category with this id as a record (`None` outside the root).
    pub fn get(&self, id: u64) -> Option<Category> {
        let c = self.nodes.get(&id)?;
        let path = self.path_of(id)?;
        let handle = c.custom("url_key").unwrap_or_else(|| id.to_string());
        // Magento serves a category at its url_path (the parents' keys and its own) + ".html".
        let url = c.custom("url_path").unwrap_or_else(|| handle.clone());
        Some(Category {
            source: SourceRef::with_url(
                id.to_string(),
                url_path(Platform::Magento, Entity::Categories, &url, &[]),
            ),
            handle,
            path,
            description_html: c.custom("description").unwrap_or_default(),
            seo: Seo {
                title: c.custom("meta_title"),
                description: c.custom("meta_description"),
            },
            position: None,
            image: None,
        })
    }

    /// The ids of categories below the root with URL key `handle`.
    pub fn by_handle(&self, handle: &str) -> Vec<u64> {
        self.ids()
            .into_iter()
            .filter(|id| {
                self.nodes
                    .get(id)
                    .is_some_and(|c| c.custom("url_key").as_deref() == Some(handle))
            })
            .collect()
    }

    /// A page of categories, parents first; `only` keeps the ids a sync window selected.
    pub fn page(
        &self,
        only: Option<&HashSet<u64>>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> SourcePage {
        let ids: Vec<u64> = self
            .ids()
            .into_iter()
            .filter(|id| only.is_none_or(|o| o.contains(id)))
            .collect();
        SourcePage::indexed(&ids, cursor, limit, |id| {
            self.get(*id).map(Record::Category)
        })
    }
}

/// The URL key a category named `name` gets when the record has none of its own.
pub(crate) fn url_key_of(name: &str) -> String {
    normalize_handle(Platform::Magento, name)
}

impl MagentoClient {
    /// The whole category tree (every page of the list).
    pub(crate) async fn category_tree(&self) -> Result<CategoryTree> {
        let mut tree = CategoryTree::new(self.root_category_id);
        for c in self.categories_where(&[]).await? {
            tree.insert(c);
        }
        Ok(tree)
    }

    /// Every category a `/categories/list` search with `filters` (ORed) finds.
    pub(crate) async fn categories_where(
        &self,
        filters: &[Filter<'_>],
    ) -> Result<Vec<reply::Category>> {
        let mut out = vec![];
        let mut page = 1;
        loop {
            let found: reply::SearchResults<reply::Category> = self
                .get(LIST, &criteria_any(filters, (PAGE_SIZE, page)))
                .await?;
            let total = found.total_count as usize;
            // A page past the end repeats the last one: the count says when to stop.
            if (page - 1) * PAGE_SIZE < total {
                out.extend(found.items);
            }
            if page * PAGE_SIZE >= total {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// The children of `parent` read from the store into the tree (a category may have been
    /// made since the tree was read).
    async fn refresh_children(&self, tree: &mut CategoryTree, parent: u64) -> Result<()> {
        let parent_text = parent.to_string();
        for c in self
            .categories_where(&[Filter::eq("parent_id", &parent_text)])
            .await?
        {
            tree.insert(c);
        }
        Ok(())
    }

    /// One category created; after an ambiguous failure, or Magento's answer that the URL
    /// key is taken, it is looked up under its parent before anything is sent again.
    async fn create_category(
        &self,
        tree: &mut CategoryTree,
        body: &CategoryBody,
        url_key: &str,
    ) -> Result<std::result::Result<u64, String>> {
        let parent = body.parent_id;
        for attempt in 0..=self.http.config().max_retries {
            if attempt > 0 {
                self.http.wait_before_retry(attempt - 1, None).await;
                self.refresh_children(tree, parent).await?;
                if let Some(id) = tree.child(parent, url_key, &body.name) {
                    return Ok(Ok(id));
                }
            }
            let sent = self
                .write::<reply::Category, _>(
                    reqwest::Method::POST,
                    "/categories",
                    &SaveCategory { category: body },
                    Safety::Unsafe,
                )
                .await;
            match sent {
                Ok(Ok(c)) => {
                    let id = c.id;
                    tree.insert(c);
                    return Ok(Ok(id));
                }
                Ok(Err(r)) if r.message.contains(URL_KEY_TAKEN) => {
                    // Made meanwhile (a lost answer, another writer): the sibling has it.
                    self.refresh_children(tree, parent).await?;
                    return Ok(tree
                        .child(parent, url_key, &body.name)
                        .ok_or(format!("URL key \"{url_key}\": {}", r.message)));
                }
                Ok(Err(r)) if matches!(r.status, 401 | 403) => {
                    return Err(ConnectorError::Remote(format!(
                        "Magento POST /categories: HTTP {}: {}",
                        r.status, r.message
                    )))
                }
                Ok(Err(r)) => return Ok(Err(r.message)),
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!("category create ambiguous ({m}); looking it up first");
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Err(ConnectorError::Remote(format!(
            "Magento did not confirm category \"{}\" after repeated attempts",
            body.name
        )))
    }

    /// The id of the category at `path`, creating each missing level, parents first. `leaf`
    /// gives the last level its URL key and details when it is created.
    pub(crate) async fn ensure_path(
        &self,
        tree: &mut CategoryTree,
        path: &[String],
        leaf: Option<&Category>,
    ) -> Result<std::result::Result<u64, String>> {
        let mut parent = tree.root;
        for (depth, name) in path.iter().enumerate() {
            let name = name.trim();
            if name.is_empty() {
                return Ok(Err(format!(
                    "category \"{}\" has an empty name; Magento requires one",
                    path.join(" > ")
                )));
            }
            let leaf_here = leaf.filter(|_| depth + 1 == path.len());
            let url_key = leaf_here
                .map(|c| c.handle.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| url_key_of(name));
            if let Some(id) = tree.child(parent, &url_key, name) {
                parent = id;
                continue;
            }
            let mut body = CategoryBody {
                id: None,
                parent_id: parent,
                name: name.to_string(),
                is_active: Some(true),
                include_in_menu: Some(true),
                position: None,
                custom_attributes: vec![AttributeValue::new("url_key", url_key.clone())],
            };
            if let Some(c) = leaf_here {
                details(&mut body, c);
            }
            match self.create_category(tree, &body, &url_key).await? {
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

    /// A category record written: created with any missing parents, or, when the tree has
    /// its path already, its name, description and meta fields saved again.
    pub(crate) async fn write_category(
        &self,
        tree: &mut CategoryTree,
        c: &Category,
    ) -> Result<WriteOutcome> {
        if c.path.is_empty() {
            return Ok(WriteOutcome::Failed {
                message: "the category has no name; Magento requires one".into(),
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
        let Some(current) = tree.nodes.get(&id) else {
            return Ok(WriteOutcome::Updated { target_id });
        };
        // The store's own active and menu flags stay as they are.
        let mut body = CategoryBody {
            id: Some(id),
            parent_id: current.parent_id,
            name: c.name().trim().to_string(),
            is_active: None,
            include_in_menu: None,
            position: None,
            custom_attributes: vec![],
        };
        details(&mut body, c);
        let sent = self
            .write::<reply::Category, _>(
                reqwest::Method::PUT,
                &format!("/categories/{id}"),
                &SaveCategory { category: &body },
                Safety::Idempotent,
            )
            .await?;
        Ok(match sent {
            Ok(saved) => {
                tree.insert(saved);
                WriteOutcome::Updated { target_id }
            }
            Err(r) => WriteOutcome::Failed { message: r.message },
        })
    }

    /// The category links of a product's paths, creating the paths the tree lacks.
    pub(crate) async fn category_ids(
        &self,
        tree: &mut CategoryTree,
        paths: &[Vec<String>],
    ) -> Result<std::result::Result<Vec<u64>, String>> {
        let mut ids = vec![];
        for path in paths.iter().filter(|p| !p.is_empty()) {
            match self.ensure_path(tree, path, None).await? {
                Ok(id) if !ids.contains(&id) => ids.push(id),
                Ok(_) => {}
                Err(why) => return Ok(Err(why)),
            }
        }
        Ok(Ok(ids))
    }
}

/// The description and meta fields of a category record, as the category's attributes.
fn details(body: &mut CategoryBody, c: &Category) {
    let mut put = |code: &str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            body.custom_attributes.push(AttributeValue::new(code, v));
        }
    };
    put("description", Some(c.description_html.as_str()));
    put("meta_title", c.seo.title.as_deref());
    put("meta_description", c.seo.description.as_deref());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: u64, parent: u64, name: &str) -> reply::Category {
        serde_json::from_value(json!({
            "id": id, "parent_id": parent, "name": name, "is_active": true,
            "custom_attributes": [{ "attribute_code": "url_key", "value": name.to_lowercase() }],
        }))
        .expect("a category")
    }

    #[test]
    fn paths_are_read_below_the_store_root_and_found_by_url_key_under_the_same_parent() {
        let mut t = CategoryTree::new(2);
        for n in [
            node(1, 0, "Root Catalog"),
            node(2, 1, "Default Category"),
            node(3, 2, "Men"),
            node(4, 3, "Shirts"),
            node(5, 2, "Women"),
            node(6, 5, "Shirts"),
            node(7, 1, "Other Store Root"),
            node(8, 7, "Elsewhere"),
        ] {
            t.insert(n);
        }
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(t.path_of(6), Some(p(&["Women", "Shirts"])));
        assert_eq!(t.path_of(8), None, "another store's tree");
        assert_eq!(t.path_of(2), None, "the root itself");
        assert_eq!(
            t.paths_of(&[4, 8, 5, 4]),
            vec![p(&["Men", "Shirts"]), p(&["Women"])]
        );
        assert_eq!(t.id_of(&p(&["women", "SHIRTS"])), Some(6));
        assert_eq!(t.id_of(&p(&["Shirts"])), None);
        assert_eq!(t.ids(), vec![3, 5, 4, 6], "parents first");
        assert_eq!(t.len(), 4);
        assert_eq!(t.by_handle("shirts"), vec![4, 6]);
        let c = t.get(6).expect("a record");
        assert_eq!(c.handle, "shirts");
        assert_eq!(c.path, p(&["Women", "Shirts"]));
        let only: HashSet<u64> = [6, 3].into();
        let page = t.page(Some(&only), None, 10);
        let order: Vec<String> = page.records.iter().map(|r| r.label()).collect();
        assert_eq!(order, ["Men", "Women > Shirts"]);
    }
}
