//! Writing a store: categories, products (with option groups, options, variants and
//! descriptions, see `products.rs`), members (see `members.rs`) and pages, upserted by key so a
//! repeated write updates instead of duplicating.
//!
//! Every field the document requires is sent: from the record, or from a default named in
//! `platform/ideasoft.rs`; a record that has no value for one and no default gets a finding and
//! is not sent. A key that matches two records fails that record with a blocking finding (and
//! a look-up after a crash fails, which the runtime turns into an intervention).

use super::client::{ambiguous, q, IdeasoftClient, Posted, Refusal};
use super::types;
use crate::connector::{ApiStats, ConnectorError, Result, Target, WriteOutcome};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::ideasoft::api::MAX_CATEGORY_SORT_ORDER;
use crate::platform::ideasoft::defaults;
use crate::platform::ideasoft::{currency_abbr, defaults::DEFAULT_COUNTRY};
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// What a look-up by key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    None,
    One(u64),
    /// Several records carry the key; nobody may guess which one is meant.
    Many(Vec<u64>),
}

impl Found {
    pub fn from_ids(ids: Vec<u64>) -> Found {
        match ids.as_slice() {
            [] => Found::None,
            [one] => Found::One(*one),
            _ => Found::Many(ids),
        }
    }
}

/// The categories of the store, read whole (their number is small) and kept up to date as
/// this target creates them.
#[derive(Default)]
pub(super) struct CategoryIndex {
    pub by_path: HashMap<Vec<String>, Vec<u64>>,
    pub by_slug: HashMap<String, Vec<u64>>,
}

pub struct IdeasoftTarget {
    pub(super) client: IdeasoftClient,
    pub(super) findings: Vec<Finding>,
    /// Currency abbreviation → id, read once.
    pub(super) currencies: Option<HashMap<String, u64>>,
    /// Lower-case brand name → id, read once.
    pub(super) brands: Option<HashMap<String, u64>>,
    pub(super) categories: Option<CategoryIndex>,
    /// Option group title → ids, read once.
    pub(super) option_groups: Option<HashMap<String, Vec<u64>>>,
    /// Option group id → option title → ids.
    pub(super) options: HashMap<u64, HashMap<String, Vec<u64>>>,
    /// ISO country code → id, read once.
    pub(super) countries: Option<HashMap<String, u64>>,
    /// Country id → (folded city name, id).
    pub(super) locations: HashMap<u64, Vec<(String, u64)>>,
    /// KDV rate for taxable products whose source names none (`tax_rate` option).
    pub(super) tax_rate: i64,
    /// Stock given to variants whose source tracks none (`untracked_stock` option): Ideasoft
    /// keeps a stock amount on every product.
    pub(super) untracked_stock: i64,
    /// Country (ISO code) and city of members whose source names none.
    pub(super) default_country: String,
    pub(super) default_location: String,
    /// Whether the note about new members' passwords was given in this run.
    pub(super) password_noted: bool,
}

