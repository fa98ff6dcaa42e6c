//! Opening a files source whose files need a mapped header: files a column mapping names (the
//! config's `mapping`, `convert --mapping`, or a mapping decided in the run), and WooCommerce
//! product exports written in the store's language.
//!
//! Before the platform's own readers open the source, every file is looked at as it is written:
//! a mapping that applies to it registers its mapped header (see [`super::header`]), and the
//! file is then read by the readers of the mapping's layout; a translated WooCommerce header
//! is registered too, so WooCommerce's own reader reads it like an English export. Columns a
//! mapping keeps aside or leaves out are reported with the first page of the file.

use super::header::{map_header, unmap_header, MappedHeader};
use super::{FileMapping, Layout, Note};
use crate::connector::{ConnectorError, Cursor, Result, SourcePage};
use crate::files::table::TableFile;
use crate::files::{woocommerce, EntityReader};
use crate::finding::{Finding, Location, Severity};
use crate::model::{Entity, Platform};
use crate::spec::EndpointSpec;
use std::cell::Cell;
use std::path::{Path, PathBuf};

thread_local! {
    static AS_WRITTEN: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every file read with its own header, whatever mapping is registered for it
/// (to recognise files as they are written).
pub fn as_written<T>(f: impl FnOnce() -> T) -> T {
    let before = AS_WRITTEN.with(|c| c.replace(true));
    let out = f();
    AS_WRITTEN.with(|c| c.set(before));
    out
}

/// Whether mapped headers are looked past on this thread (see [`as_written`]).
pub fn reading_as_written() -> bool {
    AS_WRITTEN.with(Cell::get)
}

/// File types looked at in a source directory.
const EXPORT_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods"];

/// A file read through a mapping.
#[derive(Debug, Clone)]
pub struct MappedFile {
    pub path: PathBuf,
    pub layout: Layout,
    pub notes: Vec<Note>,
    /// Read by the platform's own reader (a translated WooCommerce export): only the notes
    /// are the mapping's.
    pub own_reader: bool,
}

/// What [`prepare`] found.
#[derive(Debug, Default)]
pub struct Prepared {
    pub mapped: Vec<MappedFile>,
    /// Whether any file is the platform's own (natively or in a translated header).
    pub own_files: bool,
    /// Translated WooCommerce exports: (file, locale).
    pub localized: Vec<(PathBuf, &'static str)>,
}

fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Every export file a files spec names: its directory's files, its one file, `files`.
pub fn candidates(spec: &EndpointSpec, base: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = vec![];
    if let Some(root) = spec.resolved_path(base) {
        if root.is_dir() {
            if let Ok(list) = std::fs::read_dir(&root) {
                let mut v: Vec<PathBuf> = list
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.is_file()
                            && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                                EXPORT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                            })
                    })
                    .collect();
                v.sort();
                out.extend(v);
            }
        } else if root.is_file() {
            out.push(root);
        }
    }
    for p in spec.files.values() {
        let p = resolve_path(base, p);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The entity `platform`'s own readers see in `path`, as it is written.
pub fn native_entity(platform: Platform, path: &Path, encoding: Option<&str>) -> Option<Entity> {
    as_written(|| {
        let table = TableFile::open(path, encoding).ok()?;
        let h = table.header();
        match platform {
            Platform::WooCommerce => woocommerce::recognise(&table),
            Platform::Shopify => crate::files::shopify::recognise(path, encoding),
            Platform::Magento => crate::files::magento::recognise(h),
            Platform::BigCommerce => crate::files::bigcommerce::recognise(h),
            Platform::Ikas => crate::files::ikas::recognise(h),
            _ => None,
        }
    })
}

/// The file name `name` in a mapping names `path` (by its name, or as a path).
fn names_file(name: &str, path: &Path) -> bool {
    let n = Path::new(name.trim());
    path.file_name() == n.file_name()
        && (n
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || path.ends_with(n)))
}

fn same_header(m: &FileMapping, header: &[String]) -> bool {
    use crate::files::table::normalise_name;
    m.columns.len() == header.len()
        && m.columns
            .iter()
            .zip(header)
            .all(|(c, h)| normalise_name(&c.column) == normalise_name(h))
}

/// Which of `mappings` applies to the file at `path` with `header`: one naming the file, or,
/// for a file its platform does not read natively, one made for exactly this header.
pub fn section_for(
    mappings: &[FileMapping],
    path: &Path,
    header: &[String],
    native: bool,
) -> Option<usize> {
    mappings
        .iter()
        .position(|m| m.file.as_deref().is_some_and(|n| names_file(n, path)))
        .or_else(|| {
            if native {
                return None;
            }
            mappings
                .iter()
                .position(|m| m.file.is_none() && same_header(m, header))
        })
}

