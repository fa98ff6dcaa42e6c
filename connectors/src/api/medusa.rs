//! Medusa v2 through its Admin REST API, as a source and as a target.
//!
//! Categories are Medusa product categories (a tree, matched by handle); products are matched by
//! handle and their variants by SKU; customers by email (case-insensitively: Medusa itself does
//! not enforce it). Prices travel in major units, as Medusa v2 takes them. Medusa has no import
//! for orders with their history, so orders are refused one by one with the reason.

mod client;
mod reply;
mod verify;

pub use verify::MedusaVerifier;

use crate::api::http::{HttpConfig, Safety};
use crate::connector::{
    ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, Severity};
use crate::model::{
    Address, Category, Customer, Entity, Image, Money, Platform, Product, ProductOption,
    ProductStatus, Record, SourceRef, Variant, Weight, WeightUnit,
};
use crate::platform::medusa as facts;
use crate::spec::EndpointSpec;
use client::{enc, ApiError, Session};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

type WriteFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<WriteOutcome>> + Send + 'a>>;

/// What Medusa's own admin names the option of a product without options (one is required).
const DEFAULT_OPTION: &str = "Default option";
const DEFAULT_VALUE: &str = "Default option value";

const PRODUCT_FIELDS: &str =
    "id,title,handle,status,description,subtitle,created_at,metadata,*options,*options.values,\
*variants,*variants.prices,*variants.options,*categories,\
*variants.inventory_items.inventory.location_levels,*images";

const CUSTOMER_FIELDS: &str =
    "id,email,first_name,last_name,phone,created_at,updated_at,*addresses";

/// A Medusa store; one value serves as source and as target.
pub struct Medusa {
    session: Arc<Session>,
    concurrency: usize,
    /// Category id → (handle, name, parent id); filled on first need, kept current by writes.
    categories: Mutex<Option<BTreeMap<String, CategoryNode>>>,
    /// Where products are published and stock is kept: from the options, else the store's first.
    places: tokio::sync::OnceCell<Places>,
    configured: Places,
    findings: Mutex<Vec<Finding>>,
}

#[derive(Debug, Clone, Default)]
struct Places {
    sales_channel: Option<String>,
    stock_location: Option<String>,
}

#[derive(Debug, Clone)]
struct CategoryNode {
    handle: String,
    name: String,
    parent: Option<String>,
}

