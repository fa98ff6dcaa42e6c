//! Transform: makes a canonical record valid for the target, applying the operator's decisions.
//! Deterministic — the same record, decisions and id map give the same output — so a resumed
//! run writes exactly what an uninterrupted one would, and verification can recompute it.

use crate::agents::analysis::Analysis;
use crate::store::{entity_key, IdMapEntry, Store, T};
use std::collections::{BTreeMap, HashMap, HashSet};
use storeshift_connectors::model::{
    Entity, Platform, Product, ProductOption, ProductStatus, Record, Variant,
};
use storeshift_connectors::platform::{self, Facts};
use storeshift_connectors::{EndpointKind, Finding, RecordRef, Severity};

/// What to do with one record.
#[derive(Debug)]
pub enum Outcome {
    Write(Box<Record>),
    /// Left out by an operator decision; the reason goes to the report.
    Skip(String),
}

pub struct Transformer {
    facts: Facts,
    /// Import files of some platforms hold less than their API (one address per customer).
    files: bool,
    /// Findings about records that were changed to fit, drained into the batch's events.
    pub notes: Vec<Finding>,
    source_platform: Platform,
    choices: HashMap<String, String>,
    duplicate_skus: HashMap<String, String>,
    duplicate_emails: HashMap<String, String>,
    /// Folded product name → the product that keeps it (targets with unique names).
    duplicate_names: HashMap<String, String>,
    /// Handles claimed by batches not yet committed to the store: (owner, batch).
    claimed: HashMap<(Entity, String), (String, u64)>,
    /// The batch being transformed (claims are tagged with it).
    batch: u64,
    /// Entities whose handles the store held none of when their loading began: every handle
    /// of theirs is claimed in memory, so the store need not be asked.
    fresh: HashSet<Entity>,
    /// Source category path → target category path (the mapping agent's result, decisions applied).
    category_map: BTreeMap<Vec<String>, Vec<String>>,
    /// The target keys customers by email (all but Shopify).
    email_required: bool,
    /// The operator's domain for customers without an email (decision `domain`).
    email_domain: Option<String>,
    /// What the last [`Transformer::transform`] made of a customer without an email; the
    /// executor takes it for the batch's counts and state.
    pub no_email: Option<crate::no_email::Done>,
}

impl Transformer {
    pub fn new(
        target: Platform,
        target_kind: EndpointKind,
        source: Platform,
        analysis: &Analysis,
        decisions: BTreeMap<String, String>,
    ) -> Self {
        Transformer {
            facts: platform::facts(target),
            files: target_kind == EndpointKind::Files,
            notes: vec![],
            source_platform: source,
            choices: crate::agents::analysis::CODES
                .iter()
                .filter_map(|code| {
                    let (recommended, _) = crate::agents::analysis::options_for(code, "")?;
                    let chosen = decisions
                        .get(&format!("assessment/{code}"))
                        .cloned()
                        .unwrap_or(recommended);
                    Some((code.to_string(), chosen))
                })
                .collect(),
            duplicate_skus: analysis
                .duplicate_skus
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            duplicate_emails: analysis
                .duplicate_emails
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            duplicate_names: analysis
                .duplicate_names
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            claimed: HashMap::new(),
            batch: 0,
            fresh: HashSet::new(),
            category_map: BTreeMap::new(),
            email_required: platform::customer_email_required(target),
            email_domain: None,
            no_email: None,
        }
    }

    /// Takes the notes of decisions that need one (the domain for customers without an
    /// email), by step.
    pub fn with_decision_notes(mut self, notes: &BTreeMap<String, String>) -> Self {
        self.email_domain = notes
            .get(&crate::no_email::step())
            .and_then(|d| storeshift_connectors::no_email::valid_domain(d).ok());
        self
    }

    /// Moves categories onto the target's own tree (or the user's taxonomy) as mapped.
    pub fn with_category_map(mut self, map: BTreeMap<Vec<String>, Vec<String>>) -> Self {
        self.category_map = map;
        self
    }

    fn map_category(&self, path: &[String]) -> Option<&Vec<String>> {
        self.category_map.get(path).filter(|t| !t.is_empty())
    }

    /// The option in force for an assessment finding: the operator's decision, else the
    /// recommended one (so a record the analysis did not flag is treated the recommended way).
    fn chose(&self, code: &str, option: &str) -> bool {
        self.choices.get(code).is_some_and(|c| c == option)
    }

