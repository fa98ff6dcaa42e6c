//! Orders in the "default" CSV layout (one row per order) of the Customer/Order/Coupon Export
//! extension, as its generator defines it (WooCommerce itself exports no orders):
//!
//! `order_id, order_number, order_date, status, shipping_total, shipping_tax_total, fee_total,
//! fee_tax_total, tax_total, discount_total, order_total, refunded_total, order_currency,
//! payment_method, shipping_method, customer_id, billing_*, shipping_*, customer_note,
//! line_items, shipping_items, fee_items, tax_items, coupon_items, refunds, order_notes,
//! download_permissions` (billing_* and shipping_* as in [`super::customers`]).
//!
//! The item columns are "pipe delimited": items are separated by `;`, an item's fields by `|`,
//! each field is `key:value` (a `\` escapes `;` `|` `:` inside values):
//!
//! - line_items: `id:1|name:Hoodie|product_id:45|sku:woo-hoodie|quantity:2|subtotal:90.00|
//!   subtotal_tax:0|total:81.00|total_tax:0|meta:Color=Blue`
//!   (unit price = subtotal / quantity; subtotal − total is the line's discount; `meta` is the
//!   variation, e.g. "Size=M, Color=Red")
//! - shipping_items: `method:Flat rate|method_id:flat_rate|total:4.99`
//! - tax_items: `code:US-NY-TAX-1|title:Sales Tax|rate_percent:8|total:6.40|shipping_tax_amount:0.40`
//!   (the tax line's amount is total + shipping_tax_amount)
//! - coupon_items: `code:WELCOME10|amount:9.00`
//!
//! WebToffee's "Order Export & Order Import" writes the same order columns but one
//! `line_item_N` column per line (`name:Mug|product_id:20|sku:MUG|quantity:2|total:16.00|
//! sub_total:18.00|tax:0.00`); those are read as line items too. Lines, discounts, shipping,
//! fees and taxes must come to `order_total`, or the order gets a `totals_mismatch` warning.
//!
//! Order `status` maps to financial / fulfilment status: pending (pending, unfulfilled),
//! processing (paid, unfulfilled), on-hold (authorized, unfulfilled), completed (paid,
//! fulfilled), cancelled (voided, cancelled), refunded (refunded, fulfilled), failed (voided,
//! unfulfilled) (`platform::woocommerce::ORDER_STATUS_STATES`). Fees and refund details have no
//! canonical place and are not read.

use super::customers::{address_fields, read_address};
use super::{date_field, field, opt_field, RowReader};
use crate::connector::Result;
use crate::files::cells::ColumnGuards;
use crate::files::dates::{DateReader, DayOrder};
use crate::files::table::{push_row, Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::{Finding, Severity};
use crate::model::{
    Discount, Entity, FinancialStatus, FulfillmentStatus, LineItem, Money, Order, OrderTotals,
    Platform, Record, ShippingLine, SourceRef, TaxLine, Transaction, Zone,
};
use crate::platform::woocommerce::{DATE_FORMAT, ORDER_DATE_CLOCK};
use rust_decimal::Decimal;

pub const COLUMNS: &[&str] = &[
    "order_id",
    "order_number",
    "order_date",
    "status",
    "shipping_total",
    "shipping_tax_total",
    "fee_total",
    "fee_tax_total",
    "tax_total",
    "discount_total",
    "order_total",
    "refunded_total",
    "order_currency",
    "payment_method",
    "shipping_method",
    "customer_id",
    "billing_first_name",
    "billing_last_name",
    "billing_company",
    "billing_email",
    "billing_phone",
    "billing_address_1",
    "billing_address_2",
    "billing_postcode",
    "billing_city",
    "billing_state",
    "billing_country",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_company",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_postcode",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "customer_note",
    "line_items",
    "shipping_items",
    "fee_items",
    "tax_items",
    "coupon_items",
    "refunds",
    "order_notes",
    "download_permissions",
];

/// Splits on `sep` where it is not escaped with `\`; removes the escapes.
fn split_escaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if n == ';' || n == '|' || n == ':' || n == '\\' => {
                    // Keep the escape for the inner levels; removed when the value is taken.
                    cur.push('\\');
                    cur.push(n);
                }
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn unescape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if matches!(n, ';' | '|' | ':' | '\\') => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ';' | '|' | ':' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Items of a pipe-delimited column: each a list of (key, value).
pub fn parse_items(s: &str) -> Vec<Vec<(String, String)>> {
    if s.trim().is_empty() {
        return vec![];
    }
    split_escaped(s, ';')
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .map(|item| {
            split_escaped(&item, '|')
                .into_iter()
                .filter_map(|kv| {
                    let parts = split_escaped(&kv, ':');
                    let key = parts.first()?.trim().to_string();
                    let value = parts[1..].join(":");
                    (!key.is_empty()).then(|| (key, unescape_value(&value)))
                })
                .collect()
        })
        .collect()
}

/// Writes items in the pipe-delimited form [`parse_items`] reads.
pub fn format_items(items: &[Vec<(&str, String)>]) -> String {
    items
        .iter()
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| format!("{k}:{}", escape_value(v)))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn get<'a>(item: &'a [(String, String)], key: &str) -> Option<&'a str> {
    item.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The states a WooCommerce order status stands for (the table in [`crate::platform::woocommerce`]).
