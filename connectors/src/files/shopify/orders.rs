//! Orders in the Matrixify "Orders" sheet layout (matrixify.app/documentation/orders/): Shopify
//! itself cannot import orders from a file, Matrixify is the tool merchants use for it, and its
//! exports are the usual source of order history.
//!
//! One order is a run of consecutive rows sharing `Name`; order-level columns are read from the
//! first row (`Top Row`); every row is one line of the order by `Line: Type`: `Line Item`,
//! `Shipping Line`, `Discount` or `Transaction` (other types such as `Fulfillment Line` or
//! `Refund Line` are reported and skipped). Columns written, a subset of Matrixify's:
//!
//! - order: `Name, Email, Note, Tags, Created At, Processed At, Cancelled At, Currency`,
//!   `Price: Total Line Items, Price: Subtotal, Price: Total Discount, Price: Total Shipping`,
//!   `Tax 1..3: Title / Rate / Price, Tax: Included, Tax: Total, Price: Total`,
//!   `Payment: Status, Order Fulfillment Status`, `Billing: …` and `Shipping: …` address columns
//!   (First Name, Last Name, Company, Phone, Address 1, Address 2, Zip, City, Province,
//!   Province Code, Country Code), `Top Row`;
//! - line item: `Line: Type, Line: Title, Line: Variant Title, Line: SKU, Line: Quantity,
//!   Line: Price, Line: Discount, Line: Tax 1..3 Title / Rate / Price` (reading also takes
//!   `Line: Product ID` as the product reference);
//! - shipping line: `Shipping: Title, Shipping: Code, Shipping: Price, Shipping: Tax 1..2 Title /
//!   Rate / Price` (older exports put these in the `Line:` columns; both are read);
//! - discount: `Discount: Code, Discount: Type` (`fixed_amount`), `Discount: Value`;
//! - transaction: `Transaction: Kind, Transaction: Processed At, Transaction: Amount,
//!   Transaction: Currency, Transaction: Status, Transaction: Gateway`.
//!
//! The reader also takes Shopify's own admin order export (`orders_export.csv`: one row per line
//! item, `Lineitem name/quantity/price/sku/discount`, order totals `Subtotal, Shipping, Taxes,
//! Total, Discount Code, Discount Amount, Shipping Method`, `Tax N Name/Value`, `Billing …` /
//! `Shipping …` addresses), recognised by its `Lineitem name` column.
//!
//! Tax rates are fractions (0.2 = 20 %); a rate above 1 in a file is read as a percentage.
//! `Price: Total Line Items` is the canonical subtotal (before discounts); `Price: Subtotal` is
//! Shopify's (after discounts). The reader checks that lines and totals add up.

use super::csvin::{cell_finding, decimal_cell, integer_cell, require_columns, CsvIn, Pos, Row};
use super::{
    fmt_amount, fmt_bool, fmt_decimal, join_tags, non_empty, split_tags, Assemble, CsvOut,
    CsvReader,
};
use crate::connector::Result;
use crate::files::dates::{DateReader, DayOrder};
use crate::files::EntityWriter;
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::{line_amount, saturating_sum};
use crate::model::{
    Address, Discount, Entity, FinancialStatus, FulfillmentStatus, LineItem, Money, Order,
    OrderTotals, Record, ShippingLine, SourceRef, TaxLine, Timestamp, Transaction, Zone,
};
use crate::platform::shopify::{ORDER_DATE_CLOCK, ORDER_DATE_FORMAT};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::PathBuf;

const ORDER_TAXES: usize = 3;
const LINE_TAXES: usize = 3;
const SHIPPING_TAXES: usize = 2;
const ADDRESS_FIELDS: [&str; 11] = [
    "First Name",
    "Last Name",
    "Company",
    "Phone",
    "Address 1",
    "Address 2",
    "Zip",
    "City",
    "Province",
    "Province Code",
    "Country Code",
];

/// The header this writer produces, in order.
pub fn order_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "Name",
        "Email",
        "Note",
        "Tags",
        "Created At",
        "Processed At",
        "Cancelled At",
        "Currency",
        "Price: Total Line Items",
        "Price: Subtotal",
        "Price: Total Discount",
        "Price: Total Shipping",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 1..=ORDER_TAXES {
        for part in ["Title", "Rate", "Price"] {
            h.push(format!("Tax {i}: {part}"));
        }
    }
    for s in [
        "Tax: Included",
        "Tax: Total",
        "Price: Total",
        "Payment: Status",
        "Order Fulfillment Status",
    ] {
        h.push(s.to_string());
    }
    for side in ["Billing", "Shipping"] {
        for f in ADDRESS_FIELDS {
            h.push(format!("{side}: {f}"));
        }
    }
    for s in [
        "Top Row",
        "Line: Type",
        "Line: Title",
        "Line: Variant Title",
        "Line: SKU",
        "Line: Quantity",
        "Line: Price",
        "Line: Discount",
    ] {
        h.push(s.to_string());
    }
    for i in 1..=LINE_TAXES {
        for part in ["Title", "Rate", "Price"] {
            h.push(format!("Line: Tax {i} {part}"));
        }
    }
    for s in ["Shipping: Title", "Shipping: Code", "Shipping: Price"] {
        h.push(s.to_string());
    }
    for i in 1..=SHIPPING_TAXES {
        for part in ["Title", "Rate", "Price"] {
            h.push(format!("Shipping: Tax {i} {part}"));
        }
    }
    for s in [
        "Discount: Code",
        "Discount: Type",
        "Discount: Value",
        "Transaction: Kind",
        "Transaction: Processed At",
        "Transaction: Amount",
        "Transaction: Currency",
        "Transaction: Status",
        "Transaction: Gateway",
    ] {
        h.push(s.to_string());
    }
    h
}

