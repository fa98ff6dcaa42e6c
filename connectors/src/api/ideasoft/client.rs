//! One Ideasoft store's Admin API: authentication, the request window, paging and look-ups,
//! all by what the document lists for each endpoint.
//!
//! Paging is by `sinceId` in ascending ids (stable while the store changes), `limit` 1-100;
//! the first page goes without `sinceId`, whose minimum is 1. Look-ups use only documented
//! filters: an exact one (`parent`, `product`, `optionGroup`, `country`) where the document has
//! one, otherwise the search key `s`, whose matches are only candidates: every page of them is
//! read and the key compared exactly, and two records with the same key are an error, never
//! "the first hit".

use super::auth::{Auth, Rotating};
use super::types::{parse_list, parse_one, ErrorBody};
use crate::api::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::api::token_store::TokenStore;
use crate::connector::{ApiStats, ConnectorError, Result};
use crate::platform::ideasoft::api::{MAX_LIMIT, PREFIX, TOKEN_PATH};
use crate::spec::EndpointSpec;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub type Query = Vec<(String, String)>;

pub fn q(pairs: &[(&str, String)]) -> Query {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Ideasoft refused a write: its status and words, with each refused field.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub text: String,
    pub fields: Vec<(String, String)>,
}

impl Refusal {
    /// Whether Ideasoft says `field` is already taken by another record.
    pub fn taken(&self, field: &str) -> bool {
        self.fields
            .iter()
            .any(|(f, m)| f == field && m.contains("already used"))
    }
}

/// What one POST did.
#[derive(Debug)]
pub enum Posted {
    /// Created; the id when the reply named one.
    Created(Option<u64>),
    Refused(Refusal),
    /// Nobody knows whether it was applied.
    Unknown,
}

/// More than one record carries a key that should name one.
pub fn ambiguous(resource: &str, field: &str, key: &str, ids: &[u64]) -> ConnectorError {
    ConnectorError::Remote(format!(
        "Ideasoft has {} records in /{resource} with {field} \"{key}\" (ids {}): storeshift will not guess which one is meant; merge or rename them in the Ideasoft panel, then resume",
        ids.len(),
        ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    ))
}

pub struct IdeasoftClient {
    http: HttpClient,
    pub base: String,
    auth: Auth,
    pub currency: String,
}

/// Where the rotating token chain is kept when the config does not say: beside the config (the
/// default workspace), one file per store.
pub fn default_token_file(base: &Path, url: &str) -> PathBuf {
    let host: String = url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    base.join(".storeshift-tokens")
        .join(format!("ideasoft-{}.json", host.trim_matches('-')))
}

