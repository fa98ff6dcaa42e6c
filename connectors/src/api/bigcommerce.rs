//! BigCommerce v3 Admin API: products (with variants and images) and customers as a source
//! (`page`/`limit`, `meta.pagination`) and as a target (one product per POST, batch updates of
//! ≤ 10, customers in batches of ≤ 10), paced by the request window the API announces in
//! `X-Rate-Limit-Requests-Left` / `X-Rate-Limit-Time-Reset-Ms`.

mod verify;

pub use verify::BigCommerceVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{
    ApiStats, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::model::*;
use crate::platform::bigcommerce::{self as facts, MAX_BATCH, MAX_PAGE_SIZE};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub struct BigCommerceClient {
    http: HttpClient,
    base: String,
    token: String,
    currency: String,
    weight_unit: WeightUnit,
    quota: u32,
}

impl BigCommerceClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().unwrap_or("https://api.bigcommerce.com");
        let hash = spec.options.get("store_hash").and_then(Value::as_str).ok_or_else(|| {
            ConnectorError::Input("the BigCommerce API endpoint needs `options = { store_hash = \"abc123\" }` (from the API path /stores/{hash}/)".into())
        })?;
        let token = spec.credential("token")?;
        let plan = spec
            .options
            .get("plan")
            .and_then(Value::as_str)
            .unwrap_or("standard");
        let (quota, _window) = facts::request_window(plan);
        let unit = spec
            .options
            .get("weight_unit")
            .and_then(Value::as_str)
            .unwrap_or("kg");
        let weight_unit = WeightUnit::parse(unit).ok_or_else(|| {
            ConnectorError::Input(format!(
                "BigCommerce option weight_unit = \"{unit}\" is not one of kg, g, lb, oz"
            ))
        })?;
        Ok(BigCommerceClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{}{}", url.trim_end_matches('/'), facts::api_base(hash)),
            token,
            currency: spec.currency().to_string(),
            weight_unit,
            quota,
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        safety: Safety,
    ) -> std::result::Result<Reply, CallError> {
        let url = format!("{}{path}", self.base);
        let what = format!("BigCommerce {method} {path}");
        let reply = self
            .http
            .send(&what, safety, |c| {
                let mut r = c
                    .request(method.clone(), &url)
                    .header(facts::TOKEN_HEADER, &self.token)
                    .header("accept", "application/json")
                    .query(query);
                if let Some(b) = body {
                    r = r.json(b);
                }
                r
            })
            .await?;
        self.observe_window(&reply);
        Ok(reply)
    }

    /// Spends the window to the last request, then waits for its reset instead of hitting 429.
    fn observe_window(&self, reply: &Reply) {
        let left: Option<u64> = reply
            .header("x-rate-limit-requests-left")
            .and_then(|v| v.parse().ok());
        let reset: Option<u64> = reply
            .header("x-rate-limit-time-reset-ms")
            .and_then(|v| v.parse().ok());
        let quota: f64 = reply
            .header("x-rate-limit-requests-quota")
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.quota as f64);
        if let Some(left) = left {
            self.http
                .counters()
                .set_budget_used(100.0 * (1.0 - left as f64 / quota.max(1.0)));
            if left == 0 {
                if let Some(ms) = reset {
                    self.http
                        .limiter()
                        .pause_until(Instant::now() + Duration::from_millis(ms));
                }
            }
        }
    }

    fn check(&self, reply: Reply, what: &str) -> Result<Reply> {
        if reply.status.is_success() {
            return Ok(reply);
        }
        Err(ConnectorError::Remote(format!(
            "BigCommerce {what}: {}",
            error_text(&reply)
        )))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply> {
        let r = self
            .call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        self.check(r, path)
    }
}

/// BigCommerce's own words: `title` plus the field `errors`.
fn error_text(reply: &Reply) -> String {
    let title = reply
        .body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("");
    let errors = reply
        .body
        .get("errors")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
    let hint = if reply.status.as_u16() == 401 {
        " (check the API account token and its scopes)"
    } else {
        ""
    };
    match errors.filter(|e| !e.is_empty()) {
        Some(e) => format!("HTTP {} {title}: {e}{hint}", reply.status.as_u16()),
        None => format!("HTTP {} {title}{hint}", reply.status.as_u16()),
    }
}

