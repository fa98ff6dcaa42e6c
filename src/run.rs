//! `storeshift run` and `storeshift demo`: start or resume a run and drive it with the console
//! on a terminal, or headless.

use crate::cli::{EventsFormat, FrontEnd, Policy};
use crate::{console, headless, logging, metrics};
use anyhow::{bail, Context, Result};
use std::io::IsTerminal;
use std::path::Path;
use storeshift_agents::control;
use storeshift_agents::{
    Command, InterventionPolicy, MigrationConfig, RunOutcome, StartOptions, Workspace,
};

/// Process exit codes: scripts tell outcomes apart by them.
pub mod exit {
    pub const DONE: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WAITING_FOR_OPERATOR: i32 = 3;
    pub const STOPPED: i32 = 4;
}

pub async fn run(cfg: MigrationConfig, front: &FrontEnd, restart: bool) -> Result<i32> {
    drive_kind(cfg, front, restart, Kind::Migration, None).await
}

/// What a drive starts (or resumes).
pub enum Kind {
    Migration,
    /// `full`: a new cycle reads every entity whole (see `storeshift sync --full`).
    Sync {
        full: bool,
    },
    Cutover(Option<storeshift_agents::cutover::CutoverOptions>),
}

/// Starts (or resumes) a run of `kind` and drives it to its end. `metrics`: an endpoint a
/// caller driving several runs in one process bound once (else `--metrics` binds its own).
pub async fn drive_kind(
    cfg: MigrationConfig,
    front: &FrontEnd,
    restart: bool,
    kind: Kind,
    metrics: Option<&metrics::Metrics>,
) -> Result<i32> {
    let sync = matches!(kind, Kind::Sync { .. });
    let ws = Workspace::new(cfg.workspace_dir());
    if control::is_live(&ws.socket()).await {
        bail!(
            "a run is already live in {} — watch it with `storeshift attach {}` or `storeshift status {}`",
            ws.dir.display(),
            ws.dir.display(),
            ws.dir.display()
        );
    }
    if restart {
        move_aside(&ws)?;
    }
    // A sync cycle driven from here is headless: `storeshift sync` keeps its own console up
    // across cycles (crate::sync::console) and calls this only without one.
    let console_mode = !sync && console_mode(front);
    let policy = policy(&cfg, front, console_mode);
    std::fs::create_dir_all(&ws.dir)
        .with_context(|| format!("cannot create workspace {}", ws.dir.display()))?;
    let _log_guard = logging::init(&ws.logs());
    let opts = StartOptions {
        policy,
        control_socket: true,
        wait_for_operator: console_mode,
    };
    let handle = match kind {
        Kind::Sync { full } => storeshift_agents::start_sync(cfg, opts, full).await?,
        Kind::Cutover(o) => storeshift_agents::start_cutover(cfg, opts, o).await?,
        Kind::Migration => storeshift_agents::start(cfg, opts).await?,
    };
    spawn_event_log(handle.link());
    match (metrics, front.metrics) {
        (Some(m), _) => m.follow(handle.link()),
        (None, Some(addr)) => {
            metrics::serve(addr, handle.link()).await?;
            eprintln!("metrics: http://{addr}/metrics");
        }
        (None, None) => {}
    }

    let outcome = if console_mode {
        let ui = console::run(handle.link(), console_options(front)).await;
        // Leaving the console (q, or an error drawing it) stops the run at a safe point.
        if ui.is_err() || matches!(ui, Ok(console::ConsoleExit::Detached)) {
            let _ = handle.commands().send(Command::Stop).await;
        }
        let outcome = handle.join.await.unwrap_or(RunOutcome::Failed {
            message: "the runtime crashed".into(),
        });
        ui?;
        outcome
    } else {
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        let follower = tokio::spawn(headless::follow(handle.link(), front.events, done_rx));
        let commands = handle.commands();
        tokio::spawn(async move {
            // Ctrl-C / SIGTERM: stop at the next safe point with everything checkpointed.
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {},
            }
            let _ = commands.send(Command::Stop).await;
        });
        let outcome = handle.join.await.unwrap_or(RunOutcome::Failed {
            message: "the runtime crashed".into(),
        });
        let _ = done_tx.send(true);
        let _ = follower.await;
        outcome
    };
    if sync && outcome == RunOutcome::Done {
        return Ok(exit::DONE);
    }
    Ok(report_outcome(&ws, &handle.store, &outcome, front.events))
}

