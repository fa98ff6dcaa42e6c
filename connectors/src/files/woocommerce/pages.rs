//! WordPress pages as a WP All Export-style CSV (WooCommerce stores keep their content pages in
//! WordPress): `ID, Title, Slug, Content, Status, Date, SEO Title, SEO Description`.
//!
//! `post_name` is accepted for `Slug`; without either, the slug is made from the title. Status
//! `publish` is published, anything else (draft, pending, private) is not. The SEO columns are
//! Yoast's title and meta description; `_yoast_wpseo_title` / `_yoast_wpseo_metadesc` headers
//! are accepted too.

use super::{date_field, field, opt_field, percent_decode, RowReader};
use crate::connector::Result;
use crate::files::cells::ColumnGuards;
use crate::files::dates::{DateReader, DayOrder};
use crate::files::table::{push_row, TableFile};
use crate::files::EntityWriter;
use crate::model::{Entity, Page, Platform, Record, Seo, SourceRef, Zone};
use crate::platform;
use crate::platform::woocommerce::{DATE_FORMAT, POST_DATE_CLOCK};

pub const COLUMNS: &[&str] = &[
    "ID",
    "Title",
    "Slug",
    "Content",
    "Status",
    "Date",
    "SEO Title",
    "SEO Description",
];

pub fn reader(table: TableFile, zone: Option<Zone>) -> Result<RowReader> {
    let dates = DateReader::new(zone, DayOrder::DayFirst);
    table.require(&["Title", "Content"], "WordPress pages")?;
    Ok(RowReader::new(
        Entity::Pages,
        table,
        Box::new(move |t, row, findings| {
            let h = t.header();
            let title = field(row, h.get("Title")).to_string();
            let handle = match opt_field(row, h.any(&["Slug", "post_name"])) {
                Some(s) => percent_decode(&s),
                None => platform::normalize_handle(Platform::WooCommerce, &title),
            };
            let id = opt_field(row, h.any(&["ID", "post_id"])).unwrap_or_else(|| handle.clone());
            let status = field(row, h.any(&["Status", "post_status"])).to_ascii_lowercase();
            Some(Record::Page(Page {
                source: SourceRef::with_url(
                    id,
                    platform::url_path(Platform::WooCommerce, Entity::Pages, &handle, &[]),
                ),
                handle,
                title,
                body_html: row.get(h.get("Content")).to_string(),
                published: status.is_empty() || status == "publish",
                seo: Seo {
                    title: opt_field(row, h.any(&["SEO Title", "_yoast_wpseo_title"])),
                    description: opt_field(
                        row,
                        h.any(&["SEO Description", "_yoast_wpseo_metadesc"]),
                    ),
                },
                created_at: date_field(
                    &dates,
                    t,
                    row,
                    h.any(&["Date", "post_date"]),
                    POST_DATE_CLOCK,
                    findings,
                ),
            }))
        }),
    ))
}

/// Writes pages in the layout [`reader`] reads.
pub struct PageWriter {
    guards: ColumnGuards,
    zone: Option<Zone>,
}

impl PageWriter {
    /// For WP All Import, which is not known to take a guard off: none is written.
    pub fn for_import() -> Self {
        PageWriter {
            guards: ColumnGuards::import(Platform::WooCommerce, "pages.csv", COLUMNS),
            zone: None,
        }
    }

    /// As an export plugin writes the file: every column guarded (the demo store).
    pub fn for_export() -> Self {
        PageWriter {
            guards: ColumnGuards::export(Platform::WooCommerce, COLUMNS),
            zone: None,
        }
    }

    /// Page dates written on the clock of `zone` (the target site's); UTC without one, the
    /// clock the reader assumes when no zone is configured.
    pub fn in_zone(mut self, zone: Option<Zone>) -> Self {
        self.zone = zone;
        self
    }
}

impl EntityWriter for PageWriter {
    fn entity(&self) -> Entity {
        Entity::Pages
    }

    fn file_name(&self) -> String {
        "pages.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut out = vec![];
        push_row(&mut out, COLUMNS, b',');
        out
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Page(p) = record else {
            return Err(format!(
                "the WordPress pages file cannot hold {}",
                record.entity()
            ));
        };
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let row = [
            p.source.id.clone(),
            p.title.clone(),
            p.handle.clone(),
            p.body_html.clone(),
            if p.published { "publish" } else { "draft" }.to_string(),
            p.created_at
                .map(|t| t.format_local(Some(self.zone.unwrap_or(Zone::UTC)), DATE_FORMAT))
                .unwrap_or_default(),
            s(&p.seo.title),
            s(&p.seo.description),
        ];
        self.guards.push_row(out, &row, b',');
        Ok(p.handle.clone())
    }
}
