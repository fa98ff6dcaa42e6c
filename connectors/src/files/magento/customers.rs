//! Magento 2 customer import/export CSV: "Customers Main File" (one row per customer), the
//! "Customer Addresses" file (one row per address, keyed by `_email` and `_website`), and the
//! composite "Customers and Addresses" layout, where `_address_*` columns hold an address on the
//! customer's row and every further address follows on its own row with an empty `email`.
//!
//! An address file next to a main file is joined to it by email and website; read alone it gives
//! customers known only by their email. The writer produces the two files Magento imports
//! separately, customer_main.csv and customer_address.csv.
//!
//! Magento keeps no phone on the customer: the phone read is the default billing address's
//! telephone (else the first address's), and a phone is written only on an address.

use crate::connector::Result;
use crate::files::dates::DateReader;
use crate::files::loaded::{
    all_rows, cell, cell_finding, col, date_cell, header_bytes, Ctx, OutRow, Parsed,
};
use crate::files::table::{Header, Row, TableFile};
use crate::files::EntityWriter;
use crate::finding::{Finding, Severity};
use crate::model::{Address, Customer, Entity, Record, SourceRef};
use crate::platform::magento as facts;

/// customer_main.csv as written (the columns Magento needs to create a customer).
pub const MAIN_HEADER: &[&str] = &[
    "email",
    "_website",
    "_store",
    "created_at",
    "firstname",
    "lastname",
    "group_id",
];

/// customer_address.csv as written, in Magento's export order (a subset).
pub const ADDRESS_HEADER: &[&str] = &[
    "_website",
    "_email",
    "_entity_id",
    "city",
    "company",
    "country_id",
    "firstname",
    "lastname",
    "postcode",
    "region",
    "street",
    "telephone",
    "_address_default_billing_",
    "_address_default_shipping_",
];

/// Whether a header is the Customer Addresses file's.
pub fn is_address_file(h: &Header) -> bool {
    h.has("_email") && h.has("_website") && !h.has("email")
}

/// How a companion address file is named to its customer: email (any case) and website.
fn join_key(email: &str, website: &str) -> String {
    format!(
        "{}|{}",
        email.trim().to_ascii_lowercase(),
        website.trim().to_ascii_lowercase()
    )
}

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

/// The phone Magento's customer is known by: its default billing address's, else the first's.
fn phone_of(cu: &mut Customer) {
    if cu.phone.is_none() {
        cu.phone = cu
            .addresses
            .iter()
            .find(|a| a.default)
            .or(cu.addresses.first())
            .and_then(|a| a.phone.clone());
    }
}

