//! Reading a store: categories, products (variants are child products whose option values
//! are their `optionGroups`, descriptions live in `product_details`), members, orders and pages,
//! page by page with a `sinceId` cursor.

use super::client::{q, IdeasoftClient};
use super::types;
use super::{prices_from, text};
use crate::connector::{ApiStats, ChangedPage, ConnectorError, Cursor, Result, Source, SourcePage};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::ideasoft::api::{DISCOUNT_AMOUNT, MAX_LIMIT, STANDARD_KDV};
use crate::platform::ideasoft::currency_iso;
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;

/// Category id → (names from the root, slug), filled as categories are seen.
type CategoryPaths = HashMap<u64, (Vec<String>, String)>;

/// The category path of `id`, asking the API for ancestors not seen yet.
async fn category_path(
    client: &IdeasoftClient,
    known: &mut CategoryPaths,
    id: u64,
) -> Result<Vec<String>> {
    // Walk up until a known ancestor (or the root), then fill the cache on the way down.
    let mut chain: Vec<(u64, String, String)> = vec![];
    let mut cursor = Some(id);
    let mut base: Vec<String> = vec![];
    while let Some(cid) = cursor {
        if let Some((path, _)) = known.get(&cid) {
            base = path.clone();
            break;
        }
        if chain.len() > 64 || chain.iter().any(|(c, _, _)| *c == cid) {
            return Err(ConnectorError::Remote(format!(
                "Ideasoft category {id} has a parent chain that loops; fix the category tree in the shop panel"
            )));
        }
        let c: types::Category = client.get("categories", cid).await?;
        chain.push((cid, c.name.trim().to_string(), text(&c.slug)));
        cursor = c.parent.map(|p| p.id);
    }
    for (cid, name, slug) in chain.into_iter().rev() {
        base.push(name);
        known.insert(cid, (base.clone(), slug));
    }
    Ok(base)
}

pub struct IdeasoftSource {
    pub(super) client: IdeasoftClient,
    categories: CategoryPaths,
    /// Problems met while reading the current page.
    findings: Vec<Finding>,
}

