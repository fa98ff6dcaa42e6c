//! Field-by-field comparison of a record as it was sent with the record a target gave back,
//! leaving out what the target cannot hold. Verification in the runtime and the benchmarks
//! against the sandboxes compare by the same rules.

use crate::model::{Entity, Platform};
use crate::platform;
use crate::EndpointKind;
use serde_json::Value;

/// Fields a target's format cannot hold (JSON paths, `[]` = every element), with the reason.
pub fn not_carried(
    target: Platform,
    kind: EndpointKind,
    entity: Entity,
) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = vec![(
        "source",
        "source ids and URLs live in the id map and the redirects",
    )];
    if entity == Entity::Products {
        v.push(("variants[].source_id", "variant ids are the target's own"));
    }
    if kind == EndpointKind::Files {
        // The same facts convert's read-back counts by design.
        v.extend(
            crate::platform::file_not_carried(target, entity)
                .iter()
                .copied(),
        );
    }
    match (target, kind, entity) {
        (Platform::Medusa, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "kind",
                    "Medusa has one product kind: variants make a product variable",
                ),
                ("vendor", "Medusa has no vendor field"),
                (
                    "product_type",
                    "Medusa product types are separate records a rollback would leave behind",
                ),
                (
                    "tags",
                    "Medusa tags are separate records a rollback would leave behind",
                ),
                ("seo", "Medusa has no SEO fields"),
                ("created_at", "Medusa sets a product's creation date itself"),
                (
                    "variants[].compare_at_price",
                    "Medusa keeps sale prices in price lists, not on the variant",
                ),
                ("variants[].cost", "Medusa has no cost price"),
                (
                    "variants[].image",
                    "Medusa variants have no image of their own",
                ),
                (
                    "variants[].requires_shipping",
                    "Medusa decides shipping by shipping profile, not per variant",
                ),
                (
                    "variants[].taxable",
                    "Medusa decides taxes by region, not per variant",
                ),
                ("images[].alt", "Medusa images have no alt text"),
            ]);
        }
        (Platform::BigCommerce, EndpointKind::Api, Entity::Categories) => {
            v.push((
                "handle",
                "BigCommerce makes a category's URL from the names of its path",
            ));
        }
        (Platform::BigCommerce, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "tags",
                    "BigCommerce has no product tags (its search_keywords are search terms, not tags)",
                ),
                (
                    "attributes",
                    "BigCommerce shows custom fields to shoppers: they carry WooCommerce's product attributes and BigCommerce's own custom fields; other platforms' settings (metafields, store options) are not carried",
                ),
                (
                    "variants[].allow_backorder",
                    "BigCommerce sets backorders store-wide, not per variant",
                ),
                (
                    "created_at",
                    "BigCommerce sets a product's date_created itself",
                ),
            ]);
        }
        (Platform::BigCommerce, EndpointKind::Api, Entity::Customers) => {
            v.extend([
                ("tags", "BigCommerce customers have no tags"),
                (
                    "marketing",
                    "BigCommerce keeps e-mail consent in its newsletter subscribers, which the connector does not write, and has no SMS consent",
                ),
                (
                    "created_at",
                    "BigCommerce sets a customer's date_created itself",
                ),
            ]);
        }
        (Platform::Magento, EndpointKind::Api, Entity::Categories) => {
            v.extend([
                (
                    "position",
                    "Magento numbers a category's position among its siblings itself",
                ),
                (
                    "image",
                    "Magento takes category images as uploaded files, and storeshift never fetches image URLs",
                ),
            ]);
        }
        (Platform::Magento, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "images",
                    "Magento takes images as uploaded files, and storeshift never fetches image URLs",
                ),
                (
                    "variants[].image",
                    "Magento takes images as uploaded files, and storeshift never fetches image URLs",
                ),
                (
                    "vendor",
                    "Magento keeps a brand in a store-defined attribute (often manufacturer), which the connector does not map yet",
                ),
                ("tags", "Magento has no product tags"),
                (
                    "variants[].barcode",
                    "Magento has no barcode attribute of its own",
                ),
                (
                    "attributes",
                    "the Magento connector writes the option attributes only, not other custom attributes yet",
                ),
                ("created_at", "Magento sets a product's created_at itself"),
            ]);
        }
        (Platform::Magento, EndpointKind::Api, Entity::Customers) => {
            v.extend([
                (
                    "created_at",
                    "the Magento connector does not send created_at; Magento sets it",
                ),
                (
                    "addresses[].phone",
                    "Magento requires a telephone on every address: one without takes the customer's phone",
                ),
                ("tags", "Magento customers have no tags"),
                ("marketing.sms", "Magento has no SMS consent"),
                (
                    "marketing.updated_at",
                    "Magento's customer API carries the newsletter subscription (is_subscribed), not when it changed",
                ),
            ]);
        }
        (Platform::Vendure, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "kind",
                    "Vendure has one product kind: variants make a product variable",
                ),
                ("vendor", "Vendure core has no vendor field"),
                ("product_type", "Vendure core has no product type"),
                ("tags", "Vendure core has no product tags"),
                ("seo", "Vendure core has no SEO fields"),
                (
                    "attributes",
                    "Vendure keeps extra fields only as custom fields configured in the server",
                ),
                (
                    "created_at",
                    "Vendure sets a product's creation date itself",
                ),
                (
                    "images",
                    "Vendure makes images from uploaded files; storeshift never fetches image URLs",
                ),
                ("variants[].barcode", "Vendure core has no barcode field"),
                ("variants[].weight", "Vendure core has no weight field"),
                (
                    "variants[].compare_at_price",
                    "Vendure core has no compare-at price",
                ),
                ("variants[].cost", "Vendure core has no cost price"),
                (
                    "variants[].image",
                    "Vendure makes images from uploaded files; storeshift never fetches image URLs",
                ),
                (
                    "variants[].requires_shipping",
                    "Vendure decides shipping by shipping method, not per variant",
                ),
                (
                    "variants[].taxable",
                    "Vendure decides taxes by tax category and zone, not per variant",
                ),
                (
                    "variants[].allow_backorder",
                    "Vendure allows backorders through a negative out-of-stock threshold, which storeshift does not set yet",
                ),
            ]);
        }
        (Platform::Vendure, EndpointKind::Api, Entity::Categories) => {
            v.extend([
                ("position", "Vendure orders collections itself"),
                ("seo", "Vendure core has no SEO fields"),
                (
                    "image",
                    "Vendure makes images from uploaded files; storeshift never fetches image URLs",
                ),
            ]);
        }
        (Platform::Vendure, EndpointKind::Api, Entity::Customers) => {
            v.extend([
                (
                    "created_at",
                    "Vendure sets a customer's creation date itself",
                ),
                (
                    "marketing",
                    "Vendure customers have no marketing consent fields",
                ),
                ("tags", "Vendure customer groups are separate records"),
                (
                    "note",
                    "Vendure customer notes are history entries, not a field",
                ),
            ]);
        }
        (Platform::Medusa, EndpointKind::Api, Entity::Categories) => {
            v.extend([
                ("position", "Medusa ranks categories itself"),
                ("seo", "Medusa has no SEO fields"),
                ("image", "Medusa categories have no image"),
            ]);
        }
        (Platform::Medusa, EndpointKind::Api, Entity::Customers) => {
            v.extend([
                (
                    "created_at",
                    "Medusa sets a customer's creation date itself",
                ),
                (
                    "marketing",
                    "Medusa customers have no marketing consent fields",
                ),
                ("tags", "Medusa customer groups are separate records"),
                ("note", "Medusa customers have no note"),
            ]);
        }
        (Platform::WooCommerce, EndpointKind::Api, Entity::Customers) => {
            v.extend([
                (
                    "created_at",
                    "WooCommerce sets a customer's creation date itself",
                ),
                (
                    "marketing",
                    "WooCommerce customers have no marketing consent fields",
                ),
                ("tags", "WooCommerce customers have no tags"),
                (
                    "addresses[].phone",
                    "WooCommerce's billing address carries the customer's phone",
                ),
            ]);
        }
        (Platform::WooCommerce, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "created_at",
                    "WooCommerce's REST API has a product's creation date read-only",
                ),
                (
                    "seo",
                    "WooCommerce products have no SEO title or description without an SEO plugin",
                ),
            ]);
        }
        (Platform::Shopify, EndpointKind::Api, Entity::Customers) => {
            v.push((
                "created_at",
                "Shopify dates a customer itself (customerSet takes no creation date)",
            ));
        }
        (Platform::Shopify, EndpointKind::Api, Entity::Products) => {
            v.extend([(
                "created_at",
                "Shopify dates a product itself (createdAt cannot be set)",
            )]);
        }
        (Platform::WooCommerce, EndpointKind::Api, Entity::Orders) => {
            let taxes = "WooCommerce's REST API has taxes read-only: the store computes them from its own tax settings (a finding on each order lists them)";
            v.extend([
                (
                    "presentment",
                    crate::platform::woocommerce::PRESENTMENT_NOT_CARRIED,
                ),
                ("tax_lines", taxes),
                ("line_items[].tax_lines", taxes),
                ("shipping_lines[].tax_lines", taxes),
                ("totals.tax", taxes),
                (
                    "totals.total",
                    "WooCommerce computes the grand total itself, with its own taxes",
                ),
                (
                    "transactions[].amount",
                    "WooCommerce keeps the payment method, not the amounts paid",
                ),
                (
                    "processed_at",
                    "WooCommerce dates the payment itself when an order is marked paid",
                ),
                (
                    "customer_ref",
                    "orders link to the target's own customer, found by email",
                ),
                (
                    "line_items[].product_ref",
                    "line items link to the target's own products, found by SKU",
                ),
                (
                    "line_items[].total_discount",
                    "WooCommerce keeps discounts on lines: an order-level discount is spread over them (a finding on the order says so)",
                ),
            ]);
        }
        (Platform::WooCommerce, EndpointKind::Api, Entity::Pages) => {
            v.push((
                "seo",
                "WordPress pages have no SEO title or description without an SEO plugin",
            ));
        }
        _ => {}
    }
    v.extend(platform::not_carried_by_format(
        target,
        entity,
        kind == EndpointKind::Files,
    ));
    v
}