impl IdeasoftClient {
    /// `base` is the config file's directory; a relative `token_file` resolves against it.
    pub fn open(spec: &EndpointSpec, base: &Path) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Ideasoft API endpoint needs `url = \"https://STORE.myideasoft.com\"`".into(),
            )
        })?;
        let url = url.trim_end_matches('/');
        let has = |k: &str| spec.credentials.contains_key(k);
        let fixed = if has("token") {
            Some(spec.credential("token")?)
        } else {
            None
        };
        let rotating = if has("refresh_token") {
            let file = match spec.options.get("token_file") {
                Some(Value::String(p)) if !p.trim().is_empty() => {
                    let p = PathBuf::from(p.trim());
                    if p.is_absolute() {
                        p
                    } else {
                        base.join(p)
                    }
                }
                Some(other) => {
                    return Err(ConnectorError::Input(format!(
                        "the Ideasoft option token_file must be a path such as \"ideasoft-tokens.json\"; got {other}"
                    )))
                }
                None => default_token_file(base, url),
            };
            Some(Rotating {
                client_id: spec.credential("client_id")?,
                client_secret: spec.credential("client_secret")?,
                configured: spec.credential("refresh_token")?,
                variable: spec
                    .credentials
                    .get("refresh_token")
                    .cloned()
                    .unwrap_or_default(),
                store: TokenStore::new(file),
                token_url: format!("{url}{TOKEN_PATH}"),
            })
        } else {
            None
        };
        if fixed.is_none() && rotating.is_none() {
            return Err(ConnectorError::Input(
                "the Ideasoft API endpoint needs `credentials = { token = \"IDEASOFT_TOKEN\" }` (an access token), or client_id, client_secret and refresh_token variables so storeshift can renew the token".into(),
            ));
        }
        Ok(IdeasoftClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{url}{PREFIX}"),
            auth: Auth::new(fixed, rotating),
            currency: spec.currency().to_string(),
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn token_file(&self) -> Option<&Path> {
        self.auth.token_file()
    }

    /// One API call; a refused token is renewed once when the token rotates.
    pub async fn call(
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
            let token = self.auth.bearer(&self.http).await?;
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
            if reply.status.as_u16() == 401 && !renewed && self.auth.renews() {
                self.auth.renew(&self.http, Some(&token)).await?;
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

    pub fn check(&self, reply: Reply, what: &str) -> Result<Reply> {
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(ConnectorError::Remote(format!(
                "Ideasoft {what}: {}",
                refusal(&reply).text
            )))
        }
    }

    /// `GET /{resource}/{id}`.
    pub async fn get<T: DeserializeOwned>(&self, resource: &str, id: u64) -> Result<T> {
        let path = format!("/{resource}/{id}");
        let r = self
            .call(Method::GET, &path, &[], None, Safety::Idempotent)
            .await?;
        let r = self.check(r, &format!("GET {PREFIX}{path}"))?;
        parse_one(r.body, &format!("GET {PREFIX}{path}"))
    }

    /// One page of a list.
    pub async fn page<T: DeserializeOwned>(
        &self,
        resource: &str,
        query: &[(String, String)],
    ) -> Result<Vec<T>> {
        Ok(self
            .page_raw(resource, query)
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// One page of a list, each record with its id as listed.
    async fn page_raw<T: DeserializeOwned>(
        &self,
        resource: &str,
        query: &[(String, String)],
    ) -> Result<Vec<(u64, T)>> {
        let path = format!("/{resource}");
        let what = format!("GET {PREFIX}{path}");
        let r = self
            .call(Method::GET, &path, query, None, Safety::Idempotent)
            .await?;
        let r = self.check(r, &what)?;
        let ids: Vec<u64> = match &r.body {
            Value::Array(items) => items
                .iter()
                .map(|v| v["id"].as_u64().unwrap_or(0))
                .collect(),
            _ => vec![],
        };
        let items = parse_list::<T>(r.body, &what)?;
        Ok(ids.into_iter().zip(items).collect())
    }

    /// Every record the filters match, 100 at a time by `sinceId`.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        resource: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<T>> {
        let mut out = vec![];
        let mut since = 0u64;
        loop {
            let mut query = filters.to_vec();
            query.extend(q(&[
                ("sort", "id".into()),
                ("limit", MAX_LIMIT.to_string()),
            ]));
            if since > 0 {
                query.push(("sinceId".into(), since.to_string()));
            }
            let page = self.page_raw::<T>(resource, &query).await?;
            let n = page.len();
            let last = page.last().map(|(id, _)| *id).unwrap_or(since);
            if n > 0 && last <= since {
                return Err(ConnectorError::Remote(format!(
                    "Ideasoft GET {PREFIX}/{resource} answered sinceId={since} with ids that do not go up; paging stopped to avoid a loop"
                )));
            }
            since = last;
            out.extend(page.into_iter().map(|(_, t)| t));
            if n < MAX_LIMIT {
                return Ok(out);
            }
        }
    }

    /// The ids of the records of `resource` for which `matches` holds, among every page of
    /// the candidates `filters` select.
    pub async fn find_ids<T: DeserializeOwned>(
        &self,
        resource: &str,
        filters: &[(String, String)],
        matches: impl Fn(&T) -> Option<u64>,
    ) -> Result<Vec<u64>> {
        Ok(self
            .list_all::<T>(resource, filters)
            .await?
            .iter()
            .filter_map(matches)
            .collect())
    }

    /// One POST of `body`, never resent here: an ambiguous failure (timeout, dropped
    /// connection, 5xx, unreadable reply) is returned so the caller looks the record up first.
    pub async fn post(&self, resource: &str, body: &Value) -> Result<Posted> {
        let path = format!("/{resource}");
        match self
            .call(Method::POST, &path, &[], Some(body), Safety::Unsafe)
            .await
        {
            Ok(r) if r.status.is_success() => Ok(Posted::Created(r.body["id"].as_u64())),
            Ok(r) => Ok(Posted::Refused(refusal(&r))),
            Err(CallError::Ambiguous(_)) => Ok(Posted::Unknown),
            Err(CallError::Failed(m)) => Err(ConnectorError::Remote(m)),
        }
    }

    /// PUTs `body` (idempotent). `Ok(Err(refusal))` is Ideasoft refusing it.
    pub async fn update(
        &self,
        resource: &str,
        id: u64,
        body: &Value,
    ) -> Result<std::result::Result<(), Refusal>> {
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
            Err(refusal(&r))
        })
    }

    /// `DELETE /{resource}/{id}`; already gone counts as done.
    pub async fn delete(&self, resource: &str, id: u64) -> Result<()> {
        let path = format!("/{resource}/{id}");
        let r = self
            .call(Method::DELETE, &path, &[], None, Safety::Idempotent)
            .await?;
        if r.status.as_u16() != 404 {
            self.check(r, &format!("DELETE {PREFIX}{path}"))?;
        }
        Ok(())
    }
}

/// Ideasoft's own words: an OAuth error (`error_description`), a validation failure
/// (`message` plus each field's errors) or a plain `message`.
pub fn refusal(reply: &Reply) -> Refusal {
    let b: ErrorBody = serde_json::from_value(reply.body.clone()).unwrap_or_default();
    let status = reply.status.as_u16();
    let hint = match status {
        401 => " (the access token was refused: issue a new one, or configure client_id, client_secret and refresh_token)",
        403 => " (the application lacks the permission for this resource, e.g. product_create; grant it in the shop panel)",
        _ => "",
    };
    if let Some(d) = &b.error_description {
        return Refusal {
            status,
            text: format!("HTTP {status} {}: {d}{hint}", b.error.unwrap_or_default()),
            fields: vec![],
        };
    }
    let message = b
        .message
        .or(b.error_message)
        .or_else(|| reply.body.as_str().map(str::to_string))
        .unwrap_or_default();
    let fields: Vec<(String, String)> = b
        .errors
        .map(|t| {
            t.children
                .into_iter()
                .flat_map(|(f, e)| e.errors.into_iter().map(move |m| (f.clone(), m)))
                .collect()
        })
        .unwrap_or_default();
    let text = if fields.is_empty() {
        format!("HTTP {status} {message}{hint}")
    } else {
        let listed: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        format!("HTTP {status} {message}: {}{hint}", listed.join("; "))
    };
    Refusal {
        status,
        text,
        fields,
    }
}
