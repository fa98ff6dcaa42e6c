//! `migration.toml`: what to move, from where, to where, and how.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use storeshift_connectors::model::Entity;
use storeshift_connectors::EndpointSpec;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationConfig {
    /// A name for reports and the console header.
    #[serde(default = "default_name")]
    pub name: String,
    /// Where state, logs, outputs and reports live. Relative to the config file.
    #[serde(default = "default_workspace")]
    pub workspace: PathBuf,
    pub source: EndpointSpec,
    pub target: EndpointSpec,
    #[serde(default)]
    pub run: RunOptions,
    /// `storeshift sync`: how far back each cycle's window reaches before the last one ended.
    #[serde(default)]
    pub sync: SyncOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<EmbeddingConfig>,
    /// Directory of the config file; relative paths resolve against it. Not part of the file.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

fn default_name() -> String {
    "migration".into()
}
fn default_workspace() -> PathBuf {
    PathBuf::from(".")
}

/// `"90s"`, `"5m"`, `"2h"`, `"1d"` (a number and a unit; `0` alone is zero).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!("{text:?} is not a duration; write it like \"30s\", \"5m\", \"2h\" or \"1d\"")
    })?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} has no known unit; write it like \"30s\", \"5m\", \"2h\" or \"1d\""
            ))
        }
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(secs)))
}

/// The `[sync]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncOptions {
    /// Each cycle reads changes from the last high-water mark minus this much (`"5m"`, `"30s"`,
    /// `"1h"`): a source clock running behind, or a record saved while the last cycle read,
    /// is still caught; what the overlap reads again unchanged is skipped by content hash.
    #[serde(default = "default_overlap")]
    pub overlap: String,
    /// Every Nth cycle is full (`storeshift sync --full`): it reads every entity whole, so a
    /// change the source's "changed since" filter cannot see still moves. 0: never.
    #[serde(
        default,
        skip_serializing_if = "is_zero_u32",
        deserialize_with = "cycle_count"
    )]
    pub full_every: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            overlap: default_overlap(),
            full_every: 0,
        }
    }
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// `full_every`: a whole number of cycles. Anything else is refused with what to write
/// instead (the TOML error adds the file, line and column).
fn cycle_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    let hint = "give a whole number of sync cycles: N makes every Nth cycle read the whole source, 0 never";
    match toml::Value::deserialize(d)? {
        toml::Value::Integer(n) => u32::try_from(n)
            .map_err(|_| D::Error::custom(format!("[sync] full_every = {n}: {hint}"))),
        toml::Value::String(s) => Err(D::Error::custom(format!(
            "[sync] full_every = {s:?}: it counts cycles, not time; {hint}"
        ))),
        other => Err(D::Error::custom(format!(
            "[sync] full_every = {other}: {hint}"
        ))),
    }
}

fn default_overlap() -> String {
    "5m".into()
}

/// What the run does when an intervention needs a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterventionPolicy {
    /// Wait for an operator (console, `storeshift decide`). Headless runs exit with code 3.
    Ask,
    /// Take each intervention's recommended option and record that it was automatic.
    Recommended,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// Entities to move, in any order (the plan orders them by dependency). Empty = all the
    /// source has.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Records per committed batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// `ask` or `recommended`. Unset: the console asks; headless runs take the recommended option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interventions: Option<InterventionPolicy>,
    /// Records per entity compared field by field after the load.
    #[serde(default = "default_sample")]
    pub sample_size: usize,
    /// Events kept in the state database (the JSONL mirror keeps all).
    #[serde(default = "default_retention")]
    pub event_retention: u64,
    /// Source storefront base URL, for absolute redirect targets and reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// Slow the executor down by this many milliseconds per batch (rehearsals, demos, tests).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttle_ms: u64,
    /// How a live target is verified: `sample` (counts from count endpoints, the sample by id)
    /// or `full` (everything read back).
    #[serde(default)]
    pub verify: VerifyMode,
    /// Most of the load's API spend (points or requests) a sampled verification may use, in
    /// percent; the sample shrinks to fit.
    #[serde(default = "default_verify_budget")]
    pub verify_budget_pct: f64,
    /// A proposed column mapping of an unknown source file is taken without an operator
    /// (`--interventions recommended`) only when every column's confidence reaches this.
    #[serde(default = "default_mapping_confidence")]
    pub mapping_min_confidence: f32,
}

