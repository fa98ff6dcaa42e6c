//! Full migrations from one live store's API to another's, through the binary: each sandbox is
//! its own process (`storeshift sandbox P --port 0`), seeded by loading the bundled demo store's
//! WooCommerce files into it with one `storeshift run`, then migrated API → API with a second
//! `storeshift run`. The verification phase reads the target back and must find every record
//! once and no field differing.

mod common;
use common::*;
use serde_json::Value;

const FAST: &str = "retry_base_ms = 20, retry_max_ms = 500";

/// Loads the demo store's files into `sb` (the seed run); returns the seed scenario.
fn seed(sb: &SandboxProc, entities: &str) -> Scenario {
    let s = Scenario::demo();
    s.write_config(&format!("entities = {entities}"));
    s.set_target(&sb.endpoint_toml(FAST));
    assert_eq!(s.run_headless(60), Some(0), "seed run: {}", s.logs());
    s
}

/// A scenario whose source and target are both sandboxes.
fn api_to_api(from: &SandboxProc, to: &SandboxProc, entities: &str) -> Scenario {
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config(&format!("entities = {entities}\nsample_size = 1000"));
    s.set_source(&from.endpoint_toml(FAST));
    s.set_target(&to.endpoint_toml(FAST));
    s
}

fn counts(report: &Value) -> std::collections::BTreeMap<String, Value> {
    report["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|pair| (pair[0].as_str().unwrap_or("").to_string(), pair[1].clone()))
        .collect()
}

/// The verification phase compared records of every entity and found nothing wrong.
fn assert_verified_clean(s: &Scenario, entities: &[&str]) {
    let report = s.report_json();
    let v = &report["verification"];
    assert_eq!(
        v["differences"].as_array().map(Vec::len),
        Some(0),
        "differences: {:#}",
        v["differences"]
    );
    assert_eq!(
        v["missing"].as_array().map(Vec::len),
        Some(0),
        "{}",
        v["missing"]
    );
    for check in v["counts"].as_array().expect("count checks") {
        assert_eq!(check["ok"], true, "count check {check}");
    }
    for e in entities {
        let compared = v["compared"][*e].as_u64().unwrap_or(0);
        assert!(compared > 0, "{e}: nothing compared: {v:#}");
        assert_eq!(
            v["compared"][*e], v["sampled"][*e],
            "{e}: every sampled record was found in the target"
        );
    }
}

#[test]
fn woocommerce_api_to_shopify_api_moves_every_record_once_and_verifies_clean() {
    let woo = SandboxProc::start("woocommerce", &[]);
    let shop = SandboxProc::start("shopify", &[]);
    seed(&woo, "[\"products\", \"customers\"]");
    let seeded = woo.state();
    assert!(seeded["products"].as_u64().unwrap() > 100, "{seeded}");

    let s = api_to_api(&woo, &shop, "[\"products\", \"customers\"]");
    assert_eq!(s.run_headless(60), Some(0), "{}", s.logs());
    assert_verified_clean(&s, &["products", "customers"]);

    let state = shop.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    let c = counts(&s.report_json());
    for e in ["products", "customers"] {
        assert_eq!(c[e]["failed"], 0, "{e}: {}", c[e]);
        assert_eq!(
            state[e], seeded[e],
            "{e}: the Shopify store holds each WooCommerce record once"
        );
        assert_eq!(state[e], c[e]["created"], "{e}: {}", c[e]);
    }
}

#[test]
fn shopify_api_to_woocommerce_api_moves_every_record_once_and_verifies_clean() {
    let shop = SandboxProc::start("shopify", &[]);
    let woo = SandboxProc::start("woocommerce", &[]);
    seed(&shop, "[\"products\", \"customers\"]");
    let seeded = shop.state();
    assert!(seeded["products"].as_u64().unwrap() > 100, "{seeded}");

    let s = api_to_api(&shop, &woo, "[\"products\", \"customers\"]");
    assert_eq!(s.run_headless(60), Some(0), "{}", s.logs());
    assert_verified_clean(&s, &["products", "customers"]);

    let state = woo.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    let c = counts(&s.report_json());
    for e in ["products", "customers"] {
        assert_eq!(c[e]["failed"], 0, "{e}: {}", c[e]);
        assert_eq!(
            state[e], seeded[e],
            "{e}: the WooCommerce store holds each Shopify record once"
        );
        assert_eq!(state[e], c[e]["created"], "{e}: {}", c[e]);
    }
}
