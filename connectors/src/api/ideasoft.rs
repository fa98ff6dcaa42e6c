//! Ideasoft Admin API (`{store}/admin-api/`, OAuth2 bearer): categories, products (variants
//! are child products, descriptions live in `product_details`), members and orders as a
//! source (pages too), read with `sinceId` cursors in pages of at most 100; categories,
//! products, members and pages as a target, upserted by slug / SKU / e-mail so a repeated write updates instead
//! of duplicating. The request window the API
//! announces in `X-RateLimit-*` is spent to the last request, then waited out.
//!
//! ```toml
//! [target]
//! platform = "ideasoft"
//! kind = "api"
//! url = "https://STORE.myideasoft.com"
//! credentials = { token = "IDEASOFT_TOKEN" }
//! # or, to let storeshift renew the token (the refresh token rotates at every renewal and
//! # is kept in memory only): { client_id = "…", client_secret = "…", refresh_token = "…" }
//! options = { tax_rate = 20, untracked_stock = 0 }
//! ```
//!
//! `tax_rate` is the KDV percent for taxable products whose source names no rate;
//! `untracked_stock` the stock amount given to variants whose source tracks none.
//!
//! Brands and categories are referenced by id: a product's brand is matched by name among
//! the store's brands (never created, so a rollback leaves nothing behind) and its categories
//! by path among the store's categories; what is missing becomes a finding.
//!
//! Images cannot move: Ideasoft takes them as uploaded base64 files and storeshift never
//! fetches image URLs, so each product with images gets a finding instead.

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{
    ApiStats, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::ideasoft::api::{
    DISCOUNT_AMOUNT, DISCOUNT_PERCENT, MAX_LIMIT, PREFIX, STANDARD_KDV, TOKEN_PATH,
};
use crate::platform::ideasoft::{currency_abbr, currency_iso};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Query = Vec<(String, String)>;

fn q(pairs: &[(&str, String)]) -> Query {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// How the client gets its bearer token: given outright, or renewed with the refresh token
/// grant (the refresh token rotates on every renewal and is kept in memory).
struct Auth {
    access: Option<String>,
    refresh: Option<String>,
}

pub struct IdeasoftClient {
    http: HttpClient,
    base: String,
    token_url: String,
    client: Option<(String, String)>,
    auth: Mutex<Auth>,
    currency: String,
}

impl IdeasoftClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Ideasoft API endpoint needs `url = \"https://STORE.myideasoft.com\"`".into(),
            )
        })?;
        let url = url.trim_end_matches('/');
        let has = |k: &str| spec.credentials.contains_key(k);
        let access = if has("token") {
            Some(spec.credential("token")?)
        } else {
            None
        };
        let (client, refresh) = if has("refresh_token") {
            (
                Some((
                    spec.credential("client_id")?,
                    spec.credential("client_secret")?,
                )),
                Some(spec.credential("refresh_token")?),
            )
        } else {
            (None, None)
        };
        if access.is_none() && refresh.is_none() {
            return Err(ConnectorError::Input(
                "the Ideasoft API endpoint needs `credentials = { token = \"IDEASOFT_TOKEN\" }` (an access token), or client_id, client_secret and refresh_token variables so storeshift can renew the token".into(),
            ));
        }
        Ok(IdeasoftClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{url}{PREFIX}"),
            token_url: format!("{url}{TOKEN_PATH}"),
            client,
            auth: Mutex::new(Auth { access, refresh }),
            currency: spec.currency().to_string(),
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, Auth> {
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bearer token; `renew` trades the refresh token for a new one.
    async fn token(&self, renew: bool) -> std::result::Result<String, CallError> {
        let (access, refresh) = {
            let a = self.lock_auth();
            (a.access.clone(), a.refresh.clone())
        };
        if let (Some(t), false) = (&access, renew) {
            return Ok(t.clone());
        }
        let (Some((id, secret)), Some(refresh)) = (&self.client, refresh) else {
            return Err(CallError::Failed(
                "Ideasoft refused the access token (HTTP 401): issue a new one in the shop panel, or name client_id, client_secret and refresh_token credentials so storeshift can renew it".into(),
            ));
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("refresh_token", refresh.as_str()),
        ];
        let reply = self
            .http
            .send("Ideasoft token", Safety::Idempotent, |c| {
                c.post(&self.token_url).form(&form)
            })
            .await?;
        match reply.body["access_token"].as_str() {
            Some(t) if reply.status.is_success() => {
                let mut a = self.lock_auth();
                a.access = Some(t.to_string());
                if let Some(r) = reply.body["refresh_token"].as_str() {
                    a.refresh = Some(r.to_string());
                }
                Ok(t.to_string())
            }
            _ => Err(CallError::Failed(format!(
                "Ideasoft refused to renew the access token: {} (check the client_id, client_secret and refresh_token variables; a refresh token lasts about two months and is replaced at every renewal)",
                error_text(&reply)
            ))),
        }
    }

    /// One API call; a refused token is renewed once when a refresh token is configured.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        safety: Safety,
    ) -> std::result::Result<Reply, CallError> {
        let url = format!("{}{path}", self.base);
        let what = format!("Ideasoft {method} {PREFIX}{path}");
        let mut renewed = false;
        loop {
            let token = self.token(renewed).await?;
            let reply = self
                .http
                .send(&what, safety, |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .bearer_auth(&token)
                        .header("accept", "application/json")
                        .query(query);
                    if let Some(b) = body {
                        r = r.json(b);
                    }
                    r
                })
                .await?;
            self.observe_window(&reply);
            if reply.status.as_u16() == 401 && !renewed && self.client.is_some() {
                renewed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// Spends the request window to the last request, then waits for its reset rather than
    /// being refused.
    fn observe_window(&self, reply: &Reply) {
        let num = |h: &str| reply.header(h).and_then(|v| v.trim().parse::<f64>().ok());
        let (Some(limit), Some(left)) = (num("x-ratelimit-limit"), num("x-ratelimit-remaining"))
        else {
            return;
        };
        self.http
            .counters()
            .set_budget_used(100.0 * (1.0 - left / limit.max(1.0)));
        if left <= 0.0 {
            if let Some(reset) = num("x-ratelimit-reset") {
                self.http.limiter().pause_until(
                    Instant::now() + Duration::from_secs_f64(reset.clamp(0.0, 3600.0)),
                );
            }
        }
    }

    fn check(&self, reply: Reply, what: &str) -> Result<Reply> {
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(ConnectorError::Remote(format!(
                "Ideasoft {what}: {}",
                error_text(&reply)
            )))
        }
    }

    /// One page of a list; Ideasoft answers with a bare JSON array.
    async fn list(&self, resource: &str, query: &[(String, String)]) -> Result<Vec<Value>> {
        let path = format!("/{resource}");
        let r = self
            .call(Method::GET, &path, query, None, Safety::Idempotent)
            .await?;
        let r = self.check(r, &path)?;
        match r.body {
            Value::Array(items) => Ok(items),
            other => Err(ConnectorError::Remote(format!(
                "Ideasoft GET {PREFIX}{path} answered {} instead of a list",
                snippet(&other)
            ))),
        }
    }

    /// Every record the filters match, 100 at a time by `sinceId`.
    async fn list_all(&self, resource: &str, filters: &[(String, String)]) -> Result<Vec<Value>> {
        let mut out = vec![];
        let mut since = 0u64;
        loop {
            let mut query = filters.to_vec();
            query.extend(q(&[
                ("sort", "id".into()),
                ("limit", MAX_LIMIT.to_string()),
                ("sinceId", since.to_string()),
            ]));
            let page = self.list(resource, &query).await?;
            let n = page.len();
            since = page.last().and_then(|v| v["id"].as_u64()).unwrap_or(since);
            out.extend(page);
            if n < MAX_LIMIT {
                return Ok(out);
            }
        }
    }

    async fn find_one(&self, resource: &str, filters: &[(String, String)]) -> Result<Option<u64>> {
        let mut query = filters.to_vec();
        query.push(("limit".into(), "1".into()));
        Ok(self
            .list(resource, &query)
            .await?
            .first()
            .and_then(|v| v["id"].as_u64()))
    }

    /// POSTs `body` once: after an ambiguous failure (timeout, dropped connection, 5xx,
    /// unreadable reply) the record is looked up by `key` before any second POST, so it is
    /// never created twice. `Ok(Err(message))` is Ideasoft refusing the record.
    async fn create_once(
        &self,
        resource: &str,
        body: &Value,
        key: &[(String, String)],
    ) -> Result<std::result::Result<u64, String>> {
        let path = format!("/{resource}");
        for attempt in 0..=self.http.config().max_retries {
            if attempt > 0 {
                self.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.find_one(resource, key).await? {
                    return Ok(Ok(id));
                }
            }
            match self
                .call(Method::POST, &path, &[], Some(body), Safety::Unsafe)
                .await
            {
                Ok(r) if r.status.is_success() => {
                    return match r.body["id"].as_u64() {
                        Some(id) => Ok(Ok(id)),
                        None => Ok(self.find_one(resource, key).await?.ok_or_else(|| {
                            "Ideasoft accepted the record but its reply named no id".to_string()
                        })),
                    }
                }
                Ok(r) => return Ok(Err(error_text(&r))),
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(Err(format!(
            "Ideasoft did not confirm the new {resource} record after {} attempts",
            self.http.config().max_retries + 1
        )))
    }

    /// PUTs `body` (idempotent). `Ok(Err(message))` is Ideasoft refusing it.
    async fn update(
        &self,
        resource: &str,
        id: u64,
        body: &Value,
    ) -> Result<std::result::Result<(), String>> {
        let r = self
            .call(
                Method::PUT,
                &format!("/{resource}/{id}"),
                &[],
                Some(body),
                Safety::Idempotent,
            )
            .await?;
        Ok(if r.status.is_success() {
            Ok(())
        } else {
            Err(error_text(&r))
        })
    }

    /// Creates or updates the record `key` identifies; `(id, created)` or Ideasoft's refusal.
    async fn upsert(
        &self,
        resource: &str,
        body: &Value,
        key: &[(String, String)],
    ) -> Result<std::result::Result<(u64, bool), String>> {
        match self.find_one(resource, key).await? {
            Some(id) => Ok(self.update(resource, id, body).await?.map(|()| (id, false))),
            None => Ok(self
                .create_once(resource, body, key)
                .await?
                .map(|id| (id, true))),
        }
    }

    fn money(&self, d: Decimal, currency: &str) -> Money {
        Money::new(d.normalize(), currency)
    }
}

fn snippet(v: &Value) -> String {
    let t = v.to_string();
    match t.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t,
    }
}

/// Ideasoft's own words: an OAuth error (`error_description`), a FOSRest validation failure
/// (`message` plus each field's errors) or a plain `message`.
fn error_text(reply: &Reply) -> String {
    let b = &reply.body;
    let status = reply.status.as_u16();
    let hint = match status {
        401 => " (the access token was refused: issue a new one, or configure client_id, client_secret and refresh_token)",
        403 => " (the application lacks the permission for this resource, e.g. product_create; grant it in the shop panel)",
        _ => "",
    };
    if let Some(d) = b["error_description"].as_str() {
        let code = b["error"].as_str().unwrap_or("");
        return format!("HTTP {status} {code}: {d}{hint}");
    }
    let message = b["message"]
        .as_str()
        .or(b["errorMessage"].as_str())
        .or(b.as_str())
        .unwrap_or("");
    let mut fields = vec![];
    if let Some(children) = b.pointer("/errors/children").and_then(Value::as_object) {
        for (field, v) in children {
            for e in v["errors"].as_array().into_iter().flatten() {
                fields.push(format!("{field}: {}", e.as_str().unwrap_or("")));
            }
        }
    }
    if fields.is_empty() {
        format!("HTTP {status} {message}{hint}")
    } else {
        format!("HTTP {status} {message}: {}{hint}", fields.join("; "))
    }
}

fn num(v: &Value, k: &str) -> Option<Decimal> {
    match v.get(k) {
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .ok()
            .or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        Some(Value::String(s)) => parse_decimal(s),
        _ => None,
    }
}

fn int(v: &Value, k: &str) -> Option<i64> {
    match v.get(k) {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// Canonical (price, compare-at) from `price1`, `discount` and `discountType`: a discount
/// makes `price1` the compare-at price and the discounted amount the price.
pub fn prices_from(
    price1: Decimal,
    discount: Decimal,
    discount_type: i64,
) -> (Decimal, Option<Decimal>) {
    if discount <= Decimal::ZERO {
        return (price1, None);
    }
    let sale = if discount_type == DISCOUNT_PERCENT {
        (price1 * (Decimal::ONE_HUNDRED - discount.min(Decimal::ONE_HUNDRED))
            / Decimal::ONE_HUNDRED)
            .round_dp(2)
    } else {
        (price1 - discount).max(Decimal::ZERO)
    };
    (sale, Some(price1))
}

/// `(price1, discount, discountType)` for a canonical price and compare-at price: a
/// compare-at above the price becomes `price1` with the difference as an amount off.
pub fn prices_to(price: Decimal, compare_at: Option<Decimal>) -> (Decimal, Decimal, i64) {
    match compare_at {
        Some(c) if c > price => (c, c - price, DISCOUNT_AMOUNT),
        _ => (price, Decimal::ZERO, DISCOUNT_AMOUNT),
    }
}

/// Category id → (names from the root, slug), filled as categories are seen.
type CategoryPaths = HashMap<u64, (Vec<String>, String)>;

/// The category path of `id`, asking the API for ancestors not seen yet.
async fn category_path(
    client: &IdeasoftClient,
    known: &mut CategoryPaths,
    id: u64,
) -> Result<Vec<String>> {
    // Walk up until a known ancestor (or the root), then fill the cache on the way down.
    let mut chain: Vec<(u64, String, String)> = vec![];
    let mut cursor = Some(id);
    let mut base: Vec<String> = vec![];
    while let Some(cid) = cursor {
        if let Some((path, _)) = known.get(&cid) {
            base = path.clone();
            break;
        }
        if chain.len() > 64 || chain.iter().any(|(c, _, _)| *c == cid) {
            return Err(ConnectorError::Remote(format!(
                "Ideasoft category {id} has a parent chain that loops; fix the category tree in the shop panel"
            )));
        }
        let path = format!("/categories/{cid}");
        let r = client
            .call(Method::GET, &path, &[], None, Safety::Idempotent)
            .await?;
        let c = client.check(r, &path)?.body;
        chain.push((
            cid,
            text(&c, "name").unwrap_or_default(),
            text(&c, "slug").unwrap_or_default(),
        ));
        cursor = c.pointer("/parent/id").and_then(Value::as_u64);
    }
    for (cid, name, slug) in chain.into_iter().rev() {
        base.push(name);
        known.insert(cid, (base.clone(), slug));
    }
    Ok(base)
}

pub struct IdeasoftSource {
    client: IdeasoftClient,
    categories: CategoryPaths,
    /// Problems met while reading the current page.
    findings: Vec<Finding>,
}

impl IdeasoftSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IdeasoftSource {
            client: IdeasoftClient::open(spec)?,
            categories: HashMap::new(),
            findings: vec![],
        })
    }

    fn remember_category(&mut self, c: &Value) {
        // A bare `{id}` reference says nothing about the category.
        let (Some(id), Some(name)) = (c["id"].as_u64(), text(c, "name")) else {
            return;
        };
        let slug = text(c, "slug").unwrap_or_default();
        let parent = c.pointer("/parent/id").and_then(Value::as_u64);
        let path = match parent {
            None => Some(vec![name]),
            Some(p) => self.categories.get(&p).map(|(pp, _)| {
                let mut v = pp.clone();
                v.push(name);
                v
            }),
        };
        if let Some(path) = path {
            self.categories.insert(id, (path, slug));
        }
    }

    async fn category_from(&mut self, c: &Value) -> Result<Category> {
        self.remember_category(c);
        let id = c["id"].as_u64().unwrap_or(0);
        let path = category_path(&self.client, &mut self.categories, id).await?;
        let handle = text(c, "slug").unwrap_or_default();
        Ok(Category {
            source: SourceRef::with_url(
                id.to_string(),
                url_path(Platform::Ideasoft, Entity::Categories, &handle, &[]),
            ),
            handle,
            path,
            description_html: text(c, "showcaseContent").unwrap_or_default(),
            seo: Seo {
                title: text(c, "pageTitle"),
                description: text(c, "metaDescription"),
            },
            // 0 is Ideasoft's "no particular place".
            position: int(c, "sortOrder").filter(|p| *p != 0),
            image: None,
        })
    }

    fn currency_of(&self, p: &Value) -> String {
        p.pointer("/currency/abbr")
            .and_then(Value::as_str)
            .map(currency_iso)
            .unwrap_or_else(|| self.client.currency.clone())
    }

    fn variant_from(&self, v: &Value, currency: &str, option_values: Vec<String>) -> Variant {
        let price1 = num(v, "price1").unwrap_or_default();
        let (price, compare) = prices_from(
            price1,
            num(v, "discount").unwrap_or_default(),
            int(v, "discountType").unwrap_or(DISCOUNT_AMOUNT),
        );
        Variant {
            source_id: v["id"].as_u64().map(|i| i.to_string()),
            sku: text(v, "sku"),
            barcode: text(v, "barcode"),
            price: Some(self.client.money(price, currency)),
            compare_at_price: compare.map(|c| self.client.money(c, currency)),
            cost: num(v, "buyingPrice")
                .filter(|c| !c.is_zero())
                .map(|c| self.client.money(c, currency)),
            inventory: num(v, "stockAmount").map(|s| s.floor().to_string().parse().unwrap_or(0)),
            option_values,
            requires_shipping: true,
            taxable: int(v, "tax") != Some(0),
            ..Default::default()
        }
    }

    async fn product_from(&mut self, p: &Value) -> Result<Product> {
        let id = p["id"].as_u64().unwrap_or(0);
        let currency = self.currency_of(p);
        let children = if int(p, "hasOption") == Some(1) {
            self.client
                .list_all("products", &q(&[("parent", id.to_string())]))
                .await?
        } else {
            vec![]
        };
        let details = self
            .client
            .list(
                "product_details",
                &q(&[("product", id.to_string()), ("limit", "1".into())]),
            )
            .await?;
        let body_html = details
            .first()
            .and_then(|d| d["details"].as_str())
            .unwrap_or("")
            .to_string();
        let mut categories = vec![];
        for c in p["categories"].as_array().into_iter().flatten() {
            self.remember_category(c);
            let Some(cid) = c["id"].as_u64() else {
                continue;
            };
            // A category that cannot be read costs the product that link, not the whole page.
            match category_path(&self.client, &mut self.categories, cid).await {
                Ok(path) => categories.push(path),
                Err(e) => self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "category_unreadable",
                        format!(
                            "product \"{}\" (id {id}) is in category {cid}, which could not be read, so that link is left out: {e}",
                            text(p, "name").unwrap_or_default()
                        ),
                    )
                    .about(RecordRef {
                        entity: Entity::Products,
                        source_id: id.to_string(),
                        label: text(p, "name").unwrap_or_default(),
                    }),
                ),
            }
        }
        // Option groups in the order the variants first use them.
        let mut options: Vec<ProductOption> = vec![];
        let pairs = |v: &Value| -> Vec<(String, String)> {
            let listed: Vec<(String, String)> = v["options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| {
                    Some((
                        o.pointer("/optionGroup/title")?.as_str()?.to_string(),
                        o["title"].as_str()?.to_string(),
                    ))
                })
                .collect();
            if listed.is_empty() {
                // No option objects: the variant's name is its only value.
                vec![("Seçenek".to_string(), text(v, "name").unwrap_or_default())]
            } else {
                listed
            }
        };
        for c in &children {
            for (group, value) in pairs(c) {
                match options.iter_mut().find(|o| o.name == group) {
                    Some(o) if !o.values.contains(&value) => o.values.push(value),
                    Some(_) => {}
                    None => options.push(ProductOption {
                        name: group,
                        values: vec![value],
                    }),
                }
            }
        }
        let variants = if children.is_empty() {
            vec![self.variant_from(p, &currency, vec![])]
        } else {
            children
                .iter()
                .map(|c| {
                    let mine = pairs(c);
                    let values = options
                        .iter()
                        .map(|o| {
                            mine.iter()
                                .find(|(g, _)| *g == o.name)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default()
                        })
                        .collect();
                    self.variant_from(c, &currency, values)
                })
                .collect()
        };
        let mut images: Vec<(i64, Image)> = p["images"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|im| {
                let src = text(im, "originalUrl").or_else(|| text(im, "thumbUrl"))?;
                Some((
                    int(im, "sortOrder").unwrap_or(0),
                    Image {
                        src,
                        alt: text(im, "alt"),
                        position: 0,
                    },
                ))
            })
            .collect();
        images.sort_by_key(|(o, _)| *o);
        let mut attributes = std::collections::BTreeMap::new();
        if let Some(t) = int(p, "tax").filter(|t| *t != STANDARD_KDV && *t != 0) {
            attributes.insert("ideasoft.tax".to_string(), t.to_string());
        }
        if let Some(s) = text(p, "shortDetails") {
            attributes.insert("ideasoft.short_details".to_string(), s);
        }
        if let Some(u) = text(p, "stockTypeLabel").filter(|u| u != "Piece") {
            attributes.insert("ideasoft.stock_unit".to_string(), u);
        }
        let handle = text(p, "slug").unwrap_or_default();
        Ok(Product {
            source: SourceRef::with_url(
                id.to_string(),
                url_path(Platform::Ideasoft, Entity::Products, &handle, &[]),
            ),
            title: text(p, "name").unwrap_or_default(),
            body_html,
            vendor: p
                .pointer("/brand/name")
                .and_then(Value::as_str)
                .map(str::to_string),
            tags: text(p, "searchKeywords")
                .map(|k| {
                    k.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            status: if int(p, "status") == Some(1) {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            },
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            categories,
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
                title: text(p, "pageTitle"),
                description: text(p, "metaDescription"),
            },
            attributes,
            created_at: crate::api::time(text(p, "createdAt")),
            handle,
            ..Default::default()
        })
    }
}