    /// Starts a batch; returns its number for [`Transformer::committed`].
    pub fn next_batch(&mut self) -> u64 {
        self.batch += 1;
        self.batch
    }

    /// Forgets the handle claims of batches up to `batch` once it is committed (they are in the
    /// store now). Claims of a later batch, transformed while this one was committing, stay.
    pub fn committed(&mut self, batch: u64) {
        let fresh = &self.fresh;
        self.claimed
            .retain(|(e, _), (_, b)| *b > batch || fresh.contains(e));
    }

    /// Loading `entity` begins with no handle of it in the store: its claims are kept for the
    /// whole pass and the store is not asked (see [`Transformer::end_entity`]).
    pub fn begin_fresh(&mut self, entity: Entity) {
        self.fresh.insert(entity);
    }

    /// Loading `entity` is done (every claim of it is committed).
    pub fn end_entity(&mut self, entity: Entity) {
        if self.fresh.remove(&entity) {
            self.claimed.retain(|(e, _), _| *e != entity);
        }
    }

    pub fn transform(
        &mut self,
        store: &Store,
        record: Record,
        prev: Option<&IdMapEntry>,
    ) -> Outcome {
        match record {
            Record::Product(p) => self.product(store, p, prev),
            Record::Customer(mut c) => {
                c.email = c.email.trim().to_ascii_lowercase();
                let blank = |n: &Option<String>| n.as_deref().is_none_or(|n| n.trim().is_empty());
                if platform::customer_names_required(self.facts.platform)
                    && (blank(&c.first_name) || blank(&c.last_name))
                    && self.chose("customer_missing_name", "skip")
                {
                    return Outcome::Skip(format!(
                        "{} has no first or last name, which {} requires (decision: leave out)",
                        c.email, self.facts.platform
                    ));
                }
                if c.email.is_empty() && self.email_required {
                    // `None`: addressed on the operator's domain, then moved as any other.
                    if let Some(skip) = self.without_email(store, &mut c, prev) {
                        return skip;
                    }
                }
                if let Some(first) = self.duplicate_emails.get(&c.email) {
                    if first != &c.source.id && self.chose("duplicate_email", "skip_later") {
                        return Outcome::Skip(format!(
                            "email {} already belongs to customer {first} (decision: import the first only)",
                            c.email
                        ));
                    }
                }
                if let Some(max) = self
                    .files
                    .then(|| platform::file_addresses_per_customer(self.facts.platform))
                    .flatten()
                {
                    let dropped: Vec<String> =
                        c.keep_addresses(max).iter().map(|a| a.summary()).collect();
                    if !dropped.is_empty() {
                        self.notes.push(
                            Finding::new(
                                Severity::Info,
                                "address_not_carried",
                                format!(
                                    "{}: the {} customer file holds one address; kept the default, not carried: {}",
                                    c.label(),
                                    self.facts.platform,
                                    dropped.join("; ")
                                ),
                            )
                            .about(RecordRef { entity: Entity::Customers, source_id: c.source.id.clone(), label: c.label() }),
                        );
                    }
                }
                Outcome::Write(Box::new(Record::Customer(c)))
            }
            Record::Order(mut o) => {
                if let Some(cref) = o.customer_ref.clone() {
                    let known = store
                        .tree(T::IdMap)
                        .contains_key(entity_key(Entity::Customers, &cref))
                        .unwrap_or(false);
                    if !known {
                        if self.chose("order_missing_customer", "skip") {
                            return Outcome::Skip(format!(
                                "customer {cref} is not in the source (decision: leave out)"
                            ));
                        }
                        o.customer_ref = None;
                    }
                }
                Outcome::Write(Box::new(Record::Order(o)))
            }
            Record::Category(mut c) => {
                if let Some(mapped) = self.map_category(&c.path).cloned() {
                    // The category becomes the target's; its handle follows the new name.
                    c.path = mapped;
                    c.handle = String::new();
                }
                let name = c.name().to_string();
                c.handle = self.handle(
                    store,
                    Entity::Categories,
                    &c.source.id,
                    &c.handle,
                    &name,
                    prev,
                );
                Outcome::Write(Box::new(Record::Category(c)))
            }
            Record::Page(mut p) => {
                p.handle = self.handle(
                    store,
                    Entity::Pages,
                    &p.source.id,
                    &p.handle,
                    &p.title.clone(),
                    prev,
                );
                Outcome::Write(Box::new(Record::Page(p)))
            }
            Record::BlogPost(mut b) => {
                let key = b.source.id.clone();
                b.handle = self.handle(
                    store,
                    Entity::BlogPosts,
                    &key,
                    &b.handle,
                    &b.title.clone(),
                    prev,
                );
                Outcome::Write(Box::new(Record::BlogPost(b)))
            }
            r @ Record::Redirect(_) => Outcome::Write(Box::new(r)),
        }
    }

