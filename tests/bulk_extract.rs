//! Extracting a big Shopify store through bulk queries, through the binary, with kill -9: the
//! Shopify sandbox runs as its own process with 1,500 orders (6,000 objects with their line
//! items and shipping lines, which its bulk query works through in about four seconds), the
//! run reads them above `bulk_threshold` through one bulk query and writes Shopify files. It is
//! killed ten times — once while the bulk query is still running, then while its result is
//! being consumed — and every resumed run takes the same operation up: the store ran one bulk
//! query for the assessment and one for the load, and the files are byte for byte those of a
//! run never interrupted. A resumed run reads the result file it left in the workspace from the
//! saved offset instead of downloading it again; a download cut mid-file resumes with `Range`;
//! a line that is not JSON is reported by its number.

mod common;
use common::*;

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

fn bulk_ops(shop: &SandboxProc) -> Vec<(String, String)> {
    shop.state()["bulk"]
        .as_array()
        .expect("bulk operations")
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap_or("").to_string(),
                p[1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// What the store's bulk result server sent: (requests, ranged requests, bytes).
fn downloads(shop: &SandboxProc) -> (u64, u64, u64) {
    let d = &shop.state()["bulk_downloads"];
    let n = |k: &str| {
        d[k].as_u64()
            .unwrap_or_else(|| panic!("bulk_downloads.{k}: {d}"))
    };
    (n("requests"), n("ranged"), n("bytes"))
}

/// Bulk result files the run keeps in its workspace.
fn scratch_files(s: &Scenario) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(s.ws().join("scratch").join("source")) {
        Ok(dir) => dir.map(|e| e.expect("entry").path()).collect(),
        Err(_) => vec![],
    }
}

fn scenario(shop: &SandboxProc) -> Scenario {
    let s = Scenario {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    s.write_config("entities = [\"orders\"]\nbatch_size = 10\nthrottle_ms = 5");
    s.set_source(&shop.endpoint_toml(
        "retry_base_ms = 20, retry_max_ms = 500, plan = \"plus\", bulk_threshold = 100, bulk_poll_ms = 50",
    ));
    s
}

fn run(s: &Scenario) -> std::process::Child {
    s.spawn_env(
        &[
            "run",
            &s.cfg(),
            "--headless",
            "--interventions",
            "recommended",
        ],
        &SANDBOX_ENV,
    )
}

fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    let mut names: Vec<_> = std::fs::read_dir(a)
        .unwrap_or_else(|e| panic!("{}: {e}", a.display()))
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for n in names {
        let (pa, pb) = (a.join(&n), b.join(&n));
        if pa.is_dir() {
            assert_same_tree(&pa, &pb);
            continue;
        }
        let (x, y) = (
            std::fs::read(&pa).expect("read"),
            std::fs::read(&pb).expect("read"),
        );
        assert!(
            x == y,
            "{} differs from the uninterrupted run ({} vs {} bytes)",
            pb.display(),
            y.len(),
            x.len()
        );
    }
}

#[test]
fn kill_dash_nine_during_bulk_extraction_resumes_the_same_operation_and_reads_each_order_once() {
    let shop = SandboxProc::start(
        "shopify",
        &[
            "--seed-customers",
            "5",
            "--seed-orders",
            "1500",
            "--bulk-objects-per-second",
            "1500",
            "--restore-rate",
            "1000",
            "--bucket",
            "20000",
        ],
    );
    let s = scenario(&shop);

    // The first kill lands while the bulk query runs on Shopify's side.
    let mut child = run(&s);
    wait_until(60, "the bulk query to run", || {
        bulk_ops(&shop).contains(&("QUERY".into(), "RUNNING".into()))
    });
    child.kill().expect("kill");
    child.wait().expect("wait");
    let mut kills = 1;
    let mut seed = 17u64;
    while kills < 10 {
        let mut child = run(&s);
        let start = s.events_of("batch_committed").len();
        let more = 1 + (lcg(&mut seed) % 4) as usize;
        let mut finished = false;
        wait_until(120, "loading progress", || {
            if let Ok(Some(_)) = child.try_wait() {
                finished = true;
                return true;
            }
            s.events_of("batch_committed").len() >= start + more
        });
        if finished {
            break;
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
        kills += 1;
    }
    assert_eq!(kills, 10, "only {kills} kills landed:\n{}", s.logs());
    let status = run(&s).wait().expect("final run");
    assert_eq!(status.code(), Some(0), "{}", s.logs());
    let (_, _, killed_bytes) = downloads(&shop);
    assert_eq!(
        bulk_ops(&shop),
        vec![
            ("QUERY".to_string(), "COMPLETED".to_string()),
            ("QUERY".to_string(), "COMPLETED".to_string())
        ],
        "one bulk query for the assessment, one for the load, none started again:\n{}",
        s.logs()
    );
    let report = s.report_json();
    assert_eq!(report["analysis"]["counts"]["orders"], 1500, "{report}");

    assert_eq!(
        scratch_files(&s),
        Vec::<std::path::PathBuf>::new(),
        "read files are deleted"
    );

    let reference = scenario(&shop);
    assert_eq!(reference.run_headless(300), Some(0), "{}", reference.logs());
    assert_same_tree(&reference.output(1), &s.output(1));
    // Downloading again on every resume would send the file about ten times over; a resumed
    // run re-opens the one on disk (a kill mid-download loses at most what was not yet
    // written out, and the rest comes with Range).
    let (_, _, reference_bytes) = downloads(&shop);
    let reference_bytes = reference_bytes - killed_bytes;
    assert!(
        killed_bytes < 2 * reference_bytes,
        "ten interrupted runs downloaded {killed_bytes} bytes, one uninterrupted run {reference_bytes}"
    );
}

#[test]
fn a_bulk_download_cut_mid_file_resumes_with_range_and_reads_every_order_once() {
    // The first three downloads break halfway through what they were asked for.
    let shop = SandboxProc::start(
        "shopify",
        &[
            "--seed-customers",
            "5",
            "--seed-orders",
            "400",
            "--cut-bulk-downloads",
            "3",
            "--restore-rate",
            "1000",
            "--bucket",
            "20000",
        ],
    );
    let s = scenario(&shop);
    assert_eq!(s.run_headless(300), Some(0), "{}", s.logs());
    let (requests, ranged, cut_bytes) = downloads(&shop);
    assert!(
        ranged >= 3,
        "the broken downloads resumed with Range ({ranged} of {requests})"
    );
    assert_eq!(s.report_json()["analysis"]["counts"]["orders"], 400);
    assert!(scratch_files(&s).is_empty(), "{:?}", scratch_files(&s));

    let reference = scenario(&shop);
    assert_eq!(reference.run_headless(300), Some(0), "{}", reference.logs());
    let (_, _, all_bytes) = downloads(&shop);
    assert_eq!(
        cut_bytes,
        all_bytes - cut_bytes,
        "no byte was sent twice: the cut run fetched what an unbroken one did"
    );
    assert_same_tree(&reference.output(1), &s.output(1));
}

#[test]
fn a_line_of_the_bulk_file_that_is_not_json_is_named_by_its_number() {
    let shop = SandboxProc::start(
        "shopify",
        &[
            "--seed-orders",
            "300",
            "--restore-rate",
            "1000",
            "--bucket",
            "20000",
        ],
    );
    let s = scenario(&shop);
    // Stopped mid-load, the load's result file is in the workspace.
    let mut child = run(&s);
    wait_until(120, "the load to be under way", || {
        !s.events_of("batch_committed").is_empty() && !scratch_files(&s).is_empty()
    });
    child.kill().expect("kill");
    child.wait().expect("wait");
    let files = scratch_files(&s);
    let [file] = files.as_slice() else {
        panic!("one result file, found {files:?}")
    };
    // The last line is spoiled, keeping the file's length.
    let text = std::fs::read_to_string(file).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.len();
    let spoiled = format!("{{{}", "x".repeat(lines[last - 1].len() - 1));
    let mut out = lines[..last - 1].join("\n");
    out.push('\n');
    out.push_str(&spoiled);
    out.push('\n');
    std::fs::write(file, &out).expect("write");

    let status = run(&s).wait().expect("resumed run");
    assert_ne!(status.code(), Some(0), "{}", s.logs());
    let logs = s.logs();
    assert!(
        logs.contains(&format!("line {last} is not JSON")),
        "the failure names line {last}:\n{logs}"
    );
}

/// Verification that reads a live Shopify target back whole does it through bulk queries,
/// whose result files go to the workspace's scratch (the disk the operator chose, not the
/// system's temporary directory); a finished run leaves none behind, not even one a killed
/// process left half read.
#[test]
fn a_full_read_back_keeps_its_bulk_files_in_the_workspace_and_a_finished_run_leaves_none() {
    let shop = SandboxProc::start("shopify", &["--restore-rate", "1000", "--bucket", "20000"]);
    let s = Scenario::generated(1200, "");
    s.write_config("entities = [\"customers\"]\nsample_size = 1000\nverify = \"full\"");
    s.set_target(&shop.endpoint_toml(
        "retry_base_ms = 20, retry_max_ms = 500, plan = \"plus\", bulk_threshold = 10, bulk_poll_ms = 50",
    ));
    let left = s.ws().join("scratch").join("target");
    std::fs::create_dir_all(&left).expect("scratch");
    std::fs::write(left.join("gid-BulkOperation-0.jsonl"), "{}\n").expect("leftover");
    let queries = || {
        bulk_ops(&shop)
            .into_iter()
            .filter(|(kind, _)| kind == "QUERY")
            .count()
    };
    let before = queries();
    assert_eq!(s.run_headless(300), Some(0), "{}", s.logs());
    assert!(
        queries() > before,
        "the read-back went through a bulk query: {:?}",
        bulk_ops(&shop)
    );
    let report = s.report_json();
    assert!(
        report["verification"]["compared"]["customers"]
            .as_u64()
            .unwrap_or(0)
            > 10,
        "{:#}",
        report["verification"]
    );
    assert!(
        !s.ws().join("scratch").exists(),
        "a finished run leaves no scratch: {:?}",
        std::fs::read_dir(s.ws().join("scratch")).map(|d| d.count())
    );
}
