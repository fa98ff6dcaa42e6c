//! The Data Analysis agent through the binary: on the demo store it finds every planted
//! problem, with the affected record; on a clean generated store it reports nothing false.

mod common;
use common::*;
use serde_json::Value;
use storeshift_connectors::synth::planted_problems;

fn groups(report: &Value) -> Vec<Value> {
    report["analysis"]["groups"]
        .as_array()
        .expect("analysis groups")
        .clone()
}

/// The analysis names a missing customer in the order's own finding code.
fn analysis_code(planted: &str) -> &str {
    match planted {
        "missing_customer" => "order_missing_customer",
        other => other,
    }
}

#[test]
fn demo_store_analysis_finds_every_planted_problem_with_its_record() {
    let s = Scenario::demo();
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "run failed: {}", text(&o));
    let report = s.report_json();
    let groups = groups(&report);
    for p in planted_problems() {
        let code = analysis_code(p.code);
        let g = groups
            .iter()
            .find(|g| g["code"] == code)
            .unwrap_or_else(|| panic!("analysis missed {code} ({}): {groups:#?}", p.description));
        let records = g["records"].as_array().unwrap();
        assert!(
            records
                .iter()
                .any(|r| r["source_id"] == p.source_id.as_str()),
            "{code}: record {} ({}) not listed in {records:#?}",
            p.source_id,
            p.description
        );
    }
    // Blocking findings became interventions with options whose consequences are stated.
    let ivs = report["interventions"].as_array().unwrap();
    for g in groups.iter().filter(|g| g["severity"] == "blocking") {
        let step = format!("assessment/{}", g["code"].as_str().unwrap());
        let iv = ivs
            .iter()
            .find(|i| i["step"] == step.as_str())
            .unwrap_or_else(|| panic!("no intervention for {step}"));
        let options = iv["options"].as_array().unwrap();
        assert!(options.len() >= 2, "{step}: {options:?}");
        assert!(options
            .iter()
            .all(|o| !o["consequence"].as_str().unwrap().is_empty()));
    }
}

#[test]
fn clean_generated_store_reports_nothing_false() {
    let s = Scenario::generated(2000, "");
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "run failed: {}", text(&o));
    let report = s.report_json();
    let groups = groups(&report);
    // The generator plants nothing: every product has a price, a title, ASCII handles, unique
    // SKUs, barcodes and emails, images on the store's own host, and orders that refer to
    // customers and products it wrote.
    assert!(groups.is_empty(), "findings on a clean store: {groups:#?}");
    let ivs: Vec<&Value> = report["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["step"].as_str().unwrap().starts_with("assessment/"))
        .collect();
    assert!(
        ivs.is_empty(),
        "assessment interventions on a clean store: {ivs:#?}"
    );
    assert!(report["analysis"]["counts"]["products"].as_u64().unwrap() > 0);
}
