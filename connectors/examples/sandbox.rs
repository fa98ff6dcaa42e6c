//! Runs one platform sandbox as its own process, for rehearsals and kill -9 tests:
//!
//! ```text
//! cargo run -p storeshift-connectors --example sandbox -- <shopify|woocommerce|bigcommerce|magento|ikas> --port 0 [--seed-products N] [--seed-customers N]
//! ```
//!
//! Prints the bound base URL on stdout (one line) and serves until killed. Credentials are the
//! sandbox defaults, printed on stderr. `GET /__sandbox/state` reports counts and duplicates.

use std::io::Write;
use storeshift_connectors::sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use storeshift_connectors::sandbox::ikas::{IkasConfig, IkasSandbox};
use storeshift_connectors::sandbox::magento::{MagentoConfig, MagentoSandbox};
use storeshift_connectors::sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_connectors::sandbox::woocommerce::{WooConfig, WooSandbox};

fn usage() -> ! {
    eprintln!(
        "usage: sandbox <shopify|woocommerce|bigcommerce|magento|ikas> [--port N] [--seed-products N] [--seed-customers N] [--restore-rate POINTS] [--bucket POINTS]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(platform) = args.first().cloned() else {
        usage()
    };
    let mut port = 0u16;
    let (mut products, mut customers) = (0usize, 0usize);
    let mut shopify = ShopifyConfig::default();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        let bad = |what: &str| -> ! {
            eprintln!("{what} takes a number, got {value:?}");
            std::process::exit(2)
        };
        match args[i].as_str() {
            "--port" => port = value.parse().unwrap_or_else(|_| bad("--port")),
            "--seed-products" => {
                products = value.parse().unwrap_or_else(|_| bad("--seed-products"))
            }
            "--seed-customers" => {
                customers = value.parse().unwrap_or_else(|_| bad("--seed-customers"))
            }
            "--restore-rate" => {
                shopify.restore_rate = value.parse().unwrap_or_else(|_| bad("--restore-rate"))
            }
            "--bucket" => shopify.bucket = value.parse().unwrap_or_else(|_| bad("--bucket")),
            _ => usage(),
        }
        i += 2;
    }
    let running = match platform.as_str() {
        "shopify" => {
            let sb = ShopifySandbox::new(shopify);
            sb.seed_products(products);
            sb.seed_customers(customers);
            eprintln!(
                "Shopify sandbox: X-Shopify-Access-Token {}",
                sb.config().token
            );
            sb.start(port).await
        }
        "woocommerce" | "woo" => {
            let sb = WooSandbox::new(WooConfig::default());
            sb.seed_products(products);
            sb.seed_customers(customers);
            eprintln!(
                "WooCommerce sandbox: consumer key {} secret {}",
                sb.config().consumer_key,
                sb.config().consumer_secret
            );
            sb.start(port).await
        }
        "bigcommerce" => {
            let sb = BigCommerceSandbox::new(BigCommerceConfig::default());
            sb.seed_products(products);
            sb.seed_customers(customers);
            eprintln!(
                "BigCommerce sandbox: store hash {}, X-Auth-Token {}",
                sb.config().store_hash,
                sb.config().token
            );
            sb.start(port).await
        }
        "magento" => {
            let sb = MagentoSandbox::new(MagentoConfig::default());
            sb.seed_products(products);
            sb.seed_customers(customers);
            eprintln!(
                "Magento sandbox: admin {} / {}",
                sb.config().username,
                sb.config().password
            );
            sb.start(port).await
        }
        "ikas" => {
            let sb = IkasSandbox::new(IkasConfig::default());
            sb.seed_products(products);
            eprintln!(
                "Ikas sandbox: client {} secret {} (use the printed URL as url and api_url)",
                sb.config().client_id,
                sb.config().client_secret
            );
            sb.start(port).await
        }
        _ => usage(),
    };
    let running = match running {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1)
        }
    };
    println!("{}", running.url());
    let _ = std::io::stdout().flush();
    running.wait().await;
}
