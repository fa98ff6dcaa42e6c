//! Ideasoft's rotating refresh token against the sandbox, which rotates it at every renewal
//! and refuses (and counts) a spent one: the chain is kept in a 0600 file before a new token
//! is used, a restart authenticates from it, two clients renewing at once spend the token once,
//! and a renewal whose answer was lost stops instead of spending the token again.

use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use storeshift_connectors::api::ideasoft::IdeasoftSource;
use storeshift_connectors::model::{Entity, Platform};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source};
use storeshift_sandbox::ideasoft::{IdeasoftConfig, IdeasoftSandbox};
use storeshift_sandbox::{Fault, Running};

/// An endpoint renewing with the refresh token held in `{prefix}_REFRESH` (each test its own
/// variables: tests run side by side in one process).
fn spec(server: &Running, prefix: &str, refresh: &str, file: &Path) -> EndpointSpec {
    let cfg = IdeasoftConfig::default();
    std::env::set_var(format!("{prefix}_CLIENT"), &cfg.client_id);
    std::env::set_var(format!("{prefix}_SECRET"), &cfg.client_secret);
    std::env::set_var(format!("{prefix}_REFRESH"), refresh);
    EndpointSpec {
        platform: Platform::Ideasoft,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: [
            ("client_id", format!("{prefix}_CLIENT")),
            ("client_secret", format!("{prefix}_SECRET")),
            ("refresh_token", format!("{prefix}_REFRESH")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        currency: Some("TRY".into()),
        encoding: None,
        timezone: None,
        mapping: None,
        options: [
            ("token_file", json!(file.display().to_string())),
            ("timeout_ms", json!(400)),
            ("retry_base_ms", json!(5)),
            ("retry_max_ms", json!(50)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    }
}

async fn members(src: &mut IdeasoftSource, limit: usize) -> Result<usize, String> {
    let mut cursor = None;
    let mut n = 0;
    loop {
        let page = src
            .read_page(Entity::Customers, cursor.as_ref(), limit)
            .await
            .map_err(|e| e.to_string())?;
        n += page.records.len();
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(n),
        }
    }
}

fn stored_refresh(file: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("token file")).expect("json");
    v["refresh_token"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn a_rotated_token_is_stored_before_use_and_a_restart_authenticates_with_it() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig::default());
    sb.seed_customers(9);
    let server = sb.start(0).await.expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("creds").join("ideasoft.json");
    let first = IdeasoftConfig::default().refresh_token;
    let mut src = IdeasoftSource::open(&spec(&server, "TOK_RESTART", &first, &file)).expect("open");
    assert_eq!(members(&mut src, 4).await, Ok(9));
    drop(src);
    assert_eq!(sb.refreshes(), 1);
    assert_eq!(stored_refresh(&file), sb.current_refresh_token());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    // The configured token is spent: only the file can still authenticate.
    sb.expire_access_tokens();
    let mut again =
        IdeasoftSource::open(&spec(&server, "TOK_RESTART", &first, &file)).expect("open");
    assert_eq!(members(&mut again, 4).await, Ok(9));
    assert_eq!(sb.refreshes(), 2);
    assert_eq!(stored_refresh(&file), sb.current_refresh_token());
    // Without the file, the configured token is refused: it was rotated away.
    let elsewhere = dir.path().join("other.json");
    let mut lost =
        IdeasoftSource::open(&spec(&server, "TOK_RESTART", &first, &elsewhere)).expect("open");
    sb.expire_access_tokens();
    let err = members(&mut lost, 4).await.expect_err("spent");
    assert!(
        err.contains("refused to renew") && err.contains("TOK_RESTART_REFRESH"),
        "{err}"
    );
    assert!(!err.contains(&first), "no token in messages: {err}");
    assert_eq!(
        sb.spent_refresh_attempts(),
        1,
        "that one attempt is the only one"
    );
}

#[tokio::test]
async fn two_clients_renewing_at_once_spend_the_token_once() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig {
        token_ttl_requests: Some(3),
        quota: 100_000,
        ..Default::default()
    });
    sb.seed_customers(40);
    let server = sb.start(0).await.expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ideasoft.json");
    let first = IdeasoftConfig::default().refresh_token;
    let mut a = IdeasoftSource::open(&spec(&server, "TOK_PAIR", &first, &file)).expect("open");
    let mut b = IdeasoftSource::open(&spec(&server, "TOK_PAIR", &first, &file)).expect("open");
    let (ra, rb) = tokio::join!(members(&mut a, 2), members(&mut b, 3));
    assert_eq!((ra, rb), (Ok(40), Ok(40)));
    assert!(sb.refreshes() >= 5, "{} renewals", sb.refreshes());
    assert_eq!(
        sb.spent_refresh_attempts(),
        0,
        "no renewal spent a spent token"
    );
    assert_eq!(stored_refresh(&file), sb.current_refresh_token());
}

#[tokio::test]
async fn a_renewal_whose_answer_was_lost_stops_instead_of_spending_the_token_again() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig::default());
    sb.seed_customers(3);
    let server = sb.start(0).await.expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ideasoft.json");
    let first = IdeasoftConfig::default().refresh_token;
    // The renewal is the first request: Ideasoft rotates, then the connection drops.
    sb.faults.at(1, Fault::Reset);
    let mut src = IdeasoftSource::open(&spec(&server, "TOK_LOST", &first, &file)).expect("open");
    let err = members(&mut src, 10).await.expect_err("lost");
    assert!(
        err.contains("answer was lost") && err.contains("TOK_LOST_REFRESH"),
        "{err}"
    );
    assert_eq!(sb.refreshes(), 1);
    // A restart does not send the possibly spent token either: it says what to do.
    let mut again = IdeasoftSource::open(&spec(&server, "TOK_LOST", &first, &file)).expect("open");
    let err = members(&mut again, 10).await.expect_err("still unknown");
    assert!(
        err.contains("will not send it again") && err.contains("Authorize the app again"),
        "{err}"
    );
    assert_eq!(sb.spent_refresh_attempts(), 0);
    assert_eq!(sb.refreshes(), 1);
    // The operator authorises again and puts the new refresh token in the variable.
    let fresh = sb.current_refresh_token();
    let mut after = IdeasoftSource::open(&spec(&server, "TOK_LOST", &fresh, &file)).expect("open");
    assert_eq!(members(&mut after, 10).await, Ok(3));
    assert_eq!(sb.spent_refresh_attempts(), 0);
}

#[tokio::test]
async fn a_refused_renewal_leaves_the_token_unspent_and_says_so() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig::default());
    sb.seed_customers(2);
    let server = sb.start(0).await.expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ideasoft.json");
    let mut src = IdeasoftSource::open(&spec(&server, "TOK_WRONG", "not-a-refresh-token", &file))
        .expect("open");
    let err = members(&mut src, 10).await.expect_err("refused");
    assert!(
        err.contains("invalid_grant") && !err.contains("not-a-refresh-token"),
        "{err}"
    );
    // A definite refusal clears the in-flight mark: the next run may try that token again.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("file")).expect("json");
    assert!(v.get("renewing").is_none(), "{v}");
}
