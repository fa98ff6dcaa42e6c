//! Loading into BigCommerce's API (the sandbox as its own process, filtering as BigCommerce's
//! published specification says: `sku:in` on products matches main SKUs only, variant SKUs are
//! found through `/catalog/variants`): kill -9 during the load, resume, then load the same
//! store again from scratch. Nothing is created twice, and every request and reply of all of
//! it follows the specification.

mod common;
use common::*;
use serde_json::json;
use storeshift_sandbox::contract::Contract;
use storeshift_sandbox::Exchange;

#[test]
fn kill_dash_nine_and_a_second_load_into_bigcommerce_create_nothing_twice() {
    // Pro plan: 450 requests per 30 s, so the test does not wait out request windows.
    let sb = SandboxProc::start("bigcommerce", &["--plan", "pro"]);
    let rec = http_json(
        "POST",
        &format!("{}/__sandbox/traffic", sb.url),
        Some(&json!({ "record": true })),
    );
    assert_eq!(rec["recording"], true, "{rec}");
    // 40 products with options (ten variants each) and their customers.
    let s = Scenario::generated(
        400,
        "batch_size = 5\nentities = [\"products\", \"customers\"]",
    );
    s.set_target(&sb.endpoint_toml("plan = \"pro\""));
    let args = [
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ];
    let mut kills = 0;
    while kills < 4 {
        let mut child = s.spawn_env(&args, &SANDBOX_ENV);
        let start = s.events_of("batch_committed").len();
        let mut finished = false;
        wait_until(120, "loading progress", || {
            if let Ok(Some(_)) = child.try_wait() {
                finished = true;
                return true;
            }
            s.events_of("batch_committed").len() >= start + 1 + kills % 2
        });
        if finished {
            break;
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        kills += 1;
    }
    assert!(kills >= 2, "only {kills} kills landed:\n{}", s.logs());
    assert_eq!(s.run_headless(120), Some(0), "{}", s.logs());
    let loaded = sb.state();
    assert!(
        loaded["duplicates"].as_array().unwrap().is_empty(),
        "created twice: {}",
        loaded["duplicates"]
    );
    let report = s.report_json();
    let products = report["analysis"]["counts"]["products"].as_u64().unwrap();
    let customers = report["analysis"]["counts"]["customers"].as_u64().unwrap();
    assert_eq!(loaded["products"].as_u64().unwrap(), products, "{loaded}");
    assert_eq!(loaded["customers"].as_u64().unwrap(), customers, "{loaded}");

    // The same store again, from a fresh state: every product and customer is found by the
    // filters BigCommerce documents and updated, none created.
    let again = std::process::Command::new(bin())
        .args([
            "run",
            &s.cfg(),
            "--restart",
            "--headless",
            "--interventions",
            "recommended",
        ])
        .envs(SANDBOX_ENV.iter().copied())
        .env("USER", "tester")
        .output()
        .expect("second load");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let reloaded = sb.state();
    assert!(
        reloaded["duplicates"].as_array().unwrap().is_empty(),
        "created twice: {}",
        reloaded["duplicates"]
    );
    assert_eq!(reloaded["products"], loaded["products"], "{reloaded}");
    assert_eq!(reloaded["customers"], loaded["customers"], "{reloaded}");

    let traffic: Vec<Exchange> = serde_json::from_value(http_json(
        "GET",
        &format!("{}/__sandbox/traffic", sb.url),
        None,
    ))
    .expect("traffic");
    let contract = Contract::bigcommerce().expect("specifications");
    let checked = contract.check_all(&traffic);
    assert!(
        checked.operations.contains_key("GET /catalog/variants"),
        "{checked}"
    );
    assert!(
        checked.operations.contains_key("PUT /catalog/products"),
        "{checked}"
    );
    assert!(checked.open().is_empty(), "{checked}");
}

/// BigCommerce takes each product name once: a store where two products share a name gets
/// one intervention, and the recommended choice renames the later product with its SKU, so
/// both arrive (before, the later one failed with 409).
#[test]
fn two_products_sharing_a_name_both_reach_bigcommerce() {
    let sb = SandboxProc::start("bigcommerce", &["--plan", "pro"]);
    let s = Scenario::generated(20, "entities = [\"products\"]");
    // The second parent product takes the first one's name (its variations keep theirs).
    let path = s.path().join("source/products.csv");
    let mut rd = csv::Reader::from_path(&path).expect("products.csv");
    let headers = rd.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (ty, name_col, sku_col) = (col("Type"), col("Name"), col("SKU"));
    let mut rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
    let parents: Vec<usize> = (0..rows.len())
        .filter(|&i| matches!(&rows[i][ty], "variable" | "simple"))
        .collect();
    assert!(parents.len() >= 2, "{} products", parents.len());
    let (first, second) = (parents[0], parents[1]);
    let shared = rows[first][name_col].to_string();
    let later_sku = rows[second][sku_col].to_string();
    rows[second] = rows[second]
        .iter()
        .enumerate()
        .map(|(i, v)| if i == name_col { shared.as_str() } else { v })
        .collect();
    let mut wr = csv::Writer::from_path(&path).expect("write products.csv");
    wr.write_record(&headers).expect("headers");
    for r in &rows {
        wr.write_record(r).expect("row");
    }
    wr.flush().expect("flush");
    drop(wr);

    s.set_target(&sb.endpoint_toml("plan = \"pro\""));
    assert_eq!(s.run_headless(180), Some(0), "{}", s.logs());
    let status = s.status_json();
    let asked: Vec<&serde_json::Value> = status["interventions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["step"] == "assessment/duplicate_name")
        .collect();
    assert_eq!(asked.len(), 1, "{status:#}");
    assert_eq!(asked[0]["decision"]["option"], "suffix", "{status:#}");
    let names: Vec<String> = http_call(
        &sb.url,
        "GET",
        "/stores/sandbox/v3/catalog/products?limit=250",
        &[("X-Auth-Token", "bc_sandbox_token")],
        None,
    )["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == shared).count(),
        1,
        "{names:?}"
    );
    // Its first variant's SKU, which begins with the product's own.
    let renamed = format!("{shared} ({later_sku}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with(&renamed) && n.ends_with(')')),
        "{renamed}…) in {names:?}"
    );
    assert_eq!(
        sb.state()["products"],
        rows_parents(&rows, ty),
        "every product arrived"
    );
}

fn rows_parents(rows: &[csv::StringRecord], ty: usize) -> serde_json::Value {
    json!(rows
        .iter()
        .filter(|r| matches!(&r[ty], "variable" | "simple"))
        .count())
}

type Paths = std::collections::BTreeSet<Vec<String>>;

/// Every category of the BigCommerce sandbox by id, as its path from the root, and each
/// product's category paths by name, read back through the API (every page).
fn bigcommerce_categories(url: &str) -> (Paths, std::collections::BTreeMap<String, Paths>) {
    let auth = [("X-Auth-Token", "bc_sandbox_token")];
    let all = |path: &str| {
        let mut out = vec![];
        for page in 1.. {
            let sep = if path.contains('?') { '&' } else { '?' };
            let r = http_call(
                url,
                "GET",
                &format!("{path}{sep}limit=250&page={page}"),
                &auth,
                None,
            );
            out.extend(r["data"].as_array().cloned().unwrap_or_default());
            let p = &r["meta"]["pagination"];
            if p["current_page"].as_u64() >= p["total_pages"].as_u64() {
                break;
            }
        }
        out
    };
    let nodes: std::collections::BTreeMap<u64, (u64, String)> =
        all("/stores/sandbox/v3/catalog/trees/categories")
            .iter()
            .map(|c| {
                (
                    c["category_id"].as_u64().expect("category_id"),
                    (
                        c["parent_id"].as_u64().expect("parent_id"),
                        c["name"].as_str().expect("name").to_string(),
                    ),
                )
            })
            .collect();
    let path_of = |id: u64| {
        let mut p = vec![];
        let mut at = id;
        while let Some((parent, name)) = nodes.get(&at) {
            p.insert(0, name.clone());
            at = *parent;
        }
        p
    };
    let paths = nodes.keys().map(|id| path_of(*id)).collect();
    let products = all("/stores/sandbox/v3/catalog/products")
        .iter()
        .map(|p| {
            let cats = p["categories"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_u64())
                .map(path_of)
                .collect();
            (p["name"].as_str().unwrap_or("").to_string(), cats)
        })
        .collect();
    (paths, products)
}

/// A store with a nested category tree (Clothing > Women > Tops, …) lands in BigCommerce with
/// every category once, parents first, and every product in its categories; loading it again
/// from scratch finds each category by its name under its parent and creates none.
#[test]
fn a_nested_category_tree_reaches_bigcommerce_once_with_every_product_in_place() {
    let sb = SandboxProc::start("bigcommerce", &["--plan", "pro"]);
    let s = Scenario::generated(60, "entities = [\"categories\", \"products\"]");
    s.set_target(&sb.endpoint_toml("plan = \"pro\""));
    // What the source says: each product's category paths, and every path with its parents.
    let mut rd = csv::Reader::from_path(s.path().join("source/products.csv")).expect("csv");
    let headers = rd.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (ty, name_col, cat_col) = (col("Type"), col("Name"), col("Categories"));
    let mut want_products = std::collections::BTreeMap::new();
    let mut want_paths = std::collections::BTreeSet::new();
    for r in rd.records().map(|r| r.expect("row")) {
        if !matches!(&r[ty], "variable" | "simple") {
            continue;
        }
        let paths: std::collections::BTreeSet<Vec<String>> = r[cat_col]
            .split(',')
            .map(|p| {
                p.split('>')
                    .map(|n| n.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|p| p.iter().all(|n| !n.is_empty()))
            .collect();
        for p in &paths {
            for depth in 1..=p.len() {
                want_paths.insert(p[..depth].to_vec());
            }
        }
        want_products.insert(r[name_col].to_string(), paths);
    }
    assert!(
        want_paths.iter().any(|p| p.len() >= 3),
        "the generated store has a nested tree: {want_paths:?}"
    );

    let args = [
        "run",
        &s.cfg(),
        "--headless",
        "--interventions",
        "recommended",
    ];
    assert_eq!(s.run_headless(180), Some(0), "{}", s.logs());
    let (paths, products) = bigcommerce_categories(&sb.url);
    assert_eq!(paths, want_paths);
    assert_eq!(products, want_products);
    let loaded = sb.state();
    assert_eq!(
        loaded["categories"].as_u64(),
        Some(want_paths.len() as u64),
        "{loaded}"
    );

    let again = std::process::Command::new(bin())
        .args(args.iter().copied().chain(["--restart"]))
        .envs(SANDBOX_ENV.iter().copied())
        .env("USER", "tester")
        .output()
        .expect("second load");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let reloaded = sb.state();
    assert!(
        reloaded["duplicates"].as_array().unwrap().is_empty(),
        "created twice: {}",
        reloaded["duplicates"]
    );
    assert_eq!(reloaded["categories"], loaded["categories"], "{reloaded}");
    let (paths_again, products_again) = bigcommerce_categories(&sb.url);
    assert_eq!(paths_again, want_paths);
    assert_eq!(products_again, want_products);
}
