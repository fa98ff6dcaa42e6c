//! Bulk work on Shopify: staged uploads, bulk mutations and queries, redirect imports.
//!
//! A bulk mutation is: `stagedUploadsCreate` → a multipart POST of the JSONL (one line of
//! variables per record) to the staged target → `bulkOperationRunMutation` → polling the
//! operation until it is COMPLETED or FAILED → the result JSONL, one line per input line
//! carrying its `__lineNumber`. Shopify runs one bulk mutation per shop at a time, so a new one
//! waits for the running one; a submission whose reply was lost is recognised by the current
//! operation's id changing, never submitted twice blindly.

use super::documents::{self as docs, Document, Kind};
use super::{Ran, ShopifyClient};
use crate::api::http::Safety;
use crate::connector::{ConnectorError, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How bulk work is paced.
#[derive(Debug, Clone, Copy)]
pub(super) struct BulkConfig {
    pub poll: Duration,
    pub timeout: Duration,
}

/// A finished bulk operation.
pub(super) struct Finished {
    pub status: String,
    /// Result lines by `__lineNumber` (mutations) or in order (queries, key = position).
    pub lines: HashMap<usize, Value>,
    pub error_code: Option<String>,
}

/// Shortest time a file upload or download is given.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

fn remote(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Remote(msg.into())
}

fn user_errors(payload: &Value) -> Vec<Value> {
    payload["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn messages(errors: &[Value]) -> String {
    errors
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect::<Vec<_>>()
        .join("; ")
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
    fn transfer_timeout(&self) -> Duration {
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
        let data = self
            .run_ok(
                &docs::staged_uploads_create(),
                json!({ "input": [{ "resource": resource, "filename": filename, "mimeType": mime, "httpMethod": "POST" }] }),
            )
            .await?;
        let payload = &data["stagedUploadsCreate"];
        let errors = user_errors(payload);
        if !errors.is_empty() {
            return Err(remote(format!(
                "Shopify refused the staged upload: {}",
                messages(&errors)
            )));
        }
        let target = &payload["stagedTargets"][0];
        let url = target["url"]
            .as_str()
            .ok_or_else(|| remote("Shopify gave no staged upload URL"))?;
        let params: Vec<(String, String)> = target["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    p["value"].as_str().unwrap_or("").to_string(),
                )
            })
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
        let resource_url = target["resourceUrl"].as_str().unwrap_or(url).to_string();
        Ok((key, resource_url))
    }

    async fn current_operation(&self, ty: &str) -> Result<Value> {
        let q = docs::current_bulk_operation();
        Ok(self.run_ok(&q, json!({ "t": ty })).await?["currentBulkOperation"].clone())
    }

    /// Waits until no bulk operation of type `ty` is running; returns the id of the latest.
    async fn wait_idle(&self, ty: &str, cfg: BulkConfig) -> Result<Option<String>> {
        let deadline = Instant::now() + cfg.timeout;
        loop {
            let op = self.current_operation(ty).await?;
            if !matches!(
                op["status"].as_str(),
                Some("CREATED" | "RUNNING" | "CANCELING")
            ) {
                return Ok(op["id"].as_str().map(str::to_string));
            }
            if Instant::now() >= deadline {
                return Err(remote(format!(
                    "a Shopify bulk operation ({}) is still running after {:?}",
                    op["id"], cfg.timeout
                )));
            }
            tokio::time::sleep(cfg.poll).await;
        }
    }

    /// Polls an operation by id until it stops running.
    async fn wait_done(&self, id: &str, cfg: BulkConfig) -> Result<Value> {
        let q = docs::bulk_operation();
        let deadline = Instant::now() + cfg.timeout;
        let mut wait = cfg.poll.min(Duration::from_millis(50));
        loop {
            let op = self.run_ok(&q, json!({ "id": id })).await?["node"].clone();
            match op["status"].as_str() {
                Some("CREATED" | "RUNNING" | "CANCELING") => {}
                Some(_) => return Ok(op),
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

    /// Downloads a result file; a file cut short (its size differs from `fileSize`) or with a
    /// line that is not JSON is fetched again.
    pub(super) async fn download(&self, url: &str, size: Option<usize>) -> Result<Vec<Value>> {
        self.http
            .send_decoded(
                "bulk result download",
                Safety::Idempotent,
                |c| c.get(url).timeout(self.transfer_timeout()),
                |status, _, bytes| {
                    if !status.is_success() {
                        return Err(format!("HTTP {status}"));
                    }
                    if let Some(n) = size.filter(|n| *n != bytes.len()) {
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
                    let payload = &d["bulkOperationRunMutation"];
                    let errors = user_errors(payload);
                    if errors.iter().any(|e| e["code"] == "OPERATION_IN_PROGRESS") {
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
                    match payload.pointer("/bulkOperation/id").and_then(Value::as_str) {
                        Some(id) => break id.to_string(),
                        None => return Err(remote("Shopify started no bulk operation")),
                    }
                }
                Ran::Errors(e) => return Err(remote(format!("Shopify: {}", e.0))),
                Ran::Ambiguous(msg) => {
                    // Only one bulk mutation runs per shop and none was running before: a new
                    // current operation is ours.
                    let now = self.current_operation("MUTATION").await?;
                    match now["id"].as_str() {
                        Some(id) if Some(id) != before.as_deref() => break id.to_string(),
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
        self.finished(op, true).await
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
        let current = self.current_operation("QUERY").await?;
        if !current.is_null() {
            let op = BulkOp::parse(current, "currentBulkOperation")?;
            if op.status.running() && op.query.as_deref() == Some(query.text()) {
                tracing::info!(id = %op.id, "taking up the bulk query already running");
                return Ok(op.id);
            }
        }
        let q = docs::run_bulk_query();
        let deadline = Instant::now() + cfg.timeout;
        loop {
            // A query changes nothing: submitting it again after a lost reply is harmless.
            let d = self.run_ok(&q, json!({ "q": query.text() })).await?;
            let payload = &d["bulkOperationRunQuery"];
            let errors = user_errors(payload);
            let busy = errors.iter().any(|e| {
                matches!(
                    e["code"].as_str(),
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
            return match payload.pointer("/bulkOperation/id").and_then(Value::as_str) {
                Some(id) => Ok(id.to_string()),
                None => Err(remote("Shopify started no bulk query")),
            };
        }
    }

    /// Waits for a bulk query to stop running and returns it as it ended.
    pub(super) async fn finish_query(&self, id: &str, cfg: BulkConfig) -> Result<BulkOp> {
        BulkOp::parse(self.wait_done(id, cfg).await?, "node(id:)")
    }

    /// The result file of a finished query, line by line; `None` when it is gone (its signed
    /// URL expired: Google Cloud Storage answers 400 ExpiredToken or 403; or it was removed,
    /// 404): the caller runs the query again.
    pub(super) async fn query_lines(&self, op: &BulkOp) -> Result<Option<Vec<Value>>> {
        let Some(url) = op.url.as_deref() else {
            return Ok(None);
        };
        let size = op.file_size;
        self.http
            .send_decoded(
                "bulk result download",
                Safety::Idempotent,
                |c| c.get(url).timeout(self.transfer_timeout()),
                |status, _, bytes| {
                    if matches!(status.as_u16(), 400 | 403 | 404) {
                        return Ok(None);
                    }
                    if !status.is_success() {
                        return Err(format!("HTTP {status}"));
                    }
                    if let Some(n) = size.filter(|n| *n != bytes.len()) {
                        return Err(format!("{} bytes instead of {n}", bytes.len()));
                    }
                    parse_jsonl(&bytes).map(Some)
                },
            )
            .await
            .map_err(|e| {
                remote(format!(
                    "the bulk result of {} could not be read: {}",
                    op.id,
                    e.message()
                ))
            })
    }

    async fn finished(&self, op: Value, numbered: bool) -> Result<Finished> {
        let status = op["status"].as_str().unwrap_or("").to_string();
        let url = op["url"]
            .as_str()
            .or_else(|| op["partialDataUrl"].as_str())
            .map(str::to_string);
        let size = op["fileSize"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| op["fileSize"].as_u64().map(|n| n as usize));
        let mut lines = HashMap::new();
        if let Some(url) = &url {
            for (i, line) in self.download(url, size).await?.into_iter().enumerate() {
                let n = if numbered {
                    match line["__lineNumber"].as_u64() {
                        Some(n) => n as usize,
                        None => continue,
                    }
                } else {
                    i
                };
                lines.insert(n, line);
            }
        }
        Ok(Finished {
            status,
            lines,
            error_code: op["errorCode"].as_str().map(str::to_string),
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
        let d = self
            .run_ok(&docs::redirect_import_create(), json!({ "url": url }))
            .await?;
        let payload = &d["urlRedirectImportCreate"];
        let errors = user_errors(payload);
        if !errors.is_empty() {
            return Err(remote(format!(
                "Shopify refused the redirect import: {}",
                messages(&errors)
            )));
        }
        let id = payload
            .pointer("/urlRedirectImport/id")
            .and_then(Value::as_str)
            .ok_or_else(|| remote("Shopify created no redirect import"))?
            .to_string();
        let d = self
            .run_ok(&docs::redirect_import_submit(), json!({ "id": id }))
            .await?;
        let errors = user_errors(&d["urlRedirectImportSubmit"]);
        // Submitted already (our first reply was lost) is what we wanted.
        if !errors.is_empty()
            && !errors
                .iter()
                .all(|e| matches!(e["code"].as_str(), Some("ALREADY_IMPORTED" | "IN_PROGRESS")))
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
            let d = self.run_ok(&poll, json!({ "id": id })).await?;
            let imp = &d["urlRedirectImport"];
            if imp["finished"] == true {
                let n = |k: &str| imp[k].as_u64().unwrap_or(0);
                return Ok((n("createdCount"), n("updatedCount"), n("failedCount")));
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

/// Where a bulk operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) enum OpStatus {
    Created,
    Running,
    Canceling,
    Canceled,
    Completed,
    Failed,
    /// Its result file is gone (Shopify keeps it seven days).
    Expired,
    #[serde(other)]
    Unknown,
}

impl OpStatus {
    /// Shopify's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::Created => "CREATED",
            OpStatus::Running => "RUNNING",
            OpStatus::Canceling => "CANCELING",
            OpStatus::Canceled => "CANCELED",
            OpStatus::Completed => "COMPLETED",
            OpStatus::Failed => "FAILED",
            OpStatus::Expired => "EXPIRED",
            OpStatus::Unknown => "an unknown status",
        }
    }

    pub fn running(self) -> bool {
        matches!(
            self,
            OpStatus::Created | OpStatus::Running | OpStatus::Canceling
        )
    }
}

/// A bulk operation as Shopify reports it (the fields of `OP_FIELDS`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkOp {
    pub id: String,
    pub status: OpStatus,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Bytes of the result file; Shopify sends an `UnsignedInt64` as a string.
    #[serde(default, deserialize_with = "number_or_string")]
    pub file_size: Option<usize>,
    #[serde(default)]
    pub query: Option<String>,
}

impl BulkOp {
    fn parse(v: Value, endpoint: &str) -> Result<BulkOp> {
        serde_json::from_value(v).map_err(|e| {
            remote(format!(
                "Shopify's {endpoint} reply is not a bulk operation: {e}"
            ))
        })
    }
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<usize>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        _ => None,
    })
}

/// Rebuilds nested objects from a bulk query's flat lines: a line with `__parentId` is a node
/// of one of its parent's connections, named by `field_of(typename)`.
pub(super) fn regroup(
    lines: Vec<Value>,
    field_of: impl Fn(&str) -> Option<&'static str>,
) -> Vec<Value> {
    let mut roots: Vec<Value> = vec![];
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in lines {
        match line
            .get("__parentId")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            None => {
                if let Some(id) = line["id"].as_str() {
                    index.insert(id.to_string(), roots.len());
                }
                roots.push(line);
            }
            Some(parent) => {
                let (Some(&i), Some(field)) = (
                    index.get(&parent),
                    field_of(line["__typename"].as_str().unwrap_or("")),
                ) else {
                    continue;
                };
                let list = roots[i]
                    .as_object_mut()
                    .map(|o| o.entry(field).or_insert_with(|| json!({ "nodes": [] })));
                if let Some(nodes) = list.and_then(|l| l["nodes"].as_array_mut()) {
                    nodes.push(line);
                }
            }
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_lines_regroup_under_their_parents() {
        let lines = vec![
            json!({ "id": "P1", "title": "a" }),
            json!({ "__typename": "ProductVariant", "id": "V1", "__parentId": "P1" }),
            json!({ "id": "P2", "title": "b" }),
            json!({ "__typename": "MediaImage", "id": "M1", "__parentId": "P1" }),
            json!({ "__typename": "ProductVariant", "id": "V2", "__parentId": "P2" }),
        ];
        let out = regroup(lines, |t| match t {
            "ProductVariant" => Some("variants"),
            "MediaImage" => Some("media"),
            _ => None,
        });
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["variants"]["nodes"][0]["id"], "V1");
        assert_eq!(out[0]["media"]["nodes"][0]["id"], "M1");
        assert_eq!(out[1]["variants"]["nodes"][0]["id"], "V2");
    }

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
