//! `storeshift cutover`: the switch-over checklist, in the console or headless. Each step is
//! an intervention; the freeze and domain steps always wait for a person, so a headless
//! cutover stops there (exit code 3) until `storeshift decide` answers and it is run again.

use crate::cli::CutoverArgs;
use crate::run::{self, Kind};
use anyhow::{anyhow, Result};
use storeshift_agents::cutover::CutoverOptions;

pub async fn cutover(args: &CutoverArgs) -> Result<i32> {
    let t = crate::ops::resolve(&args.workspace)?;
    let cfg = t.cfg.ok_or_else(|| {
        anyhow!(
            "{} has no migration.toml: cut over the workspace a finished `storeshift run` made",
            args.workspace.display()
        )
    })?;
    // Options given replace the saved ones; none given keeps what the cutover started with.
    let given = args.check_live.is_some()
        || args.check_rate.is_some()
        || args.check_concurrency.is_some()
        || args.check_live_ca.is_some();
    // Read now, so a wrong path is said before the cutover starts; kept absolute, so a
    // resumed cutover finds it from anywhere.
    let check_ca = match &args.check_live_ca {
        Some(path) => {
            std::fs::read(path)
                .map_err(|e| anyhow!("--check-live-ca {}: cannot read it: {e}", path.display()))?;
            Some(std::path::absolute(path)?)
        }
        None => None,
    };
    let options = given.then(|| {
        let d = CutoverOptions::default();
        CutoverOptions {
            check_live: args.check_live.clone(),
            check_rate: args.check_rate.unwrap_or(d.check_rate),
            concurrency: args.check_concurrency.unwrap_or(d.concurrency).max(1),
            check_ca,
        }
    });
    run::drive_kind(cfg, &args.front, false, Kind::Cutover(options), None).await
}
