//! A deterministic generator of a realistic WooCommerce store: the bundled demo store and the
//! benchmark catalogs.
//!
//! Every record is a pure function of (seed, entity, index): each gets its own ChaCha8 stream,
//! so an order can look up the product or customer it refers to by regenerating it, and nothing
//! is ever held in memory beyond the record being written. The same spec always gives the same
//! bytes (the demo assets are checked against the generator by a test).
//!
//! With `planted_problems`, a fixed set of known problems is put at fixed ids (see
//! [`planted_problems`]) so tests can check that the analysis finds each one.

use crate::files::woocommerce::customers::CustomerWriter;
use crate::files::woocommerce::orders::OrderWriter;
use crate::files::woocommerce::pages::PageWriter;
use crate::files::woocommerce::products::{ProductWriter, ATTR};
use crate::files::EntityWriter;
use crate::model::{
    Address, Customer, Discount, Entity, FinancialStatus, FulfillmentStatus, Image, LineItem,
    MarketingConsent, Money, Order, OrderTotals, Page, Platform, Product, ProductKind,
    ProductOption, ProductStatus, Record, Seo, ShippingLine, SourceRef, TaxLine, Timestamp,
    Transaction, Variant, Weight, WeightUnit, Zone,
};
use crate::platform;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSpec {
    pub products: usize,
    pub customers: usize,
    pub orders: usize,
    pub pages: usize,
    pub seed: u64,
    pub planted_problems: bool,
    /// Variations per variable product, inclusive range (at most 54).
    pub variants_per_variable: (usize, usize),
    /// Share of products that are variable, in percent.
    pub variable_percent: u32,
}

impl SynthSpec {
    /// The bundled demo store (assets/demo/woocommerce).
    pub fn demo() -> SynthSpec {
        SynthSpec {
            products: 320,
            customers: 1000,
            orders: 2000,
            pages: 5,
            seed: 20_240_611,
            planted_problems: true,
            variants_per_variable: (2, 9),
            variable_percent: 40,
        }
    }

    /// A catalog of about `variant_rows` variation rows (all products variable, ten variations
    /// each), with a small customer and order file, for the benchmarks.
    pub fn bench(variant_rows: usize) -> SynthSpec {
        SynthSpec {
            products: variant_rows.div_ceil(10).max(1),
            customers: (variant_rows / 100).max(10),
            orders: (variant_rows / 100).max(10),
            pages: 5,
            seed: 7,
            planted_problems: false,
            variants_per_variable: (10, 10),
            variable_percent: 100,
        }
    }
}

/// A problem the generator put into the demo store on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedProblem {
    /// Finding code the analysis is expected to report.
    pub code: &'static str,
    pub entity: Entity,
    /// Source id of the record (for pairs, each record of the pair is listed).
    pub source_id: String,
    pub description: String,
}

/// Barcodes start with a GS1 company prefix (869 is Türkiye's).
const GS1_PREFIX: u64 = 869_100_000_000;
const HOST: &str = "https://demo-store.example";
const CURRENCY: &str = "USD";
const PLANTED_PRODUCTS: usize = 10;
const MISSING_CUSTOMER_ID: &str = "999999";

fn product_id(i: usize) -> u64 {
    1000 + i as u64 * 64
}

fn customer_id(i: usize) -> u64 {
    2 + i as u64
}

fn order_id(i: usize) -> u64 {
    50_000 + i as u64
}

fn dup_sku_1() -> String {
    "NH-KNT-00001".to_string()
}

fn dup_sku_2() -> String {
    "LM-MUG-00003".to_string()
}

const LONG_SLUG: &str = "limited-edition-hand-knitted-oversized-chunky-merino-wool-cardigan-with-\
     mother-of-pearl-buttons-deep-patch-pockets-ribbed-cuffs-and-a-relaxed-drop-shoulder-fit-made-\
     in-small-batches-by-independent-artisans-in-the-scottish-highlands-from-responsibly-sourced-\
     undyed-natural-fibres";

/// The problems [`SynthSpec::demo`] plants (any spec with `planted_problems` plants the same
/// ones at the same ids).
pub fn planted_problems() -> Vec<PlantedProblem> {
    let p = |code, i: usize, description: &str| PlantedProblem {
        code,
        entity: Entity::Products,
        source_id: product_id(i).to_string(),
        description: description.to_string(),
    };
    vec![
        p(
            "duplicate_sku",
            0,
            &format!("shares SKU {} with product {}", dup_sku_1(), product_id(1)),
        ),
        p(
            "duplicate_sku",
            1,
            &format!("shares SKU {} with product {}", dup_sku_1(), product_id(0)),
        ),
        p(
            "duplicate_sku",
            2,
            &format!(
                "a variation shares SKU {} with product {}",
                dup_sku_2(),
                product_id(3)
            ),
        ),
        p(
            "duplicate_sku",
            3,
            &format!(
                "shares SKU {} with a variation of product {}",
                dup_sku_2(),
                product_id(2)
            ),
        ),
        p(
            "missing_price",
            4,
            "simple product without a regular or sale price",
        ),
        p(
            "too_many_options",
            5,
            "variable product with 4 option dimensions (Shopify allows 3)",
        ),
        p(
            "handle_too_long",
            6,
            &format!(
                "slug is {} characters (Shopify allows 255)",
                LONG_SLUG.len()
            ),
        ),
        p("non_ascii_handle", 7, "Turkish slug kadın-örgü-kazak"),
        p(
            "non_ascii_handle",
            8,
            "German slug herren-winterjacke-größe-xl",
        ),
        p("non_ascii_handle", 9, "Turkish slug çocuk-ayakkabısı"),
        PlantedProblem {
            code: "duplicate_email",
            entity: Entity::Customers,
            source_id: customer_id(1).to_string(),
            description: format!("same email as customer {}", customer_id(0)),
        },
        PlantedProblem {
            code: "missing_customer",
            entity: Entity::Orders,
            source_id: order_id(0).to_string(),
            description: format!("refers to customer {MISSING_CUSTOMER_ID}, who does not exist"),
        },
    ]
}