/// The mappings in force for a spec: its `mapping` file's, then those decided in the run,
/// each with how it is named in messages.
pub fn mappings_of(
    spec: &EndpointSpec,
    base: &Path,
    decided: &[FileMapping],
) -> Result<Vec<(FileMapping, String)>> {
    let mut out = vec![];
    if let Some(m) = &spec.mapping {
        let path = resolve_path(base, m);
        let by = format!("the mapping in {}", path.display());
        for fm in super::file::read(&path)? {
            out.push((fm, by.clone()));
        }
    }
    for d in decided {
        out.push((d.clone(), "the mapping decided in this run".to_string()));
    }
    Ok(out)
}

/// The header a translated WooCommerce product export is read with: every column the
/// catalogue names under its English name; any other keeps its own name when WooCommerce's
/// reader knows it and is otherwise kept as a `Meta:` attribute (and reported).
pub fn localized_header(
    header: &[String],
    t: &woocommerce::l10n::Translated,
) -> (MappedHeader, Vec<Note>) {
    let mut notes = vec![];
    let names = header
        .iter()
        .zip(&t.names)
        .map(|(h, n)| match n {
            Some(n) => n.clone(),
            None if woocommerce::l10n::is_english_column(h) => h.clone(),
            None => {
                notes.push(Note {
                    column: h.clone(),
                    kept: true,
                    message: format!(
                        "\"{h}\" is not one of WooCommerce's {} column names; it is kept as the attribute meta:{h}",
                        t.locale
                    ),
                });
                format!("Meta: {h}")
            }
        })
        .collect();
    (
        MappedHeader {
            source: header.to_vec(),
            names,
            virtuals: vec![],
            by: format!("WooCommerce's {} catalogue", t.locale),
        },
        notes,
    )
}

/// Registers the mapped headers a source's files need and says which files are read through
/// a mapping.
pub fn prepare(spec: &EndpointSpec, base: &Path, decided: &[FileMapping]) -> Result<Prepared> {
    let mappings = mappings_of(spec, base, decided)?;
    let mut prepared = Prepared::default();
    if mappings.is_empty() && spec.platform != Platform::WooCommerce {
        prepared.own_files = true;
        return Ok(prepared);
    }
    let encoding = spec.encoding.as_deref();
    let mut used = vec![false; mappings.len()];
    for path in candidates(spec, base) {
        let Ok(header) =
            as_written(|| TableFile::open(&path, encoding).map(|t| t.header().names().to_vec()))
        else {
            // Unreadable here: the platform's reader says why, or skips it as it would.
            prepared.own_files = true;
            continue;
        };
        let native = native_entity(spec.platform, &path, encoding);
        let list: Vec<FileMapping> = mappings.iter().map(|(m, _)| m.clone()).collect();
        let section =
            section_for(&list, &path, &header, native.is_some()).map(|i| (i, &mappings[i]));
        if let Some((i, (m, by))) = section {
            used[i] = true;
            let resolved = m
                .resolve(&header, by)
                .map_err(|e| ConnectorError::Input(format!("{}: {e} ({by})", path.display())))?;
            map_header(&path, resolved.header)?;
            prepared.mapped.push(MappedFile {
                path,
                layout: m.layout(),
                notes: resolved.notes,
                own_reader: false,
            });
            continue;
        }
        if native.is_none() && spec.platform == Platform::WooCommerce {
            if let Some(t) = woocommerce::l10n::translate(&header) {
                let (h, notes) = localized_header(&header, &t);
                map_header(&path, h)?;
                prepared.localized.push((path.clone(), t.locale));
                prepared.own_files = true;
                if !notes.is_empty() {
                    prepared.mapped.push(MappedFile {
                        path,
                        layout: Layout::WOO_PRODUCTS,
                        notes,
                        own_reader: true,
                    });
                }
                continue;
            }
        }
        // Read as written (a mapping registered earlier in this process no longer applies).
        unmap_header(&path);
        if native.is_some() {
            prepared.own_files = true;
        }
    }
    if let Some((m, by)) = mappings
        .iter()
        .zip(&used)
        .find(|((m, _), used)| !**used && m.file.is_some())
        .map(|(m, _)| m)
    {
        return Err(ConnectorError::Input(format!(
            "{by} is for the file \"{}\", which the source does not have; check `path` of the \
             source or the file's name in the mapping",
            m.file.as_deref().unwrap_or_default()
        )));
    }
    Ok(prepared)
}

