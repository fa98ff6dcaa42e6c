//! Products, attributes and their options, attribute sets, and configurable products, with
//! the checks Magento makes: `ProductRepository` (SKU of at most 64 characters, a name and a
//! price on a new simple product, unique URL keys, values kept only for attributes of the
//! product's set, option ids the attribute has), `OptionManagement` (labels unique without
//! case), the product attribute repository (code and input rules), and ConfigurableProduct's
//! `OptionRepository` and `LinkManagement`.

use super::search::Criteria;
use super::{
    body_of, error, input_errors, now, save_wrapped, wrapped, Attr, Inner, MagentoSandbox, Store,
    DEFAULT_SET, INVALID, NO_PRODUCT, REQUIRED,
};
use crate::lock;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

type Q = Query<Vec<(String, String)>>;

/// Magento's `Sku::SKU_MAX_LENGTH`, in characters.
const SKU_MAX: usize = 64;

const PRODUCT_TYPES: [&str; 6] = [
    "simple",
    "virtual",
    "configurable",
    "bundle",
    "grouped",
    "downloadable",
];

const INPUT_TYPES: [&str; 12] = [
    "text",
    "textarea",
    "texteditor",
    "date",
    "datetime",
    "boolean",
    "multiselect",
    "select",
    "price",
    "media_image",
    "swatch_visual",
    "swatch_text",
];

pub(crate) fn routes() -> Router<MagentoSandbox> {
    Router::new()
        .route(
            "/rest/{store}/V1/products",
            get(list_products).post(post_product),
        )
        .route(
            "/rest/{store}/V1/products/{sku}",
            get(get_product).put(put_product).delete(delete_product),
        )
        .route(
            "/rest/{store}/V1/products/attributes",
            get(list_attributes).post(create_attribute),
        )
        .route(
            "/rest/{store}/V1/products/attributes/{code}",
            get(get_attribute),
        )
        .route(
            "/rest/{store}/V1/products/attributes/{code}/options",
            get(attribute_options).post(add_attribute_option),
        )
        .route(
            "/rest/{store}/V1/products/attribute-sets/{set}/attributes",
            get(set_attributes),
        )
        .route(
            "/rest/{store}/V1/products/attribute-sets/groups/list",
            get(list_groups),
        )
        .route(
            "/rest/{store}/V1/products/attribute-sets/attributes",
            post(assign_attribute),
        )
        .route(
            "/rest/{store}/V1/configurable-products/{sku}/children",
            get(get_children),
        )
        .route(
            "/rest/{store}/V1/configurable-products/{sku}/child",
            post(add_child),
        )
        .route(
            "/rest/{store}/V1/configurable-products/{sku}/options",
            post(add_option),
        )
}

