//! Orders: read through the `orders` connection, written through `orderCreate` (Shopify's way
//! to import orders from another system) with a custom-id metafield so `orderByIdentifier`
//! finds an order again and a repeated load never creates it twice.
//!
//! What `orderCreate` cannot express becomes a note (a finding on the order): it takes one
//! discount code (several are merged into one), no per-line discounts (they join the order's
//! discount), no cancellation, and tax lines either on the order or on its lines.

use super::{money, s};
use crate::model::*;
use crate::platform::shopify as facts;
use rust_decimal::Decimal;
use serde_json::{json, Value};

// The fields read here are selected in `documents.rs` (order fields, fragment L).

fn bag(v: &Value, currency: &str) -> Money {
    money(&v["shopMoney"]["amount"], currency)
        .unwrap_or_else(|| Money::new(Decimal::ZERO, currency))
}

fn taxes(v: &Value, currency: &str) -> Vec<TaxLine> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|t| TaxLine {
            title: s(t, "title").unwrap_or_default(),
            rate: match &t["rate"] {
                Value::Number(n) => n.to_string().parse().unwrap_or_default(),
                Value::String(x) => x.parse().unwrap_or_default(),
                _ => Decimal::ZERO,
            },
            amount: bag(&t["priceSet"], currency),
        })
        .collect()
}

fn address_from(a: &Value) -> Option<Address> {
    if !a.is_object() {
        return None;
    }
    Some(Address {
        first_name: s(a, "firstName"),
        last_name: s(a, "lastName"),
        company: s(a, "company"),
        address1: s(a, "address1"),
        address2: s(a, "address2"),
        city: s(a, "city"),
        province: s(a, "provinceCode"),
        country_code: s(a, "countryCodeV2"),
        zip: s(a, "zip"),
        phone: s(a, "phone"),
        default: false,
    })
}

