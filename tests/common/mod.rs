//! Helpers for end-to-end tests: run the real binary in a scratch workspace and wait on
//! conditions (never on fixed sleeps).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_storeshift")
}

pub fn storeshift(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("USER", "tester")
        .env_remove("SSH_CLIENT")
        .output()
        .expect("run storeshift")
}

pub fn spawn(args: &[&str]) -> Child {
    Command::new(bin())
        .args(args)
        .env("USER", "tester")
        .env_remove("SSH_CLIENT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storeshift")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Polls `cond` until it holds or `secs` pass (then panics with `what`).
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(5));
    }
    panic!("timed out after {secs}s waiting for: {what}");
}

/// A generated WooCommerce store plus a migration.toml into Shopify files.
pub struct Scenario {
    pub dir: tempfile::TempDir,
}

impl Scenario {
    /// `variant_rows` sized store; `extra_run` lines go into [run].
    pub fn generated(variant_rows: usize, extra_run: &str) -> Scenario {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("source");
        let o = storeshift(&[
            "generate",
            src.to_str().unwrap(),
            "--variant-rows",
            &variant_rows.to_string(),
        ]);
        assert!(o.status.success(), "generate failed: {}", text(&o));
        let s = Scenario { dir };
        s.write_config(extra_run);
        s
    }

    pub fn demo() -> Scenario {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("source");
        let o = storeshift(&["generate", src.to_str().unwrap(), "--demo"]);
        assert!(o.status.success(), "generate failed: {}", text(&o));
        let s = Scenario { dir };
        s.write_config("");
        s
    }

    pub fn write_config(&self, extra_run: &str) {
        let cfg = format!(
            "name = \"test-store\"\nworkspace = \"ws\"\n\n[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"source\"\ncurrency = \"USD\"\ntimezone = \"UTC\"\n\n[target]\nplatform = \"shopify\"\nkind = \"files\"\n\n[run]\n{extra_run}\n"
        );
        std::fs::write(self.config(), cfg).expect("write config");
    }

