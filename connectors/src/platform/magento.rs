//! Magento 2 facts: `/{url_key}.html` URLs, and the REST API's shape (`/rest/{store}/V1/`,
//! admin token then Bearer, `searchCriteria` paging that stops on `total_count` because a page
//! past the end repeats the last one).

use super::versions::{ApiVersions, VersionScheme};
use crate::model::{Address, Customer, Entity, Platform};

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Pages => format!("/{handle}"),
        _ => format!("/{handle}.html"),
    }
}

/// REST root of a store view (`default`, or `all` for global scope).
pub fn rest_base(store_code: &str) -> String {
    format!("/rest/{store_code}/V1")
}

/// Magento 2's REST API has one version, `V1` in every path (Magento 2.4's admin schema).
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::Magento,
    supported: &["V1"],
    default: "V1",
    scheme: VersionScheme::Numbered,
    why: "Magento 2's REST API has the one version V1",
};

/// Where an admin user trades username and password for a token.
pub const ADMIN_TOKEN_PATH: &str = "/rest/V1/integration/admin/token";

/// Page size the connector asks for; Magento accepts larger, but big pages of products with
/// media and custom attributes get slow.
pub const PAGE_SIZE: usize = 100;

/// Product status values.
pub const STATUS_ENABLED: i64 = 1;
pub const STATUS_DISABLED: i64 = 2;
/// Visibility: children of configurables are "Not Visible Individually".
pub const VISIBILITY_NOT_VISIBLE: i64 = 1;
pub const VISIBILITY_CATALOG_SEARCH: i64 = 4;

/// Fields Magento 2's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("product_type", "Magento groups products by attribute set, not by a product type"),
            ("tags", "Magento products have no tags"),
            ("kind", "Magento has no grouped or external product in the catalog file storeshift writes: they arrive as simple products"),
            ("status", "Magento products are enabled or disabled: archived products arrive disabled"),
            ("options[].values", "Magento lists an option's values in the order the variants use them"),
        ],
        Entity::Customers => &[
            ("phone", "the customer file keeps phones on addresses only: the customer's phone is read back as the default address's"),
            ("tags", "the customer file has no tags"),
            ("marketing", "the customer file has no marketing consent: newsletter subscriptions are separate"),
            ("note", "the customer file has no note"),
        ],
        Entity::Categories => &[("image", "the category file storeshift writes has no image column")],
        Entity::Pages => &[("created_at", "the CMS page file has no creation date")],
        _ => &[],
    }
}

/// A value given: present and not only spaces.
fn given(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Which of the values Magento requires on a new customer address `a` lacks: street, city,
/// country, telephone (its own, else `phone`, the customer's; not when the store made it
/// optional) and a postcode outside [`OPTIONAL_ZIP_COUNTRIES`]. These are the
/// `customer_address` EAV attributes Magento installs as required (magento/magento2
/// app/code/Magento/Customer/Setup/CustomerSetup.php: every attribute without
/// `'required' => false`), which both its address validator (REST) and its ImportExport
/// (CustomerImportExport/Model/Import/Address.php, `_validateRowForUpdate`: "value is
/// required", and the postcode validator) refuse a new address without. First and last name
/// are required too; the callers check them, since each fills them from the customer its own
/// way.
pub fn address_missing(
    a: &Address,
    phone: Option<&str>,
    optional_telephone: bool,
) -> Vec<&'static str> {
    let mut missing = vec![];
    if !given(&a.address1) && !given(&a.address2) {
        missing.push("street");
    }
    if !given(&a.city) {
        missing.push("city");
    }
    let country = a
        .country_code
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty());
    if country.is_none() {
        missing.push("country");
    }
    let phone_given = given(&a.phone) || phone.is_some_and(|p| !p.trim().is_empty());
    if !phone_given && !optional_telephone {
        missing.push("telephone");
    }
    let zip_optional = country
        .as_deref()
        .is_some_and(|c| OPTIONAL_ZIP_COUNTRIES.contains(&c));
    if !given(&a.zip) && !zip_optional {
        missing.push("postcode");
    }
    missing
}

/// Why customer_address.csv leaves out an address, for reports: Magento's ImportExport refuses
/// the row, and a refused row fails the whole import's validation.
pub const FILE_ADDRESS_LEFT_OUT: &str = "Magento's customer_address import refuses an address without first and last name, street, city, country, telephone and (outside HK, IE, MO, PA, GB) a postcode, even with the customer's name and phone filled in: such an address is left out";

