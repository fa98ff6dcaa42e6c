//! Orders: read through the `orders` connection, written through `orderCreate` (Shopify's way
//! to import orders from another system) with a custom-id metafield so `orderByIdentifier`
//! finds an order again and a repeated load never creates it twice.
//!
//! What `orderCreate` cannot express becomes a note (a finding on the order): it takes one
//! discount code (several are merged into one), no per-line discounts (they join the order's
//! discount), no cancellation, and tax lines either on the order or on its lines.

use super::catalog::address_from;
use super::nonempty;
use super::reply::{MoneyBag, OrderNode, TaxLineReply};
use crate::model::*;
use crate::platform::shopify as facts;
use rust_decimal::Decimal;
use serde_json::{json, Value};

// The fields read here are selected in `documents.rs` (order fields, fragment L).

/// One of a money bag's two amounts, in its currency: the shop's (every amount of the
/// canonical order) or the presentment one (what the customer was shown and charged).
#[derive(Clone, Copy)]
struct Side<'a> {
    presentment: bool,
    currency: &'a str,
}

fn bag(v: &MoneyBag, side: Side) -> Money {
    let amount = if side.presentment {
        v.presentment_money.amount
    } else {
        v.shop_money.amount
    };
    Money::new(amount, side.currency)
}

/// A nullable money bag: Shopify leaves it `null` where there is nothing (no tax, no discount).
fn bag_or_zero(v: Option<&MoneyBag>, side: Side) -> Money {
    v.map(|b| bag(b, side))
        .unwrap_or_else(|| Money::new(Decimal::ZERO, side.currency))
}

fn taxes(lines: &[TaxLineReply], side: Side) -> Vec<TaxLine> {
    lines
        .iter()
        .map(|t| TaxLine {
            title: t.title.clone(),
            rate: t.rate.unwrap_or_default(),
            amount: bag(&t.price_set, side),
        })
        .collect()
}

/// The order's totals as the canonical order counts them.
fn totals(node: &OrderNode, side: Side) -> OrderTotals {
    let discounts = bag_or_zero(node.total_discounts_set.as_ref(), side);
    OrderTotals {
        // Shopify's subtotal is after discounts; the canonical one is before.
        subtotal: Money::new(
            bag_or_zero(node.subtotal_price_set.as_ref(), side).amount + discounts.amount,
            side.currency,
        ),
        discounts,
        shipping: bag(&node.total_shipping_price_set, side),
        tax: bag_or_zero(node.total_tax_set.as_ref(), side),
        total: bag(&node.total_price_set, side),
    }
}

/// The customer's amounts, when they paid in another currency than the shop's.
fn presentment(node: &OrderNode) -> Option<Presentment> {
    if node.presentment_currency_code == node.currency_code {
        return None;
    }
    let side = Side {
        presentment: true,
        currency: &node.presentment_currency_code,
    };
    let amounts = |lines: &[TaxLineReply]| -> Vec<Money> {
        taxes(lines, side).into_iter().map(|t| t.amount).collect()
    };
    Some(Presentment {
        currency: node.presentment_currency_code.clone(),
        totals: totals(node, side),
        line_items: node
            .line_items
            .nodes
            .iter()
            .map(|l| {
                let discount = bag(&l.total_discount_set, side);
                PresentedLine {
                    price: bag(&l.original_unit_price_set, side),
                    total_discount: (!discount.amount.is_zero()).then_some(discount),
                    tax_lines: amounts(&l.tax_lines),
                }
            })
            .collect(),
        shipping_lines: node
            .shipping_lines
            .nodes
            .iter()
            .map(|sl| PresentedLine {
                price: bag(&sl.original_price_set, side),
                total_discount: None,
                tax_lines: amounts(&sl.tax_lines),
            })
            .collect(),
        tax_lines: amounts(&node.tax_lines),
        transactions: node
            .transactions
            .iter()
            .map(|t| bag(&t.amount_set, side))
            .collect(),
    })
}

