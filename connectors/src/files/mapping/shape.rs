//! The shape of a column's values: what kind of text a sample of them is (prices, SKUs,
//! barcodes, URLs, emails, dates, ...), so a column whose name says nothing is still mapped,
//! and one whose name misleads is caught.

/// What a field's values look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Text,
    Name,
    Html,
    List,
    Path,
    Email,
    Url,
    ImageUrl,
    Price,
    Decimal,
    Integer,
    Barcode,
    Sku,
    Slug,
    Boolean,
    Date,
    Phone,
    Zip,
    Country,
    Currency,
    Status,
    Kind,
    Reference,
    /// An identifier people type: one token holding a digit (`1001`, `#1001`, `P123`).
    Code,
}

impl Shape {
    /// How the shape is named in reasons.
    pub fn label(self) -> &'static str {
        match self {
            Shape::Text => "text",
            Shape::Name => "names",
            Shape::Html => "HTML",
            Shape::List => "lists",
            Shape::Path => "category paths",
            Shape::Email => "email addresses",
            Shape::Url => "URLs",
            Shape::ImageUrl => "image URLs",
            Shape::Price => "prices",
            Shape::Decimal => "numbers",
            Shape::Integer => "whole numbers",
            Shape::Barcode => "barcodes (8, 12, 13 or 14 digits)",
            Shape::Sku => "codes",
            Shape::Slug => "URL handles",
            Shape::Boolean => "yes/no values",
            Shape::Date => "dates",
            Shape::Phone => "phone numbers",
            Shape::Zip => "postal codes",
            Shape::Country => "country codes",
            Shape::Currency => "currency codes",
            Shape::Status => "statuses",
            Shape::Kind => "product row types",
            Shape::Reference => "references",
            Shape::Code => "codes (one word with a digit)",
        }
    }

    /// Whether one (trimmed, non-empty) value has this shape.
    pub fn fits(self, v: &str) -> bool {
        match self {
            Shape::Text | Shape::Reference => true,
            Shape::Name => is_name(v),
            Shape::Html => is_html(v),
            Shape::List => v.contains(',') || v.contains('|') || v.contains(';'),
            Shape::Path => v.contains('>') || (v.contains('/') && !is_url(v)),
            Shape::Email => is_email(v),
            Shape::Url => is_url(v),
            Shape::ImageUrl => is_image(v),
            Shape::Price => is_price(v),
            Shape::Decimal => number(v).is_some(),
            Shape::Integer => is_integer(v),
            Shape::Barcode => is_barcode(v),
            Shape::Sku => is_sku(v),
            Shape::Slug => is_slug(v),
            Shape::Boolean => is_boolean(v),
            Shape::Date => is_date(v),
            Shape::Phone => is_phone(v),
            Shape::Zip => is_zip(v),
            Shape::Country => is_country(v),
            Shape::Currency => v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()),
            Shape::Status => is_status(v),
            Shape::Kind => is_kind(v),
            Shape::Code => is_code(v),
        }
    }

    /// Shapes specific enough that values alone suggest a field.
    pub const TELLING: [Shape; 9] = [
        Shape::Email,
        Shape::ImageUrl,
        Shape::Barcode,
        Shape::Html,
        Shape::Date,
        Shape::Kind,
        Shape::Status,
        Shape::Currency,
        Shape::Path,
    ];
}

/// What a sample of a column's values looks like.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Non-empty values looked at (at most [`SAMPLE`]).
    pub values: Vec<String>,
    /// Rows looked at, empty ones included.
    pub rows: usize,
    /// Distinct values among `values`.
    pub distinct: usize,
}

/// Values sampled per column.
pub const SAMPLE: usize = 200;

impl Observed {
    pub fn new(values: Vec<String>, rows: usize) -> Observed {
        let mut sorted: Vec<&String> = values.iter().collect();
        sorted.sort();
        sorted.dedup();
        let distinct = sorted.len();
        Observed {
            values,
            rows,
            distinct,
        }
    }

    /// The share of non-empty values with `shape` (0 when the column is empty).
    pub fn fit(&self, shape: Shape) -> f32 {
        if self.values.is_empty() {
            return 0.0;
        }
        let n = self.values.iter().filter(|v| shape.fits(v)).count();
        n as f32 / self.values.len() as f32
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The share of rows with a value.
    pub fn filled(&self) -> f32 {
        if self.rows == 0 {
            0.0
        } else {
            self.values.len() as f32 / self.rows.min(SAMPLE.max(self.values.len())) as f32
        }
    }

    /// Whether every value is different (identifiers, SKUs, emails).
    pub fn unique(&self) -> bool {
        !self.values.is_empty() && self.distinct == self.values.len()
    }

    /// Up to `n` values for people to look at, shortened.
    pub fn samples(&self, n: usize) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for v in &self.values {
            if out.len() == n {
                break;
            }
            let short: String = if v.chars().count() > 40 {
                let mut s: String = v.chars().take(37).collect();
                s.push('…');
                s
            } else {
                v.clone()
            };
            if !out.contains(&short) {
                out.push(short);
            }
        }
        out
    }
}

