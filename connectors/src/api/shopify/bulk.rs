//! Bulk work on Shopify: staged uploads, bulk mutations and queries, redirect imports.
//!
//! A bulk mutation is: `stagedUploadsCreate` → a multipart POST of the JSONL (one line of
//! variables per record) to the staged target → `bulkOperationRunMutation` → polling the
//! operation until it is COMPLETED or FAILED → the result JSONL, one line per input line
//! carrying its `__lineNumber`. Shopify runs one bulk mutation per shop at a time, so a new one
//! waits for the running one; a submission whose reply was lost is recognised by the current
//! operation's id changing, never submitted twice blindly.

use super::documents::{self as docs, Document, Kind};
use super::reply::{
    self, messages, BulkMutationLine, BulkOp, BulkRunPayload, OpStatus, RedirectImport,
    RedirectImportCreatePayload, RedirectImportSubmitPayload, StagedUploadsPayload,
};
use super::{Ran, ShopifyClient};
use crate::api::http::Safety;
use crate::connector::{ConnectorError, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How bulk work is paced.
#[derive(Debug, Clone, Copy)]
pub(super) struct BulkConfig {
    pub poll: Duration,
    pub timeout: Duration,
}

/// A finished bulk mutation.
pub(super) struct Finished {
    pub status: OpStatus,
    /// Result lines by `__lineNumber`.
    pub lines: HashMap<usize, BulkMutationLine>,
    pub error_code: Option<String>,
}

/// Shortest time a file upload or download is given.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

fn remote(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Remote(msg.into())
}

/// A multipart/form-data body: the target's parameters in order, then the file last (Google
/// Cloud Storage, behind Shopify's staged targets, reads the fields before the file). Built by
/// hand because reqwest's multipart feature would be a new dependency for one form.
fn multipart(
    params: &[(String, String)],
    filename: &str,
    mime: &str,
    file: &[u8],
) -> (String, Vec<u8>) {
    let boundary = format!("storeshift-{:016x}", fastrand::u64(..));
    let mut body = Vec::with_capacity(file.len() + 1024);
    for (k, v) in params {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl ShopifyClient {
    /// Sends a non-GraphQL request (upload, download) through the shared retry policy; both are
    /// safe to repeat (the same key is overwritten, a download changes nothing).
    async fn transfer(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        let reply = self
            .http
            .send_bytes(what, Safety::Idempotent, build)
            .await
            .map_err(|e| remote(e.message().to_string()))?;
        Ok((reply.status, reply.bytes))
    }

    /// Staged files and result files run to many megabytes: they get longer than an API call.
    pub(super) fn transfer_timeout(&self) -> Duration {
        self.http.config().timeout.max(TRANSFER_TIMEOUT)
    }

    /// Stages a file: returns the staged target's `key` (for `stagedUploadPath`) and its
    /// `resourceUrl` (for `urlRedirectImportCreate`).
    pub(super) async fn stage(
        &self,
        resource: &str,
        filename: &str,
        mime: &str,
        file: &[u8],
    ) -> Result<(String, String)> {
        let payload: Option<StagedUploadsPayload> = self
            .query_field(
                &docs::staged_uploads_create(),
                json!({ "input": [{ "resource": resource, "filename": filename, "mimeType": mime, "httpMethod": "POST" }] }),
                "stagedUploadsCreate",
            )
            .await?;
        let payload = payload.ok_or_else(|| remote("Shopify answered no stagedUploadsCreate"))?;
        if !payload.user_errors.is_empty() {
            return Err(remote(format!(
                "Shopify refused the staged upload: {}",
                messages(&payload.user_errors)
            )));
        }
        let target = payload
            .staged_targets
            .unwrap_or_default()
            .into_iter()
            .next()
            .ok_or_else(|| remote("Shopify gave no staged upload target"))?;
        let url = target
            .url
            .clone()
            .ok_or_else(|| remote("Shopify gave no staged upload URL"))?;
        let url = url.as_str();
        let params: Vec<(String, String)> = target
            .parameters
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect();
        let key = params
            .iter()
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| remote("Shopify's staged target has no key parameter"))?;
        let (ct, body) = multipart(&params, filename, mime, file);
        let (status, reply) = self
            .transfer("staged upload", |c| {
                c.post(url)
                    .timeout(self.transfer_timeout())
                    .header("content-type", &ct)
                    .body(body.clone())
            })
            .await?;
        if !status.is_success() {
            return Err(remote(format!(
                "the staged upload was refused: HTTP {status}: {}",
                String::from_utf8_lossy(&reply)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        let resource_url = target.resource_url.unwrap_or_else(|| url.to_string());
        Ok((key, resource_url))
    }

    async fn current_operation(&self, ty: &str) -> Result<Option<BulkOp>> {
        let q = docs::current_bulk_operation();
        self.query_field(&q, json!({ "t": ty }), "currentBulkOperation")
            .await
    }

    /// Waits until no bulk operation of type `ty` is running; returns the id of the latest.
    async fn wait_idle(&self, ty: &str, cfg: BulkConfig) -> Result<Option<String>> {
        let deadline = Instant::now() + cfg.timeout;
        loop {
            let op = match self.current_operation(ty).await? {
                Some(op) if op.status.running() => op,
                other => return Ok(other.map(|op| op.id)),
            };
            if Instant::now() >= deadline {
                return Err(remote(format!(
                    "a Shopify bulk operation ({}) is still running after {:?}",
                    op.id, cfg.timeout
                )));
            }
            tokio::time::sleep(cfg.poll).await;
        }
    }

    /// Polls an operation by id until it stops running.
    async fn wait_done(&self, id: &str, cfg: BulkConfig) -> Result<BulkOp> {
        let q = docs::bulk_operation();
        let deadline = Instant::now() + cfg.timeout;
        let mut wait = cfg.poll.min(Duration::from_millis(50));
        loop {
            let op: Option<BulkOp> = self.query_field(&q, json!({ "id": id }), "node").await?;
            match op {
                Some(op) if op.status.running() => {}
                Some(op) => return Ok(op),
                None => return Err(remote(format!("Shopify does not know bulk operation {id}"))),
            }
            if Instant::now() >= deadline {
                return Err(remote(format!(
                    "Shopify bulk operation {id} did not finish within {:?}",
                    cfg.timeout
                )));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(cfg.poll);
        }
    }

    /// Downloads a bulk mutation's result file (one line per input line of a batch, so it
    /// stays small); a file cut short (its size differs from `fileSize`) or with a
    /// line that is not JSON is fetched again.
    pub(super) async fn download(&self, url: &str, size: Option<u64>) -> Result<Vec<Value>> {
        self.http
            .send_decoded(
                "bulk result download",
                Safety::Idempotent,
                |c| c.get(url).timeout(self.transfer_timeout()),
                |status, _, bytes| {
                    if !status.is_success() {
                        return Err(format!("HTTP {status}"));
                    }
                    if let Some(n) = size.filter(|n| *n != bytes.len() as u64) {
                        return Err(format!("{} bytes instead of {n}", bytes.len()));
                    }
                    parse_jsonl(&bytes)
                },
            )
            .await
            .map_err(|e| {
                remote(format!(
                    "the bulk result at {url} could not be read: {}",
                    e.message()
                ))
            })
    }

    /// Runs `mutation` (a [`Kind::BulkMutation`]) once per line of `variables` as one bulk
    /// operation.
    pub(super) async fn bulk_mutation(
        &self,
        mutation: &Document,
        variables: &[Value],
        cfg: BulkConfig,
    ) -> Result<Finished> {
        debug_assert_eq!(mutation.kind(), Kind::BulkMutation);
        let mut jsonl = String::new();
        for v in variables {
            jsonl.push_str(&v.to_string());
            jsonl.push('\n');
        }
        let (path, _) = self
            .stage(
                "BULK_MUTATION_VARIABLES",
                "bulk_op_vars.jsonl",
                "text/jsonl",
                jsonl.as_bytes(),
            )
            .await?;
        let q = docs::run_bulk_mutation();
        let deadline = Instant::now() + cfg.timeout;
        let id = loop {
            let before = self.wait_idle("MUTATION", cfg).await?;
            match self
                .run_with(
                    &q,
                    json!({ "m": mutation.text(), "p": path }),
                    Safety::Unsafe,
                )
                .await?
            {
                Ran::Data(d) => {
                    let payload: Option<BulkRunPayload> =
                        reply::field(q.name(), &d, "bulkOperationRunMutation")?;
                    let payload = payload
                        .ok_or_else(|| remote("Shopify answered no bulkOperationRunMutation"))?;
                    let errors = payload.user_errors;
                    if errors
                        .iter()
                        .any(|e| e.code.as_deref() == Some("OPERATION_IN_PROGRESS"))
                    {
                        if Instant::now() >= deadline {
                            return Err(remote(messages(&errors)));
                        }
                        continue;
                    }
                    if !errors.is_empty() {
                        return Err(remote(format!(
                            "Shopify refused the bulk mutation: {}",
                            messages(&errors)
                        )));
                    }
                    match payload.bulk_operation {
                        Some(op) => break op.id,
                        None => return Err(remote("Shopify started no bulk operation")),
                    }
                }
                Ran::Errors(e) => return Err(remote(format!("Shopify: {}", e.0))),
                Ran::Ambiguous(msg) => {
                    // Only one bulk mutation runs per shop and none was running before: a new
                    // current operation is ours.
                    let now = self.current_operation("MUTATION").await?.map(|op| op.id);
                    match now {
                        Some(id) if Some(&id) != before.as_ref() => break id,
                        _ => {
                            tracing::debug!(%msg, "bulk mutation not started; submitting again");
                            if Instant::now() >= deadline {
                                return Err(remote(msg));
                            }
                        }
                    }
                }
            }
        };
        let op = self.wait_done(&id, cfg).await?;
        self.finished(op, mutation).await
    }

    /// Starts `query` (a [`Kind::BulkQuery`]) and returns the operation's id. A run killed
    /// after starting it but before its cursor was saved finds it still running (same query
    /// text) and takes it up instead of starting another. Before 2026-01 a shop runs one bulk
    /// query at a time, from 2026-01 five: a refusal for that reason waits and tries again.
    pub(super) async fn start_bulk_query(
        &self,
        query: &Document,
        cfg: BulkConfig,
    ) -> Result<String> {
        debug_assert_eq!(query.kind(), Kind::BulkQuery);
        if let Some(op) = self.current_operation("QUERY").await? {
            if op.status.running() && op.query == query.text() {
                tracing::info!(id = %op.id, "taking up the bulk query already running");
                return Ok(op.id);
            }
        }
        let q = docs::run_bulk_query();
        let deadline = Instant::now() + cfg.timeout;
        loop {
            // A query changes nothing: submitting it again after a lost reply is harmless.
            let payload: Option<BulkRunPayload> = self
                .query_field(&q, json!({ "q": query.text() }), "bulkOperationRunQuery")
                .await?;
            let payload =
                payload.ok_or_else(|| remote("Shopify answered no bulkOperationRunQuery"))?;
            let errors = payload.user_errors;
            let busy = errors.iter().any(|e| {
                matches!(
                    e.code.as_deref(),
                    Some("OPERATION_IN_PROGRESS" | "LIMIT_REACHED")
                )
            });
            if busy && Instant::now() < deadline {
                tokio::time::sleep(cfg.poll).await;
                continue;
            }
            if !errors.is_empty() {
                return Err(remote(format!(
                    "Shopify refused the bulk query {:?}: {}",
                    query.name(),
                    messages(&errors)
                )));
            }
            return match payload.bulk_operation {
                Some(op) => Ok(op.id),
                None => Err(remote("Shopify started no bulk query")),
            };
        }
    }

    /// Waits for a bulk query to stop running and returns it as it ended.
    pub(super) async fn finish_query(&self, id: &str, cfg: BulkConfig) -> Result<BulkOp> {
        self.wait_done(id, cfg).await
    }

    /// Reads the result file of a finished bulk mutation: its lines by `__lineNumber`.
    async fn finished(&self, op: BulkOp, mutation: &Document) -> Result<Finished> {
        let url = op.url.as_deref().or(op.partial_data_url.as_deref());
        let mut lines = HashMap::new();
        if let Some(url) = url {
            for (i, line) in self
                .download(url, op.file_size)
                .await?
                .into_iter()
                .enumerate()
            {
                let line: BulkMutationLine =
                    reply::parse(mutation.name(), &format!("result line {}", i + 1), &line)?;
                lines.insert(line.line_number, line);
            }
        }
        Ok(Finished {
            status: op.status,
            lines,
            error_code: op.error_code,
        })
    }

    /// Imports redirects from a CSV: `urlRedirectImportCreate` on the staged file, then
    /// `urlRedirectImportSubmit`, then polling `urlRedirectImport` until it is finished.
    /// Returns (created, updated, failed) counts.
    pub(super) async fn redirect_import(
        &self,
        csv: &[u8],
        cfg: BulkConfig,
    ) -> Result<(u64, u64, u64)> {
        let (_, url) = self
            .stage("URL_REDIRECT_IMPORT", "redirects.csv", "text/csv", csv)
            .await?;
        // A lost reply leaves at most an import that was never submitted: harmless.
        let payload: Option<RedirectImportCreatePayload> = self
            .query_field(
                &docs::redirect_import_create(),
                json!({ "url": url }),
                "urlRedirectImportCreate",
            )
            .await?;
        let payload =
            payload.ok_or_else(|| remote("Shopify answered no urlRedirectImportCreate"))?;
        if !payload.user_errors.is_empty() {
            return Err(remote(format!(
                "Shopify refused the redirect import: {}",
                messages(&payload.user_errors)
            )));
        }
        let id = payload
            .url_redirect_import
            .ok_or_else(|| remote("Shopify created no redirect import"))?
            .id;
        let submitted: Option<RedirectImportSubmitPayload> = self
            .query_field(
                &docs::redirect_import_submit(),
                json!({ "id": id }),
                "urlRedirectImportSubmit",
            )
            .await?;
        let errors = submitted.map(|p| p.user_errors).unwrap_or_default();
        // Submitted already (our first reply was lost) is what we wanted.
        if !errors.is_empty()
            && !errors
                .iter()
                .all(|e| matches!(e.code.as_deref(), Some("ALREADY_IMPORTED" | "IN_PROGRESS")))
        {
            return Err(remote(format!(
                "Shopify refused to run the redirect import: {}",
                messages(&errors)
            )));
        }
        let poll = docs::redirect_import();
        let deadline = Instant::now() + cfg.timeout;
        let mut wait = cfg.poll.min(Duration::from_millis(50));
        loop {
            let imp: Option<RedirectImport> = self
                .query_field(&poll, json!({ "id": id }), "urlRedirectImport")
                .await?;
            let imp =
                imp.ok_or_else(|| remote(format!("Shopify lost the redirect import {id}")))?;
            if imp.finished {
                // The counts are nullable: an import that has nothing to count answers null.
                return Ok((
                    imp.created_count.unwrap_or(0),
                    imp.updated_count.unwrap_or(0),
                    imp.failed_count.unwrap_or(0),
                ));
            }
            if Instant::now() >= deadline {
                return Err(remote(format!(
                    "the redirect import {id} did not finish within {:?}",
                    cfg.timeout
                )));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(cfg.poll);
        }
    }
}

/// A JSONL file's objects; a line that is not JSON names its number.
fn parse_jsonl(bytes: &[u8]) -> std::result::Result<Vec<Value>, String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<Value>(l)
                .map_err(|e| format!("line {} is not JSON ({e})", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_puts_the_file_last() {
        let (ct, body) = multipart(
            &[("key".into(), "tmp/x".into())],
            "f.jsonl",
            "text/jsonl",
            b"{}\n",
        );
        let text = String::from_utf8(body).expect("utf-8");
        let boundary = ct.split("boundary=").nth(1).expect("boundary");
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.find("name=\"key\"") < text.find("name=\"file\""));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }
}
