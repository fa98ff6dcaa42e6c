//! Magento 2 REST: products (simple, and configurable with their children) and customers as a
//! source (`searchCriteria` pages, stopping on `total_count` because Magento repeats the last
//! page past the end) and as a target (products saved by SKU, which is Magento's own upsert;
//! customers found by email before any create).

mod verify;

pub use verify::MagentoVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{
    ApiStats, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::magento::{
    self as facts, PAGE_SIZE, STATUS_DISABLED, STATUS_ENABLED, VISIBILITY_CATALOG_SEARCH,
    VISIBILITY_NOT_VISIBLE,
};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;
use tokio::sync::Mutex;

enum Auth {
    /// An integration's access token.
    Token(String),
    /// An admin user: traded for a token, renewed when it expires.
    Admin {
        username: String,
        password: String,
        token: Mutex<Option<String>>,
    },
}

pub struct MagentoClient {
    http: HttpClient,
    url: String,
    base: String,
    auth: Auth,
    media_url: String,
    currency: String,
    weight_unit: WeightUnit,
    /// attribute code → option value → label
    options: Mutex<HashMap<String, HashMap<String, String>>>,
    /// attribute code or id → (id, code)
    attributes: Mutex<HashMap<String, (String, String)>>,
}

impl MagentoClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec
            .url
            .as_deref()
            .ok_or_else(|| {
                ConnectorError::Input(
                    "the Magento API endpoint needs `url = \"https://your-store.example\"`".into(),
                )
            })?
            .trim_end_matches('/')
            .to_string();
        let store = spec
            .options
            .get("store_code")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let auth = if spec.credentials.contains_key("token") {
            Auth::Token(spec.credential("token")?)
        } else {
            Auth::Admin {
                username: spec.credential("username")?,
                password: spec.credential("password")?,
                token: Mutex::new(None),
            }
        };
        let unit = spec
            .options
            .get("weight_unit")
            .and_then(Value::as_str)
            .unwrap_or("kg");
        let weight_unit = WeightUnit::parse(unit).ok_or_else(|| {
            ConnectorError::Input(format!(
                "Magento option weight_unit = \"{unit}\" is not one of kg, lbs"
            ))
        })?;
        Ok(MagentoClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{url}{}", facts::rest_base(store)),
            media_url: spec
                .options
                .get("media_url")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{url}/media/catalog/product")),
            url,
            auth,
            currency: spec.currency().to_string(),
            weight_unit,
            options: Mutex::new(HashMap::new()),
            attributes: Mutex::new(HashMap::new()),
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    async fn token(&self, renew: bool) -> Result<String> {
        match &self.auth {
            Auth::Token(t) => Ok(t.clone()),
            Auth::Admin {
                username,
                password,
                token,
            } => {
                let mut t = token.lock().await;
                if let (Some(tok), false) = (t.as_ref(), renew) {
                    return Ok(tok.clone());
                }
                let url = format!("{}{}", self.url, facts::ADMIN_TOKEN_PATH);
                let body = json!({ "username": username, "password": password });
                let reply = self
                    .http
                    .send("Magento admin token", Safety::Idempotent, |c| {
                        c.post(&url).json(&body)
                    })
                    .await?;
                match reply.body.as_str() {
                    Some(tok) if reply.status.is_success() => {
                        *t = Some(tok.to_string());
                        Ok(tok.to_string())
                    }
                    _ => Err(ConnectorError::Remote(format!("Magento refused the admin login: {} (check the username and password variables)", message(&reply)))),
                }
            }
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        safety: Safety,
    ) -> std::result::Result<Reply, CallError> {
        let url = format!("{}{path}", self.base);
        let what = format!("Magento {method} {path}");
        let mut renewed = false;
        loop {
            let token = self
                .token(renewed)
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let reply = self
                .http
                .send(&what, safety, |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .bearer_auth(&token)
                        .query(query);
                    if let Some(b) = body {
                        r = r.json(b);
                    }
                    r
                })
                .await?;
            // Admin tokens expire (4 hours by default): renew once and send again.
            if reply.status.as_u16() == 401 && !renewed && matches!(self.auth, Auth::Admin { .. }) {
                renewed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    async fn get(&self, path: &str, query: &[(String, String)]) -> Result<Reply> {
        let r = self
            .call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        if r.status.is_success() {
            Ok(r)
        } else {
            Err(ConnectorError::Remote(format!(
                "Magento GET {path}: HTTP {}: {}",
                r.status.as_u16(),
                message(&r)
            )))
        }
    }

    /// Search with one `eq` filter, or every page when `field` is `None`.
    fn criteria(
        field: Option<(&str, &str, &str)>,
        page: Option<(usize, usize)>,
    ) -> Vec<(String, String)> {
        let mut q = vec![];
        if let Some((f, v, cond)) = field {
            q.push((
                "searchCriteria[filter_groups][0][filters][0][field]".into(),
                f.into(),
            ));
            q.push((
                "searchCriteria[filter_groups][0][filters][0][value]".into(),
                v.into(),
            ));
            q.push((
                "searchCriteria[filter_groups][0][filters][0][condition_type]".into(),
                cond.into(),
            ));
        }
        match page {
            Some((size, current)) => {
                q.push(("searchCriteria[pageSize]".into(), size.to_string()));
                q.push(("searchCriteria[currentPage]".into(), current.to_string()));
            }
            None if q.is_empty() => q.push(("searchCriteria".into(), String::new())),
            None => {}
        }
        q
    }

    /// An attribute's numeric id and code, from either.
    async fn attribute(
        &self,
        code_or_id: &str,
    ) -> Result<std::result::Result<(String, String), String>> {
        if let Some(a) = self.attributes.lock().await.get(code_or_id) {
            return Ok(Ok(a.clone()));
        }
        let r = self
            .call(
                reqwest::Method::GET,
                &format!("/products/attributes/{}", urlencode(code_or_id)),
                &[],
                None,
                Safety::Idempotent,
            )
            .await?;
        if !r.status.is_success() {
            return Ok(Err(message(&r)));
        }
        let id = r.body["attribute_id"]
            .as_u64()
            .map(|n| n.to_string())
            .or_else(|| text(&r.body, "attribute_id"))
            .unwrap_or_default();
        let a = (id, text(&r.body, "attribute_code").unwrap_or_default());
        self.attributes
            .lock()
            .await
            .insert(code_or_id.to_string(), a.clone());
        Ok(Ok(a))
    }

    async fn option_labels(&self, code: &str) -> Result<HashMap<String, String>> {
        if let Some(m) = self.options.lock().await.get(code) {
            return Ok(m.clone());
        }
        let r = self
            .get(&format!("/products/attributes/{code}/options"), &[])
            .await?;
        let map: HashMap<String, String> = r
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["value"].as_str().filter(|v| !v.is_empty())?.to_string(),
                    o["label"].as_str()?.to_string(),
                ))
            })
            .collect();
        self.options
            .lock()
            .await
            .insert(code.to_string(), map.clone());
        Ok(map)
    }
}

