//! Data Analysis agent (Assessment): reads the whole source once, streaming, counts every
//! entity and finds what will go wrong before anything is written. Blocking findings become
//! interventions with concrete options and their consequences.

use crate::event::AgentKind;
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{phase_key, Ctx, Halt};
use crate::store::{now_rfc3339, T};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::platform::{self, Facts};
use storeshift_connectors::{Finding, RecordRef, Severity};

const AGENT: AgentKind = AgentKind::DataAnalysis;
const PAGE: usize = 2000;
/// Records kept per finding group (the count is always exact).
const KEEP: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingGroup {
    pub code: String,
    pub severity: Severity,
    pub title: String,
    pub count: u64,
    #[serde(default)]
    pub records: Vec<RecordRef>,
    /// First few findings in full (with file/line where the reader knew it).
    #[serde(default)]
    pub examples: Vec<Finding>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub counts: BTreeMap<Entity, u64>,
    pub variant_rows: u64,
    pub groups: Vec<FindingGroup>,
    /// Every category path the catalog uses.
    pub categories: BTreeSet<Vec<String>>,
    /// SKU → source id of the product that keeps it (the first seen).
    pub duplicate_skus: BTreeMap<String, String>,
    /// Email (lower case) → source id of the customer that keeps it.
    pub duplicate_emails: BTreeMap<String, String>,
    /// Product name (as [`platform::product_name_key`] folds it) → source id of the product
    /// that keeps it, for targets where names are unique.
    #[serde(default)]
    pub duplicate_names: BTreeMap<String, String>,
    pub currencies: BTreeSet<String>,
    pub complexity: u32,
    pub effort_hours: f64,
    /// Every product option name the catalog uses (for attribute mapping).
    #[serde(default)]
    pub option_names: BTreeSet<String>,
    /// A narrative summary of the findings written by the LLM, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
}

impl Analysis {
    pub fn group(&self, code: &str) -> Option<&FindingGroup> {
        self.groups.iter().find(|g| g.code == code)
    }
}

#[derive(Default)]
struct Collector {
    groups: BTreeMap<String, FindingGroup>,
}

impl Collector {
    fn add(
        &mut self,
        code: &str,
        severity: Severity,
        title: &str,
        finding: Option<Finding>,
        record: Option<RecordRef>,
    ) {
        let g = self
            .groups
            .entry(code.to_string())
            .or_insert_with(|| FindingGroup {
                code: code.to_string(),
                severity,
                title: title.to_string(),
                ..Default::default()
            });
        g.count += 1;
        g.severity = g.severity.max(severity);
        if let Some(r) = record {
            if g.records.len() < KEEP {
                g.records.push(r);
            }
        }
        if let Some(f) = finding {
            if g.examples.len() < 10 {
                g.examples.push(f);
            }
        }
    }
}

/// State of the checks that need the whole source before they can judge a record.
///
/// Sets and maps over every SKU and barcode of a catalog are keyed by 128 bits of the text
/// ([`key128`]) with products as indexes: as strings, a million variants took a fifth of a
/// run's memory.
#[derive(Default)]
struct Seen {
    /// Source ids of the products read, in order: the maps below name products by index.
    products: Vec<String>,
    product_ids: FxHashSet<u128>,
    /// SKU → the product that has it first.
    skus: FxHashMap<u128, u32>,
    /// Barcode → the product that has it first.
    barcodes: FxHashMap<u128, u32>,
    /// Entity and normalised handle → the record that has it first.
    handles: FxHashMap<(Entity, u128), u128>,
    /// Folded product name → the product that has it first (targets with unique names).
    names: FxHashMap<u128, u32>,
    /// Image host → number of images on it.
    image_hosts: HashMap<String, u64>,
    /// Products by the hosts of their images, judged once the majority host is known.
    host_sets: HashMap<Vec<String>, HostSet>,
    products_read: bool,
}

/// The products whose images are on one set of hosts: how many, and the first few in order.
#[derive(Default)]
struct HostSet {
    count: u64,
    first: Vec<(u32, RecordRef)>,
}