fn customer_from(m: &Value) -> Customer {
    let address = Address {
        first_name: text(m, "firstname"),
        last_name: text(m, "surname"),
        company: text(m, "commercialName"),
        address1: text(m, "address"),
        address2: None,
        city: text(m, "district"),
        province: m
            .pointer("/location/name")
            .and_then(Value::as_str)
            .map(str::to_string),
        country_code: m
            .pointer("/country/code")
            .and_then(Value::as_str)
            .map(str::to_string),
        zip: text(m, "zipCode"),
        phone: text(m, "phoneNumber"),
        default: true,
    };
    Customer {
        source: SourceRef::new(m["id"].to_string()),
        email: text(m, "email").unwrap_or_default(),
        first_name: text(m, "firstname"),
        last_name: text(m, "surname"),
        phone: text(m, "mobilePhoneNumber").or_else(|| text(m, "phoneNumber")),
        addresses: if address.is_empty() {
            vec![]
        } else {
            vec![address]
        },
        marketing: MarketingConsent {
            email: int(m, "allowedToCampaigns") == Some(1),
            sms: false,
            updated_at: None,
        },
        created_at: crate::api::time(text(m, "createdAt")),
        ..Default::default()
    }
}

fn page_from(p: &Value) -> Page {
    let handle = text(p, "slug").unwrap_or_default();
    Page {
        source: SourceRef::with_url(
            p["id"].to_string(),
            url_path(Platform::Ideasoft, Entity::Pages, &handle, &[]),
        ),
        title: text(p, "title").unwrap_or_default(),
        body_html: p["content"].as_str().unwrap_or("").to_string(),
        published: int(p, "status") == Some(1),
        seo: Seo {
            title: text(p, "pageTitle"),
            description: text(p, "metaDescription"),
        },
        created_at: crate::api::time(text(p, "createdAt")),
        handle,
    }
}