/// The fields of `actual` that differ from `expected`, leaving out what the target does not
/// carry: (path, expected, actual).
pub fn compare(
    expected: Value,
    actual: Value,
    ignore: &[(&str, &str)],
) -> Vec<(String, String, String)> {
    let mut diffs = vec![];
    diff(
        &strip(expected, ignore),
        &strip(actual, ignore),
        String::new(),
        &mut diffs,
    );
    diffs
}

/// Removes the paths a format does not carry. `a[].b` strips `b` in every element of `a`.
fn strip(mut v: Value, paths: &[(&str, &str)]) -> Value {
    for (path, _) in paths {
        remove_path(&mut v, &path.split('.').collect::<Vec<_>>());
    }
    normalize(&mut v);
    v
}

fn remove_path(v: &mut Value, parts: &[&str]) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    let (name, each) = match first.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (*first, false),
    };
    let Some(obj) = v.as_object_mut() else { return };
    if rest.is_empty() && !each {
        obj.remove(name);
        return;
    }
    if let Some(child) = obj.get_mut(name) {
        if each {
            if let Some(arr) = child.as_array_mut() {
                for item in arr {
                    remove_path(item, rest);
                }
            }
        } else {
            remove_path(child, rest);
        }
    }
}

/// Empty strings, empty arrays and nulls mean "nothing" in every format: treat them alike.
/// Decimal strings compare by value ("10.0" = "10"). Tags are a set on every platform, and
/// each answers them in its own order (WooCommerce by name): they compare without order.
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(grams) = weight_in_grams(m) {
                m.clear();
                m.insert("grams".into(), Value::String(grams));
                return;
            }
            if let Some(Value::Array(tags)) = m.get_mut("tags") {
                if tags.iter().all(Value::is_string) {
                    tags.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
            }
            for (_, x) in m.iter_mut() {
                normalize(x);
            }
            m.retain(|_, x| {
                !matches!(x, Value::Null)
                    && x != &Value::String(String::new())
                    && x != &Value::Array(vec![])
            });
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        Value::String(s) => {
            if let Ok(d) = s.parse::<rust_decimal::Decimal>() {
                *s = d.normalize().to_string();
            }
        }
        _ => {}
    }
}