fn financial_key(s: FinancialStatus) -> &'static str {
    match s {
        FinancialStatus::Pending => "pending",
        FinancialStatus::Authorized => "authorized",
        FinancialStatus::Paid => "paid",
        FinancialStatus::PartiallyPaid => "partially_paid",
        FinancialStatus::Refunded => "refunded",
        FinancialStatus::PartiallyRefunded => "partially_refunded",
        FinancialStatus::Voided => "voided",
    }
}

fn fulfillment_key(s: FulfillmentStatus) -> &'static str {
    match s {
        FulfillmentStatus::Unfulfilled => "unfulfilled",
        FulfillmentStatus::Partial => "partial",
        FulfillmentStatus::Fulfilled => "fulfilled",
        FulfillmentStatus::Cancelled => "cancelled",
    }
}

/// Shopify wants province codes ("ON"); a name stays in `Province`.
fn looks_like_code(s: &str) -> bool {
    (1..=3).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Writes `orders.csv` in the Matrixify Orders layout.
pub struct OrderWriter {
    header: Vec<String>,
    index: HashMap<String, usize>,
    csv: CsvOut,
    /// Times are written on this clock (the target store's); without one, on the clock each
    /// time was stated in. Matrixify's format carries the offset either way.
    zone: Option<Zone>,
}

impl OrderWriter {
    pub fn new() -> Self {
        let header = order_header();
        let index = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        OrderWriter {
            header,
            index,
            csv: CsvOut::new(),
            zone: None,
        }
    }

    /// Times written on the clock of `zone`.
    pub fn in_zone(mut self, zone: Option<Zone>) -> Self {
        self.zone = zone;
        self
    }

    fn check(o: &Order) -> std::result::Result<(), String> {
        let who = format!("order #{}", o.number.trim_start_matches('#'));
        if o.number.trim().trim_start_matches('#').is_empty() {
            return Err(format!(
                "an order of {} has no number: give it one in the transform",
                o.created_at
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "unknown date".to_string())
            ));
        }
        if o.tax_lines.len() > ORDER_TAXES {
            return Err(format!(
                "{who} has {} order tax lines; the orders file holds {ORDER_TAXES}: combine taxes in the transform",
                o.tax_lines.len()
            ));
        }
        for l in &o.line_items {
            if l.tax_lines.len() > LINE_TAXES {
                return Err(format!(
                    "{who}: line \"{}\" has {} tax lines; the orders file holds {LINE_TAXES}: combine them",
                    l.title,
                    l.tax_lines.len()
                ));
            }
        }
        for s in &o.shipping_lines {
            if s.tax_lines.len() > SHIPPING_TAXES {
                return Err(format!(
                    "{who}: shipping \"{}\" has {} tax lines; the orders file holds {SHIPPING_TAXES}: combine them",
                    s.title,
                    s.tax_lines.len()
                ));
            }
        }
        let mut amounts: Vec<&Money> = Vec::new();
        for l in &o.line_items {
            amounts.push(&l.price);
            amounts.extend(l.total_discount.iter());
            amounts.extend(l.tax_lines.iter().map(|t| &t.amount));
        }
        for s in &o.shipping_lines {
            amounts.push(&s.price);
            amounts.extend(s.tax_lines.iter().map(|t| &t.amount));
        }
        amounts.extend(o.discounts.iter().map(|d| &d.amount));
        amounts.extend(o.tax_lines.iter().map(|t| &t.amount));
        let t = &o.totals;
        amounts.extend([&t.subtotal, &t.discounts, &t.shipping, &t.tax, &t.total]);
        if let Some(m) = amounts
            .iter()
            .find(|m| !m.currency.eq_ignore_ascii_case(&o.currency))
        {
            return Err(format!(
                "{who} is in {} but has an amount in {}: one order has one currency; convert it in the transform",
                o.currency, m.currency
            ));
        }
        Ok(())
    }
}

impl Default for OrderWriter {
    fn default() -> Self {
        Self::new()
    }
}

struct RowBuf<'a> {
    cells: Vec<String>,
    index: &'a HashMap<String, usize>,
}

impl RowBuf<'_> {
    fn set(&mut self, column: &str, value: impl Into<String>) {
        if let Some(&i) = self.index.get(column) {
            self.cells[i] = value.into();
        }
    }

    fn taxes(&mut self, prefix: &str, sep: &str, taxes: &[TaxLine]) {
        for (i, t) in taxes.iter().enumerate() {
            let n = i + 1;
            self.set(&format!("{prefix}{n}{sep}Title"), t.title.clone());
            self.set(&format!("{prefix}{n}{sep}Rate"), fmt_decimal(t.rate));
            self.set(
                &format!("{prefix}{n}{sep}Price"),
                fmt_amount(t.amount.amount),
            );
        }
    }

    fn address(&mut self, side: &str, a: &Address) {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        self.set(&format!("{side}: First Name"), s(&a.first_name));
        self.set(&format!("{side}: Last Name"), s(&a.last_name));
        self.set(&format!("{side}: Company"), s(&a.company));
        self.set(&format!("{side}: Phone"), s(&a.phone));
        self.set(&format!("{side}: Address 1"), s(&a.address1));
        self.set(&format!("{side}: Address 2"), s(&a.address2));
        self.set(&format!("{side}: Zip"), s(&a.zip));
        self.set(&format!("{side}: City"), s(&a.city));
        if let Some(p) = &a.province {
            let col = if looks_like_code(p) {
                "Province Code"
            } else {
                "Province"
            };
            self.set(&format!("{side}: {col}"), p.clone());
        }
        self.set(&format!("{side}: Country Code"), s(&a.country_code));
    }
}

