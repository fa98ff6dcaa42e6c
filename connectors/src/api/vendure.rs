//! Vendure 3 through its Admin GraphQL API, as a source and as a target.
//!
//! Categories become collections (the tree) each filtering on one value of a `category` facet, and
//! a product's categories become that facet's values on the product: that is how Vendure itself
//! puts products in collections. Prices are integers at the server's money precision
//! (`moneyStrategyPrecision`, 2 unless configured, whatever the currency), in the channel
//! currency; products are matched by slug, variants by SKU, customers by email. Vendure has no import for
//! orders with their history, so orders are refused one by one with the reason.

mod client;
mod verify;
mod wire;

pub use verify::VendureVerifier;

use crate::api::http::{HttpConfig, Safety};
use crate::connector::{
    ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::model::{
    Address, Category, Customer, Entity, Money, Platform, Product, ProductOption, ProductStatus,
    Record, SourceRef, Variant,
};
use crate::platform::vendure as facts;
use crate::spec::EndpointSpec;
use client::{refused, GqlError, Session};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use wire::parse;

type WriteFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<WriteOutcome>> + Send + 'a>>;

/// The facet whose values say which categories a product is in.
const CATEGORY_FACET: &str = "category";

/// A Vendure store; one value serves as source and as target.
pub struct Vendure {
    session: Arc<Session>,
    concurrency: usize,
    cache: Mutex<Cache>,
    /// Held while the category facet or one of its values is made, so records written side by
    /// side never make the same one twice.
    making_facets: tokio::sync::Mutex<()>,
}

/// How this server writes money: the channel's default currency, and the decimal places its
/// integers hold (`MoneyStrategy.precision`, configurable since Vendure 2.2).
#[derive(Clone, Debug)]
struct MoneyFormat {
    currency: String,
    precision: u32,
}

#[derive(Default)]
struct Cache {
    money: Option<MoneyFormat>,
    category_facet: Option<String>,
    /// Collection slug → (id, names from the root).
    collections: Option<BTreeMap<String, (String, Vec<String>)>>,
    /// Category facet value code (= collection slug) → facet value id.
    facet_values: BTreeMap<String, String>,
}

impl Vendure {
    /// Opens from an endpoint spec: `url` is the server (`/admin-api` is added when missing),
    /// credentials `username` (or `email`) and `password`, option `concurrency`.
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Vendure endpoint needs `url` (e.g. \"http://127.0.0.1:3000/admin-api\")"
                    .into(),
            )
        })?;
        let username = spec
            .credential("username")
            .or_else(|_| spec.credential("email"))?;
        let password = spec.credential("password")?;
        let concurrency = spec
            .options
            .get("concurrency")
            .and_then(Value::as_u64)
            .map(|c| c.clamp(1, 64) as usize)
            .unwrap_or(facts::CONCURRENCY);
        Self::connect(
            url,
            &username,
            &password,
            concurrency,
            HttpConfig::default().with_options(spec),
        )
    }

    pub fn connect(
        url: &str,
        username: &str,
        password: &str,
        concurrency: usize,
        http: HttpConfig,
    ) -> Result<Self> {
        let url = url.trim_end_matches('/');
        let url = if url.ends_with("/admin-api") {
            url.to_string()
        } else {
            format!("{url}/admin-api")
        };
        Ok(Vendure {
            session: Arc::new(Session::new(&url, username, password, http)?),
            concurrency: concurrency.max(1),
            cache: Mutex::new(Cache::default()),
            making_facets: tokio::sync::Mutex::new(()),
        })
    }

    /// Logs in now, so a wrong URL or password is reported before any work starts.
    pub async fn check(&self) -> Result<()> {
        self.session.login().await
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn q(&self, what: &str, query: &str, vars: Value) -> Result<Value, GqlError> {
        self.session
            .call(what, Safety::Idempotent, query, vars)
            .await
    }

    async fn m(&self, what: &str, query: &str, vars: Value) -> Result<Value, GqlError> {
        self.session.call(what, Safety::Unsafe, query, vars).await
    }

    /// The channel's currency and the server's money precision, read once.
    async fn money(&self) -> Result<MoneyFormat, GqlError> {
        if let Some(m) = self.cache().money.clone() {
            return Ok(m);
        }
        let d = self
            .q(
                "read the channel",
                "{ activeChannel { defaultCurrencyCode } globalSettings { serverConfig { moneyStrategyPrecision } } }",
                json!({}),
            )
            .await?;
        let reply =
            parse::<wire::ActiveChannel>("read the channel", &d).map_err(GqlError::Failed)?;
        let m = MoneyFormat {
            currency: reply.active_channel.default_currency_code,
            precision: reply.global_settings.server_config.money_strategy_precision,
        };
        self.cache().money = Some(m.clone());
        Ok(m)
    }

    // ---------- categories: collections + the category facet ----------

    async fn collections(&self) -> Result<BTreeMap<String, (String, Vec<String>)>, GqlError> {
        if let Some(c) = self.cache().collections.clone() {
            return Ok(c);
        }
        let mut all = BTreeMap::new();
        let mut skip = 0;
        loop {
            let d = self
                .q(
                    "list collections",
                    "query($o:CollectionListOptions){ collections(options:$o){ totalItems items{ id slug breadcrumbs{ name slug } } } }",
                    json!({"o": {"skip": skip, "take": 100, "sort": {"id": "ASC"}}}),
                )
                .await?;
            let list = parse::<wire::Collections<wire::CollectionNode>>("list collections", &d)
                .map_err(GqlError::Failed)?
                .collections;
            for c in &list.items {
                all.insert(
                    c.slug.clone(),
                    (c.id.clone(), breadcrumb_path(&c.breadcrumbs)),
                );
            }
            skip += list.items.len();
            if list.items.is_empty() || skip as u64 >= list.total_items {
                break;
            }
        }
        self.cache().collections = Some(all.clone());
        Ok(all)
    }

    async fn category_facet(&self, create: bool) -> Result<Option<String>, GqlError> {
        if let Some(id) = self.cache().category_facet.clone() {
            return Ok(Some(id));
        }
        let d = self
            .q(
                "find the category facet",
                "query($o:FacetListOptions){ facets(options:$o){ items{ id values{ id code } } } }",
                json!({"o": {"filter": {"code": {"eq": CATEGORY_FACET}}}}),
            )
            .await?;
        let found = typed::<wire::Facets>("find the category facet", &d)?
            .facets
            .items
            .into_iter()
            .next();
        let id = match found {
            Some(f) => {
                let mut cache = self.cache();
                for v in f.values {
                    cache.facet_values.insert(v.code, v.id);
                }
                f.id
            }
            None if create => {
                let d = self
                    .m(
                        "create the category facet",
                        "mutation($i:CreateFacetInput!){ createFacet(input:$i){ id } }",
                        json!({"i": {"code": CATEGORY_FACET, "isPrivate": false,
                            "translations": [{"languageCode": "en", "name": "Category"}], "values": []}}),
                    )
                    .await?;
                typed::<wire::CreatedFacet>("create the category facet", &d)?
                    .create_facet
                    .id
            }
            None => return Ok(None),
        };
        self.cache().category_facet = Some(id.clone());
        Ok(Some(id))
    }

    async fn ensure_facet_value(&self, code: &str, name: &str) -> Result<String, GqlError> {
        if let Some(id) = self.cache().facet_values.get(code).cloned() {
            return Ok(id);
        }
        let _making = self.making_facets.lock().await;
        let facet = self.category_facet(true).await?.unwrap_or_default();
        if let Some(id) = self.cache().facet_values.get(code).cloned() {
            return Ok(id);
        }
        let d = self
            .m(
                "create a category facet value",
                "mutation($i:[CreateFacetValueInput!]!){ createFacetValues(input:$i){ id code } }",
                json!({"i": [{"facetId": facet, "code": code, "translations": [{"languageCode": "en", "name": name}]}]}),
            )
            .await?;
        let id = typed::<wire::CreatedFacetValues>("create a category facet value", &d)?
            .create_facet_values
            .into_iter()
            .next()
            .map(|v| v.id)
            .ok_or_else(|| {
                GqlError::Failed(format!(
                    "create a category facet value: Vendure answered no value for \"{code}\""
                ))
            })?;
        self.cache()
            .facet_values
            .insert(code.to_string(), id.clone());
        Ok(id)
    }

    /// Facet value ids of a product's category paths; a path not loaded yet is an error naming it.
    async fn category_values(&self, paths: &[Vec<String>]) -> Result<Vec<String>, String> {
        let mut ids = Vec::new();
        if paths.is_empty() {
            return Ok(ids);
        }
        let mut collections = self
            .collections()
            .await
            .map_err(|e| e.message().to_string())?;
        for path in paths {
            let mut found = collections
                .iter()
                .find(|(_, (_, p))| p == path)
                .map(|(s, _)| s.clone());
            if found.is_none() {
                // Loaded by another process since the cache was filled: read the tree again once.
                self.cache().collections = None;
                collections = self
                    .collections()
                    .await
                    .map_err(|e| e.message().to_string())?;
                found = collections
                    .iter()
                    .find(|(_, (_, p))| p == path)
                    .map(|(s, _)| s.clone());
            }
            let slug = found.ok_or_else(|| {
                format!(
                    "category \"{}\" is not in Vendure: load the categories first",
                    path.join(" > ")
                )
            })?;
            let name = path.last().cloned().unwrap_or_default();
            ids.push(
                self.ensure_facet_value(&slug, &name)
                    .await
                    .map_err(|e| e.message().to_string())?,
            );
        }
        Ok(ids)
    }

    async fn find_collection(&self, slug: &str) -> Result<Option<String>, GqlError> {
        let d = self
            .q(
                "find a collection",
                "query($s:String){ collection(slug:$s){ id } }",
                json!({"s": slug}),
            )
            .await?;
        Ok(typed::<wire::CollectionBySlug>("find a collection", &d)?
            .collection
            .map(|c| c.id))
    }

    async fn upsert_category(&self, c: &Category) -> Result<WriteOutcome, GqlError> {
        let parent = match c.parent_path() {
            [] => None,
            parent => {
                let all = self.collections().await?;
                let found = all
                    .iter()
                    .find(|(_, (_, p))| p.as_slice() == parent)
                    .map(|(_, (id, _))| id.clone());
                match found {
                    Some(id) => Some(id),
                    None => {
                        return Ok(WriteOutcome::Failed {
                            message: format!(
                                "parent category \"{}\" is not in Vendure: load parents before children",
                                parent.join(" > ")
                            ),
                        })
                    }
                }
            }
        };
        let value = self.ensure_facet_value(&c.handle, c.name()).await?;
        let translation = json!({"languageCode": "en", "name": c.name(), "slug": c.handle, "description": c.description_html});
        let filters = json!([{"code": "facet-value-filter", "arguments": [
            {"name": "facetValueIds", "value": json!([value]).to_string()},
            {"name": "containsAny", "value": "false"}]}]);
        let outcome = match self.find_collection(&c.handle).await? {
            Some(id) => {
                self.m(
                    "update a collection",
                    "mutation($i:UpdateCollectionInput!){ updateCollection(input:$i){ id } }",
                    json!({"i": {"id": id, "parentId": parent, "translations": [translation], "filters": filters, "inheritFilters": false}}),
                )
                .await?;
                WriteOutcome::Updated { target_id: id }
            }
            None => {
                let input = json!({"i": {"parentId": parent, "translations": [translation], "filters": filters,
                    "inheritFilters": false, "isPrivate": false}});
                let created = self
                    .m("create a collection", "mutation($i:CreateCollectionInput!){ createCollection(input:$i){ id slug } }", input.clone())
                    .await;
                let (id, slug) = match created {
                    Err(GqlError::Ambiguous(m)) => match self.find_collection(&c.handle).await? {
                        Some(id) => (id, c.handle.clone()),
                        None => return Err(GqlError::Ambiguous(m)),
                    },
                    other => {
                        let made =
                            typed::<wire::CreatedCollection>("create a collection", &other?)?
                                .create_collection;
                        (made.id, made.slug)
                    }
                };
                if slug != c.handle {
                    self.delete_collection(&id).await?;
                    return Ok(WriteOutcome::Failed {
                        message: format!("Vendure changed the handle \"{}\" to \"{slug}\"; the category was not kept", c.handle),
                    });
                }
                WriteOutcome::Created { target_id: id }
            }
        };
        if let (
            Some(map),
            WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id },
        ) = (self.cache().collections.as_mut(), &outcome)
        {
            map.insert(c.handle.clone(), (target_id.clone(), c.path.clone()));
        }
        Ok(outcome)
    }

    async fn delete_collection(&self, id: &str) -> Result<(), GqlError> {
        let d = self
            .q(
                "read a collection",
                "query($id:ID!){ collection(id:$id){ id slug filters{ args{ name value } } } }",
                json!({"id": id}),
            )
            .await?;
        let Some(coll) = typed::<wire::CollectionFilters>("read a collection", &d)?.collection
        else {
            return Ok(());
        };
        // The facet-value filter's argument is a JSON list of ids written as a string.
        let values: Vec<String> = coll
            .filters
            .iter()
            .flat_map(|f| &f.args)
            .filter(|a| a.name == "facetValueIds")
            .filter_map(|a| serde_json::from_str::<Vec<String>>(&a.value).ok())
            .flatten()
            .collect();
        self.m(
            "delete a collection",
            "mutation($id:ID!){ deleteCollection(id:$id){ result message } }",
            json!({"id": id}),
        )
        .await?;
        if !values.is_empty() {
            self.m(
                "delete category facet values",
                "mutation($ids:[ID!]!){ deleteFacetValues(ids:$ids, force:true){ result message } }",
                json!({"ids": values}),
            )
            .await?;
        }
        {
            let mut cache = self.cache();
            cache.collections = None;
            cache.facet_values.retain(|_, v| !values.contains(v));
        }
        // The facet itself goes with its last value, so a rolled-back run leaves nothing behind.
        if let Some(facet) = self.category_facet(false).await? {
            let d = self
                .q(
                    "read the category facet",
                    "query($id:ID!){ facet(id:$id){ values{ id } } }",
                    json!({"id": facet}),
                )
                .await?;
            let facet_now = typed::<wire::FacetById>("read the category facet", &d)?.facet;
            if facet_now.is_some_and(|f| f.values.is_empty()) {
                self.m(
                    "delete the category facet",
                    "mutation($id:ID!){ deleteFacet(id:$id, force:true){ result } }",
                    json!({"id": facet}),
                )
                .await?;
                self.cache().category_facet = None;
            }
        }
        Ok(())
    }

    // ---------- products ----------

    async fn find_product(&self, slug: &str) -> Result<Option<wire::FoundProduct>, GqlError> {
        let d = self
            .q(
                "find a product",
                "query($s:String){ product(slug:$s){ id slug optionGroups{ id name options{ id name } } variants{ id sku } } }",
                json!({"s": slug}),
            )
            .await?;
        Ok(parse::<wire::ProductBySlug>("find a product", &d)
            .map_err(GqlError::Failed)?
            .product)
    }

    async fn upsert_product(&self, p: &Product) -> Result<WriteOutcome, GqlError> {
        let values = match self.category_values(&p.categories).await {
            Ok(v) => v,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        let money = self.money().await?;
        let translation = json!({"languageCode": "en", "name": p.title, "slug": p.handle, "description": p.body_html});
        let enabled = p.status == ProductStatus::Active;
        match self.find_product(&p.handle).await? {
            Some(existing) => {
                let id = existing.id.clone();
                self.m(
                    "update a product",
                    "mutation($i:UpdateProductInput!){ updateProduct(input:$i){ id } }",
                    json!({"i": {"id": id, "enabled": enabled, "translations": [translation], "facetValueIds": values}}),
                )
                .await?;
                match self.sync_variants(p, &existing, &money).await {
                    Ok(()) => Ok(WriteOutcome::Updated { target_id: id }),
                    Err(GqlError::Rejected(message)) => Ok(WriteOutcome::Failed { message }),
                    Err(e) => Err(e),
                }
            }
            None => {
                let input = json!({"i": {"enabled": enabled, "translations": [translation], "facetValueIds": values}});
                let created = self
                    .m(
                        "create a product",
                        "mutation($i:CreateProductInput!){ createProduct(input:$i){ id slug } }",
                        input,
                    )
                    .await;
                let product = match created {
                    Err(GqlError::Ambiguous(m)) => match self.find_product(&p.handle).await? {
                        Some(found) => found,
                        None => return Err(GqlError::Ambiguous(m)),
                    },
                    Err(GqlError::Rejected(message)) => {
                        return Ok(WriteOutcome::Failed { message })
                    }
                    other => {
                        let made = parse::<wire::CreatedProduct>("create a product", &other?)
                            .map_err(GqlError::Failed)?
                            .create_product;
                        // Just made: no option groups or variants yet.
                        wire::FoundProduct {
                            id: made.id,
                            slug: made.slug,
                            option_groups: Vec::new(),
                            variants: Vec::new(),
                        }
                    }
                };
                let (id, slug) = (product.id.clone(), product.slug.clone());
                if slug != p.handle {
                    self.delete_product(&id).await?;
                    return Ok(WriteOutcome::Failed {
                        message: format!(
                            "Vendure changed the handle \"{}\" to \"{slug}\" (is it already taken or not a valid slug?); the product was not kept",
                            p.handle
                        ),
                    });
                }
                // A product found after an ambiguous create may already have some of its variants.
                match self.sync_variants(p, &product, &money).await {
                    Ok(()) => Ok(WriteOutcome::Created { target_id: id }),
                    Err(GqlError::Rejected(message)) => {
                        // All or nothing for a new product: a half-made one would hide the failure.
                        self.delete_product(&id).await?;
                        Ok(WriteOutcome::Failed { message })
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Makes the product's option groups and variants match the canonical product: groups and
    /// option values added where missing, variants updated by SKU or created.
    async fn sync_variants(
        &self,
        p: &Product,
        existing: &wire::FoundProduct,
        money: &MoneyFormat,
    ) -> Result<(), GqlError> {
        let product_id = existing.id.clone();
        // option name → value name → option id
        let mut groups: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
        for g in &existing.option_groups {
            let opts = g
                .options
                .iter()
                .map(|o| (o.name.clone(), o.id.clone()))
                .collect();
            groups.insert(g.name.clone(), (g.id.clone(), opts));
        }
        for (i, opt) in p.options.iter().enumerate() {
            match groups.get_mut(&opt.name) {
                None => {
                    let code = option_code(&format!("{}-{}-{}", p.handle, i + 1, opt.name));
                    let options: Vec<Value> = opt
                        .values
                        .iter()
                        .map(|v| json!({"code": option_code(v), "translations": [{"languageCode": "en", "name": v}]}))
                        .collect();
                    let d = self
                        .m(
                            "create an option group",
                            "mutation($i:CreateProductOptionGroupInput!){ createProductOptionGroup(input:$i){ id options{ id name } } }",
                            json!({"i": {"code": code, "translations": [{"languageCode": "en", "name": opt.name}], "options": options}}),
                        )
                        .await?;
                    let g = parse::<wire::CreatedGroup>("create an option group", &d)
                        .map_err(GqlError::Failed)?
                        .create_product_option_group;
                    let gid = g.id.clone();
                    self.m(
                        "add an option group to a product",
                        "mutation($p:ID!,$g:ID!){ addOptionGroupToProduct(productId:$p, optionGroupId:$g){ id } }",
                        json!({"p": product_id, "g": gid}),
                    )
                    .await?;
                    let opts = g
                        .options
                        .iter()
                        .map(|o| (o.name.clone(), o.id.clone()))
                        .collect();
                    groups.insert(opt.name.clone(), (gid, opts));
                }
                Some((gid, opts)) => {
                    let missing: Vec<String> = opt
                        .values
                        .iter()
                        .filter(|v| !opts.contains_key(*v))
                        .cloned()
                        .collect();
                    for v in &missing {
                        let d = self
                            .m(
                                "add an option value",
                                "mutation($i:CreateProductOptionInput!){ createProductOption(input:$i){ id } }",
                                json!({"i": {"productOptionGroupId": gid, "code": option_code(v),
                                    "translations": [{"languageCode": "en", "name": v}]}}),
                            )
                            .await?;
                        let made = parse::<wire::CreatedOption>("add an option value", &d)
                            .map_err(GqlError::Failed)?
                            .create_product_option;
                        opts.insert(v.clone(), made.id);
                    }
                }
            }
        }
        let by_sku: BTreeMap<String, String> = existing
            .variants
            .iter()
            .map(|v| (v.sku.clone(), v.id.clone()))
            .collect();
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        for v in &p.variants {
            let option_ids: Vec<String> = p
                .options
                .iter()
                .zip(&v.option_values)
                .filter_map(|(o, val)| {
                    groups
                        .get(&o.name)
                        .and_then(|(_, opts)| opts.get(val))
                        .cloned()
                })
                .collect();
            let mut input = variant_input(p, v, money)?;
            input["optionIds"] = json!(option_ids);
            match v.sku.as_ref().and_then(|s| by_sku.get(s)) {
                Some(id) => {
                    input["id"] = json!(id);
                    updates.push(input);
                }
                None => {
                    input["productId"] = json!(product_id);
                    creates.push(input);
                }
            }
        }
        if !updates.is_empty() {
            self.m(
                "update variants",
                "mutation($i:[UpdateProductVariantInput!]!){ updateProductVariants(input:$i){ id } }",
                json!({"i": updates}),
            )
            .await?;
        }
        if !creates.is_empty() {
            self.m(
                "create variants",
                "mutation($i:[CreateProductVariantInput!]!){ createProductVariants(input:$i){ id } }",
                json!({"i": creates}),
            )
            .await?;
        }
        Ok(())
    }

    async fn delete_product(&self, id: &str) -> Result<(), GqlError> {
        let d = self
            .q(
                "read a product",
                "query($id:ID!){ product(id:$id){ id optionGroups{ id } } }",
                json!({"id": id}),
            )
            .await?;
        let Some(product) = typed::<wire::ProductGroups>("read a product", &d)?.product else {
            return Ok(());
        };
        let groups: Vec<String> = product.option_groups.into_iter().map(|g| g.id).collect();
        let r = self
            .m(
                "delete a product",
                "mutation($id:ID!){ deleteProduct(id:$id){ result message } }",
                json!({"id": id}),
            )
            .await?;
        let deleted = typed::<wire::DeletedProduct>("delete a product", &r)?.delete_product;
        if deleted.result != wire::DeletionResult::Deleted {
            let msg = deleted.message.as_deref().unwrap_or("not deleted");
            return Err(GqlError::Rejected(format!("delete product {id}: {msg}")));
        }
        if !groups.is_empty() {
            self.m(
                "delete option groups",
                "mutation($ids:[ID!]!){ deleteProductOptionGroups(ids:$ids){ result message } }",
                json!({"ids": groups}),
            )
            .await?;
        }
        Ok(())
    }

    // ---------- customers ----------

    async fn find_customer(&self, email: &str) -> Result<Option<wire::FoundCustomer>, GqlError> {
        // SQLite compares with `=` case-sensitively; `contains` (LIKE) does not, then exact match here.
        let d = self
            .q(
                "find a customer",
                "query($o:CustomerListOptions){ customers(options:$o){ items{ id emailAddress addresses{ streetLine1 postalCode country{ code } } } } }",
                json!({"o": {"filter": {"emailAddress": {"contains": email}}, "take": 50}}),
            )
            .await?;
        Ok(parse::<wire::CustomersFound>("find a customer", &d)
            .map_err(GqlError::Failed)?
            .customers
            .items
            .into_iter()
            .find(|c| c.email_address.eq_ignore_ascii_case(email)))
    }

    async fn upsert_customer(&self, c: &Customer) -> Result<WriteOutcome, GqlError> {
        let base = json!({
            "firstName": c.first_name.clone().unwrap_or_default(),
            "lastName": c.last_name.clone().unwrap_or_default(),
            "phoneNumber": c.phone,
        });
        let (id, created, known) = match self.find_customer(&c.email).await? {
            Some(found) => {
                let id = found.id.clone();
                let mut input = base.clone();
                input["id"] = json!(id);
                let d = self
                    .m(
                        "update a customer",
                        "mutation($i:UpdateCustomerInput!){ updateCustomer(input:$i){ __typename ... on Customer{ id } ... on ErrorResult{ errorCode message } } }",
                        json!({"i": input}),
                    )
                    .await?;
                let updated = typed::<wire::UpdatedCustomer>("update a customer", &d)?;
                if let Err(e) = updated.update_customer.into_result() {
                    return Ok(WriteOutcome::Failed {
                        message: refused("update a customer", &e).message().to_string(),
                    });
                }
                let known: Vec<(String, String, String)> = found
                    .addresses
                    .iter()
                    .flatten()
                    .map(address_key_of)
                    .collect();
                (id, false, known)
            }
            None => {
                let mut input = base.clone();
                input["emailAddress"] = json!(c.email);
                let created = self
                    .m(
                        "create a customer",
                        "mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ __typename ... on Customer{ id } ... on ErrorResult{ errorCode message } } }",
                        json!({"i": input}),
                    )
                    .await;
                let id = match created {
                    Err(GqlError::Ambiguous(m)) => match self.find_customer(&c.email).await? {
                        Some(found) => found.id,
                        None => return Err(GqlError::Ambiguous(m)),
                    },
                    Err(GqlError::Rejected(message)) => {
                        return Ok(WriteOutcome::Failed { message })
                    }
                    other => {
                        let d = other?;
                        match typed::<wire::CreatedCustomer>("create a customer", &d)?
                            .create_customer
                            .into_result()
                        {
                            Ok(made) => made.id,
                            Err(e) => {
                                return Ok(WriteOutcome::Failed {
                                    message: refused("create a customer", &e).message().to_string(),
                                })
                            }
                        }
                    }
                };
                (id, true, Vec::new())
            }
        };
        for a in c.addresses.iter().filter(|a| !a.is_empty()) {
            let key = (
                a.address1.clone().unwrap_or_default(),
                a.zip.clone().unwrap_or_default(),
                a.country_code
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
            );
            if known.contains(&key) {
                continue;
            }
            let result = self
                .m(
                    "add a customer address",
                    "mutation($c:ID!,$i:CreateAddressInput!){ createCustomerAddress(customerId:$c, input:$i){ id } }",
                    json!({"c": id, "i": address_input(a)}),
                )
                .await;
            if let Err(GqlError::Rejected(message)) = result {
                if created {
                    self.delete_customer(&id).await?;
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

    async fn delete_customer(&self, id: &str) -> Result<(), GqlError> {
        let d = self
            .q(
                "read a customer",
                "query($id:ID!){ customer(id:$id){ id } }",
                json!({"id": id}),
            )
            .await?;
        if typed::<wire::CustomerById>("read a customer", &d)?
            .customer
            .is_none()
        {
            return Ok(());
        }
        self.m(
            "delete a customer",
            "mutation($id:ID!){ deleteCustomer(id:$id){ result message } }",
            json!({"id": id}),
        )
        .await
        .map(|_| ())
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
                    "Vendure has no place for {} records in its Admin API",
                    other.entity()
                ),
            }),
        };
        match result {
            Ok(o) => Ok(o),
            Err(GqlError::Rejected(message)) => Ok(WriteOutcome::Failed { message }),
            Err(e) => Err(e.into()),
        }
    }

    // ---------- reading ----------

    async fn read_categories(&self, options: Value) -> Result<Listed> {
        let d = self
            .q(
                "list collections",
                "query($o:CollectionListOptions){ collections(options:$o){ totalItems items{ id slug description position breadcrumbs{ name slug } } } }",
                json!({"o": options}),
            )
            .await?;
        let list = parse::<wire::Collections<wire::CollectionReply>>("list collections", &d)
            .map_err(ConnectorError::Remote)?
            .collections;
        let records = list
            .items
            .iter()
            .map(|c| {
                Record::Category(Category {
                    source: SourceRef::with_url(
                        c.id.clone(),
                        facts::url_path(Entity::Categories, &c.slug),
                    ),
                    handle: c.slug.clone(),
                    path: breadcrumb_path(&c.breadcrumbs),
                    description_html: c.description.clone(),
                    position: Some(c.position),
                    ..Category::default()
                })
            })
            .collect();
        Ok((records, list.total_items))
    }

    async fn read_products(&self, options: Value) -> Result<Listed> {
        let d = self
            .q(
                "list products",
                "query($o:ProductListOptions){ products(options:$o){ totalItems items{ id slug name description enabled createdAt
                   facetValues{ code facet{ code } }
                   optionGroups{ id name options{ id name } }
                   variants{ id sku price currencyCode stockOnHand trackInventory options{ groupId name } } } } }",
                json!({"o": options}),
            )
            .await?;
        let list = parse::<wire::Products<wire::ProductReply>>("list products", &d)
            .map_err(ConnectorError::Remote)?
            .products;
        let collections = self.collections().await?;
        let precision = self.money().await.map_err(ConnectorError::from)?.precision;
        let records = list
            .items
            .iter()
            .map(|p| Record::Product(product_from(p, &collections, precision)))
            .collect();
        Ok((records, list.total_items))
    }

    async fn read_customers(&self, options: Value) -> Result<Listed> {
        let d = self
            .q(
                "list customers",
                "query($o:CustomerListOptions){ customers(options:$o){ totalItems items{ id emailAddress firstName lastName phoneNumber createdAt
                   addresses{ fullName company streetLine1 streetLine2 city province postalCode country{ code } phoneNumber defaultShippingAddress defaultBillingAddress } } } }",
                json!({"o": options}),
            )
            .await?;
        let list = parse::<wire::Customers<wire::CustomerReply>>("list customers", &d)
            .map_err(ConnectorError::Remote)?
            .customers;
        let records = list
            .items
            .iter()
            .map(|c| Record::Customer(customer_from(c)))
            .collect();
        Ok((records, list.total_items))
    }

    /// One list read with `options`, for any entity the connector reads.
    async fn read_listed(&self, entity: Entity, options: Value) -> Result<Listed> {
        match entity {
            Entity::Categories => self.read_categories(options).await,
            Entity::Products => self.read_products(options).await,
            Entity::Customers => self.read_customers(options).await,
            _ => Ok((Vec::new(), 0)),
        }
    }

    /// The records of `entity` with these ids (at most [`facts::PAGE_LIMIT`]), read by the same
    /// documents and mapping as a page of the list: `filter: { id: { in: [...] } }`.
    /// A record that is not there (deleted, or soft-deleted) is simply not in the answer.
    pub(crate) async fn read_by_ids(&self, entity: Entity, ids: &[String]) -> Result<Vec<Record>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let options =
            json!({"take": ids.len(), "sort": {"id": "ASC"}, "filter": {"id": {"in": ids}}});
        Ok(self.read_listed(entity, options).await?.0)
    }

    /// How many records of `entity` the store holds: `totalItems` of a one-record page (a page
    /// of `take: 0` is not empty on Vendure 3.7: it means "no limit" and returns every record).
    pub(crate) async fn total(&self, entity: Entity) -> Result<Option<u64>> {
        let Some(list) = list_of(entity) else {
            return Ok(None);
        };
        let doc = format!(
            "query($o:{}ListOptions){{ {list}(options:$o){{ totalItems }} }}",
            list_type(list)
        );
        let d = self
            .q("count records", &doc, json!({"o": {"take": 1}}))
            .await?;
        let total: wire::Total =
            parse(&format!("count {list}"), &d[list]).map_err(ConnectorError::Remote)?;
        Ok(Some(total.total_items))
    }

    /// Ids of the records of `entity` changed after `since`, in id order, with the newest
    /// `updatedAt` among them as they were when listed. A product's `updatedAt` does not move
    /// when only a variant changes (its price or stock live on the variant, whose own
    /// `updatedAt` moves), so products are found through both lists.
    async fn changed_ids(
        &self,
        entity: Entity,
        since: &str,
    ) -> Result<(Vec<String>, Option<String>)> {
        let lists: &[(&str, &str, &str)] = match entity {
            Entity::Categories => &[("collections", "CollectionListOptions", "id")],
            Entity::Products => &[
                ("products", "ProductListOptions", "id"),
                ("productVariants", "ProductVariantListOptions", "productId"),
            ],
            Entity::Customers => &[("customers", "CustomerListOptions", "id")],
            _ => &[],
        };
        // (length, id): Vendure's integer ids in their numeric order, any other id by its text.
        let mut ids = std::collections::BTreeSet::new();
        let mut newest: Option<String> = None;
        for (list, options_type, id_field) in lists {
            let doc = format!(
                "query($o:{options_type}){{ {list}(options:$o){{ totalItems items{{ {id_field} updatedAt }} }} }}"
            );
            let mut skip = 0;
            loop {
                let d = self
                    .q(
                        "list changed ids",
                        &doc,
                        json!({"o": list_options(skip, facts::PAGE_LIMIT, Some(since))}),
                    )
                    .await?;
                let page: wire::List<wire::Changed> =
                    parse(&format!("list changed {list}"), &d[*list])
                        .map_err(ConnectorError::Remote)?;
                newest = match (newest, newest_update(&page.items)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                skip += page.items.len();
                let done = page.items.is_empty() || skip as u64 >= page.total_items;
                ids.extend(page.items.into_iter().map(|i| (i.id.len(), i.id)));
                if done {
                    break;
                }
            }
        }
        Ok((ids.into_iter().map(|(_, i)| i).collect(), newest))
    }

    /// A page from `cursor`. With `since`, the ids of what changed are listed first (the
    /// cursor then carries them) and read a page at a time by id: paging the filtered list
    /// itself would skip a record whenever one before it changes during the read.
    async fn changed_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        let take = limit.clamp(1, facts::PAGE_LIMIT);
        if cursor.is_none() {
            // A fresh pass sees categories made since the cache was filled.
            self.cache().collections = None;
        }
        if list_of(entity).is_none() {
            return Ok(ChangedPage::default());
        }
        let Some(since) = since else {
            let skip = cursor.and_then(|c| c["skip"].as_u64()).unwrap_or(0) as usize;
            let (records, total) = self
                .read_listed(entity, list_options(skip, take, None))
                .await?;
            let read = skip + records.len();
            let next =
                (!records.is_empty() && (read as u64) < total).then(|| json!({"skip": read}));
            return Ok(ChangedPage {
                page: SourcePage {
                    records,
                    findings: Vec::new(),
                    next,
                },
                newest: None,
            });
        };
        let listed: Option<Vec<String>> = cursor
            .and_then(|c| c.get("ids"))
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let (ids, at, newest) = match listed {
            Some(ids) => {
                let at = cursor.and_then(|c| c["at"].as_u64()).unwrap_or(0) as usize;
                // The window's newest time was reported with the first page.
                (ids, at, None)
            }
            None => {
                let (ids, newest) = self.changed_ids(entity, since).await?;
                (ids, 0, newest)
            }
        };
        let end = (at + take).min(ids.len());
        let chunk = ids.get(at..end).unwrap_or_default();
        let records = self.read_by_ids(entity, chunk).await?;
        let next = (end < ids.len()).then(|| json!({"ids": ids, "at": end}));
        Ok(ChangedPage {
            page: SourcePage {
                records,
                findings: Vec::new(),
                next,
            },
            newest,
        })
    }
}

