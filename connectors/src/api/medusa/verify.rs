//! Medusa for verification: counts from the `count` every admin list answers (asked with
//! `limit=0&fields=id`, so no record comes back), and records by id through the list endpoints'
//! `id[]` filter, up to [`BATCH`] ids a request, in requests. Records are built by the same code
//! the source reads them with (same fields, same mapping), so a sampled record compares like a
//! full read-back.

use super::{enc, Medusa};
use crate::connector::Result;
use crate::model::{Entity, Record};
use crate::spec::EndpointSpec;
use crate::verify::{BudgetUnit, StoreCount, Verifier};
use async_trait::async_trait;
use std::collections::HashMap;

/// Ids asked per request. A Medusa id is about 30 characters and `id%5B%5D=` adds 9: 100 keep
/// the URL near 4 KB, far under Node's 16 KB header limit.
pub const BATCH: usize = 100;

pub struct MedusaVerifier {
    medusa: Medusa,
    /// Whether the category tree (which products' and categories' paths are named from) was
    /// read yet: the first fetch of those pays for it.
    tree_read: bool,
}

/// The admin list an entity lives in, for the entities the Medusa target writes.
fn list(entity: Entity) -> Option<(&'static str, &'static str)> {
    match entity {
        Entity::Categories => Some(("/admin/product-categories", "product_categories")),
        Entity::Products => Some(("/admin/products", "products")),
        Entity::Customers => Some(("/admin/customers", "customers")),
        _ => None,
    }
}

/// The `id[]` filter for `ids`, as the admin lists take it.
fn id_filter(ids: &[&String]) -> String {
    ids.iter()
        .map(|id| format!("{}={}", enc("id[]"), enc(id)))
        .collect::<Vec<_>>()
        .join("&")
}

impl MedusaVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MedusaVerifier {
            medusa: Medusa::open(spec)?,
            tree_read: false,
        })
    }
}

#[async_trait]
impl Verifier for MedusaVerifier {
    fn describe(&self) -> String {
        format!("Medusa Admin API ({})", self.medusa.session.base())
    }

    fn unit(&self) -> BudgetUnit {
        BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<StoreCount>> {
        let Some((path, key)) = list(entity) else {
            return Ok(None);
        };
        let what = format!("GET {path}?limit=0&fields=id");
        let (_, total) = self
            .medusa
            .list::<super::reply::IdOnly>(
                &format!("count {entity}"),
                &format!("{path}?limit=0&fields=id"),
                key,
            )
            .await?;
        Ok(Some(StoreCount {
            count: total,
            exact: true,
            how: format!("{what} (count)"),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        BATCH
    }

    fn fetch_cost(&self, entity: Entity, n: usize) -> u64 {
        let batches = n.div_ceil(BATCH) as u64;
        match entity {
            // The category source reads the whole tree again with every page (a page in most
            // stores), so its records name their paths from the tree as it is.
            Entity::Categories => 2 * batches,
            // Products name their categories from the tree, read once.
            Entity::Products if !self.tree_read => batches + 1,
            _ => batches,
        }
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match list(entity) {
            Some((path, _)) if entity == Entity::Customers => {
                format!("GET {path}?id[]=ID&id[]=...&limit={BATCH}")
            }
            Some((path, _)) => format!(
                "GET {path}?id[]=ID&id[]=...&limit={BATCH}, and the category tree for paths"
            ),
            None => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        if list(entity).is_none() {
            return Ok(vec![None; ids.len()]);
        }
        let wanted: Vec<&String> = ids.iter().filter(|i| !i.is_empty()).collect();
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in wanted.chunks(BATCH) {
            // At most as many matches as ids asked, so one page holds them all.
            let query = format!("limit={BATCH}&offset=0&order=id&{}", id_filter(chunk));
            let (records, _, _) = self.medusa.read_records(entity, &query).await?;
            self.tree_read |= matches!(entity, Entity::Categories | Entity::Products);
            for r in records {
                found.insert(r.source().id.clone(), r);
            }
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.medusa.session.http().stats().calls
    }

    fn requests(&self) -> u64 {
        self.medusa.session.http().stats().calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_the_id_array_filter() {
        let ids = ["prod_01A".to_string(), "prod 2".to_string()];
        let refs: Vec<&String> = ids.iter().collect();
        assert_eq!(id_filter(&refs), "id%5B%5D=prod_01A&id%5B%5D=prod%202");
    }
}
