//! BigCommerce for verification: counts from `meta.pagination.total` of a one-item page, and
//! records by id through `id:in=` (up to 250 ids a request), in requests of the window.

use super::{customer_from, BigCommerceClient};
use crate::connector::{ConnectorError, Result};
use crate::model::*;
use crate::platform::bigcommerce::MAX_PAGE_SIZE;
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use serde::Deserialize;
use std::collections::HashMap;

pub struct BigCommerceVerifier {
    client: BigCommerceClient,
}

/// The envelope of a v3 list reply, as far as a count needs it.
#[derive(Deserialize)]
struct Listed {
    meta: Meta,
}

#[derive(Deserialize)]
struct Meta {
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    total: u64,
}

impl BigCommerceVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceVerifier {
            client: BigCommerceClient::open(spec)?,
        })
    }

    /// The list endpoint of an entity and what it embeds.
    fn endpoint(entity: Entity) -> Option<(&'static str, &'static str)> {
        match entity {
            Entity::Products => Some(("/catalog/products", "variants,images")),
            Entity::Customers => Some(("/customers", "addresses")),
            _ => None,
        }
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
        let Some((path, _)) = Self::endpoint(entity) else {
            return Ok(None);
        };
        let reply = self.client.get(path, &[("limit", "1".into())]).await?;
        let listed: Listed = serde_json::from_value(reply.body).map_err(|e| {
            ConnectorError::Remote(format!(
                "BigCommerce GET {path}: the reply has no meta.pagination.total ({e})"
            ))
        })?;
        Ok(Some(StoreCount {
            count: listed.meta.pagination.total,
            exact: true,
            how: format!("GET {path}?limit=1 (meta.pagination.total)"),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_PAGE_SIZE
    }

    fn fetch_cost(&self, _entity: Entity, n: usize) -> u64 {
        n.div_ceil(MAX_PAGE_SIZE) as u64
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match Self::endpoint(entity) {
            Some((path, include)) => {
                format!("GET {path}?id:in=ID,...&include={include}&limit={MAX_PAGE_SIZE}")
            }
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let Some((path, include)) = Self::endpoint(entity) else {
            return Ok(vec![None; ids.len()]);
        };
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(MAX_PAGE_SIZE) {
            let q = [
                ("id:in", chunk.join(",")),
                ("include", include.to_string()),
                ("limit", MAX_PAGE_SIZE.to_string()),
            ];
            let reply = self.client.get(path, &q).await?;
            for item in reply.body["data"].as_array().into_iter().flatten() {
                let Some(id) = item["id"].as_u64() else {
                    return Err(ConnectorError::Remote(format!(
                        "BigCommerce GET {path}: an item without `id`"
                    )));
                };
                let rec = match entity {
                    Entity::Products => Record::Product(self.client.product_from(item)),
                    _ => Record::Customer(customer_from(item)),
                };
                found.insert(id.to_string(), rec);
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
