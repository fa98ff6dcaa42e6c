//! The "changed since" side of the list endpoints, as WooCommerce documents it:
//! `modified_after` / `modified_before` (ISO 8601; in the site's time zone, or UTC with
//! `dates_are_gmt=true`) and `_fields` (the WordPress REST API's field projection, which
//! id-only listings use). The sandbox's site time zone is UTC, so both clocks agree.

use super::err;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};
use std::borrow::Borrow;
use std::collections::HashMap;

/// Stamps a record as modified now (`date_modified` and `date_modified_gmt`).
pub(super) fn touch(v: &mut Value) {
    let now = super::now();
    v["date_modified"] = Value::String(now.clone());
    v["date_modified_gmt"] = Value::String(now);
}

fn parse(q: &HashMap<String, String>, key: &str) -> Result<Option<NaiveDateTime>, Response> {
    let Some(raw) = q.get(key) else {
        return Ok(None);
    };
    // ISO 8601 with or without an offset; an offset is taken as UTC's (as rest_parse_date does).
    let plain = raw.get(..19).unwrap_or(raw);
    NaiveDateTime::parse_from_str(plain, "%Y-%m-%dT%H:%M:%S")
        .map(Some)
        .map_err(|_| {
            err(
                StatusCode::BAD_REQUEST,
                "rest_invalid_param",
                &format!("Invalid parameter(s): {key} (Invalid date.)"),
            )
        })
}

fn modified(v: &Value, gmt: bool) -> Option<NaiveDateTime> {
    let k = if gmt {
        "date_modified_gmt"
    } else {
        "date_modified"
    };
    let d = v.get(k).or_else(|| v.get("date_modified"))?.as_str()?;
    NaiveDateTime::parse_from_str(d.get(..19)?, "%Y-%m-%dT%H:%M:%S").ok()
}

/// Keeps the items modified after `modified_after` and before `modified_before` (both
/// exclusive, as WP_Query's date_query is by default).
pub(super) fn filter<V: Borrow<Value>>(
    items: &mut Vec<V>,
    q: &HashMap<String, String>,
) -> Result<(), Response> {
    let after = parse(q, "modified_after")?;
    let before = parse(q, "modified_before")?;
    if after.is_none() && before.is_none() {
        return Ok(());
    }
    let gmt = q
        .get("dates_are_gmt")
        .is_some_and(|v| v == "true" || v == "1");
    items.retain(|v| {
        let m = modified(v.borrow(), gmt);
        after.is_none_or(|a| m.is_some_and(|m| m > a))
            && before.is_none_or(|b| m.is_some_and(|m| m < b))
    });
    Ok(())
}

/// `_fields=id,status`: each item cut down to those top-level fields.
pub(super) fn project(items: Vec<Value>, q: &HashMap<String, String>) -> Vec<Value> {
    let Some(fields) = q.get("_fields") else {
        return items;
    };
    let keep: Vec<&str> = fields.split(',').map(str::trim).collect();
    items
        .into_iter()
        .map(|v| {
            let mut out = Map::new();
            for k in &keep {
                if let Some(x) = v.get(*k) {
                    out.insert((*k).to_string(), x.clone());
                }
            }
            Value::Object(out)
        })
        .collect()
}
