//! What changed since the last sync: WooCommerce's `modified_after` list filter (with
//! `dates_are_gmt`, so the window is in UTC whatever the site's time zone) and id-only listings
//! (`_fields=id,status`) to find records deleted or trashed since.

use super::wire::{Dates, IdStatus};
use super::{gmt, parse, total_pages, WooClient};
use crate::connector::Result;
use crate::platform::woocommerce::MAX_PER_PAGE;

/// The filter that limits a list to records modified after `since` (RFC 3339, UTC).
pub(super) fn since_query(since: Option<&str>) -> Vec<(&'static str, String)> {
    match since {
        Some(t) => vec![
            // WooCommerce takes ISO 8601 without an offset; `dates_are_gmt` makes it UTC.
            ("modified_after", woo_date(t)),
            ("dates_are_gmt", "true".into()),
        ],
        None => vec![],
    }
}

/// `2026-12-06T05:00:00.250Z` → `2026-12-06T04:59:59`: WooCommerce keeps whole seconds and
/// `modified_after` excludes the second it names, so the window starts one second earlier to
/// include every record saved in the mark's own second (re-read ones are skipped by hash).
fn woo_date(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => (d.with_timezone(&chrono::Utc) - chrono::Duration::seconds(1))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
        Err(_) => t.trim_end_matches('Z').to_string(),
    }
}

/// The newest `date_modified_gmt` among `items`, as RFC 3339 UTC.
pub(super) fn newest<'a>(items: impl Iterator<Item = &'a Dates>) -> Option<String> {
    items
        .filter_map(|d| gmt(&d.date_modified_gmt, &d.date_modified))
        .map(|t| t.format_utc("%Y-%m-%dT%H:%M:%SZ"))
        .max()
}

/// Every id `path` lists now, trashed ones left out (a trashed product or order is gone from
/// the storefront). Reads ids and statuses only: a hundred records per request, no bodies.
pub(super) async fn live_ids(client: &WooClient, path: &str) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut page = 1usize;
    loop {
        let q = [
            ("page", page.to_string()),
            ("per_page", MAX_PER_PAGE.to_string()),
            ("orderby", "id".into()),
            ("order", "asc".into()),
            ("_fields", "id,status".into()),
        ];
        let reply = client.get(path, &q).await?;
        let items: Vec<IdStatus> = parse(&format!("GET {path}?_fields=id,status"), &reply.body)?;
        out.extend(
            items
                .iter()
                .filter(|i| i.status.as_deref() != Some("trash"))
                .map(|i| i.id.to_string()),
        );
        if page >= total_pages(&reply) as usize {
            return Ok(out);
        }
        page += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dates(v: serde_json::Value) -> Dates {
        serde_json::from_value(v).expect("dates")
    }

    #[test]
    fn the_window_is_sent_in_utc_without_an_offset() {
        let q = since_query(Some("2026-12-06T07:30:00+02:00"));
        assert_eq!(q[0], ("modified_after", "2026-12-06T05:29:59".to_string()));
        assert_eq!(q[1], ("dates_are_gmt", "true".to_string()));
        assert!(since_query(None).is_empty());
    }

    #[test]
    fn the_newest_modification_is_read_from_the_gmt_field() {
        let items = [
            dates(
                json!({ "date_modified": "2026-12-06T09:00:00", "date_modified_gmt": "2026-12-06T06:00:00" }),
            ),
            dates(
                json!({ "date_modified": "2026-12-06T08:00:00", "date_modified_gmt": "2026-12-06T05:00:00" }),
            ),
            dates(json!({ "id": 3 })),
        ];
        assert_eq!(
            newest(items.iter()).as_deref(),
            Some("2026-12-06T06:00:00Z")
        );
        assert_eq!(newest([].iter()), None);
    }
}
