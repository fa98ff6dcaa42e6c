//! Magento 2 customer import/export CSV: "Customers Main File" (one row per customer) and the
//! composite "Customers and Addresses" layout, where `_address_*` columns hold an address on the
//! customer's row and every further address follows on its own row with an empty `email`.
//!
//! Magento keeps no phone on the customer: the phone read is the default billing address's
//! `_address_telephone` (else the first address's), and a phone is written only on an address.

use crate::connector::Result;
use crate::files::dates::DateReader;
use crate::files::loaded::{
    all_rows, cell, cell_finding, col, date_cell, header_bytes, Ctx, OutRow, Parsed,
};
use crate::files::table::{Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::Severity;
use crate::model::{Address, Customer, Entity, Record, SourceRef};
use crate::platform;

pub const HEADER: &[&str] = &[
    "email",
    "_website",
    "_store",
    "created_at",
    "firstname",
    "lastname",
    "group_id",
    "_address_firstname",
    "_address_lastname",
    "_address_company",
    "_address_street",
    "_address_city",
    "_address_region",
    "_address_country_id",
    "_address_postcode",
    "_address_telephone",
    "_address_default_billing_",
    "_address_default_shipping_",
];

struct AddrCols {
    first: Option<usize>,
    last: Option<usize>,
    company: Option<usize>,
    street: Option<usize>,
    city: Option<usize>,
    region: Option<usize>,
    country: Option<usize>,
    zip: Option<usize>,
    phone: Option<usize>,
    billing: Option<usize>,
}

fn address(row: &Row, c: &AddrCols) -> Option<Address> {
    let o = |i| row.opt(i).map(str::to_string);
    let street = row.get(c.street).replace("\r\n", "\n");
    let mut lines = street.lines().map(str::trim).filter(|l| !l.is_empty());
    let address1 = lines.next().map(str::to_string);
    let rest: Vec<&str> = lines.collect();
    let a = Address {
        first_name: o(c.first),
        last_name: o(c.last),
        company: o(c.company),
        address1,
        address2: (!rest.is_empty()).then(|| rest.join(", ")),
        city: o(c.city),
        province: o(c.region),
        country_code: o(c.country),
        zip: o(c.zip),
        phone: o(c.phone),
        default: matches!(cell(row, c.billing), "1"),
    };
    (!a.is_empty() || a.phone.is_some() || a.first_name.is_some()).then_some(a)
}

pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    let dates = DateReader::new(ctx.zone, platform::magento::DAY_ORDER);
    table.require(&["email"], "Magento customer")?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (email, first, last, created, website) = (
        c("email"),
        c("firstname"),
        c("lastname"),
        c("created_at"),
        c("_website"),
    );
    let ac = AddrCols {
        first: c("_address_firstname"),
        last: c("_address_lastname"),
        company: c("_address_company"),
        street: c("_address_street"),
        city: c("_address_city"),
        region: c("_address_region"),
        country: c("_address_country_id"),
        zip: c("_address_postcode"),
        phone: c("_address_telephone"),
        billing: c("_address_default_billing_"),
    };
    let mut out = Parsed::default();
    let rows = all_rows(table, &mut out)?;
    let mut seen = std::collections::HashMap::new();
    let mut current: Option<Customer> = None;
    let finish = |cur: Option<Customer>, out: &mut Parsed| {
        if let Some(mut cu) = cur {
            cu.phone = cu
                .addresses
                .iter()
                .find(|a| a.default)
                .or(cu.addresses.first())
                .and_then(|a| a.phone.clone());
            out.records.push(Record::Customer(cu));
        }
    };
    for row in &rows {
        let e = cell(row, email);
        if e.is_empty() {
            match (&mut current, address(row, &ac)) {
                (Some(cu), Some(a)) => cu.addresses.push(a),
                (None, Some(_)) => out.note(cell_finding(
                    table,
                    row,
                    email,
                    Severity::Warning,
                    "address_without_customer",
                    "an address row (empty email) comes before any customer row; it was skipped",
                )),
                _ => {}
            }
            continue;
        }
        finish(current.take(), &mut out);
        if !e.contains('@') {
            out.note(cell_finding(
                table,
                row,
                email,
                Severity::Warning,
                "bad_email",
                format!("\"{e}\" is not an email address; the customer was read but will be refused by most targets"),
            ));
        }
        let key = format!("{}|{}", e.to_ascii_lowercase(), cell(row, website));
        if let Some(line) = seen.insert(key, row.line) {
            out.note(cell_finding(
                table,
                row,
                email,
                Severity::Warning,
                "duplicate_email",
                format!("{e} already appears on line {line} for the same website"),
            ));
        }
        current = Some(Customer {
            source: SourceRef::new(e),
            email: e.to_string(),
            first_name: row.opt(first).map(str::to_string),
            last_name: row.opt(last).map(str::to_string),
            addresses: address(row, &ac).into_iter().collect(),
            created_at: date_cell(
                table,
                row,
                created,
                &dates,
                platform::magento::date_clock(cell(row, created)),
                &mut out,
            ),
            ..Customer::default()
        });
    }
    finish(current.take(), &mut out);
    Ok(out)
}

