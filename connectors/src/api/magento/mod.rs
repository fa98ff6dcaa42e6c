//! Magento 2 REST, held to Adobe's Admin REST schema (2.4.8): categories (see [`categories`]),
//! products (simple, and configurable with their children, linked to their categories) and
//! customers (with their newsletter subscription), as a source (`searchCriteria` pages,
//! stopping on `total_count` because Magento repeats the last page past the end) and as a
//! target (products saved by SKU, which is Magento's own upsert; customers found by email
//! before any create; the attributes and options configurable products need looked up, mapped
//! or created first; address regions resolved to the directory's `region_id`).
//!
//! Every reply the connector reads parses into the structs of [`reply`], which follow the
//! schema; every body it sends is built from the structs of [`request`].

mod catalog;
mod categories;
mod directory;
mod load;
mod reply;
mod request;
mod source;
mod verify;

pub use load::MagentoTarget;
pub use source::MagentoSource;
pub use verify::MagentoVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{ApiStats, ConnectorError, Result};
use crate::model::WeightUnit;
use crate::platform::magento::{self as facts, PAGE_SIZE};
use crate::spec::EndpointSpec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
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

/// What Magento answered instead of doing what was asked: the status and its message with the
/// placeholders filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    fn of(reply: &Reply) -> Self {
        Refusal {
            status: reply.status.as_u16(),
            message: message(reply),
        }
    }

    pub fn not_found(&self) -> bool {
        self.status == 404
    }
}

pub(crate) struct MagentoClient {
    http: HttpClient,
    url: String,
    base: String,
    auth: Auth,
    media_url: String,
    currency: String,
    weight_unit: WeightUnit,
    attribute_set_id: u64,
    website_id: u64,
    /// The category paths are read and written below.
    root_category_id: u64,
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
        let id_option = |key: &str, default: u64| -> Result<u64> {
            match spec.options.get(key) {
                None => Ok(default),
                Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                    ConnectorError::Input(format!(
                        "Magento option {key} = {v} is not a positive whole number (e.g. {key} = {default})"
                    ))
                }),
            }
        };
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
            attribute_set_id: id_option("attribute_set_id", facts::DEFAULT_ATTRIBUTE_SET_ID)?,
            website_id: id_option("website_id", facts::DEFAULT_WEBSITE_ID)?,
            root_category_id: id_option("root_category_id", facts::DEFAULT_ROOT_CATEGORY_ID)?,
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    pub fn base(&self) -> &str {
        &self.base
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
                let body = request::AdminLogin { username, password };
                let reply = self
                    .http
                    .send("Magento admin token", Safety::Idempotent, |c| {
                        c.post(&url).json(&body)
                    })
                    .await?;
                if !reply.status.is_success() {
                    return Err(ConnectorError::Remote(format!(
                        "Magento refused the admin login: {} (check the username and password variables)",
                        message(&reply)
                    )));
                }
                let tok: String = parse("Magento POST /integration/admin/token", &reply.body)?;
                *t = Some(tok.clone());
                Ok(tok)
            }
        }
    }

    /// One request under the store's REST root; an expired admin token is renewed once.
    pub async fn call(
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

    /// A read whose reply parses into `T`, or Magento's refusal (404 for a missing record).
    pub async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<std::result::Result<T, Refusal>> {
        let r = self
            .call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        if r.status.is_success() {
            Ok(Ok(parse(&format!("Magento GET {path}"), &r.body)?))
        } else {
            Ok(Err(Refusal::of(&r)))
        }
    }

    /// A read that must succeed.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T> {
        self.read(path, query).await?.map_err(|r| {
            ConnectorError::Remote(format!(
                "Magento GET {path}: HTTP {}: {}",
                r.status, r.message
            ))
        })
    }

    /// A write whose reply parses into `T`, or Magento's refusal. Transport failures stay
    /// errors (for unsafe requests an ambiguous one is [`CallError::Ambiguous`]).
    pub async fn write<T: DeserializeOwned, B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
        safety: Safety,
    ) -> std::result::Result<std::result::Result<T, Refusal>, CallError> {
        let body = serde_json::to_value(body)
            .map_err(|e| CallError::Failed(format!("Magento {method} {path}: {e}")))?;
        let what = format!("Magento {method} {path}");
        let r = self.call(method, path, &[], Some(&body), safety).await?;
        if r.status.is_success() {
            parse(&what, &r.body)
                .map(Ok)
                .map_err(|e| CallError::Failed(e.to_string()))
        } else {
            Ok(Err(Refusal::of(&r)))
        }
    }

    /// Every item a search finds, page by page (a look-up must see every match, not the first
    /// page of them).
    pub async fn search_all<T: DeserializeOwned>(
        &self,
        path: &str,
        filter: Filter<'_>,
    ) -> Result<Vec<T>> {
        let mut out = vec![];
        let mut page = 1;
        loop {
            let found: reply::SearchResults<T> = self
                .get(path, &criteria(Some(filter), (PAGE_SIZE, page)))
                .await?;
            let total = found.total_count as usize;
            out.extend(found.items);
            // Magento repeats the last page past the end: the count says when to stop.
            if page * PAGE_SIZE >= total {
                return Ok(out);
            }
            page += 1;
        }
    }
}

