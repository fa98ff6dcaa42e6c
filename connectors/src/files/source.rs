use crate::connector::{Cursor, Result, Source, SourcePage};
use crate::model::{Entity, Platform};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Reads one entity out of one export file, page by page, from a resumable cursor.
/// The cursor is the reader's own (a byte offset and line number for CSV).
pub trait EntityReader: Send {
    fn entity(&self) -> Entity;
    /// The file this reader reads, for messages.
    fn describe(&self) -> String;
    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage>;
}

/// A source made of export files: one reader per entity.
pub struct FileSource {
    platform: Platform,
    description: String,
    readers: BTreeMap<Entity, Box<dyn EntityReader>>,
}

impl FileSource {
    pub fn new(
        platform: Platform,
        description: String,
        readers: Vec<Box<dyn EntityReader>>,
    ) -> Self {
        let readers = readers.into_iter().map(|r| (r.entity(), r)).collect();
        FileSource {
            platform,
            description,
            readers,
        }
    }
}

#[async_trait]
impl Source for FileSource {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn entities(&self) -> Vec<Entity> {
        self.readers.keys().copied().collect()
    }

    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        match self.readers.get_mut(&entity) {
            // File reads are short and sequential; running them inline keeps page order exact.
            Some(r) => r.read_page(cursor, limit),
            None => Ok(SourcePage::default()),
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}
