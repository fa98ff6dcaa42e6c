//! Products with two variants loaded per second into real Medusa and Vendure servers: the
//! connector (idempotent upserts by handle/SKU, several records in flight) against a simple
//! sequential loader written here (create calls only, one product at a time, no look-ups).
//!
//! ```text
//! cargo run --release -p storeshift-connectors --example engine_bench -- [medusa|vendure|both] [PRODUCTS] [CONCURRENCY...]
//! ```
//! Defaults: both engines, 60 products per measurement, concurrency 1, 2, 4 and 8. The engines are
//! started with `tools/engines/*-start.sh` and stopped (data deleted) at the end.

#[path = "../tests/engine_support/mod.rs"]
mod engine_support;

use engine_support::Engine;
use serde_json::{json, Value};
use std::time::Instant;
use storeshift_connectors::api::http::HttpConfig;
use storeshift_connectors::api::{medusa::Medusa, vendure::Vendure};
use storeshift_connectors::model::{
    Entity, Money, Product, ProductOption, ProductStatus, Record, SourceRef, Variant,
};
use storeshift_connectors::platform::{medusa as medusa_facts, vendure as vendure_facts};
use storeshift_connectors::{Target, WriteOutcome};

const BATCH: usize = 20;

fn products(prefix: &str, n: usize) -> Vec<Product> {
    (0..n)
        .map(|i| {
            let handle = format!("{prefix}-{i}");
            let variant = |size: &str, price: &str| Variant {
                sku: Some(format!("{}-{size}", handle.to_uppercase())),
                price: Money::parse(price, "USD"),
                inventory: Some(10),
                option_values: vec![size.to_string()],
                ..Variant::default()
            };
            Product {
                source: SourceRef::new(&handle),
                handle: handle.clone(),
                title: format!("Bench product {i}"),
                body_html: "<p>Benchmark product.</p>".into(),
                status: ProductStatus::Active,
                options: vec![ProductOption {
                    name: "Size".into(),
                    values: vec!["S".into(), "M".into()],
                }],
                variants: vec![variant("S", "19.99"), variant("M", "21.50")],
                ..Product::default()
            }
        })
        .collect()
}

async fn through_connector(target: &mut dyn Target, items: Vec<Product>) -> Result<f64, String> {
    let records: Vec<Record> = items.into_iter().map(Record::Product).collect();
    let started = Instant::now();
    target
        .resume(Entity::Products, None)
        .await
        .map_err(|e| e.to_string())?;
    for batch in records.chunks(BATCH) {
        for o in target
            .write_batch(Entity::Products, batch)
            .await
            .map_err(|e| e.to_string())?
        {
            if let WriteOutcome::Failed { message } = o {
                return Err(message);
            }
        }
    }
    Ok(records.len() as f64 / started.elapsed().as_secs_f64())
}

// ---------- the baseline: the simplest loader one would write by hand ----------

async fn medusa_sequential(engine: &Engine, items: &[Product]) -> Result<f64, String> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/auth/user/emailpass", engine.url))
        .json(&json!({"email": engine.email, "password": engine.password}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = login["token"].as_str().ok_or("no token")?.to_string();
    let started = Instant::now();
    for p in items {
        let variants: Vec<Value> = p
            .variants
            .iter()
            .map(|v| {
                json!({"title": v.option_values[0], "sku": v.sku, "manage_inventory": false,
                    "options": {"Size": v.option_values[0]},
                    "prices": [{"currency_code": "usd", "amount": v.price.as_ref().map(|m| m.amount.to_string().parse::<f64>().unwrap_or(0.0))}]})
            })
            .collect();
        let body = json!({"title": p.title, "handle": p.handle, "status": "published", "description": p.body_html,
            "options": [{"title": "Size", "values": ["S", "M"]}], "variants": variants});
        let r = http
            .post(format!("{}/admin/products", engine.url))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!(
                "HTTP {}: {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ));
        }
    }
    Ok(items.len() as f64 / started.elapsed().as_secs_f64())
}

async fn vendure_sequential(engine: &Engine, items: &[Product]) -> Result<f64, String> {
    let http = reqwest::Client::new();
    let login = http
        .post(&engine.url)
        .json(&json!({"query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ __typename } }",
            "variables": {"u": engine.email, "p": engine.password}}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let token = login
        .headers()
        .get("vendure-auth-token")
        .and_then(|v| v.to_str().ok())
        .ok_or("no token")?
        .to_string();
    let gql = |query: &'static str, variables: Value| {
        let http = http.clone();
        let token = token.clone();
        let url = engine.url.clone();
        async move {
            let body: Value = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            match body.get("errors") {
                Some(e) => Err(e.to_string()),
                None => Ok(body["data"].clone()),
            }
        }
    };
    let started = Instant::now();
    for p in items {
        let d = gql(
            "mutation($i:CreateProductInput!){ createProduct(input:$i){ id } }",
            json!({"i": {"enabled": true, "translations": [{"languageCode": "en", "name": p.title, "slug": p.handle, "description": p.body_html}]}}),
        )
        .await?;
        let pid = d["createProduct"]["id"].clone();
        let d = gql(
            "mutation($i:CreateProductOptionGroupInput!){ createProductOptionGroup(input:$i){ id options{ id } } }",
            json!({"i": {"code": format!("{}-size", p.handle), "translations": [{"languageCode": "en", "name": "Size"}],
                "options": [{"code": "s", "translations": [{"languageCode": "en", "name": "S"}]},
                            {"code": "m", "translations": [{"languageCode": "en", "name": "M"}]}]}}),
        )
        .await?;
        let group = &d["createProductOptionGroup"];
        gql(
            "mutation($p:ID!,$g:ID!){ addOptionGroupToProduct(productId:$p, optionGroupId:$g){ id } }",
            json!({"p": pid, "g": group["id"]}),
        )
        .await?;
        let variants: Vec<Value> = p
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                // The bench's server keeps Vendure's default money precision, 2.
                json!({"productId": pid, "sku": v.sku, "price": v.price.as_ref().and_then(|m| m.minor_units(2)),
                    "stockOnHand": 10, "optionIds": [group["options"][i]["id"]],
                    "translations": [{"languageCode": "en", "name": format!("{} {}", p.title, v.option_values[0])}]})
            })
            .collect();
        gql(
            "mutation($i:[CreateProductVariantInput!]!){ createProductVariants(input:$i){ id } }",
            json!({"i": variants}),
        )
        .await?;
    }
    Ok(items.len() as f64 / started.elapsed().as_secs_f64())
}

