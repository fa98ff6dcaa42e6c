//! Data Analysis agent (Assessment): reads the whole source once, streaming, counts every
//! entity and finds what will go wrong before anything is written. Blocking findings become
//! interventions with concrete options and their consequences.

use crate::event::{AgentKind, EventKind, Level};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{phase_key, Ctx, Halt};
use crate::store::{now_rfc3339, T};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use storeshift_connectors::model::{Entity, Record};
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
    fn add(&mut self, code: &str, severity: Severity, title: &str, finding: Option<Finding>, record: Option<RecordRef>) {
        let g = self.groups.entry(code.to_string()).or_insert_with(|| FindingGroup {
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

fn rref(r: &Record) -> RecordRef {
    RecordRef { entity: r.entity(), source_id: r.source().id.clone(), label: r.label() }
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if let Some(existing) = ctx.load_phase::<Analysis>("analysis") {
        // Already analysed in this run (resumed after the interventions were raised).
        return raise_interventions(&ctx, &existing);
    }
    let mut source = ctx.open_source()?;
    let facts = platform::facts(ctx.cfg.target.platform);
    let entities = ctx.entities(&source.entities());
    let mut a = Analysis::default();
    let mut c = Collector::default();
    let mut skus: HashMap<String, String> = HashMap::new();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut customer_ids: HashSet<String> = HashSet::new();
    let mut handles: HashMap<(Entity, String), String> = HashMap::new();
    let mut total_read = 0u64;

    for entity in entities {
        ctx.status(AGENT, "running", format!("reading {entity}"), 0, 0)?;
        let mut cursor = None;
        let mut n = 0u64;
        loop {
            ctx.safe_point().await?;
            let page = source
                .read_page(entity, cursor.as_ref(), PAGE)
                .await
                .map_err(|e| Halt::Failed(format!("reading {entity} from the source failed: {e}")))?;
            for f in page.findings {
                let record = f.records.first().cloned();
                let code = f.code.clone();
                let title = f.message.clone();
                c.add(&code, f.severity, &title, Some(f), record);
            }
            for r in &page.records {
                n += 1;
                check(&ctx, &facts, r, &mut a, &mut c, &mut skus, &mut emails, &mut customer_ids, &mut handles);
            }
            total_read += page.records.len() as u64;
            ctx.progress(AGENT, format!("reading {entity}: {n}"), total_read, 0);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        a.counts.insert(entity, n);
    }
    if a.currencies.len() > 1 {
        let list: Vec<&str> = a.currencies.iter().map(String::as_str).collect();
        c.add(
            "mixed_currencies",
            Severity::Warning,
            &format!("orders use several currencies ({}); each order keeps its own", list.join(", ")),
            None,
            None,
        );
    }
    a.groups = c.groups.into_values().collect();
    a.groups.sort_by(|x, y| y.severity.cmp(&x.severity).then(x.code.cmp(&y.code)));
    let (complexity, effort) = score(&a);
    a.complexity = complexity;
    a.effort_hours = effort;

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
        let mut f = Finding::new(g.severity, &g.code, format!("{} ({} record{})", g.title, g.count, plural(g.count)));
        f.records = g.records.iter().take(5).cloned().collect();
        step.event(level_of(g.severity), Some(AGENT), EventKind::Finding { agent: AGENT, finding: f });
    }
    let summary = format!(
        "{} — complexity {}/100, about {:.1} operator hours",
        a.counts.iter().map(|(e, n)| format!("{n} {e}")).collect::<Vec<_>>().join(", "),
        a.complexity,
        a.effort_hours
    );
    step.event(
        Level::Info,
        Some(AGENT),
        EventKind::AgentStatus { agent: AGENT, status: "done".into(), task: summary, done: total_read, total: total_read },
    );
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

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn level_of(s: Severity) -> Level {
    match s {
        Severity::Info => Level::Info,
        Severity::Warning => Level::Warn,
        Severity::Blocking | Severity::Error => Level::Error,
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    ctx: &Ctx,
    facts: &Facts,
    r: &Record,
    a: &mut Analysis,
    c: &mut Collector,
    skus: &mut HashMap<String, String>,
    emails: &mut HashMap<String, String>,
    customer_ids: &mut HashSet<String>,
    handles: &mut HashMap<(Entity, String), String>,
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
                    a.categories.insert(cat[..depth].to_vec());
                }
            }
            if p.title.trim().is_empty() {
                c.add("missing_title", Severity::Blocking, "products without a title", None, Some(rref(r)));
            }
            if p.variants.iter().any(|v| v.price.is_none()) {
                c.add("missing_price", Severity::Blocking, "products with a variant that has no price", None, Some(rref(r)));
            }
            if p.variants.iter().any(|v| v.inventory.is_some_and(|i| i < 0)) {
                c.add("negative_stock", Severity::Warning, "variants with negative stock (moved as 0)", None, Some(rref(r)));
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
                    match skus.get(sku) {
                        Some(first) if first != id => {
                            a.duplicate_skus.entry(sku.to_string()).or_insert_with(|| first.clone());
                            c.add(
                                "duplicate_sku",
                                Severity::Blocking,
                                "SKUs used by more than one product",
                                None,
                                Some(RecordRef { entity: Entity::Products, source_id: id.clone(), label: format!("{} (SKU {sku})", p.title) }),
                            );
                        }
                        Some(_) => {}
                        None => {
                            skus.insert(sku.to_string(), id.clone());
                        }
                    }
                }
            }
            check_handle(facts, Entity::Products, &p.handle, r, c, handles);
            let mut srcs = HashSet::new();
            for img in &p.images {
                if !srcs.insert(img.src.as_str()) {
                    c.add("duplicate_image", Severity::Info, "products listing the same image twice", None, Some(rref(r)));
                    break;
                }
            }
        }
        Record::Category(cat) => {
            a.categories.insert(cat.path.clone());
            check_handle(facts, Entity::Categories, &cat.handle, r, c, handles);
        }
        Record::Customer(cu) => {
            customer_ids.insert(id.clone());
            let email = cu.email.trim().to_ascii_lowercase();
            if email.is_empty() {
                c.add("missing_email", Severity::Warning, "customers without an email", None, Some(rref(r)));
            } else {
                match emails.get(&email) {
                    Some(first) if first != id => {
                        a.duplicate_emails.entry(email.clone()).or_insert_with(|| first.clone());
                        c.add("duplicate_email", Severity::Blocking, "customer emails used more than once", None, Some(rref(r)));
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
            let diff = (o.computed_total() - o.totals.total.amount).abs();
            if diff > rust_decimal::Decimal::new(1, 2) {
                c.add("order_totals_mismatch", Severity::Warning, "orders whose lines do not add up to the total", None, Some(rref(r)));
            }
        }
        Record::Page(pg) => check_handle(facts, Entity::Pages, &pg.handle, r, c, handles),
        Record::BlogPost(_) | Record::Redirect(_) => {}
    }
}

fn check_handle(
    facts: &Facts,
    entity: Entity,
    handle: &str,
    r: &Record,
    c: &mut Collector,
    handles: &mut HashMap<(Entity, String), String>,
) {
    let target = facts.platform;
    if handle.chars().count() > facts.max_handle_len {
        c.add(
            "handle_too_long",
            Severity::Blocking,
            &format!("handles longer than {} characters ({target}'s limit)", facts.max_handle_len),
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
    let key = (entity, platform::normalize_handle(target, handle));
    if let Some(first) = handles.get(&key) {
        if first != &r.source().id {
            c.add("duplicate_handle", Severity::Warning, "records whose handles collide in the target (later ones get a -2 suffix)", None, Some(rref(r)));
        }
    } else {
        handles.insert(key, r.source().id.clone());
    }
}

/// A 0–100 complexity score and operator hours: volume, variety and problems.
fn score(a: &Analysis) -> (u32, f64) {
    let records: u64 = a.counts.values().sum();
    let volume = ((records.max(1) as f64).log10() * 10.0).min(40.0);
    let blocking: u64 = a.groups.iter().filter(|g| g.severity >= Severity::Blocking).map(|g| g.count).sum();
    let kinds = a.groups.iter().filter(|g| g.severity >= Severity::Blocking).count() as f64;
    let problems = (kinds * 5.0 + (blocking as f64).sqrt() * 2.0).min(40.0);
    let variety = (a.counts.len() as f64 * 3.0 + (a.categories.len() as f64).sqrt()).min(20.0);
    let complexity = (volume + problems + variety).round().min(100.0) as u32;
    let effort = 1.0 + kinds * 0.5 + blocking as f64 * 0.02 + records as f64 / 50_000.0;
    (complexity, (effort * 10.0).round() / 10.0)
}

fn opt(key: &str, label: &str, consequence: &str) -> InterventionOption {
    InterventionOption { key: key.into(), label: label.into(), consequence: consequence.into() }
}

/// Every finding code that comes with options.
pub const CODES: [&str; 9] = [
    "duplicate_sku",
    "missing_price",
    "too_many_options",
    "too_many_variants",
    "handle_too_long",
    "non_ascii_handle",
    "duplicate_email",
    "order_missing_customer",
    "missing_title",
];

/// The options offered for each blocking finding, recommended first.
pub fn options_for(code: &str, target: &str) -> Option<(String, Vec<InterventionOption>)> {
    let o = match code {
        "duplicate_sku" => vec![
            opt("suffix", "Suffix later duplicates with their option values", "SKU-1 on the second product becomes SKU-1-red-xl (or SKU-1-<id> without options); the first keeps it. Order history matches the first."),
            opt("use_barcode", "Use the barcode as SKU for later duplicates", "Later duplicates take their barcode as SKU; those without a barcode are suffixed."),
            opt("keep", "Keep the SKUs as they are", &format!("{target} receives duplicate SKUs: inventory and order imports may match the wrong variant.")),
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
        _ => return None,
    };
    Some((o[0].key.clone(), o))
}

fn raise_interventions(ctx: &Ctx, a: &Analysis) -> Result<(), Halt> {
    let target = ctx.cfg.target.platform.display_name();
    let mut step = ctx.step();
    let mut raised = 0;
    for g in a.groups.iter().filter(|g| g.severity >= Severity::Blocking) {
        let Some((recommended, options)) = options_for(&g.code, target) else { continue };
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
    let first: Vec<String> = g.records.iter().take(3).map(|r| format!("{} ({})", r.label, r.source_id)).collect();
    let what = match code {
        "duplicate_sku" => "Several products share a SKU. Order history, inventory and apps match variants by SKU.".to_string(),
        "missing_price" => format!("These products have a variant without a price; {target} needs one."),
        "too_many_options" => format!("{target} allows at most 3 options per product."),
        "too_many_variants" => format!("These products have more variants than {target} allows."),
        "handle_too_long" => format!("{target} handles are at most 255 characters."),
        "non_ascii_handle" => format!("{target} URL handles are ASCII; these slugs have other letters."),
        "duplicate_email" => "Several customers share an email address.".to_string(),
        "order_missing_customer" => "These orders name a customer the export does not contain.".to_string(),
        _ => g.title.clone(),
    };
    format!("{what} Affected: {}{}", first.join(", "), if g.count > 3 { format!(" and {} more", g.count - 3) } else { String::new() })
}
