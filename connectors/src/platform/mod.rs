//! One place per platform for its facts: storefront URL patterns, limits, handle rules.

pub mod bigcommerce;
pub mod cells;
pub mod ideasoft;
pub mod ikas;
pub mod magento;
pub mod medusa;
pub mod shopify;
pub mod vendure;
pub mod versions;
pub mod woocommerce;

use crate::model::{
    Address, Customer, Entity, FinancialStatus, FulfillmentStatus, Platform, Record,
};

pub use cells::{export_guard, import_file, import_files, Guard, ImportFile, Strips};

/// Limits and URL rules of one platform, as far as a migration needs them.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub platform: Platform,
    /// Most named options a product may have (`None` = no fixed limit).
    pub max_options: Option<usize>,
    pub max_variants: Option<usize>,
    pub max_handle_len: usize,
    /// Whether handles must be ASCII (Shopify transliterates; WooCommerce keeps UTF-8 slugs).
    pub ascii_handles: bool,
}

pub fn facts(platform: Platform) -> Facts {
    match platform {
        Platform::Shopify => shopify::FACTS,
        Platform::WooCommerce => woocommerce::FACTS,
        Platform::BigCommerce => bigcommerce::FACTS,
        Platform::Medusa => medusa::FACTS,
        Platform::Vendure => vendure::FACTS,
        Platform::Ikas => ikas::FACTS,
        Platform::Ideasoft => ideasoft::FACTS,
        Platform::Magento => Facts {
            platform,
            max_options: None,
            max_variants: None,
            max_handle_len: 255,
            ascii_handles: true,
        },
    }
}

/// How to point a domain at a store on `platform`, step by step (each platform's own list lives
/// in its module). The first and last steps every platform shares are added here.
pub fn domain_steps(platform: Platform) -> Vec<String> {
    let own: &[&str] = match platform {
        Platform::Shopify => shopify::DOMAIN_STEPS,
        Platform::WooCommerce => woocommerce::DOMAIN_STEPS,
        Platform::Magento => magento::DOMAIN_STEPS,
        Platform::BigCommerce => bigcommerce::DOMAIN_STEPS,
        Platform::Ideasoft => ideasoft::DOMAIN_STEPS,
        Platform::Ikas => ikas::DOMAIN_STEPS,
        Platform::Medusa => medusa::DOMAIN_STEPS,
        Platform::Vendure => vendure::DOMAIN_STEPS,
    };
    let mut steps = vec![
        "A day before: lower the TTL of the domain's A/AAAA/CNAME records to 300 seconds, so the switch (and a rollback) takes minutes, not hours.".to_string(),
    ];
    steps.extend(own.iter().map(|s| s.to_string()));
    steps.push(
        "Check from outside (`dig +short DOMAIN`, a browser in a private window) that the domain answers from the new store; keep the old store reachable under a temporary host name until the rollback window ends.".to_string(),
    );
    steps
}

/// Whether the platform orders a product's option values by the order its variants first use
/// them (Shopify does: an import file has no separate list of option values).
pub fn option_order_from_variants(platform: Platform) -> bool {
    matches!(platform, Platform::Shopify)
}

/// How many addresses a customer can have in the platform's customer import file (`None`: no
/// limit). Shopify's customer CSV has one "Default Address".
pub fn file_addresses_per_customer(platform: Platform) -> Option<usize> {
    match platform {
        Platform::Shopify => Some(1),
        _ => None,
    }
}

/// Whether the platform refuses a customer without a first and a last name (its API requires
/// both, non-empty), so one lacking either needs a decision before the load.
pub fn customer_names_required(platform: Platform) -> bool {
    match platform {
        Platform::BigCommerce => bigcommerce::CUSTOMER_NAMES_REQUIRED,
        _ => false,
    }
}

/// Whether the platform refuses an address without street, city or country (its connector
/// leaves such an address out of the customer).
pub fn address_needs_street_city_country(platform: Platform) -> bool {
    matches!(platform, Platform::BigCommerce)
}

/// Why the platform's customer import file leaves an address of `c` out, if it does
/// (Magento's, for a row its import refuses): the writer never writes it, and convert and a
/// run's verification count it by design ([`fit_file_record`]).
pub fn file_address_left_out(
    platform: Platform,
    c: &Customer,
    a: &Address,
) -> Option<&'static str> {
    match platform {
        Platform::Magento => magento::file_address_left_out(c, a),
        _ => None,
    }
}

