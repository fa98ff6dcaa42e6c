//! kill -9 between an Ideasoft token rotation and its use: the Ideasoft sandbox runs as its own
//! process and holds every request that bears a freshly issued token, so the run is killed
//! exactly after the renewal spent the configured refresh token and before the new one was
//! used. The resumed run must authenticate (from the token file), even once every access token
//! has expired, and no token may reach the workspace (state, events, logs, report).

mod common;
use common::*;

const ENV: [(&str, &str); 3] = [
    ("SB_IDEASOFT_CLIENT", "ideasoft_sandbox_client"),
    ("SB_IDEASOFT_SECRET", "ideasoft_sandbox_secret"),
    ("SB_IDEASOFT_REFRESH", "ideasoft_sandbox_refresh"),
];

fn tokens(sb: &SandboxProc, body: serde_json::Value) -> serde_json::Value {
    http_json("POST", &format!("{}/__sandbox/tokens", sb.url), Some(&body))
}

/// Every file under `dir`, read as bytes, that contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    out.push(p.display().to_string());
                }
            }
        }
    }
    out
}

#[test]
fn kill_dash_nine_between_token_rotation_and_use_then_the_resumed_run_authenticates() {
    let sb = SandboxProc::start(
        "ideasoft",
        &["--seed-products", "6", "--seed-customers", "5"],
    );
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config("entities = [\"products\", \"customers\"]");
    s.set_source(&format!(
        "platform = \"ideasoft\"\nkind = \"api\"\nurl = \"{}\"\ncurrency = \"TRY\"\ncredentials = {{ client_id = \"SB_IDEASOFT_CLIENT\", client_secret = \"SB_IDEASOFT_SECRET\", refresh_token = \"SB_IDEASOFT_REFRESH\" }}\noptions = {{ token_file = \"secrets/ideasoft.json\", retry_base_ms = 20, retry_max_ms = 500 }}\n",
        sb.url
    ));
    let token_file = s.path().join("secrets").join("ideasoft.json");
    tokens(&sb, serde_json::json!({ "hold_new": true }));

    let run = |s: &Scenario| {
        s.spawn_env(
            &[
                "run",
                &s.cfg(),
                "--headless",
                "--interventions",
                "recommended",
            ],
            &ENV,
        )
    };
    let mut child = run(&s);
    // The renewal happened (the configured token is spent), the new chain is on disk, and the
    // first request with the new token is being held: kill now.
    wait_until(60, "a request with the renewed token", || {
        tokens(&sb, serde_json::json!({}))["held"].as_u64() >= Some(1)
    });
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let state = sb.state();
    assert_eq!(state["refreshes"], 1, "{state}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&token_file).expect("token file"))
            .expect("token file json");
    let rotated = stored["refresh_token"].as_str().unwrap_or("").to_string();
    assert!(
        !rotated.is_empty() && rotated != "ideasoft_sandbox_refresh",
        "the rotated token was written before its use: {}",
        stored["refresh_token"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Resume with every access token expired: only the stored refresh token can authenticate.
    tokens(
        &sb,
        serde_json::json!({ "hold_new": false, "expire_access": true }),
    );
    let status = run(&s).wait().expect("resumed run");
    assert_eq!(status.code(), Some(0), "{}", s.logs());
    let state = sb.state();
    assert_eq!(state["refreshes"], 2, "{state}");
    assert_eq!(state["spent_refresh_attempts"], 0, "{state}");
    let report = s.report_json();
    assert!(
        report["analysis"]["counts"]["products"].as_u64() == Some(6),
        "{}",
        report["analysis"]["counts"]
    );

    // No token, old or new, ever reached the workspace.
    let newest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&token_file).expect("token file"))
            .expect("json");
    for secret in [
        "ideasoft_sandbox_refresh",
        rotated.as_str(),
        newest["refresh_token"].as_str().unwrap_or("?"),
        newest["access_token"].as_str().unwrap_or("?"),
    ] {
        let found = files_containing(&s.ws(), secret);
        assert!(found.is_empty(), "a token reached {found:?}");
    }
}
