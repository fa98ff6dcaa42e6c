//! Admin API clients of every platform behind the [`Source`]/[`Target`] traits.

pub mod http;
pub mod shopify;
pub mod woocommerce;

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::model::Platform;
use crate::spec::EndpointSpec;

pub fn open_source(spec: &EndpointSpec) -> Result<Box<dyn Source>> {
    match spec.platform {
        Platform::Shopify => return Ok(Box::new(shopify::ShopifySource::open(spec)?)),
        Platform::WooCommerce => return Ok(Box::new(woocommerce::WooSource::open(spec)?)),
        _ => {}
    }
    Err(ConnectorError::Input(format!("the {} API is not supported as a source yet", spec.platform)))
}

pub fn open_target(spec: &EndpointSpec) -> Result<Box<dyn Target>> {
    match spec.platform {
        Platform::Shopify => return Ok(Box::new(shopify::ShopifyTarget::open(spec)?)),
        Platform::WooCommerce => return Ok(Box::new(woocommerce::WooTarget::open(spec)?)),
        _ => {}
    }
    Err(ConnectorError::Input(format!("the {} API is not supported as a target yet", spec.platform)))
}
