//! The directory of countries the store sells to, with the regions a default 2.4.8 install
//! has for them and their ids (`sandbox/data/magento/countries.json`; its source is in that
//! folder's README). Countries with regions require one on every address, as Magento's
//! installer sets them "state required".

use super::{error, MagentoSandbox};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

const COUNTRIES: &str = include_str!("../../data/magento/countries.json");

pub(crate) fn countries() -> Vec<Value> {
    // The file is part of the crate; a test reads it too, so a broken edit fails there.
    serde_json::from_str(COUNTRIES).unwrap_or_default()
}

/// A country of the directory.
pub(crate) fn country<'a>(directory: &'a [Value], id: &str) -> Option<&'a Value> {
    directory
        .iter()
        .find(|c| c["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
}

/// The ids of a country's regions as text (empty when it has none).
pub(crate) fn region_ids(country: &Value) -> Vec<String> {
    country["available_regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// A region of a country by id.
pub(crate) fn region<'a>(country: &'a Value, id: &str) -> Option<&'a Value> {
    country["available_regions"]
        .as_array()?
        .iter()
        .find(|r| r["id"].as_str() == Some(id))
}

pub(crate) async fn countries_handler(State(sb): State<MagentoSandbox>) -> Response {
    Json(json!(sb.inner.directory)).into_response()
}

pub(crate) async fn country_handler(
    State(sb): State<MagentoSandbox>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    match country(&sb.inner.directory, &id) {
        Some(c) => Json(c.clone()).into_response(),
        None => error(
            StatusCode::BAD_REQUEST,
            "Requested country is not available.",
            Value::Null,
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_vendored_directory_reads_with_the_regions_of_a_default_install() {
        let all = super::countries();
        assert_eq!(all.len(), 8);
        let us = super::country(&all, "us").expect("US");
        assert_eq!(super::region_ids(us).len(), 65);
        let de = super::country(&all, "DE").expect("DE");
        assert_eq!(super::region(de, "82").expect("Berlin")["code"], "BER");
        assert!(super::country(&all, "TR").expect("TR")["available_regions"].is_null());
    }
}
