//! The contract harness: traffic recorded from a sandbox ([`crate::Traffic`]) checked against
//! the platform's own published API description. Both sides are held to it: every request a
//! connector sent (method, path, query parameters, JSON body) and every reply the sandbox gave
//! (status, JSON body against the schema documented for that status).
//!
//! The documents live in `sandbox/specs/` (their sources in its README). Where a document is
//! wrong or silent, the exception is written down once, with its evidence, in
//! `sandbox/specs/exceptions.toml`; the harness marks the mismatches it covers as excepted
//! instead of dropping them, so the report still shows them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use storeshift_sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
//! use storeshift_sandbox::contract::Contract;
//! let sb = BigCommerceSandbox::new(BigCommerceConfig::default());
//! sb.faults.traffic().record(true);
//! // ... run a connector against sb ...
//! let report = Contract::bigcommerce()?.check_all(&sb.faults.traffic().take());
//! assert!(report.open().is_empty(), "{report}");
//! # Ok(()) }
//! ```

mod check;
pub mod exceptions;
pub mod openapi;
pub mod readings;

use crate::Exchange;
pub use exceptions::Exception;
pub use openapi::Spec;
use openapi::{split_path, Operation};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) use crate::lock;

/// Why the harness could not be set up.
#[derive(Debug)]
pub enum ContractError {
    /// A specification document could not be read or indexed.
    Spec { file: String, message: String },
    /// The exceptions file could not be read.
    Exceptions { file: String, message: String },
}

impl std::fmt::Display for ContractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContractError::Spec { file, message } => write!(f, "specification {file}: {message}"),
            ContractError::Exceptions { file, message } => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for ContractError {}

/// What kind of disagreement a mismatch is; exceptions name these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// No operation of any loaded document has this method and path.
    UnknownOperation,
    UnknownQueryParameter,
    MissingQueryParameter,
    QueryValue,
    PathValue,
    /// The request body breaks the schema (or is missing, or is not expected).
    RequestBody,
    /// The request body carries a property the schema does not declare.
    UndeclaredRequestField,
    /// The reply's status is not one the operation documents.
    UndocumentedStatus,
    ReplyBody,
    UndeclaredReplyField,
    NotJson,
    /// The document's own schema does not compile (a spec error).
    BrokenSchema,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownOperation => "unknown-operation",
            Kind::UnknownQueryParameter => "unknown-query-parameter",
            Kind::MissingQueryParameter => "missing-query-parameter",
            Kind::QueryValue => "query-value",
            Kind::PathValue => "path-value",
            Kind::RequestBody => "request-body",
            Kind::UndeclaredRequestField => "undeclared-request-field",
            Kind::UndocumentedStatus => "undocumented-status",
            Kind::ReplyBody => "reply-body",
            Kind::UndeclaredReplyField => "undeclared-reply-field",
            Kind::NotJson => "not-json",
            Kind::BrokenSchema => "broken-schema",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        ALL_KINDS.iter().copied().find(|k| k.as_str() == s)
    }

    /// Whether the connector (request) or the sandbox (reply) is the side at fault.
    pub fn side(self) -> &'static str {
        match self {
            Kind::UndocumentedStatus | Kind::ReplyBody | Kind::UndeclaredReplyField => "sandbox",
            Kind::BrokenSchema => "specification",
            _ => "connector",
        }
    }
}

const ALL_KINDS: [Kind; 12] = [
    Kind::UnknownOperation,
    Kind::UnknownQueryParameter,
    Kind::MissingQueryParameter,
    Kind::QueryValue,
    Kind::PathValue,
    Kind::RequestBody,
    Kind::UndeclaredRequestField,
    Kind::UndocumentedStatus,
    Kind::ReplyBody,
    Kind::UndeclaredReplyField,
    Kind::NotJson,
    Kind::BrokenSchema,
];

/// One disagreement between an exchange and the specification.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mismatch {
    /// `"GET /catalog/products"` (the document's path template), or the raw path when no
    /// operation matched.
    pub operation: String,
    /// Where: `query sku:in`, `request /*/first_name`, `reply 200 /data/*/brand_name`, …
    pub at: String,
    pub kind: Kind,
    pub what: String,
    pub spec: String,
    /// The exception that covers it (its reason), if any.
    pub excepted: Option<String>,
}

impl Mismatch {
    fn new(spec: &Spec, op: &Operation, kind: Kind, at: String, what: String) -> Mismatch {
        Mismatch {
            operation: op.name(),
            at: at.trim_end().to_string(),
            kind,
            what,
            spec: spec.file.clone(),
            excepted: None,
        }
    }
}

/// A document and the request-path prefixes it is served under.
struct Mounted {
    spec: Spec,
    /// Prefix templates such as `/stores/{store_hash}/v3` (`""`: paths as written).
    prefixes: Vec<String>,
}

/// The specifications of one platform, with its exceptions.
pub struct Contract {
    pub platform: String,
    mounted: Vec<Mounted>,
    exceptions: Vec<Exception>,
    /// The query parameter that projects a reply to the fields it names (WordPress's
    /// `_fields`): a projected reply lacks the others by request, not by fault.
    projection: Option<&'static str>,
}

