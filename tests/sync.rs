//! `storeshift sync` through the binary, WooCommerce sandbox → WooCommerce sandbox: after a
//! finished migration, source records are changed, added and deleted between cycles; each
//! cycle reads only what changed (the source's `modified_after`), every change reaches the
//! target exactly once (the target sandbox's creation log shows no record made twice), and a
//! deletion waits as an intervention until an operator decides it. A second test kills the
//! cycle with -9 ten times while it moves 200 changes. A third syncs from export files: a
//! cycle whose files have the content hash of the last cycle's reads nothing.

mod common;
use common::*;
use serde_json::{json, Value};
use std::process::{Command, Stdio};

fn api(sb: &SandboxProc, method: &str, path: &str, body: Option<&Value>) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    http_json(
        method,
        &format!("{}/wp-json/wc/v3{path}{sep}{WOO_CREDS}", sb.url),
        body,
    )
}

fn by_slug(sb: &SandboxProc, slug: &str) -> Vec<Value> {
    api(sb, "GET", &format!("/products?slug={slug}"), None)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const PRODUCTS_AND_CUSTOMERS: &str = "entities = [\"products\", \"customers\"]";

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn no_duplicates(sb: &SandboxProc) {
    let state = sb.state();
    assert_eq!(
        state["duplicates"].as_array().map(Vec::len),
        Some(0),
        "records created twice: {state}"
    );
}

#[test]
fn sync_moves_changes_additions_once_and_deletions_only_on_a_decision() {
    let src = SandboxProc::start(
        "woocommerce",
        &["--seed-products", "40", "--seed-customers", "10"],
    );
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = migrated_between(&src, &dst, PRODUCTS_AND_CUSTOMERS);
    assert_eq!(woo_products(&dst).len(), 40);

    // Nothing changed: a cycle moves nothing (what it re-reads of the window's first second
    // is skipped by content hash).
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    next_second();

    // Two price/name changes, one new product, one product deleted, one customer changed.
    let all = woo_products(&src);
    let (a, b, gone) = (&all[3], &all[7], &all[11]);
    api(
        &src,
        "PUT",
        &format!("/products/{}", a["id"]),
        Some(&json!({ "name": "Renamed while selling" })),
    );
    api(
        &src,
        "PUT",
        &format!("/products/{}", b["id"]),
        Some(&json!({ "regular_price": "77.00" })),
    );
    api(
        &src,
        "POST",
        "/products",
        Some(
            &json!({ "name": "Arrived after the migration", "slug": "arrived-late", "regular_price": "5.00" }),
        ),
    );
    api(
        &src,
        "DELETE",
        &format!("/products/{}?force=true", gone["id"]),
        None,
    );
    let customers = api(
        &src,
        "GET",
        "/customers?per_page=1&orderby=id&order=asc",
        None,
    );
    let cust = &customers[0];
    api(
        &src,
        "POST",
        "/customers/batch",
        Some(&json!({ "update": [{ "id": cust["id"], "first_name": "Changed" }] })),
    );

    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    let p = &c["counts"]["products"];
    assert_eq!(
        p["read"].as_u64().unwrap() - p["unchanged"].as_u64().unwrap(),
        3,
        "{c}"
    );
    assert_eq!(c["counts"]["products"]["created"], 1, "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 2, "{c}");

    assert_eq!(c["counts"]["customers"]["updated"], 1, "{c}");
    assert_eq!(c["deletions_reported"], 1, "{c}");
    assert_eq!(c["deleted"], 0, "{c}");
    no_duplicates(&dst);
    let slug_a = a["slug"].as_str().unwrap();
    let t = by_slug(&dst, slug_a);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["name"], "Renamed while selling");
    let slug_b = b["slug"].as_str().unwrap();
    assert_eq!(by_slug(&dst, slug_b).len(), 1);
    assert_eq!(by_slug(&dst, "arrived-late").len(), 1);
    // The deleted product is still in the target: nobody decided yet.
    let gone_slug = gone["slug"].as_str().unwrap();
    assert_eq!(by_slug(&dst, gone_slug).len(), 1);
    assert_eq!(woo_products(&dst).len(), 41);

    let ivs = deletion_interventions(&s);
    let status = s.status_json();
    assert_eq!(ivs.len(), 1, "{status:#}");
    let iv = &ivs[0];
    assert_eq!(iv["recommended"], "later");
    assert!(iv["decision"].is_null(), "{iv}");
    assert_eq!(iv["records"][0]["source_id"], gone["id"].to_string());

    // A cycle without a decision deletes nothing and raises nothing new; it reads only the
    // window's first second again (the three changes), skipped by hash: not the store.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert!(
        c["counts"]["products"]["read"].as_u64().unwrap() <= 3,
        "{c}"
    );
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(c["deletions_reported"], 0, "{c}");
    assert_eq!(by_slug(&dst, gone_slug).len(), 1);

    let id = iv["id"].as_str().unwrap();
    let o = storeshift(&[
        "decide",
        &s.ws_str(),
        id,
        "delete",
        "--note",
        "gone for good",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["deleted"], 1, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(by_slug(&dst, gone_slug).len(), 0);
    assert_eq!(woo_products(&dst).len(), 40);
    no_duplicates(&dst);

    // A cycle after everything settled moves nothing and deletes nothing more.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(
        (
            c["moved"].clone(),
            c["deleted"].clone(),
            c["deletions_reported"].clone()
        ),
        (json!(0), json!(0), json!(0)),
        "{c}"
    );
}

#[test]
fn sync_before_a_finished_migration_is_refused() {
    let src = SandboxProc::start("woocommerce", &["--seed-products", "2"]);
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config("");
    s.set_source(&src.endpoint_toml(""));
    let o = Command::new(bin())
        .args(["sync", &s.cfg(), "--headless"])
        .envs(SANDBOX_ENV)
        .output()
        .expect("sync");
    assert_ne!(o.status.code(), Some(0));
    assert!(
        text(&o).contains("run `storeshift run` first"),
        "{}",
        text(&o)
    );
}

#[test]
fn sync_killed_ten_times_moves_every_change_once() {
    let src = SandboxProc::start("woocommerce", &["--seed-products", "240"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = migrated_between(
        &src,
        &dst,
        &format!("{PRODUCTS_AND_CUSTOMERS}\nbatch_size = 5\nthrottle_ms = 100"),
    );
    assert_eq!(woo_products(&dst).len(), 240);
    let all = woo_products(&src);
    for p in all.iter().take(200) {
        api(
            &src,
            "PUT",
            &format!("/products/{}", p["id"]),
            Some(&json!({ "name": format!("{} v2", p["name"].as_str().unwrap()) })),
        );
    }
    let batches = || s.events_of("batch_committed").len() as u64;
    let points: Vec<KillPoint> = (0..10)
        .map(|_| KillPoint {
            what: "a batch committed",
            count: &batches,
            past: 1,
        })
        .collect();
    kill_nine_during_sync(&s, &[], &points);
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["created"], 0, "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 200, "{c}");
    no_duplicates(&dst);
    let target = woo_products(&dst);
    assert_eq!(target.len(), 240);
    let renamed = target
        .iter()
        .filter(|p| p["name"].as_str().unwrap_or("").ends_with(" v2"))
        .count();
    assert_eq!(renamed, 200);
    // Nothing left over for the next cycle.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0));
    assert_eq!(c["moved"], 0, "{c}");
}

/// A cycle killed after an entity's last batch committed but before its done step (a crash
/// point, the window being too narrow for a timed kill) resumes by finishing the entity: the
/// 20 changed products are updated once, not read and sent a second time.
#[test]
fn sync_killed_after_an_entitys_last_batch_sends_nothing_twice() {
    use std::os::unix::process::ExitStatusExt;
    let src = SandboxProc::start("woocommerce", &["--seed-products", "30"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = migrated_between(
        &src,
        &dst,
        &format!("{PRODUCTS_AND_CUSTOMERS}\nbatch_size = 5"),
    );
    next_second();
    for p in woo_products(&src).iter().take(20) {
        api(
            &src,
            "PUT",
            &format!("/products/{}", p["id"]),
            Some(&json!({ "name": format!("{} v2", p["name"].as_str().unwrap()) })),
        );
    }
    let mut env = SANDBOX_ENV.to_vec();
    env.push(("STORESHIFT_CRASH_AT", "sync/products/read-all"));
    let status = s
        .spawn_env(&["sync", &s.ws_str(), "--headless"], &env)
        .wait()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(6),
        "the cycle did not stop at the crash point ({status}):\n{}",
        s.logs()
    );
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 20, "{c}");
    assert_eq!(c["counts"]["products"]["created"], 0, "{c}");
    no_duplicates(&dst);
    let renamed = woo_products(&dst)
        .iter()
        .filter(|p| p["name"].as_str().unwrap_or("").ends_with(" v2"))
        .count();
    assert_eq!(renamed, 20);
}

/// Where a kill lands: once `count` (something a cycle makes grow) is `past` beyond what it
/// was when the process started.
struct KillPoint<'a> {
    what: &'a str,
    count: &'a dyn Fn() -> u64,
    past: u64,
}

/// Starts `storeshift sync WS --headless` once per kill point and kills it with SIGKILL when
/// the point is reached; the first start gets `first_args` (`--full`), the later ones resume.
/// Each process must still be working when its kill lands: a cycle that finished in between
/// would leave nothing interrupted to test.
fn kill_nine_during_sync(s: &Scenario, first_args: &[&str], points: &[KillPoint]) {
    let ws = s.ws_str();
    for (i, p) in points.iter().enumerate() {
        let before = (p.count)();
        let mut args = vec!["sync", ws.as_str(), "--headless"];
        if i == 0 {
            args.extend_from_slice(first_args);
        }
        let mut child = s.spawn_env(&args, &SANDBOX_ENV);
        wait_until(60, &format!("{} before kill {i}", p.what), || {
            (p.count)() >= before + p.past
        });
        let exited = child.try_wait().ok().flatten();
        child.kill().expect("kill -9");
        let _ = child.wait();
        assert!(
            exited.is_none(),
            "the sync ended ({exited:?}) before kill {i} landed: {}",
            s.logs()
        );
    }
}

/// `sync --full` killed with -9 six times while it reads the whole store, half of the kills
/// at a batch's commit and half in the middle of a batch (the target has seen some of its
/// requests): it resumes as the full cycle it began as, each of the 120 renamed products is
/// updated once, the 4 products added are created once (the target's creation log has no
/// key twice), the others are skipped by hash, and the cycle after it has nothing to move.
#[test]
fn a_full_sync_killed_six_times_moves_every_change_once() {
    let src = SandboxProc::start("woocommerce", &["--seed-products", "160"]);
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = migrated_between(
        &src,
        &dst,
        &format!("{PRODUCTS_AND_CUSTOMERS}\nbatch_size = 5\nthrottle_ms = 100"),
    );
    assert_eq!(woo_products(&dst).len(), 160);
    let all = woo_products(&src);
    for p in all.iter().take(120) {
        api(
            &src,
            "PUT",
            &format!("/products/{}", p["id"]),
            Some(&json!({ "name": format!("{} v3", p["name"].as_str().unwrap_or("")) })),
        );
    }
    for i in 0..4 {
        api(
            &src,
            "POST",
            "/products",
            Some(
                &json!({ "name": format!("Added before the full cycle {i}"), "type": "simple",
                "regular_price": "9.50", "sku": format!("ADDED-{i}") }),
            ),
        );
    }
    let batches = || s.events_of("batch_committed").len() as u64;
    let requests = || n(&dst.state()["requests"]);
    let points: Vec<KillPoint> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                KillPoint {
                    what: "a batch committed",
                    count: &batches,
                    past: 1,
                }
            } else {
                // Three requests past the start: a batch written to the target, maybe not yet committed.
                KillPoint {
                    what: "requests reaching the target",
                    count: &requests,
                    past: 3,
                }
            }
        })
        .collect();
    kill_nine_during_sync(&s, &["--full"], &points);

    // Resumed without `--full`: the interrupted cycle is still the full one.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}\n{}", s.logs());
    assert_eq!(c["full"], true, "resumed as it began: {c}");
    let p = &c["counts"]["products"];
    assert_eq!(p["updated"], 120, "{c}");
    assert_eq!(p["created"], 4, "{c}");
    assert_eq!(p["failed"], 0, "{c}");
    // Read whole: every product, the unchanged skipped by hash.
    assert!(c["since"]["products"].is_null(), "{c}");
    assert!(n(&p["read"]) >= 164, "{c}");
    no_duplicates(&dst);
    let target = woo_products(&dst);
    assert_eq!(target.len(), 164);
    let renamed = target
        .iter()
        .filter(|p| p["name"].as_str().unwrap_or("").ends_with(" v3"))
        .count();
    assert_eq!(renamed, 120);
    for i in 0..4 {
        assert_eq!(
            named(&target, &format!("Added before the full cycle {i}")).len(),
            1
        );
    }
    // Exactly one full cycle ran: every sync run the kills interrupted was that one.
    let o = storeshift(&["status", &s.ws_str()]);
    assert!(
        text(&o).contains("(sync cycle, full: every entity read whole)"),
        "{}",
        text(&o)
    );
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["full"], false, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
}