/// How a live target is verified after the load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    /// Counts from the platform's count endpoints, the sample fetched by id.
    #[default]
    Sample,
    /// Every record read back (Shopify: bulk queries where the source uses them).
    Full,
}

fn default_verify_budget() -> f64 {
    storeshift_connectors::verify::sizing::DEFAULT_BUDGET_PCT
}

fn default_mapping_confidence() -> f32 {
    0.6
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn default_batch() -> usize {
    500
}
fn default_sample() -> usize {
    storeshift_connectors::verify::sizing::DEFAULT_SAMPLE_SIZE
}
fn default_retention() -> u64 {
    100_000
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            entities: vec![],
            batch_size: default_batch(),
            interventions: None,
            sample_size: default_sample(),
            event_retention: default_retention(),
            source_url: None,
            throttle_ms: 0,
            verify: VerifyMode::default(),
            verify_budget_pct: default_verify_budget(),
            mapping_min_confidence: default_mapping_confidence(),
        }
    }
}

/// An OpenAI-compatible chat server (optional: every agent works without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key (never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(default = "default_llm_timeout")]
    pub timeout_secs: u64,
}

fn default_llm_timeout() -> u64 {
    60
}

/// An OpenAI-compatible `/v1/embeddings` server for category and attribute mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    pub base_url: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Target categories to map onto (one path per line, "Women > Knitwear"), when the target
    /// store's own categories are not readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxonomy: Option<PathBuf>,
    /// Below this cosine similarity a mapping becomes an intervention.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
}

fn default_min_confidence() -> f32 {
    // e5-family models score unrelated pairs around 0.80, related ones 0.90 and up.
    0.90
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl MigrationConfig {
    pub fn load(path: &Path) -> Result<MigrationConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let mut cfg = Self::parse(&text, path)?;
        let parent = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."));
        // Absolute, so paths derived from it stay right whatever the current directory.
        cfg.base_dir = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
        Ok(cfg)
    }

    /// Parses config text; errors name the file, line and column and what is wrong.
    pub fn parse(text: &str, path: &Path) -> Result<MigrationConfig, ConfigError> {
        let cfg: MigrationConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            ConfigError(format!(
                "{}:{line}:{col}: {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        cfg.validate(path)?;
        cfg.check_api_versions(text, path)?;
        Ok(cfg)
    }

    /// A pinned `api_version` the platform no longer serves (or storeshift does not speak) is
    /// refused here, before anything runs, at the line that pins it.
    fn check_api_versions(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        for (side, spec) in [("source", &self.source), ("target", &self.target)] {
            if spec.kind != storeshift_connectors::EndpointKind::Api {
                continue;
            }
            if let Err(e) = storeshift_connectors::platform::versions::api_version(spec) {
                let at = key_position(text, side, "api_version")
                    .map(|(l, c)| format!(":{l}:{c}"))
                    .unwrap_or_default();
                return Err(ConfigError(format!("{}{at}: [{side}] {e}", path.display())));
            }
        }
        Ok(())
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        if self.run.batch_size == 0 {
            return Err(ConfigError(format!(
                "{}: [run] batch_size must be at least 1",
                path.display()
            )));
        }
        if let Err(e) = parse_duration(&self.sync.overlap) {
            return Err(ConfigError(format!(
                "{}: [sync] overlap: {e}",
                path.display()
            )));
        }
        for (side, spec) in [("source", &self.source), ("target", &self.target)] {
            if spec.kind == storeshift_connectors::EndpointKind::Api && spec.url.is_none() {
                return Err(ConfigError(format!(
                    "{}: [{side}] kind = \"api\" needs `url = \"https://...\"`",
                    path.display()
                )));
            }
        }
        if self.source.kind == storeshift_connectors::EndpointKind::Files
            && self.source.path.is_none()
            && self.source.files.is_empty()
        {
            return Err(ConfigError(format!(
                "{}: [source] kind = \"files\" needs `path = \"...\"` (a directory or a file) or a [source.files] table",
                path.display()
            )));
        }
        Ok(())
    }

    /// The workspace directory, resolved against the config file's directory.
    pub fn workspace_dir(&self) -> PathBuf {
        if self.workspace.is_absolute() {
            self.workspace.clone()
        } else if self.workspace == Path::new(".") {
            self.base_dir.clone()
        } else {
            self.base_dir.join(&self.workspace)
        }
    }

    /// The effective config as TOML with every credential shown as the variable it comes from,
    /// never its value.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        for spec in [&mut shown.source, &mut shown.target] {
            for (_, var) in spec.credentials.iter_mut() {
                let set = std::env::var(var.as_str()).is_ok();
                *var = format!(
                    "${var} ({})",
                    if set { "set, value hidden" } else { "NOT SET" }
                );
            }
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }

    pub fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(&(&self.source, &self.target, &self.run.entities))
            .unwrap_or_default();
        blake3::hash(&bytes).to_hex()[..16].to_string()
    }
}