/// The admin list query of an entity the connector reads.
fn list_of(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Categories => Some("collections"),
        Entity::Products => Some("products"),
        Entity::Customers => Some("customers"),
        _ => None,
    }
}

/// `collections` → `Collection` (the prefix of its `…ListOptions` input type).
fn list_type(list: &str) -> &'static str {
    match list {
        "collections" => "Collection",
        "products" => "Product",
        "productVariants" => "ProductVariant",
        _ => "Customer",
    }
}

/// A page of records and the total the list has.
type Listed = (Vec<Record>, u64);

/// `ListOptions` for a page by id; with `since`, the `updatedAt` filter (`DateOperators`).
/// Vendure's `after` is strict, so the bound is a millisecond before `since` to keep the
/// records saved at that very time.
fn list_options(skip: usize, take: usize, since: Option<&str>) -> Value {
    let mut o = json!({"skip": skip, "take": take, "sort": {"id": "ASC"}});
    if let Some(t) = since {
        let after = chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| {
                (d.with_timezone(&chrono::Utc) - chrono::Duration::milliseconds(1))
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string()
            })
            .unwrap_or_else(|_| t.to_string());
        o["filter"] = json!({"updatedAt": {"after": after}});
    }
    o
}

/// The newest `updatedAt` (ISO 8601, UTC) among `items`, as RFC 3339 UTC.
fn newest_update(items: &[wire::Changed]) -> Option<String> {
    items
        .iter()
        .filter_map(|i| chrono::DateTime::parse_from_rfc3339(&i.updated_at).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .max()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

#[async_trait::async_trait]
impl Source for Vendure {
    fn platform(&self) -> Platform {
        Platform::Vendure
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

    /// The admin lists' `filter: { updatedAt: { after: … } }` (Vendure's `DateOperators`) on
    /// collections, products (and their variants) and customers; see [`Vendure::changed_ids`].
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

    /// Ids only (`items { id }`), a page at a time by id.
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let (field, doc) = match entity {
            Entity::Categories => ("collections", "query($o:CollectionListOptions){ collections(options:$o){ totalItems items{ id } } }"),
            Entity::Products => ("products", "query($o:ProductListOptions){ products(options:$o){ totalItems items{ id } } }"),
            Entity::Customers => ("customers", "query($o:CustomerListOptions){ customers(options:$o){ totalItems items{ id } } }"),
            _ => return Ok(None),
        };
        let mut out = vec![];
        loop {
            let d = self
                .q(
                    "list ids",
                    doc,
                    json!({"o": list_options(out.len(), facts::PAGE_LIMIT, None)}),
                )
                .await?;
            let page: wire::List<wire::Id> =
                parse(&format!("list {field} ids"), &d[field]).map_err(ConnectorError::Remote)?;
            let done = page.items.is_empty();
            out.extend(page.items.into_iter().map(|i| i.id));
            if done || out.len() as u64 >= page.total_items {
                return Ok(Some(out));
            }
        }
    }

    fn describe(&self) -> String {
        format!("Vendure Admin API ({})", self.session.url())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.session.http().stats())
    }
}

#[async_trait::async_trait]
impl Target for Vendure {
    fn platform(&self) -> Platform {
        Platform::Vendure
    }

    fn accepts(&self, entity: Entity) -> bool {
        facts::LOADS.contains(&entity)
    }

    fn refusal(&self, entity: Entity) -> Option<String> {
        (entity == Entity::Orders).then(|| facts::ORDERS_NOT_IMPORTABLE.to_string())
    }

    fn describe(&self) -> String {
        format!("Vendure Admin API ({})", self.session.url())
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        // Nothing to cut back: every write is an upsert by key, found again by `lookup`.
        self.cache().collections = None;
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
            Entity::Categories => self.find_collection(key).await?,
            // Vendure makes a product in several calls; one found without variants was cut short
            // by a crash, so it is reported missing and the product is written again (the
            // upsert then finds it by slug and completes it).
            Entity::Products => self
                .find_product(key)
                .await?
                .filter(|p| !p.variants.is_empty())
                .map(|p| p.id),
            Entity::Customers => self.find_customer(key).await?.map(|c| c.id),
            _ => None,
        })
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        match entity {
            Entity::Categories => self.delete_collection(target_id).await?,
            Entity::Products => self.delete_product(target_id).await?,
            Entity::Customers => self.delete_customer(target_id).await?,
            _ => {}
        }
        Ok(())
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.session.http().stats())
    }
}

