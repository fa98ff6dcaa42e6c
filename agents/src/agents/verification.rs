//! Verification (Post-migration): reads what was written back from the target — its import
//! files or its API — and compares counts and every field of a deterministic sample of records
//! with the source, after the same transform the executor applied.

use crate::agents::analysis::Analysis;
use crate::derived;
use crate::event::AgentKind;
use crate::runtime::{cursor_key, Ctx, Halt};
use crate::store::{entity_key, EntityCheckpoint, IdMapEntry, T};
use crate::transform::{Outcome, Transformer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use storeshift_connectors::model::{Entity, Platform};
use storeshift_connectors::{EndpointKind, EndpointSpec, Finding, Severity, Source};

const AGENT: AgentKind = AgentKind::Verification;
const MAX_DIFFS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountCheck {
    pub entity: Entity,
    pub source: u64,
    /// Written to the target by this run (created + updated).
    pub written: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Found when reading the target back (None: the target cannot be read back).
    pub in_target: Option<u64>,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub entity: Entity,
    pub key: String,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub counts: Vec<CountCheck>,
    pub sampled: BTreeMap<Entity, u64>,
    pub compared: BTreeMap<Entity, u64>,
    pub differences: Vec<Difference>,
    /// Sampled records that were written but are not in the target.
    pub missing: Vec<String>,
    pub checked_from: String,
    /// Fields the target's format does not hold, and where they went instead.
    pub not_carried: Vec<String>,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.missing.is_empty() && self.counts.iter().all(|c| c.ok)
    }
}

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
    match (target, kind, entity) {
        (Platform::Shopify, EndpointKind::Files, Entity::Products) => {
            v.extend([
                ("categories", "Shopify has no category tree on products: categories became tags and collections"),
                ("kind", "Shopify has one product kind"),
                ("created_at", "the product CSV has no creation date"),
                ("variants[].source_id", "variant ids are the target's own"),
            ]);
        }
        (Platform::Shopify, EndpointKind::Files, Entity::Customers) => {
            v.extend([
                ("created_at", "the customer CSV has no creation date"),
                (
                    "marketing.updated_at",
                    "the customer CSV has no consent date",
                ),
                (
                    "addresses[].first_name",
                    "the customer CSV's address takes the customer's own name",
                ),
                (
                    "addresses[].last_name",
                    "the customer CSV's address takes the customer's own name",
                ),
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
                ("variants[].source_id", "variation ids are the target's own"),
            ]);
        }
        (Platform::Shopify, EndpointKind::Api, Entity::Products) => {
            v.extend([
                (
                    "categories",
                    "Shopify products have no category tree: categories become collections",
                ),
                (
                    "created_at",
                    "Shopify dates a product itself (createdAt cannot be set)",
                ),
                ("variants[].source_id", "variant ids are the target's own"),
            ]);
        }
        (Platform::WooCommerce, EndpointKind::Api, Entity::Orders) => {
            let taxes = "WooCommerce's REST API has taxes read-only: the store computes them from its own tax settings (a finding on each order lists them)";
            v.extend([
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
        (Platform::Shopify, EndpointKind::Files, Entity::Orders) => {
            v.extend([
                (
                    "customer_ref",
                    "the orders sheet links an order to its customer by email",
                ),
                (
                    "line_items[].product_ref",
                    "the orders sheet links a line to its product by SKU",
                ),
            ]);
        }
        _ => {}
    }
    v
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<Verification>("verification").is_some() {
        return Ok(());
    }
    ctx.status(AGENT, "running", "reading the target back", 0, 0)?;
    let analysis: Analysis = ctx.load_phase("analysis").unwrap_or_default();
    let expected_counts: BTreeMap<Entity, u64> =
        ctx.load_phase("expected_counts").unwrap_or_default();
    let mut v = Verification::default();
    let (target_spec, from) = match ctx.cfg.target.kind {
        EndpointKind::Files => {
            let mut s = EndpointSpec::files(ctx.cfg.target.platform, ctx.output_dir());
            s.currency = ctx
                .cfg
                .target
                .currency
                .clone()
                .or(ctx.cfg.source.currency.clone());
            (
                s,
                format!(
                    "{} import files in {}",
                    ctx.cfg.target.platform,
                    ctx.output_dir().display()
                ),
            )
        }
        EndpointKind::Api => (ctx.cfg.target.clone(), ctx.cfg.target.describe()),
    };
    v.checked_from = from;
    let mut target_reader: Option<Box<dyn Source>> =
        storeshift_connectors::open_source(&target_spec, &ctx.cfg.base_dir).ok();
    let readable: Vec<Entity> = target_reader
        .as_ref()
        .map(|s| s.entities())
        .unwrap_or_default();

    let mut source = ctx.open_source()?;
    let source_entities = source.entities();
    let mut tf = Transformer::new(
        ctx.cfg.target.platform,
        ctx.cfg.target.kind,
        source.platform(),
        &analysis,
        ctx.decisions(),
    )
    .with_category_map(crate::agents::mapping::resolved(&ctx));
    let sample_size = ctx.cfg.run.sample_size.max(1) as u64;

    for entity in Entity::ALL {
        let cp: EntityCheckpoint = match ctx.store.get_json(T::Cursors, cursor_key(ctx.run, entity))
        {
            Ok(Some(cp)) => cp,
            _ => continue,
        };
        if entity == Entity::Redirects || cp.unsupported {
            // Redirects are validated by the SEO agent; unsupported entities are reported as such.
            if cp.unsupported {
                v.not_carried.push(format!(
                    "{entity}: {} has no place for them; not moved",
                    ctx.cfg.target.describe()
                ));
            }
            continue;
        }
        let written = cp.counts.created + cp.counts.updated;
        let total = expected_counts
            .get(&entity)
            .copied()
            .unwrap_or(cp.counts.read);
        // Sample: a deterministic spread of the records this run wrote.
        let stride = (total / sample_size).max(1);
        let mut samples: HashMap<String, (String, Value)> = HashMap::new();
        let mut cursor = None;
        let mut seen = 0u64;
        loop {
            ctx.safe_point().await?;
            let page = if source_entities.contains(&entity) {
                source
                    .read_page(entity, cursor.as_ref(), 2000)
                    .await
                    .map_err(|e| {
                        Halt::Failed(format!("re-reading {entity} from the source failed: {e}"))
                    })?
            } else {
                derived::page(&ctx, entity, &analysis, cursor.as_ref(), 2000)?
            };
            for rec in page.records {
                seen += 1;
                if samples.len() as u64 >= sample_size || !seen.is_multiple_of(stride) {
                    continue;
                }
                let id = rec.source().id.clone();
                let Ok(Some(entry)) = ctx
                    .store
                    .get_json::<IdMapEntry>(T::IdMap, entity_key(entity, &id))
                else {
                    continue;
                };
                if entry.last_run != ctx.run || entry.target_id.is_empty() {
                    continue;
                }
                if let Outcome::Write(expected) = tf.transform(&ctx.store, rec, Some(&entry)) {
                    let key = expected.external_key();
                    samples.insert(
                        key,
                        (id, serde_json::to_value(&*expected).unwrap_or(Value::Null)),
                    );
                }
                tf.batch_committed();
                tf.notes.clear();
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        v.sampled.insert(entity, samples.len() as u64);
        let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
        for (path, why) in &ignore {
            let line = format!("{entity}.{path}: {why}");
            if !v.not_carried.contains(&line) && *path != "source" {
                v.not_carried.push(line);
            }
        }
        let mut in_target = None;
        if let (Some(reader), true) = (target_reader.as_mut(), readable.contains(&entity)) {
            let mut n = 0u64;
            let mut compared = 0u64;
            let mut cursor = None;
            loop {
                let page = reader
                    .read_page(entity, cursor.as_ref(), 2000)
                    .await
                    .map_err(|e| {
                        Halt::Failed(format!("reading {entity} back from the target failed: {e}"))
                    })?;
                for rec in page.records {
                    n += 1;
                    let key = rec.external_key();
                    if let Some((_, expected)) = samples.remove(&key) {
                        compared += 1;
                        let actual = serde_json::to_value(&rec).unwrap_or(Value::Null);
                        let mut diffs = vec![];
                        diff(
                            &strip(expected, &ignore),
                            &strip(actual, &ignore),
                            String::new(),
                            &mut diffs,
                        );
                        for (field, e, a) in diffs {
                            if v.differences.len() < MAX_DIFFS {
                                v.differences.push(Difference {
                                    entity,
                                    key: key.clone(),
                                    field,
                                    expected: e,
                                    actual: a,
                                });
                            }
                        }
                    }
                }
                ctx.progress(AGENT, format!("comparing {entity}"), n, written);
                match page.next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            v.compared.insert(entity, compared);
            for (key, (id, _)) in samples.drain() {
                v.missing.push(format!("{entity} {key} (source {id})"));
            }
            in_target = Some(n);
        }
        // Import files hold exactly what this run wrote; a live store may have had records already.
        let ok = match (in_target, ctx.cfg.target.kind) {
            (Some(n), EndpointKind::Files) => n == written,
            (Some(n), EndpointKind::Api) => n >= written,
            (None, _) => true,
        } && cp.counts.done() == total.max(cp.counts.done());
        v.counts.push(CountCheck {
            entity,
            source: total,
            written,
            unchanged: cp.counts.unchanged,
            skipped: cp.counts.skipped,
            failed: cp.counts.failed,
            in_target,
            ok,
        });
    }
    let summary = format!(
        "counts {} ; {} records compared field by field, {} differences, {} missing",
        if v.counts.iter().all(|c| c.ok) {
            "match"
        } else {
            "DIFFER"
        },
        v.compared.values().sum::<u64>(),
        v.differences.len(),
        v.missing.len()
    );
    let mut step = ctx.step();
    step.put_json(
        T::Phases,
        crate::runtime::phase_key(ctx.run, "verification"),
        &v,
    );
    if !v.is_clean() {
        let f = Finding::new(
            Severity::Warning,
            "verification_differences",
            summary.clone(),
        );
        step.finding(AGENT, f);
    }
    step.agent_status(AGENT, "done", summary, 1, 1);
    ctx.commit(step)
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
/// Decimal strings compare by value ("10.0" = "10").
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
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
        _ if e == a => {}
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
}
