//! Product tags (`/products/tags`). WooCommerce sets a product's tags by id only: the V3
//! products controller's `save_taxonomy_terms()` plucks `id` from each entry and ignores the
//! rest, so a tag sent by name is silently dropped. Before products are written, every tag
//! they name is found among the store's tags (read once, page by page, and kept by name for
//! the run) or created. A create WordPress refuses because the name is taken (`term_exists`:
//! an earlier attempt landed, or the store has the name in other case) carries the existing
//! tag's id, which is taken as it is; so a lost reply or a resumed run never duplicates a tag.
//!
//! Tags are terms of their own: deleting a product leaves its tags. The tags a run creates are
//! kept in the products' checkpoint, and a rollback deletes those no product uses any more.

use super::categories::key;
use super::wire::{self, BatchKind, ItemResult};
use super::{body, parse, to_body, WooClient, WooTarget};
use crate::api::http::{CallError, Safety};
use crate::connector::{ConnectorError, Result};
use crate::finding::{Finding, Severity};
use crate::model::{Product, Record};
use crate::platform::woocommerce::MAX_BATCH;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

const PATH: &str = "/products/tags";

/// The store's tags by name (compared as WordPress compares them), and the names it refused.
#[derive(Debug, Default)]
pub(super) struct TagIndex {
    ids: HashMap<String, u64>,
    refused: HashSet<String>,
}

impl TagIndex {
    async fn load(client: &WooClient) -> Result<Self> {
        let all: Vec<wire::Tag> = client
            .get_all(PATH, &[("orderby", "id".into()), ("order", "asc".into())])
            .await?;
        let mut index = TagIndex::default();
        for t in all {
            // Two tags whose names differ only in case cannot both exist; the first is kept.
            index.ids.entry(key(&t.name)).or_insert(t.id);
        }
        Ok(index)
    }

    fn id_of(&self, name: &str) -> Option<u64> {
        self.ids.get(&key(name)).copied()
    }
}

/// A tag the products need and the store lacks: its name and the first product naming it.
struct Wanted {
    name: String,
    first: usize,
    products: usize,
}

