//! Magento 2 export and import files: catalog products with their advanced pricing (tier and
//! customer-group prices), and customers in the layouts of System > Data Transfer (customers
//! main file with its Customer Addresses file, and the composite "Customers and Addresses"),
//! categories and CMS pages in the sample-data layout (Magento's import has no entity for them),
//! and orders from the sales order grid export (read only: Magento imports no orders).
//!
//! Advanced pricing and customer addresses complete another file of their entity: in one
//! source they are joined to it (by SKU; by email and website), and read alone they give what
//! they know (see [`pricing`] and [`customers`]).

pub mod content;
pub mod customers;
pub mod orders;
pub mod pricing;
pub mod products;
#[cfg(test)]
mod tests;

use super::loaded::{self, Ctx, JoinFn, ParseFn, Parsed};
use super::table::{Header, TableFile};
use super::{EntityReader, EntityWriter};
use crate::connector::Result;
use crate::model::Entity;
use crate::spec::EndpointSpec;
use std::path::Path;

/// Which Magento file this is, by its header.
pub fn recognise(h: &Header) -> Option<Entity> {
    if h.has("sku") && h.has("product_type") || pricing::is_pricing_file(h) {
        Some(Entity::Products)
    } else if h.has("email") && (h.has("_website") || h.has("firstname"))
        || customers::is_address_file(h)
    {
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

/// Files that complete another one of their entity: advanced pricing joins the catalog by SKU,
/// customer addresses join the customers by email and website.
pub fn companion(h: &Header) -> Option<JoinFn> {
    if pricing::is_pricing_file(h) {
        Some(pricing::join)
    } else if customers::is_address_file(h) {
        Some(customers::join_addresses)
    } else {
        None
    }
}

/// A product file: the catalog, or advanced pricing read alone.
fn parse_products(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    if pricing::is_pricing_file(table.header()) {
        pricing::parse(table, ctx)
    } else {
        products::parse(table, ctx)
    }
}

pub fn parser(entity: Entity) -> Option<ParseFn> {
    Some(match entity {
        Entity::Products => parse_products,
        Entity::Customers => customers::parse,
        Entity::Orders => orders::parse,
        Entity::Pages => content::parse_pages,
        Entity::Categories => content::parse_categories,
        _ => return None,
    })
}

pub fn readers(spec: &EndpointSpec, base: &Path) -> Result<Vec<Box<dyn EntityReader>>> {
    loaded::readers_joined(spec, base, recognise, parser, companion)
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
