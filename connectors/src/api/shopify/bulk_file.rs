//! A bulk query's result file on disk. It is downloaded chunk by chunk into `NAME.part`
//! (a transfer that breaks resumes with `Range` from the bytes already there, when the server
//! answers 206) and renamed to `NAME` once whole, then read record by record: each record's
//! nested lines follow it (`groupObjects: true`) and are regrouped under it on the way. No step
//! holds more than a chunk and one record in memory, whatever the size of the store.

use super::reply::BulkOp;
use super::ShopifyClient;
use crate::connector::{ConnectorError, Result};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Bytes read from the file, and buffered before a write, at a time.
const CHUNK: usize = 64 * 1024;

/// A transfer may take hours for a big store; what bounds it is the wait for each chunk.
const WHOLE_TRANSFER: Duration = Duration::from_secs(24 * 3600);

fn remote(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Remote(msg.into())
}

/// Where the result of `op_id` of the store at `store_url` is kept: the store is part of the
/// name, since two Shopify stores (source and target) number their operations alike.
pub(super) fn result_path(dir: &Path, store_url: &str, op_id: &str) -> PathBuf {
    let store = blake3::hash(store_url.as_bytes()).to_hex();
    let op: String = op_id
        .rsplit('/')
        .next()
        .unwrap_or(op_id)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    dir.join(format!("shopify-bulk-{}-{op}.jsonl", &store.as_str()[..12]))
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Removes the result file of an operation and any download of it under way.
pub(super) fn remove_result(path: &Path) {
    for p in [path.to_path_buf(), part_path(path)] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "cannot remove a bulk result file")
            }
        }
    }
}

/// Whether a result is on disk.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Fetched {
    Ready,
    /// The URL was refused (expired: Google Cloud Storage answers 400 ExpiredToken or 403;
    /// removed: 404) or the operation has none.
    Gone,
}

/// How one download attempt ended.
enum Attempt {
    Done,
    Gone,
    /// Worth another attempt; `progressed` when it added bytes to the file.
    Retry {
        message: String,
        progressed: bool,
        server_says: Option<Duration>,
    },
    Fatal(String),
}

/// `Content-Range: bytes START-END/TOTAL` (TOTAL may be `*`): the start and the total.
fn content_range(headers: &reqwest::header::HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = headers.get("content-range")?.to_str().ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let total = total.trim().parse().ok();
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total))
}

