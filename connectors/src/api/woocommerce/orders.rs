//! Orders (`/orders`). What the REST API lets a client set is carried: status, currency,
//! customer (by email, to the target's own customer id), addresses, note, payment method, line
//! items by SKU (WooCommerce resolves products and variations by SKU itself), shipping lines,
//! and lines without a product as fee lines. What it keeps for itself is not: `number`, dates,
//! tax lines and totals are read-only (taxes come from the store's own tax settings), and
//! coupon lines must name a coupon the store already has. The source's number and date travel
//! in meta data (the number is what a repeated write finds the order by); everything else that
//! cannot be set is a finding on its order.

use super::wire::{self, meta, text, BatchKind, ItemResult};
use super::{address_from, body, parse, to_body, total_pages, WooClient, WooTarget};
use crate::api::http::{CallError, Safety};
use crate::connector::{ChangedPage, ConnectorError, Cursor, Result, SourcePage, WriteOutcome};
use crate::files::woocommerce::orders::{status_from_canonical, status_to_canonical};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::woocommerce::{MAX_PER_PAGE, ORDER_CREATED_META, ORDER_NUMBER_META};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Coupon codes and amounts of an order whose coupons the target store does not have.
const COUPONS_META: &str = "storeshift_coupons";

pub(super) async fn read_page(
    client: &WooClient,
    cursor: Option<&Cursor>,
    limit: usize,
    since: Option<&str>,
) -> Result<ChangedPage> {
    let page = cursor
        .and_then(|c| c.get("page"))
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let mut q = vec![
        ("page", page.to_string()),
        ("per_page", limit.clamp(1, MAX_PER_PAGE).to_string()),
        ("orderby", "id".into()),
        ("order", "asc".into()),
    ];
    q.extend(super::changes::since_query(since));
    let reply = client.get("/orders", &q).await?;
    let orders: Vec<wire::Order> = parse("GET /orders", &reply.body)?;
    let mut out = SourcePage::default();
    for o in &orders {
        out.records
            .push(Record::Order(Box::new(order_from(o, &client.currency))));
    }
    if page < total_pages(&reply) {
        out.next = Some(json!({ "page": page + 1 }));
    }
    let newest = super::changes::newest(orders.iter().map(|o| &o.dates));
    Ok(ChangedPage { page: out, newest })
}