fn custom(p: &Value, code: &str) -> Option<String> {
    p["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .and_then(|a| match &a["value"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// The option labelled `label` of `code` (created when missing); its id.
pub(crate) fn ensure_option(s: &mut Store, code: &str, label: &str) -> u64 {
    let next = s.next_id + 1;
    let Some(attr) = s.attributes.get_mut(code) else {
        return 0;
    };
    if let Some((v, _)) = attr.options.iter().find(|(_, l)| same(l, label)) {
        return *v;
    }
    attr.options.push((next, label.to_string()));
    s.next_id = next;
    next
}

/// Magento compares option labels upper-cased.
fn same(a: &str, b: &str) -> bool {
    a.trim().to_uppercase() == b.trim().to_uppercase()
}

/// Saves by SKU: an existing SKU is updated in place, a new one created.
pub(crate) fn save_product(inner: &Inner, s: &mut Store, input: &Value) -> Result<Value, Response> {
    let sku = input["sku"].as_str().unwrap_or("").trim().to_string();
    if sku.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The \"%1\" attribute value is empty. Set the attribute and try again.",
            json!(["sku"]),
        ));
    }
    if sku.chars().count() > SKU_MAX {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "SKU length should be %1 characters maximum.",
            json!([SKU_MAX.to_string()]),
        ));
    }
    let existing = s.products.get(&sku).cloned();
    let type_id = input["type_id"]
        .as_str()
        .or(existing.as_ref().and_then(|p| p["type_id"].as_str()))
        .unwrap_or("simple")
        .to_string();
    if !PRODUCT_TYPES.contains(&type_id.as_str()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            INVALID,
            json!({ "fieldName": "type_id", "value": type_id }),
        ));
    }
    let set = input["attribute_set_id"]
        .as_u64()
        .or(existing
            .as_ref()
            .and_then(|p| p["attribute_set_id"].as_u64()))
        .unwrap_or(DEFAULT_SET);
    let Some(members) = s.sets.get(&set).cloned() else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            INVALID,
            json!({ "fieldName": "attribute_set_id", "value": set.to_string() }),
        ));
    };
    if existing.is_none() {
        let mut missing = vec![];
        if input["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
            missing.push("name");
        }
        // Price applies to simple and virtual products; a configurable takes its children's.
        if matches!(type_id.as_str(), "simple" | "virtual") && !input["price"].is_number() {
            missing.push("price");
        }
        if !missing.is_empty() {
            return Err(input_errors(
                missing
                    .into_iter()
                    .map(|m| {
                        (
                            "The value of attribute \"%1\" must be set".to_string(),
                            json!([m]),
                        )
                    })
                    .collect(),
            ));
        }
    }
    // A value for an attribute outside the product's set is dropped, as Magento drops it; an
    // option id a dropdown does not have is refused.
    let mut kept = vec![];
    for a in input["custom_attributes"].as_array().into_iter().flatten() {
        let code = a["attribute_code"].as_str().unwrap_or("");
        if !members.contains(code) {
            continue;
        }
        if let Some(attr) = s
            .attributes
            .get(code)
            .filter(|x| x.uses_options() && x.user_defined)
        {
            let v = match &a["value"] {
                Value::String(v) => v.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            if !v.is_empty() && !attr.options.iter().any(|(id, _)| id.to_string() == v) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    INVALID,
                    json!({ "fieldName": code, "value": v }),
                ));
            }
        }
        kept.push(a.clone());
    }
    if let Some(key) = kept
        .iter()
        .find(|a| a["attribute_code"] == "url_key")
        .and_then(|a| a["value"].as_str())
    {
        if s.products
            .iter()
            .any(|(k, p)| *k != sku && custom(p, "url_key").as_deref() == Some(key))
        {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "URL key for specified store already exists.",
                Value::Null,
            ));
        }
    }
    let mut p = match existing {
        Some(p) => p,
        None => {
            let id = s.next();
            inner.created.record("products", &sku);
            json!({ "id": id, "sku": sku, "name": "", "attribute_set_id": set, "status": 1, "visibility": 4, "type_id": type_id,
                    "created_at": now(), "updated_at": now(), "extension_attributes": { "website_ids": [1] },
                    "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [], "custom_attributes": [] })
        }
    };
    let id = p["id"].as_u64().unwrap_or(0);
    for (k, v) in input.as_object().into_iter().flatten() {
        match k.as_str() {
            "id" | "sku" | "created_at" | "updated_at" => {}
            "custom_attributes" => {
                let mut attrs = p["custom_attributes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for a in &kept {
                    attrs.retain(|x| x["attribute_code"] != a["attribute_code"]);
                    attrs.push(a.clone());
                }
                p["custom_attributes"] = json!(attrs);
            }
            "extension_attributes" => {
                for (ek, ev) in v.as_object().into_iter().flatten() {
                    if ek == "category_links" {
                        // A save with links replaces the product's links with them.
                        p["extension_attributes"]["category_links"] =
                            super::categories::links(s, &sku, ev)?;
                    } else if ek == "stock_item" {
                        // Magento keeps a whole stock item and fills what a save leaves out
                        // from the current one, or from its defaults.
                        let mut item = match &p["extension_attributes"]["stock_item"] {
                            Value::Object(_) => p["extension_attributes"]["stock_item"].clone(),
                            _ => default_stock_item(id),
                        };
                        for (sk, sv) in ev.as_object().into_iter().flatten() {
                            if !sv.is_null() {
                                item[sk] = sv.clone();
                            }
                        }
                        p["extension_attributes"]["stock_item"] = item;
                    } else {
                        p["extension_attributes"][ek] = ev.clone();
                    }
                }
            }
            "media_gallery_entries" => {
                let list: Vec<Value> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, m)| {
                        let mut m = m.clone();
                        m["id"] = json!(id * 100 + i as u64 + 1);
                        if let Some(o) = m.as_object_mut() {
                            // The image's bytes become a file name under pub/media/catalog/product.
                            if let Some(name) = o
                                .remove("content")
                                .and_then(|c| c["name"].as_str().map(str::to_string))
                            {
                                let a: String = name.chars().take(1).collect();
                                let b: String = name.chars().skip(1).take(1).collect();
                                o.insert("file".into(), json!(format!("/{a}/{b}/{name}")));
                            }
                        }
                        m
                    })
                    .collect();
                p["media_gallery_entries"] = json!(list);
            }
            _ => p[k] = v.clone(),
        }
    }
    p["updated_at"] = json!(now());
    s.products.insert(sku, p.clone());
    Ok(p)
}

