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
}

/// Bytes of encoded records kept before they are written out (the sync stays once per batch).
const FLUSH_AT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct FileCheckpoint {
    /// Length of the file when the last committed batch had been written.
    len: u64,
}

struct OpenFile {
    file: File,
    len: u64,
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
        let committed = checkpoint
            .and_then(|v| serde_json::from_value::<FileCheckpoint>(v.clone()).ok())
            .map(|c| c.len);
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
        if len == 0 {
            let header = self
                .writers
                .get(&entity)
                .map(|w| w.header())
                .unwrap_or_default();
            file.write_all(&header)
                .map_err(|e| io_err(&path, "write", e))?;
            len = header.len() as u64;
        }
        self.open.insert(entity, OpenFile { file, len });
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
        let mut outcomes = Vec::with_capacity(batch.len());
        for record in batch {
            let mark = self.buf.len();
            match writer.encode(record, &mut self.buf) {
                Ok(key) => outcomes.push(WriteOutcome::Created { target_id: key }),
                Err(message) => {
                    self.buf.truncate(mark);
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
        Ok(outcomes)
    }

    fn checkpoint(&self, entity: Entity) -> Option<serde_json::Value> {
        self.open
            .get(&entity)
            .and_then(|o| serde_json::to_value(FileCheckpoint { len: o.len }).ok())
    }

    async fn lookup(&mut self, _entity: Entity, _external_key: &str) -> Result<Option<String>> {
        // Files are append-only and cut back to the checkpoint on resume, so nothing written
        // by an uncommitted batch survives: there is never anything to reconcile.
        Ok(None)
    }

    async fn delete(&mut self, entity: Entity, _target_id: &str) -> Result<()> {
        // Rolling back a file target removes the whole file this run wrote.
        if let Some(path) = self.path_of(entity) {
            self.open.remove(&entity);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, "remove", e)),
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
        if let Some(open) = self.open.remove(&entity) {
            open.file.sync_all()?;
        }
        Ok(())
    }
}