fn is_email(v: &str) -> bool {
    let Some((user, host)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !v.contains(char::is_whitespace)
        && !host.contains('@')
}

fn is_url(v: &str) -> bool {
    let l = v.trim_start().to_ascii_lowercase();
    (l.starts_with("http://") || l.starts_with("https://") || l.starts_with("//"))
        && !l.contains(char::is_whitespace)
}

const IMAGE_EXT: [&str; 8] = [
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp",
];

fn is_image(v: &str) -> bool {
    // A list of images ("a.jpg, b.jpg" or "a.jpg|b.jpg") is judged by its first.
    let first = v
        .split([',', '|', ';'])
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let path = first
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    (is_url(first) || first.starts_with('/')) && IMAGE_EXT.iter().any(|e| path.ends_with(e))
}

/// A number as shops write it: `19.99`, `19,99`, `1.299,00`, `$19.99`, `19.99 TL`, `-5`.
pub fn number(v: &str) -> Option<rust_decimal::Decimal> {
    let t = v.trim().trim_start_matches('\'').trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '$' | '€' | '£' | '₺' | '¥' | '₽' | '₹' | '₴')
    });
    let t = t
        .strip_suffix("TL")
        .or_else(|| t.strip_suffix("TRY"))
        .or_else(|| t.strip_suffix("USD"))
        .or_else(|| t.strip_suffix("EUR"))
        .or_else(|| t.strip_suffix("zł"))
        .or_else(|| t.strip_suffix("руб."))
        .unwrap_or(t)
        .trim();
    if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::model::parse_decimal_any(t)
}

fn is_price(v: &str) -> bool {
    match number(v) {
        Some(d) => !d.is_sign_negative() && d.scale() <= 4 && !is_barcode(v.trim()),
        None => false,
    }
}

fn is_integer(v: &str) -> bool {
    let t = v.trim().trim_start_matches('\'');
    let t = t.strip_prefix('-').unwrap_or(t);
    // Magento writes stock as "0.0000".
    let t = match t.split_once('.') {
        Some((whole, zeros)) if zeros.bytes().all(|b| b == b'0') => whole,
        _ => t,
    };
    !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit())
}

/// Order numbers and ids: a product's name ("WordPress Pennant", "T-Shirt") is not one.
fn is_code(v: &str) -> bool {
    let t = v.trim().trim_start_matches('\'');
    !t.is_empty()
        && t.chars().count() <= 32
        && !t.contains(char::is_whitespace)
        && t.bytes().any(|b| b.is_ascii_digit())
}

fn is_barcode(v: &str) -> bool {
    let t = v.trim().trim_start_matches('\'');
    matches!(t.len(), 8 | 12 | 13 | 14) && t.bytes().all(|b| b.is_ascii_digit())
}

fn is_sku(v: &str) -> bool {
    let n = v.chars().count();
    // Merchants number their own sheets (`1`, `2`) and write lower-case codes (`wp-pennant`):
    // one word with a digit, a capital or a joiner; a plain word ("black") is not a SKU.
    (1..=48).contains(&n)
        && !v.contains(' ')
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '#'))
        && v.chars()
            .any(|c| c.is_ascii_digit() || c.is_uppercase() || matches!(c, '-' | '_'))
}

fn is_slug(v: &str) -> bool {
    !v.is_empty()
        && !v.contains(char::is_whitespace)
        && v.contains('-')
        && v.chars()
            .all(|c| !c.is_uppercase() && (c.is_alphanumeric() || c == '-' || c == '%'))
}

const TRUE_FALSE: [&str; 36] = [
    "yes",
    "no",
    "true",
    "false",
    "1",
    "0",
    "y",
    "n",
    "evet",
    "hayir",
    "hayır",
    "ja",
    "nein",
    "oui",
    "non",
    "si",
    "sí",
    "sim",
    "não",
    "nao",
    "tak",
    "nie",
    "да",
    "нет",
    "on",
    "off",
    "enabled",
    "disabled",
    "-1",
    "wahr",
    "falsch",
    "vrai",
    "faux",
    "verdadero",
    "falso",
    "x",
];

fn is_boolean(v: &str) -> bool {
    let l = v.trim().to_lowercase();
    TRUE_FALSE.contains(&l.as_str())
}