// --- vocabulary -----------------------------------------------------------------------------

struct Leaf {
    path: [&'static str; 3],
    code: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    apparel: bool,
    price: (u32, u32),
}

const LEAVES: &[Leaf] = &[
    Leaf {
        path: ["Clothing", "Women", "Knitwear"],
        code: "KNT",
        nouns: &["Cardigan", "Jumper", "Turtleneck", "Knit Vest"],
        materials: FABRIC,
        apparel: true,
        price: (39, 149),
    },
    Leaf {
        path: ["Clothing", "Women", "Dresses"],
        code: "DRS",
        nouns: &["Wrap Dress", "Midi Dress", "Shirt Dress", "Slip Dress"],
        materials: FABRIC,
        apparel: true,
        price: (45, 189),
    },
    Leaf {
        path: ["Clothing", "Women", "Tops"],
        code: "TOP",
        nouns: &["Blouse", "Tank Top", "Tee", "Bodysuit"],
        materials: FABRIC,
        apparel: true,
        price: (19, 79),
    },
    Leaf {
        path: ["Clothing", "Men", "Jackets"],
        code: "JKT",
        nouns: &["Field Jacket", "Parka", "Bomber", "Overshirt"],
        materials: FABRIC,
        apparel: true,
        price: (89, 299),
    },
    Leaf {
        path: ["Clothing", "Men", "Shirts"],
        code: "SHT",
        nouns: &["Oxford Shirt", "Flannel Shirt", "Linen Shirt", "Polo"],
        materials: FABRIC,
        apparel: true,
        price: (29, 99),
    },
    Leaf {
        path: ["Clothing", "Men", "Trousers"],
        code: "TRS",
        nouns: &["Chinos", "Cargo Trousers", "Jeans", "Joggers"],
        materials: FABRIC,
        apparel: true,
        price: (39, 129),
    },
    Leaf {
        path: ["Clothing", "Kids", "Outerwear"],
        code: "KID",
        nouns: &["Rain Jacket", "Puffer", "Fleece"],
        materials: FABRIC,
        apparel: true,
        price: (25, 89),
    },
    Leaf {
        path: ["Home", "Kitchen", "Cookware"],
        code: "CKW",
        nouns: &["Skillet", "Dutch Oven", "Saucepan", "Wok"],
        materials: KITCHEN,
        apparel: false,
        price: (24, 219),
    },
    Leaf {
        path: ["Home", "Kitchen", "Tableware"],
        code: "MUG",
        nouns: &["Mug", "Dinner Plate", "Serving Bowl", "Carafe"],
        materials: KITCHEN,
        apparel: false,
        price: (9, 59),
    },
    Leaf {
        path: ["Home", "Living Room", "Cushions"],
        code: "CSH",
        nouns: &["Cushion Cover", "Throw", "Floor Cushion"],
        materials: HOMEWARE,
        apparel: false,
        price: (19, 89),
    },
    Leaf {
        path: ["Home", "Living Room", "Lighting"],
        code: "LMP",
        nouns: &["Table Lamp", "Pendant Light", "Floor Lamp"],
        materials: HOMEWARE,
        apparel: false,
        price: (39, 249),
    },
    Leaf {
        path: ["Home", "Bath", "Towels"],
        code: "TWL",
        nouns: &["Bath Towel", "Hand Towel", "Bath Mat"],
        materials: HOMEWARE,
        apparel: false,
        price: (12, 69),
    },
    Leaf {
        path: ["Accessories", "Bags", "Backpacks"],
        code: "BPK",
        nouns: &["Backpack", "Rolltop Pack", "Daypack"],
        materials: BAGS,
        apparel: false,
        price: (49, 179),
    },
    Leaf {
        path: ["Accessories", "Bags", "Totes"],
        code: "TOT",
        nouns: &["Tote", "Shopper", "Market Bag"],
        materials: BAGS,
        apparel: false,
        price: (19, 99),
    },
    Leaf {
        path: ["Accessories", "Jewellery", "Necklaces"],
        code: "NCK",
        nouns: &["Pendant Necklace", "Chain", "Locket"],
        materials: JEWEL,
        apparel: false,
        price: (29, 199),
    },
    Leaf {
        path: ["Beauty", "Skincare", "Serums"],
        code: "SRM",
        nouns: &["Face Serum", "Night Oil", "Eye Serum"],
        materials: BEAUTY,
        apparel: false,
        price: (18, 89),
    },
];

const BRANDS: &[&str] = &[
    "Nordhaven",
    "Loom & Ember",
    "Atelier Kuzey",
    "Brightwater",
    "Fjell",
    "Maison Olive",
    "Ironbark",
    "Sable Row",
];
const ADJECTIVES: &[&str] = &[
    "Soft",
    "Classic",
    "Everyday",
    "Relaxed",
    "Heritage",
    "Lightweight",
    "Organic",
    "Recycled",
    "Essential",
    "Vintage",
];
const FABRIC: &[&str] = &[
    "Merino", "Cotton", "Linen", "Cashmere", "Wool", "Denim", "Corduroy",
];
const KITCHEN: &[&str] = &["Stoneware", "Cast Iron", "Enamel", "Porcelain", "Glass"];
const HOMEWARE: &[&str] = &[
    "Linen", "Cotton", "Wool", "Velvet", "Oak", "Brass", "Rattan",
];
const BAGS: &[&str] = &["Canvas", "Leather", "Recycled Nylon", "Waxed Cotton"];
const JEWEL: &[&str] = &["Sterling Silver", "Gold Vermeil", "Brass", "Pearl"];
const BEAUTY: &[&str] = &["Rosehip", "Vitamin C", "Hyaluronic", "Bakuchiol"];
const TR_NAMES: &[&str] = &[
    "Yumuşak Yün Hırka",
    "Örme Balıkçı Yaka Kazak",
    "Keten Gömlek",
    "Şık Deri Çanta",
    "Pamuklu Havlu Seti",
    "Döküm Tava",
    "Çiçekli Elbise",
    "Kışlık Şişme Mont",
];
const DE_NAMES: &[&str] = &[
    "Gemütliche Strickjacke",
    "Größenverstellbarer Rucksack",
    "Süße Kinderjacke",
    "Wärmende Decke",
];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
const COLORS: &[&str] = &[
    "Black", "White", "Navy", "Olive", "Rust", "Sand", "Grey", "Burgundy", "Sky Blue",
];
const TAGS: &[&str] = &[
    "new",
    "bestseller",
    "gift idea",
    "sustainable",
    "limited",
    "sale",
    "winter",
    "summer",
];
const PHRASES: &[&str] = &[
    "Made to be worn and loved for years",
    "Cut from carefully sourced materials",
    "Designed in our studio and finished by hand",
    "A quiet classic that goes with everything",
    "Built for daily use and easy care",
    "Finished with small details that make a difference",
];
const FEATURES: &[&str] = &[
    "Machine washable at 30°C",
    "Responsibly sourced",
    "Gift-ready packaging",
    "Free returns within 30 days",
    "Made in Portugal",
    "Made in Türkiye",
    "Lifetime repair service",
];

const FIRST: &[&str] = &[
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Zeynep",
    "Mehmet",
    "Elif",
    "Ahmet",
    "Ayşe",
    "Can",
    "Jürgen",
    "Lena",
    "Sophie",
    "Maximilian",
    "Chloé",
    "Hélène",
    "Søren",
    "Ingrid",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik",
    "Öztürk", "Müller", "Schmidt", "Schäfer", "Dubois", "Lefèvre", "Andersen", "Nilsen",
];

struct Place {
    city: &'static str,
    state: Option<&'static str>,
    country: &'static str,
    zip: &'static str,
    phone: &'static str,
    streets: &'static [&'static str],
}

