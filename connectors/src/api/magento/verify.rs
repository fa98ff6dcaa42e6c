//! Magento for verification: counts from `total_count` of a one-item search
//! (`searchCriteria[pageSize]=1`; products without the children of configurables, which come
//! with their parent), and records by id through an `in` filter, in requests.

use super::{customer_from, MagentoClient};
use crate::connector::{ConnectorError, Result};
use crate::model::*;
use crate::platform::magento::{PAGE_SIZE, VISIBILITY_NOT_VISIBLE};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use serde::Deserialize;
use std::collections::HashMap;

pub struct MagentoVerifier {
    client: MagentoClient,
}

/// A filter (field, value, condition type) that keeps an entity's own records.
type Only = (&'static str, String, &'static str);

/// A search reply, as far as a count needs it.
#[derive(Deserialize)]
struct Searched {
    total_count: u64,
}

impl MagentoVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoVerifier {
            client: MagentoClient::open(spec)?,
        })
    }

    /// The search endpoint of an entity, the field its target id is, and the filter that
    /// leaves out what is not a record of its own.
    fn endpoint(entity: Entity) -> Option<(&'static str, &'static str, Option<Only>)> {
        match entity {
            Entity::Products => Some((
                "/products",
                "sku",
                Some(("visibility", VISIBILITY_NOT_VISIBLE.to_string(), "neq")),
            )),
            Entity::Customers => Some(("/customers/search", "entity_id", None)),
            _ => None,
        }
    }
}

#[async_trait]
impl Verifier for MagentoVerifier {
    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base)
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let Some((path, _, only)) = Self::endpoint(entity) else {
            return Ok(None);
        };
        let q = MagentoClient::criteria(
            only.as_ref().map(|(f, v, c)| (*f, v.as_str(), *c)),
            Some((1, 1)),
        );
        let reply = self.client.get(path, &q).await?;
        let searched: Searched = serde_json::from_value(reply.body).map_err(|e| {
            ConnectorError::Remote(format!(
                "Magento GET {path}: the search reply has no total_count ({e})"
            ))
        })?;
        Ok(Some(StoreCount {
            count: searched.total_count,
            exact: true,
            how: match only {
                Some((f, v, c)) => {
                    format!("GET {path}?searchCriteria[pageSize]=1 with {f} {c} {v} (total_count)")
                }
                None => format!("GET {path}?searchCriteria[pageSize]=1 (total_count)"),
            },
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        PAGE_SIZE
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        // A configurable product asks for its children too.
        let searches = n.div_ceil(PAGE_SIZE) as u64;
        match entity {
            Entity::Products => searches + n as u64,
            _ => searches,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match Self::endpoint(entity) {
            Some((path, field, _)) => format!(
                "GET {path} with {field} in (ID,...), {PAGE_SIZE} a search{}",
                if entity == Entity::Products {
                    ", and each configurable's children"
                } else {
                    ""
                }
            ),
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let Some((path, field, _)) = Self::endpoint(entity) else {
            return Ok(vec![None; ids.len()]);
        };
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(PAGE_SIZE) {
            let list = chunk.join(",");
            let q = MagentoClient::criteria(Some((field, &list, "in")), Some((PAGE_SIZE, 1)));
            let reply = self.client.get(path, &q).await?;
            for item in reply.body["items"].as_array().into_iter().flatten() {
                let id = match entity {
                    Entity::Products => item["sku"].as_str().map(str::to_string),
                    _ => item["id"].as_u64().map(|n| n.to_string()),
                }
                .ok_or_else(|| {
                    ConnectorError::Remote(format!(
                        "Magento GET {path}: an item without its {field}"
                    ))
                })?;
                let rec = match entity {
                    Entity::Products => Record::Product(self.client.product_from(item).await?),
                    _ => Record::Customer(customer_from(item)),
                };
                found.insert(id, rec);
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
