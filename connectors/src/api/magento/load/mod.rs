//! Loading a Magento store: categories found by URL key (or name) under their parent before
//! any create, parents first (see [`super::categories`]); products saved by SKU (Magento's own
//! upsert) with their category links, configurables with their attributes, options, children
//! and links; customers (in [`customers`]) found by email
//! before any create, with addresses Magento's validator accepts. What only a person can
//! settle (an option name matching several attributes, a region the directory does not know,
//! a customer without a name) is asked before the batch is written, through
//! [`Target::questions`] ([`questions`]).

mod customers;
mod questions;

use super::catalog::Catalog;
use super::categories::CategoryTree;
use super::directory::Directory;
use super::reply::{self, Attribute};
use super::request::*;
use super::{urlencode, Filter, MagentoClient};
use crate::api::http::Safety;
use crate::connector::{ApiStats, ConnectorError, Question, Result, Target, WriteOutcome};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::magento::{
    self as facts, STATUS_DISABLED, STATUS_ENABLED, VISIBILITY_CATALOG_SEARCH,
    VISIBILITY_NOT_VISIBLE,
};
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use customers::{NameChoice, RegionChoice};
use questions::{AMBIGUOUS_ATTRIBUTE, MISSING_NAME, UNKNOWN_REGION};
use serde_json::Value;
use std::collections::HashMap;

pub struct MagentoTarget {
    client: MagentoClient,
    findings: Vec<Finding>,
    catalog: Catalog,
    directory: Option<Directory>,
    /// `CC/region as written` → decision.
    regions: HashMap<String, RegionChoice>,
    names: Option<NameChoice>,
    optional_telephone: bool,
    /// The store's category tree, read whole once and kept up to date by the creates.
    tree: Option<CategoryTree>,
}

pub(super) fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn money(m: &Money) -> Option<f64> {
    m.amount.to_string().parse().ok()
}

pub(super) fn about(r: &Record) -> RecordRef {
    RecordRef {
        entity: r.entity(),
        source_id: r.source().id.clone(),
        label: r.label(),
    }
}

