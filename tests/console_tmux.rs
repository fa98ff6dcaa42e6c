//! The console in a real terminal: `storeshift demo` under tmux, driven with keys the way an
//! operator would. Pausing stops the counters and resuming moves them; an intervention is
//! decided from the keyboard; a second console attaches from another window and both stay
//! live; `q` gives the shell prompt back with the terminal sane. Every wait polls the screen
//! against a deadline. Also prints the bytes the console wrote per second at 160×48 and its
//! key-to-frame latency (figures, not assertions). A cutover is stepped through from the
//! keyboard, every step's question read off the screen.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_storeshift");
const PROMPT: &str = "READY$";
/// How often a wait looks again (capture-pane, a file).
const POLL: Duration = Duration::from_millis(50);

/// Looks with `probe` until it gives a value, failing at the deadline with `what` and the
/// probe's last account of what it saw. Every wait in this file comes here: each waits for a
/// condition on the screen or the disk, never for time to pass.
fn until<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let seen = match probe() {
            Ok(v) => return v,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "waited {secs}s for {what}; last seen:\n{seen}"
        );
        std::thread::sleep(POLL);
    }
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed to run this test (apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self, target: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", target])
    }

    fn keys(&self, target: &str, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", target, k]);
        }
    }

    fn type_line(&self, target: &str, line: &str) {
        self.run(&["send-keys", "-t", target, "-l", line]);
        self.run(&["send-keys", "-t", target, "Enter"]);
    }

    /// Polls the screen until `ok` holds, failing with the last screen at the deadline.
    fn wait(&self, target: &str, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        until(what, secs, || {
            let s = self.screen(target);
            if ok(&s) {
                Ok(s)
            } else {
                Err(s)
            }
        })
    }

    /// Waits until what `watch` reads off the screen has stood still for `quiet`: after a
    /// pause, the work in flight lands and then nothing moves. It must come to rest within
    /// `settle` of the call; `check` holds on every screen seen. Returns the value at rest.
    fn steady<T: PartialEq + std::fmt::Debug>(
        &self,
        target: &str,
        what: &str,
        quiet: Duration,
        settle: Duration,
        watch: impl Fn(&str) -> T,
        check: impl Fn(&str),
    ) -> T {
        let start = Instant::now();
        let first = self.screen(target);
        check(&first);
        let mut last = watch(&first);
        let mut still_since = Instant::now();
        let secs = (settle + quiet).as_secs() + 5;
        until(&format!("{what} to stand still"), secs, || {
            let s = self.screen(target);
            check(&s);
            let now = watch(&s);
            if now != last {
                assert!(
                    start.elapsed() < settle,
                    "{what} kept moving ({last:?} -> {now:?}):\n{s}"
                );
                last = now;
                still_since = Instant::now();
                return Err(s);
            }
            if still_since.elapsed() >= quiet {
                Ok(())
            } else {
                Err(s)
            }
        });
        last
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// The "done/total" counters of the agent and progress panes (everything above the log).
fn counters(screen: &str) -> Vec<String> {
    screen
        .lines()
        .take_while(|l| !l.contains(" Log "))
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || c == '│' || c == '|'))
        .filter(|w| {
            w.contains('/')
                && w.split('/')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == ','))
        })
        .map(str::to_string)
        .collect()
}

fn console_up(s: &str) -> bool {
    s.contains("Interventions") && s.contains(" Log ")
}

fn stty_is_sane(t: &Tmux, target: &str, dir: &Path, name: &str) {
    let file = dir.join(name);
    t.type_line(target, &format!("stty -a > {}", file.display()));
    let text =
        until(
            &format!("stty to write {}", file.display()),
            10,
            || match std::fs::read_to_string(&file) {
                Ok(text) if text.contains("speed") => Ok(text),
                Ok(text) => Err(text),
                Err(e) => Err(e.to_string()),
            },
        );
    let words: Vec<&str> = text.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            words.contains(&flag),
            "the terminal was left with -{flag}:\n{text}"
        );
    }
    let modes = t.run(&[
        "display-message",
        "-p",
        "-t",
        target,
        "#{alternate_on} #{cursor_flag}",
    ]);
    assert_eq!(
        modes.trim(),
        "0 1",
        "alternate screen still on or cursor still hidden"
    );
}

