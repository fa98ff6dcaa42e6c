//! `storeshift inspect` and `storeshift convert` as library functions.
//!
//! Inspect names the platform and entity of each file from its header and reads it through that
//! platform's reader for counts and findings.
//!
//! Convert reads the source files through the canonical model, makes handles valid and unique
//! for the target (transliterated where the target wants ASCII), writes the target's import
//! files, a redirect for every URL that changes (in the target's redirect file when it has one,
//! else `redirects.csv`), and then reads its own output back with the target's reader: every
//! field that did not survive is listed, record by record, in `convert-report.md`. What the
//! target's writer refused (a 4th option for Shopify, a separator inside a value) is listed with
//! the writer's reason. The report is therefore measured, not predicted.

use crate::connector::{Cursor, Result, Source, WriteOutcome};
use crate::finding::Finding;
use crate::model::{Entity, Platform, Record, Redirect, SourceRef};
use crate::no_email::{self, NoEmail};
use crate::platform;
use crate::spec::EndpointSpec;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::mapping::open::as_written;
use super::mapping::propose::{Proposal, Sampled};
use super::mapping::{self, FileMapping, Layout};
use super::readback::{self, Written};
use super::table::TableFile;

/// What a file is, judged from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub platform: Platform,
    pub entity: Entity,
}

/// Recognisers in the order they are tried: the most specific headers first. The file is judged
/// as it is written (a column mapping registered for it in this process is not looked at); a
/// WooCommerce product export in one of the translated catalogues' languages is recognised too.
pub fn detect(path: &Path, encoding: Option<&str>) -> Result<Option<Detected>> {
    as_written(|| detect_as_written(path, encoding))
}

fn detect_as_written(path: &Path, encoding: Option<&str>) -> Result<Option<Detected>> {
    let table = TableFile::open(path, encoding)?;
    let h = table.header();
    let found = |platform, entity| Ok(Some(Detected { platform, entity }));
    if let Some(e) = super::ikas::recognise(h) {
        return found(Platform::Ikas, e);
    }
    if let Some(e) = super::magento::recognise(h) {
        return found(Platform::Magento, e);
    }
    if let Some(e) = super::bigcommerce::recognise(h) {
        return found(Platform::BigCommerce, e);
    }
    if let Some(e) = super::medusa::recognise(h) {
        return found(Platform::Medusa, e);
    }
    if let Some(e) = super::vendure::recognise(h) {
        return found(Platform::Vendure, e);
    }
    if let Some(e) = super::shopify::recognise(path, encoding) {
        return found(Platform::Shopify, e);
    }
    if let Some(e) = super::woocommerce::recognise(&table) {
        return found(Platform::WooCommerce, e);
    }
    if super::woocommerce::l10n::translate(h.names()).is_some() {
        return found(Platform::WooCommerce, Entity::Products);
    }
    Ok(None)
}

/// The entity a file holds for a given platform (convert --from names the platform).
pub fn entity_for(
    platform: Platform,
    path: &Path,
    encoding: Option<&str>,
) -> Result<Option<Entity>> {
    as_written(|| {
        let table = TableFile::open(path, encoding)?;
        let h = table.header();
        Ok(match platform {
            Platform::Ikas => super::ikas::recognise(h),
            Platform::Magento => super::magento::recognise(h),
            Platform::BigCommerce => super::bigcommerce::recognise(h),
            Platform::Shopify => super::shopify::recognise(path, encoding),
            Platform::WooCommerce => super::woocommerce::recognise(&table).or_else(|| {
                super::woocommerce::l10n::translate(h.names()).map(|_| Entity::Products)
            }),
            Platform::Medusa => super::medusa::recognise(h),
            Platform::Vendure => super::vendure::recognise(h),
            Platform::Ideasoft => None,
        })
    })
}

/// Whether a file completes another file of its entity rather than standing alone (Magento's
/// customer_address and advanced_pricing): convert then reads it joined to that file.
pub fn is_companion(platform: Platform, path: &Path, encoding: Option<&str>) -> Result<bool> {
    let table = as_written(|| TableFile::open(path, encoding))?;
    Ok(match platform {
        Platform::Magento => super::magento::companion(table.header()).is_some(),
        _ => false,
    })
}

/// One file as `inspect` saw it.
#[derive(Debug)]
pub struct Inspection {
    pub path: PathBuf,
    pub detected: Option<Detected>,
    pub encoding: String,
    /// How the encoding was settled and how sure that is ("windows-1251 (detected, ...)").
    pub encoding_detail: String,
    pub delimiter: char,
    pub records: usize,
    pub findings: Vec<Finding>,
    /// The file could not be read at all.
    pub error: Option<String>,
    /// A WooCommerce export in a translated catalogue's language: the locale.
    pub locale: Option<&'static str>,
    /// Read through a given column mapping: which layout read it.
    pub mapped: Option<Layout>,
    /// Not a known export: the proposed mapping, what reading through it gave, and the
    /// sample it was made from (to propose again with hints).
    pub proposal: Option<Proposal>,
    pub proposal_read: Option<std::result::Result<(usize, Vec<Finding>), String>>,
    pub sampled: Option<Sampled>,
}

