use super::loaded::{self, ParseFn};
use super::table::Header;
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::model::Entity;
use crate::spec::EndpointSpec;
use std::path::Path;
pub fn recognise(_h: &Header) -> Option<Entity> { None }
pub fn parser(_e: Entity) -> Option<ParseFn> { None }
pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}
pub fn writers(_spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> { vec![] }