/// The stock item Magento gives a product a save did not describe (CatalogInventory's
/// defaults: stock managed, no backorders, the configuration's sale limits).
fn default_stock_item(product_id: u64) -> Value {
    json!({
        "item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": 0, "is_in_stock": false,
        "is_qty_decimal": false, "show_default_notification_message": false, "use_config_min_qty": true,
        "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1, "use_config_max_sale_qty": true,
        "max_sale_qty": 10000, "use_config_backorders": true, "backorders": 0,
        "use_config_notify_stock_qty": true, "notify_stock_qty": 1, "use_config_qty_increments": true,
        "qty_increments": 0, "use_config_enable_qty_inc": true, "enable_qty_increments": false,
        "use_config_manage_stock": true, "manage_stock": true, "low_stock_date": null,
        "is_decimal_divided": false, "stock_status_changed_auto": 0,
    })
}

/// A product field as searches read it: its own fields, then its custom attributes.
fn product_field(p: &Value, field: &str) -> Option<String> {
    // The collection filters on its table's columns: the reply's `id` is `entity_id` there.
    let field = if field == "entity_id" { "id" } else { field };
    match p.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => custom(p, field),
    }
}

async fn list_products(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let criteria = match Criteria::read(&q, true) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut items: Vec<Value> = lock(&sb.inner.store)
        .products
        .values()
        .filter(|p| criteria.matches(p, &product_field))
        .cloned()
        .collect();
    // Magento lists by entity id unless sortOrders say otherwise.
    items.sort_by_key(|p| p["id"].as_u64());
    Json(criteria.page(items)).into_response()
}

async fn get_product(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
) -> Response {
    match lock(&sb.inner.store).products.get(&sku) {
        Some(p) => Json(p.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, NO_PRODUCT, Value::Null),
    }
}

async fn post_product(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    save_wrapped(&sb, &body, "product", |_| {}, save_product)
}

async fn put_product(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    save_wrapped(
        &sb,
        &body,
        "product",
        |p| p["sku"] = json!(sku),
        save_product,
    )
}

async fn delete_product(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
) -> Response {
    let mut s = lock(&sb.inner.store);
    if s.products.remove(&sku).is_none() {
        return error(StatusCode::NOT_FOUND, NO_PRODUCT, Value::Null);
    }
    s.children.remove(&sku);
    for list in s.children.values_mut() {
        list.retain(|c| *c != sku);
    }
    Json(json!(true)).into_response()
}

async fn get_children(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
) -> Response {
    let s = lock(&sb.inner.store);
    let Some(parent) = s.products.get(&sku) else {
        return error(StatusCode::NOT_FOUND, NO_PRODUCT, Value::Null);
    };
    if parent["type_id"] != "configurable" {
        return Json(json!([])).into_response();
    }
    let kids: Vec<Value> = s
        .children
        .get(&sku)
        .into_iter()
        .flatten()
        .filter_map(|c| s.products.get(c))
        .cloned()
        .collect();
    Json(json!(kids)).into_response()
}