impl Medusa {
    /// Opens from an endpoint spec: `url` is the server, credentials `email` and `password`,
    /// option `concurrency`.
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Medusa endpoint needs `url` (e.g. \"http://127.0.0.1:9000\")".into(),
            )
        })?;
        let email = spec.credential("email")?;
        let password = spec.credential("password")?;
        let concurrency = spec
            .options
            .get("concurrency")
            .and_then(Value::as_u64)
            .map(|c| c.clamp(1, 64) as usize)
            .unwrap_or(facts::CONCURRENCY);
        let http = HttpConfig::default().with_options(spec);
        let mut medusa = Self::connect(url, &email, &password, concurrency, http)?;
        let option = |k: &str| {
            spec.options
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        medusa.configured = Places {
            sales_channel: option("sales_channel_id"),
            stock_location: option("stock_location_id"),
        };
        Ok(medusa)
    }

    pub fn connect(
        url: &str,
        email: &str,
        password: &str,
        concurrency: usize,
        http: HttpConfig,
    ) -> Result<Self> {
        Ok(Medusa {
            session: Arc::new(Session::new(url, email, password, http)?),
            concurrency: concurrency.max(1),
            categories: Mutex::new(None),
            places: tokio::sync::OnceCell::new(),
            configured: Places::default(),
            findings: Mutex::new(Vec::new()),
        })
    }

    /// Logs in now, so a wrong URL or password is reported before any work starts.
    pub async fn check(&self) -> Result<()> {
        self.session.login().await
    }

    /// The sales channel products are published in (without one a storefront shows nothing) and
    /// the stock location quantities go to.
    async fn places(&self) -> Result<&Places, ApiError> {
        self.places
            .get_or_try_init(|| async {
                let mut places = self.configured.clone();
                if places.sales_channel.is_none() {
                    let path = "/admin/sales-channels?limit=1&order=created_at&fields=id";
                    let (rows, _) = self
                        .list::<reply::IdOnly>("list sales channels", path, "sales_channels")
                        .await?;
                    places.sales_channel = rows.into_iter().next().map(|r| r.id);
                }
                if places.stock_location.is_none() {
                    let path = "/admin/stock-locations?limit=1&order=created_at&fields=id";
                    let (rows, _) = self
                        .list::<reply::IdOnly>("list stock locations", path, "stock_locations")
                        .await?;
                    places.stock_location = rows.into_iter().next().map(|r| r.id);
                }
                Ok(places)
            })
            .await
    }

    fn note(&self, finding: Finding) {
        let mut findings = self.findings.lock().unwrap_or_else(|p| p.into_inner());
        if !findings.iter().any(|f| f.code == finding.code) {
            findings.push(finding);
        }
    }

    /// Sets each variant's stocked quantity at the stock location (Medusa keeps quantities on
    /// inventory items per location, not on the variant).
    async fn sync_stock(&self, product_id: &str, p: &Product) -> Result<(), ApiError> {
        if p.variants.iter().all(|v| v.inventory.is_none()) {
            return Ok(());
        }
        let Some(location) = self.places().await?.stock_location.clone() else {
            self.note(Finding::new(
                Severity::Warning,
                "stock_not_moved",
                "Medusa has no stock location, so stock quantities were not moved: create one \
                 (Settings → Locations) and load the products again",
            ));
            return Ok(());
        };
        let path = format!(
            "/admin/products/{product_id}?fields=id,variants.sku,\
             *variants.inventory_items.inventory.location_levels"
        );
        let what = format!("read stock (GET {path})");
        let Some(body) = self.session.get(&what, &path).await? else {
            return Err(ApiError::Malformed(format!(
                "{what}: the product just written is not there"
            )));
        };
        let stock: reply::StockReply = reply::parse(&what, &body)?;
        for v in p.variants.iter().filter(|v| v.inventory.is_some()) {
            let Some(found) = stock
                .product
                .variants
                .iter()
                .find(|mv| mv.sku.as_deref() == v.sku.as_deref())
            else {
                continue;
            };
            // A variant whose stock Medusa manages has one inventory item.
            let Some(item) = found.inventory_items.first() else {
                continue;
            };
            let item_id = &item.inventory_item_id;
            let has_level = item
                .inventory
                .iter()
                .flat_map(|i| &i.location_levels)
                .any(|l| l.location_id == location);
            let quantity = v.inventory.unwrap_or(0).max(0);
            if has_level {
                let path = format!("/admin/inventory-items/{item_id}/location-levels/{location}");
                let body = json!({"stocked_quantity": quantity});
                self.session
                    .post("set stock", Safety::Idempotent, &path, &body)
                    .await?;
            } else {
                let path = format!("/admin/inventory-items/{item_id}/location-levels");
                let body = json!({"location_id": location, "stocked_quantity": quantity});
                self.session
                    .post("set stock", Safety::Unsafe, &path, &body)
                    .await?;
            }
        }
        Ok(())
    }

    // ---------- categories ----------

    fn category_cache(&self) -> std::sync::MutexGuard<'_, Option<BTreeMap<String, CategoryNode>>> {
        self.categories.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn load_categories(
        &self,
        refresh: bool,
    ) -> Result<BTreeMap<String, CategoryNode>, ApiError> {
        if !refresh {
            if let Some(c) = self.category_cache().clone() {
                return Ok(c);
            }
        }
        let mut all = BTreeMap::new();
        let mut offset = 0;
        loop {
            let path = format!(
                "/admin/product-categories?limit=200&offset={offset}&order=id&fields=id,name,handle,parent_category_id"
            );
            let (items, total) = self
                .list::<reply::Category>("list categories", &path, "product_categories")
                .await?;
            offset += items.len();
            let empty = items.is_empty();
            for c in items {
                all.insert(
                    c.id,
                    CategoryNode {
                        handle: c.handle,
                        name: c.name,
                        parent: c.parent_category_id.filter(|p| !p.is_empty()),
                    },
                );
            }
            if empty || offset as u64 >= total {
                break;
            }
        }
        *self.category_cache() = Some(all.clone());
        Ok(all)
    }

    async fn category_id_for_path(&self, path: &[String]) -> Result<Option<String>, ApiError> {
        for refresh in [false, true] {
            let all = self.load_categories(refresh).await?;
            if let Some(id) = all.keys().find(|id| names_path(&all, id) == path) {
                return Ok(Some(id.clone()));
            }
        }
        Ok(None)
    }

    async fn find_category(&self, handle: &str) -> Result<Option<String>, ApiError> {
        let path = format!("/admin/product-categories?handle={}&fields=id", enc(handle));
        let (rows, _) = self
            .list::<reply::IdOnly>("find a category", &path, "product_categories")
            .await?;
        Ok(rows.into_iter().next().map(|r| r.id))
    }

    async fn upsert_category(&self, c: &Category) -> Result<WriteOutcome, ApiError> {
        let parent = match c.parent_path() {
            [] => None,
            parent => match self.category_id_for_path(parent).await? {
                Some(id) => Some(id),
                None => {
                    return Ok(WriteOutcome::Failed {
                        message: format!(
                            "parent category \"{}\" is not in Medusa: load parents before children",
                            parent.join(" > ")
                        ),
                    })
                }
            },
        };
        let mut body = json!({
            "name": c.name(),
            "handle": c.handle,
            "description": c.description_html,
            "parent_category_id": parent,
            "is_active": true,
        });
        if let Some(rank) = c.position.filter(|r| *r >= 0) {
            body["rank"] = json!(rank);
        }
        let outcome = match self.find_category(&c.handle).await? {
            Some(id) => {
                self.session
                    .post(
                        "update a category",
                        Safety::Idempotent,
                        &format!("/admin/product-categories/{id}"),
                        &body,
                    )
                    .await?;
                WriteOutcome::Updated { target_id: id }
            }
            None => {
                let created = self
                    .session
                    .post(
                        "create a category",
                        Safety::Unsafe,
                        "/admin/product-categories",
                        &body,
                    )
                    .await;
                let id = match created {
                    Ok(b) => {
                        reply::parse::<reply::CreatedCategory>("create a category", &b)?
                            .product_category
                            .id
                    }
                    Err(ApiError::Ambiguous(m)) => self
                        .find_category(&c.handle)
                        .await?
                        .ok_or(ApiError::Ambiguous(m))?,
                    Err(e) => return Err(e),
                };
                WriteOutcome::Created { target_id: id }
            }
        };
        if let (
            Some(map),
            WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id },
        ) = (self.category_cache().as_mut(), &outcome)
        {
            map.insert(
                target_id.clone(),
                CategoryNode {
                    handle: c.handle.clone(),
                    name: c.name().to_string(),
                    parent: parent.clone(),
                },
            );
        }
        Ok(outcome)
    }

    // ---------- products ----------

    async fn find_product(&self, handle: &str) -> Result<Option<reply::ProductKeys>, ApiError> {
        let path = format!("/admin/products?handle={}&fields=id,*variants", enc(handle));
        let (rows, _) = self.list("find a product", &path, "products").await?;
        Ok(rows.into_iter().next())
    }

    async fn upsert_product(&self, p: &Product) -> Result<WriteOutcome, ApiError> {
        let mut category_ids = Vec::new();
        for path in &p.categories {
            match self.category_id_for_path(path).await? {
                Some(id) => category_ids.push(json!({"id": id})),
                None => {
                    return Ok(WriteOutcome::Failed {
                        message: format!(
                            "category \"{}\" is not in Medusa: load the categories first",
                            path.join(" > ")
                        ),
                    })
                }
            }
        }
        let mut body = json!({
            "title": p.title,
            "handle": p.handle,
            "description": p.body_html,
            "status": status_key(p.status),
            "categories": category_ids,
        });
        // Medusa keeps image URLs as given and never downloads them; the first is the thumbnail.
        let mut images: Vec<&Image> = p.images.iter().collect();
        images.sort_by_key(|i| i.position);
        body["images"] = images
            .iter()
            .map(|i| json!({"url": i.src}))
            .collect::<Vec<_>>()
            .into();
        body["thumbnail"] = json!(images.first().map(|i| i.src.clone()));
        let mut metadata: serde_json::Map<String, Value> = p
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if p.options.len() > 1 {
            let order: Vec<&str> = p.options.iter().map(|o| o.name.as_str()).collect();
            metadata.insert(facts::OPTION_ORDER_KEY.into(), json!(order));
        }
        if p.variants.len() > 1 {
            let order: Vec<&str> = p.variants.iter().filter_map(|v| v.sku.as_deref()).collect();
            metadata.insert(facts::VARIANT_ORDER_KEY.into(), json!(order));
        }
        if !metadata.is_empty() {
            body["metadata"] = Value::Object(metadata);
        }
        match self.find_product(&p.handle).await? {
            Some(existing) => {
                let id = existing.id.clone();
                self.session
                    .post(
                        "update a product",
                        Safety::Idempotent,
                        &format!("/admin/products/{id}"),
                        &body,
                    )
                    .await?;
                self.sync_variants(p, &existing).await?;
                self.sync_stock(&id, p).await?;
                Ok(WriteOutcome::Updated { target_id: id })
            }
            None => {
                body["options"] = json!(options_of(p));
                if let Some(channel) = &self.places().await?.sales_channel {
                    body["sales_channels"] = json!([{"id": channel}]);
                }
                body["variants"] = p
                    .variants
                    .iter()
                    .map(|v| variant_body(p, v))
                    .collect::<Result<Vec<_>, _>>()?
                    .into();
                // Medusa creates a product with its variants in one workflow: all or nothing.
                let created = self
                    .session
                    .post("create a product", Safety::Unsafe, "/admin/products", &body)
                    .await;
                let id = match created {
                    Ok(b) => {
                        reply::parse::<reply::CreatedProduct>("create a product", &b)?
                            .product
                            .id
                    }
                    Err(ApiError::Ambiguous(m)) => match self.find_product(&p.handle).await? {
                        Some(found) => found.id,
                        None => return Err(ApiError::Ambiguous(m)),
                    },
                    Err(e) => return Err(e),
                };
                self.sync_stock(&id, p).await?;
                Ok(WriteOutcome::Created { target_id: id })
            }
        }
    }

    /// Updates variants one by one by SKU and adds the missing ones: a product update with a
    /// variant list would delete every variant left out of it.
    async fn sync_variants(
        &self,
        p: &Product,
        existing: &reply::ProductKeys,
    ) -> Result<(), ApiError> {
        let id = &existing.id;
        let by_sku: BTreeMap<&str, &str> = existing
            .variants
            .iter()
            .filter_map(|v| Some((v.sku.as_deref()?, v.id.as_str())))
            .collect();
        for v in &p.variants {
            let mut body = variant_body(p, v)?;
            match v.sku.as_deref().and_then(|s| by_sku.get(s)) {
                Some(vid) => {
                    // Option values of an existing variant stay as they are.
                    if let Some(o) = body.as_object_mut() {
                        o.remove("options");
                    }
                    self.session
                        .post(
                            "update a variant",
                            Safety::Idempotent,
                            &format!("/admin/products/{id}/variants/{vid}"),
                            &body,
                        )
                        .await?;
                }
                None => {
                    self.session
                        .post(
                            "add a variant",
                            Safety::Unsafe,
                            &format!("/admin/products/{id}/variants"),
                            &body,
                        )
                        .await?;
                }
            }
        }
        Ok(())
    }

    // ---------- customers ----------

    async fn find_customer(&self, email: &str) -> Result<Option<reply::Customer>, ApiError> {
        let path = format!(
            "/admin/customers?q={}&limit=50&fields=id,email,*addresses",
            enc(email)
        );
        let (rows, _) = self
            .list::<reply::Customer>("find a customer", &path, "customers")
            .await?;
        Ok(rows
            .into_iter()
            .find(|c| c.email.eq_ignore_ascii_case(email)))
    }

    async fn upsert_customer(&self, c: &Customer) -> Result<WriteOutcome, ApiError> {
        let body = json!({"first_name": c.first_name, "last_name": c.last_name, "phone": c.phone});
        let (id, created, known) = match self.find_customer(&c.email).await? {
            Some(found) => {
                let id = found.id.clone();
                self.session
                    .post(
                        "update a customer",
                        Safety::Idempotent,
                        &format!("/admin/customers/{id}"),
                        &body,
                    )
                    .await?;
                let known: Vec<(String, String, String)> =
                    found.addresses.iter().map(address_key_of).collect();
                (id, false, known)
            }
            None => {
                let mut create = body.clone();
                create["email"] = json!(c.email);
                let id = match self
                    .session
                    .post(
                        "create a customer",
                        Safety::Unsafe,
                        "/admin/customers",
                        &create,
                    )
                    .await
                {
                    Ok(b) => {
                        reply::parse::<reply::CreatedCustomer>("create a customer", &b)?
                            .customer
                            .id
                    }
                    Err(ApiError::Ambiguous(m)) => match self.find_customer(&c.email).await? {
                        Some(found) => found.id,
                        None => return Err(ApiError::Ambiguous(m)),
                    },
                    Err(e) => return Err(e),
                };
                (id, true, Vec::new())
            }
        };
        for a in c.addresses.iter().filter(|a| !a.is_empty()) {
            if known.contains(&address_key(a)) {
                continue;
            }
            let result = self
                .session
                .post(
                    "add a customer address",
                    Safety::Unsafe,
                    &format!("/admin/customers/{id}/addresses"),
                    &address_body(a),
                )
                .await;
            if let Err(ApiError::Rejected { message, .. }) = result {
                if created {
                    // All or nothing for a new customer: a half-made one would hide the failure.
                    self.session
                        .delete("delete a customer", &format!("/admin/customers/{id}"))
                        .await?;
                }
                return Ok(WriteOutcome::Failed { message });
            }
            result?;
        }
        Ok(if created {
            WriteOutcome::Created { target_id: id }
        } else {
            WriteOutcome::Updated { target_id: id }
        })
    }

    async fn write_one(&self, record: &Record) -> Result<WriteOutcome> {
        let result = match record {
            Record::Category(c) => self.upsert_category(c).await,
            Record::Product(p) => self.upsert_product(p).await,
            Record::Customer(c) => self.upsert_customer(c).await,
            Record::Order(_) => Ok(WriteOutcome::Failed {
                message: facts::ORDERS_NOT_IMPORTABLE.to_string(),
            }),
            other => Ok(WriteOutcome::Failed {
                message: format!(
                    "Medusa has no place for {} records in its Admin API",
                    other.entity()
                ),
            }),
        };
        match result {
            Ok(o) => Ok(o),
            Err(ApiError::Rejected { message, .. }) => Ok(WriteOutcome::Failed { message }),
            Err(e) => Err(e.into()),
        }
    }

    // ---------- reading ----------

    /// One page of an admin list: its rows under `key` and the `count` of every match.
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
        key: &str,
    ) -> Result<(Vec<T>, u64), ApiError> {
        let what = format!("{what} (GET {path})");
        // A list endpoint never answers 404; if one does, it is not a list of nothing.
        let body =
            self.session.get(&what, path).await?.ok_or_else(|| {
                ApiError::Malformed(format!("{what}: Medusa answered 404 Not Found"))
            })?;
        reply::list(&what, key, &body)
    }

    /// One list request of `entity`; `query` is its paging and filter part (the fields asked
    /// are the same for every read, so a record fetched by id for verification is built exactly
    /// as a migration reads it). The records, the list's `count`, and the newest update among
    /// them.
    async fn read_records(
        &self,
        entity: Entity,
        query: &str,
    ) -> Result<(Vec<Record>, u64, Option<String>), ApiError> {
        match entity {
            Entity::Categories => {
                let path = format!("/admin/product-categories?{query}&fields=id,name,handle,description,rank,parent_category_id,updated_at");
                let (items, total) = self
                    .list::<reply::Category>("list categories", &path, "product_categories")
                    .await?;
                let newest = newest_update(items.iter().filter_map(|c| c.updated_at.as_deref()));
                let all = self.load_categories(true).await?;
                let records = items
                    .iter()
                    .map(|c| Record::Category(category_from(c, &all)))
                    .collect();
                Ok((records, total, newest))
            }
            Entity::Products => {
                let path = format!("/admin/products?{query}&fields={PRODUCT_FIELDS},updated_at");
                let (items, total) = self
                    .list::<reply::Product>("list products", &path, "products")
                    .await?;
                let all = self.load_categories(false).await?;
                // A variant's change counts: it is what [`Window::ThroughVariants`] reads by,
                // and a mark left before it would read that product again in every cycle.
                let newest = newest_update(items.iter().flat_map(|p| {
                    std::iter::once(p.updated_at.as_deref())
                        .chain(p.variants.iter().map(|v| v.updated_at.as_deref()))
                        .flatten()
                }));
                Ok((
                    items
                        .iter()
                        .map(|p| Record::Product(product_from(p, &all)))
                        .collect(),
                    total,
                    newest,
                ))
            }
            Entity::Customers => {
                let path = format!("/admin/customers?{query}&fields={CUSTOMER_FIELDS}");
                let (items, total) = self
                    .list::<reply::Customer>("list customers", &path, "customers")
                    .await?;
                let newest = newest_update(items.iter().filter_map(|c| c.updated_at.as_deref()));
                Ok((
                    items
                        .iter()
                        .map(|c| Record::Customer(customer_from(c)))
                        .collect(),
                    total,
                    newest,
                ))
            }
            _ => Ok((Vec::new(), 0, None)),
        }
    }

    /// A page from `cursor`. With `since`, a changed read: records whose own `updated_at` is at
    /// or after it, then (products) those changed only through a variant; the cursor says which
    /// of the two lists it is in (`"variants": true`) and where.
    async fn changed_page(
        &self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        let limit = limit.clamp(1, facts::PAGE_LIMIT);
        let mut offset = cursor.and_then(|c| c["offset"].as_u64()).unwrap_or(0) as usize;
        let mut variants = cursor.is_some_and(|c| c["variants"] == json!(true));
        loop {
            let window = match (since, variants) {
                (None, _) => Window::All,
                (Some(t), false) => Window::Since(t),
                (Some(t), true) => Window::ThroughVariants(t),
            };
            let (records, total, newest) = self
                .read_records(entity, &list_query(offset, limit, window))
                .await?;
            let read = offset + records.len();
            let more = !records.is_empty() && (read as u64) < total;
            let then_variants = !more && !variants && since.is_some() && entity == Entity::Products;
            let next = if more {
                Some(json!({"offset": read, "variants": variants}))
            } else if then_variants && !records.is_empty() {
                Some(json!({"offset": 0, "variants": true}))
            } else {
                None
            };
            if then_variants && records.is_empty() {
                // Nothing (more) in the first list: straight on to the second, rather than
                // hand back an empty page.
                offset = 0;
                variants = true;
                continue;
            }
            return Ok(ChangedPage {
                page: SourcePage {
                    records,
                    findings: Vec::new(),
                    next,
                },
                newest,
            });
        }
    }
}

