//! Shopify facts: URL patterns and limits (3 options, 2,048 variants, 255-character handles).

use super::versions::{ApiVersions, VersionScheme};
use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Shopify,
    max_options: Some(3),
    max_variants: Some(2048),
    max_handle_len: 255,
    ascii_handles: true,
};

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Categories => format!("/collections/{handle}"),
        Entity::Products => format!("/products/{handle}"),
        Entity::Pages => format!("/pages/{handle}"),
        // blog post handles are "blog/post" (see Record::external_key)
        Entity::BlogPosts => format!("/blogs/{handle}"),
        Entity::Customers => "/account".to_string(),
        Entity::Orders => "/account/orders".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}

/// Admin API versions whose published schema (`@shopify/dev-mcp` 1.16.0,
/// `dist/data/admin_YYYY-MM.json.gz`) every document of `api::shopify::documents` is validated
/// against, oldest first. The default is the newest stable one (the package's
/// `latestVersion`); 2026-10 is a release candidate, taken only when pinned. Shopify serves
/// each version about a year: older ones are refused at config load.
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::Shopify,
    supported: &["2025-10", "2026-01", "2026-04", "2026-07", "2026-10"],
    default: "2026-07",
    scheme: VersionScheme::Calendar,
    why: "the versions whose published Admin API schema storeshift's GraphQL documents are validated against",
};

/// Admin API version the connector speaks unless the endpoint's `api_version` option pins
/// one of [`API_VERSIONS`].
pub const API_VERSION: &str = API_VERSIONS.default;

/// `{store}/admin/api/{version}/graphql.json`.
pub fn graphql_path(version: &str) -> String {
    format!("/admin/api/{version}/graphql.json")
}

/// The authentication header of the Admin API.
pub const TOKEN_HEADER: &str = "X-Shopify-Access-Token";

/// Most objects one connection page may return (`first` / `last`).
pub const MAX_PAGE_SIZE: u64 = 250;
/// Most points one query may cost, whatever the bucket.
pub const MAX_QUERY_COST: u64 = 1000;
/// What every mutation field costs.
pub const MUTATION_COST: u64 = 10;

/// The metafield that carries a record's external key on products, so productSet can upsert
/// with `identifier: { customId: ... }` (a metafield definition of type `id`).
/// Orders carry the same metafield (`orderCreate` takes metafields; `orderByIdentifier` finds
/// the order by it), since `orderCreate` itself has no upsert.
pub const CUSTOM_ID_NAMESPACE: &str = "storeshift";
pub const CUSTOM_ID_KEY: &str = "external_key";

/// Collections are flat; this list metafield keeps a category's path from the root.
pub const CATEGORY_PATH_KEY: &str = "category_path";

/// Shopify has no category tree on products: each category path and its ancestors (so a parent
/// collection lists its children's products) become tags such as "Clothing > Women", which the
/// category's automated collection selects on.
pub fn category_tags(path: &[String]) -> impl Iterator<Item = String> + '_ {
    (1..=path.len()).map(move |depth| path[..depth].join(" > "))
}

/// Adds the category tags of every path of `categories` that `tags` lacks.
pub fn tag_categories(categories: &[Vec<String>], tags: &mut Vec<String>) {
    for path in categories {
        for tag in category_tags(path) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
}

/// Batches of at least this many products or customers are loaded through one bulk mutation,
/// catalogs of at least this many are read through one bulk query, and at least this many
/// redirects go through a redirect import (endpoint option `bulk_threshold`; 0 turns bulk off).
pub const BULK_THRESHOLD: usize = 250;

/// How often a bulk operation or redirect import is polled (option `bulk_poll_ms`) and how long
/// one may run before the run gives up on it (option `bulk_timeout_secs`).
pub const BULK_POLL_MS: u64 = 1000;
pub const BULK_TIMEOUT_SECS: u64 = 4 * 3600;

/// The cost bucket of a plan: points restored per second and bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostBucket {
    pub restore_rate: f64,
    pub maximum: f64,
}

/// GraphQL Admin API rate limits by plan. The restore rates are Shopify's published ones;
/// bucket sizes are 20 seconds of restore. The first reply's `throttleStatus` replaces both.
pub fn cost_bucket(plan: &str) -> CostBucket {
    let rate = match plan
        .trim()
        .to_ascii_lowercase()
        .replace(['_', '-'], " ")
        .as_str()
    {
        "advanced" | "advanced shopify" => 200.0,
        "plus" | "shopify plus" => 1000.0,
        "enterprise" | "commerce components" => 2000.0,
        _ => 100.0,
    };
    CostBucket {
        restore_rate: rate,
        maximum: rate * 20.0,
    }
}

