//! BigCommerce v3 Admin API: categories (the Catalog Trees API), products (with variants,
//! images, brand and categories) and customers as a source (`page`/`limit`, `meta.pagination`) and as a target (one product per POST, batch
//! updates of ≤ 10, customers in batches of ≤ 10), paced by the request window the API
//! announces in `X-Rate-Limit-Requests-Left` / `X-Rate-Limit-Time-Reset-Ms`.
//!
//! Requests and replies follow BigCommerce's published OpenAPI documents (checked by the
//! sandbox crate's contract tests); replies parse into the types of [`wire`].

mod categories;
mod target;
mod verify;
pub mod wire;

pub use target::BigCommerceTarget;
pub use verify::BigCommerceVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage};
use crate::model::*;
use crate::platform::bigcommerce::{self as facts, MAX_PAGE_SIZE};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use categories::CategoryTree;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use wire::{parse, Collection, CustomerReply, IdOnly, ProductReply};

pub struct BigCommerceClient {
    http: HttpClient,
    base: String,
    token: String,
    currency: String,
    weight_unit: WeightUnit,
    quota: u32,
}

impl BigCommerceClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().unwrap_or("https://api.bigcommerce.com");
        let hash = spec.options.get("store_hash").and_then(Value::as_str).ok_or_else(|| {
            ConnectorError::Input("the BigCommerce API endpoint needs `options = { store_hash = \"abc123\" }` (from the API path /stores/{hash}/)".into())
        })?;
        let token = spec.credential("token")?;
        let plan = spec
            .options
            .get("plan")
            .and_then(Value::as_str)
            .unwrap_or("standard");
        let (quota, _window) = facts::request_window(plan);
        let unit = spec
            .options
            .get("weight_unit")
            .and_then(Value::as_str)
            .unwrap_or("kg");
        let weight_unit = WeightUnit::parse(unit).ok_or_else(|| {
            ConnectorError::Input(format!(
                "BigCommerce option weight_unit = \"{unit}\" is not one of kg, g, lb, oz"
            ))
        })?;
        Ok(BigCommerceClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{}{}", url.trim_end_matches('/'), facts::api_base(hash)),
            token,
            currency: spec.currency().to_string(),
            weight_unit,
            quota,
        })
    }

    pub fn stats(&self) -> ApiStats {
        self.http.stats()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        safety: Safety,
    ) -> std::result::Result<Reply, CallError> {
        let url = format!("{}{path}", self.base);
        let what = format!("BigCommerce {method} {path}");
        let reply = self
            .http
            .send(&what, safety, |c| {
                let mut r = c
                    .request(method.clone(), &url)
                    .header(facts::TOKEN_HEADER, &self.token)
                    .header("accept", "application/json")
                    .query(query);
                if let Some(b) = body {
                    r = r.json(b);
                }
                r
            })
            .await?;
        self.observe_window(&reply);
        Ok(reply)
    }

    /// Spends the window to the last request, then waits for its reset instead of hitting 429.
    fn observe_window(&self, reply: &Reply) {
        let left: Option<u64> = reply
            .header("x-rate-limit-requests-left")
            .and_then(|v| v.parse().ok());
        let reset: Option<u64> = reply
            .header("x-rate-limit-time-reset-ms")
            .and_then(|v| v.parse().ok());
        let quota: f64 = reply
            .header("x-rate-limit-requests-quota")
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.quota as f64);
        if let Some(left) = left {
            self.http
                .counters()
                .set_budget_used(100.0 * (1.0 - left as f64 / quota.max(1.0)));
            if left == 0 {
                if let Some(ms) = reset {
                    self.http
                        .limiter()
                        .pause_until(Instant::now() + Duration::from_millis(ms));
                }
            }
        }
    }

    fn check(&self, reply: Reply, what: &str) -> Result<Reply> {
        if reply.status.is_success() {
            return Ok(reply);
        }
        Err(ConnectorError::Remote(format!(
            "BigCommerce {what}: {}",
            error_text(&reply)
        )))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply> {
        let r = self
            .call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        self.check(r, path)
    }

    /// A GET whose reply parses into `T`.
    async fn get_as<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let r = self.get(path, query).await?;
        parse(&format!("GET {path}"), &r.body).map_err(ConnectorError::Remote)
    }

    /// Every page of a list request (a look-up must see all matches, not the first 250).
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>> {
        let mut out = vec![];
        let mut page = 1u64;
        loop {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("limit", MAX_PAGE_SIZE.to_string()));
            let c: Collection<T> = self.get_as(path, &q).await?;
            let more = c.has_more();
            out.extend(c.data);
            if !more {
                return Ok(out);
            }
            page += 1;
        }
    }
}