/// 128 bits of a string: two SipHash passes with different first bytes. A collision between
/// two SKUs of one catalog (which would report a false duplicate) is out of reach.
fn key128(s: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    a.write_u8(1);
    b.write_u8(2);
    s.hash(&mut a);
    s.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The host of an absolute image URL, lower case, without port or `www.` (None: relative).
fn url_host(src: &str) -> Option<String> {
    let rest = src
        .trim()
        .split_once("://")
        .map(|(_, r)| r)
        .or_else(|| src.trim().strip_prefix("//"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

/// What in a piece of HTML the target will strip: script/iframe/style elements, and inline
/// event handlers (`onclick=`) where the target removes them (Shopify).
pub fn unsafe_html(html: &str, strips_handlers: bool) -> Vec<&'static str> {
    let lower = html.to_ascii_lowercase();
    let mut found = vec![];
    for (tag, name) in [
        ("<script", "script"),
        ("<iframe", "iframe"),
        ("<style", "style"),
    ] {
        if lower.match_indices(tag).any(|(i, _)| {
            lower[i + tag.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '>' || c == '/' || c.is_ascii_whitespace())
        }) {
            found.push(name);
        }
    }
    if strips_handlers && has_event_handler(&lower) {
        found.push("inline event handlers");
    }
    found
}

/// ` on<letters>=` inside a tag.
fn has_event_handler(lower: &str) -> bool {
    let b = lower.as_bytes();
    let mut in_tag = false;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match (in_tag, quote) {
            (false, _) => in_tag = c == b'<',
            (true, Some(q)) => {
                if c == q {
                    quote = None;
                }
            }
            (true, None) => match c {
                b'>' => in_tag = false,
                b'"' | b'\'' => quote = Some(c),
                c if c.is_ascii_whitespace()
                    && b.get(i + 1) == Some(&b'o')
                    && b.get(i + 2) == Some(&b'n') =>
                {
                    let mut j = i + 3;
                    while j < b.len() && b[j].is_ascii_alphabetic() {
                        j += 1;
                    }
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if j > i + 3 && b.get(j) == Some(&b'=') {
                        return true;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    false
}

fn check_html(target: Platform, html: &str, r: &Record, c: &mut Collector) {
    if html.is_empty() {
        return;
    }
    let strips_handlers = target == Platform::Shopify;
    let found = unsafe_html(html, strips_handlers);
    if !found.is_empty() {
        let mut rec = rref(r);
        rec.label = format!("{} ({})", rec.label, found.join(", "));
        c.add(
            "unsafe_html",
            Severity::Warning,
            &format!("descriptions with HTML {target} removes (script, iframe or style elements, inline event handlers); the rest of the text moves"),
            None,
            Some(rec),
        );
    }
}

impl Collector {
    /// Lists a record under an existing group without counting it again (the first record of
    /// a duplicate pair, which the count does not include).
    fn note(&mut self, code: &str, record: RecordRef) {
        if let Some(g) = self.groups.get_mut(code) {
            if g.records.len() < KEEP && !g.records.iter().any(|r| r.source_id == record.source_id)
            {
                g.records.push(record);
            }
        }
    }
}

fn rref(r: &Record) -> RecordRef {
    RecordRef {
        entity: r.entity(),
        source_id: r.source().id.clone(),
        label: r.label(),
    }
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    // Files nobody knows how to read are mapped (or left out) before anything is read.
    crate::agents::file_mapping::settle(&ctx).await?;
    if let Some(existing) = ctx.load_phase::<Analysis>("analysis") {
        // Already analysed in this run (resumed after the interventions were raised).
        return raise_interventions(&ctx, &existing);
    }
    let source = ctx.open_source()?;
    let facts = platform::facts(ctx.cfg.target.platform);
    let entities = ctx.entities(&source.entities());
    let mut a = Analysis::default();
    let mut c = Collector::default();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut customer_ids: HashSet<String> = HashSet::new();
    let mut total_read = 0u64;
    let mut seen = Seen::default();

    // Pages are read and parsed on the other core while this one checks the last page.
    let plan = entities.iter().map(|e| (*e, None)).collect();
    let mut ahead = crate::prefetch::Prefetch::start(source, plan, PAGE, false);
    for entity in entities {
        ctx.status(AGENT, "running", format!("reading {entity}"), 0, 0)?;
        let mut n = 0u64;
        loop {
            ctx.safe_point().await?;
            let got = ahead.next().await.map_err(Halt::Failed)?;
            if got.entity != entity {
                return Err(Halt::Failed(format!(
                    "the source reader gave {} while {entity} was being read",
                    got.entity
                )));
            }
            let page = got.page;
            for f in page.findings {
                let record = f.records.first().cloned();
                let code = f.code.clone();
                let title = f.message.clone();
                c.add(&code, f.severity, &title, Some(f), record);
            }
            for r in &page.records {
                n += 1;
                check(
                    &ctx,
                    &facts,
                    r,
                    &mut a,
                    &mut c,
                    &mut emails,
                    &mut customer_ids,
                    &mut seen,
                );
            }
            total_read += page.records.len() as u64;
            ctx.progress(AGENT, format!("reading {entity}: {n}"), total_read, 0);
            if page.next.is_none() {
                break;
            }
        }
        a.counts.insert(entity, n);
        if entity == Entity::Products {
            seen.products_read = true;
        }
    }
    drop(ahead.finish().await?);
    judge_image_hosts(&ctx, &mut c, &mut seen);
    if a.currencies.len() > 1 {
        let list: Vec<&str> = a.currencies.iter().map(String::as_str).collect();
        c.add(
            "mixed_currencies",
            Severity::Warning,
            &format!(
                "orders use several currencies ({}); each order keeps its own",
                list.join(", ")
            ),
            None,
            None,
        );
    }
    a.groups = c.groups.into_values().collect();
    a.groups
        .sort_by(|x, y| y.severity.cmp(&x.severity).then(x.code.cmp(&y.code)));
    let (complexity, effort) = score(&a);
    a.complexity = complexity;
    a.effort_hours = effort;

    a.narrative = narrative(&ctx, &a).await?;

    // Findings, the analysis and the expected counts become durable together.
    let mut step = ctx.step();
    step.put_json(T::Phases, phase_key(ctx.run, "analysis"), &a);
    let mut expected = a.counts.clone();
    if !expected.contains_key(&Entity::Categories) && !a.categories.is_empty() {
        // Categories named only inside products are derived and moved as their own entity.
        expected.insert(Entity::Categories, a.categories.len() as u64);
    }
    step.put_json(T::Phases, phase_key(ctx.run, "expected_counts"), &expected);
    for g in &a.groups {
        let mut f = Finding::new(
            g.severity,
            &g.code,
            format!("{} ({} record{})", g.title, g.count, plural(g.count)),
        );
        f.records = g.records.iter().take(5).cloned().collect();
        step.finding(AGENT, f);
    }
    let summary = format!(
        "{} — complexity {}/100, about {:.1} operator hours",
        a.counts
            .iter()
            .map(|(e, n)| format!("{n} {e}"))
            .collect::<Vec<_>>()
            .join(", "),
        a.complexity,
        a.effort_hours
    );
    step.agent_status(AGENT, "done", summary, total_read, total_read);
    ctx.commit(step)?;
    ctx.hub.update(|s| {
        for e in s.entities.iter_mut() {
            e.expected = expected.get(&e.entity).copied();
        }
        for (entity, n) in &expected {
            if !s.entities.iter().any(|e| e.entity == *entity) {
                s.entities.push(crate::snapshot::EntityProgress {
                    entity: *entity,
                    counts: Default::default(),
                    expected: Some(*n),
                });
            }
        }
    });
    raise_interventions(&ctx, &a)
}

/// With an LLM, a short narrative of the findings for the report; the findings themselves
/// always come from the rules above.
async fn narrative(ctx: &Ctx, a: &Analysis) -> Result<Option<String>, Halt> {
    if ctx.cfg.llm.is_none() {
        return Ok(None);
    }
    let facts = serde_json::json!({
        "source": ctx.cfg.source.describe(),
        "target": ctx.cfg.target.describe(),
        "counts": a.counts.iter().map(|(e, n)| (e.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "variant_rows": a.variant_rows,
        "complexity": a.complexity,
        "effort_hours": a.effort_hours,
        "findings": a.groups.iter().map(|g| serde_json::json!({
            "code": g.code, "severity": g.severity.to_string(), "title": g.title, "count": g.count,
        })).collect::<Vec<_>>(),
    });
    let schema = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["summary"],
        "properties": {"summary": {"type": "string"}}
    });
    let system = "You are the data analyst of a store migration. Summarise the assessment for the \
                  store owner in at most six plain sentences: what moves, what blocks, what to decide \
                  first. Use only the facts given; do not invent numbers.";
    let user = facts.to_string();
    let answer =
        crate::llm::ask_json(ctx, AGENT, "assessment narrative", system, &user, &schema).await?;
    Ok(answer.and_then(|v| {
        v.get("summary")
            .and_then(|s| s.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }))
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    ctx: &Ctx,
    facts: &Facts,
    r: &Record,
    a: &mut Analysis,
    c: &mut Collector,
    emails: &mut HashMap<String, String>,
    customer_ids: &mut HashSet<String>,
    seen: &mut Seen,
) {
    let target = ctx.cfg.target.platform;
    let id = &r.source().id;
    match r {
        Record::Product(p) => {
            a.variant_rows += p.variants.len().max(1) as u64;
            for o in &p.options {
                if !o.name.trim().is_empty() {
                    a.option_names.insert(o.name.trim().to_string());
                }
            }
            for cat in &p.categories {
                for depth in 1..=cat.len() {
                    if !a.categories.contains(&cat[..depth]) {
                        a.categories.insert(cat[..depth].to_vec());
                    }
                }
            }
            let this = seen.products.len() as u32;
            seen.products.push(id.clone());
            if p.title.trim().is_empty() {
                c.add(
                    "missing_title",
                    Severity::Blocking,
                    "products without a title",
                    None,
                    Some(rref(r)),
                );
            } else if platform::product_names_unique(target) {
                let name = platform::product_name_key(&p.title);
                match seen
                    .names
                    .get(&key128(&name))
                    .map(|&i| &seen.products[i as usize])
                {
                    Some(first) if first != id => {
                        a.duplicate_names
                            .entry(name)
                            .or_insert_with(|| first.clone());
                        c.add(
                            "duplicate_name",
                            Severity::Blocking,
                            &format!("products whose name another product has ({target} takes each name once)"),
                            None,
                            Some(rref(r)),
                        );
                    }
                    Some(_) => {}
                    None => {
                        seen.names.insert(key128(&name), this);
                    }
                }
            }
            if p.variants.iter().any(|v| v.price.is_none()) {
                c.add(
                    "missing_price",
                    Severity::Blocking,
                    "products with a variant that has no price",
                    None,
                    Some(rref(r)),
                );
            }
            if p.variants
                .iter()
                .any(|v| v.inventory.is_some_and(|i| i < 0))
            {
                c.add(
                    "negative_stock",
                    Severity::Warning,
                    "variants with negative stock (moved as 0)",
                    None,
                    Some(rref(r)),
                );
            }
            if let Some(max) = facts.max_options {
                if p.options.len() > max {
                    c.add(
                        "too_many_options",
                        Severity::Blocking,
                        &format!("products with more than {max} options ({target} takes {max})"),
                        None,
                        Some(rref(r)),
                    );
                }
            }
            if let Some(max) = facts.max_variants {
                if p.variants.len() > max {
                    c.add(
                        "too_many_variants",
                        Severity::Blocking,
                        &format!("products with more than {max} variants ({target} takes {max})"),
                        None,
                        Some(rref(r)),
                    );
                }
            }
            for v in &p.variants {
                if let Some(sku) = v.sku.as_deref().filter(|s| !s.trim().is_empty()) {
                    let k = key128(sku);
                    match seen.skus.get(&k).map(|&i| &seen.products[i as usize]) {
                        Some(first) if first != id => {
                            a.duplicate_skus
                                .entry(sku.to_string())
                                .or_insert_with(|| first.clone());
                            c.add(
                                "duplicate_sku",
                                Severity::Blocking,
                                "SKUs used by more than one product",
                                None,
                                Some(RecordRef {
                                    entity: Entity::Products,
                                    source_id: id.clone(),
                                    label: format!("{} (SKU {sku})", p.title),
                                }),
                            );
                            c.note(
                                "duplicate_sku",
                                RecordRef {
                                    entity: Entity::Products,
                                    source_id: first.clone(),
                                    label: format!("product {first} (SKU {sku}, kept)"),
                                },
                            );
                        }
                        Some(_) => {}
                        None => {
                            seen.skus.insert(k, this);
                        }
                    }
                }
            }
            check_handle(facts, Entity::Products, &p.handle, r, c, &mut seen.handles);
            let mut srcs = HashSet::new();
            for img in &p.images {
                if !srcs.insert(img.src.as_str()) {
                    c.add(
                        "duplicate_image",
                        Severity::Info,
                        "products listing the same image twice",
                        None,
                        Some(rref(r)),
                    );
                    break;
                }
            }
            seen.product_ids.insert(key128(id));
            if p.images.iter().all(|i| i.src.trim().is_empty()) {
                c.add(
                    "missing_image",
                    Severity::Warning,
                    "products without an image",
                    None,
                    Some(rref(r)),
                );
            }
            let mut hosts: Vec<String> = p.images.iter().filter_map(|i| url_host(&i.src)).collect();
            hosts.sort();
            hosts.dedup();
            for h in &hosts {
                *seen.image_hosts.entry(h.clone()).or_default() += 1;
            }
            if !hosts.is_empty() {
                let set = seen.host_sets.entry(hosts).or_default();
                set.count += 1;
                if set.first.len() < KEEP {
                    set.first.push((this, rref(r)));
                }
            }
            let mut own = HashSet::new();
            for v in &p.variants {
                let Some(code) = v
                    .barcode
                    .as_deref()
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                else {
                    continue;
                };
                let dup_here = !own.insert(code);
                let k = key128(code);
                let dup_elsewhere = seen
                    .barcodes
                    .get(&k)
                    .is_some_and(|&first| seen.products[first as usize] != *id);
                if dup_here || dup_elsewhere {
                    c.add(
                        "duplicate_barcode",
                        Severity::Warning,
                        "barcodes used by more than one variant (inventory and marketplace feeds match by barcode)",
                        None,
                        Some(RecordRef { entity: Entity::Products, source_id: id.clone(), label: format!("{} (barcode {code})", p.title) }),
                    );
                } else {
                    seen.barcodes.entry(k).or_insert(this);
                }
            }
            check_html(target, &p.body_html, r, c);
        }
        Record::Category(cat) => {
            a.categories.insert(cat.path.clone());
            check_handle(
                facts,
                Entity::Categories,
                &cat.handle,
                r,
                c,
                &mut seen.handles,
            );
        }
        Record::Customer(cu) => {
            customer_ids.insert(id.clone());
            let blank = |n: &Option<String>| n.as_deref().is_none_or(|n| n.trim().is_empty());
            if storeshift_connectors::platform::customer_names_required(target)
                && (blank(&cu.first_name) || blank(&cu.last_name))
            {
                c.add(
                    "customer_missing_name",
                    Severity::Blocking,
                    &format!("customers without a first or last name ({target} requires both)"),
                    None,
                    Some(rref(r)),
                );
            }
            if storeshift_connectors::platform::address_needs_street_city_country(target)
                && cu
                    .addresses
                    .iter()
                    .any(|a| blank(&a.address1) || blank(&a.city) || blank(&a.country_code))
            {
                c.add(
                    "address_incomplete",
                    Severity::Warning,
                    &format!("addresses without street, city or country (left out: {target} requires them)"),
                    None,
                    Some(rref(r)),
                );
            }
            let email = cu.email.trim().to_ascii_lowercase();
            if email.is_empty() {
                // Only a target that keys customers by email needs a decision about them.
                let (severity, title) = if platform::customer_email_required(target) {
                    (
                        Severity::Blocking,
                        "customers without an email (the target needs one)",
                    )
                } else {
                    (
                        Severity::Info,
                        "customers without an email (the target keys them by phone)",
                    )
                };
                c.add(crate::no_email::CODE, severity, title, None, Some(rref(r)));
            } else {
                match emails.get(&email) {
                    Some(first) if first != id => {
                        a.duplicate_emails
                            .entry(email.clone())
                            .or_insert_with(|| first.clone());
                        c.add(
                            "duplicate_email",
                            Severity::Blocking,
                            "customer emails used more than once",
                            None,
                            Some(rref(r)),
                        );
                        c.note(
                            "duplicate_email",
                            RecordRef {
                                entity: Entity::Customers,
                                source_id: first.clone(),
                                label: format!("customer {first} ({email}, kept)"),
                            },
                        );
                    }
                    Some(_) => {}
                    None => {
                        emails.insert(email, id.clone());
                    }
                }
            }
        }
        Record::Order(o) => {
            a.currencies.insert(o.currency.clone());
            if let Some(cref) = &o.customer_ref {
                if !customer_ids.contains(cref) {
                    c.add(
                        "order_missing_customer",
                        Severity::Blocking,
                        "orders referring to a customer the source does not have",
                        None,
                        Some(rref(r)),
                    );
                }
            }
            if seen.products_read {
                let missing: Vec<String> = o
                    .line_items
                    .iter()
                    .filter(|l| {
                        match (
                            &l.product_ref,
                            l.sku.as_deref().filter(|s| !s.trim().is_empty()),
                        ) {
                            (Some(pid), _) => !seen.product_ids.contains(&key128(pid)),
                            (None, Some(sku)) => !seen.skus.contains_key(&key128(sku)),
                            (None, None) => false,
                        }
                    })
                    .map(|l| {
                        l.sku
                            .clone()
                            .or_else(|| l.product_ref.clone())
                            .unwrap_or_else(|| l.title.clone())
                    })
                    .collect();
                if !missing.is_empty() {
                    let mut rec = rref(r);
                    rec.label = format!("{} (lines {})", rec.label, missing.join(", "));
                    c.add(
                        "order_missing_product",
                        Severity::Warning,
                        "orders with lines for products the source does not have (they keep title, SKU and price, linked to no product)",
                        None,
                        Some(rec),
                    );
                }
            }
            let diff = (o.computed_total() - o.totals.total.amount).abs();
            if diff > rust_decimal::Decimal::new(1, 2) {
                c.add(
                    "order_totals_mismatch",
                    Severity::Warning,
                    "orders whose lines do not add up to the total",
                    None,
                    Some(rref(r)),
                );
            }
        }
        Record::Page(pg) => {
            check_handle(facts, Entity::Pages, &pg.handle, r, c, &mut seen.handles);
            check_html(target, &pg.body_html, r, c);
        }
        Record::BlogPost(b) => check_html(target, &b.body_html, r, c),
        Record::Redirect(_) => {}
    }
}

/// Images on hosts other than the store's own (the `[run] source_url` host and the host most
/// images are on): the import fetches them from there, so they must stay reachable.
fn judge_image_hosts(ctx: &Ctx, c: &mut Collector, seen: &mut Seen) {
    let mut own: HashSet<String> = HashSet::new();
    if let Some(h) = ctx.cfg.run.source_url.as_deref().and_then(url_host) {
        own.insert(h);
    }
    if let Some((h, _)) = seen
        .image_hosts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    {
        own.insert(h.clone());
    }
    // Only the first KEEP products are listed, in the order they were read: those of every
    // set of hosts judged foreign are merged by position.
    let mut listed: Vec<(u32, RecordRef)> = vec![];
    let mut count = 0u64;
    for (hosts, set) in std::mem::take(&mut seen.host_sets) {
        let other: Vec<&str> = hosts
            .iter()
            .filter(|h| !own.contains(*h))
            .map(String::as_str)
            .collect();
        if other.is_empty() {
            continue;
        }
        count += set.count;
        let other = other.join(", ");
        for (at, mut rec) in set.first {
            rec.label = format!("{} ({other})", rec.label);
            listed.push((at, rec));
        }
    }
    listed.sort_by_key(|(at, _)| *at);
    listed.truncate(KEEP);
    let shown = listed.len() as u64;
    for (_, rec) in listed {
        c.add(
            "foreign_image_host",
            Severity::Warning,
            "products with images on other hosts than the store's own (the target fetches them from there at import)",
            None,
            Some(rec),
        );
    }
    if let Some(g) = c.groups.get_mut("foreign_image_host") {
        g.count += count - shown;
    }
}

fn check_handle(
    facts: &Facts,
    entity: Entity,
    handle: &str,
    r: &Record,
    c: &mut Collector,
    handles: &mut FxHashMap<(Entity, u128), u128>,
) {
    let target = facts.platform;
    if handle.chars().count() > facts.max_handle_len {
        c.add(
            "handle_too_long",
            Severity::Blocking,
            &format!(
                "handles longer than {} characters ({target}'s limit)",
                facts.max_handle_len
            ),
            None,
            Some(rref(r)),
        );
    }
    if facts.ascii_handles && !handle.is_ascii() {
        c.add(
            "non_ascii_handle",
            Severity::Blocking,
            &format!("handles with characters {target} does not take in URLs"),
            None,
            Some(rref(r)),
        );
    }
    let key = (entity, key128(&platform::normalize_handle(target, handle)));
    let id = key128(&r.source().id);
    if let Some(&first) = handles.get(&key) {
        if first != id {
            c.add(
                "duplicate_handle",
                Severity::Warning,
                "records whose handles collide in the target (later ones get a -2 suffix)",
                None,
                Some(rref(r)),
            );
        }
    } else {
        handles.insert(key, id);
    }
}

/// A 0–100 complexity score and operator hours: volume, variety and problems.
fn score(a: &Analysis) -> (u32, f64) {
    let records: u64 = a.counts.values().sum();
    let volume = ((records.max(1) as f64).log10() * 10.0).min(40.0);
    let blocking: u64 = a
        .groups
        .iter()
        .filter(|g| g.severity >= Severity::Blocking)
        .map(|g| g.count)
        .sum();
    let kinds = a
        .groups
        .iter()
        .filter(|g| g.severity >= Severity::Blocking)
        .count() as f64;
    let problems = (kinds * 5.0 + (blocking as f64).sqrt() * 2.0).min(40.0);
    let variety = (a.counts.len() as f64 * 3.0 + (a.categories.len() as f64).sqrt()).min(20.0);
    let complexity = (volume + problems + variety).round().min(100.0) as u32;
    let effort = 1.0 + kinds * 0.5 + blocking as f64 * 0.02 + records as f64 / 50_000.0;
    (complexity, (effort * 10.0).round() / 10.0)
}

fn opt(key: &str, label: &str, consequence: &str) -> InterventionOption {
    InterventionOption {
        key: key.into(),
        label: label.into(),
        consequence: consequence.into(),
    }
}

/// Every finding code that comes with options.
pub const CODES: [&str; 12] = [
    "duplicate_sku",
    "duplicate_name",
    "missing_price",
    "too_many_options",
    "too_many_variants",
    "handle_too_long",
    "non_ascii_handle",
    "duplicate_email",
    "order_missing_customer",
    "missing_title",
    "customer_missing_name",
    crate::no_email::CODE,
];

/// The options offered for each blocking finding, recommended first.
pub fn options_for(code: &str, target: &str) -> Option<(String, Vec<InterventionOption>)> {
    let o = match code {
        "duplicate_sku" => vec![
            opt("suffix", "Suffix later duplicates with their option values", "SKU-1 on the second product becomes SKU-1-red-xl (or SKU-1-<id> without options); the first keeps it. Order history matches the first."),
            opt("use_barcode", "Use the barcode as SKU for later duplicates", "Later duplicates take their barcode as SKU; those without a barcode are suffixed."),
            opt("keep", "Keep the SKUs as they are", &format!("{target} receives duplicate SKUs: inventory and order imports may match the wrong variant.")),
        ],
        "duplicate_name" => vec![
            opt("suffix", "Add the SKU to the later products' names", &format!("The second \"Wool Hat\" becomes \"Wool Hat (HAT-2)\" (its handle when it has no SKU); the first keeps its name. {target} takes each name once.")),
            opt("skip", "Leave the later products out", "They are not migrated; the report lists them, to rename them in the source and run again."),
            opt("keep", "Send them as they are", &format!("{target} refuses each of them (409, the name is taken); they show as failed records.")),
        ],
        "missing_price" => vec![
            opt("draft", "Import as draft with price 0.00", "The products arrive unpublished so nobody can buy them for free; set prices before publishing."),
            opt("skip", "Leave them out", "They are not migrated; the report lists them."),
        ],
        "too_many_options" => vec![
            opt("merge_extra", "Merge the extra options into the last one", &format!("Options beyond {target}'s limit join the last allowed option (\"Color / Material\": \"Red / Cotton\"); every variant stays distinct.")),
            opt("drop_extra", "Drop the extra options", "Only the first options are kept; variants that then look alike are merged, the first one wins."),
            opt("skip", "Leave these products out", "They are not migrated; the report lists them."),
        ],
        "too_many_variants" => vec![
            opt("keep_first", "Keep the first variants up to the limit", "The remaining variants are left out and listed in the report."),
            opt("skip", "Leave these products out", "They are not migrated; the report lists them."),
        ],
        "handle_too_long" => vec![
            opt("truncate", "Shorten at a word boundary", "The handle is cut to the limit; the old URL 301-redirects to the new one."),
            opt("from_title", "Make a new handle from the title", "The handle is rebuilt from the title; the old URL 301-redirects to it."),
        ],
        "non_ascii_handle" => vec![
            opt("transliterate", "Transliterate (ı→i, ş→s, ö→o, ü→u)", "kadın-örgü-kazak becomes kadin-orgu-kazak; the old URL 301-redirects to it."),
            opt("from_title", "Make a new handle from the title", "The handle is rebuilt from the transliterated title; the old URL 301-redirects to it."),
        ],
        "duplicate_email" => vec![
            opt("skip_later", "Import the first customer, list later duplicates", &format!("{target} keeps one customer per email; later duplicates are listed in the report for manual merging.")),
            opt("keep", "Send them all", &format!("{target} rejects or overwrites the later ones; they show as failed records.")),
        ],
        "order_missing_customer" => vec![
            opt("guest", "Import as guest orders", "The orders keep their email and addresses but link to no customer account."),
            opt("skip", "Leave these orders out", "They are not migrated; the report lists them."),
        ],
        "missing_title" => vec![
            opt("from_handle", "Use the handle as title", "The title is made from the handle (blue-hat → Blue hat)."),
            opt("skip", "Leave them out", "They are not migrated; the report lists them."),
        ],
        "customer_missing_name" => vec![
            opt("skip", "Leave them out", "They are not migrated; the report lists them, to add their names in the source and run again."),
            opt("send", "Send them as they are", &format!("{target} refuses each of them; they show as failed records with its reason.")),
        ],
        crate::no_email::CODE => vec![
            opt(crate::no_email::OWNER_FILE, "Leave them out; write them to a file for the store owner", &format!("They are not migrated; output/run-N/{} lists each one's name, phone and address so the owner can ask for an email and import them later.", storeshift_connectors::no_email::OWNER_FILE)),
            opt(crate::no_email::SKIP, "Leave them out; list them in the report", "They are not migrated; the report counts them and the log names them."),
            opt(crate::no_email::DOMAIN, "Give each an address on a domain you name (type the domain as the note)", &format!("Each gets phone-<digits>@DOMAIN (customer-<id>@DOMAIN without a phone), recorded so every re-run gives the same one; {target} can mail nobody at it until the customer changes it. Name the domain in the note (n in the dialog), or `storeshift decide WS ID domain:shop.example`.")),
        ],
        _ => return None,
    };
    Some((o[0].key.clone(), o))
}

fn raise_interventions(ctx: &Ctx, a: &Analysis) -> Result<(), Halt> {
    let target = ctx.cfg.target.platform.display_name();
    let mut step = ctx.step();
    let mut raised = 0;
    for g in a.groups.iter().filter(|g| g.severity >= Severity::Blocking) {
        let Some((recommended, options)) = options_for(&g.code, target) else {
            continue;
        };
        let step_name = format!("assessment/{}", g.code);
        let iv = Intervention {
            id: Intervention::make_id(ctx.run, &step_name, &g.code),
            run: ctx.run,
            step: step_name,
            item: g.code.clone(),
            title: format!("{}: {} record{}", g.title, g.count, plural(g.count)),
            problem: problem_text(&g.code, g, target),
            records: g.records.clone(),
            options,
            recommended,
            raised_at: now_rfc3339(),
            detail: None,
            decision: None,
        };
        if ctx.raise(&mut step, iv)? {
            raised += 1;
        }
    }
    if raised > 0 {
        ctx.commit(step)?;
    }
    Ok(())
}

fn problem_text(code: &str, g: &FindingGroup, target: &str) -> String {
    let first: Vec<String> = g
        .records
        .iter()
        .take(3)
        .map(|r| format!("{} ({})", r.label, r.source_id))
        .collect();
    let what = match code {
        "duplicate_sku" => {
            "Several products share a SKU. Order history, inventory and apps match variants by SKU."
                .to_string()
        }
        "missing_price" => {
            format!("These products have a variant without a price; {target} needs one.")
        }
        "too_many_options" => format!("{target} allows at most 3 options per product."),
        "too_many_variants" => format!("These products have more variants than {target} allows."),
        "handle_too_long" => format!("{target} handles are at most 255 characters."),
        "non_ascii_handle" => {
            format!("{target} URL handles are ASCII; these slugs have other letters.")
        }
        "duplicate_email" => "Several customers share an email address.".to_string(),
        "duplicate_name" => format!(
            "Several products share a name; {target} refuses a product whose name another product has."
        ),
        crate::no_email::CODE => format!(
            "{target} needs an email on every customer; these have none (Shopify lets customers sign in by phone)."
        ),
        "order_missing_customer" => {
            "These orders name a customer the export does not contain.".to_string()
        }
        "customer_missing_name" => format!(
            "{target} requires a first and a last name on every customer; these customers lack one."
        ),
        _ => g.title.clone(),
    };
    format!(
        "{what} Affected: {}{}",
        first.join(", "),
        if g.count > 3 {
            format!(" and {} more", g.count - 3)
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_hosts_are_compared_without_scheme_port_or_www() {
        assert_eq!(
            url_host("https://www.Demo-Store.example:8443/a.jpg").as_deref(),
            Some("demo-store.example")
        );
        assert_eq!(
            url_host("//cdn.example/x.png?v=1").as_deref(),
            Some("cdn.example")
        );
        assert_eq!(
            url_host("http://user@img.example/x").as_deref(),
            Some("img.example")
        );
        assert_eq!(url_host("/wp-content/uploads/x.jpg"), None);
        assert_eq!(url_host(""), None);
    }

    #[test]
    fn html_the_target_strips_is_named() {
        assert_eq!(
            unsafe_html("<p>Soft <b>wool</b></p>", true),
            Vec::<&str>::new()
        );
        assert_eq!(
            unsafe_html("<p>x</p><SCRIPT src=a.js></script>", false),
            vec!["script"]
        );
        assert_eq!(
            unsafe_html("<iframe src=\"v\"></iframe><style>p{}</style>", false),
            vec!["iframe", "style"]
        );
        assert_eq!(
            unsafe_html("<img src=x onerror=\"alert(1)\">", true),
            vec!["inline event handlers"]
        );
        assert!(unsafe_html("<img src=x onerror=\"alert(1)\">", false).is_empty());
        // Words that only look like tags or handlers are not flagged.
        assert!(unsafe_html("<p>scripted onions = tasty</p><stylesheet>", true).is_empty());
        assert!(unsafe_html("<a title=\"go on=now\">x</a>", true).is_empty());
    }
}