/// The attribute codes a configurable is built on.
fn configurable_codes(s: &Store, parent: &Value) -> Vec<String> {
    parent["extension_attributes"]["configurable_product_options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["attribute_id"].as_str())
        .filter_map(|id| s.attribute(id).map(|a| a.code.clone()))
        .collect()
}

async fn add_child(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let v = match body_of(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(child) = v["childSku"].as_str().map(str::to_string) else {
        return error(
            StatusCode::BAD_REQUEST,
            REQUIRED,
            json!({ "fieldName": "childSku" }),
        );
    };
    let mut s = lock(&sb.inner.store);
    let (Some(parent), Some(kid)) = (s.products.get(&sku), s.products.get(&child)) else {
        return error(StatusCode::NOT_FOUND, NO_PRODUCT, Value::Null);
    };
    let linked = s.children.get(&sku).cloned().unwrap_or_default();
    if linked.contains(&child) {
        return error(
            StatusCode::BAD_REQUEST,
            "The product is already attached.",
            Value::Null,
        );
    }
    let codes = configurable_codes(&s, parent);
    if codes.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "The parent product doesn't have configurable product options.",
            Value::Null,
        );
    }
    let key = |p: &Value| -> Result<Vec<String>, String> {
        codes
            .iter()
            .map(|c| custom(p, c).filter(|v| !v.is_empty()).ok_or(c.clone()))
            .collect()
    };
    let values = match key(kid) {
        Ok(v) => v,
        Err(code) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The child product doesn't have the \"%1\" attribute value. Verify the value and try again.",
                json!([code]),
            )
        }
    };
    for other in &linked {
        let Some(o) = s.products.get(other) else {
            continue;
        };
        if key(o).ok().as_ref() == Some(&values) {
            return error(
                StatusCode::BAD_REQUEST,
                "Products \"%1\" and \"%2\" have the same set of attribute values.",
                json!([kid["id"].to_string(), o["id"].to_string()]),
            );
        }
    }
    s.children.entry(sku).or_default().push(child);
    Json(json!(true)).into_response()
}

async fn add_option(
    State(sb): State<MagentoSandbox>,
    Path((_, sku)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let opt = match wrapped(&body, "option") {
        Ok(o) => o,
        Err(r) => return r,
    };
    // OptionRepository::validateNewOptionData
    let attr_id = match &opt["attribute_id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let values: Vec<u64> = opt["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["value_index"].as_u64().unwrap_or(0))
        .collect();
    let mut problems = vec![];
    if attr_id.is_empty() {
        problems.push((
            "Option attribute ID is not specified.".to_string(),
            Value::Null,
        ));
    }
    if opt["label"].as_str().is_none_or(str::is_empty) {
        problems.push(("Option label is not specified.".to_string(), Value::Null));
    }
    if values.is_empty() {
        problems.push(("Option values are not specified.".to_string(), Value::Null));
    } else if values.contains(&0) {
        problems.push((
            "Value index is not specified for an option.".to_string(),
            Value::Null,
        ));
    }
    if !problems.is_empty() {
        return input_errors(problems);
    }
    let mut s = lock(&sb.inner.store);
    let Some(attr) = s.attribute(&attr_id).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "The attribute with a \"%1\" attributeCode doesn't exist. Verify the attribute and try again.",
            json!([attr_id]),
        );
    };
    if !attr.configurable() {
        return error(
            StatusCode::BAD_REQUEST,
            "Provided attribute can not be used with configurable product.",
            Value::Null,
        );
    }
    if let Some(bad) = values
        .iter()
        .find(|v| !attr.options.iter().any(|(id, _)| id == *v))
    {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID,
            json!({ "fieldName": "value_index", "value": bad.to_string() }),
        );
    }
    let option_id = s.next();
    let Some(p) = s.products.get_mut(&sku) else {
        return error(StatusCode::NOT_FOUND, NO_PRODUCT, Value::Null);
    };
    if !matches!(
        p["type_id"].as_str(),
        Some("simple" | "virtual" | "configurable")
    ) {
        return error(
            StatusCode::BAD_REQUEST,
            "Incompatible product type",
            Value::Null,
        );
    }
    let mut list = p["extension_attributes"]["configurable_product_options"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list
        .iter()
        .any(|o| o["attribute_id"].as_str() == Some(&attr.id.to_string()))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "Product already has this option",
            Value::Null,
        );
    }
    let product_id = p["id"].as_u64().unwrap_or(0);
    list.push(json!({
        "id": option_id, "attribute_id": attr.id.to_string(), "label": opt["label"],
        "position": opt["position"].as_i64().unwrap_or(0), "is_use_default": opt["is_use_default"].as_bool().unwrap_or(false),
        "values": values.iter().map(|v| json!({ "value_index": v })).collect::<Vec<_>>(), "product_id": product_id,
    }));
    p["type_id"] = json!("configurable");
    p["extension_attributes"]["configurable_product_options"] = json!(list);
    Json(json!(option_id)).into_response()
}

