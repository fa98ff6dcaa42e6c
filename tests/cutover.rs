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

fn cutover(s: &Scenario, extra: &[&str]) -> (Option<i32>, String) {
    cutover_with(s, "recommended", extra)
}

fn cutover_with(s: &Scenario, policy: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args: Vec<String> = vec![
        "cutover".into(),
        s.ws_str(),
        "--headless".into(),
        "--interventions".into(),
        policy.into(),
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
    decide_noted(s, id, option, &[]);
}

fn decide_noted(s: &Scenario, id: &str, option: &str, extra: &[&str]) {
    let ws = s.ws_str();
    let mut args = vec!["decide", ws.as_str(), id, option];
    args.extend_from_slice(extra);
    let o = storeshift(&args);
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
    let base = serve_redirects(routes);

    // A certificate file that cannot be read is said before anything starts.
    let missing_ca = s.dir.path().join("no-such-ca.pem");
    let missing_ca = missing_ca.to_string_lossy();
    let (code, out) = cutover(&s, &["--check-live", &base, "--check-live-ca", &missing_ca]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("--check-live-ca {missing_ca}: cannot read it")),
        "{out}"
    );

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

/// The freeze answered, then the operator calls the cutover off at the final verification:
/// the cutover ends, the report says so (who, when, why), `sync --until-cutover` runs again,
/// and a later `storeshift cutover` starts over with a new freeze.
#[test]
fn an_abandoned_cutover_lets_syncing_go_on_and_a_new_cutover_start_over() {
    let s = Scenario::demo();
    assert_eq!(s.run_headless(300), Some(0), "migration: {}", s.logs());

    let (code, out) = cutover_with(&s, "ask", &[]);
    assert_eq!(code, Some(3), "{out}");
    let freeze = pending(&s, "cutover/freeze");
    let first_freeze = freeze["id"].as_str().expect("id").to_string();
    decide(&s, &first_freeze, "frozen");
    // While the cutover is under way, syncing stays stopped.
    let o = storeshift(&["sync", &s.ws_str(), "--until-cutover", "--headless"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("syncing stopped"), "{}", text(&o));

    let (code, out) = cutover_with(&s, "ask", &[]);
    assert_eq!(code, Some(3), "{out}");
    let verify = pending(&s, "cutover/final_sync");
    let options: Vec<&str> = verify["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert!(options.contains(&"abandon"), "{verify}");
    decide_noted(
        &s,
        verify["id"].as_str().expect("id"),
        "abandon",
        &["--note", "orders still arriving"],
    );
    let (code, out) = cutover_with(&s, "ask", &[]);
    assert_eq!(code, Some(0), "{out}");

    let report = s.report_json();
    let c = &report["cutover"];
    assert!(c["abandoned_at"].is_string(), "{c}");
    let steps = c["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(names, ["freeze", "final_sync"], "{c}");
    let last = &steps[1];
    assert_eq!(last["outcome"], "abandoned", "{c}");
    assert_eq!(last["decision"], "abandon", "{c}");
    assert_eq!(last["note"], "orders still arriving", "{c}");
    assert!(
        last["decided_by"]
            .as_str()
            .unwrap_or_default()
            .starts_with("tester via cli"),
        "{c}"
    );
    assert!(last["decided_at"].is_string(), "{c}");
    let md = std::fs::read_to_string(s.ws().join("report/report.md")).expect("report.md");
    assert!(
        md.contains("called off") && md.contains("orders still arriving"),
        "{md}"
    );
    assert!(md.contains("not reached"), "{md}");
    let ends = s.events_of("run_finished");
    assert!(
        ends.iter().any(|e| e["summary"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cutover called off")),
        "{ends:?}"
    );

    // Syncing goes on: the loop runs a cycle instead of stopping at once.
    let cycles_before = s
        .events_of("run_finished")
        .iter()
        .filter(|e| {
            e["summary"]
                .as_str()
                .unwrap_or_default()
                .starts_with("sync cycle")
        })
        .count();
    let mut sync = s.spawn(&[
        "sync",
        &s.ws_str(),
        "--until-cutover",
        "--every",
        "1h",
        "--headless",
    ]);
    wait_until(120, "a sync cycle after the cutover was called off", || {
        s.events_of("run_finished")
            .iter()
            .filter(|e| {
                e["summary"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("sync cycle")
            })
            .count()
            > cycles_before
    });
    assert!(
        sync.try_wait().expect("sync").is_none(),
        "the sync loop stopped instead of waiting for its next cycle: {}",
        s.logs()
    );
    // Killing the loop between cycles loses nothing (each cycle commits as it goes).
    sync.kill().expect("stop the sync loop");
    let _ = sync.wait();

    // A new cutover starts over at the freeze.
    let (code, out) = cutover_with(&s, "ask", &[]);
    assert_eq!(code, Some(3), "{out}");
    let again = pending(&s, "cutover/freeze");
    assert_ne!(again["id"], first_freeze.as_str(), "{again}");
    let o = storeshift(&["sync", &s.ws_str(), "--until-cutover", "--headless"]);
    assert!(text(&o).contains("syncing stopped"), "{}", text(&o));
}

/// The cutover's final sync cycle is full: the export files a normal cycle skips (the content
/// hash it stored) are read whole again, so nothing a source's "changed since" filter or file
/// hash misses is left behind at the switch; the step says so.
#[test]
fn the_final_sync_of_a_cutover_is_a_full_cycle() {
    let s = Scenario::demo();
    assert_eq!(s.run_headless(300), Some(0), "migration: {}", s.logs());
    // The first cycle reads the files (no hash stored yet), the second nothing.
    let (code, first) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{first}");
    let whole = first["read"].as_u64().unwrap_or(0);
    assert!(whole > 0, "{first}");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "{c}");
    assert_eq!(c["read"], 0, "{c}");
    assert!(
        c["files_unchanged"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "{c}"
    );

    let (code, out) = cutover(&s, &[]);
    assert_eq!(code, Some(3), "{out}");
    let freeze = pending(&s, "cutover/freeze");
    decide(&s, freeze["id"].as_str().expect("id"), "frozen");
    let (code, out) = cutover(&s, &[]);
    assert_eq!(code, Some(3), "{out}");
    pending(&s, "cutover/domain");

    let status = s.status_json();
    let verify = status["interventions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["step"] == "cutover/final_sync")
        .cloned()
        .unwrap_or_else(|| panic!("no final sync step in {status}"));
    let cycle = &verify["detail"]["cycle"];
    assert_eq!(cycle["full"], true, "{verify}");
    assert!(
        cycle["files_unchanged"]
            .as_array()
            .is_none_or(|f| f.is_empty()),
        "{verify}"
    );
    let read: u64 = cycle["counts"]
        .as_object()
        .expect("counts")
        .values()
        .map(|c| c["read"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(read, whole, "read whole, as the first cycle did: {verify}");
    assert!(
        verify["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("final sync cycle (full: every entity read whole"),
        "{verify}"
    );
    // The report's cutover section says it too.
    let report = s.report_json();
    let step = report["cutover"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == "final_sync")
        .cloned()
        .unwrap_or_else(|| panic!("no final sync in {report}"));
    assert!(
        step["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("(full: every entity read whole"),
        "{step}"
    );
}