/// What `inspect` is given besides the files.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    pub encoding: Option<String>,
    /// Read files this mapping file covers through it.
    pub mapping: Option<PathBuf>,
}

/// Reads a file through `mapping` (an in-memory one: a proposal), for counts and findings.
pub async fn read_mapped(
    path: &Path,
    mapping: &FileMapping,
    encoding: Option<&str>,
) -> Result<(usize, Vec<Finding>)> {
    let mut spec = files_spec(
        mapping.layout,
        &[(mapping.entity, path.to_path_buf())],
        None,
        encoding,
    );
    spec.path = None;
    let mut m = mapping.clone();
    m.file = path.file_name().map(|n| n.to_string_lossy().to_string());
    let mut src = super::open_source_with(&spec, Path::new("."), std::slice::from_ref(&m))?;
    let (records, findings) = read_all(src.as_mut(), mapping.entity).await?;
    Ok((records.len(), findings))
}

async fn read_all(source: &mut dyn Source, entity: Entity) -> Result<(Vec<Record>, Vec<Finding>)> {
    let mut records = Vec::new();
    let mut findings = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = source.read_page(entity, cursor.as_ref(), 1000).await?;
        records.extend(page.records);
        findings.extend(page.findings);
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    Ok((records, findings))
}

fn files_spec(
    platform: Platform,
    files: &[(Entity, PathBuf)],
    currency: Option<&str>,
    encoding: Option<&str>,
) -> EndpointSpec {
    let mut spec = EndpointSpec::files(platform, PathBuf::new());
    spec.path = None;
    spec.files = files.iter().cloned().collect();
    spec.currency = currency.map(str::to_string);
    spec.encoding = encoding.map(str::to_string);
    spec
}

/// Inspects each file on its own.
pub async fn inspect(paths: &[PathBuf], encoding: Option<&str>) -> Vec<Inspection> {
    let opts = InspectOptions {
        encoding: encoding.map(str::to_string),
        mapping: None,
    };
    inspect_with(paths, &opts).await
}

/// Inspects each file on its own: a known export is read through its platform's reader, a file
/// a given mapping covers through the mapping, any other gets a proposed mapping.
pub async fn inspect_with(paths: &[PathBuf], opts: &InspectOptions) -> Vec<Inspection> {
    let encoding = opts.encoding.as_deref();
    let mappings = match &opts.mapping {
        Some(p) => match mapping::file::read(p) {
            Ok(m) => m,
            Err(e) => {
                return paths
                    .iter()
                    .map(|p| Inspection::failed(p, e.to_string()))
                    .collect()
            }
        },
        None => vec![],
    };
    let mut out = Vec::new();
    for path in paths {
        let mut ins = Inspection::failed(path, String::new());
        ins.error = None;
        let header = match as_written(|| TableFile::open(path, encoding)) {
            Ok(t) => {
                ins.encoding = t.encoding_name().to_string();
                ins.encoding_detail = t.encoding().to_string();
                ins.delimiter = t.delimiter() as char;
                t.header().names().to_vec()
            }
            Err(e) => {
                ins.error = Some(e.to_string());
                out.push(ins);
                continue;
            }
        };
        let known = detect(path, encoding).ok().flatten();
        if let Some(i) = mapping::open::section_for(&mappings, path, &header, known.is_some()) {
            let m = &mappings[i];
            ins.mapped = Some(m.layout());
            ins.detected = Some(Detected {
                platform: m.layout,
                entity: m.entity,
            });
            let mut spec = files_spec(m.layout, &[(m.entity, path.clone())], None, encoding);
            spec.mapping = opts.mapping.clone();
            let read = match super::open_source(&spec, Path::new(".")) {
                Ok(mut src) => read_all(src.as_mut(), m.entity).await,
                Err(e) => Err(e),
            };
            match read {
                Ok((records, findings)) => {
                    ins.records = records.len();
                    ins.findings = findings;
                }
                Err(e) => ins.error = Some(e.to_string()),
            }
            out.push(ins);
            continue;
        }
        if known.is_none() {
            match Sampled::of(path, encoding) {
                Ok(sample) => {
                    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
                    let p = mapping::propose::propose(&sample, name.as_deref(), &[]);
                    ins.proposal_read = Some(
                        read_mapped(path, &p.mapping, encoding)
                            .await
                            .map_err(|e| e.to_string()),
                    );
                    ins.proposal = Some(p);
                    ins.sampled = Some(sample);
                }
                Err(e) => ins.error = Some(e.to_string()),
            }
            out.push(ins);
            continue;
        }
        if let Some(d) = &known {
            if d.platform == Platform::WooCommerce {
                let own = as_written(|| {
                    TableFile::open(path, encoding)
                        .ok()
                        .and_then(|t| super::woocommerce::recognise(&t))
                });
                if own.is_none() {
                    ins.locale = super::woocommerce::l10n::translate(&header).map(|t| t.locale);
                }
            }
        }
        match TableFile::open(path, encoding) {
            Ok(t) => {
                ins.encoding = t.encoding_name().to_string();
                ins.encoding_detail = t.encoding().to_string();
                ins.delimiter = t.delimiter() as char;
                ins.findings
                    .extend(t.encoding().finding(&path.display().to_string()));
            }
            Err(e) => {
                ins.error = Some(e.to_string());
                out.push(ins);
                continue;
            }
        }
        match detect(path, encoding) {
            Ok(Some(d)) => {
                let spec = files_spec(d.platform, &[(d.entity, path.clone())], None, encoding);
                let result = match super::open_source(&spec, Path::new(".")) {
                    Ok(mut src) => read_all(src.as_mut(), d.entity).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok((records, findings)) => {
                        ins.records = records.len();
                        ins.findings.extend(findings);
                    }
                    Err(e) => ins.error = Some(e.to_string()),
                }
                ins.detected = Some(d);
            }
            Ok(None) => {
                ins.error = Some(format!(
                    "{}: the header matches no export file storeshift knows (Shopify, WooCommerce, \
                     Magento 2, BigCommerce, Ikas, Medusa, Vendure); check that the first row is the column names",
                    path.display()
                ))
            }
            Err(e) => ins.error = Some(e.to_string()),
        }
        out.push(ins);
    }
    out
}