/// Magento's message with its `%placeholders` filled from `parameters`.
fn message(reply: &Reply) -> String {
    let mut m = reply
        .body
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| reply.body.to_string());
    match reply.body.get("parameters") {
        Some(Value::Object(p)) => {
            for (k, v) in p {
                m = m.replace(
                    &format!("%{k}"),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                        .as_str(),
                );
            }
        }
        Some(Value::Array(p)) => {
            for (i, v) in p.iter().enumerate() {
                m = m.replace(&format!("%{}", i + 1), v.as_str().unwrap_or(""));
            }
        }
        _ => {}
    }
    m
}

fn custom(p: &Value, code: &str) -> Option<String> {
    p["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .and_then(|a| match &a["value"] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl MagentoClient {
    fn variant(&self, p: &Value, option_values: Vec<String>) -> Variant {
        let money = |d: Decimal| Money::new(d.normalize(), self.currency.clone());
        let price = dec(&p["price"]);
        let special = custom(p, "special_price").and_then(|s| Decimal::from_str(&s).ok());
        let (price, compare) = match (price, special) {
            (Some(p), Some(s)) if s < p => (Some(money(s)), Some(money(p))),
            (p, _) => (p.map(money), None),
        };
        let stock = &p["extension_attributes"]["stock_item"];
        Variant {
            source_id: p["id"].as_u64().map(|i| i.to_string()),
            sku: text(p, "sku"),
            price,
            compare_at_price: compare,
            weight: dec(&p["weight"]).map(|w| Weight {
                value: w.normalize(),
                unit: self.weight_unit,
            }),
            inventory: stock["qty"].as_f64().map(|q| q as i64),
            allow_backorder: stock["backorders"].as_i64().is_some_and(|b| b > 0),
            option_values,
            requires_shipping: p["type_id"] != "virtual",
            taxable: true,
            ..Default::default()
        }
    }

    async fn product_from(&self, p: &Value) -> Result<Product> {
        let handle =
            custom(p, "url_key").unwrap_or_else(|| p["sku"].as_str().unwrap_or("").to_lowercase());
        let mut options = vec![];
        let variants = if p["type_id"] == "configurable" {
            let sku = p["sku"].as_str().unwrap_or("");
            let children = self
                .get(
                    &format!("/configurable-products/{}/children", urlencode(sku)),
                    &[],
                )
                .await?
                .body;
            let conf: Vec<Value> = p["extension_attributes"]["configurable_product_options"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut codes = vec![];
            for o in &conf {
                let label = text(o, "label").unwrap_or_default();
                let id = o["attribute_id"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| o["attribute_id"].as_u64().map(|n| n.to_string()))
                    .unwrap_or_default();
                let code = match self.attribute(&id).await? {
                    Ok((_, code)) => code,
                    Err(m) => {
                        return Err(ConnectorError::Remote(format!(
                            "Magento attribute {id} of product {sku}: {m}"
                        )))
                    }
                };
                codes.push((code.clone(), self.option_labels(&code).await?));
                options.push(ProductOption {
                    name: label,
                    values: vec![],
                });
            }
            let mut out = vec![];
            for child in children.as_array().into_iter().flatten() {
                let values: Vec<String> = codes
                    .iter()
                    .map(|(code, labels)| {
                        custom(child, code)
                            .map(|v| labels.get(&v).cloned().unwrap_or(v))
                            .unwrap_or_default()
                    })
                    .collect();
                for (o, v) in options.iter_mut().zip(&values) {
                    if !o.values.contains(v) {
                        o.values.push(v.clone());
                    }
                }
                out.push(self.variant(child, values));
            }
            out
        } else {
            vec![self.variant(p, vec![])]
        };
        let mut media: Vec<&Value> = p["media_gallery_entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["disabled"] != json!(true))
            .collect();
        media.sort_by_key(|m| m["position"].as_i64().unwrap_or(0));
        Ok(Product {
            source: SourceRef::with_url(
                p["id"].as_u64().unwrap_or(0).to_string(),
                url_path(Platform::Magento, Entity::Products, &handle, &[]),
            ),
            title: text(p, "name").unwrap_or_default(),
            body_html: custom(p, "description").unwrap_or_default(),
            status: if p["status"].as_i64() == Some(STATUS_DISABLED) {
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
            images: media
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    Some(Image {
                        src: format!("{}{}", self.media_url, m["file"].as_str()?),
                        alt: text(m, "label"),
                        position: i as u32 + 1,
                    })
                })
                .collect(),
            seo: Seo {
                title: custom(p, "meta_title"),
                description: custom(p, "meta_description"),
            },
            created_at: text(p, "created_at"),
            handle,
            ..Default::default()
        })
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn customer_from(c: &Value) -> Customer {
    let addresses: Vec<Address> = c["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let street = |i: usize| {
                a["street"]
                    .get(i)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            Address {
                first_name: text(a, "firstname"),
                last_name: text(a, "lastname"),
                company: text(a, "company"),
                address1: street(0),
                address2: street(1),
                city: text(a, "city"),
                province: a["region"]["region_code"]
                    .as_str()
                    .or(a["region"]["region"].as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                country_code: text(a, "country_id"),
                zip: text(a, "postcode"),
                phone: text(a, "telephone"),
                default: a["default_billing"] == json!(true),
            }
        })
        .collect();
    Customer {
        source: SourceRef::new(c["id"].as_u64().unwrap_or(0).to_string()),
        email: text(c, "email").unwrap_or_default(),
        first_name: text(c, "firstname"),
        last_name: text(c, "lastname"),
        phone: addresses.iter().find_map(|a| a.phone.clone()),
        addresses,
        created_at: text(c, "created_at"),
        ..Default::default()
    }
}

pub struct MagentoSource {
    client: MagentoClient,
}

impl MagentoSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoSource {
            client: MagentoClient::open(spec)?,
        })
    }
}

#[async_trait]
impl Source for MagentoSource {
    fn platform(&self) -> Platform {
        Platform::Magento
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Products, Entity::Customers]
    }

    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base)
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
        let path = match entity {
            Entity::Products => "/products",
            Entity::Customers => "/customers/search",
            _ => return Ok(SourcePage::default()),
        };
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1) as usize;
        let size = limit.clamp(1, PAGE_SIZE);
        let reply = self
            .client
            .get(path, &MagentoClient::criteria(None, Some((size, page))))
            .await?;
        let total = reply.body["total_count"].as_u64().unwrap_or(0) as usize;
        let mut out = SourcePage::default();
        // A page past the end repeats the last page, so the end is computed, never detected.
        if (page - 1) * size < total {
            for item in reply.body["items"].as_array().into_iter().flatten() {
                match entity {
                    Entity::Products => {
                        // Children of configurables ("Not Visible Individually") come with their parent.
                        if item["visibility"].as_i64() == Some(VISIBILITY_NOT_VISIBLE)
                            && item["type_id"] == "simple"
                        {
                            continue;
                        }
                        out.records
                            .push(Record::Product(self.client.product_from(item).await?));
                    }
                    _ => out.records.push(Record::Customer(customer_from(item))),
                }
            }
        }
        if page * size < total {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(out)
    }
}