#[test]
fn console_in_tmux_pauses_decides_attaches_and_quits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    // The demo store, slowed down so a person (and this test) can watch it move.
    let out = Command::new(BIN)
        .args(["generate", "--demo"])
        .arg(dir.join("source"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("migration.toml"),
        "name = \"Demo Outfitters\"\nworkspace = \".\"\n\n[source]\nplatform = \"woocommerce\"\n\
         kind = \"files\"\npath = \"source\"\ncurrency = \"USD\"\ntimezone = \"UTC\"\n\n[target]\nplatform = \"shopify\"\n\
         kind = \"files\"\n\n[run]\nbatch_size = 20\nthrottle_ms = 400\nsample_size = 50\n",
    )
    .unwrap();
    let stats = dir.join("console-stats.json");

    let t = Tmux {
        socket: format!("storeshift-test-{}", std::process::id()),
    };
    let shell = format!(
        "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 PS1='{PROMPT} ' sh",
        tmp.path().display()
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "ss",
        "-x",
        "160",
        "-y",
        "48",
        &shell,
    ]);
    t.wait("ss:0", "the shell prompt", 10, |s| s.contains(PROMPT));
    t.type_line(
        "ss:0",
        &format!(
            "STORESHIFT_CONSOLE_STATS={} {BIN} demo {}",
            stats.display(),
            dir.display()
        ),
    );
    let s = t.wait("ss:0", "the console", 30, console_up);
    let started = Instant::now();
    assert!(
        s.contains("Demo") || s.contains("woocommerce") || s.contains("WooCommerce"),
        "{s}"
    );

    // Decide every intervention from the keyboard until the run is executing on its own.
    let mut decided = 0;
    loop {
        let s = t.wait("ss:0", "an intervention or the execution phase", 90, |s| {
            let h = header(s);
            h.contains("WAITING FOR OPERATOR") || (h.contains("RUNNING") && h.contains("Execution"))
        });
        if !header(&s).contains("WAITING FOR OPERATOR") {
            break;
        }
        t.keys("ss:0", &["i"]);
        // A frame can still say WAITING after the last decision landed: then no dialog opens
        // and the run moves on, which the loop's next wait sees.
        let dialog = t.wait("ss:0", "the decision dialog", 10, |s| {
            s.contains("(recommended)") || !header(s).contains("WAITING FOR OPERATOR")
        });
        if !dialog.contains("(recommended)") {
            continue;
        }
        let id = dialog
            .lines()
            .find_map(|l| l.split("Intervention ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|id| id.starts_with("iv-"))
            .expect("the dialog's title names the intervention id")
            .to_string();
        t.keys("ss:0", &["Enter"]);
        t.wait("ss:0", "the decision to land", 20, |s| {
            !s.contains("(recommended)")
                && s.lines().any(|l| l.contains(&id) && l.contains("decided"))
                || !header(s).contains("WAITING FOR OPERATOR")
        });
        decided += 1;
        assert!(decided < 40, "more interventions than the demo plants");
    }

    // Pause: PAUSED, and the counters stand still.
    t.wait("ss:0", "counters moving", 60, |s| {
        header(s).contains("RUNNING") && !counters(s).is_empty()
    });
    t.keys("ss:0", &["p"]);
    t.wait("ss:0", "PAUSED", 20, |s| header(s).contains("PAUSED"));
    // The batch in flight finishes and commits; then nothing may move for a few seconds.
    let last = t.steady(
        "ss:0",
        "the counters while PAUSED",
        Duration::from_secs(3),
        Duration::from_secs(10),
        counters,
        |s| {
            assert!(
                header(s).contains("PAUSED"),
                "the run left PAUSED on its own:\n{s}"
            )
        },
    );

    // Resume: the counters move again.
    t.keys("ss:0", &["p"]);
    let paused = last.clone();
    t.wait("ss:0", "counters moving after resume", 30, |s| {
        !header(s).contains("PAUSED") && counters(s) != paused
    });

    // A second console from another window: both stay live.
    t.run(&["new-window", "-t", "ss:1", &shell]);
    t.wait("ss:1", "the second shell", 10, |s| s.contains(PROMPT));
    t.type_line("ss:1", &format!("{BIN} attach {}", dir.display()));
    let a = t.wait("ss:1", "the attached console", 30, console_up);
    let first = counters(&a);
    t.wait("ss:1", "the attached console to move", 30, |s| {
        counters(s) != first || header(s).contains("DONE")
    });
    let main_now = counters(&t.screen("ss:0"));
    t.wait("ss:0", "the first console to keep moving", 30, |s| {
        counters(s) != main_now || header(s).contains("DONE")
    });

    // Leaving the attached console leaves the run going.
    t.keys("ss:1", &["q"]);
    t.wait("ss:1", "the prompt after detaching", 15, |s| {
        s.trim_end().ends_with(PROMPT)
    });
    stty_is_sane(&t, "ss:1", tmp.path(), "stty-attach.txt");
    let after_detach = counters(&t.screen("ss:0"));
    t.wait("ss:0", "the run still moving after the detach", 30, |s| {
        counters(s) != after_detach || header(s).contains("DONE")
    });

    // `q` in the owning console: checkpointed stop, prompt back, terminal sane.
    t.keys("ss:0", &["q"]);
    t.wait("ss:0", "the prompt after q", 30, |s| {
        s.trim_end().ends_with(PROMPT)
    });
    stty_is_sane(&t, "ss:0", tmp.path(), "stty-main.txt");
    let seconds = started.elapsed().as_secs_f64();

    match std::fs::read_to_string(&stats) {
        Ok(json) => println!("console stats at 160x48 over {seconds:.1}s of demo: {json}"),
        Err(e) => println!("no console stats ({e})"),
    }
}

/// A source file storeshift does not know stops the run at its column mapping; in the console
/// the operator keeps one column as an attribute and decides; the edited mapping is journaled
/// with the decision and the run reads the file with it.
#[test]
fn console_in_tmux_edits_an_unknown_files_column_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    std::fs::create_dir_all(dir.join("source")).unwrap();
    std::fs::write(
        dir.join("source").join("liste.csv"),
        "Ürün Adı;Stok Kodu;Satış Fiyatı;Stok;Beden;Tedarikçi\n\
         Kazak;KZ-S;199,90;3;S;Acme\nKazak;KZ-M;199,90;0;M;Acme\nGomlek;GM-1;299,90;5;L;Beta\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("migration.toml"),
        "name = \"Tezgah\"\nworkspace = \".\"\n\n[source]\nplatform = \"woocommerce\"\n\
         kind = \"files\"\npath = \"source\"\ncurrency = \"TRY\"\n\n[target]\nplatform = \"shopify\"\n\
         kind = \"files\"\n",
    )
    .unwrap();
    let t = Tmux {
        socket: format!("storeshift-map-{}", std::process::id()),
    };
    let shell = format!(
        "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 PS1='{PROMPT} ' sh",
        tmp.path().display()
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "mm",
        "-x",
        "160",
        "-y",
        "48",
        &shell,
    ]);
    t.wait("mm:0", "the shell prompt", 10, |s| s.contains(PROMPT));
    t.type_line(
        "mm:0",
        &format!("{BIN} run {}", dir.join("migration.toml").display()),
    );
    t.wait("mm:0", "the run waiting for an operator", 60, |s| {
        header(s).contains("WAITING FOR OPERATOR")
    });
    t.keys("mm:0", &["i"]);
    let dialog = t.wait("mm:0", "the column mapping", 10, |s| {
        s.contains("Column mapping") && s.contains("Stok Kodu")
    });
    for needle in ["Ürün Adı", "product.title", "variant.sku", "KZ-S", "conf"] {
        assert!(dialog.contains(needle), "{needle}:\n{dialog}");
    }
    // The cursor down to "Tedarikçi" (the sixth column, proposed as the vendor) and `a`: keep
    // it as an attribute instead.
    t.keys("mm:0", &["j", "j", "j", "j", "j", "a"]);
    let edited = t.wait("mm:0", "the edit to show", 10, |s| {
        s.contains("1 column changed")
    });
    assert!(edited.contains("Use an edited mapping"), "{edited}");
    t.keys("mm:0", &["Enter"]);
    // Later questions (handles Shopify takes in ASCII) are decided as recommended.
    let mut decided = 1;
    loop {
        let s = t.wait("mm:0", "the next question or the end", 120, |s| {
            let h = header(s);
            (h.contains("WAITING FOR OPERATOR") && !s.contains("Column mapping"))
                || h.contains("DONE")
        });
        if header(&s).contains("DONE") {
            break;
        }
        // The header can say WAITING a frame before the queue lists the question: ask again
        // until the dialog opens.
        t.keys("mm:0", &["i"]);
        let opened = t.wait("mm:0", "a dialog or the end", 10, |s| {
            s.contains("(recommended)")
                || s.contains("No intervention is waiting")
                || header(s).contains("DONE")
        });
        if !opened.contains("(recommended)") {
            t.keys("mm:0", &["Esc"]);
            continue;
        }
        t.keys("mm:0", &["Enter"]);
        decided += 1;
        assert!(decided < 20, "more questions than expected:\n{s}");
    }
    t.keys("mm:0", &["q"]);
    t.wait("mm:0", "the prompt after q", 30, |s| {
        s.trim_end().ends_with(PROMPT)
    });

    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let decision = events
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "intervention_decided" && e["option"] == "edited")
        .unwrap_or_else(|| panic!("no edited decision in:\n{events}"));
    let cols = decision["value"]["columns"].to_string();
    assert!(cols.contains("[\"Tedarikçi\",\"attribute\"]"), "{cols}");
    let products = std::fs::read_to_string(dir.join("output/run-1/products.csv")).unwrap();
    assert!(
        products.contains("KZ-M") && products.contains("GM-1"),
        "{products}"
    );
}

