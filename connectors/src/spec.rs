//! How `migration.toml` names a source or a target, and the one factory that opens it.
//!
//! ```toml
//! [source]
//! platform = "woocommerce"
//! kind = "files"
//! path = "source"            # a directory of export files (recognised by header) or one file
//! currency = "USD"
//!
//! [target]
//! platform = "shopify"
//! kind = "api"
//! url = "https://example.myshopify.com"
//! credentials = { token = "SHOPIFY_TOKEN" }   # names of environment variables, never values
//! ```

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::model::{Entity, Platform};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    /// Export files to read, or import files to write.
    Files,
    /// A live store through its Admin API.
    Api,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    pub platform: Platform,
    pub kind: EndpointKind,
    /// Files: a directory (sources: every export file in it, recognised by its header; targets:
    /// where import files are written) or a single file. Relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Files: explicit file per entity, overriding recognition by header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<Entity, PathBuf>,
    /// API: the store's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// API: credential name → name of the environment variable holding it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, String>,
    /// Currency of prices that the files do not state (CSV exports rarely do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Text encoding of source files, overriding detection (utf-8, windows-1250 ... windows-1258,
    /// iso-8859-2, ...; a byte order mark still wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The store's time zone (IANA, e.g. `Europe/Istanbul`): the zone of times its files write
    /// without one, and the zone a target's files are written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Platform-specific settings (API version, plan, store view, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, toml_value::Value>,
    /// Files: a column mapping (TOML, as `storeshift inspect --write-mapping` writes it) for
    /// export files whose layout storeshift does not know. Relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<PathBuf>,
}

/// Options are kept as JSON values so connectors need no TOML dependency.
pub mod toml_value {
    pub type Value = serde_json::Value;
}

impl EndpointSpec {
    pub fn files(platform: Platform, path: impl Into<PathBuf>) -> Self {
        EndpointSpec {
            platform,
            kind: EndpointKind::Files,
            path: Some(path.into()),
            files: BTreeMap::new(),
            url: None,
            credentials: BTreeMap::new(),
            currency: None,
            encoding: None,
            timezone: None,
            options: BTreeMap::new(),
            mapping: None,
        }
    }

    pub fn currency(&self) -> &str {
        self.currency.as_deref().unwrap_or("USD")
    }

    /// The store's zone, `None` when the config names none.
    pub fn zone(&self) -> Result<Option<crate::model::Zone>> {
        match self.timezone.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(name) => crate::model::parse_zone(name).map(Some).ok_or_else(|| {
                ConnectorError::Input(format!(
                    "timezone \"{name}\" of the {} {} is not a time zone; use an IANA name such \
                     as Europe/Istanbul, America/New_York or UTC",
                    self.platform,
                    match self.kind {
                        EndpointKind::Files => "files",
                        EndpointKind::Api => "API",
                    }
                ))
            }),
        }
    }

    /// Resolves `path` against the directory of the config file.
    pub fn resolved_path(&self, base: &Path) -> Option<PathBuf> {
        self.path.as_ref().map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            }
        })
    }

    /// Reads a credential from the environment variable the config names. The value is never
    /// logged or stored; errors name the variable, not the value.
    pub fn credential(&self, name: &str) -> Result<String> {
        let var = self.credentials.get(name).ok_or_else(|| {
            ConnectorError::Input(format!(
                "{} {} needs credential `{name}`: add `credentials = {{ {name} = \"ENV_VAR_NAME\" }}` to its section",
                self.platform, "endpoint"
            ))
        })?;
        std::env::var(var).map_err(|_| {
            ConnectorError::Input(format!(
                "environment variable {var} (credential `{name}` for {}) is not set",
                self.platform
            ))
        })
    }

    /// A description without secrets, for logs and the console header.
    pub fn describe(&self) -> String {
        match self.kind {
            EndpointKind::Files => match &self.path {
                Some(p) => format!("{} files ({})", self.platform, p.display()),
                None => format!("{} import files", self.platform),
            },
            EndpointKind::Api => format!(
                "{} API ({})",
                self.platform,
                self.url.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// Opens a source. `base` is the directory relative paths are resolved against.
pub fn open_source(spec: &EndpointSpec, base: &Path) -> Result<Box<dyn Source>> {
    match spec.kind {
        EndpointKind::Files => crate::files::open_source(spec, base),
        EndpointKind::Api => crate::api::open_source(spec, base),
    }
}

/// Opens a target. File targets write into `out_dir` when the spec names no path.
pub fn open_target(spec: &EndpointSpec, base: &Path, out_dir: &Path) -> Result<Box<dyn Target>> {
    match spec.kind {
        EndpointKind::Files => crate::files::open_target(spec, base, out_dir),
        EndpointKind::Api => crate::api::open_target(spec, base),
    }
}
