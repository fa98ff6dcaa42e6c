//! BigCommerce as a target. Every write is an upsert by a key the API can filter on, as its
//! documents define the filters: a product without options by its main SKU
//! (`GET /catalog/products?sku:in=`, which matches main SKUs only), a product with options by
//! a variant SKU (`GET /catalog/variants?sku=`), a product without any SKU by its unique name,
//! a customer by email, a category by its name under the same parent (see [`super::categories`]).
//! Every page of a look-up is read. A product's category paths are created in the tree (parents
//! first) when the store lacks them, and sent as ids with the product.

use super::categories::{self, CategoryTree};
use super::wire::{
    parse, AddressBody, Collection, CustomFieldBody, CustomFieldReply, CustomerBody, CustomerKey,
    ImageBody, OptionValueBody, ProductBody, ProductKey, ProductUrl, Single, UrlBody, VariantBody,
    VariantKey,
};
use super::{error_text, BigCommerceClient};
use crate::api::http::{CallError, Reply, Safety};
use crate::connector::{ApiStats, ConnectorError, Result, Target, WriteOutcome};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::bigcommerce::{
    self as facts, MAX_BATCH, MAX_CUSTOM_FIELDS, MAX_CUSTOM_FIELD_LEN, MAX_NAME_LEN, MAX_SKU_LEN,
    SKU_FILTER_CHUNK,
};
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct BigCommerceTarget {
    client: BigCommerceClient,
    /// The default channel's category tree, read whole once and kept up to date by the
    /// target's own writes.
    tree: Option<CategoryTree>,
    findings: Vec<Finding>,
}

/// How a product is found again in the store.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    /// The main SKU of a product without options.
    MainSku(String),
    /// The first SKU among the variants of a product with options.
    VariantSku(String),
    /// Neither has a SKU: product names are unique in a BigCommerce store.
    Name(String),
}

