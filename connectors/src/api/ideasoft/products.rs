//! Products as the document models them: a main product found by slug; its options as option
//! groups (`/option_groups`) holding options (`/options`), which the main product and each
//! variant name in `optionGroups`; variants as child products (`parent`) found by SKU among the
//! main product's children (`?parent=`); the description as one `product_details` record found
//! by `?product=`.

use super::client::q;
use super::prices_to;
use super::target::{
    obj, outcome_of, put_ref, put_text, slug_for, Found, IdeasoftTarget, Key, Upserted,
};
use super::types;
use crate::connector::Result;
use crate::finding::Severity;
use crate::model::*;
use crate::platform::ideasoft::api::{MAX_SORT_ORDER, STOCK_TYPES};
use crate::platform::ideasoft::{currency_abbr, defaults};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// One option of a product resolved to Ideasoft ids: the group and the options it uses.
struct GroupUse {
    id: u64,
    title: String,
    options: Vec<(u64, String)>,
}

impl GroupUse {
    fn to_json(&self, only: Option<&str>) -> Value {
        let options: Vec<Value> = self
            .options
            .iter()
            .filter(|(_, t)| only.is_none_or(|o| o == t))
            .map(|(id, t)| json!({ "id": id, "title": t }))
            .collect();
        json!({ "id": self.id, "title": self.title, "options": options })
    }
}

fn number(d: Decimal) -> Value {
    d.to_f64().map(|f| json!(f)).unwrap_or(json!(0))
}

impl IdeasoftTarget {
    /// The fields a product and its variants share; every one the document requires.
    fn price_fields(&self, v: Option<&Variant>, currency_id: u64, unit: &str, tax: i64) -> Value {
        let price = v
            .and_then(|v| v.price.as_ref())
            .map(|m| m.amount)
            .unwrap_or_default();
        let compare = v
            .and_then(|v| v.compare_at_price.as_ref())
            .map(|m| m.amount);
        let (price1, discount, discount_type) = prices_to(price, compare);
        let mut body = json!({
            "price1": number(price1), "discount": number(discount), "discountType": discount_type,
            "currency": { "id": currency_id }, "taxIncluded": defaults::TAX_INCLUDED, "tax": tax,
            "stockTypeLabel": unit, "customShippingDisabled": defaults::CUSTOM_SHIPPING_DISABLED,
            "moneyOrderDiscount": defaults::MONEY_ORDER_DISCOUNT, "hasGift": defaults::HAS_GIFT,
            "categoryShowcaseStatus": defaults::CATEGORY_SHOWCASE_STATUS,
        });
        let o = obj(&mut body);
        if let Some(c) = v.and_then(|v| v.cost.as_ref()) {
            o.insert("buyingPrice".into(), number(c.amount.max(Decimal::ZERO)));
        }
        put_text(o, "barcode", v.and_then(|v| v.barcode.as_deref()));
        body
    }

    /// Stock as Ideasoft keeps it (never below 0), with the source's own amount when tracked.
    fn stock(&mut self, v: &Variant, p: &Product, r: &Record) -> i64 {
        match v.inventory {
            Some(n) if n < 0 => {
                self.note(Severity::Warning, "inventory_negative", format!("Ideasoft keeps no stock below 0: variant {} of \"{}\" had {n} and was given 0", v.sku.as_deref().unwrap_or("?"), p.title), r);
                0
            }
            Some(n) => n,
            None => self.untracked_stock.max(0),
        }
    }

    /// The option group titled `title`, created when the store has none.
    async fn option_group(&mut self, title: &str) -> Result<std::result::Result<u64, String>> {
        if self.option_groups.is_none() {
            let all: Vec<types::OptionGroup> = self.client.list_all("option_groups", &[]).await?;
            let mut m: std::collections::HashMap<String, Vec<u64>> = Default::default();
            for g in all {
                m.entry(g.title.trim().to_string()).or_default().push(g.id);
            }
            self.option_groups = Some(m);
        }
        let known = self
            .option_groups
            .as_ref()
            .and_then(|m| m.get(title))
            .cloned()
            .unwrap_or_default();
        match known.as_slice() {
            [id] => return Ok(Ok(*id)),
            [] => {}
            many => {
                return Ok(Err(super::client::ambiguous(
                    "option_groups",
                    "title",
                    title,
                    many,
                )
                .to_string()))
            }
        }
        let body = json!({
            "title": title, "sortOrder": 0, "filterStatus": defaults::OPTION_GROUP_FILTER_STATUS,
            "aggregator": defaults::OPTION_GROUP_AGGREGATOR, "options": [],
        });
        let created = self
            .create_once("option_groups", &body, &Key::OptionGroup(title))
            .await?;
        Ok(match created {
            Ok(id) => {
                if let Some(m) = self.option_groups.as_mut() {
                    m.entry(title.to_string()).or_default().push(id);
                }
                Ok(id)
            }
            Err(u) => Err(format!(
                "option group \"{title}\" was refused: {}",
                u.text("option_groups", "title", title)
            )),
        })
    }