async fn truncate(part: &Path) -> std::io::Result<()> {
    match tokio::fs::OpenOptions::new().write(true).open(part).await {
        Ok(f) => f.set_len(0).await,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn disk(path: &Path, e: std::io::Error) -> String {
    format!(
        "cannot write the bulk result to {} ({e}); free some space there or point the endpoint's scratch_dir elsewhere",
        path.display()
    )
}

impl ShopifyClient {
    /// Puts the result file of the finished `op` at `path`: at once when a whole one is there
    /// already (a resumed run), else downloaded, resuming a partial download.
    pub(super) async fn fetch_result(&self, op: &BulkOp, path: &Path) -> Result<Fetched> {
        if let Ok(meta) = tokio::fs::metadata(path).await {
            if op.file_size.is_none_or(|n| n == meta.len()) {
                return Ok(Fetched::Ready);
            }
            remove_result(path);
        }
        let Some(url) = op.url.as_deref() else {
            return Ok(Fetched::Gone);
        };
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| remote(disk(dir, e)))?;
        }
        let part = part_path(path);
        let fetched = self.download_to(&op.id, url, op.file_size, &part).await?;
        match fetched {
            Fetched::Ready => tokio::fs::rename(&part, path)
                .await
                .map_err(|e| remote(disk(path, e)))?,
            Fetched::Gone => remove_result(path),
        }
        Ok(fetched)
    }

    /// Downloads `url` into `part`, appending to what an earlier attempt (or run) left there.
    /// Attempts that add nothing are limited like any other retried call; one that added
    /// bytes starts the count afresh.
    async fn download_to(
        &self,
        op: &str,
        url: &str,
        size: Option<u64>,
        part: &Path,
    ) -> Result<Fetched> {
        let mut failures = 0u32;
        loop {
            let have = tokio::fs::metadata(part).await.map_or(0, |m| m.len());
            if size.is_some_and(|n| have > n) {
                truncate(part).await.map_err(|e| remote(disk(part, e)))?;
                continue;
            }
            if size == Some(have) {
                // Whole (or an empty result): make sure the file exists.
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(part)
                    .await
                    .map_err(|e| remote(disk(part, e)))?;
                return Ok(Fetched::Ready);
            }
            match self.download_once(url, size, part, have).await {
                Attempt::Done => return Ok(Fetched::Ready),
                Attempt::Gone => return Ok(Fetched::Gone),
                Attempt::Fatal(message) => {
                    return Err(remote(format!(
                        "the bulk result of {op} could not be downloaded: {message}"
                    )))
                }
                Attempt::Retry {
                    message,
                    progressed,
                    server_says,
                } => {
                    failures = if progressed { 0 } else { failures + 1 };
                    if failures > self.http.config().max_retries {
                        return Err(remote(format!(
                            "the bulk result of {op} could not be downloaded: {message} (gave up after {failures} attempts that added nothing)"
                        )));
                    }
                    tracing::debug!(%op, %message, have, "bulk result download broke; resuming");
                    self.http.wait_before_retry(failures, server_says).await;
                }
            }
        }
    }

    /// One GET: from byte `have` with `Range` when there is something to keep.
    async fn download_once(&self, url: &str, size: Option<u64>, part: &Path, have: u64) -> Attempt {
        let retry = |message: String, progressed: bool| Attempt::Retry {
            message,
            progressed,
            server_says: None,
        };
        let idle = self.transfer_timeout();
        let mut request = self.http.inner().get(url).timeout(WHOLE_TRANSFER);
        if have > 0 {
            request = request.header("range", format!("bytes={have}-"));
        }
        self.http
            .counters()
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut response = match tokio::time::timeout(idle, request.send()).await {
            Err(_) => return retry(format!("no answer within {} s", idle.as_secs()), false),
            Ok(Err(e)) => return retry(format!("the request failed ({e})"), false),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let append = match status {
            StatusCode::OK => false,
            StatusCode::PARTIAL_CONTENT => match content_range(response.headers()) {
                Some((_, Some(total))) if size.is_some_and(|n| n != total) => {
                    return Attempt::Fatal(format!(
                        "the server holds {total} bytes, Shopify said {}",
                        size.unwrap_or_default()
                    ))
                }
                Some((start, _)) if start == have => true,
                other => {
                    if let Err(e) = truncate(part).await {
                        return Attempt::Fatal(disk(part, e));
                    }
                    return retry(
                        format!("asked for bytes from {have}, the server sent {other:?}"),
                        false,
                    );
                }
            },
            StatusCode::RANGE_NOT_SATISFIABLE => {
                // Nothing after `have`: whole when the server's total says so.
                let total = content_range(response.headers()).and_then(|(_, t)| t);
                if size.is_none() && total == Some(have) {
                    return Attempt::Done;
                }
                if let Err(e) = truncate(part).await {
                    return Attempt::Fatal(disk(part, e));
                }
                return retry(format!("no bytes after {have} (HTTP 416)"), false);
            }
            s if matches!(s.as_u16(), 400 | 403 | 404) => return Attempt::Gone,
            StatusCode::TOO_MANY_REQUESTS => {
                return Attempt::Retry {
                    message: "HTTP 429".into(),
                    progressed: false,
                    server_says: super::super::http::retry_after(response.headers()),
                }
            }
            s if s.is_server_error() => return retry(format!("HTTP {s}"), false),
            s => return Attempt::Fatal(format!("HTTP {s}")),
        };
        let file = if append {
            tokio::fs::OpenOptions::new().append(true).open(part).await
        } else {
            tokio::fs::File::create(part).await
        };
        let mut out = match file {
            Ok(f) => tokio::io::BufWriter::with_capacity(CHUNK, f),
            Err(e) => return Attempt::Fatal(disk(part, e)),
        };
        let mut got = 0u64;
        let broke = loop {
            match tokio::time::timeout(idle, response.chunk()).await {
                Ok(Ok(Some(bytes))) => {
                    if let Err(e) = out.write_all(&bytes).await {
                        return Attempt::Fatal(disk(part, e));
                    }
                    got += bytes.len() as u64;
                }
                Ok(Ok(None)) => break None,
                Ok(Err(e)) => break Some(format!("the transfer broke ({e})")),
                Err(_) => break Some(format!("no bytes within {} s", idle.as_secs())),
            }
        };
        // What arrived is kept for the next attempt, broken or not.
        if let Err(e) = out.flush().await {
            return Attempt::Fatal(disk(part, e));
        }
        let len = if append { have + got } else { got };
        if let Some(message) = broke {
            return retry(format!("{message} at byte {len}"), got > 0);
        }
        match size {
            Some(n) if len < n => {
                retry(format!("the transfer ended at {len} of {n} bytes"), got > 0)
            }
            Some(n) if len > n => {
                if let Err(e) = truncate(part).await {
                    return Attempt::Fatal(disk(part, e));
                }
                retry(format!("{len} bytes instead of {n}"), false)
            }
            _ => Attempt::Done,
        }
    }
}

/// What places a bulk query's line: its id, and for a nested node its parent and type.
#[derive(Deserialize)]
struct LineHead {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "__parentId", default)]
    parent: Option<String>,
    #[serde(rename = "__typename", default)]
    typename: Option<String>,
}