#[async_trait::async_trait]
impl Source for Medusa {
    fn platform(&self) -> Platform {
        Platform::Medusa
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Categories, Entity::Products, Entity::Customers]
    }

    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        Ok(self.changed_page(entity, cursor, limit, None).await?.page)
    }

    /// Medusa v2's admin lists take `updated_at[$gte]` (its operator map on `updated_at`) on
    /// product categories, products and customers; products changed only through a variant
    /// are found by `variants[updated_at][$gte]` (see [`Window::ThroughVariants`]). A change to
    /// a customer's addresses alone is not seen: 2.21 leaves the customer's `updated_at` as it
    /// was and its customer list takes no filter on addresses.
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        match entity {
            Entity::Categories | Entity::Products | Entity::Customers => Ok(Some(
                self.changed_page(entity, cursor, limit, Some(since))
                    .await?,
            )),
            _ => Ok(None),
        }
    }

    /// Ids only (`fields=id`), a page at a time by id.
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let (path, key) = match entity {
            Entity::Categories => ("/admin/product-categories", "product_categories"),
            Entity::Products => ("/admin/products", "products"),
            Entity::Customers => ("/admin/customers", "customers"),
            _ => return Ok(None),
        };
        let mut out = vec![];
        loop {
            let q = format!(
                "{path}?{}&fields=id",
                list_query(out.len(), facts::PAGE_LIMIT, Window::All)
            );
            let (items, total) = self.list::<reply::IdOnly>("list ids", &q, key).await?;
            let n = items.len();
            out.extend(items.into_iter().map(|i| i.id));
            if n == 0 || out.len() as u64 >= total {
                return Ok(Some(out));
            }
        }
    }

    fn describe(&self) -> String {
        format!("Medusa Admin API ({})", self.session.base())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.session.http().stats())
    }
}

