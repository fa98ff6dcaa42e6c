//! Customers without an email, for targets that key customers by email.
//!
//! Shopify lets a customer sign in by phone alone (one real store had 22% of its customers
//! that way); every other platform storeshift writes needs an email. The operator chooses what
//! happens to such customers — the same three choices for `convert` (a flag) and for a run (an
//! intervention): leave them out and list them, give each an address on a domain the operator
//! names, or leave them out and write them to a CSV for the store owner.

use crate::files::table::push_row;
use crate::model::Customer;
use std::fmt;
use std::str::FromStr;

/// The CSV written for the store owner, in the output directory.
pub const OWNER_FILE: &str = "customers-without-email.csv";

/// Its columns. None is named like a column of a platform's export (no "Email", no "Type"), so a
/// reader that recognises files by their header never takes it for an import file.
pub const OWNER_HEADER: [&str; 15] = [
    "Source customer ID",
    "First name",
    "Last name",
    "Phone",
    "Company",
    "Street",
    "Street 2",
    "City",
    "Province",
    "Country code",
    "Postcode",
    "Accepts SMS",
    "Tags",
    "Note",
    "Why it is here",
];

/// What becomes of a customer without an email when the target needs one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoEmail {
    /// Leave them out; the report lists them (what storeshift always did).
    #[default]
    Skip,
    /// Give each an address on this domain (`phone-905551234567@shop.example`).
    Domain(String),
    /// Leave them out and write them to [`OWNER_FILE`] for the store owner.
    OwnerFile,
}

impl NoEmail {
    /// How each outcome is named in counts and reports.
    pub fn outcome_key(&self) -> &'static str {
        match self {
            NoEmail::Skip => "skipped",
            NoEmail::Domain(_) => "address_created",
            NoEmail::OwnerFile => "owner_file",
        }
    }
}

impl fmt::Display for NoEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoEmail::Skip => f.write_str("skip"),
            NoEmail::Domain(d) => write!(f, "domain:{d}"),
            NoEmail::OwnerFile => f.write_str("file"),
        }
    }
}

impl FromStr for NoEmail {
    type Err = String;

    fn from_str(s: &str) -> Result<NoEmail, String> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "skip" => return Ok(NoEmail::Skip),
            "file" => return Ok(NoEmail::OwnerFile),
            _ => {}
        }
        match s.split_once(':') {
            Some((k, d)) if k.eq_ignore_ascii_case("domain") => {
                Ok(NoEmail::Domain(valid_domain(d)?))
            }
            _ => Err(format!(
                "\"{s}\" is not a choice for customers without an email: use skip, file, or \
                 domain:DOMAIN (for example domain:shop.example)"
            )),
        }
    }
}

/// A domain an address can be made on, lower case; or why it cannot be one.
pub fn valid_domain(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if d.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(format!(
            "\"{}\" is not a domain addresses can be made on: name one such as shop.example \
             (letters, digits and dashes, with at least one dot)",
            raw.trim()
        ));
    }
    Ok(d)
}

/// Whether `c` has no email the target could key it by.
pub fn lacks_email(c: &Customer) -> bool {
    c.email.trim().is_empty()
}

/// The address a customer without an email gets on `domain`: from the digits of the phone
/// (`phone-905551234567@shop.example`), else from the source id (`customer-1042@…`). The
/// same customer always gets the same address; [`with_suffix`] separates two that collide.
pub fn address_for(c: &Customer, domain: &str) -> String {
    let digits: String = c
        .phone
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() >= 4 {
        format!("phone-{digits}@{domain}")
    } else {
        format!("customer-{}@{domain}", local_part(&c.source.id))
    }
}

/// `address` made distinct for the customer with `source_id` (two customers sharing a phone).
pub fn with_suffix(address: &str, source_id: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{local}-{}@{domain}", local_part(source_id)),
        None => address.to_string(),
    }
}

/// `id` as the characters an email's local part may hold without quoting.
fn local_part(id: &str) -> String {
    let s: String = id
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "x".into()
    } else {
        s
    }
}

/// The header row of [`OWNER_FILE`].
pub fn owner_header() -> Vec<u8> {
    let mut out = Vec::new();
    push_row(&mut out, &OWNER_HEADER, b',');
    out
}

