//! BigCommerce's order export (Orders > Export, the "Default" template): one row per order with
//! `Order ID`, `Customer ID`, `Customer Email`, `Order Date`, `Order Status`,
//! `Subtotal (ex tax)`, `Tax Total`, `Shipping Cost (ex tax)`, `Ship Method`,
//! `Order Total (inc tax)`, `Order Currency Code`, `Payment Method`, `Discount Amount`,
//! `Billing *` and `Shipping *` address columns, and `Product Details`: the line items as
//! `Product ID: 1, Product Qty: 2, Product SKU: A, Product Name: Hat, Product Unit Price: 10.00,
//! Product Total Price: 20.00|Product ID: ...` (items separated by `|`).
//!
//! Read only: BigCommerce imports no orders from CSV.

use crate::connector::Result;
use crate::files::dates::DateReader;
use crate::files::loaded::{all_rows, cell, cell_finding, date_cell, Ctx, Parsed};
use crate::files::table::{Row, TableFile};
use crate::finding::Severity;
use crate::model::{
    Address, Discount, FinancialStatus, FulfillmentStatus, LineItem, Money, Order, OrderTotals,
    Record, ShippingLine, SourceRef, TaxLine,
};
use crate::platform;
use rust_decimal::Decimal;

/// Parses one `Product Details` item into key/value pairs; a value may itself hold ", " (a
/// name "Hat, blue"), so only ", Product " starts a new pair.
pub fn detail_pairs(item: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for piece in item.split(", Product ") {
        let piece = piece.trim();
        let piece = piece.strip_prefix("Product ").unwrap_or(piece);
        match piece.split_once(':') {
            Some((k, v)) => out.push((k.trim().to_ascii_lowercase(), v.trim().to_string())),
            None => {
                if let Some((_, v)) = out.last_mut() {
                    v.push_str(", Product ");
                    v.push_str(piece);
                }
            }
        }
    }
    out
}

fn address(table: &TableFile, row: &Row, prefix: &str) -> Option<Address> {
    let h = table.header();
    let g = |n: &str| row.opt(h.get(&format!("{prefix} {n}"))).map(str::to_string);
    let a = Address {
        first_name: g("First Name"),
        last_name: g("Last Name"),
        company: g("Company"),
        address1: g("Street 1"),
        address2: g("Street 2"),
        city: g("Suburb").or_else(|| g("City")),
        province: g("State"),
        country_code: g("Country ISO2").or_else(|| g("Country")),
        zip: g("Zip"),
        phone: g("Phone"),
        default: false,
    };
    (!a.is_empty()).then_some(a)
}

pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    table.require(&["Order ID", "Order Total (inc tax)"], "BigCommerce order")?;
    let h = table.header();
    let c = |n: &str| h.get(n);
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    let dates = DateReader::new(ctx.zone, platform::bigcommerce::DAY_ORDER);
    for row in &rows {
        let number = cell(row, c("Order ID")).to_string();
        if number.is_empty() {
            out.note(cell_finding(
                table,
                row,
                c("Order ID"),
                Severity::Warning,
                "missing_number",
                "order has no Order ID; skipped",
            ));
            continue;
        }
        let currency = row
            .opt(c("Order Currency Code"))
            .unwrap_or(&ctx.currency)
            .to_string();
        let money = |name: &str, out: &mut Parsed| -> Money {
            let mut f = Vec::new();
            let d = table.decimal(row, c(name), &mut f).unwrap_or_default();
            for x in f {
                out.note(x);
            }
            Money::new(d, currency.clone())
        };
        let subtotal = money("Subtotal (ex tax)", &mut out);
        let tax = money("Tax Total", &mut out);
        let shipping = money("Shipping Cost (ex tax)", &mut out);
        let total = money("Order Total (inc tax)", &mut out);
        let discount = money("Discount Amount", &mut out);
        let mut lines = Vec::new();
        for item in row
            .get(c("Product Details"))
            .split('|')
            .filter(|s| !s.trim().is_empty())
        {
            let pairs = detail_pairs(item);
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            let qty = get("qty").and_then(|q| q.parse::<i64>().ok());
            let price = get("unit price").and_then(|p| crate::model::parse_decimal(&p));
            let (Some(quantity), Some(price)) = (qty, price) else {
                out.note(cell_finding(
                    table,
                    row,
                    c("Product Details"),
                    Severity::Warning,
                    "bad_line_item",
                    format!("order {number}: cannot read quantity and unit price from \"{item}\"; the line was skipped"),
                ));
                continue;
            };
            lines.push(LineItem {
                sku: get("sku").filter(|s| !s.is_empty()),
                title: get("name").unwrap_or_default(),
                variant_title: get("variation details").filter(|s| !s.is_empty()),
                quantity,
                price: Money::new(price, currency.clone()),
                total_discount: None,
                tax_lines: vec![],
                product_ref: get("id"),
            });
        }
        let status = cell(row, c("Order Status")).to_ascii_lowercase();
        let (financial, fulfillment) = match status.as_str() {
            "shipped" | "completed" => (FinancialStatus::Paid, FulfillmentStatus::Fulfilled),
            "partially shipped" => (FinancialStatus::Paid, FulfillmentStatus::Partial),
            "refunded" => (FinancialStatus::Refunded, FulfillmentStatus::Unfulfilled),
            "partially refunded" => (
                FinancialStatus::PartiallyRefunded,
                FulfillmentStatus::Unfulfilled,
            ),
            "cancelled" | "declined" => (FinancialStatus::Voided, FulfillmentStatus::Cancelled),
            "pending" | "awaiting payment" | "incomplete" => {
                (FinancialStatus::Pending, FulfillmentStatus::Unfulfilled)
            }
            _ => (FinancialStatus::Paid, FulfillmentStatus::Unfulfilled),
        };
        let customer = cell(row, c("Customer ID"));
        let order = Order {
            source: SourceRef::new(number.clone()),
            number,
            email: row
                .opt(c("Customer Email"))
                .or(row.opt(c("Billing Email")))
                .map(str::to_string),
            customer_ref: (!customer.is_empty() && customer != "0").then(|| customer.to_string()),
            currency: currency.clone(),
            presentment: None,
            line_items: lines,
            tax_lines: if tax.amount.is_zero() {
                vec![]
            } else {
                vec![TaxLine {
                    title: "Tax".into(),
                    rate: Decimal::ZERO,
                    amount: tax.clone(),
                }]
            },
            discounts: if discount.amount.is_zero() {
                vec![]
            } else {
                vec![Discount {
                    code: String::new(),
                    amount: discount.clone(),
                }]
            },
            shipping_lines: vec![ShippingLine {
                title: row.opt(c("Ship Method")).unwrap_or("Shipping").to_string(),
                code: None,
                price: shipping.clone(),
                tax_lines: vec![],
            }],
            transactions: vec![],
            totals: OrderTotals {
                subtotal,
                discounts: discount,
                shipping,
                tax,
                total,
            },
            financial_status: financial,
            fulfillment_status: fulfillment,
            created_at: date_cell(
                table,
                row,
                c("Order Date"),
                &dates,
                platform::bigcommerce::ORDER_DATE_CLOCK,
                &mut out,
            ),
            processed_at: None,
            cancelled_at: None,
            billing_address: address(table, row, "Billing"),
            shipping_address: address(table, row, "Shipping"),
            note: row.opt(c("Customer Message")).map(str::to_string),
            tags: vec![],
        };
        let diff = order
            .computed_total()
            .saturating_sub(order.totals.total.amount);
        if !order.line_items.is_empty() && diff.abs() > Decimal::new(1, 2) {
            out.note(cell_finding(
                table,
                row,
                c("Order Total (inc tax)"),
                Severity::Warning,
                "totals_disagree",
                format!(
                    "order {}: lines, shipping, discount and tax add up to {} but the total is {}",
                    order.number,
                    order.computed_total(),
                    order.totals.total.amount
                ),
            ));
        }
        out.records.push(Record::Order(Box::new(order)));
    }
    Ok(out)
}
