//! Admin API clients of every platform behind the [`Source`]/[`Target`] traits.

use crate::connector::{ConnectorError, Result, Source, Target};
use crate::spec::EndpointSpec;

pub fn open_source(spec: &EndpointSpec) -> Result<Box<dyn Source>> {
    Err(ConnectorError::Input(format!("the {} API is not supported as a source yet", spec.platform)))
}

pub fn open_target(spec: &EndpointSpec) -> Result<Box<dyn Target>> {
    Err(ConnectorError::Input(format!("the {} API is not supported as a target yet", spec.platform)))
}