/// Shopify's calculated query cost: scalars and enums 0, objects 1, connections 2 plus the
/// objects they return (each object with what it selects), mutations 10.
pub mod cost {
    use super::MUTATION_COST;
    use graphql_parser::query::{
        Definition, Document, Field, OperationDefinition, Selection, SelectionSet, Value as GValue,
    };
    use serde_json::Value;
    use std::collections::HashMap;

    pub struct CostCx<'d> {
        fragments: HashMap<&'d str, &'d SelectionSet<'d, String>>,
        variables: &'d Value,
    }

    impl<'d> CostCx<'d> {
        pub fn new(doc: &'d Document<'d, String>, variables: &'d Value) -> Self {
            let fragments = doc
                .definitions
                .iter()
                .filter_map(|d| match d {
                    Definition::Fragment(f) => Some((f.name.as_str(), &f.selection_set)),
                    _ => None,
                })
                .collect();
            CostCx {
                fragments,
                variables,
            }
        }

        /// The fields of a selection set with fragments spread in place.
        pub fn fields<'s>(
            &'s self,
            set: &'s SelectionSet<'d, String>,
        ) -> Vec<&'s Field<'d, String>> {
            let mut out = Vec::new();
            self.collect(set, &mut out, 0);
            out
        }

        fn collect<'s>(
            &'s self,
            set: &'s SelectionSet<'d, String>,
            out: &mut Vec<&'s Field<'d, String>>,
            depth: u32,
        ) {
            if depth > 32 {
                return;
            }
            for item in &set.items {
                match item {
                    Selection::Field(f) => out.push(f),
                    Selection::InlineFragment(f) => self.collect(&f.selection_set, out, depth + 1),
                    Selection::FragmentSpread(s) => {
                        if let Some(set) = self.fragments.get(s.fragment_name.as_str()) {
                            self.collect(set, out, depth + 1);
                        }
                    }
                }
            }
        }

        /// An argument as JSON, variables substituted.
        pub fn arg(&self, field: &Field<'d, String>, name: &str) -> Option<Value> {
            field
                .arguments
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| self.value(v))
        }

        pub fn value(&self, v: &GValue<'d, String>) -> Value {
            to_json(v, self.variables)
        }

        /// Page size a connection field asks for (`first` or `last`).
        pub fn page_size(&self, field: &Field<'d, String>) -> Option<u64> {
            self.arg(field, "first")
                .or_else(|| self.arg(field, "last"))
                .and_then(|v| v.as_u64())
        }

        /// Cost of a selection set; `result` (the data returned for it) turns the requested
        /// cost into the actual one by counting what connections really returned.
        pub fn set_cost(&self, set: &SelectionSet<'d, String>, result: Option<&Value>) -> u64 {
            self.fields(set)
                .into_iter()
                .map(|f| {
                    let key = f.alias.as_deref().unwrap_or(&f.name);
                    self.field_cost(f, result.and_then(|r| r.get(key)))
                })
                .sum()
        }

        pub fn field_cost(&self, f: &Field<'d, String>, result: Option<&Value>) -> u64 {
            if f.selection_set.items.is_empty() {
                return 0;
            }
            if let Some(Value::Array(ids)) = self.arg(f, "ids") {
                // `nodes(ids:)`: a list of objects, asked for by the ids given and charged
                // for the nodes found, each as the object it is.
                return match result.and_then(Value::as_array) {
                    Some(found) => found
                        .iter()
                        .filter(|n| n.is_object())
                        .map(|n| 1 + self.set_cost(&f.selection_set, Some(n)))
                        .sum(),
                    None => ids.len() as u64 * (1 + self.set_cost(&f.selection_set, None)),
                };
            }
            let Some(requested) = self.page_size(f) else {
                return 1 + self.set_cost(&f.selection_set, result.filter(|r| r.is_object()));
            };
            // The selection each node of the connection is costed by (`nodes { .. }` or
            // `edges { node { .. } }`), with the key its nodes come back under.
            let mut node_sets = vec![];
            for child in self.fields(&f.selection_set) {
                let key = child.alias.as_deref().unwrap_or(&child.name).to_string();
                match child.name.as_str() {
                    "nodes" => node_sets.push((key, None, &child.selection_set)),
                    "edges" => {
                        for e in self.fields(&child.selection_set) {
                            if e.name == "node" {
                                let inner = e.alias.as_deref().unwrap_or(&e.name).to_string();
                                node_sets.push((key.clone(), Some(inner), &e.selection_set));
                            }
                        }
                    }
                    _ => {}
                }
            }
            let node_cost = |node: Option<&Value>| {
                node_sets
                    .iter()
                    .map(|(_, _, set)| 1 + self.set_cost(set, node))
                    .max()
                    .unwrap_or(1)
            };
            // Requested: every node as large as asked. Actual: the nodes returned, each
            // costed by what its own nested connections returned.
            let returned: Option<Vec<&Value>> = result.and_then(|r| {
                node_sets.first().and_then(|(key, inner, _)| {
                    let list = r.get(key.as_str())?.as_array()?;
                    Some(match inner {
                        None => list.iter().collect(),
                        Some(k) => list.iter().filter_map(|e| e.get(k.as_str())).collect(),
                    })
                })
            });
            match returned {
                Some(nodes) => 2 + nodes.iter().map(|n| node_cost(Some(n))).sum::<u64>(),
                None => 2 + requested * node_cost(None),
            }
        }

        /// Cost of an operation: 10 per mutation field, the calculated cost for a query.
        pub fn operation_cost(
            &self,
            op: &OperationDefinition<'d, String>,
            result: Option<&Value>,
        ) -> u64 {
            match op {
                OperationDefinition::Mutation(m) => {
                    self.fields(&m.selection_set).len() as u64 * MUTATION_COST
                }
                OperationDefinition::Query(q) => self.set_cost(&q.selection_set, result),
                OperationDefinition::SelectionSet(s) => self.set_cost(s, result),
                OperationDefinition::Subscription(s) => self.set_cost(&s.selection_set, result),
            }
        }
    }

    /// A GraphQL literal as JSON, `variables` substituted.
    pub fn to_json(v: &GValue<'_, String>, variables: &Value) -> Value {
        match v {
            GValue::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
            GValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
            GValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            GValue::String(s) => Value::String(s.clone()),
            GValue::Boolean(b) => Value::Bool(*b),
            GValue::Null => Value::Null,
            GValue::Enum(e) => Value::String(e.clone()),
            GValue::List(l) => Value::Array(l.iter().map(|x| to_json(x, variables)).collect()),
            GValue::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), to_json(x, variables)))
                    .collect(),
            ),
        }
    }

    /// The requested cost of a query text, as Shopify computes it before running it.
    pub fn requested(query: &str, variables: &Value) -> Result<u64, String> {
        let doc = graphql_parser::parse_query::<String>(query).map_err(|e| e.to_string())?;
        let cx = CostCx::new(&doc, variables);
        let op = doc
            .definitions
            .iter()
            .find_map(|d| match d {
                Definition::Operation(op) => Some(op),
                _ => None,
            })
            .ok_or("the document has no operation")?;
        Ok(cx.operation_cost(op, None))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn costs_follow_shopifys_rules() {
            assert_eq!(requested("{ shop { id name } }", &json!({})).unwrap(), 1);
            // connection of 10 products, each an object with one nested object (seo)
            let q = "query($n: Int) { products(first: $n) { nodes { id seo { title } } pageInfo { hasNextPage } } }";
            assert_eq!(requested(q, &json!({"n": 10})).unwrap(), 2 + 10 * 2);
            let m = "mutation { a: productSet(input: {}) { product { id } } b: productSet(input: {}) { product { id } } }";
            assert_eq!(requested(m, &json!({})).unwrap(), 20);
            // nodes(ids:): each id an object with what it selects, a connection inside sized
            // by its page
            let n = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Product { id seo { title } variants(first: 5) { nodes { id } } } } }";
            assert_eq!(
                requested(n, &json!({"ids": ["a", "b", "c"]})).unwrap(),
                3 * (1 + 1 + (2 + 5))
            );
        }

        #[test]
        fn the_actual_cost_counts_the_nested_nodes_returned() {
            let q =
                "{ orders(first: 10) { nodes { id lineItems(first: 50) { nodes { title } } } } }";
            let doc = graphql_parser::parse_query::<String>(q).unwrap();
            let vars = json!({});
            let cx = CostCx::new(&doc, &vars);
            let Definition::Operation(op) = &doc.definitions[0] else {
                panic!("no operation")
            };
            // Requested: 10 orders of 50 lines each.
            assert_eq!(cx.operation_cost(op, None), 2 + 10 * (1 + 2 + 50));
            // Actual: two orders came back, with 3 and 1 lines.
            let data = json!({ "orders": { "nodes": [
                { "id": "1", "lineItems": { "nodes": [{ "title": "a" }, { "title": "b" }, { "title": "c" }] } },
                { "id": "2", "lineItems": { "nodes": [{ "title": "d" }] } },
            ] } });
            assert_eq!(
                cx.operation_cost(op, Some(&data)),
                2 + (1 + 2 + 3) + (1 + 2 + 1)
            );
        }
    }
}

