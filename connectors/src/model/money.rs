use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An amount of money: a decimal and an ISO 4217 currency code. Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

impl Money {
    pub fn new(amount: Decimal, currency: impl Into<String>) -> Self {
        Money {
            amount,
            currency: currency.into(),
        }
    }

    pub fn zero(currency: impl Into<String>) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Parses a price as written in store exports: "19.99", "19,99", " 1,299.00 ", "1.299,00".
    pub fn parse(text: &str, currency: &str) -> Option<Money> {
        parse_decimal(text).map(|d| Money::new(d, currency))
    }

    /// Minor units (cents, kuruş) as the Medusa and Vendure APIs take them.
    pub fn minor_units(&self) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        (self.amount * Decimal::from(100))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses a decimal number the way store exports write them. Accepts a decimal comma
/// ("19,99", Turkish and German exports) and thousands separators on either convention.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = Decimal::from_str(t) {
        return Some(d);
    }
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let normalised = match (last_dot, last_comma) {
        (Some(d), Some(c)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (None, Some(_)) => {
            // One comma followed by exactly three digits reads as a thousands separator only
            // when there is more than one group; "1,299" alone is ambiguous, treat as decimal
            // comma only when fewer than three digits follow.
            let after = t.len() - t.rfind(',').unwrap_or(0) - 1;
            if after == 3 && t.matches(',').count() >= 1 && !t.starts_with("0,") {
                t.replace(',', "")
            } else {
                t.replace(',', ".")
            }
        }
        _ => t.to_string(),
    };
    Decimal::from_str(&normalised)
        .ok()
        .or_else(|| Decimal::from_scientific(&normalised).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_store_number_styles() {
        let d = |s: &str| parse_decimal(s).map(|d| d.normalize().to_string());
        assert_eq!(d("19.99").as_deref(), Some("19.99"));
        assert_eq!(d("19,99").as_deref(), Some("19.99"));
        assert_eq!(d("1.299,50").as_deref(), Some("1299.5"));
        assert_eq!(d("1,299.50").as_deref(), Some("1299.5"));
        assert_eq!(d("1,299").as_deref(), Some("1299"));
        assert_eq!(d(" 7 ").as_deref(), Some("7"));
        assert_eq!(d("").as_deref(), None);
        assert_eq!(d("abc").as_deref(), None);
    }

    #[test]
    fn minor_units_round_half_away() {
        let m = Money::parse("10.005", "USD").unwrap();
        assert_eq!(m.minor_units(), Some(1001));
        assert_eq!(Money::parse("0", "TRY").unwrap().minor_units(), Some(0));
    }
}