impl MagentoTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoTarget {
            client: MagentoClient::open(spec)?,
            findings: vec![],
            catalog: Catalog::default(),
            directory: None,
            regions: HashMap::new(),
            names: None,
            optional_telephone: spec
                .options
                .get("optional_telephone")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            tree: None,
        })
    }

    async fn tree(&mut self) -> Result<&mut CategoryTree> {
        if self.tree.is_none() {
            self.tree = Some(self.client.category_tree().await?);
        }
        Ok(self
            .tree
            .get_or_insert_with(|| CategoryTree::new(self.client.root_category_id)))
    }

    async fn write_categories(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        self.tree().await?;
        let mut out = vec![];
        for r in batch {
            let Record::Category(c) = r else {
                return Err(ConnectorError::Input(format!(
                    "a categories batch holds a {} record ({})",
                    r.entity(),
                    r.label()
                )));
            };
            let tree = self
                .tree
                .get_or_insert_with(|| CategoryTree::new(self.client.root_category_id));
            out.push(self.client.write_category(tree, c).await?);
        }
        Ok(out)
    }

    /// A product's category links, its paths created where the tree lacks them; `None` when
    /// the product names no category (the store's links stay as they are).
    async fn category_links(
        &mut self,
        p: &Product,
    ) -> Result<std::result::Result<Option<Vec<CategoryLinkBody>>, String>> {
        if p.categories.is_empty() {
            return Ok(Ok(None));
        }
        self.tree().await?;
        let tree = self
            .tree
            .get_or_insert_with(|| CategoryTree::new(self.client.root_category_id));
        Ok(self
            .client
            .category_ids(tree, &p.categories)
            .await?
            .map(|ids| {
                Some(
                    ids.into_iter()
                        .map(|id| CategoryLinkBody {
                            position: 0,
                            category_id: id.to_string(),
                        })
                        .collect(),
                )
            }))
    }

    /// A SKU Magento can store, with a finding when it had to be shortened.
    fn sku(&mut self, r: &Record, raw: &str) -> String {
        let fitted = facts::fit_sku(raw).into_owned();
        if fitted != raw {
            self.findings.push(
                Finding::new(
                    Severity::Warning,
                    "sku_shortened",
                    format!(
                        "SKU \"{raw}\" is longer than Magento's {} characters: saved as \"{fitted}\" (the same on every run)",
                        facts::SKU_MAX_CHARS
                    ),
                )
                .about(about(r)),
            );
        }
        fitted
    }

    fn base_body(
        &self,
        p: &Product,
        v: Option<&Variant>,
        sku: &str,
        url_key: &str,
        visibility: i64,
        type_id: &'static str,
    ) -> ProductBody {
        let mut attrs = vec![AttributeValue::new("url_key", url_key)];
        if visibility != VISIBILITY_NOT_VISIBLE {
            if !p.body_html.trim().is_empty() {
                attrs.push(AttributeValue::new("description", p.body_html.clone()));
            }
            if let Some(t) = p.seo.title.as_deref().filter(|t| !t.trim().is_empty()) {
                attrs.push(AttributeValue::new("meta_title", t));
            }
            if let Some(d) = p
                .seo
                .description
                .as_deref()
                .filter(|d| !d.trim().is_empty())
            {
                attrs.push(AttributeValue::new("meta_description", d));
            }
        }
        let mut body = ProductBody {
            sku: sku.to_string(),
            name: p.title.clone(),
            attribute_set_id: self.client.attribute_set_id,
            status: if p.status == ProductStatus::Active {
                STATUS_ENABLED
            } else {
                STATUS_DISABLED
            },
            visibility,
            type_id,
            price: None,
            weight: None,
            extension_attributes: None,
            custom_attributes: vec![],
        };
        if let Some(v) = v {
            match (&v.price, &v.compare_at_price) {
                (Some(price), Some(compare)) if compare.amount > price.amount => {
                    body.price = money(compare);
                    attrs.push(AttributeValue::new(
                        "special_price",
                        price.amount.normalize().to_string(),
                    ));
                }
                // No price is sent as none: an update keeps Magento's, a create gets Magento's
                // own refusal, never a price of 0 nobody set.
                (price, _) => body.price = price.as_ref().and_then(money),
            }
            body.weight = v.weight.and_then(|w| {
                w.to_unit(self.client.weight_unit)
                    .value
                    .to_string()
                    .parse()
                    .ok()
            });
            body.extension_attributes = Some(ProductExtensionBody {
                stock_item: Some(StockItemBody {
                    qty: v.inventory.map(|q| q as f64),
                    is_in_stock: v.inventory.is_none_or(|q| q > 0) || v.allow_backorder,
                    use_config_manage_stock: false,
                    manage_stock: v.inventory.is_some(),
                    use_config_backorders: false,
                    backorders: i64::from(v.allow_backorder),
                }),
                category_links: None,
            });
        }
        body.custom_attributes = attrs;
        body
    }

    /// The product saved under `sku`, if any.
    async fn existing(&self, sku: &str) -> Result<Option<reply::Product>> {
        let path = format!("/products/{}", urlencode(sku));
        match self.client.read::<reply::Product>(&path, &[]).await? {
            Ok(p) => Ok(Some(p)),
            Err(r) if r.not_found() => Ok(None),
            Err(r) => Err(ConnectorError::Remote(format!(
                "Magento GET product {sku}: HTTP {}: {}",
                r.status, r.message
            ))),
        }
    }

    /// PUT /products/{sku} saves by SKU: sending it again changes nothing.
    async fn save(&self, body: &ProductBody) -> Result<std::result::Result<(), String>> {
        let path = format!("/products/{}", urlencode(&body.sku));
        let sent = self
            .client
            .write::<reply::Product, _>(
                reqwest::Method::PUT,
                &path,
                &SaveProduct { product: body },
                Safety::Idempotent,
            )
            .await?;
        Ok(sent.map(|_| ()).map_err(|r| r.message))
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let configurable = !p.options.is_empty();
        let raw = match p.variants.first().and_then(|v| v.sku.as_deref()) {
            Some(sku) if !configurable && !sku.trim().is_empty() => sku.trim().to_string(),
            _ => p.handle.clone(),
        };
        let sku = self.sku(r, &raw);
        let existing = self.existing(&sku).await?;
        if configurable {
            // A configurable's SKU comes from its handle: a product of another handle under the
            // same SKU is someone else's, and saving over it would merge two products.
            if let Some(other) = &existing {
                let key = other.custom("url_key");
                if key.as_deref().is_some_and(|k| k != p.handle) {
                    return Ok(WriteOutcome::Failed {
                        message: format!(
                            "Magento already has a product with SKU \"{sku}\" (URL key \"{}\"), which this configurable product's SKU would overwrite: rename one of the handles",
                            key.unwrap_or_default()
                        ),
                    });
                }
            }
        }
        if !p.images.is_empty() {
            // Magento's REST API takes image bytes, not URLs; moving them means downloading
            // them, which the operator does with Magento's own import.
            self.findings.push(
                Finding::new(Severity::Warning, "image_not_moved", format!("Magento's API takes image files, not URLs: {} image(s) of \"{}\" must be imported separately (first: {})", p.images.len(), p.title, p.images[0].src))
                    .about(about(r)),
            );
        }
        let done = match (existing.is_some(), sku.clone()) {
            (true, target_id) => WriteOutcome::Updated { target_id },
            (false, target_id) => WriteOutcome::Created { target_id },
        };
        let failed = |message: String| Ok(WriteOutcome::Failed { message });
        let links = match self.category_links(p).await? {
            Ok(l) => l,
            Err(m) => return failed(m),
        };
        if !configurable {
            let mut body = self.base_body(
                p,
                p.variants.first(),
                &sku,
                &p.handle,
                VISIBILITY_CATALOG_SEARCH,
                "simple",
            );
            body.extension_attributes
                .get_or_insert_with(Default::default)
                .category_links = links;
            return match self.save(&body).await? {
                Ok(()) => Ok(done),
                Err(m) => failed(m),
            };
        }
        // Attributes first, then the children with their option values, the parent, its
        // configurable options, and the links.
        let mut attributes: Vec<Attribute> = vec![];
        for o in &p.options {
            match self.catalog.ready(&self.client, &o.name).await? {
                Ok(a) => attributes.push(a),
                Err(m) => return failed(format!("option \"{}\": {m}", o.name)),
            }
        }
        let mut children = vec![];
        for (i, v) in p.variants.iter().enumerate() {
            let raw = v
                .sku
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-{}", p.handle, i + 1));
            let child_sku = self.sku(r, &raw);
            let mut body = self.base_body(
                p,
                Some(v),
                &child_sku,
                &format!("{}-{}", p.handle, i + 1),
                VISIBILITY_NOT_VISIBLE,
                "simple",
            );
            body.name = format!("{} {}", p.title, v.option_values.join(" "))
                .trim()
                .to_string();
            for (a, value) in attributes.iter().zip(&v.option_values) {
                match self.catalog.option_value(&self.client, a, value).await? {
                    Ok(id) => body
                        .custom_attributes
                        .push(AttributeValue::new(&a.attribute_code, id.to_string())),
                    Err(m) => return failed(m),
                }
            }
            if let Err(m) = self.save(&body).await? {
                return failed(format!("variant {child_sku}: {m}"));
            }
            children.push(child_sku);
        }
        let mut parent = self.base_body(
            p,
            None,
            &sku,
            &p.handle,
            VISIBILITY_CATALOG_SEARCH,
            "configurable",
        );
        if links.is_some() {
            parent.extension_attributes = Some(ProductExtensionBody {
                stock_item: None,
                category_links: links,
            });
        }
        if let Err(m) = self.save(&parent).await? {
            return failed(m);
        }
        let current = self.existing(&sku).await?.ok_or_else(|| {
            ConnectorError::Remote(format!(
                "Magento saved product {sku} but does not find it again"
            ))
        })?;
        let have: Vec<&str> = current
            .configurable_options()
            .iter()
            .map(|o| o.attribute_id.as_str())
            .collect();
        for (i, (o, a)) in p.options.iter().zip(&attributes).enumerate() {
            let id = a.attribute_id.to_string();
            if have.contains(&id.as_str()) {
                continue;
            }
            let mut values = vec![];
            for v in &p.variants {
                let Some(label) = v.option_values.get(i) else {
                    continue;
                };
                match self.catalog.option_value(&self.client, a, label).await? {
                    Ok(index)
                        if !values
                            .iter()
                            .any(|x: &ConfigurableValueBody| x.value_index == index) =>
                    {
                        values.push(ConfigurableValueBody { value_index: index })
                    }
                    Ok(_) => {}
                    Err(m) => return failed(m),
                }
            }
            let body = AddConfigurableOption {
                option: ConfigurableOptionBody {
                    attribute_id: id,
                    label: o.name.trim(),
                    position: i as i64,
                    is_use_default: true,
                    values,
                },
            };
            let path = format!("/configurable-products/{}/options", urlencode(&sku));
            if let Err(r) = self
                .client
                .write::<u64, _>(reqwest::Method::POST, &path, &body, Safety::Idempotent)
                .await?
            {
                // A retried create that had landed is answered "already has this option".
                if !r.message.contains("already has this option") {
                    return failed(r.message);
                }
            }
        }
        let linked: Vec<reply::Product> = self
            .client
            .get(
                &format!("/configurable-products/{}/children", urlencode(&sku)),
                &[],
            )
            .await?;
        for child in children
            .iter()
            .filter(|c| !linked.iter().any(|l| &l.sku == *c))
        {
            let path = format!("/configurable-products/{}/child", urlencode(&sku));
            if let Err(r) = self
                .client
                .write::<bool, _>(
                    reqwest::Method::POST,
                    &path,
                    &AddChild { child_sku: child },
                    Safety::Idempotent,
                )
                .await?
            {
                if !r.message.contains("already attached") {
                    return failed(format!("variant {child}: {}", r.message));
                }
            }
        }
        Ok(done)
    }
}

