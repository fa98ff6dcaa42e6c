//! Admin API clients of every platform behind the [`Source`]/[`Target`] traits.

pub mod bigcommerce;
pub mod http;
pub mod ideasoft;
pub mod ikas;
pub mod magento;
pub mod medusa;
pub mod shopify;
pub mod token_store;
pub mod vendure;
pub mod woocommerce;

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::model::Platform;
use crate::spec::EndpointSpec;
use std::path::Path;

/// A pinned API version outside the platform's supported ones is refused before any call
/// (the config loader refuses it first; this covers connectors opened without a config).
fn check_version(spec: &EndpointSpec) -> Result<()> {
    crate::platform::versions::api_version(spec)
        .map(|_| ())
        .map_err(|e| ConnectorError::Input(format!("[{}] {e}", spec.platform)))
}

/// `base` is the config file's directory (files an API connector keeps, such as a rotating
/// token, resolve against it).
pub fn open_source(spec: &EndpointSpec, base: &Path) -> Result<Box<dyn Source>> {
    check_version(spec)?;
    // Every platform has an API connector; a new platform must add its arm here.
    Ok(match spec.platform {
        Platform::Shopify => Box::new(shopify::ShopifySource::open_in(spec, base)?),
        Platform::WooCommerce => Box::new(woocommerce::WooSource::open(spec)?),
        Platform::BigCommerce => Box::new(bigcommerce::BigCommerceSource::open(spec)?),
        Platform::Magento => Box::new(magento::MagentoSource::open(spec)?),
        Platform::Ikas => Box::new(ikas::IkasSource::open(spec)?),
        Platform::Ideasoft => Box::new(ideasoft::IdeasoftSource::open_in(spec, base)?),
        Platform::Medusa => Box::new(medusa::Medusa::open(spec)?),
        Platform::Vendure => Box::new(vendure::Vendure::open(spec)?),
    })
}

pub fn open_target(spec: &EndpointSpec, base: &Path) -> Result<Box<dyn Target>> {
    check_version(spec)?;
    // Every platform has an API connector; a new platform must add its arm here.
    Ok(match spec.platform {
        Platform::Shopify => Box::new(shopify::ShopifyTarget::open(spec)?),
        Platform::WooCommerce => Box::new(woocommerce::WooTarget::open(spec)?),
        Platform::BigCommerce => Box::new(bigcommerce::BigCommerceTarget::open(spec)?),
        Platform::Magento => Box::new(magento::MagentoTarget::open(spec)?),
        Platform::Ikas => Box::new(ikas::IkasTarget::open(spec)?),
        Platform::Ideasoft => Box::new(ideasoft::IdeasoftTarget::open_in(spec, base)?),
        Platform::Medusa => Box::new(medusa::Medusa::open(spec)?),
        Platform::Vendure => Box::new(vendure::Vendure::open(spec)?),
    })
}

/// Counts and look-ups by id for verification; every API platform has them (import files are
/// read back whole through their source).
pub fn open_verifier(spec: &EndpointSpec) -> Result<Option<Box<dyn crate::verify::Verifier>>> {
    check_version(spec)?;
    Ok(match spec.platform {
        Platform::Shopify => Some(Box::new(shopify::ShopifyVerifier::open(spec)?)),
        Platform::WooCommerce => Some(Box::new(woocommerce::WooVerifier::open(spec)?)),
        Platform::BigCommerce => Some(Box::new(bigcommerce::BigCommerceVerifier::open(spec)?)),
        Platform::Magento => Some(Box::new(magento::MagentoVerifier::open(spec)?)),
        Platform::Ikas => Some(Box::new(ikas::IkasVerifier::open(spec)?)),
        Platform::Ideasoft => Some(Box::new(ideasoft::IdeasoftVerifier::open(spec)?)),
        Platform::Medusa => Some(Box::new(medusa::MedusaVerifier::open(spec)?)),
        Platform::Vendure => Some(Box::new(vendure::VendureVerifier::open(spec)?)),
    })
}

/// A time an API sent as text (RFC 3339, RFC 2822, or UTC without a zone), `None` when absent
/// or unreadable.
/// An amount as the platforms write it in JSON — a number, or a numeric string (WooCommerce's
/// prices, Shopify's `Decimal` scalars) — read exactly, never through a float. `None` for
/// `null` or an empty string: each reply type decides whether that is allowed.
pub(crate) fn amount_of(
    v: &serde_json::Value,
) -> std::result::Result<Option<rust_decimal::Decimal>, String> {
    use std::str::FromStr;
    let text = match v {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) if s.trim().is_empty() => return Ok(None),
        serde_json::Value::String(s) => s.trim().to_string(),
        other => return Err(format!("expected an amount, got {other}")),
    };
    rust_decimal::Decimal::from_str(&text)
        .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
        .map(Some)
        .map_err(|e| format!("{text:?} is not an amount: {e}"))
}

pub(crate) fn time(text: Option<String>) -> Option<crate::model::Timestamp> {
    text.as_deref().and_then(crate::model::Timestamp::parse_api)
}
