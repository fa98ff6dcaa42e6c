//! Products and customers: the GraphQL fields read, node → canonical, canonical → productSet /
//! customerSet input.

use super::nonempty;
use super::reply::{
    CustomerNode, MailingAddress, ProductNode, ProductOption as OptionReply, VariantNode,
};
use crate::model::*;
use crate::platform::shopify as facts;
use crate::platform::url_path;
use serde_json::{json, Value};

// The fields read here are selected in `documents.rs` (PRODUCT_FIELDS, VARIANT_FRAGMENT,
// CUSTOMER_FIELDS).

fn is_default_option(options: &[OptionReply]) -> bool {
    options.len() == 1
        && options[0].name == "Title"
        && options[0].values.len() == 1
        && options[0].values[0] == "Default Title"
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

fn variant_from(v: &VariantNode, currency: &str, default_only: bool) -> Variant {
    let item = &v.inventory_item;
    let weight = item.measurement.weight.as_ref().and_then(|w| {
        Some(Weight {
            value: w.value.normalize(),
            unit: weight_unit(&w.unit)?,
        })
    });
    Variant {
        source_id: nonempty(Some(&v.id)),
        sku: nonempty(v.sku.as_deref()),
        barcode: nonempty(v.barcode.as_deref()),
        price: Some(Money::new(v.price, currency)),
        compare_at_price: v.compare_at_price.map(|a| Money::new(a, currency)),
        cost: item
            .unit_cost
            .as_ref()
            .map(|c| Money::new(c.amount, currency)),
        weight,
        inventory: if item.tracked {
            v.inventory_quantity
        } else {
            None
        },
        allow_backorder: v.inventory_policy == "CONTINUE",
        option_values: if default_only {
            vec![]
        } else {
            v.selected_options
                .iter()
                .filter_map(|o| nonempty(Some(&o.value)))
                .collect()
        },
        image: v.image.as_ref().map(|i| i.url.clone()),
        requires_shipping: item.requires_shipping,
        taxable: v.taxable,
        price_tiers: Default::default(),
    }
}

pub(super) fn product_from(node: &ProductNode, currency: &str) -> Product {
    let handle = node.handle.clone();
    let default_only = is_default_option(&node.options);
    let options: Vec<ProductOption> = if default_only {
        vec![]
    } else {
        node.options
            .iter()
            .map(|o| ProductOption {
                name: o.name.clone(),
                values: o.values.clone(),
            })
            .collect()
    };
    let variants = node
        .variants
        .nodes
        .iter()
        .map(|v| variant_from(v, currency, default_only))
        .collect();
    let images = node
        .media
        .nodes
        .iter()
        .filter_map(|m| {
            m.image
                .as_ref()
                .map(|i| (i.url.clone(), nonempty(m.alt.as_deref())))
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
            node.id.clone(),
            url_path(Platform::Shopify, Entity::Products, &handle, &[]),
        ),
        title: node.title.clone(),
        body_html: node.description_html.clone(),
        vendor: nonempty(Some(&node.vendor)),
        product_type: nonempty(Some(&node.product_type)),
        tags: node.tags.clone(),
        status: match node.status.as_str() {
            "DRAFT" => ProductStatus::Draft,
            "ARCHIVED" => ProductStatus::Archived,
            _ => ProductStatus::Active,
        },
        kind: if options.is_empty() {
            ProductKind::Simple
        } else {
            ProductKind::Variable
        },
        // Membership of collections is the product's categories (see content::category_from).
        categories: node
            .collections
            .nodes
            .iter()
            .map(|c| super::content::category_path(&c.title, c.tree_path.as_ref()))
            .collect(),
        options,
        variants,
        images,
        seo: Seo {
            title: nonempty(node.seo.title.as_deref()),
            description: nonempty(node.seo.description.as_deref()),
        },
        attributes: Default::default(),
        created_at: crate::api::time(Some(node.created_at.clone())),
        handle,
        translations: Default::default(),
    }
}

/// A mailing address as canonical (`default` is the caller's to set).
pub(super) fn address_from(a: &MailingAddress) -> Address {
    Address {
        first_name: nonempty(a.first_name.as_deref()),
        last_name: nonempty(a.last_name.as_deref()),
        company: nonempty(a.company.as_deref()),
        address1: nonempty(a.address1.as_deref()),
        address2: nonempty(a.address2.as_deref()),
        city: nonempty(a.city.as_deref()),
        province: nonempty(a.province_code.as_deref()),
        country_code: nonempty(a.country_code_v2.as_deref()),
        zip: nonempty(a.zip.as_deref()),
        phone: nonempty(a.phone.as_deref()),
        default: false,
    }
}

pub(super) fn customer_from(node: &CustomerNode) -> Customer {
    let addresses = node
        .addresses
        .iter()
        .enumerate()
        .map(|(i, a)| Address {
            default: i == 0,
            ..address_from(a)
        })
        .collect();
    Customer {
        source: SourceRef::new(node.id.clone()),
        email: nonempty(node.email.as_deref()).unwrap_or_default(),
        first_name: nonempty(node.first_name.as_deref()),
        last_name: nonempty(node.last_name.as_deref()),
        phone: nonempty(node.phone.as_deref()),
        addresses,
        marketing: MarketingConsent {
            email: node
                .email_marketing_consent
                .as_ref()
                .is_some_and(|c| c.marketing_state == "SUBSCRIBED"),
            sms: node
                .sms_marketing_consent
                .as_ref()
                .is_some_and(|c| c.marketing_state == "SUBSCRIBED"),
            // One date in the model: email consent's, or SMS consent's for a customer who
            // only ever answered for SMS.
            updated_at: [&node.email_marketing_consent, &node.sms_marketing_consent]
                .into_iter()
                .flatten()
                .find_map(|c| c.consent_updated_at.as_deref())
                .and_then(crate::model::Timestamp::parse_api),
        },
        tags: node.tags.clone(),
        note: nonempty(node.note.as_deref()),
        created_at: crate::api::time(Some(node.created_at.clone())),
    }
}

pub(super) fn custom_id(key: &str) -> Value {
    json!({ "customId": { "namespace": facts::CUSTOM_ID_NAMESPACE, "key": facts::CUSTOM_ID_KEY, "value": key } })["customId"].clone()
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
    use super::super::reply::{fixtures, parse};
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn a_complete_product_maps_as_before() {
        let node: ProductNode = parse("list products", "", &fixtures::product()).expect("reads");
        let p = product_from(&node, "EUR");
        assert_eq!(p.options.len(), 1);
        assert_eq!(p.product_type, None, "an empty product type is none");
        assert_eq!(
            p.categories,
            vec![vec!["Clothing".to_string(), "Hats".into()]]
        );
        assert_eq!(p.images.len(), 1, "only images are images");
        let v = &p.variants[0];
        assert_eq!(v.price, Some(Money::new(Decimal::new(1999, 2), "EUR")));
        assert_eq!(v.cost, Some(Money::new(Decimal::new(7125, 3), "EUR")));
        assert_eq!(v.inventory, Some(4));
        assert_eq!(v.option_values, vec!["S"]);
    }

    #[test]
    fn default_title_option_is_no_option() {
        let mut json = fixtures::product();
        json["options"] = serde_json::json!([{ "name": "Title", "values": ["Default Title"] }]);
        let v = &mut json["variants"]["nodes"][0];
        v["price"] = "1.50".into();
        v["selectedOptions"] = serde_json::json!([{ "name": "Title", "value": "Default Title" }]);
        v["inventoryItem"]["tracked"] = false.into();
        let node: ProductNode = parse("list products", "", &json).expect("reads");
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