#[async_trait]
impl Target for MagentoTarget {
    fn platform(&self) -> Platform {
        Platform::Magento
    }

    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base())
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        if entity == Entity::Categories {
            return self.write_categories(batch).await;
        }
        let mut out = vec![];
        for r in batch {
            out.push(match (entity, r) {
                (Entity::Products, Record::Product(p)) => self.write_product(r, p).await?,
                (Entity::Customers, Record::Customer(c)) => self.write_customer(r, c).await?,
                _ => return Err(ConnectorError::Input(format!("the Magento API target loads categories, products and customers; {} cannot be written through it", r.entity()))),
            });
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
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
                let mut ids = self.tree().await?.by_handle(external_key);
                match ids.len() {
                    0 | 1 => Ok(ids.pop().map(|i| i.to_string())),
                    _ => Err(ConnectorError::Remote(format!(
                        "Magento has several categories with the URL key {external_key} (ids {}): their paths tell them apart, the key alone does not",
                        ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
            Entity::Products => {
                let found: Vec<reply::Product> = self
                    .client
                    .search_all("/products", Filter::eq("url_key", external_key))
                    .await?;
                let mut skus: Vec<String> = found
                    .into_iter()
                    .filter(|p| p.custom("url_key").as_deref() == Some(external_key))
                    .map(|p| p.sku)
                    .collect();
                skus.dedup();
                match skus.len() {
                    0 | 1 => Ok(skus.pop()),
                    _ => Err(ConnectorError::Remote(format!(
                        "Magento has several products with the URL key {external_key}: {}",
                        skus.join(", ")
                    ))),
                }
            }
            Entity::Customers => Ok(self
                .customer_id(&external_key.to_ascii_lowercase())
                .await?
                .map(|i| i.to_string())),
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let mut paths = vec![];
        match entity {
            Entity::Products => {
                // A configurable's children were created with it and go with it.
                let children = self
                    .client
                    .read::<Vec<reply::Product>>(
                        &format!("/configurable-products/{}/children", urlencode(target_id)),
                        &[],
                    )
                    .await?
                    .unwrap_or_default();
                for c in children {
                    paths.push(format!("/products/{}", urlencode(&c.sku)));
                }
                paths.push(format!("/products/{}", urlencode(target_id)));
            }
            Entity::Customers => paths.push(format!("/customers/{target_id}")),
            Entity::Categories => {
                self.tree = None;
                paths.push(format!("/categories/{}", urlencode(target_id)));
            }
            other => {
                return Err(ConnectorError::Input(format!(
                    "the Magento API target cannot delete {other}"
                )))
            }
        }
        for path in paths {
            let r = self
                .client
                .call(
                    reqwest::Method::DELETE,
                    &path,
                    &[],
                    None,
                    Safety::Idempotent,
                )
                .await?;
            if !r.status.is_success() && r.status.as_u16() != 404 {
                return Err(ConnectorError::Remote(format!(
                    "Magento DELETE {path}: {}",
                    super::message(&r)
                )));
            }
        }
        Ok(())
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    async fn questions(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<Question>> {
        match entity {
            Entity::Products => self.product_questions(batch).await,
            Entity::Customers => self.customer_questions(batch).await,
            _ => Ok(vec![]),
        }
    }

    fn decide(&mut self, code: &str, item: &str, choice: &str) {
        match code {
            AMBIGUOUS_ATTRIBUTE => self.catalog.decide(item, choice),
            UNKNOWN_REGION => {
                let c = match choice {
                    "skip" => RegionChoice::Skip,
                    other => other
                        .parse()
                        .map(RegionChoice::Region)
                        .unwrap_or(RegionChoice::LeaveOut),
                };
                self.regions.insert(item.to_string(), c);
            }
            MISSING_NAME => {
                self.names = Some(if choice == "fill" {
                    NameChoice::Fill
                } else {
                    NameChoice::Skip
                })
            }
            _ => {}
        }
    }
}