pub fn status_to_canonical(status: &str) -> Option<(FinancialStatus, FulfillmentStatus)> {
    crate::platform::woocommerce::order_status_states(status)
}

/// The status an order with these states is written with.
pub fn status_from_canonical(f: FinancialStatus, s: FulfillmentStatus) -> &'static str {
    crate::platform::woocommerce::order_status(f, s)
}

fn money(
    t: &TableFile,
    row: &Row,
    name: &str,
    currency: &str,
    findings: &mut Vec<Finding>,
) -> Money {
    let d = t
        .decimal(row, t.header().get(name), findings)
        .unwrap_or(Decimal::ZERO);
    Money::new(d, currency)
}

fn item_decimal(
    t: &TableFile,
    row: &Row,
    col: &str,
    item: &[(String, String)],
    key: &str,
    findings: &mut Vec<Finding>,
) -> Option<Decimal> {
    let raw = get(item, key)?;
    match crate::model::parse_decimal(raw) {
        Some(d) => Some(d),
        None => {
            findings.push(t.finding(
                Severity::Warning,
                "bad_number",
                row.line,
                t.header().get(col),
                if crate::model::is_too_large(raw) {
                    format!(
                        "{key} \"{raw}\" is too large for a store figure (a quadrillion or more); \
                         read as empty"
                    )
                } else {
                    format!("{key} \"{raw}\" is not a number; write it like 19.99 (read as empty)")
                },
            ));
            None
        }
    }
}