fn order_address(a: &Value) -> Option<Address> {
    let addr = Address {
        first_name: text(a, "firstname"),
        last_name: text(a, "surname"),
        company: None,
        address1: text(a, "address"),
        address2: None,
        city: text(a, "subLocation"),
        province: text(a, "location"),
        country_code: text(a, "country").map(|c| match c.as_str() {
            "Türkiye" | "Turkey" | "TR" => "TR".to_string(),
            other => other.to_string(),
        }),
        zip: text(a, "zipCode"),
        phone: text(a, "phoneNumber"),
        default: false,
    };
    (!addr.is_empty()).then_some(addr)
}

/// An order as Ideasoft keeps it: prices include KDV at `productTax` percent, the shipping
/// and the coupon are order-level amounts, `finalAmount` is what the customer paid.
fn order_from(o: &Value, default_currency: &str) -> Order {
    let currency = text(o, "currency")
        .map(|c| currency_iso(&c))
        .unwrap_or_else(|| default_currency.to_string());
    let money = |d: Decimal| Money::new(d.normalize(), currency.clone());
    let zero = || money(Decimal::ZERO);
    let line_items: Vec<LineItem> = o["orderItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|it| {
            let price = num(it, "productPrice").unwrap_or_default();
            let qty = num(it, "productQuantity").unwrap_or(Decimal::ONE);
            let rate = num(it, "productTax").unwrap_or_default() / Decimal::ONE_HUNDRED;
            let gross = price * qty;
            let tax = (gross * rate / (Decimal::ONE + rate)).round_dp(2);
            LineItem {
                sku: text(it, "productSku"),
                title: text(it, "productName").unwrap_or_default(),
                variant_title: None,
                quantity: qty.floor().to_string().parse().unwrap_or(1),
                price: money(price),
                total_discount: num(it, "discount").filter(|d| !d.is_zero()).map(money),
                tax_lines: if rate.is_zero() {
                    vec![]
                } else {
                    vec![TaxLine {
                        title: "KDV".into(),
                        rate: rate.normalize(),
                        amount: money(tax),
                    }]
                },
                product_ref: None,
            }
        })
        .collect();
    let coupon = num(o, "couponDiscount").unwrap_or_default();
    let shipping = num(o, "shippingAmount").unwrap_or_default();
    let tax: Decimal = line_items
        .iter()
        .flat_map(|l| &l.tax_lines)
        .map(|t| t.amount.amount)
        .sum();
    let status = text(o, "status").unwrap_or_default();
    let payment = text(o, "paymentStatus").unwrap_or_default();
    Order {
        source: SourceRef::new(o["id"].to_string()),
        number: text(o, "transactionId").unwrap_or_else(|| o["id"].to_string()),
        email: text(o, "customerEmail"),
        customer_ref: o
            .pointer("/member/id")
            .and_then(Value::as_u64)
            .map(|i| i.to_string()),
        tax_lines: vec![],
        discounts: if coupon.is_zero() {
            vec![]
        } else {
            vec![Discount {
                code: text(o, "couponCode").unwrap_or_else(|| "kupon".into()),
                amount: money(coupon),
            }]
        },
        shipping_lines: if shipping.is_zero() && text(o, "shippingProviderName").is_none() {
            vec![]
        } else {
            vec![ShippingLine {
                title: text(o, "shippingProviderName").unwrap_or_else(|| "Kargo".into()),
                code: None,
                price: money(shipping),
                tax_lines: vec![],
            }]
        },
        transactions: match text(o, "paymentTypeName") {
            Some(gateway) if payment == "success" => vec![Transaction {
                kind: "sale".into(),
                status: "success".into(),
                gateway: Some(gateway),
                amount: money(num(o, "finalAmount").unwrap_or_default()),
                processed_at: crate::api::time(text(o, "createdAt")),
            }],
            _ => vec![],
        },
        totals: OrderTotals {
            subtotal: money(num(o, "generalAmount").unwrap_or_default()),
            discounts: if coupon.is_zero() {
                zero()
            } else {
                money(coupon)
            },
            shipping: money(shipping),
            tax: money(tax),
            total: money(num(o, "finalAmount").unwrap_or_default()),
        },
        financial_status: match (status.as_str(), payment.as_str()) {
            ("refunded", _) | (_, "refunded") => FinancialStatus::Refunded,
            (_, "success") => FinancialStatus::Paid,
            ("cancelled", _) | (_, "failed") => FinancialStatus::Voided,
            _ => FinancialStatus::Pending,
        },
        fulfillment_status: match status.as_str() {
            "fulfilled" | "delivered" => FulfillmentStatus::Fulfilled,
            "cancelled" => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        },
        created_at: crate::api::time(text(o, "createdAt")),
        processed_at: None,
        cancelled_at: (status == "cancelled")
            .then(|| crate::api::time(text(o, "updatedAt")))
            .flatten(),
        billing_address: order_address(&o["billingAddress"]),
        shipping_address: order_address(&o["shippingAddress"]),
        currency,
        line_items,
        note: None,
        tags: vec![],
    }
}

