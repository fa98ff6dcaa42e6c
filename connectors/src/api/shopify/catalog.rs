//! Products and customers: the GraphQL fields read, node → canonical, canonical → productSet /
//! customerSet input.

use super::{money, s};
use crate::model::*;
use crate::platform::shopify as facts;
use crate::platform::url_path;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

// The fields read here are selected in `documents.rs` (PRODUCT_FIELDS, VARIANT_FRAGMENT,
// CUSTOMER_FIELDS).

fn is_default_option(options: &[Value]) -> bool {
    options.len() == 1
        && options[0]["name"] == "Title"
        && options[0]["values"]
            .as_array()
            .is_some_and(|v| v.len() == 1 && v[0] == "Default Title")
}

fn weight_unit(unit: &str) -> Option<WeightUnit> {
    match unit {
        "GRAMS" => Some(WeightUnit::G),
        "KILOGRAMS" => Some(WeightUnit::Kg),
        "OUNCES" => Some(WeightUnit::Oz),
        "POUNDS" => Some(WeightUnit::Lb),
        _ => None,
    }
}

fn unit_name(unit: WeightUnit) -> &'static str {
    match unit {
        WeightUnit::G => "GRAMS",
        WeightUnit::Kg => "KILOGRAMS",
        WeightUnit::Oz => "OUNCES",
        WeightUnit::Lb => "POUNDS",
    }
}

