//! Verification of a live store at the cost of a sample, through the binary against the
//! Shopify sandbox (its own process): counts from the `*Count` fields, the executor's sample
//! fetched by id with `nodes(ids:)`, within a tenth of the points the load spent, and the
//! report saying what was checked, how and what it cost. Killed with -9 while it verifies, it
//! resumes without fetching again what it compared.

mod common;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const FAST: &str = "retry_base_ms = 20, retry_max_ms = 500";

fn by_entity(list: &Value) -> std::collections::BTreeMap<String, Value> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|c| (c["entity"].as_str().unwrap_or("").to_string(), c.clone()))
        .collect()
}

/// How a platform's verifier counts and fetches, as the report names it.
struct Endpoints {
    unit: &'static str,
    counted: &'static str,
    fetched: &'static str,
}

const SHOPIFY: Endpoints = Endpoints {
    unit: "points",
    counted: "Count(limit: null)",
    fetched: "nodes(ids:)",
};

/// The checks every sampled verification must pass: within its budget, counts exact, every
/// sampled record either compared or left out by the budget (and said so), none missing.
fn assert_sampled(s: &Scenario, entities: &[&str], budget_pct: u64) -> Value {
    assert_sampled_by(s, entities, budget_pct, &SHOPIFY)
}

fn assert_sampled_by(s: &Scenario, entities: &[&str], budget_pct: u64, by: &Endpoints) -> Value {
    let report = s.report_json();
    let v = report["verification"].clone();
    let cost = &v["cost"];
    assert_eq!(cost["mode"], "sample", "{v:#}");
    assert_eq!(cost["unit"], by.unit, "{cost}");
    let load = cost["load_spent"].as_u64().expect("load spent");
    let spent = cost["spent"].as_u64().expect("spent");
    let cap = cost["cap"].as_u64().expect("cap");
    assert!(load > 0, "{cost}");
    assert_eq!(
        cap,
        load * budget_pct / 100,
        "{budget_pct}% of the load: {cost}"
    );
    assert!(
        spent <= cap,
        "verification spent {spent} {}, more than {budget_pct}% of the load's {load}",
        by.unit
    );
    assert_eq!(
        v["missing"].as_array().map(Vec::len),
        Some(0),
        "{}",
        v["missing"]
    );
    let counts = by_entity(&v["counts"]);
    let checks = by_entity(&v["checks"]);
    for e in entities {
        let c = &counts[*e];
        assert_eq!(c["ok"], true, "{e}: {c}");
        // A fresh store: what it counts is exactly what was written.
        assert_eq!(c["in_target"], c["written"], "{e}: {c}");
        let k = &checks[*e];
        assert!(
            k["counted"].as_str().unwrap_or("").contains(by.counted),
            "{k}"
        );
        assert!(
            k["fetched"].as_str().unwrap_or("").contains(by.fetched),
            "{k}"
        );
        assert_eq!(k["exact"], true, "{k}");
        let checked = k["checked"].as_u64().unwrap_or(0);
        assert!(
            checked > 0,
            "{e}: nothing compared field by field: {k}\ncost: {cost}"
        );
        assert_eq!(v["compared"][*e].as_u64(), Some(checked), "{e}");
        if checked < k["kept"].as_u64().unwrap_or(0) {
            assert!(
                k["shrunk"].is_string(),
                "{e}: a shrunk sample says why: {k}"
            );
        }
    }
    let md = std::fs::read_to_string(s.ws().join("report/report.md")).expect("report.md");
    assert!(md.contains("Cost: verification by sample spent"), "{md}");
    assert!(md.contains(by.fetched), "{md}");
    v
}