/// Where WooCommerce serves the REST API the WooCommerce contract describes.
pub const WOOCOMMERCE_PREFIX: &str = "/wp-json/wc/v3";
/// Where a WooCommerce store's WordPress serves its own REST API (pages).
pub const WORDPRESS_PREFIX: &str = "/wp-json/wp/v2";

/// Where the vendored specification documents and the exceptions file are.
pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

impl Contract {
    /// An empty contract for `platform`, with the exceptions the shared file lists for it.
    pub fn new(platform: &str) -> Result<Contract, ContractError> {
        let exceptions = exceptions::load(&specs_dir().join("exceptions.toml"))?
            .into_iter()
            .filter(|e| e.platform == platform)
            .collect();
        Ok(Contract {
            platform: platform.to_string(),
            mounted: vec![],
            exceptions,
            projection: None,
        })
    }

    /// Adds a document (a file in `sandbox/specs/`, or any path) served under `prefixes`.
    pub fn with_spec(mut self, file: &str, prefixes: &[&str]) -> Result<Contract, ContractError> {
        let path = if Path::new(file).is_absolute() {
            PathBuf::from(file)
        } else {
            specs_dir().join(file)
        };
        self.mounted.push(Mounted {
            spec: Spec::load(&path)?,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        });
        Ok(self)
    }

    /// Adds a document already loaded (tests of the harness, documents built in memory).
    pub fn with_loaded(mut self, spec: Spec, prefixes: &[&str]) -> Contract {
        self.mounted.push(Mounted {
            spec,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        });
        self
    }

    /// Adds an exception by hand (tests of the harness itself).
    pub fn with_exception(mut self, e: Exception) -> Contract {
        self.exceptions.push(e);
        self
    }

    /// BigCommerce: Catalog (products, variants, brands) and Customers v3 under
    /// `/stores/{hash}/v3`, Orders v2 under `/stores/{hash}/v2`.
    pub fn bigcommerce() -> Result<Contract, ContractError> {
        let v3 = ["/stores/{store_hash}/v3"];
        Contract::new("bigcommerce")?
            .with_spec("bigcommerce-catalog-products.v3.yml", &v3)?
            .with_spec("bigcommerce-catalog-variants.v3.yml", &v3)?
            .with_spec("bigcommerce-catalog-brands.v3.yml", &v3)?
            .with_spec("bigcommerce-catalog-category-trees.v3.yml", &v3)?
            .with_spec("bigcommerce-customers.v3.yml", &v3)?
            .with_spec("bigcommerce-orders.v2.yml", &["/stores/{store_hash}/v2"])
    }

    /// Ideasoft: its document's paths already start with `/admin-api`; read as Ideasoft
    /// answers it ([`readings::ideasoft`], argued in `specs/IDEASOFT-NOTES.md`).
    pub fn ideasoft() -> Result<Contract, ContractError> {
        let spec = Spec::load_read(
            &specs_dir().join("ideasoft-admin-api.openapi.json"),
            readings::ideasoft,
        )?;
        Ok(Contract::new("ideasoft")?.with_loaded(spec, &[""]))
    }

    /// Magento 2: `/rest/{store_code}/V1/…`, and `/rest/V1/…` for the default store.
    pub fn magento() -> Result<Contract, ContractError> {
        Contract::new("magento")?.with_spec(
            "magento-admin-schema-2.4.8.yaml",
            &["/rest/{store_code}", "/rest"],
        )
    }

    /// WooCommerce REST v3 under `/wp-json/wc/v3`: the OpenAPI document
    /// `tools/schemas/woocommerce-openapi.py` reads out of WooCommerce's Markdown reference
    /// (vendored in `specs/woocommerce-rest-v3/`; its readings argued in
    /// `specs/WOOCOMMERCE-NOTES.md`), and WordPress's own `/wp-json/wp/v2` for pages, read by
    /// `tools/schemas/wordpress-openapi.py` out of WordPress's reference (`specs/wordpress-rest-v2/`).
    pub fn woocommerce() -> Result<Contract, ContractError> {
        let mut c = Contract::new("woocommerce")?
            .with_spec("woocommerce-rest-v3.openapi.json", &[WOOCOMMERCE_PREFIX])?
            .with_spec("wordpress-rest-v2.openapi.json", &[WORDPRESS_PREFIX])?;
        c.projection = Some("_fields");
        Ok(c)
    }

    /// Operations indexed, per document (a sanity figure for reports and tests).
    pub fn operations(&self) -> Vec<(String, usize)> {
        self.mounted
            .iter()
            .map(|m| (m.spec.file.clone(), m.spec.operations.len()))
            .collect()
    }