impl Inspection {
    fn failed(path: &Path, error: String) -> Inspection {
        Inspection {
            path: path.to_path_buf(),
            detected: None,
            encoding: String::new(),
            encoding_detail: String::new(),
            delimiter: ',',
            records: 0,
            findings: vec![],
            error: Some(error),
            locale: None,
            mapped: None,
            proposal: None,
            proposal_read: None,
            sampled: None,
        }
    }
}

/// What convert did with one record that did not arrive whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub entity: Entity,
    pub key: String,
    pub label: String,
    /// One line per field or reason.
    pub what: Vec<String>,
}

/// A field the target's import file has no place for, counted over the records that had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCarried {
    pub reason: String,
    pub records: usize,
    /// The first few records, by external key.
    pub examples: Vec<String>,
}

/// Records of examples kept per line of the report.
const EXAMPLES: usize = 3;

/// What became of customers without an email on a target that needs one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoEmailOutcome {
    pub choice: NoEmail,
    /// Left out, listed under "Not written".
    pub skipped: usize,
    /// Given an address on the chosen domain: (customer, address), in the order read.
    pub addressed: Vec<(String, String)>,
    /// Written to the store owner's file instead of the target's.
    pub to_owner: usize,
    pub owner_file: Option<PathBuf>,
}

impl NoEmailOutcome {
    pub fn total(&self) -> usize {
        self.skipped + self.addressed.len() + self.to_owner
    }
}

#[derive(Debug, Default)]
pub struct ConvertReport {
    pub from: Option<Platform>,
    pub to: Option<Platform>,
    /// Per entity: records read, written, refused.
    pub counts: BTreeMap<Entity, (usize, usize, usize)>,
    /// Records the target refused or has no place for.
    pub refused: Vec<Loss>,
    /// Records written with values that really differ when read back.
    pub lossy: Vec<Loss>,
    /// Fields the target's format has no place for, by entity and field (by design).
    pub not_carried: BTreeMap<(Entity, String), NotCarried>,
    /// Values read back in another field than the one written (not lost): records per
    /// (entity, from, to).
    pub moved: BTreeMap<(Entity, String, String), usize>,
    /// Fields written empty that the target's format filled in: records per (entity, field).
    pub filled: BTreeMap<(Entity, String), usize>,
    /// Customers without an email, when the target needs one.
    pub no_email: NoEmailOutcome,
    pub source_findings: Vec<Finding>,
    pub redirects: Vec<Redirect>,
    pub redirect_file: Option<PathBuf>,
    pub files: Vec<PathBuf>,
    /// Whether the output was read back and compared (`lossy` is complete only then).
    pub read_back: bool,
}

/// Options of a conversion.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub currency: Option<String>,
    pub encoding: Option<String>,
    /// The store's time zone (IANA): times the source files write without a zone are on its
    /// clock, and the target's files write local times on it.
    pub timezone: Option<String>,
    /// Where the source's image paths live when they are not URLs (Magento exports paths).
    pub media_url: Option<String>,
    /// Skip reading the output back (the report then lists refused records only): for very
    /// large files when speed matters more than the field-by-field check, and for benchmarks
    /// of the read and write paths alone.
    pub skip_readback: bool,
    /// A column mapping for files whose layout storeshift does not know (`--mapping`).
    pub mapping: Option<PathBuf>,
    /// What to do with customers without an email when the target needs one.
    pub customers_without_email: NoEmail,
}