pub fn reader(table: TableFile, default_currency: &str, zone: Option<Zone>) -> Result<RowReader> {
    let dates = DateReader::new(zone, DayOrder::DayFirst);
    table.require(&["order_id", "order_total"], "WooCommerce order")?;
    let default_currency = default_currency.to_string();
    // WebToffee's order export writes one `line_item_N` column per line instead of one
    // `line_items` cell; both are read, in header order.
    let item_columns: Vec<String> = table
        .header()
        .names()
        .iter()
        .filter(|n| {
            n.as_str() == "line_items"
                || n.strip_prefix("line_item_")
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        })
        .cloned()
        .collect();
    Ok(RowReader::new(
        Entity::Orders,
        table,
        Box::new(move |t, row, findings| {
            let h = t.header();
            let col = |n: &str| h.get(n);
            let id = field(row, col("order_id")).to_string();
            if id.is_empty() {
                findings.push(t.finding(
                    Severity::Blocking,
                    "missing_order_id",
                    row.line,
                    col("order_id"),
                    "order has no order_id; it was skipped. Export the orders again",
                ));
                return None;
            }
            let currency =
                opt_field(row, col("order_currency")).unwrap_or_else(|| default_currency.clone());
            let cur = currency.as_str();
            let status_raw = field(row, col("status"));
            let (financial_status, fulfillment_status) = status_to_canonical(status_raw).unwrap_or_else(|| {
                if !status_raw.is_empty() {
                    findings.push(t.finding(
                        Severity::Warning,
                        "unknown_order_status",
                        row.line,
                        col("status"),
                        format!("order status \"{status_raw}\" is not a WooCommerce status; read as pending"),
                    ));
                }
                (FinancialStatus::Pending, FulfillmentStatus::Unfulfilled)
            });

            let mut line_items = vec![];
            let mut subtotal = Decimal::ZERO;
            let items = item_columns.iter().flat_map(|c| {
                parse_items(field(row, col(c)))
                    .into_iter()
                    .map(move |item| (c.as_str(), item))
            });
            for (item_col, item) in items {
                let qty = get(&item, "quantity")
                    .and_then(|q| q.trim().parse::<i64>().ok())
                    .unwrap_or(1);
                // WebToffee names the subtotal `sub_total`.
                let sub_key =
                    if get(&item, "subtotal").is_none() && get(&item, "sub_total").is_some() {
                        "sub_total"
                    } else {
                        "subtotal"
                    };
                let sub = item_decimal(t, row, item_col, &item, sub_key, findings);
                let total = item_decimal(t, row, item_col, &item, "total", findings);
                let line_sub = sub.or(total).unwrap_or(Decimal::ZERO);
                subtotal = subtotal.saturating_add(line_sub);
                let price = if qty != 0 {
                    let p = line_sub / Decimal::from(qty);
                    if p.scale() > 4 {
                        p.round_dp(4)
                    } else {
                        p
                    }
                } else {
                    line_sub
                };
                let discount = match (sub, total) {
                    (Some(s), Some(t)) if s > t => Some(Money::new(s - t, cur)),
                    _ => None,
                };
                line_items.push(LineItem {
                    sku: get(&item, "sku").map(str::to_string),
                    title: get(&item, "name").unwrap_or("").to_string(),
                    variant_title: get(&item, "meta").map(str::to_string),
                    quantity: qty,
                    price: Money::new(price, cur),
                    total_discount: discount,
                    tax_lines: vec![],
                    product_ref: get(&item, "product_id").map(str::to_string),
                });
            }
            let shipping_lines = parse_items(field(row, col("shipping_items")))
                .into_iter()
                .map(|item| ShippingLine {
                    title: get(&item, "method")
                        .or(get(&item, "method_title"))
                        .unwrap_or("Shipping")
                        .to_string(),
                    code: get(&item, "method_id").map(str::to_string),
                    price: Money::new(
                        item_decimal(t, row, "shipping_items", &item, "total", findings)
                            .unwrap_or_default(),
                        cur,
                    ),
                    tax_lines: vec![],
                })
                .collect();
            let tax_lines = parse_items(field(row, col("tax_items")))
                .into_iter()
                .map(|item| {
                    let total = item_decimal(t, row, "tax_items", &item, "total", findings)
                        .unwrap_or_default();
                    let ship =
                        item_decimal(t, row, "tax_items", &item, "shipping_tax_amount", findings)
                            .unwrap_or_default();
                    let rate = item_decimal(t, row, "tax_items", &item, "rate_percent", findings)
                        .map(|p| (p / Decimal::from(100)).normalize())
                        .unwrap_or_default();
                    TaxLine {
                        title: get(&item, "title")
                            .or(get(&item, "label"))
                            .or(get(&item, "code"))
                            .unwrap_or("Tax")
                            .to_string(),
                        rate,
                        amount: Money::new(total + ship, cur),
                    }
                })
                .collect();
            let discounts = parse_items(field(row, col("coupon_items")))
                .into_iter()
                .map(|item| Discount {
                    code: get(&item, "code").unwrap_or("").to_string(),
                    amount: Money::new(
                        item_decimal(t, row, "coupon_items", &item, "amount", findings)
                            .unwrap_or_default(),
                        cur,
                    ),
                })
                .collect();
            let tax = money(t, row, "tax_total", cur, findings).amount
                + money(t, row, "shipping_tax_total", cur, findings).amount;
            let total = money(t, row, "order_total", cur, findings);
            let discount_total = money(t, row, "discount_total", cur, findings);
            let shipping_total = money(t, row, "shipping_total", cur, findings);
            // WooCommerce's total is lines before discounts, less discounts, plus shipping, fees
            // and taxes (tax_total already holds the fees' tax). Parts that do not add up mean a
            // line or a column was not read: say so rather than move a wrong order.
            let fees = money(t, row, "fee_total", cur, findings).amount;
            let expected = crate::model::saturating_sum([
                subtotal,
                -discount_total.amount,
                shipping_total.amount,
                fees,
                tax,
            ]);
            if expected.saturating_sub(total.amount).abs() > Decimal::new(2, 2) {
                findings.push(t.finding(
                    Severity::Warning,
                    "totals_mismatch",
                    row.line,
                    col("order_total"),
                    format!(
                        "order {id}: {} line(s) ({subtotal}) less discounts ({}) plus shipping ({}), fees \
                         ({fees}) and taxes ({tax}) come to {expected}, but order_total is {}; a line or \
                         column of this export was not read. Check the order in the export",
                        line_items.len(),
                        discount_total.amount,
                        shipping_total.amount,
                        total.amount
                    ),
                ));
            }
            let transactions = match opt_field(row, col("payment_method")) {
                Some(gateway) => vec![Transaction {
                    kind: "sale".to_string(),
                    status: match financial_status {
                        FinancialStatus::Paid
                        | FinancialStatus::Refunded
                        | FinancialStatus::PartiallyRefunded => "success",
                        FinancialStatus::Voided => "failure",
                        _ => "pending",
                    }
                    .to_string(),
                    gateway: Some(gateway),
                    amount: total.clone(),
                    processed_at: None,
                }],
                None => vec![],
            };
            let created_at = date_field(
                &dates,
                t,
                row,
                col("order_date"),
                ORDER_DATE_CLOCK,
                findings,
            );
            let customer_ref = opt_field(row, col("customer_id")).filter(|c| c != "0");
            let number = opt_field(row, col("order_number")).unwrap_or_else(|| id.clone());
            Some(Record::Order(Box::new(Order {
                source: SourceRef::new(id),
                number,
                email: opt_field(row, col("billing_email")),
                customer_ref,
                currency: currency.clone(),
                presentment: None,
                line_items,
                tax_lines,
                discounts,
                shipping_lines,
                transactions,
                totals: OrderTotals {
                    subtotal: Money::new(subtotal, cur),
                    discounts: discount_total,
                    shipping: shipping_total,
                    tax: Money::new(tax, cur),
                    total,
                },
                financial_status,
                fulfillment_status,
                created_at,
                processed_at: None,
                cancelled_at: None,
                billing_address: read_address(t, row, "billing", true),
                shipping_address: read_address(t, row, "shipping", true),
                note: opt_field(row, col("customer_note")),
                tags: vec![],
            })))
        }),
    ))
}

