//! Shopify Admin GraphQL: products and customers as a source (cursor pagination) and as a
//! target (productSet / customerSet upserts by identifier), paced by the cost bucket the API
//! reports in `extensions.cost.throttleStatus` so a run spends the budget without being throttled.

use super::http::{HttpClient, HttpConfig, Safety};
use crate::connector::{
    ApiStats, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::shopify::{self as facts, cost, CostBucket};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the client believes the bucket holds, refreshed from every reply.
#[derive(Debug)]
struct Budget {
    bucket: CostBucket,
    available: f64,
    at: Instant,
}

impl Budget {
    fn now(&self) -> f64 {
        (self.available + self.at.elapsed().as_secs_f64() * self.bucket.restore_rate)
            .min(self.bucket.maximum)
    }

    /// How long until `cost` points are there.
    fn wait_for(&self, cost: f64) -> Duration {
        let missing = cost.min(self.bucket.maximum) - self.now();
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / self.bucket.restore_rate.max(1.0))
        }
    }

    fn spend(&mut self, cost: f64) {
        self.available = self.now() - cost;
        self.at = Instant::now();
    }

    fn observe(&mut self, status: &Value) {
        let num = |k: &str| status.get(k).and_then(Value::as_f64);
        if let (Some(max), Some(cur), Some(rate)) = (
            num("maximumAvailable"),
            num("currentlyAvailable"),
            num("restoreRate"),
        ) {
            self.bucket = CostBucket {
                restore_rate: rate,
                maximum: max,
            };
            self.available = cur;
            self.at = Instant::now();
        }
    }
}

/// Errors GraphQL reported for the request as a whole (HTTP 200 with `errors`).
#[derive(Debug)]
struct GraphqlErrors(String);

/// A GraphQL Admin API session of one store.
pub struct ShopifyClient {
    http: HttpClient,
    endpoint: String,
    token: String,
    budget: Mutex<Budget>,
    store_url: String,
}

impl ShopifyClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Shopify API endpoint needs `url = \"https://STORE.myshopify.com\"`".into(),
            )
        })?;
        let token = spec.credential("token")?;
        let version = spec
            .options
            .get("api_version")
            .and_then(Value::as_str)
            .unwrap_or(facts::API_VERSION);
        let plan = spec
            .options
            .get("plan")
            .and_then(Value::as_str)
            .unwrap_or("standard");
        let http = HttpClient::new(HttpConfig::default().with_options(spec))?;
        let bucket = facts::cost_bucket(plan);
        Ok(ShopifyClient {
            http,
            endpoint: format!(
                "{}{}",
                url.trim_end_matches('/'),
                facts::graphql_path(version)
            ),
            token,
            budget: Mutex::new(Budget {
                bucket,
                available: bucket.maximum,
                at: Instant::now(),
            }),
            store_url: url.to_string(),
        })
    }

    fn budget(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> ApiStats {
        let used = {
            let b = self.budget();
            100.0 * (1.0 - b.now() / b.bucket.maximum.max(1.0))
        };
        self.http.counters().set_budget_used(used);
        self.http.stats()
    }

    /// Runs one GraphQL document, waiting for the bucket to hold its cost first. Throttled and
    /// internal-error replies are retried; other GraphQL errors come back as `Err(Ok(..))`.
    async fn run(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<std::result::Result<Value, GraphqlErrors>> {
        let requested = cost::requested(query, &variables)
            .map_err(|e| ConnectorError::Other(anyhow::anyhow!("bad GraphQL document: {e}")))?
            as f64;
        let body = json!({ "query": query, "variables": variables });
        let max_retries = self.http.config().max_retries;
        let mut attempt = 0u32;
        loop {
            let wait = self.budget().wait_for(requested);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            self.budget().spend(requested);
            let reply = self
                .http
                .send("Shopify GraphQL", Safety::Idempotent, |c| {
                    c.post(&self.endpoint)
                        .header(facts::TOKEN_HEADER, &self.token)
                        .json(&body)
                })
                .await?;
            if !reply.status.is_success() {
                let msg = match &reply.body {
                    Value::Object(o) => o
                        .get("errors")
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| reply.body.to_string()),
                    other => other.to_string(),
                };
                let hint = if reply.status.as_u16() == 401 || reply.status.as_u16() == 403 {
                    " (check the access token and its scopes)"
                } else {
                    ""
                };
                return Err(ConnectorError::Remote(format!(
                    "Shopify {}: HTTP {}: {msg}{hint}",
                    self.store_url, reply.status
                )));
            }
            if let Some(status) = reply.body.pointer("/extensions/cost/throttleStatus") {
                self.budget().observe(status);
            }
            let errors = reply
                .body
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if errors.is_empty() {
                return Ok(Ok(reply.body.get("data").cloned().unwrap_or(Value::Null)));
            }
            let code = |e: &Value| {
                e.pointer("/extensions/code")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let throttled = errors
                .iter()
                .any(|e| code(e).as_deref() == Some("THROTTLED"));
            let internal = errors
                .iter()
                .any(|e| code(e).as_deref() == Some("INTERNAL_SERVER_ERROR"));
            let messages: Vec<String> = errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_string()
                })
                .collect();
            if !(throttled || internal) || attempt >= max_retries {
                return Ok(Err(GraphqlErrors(messages.join("; "))));
            }
            if throttled {
                self.http.note_throttled();
                let wait = self.budget().wait_for(requested);
                self.http.wait_before_retry(attempt, Some(wait)).await;
            } else {
                self.http.wait_before_retry(attempt, None).await;
            }
            attempt += 1;
        }
    }

    async fn run_ok(&self, query: &str, variables: Value) -> Result<Value> {
        self.run(query, variables)
            .await?
            .map_err(|e| ConnectorError::Remote(format!("Shopify {}: {}", self.store_url, e.0)))
    }

    /// Largest page whose requested cost fits one query and the bucket.
    fn page_size(&self, query: &str, limit: usize) -> u64 {
        let per_node = cost::requested(query, &json!({ "first": 1 }))
            .unwrap_or(1)
            .saturating_sub(2)
            .max(1);
        let ceiling = (facts::MAX_QUERY_COST as f64).min(self.budget().bucket.maximum) as u64;
        ((ceiling.saturating_sub(2)) / per_node)
            .clamp(1, facts::MAX_PAGE_SIZE)
            .min(limit.max(1) as u64)
    }
}

