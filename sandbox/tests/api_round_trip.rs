//! Shopify → WooCommerce and WooCommerce → Shopify at the connector level: extract from one
//! sandbox, load into the other, extract again and compare what both platforms can carry.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyTarget};
use storeshift_connectors::api::woocommerce::{WooSource, WooTarget};
use storeshift_connectors::model::{Customer, Entity, Platform, Product, Record};
use storeshift_connectors::{EndpointKind, EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::woocommerce::{WooConfig, WooSandbox};
use storeshift_sandbox::Running;

mod support;
use support::read_all;

fn spec(platform: Platform, server: &Running) -> EndpointSpec {
    let credentials: BTreeMap<String, String> = match platform {
        Platform::Shopify => {
            std::env::set_var(
                "STORESHIFT_RT_SHOPIFY_TOKEN",
                ShopifyConfig::default().token,
            );
            [("token", "STORESHIFT_RT_SHOPIFY_TOKEN")]
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect()
        }
        _ => {
            std::env::set_var("STORESHIFT_RT_WOO_KEY", WooConfig::default().consumer_key);
            std::env::set_var(
                "STORESHIFT_RT_WOO_SECRET",
                WooConfig::default().consumer_secret,
            );
            [
                ("consumer_key", "STORESHIFT_RT_WOO_KEY"),
                ("consumer_secret", "STORESHIFT_RT_WOO_SECRET"),
            ]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect()
        }
    };
    EndpointSpec {
        platform,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials,
        currency: Some("USD".into()),
        encoding: None,
        timezone: None,
        options: [("retry_base_ms", json!(5))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        mapping: None,
    }
}

/// What both platforms carry for a product. Tags are a set: WooCommerce answers them in name
/// order, so they compare sorted.
fn product_view(p: &Product) -> Value {
    let mut tags = p.tags.clone();
    tags.sort();
    json!({
        "handle": p.handle, "title": p.title, "body": p.body_html, "vendor": p.vendor, "type": p.product_type,
        "tags": tags, "status": p.status, "options": p.options,
        "images": p.images.iter().map(|i| json!([i.src, i.alt, i.position])).collect::<Vec<_>>(),
        "variants": p.variants.iter().map(|v| json!({
            "sku": v.sku, "price": v.price.as_ref().map(|m| m.amount.normalize().to_string()),
            "compare": v.compare_at_price.as_ref().map(|m| m.amount.normalize().to_string()),
            "inventory": v.inventory, "backorder": v.allow_backorder, "options": v.option_values,
            "grams": v.weight.map(|w| w.grams().round_dp(2).normalize().to_string()),
        })).collect::<Vec<_>>(),
    })
}

fn customer_view(c: &Customer) -> Value {
    let a = c.addresses.first();
    json!({
        "email": c.email, "first": c.first_name, "last": c.last_name, "phone": c.phone,
        "address": a.map(|a| json!([a.address1, a.address2, a.city, a.province, a.country_code, a.zip])),
    })
}

fn views(records: &[Record]) -> BTreeMap<String, Value> {
    records
        .iter()
        .map(|r| {
            let v = match r {
                Record::Product(p) => product_view(p),
                Record::Customer(c) => customer_view(c),
                _ => Value::Null,
            };
            (r.external_key(), v)
        })
        .collect()
}

async fn load(target: &mut dyn Target, entity: Entity, records: &[Record]) {
    let out = target.write_batch(entity, records).await.expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
}

#[tokio::test]
async fn shopify_to_woocommerce_keeps_every_field_both_can_hold() {
    let shop = ShopifySandbox::new(ShopifyConfig {
        bucket: 100_000.0,
        restore_rate: 100_000.0,
        ..Default::default()
    });
    shop.seed_products(20);
    shop.seed_customers(9);
    let shop_server = shop.start(0).await.expect("bind");
    let woo = WooSandbox::new(WooConfig::default());
    let woo_server = woo.start(0).await.expect("bind");

    let mut src = ShopifySource::open(&spec(Platform::Shopify, &shop_server)).expect("open");
    let mut dst = WooTarget::open(&spec(Platform::WooCommerce, &woo_server)).expect("open");
    let mut back = WooSource::open(&spec(Platform::WooCommerce, &woo_server)).expect("open");
    for entity in [Entity::Products, Entity::Customers] {
        let original = read_all(&mut src, entity, 50).await;
        if entity == Entity::Products {
            // WooCommerce takes tags by id only: the products carry several, so a connector that
            // sent them otherwise loses them here.
            assert!(original
                .iter()
                .all(|r| matches!(r, Record::Product(p) if p.tags.len() >= 2)));
        }
        load(&mut dst, entity, &original).await;
        let copied = read_all(&mut back, entity, 50).await;
        assert_eq!(copied.len(), original.len());
        let (a, b) = (views(&original), views(&copied));
        for (key, view) in &a {
            assert_eq!(
                Some(view),
                b.get(key),
                "{entity} {key} differs after Shopify → WooCommerce"
            );
        }
    }
    assert!(woo.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn woocommerce_to_shopify_keeps_every_field_both_can_hold() {
    let woo = WooSandbox::new(WooConfig::default());
    woo.seed_products(20);
    woo.seed_customers(9);
    let woo_server = woo.start(0).await.expect("bind");
    let shop = ShopifySandbox::new(ShopifyConfig {
        bucket: 100_000.0,
        restore_rate: 100_000.0,
        ..Default::default()
    });
    let shop_server = shop.start(0).await.expect("bind");

    let mut src = WooSource::open(&spec(Platform::WooCommerce, &woo_server)).expect("open");
    let mut dst = ShopifyTarget::open(&spec(Platform::Shopify, &shop_server)).expect("open");
    let mut back = ShopifySource::open(&spec(Platform::Shopify, &shop_server)).expect("open");
    for entity in [Entity::Products, Entity::Customers] {
        let original = read_all(&mut src, entity, 50).await;
        load(&mut dst, entity, &original).await;
        let copied = read_all(&mut back, entity, 50).await;
        assert_eq!(copied.len(), original.len());
        let (a, b) = (views(&original), views(&copied));
        for (key, view) in &a {
            assert_eq!(
                Some(view),
                b.get(key),
                "{entity} {key} differs after WooCommerce → Shopify"
            );
        }
    }
    assert!(shop.creation_log().duplicates().is_empty());
}
