//! `orderCreate` as the Admin API documents it for importing orders from another system: line
//! items with their own price and tax lines, shipping lines, transactions, a customer to
//! associate, `processedAt` in the past, metafields (so a custom id can find the order again).
//! Tax lines go on the order or on its lines, never both.

use super::content::set_metafields;
use super::{find_customer, now, str_of, user_error, Store};
use crate::CreationLog;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

pub(super) const ORDER_INPUT: &[&str] = &[
    "billingAddress",
    "buyerAcceptsMarketing",
    "closedAt",
    "companyLocationId",
    "currency",
    "customAttributes",
    "customer",
    "discountCode",
    "email",
    "financialStatus",
    "fulfillment",
    "fulfillmentStatus",
    "lineItems",
    "metafields",
    "name",
    "note",
    "phone",
    "poNumber",
    "presentmentCurrency",
    "processedAt",
    "referringSite",
    "shippingAddress",
    "shippingLines",
    "sourceIdentifier",
    "sourceName",
    "sourceUrl",
    "tags",
    "taxesIncluded",
    "taxLines",
    "test",
    "transactions",
    "userId",
];

pub(super) const LINE_ITEM_INPUT: &[&str] = &[
    "fulfillmentService",
    "giftCard",
    "priceSet",
    "productId",
    "properties",
    "quantity",
    "requiresShipping",
    "sku",
    "taxable",
    "taxLines",
    "title",
    "variantId",
    "variantTitle",
    "vendor",
    "weight",
];

const T: &str = "OrderCreateUserError";

fn decimal(a: &Value) -> Option<Decimal> {
    match a {
        Value::String(s) => Decimal::from_str(s).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// A `MoneyBagInput`'s two amounts: the shop's, and the customer's (`presentmentMoney`),
/// which Shopify takes to be the shop's amount when the input leaves it out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Amounts {
    shop: Decimal,
    presented: Decimal,
}

impl Amounts {
    fn times(self, n: i64) -> Amounts {
        Amounts {
            shop: self.shop * Decimal::from(n),
            presented: self.presented * Decimal::from(n),
        }
    }
}

impl std::ops::Add for Amounts {
    type Output = Amounts;
    fn add(self, o: Amounts) -> Amounts {
        Amounts {
            shop: self.shop + o.shop,
            presented: self.presented + o.presented,
        }
    }
}

impl std::ops::AddAssign for Amounts {
    fn add_assign(&mut self, o: Amounts) {
        *self = *self + o;
    }
}

impl std::ops::Sub for Amounts {
    type Output = Amounts;
    fn sub(self, o: Amounts) -> Amounts {
        Amounts {
            shop: self.shop - o.shop,
            presented: self.presented - o.presented,
        }
    }
}

impl std::iter::Sum for Amounts {
    fn sum<I: Iterator<Item = Amounts>>(it: I) -> Amounts {
        it.fold(Amounts::default(), |a, b| a + b)
    }
}

fn amount_of(set: &Value) -> Option<Amounts> {
    let shop = decimal(set.pointer("/shopMoney/amount")?)?;
    let presented = match set.pointer("/presentmentMoney/amount") {
        Some(a) => decimal(a)?,
        None => shop,
    };
    Some(Amounts { shop, presented })
}

/// The order's two currencies: the shop's (`currency`) and the customer's
/// (`presentmentCurrency`, the shop's when not given).
#[derive(Debug, Clone)]
struct Currencies {
    shop: String,
    presented: String,
}

fn bag(a: Amounts, c: &Currencies) -> Value {
    let m = |amount: Decimal, currency: &str| json!({ "__typename": "MoneyV2", "amount": amount.normalize().to_string(), "currencyCode": currency });
    json!({ "__typename": "MoneyBag", "shopMoney": m(a.shop, &c.shop), "presentmentMoney": m(a.presented, &c.presented) })
}

fn tax_lines(list: Option<&Value>, currency: &Currencies) -> (Vec<Value>, Amounts) {
    let mut total = Amounts::default();
    let out = list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let amount = t.get("priceSet").and_then(amount_of).unwrap_or_default();
            total += amount;
            let rate = t
                .get("rate")
                .map(|r| match r {
                    Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
                    Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap_or_default(),
                    _ => Decimal::ZERO,
                })
                .unwrap_or_default();
            json!({ "__typename": "TaxLine", "title": t.get("title").cloned().unwrap_or(json!("Tax")),
                    "rate": rate.normalize().to_string().parse::<f64>().unwrap_or(0.0),
                    "ratePercentage": (rate * Decimal::from(100)).normalize().to_string().parse::<f64>().unwrap_or(0.0),
                    "priceSet": bag(amount, currency) })
        })
        .collect();
    (out, total)
}