    /// Applies the decision about customers without an email to `c`: `Some` leaves it out,
    /// `None` gave it an address (the one recorded for it on an earlier run, if any).
    fn without_email(
        &mut self,
        store: &Store,
        c: &mut storeshift_connectors::model::Customer,
        prev: Option<&IdMapEntry>,
    ) -> Option<Outcome> {
        use crate::no_email::{Done, CODE, DOMAIN, SKIP};
        let target = self.facts.platform;
        // A customer an earlier run gave an address is in the target under it: it keeps it,
        // whatever this run decided, so it is updated there and never created twice.
        let given = prev
            .filter(|p| !p.target_id.is_empty())
            .and_then(|p| p.handle.clone())
            .filter(|h| h.contains('@'));
        let domain = self
            .email_domain
            .clone()
            .filter(|_| self.chose(CODE, DOMAIN));
        let address = match (given, domain) {
            (Some(address), _) => Some(address),
            (None, Some(domain)) => Some(self.claim_address(store, c, &domain)),
            (None, None) => None,
        };
        if let Some(address) = address {
            self.no_email = Some(Done::Addressed(address.clone()));
            c.email = address;
            return None;
        }
        if self.chose(CODE, SKIP) {
            self.no_email = Some(Done::Skipped(c.label()));
            return Some(Outcome::Skip(format!(
                "no email, and {target} needs one (decision: leave out, listed in the report)"
            )));
        }
        self.no_email = Some(Done::ToOwner(Box::new(c.clone())));
        Some(Outcome::Skip(format!(
            "no email, and {target} needs one (decision: written to {} for the store owner)",
            storeshift_connectors::no_email::OWNER_FILE
        )))
    }

