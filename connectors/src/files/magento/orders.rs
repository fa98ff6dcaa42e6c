//! Magento's sales order grid export (Sales > Orders > Export > CSV): one row per order with
//! `ID`, `Purchase Point`, `Purchase Date`, `Bill-to Name`, `Ship-to Name`,
//! `Grand Total (Base)`, `Grand Total (Purchased)`, `Status`, `Billing Address`,
//! `Shipping Address`, `Shipping Information`, `Customer Email`, `Customer Group`, `Subtotal`,
//! `Shipping and Handling`, `Customer Name`, `Payment Method`, `Total Refunded`.
//!
//! The grid has no line items, tax or discount columns: orders read from it carry their totals,
//! addresses (as one line each) and statuses only, and the file gets one finding saying so.
//! Amounts are formatted with the currency symbol ("$45.00", "€1.234,56").

use crate::connector::Result;
use crate::files::dates::DateReader;
use crate::files::loaded::{all_rows, cell, cell_finding, col, date_cell, Ctx, Parsed};
use crate::files::table::{Row, TableFile};
use crate::finding::Severity;
use crate::model::{
    Address, FinancialStatus, FulfillmentStatus, Money, Order, OrderTotals, Record, SourceRef,
};
use crate::platform;
use rust_decimal::Decimal;

/// Splits "$1,234.50" into the amount and the currency its symbol names.
pub fn amount(text: &str, fallback: &str) -> Option<(Decimal, String)> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let currency = if t.contains('€') {
        "EUR"
    } else if t.contains('£') {
        "GBP"
    } else if t.contains('₺') || t.contains("TL") {
        "TRY"
    } else if t.contains('$') && fallback.is_empty() {
        "USD"
    } else {
        fallback
    };
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
        .collect();
    crate::model::parse_decimal(&digits).map(|d| (d, currency.to_string()))
}

fn one_line_address(name: &str, text: &str) -> Option<Address> {
    if text.trim().is_empty() && name.trim().is_empty() {
        return None;
    }
    let (first, last) = match name.trim().rsplit_once(' ') {
        Some((f, l)) => (Some(f.to_string()), Some(l.to_string())),
        None => (
            Some(name.trim().to_string()).filter(|s| !s.is_empty()),
            None,
        ),
    };
    Some(Address {
        first_name: first,
        last_name: last,
        address1: Some(text.trim().to_string()).filter(|s| !s.is_empty()),
        ..Address::default()
    })
}

pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    table.require(&["ID", "Grand Total (Purchased)"], "Magento order grid")?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (
        id,
        date,
        bill,
        ship,
        total,
        status,
        baddr,
        saddr,
        email,
        sub,
        shipping,
        refunded,
        payment,
    ) = (
        c("ID"),
        c("Purchase Date"),
        c("Bill-to Name"),
        c("Ship-to Name"),
        c("Grand Total (Purchased)"),
        c("Status"),
        c("Billing Address"),
        c("Shipping Address"),
        c("Customer Email"),
        c("Subtotal"),
        c("Shipping and Handling"),
        c("Total Refunded"),
        c("Payment Method"),
    );
    let mut out = Parsed::default();
    out.note(
        table
            .finding(
                Severity::Warning,
                "orders_totals_only",
                table.header_line(),
                None,
                "Magento's order grid export has no line items, tax or discount columns: these orders \
                 carry totals, statuses and addresses only (tax is the remainder of the grand total)",
            ),
    );
    let rows = all_rows(table, &mut out)?;
    let dates = DateReader::new(ctx.zone, platform::magento::DAY_ORDER);
    for row in &rows {
        let number = cell(row, id).trim_start_matches('#').to_string();
        if number.is_empty() {
            out.note(cell_finding(
                table,
                row,
                id,
                Severity::Warning,
                "missing_number",
                "order has no ID; skipped",
            ));
            continue;
        }
        let money = |col: Option<usize>, out: &mut Parsed| -> Option<Money> {
            let raw = cell(row, col);
            match amount(raw, &ctx.currency) {
                Some((d, cur)) => Some(Money::new(d, cur)),
                None if raw.is_empty() => None,
                None => {
                    out.note(cell_finding(
                        table,
                        row,
                        col,
                        Severity::Warning,
                        "bad_number",
                        format!("\"{raw}\" is not an amount; read as 0"),
                    ));
                    None
                }
            }
        };
        let grand = money(total, &mut out);
        let currency = grand
            .as_ref()
            .map(|m| m.currency.clone())
            .unwrap_or_else(|| ctx.currency.clone());
        let zero = || Money::zero(currency.clone());
        let subtotal = money(sub, &mut out).unwrap_or_else(zero);
        let ship_cost = money(shipping, &mut out).unwrap_or_else(zero);
        let grand = grand.unwrap_or_else(zero);
        let refund = money(refunded, &mut out)
            .map(|m| m.amount)
            .unwrap_or_default();
        let tax = grand.amount - subtotal.amount - ship_cost.amount;
        let st = cell(row, status).to_ascii_lowercase();
        let financial = match st.as_str() {
            "closed" => FinancialStatus::Refunded,
            "canceled" | "cancelled" => FinancialStatus::Voided,
            "pending" | "pending_payment" | "payment_review" | "holded" => FinancialStatus::Pending,
            _ if refund > Decimal::ZERO && refund < grand.amount => {
                FinancialStatus::PartiallyRefunded
            }
            _ => FinancialStatus::Paid,
        };
        let fulfillment = match st.as_str() {
            "complete" | "closed" => FulfillmentStatus::Fulfilled,
            "canceled" | "cancelled" => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        };
        let row_ref: &Row = row;
        let created_at = date_cell(
            table,
            row,
            date,
            &dates,
            platform::magento::date_clock(cell(row, date)),
            &mut out,
        );
        out.records.push(Record::Order(Box::new(Order {
            source: SourceRef::new(number.clone()),
            number,
            email: row_ref.opt(email).map(str::to_string),
            customer_ref: None,
            currency: currency.clone(),
            presentment: None,
            line_items: vec![],
            tax_lines: vec![],
            discounts: vec![],
            shipping_lines: vec![],
            transactions: vec![],
            totals: OrderTotals {
                subtotal,
                discounts: zero(),
                shipping: ship_cost,
                tax: Money::new(tax, currency.clone()),
                total: grand,
            },
            financial_status: financial,
            fulfillment_status: fulfillment,
            created_at,
            processed_at: None,
            cancelled_at: None,
            billing_address: one_line_address(cell(row, bill), cell(row, baddr)),
            shipping_address: one_line_address(cell(row, ship), cell(row, saddr)),
            note: row_ref.opt(payment).map(|p| format!("Payment method: {p}")),
            tags: vec![],
        })));
    }
    Ok(out)
}
