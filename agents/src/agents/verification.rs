//! Verification (Post-migration): reads what was written back from the target — its import
//! files or its API — and compares counts and every field of a deterministic sample of records
//! with what the executor sent, as it kept a deterministic sample while writing.

use crate::event::AgentKind;
use crate::runtime::{cursor_key, Ctx, Halt};
use crate::store::{EntityCheckpoint, T};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use storeshift_connectors::model::{Entity, Platform};
use storeshift_connectors::platform;
use storeshift_connectors::{EndpointKind, EndpointSpec, Finding, Severity, Source};

const AGENT: AgentKind = AgentKind::Verification;
pub(crate) const MAX_DIFFS: usize = 500;

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
    /// Import files only: each field the compared records lost by design, with its reason and
    /// how many of them lost it (the lines of [`Verification::not_carried`] are made from it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_design: Vec<ByDesign>,
    /// How each entity was checked and what it cost (live targets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::agents::sampling::EntityCheck>,
    /// What verification spent of the target's API budget (live targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::agents::sampling::Cost>,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.missing.is_empty() && self.counts.iter().all(|c| c.ok)
    }
}

/// A field the target's import files have no place for, counted over the compared records
/// that had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByDesign {
    pub entity: Entity,
    pub field: String,
    pub reason: String,
    /// Compared records that lost it.
    pub records: u64,
    /// Records of the entity compared.
    pub compared: u64,
}

impl ByDesign {
    /// The report's line: `entity.field: reason (N of M compared)`.
    fn line(&self) -> String {
        format!(
            "{}.{}: {} ({} of {} compared record(s))",
            self.entity, self.field, self.reason, self.records, self.compared
        )
    }
}

/// One record of the deterministic sample, as the executor sent it to the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The record's external key in the target (how it is found when read back).
    pub key: String,
    pub source_id: String,
    /// The transformed record, as JSON.
    pub expected: Value,
}

pub fn sample_key(run: u32, entity: Entity, source_id: &str) -> Vec<u8> {
    let mut k = sample_prefix(run, entity);
    k.extend_from_slice(source_id.as_bytes());
    k
}

fn sample_prefix(run: u32, entity: Entity) -> Vec<u8> {
    format!("{run:08}/sample/{}/", entity.key()).into_bytes()
}

/// Which records the sample takes: an even spread over the whole entity, at most `size`.
#[derive(Debug, Clone, Copy)]
pub struct Stride {
    every: u64,
    size: u64,
}

impl Stride {
    /// `ordinal` counts the entity's records from 1 in source order.
    pub fn picks(&self, ordinal: u64) -> bool {
        ordinal.is_multiple_of(self.every) && ordinal / self.every <= self.size
    }
}

