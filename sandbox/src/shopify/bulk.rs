//! Staged uploads, bulk operations and redirect imports.
//!
//! - `stagedUploadsCreate` hands out a target on this server (`/shopify-staged-uploads/`, a
//!   multipart POST like Shopify's Google Cloud Storage targets) and the `key` to name it by.
//! - `bulkOperationRunMutation` runs one mutation per JSONL line of an uploaded file in the
//!   background (CREATED → RUNNING → COMPLETED / FAILED), one bulk mutation per shop at a time,
//!   and publishes a result JSONL (`{"data": ..., "__lineNumber": n}` per line) at `url`.
//! - `bulkOperationRunQuery` runs a query over a whole connection without pagination and writes
//!   one line per node; nested connections become lines of their own with `__parentId`. As on
//!   Shopify: one top-level connection, at most five connections, nested at most two deep, a
//!   parent of a nested connection selects `id`; one bulk query at a time per shop before
//!   2026-01, five from 2026-01; the result file is kept for [`super::ShopifyConfig::bulk_result_ttl`]
//!   (seven days), then the operation is EXPIRED and its URL refused. The query works through
//!   [`super::ShopifyConfig::bulk_objects_per_second`] objects a second. From 2026-01 its
//!   `groupObjects` defaults to false and the file lists every record before the first nested
//!   line (Shopify promises no order then); `groupObjects: true` (the default before) puts
//!   each record's nested lines right after it.
//! - The result file is served as Google Cloud Storage serves it: `Range: bytes=START-[END]`
//!   gets 206 with `Content-Range`, a start past the end 416; downloads can be scripted to
//!   break halfway ([`ShopifySandbox::cut_next_bulk_downloads`]).
//! - `urlRedirectImportCreate` (from a staged CSV) + `urlRedirectImportSubmit` create or update
//!   redirects by path and count what happened.
//!
//! Bulk work does not draw on the cost bucket: only the mutations that start it do.

use super::content::{import_redirect, ImportRow};
use super::{gql_error, now, str_of, user_error, with_defaults, Exec, GqlResult, ShopifySandbox};
use crate::lock;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use graphql_parser::query::{Definition, Field, OperationDefinition};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};
use storeshift_connectors::platform::shopify::cost::CostCx;

/// Where staged uploads are posted and bulk results fetched from (paths on this server).
pub const STAGED_PATH: &str = "/shopify-staged-uploads";
pub const RESULTS_PATH: &str = "/shopify-bulk-results";

/// Mutations a bulk operation may run (Shopify allows a fixed list).
const BULK_MUTATIONS: &[&str] = &[
    "productSet",
    "customerSet",
    "collectionCreate",
    "collectionUpdate",
    "pageCreate",
    "pageUpdate",
    "urlRedirectCreate",
    "urlRedirectUpdate",
];

/// Lines applied between two yields, so polls can see an operation RUNNING.
const LINES_PER_STEP: usize = 100;

#[derive(Debug, Default)]
pub(super) struct BulkState {
    next: u64,
    /// Staged targets by key: `None` until a file is posted.
    staged: HashMap<String, Option<Vec<u8>>>,
    ops: BTreeMap<u64, Value>,
    results: HashMap<String, Bytes>,
    imports: BTreeMap<u64, Value>,
    /// Bulk mutations that fail halfway (scripted by tests).
    fail_next: u32,
    /// Bulk queries that fail (scripted by tests).
    fail_queries: u32,
    /// While set, bulk mutations stay RUNNING before their first line (scripted by tests).
    held: bool,
    /// When each finished operation's result file was written.
    finished_at: HashMap<u64, Instant>,
    /// Result files whose time ran out (their URL is refused as expired, not unknown).
    expired: HashSet<String>,
    /// Result downloads that break halfway (scripted by tests).
    cut_downloads: u32,
    downloads: DownloadStats,
}

/// What the result file server sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DownloadStats {
    /// Requests for a result file that was there.
    pub requests: u64,
    /// Of those, requests with a `Range` header.
    pub ranged: u64,
    /// Body bytes sent (a cut download counts what went out before the cut).
    pub bytes: u64,
}

impl BulkState {
    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Expires the results older than `ttl`: the operation says EXPIRED, the file is gone.
    fn expire(&mut self, ttl: Duration) {
        let old: Vec<u64> = self
            .finished_at
            .iter()
            .filter(|(_, at)| at.elapsed() >= ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in old {
            self.finished_at.remove(&id);
            let file = result_file(id);
            self.results.remove(&file);
            self.expired.insert(file);
            if let Some(op) = self.ops.get_mut(&id) {
                op["status"] = json!("EXPIRED");
                op["url"] = Value::Null;
                op["partialDataUrl"] = Value::Null;
            }
        }
    }
}

fn result_file(id: u64) -> String {
    format!("bulk-{id}.jsonl")
}

/// Whether a bulk query's nested lines follow their parent unless `groupObjects` says: from
/// 2026-01 they do not (Shopify changed the default to false for speed).
pub fn groups_by_default(version: &str) -> bool {
    version < "2026-01"
}

/// Bulk queries a shop runs at once at `version`: Shopify allows five from 2026-01, one of
/// each type before.
pub fn concurrent_bulk_queries(version: &str) -> usize {
    if version >= "2026-01" {
        5
    } else {
        1
    }
}

impl ShopifySandbox {
    /// Makes the next `n` bulk mutations fail halfway through (status FAILED, errorCode
    /// INTERNAL_SERVER_ERROR, the lines before the failure applied).
    pub fn fail_next_bulk_mutations(&self, n: u32) {
        lock(&self.inner.bulk).fail_next = n;
    }

