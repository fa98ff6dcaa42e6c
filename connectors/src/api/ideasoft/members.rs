//! Members as the document requires them: names, e-mail, password, status, a country and a
//! city (`location`) from the store's own lists, the device type and the three consents. A
//! member is found again by e-mail among the candidates of the search key `s`.

use super::target::{obj, outcome_of, put_text, IdeasoftTarget, Key};
use super::types;
use crate::connector::{Result, WriteOutcome};
use crate::finding::Severity;
use crate::model::*;
use crate::platform::ideasoft::defaults;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::json;

/// City names compared without case or accents ("İSTANBUL" is "istanbul").
fn fold(s: &str) -> String {
    deunicode::deunicode(s.trim()).to_lowercase()
}

impl IdeasoftTarget {
    async fn country_id(&mut self, code: &str) -> Result<Option<u64>> {
        if self.countries.is_none() {
            let all: Vec<types::Country> = self.client.list_all("countries", &[]).await?;
            self.countries = Some(
                all.into_iter()
                    .filter_map(|c| Some((c.code?.trim().to_ascii_uppercase(), c.id)))
                    .collect(),
            );
        }
        Ok(self
            .countries
            .as_ref()
            .and_then(|m| m.get(&code.trim().to_ascii_uppercase()).copied()))
    }

    async fn location_id(&mut self, country: u64, name: &str) -> Result<Option<u64>> {
        if !self.locations.contains_key(&country) {
            let all: Vec<types::Location> = self
                .client
                .list_all(
                    "locations",
                    &super::client::q(&[("country", country.to_string())]),
                )
                .await?;
            self.locations.insert(
                country,
                all.into_iter()
                    .filter_map(|l| Some((fold(&l.name?), l.id)))
                    .collect(),
            );
        }
        let want = fold(name);
        Ok(self.locations[&country]
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(_, id)| *id))
    }

    pub(super) async fn write_member(&mut self, r: &Record, c: &Customer) -> Result<WriteOutcome> {
        let email = c.email.trim().to_string();
        if email.is_empty() {
            return Ok(self.refuse(
                "member_email_missing",
                format!("Ideasoft members sign in by e-mail and the document requires one; {} has none, so it was not sent", c.label()),
                r,
            ));
        }
        let a = c
            .addresses
            .iter()
            .find(|a| a.default)
            .or(c.addresses.first());
        let name = |own: &Option<String>, from_address: Option<&Option<String>>| {
            own.as_deref()
                .or(from_address.and_then(|x| x.as_deref()))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let first = name(&c.first_name, a.map(|a| &a.first_name));
        let last = name(&c.last_name, a.map(|a| &a.last_name));
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(self.refuse(
                "member_name_missing",
                format!("Ideasoft requires a first name and a surname for every member, and {email} has {} in the source (nor on an address): add the name there and run again", if c.first_name.is_none() && c.last_name.is_none() { "neither" } else { "only one" }),
                r,
            ));
        };
        let code = match a.and_then(|a| a.country_code.as_deref()).map(str::trim) {
            Some(code) if !code.is_empty() => code.to_ascii_uppercase(),
            _ => {
                if a.is_some() {
                    self.note(Severity::Info, "member_country_defaulted", format!("the address of {email} names no country; Ideasoft requires one, so the member was given {} (target option default_country)", self.default_country), r);
                }
                self.default_country.clone()
            }
        };
        let Some(country) = self.country_id(&code).await? else {
            return Ok(self.refuse(
                "country_missing",
                format!("country {code} of {email} is not in the Ideasoft store's country list; enable it under Ayarlar › Ülkeler and run again"),
                r,
            ));
        };
        let province = a
            .and_then(|a| a.province.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let matched = match province {
            Some(p) => self.location_id(country, p).await?,
            None => None,
        };
        let mut other_location = None;
        let location = match matched {
            Some(id) => id,
            None => {
                let fallback = self.default_location.clone();
                let Some(id) = self.location_id(country, &fallback).await? else {
                    return Ok(self.refuse(
                        "member_location_missing",
                        format!("Ideasoft requires a city from the store's list for every member; {email} has {} and the store has no city \"{fallback}\" in country {code} (target option default_location): add the city under Ayarlar › Bölgeler or name another one", province.map(|p| format!("\"{p}\", which is not in that list,")).unwrap_or("none".into())),
                        r,
                    ));
                };
                if let Some(p) = province {
                    other_location = Some(p.to_string());
                    self.note(Severity::Info, "member_location_defaulted", format!("the city \"{p}\" of {email} is not in the Ideasoft store's city list: the member was filed under {fallback} with \"{p}\" kept as its other location"), r);
                } else if a.is_some() {
                    self.note(Severity::Info, "member_location_defaulted", format!("the address of {email} names no city; Ideasoft requires one, so the member was filed under {fallback} (target option default_location)"), r);
                }
                id
            }
        };
        if c.addresses.len() > 1 {
            self.note(Severity::Warning, "addresses_not_moved", format!("{email} has {} addresses; an Ideasoft member keeps one, so only the default one was written", c.addresses.len()), r);
        }
        let mut update = json!({
            "email": email, "firstname": first, "surname": last,
            "status": defaults::MEMBER_STATUS, "deviceType": defaults::MEMBER_DEVICE_TYPE,
            "country": { "id": country }, "location": { "id": location },
            "allowedToCampaigns": i64::from(c.marketing.email), "allowedToSms": i64::from(c.marketing.sms),
            "allowedToPhone": 0,
        });
        {
            let o = obj(&mut update);
            put_text(o, "mobilePhoneNumber", c.phone.as_deref());
            put_text(o, "phoneNumber", a.and_then(|a| a.phone.as_deref()));
            let street = a
                .map(|a| {
                    [a.address1.as_deref(), a.address2.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            put_text(o, "address", Some(&street));
            put_text(o, "district", a.and_then(|a| a.city.as_deref()));
            put_text(o, "zipCode", a.and_then(|a| a.zip.as_deref()));
            put_text(o, "commercialName", a.and_then(|a| a.company.as_deref()));
            put_text(o, "otherLocation", other_location.as_deref());
        }
        // A new member needs a password; nobody knows the old one (stores keep hashes), so it
        // gets a random one it replaces through "forgot my password". Updates leave it alone.
        let mut create = update.clone();
        obj(&mut create).insert(
            "password".into(),
            json!(Alphanumeric.sample_string(&mut rand::rng(), 24)),
        );
        let found = self.member_by_email(&email, false).await?;
        let outcome = self
            .upsert(
                "members",
                found,
                &create,
                &update,
                "email",
                &Key::MemberEmail(&email),
            )
            .await?;
        Ok(match outcome {
            Ok((id, created)) => {
                if created && !self.password_noted {
                    self.password_noted = true;
                    self.note(Severity::Info, "member_password_reset", "Ideasoft requires a password for every member and no store can export one: migrated members get a random password and sign in after \"forgot my password\" (the Customer Communication agent's notice says so)".into(), r);
                }
                outcome_of(id, created)
            }
            Err(u) => self.upsert_failed("members", "email", &email, u, r),
        })
    }
}