    /// The option titled `title` in group `group`, created when the group has none.
    async fn option(
        &mut self,
        group: u64,
        title: &str,
        position: usize,
    ) -> Result<std::result::Result<u64, String>> {
        if !self.options.contains_key(&group) {
            let all: Vec<types::OptionValue> = self
                .client
                .list_all("options", &q(&[("optionGroup", group.to_string())]))
                .await?;
            let mut m: std::collections::HashMap<String, Vec<u64>> = Default::default();
            for o in all {
                m.entry(o.title.trim().to_string()).or_default().push(o.id);
            }
            self.options.insert(group, m);
        }
        let known = self.options[&group].get(title).cloned().unwrap_or_default();
        match known.as_slice() {
            [id] => return Ok(Ok(*id)),
            [] => {}
            many => {
                return Ok(Err(super::client::ambiguous(
                    "options", "title", title, many,
                )
                .to_string()))
            }
        }
        let body = json!({
            "title": title, "sortOrder": (position as i64).min(MAX_SORT_ORDER),
            "optionGroup": { "id": group },
        });
        let created = self
            .create_once("options", &body, &Key::Option { group, title })
            .await?;
        Ok(match created {
            Ok(id) => {
                if let Some(m) = self.options.get_mut(&group) {
                    m.entry(title.to_string()).or_default().push(id);
                }
                Ok(id)
            }
            Err(u) => Err(format!(
                "option \"{title}\" was refused: {}",
                u.text("options", "title", title)
            )),
        })
    }

    async fn option_uses(
        &mut self,
        p: &Product,
    ) -> Result<std::result::Result<Vec<GroupUse>, String>> {
        let mut uses = vec![];
        for o in &p.options {
            let title = o.name.trim();
            let gid = match self.option_group(title).await? {
                Ok(id) => id,
                Err(m) => return Ok(Err(m)),
            };
            let mut options = vec![];
            for (i, value) in o.values.iter().enumerate() {
                let value = value.trim();
                match self.option(gid, value, i).await? {
                    Ok(id) => options.push((id, value.to_string())),
                    Err(m) => return Ok(Err(m)),
                }
            }
            uses.push(GroupUse {
                id: gid,
                title: title.to_string(),
                options,
            });
        }
        Ok(Ok(uses))
    }