const PLACES: &[Place] = &[
    Place {
        city: "New York",
        state: Some("NY"),
        country: "US",
        zip: "10001",
        phone: "+1 212 555",
        streets: &["W 34th St", "Broadway", "Madison Ave"],
    },
    Place {
        city: "Austin",
        state: Some("TX"),
        country: "US",
        zip: "73301",
        phone: "+1 512 555",
        streets: &["Congress Ave", "S Lamar Blvd"],
    },
    Place {
        city: "Portland",
        state: Some("OR"),
        country: "US",
        zip: "97205",
        phone: "+1 503 555",
        streets: &["SW Alder St", "NW 23rd Ave"],
    },
    Place {
        city: "İstanbul",
        state: Some("TR34"),
        country: "TR",
        zip: "34000",
        phone: "+90 212 555",
        streets: &["İstiklal Caddesi", "Bağdat Caddesi", "Şair Nedim Sokak"],
    },
    Place {
        city: "İzmir",
        state: Some("TR35"),
        country: "TR",
        zip: "35210",
        phone: "+90 232 555",
        streets: &["Kıbrıs Şehitleri Caddesi", "Alsancak Sokak"],
    },
    Place {
        city: "Berlin",
        state: Some("BE"),
        country: "DE",
        zip: "10115",
        phone: "+49 30 555",
        streets: &["Torstraße", "Schönhauser Allee"],
    },
    Place {
        city: "München",
        state: Some("BY"),
        country: "DE",
        zip: "80331",
        phone: "+49 89 555",
        streets: &["Maximilianstraße", "Leopoldstraße"],
    },
    Place {
        city: "London",
        state: None,
        country: "GB",
        zip: "EC1A 1BB",
        phone: "+44 20 7946",
        streets: &["Old Street", "Brick Lane"],
    },
];

// --- helpers --------------------------------------------------------------------------------

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn chance(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    rng.random_range(0..100) < percent
}

/// A price like 49.90, 129.00 or 19.99.
fn price(rng: &mut ChaCha8Rng, (lo, hi): (u32, u32)) -> Decimal {
    let whole = rng.random_range(lo..=hi) as i64;
    let cents = *pick(rng, &[0i64, 50, 90, 95, 99]);
    Decimal::new(whole * 100 + cents, 2)
}

fn money(d: Decimal) -> Money {
    Money::new(d, CURRENCY)
}