fn some(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn key_of(p: &Product) -> Key {
    if p.options.is_empty() {
        if let Some(sku) = p.variants.first().and_then(|v| some(v.sku.as_ref())) {
            return Key::MainSku(sku);
        }
    } else if let Some(sku) = p.variants.iter().find_map(|v| some(v.sku.as_ref())) {
        return Key::VariantSku(sku);
    }
    Key::Name(p.title.trim().to_string())
}

/// The custom fields a product is sent, and why any of its custom-field attributes are not:
/// BigCommerce takes 200 a product, a name and a value of 250 characters each.
fn custom_fields_of(p: &Product) -> (Vec<CustomFieldBody>, Vec<String>) {
    let mut out = vec![];
    let mut left = vec![];
    for (name, value) in facts::custom_fields(&p.attributes) {
        let long = |s: &str| s.chars().count() > MAX_CUSTOM_FIELD_LEN;
        if long(name) || long(value) {
            left.push(format!(
                "custom field \"{}\" not carried: BigCommerce takes names and values of {MAX_CUSTOM_FIELD_LEN} characters at most ({} and {})",
                name.chars().take(40).collect::<String>(),
                name.chars().count(),
                value.chars().count()
            ));
        } else if out.len() == MAX_CUSTOM_FIELDS {
            left.push(format!(
                "custom field \"{name}\" not carried: BigCommerce takes {MAX_CUSTOM_FIELDS} custom fields a product"
            ));
        } else {
            out.push(CustomFieldBody {
                id: None,
                name: name.to_string(),
                value: value.to_string(),
            });
        }
    }
    (out, left)
}

/// What a batch update sends for a product's custom fields, given the fields it has: a field
/// whose name it has is changed in place (by its id) when its value differs, a new name is
/// added, one it has already is left out. Fields the store has that the source lacks stay (they
/// may be the merchant's own, made in the new store).
fn custom_field_changes(
    wanted: Vec<CustomFieldBody>,
    existing: &[CustomFieldReply],
) -> Vec<CustomFieldBody> {
    let mut used: Vec<u64> = vec![];
    wanted
        .into_iter()
        .filter_map(|mut f| {
            let same = existing
                .iter()
                .find(|e| e.name == f.name && !used.contains(&e.id));
            match same {
                Some(e) => {
                    used.push(e.id);
                    if e.value == f.value {
                        return None;
                    }
                    f.id = Some(e.id);
                    Some(f)
                }
                None => Some(f),
            }
        })
        .collect()
}

/// What BigCommerce would refuse about a product, said before anything is sent.
fn refusal(p: &Product) -> Option<String> {
    let name = p.title.trim();
    if name.is_empty() {
        return Some("the product has no name; BigCommerce requires one (product `name`)".into());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Some(format!(
            "the product name is {} characters; BigCommerce takes at most {MAX_NAME_LEN}: shorten it in the source",
            name.chars().count()
        ));
    }
    for v in &p.variants {
        if let Some(sku) = some(v.sku.as_ref()) {
            if sku.chars().count() > MAX_SKU_LEN {
                return Some(format!(
                    "SKU {sku:?} is {} characters; BigCommerce takes at most {MAX_SKU_LEN}: shorten it in the source",
                    sku.chars().count()
                ));
            }
        }
    }
    if let Some(why) = p
        .categories
        .iter()
        .find_map(|c| categories::path_refusal(c))
    {
        return Some(why);
    }
    if p.variants.first().and_then(|v| v.price.as_ref()).is_none() {
        return Some(
            "the product has no price; BigCommerce requires one (product `price`): decide the missing-price finding"
                .into(),
        );
    }
    None
}

impl BigCommerceTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceTarget {
            client: BigCommerceClient::open(spec)?,
            tree: None,
            findings: vec![],
        })
    }

    fn weight(&self, v: Option<&Variant>) -> Option<Decimal> {
        v.and_then(|v| v.weight)
            .map(|w| w.to_unit(self.client.weight_unit).value)
    }

    /// `(price, sale price)`: a compare-at price above the price makes the price a sale.
    fn price_of(v: Option<&Variant>) -> (Option<Decimal>, Option<Decimal>) {
        let price = v.and_then(|v| v.price.as_ref()).map(|m| m.amount);
        let compare = v
            .and_then(|v| v.compare_at_price.as_ref())
            .map(|m| m.amount);
        match (price, compare) {
            (Some(p), Some(c)) if c > p => (Some(c), Some(p)),
            (p, _) => (p, None),
        }
    }

    async fn tree(&mut self) -> Result<&mut CategoryTree> {
        if self.tree.is_none() {
            self.tree = Some(self.client.category_tree().await?);
        }
        Ok(self.tree.get_or_insert_with(Default::default))
    }

    /// The ids of a product's category paths, creating the paths the tree lacks.
    /// `Ok(Err(message))`: BigCommerce refused one of them.
    async fn category_ids(&mut self, p: &Product) -> Result<std::result::Result<Vec<u64>, String>> {
        let mut ids = vec![];
        if p.categories.is_empty() {
            return Ok(Ok(ids));
        }
        self.tree().await?;
        let Some(tree) = self.tree.as_mut() else {
            return Ok(Ok(ids));
        };
        for path in &p.categories {
            match self.client.ensure_path(tree, path, None).await? {
                Ok(id) if !ids.contains(&id) => ids.push(id),
                Ok(_) => {}
                Err(why) => return Ok(Err(why)),
            }
        }
        Ok(Ok(ids))
    }

    async fn write_categories(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        self.tree().await?;
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let Record::Category(c) = r else {
                return Err(ConnectorError::Input(format!(
                    "a categories batch holds a {} record ({})",
                    r.entity(),
                    r.label()
                )));
            };
            let Some(tree) = self.tree.as_mut() else {
                break;
            };
            out.push(self.client.write_category(tree, c).await?);
        }
        Ok(out)
    }

    fn product_body(&self, p: &Product) -> ProductBody {
        let base = p.variants.first();
        let (price, sale) = Self::price_of(base);
        let simple = p.options.is_empty();
        let tracked = if simple {
            base.is_some_and(|v| v.inventory.is_some())
        } else {
            p.variants.iter().any(|v| v.inventory.is_some())
        };
        ProductBody {
            id: None,
            name: p.title.trim().to_string(),
            kind: crate::platform::bigcommerce::product_type(&p.variants),
            sku: if simple {
                base.and_then(|v| some(v.sku.as_ref()))
            } else {
                None
            },
            description: p.body_html.clone(),
            weight: self.weight(base).unwrap_or_default(),
            price: price.unwrap_or_default(),
            sale_price: sale,
            cost_price: base.and_then(|v| v.cost.as_ref()).map(|m| m.amount),
            is_visible: p.status == ProductStatus::Active,
            inventory_tracking: match (tracked, simple) {
                (false, _) => "none",
                (true, true) => "product",
                (true, false) => "variant",
            },
            inventory_level: if simple {
                base.and_then(|v| v.inventory).map(|i| i.max(0))
            } else {
                None
            },
            // A product with options keeps its barcodes on the variants.
            upc: if simple {
                base.and_then(|v| some(v.barcode.as_ref()))
            } else {
                None
            },
            brand_name: some(p.vendor.as_ref()),
            custom_url: UrlBody {
                url: format!("/{}/", p.handle),
                is_customized: true,
            },
            page_title: some(p.seo.title.as_ref()),
            meta_description: some(p.seo.description.as_ref()),
            images: p
                .images
                .iter()
                .filter(|im| !im.src.trim().is_empty())
                .enumerate()
                .map(|(i, im)| ImageBody {
                    image_url: im.src.clone(),
                    is_thumbnail: i == 0,
                    description: some(im.alt.as_ref()),
                    sort_order: i as u32,
                })
                .collect(),
            variants: if simple {
                vec![]
            } else {
                p.variants
                    .iter()
                    .map(|v| {
                        let (price, sale) = Self::price_of(Some(v));
                        VariantBody {
                            sku: some(v.sku.as_ref()),
                            price,
                            sale_price: sale,
                            cost_price: v.cost.as_ref().map(|m| m.amount),
                            weight: self.weight(Some(v)),
                            inventory_level: v.inventory.map(|i| i.max(0)),
                            upc: some(v.barcode.as_ref()),
                            image_url: some(v.image.as_ref()),
                            option_values: p
                                .options
                                .iter()
                                .zip(&v.option_values)
                                .map(|(o, val)| OptionValueBody {
                                    option_display_name: o.name.clone(),
                                    label: val.clone(),
                                })
                                .collect(),
                        }
                    })
                    .collect()
            },
            categories: vec![],
            is_free_shipping: false,
            custom_fields: custom_fields_of(p).0,
        }
    }

    /// The custom fields the store already has on `ids`, by product id.
    async fn custom_fields_in_store(
        &self,
        ids: &[u64],
    ) -> Result<BTreeMap<u64, Vec<CustomFieldReply>>> {
        #[derive(serde::Deserialize)]
        struct WithFields {
            id: u64,
            #[serde(default)]
            custom_fields: Vec<CustomFieldReply>,
        }
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        let found: Vec<WithFields> = self
            .client
            .get_all(
                "/catalog/products",
                &[
                    ("id:in", list.join(",")),
                    ("include", "custom_fields".into()),
                    ("include_fields", "name".into()),
                ],
            )
            .await?;
        Ok(found.into_iter().map(|p| (p.id, p.custom_fields)).collect())
    }

    fn json(body: &impl serde::Serialize) -> Result<Value> {
        serde_json::to_value(body)
            .map_err(|e| ConnectorError::Input(format!("cannot write a BigCommerce request: {e}")))
    }

    /// Products without options, by main SKU, a chunk of SKUs per request.
    async fn ids_by_main_sku(&self, skus: &[String]) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for chunk in skus.chunks(SKU_FILTER_CHUNK) {
            let found: Vec<ProductKey> = self
                .client
                .get_all(
                    "/catalog/products",
                    &[
                        ("sku:in", chunk.join(",")),
                        ("include_fields", "sku".into()),
                    ],
                )
                .await?;
            for p in found {
                if let Some(sku) = p.sku.filter(|s| chunk.contains(s)) {
                    out.insert(sku, p.id);
                }
            }
        }
        Ok(out)
    }

    /// One product by a key other than a main SKU.
    async fn find(&self, key: &Key) -> Result<Option<u64>> {
        match key {
            Key::MainSku(sku) => Ok(self
                .ids_by_main_sku(std::slice::from_ref(sku))
                .await?
                .get(sku)
                .copied()),
            Key::VariantSku(sku) => {
                let found: Vec<VariantKey> = self
                    .client
                    .get_all("/catalog/variants", &[("sku", sku.clone())])
                    .await?;
                Ok(found
                    .into_iter()
                    .find(|v| v.sku.as_deref() == Some(sku.as_str()))
                    .map(|v| v.product_id))
            }
            Key::Name(name) => {
                let found: Vec<ProductKey> = self
                    .client
                    .get_all(
                        "/catalog/products",
                        &[("name", name.clone()), ("include_fields", "name".into())],
                    )
                    .await?;
                Ok(found
                    .into_iter()
                    .find(|p| p.name.as_deref() == Some(name.as_str()))
                    .map(|p| p.id))
            }
        }
    }

    async fn write_products(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut products = vec![];
        for r in batch {
            match r {
                Record::Product(p) => products.push(p),
                other => {
                    return Err(ConnectorError::Input(format!(
                        "a products batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            }
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; products.len()];
        for (i, p) in products.iter().enumerate() {
            if let Some(message) = refusal(p) {
                out[i] = Some(WriteOutcome::Failed { message });
                continue;
            }
            for why in custom_fields_of(p).1 {
                self.findings.push(
                    Finding::new(Severity::Warning, "custom_field_not_carried", why).about(
                        RecordRef {
                            entity: Entity::Products,
                            source_id: p.source.id.clone(),
                            label: p.title.clone(),
                        },
                    ),
                );
            }
        }
        let mut category_ids: Vec<Vec<u64>> = vec![vec![]; products.len()];
        for (i, p) in products.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            match self.category_ids(p).await? {
                Ok(ids) => category_ids[i] = ids,
                Err(message) => out[i] = Some(WriteOutcome::Failed { message }),
            }
        }
        let keys: Vec<Key> = products.iter().map(|p| key_of(p)).collect();
        let main: Vec<String> = keys
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .filter_map(|(k, _)| match k {
                Key::MainSku(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let by_sku = self.ids_by_main_sku(&main).await?;
        let mut updates = vec![];
        for (i, p) in products.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            let existing = match &keys[i] {
                Key::MainSku(s) => by_sku.get(s).copied(),
                other => self.find(other).await?,
            };
            match existing {
                Some(id) => updates.push((i, id)),
                None => out[i] = Some(self.create_product(p, &keys[i], &category_ids[i]).await?),
            }
        }
        for chunk in updates.chunks(MAX_BATCH) {
            let mut body: Vec<ProductBody> = chunk
                .iter()
                .map(|(i, id)| {
                    let mut b = self.product_body(products[*i]);
                    b.id = Some(*id);
                    b.categories = category_ids[*i].clone();
                    // Variants and images are created with the product; a batch update
                    // carries the product's own fields.
                    b.variants.clear();
                    b.images.clear();
                    b
                })
                .collect();
            // Custom fields without an id are added again: the update names the ones the
            // store has (one read for the chunk, only when a product has any to send).
            if body.iter().any(|b| !b.custom_fields.is_empty()) {
                let ids: Vec<u64> = chunk.iter().map(|(_, id)| *id).collect();
                let mut existing = self.custom_fields_in_store(&ids).await?;
                for b in &mut body {
                    let have = b.id.and_then(|id| existing.remove(&id)).unwrap_or_default();
                    b.custom_fields =
                        custom_field_changes(std::mem::take(&mut b.custom_fields), &have);
                }
            }
            let reply = self.put_products(&body).await?;
            if reply.status.is_success() {
                for (i, id) in chunk {
                    out[*i] = Some(WriteOutcome::Updated {
                        target_id: id.to_string(),
                    });
                }
            } else if chunk.len() == 1 {
                out[chunk[0].0] = Some(WriteOutcome::Failed {
                    message: error_text(&reply),
                });
            } else {
                // BigCommerce refuses a batch whole; one product at a time finds the bad one.
                for ((i, id), b) in chunk.iter().zip(&body) {
                    let r = self.put_products(std::slice::from_ref(b)).await?;
                    out[*i] = Some(if r.status.is_success() {
                        WriteOutcome::Updated {
                            target_id: id.to_string(),
                        }
                    } else {
                        WriteOutcome::Failed {
                            message: error_text(&r),
                        }
                    });
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not written".into(),
                })
            })
            .collect())
    }

    async fn put_products(&self, body: &[ProductBody]) -> Result<Reply> {
        let json = Self::json(&body)?;
        Ok(self
            .client
            .call(
                reqwest::Method::PUT,
                "/catalog/products",
                &[],
                Some(&json),
                Safety::Idempotent,
            )
            .await?)
    }

    /// One POST per product; after an ambiguous failure the product is looked up before any
    /// second POST, so it is never created twice.
    async fn create_product(
        &self,
        p: &Product,
        key: &Key,
        categories: &[u64],
    ) -> Result<WriteOutcome> {
        let mut body = self.product_body(p);
        body.categories = categories.to_vec();
        let body = Self::json(&body)?;
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.find(key).await? {
                    return Ok(WriteOutcome::Created {
                        target_id: id.to_string(),
                    });
                }
            }
            match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/catalog/products",
                    &[],
                    Some(&body),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) if r.status.is_success() => {
                    return match parse::<Single<ProductKey>>("POST /catalog/products", &r.body) {
                        Ok(one) => Ok(WriteOutcome::Created {
                            target_id: one.data.id.to_string(),
                        }),
                        // Created, but the reply does not say as what: find it.
                        Err(e) => match self.find(key).await? {
                            Some(id) => Ok(WriteOutcome::Created {
                                target_id: id.to_string(),
                            }),
                            None => Err(ConnectorError::Remote(e)),
                        },
                    };
                }
                Ok(r) => {
                    return Ok(WriteOutcome::Failed {
                        message: error_text(&r),
                    })
                }
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "BigCommerce did not confirm the product after repeated attempts".into(),
        })
    }

    /// The customer as BigCommerce takes it, or why it cannot. Addresses lacking what the API
    /// requires of one (street, city, country) are left out rather than sent empty.
    fn customer_body(c: &Customer) -> std::result::Result<CustomerBody, String> {
        let first = some(c.first_name.as_ref());
        let last = some(c.last_name.as_ref());
        let (Some(first), Some(last)) = (first, last) else {
            let missing = match (some(c.first_name.as_ref()), some(c.last_name.as_ref())) {
                (None, None) => "first or last name",
                (None, _) => "first name",
                _ => "last name",
            };
            return Err(format!(
                "customer {} has no {missing}; BigCommerce requires first_name and last_name: add them in the source or leave the customer out",
                c.email
            ));
        };
        let addresses: Vec<AddressBody> = c
            .addresses
            .iter()
            .filter_map(|a| {
                let street = some(a.address1.as_ref())?;
                let city = some(a.city.as_ref())?;
                let country = some(a.country_code.as_ref())?;
                Some(AddressBody {
                    first_name: some(a.first_name.as_ref()).unwrap_or_else(|| first.clone()),
                    last_name: some(a.last_name.as_ref()).unwrap_or_else(|| last.clone()),
                    address1: street,
                    city,
                    country_code: country,
                    company: some(a.company.as_ref()),
                    address2: some(a.address2.as_ref()),
                    state_or_province: some(a.province.as_ref()),
                    postal_code: some(a.zip.as_ref()),
                    phone: some(a.phone.as_ref()),
                })
            })
            .collect();
        if addresses.len() < c.addresses.len() {
            tracing::warn!(
                customer = %c.email,
                left_out = c.addresses.len() - addresses.len(),
                "addresses without street, city or country are left out: BigCommerce requires them"
            );
        }
        Ok(CustomerBody {
            id: None,
            email: Some(c.email.trim().to_string()),
            first_name: first,
            last_name: last,
            phone: some(c.phone.as_ref()),
            company: None,
            notes: some(c.note.as_ref()),
            addresses: Some(addresses).filter(|a| !a.is_empty()),
        })
    }

    async fn customer_ids(&self, emails: &[String]) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for chunk in emails.chunks(SKU_FILTER_CHUNK) {
            let found: Vec<CustomerKey> = self
                .client
                .get_all("/customers", &[("email:in", chunk.join(","))])
                .await?;
            for c in found {
                out.insert(c.email.to_ascii_lowercase(), c.id);
            }
        }
        Ok(out)
    }

    async fn write_customers(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut customers = vec![];
        for r in batch {
            match r {
                Record::Customer(c) => customers.push(c),
                other => {
                    return Err(ConnectorError::Input(format!(
                        "a customers batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            }
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; customers.len()];
        let mut bodies: Vec<Option<CustomerBody>> = vec![];
        for (i, c) in customers.iter().enumerate() {
            match Self::customer_body(c) {
                Ok(b) => bodies.push(Some(b)),
                Err(message) => {
                    out[i] = Some(WriteOutcome::Failed { message });
                    bodies.push(None);
                }
            }
        }
        let email = |i: usize| customers[i].email.trim().to_ascii_lowercase();
        let sendable: Vec<usize> = (0..customers.len())
            .filter(|i| bodies[*i].is_some())
            .collect();
        for idx in sendable.chunks(MAX_BATCH) {
            let emails: Vec<String> = idx.iter().map(|i| email(*i)).collect();
            let before = self.customer_ids(&emails).await?;
            let (upd, new): (Vec<usize>, Vec<usize>) =
                idx.iter().partition(|i| before.contains_key(&email(**i)));
            if !upd.is_empty() {
                let body: Vec<CustomerBody> = upd
                    .iter()
                    .filter_map(|i| {
                        let mut b = bodies[*i].clone()?;
                        b.id = before.get(&email(*i)).copied();
                        b.email = None;
                        b.addresses = None;
                        Some(b)
                    })
                    .collect();
                let json = Self::json(&body)?;
                let r = self
                    .client
                    .call(
                        reqwest::Method::PUT,
                        "/customers",
                        &[],
                        Some(&json),
                        Safety::Idempotent,
                    )
                    .await?;
                for i in &upd {
                    let id = before.get(&email(*i)).copied().unwrap_or_default();
                    out[*i] = Some(if r.status.is_success() {
                        WriteOutcome::Updated {
                            target_id: id.to_string(),
                        }
                    } else {
                        WriteOutcome::Failed {
                            message: error_text(&r),
                        }
                    });
                }
            }
            let mut groups: Vec<Vec<usize>> = if new.is_empty() { vec![] } else { vec![new] };
            let mut attempt = 0u32;
            while let Some(group) = groups.pop() {
                let body: Vec<&CustomerBody> =
                    group.iter().filter_map(|i| bodies[*i].as_ref()).collect();
                let json = Self::json(&body)?;
                match self
                    .client
                    .call(
                        reqwest::Method::POST,
                        "/customers",
                        &[],
                        Some(&json),
                        Safety::Unsafe,
                    )
                    .await
                {
                    Ok(r) if r.status.is_success() => {
                        let mut ids: BTreeMap<String, u64> =
                            match parse::<Collection<CustomerKey>>("POST /customers", &r.body) {
                                Ok(c) => c
                                    .data
                                    .into_iter()
                                    .map(|c| (c.email.to_ascii_lowercase(), c.id))
                                    .collect(),
                                Err(e) => {
                                    tracing::warn!("{e}; looking the customers up instead");
                                    BTreeMap::new()
                                }
                            };
                        let unconfirmed: Vec<String> = group
                            .iter()
                            .map(|i| email(*i))
                            .filter(|e| !ids.contains_key(e))
                            .collect();
                        if !unconfirmed.is_empty() {
                            ids.extend(self.customer_ids(&unconfirmed).await?);
                        }
                        for i in group {
                            out[i] = Some(match ids.get(&email(i)) {
                                Some(id) => WriteOutcome::Created {
                                    target_id: id.to_string(),
                                },
                                None => WriteOutcome::Failed {
                                    message:
                                        "BigCommerce accepted the customer but does not list it"
                                            .into(),
                                },
                            });
                        }
                    }
                    // All or nothing: split until the refused customer stands alone.
                    Ok(r) if group.len() > 1 && r.status.is_client_error() => {
                        let (a, b) = group.split_at(group.len() / 2);
                        groups.push(b.to_vec());
                        groups.push(a.to_vec());
                    }
                    Ok(r) => {
                        out[group[0]] = Some(WriteOutcome::Failed {
                            message: error_text(&r),
                        })
                    }
                    Err(CallError::Ambiguous(m)) => {
                        if attempt >= self.client.http.config().max_retries {
                            return Err(ConnectorError::Remote(m));
                        }
                        self.client.http.wait_before_retry(attempt, None).await;
                        attempt += 1;
                        // Whatever landed is created; only the rest is sent again.
                        let emails: Vec<String> = group.iter().map(|i| email(*i)).collect();
                        let now = self.customer_ids(&emails).await?;
                        let mut rest = vec![];
                        for i in group {
                            match now.get(&email(i)) {
                                Some(id) => {
                                    out[i] = Some(WriteOutcome::Created {
                                        target_id: id.to_string(),
                                    })
                                }
                                None => rest.push(i),
                            }
                        }
                        if !rest.is_empty() {
                            groups.push(rest);
                        }
                    }
                    Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not written".into(),
                })
            })
            .collect())
    }
}

#[async_trait]
impl Target for BigCommerceTarget {
    fn platform(&self) -> Platform {
        Platform::BigCommerce
    }

    fn describe(&self) -> String {
        format!("BigCommerce API ({})", self.client.base)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        match entity {
            Entity::Categories => self.write_categories(batch).await,
            Entity::Products => self.write_products(batch).await,
            Entity::Customers => self.write_customers(batch).await,
            other => Err(ConnectorError::Input(format!("the BigCommerce API target loads categories, products and customers; {other} cannot be written through it"))),
        }
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Categories, products and customers move through this API; other entities go by files
    /// for now.
    fn accepts(&self, entity: Entity) -> bool {
        matches!(
            entity,
            Entity::Categories | Entity::Products | Entity::Customers
        )
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        match entity {
            Entity::Categories => {
                // A fresh read: the category may have been made since the tree was kept.
                self.tree = None;
                Ok(self
                    .tree()
                    .await?
                    .by_handle(external_key)
                    .map(|id| id.to_string()))
            }
            Entity::Customers => Ok(self
                .customer_ids(&[external_key.to_ascii_lowercase()])
                .await?
                .get(&external_key.to_ascii_lowercase())
                .map(u64::to_string)),
            Entity::Products => {
                // The API filters by SKU and name, not by URL: read the catalogue's URLs.
                let want = format!("/{external_key}/");
                let all: Vec<ProductUrl> = self
                    .client
                    .get_all(
                        "/catalog/products",
                        &[("include_fields", "custom_url".into())],
                    )
                    .await?;
                Ok(all
                    .into_iter()
                    .find(|p| {
                        p.custom_url.as_ref().and_then(|u| u.url.as_deref()) == Some(want.as_str())
                    })
                    .map(|p| p.id.to_string()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        if entity == Entity::Categories {
            self.tree = None;
            let r = self
                .client
                .call(
                    reqwest::Method::DELETE,
                    categories::PATH,
                    &[("category_id:in", target_id.to_string())],
                    None,
                    Safety::Idempotent,
                )
                .await?;
            if r.status.is_success() {
                return Ok(());
            }
            return Err(ConnectorError::Remote(format!(
                "BigCommerce DELETE {}: {}",
                categories::PATH,
                categories::category_error(&r)
            )));
        }
        let path = match entity {
            Entity::Products => "/catalog/products",
            Entity::Customers => "/customers",
            other => {
                return Err(ConnectorError::Input(format!(
                    "the BigCommerce API target cannot delete {other}"
                )))
            }
        };
        let r = self
            .client
            .call(
                reqwest::Method::DELETE,
                path,
                &[("id:in", target_id.to_string())],
                None,
                Safety::Idempotent,
            )
            .await?;
        self.client.check(r, path).map(|_| ())
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(options: usize, skus: &[Option<&str>]) -> Product {
        Product {
            title: "Hat".into(),
            handle: "hat".into(),
            options: (0..options)
                .map(|i| ProductOption {
                    name: format!("O{i}"),
                    values: vec!["a".into()],
                })
                .collect(),
            variants: skus
                .iter()
                .map(|s| Variant {
                    sku: s.map(str::to_string),
                    price: Some(Money::new(Decimal::ONE, "USD")),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn custom_fields_come_from_attributes_shoppers_see_within_bigcommerces_limits() {
        let mut p = product(0, &[Some("A")]);
        for (k, v) in [
            ("woo:attribute:Material", "Wool"),
            ("woo:attribute:Care", "Hand wash"),
            ("woo:attribute_visible:Care", "0"),
            ("bigcommerce.custom_field:ISBN", "978-3"),
            ("woo:featured", "1"),
            ("meta:_yoast_wpseo_focuskw", "hat"),
        ] {
            p.attributes.insert(k.into(), v.into());
        }
        let long = "x".repeat(MAX_CUSTOM_FIELD_LEN + 1);
        p.attributes
            .insert("woo:attribute:Story".into(), long.clone());
        let (sent, left) = custom_fields_of(&p);
        let names: Vec<&str> = sent.iter().map(|f| f.name.as_str()).collect();
        // Hidden attributes and other platforms' settings are not shown to shoppers.
        assert_eq!(names, ["ISBN", "Material"]);
        assert_eq!(left.len(), 1);
        assert!(
            left[0].contains("Story") && left[0].contains("250"),
            "{left:?}"
        );
        for i in 0..MAX_CUSTOM_FIELDS + 3 {
            p.attributes
                .insert(format!("woo:attribute:F{i:03}"), "v".into());
        }
        let (sent, left) = custom_fields_of(&p);
        assert_eq!(sent.len(), MAX_CUSTOM_FIELDS);
        assert_eq!(left.len(), 1 + 5);
    }

    #[test]
    fn an_update_changes_custom_fields_in_place_and_adds_only_new_ones() {
        let f = |name: &str, value: &str| CustomFieldBody {
            id: None,
            name: name.into(),
            value: value.into(),
        };
        let have = |id: u64, name: &str, value: &str| CustomFieldReply {
            id,
            name: name.into(),
            value: value.into(),
        };
        let existing = [
            have(7, "Material", "Wool"),
            have(8, "Fit", "Slim"),
            have(9, "Merchant note", "kept"),
        ];
        let sent = custom_field_changes(
            vec![f("Material", "Wool"), f("Fit", "Loose"), f("Care", "Dry")],
            &existing,
        );
        assert_eq!(
            sent,
            [
                CustomFieldBody {
                    id: Some(8),
                    ..f("Fit", "Loose")
                },
                f("Care", "Dry")
            ]
        );
        assert!(custom_field_changes(vec![f("Material", "Wool")], &existing).is_empty());
    }

    #[test]
    fn products_are_keyed_by_what_the_api_filters_on() {
        assert_eq!(key_of(&product(0, &[Some("A")])), Key::MainSku("A".into()));
        assert_eq!(
            key_of(&product(1, &[None, Some("B"), Some("C")])),
            Key::VariantSku("B".into())
        );
        assert_eq!(key_of(&product(1, &[None])), Key::Name("Hat".into()));
        assert_eq!(key_of(&product(0, &[Some("  ")])), Key::Name("Hat".into()));
    }

    #[test]
    fn what_bigcommerce_would_refuse_is_said_before_sending() {
        assert_eq!(refusal(&product(0, &[Some("A")])), None);
        let long = "x".repeat(MAX_SKU_LEN + 1);
        assert!(refusal(&product(0, &[Some(&long)]))
            .unwrap()
            .contains("at most 255"));
        let mut p = product(0, &[Some("A")]);
        p.title = "t".repeat(MAX_NAME_LEN + 1);
        assert!(refusal(&p).unwrap().contains("at most 250"));
        p.title = " ".into();
        assert!(refusal(&p).unwrap().contains("no name"));
    }

    #[test]
    fn customers_without_names_are_refused_and_incomplete_addresses_left_out() {
        let mut c = Customer {
            email: "a@b.co".into(),
            first_name: Some("Ada".into()),
            ..Default::default()
        };
        let e = BigCommerceTarget::customer_body(&c).unwrap_err();
        assert!(
            e.contains("has no last name") && e.contains("a@b.co"),
            "{e}"
        );
        c.last_name = Some("Lovelace".into());
        c.addresses = vec![
            Address {
                address1: Some("1 Main".into()),
                city: Some("Town".into()),
                ..Default::default()
            },
            Address {
                address1: Some("2 Main".into()),
                city: Some("Town".into()),
                country_code: Some("GB".into()),
                ..Default::default()
            },
        ];
        let b = BigCommerceTarget::customer_body(&c).unwrap();
        let a = b.addresses.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].first_name.as_str(), a[0].country_code.as_str()),
            ("Ada", "GB")
        );
        let json = serde_json::to_value(&a[0]).unwrap();
        assert!(
            json.as_object().unwrap().values().all(|v| v != ""),
            "{json}"
        );
    }
}