/// The demo store (WooCommerce files) into the Shopify sandbox at the Standard plan (100
/// points a second, a 2,000-point bucket): the load is bound by the plan's rate, and the
/// verification costs at most a tenth of it.
#[test]
fn the_demo_store_into_shopify_at_standard_verifies_by_sample_within_a_tenth_of_the_load() {
    let shop = SandboxProc::start("shopify", &[]);
    let s = Scenario::demo();
    s.set_target(&shop.endpoint_toml(&format!("{FAST}, plan = \"standard\"")));
    let started = Instant::now();
    assert_eq!(s.run_headless(1500), Some(0), "{}", s.logs());
    let v = assert_sampled(
        &s,
        &["categories", "products", "customers", "orders", "pages"],
        10,
    );
    let cost = &v["cost"];
    eprintln!(
        "demo store into Shopify at Standard: {:.0} s in all; load {} points, verification {} points within {}",
        started.elapsed().as_secs_f64(),
        cost["load_spent"],
        cost["spent"],
        cost["cap"]
    );
    let state = shop.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    // The plan's ETA was learned again from the first batches, and the report says so.
    let learned = s
        .events_of("log")
        .into_iter()
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("ETA re-learned from the first 3 batches"))
        })
        .count();
    assert_eq!(learned, 1, "learned once");
    let report = s.report_json();
    assert!(
        report["plan"]["learned"]["rate"].as_f64().unwrap_or(0.0) > 0.0,
        "{}",
        report["plan"]
    );
}

