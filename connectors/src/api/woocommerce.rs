//! WooCommerce REST API v3: categories, products (with variations), customers and orders as a
//! source (`page` / `per_page` with `X-WP-TotalPages`) and as a target (`/batch` of at most
//! 100, upsert by SKU, slug, email, category path or order number looked up first; product
//! tags found by name or created first, as products name them by id), plus WordPress pages
//! (`/wp-json/wp/v2/pages`) when an application password is configured. A write that may or
//! may not have been applied (timeout, dropped connection, 5xx) is never resent blindly: the
//! records are looked up again and only what is still missing is created.

pub mod body;
mod categories;
mod changes;
mod orders;
mod pages;
mod tags;
mod verify;
pub mod wire;

pub use verify::WooVerifier;

use super::http::{CallError, HttpClient, HttpConfig, Reply, Safety};
use crate::connector::{
    ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::url_path;
use crate::platform::woocommerce::{API_BASE, DEFAULT_WEIGHT_UNIT, MAX_BATCH, MAX_PER_PAGE};
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::HashMap;
use wire::{meta, text, BatchKind, ItemResult};

/// A REST session of one store.
pub struct WooClient {
    http: HttpClient,
    base: String,
    store_url: String,
    key: String,
    secret: String,
    currency: String,
    weight_unit: WeightUnit,
    /// WordPress user and application password for `/wp-json/wp/v2/` (pages), when configured.
    wp: Option<(String, String)>,
}

impl WooClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the WooCommerce API endpoint needs `url = \"https://your-store.example\"`".into(),
            )
        })?;
        let key = spec.credential("consumer_key")?;
        let secret = spec.credential("consumer_secret")?;
        let unit_name = spec
            .options
            .get("weight_unit")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_WEIGHT_UNIT);
        let weight_unit = WeightUnit::parse(unit_name).ok_or_else(|| {
            ConnectorError::Input(format!(
                "WooCommerce option weight_unit = \"{unit_name}\" is not one of kg, g, lbs, oz"
            ))
        })?;
        // Pages live in WordPress's own API, which consumer keys do not open.
        let wp = if spec.credentials.contains_key("wp_user")
            || spec.credentials.contains_key("wp_app_password")
        {
            Some((
                spec.credential("wp_user")?,
                spec.credential("wp_app_password")?,
            ))
        } else {
            None
        };
        Ok(WooClient {
            wp,
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            base: format!("{}{API_BASE}", url.trim_end_matches('/')),
            store_url: url.to_string(),
            key,
            secret,
            currency: spec.currency().to_string(),
            weight_unit,
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
        let what = format!("WooCommerce {method} {path}");
        self.http
            .send(&what, safety, |c| {
                let mut r = c
                    .request(method.clone(), &url)
                    .basic_auth(&self.key, Some(&self.secret))
                    .query(query);
                if let Some(b) = body {
                    r = r.json(b);
                }
                r
            })
            .await
    }

    /// A call to WordPress's own REST API (`/wp-json/wp/v2`), with the application password.
    async fn wp_call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        safety: Safety,
    ) -> std::result::Result<Reply, CallError> {
        let url = format!(
            "{}{}{path}",
            self.store_url.trim_end_matches('/'),
            crate::platform::woocommerce::WP_API_BASE
        );
        let what = format!("WordPress {method} {path}");
        let (user, pass) = self.wp.clone().unwrap_or_default();
        self.http
            .send(&what, safety, |c| {
                let mut r = c
                    .request(method.clone(), &url)
                    .basic_auth(&user, Some(&pass))
                    .query(query);
                if let Some(b) = body {
                    r = r.json(b);
                }
                r
            })
            .await
    }

    /// Deletes for good (`force=true`: products and terms would otherwise go to the trash);
    /// `false` when it was gone already (a rollback interrupted and run again).
    async fn delete_for_good(&self, path: &str) -> Result<bool> {
        let reply = self
            .call(
                reqwest::Method::DELETE,
                path,
                &[("force", "true".into())],
                None,
                Safety::Idempotent,
            )
            .await?;
        if reply.status.as_u16() == 404 {
            return Ok(false);
        }
        self.expect_ok(reply, path).map(|_| true)
    }

    /// A reply that must be a success; otherwise WooCommerce's own `message` in an error.
    fn expect_ok(&self, reply: Reply, what: &str) -> Result<Reply> {
        if reply.status.is_success() {
            return Ok(reply);
        }
        // A proxy or a PHP fatal error answers something else than WooCommerce's error shape.
        let (code, message) = match serde_json::from_value::<wire::ApiError>(reply.body.clone()) {
            Ok(e) => (e.code, e.message),
            Err(_) => (String::new(), reply.body.to_string()),
        };
        let hint = if reply.status.as_u16() == 401 {
            " (check the consumer key and secret and their read/write permission)"
        } else {
            ""
        };
        Err(ConnectorError::Remote(format!(
            "WooCommerce {} {what}: HTTP {} {code}: {message}{hint}",
            self.store_url,
            reply.status.as_u16()
        )))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply> {
        let reply = self
            .call(reqwest::Method::GET, path, query, None, Safety::Idempotent)
            .await?;
        self.expect_ok(reply, path)
    }

    /// A GET whose reply parses into `T`.
    async fn get_as<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let reply = self.get(path, query).await?;
        parse(&format!("GET {path}"), &reply.body)
    }

    /// Every page of a list endpoint.
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>> {
        let mut out = vec![];
        let mut page = 1usize;
        loop {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("per_page", MAX_PER_PAGE.to_string()));
            let reply = self.get(path, &q).await?;
            out.extend(parse::<Vec<T>>(
                &format!("GET {path} (page {page})"),
                &reply.body,
            )?);
            if page >= total_pages(&reply) as usize {
                return Ok(out);
            }
            page += 1;
        }
    }
}

