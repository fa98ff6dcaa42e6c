//! Reading a Magento store: categories (the tree read whole, parents first), products (a
//! configurable with its children as one product with variants, its category links as paths)
//! and customers, page by page.

use super::catalog::{read_attribute, read_options};
use super::categories::CategoryTree;
use super::reply::{self, SearchResults};
use super::{criteria, urlencode, Filter, MagentoClient};
use crate::connector::{ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage};
use crate::model::*;
use crate::platform::magento::{PAGE_SIZE, STATUS_DISABLED, VISIBILITY_NOT_VISIBLE};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

pub struct MagentoSource {
    pub(super) client: MagentoClient,
    /// Attribute id → code.
    codes: HashMap<String, String>,
    /// Attribute code → option value → label.
    labels: HashMap<String, HashMap<String, String>>,
    /// The category tree, read again at the first page of each listing (and at a resumed
    /// one), for category records and products' category paths.
    tree: Option<CategoryTree>,
    /// The categories a sync window selected (id → `updated_at`), listed at its first page.
    changed_categories: Option<HashMap<u64, Option<String>>>,
}

impl MagentoSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoSource {
            client: MagentoClient::open(spec)?,
            codes: HashMap::new(),
            labels: HashMap::new(),
            tree: None,
            changed_categories: None,
        })
    }

    pub(super) fn has_tree(&self) -> bool {
        self.tree.is_some()
    }

    /// The category tree; `fresh` reads it again.
    pub(super) async fn tree(&mut self, fresh: bool) -> Result<&CategoryTree> {
        if fresh || self.tree.is_none() {
            self.tree = Some(self.client.category_tree().await?);
        }
        Ok(self
            .tree
            .get_or_insert_with(|| CategoryTree::new(self.client.root_category_id)))
    }

    async fn code_of(&mut self, attribute_id: &str, sku: &str) -> Result<String> {
        if let Some(c) = self.codes.get(attribute_id) {
            return Ok(c.clone());
        }
        let a = read_attribute(&self.client, attribute_id)
            .await?
            .ok_or_else(|| {
                ConnectorError::Remote(format!(
                    "Magento product {sku} is configured by attribute {attribute_id}, which the store does not have"
                ))
            })?;
        self.codes
            .insert(attribute_id.to_string(), a.attribute_code.clone());
        Ok(a.attribute_code)
    }

    async fn labels_of(&mut self, code: &str) -> Result<&HashMap<String, String>> {
        if !self.labels.contains_key(code) {
            let map = read_options(&self.client, code)
                .await?
                .into_iter()
                .map(|o| (o.value, o.label))
                .collect();
            self.labels.insert(code.to_string(), map);
        }
        Ok(&self.labels[code])
    }

    fn variant(&self, p: &reply::Product, option_values: Vec<String>) -> Variant {
        let money = |d: Decimal| Money::new(d.normalize(), self.client.currency.clone());
        let special = p
            .custom("special_price")
            .and_then(|s| Decimal::from_str(&s).ok());
        let (price, compare) = match (p.price, special) {
            (Some(p), Some(s)) if s < p => (Some(money(s)), Some(money(p))),
            (p, _) => (p.map(money), None),
        };
        let stock = p.stock();
        // Inventory counts only where Magento manages stock; otherwise there is none to read.
        let managed = stock.is_some_and(|s| s.manage_stock != Some(false));
        Variant {
            source_id: p.id.map(|i| i.to_string()),
            sku: Some(p.sku.clone()).filter(|s| !s.is_empty()),
            price,
            compare_at_price: compare,
            weight: p.weight.map(|w| Weight {
                value: w.normalize(),
                unit: self.client.weight_unit,
            }),
            inventory: stock
                .filter(|_| managed)
                .and_then(|s| s.qty)
                .map(|q| q as i64),
            allow_backorder: stock.and_then(|s| s.backorders).is_some_and(|b| b > 0),
            option_values,
            requires_shipping: p.type_id.as_deref() != Some("virtual"),
            taxable: true,
            ..Default::default()
        }
    }

    pub(super) async fn product(&mut self, p: &reply::Product) -> Result<Product> {
        let handle = p.custom("url_key").unwrap_or_else(|| p.sku.to_lowercase());
        let mut options: Vec<ProductOption> = vec![];
        let variants = if p.type_id.as_deref() == Some("configurable") {
            let children: Vec<reply::Product> = self
                .client
                .get(
                    &format!("/configurable-products/{}/children", urlencode(&p.sku)),
                    &[],
                )
                .await?;
            let mut codes = vec![];
            let mut conf: Vec<&reply::ConfigurableOption> =
                p.configurable_options().iter().collect();
            conf.sort_by_key(|o| o.position.unwrap_or(0));
            for o in conf {
                let code = self.code_of(&o.attribute_id, &p.sku).await?;
                self.labels_of(&code).await?;
                options.push(ProductOption {
                    name: o
                        .label
                        .clone()
                        .filter(|l| !l.is_empty())
                        .unwrap_or_else(|| code.clone()),
                    values: vec![],
                });
                codes.push(code);
            }
            let mut out = vec![];
            for child in &children {
                let values: Vec<String> = codes
                    .iter()
                    .map(|code| {
                        let v = child.custom(code).unwrap_or_default();
                        self.labels
                            .get(code)
                            .and_then(|l| l.get(&v))
                            .cloned()
                            .unwrap_or(v)
                    })
                    .collect();
                for (o, v) in options.iter_mut().zip(&values) {
                    if !o.values.contains(v) {
                        o.values.push(v.clone());
                    }
                }
                out.push(self.variant(child, values));
            }
            out
        } else {
            vec![self.variant(p, vec![])]
        };
        let mut media: Vec<&reply::MediaEntry> = p
            .media_gallery_entries
            .iter()
            .flatten()
            .filter(|m| m.disabled != Some(true))
            .collect();
        media.sort_by_key(|m| m.position.unwrap_or(0));
        let source_id = p.id.map(|i| i.to_string()).unwrap_or_else(|| p.sku.clone());
        Ok(Product {
            source: SourceRef::with_url(
                source_id,
                url_path(Platform::Magento, Entity::Products, &handle, &[]),
            ),
            title: p.name.clone().unwrap_or_default(),
            body_html: p.custom("description").unwrap_or_default(),
            status: if p.status == Some(STATUS_DISABLED) {
                ProductStatus::Draft
            } else {
                ProductStatus::Active
            },
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            options,
            variants,
            images: media
                .iter()
                .filter_map(|m| Some((m, m.file.as_deref()?)))
                .enumerate()
                .map(|(i, (m, file))| Image {
                    src: format!("{}{file}", self.client.media_url),
                    alt: m.label.clone().filter(|l| !l.is_empty()),
                    position: i as u32 + 1,
                })
                .collect(),
            seo: Seo {
                title: p.custom("meta_title"),
                description: p.custom("meta_description"),
            },
            created_at: crate::api::time(p.created_at.clone().filter(|s| !s.is_empty())),
            categories: self
                .tree
                .as_ref()
                .map(|t| t.paths_of(&p.category_ids()))
                .unwrap_or_default(),
            handle,
            ..Default::default()
        })
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn customer(c: &reply::Customer) -> Customer {
    let addresses: Vec<Address> = c
        .addresses
        .iter()
        .flatten()
        .map(|a| {
            let street = |i: usize| {
                a.street
                    .as_ref()
                    .and_then(|s| s.get(i))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let region = a.region.as_ref();
            Address {
                first_name: text(&a.firstname),
                last_name: text(&a.lastname),
                company: text(&a.company),
                address1: street(0),
                address2: street(1),
                city: text(&a.city),
                province: region.and_then(|r| {
                    text(&r.region_code)
                        .map(|code| match text(&a.country_id) {
                            Some(country) => {
                                crate::platform::magento::iso_region_code(&country, &code)
                                    .to_string()
                            }
                            None => code,
                        })
                        .or_else(|| text(&r.region))
                }),
                country_code: text(&a.country_id),
                zip: text(&a.postcode),
                phone: text(&a.telephone),
                default: a.default_billing == Some(true),
            }
        })
        .collect();
    Customer {
        source: SourceRef::new(c.id.to_string()),
        email: c.email.trim().to_string(),
        first_name: Some(c.firstname.trim().to_string()).filter(|s| !s.is_empty()),
        last_name: Some(c.lastname.trim().to_string()).filter(|s| !s.is_empty()),
        phone: addresses.iter().find_map(|a| a.phone.clone()),
        addresses,
        created_at: crate::api::time(text(&c.created_at)),
        // The newsletter subscription is Magento's e-mail consent; a reply without it says
        // nothing, so nothing is claimed.
        marketing: MarketingConsent {
            email: c
                .extension_attributes
                .as_ref()
                .and_then(|e| e.is_subscribed)
                .unwrap_or(false),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[async_trait]
impl Source for MagentoSource {
    fn platform(&self) -> Platform {
        Platform::Magento
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Categories, Entity::Products, Entity::Customers]
    }

    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        Ok(self.list(entity, cursor, limit, None).await?.page)
    }

    /// `searchCriteria` filter `updated_at` `gteq` on categories, products and customers.
    /// Magento keeps `updated_at` in UTC, written `YYYY-MM-DD HH:MM:SS`.
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        match entity {
            Entity::Categories | Entity::Products | Entity::Customers => {
                Ok(Some(self.list(entity, cursor, limit, Some(since)).await?))
            }
            _ => Ok(None),
        }
    }

    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let path = match entity {
            // The tree is read whole anyway: a category's path needs its ancestors.
            Entity::Categories => {
                let tree = self.tree(true).await?;
                return Ok(Some(tree.ids().iter().map(u64::to_string).collect()));
            }
            Entity::Products => "/products",
            Entity::Customers => "/customers/search",
            _ => return Ok(None),
        };
        let mut out = vec![];
        let mut page = 1usize;
        loop {
            // Only what tells a record apart: the id, and for products what says whether it
            // is listed on its own (children come with their parent).
            let mut q = criteria(None, (PAGE_SIZE, page));
            q.push((
                "fields".into(),
                "items[id,sku,visibility,type_id],total_count".into(),
            ));
            let found: SearchResults<reply::IdOnly> = self.client.get(path, &q).await?;
            if (page - 1) * PAGE_SIZE < found.total_count as usize {
                for item in &found.items {
                    if item.visibility == Some(VISIBILITY_NOT_VISIBLE)
                        && item.type_id.as_deref() == Some("simple")
                    {
                        continue;
                    }
                    match (item.id, &item.sku) {
                        (Some(id), _) => out.push(id.to_string()),
                        (None, Some(sku)) => out.push(sku.clone()),
                        (None, None) => {
                            return Err(ConnectorError::Remote(format!(
                                "Magento listed a record of {path} without an id"
                            )))
                        }
                    }
                }
            }
            if page * PAGE_SIZE >= found.total_count as usize {
                return Ok(Some(out));
            }
            page += 1;
        }
    }
}

impl MagentoSource {
    /// A page of categories, parents first. The tree is read at the first page (and at a
    /// resumed one); a sync window lists there which categories were updated at or after its
    /// start, and pages over those (ancestors are read for the paths, not moved for it).
    async fn categories(
        &mut self,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        let fresh = cursor.is_none();
        if fresh {
            self.changed_categories = None;
        }
        if let (Some(since), true) = (since, fresh || self.changed_categories.is_none()) {
            let from = magento_time(since);
            let changed = self
                .client
                .categories_where(&[Filter {
                    field: "updated_at",
                    value: &from,
                    condition: "gteq",
                }])
                .await?;
            self.changed_categories =
                Some(changed.into_iter().map(|c| (c.id, c.updated_at)).collect());
        }
        let changed = self.changed_categories.take();
        let tree = self.tree(fresh).await?;
        let only: Option<HashSet<u64>> = changed.as_ref().map(|c| c.keys().copied().collect());
        let page = tree.page(only.as_ref().filter(|_| since.is_some()), cursor, limit);
        // The mark moves with the records actually read, page by page.
        let newest = changed.as_ref().and_then(|c| {
            page.records
                .iter()
                .filter_map(|r| r.source().id.parse::<u64>().ok())
                .filter_map(|id| c.get(&id).cloned().flatten())
                .filter_map(|t| rfc3339(&t))
                .max()
        });
        self.changed_categories = changed;
        Ok(ChangedPage { page, newest })
    }

    /// A page of categories, products or customers; `since` keeps those updated at or after
    /// it.
    async fn list(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        if entity == Entity::Categories {
            return self.categories(cursor, limit, since).await;
        }
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(1)
            .max(1) as usize;
        let size = limit.clamp(1, PAGE_SIZE);
        let from = since.map(magento_time);
        let filter = from.as_deref().map(|v| Filter {
            field: "updated_at",
            value: v,
            condition: "gteq",
        });
        let query = criteria(filter, (size, page));
        let mut out = SourcePage::default();
        let mut stamps: Vec<Option<String>> = vec![];
        let total = match entity {
            Entity::Products => {
                // Categories a product links to by id: the tree as it stands now.
                self.tree(cursor.is_none()).await?;
                let found: SearchResults<reply::Product> =
                    self.client.get("/products", &query).await?;
                // A page past the end repeats the last page, so the end is computed, never
                // detected.
                if (page - 1) * size < found.total_count as usize {
                    for item in &found.items {
                        // Children of configurables ("Not Visible Individually") come with their
                        // parent.
                        if item.visibility == Some(VISIBILITY_NOT_VISIBLE)
                            && item.type_id.as_deref() == Some("simple")
                        {
                            continue;
                        }
                        stamps.push(item.updated_at.clone());
                        out.records.push(Record::Product(self.product(item).await?));
                    }
                }
                found.total_count
            }
            Entity::Customers => {
                let found: SearchResults<reply::Customer> =
                    self.client.get("/customers/search", &query).await?;
                if (page - 1) * size < found.total_count as usize {
                    stamps.extend(found.items.iter().map(|c| c.updated_at.clone()));
                    out.records
                        .extend(found.items.iter().map(|c| Record::Customer(customer(c))));
                }
                found.total_count
            }
            _ => return Ok(ChangedPage::default()),
        } as usize;
        if page * size < total {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(ChangedPage {
            page: out,
            newest: stamps.iter().flatten().filter_map(|t| rfc3339(t)).max(),
        })
    }
}

/// RFC 3339 (UTC) → Magento's `YYYY-MM-DD HH:MM:SS`; a value that is not a time is sent as
/// it is (Magento then answers what it makes of it).
fn magento_time(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => d
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => t.to_string(),
    }
}

/// Magento's `YYYY-MM-DD HH:MM:SS` (UTC) → RFC 3339; the format sorts as it reads.
fn rfc3339(t: &str) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod changed_tests {
    use super::*;

    #[test]
    fn times_cross_between_rfc3339_and_magento_in_utc() {
        assert_eq!(
            magento_time("2026-12-06T07:30:00+02:00"),
            "2026-12-06 05:30:00"
        );
        assert_eq!(
            rfc3339("2026-12-06 05:30:00").as_deref(),
            Some("2026-12-06T05:30:00Z")
        );
        assert_eq!(rfc3339("yesterday"), None);
    }
}
