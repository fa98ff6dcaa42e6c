//! Customers in the "default" CSV layout of the Customer/Order/Coupon Export extension
//! (WooCommerce itself exports no customers):
//!
//! `customer_id, first_name, last_name, email, date_registered, billing_first_name,
//! billing_last_name, billing_company, billing_email, billing_phone, billing_address_1,
//! billing_address_2, billing_postcode, billing_city, billing_state, billing_country,
//! shipping_first_name, shipping_last_name, shipping_company, shipping_address_1,
//! shipping_address_2, shipping_postcode, shipping_city, shipping_state, shipping_country`
//!
//! Stores commonly add user-meta columns to that export; these optional ones are read and
//! written too: `shipping_phone`, `accepts_marketing` and `accepts_sms` (1/0, yes/no),
//! `marketing_updated_at`, `tags` (comma list) and `note`.
//!
//! The billing address is the default address; the shipping address is kept as a second
//! address when it differs from the billing one. `billing_phone` is the customer's phone, or
//! when the customer has none, the billing address's.

use super::{date_field, field, opt_field, split_list, RowReader};
use crate::connector::Result;
use crate::files::cells::ColumnGuards;
use crate::files::dates::{DateReader, DayOrder};
use crate::files::table::{push_row, Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::Severity;
use crate::model::{
    Address, Customer, Entity, MarketingConsent, Platform, Record, SourceRef, Zone,
};
use crate::platform::woocommerce::{DATE_FORMAT, MARKETING_DATE_CLOCK, REGISTERED_CLOCK};

pub const COLUMNS: &[&str] = &[
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "date_registered",
    "billing_first_name",
    "billing_last_name",
    "billing_company",
    "billing_email",
    "billing_phone",
    "billing_address_1",
    "billing_address_2",
    "billing_postcode",
    "billing_city",
    "billing_state",
    "billing_country",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_company",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_postcode",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_phone",
    "accepts_marketing",
    "accepts_sms",
    "marketing_updated_at",
    "tags",
    "note",
];

/// Reads an address from `{prefix}_first_name` ... columns; `None` when it is empty.
pub fn read_address(t: &TableFile, row: &Row, prefix: &str, phone: bool) -> Option<Address> {
    let h = t.header();
    let get = |name: &str| opt_field(row, h.get(&format!("{prefix}_{name}")));
    let a = Address {
        first_name: get("first_name"),
        last_name: get("last_name"),
        company: get("company"),
        address1: get("address_1"),
        address2: get("address_2"),
        city: get("city"),
        province: get("state"),
        country_code: get("country").map(|c| c.to_ascii_uppercase()),
        zip: get("postcode"),
        phone: if phone { get("phone") } else { None },
        default: false,
    };
    let empty =
        a.first_name.is_none() && a.last_name.is_none() && a.company.is_none() && a.is_empty();
    (!empty).then_some(a)
}

/// The fields of an address in `{prefix}_...` column order used by [`write_address`].
pub fn address_fields(a: Option<&Address>) -> [String; 9] {
    let f = |v: Option<&String>| v.cloned().unwrap_or_default();
    match a {
        None => Default::default(),
        Some(a) => [
            f(a.first_name.as_ref()),
            f(a.last_name.as_ref()),
            f(a.company.as_ref()),
            f(a.address1.as_ref()),
            f(a.address2.as_ref()),
            f(a.zip.as_ref()),
            f(a.city.as_ref()),
            f(a.province.as_ref()),
            f(a.country_code.as_ref()),
        ],
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "yes" | "true" | "y" | "subscribed"
    )
}

pub fn reader(table: TableFile, zone: Option<Zone>) -> Result<RowReader> {
    let dates = DateReader::new(zone, DayOrder::DayFirst);
    table.require(&["customer_id"], "WooCommerce customer")?;
    let h = table.header();
    if !h.has("email") && !h.has("billing_email") {
        table.require(&["email"], "WooCommerce customer")?;
    }
    Ok(RowReader::new(
        Entity::Customers,
        table,
        Box::new(move |t, row, findings| {
            let h = t.header();
            let col = |n: &str| h.get(n);
            let email =
                opt_field(row, col("email")).or_else(|| opt_field(row, col("billing_email")));
            let id = opt_field(row, col("customer_id"));
            let Some(email) = email else {
                findings.push(t.finding(
                    Severity::Blocking,
                    "missing_email",
                    row.line,
                    col("email"),
                    format!(
                        "customer {} has no email; every target keys customers by email. Add the email",
                        id.as_deref().unwrap_or("(no id)")
                    ),
                ));
                return None;
            };
            let mut addresses = vec![];
            let billing = read_address(t, row, "billing", false).map(|mut a| {
                a.default = true;
                a
            });
            let shipping = read_address(t, row, "shipping", true);
            if let Some(b) = &billing {
                addresses.push(b.clone());
            }
            if let Some(s) = shipping {
                // Exports repeat the billing address as shipping address; keep it once.
                let same = billing.as_ref().is_some_and(|b| {
                    Address {
                        default: false,
                        ..b.clone()
                    } == s
                });
                if !same {
                    addresses.push(s);
                }
            }
            let first_name = opt_field(row, col("first_name"))
                .or_else(|| opt_field(row, col("billing_first_name")));
            let last_name = opt_field(row, col("last_name"))
                .or_else(|| opt_field(row, col("billing_last_name")));
            let created_at = date_field(
                &dates,
                t,
                row,
                col("date_registered"),
                REGISTERED_CLOCK,
                findings,
            );
            let marketing_at = date_field(
                &dates,
                t,
                row,
                col("marketing_updated_at"),
                MARKETING_DATE_CLOCK,
                findings,
            );
            Some(Record::Customer(Customer {
                source: SourceRef::new(id.clone().unwrap_or_else(|| email.clone())),
                email,
                first_name,
                last_name,
                phone: opt_field(row, col("billing_phone")),
                addresses,
                marketing: MarketingConsent {
                    email: truthy(field(row, col("accepts_marketing"))),
                    sms: truthy(field(row, col("accepts_sms"))),
                    updated_at: marketing_at,
                },
                tags: split_list(field(row, col("tags"))),
                note: opt_field(row, col("note")),
                created_at,
            }))
        }),
    ))
}

/// Writes customers in the layout [`reader`] reads.
pub struct CustomerWriter {
    guards: ColumnGuards,
}

impl CustomerWriter {
    /// For the customer import plugin, which keeps a guard as data: none is written.
    pub fn for_import() -> Self {
        CustomerWriter {
            guards: ColumnGuards::import(Platform::WooCommerce, "customers.csv", COLUMNS),
        }
    }

    /// As the export extension writes the file: every column guarded (the demo store).
    pub fn for_export() -> Self {
        CustomerWriter {
            guards: ColumnGuards::export(Platform::WooCommerce, COLUMNS),
        }
    }
}

impl EntityWriter for CustomerWriter {
    fn entity(&self) -> Entity {
        Entity::Customers
    }

    fn file_name(&self) -> String {
        "customers.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        let mut out = vec![];
        push_row(&mut out, COLUMNS, b',');
        out
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Customer(c) = record else {
            return Err(format!(
                "the WooCommerce customer file cannot hold {}",
                record.entity()
            ));
        };
        if c.email.trim().is_empty() {
            return Err(format!(
                "customer {} has no email; WooCommerce needs one",
                c.source.id
            ));
        }
        let billing = c
            .addresses
            .iter()
            .find(|a| a.default)
            .or_else(|| c.addresses.first());
        let shipping = c.addresses.iter().find(|a| Some(*a) != billing);
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut row: Vec<String> = Vec::with_capacity(COLUMNS.len());
        row.push(c.source.id.clone());
        row.push(s(&c.first_name));
        row.push(s(&c.last_name));
        row.push(c.email.clone());
        // WordPress keeps user_registered in UTC.
        row.push(
            c.created_at
                .map(|t| t.format_utc(DATE_FORMAT))
                .unwrap_or_default(),
        );
        let b = address_fields(billing);
        row.extend_from_slice(&b[..3]);
        row.push(c.email.clone());
        // WooCommerce's one phone is the billing phone. Magento and Shopify keep the telephone
        // on the address, often with none on the customer: that one must not be dropped.
        row.push(
            c.phone
                .clone()
                .or_else(|| billing.and_then(|a| a.phone.clone()))
                .unwrap_or_default(),
        );
        row.extend_from_slice(&b[3..]);
        let sh = address_fields(shipping);
        row.extend_from_slice(&sh);
        row.push(shipping.and_then(|a| a.phone.clone()).unwrap_or_default());
        row.push(if c.marketing.email { "1" } else { "0" }.to_string());
        row.push(if c.marketing.sms { "1" } else { "0" }.to_string());
        row.push(
            c.marketing
                .updated_at
                .map(|t| t.format_utc(DATE_FORMAT))
                .unwrap_or_default(),
        );
        row.push(super::join_list(&c.tags));
        row.push(s(&c.note));
        self.guards.push_row(out, &row, b',');
        Ok(c.email.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(phone: Option<&str>, address_phone: Option<&str>) -> Customer {
        Customer {
            source: SourceRef::new("7"),
            email: "ada@example.test".into(),
            first_name: Some("Ada".into()),
            phone: phone.map(str::to_string),
            addresses: vec![Address {
                address1: Some("1 Loop Rd".into()),
                city: Some("Leeds".into()),
                country_code: Some("GB".into()),
                phone: address_phone.map(str::to_string),
                default: true,
                ..Address::default()
            }],
            ..Customer::default()
        }
    }

    fn billing_phone(c: &Customer) -> String {
        let mut w = CustomerWriter::for_import();
        let mut out = w.header();
        w.encode(&Record::Customer(c.clone()), &mut out)
            .expect("writable");
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let row: Vec<&str> = lines.next().expect("row").split(',').collect();
        let at = header
            .iter()
            .position(|h| *h == "billing_phone")
            .expect("billing_phone column");
        row[at].to_string()
    }

    /// Magento and Shopify exports keep the telephone on the address, not on the customer;
    /// WooCommerce has one phone, the billing one, so the address's must not be dropped.
    #[test]
    fn the_billing_phone_falls_back_to_the_default_address_phone() {
        assert_eq!(
            billing_phone(&customer(None, Some("479-899-9849"))),
            "479-899-9849"
        );
        assert_eq!(
            billing_phone(&customer(Some("0113 496 0001"), Some("0113 496 0002"))),
            "0113 496 0001"
        );
        assert_eq!(billing_phone(&customer(None, None)), "");
    }
}