#[async_trait]
impl Source for IdeasoftSource {
    fn platform(&self) -> Platform {
        Platform::Ideasoft
    }

    fn entities(&self) -> Vec<Entity> {
        vec![
            Entity::Categories,
            Entity::Products,
            Entity::Customers,
            Entity::Orders,
            Entity::Pages,
        ]
    }

    fn describe(&self) -> String {
        format!("Ideasoft API ({})", self.client.base)
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    /// Pages by `sinceId` (ascending ids), which stays right while the store changes; the
    /// cursor is the last id read.
    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        let resource = match entity {
            Entity::Categories => "categories",
            Entity::Products => "products",
            Entity::Customers => "members",
            Entity::Orders => "orders",
            Entity::Pages => "pages",
            _ => return Ok(SourcePage::default()),
        };
        let since = cursor
            .and_then(|c| c.get("since_id"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let limit = limit.clamp(1, MAX_LIMIT);
        let raw = self
            .client
            .list(
                resource,
                &q(&[
                    ("sort", "id".into()),
                    ("limit", limit.to_string()),
                    ("page", "1".into()),
                    ("sinceId", since.to_string()),
                ]),
            )
            .await?;
        let mut out = SourcePage::default();
        for item in &raw {
            match entity {
                Entity::Categories => out
                    .records
                    .push(Record::Category(self.category_from(item).await?)),
                // Variants are listed next to their parents; they travel inside them.
                Entity::Products if item["parent"].is_object() => {}
                Entity::Products => out
                    .records
                    .push(Record::Product(self.product_from(item).await?)),
                Entity::Orders => out.records.push(Record::Order(Box::new(order_from(
                    item,
                    &self.client.currency,
                )))),
                Entity::Pages => out.records.push(Record::Page(page_from(item))),
                _ => out.records.push(Record::Customer(customer_from(item))),
            }
        }
        out.findings = std::mem::take(&mut self.findings);
        if raw.len() == limit {
            let last = raw.last().and_then(|v| v["id"].as_u64()).unwrap_or(since);
            out.next = Some(json!({ "since_id": last }));
        }
        Ok(out)
    }
}

pub struct IdeasoftTarget {
    client: IdeasoftClient,
    findings: Vec<Finding>,
    /// Currency abbreviation → id, read once.
    currencies: Option<HashMap<String, u64>>,
    /// Lower-case brand name → id, read once.
    brands: Option<HashMap<String, u64>>,
    /// Category path → id; re-read when a path is missing.
    category_ids: Option<HashMap<Vec<String>, u64>>,
    /// KDV rate for taxable products whose source names none (`tax_rate` option).
    tax_rate: i64,
    /// Stock given to variants whose source tracks none (`untracked_stock` option): Ideasoft
    /// keeps a stock amount on every product.
    untracked_stock: i64,
}

impl IdeasoftTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let tax_rate = spec
            .options
            .get("tax_rate")
            .and_then(Value::as_i64)
            .unwrap_or(STANDARD_KDV);
        let untracked_stock = spec
            .options
            .get("untracked_stock")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        Ok(IdeasoftTarget {
            client: IdeasoftClient::open(spec)?,
            findings: vec![],
            currencies: None,
            brands: None,
            category_ids: None,
            tax_rate,
            untracked_stock,
        })
    }

