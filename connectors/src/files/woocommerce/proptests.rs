//! Property tests: customers and orders written by the writers read back as they were.

use super::{customers, orders};
use crate::connector::Cursor;
use crate::files::table::TableFile;
use crate::files::{EntityReader, EntityWriter};
use crate::model::{
    Address, Customer, Discount, FinancialStatus as F, FulfillmentStatus as S, LineItem,
    MarketingConsent, Money, Order, OrderTotals, Record, ShippingLine, SourceRef, TaxLine,
    Timestamp, Transaction,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn word() -> impl Strategy<Value = String> {
    "[A-Za-zÇçĞğİıÖöŞşÜüß][A-Za-zÇçĞğİıÖöŞşÜüß0-9 ,.;:|&\"'-]{0,12}[A-Za-z0-9]"
}

fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000).prop_map(|n| Decimal::new(n, 2))
}

fn address(phone: bool) -> impl Strategy<Value = Address> {
    (
        proptest::option::of(word()),
        proptest::option::of(word()),
        proptest::option::of(word()),
        word(),
        proptest::option::of(word()),
        proptest::option::of(word()),
        proptest::option::of("[A-Z0-9]{2,4}"),
        proptest::option::of("[A-Z]{2}"),
        proptest::option::of("[0-9]{5}"),
        proptest::option::of("\\+[0-9]{2} [0-9]{3} [0-9]{4}"),
    )
        .prop_map(
            move |(first, last, company, a1, a2, city, province, country, zip, ph)| Address {
                first_name: first,
                last_name: last,
                company,
                address1: Some(a1),
                address2: a2,
                city,
                province,
                country_code: country,
                zip,
                phone: if phone { ph } else { None },
                default: false,
            },
        )
}

fn customer() -> impl Strategy<Value = Customer> {
    (
        1u32..1_000_000,
        "[a-z]{1,8}\\.[a-z]{1,8}@example\\.com",
        word(),
        word(),
        proptest::option::of("\\+[0-9]{2} [0-9]{3} [0-9]{4}"),
        proptest::option::of(address(false)),
        proptest::option::of(address(true)),
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of("2024-0[1-9]-1[0-9]"),
        ),
        proptest::collection::vec("[a-z]{1,8}", 0..3),
        proptest::option::of(word()),
        proptest::option::of("202[0-4]-0[1-9]-2[0-8]T1[0-9]:3[0-9]:00"),
    )
        .prop_map(
            |(
                id,
                email,
                first,
                last,
                phone,
                billing,
                shipping,
                (em, sms, at),
                tags,
                note,
                created,
            )| {
                let mut addresses = vec![];
                if let Some(mut b) = billing {
                    b.default = true;
                    addresses.push(b);
                    if let Some(s) = shipping {
                        addresses.push(s);
                    }
                }
                Customer {
                    source: SourceRef::new(id.to_string()),
                    email,
                    first_name: Some(first),
                    last_name: Some(last),
                    phone,
                    addresses,
                    marketing: MarketingConsent {
                        email: em,
                        sms,
                        updated_at: at.as_deref().and_then(Timestamp::parse_api),
                    },
                    tags,
                    note,
                    created_at: created.as_deref().and_then(Timestamp::parse_api),
                }
            },
        )
}

fn line() -> impl Strategy<Value = LineItem> {
    (
        proptest::option::of("[A-Z0-9-]{1,10}"),
        word(),
        proptest::option::of("(Size|Color)=[A-Z][a-z]{0,5}"),
        1i64..6,
        (1i64..100_000).prop_map(|n| Decimal::new(n, 2)),
        proptest::option::of(1i64..100),
        proptest::option::of((1u32..100_000).prop_map(|n| n.to_string())),
    )
        .prop_map(
            |(sku, title, variant_title, quantity, price, discount, product_ref)| LineItem {
                sku,
                title,
                variant_title,
                quantity,
                total_discount: discount.map(|d| Money::new(Decimal::new(d, 2), "USD")),
                price: Money::new(price, "USD"),
                tax_lines: vec![],
                product_ref,
            },
        )
}

