//! Known errors and silences of the published specifications, in one file
//! (`sandbox/specs/exceptions.toml`), each with its evidence. A mismatch an exception covers
//! is reported as excepted, not dropped.

use super::{ContractError, Kind, Mismatch};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub platform: String,
    /// `"GET /catalog/products"`, or `"*"` for every operation.
    pub operation: String,
    /// The mismatch's place, exactly (`*` there is an array index, as mismatches write them),
    /// a prefix ending in `**`, or a suffix starting with `**` (one property wherever it is).
    pub at: String,
    /// The kind it covers (any kind when absent).
    #[serde(default)]
    pub kind: Option<String>,
    /// Only mismatches whose message contains one of these (all when absent).
    #[serde(default)]
    pub matching: Option<Vec<String>>,
    /// What is wrong or missing in the specification.
    pub why: String,
    /// Where that shows: the platform's own words, a documented behaviour, a real reply.
    pub evidence: String,
}

impl Exception {
    pub fn covers(&self, m: &Mismatch) -> bool {
        let op = self.operation == "*" || self.operation == m.operation;
        let at = match (self.at.strip_suffix("**"), self.at.strip_prefix("**")) {
            (Some(prefix), _) => m.at.starts_with(prefix),
            (None, Some(suffix)) => m.at.ends_with(suffix),
            (None, None) => self.at == m.at,
        };
        let kind = self.kind.as_deref().is_none_or(|k| k == m.kind.as_str());
        let what = self
            .matching
            .as_ref()
            .is_none_or(|w| w.iter().any(|w| m.what.contains(w.as_str())));
        op && at && kind && what
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    exception: Vec<Exception>,
}

/// Reads the exceptions file; an unknown kind or an exception without evidence is refused.
pub fn load(path: &Path) -> Result<Vec<Exception>, ContractError> {
    let name = path.display().to_string();
    let err = |message: String| ContractError::Exceptions {
        file: name.clone(),
        message,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(err(format!("cannot read: {e}"))),
    };
    let file: File = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    for (i, e) in file.exception.iter().enumerate() {
        if let Some(k) = &e.kind {
            if Kind::parse(k).is_none() {
                return Err(err(format!(
                    "exception {} ({} {}): unknown kind {k:?}",
                    i + 1,
                    e.operation,
                    e.at
                )));
            }
        }
        if e.evidence.trim().is_empty() || e.why.trim().is_empty() {
            return Err(err(format!(
                "exception {} ({} {}): says neither why nor with what evidence; both are required",
                i + 1,
                e.operation,
                e.at
            )));
        }
    }
    Ok(file.exception)
}