#[async_trait::async_trait]
impl Target for Medusa {
    fn platform(&self) -> Platform {
        Platform::Medusa
    }

    fn accepts(&self, entity: Entity) -> bool {
        facts::LOADS.contains(&entity)
    }

    fn refusal(&self, entity: Entity) -> Option<String> {
        (entity == Entity::Orders).then(|| facts::ORDERS_NOT_IMPORTABLE.to_string())
    }

    fn describe(&self) -> String {
        format!("Medusa Admin API ({})", self.session.base())
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        // Nothing to cut back: every write is an upsert by key, found again by `lookup`.
        *self.category_cache() = None;
        Ok(())
    }

    async fn write_batch(
        &mut self,
        _entity: Entity,
        batch: &[Record],
    ) -> Result<Vec<WriteOutcome>> {
        // Categories go in waves by depth: a child written alongside its parent would look for a
        // parent that does not exist yet.
        let depth = |r: &Record| match r {
            Record::Category(c) => c.path.len(),
            _ => 0,
        };
        let mut depths: Vec<usize> = batch.iter().map(depth).collect();
        depths.sort_unstable();
        depths.dedup();
        let this = &*self;
        let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; batch.len()];
        for d in depths {
            let indices: Vec<usize> = (0..batch.len())
                .filter(|i| depth(&batch[*i]) == d)
                .collect();
            let wave: Vec<WriteFuture<'_>> = indices
                .iter()
                .map(|i| Box::pin(this.write_one(&batch[*i])) as WriteFuture<'_>)
                .collect();
            let results = stream::iter(wave)
                .buffered(this.concurrency)
                .collect::<Vec<_>>()
                .await;
            for (i, r) in indices.into_iter().zip(results) {
                outcomes[i] = Some(r?);
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    async fn lookup(&mut self, entity: Entity, key: &str) -> Result<Option<String>> {
        Ok(match entity {
            Entity::Categories => self.find_category(key).await?,
            Entity::Products => self.find_product(key).await?.map(|p| p.id),
            Entity::Customers => self.find_customer(key).await?.map(|c| c.id),
            _ => None,
        })
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let path = match entity {
            Entity::Categories => format!("/admin/product-categories/{target_id}"),
            Entity::Products => format!("/admin/products/{target_id}"),
            Entity::Customers => format!("/admin/customers/{target_id}"),
            _ => return Ok(()),
        };
        self.session
            .delete(&format!("delete {entity} {target_id}"), &path)
            .await?;
        if entity == Entity::Categories {
            *self.category_cache() = None;
        }
        Ok(())
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.session.http().stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut *self.findings.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

// ---------- mapping between Medusa's JSON and the canonical model ----------

/// Which records an admin list asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Window<'a> {
    /// Every record.
    All,
    /// Records whose own `updated_at` is at or after the time.
    Since(&'a str),
    /// Products whose own `updated_at` is older than the time but one of whose variants changed
    /// at or after it. Medusa 2.21 leaves a product's `updated_at` alone when one of its variants
    /// is updated (a price change through `/admin/products/{id}/variants/{id}`), so the product
    /// filter alone misses every price change; the `updated_at[$lt]` half keeps this list apart
    /// from [`Window::Since`]'s, so no product is read twice. (`$or` cannot join the two: 2.21
    /// ignores it silently and lists every product.)
    ThroughVariants(&'a str),
}

/// The paging and filter part of an admin list query. Ordered by id, which is unique (a ULID,
/// so creation order too): records created in one bulk call share `created_at`, and ties may
/// come back in a different order for each offset, reading one record twice and missing
/// another.
fn list_query(offset: usize, limit: usize, window: Window<'_>) -> String {
    let mut q = format!("limit={limit}&offset={offset}&order=id");
    match window {
        Window::All => {}
        Window::Since(t) => q.push_str(&format!("&{}={}", enc("updated_at[$gte]"), enc(t))),
        Window::ThroughVariants(t) => q.push_str(&format!(
            "&{}={}&{}={}",
            enc("variants[updated_at][$gte]"),
            enc(t),
            enc("updated_at[$lt]"),
            enc(t)
        )),
    }
    q
}

/// The newest of `times` (Medusa writes ISO 8601 in UTC), as RFC 3339 UTC.
fn newest_update<'a>(times: impl IntoIterator<Item = &'a str>) -> Option<String> {
    times
        .into_iter()
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .max()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// Medusa answers `""` as readily as `null` for a text it does not have.
fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_string)
}

fn ancestors<'a>(all: &'a BTreeMap<String, CategoryNode>, id: &str) -> Vec<&'a CategoryNode> {
    let mut chain = Vec::new();
    let mut at = all.get(id).and_then(|n| n.parent.clone());
    // A cycle cannot come from Medusa, but a bound keeps a damaged tree from looping forever.
    while let Some(pid) = at.take() {
        let Some(node) = all.get(&pid) else { break };
        chain.push(node);
        if chain.len() > all.len() {
            break;
        }
        at = node.parent.clone();
    }
    chain.reverse();
    chain
}

fn names_path(all: &BTreeMap<String, CategoryNode>, id: &str) -> Vec<String> {
    let mut path: Vec<String> = ancestors(all, id).iter().map(|n| n.name.clone()).collect();
    if let Some(n) = all.get(id) {
        path.push(n.name.clone());
    }
    path
}

fn status_key(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Active => "published",
        ProductStatus::Draft => "draft",
        // Medusa has no archived state; "rejected" is the one a storefront never shows.
        ProductStatus::Archived => "rejected",
    }
}

fn options_of(p: &Product) -> Vec<Value> {
    if p.options.is_empty() {
        return vec![json!({"title": DEFAULT_OPTION, "values": [DEFAULT_VALUE]})];
    }
    p.options
        .iter()
        .map(|o| json!({"title": o.name, "values": o.values}))
        .collect()
}

/// Medusa takes amounts as JSON numbers in major units; two-decimal amounts survive the trip
/// through f64 exactly as text.
fn amount(m: &Money) -> Result<Value, ApiError> {
    serde_json::Number::from_str(&m.amount.normalize().to_string())
        .map(Value::Number)
        .map_err(|_| ApiError::Rejected {
            status: 0,
            message: format!("price {m} cannot be written as a number"),
        })
}

fn variant_body(p: &Product, v: &Variant) -> Result<Value, ApiError> {
    let title = if v.option_values.is_empty() {
        p.title.clone()
    } else {
        v.option_values.join(" / ")
    };
    let options: BTreeMap<String, String> = if p.options.is_empty() {
        BTreeMap::from([(DEFAULT_OPTION.to_string(), DEFAULT_VALUE.to_string())])
    } else {
        p.options
            .iter()
            .zip(&v.option_values)
            .map(|(o, val)| (o.name.clone(), val.clone()))
            .collect()
    };
    let mut body = json!({
        "title": title,
        "sku": v.sku,
        "barcode": v.barcode,
        "manage_inventory": v.inventory.is_some(),
        "allow_backorder": v.allow_backorder,
        "options": options,
        "prices": [],
    });
    if let Some(w) = &v.weight {
        body["weight"] = json!(w
            .to_unit(WeightUnit::G)
            .value
            .round()
            .to_string()
            .parse::<i64>()
            .unwrap_or(0));
    }
    if let Some(price) = &v.price {
        body["prices"] = json!([{"currency_code": price.currency.to_ascii_lowercase(), "amount": amount(price)?}]);
    }
    Ok(body)
}

fn product_from(p: &reply::Product, categories: &BTreeMap<String, CategoryNode>) -> Product {
    let meta = p.metadata.as_ref();
    let only_default = p.options.len() == 1 && p.options[0].title == DEFAULT_OPTION;
    let mut raw_options: Vec<&reply::ProductOption> = p.options.iter().collect();
    if let Some(order) = meta
        .and_then(|m| m.get(facts::OPTION_ORDER_KEY))
        .and_then(Value::as_array)
    {
        let rank = |o: &&reply::ProductOption| {
            order
                .iter()
                .position(|n| n.as_str() == Some(o.title.as_str()))
                .unwrap_or(order.len())
        };
        raw_options.sort_by_key(rank);
    }
    let options = if only_default {
        Vec::new()
    } else {
        raw_options
            .iter()
            .map(|o| ProductOption {
                name: o.title.clone(),
                values: o.values.iter().map(|v| v.value.clone()).collect(),
            })
            .collect()
    };
    let mut raw_variants: Vec<&reply::Variant> = p.variants.iter().collect();
    if let Some(order) = meta
        .and_then(|m| m.get(facts::VARIANT_ORDER_KEY))
        .and_then(Value::as_array)
    {
        raw_variants.sort_by_key(|v| {
            order
                .iter()
                .position(|s| s.as_str().is_some() && s.as_str() == v.sku.as_deref())
                .unwrap_or(order.len())
        });
    }
    let variants = raw_variants
        .into_iter()
        .map(|v| {
            let option_values = if only_default {
                Vec::new()
            } else {
                raw_options
                    .iter()
                    .filter_map(|o| {
                        v.options
                            .iter()
                            .find(|ov| ov.option_id.as_deref() == Some(o.id.as_str()))
                            .map(|ov| ov.value.clone())
                    })
                    .collect()
            };
            let price = v
                .prices
                .first()
                .map(|pr| Money::new(pr.amount, pr.currency_code.to_ascii_uppercase()));
            // Stock is the sum over locations, for variants whose stock Medusa manages.
            let inventory = v.manage_inventory.then(|| {
                v.inventory_items
                    .first()
                    .and_then(|i| i.inventory.as_ref())
                    .map(|i| i.location_levels.iter().map(|l| l.stocked_quantity).sum())
                    .unwrap_or(0)
            });
            Variant {
                source_id: Some(v.id.clone()),
                sku: non_empty(&v.sku),
                barcode: non_empty(&v.barcode),
                inventory,
                price,
                weight: v.weight.map(|value| Weight {
                    value,
                    unit: WeightUnit::G,
                }),
                allow_backorder: v.allow_backorder,
                option_values,
                ..Variant::default()
            }
        })
        .collect();
    let product_categories = p
        .categories
        .iter()
        .map(|c| names_path(categories, &c.id))
        .filter(|path| !path.is_empty())
        .collect();
    let attributes = meta
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    k.as_str() != facts::OPTION_ORDER_KEY && k.as_str() != facts::VARIANT_ORDER_KEY
                })
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut raw_images: Vec<&reply::Image> = p.images.iter().collect();
    raw_images.sort_by_key(|i| i.rank.unwrap_or(0));
    let images = raw_images
        .iter()
        .enumerate()
        .map(|(i, img)| Image {
            src: img.url.clone(),
            alt: None,
            position: i as u32 + 1,
        })
        .collect();
    Product {
        source: SourceRef::with_url(
            p.id.clone(),
            facts::url_path(Entity::Products, &p.handle, &[]),
        ),
        handle: p.handle.clone(),
        title: p.title.clone(),
        body_html: p.description.clone().unwrap_or_default(),
        status: match p.status {
            reply::Status::Published => ProductStatus::Active,
            reply::Status::Rejected => ProductStatus::Archived,
            reply::Status::Draft | reply::Status::Proposed => ProductStatus::Draft,
        },
        categories: product_categories,
        options,
        variants,
        attributes,
        images,
        created_at: crate::api::time(non_empty(&p.created_at)),
        ..Product::default()
    }
}