/// The decision dialog is on screen (its border names the intervention).
fn dialog_open(s: &str) -> bool {
    s.contains("Intervention iv-")
}

/// Opens the pending intervention whose title holds `title` and returns the screen. The header
/// can say WAITING a frame before the queue lists the question, and a snapshot can still show
/// the previous question pending: a dialog that is not the one wanted is closed (and seen to
/// close: an Esc followed at once by a key reads as Alt-key) and `i` pressed again.
fn open_step(t: &Tmux, target: &str, title: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        let s = t.wait(target, &format!("\"{title}\" to come up"), left, |s| {
            dialog_open(s) || header(s).contains("WAITING FOR OPERATOR")
        });
        if dialog_open(&s) {
            if s.contains(title) && !s.contains("Decided:") {
                return s;
            }
            t.keys(target, &["Esc"]);
            t.wait(target, "the dialog to close", 10, |s| !dialog_open(s));
            continue;
        }
        t.keys(target, &["i"]);
        t.wait(target, "a dialog", 10, |s| {
            dialog_open(s) || s.contains("No intervention is waiting")
        });
    }
}

/// The dialog's scroll position line ("lines 1-17 of 30"), if it shows one.
fn marker(s: &str) -> Option<String> {
    s.lines()
        .filter_map(|l| l.split('┃').nth(1))
        .find_map(|l| l.strip_prefix("lines "))
        .map(|r| r.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// The screen once two captures in a row agree: never a frame half drawn.
fn settled(t: &Tmux, target: &str) -> String {
    let mut last = t.screen(target);
    until("two captures of the screen to agree", 10, || {
        let now = t.screen(target);
        if now == last {
            Ok(now)
        } else {
            Err(std::mem::replace(&mut last, now))
        }
    })
}

/// Decides the open dialog with Enter and waits for it to close.
fn decide_open(t: &Tmux, target: &str, title: &str) {
    t.keys(target, &["Enter"]);
    t.wait(target, &format!("\"{title}\" to be decided"), 20, |s| {
        !dialog_open(s)
    });
}

/// `storeshift cutover --check-live` in a real terminal on a finished demo migration: the
/// operator steps through freeze, final sync, the live redirect check (scrolling through its
/// failures and going on with them), the domain (the DNS records on screen), the notices and
/// the rollback plan with the keyboard; the report then lists each step as decided from the
/// console, with times, and the rollback plan is on disk.
#[test]
fn cutover_in_tmux_steps_through_every_step_with_the_keyboard() {
    let s = common::Scenario::demo();
    assert_eq!(s.run_headless(300), Some(0), "migration: {}", s.logs());
    let mut rd =
        csv::Reader::from_path(s.ws().join("output/run-1/redirects.csv")).expect("redirects.csv");
    let plan: Vec<(String, String)> = rd
        .records()
        .map(|r| r.expect("row"))
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    // More failures than the dialog has rows: the operator must scroll to see them all.
    const FAILING: usize = 25;
    assert!(plan.len() > FAILING + 5, "{}", plan.len());
    let mut routes: HashMap<String, (u16, Option<String>)> = plan
        .iter()
        .map(|(from, to)| (from.clone(), (301, Some(to.clone()))))
        .collect();
    for (from, _) in plan.iter().take(FAILING) {
        routes.insert(from.clone(), (404, None));
    }
    let base = common::serve_redirects(routes);

    let t = Tmux {
        socket: format!("storeshift-cutover-{}", std::process::id()),
    };
    let shell = format!(
        "env -i HOME={} USER=tester PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 PS1='{PROMPT} ' sh",
        s.path().display()
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "co",
        "-x",
        "120",
        "-y",
        "36",
        &shell,
    ]);
    t.wait("co:0", "the shell prompt", 10, |s| s.contains(PROMPT));
    t.type_line(
        "co:0",
        &format!(
            "{BIN} cutover {} --check-live {base} --check-rate 500/s --check-concurrency 8",
            s.ws().display()
        ),
    );
    t.wait("co:0", "the console", 30, console_up);

    // 1. Freeze: only a person answers it.
    let d = open_step(
        &t,
        "co:0",
        "Freeze: confirm the old store takes no more orders",
    );
    assert!(d.contains("maintenance mode"), "{d}");
    decide_open(&t, "co:0", "Freeze:");

    // 2. The final sync and the counts; the way out is offered.
    let d = open_step(&t, "co:0", "Final sync");
    assert!(d.contains("every count equal"), "{d}");
    assert!(d.contains("Call the cutover off"), "{d}");
    decide_open(&t, "co:0", "Final sync");

    // 3. Redirects live: the result, and every failing URL by scrolling.
    let title = format!("Redirects live: {FAILING} of {} old URLs fail", plan.len());
    open_step(&t, "co:0", &title);
    let d = settled(&t, "co:0");
    assert!(d.contains("answer 301 to their new URL"), "{d}");
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut screen = d;
    let mut pages = 0;
    loop {
        seen.extend(
            screen
                .lines()
                // The dialog's own column, between its borders.
                .filter_map(|l| l.split('┃').nth(1))
                .filter(|l| l.contains(": answered 404, not a redirect"))
                .map(|l| l.trim().to_string()),
        );
        // "lines 18-34 of 34": the end of the text is on screen.
        let at_end = marker(&screen).is_some_and(|m| {
            let mut w = m.split(" of ");
            let (range, total) = (w.next().unwrap_or_default(), w.next().unwrap_or_default());
            !total.is_empty() && range.ends_with(&format!("-{total}"))
        });
        if at_end {
            break;
        }
        assert!(
            screen.contains("scroll"),
            "the failures do not fit and nothing says how to see them:\n{screen}"
        );
        pages += 1;
        assert!(pages < 10, "scrolling never reached the end:\n{screen}");
        let before = marker(&screen);
        t.keys("co:0", &["PageDown"]);
        t.wait("co:0", "the text to scroll", 10, |s| marker(s) != before);
        screen = settled(&t, "co:0");
    }
    assert!(pages >= 1, "expected the failures to overflow the dialog");
    for (from, _) in plan.iter().take(FAILING) {
        let line = format!("{from}: answered 404, not a redirect");
        assert!(seen.contains(&line), "{line} never shown: {seen:#?}");
    }
    // Recommended is to check again; the operator goes on with the failures instead.
    t.keys("co:0", &["Down"]);
    t.wait("co:0", "the accept option's consequence", 10, |s| {
        s.contains("the failing URLs stay listed in the report")
    });
    decide_open(&t, "co:0", "Redirects live");

    // 4. The domain: the DNS records must be readable in full.
    let d = open_step(&t, "co:0", "Domain: point");
    for needle in ["23.227.38.65", "shops.myshopify.com", "Settings → Domains"] {
        assert!(d.contains(needle), "{needle}:\n{d}");
    }
    decide_open(&t, "co:0", "Domain: point");

    // 5. Notices; 6. the rollback plan.
    let d = open_step(&t, "co:0", "Customer notices");
    assert!(d.contains("storeshift sends nothing"), "{d}");
    decide_open(&t, "co:0", "Customer notices");
    let d = open_step(&t, "co:0", "Rollback plan ready");
    assert!(d.contains("point"), "{d}");
    decide_open(&t, "co:0", "Rollback plan ready");

    t.wait("co:0", "the cutover to finish", 60, |s| {
        header(s).contains("DONE")
    });
    t.keys("co:0", &["q"]);
    t.wait("co:0", "the prompt after q", 30, |s| {
        s.trim_end().ends_with(PROMPT)
    });

    let report = s.report_json();
    let c = &report["cutover"];
    assert!(c["finished_at"].is_string(), "{c}");
    let steps = c["steps"].as_array().expect("steps");
    let got: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or_default(),
                s["decision"].as_str().unwrap_or_default(),
                s["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("freeze", "frozen", "done"),
            ("final_sync", "continue", "done"),
            ("redirects", "accept", "accepted"),
            ("domain", "switched", "done"),
            ("notices", "approve", "done"),
            ("rollback", "keep", "done"),
        ],
        "{c}"
    );
    for step in steps {
        let by = step["decided_by"].as_str().unwrap_or_default();
        assert!(by.starts_with("tester via console"), "{step}");
        let at = step["decided_at"].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{step}");
    }
    assert_eq!(
        steps[2]["detail"]["failures"].as_array().map(Vec::len),
        Some(FAILING),
        "{c}"
    );
    let md = std::fs::read_to_string(s.ws().join("report/report.md")).expect("report.md");
    assert!(md.contains("## Cutover"), "{md}");
    assert!(md.contains("tester via console"), "{md}");
    let plan_md = std::fs::read_to_string(s.ws().join("cutover/rollback.md")).expect("rollback.md");
    assert!(plan_md.starts_with("# Rollback plan"), "{plan_md}");
    assert!(plan_md.contains("nothing to carry back"), "{plan_md}");
}

