//! Attributes and options as configurable products need them. A source option name ("Color")
//! maps to one dropdown attribute of the store, found by code or by label; when the store has
//! none it is created (global scope, in the product attribute set, so configurables can use
//! it). Each option value maps to one of the attribute's options, created when missing. An
//! option name that matches several usable attributes waits for a person's decision: mapping
//! only reads, and nothing is created until the name maps to exactly one attribute.

use super::reply::{Attribute, AttributeGroup, AttributeOption};
use super::request::{
    AddOption, AssignAttribute, FrontendLabel, NewAttribute, NewOption, SaveAttribute,
};
use super::{urlencode, Filter, MagentoClient, Refusal};
use crate::api::http::{CallError, Safety};
use crate::connector::{ConnectorError, Result};
use crate::platform::magento as facts;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// How one source option name maps onto the store's attributes.
#[derive(Debug, Clone)]
pub(crate) enum Mapping {
    /// One usable attribute.
    Use(Attribute),
    /// None yet: an attribute with this code is created before the first product needs it.
    Create(String),
    /// Several usable attributes: a person decides.
    Ambiguous(Vec<Attribute>),
    /// Products with this option cannot move; the reason says why and what to do.
    Refused(String),
}

/// The key option names are compared by: Magento compares labels without case.
pub(crate) fn key(option_name: &str) -> String {
    option_name.trim().to_lowercase()
}

/// Options of an attribute are the same when their labels differ only in case (Magento's
/// `OptionManagement` compares them upper-cased).
fn same_label(a: &str, b: &str) -> bool {
    a.trim().to_uppercase() == b.trim().to_uppercase()
}

/// Any member of an attribute set: only its code is read.
#[derive(Debug, Deserialize)]
struct SetMember {
    attribute_code: String,
}

#[derive(Default)]
pub(crate) struct Catalog {
    /// Option name key → mapping, for the whole run.
    mapped: HashMap<String, Mapping>,
    /// Attribute code → its options, as last read.
    options: HashMap<String, Vec<AttributeOption>>,
    /// Codes of the attributes in the product attribute set (read once).
    in_set: Option<HashSet<String>>,
    /// The set's group new attributes join (read once).
    group: Option<u64>,
}

/// An attribute by code or id; `None` when the store has none.
pub(crate) async fn read_attribute(
    client: &MagentoClient,
    code_or_id: &str,
) -> Result<Option<Attribute>> {
    match client
        .read::<Attribute>(
            &format!("/products/attributes/{}", urlencode(code_or_id)),
            &[],
        )
        .await?
    {
        Ok(a) => Ok(Some(a)),
        Err(r) if r.not_found() => Ok(None),
        Err(r) => Err(ConnectorError::Remote(format!(
            "Magento GET /products/attributes/{code_or_id}: HTTP {}: {}",
            r.status, r.message
        ))),
    }
}

/// The options of attribute `code` (Magento lists an empty first option: it is left out).
pub(crate) async fn read_options(
    client: &MagentoClient,
    code: &str,
) -> Result<Vec<AttributeOption>> {
    let all: Vec<AttributeOption> = client
        .get(
            &format!("/products/attributes/{}/options", urlencode(code)),
            &[],
        )
        .await?;
    Ok(all
        .into_iter()
        .filter(|o| !o.value.trim().is_empty())
        .collect())
}

impl Catalog {
    /// Maps `option_name` if it is not mapped yet. Reads only.
    pub async fn map(&mut self, client: &MagentoClient, option_name: &str) -> Result<&Mapping> {
        let k = key(option_name);
        if !self.mapped.contains_key(&k) {
            let m = Self::look_up(client, option_name).await?;
            self.mapped.insert(k.clone(), m);
        }
        Ok(&self.mapped[&k])
    }