fn is_date(v: &str) -> bool {
    let t = v.trim();
    let b = t.as_bytes();
    if b.len() < 6 {
        return false;
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    // 2024-01-31, 2024-01-31T10:00:00Z, 2024/01/31 10:00
    if b.len() >= 10 && digits(&b[0..4]) && matches!(b[4], b'-' | b'/' | b'.') {
        return digits(&b[5..7]) && b[7] == b[4] && digits(&b[8..10]);
    }
    // 31.01.2024, 01/31/2024, 31-01-2024, 1/2/24
    let parts: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == 'T')
        .next()
        .unwrap_or("")
        .split(['.', '/', '-'])
        .collect();
    parts.len() == 3
        && parts.iter().all(|p| digits(p.as_bytes()))
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && matches!(parts[2].len(), 2 | 4)
}

fn is_phone(v: &str) -> bool {
    let t = v.trim().trim_start_matches('\'');
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.' | '/'))
        && (t.starts_with('+') || t.starts_with('0') || t.contains([' ', '-', '(']))
}

fn is_zip(v: &str) -> bool {
    let t = v.trim();
    let n = t.chars().count();
    (3..=10).contains(&n)
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        && t.bytes().filter(u8::is_ascii_digit).count() * 2 >= n
}

fn is_country(v: &str) -> bool {
    let t = v.trim();
    matches!(t.len(), 2 | 3) && t.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_status(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "active"
            | "draft"
            | "archived"
            | "publish"
            | "published"
            | "private"
            | "pending"
            | "trash"
            | "enabled"
            | "disabled"
    )
}

fn is_kind(v: &str) -> bool {
    v.split(',').all(|t| {
        matches!(
            t.trim().to_ascii_lowercase().as_str(),
            "simple"
                | "variable"
                | "variation"
                | "grouped"
                | "external"
                | "virtual"
                | "downloadable"
                | "configurable"
                | "bundle"
        )
    })
}

fn is_html(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "<p", "<br", "<div", "<span", "<ul", "<li", "<strong", "<b>", "<h1", "<h2", "<h3", "<em",
        "<a ", "<img", "<table",
    ]
    .iter()
    .any(|t| l.contains(t))
}

fn is_name(v: &str) -> bool {
    let words = v.split_whitespace().count();
    (1..=4).contains(&words)
        && v.chars().count() <= 40
        && v.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_shapes_they_look_like() {
        assert!(Shape::Email.fits("ana@example.com"));
        assert!(!Shape::Email.fits("ana at example"));
        assert!(Shape::ImageUrl.fits("https://cdn.example/a/b.JPG?v=2"));
        assert!(Shape::ImageUrl.fits("https://x/a.png, https://x/b.png"));
        assert!(!Shape::ImageUrl.fits("https://x/page"));
        assert!(Shape::Price.fits("19.99"));
        assert!(Shape::Price.fits("1.299,00 TL"));
        assert!(Shape::Price.fits("$5"));
        assert!(
            !Shape::Price.fits("4006381333931"),
            "a barcode is not a price"
        );
        assert!(Shape::Barcode.fits("4006381333931"));
        assert!(Shape::Sku.fits("TSH-RED-XL"));
        assert!(!Shape::Sku.fits("a red shirt"));
        assert!(Shape::Sku.fits("wp-pennant"), "a lower-case code");
        assert!(Shape::Sku.fits("7"), "a hand-numbered sheet");
        assert!(!Shape::Sku.fits("black"), "a plain word");
        assert!(Shape::Code.fits("#1001"));
        assert!(Shape::Code.fits("P123"));
        assert!(
            !Shape::Code.fits("T-Shirt"),
            "a name is not an order number"
        );
        assert!(!Shape::Code.fits("WordPress Pennant 2"));
        assert!(Shape::Date.fits("2024-01-31 10:00:00"));
        assert!(Shape::Date.fits("31.01.2024"));
        assert!(Shape::Date.fits("1/2/24"));
        assert!(!Shape::Date.fits("12345678"));
        assert!(Shape::Phone.fits("+90 532 123 45 67"));
        assert!(Shape::Phone.fits("'+1 (555) 010-0199"));
        assert!(Shape::Boolean.fits("Evet"));
        assert!(Shape::Kind.fits("simple, virtual"));
        assert!(Shape::Status.fits("publish"));
        assert!(Shape::Html.fits("<p>Soft <b>wool</b></p>"));
        assert!(Shape::Path.fits("Clothing > Tshirts"));
        assert!(Shape::Country.fits("TR"));
        assert!(Shape::Currency.fits("EUR"));
        assert!(Shape::Slug.fits("kadin-orgu-kazak"));
    }

    #[test]
    fn fit_is_the_share_of_values() {
        let o = Observed::new(
            vec!["a@b.co".into(), "c@d.co".into(), "x".into(), "y".into()],
            5,
        );
        assert_eq!(o.fit(Shape::Email), 0.5);
        assert!(!o.is_empty());
        assert!(o.unique());
        assert_eq!(Observed::default().fit(Shape::Email), 0.0);
    }
}