    /// A unique address on `domain` for `c`, claimed like a handle: two customers never get
    /// the same one, in this run or against the addresses earlier runs recorded.
    fn claim_address(
        &mut self,
        store: &Store,
        c: &storeshift_connectors::model::Customer,
        domain: &str,
    ) -> String {
        use storeshift_connectors::no_email::{address_for, with_suffix};
        let base = address_for(c, domain);
        let id = c.source.id.clone();
        let mut candidate = base.clone();
        let mut n = 0;
        loop {
            let key = (Entity::Customers, candidate.clone());
            let owner = match self.claimed.get(&key) {
                Some((o, _)) => Some(o.clone()),
                None if self.fresh.contains(&Entity::Customers) => None,
                None => store
                    .tree(T::Handles)
                    .get(entity_key(Entity::Customers, &candidate))
                    .ok()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(&v).into_owned()),
            };
            match owner {
                Some(o) if o != id => {
                    n += 1;
                    candidate = if n == 1 {
                        with_suffix(&base, &id)
                    } else {
                        with_suffix(&base, &format!("{id}-{n}"))
                    };
                }
                _ => {
                    self.claimed.insert(key, (id, self.batch));
                    return candidate;
                }
            }
        }
    }

    fn product(&mut self, store: &Store, mut p: Product, prev: Option<&IdMapEntry>) -> Outcome {
        if p.title.trim().is_empty() {
            if self.chose("missing_title", "skip") {
                return Outcome::Skip("no title (decision: leave out)".into());
            }
            p.title = title_from_handle(&p.handle);
        }
        if let Some(owner) = self
            .duplicate_names
            .get(&platform::product_name_key(&p.title))
        {
            if owner != &p.source.id {
                if self.chose("duplicate_name", "skip") {
                    return Outcome::Skip(format!(
                        "another product is named \"{}\" (decision: leave out)",
                        p.title.trim()
                    ));
                }
                if self.chose("duplicate_name", "suffix") {
                    p.title = name_with_sku(&p);
                }
            }
        }
        if p.variants.iter().any(|v| v.price.is_none()) {
            if self.chose("missing_price", "skip") {
                return Outcome::Skip("a variant has no price (decision: leave out)".into());
            }
            p.status = ProductStatus::Draft;
            let currency = currency_of(&p.variants);
            for v in p.variants.iter_mut().filter(|v| v.price.is_none()) {
                v.price = Some(storeshift_connectors::model::Money::zero(currency.clone()));
            }
        }
        if let Some(max) = self.facts.max_options {
            if p.options.len() > max {
                if self.chose("too_many_options", "skip") {
                    return Outcome::Skip(format!(
                        "{} options, the target takes {max} (decision: leave out)",
                        p.options.len()
                    ));
                }
                if self.chose("too_many_options", "drop_extra") {
                    drop_extra_options(&mut p, max);
                } else {
                    merge_extra_options(&mut p, max);
                }
            }
        }
        if let Some(max) = self.facts.max_variants {
            if p.variants.len() > max {
                if self.chose("too_many_variants", "skip") {
                    return Outcome::Skip(format!(
                        "{} variants, the target takes {max} (decision: leave out)",
                        p.variants.len()
                    ));
                }
                p.variants.truncate(max);
            }
        }
        for v in p.variants.iter_mut() {
            if let Some(stock) = v.inventory {
                if stock < 0 {
                    v.inventory = Some(0);
                }
            }
        }
        if !self.category_map.is_empty() {
            let mut mapped: Vec<Vec<String>> = Vec::with_capacity(p.categories.len());
            for path in &p.categories {
                let to = self
                    .map_category(path)
                    .cloned()
                    .unwrap_or_else(|| path.clone());
                if !mapped.contains(&to) {
                    mapped.push(to);
                }
            }
            p.categories = mapped;
        }
        if platform::option_order_from_variants(self.facts.platform) {
            order_variants_by_options(&mut p);
        }
        self.fix_duplicate_skus(&mut p);
        let title = p.title.clone();
        p.handle = self.handle(
            store,
            Entity::Products,
            &p.source.id.clone(),
            &p.handle.clone(),
            &title,
            prev,
        );
        if self.facts.platform == Platform::Shopify {
            platform::shopify::tag_categories(&p.categories, &mut p.tags);
        }
        Outcome::Write(Box::new(Record::Product(p)))
    }

    fn fix_duplicate_skus(&self, p: &mut Product) {
        if self.duplicate_skus.is_empty() || self.chose("duplicate_sku", "keep") {
            return;
        }
        let use_barcode = self.chose("duplicate_sku", "use_barcode");
        let id = p.source.id.clone();
        for v in p.variants.iter_mut() {
            let Some(sku) = v.sku.clone() else { continue };
            match self.duplicate_skus.get(&sku) {
                Some(owner) if owner != &id => {
                    v.sku = Some(match (&v.barcode, use_barcode) {
                        (Some(b), true) if !b.trim().is_empty() => b.clone(),
                        _ => suffixed_sku(&sku, v, &id),
                    });
                }
                _ => {}
            }
        }
    }

    /// A valid, unique handle for the target. A record moved before keeps the handle it got.
    fn handle(
        &mut self,
        store: &Store,
        entity: Entity,
        source_id: &str,
        raw: &str,
        title: &str,
        prev: Option<&IdMapEntry>,
    ) -> String {
        if let Some(h) = prev
            .and_then(|p| p.handle.as_ref())
            .filter(|h| !h.is_empty())
        {
            return h.clone();
        }
        let too_long = raw.chars().count() > self.facts.max_handle_len;
        let non_ascii = self.facts.ascii_handles && !raw.is_ascii();
        let base_text = if (too_long && self.chose("handle_too_long", "from_title"))
            || (non_ascii && self.chose("non_ascii_handle", "from_title"))
            || raw.trim().is_empty()
        {
            title
        } else {
            raw
        };
        let mut base = platform::normalize_handle(self.facts.platform, base_text);
        if base.is_empty() {
            base = platform::normalize_handle(self.facts.platform, source_id);
        }
        if base.is_empty() {
            base = "item".into();
        }
        let mut candidate = base.clone();
        let mut n = 1;
        loop {
            let key = (entity, candidate.clone());
            let owner = match self.claimed.get(&key) {
                Some((o, _)) => Some(o.clone()),
                None if self.fresh.contains(&entity) => None,
                None => store
                    .tree(T::Handles)
                    .get(entity_key(entity, &candidate))
                    .ok()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(&v).into_owned()),
            };
            match owner {
                Some(o) if o != source_id => {
                    n += 1;
                    let suffix = format!("-{n}");
                    let room = self.facts.max_handle_len.saturating_sub(suffix.len());
                    let stem: String = base.chars().take(room).collect();
                    candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
                }
                _ => {
                    self.claimed
                        .insert(key, (source_id.to_string(), self.batch));
                    return candidate;
                }
            }
        }
    }

    pub fn source_platform(&self) -> Platform {
        self.source_platform
    }
}

