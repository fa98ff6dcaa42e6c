//! Shopify as a source. An entity with at least `bulk_threshold` records (a cheap `*Count`
//! query) is read through one bulk query; smaller ones page through their connection.
//!
//! Bulk: the first call starts the query and answers an empty page whose cursor names the
//! operation, so the id is checkpointed before anything is read and a run killed at any point
//! takes the same operation up again (`node(id:)`) instead of starting another. The result file
//! is downloaded into the endpoint's `scratch_dir` (see `bulk_file`) and served from there page
//! by page; the cursor says how far: `at`, the byte offset of the next record's line (and its
//! line number), and the id of the last record read, which says where to begin when the offset
//! cannot be used (the file expired and the query ran again: its new file is read from after
//! that id). The file is deleted once its last page is served.
//!
//! Paging: each page's `first` (and its nested connection's `inner`) is chosen from the
//! document's requested cost and the bucket, and a nested connection cut short by its page is
//! followed with queries of its own, so no record arrives truncated.

use super::bulk::BulkConfig;
use super::bulk_file::{remove_result, result_path, BulkFile, Fetched, Regroup};
use super::catalog::{customer_from, product_from};
use super::content::{category_from, page_from, redirect_from};
use super::documents::{self as docs, Counted, Listing, Nested};
use super::orders::order_from;
use super::reply::{self, Connection, CountOnly, Id, OpStatus, PageInfo, ShopReply};
use super::{bulk_options, ShopifyClient};
use crate::connector::{ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage};
use crate::model::*;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// A record of a listing as Shopify answered it (see `reply.rs`).
#[derive(Debug, Clone)]
pub(super) enum Node {
    Product(Box<reply::ProductNode>),
    Customer(Box<reply::CustomerNode>),
    Collection(Box<reply::CollectionNode>),
    Page(Box<reply::PageNode>),
    Redirect(Box<reply::RedirectNode>),
    Order(Box<reply::OrderNode>),
}

impl Node {
    /// Reads a node of `listing` found at `at` in the reply to `document`.
    pub(super) fn parse(
        listing: Listing,
        document: &str,
        at: &str,
        v: &Value,
    ) -> std::result::Result<Node, reply::ReplyError> {
        Ok(match listing {
            Listing::Products => Node::Product(reply::parse(document, at, v)?),
            Listing::Customers => Node::Customer(reply::parse(document, at, v)?),
            Listing::Collections => Node::Collection(reply::parse(document, at, v)?),
            Listing::Pages => Node::Page(reply::parse(document, at, v)?),
            Listing::Redirects => Node::Redirect(reply::parse(document, at, v)?),
            Listing::Orders => Node::Order(reply::parse(document, at, v)?),
        })
    }

    pub(super) fn id(&self) -> &str {
        match self {
            Node::Product(n) => &n.id,
            Node::Customer(n) => &n.id,
            Node::Collection(n) => &n.id,
            Node::Page(n) => &n.id,
            Node::Redirect(n) => &n.id,
            Node::Order(n) => &n.id,
        }
    }

    /// Shopify's own `updatedAt` (pages and redirects select none).
    fn updated_at(&self) -> Option<&str> {
        match self {
            Node::Product(n) => Some(&n.updated_at),
            Node::Customer(n) => Some(&n.updated_at),
            Node::Collection(n) => Some(&n.updated_at),
            Node::Order(n) => Some(&n.updated_at),
            Node::Page(_) | Node::Redirect(_) => None,
        }
    }

    pub(super) fn record(&self, currency: &str) -> Record {
        match self {
            Node::Product(n) => Record::Product(product_from(n, currency)),
            Node::Customer(n) => Record::Customer(customer_from(n)),
            Node::Collection(n) => Record::Category(category_from(n)),
            Node::Page(n) => Record::Page(page_from(n)),
            Node::Redirect(n) => Record::Redirect(redirect_from(n)),
            Node::Order(n) => Record::Order(Box::new(order_from(n))),
        }
    }
}

/// Appends the rest of `conn` (when its page was not all of it) and says how many it holds.
async fn follow<T: DeserializeOwned>(
    client: &ShopifyClient,
    nested: Nested,
    id: &str,
    conn: &mut Connection<T>,
) -> Result<u64> {
    if let Some(after) = conn.page_info.next().map(str::to_string) {
        let more = client.more_nodes(nested, id, after).await?;
        conn.nodes.extend(more);
        conn.page_info = PageInfo::default();
    }
    Ok(conn.nodes.len() as u64)
}