impl EntityWriter for OrderWriter {
    fn entity(&self) -> Entity {
        Entity::Orders
    }

    fn file_name(&self) -> String {
        "orders.csv".to_string()
    }

    fn header(&self) -> Vec<u8> {
        CsvOut::bytes_of(&self.header)
    }

    fn encode(
        &mut self,
        record: &Record,
        out: &mut Vec<u8>,
    ) -> std::result::Result<String, String> {
        let Record::Order(o) = record else {
            return Err(format!("orders.csv cannot hold {}", record.entity()));
        };
        Self::check(o)?;
        let name = if o.number.starts_with('#') {
            o.number.clone()
        } else {
            format!("#{}", o.number)
        };
        let tags = join_tags(&o.tags, &format!("order {name}"))?;
        let lines =
            o.line_items.len() + o.shipping_lines.len() + o.discounts.len() + o.transactions.len();
        let width = self.header.len();
        for r in 0..lines.max(1) {
            let mut row = RowBuf {
                cells: vec![String::new(); width],
                index: &self.index,
            };
            row.set("Name", name.clone());
            if r == 0 {
                let t = &o.totals;
                row.set("Email", o.email.clone().unwrap_or_default());
                row.set("Note", o.note.clone().unwrap_or_default());
                row.set("Tags", tags.clone());
                let when = |t: &Option<Timestamp>| {
                    t.map(|t| t.format_local(self.zone, ORDER_DATE_FORMAT))
                        .unwrap_or_default()
                };
                row.set("Created At", when(&o.created_at));
                row.set("Processed At", when(&o.processed_at));
                row.set("Cancelled At", when(&o.cancelled_at));
                row.set("Currency", o.currency.clone());
                row.set("Price: Total Line Items", fmt_amount(t.subtotal.amount));
                row.set(
                    "Price: Subtotal",
                    fmt_amount(t.subtotal.amount.saturating_sub(t.discounts.amount)),
                );
                row.set("Price: Total Discount", fmt_amount(t.discounts.amount));
                row.set("Price: Total Shipping", fmt_amount(t.shipping.amount));
                row.taxes("Tax ", ": ", &o.tax_lines);
                let excl = crate::model::saturating_sum([
                    t.subtotal.amount,
                    -t.discounts.amount,
                    t.shipping.amount,
                ]);
                let included = !t.tax.amount.is_zero() && t.total.amount == excl;
                row.set("Tax: Included", fmt_bool(included));
                row.set("Tax: Total", fmt_amount(t.tax.amount));
                row.set("Price: Total", fmt_amount(t.total.amount));
                row.set("Payment: Status", financial_key(o.financial_status));
                row.set(
                    "Order Fulfillment Status",
                    fulfillment_key(o.fulfillment_status),
                );
                if let Some(a) = &o.billing_address {
                    row.address("Billing", a);
                }
                if let Some(a) = &o.shipping_address {
                    row.address("Shipping", a);
                }
                row.set("Top Row", "TRUE");
            }
            let mut k = r;
            if let Some(l) = o.line_items.get(k) {
                row.set("Line: Type", "Line Item");
                row.set("Line: Title", l.title.clone());
                row.set(
                    "Line: Variant Title",
                    l.variant_title.clone().unwrap_or_default(),
                );
                row.set("Line: SKU", l.sku.clone().unwrap_or_default());
                row.set("Line: Quantity", l.quantity.to_string());
                row.set("Line: Price", fmt_amount(l.price.amount));
                if let Some(d) = &l.total_discount {
                    row.set("Line: Discount", fmt_amount(d.amount));
                }
                row.taxes("Line: Tax ", " ", &l.tax_lines);
            } else if lines > 0 {
                k -= o.line_items.len();
                if let Some(s) = o.shipping_lines.get(k) {
                    row.set("Line: Type", "Shipping Line");
                    row.set("Shipping: Title", s.title.clone());
                    row.set("Shipping: Code", s.code.clone().unwrap_or_default());
                    row.set("Shipping: Price", fmt_amount(s.price.amount));
                    row.taxes("Shipping: Tax ", " ", &s.tax_lines);
                } else {
                    k -= o.shipping_lines.len();
                    if let Some(d) = o.discounts.get(k) {
                        row.set("Line: Type", "Discount");
                        row.set("Discount: Code", d.code.clone());
                        row.set("Discount: Type", "fixed_amount");
                        row.set("Discount: Value", fmt_amount(d.amount.amount));
                    } else if let Some(t) = o.transactions.get(k - o.discounts.len()) {
                        row.set("Line: Type", "Transaction");
                        row.set("Transaction: Kind", t.kind.clone());
                        row.set(
                            "Transaction: Processed At",
                            t.processed_at
                                .map(|t| t.format_local(self.zone, ORDER_DATE_FORMAT))
                                .unwrap_or_default(),
                        );
                        row.set("Transaction: Amount", fmt_amount(t.amount.amount));
                        row.set("Transaction: Currency", t.amount.currency.clone());
                        row.set("Transaction: Status", t.status.clone());
                        row.set(
                            "Transaction: Gateway",
                            t.gateway.clone().unwrap_or_default(),
                        );
                    }
                }
            }
            self.csv.row(&row.cells, out);
        }
        Ok(name)
    }
}

// ---------------------------------------------------------------------------------------------
// Reader

/// Reads a Matrixify Orders export / import file.
pub struct OrderReader(CsvReader<OrderRows>);

impl OrderReader {
    pub fn new(path: PathBuf, currency: String) -> Self {
        OrderReader(CsvReader::new(Entity::Orders, path, currency))
    }