/// A store that sells has a warehouse; without one the connector skips stock (and says so).
async fn medusa_warehouse(engine: &Engine) -> Result<(), String> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/auth/user/emailpass", engine.url))
        .json(&json!({"email": engine.email, "password": engine.password}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = login["token"].as_str().ok_or("no token")?;
    let r = http
        .post(format!("{}/admin/stock-locations", engine.url))
        .bearer_auth(token)
        .json(&json!({"name": "Main warehouse"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", r.status()))
    }
}

async fn bench(engine: &Engine, n: usize, concurrencies: &[usize]) {
    let name = engine.name;
    if name == "medusa" {
        if let Err(e) = medusa_warehouse(engine).await {
            println!("medusa: cannot create a stock location ({e}); stock is not moved");
        }
    }
    // Warm the server up first (Node compiles hot paths on first use), unmeasured.
    let warm = match name {
        "medusa" => medusa_sequential(engine, &products("warm", 10)).await,
        _ => vendure_sequential(engine, &products("warm", 10)).await,
    };
    if let Err(e) = warm {
        return println!("{name}: warm-up failed: {e}");
    }
    let baseline = match name {
        "medusa" => medusa_sequential(engine, &products("seq", n)).await,
        _ => vendure_sequential(engine, &products("seq", n)).await,
    };
    match baseline {
        Ok(rate) => println!(
            "{name:8} sequential baseline loader      {n:4} products  {rate:7.2} products/s"
        ),
        Err(e) => println!("{name:8} sequential baseline failed: {e}"),
    }
    let planned = if name == "medusa" {
        medusa_facts::CONCURRENCY
    } else {
        vendure_facts::CONCURRENCY
    };
    for &c in concurrencies {
        let mut target: Box<dyn Target> = match name {
            "medusa" => match Medusa::connect(
                &engine.url,
                &engine.email,
                &engine.password,
                c,
                HttpConfig::default(),
            ) {
                Ok(t) => Box::new(t),
                Err(e) => return println!("{name}: {e}"),
            },
            _ => match Vendure::connect(
                &engine.url,
                &engine.email,
                &engine.password,
                c,
                HttpConfig::default(),
            ) {
                Ok(t) => Box::new(t),
                Err(e) => return println!("{name}: {e}"),
            },
        };
        let mark = if c == planned {
            " (planner's pick)"
        } else {
            ""
        };
        match through_connector(target.as_mut(), products(&format!("c{c}"), n)).await {
            Ok(rate) => println!("{name:8} connector, concurrency {c:2}       {n:4} products  {rate:7.2} products/s{mark}"),
            Err(e) => println!("{name:8} connector at concurrency {c} failed: {e}"),
        }
    }
    // Loading the same products again: every one is looked up and updated, nothing created.
    let mut target: Box<dyn Target> = match name {
        "medusa" => match Medusa::connect(
            &engine.url,
            &engine.email,
            &engine.password,
            planned,
            HttpConfig::default(),
        ) {
            Ok(t) => Box::new(t),
            Err(e) => return println!("{name}: {e}"),
        },
        _ => match Vendure::connect(
            &engine.url,
            &engine.email,
            &engine.password,
            planned,
            HttpConfig::default(),
        ) {
            Ok(t) => Box::new(t),
            Err(e) => return println!("{name}: {e}"),
        },
    };
    match through_connector(target.as_mut(), products(&format!("c{planned}"), n)).await {
        Ok(rate) => println!(
            "{name:8} connector, re-run (all updates) {n:4} products  {rate:7.2} products/s"
        ),
        Err(e) => println!("{name:8} re-run failed: {e}"),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("both");
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut concurrencies: Vec<usize> =
        args.iter().skip(2).filter_map(|s| s.parse().ok()).collect();
    if concurrencies.is_empty() {
        concurrencies = vec![1, 2, 4, 8];
    }
    println!(
        "products with 2 variants, batches of {BATCH}; machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for (engine, display) in [("medusa", "Medusa"), ("vendure", "Vendure")] {
        if which != "both" && which != engine {
            continue;
        }
        if let Some(running) = Engine::start(engine, display) {
            bench(&running, n, &concurrencies).await;
        }
    }
}