impl ShopifyClient {
    /// The rest of a nested connection (`owner(id:) { field(first:, after:) }`), each page as
    /// large as one query's cost allows.
    async fn more_nodes<T: DeserializeOwned>(
        &self,
        nested: Nested,
        id: &str,
        mut after: String,
    ) -> Result<Vec<T>> {
        let (owner, field) = nested.path();
        let q = docs::nested_page(nested);
        let mut out = vec![];
        loop {
            let vars = json!({ "id": id, "after": after });
            let first = self.shaped_page(&q, &vars, usize::MAX);
            let data = self
                .run_ok(&q, json!({ "id": id, "after": after, "first": first }))
                .await?;
            let holder: Option<Value> = reply::field(q.name(), &data, owner)?;
            let Some(holder) = holder else {
                return Err(ConnectorError::Remote(format!(
                    "Shopify lost {owner} {id} while its {field} were being read"
                )));
            };
            let conn: Connection<T> =
                reply::field(q.name(), &holder, field).map_err(|e| reply::ReplyError {
                    path: format!("{owner}.{}", e.path),
                    ..e
                })?;
            out.extend(conn.nodes);
            match conn.page_info.next() {
                Some(c) => after = c.to_string(),
                None => return Ok(out),
            }
        }
    }

    /// Completes a node's nested connection when its first page was not all of it; returns
    /// how many nodes it has.
    pub(super) async fn complete(&self, node: &mut Node, nested: Nested) -> Result<u64> {
        match (node, nested) {
            (Node::Product(p), Nested::ProductVariants) => {
                follow(self, nested, &p.id, &mut p.variants).await
            }
            (Node::Product(p), Nested::ProductMedia) => {
                follow(self, nested, &p.id, &mut p.media).await
            }
            (Node::Product(p), Nested::ProductCollections) => {
                follow(self, nested, &p.id, &mut p.collections).await
            }
            (Node::Order(o), Nested::OrderLineItems) => {
                follow(self, nested, &o.id, &mut o.line_items).await
            }
            (Node::Order(o), Nested::OrderShippingLines) => {
                follow(self, nested, &o.id, &mut o.shipping_lines).await
            }
            (n, nested) => Err(ConnectorError::Other(anyhow::anyhow!(
                "{nested:?} is not a connection of {}",
                n.id()
            ))),
        }
    }
}

/// How many recent nested-connection sizes size the next page's `inner`.
const SEEN_WINDOW: usize = 512;

/// Shopify as a source.
pub struct ShopifySource {
    client: ShopifyClient,
    currency: Option<String>,
    bulk_threshold: usize,
    bulk: BulkConfig,
    /// Where bulk result files are kept while they are read.
    scratch: PathBuf,
    /// Without a `scratch_dir`, a directory of this process's own (removed on drop): another
    /// process has no cursor to resume from it, and must not find its files.
    _own_scratch: Option<tempfile::TempDir>,
    /// The operation whose result file was checked (and fetched) by this process.
    fetched: Option<String>,
    /// Sizes of nested connections seen lately, per connection.
    seen: HashMap<Nested, VecDeque<u64>>,
    /// Bulk queries run again in a row because their result was unavailable.
    reruns: u32,
}

/// Where a bulk read stands (the cursor's JSON).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct BulkCursor {
    bulk_op: String,
    /// Byte offset in this operation's file of the next record's line (0: the start).
    #[serde(default)]
    at: u64,
    /// That line's number (from 1), for messages about the lines after it.
    #[serde(default = "first_line")]
    line: u64,
    /// The last record read (from any file of this entity's read). Reading from the start of
    /// a file, records up to it are skipped: they came from an earlier file of the same read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_id: Option<String>,
}

fn first_line() -> u64 {
    1
}

/// A bulk query that failed this many times in a row in one process is reported, not run
/// again (a later run tries afresh).
const MAX_RERUNS: u32 = 3;

/// The number at the end of a global id (`gid://shopify/Order/42` → 42). Connections list
/// by id unless told otherwise, so a bulk file's records come in this order.
fn id_number(id: &str) -> Option<u64> {
    id.rsplit('/').next()?.parse().ok()
}