    /// The best operation for a method and path: the one with the most literal segments, so
    /// `/catalog/products/category-assignments` wins over `/catalog/products/{product_id}`.
    fn find(&self, method: &str, path: &str) -> Option<(&Spec, &Operation, PathVars)> {
        let parts = split_path(path);
        let mut best: Option<(usize, &Spec, &Operation, PathVars)> = None;
        for m in &self.mounted {
            for prefix in &m.prefixes {
                let pre = split_path(prefix);
                if parts.len() < pre.len()
                    || !pre
                        .iter()
                        .zip(&parts)
                        .all(|(a, b)| a.starts_with('{') || a == b)
                {
                    continue;
                }
                let rest = &parts[pre.len()..];
                for op in &m.spec.operations {
                    if !op.method.eq_ignore_ascii_case(method) {
                        continue;
                    }
                    if let Some((lit, vars)) = op.matches(rest) {
                        let score = lit + pre.len();
                        if best.as_ref().is_none_or(|b| score > b.0) {
                            best = Some((score, &m.spec, op, vars));
                        }
                    }
                }
            }
        }
        best.map(|(_, s, o, v)| (s, o, v))
    }

    /// Every disagreement of one exchange with the specification, exceptions applied.
    pub fn check(&self, ex: &Exchange) -> Vec<Mismatch> {
        let mut out = match self.find(&ex.method, &ex.path) {
            Some((spec, op, vars)) => check::exchange(spec, op, &vars, ex),
            None => vec![Mismatch {
                operation: format!("{} {}", ex.method, ex.path),
                at: "path".into(),
                kind: Kind::UnknownOperation,
                what: "no operation of the specification has this method and path".into(),
                spec: self
                    .mounted
                    .iter()
                    .map(|m| m.spec.file.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                excepted: None,
            }],
        };
        if let Some(fields) = self.projected(ex) {
            out.retain(|m| {
                m.kind != Kind::ReplyBody
                    || required_property(&m.what).is_none_or(|p| fields.iter().any(|f| f == p))
            });
        }
        for m in &mut out {
            m.excepted = self
                .exceptions
                .iter()
                .find(|e| e.covers(m))
                .map(|e| e.why.clone());
        }
        out
    }

    /// The fields a request asked its reply to be projected to, if it did.
    fn projected(&self, ex: &Exchange) -> Option<Vec<String>> {
        let param = self.projection?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&ex.query).ok()?;
        let (_, list) = pairs.into_iter().find(|(k, _)| k == param)?;
        Some(list.split(',').map(|f| f.trim().to_string()).collect())
    }

    /// Checks a whole recording and folds identical mismatches together.
    pub fn check_all(&self, traffic: &[Exchange]) -> Report {
        let mut seen: BTreeMap<Mismatch, usize> = BTreeMap::new();
        let mut operations: BTreeMap<String, usize> = BTreeMap::new();
        for ex in traffic {
            if let Some((_, op, _)) = self.find(&ex.method, &ex.path) {
                *operations.entry(op.name()).or_default() += 1;
            }
            for m in self.check(ex) {
                *seen.entry(m).or_default() += 1;
            }
        }
        Report {
            platform: self.platform.clone(),
            exchanges: traffic.len(),
            operations,
            mismatches: seen.into_iter().collect(),
        }
    }
}

/// What a recording looked like against the specification.
#[derive(Debug, Clone)]
pub struct Report {
    pub platform: String,
    pub exchanges: usize,
    /// Operations exercised and how often.
    pub operations: BTreeMap<String, usize>,
    /// Each distinct mismatch with the number of times it occurred.
    pub mismatches: Vec<(Mismatch, usize)>,
}

impl Report {
    /// Mismatches no exception covers: what a test must see empty.
    pub fn open(&self) -> Vec<&Mismatch> {
        self.mismatches
            .iter()
            .filter(|(m, _)| m.excepted.is_none())
            .map(|(m, _)| m)
            .collect()
    }

    pub fn excepted(&self) -> Vec<&Mismatch> {
        self.mismatches
            .iter()
            .filter(|(m, _)| m.excepted.is_some())
            .map(|(m, _)| m)
            .collect()
    }

    /// Folds another report in (several runs against one platform).
    pub fn merge(&mut self, other: Report) {
        self.exchanges += other.exchanges;
        for (k, v) in other.operations {
            *self.operations.entry(k).or_default() += v;
        }
        let mut all: BTreeMap<Mismatch, usize> = self.mismatches.drain(..).collect();
        for (m, n) in other.mismatches {
            *all.entry(m).or_default() += n;
        }
        self.mismatches = all.into_iter().collect();
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: {} exchanges over {} operations; {} mismatches open, {} excepted",
            self.platform,
            self.exchanges,
            self.operations.len(),
            self.open().len(),
            self.excepted().len()
        )?;
        for (m, n) in &self.mismatches {
            let mark = if m.excepted.is_some() {
                "excepted"
            } else {
                "OPEN"
            };
            writeln!(
                f,
                "  [{mark}] {} | {} | {} ({}, ×{n}): {}",
                m.operation,
                m.at,
                m.kind.as_str(),
                m.kind.side(),
                m.what
            )?;
            if let Some(why) = &m.excepted {
                writeln!(f, "      because: {why}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// The property a validator's "`\"name\" is a required property`" message names.
fn required_property(what: &str) -> Option<&str> {
    what.strip_suffix(" is a required property")?
        .strip_prefix('"')?
        .strip_suffix('"')
}

/// A path's template variables and the values the request gave them.
type PathVars = Vec<(String, String)>;
