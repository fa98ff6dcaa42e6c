use super::*;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::json;

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("status"),
        headers: HeaderMap::new(),
        body,
    }
}

#[test]
fn messages_fill_named_and_numbered_parameters_and_list_every_error() {
    let named = reply(
        400,
        json!({ "message": "\"%fieldName\" is required. Enter and try again.", "parameters": { "fieldName": "regionId" } }),
    );
    assert_eq!(
        message(&named),
        "\"regionId\" is required. Enter and try again."
    );
    let numbered = reply(
        400,
        json!({ "message": "SKU length should be %1 characters maximum.", "parameters": [64] }),
    );
    assert_eq!(
        message(&numbered),
        "SKU length should be 64 characters maximum."
    );
    let many = reply(
        400,
        json!({ "message": "One or more input exceptions have occurred.", "errors": [
            { "message": "\"%fieldName\" is required. Enter and try again.", "parameters": { "fieldName": "firstname" } },
            { "message": "\"%fieldName\" is required. Enter and try again.", "parameters": { "fieldName": "lastname" } }
        ] }),
    );
    assert_eq!(
        message(&many),
        "One or more input exceptions have occurred. \"firstname\" is required. Enter and try again. \"lastname\" is required. Enter and try again."
    );
    assert_eq!(message(&reply(502, json!("Bad gateway"))), "Bad gateway");
}

#[test]
fn a_reply_without_a_required_field_names_the_endpoint_and_the_field() {
    let body = json!({ "items": [{ "sku": "A" }, { "name": "no sku" }], "total_count": 2 });
    let e = parse::<reply::SearchResults<reply::Product>>("Magento GET /products", &body)
        .expect_err("refused");
    let text = e.to_string();
    assert!(text.starts_with("Magento GET /products"), "{text}");
    assert!(
        text.contains("items[1]") && text.contains("`sku`"),
        "{text}"
    );
}

#[test]
fn a_price_magento_did_not_send_is_none_never_zero() {
    let p: reply::Product = parse(
        "Magento GET /products/A",
        &json!({ "sku": "A", "price": null }),
    )
    .expect("parsed");
    assert_eq!(p.price, None);
    let p: reply::Product = parse(
        "Magento GET /products/A",
        &json!({ "sku": "A", "price": "12.50" }),
    )
    .expect("parsed");
    assert_eq!(p.price.map(|d| d.to_string()).as_deref(), Some("12.50"));
    let bad = parse::<reply::Product>(
        "Magento GET /products/A",
        &json!({ "sku": "A", "price": [1] }),
    );
    assert!(bad.expect_err("refused").to_string().contains("price"));
}

#[test]
fn search_criteria_use_the_names_the_schema_documents() {
    let q = criteria(Some(Filter::eq("email", "a@example.com")), (100, 2));
    let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "searchCriteria[filterGroups][0][filters][0][field]",
            "searchCriteria[filterGroups][0][filters][0][value]",
            "searchCriteria[filterGroups][0][filters][0][conditionType]",
            "searchCriteria[pageSize]",
            "searchCriteria[currentPage]",
        ]
    );
}