fn address(a: Option<&Value>) -> Value {
    match a.filter(|a| a.is_object()) {
        None => Value::Null,
        Some(a) => json!({
            "__typename": "MailingAddress", "address1": a.get("address1"), "address2": a.get("address2"),
            "city": a.get("city"), "company": a.get("company"), "countryCodeV2": a.get("countryCode"),
            "firstName": a.get("firstName"), "lastName": a.get("lastName"), "phone": a.get("phone"),
            "provinceCode": a.get("provinceCode"), "zip": a.get("zip"),
        }),
    }
}

/// The currencies of every `presentmentMoney` anywhere in an order's input.
fn presentment_currencies(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v.get("currencyCode")) {
                ("presentmentMoney", Some(Value::String(c))) => vec![c.clone()],
                _ => presentment_currencies(v),
            })
            .collect(),
        Value::Array(a) => a.iter().flat_map(presentment_currencies).collect(),
        _ => vec![],
    }
}

/// orderCreate: validates, then stores the order with totals computed from its lines.
pub(super) fn order_create(
    s: &mut Store,
    created: &CreationLog,
    shop_currency: &str,
    input: &Value,
) -> Result<Value, Vec<Value>> {
    let mut errors = vec![];
    let lines = input
        .get("lineItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if lines.is_empty() {
        errors.push(user_error(
            T,
            json!(["order", "lineItems"]),
            "Line items must have at least one line item",
            "INVALID",
        ));
    }
    let shop = str_of(input, "currency").unwrap_or_else(|| shop_currency.to_string());
    let currency = Currencies {
        presented: str_of(input, "presentmentCurrency").unwrap_or_else(|| shop.clone()),
        shop,
    };
    // The schema's `presentmentCurrency`: "This must be specified if any presentment
    // currencies are used in the order."
    if input.get("presentmentCurrency").is_none() {
        if let Some(other) = presentment_currencies(input)
            .into_iter()
            .find(|c| *c != currency.shop)
        {
            errors.push(user_error(
                T,
                json!(["order", "presentmentCurrency"]),
                format!("Presentment currency must be specified when amounts are given in {other}"),
                "INVALID",
            ));
        }
    }
    let mut any_line_tax = false;
    for (i, l) in lines.iter().enumerate() {
        if l.get("quantity").and_then(Value::as_i64).unwrap_or(0) < 1 {
            errors.push(user_error(
                T,
                json!(["order", "lineItems", i.to_string(), "quantity"]),
                "Quantity must be greater than or equal to 1",
                "INVALID",
            ));
        }
        if l.get("variantId").is_none() && str_of(l, "title").is_none_or(|t| t.is_empty()) {
            errors.push(user_error(
                T,
                json!(["order", "lineItems", i.to_string(), "title"]),
                "Title can't be blank",
                "BLANK",
            ));
        }
        if l.get("variantId").is_none() && l.get("priceSet").and_then(amount_of).is_none() {
            errors.push(user_error(
                T,
                json!(["order", "lineItems", i.to_string(), "priceSet"]),
                "Price must be set for custom line items",
                "INVALID",
            ));
        }
        any_line_tax |= l
            .get("taxLines")
            .and_then(Value::as_array)
            .is_some_and(|t| !t.is_empty());
    }
    let order_tax = input
        .get("taxLines")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    if any_line_tax && order_tax {
        errors.push(user_error(
            T,
            json!(["order", "taxLines"]),
            "Tax lines can be specified on the order or on line items, but not both",
            "INVALID",
        ));
    }
    let customer = match input.get("customer") {
        Some(c) if c.get("toAssociate").is_some() => {
            let id = c.pointer("/toAssociate/id").cloned().unwrap_or(Value::Null);
            match find_customer(s, &json!({ "id": id })) {
                Some(n) => Some(n),
                None => {
                    errors.push(user_error(
                        T,
                        json!(["order", "customer", "toAssociate", "id"]),
                        "Customer does not exist",
                        "CUSTOMER_DOES_NOT_EXIST",
                    ));
                    None
                }
            }
        }
        Some(c) if c.get("toUpsert").is_some() => {
            let up = &c["toUpsert"];
            match find_customer(s, &json!({ "email": up.get("email") })) {
                Some(n) => Some(n),
                None => match super::customer_set(s, created, &Value::Null, up) {
                    Ok(c) => c["id"].as_str().and_then(super::gid_number),
                    Err(e) => {
                        errors.extend(e);
                        None
                    }
                },
            }
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut subtotal = Amounts::default();
    let mut tax_total = Amounts::default();
    let mut aggregated: Vec<Value> = vec![];
    let n = s.id();
    let items: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let qty = l.get("quantity").and_then(Value::as_i64).unwrap_or(1);
            let price = l.get("priceSet").and_then(amount_of).unwrap_or_default();
            subtotal += price.times(qty);
            let (taxes, t) = tax_lines(l.get("taxLines"), &currency);
            tax_total += t;
            aggregated.extend(taxes.iter().cloned());
            json!({
                "__typename": "LineItem", "id": format!("gid://shopify/LineItem/{}", n * 1000 + i as u64 + 1),
                "title": l.get("title").cloned().unwrap_or(json!("")), "name": l.get("title").cloned().unwrap_or(json!("")),
                "sku": l.get("sku").cloned().unwrap_or(Value::Null), "variantTitle": l.get("variantTitle").cloned().unwrap_or(Value::Null),
                "quantity": qty, "originalUnitPriceSet": bag(price, &currency), "totalDiscountSet": bag(Amounts::default(), &currency),
                "taxLines": taxes, "requiresShipping": l.get("requiresShipping").cloned().unwrap_or(json!(true)),
                "taxable": l.get("taxable").cloned().unwrap_or(json!(true)), "variant": null, "product": null,
            })
        })
        .collect();
    let mut shipping_total = Amounts::default();
    let shipping: Vec<Value> = input
        .get("shippingLines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, sl)| {
            let price = sl.get("priceSet").and_then(amount_of).unwrap_or_default();
            shipping_total += price;
            let (taxes, t) = tax_lines(sl.get("taxLines"), &currency);
            tax_total += t;
            aggregated.extend(taxes.iter().cloned());
            json!({ "__typename": "ShippingLine", "id": format!("gid://shopify/ShippingLine/{}", n * 1000 + i as u64 + 1),
                    "title": sl.get("title").cloned().unwrap_or(json!("Shipping")), "code": sl.get("code").cloned().unwrap_or(Value::Null),
                    "source": sl.get("source").cloned().unwrap_or(Value::Null),
                    "originalPriceSet": bag(price, &currency), "taxLines": taxes })
        })
        .collect();
    let order_taxes = if order_tax {
        let (taxes, t) = tax_lines(input.get("taxLines"), &currency);
        tax_total += t;
        taxes
    } else {
        merge_tax_lines(aggregated, &currency)
    };
    let (codes, discount) = match input.get("discountCode") {
        Some(d) if d.is_object() => {
            let inner = d
                .get("itemFixedDiscountCode")
                .or_else(|| d.get("itemPercentageDiscountCode"))
                .or_else(|| d.get("freeShippingDiscountCode"))
                .cloned()
                .unwrap_or(Value::Null);
            let amount = if let Some(p) = inner.get("percentage").and_then(Value::as_f64) {
                let pct = Decimal::from_f64_retain(p).unwrap_or_default() / Decimal::from(100);
                Amounts {
                    shop: (subtotal.shop * pct).round_dp(2),
                    presented: (subtotal.presented * pct).round_dp(2),
                }
            } else {
                inner
                    .get("amountSet")
                    .and_then(amount_of)
                    .unwrap_or_default()
            };
            (
                vec![inner.get("code").cloned().unwrap_or(json!(""))],
                amount,
            )
        }
        _ => (vec![], Amounts::default()),
    };
    let total = subtotal - discount + shipping_total + tax_total;
    // What the order's financial status is judged by: the shop's amounts.
    let paid: Amounts = input
        .get("transactions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| {
            matches!(t["kind"].as_str(), Some("SALE") | Some("CAPTURE") | None)
                && matches!(t["status"].as_str(), Some("SUCCESS") | None)
        })
        .filter_map(|t| t.get("amountSet").and_then(amount_of))
        .sum();
    let financial = str_of(input, "financialStatus").unwrap_or_else(|| {
        if paid.shop >= total.shop && paid.shop > Decimal::ZERO {
            "PAID".into()
        } else if paid.shop > Decimal::ZERO {
            "PARTIALLY_PAID".into()
        } else {
            "PENDING".into()
        }
    });
    let fulfillment = match str_of(input, "fulfillmentStatus").as_deref() {
        Some("FULFILLED") => "FULFILLED",
        Some("PARTIAL") => "PARTIALLY_FULFILLED",
        Some("RESTOCKED") => "RESTOCKED",
        _ => "UNFULFILLED",
    };
    let transactions: Vec<Value> = input
        .get("transactions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| {
            json!({ "__typename": "OrderTransaction", "id": format!("gid://shopify/OrderTransaction/{}", n * 1000 + i as u64 + 1),
                    "kind": t.get("kind").cloned().unwrap_or(json!("SALE")), "status": t.get("status").cloned().unwrap_or(json!("SUCCESS")),
                    "gateway": t.get("gateway").cloned().unwrap_or(json!("manual")),
                    "amountSet": bag(t.get("amountSet").and_then(amount_of).unwrap_or_default(), &currency),
                    "processedAt": t.get("processedAt").cloned().unwrap_or_else(|| json!(now())) })
        })
        .collect();
    let name = str_of(input, "name").unwrap_or_else(|| format!("#{}", 1000 + s.orders.len() + 1));
    let customer_obj = customer
        .and_then(|c| s.customers.get(&c))
        .map(|c| json!({ "__typename": "Customer", "id": c["id"], "email": c["email"], "firstName": c["firstName"], "lastName": c["lastName"] }))
        .unwrap_or(Value::Null);
    let email = input
        .get("email")
        .cloned()
        .filter(|e| !e.is_null())
        .or_else(|| customer_obj.get("email").cloned())
        .unwrap_or(Value::Null);
    let tags = match input.get("tags") {
        Some(Value::String(t)) => json!(t
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()),
        Some(v @ Value::Array(_)) => v.clone(),
        _ => json!([]),
    };
    let mut o = json!({
        "__typename": "Order", "id": format!("gid://shopify/Order/{n}"), "name": name, "email": email,
        "createdAt": now(), "updatedAt": now(), "processedAt": input.get("processedAt").cloned().filter(|p| !p.is_null()).unwrap_or_else(|| json!(now())),
        "cancelledAt": null, "closedAt": input.get("closedAt").cloned().unwrap_or(Value::Null),
        "currencyCode": currency.shop, "presentmentCurrencyCode": currency.presented, "note": input.get("note").cloned().unwrap_or(Value::Null), "tags": tags,
        "displayFinancialStatus": financial, "displayFulfillmentStatus": fulfillment,
        "customer": customer_obj, "sourceIdentifier": input.get("sourceIdentifier").cloned().unwrap_or(Value::Null),
        "sourceName": input.get("sourceName").cloned().unwrap_or(json!("api")),
        "lineItems": { "__connection": items, "__item": "LineItem" },
        "shippingLines": { "__connection": shipping, "__item": "ShippingLine" },
        "taxLines": order_taxes, "transactions": transactions, "discountCodes": codes,
        "subtotalPriceSet": bag(subtotal - discount, &currency), "totalDiscountsSet": bag(discount, &currency),
        "totalShippingPriceSet": bag(shipping_total, &currency), "totalTaxSet": bag(tax_total, &currency),
        "totalPriceSet": bag(total, &currency), "taxesIncluded": input.get("taxesIncluded").cloned().unwrap_or(json!(false)),
        "billingAddress": address(input.get("billingAddress")), "shippingAddress": address(input.get("shippingAddress")),
        "__metafields": [],
    });
    set_metafields(&mut o, input.get("metafields"));
    let key = o["__metafields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["type"] == "id")
        .and_then(|m| m["value"].as_str().map(str::to_string))
        .unwrap_or_else(|| name.clone());
    created.record("orders", &key);
    s.put_order(n, o.clone());
    Ok(o)
}