    pub(super) async fn write_product(
        &mut self,
        r: &Record,
        p: &Product,
    ) -> Result<crate::connector::WriteOutcome> {
        if p.title.trim().is_empty() {
            return Ok(self.refuse(
                "product_name_missing",
                "Ideasoft requires a product name; the source product has none: give it a title and run again".into(),
                r,
            ));
        }
        let first = p.variants.first();
        let iso = first
            .and_then(|v| v.price.as_ref())
            .map(|m| m.currency.clone())
            .unwrap_or_else(|| self.client.currency.clone());
        let Some(currency_id) = self.currency_id(&iso).await? else {
            return Ok(self.refuse(
                "currency_missing",
                format!(
                    "the Ideasoft store has no currency {} (add it under Ayarlar › Para Birimleri, then run again)",
                    currency_abbr(&iso)
                ),
                r,
            ));
        };
        let brand = match &p.vendor {
            Some(v) if !v.trim().is_empty() => {
                let id = self.brand_id(v).await?;
                if id.is_none() {
                    self.note(Severity::Warning, "brand_missing", format!("brand \"{v}\" does not exist in the Ideasoft store, so \"{}\" was written without one; create the brand (Ürünler › Markalar) and run again to link it", p.title), r);
                }
                id
            }
            _ => None,
        };
        let mut category_ids = vec![];
        for path in &p.categories {
            match self.category_at(path).await? {
                Found::One(id) => category_ids.push(json!({ "id": id })),
                Found::None => self.note(Severity::Warning, "category_missing", format!("category \"{}\" of \"{}\" is not in the Ideasoft store; migrate categories first or create it", path.join(" > "), p.title), r),
                Found::Many(ids) => self.note(Severity::Warning, "category_ambiguous", format!("{} Ideasoft categories are at \"{}\" (ids {ids:?}), so \"{}\" was not linked to any of them", ids.len(), path.join(" > "), p.title), r),
            }
        }
        let tax = p
            .attributes
            .get("ideasoft.tax")
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|t| *t >= 0)
            .unwrap_or(if first.is_none_or(|v| v.taxable) {
                self.tax_rate
            } else {
                0
            });
        let unit = match p.attributes.get("ideasoft.stock_unit") {
            Some(u) if STOCK_TYPES.contains(&u.as_str()) => u.clone(),
            Some(u) => {
                self.note(
                    Severity::Warning,
                    "stock_unit_unknown",
                    format!(
                        "Ideasoft has no stock unit \"{u}\"; \"{}\" counts in {} instead",
                        p.title,
                        defaults::STOCK_TYPE
                    ),
                    r,
                );
                defaults::STOCK_TYPE.to_string()
            }
            None => defaults::STOCK_TYPE.to_string(),
        };
        let variable = !p.has_only_default_variant();
        let slug = slug_for(&p.handle, &p.title);
        let groups = if variable {
            match self.option_uses(p).await? {
                Ok(g) => g,
                Err(m) => return Ok(self.refuse("options_not_written", m, r)),
            }
        } else {
            vec![]
        };
        let mut stock_total = 0i64;
        for v in &p.variants {
            stock_total += self.stock(v, p, r);
        }
        let main_sku = if variable {
            // A product with variants still needs its own unique stock code.
            slug.clone()
        } else {
            first
                .and_then(|v| v.sku.clone())
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| slug.clone())
        };
        let mut body = self.price_fields(first, currency_id, &unit, tax);
        {
            let o = obj(&mut body);
            o.insert("name".into(), json!(p.title.trim()));
            o.insert("slug".into(), json!(slug));
            o.insert("sku".into(), json!(main_sku));
            o.insert(
                "stockAmount".into(),
                json!(if variable {
                    stock_total
                } else {
                    first
                        .map(|v| self_stock(v, self.untracked_stock))
                        .unwrap_or(0)
                }),
            );
            o.insert(
                "status".into(),
                json!(if p.status == ProductStatus::Active {
                    1
                } else {
                    0
                }),
            );
            o.insert("categories".into(), json!(category_ids));
            put_text(o, "pageTitle", p.seo.title.as_deref());
            put_text(o, "metaDescription", p.seo.description.as_deref());
            put_text(o, "searchKeywords", Some(&p.tags.join(",")));
            put_text(
                o,
                "shortDetails",
                p.attributes
                    .get("ideasoft.short_details")
                    .map(String::as_str),
            );
            put_ref(o, "brand", brand);
            if variable {
                o.insert(
                    "optionGroups".into(),
                    json!(groups.iter().map(|g| g.to_json(None)).collect::<Vec<_>>()),
                );
            }
        }
        let found = self.product_by_slug(&slug, false).await?;
        let outcome = self
            .upsert(
                "products",
                found,
                &body,
                &body,
                "slug",
                &Key::ProductSlug(&slug),
            )
            .await?;
        let (id, created) = match outcome {
            Ok(x) => x,
            Err(u) => return Ok(self.upsert_failed("products", "slug", &slug, u, r)),
        };
        self.write_details(r, p, id, &main_sku).await?;
        if variable {
            self.write_variants(r, p, id, currency_id, tax, &unit, &groups)
                .await?;
        }
        let untracked = p.variants.iter().filter(|v| v.inventory.is_none()).count();
        if untracked > 0 {
            self.note(Severity::Warning, "inventory_untracked", format!("Ideasoft keeps a stock amount on every product: {untracked} variant(s) of \"{}\" had no stock tracking and were given {} (set the target option untracked_stock to choose another amount)", p.title, self.untracked_stock), r);
        }
        if p.variants.iter().any(|v| v.weight.is_some()) {
            self.note(Severity::Info, "weight_not_moved", format!("Ideasoft has no weight field (only desi, a volumetric measure): the weights of \"{}\" were not sent", p.title), r);
        }
        if !p.images.is_empty() {
            self.note(Severity::Warning, "image_not_moved", format!("Ideasoft takes product images as uploaded files, not URLs: {} image(s) of \"{}\" were not sent (first: {})", p.images.len(), p.title, p.images[0].src), r);
        }
        Ok(outcome_of(id, created))
    }

    /// The description: one `product_details` record per product, which requires text; an
    /// empty description removes the record instead.
    async fn write_details(&mut self, r: &Record, p: &Product, id: u64, sku: &str) -> Result<()> {
        let existing: Vec<types::ProductDetail> = self
            .client
            .list_all("product_details", &q(&[("product", id.to_string())]))
            .await?;
        let outcome = if p.body_html.trim().is_empty() {
            for d in &existing {
                self.client.delete("product_details", d.id).await?;
            }
            return Ok(());
        } else {
            let body = json!({ "sku": sku, "details": p.body_html, "product": { "id": id } });
            match existing.as_slice() {
                [] => self
                    .create_once("product_details", &body, &Key::Detail(id))
                    .await?
                    .map(|_| ())
                    .map_err(|u| u.text("product_details", "product", &id.to_string())),
                [one] => self
                    .client
                    .update("product_details", one.id, &body)
                    .await?
                    .map_err(|r| r.text),
                many => {
                    let ids: Vec<u64> = many.iter().map(|d| d.id).collect();
                    self.note(Severity::Warning, "description_not_written", format!("the Ideasoft product {id} has {} descriptions (ids {ids:?}); storeshift will not guess which one to replace: delete the extra ones in the panel", ids.len()), r);
                    return Ok(());
                }
            }
        };
        if let Err(m) = outcome {
            self.note(
                Severity::Warning,
                "description_not_written",
                format!("the description of \"{}\" was refused: {m}", p.title),
                r,
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_variants(
        &mut self,
        r: &Record,
        p: &Product,
        parent: u64,
        currency_id: u64,
        tax: i64,
        unit: &str,
        groups: &[GroupUse],
    ) -> Result<()> {
        let children: Vec<types::Product> = self
            .client
            .list_all("products", &q(&[("parent", parent.to_string())]))
            .await?;
        for (i, v) in p.variants.iter().enumerate() {
            // Ideasoft needs a stock code on every variant; the source may have none.
            let sku = v
                .sku
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| format!("{}-{}", slug_for(&p.handle, &p.title), i + 1));
            let name = v
                .option_values
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" - ");
            let stock = self_stock(v, self.untracked_stock);
            let mut body = self.price_fields(Some(v), currency_id, unit, tax);
            {
                let o = obj(&mut body);
                o.insert(
                    "name".into(),
                    json!(if name.is_empty() { sku.clone() } else { name }),
                );
                o.insert("sku".into(), json!(sku));
                o.insert("parent".into(), json!({ "id": parent }));
                o.insert("stockAmount".into(), json!(stock));
                o.insert("status".into(), json!(1));
                let mine: Vec<Value> = groups
                    .iter()
                    .zip(&v.option_values)
                    .map(|(g, value)| g.to_json(Some(value.trim())))
                    .collect();
                o.insert("optionGroups".into(), json!(mine));
            }
            let same: Vec<u64> = children
                .iter()
                .filter(|c| c.sku.trim() == sku.trim())
                .map(|c| c.id)
                .collect();
            let found = Found::from_ids(same);
            let outcome = self
                .upsert(
                    "products",
                    found,
                    &body,
                    &body,
                    "sku",
                    &Key::VariantSku {
                        parent,
                        sku: sku.trim(),
                    },
                )
                .await?;
            let problem = match outcome {
                Ok(_) => None,
                Err(Upserted::Refused(m)) => Some(m.text),
                Err(Upserted::Ambiguous(ids)) => {
                    Some(super::client::ambiguous("products", "sku", &sku, &ids).to_string())
                }
            };
            if let Some(m) = problem {
                self.note(
                    Severity::Warning,
                    "variant_not_written",
                    format!("variant {sku} of \"{}\" was refused: {m}", p.title),
                    r,
                );
            }
        }
        Ok(())
    }
}

/// A variant's stock without findings (the findings were given when the total was made).
fn self_stock(v: &Variant, untracked: i64) -> i64 {
    v.inventory.unwrap_or(untracked).max(0)
}