impl IdeasoftSource {
    /// Opens with relative paths (the token file) resolved against the current directory.
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Self::open_in(spec, Path::new("."))
    }

    /// `base` is the config file's directory.
    pub fn open_in(spec: &EndpointSpec, base: &Path) -> Result<Self> {
        Ok(IdeasoftSource {
            client: IdeasoftClient::open(spec, base)?,
            categories: HashMap::new(),
            findings: vec![],
        })
    }

    fn remember(&mut self, id: u64, name: Option<&str>, slug: Option<&str>, parent: Option<u64>) {
        // A bare `{id}` reference says nothing about the category.
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return;
        };
        let path = match parent {
            None => Some(vec![name.to_string()]),
            Some(p) => self.categories.get(&p).map(|(pp, _)| {
                let mut v = pp.clone();
                v.push(name.to_string());
                v
            }),
        };
        if let Some(path) = path {
            self.categories
                .insert(id, (path, slug.unwrap_or("").to_string()));
        }
    }

    pub(super) async fn category_from(&mut self, c: &types::Category) -> Result<Category> {
        self.remember(
            c.id,
            Some(&c.name),
            c.slug.as_deref(),
            c.parent.as_ref().map(|p| p.id),
        );
        let path = category_path(&self.client, &mut self.categories, c.id).await?;
        let handle = text(&c.slug);
        Ok(Category {
            source: SourceRef::with_url(
                c.id.to_string(),
                url_path(Platform::Ideasoft, Entity::Categories, &handle, &[]),
            ),
            handle,
            path,
            description_html: text(&c.showcase_content),
            seo: Seo {
                title: opt(&c.page_title),
                description: opt(&c.meta_description),
            },
            // 0 is Ideasoft's "no particular place".
            position: c.sort_order.filter(|p| *p != 0),
            image: None,
        })
    }

    fn variant_from(
        &self,
        v: &types::Product,
        currency: &str,
        option_values: Vec<String>,
    ) -> Variant {
        let (price, compare) = prices_from(
            v.price1,
            v.discount.unwrap_or_default(),
            if v.discount_type == 1 {
                1
            } else {
                DISCOUNT_AMOUNT
            },
        );
        let money = |d: Decimal| Money::new(d.normalize(), currency);
        Variant {
            source_id: Some(v.id.to_string()),
            sku: opt(&Some(v.sku.clone())),
            barcode: opt(&v.barcode),
            price: Some(money(price)),
            compare_at_price: compare.map(money),
            cost: v.buying_price.filter(|c| !c.is_zero()).map(money),
            inventory: Some(
                v.stock_amount
                    .floor()
                    .to_string()
                    .parse::<i64>()
                    .unwrap_or(0),
            ),
            option_values,
            requires_shipping: true,
            taxable: v.tax != Some(0),
            ..Default::default()
        }
    }

    pub(super) async fn product_from(&mut self, p: &types::Product) -> Result<Product> {
        let currency = p
            .currency
            .abbr
            .as_deref()
            .map(currency_iso)
            .unwrap_or_else(|| self.client.currency.clone());
        let children: Vec<types::Product> = if p.has_option == 1 {
            self.client
                .list_all("products", &q(&[("parent", p.id.to_string())]))
                .await?
        } else {
            vec![]
        };
        let details: Vec<types::ProductDetail> = self
            .client
            .page(
                "product_details",
                &q(&[("product", p.id.to_string()), ("limit", "1".into())]),
            )
            .await?;
        let body_html = details
            .into_iter()
            .next()
            .map(|d| d.details)
            .unwrap_or_default();
        let mut categories = vec![];
        for c in &p.categories {
            self.remember(
                c.id,
                c.name.as_deref(),
                c.slug.as_deref(),
                c.parent.as_ref().map(|x| x.id),
            );
            // A category that cannot be read costs the product that link, not the whole page.
            match category_path(&self.client, &mut self.categories, c.id).await {
                Ok(path) => categories.push(path),
                Err(e) => self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "category_unreadable",
                        format!(
                            "product \"{}\" (id {}) is in category {}, which could not be read, so that link is left out: {e}",
                            p.name, p.id, c.id
                        ),
                    )
                    .about(RecordRef {
                        entity: Entity::Products,
                        source_id: p.id.to_string(),
                        label: p.name.clone(),
                    }),
                ),
            }
        }
        // Option groups in the order the variants first use them.
        let mut options: Vec<ProductOption> = vec![];
        for c in &children {
            for (group, value) in pairs(c) {
                match options.iter_mut().find(|o| o.name == group) {
                    Some(o) if !o.values.contains(&value) => o.values.push(value),
                    Some(_) => {}
                    None => options.push(ProductOption {
                        name: group,
                        values: vec![value],
                    }),
                }
            }
        }
        let variants = if children.is_empty() {
            vec![self.variant_from(p, &currency, vec![])]
        } else {
            children
                .iter()
                .map(|c| {
                    let mine = pairs(c);
                    let values = options
                        .iter()
                        .map(|o| {
                            mine.iter()
                                .find(|(g, _)| *g == o.name)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default()
                        })
                        .collect();
                    self.variant_from(c, &currency, values)
                })
                .collect()
        };
        let mut images: Vec<(i64, Image)> = p
            .images
            .iter()
            .filter_map(|im| {
                let src = opt(&im.original_url).or_else(|| opt(&im.thumb_url))?;
                Some((
                    im.sort_order.unwrap_or(0),
                    Image {
                        src,
                        // The document gives an image no alternative text.
                        alt: None,
                        position: 0,
                    },
                ))
            })
            .collect();
        images.sort_by_key(|(o, _)| *o);
        let mut attributes = std::collections::BTreeMap::new();
        if let Some(t) = p.tax.filter(|t| *t != STANDARD_KDV && *t != 0) {
            attributes.insert("ideasoft.tax".to_string(), t.to_string());
        }
        if let Some(s) = opt(&p.short_details) {
            attributes.insert("ideasoft.short_details".to_string(), s);
        }
        if let Some(u) = opt(&p.stock_type_label).filter(|u| u != "Piece") {
            attributes.insert("ideasoft.stock_unit".to_string(), u);
        }
        let handle = text(&p.slug);
        Ok(Product {
            source: SourceRef::with_url(
                p.id.to_string(),
                url_path(Platform::Ideasoft, Entity::Products, &handle, &[]),
            ),
            title: p.name.trim().to_string(),
            body_html,
            vendor: p.brand.as_ref().map(|b| b.name.clone()),
            tags: opt(&p.search_keywords)
                .map(|k| {
                    k.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            status: if p.status == 1 {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            },
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            categories,
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
                title: opt(&p.page_title),
                description: opt(&p.meta_description),
            },
            attributes,
            created_at: crate::api::time(opt(&p.created_at)),
            handle,
            ..Default::default()
        })
    }
}

