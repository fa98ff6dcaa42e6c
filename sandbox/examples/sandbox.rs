//! Runs one platform sandbox as its own process, for rehearsals and kill -9 tests:
//!
//! ```text
//! cargo run -p storeshift-sandbox --example sandbox -- <shopify|woocommerce|bigcommerce|magento|ikas> --port 0 [--seed-products N] [--seed-customers N]
//! ```
//!
//! Prints the bound base URL on stdout (one line) and serves until killed. Credentials are the
//! sandbox defaults, printed on stderr. `GET /__sandbox/state` reports counts and duplicates.

use std::io::Write;
use storeshift_sandbox::{launch, LaunchOptions};

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
    let mut opts = LaunchOptions::default();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        let bad = |what: &str| -> ! {
            eprintln!("{what} takes a number, got {value:?}");
            std::process::exit(2)
        };
        match args[i].as_str() {
            "--port" => opts.port = value.parse().unwrap_or_else(|_| bad("--port")),
            "--seed-products" => {
                opts.seed_products = value.parse().unwrap_or_else(|_| bad("--seed-products"))
            }
            "--seed-customers" => {
                opts.seed_customers = value.parse().unwrap_or_else(|_| bad("--seed-customers"))
            }
            "--restore-rate" => {
                opts.restore_rate = Some(value.parse().unwrap_or_else(|_| bad("--restore-rate")))
            }
            "--bucket" => opts.bucket = Some(value.parse().unwrap_or_else(|_| bad("--bucket"))),
            _ => usage(),
        }
        i += 2;
    }
    match launch(&platform, &opts).await {
        Ok((running, creds)) => {
            eprintln!("{creds}");
            println!("{}", running.url());
            let _ = std::io::stdout().flush();
            running.wait().await;
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