/// BigCommerce's own words: `title` plus the field `errors`.
fn error_text(reply: &Reply) -> String {
    let title = reply
        .body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("");
    let errors = reply
        .body
        .get("errors")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
    let hint = if reply.status.as_u16() == 401 {
        " (check the API account token and its scopes)"
    } else {
        ""
    };
    match errors.filter(|e| !e.is_empty()) {
        Some(e) => format!("HTTP {} {title}: {e}{hint}", reply.status.as_u16()),
        None => format!("HTTP {} {title}{hint}", reply.status.as_u16()),
    }
}

fn text(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn handle_of(url: Option<&wire::CustomUrl>) -> String {
    url.and_then(|u| u.url.as_deref())
        .unwrap_or("")
        .trim_matches('/')
        .to_string()
}

/// A product's custom fields as canonical attributes; a name the product has twice keeps
/// both values, joined as BigCommerce's product CSV joins a list (`; `).
fn custom_field_attributes(
    fields: &[wire::CustomFieldReply],
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for f in fields {
        out.entry(format!("{}{}", facts::CUSTOM_FIELD_ATTR, f.name))
            .and_modify(|v: &mut String| {
                v.push_str("; ");
                v.push_str(&f.value);
            })
            .or_insert_with(|| f.value.clone());
    }
    out
}

impl BigCommerceClient {
    fn money(&self, d: Decimal) -> Money {
        Money::new(d.normalize(), self.currency.clone())
    }

    /// `(price, compare-at)`: a sale price below the price is what the shopper pays.
    fn prices(
        &self,
        price: Option<Decimal>,
        sale: Option<Decimal>,
    ) -> (Option<Money>, Option<Money>) {
        match (price, sale.filter(|s| !s.is_zero())) {
            (Some(p), Some(s)) if s < p => (Some(self.money(s)), Some(self.money(p))),
            (p, _) => (p.map(|p| self.money(p)), None),
        }
    }

    fn product_from(
        &self,
        p: &ProductReply,
        brands: &HashMap<u64, String>,
        tree: &CategoryTree,
    ) -> Product {
        let handle = handle_of(p.custom_url.as_ref());
        let all_variants = p.variants.as_deref().unwrap_or_default();
        // A simple product has one base variant without option values.
        let with_options: Vec<&wire::VariantReply> = all_variants
            .iter()
            .filter(|v| !v.option_values.is_empty())
            .collect();
        let mut options: Vec<ProductOption> = vec![];
        for v in &with_options {
            for ov in &v.option_values {
                let name = text(ov.option_display_name.as_ref()).unwrap_or_default();
                let label = text(ov.label.as_ref()).unwrap_or_default();
                match options.iter_mut().find(|o| o.name == name) {
                    Some(o) if !o.values.contains(&label) => o.values.push(label),
                    Some(_) => {}
                    None => options.push(ProductOption {
                        name,
                        values: vec![label],
                    }),
                }
            }
        }
        let tracking = p.inventory_tracking.as_deref().unwrap_or("none");
        let shipping = p.kind.as_deref() != Some("digital");
        let weight = |w: Option<Decimal>| {
            w.or(p.weight).map(|w| Weight {
                value: w.normalize(),
                unit: self.weight_unit,
            })
        };
        let variants = if with_options.is_empty() {
            let (price, compare) = self.prices(p.price, p.sale_price);
            vec![Variant {
                source_id: Some(p.id.to_string()),
                sku: text(p.sku.as_ref()),
                barcode: text(p.upc.as_ref()).or_else(|| text(p.gtin.as_ref())),
                price,
                compare_at_price: compare,
                cost: p.cost_price.filter(|c| !c.is_zero()).map(|c| self.money(c)),
                weight: weight(None),
                inventory: (tracking == "product")
                    .then_some(p.inventory_level)
                    .flatten(),
                requires_shipping: shipping,
                taxable: true,
                ..Default::default()
            }]
        } else {
            with_options
                .iter()
                .map(|v| {
                    let (price, compare) =
                        self.prices(v.price.or(p.price), v.sale_price.or(p.sale_price));
                    let values = options
                        .iter()
                        .map(|o| {
                            v.option_values
                                .iter()
                                .find(|x| x.option_display_name.as_deref() == Some(o.name.as_str()))
                                .and_then(|x| text(x.label.as_ref()))
                                .unwrap_or_default()
                        })
                        .collect();
                    Variant {
                        source_id: Some(v.id.to_string()),
                        sku: text(v.sku.as_ref()),
                        barcode: text(v.upc.as_ref()).or_else(|| text(v.gtin.as_ref())),
                        price,
                        compare_at_price: compare,
                        cost: v.cost_price.filter(|c| !c.is_zero()).map(|c| self.money(c)),
                        weight: weight(v.weight),
                        inventory: (tracking == "variant")
                            .then_some(v.inventory_level)
                            .flatten(),
                        option_values: values,
                        image: text(v.image_url.as_ref()),
                        requires_shipping: shipping,
                        taxable: true,
                        ..Default::default()
                    }
                })
                .collect()
        };
        let mut images: Vec<(i64, Image)> = p
            .images
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|i| {
                let src = text(i.url_zoom.as_ref())
                    .or_else(|| text(i.url_standard.as_ref()))
                    .or_else(|| text(i.image_url.as_ref()))?;
                Some((
                    i.sort_order.unwrap_or(0),
                    Image {
                        src,
                        alt: text(i.description.as_ref()),
                        position: 0,
                    },
                ))
            })
            .collect();
        images.sort_by_key(|(o, _)| *o);
        Product {
            source: SourceRef::with_url(
                p.id.to_string(),
                url_path(Platform::BigCommerce, Entity::Products, &handle, &[]),
            ),
            title: p.name.clone(),
            body_html: p.description.clone().unwrap_or_default(),
            vendor: p
                .brand_id
                .filter(|b| *b != 0)
                .and_then(|b| brands.get(&b).cloned()),
            status: if p.is_visible == Some(false) {
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
            images: images
                .into_iter()
                .enumerate()
                .map(|(i, (_, mut im))| {
                    im.position = i as u32 + 1;
                    im
                })
                .collect(),
            seo: Seo {
                title: text(p.page_title.as_ref()),
                description: text(p.meta_description.as_ref()),
            },
            created_at: crate::api::time(text(p.date_created.as_ref())),
            categories: Self::product_paths(tree, p),
            handle,
            attributes: custom_field_attributes(p.custom_fields.as_deref().unwrap_or_default()),
            ..Default::default()
        }
    }

    /// Names of the brands a page of products refers to, read once per brand and kept.
    async fn learn_brands(
        &self,
        products: &[ProductReply],
        known: &mut HashMap<u64, String>,
    ) -> Result<()> {
        let mut ids: Vec<u64> = products
            .iter()
            .filter_map(|p| p.brand_id)
            .filter(|b| *b != 0 && !known.contains_key(b))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(MAX_PAGE_SIZE) {
            let list = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let brands: Vec<wire::Brand> = self
                .get_all(
                    "/catalog/brands",
                    &[("id:in", list), ("include_fields", "name".into())],
                )
                .await?;
            for b in brands {
                known.insert(b.id, b.name);
            }
        }
        Ok(())
    }
}

fn customer_from(c: &CustomerReply) -> Customer {
    let addresses = c
        .addresses
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, a)| Address {
            first_name: text(a.first_name.as_ref()),
            last_name: text(a.last_name.as_ref()),
            company: text(a.company.as_ref()),
            address1: text(a.address1.as_ref()),
            address2: text(a.address2.as_ref()),
            city: text(a.city.as_ref()),
            province: text(a.state_or_province.as_ref()),
            country_code: text(a.country_code.as_ref()),
            zip: text(a.postal_code.as_ref()),
            phone: text(a.phone.as_ref()),
            default: i == 0,
        })
        .collect();
    Customer {
        source: SourceRef::new(c.id.to_string()),
        email: c.email.clone(),
        first_name: text(c.first_name.as_ref()),
        last_name: text(c.last_name.as_ref()),
        phone: text(c.phone.as_ref()),
        addresses,
        note: text(c.notes.as_ref()),
        created_at: crate::api::time(text(c.date_created.as_ref())),
        ..Default::default()
    }
}