fn num(v: &Value, k: &str) -> Option<Decimal> {
    match v.get(k) {
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
        Some(Value::String(s)) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn handle_of(p: &Value) -> String {
    p.pointer("/custom_url/url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_matches('/')
        .to_string()
}

impl BigCommerceClient {
    fn money(&self, d: Decimal) -> Money {
        Money::new(d.normalize(), self.currency.clone())
    }

    fn prices(&self, v: &Value, fallback: &Value) -> (Option<Money>, Option<Money>) {
        let price = num(v, "price").or_else(|| num(fallback, "price"));
        let sale = num(v, "sale_price").filter(|s| !s.is_zero());
        match (price, sale) {
            (Some(p), Some(s)) => (Some(self.money(s)), Some(self.money(p))),
            (p, _) => (p.map(|p| self.money(p)), None),
        }
    }

    fn product_from(&self, p: &Value) -> Product {
        let handle = handle_of(p);
        let variants_json: Vec<Value> = p["variants"].as_array().cloned().unwrap_or_default();
        let with_options: Vec<&Value> = variants_json
            .iter()
            .filter(|v| v["option_values"].as_array().is_some_and(|o| !o.is_empty()))
            .collect();
        let mut options: Vec<ProductOption> = vec![];
        for v in &with_options {
            for ov in v["option_values"].as_array().into_iter().flatten() {
                let name = text(ov, "option_display_name").unwrap_or_default();
                let label = text(ov, "label").unwrap_or_default();
                match options.iter_mut().find(|o| o.name == name) {
                    Some(o) if !o.values.contains(&label) => o.values.push(label),
                    Some(_) => {}
                    None => options.push(ProductOption {
                        name,
                        values: vec![label],
                    }),
                }
            }
        }
        let tracking = p["inventory_tracking"].as_str().unwrap_or("none");
        let weight = |v: &Value| {
            num(v, "weight")
                .or_else(|| num(p, "weight"))
                .map(|w| Weight {
                    value: w.normalize(),
                    unit: self.weight_unit,
                })
        };
        let variants = if with_options.is_empty() {
            let (price, compare) = self.prices(p, p);
            vec![Variant {
                source_id: Some(p["id"].to_string()),
                sku: text(p, "sku"),
                price,
                compare_at_price: compare,
                weight: weight(p),
                inventory: (tracking == "product")
                    .then(|| p["inventory_level"].as_i64())
                    .flatten(),
                requires_shipping: p["type"] != "digital",
                taxable: true,
                ..Default::default()
            }]
        } else {
            with_options
                .iter()
                .map(|v| {
                    let (price, compare) = self.prices(v, p);
                    let values = options
                        .iter()
                        .map(|o| {
                            v["option_values"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .find(|x| x["option_display_name"].as_str() == Some(&o.name))
                                .and_then(|x| text(x, "label"))
                                .unwrap_or_default()
                        })
                        .collect();
                    Variant {
                        source_id: Some(v["id"].to_string()),
                        sku: text(v, "sku"),
                        price,
                        compare_at_price: compare,
                        weight: weight(v),
                        inventory: (tracking == "variant")
                            .then(|| v["inventory_level"].as_i64())
                            .flatten(),
                        option_values: values,
                        requires_shipping: p["type"] != "digital",
                        taxable: true,
                        ..Default::default()
                    }
                })
                .collect()
        };
        let mut images: Vec<(i64, Image)> = p["images"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let src = text(i, "url_zoom")
                    .or_else(|| text(i, "url_standard"))
                    .or_else(|| text(i, "image_url"))?;
                Some((
                    i["sort_order"].as_i64().unwrap_or(0),
                    Image {
                        src,
                        alt: text(i, "description"),
                        position: 0,
                    },
                ))
            })
            .collect();
        images.sort_by_key(|(o, _)| *o);
        Product {
            source: SourceRef::with_url(
                p["id"].to_string(),
                url_path(Platform::BigCommerce, Entity::Products, &handle, &[]),
            ),
            title: text(p, "name").unwrap_or_default(),
            body_html: p["description"].as_str().unwrap_or("").to_string(),
            vendor: text(p, "brand_name"),
            status: if p["is_visible"] == json!(false) {
                ProductStatus::Draft
            } else {
                ProductStatus::Active
            },
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            options,
            variants,
            images: images
                .into_iter()
                .enumerate()
                .map(|(i, (_, mut im))| {
                    im.position = i as u32 + 1;
                    im
                })
                .collect(),
            seo: Seo {
                title: text(p, "page_title"),
                description: text(p, "meta_description"),
            },
            created_at: text(p, "date_created"),
            handle,
            ..Default::default()
        }
    }
}

fn customer_from(c: &Value) -> Customer {
    let addresses = c["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| Address {
            first_name: text(a, "first_name"),
            last_name: text(a, "last_name"),
            company: text(a, "company"),
            address1: text(a, "address1"),
            address2: text(a, "address2"),
            city: text(a, "city"),
            province: text(a, "state_or_province"),
            country_code: text(a, "country_code"),
            zip: text(a, "postal_code"),
            phone: text(a, "phone"),
            default: i == 0,
        })
        .collect();
    Customer {
        source: SourceRef::new(c["id"].to_string()),
        email: text(c, "email").unwrap_or_default(),
        first_name: text(c, "first_name"),
        last_name: text(c, "last_name"),
        phone: text(c, "phone"),
        addresses,
        note: text(c, "notes"),
        created_at: text(c, "date_created"),
        ..Default::default()
    }
}

pub struct BigCommerceSource {
    client: BigCommerceClient,
}

impl BigCommerceSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceSource {
            client: BigCommerceClient::open(spec)?,
        })
    }
}

