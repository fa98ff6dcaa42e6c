use crate::connector::{ConnectorError, Result, Target, WriteOutcome};
use crate::model::{Entity, Platform, Record};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Turns canonical records of one entity into the bytes of one import file.
pub trait EntityWriter: Send {
    fn entity(&self) -> Entity;
    /// File name inside the target directory, e.g. `products.csv`.
    fn file_name(&self) -> String;
    /// Bytes that start a new file (a CSV header row), written once.
    fn header(&self) -> Vec<u8>;
    /// Appends one record's bytes to `out`. Returns the record's key in the target (handle,
    /// email, order name). An `Err` fails this record alone, with the message given.
    /// Must be deterministic: the same record always gives the same bytes.
    fn encode(&mut self, record: &Record, out: &mut Vec<u8>)
        -> std::result::Result<String, String>;

    /// Further files filled from the same records, as (file name, header): Magento imports tier
    /// prices from advanced_pricing.csv beside catalog_product.csv, and addresses from
    /// customer_address.csv beside customer_main.csv. A side file is created with its first row.
    fn side_files(&self) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }

    /// [`Self::encode`] for writers with side files: `sides[i]` takes the rows of side file `i`.
    fn encode_with_sides(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
        _sides: &mut [Vec<u8>],
    ) -> std::result::Result<String, String> {
        self.encode(record, out)
    }

    /// True when the columns depend on the records (Vendure's `name:de` translation columns):
    /// the header is then written with the first batch, after [`Self::prepare`] saw it.
    fn header_from_records(&self) -> bool {
        false
    }

    /// Sees the first batch before [`Self::header`] is asked for (see `header_from_records`).
    fn prepare(&mut self, _first: &[Record]) {}

    /// Takes its columns from the header line of a file being resumed (see
    /// `header_from_records`), so rows written after a restart line up with the header.
    fn adopt_header(&mut self, _header: &[u8]) {}
}

/// Bytes of encoded records kept before they are written out (the sync stays once per batch).
const FLUSH_AT: usize = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileCheckpoint {
    /// Length of the file when the last committed batch had been written.
    len: u64,
    /// Lengths of the writer's side files, in the order it names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sides: Vec<u64>,
}

struct OpenFile {
    file: File,
    len: u64,
    sides: Vec<SideFile>,
}

/// A side file: opened with its first row, cut back like the main file on resume.
struct SideFile {
    path: PathBuf,
    header: Vec<u8>,
    file: Option<File>,
    len: u64,
}

