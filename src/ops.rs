//! Workspace commands: they talk to a live run through its control socket, and read or write
//! the workspace directly when no run is live (sled admits one process).

use crate::cli::{DecideArgs, EventsArgs, RollbackArgs, WsArgs};
use crate::headless;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, Write};
use std::path::Path;
use storeshift_agents::control::{self, Request};
use storeshift_agents::store::Store;
use storeshift_agents::{
    maintenance, runtime, Actor, Command, MigrationConfig, RunState, Snapshot, SyncStatus,
    Workspace,
};

/// A workspace named by its directory or by the migration.toml that names it.
pub struct Target {
    pub ws: Workspace,
    pub cfg: Option<MigrationConfig>,
}

pub fn resolve(path: &Path) -> Result<Target> {
    if path.is_file() {
        let cfg = MigrationConfig::load(path)?;
        return Ok(Target {
            ws: Workspace::new(cfg.workspace_dir()),
            cfg: Some(cfg),
        });
    }
    if !path.is_dir() {
        bail!(
            "{} is neither a workspace directory nor a migration.toml",
            path.display()
        );
    }
    // A run leaves a copy of its config (absolute paths) in the workspace.
    let copy = Workspace::new(path).config_copy();
    if copy.is_file() {
        let cfg = MigrationConfig::load(&copy)?;
        return Ok(Target {
            ws: Workspace::new(path),
            cfg: Some(cfg),
        });
    }
    let local = path.join("migration.toml");
    if local.is_file() {
        let cfg = MigrationConfig::load(&local)?;
        return Ok(Target {
            ws: Workspace::new(cfg.workspace_dir()),
            cfg: Some(cfg),
        });
    }
    if !Workspace::exists(path) {
        bail!("{} has no storeshift workspace (no state/ or events.jsonl); start one with `storeshift run`", path.display());
    }
    Ok(Target {
        ws: Workspace::new(path),
        cfg: None,
    })
}

fn open_store(ws: &Workspace) -> Result<Store> {
    Store::open(&ws.state()).map_err(|e| anyhow!("{e}"))
}

/// A live run (through its socket) or the workspace itself. A run that is starting holds the
/// state before its socket answers, so a lock is waited out for a few seconds.
enum Access {
    Live,
    Offline(Store),
}

async fn access(ws: &Workspace) -> Result<Access> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if control::is_live(&ws.socket()).await {
            return Ok(Access::Live);
        }
        match Store::open(&ws.state()) {
            Ok(store) => return Ok(Access::Offline(store)),
            Err(storeshift_agents::store::StoreError::Locked(_))
                if std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => return Err(anyhow!("{e}")),
        }
    }
}

pub async fn status(args: &WsArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let snap = if let Access::Offline(store) = access(&t.ws).await? {
        let (src, dst) = t
            .cfg
            .as_ref()
            .map(|c| (c.source.describe(), c.target.describe()))
            .unwrap_or_default();
        let mut snap = runtime::snapshot_from_store(&store, src, dst)
            .ok_or_else(|| anyhow!("no run has started in {}", t.ws.dir.display()))?;
        // Nobody is syncing: what the next `storeshift sync` will do is in the state.
        let every = t.cfg.as_ref().map(|c| c.sync.full_every).unwrap_or(0);
        if let Some(why) = crate::sync::owed_full_cycle(&store, every) {
            snap.sync = Some(SyncStatus {
                full_next: Some(why),
                held: snap.state == RunState::Paused,
                ..SyncStatus::default()
            });
        }
        snap
    } else {
        let resp = control::request(&t.ws.socket(), &Request::Status).await?;
        resp.snapshot
            .map(|s| *s)
            .ok_or_else(|| anyhow!("the run sent no status"))?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&snap)?);
    } else {
        print!("{}", describe(&snap, &t.ws));
    }
    Ok(match snap.state {
        RunState::Failed => 1,
        RunState::WaitingForOperator => 3,
        _ => 0,
    })
}

