//! Ideasoft for verification: counts from each resource's documented `GET /{resource}/count`,
//! records by id through the list endpoints' documented `ids` filter (a comma list, up to 100
//! a page), in requests. Records are built exactly as the source builds them, so a sampled
//! record compares like a full read-back.

use super::source::{customer_from, page_from, IdeasoftSource};
use super::types::{self, parse_one};
use crate::api::http::Safety;
use crate::connector::Result;
use crate::model::*;
use crate::platform::ideasoft::api::{MAX_LIMIT, PREFIX};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use std::collections::HashMap;

pub struct IdeasoftVerifier {
    source: IdeasoftSource,
}

/// The reply of `GET /{resource}/count`. (Ideasoft's document declares the resource's own
/// schema as the reply; the API answers `{"count": N}`.)
#[derive(Debug, Deserialize)]
struct CountReply {
    count: u64,
}

/// The resource an entity lives in, for the entities the Ideasoft target writes.
fn resource(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Categories => Some("categories"),
        Entity::Products => Some("products"),
        Entity::Customers => Some("members"),
        Entity::Pages => Some("pages"),
        _ => None,
    }
}

impl IdeasoftVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IdeasoftVerifier {
            source: IdeasoftSource::open(spec)?,
        })
    }
}

#[async_trait]
impl Verifier for IdeasoftVerifier {
    fn describe(&self) -> String {
        format!("Ideasoft Admin API ({})", self.source.client.base)
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let Some(resource) = resource(entity) else {
            return Ok(None);
        };
        let path = format!("/{resource}/count");
        let what = format!("GET {PREFIX}{path}");
        let client = &self.source.client;
        let reply = client
            .call(Method::GET, &path, &[], None, Safety::Idempotent)
            .await?;
        let reply = client.check(reply, &what)?;
        let n: CountReply = parse_one(reply.body, &what)?;
        // A variant is a product of its own in Ideasoft (a child with `parent`), and the count
        // has no documented filter to leave children out: it says "at least" for products.
        let variants = entity == Entity::Products;
        Ok(Some(StoreCount {
            count: n.count,
            exact: !variants,
            how: if variants {
                format!("{what} (variants are products there too: at least)")
            } else {
                what
            },
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_LIMIT
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        let batches = n.div_ceil(MAX_LIMIT) as u64;
        match entity {
            // Each product's description is in `product_details`, and a product with options
            // lists its child products.
            Entity::Products => batches + 2 * n as u64,
            _ => batches,
        }
    }

    fn record_cost(&self, entity: Entity, expected: &serde_json::Value) -> f64 {
        let share = 1.0 / MAX_LIMIT as f64;
        let variable = expected["options"]
            .as_array()
            .is_some_and(|o| !o.is_empty());
        match entity {
            Entity::Products if variable => 2.0 + share,
            Entity::Products => 1.0 + share,
            _ => share,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match resource(entity) {
            Some("products") => format!(
                "GET {PREFIX}/products?ids=ID,...&limit={MAX_LIMIT}, each product's product_details and its child products"
            ),
            Some(r) => format!("GET {PREFIX}/{r}?ids=ID,...&limit={MAX_LIMIT}"),
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let Some(resource) = resource(entity) else {
            return Ok(vec![None; ids.len()]);
        };
        // An id that is not a number cannot be in the store; asking for it would be refused.
        let numeric: Vec<&String> = ids.iter().filter(|i| i.parse::<u64>().is_ok()).collect();
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in numeric.chunks(MAX_LIMIT) {
            let list = chunk
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let query = super::client::q(&[("ids", list), ("limit", MAX_LIMIT.to_string())]);
            match entity {
                Entity::Categories => {
                    let raw: Vec<types::Category> =
                        self.source.client.page(resource, &query).await?;
                    for c in &raw {
                        let rec = Record::Category(self.source.category_from(c).await?);
                        found.insert(c.id.to_string(), rec);
                    }
                }
                Entity::Products => {
                    let raw: Vec<types::Product> =
                        self.source.client.page(resource, &query).await?;
                    for p in &raw {
                        let rec = Record::Product(self.source.product_from(p).await?);
                        found.insert(p.id.to_string(), rec);
                    }
                }
                Entity::Customers => {
                    let raw: Vec<types::Member> = self.source.client.page(resource, &query).await?;
                    for m in &raw {
                        found.insert(m.id.to_string(), Record::Customer(customer_from(m)));
                    }
                }
                _ => {
                    let raw: Vec<types::Page> = self.source.client.page(resource, &query).await?;
                    for p in &raw {
                        found.insert(p.id.to_string(), Record::Page(page_from(p)));
                    }
                }
            }
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