/// The size the next page's nested connection asks for: the 95th percentile of what recent
/// records had, so most arrive whole and the rest are followed.
fn wanted_inner(seen: Option<&VecDeque<u64>>, nested: Nested) -> u64 {
    let default = match nested {
        Nested::ProductVariants => 25,
        _ => 20,
    };
    let Some(seen) = seen.filter(|s| !s.is_empty()) else {
        return default;
    };
    let mut sizes: Vec<u64> = seen.iter().copied().collect();
    sizes.sort_unstable();
    let at = (sizes.len() * 95).div_ceil(100).saturating_sub(1);
    sizes[at.min(sizes.len() - 1)].max(1)
}

impl ShopifySource {
    /// Opens the source; a relative `scratch_dir` is taken from the working directory.
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Self::open_in(spec, Path::new("."))
    }

    /// Opens the source; a relative `scratch_dir` is taken from `base`, the config's
    /// directory. Without one, bulk results go to a temporary directory of this source's.
    pub fn open_in(spec: &EndpointSpec, base: &Path) -> Result<Self> {
        let (bulk_threshold, bulk) = bulk_options(spec);
        let (scratch, own) = match spec.options.get("scratch_dir").and_then(Value::as_str) {
            Some(dir) if !dir.trim().is_empty() => (base.join(dir), None),
            _ => {
                let own = tempfile::Builder::new()
                    .prefix("storeshift-bulk-")
                    .tempdir()
                    .map_err(|e| {
                        ConnectorError::Input(format!(
                            "cannot create a temporary directory for Shopify bulk results ({e}); set the endpoint's scratch_dir"
                        ))
                    })?;
                (own.path().to_path_buf(), Some(own))
            }
        };
        Ok(ShopifySource {
            client: ShopifyClient::open(spec)?,
            currency: None,
            bulk_threshold,
            bulk,
            scratch,
            _own_scratch: own,
            fetched: None,
            seen: HashMap::new(),
            reruns: 0,
        })
    }

    fn result_path(&self, op: &str) -> PathBuf {
        result_path(&self.scratch, &self.client.store_url, op)
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

    /// Completes a node's nested connection when its first page was not all of it, and
    /// remembers how big it was.
    async fn complete(&mut self, node: &mut Node, nested: Nested) -> Result<()> {
        let size = self.client.complete(node, nested).await?;
        let seen = self.seen.entry(nested).or_default();
        if seen.len() == SEEN_WINDOW {
            seen.pop_front();
        }
        seen.push_back(size);
        Ok(())
    }

    async fn count(&self, counted: Counted, search: Option<&str>) -> Result<u64> {
        let vars = if counted.listing().searchable() {
            json!({ "query": search })
        } else {
            json!({})
        };
        let count: Option<CountOnly> = self
            .client
            .query_field(&docs::count(counted), vars, counted.root())
            .await?;
        count.map(|c| c.count).ok_or_else(|| {
            ConnectorError::Remote(format!("Shopify answered no {} (null)", counted.root()))
        })
    }

    /// Starts (or takes up) the bulk query of `listing` (narrowed by `search`); the page is
    /// empty and its cursor names the operation.
    async fn start_bulk(
        &self,
        listing: Listing,
        search: Option<&str>,
        read: Option<&BulkCursor>,
    ) -> Result<SourcePage> {
        let id = self
            .client
            .start_bulk_query(&docs::bulk_read(Counted::of(listing), search), self.bulk)
            .await?;
        let cursor = BulkCursor {
            bulk_op: id,
            at: 0,
            line: 1,
            last_id: read.and_then(|r| r.last_id.clone()),
        };
        Ok(SourcePage {
            next: Some(serde_json::to_value(cursor).map_err(|e| ConnectorError::Other(e.into()))?),
            ..SourcePage::default()
        })
    }

    async fn read_bulk(
        &mut self,
        entity: Entity,
        listing: Listing,
        search: Option<&str>,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<ChangedPage> {
        let c: BulkCursor = serde_json::from_value(cursor.clone()).map_err(|e| {
            ConnectorError::Input(format!(
                "the saved Shopify bulk cursor of {entity} is not readable ({e}): {cursor}"
            ))
        })?;
        let path = self.result_path(&c.bulk_op);
        // Once per operation and process: the file on disk is checked against the operation
        // (a resumed run finds it whole and downloads nothing, or resumes its download).
        if self.fetched.as_deref() != Some(c.bulk_op.as_str()) {
            let op = self.client.finish_query(&c.bulk_op, self.bulk).await?;
            let fetched = match op.status {
                OpStatus::Completed => self.client.fetch_result(&op, &path).await?,
                // Shopify's copy expired after ours was whole.
                OpStatus::Expired if path.is_file() => Fetched::Ready,
                _ => Fetched::Gone,
            };
            if fetched == Fetched::Gone {
                // The file is gone (kept seven days), or the query failed or was canceled: it
                // runs again and its new file is read from after the last record taken.
                let denied = op.error_code.as_deref() == Some("ACCESS_DENIED");
                if denied || self.reruns >= MAX_RERUNS {
                    return Err(ConnectorError::Remote(format!(
                        "the Shopify bulk query {} for {entity} ended {} ({}){}",
                        op.id,
                        op.status.as_str(),
                        op.error_code.as_deref().unwrap_or("no error code"),
                        if denied {
                            "; the access token lacks a scope the query needs (read_products, read_customers, read_orders, read_content)"
                        } else {
                            "; it was run again three times: resume the run later"
                        }
                    )));
                }
                self.reruns += 1;
                remove_result(&path);
                tracing::warn!(op = %c.bulk_op, status = ?op.status, %entity, "bulk result unavailable; running the query again");
                return Ok(ChangedPage {
                    page: self.start_bulk(listing, search, Some(&c)).await?,
                    newest: None,
                });
            }
            self.reruns = 0;
            self.fetched = Some(c.bulk_op.clone());
        }
        let currency = self.currency().await?;
        let unreadable = |e: String| {
            ConnectorError::Remote(format!(
                "the bulk result of {} ({}): {e}",
                c.bulk_op,
                path.display()
            ))
        };
        // The saved offset when it still starts a line of this file; else the file from the
        // start, skipping what an earlier file of this read gave.
        let resume = c.at > 0
            && BulkFile::starts_line(&path, c.at).map_err(|e| unreadable(e.to_string()))?;
        let (at, line, skip_through) = if resume {
            (c.at, c.line, None)
        } else {
            (0, 1, c.last_id.as_deref().and_then(id_number))
        };
        let children: Vec<&'static str> = listing.followed().iter().map(|n| n.path().1).collect();
        let regroup = Regroup::new(docs::bulk_child_field, children, at, line);
        let mut file = BulkFile::open(&path, at, regroup).map_err(|e| unreadable(e.to_string()))?;
        let document = docs::bulk_read(Counted::of(listing), search);
        let mut page = SourcePage::default();
        let mut nodes = vec![];
        while nodes.len() < limit.max(1) {
            let Some(group) = file.next_record().map_err(unreadable)? else {
                break;
            };
            let node = Node::parse(
                listing,
                document.name(),
                &format!("line {}", group.line),
                &group.value,
            )?;
            if skip_through.is_some_and(|n| id_number(node.id()).is_none_or(|i| i <= n)) {
                continue;
            }
            page.records.push(node.record(&currency));
            nodes.push(node);
        }
        let newest = newest(&nodes);
        match file.next_start() {
            Some((at, line)) => {
                let next = BulkCursor {
                    bulk_op: c.bulk_op.clone(),
                    at,
                    line,
                    last_id: nodes
                        .last()
                        .map(|n| n.id().to_string())
                        .or(c.last_id.clone()),
                };
                page.next =
                    Some(serde_json::to_value(next).map_err(|e| ConnectorError::Other(e.into()))?);
            }
            // The entity is read: its file is not needed again (a run killed before this
            // page is committed downloads it once more).
            None => {
                remove_result(&path);
                self.fetched = None;
            }
        }
        Ok(ChangedPage { page, newest })
    }

    /// One page of a listing, shaped by cost.
    async fn read_paged(
        &mut self,
        listing: Listing,
        search: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<ChangedPage> {
        let after = cursor
            .and_then(|c| c.get("after"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let root = listing.root();
        let currency = self.currency().await?;
        let q = docs::list_page(listing);
        let mut vars = json!({ "after": after });
        if listing.searchable() {
            vars["query"] = json!(search);
        }
        if let Some(n) = listing.nested() {
            let inner = self
                .client
                .shaped_inner(&q, wanted_inner(self.seen.get(&n), n));
            vars["inner"] = json!(inner);
        }
        vars["first"] = json!(self.client.shaped_page(&q, &vars, limit));
        let conn: Connection<Value> = self.client.query_field(&q, vars, root).await?;
        let mut page = SourcePage::default();
        let mut nodes = Vec::with_capacity(conn.nodes.len());
        for (i, v) in conn.nodes.iter().enumerate() {
            let mut node = Node::parse(listing, q.name(), &format!("{root}.nodes[{i}]"), v)?;
            for n in listing.followed() {
                self.complete(&mut node, *n).await?;
            }
            page.records.push(node.record(&currency));
            nodes.push(node);
        }
        if let Some(c) = conn.page_info.next() {
            page.next = Some(json!({ "after": c }));
        }
        Ok(ChangedPage {
            page,
            newest: newest(&nodes),
        })
    }

    /// A page of `entity`, the whole connection or what `search` selects: through one bulk
    /// query when the first page finds at least `bulk_threshold` records to read.
    async fn read_listing(
        &mut self,
        entity: Entity,
        listing: Listing,
        search: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<ChangedPage> {
        if let Some(c) = cursor.filter(|c| c.get("bulk_op").is_some()) {
            return self.read_bulk(entity, listing, search, c, limit).await;
        }
        if cursor.is_none()
            && self.bulk_threshold > 0
            && self.count(Counted::of(listing), search).await? >= self.bulk_threshold as u64
        {
            return Ok(ChangedPage {
                page: self.start_bulk(listing, search, None).await?,
                newest: None,
            });
        }
        self.read_paged(listing, search, cursor, limit).await
    }
}

/// The newest `updatedAt` among `nodes`: Shopify's own clock, as it reported it.
fn newest(nodes: &[Node]) -> Option<String> {
    nodes
        .iter()
        .filter_map(Node::updated_at)
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .max()
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
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
        let Some(listing) = Listing::of(entity) else {
            return Ok(SourcePage::default());
        };
        Ok(self
            .read_listing(entity, listing, None, cursor, limit)
            .await?
            .page)
    }

    /// `updated_at:>=` search on products, customers, collections and orders, through a bulk
    /// query when what changed reaches `bulk_threshold`; pages and redirects have no such
    /// filter and are read whole (unchanged ones skipped by content hash).
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        let Some(listing) = Listing::of(entity).filter(|l| l.searchable()) else {
            return Ok(None);
        };
        let search = docs::changed_since(since);
        Ok(Some(
            self.read_listing(entity, listing, Some(&search), cursor, limit)
                .await?,
        ))
    }

    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let Some(listing) = Listing::of(entity).filter(|l| l.searchable()) else {
            return Ok(None);
        };
        let q = docs::ids_page(listing);
        let root = listing.root();
        let mut out = vec![];
        let mut after: Option<String> = None;
        loop {
            let first = self
                .client
                .shaped_page(&q, &json!({ "after": after }), usize::MAX);
            let conn: Connection<Id> = self
                .client
                .query_field(&q, json!({ "first": first, "after": after }), root)
                .await?;
            out.extend(conn.nodes.into_iter().map(|n| n.id));
            match conn.page_info.next() {
                Some(c) => after = Some(c.to_string()),
                None => return Ok(Some(out)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_page_covers_most_recent_records() {
        let seen: VecDeque<u64> = (1..=100).collect();
        assert_eq!(wanted_inner(Some(&seen), Nested::OrderLineItems), 95);
        let one: VecDeque<u64> = [600].into_iter().collect();
        assert_eq!(wanted_inner(Some(&one), Nested::OrderLineItems), 600);
        assert_eq!(wanted_inner(None, Nested::ProductVariants), 25);
    }

    #[test]
    fn ids_order_by_their_number() {
        assert_eq!(id_number("gid://shopify/Order/42"), Some(42));
        assert!(id_number("gid://shopify/Order/9") < id_number("gid://shopify/Order/10"));
        assert_eq!(id_number("nonsense"), None);
    }
}