fn category_from(c: &reply::Category, all: &BTreeMap<String, CategoryNode>) -> Category {
    let parents: Vec<String> = ancestors(all, &c.id)
        .iter()
        .map(|n| n.handle.clone())
        .collect();
    Category {
        source: SourceRef::with_url(
            &c.id,
            facts::url_path(Entity::Categories, &c.handle, &parents),
        ),
        handle: c.handle.clone(),
        path: names_path(all, &c.id),
        description_html: c.description.clone().unwrap_or_default(),
        position: c.rank,
        ..Category::default()
    }
}

fn address_body(a: &Address) -> Value {
    json!({
        "first_name": a.first_name,
        "last_name": a.last_name,
        "company": a.company,
        "address_1": a.address1,
        "address_2": a.address2,
        "city": a.city,
        "province": a.province,
        "postal_code": a.zip,
        "country_code": a.country_code.as_ref().map(|c| c.to_ascii_lowercase()),
        "phone": a.phone,
        "is_default_shipping": a.default,
        "is_default_billing": a.default,
    })
}

fn address_key(a: &Address) -> (String, String, String) {
    (
        a.address1.clone().unwrap_or_default(),
        a.zip.clone().unwrap_or_default(),
        a.country_code
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    )
}

fn address_key_of(a: &reply::Address) -> (String, String, String) {
    (
        a.address_1.clone().unwrap_or_default(),
        a.postal_code.clone().unwrap_or_default(),
        a.country_code
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    )
}

