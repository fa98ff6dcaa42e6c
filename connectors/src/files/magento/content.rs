//! Magento categories and CMS pages in the CSV layout of Magento's own sample data
//! (`magento2-sample-data`, CatalogSampleData `categories.csv` and CmsSampleData `pages.csv`),
//! which is also what category/page import extensions read: Magento's built-in import has no
//! entity for either.
//!
//! Categories: `name`, `url_key`, `path` (the parent's names joined by `/`, empty at the top),
//! `active`, `position`. Pages: `title`, `identifier` (the URL key), `content`,
//! `content_heading`, `meta_title`, `meta_keywords`, `meta_description`, `is_active`.

use crate::connector::Result;
use crate::files::loaded::{all_rows, cell, cell_finding, col, header_bytes, Ctx, OutRow, Parsed};
use crate::files::table::TableFile;
use crate::files::EntityWriter;
use crate::finding::Severity;
use crate::model::{Category, Entity, Page, Platform, Record, Seo, SourceRef};
use crate::platform;

pub const CATEGORY_HEADER: &[&str] = &[
    "name",
    "url_key",
    "path",
    "active",
    "is_anchor",
    "include_in_menu",
    "position",
    "description",
    "meta_title",
    "meta_description",
];

pub const PAGE_HEADER: &[&str] = &[
    "title",
    "page_layout",
    "meta_title",
    "meta_keywords",
    "meta_description",
    "identifier",
    "content_heading",
    "content",
    "is_active",
];

pub fn parse_categories(table: &TableFile, _ctx: &Ctx) -> Result<Parsed> {
    table.require(&["name", "path"], "Magento category")?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (name, key, path, pos, desc, mt, md) = (
        c("name"),
        c("url_key"),
        c("path"),
        c("position"),
        c("description"),
        c("meta_title"),
        c("meta_description"),
    );
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    let mut seen = std::collections::HashMap::new();
    for row in &rows {
        let n = cell(row, name);
        if n.is_empty() {
            out.note(cell_finding(
                table,
                row,
                name,
                Severity::Warning,
                "missing_name",
                "category has no name; the row was skipped",
            ));
            continue;
        }
        let mut p: Vec<String> = cell(row, path)
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        p.push(n.to_string());
        let handle = row
            .opt(key)
            .map(str::to_string)
            .unwrap_or_else(|| platform::normalize_handle(Platform::Magento, n));
        if let Some(line) = seen.insert(p.join("/"), row.line) {
            out.note(cell_finding(
                table,
                row,
                name,
                Severity::Warning,
                "duplicate_category",
                format!("category {} is also on line {line}", p.join("/")),
            ));
        }
        let mut f = vec![];
        let position = table.integer(row, pos, &mut f);
        for x in f {
            out.note(x);
        }
        out.records.push(Record::Category(Category {
            source: SourceRef::with_url(
                p.join("/"),
                platform::url_path(Platform::Magento, Entity::Categories, &handle, &[]),
            ),
            handle,
            path: p,
            description_html: row.get(desc).to_string(),
            seo: Seo {
                title: row.opt(mt).map(str::to_string),
                description: row.opt(md).map(str::to_string),
            },
            position,
            image: None,
        }));
    }
    Ok(out)
}

pub fn parse_pages(table: &TableFile, _ctx: &Ctx) -> Result<Parsed> {
    table.require(&["title", "identifier"], "Magento CMS page")?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (title, ident, content, mt, mk, md, active) = (
        c("title"),
        c("identifier"),
        c("content"),
        c("meta_title"),
        c("meta_keywords"),
        c("meta_description"),
        c("is_active"),
    );
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    for row in &rows {
        let id = cell(row, ident);
        if id.is_empty() {
            out.note(cell_finding(
                table,
                row,
                ident,
                Severity::Warning,
                "missing_identifier",
                "page has no identifier (URL key); the row was skipped",
            ));
            continue;
        }
        if mk.is_some_and(|_| !cell(row, mk).is_empty()) {
            out.note(cell_finding(
                table,
                row,
                mk,
                Severity::Info,
                "meta_keywords_not_carried",
                format!("page {id}: meta keywords have no place in the canonical page and are not carried"),
            ));
        }
        out.records.push(Record::Page(Page {
            source: SourceRef::with_url(
                id,
                platform::url_path(Platform::Magento, Entity::Pages, id, &[]),
            ),
            handle: id.to_string(),
            title: cell(row, title).to_string(),
            body_html: row.get(content).to_string(),
            published: cell(row, active) != "0",
            seo: Seo {
                title: row.opt(mt).map(str::to_string),
                description: row.opt(md).map(str::to_string),
            },
            created_at: None,
        }));
    }
    Ok(out)
}

pub struct CategoryWriter;

impl EntityWriter for CategoryWriter {
    fn entity(&self) -> Entity {
        Entity::Categories
    }
    fn file_name(&self) -> String {
        "categories.csv".into()
    }
    fn header(&self) -> Vec<u8> {
        header_bytes(CATEGORY_HEADER, b',')
    }
    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Category(c) = record else {
            return Err("not a category".into());
        };
        if let Some(n) = c.path.iter().find(|n| n.contains('/')) {
            return Err(format!(
                "category name \"{n}\" contains '/', which separates the path"
            ));
        }
        let mut row = OutRow::new(CATEGORY_HEADER);
        row.set("name", c.name())
            .set("url_key", c.handle.clone())
            .set("path", c.parent_path().join("/"))
            .set("active", "1")
            .set("is_anchor", "1")
            .set("include_in_menu", "1")
            .set(
                "position",
                c.position.map(|p| p.to_string()).unwrap_or_default(),
            )
            .set("description", c.description_html.clone())
            .set("meta_title", c.seo.title.clone().unwrap_or_default())
            .set(
                "meta_description",
                c.seo.description.clone().unwrap_or_default(),
            );
        row.write(out, b',');
        Ok(c.handle.clone())
    }
}

pub struct PageWriter;

impl EntityWriter for PageWriter {
    fn entity(&self) -> Entity {
        Entity::Pages
    }
    fn file_name(&self) -> String {
        "cms_pages.csv".into()
    }
    fn header(&self) -> Vec<u8> {
        header_bytes(PAGE_HEADER, b',')
    }
    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Page(p) = record else {
            return Err("not a page".into());
        };
        let mut row = OutRow::new(PAGE_HEADER);
        row.set("title", p.title.clone())
            .set("page_layout", "1column")
            .set("meta_title", p.seo.title.clone().unwrap_or_default())
            .set(
                "meta_description",
                p.seo.description.clone().unwrap_or_default(),
            )
            .set("identifier", p.handle.clone())
            .set("content", p.body_html.clone())
            .set("is_active", if p.published { "1" } else { "0" });
        row.write(out, b',');
        Ok(p.handle.clone())
    }
}