/// A file source: a cycle whose export files have the bytes the last cycle read reads
/// nothing and says so; an edited file is read whole and only its changed records move.
#[test]
fn sync_from_export_files_reads_nothing_while_the_files_are_unchanged() {
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = Scenario::generated(
        100,
        "entities = [\"products\", \"customers\"]\n\n[sync]\noverlap = \"0s\"",
    );
    s.set_target(&dst.endpoint_toml("retry_base_ms = 20, retry_max_ms = 500"));
    assert_eq!(s.run_headless(180), Some(0), "migration: {}", s.logs());
    let migrated = woo_products(&dst).len();
    assert!(migrated >= 5, "{migrated} products migrated");

    // The first cycle has no hash to compare with: it reads the files whole, moves nothing.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    let whole = n(&c["counts"]["products"]["read"]);
    assert!(whole >= migrated as u64, "{c}");
    assert!(n(&c["counts"]["customers"]["read"]) >= 10, "{c}");

    // Same files: nothing is read, and the cycle says why.
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["read"], 0, "{c}");
    assert_eq!(c["moved"], 0, "{c}");
    assert_eq!(
        c["files_unchanged"],
        json!(["products", "customers"]),
        "{c}"
    );

    // One customer and one product edited in the export: only the customers file and the
    // products file are read again, and only the edited records move.
    let source = s.path().join("source");
    let edit = |file: &str, from: &str, to: &str| {
        let path = source.join(file);
        let text = std::fs::read_to_string(&path).expect("export file");
        assert!(text.contains(from), "{from} in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write export");
    };
    edit("customers.csv", "\n2,Liam,Miller,", "\n2,Leopold,Miller,");
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["files_unchanged"], json!(["products"]), "{c}");
    assert_eq!(n(&c["counts"]["products"]["read"]), 0, "{c}");
    let cu = &c["counts"]["customers"];
    assert!(n(&cu["read"]) >= 10, "{c}");
    assert_eq!(cu["updated"], 1, "{c}");
    assert_eq!(n(&cu["read"]) - n(&cu["unchanged"]), 1, "{c}");
    assert_eq!(c["moved"], 1, "{c}");

    let first = woo_products(&dst)
        .into_iter()
        .next()
        .and_then(|p| p["name"].as_str().map(str::to_string))
        .expect("a migrated product");
    edit(
        "products.csv",
        &format!(",{first},"),
        ",Renamed in the export,",
    );
    let (code, c) = sync_cycle(&s);
    assert_eq!(code, Some(0), "{c}");
    assert_eq!(c["files_unchanged"], json!(["customers"]), "{c}");
    assert_eq!(n(&c["counts"]["customers"]["read"]), 0, "{c}");
    assert_eq!(n(&c["counts"]["products"]["read"]), whole, "{c}");
    assert_eq!(c["counts"]["products"]["updated"], 1, "{c}");
    assert_eq!(c["moved"], 1, "{c}");
    let target = woo_products(&dst);
    assert_eq!(target.len(), migrated);
    assert_eq!(
        target
            .iter()
            .filter(|p| p["name"] == "Renamed in the export")
            .count(),
        1
    );
    no_duplicates(&dst);
}

