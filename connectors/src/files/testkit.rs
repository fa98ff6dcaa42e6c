//! Test support for the file formats: generated catalogs, writing records through a platform's
//! writers and reading a file back through its readers.

use crate::connector::Cursor;
use crate::files::{open_source, open_target};
use crate::finding::Finding;
use crate::model::*;
use crate::platform;
use crate::spec::EndpointSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

const WORDS: &[&str] = &[
    "Kadın", "Örgü", "Kazak", "Şık", "Gömlek", "Blue", "Cotton", "Linen", "Çanta", "Wool",
    "Jacket", "Ğüzel", "Summer", "Classic", "İnce", "Leather",
];
const COLORS: &[&str] = &["Black", "White", "Kırmızı", "Navy", "Yeşil"];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const CATS: &[&[&str]] = &[
    &["Giyim", "Kazak"],
    &["Men", "Tops"],
    &["Sale"],
    &["Çanta", "Deri", "Küçük"],
];

/// A valid EAN-13 from 12 digits.
pub fn ean13(body: u64) -> String {
    let digits: Vec<u32> = format!("{:012}", body % 1_000_000_000_000)
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| d * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!(
        "{}{check}",
        digits.iter().map(|d| d.to_string()).collect::<String>()
    )
}

/// A catalog every one of the five product formats can hold: at most 3 options, no separator
/// characters inside values, SKUs and EAN-13 barcodes on every variant.
pub fn catalog(seed: u64, products: usize) -> Vec<Product> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for i in 0..products {
        let words: Vec<&str> = (0..rng.random_range(2..4))
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect();
        let title = format!("{} {i}", words.join(" "));
        let handle = platform::normalize_handle(Platform::Shopify, &title);
        let money = |rng: &mut ChaCha8Rng| {
            Money::new(Decimal::new(rng.random_range(100..100_000), 2), "USD")
        };
        let nopts = rng.random_range(0..3usize);
        let mut options = Vec::new();
        if nopts >= 1 {
            options.push(ProductOption {
                name: "Size".into(),
                values: SIZES[..rng.random_range(1..4)]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            });
        }
        if nopts >= 2 {
            options.push(ProductOption {
                name: "Renk".into(),
                values: COLORS[..rng.random_range(1..3)]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            });
        }
        let mut combos: Vec<Vec<String>> = vec![vec![]];
        for o in &options {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    o.values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        let images: Vec<Image> = (0..rng.random_range(0..4u32))
            .map(|k| Image {
                src: format!("https://img.example.test/p{i}/{k}.jpg"),
                alt: None,
                position: k + 1,
            })
            .collect();
        let variants = combos
            .into_iter()
            .enumerate()
            .map(|(k, values)| {
                let price = money(&mut rng);
                let sale = rng.random_bool(0.3);
                Variant {
                    sku: Some(format!("SKU-{i}-{k}")),
                    barcode: Some(ean13(
                        seed.wrapping_mul(31).wrapping_add((i * 100 + k) as u64),
                    )),
                    price: Some(if sale {
                        Money::new(price.amount / Decimal::from(2), "USD").clone()
                    } else {
                        price.clone()
                    }),
                    compare_at_price: sale.then(|| price.clone()),
                    inventory: Some(rng.random_range(0..50)),
                    option_values: values,
                    requires_shipping: true,
                    taxable: true,
                    ..Variant::default()
                }
            })
            .collect();
        let categories: Vec<Vec<String>> = (0..rng.random_range(0..3usize))
            .map(|k| {
                CATS[(i + k) % CATS.len()]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            })
            .collect::<Vec<_>>();
        let mut cats: Vec<Vec<String>> = Vec::new();
        for c in categories {
            if !cats.contains(&c) {
                cats.push(c);
            }
        }
        out.push(Product {
            source: SourceRef::new(format!("P{i}")),
            handle,
            title,
            body_html: format!("<p>{} description {i}</p>", words.join(" ")),
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            categories: cats,
            options,
            variants,
            images,
            seo: Seo {
                title: Some(format!("SEO {i}")),
                description: Some(format!("Buy {} now", words.join(" "))),
            },
            ..Product::default()
        });
    }
    out
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Writes records through `platform`'s file target into `dir`; returns the refused ones' messages.
pub fn write(platform: Platform, dir: &Path, entity: Entity, records: &[Record]) -> Vec<String> {
    rt().block_on(async {
        let spec = EndpointSpec::files(platform, dir.to_path_buf());
        let mut t = open_target(&spec, Path::new("."), dir).unwrap();
        t.resume(entity, None).await.unwrap();
        let outcomes = t.write_batch(entity, records).await.unwrap();
        t.finish(entity).await.unwrap();
        outcomes
            .into_iter()
            .filter_map(|o| match o {
                crate::connector::WriteOutcome::Failed { message } => Some(message),
                _ => None,
            })
            .collect()
    })
}

/// Reads one file of `platform` (page size `limit`) into records and findings.
pub fn read(
    platform: Platform,
    file: &Path,
    entity: Entity,
    limit: usize,
) -> crate::connector::Result<(Vec<Record>, Vec<Finding>)> {
    rt().block_on(async {
        let mut spec = EndpointSpec::files(platform, PathBuf::new());
        spec.path = None;
        spec.files.insert(entity, file.to_path_buf());
        let mut s = open_source(&spec, Path::new("."))?;
        let mut recs = Vec::new();
        let mut finds = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = s.read_page(entity, cursor.as_ref(), limit).await?;
            recs.extend(page.records);
            finds.extend(page.findings);
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        Ok((recs, finds))
    })
}

pub fn products(records: &[Record]) -> Vec<&Product> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Product(p) = r {
                Some(p)
            } else {
                None
            }
        })
        .collect()
}

/// Asserts a finding with `code` at `line` (and column when given) exists.
pub fn has_finding(findings: &[Finding], code: &str, line: u64, column: Option<&str>) -> bool {
    findings.iter().any(|f| {
        f.code == code
            && f.location.as_ref().is_some_and(|l| {
                l.line == line && (column.is_none() || l.column.as_deref() == column)
            })
    })
}
