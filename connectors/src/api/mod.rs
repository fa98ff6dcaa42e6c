//! Admin API clients of every platform behind the [`Source`]/[`Target`] traits.

pub mod bigcommerce;
pub mod http;
pub mod ikas;
pub mod magento;
pub mod medusa;
pub mod shopify;
pub mod vendure;
pub mod woocommerce;

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::model::Platform;
use crate::spec::EndpointSpec;

pub fn open_source(spec: &EndpointSpec) -> Result<Box<dyn Source>> {
    match spec.platform {
        Platform::Shopify => return Ok(Box::new(shopify::ShopifySource::open(spec)?)),
        Platform::WooCommerce => return Ok(Box::new(woocommerce::WooSource::open(spec)?)),
        Platform::BigCommerce => return Ok(Box::new(bigcommerce::BigCommerceSource::open(spec)?)),
        Platform::Magento => return Ok(Box::new(magento::MagentoSource::open(spec)?)),
        Platform::Ikas => return Ok(Box::new(ikas::IkasSource::open(spec)?)),
        Platform::Medusa => return Ok(Box::new(medusa::Medusa::open(spec)?)),
        Platform::Vendure => return Ok(Box::new(vendure::Vendure::open(spec)?)),
        _ => {}
    }
    Err(ConnectorError::Input(format!(
        "the {} API is not supported as a source yet",
        spec.platform
    )))
}

pub fn open_target(spec: &EndpointSpec) -> Result<Box<dyn Target>> {
    match spec.platform {
        Platform::Shopify => return Ok(Box::new(shopify::ShopifyTarget::open(spec)?)),
        Platform::WooCommerce => return Ok(Box::new(woocommerce::WooTarget::open(spec)?)),
        Platform::BigCommerce => return Ok(Box::new(bigcommerce::BigCommerceTarget::open(spec)?)),
        Platform::Magento => return Ok(Box::new(magento::MagentoTarget::open(spec)?)),
        Platform::Ikas => return Ok(Box::new(ikas::IkasTarget::open(spec)?)),
        Platform::Medusa => return Ok(Box::new(medusa::Medusa::open(spec)?)),
        Platform::Vendure => return Ok(Box::new(vendure::Vendure::open(spec)?)),
        _ => {}
    }
    Err(ConnectorError::Input(format!(
        "the {} API is not supported as a target yet",
        spec.platform
    )))
}