    /// The encoding to assume when the file has no BOM and does not look like UTF-8.
    pub fn with_encoding(self, encoding: Option<String>) -> Self {
        OrderReader(self.0.with_encoding(encoding))
    }

    /// The store's zone, for order times written without an offset.
    pub fn with_zone(self, zone: Option<Zone>) -> Self {
        OrderReader(self.0.with_zone(zone))
    }
}

impl crate::files::EntityReader for OrderReader {
    fn entity(&self) -> Entity {
        Entity::Orders
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

pub(crate) struct OrderRows {
    cols: HashMap<&'static str, usize>,
    /// Header index by name, for the numbered tax columns.
    named: HashMap<String, usize>,
    name: Option<usize>,
    currency: String,
    seen: HashMap<String, u64>,
    pending: Option<Row>,
    /// Shopify's own admin export (`orders_export.csv`: one row per line item, `Lineitem …`
    /// columns) rather than the Matrixify layout.
    native: bool,
    dates: DateReader,
}

/// Columns of Shopify's admin order export, read when a file has no `Line: Type`.
const NATIVE_COLUMNS: &[(&str, &[&str])] = &[
    ("n_id", &["Id"]),
    ("n_email", &["Email"]),
    ("n_financial", &["Financial Status"]),
    ("n_fulfillment", &["Fulfillment Status"]),
    ("n_currency", &["Currency"]),
    ("n_subtotal", &["Subtotal"]),
    ("n_shipping", &["Shipping"]),
    ("n_taxes", &["Taxes"]),
    ("n_total", &["Total"]),
    ("n_disc_code", &["Discount Code"]),
    ("n_disc_amount", &["Discount Amount"]),
    ("n_ship_method", &["Shipping Method"]),
    ("n_created", &["Created at"]),
    ("n_cancelled", &["Cancelled at"]),
    ("n_notes", &["Notes"]),
    ("n_tags", &["Tags"]),
    ("n_qty", &["Lineitem quantity"]),
    ("n_title", &["Lineitem name"]),
    ("n_price", &["Lineitem price"]),
    ("n_sku", &["Lineitem sku"]),
    ("n_discount", &["Lineitem discount"]),
    ("n_payment", &["Payment Method"]),
];

const READ_COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["ID"]),
    ("email", &["Email", "Customer: Email"]),
    ("note", &["Note"]),
    ("tags", &["Tags"]),
    ("created", &["Created At"]),
    ("processed", &["Processed At"]),
    ("cancelled", &["Cancelled At"]),
    ("currency", &["Currency"]),
    ("items", &["Price: Total Line Items"]),
    ("subtotal", &["Price: Subtotal"]),
    ("discounts", &["Price: Total Discount"]),
    ("shipping", &["Price: Total Shipping"]),
    ("tax_included", &["Tax: Included"]),
    ("tax", &["Tax: Total"]),
    ("total", &["Price: Total"]),
    (
        "financial",
        &["Payment: Status", "Financial: Status", "Financial Status"],
    ),
    (
        "fulfillment",
        &[
            "Order Fulfillment Status",
            "Fulfillment: Status",
            "Fulfillment Status",
        ],
    ),
    ("customer_id", &["Customer: ID"]),
    ("type", &["Line: Type"]),
    ("title", &["Line: Title", "Line: Name"]),
    ("variant_title", &["Line: Variant Title"]),
    ("sku", &["Line: SKU"]),
    ("qty", &["Line: Quantity"]),
    ("price", &["Line: Price"]),
    ("line_discount", &["Line: Discount"]),
    ("line_total", &["Line: Total"]),
    ("product_id", &["Line: Product ID"]),
    ("ship_title", &["Shipping: Title"]),
    ("ship_code", &["Shipping: Code"]),
    ("ship_price", &["Shipping: Price"]),
    ("disc_code", &["Discount: Code"]),
    ("disc_type", &["Discount: Type", "Discount: Value Type"]),
    ("disc_value", &["Discount: Value", "Discount: Amount"]),
    ("tx_kind", &["Transaction: Kind"]),
    ("tx_at", &["Transaction: Processed At"]),
    ("tx_amount", &["Transaction: Amount"]),
    ("tx_currency", &["Transaction: Currency"]),
    ("tx_status", &["Transaction: Status"]),
    ("tx_gateway", &["Transaction: Gateway"]),
];

impl OrderRows {
    fn c(&self, key: &str) -> Option<usize> {
        self.cols.get(key).copied()
    }

    fn money(
        &self,
        input: &CsvIn,
        row: &Row,
        key: &str,
        currency: &str,
        f: &mut Vec<Finding>,
    ) -> Option<Money> {
        decimal_cell(input, row, self.c(key), f).map(|d| Money::new(d, currency))
    }

    fn taxes(
        &self,
        input: &CsvIn,
        row: &Row,
        prefix: &str,
        sep: &str,
        currency: &str,
        f: &mut Vec<Finding>,
    ) -> Vec<TaxLine> {
        let mut out = Vec::new();
        for n in 1.. {
            let col = |part: &str| {
                self.named
                    .get(&format!("{prefix}{n}{sep}{part}").to_ascii_lowercase())
                    .copied()
            };
            let (title, rate, price) = (col("Title"), col("Rate"), col("Price"));
            if title.is_none() && price.is_none() {
                break;
            }
            let t = row.get(title);
            let amount = decimal_cell(input, row, price, f);
            if t.is_empty() && amount.is_none() {
                continue;
            }
            let mut rate = decimal_cell(input, row, rate, f).unwrap_or_default();
            if rate > Decimal::ONE {
                rate /= Decimal::from(100);
            }
            out.push(TaxLine {
                title: t.to_string(),
                rate,
                amount: Money::new(amount.unwrap_or_default(), currency),
            });
        }
        out
    }

