//! Shopify as a target.
//!
//! - Products and customers: `productSet` / `customerSet` upserts by identifier (a custom-id
//!   metafield, the handle, the email), several per document; a batch of `bulk_threshold` or
//!   more goes through one bulk mutation instead.
//! - Categories (custom collections), pages, redirects, orders: looked up by their external key
//!   (handle, path, the order's custom id), then updated or created. Creates are not
//!   idempotent on Shopify, so a create whose reply was lost is never resent blindly: the keys
//!   are looked up again first. Many redirects at once go through a redirect import.

use super::bulk::BulkConfig;
use super::catalog::{custom_id, customer_input, product_input};
use super::consent::{self, Need};
use super::content::{
    category_from, collection_input, page_input, redirect_csv, redirect_input, search_term,
};
use super::documents::{self as docs, alias, var, Consent, Listing, Lookup, Upsert, Write};
use super::orders::order_input;
use super::reply::{
    self, user_errors, CollectionNode, Connection, DeletePayload, Id, Keyed, LocationsReply, Nodes,
    UserError, WritePayload, Written,
};
use super::{bulk_options, Ran, ShopifyClient};
use crate::api::http::Safety;
use crate::connector::{ApiStats, ConnectorError, Result, Target, WriteOutcome};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::normalize_handle;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// Keys per lookup document when a bulk batch is checked first (2 points per product key).
const LOOKUP_CHUNK: usize = 100;

/// Shopify as a target.
pub struct ShopifyTarget {
    client: ShopifyClient,
    location: Option<String>,
    findings: Vec<Finding>,
    /// Records per mutation document (each mutation costs 10 points).
    batch: usize,
    bulk_threshold: usize,
    bulk: BulkConfig,
    /// Collection ids by category path, read once (products name their categories by path).
    collections: Option<HashMap<Vec<String>, String>>,
    /// Category paths known to have no collection (reported once).
    missing: HashSet<Vec<String>>,
    /// Whether the run was told that order lines arrive as custom line items.
    told_custom_lines: bool,
    /// Customers (by key) Shopify refused only because another customer has their phone.
    phone_taken: HashSet<String>,
    /// Consent updates owed to customers saved in this batch (sent once the batch is saved).
    consent_owed: Vec<OwedConsent>,
}

/// A consent mutation owed to a saved customer.
struct OwedConsent {
    record: RecordRef,
    channel: Consent,
    input: Value,
}

/// Whether every error is the phone being taken (`customerSet`: field `input.phone`, code
/// `TAKEN`, "Phone has already been taken").
fn only_phone_taken(errors: &[UserError]) -> bool {
    !errors.is_empty()
        && errors.iter().all(|e| {
            e.code.as_deref() == Some("TAKEN")
                && e.field
                    .as_deref()
                    .and_then(<[String]>::last)
                    .is_some_and(|f| f == "phone")
        })
}

/// The key a record is found by on Shopify: handles as Shopify normalises them.
fn shopify_key(r: &Record) -> String {
    match r {
        Record::Category(_) | Record::Page(_) => {
            normalize_handle(Platform::Shopify, &r.external_key())
        }
        _ => r.external_key(),
    }
}

fn record_ref(r: &Record) -> RecordRef {
    RecordRef {
        entity: r.entity(),
        source_id: r.source().id.clone(),
        label: r.label(),
    }
}