/// `a`, an address of `c`, as customer_address.csv holds it: first name, last name and
/// telephone the address lacks (absent or only spaces) are the customer's, as Magento's REST
/// connector sends them. The writer writes exactly this and [`file_address_left_out`] judges
/// exactly this, so a row the rule accepts never reaches the importer with a blank required
/// cell.
pub fn file_address(c: &Customer, a: &Address) -> Address {
    let or_customer = |own: &Option<String>, customer: &Option<String>| {
        if given(own) {
            own.clone()
        } else if given(customer) {
            customer.clone()
        } else {
            None
        }
    };
    Address {
        first_name: or_customer(&a.first_name, &c.first_name),
        last_name: or_customer(&a.last_name, &c.last_name),
        phone: or_customer(&a.phone, &c.phone),
        ..a.clone()
    }
}

/// Why customer_address.csv leaves `a`, an address of `c`, out, if it does: the row as the
/// writer fills it ([`file_address`]) would lack a value Magento requires
/// ([`address_missing`]). The telephone counts as required: Magento ships
/// `customer/address/telephone_show` as `req` (Customer/etc/config.xml), which keeps the
/// `telephone` attribute's `is_required`, and ImportExport's address validation
/// (CustomerImportExport/Model/Import/Address.php `_validateRowForUpdate`) refuses a new
/// address without a value for any attribute that `is_required`. A store that made the
/// telephone optional still accepts the rows written here, which always carry one.
pub fn file_address_left_out(c: &Customer, a: &Address) -> Option<&'static str> {
    let filled = file_address(c, a);
    let named = given(&filled.first_name) && given(&filled.last_name);
    let missing = address_missing(&filled, None, false);
    (!named || !missing.is_empty()).then_some(FILE_ADDRESS_LEFT_OUT)
}

/// Import/export file names of System > Data Transfer, as the writers name them.
pub const CATALOG_PRODUCT_FILE: &str = "catalog_product.csv";
pub const ADVANCED_PRICING_FILE: &str = "advanced_pricing.csv";
pub const CUSTOMER_MAIN_FILE: &str = "customer_main.csv";
pub const CUSTOMER_ADDRESS_FILE: &str = "customer_address.csv";

/// The website every customer and price belongs to when the source names none.
pub const DEFAULT_WEBSITE: &str = "base";

/// advanced_pricing's website for a tier valid on every website: "All Websites [USD]", the
/// base currency in brackets.
pub const ALL_WEBSITES: &str = "All Websites";
/// advanced_pricing's customer group for a tier valid for every group.
pub const ALL_GROUPS: &str = "ALL GROUPS";
/// `tier_price_value_type`: a fixed unit price, or a percentage off the product's price.
pub const TIER_FIXED: &str = "Fixed";
pub const TIER_DISCOUNT: &str = "Discount";

/// Product attribute marking a product known only from advanced_pricing.csv (its SKU and tier
/// prices): a Magento target writes its tier prices alone, other targets refuse it.
pub const PRICING_ONLY: &str = "magento.pricing_only";

/// Splits a `tier_price_website` value into the website code (`None`: all websites) and the
/// currency in brackets, if any: "All Websites [USD]" gives (None, Some("USD")).
pub fn tier_website(value: &str) -> (Option<String>, Option<String>) {
    let v = value.trim();
    let (name, currency) = match v.rsplit_once('[') {
        Some((n, c)) if c.ends_with(']') => (n.trim(), Some(c.trim_end_matches(']').trim())),
        _ => (v, None),
    };
    let currency = currency.filter(|c| !c.is_empty()).map(str::to_string);
    if name.is_empty() || name.eq_ignore_ascii_case(ALL_WEBSITES) {
        (None, currency)
    } else {
        (Some(name.to_string()), currency)
    }
}

use super::cells::{Guard, ImportFile, Strips};

/// Magento's CSV writer puts a space (not an apostrophe) before values starting with `=`, `+`
/// or `-` (magento/magento2 `lib/internal/Magento/Framework/Filesystem/Driver/File.php`,
/// `filePutCsv`: "Security enhancement for CSV data processing by Excel-like applications"),
/// which every ImportExport export goes through.
pub const EXPORT_GUARD: Guard = Guard {
    mark: b' ',
    triggers: b"=+-",
    digits: false,
    always: &[],
};

const IMPORT_EXPORT: &str = "magento/magento2 app/code/Magento/ImportExport/Model/Import/Source/\
                             Csv.php _getNextRow(): cells are taken as read, a leading space \
                             stays part of the value";