/// A request body as the JSON the HTTP client sends.
pub(crate) fn to_body<T: serde::Serialize>(body: &T) -> Result<Value> {
    serde_json::to_value(body)
        .map_err(|e| ConnectorError::Input(format!("a WooCommerce request body: {e}")))
}

/// A reply body as `T`, or an error naming endpoint and field.
pub(crate) fn parse<T: DeserializeOwned>(endpoint: &str, body: &Value) -> Result<T> {
    wire::parse(endpoint, body).map_err(ConnectorError::Remote)
}

/// `X-WP-TotalPages`; a list without it is one page.
pub(crate) fn total_pages(reply: &Reply) -> u64 {
    reply
        .header("x-wp-totalpages")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Slugs come back percent-encoded (WordPress stores them so); handles are plain text.
pub fn decode_slug(slug: &str) -> String {
    let bytes = slug.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(Ok(b)) = slug.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| slug.to_string())
}

/// A date as UTC: WooCommerce gives `X` in the site's time zone and `X_gmt` in UTC, both
/// without an offset; the UTC one is taken when there is one.
pub(crate) fn gmt(utc: &Option<String>, local: &Option<String>) -> Option<Timestamp> {
    text(utc)
        .or_else(|| text(local))
        .and_then(|d| Timestamp::parse_api(&d))
}

