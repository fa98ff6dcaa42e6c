//! A logged-in session on Vendure's Admin GraphQL API.
//!
//! Vendure answers every request with HTTP 200; what went wrong is in `errors` (schema and
//! validation errors, `FORBIDDEN` when the session ended) or in an `ErrorResult` member of a union
//! reply (`EmailAddressConflictError`, ...). Both become [`GqlError::Rejected`] with Vendure's own
//! words, so one bad record fails alone.

use super::wire;
use crate::api::http::{CallError, HttpClient, HttpConfig, Safety};
use crate::connector::ConnectorError;
use serde_json::{json, Value};
use std::sync::Mutex;

/// Why a GraphQL call produced no data.
#[derive(Debug)]
pub enum GqlError {
    /// Vendure refused this request; the message is Vendure's.
    Rejected(String),
    /// A mutation may or may not have been applied (timeout, dropped connection, 5xx).
    Ambiguous(String),
    /// The server could not be reached or kept failing.
    Failed(String),
}

impl From<GqlError> for ConnectorError {
    fn from(e: GqlError) -> Self {
        match e {
            GqlError::Rejected(m) | GqlError::Ambiguous(m) | GqlError::Failed(m) => {
                ConnectorError::Remote(m)
            }
        }
    }
}

impl From<CallError> for GqlError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Ambiguous(m) => GqlError::Ambiguous(m),
            CallError::Failed(m) => GqlError::Failed(m),
        }
    }
}

pub struct Session {
    http: HttpClient,
    url: String,
    username: String,
    password: String,
    token: Mutex<Option<String>>,
}

impl Session {
    /// `url` is the Admin API endpoint (`http://host:port/admin-api`).
    pub fn new(
        url: &str,
        username: &str,
        password: &str,
        config: HttpConfig,
    ) -> Result<Self, ConnectorError> {
        Ok(Session {
            http: HttpClient::new(config)?,
            url: url.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            token: Mutex::new(None),
        })
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn token(&self) -> Option<String> {
        self.token.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Logs in; the session token comes back in the `vendure-auth-token` response header.
    /// Wrong credentials are an input error naming Vendure's `errorCode` and message.
    pub async fn login(&self) -> Result<(), ConnectorError> {
        let body = json!({
            "query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ __typename ... on ErrorResult{ errorCode message } } }",
            "variables": {"u": self.username, "p": self.password},
        });
        let reply = self
            .http
            .send("Vendure login", Safety::Idempotent, |c| {
                c.post(&self.url).json(&body)
            })
            .await
            .map_err(|e| {
                ConnectorError::Remote(format!(
                    "cannot reach Vendure at {}: {}",
                    self.url,
                    GqlError::from(e).message()
                ))
            })?;
        let what = format!("Vendure at {} (login)", self.url);
        let gql = gql_reply(&what, reply.status.as_u16(), &reply.body)
            .map_err(|e| ConnectorError::Remote(e.message().to_string()))?;
        if !gql.errors.is_empty() {
            return Err(ConnectorError::Remote(format!(
                "{what}: {}",
                gql.error_messages()
            )));
        }
        let data = gql.data.unwrap_or(Value::Null);
        let login: wire::Login = wire::parse("login", &data).map_err(ConnectorError::Remote)?;
        match login.login {
            wire::LoginResult::CurrentUser(_) => {}
            wire::LoginResult::InvalidCredentialsError(e)
            | wire::LoginResult::NativeAuthStrategyError(e) => {
                return Err(ConnectorError::Input(format!(
                    "Vendure at {} refused the login for {}: {}: {} (check the username and password credentials)",
                    self.url, self.username, e.error_code, e.message
                )))
            }
        }
        let token = reply.header("vendure-auth-token").ok_or_else(|| {
            ConnectorError::Remote(format!(
                "Vendure at {} accepted the login but sent no vendure-auth-token header: is `bearer` among authOptions.tokenMethod?",
                self.url
            ))
        })?;
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.to_string());
        Ok(())
    }

    /// Runs one query or mutation and returns its `data`. An expired session is renewed once.
    pub async fn call(
        &self,
        what: &str,
        safety: Safety,
        query: &str,
        variables: Value,
    ) -> Result<Value, GqlError> {
        if self.token().is_none() {
            self.login()
                .await
                .map_err(|e| GqlError::Failed(e.to_string()))?;
        }
        let body = json!({"query": query, "variables": variables});
        for renewed in [false, true] {
            let token = self.token().unwrap_or_default();
            let reply = self
                .http
                .send(what, safety, |c| {
                    c.post(&self.url).bearer_auth(&token).json(&body)
                })
                .await?;
            let gql = gql_reply(what, reply.status.as_u16(), &reply.body)?;
            if !gql.errors.is_empty() {
                if gql.forbidden() && !renewed {
                    self.login()
                        .await
                        .map_err(|e| GqlError::Failed(e.to_string()))?;
                    continue;
                }
                return Err(GqlError::Rejected(format!(
                    "{what}: {}",
                    gql.error_messages()
                )));
            }
            if !reply.status.is_success() {
                return Err(GqlError::Failed(format!("{what}: HTTP {}", reply.status)));
            }
            return Ok(gql.data.unwrap_or(Value::Null));
        }
        Err(GqlError::Failed(format!(
            "{what}: Vendure keeps refusing the session after a fresh login"
        )))
    }
}

impl GqlError {
    pub fn message(&self) -> &str {
        match self {
            GqlError::Rejected(m) | GqlError::Ambiguous(m) | GqlError::Failed(m) => m,
        }
    }
}

/// A reply as GraphQL's `{data, errors}`; anything else (a proxy's page, an HTML error) is a
/// failure quoting the status and the body.
fn gql_reply(what: &str, status: u16, body: &Value) -> Result<wire::GqlReply, GqlError> {
    let mut quoted = body.to_string();
    if quoted.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| quoted.is_char_boundary(*i))
            .unwrap_or(0);
        quoted.truncate(cut);
        quoted.push('…');
    }
    match body {
        Value::Object(_) => serde_json::from_value(body.clone()).map_err(|e| {
            GqlError::Failed(format!(
                "{what}: HTTP {status}, not a GraphQL reply ({e}): {quoted}"
            ))
        }),
        _ => Err(GqlError::Failed(format!(
            "{what}: HTTP {status}, not a GraphQL reply: {quoted}"
        ))),
    }
}

/// An `ErrorResult` member of a union reply as a rejection of this one request, in
/// Vendure's words: `create a customer: EMAIL_ADDRESS_CONFLICT_ERROR: The email address is
/// not available.`
pub fn refused(what: &str, e: &wire::ErrorResult) -> GqlError {
    GqlError::Rejected(format!(
        "Vendure refused to {what}: {}: {}",
        e.error_code, e.message
    ))
}
