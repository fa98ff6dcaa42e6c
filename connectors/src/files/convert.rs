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
use crate::platform;
use crate::spec::EndpointSpec;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::readback::{self, Written};
use super::table::TableFile;

/// What a file is, judged from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub platform: Platform,
    pub entity: Entity,
}

/// Recognisers in the order they are tried: the most specific headers first.
pub fn detect(path: &Path, encoding: Option<&str>) -> Result<Option<Detected>> {
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
    Ok(None)
}

/// The entity a file holds for a given platform (convert --from names the platform).
pub fn entity_for(
    platform: Platform,
    path: &Path,
    encoding: Option<&str>,
) -> Result<Option<Entity>> {
    let table = TableFile::open(path, encoding)?;
    let h = table.header();
    Ok(match platform {
        Platform::Ikas => super::ikas::recognise(h),
        Platform::Magento => super::magento::recognise(h),
        Platform::BigCommerce => super::bigcommerce::recognise(h),
        Platform::Shopify => super::shopify::recognise(path, encoding),
        Platform::WooCommerce => super::woocommerce::recognise(&table),
        Platform::Medusa => super::medusa::recognise(h),
        Platform::Vendure => super::vendure::recognise(h),
        Platform::Ideasoft => None,
    })
}

/// Whether a file completes another file of its entity rather than standing alone (Magento's
/// customer_address and advanced_pricing): convert then reads it joined to that file.
pub fn is_companion(platform: Platform, path: &Path, encoding: Option<&str>) -> Result<bool> {
    let table = TableFile::open(path, encoding)?;
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
    let mut out = Vec::new();
    for path in paths {
        let mut ins = Inspection {
            path: path.clone(),
            detected: None,
            encoding: String::new(),
            encoding_detail: String::new(),
            delimiter: ',',
            records: 0,
            findings: vec![],
            error: None,
        };
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

/// What convert did with one record that did not arrive whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub entity: Entity,
    pub key: String,
    pub label: String,
    /// One line per field or reason.
    pub what: Vec<String>,
}

#[derive(Debug, Default)]
pub struct ConvertReport {
    pub from: Option<Platform>,
    pub to: Option<Platform>,
    /// Per entity: records read, written, refused.
    pub counts: BTreeMap<Entity, (usize, usize, usize)>,
    /// Records the target refused or has no place for.
    pub refused: Vec<Loss>,
    /// Records written with fields that did not survive.
    pub lossy: Vec<Loss>,
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
}

/// Gives every catalog/content record a handle valid and unique for `to`, and a redirect from
/// its old URL to the new one when they differ. Records arrive page by page, entity by entity
/// in `Entity` order; the handles taken so far are all it keeps.
struct Retarget {
    from: Platform,
    to: Platform,
    taken: HashSet<(Entity, String)>,
    /// What retargeting left out, record by record, for the report.
    losses: Vec<Loss>,
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
                    let dropped = c.keep_addresses(max);
                    if !dropped.is_empty() {
                        self.losses.push(Loss {
                            entity,
                            key: c.key(),
                            label: c.label(),
                            what: dropped
                                .iter()
                                .map(|a| {
                                    format!(
                                        "address \"{}\" not carried: the {to} customer file holds {max}, the default is kept",
                                        a.summary()
                                    )
                                })
                                .collect(),
                        });
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
    let mut mapping = Vec::new();
    let mut companions: Vec<(Entity, PathBuf)> = Vec::new();
    for f in files {
        match entity_for(from, f, opts.encoding.as_deref())? {
            Some(e) if is_companion(from, f, opts.encoding.as_deref())? => {
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
    std::fs::create_dir_all(out_dir)?;
    let mut tspec = EndpointSpec::files(to, out_dir.to_path_buf());
    tspec.currency = opts.currency.clone();
    tspec.timezone = opts.timezone.clone();
    let mut target = super::open_target(&tspec, Path::new("."), out_dir)?;
    // Page by page: read, retarget, write. What the read-back compares waits on disk, so a
    // million-row file converts in the memory of a page and its keys.
    let mut retarget = Retarget::new(from, to);
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
    report.redirects = redirects;
    report.lossy.append(&mut retarget.losses);

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
            let mut lost = readback::compare(back.as_mut(), entity, sent, to).await?;
            report.lossy.append(&mut lost);
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
    let _ = writeln!(s, "## Not written ({})\n", r.refused.len());
    if r.refused.is_empty() {
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
    let checked = if r.read_back {
        r.lossy.len().to_string()
    } else {
        "not checked".to_string()
    };
    let _ = writeln!(
        s,
        "\n## Written with fields that could not be carried ({checked})\n"
    );
    if !r.read_back {
        let _ = writeln!(
            s,
            "The output was not read back (--skip-readback): only what the {to} writer refused \
             or had no place for is listed above, and fields it dropped silently are not.\n"
        );
    } else if r.lossy.is_empty() {
        let _ = writeln!(
            s,
            "Everything written read back unchanged with {to}'s own reader.\n"
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

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