pub(super) fn product_from(node: &Value, currency: &str) -> Product {
    let handle = s(node, "handle").unwrap_or_default();
    let raw_options = node["options"].as_array().cloned().unwrap_or_default();
    let default_only = is_default_option(&raw_options);
    let options: Vec<ProductOption> = if default_only {
        vec![]
    } else {
        raw_options
            .iter()
            .map(|o| ProductOption {
                name: s(o, "name").unwrap_or_default(),
                values: o["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            })
            .collect()
    };
    let variants = node
        .pointer("/variants/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let item = &v["inventoryItem"];
            let tracked = item["tracked"].as_bool().unwrap_or(true);
            let weight = item
                .pointer("/measurement/weight")
                .filter(|w| w.is_object())
                .and_then(|w| {
                    let value = match &w["value"] {
                        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
                        Value::String(t) => Decimal::from_str(t).ok(),
                        _ => None,
                    }?;
                    Some(Weight {
                        value: value.normalize(),
                        unit: weight_unit(w["unit"].as_str()?)?,
                    })
                });
            Variant {
                source_id: s(v, "id"),
                sku: s(v, "sku"),
                barcode: s(v, "barcode"),
                price: money(&v["price"], currency),
                compare_at_price: money(&v["compareAtPrice"], currency),
                cost: item
                    .pointer("/unitCost/amount")
                    .and_then(|a| money(a, currency)),
                weight,
                inventory: if tracked {
                    v["inventoryQuantity"].as_i64()
                } else {
                    None
                },
                allow_backorder: v["inventoryPolicy"] == "CONTINUE",
                option_values: if default_only {
                    vec![]
                } else {
                    v["selectedOptions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| s(o, "value"))
                        .collect()
                },
                image: v
                    .pointer("/image/url")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                requires_shipping: item["requiresShipping"].as_bool().unwrap_or(true),
                taxable: v["taxable"].as_bool().unwrap_or(true),
                price_tiers: Default::default(),
            }
        })
        .collect();
    let images = node
        .pointer("/media/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            m.pointer("/image/url")
                .and_then(Value::as_str)
                .map(|u| (u.to_string(), s(m, "alt")))
        })
        .enumerate()
        .map(|(i, (src, alt))| Image {
            src,
            alt,
            position: i as u32 + 1,
        })
        .collect();
    Product {
        source: SourceRef::with_url(
            s(node, "id").unwrap_or_default(),
            url_path(Platform::Shopify, Entity::Products, &handle, &[]),
        ),
        title: s(node, "title").unwrap_or_default(),
        body_html: s(node, "descriptionHtml").unwrap_or_default(),
        vendor: s(node, "vendor"),
        product_type: s(node, "productType"),
        tags: node["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        status: match node["status"].as_str() {
            Some("DRAFT") => ProductStatus::Draft,
            Some("ARCHIVED") => ProductStatus::Archived,
            _ => ProductStatus::Active,
        },
        kind: if options.is_empty() {
            ProductKind::Simple
        } else {
            ProductKind::Variable
        },
        // Membership of collections is the product's categories (see content::category_from).
        categories: node
            .pointer("/collections/nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| super::content::category_from(c).path)
            .collect(),
        options,
        variants,
        images,
        seo: Seo {
            title: s(&node["seo"], "title"),
            description: s(&node["seo"], "description"),
        },
        attributes: Default::default(),
        created_at: crate::api::time(s(node, "createdAt")),
        handle,
        translations: Default::default(),
    }
}

pub(super) fn customer_from(node: &Value) -> Customer {
    let addresses = node["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| Address {
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
            default: i == 0,
        })
        .collect();
    Customer {
        source: SourceRef::new(s(node, "id").unwrap_or_default()),
        email: s(node, "email").unwrap_or_default(),
        first_name: s(node, "firstName"),
        last_name: s(node, "lastName"),
        phone: s(node, "phone"),
        addresses,
        marketing: MarketingConsent {
            email: node.pointer("/emailMarketingConsent/marketingState")
                == Some(&json!("SUBSCRIBED")),
            sms: node.pointer("/smsMarketingConsent/marketingState") == Some(&json!("SUBSCRIBED")),
            updated_at: node
                .pointer("/emailMarketingConsent/consentUpdatedAt")
                .and_then(Value::as_str)
                .and_then(crate::model::Timestamp::parse_api),
        },
        tags: node["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        note: s(node, "note"),
        created_at: crate::api::time(s(node, "createdAt")),
    }
}

pub(super) fn custom_id(key: &str) -> Value {
    json!({ "customId": { "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "value": key } })["customId"].clone()
}

pub(super) fn user_errors(errors: &[Value]) -> String {
    if errors.is_empty() {
        return "Shopify returned no record and no error".into();
    }
    errors
        .iter()
        .map(|e| {
            let field = e["field"].as_array().map(|f| {
                f.iter()
                    .map(|x| x.to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            });
            match field {
                Some(f) if !f.is_empty() => format!("{f}: {}", e["message"].as_str().unwrap_or("")),
                _ => e["message"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `collections`: the ids of the collections the product belongs to (`None`: leave as is).
pub(super) fn product_input(
    p: &Product,
    key: &str,
    location: &str,
    collections: Option<&[String]>,
) -> Value {
    let options: Vec<Value> = p
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| json!({ "name": o.name, "position": i + 1, "values": o.values.iter().map(|v| json!({ "name": v })).collect::<Vec<_>>() }))
        .collect();
    let variants: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            let mut item = json!({ "tracked": v.inventory.is_some(), "requiresShipping": v.requires_shipping });
            if let Some(c) = &v.cost {
                item["cost"] = json!(c.amount.to_string());
            }
            if let Some(w) = &v.weight {
                item["measurement"] = json!({ "weight": { "value": w.value.to_string().parse::<f64>().unwrap_or(0.0), "unit": unit_name(w.unit) } });
            }
            let mut out = json!({
                "optionValues": p.options.iter().zip(&v.option_values).map(|(o, val)| json!({ "optionName": o.name, "name": val })).collect::<Vec<_>>(),
                "price": v.price.as_ref().map(|m| m.amount.to_string()).unwrap_or_else(|| "0".into()),
                "inventoryPolicy": if v.allow_backorder { "CONTINUE" } else { "DENY" },
                "taxable": v.taxable,
                "inventoryItem": item,
            });
            if let Some(sku) = &v.sku {
                out["sku"] = json!(sku);
            }
            if let Some(b) = &v.barcode {
                out["barcode"] = json!(b);
            }
            if let Some(c) = &v.compare_at_price {
                out["compareAtPrice"] = json!(c.amount.to_string());
            }
            if let Some(q) = v.inventory {
                out["inventoryQuantities"] = json!([{ "locationId": location, "name": "available", "quantity": q }]);
            }
            if let Some(img) = &v.image {
                out["file"] = json!({ "originalSource": img, "contentType": "IMAGE" });
            }
            out
        })
        .collect();
    let mut input = json!({
        "handle": p.handle,
        "title": p.title,
        "descriptionHtml": p.body_html,
        "vendor": p.vendor.clone().unwrap_or_default(),
        "productType": p.product_type.clone().unwrap_or_default(),
        "tags": p.tags,
        "status": match p.status { ProductStatus::Active => "ACTIVE", ProductStatus::Draft => "DRAFT", ProductStatus::Archived => "ARCHIVED" },
        "productOptions": options,
        "variants": variants,
        "files": p.images.iter().map(|i| json!({ "originalSource": i.src, "alt": i.alt.clone().unwrap_or_default(), "contentType": "IMAGE" })).collect::<Vec<_>>(),
        "metafields": [{ "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "type": "id", "value": key }],
    });
    if !p.seo.is_empty() {
        input["seo"] = json!({ "title": p.seo.title, "description": p.seo.description });
    }
    if let Some(ids) = collections {
        input["collections"] = json!(ids);
    }
    input
}

pub(super) fn customer_input(c: &Customer) -> Value {
    let mut input = json!({
        "email": c.email,
        "tags": c.tags,
        "addresses": c.addresses.iter().map(|a| {
            let mut m = serde_json::Map::new();
            for (k, v) in [("address1", &a.address1), ("address2", &a.address2), ("city", &a.city), ("company", &a.company),
                           ("countryCode", &a.country_code), ("firstName", &a.first_name), ("lastName", &a.last_name),
                           ("phone", &a.phone), ("provinceCode", &a.province), ("zip", &a.zip)] {
                if let Some(v) = v {
                    m.insert(k.into(), json!(v));
                }
            }
            Value::Object(m)
        }).collect::<Vec<_>>(),
    });
    for (k, v) in [
        ("firstName", &c.first_name),
        ("lastName", &c.last_name),
        ("phone", &c.phone),
        ("note", &c.note),
    ] {
        if let Some(v) = v {
            input[k] = json!(v);
        }
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_title_option_is_no_option() {
        let node = json!({ "handle": "h", "title": "T", "options": [{ "name": "Title", "values": ["Default Title"] }],
            "variants": { "nodes": [{ "sku": "A", "price": "1.50", "selectedOptions": [{ "name": "Title", "value": "Default Title" }],
            "inventoryItem": { "tracked": false } }] } });
        let p = product_from(&node, "EUR");
        assert!(p.options.is_empty());
        assert!(p.variants[0].option_values.is_empty());
        assert_eq!(p.variants[0].inventory, None);
        assert_eq!(
            p.variants[0].price,
            Some(Money::new(Decimal::new(150, 2), "EUR"))
        );
    }
}