    /// Makes the next `n` bulk queries fail (status FAILED, errorCode INTERNAL_SERVER_ERROR,
    /// no result file).
    pub fn fail_next_bulk_queries(&self, n: u32) {
        lock(&self.inner.bulk).fail_queries = n;
    }

    /// Holds bulk mutations RUNNING (before their first line) until released, so a test can
    /// act while one is in progress.
    pub fn hold_bulk_mutations(&self, held: bool) {
        lock(&self.inner.bulk).held = held;
        self.inner.bulk_released.notify_waiters();
    }

    /// Expires every finished bulk result now, as seven days would.
    pub fn expire_bulk_results(&self) {
        lock(&self.inner.bulk).expire(Duration::ZERO);
    }

    /// Makes the next `n` downloads of a result file send half of what they should and then
    /// drop the connection, as a network that breaks mid-transfer does.
    pub fn cut_next_bulk_downloads(&self, n: u32) {
        lock(&self.inner.bulk).cut_downloads = n;
    }

    /// What the result file server has sent so far.
    pub fn bulk_downloads(&self) -> DownloadStats {
        lock(&self.inner.bulk).downloads
    }

    /// Bulk operations started so far, as `(type, status)`.
    pub fn bulk_operations(&self) -> Vec<(String, String)> {
        lock(&self.inner.bulk)
            .ops
            .values()
            .map(|o| {
                (
                    o["type"].as_str().unwrap_or("").to_string(),
                    o["status"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Redirect imports submitted so far.
    pub fn redirect_imports(&self) -> usize {
        lock(&self.inner.bulk)
            .imports
            .values()
            .filter(|i| i["__submitted"] == true)
            .count()
    }

    fn set_op(&self, id: u64, f: impl FnOnce(&mut Value)) {
        if let Some(op) = lock(&self.inner.bulk).ops.get_mut(&id) {
            f(op);
        }
    }
}

fn xml_error(code: &str, message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [("content-type", "application/xml")],
        format!("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
        .into_response()
}

/// The parts of a `multipart/form-data` body: (name, bytes).
fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = vec![];
    let mut rest = body;
    loop {
        let start = find(rest, &delim)? + delim.len();
        rest = &rest[start..];
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        let rest_after_crlf = rest.strip_prefix(b"\r\n")?;
        let end = find(rest_after_crlf, &delim)?;
        let part = &rest_after_crlf[..end];
        let split = find(part, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let name = headers
            .split(';')
            .find_map(|h| h.trim().strip_prefix("name="))
            .map(|n| {
                n.split("\r\n")
                    .next()
                    .unwrap_or(n)
                    .trim_matches('"')
                    .to_string()
            })?;
        parts.push((name, content.to_vec()));
        rest = rest_after_crlf;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Staged files may be large (Shopify accepts bulk variables files of up to 100 MB).
pub(super) fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(100 * 1024 * 1024)
}

/// `POST /shopify-staged-uploads/`: a form with the target's parameters and the file last.
pub(super) async fn staged_upload(
    State(sb): State<ShopifySandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(parts) = multipart_parts(ct, &body) else {
        return xml_error(
            "InvalidArgument",
            "POST requires a multipart/form-data body with a file field",
        );
    };
    let field = |n: &str| parts.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let (Some(key), Some(file)) = (field("key"), field("file")) else {
        return xml_error(
            "InvalidArgument",
            "The form needs the target's key parameter and a file field",
        );
    };
    let key = String::from_utf8_lossy(&key).into_owned();
    let mut st = lock(&sb.inner.bulk);
    match st.staged.get_mut(&key) {
        Some(slot) => {
            *slot = Some(file);
            (
                StatusCode::CREATED,
                [("content-type", "application/xml")],
                format!("<?xml version='1.0' encoding='UTF-8'?><PostResponse><Key>{key}</Key></PostResponse>"),
            )
                .into_response()
        }
        None => xml_error(
            "AccessDenied",
            "Invalid policy: this key was not issued by stagedUploadsCreate",
        ),
    }
}

/// `GET /shopify-bulk-results/{file}`: a finished operation's JSONL, whole or the byte range
/// asked for.
pub(super) async fn bulk_result(
    State(sb): State<ShopifySandbox>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut st = lock(&sb.inner.bulk);
    st.expire(sb.inner.config.bulk_result_ttl);
    if st.expired.contains(&file) {
        // What a signed URL past its expiry gets from Google Cloud Storage.
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/xml")],
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
        )
            .into_response();
    }
    let Some(text) = st.results.get(&file).cloned() else {
        return (StatusCode::NOT_FOUND, "NoSuchKey").into_response();
    };
    let total = text.len() as u64;
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(byte_range);
    st.downloads.requests += 1;
    if range.is_some() {
        st.downloads.ranged += 1;
    }
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, total),
        Some((start, _)) if start >= total => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [("content-range", format!("bytes */{total}"))],
            )
                .into_response();
        }
        Some((start, end)) => (
            StatusCode::PARTIAL_CONTENT,
            start,
            end.map_or(total, |e| e.saturating_add(1).min(total)),
        ),
    };
    let body = text.slice(start as usize..end as usize);
    let cut = st.cut_downloads > 0;
    st.cut_downloads = st.cut_downloads.saturating_sub(1);
    let sent = if cut { body.len() / 2 } else { body.len() };
    st.downloads.bytes += sent as u64;
    drop(st);
    let mut reply = Response::builder()
        .status(status)
        .header("content-type", "application/jsonl")
        .header("accept-ranges", "bytes")
        .header("content-length", body.len().to_string());
    if status == StatusCode::PARTIAL_CONTENT {
        reply = reply.header(
            "content-range",
            format!("bytes {start}-{}/{total}", end.saturating_sub(1)),
        );
    }
    let body = if cut {
        // Half the body, then the connection drops: the client sees fewer bytes than
        // Content-Length promised. The pause lets the half go out before the connection drops.
        use futures_util::StreamExt;
        let half = body.slice(..sent);
        let sent_half = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) });
        let then_drop = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "download cut (scripted)",
            ))
        });
        Body::from_stream(sent_half.chain(then_drop))
    } else {
        Body::from(body)
    };
    reply
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `bytes=START-` or `bytes=START-END` (one range; what a resuming download asks). Anything
/// else is ignored and the whole file served, as HTTP allows.
fn byte_range(header: &str) -> Option<(u64, Option<u64>)> {
    let (start, end) = header.trim().strip_prefix("bytes=")?.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => None,
        e => Some(e.parse().ok().filter(|e| *e >= start)?),
    };
    Some((start, end))
}

