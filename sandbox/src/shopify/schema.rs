//! The Admin API schema of each version the sandbox serves, and the validation of incoming
//! documents against it (cached per document text, as Shopify's own query cache does).
//!
//! The connector's default version's schema is compiled in (`sandbox/schemas/shopify/`, see the
//! README there), so every test validates without the network. Other supported versions are
//! read from `STORESHIFT_SHOPIFY_SCHEMAS` or the cache `tools/schemas/shopify-dev-mcp.sh` fills.

use crate::graphql_schema::{Document, GraphqlSchema};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use storeshift_connectors::platform::shopify::{API_VERSION, API_VERSIONS};

/// The version whose schema is compiled in.
pub const VENDORED_VERSION: &str = "2026-07";

/// The vendored `admin_2026-07.json.gz`, byte for byte as `@shopify/dev-mcp` publishes it.
pub const VENDORED_SCHEMA: &[u8] = include_bytes!("../../schemas/shopify/admin_2026-07.json.gz");

/// The `@shopify/dev-mcp` release the schemas come from (also pinned in the fetch script).
pub const DEV_MCP_VERSION: &str = "1.16.0";

/// How the sandbox answers a version in the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// A supported version: served as asked.
    Version(&'static str),
    /// A well-formed version Shopify no longer serves: it falls forward to the oldest it does
    /// (and says so in `X-Shopify-API-Version`), as Shopify documents.
    FallForward(&'static str),
    /// Not a version: 404.
    NotFound,
}

pub fn served(version: &str) -> Served {
    if let Some(v) = API_VERSIONS.supported.iter().find(|v| **v == version) {
        return Served::Version(v);
    }
    let well_formed = version.len() == 7
        && version.as_bytes()[4] == b'-'
        && version[..4].chars().all(|c| c.is_ascii_digit())
        && matches!(&version[5..], "01" | "04" | "07" | "10");
    if well_formed && version < API_VERSIONS.supported[0] {
        Served::FallForward(API_VERSIONS.supported[0])
    } else {
        Served::NotFound
    }
}

/// Where schemas of other versions are looked for.
pub fn schema_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("STORESHIFT_SHOPIFY_SCHEMAS") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("STORESHIFT_ENGINES_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("storeshift-engines"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/storeshift-engines"))
        })
        .unwrap_or_else(|| PathBuf::from(".cache/storeshift-engines"));
    cache.join(format!("shopify-dev-mcp-{DEV_MCP_VERSION}/data"))
}

type Loaded = Result<Arc<GraphqlSchema>, String>;

fn schemas() -> &'static Mutex<HashMap<&'static str, Loaded>> {
    static SCHEMAS: OnceLock<Mutex<HashMap<&'static str, Loaded>>> = OnceLock::new();
    SCHEMAS.get_or_init(Default::default)
}

/// The schema of a supported version, loaded once per process (about a third of a second).
pub fn schema(version: &'static str) -> Loaded {
    let mut map = crate::lock(schemas());
    map.entry(version)
        .or_insert_with(|| {
            let loaded = if version == VENDORED_VERSION {
                GraphqlSchema::from_gzip(VENDORED_SCHEMA, "sandbox/schemas/shopify/admin_2026-07.json.gz")
            } else {
                GraphqlSchema::from_file(&schema_dir().join(format!("admin_{version}.json.gz")))
            };
            loaded.map(Arc::new).map_err(|e| {
                format!("the Shopify sandbox has no schema for {version}: {e} (run tools/schemas/shopify-dev-mcp.sh or set STORESHIFT_SHOPIFY_SCHEMAS; {API_VERSION} is built in)")
            })
        })
        .clone()
}

/// Validated documents by version and text; bounded, since a long rehearsal sends many
/// distinct batch sizes.
#[derive(Default)]
pub struct DocumentCache {
    map: Mutex<HashMap<(&'static str, String), Validated>>,
}

/// A document that validated, or Shopify's errors for it.
type Validated = Result<Document, Vec<Value>>;

const CACHE_LIMIT: usize = 4096;

impl DocumentCache {
    pub fn validate(
        &self,
        schema: &GraphqlSchema,
        version: &'static str,
        text: &str,
    ) -> Result<Document, Vec<Value>> {
        let key = (version, text.to_string());
        if let Some(hit) = crate::lock(&self.map).get(&key) {
            return hit.clone();
        }
        let result = schema.validate(text);
        let mut map = crate::lock(&self.map);
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(key, result.clone());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_schema_is_the_connectors_default_version() {
        assert_eq!(VENDORED_VERSION, API_VERSION);
        let s = schema(VENDORED_VERSION).expect("vendored schema loads");
        assert!(s.validate("{ shop { currencyCode } }").is_ok());
        let e = s.validate("{ shop { currency } }").unwrap_err();
        assert_eq!(
            e[0]["message"],
            "Field 'currency' doesn't exist on type 'Shop'"
        );
    }

    #[test]
    fn retired_versions_fall_forward_and_made_up_ones_are_not_found() {
        assert_eq!(served("2026-07"), Served::Version("2026-07"));
        assert_eq!(served("2025-07"), Served::FallForward("2025-10"));
        assert_eq!(served("2025-13"), Served::NotFound);
        assert_eq!(served("latest"), Served::NotFound);
    }
}