/// What reads each file the Magento writers produce.
pub const IMPORT_FILES: &[ImportFile] = &[
    ImportFile {
        file: "catalog_product.csv",
        importer: "Magento ImportExport (System > Data Transfer > Import, Products)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: IMPORT_EXPORT,
    },
    ImportFile {
        file: "advanced_pricing.csv",
        importer: "Magento ImportExport (Advanced Pricing)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: IMPORT_EXPORT,
    },
    ImportFile {
        file: "customer_main.csv",
        importer: "Magento ImportExport (Customers Main File)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: IMPORT_EXPORT,
    },
    ImportFile {
        file: "customer_address.csv",
        importer: "Magento ImportExport (Customer Addresses)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: IMPORT_EXPORT,
    },
    ImportFile {
        file: "categories.csv",
        importer: "a category import extension (Magento's import has no category entity)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "magento2-sample-data CatalogSampleData categories.csv layout; no guard",
    },
    ImportFile {
        file: "cms_pages.csv",
        importer: "a CMS page import extension (Magento's import has no page entity)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "magento2-sample-data CmsSampleData pages.csv layout; no guard",
    },
];

use crate::files::dates::{Clock, DayOrder};

/// Magento keeps times in UTC in its database and exports some as they are stored
/// (`2024-05-06 07:08:09`, the customer export), others formatted for the admin: the product
/// export's `created_at` through ICU's short format in the admin locale and the store's zone
/// (magento/magento2 app/code/Magento/CatalogImportExport/Model/Export/Product.php,
/// collectRawData: formatDateTime(..., IntlDateFormatter::SHORT, IntlDateFormatter::SHORT)),
/// the order grid's Purchase Date with month names. So a time in the database's form is UTC,
/// any other on the store's clock.
pub fn date_clock(text: &str) -> Clock {
    let b = text.trim().as_bytes();
    let sql =
        b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
    if sql {
        Clock::Utc
    } else {
        Clock::Store
    }
}

/// ICU's short date in Magento's default admin locale, en_US: `5/6/24`.
pub const DAY_ORDER: DayOrder = DayOrder::MonthFirst;
/// How storeshift writes Magento times: the database's form in UTC, which the importer's
/// strtotime() reads in Magento's PHP default zone, UTC.
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

// --- Admin REST facts (Adobe's admin-schema-2.4.8 and Magento's own validators) ------------

/// Longest SKU Magento stores, in characters (`Catalog\Model\Product\Attribute\Backend\Sku::
/// SKU_MAX_LENGTH`): a longer one is refused with "SKU length should be 64 characters maximum".
pub const SKU_MAX_CHARS: usize = 64;

/// Hex digits of the hash that keeps a shortened SKU unique.
const SKU_HASH_HEX: usize = 8;

/// A SKU Magento can store: `sku` itself when it fits, otherwise its first characters, a dash
/// and a hash of the whole SKU. The same input gives the same SKU on every run, so a rerun or a
/// resume saves the same product again instead of creating another.
pub fn fit_sku(sku: &str) -> std::borrow::Cow<'_, str> {
    if sku.chars().count() <= SKU_MAX_CHARS {
        return sku.into();
    }
    let keep = SKU_MAX_CHARS - SKU_HASH_HEX - 1;
    let head: String = sku.chars().take(keep).collect();
    let hash = blake3::hash(sku.as_bytes()).to_hex();
    format!(
        "{}-{}",
        head.trim_end_matches(['-', ' ']),
        &hash[..SKU_HASH_HEX]
    )
    .into()
}

/// Longest attribute code storeshift creates. Magento 2.4's product attribute repository
/// accepts `^[a-z][a-z_0-9]{0,30}$` (newer releases allow 60 characters); codes are kept
/// inside the older rule so they work on every 2.4 store.
pub const ATTRIBUTE_CODE_MAX_CHARS: usize = 30;

/// The attribute code an option name maps to: transliterated, lower case, runs of other
/// characters as one `_`, starting with a letter, at most [`ATTRIBUTE_CODE_MAX_CHARS`].
/// `None` when the name has no letter or digit at all.
pub fn attribute_code(option_name: &str) -> Option<String> {
    let mut code = String::new();
    for c in deunicode::deunicode(option_name).chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c.to_ascii_lowercase());
        } else if !code.is_empty() && !code.ends_with('_') {
            code.push('_');
        }
    }
    let code = code.trim_end_matches('_');
    if code.is_empty() {
        return None;
    }
    let mut code = if code.starts_with(|c: char| c.is_ascii_alphabetic()) {
        code.to_string()
    } else {
        format!("opt_{code}")
    };
    if code.len() > ATTRIBUTE_CODE_MAX_CHARS {
        // A hash of the whole name keeps two long names that share a beginning apart.
        let hash = blake3::hash(option_name.as_bytes()).to_hex();
        code.truncate(ATTRIBUTE_CODE_MAX_CHARS - 7);
        code = format!("{}_{}", code.trim_end_matches('_'), &hash[..6]);
    }
    Some(code)
}

