use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn oas3() -> Value {
    json!({
        "openapi": "3.0.3",
        "paths": {
            "/catalog/products": {
                "get": {
                    "parameters": [
                        { "$ref": "#/components/parameters/Limit" },
                        { "name": "sku:in", "in": "query", "schema": { "type": "array", "items": { "type": "string" } } },
                        { "name": "id:in", "in": "query", "style": "form", "explode": false,
                          "schema": { "type": "array", "items": { "type": "integer" } } },
                        { "name": "availability", "in": "query", "schema": { "type": "string", "enum": ["available", "disabled"] } },
                        { "name": "Accept", "in": "header", "required": true, "schema": { "type": "string" } }
                    ],
                    "responses": {
                        "200": { "content": { "application/json": { "schema": {
                            "type": "object",
                            "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/product_Full" } } }
                        } } } }
                    }
                },
                "post": {
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/product_Full" } } } },
                    "responses": {
                        "200": { "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "data": { "$ref": "#/components/schemas/product_Full" } }
                        } } } },
                        "204": { "description": "" }
                    }
                }
            },
            "/catalog/products/{product_id}": {
                "parameters": [ { "name": "product_id", "in": "path", "required": true, "schema": { "type": "integer" } } ],
                "get": { "responses": { "200": { "content": { "application/json": { "schema": { "type": "object" } } } } } }
            },
            "/catalog/products/summary": {
                "get": { "responses": { "200": { "content": { "application/json": { "schema": { "type": "object" } } } } } }
            }
        },
        "components": {
            "parameters": { "Limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 250 } } },
            "schemas": {
                "product_Base": {
                    "type": "object",
                    "required": ["name", "price"],
                    "properties": {
                        "name": { "type": "string", "minLength": 1, "maxLength": 250 },
                        "price": { "type": "number", "minimum": 0 },
                        "cost_price": { "type": "number", "x-nullable": true },
                        "upc": { "type": "string", "nullable": true },
                        "sku": { "type": "string", "maxLength": 255 }
                    }
                },
                "product_Full": {
                    "allOf": [
                        { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer", "readOnly": true } } },
                        { "$ref": "#/components/schemas/product_Base" }
                    ]
                }
            }
        }
    })
}

fn contract() -> Contract {
    let spec = Spec::from_value("test.yml", oas3()).expect("spec");
    Contract {
        platform: "test".into(),
        mounted: vec![],
        exceptions: vec![],
        projection: None,
    }
    .with_loaded(spec, &["/stores/{hash}/v3"])
}

fn ex(
    method: &str,
    path: &str,
    query: &str,
    request: Option<Value>,
    status: u16,
    reply: Option<Value>,
) -> Exchange {
    Exchange {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        request,
        status,
        reply,
    }
}

fn kinds(ms: &[Mismatch]) -> Vec<(Kind, String)> {
    ms.iter().map(|m| (m.kind, m.at.clone())).collect()
}

#[test]
fn a_request_and_reply_that_follow_the_document_pass() {
    let c = contract();
    let ok = ex(
        "GET",
        "/stores/abc/v3/catalog/products",
        "limit=250&sku:in=A,B&id:in=1,2&availability=available",
        None,
        200,
        Some(
            json!({ "data": [{ "id": 1, "name": "x", "price": 1.5, "cost_price": null, "upc": null }] }),
        ),
    );
    assert_eq!(c.check(&ok), vec![]);
    // readOnly `id` is not required of a request, but it is of a reply.
    let post = ex(
        "POST",
        "/stores/abc/v3/catalog/products",
        "",
        Some(json!({ "name": "x", "price": 0 })),
        200,
        Some(json!({ "data": { "name": "x", "price": 0 } })),
    );
    assert_eq!(
        kinds(&c.check(&post)),
        vec![(Kind::ReplyBody, "reply 200 /data".into())]
    );
}

