//! Entities the runtime derives rather than reads: the category tree of a source that only
//! names categories inside products (WooCommerce's product CSV), and the redirect map built
//! from the id map once everything with a URL has moved.

use crate::agents::analysis::Analysis;
use crate::runtime::{Ctx, Halt};
use crate::store::{entity_prefix, IdMapEntry, T};
use serde_json::json;
use storeshift_connectors::model::{Category, Entity, Platform, Record, Redirect, SourceRef};
use storeshift_connectors::{platform, Cursor, SourcePage};

/// Entities whose records have storefront URLs, in the order redirects are listed.
pub const WITH_URLS: [Entity; 4] = [
    Entity::Categories,
    Entity::Products,
    Entity::Pages,
    Entity::BlogPosts,
];

pub fn page(
    ctx: &Ctx,
    entity: Entity,
    analysis: &Analysis,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<SourcePage, Halt> {
    match entity {
        Entity::Categories => Ok(categories(ctx.cfg.source.platform, analysis, cursor, limit)),
        Entity::Redirects => redirects(ctx, cursor, limit),
        _ => Ok(SourcePage::default()),
    }
}

/// A category record for a path, with the URL it has on the source platform.
pub fn category_for(source: Platform, path: &[String]) -> Category {
    let slugs: Vec<String> = path
        .iter()
        .map(|n| platform::normalize_handle(source, n))
        .collect();
    let handle = slugs.last().cloned().unwrap_or_default();
    let parents = &slugs[..slugs.len().saturating_sub(1)];
    Category {
        source: SourceRef::with_url(
            path.join(" > "),
            platform::url_path(source, Entity::Categories, &handle, parents),
        ),
        handle,
        path: path.to_vec(),
        ..Default::default()
    }
}

fn categories(
    source: Platform,
    analysis: &Analysis,
    cursor: Option<&Cursor>,
    limit: usize,
) -> SourcePage {
    let start = cursor
        .and_then(|c| c.get("index"))
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize;
    let all: Vec<&Vec<String>> = analysis.categories.iter().collect();
    let end = (start + limit).min(all.len());
    let records = all[start.min(end)..end]
        .iter()
        .map(|p| Record::Category(category_for(source, p)))
        .collect();
    SourcePage {
        records,
        findings: vec![],
        next: (end < all.len()).then(|| json!({ "index": end })),
    }
}

/// Where a record that was left out sends its visitors: the catalog root of the target.
pub fn fallback_url(target: Platform) -> &'static str {
    match target {
        Platform::Shopify => "/collections/all",
        Platform::WooCommerce => "/shop/",
        _ => "/",
    }
}

/// The redirect a moved (or left-out) record needs, if its URL changed.
pub fn redirect_for(target: Platform, entity: Entity, entry: &IdMapEntry) -> Option<Redirect> {
    let from = entry.source_url.clone()?;
    let to = match entry
        .handle
        .as_deref()
        .filter(|h| !entry.target_id.is_empty() && !h.is_empty())
    {
        Some(handle) => platform::url_path(target, entity, handle, &[]),
        None => fallback_url(target).to_string(),
    };
    (from != to).then(|| Redirect {
        source: SourceRef::new(from.clone()),
        from,
        to,
    })
}

fn redirects(ctx: &Ctx, cursor: Option<&Cursor>, limit: usize) -> Result<SourcePage, Halt> {
    let target = ctx.cfg.target.platform;
    let mut ent_idx = cursor
        .and_then(|c| c.get("entity"))
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize;
    let mut after: Option<Vec<u8>> = cursor
        .and_then(|c| c.get("after"))
        .and_then(|v| v.as_str())
        .and_then(hex_decode);
    let mut records = vec![];
    while ent_idx < WITH_URLS.len() {
        let entity = WITH_URLS[ent_idx];
        let prefix = entity_prefix(entity);
        let tree = ctx.store.tree(T::IdMap);
        let iter: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = match &after {
            Some(k) => Box::new(
                tree.from(std::ops::Bound::Excluded(k.as_slice()))
                    .take_while({
                        let prefix = prefix.clone();
                        move |r| {
                            r.as_ref()
                                .map(|(k, _)| k.starts_with(&prefix))
                                .unwrap_or(true)
                        }
                    }),
            ),
            None => Box::new(tree.scan_prefix(&prefix)),
        };
        let mut exhausted = true;
        for item in iter {
            let (k, v) = item.map_err(|e| Halt::Failed(e.to_string()))?;
            after = Some(k.to_vec());
            let Ok(entry) = serde_json::from_slice::<IdMapEntry>(&v) else {
                continue;
            };
            if entry.last_run != ctx.run {
                continue;
            }
            if let Some(r) = redirect_for(target, entity, &entry) {
                records.push(Record::Redirect(r));
            }
            if records.len() >= limit {
                exhausted = false;
                break;
            }
        }
        if !exhausted {
            let next = json!({ "entity": ent_idx, "after": hex_encode(after.as_deref().unwrap_or_default()) });
            return Ok(SourcePage {
                records,
                findings: vec![],
                next: Some(next),
            });
        }
        ent_idx += 1;
        after = None;
    }
    Ok(SourcePage {
        records,
        findings: vec![],
        next: None,
    })
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