impl WooClient {
    /// A variant from what a simple product or a variation sells; `options` are the option
    /// values of a variation (none for a simple product).
    fn variant_from(
        &self,
        id: u64,
        v: &wire::Sellable,
        options: Option<(&[String], &[wire::VariationAttribute])>,
        image: Option<&wire::Image>,
    ) -> Variant {
        let money = |d: Decimal| Money::new(d, self.currency.clone());
        let (price, compare) = match (v.sale_price, v.regular_price) {
            (Some(s), Some(r)) => (Some(money(s)), Some(money(r))),
            (None, r) => (r.map(money), None),
            (Some(s), None) => (Some(money(s)), None),
        };
        let option_values = options
            .map(|(names, attrs)| {
                names
                    .iter()
                    .map(|name| {
                        attrs
                            .iter()
                            .find(|a| &a.name == name)
                            .map(|a| a.option.clone())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Variant {
            source_id: Some(id.to_string()),
            sku: text(&v.sku),
            // GTIN/UPC/EAN/ISBN since WooCommerce 9.2; older stores kept it in meta data.
            barcode: text(&v.global_unique_id).or_else(|| meta(&v.meta_data, "barcode")),
            price,
            compare_at_price: compare,
            cost: None,
            weight: v.weight.map(|w| Weight {
                value: w.normalize(),
                unit: self.weight_unit,
            }),
            inventory: if v.manage_stock {
                v.stock_quantity
            } else {
                None
            },
            allow_backorder: v.backorders != "no",
            option_values,
            image: image.map(|i| i.src.clone()).filter(|s| !s.is_empty()),
            requires_shipping: !v.is_virtual,
            taxable: v.tax_status != "none",
            price_tiers: Default::default(),
        }
    }

    fn product_from(&self, p: &wire::Product, variations: &[wire::Variation]) -> Product {
        let handle = decode_slug(&p.slug);
        let options: Vec<ProductOption> = p
            .attributes
            .iter()
            .filter(|a| a.variation)
            .map(|a| ProductOption {
                name: a.name.clone(),
                values: a.options.clone(),
            })
            .collect();
        let names: Vec<String> = options.iter().map(|o| o.name.clone()).collect();
        let is_variable = p.kind == "variable";
        let variants = if is_variable {
            variations
                .iter()
                .map(|v| {
                    self.variant_from(
                        v.id,
                        &v.sellable,
                        Some((&names, &v.attributes)),
                        v.image.as_ref(),
                    )
                })
                .collect()
        } else {
            vec![self.variant_from(p.id, &p.sellable, None, None)]
        };
        Product {
            source: SourceRef::with_url(
                p.id.to_string(),
                url_path(Platform::WooCommerce, Entity::Products, &handle, &[]),
            ),
            title: p.name.clone(),
            body_html: p.description.clone(),
            vendor: meta(&p.sellable.meta_data, "vendor"),
            product_type: meta(&p.sellable.meta_data, "product_type"),
            tags: p.tags.iter().filter_map(|t| text(&t.name)).collect(),
            status: match p.status.as_str() {
                "draft" | "pending" => ProductStatus::Draft,
                "private" => ProductStatus::Archived,
                _ => ProductStatus::Active,
            },
            kind: match p.kind.as_str() {
                "variable" => ProductKind::Variable,
                "grouped" => ProductKind::Grouped,
                "external" => ProductKind::External,
                _ => ProductKind::Simple,
            },
            categories: p
                .categories
                .iter()
                .filter_map(|c| text(&c.name))
                .map(|n| vec![n])
                .collect(),
            options: if is_variable { options } else { vec![] },
            variants,
            images: p
                .images
                .iter()
                .enumerate()
                .filter(|(_, im)| !im.src.trim().is_empty())
                .map(|(i, im)| Image {
                    src: im.src.clone(),
                    alt: text(&im.alt),
                    position: i as u32 + 1,
                })
                .collect(),
            seo: Seo::default(),
            attributes: Default::default(),
            created_at: gmt(&p.dates.date_created_gmt, &p.dates.date_created),
            handle,
            translations: Default::default(),
        }
    }

    /// A product's variations, oldest first (only a variable product has any).
    async fn variations_of(&self, p: &wire::Product) -> Result<Vec<wire::Variation>> {
        if p.kind != "variable" {
            return Ok(vec![]);
        }
        let mut v: Vec<wire::Variation> = self
            .get_all(
                &format!("/products/{}/variations", p.id),
                &[("orderby", "id".into()), ("order", "asc".into())],
            )
            .await?;
        v.sort_by_key(|x| x.id);
        Ok(v)
    }
}

fn address_from(a: &wire::Address) -> Option<Address> {
    let addr = Address {
        first_name: text(&a.first_name),
        last_name: text(&a.last_name),
        company: text(&a.company),
        address1: text(&a.address_1),
        address2: text(&a.address_2),
        city: text(&a.city),
        province: text(&a.state),
        country_code: text(&a.country),
        zip: text(&a.postcode),
        phone: text(&a.phone),
        default: false,
    };
    (!addr.is_empty()).then_some(addr)
}

fn customer_from(c: &wire::Customer) -> Customer {
    let mut addresses = vec![];
    if let Some(mut b) = address_from(&c.billing) {
        b.default = true;
        addresses.push(b);
    }
    if let Some(sh) = address_from(&c.shipping) {
        if addresses.first().is_none_or(|b| {
            Address {
                default: false,
                phone: None,
                ..b.clone()
            } != Address {
                phone: None,
                ..sh.clone()
            }
        }) {
            addresses.push(sh);
        }
    }
    Customer {
        source: SourceRef::new(c.id.to_string()),
        email: c.email.clone(),
        first_name: text(&c.first_name),
        last_name: text(&c.last_name),
        phone: text(&c.billing.phone),
        addresses,
        marketing: MarketingConsent::default(),
        tags: vec![],
        note: None,
        created_at: gmt(&c.dates.date_created_gmt, &c.dates.date_created),
    }
}

/// WooCommerce as a source.
pub struct WooSource {
    client: WooClient,
    /// The category tree, read once: products name their categories by id.
    categories: Option<categories::CategoryIndex>,
}

impl WooSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(WooSource {
            client: WooClient::open(spec)?,
            categories: None,
        })
    }

    async fn category_index(&mut self) -> Result<&categories::CategoryIndex> {
        if self.categories.is_none() {
            self.categories = Some(categories::CategoryIndex::load(&self.client).await?);
        }
        Ok(self.categories.get_or_insert_with(Default::default))
    }
}

#[async_trait]
impl Source for WooSource {
    fn platform(&self) -> Platform {
        Platform::WooCommerce
    }

    fn entities(&self) -> Vec<Entity> {
        let mut e = vec![
            Entity::Categories,
            Entity::Products,
            Entity::Customers,
            Entity::Orders,
        ];
        if self.client.wp.is_some() {
            e.push(Entity::Pages);
        }
        e
    }

    fn describe(&self) -> String {
        format!("WooCommerce REST API ({})", self.client.store_url)
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
        match entity {
            Entity::Categories => Ok(self.category_index().await?.page(cursor, limit)),
            Entity::Pages if self.client.wp.is_some() => {
                pages::read_page(&self.client, cursor, limit).await
            }
            _ => Ok(self.list(entity, cursor, limit, None).await?.page),
        }
    }

    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        match entity {
            Entity::Products | Entity::Customers | Entity::Orders => {
                Ok(Some(self.list(entity, cursor, limit, Some(since)).await?))
            }
            // The category tree is read whole (small); pages have no such filter in use here.
            _ => Ok(None),
        }
    }

    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let path = match entity {
            Entity::Products => "/products",
            Entity::Customers => "/customers",
            Entity::Orders => "/orders",
            _ => return Ok(None),
        };
        Ok(Some(changes::live_ids(&self.client, path).await?))
    }
}

