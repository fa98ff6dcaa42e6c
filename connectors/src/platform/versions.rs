//! API versions a connector speaks: each versioned platform lists, in its own facts file, the
//! versions its requests were checked against (oldest first) and the one it uses unless the
//! endpoint pins another with `options = { api_version = "..." }`. A pinned version outside
//! the list is refused when the config is loaded, with what is supported.

use crate::model::Platform;
use crate::spec::EndpointSpec;
use serde_json::Value;

/// How a platform names its versions, so "older" can be told from "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionScheme {
    /// `YYYY-MM` (Shopify): a new one every quarter, each served for about a year.
    Calendar,
    /// A number with a prefix (`wc/v3`, `v3`, `V1`, `3`): higher is newer.
    Numbered,
}

/// The versions of one platform's API.
#[derive(Debug, Clone, Copy)]
pub struct ApiVersions {
    pub platform: Platform,
    /// Oldest first; every one is accepted when pinned.
    pub supported: &'static [&'static str],
    /// Used when the endpoint pins none.
    pub default: &'static str,
    pub scheme: VersionScheme,
    /// Why the list is what it is (named in the refusal).
    pub why: &'static str,
}

/// Why a pinned version was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// `api_version` is not a string.
    NotText { platform: Platform },
    /// Older than the oldest supported version (the platform no longer serves it).
    TooOld {
        platform: Platform,
        given: String,
        oldest: &'static str,
        supported: String,
        why: &'static str,
    },
    /// Newer than the newest, or not a version of this platform's API at all.
    Unknown {
        platform: Platform,
        given: String,
        supported: String,
        why: &'static str,
    },
}

impl std::fmt::Display for VersionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionError::NotText { platform } => write!(
                f,
                "options.api_version must be a string such as \"{}\" ({platform})",
                versions(*platform).map(|v| v.default).unwrap_or("...")
            ),
            VersionError::TooOld {
                platform,
                given,
                oldest,
                supported,
                why,
            } => write!(
                f,
                "options.api_version = \"{given}\" is older than {platform}'s oldest supported version {oldest} ({why}); supported: {supported}; remove the option to use the default"
            ),
            VersionError::Unknown {
                platform,
                given,
                supported,
                why,
            } => write!(
                f,
                "options.api_version = \"{given}\" is not a {platform} API version storeshift supports ({why}); supported: {supported}; remove the option to use the default"
            ),
        }
    }
}

impl std::error::Error for VersionError {}

/// The API versions of `platform`, when its API is versioned.
pub fn versions(platform: Platform) -> Option<&'static ApiVersions> {
    match platform {
        Platform::Shopify => Some(&super::shopify::API_VERSIONS),
        Platform::WooCommerce => Some(&super::woocommerce::API_VERSIONS),
        Platform::Magento => Some(&super::magento::API_VERSIONS),
        Platform::BigCommerce => Some(&super::bigcommerce::API_VERSIONS),
        Platform::Ideasoft => Some(&super::ideasoft::API_VERSIONS),
        Platform::Ikas | Platform::Medusa | Platform::Vendure => None,
    }
}

impl ApiVersions {
    fn listed(&self) -> String {
        let mut s = self.supported.join(", ");
        s.push_str(&format!("; default {}", self.default));
        s
    }

    fn rank(&self, v: &str) -> Option<(u32, u32)> {
        match self.scheme {
            VersionScheme::Calendar => {
                let (y, m) = v.split_once('-')?;
                let (y, m): (u32, u32) = (y.parse().ok()?, m.parse().ok()?);
                (y >= 2000 && (1..=12).contains(&m) && v.len() == 7).then_some((y, m))
            }
            VersionScheme::Numbered => {
                let from = v.find(|c: char| c.is_ascii_digit())?;
                let digits: String = v[from..].chars().take_while(char::is_ascii_digit).collect();
                Some((digits.parse().ok()?, 0))
            }
        }
    }

