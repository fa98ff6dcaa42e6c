//! Fault injection through the binary, on every sandbox platform: `storeshift sandbox P
//! --fault N=KIND ...` makes chosen requests fail in every way the platform can (429 with
//! Retry-After, 5xx, a reset connection after the write was applied, truncated JSON after the
//! write was applied, a reply slower than the client's timeout, GraphQL errors inside HTTP 200),
//! then `storeshift run` loads the bundled demo store into it. The run must finish, nothing may
//! be created twice, every record the run wrote must be in the store once, and the report must
//! show the retries the faults cost.

mod common;
use common::*;

/// Faults of every kind a REST platform can produce, at request numbers spread over the load.
const REST_FAULTS: [&str; 7] = [
    "3=429:1",
    "6=503",
    "9=reset",
    "12=malformed",
    "15=slow:3",
    "18=502",
    "21=500",
];

/// Words of a failure that came from the connection or the server rather than the record.
const TRANSPORT_WORDS: [&str; 9] = [
    "gave up",
    // A create lost to a fault and never tried again: the look-up after it finds nothing.
    "did not keep",
    "did not confirm",
    "timed out",
    "HTTP 5",
    "HTTP 429",
    "connection",
    "not valid JSON",
    "Internal error",
];

/// `plan`: extra sandbox arguments and target options for a plan whose rate limits let the
/// demo store load inside the test's minute.
fn faulted_load(platform: &str, entities: &str, graphql: bool, plan: (&[&str], &str)) {
    let mut faults: Vec<String> = REST_FAULTS.iter().map(|f| format!("--fault={f}")).collect();
    if graphql {
        faults.push("--fault=24=graphql".into());
        faults.push("--fault=27=graphql".into());
    }
    let mut args: Vec<&str> = faults.iter().map(String::as_str).collect();
    args.extend(plan.0);
    let sb = SandboxProc::start(platform, &args);
    let scripted = sb.faults()["scripted"].as_u64().unwrap();
    assert_eq!(scripted, faults.len() as u64, "{}", sb.faults());

    let s = Scenario::demo();
    s.write_config(&format!("entities = {entities}\nbatch_size = 50"));
    // A client timeout below the slow fault's delay: the write lands, the reply does not.
    s.set_target(&sb.endpoint_toml(&format!(
        "timeout_ms = 1500, retry_base_ms = 20, retry_max_ms = 300, breaker_cooldown_ms = 200{}",
        plan.1
    )));
    let code = s.run_headless(60);
    assert_eq!(code, Some(0), "{}", s.logs());

    let f = sb.faults();
    assert_eq!(
        f["injected"].as_u64(),
        Some(faults.len() as u64),
        "every scripted fault fired: {f}"
    );
    let state = sb.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "created twice: {}",
        state["duplicates"]
    );
    let report = s.report_json();
    let counts: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_value(serde_json::Value::Object(
            report["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].clone()))
                .collect(),
        ))
        .unwrap();
    // A record may fail alone for what it is (the platform's own validation), never for the
    // faults: no failure may speak of the transport.
    let failures: Vec<String> = s
        .events_of("finding")
        .iter()
        .filter(|e| e["finding"]["code"] == "load_failed")
        .map(|e| e["finding"]["message"].as_str().unwrap_or("").to_string())
        .collect();
    for f in &failures {
        for word in TRANSPORT_WORDS {
            assert!(!f.contains(word), "failed because of a fault: {f}");
        }
    }
    for entity in ["categories", "products", "customers", "orders"] {
        if !entities.contains(entity) {
            continue;
        }
        let c = &counts[entity];
        assert!(c["created"].as_u64().unwrap() > 0, "{entity}: {c}");
        assert!(
            c["failed"].as_u64() <= Some(failures.len() as u64),
            "{entity}: {c}: {failures:?}"
        );
        if platform == "magento" && entity == "products" {
            // Magento counts a configurable product's children as products of their own.
            assert!(
                state[entity].as_u64() >= c["created"].as_u64(),
                "{state} {c}"
            );
        } else {
            assert_eq!(
                state[entity], c["created"],
                "{entity}: the store holds exactly what the run created once ({c})"
            );
        }
    }
    let v = &report["verification"];
    for check in v["counts"].as_array().unwrap() {
        assert_eq!(check["ok"], true, "count check {check}");
    }
    assert_eq!(
        v["missing"].as_array().map(Vec::len),
        Some(0),
        "{}",
        v["missing"]
    );
    // Every 5xx and 429 answer is counted, and each cost a retry or a look-up again.
    let api = &report["api"]["target"];
    let retries = api["retries"].as_u64().unwrap_or(0);
    assert!(api["server_errors"].as_u64() >= Some(3), "{api}");
    assert!(api["throttled"].as_u64() >= Some(1), "{api}");
    assert!(
        retries >= 3,
        "the report shows the retries the faults cost: {api}"
    );
    let md = std::fs::read_to_string(s.ws().join("report").join("report.md")).unwrap();
    assert!(md.contains(&format!("{retries} retries")), "{md}");
}

#[test]
fn woocommerce_load_survives_every_fault() {
    faulted_load(
        "woocommerce",
        "[\"categories\", \"products\", \"customers\", \"orders\"]",
        false,
        (&[], ""),
    );
}

#[test]
fn shopify_load_survives_every_fault() {
    // Shopify Plus restores 1,000 cost points a second. Reading a thousand customers back
    // for verification still takes a minute (one page a second), so the catalog alone.
    faulted_load(
        "shopify",
        "[\"products\"]",
        true,
        (&["--restore-rate", "1000", "--bucket", "20000"], ""),
    );
}

#[test]
fn bigcommerce_load_survives_every_fault() {
    // BigCommerce Pro: 450 requests per 30 s; a thousand customers in batches of ten would
    // still wait out a window, so the catalog alone.
    faulted_load(
        "bigcommerce",
        "[\"products\"]",
        false,
        (&["--plan", "pro"], ", plan = \"pro\""),
    );
}

#[test]
fn magento_load_survives_every_fault() {
    faulted_load("magento", "[\"products\", \"customers\"]", false, (&[], ""));
}

#[test]
fn ikas_load_survives_every_fault() {
    faulted_load("ikas", "[\"products\"]", true, (&[], ""));
}

#[test]
fn faults_can_be_scripted_while_the_sandbox_runs_and_bad_specs_are_refused() {
    let sb = SandboxProc::start("woocommerce", &[]);
    let r = http_json(
        "POST",
        &format!("{}/__sandbox/faults", sb.url),
        Some(&serde_json::json!(["+1=503", "5=reset"])),
    );
    assert_eq!(r["scripted"], 2, "{r}");
    let bad = http_json(
        "POST",
        &format!("{}/__sandbox/faults", sb.url),
        Some(&serde_json::json!(["5=teapot"])),
    );
    assert!(
        bad["error"].as_str().unwrap().contains("unknown kind"),
        "{bad}"
    );
    let o = storeshift(&["sandbox", "woocommerce", "--fault", "x=503"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a request number"), "{}", text(&o));
}
