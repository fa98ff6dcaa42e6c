//! Shopify for verification: counts from the `*Count` fields (one point each) and sampled
//! records by id through `nodes(ids:)`, as many ids a query as its requested cost allows.

use super::documents::{self as docs, Listing};
use super::reply::ShopReply;
use super::source::Node;
use super::ShopifyClient;
use crate::connector::{ConnectorError, Result};
use crate::model::*;
use crate::platform::shopify::{self as facts, cost};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

pub struct ShopifyVerifier {
    client: ShopifyClient,
    currency: Option<String>,
}

/// A `Count` object as the `*Count` fields answer it.
#[derive(Deserialize)]
struct CountReply {
    count: u64,
    precision: Precision,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Precision {
    Exact,
    AtLeast,
}

impl ShopifyVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(ShopifyVerifier {
            client: ShopifyClient::open(spec)?,
            currency: None,
        })
    }

    async fn currency(&mut self) -> Result<String> {
        if let Some(c) = &self.currency {
            return Ok(c.clone());
        }
        let reply: ShopReply = self.client.query(&docs::shop_currency(), json!({})).await?;
        let c = reply.shop.currency_code;
        self.currency = Some(c.clone());
        Ok(c)
    }

    /// Requested cost of one node of `entity` (the per-id price of `nodes(ids:)`).
    fn per_node(entity: Entity) -> u64 {
        docs::by_ids(entity)
            .and_then(|d| {
                cost::requested(
                    d.text(),
                    &json!({ "ids": ["gid://shopify/Node/1"], "inner": docs::BY_IDS_INNER }),
                )
                .ok()
            })
            .unwrap_or(facts::MAX_QUERY_COST)
            .max(1)
    }
}

#[async_trait]
impl Verifier for ShopifyVerifier {
    fn describe(&self) -> String {
        format!("Shopify Admin API ({})", self.client.store_url)
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Points
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let (Some(doc), Some(root)) = (docs::store_count(entity), docs::count_field(entity)) else {
            return Ok(None);
        };
        let reply: Option<CountReply> = self.client.query_field(&doc, json!({}), root).await?;
        let reply = reply.ok_or_else(|| {
            ConnectorError::Remote(format!(
                "Shopify {}: {root} answered null",
                self.client.store_url
            ))
        })?;
        Ok(Some(StoreCount {
            count: reply.count,
            exact: reply.precision == Precision::Exact,
            how: format!("GraphQL {root}(limit: null)"),
        }))
    }

    fn batch_limit(&self, entity: Entity) -> usize {
        ((facts::MAX_QUERY_COST / Self::per_node(entity)) as usize).clamp(1, docs::MAX_NODE_IDS)
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        Self::per_node(entity) * n as u64
    }

    /// Shopify charges a node for what it returns: an object a point, a connection two plus
    /// its nodes, each as the object it is (the selections of [`docs::by_ids`]).
    fn record_cost(&self, entity: Entity, expected: &Value) -> f64 {
        let len = |k: &str| expected[k].as_array().map(Vec::len).unwrap_or(0) as f64;
        let points = match entity {
            // node, seo, options; variants 2 + 7 each; media 2 + 2 each; collections 2 + 2 each
            Entity::Products => {
                3.0 + 2.0
                    + 7.0 * len("variants").max(1.0)
                    + 2.0
                    + 2.0 * len("images").min(20.0)
                    + 2.0
                    + 2.0 * len("categories").min(10.0)
            }
            // node, customer, five money sets, tax lines, transactions, two addresses;
            // shipping lines 2 + 6 each; line items 2 + 8 each
            Entity::Orders => {
                24.0 + 2.0 + 6.0 * len("shipping_lines") + 2.0 + 8.0 * len("line_items")
            }
            Entity::Pages => 3.0,
            _ => 4.0,
        };
        points.min(Self::per_node(entity) as f64)
    }

    fn fetch_how(&self, entity: Entity) -> String {
        format!(
            "GraphQL nodes(ids:), {} ids a query (at most {} points each)",
            self.batch_limit(entity),
            Self::per_node(entity)
        )
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        let (Some(doc), Some(ty), Some(listing)) = (
            docs::by_ids(entity),
            docs::node_type(entity),
            Listing::of(entity),
        ) else {
            return Ok(vec![None; ids.len()]);
        };
        let currency = self.currency().await?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(self.batch_limit(entity)) {
            let nodes: Vec<Option<Value>> = self
                .client
                .query_field(
                    &doc,
                    json!({ "ids": chunk, "inner": docs::BY_IDS_INNER }),
                    "nodes",
                )
                .await?;
            if nodes.len() != chunk.len() {
                return Err(ConnectorError::Remote(format!(
                    "Shopify {}: nodes(ids:) answered {} nodes for {} ids",
                    self.client.store_url,
                    nodes.len(),
                    chunk.len()
                )));
            }
            for (i, node) in nodes.iter().enumerate() {
                // `null`: no such id; another type: the id names something else.
                let of_type = node
                    .as_ref()
                    .filter(|n| n.get("__typename").and_then(Value::as_str) == Some(ty));
                let Some(v) = of_type else {
                    out.push(None);
                    continue;
                };
                let mut node = Node::parse(listing, doc.name(), &format!("nodes[{i}]"), v)?;
                for n in listing.followed() {
                    self.client.complete(&mut node, *n).await?;
                }
                out.push(Some(node.record(&currency)));
            }
        }
        Ok(out)
    }

    fn spent(&self) -> u64 {
        self.client.stats().points
    }

    fn requests(&self) -> u64 {
        self.client.stats().calls
    }
}