fn operation(id: u64, ty: &str, query: &str) -> Value {
    json!({
        "__typename": "BulkOperation", "id": format!("gid://shopify/BulkOperation/{id}"), "type": ty,
        "status": "CREATED", "errorCode": null, "createdAt": now(), "completedAt": null, "objectCount": "0",
        "rootObjectCount": "0", "fileSize": null, "url": null, "partialDataUrl": null, "query": query,
    })
}

fn running(st: &BulkState, ty: &str) -> Option<String> {
    running_ids(st, ty).into_iter().next()
}

fn running_ids(st: &BulkState, ty: &str) -> Vec<String> {
    st.ops
        .values()
        .filter(|o| o["type"] == ty && matches!(o["status"].as_str(), Some("CREATED" | "RUNNING")))
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .collect()
}

impl<'a, 'd> Exec<'a, 'd> {
    /// Query root fields about bulk work; `None` when `f` is not one of them.
    pub(super) fn bulk_query_field(&self, f: &Field<'d, String>) -> Option<Value> {
        let mut st = lock(&self.sb.inner.bulk);
        st.expire(self.sb.inner.config.bulk_result_ttl);
        let by_gid = |gid: &str| -> Value {
            let n: Option<u64> = gid.rsplit('/').next().and_then(|x| x.parse().ok());
            let map = if gid.contains("/BulkOperation/") {
                &st.ops
            } else if gid.contains("/UrlRedirectImport/") {
                &st.imports
            } else {
                return Value::Null;
            };
            n.and_then(|n| map.get(&n).cloned()).unwrap_or(Value::Null)
        };
        let id_arg = || {
            self.cx
                .arg(f, "id")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        Some(match f.name.as_str() {
            "currentBulkOperation" => {
                let ty = self
                    .cx
                    .arg(f, "type")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "QUERY".into());
                st.ops
                    .values()
                    .rev()
                    .find(|o| o["type"] == ty.as_str())
                    .cloned()
                    .unwrap_or(Value::Null)
            }
            "bulkOperation" | "urlRedirectImport" => by_gid(&id_arg()),
            "node" => {
                let v = by_gid(&id_arg());
                if v.is_null() {
                    drop(st);
                    return Some(self.node_of_store(&id_arg()).unwrap_or(Value::Null));
                }
                v
            }
            _ => return None,
        })
    }

    /// Mutations about bulk work; `None` when `f` is not one of them.
    pub(super) fn bulk_mutation_field(&self, f: &Field<'d, String>) -> Option<GqlResult<Value>> {
        Some(Ok(match f.name.as_str() {
            "stagedUploadsCreate" => self.staged_uploads_create(f),
            "bulkOperationRunMutation" => self.run_mutation(f),
            "bulkOperationRunQuery" => self.run_query(f),
            "urlRedirectImportCreate" => self.import_create(f),
            "urlRedirectImportSubmit" => self.import_submit(f),
            _ => return None,
        }))
    }