/// The product attribute set products are saved in when the endpoint names none
/// (`options.attribute_set_id`): "Default", id 4 in every standard install.
pub const DEFAULT_ATTRIBUTE_SET_ID: u64 = 4;

/// Names of the group new attributes join in the attribute set, most likely first ("Product
/// Details" since 2.0; stores upgraded from 1.x keep "General").
pub const ATTRIBUTE_GROUP_NAMES: [&str; 2] = ["Product Details", "General"];

/// `entity_type_id` of `catalog_product` in every install.
pub const PRODUCT_ENTITY_TYPE_ID: &str = "4";

/// The category a store's catalog hangs under when the endpoint names none
/// (`options.root_category_id`): "Default Category", id 2 in every standard install, the child
/// of the tree's invisible "Root Catalog" (id 1). Category paths are read and written below it.
pub const DEFAULT_ROOT_CATEGORY_ID: u64 = 2;

/// The id of the tree's own root, "Root Catalog", parent of every store's root category.
pub const TREE_ROOT_CATEGORY_ID: u64 = 1;

/// Magento's answer to a second category (or product) with a URL key its parent (store)
/// already has: the URL rewrite it would make exists.
pub const URL_KEY_TAKEN: &str = "URL key for specified store already exists";

/// Website customers are created in when the endpoint names none (`options.website_id`).
pub const DEFAULT_WEBSITE_ID: u64 = 1;

/// Countries whose addresses may leave the postcode out (Directory's config.xml
/// `general/country/optional_zip_countries`); everywhere else Magento requires one.
pub const OPTIONAL_ZIP_COUNTRIES: [&str; 5] = ["HK", "IE", "MO", "PA", "GB"];

/// Region codes Magento 2.4.8 and earlier install for Germany, with the ISO 3166-2 codes other
/// platforms use (`BE` is Berlin); newer releases switch to the ISO codes (Directory patch
/// `UpdateRegionCodesForGermanyV1`). Either resolves through the directory API.
pub const REGION_CODE_ALIASES: &[(&str, &str, &str)] = &[
    ("DE", "BW", "BAW"),
    ("DE", "BY", "BAY"),
    ("DE", "BE", "BER"),
    ("DE", "HB", "BRE"),
    ("DE", "BB", "BRG"),
    ("DE", "HH", "HAM"),
    ("DE", "HE", "HES"),
    ("DE", "MV", "MEC"),
    ("DE", "NI", "NDS"),
    ("DE", "NW", "NRW"),
    ("DE", "RP", "RHE"),
    ("DE", "ST", "SAC"),
    ("DE", "SL", "SAR"),
    ("DE", "SN", "SAS"),
    ("DE", "SH", "SCN"),
    ("DE", "TH", "THE"),
];

/// The other code a region of `country` may be known by (ISO ↔ Magento's older code).
pub fn region_code_alias(country: &str, code: &str) -> Option<&'static str> {
    REGION_CODE_ALIASES.iter().find_map(|(c, iso, legacy)| {
        if !c.eq_ignore_ascii_case(country) {
            None
        } else if iso.eq_ignore_ascii_case(code) {
            Some(*legacy)
        } else if legacy.eq_ignore_ascii_case(code) {
            Some(*iso)
        } else {
            None
        }
    })
}

