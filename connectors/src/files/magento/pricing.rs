//! Magento 2 advanced pricing import/export CSV (System > Data Transfer, entity "Advanced
//! Pricing"): one row per tier price, `sku`, `tier_price_website` ("All Websites [USD]" or a
//! website code), `tier_price_customer_group` ("ALL GROUPS" or a group name),
//! `tier_price_qty`, `tier_price` and `tier_price_value_type` (`Fixed` or `Discount`, a
//! percentage; older exports have no such column and every price is fixed).
//!
//! Next to a catalog_product file the tiers join the variants with their SKU. Read alone, each
//! SKU becomes a product known only by its SKU and tier prices, marked
//! [`facts::PRICING_ONLY`]: a Magento target writes its tiers alone (the import updates the
//! products by SKU), other targets refuse it rather than create products named after SKUs.

use crate::connector::Result;
use crate::files::loaded::{all_rows, cell, col, fmt_decimal, header_bytes, Ctx, OutRow, Parsed};
use crate::files::table::{Header, TableFile};
use crate::finding::{Finding, Severity};
use crate::model::{Money, Platform, PriceTier, Product, Record, SourceRef, TierPrice, Variant};
use crate::platform::{self, magento as facts};
use std::collections::HashMap;

pub const HEADER: &[&str] = &[
    "sku",
    "tier_price_website",
    "tier_price_customer_group",
    "tier_price_qty",
    "tier_price",
    "tier_price_value_type",
];

/// Whether a header is the advanced pricing file's.
pub fn is_pricing_file(h: &Header) -> bool {
    h.has("sku") && h.has("tier_price") && !h.has("product_type")
}

/// The tiers of a file by SKU, in file order, with the line each SKU first appears on.
fn read_tiers(
    table: &TableFile,
    ctx: &Ctx,
    out: &mut Parsed,
) -> Result<Vec<(String, u64, Vec<PriceTier>)>> {
    table.require(
        &["sku", "tier_price_qty", "tier_price"],
        "Magento advanced pricing",
    )?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (sku, website, group, qty, price, kind) = (
        c("sku"),
        c("tier_price_website"),
        c("tier_price_customer_group"),
        c("tier_price_qty"),
        c("tier_price"),
        c("tier_price_value_type"),
    );
    let mut order: Vec<(String, u64, Vec<PriceTier>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for row in all_rows(table, out)? {
        let s = cell(&row, sku);
        let bad = |column: Option<usize>, code: &str, msg: String| {
            table.finding(Severity::Warning, code, row.line, column, msg)
        };
        if s.is_empty() {
            out.note(bad(
                sku,
                "missing_sku",
                "tier price without a sku; Magento names the product by SKU, so the row was skipped"
                    .into(),
            ));
            continue;
        }
        let mut f = Vec::new();
        let (q, p) = (
            table.decimal(&row, qty, &mut f),
            table.decimal(&row, price, &mut f),
        );
        for x in f {
            out.note(x);
        }
        let (Some(q), Some(p)) = (q, p) else {
            out.note(bad(
                if q.is_none() { qty } else { price },
                "tier_price_incomplete",
                format!("tier price of {s} has no quantity or no price; the row was skipped"),
            ));
            continue;
        };
        let (site, currency) = facts::tier_website(cell(&row, website));
        let value = cell(&row, kind);
        let price = if value.is_empty() || value.eq_ignore_ascii_case(facts::TIER_FIXED) {
            TierPrice::Fixed(Money::new(
                p,
                currency.unwrap_or_else(|| ctx.currency.clone()),
            ))
        } else if value.eq_ignore_ascii_case(facts::TIER_DISCOUNT) {
            TierPrice::PercentOff(p)
        } else {
            out.note(bad(
                kind,
                "tier_price_type",
                format!(
                    "\"{value}\" is not a tier price type; write {} or {} (the row was skipped)",
                    facts::TIER_FIXED,
                    facts::TIER_DISCOUNT
                ),
            ));
            continue;
        };
        let g = cell(&row, group);
        let tier = PriceTier {
            min_quantity: q,
            customer_group: (!g.is_empty() && !g.eq_ignore_ascii_case(facts::ALL_GROUPS))
                .then(|| g.to_string()),
            website: site,
            price,
        };
        match at.get(s) {
            Some(&i) => order[i].2.push(tier),
            None => {
                at.insert(s.to_string(), order.len());
                order.push((s.to_string(), row.line, vec![tier]));
            }
        }
    }
    Ok(order)
}

/// A product known only by its SKU and tier prices.
fn pricing_only(sku: &str, tiers: Vec<PriceTier>) -> Product {
    let mut p = Product {
        source: SourceRef::new(sku),
        handle: platform::normalize_handle(Platform::Magento, sku),
        title: sku.to_string(),
        variants: vec![Variant {
            sku: Some(sku.to_string()),
            requires_shipping: true,
            taxable: true,
            price_tiers: crate::model::PriceTiers(tiers),
            ..Variant::default()
        }],
        ..Product::default()
    };
    p.attributes
        .insert(facts::PRICING_ONLY.to_string(), "1".to_string());
    p
}

/// An advanced pricing file read alone.
pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    let mut out = Parsed::default();
    let skus = read_tiers(table, ctx, &mut out)?;
    let tiers: usize = skus.iter().map(|(_, _, t)| t.len()).sum();
    let n = skus.len();
    for (sku, _, t) in skus {
        out.records.push(Record::Product(pricing_only(&sku, t)));
    }
    out.findings.push((
        0,
        Finding::new(
            Severity::Warning,
            "tier_prices_without_products",
            format!(
                "{}: {tiers} tier price(s) of {n} SKU(s) without their products: this is an \
                 advanced pricing file without catalog_product.csv. Magento targets get the tier \
                 prices alone; give the catalog file with it to move the products to another \
                 platform",
                table.display()
            ),
        )
        .at(table.location(table.header_line(), None)),
    ));
    Ok(out)
}