/// A valid EAN-13 from a 12-digit body.
fn ean13(body: u64) -> String {
    let digits = format!("{:012}", body % 1_000_000_000_000);
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// WordPress makes slugs from titles with remove_accents(): ASCII, lower case, dashes.
fn wp_slug(title: &str) -> String {
    platform::normalize_handle(Platform::Shopify, title)
}

fn date(rng: &mut ChaCha8Rng, from_year: i32, years: u32) -> Timestamp {
    let day = rng.random_range(0..365 * years);
    let base = chrono::NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or_default();
    let d = base + chrono::Duration::days(i64::from(day));
    // Drawn as the i32s they always were, so the demo store stays byte for byte the same.
    let (h, m, s) = (
        rng.random_range(7i32..23),
        rng.random_range(0i32..60),
        rng.random_range(0i32..60),
    );
    let time =
        chrono::NaiveTime::from_hms_opt(h.unsigned_abs(), m.unsigned_abs(), s.unsigned_abs())
            .unwrap_or_default();
    // The demo store keeps its clock on UTC.
    Timestamp::from_local(d.and_time(time), Zone::UTC)
}

/// Generates the records of one spec; every record is regenerated on demand from its index.
pub struct SynthStore {
    spec: SynthSpec,
}

impl SynthStore {
    pub fn new(spec: SynthSpec) -> SynthStore {
        SynthStore { spec }
    }

    pub fn spec(&self) -> &SynthSpec {
        &self.spec
    }

    fn rng(&self, entity: u64, i: usize) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.spec.seed);
        rng.set_stream((entity << 48) | i as u64);
        rng
    }

    fn planted(&self, i: usize) -> bool {
        self.spec.planted_problems && i < PLANTED_PRODUCTS
    }

    /// Product `i` (0-based), with its variations.
    pub fn product(&self, i: usize) -> Product {
        let mut rng = self.rng(1, i);
        let leaf = pick(&mut rng, LEAVES);
        let brand = *pick(&mut rng, BRANDS);
        let noun = *pick(&mut rng, leaf.nouns);
        let id = product_id(i);
        let (title, handle) = match rng.random_range(0..100) {
            0..=7 => {
                let t = *pick(&mut rng, TR_NAMES);
                (t.to_string(), format!("{}-{i}", wp_slug(t)))
            }
            8..=10 => {
                let t = *pick(&mut rng, DE_NAMES);
                (t.to_string(), format!("{}-{i}", wp_slug(t)))
            }
            _ => {
                let t = format!(
                    "{brand} {} {} {noun}",
                    pick(&mut rng, ADJECTIVES),
                    pick(&mut rng, leaf.materials)
                );
                let h = format!("{}-{i}", wp_slug(&t));
                (t, h)
            }
        };
        let base_sku = format!(
            "{}-{}-{:05}",
            &brand[..2].to_ascii_uppercase(),
            leaf.code,
            i
        );
        let mut body = String::with_capacity(400);
        body.push_str("<p>");
        body.push_str(pick::<&str>(&mut rng, PHRASES));
        body.push_str(". ");
        body.push_str(pick::<&str>(&mut rng, PHRASES));
        body.push_str(".</p>\n<ul>");
        for _ in 0..rng.random_range(2..4) {
            body.push_str("<li>");
            body.push_str(pick::<&str>(&mut rng, FEATURES));
            body.push_str("</li>");
        }
        body.push_str("</ul>");
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "woo:short_description".to_string(),
            format!("{}.", pick(&mut rng, PHRASES)),
        );
        if chance(&mut rng, 6) {
            attributes.insert("woo:featured".to_string(), "1".to_string());
        }
        if !leaf.apparel {
            attributes.insert(
                "woo:length".to_string(),
                rng.random_range(5..60).to_string(),
            );
            attributes.insert("woo:width".to_string(), rng.random_range(5..40).to_string());
            attributes.insert(
                "woo:height".to_string(),
                rng.random_range(2..30).to_string(),
            );
            attributes.insert("woo:dimension_unit".to_string(), "cm".to_string());
            attributes.insert(
                format!("{ATTR}Material"),
                pick(&mut rng, leaf.materials).to_string(),
            );
        }
        let month = rng.random_range(1..=12);
        let img = |name: &str| format!("{HOST}/wp-content/uploads/2024/{month:02}/{name}.jpg");
        let mut images: Vec<Image> = (0..rng.random_range(1..4))
            .map(|n| Image {
                src: img(&format!("{}-{}", wp_slug(noun), n + 1)),
                alt: None,
                position: n + 1,
            })
            .collect();
        let tags: Vec<String> = (0..rng.random_range(0..3))
            .map(|_| pick(&mut rng, TAGS).to_string())
            .fold(vec![], |mut v, t| {
                if !v.contains(&t) {
                    v.push(t);
                }
                v
            });
        let seo = if chance(&mut rng, 30) {
            Seo {
                title: Some(format!("{title} | Demo Store")),
                description: Some(format!("Shop the {title} from {brand}.")),
            }
        } else {
            Seo::default()
        };
        let regular = price(&mut rng, leaf.price);
        let on_sale = chance(&mut rng, 20);
        let weight = Weight {
            value: Decimal::new(rng.random_range(100..2500), 3),
            unit: WeightUnit::Kg,
        };
        let variable = chance(&mut rng, self.spec.variable_percent);
        let status = if chance(&mut rng, 5) {
            ProductStatus::Draft
        } else {
            ProductStatus::Active
        };

        let sell = |rng: &mut ChaCha8Rng, regular: Decimal| -> (Option<Money>, Option<Money>) {
            if on_sale {
                let sale = (regular * Decimal::new(80, 2)).round_dp(2);
                (Some(money(sale)), Some(money(regular)))
            } else {
                let _ = rng;
                (Some(money(regular)), None)
            }
        };
        let stock = |rng: &mut ChaCha8Rng| -> (Option<i64>, bool) {
            if chance(rng, 5) {
                (Some(0), chance(rng, 30))
            } else if chance(rng, 10) {
                (None, false)
            } else {
                (Some(rng.random_range(1..150)), false)
            }
        };

        let mut options = vec![];
        let mut variants = vec![];
        let kind;
        if variable {
            kind = ProductKind::Variable;
            let (lo, hi) = self.spec.variants_per_variable;
            // Six sizes times nine colours: the most distinct variations this vocabulary makes.
            let hi = hi.clamp(1, 54);
            let n = rng.random_range(lo.clamp(1, hi)..=hi);
            let combos: Vec<(Option<&str>, &str)> = if leaf.apparel || n > COLORS.len() {
                let s = n
                    .min(rng.random_range(3..=5))
                    .max(n.div_ceil(COLORS.len()))
                    .max(1);
                let start = rng.random_range(0..=SIZES.len() - s.min(SIZES.len()));
                let sizes = &SIZES[start..start + s.min(SIZES.len())];
                let c = n.div_ceil(sizes.len());
                let cstart = rng.random_range(0..COLORS.len());
                let colors: Vec<&str> = (0..c)
                    .map(|k| COLORS[(cstart + k) % COLORS.len()])
                    .collect();
                colors
                    .iter()
                    .flat_map(|c| sizes.iter().map(move |s| (Some(*s), *c)))
                    .take(n)
                    .collect()
            } else {
                let cstart = rng.random_range(0..COLORS.len());
                (0..n.min(COLORS.len()))
                    .map(|k| (None, COLORS[(cstart + k) % COLORS.len()]))
                    .collect()
            };
            let mut colors: Vec<String> = vec![];
            let mut sizes: Vec<String> = vec![];
            for (s, c) in &combos {
                if !colors.iter().any(|x| x == c) {
                    colors.push(c.to_string());
                }
                if let Some(s) = s {
                    if !sizes.iter().any(|x| x == s) {
                        sizes.push(s.to_string());
                    }
                }
            }
            if !sizes.is_empty() {
                options.push(ProductOption {
                    name: "Size".to_string(),
                    values: sizes,
                });
            }
            options.push(ProductOption {
                name: "Color".to_string(),
                values: colors,
            });
            for (k, (s, c)) in combos.iter().enumerate() {
                let premium = match *s {
                    Some("XL") => Decimal::from(2),
                    Some("XXL") => Decimal::from(4),
                    _ => Decimal::ZERO,
                };
                let (p, cmp) = sell(&mut rng, regular + premium);
                let (inventory, allow_backorder) = stock(&mut rng);
                let color_slug = wp_slug(c);
                let image = img(&format!("{}-{color_slug}", wp_slug(noun)));
                if !images.iter().any(|im| im.src == image) {
                    images.push(Image {
                        src: image.clone(),
                        alt: None,
                        position: images.len() as u32 + 1,
                    });
                }
                let mut values = vec![];
                let mut sku = format!("{base_sku}-{}", color_slug.to_ascii_uppercase());
                if let Some(s) = s {
                    values.push(s.to_string());
                    sku = format!("{base_sku}-{s}-{}", color_slug.to_ascii_uppercase());
                }
                values.push(c.to_string());
                variants.push(Variant {
                    source_id: Some((id + 1 + k as u64).to_string()),
                    sku: Some(sku),
                    barcode: chance(&mut rng, 70).then(|| ean13(GS1_PREFIX + id * 100 + k as u64)),
                    price: p,
                    compare_at_price: cmp,
                    cost: None,
                    weight: Some(weight),
                    inventory,
                    allow_backorder,
                    option_values: values,
                    image: Some(image),
                    requires_shipping: true,
                    taxable: true,
                    price_tiers: Default::default(),
                });
            }
            attributes.insert("woo:sku".to_string(), base_sku.clone());
        } else {
            kind = ProductKind::Simple;
            let (p, cmp) = sell(&mut rng, regular);
            let (inventory, allow_backorder) = stock(&mut rng);
            variants.push(Variant {
                source_id: Some(id.to_string()),
                sku: Some(base_sku.clone()),
                barcode: chance(&mut rng, 70).then(|| ean13(GS1_PREFIX + id * 100)),
                price: p,
                compare_at_price: cmp,
                cost: None,
                weight: Some(weight),
                inventory,
                allow_backorder,
                option_values: vec![],
                image: None,
                requires_shipping: true,
                taxable: true,
                price_tiers: Default::default(),
            });
        }

        let mut product = Product {
            source: SourceRef::with_url(id.to_string(), String::new()),
            handle,
            title,
            body_html: body,
            vendor: Some(brand.to_string()),
            product_type: None,
            tags,
            status,
            kind,
            categories: vec![leaf.path.iter().map(|s| s.to_string()).collect()],
            options,
            variants,
            images,
            seo,
            attributes,
            created_at: None,
            translations: Default::default(),
        };
        if self.planted(i) {
            self.plant(i, &mut product);
        }
        product.source.url_path = Some(platform::url_path(
            Platform::WooCommerce,
            Entity::Products,
            &product.handle,
            &[],
        ));
        product
    }

    fn plant(&self, i: usize, p: &mut Product) {
        let simple = |p: &mut Product| {
            p.kind = ProductKind::Simple;
            p.options.clear();
            p.attributes.remove("woo:sku");
            let mut v = p.variants.swap_remove(0);
            v.source_id = Some(p.source.id.clone());
            v.option_values.clear();
            v.image = None;
            if v.price.is_none() {
                v.price = Some(money(Decimal::new(4900, 2)));
            }
            p.variants = vec![v];
        };
        match i {
            0 | 1 => {
                simple(p);
                p.variants[0].sku = Some(dup_sku_1());
            }
            2 => {
                if p.kind != ProductKind::Variable {
                    let mut v = p.variants[0].clone();
                    v.source_id = Some((product_id(2) + 1).to_string());
                    v.option_values = vec!["Black".to_string()];
                    let mut w = v.clone();
                    w.source_id = Some((product_id(2) + 2).to_string());
                    w.option_values = vec!["White".to_string()];
                    w.sku = Some(format!("{}-W", dup_sku_2()));
                    p.kind = ProductKind::Variable;
                    p.options = vec![ProductOption {
                        name: "Color".to_string(),
                        values: vec!["Black".into(), "White".into()],
                    }];
                    p.attributes
                        .insert("woo:sku".to_string(), "LM-MUG-PARENT".to_string());
                    p.variants = vec![v, w];
                }
                p.variants[0].sku = Some(dup_sku_2());
            }
            3 => {
                simple(p);
                p.variants[0].sku = Some(dup_sku_2());
            }
            4 => {
                simple(p);
                p.variants[0].price = None;
                p.variants[0].compare_at_price = None;
            }
            5 => {
                let id = product_id(5);
                p.kind = ProductKind::Variable;
                p.title = "Nordhaven Modular Merino Overshirt".to_string();
                p.handle = "nordhaven-modular-merino-overshirt".to_string();
                p.attributes
                    .insert("woo:sku".to_string(), "NH-SHT-MOD".to_string());
                p.attributes.retain(|k, _| !k.starts_with(ATTR));
                let dims: [(&str, [&str; 2]); 4] = [
                    ("Size", ["S", "M"]),
                    ("Color", ["Black", "Olive"]),
                    ("Material", ["Merino", "Cotton"]),
                    ("Fit", ["Regular", "Slim"]),
                ];
                p.options = dims
                    .iter()
                    .map(|(n, v)| ProductOption {
                        name: n.to_string(),
                        values: v.iter().map(|s| s.to_string()).collect(),
                    })
                    .collect();
                let template = p.variants[0].clone();
                p.variants = (0..16)
                    .map(|k| {
                        let values: Vec<String> = (0..4)
                            .map(|d| dims[d].1[(k >> (3 - d)) & 1].to_string())
                            .collect();
                        Variant {
                            source_id: Some((id + 1 + k as u64).to_string()),
                            sku: Some(format!(
                                "NH-SHT-MOD-{}",
                                values
                                    .iter()
                                    .map(|v| v[..1].to_string())
                                    .collect::<String>()
                            )),
                            barcode: None,
                            option_values: values,
                            image: None,
                            price: Some(money(Decimal::new(8900, 2))),
                            compare_at_price: None,
                            ..template.clone()
                        }
                    })
                    .collect();
            }
            6 => p.handle = LONG_SLUG.to_string(),
            7 => {
                p.title = "Kadın Örgü Kazak".to_string();
                p.handle = "kadın-örgü-kazak".to_string();
            }
            8 => {
                p.title = "Herren Winterjacke Größe XL".to_string();
                p.handle = "herren-winterjacke-größe-xl".to_string();
            }
            9 => {
                p.title = "Çocuk Ayakkabısı".to_string();
                p.handle = "çocuk-ayakkabısı".to_string();
            }
            _ => {}
        }
    }

    /// Customer `i` (0-based).
    pub fn customer(&self, i: usize) -> Customer {
        let mut rng = self.rng(2, i);
        let first = *pick(&mut rng, FIRST);
        let last = *pick(&mut rng, LAST);
        let place = pick(&mut rng, PLACES);
        let ascii = |s: &str| {
            deunicode::deunicode(s)
                .to_ascii_lowercase()
                .replace([' ', '\''], "")
        };
        let mut email = format!("{}.{}{}@example.com", ascii(first), ascii(last), i);
        if self.spec.planted_problems && i == 1 {
            email = self.customer(0).email;
        }
        let phone = format!("{} {:04}", place.phone, rng.random_range(0..10_000));
        let address = |rng: &mut ChaCha8Rng, place: &Place| Address {
            first_name: Some(first.to_string()),
            last_name: Some(last.to_string()),
            company: None,
            address1: Some(format!(
                "{} {}",
                rng.random_range(1..400),
                pick(rng, place.streets)
            )),
            address2: chance(rng, 20).then(|| format!("Apt {}", rng.random_range(1..90))),
            city: Some(place.city.to_string()),
            province: place.state.map(str::to_string),
            country_code: Some(place.country.to_string()),
            zip: Some(place.zip.to_string()),
            phone: None,
            default: false,
        };
        let mut billing = address(&mut rng, place);
        billing.default = true;
        if chance(&mut rng, 8) {
            billing.company = Some(format!(
                "{last} {}",
                pick(&mut rng, &["Studio", "GmbH", "Ltd", "Ltd. Şti."])
            ));
        }
        let mut addresses = vec![billing];
        if chance(&mut rng, 20) {
            let other = pick(&mut rng, PLACES);
            let mut shipping = address(&mut rng, other);
            shipping.phone = Some(format!(
                "{} {:04}",
                other.phone,
                rng.random_range(0..10_000)
            ));
            addresses.push(shipping);
        }
        let created = date(&mut rng, 2021, 3);
        let email_ok = chance(&mut rng, 40);
        let sms_ok = chance(&mut rng, 15);
        Customer {
            source: SourceRef::new(customer_id(i).to_string()),
            email,
            first_name: Some(first.to_string()),
            last_name: Some(last.to_string()),
            phone: Some(phone),
            addresses,
            marketing: MarketingConsent {
                email: email_ok,
                sms: sms_ok,
                updated_at: (email_ok || sms_ok).then_some(created),
            },
            tags: if chance(&mut rng, 10) {
                vec!["vip".to_string()]
            } else {
                vec![]
            },
            note: None,
            created_at: Some(created),
        }
    }

    /// Order `i` (0-based): refers to generated customers and products.
    pub fn order(&self, i: usize) -> Order {
        let mut rng = self.rng(3, i);
        let guest = chance(&mut rng, 5) || self.spec.customers == 0;
        let cust_index = rng.random_range(0..self.spec.customers.max(1));
        let customer = (!guest).then(|| self.customer(cust_index));
        let mut line_items = vec![];
        let n_lines = rng.random_range(1..=4);
        let mut attempts = 0;
        while line_items.len() < n_lines && attempts < 20 && self.spec.products > 0 {
            attempts += 1;
            let p = self.product(rng.random_range(0..self.spec.products));
            let v = &p.variants[rng.random_range(0..p.variants.len())];
            let Some(price) = v.price.clone() else {
                continue;
            };
            let variant_title = (!p.options.is_empty()).then(|| {
                p.options
                    .iter()
                    .zip(&v.option_values)
                    .map(|(o, val)| format!("{}={val}", o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            line_items.push(LineItem {
                sku: v.sku.clone(),
                title: p.title.clone(),
                variant_title,
                quantity: rng.random_range(1..=3),
                price,
                total_discount: None,
                tax_lines: vec![],
                product_ref: Some(p.source.id.clone()),
            });
        }
        let subtotal: Decimal = line_items
            .iter()
            .map(|l| l.price.amount * Decimal::from(l.quantity))
            .sum();
        let mut discounts = vec![];
        if chance(&mut rng, 15) {
            discounts.push(Discount {
                code: "WELCOME10".to_string(),
                amount: money((subtotal / Decimal::from(10)).round_dp(2)),
            });
        } else if chance(&mut rng, 5) && subtotal > Decimal::from(50) {
            discounts.push(Discount {
                code: "SAVE5".to_string(),
                amount: money(Decimal::new(500, 2)),
            });
        }
        let discount: Decimal = discounts.iter().map(|d| d.amount.amount).sum();
        let (ship_title, ship_code, ship_price) = if subtotal - discount >= Decimal::from(75) {
            ("Free shipping", "free_shipping", Decimal::new(0, 2))
        } else {
            ("Flat rate", "flat_rate", Decimal::new(499, 2))
        };
        let rate = Decimal::new(8, 2);
        let tax = ((subtotal - discount + ship_price) * rate).round_dp(2);
        let total = subtotal - discount + ship_price + tax;
        let (financial_status, fulfillment_status) = match rng.random_range(0..100) {
            0..=69 => (FinancialStatus::Paid, FulfillmentStatus::Fulfilled),
            70..=84 => (FinancialStatus::Paid, FulfillmentStatus::Unfulfilled),
            85..=87 => (FinancialStatus::Authorized, FulfillmentStatus::Unfulfilled),
            88..=90 => (FinancialStatus::Pending, FulfillmentStatus::Unfulfilled),
            91..=94 => (FinancialStatus::Voided, FulfillmentStatus::Cancelled),
            95..=97 => (FinancialStatus::Refunded, FulfillmentStatus::Fulfilled),
            _ => (FinancialStatus::Voided, FulfillmentStatus::Unfulfilled),
        };
        let gateway = *pick(&mut rng, &["stripe", "paypal", "bacs", "cod"]);
        let created_at = date(&mut rng, 2022, 3);
        let (email, billing, shipping, customer_ref) = match &customer {
            Some(c) => {
                let mut b = c.addresses[0].clone();
                b.default = false;
                b.phone = c.phone.clone();
                let s = c.addresses.get(1).cloned().unwrap_or_else(|| Address {
                    phone: None,
                    ..b.clone()
                });
                (
                    Some(c.email.clone()),
                    Some(b),
                    Some(s),
                    Some(c.source.id.clone()),
                )
            }
            None => {
                let place = pick(&mut rng, PLACES);
                let first = *pick(&mut rng, FIRST);
                let last = *pick(&mut rng, LAST);
                let a = Address {
                    first_name: Some(first.to_string()),
                    last_name: Some(last.to_string()),
                    address1: Some(format!(
                        "{} {}",
                        rng.random_range(1..400),
                        pick(&mut rng, place.streets)
                    )),
                    city: Some(place.city.to_string()),
                    province: place.state.map(str::to_string),
                    country_code: Some(place.country.to_string()),
                    zip: Some(place.zip.to_string()),
                    ..Address::default()
                };
                let email = format!("guest{i}@example.net");
                (Some(email), Some(a.clone()), Some(a), None)
            }
        };
        let customer_ref = if self.spec.planted_problems && i == 0 {
            Some(MISSING_CUSTOMER_ID.to_string())
        } else {
            customer_ref
        };
        Order {
            source: SourceRef::new(order_id(i).to_string()),
            number: order_id(i).to_string(),
            email,
            customer_ref,
            currency: CURRENCY.to_string(),
            presentment: None,
            line_items,
            tax_lines: vec![TaxLine {
                title: "Sales Tax".to_string(),
                rate,
                amount: money(tax),
            }],
            discounts,
            shipping_lines: vec![ShippingLine {
                title: ship_title.to_string(),
                code: Some(ship_code.to_string()),
                price: money(ship_price),
                tax_lines: vec![],
            }],
            transactions: vec![Transaction {
                kind: "sale".to_string(),
                status: match financial_status {
                    FinancialStatus::Paid
                    | FinancialStatus::Refunded
                    | FinancialStatus::PartiallyRefunded => "success",
                    FinancialStatus::Voided => "failure",
                    _ => "pending",
                }
                .to_string(),
                gateway: Some(gateway.to_string()),
                amount: money(total),
                processed_at: None,
            }],
            totals: OrderTotals {
                subtotal: money(subtotal),
                discounts: money(discount),
                shipping: money(ship_price),
                tax: money(tax),
                total: money(total),
            },
            financial_status,
            fulfillment_status,
            created_at: Some(created_at),
            processed_at: None,
            cancelled_at: None,
            billing_address: billing,
            shipping_address: shipping,
            note: chance(&mut rng, 5)
                .then(|| "Please leave the parcel with the neighbour.".to_string()),
            tags: vec![],
        }
    }

    /// Page `i` (0-based).
    pub fn page(&self, i: usize) -> Page {
        const PAGES: &[(&str, &str, &str)] = &[
            ("About Us", "about-us", "<h2>Our story</h2>\n<p>We started in a small studio in 2015 with one idea: fewer, better things.</p>"),
            ("Contact", "contact", "<p>Write to us at <a href=\"mailto:hello@demo-store.example\">hello@demo-store.example</a> or call +1 212 555 0100.</p>"),
            ("Shipping & Returns", "shipping-returns", "<h2>Shipping</h2>\n<p>Free shipping on orders over $75.</p>\n<h2>Returns</h2>\n<p>Return anything within 30 days.</p>"),
            ("Privacy Policy", "privacy-policy", "<p>We only keep the data we need to deliver your orders.</p>"),
            ("Sıkça Sorulan Sorular", "sikca-sorulan-sorular", "<h2>Kargo ne kadar sürer?</h2>\n<p>Siparişler 2-4 iş günü içinde teslim edilir.</p>"),
        ];
        let mut rng = self.rng(4, i);
        let (title, slug, body) = match PAGES.get(i) {
            Some((t, s, b)) => (t.to_string(), s.to_string(), b.to_string()),
            None => (
                format!("Lookbook {}", i - PAGES.len() + 1),
                format!("lookbook-{}", i - PAGES.len() + 1),
                "<p>New season, new stories.</p>".to_string(),
            ),
        };
        let id = 10 + i as u64;
        Page {
            source: SourceRef::with_url(
                id.to_string(),
                platform::url_path(Platform::WooCommerce, Entity::Pages, &slug, &[]),
            ),
            handle: slug,
            seo: Seo {
                title: Some(format!("{title} | Demo Store")),
                description: None,
            },
            title,
            body_html: body,
            published: true,
            created_at: Some(date(&mut rng, 2020, 1)),
        }
    }

    pub fn products(&self) -> impl Iterator<Item = Product> + '_ {
        (0..self.spec.products).map(|i| self.product(i))
    }

    pub fn customers(&self) -> impl Iterator<Item = Customer> + '_ {
        (0..self.spec.customers).map(|i| self.customer(i))
    }

    pub fn orders(&self) -> impl Iterator<Item = Order> + '_ {
        (0..self.spec.orders).map(|i| self.order(i))
    }

    pub fn pages(&self) -> impl Iterator<Item = Page> + '_ {
        (0..self.spec.pages).map(|i| self.page(i))
    }

    /// Writes products.csv, customers.csv, orders.csv and pages.csv into `dir` through the
    /// WooCommerce writers, one record at a time.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<SynthSummary> {
        std::fs::create_dir_all(dir)?;
        let mut summary = SynthSummary::default();
        let variations = &mut summary.variations;
        let products = self.products().inspect(|p| {
            if p.kind == ProductKind::Variable {
                *variations += p.variants.len();
            }
        });
        summary.products = write_file(
            dir,
            &mut ProductWriter::for_export(),
            products.map(Record::Product),
        )?;
        summary.customers = write_file(
            dir,
            &mut CustomerWriter::for_export(),
            self.customers().map(Record::Customer),
        )?;
        summary.orders = write_file(
            dir,
            &mut OrderWriter::for_export(),
            self.orders().map(|o| Record::Order(Box::new(o))),
        )?;
        summary.pages = write_file(
            dir,
            &mut PageWriter::for_export(),
            self.pages().map(Record::Page),
        )?;
        Ok(summary)
    }
}

/// How many records [`SynthStore::write_dir`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub products: usize,
    /// Variation rows (one per variant of a variable product).
    pub variations: usize,
    pub customers: usize,
    pub orders: usize,
    pub pages: usize,
}

fn write_file(
    dir: &Path,
    w: &mut dyn EntityWriter,
    records: impl Iterator<Item = Record>,
) -> std::io::Result<usize> {
    let path = dir.join(w.file_name());
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    out.write_all(&w.header())?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut n = 0;
    for r in records {
        buf.clear();
        w.encode(&r, &mut buf)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        out.write_all(&buf)?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests;
