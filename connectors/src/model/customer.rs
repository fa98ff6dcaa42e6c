use super::{SourceRef, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State / province name or code as the source gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default)]
    pub default: bool,
}

impl Address {
    /// The street and city, for messages about one address ("Kızılay 5, Ankara").
    pub fn summary(&self) -> String {
        [self.address1.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn is_empty(&self) -> bool {
        self.address1.is_none()
            && self.city.is_none()
            && self.country_code.is_none()
            && self.zip.is_none()
    }
}

/// Marketing consent as the source recorded it. Consent is never invented: unknown stays unknown.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct MarketingConsent {
    #[serde(default)]
    pub email: bool,
    #[serde(default)]
    pub sms: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Customer {
    pub source: SourceRef,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub marketing: MarketingConsent,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub created_at: Option<Timestamp>,
}

impl Customer {
    /// The key a customer is found by in any store: the email in lower case; for a customer
    /// without one (stores that sign in by phone), the phone; failing both, the source id.
    /// Never empty, so customers without an email are never taken for one another.
    pub fn key(&self) -> String {
        let email = self.email.trim();
        if !email.is_empty() {
            return email.to_ascii_lowercase();
        }
        match self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(phone) => format!("phone:{phone}"),
            None => format!("id:{}", self.source.id),
        }
    }

    /// A short name for messages: the email, else the name, else the phone, else the id.
    pub fn label(&self) -> String {
        if !self.email.trim().is_empty() {
            return self.email.clone();
        }
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            return name;
        }
        self.phone
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| format!("customer {}", self.source.id))
    }

    /// Keeps at most `max` addresses, the default one first (else the first one), and returns
    /// those left out: for import files that hold fewer addresses than the store had.
    pub fn keep_addresses(&mut self, max: usize) -> Vec<Address> {
        if self.addresses.len() <= max {
            return vec![];
        }
        let first = self.addresses.iter().position(|a| a.default).unwrap_or(0);
        let default = self.addresses.remove(first);
        self.addresses.insert(0, default);
        self.addresses.split_off(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceRef;

    fn customer(id: &str, email: &str, phone: Option<&str>) -> Customer {
        Customer {
            email: email.into(),
            phone: phone.map(Into::into),
            source: SourceRef::new(id),
            ..Customer::default()
        }
    }

    #[test]
    fn customers_without_email_get_distinct_keys() {
        assert_eq!(customer("1", " A@B.test", None).key(), "a@b.test");
        let a = customer("1", "", Some("+90 555 000 0001"));
        let b = customer("2", "", Some("+90 555 000 0002"));
        let c = customer("3", "", None);
        let d = customer("4", "  ", Some(" "));
        let keys = [a.key(), b.key(), c.key(), d.key()];
        assert_eq!(keys[0], "phone:+90 555 000 0001");
        assert_eq!(keys[2], "id:3");
        assert_eq!(keys[3], "id:4");
        assert!(keys.iter().all(|k| !k.is_empty()));
        let labels = [a.label(), c.label()];
        assert_eq!(labels, ["+90 555 000 0001", "customer 3"]);
        let mut named = customer("5", "", None);
        named.first_name = Some("Ayşe".into());
        named.last_name = Some("Yılmaz".into());
        assert_eq!(named.label(), "Ayşe Yılmaz");
    }

    #[test]
    fn keep_addresses_puts_the_default_first_and_returns_the_rest() {
        let addr = |street: &str, default: bool| Address {
            address1: Some(street.into()),
            default,
            ..Address::default()
        };
        let mut c = customer("1", "a@b.test", None);
        c.addresses = vec![addr("one", false), addr("two", true), addr("three", false)];
        let dropped = c.keep_addresses(1);
        assert_eq!(c.addresses, vec![addr("two", true)]);
        assert_eq!(dropped, vec![addr("one", false), addr("three", false)]);
        // Without a default the first is kept; within the limit nothing changes.
        c.addresses = vec![addr("one", false), addr("two", false)];
        assert_eq!(c.keep_addresses(2), vec![]);
        assert_eq!(c.keep_addresses(1), vec![addr("two", false)]);
        assert_eq!(c.addresses, vec![addr("one", false)]);
    }
}