impl ConvertReport {
    /// Counts `key`'s loss of `field` by design (once per record and field).
    fn not_carried(&mut self, entity: Entity, field: String, reason: &str, key: &str) {
        let e = self
            .not_carried
            .entry((entity, field))
            .or_insert_with(|| NotCarried {
                reason: reason.to_string(),
                records: 0,
                examples: vec![],
            });
        e.records += 1;
        if e.examples.len() < EXAMPLES {
            e.examples.push(key.to_string());
        }
    }
}

/// Gives every catalog/content record a handle valid and unique for `to`, and a redirect from
/// its old URL to the new one when they differ. Records arrive page by page, entity by entity
/// in `Entity` order; the handles taken so far are all it keeps.
struct Retarget {
    from: Platform,
    to: Platform,
    taken: HashSet<(Entity, String)>,
    /// What retargeting left out because the target's format has no place for it:
    /// (entity, record key, field, reason), for the report's by-design lines.
    losses: Vec<(Entity, String, String, String)>,
}

impl Retarget {
    fn new(from: Platform, to: Platform) -> Retarget {
        Retarget {
            from,
            to,
            taken: HashSet::new(),
            losses: vec![],
        }
    }

    fn page(&mut self, entity: Entity, list: &mut [Record], redirects: &mut Vec<Redirect>) {
        let (from, to) = (self.from, self.to);
        if let Some(max) = platform::file_addresses_per_customer(to) {
            // The same rule as the migration transform: keep the default address.
            for r in list.iter_mut() {
                if let Record::Customer(c) = r {
                    if !c.keep_addresses(max).is_empty() {
                        self.losses.push((
                            entity,
                            c.key(),
                            "addresses".into(),
                            format!(
                                "the {to} customer file holds {max} address(es): the default one is kept"
                            ),
                        ));
                    }
                }
            }
        }
        let ns = if to == Platform::Ikas && platform::ikas::SHARED_SLUG_NAMESPACE.contains(&entity)
        {
            Entity::Products
        } else {
            entity
        };
        for r in list.iter_mut() {
            let (handle, title, parents) = match r {
                Record::Product(p) => (&mut p.handle, p.title.as_str(), vec![]),
                Record::Category(c) => {
                    let parents: Vec<String> = c
                        .parent_path()
                        .iter()
                        .map(|n| platform::normalize_handle(to, n))
                        .collect();
                    let name = c.path.last().map(String::as_str).unwrap_or("");
                    (&mut c.handle, name, parents)
                }
                Record::Page(p) => (&mut p.handle, p.title.as_str(), vec![]),
                Record::BlogPost(p) => (&mut p.handle, p.title.as_str(), vec![]),
                _ => continue,
            };
            let mut base = platform::normalize_handle(to, handle);
            if base.is_empty() {
                base = platform::normalize_handle(to, title);
            }
            if base.is_empty() {
                base = "item".into();
            }
            let mut candidate = base.clone();
            let mut n = 1;
            while self.taken.contains(&(ns, candidate.clone())) {
                n += 1;
                candidate = format!("{base}-{n}");
            }
            self.taken.insert((ns, candidate.clone()));
            let old_handle = std::mem::replace(handle, candidate.clone());
            let new_handle = &candidate;
            let new_path = platform::url_path(to, entity, new_handle, &parents);
            let old_path = match &r.source().url_path {
                Some(u) => u.clone(),
                None => platform::url_path(from, entity, &old_handle, &[]),
            };
            if old_path != new_path && !old_path.is_empty() {
                redirects.push(Redirect {
                    source: SourceRef::new(format!("{}:{}", entity.key(), r.source().id)),
                    from: old_path,
                    to: new_path,
                });
            }
            if to == Platform::Shopify {
                // The same rule as the migration transform.
                if let Record::Product(p) = r {
                    platform::shopify::tag_categories(&p.categories, &mut p.tags);
                }
            }
        }
        // What the target's file cannot hold as it is, taken out or made alike before writing
        // and counted by design (after the handles, so the report names the written ones).
        for r in list.iter_mut() {
            for (field, why) in platform::fit_file_record(to, r) {
                self.losses
                    .push((entity, r.external_key(), field.into(), why.to_string()));
            }
        }
    }
}

/// Customers without an email, on a target that needs one, handled as the operator chose.
struct Unaddressed {
    to: Platform,
    /// Addresses in use so far (given, or read from earlier customers): never given twice.
    used: HashSet<String>,
    owner: Option<std::io::BufWriter<std::fs::File>>,
    owner_path: PathBuf,
}