/// One customer as a row of [`OWNER_FILE`]; `why` says what the store owner should do.
pub fn owner_row(c: &Customer, why: &str, out: &mut Vec<u8>) {
    let a = c
        .addresses
        .iter()
        .find(|a| a.default)
        .or(c.addresses.first());
    let s = |v: Option<&String>| v.cloned().unwrap_or_default();
    let phone = c
        .phone
        .clone()
        .or_else(|| a.and_then(|a| a.phone.clone()))
        .unwrap_or_default();
    let fields = [
        c.source.id.clone(),
        s(c.first_name.as_ref()),
        s(c.last_name.as_ref()),
        phone,
        s(a.and_then(|a| a.company.as_ref())),
        s(a.and_then(|a| a.address1.as_ref())),
        s(a.and_then(|a| a.address2.as_ref())),
        s(a.and_then(|a| a.city.as_ref())),
        s(a.and_then(|a| a.province.as_ref())),
        s(a.and_then(|a| a.country_code.as_ref())),
        s(a.and_then(|a| a.zip.as_ref())),
        if c.marketing.sms { "yes" } else { "no" }.to_string(),
        c.tags.join(", "),
        s(c.note.as_ref()),
        why.to_string(),
    ];
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    push_row(out, &refs, b',');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, SourceRef};
    use proptest::prelude::*;

    fn customer(id: &str, phone: Option<&str>) -> Customer {
        Customer {
            source: SourceRef::new(id),
            phone: phone.map(str::to_string),
            first_name: Some("Ayşe".into()),
            ..Customer::default()
        }
    }

    #[test]
    fn choices_parse_from_the_flag_and_say_what_is_wrong() {
        assert_eq!("skip".parse::<NoEmail>(), Ok(NoEmail::Skip));
        assert_eq!("FILE".parse::<NoEmail>(), Ok(NoEmail::OwnerFile));
        assert_eq!(
            "domain:Shop.Example".parse::<NoEmail>(),
            Ok(NoEmail::Domain("shop.example".into()))
        );
        assert_eq!(
            "domain:@mail.shop.example".parse::<NoEmail>(),
            Ok(NoEmail::Domain("mail.shop.example".into()))
        );
        for bad in [
            "domain:",
            "domain:localhost",
            "domain:-x.example",
            "domain:a b.example",
            "drop",
        ] {
            let err = bad.parse::<NoEmail>().unwrap_err();
            assert!(
                err.contains("domain") || err.contains("skip"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            NoEmail::Domain("shop.example".into()).to_string(),
            "domain:shop.example"
        );
    }

    #[test]
    fn addresses_come_from_the_phone_else_the_source_id() {
        let c = customer("7", Some("+90 (555) 123 45 67"));
        assert_eq!(
            address_for(&c, "shop.example"),
            "phone-905551234567@shop.example"
        );
        let c = customer("gid://shopify/Customer/42", None);
        assert_eq!(
            address_for(&c, "shop.example"),
            "customer-gid---shopify-customer-42@shop.example"
        );
        assert_eq!(
            with_suffix("phone-905551234567@shop.example", "A/7"),
            "phone-905551234567-a-7@shop.example"
        );
    }

    #[test]
    fn the_owner_file_has_a_row_per_customer_that_reads_back_as_csv() {
        let mut c = customer("9", Some("+56 9 1234"));
        c.addresses.push(Address {
            address1: Some("Calle 1, depto \"A\"".into()),
            city: Some("Santiago".into()),
            default: true,
            ..Address::default()
        });
        let mut bytes = owner_header();
        owner_row(&c, "ask for an email", &mut bytes);
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(r.headers().unwrap().len(), OWNER_HEADER.len());
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "9");
        assert_eq!(&rows[0][3], "+56 9 1234");
        assert_eq!(&rows[0][5], "Calle 1, depto \"A\"");
        assert_eq!(&rows[0][14], "ask for an email");
    }

    proptest! {
        /// Whatever the phone and id, the address is a plain ASCII address on the domain, and
        /// the same customer always gets the same one.
        #[test]
        fn addresses_are_valid_and_deterministic(phone in proptest::option::of(".{0,20}"), id in ".{0,20}") {
            let c = customer(&id, phone.as_deref());
            let a = address_for(&c, "shop.example");
            prop_assert_eq!(&a, &address_for(&c, "shop.example"));
            let (local, domain) = a.split_once('@').unwrap();
            prop_assert_eq!(domain, "shop.example");
            prop_assert!(!local.is_empty());
            prop_assert!(local.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'), "{}", a);
            let b = with_suffix(&a, &id);
            prop_assert!(b.ends_with("@shop.example") && b != a);
        }
    }
}
