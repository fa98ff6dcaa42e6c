//! Collections: the store's categories as automated ("smart") collections in the Matrixify
//! "Smart Collections" sheet layout — Shopify's own CSV import has no collections. Each
//! collection selects products by a tag holding its full path ("Clothing > Women"); products
//! are tagged with every category path they belong to and its ancestors, so the tree survives
//! as browsable collections with their own URLs.

use super::csvin::{cell_finding, require_columns, CsvIn, Pos};
use super::{Assemble, CsvOut, CsvReader};
use crate::connector::Result;
use crate::files::EntityWriter;
use crate::finding::{Finding, Severity};
use crate::model::{Category, Entity, Record, Seo, SourceRef};
use std::path::PathBuf;

pub const COLLECTION_HEADER: [&str; 11] = [
    "Handle",
    "Command",
    "Title",
    "Body HTML",
    "Sort Order",
    "Published",
    "Must Match",
    "Rule: Product Column",
    "Rule: Relation",
    "Rule: Condition",
    "Metafield: title_tag [string]",
];

/// Writes `collections.csv`.
pub struct CollectionWriter {
    csv: CsvOut,
}

impl CollectionWriter {
    pub fn new() -> Self {
        CollectionWriter { csv: CsvOut::new() }
    }
}

impl Default for CollectionWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl EntityWriter for CollectionWriter {
    fn entity(&self) -> Entity {
        Entity::Categories
    }

    fn file_name(&self) -> String {
        "collections.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut h = COLLECTION_HEADER.to_vec();
        h.push("Metafield: description_tag [string]");
        h.push("Path");
        CsvOut::bytes_of(h)
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Category(c) = record else {
            return Err(format!("collections.csv cannot hold {}", record.entity()));
        };
        let title = c.name().trim();
        if c.handle.trim().is_empty() || title.is_empty() {
            return Err(format!(
                "category \"{}\" has no name or handle",
                c.path_string()
            ));
        }
        self.csv.row(
            [
                c.handle.as_str(),
                "MERGE",
                title,
                c.description_html.as_str(),
                "best-selling",
                "TRUE",
                "all conditions",
                "Tag",
                "Equals",
                // Products carry their category paths as tags (see the runtime's transform).
                &c.path.join(" > "),
                c.seo.title.as_deref().unwrap_or(""),
                c.seo.description.as_deref().unwrap_or(""),
                // The full path keeps the tree, which Shopify collections do not have.
                &c.path.join(" > "),
            ],
            out,
        );
        Ok(c.handle.clone())
    }
}

/// Reads a smart collections sheet back.
pub struct CollectionReader(CsvReader<CollectionRows>);

impl CollectionReader {
    pub fn new(path: PathBuf) -> Self {
        CollectionReader(CsvReader::new(Entity::Categories, path, String::new()))
    }

    pub fn with_encoding(self, encoding: Option<String>) -> Self {
        CollectionReader(self.0.with_encoding(encoding))
    }
}

impl crate::files::EntityReader for CollectionReader {
    fn entity(&self) -> Entity {
        Entity::Categories
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn read_page(
        &mut self,
        cursor: Option<&crate::Cursor>,
        limit: usize,
    ) -> Result<crate::SourcePage> {
        self.0.read_page(cursor, limit)
    }
}

pub(crate) struct CollectionRows {
    handle: Option<usize>,
    title: Option<usize>,
    body: Option<usize>,
    path: Option<usize>,
    seo_title: Option<usize>,
    seo_description: Option<usize>,
}

impl Assemble for CollectionRows {
    fn start(input: &CsvIn, _currency: &str) -> Result<Self> {
        let handle = input.column(&["Handle"]);
        let title = input.column(&["Title"]);
        require_columns(input, &[("Handle", handle), ("Title", title)])?;
        Ok(CollectionRows {
            handle,
            title,
            body: input.column(&["Body HTML"]),
            path: input.column(&["Path"]),
            seo_title: input.column(&["Metafield: title_tag [string]"]),
            seo_description: input.column(&["Metafield: description_tag [string]"]),
        })
    }

    fn next(&mut self, input: &mut CsvIn, f: &mut Vec<Finding>) -> Result<Option<Record>> {
        loop {
            let Some(row) = input.next_row(f)? else {
                return Ok(None);
            };
            let (handle, title) = (row.get(self.handle), row.get(self.title));
            if handle.is_empty() || title.is_empty() {
                f.push(cell_finding(
                    input,
                    &row,
                    if handle.is_empty() {
                        self.handle
                    } else {
                        self.title
                    },
                    Severity::Warning,
                    "incomplete_collection",
                    "collection lacks a handle or title and was skipped",
                ));
                continue;
            }
            let path: Vec<String> = match row.get(self.path) {
                "" => vec![title.to_string()],
                p => p.split(" > ").map(str::to_string).collect(),
            };
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            return Ok(Some(Record::Category(Category {
                source: SourceRef::new(handle),
                handle: handle.to_string(),
                path,
                description_html: row.get(self.body).to_string(),
                seo: Seo {
                    title: opt(row.get(self.seo_title)),
                    description: opt(row.get(self.seo_description)),
                },
                position: None,
                image: None,
            })));
        }
    }

    fn resume_point(&self, input: &CsvIn) -> Pos {
        input.position()
    }
}
