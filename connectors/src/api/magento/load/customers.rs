//! Customers and their addresses as Magento's validators take them: first and last name,
//! every address with its street, city, country, telephone (unless the store made it
//! optional), postcode (outside the optional-zip countries) and the directory's `region_id`.
//! An address that cannot go is left out with a finding; the customer still moves.

use super::{about, text, MagentoTarget};
use crate::api::http::{CallError, Safety};
use crate::api::magento::directory::{Directory, ListedRegion, Resolved};
use crate::api::magento::reply;
use crate::api::magento::request::*;
use crate::api::magento::Filter;
use crate::connector::{ConnectorError, Result, WriteOutcome};
use crate::finding::{Finding, Severity};
use crate::model::*;
use crate::platform::magento as facts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RegionChoice {
    Region(u64),
    LeaveOut,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameChoice {
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
pub(super) struct Required {
    street: Vec<String>,
    city: String,
    pub(super) country: String,
    phone: Option<String>,
    zip: Option<String>,
}

pub(super) fn region_key(country: &str, province: Option<&str>) -> String {
    format!(
        "{}/{}",
        country.trim().to_ascii_uppercase(),
        province.map(str::trim).unwrap_or("")
    )
}

impl MagentoTarget {
    pub(super) async fn customer_id(&self, email: &str) -> Result<Option<u64>> {
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

    pub(super) async fn load_directory(&mut self) -> Result<()> {
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
    pub(super) fn required(
        &self,
        c: &Customer,
        a: &Address,
    ) -> std::result::Result<Required, String> {
        let street: Vec<String> = [&a.address1, &a.address2]
            .into_iter()
            .filter_map(text)
            .collect();
        let city = text(&a.city);
        let country = text(&a.country_code).map(|c| c.to_ascii_uppercase());
        let phone = text(&a.phone).or_else(|| text(&c.phone));
        let zip = text(&a.zip);
        let missing = facts::address_missing(a, phone.as_deref(), self.optional_telephone);
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

    pub(super) async fn write_customer(
        &mut self,
        r: &Record,
        c: &Customer,
    ) -> Result<WriteOutcome> {
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
                                if place.is_empty() {
                                    "no city or country".to_string()
                                } else {
                                    place.join(", ")
                                }
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
            extension_attributes: CustomerExtensionBody {
                is_subscribed: c.marketing.email,
            },
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
}