    /// Spawns the binary with stderr kept in `<scenario>/logs/N.log` (shown by `logs()`).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.spawn_env(args, &[])
    }

    /// [`Scenario::spawn`] with extra environment variables.
    pub fn spawn_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Child {
        let dir = self.dir.path().join("logs");
        std::fs::create_dir_all(&dir).expect("logs dir");
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        let log = std::fs::File::create(dir.join(format!("{n:03}.log"))).expect("log file");
        Command::new(bin())
            .args(args)
            .env("USER", "tester")
            .env_remove("SSH_CLIENT")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn storeshift")
    }

    /// The stderr of every spawned run, for failure messages.
    pub fn logs(&self) -> String {
        let dir = self.dir.path().join("logs");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|p| {
                let t = std::fs::read_to_string(p).unwrap_or_default();
                let tail: Vec<&str> = t.lines().rev().take(8).collect();
                format!(
                    "== {}\n{}",
                    p.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("migration.toml")
    }
    pub fn cfg(&self) -> String {
        self.config().display().to_string()
    }
    pub fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }
    pub fn ws_str(&self) -> String {
        self.ws().display().to_string()
    }
    pub fn output(&self, run: u32) -> PathBuf {
        self.ws().join("output").join(format!("run-{run}"))
    }
    /// Number of lines in the event log mirror (grows as batches commit).
    pub fn event_lines(&self) -> usize {
        std::fs::read_to_string(self.ws().join("events.jsonl"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.ws().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == kind)
            .collect()
    }
    pub fn report_json(&self) -> serde_json::Value {
        let s = std::fs::read_to_string(self.ws().join("report").join("report.json"))
            .expect("report.json");
        serde_json::from_str(&s).expect("report.json parses")
    }
    pub fn status_json(&self) -> serde_json::Value {
        let o = storeshift(&["status", &self.ws_str(), "--json"]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("status --json: {}", text(&o)))
    }
}

/// Handles (first column "URL handle" of the current Shopify header) in a products CSV, one per
/// product (a product spans several rows).
pub fn product_handles(products_csv: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(products_csv).expect("products.csv");
    let headers = r.headers().expect("header").clone();
    let col = headers
        .iter()
        .position(|h| h == "URL handle")
        .expect("URL handle column");
    let mut out: Vec<String> = vec![];
    for rec in r.records() {
        let rec = rec.expect("row");
        let h = rec.get(col).unwrap_or("").to_string();
        if out.last() != Some(&h) {
            out.push(h);
        }
    }
    out
}

/// A platform sandbox (`storeshift sandbox`) running as its own process; killed when dropped.
pub struct SandboxProc {
    child: Child,
    pub platform: String,
    pub url: String,
}

impl Drop for SandboxProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SandboxProc {
    /// Starts `storeshift sandbox PLATFORM --port 0 EXTRA...` and reads its URL.
    pub fn start(platform: &str, extra: &[&str]) -> SandboxProc {
        use std::io::BufRead;
        let mut child = Command::new(bin())
            .args(["sandbox", platform, "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sandbox");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("sandbox url");
        assert!(
            line.starts_with("http://127.0.0.1:"),
            "sandbox said {line:?}"
        );
        SandboxProc {
            child,
            platform: platform.to_string(),
            url: line.trim().to_string(),
        }
    }

    /// `GET /__sandbox/state`: counts, duplicates, requests.
    pub fn state(&self) -> serde_json::Value {
        http_json("GET", &format!("{}/__sandbox/state", self.url), None)
    }

    /// `GET /__sandbox/faults`: requests, injected, scripted.
    pub fn faults(&self) -> serde_json::Value {
        http_json("GET", &format!("{}/__sandbox/faults", self.url), None)
    }

    /// The `[target]` or `[source]` body (after the header) that reaches this sandbox with its
    /// default credentials read from environment variables; `options` go into the endpoint.
    pub fn endpoint_toml(&self, options: &str) -> String {
        let u = &self.url;
        let (creds, extra) = match self.platform.as_str() {
            "shopify" => ("token = \"SB_SHOPIFY_TOKEN\"", String::new()),
            "woocommerce" => (
                "consumer_key = \"SB_WOO_KEY\", consumer_secret = \"SB_WOO_SECRET\", wp_user = \"SB_WP_USER\", wp_app_password = \"SB_WP_APP_PASSWORD\"",
                String::new(),
            ),
            "bigcommerce" => ("token = \"SB_BC_TOKEN\"", "store_hash = \"sandbox\", ".into()),
            "magento" => (
                "username = \"SB_MAGENTO_USER\", password = \"SB_MAGENTO_PASSWORD\"",
                String::new(),
            ),
            "ikas" => (
                "client_id = \"SB_IKAS_ID\", client_secret = \"SB_IKAS_SECRET\"",
                format!("api_url = \"{u}\", "),
            ),
            "ideasoft" => ("token = \"SB_IDEASOFT_TOKEN\"", String::new()),
            other => panic!("no sandbox endpoint for {other}"),
        };
        format!(
            "platform = \"{}\"\nkind = \"api\"\nurl = \"{u}\"\ncurrency = \"USD\"\ncredentials = {{ {creds} }}\noptions = {{ {extra}{options} }}\n",
            self.platform
        )
    }
}

/// The sandboxes' default credentials, under the names [`SandboxProc::endpoint_toml`] uses.
pub const SANDBOX_ENV: [(&str, &str); 11] = [
    ("SB_WP_USER", "admin"),
    ("SB_WP_APP_PASSWORD", "abcd EFGH 1234 ijkl MNOP 6789"),
    ("SB_SHOPIFY_TOKEN", "shpat_sandbox"),
    ("SB_WOO_KEY", "ck_sandbox"),
    ("SB_WOO_SECRET", "cs_sandbox"),
    ("SB_BC_TOKEN", "bc_sandbox_token"),
    ("SB_MAGENTO_USER", "admin"),
    ("SB_MAGENTO_PASSWORD", "sandbox123"),
    ("SB_IKAS_ID", "ikas_client"),
    ("SB_IKAS_SECRET", "ikas_secret"),
    ("SB_IDEASOFT_TOKEN", "ideasoft_sandbox_token"),
];

/// A tiny HTTP/1.0 JSON call to a sandbox on 127.0.0.1 (no client crate needed in the tests).
pub fn http_json(method: &str, url: &str, body: Option<&serde_json::Value>) -> serde_json::Value {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    http_call(&format!("http://{host}"), method, &path, &[], body)
}

/// A raw HTTP/1.0 call to a sandbox at `url` with extra headers (credentials); the reply's
/// JSON body (`Null` when empty).
pub fn http_call(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let mut c = std::net::TcpStream::connect(host).expect("connect sandbox");
    write!(
        c,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .expect("send");
    let mut reply = String::new();
    c.read_to_string(&mut reply).expect("read");
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    if body.trim().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {url}{path}: {e}: {reply}"))
}

impl Scenario {
    /// Replaces the config's `[target]` section with `body` (the lines after the header).
    pub fn set_target(&self, body: &str) {
        self.set_section("target", body);
    }

    /// Replaces the config's `[source]` section with `body`.
    pub fn set_source(&self, body: &str) {
        self.set_section("source", body);
    }

    fn set_section(&self, name: &str, body: &str) {
        let cfg = std::fs::read_to_string(self.config()).expect("config");
        let header = format!("[{name}]\n");
        let start = cfg.find(&header).expect("section") + header.len();
        let end = cfg[start..]
            .find("\n[")
            .map(|i| start + i + 1)
            .unwrap_or(cfg.len());
        let out = format!("{}{body}\n{}", &cfg[..start], &cfg[end..]);
        std::fs::write(self.config(), out).expect("write config");
    }

    /// Runs `storeshift run CONFIG --headless --interventions recommended` with the sandbox
    /// credentials and waits for it (bounded by `secs`); returns the exit code.
    pub fn run_headless(&self, secs: u64) -> Option<i32> {
        let mut child = self.spawn_env(
            &[
                "run",
                &self.cfg(),
                "--headless",
                "--interventions",
                "recommended",
            ],
            &SANDBOX_ENV,
        );
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the run did not finish in {secs}s:\n{}", self.logs());
            }
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }
}

/// A local "new store" on 127.0.0.1 answering each path from `routes` (status, Location;
/// anything else 200). Returns its base URL; the server lives as long as the test process.
pub fn serve_redirects(routes: std::collections::HashMap<String, (u16, Option<String>)>) -> String {
    let routes = std::sync::Arc::new(routes);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let routes = routes.clone();
                async move {
                    let mut b = axum::http::Response::builder();
                    // A real server matches the decoded path (`/product/kadın-…/`).
                    let status = match routes.get(&percent_decoded(uri.path())) {
                        Some((s, loc)) => {
                            if let Some(l) = loc {
                                b = b.header("location", l.as_str());
                            }
                            *s
                        }
                        None => 200,
                    };
                    b.status(status)
                        .body(axum::body::Body::empty())
                        .expect("response")
                }
            });
            let _ = axum::serve(listener, app).await;
        });
    });
    format!("http://{addr}")
}

