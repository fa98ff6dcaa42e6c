//! WooCommerce for verification: counts from the `X-WP-Total` header of a one-item page, and
//! records by id through `include=` (up to 100 ids a request), in requests.

use super::categories::CategoryIndex;
use super::orders::order_from;
use super::pages::{page_from, STATUSES};
use super::{customer_from, parse, wire, WooClient};
use crate::api::http::Reply;
use crate::connector::{ConnectorError, Result};
use crate::model::*;
use crate::platform::woocommerce::MAX_PER_PAGE;
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use std::collections::HashMap;

pub struct WooVerifier {
    client: WooClient,
    categories: Option<CategoryIndex>,
}

impl WooVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(WooVerifier {
            client: WooClient::open(spec)?,
            categories: None,
        })
    }

    /// The list endpoint of an entity (`wp`: WordPress's API rather than WooCommerce's).
    fn endpoint(&self, entity: Entity) -> Option<(&'static str, bool)> {
        Some(match entity {
            Entity::Products => ("/products", false),
            Entity::Customers => ("/customers", false),
            Entity::Orders => ("/orders", false),
            Entity::Categories => ("/products/categories", false),
            Entity::Pages if self.client.wp.is_some() => ("/pages", true),
            _ => return None,
        })
    }

    async fn list(&self, path: &str, wp: bool, query: &[(&str, String)]) -> Result<Reply> {
        let mut q = query.to_vec();
        if wp {
            q.extend([("status", STATUSES.into()), ("context", "edit".into())]);
            self.client.wp_get(path, &q).await
        } else {
            self.client.get(path, &q).await
        }
    }
}

#[async_trait]
impl Verifier for WooVerifier {
    fn describe(&self) -> String {
        format!("WooCommerce REST API ({})", self.client.store_url)
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let Some((path, wp)) = self.endpoint(entity) else {
            return Ok(None);
        };
        let reply = self.list(path, wp, &[("per_page", "1".into())]).await?;
        let count = reply
            .header("x-wp-total")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ConnectorError::Remote(format!(
                    "WooCommerce {} GET {path}: the reply has no X-WP-Total header with a number",
                    self.client.store_url
                ))
            })?;
        Ok(Some(StoreCount {
            count,
            exact: true,
            how: format!("GET {path}?per_page=1 (X-WP-Total)"),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_PER_PAGE
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        // One request a batch; a variable product asks for its variations too.
        let batches = n.div_ceil(MAX_PER_PAGE) as u64;
        match entity {
            Entity::Products => batches + n as u64,
            _ => batches,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match self.endpoint(entity) {
            Some((path, _)) if entity == Entity::Categories => {
                format!("GET {path} (the category tree, for each category's path)")
            }
            Some((path, _)) if entity == Entity::Products => format!(
                "GET {path}?include=ID,...&per_page={MAX_PER_PAGE}, and each variable product's variations"
            ),
            Some((path, _)) => format!("GET {path}?include=ID,...&per_page={MAX_PER_PAGE}"),
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let Some((path, wp)) = self.endpoint(entity) else {
            return Ok(vec![None; ids.len()]);
        };
        if matches!(entity, Entity::Categories | Entity::Products) && self.categories.is_none() {
            self.categories = Some(CategoryIndex::load(&self.client).await?);
        }
        if entity == Entity::Categories {
            let index = self.categories.as_ref().expect("loaded above");
            return Ok(ids
                .iter()
                .map(|id| {
                    id.parse::<u64>()
                        .ok()
                        .and_then(|n| index.get(n))
                        .map(Record::Category)
                })
                .collect());
        }
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(MAX_PER_PAGE) {
            let q = [
                ("include", chunk.join(",")),
                ("per_page", MAX_PER_PAGE.to_string()),
            ];
            let reply = self.list(path, wp, &q).await?;
            let endpoint = format!("GET {path}");
            let body = &reply.body;
            let records: Vec<(u64, Record)> = match entity {
                Entity::Products => {
                    let mut out = vec![];
                    for item in parse::<Vec<wire::Product>>(&endpoint, body)? {
                        let variations = self.client.variations_of(&item).await?;
                        let mut p = self.client.product_from(&item, &variations);
                        if let Some(index) = &self.categories {
                            p.categories = index.paths_of(&item.categories);
                        }
                        out.push((item.id, Record::Product(p)));
                    }
                    out
                }
                Entity::Customers => parse::<Vec<wire::Customer>>(&endpoint, body)?
                    .iter()
                    .map(|c| (c.id, Record::Customer(customer_from(c))))
                    .collect(),
                Entity::Orders => parse::<Vec<wire::Order>>(&endpoint, body)?
                    .iter()
                    .map(|o| {
                        let order = order_from(o, &self.client.currency);
                        (o.id, Record::Order(Box::new(order)))
                    })
                    .collect(),
                _ => parse::<Vec<wire::Page>>(&endpoint, body)?
                    .iter()
                    .map(|p| (p.id, Record::Page(page_from(p))))
                    .collect(),
            };
            for (id, rec) in records {
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
