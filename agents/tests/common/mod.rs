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
        early: Default::default(),
    }))
}

/// A files-to-files config with extra sections appended.
pub fn config(extra: &str) -> String {
    format!(
        "name = \"test-store\"\nworkspace = \"ws\"\n\n[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"source\"\ncurrency = \"USD\"\n\n[target]\nplatform = \"shopify\"\nkind = \"files\"\n\n{extra}\n"
    )
}

/// Every committed event as JSON, read raw from the events tree (an agent-status event carries
/// `agent` twice once flattened, which `Store::events_after` cannot decode).
pub fn events(ctx: &Ctx) -> Vec<serde_json::Value> {
    ctx.store
        .tree(storeshift_agents::store::T::Events)
        .iter()
        .filter_map(|r| r.ok())
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// The message or task text of every committed event.
pub fn event_lines(ctx: &Ctx) -> Vec<String> {
    events(ctx)
        .iter()
        .map(|v| {
            let text = v
                .get("message")
                .or_else(|| v.get("task"))
                .and_then(|m| m.as_str());
            text.unwrap_or_default().to_string()
        })
        .collect()
}