/// Joins an advanced pricing file into the products read from a catalog file: each tier goes
/// to every variant with its SKU (a configurable's own SKU counts for its single-variant form).
pub fn join(table: &TableFile, ctx: &Ctx, out: &mut Parsed) -> Result<()> {
    let mut found = Parsed::default();
    let skus = read_tiers(table, ctx, &mut found)?;
    let at_end = out.records.len();
    out.findings
        .extend(found.findings.into_iter().map(|(_, f)| (at_end, f)));
    let mut by_sku: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, r) in out.records.iter().enumerate() {
        if let Record::Product(p) = r {
            for (j, v) in p.variants.iter().enumerate() {
                if let Some(s) = &v.sku {
                    by_sku.entry(s.clone()).or_default().push((i, j));
                }
            }
        }
    }
    for (sku, line, tiers) in skus {
        match by_sku.get(&sku) {
            Some(places) => {
                for &(i, j) in places {
                    if let Some(Record::Product(p)) = out.records.get_mut(i) {
                        if let Some(v) = p.variants.get_mut(j) {
                            v.price_tiers.extend(tiers.iter().cloned());
                        }
                    }
                }
            }
            None => {
                out.findings.push((
                    out.records.len(),
                    table.finding(
                        Severity::Warning,
                        "tier_price_sku_unknown",
                        line,
                        table.header().get("sku"),
                        format!(
                            "SKU \"{sku}\" has tier prices but no product or variant in the \
                             catalog file; it was read as a product known only by its tier prices"
                        ),
                    ),
                ));
                out.records.push(Record::Product(pricing_only(&sku, tiers)));
            }
        }
    }
    Ok(())
}

/// The advanced_pricing.csv rows of one variant.
pub fn write_rows(sku: &str, v: &Variant, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    for t in v.price_tiers.iter() {
        let (price, kind, currency) = match &t.price {
            TierPrice::Fixed(m) => (m.amount, facts::TIER_FIXED, Some(m.currency.as_str())),
            TierPrice::PercentOff(p) => (*p, facts::TIER_DISCOUNT, None),
        };
        let website = match (&t.website, currency) {
            (Some(w), _) => w.clone(),
            (None, Some(c)) => format!("{} [{c}]", facts::ALL_WEBSITES),
            (None, None) => facts::ALL_WEBSITES.to_string(),
        };
        let mut row = OutRow::new(HEADER);
        row.set("sku", sku)
            .set("tier_price_website", website)
            .set(
                "tier_price_customer_group",
                t.customer_group.as_deref().unwrap_or(facts::ALL_GROUPS),
            )
            .set("tier_price_qty", fmt_decimal(t.min_quantity))
            .set("tier_price", fmt_decimal(price))
            .set("tier_price_value_type", kind);
        row.write(out, b',');
    }
    Ok(())
}

/// The header of advanced_pricing.csv.
pub fn header() -> Vec<u8> {
    header_bytes(HEADER, b',')
}
