//! BigCommerce for verification: counts from `meta.pagination.total` of a one-item page, and
//! records by id through `id:in` (a comma list, up to 250 ids a page), in requests. Records are
//! read exactly as the source reads them, so a sampled record compares like a full read-back.
//! Categories come from the default channel's tree, read whole once (every page): a category's
//! path and a product's category paths need every ancestor.

use super::categories::{CategoryTree, PATH as CATEGORIES};
use super::wire::{Collection, CustomerReply, ProductReply};
use super::{customer_from, BigCommerceClient};
use crate::connector::{ConnectorError, Result};
use crate::model::*;
use crate::platform::bigcommerce::{self as facts, MAX_PAGE_SIZE};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use std::collections::HashMap;

pub struct BigCommerceVerifier {
    client: BigCommerceClient,
    brands: HashMap<u64, String>,
    tree: Option<CategoryTree>,
}

/// The v3 list endpoint of an entity and what each record needs included.
fn endpoint(entity: Entity) -> Option<(&'static str, &'static str)> {
    match entity {
        Entity::Products => Some(("/catalog/products", facts::PRODUCT_INCLUDE)),
        Entity::Customers => Some(("/customers", "addresses")),
        _ => None,
    }
}

impl BigCommerceVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceVerifier {
            client: BigCommerceClient::open(spec)?,
            brands: HashMap::new(),
            tree: None,
        })
    }

    async fn tree(&mut self) -> Result<&CategoryTree> {
        if self.tree.is_none() {
            self.tree = Some(self.client.category_tree().await?);
        }
        Ok(self.tree.get_or_insert_with(Default::default))
    }
}

#[async_trait]
impl Verifier for BigCommerceVerifier {
    fn describe(&self) -> String {
        format!("BigCommerce API ({})", self.client.base)
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        if entity == Entity::Categories {
            let n = self.tree().await?.len() as u64;
            return Ok(Some(StoreCount {
                count: n,
                exact: true,
                how: format!("GET {CATEGORIES}?tree_id:in=TREE (every page)"),
            }));
        }
        let Some((path, _)) = endpoint(entity) else {
            return Ok(None);
        };
        let mut q = vec![("limit", "1".to_string())];
        if entity == Entity::Products {
            // The one product's id and name only: the total is what is wanted. The id always
            // comes back and is not itself a documented `include_fields` value. (Customers have
            // no `include_fields`.)
            q.push(("include_fields", "name".to_string()));
        }
        let page: Collection<serde::de::IgnoredAny> = self.client.get_as(path, &q).await?;
        let total = page.meta.pagination.map(|p| p.total).ok_or_else(|| {
            ConnectorError::Remote(format!(
                "BigCommerce GET {path}: the reply has no `meta.pagination.total`"
            ))
        })?;
        Ok(Some(StoreCount {
            count: total,
            exact: true,
            how: format!("GET {path}?limit=1 (meta.pagination.total)"),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_PAGE_SIZE
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        let batches = n.div_ceil(MAX_PAGE_SIZE) as u64;
        let tree = if self.tree.is_none() { 2 } else { 0 };
        match entity {
            // The tree once (the trees, then its categories, at least a page).
            Entity::Categories => tree,
            // A page of products may name brands not seen yet: one more request for their names.
            Entity::Products => 2 * batches + tree,
            _ => batches,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        if entity == Entity::Categories {
            return format!(
                "GET /catalog/trees, then GET {CATEGORIES}?tree_id:in=TREE, every page"
            );
        }
        match endpoint(entity) {
            Some((path, include)) if entity == Entity::Products => format!(
                "GET {path}?id:in=ID,...&include={include}&limit={MAX_PAGE_SIZE}, and /catalog/brands?id:in= for brand names"
            ),
            Some((path, include)) => {
                format!("GET {path}?id:in=ID,...&include={include}&limit={MAX_PAGE_SIZE}")
            }
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        if entity == Entity::Categories {
            let tree = self.tree().await?;
            return Ok(ids
                .iter()
                .map(|id| {
                    id.parse::<u64>()
                        .ok()
                        .and_then(|id| tree.get(id))
                        .map(Record::Category)
                })
                .collect());
        }
        if entity == Entity::Products {
            self.tree().await?;
        }
        let Some((path, include)) = endpoint(entity) else {
            return Ok(vec![None; ids.len()]);
        };
        // An id that is not a number cannot be in the store; asking for it would be refused.
        let numeric: Vec<&String> = ids.iter().filter(|i| i.parse::<u64>().is_ok()).collect();
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in numeric.chunks(MAX_PAGE_SIZE) {
            let list = chunk
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let q = [
                ("id:in", list),
                ("include", include.to_string()),
                ("limit", MAX_PAGE_SIZE.to_string()),
            ];
            // At most as many matches as ids asked, so one page holds them all.
            match entity {
                Entity::Products => {
                    let c: Collection<ProductReply> = self.client.get_as(path, &q).await?;
                    self.client.learn_brands(&c.data, &mut self.brands).await?;
                    let tree = self.tree.get_or_insert_with(Default::default);
                    for p in &c.data {
                        found.insert(
                            p.id.to_string(),
                            Record::Product(self.client.product_from(p, &self.brands, tree)),
                        );
                    }
                }
                _ => {
                    let c: Collection<CustomerReply> = self.client.get_as(path, &q).await?;
                    for c in &c.data {
                        found.insert(c.id.to_string(), Record::Customer(customer_from(c)));
                    }
                }
            }
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.client.stats().calls
    }

    fn requests(&self) -> u64 {
        self.client.stats().calls
    }
}
