//! `/orders`: what WooCommerce's REST API v3 lets a client set on an order and what it keeps
//! for itself. `number`, dates, totals and tax lines are read-only (taxes come from the store's
//! own tax settings: this store has none configured, so they are zero); a line item needs a
//! product reference (SKU, product or variation id); coupon lines must name an existing coupon
//! (this store has none); `set_paid` marks the order paid; a new line item sent in an update is
//! added to the order, as WooCommerce does.

use super::*;
use rust_decimal::Decimal;
use std::str::FromStr;
use storeshift_connectors::platform::woocommerce::ORDER_STATUSES;

fn money(v: &Value, k: &str) -> Decimal {
    Decimal::from_str(str_field(v, k).trim()).unwrap_or_default()
}

fn fmt(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

fn invalid_param(name: &str, why: &str) -> Value {
    json!({ "code": "rest_invalid_param", "message": format!("Invalid parameter(s): {name}"),
            "data": { "status": 400, "params": { name: why } } })
}

fn address(input: Option<&Value>, with_contact: bool) -> Value {
    let mut a = if with_contact {
        super::shapes::billing()
    } else {
        super::shapes::shipping()
    };
    if let Some(Value::Object(m)) = input {
        for (k, v) in m {
            if a.get(k).is_some() {
                a[k.as_str()] = json!(str_field(&json!({ "x": v }), "x"));
            }
        }
    }
    a
}

/// The product a line item points at: `(product_id, variation_id, name, sku, unit price)`.
fn product_ref(s: &Store, item: &Value) -> Result<(u64, u64, String, String, Decimal), Value> {
    let sku = str_field(item, "sku");
    let pid = item["product_id"].as_u64().unwrap_or(0);
    let vid = item["variation_id"].as_u64().unwrap_or(0);
    if sku.is_empty() && pid == 0 && vid == 0 {
        return Err(item_error(
            "woocommerce_rest_required_product_reference",
            "Product ID or SKU is required.",
        ));
    }
    let find_variation = |id: u64| {
        let parent = *s.variation_parent.get(&id)?;
        s.variations
            .get(&parent)
            .and_then(|vs| vs.get(&id))
            .map(|v| (parent, v))
    };
    let id = if !sku.is_empty() {
        s.skus.get(&sku).copied().unwrap_or(0)
    } else if vid != 0 {
        vid
    } else {
        pid
    };
    if let Some(p) = s.products.get(&id) {
        return Ok((
            id,
            0,
            str_field(p, "name"),
            str_field(p, "sku"),
            money(p, "price"),
        ));
    }
    if let Some((parent, v)) = find_variation(id) {
        let name = s
            .products
            .get(&parent)
            .map(|p| str_field(p, "name"))
            .unwrap_or_default();
        return Ok((parent, id, name, str_field(v, "sku"), money(v, "price")));
    }
    // A reference that resolves to nothing leaves an item without a product (WooCommerce
    // keeps the posted name).
    Ok((0, 0, String::new(), String::new(), Decimal::ZERO))
}

fn line_item(s: &mut Store, input: &Value) -> Result<Value, Value> {
    let (pid, vid, name, sku, unit) = product_ref(s, input)?;
    let qty = input["quantity"].as_i64().unwrap_or(1);
    let computed = unit * Decimal::from(qty);
    let subtotal = if input.get("subtotal").is_some() {
        money(input, "subtotal")
    } else {
        computed
    };
    let total = if input.get("total").is_some() {
        money(input, "total")
    } else {
        subtotal
    };
    let posted_name = str_field(input, "name");
    let id = s.id();
    Ok(json!({
        "id": id, "name": if posted_name.is_empty() { name } else { posted_name }, "product_id": pid, "variation_id": vid,
        "quantity": qty, "tax_class": "", "subtotal": fmt(subtotal), "subtotal_tax": "0.00", "total": fmt(total),
        "total_tax": "0.00", "taxes": [], "meta_data": super::shapes::merge_meta(&json!([]), &input["meta_data"], &mut || s.id()), "sku": sku,
        "price": if qty != 0 { (total / Decimal::from(qty)).round_dp(4).normalize().to_string() } else { "0".into() },
    }))
}

fn shipping_line(s: &mut Store, input: &Value) -> Value {
    json!({ "id": s.id(), "method_title": str_field(input, "method_title"), "method_id": str_field(input, "method_id"),
            "total": fmt(money(input, "total")), "total_tax": "0.00", "taxes": [], "meta_data": [] })
}

fn fee_line(s: &mut Store, input: &Value) -> Value {
    json!({ "id": s.id(), "name": str_field(input, "name"), "tax_class": "", "tax_status": input.get("tax_status").cloned().unwrap_or(json!("taxable")),
            "total": fmt(money(input, "total")), "total_tax": "0.00", "taxes": [], "meta_data": [] })
}

fn recompute(o: &mut Value) {
    let sum = |k: &str, f: &str| -> Decimal {
        o[k].as_array()
            .into_iter()
            .flatten()
            .map(|x| money(x, f))
            .sum()
    };
    let items = sum("line_items", "total");
    let subtotal = sum("line_items", "subtotal");
    let shipping = sum("shipping_lines", "total");
    let fees = sum("fee_lines", "total");
    o["discount_total"] = json!(fmt(subtotal - items));
    o["shipping_total"] = json!(fmt(shipping));
    o["total"] = json!(fmt(items + shipping + fees));
}

fn apply_order(s: &mut Store, o: &mut Value, input: &Value) -> Result<(), Value> {
    if let Some(st) = input.get("status") {
        let st = st.as_str().unwrap_or("");
        if !ORDER_STATUSES.contains(&st) {
            return Err(invalid_param(
                "status",
                &format!("status is not one of {}.", ORDER_STATUSES.join(", ")),
            ));
        }
        o["status"] = json!(st);
    }
    if let Some(c) = input.get("currency") {
        let c = c.as_str().unwrap_or("");
        if c.len() != 3 || !c.chars().all(|x| x.is_ascii_uppercase()) {
            return Err(invalid_param(
                "currency",
                "currency is not one of the ISO 4217 codes WooCommerce knows.",
            ));
        }
        o["currency"] = json!(c);
    }
    if let Some(cid) = input.get("customer_id") {
        let cid = cid.as_u64().unwrap_or(0);
        if cid != 0 && !s.customers.contains_key(&cid) {
            return Err(item_error(
                "woocommerce_rest_invalid_customer_id",
                "Customer ID is invalid.",
            ));
        }
        o["customer_id"] = json!(cid);
    }
    for (k, contact) in [("billing", true), ("shipping", false)] {
        if let Some(a) = input.get(k) {
            let mut merged = o[k].clone();
            for (f, v) in address(Some(a), contact).as_object().into_iter().flatten() {
                if a.get(f).is_some() {
                    merged[f.as_str()] = v.clone();
                }
            }
            o[k] = merged;
        }
    }
    for k in [
        "customer_note",
        "payment_method",
        "payment_method_title",
        "transaction_id",
    ] {
        if input.get(k).is_some() {
            o[k] = json!(str_field(input, k));
        }
    }
    if let Some(coupons) = input.get("coupon_lines").and_then(Value::as_array) {
        if let Some(c) = coupons.first() {
            return Err(item_error(
                "woocommerce_rest_invalid_coupon",
                &format!("Coupon \"{}\" does not exist!", str_field(c, "code")),
            ));
        }
    }
    let mut items = vec![];
    for li in input
        .get("line_items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        items.push(line_item(s, li)?);
    }
    let mut shipping = vec![];
    for sl in input
        .get("shipping_lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        shipping.push(shipping_line(s, sl));
    }
    let mut fees = vec![];
    for fl in input
        .get("fee_lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        fees.push(fee_line(s, fl));
    }
    for (k, new) in [
        ("line_items", items),
        ("shipping_lines", shipping),
        ("fee_lines", fees),
    ] {
        if let Some(list) = o[k].as_array_mut() {
            list.extend(new);
        }
    }
    if let Some(Value::Array(meta)) = input.get("meta_data") {
        for m in meta {
            let key = str_field(m, "key");
            let list = o["meta_data"].as_array_mut();
            if let Some(list) = list {
                match list
                    .iter_mut()
                    .find(|x| x["key"].as_str() == Some(key.as_str()))
                {
                    Some(existing) => existing["value"] = m["value"].clone(),
                    None => list.push(json!({ "id": s.id(), "key": key, "value": m["value"] })),
                }
            }
        }
    }
    if input["set_paid"] == json!(true) {
        // payment_complete(): paid now; an order still waiting for payment moves on.
        o["date_paid"] = json!(now());
        o["date_paid_gmt"] = json!(now());
        if ["pending", "on-hold", "failed"].contains(&o["status"].as_str().unwrap_or("")) {
            o["status"] = json!("processing");
        }
    }
    if o["status"] == "completed" && o["date_completed"].is_null() {
        o["date_completed"] = json!(now());
        o["date_completed_gmt"] = json!(now());
    }
    recompute(o);
    super::changes::touch(o);
    Ok(())
}

fn creation_key(o: &Value) -> String {
    o["meta_data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["key"] == storeshift_connectors::platform::woocommerce::ORDER_NUMBER_META)
        .and_then(|m| m["value"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("id:{}", o["id"]))
}

pub(super) fn create_order_in(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Value> {
    let id = s.id();
    let mut o = super::shapes::order(id, &now());
    apply_order(s, &mut o, input)?;
    inner.created.record("orders", &creation_key(&o));
    s.orders.insert(id, o.clone());
    Ok(o)
}

fn update_order_in(s: &mut Store, id: u64, input: &Value) -> Result<Value, Value> {
    let Some(mut o) = s.orders.get(&id).cloned() else {
        return Err(
            json!({ "code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": { "status": 400 } }),
        );
    };
    apply_order(s, &mut o, input)?;
    s.orders.insert(id, o.clone());
    Ok(o)
}

fn status_of(e: &Value) -> StatusCode {
    e["data"]["status"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_REQUEST)
}

pub(super) async fn list_orders(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    let (page, per_page) = match page_params(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let statuses: Option<Vec<String>> = q
        .get("status")
        .filter(|x| x.as_str() != "any")
        .map(|x| x.split(',').map(str::to_string).collect());
    let customer = q.get("customer").and_then(|c| c.parse::<u64>().ok());
    let s = lock(&sb.inner.store);
    let mut items: Vec<&Value> = candidates(&s.orders, &q)
        .into_iter()
        .filter(|o| {
            statuses
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| o["status"].as_str() == Some(x.as_str())))
        })
        .filter(|o| o["status"] != "trash" || statuses.is_some())
        .filter(|o| customer.is_none_or(|c| o["customer_id"].as_u64() == Some(c)))
        .collect();
    if let Err(r) = super::changes::filter(&mut items, &q) {
        return r;
    }
    order(&mut items, &q, "date");
    paged_refs(&items, &q, page, per_page, "/wp-json/wc/v3/orders")
}

pub(super) async fn get_order(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::GET) {
        return r;
    }
    match lock(&sb.inner.store).orders.get(&id) {
        Some(o) => Json(o.clone()).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_shop_order_invalid_id",
            "Invalid ID.",
        ),
    }
}

pub(super) async fn create_order(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    let input = match sb.authorised_json(&headers, &q, &Method::POST, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    match create_order_in(&sb.inner, &mut s, &input) {
        Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
        Err(e) => (status_of(&e), Json(e)).into_response(),
    }
}

pub(super) async fn update_order(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    let input = match sb.authorised_json(&headers, &q, &Method::PUT, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    match update_order_in(&mut s, id, &input) {
        Ok(o) => Json(o).into_response(),
        Err(e) => (status_of(&e), Json(e)).into_response(),
    }
}

fn remove_order(s: &mut Store, id: u64, force: bool) -> Option<Value> {
    if force {
        return s.orders.remove(&id);
    }
    let o = s.orders.get_mut(&id)?;
    o["status"] = json!("trash");
    Some(o.clone())
}

pub(super) async fn delete_order(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Q,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::DELETE) {
        return r;
    }
    let force = q.get("force").is_some_and(|f| f == "true" || f == "1");
    match remove_order(&mut lock(&sb.inner.store), id, force) {
        Some(o) => Json(o).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_shop_order_invalid_id",
            "Invalid ID.",
        ),
    }
}

pub(super) async fn batch_orders(
    State(sb): State<WooSandbox>,
    headers: HeaderMap,
    Query(q): Q,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.authorised(&headers, &q, &Method::POST) {
        return r;
    }
    let (create, update, delete) = match batch_input(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut s = lock(&sb.inner.store);
    let created: Vec<Value> = create
        .iter()
        .map(|i| outcome(create_order_in(&sb.inner, &mut s, i), 0))
        .collect();
    let updated: Vec<Value> = update
        .iter()
        .map(|i| {
            let id = i["id"].as_u64().unwrap_or(0);
            outcome(update_order_in(&mut s, id, i), id)
        })
        .collect();
    let deleted: Vec<Value> = delete
        .iter()
        .map(|d| {
            let id = d.as_u64().unwrap_or(0);
            outcome(
                remove_order(&mut s, id, true).ok_or_else(|| {
                    item_error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
                }),
                id,
            )
        })
        .collect();
    Json(json!({ "create": created, "update": updated, "delete": deleted })).into_response()
}