/// One search filter: field, value, condition type (`eq`, `like`, `in`, ...).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter<'a> {
    pub field: &'a str,
    pub value: &'a str,
    pub condition: &'a str,
}

impl<'a> Filter<'a> {
    pub fn eq(field: &'a str, value: &'a str) -> Self {
        Filter {
            field,
            value,
            condition: "eq",
        }
    }
}

/// `searchCriteria` query parameters, named as the schema documents them (`filterGroups`,
/// `conditionType`; Magento also reads the snake_case forms its older docs show).
pub(crate) fn criteria(filter: Option<Filter<'_>>, page: (usize, usize)) -> Vec<(String, String)> {
    criteria_any(filter.as_slice(), page)
}

/// [`criteria`] with one filter group matching any of `filters` (Magento ORs the filters of a
/// group and ANDs the groups).
pub(crate) fn criteria_any(filters: &[Filter<'_>], page: (usize, usize)) -> Vec<(String, String)> {
    let mut q = vec![];
    for (i, f) in filters.iter().enumerate() {
        let at = format!("searchCriteria[filterGroups][0][filters][{i}]");
        q.push((format!("{at}[field]"), f.field.to_string()));
        q.push((format!("{at}[value]"), f.value.to_string()));
        q.push((format!("{at}[conditionType]"), f.condition.to_string()));
    }
    q.push(("searchCriteria[pageSize]".into(), page.0.to_string()));
    q.push(("searchCriteria[currentPage]".into(), page.1.to_string()));
    q
}

/// Reads a reply into `T`. A field the schema requires and the reply lacks is an error naming
/// the endpoint and where in the reply (`items[3]: missing field \`sku\``).
pub(crate) fn parse<T: DeserializeOwned>(what: &str, body: &Value) -> Result<T> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!(" at `{at}`")
        };
        ConnectorError::Remote(format!(
            "{what}: the reply does not follow Magento's schema{at}: {}",
            e.inner()
        ))
    })
}

/// Magento's message with its `%placeholders` filled from `parameters` (named or numbered),
/// followed by the messages of `errors` when there are several.
pub(crate) fn message(reply: &Reply) -> String {
    match serde_json::from_value::<reply::ErrorBody>(reply.body.clone()) {
        Ok(e) => e.text(),
        Err(_) => match &reply.body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    }
}

/// Percent-encodes one path segment (SKUs may hold `/`, spaces and more).
pub(crate) fn urlencode(s: &str) -> String {
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

#[cfg(test)]
mod tests;