pub fn describe(s: &Snapshot, ws: &Workspace) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "run {}{}: {} → {}\n",
        s.run,
        s.kind
            .map(|k| format!(" ({})", k.label()))
            .unwrap_or_default(),
        s.source,
        s.target
    ));
    o.push_str(&format!(
        "state {}  phase {}  elapsed {}s{}\n",
        s.state.label(),
        s.phase.map(|p| p.label()).unwrap_or("-"),
        s.elapsed_secs,
        s.eta_secs
            .map(|e| format!("  ETA {e}s"))
            .unwrap_or_default()
    ));
    if let Some(why) = s.sync.as_ref().and_then(|y| y.full_next.as_deref()) {
        o.push_str(&format!(
            "next sync cycle: full (every entity read whole) — {why}\n"
        ));
    }
    for e in &s.entities {
        let c = &e.counts;
        o.push_str(&format!(
            "  {:<11} {:>7}/{:<7} created {} updated {} unchanged {} skipped {} failed {}\n",
            e.entity.to_string(),
            c.done(),
            e.expected
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            c.created,
            c.updated,
            c.unchanged,
            c.skipped,
            c.failed
        ));
    }
    let pending: Vec<_> = s.pending_interventions().collect();
    o.push_str(&format!(
        "interventions: {} pending, {} decided\n",
        pending.len(),
        s.interventions.len() - pending.len()
    ));
    for iv in &s.interventions {
        match &iv.decision {
            None => {
                let opts: Vec<String> = iv
                    .options
                    .iter()
                    .map(|x| {
                        if x.key == iv.recommended {
                            format!("{}*", x.key)
                        } else {
                            x.key.clone()
                        }
                    })
                    .collect();
                o.push_str(&format!(
                    "  {}  PENDING  {}\n      options (* recommended): {}\n",
                    iv.id,
                    iv.title,
                    opts.join(", ")
                ));
            }
            Some(d) => o.push_str(&format!(
                "  {}  {}  {} — by {} at {}\n",
                iv.id,
                d.option,
                iv.title,
                d.by.describe(),
                d.at
            )),
        }
    }
    o.push_str(&format!("workspace {}\n", ws.dir.display()));
    o
}

pub async fn pause_resume(args: &WsArgs, pause: bool) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let by = Actor::current("cli");
    let offline = match access(&t.ws).await? {
        Access::Live => None,
        Access::Offline(store) => Some(store),
    };
    if offline.is_none() {
        let command = if pause {
            Command::Pause { by }
        } else {
            Command::Resume { by }
        };
        let resp = control::request(&t.ws.socket(), &Request::Command { command }).await?;
        if !resp.ok {
            bail!("{}", resp.error.unwrap_or_default());
        }
        println!("{} (live run)", if pause { "paused" } else { "resumed" });
    } else if let Some(store) = offline {
        let run = runtime::current_run(&store).map(|r| r.run).unwrap_or(1);
        runtime::record_pause(&store, run, pause, by).map_err(|e| anyhow!(e))?;
        println!(
            "{} — no run is live; the next `storeshift run` starts {}",
            if pause { "paused" } else { "resumed" },
            if pause { "paused" } else { "running" }
        );
    }
    Ok(0)
}

pub async fn decide(args: &DecideArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let by = Actor::current("cli");
    let value = match &args.mapping {
        Some(p) => Some(
            storeshift_agents::agents::file_mapping::value_from_file(p).map_err(|e| anyhow!(e))?,
        ),
        None => None,
    };
    let offline = match access(&t.ws).await? {
        Access::Live => None,
        Access::Offline(store) => Some(store),
    };
    if offline.is_none() {
        let command = Command::Decide {
            id: args.id.clone(),
            option: args.option.clone(),
            note: args.note.clone(),
            by,
            value: value.clone(),
        };
        let resp = control::request(&t.ws.socket(), &Request::Command { command }).await?;
        if !resp.ok {
            bail!("{}", resp.error.unwrap_or_default());
        }
    } else if let Some(store) = offline {
        let run = store
            .intervention(&args.id)
            .ok()
            .flatten()
            .map(|i| i.run)
            .unwrap_or(1);
        runtime::record_decision_with(
            &store,
            run,
            &args.id,
            &args.option,
            args.note.clone(),
            value,
            by,
        )
        .map_err(|e| anyhow!(e))?;
    }
    println!("decided {}: {}", args.id, args.option);
    Ok(0)
}

pub async fn events(args: &EventsArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let print = |ev: &storeshift_agents::Event| {
        if args.json {
            println!("{}", serde_json::to_string(ev).unwrap_or_default());
        } else {
            println!("{}", headless::line(ev));
        }
    };
    let mut after = args.after;
    if control::is_live(&t.ws.socket()).await {
        loop {
            let resp =
                control::request(&t.ws.socket(), &Request::Events { after, limit: 5000 }).await?;
            if resp.events.is_empty() {
                break;
            }
            for ev in &resp.events {
                print(ev);
                after = ev.seq;
            }
        }
        if args.follow {
            let link = control::attach(&t.ws.socket()).await?;
            let storeshift_agents::Link { mut events, .. } = link;
            while let Some(ev) = events.recv().await {
                if ev.seq > after {
                    print(&ev);
                }
            }
        }
        return Ok(0);
    }
    let from_store = Store::open(&t.ws.state()).ok().and_then(|s| {
        let mut all = vec![];
        let mut a = after;
        loop {
            let batch = s.events_after(a, 10_000).ok()?;
            if batch.is_empty() {
                break;
            }
            a = batch.last().map(|e| e.seq).unwrap_or(a);
            all.extend(batch);
        }
        Some(all)
    });
    let events = match from_store {
        Some(ev) if !ev.is_empty() || !t.ws.events_mirror().exists() => ev,
        _ => {
            eprintln!(
                "(reading the event log mirror {})",
                t.ws.events_mirror().display()
            );
            storeshift_agents::hub::read_mirror(&t.ws.events_mirror())
                .with_context(|| format!("cannot read {}", t.ws.events_mirror().display()))?
                .into_iter()
                .filter(|e| e.seq > after)
                .collect()
        }
    };
    for ev in &events {
        print(ev);
    }
    Ok(0)
}

