//! Shopify as a source: every entity through its connection with cursor pages; products and
//! customers of a big store through one bulk query whose result file is then served page by
//! page (the cursor names the file and the position in it, so a resumed run reads on).

use super::bulk::{regroup, BulkConfig};
use super::catalog::{customer_from, product_from};
use super::content::{category_from, page_from, redirect_from};
use super::documents::{self as docs, Counted, Listing, Nested};
use super::orders::order_from;
use super::{bulk_options, ShopifyClient};
use crate::connector::{ApiStats, Cursor, Result, Source, SourcePage};
use crate::model::*;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use serde_json::{json, Value};

/// Shopify as a source.
pub struct ShopifySource {
    client: ShopifyClient,
    currency: Option<String>,
    bulk_threshold: usize,
    bulk: BulkConfig,
    /// The last bulk result read: its URL and its objects (nested connections regrouped).
    bulk_cache: Option<(String, Vec<Value>)>,
}

impl ShopifySource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let (bulk_threshold, bulk) = bulk_options(spec);
        Ok(ShopifySource {
            client: ShopifyClient::open(spec)?,
            currency: None,
            bulk_threshold,
            bulk,
            bulk_cache: None,
        })
    }

    async fn currency(&mut self) -> Result<String> {
        if let Some(c) = &self.currency {
            return Ok(c.clone());
        }
        let data = self
            .client
            .run_ok(&docs::shop_currency(), json!({}))
            .await?;
        let c = data
            .pointer("/shop/currencyCode")
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_string();
        self.currency = Some(c.clone());
        Ok(c)
    }

    /// The rest of a nested connection (`owner(id:) { field(first: 250, after:) }`).
    async fn more_nodes(&self, nested: Nested, id: &str, mut after: String) -> Result<Vec<Value>> {
        let (owner, field) = nested.path();
        let q = docs::nested_page(nested);
        let mut out = vec![];
        loop {
            let data = self
                .client
                .run_ok(&q, json!({ "id": id, "after": after }))
                .await?;
            let conn = data[owner][field].clone();
            out.extend(conn["nodes"].as_array().cloned().unwrap_or_default());
            match conn.pointer("/pageInfo/endCursor").and_then(Value::as_str) {
                Some(c) if conn.pointer("/pageInfo/hasNextPage") == Some(&json!(true)) => {
                    after = c.to_string()
                }
                _ => return Ok(out),
            }
        }
    }

    /// Completes a node's nested connection when its first page was not all of it.
    async fn complete(&self, node: &mut Value, nested: Nested) -> Result<()> {
        let (_, field) = nested.path();
        if node.pointer(&format!("/{field}/pageInfo/hasNextPage")) != Some(&json!(true)) {
            return Ok(());
        }
        let id = node["id"].as_str().unwrap_or_default().to_string();
        let after = node
            .pointer(&format!("/{field}/pageInfo/endCursor"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let more = self.more_nodes(nested, &id, after).await?;
        if let Some(list) = node
            .pointer_mut(&format!("/{field}/nodes"))
            .and_then(Value::as_array_mut)
        {
            list.extend(more);
        }
        Ok(())
    }

    async fn count(&self, counted: Counted) -> Result<u64> {
        let data = self.client.run_ok(&docs::count(counted), json!({})).await?;
        Ok(data[counted.root()]["count"].as_u64().unwrap_or(0))
    }

    /// Runs the bulk query for `entity` and returns the cursor of its first page.
    async fn start_bulk(&mut self, entity: Entity) -> Result<Cursor> {
        let query = docs::bulk_read(match entity {
            Entity::Products => Counted::Products,
            _ => Counted::Customers,
        });
        let done = self.client.bulk_query(&query, self.bulk).await?;
        let url = done.url.clone().ok_or_else(|| {
            crate::connector::ConnectorError::Remote(format!(
                "the Shopify bulk query for {entity} ended {} ({}) without a result file",
                done.status,
                done.error_code.as_deref().unwrap_or("no error code")
            ))
        })?;
        let mut lines: Vec<(usize, Value)> = done.lines.into_iter().collect();
        lines.sort_by_key(|(i, _)| *i);
        let objects = regroup(lines.into_iter().map(|(_, l)| l).collect(), |t| match t {
            "ProductVariant" => Some("variants"),
            "MediaImage" | "Video" | "ExternalVideo" | "Model3d" => Some("media"),
            "Collection" => Some("collections"),
            _ => None,
        });
        self.bulk_cache = Some((url.clone(), objects));
        Ok(json!({ "bulk_url": url, "offset": 0 }))
    }

    async fn read_bulk(
        &mut self,
        entity: Entity,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<SourcePage> {
        let url = cursor["bulk_url"].as_str().unwrap_or_default().to_string();
        let offset = cursor["offset"].as_u64().unwrap_or(0) as usize;
        if self.bulk_cache.as_ref().map(|(u, _)| u.as_str()) != Some(url.as_str()) {
            // A resumed run: the result file is still there (Shopify keeps it for a week).
            let lines = self.client.download(&url, None).await?;
            let objects = regroup(lines, |t| match t {
                "ProductVariant" => Some("variants"),
                "MediaImage" | "Video" | "ExternalVideo" | "Model3d" => Some("media"),
                "Collection" => Some("collections"),
                _ => None,
            });
            self.bulk_cache = Some((url.clone(), objects));
        }
        let currency = self.currency().await?;
        let objects = self
            .bulk_cache
            .as_ref()
            .map(|(_, o)| o.as_slice())
            .unwrap_or(&[]);
        let end = (offset + limit.max(1)).min(objects.len());
        let mut page = SourcePage::default();
        for node in &objects[offset.min(end)..end] {
            page.records.push(match entity {
                Entity::Products => Record::Product(product_from(node, &currency)),
                _ => Record::Customer(customer_from(node)),
            });
        }
        if end < objects.len() {
            page.next = Some(json!({ "bulk_url": url, "offset": end }));
        }
        Ok(page)
    }
}

#[async_trait]
impl Source for ShopifySource {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn entities(&self) -> Vec<Entity> {
        vec![
            Entity::Categories,
            Entity::Products,
            Entity::Customers,
            Entity::Orders,
            Entity::Pages,
            Entity::Redirects,
        ]
    }

    fn describe(&self) -> String {
        format!("Shopify Admin API ({})", self.client.store_url)
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        if let Some(c) = cursor.filter(|c| c.get("bulk_url").is_some()) {
            return self.read_bulk(entity, c, limit).await;
        }
        if cursor.is_none()
            && matches!(entity, Entity::Products | Entity::Customers)
            && self.bulk_threshold > 0
            && self
                .count(if entity == Entity::Products {
                    Counted::Products
                } else {
                    Counted::Customers
                })
                .await?
                >= self.bulk_threshold as u64
        {
            let first = self.start_bulk(entity).await?;
            return self.read_bulk(entity, &first, limit).await;
        }
        let after = cursor
            .and_then(|c| c.get("after"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(listing) = Listing::of(entity) else {
            return Ok(SourcePage::default());
        };
        let root = listing.root();
        let currency = self.currency().await?;
        let q = docs::list_page(listing);
        let first = self.client.page_size(&q, limit);
        let data = self
            .client
            .run_ok(&q, json!({ "first": first, "after": after }))
            .await?;
        let conn = &data[root];
        let mut page = SourcePage::default();
        for node in conn["nodes"].as_array().into_iter().flatten() {
            let mut node = node.clone();
            page.records.push(match entity {
                Entity::Products => {
                    self.complete(&mut node, Nested::ProductVariants).await?;
                    Record::Product(product_from(&node, &currency))
                }
                Entity::Customers => Record::Customer(customer_from(&node)),
                Entity::Categories => Record::Category(category_from(&node)),
                Entity::Pages => Record::Page(page_from(&node)),
                Entity::Redirects => Record::Redirect(redirect_from(&node)),
                _ => {
                    self.complete(&mut node, Nested::OrderLineItems).await?;
                    Record::Order(Box::new(order_from(&node)))
                }
            });
        }
        if conn.pointer("/pageInfo/hasNextPage") == Some(&json!(true)) {
            page.next = conn
                .pointer("/pageInfo/endCursor")
                .map(|c| json!({ "after": c }));
        }
        Ok(page)
    }
}