    fn note(&mut self, severity: Severity, code: &str, message: String, r: &Record) {
        self.findings
            .push(Finding::new(severity, code, message).about(RecordRef {
                entity: r.entity(),
                source_id: r.source().id.clone(),
                label: r.label(),
            }));
    }

    async fn currency_id(&mut self, iso: &str) -> Result<Option<u64>> {
        if self.currencies.is_none() {
            let list = self.client.list_all("currencies", &[]).await?;
            self.currencies = Some(
                list.iter()
                    .filter_map(|c| {
                        Some((c["abbr"].as_str()?.to_ascii_uppercase(), c["id"].as_u64()?))
                    })
                    .collect(),
            );
        }
        Ok(self
            .currencies
            .as_ref()
            .and_then(|m| m.get(&currency_abbr(iso)).copied()))
    }

    async fn brand_id(&mut self, name: &str) -> Result<Option<u64>> {
        if self.brands.is_none() {
            let list = self.client.list_all("brands", &[]).await?;
            self.brands = Some(
                list.iter()
                    .filter_map(|b| {
                        Some((b["name"].as_str()?.trim().to_lowercase(), b["id"].as_u64()?))
                    })
                    .collect(),
            );
        }
        Ok(self
            .brands
            .as_ref()
            .and_then(|m| m.get(&name.trim().to_lowercase()).copied()))
    }

