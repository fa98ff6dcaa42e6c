//! The category tree, as the product export implies it: WooCommerce exports no category file,
//! but every product lists its categories as paths ("Clothing > Women > Knitwear"). Each
//! distinct path, and every path above it, becomes a [`Category`] in order of first appearance,
//! parents before children, with its storefront URL (`/product-category/clothing/women/`) for
//! redirects. Slugs are made from the names as WooCommerce makes them when none is given.

use crate::connector::{ConnectorError, Cursor, Result, SourcePage};
use crate::files::cells::ColumnGuards;
use crate::files::table::push_row;
use crate::files::table::TableFile;
use crate::files::{EntityReader, EntityWriter};
use crate::model::{Category, Entity, Platform, Record, SourceRef};
use crate::platform;

pub struct CategoryReader {
    table: TableFile,
    /// The file's scan, which holds the paths (shared with the product reader).
    paths: Option<std::sync::Arc<super::scan::Scan>>,
}

impl CategoryReader {
    pub fn new(table: TableFile) -> Result<CategoryReader> {
        table.require(&["Categories"], "WooCommerce product")?;
        Ok(CategoryReader {
            table: table.with_guard(Some(platform::woocommerce::EXPORT_GUARD)),
            paths: None,
        })
    }
}

fn category(path: &[String]) -> Category {
    let handles: Vec<String> = path
        .iter()
        .map(|n| platform::normalize_handle(Platform::WooCommerce, n))
        .collect();
    let (handle, parents) = handles
        .split_last()
        .map(|(h, p)| (h.clone(), p.to_vec()))
        .unwrap_or_default();
    let url = platform::url_path(Platform::WooCommerce, Entity::Categories, &handle, &parents);
    Category {
        source: SourceRef::with_url(path.join(" > "), url),
        handle,
        path: path.to_vec(),
        ..Category::default()
    }
}

impl EntityReader for CategoryReader {
    fn entity(&self) -> Entity {
        Entity::Categories
    }

    fn describe(&self) -> String {
        self.table.display().to_string()
    }

    fn read_page(&mut self, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage> {
        if self.paths.is_none() {
            self.paths = Some(super::scan::of(&self.table)?);
        }
        let paths: &[Vec<String>] = self
            .paths
            .as_deref()
            .map(|s| s.categories.as_slice())
            .unwrap_or_default();
        let start = match cursor {
            None => 0,
            Some(c) => c.get("index").and_then(|v| v.as_u64()).ok_or_else(|| {
                ConnectorError::Input(format!(
                    "the saved position for the categories of {} is not one this reader wrote; \
                     restart the extraction with --restart",
                    self.table.display()
                ))
            })? as usize,
        };
        let end = start.saturating_add(limit.max(1)).min(paths.len());
        let records = paths
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|p| Record::Category(category(p)))
            .collect();
        Ok(SourcePage {
            records,
            findings: vec![],
            next: (end < paths.len()).then(|| serde_json::json!({ "index": end })),
        })
    }
}

/// WooCommerce's product importer creates categories from the product file's paths, so no
/// import file is needed; this writes `categories.csv` (path, slug) as the operator's record of
/// the tree the products will create, and so categories are never reported as failed.
pub struct CategoryWriter {
    guards: ColumnGuards,
}

const CATEGORY_COLUMNS: [&str; 2] = ["Path", "Slug"];

impl CategoryWriter {
    /// The list written next to import files (nothing imports it; no guards).
    pub fn for_import() -> Self {
        CategoryWriter {
            guards: ColumnGuards::import(
                Platform::WooCommerce,
                "categories.csv",
                &CATEGORY_COLUMNS,
            ),
        }
    }
}

impl EntityWriter for CategoryWriter {
    fn entity(&self) -> Entity {
        Entity::Categories
    }

    fn file_name(&self) -> String {
        "categories.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut out = vec![];
        push_row(&mut out, &CATEGORY_COLUMNS, b',');
        out
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Category(c) = record else {
            return Err(format!("the category list cannot hold {}", record.entity()));
        };
        self.guards
            .push_row(out, &[c.path_string(), c.handle.clone()], b',');
        Ok(c.handle.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_comes_from_the_product_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(
            &p,
            "ID,Type,Name,Categories\n1,simple,A,\"Clothing > Women > Knitwear, Sale\"\n\
             2,simple,B,Clothing > Men\n3,simple,C,Kadın Giyim > Örgü\n",
        )
        .unwrap();
        let mut r = CategoryReader::new(TableFile::open(&p, None).unwrap()).unwrap();
        let mut all = vec![];
        let mut cursor = None;
        loop {
            let page = r.read_page(cursor.as_ref(), 2).unwrap();
            all.extend(page.records);
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let cats: Vec<Category> = all
            .into_iter()
            .filter_map(|r| match r {
                Record::Category(c) => Some(c),
                _ => None,
            })
            .collect();
        let names: Vec<String> = cats.iter().map(|c| c.path_string()).collect();
        assert_eq!(
            names,
            [
                "Clothing",
                "Clothing > Women",
                "Clothing > Women > Knitwear",
                "Sale",
                "Clothing > Men",
                "Kadın Giyim",
                "Kadın Giyim > Örgü"
            ]
        );
        assert_eq!(
            cats[2].source.url_path.as_deref(),
            Some("/product-category/clothing/women/knitwear/")
        );
        assert_eq!(cats[6].handle, "örgü");
        assert_eq!(
            cats[6].source.url_path.as_deref(),
            Some("/product-category/kadın-giyim/örgü/")
        );
    }
}