fn order() -> impl Strategy<Value = Order> {
    let statuses = vec![
        (F::Pending, S::Unfulfilled),
        (F::Paid, S::Unfulfilled),
        (F::Authorized, S::Unfulfilled),
        (F::Paid, S::Fulfilled),
        (F::Voided, S::Cancelled),
        (F::Refunded, S::Fulfilled),
        (F::Voided, S::Unfulfilled),
    ];
    (
        (
            1u32..1_000_000,
            proptest::option::of("[a-z]{1,8}@example\\.org"),
            proptest::option::of(2u32..9999),
        ),
        proptest::collection::vec(line(), 1..4),
        proptest::collection::vec((word(), 0i64..3000, amount()), 0..2),
        proptest::collection::vec((word(), amount()), 0..2),
        proptest::collection::vec(
            (word(), proptest::option::of("[a-z_]{1,12}"), amount()),
            0..2,
        ),
        (amount(), amount(), amount(), amount()),
        proptest::sample::select(statuses),
        proptest::option::of("[a-z]{1,8}"),
        (
            proptest::option::of(address(true)),
            proptest::option::of(address(false)),
            proptest::option::of(word()),
        ),
    )
        .prop_map(
            |(
                (id, email, cust),
                lines,
                taxes,
                coupons,
                ships,
                (disc, ship, tax, total),
                (fin, ful),
                gateway,
                (billing, shipping, note),
            )| {
                let usd = |d: Decimal| Money::new(d, "USD");
                let subtotal: Decimal = lines
                    .iter()
                    .map(|l| l.price.amount * Decimal::from(l.quantity))
                    .sum();
                Order {
                    source: SourceRef::new(id.to_string()),
                    number: id.to_string(),
                    email,
                    customer_ref: cust.map(|c| c.to_string()),
                    currency: "USD".to_string(),
                    presentment: None,
                    line_items: lines,
                    tax_lines: taxes
                        .into_iter()
                        .map(|(title, pct, amount)| TaxLine {
                            title,
                            rate: Decimal::new(pct, 4),
                            amount: usd(amount),
                        })
                        .collect(),
                    discounts: coupons
                        .into_iter()
                        .map(|(code, a)| Discount {
                            code,
                            amount: usd(a),
                        })
                        .collect(),
                    shipping_lines: ships
                        .into_iter()
                        .map(|(title, code, a)| ShippingLine {
                            title,
                            code,
                            price: usd(a),
                            tax_lines: vec![],
                        })
                        .collect(),
                    transactions: gateway
                        .map(|g| Transaction {
                            kind: "sale".to_string(),
                            status: match fin {
                                F::Paid | F::Refunded | F::PartiallyRefunded => "success",
                                F::Voided => "failure",
                                _ => "pending",
                            }
                            .to_string(),
                            gateway: Some(g),
                            amount: usd(total),
                            processed_at: None,
                        })
                        .into_iter()
                        .collect(),
                    totals: OrderTotals {
                        subtotal: usd(subtotal),
                        discounts: usd(disc),
                        shipping: usd(ship),
                        tax: usd(tax),
                        total: usd(total),
                    },
                    financial_status: fin,
                    fulfillment_status: ful,
                    created_at: Timestamp::parse_api("2024-05-06T07:08:09"),
                    processed_at: None,
                    cancelled_at: None,
                    billing_address: billing,
                    shipping_address: shipping,
                    note,
                    tags: vec![],
                }
            },
        )
}

fn round_trip(records: &[Record], writer: &mut dyn EntityWriter) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(writer.file_name());
    let mut out = writer.header();
    for r in records {
        writer.encode(r, &mut out).unwrap();
    }
    std::fs::write(&path, out).unwrap();
    let table = TableFile::open(&path, None).unwrap();
    let mut reader: Box<dyn EntityReader> = match writer.file_name().as_str() {
        "customers.csv" => Box::new(customers::reader(table, None).unwrap()),
        _ => Box::new(orders::reader(table, "USD", None).unwrap()),
    };
    let mut cursor: Option<Cursor> = None;
    let mut back = vec![];
    loop {
        let page = reader.read_page(cursor.as_ref(), 2).unwrap();
        back.extend(page.records);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return back,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn customers_read_back_as_written(cs in proptest::collection::vec(customer(), 1..5)) {
        let records: Vec<Record> = cs.into_iter().map(Record::Customer).collect();
        let back = round_trip(&records, &mut customers::CustomerWriter::for_import());
        prop_assert_eq!(back, records);
    }

    #[test]
    fn orders_read_back_as_written(os in proptest::collection::vec(order(), 1..4)) {
        let records: Vec<Record> = os.into_iter().map(|o| Record::Order(Box::new(o))).collect();
        let back = round_trip(&records, &mut orders::OrderWriter::for_import());
        prop_assert_eq!(back, records);
    }
}