    async fn load_categories(&mut self) -> Result<()> {
        let list = self.client.list_all("categories", &[]).await?;
        let by_id: HashMap<u64, &Value> = list
            .iter()
            .filter_map(|c| Some((c["id"].as_u64()?, c)))
            .collect();
        let mut ids = HashMap::new();
        for (id, c) in &by_id {
            let mut path = vec![];
            let mut cur = Some(*c);
            while let Some(node) = cur {
                path.push(text(node, "name").unwrap_or_default());
                if path.len() > 64 {
                    break;
                }
                cur = node
                    .pointer("/parent/id")
                    .and_then(Value::as_u64)
                    .and_then(|p| by_id.get(&p).copied());
            }
            path.reverse();
            ids.insert(path, *id);
        }
        self.category_ids = Some(ids);
        Ok(())
    }

    async fn category_id(&mut self, path: &[String], reload: bool) -> Result<Option<u64>> {
        if self.category_ids.is_none() || reload {
            self.load_categories().await?;
        }
        Ok(self
            .category_ids
            .as_ref()
            .and_then(|m| m.get(path).copied()))
    }

    async fn write_category(&mut self, c: &Category) -> Result<WriteOutcome> {
        let parent = match c.parent_path() {
            [] => None,
            pp => {
                let found = match self.category_id(pp, false).await? {
                    Some(id) => Some(id),
                    None => self.category_id(pp, true).await?,
                };
                match found {
                    Some(id) => Some(id),
                    None => {
                        return Ok(WriteOutcome::Failed {
                            message: format!(
                                "its parent category \"{}\" is not in the Ideasoft store",
                                pp.join(" > ")
                            ),
                        })
                    }
                }
            }
        };
        let slug = slug_for(&c.handle, c.name());
        let body = json!({
            "name": c.name(), "slug": slug, "status": 1, "sortOrder": c.position.unwrap_or(0),
            "parent": parent.map(|p| json!({ "id": p })),
            "pageTitle": c.seo.title.clone().unwrap_or_default(),
            "metaDescription": c.seo.description.clone().unwrap_or_default(),
            "showcaseContent": c.description_html,
            "displayShowcaseContent": if c.description_html.is_empty() { 0 } else { 1 },
        });
        let key = q(&[("q[slug]", slug)]);
        Ok(match self.client.upsert("categories", &body, &key).await? {
            Ok((id, created)) => {
                if let Some(m) = self.category_ids.as_mut() {
                    m.insert(c.path.clone(), id);
                }
                outcome(id, created)
            }
            Err(message) => WriteOutcome::Failed { message },
        })
    }