/// The console opens on a terminal unless `--headless` says otherwise.
pub fn console_mode(front: &FrontEnd) -> bool {
    !front.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// What intervention points do: the flag, else the config, else ask in the console and take
/// the recommended option headless.
pub fn policy(cfg: &MigrationConfig, front: &FrontEnd, console_mode: bool) -> InterventionPolicy {
    match front.interventions {
        Some(Policy::Ask) => InterventionPolicy::Ask,
        Some(Policy::Recommended) => InterventionPolicy::Recommended,
        None => cfg.run.interventions.unwrap_or(if console_mode {
            InterventionPolicy::Ask
        } else {
            InterventionPolicy::Recommended
        }),
    }
}

pub fn console_options(front: &FrontEnd) -> console::ConsoleOptions {
    console::ConsoleOptions {
        theme: front.theme.clone(),
        keymap: front.keymap.clone(),
        mouse: front.mouse,
        attach: false,
        ascii: None,
    }
}

pub fn spawn_event_log(link: storeshift_agents::Link) {
    let storeshift_agents::Link { mut events, .. } = link;
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            match ev.level {
                storeshift_agents::Level::Error => {
                    tracing::error!(seq = ev.seq, "{}", ev.summary())
                }
                storeshift_agents::Level::Warn => tracing::warn!(seq = ev.seq, "{}", ev.summary()),
                storeshift_agents::Level::Info => tracing::info!(seq = ev.seq, "{}", ev.summary()),
                storeshift_agents::Level::Debug => {
                    tracing::debug!(seq = ev.seq, "{}", ev.summary())
                }
            }
        }
    });
}

fn report_outcome(
    ws: &Workspace,
    store: &storeshift_agents::store::Store,
    outcome: &RunOutcome,
    format: EventsFormat,
) -> i32 {
    let say = |s: String| {
        if format == EventsFormat::Bars {
            eprintln!("{s}");
        }
    };
    let report = ws.reports().join("report.md");
    match outcome {
        RunOutcome::Done => {
            say(format!("done. Report: {}", report.display()));
            exit::DONE
        }
        RunOutcome::Failed { message } => {
            say(format!("failed: {message}\nEverything up to the failure is checkpointed; fix the cause and run again to resume."));
            exit::FAILED
        }
        RunOutcome::Stopped => {
            say(format!("stopped with everything checkpointed. Resume with `storeshift run` (workspace {}).", ws.dir.display()));
            exit::STOPPED
        }
        RunOutcome::WaitingForOperator => {
            let pending: Vec<_> = store
                .interventions()
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i.is_pending())
                .collect();
            say(format!(
                "waiting for an operator: {} intervention(s) need a decision:",
                pending.len()
            ));
            for iv in pending {
                let opts: Vec<String> = iv
                    .options
                    .iter()
                    .map(|o| {
                        if o.key == iv.recommended {
                            format!("{} (recommended)", o.key)
                        } else {
                            o.key.clone()
                        }
                    })
                    .collect();
                say(format!(
                    "  {}  {}\n      options: {}",
                    iv.id,
                    iv.title,
                    opts.join(", ")
                ));
            }
            say(format!(
                "decide with `storeshift decide {} <id> <option>`, then run again.",
                ws.dir.display()
            ));
            exit::WAITING_FOR_OPERATOR
        }
    }
}

/// `--restart`: keep the old state and outputs next to the new ones, never delete them.
fn move_aside(ws: &Workspace) -> Result<()> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    for (path, name) in [
        (ws.state(), "state"),
        (ws.events_mirror(), "events.jsonl"),
        (ws.dir.join("output"), "output"),
    ] {
        if path.exists() {
            let to = ws.dir.join(format!("{name}.before-restart-{stamp}"));
            std::fs::rename(&path, &to)
                .with_context(|| format!("cannot move {} aside", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the bundled demo store's export files into `dir`.
pub fn write_demo_store(dir: &Path) -> Result<()> {
    storeshift_connectors::synth::SynthStore::new(storeshift_connectors::synth::SynthSpec::demo())
        .write_dir(dir)
        .with_context(|| format!("cannot write the demo store into {}", dir.display()))?;
    Ok(())
}

/// The demo's config: the bundled WooCommerce export into Shopify import files.
pub fn demo_config(dir: &Path) -> String {
    let _ = dir;
    r#"# The bundled demo: a WooCommerce export (generated by storeshift, with planted problems)
# migrated into Shopify import files.
name = "Demo Outfitters"
workspace = "."

[source]
platform = "woocommerce"
kind = "files"
path = "source"
currency = "USD"
timezone = "UTC"                # the demo store keeps its clock on UTC

[target]
platform = "shopify"
kind = "files"

[run]
batch_size = 200
sample_size = 50
source_url = "https://demo-store.example"
"#
    .to_string()
}
