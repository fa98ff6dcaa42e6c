//! Ikas Admin GraphQL: products as a source (`listProduct` by page until `hasNext` is false)
//! and as a target (`saveProduct`, found by SKU first so a product is never created twice;
//! variant types and values created on demand). Errors arrive in `errors` with HTTP 200.

use super::http::{CallError, HttpClient, HttpConfig, Safety};
use crate::connector::{
    ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::ikas::api::{GRAPHQL_PATH, MAX_LIMIT, PAGE_LIMIT, TOKEN_PATH};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

pub struct IkasClient {
    http: HttpClient,
    token_url: String,
    graphql_url: String,
    client_id: String,
    client_secret: String,
    token: Option<String>,
    currency: String,
}

/// variant type id → (type name, value id → value name)
type VariantTypes = HashMap<String, (String, HashMap<String, String>)>;

/// GraphQL errors of a request, in Ikas's words.
struct GraphqlErrors(String);

const PRODUCT_FIELDS: &str = "id name description createdAt metaData { slug pageTitle description }
    productVariantTypes { variantTypeId variantValueIds order }
    variants { id sku barcodeList weight isActive prices { sellPrice discountPrice currency }
               variantValueIds { variantTypeId variantValueId } }";

impl IkasClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Ikas API endpoint needs `url = \"https://STORE.myikas.com\"`".into(),
            )
        })?;
        let api = spec
            .options
            .get("api_url")
            .and_then(Value::as_str)
            .unwrap_or("https://api.myikas.com");
        Ok(IkasClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            token_url: format!("{}{TOKEN_PATH}", url.trim_end_matches('/')),
            graphql_url: format!("{}{GRAPHQL_PATH}", api.trim_end_matches('/')),
            client_id: spec.credential("client_id")?,
            client_secret: spec.credential("client_secret")?,
            token: None,
            currency: spec
                .options
                .get("currency")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| spec.currency().to_string()),
        })
    }

    async fn token(&mut self, renew: bool) -> Result<String> {
        if let (Some(t), false) = (&self.token, renew) {
            return Ok(t.clone());
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        let reply = self
            .http
            .send("Ikas token", Safety::Idempotent, |c| {
                c.post(&self.token_url).form(&form)
            })
            .await?;
        match reply.body["access_token"].as_str() {
            Some(t) if reply.status.is_success() => {
                self.token = Some(t.to_string());
                Ok(t.to_string())
            }
            _ => Err(ConnectorError::Remote(format!(
                "Ikas refused the client credentials: HTTP {} {} (check the client_id and client_secret variables)",
                reply.status.as_u16(),
                reply.body["error_description"].as_str().or(reply.body["error"].as_str()).unwrap_or("")
            ))),
        }
    }

    /// Runs a document; internal errors are retried, an expired token renewed once.
    async fn run(
        &mut self,
        query: &str,
        variables: Value,
        safety: Safety,
    ) -> std::result::Result<std::result::Result<Value, GraphqlErrors>, CallError> {
        let body = json!({ "query": query, "variables": variables });
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            let token = self
                .token(renewed)
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let reply = self
                .http
                .send("Ikas GraphQL", safety, |c| {
                    c.post(&self.graphql_url).bearer_auth(&token).json(&body)
                })
                .await?;
            let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
            if reply.status.is_success() && errors.is_empty() {
                return Ok(Ok(reply.body["data"].clone()));
            }
            let code = |c: &str| {
                errors
                    .iter()
                    .any(|e| e.pointer("/extensions/code").and_then(Value::as_str) == Some(c))
            };
            if (code("UNAUTHENTICATED") || reply.status.as_u16() == 401) && !renewed {
                renewed = true;
                continue;
            }
            let text = if errors.is_empty() {
                format!("HTTP {}: {}", reply.status.as_u16(), reply.body)
            } else {
                errors
                    .iter()
                    .filter_map(|e| e["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if code("INTERNAL_SERVER_ERROR") && attempt < self.http.config().max_retries {
                // A mutation that failed inside the server may have been applied: the caller
                // looks records up again before resending a create.
                if safety == Safety::Unsafe {
                    return Err(CallError::Ambiguous(text));
                }
                self.http.wait_before_retry(attempt, None).await;
                attempt += 1;
                continue;
            }
            return Ok(Err(GraphqlErrors(text)));
        }
    }

    async fn query(&mut self, query: &str, variables: Value) -> Result<Value> {
        self.run(query, variables, Safety::Idempotent)
            .await?
            .map_err(|e| ConnectorError::Remote(format!("Ikas: {}", e.0)))
    }

    async fn variant_types(&mut self) -> Result<VariantTypes> {
        let data = self
            .query(
                "{ listVariantType { id name values { id name } } }",
                json!({}),
            )
            .await?;
        Ok(data["listVariantType"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                let values = t["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| {
                        Some((
                            v["id"].as_str()?.to_string(),
                            v["name"].as_str()?.to_string(),
                        ))
                    })
                    .collect();
                (
                    t["id"].as_str().unwrap_or("").to_string(),
                    (t["name"].as_str().unwrap_or("").to_string(), values),
                )
            })
            .collect())
    }

    fn product_from(&self, p: &Value, types: &VariantTypes) -> Product {
        let handle = p
            .pointer("/metaData/slug")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut pvt: Vec<&Value> = p["productVariantTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        pvt.sort_by_key(|t| t["order"].as_i64().unwrap_or(0));
        let options: Vec<ProductOption> = pvt
            .iter()
            .filter_map(|t| {
                let (name, values) = types.get(t["variantTypeId"].as_str()?)?;
                let vals = t["variantValueIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| values.get(v.as_str()?).cloned())
                    .collect();
                Some(ProductOption {
                    name: name.clone(),
                    values: vals,
                })
            })
            .collect();
        let money = |v: &Value| match v {
            Value::Number(n) => Decimal::from_str(&n.to_string())
                .ok()
                .map(|d| Money::new(d.normalize(), self.currency.clone())),
            _ => None,
        };
        let variants = p["variants"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                let price = v["prices"]
                    .as_array()
                    .and_then(|a| a.first())
                    .cloned()
                    .unwrap_or(Value::Null);
                let (sell, discount) = (money(&price["sellPrice"]), money(&price["discountPrice"]));
                let (price, compare) = match (sell, discount) {
                    (Some(s), Some(d)) => (Some(d), Some(s)),
                    (s, _) => (s, None),
                };
                let option_values = pvt
                    .iter()
                    .map(|t| {
                        let tid = t["variantTypeId"].as_str().unwrap_or("");
                        v["variantValueIds"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .find(|r| r["variantTypeId"].as_str() == Some(tid))
                            .and_then(|r| {
                                types
                                    .get(tid)?
                                    .1
                                    .get(r["variantValueId"].as_str()?)
                                    .cloned()
                            })
                            .unwrap_or_default()
                    })
                    .collect();
                Variant {
                    source_id: v["id"].as_str().map(str::to_string),
                    sku: v["sku"]
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    barcode: v["barcodeList"]
                        .get(0)
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    price,
                    compare_at_price: compare,
                    weight: match &v["weight"] {
                        Value::Number(n) => {
                            Decimal::from_str(&n.to_string()).ok().map(|w| Weight {
                                value: w.normalize(),
                                unit: WeightUnit::Kg,
                            })
                        }
                        _ => None,
                    },
                    option_values,
                    requires_shipping: p["type"] != "DIGITAL",
                    taxable: true,
                    ..Default::default()
                }
            })
            .collect();
        Product {
            source: SourceRef::with_url(
                p["id"].as_str().unwrap_or("").to_string(),
                url_path(Platform::Ikas, Entity::Products, &handle, &[]),
            ),
            title: p["name"].as_str().unwrap_or("").to_string(),
            body_html: p["description"].as_str().unwrap_or("").to_string(),
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            options,
            variants,
            seo: Seo {
                title: p
                    .pointer("/metaData/pageTitle")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                description: p
                    .pointer("/metaData/description")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            },
            handle,
            ..Default::default()
        }
    }
}

pub struct IkasSource {
    client: IkasClient,
    types: Option<VariantTypes>,
}

impl IkasSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasSource {
            client: IkasClient::open(spec)?,
            types: None,
        })
    }
}

