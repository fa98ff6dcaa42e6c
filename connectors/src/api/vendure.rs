//! Vendure 3 through its Admin GraphQL API, as a source and as a target.
//!
//! Categories become collections (the tree) each filtering on one value of a `category` facet, and
//! a product's categories become that facet's values on the product: that is how Vendure itself
//! puts products in collections. Prices are integers in minor units of the channel currency;
//! products are matched by slug, variants by SKU, customers by email. Vendure has no import for
//! orders with their history, so orders are refused one by one with the reason.

mod client;
mod verify;

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
use client::{ok_or_error_result, GqlError, Session};
use futures_util::stream::{self, StreamExt};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

#[derive(Default)]
struct Cache {
    currency: Option<String>,
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

    async fn currency(&self) -> Result<String, GqlError> {
        if let Some(c) = self.cache().currency.clone() {
            return Ok(c);
        }
        let d = self
            .q(
                "read the channel",
                "{ activeChannel { defaultCurrencyCode } }",
                json!({}),
            )
            .await?;
        let c = d["activeChannel"]["defaultCurrencyCode"]
            .as_str()
            .unwrap_or("USD")
            .to_string();
        self.cache().currency = Some(c.clone());
        Ok(c)
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
            let items = d["collections"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for c in &items {
                all.insert(str_of(c, "slug"), (str_of(c, "id"), breadcrumb_path(c)));
            }
            skip += items.len();
            if items.is_empty()
                || skip as u64 >= d["collections"]["totalItems"].as_u64().unwrap_or(0)
            {
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
        let id = match d["facets"]["items"].as_array().and_then(|a| a.first()) {
            Some(f) => {
                let mut cache = self.cache();
                for v in f["values"].as_array().into_iter().flatten() {
                    cache
                        .facet_values
                        .insert(str_of(v, "code"), str_of(v, "id"));
                }
                str_of(f, "id")
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
                str_of(&d["createFacet"], "id")
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
        let id = d["createFacetValues"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
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
        Ok(d["collection"]["id"].as_str().map(str::to_string))
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
                let d = match created {
                    Err(GqlError::Ambiguous(m)) => match self.find_collection(&c.handle).await? {
                        Some(id) => json!({"createCollection": {"id": id, "slug": c.handle}}),
                        None => return Err(GqlError::Ambiguous(m)),
                    },
                    other => other?,
                };
                let id = str_of(&d["createCollection"], "id");
                let slug = str_of(&d["createCollection"], "slug");
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
        let Some(coll) = d["collection"].as_object() else {
            return Ok(());
        };
        let values: Vec<String> = coll["filters"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f["args"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["name"] == "facetValueIds")
            .filter_map(|a| {
                serde_json::from_str::<Vec<String>>(a["value"].as_str().unwrap_or("[]")).ok()
            })
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
            if d["facet"]["values"]
                .as_array()
                .is_some_and(|v| v.is_empty())
            {
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

    async fn find_product(&self, slug: &str) -> Result<Option<Value>, GqlError> {
        let d = self
            .q(
                "find a product",
                "query($s:String){ product(slug:$s){ id slug optionGroups{ id name options{ id name } } variants{ id sku } } }",
                json!({"s": slug}),
            )
            .await?;
        Ok(d["product"].as_object().map(|_| d["product"].clone()))
    }

    async fn upsert_product(&self, p: &Product) -> Result<WriteOutcome, GqlError> {
        let values = match self.category_values(&p.categories).await {
            Ok(v) => v,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        let currency = self.currency().await?;
        let translation = json!({"languageCode": "en", "name": p.title, "slug": p.handle, "description": p.body_html});
        let enabled = p.status == ProductStatus::Active;
        match self.find_product(&p.handle).await? {
            Some(existing) => {
                let id = str_of(&existing, "id");
                self.m(
                    "update a product",
                    "mutation($i:UpdateProductInput!){ updateProduct(input:$i){ id } }",
                    json!({"i": {"id": id, "enabled": enabled, "translations": [translation], "facetValueIds": values}}),
                )
                .await?;
                match self.sync_variants(p, &existing, &currency).await {
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
                    other => other?["createProduct"].clone(),
                };
                let id = str_of(&product, "id");
                let slug = str_of(&product, "slug");
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
                let fresh = if product.get("variants").is_some() {
                    product
                } else {
                    json!({"id": id, "optionGroups": [], "variants": []})
                };
                match self.sync_variants(p, &fresh, &currency).await {
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
        existing: &Value,
        currency: &str,
    ) -> Result<(), GqlError> {
        let product_id = str_of(existing, "id");
        // option name → value name → option id
        let mut groups: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
        for g in existing["optionGroups"].as_array().into_iter().flatten() {
            let opts = g["options"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| (str_of(o, "name"), str_of(o, "id")))
                .collect();
            groups.insert(str_of(g, "name"), (str_of(g, "id"), opts));
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
                    let g = &d["createProductOptionGroup"];
                    let gid = str_of(g, "id");
                    self.m(
                        "add an option group to a product",
                        "mutation($p:ID!,$g:ID!){ addOptionGroupToProduct(productId:$p, optionGroupId:$g){ id } }",
                        json!({"p": product_id, "g": gid}),
                    )
                    .await?;
                    let opts = g["options"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| (str_of(o, "name"), str_of(o, "id")))
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
                        opts.insert(v.clone(), str_of(&d["createProductOption"], "id"));
                    }
                }
            }
        }
        let by_sku: BTreeMap<String, String> = existing["variants"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| (str_of(v, "sku"), str_of(v, "id")))
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
            let mut input = variant_input(p, v, currency)?;
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
        if d["product"].is_null() {
            return Ok(());
        }
        let groups: Vec<String> = d["product"]["optionGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| str_of(g, "id"))
            .collect();
        let r = self
            .m(
                "delete a product",
                "mutation($id:ID!){ deleteProduct(id:$id){ result message } }",
                json!({"id": id}),
            )
            .await?;
        if r["deleteProduct"]["result"] != "DELETED" {
            let msg = r["deleteProduct"]["message"]
                .as_str()
                .unwrap_or("not deleted");
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

    async fn find_customer(&self, email: &str) -> Result<Option<Value>, GqlError> {
        // SQLite compares with `=` case-sensitively; `contains` (LIKE) does not, then exact match here.
        let d = self
            .q(
                "find a customer",
                "query($o:CustomerListOptions){ customers(options:$o){ items{ id emailAddress addresses{ streetLine1 postalCode country{ code } } } } }",
                json!({"o": {"filter": {"emailAddress": {"contains": email}}, "take": 50}}),
            )
            .await?;
        Ok(d["customers"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| {
                c["emailAddress"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .cloned())
    }

    async fn upsert_customer(&self, c: &Customer) -> Result<WriteOutcome, GqlError> {
        let base = json!({
            "firstName": c.first_name.clone().unwrap_or_default(),
            "lastName": c.last_name.clone().unwrap_or_default(),
            "phoneNumber": c.phone,
        });
        let (id, created, known) = match self.find_customer(&c.email).await? {
            Some(found) => {
                let id = str_of(&found, "id");
                let mut input = base.clone();
                input["id"] = json!(id);
                let d = self
                    .m(
                        "update a customer",
                        "mutation($i:UpdateCustomerInput!){ updateCustomer(input:$i){ __typename ... on ErrorResult{ errorCode message } } }",
                        json!({"i": input}),
                    )
                    .await?;
                if let Err(GqlError::Rejected(message)) =
                    ok_or_error_result("update a customer", &d["updateCustomer"])
                {
                    return Ok(WriteOutcome::Failed { message });
                }
                let known: Vec<(String, String, String)> = found["addresses"]
                    .as_array()
                    .into_iter()
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
                let d = match created {
                    Err(GqlError::Ambiguous(m)) => match self.find_customer(&c.email).await? {
                        Some(found) => json!({"createCustomer": found}),
                        None => return Err(GqlError::Ambiguous(m)),
                    },
                    Err(GqlError::Rejected(message)) => {
                        return Ok(WriteOutcome::Failed { message })
                    }
                    other => other?,
                };
                if let Err(GqlError::Rejected(message)) =
                    ok_or_error_result("create a customer", &d["createCustomer"])
                {
                    return Ok(WriteOutcome::Failed { message });
                }
                (str_of(&d["createCustomer"], "id"), true, Vec::new())
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
        if d["customer"].is_null() {
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
                "query($o:CollectionListOptions){ collections(options:$o){ totalItems items{ id slug name description position updatedAt breadcrumbs{ name slug } } } }",
                json!({"o": options}),
            )
            .await?;
        let records = d["collections"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                Record::Category(Category {
                    source: SourceRef::with_url(
                        str_of(c, "id"),
                        facts::url_path(Entity::Categories, &str_of(c, "slug")),
                    ),
                    handle: str_of(c, "slug"),
                    path: breadcrumb_path(c),
                    description_html: str_of(c, "description"),
                    position: c["position"].as_i64(),
                    ..Category::default()
                })
            })
            .collect();
        Ok((
            records,
            d["collections"]["totalItems"].as_u64().unwrap_or(0),
            newest_update(&d["collections"]["items"]),
        ))
    }

    async fn read_products(&self, options: Value) -> Result<Listed> {
        let d = self
            .q(
                "list products",
                "query($o:ProductListOptions){ products(options:$o){ totalItems items{ id slug name description enabled createdAt updatedAt
                   facetValues{ code facet{ code } }
                   optionGroups{ id name options{ id name } }
                   variants{ id sku price currencyCode stockOnHand trackInventory options{ id groupId name } } } } }",
                json!({"o": options}),
            )
            .await?;
        let collections = self.collections().await?;
        let records = d["products"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Record::Product(product_from(p, &collections)))
            .collect();
        Ok((
            records,
            d["products"]["totalItems"].as_u64().unwrap_or(0),
            newest_update(&d["products"]["items"]),
        ))
    }

    async fn read_customers(&self, options: Value) -> Result<Listed> {
        let d = self
            .q(
                "list customers",
                "query($o:CustomerListOptions){ customers(options:$o){ totalItems items{ id emailAddress firstName lastName phoneNumber createdAt updatedAt
                   addresses{ fullName company streetLine1 streetLine2 city province postalCode country{ code } phoneNumber defaultShippingAddress defaultBillingAddress } } } }",
                json!({"o": options}),
            )
            .await?;
        let records = d["customers"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| Record::Customer(customer_from(c)))
            .collect();
        Ok((
            records,
            d["customers"]["totalItems"].as_u64().unwrap_or(0),
            newest_update(&d["customers"]["items"]),
        ))
    }

    /// One list read with `options`, for any entity the connector reads.
    async fn read_listed(&self, entity: Entity, options: Value) -> Result<Listed> {
        match entity {
            Entity::Categories => self.read_categories(options).await,
            Entity::Products => self.read_products(options).await,
            Entity::Customers => self.read_customers(options).await,
            _ => Ok((Vec::new(), 0, None)),
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
        let total = d[list]["totalItems"].as_u64().ok_or_else(|| {
            ConnectorError::Remote(format!(
                "Vendure {list}: the reply has no `{list}.totalItems`"
            ))
        })?;
        Ok(Some(total))
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
                let items = d[*list]["items"].as_array().cloned().unwrap_or_default();
                newest = match (newest, newest_update(&d[*list]["items"])) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                ids.extend(
                    items
                        .iter()
                        .map(|i| str_of(i, id_field))
                        .filter(|i| !i.is_empty())
                        .map(|i| (i.len(), i)),
                );
                skip += items.len();
                if items.is_empty() || skip as u64 >= d[*list]["totalItems"].as_u64().unwrap_or(0) {
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
            let (records, total, newest) = self
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
                newest,
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

/// A page of records, the total the list has, and the newest `updatedAt` among the page's.
type Listed = (Vec<Record>, u64, Option<String>);

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
fn newest_update(items: &Value) -> Option<String> {
    items
        .as_array()?
        .iter()
        .filter_map(|i| i["updatedAt"].as_str())
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
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
    /// collections, products and customers.
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
            let items = d[field]["items"].as_array().cloned().unwrap_or_default();
            out.extend(items.iter().map(|i| str_of(i, "id")));
            if items.is_empty() || out.len() as u64 >= d[field]["totalItems"].as_u64().unwrap_or(0)
            {
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
                .filter(|p| p["variants"].as_array().is_some_and(|v| !v.is_empty()))
                .map(|p| str_of(&p, "id")),
            Entity::Customers => self.find_customer(key).await?.map(|c| str_of(&c, "id")),
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

fn str_of(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Names from the root down, without Vendure's hidden root collection.
fn breadcrumb_path(c: &Value) -> Vec<String> {
    c["breadcrumbs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["slug"] != "__root_collection__" && b["name"] != "__root_collection__")
        .map(|b| str_of(b, "name"))
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

fn variant_input(p: &Product, v: &Variant, channel_currency: &str) -> Result<Value, GqlError> {
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
        let minor = price.minor_units().ok_or_else(|| {
            GqlError::Rejected(format!(
                "price {price} of variant {} does not fit in minor units",
                v.sku.as_deref().unwrap_or("?")
            ))
        })?;
        if price.currency.eq_ignore_ascii_case(channel_currency) {
            input["price"] = json!(minor);
        } else {
            input["prices"] =
                json!([{"currencyCode": price.currency.to_ascii_uppercase(), "price": minor}]);
        }
    }
    Ok(input)
}

fn product_from(p: &Value, collections: &BTreeMap<String, (String, Vec<String>)>) -> Product {
    let groups: Vec<&Value> = p["optionGroups"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let options = groups
        .iter()
        .map(|g| ProductOption {
            name: str_of(g, "name"),
            values: g["options"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| str_of(o, "name"))
                .collect(),
        })
        .collect();
    let variants = p["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let option_values = groups
                .iter()
                .filter_map(|g| {
                    v["options"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|o| str_of(o, "groupId") == str_of(g, "id"))
                        .map(|o| str_of(o, "name"))
                })
                .collect();
            let price = v["price"]
                .as_i64()
                .map(|minor| Money::new(Decimal::new(minor, 2), str_of(v, "currencyCode")));
            Variant {
                source_id: Some(str_of(v, "id")),
                sku: opt_str(v, "sku"),
                price,
                inventory: (v["trackInventory"] == "TRUE")
                    .then(|| v["stockOnHand"].as_i64().unwrap_or(0)),
                option_values,
                ..Variant::default()
            }
        })
        .collect();
    let categories = p["facetValues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|fv| fv["facet"]["code"] == CATEGORY_FACET)
        .filter_map(|fv| {
            collections
                .get(&str_of(fv, "code"))
                .map(|(_, path)| path.clone())
        })
        .collect();
    let slug = str_of(p, "slug");
    Product {
        source: SourceRef::with_url(str_of(p, "id"), facts::url_path(Entity::Products, &slug)),
        handle: slug,
        title: str_of(p, "name"),
        body_html: str_of(p, "description"),
        status: if p["enabled"].as_bool().unwrap_or(true) {
            ProductStatus::Active
        } else {
            ProductStatus::Draft
        },
        categories,
        options,
        variants,
        created_at: crate::api::time(opt_str(p, "createdAt")),
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

fn address_key_of(a: &Value) -> (String, String, String) {
    (
        str_of(a, "streetLine1"),
        str_of(a, "postalCode"),
        str_of(&a["country"], "code").to_ascii_uppercase(),
    )
}

fn customer_from(c: &Value) -> Customer {
    let addresses = c["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            // Vendure keeps one "full name"; the first word is taken as the first name.
            let full = str_of(a, "fullName");
            let mut parts = full.trim().splitn(2, ' ');
            let first = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
            let last = parts
                .next()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            Address {
                first_name: first,
                last_name: last,
                company: opt_str(a, "company"),
                address1: opt_str(a, "streetLine1"),
                address2: opt_str(a, "streetLine2"),
                city: opt_str(a, "city"),
                province: opt_str(a, "province"),
                country_code: a["country"]["code"].as_str().map(str::to_string),
                zip: opt_str(a, "postalCode"),
                phone: opt_str(a, "phoneNumber"),
                default: a["defaultShippingAddress"].as_bool().unwrap_or(false),
            }
        })
        .collect();
    Customer {
        source: SourceRef::new(str_of(c, "id")),
        email: str_of(c, "emailAddress"),
        first_name: opt_str(c, "firstName"),
        last_name: opt_str(c, "lastName"),
        phone: opt_str(c, "phoneNumber"),
        addresses,
        created_at: crate::api::time(opt_str(c, "createdAt")),
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
        let items = json!([
            { "updatedAt": "2026-12-06T05:00:00.120Z" },
            { "updatedAt": "2026-12-06T09:00:00+03:00" },
            { "id": "1" }
        ]);
        assert_eq!(
            newest_update(&items).as_deref(),
            Some("2026-12-06T06:00:00.000Z")
        );
        assert_eq!(newest_update(&json!([])), None);
    }
}