async fn list_attributes(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let criteria = match Criteria::read(&q, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let field = |a: &Value, f: &str| match f {
        "frontend_label" => a["default_frontend_label"].as_str().map(str::to_string),
        other => match &a[other] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
    };
    let items: Vec<Value> = lock(&sb.inner.store)
        .attributes
        .values()
        .map(Attr::to_json)
        .filter(|a| criteria.matches(a, &field))
        .collect();
    Json(criteria.page(items)).into_response()
}

fn no_attribute(code: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "The attribute with a \"%1\" attributeCode doesn't exist. Verify the attribute and try again.",
        json!([code]),
    )
}

/// Looks an attribute up by code or by numeric id, as Magento's endpoint accepts both.
async fn get_attribute(
    State(sb): State<MagentoSandbox>,
    Path((_, code)): Path<(String, String)>,
) -> Response {
    match lock(&sb.inner.store).attribute(&code) {
        Some(a) => Json(a.to_json()).into_response(),
        None => no_attribute(&code),
    }
}

async fn create_attribute(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    let a = match wrapped(&body, "attribute") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let label = a["default_frontend_label"]
        .as_str()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .or_else(|| {
            a["frontend_labels"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["store_id"].as_u64() == Some(0))
                .and_then(|l| l["label"].as_str())
                .map(str::to_string)
        });
    let Some(label) = label else {
        return error(
            StatusCode::BAD_REQUEST,
            REQUIRED,
            json!({ "fieldName": "frontend_label" }),
        );
    };
    let code = a["attribute_code"].as_str().unwrap_or("").to_string();
    let valid_code = code.len() <= 31
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_code {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID,
            json!({ "fieldName": "attribute_code", "value": code }),
        );
    }
    let input = a["frontend_input"].as_str().unwrap_or("").to_string();
    if !INPUT_TYPES.contains(&input.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID,
            json!({ "fieldName": "frontend_input", "value": input }),
        );
    }
    let mut s = lock(&sb.inner.store);
    if s.attributes.contains_key(&code) {
        return error(
            StatusCode::BAD_REQUEST,
            "An attribute with the same code (%1) already exists.",
            json!([code]),
        );
    }
    let id = s.next();
    let attr = Attr {
        id,
        code: code.clone(),
        label,
        // Swatches are dropdowns with a swatch type in their additional data.
        input: if input.starts_with("swatch") {
            "select".into()
        } else {
            input
        },
        scope: a["scope"].as_str().unwrap_or("store").to_string(),
        user_defined: true,
        visible: a["is_visible"].as_bool().unwrap_or(true),
        options: vec![],
    };
    sb.inner.created.record("attributes", &code);
    let out = attr.to_json();
    s.attributes.insert(code, attr);
    Json(out).into_response()
}