/// `%C4%B1` → `ı`: the path as the store's router sees it.
pub fn percent_decoded(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A migration from the sandbox `src` into the sandbox `dst`, run headless to its end, with
/// `run` as the `[run]` section's lines (entities, …) and no sync overlap, so a sync test's
/// windows start exactly where the run ended.
pub fn migrated_between(src: &SandboxProc, dst: &SandboxProc, run: &str) -> Scenario {
    migrated_with_sync(src, dst, run, "overlap = \"0s\"")
}

/// [`migrated_between`] with its own `[sync]` section (the lines after the header).
pub fn migrated_with_sync(src: &SandboxProc, dst: &SandboxProc, run: &str, sync: &str) -> Scenario {
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config(&format!("{run}\n\n[sync]\n{sync}"));
    let fast = "retry_base_ms = 20, retry_max_ms = 500";
    s.set_source(&src.endpoint_toml(fast));
    s.set_target(&dst.endpoint_toml(fast));
    assert_eq!(s.run_headless(240), Some(0), "migration: {}", s.logs());
    s
}

/// One `storeshift sync WS --headless --events jsonl` cycle against the sandboxes: its exit
/// code and its `sync_cycle` event (or the whole output when there is none).
pub fn sync_cycle(s: &Scenario) -> (Option<i32>, serde_json::Value) {
    sync_cycle_with(s, SANDBOX_ENV)
}

/// `storeshift sync WS --full --headless --events jsonl`: [`sync_cycle`], a full one.
pub fn full_sync_cycle(s: &Scenario) -> (Option<i32>, serde_json::Value) {
    sync_cycle_run(s, &["--full"], SANDBOX_ENV)
}

/// [`sync_cycle`] with its own environment (an engine's credentials).
pub fn sync_cycle_with<K, V>(
    s: &Scenario,
    env: impl IntoIterator<Item = (K, V)>,
) -> (Option<i32>, serde_json::Value)
where
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    sync_cycle_run(s, &[], env)
}