/// The sample's stride for an entity of `total` records (unknown: the first records).
pub fn sample_stride(ctx: &Ctx, total: Option<u64>) -> Stride {
    let size = ctx.cfg.run.sample_size.max(1) as u64;
    Stride {
        every: (total.unwrap_or(0) / size).max(1),
        size,
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
    if entity == Entity::Products {
        v.push(("variants[].source_id", "variant ids are the target's own"));
    }
    if kind == EndpointKind::Files {
        // The same facts convert's read-back counts by design.
        v.extend(
            storeshift_connectors::platform::file_not_carried(target, entity)
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
            v.extend([(
                "created_at",
                "Shopify dates a customer itself (customerSet takes no creation date)",
            )]);
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
                    storeshift_connectors::platform::woocommerce::PRESENTMENT_NOT_CARRIED,
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

/// What reading one entity back found.
#[derive(Debug, Default)]
pub struct ReadBack {
    in_target: u64,
    compared: u64,
    differences: Vec<Difference>,
    missing: Vec<String>,
    /// Import files: (field, reason, records) lost by design, in the order first met.
    by_design: Vec<(String, String, u64)>,
}

/// Read-backs started during Execution. An entity's import file is final once the executor has
/// finished that entity, so it is read back on the otherwise idle reading core while the
/// executor loads the entities after it; Post-migration takes the result instead of reading
/// the file again. Nothing here is durable: a run that stops first reads back in Post-migration.
#[derive(Default)]
pub struct Early(std::sync::Mutex<HashMap<Entity, tokio::task::JoinHandle<Option<ReadBack>>>>);

impl Early {
    fn take(&self) -> HashMap<Entity, tokio::task::JoinHandle<Option<ReadBack>>> {
        match self.0.lock() {
            Ok(mut m) => std::mem::take(&mut *m),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

/// Starts reading `entity` back from the target's import files. Only products, the bulk of
/// any catalog, and only from files: every format keeps them in a file of their own, while
/// some read other entities from files written later (WooCommerce builds categories from the
/// products file), and a live store's API budget belongs to the loading.
pub fn start_early(ctx: &Ctx, entity: Entity) {
    if ctx.cfg.target.kind != EndpointKind::Files || entity != Entity::Products {
        return;
    }
    let task_ctx = ctx.clone();
    let task = tokio::spawn(async move {
        let ctx = task_ctx;
        let reader = storeshift_connectors::open_source(&target_spec(&ctx).0, &ctx.cfg.base_dir)
            .ok()
            .filter(|r| r.entities().contains(&entity))?;
        let mut ahead = crate::prefetch::Prefetch::start(reader, vec![(entity, None)], 2000, false);
        let found = read_back(&ctx, entity, &mut ahead, None).await.ok();
        drop(ahead.finish().await);
        found
    });
    let mut started = match ctx.early.0.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    started.insert(entity, task);
}

/// Where the target is read back from, and how the report names it.
fn target_spec(ctx: &Ctx) -> (EndpointSpec, String) {
    match ctx.cfg.target.kind {
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
        EndpointKind::Api => (ctx.target_reader_spec(), ctx.cfg.target.describe()),
    }
}

/// The deterministic sample the executor kept for `entity`, by store key.
pub(crate) fn samples(ctx: &Ctx, entity: Entity) -> Result<Vec<(Vec<u8>, Sample)>, Halt> {
    ctx.store
        .scan_json::<Sample>(T::Phases, sample_prefix(ctx.run, entity))
        .map_err(|e| Halt::Failed(format!("reading the {entity} sample: {e}")))
}

/// The fields of `actual` that differ from `expected`, leaving out what the target does not
/// carry: (path, expected, actual).
pub(crate) fn compare(
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

/// The deterministic sample the executor kept for `entity`, by external key.
fn samples_of(ctx: &Ctx, entity: Entity) -> Result<HashMap<String, (String, Value)>, Halt> {
    Ok(ctx
        .store
        .scan_json::<Sample>(T::Phases, sample_prefix(ctx.run, entity))
        .map_err(|e| Halt::Failed(format!("reading the {entity} sample: {e}")))?
        .into_iter()
        .map(|(_, s)| (s.key, (s.source_id, s.expected)))
        .collect())
}

/// Reads every page of `entity` from `reader`, counting records and comparing the sampled
/// ones field by field. `progress` is what was written, when the reading is shown.
async fn read_back(
    ctx: &Ctx,
    entity: Entity,
    reader: &mut crate::prefetch::Prefetch,
    progress: Option<u64>,
) -> Result<ReadBack, Halt> {
    let mut samples = samples_of(ctx, entity)?;
    let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
    let files = ctx.cfg.target.kind == EndpointKind::Files;
    let mut found = ReadBack::default();
    loop {
        if progress.is_none() {
            // Read early, in the background: a pause holds it too.
            ctx.safe_point().await?;
        }
        let got = reader.next().await.map_err(|e| {
            Halt::Failed(format!("reading {entity} back from the target failed: {e}"))
        })?;
        if got.entity != entity {
            return Err(Halt::Failed(format!(
                "reading back gave {} while {entity} was compared",
                got.entity
            )));
        }
        let page = got.page;
        for rec in page.records {
            found.in_target += 1;
            let key = rec.external_key();
            if let Some((_, expected)) = samples.remove(&key) {
                found.compared += 1;
                let actual = serde_json::to_value(&rec).unwrap_or(Value::Null);
                let diffs = if files {
                    judge_file(
                        &mut found,
                        entity,
                        &expected,
                        &actual,
                        ctx.cfg.target.platform,
                    )
                } else {
                    let mut diffs = vec![];
                    diff(
                        &strip(expected, &ignore),
                        &strip(actual, &ignore),
                        String::new(),
                        &mut diffs,
                    );
                    diffs
                };
                for (field, e, a) in diffs {
                    if found.differences.len() < MAX_DIFFS {
                        found.differences.push(Difference {
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
        if let Some(written) = progress {
            ctx.progress(
                AGENT,
                format!("comparing {entity}"),
                found.in_target,
                written,
            );
        }
        if page.next.is_none() {
            break;
        }
    }
    for (key, (id, _)) in samples.drain() {
        found.missing.push(format!("{entity} {key} (source {id})"));
    }
    Ok(found)
}

/// Sorts one record read back from import files the way convert's read-back does (the same
/// rules, in connectors): what the format loses by design is counted in `found`, values that
/// moved to another field or that the format filled in are not differences, and what really
/// differs is returned as (field, expected, actual).
fn judge_file(
    found: &mut ReadBack,
    entity: Entity,
    expected: &Value,
    actual: &Value,
    to: Platform,
) -> Vec<(String, String, String)> {
    let verdict =
        storeshift_connectors::files::readback::judge_file_record(entity, expected, actual, to);
    for (field, why) in verdict.by_design {
        match found
            .by_design
            .iter_mut()
            .find(|(f, w, _)| *f == field && w == why)
        {
            Some((_, _, n)) => *n += 1,
            None => found.by_design.push((field, why.to_string(), 1)),
        }
    }
    verdict.differs.iter().map(|c| c.parts()).collect()
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<Verification>("verification").is_some() {
        return Ok(());
    }
    ctx.status(AGENT, "running", "reading the target back", 0, 0)?;
    let expected_counts: BTreeMap<Entity, u64> =
        ctx.load_phase("expected_counts").unwrap_or_default();
    let mut v = Verification::default();
    let (target_spec, from) = target_spec(&ctx);
    v.checked_from = from;
    // What was read back during Execution (a task that failed or stopped is read again here).
    let mut early: HashMap<Entity, ReadBack> = HashMap::new();
    for (entity, task) in ctx.early.take() {
        if let Ok(Some(found)) = task.await {
            early.insert(entity, found);
        }
    }
    // A live store is verified at the cost of a sample unless a full read-back was asked for.
    let mut verifier = match (ctx.cfg.target.kind, ctx.cfg.run.verify) {
        (EndpointKind::Api, crate::config::VerifyMode::Sample) => {
            storeshift_connectors::open_verifier(&ctx.cfg.target).map_err(|e| {
                Halt::Failed(format!(
                    "cannot open the target for verification ({}): {e}",
                    ctx.cfg.target.describe()
                ))
            })?
        }
        _ => None,
    };
    let target_reader: Option<Box<dyn Source>> = match verifier {
        Some(_) => None,
        None => storeshift_connectors::open_source(&target_spec, &ctx.cfg.base_dir).ok(),
    };
    let readable: Vec<Entity> = target_reader
        .as_ref()
        .map(|s| s.entities())
        .unwrap_or_default();
    let checkpoints: Vec<(Entity, EntityCheckpoint)> = Entity::ALL
        .into_iter()
        .filter_map(
            |e| match ctx.store.get_json(T::Cursors, cursor_key(ctx.run, e)) {
                Ok(Some(cp)) => Some((e, cp)),
                _ => None,
            },
        )
        .collect();
    // The rest of the target is read back on a thread of its own while this one compares.
    let plan: Vec<(Entity, Option<storeshift_connectors::Cursor>)> = checkpoints
        .iter()
        .filter(|(e, cp)| {
            *e != Entity::Redirects
                && !cp.unsupported
                && readable.contains(e)
                && !early.contains_key(e)
        })
        .map(|(e, _)| (*e, None))
        .collect();
    let mut ahead = match (target_reader, plan.is_empty()) {
        (Some(s), false) => Some(crate::prefetch::Prefetch::start(s, plan, 2000, false)),
        _ => None,
    };
    let mut by_sample = match verifier.as_mut() {
        Some(verifier) => {
            let checked: Vec<(Entity, EntityCheckpoint)> = checkpoints
                .iter()
                .filter(|(e, cp)| *e != Entity::Redirects && !cp.unsupported)
                .cloned()
                .collect();
            ctx.status(
                AGENT,
                "running",
                format!("counting and sampling by id in {}", verifier.describe()),
                0,
                0,
            )?;
            Some(crate::agents::sampling::verify(&ctx, verifier.as_mut(), &checked).await?)
        }
        None => None,
    };

    for (entity, cp) in checkpoints {
        if entity == Entity::Redirects || cp.unsupported {
            // Redirects are validated by the SEO agent; unsupported entities are reported as such.
            if cp.unsupported {
                v.not_carried.push(match &cp.refusal {
                    Some(why) => format!("{entity}: not moved: {why}"),
                    None => format!(
                        "{entity}: {} has no place for them; not moved",
                        ctx.cfg.target.describe()
                    ),
                });
            }
            continue;
        }
        let written = cp.counts.created + cp.counts.updated;
        let total = expected_counts
            .get(&entity)
            .copied()
            .unwrap_or(cp.counts.read);
        let sampled = samples_of(&ctx, entity)?.len() as u64;
        v.sampled.insert(entity, sampled);
        // Import files are read back whole: their lines are what the compared records lost,
        // counted (below); a live store's are the fields its API has no place for.
        if ctx.cfg.target.kind != EndpointKind::Files {
            let ignore = not_carried(ctx.cfg.target.platform, ctx.cfg.target.kind, entity);
            for (path, why) in &ignore {
                let line = format!("{entity}.{path}: {why}");
                if !v.not_carried.contains(&line) && *path != "source" {
                    v.not_carried.push(line);
                }
            }
        }
        let found = match (early.remove(&entity), ahead.as_mut()) {
            _ if by_sample.is_some() => {
                let o = by_sample.as_mut().expect("checked above");
                Some(ReadBack {
                    in_target: o
                        .counts
                        .get(&entity)
                        .and_then(|c| c.as_ref())
                        .map(|c| c.count)
                        .unwrap_or(0),
                    compared: o.compared.get(&entity).copied().unwrap_or(0),
                    differences: {
                        let (mine, rest): (Vec<Difference>, Vec<Difference>) =
                            std::mem::take(&mut o.differences)
                                .into_iter()
                                .partition(|d| d.entity == entity);
                        o.differences = rest;
                        mine
                    },
                    missing: {
                        let prefix = format!("{entity} ");
                        let (mine, rest): (Vec<String>, Vec<String>) =
                            std::mem::take(&mut o.missing)
                                .into_iter()
                                .partition(|m| m.starts_with(&prefix));
                        o.missing = rest;
                        mine
                    },
                    by_design: vec![],
                })
            }
            (Some(found), _) => {
                ctx.emit(
                    crate::event::Level::Info,
                    Some(AGENT),
                    crate::event::EventKind::Log {
                        message: format!(
                            "{entity} were read back while the executor loaded the rest: {} in the target, {} compared",
                            found.in_target, found.compared
                        ),
                    },
                )?;
                Some(found)
            }
            (None, Some(reader)) if readable.contains(&entity) => {
                Some(read_back(&ctx, entity, reader, Some(written)).await?)
            }
            _ => None,
        };
        let mut in_target = None;
        if let Some(found) = found {
            v.compared.insert(entity, found.compared);
            for (field, reason, records) in &found.by_design {
                let b = ByDesign {
                    entity,
                    field: field.clone(),
                    reason: reason.clone(),
                    records: *records,
                    compared: found.compared,
                };
                v.not_carried.push(b.line());
                v.by_design.push(b);
            }
            let room = MAX_DIFFS.saturating_sub(v.differences.len());
            v.differences
                .extend(found.differences.into_iter().take(room));
            v.missing.extend(found.missing);
            let uncounted = by_sample
                .as_ref()
                .is_some_and(|o| o.counts.get(&entity).is_none_or(Option::is_none));
            in_target = (!uncounted).then_some(found.in_target);
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
    if let Some(reader) = ahead {
        let source = reader.finish().await?;
        // A full read-back of a live store is measured too.
        if let Some(stats) = source.api_stats() {
            let load = crate::api_use::ApiUse::load(&ctx)
                .and_then(|u| u.target)
                .unwrap_or_default();
            let (load_spent, unit) = load.spent();
            v.cost = Some(crate::agents::sampling::Cost {
                mode: "full".into(),
                unit,
                load_spent,
                cap: None,
                spent: match unit {
                    storeshift_connectors::BudgetUnit::Points => stats.points,
                    storeshift_connectors::BudgetUnit::Requests => stats.calls,
                },
                requests: stats.calls,
                load_requests: load.calls,
            });
        }
    }
    if let Some(o) = by_sample {
        v.checks = o.checks;
        v.cost = Some(o.cost);
        v.checked_from = format!(
            "{} (counts from its count endpoints, the sample fetched by id)",
            v.checked_from
        );
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
    let unit: storeshift_connectors::model::WeightUnit =
        serde_json::from_value(m.get("unit")?.clone()).ok()?;
    let value = match m.get("value")? {
        Value::String(t) => t.parse::<rust_decimal::Decimal>().ok()?,
        Value::Number(n) => n.to_string().parse::<rust_decimal::Decimal>().ok()?,
        _ => return None,
    };
    let g = storeshift_connectors::model::Weight { value, unit }
        .grams()
        .round();
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
        _ if e == a || storeshift_connectors::model::same_instant(e, a) => {}
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
