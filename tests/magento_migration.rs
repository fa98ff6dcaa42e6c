//! The demo store's WooCommerce files loaded into the Magento sandbox through the binary, twice
//! (the second time every record takes the update path), with customers that lack names,
//! addresses that lack a country or name a region Magento does not know, and a store where two
//! attributes are labelled "Color". What only a person can settle is asked as interventions
//! before the batch is written (the headless run takes the recommended choices and says so);
//! the products' category paths become Magento categories once, however often the run goes;
//! everything the connector sent and the sandbox answered is held to Adobe's Admin REST schema.

mod common;
use common::*;
use serde_json::{json, Value};
use storeshift_sandbox::contract::Contract;
use storeshift_sandbox::Exchange;

const CUSTOMERS: &str = "customer_id,first_name,last_name,email,date_registered,billing_first_name,billing_last_name,billing_company,billing_email,billing_phone,billing_address_1,billing_address_2,billing_postcode,billing_city,billing_state,billing_country,shipping_first_name,shipping_last_name,shipping_company,shipping_address_1,shipping_address_2,shipping_postcode,shipping_city,shipping_state,shipping_country,shipping_phone,accepts_marketing,accepts_sms,marketing_updated_at,tags,note
10,Ann,Lee,ann.lee@example.com,2022-01-01T10:00:00,Ann,Lee,,ann.lee@example.com,+1 212 555 0101,1 Broadway,,10001,New York,NY,US,,,,,,,,,,,0,0,,,
11,Jürgen,Yılmaz,jurgen@example.com,2022-01-02T10:00:00,Jürgen,Yılmaz,,jurgen@example.com,+49 30 555 0001,272 Torstraße,,10115,Berlin,BE,DE,,,,,,,,,,,0,0,,,
12,,,nameless@example.com,2022-01-03T10:00:00,,,,nameless@example.com,+1 503 555 0102,2 SW Alder St,,97205,Portland,OR,US,,,,,,,,,,,0,0,,,
13,No,Where,nowhere@example.com,2022-01-04T10:00:00,No,Where,,nowhere@example.com,+44 20 7946 0001,1 Old Street,,EC1A 1BB,London,,,,,,,,,,,,,0,0,,,
14,Bruce,Wayne,bruce@example.com,2022-01-05T10:00:00,Bruce,Wayne,,bruce@example.com,+1 201 555 0103,1007 Mountain Dr,,07001,Gotham,Gotham,US,,,,,,,,,,,0,0,,,
15,Ayşe,Kaya,ayse@example.com,2022-01-06T10:00:00,Ayşe,Kaya,,ayse@example.com,+90 212 555 0104,İstiklal Caddesi 1,,34000,İstanbul,TR34,TR,,,,,,,,,,,0,0,,,
";