/// Makes `r` what the platform's import file holds of it, where that file cannot hold it as it
/// is: addresses its import refuses taken out, a product's variants made to ship alike where
/// shipping is the product's. Returns each change as (field, reason), by design. Convert
/// applies it before writing; a run's verification applies it to what it sent before comparing
/// with what it reads back (the writers apply the same rules), so both count the same losses.
pub fn fit_file_record(platform: Platform, r: &mut Record) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![];
    match r {
        Record::Customer(c) => {
            let mut why = None;
            let all = std::mem::take(&mut c.addresses);
            let mut kept = Vec::with_capacity(all.len());
            for a in all {
                match file_address_left_out(platform, c, &a) {
                    Some(w) => why = Some(w),
                    None => kept.push(a),
                }
            }
            c.addresses = kept;
            if let Some(w) = why {
                out.push(("addresses", w));
            }
        }
        Record::Product(p) => {
            if let Some(why) = shipping_per_product(platform) {
                let ships = p.variants.iter().any(|v| v.requires_shipping);
                if ships && !p.variants.iter().all(|v| v.requires_shipping) {
                    for v in &mut p.variants {
                        v.requires_shipping = true;
                    }
                    out.push(("variants[].requires_shipping", why));
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether the platform decides shipping per product, not per variant (BigCommerce's product
/// `type`): a product whose variants differ is written as [`bigcommerce::product_type`] says,
/// with the reason the variants then read back alike.
pub fn shipping_per_product(platform: Platform) -> Option<&'static str> {
    matches!(platform, Platform::BigCommerce).then_some(bigcommerce::SHIPPING_PER_PRODUCT)
}

/// Whether a target holds variants' tier and customer-group prices: Magento's import files do
/// (advanced_pricing.csv beside catalog_product.csv); no other format or API connector has a
/// place for them.
pub fn carries_price_tiers(platform: Platform, files: bool) -> bool {
    files && platform == Platform::Magento
}

/// Why tier prices are not carried, for reports.
pub const PRICE_TIERS_NOT_CARRIED: &str =
    "only Magento's import files hold tier and customer-group prices (advanced_pricing.csv)";

/// Whether a target holds product translations: Vendure's product import file does (its
/// `name:LANG` columns). Magento's store-view rows are per store view, not per language, and
/// carry the translations of Magento sources as attributes only.
pub fn carries_translations(platform: Platform, files: bool) -> bool {
    files && platform == Platform::Vendure
}

/// Why translations are not carried, for reports.
pub const TRANSLATIONS_NOT_CARRIED: &str =
    "only Vendure's product import file holds translations (name:LANG columns)";

/// Whether two products may not share a name. BigCommerce refuses a product whose name
/// another product has (409; its Catalog API: "duplicate unique values such as name or SKU");
/// the other platforms tell products apart by handle or SKU only.
pub fn product_names_unique(platform: Platform) -> bool {
    matches!(platform, Platform::BigCommerce)
}

/// What two product names collide under where names are unique: case and the spaces around
/// them aside (the safer reading: a store's database may well compare names that way).
pub fn product_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether the platform needs an email on every customer. Shopify alone lets a customer sign
/// in by phone; WooCommerce (REST `email` is mandatory), Magento, BigCommerce, Ideasoft
/// (`Member.email` is required), Ikas, Medusa and Vendure key customers by email.
pub fn customer_email_required(platform: Platform) -> bool {
    !matches!(platform, Platform::Shopify)
}

/// Fields of `entity` that the platform's import file has no place for, with the reason: what
/// convert's read-back and a run's verification count as not carried by design. A path names a
/// field of the canonical record, `[]` standing for every item of a list (`variants[].cost`);
/// it covers the fields below it (`seo` covers `seo.title`). Each claim is held true by a
/// test that writes a record with the field set and reads it back.
pub fn file_not_carried(
    platform: Platform,
    entity: Entity,
) -> &'static [(&'static str, &'static str)] {
    match platform {
        Platform::Shopify => shopify::file_not_carried(entity),
        Platform::WooCommerce => woocommerce::file_not_carried(entity),
        Platform::Magento => magento::file_not_carried(entity),
        Platform::BigCommerce => bigcommerce::file_not_carried(entity),
        Platform::Ikas => ikas::file_not_carried(entity),
        Platform::Medusa => medusa::file_not_carried(entity),
        Platform::Vendure => vendure::file_not_carried(entity),
        Platform::Ideasoft => &[],
    }
}

/// An order's payment and fulfilment states as an import file holds them: the status they
/// are written as, the states read back, and why they differ when they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedStatus {
    pub written: &'static str,
    pub financial: FinancialStatus,
    pub fulfillment: FulfillmentStatus,
    pub why: &'static str,
}

/// What an order with states `f` and `s` reads back as from the platform's order import file,
/// when that is not `f` and `s` themselves: WooCommerce has one order status where the
/// canonical order has two states, so a partly refunded, fulfilled order comes back paid. The
/// read-back counts such a change as by design, and only that change. `None`: the file holds
/// both states as they are (Shopify), or the platform has no order file.
pub fn file_order_status(
    platform: Platform,
    f: FinancialStatus,
    s: FulfillmentStatus,
) -> Option<MappedStatus> {
    let mapped = match platform {
        Platform::WooCommerce => woocommerce::order_status_round_trip(f, s),
        _ => return None,
    };
    (mapped.financial != f || mapped.fulfillment != s).then_some(mapped)
}

/// Fields only some targets hold (tier prices, translations), not carried by the others: for
/// import files (`files`) or the platform's API.
pub fn not_carried_by_format(
    platform: Platform,
    entity: Entity,
    files: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![];
    if entity == Entity::Products && !carries_price_tiers(platform, files) {
        v.push(("variants[].price_tiers", PRICE_TIERS_NOT_CARRIED));
    }
    if entity == Entity::Products && !carries_translations(platform, files) {
        v.push(("translations", TRANSLATIONS_NOT_CARRIED));
    }
    v
}

/// The storefront path a record of `entity` with `handle` has on `platform`.
/// `parents` are the parent categories' handles (WooCommerce nests category URLs).
pub fn url_path(platform: Platform, entity: Entity, handle: &str, parents: &[String]) -> String {
    match platform {
        Platform::Shopify => shopify::url_path(entity, handle),
        Platform::WooCommerce => woocommerce::url_path(entity, handle, parents),
        Platform::Magento => magento::url_path(entity, handle),
        Platform::Ikas => ikas::url_path(entity, handle),
        Platform::BigCommerce => bigcommerce::url_path(entity, handle),
        Platform::Ideasoft => ideasoft::url_path(entity, handle),
        Platform::Medusa => medusa::url_path(entity, handle, parents),
        Platform::Vendure => vendure::url_path(entity, handle),
    }
}

/// Makes a handle valid for `platform`: lower case, transliterated where the platform wants
/// ASCII (Turkish ı, ş, ğ become i, s, g), runs of other characters collapsed to one dash, and
/// cut at the platform's length limit on a dash boundary.
pub fn normalize_handle(platform: Platform, raw: &str) -> String {
    let f = facts(platform);
    let mut out = String::with_capacity(raw.len());
    // Transliteration leaves ASCII as it is; most handles are ASCII already, and this runs
    // once per product of a catalog.
    let source: std::borrow::Cow<str> = if f.ascii_handles && !raw.is_ascii() {
        deunicode::deunicode(raw).into()
    } else {
        raw.into()
    };
    let mut dash = false;
    for ch in source.chars() {
        let c = if ch.is_ascii() {
            ch.to_ascii_lowercase()
        } else {
            ch.to_lowercase().next().unwrap_or(ch)
        };
        if c.is_alphanumeric() && (!f.ascii_handles || c.is_ascii_alphanumeric()) || c == '_' {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.chars().count() > f.max_handle_len {
        let cut: String = out.chars().take(f.max_handle_len).collect();
        out = match cut.rfind('-') {
            Some(i) if i > f.max_handle_len / 2 => cut[..i].to_string(),
            _ => cut,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_handles_are_ascii_and_bounded() {
        assert_eq!(
            normalize_handle(Platform::Shopify, "Kadın Şık Örgü Kazak"),
            "kadin-sik-orgu-kazak"
        );
        assert_eq!(
            normalize_handle(Platform::Shopify, "  --Hello, World!!  "),
            "hello-world"
        );
        let long = "word-".repeat(80);
        let h = normalize_handle(Platform::Shopify, &long);
        assert!(h.len() <= 255 && !h.ends_with('-'), "{h}");
    }

    #[test]
    fn woocommerce_keeps_unicode_slugs() {
        assert_eq!(
            normalize_handle(Platform::WooCommerce, "Kadın Giyim"),
            "kadın-giyim"
        );
    }
}
