//! What WooCommerce answers for a record nobody set anything on: every property the REST API
//! v3 reference lists for the resource (`sandbox/specs/woocommerce-rest-v3/`), with the
//! default the reference names, or the empty value WooCommerce writes. Writes then change
//! what their request gives; a reply always carries the whole shape, as the real API's does
//! (the contract check in `sandbox/tests/woocommerce_api.rs` holds replies to it).

use serde_json::{json, Value};

/// A product (`products.md`, "Product properties").
pub(super) fn product(id: u64, now: &str) -> Value {
    let mut p = json!({
        "id": id, "name": "", "slug": "", "permalink": "",
        "date_created": now, "date_created_gmt": now, "date_modified": now, "date_modified_gmt": now,
        "type": "simple", "status": "publish", "featured": false, "catalog_visibility": "visible",
        "description": "", "short_description": "", "sku": "", "global_unique_id": "",
        "price": "", "regular_price": "", "sale_price": "",
        "date_on_sale_from": null, "date_on_sale_from_gmt": null, "date_on_sale_to": null, "date_on_sale_to_gmt": null,
    });
    // In parts: one json! of all of them is deeper than the macro's recursion limit.
    let rest = json!({
        "price_html": "", "on_sale": false, "purchasable": false, "total_sales": 0,
        "virtual": false, "downloadable": false, "downloads": [], "download_limit": -1, "download_expiry": -1,
        "external_url": "", "button_text": "", "tax_status": "taxable", "tax_class": "",
    });
    let stock = json!({
        "manage_stock": false, "stock_quantity": null, "stock_status": "instock", "backorders": "no",
        "backorders_allowed": false, "backordered": false, "sold_individually": false,
        "weight": "", "dimensions": { "length": "", "width": "", "height": "" },
        "shipping_required": true, "shipping_taxable": true, "shipping_class": "", "shipping_class_id": 0,
        "reviews_allowed": true, "average_rating": "0.00", "rating_count": 0,
        "related_ids": [], "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0, "purchase_note": "",
        "categories": [], "tags": [], "images": [], "attributes": [], "default_attributes": [],
        "variations": [], "grouped_products": [], "menu_order": 0, "meta_data": [],
    });
    for part in [rest, stock] {
        if let (Some(p), Value::Object(part)) = (p.as_object_mut(), part) {
            p.extend(part);
        }
    }
    p
}

/// A product variation (`product-variations.md`, "Product variation properties").
pub(super) fn variation(id: u64, now: &str) -> Value {
    json!({
        "id": id, "date_created": now, "date_created_gmt": now, "date_modified": now, "date_modified_gmt": now,
        "description": "", "permalink": "", "sku": "", "global_unique_id": "",
        "price": "", "regular_price": "", "sale_price": "",
        "date_on_sale_from": null, "date_on_sale_from_gmt": null, "date_on_sale_to": null, "date_on_sale_to_gmt": null,
        "on_sale": false, "status": "publish", "purchasable": false,
        "virtual": false, "downloadable": false, "downloads": [], "download_limit": -1, "download_expiry": -1,
        "tax_status": "taxable", "tax_class": "",
        "manage_stock": false, "stock_quantity": null, "stock_status": "instock", "backorders": "no",
        "backorders_allowed": false, "backordered": false,
        "weight": "", "dimensions": { "length": "", "width": "", "height": "" },
        "shipping_class": "", "shipping_class_id": 0,
        "image": null, "attributes": [], "menu_order": 0, "meta_data": [],
    })
}

/// An image of a product, a variation or a category ("… - Images properties").
pub(super) fn image(id: u64, src: &Value, alt: &Value, now: &str) -> Value {
    json!({
        "id": id, "date_created": now, "date_created_gmt": now, "date_modified": now, "date_modified_gmt": now,
        "src": src, "name": "", "alt": if alt.is_string() { alt.clone() } else { json!("") },
    })
}

/// A product category (`product-categories.md`, "Product category properties"); PHP writes a
/// category without an image as an empty array, as the reference's own example shows.
pub(super) fn category(id: u64) -> Value {
    json!({ "id": id, "name": "", "slug": "", "parent": 0, "description": "", "display": "default",
            "image": [], "menu_order": 0, "count": 0 })
}

/// A product tag (`product-tags.md`, "Product tag properties"); `count` is filled in when
/// answered.
pub(super) fn tag(id: u64) -> Value {
    json!({ "id": id, "name": "", "slug": "", "description": "", "count": 0 })
}

/// A billing address (customers and orders: "… - Billing properties").
pub(super) fn billing() -> Value {
    json!({ "first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "", "city": "",
            "state": "", "postcode": "", "country": "", "email": "", "phone": "" })
}

/// A shipping address: the reference's has neither email nor phone.
pub(super) fn shipping() -> Value {
    json!({ "first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "", "city": "",
            "state": "", "postcode": "", "country": "" })
}

/// A customer (`customers.md`, "Customer properties"; `password` is write-only).
pub(super) fn customer(id: u64, email: &str, now: &str) -> Value {
    json!({
        "id": id, "date_created": now, "date_created_gmt": now, "date_modified": now, "date_modified_gmt": now,
        "email": email, "first_name": "", "last_name": "", "role": "customer",
        "username": email.split('@').next().unwrap_or(""),
        "billing": billing(), "shipping": shipping(),
        "is_paying_customer": false, "avatar_url": "", "meta_data": [],
    })
}

/// An order (`orders.md`, "Order properties").
pub(super) fn order(id: u64, now: &str) -> Value {
    json!({
        "id": id, "parent_id": 0, "number": id.to_string(), "order_key": format!("wc_order_{id:08}"),
        "created_via": "rest-api", "version": "8.6.1", "status": "pending", "currency": "USD",
        "date_created": now, "date_created_gmt": now, "date_modified": now, "date_modified_gmt": now,
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "0.00", "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": "0.00", "total_tax": "0.00", "prices_include_tax": false,
        "customer_id": 0, "customer_ip_address": "", "customer_user_agent": "", "customer_note": "",
        "billing": billing(), "shipping": shipping(),
        "payment_method": "", "payment_method_title": "", "transaction_id": "",
        "date_paid": null, "date_paid_gmt": null, "date_completed": null, "date_completed_gmt": null,
        "cart_hash": "", "meta_data": [], "line_items": [], "tax_lines": [], "shipping_lines": [],
        "fee_lines": [], "coupon_lines": [], "refunds": [],
    })
}

/// `meta_data[]` as WooCommerce stores it: each entry gets an id; an entry sent with a key the
/// record already has replaces that one's value (`update_meta_data`).
pub(super) fn merge_meta(
    current: &Value,
    input: &Value,
    next_id: &mut dyn FnMut() -> u64,
) -> Value {
    let mut list: Vec<Value> = current.as_array().cloned().unwrap_or_default();
    for m in input.as_array().into_iter().flatten() {
        let Some(key) = m.get("key").and_then(Value::as_str) else {
            continue;
        };
        let value = m.get("value").cloned().unwrap_or(Value::Null);
        match list.iter_mut().find(|e| e["key"] == key) {
            Some(e) => e["value"] = value,
            None => list.push(json!({ "id": next_id(), "key": key, "value": value })),
        }
    }
    Value::Array(list)
}