/// A call to the sandbox's REST API with an admin token (the sandbox's own credentials).
fn admin_call(sb: &SandboxProc, method: &str, path: &str, body: &Value) -> Value {
    use std::io::{Read, Write};
    let token = http_json(
        "POST",
        &format!("{}/rest/V1/integration/admin/token", sb.url),
        Some(&json!({ "username": "admin", "password": "sandbox123" })),
    );
    let host = sb.url.trim_start_matches("http://");
    let payload = body.to_string();
    let mut c = std::net::TcpStream::connect(host).expect("connect sandbox");
    write!(
        c,
        "{method} /rest/default/V1{path} HTTP/1.0\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        token.as_str().expect("token"),
        payload.len()
    )
    .expect("send");
    let mut reply = String::new();
    c.read_to_string(&mut reply).expect("read");
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn scenario(sb: &SandboxProc) -> Scenario {
    let s = Scenario::demo();
    std::fs::write(s.path().join("source").join("customers.csv"), CUSTOMERS).expect("customers");
    s.write_config("entities = [\"products\", \"customers\"]\nbatch_size = 50");
    s.set_target(&sb.endpoint_toml("retry_base_ms = 20, retry_max_ms = 300"));
    s
}

fn titles(s: &Scenario) -> Vec<String> {
    s.events_of("intervention_raised")
        .iter()
        .filter_map(|e| e["title"].as_str().map(str::to_string))
        .collect()
}

fn count(report: &Value, entity: &str) -> Value {
    report["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|pair| pair[0] == entity)
        .map(|pair| pair[1].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn woocommerce_files_into_magento_twice_ask_before_writing_and_agree_with_the_schema() {
    let sb = SandboxProc::start("magento", &[]);
    http_json(
        "POST",
        &format!("{}/__sandbox/traffic", sb.url),
        Some(&json!({ "record": true })),
    );
    // A store where another attribute is labelled Color besides the standard `color`.
    let made = admin_call(
        &sb,
        "POST",
        "/products/attributes",
        &json!({ "attribute": { "attribute_code": "apparel_color", "frontend_input": "select", "entity_type_id": "4",
                                "is_required": false, "frontend_labels": [{ "store_id": 0, "label": "Color" }],
                                "default_frontend_label": "Color", "scope": "global", "is_user_defined": true, "is_visible": true } }),
    );
    assert_eq!(made["attribute_code"], "apparel_color", "{made}");
    let setup = http_json("GET", &format!("{}/__sandbox/traffic", sb.url), None);
    let skip = setup.as_array().map(Vec::len).unwrap_or(0);

    let first = scenario(&sb);
    assert_eq!(first.run_headless(240), Some(0), "{}", first.logs());
    let raised = titles(&first);
    for expected in [
        "The option \"Color\" matches 2 Magento attributes",
        "Magento has no region \"Gotham\" in United States",
        "Customers without a first or last name",
    ] {
        assert!(
            raised.iter().any(|t| t == expected),
            "{expected} in {raised:?}"
        );
    }
    let status = first.status_json();
    let ivs = status["interventions"].as_array().expect("interventions");
    let asked: Vec<&Value> = ivs
        .iter()
        .filter(|iv| {
            iv["step"]
                .as_str()
                .is_some_and(|s| s.starts_with("execution/"))
        })
        .collect();
    assert_eq!(asked.len(), 3, "{status}");
    for iv in asked {
        assert_eq!(iv["decision"]["option"], iv["recommended"], "{iv}");
        assert_eq!(iv["decision"]["by"]["via"], "headless-auto", "{iv}");
    }
    let report = first.report_json();
    let customers = count(&report, "customers");
    assert_eq!(customers["created"], 5, "{customers}");
    assert_eq!(
        customers["failed"], 1,
        "the customer without a name: {customers}"
    );
    let left_out: Vec<String> = first
        .events_of("finding")
        .iter()
        .filter(|e| e["finding"]["code"] == "address_left_out")
        .filter_map(|e| e["finding"]["message"].as_str().map(str::to_string))
        .collect();
    assert_eq!(left_out.len(), 2, "{left_out:?}");
    assert!(
        left_out
            .iter()
            .any(|m| m.contains("nowhere@example.com") && m.contains("country")),
        "{left_out:?}"
    );
    assert!(
        left_out
            .iter()
            .any(|m| m.contains("bruce@example.com") && m.contains("Gotham")),
        "{left_out:?}"
    );
    let state = sb.state();
    assert_eq!(state["customers"], 5, "{state}");
    let products = state["products"].as_u64().expect("products");
    assert!(products > 300, "{state}");
    // The products' category paths became Magento categories, each once.
    let categories = state["categories"].as_u64().expect("categories");
    assert!(categories > 0, "{state}");

    // The same store again, from a fresh workspace: every record is already there.
    let second = scenario(&sb);
    assert_eq!(second.run_headless(240), Some(0), "{}", second.logs());
    let report = second.report_json();
    assert_eq!(count(&report, "customers")["created"], 0, "{report}");
    assert_eq!(count(&report, "products")["created"], 0, "{report}");
    let state = sb.state();
    assert_eq!(state["customers"], 5, "{state}");
    assert_eq!(state["products"].as_u64(), Some(products), "{state}");
    assert_eq!(state["categories"].as_u64(), Some(categories), "{state}");
    assert_eq!(state["duplicates"], json!([]), "{state}");

    let traffic: Vec<Exchange> = serde_json::from_value(http_json(
        "GET",
        &format!("{}/__sandbox/traffic", sb.url),
        None,
    ))
    .expect("traffic");
    let contract = Contract::magento().expect("schema");
    let checked = contract.check_all(&traffic[skip..]);
    println!("{checked}");
    for op in [
        "PUT /V1/products/{sku}",
        "GET /V1/categories/list",
        "POST /V1/categories",
        "POST /V1/products/attributes",
        "POST /V1/products/attribute-sets/attributes",
        "POST /V1/configurable-products/{sku}/options",
        "POST /V1/configurable-products/{sku}/child",
        "GET /V1/directory/countries",
        "POST /V1/customers",
        "PUT /V1/customers/{customerId}",
    ] {
        assert!(
            checked.operations.contains_key(op),
            "{op} exercised: {checked}"
        );
    }
    assert!(checked.open().is_empty(), "{checked}");
}