/// A variant's (option group, option) pairs; without any, its name is its only value.
fn pairs(v: &types::Product) -> Vec<(String, String)> {
    let listed: Vec<(String, String)> = v
        .option_groups
        .iter()
        .flat_map(|g| {
            g.options
                .iter()
                .map(move |o| (g.title.trim().to_string(), o.title.trim().to_string()))
        })
        .collect();
    if listed.is_empty() {
        vec![("Seçenek".to_string(), v.name.trim().to_string())]
    } else {
        listed
    }
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(super) fn customer_from(m: &types::Member) -> Customer {
    let address = Address {
        first_name: opt(&Some(m.firstname.clone())),
        last_name: opt(&Some(m.surname.clone())),
        company: opt(&m.commercial_name),
        address1: opt(&m.address),
        address2: None,
        city: opt(&m.district),
        province: m
            .location
            .as_ref()
            .and_then(|l| opt(&l.name))
            .or_else(|| opt(&m.other_location)),
        country_code: m.country.as_ref().and_then(|c| opt(&c.code)),
        zip: opt(&m.zip_code),
        phone: opt(&m.phone_number),
        default: true,
    };
    // Name and place alone (every member has them) are not an address.
    let has_address = address.address1.is_some() || address.zip.is_some();
    Customer {
        source: SourceRef::new(m.id.to_string()),
        email: m.email.trim().to_string(),
        first_name: opt(&Some(m.firstname.clone())),
        last_name: opt(&Some(m.surname.clone())),
        phone: opt(&m.mobile_phone_number).or_else(|| opt(&m.phone_number)),
        addresses: if has_address { vec![address] } else { vec![] },
        marketing: MarketingConsent {
            email: m.allowed_to_campaigns == Some(1),
            sms: m.allowed_to_sms == Some(1),
            updated_at: None,
        },
        created_at: crate::api::time(opt(&m.created_at)),
        ..Default::default()
    }
}

pub(super) fn page_from(p: &types::Page) -> Page {
    let handle = text(&p.slug);
    Page {
        source: SourceRef::with_url(
            p.id.to_string(),
            url_path(Platform::Ideasoft, Entity::Pages, &handle, &[]),
        ),
        title: p.title.trim().to_string(),
        body_html: p.content.clone(),
        published: p.status == 1,
        seo: Seo {
            title: opt(&p.page_title),
            description: opt(&p.meta_description),
        },
        created_at: crate::api::time(opt(&p.created_at)),
        handle,
    }
}

fn order_address(a: &Option<types::OrderAddress>) -> Option<Address> {
    let a = a.as_ref()?;
    let addr = Address {
        first_name: opt(&a.firstname),
        last_name: opt(&a.surname),
        company: None,
        address1: opt(&a.address),
        address2: None,
        city: opt(&a.sub_location),
        province: opt(&a.location),
        country_code: opt(&a.country).map(|c| match c.as_str() {
            "Türkiye" | "Turkey" | "TR" => "TR".to_string(),
            other => other.to_string(),
        }),
        zip: opt(&a.zip_code),
        phone: opt(&a.mobile_phone_number).or_else(|| opt(&a.phone_number)),
        default: false,
    };
    (!addr.is_empty()).then_some(addr)
}

/// An order as Ideasoft keeps it: prices include KDV at `productTax` percent, the shipping
/// and the coupon are order-level amounts, `finalAmount` is what the customer paid.
pub(super) fn order_from(o: &types::Order) -> Order {
    let currency = currency_iso(&o.currency);
    let money = |d: Decimal| Money::new(d.normalize(), currency.clone());
    let line_items: Vec<LineItem> = o
        .order_items
        .iter()
        .map(|it| {
            let rate = it.product_tax / Decimal::ONE_HUNDRED;
            let gross = it.product_price * it.product_quantity;
            let tax = (gross * rate / (Decimal::ONE + rate)).round_dp(2);
            LineItem {
                sku: opt(&Some(it.product_sku.clone())),
                title: it.product_name.trim().to_string(),
                variant_title: None,
                quantity: it.product_quantity.floor().to_string().parse().unwrap_or(1),
                price: money(it.product_price),
                total_discount: it.discount.filter(|d| !d.is_zero()).map(money),
                tax_lines: if rate.is_zero() {
                    vec![]
                } else {
                    vec![TaxLine {
                        title: "KDV".into(),
                        rate: rate.normalize(),
                        amount: money(tax),
                    }]
                },
                product_ref: None,
            }
        })
        .collect();
    let coupon = o.coupon_discount;
    let shipping = o.shipping_amount;
    let tax: Decimal = line_items
        .iter()
        .flat_map(|l| &l.tax_lines)
        .map(|t| t.amount.amount)
        .sum();
    let status = o.status.as_str();
    let payment = o.payment_status.as_str();
    let provider = opt(&o.shipping_provider_name);
    Order {
        source: SourceRef::new(o.id.to_string()),
        number: o.transaction_id.trim().to_string(),
        email: opt(&Some(o.customer_email.clone())),
        customer_ref: o.member.as_ref().map(|m| m.id.to_string()),
        tax_lines: vec![],
        discounts: if coupon.is_zero() {
            vec![]
        } else {
            vec![Discount {
                code: "kupon".into(),
                amount: money(coupon),
            }]
        },
        shipping_lines: if shipping.is_zero() && provider.is_none() {
            vec![]
        } else {
            vec![ShippingLine {
                title: provider.unwrap_or_else(|| "Kargo".into()),
                code: None,
                price: money(shipping),
                tax_lines: vec![],
            }]
        },
        transactions: if payment == "success" && !o.payment_type_name.trim().is_empty() {
            vec![Transaction {
                kind: "sale".into(),
                status: "success".into(),
                gateway: Some(o.payment_type_name.trim().to_string()),
                amount: money(o.final_amount),
                processed_at: crate::api::time(opt(&o.created_at)),
            }]
        } else {
            vec![]
        },
        totals: OrderTotals {
            subtotal: money(o.general_amount),
            discounts: money(coupon),
            shipping: money(shipping),
            tax: money(tax),
            total: money(o.final_amount),
        },
        financial_status: match (status, payment) {
            ("refunded", _) => FinancialStatus::Refunded,
            (_, "success") => FinancialStatus::Paid,
            ("cancelled", _) | (_, "failed") => FinancialStatus::Voided,
            _ => FinancialStatus::Pending,
        },
        fulfillment_status: match status {
            "fulfilled" | "delivered" => FulfillmentStatus::Fulfilled,
            "cancelled" => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        },
        created_at: crate::api::time(opt(&o.created_at)),
        processed_at: None,
        cancelled_at: (status == "cancelled")
            .then(|| crate::api::time(opt(&o.updated_at)))
            .flatten(),
        billing_address: order_address(&o.billing_address),
        shipping_address: order_address(&o.shipping_address),
        currency,
        presentment: None,
        line_items,
        note: None,
        tags: vec![],
    }
}

#[async_trait]
impl Source for IdeasoftSource {
    fn platform(&self) -> Platform {
        Platform::Ideasoft
    }

    fn entities(&self) -> Vec<Entity> {
        vec![
            Entity::Categories,
            Entity::Products,
            Entity::Customers,
            Entity::Orders,
            Entity::Pages,
        ]
    }

    fn describe(&self) -> String {
        format!("Ideasoft API ({})", self.client.base)
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    /// Pages by `sinceId` (ascending ids), which stays right while the store changes; the
    /// cursor is the last id read.
    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        Ok(self.list(entity, cursor, limit, None).await?.page)
    }

    /// The document's `startUpdatedAt` filter: a date and time (`yyyy-mm-dd hh:mm:ss`) on
    /// products, a date (`yyyy-mm-dd`) on categories and pages. Members and orders have no
    /// filter on `updatedAt` (`/members` only filters the consent fields' update times, `/orders`
    /// only `createdAt`), so they are read whole.
    async fn read_changed(
        &mut self,
        entity: Entity,
        since: &str,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Option<ChangedPage>> {
        match changed_since(entity, since) {
            Some(filter) => Ok(Some(self.list(entity, cursor, limit, Some(filter)).await?)),
            None => Ok(None),
        }
    }

    /// Every id of `entity`, a hundred records a request: the document offers no field
    /// selection, so whole records come back, but nothing else is read (no variants, details
    /// or categories). Variants (child products) are left out: they travel inside their parent.
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        let Some(resource) = resource_of(entity) else {
            return Ok(None);
        };
        let rows: Vec<IdAndParent> = self.client.list_all(resource, &[]).await?;
        Ok(Some(
            rows.into_iter()
                .filter(|r| entity != Entity::Products || r.parent.is_none())
                .map(|r| r.id.to_string())
                .collect(),
        ))
    }
}

/// Only what tells a listed record apart.
#[derive(serde::Deserialize)]
struct IdAndParent {
    id: u64,
    #[serde(default)]
    parent: Option<types::IdRef>,
}

fn resource_of(entity: Entity) -> Option<&'static str> {
    Some(match entity {
        Entity::Categories => "categories",
        Entity::Products => "products",
        Entity::Customers => "members",
        Entity::Orders => "orders",
        Entity::Pages => "pages",
        _ => return None,
    })
}