#[test]
fn query_parameters_are_checked_by_name_type_enum_and_range() {
    let c = contract();
    let bad = ex(
        "GET",
        "/stores/abc/v3/catalog/products",
        "limit=500&sku=A&id:in=1,x&availability=gone",
        None,
        200,
        Some(json!({ "data": [] })),
    );
    let got = kinds(&c.check(&bad));
    assert!(
        got.contains(&(Kind::UnknownQueryParameter, "query sku".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(Kind::QueryValue, "query limit".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(Kind::QueryValue, "query id:in /*".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(Kind::QueryValue, "query availability".into())),
        "{got:?}"
    );
}

#[test]
fn bodies_are_checked_for_values_required_fields_and_undeclared_names() {
    let c = contract();
    let post = ex(
        "POST",
        "/stores/abc/v3/catalog/products",
        "",
        Some(json!({ "name": "", "brand_name": "Acme" })),
        200,
        Some(json!({ "data": { "id": 1, "name": "x", "price": 0, "extra": true } })),
    );
    let got = kinds(&c.check(&post));
    assert!(
        got.contains(&(Kind::RequestBody, "request".into())),
        "missing price: {got:?}"
    );
    assert!(
        got.contains(&(Kind::RequestBody, "request /name".into())),
        "empty name: {got:?}"
    );
    assert!(
        got.contains(&(Kind::UndeclaredRequestField, "request /brand_name".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(Kind::UndeclaredReplyField, "reply 200 /data/extra".into())),
        "{got:?}"
    );
    // Properties declared in either allOf branch are known: `id` and `price` raise nothing.
    assert!(
        !got.iter()
            .any(|(_, at)| at.ends_with("/id") || at.ends_with("/price")),
        "{got:?}"
    );
}

#[test]
fn statuses_paths_and_templates_are_matched_as_documented() {
    let c = contract();
    let got = kinds(&c.check(&ex(
        "POST",
        "/stores/abc/v3/catalog/products",
        "",
        Some(json!({"name": "x", "price": 1})),
        429,
        None,
    )));
    assert_eq!(got, vec![(Kind::UndocumentedStatus, "reply 429".into())]);
    let got = kinds(&c.check(&ex(
        "POST",
        "/stores/abc/v3/catalog/products",
        "",
        Some(json!({"name": "x", "price": 1})),
        204,
        None,
    )));
    assert_eq!(got, vec![]);
    let got = kinds(&c.check(&ex(
        "GET",
        "/stores/abc/v3/catalog/products/abc",
        "",
        None,
        200,
        Some(json!({})),
    )));
    assert_eq!(got, vec![(Kind::PathValue, "path product_id".into())]);
    // The literal segment wins over the template.
    assert_eq!(
        c.check(&ex(
            "GET",
            "/stores/abc/v3/catalog/products/summary",
            "",
            None,
            200,
            Some(json!({}))
        )),
        vec![]
    );
    let got = kinds(&c.check(&ex(
        "GET",
        "/stores/abc/v3/catalog/variants",
        "",
        None,
        200,
        None,
    )));
    assert_eq!(got, vec![(Kind::UnknownOperation, "path".into())]);
    let got = kinds(&c.check(&ex(
        "DELETE",
        "/stores/abc/v3/catalog/products",
        "",
        None,
        204,
        None,
    )));
    assert_eq!(got, vec![(Kind::UnknownOperation, "path".into())]);
}

#[test]
fn exceptions_mark_mismatches_without_hiding_them() {
    let c = contract().with_exception(Exception {
        platform: "test".into(),
        operation: "*".into(),
        at: "reply 429".into(),
        kind: Some("undocumented-status".into()),
        matching: None,
        why: "rate limits are documented apart from the operations".into(),
        evidence: "the rate-limits guide".into(),
    });
    let r = c.check_all(&[
        ex(
            "POST",
            "/stores/abc/v3/catalog/products",
            "",
            Some(json!({"name": "x", "price": 1})),
            429,
            None,
        ),
        ex(
            "POST",
            "/stores/abc/v3/catalog/products",
            "",
            Some(json!({"name": "x", "price": 1})),
            429,
            None,
        ),
    ]);
    assert!(r.open().is_empty(), "{r}");
    assert_eq!(r.mismatches.len(), 1);
    assert_eq!(r.mismatches[0].1, 2, "identical mismatches fold together");
    assert!(r.to_string().contains("excepted"), "{r}");
}

fn swagger2() -> Value {
    json!({
        "swagger": "2.0",
        "basePath": "/rest/default",
        "paths": {
            "/V1/products": {
                "get": {
                    "parameters": [
                        { "name": "searchCriteria[filterGroups][0][filters][0][field]", "in": "query", "type": "string" },
                        { "name": "searchCriteria[pageSize]", "in": "query", "type": "integer", "minimum": 1 }
                    ],
                    "responses": { "200": { "schema": { "$ref": "#/definitions/list" } } }
                },
                "post": {
                    "parameters": [ { "name": "body", "in": "body", "required": true, "schema": {
                        "type": "object", "required": ["product"], "properties": { "product": { "$ref": "#/definitions/product" } }
                    } } ],
                    "responses": { "200": { "schema": { "$ref": "#/definitions/product" } }, "default": { "schema": { "$ref": "#/definitions/error" } } }
                }
            }
        },
        "definitions": {
            "product": { "type": "object", "required": ["sku"], "properties": {
                "sku": { "type": "string" }, "price": { "type": "number", "x-nullable": true } } },
            "list": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/definitions/product" } } } },
            "error": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } }
        }
    })
}

#[test]
fn swagger_2_documents_check_the_same_way() {
    let spec = Spec::from_value("magento.yaml", swagger2()).expect("spec");
    assert!(spec.is_swagger2());
    let c = Contract {
        platform: "magento".into(),
        mounted: vec![],
        exceptions: vec![],
        projection: None,
    }
    .with_loaded(spec, &["/rest/{store}", "/rest"]);
    let q = "searchCriteria[filterGroups][3][filters][1][field]=sku&searchCriteria[pageSize]=0";
    let got = kinds(&c.check(&ex(
        "GET",
        "/rest/default/V1/products",
        q,
        None,
        200,
        Some(json!({ "items": [{ "sku": "a", "price": null }] })),
    )));
    assert_eq!(
        got,
        vec![(Kind::QueryValue, "query searchCriteria[pageSize]".into())]
    );
    let got = kinds(&c.check(&ex(
        "POST",
        "/rest/V1/products",
        "",
        Some(json!({ "product": { "price": 1 } })),
        400,
        Some(json!({ "message": "x" })),
    )));
    assert_eq!(got, vec![(Kind::RequestBody, "request /product".into())]);
}

#[test]
fn every_vendored_document_loads_and_indexes_its_operations() {
    for (c, at_least) in [
        (Contract::bigcommerce(), 60),
        (Contract::magento(), 500),
        (Contract::ideasoft(), 500),
    ] {
        let c = c.expect("load");
        let n: usize = c.operations().iter().map(|(_, n)| n).sum();
        assert!(n >= at_least, "{}: {:?}", c.platform, c.operations());
    }
}

#[test]
fn a_wrong_exceptions_file_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("exceptions.toml");
    std::fs::write(&p, "[[exception]]\nplatform = \"x\"\noperation = \"*\"\nat = \"reply 429\"\nkind = \"nope\"\nwhy = \"w\"\nevidence = \"e\"\n").unwrap();
    let e = exceptions::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("exception 1") && e.contains("unknown kind"),
        "{e}"
    );
    std::fs::write(&p, "[[exception]]\nplatform = \"x\"\noperation = \"*\"\nat = \"reply 429\"\nwhy = \"w\"\nevidence = \" \"\n").unwrap();
    let e = exceptions::load(&p).unwrap_err().to_string();
    assert!(e.contains("evidence"), "{e}");
    // The vendored file itself loads.
    exceptions::load(&specs_dir().join("exceptions.toml")).expect("vendored exceptions");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// No recorded exchange, however odd, makes the harness panic.
    #[test]
    fn any_exchange_is_checked_without_panicking(
        method in "(GET|POST|PUT|DELETE|PATCH)",
        path in "(/stores/[a-z]{0,3}/v3)?(/[a-z_{}0-9:%]{0,12}){0,4}",
        query in "([a-z:\\[\\]0-9]{0,8}=[a-zA-Z0-9,%.-]{0,8}&?){0,4}",
        status in 100u16..600,
        body in prop_oneof![Just(None), Just(Some(json!({"name": 1, "price": "x", "id": []}))), Just(Some(json!([1, null]))), Just(Some(json!("text")))],
    ) {
        let c = contract();
        let _ = c.check(&ex(&method, &path, &query, body.clone(), status, body));
    }
}