#[async_trait]
impl Source for IkasSource {
    fn platform(&self) -> Platform {
        Platform::Ikas
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Products]
    }

    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.http.stats())
    }

    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        Ok(self.list(entity, cursor, limit, None).await?.page)
    }

    /// `listProduct(updatedAt: { gte: … })`: Ikas's `DateFilterInput` on the product's
    /// `updatedAt`, a `Timestamp` (milliseconds since the epoch, UTC).
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        Ok(Some(
            self.list(entity, cursor, limit, Some(since_millis(since)))
                .await?,
        ))
    }

    /// Product ids only (`data { id }`), as many a page as Ikas allows; deleted products are
    /// not listed (`includeDeleted` is left at its default).
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        let q = "query($page: Int!, $limit: Int!) { listProduct(pagination: { page: $page, limit: $limit }) { data { id } hasNext } }";
        let mut out = vec![];
        let mut page = 1u64;
        loop {
            let data = self
                .client
                .query(q, json!({ "page": page, "limit": MAX_LIMIT }))
                .await?;
            let list = &data["listProduct"];
            for p in list["data"].as_array().into_iter().flatten() {
                let id = p["id"].as_str().ok_or_else(|| {
                    ConnectorError::Remote("Ikas listProduct: a product without `id`".into())
                })?;
                out.push(id.to_string());
            }
            if list["hasNext"] != json!(true) {
                return Ok(Some(out));
            }
            page += 1;
        }
    }
}