fn sync_cycle_run<K, V>(
    s: &Scenario,
    extra: &[&str],
    env: impl IntoIterator<Item = (K, V)>,
) -> (Option<i32>, serde_json::Value)
where
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let o = Command::new(bin())
        .args(["sync", &s.ws_str(), "--headless", "--events", "jsonl"])
        .args(extra)
        .envs(env)
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .expect("run sync");
    let line = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "sync_cycle")
        .unwrap_or_else(|| serde_json::json!({ "output": text(&o) }));
    (o.status.code(), line)
}

/// The deletions a sync reported that wait for a decision (`sync/deletions/…` interventions).
pub fn deletion_interventions(s: &Scenario) -> Vec<serde_json::Value> {
    let status = s.status_json();
    status["interventions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| {
            i["step"]
                .as_str()
                .unwrap_or("")
                .starts_with("sync/deletions/")
        })
        .collect()
}

/// Waits until the wall clock is in a later second (the sandboxes keep whole seconds), so the
/// changes made next are newer than everything before them.
pub fn next_second() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    let start = now();
    wait_until(3, "the next second", || now() > start);
}

/// The WooCommerce sandbox's REST credentials, as query parameters.
pub const WOO_CREDS: &str = "consumer_key=ck_sandbox&consumer_secret=cs_sandbox";

/// Every product of the WooCommerce target.
pub fn woo_products(sb: &SandboxProc) -> Vec<serde_json::Value> {
    let mut out = vec![];
    for page in 1.. {
        let v = http_json(
            "GET",
            &format!(
                "{}/wp-json/wc/v3/products?per_page=100&page={page}&orderby=id&order=asc&{WOO_CREDS}",
                sb.url
            ),
            None,
        );
        let items = v.as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return out;
        }
        out.extend(items);
    }
    out
}

pub fn woo_customers(sb: &SandboxProc) -> Vec<serde_json::Value> {
    http_json(
        "GET",
        &format!(
            "{}/wp-json/wc/v3/customers?per_page=100&{WOO_CREDS}",
            sb.url
        ),
        None,
    )
    .as_array()
    .cloned()
    .unwrap_or_default()
}

/// The products with this name.
pub fn named<'a>(products: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    products.iter().filter(|p| p["name"] == name).collect()
}