impl Unaddressed {
    fn new(to: Platform, out_dir: &Path) -> Unaddressed {
        Unaddressed {
            to,
            used: HashSet::new(),
            owner: None,
            owner_path: out_dir.join(no_email::OWNER_FILE),
        }
    }

    /// Applies the choice to the customers of one page: given an address, or taken out of
    /// `list` (skipped, or written to the store owner's file).
    fn page(
        &mut self,
        list: &mut Vec<Record>,
        report: &mut ConvertReport,
        counts: &mut (usize, usize, usize),
    ) -> Result<()> {
        use std::io::Write as _;
        if !platform::customer_email_required(self.to) {
            return Ok(());
        }
        let to = self.to;
        let choice = report.no_email.choice.clone();
        let mut kept = Vec::with_capacity(list.len());
        for r in list.drain(..) {
            let Record::Customer(mut c) = r else {
                kept.push(r);
                continue;
            };
            if !no_email::lacks_email(&c) {
                self.used.insert(c.email.trim().to_ascii_lowercase());
                kept.push(Record::Customer(c));
                continue;
            }
            match &choice {
                NoEmail::Skip => {
                    counts.2 += 1;
                    report.no_email.skipped += 1;
                    report.refused.push(Loss {
                        entity: Entity::Customers,
                        key: c.key(),
                        label: c.label(),
                        what: vec![format!(
                            "no email, and {to} needs one: left out (--customers-without-email \
                             skip); domain:DOMAIN gives each an address, file writes them to {} \
                             for the store owner",
                            no_email::OWNER_FILE
                        )],
                    });
                }
                NoEmail::OwnerFile => {
                    if self.owner.is_none() {
                        let mut f =
                            std::io::BufWriter::new(std::fs::File::create(&self.owner_path)?);
                        f.write_all(&no_email::owner_header())?;
                        self.owner = Some(f);
                    }
                    let mut row = Vec::new();
                    no_email::owner_row(
                        &c,
                        &format!("no email, and {to} needs one: ask the customer for an email, then import them"),
                        &mut row,
                    );
                    if let Some(f) = self.owner.as_mut() {
                        f.write_all(&row)?;
                    }
                    counts.2 += 1;
                    report.no_email.to_owner += 1;
                    report.no_email.owner_file = Some(self.owner_path.clone());
                }
                NoEmail::Domain(domain) => {
                    let mut address = no_email::address_for(&c, domain);
                    if self.used.contains(&address) {
                        address = no_email::with_suffix(&address, &c.source.id);
                    }
                    let mut n = 1;
                    let base = address.clone();
                    while self.used.contains(&address) {
                        n += 1;
                        address = no_email::with_suffix(&base, &n.to_string());
                    }
                    self.used.insert(address.clone());
                    report.no_email.addressed.push((c.label(), address.clone()));
                    c.email = address;
                    kept.push(Record::Customer(c));
                }
            }
        }
        *list = kept;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        use std::io::Write as _;
        if let Some(f) = self.owner.as_mut() {
            f.flush()?;
        }
        Ok(())
    }
}

/// Records read and written per step of a conversion.
const PAGE: usize = 1000;

/// Counts `r` as refused: `to`'s import files have no place for `entity`.
fn refuse(
    report: &mut ConvertReport,
    counts: &mut (usize, usize, usize),
    entity: Entity,
    r: &Record,
    to: Platform,
) {
    counts.2 += 1;
    report.refused.push(Loss {
        entity,
        key: r.external_key(),
        label: r.label(),
        what: vec![format!("{to} import files have no file for {entity}")],
    });
}

/// Takes out products known only from Magento's advanced pricing (a SKU and its tier prices):
/// only a Magento target can apply those to its products; elsewhere they would become products
/// named after their SKU.
fn keep_whole_products(
    report: &mut ConvertReport,
    counts: &mut (usize, usize, usize),
    entity: Entity,
    list: Vec<Record>,
    to: Platform,
) -> Vec<Record> {
    if to == Platform::Magento || entity != Entity::Products {
        return list;
    }
    let mut kept = Vec::with_capacity(list.len());
    for r in list {
        match &r {
            Record::Product(p) if p.attributes.contains_key(platform::magento::PRICING_ONLY) => {
                counts.2 += 1;
                report.refused.push(Loss {
                    entity,
                    key: r.external_key(),
                    label: r.label(),
                    what: vec![format!(
                        "only the tier prices of SKU {} were read (advanced_pricing.csv without \
                         catalog_product.csv): convert the two files together",
                        p.source.id
                    )],
                });
            }
            _ => kept.push(r),
        }
    }
    kept
}