/// The largest event sequence number the workspace's log file holds (events are mirrored
/// into it as they happen).
fn last_logged_seq(s: &Scenario) -> u64 {
    let dir = s.ws().join("logs");
    std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| {
                    let rest = l.split("seq=").nth(1)?;
                    rest.split(|c: char| !c.is_ascii_digit())
                        .next()?
                        .parse::<u64>()
                        .ok()
                })
                .collect::<Vec<_>>()
        })
        .max()
        .unwrap_or(0)
}

/// `sync --every` headless runs cycle after cycle in one process: the `--metrics` port is
/// bound once and follows each cycle (a second bind of the same port would end the sync),
/// and every cycle's events reach the log file, not only the first cycle's.
#[test]
fn sync_every_keeps_its_metrics_port_and_its_log_across_cycles() {
    use std::io::{BufRead, Read as _, Write as _};
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = Scenario::generated(
        40,
        &format!("{PRODUCTS_AND_CUSTOMERS}\n\n[sync]\noverlap = \"0s\""),
    );
    s.set_target(&dst.endpoint_toml("retry_base_ms = 20, retry_max_ms = 500"));
    assert_eq!(s.run_headless(180), Some(0), "migration: {}", s.logs());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(bin())
        .args([
            "sync",
            &s.ws_str(),
            "--every",
            "1s",
            "--headless",
            "--events",
            "jsonl",
            "--metrics",
            &addr,
        ])
        .envs(SANDBOX_ENV)
        .env("USER", "tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sync");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v["type"] == "sync_cycle" && tx.send(v).is_err() {
                    return;
                }
            }
        }
    });
    let next_cycle = |what: &str| {
        rx.recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("{what}: no sync_cycle line; logs: {}", s.logs()))
    };
    let scrape = || -> String {
        let Ok(mut c) = std::net::TcpStream::connect(&addr) else {
            return String::new();
        };
        let _ = c.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
        let mut body = String::new();
        let _ = c.read_to_string(&mut body);
        body
    };

    let first = next_cycle("the first cycle");
    // The first cycle's events are in the log once its writer flushed them.
    let mut after_first = 0;
    wait_until(10, "the first cycle's events in the log", || {
        after_first = last_logged_seq(&s);
        after_first > 0
    });
    let second = next_cycle("the second cycle");
    let third = next_cycle("the third cycle");
    assert!(
        second["run"].as_u64() > first["run"].as_u64()
            && third["run"].as_u64() > second["run"].as_u64(),
        "each cycle is a run of its own: {first} {second} {third}"
    );
    let mut seen = String::new();
    wait_until(10, "metrics of a later cycle", || {
        seen = scrape();
        seen.lines().next().is_some_and(|l| l.contains(" 200 "))
            && seen.contains("storeshift_run_state{run=\"")
    });
    let run_of_metrics = seen
        .split("storeshift_run_state{run=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|r| r.parse::<u64>().ok())
        .expect("a run number in the metrics");
    assert!(
        Some(run_of_metrics) > first["run"].as_u64(),
        "the metrics follow the cycles: run {run_of_metrics} after {first}\n{seen}"
    );
    wait_until(10, "a later cycle's events in the log", || {
        last_logged_seq(&s) > after_first
    });
    assert_eq!(child.try_wait().expect("wait"), None, "sync ended early");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut status = None;
    wait_until(60, "sync stops on SIGTERM", || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(4),
        "stopped, checkpointed"
    );
}