fn customer_from(c: &reply::Customer) -> Customer {
    // Medusa lists a customer's addresses in no defined order; the connector adds them one
    // request at a time in the source's order, so creation time restores it.
    let mut raw: Vec<&reply::Address> = c.addresses.iter().collect();
    raw.sort_by_key(|a| (a.created_at.clone().unwrap_or_default(), a.id.clone()));
    let addresses = raw
        .into_iter()
        .map(|a| Address {
            first_name: non_empty(&a.first_name),
            last_name: non_empty(&a.last_name),
            company: non_empty(&a.company),
            address1: non_empty(&a.address_1),
            address2: non_empty(&a.address_2),
            city: non_empty(&a.city),
            province: non_empty(&a.province),
            country_code: non_empty(&a.country_code).map(|c| c.to_ascii_uppercase()),
            zip: non_empty(&a.postal_code),
            phone: non_empty(&a.phone),
            default: a.is_default_shipping,
        })
        .collect();
    Customer {
        source: SourceRef::new(c.id.clone()),
        email: c.email.clone(),
        first_name: non_empty(&c.first_name),
        last_name: non_empty(&c.last_name),
        phone: non_empty(&c.phone),
        addresses,
        created_at: crate::api::time(non_empty(&c.created_at)),
        ..Customer::default()
    }
}