    fn address(&self, row: &Row, side: &str) -> Option<Address> {
        let get = |f: &str| {
            let col = self
                .named
                .get(&format!("{side}: {f}").to_ascii_lowercase())
                .copied();
            non_empty(row.get(col))
        };
        let a = Address {
            first_name: get("First Name"),
            last_name: get("Last Name"),
            company: get("Company"),
            address1: get("Address 1"),
            address2: get("Address 2"),
            city: get("City"),
            province: get("Province Code").or_else(|| get("Province")),
            country_code: get("Country Code"),
            zip: get("Zip"),
            phone: get("Phone"),
            default: false,
        };
        let any = [
            &a.first_name,
            &a.last_name,
            &a.company,
            &a.address1,
            &a.address2,
            &a.city,
        ]
        .into_iter()
        .chain([&a.province, &a.country_code, &a.zip, &a.phone])
        .any(Option::is_some);
        any.then_some(a)
    }

    fn build(&self, input: &CsvIn, rows: &[Row], f: &mut Vec<Finding>) -> Order {
        let first = &rows[0];
        let name = first.get(self.name).to_string();
        let number = name.strip_prefix('#').unwrap_or(&name).to_string();
        let currency =
            non_empty(first.get(self.c("currency"))).unwrap_or_else(|| self.currency.clone());
        let cur = currency.as_str();
        let mut order = Order {
            source: SourceRef::new(
                non_empty(first.get(self.c("id"))).unwrap_or_else(|| name.clone()),
            ),
            number,
            email: non_empty(first.get(self.c("email"))),
            customer_ref: non_empty(first.get(self.c("customer_id"))),
            currency: currency.clone(),
            presentment: None,
            line_items: Vec::new(),
            tax_lines: self.taxes(input, first, "Tax ", ": ", cur, f),
            discounts: Vec::new(),
            shipping_lines: Vec::new(),
            transactions: Vec::new(),
            totals: OrderTotals {
                subtotal: Money::zero(cur),
                discounts: Money::zero(cur),
                shipping: Money::zero(cur),
                tax: Money::zero(cur),
                total: Money::zero(cur),
            },
            financial_status: FinancialStatus::Pending,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            created_at: self.date(input, first, "created", f),
            processed_at: self.date(input, first, "processed", f),
            cancelled_at: self.date(input, first, "cancelled", f),
            billing_address: self.address(first, "Billing"),
            shipping_address: self.address(first, "Shipping"),
            note: non_empty(first.raw(self.c("note"))),
            tags: split_tags(first.get(self.c("tags"))),
        };
        if order.created_at.is_none() && first.get(self.c("created")).is_empty() {
            f.push(cell_finding(
                input,
                first,
                self.c("created"),
                Severity::Warning,
                "missing_date",
                format!("order {name} has no Created At; it will be dated when it is imported: fill it in"),
            ));
        }
        let status = first.get(self.c("financial")).to_ascii_lowercase();
        order.financial_status = match status.as_str() {
            "" | "pending" => FinancialStatus::Pending,
            "authorized" => FinancialStatus::Authorized,
            "paid" => FinancialStatus::Paid,
            "partially_paid" | "partially paid" => FinancialStatus::PartiallyPaid,
            "refunded" => FinancialStatus::Refunded,
            "partially_refunded" | "partially refunded" => FinancialStatus::PartiallyRefunded,
            "voided" => FinancialStatus::Voided,
            other => {
                f.push(cell_finding(
                    input,
                    first,
                    self.c("financial"),
                    Severity::Warning,
                    "bad_status",
                    format!("\"{other}\" is not a payment status Shopify knows; read as pending"),
                ));
                FinancialStatus::Pending
            }
        };
        let status = first.get(self.c("fulfillment")).to_ascii_lowercase();
        order.fulfillment_status = match status.as_str() {
            "fulfilled" | "success" => FulfillmentStatus::Fulfilled,
            "partial" | "partially_fulfilled" => FulfillmentStatus::Partial,
            "cancelled" | "canceled" => FulfillmentStatus::Cancelled,
            "" | "unfulfilled" | "null" | "pending" | "open" => FulfillmentStatus::Unfulfilled,
            other => {
                f.push(cell_finding(
                    input,
                    first,
                    self.c("fulfillment"),
                    Severity::Warning,
                    "bad_status",
                    format!("\"{other}\" is not a fulfillment status Shopify knows; read as unfulfilled"),
                ));
                FulfillmentStatus::Unfulfilled
            }
        };
        for row in rows {
            let kind = row.get(self.c("type")).to_ascii_lowercase();
            match kind.as_str() {
                "line item" | "line_item" | "lineitem" => {
                    let quantity = integer_cell(input, row, self.c("qty"), f).unwrap_or_else(|| {
                        f.push(cell_finding(
                            input,
                            row,
                            self.c("qty"),
                            Severity::Warning,
                            "missing_quantity",
                            "line item has no quantity; read as 1: fill it in",
                        ));
                        1
                    });
                    let price = self.money(input, row, "price", cur, f).unwrap_or_else(|| Money::zero(cur));
                    order.line_items.push(LineItem {
                        sku: non_empty(row.get(self.c("sku"))),
                        title: row.get(self.c("title")).to_string(),
                        variant_title: non_empty(row.get(self.c("variant_title"))),
                        quantity,
                        price,
                        total_discount: self.money(input, row, "line_discount", cur, f),
                        tax_lines: self.taxes(input, row, "Line: Tax ", " ", cur, f),
                        product_ref: non_empty(row.get(self.c("product_id"))),
                    });
                }
                "shipping line" | "shipping_line" | "shipping" => {
                    let (title, price, taxes) = if self.c("ship_title").is_some()
                        && (!row.get(self.c("ship_title")).is_empty() || !row.get(self.c("ship_price")).is_empty())
                    {
                        (
                            row.get(self.c("ship_title")).to_string(),
                            self.money(input, row, "ship_price", cur, f),
                            self.taxes(input, row, "Shipping: Tax ", " ", cur, f),
                        )
                    } else {
                        (
                            row.get(self.c("title")).to_string(),
                            self.money(input, row, "price", cur, f),
                            self.taxes(input, row, "Line: Tax ", " ", cur, f),
                        )
                    };
                    order.shipping_lines.push(ShippingLine {
                        title,
                        code: non_empty(row.get(self.c("ship_code"))),
                        price: price.unwrap_or_else(|| Money::zero(cur)),
                        tax_lines: taxes,
                    });
                }
                "discount" => {
                    let code = non_empty(row.get(self.c("disc_code"))).unwrap_or_else(|| row.get(self.c("title")).to_string());
                    let kind = row.get(self.c("disc_type")).to_ascii_lowercase();
                    let value = if kind.is_empty() || kind.contains("fixed") || kind.contains("amount") {
                        decimal_cell(input, row, self.c("disc_value"), f)
                    } else {
                        None
                    };
                    let amount = value.or_else(|| decimal_cell(input, row, self.c("line_total"), f).map(|d| d.abs()));
                    match amount {
                        Some(a) => order.discounts.push(Discount { code, amount: Money::new(a.abs(), cur) }),
                        None => f.push(cell_finding(
                            input,
                            row,
                            self.c("disc_value"),
                            Severity::Warning,
                            "discount_without_amount",
                            format!("discount \"{code}\" of order {name} has no amount (percentage without Line: Total); it was skipped"),
                        )),
                    }
                }
                "transaction" => {
                    let tx_cur = non_empty(row.get(self.c("tx_currency"))).unwrap_or_else(|| currency.clone());
                    let amount = decimal_cell(input, row, self.c("tx_amount"), f).unwrap_or_default();
                    order.transactions.push(Transaction {
                        kind: row.get(self.c("tx_kind")).to_ascii_lowercase(),
                        status: row.get(self.c("tx_status")).to_ascii_lowercase(),
                        gateway: non_empty(row.get(self.c("tx_gateway"))),
                        amount: Money::new(amount, tx_cur),
                        processed_at: self.date(input, row, "tx_at", f),
                    });
                }
                "" => {}
                other => f.push(cell_finding(
                    input,
                    row,
                    self.c("type"),
                    Severity::Info,
                    "skipped_line",
                    format!("\"{other}\" rows are not moved by storeshift; this row of order {name} was skipped"),
                )),
            }
        }
        let items = saturating_sum(
            order
                .line_items
                .iter()
                .map(|l| line_amount(l.price.amount, l.quantity)),
        );
        let disc = saturating_sum(order.discounts.iter().map(|d| d.amount.amount));
        let ship = saturating_sum(order.shipping_lines.iter().map(|s| s.price.amount));
        let tax = saturating_sum(order.tax_lines.iter().map(|t| t.amount.amount));
        let col = |k: &str| decimal_cell(input, first, self.c(k), &mut Vec::new());
        let discounts = col("discounts").unwrap_or(disc);
        let subtotal = col("items")
            .or_else(|| col("subtotal").map(|s| s.saturating_add(discounts)))
            .unwrap_or(items);
        let shipping = col("shipping").unwrap_or(ship);
        let tax_total = col("tax").unwrap_or(tax);
        let included = super::csvin::parse_bool(first.get(self.c("tax_included"))).unwrap_or(false);
        let expected = saturating_sum([
            subtotal,
            -discounts,
            shipping,
            if included { Decimal::ZERO } else { tax_total },
        ]);
        let total = col("total").unwrap_or(expected);
        // Report once per order, at its first row, when the rows and the totals disagree.
        let mut mismatches = Vec::new();
        if !order.line_items.is_empty() && subtotal != items {
            mismatches.push(format!(
                "line items add up to {items} but Price: Total Line Items says {subtotal}"
            ));
        }
        if !order.shipping_lines.is_empty() && shipping != ship {
            mismatches.push(format!(
                "shipping lines add up to {ship} but Price: Total Shipping says {shipping}"
            ));
        }
        if !order.discounts.is_empty() && discounts != disc {
            mismatches.push(format!(
                "discounts add up to {disc} but Price: Total Discount says {discounts}"
            ));
        }
        if total != expected {
            mismatches.push(format!(
                "the parts add up to {expected} but Price: Total says {total}"
            ));
        }
        if !mismatches.is_empty() {
            f.push(
                cell_finding(
                    input,
                    first,
                    self.c("total"),
                    Severity::Warning,
                    "totals_mismatch",
                    format!(
                        "order {name}: {}; the stated totals were kept: check the order",
                        mismatches.join("; ")
                    ),
                )
                .about(RecordRef {
                    entity: Entity::Orders,
                    source_id: order.source.id.clone(),
                    label: format!("#{}", order.number),
                }),
            );
        }
        order.totals = OrderTotals {
            subtotal: Money::new(subtotal, cur),
            discounts: Money::new(discounts, cur),
            shipping: Money::new(shipping, cur),
            tax: Money::new(tax_total, cur),
            total: Money::new(total, cur),
        };
        order
    }
}

