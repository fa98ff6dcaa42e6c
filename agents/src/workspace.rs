//! The workspace directory: where one migration keeps its state, logs, outputs and reports.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
}

impl Workspace {
    pub fn new(dir: impl Into<PathBuf>) -> Workspace {
        Workspace { dir: dir.into() }
    }

    /// sled state database.
    pub fn state(&self) -> PathBuf {
        self.dir.join("state")
    }
    /// Daily log files (tracing-appender).
    pub fn logs(&self) -> PathBuf {
        self.dir.join("logs")
    }
    /// The event log mirror, one JSON object per line.
    pub fn events_mirror(&self) -> PathBuf {
        self.dir.join("events.jsonl")
    }
    /// Import files written by run `run` (file targets).
    pub fn output(&self, run: u32) -> PathBuf {
        self.dir.join("output").join(format!("run-{run}"))
    }
    pub fn reports(&self) -> PathBuf {
        self.dir.join("report")
    }
    /// Files a connector keeps while it reads them (a Shopify bulk query's result), removed
    /// when read.
    pub fn scratch(&self) -> PathBuf {
        self.dir.join("scratch")
    }
    /// Drafts of customer notices, for the merchant to send.
    pub fn drafts(&self) -> PathBuf {
        self.dir.join("drafts")
    }
    /// The live run's control socket (mode 0600).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }
    /// The config the workspace was last run with, so `status` and friends find it.
    pub fn config_copy(&self) -> PathBuf {
        self.dir.join(".migration.toml")
    }

    pub fn create(&self) -> std::io::Result<()> {
        for d in [self.dir.clone(), self.logs(), self.reports()] {
            std::fs::create_dir_all(d)?;
        }
        Ok(())
    }

    pub fn exists(path: &Path) -> bool {
        path.join("state").is_dir() || path.join("events.jsonl").is_file()
    }
}