use super::cells::{Guard, ImportFile, Strips, FORMULA_TRIGGERS};

/// Shopify's exports put `'` before phone numbers (`'+56 9 …` in every phone of a customer
/// export), barcodes (`'7649988260513` in the product export) and ids, so that a spreadsheet
/// keeps the `+` and every digit, and before every zip code of its order export
/// (`'N1 9GU`, `'02134`); the formula triggers are guarded as everywhere.
pub const EXPORT_GUARD: Guard = Guard {
    mark: b'\'',
    triggers: FORMULA_TRIGGERS,
    digits: true,
    always: &["*Zip"],
};

/// What reads each file the Shopify writers produce. None of them is documented to take a
/// guard off again everywhere, so none is written: a plain `+56 9 …` imports as it is.
pub const IMPORT_FILES: &[ImportFile] = &[
    ImportFile {
        file: "products.csv",
        importer: "Shopify admin: Products > Import",
        guard: None,
        strips: Strips::Nowhere,
        evidence:
            "Shopify's product CSV description documents no apostrophe handling; none written",
    },
    ImportFile {
        file: "customers.csv",
        importer: "Shopify admin: Customers > Import",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "Shopify's customer CSV description documents no apostrophe handling; a \
                   plain `+15551234567` is what it shows for Phone, so none is written",
    },
    ImportFile {
        file: "orders.csv",
        importer: "Matrixify (Orders sheet)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "matrixify.app/documentation/customers: \"You can prefix phone numbers with ' \
                   (apostrophe)\" is said of the Customers sheet's Phone only; the Orders sheet \
                   documents nothing, so none is written",
    },
    ImportFile {
        file: "collections.csv",
        importer: "Matrixify (Smart Collections sheet)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "Matrixify documents no apostrophe handling for collections; none written",
    },
    ImportFile {
        file: "redirects.csv",
        importer: "Shopify admin: Online Store > Navigation > URL Redirects > Import",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "two path columns that never start with a formula trigger; none written",
    },
    ImportFile {
        file: "pages.jsonl",
        importer: "storeshift (Shopify has no page file import; JSON lines, never a spreadsheet)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "not a spreadsheet",
    },
    ImportFile {
        file: "blog_posts.jsonl",
        importer:
            "storeshift (Shopify has no article file import; JSON lines, never a spreadsheet)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "not a spreadsheet",
    },
];