impl WooSource {
    /// A page of products, customers or orders, oldest id first; `since` limits it to those
    /// modified after that time.
    async fn list(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        since: Option<&str>,
    ) -> Result<ChangedPage> {
        let path = match entity {
            Entity::Products => "/products",
            Entity::Customers => "/customers",
            Entity::Orders => return orders::read_page(&self.client, cursor, limit, since).await,
            _ => return Ok(ChangedPage::default()),
        };
        if entity == Entity::Products {
            self.category_index().await?;
        }
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let per_page = limit.clamp(1, MAX_PER_PAGE);
        // Oldest first by id: pages stay stable while the store keeps selling.
        let mut q = vec![
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
            ("orderby", "id".into()),
            ("order", "asc".into()),
        ];
        q.extend(changes::since_query(since));
        let reply = self.client.get(path, &q).await?;
        let endpoint = format!("GET {path}");
        let mut out = SourcePage::default();
        let newest = if entity == Entity::Products {
            let items: Vec<wire::Product> = parse(&endpoint, &reply.body)?;
            for item in &items {
                let variations = self.client.variations_of(item).await?;
                let mut p = self.client.product_from(item, &variations);
                if let Some(index) = &self.categories {
                    p.categories = index.paths_of(&item.categories);
                }
                out.records.push(Record::Product(p));
            }
            changes::newest(items.iter().map(|i| &i.dates))
        } else {
            let items: Vec<wire::Customer> = parse(&endpoint, &reply.body)?;
            out.records
                .extend(items.iter().map(|c| Record::Customer(customer_from(c))));
            changes::newest(items.iter().map(|i| &i.dates))
        };
        if page < total_pages(&reply) {
            out.next = Some(json!({ "page": page + 1 }));
        }
        Ok(ChangedPage { page: out, newest })
    }
}

/// WooCommerce as a target.
pub struct WooTarget {
    client: WooClient,
    findings: Vec<Finding>,
    /// The store's category tree (products refer to categories by id), read when first needed.
    categories: Option<categories::CategoryIndex>,
    /// The store's product tags by name (products refer to tags by id), read when first needed.
    tags: Option<tags::TagIndex>,
    /// Order number → order id, read when first needed (orders cannot be filtered by meta).
    orders: Option<HashMap<String, u64>>,
    /// Email → customer id (0: none), for linking orders to the store's own customers.
    customer_ids: HashMap<String, u64>,
    /// Product tags this run created (kept in the products' checkpoint for a rollback).
    created_tags: std::collections::BTreeSet<u64>,
}