fn currency_of(variants: &[Variant]) -> String {
    variants
        .iter()
        .find_map(|v| v.price.as_ref().map(|m| m.currency.clone()))
        .unwrap_or_else(|| "USD".into())
}

fn title_from_handle(handle: &str) -> String {
    let words = handle.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => "Untitled".into(),
    }
}

/// A later product's name made its own: its first SKU (else its handle, else its source id)
/// in brackets after the name.
fn name_with_sku(p: &Product) -> String {
    let tag = p
        .variants
        .iter()
        .filter_map(|v| v.sku.as_deref().map(str::trim))
        .find(|s| !s.is_empty())
        .or(Some(p.handle.trim()).filter(|h| !h.is_empty()))
        .unwrap_or(p.source.id.as_str());
    format!("{} ({tag})", p.title.trim())
}

fn suffixed_sku(sku: &str, v: &Variant, product_id: &str) -> String {
    let values: Vec<String> = v
        .option_values
        .iter()
        .map(|val| platform::normalize_handle(Platform::Shopify, val))
        .filter(|s| !s.is_empty())
        .collect();
    if values.is_empty() {
        format!(
            "{sku}-{}",
            platform::normalize_handle(Platform::Shopify, product_id)
        )
    } else {
        format!("{sku}-{}", values.join("-"))
    }
}

/// Orders variants so that each option's values first appear in the option's own order: a
/// target that derives value order from variant order then shows Small, Medium, Large — not
/// whatever order the export happened to list variations in.
fn order_variants_by_options(p: &mut Product) {
    if p.options.is_empty() {
        return;
    }
    let options = p.options.clone();
    p.variants.sort_by_cached_key(|v| {
        options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                v.option_values
                    .get(i)
                    .and_then(|val| o.values.iter().position(|x| x == val))
                    .unwrap_or(usize::MAX)
            })
            .collect::<Vec<usize>>()
    });
}

/// Joins options `max-1..` into one, so every variant keeps a distinct combination.
fn merge_extra_options(p: &mut Product, max: usize) {
    if max == 0 || p.options.len() <= max {
        return;
    }
    let keep = max - 1;
    let tail = p.options.split_off(keep);
    let name = tail
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    let mut values: Vec<String> = vec![];
    for v in p.variants.iter_mut() {
        let extra: Vec<String> = v.option_values.iter().skip(keep).cloned().collect();
        v.option_values.truncate(keep);
        let joined = extra.join(" / ");
        if !values.contains(&joined) {
            values.push(joined.clone());
        }
        v.option_values.push(joined);
    }
    p.options.push(ProductOption { name, values });
}