/// Order-level tax lines sum the lines' ones with the same title and rate.
fn merge_tax_lines(lines: Vec<Value>, currency: &Currencies) -> Vec<Value> {
    let mut out: Vec<(Value, Value, Amounts, Value)> = vec![];
    for t in lines {
        let amount = t.get("priceSet").and_then(amount_of).unwrap_or_default();
        match out
            .iter_mut()
            .find(|(title, rate, _, _)| *title == t["title"] && *rate == t["rate"])
        {
            Some(entry) => entry.2 += amount,
            None => out.push((
                t["title"].clone(),
                t["rate"].clone(),
                amount,
                t["ratePercentage"].clone(),
            )),
        }
    }
    out.into_iter()
        .map(|(title, rate, amount, pct)| json!({ "__typename": "TaxLine", "title": title, "rate": rate, "ratePercentage": pct, "priceSet": bag(amount, currency) }))
        .collect()
}

/// orderUpdate: the few fields Shopify lets an imported order change.
pub(super) fn order_update(s: &mut Store, input: &Value) -> Result<Value, Vec<Value>> {
    let n = input
        .get("id")
        .and_then(Value::as_str)
        .and_then(super::gid_number);
    let Some((n, mut o)) = n.and_then(|n| Some((n, s.orders.get(&n)?.clone()))) else {
        return Err(vec![user_error(
            "UserError",
            json!(["id"]),
            "Order does not exist",
            "NOT_FOUND",
        )]);
    };
    for k in ["note", "email"] {
        if let Some(v) = input.get(k) {
            o[k] = v.clone();
        }
    }
    if let Some(t) = input.get("tags") {
        o["tags"] = t.clone();
    }
    if let Some(a) = input.get("shippingAddress") {
        o["shippingAddress"] = address(Some(a));
    }
    set_metafields(&mut o, input.get("metafields"));
    o["updatedAt"] = json!(now());
    s.put_order(n, o.clone());
    Ok(o)
}