    fn staged_uploads_create(&self, f: &Field<'d, String>) -> Value {
        const T: &str = "UserError";
        let inputs = self
            .cx
            .arg(f, "input")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let mut st = lock(&self.sb.inner.bulk);
        let mut targets = vec![];
        let mut errors = vec![];
        for (i, input) in inputs.iter().enumerate() {
            let resource = str_of(input, "resource").unwrap_or_default();
            let filename = str_of(input, "filename").unwrap_or_default();
            if filename.is_empty() {
                errors.push(user_error(
                    T,
                    json!(["input", i.to_string(), "filename"]),
                    "Filename can't be blank",
                    "BLANK",
                ));
                continue;
            }
            let dir = match resource.as_str() {
                "BULK_MUTATION_VARIABLES" => "bulk",
                "URL_REDIRECT_IMPORT" => "url_redirect_imports",
                "FILE" | "IMAGE" => "files",
                other => {
                    errors.push(user_error(
                        T,
                        json!(["input", i.to_string(), "resource"]),
                        format!("Resource {other} is not supported for staged uploads here"),
                        "INVALID",
                    ));
                    continue;
                }
            };
            let n = st.id();
            let key = format!("tmp/sandbox/{dir}/{n:08x}/{filename}");
            st.staged.insert(key.clone(), None);
            let mime = str_of(input, "mimeType").unwrap_or_else(|| "text/jsonl".into());
            targets.push(json!({
                "__typename": "StagedMediaUploadTarget",
                "url": format!("http://{}{STAGED_PATH}/", self.host),
                "resourceUrl": format!("http://{}{STAGED_PATH}/{key}", self.host),
                "parameters": [
                    { "__typename": "StagedUploadParameter", "name": "Content-Type", "value": mime },
                    { "__typename": "StagedUploadParameter", "name": "success_action_status", "value": "201" },
                    { "__typename": "StagedUploadParameter", "name": "acl", "value": "private" },
                    { "__typename": "StagedUploadParameter", "name": "key", "value": key },
                    { "__typename": "StagedUploadParameter", "name": "policy", "value": "sandbox-policy" },
                ],
            }));
        }
        json!({ "__typename": "StagedUploadsCreatePayload", "stagedTargets": targets, "userErrors": errors })
    }

    fn run_mutation(&self, f: &Field<'d, String>) -> Value {
        const T: &str = "BulkMutationUserError";
        let payload = |op: Value, errors: Vec<Value>| json!({ "__typename": "BulkOperationRunMutationPayload", "bulkOperation": op, "userErrors": errors });
        let text = self
            .cx
            .arg(f, "mutation")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let path = self
            .cx
            .arg(f, "stagedUploadPath")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.sb.note_received("bulk mutation", &text);
        let checked = check_bulk_mutation(&text).and_then(|()| {
            self.sb
                .validate_document(self.version, &text)
                .map(|_| ())
                .map_err(|e| invalid("mutation", &e))
        });
        if let Err(message) = checked {
            return payload(
                Value::Null,
                vec![user_error(
                    T,
                    json!(["mutation"]),
                    message,
                    "INVALID_MUTATION",
                )],
            );
        }
        let mut st = lock(&self.sb.inner.bulk);
        if let Some(id) = running(&st, "MUTATION") {
            return payload(
                Value::Null,
                vec![user_error(
                    T,
                    Value::Null,
                    format!("A bulk mutation operation for this app and shop is already in progress: {id}."),
                    "OPERATION_IN_PROGRESS",
                )],
            );
        }
        let Some(Some(bytes)) = st.staged.get(&path).cloned() else {
            return payload(Value::Null, vec![user_error(T, json!(["stagedUploadPath"]),
                "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.",
                "NO_SUCH_FILE")]);
        };
        let id = st.id();
        let op = operation(id, "MUTATION", &text);
        st.ops.insert(id, op.clone());
        let fail = if st.fail_next > 0 {
            st.fail_next -= 1;
            true
        } else {
            false
        };
        drop(st);
        let sb = self.sb.clone();
        let host = self.host.clone();
        let version = self.version;
        tokio::spawn(async move {
            run_mutation_lines(sb, id, text, bytes, host, version, fail).await;
        });
        payload(op, vec![])
    }

    fn run_query(&self, f: &Field<'d, String>) -> Value {
        const T: &str = "BulkOperationUserError";
        let payload = |op: Value, errors: Vec<Value>| json!({ "__typename": "BulkOperationRunQueryPayload", "bulkOperation": op, "userErrors": errors });
        let text = self
            .cx
            .arg(f, "query")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.sb.note_received("bulk query", &text);
        let grouped = self
            .cx
            .arg(f, "groupObjects")
            .and_then(|v| v.as_bool())
            .unwrap_or_else(|| groups_by_default(self.version));
        let checked = check_bulk_query(&text).and_then(|()| {
            self.sb
                .validate_document(self.version, &text)
                .map(|_| ())
                .map_err(|e| invalid("query", &e))
        });
        if let Err(message) = checked {
            return payload(
                Value::Null,
                vec![user_error(T, json!(["query"]), message, "INVALID")],
            );
        }
        let mut st = lock(&self.sb.inner.bulk);
        let busy = running_ids(&st, "QUERY");
        let allowed = concurrent_bulk_queries(self.version);
        if busy.len() >= allowed {
            let (message, code) = if allowed == 1 {
                (
                    format!(
                        "A bulk query operation for this app and shop is already in progress: {}.",
                        busy[0]
                    ),
                    "OPERATION_IN_PROGRESS",
                )
            } else {
                (
                    format!("The maximum number of concurrent bulk query operations ({allowed}) for this app and shop has been reached: {}.", busy.join(", ")),
                    "LIMIT_REACHED",
                )
            };
            return payload(Value::Null, vec![user_error(T, Value::Null, message, code)]);
        }
        let id = st.id();
        let op = operation(id, "QUERY", &text);
        st.ops.insert(id, op.clone());
        let fail = st.fail_queries > 0;
        st.fail_queries = st.fail_queries.saturating_sub(1);
        drop(st);
        let sb = self.sb.clone();
        let host = self.host.clone();
        let version = self.version;
        tokio::spawn(async move {
            run_query_lines(sb, id, text, host, version, fail, grouped).await;
        });
        payload(op, vec![])
    }

