//! `open_source` / `open_target` build every API connector from `migration.toml`'s endpoint,
//! reading credentials only from the environment variables it names.

use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use storeshift_connectors::model::{Entity, Platform};
use storeshift_connectors::{open_source, open_target, EndpointKind, EndpointSpec};

fn spec(platform: Platform, credentials: &[(&str, &str)]) -> EndpointSpec {
    EndpointSpec {
        platform,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some("http://127.0.0.1:9".into()),
        credentials: credentials
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        currency: None,
        encoding: None,
        timezone: None,
        options: [("store_hash".to_string(), json!("abc"))]
            .into_iter()
            .collect(),
        mapping: None,
    }
}

#[test]
fn every_api_connector_opens_from_its_spec_and_names_missing_credentials() {
    std::env::set_var("STORESHIFT_FACTORY_SECRET", "s3cr3t-value");
    let cases: [(Platform, &[(&str, &str)]); 5] = [
        (Platform::Shopify, &[("token", "STORESHIFT_FACTORY_SECRET")]),
        (
            Platform::WooCommerce,
            &[
                ("consumer_key", "STORESHIFT_FACTORY_SECRET"),
                ("consumer_secret", "STORESHIFT_FACTORY_SECRET"),
            ],
        ),
        (
            Platform::BigCommerce,
            &[("token", "STORESHIFT_FACTORY_SECRET")],
        ),
        (Platform::Magento, &[("token", "STORESHIFT_FACTORY_SECRET")]),
        (
            Platform::Ikas,
            &[
                ("client_id", "STORESHIFT_FACTORY_SECRET"),
                ("client_secret", "STORESHIFT_FACTORY_SECRET"),
            ],
        ),
    ];
    for (platform, creds) in cases {
        let s = spec(platform, creds);
        let source =
            open_source(&s, Path::new(".")).unwrap_or_else(|e| panic!("{platform} source: {e}"));
        assert_eq!(source.platform(), platform);
        assert!(
            !source.describe().contains("s3cr3t"),
            "{platform} describes without secrets"
        );
        let target = open_target(&s, Path::new("."), Path::new("."))
            .unwrap_or_else(|e| panic!("{platform} target: {e}"));
        assert!(target.accepts(Entity::Products));
        assert_eq!(
            target.accepts(Entity::Customers),
            platform != Platform::Ikas
        );
        // Shopify imports orders through orderCreate and WooCommerce through /orders; the
        // others say they cannot.
        assert_eq!(
            target.accepts(Entity::Orders),
            matches!(platform, Platform::Shopify | Platform::WooCommerce),
            "{platform} says what it can load"
        );
        assert!(target.is_remote());

        let mut unset = spec(platform, creds);
        for v in unset.credentials.values_mut() {
            *v = "STORESHIFT_FACTORY_NOT_SET".into();
        }
        let err = open_target(&unset, Path::new("."), Path::new("."))
            .err()
            .expect("missing credential");
        assert!(
            err.to_string().contains("STORESHIFT_FACTORY_NOT_SET"),
            "{platform}: {err}"
        );
        let err = open_source(&spec(platform, &[]), Path::new("."))
            .err()
            .expect("no credentials configured");
        assert!(
            err.to_string().contains("credentials ="),
            "{platform}: {err}"
        );
    }
}