/// A weight compares by quantity, not by the unit a platform stores it in (0.998 kg = 998 g),
/// to the gram: platforms that keep whole grams round.
fn weight_in_grams(m: &serde_json::Map<String, Value>) -> Option<String> {
    if m.len() != 2 {
        return None;
    }
    let unit: crate::model::WeightUnit = serde_json::from_value(m.get("unit")?.clone()).ok()?;
    let value = match m.get("value")? {
        Value::String(t) => t.parse::<rust_decimal::Decimal>().ok()?,
        Value::Number(n) => n.to_string().parse::<rust_decimal::Decimal>().ok()?,
        _ => return None,
    };
    let g = crate::model::Weight { value, unit }.grams().round();
    Some(g.normalize().to_string())
}

fn diff(e: &Value, a: &Value, path: String, out: &mut Vec<(String, String, String)>) {
    match (e, a) {
        (Value::Object(me), Value::Object(ma)) => {
            for (k, ve) in me {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match ma.get(k) {
                    Some(va) => diff(ve, va, p, out),
                    None => out.push((p, short(ve), "(absent)".into())),
                }
            }
            for (k, va) in ma {
                if !me.contains_key(k) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push((p, "(absent)".into(), short(va)));
                }
            }
        }
        (Value::Array(ae), Value::Array(aa)) if ae.len() == aa.len() => {
            for (i, (x, y)) in ae.iter().zip(aa).enumerate() {
                diff(x, y, format!("{path}[{i}]"), out);
            }
        }
        _ if e == a || crate::model::same_instant(e, a) => {}
        _ => out.push((path, short(e), short(a))),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weights_compare_by_quantity_to_the_gram() {
        let e = json!({"weight": {"unit": "kg", "value": "0.998"}});
        let same = json!({"weight": {"unit": "g", "value": "998"}});
        let other = json!({"weight": {"unit": "g", "value": "990"}});
        let mut out = vec![];
        diff(
            &strip(e.clone(), &[]),
            &strip(same, &[]),
            String::new(),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        diff(&strip(e, &[]), &strip(other, &[]), String::new(), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].0, "weight.grams");
    }

    #[test]
    fn diff_reports_paths_and_ignores_uncarried_fields() {
        let e = json!({"title": "A", "price": "10.0", "source": {"id": "1"}, "variants": [{"sku": "X", "source_id": "9"}]});
        let a = json!({"title": "B", "price": "10", "source": {"id": "99"}, "variants": [{"sku": "X"}]});
        let ignore = [("source", ""), ("variants[].source_id", "")];
        let mut out = vec![];
        diff(
            &strip(e, &ignore),
            &strip(a, &ignore),
            String::new(),
            &mut out,
        );
        assert_eq!(
            out,
            vec![(
                "title".to_string(),
                "\"A\"".to_string(),
                "\"B\"".to_string()
            )]
        );
    }

    #[test]
    fn tags_compare_as_a_set() {
        let e = json!({"tags": ["seed", "Sale"]});
        assert!(compare(e.clone(), json!({"tags": ["Sale", "seed"]}), &[]).is_empty());
        let missing = compare(e, json!({"tags": ["Sale"]}), &[]);
        assert_eq!(missing.len(), 1, "{missing:?}");
    }
}