pub fn config(path: &Path) -> Result<i32> {
    let cfg = MigrationConfig::load(path)?;
    print!("{}", cfg.to_masked_toml());
    Ok(0)
}

pub fn init(args: &crate::cli::InitArgs) -> Result<i32> {
    for p in [&args.source, &args.target] {
        if storeshift_connectors::model::Platform::parse(p).is_none() {
            bail!("unknown platform {p:?}: use shopify, woocommerce, magento, bigcommerce, ideasoft, ikas, medusa or vendure");
        }
    }
    std::fs::create_dir_all(&args.dir)?;
    let path = args.dir.join("migration.toml");
    if path.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    let text = storeshift_agents::config::template(&args.source, &args.source_path, &args.target);
    std::fs::write(&path, text)?;
    println!(
        "wrote {} — edit it, then: storeshift run {}",
        path.display(),
        path.display()
    );
    Ok(0)
}

pub fn report(args: &WsArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let md = t.ws.reports().join("report.md");
    if !md.exists() {
        bail!(
            "no report yet in {}: it is written when the run finishes (or fails)",
            t.ws.reports().display()
        );
    }
    if args.json {
        print!(
            "{}",
            std::fs::read_to_string(t.ws.reports().join("report.json"))?
        );
    } else {
        print!("{}", std::fs::read_to_string(&md)?);
        eprintln!(
            "\n(report files: {}/report.{{md,html,json}})",
            t.ws.reports().display()
        );
    }
    Ok(0)
}

pub async fn rollback(args: &RollbackArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    if control::is_live(&t.ws.socket()).await {
        bail!(
            "a run is live in {}: stop it first (console `q`, or Ctrl-C on the headless run)",
            t.ws.dir.display()
        );
    }
    let cfg = t
        .cfg
        .ok_or_else(|| anyhow!("rollback needs the migration config (pass the migration.toml)"))?;
    let store = open_store(&t.ws)?;
    let plan = maintenance::rollback_plan(&store, &t.ws, &cfg).map_err(|e| anyhow!(e))?;
    let what = match &plan.output_dir {
        Some(dir) => format!(
            "remove run {}'s import files in {}",
            plan.run,
            dir.display()
        ),
        None => format!(
            "delete {} records run {} created in {} ({}), and nothing that was there before",
            plan.count(),
            plan.run,
            cfg.target.describe(),
            plan.records
                .iter()
                .map(|(e, v)| format!("{} {e}", v.len()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if !args.yes {
        eprint!("This will {what}.\nType 'yes' to continue: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != "yes" {
            eprintln!("rollback cancelled; nothing changed");
            return Ok(4);
        }
    }
    let done = maintenance::rollback(&store, &cfg, &t.ws, &plan)
        .await
        .map_err(|e| anyhow!(e))?;
    println!(
        "rolled back run {}: {} records removed",
        plan.run, done.deleted
    );
    for note in &done.notes {
        println!("  {note}");
    }
    Ok(0)
}

pub fn recover(args: &WsArgs) -> Result<i32> {
    let ws = if args.workspace.is_file() {
        Workspace::new(MigrationConfig::load(&args.workspace)?.workspace_dir())
    } else {
        Workspace::new(&args.workspace)
    };
    if Store::open(&ws.state()).is_ok() {
        println!(
            "the state at {} opens fine; nothing to recover",
            ws.state().display()
        );
        return Ok(0);
    }
    println!("{}", maintenance::recover(&ws).map_err(|e| anyhow!(e))?);
    Ok(0)
}

pub async fn attach(args: &crate::cli::AttachArgs) -> Result<i32> {
    let t = resolve(&args.workspace)?;
    let link = control::attach(&t.ws.socket()).await.map_err(|e| {
        anyhow!(
            "no live run answers in {} ({e}); start it with `storeshift run`",
            t.ws.dir.display()
        )
    })?;
    let opts = crate::console::ConsoleOptions {
        theme: args.theme.clone(),
        keymap: args.keymap.clone(),
        mouse: args.mouse,
        attach: true,
        ascii: None,
    };
    crate::console::run(link, opts).await?;
    Ok(0)
}