/// A node of the `orders` connection (its line items complete) as a canonical order.
pub(super) fn order_from(node: &OrderNode) -> Order {
    let currency = node.currency_code.clone();
    let c = Side {
        presentment: false,
        currency: &currency,
    };
    let line_items = node
        .line_items
        .nodes
        .iter()
        .map(|l| {
            let discount = bag(&l.total_discount_set, c);
            LineItem {
                sku: nonempty(l.sku.as_deref()),
                title: l.title.clone(),
                variant_title: nonempty(l.variant_title.as_deref()),
                quantity: l.quantity,
                price: bag(&l.original_unit_price_set, c),
                total_discount: (!discount.amount.is_zero()).then_some(discount),
                tax_lines: taxes(&l.tax_lines, c),
                product_ref: None,
            }
        })
        .collect();
    let shipping_lines = node
        .shipping_lines
        .nodes
        .iter()
        .map(|sl| ShippingLine {
            title: sl.title.clone(),
            code: nonempty(sl.code.as_deref()),
            price: bag(&sl.original_price_set, c),
            tax_lines: taxes(&sl.tax_lines, c),
        })
        .collect();
    let totals = totals(node, c);
    let discount_total = totals.discounts.clone();
    // Shopify reports one discount total for all codes: it goes with the first code.
    let discounts = match node.discount_codes.first() {
        Some(code) if !discount_total.amount.is_zero() => vec![Discount {
            code: code.clone(),
            amount: discount_total.clone(),
        }],
        _ => vec![],
    };
    let transactions = node
        .transactions
        .iter()
        .map(|t| Transaction {
            kind: t.kind.to_ascii_lowercase(),
            status: t.status.to_ascii_lowercase(),
            gateway: nonempty(t.gateway.as_deref()),
            amount: bag(&t.amount_set, c),
            processed_at: crate::api::time(t.processed_at.clone()),
        })
        .collect();
    let customer = node.customer.as_ref();
    Order {
        source: SourceRef::new(node.id.clone()),
        number: node.name.trim_start_matches('#').to_string(),
        email: nonempty(node.email.as_deref()).or_else(|| customer.and_then(|c| c.email.clone())),
        customer_ref: customer.map(|c| c.id.clone()),
        currency: currency.clone(),
        presentment: presentment(node),
        line_items,
        tax_lines: taxes(&node.tax_lines, c),
        discounts,
        shipping_lines,
        transactions,
        totals,
        financial_status: match node.display_financial_status.as_deref() {
            Some("AUTHORIZED") => FinancialStatus::Authorized,
            Some("PAID") => FinancialStatus::Paid,
            Some("PARTIALLY_PAID") => FinancialStatus::PartiallyPaid,
            Some("REFUNDED") => FinancialStatus::Refunded,
            Some("PARTIALLY_REFUNDED") => FinancialStatus::PartiallyRefunded,
            Some("VOIDED") => FinancialStatus::Voided,
            _ => FinancialStatus::Pending,
        },
        fulfillment_status: match node.display_fulfillment_status.as_str() {
            "FULFILLED" => FulfillmentStatus::Fulfilled,
            "PARTIALLY_FULFILLED" => FulfillmentStatus::Partial,
            _ if node.cancelled_at.is_some() => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        },
        // An imported order's own date is its processedAt; createdAt is the import's time.
        created_at: crate::api::time(Some(node.processed_at.clone()))
            .or_else(|| crate::api::time(Some(node.created_at.clone()))),
        processed_at: crate::api::time(Some(node.processed_at.clone())),
        cancelled_at: crate::api::time(node.cancelled_at.clone()),
        billing_address: node.billing_address.as_ref().map(address_from),
        shipping_address: node.shipping_address.as_ref().map(address_from),
        note: nonempty(node.note.as_deref()),
        tags: node.tags.clone(),
    }
}

fn money(m: &Money) -> Value {
    json!({ "amount": m.amount.normalize().to_string(), "currencyCode": m.currency })
}

/// `MoneyBagInput`: the shop's amount, and the customer's when the order has one (without
/// it Shopify takes the shop's amount as the presentment one).
fn money_input(m: &Money, presented: Option<&Money>) -> Value {
    let mut bag = json!({ "shopMoney": money(m) });
    if let Some(p) = presented {
        bag["presentmentMoney"] = money(p);
    }
    bag
}

fn tax_input(t: &TaxLine, presented: Option<&Money>) -> Value {
    json!({ "title": t.title, "rate": t.rate.normalize().to_string().parse::<f64>().unwrap_or(0.0), "priceSet": money_input(&t.amount, presented) })
}

fn taxes_input(lines: &[TaxLine], presented: Option<&[Money]>) -> Vec<Value> {
    lines
        .iter()
        .enumerate()
        .map(|(i, t)| tax_input(t, presented.and_then(|p| p.get(i))))
        .collect()
}

