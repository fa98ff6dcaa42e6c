//! Customers and their addresses, with Magento's checks: a valid email, unique per website;
//! first and last name; and every address through the address validator's rules (`General`:
//! names, street, city, telephone unless the store made it optional, postcode outside the
//! optional-zip countries; `Country`: a country of the directory, and a `region_id` of its list
//! where it has one).

use super::directory::{country, region, region_ids};
use super::search::Criteria;
use super::{
    error, input_errors, now, save_wrapped, wrapped, Inner, MagentoSandbox, Store, INVALID,
    REQUIRED,
};
use crate::lock;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

type Q = Query<Vec<(String, String)>>;

/// Directory's `general/country/optional_zip_countries`.
const OPTIONAL_ZIP: [&str; 5] = ["HK", "IE", "MO", "PA", "GB"];

pub(crate) fn routes() -> Router<MagentoSandbox> {
    Router::new()
        .route("/rest/{store}/V1/customers/search", get(search_customers))
        .route("/rest/{store}/V1/customers", post(create_customer))
        .route(
            "/rest/{store}/V1/customers/{id}",
            get(get_customer).put(put_customer).delete(delete_customer),
        )
}

fn no_customer(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "No such entity with %fieldName = %fieldValue",
        json!({ "fieldName": "customerId", "fieldValue": id }),
    )
}