/// `since` (RFC 3339) as an Ikas `Timestamp`; an unreadable time reads everything.
fn since_millis(since: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(since)
        .map(|d| d.timestamp_millis())
        .unwrap_or(0)
}

/// The newest `updatedAt` (milliseconds) among `items`, as RFC 3339 UTC with milliseconds.
fn newest_update(items: &[Value]) -> Option<String> {
    items
        .iter()
        .filter_map(|p| p["updatedAt"].as_f64())
        .map(|ms| ms as i64)
        .max()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// The `listProduct` document for a page, with the `updatedAt` filter when `since` is given.
fn list_document(since: Option<i64>) -> (String, &'static str) {
    match since {
        Some(_) => (
            format!("query($page: Int!, $limit: Int!, $since: Timestamp!) {{ listProduct(updatedAt: {{ gte: $since }}, pagination: {{ page: $page, limit: $limit }}) {{ data {{ {PRODUCT_FIELDS} updatedAt }} hasNext page count }} }}"),
            "since",
        ),
        None => (
            format!("query($page: Int!, $limit: Int!) {{ listProduct(pagination: {{ page: $page, limit: $limit }}) {{ data {{ {PRODUCT_FIELDS} }} hasNext page count }} }}"),
            "",
        ),
    }
}

impl IkasSource {
    /// A page of products by page number; `since` (milliseconds) keeps those updated at or
    /// after it.
    async fn list(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<i64>,
    ) -> Result<ChangedPage> {
        if entity != Entity::Products {
            return Ok(ChangedPage::default());
        }
        if self.types.is_none() {
            self.types = Some(self.client.variant_types().await?);
        }
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let (q, since_var) = list_document(since);
        let limit = if limit == 0 {
            PAGE_LIMIT
        } else {
            (limit as u64).min(MAX_LIMIT)
        };
        let mut vars = json!({ "page": page, "limit": limit });
        if let Some(ms) = since {
            vars[since_var] = json!(ms);
        }
        let data = self.client.query(&q, vars).await?;
        let types = self.types.clone().unwrap_or_default();
        let list = &data["listProduct"];
        let items = list["data"].as_array().cloned().unwrap_or_default();
        let mut out = SourcePage {
            records: items
                .iter()
                .map(|p| Record::Product(self.client.product_from(p, &types)))
                .collect(),
            ..Default::default()
        };
        if list["hasNext"] == json!(true) {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(ChangedPage {
            page: out,
            newest: newest_update(&items),
        })
    }
}

pub struct IkasTarget {
    client: IkasClient,
    findings: Vec<Finding>,
}

impl IkasTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasTarget {
            client: IkasClient::open(spec)?,
            findings: vec![],
        })
    }

    /// Variant type id and value ids for the product's options, created where missing.
    async fn ensure_types(
        &mut self,
        p: &Product,
    ) -> Result<std::result::Result<Vec<(String, HashMap<String, String>)>, String>> {
        let mut out = vec![];
        let mut types = self.client.variant_types().await?;
        for o in &p.options {
            let found = types
                .iter()
                .find(|(_, (name, _))| *name == o.name)
                .map(|(id, (_, vals))| (id.clone(), vals.clone()));
            let missing = match &found {
                Some((_, vals)) => o.values.iter().any(|v| !vals.values().any(|x| x == v)),
                None => true,
            };
            if missing {
                let mut names: Vec<String> = found
                    .as_ref()
                    .map(|(_, vals)| vals.values().cloned().collect())
                    .unwrap_or_default();
                names.sort();
                for v in &o.values {
                    if !names.contains(v) {
                        names.push(v.clone());
                    }
                }
                let mut input = json!({ "name": o.name, "values": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() });
                if let Some((id, _)) = &found {
                    input["id"] = json!(id);
                }
                let q =
                    "mutation($input: VariantTypeInput!) { saveVariantType(input: $input) { id } }";
                if let Err(e) = self
                    .client
                    .run(q, json!({ "input": input }), Safety::Idempotent)
                    .await?
                {
                    return Ok(Err(e.0));
                }
                types = self.client.variant_types().await?;
            }
            match types.iter().find(|(_, (name, _))| *name == o.name) {
                Some((id, (_, vals))) => out.push((
                    id.clone(),
                    vals.iter()
                        .map(|(vid, name)| (name.clone(), vid.clone()))
                        .collect(),
                )),
                None => {
                    return Ok(Err(format!(
                        "Ikas did not keep the variant type \"{}\"",
                        o.name
                    )))
                }
            }
        }
        Ok(Ok(out))
    }

    fn input(
        p: &Product,
        types: &[(String, HashMap<String, String>)],
        existing: Option<&Value>,
        currency: &str,
    ) -> Value {
        let price = |m: &Option<Money>| {
            m.as_ref()
                .and_then(|m| m.amount.to_string().parse::<f64>().ok())
        };
        let variants: Vec<Value> = p
            .variants
            .iter()
            .map(|v| {
                let (sell, discount) = match (price(&v.price), price(&v.compare_at_price)) {
                    (Some(p), Some(c)) if c > p => (c, Some(p)),
                    (p, _) => (p.unwrap_or(0.0), None),
                };
                let mut out = json!({
                    "sku": v.sku.clone().unwrap_or_default(),
                    "isActive": p.status == ProductStatus::Active,
                    "barcodeList": v.barcode.iter().collect::<Vec<_>>(),
                    "prices": [{ "sellPrice": sell, "discountPrice": discount, "currency": currency }],
                    "variantValueIds": types.iter().zip(&v.option_values).map(|((tid, vals), name)| json!({ "variantTypeId": tid, "variantValueId": vals.get(name) })).collect::<Vec<_>>(),
                });
                if let Some(w) = v.weight {
                    out["weight"] = json!(w.to_unit(WeightUnit::Kg).value.to_string().parse::<f64>().unwrap_or(0.0));
                }
                // Keep Ikas's variant ids so an update edits variants instead of replacing them.
                let same = existing.and_then(|e| e["variants"].as_array()?.iter().find(|x| x["sku"].as_str() == v.sku.as_deref()).cloned());
                if let Some(id) = same.and_then(|x| x["id"].as_str().map(str::to_string)) {
                    out["id"] = json!(id);
                }
                out
            })
            .collect();
        let mut input = json!({
            "name": p.title,
            "description": p.body_html,
            "type": if p.variants.iter().all(|v| !v.requires_shipping) && !p.variants.is_empty() { "DIGITAL" } else { "PHYSICAL" },
            "metaData": { "slug": p.handle, "pageTitle": p.seo.title, "description": p.seo.description },
            "productVariantTypes": types.iter().enumerate().map(|(i, (tid, vals))| json!({
                "variantTypeId": tid, "order": i,
                "variantValueIds": p.options[i].values.iter().filter_map(|v| vals.get(v)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "variants": variants,
        });
        if let Some(id) = existing.and_then(|e| e["id"].as_str()) {
            input["id"] = json!(id);
        }
        input
    }

    async fn find(&mut self, p: &Product) -> Result<Option<Value>> {
        let skus: Vec<String> = p.skus().map(str::to_string).collect();
        if skus.is_empty() {
            return self.find_by_slug(&p.handle).await;
        }
        let q = "query($skus: [String!]) { listProduct(sku: { in: $skus }, pagination: { page: 1, limit: 10 }) { data { id variants { id sku } } } }";
        let data = self.client.query(q, json!({ "skus": skus })).await?;
        Ok(data.pointer("/listProduct/data/0").cloned())
    }

    async fn find_by_slug(&mut self, slug: &str) -> Result<Option<Value>> {
        let mut page = 1u64;
        loop {
            let q = "query($page: Int!) { listProduct(pagination: { page: $page, limit: 200 }) { data { id metaData { slug } variants { id sku } } hasNext } }";
            let data = self.client.query(q, json!({ "page": page })).await?;
            let list = &data["listProduct"];
            if let Some(hit) = list["data"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p.pointer("/metaData/slug").and_then(Value::as_str) == Some(slug))
            {
                return Ok(Some(hit.clone()));
            }
            if list["hasNext"] != json!(true) {
                return Ok(None);
            }
            page += 1;
        }
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let types = match self.ensure_types(p).await? {
            Ok(t) => t,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        if !p.images.is_empty() {
            self.findings.push(
                Finding::new(Severity::Warning, "image_not_moved", format!("Ikas takes product images through its image upload endpoint; {} image(s) of \"{}\" were not sent (first: {})", p.images.len(), p.title, p.images[0].src))
                    .about(RecordRef { entity: r.entity(), source_id: r.source().id.clone(), label: r.label() }),
            );
        }
        let before = self.find(p).await?;
        let existed = before.is_some();
        let mut current = before;
        let q = "mutation($input: ProductInput!) { saveProduct(input: $input) { id } }";
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                current = self.find(p).await?;
            }
            let input = Self::input(p, &types, current.as_ref(), &self.client.currency);
            let safety = if current.is_some() {
                Safety::Idempotent
            } else {
                Safety::Unsafe
            };
            match self.client.run(q, json!({ "input": input }), safety).await {
                Ok(Ok(data)) => {
                    let id = data
                        .pointer("/saveProduct/id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    return Ok(if existed {
                        WriteOutcome::Updated { target_id: id }
                    } else {
                        WriteOutcome::Created { target_id: id }
                    });
                }
                Ok(Err(e)) => return Ok(WriteOutcome::Failed { message: e.0 }),
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "Ikas did not confirm the product after repeated attempts".into(),
        })
    }
}

#[async_trait]
impl Target for IkasTarget {
    fn platform(&self) -> Platform {
        Platform::Ikas
    }

    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = vec![];
        for r in batch {
            match (entity, r) {
                (Entity::Products, Record::Product(p)) => out.push(self.write_product(r, p).await?),
                _ => {
                    return Err(ConnectorError::Input(format!(
                        "the Ikas API target loads products; {} cannot be written through it",
                        r.entity()
                    )))
                }
            }
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    /// Products move through this API; other entities go by files for now.
    fn accepts(&self, entity: Entity) -> bool {
        entity == Entity::Products
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        Ok(self
            .find_by_slug(external_key)
            .await?
            .and_then(|p| p["id"].as_str().map(str::to_string)))
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        if entity != Entity::Products {
            return Err(ConnectorError::Input(format!(
                "the Ikas API target cannot delete {entity}"
            )));
        }
        let q = "mutation($ids: [String!]!) { deleteProductList(idList: $ids) }";
        self.client
            .run(q, json!({ "ids": [target_id] }), Safety::Idempotent)
            .await?
            .map(|_| ())
            .map_err(|e| {
                ConnectorError::Remote(format!("Ikas refused to delete {target_id}: {}", e.0))
            })
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.http.stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }
}

/// Ikas for verification: the product count from `count` of a one-item `listProduct` page,
/// and products by id through `listProduct(id: { in: [...] })`, up to a page of 200 ids a
/// query, in requests (Ikas publishes no query cost).
pub struct IkasVerifier {
    client: IkasClient,
    types: Option<VariantTypes>,
}

impl IkasVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasVerifier {
            client: IkasClient::open(spec)?,
            types: None,
        })
    }
}

