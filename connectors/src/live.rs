//! Checking redirects on a live store: every old URL is asked for (HEAD) on the new store's
//! base URL and must answer a permanent redirect to its planned new URL, which must answer 200.
//! A server that refuses `HEAD` (405, 501) is asked with `GET`, reading only the headers. Only
//! the given base URL's host is ever requested: a redirect elsewhere is reported, not followed.
//! A store that sends every `http://` URL to its `https://` twin first (nearly every store
//! does) is followed there on the same host, and the old URL is judged by where that leads.
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
    /// The `https://` twin the old `http://` URL was sent to first, when the store does that;
    /// `status` and `location` are then that twin's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_https: Option<String>,
    /// What the planned target answered, when it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_status: Option<u16>,
    /// `HEAD` was refused (405 or 501), so the check asked with `GET` (headers only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_get: bool,
    pub verdict: Verdict,
    /// Why it is not `Ok`, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Checks every `(from, to)` path pair against `base` (the new store's base URL). The results
/// come back in the order of `pairs`.
/// `trusted` holds certificate authorities (PEM) to trust besides the public ones.
pub async fn check_redirects(
    base: &str,
    pairs: &[(String, String)],
    limits: CheckLimits,
    trusted: Option<Vec<u8>>,
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
        extra_roots: trusted.map(Arc::new),
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

/// What a URL answered: its status and `Location`, and whether `GET` had to stand in for a
/// refused `HEAD`.
struct Answer {
    status: u16,
    location: Option<String>,
    by_get: bool,
}

/// Asks for `url` with `HEAD`; a server that refuses the method (405, 501) is asked again with
/// `GET`, reading the status and headers only.
async fn ask(http: &HttpClient, url: &reqwest::Url) -> Result<Answer, String> {
    let location = |h: &reqwest::header::HeaderMap| {
        h.get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (status, headers) = http
        .send_headers_only(&format!("HEAD {url}"), Safety::Idempotent, |c| {
            c.head(url.clone())
        })
        .await
        .map_err(|e| e.message().to_string())?;
    if !matches!(status.as_u16(), 405 | 501) {
        return Ok(Answer {
            status: status.as_u16(),
            location: location(&headers),
            by_get: false,
        });
    }
    let (status, headers) = http
        .send_headers_only(&format!("GET {url}"), Safety::Idempotent, |c| {
            c.get(url.clone())
        })
        .await
        .map_err(|e| e.message().to_string())?;
    Ok(Answer {
        status: status.as_u16(),
        location: location(&headers),
        by_get: true,
    })
}

/// Where a redirect answer points, resolved against the URL asked; `None` when it is not a
/// redirect or its `Location` is unusable.
fn redirect_target(a: &Answer, asked: &reqwest::Url) -> Option<reqwest::Url> {
    if !matches!(a.status, 301 | 302 | 307 | 308) {
        return None;
    }
    a.location.as_deref().and_then(|l| asked.join(l).ok())
}

/// `host[:port]` of a URL, for messages.
fn authority(u: &reqwest::Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => u.to_string(),
    }
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `to` is `from` moved from `http://` to `https://` on the same host (on any port: 443 on a
/// real store), with the same path and query: the store's own "always use HTTPS" redirect.
fn https_upgrade(from: &reqwest::Url, to: &reqwest::Url) -> bool {
    from.scheme() == "http"
        && to.scheme() == "https"
        && from.host_str() == to.host_str()
        && from.path() == to.path()
        && from.query() == to.query()
}

/// The scheme, host and port of `u`, as a URL.
fn origin_of(u: &reqwest::Url) -> reqwest::Url {
    let mut out = u.clone();
    out.set_path("/");
    out.set_query(None);
    out.set_fragment(None);
    out
}

/// `u` on `origin`'s scheme, host and port.
fn moved_to(u: &reqwest::Url, origin: &reqwest::Url) -> reqwest::Url {
    let mut out = origin.clone();
    out.set_path(u.path());
    out.set_query(u.query());
    out
}

async fn check_one(http: &HttpClient, base: &reqwest::Url, from: String, to: String) -> UrlCheck {
    let mut c = UrlCheck {
        from: from.clone(),
        to: to.clone(),
        status: None,
        location: None,
        via_https: None,
        target_status: None,
        by_get: false,
        verdict: Verdict::Failed,
        reason: String::new(),
    };
    let (Ok(mut old), Ok(planned)) = (base.join(&from), base.join(&to)) else {
        c.reason = "the planned URLs do not resolve against the base URL".into();
        return c;
    };
    // Only the store being checked is ever asked: a plan naming another host is not followed.
    for (what, u) in [("old URL", &old), ("planned URL", &planned)] {
        if !same_origin(u, base) {
            c.reason = format!(
                "the {what} {u} is not on {} (not requested)",
                authority(base)
            );
            return c;
        }
    }
    let mut answer = match ask(http, &old).await {
        Ok(r) => r,
        Err(e) => {
            c.reason = format!("no answer: {e}");
            return c;
        }
    };
    // The store's own http → https redirect comes first: from there on the store is its
    // https twin, and the old URL is judged by what the twin answers.
    let mut origin = base.clone();
    let mut planned = planned;
    let mut permanent = true;
    if let Some(twin) = redirect_target(&answer, &old).filter(|t| https_upgrade(&old, t)) {
        permanent = answer.status == 301;
        c.via_https = Some(twin.to_string());
        c.by_get = answer.by_get;
        origin = origin_of(&twin);
        planned = moved_to(&planned, &origin);
        old = twin;
        answer = match ask(http, &old).await {
            Ok(r) => r,
            Err(e) => {
                c.reason = format!("no answer on https: {e}");
                return c;
            }
        };
    }
    let status = answer.status;
    c.status = Some(status);
    c.location = answer.location.clone();
    c.by_get |= answer.by_get;
    permanent &= status == 301;
    if !matches!(status, 301 | 302 | 307 | 308) {
        c.reason = format!("answered {status}, not a redirect");
        return c;
    }
    let Some(resolved) = redirect_target(&answer, &old) else {
        c.reason = format!("answered {status} without a usable Location");
        return c;
    };
    if !same_origin(&resolved, &origin)
        && origin.scheme() == "http"
        && resolved.scheme() == "https"
        && resolved.host_str() == origin.host_str()
    {
        // Straight to the new URL's https twin, in one redirect.
        origin = origin_of(&resolved);
        planned = moved_to(&planned, &origin);
    }
    if !same_origin(&resolved, &origin) {
        c.reason = format!(
            "redirects to another host: {} (planned {to} on {}; not followed)",
            answer.location.unwrap_or_default(),
            authority(&origin)
        );
        return c;
    }
    if !same_place(&resolved, &planned) {
        c.reason = format!(
            "redirects to {}, planned {to}",
            answer.location.unwrap_or_default()
        );
        return c;
    }
    match ask(http, &resolved).await {
        Ok(a) if a.status == 200 => {
            c.target_status = Some(200);
            c.by_get |= a.by_get;
            if permanent {
                c.verdict = Verdict::Ok;
            } else {
                c.verdict = Verdict::Warning;
                c.reason = if status == 301 {
                    "the http → https redirect is not a 301: search engines may keep the old URL"
                        .into()
                } else {
                    format!("{status} instead of 301: search engines may keep the old URL")
                };
            }
        }
        Ok(a) => {
            c.target_status = Some(a.status);
            c.by_get |= a.by_get;
            c.reason = format!("the target {to} answered {}, not 200", a.status);
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

    /// What the local test store does for one path.
    #[derive(Clone)]
    struct Route {
        /// Answer to `HEAD`; `None`: refuse it with this status instead (405, 501).
        head: Result<(u16, Option<&'static str>), u16>,
        /// Answer to `GET`: status, Location, and a body announced but never sent (a client
        /// that reads it waits forever).
        get: (u16, Option<&'static str>),
    }

    type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

    /// A local store on 127.0.0.1 answering from `routes` (path → route; anything else 404),
    /// recording every request line. Returns its base URL and the request log.
    async fn serve(routes: Vec<(&'static str, Route)>) -> (String, Log) {
        serve_on(routes, None).await
    }

    /// [`serve`] over TLS, with the certificate `tests/data/tls/store.pem` issued for
    /// 127.0.0.1 by the test authority `ca.pem`.
    async fn serve_tls(routes: Vec<(&'static str, Route)>) -> (String, Log) {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");
        let chain = CertificateDer::pem_file_iter(format!("{dir}/store.pem"))
            .expect("store.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("store certificate");
        let key = PrivateKeyDer::from_pem_file(format!("{dir}/store.key")).expect("store.key");
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
        serve_on(
            routes,
            Some(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))),
        )
        .await
    }

    async fn serve_on(
        routes: Vec<(&'static str, Route)>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> (String, Log) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let log = Log::default();
        let seen = log.clone();
        let routes = std::sync::Arc::new(routes);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (routes, seen, tls) = (routes.clone(), seen.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => answer(sock, &routes, &seen).await,
                        Some(tls) => {
                            if let Ok(sock) = tls.accept(sock).await {
                                answer(sock, &routes, &seen).await
                            }
                        }
                    }
                });
            }
        });
        (base, log)
    }

    /// Answers the requests of one connection from `routes`.
    async fn answer<S>(sock: S, routes: &[(&'static str, Route)], seen: &Log)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let (rd, mut wr) = tokio::io::split(sock);
        let mut rd = BufReader::new(rd);
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut h = String::new();
            while rd.read_line(&mut h).await.unwrap_or(0) > 2 {
                h.clear();
            }
            let mut words = line.split_whitespace();
            let method = words.next().unwrap_or_default().to_string();
            let path = words.next().unwrap_or_default().to_string();
            seen.lock().expect("log").push(format!("{method} {path}"));
            let route = routes.iter().find(|(p, _)| *p == path).map(|(_, r)| r);
            let (status, loc, endless) = match (method.as_str(), route) {
                (_, None) => (404, None, false),
                ("HEAD", Some(r)) => match r.head {
                    Ok((s, l)) => (s, l, false),
                    Err(s) => (s, None, false),
                },
                (_, Some(r)) => (r.get.0, r.get.1, true),
            };
            let mut reply = format!("HTTP/1.1 {status} X\r\n");
            if let Some(l) = loc {
                reply.push_str(&format!("Location: {l}\r\n"));
            }
            if endless {
                reply.push_str("Content-Length: 1000000000\r\n\r\n");
                let _ = wr.write_all(reply.as_bytes()).await;
                let _ = wr.flush().await;
                // The body never comes: hold the connection until the client drops it.
                let mut rest = String::new();
                while rd.read_line(&mut rest).await.unwrap_or(0) > 0 {}
                return;
            }
            reply.push_str("Content-Length: 0\r\n\r\n");
            if wr.write_all(reply.as_bytes()).await.is_err() || wr.flush().await.is_err() {
                return;
            }
        }
    }

    fn limits() -> CheckLimits {
        CheckLimits {
            rate: 0.0,
            concurrency: 2,
            // Far longer than the test: a check that read the endless body would fail by this.
            timeout: Duration::from_secs(60),
            max_retries: 1,
        }
    }

    fn pair(from: &str, to: &str) -> (String, String) {
        (from.to_string(), to.to_string())
    }

    #[tokio::test]
    async fn a_server_refusing_head_is_asked_with_get_without_reading_the_body() {
        let (base, log) = serve(vec![
            (
                "/old-405",
                Route {
                    head: Err(405),
                    get: (301, Some("/new-405")),
                },
            ),
            (
                "/new-405",
                Route {
                    head: Err(405),
                    get: (200, None),
                },
            ),
            (
                "/old-501",
                Route {
                    head: Err(501),
                    get: (301, Some("/new-501")),
                },
            ),
            (
                "/new-501",
                Route {
                    head: Ok((200, None)),
                    get: (200, None),
                },
            ),
            (
                "/old-gone",
                Route {
                    head: Err(405),
                    get: (404, None),
                },
            ),
        ])
        .await;
        let pairs = [
            pair("/old-405", "/new-405"),
            pair("/old-501", "/new-501"),
            pair("/old-gone", "/new-gone"),
        ];
        let started = std::time::Instant::now();
        let out = check_redirects(&base, &pairs, limits(), None)
            .await
            .expect("check");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a body was read"
        );
        assert_eq!(out[0].verdict, Verdict::Ok, "{:?}", out[0]);
        assert!(out[0].by_get, "{:?}", out[0]);
        assert_eq!(out[0].target_status, Some(200));
        assert_eq!(out[1].verdict, Verdict::Ok, "{:?}", out[1]);
        assert!(out[1].by_get);
        assert_eq!(out[2].verdict, Verdict::Failed);
        assert_eq!(out[2].status, Some(404));
        assert_eq!(out[2].reason, "answered 404, not a redirect");
        let log = log.lock().expect("log").clone();
        // 501 is not retried: one HEAD, then one GET.
        assert_eq!(
            log.iter().filter(|l| *l == "HEAD /old-501").count(),
            1,
            "{log:?}"
        );
        for l in [
            "GET /old-405",
            "GET /new-405",
            "GET /old-501",
            "HEAD /new-501",
        ] {
            assert!(log.iter().any(|x| x == l), "{l} in {log:?}");
        }
        assert!(!log.iter().any(|x| x == "GET /new-501"), "{log:?}");
    }

    #[tokio::test]
    async fn a_redirect_to_another_host_fails_and_is_never_followed() {
        let page = Route {
            head: Ok((200, None)),
            get: (200, None),
        };
        // Another store on the same machine (another port is another host to a browser).
        let (other, other_log) = serve(vec![("/new", page.clone())]).await;
        let to_other: &'static str = Box::leak(format!("{other}/new").into_boxed_str());
        let (base, log) = serve(vec![
            (
                "/old-away",
                Route {
                    head: Ok((301, Some("http://elsewhere.invalid/new"))),
                    get: (301, Some("http://elsewhere.invalid/new")),
                },
            ),
            (
                "/old-port",
                Route {
                    head: Ok((301, Some(to_other))),
                    get: (301, Some(to_other)),
                },
            ),
            (
                "/old-ok",
                Route {
                    head: Ok((301, Some("/new"))),
                    get: (301, Some("/new")),
                },
            ),
            ("/new", page),
        ])
        .await;
        let pairs = [
            pair("/old-away", "/new"),
            pair("/old-port", "/new"),
            pair("/old-ok", "/new"),
            // A plan that names another host is not requested at all.
            pair("/old-ok", to_other),
        ];
        let out = check_redirects(&base, &pairs, limits(), None)
            .await
            .expect("check");
        let host = base.trim_start_matches("http://");
        assert_eq!(out[0].verdict, Verdict::Failed);
        assert_eq!(out[0].status, Some(301));
        assert_eq!(
            out[0].reason,
            format!("redirects to another host: http://elsewhere.invalid/new (planned /new on {host}; not followed)")
        );
        assert!(out[0].target_status.is_none());
        assert_eq!(out[1].verdict, Verdict::Failed);
        assert_eq!(
            out[1].reason,
            format!("redirects to another host: {to_other} (planned /new on {host}; not followed)")
        );
        assert_eq!(out[2].verdict, Verdict::Ok, "{:?}", out[2]);
        assert_eq!(out[3].verdict, Verdict::Failed);
        assert!(out[3].status.is_none());
        assert_eq!(
            out[3].reason,
            format!("the planned URL {to_other} is not on {host} (not requested)")
        );
        assert!(
            other_log.lock().expect("log").is_empty(),
            "the other host was asked"
        );
        let log = log.lock().expect("log").clone();
        assert_eq!(
            log.iter().filter(|x| *x == "HEAD /new").count(),
            1,
            "{log:?}"
        );
    }

    /// A store that sends `http://` to `https://` first: the old URL is followed to its https
    /// twin on the same host and judged by what the twin answers; a certificate the client
    /// does not trust is a failure that says so.
    #[tokio::test]
    async fn an_http_url_sent_to_https_first_is_judged_on_https() {
        let page = Route {
            head: Ok((200, None)),
            get: (200, None),
        };
        let to = |status: u16, location: &'static str| Route {
            head: Ok((status, Some(location))),
            get: (status, Some(location)),
        };
        let (secure, secure_log) = serve_tls(vec![
            ("/old-a", to(301, "/new-a")),
            ("/new-a", page.clone()),
            ("/old-b", to(302, "/new-b")),
            ("/new-b", page.clone()),
            ("/new-c", page.clone()),
            ("/old-e", to(301, "/new-e")),
            ("/new-e", page.clone()),
        ])
        .await;
        let on_https =
            |path: &str| -> &'static str { Box::leak(format!("{secure}{path}").into_boxed_str()) };
        let (base, _) = serve(vec![
            ("/old-a", to(301, on_https("/old-a"))),
            ("/old-b", to(301, on_https("/old-b"))),
            // Straight to the new URL's https twin.
            ("/old-c", to(301, on_https("/new-c"))),
            // The upgrade itself is temporary.
            ("/old-e", to(302, on_https("/old-e"))),
        ])
        .await;
        let pairs = [
            pair("/old-a", "/new-a"),
            pair("/old-b", "/new-b"),
            pair("/old-c", "/new-c"),
            pair("/old-e", "/new-e"),
        ];
        let ca = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/tls/ca.pem"
        ))
        .expect("ca.pem");
        let out = check_redirects(&base, &pairs, limits(), Some(ca))
            .await
            .expect("check");
        assert_eq!(out[0].verdict, Verdict::Ok, "{:?}", out[0]);
        assert_eq!(out[0].via_https.as_deref(), Some(on_https("/old-a")));
        assert_eq!(
            (out[0].status, out[0].location.as_deref()),
            (Some(301), Some("/new-a"))
        );
        assert_eq!(out[0].target_status, Some(200));
        assert_eq!(out[1].verdict, Verdict::Warning, "{:?}", out[1]);
        assert_eq!(
            out[1].reason,
            "302 instead of 301: search engines may keep the old URL"
        );
        assert_eq!(out[2].verdict, Verdict::Ok, "{:?}", out[2]);
        assert!(out[2].via_https.is_none(), "{:?}", out[2]);
        assert_eq!(out[3].verdict, Verdict::Warning, "{:?}", out[3]);
        assert_eq!(
            out[3].reason,
            "the http → https redirect is not a 301: search engines may keep the old URL"
        );
        let log = secure_log.lock().expect("log").clone();
        for l in ["HEAD /old-a", "HEAD /new-a", "HEAD /new-c", "HEAD /old-e"] {
            assert!(log.iter().any(|x| x == l), "{l} in {log:?}");
        }

        // Without the authority, the https store is not trusted: each URL fails and says why.
        let out = check_redirects(&base, &pairs, limits(), None)
            .await
            .expect("check");
        assert_eq!(out[0].verdict, Verdict::Failed);
        assert!(
            out[0].reason.starts_with("no answer on https:"),
            "{:?}",
            out[0]
        );
        assert_eq!(out[2].verdict, Verdict::Failed);
        assert!(
            out[2]
                .reason
                .starts_with("the target /new-c did not answer"),
            "{:?}",
            out[2]
        );

        // A file that holds no certificate is refused before anything is requested.
        let e = check_redirects(&base, &pairs, limits(), Some(b"not a certificate".to_vec()))
            .await
            .expect_err("not PEM");
        assert!(e.to_string().contains("PEM"), "{e}");
    }
}