/// The readers of the files read through a mapping.
pub fn readers(
    prepared: &Prepared,
    spec: &EndpointSpec,
    base: &Path,
) -> Result<Vec<Box<dyn EntityReader>>> {
    let mut out: Vec<Box<dyn EntityReader>> = vec![];
    for f in &prepared.mapped {
        if f.own_reader {
            continue;
        }
        let layout = f.layout;
        let mut list: Vec<Box<dyn EntityReader>> = if layout.platform == Platform::WooCommerce {
            woo_readers(layout.entity, &f.path, spec)?
        } else {
            let mut s = EndpointSpec::files(layout.platform, PathBuf::new());
            s.path = None;
            s.files.insert(layout.entity, f.path.clone());
            s.currency = spec.currency.clone();
            s.encoding = spec.encoding.clone();
            s.options = spec.options.clone();
            crate::files::platform_readers(&s, base)?
        };
        if let Some(main) = list.iter().position(|r| r.entity() == layout.entity) {
            let inner = list.remove(main);
            list.insert(
                main,
                Box::new(Noted::new(inner, notes_as_findings(&f.path, &f.notes))),
            );
        }
        out.extend(list);
    }
    Ok(out)
}

/// The notes of translated WooCommerce exports, as findings keyed by the file they are about.
pub fn localized_notes(prepared: &Prepared) -> Vec<(PathBuf, Vec<Finding>)> {
    prepared
        .mapped
        .iter()
        .filter(|f| f.own_reader)
        .map(|f| (f.path.clone(), notes_as_findings(&f.path, &f.notes)))
        .collect()
}

fn woo_readers(
    entity: Entity,
    path: &Path,
    spec: &EndpointSpec,
) -> Result<Vec<Box<dyn EntityReader>>> {
    let encoding = spec.encoding.as_deref();
    // Read as WooCommerce's exporter writes: its formula guard comes off every cell.
    let open = || {
        TableFile::open(path, encoding)
            .map(|t| t.with_guard(Some(crate::platform::woocommerce::EXPORT_GUARD)))
    };
    let currency = spec.currency();
    let zone = spec.zone()?;
    Ok(match entity {
        Entity::Products => {
            let table = open()?;
            let mut v: Vec<Box<dyn EntityReader>> = vec![];
            if table.header().has("Categories") {
                v.push(Box::new(woocommerce::categories::CategoryReader::new(
                    open()?,
                )?));
            }
            v.push(Box::new(woocommerce::products::ProductReader::new(
                table, currency,
            )?));
            v
        }
        Entity::Customers => vec![Box::new(woocommerce::customers::reader(open()?, zone)?)],
        Entity::Orders => vec![Box::new(woocommerce::orders::reader(
            open()?,
            currency,
            zone,
        )?)],
        Entity::Pages => vec![Box::new(woocommerce::pages::reader(open()?, zone)?)],
        other => {
            return Err(ConnectorError::Input(format!(
                "{}: WooCommerce files cannot hold {other}; map the file as products, customers, \
                 orders or pages",
                path.display()
            )))
        }
    })
}

fn notes_as_findings(path: &Path, notes: &[Note]) -> Vec<Finding> {
    notes
        .iter()
        .map(|n| {
            Finding::new(
                if n.kept {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                if n.kept {
                    "mapped_column_kept"
                } else {
                    "mapped_column_not_read"
                },
                n.message.clone(),
            )
            .at(Location {
                file: path.display().to_string(),
                line: 1,
                column: Some(n.column.clone()),
            })
        })
        .collect()
}

/// A reader whose first page also carries what its mapping did with the file's columns.
pub struct Noted {
    inner: Box<dyn EntityReader>,
    notes: Vec<Finding>,
}

impl Noted {
    pub fn new(inner: Box<dyn EntityReader>, notes: Vec<Finding>) -> Noted {
        Noted { inner, notes }
    }
}

impl EntityReader for Noted {
    fn entity(&self) -> Entity {
        self.inner.entity()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        self.inner.files()
    }

    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage> {
        let mut page = self.inner.read_page(cursor, limit)?;
        if cursor.is_none() {
            let mut notes = self.notes.clone();
            notes.append(&mut page.findings);
            page.findings = notes;
        }
        Ok(page)
    }
}