/// Keeps the first `max` options; variants that become identical are merged (first wins).
fn drop_extra_options(p: &mut Product, max: usize) {
    p.options.truncate(max);
    let mut seen = std::collections::HashSet::new();
    p.variants.retain_mut(|v| {
        v.option_values.truncate(max);
        seen.insert(v.option_values.clone())
    });
    for (i, o) in p.options.iter_mut().enumerate() {
        let mut vals: Vec<String> = vec![];
        for v in &p.variants {
            if let Some(val) = v.option_values.get(i) {
                if !vals.contains(val) {
                    vals.push(val.clone());
                }
            }
        }
        o.values = vals;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storeshift_connectors::model::{Money, SourceRef};

    fn product(options: usize) -> Product {
        let names = ["Size", "Color", "Material", "Fit"];
        let mut p = Product {
            source: SourceRef::new("7"),
            handle: "kadın-örgü-kazak".into(),
            title: "Kadın Örgü Kazak".into(),
            ..Default::default()
        };
        for n in names.iter().take(options) {
            p.options.push(ProductOption {
                name: n.to_string(),
                values: vec!["a".into(), "b".into()],
            });
        }
        for combo in 0..(1 << options) {
            p.variants.push(Variant {
                sku: Some(format!("K-{combo}")),
                price: Some(Money::parse("10", "USD").unwrap()),
                option_values: (0..options)
                    .map(|i| {
                        if combo >> i & 1 == 1 {
                            "b".into()
                        } else {
                            "a".into()
                        }
                    })
                    .collect(),
                ..Default::default()
            });
        }
        p
    }

    #[test]
    fn merging_extra_options_keeps_every_variant_distinct() {
        let mut p = product(4);
        merge_extra_options(&mut p, 3);
        assert_eq!(p.options.len(), 3);
        assert_eq!(p.options[2].name, "Material / Fit");
        let combos: std::collections::HashSet<_> =
            p.variants.iter().map(|v| v.option_values.clone()).collect();
        assert_eq!(combos.len(), 16);
    }

    /// Two products named alike into BigCommerce (names unique): the later one is renamed with
    /// its SKU by default, left out on "skip", sent as it is on "keep"; the first keeps its name.
    #[test]
    fn a_later_product_with_a_taken_name_follows_the_decision() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let analysis = Analysis {
            duplicate_names: BTreeMap::from([(
                platform::product_name_key("Kadın Örgü Kazak"),
                "1".to_string(),
            )]),
            ..Default::default()
        };
        let named = |id: &str, title: &str| {
            let mut p = product(1);
            p.source = SourceRef::new(id);
            p.handle = format!("kazak-{id}");
            p.title = title.into();
            Record::Product(p)
        };
        let title_of = |o: Outcome| match o {
            Outcome::Write(r) => match *r {
                Record::Product(p) => p.title,
                _ => panic!("not a product"),
            },
            Outcome::Skip(why) => format!("skipped: {why}"),
        };
        let run = |decision: Option<&str>| {
            let decisions = decision
                .map(|d| BTreeMap::from([("assessment/duplicate_name".to_string(), d.to_string())]))
                .unwrap_or_default();
            let mut t = Transformer::new(
                Platform::BigCommerce,
                EndpointKind::Api,
                Platform::Shopify,
                &analysis,
                decisions,
            );
            (
                title_of(t.transform(&store, named("1", "Kadın Örgü Kazak"), None)),
                title_of(t.transform(&store, named("2", " kadın örgü kazak "), None)),
            )
        };
        let (first, later) = run(None);
        assert_eq!(first, "Kadın Örgü Kazak");
        assert_eq!(later, "kadın örgü kazak (K-0)");
        let (first, later) = run(Some("skip"));
        assert_eq!(first, "Kadın Örgü Kazak");
        assert!(
            later.starts_with("skipped: another product is named"),
            "{later}"
        );
        let (_, later) = run(Some("keep"));
        assert_eq!(later, " kadın örgü kazak ");
    }

    #[test]
    fn mapped_categories_replace_source_paths_on_products_and_categories() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let path = |s: &str| s.split(" > ").map(String::from).collect::<Vec<_>>();
        let map = BTreeMap::from([(path("Kadın Giyim > Triko"), path("Women > Knitwear"))]);
        let mut t = Transformer::new(
            Platform::Shopify,
            EndpointKind::Files,
            Platform::Ikas,
            &Analysis::default(),
            BTreeMap::new(),
        )
        .with_category_map(map);
        let mut p = product(1);
        p.categories = vec![path("Kadın Giyim > Triko"), path("Sale")];
        let Outcome::Write(r) = t.transform(&store, Record::Product(p), None) else {
            panic!("skipped")
        };
        let Record::Product(p) = *r else {
            panic!("not a product")
        };
        assert_eq!(p.categories, vec![path("Women > Knitwear"), path("Sale")]);
        assert!(p.tags.contains(&"Women > Knitwear".to_string()));
        assert!(p.tags.contains(&"Women".to_string()));
        let c = storeshift_connectors::model::Category {
            source: SourceRef::with_url("Kadın Giyim > Triko", "/kadin-giyim/triko"),
            handle: "triko".into(),
            path: path("Kadın Giyim > Triko"),
            ..Default::default()
        };
        let Outcome::Write(r) = t.transform(&store, Record::Category(c), None) else {
            panic!("skipped")
        };
        let Record::Category(c) = *r else {
            panic!("not a category")
        };
        assert_eq!(c.path, path("Women > Knitwear"));
        assert_eq!(c.handle, "knitwear");
        // The old URL stays on the record for its redirect.
        assert_eq!(c.source.url_path.as_deref(), Some("/kadin-giyim/triko"));
    }

    fn phone_only(id: &str, phone: &str) -> Record {
        Record::Customer(storeshift_connectors::model::Customer {
            source: SourceRef::new(id),
            phone: Some(phone.into()),
            first_name: Some(format!("Customer {id}")),
            ..Default::default()
        })
    }

    fn woo(decision: Option<&str>, domain: Option<&str>) -> Transformer {
        let step = crate::no_email::step();
        let decisions: BTreeMap<String, String> = decision
            .map(|d| BTreeMap::from([(step.clone(), d.to_string())]))
            .unwrap_or_default();
        let notes: BTreeMap<String, String> = domain
            .map(|d| BTreeMap::from([(step, d.to_string())]))
            .unwrap_or_default();
        Transformer::new(
            Platform::WooCommerce,
            EndpointKind::Files,
            Platform::Shopify,
            &Analysis::default(),
            decisions,
        )
        .with_decision_notes(&notes)
    }

    #[test]
    fn customers_without_an_email_follow_the_decision() {
        use crate::no_email::Done;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        // Undecided (the recommended option): kept for the store owner's file.
        let mut t = woo(None, None);
        let Outcome::Skip(why) = t.transform(&store, phone_only("1", "+90 555 1"), None) else {
            panic!("written")
        };
        assert!(why.contains("customers-without-email.csv"), "{why}");
        assert!(matches!(t.no_email.take(), Some(Done::ToOwner(c)) if c.source.id == "1"));

        let mut t = woo(Some("skip"), None);
        assert!(matches!(
            t.transform(&store, phone_only("1", "+90 555 1"), None),
            Outcome::Skip(_)
        ));
        assert_eq!(t.no_email.take(), Some(Done::Skipped("Customer 1".into())));

        // A domain: unique, deterministic addresses; a customer moved before keeps its own.
        let mut t = woo(Some("domain"), Some("shop.example"));
        let email = |o: Outcome| match o {
            Outcome::Write(r) => match *r {
                Record::Customer(c) => c.email,
                other => panic!("{other:?}"),
            },
            Outcome::Skip(why) => panic!("{why}"),
        };
        let a = email(t.transform(&store, phone_only("1", "+90 555 0001"), None));
        let b = email(t.transform(&store, phone_only("2", "+905550001"), None));
        assert_eq!(a, "phone-905550001@shop.example");
        assert_eq!(b, "phone-905550001-2@shop.example");
        assert_eq!(
            t.no_email.take(),
            Some(Done::Addressed("phone-905550001-2@shop.example".into()))
        );
        let prev = IdMapEntry {
            target_id: "x".into(),
            handle: Some("phone-111@shop.example".into()),
            hash: String::new(),
            created_run: Some(1),
            last_run: 1,
            source_url: None,
        };
        let c = email(t.transform(&store, phone_only("3", "+90 999"), Some(&prev)));
        assert_eq!(c, "phone-111@shop.example");
        // Whatever a later run decides, a customer in the target under an address keeps it.
        let mut later = woo(Some("owner_file"), None);
        let c = email(later.transform(&store, phone_only("3", "+90 999"), Some(&prev)));
        assert_eq!(c, "phone-111@shop.example");

        // Shopify keys customers by phone: nothing happens to them.
        let mut t = Transformer::new(
            Platform::Shopify,
            EndpointKind::Files,
            Platform::Shopify,
            &Analysis::default(),
            BTreeMap::new(),
        );
        assert_eq!(
            email(t.transform(&store, phone_only("1", "+90 555 1"), None)),
            ""
        );
        assert_eq!(t.no_email, None);
    }

    #[test]
    fn handles_are_transliterated_and_unique() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let mut t = Transformer::new(
            Platform::Shopify,
            EndpointKind::Files,
            Platform::WooCommerce,
            &Analysis::default(),
            BTreeMap::new(),
        );
        let a = t.handle(&store, Entity::Products, "1", "kadın-örgü-kazak", "x", None);
        let b = t.handle(&store, Entity::Products, "2", "kadin-orgu-kazak", "x", None);
        assert_eq!(a, "kadin-orgu-kazak");
        assert_eq!(b, "kadin-orgu-kazak-2");
        assert_eq!(
            t.handle(&store, Entity::Products, "1", "kadın-örgü-kazak", "x", None),
            a
        );
    }
}