fn filled(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.trim().is_empty(),
        Value::Number(_) => true,
        _ => false,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The address as Magento keeps it, or every error its validator finds.
fn check_address(inner: &Inner, a: &Value) -> Result<Value, Vec<(String, Value)>> {
    let mut errors = vec![];
    let required = |field: &str| (REQUIRED.to_string(), json!({ "fieldName": field }));
    for field in ["firstname", "lastname", "city"] {
        if !filled(&a[field]) {
            errors.push(required(field));
        }
    }
    let street_ok = a["street"]
        .as_array()
        .and_then(|s| s.first())
        .is_some_and(filled);
    if !street_ok {
        errors.push(required("street"));
    }
    if inner.config.telephone_required && !filled(&a["telephone"]) {
        errors.push(required("telephone"));
    }
    let country_id = a["country_id"].as_str().unwrap_or("").trim().to_uppercase();
    if !OPTIONAL_ZIP.contains(&country_id.as_str()) && !filled(&a["postcode"]) {
        errors.push(required("postcode"));
    }
    let mut out = a.clone();
    if country_id.is_empty() {
        errors.push(required("countryId"));
    } else if let Some(c) = country(&inner.directory, &country_id) {
        let allowed = region_ids(c);
        // The region id arrives at the top or inside the region object.
        let id = text(&a["region_id"])
            .or_else(|| text(&a["region"]["region_id"]))
            .filter(|id| id != "0");
        let typed = text(&a["region"]["region"]);
        match (allowed.is_empty(), id) {
            (true, _) => {
                out["region_id"] = json!(0);
                out["region"] = json!({ "region_code": typed, "region": typed, "region_id": 0 });
            }
            (false, None) => errors.push(required("regionId")),
            (false, Some(id)) => match region(c, &id) {
                Some(r) => {
                    let n: u64 = id.parse().unwrap_or(0);
                    out["region_id"] = json!(n);
                    out["region"] =
                        json!({ "region_code": r["code"], "region": r["name"], "region_id": n });
                }
                None => errors.push((
                    INVALID.to_string(),
                    json!({ "fieldName": "regionId", "value": id }),
                )),
            },
        }
        out["country_id"] = json!(country_id);
    } else {
        errors.push((
            INVALID.to_string(),
            json!({ "fieldName": "countryId", "value": country_id }),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Checks a customer as `CustomerRepository::save` does; `id` is the customer being updated.
fn check(inner: &Inner, s: &Store, c: &Value, id: Option<u64>) -> Result<Value, Response> {
    let email = c["email"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let valid = email
        .split_once('@')
        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
    if !valid {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "\"%fieldName\" is not a valid email address. Enter a valid email address and try again.",
            json!({ "fieldName": email }),
        ));
    }
    let website = c["website_id"].as_u64().unwrap_or(1);
    if s.customers.iter().any(|(k, x)| {
        Some(*k) != id
            && x["email"].as_str() == Some(email.as_str())
            && x["website_id"].as_u64() == Some(website)
    }) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "A customer with the same email address already exists in an associated website.",
            Value::Null,
        ));
    }
    let mut errors = vec![];
    for k in ["firstname", "lastname"] {
        if !filled(&c[k]) {
            errors.push((REQUIRED.to_string(), json!({ "fieldName": k })));
        }
    }
    let mut addresses = vec![];
    for a in c["addresses"].as_array().into_iter().flatten() {
        match check_address(inner, a) {
            Ok(a) => addresses.push(a),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(input_errors(errors));
    }
    let mut out = c.clone();
    out["email"] = json!(email);
    out["website_id"] = json!(website);
    out["addresses"] = json!(addresses);
    Ok(out)
}

/// Gives addresses their ids and the customer its default address ids, as Magento answers.
fn number_addresses(c: &mut Value, id: u64) {
    let mut billing = None;
    let mut shipping = None;
    if let Some(list) = c["addresses"].as_array_mut() {
        for (i, a) in list.iter_mut().enumerate() {
            let aid = id * 100 + i as u64 + 1;
            a["id"] = json!(aid);
            a["customer_id"] = json!(id);
            if a["default_billing"] == json!(true) {
                billing = Some(aid.to_string());
            }
            if a["default_shipping"] == json!(true) {
                shipping = Some(aid.to_string());
            }
        }
    }
    let o = c.as_object_mut();
    if let Some(o) = o {
        o.remove("default_billing");
        o.remove("default_shipping");
        if let Some(b) = billing {
            o.insert("default_billing".into(), json!(b));
        }
        if let Some(s) = shipping {
            o.insert("default_shipping".into(), json!(s));
        }
    }
}

pub(crate) fn create_in(inner: &Inner, s: &mut Store, c: &Value) -> Result<Value, Response> {
    let mut out = check(inner, s, c, None)?;
    let id = s.next();
    out["id"] = json!(id);
    out["group_id"] = json!(1);
    out["store_id"] = json!(1);
    out["created_at"] = json!(now());
    out["updated_at"] = json!(now());
    out["created_in"] = json!("Default Store View");
    // The newsletter subscription is answered on every customer: not subscribed unless the
    // save subscribed them.
    if out["extension_attributes"]["is_subscribed"]
        .as_bool()
        .is_none()
    {
        out["extension_attributes"]["is_subscribed"] = json!(false);
    }
    out["disable_auto_group_change"] = json!(0);
    number_addresses(&mut out, id);
    inner
        .created
        .record("customers", out["email"].as_str().unwrap_or(""));
    s.customers.insert(id, out.clone());
    Ok(out)
}

async fn search_customers(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let criteria = match Criteria::read(&q, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // The customer grid filters on `entity_id`, the column behind the reply's `id`.
    let field = |c: &Value, f: &str| text(&c[if f == "entity_id" { "id" } else { f }]);
    let items: Vec<Value> = lock(&sb.inner.store)
        .customers
        .values()
        .filter(|c| criteria.matches(c, &field))
        .cloned()
        .collect();
    Json(criteria.page(items)).into_response()
}

async fn create_customer(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    save_wrapped(&sb, &body, "customer", |_| {}, create_in)
}

async fn get_customer(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|n| lock(&sb.inner.store).customers.get(&n).cloned());
    match found {
        Some(c) => Json(c).into_response(),
        None => no_customer(&id),
    }
}

async fn put_customer(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let c = match wrapped(&body, "customer") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(n) = id.parse::<u64>() else {
        return no_customer(&id);
    };
    let mut s = lock(&sb.inner.store);
    let Some(current) = s.customers.get(&n).cloned() else {
        return no_customer(&id);
    };
    // The update is the current customer with the sent fields over it; sent addresses replace
    // the list.
    let mut merged = current.clone();
    for (k, v) in c.as_object().into_iter().flatten() {
        if k != "id" {
            merged[k] = v.clone();
        }
    }
    let mut out = match check(&sb.inner, &s, &merged, Some(n)) {
        Ok(out) => out,
        Err(r) => return r,
    };
    out["id"] = json!(n);
    out["updated_at"] = json!(now());
    number_addresses(&mut out, n);
    s.customers.insert(n, out.clone());
    Json(out).into_response()
}

async fn delete_customer(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let removed = id
        .parse::<u64>()
        .ok()
        .and_then(|n| lock(&sb.inner.store).customers.remove(&n));
    match removed {
        Some(_) => Json(json!(true)).into_response(),
        None => no_customer(&id),
    }
}
