//! Loading into a live store's API (a local sandbox that speaks WooCommerce's REST API, run as
//! its own process): kill -9 during loading at least ten times, every record ends up present
//! exactly once; rollback leaves the store as it was.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};

struct Sandbox {
    child: std::process::Child,
    url: String,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sandbox(platform: &str, seed_products: usize) -> Sandbox {
    let mut child = std::process::Command::new(bin())
        .args([
            "sandbox",
            platform,
            "--port",
            "0",
            "--seed-products",
            &seed_products.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sandbox");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("sandbox url");
    Sandbox {
        child,
        url: line.trim().to_string(),
    }
}

fn state(url: &str) -> serde_json::Value {
    let rest = url.trim_start_matches("http://");
    let (host, base) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, String::new()));
    let mut c = std::net::TcpStream::connect(host).expect("connect sandbox");
    write!(
        c,
        "GET {}/__sandbox/state HTTP/1.0\r\nHost: {host}\r\n\r\n",
        base.trim_end_matches('/')
    )
    .unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("state: {e}: {resp}"))
}

#[test]
fn kill_dash_nine_while_loading_into_an_api_duplicates_nothing_and_rollback_restores_the_store() {
    let sb = sandbox("woocommerce", 3);
    let before = state(&sb.url);
    let s = Scenario::generated(
        4000,
        "batch_size = 5\nthrottle_ms = 5\nentities = [\"products\", \"customers\"]",
    );
    let cfg = std::fs::read_to_string(s.config()).unwrap().replace(
        "[target]\nplatform = \"shopify\"\nkind = \"files\"\n",
        &format!(
            "[target]\nplatform = \"woocommerce\"\nkind = \"api\"\nurl = \"{}\"\ncredentials = {{ consumer_key = \"SANDBOX_KEY\", consumer_secret = \"SANDBOX_SECRET\" }}\n",
            sb.url
        ),
    );
    std::fs::write(s.config(), cfg).unwrap();
    let run = |s: &Scenario| {
        s.spawn_env(
            &["run", &s.cfg(), "--headless"],
            &[
                ("SANDBOX_KEY", "ck_sandbox"),
                ("SANDBOX_SECRET", "cs_sandbox"),
            ],
        )
    };
    let mut kills = 0;
    let mut seed = 11u64;
    while kills < 10 {
        let mut child = run(&s);
        let start = s.events_of("batch_committed").len();
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let more = 1 + (seed >> 62) as usize;
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
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    assert!(kills >= 10, "only {kills} kills landed:\n{}", s.logs());
    let status = run(&s).wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", s.logs());

    let after = state(&sb.url);
    assert!(
        after["duplicates"].as_array().unwrap().is_empty(),
        "created twice: {}",
        after["duplicates"]
    );
    let report = s.report_json();
    let products = report["analysis"]["counts"]["products"].as_u64().unwrap();
    let customers = report["analysis"]["counts"]["customers"].as_u64().unwrap();
    assert_eq!(
        after["products"].as_u64().unwrap(),
        before["products"].as_u64().unwrap() + products
    );
    assert_eq!(
        after["customers"].as_u64().unwrap(),
        before["customers"].as_u64().unwrap() + customers
    );

    // Rollback deletes exactly what the run created; the three seeded products stay.
    let o = std::process::Command::new(bin())
        .args(["rollback", &s.cfg(), "--yes"])
        .env("SANDBOX_KEY", "ck_sandbox")
        .env("SANDBOX_SECRET", "cs_sandbox")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let rolled = state(&sb.url);
    assert_eq!(rolled["products"], before["products"]);
    assert_eq!(rolled["customers"], before["customers"]);
    assert_eq!(rolled["variations"], before["variations"]);
}