async fn attribute_options(
    State(sb): State<MagentoSandbox>,
    Path((_, code)): Path<(String, String)>,
) -> Response {
    match lock(&sb.inner.store).attribute(&code) {
        Some(a) if a.uses_options() => Json(a.to_json()["options"].clone()).into_response(),
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "The options for \"%1\" attribute can't be loaded.",
            json!([code]),
        ),
        None => no_attribute(&code),
    }
}

async fn add_attribute_option(
    State(sb): State<MagentoSandbox>,
    Path((_, code)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let o = match wrapped(&body, "option") {
        Ok(o) => o,
        Err(r) => return r,
    };
    let label = o["label"].as_str().unwrap_or("").trim().to_string();
    let mut s = lock(&sb.inner.store);
    let Some(attr) = s.attribute(&code).cloned() else {
        return no_attribute(&code);
    };
    if !attr.uses_options() {
        return error(
            StatusCode::BAD_REQUEST,
            "The \"%1\" attribute doesn't work with options.",
            json!([code]),
        );
    }
    if label.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "The attribute option label is empty. Enter the value and try again.",
            Value::Null,
        );
    }
    if attr.options.iter().any(|(_, l)| same(l, &label)) {
        return error(
            StatusCode::BAD_REQUEST,
            "Admin store attribute option label \"%1\" already exists.",
            json!([label]),
        );
    }
    let value = ensure_option(&mut s, &attr.code, &label);
    sb.inner.created.record(
        "attribute options",
        &format!("{}/{}", attr.code, label.to_uppercase()),
    );
    Json(json!(value.to_string())).into_response()
}

async fn set_attributes(
    State(sb): State<MagentoSandbox>,
    Path((_, set)): Path<(String, String)>,
) -> Response {
    let s = lock(&sb.inner.store);
    let Some(members) = set.parse::<u64>().ok().and_then(|id| s.sets.get(&id)) else {
        return error(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "id", "fieldValue": set }),
        );
    };
    let list: Vec<Value> = members
        .iter()
        .filter_map(|c| s.attributes.get(c))
        .map(Attr::to_json)
        .collect();
    Json(json!(list)).into_response()
}

async fn list_groups(State(sb): State<MagentoSandbox>, Query(q): Q) -> Response {
    let criteria = match Criteria::read(&q, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let field = |g: &Value, f: &str| match &g[f] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let items: Vec<Value> = lock(&sb.inner.store)
        .groups
        .iter()
        .map(|(id, set, name)| json!({ "attribute_group_id": id.to_string(), "attribute_group_name": name, "attribute_set_id": set }))
        .filter(|g| criteria.matches(g, &field))
        .collect();
    Json(criteria.page(items)).into_response()
}

async fn assign_attribute(State(sb): State<MagentoSandbox>, body: axum::body::Bytes) -> Response {
    let v = match body_of(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut missing = vec![];
    for k in [
        "attributeSetId",
        "attributeGroupId",
        "attributeCode",
        "sortOrder",
    ] {
        if v[k].is_null() {
            missing.push((REQUIRED.to_string(), json!({ "fieldName": k })));
        }
    }
    if !missing.is_empty() {
        return input_errors(missing);
    }
    let set = v["attributeSetId"].as_u64().unwrap_or(0);
    let group = v["attributeGroupId"].as_u64().unwrap_or(0);
    let code = v["attributeCode"].as_str().unwrap_or("").to_string();
    let mut s = lock(&sb.inner.store);
    if !s.sets.contains_key(&set) {
        return error(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "attributeSetId", "fieldValue": set.to_string() }),
        );
    }
    if !s.groups.iter().any(|(g, st, _)| *g == group && *st == set) {
        return error(
            StatusCode::BAD_REQUEST,
            "The attribute group doesn't belong to the attribute set.",
            Value::Null,
        );
    }
    let Some(id) = s.attributes.get(&code).map(|a| a.id) else {
        return no_attribute(&code);
    };
    s.sets.entry(set).or_default().insert(code);
    Json(json!(id * 10 + set)).into_response()
}