impl WooTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(WooTarget {
            client: WooClient::open(spec)?,
            findings: vec![],
            categories: None,
            tags: None,
            orders: None,
            customer_ids: HashMap::new(),
            created_tags: Default::default(),
        })
    }

    /// regular/sale from canonical price and compare-at price: a compare-at price above the
    /// price is the regular price of a product on sale.
    fn prices(v: &Variant) -> (Option<String>, body::SalePrice) {
        match (&v.price, &v.compare_at_price) {
            (Some(p), Some(c)) if c.amount > p.amount => (
                Some(c.amount.to_string()),
                body::SalePrice::Price(p.amount.to_string()),
            ),
            (p, _) => (
                p.as_ref().map(|m| m.amount.to_string()),
                body::SalePrice::NoSale,
            ),
        }
    }

    fn sellable(&self, v: &Variant) -> body::Sellable {
        let (regular_price, sale_price) = Self::prices(v);
        body::Sellable {
            sku: v.sku.clone().filter(|s| !s.is_empty()),
            global_unique_id: v.barcode.clone().filter(|s| !s.is_empty()),
            regular_price,
            sale_price,
            weight: v.weight.map(|w| {
                w.to_unit(self.client.weight_unit)
                    .value
                    .normalize()
                    .to_string()
            }),
            manage_stock: v.inventory.is_some(),
            stock_quantity: v.inventory,
            backorders: if v.allow_backorder {
                body::Backorders::Notify
            } else {
                body::Backorders::No
            },
        }
    }

    fn product_body(&self, p: &Product, with_images: bool) -> body::Product {
        let variable = !p.options.is_empty();
        let meta = [("vendor", &p.vendor), ("product_type", &p.product_type)]
            .into_iter()
            .filter_map(|(key, value)| {
                Some(body::Meta {
                    key: key.into(),
                    value: value.clone()?,
                })
            })
            .collect();
        body::Product {
            name: p.title.clone(),
            slug: Some(p.handle.clone()).filter(|h| !h.is_empty()),
            kind: if variable {
                body::ProductType::Variable
            } else {
                body::ProductType::Simple
            },
            status: match p.status {
                ProductStatus::Active => body::PostStatus::Publish,
                ProductStatus::Draft => body::PostStatus::Draft,
                ProductStatus::Archived => body::PostStatus::Private,
            },
            description: p.body_html.clone(),
            tags: self.tag_refs(&p.tags),
            categories: self.category_refs(&p.categories).0,
            meta_data: meta,
            images: with_images.then(|| {
                p.images
                    .iter()
                    .map(|i| body::Image {
                        src: i.src.clone(),
                        alt: i.alt.clone().filter(|a| !a.is_empty()),
                    })
                    .collect()
            }),
            attributes: variable.then(|| {
                p.options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| body::Attribute {
                        name: o.name.clone(),
                        position: i,
                        visible: true,
                        variation: true,
                        options: o.values.clone(),
                    })
                    .collect()
            }),
            sellable: if variable {
                None
            } else {
                p.variants.first().map(|v| self.sellable(v))
            },
        }
    }

    fn variation_body(&self, p: &Product, v: &Variant) -> body::Variation {
        body::Variation {
            sellable: self.sellable(v),
            attributes: p
                .options
                .iter()
                .zip(&v.option_values)
                .map(|(o, val)| body::VariationAttribute {
                    name: o.name.clone(),
                    option: val.clone(),
                })
                .collect(),
            image: v.image.as_ref().map(|src| body::Image {
                src: src.clone(),
                alt: None,
            }),
        }
    }

    /// Target ids by record index, found by SKU (one request for the whole batch) or slug.
    async fn find_products(&self, products: &[&Product]) -> Result<Vec<Option<u64>>> {
        let mut found = vec![None; products.len()];
        let skus: Vec<(usize, String)> = products
            .iter()
            .enumerate()
            .filter(|(_, p)| p.options.is_empty())
            .filter_map(|(i, p)| {
                p.variants
                    .first()
                    .and_then(|v| v.sku.clone())
                    .filter(|s| !s.is_empty())
                    .map(|s| (i, s))
            })
            .collect();
        if !skus.is_empty() {
            let list = skus
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let by_sku: HashMap<String, u64> = self
                .client
                .get_all::<wire::ProductKey>("/products", &[("sku", list)])
                .await?
                .into_iter()
                .filter_map(|p| Some((text(&p.sku)?, p.id)))
                .collect();
            for (i, sku) in &skus {
                found[*i] = by_sku.get(sku).copied();
            }
        }
        // Products without a SKU (variable ones, mostly) are found by slug, one request each.
        for (i, p) in products.iter().enumerate() {
            if !skus.iter().any(|(j, _)| *j == i) {
                found[i] = self.find_by_slug(&p.handle).await?;
            }
        }
        Ok(found)
    }

    async fn find_by_slug(&self, handle: &str) -> Result<Option<u64>> {
        let found: Vec<wire::IdOnly> = self
            .client
            .get_as("/products", &[("slug", handle.to_string())])
            .await?;
        Ok(found.first().map(|p| p.id))
    }

    async fn find_customer(&self, email: &str) -> Result<Option<u64>> {
        let found: Vec<wire::IdOnly> = self
            .client
            .get_as(
                "/customers",
                &[("email", email.to_string()), ("role", "all".into())],
            )
            .await?;
        Ok(found.first().map(|c| c.id))
    }

    fn record_ref(r: &Record) -> RecordRef {
        RecordRef {
            entity: r.entity(),
            source_id: r.source().id.clone(),
            label: r.label(),
        }
    }

    async fn write_products(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let products: Vec<&Product> = batch
            .iter()
            .map(|r| match r {
                Record::Product(p) => Ok(p),
                other => Err(ConnectorError::Input(format!(
                    "a products batch holds a {} record ({})",
                    other.entity(),
                    other.label()
                ))),
            })
            .collect::<Result<_>>()?;
        if products.iter().any(|p| !p.categories.is_empty()) {
            self.categories().await?;
        }
        for (i, p) in products.iter().enumerate() {
            let (_, missing) = self.category_refs(&p.categories);
            if !missing.is_empty() {
                self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "category_not_in_target",
                        format!(
                            "\"{}\" is in categories the store does not have ({}); load categories first. The product is loaded without them",
                            p.title,
                            missing.join("; ")
                        ),
                    )
                    .about(Self::record_ref(&batch[i])),
                );
            }
        }
        self.ensure_tags(&products, batch).await?;
        let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; products.len()];
        // Created or Updated, decided by the first look-up: a create that landed before an
        // ambiguous failure is still a create of this run.
        let mut existed: Vec<Option<bool>> = vec![None; products.len()];
        let mut without_images = vec![false; products.len()];
        let max_rounds = self.client.http.config().max_retries + 2;
        let mut round = 0;
        while outcomes.iter().any(Option::is_none) {
            if round > max_rounds {
                for o in outcomes.iter_mut().filter(|o| o.is_none()) {
                    *o = Some(WriteOutcome::Failed {
                        message: "WooCommerce did not confirm this product after repeated attempts"
                            .into(),
                    });
                }
                break;
            }
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
            }
            round += 1;
            let pending: Vec<usize> = (0..products.len())
                .filter(|i| outcomes[*i].is_none())
                .collect();
            let pending_products: Vec<&Product> = pending.iter().map(|i| products[*i]).collect();
            let ids = self.find_products(&pending_products).await?;
            let mut req: body::Batch<body::Product, body::Product> = body::Batch::default();
            let mut create_idx = vec![];
            let mut update_idx = vec![];
            for (k, &i) in pending.iter().enumerate() {
                existed[i].get_or_insert(ids[k].is_some());
                let body = self.product_body(products[i], !without_images[i]);
                match ids[k] {
                    Some(id) => {
                        req.update.push(body::WithId { id, body });
                        update_idx.push(i);
                    }
                    None => {
                        req.create.push(body);
                        create_idx.push(i);
                    }
                }
            }
            let req = to_body(&req)?;
            let reply = match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/products/batch",
                    &[],
                    Some(&req),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) => self.client.expect_ok(r, "/products/batch")?,
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!(
                        "products batch ambiguous ({m}); looking the products up again"
                    );
                    continue;
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            };
            let endpoint = "POST /products/batch";
            let answered: wire::Batch = parse(endpoint, &reply.body)?;
            let results = [
                (BatchKind::Create, &create_idx),
                (BatchKind::Update, &update_idx),
            ];
            for (kind, idx) in results {
                let items = answered.items(kind);
                for (k, &i) in idx.iter().enumerate() {
                    // An item the reply leaves out is looked up again in the next round.
                    let Some(item) = items.get(k) else {
                        continue;
                    };
                    let result = item
                        .result(endpoint, kind, k)
                        .map_err(ConnectorError::Remote)?;
                    let id = match result {
                        ItemResult::Written(id) => id,
                        ItemResult::Refused { code, message } => {
                            if code == "woocommerce_product_image_upload_error"
                                && !without_images[i]
                            {
                                // An image is a finding on its product, never a failed product.
                                without_images[i] = true;
                                self.findings.push(
                                    Finding::new(
                                        Severity::Warning,
                                        "image_failed",
                                        format!(
                                        "WooCommerce could not fetch an image of \"{}\": {message}",
                                        products[i].title
                                    ),
                                    )
                                    .about(Self::record_ref(&batch[i])),
                                );
                            } else {
                                outcomes[i] = Some(WriteOutcome::Failed {
                                    message: format!("{code}: {message}"),
                                });
                            }
                            continue;
                        }
                    };
                    outcomes[i] = Some(match self.write_variations(products[i], id).await? {
                        Err(message) => WriteOutcome::Failed { message },
                        Ok(()) if existed[i] == Some(true) => WriteOutcome::Updated {
                            target_id: id.to_string(),
                        },
                        Ok(()) => WriteOutcome::Created {
                            target_id: id.to_string(),
                        },
                    });
                }
            }
        }
        Ok(outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not written".into(),
                })
            })
            .collect())
    }

    /// Makes the product's variations match the record's variants, matched by SKU (or by
    /// option values when a variant has no SKU). `Ok(Err(..))` is WooCommerce's refusal.
    async fn write_variations(
        &self,
        p: &Product,
        product_id: u64,
    ) -> Result<std::result::Result<(), String>> {
        if p.options.is_empty() {
            return Ok(Ok(()));
        }
        let path = format!("/products/{product_id}/variations");
        for round in 0..=self.client.http.config().max_retries {
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
            }
            let existing: Vec<wire::VariationKey> = self.client.get_all(&path, &[]).await?;
            let key_of = |sku: Option<&str>, opts: Vec<String>| match sku.filter(|s| !s.is_empty())
            {
                Some(s) => format!("sku:{s}"),
                None => format!("opts:{}", opts.join("/")),
            };
            let mut by_key: HashMap<String, u64> = existing
                .iter()
                .map(|v| {
                    let opts = v.attributes.iter().map(|a| a.option.clone()).collect();
                    (key_of(v.sku.as_deref(), opts), v.id)
                })
                .collect();
            // Batches hold at most 100 objects; big products take several.
            let mut chunks: Vec<body::Batch<body::Variation, body::Variation>> =
                vec![body::Batch::default()];
            let room = |chunks: &mut Vec<body::Batch<_, _>>| {
                if chunks.last().is_none_or(|c| c.len() >= MAX_BATCH) {
                    chunks.push(body::Batch::default());
                }
                chunks.len() - 1
            };
            for v in &p.variants {
                let body = self.variation_body(p, v);
                let at = room(&mut chunks);
                match by_key.remove(&key_of(v.sku.as_deref(), v.option_values.clone())) {
                    Some(id) => chunks[at].update.push(body::WithId { id, body }),
                    None => chunks[at].create.push(body),
                }
            }
            for id in by_key.into_values() {
                let at = room(&mut chunks);
                chunks[at].delete.push(id);
            }
            let mut chunks_done = true;
            for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                let req = to_body(chunk)?;
                match self
                    .client
                    .call(
                        reqwest::Method::POST,
                        &format!("{path}/batch"),
                        &[],
                        Some(&req),
                        Safety::Unsafe,
                    )
                    .await
                {
                    Ok(r) => {
                        let r = self.client.expect_ok(r, &path)?;
                        let endpoint = format!("POST {path}/batch");
                        let answered: wire::Batch = parse(&endpoint, &r.body)?;
                        for kind in [BatchKind::Create, BatchKind::Update, BatchKind::Delete] {
                            for (k, item) in answered.items(kind).iter().enumerate() {
                                let result = item
                                    .result(&endpoint, kind, k)
                                    .map_err(ConnectorError::Remote)?;
                                if let ItemResult::Refused { code, message } = result {
                                    return Ok(Err(format!("variation: {code}: {message}")));
                                }
                            }
                        }
                    }
                    Err(CallError::Ambiguous(_)) => {
                        chunks_done = false;
                        break;
                    }
                    Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
                }
            }
            if chunks_done {
                return Ok(Ok(()));
            }
        }
        Ok(Err(
            "WooCommerce did not confirm the variations after repeated attempts".into(),
        ))
    }

    fn customer_body(c: &Customer) -> body::Customer {
        let addr = |a: Option<&Address>| {
            let a = a.cloned().unwrap_or_default();
            body::Address {
                first_name: a.first_name.or(c.first_name.clone()),
                last_name: a.last_name.or(c.last_name.clone()),
                company: a.company,
                address_1: a.address1,
                address_2: a.address2,
                city: a.city,
                state: a.province,
                postcode: a.zip,
                country: a.country_code,
                email: None,
                phone: a.phone,
            }
        };
        let billing_addr = c
            .addresses
            .iter()
            .find(|a| a.default)
            .or(c.addresses.first());
        let shipping_addr = c
            .addresses
            .iter()
            .find(|a| Some(*a) != billing_addr)
            .or(billing_addr);
        let mut billing = addr(billing_addr);
        billing.phone = billing.phone.or(c.phone.clone());
        billing.email = Some(c.email.clone());
        let shipping = body::Address {
            // The reference's shipping address has no phone.
            phone: None,
            ..addr(shipping_addr)
        };
        let nonempty = |s: &Option<String>| s.clone().filter(|x| !x.trim().is_empty());
        body::Customer {
            email: c.email.clone(),
            first_name: nonempty(&c.first_name),
            last_name: nonempty(&c.last_name),
            billing,
            shipping,
        }
    }

    async fn write_customers(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let customers: Vec<&Customer> = batch
            .iter()
            .map(|r| match r {
                Record::Customer(c) => Ok(c),
                other => Err(ConnectorError::Input(format!(
                    "a customers batch holds a {} record ({})",
                    other.entity(),
                    other.label()
                ))),
            })
            .collect::<Result<_>>()?;
        let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; customers.len()];
        let mut existed: Vec<Option<bool>> = vec![None; customers.len()];
        let mut round = 0;
        while outcomes.iter().any(Option::is_none) {
            if round > self.client.http.config().max_retries + 2 {
                for o in outcomes.iter_mut().filter(|o| o.is_none()) {
                    *o = Some(WriteOutcome::Failed {
                        message:
                            "WooCommerce did not confirm this customer after repeated attempts"
                                .into(),
                    });
                }
                break;
            }
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
            }
            round += 1;
            let mut req: body::Batch<body::Customer, body::Customer> = body::Batch::default();
            let (mut ci, mut ui) = (vec![], vec![]);
            for i in (0..customers.len()).filter(|i| outcomes[*i].is_none()) {
                let id = self
                    .find_customer(&customers[i].email.to_ascii_lowercase())
                    .await?;
                existed[i].get_or_insert(id.is_some());
                let body = Self::customer_body(customers[i]);
                match id {
                    Some(id) => {
                        req.update.push(body::WithId { id, body });
                        ui.push(i);
                    }
                    None => {
                        req.create.push(body);
                        ci.push(i);
                    }
                }
            }
            let req = to_body(&req)?;
            let reply = match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/customers/batch",
                    &[],
                    Some(&req),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) => self.client.expect_ok(r, "/customers/batch")?,
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            };
            let endpoint = "POST /customers/batch";
            let answered: wire::Batch = parse(endpoint, &reply.body)?;
            for (kind, idx) in [(BatchKind::Create, &ci), (BatchKind::Update, &ui)] {
                let items = answered.items(kind);
                for (k, &i) in idx.iter().enumerate() {
                    // An item the reply leaves out is looked up again in the next round.
                    let Some(item) = items.get(k) else {
                        continue;
                    };
                    let result = item
                        .result(endpoint, kind, k)
                        .map_err(ConnectorError::Remote)?;
                    outcomes[i] = Some(match result {
                        ItemResult::Refused { code, message } => WriteOutcome::Failed {
                            message: format!("{code}: {message}"),
                        },
                        ItemResult::Written(id) if existed[i] == Some(true) => {
                            WriteOutcome::Updated {
                                target_id: id.to_string(),
                            }
                        }
                        ItemResult::Written(id) => WriteOutcome::Created {
                            target_id: id.to_string(),
                        },
                    });
                }
            }
        }
        Ok(outcomes
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
impl Target for WooTarget {
    fn platform(&self) -> Platform {
        Platform::WooCommerce
    }

    fn describe(&self) -> String {
        format!("WooCommerce REST API ({})", self.client.store_url)
    }

    async fn resume(&mut self, entity: Entity, checkpoint: Option<&Value>) -> Result<()> {
        if entity == Entity::Products {
            self.created_tags.extend(tags::created_in(checkpoint));
        }
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(MAX_BATCH) {
            out.extend(match entity {
                Entity::Categories => self.write_categories(chunk).await?,
                Entity::Products => self.write_products(chunk).await?,
                Entity::Customers => self.write_customers(chunk).await?,
                Entity::Orders => self.write_orders(chunk).await?,
                Entity::Pages if self.client.wp.is_some() => self.write_pages(chunk).await?,
                other => {
                    return Err(ConnectorError::Input(format!(
                        "the WooCommerce API target has no place for {other}{}",
                        if other == Entity::Pages {
                            " without a WordPress application password (credentials wp_user and wp_app_password)"
                        } else {
                            ""
                        }
                    )))
                }
            });
        }
        Ok(out)
    }

    fn checkpoint(&self, entity: Entity) -> Option<Value> {
        (entity == Entity::Products && !self.created_tags.is_empty())
            .then(|| tags::checkpoint(&self.created_tags))
    }

    async fn clean_up_after_rollback(
        &mut self,
        checkpoints: &[(Entity, Value)],
    ) -> Result<Vec<String>> {
        for (entity, cp) in checkpoints {
            if *entity == Entity::Products {
                self.created_tags.extend(tags::created_in(Some(cp)));
            }
        }
        self.delete_unused_created_tags().await
    }

    /// WooCommerce core has no blog API through WooCommerce and no redirects at all; pages
    /// need WordPress's own API and its application password.
    fn accepts(&self, entity: Entity) -> bool {
        match entity {
            Entity::Categories | Entity::Products | Entity::Customers | Entity::Orders => true,
            Entity::Pages => self.client.wp.is_some(),
            Entity::BlogPosts | Entity::Redirects => false,
        }
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        Ok(match entity {
            Entity::Categories => self.find_category(external_key).await?,
            Entity::Products => self.find_by_slug(external_key).await?,
            Entity::Customers => self.find_customer(external_key).await?,
            Entity::Orders => self.find_order(external_key).await?,
            Entity::Pages if self.client.wp.is_some() => self.find_page(external_key).await?,
            _ => None,
        }
        .map(|id| id.to_string()))
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        if entity == Entity::Pages {
            return self.delete_page(target_id).await;
        }
        let path = match entity {
            Entity::Categories => format!("/products/categories/{target_id}"),
            Entity::Products => format!("/products/{target_id}"),
            Entity::Customers => format!("/customers/{target_id}"),
            Entity::Orders => format!("/orders/{target_id}"),
            other => {
                return Err(ConnectorError::Input(format!(
                    "the WooCommerce API target cannot delete {other}"
                )))
            }
        };
        self.client.delete_for_good(&path).await.map(|_| ())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_decode_back_to_handles() {
        assert_eq!(decode_slug("kad%c4%b1n-giyim"), "kadın-giyim");
        assert_eq!(decode_slug("plain"), "plain");
        assert_eq!(decode_slug("bad%zz%"), "bad%zz%");
    }
}
