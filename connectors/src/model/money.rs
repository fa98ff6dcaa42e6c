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

    /// The amount as an integer of `precision` decimal places (cents at 2), rounded half away
    /// from zero, as Vendure stores money; `None` when it does not fit.
    pub fn minor_units(&self, precision: u32) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        let factor = Decimal::from(10i64.checked_pow(precision)?);
        self.amount
            .checked_mul(factor)?
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
    }

    /// The inverse of `minor_units`: `units` with `precision` decimal places.
    pub fn from_minor_units(units: i64, precision: u32, currency: impl Into<String>) -> Money {
        Money::new(Decimal::new(units, precision.min(28)), currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// `d` as export files write it: no trailing zeros beyond `min_scale` decimals ("25.00" and
/// "19.995" at 2, "1.5" and "0" at 0).
pub fn decimal_text(d: Decimal, min_scale: u32) -> String {
    let mut d = d.normalize();
    if d.scale() < min_scale {
        d.rescale(min_scale);
    }
    let mut out = String::new();
    push_decimal(&mut out, d);
    out
}

/// Appends the text `Decimal`'s `Display` gives `d` (its own scale; "-0" for a negative zero),
/// without the formatting machinery: writers call this for every price of every variant.
pub fn push_decimal(out: &mut String, d: Decimal) {
    let scale = d.scale() as usize;
    let mut digits = [0u8; 40];
    let mut n = d.mantissa().unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = &digits[i..];
    if d.is_sign_negative() {
        out.push('-');
    }
    let whole = digits.len().saturating_sub(scale);
    if whole == 0 {
        out.push('0');
    } else {
        out.extend(digits[..whole].iter().map(|&b| b as char));
    }
    if scale > 0 {
        out.push('.');
        out.extend(std::iter::repeat_n('0', scale.saturating_sub(digits.len())));
        out.extend(digits[whole..].iter().map(|&b| b as char));
    }
}

/// Figures read from files (amounts, weights, rates) stay below this magnitude, a quadrillion.
/// No store's figure comes near it, and the sums and products an order's lines and totals are
/// checked with stay far inside `Decimal`'s range, whose overflow panics. Beyond it a cell is
/// damaged (a barcode or an id in a price column, a mangled number), not a price.
pub fn decimal_limit() -> Decimal {
    Decimal::from(1_000_000_000_000_000i64)
}

/// Parses a decimal number the way store exports write them. Accepts a decimal comma
/// ("19,99", Turkish and German exports) and thousands separators on either convention.
/// Numbers of `decimal_limit()` or more read as `None`; [`is_too_large`] says why.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    parse_decimal_any(text).filter(|d| d.abs() < decimal_limit())
}

/// Whether `text` is a number `parse_decimal` refuses for its size, so the finding can say so.
pub fn is_too_large(text: &str) -> bool {
    parse_decimal_any(text).is_some_and(|d| d.abs() >= decimal_limit())
}

/// Adds figures up without panicking: a sum beyond `Decimal`'s range stays at its bound (the
/// totals it is checked against then disagree, which says what went wrong).
pub fn saturating_sum<I: IntoIterator<Item = Decimal>>(figures: I) -> Decimal {
    figures
        .into_iter()
        .fold(Decimal::ZERO, |sum, d| sum.saturating_add(d))
}

/// What `quantity` lines at `price` come to, at `Decimal`'s bound rather than a panic.
pub fn line_amount(price: Decimal, quantity: i64) -> Decimal {
    price.saturating_mul(Decimal::from(quantity))
}

/// `parse_decimal` at any magnitude: for telling what a column holds, not for reading values.
pub fn parse_decimal_any(text: &str) -> Option<Decimal> {
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

    /// A 29-digit "price" (a fuzzed file's) is refused with its reason, and adding up or
    /// multiplying figures past `Decimal`'s range stays at its bound instead of panicking.
    #[test]
    fn figures_past_any_store_are_refused_and_sums_do_not_overflow() {
        let big = "79228162514264337593543950335";
        assert_eq!(parse_decimal(big), None);
        assert!(is_too_large(big) && is_too_large("-1e20") && !is_too_large("abc"));
        assert_eq!(
            parse_decimal("999999999999999.99"),
            Some(Decimal::from_str("999999999999999.99").unwrap())
        );
        assert_eq!(parse_decimal_any(big), Some(Decimal::MAX));
        assert_eq!(saturating_sum([Decimal::MAX, Decimal::ONE]), Decimal::MAX);
        assert_eq!(line_amount(Decimal::MAX, -2), Decimal::MIN);
    }

    proptest::proptest! {
        #[test]
        fn decimal_text_is_displays_text(m in proptest::num::i64::ANY, wide in proptest::num::i128::ANY,
                                         use_wide: bool, scale in 0u32..=28, min_scale in 0u32..4) {
            let mantissa = if use_wide { wide % 10i128.pow(28) } else { i128::from(m) };
            let d = Decimal::from_i128_with_scale(mantissa, scale);
            let mut want = d.normalize();
            if want.scale() < min_scale {
                want.rescale(min_scale);
            }
            proptest::prop_assert_eq!(decimal_text(d, min_scale), want.to_string());
        }

        #[test]
        fn push_decimal_is_displays_text(m in proptest::num::i64::ANY, scale in 0u32..=28,
                                         negative: bool, zero: bool) {
            let mut d = Decimal::from_i128_with_scale(if zero { 0 } else { i128::from(m) }, scale);
            if negative {
                d.set_sign_negative(true);
            }
            let mut out = String::new();
            push_decimal(&mut out, d);
            proptest::prop_assert_eq!(out, d.to_string());
        }
    }

    #[test]
    fn decimal_text_examples() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(decimal_text(d("25"), 2), "25.00");
        assert_eq!(decimal_text(d("19.9950"), 2), "19.995");
        assert_eq!(decimal_text(d("-0.050"), 0), "-0.05");
        assert_eq!(decimal_text(d("0.000"), 0), "0");
        assert_eq!(decimal_text(d("-0"), 2), "0.00");
        let mut z = d("-0.0").normalize();
        z.rescale(2);
        assert_eq!(z.to_string(), "0.00", "Display drops the sign of zero too");
        assert_eq!(decimal_text(d("1200"), 0), "1200");
    }

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
        assert_eq!(m.minor_units(2), Some(1001));
        assert_eq!(Money::parse("0", "TRY").unwrap().minor_units(2), Some(0));
    }

    #[test]
    fn minor_units_follow_the_precision_and_come_back() {
        let yen = Money::parse("1500", "JPY").unwrap();
        assert_eq!(yen.minor_units(0), Some(1500));
        assert_eq!(yen.minor_units(2), Some(150_000));
        let dinar = Money::parse("12.345", "KWD").unwrap();
        assert_eq!(dinar.minor_units(3), Some(12_345));
        assert_eq!(
            Money::from_minor_units(12_345, 3, "KWD").amount,
            dinar.amount
        );
        assert_eq!(Money::from_minor_units(1500, 0, "JPY").amount, yen.amount);
        assert_eq!(Money::new(Decimal::MAX, "USD").minor_units(2), None);
        assert_eq!(yen.minor_units(40), None, "10^40 does not fit");
    }
}