impl IdeasoftTarget {
    /// Opens with relative paths (the token file) resolved against the current directory.
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Self::open_in(spec, Path::new("."))
    }

    /// `base` is the config file's directory.
    pub fn open_in(spec: &EndpointSpec, base: &Path) -> Result<Self> {
        let int = |k: &str, d: i64| spec.options.get(k).and_then(Value::as_i64).unwrap_or(d);
        let text = |k: &str, d: &str| {
            spec.options
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(d)
                .to_string()
        };
        Ok(IdeasoftTarget {
            client: IdeasoftClient::open(spec, base)?,
            findings: vec![],
            currencies: None,
            brands: None,
            categories: None,
            option_groups: None,
            options: HashMap::new(),
            countries: None,
            locations: HashMap::new(),
            tax_rate: int("tax_rate", crate::platform::ideasoft::api::STANDARD_KDV),
            untracked_stock: int("untracked_stock", 0),
            default_country: text("default_country", DEFAULT_COUNTRY).to_ascii_uppercase(),
            default_location: text("default_location", defaults::DEFAULT_LOCATION),
            password_noted: false,
        })
    }

    pub(super) fn note(&mut self, severity: Severity, code: &str, message: String, r: &Record) {
        self.findings
            .push(Finding::new(severity, code, message).about(RecordRef {
                entity: r.entity(),
                source_id: r.source().id.clone(),
                label: r.label(),
            }));
    }

    /// A record not sent: a finding says why, the outcome carries the same words.
    pub(super) fn refuse(&mut self, code: &str, message: String, r: &Record) -> WriteOutcome {
        self.note(Severity::Blocking, code, message.clone(), r);
        WriteOutcome::Failed { message }
    }

    /// A key matching several records fails the record with a blocking finding.
    pub(super) fn ambiguous_outcome(
        &mut self,
        resource: &str,
        field: &str,
        key: &str,
        ids: &[u64],
        r: &Record,
    ) -> WriteOutcome {
        let message = ambiguous(resource, field, key, ids).to_string();
        self.refuse("ambiguous_match", message, r)
    }

    pub(super) async fn currency_id(&mut self, iso: &str) -> Result<Option<u64>> {
        if self.currencies.is_none() {
            let list: Vec<types::Currency> = self.client.list_all("currencies", &[]).await?;
            self.currencies = Some(
                list.into_iter()
                    .filter_map(|c| Some((c.abbr?.trim().to_ascii_uppercase(), c.id)))
                    .collect(),
            );
        }
        Ok(self
            .currencies
            .as_ref()
            .and_then(|m| m.get(&currency_abbr(iso)).copied()))
    }

    pub(super) async fn brand_id(&mut self, name: &str) -> Result<Option<u64>> {
        if self.brands.is_none() {
            let list: Vec<types::Brand> = self.client.list_all("brands", &[]).await?;
            self.brands = Some(
                list.into_iter()
                    .map(|b| (b.name.trim().to_lowercase(), b.id))
                    .collect(),
            );
        }
        Ok(self
            .brands
            .as_ref()
            .and_then(|m| m.get(&name.trim().to_lowercase()).copied()))
    }

    pub(super) async fn load_categories(&mut self) -> Result<()> {
        let list: Vec<types::Category> = self.client.list_all("categories", &[]).await?;
        let by_id: HashMap<u64, &types::Category> = list.iter().map(|c| (c.id, c)).collect();
        let mut index = CategoryIndex::default();
        for c in &list {
            let mut path = vec![];
            let mut cur = Some(c);
            while let Some(node) = cur {
                path.push(node.name.trim().to_string());
                if path.len() > 64 {
                    break;
                }
                cur = node.parent.as_ref().and_then(|p| by_id.get(&p.id).copied());
            }
            path.reverse();
            index.by_path.entry(path).or_default().push(c.id);
            if let Some(s) = c.slug.as_deref().filter(|s| !s.is_empty()) {
                index.by_slug.entry(s.to_string()).or_default().push(c.id);
            }
        }
        self.categories = Some(index);
        Ok(())
    }

    /// The category at `path`; the store is read again when the path is not known yet.
    pub(super) async fn category_at(&mut self, path: &[String]) -> Result<Found> {
        let find = |t: &Self| {
            t.categories
                .as_ref()
                .and_then(|i| i.by_path.get(path))
                .cloned()
                .unwrap_or_default()
        };
        if self.categories.is_none() {
            self.load_categories().await?;
        }
        let mut ids = find(self);
        if ids.is_empty() {
            self.load_categories().await?;
            ids = find(self);
        }
        Ok(Found::from_ids(ids))
    }

    async fn category_by_slug(&mut self, slug: &str, reload: bool) -> Result<Found> {
        if self.categories.is_none() || reload {
            self.load_categories().await?;
        }
        Ok(Found::from_ids(
            self.categories
                .as_ref()
                .and_then(|i| i.by_slug.get(slug))
                .cloned()
                .unwrap_or_default(),
        ))
    }

    /// Every record of `resource` among the candidates `filters` select whose key `same`
    /// accepts: each page of candidates is read and compared exactly.
    pub(super) async fn find<T: DeserializeOwned>(
        &self,
        resource: &str,
        filters: &[(String, String)],
        same: impl Fn(&T) -> Option<u64>,
    ) -> Result<Found> {
        Ok(Found::from_ids(
            self.client.find_ids(resource, filters, same).await?,
        ))
    }

    /// A main product by slug, among the `s` search's candidates; `full` reads every product.
    pub(super) async fn product_by_slug(&self, slug: &str, full: bool) -> Result<Found> {
        let filters = if full {
            vec![]
        } else {
            q(&[("s", slug.to_string())])
        };
        self.find::<types::Product>("products", &filters, |p| {
            (p.parent.is_none() && p.slug.as_deref() == Some(slug)).then_some(p.id)
        })
        .await
    }

    pub(super) async fn page_by_slug(&self, slug: &str, full: bool) -> Result<Found> {
        let filters = if full {
            vec![]
        } else {
            q(&[("s", slug.to_string())])
        };
        self.find::<types::Page>("pages", &filters, |p| {
            (p.slug.as_deref() == Some(slug)).then_some(p.id)
        })
        .await
    }

    pub(super) async fn member_by_email(&self, email: &str, full: bool) -> Result<Found> {
        let email = email.trim();
        let filters = if full {
            vec![]
        } else {
            q(&[("s", email.to_string())])
        };
        self.find::<types::Member>("members", &filters, |m| {
            m.email.trim().eq_ignore_ascii_case(email).then_some(m.id)
        })
        .await
    }

    /// Finds the record `key` names; `full` reads every record instead of the candidates of
    /// the search key (used when Ideasoft says a key is taken that the search did not find).
    pub(super) async fn find_key(&self, key: &Key<'_>, full: bool) -> Result<Found> {
        match *key {
            Key::CategorySlug(slug) => {
                // Categories are always read whole: a fresh read is the exact look-up.
                self.find::<types::Category>("categories", &[], |c| {
                    (c.slug.as_deref() == Some(slug)).then_some(c.id)
                })
                .await
            }
            Key::ProductSlug(slug) => self.product_by_slug(slug, full).await,
            Key::PageSlug(slug) => self.page_by_slug(slug, full).await,
            Key::MemberEmail(email) => self.member_by_email(email, full).await,
            Key::VariantSku { parent, sku } => {
                self.find::<types::Product>(
                    "products",
                    &q(&[("parent", parent.to_string())]),
                    |c| (c.sku.trim() == sku).then_some(c.id),
                )
                .await
            }
            Key::Detail(product) => {
                self.find::<types::ProductDetail>(
                    "product_details",
                    &q(&[("product", product.to_string())]),
                    |d| Some(d.id),
                )
                .await
            }
            Key::OptionGroup(title) => {
                let filters = if full {
                    vec![]
                } else {
                    q(&[("s", title.to_string())])
                };
                self.find::<types::OptionGroup>("option_groups", &filters, |g| {
                    (g.title.trim() == title).then_some(g.id)
                })
                .await
            }
            Key::Option { group, title } => {
                self.find::<types::OptionValue>(
                    "options",
                    &q(&[("optionGroup", group.to_string())]),
                    |o| (o.title.trim() == title).then_some(o.id),
                )
                .await
            }
        }
    }

    /// POSTs `body` once: after an ambiguous failure the record is looked up by `key` before
    /// any second POST, so it is never created twice.
    pub(super) async fn create_once(
        &self,
        resource: &str,
        body: &Value,
        key: &Key<'_>,
    ) -> Result<std::result::Result<u64, Upserted>> {
        let retries = self.client.http().config().max_retries;
        for attempt in 0..=retries {
            if attempt > 0 {
                self.client
                    .http()
                    .wait_before_retry(attempt - 1, None)
                    .await;
                match self.find_key(key, false).await? {
                    Found::One(id) => return Ok(Ok(id)),
                    Found::Many(ids) => return Ok(Err(Upserted::Ambiguous(ids))),
                    Found::None => {}
                }
            }
            match self.client.post(resource, body).await? {
                Posted::Created(Some(id)) => return Ok(Ok(id)),
                Posted::Created(None) => {
                    return match self.find_key(key, false).await? {
                        Found::One(id) => Ok(Ok(id)),
                        Found::Many(ids) => Ok(Err(Upserted::Ambiguous(ids))),
                        Found::None => Err(ConnectorError::Remote(format!(
                            "Ideasoft accepted a new {resource} record but its reply named no id and it cannot be found again"
                        ))),
                    }
                }
                Posted::Refused(r) => return Ok(Err(Upserted::Refused(r))),
                Posted::Unknown => continue,
            }
        }
        Err(ConnectorError::Remote(format!(
            "Ideasoft did not confirm the new {resource} record after {} attempts",
            retries + 1
        )))
    }

    /// Creates or updates the record `found` names. A create Ideasoft refuses because the key
    /// field is already taken means the search missed it: every record is then read, and the
    /// one found is updated. `Ok(Err(..))` is Ideasoft's refusal or an ambiguous key.
    pub(super) async fn upsert(
        &self,
        resource: &str,
        found: Found,
        create: &Value,
        update: &Value,
        key_field: &str,
        key: &Key<'_>,
    ) -> Result<std::result::Result<(u64, bool), Upserted>> {
        let id = match found {
            Found::One(id) => id,
            Found::Many(ids) => return Ok(Err(Upserted::Ambiguous(ids))),
            Found::None => match self.create_once(resource, create, key).await? {
                Ok(id) => return Ok(Ok((id, true))),
                Err(Upserted::Refused(r)) if r.taken(key_field) => {
                    match self.find_key(key, true).await? {
                        Found::One(id) => id,
                        Found::Many(ids) => return Ok(Err(Upserted::Ambiguous(ids))),
                        Found::None => return Ok(Err(Upserted::Refused(r))),
                    }
                }
                Err(u) => return Ok(Err(u)),
            },
        };
        Ok(match self.client.update(resource, id, update).await? {
            Ok(()) => Ok((id, false)),
            Err(r) => Err(Upserted::Refused(r)),
        })
    }

    async fn write_category(&mut self, r: &Record, c: &Category) -> Result<WriteOutcome> {
        let parent = match c.parent_path() {
            [] => None,
            pp => match self.category_at(pp).await? {
                Found::One(id) => Some(id),
                Found::None => {
                    return Ok(self.refuse(
                        "parent_category_missing",
                        format!(
                        "its parent category \"{}\" is not in the Ideasoft store; migrate it first",
                        pp.join(" > ")
                    ),
                        r,
                    ))
                }
                Found::Many(ids) => {
                    return Ok(self.ambiguous_outcome(
                        "categories",
                        "path",
                        &pp.join(" > "),
                        &ids,
                        r,
                    ))
                }
            },
        };
        let slug = slug_for(&c.handle, c.name());
        if c.name().trim().is_empty() {
            return Ok(self.refuse(
                "category_name_missing",
                "Ideasoft requires a category name; the source category has none".into(),
                r,
            ));
        }
        let sort = c.position.unwrap_or(0).clamp(0, MAX_CATEGORY_SORT_ORDER);
        let mut body = json!({
            "name": c.name().trim(), "slug": slug, "status": 1, "sortOrder": sort,
            "displayShowcaseContent": if c.description_html.is_empty() { 0 } else { 1 },
            "showcaseContentDisplayType": defaults::SHOWCASE_CONTENT_DISPLAY_TYPE,
            "displayShowcaseFooterContent": 0,
            "showcaseFooterContentDisplayType": defaults::SHOWCASE_CONTENT_DISPLAY_TYPE,
            "isCombine": defaults::IS_COMBINE,
        });
        let o = obj(&mut body);
        put_ref(o, "parent", parent);
        put_text(o, "pageTitle", c.seo.title.as_deref());
        put_text(o, "metaDescription", c.seo.description.as_deref());
        put_text(o, "showcaseContent", Some(&c.description_html));
        let found = self.category_by_slug(&slug, false).await?;
        let outcome = self
            .upsert(
                "categories",
                found,
                &body,
                &body,
                "slug",
                &Key::CategorySlug(&slug),
            )
            .await?;
        Ok(match outcome {
            Ok((id, created)) => {
                if let Some(i) = self.categories.as_mut() {
                    for ids in [
                        i.by_path.entry(c.path.clone()).or_default(),
                        i.by_slug.entry(slug.clone()).or_default(),
                    ] {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                outcome_of(id, created)
            }
            Err(u) => self.upsert_failed("categories", "slug", &slug, u, r),
        })
    }

    pub(super) fn upsert_failed(
        &mut self,
        resource: &str,
        field: &str,
        key: &str,
        u: Upserted,
        r: &Record,
    ) -> WriteOutcome {
        match u {
            Upserted::Ambiguous(ids) => self.ambiguous_outcome(resource, field, key, &ids, r),
            Upserted::Refused(refusal) => WriteOutcome::Failed {
                message: refusal.text,
            },
        }
    }

    async fn write_page(&mut self, r: &Record, p: &Page) -> Result<WriteOutcome> {
        if p.title.trim().is_empty() {
            return Ok(self.refuse(
                "page_title_missing",
                "Ideasoft requires a page title; the source page has none".into(),
                r,
            ));
        }
        if p.body_html.trim().is_empty() {
            return Ok(self.refuse(
                "page_content_missing",
                format!("Ideasoft requires page content, and \"{}\" is empty in the source: add its text there (or create the page in the Ideasoft panel) and run again", p.title),
                r,
            ));
        }
        let slug = slug_for(&p.handle, &p.title);
        let mut body = json!({
            "title": p.title.trim(), "slug": slug, "content": p.body_html, "type": defaults::PAGE_TYPE,
            "status": if p.published { 1 } else { 0 },
            "blockStatus": defaults::PAGE_BLOCK_STATUS, "sortOrder": defaults::PAGE_SORT_ORDER,
        });
        let o = obj(&mut body);
        put_text(o, "pageTitle", p.seo.title.as_deref());
        put_text(o, "metaDescription", p.seo.description.as_deref());
        let found = self.page_by_slug(&slug, false).await?;
        let outcome = self
            .upsert("pages", found, &body, &body, "slug", &Key::PageSlug(&slug))
            .await?;
        Ok(match outcome {
            Ok((id, created)) => outcome_of(id, created),
            Err(u) => self.upsert_failed("pages", "slug", &slug, u, r),
        })
    }
}

/// The key a record is found again by.
pub(super) enum Key<'a> {
    CategorySlug(&'a str),
    ProductSlug(&'a str),
    PageSlug(&'a str),
    MemberEmail(&'a str),
    VariantSku { parent: u64, sku: &'a str },
    Detail(u64),
    OptionGroup(&'a str),
    Option { group: u64, title: &'a str },
}

/// Why an upsert did not land.
pub(super) enum Upserted {
    Ambiguous(Vec<u64>),
    Refused(Refusal),
}

impl Upserted {
    pub fn text(&self, resource: &str, field: &str, key: &str) -> String {
        match self {
            Upserted::Ambiguous(ids) => ambiguous(resource, field, key, ids).to_string(),
            Upserted::Refused(r) => r.text.clone(),
        }
    }
}

/// The slug a record is upserted by: its handle, or one made from its name when it has none
/// (Ideasoft would make one itself, and the record could then not be found again).
pub(super) fn slug_for(handle: &str, name: &str) -> String {
    match handle.trim() {
        "" => crate::platform::normalize_handle(Platform::Ideasoft, name),
        h => h.to_string(),
    }
}

pub(super) fn outcome_of(id: u64, created: bool) -> WriteOutcome {
    let target_id = id.to_string();
    if created {
        WriteOutcome::Created { target_id }
    } else {
        WriteOutcome::Updated { target_id }
    }
}

pub(super) fn obj(v: &mut Value) -> &mut Map<String, Value> {
    match v {
        Value::Object(o) => o,
        other => {
            *other = Value::Object(Map::new());
            obj(other)
        }
    }
}

/// Sets `key` to the text when there is some; an optional field without a value is left out.
pub(super) fn put_text(o: &mut Map<String, Value>, key: &str, v: Option<&str>) {
    if let Some(t) = v.map(str::trim).filter(|t| !t.is_empty()) {
        o.insert(key.into(), json!(t));
    }
}

pub(super) fn put_ref(o: &mut Map<String, Value>, key: &str, id: Option<u64>) {
    if let Some(id) = id {
        o.insert(key.into(), json!({ "id": id }));
    }
}

fn resource_of(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Categories => Some("categories"),
        Entity::Products => Some("products"),
        Entity::Customers => Some("members"),
        Entity::Pages => Some("pages"),
        _ => None,
    }
}

#[async_trait]
impl Target for IdeasoftTarget {
    fn platform(&self) -> Platform {
        Platform::Ideasoft
    }

    fn describe(&self) -> String {
        format!("Ideasoft API ({})", self.client.base)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let o = match (entity, r) {
                (Entity::Categories, Record::Category(c)) => self.write_category(r, c).await?,
                (Entity::Products, Record::Product(p)) => self.write_product(r, p).await?,
                (Entity::Customers, Record::Customer(c)) => self.write_member(r, c).await?,
                (Entity::Pages, Record::Page(p)) => self.write_page(r, p).await?,
                (e, other) if e == other.entity() => {
                    return Err(ConnectorError::Input(format!(
                        "the Ideasoft API target loads categories, products, customers and pages; {e} cannot be written through it"
                    )))
                }
                (e, other) => {
                    return Err(ConnectorError::Input(format!(
                        "a {e} batch holds a {} record ({})",
                        other.entity(),
                        other.label()
                    )))
                }
            };
            out.push(o);
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    fn accepts(&self, entity: Entity) -> bool {
        resource_of(entity).is_some()
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        let key = external_key.trim();
        let (resource, field, found) = match entity {
            Entity::Categories => (
                "categories",
                "slug",
                self.category_by_slug(key, true).await?,
            ),
            Entity::Products => ("products", "slug", self.product_by_slug(key, false).await?),
            Entity::Customers => ("members", "email", self.member_by_email(key, false).await?),
            Entity::Pages => ("pages", "slug", self.page_by_slug(key, false).await?),
            _ => return Ok(None),
        };
        match found {
            Found::None => Ok(None),
            Found::One(id) => Ok(Some(id.to_string())),
            Found::Many(ids) => Err(ambiguous(resource, field, key, &ids)),
        }
    }

    /// Deletes what the run created; a product takes its variants and description with it, a
    /// category its subcategories.
    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let Some(resource) = resource_of(entity) else {
            return Err(ConnectorError::Input(format!(
                "the Ideasoft API target cannot delete {entity}"
            )));
        };
        let id: u64 = target_id.trim().parse().map_err(|_| {
            ConnectorError::Input(format!(
                "\"{target_id}\" is not an Ideasoft {resource} id (a number is expected)"
            ))
        })?;
        // Ideasoft refuses to delete a category that still has subcategories, and a rollback
        // lists categories in no particular order: the subtree goes first, deepest first.
        let mut order = vec![id];
        if entity == Entity::Categories {
            let mut i = 0;
            while i < order.len() {
                let children: Vec<types::Category> = self
                    .client
                    .list_all("categories", &q(&[("parent", order[i].to_string())]))
                    .await?;
                order.extend(children.iter().map(|c| c.id));
                i += 1;
            }
        }
        for id in order.into_iter().rev() {
            self.client.delete(resource, id).await?;
        }
        if entity == Entity::Categories {
            self.categories = None;
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
}