    fn import_create(&self, f: &Field<'d, String>) -> Value {
        const T: &str = "UrlRedirectImportUserError";
        let payload = |imp: Value, errors: Vec<Value>| json!({ "__typename": "UrlRedirectImportCreatePayload", "urlRedirectImport": imp, "userErrors": errors });
        let url = self
            .cx
            .arg(f, "url")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let key = url
            .split_once(&format!("{STAGED_PATH}/"))
            .map(|(_, k)| k.to_string())
            .unwrap_or_default();
        let mut st = lock(&self.sb.inner.bulk);
        let Some(Some(bytes)) = st.staged.get(&key).cloned() else {
            return payload(
                Value::Null,
                vec![user_error(
                    T,
                    json!(["url"]),
                    "The file does not exist.",
                    "FILE_DOES_NOT_EXIST",
                )],
            );
        };
        let mut rows = vec![];
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes.as_slice());
        for rec in reader.records().flatten() {
            rows.push(json!([
                rec.get(0).unwrap_or("").trim(),
                rec.get(1).unwrap_or("").trim()
            ]));
        }
        let n = st.id();
        let imp = json!({
            "__typename": "UrlRedirectImport", "id": format!("gid://shopify/UrlRedirectImport/{n}"),
            "count": rows.len(), "createdCount": 0, "updatedCount": 0, "failedCount": 0, "finished": false, "finishedAt": null,
            "previewRedirects": rows.iter().take(3).map(|r| json!({ "__typename": "UrlRedirectImportPreview", "path": r[0], "target": r[1] })).collect::<Vec<_>>(),
            "__rows": rows, "__submitted": false,
        });
        st.imports.insert(n, imp.clone());
        payload(imp, vec![])
    }

    fn import_submit(&self, f: &Field<'d, String>) -> Value {
        const T: &str = "UrlRedirectImportUserError";
        let payload = |job: Value, errors: Vec<Value>| json!({ "__typename": "UrlRedirectImportSubmitPayload", "job": job, "userErrors": errors });
        let gid = self
            .cx
            .arg(f, "id")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let n: Option<u64> = gid.rsplit('/').next().and_then(|x| x.parse().ok());
        let mut st = lock(&self.sb.inner.bulk);
        let Some(imp) = n.and_then(|n| st.imports.get_mut(&n)) else {
            return payload(
                Value::Null,
                vec![user_error(
                    T,
                    json!(["id"]),
                    "Redirect import not found",
                    "NOT_FOUND",
                )],
            );
        };
        if imp["__submitted"] == true {
            let (msg, code) = if imp["finished"] == true {
                ("This import has already been imported.", "ALREADY_IMPORTED")
            } else {
                ("This import is already in progress.", "IN_PROGRESS")
            };
            return payload(Value::Null, vec![user_error(T, json!(["id"]), msg, code)]);
        }
        imp["__submitted"] = json!(true);
        let rows = imp["__rows"].as_array().cloned().unwrap_or_default();
        let n = n.unwrap_or_default();
        drop(st);
        let sb = self.sb.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            let (mut c, mut u, mut fl) = (0, 0, 0);
            for chunk in rows.chunks(LINES_PER_STEP) {
                {
                    let mut s = lock(&sb.inner.store);
                    for r in chunk {
                        match import_redirect(
                            &mut s,
                            &sb.inner.created,
                            r[0].as_str().unwrap_or(""),
                            r[1].as_str().unwrap_or(""),
                        ) {
                            ImportRow::Created => c += 1,
                            ImportRow::Updated => u += 1,
                            ImportRow::Failed => fl += 1,
                        }
                    }
                }
                tokio::task::yield_now().await;
            }
            if let Some(imp) = lock(&sb.inner.bulk).imports.get_mut(&n) {
                imp["createdCount"] = json!(c);
                imp["updatedCount"] = json!(u);
                imp["failedCount"] = json!(fl);
                imp["finished"] = json!(true);
                imp["finishedAt"] = json!(now());
            }
        });
        payload(
            json!({ "__typename": "Job", "id": format!("gid://shopify/Job/{n}"), "done": false, "query": null }),
            vec![],
        )
    }
}

fn single_operation_field(text: &str, mutation: bool) -> Result<String, String> {
    let doc = graphql_parser::parse_query::<String>(text).map_err(|e| {
        format!(
            "Failed to parse the {}: {e}",
            if mutation { "mutation" } else { "query" }
        )
    })?;
    let ops: Vec<_> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => Some(op),
            _ => None,
        })
        .collect();
    let set = match (ops.as_slice(), mutation) {
        ([OperationDefinition::Mutation(m)], true) => &m.selection_set,
        ([OperationDefinition::Query(q)], false) => &q.selection_set,
        ([OperationDefinition::SelectionSet(s)], false) => s,
        _ => {
            return Err(if mutation {
                "Bulk mutations must contain exactly one mutation operation.".into()
            } else {
                "Bulk queries must contain exactly one query operation.".into()
            })
        }
    };
    let empty = json!({});
    let cx = CostCx::new(&doc, &empty);
    let fields = cx.fields(set);
    match fields.as_slice() {
        [one] => Ok(one.name.clone()),
        _ => Err("Bulk operations must have exactly one top-level field.".into()),
    }
}