fn address_input(a: &Address) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("address1", &a.address1),
        ("address2", &a.address2),
        ("city", &a.city),
        ("company", &a.company),
        ("countryCode", &a.country_code),
        ("firstName", &a.first_name),
        ("lastName", &a.last_name),
        ("phone", &a.phone),
        ("provinceCode", &a.province),
        ("zip", &a.zip),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    Value::Object(m)
}

/// The order's name on Shopify: `#` and its number.
pub(super) fn order_name(number: &str) -> String {
    if number.starts_with('#') {
        number.to_string()
    } else {
        format!("#{number}")
    }
}

/// `OrderCreateOrderInput` for an order, plus what could not be carried over.
pub(super) fn order_input(o: &Order, customer_id: Option<&str>, key: &str) -> (Value, Vec<String>) {
    let mut notes = vec![];
    let presented = o.presentment.as_ref().filter(|p| p.currency != o.currency);
    if presented.is_some_and(|p| !p.fits(o)) {
        notes.push(format!(
            "the customer's amounts in {} no longer pair with the order's lines: the order arrives with the shop's amounts only",
            presented.map(|p| p.currency.as_str()).unwrap_or_default()
        ));
    }
    let presented = presented.filter(|p| p.fits(o));
    let line = |i: usize| presented.and_then(|p| p.line_items.get(i));
    let shipping = |i: usize| presented.and_then(|p| p.shipping_lines.get(i));
    let any_line_tax = o.line_items.iter().any(|l| !l.tax_lines.is_empty())
        || o.shipping_lines.iter().any(|s| !s.tax_lines.is_empty());
    let line_discounts: Decimal = o
        .line_items
        .iter()
        .filter_map(|l| l.total_discount.as_ref().map(|d| d.amount))
        .sum();
    let lines: Vec<Value> = o
        .line_items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let p = line(i);
            let mut item = json!({
                "title": l.title, "quantity": l.quantity,
                "priceSet": money_input(&l.price, p.map(|p| &p.price)),
                "taxLines": taxes_input(&l.tax_lines, p.map(|p| p.tax_lines.as_slice())),
            });
            if let Some(sku) = &l.sku {
                item["sku"] = json!(sku);
            }
            if let Some(v) = &l.variant_title {
                item["variantTitle"] = json!(v);
            }
            item
        })
        .collect();
    let mut input = json!({
        "name": order_name(&o.number),
        "currency": o.currency,
        "lineItems": lines,
        "shippingLines": o.shipping_lines.iter().enumerate().map(|(i, s)| {
            let p = shipping(i);
            let mut v = json!({ "title": s.title, "priceSet": money_input(&s.price, p.map(|p| &p.price)),
                                "taxLines": taxes_input(&s.tax_lines, p.map(|p| p.tax_lines.as_slice())) });
            if let Some(c) = &s.code { v["code"] = json!(c); }
            v
        }).collect::<Vec<_>>(),
        "transactions": o.transactions.iter().enumerate().map(|(i, t)| {
            let mut v = json!({
                "kind": t.kind.to_ascii_uppercase(),
                "status": match t.status.to_ascii_lowercase().as_str() { "failure" | "failed" => "FAILURE", "pending" => "PENDING", "error" => "ERROR", _ => "SUCCESS" },
                "amountSet": money_input(&t.amount, presented.and_then(|p| p.transactions.get(i))),
            });
            if let Some(g) = &t.gateway { v["gateway"] = json!(g); }
            if let Some(p) = &t.processed_at { v["processedAt"] = json!(p.to_rfc3339()); }
            v
        }).collect::<Vec<_>>(),
        "financialStatus": match o.financial_status {
            FinancialStatus::Pending => "PENDING",
            FinancialStatus::Authorized => "AUTHORIZED",
            FinancialStatus::Paid => "PAID",
            FinancialStatus::PartiallyPaid => "PARTIALLY_PAID",
            FinancialStatus::Refunded => "REFUNDED",
            FinancialStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
            FinancialStatus::Voided => "VOIDED",
        },
        "processedAt": o.processed_at.or(o.created_at).map(|t| t.to_rfc3339()),
        "tags": o.tags,
        "metafields": [{ "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "type": "id", "value": key }],
    });
    if let Some(p) = presented {
        input["presentmentCurrency"] = json!(p.currency);
    }
    if !any_line_tax && !o.tax_lines.is_empty() {
        input["taxLines"] = json!(taxes_input(
            &o.tax_lines,
            presented.map(|p| p.tax_lines.as_slice())
        ));
    }
    match o.fulfillment_status {
        FulfillmentStatus::Fulfilled => input["fulfillmentStatus"] = json!("FULFILLED"),
        FulfillmentStatus::Partial => input["fulfillmentStatus"] = json!("PARTIAL"),
        FulfillmentStatus::Cancelled => notes.push(
            "Shopify's orderCreate cannot import a cancelled order: it arrives open; cancel it on Shopify (orderCancel) if it must show as cancelled".into(),
        ),
        FulfillmentStatus::Unfulfilled => {}
    }
    if o.cancelled_at.is_some() && o.fulfillment_status != FulfillmentStatus::Cancelled {
        notes.push("Shopify's orderCreate has no cancellation date: the order arrives open".into());
    }
    match customer_id {
        Some(id) => input["customer"] = json!({ "toAssociate": { "id": id } }),
        None => {
            if let Some(e) = &o.email {
                input["email"] = json!(e);
            }
        }
    }
    if let Some(e) = &o.email {
        input["email"] = json!(e);
    }
    if let Some(n) = &o.note {
        input["note"] = json!(n);
    }
    if let Some(a) = &o.billing_address {
        input["billingAddress"] = address_input(a);
    }
    if let Some(a) = &o.shipping_address {
        input["shippingAddress"] = address_input(a);
    }
    let order_discount: Decimal = o.discounts.iter().map(|d| d.amount.amount).sum();
    // The discount the order's total reflects. Shopify and WooCommerce give a line the share
    // of the order's discount allocated to it, which that total already counts: adding the
    // lines' discounts to it would take them off twice. Only an order that states no total
    // is summed from its codes and lines.
    let stated = !o.totals.discounts.amount.is_zero();
    let total_discount = if stated {
        o.totals.discounts.amount
    } else {
        order_discount + line_discounts
    };
    if !total_discount.is_zero() {
        let code = o
            .discounts
            .iter()
            .map(|d| d.code.as_str())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("+");
        let code = if code.is_empty() {
            "IMPORTED".to_string()
        } else {
            code
        };
        if o.discounts.len() > 1 {
            notes.push(format!(
                "Shopify's orderCreate takes one discount code: the codes were merged into \"{code}\" with their total"
            ));
        }
        if !line_discounts.is_zero() {
            notes.push(format!(
                "Shopify's orderCreate has no per-line discounts: the {} discounted on lines is part of the order's discount \"{code}\"",
                line_discounts.normalize()
            ));
        }
        // The customer's side of the one discount: their discount total, when both sides
        // state one.
        let presented_discount = presented
            .filter(|p| stated && !p.totals.discounts.amount.is_zero())
            .map(|p| p.totals.discounts.clone());
        input["discountCode"] = json!({ "itemFixedDiscountCode": { "code": code,
            "amountSet": money_input(&Money::new(total_discount, &o.currency), presented_discount.as_ref()) } });
    }
    (input, notes)
}

#[cfg(test)]
mod tests {
    use super::super::reply::{fixtures, parse};
    use super::*;

    #[test]
    fn a_complete_order_maps_its_money_exactly() {
        let node: OrderNode = parse("list orders", "", &fixtures::order()).expect("reads");
        let o = order_from(&node);
        let eur = |cents: i64| Money::new(Decimal::new(cents, 2), "EUR");
        assert_eq!(o.number, "1007");
        assert_eq!(
            o.email.as_deref(),
            Some("a@b.co"),
            "the customer's when the order has none"
        );
        assert_eq!(o.totals.subtotal, eur(10000), "before discounts");
        assert_eq!(o.totals.tax, eur(0), "a null tax set is no tax");
        assert_eq!(o.totals.total, eur(9505));
        assert_eq!(o.discounts[0].code, "TEN");
        assert_eq!(o.line_items[0].price, eur(5000));
        assert_eq!(o.line_items[0].total_discount, None);
        assert_eq!(o.tax_lines[0].rate, Decimal::new(2, 1));
        assert_eq!(
            o.shipping_address
                .as_ref()
                .and_then(|a| a.country_code.as_deref()),
            Some("DE")
        );
        assert_eq!(o.transactions[0].kind, "sale");
    }

    fn usd(cents: i64) -> Money {
        Money::new(Decimal::new(cents, 2), "USD")
    }

    #[test]
    fn tax_lines_go_on_the_lines_or_the_order_never_both() {
        let mut o = Order {
            source: SourceRef::new("1"),
            number: "1001".into(),
            email: Some("a@b.co".into()),
            customer_ref: None,
            currency: "USD".into(),
            presentment: None,
            line_items: vec![LineItem {
                sku: None,
                title: "Hat".into(),
                variant_title: None,
                quantity: 2,
                price: usd(1000),
                total_discount: Some(usd(100)),
                tax_lines: vec![],
                product_ref: None,
            }],
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: Decimal::new(2, 1),
                amount: usd(380),
            }],
            discounts: vec![],
            shipping_lines: vec![],
            transactions: vec![],
            totals: OrderTotals {
                subtotal: usd(2000),
                discounts: usd(100),
                shipping: usd(0),
                tax: usd(380),
                total: usd(2280),
            },
            financial_status: FinancialStatus::Paid,
            fulfillment_status: FulfillmentStatus::Cancelled,
            created_at: Timestamp::parse_rfc3339("2024-01-01T00:00:00Z"),
            processed_at: None,
            cancelled_at: Timestamp::parse_rfc3339("2024-01-02T00:00:00Z"),
            billing_address: None,
            shipping_address: None,
            note: None,
            tags: vec![],
        };
        let (input, notes) = order_input(&o, None, "1001");
        assert_eq!(input["name"], "#1001");
        // A code whose amount Shopify allocated to the line: the line's share is part of the
        // order's discount, which is taken off once.
        let mut coded = o.clone();
        coded.discounts = vec![Discount {
            code: "TEN".into(),
            amount: usd(100),
        }];
        let (with_code, _) = order_input(&coded, None, "1001");
        assert_eq!(
            with_code["discountCode"]["itemFixedDiscountCode"]["amountSet"]["shopMoney"]["amount"],
            "1"
        );
        assert_eq!(
            with_code["discountCode"]["itemFixedDiscountCode"]["code"],
            "TEN"
        );
        assert_eq!(input["taxLines"][0]["title"], "VAT");
        assert_eq!(input["processedAt"], "2024-01-01T00:00:00Z");
        assert_eq!(
            input["discountCode"]["itemFixedDiscountCode"]["amountSet"]["shopMoney"]["amount"],
            "1"
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        o.line_items[0].tax_lines = o.tax_lines.clone();
        let (input, _) = order_input(&o, Some("gid://shopify/Customer/1"), "1001");
        assert!(input.get("taxLines").is_none());

        // Paid in euros: each bag carries the customer's amount beside the shop's.
        let eur = |cents: i64| Money::new(Decimal::new(cents, 2), "EUR");
        o.presentment = Some(Presentment {
            currency: "EUR".into(),
            totals: OrderTotals {
                subtotal: eur(1840),
                discounts: eur(92),
                shipping: eur(0),
                tax: eur(350),
                total: eur(2098),
            },
            line_items: vec![PresentedLine {
                price: eur(920),
                total_discount: Some(eur(92)),
                tax_lines: vec![eur(350)],
            }],
            shipping_lines: vec![],
            tax_lines: vec![eur(350)],
            transactions: vec![],
        });
        let (input, notes) = order_input(&o, None, "1001");
        assert_eq!(input["presentmentCurrency"], "EUR");
        let price = &input["lineItems"][0]["priceSet"];
        assert_eq!(price["shopMoney"]["amount"], "10");
        assert_eq!(price["presentmentMoney"]["amount"], "9.2");
        assert_eq!(price["presentmentMoney"]["currencyCode"], "EUR");
        assert_eq!(
            input["lineItems"][0]["taxLines"][0]["priceSet"]["presentmentMoney"]["amount"],
            "3.5"
        );
        assert!(!notes.iter().any(|n| n.contains("EUR")), "{notes:?}");
        // A line the customer's amounts do not cover: none of them is sent, and a note says so.
        o.line_items.push(o.line_items[0].clone());
        let (input, notes) = order_input(&o, None, "1001");
        assert!(input.get("presentmentCurrency").is_none());
        assert!(input["lineItems"][0]["priceSet"]
            .get("presentmentMoney")
            .is_none());
        assert!(notes.iter().any(|n| n.contains("EUR")), "{notes:?}");
        let (input, _) = order_input(&o, Some("gid://shopify/Customer/1"), "1001");
        assert_eq!(
            input["customer"]["toAssociate"]["id"],
            "gid://shopify/Customer/1"
        );
    }
}
