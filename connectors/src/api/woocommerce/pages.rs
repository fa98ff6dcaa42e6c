//! Pages through WordPress's own REST API (`/wp-json/wp/v2/pages`), which WooCommerce's
//! consumer keys do not open: it takes a user's application password (`wp_user` and
//! `wp_app_password` credentials). Without them the target says it has no place for pages.
//! A page is found by its slug (any status) before it is written, so a repeated write updates.
//! WordPress core has no SEO fields on pages: an SEO title or description is a finding.

use super::wire;
use super::{body, decode_slug, parse, to_body, total_pages, WooClient, WooTarget};
use crate::api::http::{CallError, Safety};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage, WriteOutcome};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::{Entity, Page, Platform, Record, SourceRef};
use crate::platform::url_path;
use crate::platform::woocommerce::MAX_PER_PAGE;
use serde_json::{json, Value};

/// Every status a migrated page can have (trash excluded).
pub(super) const STATUSES: &str = "publish,draft,pending,private,future";

pub(super) fn page_from(p: &wire::Page) -> Page {
    let handle = decode_slug(&p.slug);
    Page {
        source: SourceRef::with_url(
            p.id.to_string(),
            url_path(Platform::WooCommerce, Entity::Pages, &handle, &[]),
        ),
        title: p.title.text(),
        body_html: p.content.text(),
        published: p.status == "publish",
        seo: Default::default(),
        created_at: super::gmt(&p.date_gmt, &p.date),
        handle,
    }
}

impl WooClient {
    pub(super) async fn wp_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<crate::api::http::Reply> {
        let reply = self
            .wp_call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        self.expect_ok(reply, path)
    }
}

pub(super) async fn read_page(
    client: &WooClient,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<SourcePage> {
    let page = cursor
        .and_then(|c| c.get("page"))
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let q = [
        ("page", page.to_string()),
        ("per_page", limit.clamp(1, MAX_PER_PAGE).to_string()),
        ("orderby", "id".into()),
        ("order", "asc".into()),
        ("status", STATUSES.into()),
        ("context", "edit".into()),
    ];
    let reply = client.wp_get("/pages", &q).await?;
    let found: Vec<wire::Page> = parse("GET /wp-json/wp/v2/pages", &reply.body)?;
    let mut out = SourcePage::default();
    for p in &found {
        out.records.push(Record::Page(page_from(p)));
    }
    if page < total_pages(&reply) {
        out.next = Some(json!({ "page": page + 1 }));
    }
    Ok(out)
}

impl WooTarget {
    pub(super) async fn find_page(&self, handle: &str) -> Result<Option<u64>> {
        let reply = self
            .client
            .wp_get(
                "/pages",
                &[
                    ("slug", handle.to_string()),
                    ("status", STATUSES.into()),
                    ("context", "edit".into()),
                ],
            )
            .await?;
        let found: Vec<wire::IdOnly> = parse("GET /wp-json/wp/v2/pages", &reply.body)?;
        Ok(found.first().map(|p| p.id))
    }

    pub(super) async fn write_pages(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let Record::Page(p) = r else {
                return Err(ConnectorError::Input(format!(
                    "a pages batch holds a {} record ({})",
                    r.entity(),
                    r.label()
                )));
            };
            out.push(self.write_page(p).await?);
        }
        Ok(out)
    }

    async fn write_page(&mut self, p: &Page) -> Result<WriteOutcome> {
        let body = to_body(&body::Page {
            title: p.title.clone(),
            content: p.body_html.clone(),
            slug: p.handle.clone(),
            status: if p.published {
                body::PostStatus::Publish
            } else {
                body::PostStatus::Draft
            },
            // WordPress reads the offset of an RFC 3339 date (rest_parse_date).
            date: p.created_at.map(|d| d.to_rfc3339()),
        })?;
        let max_rounds = self.client.http.config().max_retries + 2;
        let mut existed = None;
        for round in 0..=max_rounds {
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
            }
            let found = self.find_page(&p.handle).await?;
            existed.get_or_insert(found.is_some());
            let path = match found {
                Some(id) => format!("/pages/{id}"),
                None => "/pages".to_string(),
            };
            let reply = match self
                .client
                .wp_call(
                    reqwest::Method::POST,
                    &path,
                    &[],
                    Some(&body),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) => r,
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!("page write ambiguous ({m}); looking the page up again");
                    continue;
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            };
            if matches!(reply.status.as_u16(), 401 | 403) {
                // The application password, not this page: the whole run must hear about it.
                self.client.expect_ok(reply, &path)?;
                continue;
            }
            if !reply.status.is_success() {
                // WordPress's `{code, message}`; a body of another shape is quoted whole.
                let message = match serde_json::from_value::<wire::ApiError>(reply.body.clone()) {
                    Ok(e) => format!("{}: {}", e.code, e.message),
                    Err(_) => format!("WordPress refused the page: {}", reply.body),
                };
                return Ok(WriteOutcome::Failed { message });
            }
            if !p.seo.is_empty() {
                self.findings.push(
                    Finding::new(
                        Severity::Info,
                        "page_seo_not_carried",
                        format!(
                            "page \"{}\": WordPress pages have no SEO title or description without an SEO plugin; not carried",
                            p.title
                        ),
                    )
                    .about(RecordRef {
                        entity: Entity::Pages,
                        source_id: p.source.id.clone(),
                        label: p.title.clone(),
                    }),
                );
            }
            let written: wire::IdOnly = parse(&format!("POST /wp-json/wp/v2{path}"), &reply.body)?;
            let target_id = written.id.to_string();
            return Ok(if existed == Some(true) {
                WriteOutcome::Updated { target_id }
            } else {
                WriteOutcome::Created { target_id }
            });
        }
        Ok(WriteOutcome::Failed {
            message: "WordPress did not confirm this page after repeated attempts".into(),
        })
    }
}

impl WooTarget {
    pub(super) async fn delete_page(&mut self, target_id: &str) -> Result<()> {
        let path = format!("/pages/{target_id}");
        // force=true deletes for good (a page would otherwise go to the trash).
        let reply = self
            .client
            .wp_call(
                reqwest::Method::DELETE,
                &path,
                &[("force", "true".into())],
                None,
                Safety::Idempotent,
            )
            .await?;
        if reply.status.as_u16() == 404 {
            return Ok(());
        }
        self.client.expect_ok(reply, &path).map(|_| ())
    }
}