/// Reads a main, composite or address file.
pub fn parse(table: &TableFile, ctx: &Ctx) -> Result<Parsed> {
    let dates = DateReader::new(ctx.zone, facts::DAY_ORDER);
    if is_address_file(table.header()) {
        return parse_addresses(table, ctx);
    }
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
    let mut current: Option<(Customer, String)> = None;
    let finish = |cur: Option<(Customer, String)>, out: &mut Parsed| {
        if let Some((mut cu, key)) = cur {
            phone_of(&mut cu);
            out.join_keys.entry(key).or_insert(out.records.len());
            out.records.push(Record::Customer(cu));
        }
    };
    for row in &rows {
        let e = cell(row, email);
        if e.is_empty() {
            match (&mut current, address(row, &ac)) {
                (Some((cu, _)), Some(a)) => cu.addresses.push(a),
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
        let key = join_key(e, cell(row, website));
        if let Some(line) = seen.insert(key.clone(), row.line) {
            out.note(cell_finding(
                table,
                row,
                email,
                Severity::Warning,
                "duplicate_email",
                format!("{e} already appears on line {line} for the same website"),
            ));
        }
        current = Some((
            Customer {
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
                    facts::date_clock(cell(row, created)),
                    &mut out,
                ),
                ..Customer::default()
            },
            key,
        ));
    }
    finish(current.take(), &mut out);
    Ok(out)
}

/// One row of an address file, with the customer it names.
struct AddressRow {
    email: String,
    key: String,
    address: Address,
    line: u64,
}

/// The address rows of a Customer Addresses file; rows without an email are noted and skipped.
fn address_rows(table: &TableFile, out: &mut Parsed) -> Result<Vec<AddressRow>> {
    table.require(&["_email", "_website"], "Magento customer address")?;
    let h = table.header();
    let c = |n: &str| col(h, &[n]);
    let (email, website) = (c("_email"), c("_website"));
    let ac = AddrCols {
        first: c("firstname"),
        last: c("lastname"),
        company: c("company"),
        street: c("street"),
        city: c("city"),
        region: c("region"),
        country: c("country_id"),
        zip: c("postcode"),
        phone: c("telephone"),
        billing: c("_address_default_billing_"),
    };
    let mut v = Vec::new();
    for row in all_rows(table, out)? {
        let e = cell(&row, email);
        if e.is_empty() {
            out.note(cell_finding(
                table,
                &row,
                email,
                Severity::Warning,
                "address_without_email",
                "this address names no customer (_email is empty); it was skipped",
            ));
            continue;
        }
        let Some(a) = address(&row, &ac) else {
            continue;
        };
        v.push(AddressRow {
            email: e.to_string(),
            key: join_key(e, cell(&row, website)),
            address: a,
            line: row.line,
        });
    }
    Ok(v)
}

/// An address file read alone: the customers it names, known by email, with their addresses.
fn parse_addresses(table: &TableFile, _ctx: &Ctx) -> Result<Parsed> {
    let mut out = Parsed::default();
    let rows = address_rows(table, &mut out)?;
    let total = rows.len();
    for r in rows {
        match out.join_keys.get(&r.key) {
            Some(&i) => {
                if let Some(Record::Customer(cu)) = out.records.get_mut(i) {
                    cu.addresses.push(r.address);
                }
            }
            None => {
                out.join_keys.insert(r.key, out.records.len());
                out.records.push(Record::Customer(Customer {
                    source: SourceRef::new(&r.email),
                    email: r.email,
                    addresses: vec![r.address],
                    ..Customer::default()
                }));
            }
        }
    }
    for r in &mut out.records {
        if let Record::Customer(cu) = r {
            phone_of(cu);
        }
    }
    let customers = out.records.len();
    out.findings.push((
        0,
        Finding::new(
            Severity::Info,
            "addresses_without_customers",
            format!(
                "{}: {total} address(es) of {customers} customer(s) known only by email: this is a \
                 Customer Addresses file without its Customers Main File; give customer_main.csv \
                 with it for names and dates",
                table.display()
            ),
        )
        .at(table.location(table.header_line(), None)),
    ));
    Ok(out)
}

/// Joins a Customer Addresses file into the customers read from a main (or composite) file.
/// An address naming a customer the main file lacks is kept as a customer known by email.
pub fn join_addresses(table: &TableFile, _ctx: &Ctx, out: &mut Parsed) -> Result<()> {
    let mut found = Parsed::default();
    let rows = address_rows(table, &mut found)?;
    let at_end = out.records.len();
    out.findings
        .extend(found.findings.into_iter().map(|(_, f)| (at_end, f)));
    let mut touched = Vec::new();
    for r in rows {
        let i = match out.join_keys.get(&r.key) {
            Some(&i) => i,
            None => {
                out.findings.push((
                    out.records.len(),
                    table.finding(
                        Severity::Warning,
                        "address_customer_unknown",
                        r.line,
                        table.header().get("_email"),
                        format!(
                            "{} (website in this row) is in no customer row of the main file; \
                             the address was read as a customer known only by email",
                            r.email
                        ),
                    ),
                ));
                let i = out.records.len();
                out.join_keys.insert(r.key, i);
                out.records.push(Record::Customer(Customer {
                    source: SourceRef::new(&r.email),
                    email: r.email,
                    ..Customer::default()
                }));
                i
            }
        };
        if let Some(Record::Customer(cu)) = out.records.get_mut(i) {
            cu.addresses.push(r.address);
            touched.push(i);
        }
    }
    for i in touched {
        if let Some(Record::Customer(cu)) = out.records.get_mut(i) {
            phone_of(cu);
        }
    }
    Ok(())
}

/// Writes customer_main.csv, and customer_address.csv beside it: the two files Magento's
/// System > Data Transfer > Import takes as "Customers Main File" and "Customer Addresses".
pub struct CustomerWriter;

impl CustomerWriter {
    fn rows(
        c: &Customer,
        out: &mut Vec<u8>,
        addresses_out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        if c.email.trim().is_empty() {
            return Err("customer has no email; Magento identifies customers by email".into());
        }
        let mut row = OutRow::new(MAIN_HEADER);
        row.set("email", c.email.clone())
            .set("_website", facts::DEFAULT_WEBSITE)
            .set("_store", "default")
            .set(
                "created_at",
                c.created_at
                    .map(|t| t.format_utc(facts::DATE_FORMAT))
                    .unwrap_or_default(),
            )
            .set("firstname", c.first_name.clone().unwrap_or_default())
            .set("lastname", c.last_name.clone().unwrap_or_default())
            .set("group_id", "1");
        row.write(out, b',');
        // Magento has no phone on the customer: an address without one takes the customer's,
        // as its REST connector sends it. A row Magento's import would refuse is never
        // written (it would fail the whole file's validation); convert and verification
        // count it by design through the same rule.
        for a in &c.addresses {
            if facts::file_address_left_out(c, a).is_some() {
                continue;
            }
            let a = &facts::file_address(c, a);
            let street = [a.address1.as_deref(), a.address2.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n");
            let flag = if a.default { "1" } else { "0" };
            let mut row = OutRow::new(ADDRESS_HEADER);
            row.set("_website", facts::DEFAULT_WEBSITE)
                .set("_email", c.email.clone())
                .set("firstname", a.first_name.clone().unwrap_or_default())
                .set("lastname", a.last_name.clone().unwrap_or_default())
                .set("company", a.company.clone().unwrap_or_default())
                .set("street", street)
                .set("city", a.city.clone().unwrap_or_default())
                .set("region", a.province.clone().unwrap_or_default())
                .set("country_id", a.country_code.clone().unwrap_or_default())
                .set("postcode", a.zip.clone().unwrap_or_default())
                .set("telephone", a.phone.clone().unwrap_or_default())
                .set("_address_default_billing_", flag)
                .set("_address_default_shipping_", flag);
            row.write(addresses_out, b',');
        }
        Ok(c.email.to_ascii_lowercase())
    }
}

impl EntityWriter for CustomerWriter {
    fn entity(&self) -> Entity {
        Entity::Customers
    }

    fn file_name(&self) -> String {
        facts::CUSTOMER_MAIN_FILE.into()
    }

    fn header(&self) -> Vec<u8> {
        header_bytes(MAIN_HEADER, b',')
    }

    fn side_files(&self) -> Vec<(String, Vec<u8>)> {
        vec![(
            facts::CUSTOMER_ADDRESS_FILE.into(),
            header_bytes(ADDRESS_HEADER, b','),
        )]
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let mut side = [Vec::new()];
        self.encode_with_sides(record, out, &mut side)
    }

    fn encode_with_sides(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
        sides: &mut [Vec<u8>],
    ) -> std::result::Result<String, String> {
        let Record::Customer(c) = record else {
            return Err("not a customer".into());
        };
        let Some(addresses) = sides.first_mut() else {
            return Err("customer_address.csv is not open".into());
        };
        Self::rows(c, out, addresses)
    }
}
