//! Starting and stopping the real engines for tests, through the project's own scripts in
//! `tools/engines/`. An engine that cannot be started skips its test with a loud message, except
//! in CI (`CI=true`), where it fails it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// A running engine; dropping it runs the stop script, which kills the server and deletes its data.
pub struct Engine {
    pub name: &'static str,
    pub url: String,
    pub email: String,
    pub password: String,
    state_dir: String,
    stop: PathBuf,
}

/// `tools/engines` of the workspace, from the root package's tests or from a member crate's.
fn scripts() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = if here.join("tools").is_dir() {
        here
    } else {
        here.join("..")
    };
    root.join("tools").join("engines")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

impl Engine {
    /// Starts `engine` ("medusa" or "vendure"); `None` (after printing why) when it cannot be
    /// started outside CI.
    pub fn start(engine: &'static str, display: &str) -> Option<Engine> {
        let start = scripts().join(format!("{engine}-start.sh"));
        let stop = scripts().join(format!("{engine}-stop.sh"));
        let begun = std::time::Instant::now();
        let out = Command::new("bash")
            .arg(&start)
            .env_remove("PORT")
            .env_remove("STATE_DIR")
            .output();
        let failure = match out {
            Err(e) => format!("cannot run {}: {e}", start.display()),
            Ok(out) if !out.status.success() => {
                let err = String::from_utf8_lossy(&out.stderr);
                let tail: Vec<&str> = err.lines().rev().take(15).collect();
                format!(
                    "{} exited with {}:\n{}",
                    start.display(),
                    out.status,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            }
            Ok(out) => {
                let stdout = String::from_utf8_lossy(&out.stdout);
                let line = stdout
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("URL="))
                    .unwrap_or("");
                let field = |k: &str| {
                    line.split_whitespace()
                        .find_map(|kv| kv.strip_prefix(k))
                        .map(str::to_string)
                };
                match (
                    field("URL="),
                    field("EMAIL="),
                    field("PASSWORD="),
                    field("STATE_DIR="),
                ) {
                    (Some(url), Some(email), Some(password), Some(state_dir)) => {
                        eprintln!(
                            "{display} started in {:.1} s at {url}",
                            begun.elapsed().as_secs_f64()
                        );
                        return Some(Engine {
                            name: engine,
                            url,
                            email,
                            password,
                            state_dir,
                            stop,
                        });
                    }
                    _ => format!(
                        "{} printed no URL=... EMAIL=... PASSWORD=... STATE_DIR=... line: {stdout}",
                        start.display()
                    ),
                }
            }
        };
        if in_ci() {
            panic!("{display} must run in CI but could not be started: {failure}");
        }
        // Straight to the stderr handle, not eprintln!: the test harness captures eprintln! of a
        // passing test, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n**********\nSKIPPED: {display} not available: {failure}\n**********\n"
        );
        None
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        match Command::new("bash")
            .arg(&self.stop)
            .arg(&self.state_dir)
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "{} stop script failed: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("cannot run the {} stop script: {e}", self.name),
        }
    }
}