impl SideFile {
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| io_err(&path, "open", e))?;
            self.file = Some(f);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(ConnectorError::Input(format!(
                "{} is not open",
                path.display()
            )));
        };
        file.seek(SeekFrom::Start(self.len))
            .map_err(|e| io_err(&path, "seek", e))?;
        if self.len == 0 {
            file.write_all(&self.header)
                .map_err(|e| io_err(&path, "write", e))?;
            self.len = self.header.len() as u64;
        }
        file.write_all(bytes)
            .map_err(|e| io_err(&path, "write", e))?;
        file.sync_data().map_err(|e| io_err(&path, "sync", e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// A target writing import files. Every batch is appended and synced; the file length is the
/// checkpoint the runtime commits with the batch. On resume the file is cut back to the last
/// committed length, so a batch written before a crash but never committed is written again
/// exactly once and the output is byte-identical to an uninterrupted run.
pub struct FileTarget {
    platform: Platform,
    dir: PathBuf,
    writers: BTreeMap<Entity, Box<dyn EntityWriter>>,
    open: BTreeMap<Entity, OpenFile>,
    buf: Vec<u8>,
}

impl FileTarget {
    pub fn new(
        platform: Platform,
        dir: PathBuf,
        writers: Vec<Box<dyn EntityWriter>>,
    ) -> Result<Self> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            ConnectorError::Input(format!(
                "cannot create output directory {}: {e}",
                dir.display()
            ))
        })?;
        let writers = writers.into_iter().map(|w| (w.entity(), w)).collect();
        Ok(FileTarget {
            platform,
            dir,
            writers,
            open: BTreeMap::new(),
            buf: Vec::with_capacity(1 << 16),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, entity: Entity) -> Option<PathBuf> {
        self.writers
            .get(&entity)
            .map(|w| self.dir.join(w.file_name()))
    }
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> ConnectorError {
    ConnectorError::Input(format!("cannot {what} {}: {e}", path.display()))
}

#[async_trait]
impl Target for FileTarget {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn describe(&self) -> String {
        format!("{} import files in {}", self.platform, self.dir.display())
    }

    async fn resume(
        &mut self,
        entity: Entity,
        checkpoint: Option<&serde_json::Value>,
    ) -> Result<()> {
        let Some(path) = self.path_of(entity) else {
            return Ok(());
        };
        let saved =
            checkpoint.and_then(|v| serde_json::from_value::<FileCheckpoint>(v.clone()).ok());
        let committed = saved.as_ref().map(|c| c.len);
        let side_lens = saved.map(|c| c.sides).unwrap_or_default();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err(&path, "open", e))?;
        let on_disk = file
            .metadata()
            .map_err(|e| io_err(&path, "inspect", e))?
            .len();
        let len = match committed {
            Some(len) if on_disk < len => {
                return Err(ConnectorError::Input(format!(
                    "{} is shorter ({on_disk} bytes) than the checkpoint says ({len} bytes): it was changed \
                     outside storeshift. Move it away and run again with --restart to rewrite it.",
                    path.display()
                )))
            }
            Some(len) => len,
            None => 0,
        };
        file.set_len(len)
            .map_err(|e| io_err(&path, "truncate", e))?;
        file.seek(SeekFrom::Start(len))
            .map_err(|e| io_err(&path, "seek", e))?;
        let mut len = len;
        let deferred = self
            .writers
            .get(&entity)
            .is_some_and(|w| w.header_from_records());
        if len == 0 && !deferred {
            let header = self
                .writers
                .get(&entity)
                .map(|w| w.header())
                .unwrap_or_default();
            file.write_all(&header)
                .map_err(|e| io_err(&path, "write", e))?;
            len = header.len() as u64;
        } else if len > 0 && deferred {
            let mut head = Vec::new();
            let mut reader = std::io::BufReader::new(&file);
            reader
                .seek(SeekFrom::Start(0))
                .map_err(|e| io_err(&path, "read", e))?;
            std::io::BufRead::read_until(&mut reader, b'\n', &mut head)
                .map_err(|e| io_err(&path, "read", e))?;
            if let Some(w) = self.writers.get_mut(&entity) {
                w.adopt_header(&head);
            }
            file.seek(SeekFrom::Start(len))
                .map_err(|e| io_err(&path, "seek", e))?;
        }
        let side_names = self
            .writers
            .get(&entity)
            .map(|w| w.side_files())
            .unwrap_or_default();
        let mut sides = Vec::with_capacity(side_names.len());
        for (i, (name, header)) in side_names.into_iter().enumerate() {
            let side = self.dir.join(name);
            let keep = side_lens.get(i).copied().unwrap_or(0);
            let on_disk = std::fs::metadata(&side).map(|m| m.len()).ok();
            let file = match on_disk {
                Some(n) if n < keep => {
                    return Err(ConnectorError::Input(format!(
                        "{} is shorter ({n} bytes) than the checkpoint says ({keep} bytes): it was \
                         changed outside storeshift. Move it away and run again with --restart to \
                         rewrite it.",
                        side.display()
                    )))
                }
                // Nothing of it was committed: a side file exists only with rows in it.
                Some(_) if keep == 0 => {
                    std::fs::remove_file(&side).map_err(|e| io_err(&side, "remove", e))?;
                    None
                }
                Some(_) => {
                    let f = OpenOptions::new()
                        .write(true)
                        .open(&side)
                        .map_err(|e| io_err(&side, "open", e))?;
                    f.set_len(keep).map_err(|e| io_err(&side, "truncate", e))?;
                    Some(f)
                }
                None => None,
            };
            sides.push(SideFile {
                path: side,
                header,
                file,
                len: keep,
            });
        }
        self.open.insert(entity, OpenFile { file, len, sides });
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        if !self.open.contains_key(&entity) {
            self.resume(entity, None).await?;
        }
        let Some(writer) = self.writers.get_mut(&entity) else {
            return Ok(batch
                .iter()
                .map(|_| WriteOutcome::Failed {
                    message: format!("{} import files have no place for {entity}", self.platform),
                })
                .collect());
        };
        let path = self.dir.join(writer.file_name());
        let Some(open) = self.open.get_mut(&entity) else {
            return Err(ConnectorError::Input(format!(
                "{} is not open",
                path.display()
            )));
        };
        self.buf.clear();
        let mut written = 0u64;
        if open.len == 0 && writer.header_from_records() {
            writer.prepare(batch);
            self.buf.extend_from_slice(&writer.header());
        }
        let mut side_bufs: Vec<Vec<u8>> = vec![Vec::new(); open.sides.len()];
        let mut outcomes = Vec::with_capacity(batch.len());
        for record in batch {
            let mark = self.buf.len();
            let side_marks: Vec<usize> = side_bufs.iter().map(Vec::len).collect();
            let encoded = if side_bufs.is_empty() {
                writer.encode(record, &mut self.buf)
            } else {
                writer.encode_with_sides(record, &mut self.buf, &mut side_bufs)
            };
            match encoded {
                Ok(key) => outcomes.push(WriteOutcome::Created { target_id: key }),
                Err(message) => {
                    self.buf.truncate(mark);
                    for (b, m) in side_bufs.iter_mut().zip(side_marks) {
                        b.truncate(m);
                    }
                    outcomes.push(WriteOutcome::Failed { message });
                }
            }
            // A large batch (a whole converted file) goes out in pieces: one buffer the size
            // of the file would be grown, copied and faulted in over and over.
            if self.buf.len() >= FLUSH_AT {
                open.file
                    .write_all(&self.buf)
                    .map_err(|e| io_err(&path, "write", e))?;
                written += self.buf.len() as u64;
                self.buf.clear();
            }
        }
        open.file
            .write_all(&self.buf)
            .map_err(|e| io_err(&path, "write", e))?;
        written += self.buf.len() as u64;
        // The runtime commits the new length right after this returns; the bytes must be on
        // disk first or a power cut could leave the checkpoint ahead of the file.
        open.file
            .sync_data()
            .map_err(|e| io_err(&path, "sync", e))?;
        open.len += written;
        for (side, bytes) in open.sides.iter_mut().zip(&side_bufs) {
            side.append(bytes)?;
        }
        Ok(outcomes)
    }

    fn checkpoint(&self, entity: Entity) -> Option<serde_json::Value> {
        self.open.get(&entity).and_then(|o| {
            serde_json::to_value(FileCheckpoint {
                len: o.len,
                sides: o.sides.iter().map(|s| s.len).collect(),
            })
            .ok()
        })
    }

    async fn lookup(&mut self, _entity: Entity, _external_key: &str) -> Result<Option<String>> {
        // Files are append-only and cut back to the checkpoint on resume, so nothing written
        // by an uncommitted batch survives: there is never anything to reconcile.
        Ok(None)
    }

    async fn delete(&mut self, entity: Entity, _target_id: &str) -> Result<()> {
        // Rolling back a file target removes the whole file this run wrote, side files too.
        if let Some(path) = self.path_of(entity) {
            self.open.remove(&entity);
            let sides = self
                .writers
                .get(&entity)
                .map(|w| w.side_files())
                .unwrap_or_default();
            let paths =
                std::iter::once(path).chain(sides.into_iter().map(|(n, _)| self.dir.join(n)));
            for path in paths {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&path, "remove", e)),
                }
            }
        }
        Ok(())
    }

    fn accepts(&self, entity: Entity) -> bool {
        self.writers.contains_key(&entity)
    }

    fn is_remote(&self) -> bool {
        false
    }

    async fn finish(&mut self, entity: Entity) -> Result<()> {
        if let Some(mut open) = self.open.remove(&entity) {
            // A file whose header waits for records still gets one: an empty import file
            // with its columns, as every other writer leaves.
            if open.len == 0 {
                if let Some(w) = self.writers.get_mut(&entity) {
                    if w.header_from_records() {
                        w.prepare(&[]);
                        open.file.write_all(&w.header())?;
                    }
                }
            }
            open.file.sync_all()?;
            for side in open.sides {
                if let Some(f) = side.file {
                    f.sync_all()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::files::testkit::{catalog, rt};
    use crate::model::*;
    use crate::spec::EndpointSpec;
    use std::path::Path;

    /// Writes `records` in two batches; with `crash`, the second batch is written, not
    /// committed, and written again by a new target resumed from the first batch's checkpoint.
    fn run(platform: Platform, entity: Entity, records: &[Record], crash: bool, dir: &Path) {
        rt().block_on(async {
            let spec = EndpointSpec::files(platform, dir.to_path_buf());
            let (a, b) = records.split_at(records.len() / 2);
            let mut t = super::super::open_target(&spec, Path::new("."), dir).unwrap();
            t.resume(entity, None).await.unwrap();
            t.write_batch(entity, a).await.unwrap();
            let committed = t.checkpoint(entity);
            if crash {
                t.write_batch(entity, b).await.unwrap();
                drop(t);
                let mut t = super::super::open_target(&spec, Path::new("."), dir).unwrap();
                t.resume(entity, committed.as_ref()).await.unwrap();
                t.write_batch(entity, b).await.unwrap();
                t.finish(entity).await.unwrap();
            } else {
                t.write_batch(entity, b).await.unwrap();
                t.finish(entity).await.unwrap();
            }
        })
    }

    fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn side_files_and_record_driven_headers_resume_byte_identical() {
        // Magento customers: customer_address.csv beside customer_main.csv.
        let customers: Vec<Record> = (0..6)
            .map(|i| {
                Record::Customer(Customer {
                    source: SourceRef::new(format!("c{i}")),
                    email: format!("c{i}@example.test"),
                    first_name: Some(format!("C{i}")),
                    addresses: (0..i % 3)
                        .map(|k| Address {
                            address1: Some(format!("Street {k}")),
                            city: Some("Ankara".into()),
                            // What Magento's import requires of every address row.
                            country_code: Some("TR".into()),
                            zip: Some("06420".into()),
                            phone: Some(format!("+90 312 000 000{k}")),
                            last_name: Some(format!("L{i}")),
                            default: k == 0,
                            ..Address::default()
                        })
                        .collect(),
                    ..Customer::default()
                })
            })
            .collect();
        // Magento products with tier prices (advanced_pricing.csv), and Vendure products with
        // translations (columns known only from the first batch).
        let mut cat = catalog(9, 6);
        for (i, p) in cat.iter_mut().enumerate() {
            p.variants[0].price_tiers.push(PriceTier {
                min_quantity: (i as i64 + 2).into(),
                customer_group: None,
                website: None,
                price: TierPrice::PercentOff(5.into()),
            });
            p.translations.insert(
                "de".into(),
                ProductTranslation {
                    title: Some(format!("{} DE", p.title)),
                    ..ProductTranslation::default()
                },
            );
        }
        let products: Vec<Record> = cat.into_iter().map(Record::Product).collect();
        for (platform, entity, records, side) in [
            (
                Platform::Magento,
                Entity::Customers,
                &customers,
                "customer_address.csv",
            ),
            (
                Platform::Magento,
                Entity::Products,
                &products,
                "advanced_pricing.csv",
            ),
            (Platform::Vendure, Entity::Products, &products, ""),
        ] {
            let (whole, crashed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            run(platform, entity, records, false, whole.path());
            run(platform, entity, records, true, crashed.path());
            let (w, c) = (files(whole.path()), files(crashed.path()));
            assert_eq!(w, c, "{platform} {entity}");
            if !side.is_empty() {
                assert!(
                    w.iter().any(|(n, _)| n == side),
                    "{platform} {entity}: {w:?}"
                );
            }
        }
        // The Vendure header names the language every record was written with.
        let dir = tempfile::tempdir().unwrap();
        run(
            Platform::Vendure,
            Entity::Products,
            &products,
            true,
            dir.path(),
        );
        let text = std::fs::read_to_string(dir.path().join("products.csv")).unwrap();
        assert!(text.starts_with("name:en,name:de,"), "{text}");
    }
}
