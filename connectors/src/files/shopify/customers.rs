//! Shopify's customer CSV. Columns as in Shopify's customer import template (Help Center,
//! "Importing customers" / customer_template.csv): `First Name, Last Name, Email, Accepts Email
//! Marketing, Default Address Company, Default Address Address1, Default Address Address2,
//! Default Address City, Default Address Province Code, Default Address Country Code, Default
//! Address Zip, Default Address Phone, Phone, Accepts SMS Marketing, Tags, Note, Tax Exempt`.
//! Exports add `Customer ID, Total Spent, Total Orders` and prefix numbers with `'` so
//! spreadsheets keep them as text; the reader strips that. Older exports used `Company,
//! Address1, ..., Accepts Marketing`; the reader takes those too.
//!
//! One row is one customer with one (default) address: a customer with several different
//! addresses cannot be written and is refused with what to do.

use super::csvin::{bool_cell, cell_finding, require_columns, CsvIn, Pos, Row};
use super::{join_tags, non_empty, split_tags, Assemble, CsvOut, CsvReader};
use crate::connector::Result;
use crate::files::EntityWriter;
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::{Address, Customer, Entity, MarketingConsent, Record, SourceRef};
use std::collections::HashMap;
use std::path::PathBuf;

pub const CUSTOMER_HEADER: [&str; 17] = [
    "First Name",
    "Last Name",
    "Email",
    "Accepts Email Marketing",
    "Default Address Company",
    "Default Address Address1",
    "Default Address Address2",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Country Code",
    "Default Address Zip",
    "Default Address Phone",
    "Phone",
    "Accepts SMS Marketing",
    "Tags",
    "Note",
    "Tax Exempt",
];

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn same_place(a: &Address, b: &Address) -> bool {
    (
        &a.company,
        &a.address1,
        &a.address2,
        &a.city,
        &a.province,
        &a.country_code,
        &a.zip,
        &a.phone,
    ) == (
        &b.company,
        &b.address1,
        &b.address2,
        &b.city,
        &b.province,
        &b.country_code,
        &b.zip,
        &b.phone,
    )
}

/// Writes `customers.csv`.
pub struct CustomerWriter {
    csv: CsvOut,
}

impl CustomerWriter {
    pub fn new() -> Self {
        CustomerWriter { csv: CsvOut::new() }
    }
}

impl Default for CustomerWriter {
    fn default() -> Self {
        Self::new()
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
        CsvOut::bytes_of(CUSTOMER_HEADER)
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Customer(c) = record else {
            return Err(format!("customers.csv cannot hold {}", record.entity()));
        };
        let email = c.email.trim();
        let phone = c.phone.as_deref().unwrap_or("").trim();
        if email.is_empty() && phone.is_empty() {
            return Err(format!(
                "customer {} has neither email nor phone; Shopify needs one of them: add it or drop the customer",
                c.source.id
            ));
        }
        let who = if email.is_empty() { phone } else { email };
        let address = match c
            .addresses
            .iter()
            .find(|a| a.default)
            .or(c.addresses.first())
        {
            Some(main) => {
                if let Some(other) = c.addresses.iter().find(|a| !same_place(a, main)) {
                    return Err(format!(
                        "customer {who} has {} different addresses (e.g. {} and {}); the Shopify customer CSV holds \
                         only the default one: keep one in the transform or move customers through the Shopify API",
                        c.addresses.len(),
                        main.address1.as_deref().or(main.city.as_deref()).unwrap_or("?"),
                        other.address1.as_deref().or(other.city.as_deref()).unwrap_or("?"),
                    ));
                }
                main.clone()
            }
            None => Address::default(),
        };
        let tags = join_tags(&c.tags, &format!("customer {who}"))?;
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        self.csv.row(
            [
                s(&c.first_name),
                s(&c.last_name),
                email.to_string(),
                yes_no(c.marketing.email).to_string(),
                s(&address.company),
                s(&address.address1),
                s(&address.address2),
                s(&address.city),
                s(&address.province),
                s(&address.country_code),
                s(&address.zip),
                s(&address.phone),
                phone.to_string(),
                yes_no(c.marketing.sms).to_string(),
                tags,
                s(&c.note),
                "no".to_string(),
            ],
            out,
        );
        Ok(if email.is_empty() {
            phone.to_string()
        } else {
            email.to_ascii_lowercase()
        })
    }
}

/// Reads a Shopify customer export.
pub struct CustomerReader(CsvReader<CustomerRows>);

impl CustomerReader {
    pub fn new(path: PathBuf) -> Self {
        CustomerReader(CsvReader::new(Entity::Customers, path, String::new()))
    }

    /// The encoding to assume when the file has no BOM and does not look like UTF-8.
    pub fn with_encoding(self, encoding: Option<String>) -> Self {
        CustomerReader(self.0.with_encoding(encoding))
    }
}