pub struct BigCommerceSource {
    client: BigCommerceClient,
    brands: HashMap<u64, String>,
    /// The category tree, read again at the first page of each listing (and at a resumed
    /// one's first read).
    tree: Option<CategoryTree>,
}

impl BigCommerceSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(BigCommerceSource {
            client: BigCommerceClient::open(spec)?,
            brands: HashMap::new(),
            tree: None,
        })
    }
}

#[async_trait]
impl Source for BigCommerceSource {
    fn platform(&self) -> Platform {
        Platform::BigCommerce
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Categories, Entity::Products, Entity::Customers]
    }

    fn describe(&self) -> String {
        format!("BigCommerce API ({})", self.client.base)
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

    /// `date_modified:min` on catalog products and customers (both v3), which the documents
    /// give as inclusive and taking a full ISO 8601 time. Categories have no date filter in
    /// the Catalog Trees document: they are read whole and compared by content.
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        match entity {
            Entity::Products | Entity::Customers => {
                Ok(Some(self.list(entity, cursor, limit, Some(since)).await?))
            }
            _ => Ok(None),
        }
    }

    /// Product ids through `include_fields=name` (the id always comes back; `id` is not a
    /// documented `include_fields` value); customers (v3 has no field selection) without
    /// their addresses.
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let q: Vec<(&str, String)> = match entity {
            Entity::Categories => return Ok(Some(self.client.category_ids().await?)),
            Entity::Products => vec![("include_fields", "name".into())],
            Entity::Customers => vec![],
            _ => return Ok(None),
        };
        let path = if entity == Entity::Products {
            "/catalog/products"
        } else {
            "/customers"
        };
        let all: Vec<IdOnly> = self.client.get_all(path, &q).await?;
        Ok(Some(all.into_iter().map(|r| r.id.to_string()).collect()))
    }
}