#[async_trait]
impl Source for BigCommerceSource {
    fn platform(&self) -> Platform {
        Platform::BigCommerce
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Products, Entity::Customers]
    }

    fn describe(&self) -> String {
        format!("BigCommerce API ({})", self.client.base)
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
        let (path, include) = match entity {
            Entity::Products => ("/catalog/products", "variants,images"),
            Entity::Customers => ("/customers", "addresses"),
            _ => return Ok(SourcePage::default()),
        };
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let q = [
            ("page", page.to_string()),
            ("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string()),
            ("include", include.to_string()),
        ];
        let reply = self.client.get(path, &q).await?;
        let mut out = SourcePage::default();
        for item in reply.body["data"].as_array().into_iter().flatten() {
            out.records.push(match entity {
                Entity::Products => Record::Product(self.client.product_from(item)),
                _ => Record::Customer(customer_from(item)),
            });
        }
        let pag = &reply.body["meta"]["pagination"];
        if pag["current_page"].as_u64().unwrap_or(page) < pag["total_pages"].as_u64().unwrap_or(0) {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(out)
    }
}

pub struct BigCommerceTarget {
    client: BigCommerceClient,
}

impl BigCommerceTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceTarget {
            client: BigCommerceClient::open(spec)?,
        })
    }

    fn identifying_sku(p: &Product) -> Option<String> {
        p.variants
            .first()
            .and_then(|v| v.sku.clone())
            .filter(|s| !s.is_empty())
    }

    fn product_body(&self, p: &Product) -> Value {
        let base = p.variants.first();
        let price_of = |v: Option<&Variant>| -> (f64, f64) {
            let (price, compare) = v
                .map(|v| (v.price.as_ref(), v.compare_at_price.as_ref()))
                .unwrap_or((None, None));
            let f = |m: Option<&Money>| {
                m.and_then(|m| m.amount.to_string().parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            match compare {
                Some(c) if f(Some(c)) > f(price) => (f(Some(c)), f(price)),
                _ => (f(price), 0.0),
            }
        };
        let weight = |v: Option<&Variant>| {
            v.and_then(|v| v.weight)
                .map(|w| {
                    w.to_unit(self.client.weight_unit)
                        .value
                        .to_string()
                        .parse::<f64>()
                        .unwrap_or(0.0)
                })
                .unwrap_or(0.0)
        };
        let (price, sale) = price_of(base);
        let mut body = json!({
            "name": p.title,
            "type": if base.is_some_and(|v| !v.requires_shipping) { "digital" } else { "physical" },
            "description": p.body_html,
            "price": price,
            "sale_price": sale,
            "weight": weight(base),
            "is_visible": p.status == ProductStatus::Active,
            "custom_url": { "url": format!("/{}/", p.handle), "is_customized": true },
            "page_title": p.seo.title.clone().unwrap_or_default(),
            "meta_description": p.seo.description.clone().unwrap_or_default(),
            "brand_name": p.vendor.clone().unwrap_or_default(),
            "images": p.images.iter().enumerate().map(|(i, im)| json!({ "image_url": im.src, "is_thumbnail": i == 0, "description": im.alt.clone().unwrap_or_default() })).collect::<Vec<_>>(),
        });
        if p.options.is_empty() {
            body["sku"] = json!(Self::identifying_sku(p).unwrap_or_default());
            body["inventory_tracking"] = json!(if base.is_some_and(|v| v.inventory.is_some()) {
                "product"
            } else {
                "none"
            });
            body["inventory_level"] = json!(base.and_then(|v| v.inventory).unwrap_or(0));
        } else {
            body["inventory_tracking"] =
                json!(if p.variants.iter().any(|v| v.inventory.is_some()) {
                    "variant"
                } else {
                    "none"
                });
            body["variants"] = json!(p
                .variants
                .iter()
                .map(|v| {
                    let (price, sale) = price_of(Some(v));
                    json!({
                        "sku": v.sku.clone().unwrap_or_default(), "price": price, "sale_price": sale, "weight": weight(Some(v)),
                        "inventory_level": v.inventory.unwrap_or(0),
                        "option_values": p.options.iter().zip(&v.option_values).map(|(o, val)| json!({ "option_display_name": o.name, "label": val })).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>());
        }
        body
    }

    async fn find_product(&self, p: &Product) -> Result<Option<u64>> {
        let q = match Self::identifying_sku(p) {
            Some(sku) => vec![("sku:in", sku)],
            None => vec![("name", p.title.clone())],
        };
        let r = self.client.get("/catalog/products", &q).await?;
        Ok(r.body["data"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|x| x["id"].as_u64()))
    }

    async fn write_products(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut products = vec![];
        for r in batch {
            match r {
                Record::Product(p) => products.push(p),
                other => {
                    return Err(ConnectorError::Input(format!(
                        "a products batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            }
        }
        // One look-up for every SKU of the batch; products without a SKU are found by name.
        let skus: Vec<String> = products
            .iter()
            .filter_map(|p| Self::identifying_sku(p))
            .collect();
        let mut by_sku: BTreeMap<String, u64> = BTreeMap::new();
        if !skus.is_empty() {
            let r = self
                .client
                .get(
                    "/catalog/products",
                    &[
                        ("sku:in", skus.join(",")),
                        ("include", "variants".into()),
                        ("limit", MAX_PAGE_SIZE.to_string()),
                    ],
                )
                .await?;
            for item in r.body["data"].as_array().into_iter().flatten() {
                let id = item["id"].as_u64().unwrap_or(0);
                for s in item["sku"].as_str().into_iter().chain(
                    item["variants"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v["sku"].as_str()),
                ) {
                    by_sku.insert(s.to_string(), id);
                }
            }
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; products.len()];
        let mut updates = vec![];
        for (i, p) in products.iter().enumerate() {
            let existing = match Self::identifying_sku(p) {
                Some(s) => by_sku.get(&s).copied(),
                None => self.find_product(p).await?,
            };
            match existing {
                Some(id) => updates.push((i, id)),
                None => out[i] = Some(self.create_product(p).await?),
            }
        }
        for chunk in updates.chunks(MAX_BATCH) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|(i, id)| {
                    let mut b = self.product_body(products[*i]);
                    b["id"] = json!(id);
                    // Variants are created with the product; a batch update carries product fields.
                    if let Some(o) = b.as_object_mut() {
                        o.remove("variants");
                        o.remove("images");
                    }
                    b
                })
                .collect();
            let reply = self
                .client
                .call(
                    reqwest::Method::PUT,
                    "/catalog/products",
                    &[],
                    Some(&json!(body)),
                    Safety::Idempotent,
                )
                .await?;
            if reply.status.is_success() {
                for (i, id) in chunk {
                    out[*i] = Some(WriteOutcome::Updated {
                        target_id: id.to_string(),
                    });
                }
            } else if chunk.len() == 1 {
                out[chunk[0].0] = Some(WriteOutcome::Failed {
                    message: error_text(&reply),
                });
            } else {
                // BigCommerce refuses a batch whole; one product at a time finds the bad one.
                for (i, id) in chunk {
                    let mut b = body[chunk.iter().position(|(j, _)| j == i).unwrap_or(0)].clone();
                    b["id"] = json!(id);
                    let r = self
                        .client
                        .call(
                            reqwest::Method::PUT,
                            "/catalog/products",
                            &[],
                            Some(&json!([b])),
                            Safety::Idempotent,
                        )
                        .await?;
                    out[*i] = Some(if r.status.is_success() {
                        WriteOutcome::Updated {
                            target_id: id.to_string(),
                        }
                    } else {
                        WriteOutcome::Failed {
                            message: error_text(&r),
                        }
                    });
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not written".into(),
                })
            })
            .collect())
    }

    /// One POST per product; after an ambiguous failure the product is looked up before any
    /// second POST, so it is never created twice.
    async fn create_product(&self, p: &Product) -> Result<WriteOutcome> {
        let body = self.product_body(p);
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.find_product(p).await? {
                    return Ok(WriteOutcome::Created {
                        target_id: id.to_string(),
                    });
                }
            }
            match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/catalog/products",
                    &[],
                    Some(&body),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) if r.status.is_success() => {
                    let id = r
                        .body
                        .pointer("/data/id")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    return Ok(WriteOutcome::Created {
                        target_id: id.to_string(),
                    });
                }
                Ok(r) => {
                    return Ok(WriteOutcome::Failed {
                        message: error_text(&r),
                    })
                }
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "BigCommerce did not confirm the product after repeated attempts".into(),
        })
    }

    fn customer_body(c: &Customer) -> Value {
        json!({
            "email": c.email,
            "first_name": c.first_name.clone().unwrap_or_default(),
            "last_name": c.last_name.clone().unwrap_or_default(),
            "phone": c.phone.clone().unwrap_or_default(),
            "notes": c.note.clone().unwrap_or_default(),
            "addresses": c.addresses.iter().map(|a| json!({
                "first_name": a.first_name.clone().or(c.first_name.clone()).unwrap_or_default(),
                "last_name": a.last_name.clone().or(c.last_name.clone()).unwrap_or_default(),
                "company": a.company.clone().unwrap_or_default(), "address1": a.address1.clone().unwrap_or_default(),
                "address2": a.address2.clone().unwrap_or_default(), "city": a.city.clone().unwrap_or_default(),
                "state_or_province": a.province.clone().unwrap_or_default(), "postal_code": a.zip.clone().unwrap_or_default(),
                "country_code": a.country_code.clone().unwrap_or_default(), "phone": a.phone.clone().unwrap_or_default(),
            })).collect::<Vec<_>>(),
        })
    }

    async fn customer_ids(&self, emails: &[String]) -> Result<BTreeMap<String, u64>> {
        let r = self
            .client
            .get(
                "/customers",
                &[
                    ("email:in", emails.join(",")),
                    ("limit", MAX_PAGE_SIZE.to_string()),
                ],
            )
            .await?;
        Ok(r.body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c["email"].as_str()?.to_ascii_lowercase(), c["id"].as_u64()?)))
            .collect())
    }

    async fn write_customers(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut customers = vec![];
        for r in batch {
            match r {
                Record::Customer(c) => customers.push(c),
                other => {
                    return Err(ConnectorError::Input(format!(
                        "a customers batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            }
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; customers.len()];
        for idx in (0..customers.len()).collect::<Vec<_>>().chunks(MAX_BATCH) {
            let emails: Vec<String> = idx
                .iter()
                .map(|i| customers[*i].email.to_ascii_lowercase())
                .collect();
            let before = self.customer_ids(&emails).await?;
            let (upd, new): (Vec<usize>, Vec<usize>) = idx
                .iter()
                .partition(|i| before.contains_key(&customers[**i].email.to_ascii_lowercase()));
            if !upd.is_empty() {
                let body: Vec<Value> = upd
                    .iter()
                    .map(|i| {
                        let mut b = Self::customer_body(customers[*i]);
                        b["id"] = json!(before[&customers[*i].email.to_ascii_lowercase()]);
                        if let Some(o) = b.as_object_mut() {
                            o.remove("addresses");
                            o.remove("email");
                        }
                        b
                    })
                    .collect();
                let r = self
                    .client
                    .call(
                        reqwest::Method::PUT,
                        "/customers",
                        &[],
                        Some(&json!(body)),
                        Safety::Idempotent,
                    )
                    .await?;
                for i in &upd {
                    let id = before[&customers[*i].email.to_ascii_lowercase()];
                    out[*i] = Some(if r.status.is_success() {
                        WriteOutcome::Updated {
                            target_id: id.to_string(),
                        }
                    } else {
                        WriteOutcome::Failed {
                            message: error_text(&r),
                        }
                    });
                }
            }
            let mut groups: Vec<Vec<usize>> = if new.is_empty() { vec![] } else { vec![new] };
            let mut attempt = 0u32;
            while let Some(group) = groups.pop() {
                let body: Vec<Value> = group
                    .iter()
                    .map(|i| Self::customer_body(customers[*i]))
                    .collect();
                match self
                    .client
                    .call(
                        reqwest::Method::POST,
                        "/customers",
                        &[],
                        Some(&json!(body)),
                        Safety::Unsafe,
                    )
                    .await
                {
                    Ok(r) if r.status.is_success() => {
                        let ids: BTreeMap<String, u64> = r.body["data"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|c| {
                                Some((c["email"].as_str()?.to_ascii_lowercase(), c["id"].as_u64()?))
                            })
                            .collect();
                        for i in group {
                            let id = ids
                                .get(&customers[i].email.to_ascii_lowercase())
                                .copied()
                                .unwrap_or(0);
                            out[i] = Some(WriteOutcome::Created {
                                target_id: id.to_string(),
                            });
                        }
                    }
                    // All or nothing: split until the refused customer stands alone.
                    Ok(r) if group.len() > 1 && r.status.is_client_error() => {
                        let (a, b) = group.split_at(group.len() / 2);
                        groups.push(b.to_vec());
                        groups.push(a.to_vec());
                    }
                    Ok(r) => {
                        out[group[0]] = Some(WriteOutcome::Failed {
                            message: error_text(&r),
                        })
                    }
                    Err(CallError::Ambiguous(m)) => {
                        if attempt >= self.client.http.config().max_retries {
                            return Err(ConnectorError::Remote(m));
                        }
                        self.client.http.wait_before_retry(attempt, None).await;
                        attempt += 1;
                        // Whatever landed is created; only the rest is sent again.
                        let emails: Vec<String> = group
                            .iter()
                            .map(|i| customers[*i].email.to_ascii_lowercase())
                            .collect();
                        let now = self.customer_ids(&emails).await?;
                        let mut rest = vec![];
                        for i in group {
                            match now.get(&customers[i].email.to_ascii_lowercase()) {
                                Some(id) => {
                                    out[i] = Some(WriteOutcome::Created {
                                        target_id: id.to_string(),
                                    })
                                }
                                None => rest.push(i),
                            }
                        }
                        if !rest.is_empty() {
                            groups.push(rest);
                        }
                    }
                    Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not written".into(),
                })
            })
            .collect())
    }
}

#[async_trait]
impl Target for BigCommerceTarget {
    fn platform(&self) -> Platform {
        Platform::BigCommerce
    }

    fn describe(&self) -> String {
        format!("BigCommerce API ({})", self.client.base)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        match entity {
            Entity::Products => self.write_products(batch).await,
            Entity::Customers => self.write_customers(batch).await,
            other => Err(ConnectorError::Input(format!("the BigCommerce API target loads products and customers; {other} cannot be written through it"))),
        }
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
            Entity::Customers => Ok(self
                .customer_ids(&[external_key.to_ascii_lowercase()])
                .await?
                .values()
                .next()
                .map(u64::to_string)),
            Entity::Products => {
                // The API filters by SKU and name, not by URL: page through the catalogue.
                let want = format!("/{external_key}/");
                let mut page = 1u64;
                loop {
                    let r = self
                        .client
                        .get(
                            "/catalog/products",
                            &[
                                ("page", page.to_string()),
                                ("limit", MAX_PAGE_SIZE.to_string()),
                                ("include_fields", "custom_url".into()),
                            ],
                        )
                        .await?;
                    if let Some(hit) = r.body["data"].as_array().into_iter().flatten().find(|p| {
                        p.pointer("/custom_url/url").and_then(Value::as_str) == Some(want.as_str())
                    }) {
                        return Ok(hit["id"].as_u64().map(|i| i.to_string()));
                    }
                    if page
                        >= r.body
                            .pointer("/meta/pagination/total_pages")
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                    {
                        return Ok(None);
                    }
                    page += 1;
                }
            }
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let path = match entity {
            Entity::Products => "/catalog/products",
            Entity::Customers => "/customers",
            other => {
                return Err(ConnectorError::Input(format!(
                    "the BigCommerce API target cannot delete {other}"
                )))
            }
        };
        let r = self
            .client
            .call(
                reqwest::Method::DELETE,
                path,
                &[("id:in", target_id.to_string())],
                None,
                Safety::Idempotent,
            )
            .await?;
        self.client.check(r, path).map(|_| ())
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }
}