impl WooTarget {
    /// Finds or creates every tag `products` name (`batch` holds the same records, for the
    /// findings). A tag WooCommerce refuses is a finding, and its products go in without it.
    pub(super) async fn ensure_tags(
        &mut self,
        products: &[&Product],
        batch: &[Record],
    ) -> Result<()> {
        let mut wanted: Vec<Wanted> = vec![];
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, p) in products.iter().enumerate() {
            for name in p.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
                match seen.get(&key(name)) {
                    Some(&w) => wanted[w].products += 1,
                    None => {
                        seen.insert(key(name), wanted.len());
                        wanted.push(Wanted {
                            name: name.to_string(),
                            first: i,
                            products: 1,
                        });
                    }
                }
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        if self.tags.is_none() {
            self.tags = Some(TagIndex::load(&self.client).await?);
        }
        let max_rounds = self.client.http.config().max_retries + 2;
        for round in 0..=max_rounds {
            let missing: Vec<&Wanted> = {
                let index = self.tags.get_or_insert_with(Default::default);
                wanted
                    .iter()
                    .filter(|w| index.id_of(&w.name).is_none())
                    .filter(|w| !index.refused.contains(&key(&w.name)))
                    .collect()
            };
            if missing.is_empty() {
                return Ok(());
            }
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
            }
            for chunk in missing.chunks(MAX_BATCH) {
                match self.create_tags(chunk, batch).await? {
                    Sent::Answered => {}
                    // The write may have landed: the next round creates again and reads the
                    // ids of those that did from `term_exists`.
                    Sent::Unconfirmed => break,
                }
            }
        }
        let index = self.tags.get_or_insert_with(Default::default);
        let unconfirmed: Vec<&Wanted> = wanted
            .iter()
            .filter(|w| index.id_of(&w.name).is_none() && index.refused.insert(key(&w.name)))
            .collect();
        for w in unconfirmed {
            self.findings.push(tag_finding(
                w,
                "WooCommerce did not confirm it after repeated attempts",
                batch,
            ));
        }
        Ok(())
    }

    /// One `POST /products/tags/batch` creating `chunk`.
    async fn create_tags(&mut self, chunk: &[&Wanted], batch: &[Record]) -> Result<Sent> {
        let req: body::Batch<body::Tag, body::Tag> = body::Batch {
            create: chunk
                .iter()
                .map(|w| body::Tag {
                    name: w.name.clone(),
                })
                .collect(),
            ..Default::default()
        };
        let path = format!("{PATH}/batch");
        let reply = match self
            .client
            .call(
                reqwest::Method::POST,
                &path,
                &[],
                Some(&to_body(&req)?),
                Safety::Unsafe,
            )
            .await
        {
            Ok(r) => self.client.expect_ok(r, &path)?,
            Err(CallError::Ambiguous(m)) => {
                tracing::debug!("tags batch ambiguous ({m}); creating the missing ones again");
                return Ok(Sent::Unconfirmed);
            }
            Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
        };
        let endpoint = format!("POST {path}");
        let answered: wire::Batch = parse(&endpoint, &reply.body)?;
        let index = self.tags.get_or_insert_with(Default::default);
        let mut findings = vec![];
        // An item the reply leaves out stays missing and is created again in the next round.
        for (k, (w, item)) in chunk.iter().zip(&answered.create).enumerate() {
            let id = match (&item.error, item.result(&endpoint, BatchKind::Create, k)) {
                (Some(e), _) if e.existing_term().is_some() => e.existing_term(),
                (_, Ok(ItemResult::Written(id))) => Some(id),
                (_, Ok(ItemResult::Refused { code, message })) => {
                    if index.refused.insert(key(&w.name)) {
                        findings.push(tag_finding(w, &format!("{code}: {message}"), batch));
                    }
                    None
                }
                (_, Err(e)) => return Err(ConnectorError::Remote(e)),
            };
            if let Some(id) = id {
                index.ids.insert(key(&w.name), id);
                // Only names the store lacked are created: a name taken meanwhile is this
                // run's own earlier attempt whose reply was lost.
                self.created_tags.insert(id);
            }
        }
        self.findings.extend(findings);
        Ok(Sent::Answered)
    }

    /// `[{id}]` for a product's tags; a tag the store does not have is left out (its finding
    /// was made when it could not be created).
    pub(super) fn tag_refs(&self, names: &[String]) -> Vec<body::IdRef> {
        let mut refs: Vec<body::IdRef> = vec![];
        for name in names {
            if let Some(id) = self.tags.as_ref().and_then(|i| i.id_of(name)) {
                if !refs.iter().any(|r| r.id == id) {
                    refs.push(body::IdRef { id });
                }
            }
        }
        refs
    }

    /// Deletes the tags this run created that no product uses any more (after a rollback
    /// deleted the run's products); a tag a product of the store's own still carries stays.
    /// Usage is asked of the products list in every status: WordPress's term `count` counts
    /// published products only, and a draft's tag must not go.
    pub(super) async fn delete_unused_created_tags(&mut self) -> Result<Vec<String>> {
        let (mut deleted, mut kept) = (0usize, vec![]);
        for id in std::mem::take(&mut self.created_tags) {
            let reply = self
                .client
                .call(
                    reqwest::Method::GET,
                    "/products",
                    &[
                        ("tag", id.to_string()),
                        ("status", "any".into()),
                        ("per_page", "1".into()),
                    ],
                    None,
                    Safety::Idempotent,
                )
                .await?;
            let reply = self.client.expect_ok(reply, "/products")?;
            let using: Vec<Value> = parse("GET /products?tag=", &reply.body)?;
            if !using.is_empty() {
                let total = reply
                    .header("x-wp-total")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(using.len() as u64);
                kept.push(format!("tag {id} ({total} product(s))"));
                continue;
            }
            if self.client.delete_for_good(&format!("{PATH}/{id}")).await? {
                deleted += 1;
            }
        }
        let mut said = vec![];
        if deleted > 0 {
            said.push(format!(
                "deleted {deleted} WooCommerce product tag(s) the run created"
            ));
        }
        if !kept.is_empty() {
            said.push(format!(
                "kept {} product tag(s) the run created that products it did not create now use: {}",
                kept.len(),
                kept.join(", ")
            ));
        }
        Ok(said)
    }
}

/// The tags a products checkpoint names as created by the run.
pub(super) fn created_in(checkpoint: Option<&Value>) -> impl Iterator<Item = u64> + '_ {
    checkpoint
        .and_then(|c| c.get("created_tags"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
}

pub(super) fn checkpoint(created: &BTreeSet<u64>) -> Value {
    json!({ "created_tags": created })
}

/// Whether a batch's reply was read, or the batch may or may not have been applied.
enum Sent {
    Answered,
    Unconfirmed,
}

fn tag_finding(w: &Wanted, why: &str, batch: &[Record]) -> Finding {
    let f = Finding::new(
        Severity::Warning,
        "tag_not_created",
        format!(
            "the product tag \"{}\" could not be created ({why}); {} product(s) of this batch are loaded without it",
            w.name, w.products
        ),
    );
    match batch.get(w.first) {
        Some(r) => f.about(WooTarget::record_ref(r)),
        None => f,
    }
}
