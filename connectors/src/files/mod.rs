//! Export and import files of every platform: readers and writers into and out of the
//! canonical model, behind the [`Source`]/[`Target`] traits.

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::spec::EndpointSpec;
use std::path::Path;

pub fn open_source(spec: &EndpointSpec, _base: &Path) -> Result<Box<dyn Source>> {
    Err(ConnectorError::Input(format!("reading {} files is not supported yet", spec.platform)))
}

pub fn open_target(spec: &EndpointSpec, _base: &Path, _out_dir: &Path) -> Result<Box<dyn Target>> {
    Err(ConnectorError::Input(format!("writing {} files is not supported yet", spec.platform)))
}