/// Line and column of `key` inside the `[side]` table (inline `options = { key = .. }` or a
/// `[side.options]` table), for errors found after parsing.
fn key_position(text: &str, side: &str, key: &str) -> Option<(usize, usize)> {
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            inside = name == side || name.starts_with(&format!("{side}."));
            continue;
        }
        if inside && !t.starts_with('#') {
            if let Some(col) = line.find(key) {
                return Some((i + 1, line[..col].chars().count() + 1));
            }
        }
    }
    None
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// The commented `migration.toml` that `storeshift init` writes.
pub fn template(source_platform: &str, source_path: &str, target_platform: &str) -> String {
    format!(
        r#"# storeshift migration — edit, then run: storeshift run migration.toml
name = "my-store"

# Where state (sled), logs, outputs and reports live. Relative to this file.
workspace = "."

[source]
# shopify | woocommerce | magento | bigcommerce | ideasoft | ikas | medusa | vendure
platform = "{source_platform}"
# files: export files (a directory, recognised by header, or one file); api: the live store
kind = "files"
path = "{source_path}"
# Currency of prices the files do not state.
currency = "USD"
# encoding = "windows-1254"   # overrides detection (windows-1250 ... windows-1258, iso-8859-2, ...)
# timezone = "Europe/Istanbul"   # the store's clock, for times the files write without a zone (default UTC)

[target]
platform = "{target_platform}"
kind = "files"
# Import files go to <workspace>/output/run-N unless a path is given.
# timezone = "Europe/Istanbul"   # local times in the import files are written on this clock
# For a live store instead:
# kind = "api"
# url = "https://example.myshopify.com"
# credentials = {{ token = "SHOPIFY_ADMIN_TOKEN" }}   # names of environment variables, never values

[run]
# entities = ["products", "customers", "orders", "pages", "redirects"]   # default: all the source has
batch_size = 500
# ask: wait for an operator at each intervention; recommended: take the recommended option.
# Unset: the console asks, headless runs take the recommended option and the report says so.
# interventions = "ask"
sample_size = 50
event_retention = 100000
# source_url = "https://old-store.example"

# Optional: an OpenAI-compatible server adds narrative, suggestions and drafts. Nothing depends on it.
# [llm]
# base_url = "http://127.0.0.1:8080/v1"
# model = "qwen2.5-7b-instruct"
# api_key_env = "OPENAI_API_KEY"

# Optional: an OpenAI-compatible /v1/embeddings server maps categories onto the target's.
# [embeddings]
# base_url = "http://127.0.0.1:8090/v1"
# model = "multilingual-e5-small"
# taxonomy = "target-categories.txt"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_and_errors_point_at_line_and_column() {
        let cfg = MigrationConfig::parse(
            &template("woocommerce", "source", "shopify"),
            Path::new("m.toml"),
        )
        .unwrap();
        assert_eq!(cfg.run.batch_size, 500);
        let bad = "name = \"x\"\n[source]\nplatform = \"woocommerce\"\nkind = \"filez\"\n";
        let err = MigrationConfig::parse(bad, Path::new("m.toml"))
            .unwrap_err()
            .0;
        assert!(err.starts_with("m.toml:4:"), "{err}");
    }

    #[test]
    fn full_every_counts_cycles_and_anything_else_is_refused_at_its_line() {
        let base = template("woocommerce", "source", "shopify");
        let with = |v: &str| format!("{base}\n[sync]\noverlap = \"1m\"\nfull_every = {v}\n");
        let line = with("0").lines().count();
        let cfg = MigrationConfig::parse(&with("12"), Path::new("m.toml")).unwrap();
        assert_eq!(cfg.sync.full_every, 12);
        let cfg = MigrationConfig::parse(&base, Path::new("m.toml")).unwrap();
        assert_eq!(cfg.sync.full_every, 0, "absent: never");
        for (bad, says) in [
            (
                "-2",
                "[sync] full_every = -2: give a whole number of sync cycles",
            ),
            ("\"10m\"", "it counts cycles, not time"),
            ("2.5", "[sync] full_every = 2.5: give a whole number"),
            (
                "4294967296",
                "[sync] full_every = 4294967296: give a whole number",
            ),
        ] {
            let err = MigrationConfig::parse(&with(bad), Path::new("m.toml"))
                .unwrap_err()
                .0;
            assert!(err.starts_with(&format!("m.toml:{line}:")), "{err}");
            assert!(err.contains(says), "{bad}: {err}");
        }
        // The workspace's copy of the config says it again only when set.
        let cfg = MigrationConfig::parse(&with("3"), Path::new("m.toml")).unwrap();
        let copy = toml::to_string_pretty(&cfg).unwrap();
        assert!(copy.contains("full_every = 3"), "{copy}");
        let back = MigrationConfig::parse(&copy, Path::new("m.toml")).unwrap();
        assert_eq!(back.sync, cfg.sync);
    }

    #[test]
    fn a_retired_api_version_is_refused_at_its_line() {
        let text = "[source]\nplatform = \"woocommerce\"\nkind = \"files\"\npath = \"s\"\n\n[target]\nplatform = \"shopify\"\nkind = \"api\"\nurl = \"https://x.myshopify.com\"\noptions = { plan = \"plus\", api_version = \"2025-07\" }\n";
        let err = MigrationConfig::parse(text, Path::new("m.toml"))
            .unwrap_err()
            .0;
        assert!(
            err.starts_with("m.toml:10:28: [target] options.api_version = \"2025-07\""),
            "{err}"
        );
        assert!(
            err.contains("2025-10") && err.contains("default 2026-07"),
            "{err}"
        );
        let pinned = text.replace("2025-07", "2026-04");
        let cfg = MigrationConfig::parse(&pinned, Path::new("m.toml")).unwrap();
        assert_eq!(cfg.target.options["api_version"], "2026-04");
        // A files endpoint uses no API: its options are not versions.
        let files = text.replace("kind = \"api\"", "kind = \"files\"");
        assert!(MigrationConfig::parse(&files, Path::new("m.toml")).is_ok());
    }

    #[test]
    fn masked_config_never_shows_secret_values() {
        std::env::set_var("STORESHIFT_TEST_SECRET_TOKEN", "shpat_supersecret");
        let text = template("woocommerce", "source", "shopify").replace(
            "kind = \"files\"\n# Import",
            "kind = \"api\"\nurl = \"https://x.example\"\ncredentials = { token = \"STORESHIFT_TEST_SECRET_TOKEN\" }\n# Import",
        );
        let cfg = MigrationConfig::parse(&text, Path::new("m.toml")).unwrap();
        let shown = cfg.to_masked_toml();
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(
            shown.contains("STORESHIFT_TEST_SECRET_TOKEN (set, value hidden)"),
            "{shown}"
        );
    }
}