#[async_trait]
impl crate::verify::Verifier for IkasVerifier {
    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    fn unit(&self) -> crate::verify::BudgetUnit {
        crate::verify::BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<crate::verify::StoreCount>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        let q = "{ listProduct(pagination: { page: 1, limit: 1 }) { count } }";
        let data = self.client.query(q, json!({})).await?;
        let count = data["listProduct"]["count"].as_u64().ok_or_else(|| {
            ConnectorError::Remote("Ikas listProduct: the reply has no `count`".into())
        })?;
        Ok(Some(crate::verify::StoreCount {
            count,
            exact: true,
            how: "listProduct(pagination: { page: 1, limit: 1 }) { count }".into(),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_LIMIT as usize
    }

    fn fetch_cost(&self, _entity: Entity, n: usize) -> u64 {
        n.div_ceil(MAX_LIMIT as usize) as u64
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match entity {
            Entity::Products => format!(
                "listProduct(id: {{ in: [...] }}, pagination: {{ limit: {MAX_LIMIT} }}), and the variant types once"
            ),
            _ => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        if entity != Entity::Products {
            return Ok(vec![None; ids.len()]);
        }
        if self.types.is_none() {
            self.types = Some(self.client.variant_types().await?);
        }
        let q = format!("query($ids: [String!]!, $limit: Int!) {{ listProduct(id: {{ in: $ids }}, pagination: {{ page: 1, limit: $limit }}) {{ data {{ {PRODUCT_FIELDS} }} }} }}");
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(MAX_LIMIT as usize) {
            let data = self
                .client
                .query(&q, json!({ "ids": chunk, "limit": chunk.len() }))
                .await?;
            let types = self.types.clone().unwrap_or_default();
            for p in data["listProduct"]["data"].as_array().into_iter().flatten() {
                let Some(id) = p["id"].as_str() else {
                    return Err(ConnectorError::Remote(
                        "Ikas listProduct: a product without `id`".into(),
                    ));
                };
                found.insert(
                    id.to_string(),
                    Record::Product(self.client.product_from(p, &types)),
                );
            }
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.client.http.stats().calls
    }

    fn requests(&self) -> u64 {
        self.client.http.stats().calls
    }
}

#[cfg(test)]
mod changes_tests {
    use super::*;

    #[test]
    fn the_window_is_an_updated_at_gte_timestamp_in_milliseconds() {
        assert_eq!(
            since_millis("2026-12-06T07:30:00.250+02:00"),
            1_796_535_000_250
        );
        let (q, var) = list_document(Some(1));
        assert!(q.contains("listProduct(updatedAt: { gte: $since }"), "{q}");
        assert!(q.contains("$since: Timestamp!"), "{q}");
        assert_eq!(var, "since");
        let (q, _) = list_document(None);
        assert!(!q.contains("updatedAt"), "{q}");
    }

    #[test]
    fn the_newest_update_is_read_from_the_timestamps() {
        let items = [
            json!({ "updatedAt": 1_796_535_000_250i64 }),
            json!({ "updatedAt": 1_796_534_000_000i64 }),
            json!({ "id": "x" }),
        ];
        assert_eq!(
            newest_update(&items).as_deref(),
            Some("2026-12-06T05:30:00.250Z")
        );
        assert_eq!(newest_update(&[]), None);
    }
}