    async fn look_up(client: &MagentoClient, option_name: &str) -> Result<Mapping> {
        let name = option_name.trim();
        let Some(code) = facts::attribute_code(name) else {
            return Ok(Mapping::Refused(format!(
                "the option name \"{name}\" has no letter or digit to make a Magento attribute code from: rename the option"
            )));
        };
        let by_code = read_attribute(client, &code).await?;
        let by_label: Vec<Attribute> = client
            .search_all::<Attribute>("/products/attributes", Filter::eq("frontend_label", name))
            .await?
            .into_iter()
            .filter(|a| same_label(a.label(), name))
            .collect();
        let mut candidates: Vec<Attribute> = vec![];
        for a in by_code.iter().cloned().chain(by_label) {
            if !candidates.iter().any(|c| c.attribute_id == a.attribute_id) {
                candidates.push(a);
            }
        }
        let usable: Vec<Attribute> = candidates
            .into_iter()
            .filter(|a| a.configurable().is_ok())
            .collect();
        Ok(match (usable.len(), by_code) {
            (1, _) => Mapping::Use(usable.into_iter().next().expect("one")),
            (0, Some(a)) => Mapping::Refused(format!(
                "Magento's attribute \"{}\" cannot carry the option \"{name}\" of a configurable product: {} (make it a global dropdown in Magento's admin, or rename the option)",
                a.attribute_code,
                a.configurable().err().unwrap_or_default()
            )),
            (0, None) => Mapping::Create(code),
            _ => Mapping::Ambiguous(usable),
        })
    }

    /// The decision on an ambiguous option name: an attribute code, or `skip`.
    pub fn decide(&mut self, option_key: &str, choice: &str) {
        let Some(Mapping::Ambiguous(candidates)) = self.mapped.get(option_key) else {
            return;
        };
        let m = match candidates.iter().find(|a| a.attribute_code == choice) {
            Some(a) => Mapping::Use(a.clone()),
            None => Mapping::Refused(format!(
                "left out as decided: the option \"{option_key}\" matches several Magento attributes"
            )),
        };
        self.mapped.insert(option_key.to_string(), m);
    }

    /// The attribute products with `option_name` use, made ready for them: created when the
    /// store has none, and put in the attribute set products are saved in. `Err` says why
    /// products with this option cannot move.
    pub async fn ready(
        &mut self,
        client: &MagentoClient,
        option_name: &str,
    ) -> Result<std::result::Result<Attribute, String>> {
        let attribute = match self.map(client, option_name).await?.clone() {
            Mapping::Use(a) => a,
            Mapping::Create(code) => match self.create(client, &code, option_name.trim()).await? {
                Ok(a) => {
                    self.mapped
                        .insert(key(option_name), Mapping::Use(a.clone()));
                    a
                }
                Err(m) => return Ok(Err(m)),
            },
            Mapping::Ambiguous(list) => {
                let codes: Vec<&str> = list.iter().map(|a| a.attribute_code.as_str()).collect();
                return Ok(Err(format!(
                    "the option \"{}\" matches several Magento attributes ({}): a person must choose one (storeshift asks before the batch is written)",
                    option_name.trim(),
                    codes.join(", ")
                )));
            }
            Mapping::Refused(why) => return Ok(Err(why)),
        };
        if let Err(m) = self
            .ensure_in_set(client, &attribute.attribute_code)
            .await?
        {
            return Ok(Err(m));
        }
        Ok(Ok(attribute))
    }

    async fn create(
        &mut self,
        client: &MagentoClient,
        code: &str,
        label: &str,
    ) -> Result<std::result::Result<Attribute, String>> {
        let body = SaveAttribute {
            attribute: NewAttribute {
                attribute_code: code,
                frontend_input: "select",
                entity_type_id: facts::PRODUCT_ENTITY_TYPE_ID,
                is_required: false,
                frontend_labels: vec![FrontendLabel { store_id: 0, label }],
                default_frontend_label: label,
                scope: "global",
                is_user_defined: true,
                is_visible: true,
                is_filterable: true,
                is_comparable: "1",
                is_visible_on_front: "1",
            },
        };
        // A second create of the same code is refused ("already exists"), so an answer lost
        // on the way is settled by reading the code back, whatever came of the call.
        let sent = client
            .write::<Attribute, _>(
                reqwest::Method::POST,
                "/products/attributes",
                &body,
                Safety::Unsafe,
            )
            .await;
        let refusal = match sent {
            Ok(Ok(a)) => return Ok(Ok(a)),
            Ok(Err(r)) => Some(r),
            Err(CallError::Ambiguous(_)) => None,
            Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
        };
        match (read_attribute(client, code).await?, refusal) {
            (Some(a), _) => Ok(a.configurable().map(|_| a.clone()).map_err(|why| {
                format!("Magento's attribute \"{code}\" cannot carry a configurable product's option: {why}")
            })),
            (None, Some(Refusal { message, .. })) => Ok(Err(format!(
                "Magento refused to create the attribute \"{code}\" for the option \"{label}\": {message}"
            ))),
            (None, None) => Ok(Err(format!(
                "Magento did not keep the attribute \"{code}\" for the option \"{label}\""
            ))),
        }
    }