/// The ISO 3166-2 code of a region Magento knows by its older code (`BER` → `BE`); codes that
/// are ISO already, or unknown, come back as they are. Records read from Magento carry ISO
/// codes like every other source, so a German address compares equal across platforms.
pub fn iso_region_code<'a>(country: &str, code: &'a str) -> &'a str {
    REGION_CODE_ALIASES
        .iter()
        .find(|(c, _, legacy)| c.eq_ignore_ascii_case(country) && legacy.eq_ignore_ascii_case(code))
        .map(|(_, iso, _)| *iso)
        .unwrap_or(code)
}

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "At the DNS provider: A (and AAAA) records for the apex and www pointing to the Magento server (or its load balancer).",
    "Set the base URLs: Stores → Configuration → General → Web → Base URLs (Secure), or `bin/magento setup:store-config:set --base-url=https://DOMAIN/ --base-url-secure=https://DOMAIN/`.",
    "Install the TLS certificate for the domain on the server, then `bin/magento cache:flush`.",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_address_file_rule_judges_the_row_the_writer_writes() {
        let c = Customer {
            email: "ana@example.test".into(),
            first_name: Some("Ana".into()),
            last_name: Some("Lima".into()),
            phone: Some("+351 912 000 000".into()),
            ..Customer::default()
        };
        // Blank cells (a spreadsheet's empty strings, spaces) are no value: the customer's name
        // and phone stand in, as the REST connector sends them.
        let a = Address {
            first_name: Some(" ".into()),
            last_name: Some(String::new()),
            address1: Some("Rua Augusta 1".into()),
            city: Some("Lisboa".into()),
            country_code: Some("PT".into()),
            zip: Some("1100-048".into()),
            phone: Some("  ".into()),
            ..Address::default()
        };
        assert_eq!(file_address_left_out(&c, &a), None);
        let row = file_address(&c, &a);
        assert_eq!(row.first_name.as_deref(), Some("Ana"));
        assert_eq!(row.last_name.as_deref(), Some("Lima"));
        assert_eq!(row.phone.as_deref(), Some("+351 912 000 000"));
        // Magento's default requires the telephone: without one anywhere the row is left out.
        let no_phone = Customer {
            phone: None,
            ..c.clone()
        };
        assert!(file_address_left_out(&no_phone, &a).is_some());
        assert!(address_missing(&file_address(&no_phone, &a), None, false).contains(&"telephone"));
        assert!(address_missing(&file_address(&no_phone, &a), None, true).is_empty());
    }

    #[test]
    fn skus_that_fit_are_kept_and_long_ones_are_cut_with_a_hash() {
        assert_eq!(fit_sku("TS-RED-XL"), "TS-RED-XL");
        let long = "a-very-long-handle-".repeat(5);
        let fitted = fit_sku(&long);
        assert_eq!(fitted.chars().count(), SKU_MAX_CHARS);
        assert!(fitted.starts_with("a-very-long-handle-a-very"), "{fitted}");
        assert_ne!(fit_sku(&format!("{long}x")), fit_sku(&format!("{long}y")));
    }

    #[test]
    fn option_names_become_attribute_codes_magento_accepts() {
        assert_eq!(attribute_code("Color").as_deref(), Some("color"));
        assert_eq!(
            attribute_code("Shoe Size (EU)").as_deref(),
            Some("shoe_size_eu")
        );
        assert_eq!(
            attribute_code("Beden Ölçüsü").as_deref(),
            Some("beden_olcusu")
        );
        assert_eq!(
            attribute_code("2nd colour").as_deref(),
            Some("opt_2nd_colour")
        );
        assert_eq!(attribute_code("--"), None);
    }

    #[test]
    fn german_regions_resolve_both_ways() {
        assert_eq!(region_code_alias("DE", "BE"), Some("BER"));
        assert_eq!(region_code_alias("de", "ber"), Some("BE"));
        assert_eq!(region_code_alias("US", "BE"), None);
        assert_eq!(iso_region_code("DE", "BER"), "BE");
        assert_eq!(iso_region_code("de", "nrw"), "NW");
        assert_eq!(iso_region_code("DE", "BE"), "BE");
        assert_eq!(iso_region_code("US", "NY"), "NY");
    }

    proptest! {
        #[test]
        fn every_sku_fits_and_is_stable(s in "\\PC{0,120}") {
            let a = fit_sku(&s);
            prop_assert!(a.chars().count() <= SKU_MAX_CHARS);
            prop_assert_eq!(a.clone(), fit_sku(&s));
            if s.chars().count() <= SKU_MAX_CHARS {
                prop_assert_eq!(a.as_ref(), s.as_str());
            }
        }

        #[test]
        fn every_attribute_code_matches_magentos_rule(s in "\\PC{0,80}") {
            if let Some(code) = attribute_code(&s) {
                prop_assert!(code.len() <= ATTRIBUTE_CODE_MAX_CHARS, "{}", code);
                prop_assert!(code.starts_with(|c: char| c.is_ascii_lowercase()), "{}", code);
                prop_assert!(code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{}", code);
                prop_assert_eq!(Some(code.clone()), attribute_code(&s));
            }
        }
    }
}