use crate::files::dates::Clock;

/// Order times in Matrixify's Orders sheet and Shopify's admin order export:
/// `2024-05-06 07:08:09 +0300`, the store's wall clock with its offset.
pub const ORDER_DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S %z";
/// An order time written without its offset is on the store's clock.
pub const ORDER_DATE_CLOCK: Clock = Clock::Store;
/// Fields Shopify's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("categories", "Shopify products have no category tree: each category became a tag and a smart collection selecting on it"),
            ("kind", "Shopify has one kind of product: grouped and external products arrive as ordinary products"),
            ("created_at", "the product CSV has no creation date"),
            ("options[].values", "Shopify lists an option's values in the order the variants first use them"),
        ],
        Entity::Categories => &[
            (
                "position",
                "the collections sheet has no position: menus order collections in Shopify",
            ),
            (
                "image",
                "the collections sheet has no image: collection images are set in Shopify",
            ),
        ],
        Entity::Customers => &[
            ("created_at", "the customer CSV has no creation date"),
            ("marketing.updated_at", "the customer CSV has no consent date"),
            ("addresses[].first_name", "the customer CSV's address takes the customer's own name"),
            ("addresses[].last_name", "the customer CSV's address takes the customer's own name"),
        ],
        Entity::Orders => &[
            // Shopify's own order export (tests/data/real/shopify/orders_export*.csv) has one
            // `Currency` column too, so an order read from a file never has a presentment.
            ("presentment", "the orders sheet has one Currency column, the one its amounts are in: what the customer paid in their own currency is not carried"),
            ("customer_ref", "the orders sheet links an order to its customer by email"),
            ("line_items[].product_ref", "the orders sheet links a line to its product by SKU"),
        ],
        _ => &[],
    }
}

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "In the Shopify admin: Settings → Domains → Connect existing domain, and enter the domain.",
    "At the DNS provider: an A record for the apex (@) pointing to 23.227.38.65, and a CNAME for www pointing to shops.myshopify.com (remove other A/AAAA records for them).",
    "Back in Settings → Domains: verify the connection, then set the domain as the primary domain (Shopify then redirects the myshopify.com address to it).",
    "Shopify issues the TLS certificate itself once the records resolve (up to 48 hours).",
];
