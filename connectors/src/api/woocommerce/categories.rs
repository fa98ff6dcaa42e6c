//! Product categories (`/products/categories`): a tree of WordPress terms. Products name
//! their categories by id, so both directions go through an index of the whole tree, read
//! once. As a target a category is found by its path of names (a name is unique under its
//! parent in WordPress), so a repeated write updates instead of duplicating whatever slug
//! WordPress chose.

use super::wire::{self, text};
use super::{body, decode_slug, parse, to_body, WooClient, WooTarget};
use crate::api::http::{CallError, Safety};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage, WriteOutcome};
use crate::model::{Category, Entity, Platform, Record, SourceRef};
use crate::platform::url_path;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
struct Term {
    name: String,
    slug: String,
    parent: u64,
    description: String,
    image: Option<String>,
    menu_order: Option<i64>,
}

/// Every category of a store by id.
#[derive(Debug, Default)]
pub(super) struct CategoryIndex {
    terms: BTreeMap<u64, Term>,
}

/// A term name as WordPress compares it: without case (`wp_insert_term`), trimmed.
pub(super) fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl CategoryIndex {
    pub(super) async fn load(client: &WooClient) -> Result<Self> {
        let all: Vec<wire::Category> = client
            .get_all(
                "/products/categories",
                &[("orderby", "id".into()), ("order", "asc".into())],
            )
            .await?;
        let mut index = CategoryIndex::default();
        for c in &all {
            index.insert(c);
        }
        Ok(index)
    }

    fn insert(&mut self, c: &wire::Category) {
        self.terms.insert(
            c.id,
            Term {
                name: c.name.clone(),
                slug: c.slug.clone(),
                parent: c.parent,
                description: c.description.clone(),
                image: c.image.as_ref().map(|i| i.src.clone()),
                menu_order: c.menu_order,
            },
        );
    }

    /// Names from the root down to `id` (a broken parent chain stops where it breaks).
    fn path_of(&self, id: u64) -> Vec<String> {
        let mut path = vec![];
        let mut at = id;
        while let Some(t) = self.terms.get(&at) {
            path.push(t.name.clone());
            if t.parent == 0 || path.len() > 64 {
                break;
            }
            at = t.parent;
        }
        path.reverse();
        path
    }

    fn slugs_of(&self, id: u64) -> Vec<String> {
        let mut out = vec![];
        let mut at = self.terms.get(&id).map(|t| t.parent).unwrap_or(0);
        while let Some(t) = self.terms.get(&at) {
            out.push(decode_slug(&t.slug));
            if t.parent == 0 || out.len() > 64 {
                break;
            }
            at = t.parent;
        }
        out.reverse();
        out
    }

    /// A product's `categories` (`[{id, name, slug}]`) as paths from the root.
    pub(super) fn paths_of(&self, cats: &[wire::TermRef]) -> Vec<Vec<String>> {
        cats.iter()
            .filter_map(|c| match self.path_of(c.id) {
                p if p.is_empty() => text(&c.name).map(|n| vec![n]),
                p => Some(p),
            })
            .collect()
    }

    /// The id of the category at `path` (names compared without case), if the store has it.
    pub(super) fn id_of(&self, path: &[String]) -> Option<u64> {
        let mut parent = 0u64;
        let mut found = None;
        for name in path {
            let id = self
                .terms
                .iter()
                .find(|(_, t)| t.parent == parent && key(&t.name) == key(name))
                .map(|(id, _)| *id)?;
            found = Some(id);
            parent = id;
        }
        found
    }

    fn depth(&self, id: u64) -> usize {
        self.path_of(id).len()
    }

    /// The category with this id, with its path from the root (`None`: no such term).
    pub(super) fn get(&self, id: u64) -> Option<Category> {
        self.terms.contains_key(&id).then(|| self.category(id))
    }

    fn category(&self, id: u64) -> Category {
        let t = &self.terms[&id];
        let handle = decode_slug(&t.slug);
        Category {
            source: SourceRef::with_url(
                id.to_string(),
                url_path(
                    Platform::WooCommerce,
                    Entity::Categories,
                    &handle,
                    &self.slugs_of(id),
                ),
            ),
            handle,
            path: self.path_of(id),
            description_html: t.description.clone(),
            seo: Default::default(),
            position: t.menu_order.filter(|m| *m != 0),
            image: t.image.clone(),
        }
    }

    /// Parents before children, so a target can link each category to one it already has.
    pub(super) fn page(&self, cursor: Option<&Cursor>, limit: usize) -> SourcePage {
        let mut ids: Vec<u64> = self.terms.keys().copied().collect();
        ids.sort_by_key(|id| (self.depth(*id), *id));
        SourcePage::indexed(&ids, cursor, limit, |id| {
            Some(Record::Category(self.category(*id)))
        })
    }
}

impl WooTarget {
    pub(super) async fn categories(&mut self) -> Result<&CategoryIndex> {
        if self.categories.is_none() {
            self.categories = Some(CategoryIndex::load(&self.client).await?);
        }
        Ok(self.categories.get_or_insert_with(Default::default))
    }