impl BigCommerceSource {
    async fn tree(&mut self, fresh: bool) -> Result<&CategoryTree> {
        if fresh || self.tree.is_none() {
            self.tree = Some(self.client.category_tree().await?);
        }
        Ok(self.tree.get_or_insert_with(Default::default))
    }

    /// A page of categories, products or customers, oldest id first; `since` keeps those modified at or
    /// after it.
    async fn list(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        if entity == Entity::Categories {
            let tree = self.tree(cursor.is_none()).await?;
            return Ok(ChangedPage {
                page: tree.page(cursor, limit),
                newest: None,
            });
        }
        let (path, include) = match entity {
            Entity::Products => ("/catalog/products", facts::PRODUCT_INCLUDE),
            Entity::Customers => ("/customers", "addresses"),
            _ => return Ok(ChangedPage::default()),
        };
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let mut q = vec![
            ("page", page.to_string()),
            ("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string()),
            ("include", include.to_string()),
        ];
        if let Some(t) = since {
            q.push(("date_modified:min", t.to_string()));
        }
        let mut out = SourcePage::default();
        let (more, stamps) = match entity {
            Entity::Products => {
                // Categories a product names by id: the tree as it stands now.
                self.tree(cursor.is_none()).await?;
                let c: Collection<ProductReply> = self.client.get_as(path, &q).await?;
                self.client.learn_brands(&c.data, &mut self.brands).await?;
                let tree = self.tree.get_or_insert_with(Default::default);
                for p in &c.data {
                    out.records.push(Record::Product(self.client.product_from(
                        p,
                        &self.brands,
                        tree,
                    )));
                }
                let stamps: Vec<Option<String>> =
                    c.data.iter().map(|p| p.date_modified.clone()).collect();
                (c.has_more(), stamps)
            }
            _ => {
                let c: Collection<CustomerReply> = self.client.get_as(path, &q).await?;
                out.records
                    .extend(c.data.iter().map(|c| Record::Customer(customer_from(c))));
                let stamps: Vec<Option<String>> =
                    c.data.iter().map(|c| c.date_modified.clone()).collect();
                (c.has_more(), stamps)
            }
        };
        if more {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(ChangedPage {
            page: out,
            newest: newest(stamps.iter().flatten().map(String::as_str)),
        })
    }
}

/// The newest of BigCommerce's `date_modified` stamps (ISO 8601 with an offset), in UTC.
fn newest<'a>(stamps: impl Iterator<Item = &'a str>) -> Option<String> {
    stamps
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .max()
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
}