// ---------- mapping between Vendure's JSON and the canonical model ----------

/// A reply's `data` as `T`; a reply that does not match is a failure naming the path.
fn typed<T: serde::de::DeserializeOwned>(what: &str, data: &Value) -> Result<T, GqlError> {
    parse(what, data).map_err(GqlError::Failed)
}

/// Names from the root down, without Vendure's hidden root collection.
fn breadcrumb_path(breadcrumbs: &[wire::Breadcrumb]) -> Vec<String> {
    breadcrumbs
        .iter()
        .filter(|b| b.slug != "__root_collection__" && b.name != "__root_collection__")
        .map(|b| b.name.clone())
        .collect()
}

/// Vendure codes are slugs; they need not be unique, only readable.
fn option_code(s: &str) -> String {
    let code = crate::platform::normalize_handle(Platform::Vendure, s);
    if code.is_empty() {
        format!(
            "o{}",
            blake3::hash(s.as_bytes()).to_hex().get(..8).unwrap_or("x")
        )
    } else {
        code
    }
}

fn variant_input(p: &Product, v: &Variant, money: &MoneyFormat) -> Result<Value, GqlError> {
    let name = if v.option_values.is_empty() {
        p.title.clone()
    } else {
        format!("{} {}", p.title, v.option_values.join(" / "))
    };
    let mut input = json!({
        "sku": v.sku.clone().unwrap_or_default(),
        "enabled": true,
        "translations": [{"languageCode": "en", "name": name}],
        "trackInventory": if v.inventory.is_some() { "TRUE" } else { "FALSE" },
    });
    if let Some(stock) = v.inventory {
        input["stockOnHand"] = json!(stock.max(0));
    }
    if let Some(price) = &v.price {
        let minor = price.minor_units(money.precision).ok_or_else(|| {
            GqlError::Rejected(format!(
                "price {price} of variant {} does not fit in minor units",
                v.sku.as_deref().unwrap_or("?")
            ))
        })?;
        if price.currency.eq_ignore_ascii_case(&money.currency) {
            input["price"] = json!(minor);
        } else {
            input["prices"] =
                json!([{"currencyCode": price.currency.to_ascii_uppercase(), "price": minor}]);
        }
    }
    Ok(input)
}

