//! The runtime's promises, checked on the real binary: kill -9 at random moments loses and
//! duplicates nothing, a paused run stays paused (even across a kill), interventions come back
//! with the same ids, and a damaged state database gives a way forward instead of a panic.

mod common;
use common::*;
use std::collections::HashSet;

/// Compares every file of two output trees byte for byte.
fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    let mut names: Vec<_> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for n in names {
        let (pa, pb) = (a.join(&n), b.join(&n));
        if pa.is_dir() {
            assert_same_tree(&pa, &pb);
            continue;
        }
        let (x, y) = (std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
        assert!(
            x == y,
            "{} differs from the uninterrupted run ({} vs {} bytes)",
            pb.display(),
            y.len(),
            x.len()
        );
    }
}

/// A cheap deterministic "random" sequence so failures can be replayed.
/// The last resume of a killed run finishes, and its output is the uninterrupted run's, byte
/// for byte, with every product once.
fn assert_final_resume_matches(s: &Scenario, reference: &Scenario) {
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "final resume failed: {}",
        text(&o)
    );
    assert_same_tree(&reference.output(1), &s.output(1));
    let handles = product_handles(&s.output(1).join("products.csv"));
    let unique: HashSet<_> = handles.iter().collect();
    assert_eq!(unique.len(), handles.len(), "duplicated products");
    let expected = product_handles(&reference.output(1).join("products.csv"));
    assert_eq!(handles.len(), expected.len(), "missing products");
}

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn kill_dash_nine_at_random_moments_loses_and_duplicates_nothing() {
    let run = "batch_size = 10\nthrottle_ms = 10";
    let reference = Scenario::generated(6000, run);
    let o = storeshift(&["run", &reference.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let s = Scenario::generated(6000, run);
    let mut seed = 0x5eed_u64;
    let mut kills = 0;
    while kills < 12 {
        let mut child = s.spawn(&["run", &s.cfg(), "--headless"]);
        // Kill after a random number of further committed events (so: mid-batch, mid-phase).
        let start = s.event_lines();
        let wait_for = 1 + (lcg(&mut seed) % 12) as usize;
        let mut finished = false;
        wait_until(60, "progress before the kill", || {
            if let Ok(Some(_)) = child.try_wait() {
                finished = true;
                return true;
            }
            s.event_lines() >= start + wait_for
        });
        if finished {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    assert!(
        kills >= 10,
        "only {kills} kills landed before the run finished:\n{}",
        s.logs()
    );
    assert_final_resume_matches(&s, &reference);
    // The event log never reuses or skips a sequence number across all those kills.
    let seqs: Vec<u64> = std::fs::read_to_string(s.ws().join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "events.jsonl sequence broken"
    );
}

/// The entities a generated store moves, in the executor's order (categories are derived
/// from the products, redirects from everything moved before them).
const MOVED: [&str; 6] = [
    "categories",
    "products",
    "customers",
    "orders",
    "pages",
    "redirects",
];

/// A kill after an entity's last batch committed but before its done step (a window too
/// narrow for a timed kill: 1 run in 6 of the test above) used to start the entity over on
/// resume and write every record again, collections.csv twice over. Crash points stop the run
/// exactly there, for each entity in turn; every resumed run must finish the entity from the
/// checkpoint, so the output equals an uninterrupted run's byte for byte.
#[test]
fn a_kill_between_an_entitys_last_batch_and_its_end_writes_nothing_twice() {
    use std::os::unix::process::ExitStatusExt;
    let run = "batch_size = 10";
    let reference = Scenario::generated(300, run);
    let o = storeshift(&["run", &reference.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let s = Scenario::generated(300, run);
    for entity in MOVED {
        let point = format!("execution/{entity}/read-all");
        let status = s
            .spawn_env(
                &["run", &s.cfg(), "--headless"],
                &[("STORESHIFT_CRASH_AT", &point)],
            )
            .wait()
            .unwrap();
        // SIGABRT: the run died at the crash point, so the resumed run below starts there.
        assert_eq!(
            status.signal(),
            Some(6),
            "the run did not stop at {point} ({status}):\n{}",
            s.logs()
        );
    }
    assert_final_resume_matches(&s, &reference);
    let mut r = csv::Reader::from_path(s.output(1).join("collections.csv")).unwrap();
    let col = r.headers().unwrap().iter().position(|h| h == "Handle");
    let collections: Vec<String> = r
        .records()
        .map(|row| row.unwrap()[col.expect("Handle column")].to_string())
        .collect();
    let unique: HashSet<_> = collections.iter().collect();
    assert!(!collections.is_empty(), "no collections written");
    assert_eq!(unique.len(), collections.len(), "duplicated collections");
    // Each entity is reported done once, with the counts of the uninterrupted run.
    let done = |sc: &Scenario| -> Vec<String> {
        sc.events_of("log")
            .iter()
            .filter_map(|e| e["message"].as_str())
            .filter(|m| MOVED.iter().any(|e| m.starts_with(&format!("{e} done: "))))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(done(&s), done(&reference), "{}", s.logs());
}

#[test]
fn a_paused_run_makes_no_progress_and_comes_back_paused_after_kill() {
    let s = Scenario::generated(3000, "batch_size = 20\nthrottle_ms = 10");
    let mut child = s.spawn(&["run", &s.cfg(), "--headless"]);
    wait_until(60, "loading to start", || {
        !s.events_of("batch_committed").is_empty()
    });
    let o = storeshift(&["pause", &s.ws_str()]);
    assert!(o.status.success(), "{}", text(&o));
    wait_until(20, "PAUSED", || s.status_json()["state"] == "paused");
    // Paused: the committed counts stand still while we keep looking.
    let done = |st: &serde_json::Value| -> u64 {
        st["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let c = &e["counts"];
                ["created", "updated", "unchanged", "failed", "skipped"]
                    .iter()
                    .map(|k| c[k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .sum()
    };
    let at_pause = done(&s.status_json());
    let batches = s.events_of("batch_committed").len();
    for _ in 0..50 {
        assert_eq!(
            done(&s.status_json()),
            at_pause,
            "a paused run made progress"
        );
    }
    // Killed while paused, it comes back paused.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut child = s.spawn(&["run", &s.cfg(), "--headless"]);
    wait_until(30, "the restarted run to answer", || {
        s.ws().join("control.sock").exists() && s.status_json()["state"] == "paused"
    });
    for _ in 0..50 {
        assert_eq!(
            done(&s.status_json()),
            at_pause,
            "a run restarted while paused made progress"
        );
    }
    assert_eq!(s.events_of("batch_committed").len(), batches);
    let o = storeshift(&["resume", &s.ws_str()]);
    assert!(o.status.success(), "{}", text(&o));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", s.logs());
    assert!(
        s.events_of("batch_committed").len() > batches,
        "resumed run did not go on"
    );
    let pauses = s.events_of("paused");
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0]["by"]["user"], "tester");
    assert_eq!(pauses[0]["by"]["via"], "cli");
}

#[test]
fn interventions_survive_restarts_with_the_same_ids_and_record_who_decided() {
    let s = Scenario::demo();
    let o = storeshift(&["run", &s.cfg(), "--headless", "--interventions", "ask"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "expected to stop for the operator: {}",
        text(&o)
    );
    let ids = |s: &Scenario| -> Vec<String> {
        s.status_json()["interventions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let first = ids(&s);
    assert!(first.len() >= 5, "{first:?}");
    // Restarting does not re-create them.
    let o = storeshift(&["run", &s.cfg(), "--headless", "--interventions", "ask"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(ids(&s), first);
    assert_eq!(s.events_of("intervention_raised").len(), first.len());
    // Decide by id, offline, with a reason; then let the rest take their recommended options.
    let dup = s.status_json()["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["step"] == "assessment/duplicate_sku")
        .cloned()
        .expect("duplicate SKU intervention");
    let id = dup["id"].as_str().unwrap();
    let o = storeshift(&[
        "decide",
        &s.ws_str(),
        id,
        "keep",
        "--note",
        "the ERP owns SKUs",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = storeshift(&["decide", &s.ws_str(), id, "suffix"]);
    assert!(
        !o.status.success(),
        "a decided intervention must not be decided again"
    );
    let o = storeshift(&["decide", &s.ws_str(), "iv-0000000000", "keep"]);
    assert!(!o.status.success() && text(&o).contains("no intervention with id"));
    let o = storeshift(&[
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = s.report_json();
    let decided = report["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(decided["decision"]["option"], "keep");
    assert_eq!(decided["decision"]["by"]["user"], "tester");
    assert_eq!(decided["decision"]["by"]["via"], "cli");
    assert_eq!(decided["decision"]["note"], "the ERP owns SKUs");
    assert!(decided["decision"]["at"]
        .as_str()
        .unwrap()
        .starts_with("20"));
}

#[test]
fn damaged_state_gives_a_clear_message_and_recover_gets_the_run_going() {
    let s = Scenario::generated(300, "batch_size = 50");
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0));
    for entry in std::fs::read_dir(s.ws().join("state")).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::write(&p, vec![0x5Au8; 8192]).unwrap();
        }
    }
    let o = storeshift(&["status", &s.ws_str()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("damaged") && t.contains("storeshift recover"),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
    // The event log is still readable from its mirror.
    let o = storeshift(&["events", &s.ws_str()]);
    assert!(
        o.status.success() && text(&o).contains("run finished"),
        "{}",
        text(&o)
    );
    let o = storeshift(&["recover", &s.ws_str()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = storeshift(&["run", &s.cfg(), "--headless"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