    /// The fields a product and its variants share.
    fn price_fields(&self, v: Option<&Variant>, currency_id: u64) -> Value {
        let price = v
            .and_then(|v| v.price.as_ref())
            .map(|m| m.amount)
            .unwrap_or_default();
        let compare = v
            .and_then(|v| v.compare_at_price.as_ref())
            .map(|m| m.amount);
        let (price1, discount, discount_type) = prices_to(price, compare);
        json!({
            "price1": to_f64(price1), "discount": to_f64(discount), "discountType": discount_type,
            "currency": { "id": currency_id }, "taxIncluded": 1, "stockTypeLabel": "Piece",
            "buyingPrice": v.and_then(|v| v.cost.as_ref()).map(|m| to_f64(m.amount)).unwrap_or(0.0),
            "barcode": v.and_then(|v| v.barcode.clone()).unwrap_or_default(),
        })
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let first = p.variants.first();
        let iso = first
            .and_then(|v| v.price.as_ref())
            .map(|m| m.currency.clone())
            .unwrap_or_else(|| self.client.currency.clone());
        let Some(currency_id) = self.currency_id(&iso).await? else {
            return Ok(WriteOutcome::Failed {
                message: format!(
                    "the Ideasoft store has no currency {} (add it under Ayarlar › Para Birimleri, then run again)",
                    currency_abbr(&iso)
                ),
            });
        };
        let brand = match &p.vendor {
            Some(v) if !v.trim().is_empty() => {
                let id = self.brand_id(v).await?;
                if id.is_none() {
                    self.note(Severity::Warning, "brand_missing", format!("brand \"{v}\" does not exist in the Ideasoft store, so \"{}\" was written without one; create the brand (Ürünler › Markalar) and run again to link it", p.title), r);
                }
                id
            }
            _ => None,
        };
        let mut category_ids = vec![];
        for path in &p.categories {
            let found = match self.category_id(path, false).await? {
                Some(id) => Some(id),
                None => self.category_id(path, true).await?,
            };
            match found {
                Some(id) => category_ids.push(json!({ "id": id })),
                None => self.note(Severity::Warning, "category_missing", format!("category \"{}\" of \"{}\" is not in the Ideasoft store; migrate categories first or create it", path.join(" > "), p.title), r),
            }
        }
        let tax = p
            .attributes
            .get("ideasoft.tax")
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(if first.is_none_or(|v| v.taxable) {
                self.tax_rate
            } else {
                0
            });
        let variable = !p.has_only_default_variant();
        let slug = slug_for(&p.handle, &p.title);
        let mut body = self.price_fields(first, currency_id);
        let fields = json!({
            "name": p.title, "slug": slug,
            // A product with variants still needs its own unique stock code.
            "sku": if variable { slug.clone() } else { first.and_then(|v| v.sku.clone()).unwrap_or_else(|| slug.clone()) },
            "stockAmount": if variable { p.variants.iter().map(|v| v.inventory.unwrap_or(self.untracked_stock)).sum::<i64>() } else { first.and_then(|v| v.inventory).unwrap_or(self.untracked_stock) },
            "status": if p.status == ProductStatus::Active { 1 } else { 0 },
            "tax": tax, "customShippingDisabled": 1,
            "pageTitle": p.seo.title.clone().unwrap_or_default(),
            "metaDescription": p.seo.description.clone().unwrap_or_default(),
            "searchKeywords": p.tags.join(","),
            "shortDetails": p.attributes.get("ideasoft.short_details").cloned().unwrap_or_default(),
            "brand": brand.map(|b| json!({ "id": b })),
            "categories": category_ids,
        });
        merge_into(&mut body, fields);
        if let Some(unit) = p.attributes.get("ideasoft.stock_unit") {
            body["stockTypeLabel"] = json!(unit);
        }
        let key = q(&[("q[slug]", slug.clone())]);
        let (id, created) = match self.client.upsert("products", &body, &key).await? {
            Ok(x) => x,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        // The description lives in its own record, one per product.
        let details =
            json!({ "product": { "id": id }, "details": p.body_html, "extraDetails": "" });
        let dkey = q(&[("product", id.to_string())]);
        if let Err(m) = self
            .client
            .upsert("product_details", &details, &dkey)
            .await?
        {
            self.note(
                Severity::Warning,
                "description_not_written",
                format!("the description of \"{}\" was refused: {m}", p.title),
                r,
            );
        }
        if variable {
            self.write_variants(r, p, id, currency_id, tax).await?;
        }
        let untracked = p.variants.iter().filter(|v| v.inventory.is_none()).count();
        if untracked > 0 {
            self.note(Severity::Warning, "inventory_untracked", format!("Ideasoft keeps a stock amount on every product: {untracked} variant(s) of \"{}\" had no stock tracking and were given {} (set the target option untracked_stock to choose another amount)", p.title, self.untracked_stock), r);
        }
        if p.variants.iter().any(|v| v.weight.is_some()) {
            self.note(Severity::Info, "weight_not_moved", format!("Ideasoft has no weight field (only desi, a volumetric measure): the weights of \"{}\" were not sent", p.title), r);
        }
        if !p.images.is_empty() {
            self.note(Severity::Warning, "image_not_moved", format!("Ideasoft takes product images as uploaded files, not URLs: {} image(s) of \"{}\" were not sent (first: {})", p.images.len(), p.title, p.images[0].src), r);
        }
        Ok(outcome(id, created))
    }

    async fn write_variants(
        &mut self,
        r: &Record,
        p: &Product,
        parent: u64,
        currency_id: u64,
        tax: i64,
    ) -> Result<()> {
        let existing: HashMap<String, u64> = self
            .client
            .list_all("products", &q(&[("parent", parent.to_string())]))
            .await?
            .iter()
            .filter_map(|v| Some((v["sku"].as_str()?.to_string(), v["id"].as_u64()?)))
            .collect();
        for (i, v) in p.variants.iter().enumerate() {
            // Ideasoft needs a stock code on every variant; the source may have none.
            let sku = v
                .sku
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| format!("{}-{}", slug_for(&p.handle, &p.title), i + 1));
            let mut body = self.price_fields(Some(v), currency_id);
            merge_into(
                &mut body,
                json!({
                    "name": v.option_values.join(" - "), "sku": sku, "parent": { "id": parent },
                    "stockAmount": v.inventory.unwrap_or(self.untracked_stock), "status": 1, "tax": tax,
                    "options": p.options.iter().zip(&v.option_values).map(|(o, val)| json!({ "title": val, "optionGroup": { "title": o.name } })).collect::<Vec<_>>(),
                }),
            );
            let result = match existing.get(&sku) {
                Some(id) => self.client.update("products", *id, &body).await?,
                None => self
                    .client
                    .create_once("products", &body, &q(&[("q[sku]", sku.clone())]))
                    .await?
                    .map(|_| ()),
            };
            if let Err(m) = result {
                self.note(
                    Severity::Warning,
                    "variant_not_written",
                    format!("variant {sku} of \"{}\" was refused: {m}", p.title),
                    r,
                );
            }
        }
        Ok(())
    }