    /// The version a request uses: the pinned one when supported, else the default.
    pub fn resolve(&self, pinned: Option<&str>) -> Result<&'static str, VersionError> {
        let Some(given) = pinned.map(str::trim) else {
            return Ok(self.default);
        };
        if let Some(v) = self
            .supported
            .iter()
            .find(|s| s.eq_ignore_ascii_case(given))
        {
            return Ok(v);
        }
        // `v3` for `wc/v3`, `3.0.0` for `3`: the same number is the same version.
        if self.scheme == VersionScheme::Numbered {
            if let Some(v) = self
                .supported
                .iter()
                .find(|s| self.rank(s).is_some() && self.rank(s) == self.rank(given))
            {
                return Ok(v);
            }
        }
        let oldest = self.supported[0];
        match (self.rank(given), self.rank(oldest)) {
            (Some(g), Some(o)) if g < o => Err(VersionError::TooOld {
                platform: self.platform,
                given: given.to_string(),
                oldest,
                supported: self.listed(),
                why: self.why,
            }),
            _ => Err(VersionError::Unknown {
                platform: self.platform,
                given: given.to_string(),
                supported: self.listed(),
                why: self.why,
            }),
        }
    }
}

/// The API version an endpoint uses (`None`: its platform's API has no versions), or why the
/// pinned one is refused. Files endpoints use no API: their option is not looked at.
pub fn api_version(spec: &EndpointSpec) -> Result<Option<&'static str>, VersionError> {
    let Some(v) = versions(spec.platform) else {
        return Ok(None);
    };
    let pinned = match spec.options.get("api_version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(VersionError::NotText {
                platform: spec.platform,
            })
        }
    };
    v.resolve(pinned).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Platform;
    use crate::spec::{EndpointKind, EndpointSpec};
    use serde_json::json;

    fn spec(platform: Platform, version: Value) -> EndpointSpec {
        let mut s = EndpointSpec::files(platform, "x");
        s.kind = EndpointKind::Api;
        s.options.insert("api_version".into(), version);
        s
    }

    #[test]
    fn every_platform_defaults_to_a_supported_version_listed_oldest_first() {
        for p in Platform::ALL {
            let Some(v) = versions(p) else { continue };
            assert!(v.supported.contains(&v.default), "{p}");
            let ranks: Vec<_> = v.supported.iter().map(|s| v.rank(s)).collect();
            assert!(ranks.iter().all(Option::is_some), "{p}: {ranks:?}");
            assert!(
                ranks.windows(2).all(|w| w[0] < w[1]),
                "{p}: not oldest first"
            );
        }
    }

    #[test]
    fn shopify_refuses_a_version_it_no_longer_serves_and_says_what_it_takes() {
        let e = api_version(&spec(Platform::Shopify, json!("2025-07"))).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, VersionError::TooOld { .. }), "{msg}");
        assert!(
            msg.contains("\"2025-07\"") && msg.contains("2025-10") && msg.contains("default"),
            "{msg}"
        );
        assert!(matches!(
            api_version(&spec(Platform::Shopify, json!("2031-01"))),
            Err(VersionError::Unknown { .. })
        ));
        assert!(matches!(
            api_version(&spec(Platform::Shopify, json!(202607))),
            Err(VersionError::NotText { .. })
        ));
        let pinned = api_version(&spec(Platform::Shopify, json!("2026-04"))).unwrap();
        assert_eq!(pinned, Some("2026-04"));
        let mut none = spec(Platform::Shopify, Value::Null);
        none.options.clear();
        assert_eq!(
            api_version(&none).unwrap(),
            Some(crate::platform::shopify::API_VERSION)
        );
    }

    #[test]
    fn rest_platforms_refuse_retired_api_versions() {
        for (p, old) in [
            (Platform::WooCommerce, "wc/v2"),
            (Platform::BigCommerce, "v2"),
            (Platform::Ideasoft, "2"),
        ] {
            let e = api_version(&spec(p, json!(old))).unwrap_err();
            assert!(matches!(e, VersionError::TooOld { .. }), "{p}: {e}");
        }
        assert!(matches!(
            api_version(&spec(Platform::Magento, json!("V2"))),
            Err(VersionError::Unknown { .. })
        ));
        assert_eq!(
            api_version(&spec(Platform::WooCommerce, json!("wc/v3"))).unwrap(),
            Some("wc/v3")
        );
        assert_eq!(
            api_version(&spec(Platform::Ikas, json!("v9"))).unwrap(),
            None
        );
    }
}