const PRODUCT_FIELDS: &str =
    "id handle title descriptionHtml vendor productType tags status createdAt
    seo { title description }
    options { name values }
    variants(first: 25) { nodes { ...V } pageInfo { hasNextPage endCursor } }
    media(first: 20) { nodes { alt ... on MediaImage { image { url } } } }";

const VARIANT_FRAGMENT: &str =
    "fragment V on ProductVariant { id sku barcode price compareAtPrice inventoryQuantity
    inventoryPolicy taxable selectedOptions { name value } inventoryItem { tracked requiresShipping
    unitCost { amount } measurement { weight { value unit } } } }";

const CUSTOMER_FIELDS: &str = "id email firstName lastName phone note tags createdAt
    addresses { address1 address2 city company countryCodeV2 firstName lastName phone provinceCode zip }
    emailMarketingConsent { marketingState consentUpdatedAt }
    smsMarketingConsent { marketingState }";

/// Shopify as a source.
pub struct ShopifySource {
    client: ShopifyClient,
    currency: Option<String>,
}

impl ShopifySource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(ShopifySource {
            client: ShopifyClient::open(spec)?,
            currency: None,
        })
    }

    async fn currency(&mut self) -> Result<String> {
        if let Some(c) = &self.currency {
            return Ok(c.clone());
        }
        let data = self
            .client
            .run_ok("{ shop { currencyCode } }", json!({}))
            .await?;
        let c = data
            .pointer("/shop/currencyCode")
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_string();
        self.currency = Some(c.clone());
        Ok(c)
    }

    async fn more_variants(&self, product_id: &str, mut after: String) -> Result<Vec<Value>> {
        let q = format!(
            "query($id: ID!, $after: String) {{ product(id: $id) {{ variants(first: 250, after: $after) {{ nodes {{ ...V }} pageInfo {{ hasNextPage endCursor }} }} }} }} {VARIANT_FRAGMENT}"
        );
        let mut out = vec![];
        loop {
            let data = self
                .client
                .run_ok(&q, json!({ "id": product_id, "after": after }))
                .await?;
            let conn = data
                .pointer("/product/variants")
                .cloned()
                .unwrap_or(Value::Null);
            out.extend(conn["nodes"].as_array().cloned().unwrap_or_default());
            match conn.pointer("/pageInfo/endCursor").and_then(Value::as_str) {
                Some(c) if conn.pointer("/pageInfo/hasNextPage") == Some(&json!(true)) => {
                    after = c.to_string()
                }
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl Source for ShopifySource {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Products, Entity::Customers]
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
        let after = cursor
            .and_then(|c| c.get("after"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let (root, fields, fragment) = match entity {
            Entity::Products => ("products", PRODUCT_FIELDS, VARIANT_FRAGMENT),
            Entity::Customers => ("customers", CUSTOMER_FIELDS, ""),
            _ => return Ok(SourcePage::default()),
        };
        let currency = self.currency().await?;
        let q = format!(
            "query($first: Int!, $after: String) {{ {root}(first: $first, after: $after) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }} {fragment}"
        );
        let first = self.client.page_size(&q, limit);
        let data = self
            .client
            .run_ok(&q, json!({ "first": first, "after": after }))
            .await?;
        let conn = &data[root];
        let mut page = SourcePage::default();
        for node in conn["nodes"].as_array().into_iter().flatten() {
            match entity {
                Entity::Products => {
                    let mut node = node.clone();
                    if node.pointer("/variants/pageInfo/hasNextPage") == Some(&json!(true)) {
                        let id = node["id"].as_str().unwrap_or_default().to_string();
                        let after = node
                            .pointer("/variants/pageInfo/endCursor")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        let more = self.more_variants(&id, after).await?;
                        if let Some(list) = node
                            .pointer_mut("/variants/nodes")
                            .and_then(Value::as_array_mut)
                        {
                            list.extend(more);
                        }
                    }
                    page.records
                        .push(Record::Product(product_from(&node, &currency)));
                }
                _ => page.records.push(Record::Customer(customer_from(node))),
            }
        }
        if conn.pointer("/pageInfo/hasNextPage") == Some(&json!(true)) {
            page.next = conn
                .pointer("/pageInfo/endCursor")
                .map(|c| json!({ "after": c }));
        }
        Ok(page)
    }
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

fn money(v: &Value, currency: &str) -> Option<Money> {
    let text = match v {
        Value::String(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .ok()
        .map(|d| Money::new(d, currency))
}

fn is_default_option(options: &[Value]) -> bool {
    options.len() == 1
        && options[0]["name"] == "Title"
        && options[0]["values"]
            .as_array()
            .is_some_and(|v| v.len() == 1 && v[0] == "Default Title")
}

fn weight_unit(unit: &str) -> Option<WeightUnit> {
    match unit {
        "GRAMS" => Some(WeightUnit::G),
        "KILOGRAMS" => Some(WeightUnit::Kg),
        "OUNCES" => Some(WeightUnit::Oz),
        "POUNDS" => Some(WeightUnit::Lb),
        _ => None,
    }
}

fn unit_name(unit: WeightUnit) -> &'static str {
    match unit {
        WeightUnit::G => "GRAMS",
        WeightUnit::Kg => "KILOGRAMS",
        WeightUnit::Oz => "OUNCES",
        WeightUnit::Lb => "POUNDS",
    }
}

fn product_from(node: &Value, currency: &str) -> Product {
    let handle = s(node, "handle").unwrap_or_default();
    let raw_options = node["options"].as_array().cloned().unwrap_or_default();
    let default_only = is_default_option(&raw_options);
    let options: Vec<ProductOption> = if default_only {
        vec![]
    } else {
        raw_options
            .iter()
            .map(|o| ProductOption {
                name: s(o, "name").unwrap_or_default(),
                values: o["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            })
            .collect()
    };
    let variants = node
        .pointer("/variants/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let item = &v["inventoryItem"];
            let tracked = item["tracked"].as_bool().unwrap_or(true);
            let weight = item
                .pointer("/measurement/weight")
                .filter(|w| w.is_object())
                .and_then(|w| {
                    let value = match &w["value"] {
                        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
                        Value::String(t) => Decimal::from_str(t).ok(),
                        _ => None,
                    }?;
                    Some(Weight {
                        value: value.normalize(),
                        unit: weight_unit(w["unit"].as_str()?)?,
                    })
                });
            Variant {
                source_id: s(v, "id"),
                sku: s(v, "sku"),
                barcode: s(v, "barcode"),
                price: money(&v["price"], currency),
                compare_at_price: money(&v["compareAtPrice"], currency),
                cost: item
                    .pointer("/unitCost/amount")
                    .and_then(|a| money(a, currency)),
                weight,
                inventory: if tracked {
                    v["inventoryQuantity"].as_i64()
                } else {
                    None
                },
                allow_backorder: v["inventoryPolicy"] == "CONTINUE",
                option_values: if default_only {
                    vec![]
                } else {
                    v["selectedOptions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| s(o, "value"))
                        .collect()
                },
                image: v
                    .pointer("/image/url")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                requires_shipping: item["requiresShipping"].as_bool().unwrap_or(true),
                taxable: v["taxable"].as_bool().unwrap_or(true),
            }
        })
        .collect();
    let images = node
        .pointer("/media/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            m.pointer("/image/url")
                .and_then(Value::as_str)
                .map(|u| (u.to_string(), s(m, "alt")))
        })
        .enumerate()
        .map(|(i, (src, alt))| Image {
            src,
            alt,
            position: i as u32 + 1,
        })
        .collect();
    Product {
        source: SourceRef::with_url(
            s(node, "id").unwrap_or_default(),
            url_path(Platform::Shopify, Entity::Products, &handle, &[]),
        ),
        title: s(node, "title").unwrap_or_default(),
        body_html: s(node, "descriptionHtml").unwrap_or_default(),
        vendor: s(node, "vendor"),
        product_type: s(node, "productType"),
        tags: node["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        status: match node["status"].as_str() {
            Some("DRAFT") => ProductStatus::Draft,
            Some("ARCHIVED") => ProductStatus::Archived,
            _ => ProductStatus::Active,
        },
        kind: if options.is_empty() {
            ProductKind::Simple
        } else {
            ProductKind::Variable
        },
        categories: vec![],
        options,
        variants,
        images,
        seo: Seo {
            title: s(&node["seo"], "title"),
            description: s(&node["seo"], "description"),
        },
        attributes: Default::default(),
        created_at: s(node, "createdAt"),
        handle,
    }
}

fn customer_from(node: &Value) -> Customer {
    let addresses = node["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| Address {
            first_name: s(a, "firstName"),
            last_name: s(a, "lastName"),
            company: s(a, "company"),
            address1: s(a, "address1"),
            address2: s(a, "address2"),
            city: s(a, "city"),
            province: s(a, "provinceCode"),
            country_code: s(a, "countryCodeV2"),
            zip: s(a, "zip"),
            phone: s(a, "phone"),
            default: i == 0,
        })
        .collect();
    Customer {
        source: SourceRef::new(s(node, "id").unwrap_or_default()),
        email: s(node, "email").unwrap_or_default(),
        first_name: s(node, "firstName"),
        last_name: s(node, "lastName"),
        phone: s(node, "phone"),
        addresses,
        marketing: MarketingConsent {
            email: node.pointer("/emailMarketingConsent/marketingState")
                == Some(&json!("SUBSCRIBED")),
            sms: node.pointer("/smsMarketingConsent/marketingState") == Some(&json!("SUBSCRIBED")),
            updated_at: node
                .pointer("/emailMarketingConsent/consentUpdatedAt")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        tags: node["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        note: s(node, "note"),
        created_at: s(node, "createdAt"),
    }
}

/// Shopify as a target.
pub struct ShopifyTarget {
    client: ShopifyClient,
    location: Option<String>,
    findings: Vec<Finding>,
    /// Records per mutation document (each productSet costs 10 points).
    batch: usize,
}

impl ShopifyTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let batch = spec
            .options
            .get("mutations_per_request")
            .and_then(Value::as_u64)
            .unwrap_or(10)
            .clamp(1, 100) as usize;
        Ok(ShopifyTarget {
            client: ShopifyClient::open(spec)?,
            location: None,
            findings: vec![],
            batch,
        })
    }

    async fn location(&mut self) -> Result<String> {
        if let Some(l) = &self.location {
            return Ok(l.clone());
        }
        let data = self
            .client
            .run_ok("{ locations(first: 1) { nodes { id } } }", json!({}))
            .await?;
        let l = data
            .pointer("/locations/nodes/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                ConnectorError::Remote(
                    "the Shopify store has no location to hold inventory; add one in the admin"
                        .into(),
                )
            })?;
        self.location = Some(l.clone());
        Ok(l)
    }

    /// Target ids of the records that exist already, by external key (1 point per lookup).
    /// Products are found by their custom id first, then by handle: a product the store had
    /// before the run is updated (and adopted), never duplicated.
    async fn existing(&self, entity: Entity, keys: &[String]) -> Result<Vec<Option<String>>> {
        let mut q = String::from("query(");
        let mut body = String::new();
        let mut vars = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            match entity {
                Entity::Products => {
                    q.push_str(&format!(
                        "$c{i}: ProductIdentifierInput!, $h{i}: ProductIdentifierInput!,"
                    ));
                    body.push_str(&format!(
                        "c{i}: productByIdentifier(identifier: $c{i}) {{ id }} h{i}: productByIdentifier(identifier: $h{i}) {{ id }} "
                    ));
                    vars.insert(format!("c{i}"), json!({ "customId": custom_id(k) }));
                    vars.insert(format!("h{i}"), json!({ "handle": k }));
                }
                _ => {
                    q.push_str(&format!("$c{i}: CustomerIdentifierInput!,"));
                    body.push_str(&format!(
                        "c{i}: customerByIdentifier(identifier: $c{i}) {{ id }} "
                    ));
                    vars.insert(format!("c{i}"), json!({ "emailAddress": k }));
                }
            }
        }
        q.pop();
        let q = format!("{q}) {{ {body} }}");
        let data = self.client.run_ok(&q, Value::Object(vars)).await?;
        let id = |p: String| data.pointer(&p).and_then(Value::as_str).map(str::to_string);
        Ok((0..keys.len())
            .map(|i| id(format!("/c{i}/id")).or_else(|| id(format!("/h{i}/id"))))
            .collect())
    }

    async fn write_chunk(&mut self, entity: Entity, chunk: &[Record]) -> Result<Vec<WriteOutcome>> {
        let keys: Vec<String> = chunk.iter().map(Record::external_key).collect();
        let before = self.existing(entity, &keys).await?;
        let location = if entity == Entity::Products {
            Some(self.location().await?)
        } else {
            None
        };
        let mut decl = String::new();
        let mut body = String::new();
        let mut vars = serde_json::Map::new();
        for (i, r) in chunk.iter().enumerate() {
            match r {
                Record::Product(p) => {
                    decl.push_str(&format!("$i{i}: ProductSetIdentifiers, $p{i}: ProductSetInput!,"));
                    body.push_str(&format!(
                        "r{i}: productSet(identifier: $i{i}, input: $p{i}, synchronous: true) {{ product {{ id media(first: 50) {{ nodes {{ status mediaErrors {{ code message }} }} }} }} userErrors {{ field message code }} }} "
                    ));
                    let ident = match &before[i] {
                        Some(id) => json!({ "id": id }),
                        None => json!({ "customId": custom_id(&keys[i]) }),
                    };
                    vars.insert(format!("i{i}"), ident);
                    vars.insert(format!("p{i}"), product_input(p, &keys[i], location.as_deref().unwrap_or_default()));
                }
                Record::Customer(c) => {
                    decl.push_str(&format!("$i{i}: CustomerSetIdentifiers, $p{i}: CustomerSetInput!,"));
                    body.push_str(&format!(
                        "r{i}: customerSet(identifier: $i{i}, input: $p{i}) {{ customer {{ id }} userErrors {{ field message code }} }} "
                    ));
                    vars.insert(format!("i{i}"), json!({ "email": keys[i] }));
                    vars.insert(format!("p{i}"), customer_input(c));
                }
                other => {
                    return Err(ConnectorError::Input(format!(
                        "the Shopify API target loads products and customers; {} records cannot be written through it",
                        other.entity()
                    )))
                }
            }
        }
        decl.pop();
        let q = format!("mutation({decl}) {{ {body} }}");
        let data = match self.client.run(&q, Value::Object(vars)).await? {
            Ok(d) => d,
            // A document-level error fails every alias; split so one bad record fails alone.
            Err(e) if chunk.len() > 1 => {
                let mut out = vec![];
                for r in chunk {
                    out.extend(Box::pin(self.write_chunk(entity, std::slice::from_ref(r))).await?);
                }
                let _ = e;
                return Ok(out);
            }
            Err(e) => return Ok(vec![WriteOutcome::Failed { message: e.0 }]),
        };
        let mut out = vec![];
        for (i, r) in chunk.iter().enumerate() {
            let payload = &data[format!("r{i}")];
            let errors = payload["userErrors"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let target_id = payload
                .pointer("/product/id")
                .or_else(|| payload.pointer("/customer/id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            match target_id {
                Some(id) if errors.is_empty() => {
                    self.image_findings(r, payload);
                    out.push(if before[i].is_some() {
                        WriteOutcome::Updated { target_id: id }
                    } else {
                        WriteOutcome::Created { target_id: id }
                    });
                }
                _ => out.push(WriteOutcome::Failed {
                    message: user_errors(&errors),
                }),
            }
        }
        Ok(out)
    }

    fn image_findings(&mut self, r: &Record, payload: &Value) {
        for m in payload
            .pointer("/product/media/nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if m["status"] == "FAILED" {
                let why = m["mediaErrors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "image_failed",
                        format!("Shopify could not use an image of \"{}\": {why}", r.label()),
                    )
                    .about(RecordRef {
                        entity: r.entity(),
                        source_id: r.source().id.clone(),
                        label: r.label(),
                    }),
                );
            }
        }
    }
}

fn custom_id(key: &str) -> Value {
    json!({ "customId": { "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "value": key } })["customId"].clone()
}

fn user_errors(errors: &[Value]) -> String {
    if errors.is_empty() {
        return "Shopify returned no record and no error".into();
    }
    errors
        .iter()
        .map(|e| {
            let field = e["field"].as_array().map(|f| {
                f.iter()
                    .map(|x| x.to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            });
            match field {
                Some(f) if !f.is_empty() => format!("{f}: {}", e["message"].as_str().unwrap_or("")),
                _ => e["message"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn product_input(p: &Product, key: &str, location: &str) -> Value {
    let options: Vec<Value> = p
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| json!({ "name": o.name, "position": i + 1, "values": o.values.iter().map(|v| json!({ "name": v })).collect::<Vec<_>>() }))
        .collect();
    let variants: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            let mut item = json!({ "tracked": v.inventory.is_some(), "requiresShipping": v.requires_shipping });
            if let Some(c) = &v.cost {
                item["cost"] = json!(c.amount.to_string());
            }
            if let Some(w) = &v.weight {
                item["measurement"] = json!({ "weight": { "value": w.value.to_string().parse::<f64>().unwrap_or(0.0), "unit": unit_name(w.unit) } });
            }
            let mut out = json!({
                "optionValues": p.options.iter().zip(&v.option_values).map(|(o, val)| json!({ "optionName": o.name, "name": val })).collect::<Vec<_>>(),
                "price": v.price.as_ref().map(|m| m.amount.to_string()).unwrap_or_else(|| "0".into()),
                "inventoryPolicy": if v.allow_backorder { "CONTINUE" } else { "DENY" },
                "taxable": v.taxable,
                "inventoryItem": item,
            });
            if let Some(sku) = &v.sku {
                out["sku"] = json!(sku);
            }
            if let Some(b) = &v.barcode {
                out["barcode"] = json!(b);
            }
            if let Some(c) = &v.compare_at_price {
                out["compareAtPrice"] = json!(c.amount.to_string());
            }
            if let Some(q) = v.inventory {
                out["inventoryQuantities"] = json!([{ "locationId": location, "name": "available", "quantity": q }]);
            }
            if let Some(img) = &v.image {
                out["file"] = json!({ "originalSource": img, "contentType": "IMAGE" });
            }
            out
        })
        .collect();
    let mut input = json!({
        "handle": p.handle,
        "title": p.title,
        "descriptionHtml": p.body_html,
        "vendor": p.vendor.clone().unwrap_or_default(),
        "productType": p.product_type.clone().unwrap_or_default(),
        "tags": p.tags,
        "status": match p.status { ProductStatus::Active => "ACTIVE", ProductStatus::Draft => "DRAFT", ProductStatus::Archived => "ARCHIVED" },
        "productOptions": options,
        "variants": variants,
        "files": p.images.iter().map(|i| json!({ "originalSource": i.src, "alt": i.alt.clone().unwrap_or_default(), "contentType": "IMAGE" })).collect::<Vec<_>>(),
        "metafields": [{ "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "type": "id", "value": key }],
    });
    if !p.seo.is_empty() {
        input["seo"] = json!({ "title": p.seo.title, "description": p.seo.description });
    }
    input
}

fn customer_input(c: &Customer) -> Value {
    let mut input = json!({
        "email": c.email,
        "tags": c.tags,
        "addresses": c.addresses.iter().map(|a| {
            let mut m = serde_json::Map::new();
            for (k, v) in [("address1", &a.address1), ("address2", &a.address2), ("city", &a.city), ("company", &a.company),
                           ("countryCode", &a.country_code), ("firstName", &a.first_name), ("lastName", &a.last_name),
                           ("phone", &a.phone), ("provinceCode", &a.province), ("zip", &a.zip)] {
                if let Some(v) = v {
                    m.insert(k.into(), json!(v));
                }
            }
            Value::Object(m)
        }).collect::<Vec<_>>(),
    });
    for (k, v) in [
        ("firstName", &c.first_name),
        ("lastName", &c.last_name),
        ("phone", &c.phone),
        ("note", &c.note),
    ] {
        if let Some(v) = v {
            input[k] = json!(v);
        }
    }
    input
}

#[async_trait]
impl Target for ShopifyTarget {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn describe(&self) -> String {
        format!("Shopify Admin API ({})", self.client.store_url)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(self.batch) {
            out.extend(self.write_chunk(entity, chunk).await?);
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    /// Products and customers move through this API; other entities go by files for now.
    fn accepts(&self, entity: Entity) -> bool {
        matches!(entity, Entity::Products | Entity::Customers)
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        match entity {
            Entity::Products | Entity::Customers => Ok(self
                .existing(entity, &[external_key.to_string()])
                .await?
                .remove(0)),
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let (m, field) = match entity {
            Entity::Products => ("productDelete", "deletedProductId"),
            Entity::Customers => ("customerDelete", "deletedCustomerId"),
            other => {
                return Err(ConnectorError::Input(format!(
                    "the Shopify API target cannot delete {other}"
                )))
            }
        };
        let q = format!("mutation($id: ID!) {{ r: {m}(input: {{ id: $id }}) {{ {field} userErrors {{ field message }} }} }}");
        let data = self.client.run_ok(&q, json!({ "id": target_id })).await?;
        let errors = data
            .pointer("/r/userErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Already gone is what a delete wants: a rollback run twice must not fail.
        if errors.is_empty()
            || errors.iter().all(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("does not exist"))
            })
        {
            Ok(())
        } else {
            Err(ConnectorError::Remote(format!(
                "Shopify refused to delete {target_id}: {}",
                user_errors(&errors)
            )))
        }
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_waits_for_the_missing_points_at_the_restore_rate() {
        let b = Budget {
            bucket: CostBucket {
                restore_rate: 100.0,
                maximum: 2000.0,
            },
            available: 50.0,
            at: Instant::now(),
        };
        let w = b.wait_for(150.0);
        assert!(
            w > Duration::from_millis(900) && w <= Duration::from_millis(1000),
            "{w:?}"
        );
        assert_eq!(b.wait_for(10.0), Duration::ZERO);
    }

    #[test]
    fn default_title_option_is_no_option() {
        let node = json!({ "handle": "h", "title": "T", "options": [{ "name": "Title", "values": ["Default Title"] }],
            "variants": { "nodes": [{ "sku": "A", "price": "1.50", "selectedOptions": [{ "name": "Title", "value": "Default Title" }],
            "inventoryItem": { "tracked": false } }] } });
        let p = product_from(&node, "EUR");
        assert!(p.options.is_empty());
        assert!(p.variants[0].option_values.is_empty());
        assert_eq!(p.variants[0].inventory, None);
        assert_eq!(
            p.variants[0].price,
            Some(Money::new(Decimal::new(150, 2), "EUR"))
        );
    }
}
