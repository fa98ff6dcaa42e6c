//! Full migrations from one live store's API to another's, through the binary: each sandbox is
//! its own process (`storeshift sandbox P --port 0`), seeded by loading a generated WooCommerce
//! export (120 products with 1,200 variations, customers) into it with one `storeshift run`,
//! then migrated API → API with a second `storeshift run`. The verification phase reads the
//! target back and must find every record once and no field differing. The Shopify sandbox
//! runs with Shopify Plus's budget (1,000 points a second) so each test stays near a minute.

mod common;
use common::*;
use serde_json::Value;

const FAST: &str = "retry_base_ms = 20, retry_max_ms = 500";

fn options(sb: &SandboxProc) -> String {
    match sb.platform.as_str() {
        "shopify" => format!("{FAST}, plan = \"plus\""),
        _ => FAST.to_string(),
    }
}

fn start(platform: &str) -> SandboxProc {
    match platform {
        "shopify" => SandboxProc::start(platform, &["--restore-rate", "1000", "--bucket", "20000"]),
        _ => SandboxProc::start(platform, &[]),
    }
}

/// Loads a generated store's files into `sb` (the seed run); returns the seed scenario.
fn seed(sb: &SandboxProc, entities: &str) -> Scenario {
    let s = Scenario::generated(1200, "");
    s.write_config(&format!("entities = {entities}"));
    s.set_target(&sb.endpoint_toml(&options(sb)));
    assert_eq!(s.run_headless(120), Some(0), "seed run: {}", s.logs());
    s
}

/// A scenario whose source and target are both sandboxes.
fn api_to_api(from: &SandboxProc, to: &SandboxProc, entities: &str) -> Scenario {
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    // Every record read back: these tests hold the mappings to every field of every record.
    s.write_config(&format!(
        "entities = {entities}\nsample_size = 1000\nverify = \"full\""
    ));
    s.set_source(&from.endpoint_toml(&options(from)));
    s.set_target(&to.endpoint_toml(&options(to)));
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
    // One line per differing field (indices folded), with its first example.
    let mut fields: std::collections::BTreeMap<String, (usize, String)> = Default::default();
    for d in v["differences"].as_array().expect("differences") {
        let field: String = d["field"]
            .as_str()
            .unwrap_or("")
            .split('[')
            .map(|p| p.split_once(']').map(|(_, r)| r).unwrap_or(p))
            .collect::<Vec<_>>()
            .join("[]");
        let e = fields
            .entry(format!("{}.{field}", d["entity"].as_str().unwrap_or("")))
            .or_default();
        e.0 += 1;
        if e.1.is_empty() {
            e.1 = format!(
                "{}: expected {} got {}",
                d["key"], d["expected"], d["actual"]
            );
        }
    }
    assert!(
        fields.is_empty(),
        "{} differences:\n{}",
        v["differences"].as_array().map(Vec::len).unwrap_or(0),
        fields
            .iter()
            .map(|(f, (n, ex))| format!("{f} ×{n} — {ex}"))
            .collect::<Vec<_>>()
            .join("\n")
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
        // A live store verified by sample checks what its budget allows of the sample kept.
        let checked = v["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["entity"] == *e))
            .map(|c| c["checked"].clone())
            .unwrap_or_else(|| v["sampled"][*e].clone());
        assert_eq!(
            v["compared"][*e], checked,
            "{e}: every sampled record was found in the target"
        );
    }
}

#[test]
fn woocommerce_api_to_shopify_api_moves_every_record_once_and_verifies_clean() {
    let woo = start("woocommerce");
    let shop = start("shopify");
    seed(&woo, "[\"categories\", \"products\", \"customers\"]");
    let seeded = woo.state();
    assert_eq!(seeded["products"], 120, "{seeded}");

    let s = api_to_api(&woo, &shop, "[\"categories\", \"products\", \"customers\"]");
    assert_eq!(s.run_headless(120), Some(0), "{}", s.logs());
    assert_verified_clean(&s, &["categories", "products", "customers"]);

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
    let shop = start("shopify");
    let woo = start("woocommerce");
    seed(&shop, "[\"products\", \"customers\"]");
    let seeded = shop.state();
    assert_eq!(seeded["products"], 120, "{seeded}");

    let s = api_to_api(&shop, &woo, "[\"products\", \"customers\"]");
    assert_eq!(s.run_headless(120), Some(0), "{}", s.logs());
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