pub struct MagentoTarget {
    client: MagentoClient,
    findings: Vec<Finding>,
}

impl MagentoTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoTarget {
            client: MagentoClient::open(spec)?,
            findings: vec![],
        })
    }

    fn parent_sku(p: &Product) -> String {
        match (
            p.options.is_empty(),
            p.variants.first().and_then(|v| v.sku.clone()),
        ) {
            (true, Some(sku)) if !sku.is_empty() => sku,
            _ => p.handle.clone(),
        }
    }

    fn base_body(
        &self,
        p: &Product,
        v: Option<&Variant>,
        sku: &str,
        url_key: &str,
        visibility: i64,
    ) -> Value {
        let mut attrs = vec![json!({ "attribute_code": "url_key", "value": url_key })];
        let mut body = json!({
            "sku": sku,
            "name": p.title,
            "attribute_set_id": 4,
            "status": if p.status == ProductStatus::Active { STATUS_ENABLED } else { STATUS_DISABLED },
            "visibility": visibility,
            "type_id": "simple",
        });
        if visibility != VISIBILITY_NOT_VISIBLE {
            attrs.push(json!({ "attribute_code": "description", "value": p.body_html }));
            if let Some(t) = &p.seo.title {
                attrs.push(json!({ "attribute_code": "meta_title", "value": t }));
            }
            if let Some(d) = &p.seo.description {
                attrs.push(json!({ "attribute_code": "meta_description", "value": d }));
            }
        }
        if let Some(v) = v {
            let f = |m: &Money| m.amount.to_string().parse::<f64>().unwrap_or(0.0);
            match (&v.price, &v.compare_at_price) {
                (Some(price), Some(compare)) if compare.amount > price.amount => {
                    body["price"] = json!(f(compare));
                    attrs.push(json!({ "attribute_code": "special_price", "value": price.amount.to_string() }));
                }
                (Some(price), _) => body["price"] = json!(f(price)),
                _ => body["price"] = json!(0),
            }
            if let Some(w) = v.weight {
                body["weight"] = json!(w
                    .to_unit(self.client.weight_unit)
                    .value
                    .to_string()
                    .parse::<f64>()
                    .unwrap_or(0.0));
            }
            body["extension_attributes"] = json!({ "stock_item": {
                "qty": v.inventory.unwrap_or(0), "is_in_stock": v.inventory.is_none_or(|q| q > 0) || v.allow_backorder,
                "manage_stock": v.inventory.is_some(), "backorders": if v.allow_backorder { 1 } else { 0 },
            } });
        }
        body["custom_attributes"] = json!(attrs);
        body
    }

    async fn exists(&self, sku: &str) -> Result<bool> {
        let r = self
            .client
            .call(
                reqwest::Method::GET,
                &format!("/products/{}", urlencode(sku)),
                &[],
                None,
                Safety::Idempotent,
            )
            .await?;
        match r.status.as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            s => Err(ConnectorError::Remote(format!(
                "Magento GET product {sku}: HTTP {s}: {}",
                message(&r)
            ))),
        }
    }

    /// PUT /products/{sku} saves by SKU: sending it again changes nothing.
    async fn save(&self, body: &Value) -> Result<std::result::Result<(), String>> {
        let sku = body["sku"].as_str().unwrap_or("");
        let r = self
            .client
            .call(
                reqwest::Method::PUT,
                &format!("/products/{}", urlencode(sku)),
                &[],
                Some(&json!({ "product": body })),
                Safety::Idempotent,
            )
            .await?;
        Ok(if r.status.is_success() {
            Ok(())
        } else {
            Err(message(&r))
        })
    }

    /// The option value id of `label` on attribute `code`, created when missing.
    async fn option_value(
        &self,
        code: &str,
        label: &str,
    ) -> Result<std::result::Result<String, String>> {
        // Creating an option is not idempotent, so the HTTP layer never repeats it; a create
        // lost to a 5xx or a dropped connection is tried again only after a look-up shows that
        // Magento does not have the option.
        const CREATES: usize = 3;
        for attempt in 0..=CREATES {
            let labels = match self.client.option_labels(code).await {
                Ok(l) => l,
                Err(e) => return Ok(Err(e.to_string())),
            };
            if let Some((v, _)) = labels.iter().find(|(_, l)| l.as_str() == label) {
                return Ok(Ok(v.clone()));
            }
            if attempt < CREATES {
                let body = json!({ "option": { "label": label } });
                let r = self
                    .client
                    .call(
                        reqwest::Method::POST,
                        &format!("/products/attributes/{code}/options"),
                        &[],
                        Some(&body),
                        Safety::Unsafe,
                    )
                    .await;
                self.client.options.lock().await.remove(code);
                if let Ok(r) = r {
                    // A refusal is final; a server error is looked up and tried again.
                    if r.status.is_client_error() && !message(&r).contains("already exists") {
                        return Ok(Err(message(&r)));
                    }
                }
            }
        }
        Ok(Err(format!(
            "Magento did not keep option \"{label}\" of attribute {code}"
        )))
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let sku = Self::parent_sku(p);
        let existed = self.exists(&sku).await?;
        if !p.images.is_empty() {
            // Magento's REST API takes image bytes, not URLs; moving them means downloading
            // them, which the operator does with Magento's own import.
            self.findings.push(
                Finding::new(Severity::Warning, "image_not_moved", format!("Magento's API takes image files, not URLs: {} image(s) of \"{}\" must be imported separately (first: {})", p.images.len(), p.title, p.images[0].src))
                    .about(RecordRef { entity: r.entity(), source_id: r.source().id.clone(), label: r.label() }),
            );
        }
        let outcome = |ok: std::result::Result<(), String>| match ok {
            Ok(()) if existed => WriteOutcome::Updated {
                target_id: sku.clone(),
            },
            Ok(()) => WriteOutcome::Created {
                target_id: sku.clone(),
            },
            Err(message) => WriteOutcome::Failed { message },
        };
        if p.options.is_empty() {
            let body = self.base_body(
                p,
                p.variants.first(),
                &sku,
                &p.handle,
                VISIBILITY_CATALOG_SEARCH,
            );
            return Ok(outcome(self.save(&body).await?));
        }
        // Configurable: option values first, then the children, the parent, its options, the links.
        let codes: Vec<String> = p
            .options
            .iter()
            .map(|o| o.name.to_ascii_lowercase().replace(' ', "_"))
            .collect();
        let mut children = vec![];
        for (i, v) in p.variants.iter().enumerate() {
            let child_sku = v
                .sku
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("{}-{}", p.handle, i + 1));
            let mut body = self.base_body(
                p,
                Some(v),
                &child_sku,
                &format!("{}-{}", p.handle, i + 1),
                VISIBILITY_NOT_VISIBLE,
            );
            body["name"] = json!(format!("{} {}", p.title, v.option_values.join(" ")));
            for (code, value) in codes.iter().zip(&v.option_values) {
                match self.option_value(code, value).await? {
                    Ok(id) => {
                        if let Some(a) = body["custom_attributes"].as_array_mut() {
                            a.push(json!({ "attribute_code": code, "value": id }));
                        }
                    }
                    Err(m) => return Ok(WriteOutcome::Failed { message: m }),
                }
            }
            if let Err(m) = self.save(&body).await? {
                return Ok(WriteOutcome::Failed {
                    message: format!("variant {child_sku}: {m}"),
                });
            }
            children.push(child_sku);
        }
        let mut parent = self.base_body(p, None, &sku, &p.handle, VISIBILITY_CATALOG_SEARCH);
        parent["type_id"] = json!("configurable");
        if let Err(m) = self.save(&parent).await? {
            return Ok(WriteOutcome::Failed { message: m });
        }
        let current = self
            .client
            .get(&format!("/products/{}", urlencode(&sku)), &[])
            .await?
            .body;
        let have: Vec<String> = current["extension_attributes"]["configurable_product_options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| text(o, "label"))
            .collect();
        for (i, o) in p.options.iter().enumerate() {
            if have.contains(&o.name) {
                continue;
            }
            let mut values = vec![];
            for v in &o.values {
                if let Ok(id) = self.option_value(&codes[i], v).await? {
                    values.push(json!({ "value_index": id.parse::<u64>().unwrap_or(0) }));
                }
            }
            let attribute_id = match self.client.attribute(&codes[i]).await? {
                Ok((id, _)) => id,
                Err(m) => return Ok(WriteOutcome::Failed { message: m }),
            };
            let body = json!({ "option": { "attribute_id": attribute_id, "label": o.name, "position": i, "values": values } });
            let r = self
                .client
                .call(
                    reqwest::Method::POST,
                    &format!("/configurable-products/{}/options", urlencode(&sku)),
                    &[],
                    Some(&body),
                    Safety::Idempotent,
                )
                .await?;
            if !r.status.is_success() {
                return Ok(WriteOutcome::Failed {
                    message: message(&r),
                });
            }
        }
        let linked: Vec<String> = self
            .client
            .get(
                &format!("/configurable-products/{}/children", urlencode(&sku)),
                &[],
            )
            .await?
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| text(c, "sku"))
            .collect();
        for child in children.iter().filter(|c| !linked.contains(c)) {
            let r = self
                .client
                .call(
                    reqwest::Method::POST,
                    &format!("/configurable-products/{}/child", urlencode(&sku)),
                    &[],
                    Some(&json!({ "childSku": child })),
                    Safety::Idempotent,
                )
                .await?;
            if !r.status.is_success() && !message(&r).contains("already attached") {
                return Ok(WriteOutcome::Failed {
                    message: message(&r),
                });
            }
        }
        Ok(outcome(Ok(())))
    }

    async fn customer_id(&self, email: &str) -> Result<Option<u64>> {
        let r = self
            .client
            .get(
                "/customers/search",
                &MagentoClient::criteria(Some(("email", email, "eq")), None),
            )
            .await?;
        Ok(r.body["items"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|c| c["id"].as_u64()))
    }

    fn customer_body(c: &Customer) -> Value {
        let street = |a: &Address| -> Vec<String> {
            [a.address1.clone(), a.address2.clone()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect()
        };
        json!({
            "email": c.email,
            "firstname": c.first_name.clone().unwrap_or_default(),
            "lastname": c.last_name.clone().unwrap_or_default(),
            "website_id": 1,
            "addresses": c.addresses.iter().enumerate().map(|(i, a)| json!({
                "firstname": a.first_name.clone().or(c.first_name.clone()).unwrap_or_default(),
                "lastname": a.last_name.clone().or(c.last_name.clone()).unwrap_or_default(),
                "company": a.company.clone().unwrap_or_default(),
                "street": street(a),
                "city": a.city.clone().unwrap_or_default(),
                "region": { "region": a.province.clone().unwrap_or_default() },
                "postcode": a.zip.clone().unwrap_or_default(),
                "country_id": a.country_code.clone().unwrap_or_default(),
                "telephone": a.phone.clone().or(c.phone.clone()).unwrap_or_default(),
                "default_billing": a.default || i == 0,
                "default_shipping": a.default || i == 0,
            })).collect::<Vec<_>>(),
        })
    }

    async fn write_customer(&mut self, c: &Customer) -> Result<WriteOutcome> {
        let body = json!({ "customer": Self::customer_body(c) });
        let before = self.customer_id(&c.email).await?;
        if let Some(id) = before {
            let mut b = body;
            b["customer"]["id"] = json!(id);
            let r = self
                .client
                .call(
                    reqwest::Method::PUT,
                    &format!("/customers/{id}"),
                    &[],
                    Some(&b),
                    Safety::Idempotent,
                )
                .await?;
            return Ok(if r.status.is_success() {
                WriteOutcome::Updated {
                    target_id: id.to_string(),
                }
            } else {
                WriteOutcome::Failed {
                    message: message(&r),
                }
            });
        }
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.customer_id(&c.email).await? {
                    return Ok(WriteOutcome::Created {
                        target_id: id.to_string(),
                    });
                }
            }
            match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/customers",
                    &[],
                    Some(&body),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) if r.status.is_success() => {
                    return Ok(WriteOutcome::Created {
                        target_id: r.body["id"].as_u64().unwrap_or(0).to_string(),
                    })
                }
                Ok(r) => {
                    return Ok(WriteOutcome::Failed {
                        message: message(&r),
                    })
                }
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "Magento did not confirm the customer after repeated attempts".into(),
        })
    }
}

