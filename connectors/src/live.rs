//! Checking redirects on a live store: every old URL is asked for (HEAD) on the new store's
//! base URL and must answer a permanent redirect to its planned new URL, which must answer 200.
//! Requests go through the shared HTTP client (retries, backoff, breaker), at the rate the
//! operator sets and a bounded number at a time, so a check never hammers a store that has
//! just gone live.

use crate::api::http::{HttpClient, HttpConfig, Safety};
use crate::connector::ConnectorError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How hard the check may press on the store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckLimits {
    /// Requests per second, over both the old URLs and their targets.
    pub rate: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub timeout: Duration,
    pub max_retries: u32,
}

impl Default for CheckLimits {
    fn default() -> Self {
        CheckLimits {
            rate: 10.0,
            concurrency: 4,
            timeout: Duration::from_secs(15),
            max_retries: 3,
        }
    }
}

/// One old URL's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 301 to the planned URL, which answers 200.
    Ok,
    /// Redirects to the planned URL (which answers 200), but not permanently (302, 307, 308):
    /// search engines may keep the old URL.
    Warning,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlCheck {
    /// The old URL's path, as the redirect plan has it.
    pub from: String,
    /// The planned new URL's path.
    pub to: String,
    /// What the old URL answered (`None`: no answer).
    pub status: Option<u16>,
    /// Where it pointed, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What the planned target answered, when it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_status: Option<u16>,
    pub verdict: Verdict,
    /// Why it is not `Ok`, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Checks every `(from, to)` path pair against `base` (the new store's base URL). The results
/// come back in the order of `pairs`.
pub async fn check_redirects(
    base: &str,
    pairs: &[(String, String)],
    limits: CheckLimits,
) -> Result<Vec<UrlCheck>, ConnectorError> {
    let base = reqwest::Url::parse(base)
        .map_err(|e| ConnectorError::Input(format!("--check-live {base:?} is not a URL: {e}")))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(ConnectorError::Input(format!(
            "--check-live {base} must be an http or https URL"
        )));
    }
    let http = HttpClient::new(HttpConfig {
        timeout: limits.timeout,
        max_retries: limits.max_retries,
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(5),
        requests_per_second: (limits.rate > 0.0).then_some(limits.rate),
        burst: 1.0,
        max_server_wait: Duration::from_secs(60),
        follow_redirects: false,
        ..HttpConfig::default()
    })?;
    let base = Arc::new(base);
    let gate = Arc::new(tokio::sync::Semaphore::new(limits.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (from, to)) in pairs.iter().cloned().enumerate() {
        let (http, base, gate) = (http.clone(), base.clone(), gate.clone());
        tasks.spawn(async move {
            // Closed only when the set is dropped, which ends these tasks anyway.
            let _permit = gate.acquire_owned().await;
            (i, check_one(&http, &base, from, to).await)
        });
    }
    let mut out: Vec<Option<UrlCheck>> = vec![None; pairs.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, check) =
            done.map_err(|e| ConnectorError::Remote(format!("a URL check crashed: {e}")))?;
        out[i] = Some(check);
    }
    Ok(out.into_iter().flatten().collect())
}

async fn head(http: &HttpClient, url: &reqwest::Url) -> Result<(u16, Option<String>), String> {
    let reply = http
        .send_bytes(&format!("HEAD {url}"), Safety::Idempotent, |c| {
            c.head(url.clone())
        })
        .await
        .map_err(|e| e.message().to_string())?;
    let location = reply
        .headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((reply.status.as_u16(), location))
}

async fn check_one(http: &HttpClient, base: &reqwest::Url, from: String, to: String) -> UrlCheck {
    let mut c = UrlCheck {
        from: from.clone(),
        to: to.clone(),
        status: None,
        location: None,
        target_status: None,
        verdict: Verdict::Failed,
        reason: String::new(),
    };
    let (Ok(old), Ok(planned)) = (base.join(&from), base.join(&to)) else {
        c.reason = "the planned URLs do not resolve against the base URL".into();
        return c;
    };
    let (status, location) = match head(http, &old).await {
        Ok(r) => r,
        Err(e) => {
            c.reason = format!("no answer: {e}");
            return c;
        }
    };
    c.status = Some(status);
    c.location = location.clone();
    let permanent = status == 301;
    if !matches!(status, 301 | 302 | 307 | 308) {
        c.reason = format!("answered {status}, not a redirect");
        return c;
    }
    let Some(resolved) = location.as_deref().and_then(|l| old.join(l).ok()) else {
        c.reason = format!("answered {status} without a usable Location");
        return c;
    };
    if !same_place(&resolved, &planned) {
        c.reason = format!(
            "redirects to {}, planned {to}",
            location.unwrap_or_default()
        );
        return c;
    }
    match head(http, &resolved).await {
        Ok((200, _)) => {
            c.target_status = Some(200);
            if permanent {
                c.verdict = Verdict::Ok;
            } else {
                c.verdict = Verdict::Warning;
                c.reason = format!("{status} instead of 301: search engines may keep the old URL");
            }
        }
        Ok((s, _)) => {
            c.target_status = Some(s);
            c.reason = format!("the target {to} answered {s}, not 200");
        }
        Err(e) => c.reason = format!("the target {to} did not answer: {e}"),
    }
    c
}

/// The same page: scheme, host, port, path and query (a trailing slash is not a difference).
fn same_place(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    let path = |u: &reqwest::Url| u.path().trim_end_matches('/').to_string();
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && path(a) == path(b)
        && a.query() == b.query()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_place_ignores_a_trailing_slash_only() {
        let u = |s: &str| reqwest::Url::parse(s).expect("url");
        assert!(same_place(
            &u("http://127.0.0.1:9/products/a/"),
            &u("http://127.0.0.1:9/products/a")
        ));
        assert!(!same_place(
            &u("http://127.0.0.1:9/products/a"),
            &u("http://127.0.0.1:9/products/b")
        ));
        assert!(!same_place(
            &u("https://127.0.0.1:9/products/a"),
            &u("http://127.0.0.1:9/products/a")
        ));
    }
}
