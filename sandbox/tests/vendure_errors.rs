//! Vendure's refusals as the connector reports them: a login with wrong credentials and an
//! `ErrorResult` member of a mutation's result union, answered by a small Admin API stand-in
//! on 127.0.0.1 that speaks Vendure's shapes (`__typename`-tagged unions, `errorCode`,
//! GraphQL `errors` with `extensions.code`).

use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use storeshift_connectors::api::http::HttpConfig;
use storeshift_connectors::api::vendure::Vendure;
use storeshift_connectors::model::*;
use storeshift_connectors::{ConnectorError, Target, WriteOutcome};
use storeshift_sandbox::{serve, Running};

const PASSWORD: &str = "superadmin";
const TAKEN: &str = "taken@example.com";

/// How the stand-in answers a customer mutation.
#[derive(Clone, Copy)]
enum Customers {
    /// `EmailAddressConflictError`, as Vendure answers an email another customer has.
    Conflict,
    /// A `__typename` the connector does not know.
    Unknown,
}

#[derive(Clone)]
struct Admin {
    customers: Customers,
    calls: Arc<AtomicUsize>,
}

fn field<'a>(body: &'a Value, pointer: &str) -> &'a str {
    body.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

async fn admin_api(
    axum::extract::State(admin): axum::extract::State<Admin>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    admin.calls.fetch_add(1, Ordering::SeqCst);
    let query = field(&body, "/query");
    if query.contains("login(") {
        if field(&body, "/variables/p") != PASSWORD {
            return Json(json!({ "data": { "login": {
                "__typename": "InvalidCredentialsError",
                "errorCode": "INVALID_CREDENTIALS_ERROR",
                "message": "The provided credentials are invalid",
            } } }))
            .into_response();
        }
        let mut r = Json(json!({ "data": { "login": {
            "__typename": "CurrentUser", "id": "1", "identifier": "superadmin",
        } } }))
        .into_response();
        r.headers_mut()
            .insert("vendure-auth-token", HeaderValue::from_static("token-1"));
        return r;
    }
    if headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v != "Bearer token-1")
    {
        return Json(json!({ "errors": [{
            "message": "You are not currently authorized to perform this action",
            "extensions": { "code": "FORBIDDEN" },
        }], "data": null }))
        .into_response();
    }
    if query.contains("customers(") {
        return Json(json!({ "data": { "customers": { "items": [] } } })).into_response();
    }
    if query.contains("createCustomer(") {
        let reply = match admin.customers {
            Customers::Conflict => json!({
                "__typename": "EmailAddressConflictError",
                "errorCode": "EMAIL_ADDRESS_CONFLICT_ERROR",
                "message": "The email address is not available.",
            }),
            Customers::Unknown => {
                json!({ "__typename": "GuestCheckoutError", "errorCode": "X", "message": "?" })
            }
        };
        return Json(json!({ "data": { "createCustomer": reply } })).into_response();
    }
    Json(json!({ "errors": [{
        "message": format!("Cannot query this in the stand-in: {query}"),
        "extensions": { "code": "GRAPHQL_VALIDATION_FAILED" },
    }], "data": null }))
    .into_response()
}

async fn stand_in(customers: Customers) -> (Running, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route("/admin-api", post(admin_api))
        .with_state(Admin {
            customers,
            calls: calls.clone(),
        });
    (serve(router, 0).await.expect("bind"), calls)
}

fn connect(server: &Running, password: &str) -> Vendure {
    Vendure::connect(
        &server.url(),
        "superadmin",
        password,
        1,
        HttpConfig {
            max_retries: 0,
            ..HttpConfig::default()
        },
    )
    .expect("connect")
}

fn customer(email: &str) -> Record {
    Record::Customer(Customer {
        source: SourceRef::new("c1"),
        email: email.into(),
        first_name: Some("Ada".into()),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_refused_login_names_vendures_error_code_and_message() {
    let (server, calls) = stand_in(Customers::Conflict).await;
    let e = connect(&server, "wrong")
        .check()
        .await
        .expect_err("wrong password");
    let ConnectorError::Input(message) = &e else {
        panic!("a refused login is the operator's input to fix: {e:?}");
    };
    for needle in [
        "refused the login for superadmin",
        "INVALID_CREDENTIALS_ERROR",
        "The provided credentials are invalid",
        "check the username and password",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // Wrong credentials are not retried: one request, one answer.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    connect(&server, PASSWORD)
        .check()
        .await
        .expect("the right password logs in");
}

#[tokio::test]
async fn an_error_result_fails_its_record_with_the_error_code_and_message() {
    let (server, _) = stand_in(Customers::Conflict).await;
    let mut t = connect(&server, PASSWORD);
    let out = t
        .write_batch(Entity::Customers, &[customer(TAKEN)])
        .await
        .expect("the batch runs; the record fails alone");
    let [WriteOutcome::Failed { message }] = out.as_slice() else {
        panic!("{out:?}");
    };
    for needle in [
        "create a customer",
        "EMAIL_ADDRESS_CONFLICT_ERROR",
        "The email address is not available.",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
}

#[tokio::test]
async fn a_union_member_the_schema_does_not_have_is_an_error_naming_it() {
    let (server, _) = stand_in(Customers::Unknown).await;
    let mut t = connect(&server, PASSWORD);
    let e = t
        .write_batch(Entity::Customers, &[customer("new@example.com")])
        .await
        .expect_err("an unknown union member is no answer");
    let message = e.to_string();
    assert!(
        message.contains("create a customer") && message.contains("GuestCheckoutError"),
        "{message}"
    );
}