#[async_trait]
impl Target for MagentoTarget {
    fn platform(&self) -> Platform {
        Platform::Magento
    }

    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = vec![];
        for r in batch {
            out.push(match (entity, r) {
                (Entity::Products, Record::Product(p)) => self.write_product(r, p).await?,
                (Entity::Customers, Record::Customer(c)) => self.write_customer(c).await?,
                _ => return Err(ConnectorError::Input(format!("the Magento API target loads products and customers; {} cannot be written through it", r.entity()))),
            });
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
            Entity::Products => {
                let r = self
                    .client
                    .get(
                        "/products",
                        &MagentoClient::criteria(Some(("url_key", external_key, "eq")), None),
                    )
                    .await?;
                Ok(r.body["items"]
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(|p| text(p, "sku")))
            }
            Entity::Customers => Ok(self.customer_id(external_key).await?.map(|i| i.to_string())),
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let mut paths = vec![];
        match entity {
            Entity::Products => {
                // A configurable's children were created with it and go with it.
                let r = self
                    .client
                    .call(
                        reqwest::Method::GET,
                        &format!("/configurable-products/{}/children", urlencode(target_id)),
                        &[],
                        None,
                        Safety::Idempotent,
                    )
                    .await?;
                for c in r
                    .body
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| text(c, "sku"))
                {
                    paths.push(format!("/products/{}", urlencode(&c)));
                }
                paths.push(format!("/products/{}", urlencode(target_id)));
            }
            Entity::Customers => paths.push(format!("/customers/{target_id}")),
            other => {
                return Err(ConnectorError::Input(format!(
                    "the Magento API target cannot delete {other}"
                )))
            }
        }
        for path in paths {
            let r = self
                .client
                .call(
                    reqwest::Method::DELETE,
                    &path,
                    &[],
                    None,
                    Safety::Idempotent,
                )
                .await?;
            if !r.status.is_success() && r.status.as_u16() != 404 {
                return Err(ConnectorError::Remote(format!(
                    "Magento DELETE {path}: {}",
                    message(&r)
                )));
            }
        }
        Ok(())
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