/// The readings of Ideasoft's document still check: a LIST reply must be an array whose items
/// carry the record's required fields, a nested record only its fields' types, a member
/// created without a password is refused but one updated without it is not, and a date filter
/// must have the shape the document draws.
#[test]
fn ideasofts_document_is_read_as_ideasoft_answers_and_still_checks() {
    let c = Contract::ideasoft().expect("load");
    let product = json!({
        "id": 7, "name": "Kazak", "sku": "K-1", "stockAmount": 1.0, "price1": 5.0,
        "currency": { "id": 1 }, "discountType": 1, "moneyOrderDiscount": 0.0,
        "taxIncluded": 1, "stockTypeLabel": "Piece", "customShippingDisabled": 1,
        "hasGift": 0, "status": 1, "hasOption": 0, "categoryShowcaseStatus": 0
    });
    let list = |reply: Value| {
        kinds(&c.check(&ex(
            "GET",
            "/admin-api/products",
            "limit=2",
            None,
            200,
            Some(reply),
        )))
    };
    assert_eq!(list(json!([product.clone()])), vec![]);
    assert_eq!(
        list(product.clone()),
        vec![(Kind::ReplyBody, "reply 200".into())]
    );
    let mut nameless = product.clone();
    nameless.as_object_mut().expect("object").remove("name");
    assert_eq!(
        list(json!([nameless])),
        vec![(Kind::ReplyBody, "reply 200 /*".into())]
    );
    let mut odd_currency = product.clone();
    odd_currency["currency"] = json!({ "id": "one" });
    assert_eq!(
        list(json!([odd_currency])),
        vec![(Kind::ReplyBody, "reply 200 /*/currency/id".into())]
    );

    let member = json!({
        "firstname": "Ali", "surname": "Kaya", "email": "ali@example.com", "status": "active",
        "country": { "id": 1 }, "location": { "id": 1 }, "deviceType": "bilgisayar",
        "allowedToPhone": 0, "allowedToCampaigns": 0, "allowedToSms": 0
    });
    let send = |method: &str, path: &str, body: &Value| {
        kinds(&c.check(&ex(method, path, "", Some(body.clone()), 422, None)))
            .into_iter()
            .filter(|(k, _)| k.side() == "connector")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        send("POST", "/admin-api/members", &member),
        vec![(Kind::RequestBody, "request".into())]
    );
    assert_eq!(send("PUT", "/admin-api/members/3", &member), vec![]);

    let since = |q: &str| {
        kinds(&c.check(&ex(
            "GET",
            "/admin-api/products",
            q,
            None,
            200,
            Some(json!([])),
        )))
    };
    assert_eq!(since("startUpdatedAt=2026-12-07%2003%3A00%3A00"), vec![]);
    assert_eq!(
        since("startUpdatedAt=2026-12-07T03%3A00%3A00Z"),
        vec![(Kind::QueryValue, "query startUpdatedAt".into())]
    );
    assert_eq!(
        kinds(&c.check(&ex(
            "GET",
            "/admin-api/pages",
            "startUpdatedAt=07.12.2026",
            None,
            200,
            Some(json!([]))
        ))),
        // Neither the shape nor the `date` format.
        vec![(Kind::QueryValue, "query startUpdatedAt".into()); 2]
    );
}