/// A bulk document that does not validate: the schema's errors in one user error message.
fn invalid(what: &str, errors: &[Value]) -> String {
    let messages: Vec<&str> = errors
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    format!("Invalid bulk {what}: {}", messages.join("; "))
}

fn check_bulk_mutation(text: &str) -> Result<(), String> {
    let name = single_operation_field(text, true)?;
    if BULK_MUTATIONS.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "You must use an allowed mutation name. {name} cannot run in a bulk operation."
        ))
    }
}

/// Most connections one bulk query may hold, and how deep they may nest.
const BULK_MAX_CONNECTIONS: usize = 5;
const BULK_MAX_DEPTH: usize = 2;

fn check_bulk_query(text: &str) -> Result<(), String> {
    let name = single_operation_field(text, false)?;
    if !matches!(
        name.as_str(),
        "products" | "customers" | "collections" | "pages" | "urlRedirects" | "orders"
    ) {
        return Err(format!(
            "Bulk queries must start at a connection; {name} is not one."
        ));
    }
    let doc = graphql_parser::parse_query::<String>(text).map_err(|e| e.to_string())?;
    let empty = json!({});
    let cx = CostCx::new(&doc, &empty);
    let Some(set) = doc.definitions.iter().find_map(|d| match d {
        Definition::Operation(OperationDefinition::Query(q)) => Some(&q.selection_set),
        Definition::Operation(OperationDefinition::SelectionSet(s)) => Some(s),
        _ => None,
    }) else {
        return Err("Bulk queries must contain exactly one query operation.".into());
    };
    let mut shape = Shape::default();
    walk(&cx, set, 0, &mut shape);
    if shape.connections > BULK_MAX_CONNECTIONS {
        return Err(format!(
            "Bulk queries cannot contain more than {BULK_MAX_CONNECTIONS} connections; this one has {}.",
            shape.connections
        ));
    }
    if shape.depth > BULK_MAX_DEPTH {
        return Err(format!(
            "Bulk queries cannot contain connections with a nesting depth greater than {BULK_MAX_DEPTH}; this one nests {} deep.",
            shape.depth
        ));
    }
    if let Some(parent) = shape.parent_without_id {
        return Err(format!(
            "The parent 'node' field for a nested connection must select the 'id' field. Connection fields without 'id': {parent}."
        ));
    }
    Ok(())
}

/// What a bulk query's connections look like.
#[derive(Debug, Default)]
struct Shape {
    connections: usize,
    depth: usize,
    parent_without_id: Option<String>,
}

type Set<'d> = graphql_parser::query::SelectionSet<'d, String>;

/// The selection of a connection's nodes (`edges { node { .. } }` or `nodes { .. }`), if
/// `f` is a connection.
fn node_selection<'s, 'd>(
    cx: &'s CostCx<'d>,
    f: &'s Field<'d, String>,
) -> Option<Vec<&'s Set<'d>>> {
    let mut out = vec![];
    let mut is_connection = false;
    for child in cx.fields(&f.selection_set) {
        match child.name.as_str() {
            "nodes" => {
                is_connection = true;
                out.push(&child.selection_set);
            }
            "edges" => {
                is_connection = true;
                out.extend(
                    cx.fields(&child.selection_set)
                        .into_iter()
                        .filter(|e| e.name == "node")
                        .map(|e| &e.selection_set),
                );
            }
            _ => {}
        }
    }
    is_connection.then_some(out)
}

fn walk<'d>(cx: &CostCx<'d>, set: &Set<'d>, depth: usize, shape: &mut Shape) {
    for f in cx.fields(set) {
        match node_selection(cx, f) {
            Some(nodes) => {
                shape.connections += 1;
                shape.depth = shape.depth.max(depth + 1);
                for n in nodes {
                    let fields = cx.fields(n);
                    let nests = fields.iter().any(|c| node_selection(cx, c).is_some());
                    if nests && !fields.iter().any(|c| c.name == "id") {
                        shape
                            .parent_without_id
                            .get_or_insert_with(|| f.name.clone());
                    }
                    walk(cx, n, depth + 1, shape);
                }
            }
            None => walk(cx, &f.selection_set, depth, shape),
        }
    }
}

/// Holds a bulk query RUNNING while it works through `objects` at `rate` a second, its
/// `objectCount` rising as it goes.
async fn pace(sb: &ShopifySandbox, id: u64, objects: usize, rate: f64) {
    if rate <= 0.0 {
        return;
    }
    let start = Instant::now();
    loop {
        let done = ((start.elapsed().as_secs_f64() * rate) as usize).min(objects);
        sb.set_op(id, |o| o["objectCount"] = json!(done.to_string()));
        if done >= objects {
            return;
        }
        let left = (objects - done) as f64 / rate;
        tokio::time::sleep(Duration::from_secs_f64(left.min(0.1))).await;
    }
}