impl crate::files::EntityReader for CustomerReader {
    fn entity(&self) -> Entity {
        Entity::Customers
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn read_page(
        &mut self,
        cursor: Option<&crate::Cursor>,
        limit: usize,
    ) -> Result<crate::SourcePage> {
        self.0.read_page(cursor, limit)
    }
}

pub(crate) struct CustomerRows {
    id: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    email: Option<usize>,
    accepts_email: Option<usize>,
    company: Option<usize>,
    address1: Option<usize>,
    address2: Option<usize>,
    city: Option<usize>,
    province: Option<usize>,
    country: Option<usize>,
    zip: Option<usize>,
    address_phone: Option<usize>,
    phone: Option<usize>,
    accepts_sms: Option<usize>,
    tags: Option<usize>,
    note: Option<usize>,
    seen: HashMap<String, u64>,
}

/// A trimmed cell (the `'` of `'+1 555…` is gone already: the rows come without guards).
fn text(row: &Row, col: Option<usize>) -> Option<String> {
    non_empty(row.get(col))
}

impl Assemble for CustomerRows {
    fn start(input: &CsvIn, _currency: &str) -> Result<Self> {
        let c = |names: &[&str]| input.column(names);
        let rows = CustomerRows {
            id: c(&["Customer ID", "ID"]),
            first: c(&["First Name"]),
            last: c(&["Last Name"]),
            email: c(&["Email"]),
            accepts_email: c(&["Accepts Email Marketing", "Accepts Marketing"]),
            company: c(&["Default Address Company", "Company"]),
            address1: c(&["Default Address Address1", "Address1"]),
            address2: c(&["Default Address Address2", "Address2"]),
            city: c(&["Default Address City", "City"]),
            province: c(&["Default Address Province Code", "Province Code", "Province"]),
            country: c(&["Default Address Country Code", "Country Code", "Country"]),
            zip: c(&["Default Address Zip", "Zip"]),
            address_phone: c(&["Default Address Phone"]),
            phone: c(&["Phone"]),
            accepts_sms: c(&["Accepts SMS Marketing"]),
            tags: c(&["Tags"]),
            note: c(&["Note"]),
            seen: HashMap::new(),
        };
        require_columns(input, &[("Email", rows.email)])?;
        Ok(rows)
    }

    fn next(&mut self, input: &mut CsvIn, f: &mut Vec<Finding>) -> Result<Option<Record>> {
        let Some(row) = input.next_row(f)? else {
            return Ok(None);
        };
        let email = row.get(self.email).to_string();
        let phone = text(&row, self.phone);
        if email.is_empty() && phone.is_none() {
            f.push(cell_finding(
                input,
                &row,
                self.email,
                Severity::Warning,
                "missing_email",
                "customer has neither email nor phone; Shopify cannot key it: add one",
            ));
        }
        // A customer export saved through Excel holds ids and phones as `7.02255E+12`: the
        // digits are gone, and carrying the stump on would pass it off as a number.
        for (col, what) in [
            (self.phone, "phone"),
            (self.address_phone, "phone"),
            (self.id, "customer id"),
        ] {
            let cell = row.get(col);
            if crate::files::table::excel_scientific(cell) {
                f.push(cell_finding(
                    input,
                    &row,
                    col,
                    Severity::Warning,
                    "number_damaged",
                    format!(
                        "{what} \"{cell}\" is in scientific notation: Excel turned it into a \
                         number and its digits are lost. Export the file again and open it with \
                         the column formatted as Text"
                    ),
                ));
            }
        }
        let address = Address {
            first_name: None,
            last_name: None,
            company: text(&row, self.company),
            address1: text(&row, self.address1),
            address2: text(&row, self.address2),
            city: text(&row, self.city),
            province: text(&row, self.province),
            country_code: text(&row, self.country),
            zip: text(&row, self.zip),
            phone: text(&row, self.address_phone),
            default: true,
        };
        let has_address = [
            &address.company,
            &address.address1,
            &address.address2,
            &address.city,
        ]
        .into_iter()
        .chain([
            &address.province,
            &address.country_code,
            &address.zip,
            &address.phone,
        ])
        .any(Option::is_some);
        let key = if email.is_empty() {
            phone.clone().unwrap_or_default()
        } else {
            email.to_ascii_lowercase()
        };
        let customer = Customer {
            source: SourceRef::new(text(&row, self.id).unwrap_or_else(|| key.clone())),
            email,
            first_name: text(&row, self.first),
            last_name: text(&row, self.last),
            phone,
            addresses: if has_address {
                vec![address]
            } else {
                Vec::new()
            },
            marketing: MarketingConsent {
                email: bool_cell(input, &row, self.accepts_email, false, f),
                sms: bool_cell(input, &row, self.accepts_sms, false, f),
                updated_at: None,
            },
            tags: split_tags(row.get(self.tags)),
            note: non_empty(row.raw(self.note)),
            created_at: None,
        };
        if !key.is_empty() {
            if let Some(prev) = self.seen.get(&key) {
                f.push(
                    Finding::new(
                        Severity::Blocking,
                        "duplicate_customer",
                        format!(
                            "{key} on line {} was already a customer on line {prev}; Shopify keys customers by \
                             email: merge the two rows",
                            row.pos.line
                        ),
                    )
                    .at(input.location(row.pos.line, self.email))
                    .about(RecordRef {
                        entity: Entity::Customers,
                        source_id: customer.source.id.clone(),
                        label: key.clone(),
                    }),
                );
            } else {
                self.seen.insert(key, row.pos.line);
            }
        }
        Ok(Some(Record::Customer(customer)))
    }

    fn resume_point(&self, input: &CsvIn) -> Pos {
        input.position()
    }
}