/// Writes orders in the layout [`reader`] reads.
pub struct OrderWriter {
    guards: ColumnGuards,
    zone: Option<Zone>,
}

impl OrderWriter {
    /// For the order import plugin, which keeps a guard as data: none is written.
    pub fn for_import() -> Self {
        OrderWriter {
            guards: ColumnGuards::import(Platform::WooCommerce, "orders.csv", COLUMNS),
            zone: None,
        }
    }

    /// As the export extension writes the file: every column guarded (the demo store).
    pub fn for_export() -> Self {
        OrderWriter {
            guards: ColumnGuards::export(Platform::WooCommerce, COLUMNS),
            zone: None,
        }
    }

    /// Order dates written on the clock of `zone` (the target store's); UTC without one, the
    /// clock the reader assumes when no zone is configured.
    pub fn in_zone(mut self, zone: Option<Zone>) -> Self {
        self.zone = zone;
        self
    }
}

impl EntityWriter for OrderWriter {
    fn entity(&self) -> Entity {
        Entity::Orders
    }

    fn file_name(&self) -> String {
        "orders.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut out = vec![];
        push_row(&mut out, COLUMNS, b',');
        out
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Order(o) = record else {
            return Err(format!(
                "the WooCommerce order file cannot hold {}",
                record.entity()
            ));
        };
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut row: Vec<String> = Vec::with_capacity(COLUMNS.len());
        row.push(o.source.id.clone());
        row.push(o.number.clone());
        row.push(
            o.created_at
                .map(|t| t.format_local(Some(self.zone.unwrap_or(Zone::UTC)), DATE_FORMAT))
                .unwrap_or_default(),
        );
        row.push(status_from_canonical(o.financial_status, o.fulfillment_status).to_string());
        row.push(o.totals.shipping.amount.to_string());
        row.push("0".to_string());
        row.push("0".to_string());
        row.push("0".to_string());
        row.push(o.totals.tax.amount.to_string());
        row.push(o.totals.discounts.amount.to_string());
        row.push(o.totals.total.amount.to_string());
        row.push("0".to_string());
        row.push(o.currency.clone());
        row.push(
            o.transactions
                .first()
                .and_then(|t| t.gateway.clone())
                .unwrap_or_default(),
        );
        row.push(
            o.shipping_lines
                .first()
                .map(|s| s.title.clone())
                .unwrap_or_default(),
        );
        row.push(s(&o.customer_ref));
        let b = address_fields(o.billing_address.as_ref());
        row.extend_from_slice(&b[..3]);
        row.push(s(&o.email));
        row.push(
            o.billing_address
                .as_ref()
                .and_then(|a| a.phone.clone())
                .unwrap_or_default(),
        );
        row.extend_from_slice(&b[3..]);
        row.extend_from_slice(&address_fields(o.shipping_address.as_ref()));
        row.push(s(&o.note));
        let lines: Vec<Vec<(&str, String)>> = o
            .line_items
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sub = crate::model::line_amount(l.price.amount, l.quantity);
                let total = sub.saturating_sub(
                    l.total_discount
                        .as_ref()
                        .map(|d| d.amount)
                        .unwrap_or_default(),
                );
                let tax = crate::model::saturating_sum(l.tax_lines.iter().map(|t| t.amount.amount));
                let mut f = vec![("id", (i + 1).to_string()), ("name", l.title.clone())];
                if let Some(p) = &l.product_ref {
                    f.push(("product_id", p.clone()));
                }
                if let Some(sku) = &l.sku {
                    f.push(("sku", sku.clone()));
                }
                f.push(("quantity", l.quantity.to_string()));
                f.push(("subtotal", sub.to_string()));
                f.push(("total", total.to_string()));
                f.push(("total_tax", tax.to_string()));
                if let Some(m) = &l.variant_title {
                    f.push(("meta", m.clone()));
                }
                f
            })
            .collect();
        row.push(format_items(&lines));
        let ships: Vec<Vec<(&str, String)>> = o
            .shipping_lines
            .iter()
            .map(|sl| {
                let mut f = vec![("method", sl.title.clone())];
                if let Some(c) = &sl.code {
                    f.push(("method_id", c.clone()));
                }
                f.push(("total", sl.price.amount.to_string()));
                f
            })
            .collect();
        row.push(format_items(&ships));
        row.push(String::new());
        let taxes: Vec<Vec<(&str, String)>> = o
            .tax_lines
            .iter()
            .map(|t| {
                vec![
                    ("title", t.title.clone()),
                    (
                        "rate_percent",
                        (t.rate * Decimal::from(100)).normalize().to_string(),
                    ),
                    ("total", t.amount.amount.to_string()),
                ]
            })
            .collect();
        row.push(format_items(&taxes));
        let coupons: Vec<Vec<(&str, String)>> = o
            .discounts
            .iter()
            .map(|d| {
                vec![
                    ("code", d.code.clone()),
                    ("amount", d.amount.amount.to_string()),
                ]
            })
            .collect();
        row.push(format_items(&coupons));
        row.push(String::new());
        row.push(String::new());
        row.push(String::new());
        self.guards.push_row(out, &row, b',');
        Ok(o.number.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_with_separators_in_values_round_trip() {
        let items = vec![vec![
            ("name", "Kazak | kırmızı; L: büyük".to_string()),
            ("total", "9.50".to_string()),
        ]];
        let text = format_items(&items);
        let parsed = parse_items(&text);
        assert_eq!(parsed[0][0].1, "Kazak | kırmızı; L: büyük");
        assert_eq!(parsed[0][1], ("total".to_string(), "9.50".to_string()));
    }

    #[test]
    fn every_status_maps_back_to_itself() {
        for s in [
            "pending",
            "processing",
            "on-hold",
            "completed",
            "cancelled",
            "refunded",
            "failed",
        ] {
            let (f, g) = status_to_canonical(s).unwrap();
            assert_eq!(status_from_canonical(f, g), s);
        }
        assert!(status_to_canonical("wc-completed").is_some());
    }

    fn read_orders(csv: &str) -> (Vec<Order>, Vec<Finding>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("order_export.csv");
        std::fs::write(&path, csv).unwrap();
        let mut reader = reader(
            crate::files::woocommerce::open_table(&path, None).unwrap(),
            "USD",
            crate::model::parse_zone("UTC"),
        )
        .unwrap();
        let page = crate::files::EntityReader::read_page(&mut reader, None, 100).unwrap();
        let orders = page
            .records
            .into_iter()
            .map(|r| match r {
                Record::Order(o) => *o,
                other => panic!("not an order: {other:?}"),
            })
            .collect();
        (orders, page.findings)
    }

    /// WebToffee's "Order Export & Order Import for WooCommerce" writes one `line_item_N`
    /// column per line, with `sub_total` for the subtotal, instead of one `line_items` cell.
    #[test]
    fn line_item_columns_of_the_webtoffee_export_are_read() {
        let csv = "order_id,order_number,order_date,status,shipping_total,shipping_tax_total,fee_total,tax_total,discount_total,order_total,order_currency,payment_method,billing_email,shipping_items,coupon_items,line_item_1,line_item_2,line_item_3\n\
                   501,501,2024-03-01 10:20:30,wc-completed,5.00,0,0,0,2.00,27.00,EUR,bacs,a@example.test,method_id:flat_rate|method_title:Flat rate|total:5.00,code:SAVE2|amount:2.00,name:Mug|product_id:20|sku:MUG|quantity:2|total:16.00|sub_total:18.00|tax:0.00,name:Tea|product_id:21|sku:TEA|quantity:1|total:6.00|sub_total:6.00|tax:0.00,\n";
        let (orders, findings) = read_orders(csv);
        assert!(findings.is_empty(), "{findings:?}");
        let o = &orders[0];
        assert_eq!(o.line_items.len(), 2);
        assert_eq!(o.line_items[0].sku.as_deref(), Some("MUG"));
        assert_eq!(o.line_items[0].quantity, 2);
        assert_eq!(o.line_items[0].price.amount.to_string(), "9.00");
        assert_eq!(
            o.line_items[0]
                .total_discount
                .as_ref()
                .map(|m| m.amount.to_string()),
            Some("2.00".to_string())
        );
        assert_eq!(o.totals.subtotal.amount.to_string(), "24.00");
    }

    /// A layout whose lines cannot be read must not pass silently: the totals say so.
    #[test]
    fn an_order_whose_parts_do_not_add_up_is_reported() {
        let csv = "order_id,order_number,status,shipping_total,tax_total,discount_total,order_total,line_items,items_v2\n\
                   7,7,processing,5.00,0,0,25.00,,name:Mug|quantity:2|total:20.00\n\
                   8,8,processing,5.00,1.00,0,26.00,name:Mug|quantity:2|subtotal:20.00|total:20.00,\n";
        let (orders, findings) = read_orders(csv);
        assert_eq!(orders.len(), 2);
        let bad: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.code == "totals_mismatch")
            .collect();
        assert_eq!(bad.len(), 1, "{findings:?}");
        let loc = bad[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column.as_deref()), (2, Some("order_total")));
        assert!(bad[0].message.contains("25.00"), "{}", bad[0].message);
    }

    /// Found by fuzzing (woo_files): 29-digit amounts overflowed while the order was added up
    /// and the reader panicked. Each is now a finding at its cell, and the order is still read.
    #[test]
    fn figures_past_any_store_are_findings_not_a_crash() {
        let big = "79228162514264337593543950335";
        let csv = format!(
            "order_id,order_number,status,shipping_total,tax_total,discount_total,order_total,line_items\n\
             9,9,processing,{big},{big},-{big},{big},name:Mug|quantity:4294967295|subtotal:{big}|total:-{big}\n\
             10,10,processing,0,0,0,999999999999999,name:Mug|quantity:9223372036854775807|subtotal:999999999999999|total:-999999999999999\n"
        );
        let (orders, findings) = read_orders(&csv);
        assert_eq!(orders.len(), 2, "{findings:?}");
        let too_large: Vec<(u64, Option<&str>)> = findings
            .iter()
            .filter(|f| f.message.contains("too large"))
            .filter_map(|f| f.location.as_ref())
            .map(|l| (l.line, l.column.as_deref()))
            .collect();
        for column in [
            "shipping_total",
            "tax_total",
            "discount_total",
            "order_total",
            "line_items",
        ] {
            assert!(
                too_large.contains(&(2, Some(column))),
                "{column}: {findings:?}"
            );
        }
        assert!(
            too_large.iter().all(|(line, _)| *line == 2),
            "{too_large:?}"
        );
    }
}