/// Runs the mutation once per line of variables (`(line number, JSON object)`).
fn apply_lines(
    sb: &ShopifySandbox,
    text: &str,
    lines: &[(usize, String)],
    host: &str,
    version: &'static str,
) -> String {
    let mut out = String::new();
    for (n, line) in lines {
        let result = match serde_json::from_str::<Value>(line) {
            Ok(vars) if vars.is_object() => apply_line(sb, text, vars, *n, host, version),
            _ => {
                json!({ "errors": [gql_error(format!("Line {} is not a JSON object of variables", n + 1), "INVALID_VARIABLE")], "__lineNumber": n })
            }
        };
        out.push_str(&result.to_string());
        out.push('\n');
    }
    out
}

/// One line of a bulk mutation: the mutation's result or its errors, with the line number.
fn apply_line(
    sb: &ShopifySandbox,
    text: &str,
    vars: Value,
    n: usize,
    host: &str,
    version: &'static str,
) -> Value {
    // Each line's variables are coerced against the mutation's declarations, as Shopify does.
    if let Err(errors) = sb.validate_request(version, text, None, &vars) {
        return json!({ "errors": errors, "__lineNumber": n });
    }
    // The document is parsed per line: its lifetime is tied to the variables it is run with.
    let Ok(doc) = graphql_parser::parse_query::<String>(text) else {
        return json!({ "errors": [gql_error("The bulk mutation no longer parses", "INVALID")], "__lineNumber": n });
    };
    let Some(op) = doc.definitions.iter().find_map(|d| match d {
        Definition::Operation(op @ OperationDefinition::Mutation(_)) => Some(op),
        _ => None,
    }) else {
        return json!({ "errors": [gql_error("The bulk document has no mutation", "INVALID")], "__lineNumber": n });
    };
    let OperationDefinition::Mutation(m) = op else {
        return Value::Null;
    };
    let vars = with_defaults(op, vars);
    let cx = CostCx::new(&doc, &vars);
    let exec = Exec {
        cx: &cx,
        sb,
        bulk: false,
        host: host.to_string(),
        version,
    };
    match exec.mutation(&m.selection_set) {
        Ok(data) => json!({ "data": data, "__lineNumber": n }),
        Err(e) => json!({ "errors": [e], "__lineNumber": n }),
    }
}

async fn run_mutation_lines(
    sb: ShopifySandbox,
    id: u64,
    text: String,
    bytes: Vec<u8>,
    host: String,
    version: &'static str,
    fail: bool,
) {
    tokio::task::yield_now().await;
    sb.set_op(id, |o| o["status"] = json!("RUNNING"));
    loop {
        let released = sb.inner.bulk_released.notified();
        if !lock(&sb.inner.bulk).held {
            break;
        }
        released.await;
    }
    let content = String::from_utf8_lossy(&bytes).into_owned();
    let lines: Vec<(usize, String)> = content
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n, l.to_string()))
        .collect();
    let stop_at = if fail { lines.len() / 2 } else { lines.len() };
    let mut out = String::new();
    let mut done = 0usize;
    for chunk in lines[..stop_at].chunks(LINES_PER_STEP) {
        out.push_str(&apply_lines(&sb, &text, chunk, &host, version));
        done += chunk.len();
        sb.set_op(id, |o| o["objectCount"] = json!(done.to_string()));
        tokio::task::yield_now().await;
    }
    let file = result_file(id);
    let url = format!("http://{host}{RESULTS_PATH}/{file}");
    let size = out.len();
    {
        let mut st = lock(&sb.inner.bulk);
        st.results.insert(file, Bytes::from(out));
        st.finished_at.insert(id, Instant::now());
    }
    sb.set_op(id, |o| {
        o["completedAt"] = json!(now());
        o["fileSize"] = json!(size.to_string());
        o["rootObjectCount"] = json!(done.to_string());
        if fail {
            o["status"] = json!("FAILED");
            o["errorCode"] = json!("INTERNAL_SERVER_ERROR");
            o["partialDataUrl"] = json!(url);
        } else {
            o["status"] = json!("COMPLETED");
            o["url"] = json!(url);
        }
    });
}

/// Moves nested connections out of `node` into lines of their own that name their parent.
fn flatten(mut node: Value, parent: Option<&Value>, out: &mut Vec<Value>) {
    let mut children = vec![];
    if let Some(obj) = node.as_object_mut() {
        let keys: Vec<String> = obj
            .iter()
            .filter(|(_, v)| v.get("edges").is_some() || v.get("nodes").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            if let Some(conn) = obj.remove(&k) {
                if let Some(nodes) = conn.get("nodes").and_then(Value::as_array) {
                    children.extend(nodes.iter().cloned());
                } else if let Some(edges) = conn.get("edges").and_then(Value::as_array) {
                    children.extend(edges.iter().filter_map(|e| e.get("node").cloned()));
                }
            }
        }
        if let Some(p) = parent {
            obj.insert("__parentId".into(), p.clone());
        }
    }
    let id = node.get("id").cloned();
    out.push(node);
    for c in children {
        flatten(c, id.as_ref(), out);
    }
}