    /// Puts `code` in the product attribute set, in its "Product Details" group, unless it is
    /// there already: Magento keeps a product's value only for attributes of its set.
    async fn ensure_in_set(
        &mut self,
        client: &MagentoClient,
        code: &str,
    ) -> Result<std::result::Result<(), String>> {
        let set = client.attribute_set_id;
        if self.in_set.is_none() {
            let members: Vec<SetMember> = client
                .get(&format!("/products/attribute-sets/{set}/attributes"), &[])
                .await?;
            self.in_set = Some(members.into_iter().map(|m| m.attribute_code).collect());
        }
        if self.in_set.as_ref().is_some_and(|s| s.contains(code)) {
            return Ok(Ok(()));
        }
        let group = match self.group {
            Some(g) => g,
            None => {
                let g = self.find_group(client, set).await?;
                self.group = Some(g);
                g
            }
        };
        let body = AssignAttribute {
            attribute_set_id: set,
            attribute_group_id: group,
            attribute_code: code,
            sort_order: 0,
        };
        match client
            .write::<u64, _>(
                reqwest::Method::POST,
                "/products/attribute-sets/attributes",
                &body,
                Safety::Idempotent,
            )
            .await?
        {
            Ok(_) => {
                if let Some(s) = self.in_set.as_mut() {
                    s.insert(code.to_string());
                }
                Ok(Ok(()))
            }
            Err(r) => Ok(Err(format!(
                "Magento refused to put the attribute \"{code}\" in attribute set {set}: {}",
                r.message
            ))),
        }
    }

    async fn find_group(&self, client: &MagentoClient, set: u64) -> Result<u64> {
        let set_text = set.to_string();
        let groups: Vec<AttributeGroup> = client
            .search_all(
                "/products/attribute-sets/groups/list",
                Filter::eq("attribute_set_id", &set_text),
            )
            .await?;
        let pick = facts::ATTRIBUTE_GROUP_NAMES
            .iter()
            .find_map(|name| groups.iter().find(|g| g.attribute_group_name.eq_ignore_ascii_case(name)))
            .or(groups.first())
            .ok_or_else(|| {
                ConnectorError::Remote(format!(
                    "Magento's attribute set {set} has no group to put new attributes in (set options.attribute_set_id to the set products use)"
                ))
            })?;
        pick.attribute_group_id.trim().parse().map_err(|_| {
            ConnectorError::Remote(format!(
                "Magento GET /products/attribute-sets/groups/list: attribute_group_id {:?} is not a number",
                pick.attribute_group_id
            ))
        })
    }

    /// The id of the option labelled `label` of `attribute`, created when missing.
    pub async fn option_value(
        &mut self,
        client: &MagentoClient,
        attribute: &Attribute,
        label: &str,
    ) -> Result<std::result::Result<u64, String>> {
        let code = attribute.attribute_code.as_str();
        // Creating an option is not idempotent, so the HTTP layer never repeats it; a create
        // lost to a 5xx or a dropped connection is tried again only after a look-up shows that
        // Magento does not have the option.
        const CREATES: usize = 3;
        for attempt in 0..=CREATES {
            if !self.options.contains_key(code) {
                let read = read_options(client, code).await?;
                self.options.insert(code.to_string(), read);
            }
            if let Some(o) = self.options[code]
                .iter()
                .find(|o| same_label(&o.label, label))
            {
                return Ok(o.value.trim().parse::<u64>().map_err(|_| {
                    format!("Magento's option \"{}\" of attribute {code} has the id {:?}, which is not a number", o.label, o.value)
                }));
            }
            if attempt == CREATES {
                break;
            }
            let body = AddOption {
                option: NewOption {
                    label: label.trim(),
                    is_default: false,
                },
            };
            let sent = client
                .write::<String, _>(
                    reqwest::Method::POST,
                    &format!("/products/attributes/{}/options", urlencode(code)),
                    &body,
                    Safety::Unsafe,
                )
                .await;
            self.options.remove(code);
            match sent {
                Ok(Ok(_)) | Err(CallError::Ambiguous(_)) => {}
                // Someone else created it meanwhile: the next read finds it.
                Ok(Err(r)) if r.message.contains("already exists") => {}
                Ok(Err(r)) => {
                    return Ok(Err(format!(
                        "Magento refused the option \"{label}\" of attribute {code}: {}",
                        r.message
                    )))
                }
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(Err(format!(
            "Magento did not keep option \"{label}\" of attribute {code}"
        )))
    }
}
