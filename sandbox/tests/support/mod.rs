//! What the connector tests share: an endpoint spec that points a connector at a sandbox, and
//! a whole read through a source's pages.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source};

/// Retries and timeouts short enough that a test of faults finishes in milliseconds.
pub fn quick(extra: Value) -> Value {
    let mut options = json!({
        "timeout_ms": 400,
        "retry_base_ms": 5,
        "retry_max_ms": 50,
        "breaker_cooldown_ms": 20,
    });
    merge(&mut options, extra);
    options
}

/// An API endpoint at `url` with these credentials (name, secret) and options (a JSON object).
///
/// A spec names the environment variable that holds each secret, not the secret; the variable
/// is named after the secret's hash too, so tests of one binary that run at once with
/// different secrets never read each other's.
pub fn api_spec(
    platform: Platform,
    url: String,
    credentials: &[(&str, &str)],
    options: Value,
) -> EndpointSpec {
    let credentials = credentials
        .iter()
        .map(|(name, secret)| {
            let hash = blake3::hash(secret.as_bytes()).to_hex();
            let var = format!(
                "STORESHIFT_TEST_{}_{}",
                name.to_uppercase(),
                &hash.as_str()[..12]
            );
            std::env::set_var(&var, secret);
            (name.to_string(), var)
        })
        .collect();
    EndpointSpec {
        platform,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(url),
        credentials,
        currency: None,
        encoding: None,
        timezone: None,
        options: match options {
            Value::Object(o) => o.into_iter().collect(),
            _ => BTreeMap::new(),
        },
        mapping: None,
    }
}

/// Every record of `entity`, `limit` a page, and the number of pages read.
pub async fn extract_all(
    src: &mut dyn Source,
    entity: Entity,
    limit: usize,
) -> (Vec<Record>, usize) {
    let mut cursor = None;
    let mut records = vec![];
    let mut pages = 0;
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), limit)
            .await
            .expect("page");
        pages += 1;
        records.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return (records, pages),
        }
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// Every record of `entity`, `limit` a page.
pub async fn read_all(src: &mut dyn Source, entity: Entity, limit: usize) -> Vec<Record> {
    extract_all(src, entity, limit).await.0
}