async fn run_query_lines(
    sb: ShopifySandbox,
    id: u64,
    text: String,
    host: String,
    version: &'static str,
    fail: bool,
    grouped: bool,
) {
    tokio::task::yield_now().await;
    sb.set_op(id, |o| o["status"] = json!("RUNNING"));
    tokio::task::yield_now().await;
    if fail {
        sb.set_op(id, |o| {
            o["status"] = json!("FAILED");
            o["errorCode"] = json!("INTERNAL_SERVER_ERROR");
            o["completedAt"] = json!(now());
        });
        return;
    }
    let result: Result<Vec<Value>, Value> = (|| {
        let doc = graphql_parser::parse_query::<String>(&text).map_err(|e| json!(e.to_string()))?;
        let set = doc
            .definitions
            .iter()
            .find_map(|d| match d {
                Definition::Operation(OperationDefinition::Query(q)) => Some(&q.selection_set),
                Definition::Operation(OperationDefinition::SelectionSet(s)) => Some(s),
                _ => None,
            })
            .ok_or_else(|| json!("no query"))?;
        let empty = json!({});
        let cx = CostCx::new(&doc, &empty);
        let exec = Exec {
            cx: &cx,
            sb: &sb,
            bulk: true,
            host: host.clone(),
            version,
        };
        let data = exec.query(set)?;
        let mut lines = vec![];
        for (_, conn) in data.as_object().into_iter().flatten() {
            let nodes: Vec<Value> = match (conn.get("nodes"), conn.get("edges")) {
                (Some(Value::Array(n)), _) => n.clone(),
                (_, Some(Value::Array(e))) => {
                    e.iter().filter_map(|x| x.get("node").cloned()).collect()
                }
                _ => vec![],
            };
            for n in nodes {
                flatten(n, None, &mut lines);
            }
        }
        if !grouped {
            // Ungrouped, a nested line can come anywhere after its parent: here every one
            // comes after the last record.
            lines.sort_by_key(|l| l.get("__parentId").is_some());
        }
        Ok(lines)
    })();
    match result {
        Ok(lines) => {
            let roots = lines
                .iter()
                .filter(|l| l.get("__parentId").is_none())
                .count();
            pace(
                &sb,
                id,
                lines.len(),
                sb.inner.config.bulk_objects_per_second,
            )
            .await;
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let file = result_file(id);
            let size = text.len();
            {
                let mut st = lock(&sb.inner.bulk);
                st.results.insert(file.clone(), Bytes::from(text));
                st.finished_at.insert(id, Instant::now());
            }
            sb.set_op(id, |o| {
                o["status"] = json!("COMPLETED");
                o["completedAt"] = json!(now());
                o["objectCount"] = json!(lines.len().to_string());
                o["rootObjectCount"] = json!(roots.to_string());
                o["fileSize"] = json!(size.to_string());
                o["url"] = json!(format!("http://{host}{RESULTS_PATH}/{file}"));
            });
        }
        Err(_) => sb.set_op(id, |o| {
            o["status"] = json!("FAILED");
            o["errorCode"] = json!("INTERNAL_SERVER_ERROR");
            o["completedAt"] = json!(now());
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_forms_are_split_into_named_parts() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ntmp/a/b.jsonl\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.jsonl\"\r\nContent-Type: text/jsonl\r\n\r\n{\"a\":1}\n{\"a\":2}\n\r\n--XX--\r\n";
        let parts = multipart_parts("multipart/form-data; boundary=XX", body).expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("key".to_string(), b"tmp/a/b.jsonl".to_vec()));
        assert_eq!(parts[1].0, "file");
        assert_eq!(parts[1].1, b"{\"a\":1}\n{\"a\":2}\n".to_vec());
        assert!(multipart_parts("text/plain", body).is_none());
    }

    #[test]
    fn five_bulk_queries_run_at_once_from_2026_01_and_one_before() {
        assert_eq!(concurrent_bulk_queries("2025-10"), 1);
        assert_eq!(concurrent_bulk_queries("2026-01"), 5);
        assert_eq!(concurrent_bulk_queries("2026-10"), 5);
    }

    #[test]
    fn a_bulk_querys_connections_are_counted_and_their_depth_measured() {
        let ok = "{ orders { edges { node { id lineItems { edges { node { title } } } shippingLines { edges { node { title } } } } } } }";
        assert_eq!(check_bulk_query(ok), Ok(()));
        // Fragments count where they are spread.
        let spread = "{ products { edges { node { ...P } } } } fragment P on Product { id variants { nodes { id } } }";
        assert_eq!(check_bulk_query(spread), Ok(()));
        let deep = "{ products { edges { node { id collections { nodes { id products { nodes { id } } } } } } } }";
        assert!(check_bulk_query(deep).is_err_and(|e| e.contains("nesting depth")));
        assert!(check_bulk_query("{ shop { id } }").is_err_and(|e| e.contains("connection")));
    }

    #[test]
    fn byte_ranges_are_read_as_a_resuming_download_asks() {
        assert_eq!(byte_range("bytes=100-"), Some((100, None)));
        assert_eq!(byte_range("bytes=0-99"), Some((0, Some(99))));
        assert_eq!(byte_range("bytes=9-3"), None);
        assert_eq!(byte_range("items=1-2"), None);
        assert!(groups_by_default("2025-10") && !groups_by_default("2026-01"));
    }

    #[test]
    fn nested_connections_become_lines_with_their_parent() {
        let node = json!({ "id": "P1", "title": "x", "variants": { "nodes": [{ "id": "V1" }, { "id": "V2" }] } });
        let mut out = vec![];
        flatten(node, None, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], json!({ "id": "P1", "title": "x" }));
        assert_eq!(out[2], json!({ "id": "V2", "__parentId": "P1" }));
    }
}
