//! `searchCriteria` as Magento reads it from a query string: filter groups (ANDed) of filters
//! (ORed), written `filterGroups`/`conditionType` as the schema documents them or
//! `filter_groups`/`condition_type` as Magento's older docs do (Magento maps both onto the
//! same setters); `pageSize` and `currentPage`, where a page past the end is the last page.

use super::{error, REQUIRED};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
struct Filter {
    field: Option<String>,
    value: Option<String>,
    condition: Option<String>,
}

pub(crate) struct Criteria {
    /// group → filter → filter
    groups: BTreeMap<usize, BTreeMap<usize, Filter>>,
    page_size: Option<usize>,
    current_page: Option<usize>,
}

impl Criteria {
    /// Reads the criteria; `required` says whether the endpoint refuses a request without any
    /// (`GET /V1/products` does).
    pub fn read(q: &[(String, String)], required: bool) -> Result<Criteria, Response> {
        if required && !q.iter().any(|(k, _)| k.starts_with("searchCriteria")) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                REQUIRED,
                json!({ "fieldName": "searchCriteria" }),
            ));
        }
        let mut c = Criteria {
            groups: BTreeMap::new(),
            page_size: None,
            current_page: None,
        };
        for (k, v) in q {
            let Some(rest) = k.strip_prefix("searchCriteria") else {
                continue;
            };
            let parts: Vec<&str> = rest.split(['[', ']']).filter(|x| !x.is_empty()).collect();
            let number = |s: &str| s.parse::<usize>().ok();
            match parts.as_slice() {
                ["pageSize" | "page_size"] => c.page_size = number(v).filter(|n| *n > 0),
                ["currentPage" | "current_page"] => c.current_page = number(v),
                _ => {}
            }
            if let ["filterGroups" | "filter_groups", g, "filters", f, key] = parts.as_slice() {
                let (Some(g), Some(f)) = (number(g), number(f)) else {
                    continue;
                };
                let filter = c.groups.entry(g).or_default().entry(f).or_default();
                match *key {
                    "field" => filter.field = Some(v.clone()),
                    "value" => filter.value = Some(v.clone()),
                    "conditionType" | "condition_type" => filter.condition = Some(v.clone()),
                    _ => {}
                }
            }
        }
        Ok(c)
    }

    /// Whether `item` passes every group (some filter of each). `value_of` reads a field.
    pub fn matches(&self, item: &Value, value_of: &dyn Fn(&Value, &str) -> Option<String>) -> bool {
        self.groups.values().all(|group| {
            group.values().any(|f| {
                let (Some(field), Some(value)) = (&f.field, &f.value) else {
                    return true;
                };
                let actual = value_of(item, field).unwrap_or_default();
                match f.condition.as_deref().unwrap_or("eq") {
                    "in" => value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case(&actual)),
                    "like" => {
                        let needle = value.trim_matches('%').to_lowercase();
                        actual.to_lowercase().contains(&needle)
                    }
                    "neq" => !actual.eq_ignore_ascii_case(value),
                    // Ranges compare times as times and numbers as numbers, as MySQL does
                    // with a DATETIME or numeric column.
                    "gteq" | "from" => ordering(&actual, value).is_some_and(|o| o.is_ge()),
                    "gt" => ordering(&actual, value).is_some_and(|o| o.is_gt()),
                    "lteq" | "to" => ordering(&actual, value).is_some_and(|o| o.is_le()),
                    "lt" => ordering(&actual, value).is_some_and(|o| o.is_lt()),
                    // MySQL's default collation compares without case.
                    _ => actual.eq_ignore_ascii_case(value),
                }
            })
        })
    }

    /// One page of `items` as a `*-search-results-interface`.
    pub fn page(&self, items: Vec<Value>) -> Value {
        let total = items.len();
        let current = self.current_page.unwrap_or(1).max(1);
        let (data, current) = match self.page_size {
            None => (items, current),
            Some(size) => {
                // Magento clamps a page past the end to the last page: it never answers an
                // empty page.
                let pages = total.div_ceil(size).max(1);
                let page = current.min(pages);
                let data = items
                    .into_iter()
                    .skip((page - 1) * size)
                    .take(size)
                    .collect();
                (data, current)
            }
        };
        let groups: Vec<Value> = self
            .groups
            .values()
            .map(|g| {
                let filters: Vec<Value> = g
                    .values()
                    .filter_map(|f| {
                        let mut o = json!({ "field": f.field.clone()?, "value": f.value.clone()? });
                        if let Some(c) = &f.condition {
                            o["condition_type"] = json!(c);
                        }
                        Some(o)
                    })
                    .collect();
                json!({ "filters": filters })
            })
            .collect();
        let mut criteria = json!({ "filter_groups": groups });
        if let Some(size) = self.page_size {
            criteria["page_size"] = json!(size);
        }
        if self.current_page.is_some() {
            criteria["current_page"] = json!(current);
        }
        json!({ "items": data, "search_criteria": criteria, "total_count": total })
    }
}

/// A stored value against a range filter's: both times (`YYYY-MM-DD HH:MM:SS`, ISO 8601 or a
/// date, its midnight), both numbers, or else as text. `None`: an empty stored value, which a
/// range never selects (SQL's NULL).
fn ordering(actual: &str, wanted: &str) -> Option<std::cmp::Ordering> {
    if actual.is_empty() {
        return None;
    }
    if let (Some(a), Some(w)) = (time(actual), time(wanted)) {
        return Some(a.cmp(&w));
    }
    if let (Ok(a), Ok(w)) = (actual.parse::<f64>(), wanted.parse::<f64>()) {
        return a.partial_cmp(&w);
    }
    Some(actual.cmp(wanted))
}

fn time(v: &str) -> Option<chrono::NaiveDateTime> {
    let v = v.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S") {
        return Some(t);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.naive_utc());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(t);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[cfg(test)]
mod range_tests {
    use super::*;

    #[test]
    fn gteq_on_updated_at_compares_times() {
        let q: Vec<(String, String)> = [
            (
                "searchCriteria[filterGroups][0][filters][0][field]",
                "updated_at",
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][value]",
                "2026-12-06 05:00:00",
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][conditionType]",
                "gteq",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = Criteria::read(&q, false).map_err(|_| "criteria").unwrap();
        let field = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
        let at = |t: &str| json!({ "updated_at": t });
        assert!(c.matches(&at("2026-12-06 05:00:00"), &field));
        assert!(c.matches(&at("2026-12-06 10:00:00"), &field));
        assert!(!c.matches(&at("2026-12-06 04:59:59"), &field));
        assert!(!c.matches(&json!({}), &field));
    }
}