/// Converts `files` exported from `from` into `to`'s import files in `out_dir`.
pub async fn convert(
    from: Platform,
    files: &[PathBuf],
    to: Platform,
    out_dir: &Path,
    opts: &ConvertOptions,
) -> Result<ConvertReport> {
    let mappings = match &opts.mapping {
        Some(p) => mapping::file::read(p)?,
        None => vec![],
    };
    let mut mapping = Vec::new();
    let mut companions: Vec<(Entity, PathBuf)> = Vec::new();
    for f in files {
        let covered = if mappings.is_empty() {
            None
        } else {
            let header = as_written(|| {
                TableFile::open(f, opts.encoding.as_deref()).map(|t| t.header().names().to_vec())
            })?;
            let native = entity_for(from, f, opts.encoding.as_deref())?.is_some();
            mapping::open::section_for(&mappings, f, &header, native).map(|i| mappings[i].entity)
        };
        let entity = match covered {
            Some(e) => Some(e),
            None => entity_for(from, f, opts.encoding.as_deref())?,
        };
        match entity {
            Some(e) if covered.is_none() && is_companion(from, f, opts.encoding.as_deref())? => {
                companions.push((e, f.clone()))
            }
            Some(e) => {
                if let Some((_, other)) = mapping.iter().find(|(x, _): &&(Entity, PathBuf)| *x == e)
                {
                    return Err(crate::connector::ConnectorError::Input(format!(
                        "{} and {} both look like {from} {e} files; convert them one at a time",
                        other.display(),
                        f.display()
                    )));
                }
                mapping.push((e, f.clone()))
            }
            None => {
                let hint = match detect(f, opts.encoding.as_deref()).ok().flatten() {
                    Some(d) => format!(
                        " (it looks like a {} {} file: use --from {})",
                        d.platform,
                        d.entity,
                        d.platform.key()
                    ),
                    None => String::new(),
                };
                let hint = if hint.is_empty() {
                    format!(
                        " (storeshift inspect {} proposes a column mapping; write it with \
                         --write-mapping FILE.toml and convert with --mapping FILE.toml)",
                        f.display()
                    )
                } else {
                    hint
                };
                return Err(crate::connector::ConnectorError::Input(format!(
                    "{}: the header is not one of a {from} export file{hint}",
                    f.display()
                )));
            }
        }
    }
    let mut spec = files_spec(
        from,
        &mapping,
        opts.currency.as_deref(),
        opts.encoding.as_deref(),
    );
    if let Some(url) = &opts.media_url {
        spec.options.insert("media_url".into(), url.clone().into());
    }
    spec.timezone = opts.timezone.clone();
    // A file that completes another is joined to it; alone, it is its entity's file.
    let mut extra = Vec::new();
    for (e, f) in companions {
        match spec.files.entry(e) {
            std::collections::btree_map::Entry::Occupied(_) => {
                extra.push(serde_json::Value::from(f.to_string_lossy().to_string()))
            }
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(f);
            }
        }
    }
    if !extra.is_empty() {
        spec.options
            .insert(super::loaded::EXTRA_FILES.into(), extra.into());
    }
    spec.mapping = opts.mapping.clone();
    let mut source = super::open_source(&spec, Path::new("."))?;
    let mut report = ConvertReport {
        from: Some(from),
        to: Some(to),
        ..ConvertReport::default()
    };
    // An encoding guessed from little evidence is worth the operator's look.
    for (_, f) in &mapping {
        if let Ok(t) = TableFile::open(f, opts.encoding.as_deref()) {
            let name = f.display().to_string();
            report.source_findings.extend(t.encoding().finding(&name));
        }
    }
    report.no_email.choice = opts.customers_without_email.clone();
    std::fs::create_dir_all(out_dir)?;
    let mut tspec = EndpointSpec::files(to, out_dir.to_path_buf());
    tspec.currency = opts.currency.clone();
    tspec.timezone = opts.timezone.clone();
    let mut target = super::open_target(&tspec, Path::new("."), out_dir)?;
    // Page by page: read, retarget, write. What the read-back compares waits on disk, so a
    // million-row file converts in the memory of a page and its keys.
    let mut retarget = Retarget::new(from, to);
    let mut unaddressed = Unaddressed::new(to, out_dir);
    let mut redirects = Vec::new();
    let mut written: BTreeMap<Entity, Written> = BTreeMap::new();
    let mut entities = source.entities();
    entities.sort();
    for entity in entities {
        let accepted = entity != Entity::Redirects && target.accepts(entity);
        if accepted {
            target.resume(entity, None).await?;
        }
        let mut counts = (0, 0, 0);
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = source.read_page(entity, cursor.as_ref(), PAGE).await?;
            report.source_findings.extend(page.findings);
            let mut list = page.records;
            counts.0 += list.len();
            if entity == Entity::Customers && accepted {
                unaddressed.page(&mut list, &mut report, &mut counts)?;
            }
            retarget.page(entity, &mut list, &mut redirects);
            if entity == Entity::Redirects {
                // The source's own redirects join the ones the new handles need.
                for r in list {
                    match r {
                        Record::Redirect(r) => redirects.push(r),
                        other => refuse(&mut report, &mut counts, entity, &other, to),
                    }
                }
            } else if !accepted {
                for r in &list {
                    refuse(&mut report, &mut counts, entity, r, to);
                }
            } else {
                let list = keep_whole_products(&mut report, &mut counts, entity, list, to);
                let outcomes = target.write_batch(entity, &list).await?;
                for (r, o) in list.into_iter().zip(outcomes) {
                    match o {
                        WriteOutcome::Failed { message } => {
                            counts.2 += 1;
                            report.refused.push(Loss {
                                entity,
                                key: r.external_key(),
                                label: r.label(),
                                what: vec![message],
                            });
                        }
                        _ => {
                            counts.1 += 1;
                            if !opts.skip_readback {
                                let spill = match written.entry(entity) {
                                    std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                                    std::collections::btree_map::Entry::Vacant(v) => {
                                        v.insert(Written::new(to)?)
                                    }
                                };
                                spill.push(r)?;
                            }
                        }
                    }
                }
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        if accepted {
            target.finish(entity).await?;
        }
        report.counts.insert(entity, counts);
    }
    if !redirects.is_empty() {
        let batch: Vec<Record> = redirects.iter().cloned().map(Record::Redirect).collect();
        if target.accepts(Entity::Redirects) {
            target.resume(Entity::Redirects, None).await?;
            target.write_batch(Entity::Redirects, &batch).await?;
            target.finish(Entity::Redirects).await?;
        } else {
            let path = out_dir.join("redirects.csv");
            let mut bytes = b"Redirect from,Redirect to\n".to_vec();
            for r in &redirects {
                super::table::push_row(&mut bytes, &[r.from.as_str(), r.to.as_str()], b',');
            }
            std::fs::write(&path, bytes)?;
            report.redirect_file = Some(path);
        }
    }
    unaddressed.finish()?;
    report.redirects = redirects;
    for (entity, key, field, reason) in std::mem::take(&mut retarget.losses) {
        report.not_carried(entity, field, &reason, &key);
    }

    // Read the output back with the target's own readers and list what did not survive.
    let mut back_spec = EndpointSpec::files(to, out_dir.to_path_buf());
    // The written files' local times are on the store's clock; read them back on it.
    back_spec.timezone = opts.timezone.clone();
    let back = if opts.skip_readback {
        None
    } else {
        super::open_source(&back_spec, Path::new(".")).ok()
    };
    report.read_back = back.is_some();
    if let Some(mut back) = back {
        for (entity, sent) in written {
            let found = readback::compare(back.as_mut(), entity, sent, to).await?;
            report.lossy.extend(found.lossy);
            for (key, verdict) in found.sorted {
                for (field, why) in verdict.by_design {
                    report.not_carried(entity, field, why, &key);
                }
                let mut moved = verdict.moved;
                moved.sort();
                moved.dedup();
                for (from, into) in moved {
                    *report.moved.entry((entity, from, into)).or_default() += 1;
                }
                for field in verdict.filled {
                    *report.filled.entry((entity, field)).or_default() += 1;
                }
            }
        }
    }
    let mut produced: Vec<PathBuf> = std::fs::read_dir(out_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    produced.sort();
    report.files = produced;
    std::fs::write(out_dir.join("convert-report.md"), render_report(&report))?;
    Ok(report)
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Addresses given to customers without an email, listed one by one in the report.
const ADDRESSES_LISTED: usize = 20;

/// The report as Markdown.
pub fn render_report(r: &ConvertReport) -> String {
    let mut s = String::new();
    let from = r.from.map(|p| p.to_string()).unwrap_or_default();
    let to = r.to.map(|p| p.to_string()).unwrap_or_default();
    let _ = writeln!(s, "# Conversion report: {from} → {to}\n");
    let _ = writeln!(
        s,
        "| entity | read | written | not written |\n|---|---|---|---|"
    );
    for (e, (read, written, refused)) in &r.counts {
        let _ = writeln!(s, "| {e} | {read} | {written} | {refused} |");
    }
    let _ = writeln!(s, "\nFiles written:\n");
    for f in &r.files {
        let _ = writeln!(
            s,
            "- {}",
            f.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "\n## Redirects\n\n{} URL(s) change; {}.\n",
        r.redirects.len(),
        match &r.redirect_file {
            Some(p) => format!(
                "{to} import files have no redirect file, so they are in {} to set up by hand or with an app",
                p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
            ),
            None => format!("they are in {to}'s redirect import file"),
        }
    );
    render_no_email(&mut s, r, &to);
    let listed = r.refused.len();
    let _ = writeln!(s, "## Not written ({listed})\n");
    if r.no_email.to_owner > 0 {
        let _ = writeln!(
            s,
            "{} customer(s) without an email are not listed here: they are in {} (above).\n",
            r.no_email.to_owner,
            no_email::OWNER_FILE
        );
    }
    if r.refused.is_empty() && r.no_email.to_owner == 0 {
        let _ = writeln!(s, "Every record was written.\n");
    }
    for l in &r.refused {
        let _ = writeln!(
            s,
            "- {} `{}` ({}): {}",
            l.entity,
            md_escape(&l.key),
            md_escape(&l.label),
            md_escape(&l.what.join("; "))
        );
    }
    if !r.read_back {
        let _ = writeln!(
            s,
            "\n## Fields not checked\n\nThe output was not read back (--skip-readback): only what \
             the {to} writer refused or had no place for is listed above, and fields it dropped \
             silently are not.\n"
        );
    } else {
        render_by_design(&mut s, r, &to);
        let _ = writeln!(
            s,
            "## Values that really differ ({} record(s))\n",
            r.lossy.len()
        );
        if r.lossy.is_empty() {
            let _ = writeln!(
                s,
                "Every value {to}'s files have a place for read back unchanged with {to}'s own reader.\n"
            );
        }
        for l in &r.lossy {
            let _ = writeln!(
                s,
                "- {} `{}` ({}):",
                l.entity,
                md_escape(&l.key),
                md_escape(&l.label)
            );
            for w in &l.what {
                let _ = writeln!(s, "  - {}", md_escape(w));
            }
        }
    }
    let _ = writeln!(
        s,
        "\n## Findings in the source files ({})\n",
        r.source_findings.len()
    );
    for f in &r.source_findings {
        let _ = writeln!(s, "- {}", md_escape(&f.to_string()));
    }
    s
}

/// What became of customers without an email, when there were any.
fn render_no_email(s: &mut String, r: &ConvertReport, to: &str) {
    let n = &r.no_email;
    if n.total() == 0 {
        return;
    }
    let _ = writeln!(
        s,
        "## Customers without an email ({})\n\n{to} needs an email on every customer; {} had none \
         (`--customers-without-email {}`).\n",
        n.total(),
        n.total(),
        n.choice
    );
    if n.skipped > 0 {
        let _ = writeln!(
            s,
            "- {} left out, listed under \"Not written\" below",
            n.skipped
        );
    }
    if n.to_owner > 0 {
        let _ = writeln!(
            s,
            "- {} left out and written to {} for the store owner (name, phone, address)",
            n.to_owner,
            no_email::OWNER_FILE
        );
    }
    if !n.addressed.is_empty() {
        let domain = match &n.choice {
            NoEmail::Domain(d) => d.as_str(),
            _ => "",
        };
        let _ = writeln!(
            s,
            "- {} given an address on {domain}, the same one on every conversion:",
            n.addressed.len()
        );
        for (who, address) in n.addressed.iter().take(ADDRESSES_LISTED) {
            let _ = writeln!(s, "  - {} → {address}", md_escape(who));
        }
        if n.addressed.len() > ADDRESSES_LISTED {
            let _ = writeln!(s, "  - … and {} more", n.addressed.len() - ADDRESSES_LISTED);
        }
    }
    s.push('\n');
}

/// Losses by design (one line per field), values that moved and values filled in.
fn render_by_design(s: &mut String, r: &ConvertReport, to: &str) {
    let _ = writeln!(
        s,
        "\n## Not carried by {to}'s import files, by design ({} field(s))\n",
        r.not_carried.len()
    );
    if r.not_carried.is_empty() {
        let _ = writeln!(
            s,
            "Every field the records had has a place in {to}'s files.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "| entity | field | records | why | for example |\n|---|---|---|---|---|"
        );
        for ((entity, field), nc) in &r.not_carried {
            let _ = writeln!(
                s,
                "| {entity} | {} | {} | {} | {} |",
                md_escape(field),
                nc.records,
                md_escape(&nc.reason),
                md_escape(&nc.examples.join(", "))
            );
        }
        s.push('\n');
    }
    if !r.moved.is_empty() {
        let _ = writeln!(
            s,
            "Values read back in another field, so not lost:\n\n| entity | written as | read back as | records |\n|---|---|---|---|"
        );
        for ((entity, from, into), n) in &r.moved {
            let _ = writeln!(
                s,
                "| {entity} | {} | {} | {n} |",
                md_escape(from),
                md_escape(into)
            );
        }
        s.push('\n');
    }
    if !r.filled.is_empty() {
        let _ = writeln!(
            s,
            "Fields that were empty and that {to}'s files filled in:\n\n| entity | field | records |\n|---|---|---|"
        );
        for ((entity, field), n) in &r.filled {
            let _ = writeln!(s, "| {entity} | {} | {n} |", md_escape(field));
        }
        s.push('\n');
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
