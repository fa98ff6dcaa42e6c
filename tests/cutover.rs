//! `storeshift cutover` through the binary, on the bundled demo (WooCommerce export → Shopify
//! import files): headless with `--interventions recommended`, every step runs by itself except
//! the freeze and the domain, which wait for a person (exit code 3) until `storeshift decide`
//! answers; the live redirect check requests every old URL on a local server that gets some
//! redirects right, one wrong, one missing and one temporary; the report lists every step with
//! who decided it.

mod common;
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;

/// A local "new store": the plan's redirects, with a wrong target, a 404 and a 302 planted.
/// Returns its base URL; the server lives as long as the test process.
fn serve(routes: HashMap<String, (u16, Option<String>)>) -> String {
    let routes = Arc::new(routes);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let routes = routes.clone();
                async move {
                    let mut b = axum::http::Response::builder();
                    // A real server matches the decoded path (`/product/kadın-…/`).
                    let status = match routes.get(&percent_decoded(uri.path())) {
                        Some((s, loc)) => {
                            if let Some(l) = loc {
                                b = b.header("location", l.as_str());
                            }
                            *s
                        }
                        None => 200,
                    };
                    b.status(status)
                        .body(axum::body::Body::empty())
                        .expect("response")
                }
            });
            let _ = axum::serve(listener, app).await;
        });
    });
    format!("http://{addr}")
}

/// `%C4%B1` → `ı`: the path as the store's router sees it.
fn percent_decoded(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cutover(s: &Scenario, extra: &[&str]) -> (Option<i32>, String) {
    let mut args: Vec<String> = vec![
        "cutover".into(),
        s.ws_str(),
        "--headless".into(),
        "--interventions".into(),
        "recommended".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let o = std::process::Command::new(bin())
        .args(&args)
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .expect("run cutover");
    (o.status.code(), text(&o))
}

/// The pending intervention of a cutover step, from `storeshift status --json`.
fn pending(s: &Scenario, step: &str) -> Value {
    let status = s.status_json();
    status["interventions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["step"] == step && i["decision"].is_null())
        .cloned()
        .unwrap_or_else(|| panic!("no pending {step} in {status}"))
}

fn decide(s: &Scenario, id: &str, option: &str) {
    let o = storeshift(&["decide", &s.ws_str(), id, option]);
    assert!(o.status.success(), "decide {id} {option}: {}", text(&o));
}

#[test]
fn headless_cutover_waits_for_the_freeze_and_the_domain_and_checks_redirects_live() {
    let s = Scenario::demo();
    assert_eq!(s.run_headless(300), Some(0), "migration: {}", s.logs());
    let mut rd =
        csv::Reader::from_path(s.ws().join("output/run-1/redirects.csv")).expect("redirects.csv");
    let plan: Vec<(String, String)> = rd
        .records()
        .map(|r| r.expect("row"))
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert!(plan.len() >= 4, "{plan:?}");
    let mut routes: HashMap<String, (u16, Option<String>)> = plan
        .iter()
        .map(|(from, to)| (from.clone(), (301, Some(to.clone()))))
        .collect();
    let (wrong, missing, temporary) = (&plan[0].0, &plan[1].0, &plan[2].0);
    routes.insert(wrong.clone(), (301, Some("/collections/elsewhere".into())));
    routes.insert(missing.clone(), (404, None));
    routes.insert(temporary.clone(), (302, Some(plan[2].1.clone())));
    let base = serve(routes);

    // Freeze: never decided by the policy.
    let (code, out) = cutover(&s, &["--check-live", &base, "--check-rate", "200/s"]);
    assert_eq!(code, Some(3), "{out}");
    let freeze = pending(&s, "cutover/freeze");
    decide(&s, freeze["id"].as_str().expect("id"), "frozen");

    // Final sync, verification, live redirects run by themselves; the domain waits.
    let (code, out) = cutover(&s, &[]);
    assert_eq!(code, Some(3), "{out}");
    let domain = pending(&s, "cutover/domain");
    let instructions = domain["detail"]["instructions"].to_string();
    assert!(instructions.contains("23.227.38.65"), "{domain}");
    decide(&s, domain["id"].as_str().expect("id"), "switched");

    let (code, out) = cutover(&s, &[]);
    assert_eq!(code, Some(0), "{out}");

    let report = s.report_json();
    let c = &report["cutover"];
    let steps = c["steps"].as_array().expect("cutover steps");
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "freeze",
            "final_sync",
            "redirects",
            "domain",
            "notices",
            "rollback"
        ],
        "{c}"
    );
    let by = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .and_then(|s| s["decided_by"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(by("freeze").starts_with("tester via cli"), "{c}");
    assert!(by("domain").starts_with("tester via cli"), "{c}");
    assert!(by("notices").contains("headless-auto"), "{c}");
    assert!(steps.iter().all(|s| s["decided_at"].is_string()), "{c}");

    // The live check found exactly the planted problems.
    let live = &steps[2]["detail"];
    let failed: Vec<&str> = live["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f["from"].as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{live}");
    assert!(
        failed.contains(&wrong.as_str()) && failed.contains(&missing.as_str()),
        "{live}"
    );
    let warned: Vec<&str> = live["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|f| f["from"].as_str())
        .collect();
    assert_eq!(warned, [temporary.as_str()], "{live}");
    assert_eq!(live["ok"], plan.len() as u64 - 3, "{live}");
    assert_eq!(steps[2]["outcome"], "accepted", "{c}");

    let md = std::fs::read_to_string(s.ws().join("report/report.md")).expect("report.md");
    assert!(md.contains("## Cutover"), "{md}");
    assert!(s.ws().join("cutover/rollback.md").is_file());
}