    fn category_body(c: &Category, parent: u64) -> body::Category {
        body::Category {
            name: c.name().to_string(),
            slug: Some(c.handle.clone()).filter(|h| !h.is_empty()),
            parent,
            description: c.description_html.clone(),
            menu_order: c.position,
            image: c.image.as_ref().map(|src| body::Image {
                src: src.clone(),
                alt: None,
            }),
        }
    }

    /// Categories one by one, parents first: each needs its parent's id.
    pub(super) async fn write_categories(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let Record::Category(c) = r else {
                return Err(ConnectorError::Input(format!(
                    "a categories batch holds a {} record ({})",
                    r.entity(),
                    r.label()
                )));
            };
            out.push(self.write_category(c).await?);
        }
        Ok(out)
    }

    async fn write_category(&mut self, c: &Category) -> Result<WriteOutcome> {
        let max_rounds = self.client.http.config().max_retries + 2;
        let mut existed = None;
        for round in 0..=max_rounds {
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
                // The last write may have landed: read the tree again before deciding.
                self.categories = None;
            }
            let index = self.categories().await?;
            let parent = match c.parent_path() {
                [] => 0,
                p => match index.id_of(p) {
                    Some(id) => id,
                    None => {
                        return Ok(WriteOutcome::Failed {
                            message: format!(
                                "its parent category \"{}\" is not in the store; load categories parents first",
                                p.join(" > ")
                            ),
                        })
                    }
                },
            };
            let current = index.id_of(&c.path);
            existed.get_or_insert(current.is_some());
            let mut body = Self::category_body(c, parent);
            let (method, path) = match current {
                Some(id) => {
                    // The slug stays as WordPress made it; a clash would refuse the update.
                    body.slug = None;
                    (reqwest::Method::PUT, format!("/products/categories/{id}"))
                }
                None => (reqwest::Method::POST, "/products/categories".to_string()),
            };
            let json = to_body(&body)?;
            let reply = match self
                .client
                .call(method, &path, &[], Some(&json), Safety::Unsafe)
                .await
            {
                Ok(r) => r,
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!("category write ambiguous ({m}); reading the tree again");
                    continue;
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            };
            if !reply.status.is_success() {
                let refusal = refusal_of(&reply.body);
                if refusal.code == "duplicate_term_slug" && current.is_none() {
                    // The slug belongs to another branch of the tree: let WordPress pick one.
                    body.slug = None;
                    let json = to_body(&body)?;
                    let retry = self
                        .client
                        .call(
                            reqwest::Method::POST,
                            "/products/categories",
                            &[],
                            Some(&json),
                            Safety::Unsafe,
                        )
                        .await;
                    match retry {
                        Ok(r) if r.status.is_success() => {
                            return self.created_category(&r.body, existed == Some(true));
                        }
                        Ok(r) => return Ok(failed(&refusal_of(&r.body))),
                        Err(CallError::Ambiguous(_)) => continue,
                        Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
                    }
                }
                if matches!(reply.status.as_u16(), 401 | 403) {
                    // Credentials, not this record: the whole run must hear about it.
                    self.client.expect_ok(reply, &path)?;
                    continue;
                }
                return Ok(failed(&refusal));
            }
            return self.created_category(&reply.body, existed == Some(true));
        }
        Ok(WriteOutcome::Failed {
            message: "WooCommerce did not confirm this category after repeated attempts".into(),
        })
    }

    /// The category WooCommerce answered a write with, into the index.
    fn created_category(&mut self, body: &Value, existed: bool) -> Result<WriteOutcome> {
        let c: wire::Category = parse("POST /products/categories", body)?;
        if let Some(index) = self.categories.as_mut() {
            index.insert(&c);
        }
        let target_id = c.id.to_string();
        Ok(if existed {
            WriteOutcome::Updated { target_id }
        } else {
            WriteOutcome::Created { target_id }
        })
    }

    pub(super) async fn find_category(&self, handle: &str) -> Result<Option<u64>> {
        let found: Vec<wire::IdOnly> = self
            .client
            .get_as("/products/categories", &[("slug", handle.to_string())])
            .await?;
        Ok(found.first().map(|c| c.id))
    }

    /// `[{id}]` for a product's category paths; paths the store lacks become a finding.
    pub(super) fn category_refs(&self, paths: &[Vec<String>]) -> (Vec<body::IdRef>, Vec<String>) {
        let mut refs = vec![];
        let mut missing = vec![];
        for p in paths {
            match self.categories.as_ref().and_then(|i| i.id_of(p)) {
                Some(id) => refs.push(body::IdRef { id }),
                None => missing.push(p.join(" > ")),
            }
        }
        (refs, missing)
    }
}

/// WooCommerce's `{code, message}`; a body of another shape is quoted whole.
fn refusal_of(body: &Value) -> wire::ApiError {
    serde_json::from_value(body.clone()).unwrap_or_else(|_| wire::ApiError {
        code: String::new(),
        message: format!("WooCommerce refused the category: {body}"),
        data: None,
    })
}

fn failed(e: &wire::ApiError) -> WriteOutcome {
    WriteOutcome::Failed {
        message: format!("{}: {}", e.code, e.message),
    }
}
