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
pub mod mapping;
pub mod medusa;
pub mod readback;
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
use crate::model::Entity;
use crate::spec::EndpointSpec;
use std::path::Path;

/// Opens the export files a spec names as a source.
pub fn open_source(spec: &EndpointSpec, base: &Path) -> Result<Box<dyn Source>> {
    open_source_with(spec, base, &[])
}

/// Opens the export files a spec names as a source, reading files through the column
/// mappings of the spec's `mapping` file and `decided` (mappings decided during a run).
pub fn open_source_with(
    spec: &EndpointSpec,
    base: &Path,
    decided: &[mapping::FileMapping],
) -> Result<Box<dyn Source>> {
    let prepared = mapping::open::prepare(spec, base, decided)?;
    let mapped: Vec<&mapping::open::MappedFile> =
        prepared.mapped.iter().filter(|f| !f.own_reader).collect();
    let mut readers = if mapped.is_empty() || prepared.own_files {
        let (mut own, description) = platform_source(spec, base)?;
        // A translated WooCommerce export says which of its columns it could not name.
        for (path, notes) in mapping::open::localized_notes(&prepared) {
            let shown = path.display().to_string();
            if let Some(i) = own
                .iter()
                .position(|r| r.entity() == Entity::Products && r.describe() == shown)
            {
                let inner = own.remove(i);
                own.insert(i, Box::new(mapping::open::Noted::new(inner, notes)));
            }
        }
        if mapped.is_empty() {
            return Ok(Box::new(FileSource::new(spec.platform, description, own)));
        }
        // A mapped file the platform's own readers recognised too is read through its mapping.
        own.retain(|r| {
            !mapped
                .iter()
                .any(|f| f.path.display().to_string() == r.describe())
        });
        own
    } else {
        vec![]
    };
    let extra = mapping::open::readers(&prepared, spec, base)?;
    for r in &extra {
        if let Some(other) = readers.iter().find(|o| o.entity() == r.entity()) {
            return Err(ConnectorError::Input(format!(
                "both {} and {} hold {}; convert or migrate them one at a time, or name the one \
                 to read with `files = {{ {} = \"...\" }}`",
                other.describe(),
                r.describe(),
                r.entity(),
                r.entity().key()
            )));
        }
    }
    readers.extend(extra);
    let description = format!(
        "{} ({})",
        spec.describe(),
        mapped
            .iter()
            .map(|f| format!("{}: read as a {}", f.path.display(), f.layout.describe()))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(Box::new(FileSource::new(
        spec.platform,
        description,
        readers,
    )))
}

/// The readers of a platform's own export files (no mappings), with the source's description.
fn platform_source(
    spec: &EndpointSpec,
    base: &Path,
) -> Result<(Vec<Box<dyn EntityReader>>, String)> {
    if spec.platform == crate::model::Platform::WooCommerce {
        return woocommerce::readers(spec, base);
    }
    Ok((platform_readers(spec, base)?, spec.describe()))
}

/// The readers of a platform's own export files.
pub fn platform_readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    match spec.platform {
        crate::model::Platform::WooCommerce => Ok(woocommerce::readers(spec, base)?.0),
        crate::model::Platform::Shopify => shopify::readers(spec, base),
        crate::model::Platform::Magento => magento::readers(spec, base),
        crate::model::Platform::BigCommerce => bigcommerce::readers(spec, base),
        crate::model::Platform::Ikas => ikas::readers(spec, base),
        crate::model::Platform::Medusa => medusa::readers(spec, base),
        crate::model::Platform::Vendure => vendure::readers(spec, base),
        _ => Err(ConnectorError::Input(format!(
            "reading {} export files is not supported",
            spec.platform
        ))),
    }
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