fn product_from(
    p: &wire::ProductReply,
    collections: &BTreeMap<String, (String, Vec<String>)>,
    precision: u32,
) -> Product {
    let options = p
        .option_groups
        .iter()
        .map(|g| ProductOption {
            name: g.name.clone(),
            values: g.options.iter().map(|o| o.name.clone()).collect(),
        })
        .collect();
    let variants = p
        .variants
        .iter()
        .map(|v| {
            let option_values = p
                .option_groups
                .iter()
                .filter_map(|g| {
                    v.options
                        .iter()
                        .find(|o| o.group_id == g.id)
                        .map(|o| o.name.clone())
                })
                .collect();
            Variant {
                source_id: Some(v.id.clone()),
                sku: Some(v.sku.clone()).filter(|s| !s.is_empty()),
                price: Some(Money::from_minor_units(
                    v.price,
                    precision,
                    v.currency_code.clone(),
                )),
                inventory: (v.track_inventory == wire::GlobalFlag::True).then_some(v.stock_on_hand),
                option_values,
                ..Variant::default()
            }
        })
        .collect();
    let categories = p
        .facet_values
        .iter()
        .filter(|fv| fv.facet.code == CATEGORY_FACET)
        .filter_map(|fv| collections.get(&fv.code).map(|(_, path)| path.clone()))
        .collect();
    Product {
        source: SourceRef::with_url(p.id.clone(), facts::url_path(Entity::Products, &p.slug)),
        handle: p.slug.clone(),
        title: p.name.clone(),
        body_html: p.description.clone(),
        status: if p.enabled {
            ProductStatus::Active
        } else {
            ProductStatus::Draft
        },
        categories,
        options,
        variants,
        created_at: crate::api::time(Some(p.created_at.clone())),
        ..Product::default()
    }
}

