//! Loading a Magento store: products saved by SKU (Magento's own upsert), configurables with
//! their attributes, options, children and links; customers found by email before any create,
//! with addresses Magento's validator accepts. What only a person can settle (an option name
//! matching several attributes, a region the directory does not know, a customer without a
//! name) is asked before the batch is written, through [`Target::questions`].

use super::catalog::{self, Catalog, Mapping};
use super::directory::{Directory, ListedRegion, Resolved};
use super::reply::{self, Attribute};
use super::request::*;
use super::{urlencode, Filter, MagentoClient};
use crate::api::http::{CallError, Safety};
use crate::connector::{
    ApiStats, Choice, ConnectorError, Question, Result, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::magento::{
    self as facts, STATUS_DISABLED, STATUS_ENABLED, VISIBILITY_CATALOG_SEARCH,
    VISIBILITY_NOT_VISIBLE,
};
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Question codes (the step names of the interventions they become).
pub const AMBIGUOUS_ATTRIBUTE: &str = "ambiguous_attribute";
pub const UNKNOWN_REGION: &str = "unknown_region";
pub const MISSING_NAME: &str = "missing_name";

/// Records a question lists (the rest are counted in its problem text).
const LISTED: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionChoice {
    Region(u64),
    LeaveOut,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameChoice {
    Fill,
    Skip,
}

/// Why an address does not go with its customer.
enum Unsent {
    /// The address is left out; the customer moves.
    Address(String),
    /// The customer is left out.
    Customer(String),
}

/// What every address must have before Magento takes it.
struct Required {
    street: Vec<String>,
    city: String,
    country: String,
    phone: Option<String>,
    zip: Option<String>,
}

pub struct MagentoTarget {
    client: MagentoClient,
    findings: Vec<Finding>,
    catalog: Catalog,
    directory: Option<Directory>,
    /// `CC/region as written` → decision.
    regions: HashMap<String, RegionChoice>,
    names: Option<NameChoice>,
    optional_telephone: bool,
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn region_key(country: &str, province: Option<&str>) -> String {
    format!(
        "{}/{}",
        country.trim().to_ascii_uppercase(),
        province.map(str::trim).unwrap_or("")
    )
}

fn money(m: &Money) -> Option<f64> {
    m.amount.to_string().parse().ok()
}

fn about(r: &Record) -> RecordRef {
    RecordRef {
        entity: r.entity(),
        source_id: r.source().id.clone(),
        label: r.label(),
    }
}

impl MagentoTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(MagentoTarget {
            client: MagentoClient::open(spec)?,
            findings: vec![],
            catalog: Catalog::default(),
            directory: None,
            regions: HashMap::new(),
            names: None,
            optional_telephone: spec
                .options
                .get("optional_telephone")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// A SKU Magento can store, with a finding when it had to be shortened.
    fn sku(&mut self, r: &Record, raw: &str) -> String {
        let fitted = facts::fit_sku(raw).into_owned();
        if fitted != raw {
            self.findings.push(
                Finding::new(
                    Severity::Warning,
                    "sku_shortened",
                    format!(
                        "SKU \"{raw}\" is longer than Magento's {} characters: saved as \"{fitted}\" (the same on every run)",
                        facts::SKU_MAX_CHARS
                    ),
                )
                .about(about(r)),
            );
        }
        fitted
    }

    fn base_body(
        &self,
        p: &Product,
        v: Option<&Variant>,
        sku: &str,
        url_key: &str,
        visibility: i64,
        type_id: &'static str,
    ) -> ProductBody {
        let mut attrs = vec![AttributeValue::new("url_key", url_key)];
        if visibility != VISIBILITY_NOT_VISIBLE {
            if !p.body_html.trim().is_empty() {
                attrs.push(AttributeValue::new("description", p.body_html.clone()));
            }
            if let Some(t) = p.seo.title.as_deref().filter(|t| !t.trim().is_empty()) {
                attrs.push(AttributeValue::new("meta_title", t));
            }
            if let Some(d) = p.seo.description.as_deref().filter(|d| !d.trim().is_empty()) {
                attrs.push(AttributeValue::new("meta_description", d));
            }
        }
        let mut body = ProductBody {
            sku: sku.to_string(),
            name: p.title.clone(),
            attribute_set_id: self.client.attribute_set_id,
            status: if p.status == ProductStatus::Active {
                STATUS_ENABLED
            } else {
                STATUS_DISABLED
            },
            visibility,
            type_id,
            price: None,
            weight: None,
            extension_attributes: None,
            custom_attributes: vec![],
        };
        if let Some(v) = v {
            match (&v.price, &v.compare_at_price) {
                (Some(price), Some(compare)) if compare.amount > price.amount => {
                    body.price = money(compare);
                    attrs.push(AttributeValue::new(
                        "special_price",
                        price.amount.normalize().to_string(),
                    ));
                }
                // No price is sent as none: an update keeps Magento's, a create gets Magento's
                // own refusal, never a price of 0 nobody set.
                (price, _) => body.price = price.as_ref().and_then(money),
            }
            body.weight = v.weight.and_then(|w| {
                w.to_unit(self.client.weight_unit)
                    .value
                    .to_string()
                    .parse()
                    .ok()
            });
            body.extension_attributes = Some(ProductExtensionBody {
                stock_item: StockItemBody {
                    qty: v.inventory.map(|q| q as f64),
                    is_in_stock: v.inventory.is_none_or(|q| q > 0) || v.allow_backorder,
                    use_config_manage_stock: false,
                    manage_stock: v.inventory.is_some(),
                    use_config_backorders: false,
                    backorders: i64::from(v.allow_backorder),
                },
            });
        }
        body.custom_attributes = attrs;
        body
    }

    /// The product saved under `sku`, if any.
    async fn existing(&self, sku: &str) -> Result<Option<reply::Product>> {
        let path = format!("/products/{}", urlencode(sku));
        match self.client.read::<reply::Product>(&path, &[]).await? {
            Ok(p) => Ok(Some(p)),
            Err(r) if r.not_found() => Ok(None),
            Err(r) => Err(ConnectorError::Remote(format!(
                "Magento GET product {sku}: HTTP {}: {}",
                r.status, r.message
            ))),
        }
    }

    /// PUT /products/{sku} saves by SKU: sending it again changes nothing.
    async fn save(&self, body: &ProductBody) -> Result<std::result::Result<(), String>> {
        let path = format!("/products/{}", urlencode(&body.sku));
        let sent = self
            .client
            .write::<reply::Product, _>(
                reqwest::Method::PUT,
                &path,
                &SaveProduct { product: body },
                Safety::Idempotent,
            )
            .await?;
        Ok(sent.map(|_| ()).map_err(|r| r.message))
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let configurable = !p.options.is_empty();
        let raw = match p.variants.first().and_then(|v| v.sku.as_deref()) {
            Some(sku) if !configurable && !sku.trim().is_empty() => sku.trim().to_string(),
            _ => p.handle.clone(),
        };
        let sku = self.sku(r, &raw);
        let existing = self.existing(&sku).await?;
        if configurable {
            // A configurable's SKU comes from its handle: a product of another handle under the
            // same SKU is someone else's, and saving over it would merge two products.
            if let Some(other) = &existing {
                let key = other.custom("url_key");
                if key.as_deref().is_some_and(|k| k != p.handle) {
                    return Ok(WriteOutcome::Failed {
                        message: format!(
                            "Magento already has a product with SKU \"{sku}\" (URL key \"{}\"), which this configurable product's SKU would overwrite: rename one of the handles",
                            key.unwrap_or_default()
                        ),
                    });
                }
            }
        }
        if !p.images.is_empty() {
            // Magento's REST API takes image bytes, not URLs; moving them means downloading
            // them, which the operator does with Magento's own import.
            self.findings.push(
                Finding::new(Severity::Warning, "image_not_moved", format!("Magento's API takes image files, not URLs: {} image(s) of \"{}\" must be imported separately (first: {})", p.images.len(), p.title, p.images[0].src))
                    .about(about(r)),
            );
        }
        let done = match (existing.is_some(), sku.clone()) {
            (true, target_id) => WriteOutcome::Updated { target_id },
            (false, target_id) => WriteOutcome::Created { target_id },
        };
        let failed = |message: String| Ok(WriteOutcome::Failed { message });
        if !configurable {
            let body = self.base_body(
                p,
                p.variants.first(),
                &sku,
                &p.handle,
                VISIBILITY_CATALOG_SEARCH,
                "simple",
            );
            return match self.save(&body).await? {
                Ok(()) => Ok(done),
                Err(m) => failed(m),
            };
        }
        // Attributes first, then the children with their option values, the parent, its
        // configurable options, and the links.
        let mut attributes: Vec<Attribute> = vec![];
        for o in &p.options {
            match self.catalog.ready(&self.client, &o.name).await? {
                Ok(a) => attributes.push(a),
                Err(m) => return failed(format!("option \"{}\": {m}", o.name)),
            }
        }
        let mut children = vec![];
        for (i, v) in p.variants.iter().enumerate() {
            let raw = v
                .sku
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-{}", p.handle, i + 1));
            let child_sku = self.sku(r, &raw);
            let mut body = self.base_body(
                p,
                Some(v),
                &child_sku,
                &format!("{}-{}", p.handle, i + 1),
                VISIBILITY_NOT_VISIBLE,
                "simple",
            );
            body.name = format!("{} {}", p.title, v.option_values.join(" "))
                .trim()
                .to_string();
            for (a, value) in attributes.iter().zip(&v.option_values) {
                match self.catalog.option_value(&self.client, a, value).await? {
                    Ok(id) => body
                        .custom_attributes
                        .push(AttributeValue::new(&a.attribute_code, id.to_string())),
                    Err(m) => return failed(m),
                }
            }
            if let Err(m) = self.save(&body).await? {
                return failed(format!("variant {child_sku}: {m}"));
            }
            children.push(child_sku);
        }
        let parent = self.base_body(
            p,
            None,
            &sku,
            &p.handle,
            VISIBILITY_CATALOG_SEARCH,
            "configurable",
        );
        if let Err(m) = self.save(&parent).await? {
            return failed(m);
        }
        let current = self.existing(&sku).await?.ok_or_else(|| {
            ConnectorError::Remote(format!(
                "Magento saved product {sku} but does not find it again"
            ))
        })?;
        let have: Vec<&str> = current
            .configurable_options()
            .iter()
            .map(|o| o.attribute_id.as_str())
            .collect();
        for (i, (o, a)) in p.options.iter().zip(&attributes).enumerate() {
            let id = a.attribute_id.to_string();
            if have.contains(&id.as_str()) {
                continue;
            }
            let mut values = vec![];
            for v in &p.variants {
                let Some(label) = v.option_values.get(i) else {
                    continue;
                };
                match self.catalog.option_value(&self.client, a, label).await? {
                    Ok(index) if !values.iter().any(|x: &ConfigurableValueBody| x.value_index == index) => {
                        values.push(ConfigurableValueBody { value_index: index })
                    }
                    Ok(_) => {}
                    Err(m) => return failed(m),
                }
            }
            let body = AddConfigurableOption {
                option: ConfigurableOptionBody {
                    attribute_id: id,
                    label: o.name.trim(),
                    position: i as i64,
                    is_use_default: true,
                    values,
                },
            };
            let path = format!("/configurable-products/{}/options", urlencode(&sku));
            if let Err(r) = self
                .client
                .write::<u64, _>(reqwest::Method::POST, &path, &body, Safety::Idempotent)
                .await?
            {
                // A retried create that had landed is answered "already has this option".
                if !r.message.contains("already has this option") {
                    return failed(r.message);
                }
            }
        }
        let linked: Vec<reply::Product> = self
            .client
            .get(
                &format!("/configurable-products/{}/children", urlencode(&sku)),
                &[],
            )
            .await?;
        for child in children
            .iter()
            .filter(|c| !linked.iter().any(|l| &l.sku == *c))
        {
            let path = format!("/configurable-products/{}/child", urlencode(&sku));
            if let Err(r) = self
                .client
                .write::<bool, _>(
                    reqwest::Method::POST,
                    &path,
                    &AddChild { child_sku: child },
                    Safety::Idempotent,
                )
                .await?
            {
                if !r.message.contains("already attached") {
                    return failed(format!("variant {child}: {}", r.message));
                }
            }
        }
        Ok(done)
    }

    async fn customer_id(&self, email: &str) -> Result<Option<u64>> {
        let found: Vec<reply::Customer> = self
            .client
            .search_all("/customers/search", Filter::eq("email", email))
            .await?;
        // Email is unique per website; the search spans all of them.
        let mine: Vec<&reply::Customer> = found
            .iter()
            .filter(|c| c.email.eq_ignore_ascii_case(email))
            .filter(|c| c.website_id.is_none_or(|w| w == self.client.website_id))
            .collect();
        match mine.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.id)),
            many => Err(ConnectorError::Remote(format!(
                "Magento has {} customers with the email {email} in website {}: ids {}",
                many.len(),
                self.client.website_id,
                many.iter()
                    .map(|c| c.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    async fn load_directory(&mut self) -> Result<()> {
        if self.directory.is_none() {
            let countries: Vec<reply::Country> =
                self.client.get("/directory/countries", &[]).await?;
            self.directory = Some(Directory::new(countries)?);
        }
        Ok(())
    }

    /// First and last name as Magento requires them, or why the customer cannot move.
    fn names(&mut self, r: &Record, c: &Customer) -> std::result::Result<(String, String), String> {
        let first = text(&c.first_name);
        let last = text(&c.last_name);
        if let (Some(f), Some(l)) = (&first, &last) {
            return Ok((f.clone(), l.clone()));
        }
        match self.names {
            Some(NameChoice::Fill) => {
                let local = c.email.trim().split('@').next().unwrap_or("").to_string();
                let fill = first.clone().or(last.clone()).unwrap_or(local);
                let (f, l) = (
                    first.unwrap_or_else(|| fill.clone()),
                    last.unwrap_or_else(|| fill.clone()),
                );
                self.findings.push(
                    Finding::new(
                        Severity::Info,
                        "name_filled",
                        format!(
                            "{}: Magento requires a first and a last name: sent as \"{f}\" \"{l}\" as decided",
                            c.label()
                        ),
                    )
                    .about(about(r)),
                );
                Ok((f, l))
            }
            Some(NameChoice::Skip) => Err(
                "left out as decided: Magento requires a first and a last name on every customer"
                    .into(),
            ),
            None => Err("Magento requires a first and a last name on every customer; this one lacks one (storeshift asks what to do before the batch is written)".into()),
        }
    }

    /// The values Magento's address validator requires, or which of them the address lacks.
    fn required(&self, c: &Customer, a: &Address) -> std::result::Result<Required, String> {
        let street: Vec<String> = [&a.address1, &a.address2]
            .into_iter()
            .filter_map(text)
            .collect();
        let city = text(&a.city);
        let country = text(&a.country_code).map(|c| c.to_ascii_uppercase());
        let phone = text(&a.phone).or_else(|| text(&c.phone));
        let zip = text(&a.zip);
        let mut missing = vec![];
        if street.is_empty() {
            missing.push("street");
        }
        if city.is_none() {
            missing.push("city");
        }
        if country.is_none() {
            missing.push("country");
        }
        if phone.is_none() && !self.optional_telephone {
            missing.push("telephone");
        }
        let zip_optional = country
            .as_deref()
            .is_some_and(|c| facts::OPTIONAL_ZIP_COUNTRIES.contains(&c));
        if zip.is_none() && !zip_optional {
            missing.push("postcode");
        }
        match (city, country, missing.is_empty()) {
            (Some(city), Some(country), true) => Ok(Required {
                street,
                city,
                country,
                phone,
                zip,
            }),
            _ => Err(format!(
                "Magento requires {} on every address",
                missing.join(", ")
            )),
        }
    }

    /// The address as Magento accepts it, or why it does not go.
    fn address(
        &self,
        c: &Customer,
        a: &Address,
        names: &(String, String),
    ) -> std::result::Result<AddressBody, Unsent> {
        let Required {
            street,
            city,
            country,
            phone,
            zip,
        } = self.required(c, a).map_err(Unsent::Address)?;
        let province = text(&a.province);
        let listed = |r: &ListedRegion| {
            (
                Some(r.id),
                Some(RegionBody {
                    region_code: r.code.clone(),
                    region: r.name.clone(),
                    region_id: r.id,
                }),
            )
        };
        let Some(dir) = &self.directory else {
            return Err(Unsent::Address(
                "the store's directory of countries was not read".into(),
            ));
        };
        let (region_id, region) = match dir.resolve(&country, province.as_deref()) {
            Resolved::UnknownCountry => {
                return Err(Unsent::Address(format!(
                    "the store does not sell to {country} (it is not in Magento's directory of countries)"
                )))
            }
            Resolved::Text(t) => (
                None,
                t.map(|t| RegionBody {
                    region_code: t.clone(),
                    region: t,
                    region_id: 0,
                }),
            ),
            Resolved::Listed(r) => listed(&r),
            Resolved::Unknown(_) => {
                let key = region_key(&country, province.as_deref());
                let named = province.as_deref().unwrap_or("(none)");
                match self.regions.get(&key) {
                    Some(RegionChoice::Region(id)) => match dir.region_by_id(&country, *id) {
                        Some(r) => listed(r),
                        None => {
                            return Err(Unsent::Address(format!(
                                "the region chosen for \"{named}\" ({id}) is not one of {country}'s"
                            )))
                        }
                    },
                    Some(RegionChoice::LeaveOut) => {
                        return Err(Unsent::Address(format!(
                            "left out as decided: Magento has no region \"{named}\" in {country}"
                        )))
                    }
                    Some(RegionChoice::Skip) => {
                        return Err(Unsent::Customer(format!(
                            "left out as decided: Magento has no region \"{named}\" in {country}"
                        )))
                    }
                    None => {
                        return Err(Unsent::Address(format!(
                            "Magento requires a region of its list for {country}, and has none called \"{named}\""
                        )))
                    }
                }
            }
        };
        Ok(AddressBody {
            firstname: text(&a.first_name).unwrap_or_else(|| names.0.clone()),
            lastname: text(&a.last_name).unwrap_or_else(|| names.1.clone()),
            company: text(&a.company),
            street,
            city,
            country_id: country,
            region_id,
            region,
            postcode: zip,
            telephone: phone,
            default_billing: false,
            default_shipping: false,
        })
    }

    async fn write_customer(&mut self, r: &Record, c: &Customer) -> Result<WriteOutcome> {
        let email = c.email.trim().to_ascii_lowercase();
        if email.is_empty() {
            return Ok(WriteOutcome::Failed {
                message: "Magento requires an email on every customer; this one has none".into(),
            });
        }
        let names = match self.names(r, c) {
            Ok(n) => n,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        if !c.addresses.is_empty() {
            self.load_directory().await?;
        }
        let mut addresses = vec![];
        let mut default = None;
        for (i, a) in c.addresses.iter().enumerate() {
            match self.address(c, a, &names) {
                Ok(body) => {
                    if a.default && default.is_none() {
                        default = Some(addresses.len());
                    }
                    addresses.push(body);
                }
                Err(Unsent::Customer(message)) => return Ok(WriteOutcome::Failed { message }),
                Err(Unsent::Address(why)) => {
                    let place: Vec<String> = [&a.city, &a.country_code]
                        .into_iter()
                        .filter_map(text)
                        .collect();
                    self.findings.push(
                        Finding::new(
                            Severity::Warning,
                            "address_left_out",
                            format!(
                                "{}: address {} ({}) left out: {why}",
                                c.label(),
                                i + 1,
                                if place.is_empty() { "no city or country".to_string() } else { place.join(", ") }
                            ),
                        )
                        .about(about(r)),
                    );
                }
            }
        }
        if let Some(first) = addresses.get_mut(default.unwrap_or(0)) {
            first.default_billing = true;
            first.default_shipping = true;
        }
        let mut body = CustomerBody {
            id: None,
            email: email.clone(),
            firstname: names.0,
            lastname: names.1,
            website_id: self.client.website_id,
            addresses,
        };
        if let Some(id) = self.customer_id(&email).await? {
            body.id = Some(id);
            let sent = self
                .client
                .write::<reply::Customer, _>(
                    reqwest::Method::PUT,
                    &format!("/customers/{id}"),
                    &SaveCustomer { customer: &body },
                    Safety::Idempotent,
                )
                .await?;
            return Ok(match sent {
                Ok(_) => WriteOutcome::Updated {
                    target_id: id.to_string(),
                },
                Err(r) => WriteOutcome::Failed { message: r.message },
            });
        }
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                if let Some(id) = self.customer_id(&email).await? {
                    return Ok(WriteOutcome::Created {
                        target_id: id.to_string(),
                    });
                }
            }
            match self
                .client
                .write::<reply::Customer, _>(
                    reqwest::Method::POST,
                    "/customers",
                    &SaveCustomer { customer: &body },
                    Safety::Unsafe,
                )
                .await
            {
                Ok(Ok(created)) => {
                    return Ok(WriteOutcome::Created {
                        target_id: created.id.to_string(),
                    })
                }
                Ok(Err(r)) => return Ok(WriteOutcome::Failed { message: r.message }),
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "Magento did not confirm the customer after repeated attempts".into(),
        })
    }

    async fn product_questions(&mut self, batch: &[Record]) -> Result<Vec<Question>> {
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
                asked.insert(k.clone(), ambiguous_attribute(&k, o.name.trim(), list, about(r)));
            }
        }
        Ok(asked.into_values().collect())
    }

    async fn customer_questions(&mut self, batch: &[Record]) -> Result<Vec<Question>> {
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
                let unresolved = match self.directory.as_ref().map(|d| d.resolve(&req.country, province.as_deref())) {
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
        .map(|a| format!("{} (\"{}\", id {})", a.attribute_code, a.label(), a.attribute_id))
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

#[async_trait]
impl Target for MagentoTarget {
    fn platform(&self) -> Platform {
        Platform::Magento
    }

    fn describe(&self) -> String {
        format!("Magento REST API ({})", self.client.base())
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = vec![];
        for r in batch {
            out.push(match (entity, r) {
                (Entity::Products, Record::Product(p)) => self.write_product(r, p).await?,
                (Entity::Customers, Record::Customer(c)) => self.write_customer(r, c).await?,
                _ => return Err(ConnectorError::Input(format!("the Magento API target loads products and customers; {} cannot be written through it", r.entity()))),
            });
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    /// Products and customers move through this API; other entities go by files for now.
    fn accepts(&self, entity: Entity) -> bool {
        matches!(entity, Entity::Products | Entity::Customers)
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        match entity {
            Entity::Products => {
                let found: Vec<reply::Product> = self
                    .client
                    .search_all("/products", Filter::eq("url_key", external_key))
                    .await?;
                let mut skus: Vec<String> = found
                    .into_iter()
                    .filter(|p| p.custom("url_key").as_deref() == Some(external_key))
                    .map(|p| p.sku)
                    .collect();
                skus.dedup();
                match skus.len() {
                    0 | 1 => Ok(skus.pop()),
                    _ => Err(ConnectorError::Remote(format!(
                        "Magento has several products with the URL key {external_key}: {}",
                        skus.join(", ")
                    ))),
                }
            }
            Entity::Customers => Ok(self
                .customer_id(&external_key.to_ascii_lowercase())
                .await?
                .map(|i| i.to_string())),
            _ => Ok(None),
        }
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        let mut paths = vec![];
        match entity {
            Entity::Products => {
                // A configurable's children were created with it and go with it.
                let children = self
                    .client
                    .read::<Vec<reply::Product>>(
                        &format!("/configurable-products/{}/children", urlencode(target_id)),
                        &[],
                    )
                    .await?
                    .unwrap_or_default();
                for c in children {
                    paths.push(format!("/products/{}", urlencode(&c.sku)));
                }
                paths.push(format!("/products/{}", urlencode(target_id)));
            }
            Entity::Customers => paths.push(format!("/customers/{target_id}")),
            other => {
                return Err(ConnectorError::Input(format!(
                    "the Magento API target cannot delete {other}"
                )))
            }
        }
        for path in paths {
            let r = self
                .client
                .call(
                    reqwest::Method::DELETE,
                    &path,
                    &[],
                    None,
                    Safety::Idempotent,
                )
                .await?;
            if !r.status.is_success() && r.status.as_u16() != 404 {
                return Err(ConnectorError::Remote(format!(
                    "Magento DELETE {path}: {}",
                    super::message(&r)
                )));
            }
        }
        Ok(())
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

    async fn questions(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<Question>> {
        match entity {
            Entity::Products => self.product_questions(batch).await,
            Entity::Customers => self.customer_questions(batch).await,
            _ => Ok(vec![]),
        }
    }

    fn decide(&mut self, code: &str, item: &str, choice: &str) {
        match code {
            AMBIGUOUS_ATTRIBUTE => self.catalog.decide(item, choice),
            UNKNOWN_REGION => {
                let c = match choice {
                    "skip" => RegionChoice::Skip,
                    other => other
                        .parse()
                        .map(RegionChoice::Region)
                        .unwrap_or(RegionChoice::LeaveOut),
                };
                self.regions.insert(item.to_string(), c);
            }
            MISSING_NAME => {
                self.names = Some(if choice == "fill" {
                    NameChoice::Fill
                } else {
                    NameChoice::Skip
                })
            }
            _ => {}
        }
    }
}