/// One row of the "Sync cycles" pane.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CycleRow {
    cycle: u32,
    moved: u64,
    /// The row ends in `full`: the cycle read every entity whole.
    full: bool,
}

/// The rows of the "Sync cycles" pane, oldest first.
fn sync_rows(screen: &str) -> Vec<CycleRow> {
    let mut rows = vec![];
    let mut inside = false;
    for line in screen.lines() {
        if line.contains("Sync cycles") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        // The pane's own columns: between its left border and the next one.
        let Some(cells) = line.split('│').nth(1) else {
            break;
        };
        let words: Vec<&str> = cells.split_whitespace().collect();
        if words.first() == Some(&"cycle") {
            continue;
        }
        let (Some(cycle), Some(moved)) = (
            words.first().and_then(|w| w.parse::<u32>().ok()),
            words
                .get(1)
                .and_then(|w| w.replace(',', "").parse::<u64>().ok()),
        ) else {
            break;
        };
        rows.push(CycleRow {
            cycle,
            moved,
            full: words.last() == Some(&"full"),
        });
    }
    rows
}

/// The newest cycle the console shows: finished (history) or in flight (status line).
fn newest_cycle(screen: &str) -> Option<u32> {
    let in_flight = screen.lines().nth(1).and_then(|l| {
        l.split("sync cycle ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u32>().ok())
    });
    sync_rows(screen)
        .iter()
        .map(|r| r.cycle)
        .chain(in_flight)
        .max()
}

/// `storeshift sync WS --every 2s` in the console against the WooCommerce sandbox: the
/// console stays up across cycles with their moved counts, `p` holds the next cycle (PAUSED,
/// no new cycle starts) and `p` again lets it run, `storeshift pause`/`resume` from another
/// shell do the same, and `q` leaves with everything checkpointed.
#[test]
fn sync_console_in_tmux_shows_cycles_and_pauses_between_them() {
    use common::{http_json, SandboxProc, Scenario, SANDBOX_ENV};
    let src = SandboxProc::start(
        "woocommerce",
        &["--seed-products", "12", "--seed-customers", "3"],
    );
    let dst = SandboxProc::start("woocommerce", &[]);
    let s = Scenario {
        dir: tempfile::tempdir().unwrap(),
    };
    s.write_config("entities = [\"products\", \"customers\"]\n\n[sync]\noverlap = \"0s\"");
    let fast = "retry_base_ms = 20, retry_max_ms = 500";
    s.set_source(&src.endpoint_toml(fast));
    s.set_target(&dst.endpoint_toml(fast));
    assert_eq!(s.run_headless(180), Some(0), "migration: {}", s.logs());

    // Two products change after the migration: the first cycle moves them.
    let creds = "consumer_key=ck_sandbox&consumer_secret=cs_sandbox";
    let api = |method: &str, path: &str, body: Option<&serde_json::Value>| {
        let sep = if path.contains('?') { '&' } else { '?' };
        http_json(
            method,
            &format!("{}/wp-json/wc/v3{path}{sep}{creds}", src.url),
            body,
        )
    };
    let listed = api("GET", "/products?per_page=3&orderby=id&order=asc", None);
    let products = listed.as_array().cloned().unwrap_or_default();
    assert!(products.len() >= 2, "{listed}");
    for p in products.iter().take(2) {
        api(
            "PUT",
            &format!("/products/{}", p["id"]),
            Some(
                &serde_json::json!({ "name": format!("{} (new season)", p["name"].as_str().unwrap_or("")) }),
            ),
        );
    }

    let t = Tmux {
        socket: format!("storeshift-sync-{}", std::process::id()),
    };
    let env: Vec<String> = SANDBOX_ENV
        .iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    let shell = format!(
        "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 USER=tester {} PS1='{PROMPT} ' sh",
        s.path().display(),
        env.join(" ")
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "sy",
        "-x",
        "160",
        "-y",
        "48",
        &shell,
    ]);
    t.wait("sy:0", "the shell prompt", 10, |s| s.contains(PROMPT));
    t.type_line(
        "sy:0",
        &format!("{BIN} sync {} --every 2s; echo EXIT=$?", s.ws_str()),
    );

    // Two cycles in the history, the first with the two changes moved; the console stayed up
    // (the screen never went back to the shell in between).
    let screen = t.wait("sy:0", "two finished cycles in the console", 90, |s| {
        sync_rows(s).len() >= 2
    });
    let rows = sync_rows(&screen);
    assert_eq!(
        rows[0].moved, 2,
        "the first cycle moves the two changes:\n{screen}"
    );
    assert!(
        screen.lines().nth(1).unwrap_or("").contains("lag ≤"),
        "{screen}"
    );
    assert!(
        !screen.contains("READY$"),
        "the console left the screen:\n{screen}"
    );

    // `p`: PAUSED, and no new cycle starts for longer than two periods.
    t.keys("sy:0", &["p"]);
    t.wait("sy:0", "PAUSED", 20, |s| header(s).contains("PAUSED"));
    // A cycle in flight at the key finishes its last batch; nothing after it.
    let newest = t.steady(
        "sy:0",
        "the newest cycle while PAUSED",
        Duration::from_secs(5),
        Duration::from_secs(10),
        newest_cycle,
        |s| assert!(header(s).contains("PAUSED"), "left PAUSED on its own:\n{s}"),
    );
    let held = t.screen("sy:0");
    let line = held.lines().nth(1).unwrap_or("").to_string();
    assert!(
        line.contains("next cycle held: paused") || line.contains("paused"),
        "{held}"
    );
    let at_pause = newest.unwrap_or(0);

    // `p` again: the next cycle runs and lands in the history.
    t.keys("sy:0", &["p"]);
    t.wait("sy:0", "the next cycle after resuming", 60, |s| {
        !header(s).contains("PAUSED") && sync_rows(s).iter().any(|r| r.cycle > at_pause)
    });

    // From another shell: `storeshift pause` holds it the same way, `resume` lets it go.
    let cli = |what: &str| {
        let o = Command::new(BIN)
            .args([what, &s.ws_str()])
            .envs(SANDBOX_ENV)
            .env("USER", "tester")
            .output()
            .unwrap();
        assert!(o.status.success(), "{what}: {}", common::text(&o));
    };
    cli("pause");
    t.wait("sy:0", "PAUSED from another shell", 20, |s| {
        header(s).contains("PAUSED")
    });
    // `f` while held: the footer offers it, and the status line says the next cycle is full.
    let held = t.screen("sy:0");
    let footer = held.lines().last().unwrap_or("");
    assert!(footer.contains("f full next cycle"), "{held}");
    t.keys("sy:0", &["f"]);
    t.wait("sy:0", "next cycle: full", 20, |s| {
        s.lines().nth(1).unwrap_or("").contains("next cycle: full")
    });
    // Another shell's `storeshift status` says so too, and who asked.
    let o = Command::new(BIN)
        .args(["status", &s.ws_str()])
        .envs(SANDBOX_ENV)
        .output()
        .unwrap();
    let said = common::text(&o);
    assert!(
        said.contains(
            "next sync cycle: full (every entity read whole) — asked by tester via console"
        ),
        "{said}"
    );
    let before = newest_cycle(&t.screen("sy:0")).unwrap_or(0);
    cli("resume");
    // Resumed: one full cycle (a cycle paused in flight finishes first, as it began), then
    // filtered ones again: the request is carried out once.
    let done = t.wait("sy:0", "a full cycle and one after it", 90, |s| {
        let rows = sync_rows(s);
        !header(s).contains("PAUSED")
            && rows
                .iter()
                .position(|r| r.cycle > before && r.full)
                .is_some_and(|i| rows.len() > i + 1)
    });
    let after: Vec<CycleRow> = sync_rows(&done)
        .into_iter()
        .filter(|r| r.cycle > before)
        .collect();
    assert_eq!(
        after.iter().filter(|r| r.full).count(),
        1,
        "one full cycle:\n{done}"
    );
    assert!(
        !done
            .lines()
            .nth(1)
            .unwrap_or("")
            .contains("next cycle: full"),
        "{done}"
    );
    // The request is in the event log (its mirror catches up when a cycle opens the state),
    // with who asked.
    let asked = s.events_of("full_cycle_requested");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["by"]["user"], "tester", "{asked:?}");
    assert_eq!(asked[0]["by"]["via"], "console", "{asked:?}");

    // `q`: syncing stops at a safe point; the shell gets the exit code.
    t.keys("sy:0", &["q"]);
    // The echo's line, not the typed command that holds `EXIT=$?`.
    let exit_line = |s: &str| {
        s.lines()
            .find_map(|l| l.trim().strip_prefix("EXIT=").map(str::to_string))
    };
    let end = t.wait("sy:0", "the exit code after q", 30, |s| {
        exit_line(s).is_some()
    });
    let code = exit_line(&end).unwrap_or_default();
    assert!(code == "0" || code == "4", "exit {code}:\n{end}");
    stty_is_sane(&t, "sy:0", s.path(), "stty-sync.txt");
    drop(dst);
}