/// "Jane Q Doe" → ("Jane Q", "Doe"): the admin export has one name column per address.
fn split_name(full: &str) -> (Option<String>, Option<String>) {
    match full.trim().rsplit_once(' ') {
        Some((first, last)) => (non_empty(first.trim()), non_empty(last.trim())),
        None => (non_empty(full.trim()), None),
    }
}

/// "VAT 20%" → 0.2; a name without a percentage gives 0.
fn rate_from_name(name: &str) -> Decimal {
    let Some(stripped) = name.trim().strip_suffix('%') else {
        return Decimal::ZERO;
    };
    let digits = stripped
        .rsplit(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .next()
        .unwrap_or("");
    crate::model::parse_decimal(digits)
        .map(|d| d / Decimal::from(100))
        .unwrap_or_default()
}

impl OrderRows {
    /// The time in a date cell (see [`ORDER_DATE_CLOCK`]).
    fn date(&self, input: &CsvIn, row: &Row, key: &str, f: &mut Vec<Finding>) -> Option<Timestamp> {
        let col = self.c(key);
        self.dates.read(
            row.get(col),
            ORDER_DATE_CLOCK,
            || input.location(row.pos.line, col),
            f,
        )
    }

    fn native_address(&self, row: &Row, side: &str) -> Option<Address> {
        let get = |f: &str| {
            let col = self
                .named
                .get(&format!("{side} {f}").to_ascii_lowercase())
                .copied();
            non_empty(row.get(col))
        };
        let (first_name, last_name) = split_name(&get("Name").unwrap_or_default());
        let a = Address {
            first_name,
            last_name,
            company: get("Company"),
            address1: get("Address1").or_else(|| get("Street")),
            address2: get("Address2"),
            city: get("City"),
            province: get("Province"),
            country_code: get("Country"),
            zip: get("Zip"),
            phone: get("Phone"),
            default: false,
        };
        let any = [
            &a.first_name,
            &a.last_name,
            &a.company,
            &a.address1,
            &a.city,
            &a.country_code,
            &a.zip,
        ]
        .into_iter()
        .any(Option::is_some);
        any.then_some(a)
    }

    /// Builds an order from Shopify's admin export: one row per line item, order fields on the
    /// first row, one discount code and one shipping method per order.
    fn build_native(&self, input: &CsvIn, rows: &[Row], f: &mut Vec<Finding>) -> Order {
        let first = &rows[0];
        let name = first.get(self.name).to_string();
        let currency =
            non_empty(first.get(self.c("n_currency"))).unwrap_or_else(|| self.currency.clone());
        let cur = currency.as_str();
        let money =
            |row: &Row, key: &str, f: &mut Vec<Finding>| decimal_cell(input, row, self.c(key), f);
        let mut tax_lines = Vec::new();
        for n in 1.. {
            let col = |part: &str| self.named.get(&format!("tax {n} {part}")).copied();
            let (title, value) = (col("name"), col("value"));
            if title.is_none() && value.is_none() {
                break;
            }
            let t = first.get(title);
            if t.is_empty() {
                continue;
            }
            let amount = decimal_cell(input, first, value, f).unwrap_or_default();
            tax_lines.push(TaxLine {
                title: t.to_string(),
                rate: rate_from_name(t),
                amount: Money::new(amount, cur),
            });
        }
        let mut line_items = Vec::new();
        for row in rows {
            let title = row.get(self.c("n_title"));
            if title.is_empty() {
                continue;
            }
            let quantity = integer_cell(input, row, self.c("n_qty"), f).unwrap_or(1);
            line_items.push(LineItem {
                sku: non_empty(row.get(self.c("n_sku"))),
                title: title.to_string(),
                variant_title: None,
                quantity,
                price: Money::new(money(row, "n_price", f).unwrap_or_default(), cur),
                total_discount: money(row, "n_discount", f)
                    .filter(|d| !d.is_zero())
                    .map(|d| Money::new(d, cur)),
                tax_lines: Vec::new(),
                product_ref: None,
            });
        }
        let discount_amount = money(first, "n_disc_amount", f).unwrap_or_default();
        let discounts = match non_empty(first.get(self.c("n_disc_code"))) {
            Some(code) => vec![Discount {
                code,
                amount: Money::new(discount_amount, cur),
            }],
            None if !discount_amount.is_zero() => {
                vec![Discount {
                    code: String::new(),
                    amount: Money::new(discount_amount, cur),
                }]
            }
            None => Vec::new(),
        };
        let shipping = money(first, "n_shipping", f).unwrap_or_default();
        let shipping_lines = match non_empty(first.get(self.c("n_ship_method"))) {
            Some(title) => vec![ShippingLine {
                title,
                code: None,
                price: Money::new(shipping, cur),
                tax_lines: Vec::new(),
            }],
            None if !shipping.is_zero() => vec![ShippingLine {
                title: "Shipping".to_string(),
                code: None,
                price: Money::new(shipping, cur),
                tax_lines: Vec::new(),
            }],
            None => Vec::new(),
        };
        let items = saturating_sum(
            line_items
                .iter()
                .map(|l| line_amount(l.price.amount, l.quantity)),
        );
        let line_discounts = saturating_sum(
            line_items
                .iter()
                .filter_map(|l| l.total_discount.as_ref())
                .map(|d| d.amount),
        );
        // The admin export's Subtotal is after discounts.
        let subtotal = money(first, "n_subtotal", f)
            .map(|s| s.saturating_add(discount_amount))
            .unwrap_or(items);
        let tax = money(first, "n_taxes", f).unwrap_or_default();
        let expected = saturating_sum([subtotal, -discount_amount, shipping]);
        let total = money(first, "n_total", f).unwrap_or(expected.saturating_add(tax));
        if total != expected.saturating_add(tax) && total != expected {
            f.push(cell_finding(
                input,
                first,
                self.c("n_total"),
                Severity::Warning,
                "totals_mismatch",
                format!(
                    "order {name}: subtotal, shipping, taxes and discounts add up to {} but Total says {total}; \
                     the stated total was kept: check the order",
                    expected.saturating_add(tax)
                ),
            ));
        }
        if subtotal != items && subtotal != items.saturating_sub(line_discounts) {
            f.push(cell_finding(
                input,
                first,
                self.c("n_subtotal"),
                Severity::Warning,
                "totals_mismatch",
                format!("order {name}: line items add up to {items} but the subtotal before discounts is {subtotal}"),
            ));
        }
        let financial = match first
            .get(self.c("n_financial"))
            .to_ascii_lowercase()
            .as_str()
        {
            "authorized" => FinancialStatus::Authorized,
            "paid" => FinancialStatus::Paid,
            "partially_paid" => FinancialStatus::PartiallyPaid,
            "refunded" => FinancialStatus::Refunded,
            "partially_refunded" => FinancialStatus::PartiallyRefunded,
            "voided" => FinancialStatus::Voided,
            _ => FinancialStatus::Pending,
        };
        let fulfillment = match first
            .get(self.c("n_fulfillment"))
            .to_ascii_lowercase()
            .as_str()
        {
            "fulfilled" => FulfillmentStatus::Fulfilled,
            "partial" => FulfillmentStatus::Partial,
            "restocked" | "cancelled" => FulfillmentStatus::Cancelled,
            _ => FulfillmentStatus::Unfulfilled,
        };
        Order {
            source: SourceRef::new(
                non_empty(first.get(self.c("n_id"))).unwrap_or_else(|| name.clone()),
            ),
            number: name.strip_prefix('#').unwrap_or(&name).to_string(),
            email: non_empty(first.get(self.c("n_email"))),
            customer_ref: None,
            currency: currency.clone(),
            presentment: None,
            line_items,
            tax_lines,
            discounts,
            shipping_lines,
            transactions: Vec::new(),
            totals: OrderTotals {
                subtotal: Money::new(subtotal, cur),
                discounts: Money::new(discount_amount, cur),
                shipping: Money::new(shipping, cur),
                tax: Money::new(tax, cur),
                total: Money::new(total, cur),
            },
            financial_status: financial,
            fulfillment_status: fulfillment,
            created_at: self.date(input, first, "n_created", f),
            processed_at: None,
            cancelled_at: self.date(input, first, "n_cancelled", f),
            billing_address: self.native_address(first, "Billing"),
            shipping_address: self.native_address(first, "Shipping"),
            note: non_empty(first.raw(self.c("n_notes"))),
            tags: split_tags(first.get(self.c("n_tags"))),
        }
    }
}

impl Assemble for OrderRows {
    fn start(input: &CsvIn, currency: &str) -> Result<Self> {
        let mut cols = HashMap::new();
        for (key, names) in READ_COLUMNS {
            if let Some(i) = input.column(names) {
                cols.insert(*key, i);
            }
        }
        let name = input.column(&["Name"]);
        let native = !cols.contains_key("type") && input.column(&["Lineitem name"]).is_some();
        if native {
            cols.clear();
            for (key, names) in NATIVE_COLUMNS {
                if let Some(i) = input.column(names) {
                    cols.insert(*key, i);
                }
            }
            require_columns(input, &[("Name", name)])?;
        } else {
            require_columns(
                input,
                &[("Name", name), ("Line: Type", cols.get("type").copied())],
            )?;
        }
        let mut named = HashMap::new();
        for (i, h) in input.header.iter().enumerate() {
            named.entry(h.to_ascii_lowercase()).or_insert(i);
        }
        Ok(OrderRows {
            cols,
            named,
            name,
            currency: currency.to_string(),
            seen: HashMap::new(),
            pending: None,
            native,
            dates: DateReader::new(None, DayOrder::MonthFirst),
        })
    }

    fn set_zone(&mut self, zone: Option<Zone>) {
        self.dates = DateReader::new(zone, DayOrder::MonthFirst);
    }

    fn next(&mut self, input: &mut CsvIn, f: &mut Vec<Finding>) -> Result<Option<Record>> {
        let first = match self.pending.take() {
            Some(r) => r,
            None => loop {
                let Some(row) = input.next_row(f)? else {
                    return Ok(None);
                };
                if row.get(self.name).is_empty() {
                    f.push(cell_finding(
                        input,
                        &row,
                        self.name,
                        Severity::Blocking,
                        "missing_order_name",
                        "row has no order Name and follows no order; it was skipped: fill in the Name",
                    ));
                    continue;
                }
                break row;
            },
        };
        let name = first.get(self.name).to_string();
        let mut rows = vec![first];
        loop {
            let Some(row) = input.next_row(f)? else { break };
            let n = row.get(self.name);
            if n == name || n.is_empty() {
                rows.push(row);
            } else {
                self.pending = Some(row);
                break;
            }
        }
        let order = if self.native {
            self.build_native(input, &rows, f)
        } else {
            self.build(input, &rows, f)
        };
        let line = rows[0].pos.line;
        if let Some(prev) = self.seen.get(&name) {
            f.push(
                Finding::new(
                    Severity::Blocking,
                    "duplicate_order",
                    format!(
                        "order {name} on line {line} was already read from line {prev}; rows of one order must be \
                         consecutive: merge them or rename one order"
                    ),
                )
                .at(input.location(line, self.name))
                .about(RecordRef { entity: Entity::Orders, source_id: order.source.id.clone(), label: name.clone() }),
            );
        } else {
            self.seen.insert(name, line);
        }
        Ok(Some(Record::Order(Box::new(order))))
    }

    fn resume_point(&self, input: &CsvIn) -> Pos {
        self.pending
            .as_ref()
            .map(|r| r.pos)
            .unwrap_or_else(|| input.position())
    }
}