/// "Size=XL, Color=Sand" from a line item's visible meta data.
fn variant_title(item: &wire::LineItem) -> Option<String> {
    let parts: Vec<String> = item
        .meta_data
        .iter()
        .filter(|m| !m.key.starts_with('_'))
        .map(|m| {
            let k = m.display_key.as_deref().unwrap_or(&m.key);
            let v = match (&m.display_value, &m.value) {
                (Some(Value::String(d)), _) => d.clone(),
                (_, Value::String(v)) => v.clone(),
                (_, v) => v.to_string(),
            };
            format!("{k}={v}")
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn tax_lines(list: &[wire::TaxLine], cur: &str) -> Vec<TaxLine> {
    list.iter()
        .map(|t| TaxLine {
            title: text(&t.label).unwrap_or_else(|| "Tax".into()),
            // Stores older than WooCommerce 3.7 do not say the rate.
            rate: t
                .rate_percent
                .map(|p| (p / Decimal::from(100)).normalize())
                .unwrap_or_default(),
            amount: Money::new(t.tax_total + t.shipping_tax_total, cur),
        })
        .collect()
}

/// A coupon of the source kept in the order's meta data (written by `order_body`).
#[derive(serde::Deserialize, serde::Serialize)]
struct KeptCoupon {
    code: String,
    amount: Decimal,
}

pub(super) fn order_from(o: &wire::Order, default_currency: &str) -> Order {
    let currency = if o.currency.trim().is_empty() {
        default_currency.to_string()
    } else {
        o.currency.clone()
    };
    let cur = currency.as_str();
    let mut subtotal = Decimal::ZERO;
    let mut line_items = vec![];
    for li in &o.line_items {
        let qty = li.quantity;
        let line_sub = li.subtotal;
        subtotal += line_sub;
        let price = if qty != 0 {
            (line_sub / Decimal::from(qty)).round_dp(4)
        } else {
            line_sub
        };
        line_items.push(LineItem {
            sku: text(&li.sku),
            title: li.name.clone(),
            variant_title: variant_title(li),
            quantity: qty,
            price: Money::new(price, cur),
            total_discount: (li.subtotal > li.total)
                .then(|| Money::new(li.subtotal - li.total, cur)),
            tax_lines: vec![],
            product_ref: Some(li.product_id)
                .filter(|id| *id != 0)
                .map(|id| id.to_string()),
        });
    }
    // A fee is a charge without a product: a line without a SKU.
    for fee in &o.fee_lines {
        let total = fee.total;
        subtotal += total;
        line_items.push(LineItem {
            sku: None,
            title: fee.name.clone(),
            variant_title: None,
            quantity: 1,
            price: Money::new(total, cur),
            total_discount: None,
            tax_lines: vec![],
            product_ref: None,
        });
    }
    let mut discounts: Vec<Discount> = o
        .coupon_lines
        .iter()
        .map(|c| Discount {
            code: c.code.clone(),
            amount: Money::new(c.discount, cur),
        })
        .collect();
    if discounts.is_empty() {
        // Written by storeshift itself (order_body); a value it cannot read is no coupon.
        if let Some(Ok(list)) =
            meta(&o.meta_data, COUPONS_META).map(|m| serde_json::from_str::<Vec<KeptCoupon>>(&m))
        {
            discounts = list
                .into_iter()
                .map(|c| Discount {
                    code: c.code,
                    amount: Money::new(c.amount, cur),
                })
                .collect();
        }
    }
    let (financial_status, fulfillment_status) = status_to_canonical(&o.status)
        .unwrap_or((FinancialStatus::Pending, FulfillmentStatus::Unfulfilled));
    let total = Money::new(o.total, cur);
    let transactions = match text(&o.payment_method) {
        Some(gateway) => vec![Transaction {
            kind: "sale".into(),
            status: match financial_status {
                FinancialStatus::Paid
                | FinancialStatus::Refunded
                | FinancialStatus::PartiallyRefunded => "success",
                FinancialStatus::Voided => "failure",
                _ => "pending",
            }
            .into(),
            gateway: Some(gateway),
            amount: total.clone(),
            processed_at: None,
        }],
        None => vec![],
    };
    let id = o.id.to_string();
    let mut billing = address_from(&o.billing);
    if let Some(b) = billing.as_mut() {
        b.default = false;
    }
    Order {
        number: meta(&o.meta_data, ORDER_NUMBER_META)
            .or_else(|| text(&Some(o.number.clone())))
            .unwrap_or_else(|| id.clone()),
        source: SourceRef::new(id),
        email: text(&o.billing.email),
        customer_ref: Some(o.customer_id)
            .filter(|c| *c != 0)
            .map(|c| c.to_string()),
        currency: currency.clone(),
        presentment: None,
        line_items,
        tax_lines: tax_lines(&o.tax_lines, cur),
        discounts,
        shipping_lines: o
            .shipping_lines
            .iter()
            .map(|l| ShippingLine {
                title: text(&l.method_title).unwrap_or_else(|| "Shipping".into()),
                code: text(&l.method_id),
                price: Money::new(l.total, cur),
                tax_lines: vec![],
            })
            .collect(),
        transactions,
        totals: OrderTotals {
            subtotal: Money::new(subtotal, cur),
            discounts: Money::new(o.discount_total, cur),
            shipping: Money::new(o.shipping_total, cur),
            tax: Money::new(o.total_tax, cur),
            total,
        },
        financial_status,
        fulfillment_status,
        // WooCommerce dates orders itself; an order storeshift loaded keeps the source's date.
        created_at: meta(&o.meta_data, ORDER_CREATED_META)
            .and_then(|m| Timestamp::parse_api(&m))
            .or_else(|| super::gmt(&o.dates.date_created_gmt, &o.dates.date_created)),
        processed_at: super::gmt(&o.date_paid_gmt, &o.date_paid),
        cancelled_at: None,
        billing_address: billing,
        shipping_address: address_from(&o.shipping),
        note: text(&o.customer_note),
        tags: vec![],
    }
}

fn address_body(a: Option<&Address>) -> body::Address {
    let a = a.cloned().unwrap_or_default();
    body::Address {
        first_name: a.first_name,
        last_name: a.last_name,
        company: a.company,
        address_1: a.address1,
        address_2: a.address2,
        city: a.city,
        state: a.province,
        postcode: a.zip,
        country: a.country_code,
        email: None,
        phone: None,
    }
}

/// Line meta data from "Size=XL, Color=Sand" (the shape the source reads back).
fn line_meta(variant: Option<&str>) -> Vec<body::LineMeta> {
    let Some(v) = variant.filter(|v| !v.trim().is_empty()) else {
        return vec![];
    };
    let pairs: Option<Vec<body::LineMeta>> = v
        .split(", ")
        .map(|part| {
            part.split_once('=').map(|(k, val)| body::LineMeta {
                key: k.trim().to_string(),
                value: val.trim().to_string(),
            })
        })
        .collect();
    pairs.unwrap_or_else(|| {
        vec![body::LineMeta {
            key: "Variant".into(),
            value: v.to_string(),
        }]
    })
}

/// Line totals after the order's discount. WooCommerce keeps discounts on the lines (subtotal
/// minus total); a discount the source kept on the order alone is spread over the lines in
/// proportion to their totals, so the order still adds up to what the customer paid.
fn spread_order_discount(
    o: &Order,
    lines: &[(Decimal, Decimal)],
    lost: &mut Vec<String>,
) -> Vec<Decimal> {
    let mut totals: Vec<Decimal> = lines.iter().map(|(_, t)| *t).collect();
    let on_lines: Decimal = lines.iter().map(|(s, t)| s - t).sum();
    let order_level = if o.totals.discounts.amount > Decimal::ZERO {
        o.totals.discounts.amount
    } else {
        o.discounts.iter().map(|d| d.amount.amount).sum()
    };
    let rest = order_level - on_lines;
    let base: Decimal = totals.iter().filter(|t| **t > Decimal::ZERO).sum();
    if rest <= Decimal::ZERO || base <= Decimal::ZERO {
        return totals;
    }
    let rest = rest.min(base);
    let mut left = rest;
    let last = totals.iter().rposition(|t| *t > Decimal::ZERO);
    for (i, t) in totals.iter_mut().enumerate() {
        if *t <= Decimal::ZERO {
            continue;
        }
        let share = if Some(i) == last {
            left
        } else {
            (rest * *t / base).round_dp(2)
        };
        left -= share;
        *t -= share;
    }
    lost.push(format!(
        "the order-level discount {rest} {} is spread over the lines (WooCommerce keeps discounts on lines)",
        o.currency
    ));
    totals
}

/// The order as WooCommerce takes it, and what of it cannot be carried.
fn order_body(o: &Order, customer_id: u64) -> (body::Order, Vec<String>) {
    let mut lost = vec![];
    if let Some(p) = o.presentment.as_ref().filter(|p| p.currency != o.currency) {
        lost.push(crate::platform::woocommerce::presentment_not_carried(o, p));
    }
    let lines: Vec<(Decimal, Decimal)> = o
        .line_items
        .iter()
        .map(|l| {
            let sub = l.price.amount * Decimal::from(l.quantity);
            (
                sub,
                sub - l
                    .total_discount
                    .as_ref()
                    .map(|d| d.amount)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let totals = spread_order_discount(o, &lines, &mut lost);
    let mut items = vec![];
    let mut fees = vec![];
    for ((l, (sub, _)), total) in o.line_items.iter().zip(&lines).zip(totals) {
        match l.sku.as_deref().filter(|s| !s.is_empty()) {
            Some(sku) => items.push(body::LineItem {
                sku: sku.to_string(),
                name: l.title.clone(),
                quantity: l.quantity,
                subtotal: sub.round_dp(2).to_string(),
                total: total.round_dp(2).to_string(),
                meta_data: line_meta(l.variant_title.as_deref()),
            }),
            None => {
                lost.push(format!(
                    "line \"{}\" has no SKU and WooCommerce needs a product reference: carried as a fee line",
                    l.title
                ));
                fees.push(body::FeeLine {
                    name: l.title.clone(),
                    total: total.round_dp(2).to_string(),
                    tax_status: body::TaxStatus::None,
                });
            }
        }
    }
    if !o.tax_lines.is_empty() {
        lost.push(format!(
            "tax lines ({}) are read-only in WooCommerce's REST API; the store computes taxes from its own settings",
            o.tax_lines
                .iter()
                .map(|t| format!("{} {}", t.title, t.amount))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut meta = vec![body::Meta {
        key: ORDER_NUMBER_META.into(),
        value: o.number.clone(),
    }];
    if let Some(t) = o.created_at {
        meta.push(body::Meta {
            key: ORDER_CREATED_META.into(),
            value: t.to_rfc3339(),
        });
    }
    if !o.discounts.is_empty() {
        lost.push(format!(
            "coupon codes {} are not coupons in the target store: kept in meta data {COUPONS_META} (the discounts stay in the line totals)",
            o.discounts.iter().map(|d| d.code.as_str()).collect::<Vec<_>>().join(", ")
        ));
        let kept: Vec<KeptCoupon> = o
            .discounts
            .iter()
            .map(|d| KeptCoupon {
                code: d.code.clone(),
                amount: d.amount.amount,
            })
            .collect();
        meta.push(body::Meta {
            key: COUPONS_META.into(),
            // Text and decimals only: serializing them cannot fail.
            value: serde_json::to_string(&kept).unwrap_or_default(),
        });
    }
    let mut billing = address_body(o.billing_address.as_ref());
    billing.email = o.email.clone().filter(|e| !e.trim().is_empty());
    billing.phone = o.billing_address.as_ref().and_then(|a| a.phone.clone());
    let gateway = o
        .transactions
        .iter()
        .find_map(|t| t.gateway.clone())
        .filter(|g| !g.is_empty());
    let paid = matches!(
        o.financial_status,
        FinancialStatus::Paid
            | FinancialStatus::PartiallyPaid
            | FinancialStatus::Refunded
            | FinancialStatus::PartiallyRefunded
    );
    let body = body::Order {
        status: status_from_canonical(o.financial_status, o.fulfillment_status),
        currency: o.currency.clone(),
        customer_id,
        billing,
        shipping: address_body(o.shipping_address.as_ref()),
        customer_note: o.note.clone().filter(|n| !n.is_empty()),
        payment_method: gateway.clone(),
        payment_method_title: gateway,
        meta_data: meta,
        lines: Some(body::OrderLines {
            set_paid: paid,
            line_items: items,
            fee_lines: fees,
            shipping_lines: o
                .shipping_lines
                .iter()
                .map(|l| body::ShippingLine {
                    method_title: l.title.clone(),
                    method_id: l.code.clone().unwrap_or_else(|| "other".into()),
                    total: l.price.amount.round_dp(2).to_string(),
                })
                .collect(),
        }),
    };
    (body, lost)
}

impl WooTarget {
    /// Order number → id of every order in the store (the REST API cannot filter by meta).
    async fn order_index(&mut self) -> Result<&HashMap<String, u64>> {
        if self.orders.is_none() {
            let all: Vec<wire::OrderKey> = self
                .client
                .get_all(
                    "/orders",
                    &[("orderby", "id".into()), ("order", "asc".into())],
                )
                .await?;
            let index = all
                .iter()
                .filter_map(|o| Some((meta(&o.meta_data, ORDER_NUMBER_META)?, o.id)))
                .collect();
            self.orders = Some(index);
        }
        Ok(self.orders.get_or_insert_with(HashMap::new))
    }

    /// Lookups reconcile the writes a crash left pending, before this process writes any
    /// order: one reading of the store answers all of them.
    pub(super) async fn find_order(&mut self, number: &str) -> Result<Option<u64>> {
        Ok(self.order_index().await?.get(number).copied())
    }

    async fn customer_id(&mut self, o: &Order) -> Result<u64> {
        let Some(email) = o.email.as_deref().filter(|_| o.customer_ref.is_some()) else {
            return Ok(0);
        };
        let email = email.trim().to_ascii_lowercase();
        if let Some(id) = self.customer_ids.get(&email) {
            return Ok(*id);
        }
        let id = self.find_customer(&email).await?.unwrap_or(0);
        self.customer_ids.insert(email, id);
        Ok(id)
    }

    pub(super) async fn write_orders(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let orders: Vec<&Order> = batch
            .iter()
            .map(|r| match r {
                Record::Order(o) => Ok(o.as_ref()),
                other => Err(ConnectorError::Input(format!(
                    "an orders batch holds a {} record ({})",
                    other.entity(),
                    other.label()
                ))),
            })
            .collect::<Result<_>>()?;
        let mut bodies = vec![];
        for o in &orders {
            let cid = self.customer_id(o).await?;
            bodies.push(order_body(o, cid));
        }
        let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; orders.len()];
        let mut existed: Vec<Option<bool>> = vec![None; orders.len()];
        let max_rounds = self.client.http.config().max_retries + 2;
        let mut round = 0;
        while outcomes.iter().any(Option::is_none) {
            if round > max_rounds {
                for o in outcomes.iter_mut().filter(|o| o.is_none()) {
                    *o = Some(WriteOutcome::Failed {
                        message: "WooCommerce did not confirm this order after repeated attempts"
                            .into(),
                    });
                }
                break;
            }
            if round > 0 {
                self.client.http.wait_before_retry(round - 1, None).await;
                self.orders = None;
            }
            round += 1;
            let index = self.order_index().await?.clone();
            let mut req: body::Batch<body::Order, body::Order> = body::Batch::default();
            let (mut ci, mut ui) = (vec![], vec![]);
            for i in (0..orders.len()).filter(|i| outcomes[*i].is_none()) {
                let found = index.get(&orders[i].number).copied();
                existed[i].get_or_insert(found.is_some());
                match found {
                    Some(id) => {
                        req.update.push(body::WithId {
                            id,
                            body: bodies[i].0.for_update(),
                        });
                        ui.push(i);
                    }
                    None => {
                        req.create.push(bodies[i].0.clone());
                        ci.push(i);
                    }
                }
            }
            let req = to_body(&req)?;
            let reply = match self
                .client
                .call(
                    reqwest::Method::POST,
                    "/orders/batch",
                    &[],
                    Some(&req),
                    Safety::Unsafe,
                )
                .await
            {
                Ok(r) => self.client.expect_ok(r, "/orders/batch")?,
                Err(CallError::Ambiguous(m)) => {
                    tracing::debug!("orders batch ambiguous ({m}); reading the orders again");
                    continue;
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            };
            let endpoint = "POST /orders/batch";
            let answered: wire::Batch = parse(endpoint, &reply.body)?;
            for (kind, idx) in [(BatchKind::Create, &ci), (BatchKind::Update, &ui)] {
                let items = answered.items(kind);
                for (k, &i) in idx.iter().enumerate() {
                    // An item the reply leaves out is looked up again in the next round.
                    let Some(item) = items.get(k) else {
                        continue;
                    };
                    let id = match item
                        .result(endpoint, kind, k)
                        .map_err(ConnectorError::Remote)?
                    {
                        ItemResult::Written(id) => id,
                        ItemResult::Refused { code, message } => {
                            outcomes[i] = Some(WriteOutcome::Failed {
                                message: format!("{code}: {message}"),
                            });
                            continue;
                        }
                    };
                    if let Some(index) = self.orders.as_mut() {
                        index.insert(orders[i].number.clone(), id);
                    }
                    for why in &bodies[i].1 {
                        self.findings.push(
                            Finding::new(
                                Severity::Info,
                                "order_field_not_carried",
                                format!("order #{}: {why}", orders[i].number),
                            )
                            .about(RecordRef {
                                entity: Entity::Orders,
                                source_id: orders[i].source.id.clone(),
                                label: format!("#{}", orders[i].number),
                            }),
                        );
                    }
                    let target_id = id.to_string();
                    outcomes[i] = Some(if existed[i] == Some(true) {
                        WriteOutcome::Updated { target_id }
                    } else {
                        WriteOutcome::Created { target_id }
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
