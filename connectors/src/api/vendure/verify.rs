//! Vendure for verification: counts from `totalItems` of a one-record page of the admin list
//! (`options: { take: 1 }`; `take: 0` would return every record), and records by id through
//! the list's `filter: { id: { in: [...] } }`, up to a page of ids a request, in requests.
//! Records are read by the very documents and mapping the source uses, so a sampled record
//! compares like a full read-back.

use super::{list_of, Vendure};
use crate::connector::Result;
use crate::model::{Entity, Record};
use crate::platform::vendure::PAGE_LIMIT;
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use std::collections::HashMap;

pub struct VendureVerifier {
    store: Vendure,
    /// Whether the collection tree a product's categories are named from was read already.
    tree_read: bool,
}

impl VendureVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(VendureVerifier {
            store: Vendure::open(spec)?,
            tree_read: false,
        })
    }
}

/// The source reads a record's id back as Vendure's id (`Product.id`, `Customer.id`, …).
fn id_of(r: &Record) -> Option<&str> {
    match r {
        Record::Category(c) => Some(c.source.id.as_str()),
        Record::Product(p) => Some(p.source.id.as_str()),
        Record::Customer(c) => Some(c.source.id.as_str()),
        _ => None,
    }
}

#[async_trait]
impl Verifier for VendureVerifier {
    fn describe(&self) -> String {
        format!("Vendure Admin API ({})", self.store.session.url())
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let Some(list) = list_of(entity) else {
            return Ok(None);
        };
        Ok(self.store.total(entity).await?.map(|count| StoreCount {
            count,
            exact: true,
            how: format!("{list}(options: {{ take: 1 }}) {{ totalItems }}"),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        PAGE_LIMIT
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        let batches = n.div_ceil(PAGE_LIMIT) as u64;
        match entity {
            // Category names come from the collection tree, read once (a page per 100).
            Entity::Products if !self.tree_read => batches + 1,
            _ => batches,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match list_of(entity) {
            Some(list) if entity == Entity::Products => format!(
                "{list}(options: {{ filter: {{ id: {{ in: [...] }} }} }}), and the collection tree once for category names"
            ),
            Some(list) => format!("{list}(options: {{ filter: {{ id: {{ in: [...] }} }} }})"),
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        if list_of(entity).is_none() {
            return Ok(vec![None; ids.len()]);
        }
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(PAGE_LIMIT) {
            for r in self.store.read_by_ids(entity, chunk).await? {
                if let Some(id) = id_of(&r) {
                    found.insert(id.to_string(), r);
                }
            }
            if entity == Entity::Products {
                self.tree_read = true;
            }
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.store.session.http().stats().calls
    }

    fn requests(&self) -> u64 {
        self.store.session.http().stats().calls
    }
}