/// The `startUpdatedAt` query value for a window starting at `since` (RFC 3339), in the form
/// the document gives for `entity`, or `None` when the entity has no such filter. The document
/// names no time zone: the value is the UTC wall clock, so a store reading it in its own zone
/// (Turkey, UTC+3) starts the window three hours earlier, never later; what that re-reads is
/// skipped by content hash. A date-only filter starts at the window's day.
pub(super) fn changed_since(entity: Entity, since: &str) -> Option<(String, String)> {
    let t = chrono::DateTime::parse_from_rfc3339(since)
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let value = match entity {
        Entity::Products => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Entity::Categories | Entity::Pages => t.format("%Y-%m-%d").to_string(),
        _ => return None,
    };
    Some(("startUpdatedAt".to_string(), value))
}

/// The newest `updatedAt` among `times`, as RFC 3339 UTC.
fn newest<'a>(times: impl Iterator<Item = Option<&'a String>>) -> Option<String> {
    times
        .flatten()
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .max()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl IdeasoftSource {
    /// A page of `entity` by `sinceId`; `filter` (from [`changed_since`]) keeps the records
    /// saved since the window's start.
    async fn list(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
        filter: Option<(String, String)>,
    ) -> Result<ChangedPage> {
        let Some(resource) = resource_of(entity) else {
            return Ok(ChangedPage::default());
        };
        let since = cursor
            .and_then(|c| c.get("since_id"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let limit = limit.clamp(1, MAX_LIMIT);
        let mut query = q(&[("sort", "id".into()), ("limit", limit.to_string())]);
        if since > 0 {
            query.push(("sinceId".into(), since.to_string()));
        }
        let filtered = filter.is_some();
        query.extend(filter);
        let mut out = SourcePage::default();
        let (n, last, newest) = match entity {
            Entity::Categories => {
                let raw: Vec<types::Category> = self.client.page(resource, &query).await?;
                for c in &raw {
                    out.records
                        .push(Record::Category(self.category_from(c).await?));
                }
                let newest = newest(raw.iter().map(|c| c.updated_at.as_ref()));
                (raw.len(), raw.last().map(|c| c.id), newest)
            }
            Entity::Products => {
                let raw: Vec<types::Product> = self.client.page(resource, &query).await?;
                // Variants are listed next to their parents; they travel inside them.
                for p in raw.iter().filter(|p| p.parent.is_none()) {
                    out.records
                        .push(Record::Product(self.product_from(p).await?));
                }
                if filtered {
                    // A variant saved alone is selected without its parent: the parent is
                    // read so the change moves with it.
                    let listed: Vec<u64> = raw
                        .iter()
                        .filter(|p| p.parent.is_none())
                        .map(|p| p.id)
                        .collect();
                    let mut parents: Vec<u64> = raw
                        .iter()
                        .filter_map(|p| p.parent.as_ref().map(|r| r.id))
                        .filter(|id| !listed.contains(id))
                        .collect();
                    parents.sort_unstable();
                    parents.dedup();
                    for id in parents {
                        let p: types::Product = self.client.get(resource, id).await?;
                        out.records
                            .push(Record::Product(self.product_from(&p).await?));
                    }
                }
                let newest = newest(raw.iter().map(|p| p.updated_at.as_ref()));
                (raw.len(), raw.last().map(|p| p.id), newest)
            }
            Entity::Customers => {
                let raw: Vec<types::Member> = self.client.page(resource, &query).await?;
                out.records
                    .extend(raw.iter().map(|m| Record::Customer(customer_from(m))));
                (raw.len(), raw.last().map(|m| m.id), None)
            }
            Entity::Orders => {
                let raw: Vec<types::Order> = self.client.page(resource, &query).await?;
                out.records
                    .extend(raw.iter().map(|o| Record::Order(Box::new(order_from(o)))));
                (raw.len(), raw.last().map(|o| o.id), None)
            }
            _ => {
                let raw: Vec<types::Page> = self.client.page(resource, &query).await?;
                out.records
                    .extend(raw.iter().map(|p| Record::Page(page_from(p))));
                let newest = newest(raw.iter().map(|p| p.updated_at.as_ref()));
                (raw.len(), raw.last().map(|p| p.id), newest)
            }
        };
        out.findings = std::mem::take(&mut self.findings);
        if n == limit {
            out.next = Some(json!({ "since_id": last.unwrap_or(since) }));
        }
        Ok(ChangedPage { page: out, newest })
    }
}

#[cfg(test)]
mod changes_tests {
    use super::*;

    #[test]
    fn the_window_is_sent_as_the_document_writes_each_filter() {
        let t = "2026-12-06T07:30:05+02:00";
        assert_eq!(
            changed_since(Entity::Products, t),
            Some(("startUpdatedAt".into(), "2026-12-06 05:30:05".into()))
        );
        assert_eq!(
            changed_since(Entity::Categories, t),
            Some(("startUpdatedAt".into(), "2026-12-06".into()))
        );
        assert_eq!(
            changed_since(Entity::Pages, "2026-12-06T00:30:00Z"),
            Some(("startUpdatedAt".into(), "2026-12-06".into()))
        );
        assert_eq!(changed_since(Entity::Customers, t), None);
        assert_eq!(changed_since(Entity::Orders, t), None);
    }

    #[test]
    fn the_newest_save_is_read_in_utc() {
        let a = "2026-12-06T10:00:00+03:00".to_string();
        let b = "2026-12-06T06:30:00Z".to_string();
        assert_eq!(
            newest([Some(&a), None, Some(&b)].into_iter()).as_deref(),
            Some("2026-12-06T07:00:00Z")
        );
        assert_eq!(newest(std::iter::empty()), None);
    }
}