impl ShopifyTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let batch = spec
            .options
            .get("mutations_per_request")
            .and_then(Value::as_u64)
            .unwrap_or(10)
            .clamp(1, 100) as usize;
        let (bulk_threshold, bulk) = bulk_options(spec);
        Ok(ShopifyTarget {
            client: ShopifyClient::open(spec)?,
            location: None,
            findings: vec![],
            batch,
            bulk_threshold,
            bulk,
            collections: None,
            missing: HashSet::new(),
            told_custom_lines: false,
            phone_taken: HashSet::new(),
            consent_owed: vec![],
        })
    }

    /// Reads every collection's path (see content::category_from).
    async fn read_collections(&self) -> Result<HashMap<Vec<String>, String>> {
        let q = docs::list_page(Listing::Collections);
        let mut map = HashMap::new();
        let mut after: Option<String> = None;
        loop {
            let first = self.client.page_size(&q, 250);
            let conn: Connection<CollectionNode> = self
                .client
                .query_field(&q, json!({ "first": first, "after": after }), "collections")
                .await?;
            for node in &conn.nodes {
                map.insert(category_from(node).path, node.id.clone());
            }
            match conn.page_info.next() {
                Some(c) => after = Some(c.to_string()),
                None => return Ok(map),
            }
        }
    }

    /// Makes sure every category the products name has its collection id at hand (categories
    /// load before products; a path still unknown is a finding, and the product is saved).
    async fn ensure_collections(&mut self, batch: &[Record]) -> Result<()> {
        let wanted: Vec<(Vec<String>, &Record)> = batch
            .iter()
            .filter_map(|r| match r {
                Record::Product(p) => Some(p.categories.iter().map(move |c| (c.clone(), r))),
                _ => None,
            })
            .flatten()
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let unknown = |map: &Option<HashMap<Vec<String>, String>>,
                       missing: &HashSet<Vec<String>>| {
            wanted.iter().any(|(c, _)| {
                !missing.contains(c) && !map.as_ref().is_some_and(|m| m.contains_key(c))
            })
        };
        if unknown(&self.collections, &self.missing) {
            self.collections = Some(self.read_collections().await?);
        }
        for (c, r) in &wanted {
            let known = self.collections.as_ref().is_some_and(|m| m.contains_key(c));
            if !known && self.missing.insert(c.clone()) {
                self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "category_without_collection",
                        format!(
                            "\"{}\" is in category \"{}\", which has no collection on Shopify: load categories first (products join the collections that exist)",
                            r.label(),
                            c.join(" > ")
                        ),
                    )
                    .about(record_ref(r)),
                );
            }
        }
        Ok(())
    }

    async fn location(&mut self) -> Result<String> {
        if let Some(l) = &self.location {
            return Ok(l.clone());
        }
        let reply: LocationsReply = self
            .client
            .query(&docs::first_location(), json!({}))
            .await?;
        let l = reply
            .locations
            .nodes
            .into_iter()
            .next()
            .map(|n| n.id)
            .ok_or_else(|| {
                ConnectorError::Remote(
                    "the Shopify store has no location to hold inventory; add one in the admin"
                        .into(),
                )
            })?;
        self.location = Some(l.clone());
        Ok(l)
    }

    /// Target ids of the records that exist already, by external key (1 point per lookup).
    /// Products are found by their custom id first, then by handle: a product the store had
    /// before the run is updated (and adopted), never duplicated.
    async fn existing(&self, entity: Entity, keys: &[String]) -> Result<Vec<Option<String>>> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let mut vars = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            match entity {
                Entity::Products => {
                    vars.insert(var("c", i), json!({ "customId": custom_id(k) }));
                    vars.insert(var("h", i), json!({ "handle": k }));
                }
                _ => {
                    vars.insert(var("c", i), json!({ "emailAddress": k }));
                }
            }
        }
        let kind = if entity == Entity::Products {
            Lookup::Product
        } else {
            Lookup::Customer
        };
        let q = docs::lookup(kind, keys.len());
        let data = self.client.run_ok(&q, Value::Object(vars)).await?;
        let found = |key: String| -> Result<Option<String>> {
            let hit: Option<Id> = reply::field(q.name(), &data, &key)?;
            Ok(hit.map(|h| h.id))
        };
        let mut out = Vec::with_capacity(keys.len());
        for i in 0..keys.len() {
            out.push(match found(var("c", i))? {
                Some(id) => Some(id),
                None if entity == Entity::Products => found(var("h", i))?,
                None => None,
            });
        }
        Ok(out)
    }

    async fn existing_chunked(
        &self,
        entity: Entity,
        keys: &[String],
    ) -> Result<Vec<Option<String>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            out.extend(self.existing(entity, chunk).await?);
        }
        Ok(out)
    }

    /// The nodes stored under these keys (collections by handle, pages by handle, redirects by
    /// path, orders by custom id), each with `id` and what it is keyed by.
    async fn find_keyed(&self, entity: Entity, keys: &[String]) -> Result<Vec<Option<Keyed>>> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let kind = match entity {
            Entity::Categories => Lookup::Collection,
            Entity::Pages => Lookup::Page,
            Entity::Redirects => Lookup::Redirect,
            Entity::Orders => Lookup::Order,
            other => {
                return Err(ConnectorError::Input(format!(
                    "the Shopify API target has no lookup for {other}"
                )))
            }
        };
        let mut vars = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            let value = match kind {
                Lookup::Collection => json!({ "handle": k }),
                Lookup::Page => json!(search_term("handle", k)),
                Lookup::Redirect => json!(search_term("path", k)),
                _ => json!({ "customId": custom_id(k) }),
            };
            vars.insert(var("k", i), value);
        }
        let q = docs::lookup(kind, keys.len());
        let data = self.client.run_ok(&q, Value::Object(vars)).await?;
        let mut out = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let key = var("k", i);
            out.push(match entity {
                // Search is fuzzy on Shopify: only an exact handle / path is the record.
                Entity::Pages | Entity::Redirects => {
                    let found: Nodes<Keyed> = reply::field(q.name(), &data, &key)?;
                    found.nodes.into_iter().find(|x| {
                        let exact = if entity == Entity::Pages {
                            &x.handle
                        } else {
                            &x.path
                        };
                        exact.as_deref() == Some(k.as_str())
                    })
                }
                _ => reply::field::<Option<Keyed>>(q.name(), &data, &key)?,
            });
        }
        Ok(out)
    }

    async fn lookup_keyed(&self, entity: Entity, keys: &[String]) -> Result<Vec<Option<String>>> {
        let mut out = Vec::with_capacity(keys.len());
        // Page and redirect lookups are connections (about 7 points each).
        for chunk in keys.chunks(50) {
            out.extend(
                self.find_keyed(entity, chunk)
                    .await?
                    .into_iter()
                    .map(|n| n.map(|n| n.id)),
            );
        }
        Ok(out)
    }

    /// Customer ids by email, for orders to be associated with (customers load first).
    async fn customer_ids(&self, chunk: &[Record]) -> Result<Vec<Option<String>>> {
        let emails: Vec<String> = chunk
            .iter()
            .map(|r| match r {
                Record::Order(o) => o.email.clone().unwrap_or_default().to_ascii_lowercase(),
                _ => String::new(),
            })
            .collect();
        let wanted: Vec<String> = emails.iter().filter(|e| !e.is_empty()).cloned().collect();
        let found = self.existing(Entity::Customers, &wanted).await?;
        let mut it = found.into_iter();
        Ok(emails
            .iter()
            .map(|e| {
                if e.is_empty() {
                    None
                } else {
                    it.next().flatten()
                }
            })
            .collect())
    }

    /// One upsert or keyed write's payload (`null` when Shopify answered none) as the
    /// record's outcome.
    fn outcome(
        &mut self,
        r: &Record,
        payload: Option<WritePayload>,
        existed: bool,
    ) -> WriteOutcome {
        let Some(payload) = payload else {
            return WriteOutcome::Failed {
                message: user_errors(&[]),
            };
        };
        match payload.record {
            Some(written) if payload.user_errors.is_empty() => {
                self.image_findings(r, &written);
                if let Record::Customer(c) = r {
                    self.owe_consent(r, c, &written);
                }
                if existed {
                    WriteOutcome::Updated {
                        target_id: written.id,
                    }
                } else {
                    WriteOutcome::Created {
                        target_id: written.id,
                    }
                }
            }
            _ => {
                if matches!(r, Record::Customer(_)) && only_phone_taken(&payload.user_errors) {
                    self.phone_taken.insert(r.external_key());
                }
                WriteOutcome::Failed {
                    message: user_errors(&payload.user_errors),
                }
            }
        }
    }

    /// Notes the consent updates a saved customer needs; consent Shopify cannot hold for it is
    /// a finding.
    fn owe_consent(&mut self, r: &Record, c: &Customer, written: &Written) {
        for need in consent::needs(c, written) {
            match need {
                Need::Update { channel, input } => self.consent_owed.push(OwedConsent {
                    record: record_ref(r),
                    channel,
                    input,
                }),
                Need::Cannot(why) => self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "marketing_consent_not_carried",
                        format!(
                            "{}: the source has marketing consent that was not carried: {why}",
                            r.label()
                        ),
                    )
                    .about(record_ref(r)),
                ),
            }
        }
    }

    /// Sends the consent updates the batch's customers need, several per document. A refused
    /// update is a finding on its customer, who stays saved.
    async fn send_consents(&mut self) -> Result<()> {
        let owed = std::mem::take(&mut self.consent_owed);
        for group in owed.chunks(self.batch) {
            let parts: Vec<Consent> = group.iter().map(|o| o.channel).collect();
            let q = docs::consents(&parts);
            let mut vars = serde_json::Map::new();
            for (j, o) in group.iter().enumerate() {
                vars.insert(var("c", j), o.input.clone());
            }
            let refused: Vec<(usize, String)> =
                match self.client.run(&q, Value::Object(vars)).await? {
                    Ok(data) => {
                        let mut refused = vec![];
                        for j in 0..group.len() {
                            let payload = Self::payload(&q, &data, &alias(j))?;
                            let errors = payload.map(|p| p.user_errors).unwrap_or_default();
                            if !errors.is_empty() {
                                refused.push((j, user_errors(&errors)));
                            }
                        }
                        refused
                    }
                    Err(e) => (0..group.len()).map(|j| (j, e.0.clone())).collect(),
                };
            for (j, why) in refused {
                let o = &group[j];
                let what = match o.channel {
                    Consent::Email => "email",
                    Consent::Sms => "SMS",
                };
                let state = o.input[o.channel.field()]["marketingState"]
                    .as_str()
                    .unwrap_or_default();
                self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "marketing_consent_refused",
                        format!(
                            "{}: Shopify refused its {what} marketing consent ({state}): {why}; the customer is saved without it",
                            o.record.label
                        ),
                    )
                    .about(o.record.clone()),
                );
            }
        }
        Ok(())
    }

    /// Customers refused only because their phone is another customer's (Shopify keeps a phone
    /// on one customer; stores that did not, and families sharing a number, have such
    /// customers) are written again without it, the phone kept in their note, so the customer
    /// is not lost. A customer found by that phone (no email) cannot be told apart and stays
    /// refused.
    async fn retry_without_taken_phones(
        &mut self,
        batch: &[Record],
        out: &mut [WriteOutcome],
    ) -> Result<()> {
        let mut again: Vec<(usize, Record)> = vec![];
        for (i, r) in batch.iter().enumerate() {
            let Record::Customer(c) = r else { continue };
            if !matches!(out[i], WriteOutcome::Failed { .. })
                || !self.phone_taken.remove(&r.external_key())
                || c.email.trim().is_empty()
            {
                continue;
            }
            let Some(phone) = c.phone.clone() else {
                continue;
            };
            let mut c = c.clone();
            c.phone = None;
            let kept = format!("Phone (another customer has it on Shopify): {phone}");
            c.note = Some(match c.note.take().filter(|n| !n.trim().is_empty()) {
                Some(n) => format!("{n}\n{kept}"),
                None => kept,
            });
            self.findings.push(
                Finding::new(
                    Severity::Warning,
                    "customer_phone_taken",
                    format!(
                        "{}: Shopify keeps each phone number on one customer and {phone} is already another's; the customer was saved without it and the number was added to the customer's note",
                        r.label()
                    ),
                )
                .about(record_ref(r)),
            );
            again.push((i, Record::Customer(c)));
        }
        for group in again.chunks(self.batch) {
            let records: Vec<Record> = group.iter().map(|(_, r)| r.clone()).collect();
            let written = self.write_chunk(Entity::Customers, &records).await?;
            for ((i, _), o) in group.iter().zip(written) {
                out[*i] = o;
            }
        }
        Ok(())
    }

    /// The payload answered under `key` in `data`, the reply to `document`.
    fn payload(document: &docs::Document, data: &Value, key: &str) -> Result<Option<WritePayload>> {
        Ok(reply::field(document.name(), data, key)?)
    }

    async fn write_chunk(&mut self, entity: Entity, chunk: &[Record]) -> Result<Vec<WriteOutcome>> {
        let keys: Vec<String> = chunk.iter().map(Record::external_key).collect();
        let before = self.existing(entity, &keys).await?;
        self.write_known(entity, chunk, &before).await
    }

    /// productSet / customerSet for records whose current target ids (`before`) are known.
    async fn write_known(
        &mut self,
        entity: Entity,
        chunk: &[Record],
        before: &[Option<String>],
    ) -> Result<Vec<WriteOutcome>> {
        let keys: Vec<String> = chunk.iter().map(Record::external_key).collect();
        self.ensure_collections(chunk).await?;
        let location = if entity == Entity::Products {
            Some(self.location().await?)
        } else {
            None
        };
        let mut vars = serde_json::Map::new();
        for (i, r) in chunk.iter().enumerate() {
            let (ident, input) =
                self.set_variables(r, &keys[i], before[i].as_deref(), location.as_deref())?;
            vars.insert(var("i", i), ident);
            vars.insert(var("p", i), input);
        }
        let upsert = if entity == Entity::Products {
            Upsert::Product
        } else {
            Upsert::Customer
        };
        let q = docs::upserts(upsert, chunk.len());
        let data = match self.client.run(&q, Value::Object(vars)).await? {
            Ok(d) => d,
            // A document-level error fails every alias; split so one bad record fails alone.
            Err(_) if chunk.len() > 1 => {
                let mut out = vec![];
                for (i, r) in chunk.iter().enumerate() {
                    out.extend(
                        Box::pin(self.write_known(entity, std::slice::from_ref(r), &before[i..=i]))
                            .await?,
                    );
                }
                return Ok(out);
            }
            Err(e) => return Ok(vec![WriteOutcome::Failed { message: e.0 }]),
        };
        let mut out = Vec::with_capacity(chunk.len());
        for (i, r) in chunk.iter().enumerate() {
            let payload = Self::payload(&q, &data, &alias(i))?;
            out.push(self.outcome(r, payload, before[i].is_some()));
        }
        Ok(out)
    }

    /// The `identifier` and `input` of one productSet / customerSet.
    fn set_variables(
        &self,
        r: &Record,
        key: &str,
        existing: Option<&str>,
        location: Option<&str>,
    ) -> Result<(Value, Value)> {
        match r {
            Record::Product(p) => {
                let collections: Option<Vec<String>> = (!p.categories.is_empty()).then(|| {
                    p.categories
                        .iter()
                        .filter_map(|c| self.collections.as_ref()?.get(c).cloned())
                        .collect()
                });
                Ok((
                    match existing {
                        Some(id) => json!({ "id": id }),
                        None => json!({ "customId": custom_id(key) }),
                    },
                    product_input(p, key, location.unwrap_or_default(), collections.as_deref()),
                ))
            }
            Record::Customer(c) => Ok((json!({ "email": key }), customer_input(c))),
            other => Err(ConnectorError::Input(format!(
                "{} records do not go through productSet / customerSet",
                other.entity()
            ))),
        }
    }

    /// One bulk mutation for the whole batch. Lines the operation never reached (it failed
    /// halfway) are written the ordinary way; both are upserts, so nothing doubles.
    async fn write_bulk(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let keys: Vec<String> = batch.iter().map(Record::external_key).collect();
        let before = self.existing_chunked(entity, &keys).await?;
        self.ensure_collections(batch).await?;
        let location = if entity == Entity::Products {
            Some(self.location().await?)
        } else {
            None
        };
        let mut lines = Vec::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            let (identifier, input) =
                self.set_variables(r, &keys[i], before[i].as_deref(), location.as_deref())?;
            lines.push(json!({ "identifier": identifier, "input": input }));
        }
        let upsert = if entity == Entity::Products {
            Upsert::Product
        } else {
            Upsert::Customer
        };
        let root = upsert.root();
        let done = self
            .client
            .bulk_mutation(&docs::bulk_upsert(upsert), &lines, self.bulk)
            .await?;
        if done.status != reply::OpStatus::Completed {
            tracing::warn!(status = done.status.as_str(), code = ?done.error_code, "bulk mutation did not complete; writing the rest one document at a time");
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; batch.len()];
        for (i, r) in batch.iter().enumerate() {
            let Some(line) = done.lines.get(&i) else {
                continue;
            };
            out[i] = Some(match &line.data {
                Some(data) => {
                    let payload = data.get(root).cloned().ok_or_else(|| {
                        ConnectorError::from(reply::ReplyError {
                            document: docs::bulk_upsert(upsert).name().to_string(),
                            path: format!("result line {}.data", line.line_number),
                            message: format!("missing field `{root}`"),
                        })
                    })?;
                    self.outcome(r, payload, before[i].is_some())
                }
                None => WriteOutcome::Failed {
                    message: line
                        .errors
                        .iter()
                        .flatten()
                        .map(|e| e.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                },
            });
        }
        let rest: Vec<usize> = (0..batch.len()).filter(|i| out[*i].is_none()).collect();
        for group in rest.chunks(self.batch) {
            let records: Vec<Record> = group.iter().map(|&i| batch[i].clone()).collect();
            let known: Vec<Option<String>> = group.iter().map(|&i| before[i].clone()).collect();
            for (&i, o) in group
                .iter()
                .zip(self.write_known(entity, &records, &known).await?)
            {
                out[i] = Some(o);
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "Shopify's bulk operation returned no result for this record".into(),
                })
            })
            .collect())
    }

    /// The create-or-update document for the records at `todo`, and whether it creates any.
    fn keyed_document(
        &self,
        chunk: &[Record],
        todo: &[usize],
        current: &[Option<String>],
        keys: &[String],
        customers: &[Option<String>],
    ) -> (docs::Document, Value, bool) {
        let mut parts = vec![];
        let mut vars = serde_json::Map::new();
        for (j, &i) in todo.iter().enumerate() {
            let id = current[i].as_deref();
            let (write, input) = match (&chunk[i], id) {
                (Record::Category(c), _) => {
                    let mut input = collection_input(c, id);
                    input["handle"] = json!(keys[i]);
                    let w = if id.is_some() {
                        Write::CollectionUpdate
                    } else {
                        Write::CollectionCreate
                    };
                    (w, input)
                }
                (Record::Page(p), _) => {
                    let mut input = page_input(p);
                    input["handle"] = json!(keys[i]);
                    let w = if id.is_some() {
                        Write::PageUpdate
                    } else {
                        Write::PageCreate
                    };
                    (w, input)
                }
                (Record::Redirect(r), _) => {
                    let w = if id.is_some() {
                        Write::RedirectUpdate
                    } else {
                        Write::RedirectCreate
                    };
                    (w, redirect_input(r))
                }
                (Record::Order(o), None) => {
                    let (input, _) =
                        order_input(o, customers.get(i).and_then(|c| c.as_deref()), &keys[i]);
                    (Write::OrderCreate, input)
                }
                (Record::Order(o), Some(id)) => {
                    // An imported order keeps its lines; only what orderUpdate allows changes.
                    let mut input = json!({ "id": id, "tags": o.tags });
                    if let Some(n) = &o.note {
                        input["note"] = json!(n);
                    }
                    (Write::OrderUpdate, input)
                }
                // write_keyed refuses any other record before building a document.
                _ => continue,
            };
            if write.takes_id() {
                vars.insert(var("id", j), json!(id));
            }
            vars.insert(var("p", j), input);
            parts.push(write);
        }
        let creates = parts.iter().any(|w| w.creates());
        (docs::writes(&parts), Value::Object(vars), creates)
    }

    /// Collections, pages, redirects and orders: look up by key, update what exists, create
    /// the rest. A create whose reply was lost is settled by looking the keys up again.
    async fn write_keyed(&mut self, entity: Entity, chunk: &[Record]) -> Result<Vec<WriteOutcome>> {
        // Part j of a document answers for todo[j]: every record must make a part.
        if let Some(r) = chunk.iter().find(|r| {
            !matches!(
                r,
                Record::Category(_) | Record::Page(_) | Record::Redirect(_) | Record::Order(_)
            )
        }) {
            return Err(ConnectorError::Input(format!(
                "{} records are not written by key on Shopify",
                r.entity()
            )));
        }
        let keys: Vec<String> = chunk.iter().map(shopify_key).collect();
        let before = self.lookup_keyed(entity, &keys).await?;
        let customers = if entity == Entity::Orders {
            self.customer_ids(chunk).await?
        } else {
            vec![]
        };
        let mut current = before.clone();
        let mut done: Vec<Option<WriteOutcome>> = vec![None; chunk.len()];
        let max = self.client.http.config().max_retries;
        let mut attempt = 0;
        loop {
            let todo: Vec<usize> = (0..chunk.len()).filter(|i| done[*i].is_none()).collect();
            if todo.is_empty() {
                break;
            }
            let (q, vars, creates) = self.keyed_document(chunk, &todo, &current, &keys, &customers);
            let safety = if creates {
                Safety::Unsafe
            } else {
                Safety::Idempotent
            };
            match self.client.run_with(&q, vars, safety).await? {
                Ran::Data(d) => {
                    for (j, &i) in todo.iter().enumerate() {
                        let payload = Self::payload(&q, &d, &alias(j))?;
                        done[i] = Some(self.outcome(&chunk[i], payload, before[i].is_some()));
                    }
                }
                Ran::Errors(_) if todo.len() > 1 => {
                    for &i in &todo {
                        let one =
                            Box::pin(self.write_keyed(entity, std::slice::from_ref(&chunk[i])))
                                .await?;
                        done[i] = one.into_iter().next();
                    }
                }
                Ran::Errors(e) => done[todo[0]] = Some(WriteOutcome::Failed { message: e.0 }),
                Ran::Ambiguous(msg) => {
                    if attempt >= max {
                        return Err(ConnectorError::Remote(format!(
                            "Shopify {}: {msg} (gave up after {} attempts)",
                            self.client.store_url,
                            attempt + 1
                        )));
                    }
                    self.client.http.wait_before_retry(attempt, None).await;
                    attempt += 1;
                    let wanted: Vec<String> = todo.iter().map(|&i| keys[i].clone()).collect();
                    for (&i, found) in todo.iter().zip(self.lookup_keyed(entity, &wanted).await?) {
                        if found.is_some() {
                            current[i] = found;
                        }
                    }
                }
            }
        }
        let out: Vec<WriteOutcome> = done
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "no outcome".into(),
                })
            })
            .collect();
        for (r, o) in chunk.iter().zip(&out) {
            if let (Record::Order(_), WriteOutcome::Created { .. }) = (r, o) {
                if !std::mem::replace(&mut self.told_custom_lines, true) {
                    self.findings.push(
                        Finding::new(
                            Severity::Info,
                            "order_lines_custom",
                            "Orders are imported with custom line items (title, SKU, price, taxes): Shopify keeps them as they were sold, without a link to today's variants or their inventory",
                        )
                        .about(record_ref(r)),
                    );
                }
            }
            if let (Record::Order(order), WriteOutcome::Created { .. }) = (r, o) {
                let (_, notes) = order_input(order, None, "");
                for n in notes {
                    self.findings.push(
                        Finding::new(
                            Severity::Warning,
                            "order_field_not_imported",
                            format!("{}: {n}", r.label()),
                        )
                        .about(record_ref(r)),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Many redirects: one redirect import, then each record checked by path. A row the import
    /// did not take is sent alone through urlRedirectCreate, which says what is wrong with it.
    async fn write_redirect_import(&mut self, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let keys: Vec<String> = batch.iter().map(shopify_key).collect();
        let before = self.lookup_keyed(Entity::Redirects, &keys).await?;
        let redirects: Vec<&Redirect> = batch
            .iter()
            .filter_map(|r| match r {
                Record::Redirect(r) => Some(r),
                _ => None,
            })
            .collect();
        let (created, updated, failed) = self
            .client
            .redirect_import(&redirect_csv(&redirects), self.bulk)
            .await?;
        tracing::debug!(created, updated, failed, "redirect import finished");
        let mut after = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(50) {
            after.extend(self.find_keyed(Entity::Redirects, chunk).await?);
        }
        let mut out: Vec<Option<WriteOutcome>> = vec![None; batch.len()];
        let mut retry = vec![];
        for (i, r) in batch.iter().enumerate() {
            let Record::Redirect(red) = r else {
                continue;
            };
            match &after[i] {
                Some(node) if node.target.as_deref() == Some(red.to.as_str()) => {
                    let id = node.id.clone();
                    out[i] = Some(if before[i].is_some() {
                        WriteOutcome::Updated { target_id: id }
                    } else {
                        WriteOutcome::Created { target_id: id }
                    });
                }
                _ => retry.push(i),
            }
        }
        for group in retry.chunks(self.batch) {
            let records: Vec<Record> = group.iter().map(|&i| batch[i].clone()).collect();
            for (&i, o) in group
                .iter()
                .zip(self.write_keyed(Entity::Redirects, &records).await?)
            {
                out[i] = Some(o);
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or(WriteOutcome::Failed {
                    message: "not a redirect".into(),
                })
            })
            .collect())
    }

    fn image_findings(&mut self, r: &Record, written: &Written) {
        for m in written.media.iter().flat_map(|m| &m.nodes) {
            if m.status == "FAILED" {
                let why = m
                    .media_errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                self.findings.push(
                    Finding::new(
                        Severity::Warning,
                        "image_failed",
                        format!("Shopify could not use an image of \"{}\": {why}", r.label()),
                    )
                    .about(record_ref(r)),
                );
            }
        }
    }
}

#[async_trait]
impl Target for ShopifyTarget {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn describe(&self) -> String {
        format!("Shopify Admin API ({})", self.client.store_url)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let bulk = self.bulk_threshold > 0 && batch.len() >= self.bulk_threshold;
        match entity {
            Entity::Customers => {
                // What an earlier attempt at this batch left owed is decided again below.
                self.consent_owed.clear();
                let mut out = if bulk {
                    self.write_bulk(entity, batch).await?
                } else {
                    let mut out = Vec::with_capacity(batch.len());
                    for chunk in batch.chunks(self.batch) {
                        out.extend(self.write_chunk(entity, chunk).await?);
                    }
                    out
                };
                self.retry_without_taken_phones(batch, &mut out).await?;
                self.send_consents().await?;
                Ok(out)
            }
            Entity::Products if bulk => self.write_bulk(entity, batch).await,
            Entity::Redirects if bulk => self.write_redirect_import(batch).await,
            Entity::Products => {
                let mut out = Vec::with_capacity(batch.len());
                for chunk in batch.chunks(self.batch) {
                    out.extend(self.write_chunk(entity, chunk).await?);
                }
                Ok(out)
            }
            Entity::Categories | Entity::Pages | Entity::Redirects | Entity::Orders => {
                let mut out = Vec::with_capacity(batch.len());
                for chunk in batch.chunks(self.batch) {
                    out.extend(self.write_keyed(entity, chunk).await?);
                }
                Ok(out)
            }
            Entity::BlogPosts => Err(ConnectorError::Input(
                "the Shopify API target does not write blog posts; use the files target".into(),
            )),
        }
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    fn accepts(&self, entity: Entity) -> bool {
        entity != Entity::BlogPosts
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        let key = match entity {
            Entity::Categories | Entity::Pages => normalize_handle(Platform::Shopify, external_key),
            _ => external_key.to_string(),
        };
        match entity {
            Entity::Products | Entity::Customers => {
                Ok(self.existing(entity, &[key]).await?.remove(0))
            }
            Entity::BlogPosts => Ok(None),
            _ => Ok(self.lookup_keyed(entity, &[key]).await?.remove(0)),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let Some((q, _)) = docs::delete(entity) else {
            return Err(ConnectorError::Input(format!(
                "the Shopify API target cannot delete {entity}"
            )));
        };
        let payload: Option<DeletePayload> = self
            .client
            .query_field(&q, json!({ "id": target_id }), "r")
            .await?;
        let errors = payload.map(|p| p.user_errors).unwrap_or_default();
        // Already gone is what a delete wants: a rollback run twice must not fail.
        if errors.is_empty() || errors.iter().all(|e| e.message.contains("does not exist")) {
            Ok(())
        } else {
            Err(ConnectorError::Remote(format!(
                "Shopify refused to delete {target_id}: {}",
                user_errors(&errors)
            )))
        }
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }
}
