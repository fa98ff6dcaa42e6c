//! Magento for verification: counts from `total_count` of a one-item search
//! (`searchCriteria[pageSize]=1`), and records by their target ids through a `searchCriteria`
//! filter with `conditionType=in` (products by SKU, the id the load keeps for them; customers
//! by `entity_id`), up to a page of ids a request, in requests. Records are read exactly as the
//! source reads them, so a sampled record compares like a full read-back. Categories come from
//! the tree, read whole once (every page of `/V1/categories/list`): a category's path and a
//! product's category paths need every ancestor.

use super::reply::{self, SearchResults};
use super::source::{customer, MagentoSource};
use super::{criteria_any, Filter};
use crate::connector::Result;
use crate::model::*;
use crate::platform::magento::{PAGE_SIZE, VISIBILITY_NOT_VISIBLE};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use std::collections::HashMap;

pub struct MagentoVerifier {
    /// The source's reading of products (a configurable with its children, attribute labels
    /// learned once) is the one the sample was taken in.
    source: MagentoSource,
}

/// The products the migration counts: everything but the children of configurables, which
/// Magento lists as separate simple products "Not Visible Individually".
fn not_a_child() -> [Filter<'static>; 2] {
    [
        Filter {
            field: "visibility",
            value: NOT_VISIBLE,
            condition: "neq",
        },
        Filter {
            field: "type_id",
            value: "simple",
            condition: "neq",
        },
    ]
}

/// [`VISIBILITY_NOT_VISIBLE`] as a query writes it.
const NOT_VISIBLE: &str = "1";
const _: () = assert!(VISIBILITY_NOT_VISIBLE == 1);

impl MagentoVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoVerifier {
            source: MagentoSource::open(spec)?,
        })
    }

    /// Products whose SKUs are `skus`, each SKU under the `in` filter unless it holds a comma
    /// (which `in` would split), then on its own with `eq`.
    async fn products(&mut self, skus: &[&String]) -> Result<HashMap<String, Record>> {
        // Products link to categories by id: their paths need the tree.
        self.source.tree(false).await?;
        let (listable, alone): (Vec<&String>, Vec<&String>) =
            skus.iter().copied().partition(|s| !s.contains(','));
        let mut items: Vec<reply::Product> = vec![];
        if !listable.is_empty() {
            let list = listable
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let q = criteria_any(
                &[Filter {
                    field: "sku",
                    value: &list,
                    condition: "in",
                }],
                (listable.len(), 1),
            );
            let found: SearchResults<reply::Product> =
                self.source.client.get("/products", &q).await?;
            items.extend(found.items);
        }
        for sku in alone {
            let q = criteria_any(&[Filter::eq("sku", sku)], (1, 1));
            let found: SearchResults<reply::Product> =
                self.source.client.get("/products", &q).await?;
            items.extend(found.items);
        }
        let mut out = HashMap::new();
        for item in &items {
            // Keyed as asked: Magento matches SKUs without case.
            let asked = skus
                .iter()
                .find(|s| s.eq_ignore_ascii_case(&item.sku))
                .map(|s| s.to_string())
                .unwrap_or_else(|| item.sku.clone());
            let p = self.source.product(item).await?;
            out.insert(asked, Record::Product(p));
        }
        Ok(out)
    }

    async fn customers(&mut self, ids: &[&String]) -> Result<HashMap<String, Record>> {
        let numeric: Vec<&str> = ids
            .iter()
            .map(|s| s.as_str())
            .filter(|s| s.parse::<u64>().is_ok())
            .collect();
        if numeric.is_empty() {
            return Ok(HashMap::new());
        }
        let list = numeric.join(",");
        let q = criteria_any(
            &[Filter {
                field: "entity_id",
                value: &list,
                condition: "in",
            }],
            (numeric.len(), 1),
        );
        let found: SearchResults<reply::Customer> =
            self.source.client.get("/customers/search", &q).await?;
        Ok(found
            .items
            .iter()
            .map(|c| (c.id.to_string(), Record::Customer(customer(c))))
            .collect())
    }
}

#[async_trait]
impl Verifier for MagentoVerifier {
    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.source.client.base())
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        if entity == Entity::Categories {
            let n = self.source.tree(false).await?.len() as u64;
            return Ok(Some(StoreCount {
                count: n,
                exact: true,
                how: "GET /V1/categories/list (every page; the categories below the store's root category)".into(),
            }));
        }
        let client = &self.source.client;
        let (total, how) = match entity {
            Entity::Products => {
                let q = criteria_any(&not_a_child(), (1, 1));
                let found: SearchResults<serde::de::IgnoredAny> =
                    client.get("/products", &q).await?;
                (
                    found.total_count,
                    "GET /V1/products?searchCriteria[pageSize]=1 (total_count), configurables' children (simple, not visible individually) left out",
                )
            }
            Entity::Customers => {
                let q = criteria_any(&[], (1, 1));
                let found: SearchResults<serde::de::IgnoredAny> =
                    client.get("/customers/search", &q).await?;
                (
                    found.total_count,
                    "GET /V1/customers/search?searchCriteria[pageSize]=1 (total_count)",
                )
            }
            _ => return Ok(None),
        };
        Ok(Some(StoreCount {
            count: total,
            exact: true,
            how: how.into(),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        PAGE_SIZE
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        let batches = n.div_ceil(PAGE_SIZE) as u64;
        // The tree once, at least a page of it.
        let tree = u64::from(!self.source.has_tree());
        match entity {
            Entity::Categories => tree,
            // Each configurable asks for its children too.
            Entity::Products => batches + n as u64 + tree,
            _ => batches,
        }
    }

    fn record_cost(&self, entity: Entity, expected: &serde_json::Value) -> f64 {
        let share = 1.0 / PAGE_SIZE as f64;
        let variable = expected["options"]
            .as_array()
            .is_some_and(|o| !o.is_empty());
        match entity {
            Entity::Products if variable => 1.0 + share,
            _ => share,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match entity {
            Entity::Categories => {
                "GET /V1/categories/list (every page), read once for categories and products' category paths".into()
            }
            Entity::Products => format!(
                "GET /V1/products?searchCriteria[filterGroups][0][filters][0][field]=sku&...[conditionType]=in (up to {PAGE_SIZE} SKUs), and each configurable's children"
            ),
            Entity::Customers => format!(
                "GET /V1/customers/search?searchCriteria[filterGroups][0][filters][0][field]=entity_id&...[conditionType]=in (up to {PAGE_SIZE} ids)"
            ),
            _ => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let mut found: HashMap<String, Record> = HashMap::new();
        let asked: Vec<&String> = ids.iter().collect();
        for chunk in asked.chunks(PAGE_SIZE) {
            let got = match entity {
                Entity::Categories => {
                    let tree = self.source.tree(false).await?;
                    chunk
                        .iter()
                        .filter_map(|id| {
                            let c = tree.get(id.parse().ok()?)?;
                            Some((id.to_string(), Record::Category(c)))
                        })
                        .collect()
                }
                Entity::Products => self.products(chunk).await?,
                Entity::Customers => self.customers(chunk).await?,
                _ => HashMap::new(),
            };
            found.extend(got);
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.source.client.stats().calls
    }

    fn requests(&self) -> u64 {
        self.source.client.stats().calls
    }
}