fn address_input(a: &Address) -> Value {
    let full_name = [a.first_name.as_deref(), a.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    // Vendure's address columns are NOT NULL ("NOT NULL constraint failed: address.company"):
    // absent parts are sent as empty strings and read back as absent.
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    json!({
        "fullName": full_name,
        "company": text(&a.company),
        "streetLine1": text(&a.address1),
        "streetLine2": text(&a.address2),
        "city": text(&a.city),
        "province": text(&a.province),
        "postalCode": text(&a.zip),
        "countryCode": text(&a.country_code).to_ascii_uppercase(),
        "phoneNumber": text(&a.phone),
        "defaultShippingAddress": a.default,
        "defaultBillingAddress": a.default,
    })
}

fn address_key_of(a: &wire::AddressKey) -> (String, String, String) {
    (
        a.street_line1.clone(),
        a.postal_code.clone().unwrap_or_default(),
        a.country.code.to_ascii_uppercase(),
    )
}

/// `Some` of a text Vendure sent that is not empty.
fn text(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

fn customer_from(c: &wire::CustomerReply) -> Customer {
    let addresses = c
        .addresses
        .iter()
        .flatten()
        .map(|a| {
            // Vendure keeps one "full name"; the first word is taken as the first name.
            let full = a.full_name.clone().unwrap_or_default();
            let mut parts = full.trim().splitn(2, ' ');
            let first = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
            let last = parts
                .next()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            Address {
                first_name: first,
                last_name: last,
                company: text(&a.company),
                address1: Some(a.street_line1.clone()).filter(|s| !s.is_empty()),
                address2: text(&a.street_line2),
                city: text(&a.city),
                province: text(&a.province),
                country_code: Some(a.country.code.clone()),
                zip: text(&a.postal_code),
                phone: text(&a.phone_number),
                default: a.default_shipping_address.unwrap_or(false),
            }
        })
        .collect();
    Customer {
        source: SourceRef::new(c.id.clone()),
        email: c.email_address.clone(),
        first_name: Some(c.first_name.clone()).filter(|s| !s.is_empty()),
        last_name: Some(c.last_name.clone()).filter(|s| !s.is_empty()),
        phone: text(&c.phone_number),
        addresses,
        created_at: crate::api::time(Some(c.created_at.clone())),
        ..Customer::default()
    }
}

#[cfg(test)]
mod changes_tests {
    use super::*;

    #[test]
    fn a_changed_read_filters_updated_at_after_a_millisecond_before_the_window() {
        assert_eq!(
            list_options(20, 10, Some("2026-12-06T07:00:00+02:00")),
            json!({"skip": 20, "take": 10, "sort": {"id": "ASC"},
                   "filter": {"updatedAt": {"after": "2026-12-06T04:59:59.999Z"}}})
        );
        assert_eq!(
            list_options(0, 10, None),
            json!({"skip": 0, "take": 10, "sort": {"id": "ASC"}})
        );
    }

    #[test]
    fn the_newest_update_is_read_in_utc() {
        let items: Vec<wire::Changed> = serde_json::from_value(json!([
            { "id": "1", "updatedAt": "2026-12-06T05:00:00.120Z" },
            { "productId": "2", "updatedAt": "2026-12-06T09:00:00+03:00" }
        ]))
        .expect("changed items");
        assert_eq!(
            newest_update(&items).as_deref(),
            Some("2026-12-06T06:00:00.000Z")
        );
        assert_eq!(newest_update(&[]), None);
    }
}

#[cfg(test)]
mod money_tests {
    use super::*;
    use rust_decimal::Decimal;

    fn yen_product() -> wire::ProductReply {
        serde_json::from_value(json!({
            "id": "1", "slug": "tea", "name": "Tea", "description": "", "enabled": true,
            "createdAt": "2026-12-06T05:00:00.000Z", "facetValues": [], "optionGroups": [],
            "variants": [{"id": "10", "sku": "TEA", "price": 150000, "currencyCode": "JPY",
                          "stockOnHand": 3, "trackInventory": "TRUE", "options": []}]
        }))
        .expect("product reply")
    }

    /// A yen price goes out and comes back at the server's precision: the default strategy
    /// (2) stores ¥1,500 as 150000; a server configured with precision 0 stores 1500.
    #[test]
    fn prices_follow_the_servers_money_precision() {
        let read = product_from(&yen_product(), &BTreeMap::new(), 2);
        let price = read.variants[0].price.clone().expect("price");
        assert_eq!(
            (price.amount, price.currency.as_str()),
            (Decimal::from(1500), "JPY")
        );

        let money = |precision| MoneyFormat {
            currency: "JPY".into(),
            precision,
        };
        let out = variant_input(&read, &read.variants[0], &money(2)).expect("input");
        assert_eq!(out["price"], json!(150000));
        let out = variant_input(&read, &read.variants[0], &money(0)).expect("input");
        assert_eq!(out["price"], json!(1500));
        let back = product_from(&yen_product(), &BTreeMap::new(), 0);
        assert_eq!(
            back.variants[0].price.as_ref().map(|p| p.amount),
            Some(Decimal::from(150000))
        );
    }
}
