//! Pages and blog posts. Shopify has no CSV import for them, so they are kept as JSON lines of
//! the canonical model (`pages.jsonl`, `blog_posts.jsonl`): one record per line, nothing lost,
//! ready for the Shopify API loader or a bulk tool.

use super::csvin::Pos;
use crate::connector::{ConnectorError, Result, SourcePage};
use crate::files::{EntityReader, EntityWriter};
use crate::finding::{Finding, Location, Severity};
use crate::model::{Entity, Record};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

struct JsonlWriter {
    entity: Entity,
    file: &'static str,
}

impl JsonlWriter {
    fn encode(&self, record: &Record, out: &mut Vec<u8>) -> std::result::Result<String, String> {
        if record.entity() != self.entity {
            return Err(format!("{} cannot hold {}", self.file, record.entity()));
        }
        let value = match record {
            Record::Page(p) => serde_json::to_vec(p),
            Record::BlogPost(b) => serde_json::to_vec(b),
            _ => return Err(format!("{} cannot hold {}", self.file, record.entity())),
        }
        .map_err(|e| format!("{} cannot be written as JSON: {e}", record.label()))?;
        out.extend_from_slice(&value);
        out.push(b'\n');
        Ok(record.external_key())
    }
}

macro_rules! jsonl_writer {
    ($name:ident, $entity:expr, $file:expr) => {
        /// Writes one canonical record per line.
        pub struct $name(JsonlWriter);

        impl $name {
            pub fn new() -> Self {
                $name(JsonlWriter {
                    entity: $entity,
                    file: $file,
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl EntityWriter for $name {
            fn entity(&self) -> Entity {
                $entity
            }
            fn file_name(&self) -> String {
                $file.to_string()
            }
            fn header(&self) -> Vec<u8> {
                Vec::new()
            }
            fn encode(
                &mut self,
                record: &Record,
                out: &mut Vec<u8>,
            ) -> std::result::Result<String, String> {
                self.0.encode(record, out)
            }
        }
    };
}

jsonl_writer!(PageWriter, Entity::Pages, "pages.jsonl");
jsonl_writer!(BlogPostWriter, Entity::BlogPosts, "blog_posts.jsonl");

struct JsonlReader {
    entity: Entity,
    path: PathBuf,
}

impl JsonlReader {
    fn read_page(&mut self, cursor: Option<&crate::Cursor>, limit: usize) -> Result<SourcePage> {
        let label = self.path.display().to_string();
        let start = match cursor {
            Some(c) => Pos::from_cursor(c, &label)?,
            None => Pos { offset: 0, line: 1 },
        };
        let mut file = File::open(&self.path)
            .map_err(|e| ConnectorError::Input(format!("cannot open {label}: {e}")))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if start.offset > len {
            return Err(ConnectorError::Input(format!(
                "{label} is shorter than where reading stopped: the file was replaced; run again with --restart"
            )));
        }
        file.seek(SeekFrom::Start(start.offset))?;
        let mut reader = BufReader::new(file);
        let mut page = SourcePage::default();
        let mut pos = start;
        let mut line = Vec::new();
        while page.records.len() < limit.max(1) {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                return Ok(page);
            }
            let at = pos.line;
            pos = Pos {
                offset: pos.offset + n as u64,
                line: pos.line + 1,
            };
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let parsed = match self.entity {
                Entity::Pages => serde_json::from_slice(&line).map(Record::Page),
                _ => serde_json::from_slice(&line).map(Record::BlogPost),
            };
            match parsed {
                Ok(r) => page.records.push(r),
                Err(e) => page.findings.push(
                    Finding::new(
                        Severity::Blocking,
                        "bad_json",
                        format!(
                            "line is not a {} record ({e}); it was skipped: fix the line",
                            self.entity
                        ),
                    )
                    .at(Location {
                        file: label.clone(),
                        line: at,
                        column: None,
                    }),
                ),
            }
        }
        // Only say there is more when there is: an exhausted file ends the entity.
        if reader.fill_buf().map(|b| !b.is_empty()).unwrap_or(false) {
            page.next = Some(pos.to_cursor());
        }
        Ok(page)
    }
}

macro_rules! jsonl_reader {
    ($name:ident, $entity:expr) => {
        /// Reads one canonical record per line.
        pub struct $name(JsonlReader);

        impl $name {
            pub fn new(path: PathBuf) -> Self {
                $name(JsonlReader {
                    entity: $entity,
                    path,
                })
            }
        }

        impl EntityReader for $name {
            fn entity(&self) -> Entity {
                $entity
            }
            fn describe(&self) -> String {
                self.0.path.display().to_string()
            }
            fn read_page(
                &mut self,
                cursor: Option<&crate::Cursor>,
                limit: usize,
            ) -> Result<SourcePage> {
                self.0.read_page(cursor, limit)
            }
        }
    };
}

jsonl_reader!(PageReader, Entity::Pages);
jsonl_reader!(BlogPostReader, Entity::BlogPosts);