/// kill -9 ten times while verification fetches its sample: each restart resumes it, the
/// sandbox serves no more records by id than the sample plus one batch per kill, and every
/// record kept for the sample is compared exactly once.
#[test]
fn kill_dash_nine_during_verification_resumes_without_fetching_twice() {
    let shop = SandboxProc::start("shopify", &["--restore-rate", "1000", "--bucket", "20000"]);
    // 120 products (4 a nodes(ids:) query), all sampled; the budget lets the whole sample in.
    let s = Scenario::generated(1200, "");
    s.write_config(
        "entities = [\"categories\", \"products\", \"customers\"]\nsample_size = 400\nverify_budget_pct = 5000",
    );
    s.set_target(&shop.endpoint_toml(&format!("{FAST}, plan = \"plus\"")));
    let served = || shop.state()["nodes_served"].as_u64().unwrap_or(0);
    let mut kills = 0u64;
    let mut last = 0;
    while kills < 10 {
        if kills > 0 {
            // Each restarted process's next requests are held back a little, so it is killed
            // with some batches committed and one in flight.
            let faults: Vec<String> = (1..=6).map(|i| format!("+{i}=slow:0.4")).collect();
            http_json(
                "POST",
                &format!("{}/__sandbox/faults", shop.url),
                Some(&serde_json::json!(faults)),
            );
        }
        let mut child = s.spawn_env(
            &[
                "run",
                &s.cfg(),
                "--headless",
                "--interventions",
                "recommended",
            ],
            &SANDBOX_ENV,
        );
        // The first process is killed at its first record served by id; later ones once
        // they fetched two product batches more.
        let want = if kills == 0 { 1 } else { last + 8 };
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                panic!(
                    "the run ended ({st}) before ten kills during verification ({kills} so far): {}",
                    s.logs()
                );
            }
            if served() >= want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no verification in sight: {}",
                s.logs()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        kills += 1;
        last = served();
    }
    assert_eq!(s.run_headless(900), Some(0), "{}", s.logs());
    let v = assert_sampled(&s, &["categories", "products", "customers"], 5000);
    let checks = by_entity(&v["checks"]);
    let kept: u64 = checks
        .values()
        .map(|c| c["kept"].as_u64().unwrap_or(0))
        .sum();
    let checked: u64 = checks
        .values()
        .map(|c| c["checked"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(checked, kept, "the whole sample was allowed: {v:#}");
    assert!(
        checks["products"]["kept"].as_u64().unwrap_or(0) >= 100,
        "{v:#}"
    );
    // What was compared and committed is never fetched again; a batch in flight when killed
    // is (at most the largest batch per kill).
    let served = served();
    assert!(served >= kept, "{served} < {kept}");
    assert!(
        served <= kept + kills * 250,
        "{served} records served by id for a sample of {kept} and {kills} kills"
    );
    let events = s.events_of("log");
    eprintln!(
        "{kills} kills during verification; {served} records served by id for a sample of {kept}; {} log events",
        events.len()
    );
    let state = shop.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
}

/// The requests a sandbox recorded, held to the platform's published specification.
fn assert_contract(
    sb: &SandboxProc,
    contract: storeshift_sandbox::contract::Contract,
) -> Vec<String> {
    let traffic: Vec<storeshift_sandbox::Exchange> = serde_json::from_value(http_json(
        "GET",
        &format!("{}/__sandbox/traffic", sb.url),
        None,
    ))
    .expect("traffic");
    let checked = contract.check_all(&traffic);
    assert!(checked.open().is_empty(), "{checked}");
    checked.operations.keys().cloned().collect()
}

fn record_traffic(sb: &SandboxProc) {
    let rec = http_json(
        "POST",
        &format!("{}/__sandbox/traffic", sb.url),
        Some(&serde_json::json!({ "record": true })),
    );
    assert_eq!(rec["recording"], true, "{rec}");
}

/// The report's verification section, printed for the person reading the test's output.
fn show(what: &str, s: &Scenario) {
    let md = std::fs::read_to_string(s.ws().join("report/report.md")).expect("report.md");
    let section: String = md
        .split("\n## ")
        .filter(|part| part.starts_with("Verification"))
        .collect();
    eprintln!("{what}:\n## {section}");
}

/// A generated store into the BigCommerce sandbox (Pro plan, 450 requests per 30 s): counts
/// from `meta.pagination.total`, the sample fetched with `id:in`, within a tenth of the
/// requests the load sent, every request as BigCommerce's specification says.
#[test]
fn a_store_into_bigcommerce_verifies_by_sample_within_a_tenth_of_the_loads_requests() {
    let sb = SandboxProc::start("bigcommerce", &["--plan", "pro"]);
    record_traffic(&sb);
    let s = Scenario::generated(400, "entities = [\"products\", \"customers\"]");
    s.set_target(&sb.endpoint_toml(&format!("{FAST}, plan = \"pro\"")));
    assert_eq!(s.run_headless(600), Some(0), "{}", s.logs());
    let v = assert_sampled_by(
        &s,
        &["products", "customers"],
        10,
        &Endpoints {
            unit: "requests",
            counted: "meta.pagination.total",
            fetched: "id:in=",
        },
    );
    assert_eq!(
        v["differences"].as_array().map(Vec::len),
        Some(0),
        "{}",
        v["differences"]
    );
    let cost = &v["cost"];
    assert_eq!(
        cost["spent"], cost["requests"],
        "requests are the unit: {cost}"
    );
    let state = sb.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    let ops = assert_contract(
        &sb,
        storeshift_sandbox::contract::Contract::bigcommerce().expect("specifications"),
    );
    assert!(ops.iter().any(|o| o == "GET /customers"), "{ops:?}");
    show("a generated store into BigCommerce", &s);
}

/// A generated store into the Magento sandbox: counts from `total_count` of a one-item
/// search (configurables' children left out), the sample fetched by a `searchCriteria`
/// filter with `conditionType=in`, within a tenth of the load's requests, every request as
/// Adobe's Admin REST schema says.
#[test]
fn a_store_into_magento_verifies_by_sample_within_a_tenth_of_the_loads_requests() {
    let sb = SandboxProc::start("magento", &[]);
    record_traffic(&sb);
    let s = Scenario::generated(400, "entities = [\"products\", \"customers\"]");
    s.set_target(&sb.endpoint_toml(FAST));
    assert_eq!(s.run_headless(600), Some(0), "{}", s.logs());
    let v = assert_sampled_by(
        &s,
        &["products", "customers"],
        10,
        &Endpoints {
            unit: "requests",
            counted: "total_count",
            fetched: "[conditionType]=in",
        },
    );
    // Magento's own German region codes (`BER`) are read back as ISO 3166-2 (`BE`), so
    // addresses compare equal: every difference is a defect.
    let other: Vec<&Value> = v["differences"].as_array().into_iter().flatten().collect();
    assert!(other.is_empty(), "{other:#?}");
    let cost = &v["cost"];
    assert_eq!(
        cost["spent"], cost["requests"],
        "requests are the unit: {cost}"
    );
    let state = sb.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    assert_contract(
        &sb,
        storeshift_sandbox::contract::Contract::magento().expect("schema"),
    );
    show("a generated store into Magento", &s);
}
