use super::{Address, Money, SourceRef, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub title: String,
    /// Rate as a fraction: 0.2 for 20%.
    pub rate: Decimal,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct LineItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_title: Option<String>,
    pub quantity: i64,
    /// Unit price before discounts and taxes.
    pub price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<TaxLine>,
    /// Source id of the product this line refers to, when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub code: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct ShippingLine {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub price: Money,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// sale, authorization, capture, refund, void
    pub kind: String,
    /// success, failure, pending
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    pub amount: Money,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub processed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    #[default]
    Pending,
    Authorized,
    Paid,
    PartiallyPaid,
    Refunded,
    PartiallyRefunded,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    #[default]
    Unfulfilled,
    Partial,
    Fulfilled,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    pub subtotal: Money,
    pub discounts: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

/// What the customer was shown and charged when the store sold in a currency other than its
/// own (Shopify's presentment currency, a Magento order currency beside the base one): the
/// same order's amounts in that currency. The order's own amounts stay in the shop's currency,
/// which accounting reconciles in; these are what the customer's receipt said.
///
/// Each list holds one entry per item of the order's list of the same name, in the same order,
/// so a target can pair every amount with the one it stands beside.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Presentment {
    pub currency: String,
    pub totals: OrderTotals,
    pub line_items: Vec<PresentedLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping_lines: Vec<PresentedLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transactions: Vec<Money>,
}

/// A line item's or a shipping line's amounts in the presentment currency.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct PresentedLine {
    /// A line item's unit price, a shipping line's price.
    pub price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<Money>,
}

impl Presentment {
    /// Whether every list pairs with the order's (a transform that dropped or added a line
    /// leaves amounts that no longer say which line they belong to).
    pub fn fits(&self, o: &Order) -> bool {
        fn pairs(p: &[PresentedLine], taxes: impl ExactSizeIterator<Item = usize>) -> bool {
            p.len() == taxes.len() && p.iter().zip(taxes).all(|(l, n)| l.tax_lines.len() == n)
        }
        pairs(
            &self.line_items,
            o.line_items.iter().map(|l| l.tax_lines.len()),
        ) && pairs(
            &self.shipping_lines,
            o.shipping_lines.iter().map(|l| l.tax_lines.len()),
        ) && self.tax_lines.len() == o.tax_lines.len()
            && self.transactions.len() == o.transactions.len()
    }
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Order {
    pub source: SourceRef,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Source id of the customer, when the order had one (guest orders have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
    /// The shop's currency, every amount of the order is in.
    pub currency: String,
    /// The customer's currency and amounts, when they paid in another (`None`: the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentment: Option<Presentment>,
    pub line_items: Vec<LineItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<TaxLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<Discount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transactions: Vec<Transaction>,
    pub totals: OrderTotals,
    #[serde(default)]
    pub financial_status: FinancialStatus,
    #[serde(default)]
    pub fulfillment_status: FulfillmentStatus,
    /// When the order was placed; `None` when the source's date could not be read (the reader
    /// said so in a finding).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub created_at: Option<Timestamp>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub processed_at: Option<Timestamp>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub cancelled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Order {
    /// Recomputes what the totals should be from the lines; a finding when they disagree.
    pub fn computed_total(&self) -> Decimal {
        use super::money::{line_amount, saturating_sum};
        let items = saturating_sum(
            self.line_items
                .iter()
                .map(|l| line_amount(l.price.amount, l.quantity)),
        );
        let shipping = saturating_sum(self.shipping_lines.iter().map(|s| s.price.amount));
        let discounts = saturating_sum(self.discounts.iter().map(|d| d.amount.amount));
        let tax = saturating_sum(self.tax_lines.iter().map(|t| t.amount.amount));
        saturating_sum([items, shipping, -discounts, tax])
    }
}