/// A record of the file: its line's object with its nested lines regrouped under it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Group {
    pub value: Value,
    id: Option<String>,
    /// Byte offset of the record's line in the file.
    pub at: u64,
    /// Its line number (from 1).
    pub line: u64,
}

fn whole_connection() -> Value {
    json!({ "nodes": [], "pageInfo": { "hasNextPage": false, "endCursor": null } })
}

/// Rebuilds records from a bulk query's lines fed in chunks of any size: a line with
/// `__parentId` is a node of one of the connections of the record before it, named by
/// `field_of(typename)`. Every record gets each of `children` as a whole connection (`nodes`,
/// no next page), empty when no line names it, so it reads the same as from a paged query.
pub(super) struct Regroup {
    field_of: fn(&str) -> Option<&'static str>,
    children: Vec<&'static str>,
    /// The start of a line whose end has not arrived.
    partial: Vec<u8>,
    /// Offset and number of the line being read.
    pos: u64,
    line: u64,
    current: Option<Group>,
    ready: VecDeque<Group>,
}

impl Regroup {
    /// Reading from byte `at`, the start of line `line`.
    pub fn new(
        field_of: fn(&str) -> Option<&'static str>,
        children: Vec<&'static str>,
        at: u64,
        line: u64,
    ) -> Regroup {
        Regroup {
            field_of,
            children,
            partial: vec![],
            pos: at,
            line: line.max(1),
            current: None,
            ready: VecDeque::new(),
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8]) -> std::result::Result<(), String> {
        while let Some(end) = chunk.iter().position(|b| *b == b'\n') {
            let len = if self.partial.is_empty() {
                self.complete(&chunk[..end])?;
                end
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&chunk[..end]);
                self.complete(&line)?;
                let len = line.len();
                line.clear();
                self.partial = line;
                len
            };
            self.pos += len as u64 + 1;
            self.line += 1;
            chunk = &chunk[end + 1..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    /// The file ended: its last line needs no newline, its last record is whole.
    pub fn finish(&mut self) -> std::result::Result<(), String> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.complete(&line)?;
            self.pos += line.len() as u64;
        }
        if let Some(last) = self.current.take() {
            self.ready.push_back(last);
        }
        Ok(())
    }

    /// The next whole record.
    pub fn pop(&mut self) -> Option<Group> {
        self.ready.pop_front()
    }

    /// Where the first record not yet popped starts (offset, line), if one has begun.
    pub fn next_start(&self) -> Option<(u64, u64)> {
        self.ready
            .front()
            .or(self.current.as_ref())
            .map(|g| (g.at, g.line))
    }

    fn complete(&mut self, bytes: &[u8]) -> std::result::Result<(), String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let n = self.line;
        let mut value: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("line {n} is not JSON ({e})"))?;
        let head = LineHead::deserialize(&value)
            .map_err(|e| format!("line {n} is not a bulk result line: {e}"))?;
        let Some(parent) = head.parent else {
            if let Some(o) = value.as_object_mut() {
                for c in &self.children {
                    o.entry(*c).or_insert_with(whole_connection);
                }
            }
            let record = Group {
                value,
                id: head.id,
                at: self.pos,
                line: n,
            };
            if let Some(done) = self.current.replace(record) {
                self.ready.push_back(done);
            }
            return Ok(());
        };
        let Some(owner) = self
            .current
            .as_mut()
            .filter(|c| c.id.as_deref() == Some(parent.as_str()))
        else {
            // Reading forward, a node whose record is not the one before it cannot be placed.
            return Err(format!(
                "line {n}: {} {} belongs to {parent}, which is not the record before it (the file is not grouped by parent)",
                head.typename.as_deref().unwrap_or("a node"),
                head.id.as_deref().unwrap_or("without id"),
            ));
        };
        // A type no connection of the listing takes is not part of the record.
        let Some(field) = (self.field_of)(head.typename.as_deref().unwrap_or("")) else {
            return Ok(());
        };
        let nodes = owner
            .value
            .as_object_mut()
            .map(|o| o.entry(field).or_insert_with(whole_connection))
            .and_then(|c| c.get_mut("nodes"))
            .and_then(Value::as_array_mut);
        if let Some(nodes) = nodes {
            nodes.push(value);
        }
        Ok(())
    }
}

