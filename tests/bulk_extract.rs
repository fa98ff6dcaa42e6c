//! Extracting a big Shopify store through bulk queries, through the binary, with kill -9: the
//! Shopify sandbox runs as its own process with 1,500 orders (6,000 objects with their line
//! items and shipping lines, which its bulk query works through in about four seconds), the
//! run reads them above `bulk_threshold` through one bulk query and writes Shopify files. It is
//! killed ten times — once while the bulk query is still running, then while its result is
//! being consumed — and every resumed run takes the same operation up: the store ran one bulk
//! query for the assessment and one for the load, and the files are byte for byte those of a
//! run never interrupted.

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

    let reference = scenario(&shop);
    assert_eq!(reference.run_headless(300), Some(0), "{}", reference.logs());
    assert_same_tree(&reference.output(1), &s.output(1));
}