#[cfg(test)]
mod changes_tests {
    use super::*;

    #[test]
    fn a_changed_read_asks_updated_at_gte_and_pages_by_id() {
        let t = "2026-12-06T05:00:00Z";
        assert_eq!(
            list_query(40, 20, Window::Since(t)),
            "limit=20&offset=40&order=id&updated_at%5B%24gte%5D=2026-12-06T05%3A00%3A00Z"
        );
        assert_eq!(
            list_query(0, 20, Window::ThroughVariants(t)),
            "limit=20&offset=0&order=id&variants%5Bupdated_at%5D%5B%24gte%5D=2026-12-06T05%3A00%3A00Z\
             &updated_at%5B%24lt%5D=2026-12-06T05%3A00%3A00Z"
        );
        assert_eq!(list_query(0, 20, Window::All), "limit=20&offset=0&order=id");
    }

    #[test]
    fn the_newest_update_is_read_in_utc() {
        let times = [
            "2026-12-06T05:00:00.120Z",
            "2026-12-06T09:00:00+03:00",
            "not a time",
        ];
        assert_eq!(
            newest_update(times).as_deref(),
            Some("2026-12-06T06:00:00.000Z")
        );
        assert_eq!(newest_update([]), None);
    }

    #[test]
    fn a_real_reply_becomes_the_canonical_product() {
        let body: Value =
            serde_json::from_str(include_str!("../../tests/data/medusa/products.json"))
                .expect("json");
        let (rows, _) =
            reply::list::<reply::Product>("list products", "products", &body).expect("parses");
        let p = product_from(&rows[0], &BTreeMap::new());
        // One "Default option": a product without options.
        assert!(p.options.is_empty());
        let price = p.variants[0].price.as_ref().expect("price");
        assert_eq!(price.amount, rust_decimal::Decimal::new(1225, 2));
        assert_eq!(price.currency, "USD");
        let p = product_from(&rows[1], &BTreeMap::new());
        assert_eq!(p.options[0].name, "Size");
        let skus: Vec<_> = p.variants.iter().filter_map(|v| v.sku.as_deref()).collect();
        assert_eq!(skus, ["SKU-4-S", "SKU-4-M", "SKU-4-L"]);
        assert_eq!(p.variants[0].option_values, ["S"]);
        assert_eq!(p.variants[0].inventory, Some(7));
        assert_eq!(
            p.attributes.get("material").map(String::as_str),
            Some("cotton")
        );
        assert_eq!(p.images.len(), 2);
        assert_eq!(p.body_html, "<p>Soft</p>");
    }
}
