//! A runtime context over a scratch workspace, for tests that drive one agent or helper directly.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use storeshift_agents::config::InterventionPolicy;
use storeshift_agents::hub::Hub;
use storeshift_agents::runtime::{Ctx, Inner};
use storeshift_agents::store::Store;
use storeshift_agents::{MigrationConfig, Snapshot, Workspace};

/// A context for run 1 of a workspace in `dir`, configured by `toml` (a migration.toml text).
pub fn ctx(dir: &Path, toml: &str) -> Ctx {
    let cfg_path = dir.join("migration.toml");
    std::fs::write(&cfg_path, toml).expect("write config");
    let cfg = MigrationConfig::load(&cfg_path).expect("config parses");
    let ws = Workspace::new(cfg.workspace_dir());
    ws.create().expect("workspace");
    let store = Arc::new(Store::open(&ws.state()).expect("state opens"));
    let (tx, _rx) = tokio::sync::mpsc::channel(8);
    let snap = Snapshot::new(1, cfg.source.describe(), cfg.target.describe());
    let hub = Arc::new(Hub::new(store.clone(), snap, &ws.events_mirror(), tx));
    Ctx(Arc::new(Inner {
        cfg,
        ws,
        store,
        hub,
        run: 1,
        policy: InterventionPolicy::Recommended,
        incremental: false,
    }))
}

/// A files-to-files config with extra sections appended.
pub fn config(extra: &str) -> String {
    format!(
        "name = \"test-store\"\nworkspace = \"ws\"\n\n[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"source\"\ncurrency = \"USD\"\n\n[target]\nplatform = \"shopify\"\nkind = \"files\"\n\n{extra}\n"
    )
}

/// Every committed event's summary line.
pub fn event_lines(ctx: &Ctx) -> Vec<String> {
    ctx.store
        .events_after(0, 100_000)
        .expect("events")
        .iter()
        .map(|e| e.summary())
        .collect()
}
