//! A logged-in session on Medusa v2's Admin REST API: `POST /auth/user/emailpass` gives a JWT that
//! goes in `Authorization: Bearer`. A 4xx reply carries Medusa's own `{type, message}`, which
//! becomes [`ApiError::Rejected`] so one bad record fails alone with Medusa's words.

use crate::api::http::{CallError, HttpClient, HttpConfig, Safety};
use crate::connector::ConnectorError;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Mutex;

#[derive(Debug)]
pub enum ApiError {
    /// Medusa refused this request (4xx); the message is Medusa's.
    Rejected { status: u16, message: String },
    /// A write may or may not have been applied (timeout, dropped connection, 5xx).
    Ambiguous(String),
    /// The server could not be reached or kept failing.
    Failed(String),
    /// Medusa answered, but not what its API says it answers (a field the connector needs is
    /// missing or of another type); the message names the request and the field's path.
    Malformed(String),
}

impl ApiError {
    pub fn message(&self) -> &str {
        match self {
            ApiError::Rejected { message, .. }
            | ApiError::Ambiguous(message)
            | ApiError::Failed(message)
            | ApiError::Malformed(message) => message,
        }
    }
}

impl From<ApiError> for ConnectorError {
    fn from(e: ApiError) -> Self {
        ConnectorError::Remote(e.message().to_string())
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Ambiguous(m) => ApiError::Ambiguous(m),
            CallError::Failed(m) => ApiError::Failed(m),
        }
    }
}

pub struct Session {
    http: HttpClient,
    base: String,
    email: String,
    password: String,
    token: Mutex<Option<String>>,
}

impl Session {
    pub fn new(
        base: &str,
        email: &str,
        password: &str,
        config: HttpConfig,
    ) -> Result<Self, ConnectorError> {
        Ok(Session {
            http: HttpClient::new(config)?,
            base: base.trim_end_matches('/').to_string(),
            email: email.to_string(),
            password: password.to_string(),
            token: Mutex::new(None),
        })
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn token(&self) -> Option<String> {
        self.token.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub async fn login(&self) -> Result<(), ConnectorError> {
        let url = format!("{}/auth/user/emailpass", self.base);
        let body = json!({"email": self.email, "password": self.password});
        let reply = self
            .http
            .send("Medusa login", Safety::Idempotent, |c| {
                c.post(&url).json(&body)
            })
            .await
            .map_err(|e| {
                ConnectorError::Remote(format!(
                    "cannot reach Medusa at {}: {}",
                    self.base,
                    ApiError::from(e).message()
                ))
            })?;
        if !reply.status.is_success() {
            return Err(ConnectorError::Input(format!(
                "Medusa at {} refused the login for {}: {} (check the email and password credentials)",
                self.base,
                self.email,
                medusa_message(&reply.body)
            )));
        }
        let login: super::reply::Login =
            super::reply::parse("login (POST /auth/user/emailpass)", &reply.body)
                .map_err(|e| ConnectorError::Remote(e.message().to_string()))?;
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(login.token);
        Ok(())
    }

    /// Sends one request to `path` (starting with `/admin/`); `Ok(None)` for 404.
    pub async fn call(
        &self,
        what: &str,
        safety: Safety,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ApiError> {
        if self.token().is_none() {
            self.login()
                .await
                .map_err(|e| ApiError::Failed(e.to_string()))?;
        }
        let url = format!("{}{}", self.base, path);
        for renewed in [false, true] {
            let token = self.token().unwrap_or_default();
            let reply = self
                .http
                .send(what, safety, |c| {
                    let r = c.request(method.clone(), &url).bearer_auth(&token);
                    match body {
                        Some(b) => r.json(b),
                        None => r,
                    }
                })
                .await?;
            match reply.status {
                s if s.is_success() => return Ok(Some(reply.body)),
                StatusCode::UNAUTHORIZED if !renewed => {
                    // The JWT expired (24 h by default): log in again once.
                    self.login()
                        .await
                        .map_err(|e| ApiError::Failed(e.to_string()))?;
                }
                StatusCode::NOT_FOUND => return Ok(None),
                s => {
                    return Err(ApiError::Rejected {
                        status: s.as_u16(),
                        message: format!("{what}: {}", medusa_message(&reply.body)),
                    })
                }
            }
        }
        Err(ApiError::Failed(format!(
            "{what}: Medusa keeps refusing the session after a fresh login"
        )))
    }

    pub async fn get(&self, what: &str, path: &str) -> Result<Option<Value>, ApiError> {
        self.call(what, Safety::Idempotent, Method::GET, path, None)
            .await
    }

    pub async fn post(
        &self,
        what: &str,
        safety: Safety,
        path: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        self.call(what, safety, Method::POST, path, Some(body))
            .await?
            .ok_or_else(|| ApiError::Rejected {
                status: 404,
                message: format!("{what}: not found ({path})"),
            })
    }

    /// Deletes; a record already gone counts as deleted.
    pub async fn delete(&self, what: &str, path: &str) -> Result<(), ApiError> {
        self.call(what, Safety::Idempotent, Method::DELETE, path, None)
            .await
            .map(|_| ())
    }
}

fn medusa_message(body: &Value) -> String {
    match body {
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| body.to_string()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Encodes a query-string value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
