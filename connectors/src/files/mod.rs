//! Export and import files of every platform: readers and writers into and out of the
//! canonical model, behind the [`Source`]/[`Target`] traits.
//!
//! Platform modules provide an [`EntityReader`] per export file and an [`EntityWriter`] per
//! import file; [`FileSource`] and [`FileTarget`] turn those into resumable sources and
//! crash-safe targets.

pub mod bigcommerce;
pub mod cells;
pub mod convert;
pub mod dates;
pub mod ikas;
pub mod loaded;
pub mod magento;
pub mod medusa;
mod readback;
pub mod shopify;
mod source;
pub mod split;
pub mod table;
mod target;
#[cfg(test)]
pub(crate) mod testkit;
pub mod vendure;
pub mod woocommerce;

pub use source::{EntityReader, FileSource};
pub use target::{EntityWriter, FileTarget};

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::spec::EndpointSpec;
use std::path::Path;

/// Opens the export files a spec names as a source.
pub fn open_source(spec: &EndpointSpec, _base: &Path) -> Result<Box<dyn Source>> {
    if spec.platform == crate::model::Platform::WooCommerce {
        return Ok(Box::new(woocommerce::open_source(spec, _base)?));
    }
    if spec.platform == crate::model::Platform::Shopify {
        let readers = shopify::readers(spec, _base)?;
        return Ok(Box::new(FileSource::new(
            spec.platform,
            spec.describe(),
            readers,
        )));
    }
    let platform_readers = match spec.platform {
        crate::model::Platform::Magento => Some(magento::readers(spec, _base)?),
        crate::model::Platform::BigCommerce => Some(bigcommerce::readers(spec, _base)?),
        crate::model::Platform::Ikas => Some(ikas::readers(spec, _base)?),
        crate::model::Platform::Medusa => Some(medusa::readers(spec, _base)?),
        crate::model::Platform::Vendure => Some(vendure::readers(spec, _base)?),
        _ => None,
    };
    if let Some(readers) = platform_readers {
        return Ok(Box::new(FileSource::new(
            spec.platform,
            spec.describe(),
            readers,
        )));
    }
    Err(ConnectorError::Input(format!(
        "reading {} export files is not supported",
        spec.platform
    )))
}

/// Opens a directory for a platform's import files as a target.
pub fn open_target(spec: &EndpointSpec, base: &Path, out_dir: &Path) -> Result<Box<dyn Target>> {
    let dir = spec
        .resolved_path(base)
        .unwrap_or_else(|| out_dir.to_path_buf());
    let writers: Vec<Box<dyn EntityWriter>> = match spec.platform {
        crate::model::Platform::WooCommerce => woocommerce::writers(spec)?,
        crate::model::Platform::Shopify => shopify::writers(spec)?,
        crate::model::Platform::Magento => magento::writers(spec),
        crate::model::Platform::BigCommerce => bigcommerce::writers(spec),
        crate::model::Platform::Ikas => ikas::writers(spec),
        crate::model::Platform::Medusa => medusa::writers(spec),
        crate::model::Platform::Vendure => vendure::writers(spec),
        _ => {
            return Err(ConnectorError::Input(format!(
                "writing {} import files is not supported",
                spec.platform
            )))
        }
    };
    #[allow(unreachable_code)]
    Ok(Box::new(FileTarget::new(spec.platform, dir, writers)?))
}