/// A result file read forward from a record's offset.
pub(super) struct BulkFile {
    file: std::fs::File,
    regroup: Regroup,
    buf: Vec<u8>,
    eof: bool,
}

impl BulkFile {
    /// Opens `path` at byte `at`, where `regroup` was told reading begins.
    pub fn open(path: &Path, at: u64, regroup: Regroup) -> std::io::Result<BulkFile> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(at))?;
        Ok(BulkFile {
            file,
            regroup,
            buf: vec![0; CHUNK],
            eof: false,
        })
    }

    /// Whether byte `at` of `path` starts a line (the byte before it ends one).
    pub fn starts_line(path: &Path, at: u64) -> std::io::Result<bool> {
        if at == 0 {
            return Ok(true);
        }
        let mut file = std::fs::File::open(path)?;
        if file.metadata()?.len() < at {
            return Ok(false);
        }
        file.seek(SeekFrom::Start(at - 1))?;
        let mut b = [0u8; 1];
        file.read_exact(&mut b)?;
        Ok(b[0] == b'\n')
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> std::result::Result<Option<Group>, String> {
        loop {
            if let Some(g) = self.regroup.pop() {
                return Ok(Some(g));
            }
            if self.eof {
                return Ok(None);
            }
            let n = self
                .file
                .read(&mut self.buf)
                .map_err(|e| format!("cannot read the file: {e}"))?;
            if n == 0 {
                self.eof = true;
                self.regroup.finish()?;
            } else {
                self.regroup.feed(&self.buf[..n])?;
            }
        }
    }

    /// Where the first record not yet returned starts, `None` when every one was.
    pub fn next_start(&self) -> Option<(u64, u64)> {
        self.regroup.next_start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field_of(t: &str) -> Option<&'static str> {
        match t {
            "ProductVariant" => Some("variants"),
            "MediaImage" => Some("media"),
            _ => None,
        }
    }

    fn regroup() -> Regroup {
        Regroup::new(field_of, vec!["variants", "media", "collections"], 0, 1)
    }

    fn all(chunks: &[&[u8]]) -> std::result::Result<Vec<Group>, String> {
        let mut r = regroup();
        let mut out = vec![];
        for c in chunks {
            r.feed(c)?;
            while let Some(g) = r.pop() {
                out.push(g);
            }
        }
        r.finish()?;
        while let Some(g) = r.pop() {
            out.push(g);
        }
        Ok(out)
    }

    const FILE: &str = concat!(
        r#"{"id":"P1","title":"a"}"#,
        "\n",
        r#"{"__typename":"ProductVariant","id":"V1","__parentId":"P1"}"#,
        "\n",
        r#"{"__typename":"MediaImage","id":"M1","__parentId":"P1"}"#,
        "\n",
        r#"{"id":"P2","title":"b \u00e9"}"#,
        "\r\n",
        r#"{"__typename":"ProductVariant","id":"V2","__parentId":"P2"}"#,
        "\n",
        r#"{"__typename":"Unlisted","id":"X","__parentId":"P2"}"#,
        "\n",
        r#"{"id":"P3","title":"c"}"#,
    );

    #[test]
    fn nested_lines_regroup_under_the_record_before_them() {
        let out = all(&[FILE.as_bytes()]).expect("lines");
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].value["variants"]["nodes"][0]["id"], "V1");
        assert_eq!(out[0].value["media"]["nodes"][0]["id"], "M1");
        assert_eq!(out[1].value["variants"]["nodes"][0]["id"], "V2");
        // A connection no line names is there, empty and whole.
        assert_eq!(out[1].value["media"]["nodes"], json!([]));
        assert_eq!(
            out[0].value["collections"]["pageInfo"]["hasNextPage"],
            false
        );
        // Each record knows where its line starts, to resume there.
        assert_eq!((out[0].at, out[0].line), (0, 1));
        let p2 = FILE.find(r#"{"id":"P2""#).expect("P2") as u64;
        assert_eq!((out[1].at, out[1].line), (p2, 4));
        assert_eq!(out[2].line, 7);
    }

    #[test]
    fn a_malformed_line_is_named_by_its_number() {
        let text = format!("{FILE}\n{{\"id\":\"P4\"}}\n{{\"id\": oops}}\n");
        let e = all(&[text.as_bytes()]).expect_err("malformed");
        assert!(e.starts_with("line 9 is not JSON"), "{e}");
        // Counted from where reading began when it resumes mid-file.
        let mut r = Regroup::new(field_of, vec![], 100, 41);
        let e = r
            .feed(b"{\"id\":\"P\"}\nnot json\n")
            .expect_err("malformed");
        assert!(e.starts_with("line 42 is not JSON"), "{e}");
    }

    #[test]
    fn a_nested_line_away_from_its_record_is_refused_not_dropped() {
        let text = "{\"id\":\"P1\"}\n{\"id\":\"P2\"}\n{\"__typename\":\"ProductVariant\",\"id\":\"V1\",\"__parentId\":\"P1\"}\n";
        let e = all(&[text.as_bytes()]).expect_err("ungrouped");
        assert!(e.contains("line 3") && e.contains("not grouped"), "{e}");
    }

    #[test]
    fn a_file_is_read_from_a_saved_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, FILE).expect("write");
        let whole = all(&[FILE.as_bytes()]).expect("lines");
        let mut f = BulkFile::open(&path, 0, regroup()).expect("open");
        assert_eq!(f.next_record().expect("read"), Some(whole[0].clone()));
        let (at, line) = f.next_start().expect("more");
        assert!(BulkFile::starts_line(&path, at).expect("check"));
        assert!(!BulkFile::starts_line(&path, at + 1).expect("check"));
        let regroup = Regroup::new(field_of, vec!["variants", "media", "collections"], at, line);
        let mut g = BulkFile::open(&path, at, regroup).expect("open");
        assert_eq!(g.next_record().expect("read"), Some(whole[1].clone()));
        assert_eq!(g.next_record().expect("read"), Some(whole[2].clone()));
        assert_eq!(g.next_record().expect("read"), None);
        assert_eq!(g.next_start(), None);
    }

    #[test]
    fn result_files_are_named_by_store_and_operation() {
        let dir = Path::new("/x");
        let a = result_path(
            dir,
            "https://a.myshopify.com",
            "gid://shopify/BulkOperation/7",
        );
        let b = result_path(
            dir,
            "https://b.myshopify.com",
            "gid://shopify/BulkOperation/7",
        );
        assert_ne!(a, b);
        assert!(a.to_string_lossy().ends_with("-7.jsonl"), "{}", a.display());
        assert!(part_path(&a).to_string_lossy().ends_with("-7.jsonl.part"));
        assert_eq!(
            result_path(dir, "s", "../../etc/passwd").parent(),
            Some(dir),
            "an id never leaves the directory"
        );
    }

    #[test]
    fn content_ranges_give_start_and_total() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "content-range",
            "bytes 100-199/200".parse().expect("header"),
        );
        assert_eq!(content_range(&h), Some((100, Some(200))));
        h.insert("content-range", "bytes 5-9/*".parse().expect("header"));
        assert_eq!(content_range(&h), Some((5, None)));
    }

    proptest! {
        /// However the bytes arrive, the same records come out, at the same offsets.
        #[test]
        fn chunk_boundaries_change_nothing(
            cuts in proptest::collection::vec(0.0f64..1.0, 0..12),
            orders in 1usize..6,
            items in 0usize..4,
        ) {
            let mut text = FILE.to_string();
            text.push('\n');
            for o in 0..orders {
                text.push_str(&format!("{{\"id\":\"O{o}\",\"note\":\"é{o}\"}}\n"));
                for i in 0..items {
                    text.push_str(&format!("{{\"__typename\":\"MediaImage\",\"id\":\"I{o}-{i}\",\"__parentId\":\"O{o}\"}}\n"));
                }
            }
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> =
                cuts.into_iter().map(|c| (c * bytes.len() as f64) as usize).collect();
            cuts.sort_unstable();
            let mut chunks = vec![];
            let mut from = 0;
            for c in cuts {
                chunks.push(&bytes[from..c]);
                from = c;
            }
            chunks.push(&bytes[from..]);
            let whole = all(&[bytes]).expect("whole");
            prop_assert_eq!(whole.len(), 3 + orders);
            prop_assert_eq!(&all(&chunks).expect("chunked"), &whole);
        }
    }
}