    async fn write_page(&mut self, p: &Page) -> Result<WriteOutcome> {
        let slug = slug_for(&p.handle, &p.title);
        let body = json!({
            "title": p.title, "slug": slug, "content": p.body_html, "type": "page",
            "status": if p.published { 1 } else { 0 },
            "pageTitle": p.seo.title.clone().unwrap_or_default(),
            "metaDescription": p.seo.description.clone().unwrap_or_default(),
        });
        Ok(
            match self
                .client
                .upsert("pages", &body, &q(&[("q[slug]", slug)]))
                .await?
            {
                Ok((id, created)) => outcome(id, created),
                Err(message) => WriteOutcome::Failed { message },
            },
        )
    }

    async fn write_customer(&mut self, r: &Record, c: &Customer) -> Result<WriteOutcome> {
        let a = c
            .addresses
            .iter()
            .find(|a| a.default)
            .or(c.addresses.first());
        // A member's city (`location`) and country are references into the store's own
        // lists; storeshift does not guess them from names.
        if let Some(a) = a.filter(|a| a.province.is_some() || a.country_code.is_some()) {
            let place = [a.province.clone(), a.country_code.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            self.note(Severity::Info, "address_place_not_set", format!("the city/country ({place}) of {} must be picked in the Ideasoft panel: the API takes them as references to the store's location list", c.email), r);
        }
        if c.addresses.len() > 1 {
            self.note(Severity::Warning, "addresses_not_moved", format!("{} has {} addresses; an Ideasoft member keeps one, so only the default one was written", c.email, c.addresses.len()), r);
        }
        let body = json!({
            "email": c.email.trim(), "firstname": c.first_name.clone().unwrap_or_default(),
            "surname": c.last_name.clone().unwrap_or_default(),
            "mobilePhoneNumber": c.phone.clone().unwrap_or_default(),
            "phoneNumber": a.and_then(|a| a.phone.clone()).unwrap_or_default(),
            "allowedToCampaigns": if c.marketing.email { 1 } else { 0 },
            "status": "active",
            "address": a.map(|a| [a.address1.clone(), a.address2.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ")).unwrap_or_default(),
            "district": a.and_then(|a| a.city.clone()).unwrap_or_default(),
            "zipCode": a.and_then(|a| a.zip.clone()).unwrap_or_default(),
            "commercialName": a.and_then(|a| a.company.clone()).unwrap_or_default(),
        });
        let key = q(&[("q[email]", c.email.trim().to_ascii_lowercase())]);
        Ok(match self.client.upsert("members", &body, &key).await? {
            Ok((id, created)) => outcome(id, created),
            Err(message) => WriteOutcome::Failed { message },
        })
    }
}

/// The slug a record is upserted by: its handle, or one made from its name when it has none
/// (Ideasoft would make one itself, and the record could then not be found again).
fn slug_for(handle: &str, name: &str) -> String {
    match handle.trim() {
        "" => crate::platform::normalize_handle(Platform::Ideasoft, name),
        h => h.to_string(),
    }
}

fn outcome(id: u64, created: bool) -> WriteOutcome {
    let target_id = id.to_string();
    if created {
        WriteOutcome::Created { target_id }
    } else {
        WriteOutcome::Updated { target_id }
    }
}

fn merge_into(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
}

fn resource_of(entity: Entity) -> Option<(&'static str, &'static str)> {
    match entity {
        Entity::Categories => Some(("categories", "q[slug]")),
        Entity::Products => Some(("products", "q[slug]")),
        Entity::Customers => Some(("members", "q[email]")),
        Entity::Pages => Some(("pages", "q[slug]")),
        _ => None,
    }
}

#[async_trait]
impl Target for IdeasoftTarget {
    fn platform(&self) -> Platform {
        Platform::Ideasoft
    }

    fn describe(&self) -> String {
        format!("Ideasoft API ({})", self.client.base)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let o = match (entity, r) {
                (Entity::Categories, Record::Category(c)) => self.write_category(c).await?,
                (Entity::Products, Record::Product(p)) => self.write_product(r, p).await?,
                (Entity::Customers, Record::Customer(c)) => self.write_customer(r, c).await?,
                (Entity::Pages, Record::Page(p)) => self.write_page(p).await?,
                (e, other) if e == other.entity() => {
                    return Err(ConnectorError::Input(format!(
                        "the Ideasoft API target loads categories, products, customers and pages; {e} cannot be written through it"
                    )))
                }
                (e, other) => {
                    return Err(ConnectorError::Input(format!(
                        "a {e} batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            };
            out.push(o);
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    fn accepts(&self, entity: Entity) -> bool {
        resource_of(entity).is_some()
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        let Some((resource, field)) = resource_of(entity) else {
            return Ok(None);
        };
        let key = if entity == Entity::Customers {
            external_key.trim().to_ascii_lowercase()
        } else {
            external_key.to_string()
        };
        Ok(self
            .client
            .find_one(resource, &q(&[(field, key)]))
            .await?
            .map(|id| id.to_string()))
    }

    /// Deletes what the run created; a product takes its variants and description with it, a
    /// category its subcategories.
    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let Some((resource, _)) = resource_of(entity) else {
            return Err(ConnectorError::Input(format!(
                "the Ideasoft API target cannot delete {entity}"
            )));
        };
        let id: u64 = target_id.trim().parse().map_err(|_| {
            ConnectorError::Input(format!(
                "\"{target_id}\" is not an Ideasoft {resource} id (a number is expected)"
            ))
        })?;
        // Ideasoft refuses to delete a category that still has subcategories, and a rollback
        // lists categories in no particular order: the subtree goes first, deepest first.
        let mut order = vec![id];
        if entity == Entity::Categories {
            let mut i = 0;
            while i < order.len() {
                let children = self
                    .client
                    .list_all("categories", &q(&[("parent", order[i].to_string())]))
                    .await?;
                order.extend(children.iter().filter_map(|c| c["id"].as_u64()));
                i += 1;
            }
        }
        for id in order.into_iter().rev() {
            let path = format!("/{resource}/{id}");
            let r = self
                .client
                .call(Method::DELETE, &path, &[], None, Safety::Idempotent)
                .await?;
            // Already gone (a retried delete, or deleted by hand): the goal is reached.
            if r.status.as_u16() != 404 {
                self.client.check(r, &path)?;
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