/// Writes the composite "Customers and Addresses" CSV.
pub struct CustomerWriter;

impl EntityWriter for CustomerWriter {
    fn entity(&self) -> Entity {
        Entity::Customers
    }

    fn file_name(&self) -> String {
        "customer_composite.csv".into()
    }

    fn header(&self) -> Vec<u8> {
        header_bytes(HEADER, b',')
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Customer(c) = record else {
            return Err("not a customer".into());
        };
        if c.email.trim().is_empty() {
            return Err("customer has no email; Magento identifies customers by email".into());
        }
        let mut addresses: Vec<Address> = c.addresses.clone();
        if addresses.is_empty() {
            addresses.push(Address::default());
        }
        let phone_placed = c.phone.is_none() || addresses.iter().any(|a| a.phone == c.phone);
        for (i, a) in addresses.iter().enumerate() {
            let mut row = OutRow::new(HEADER);
            if i == 0 {
                row.set("email", c.email.clone())
                    .set("_website", "base")
                    .set("_store", "default")
                    .set(
                        "created_at",
                        c.created_at
                            .map(|t| t.format_utc(platform::magento::DATE_FORMAT))
                            .unwrap_or_default(),
                    )
                    .set("firstname", c.first_name.clone().unwrap_or_default())
                    .set("lastname", c.last_name.clone().unwrap_or_default())
                    .set("group_id", "1");
            }
            let street = [a.address1.as_deref(), a.address2.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n");
            let phone = match (&a.phone, i, phone_placed) {
                (Some(p), _, _) => p.clone(),
                (None, 0, false) => c.phone.clone().unwrap_or_default(),
                _ => String::new(),
            };
            let any = !street.is_empty()
                || a.city.is_some()
                || !phone.is_empty()
                || a.first_name.is_some();
            if any {
                row.set(
                    "_address_firstname",
                    a.first_name
                        .clone()
                        .or(c.first_name.clone())
                        .unwrap_or_default(),
                )
                .set(
                    "_address_lastname",
                    a.last_name
                        .clone()
                        .or(c.last_name.clone())
                        .unwrap_or_default(),
                )
                .set("_address_company", a.company.clone().unwrap_or_default())
                .set("_address_street", street)
                .set("_address_city", a.city.clone().unwrap_or_default())
                .set("_address_region", a.province.clone().unwrap_or_default())
                .set(
                    "_address_country_id",
                    a.country_code.clone().unwrap_or_default(),
                )
                .set("_address_postcode", a.zip.clone().unwrap_or_default())
                .set("_address_telephone", phone)
                .set(
                    "_address_default_billing_",
                    if a.default { "1" } else { "0" },
                )
                .set(
                    "_address_default_shipping_",
                    if a.default { "1" } else { "0" },
                );
            }
            row.write(out, b',');
        }
        Ok(c.email.to_ascii_lowercase())
    }
}
