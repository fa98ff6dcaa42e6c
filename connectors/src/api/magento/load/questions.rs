//! The questions a batch raises before it is written, as the runtime shows them: what is
//! unclear, the choices with what each does, and the recommended one.

use super::customers::region_key;
use super::{about, text, MagentoTarget};
use crate::api::magento::catalog::{self, Mapping};
use crate::api::magento::directory::{ListedRegion, Resolved};
use crate::api::magento::reply::Attribute;
use crate::connector::{Choice, Question, Result};
use crate::finding::RecordRef;
use crate::model::*;
use crate::platform::magento as facts;
use std::collections::BTreeMap;

/// Question codes (the step names of the interventions they become).
pub(super) const AMBIGUOUS_ATTRIBUTE: &str = "ambiguous_attribute";
pub(super) const UNKNOWN_REGION: &str = "unknown_region";
pub(super) const MISSING_NAME: &str = "missing_name";

/// Records a question lists (the rest are counted in its problem text).
const LISTED: usize = 10;

impl MagentoTarget {
    pub(super) async fn product_questions(&mut self, batch: &[Record]) -> Result<Vec<Question>> {
        let mut asked: BTreeMap<String, Question> = BTreeMap::new();
        for r in batch {
            let Record::Product(p) = r else { continue };
            for o in &p.options {
                let k = catalog::key(&o.name);
                if let Some(q) = asked.get_mut(&k) {
                    if q.records.len() < LISTED {
                        q.records.push(about(r));
                    }
                    continue;
                }
                let Mapping::Ambiguous(list) = self.catalog.map(&self.client, &o.name).await?
                else {
                    continue;
                };
                asked.insert(
                    k.clone(),
                    ambiguous_attribute(&k, o.name.trim(), list, about(r)),
                );
            }
        }
        Ok(asked.into_values().collect())
    }

    pub(super) async fn customer_questions(&mut self, batch: &[Record]) -> Result<Vec<Question>> {
        let mut asked: BTreeMap<String, Question> = BTreeMap::new();
        let mut nameless = vec![];
        for r in batch {
            let Record::Customer(c) = r else { continue };
            if text(&c.first_name).is_none() || text(&c.last_name).is_none() {
                nameless.push(about(r));
            }
            if c.addresses.is_empty() {
                continue;
            }
            self.load_directory().await?;
            for a in &c.addresses {
                // Only an address that would otherwise go raises a question about its region.
                let Ok(req) = self.required(c, a) else {
                    continue;
                };
                let province = text(&a.province);
                let key = region_key(&req.country, province.as_deref());
                if self.regions.contains_key(&key) {
                    continue;
                }
                let unresolved = match self
                    .directory
                    .as_ref()
                    .map(|d| d.resolve(&req.country, province.as_deref()))
                {
                    Some(Resolved::Unknown(near)) => Some(near),
                    _ => None,
                };
                let Some(near) = unresolved else { continue };
                if let Some(q) = asked.get_mut(&key) {
                    if q.records.len() < LISTED {
                        q.records.push(about(r));
                    }
                    continue;
                }
                let country = self
                    .directory
                    .as_ref()
                    .map(|d| d.name(&req.country))
                    .unwrap_or_else(|| req.country.clone());
                asked.insert(
                    key.clone(),
                    unknown_region(&key, &country, province.as_deref(), &near, about(r)),
                );
            }
        }
        let mut out: Vec<Question> = asked.into_values().collect();
        if !nameless.is_empty() && self.names.is_none() {
            out.push(missing_name(nameless));
        }
        Ok(out)
    }
}

fn choice(key: &str, label: String, consequence: String) -> Choice {
    Choice {
        key: key.to_string(),
        label,
        consequence,
    }
}

fn ambiguous_attribute(key: &str, name: &str, list: &[Attribute], first: RecordRef) -> Question {
    let listed: Vec<String> = list
        .iter()
        .map(|a| {
            format!(
                "{} (\"{}\", id {})",
                a.attribute_code,
                a.label(),
                a.attribute_id
            )
        })
        .collect();
    let own = facts::attribute_code(name);
    let recommended = list
        .iter()
        .find(|a| Some(&a.attribute_code) == own.as_ref())
        .unwrap_or(&list[0])
        .attribute_code
        .clone();
    let mut choices: Vec<Choice> = list
        .iter()
        .map(|a| {
            choice(
                &a.attribute_code,
                format!("Use {} (\"{}\")", a.attribute_code, a.label()),
                format!(
                    "Products with the option \"{name}\" are built on {}; option values it lacks are added to it.",
                    a.attribute_code
                ),
            )
        })
        .collect();
    choices.push(choice(
        "skip",
        "Leave these products out".into(),
        format!("Products with the option \"{name}\" are not moved; the report lists them."),
    ));
    Question {
        code: AMBIGUOUS_ATTRIBUTE.into(),
        item: key.to_string(),
        title: format!("The option \"{name}\" matches {} Magento attributes", list.len()),
        problem: format!(
            "A configurable product needs one dropdown attribute per option, and Magento has several that fit \"{name}\": {}. Products with this option wait for the choice.",
            listed.join(", ")
        ),
        choices,
        recommended,
        records: vec![first],
    }
}

fn unknown_region(
    key: &str,
    country: &str,
    province: Option<&str>,
    near: &[ListedRegion],
    first: RecordRef,
) -> Question {
    let named = province.unwrap_or("");
    let mut choices: Vec<Choice> = near
        .iter()
        .map(|r| {
            choice(
                &r.id.to_string(),
                format!("Use {} ({})", r.name, r.code),
                format!(
                    "Every address in {country} with the region \"{named}\" gets Magento's region {} (id {}).",
                    r.name, r.id
                ),
            )
        })
        .collect();
    choices.push(choice(
        "leave_out",
        "Leave these addresses out".into(),
        "The customers move without these addresses; the report lists each one.".into(),
    ));
    choices.push(choice(
        "skip",
        "Leave these customers out".into(),
        "Customers with such an address are not moved; the report lists them.".into(),
    ));
    Question {
        code: UNKNOWN_REGION.into(),
        item: key.to_string(),
        title: if named.is_empty() {
            format!("Addresses in {country} name no region")
        } else {
            format!("Magento has no region \"{named}\" in {country}")
        },
        problem: format!(
            "Magento requires a region from its directory for addresses in {country}{}. Pick the region these addresses mean, or leave them out.",
            if named.is_empty() {
                String::new()
            } else {
                format!(", and \"{named}\" is none of them")
            }
        ),
        choices,
        recommended: "leave_out".into(),
        records: vec![first],
    }
}

fn missing_name(records: Vec<RecordRef>) -> Question {
    let count = records.len();
    Question {
        code: MISSING_NAME.into(),
        item: "customers".into(),
        title: "Customers without a first or last name".into(),
        problem: format!(
            "Magento requires a first and a last name on every customer, and {count} customer{} of this batch lack{} one.",
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" }
        ),
        choices: vec![
            choice(
                "skip",
                "Leave them out".into(),
                "Customers without a name are not moved; the report lists them.".into(),
            ),
            choice(
                "fill",
                "Fill the missing name".into(),
                "A missing first or last name takes the other one, or the part of the email before @ (jane.doe@example.com is sent as \"jane.doe\" \"jane.doe\"); each is listed in the report.".into(),
            ),
        ],
        recommended: "skip".into(),
        records: records.into_iter().take(LISTED).collect(),
    }
}
