//! BigCommerce export and import files: products in the current CSV layout (Item = Product /
//! Variant / Image; read and written) and the legacy Bulk Edit layout (Item Type = Product / SKU /
//! Rule; read), and the order export (read; BigCommerce imports no orders from CSV).

pub mod orders;
pub mod products;
#[cfg(test)]
mod tests;

use super::loaded::{self, ParseFn};
use super::table::Header;
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::model::Entity;
use crate::spec::EndpointSpec;
use std::path::Path;

/// Which BigCommerce file this is, by its header.
pub fn recognise(h: &Header) -> Option<Entity> {
    if (h.has("Item") && h.has("Name") && (h.has("Options") || h.has("Product URL")))
        || (h.has("Item Type") && h.has("Product Name"))
    {
        Some(Entity::Products)
    } else if h.has("Order ID") && h.has("Order Total (inc tax)") {
        Some(Entity::Orders)
    } else {
        None
    }
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    Some(match entity {
        Entity::Products => products::parse,
        Entity::Orders => orders::parse,
        _ => return None,
    })
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}

pub fn writers(spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> {
    vec![Box::new(products::ProductWriter::new(
        loaded::ctx_of(spec).weight_unit,
    ))]
}