/// A node of the `orders` connection (its line items complete) as a canonical order.
pub(super) fn order_from(node: &Value) -> Order {
    let currency = s(node, "currencyCode").unwrap_or_else(|| "USD".into());
    let c = currency.as_str();
    let line_items = node
        .pointer("/lineItems/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| {
            let discount = bag(&l["totalDiscountSet"], c);
            LineItem {
                sku: s(l, "sku"),
                title: s(l, "title").unwrap_or_default(),
                variant_title: s(l, "variantTitle"),
                quantity: l["quantity"].as_i64().unwrap_or(1),
                price: bag(&l["originalUnitPriceSet"], c),
                total_discount: (!discount.amount.is_zero()).then_some(discount),
                tax_lines: taxes(&l["taxLines"], c),
                product_ref: None,
            }
        })
        .collect();
    let shipping_lines = node
        .pointer("/shippingLines/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|sl| ShippingLine {
            title: s(sl, "title").unwrap_or_default(),
            code: s(sl, "code"),
            price: bag(&sl["originalPriceSet"], c),
            tax_lines: taxes(&sl["taxLines"], c),
        })
        .collect();
    let discount_total = bag(&node["totalDiscountsSet"], c);
    let codes: Vec<String> = node["discountCodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect();
    // Shopify reports one discount total for all codes: it goes with the first code.
    let discounts = match codes.first() {
        Some(code) if !discount_total.amount.is_zero() => vec![Discount {
            code: code.clone(),
            amount: discount_total.clone(),
        }],
        _ => vec![],
    };
    let transactions = node["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Transaction {
            kind: s(t, "kind").unwrap_or_default().to_ascii_lowercase(),
            status: s(t, "status").unwrap_or_default().to_ascii_lowercase(),
            gateway: s(t, "gateway"),
            amount: bag(&t["amountSet"], c),
            processed_at: crate::api::time(s(t, "processedAt")),
        })
        .collect();
    let name = s(node, "name").unwrap_or_default();
    Order {
        source: SourceRef::new(s(node, "id").unwrap_or_default()),
        number: name.trim_start_matches('#').to_string(),
        email: s(node, "email").or_else(|| {
            node.pointer("/customer/email")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        customer_ref: node
            .pointer("/customer/id")
            .and_then(Value::as_str)
            .map(str::to_string),
        currency: currency.clone(),
        line_items,
        tax_lines: taxes(&node["taxLines"], c),
        discounts,
        shipping_lines,
        transactions,
        totals: OrderTotals {
            // Shopify's subtotal is after discounts; the canonical one is before.
            subtotal: Money::new(
                bag(&node["subtotalPriceSet"], c).amount + discount_total.amount,
                c,
            ),
            discounts: discount_total,
            shipping: bag(&node["totalShippingPriceSet"], c),
            tax: bag(&node["totalTaxSet"], c),
            total: bag(&node["totalPriceSet"], c),
        },
        financial_status: match node["displayFinancialStatus"].as_str() {
            Some("AUTHORIZED") => FinancialStatus::Authorized,
            Some("PAID") => FinancialStatus::Paid,
            Some("PARTIALLY_PAID") => FinancialStatus::PartiallyPaid,
            Some("REFUNDED") => FinancialStatus::Refunded,
            Some("PARTIALLY_REFUNDED") => FinancialStatus::PartiallyRefunded,
            Some("VOIDED") => FinancialStatus::Voided,
            _ => FinancialStatus::Pending,
        },
        fulfillment_status: match node["displayFulfillmentStatus"].as_str() {
            Some("FULFILLED") => FulfillmentStatus::Fulfilled,
            Some("PARTIALLY_FULFILLED") => FulfillmentStatus::Partial,
            _ if node["cancelledAt"].is_string() => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        },
        // An imported order's own date is its processedAt; createdAt is the import's time.
        created_at: crate::api::time(s(node, "processedAt").or_else(|| s(node, "createdAt"))),
        processed_at: crate::api::time(s(node, "processedAt")),
        cancelled_at: crate::api::time(s(node, "cancelledAt")),
        billing_address: address_from(&node["billingAddress"]),
        shipping_address: address_from(&node["shippingAddress"]),
        note: s(node, "note"),
        tags: node["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
    }
}

fn money_input(m: &Money) -> Value {
    json!({ "shopMoney": { "amount": m.amount.normalize().to_string(), "currencyCode": m.currency } })
}

fn tax_input(t: &TaxLine) -> Value {
    json!({ "title": t.title, "rate": t.rate.normalize().to_string().parse::<f64>().unwrap_or(0.0), "priceSet": money_input(&t.amount) })
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
        .map(|l| {
            let mut item = json!({
                "title": l.title, "quantity": l.quantity, "priceSet": money_input(&l.price),
                "taxLines": l.tax_lines.iter().map(tax_input).collect::<Vec<_>>(),
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
        "shippingLines": o.shipping_lines.iter().map(|s| {
            let mut v = json!({ "title": s.title, "priceSet": money_input(&s.price), "taxLines": s.tax_lines.iter().map(tax_input).collect::<Vec<_>>() });
            if let Some(c) = &s.code { v["code"] = json!(c); }
            v
        }).collect::<Vec<_>>(),
        "transactions": o.transactions.iter().map(|t| {
            let mut v = json!({
                "kind": t.kind.to_ascii_uppercase(),
                "status": match t.status.to_ascii_lowercase().as_str() { "failure" | "failed" => "FAILURE", "pending" => "PENDING", "error" => "ERROR", _ => "SUCCESS" },
                "amountSet": money_input(&t.amount),
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
    if !any_line_tax && !o.tax_lines.is_empty() {
        input["taxLines"] = json!(o.tax_lines.iter().map(tax_input).collect::<Vec<_>>());
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
    let total_discount = order_discount + line_discounts;
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
                "Shopify's orderCreate has no per-line discounts: {} of line discounts joined the order's discount \"{code}\"",
                line_discounts.normalize()
            ));
        }
        input["discountCode"] = json!({ "itemFixedDiscountCode": { "code": code, "amountSet": money_input(&Money::new(total_discount, &o.currency)) } });
    }
    (input, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            input["customer"]["toAssociate"]["id"],
            "gid://shopify/Customer/1"
        );
    }
}
