//! Magento 2 export and import files: catalog products and customers in the layouts of
//! System > Data Transfer (products; customers main file and the composite "Customers and
//! Addresses"), categories and CMS pages in the sample-data layout (Magento's import has no entity
//! for them), and orders from the sales order grid export (read only: Magento imports no orders).

pub mod content;
pub mod customers;
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

/// Which Magento file this is, by its header.
pub fn recognise(h: &Header) -> Option<Entity> {
    if h.has("sku") && h.has("product_type") {
        Some(Entity::Products)
    } else if h.has("email") && (h.has("_website") || h.has("firstname")) {
        Some(Entity::Customers)
    } else if h.has("ID") && h.has("Grand Total (Purchased)") {
        Some(Entity::Orders)
    } else if h.has("identifier") && h.has("title") && h.has("content") {
        Some(Entity::Pages)
    } else if h.has("name") && h.has("url_key") && h.has("path") {
        Some(Entity::Categories)
    } else {
        None
    }
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    Some(match entity {
        Entity::Products => products::parse,
        Entity::Customers => customers::parse,
        Entity::Orders => orders::parse,
        Entity::Pages => content::parse_pages,
        Entity::Categories => content::parse_categories,
        _ => return None,
    })
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers(spec, base, recognise, parser)
}

pub fn writers(spec: &EndpointSpec) -> Vec<Box<dyn EntityWriter>> {
    let unit = loaded::ctx_of(spec).weight_unit;
    vec![
        Box::new(products::ProductWriter::new(unit)),
        Box::new(customers::CustomerWriter),
        Box::new(content::CategoryWriter),
        Box::new(content::PageWriter),
    ]
}
