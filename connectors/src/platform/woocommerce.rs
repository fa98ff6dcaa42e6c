//! WooCommerce facts: `/product/{slug}/`, nested `/product-category/{a}/{b}/`, UTF-8 slugs.

use super::versions::{ApiVersions, VersionScheme};
use super::Facts;
use crate::model::{Entity, FinancialStatus, FulfillmentStatus, Order, Platform, Presentment};

pub const FACTS: Facts = Facts {
    platform: Platform::WooCommerce,
    max_options: None,
    max_variants: None,
    max_handle_len: 200,
    ascii_handles: false,
};

pub fn url_path(entity: Entity, handle: &str, parents: &[String]) -> String {
    match entity {
        Entity::Categories => {
            let mut p = String::from("/product-category/");
            for parent in parents {
                p.push_str(parent);
                p.push('/');
            }
            p.push_str(handle);
            p.push('/');
            p
        }
        Entity::Products => format!("/product/{handle}/"),
        Entity::Pages => format!("/{handle}/"),
        Entity::BlogPosts => format!("/{}/", handle.rsplit('/').next().unwrap_or(handle)),
        Entity::Customers => "/my-account/".to_string(),
        Entity::Orders => "/my-account/orders/".to_string(),
        Entity::Redirects => handle.to_string(),
    }
}

/// Where a product's attributes that make no variants (name → values) live in the canonical
/// attributes: WooCommerce shows them to shoppers under "Additional information".
pub const ATTRIBUTE_ATTR: &str = "woo:attribute:";
/// An attribute's "Visible on the product page" when it is not the default (shown): `0`.
pub const ATTRIBUTE_VISIBLE_ATTR: &str = "woo:attribute_visible:";

/// REST API root under the store URL (`/wp-json/` and the version).
pub const API_BASE: &str = "/wp-json/wc/v3";
/// `wc/v3` is WooCommerce's current REST API (since 3.5); `wc/v1` and `wc/v2` are retired and
/// the legacy `/wc-api/v1..v3` is gone since WooCommerce 9.
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::WooCommerce,
    supported: &["wc/v3"],
    default: "wc/v3",
    scheme: VersionScheme::Numbered,
    why: "wc/v3 is the REST API of every supported WooCommerce; v1 and v2 are retired",
};
/// Most objects one `/batch` request may carry (create + update + delete together).
pub const MAX_BATCH: usize = 100;
/// Largest `per_page` a list endpoint accepts.
pub const MAX_PER_PAGE: usize = 100;
/// Weight unit of a store unless the endpoint's `weight_unit` option says otherwise
/// (WooCommerce → Settings → Products → Weight unit).
pub const DEFAULT_WEIGHT_UNIT: &str = "kg";
/// Order statuses the REST API accepts (plugins may add more).
pub const ORDER_STATUSES: [&str; 7] = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
];
/// The payment and fulfilment states each of [`ORDER_STATUSES`] stands for (same order), with
/// what a store owner should know when an order's states come back as these: WooCommerce has
/// one status per order, where the canonical order has a payment and a fulfilment state. Its
/// files and its REST API read and write statuses by this table.
pub const ORDER_STATUS_STATES: [(FinancialStatus, FulfillmentStatus, &str); 7] = [
    (
        FinancialStatus::Pending,
        FulfillmentStatus::Unfulfilled,
        "WooCommerce's `pending` (awaiting payment) has no fulfilment state: it reads back unfulfilled",
    ),
    (
        FinancialStatus::Paid,
        FulfillmentStatus::Unfulfilled,
        "WooCommerce's `processing` means paid and not yet shipped: partly paid, partly refunded and partly fulfilled orders are written so (refunds are not in the order file)",
    ),
    (
        FinancialStatus::Authorized,
        FulfillmentStatus::Unfulfilled,
        "WooCommerce's `on-hold` (payment to be confirmed) has no fulfilment state: it reads back unfulfilled",
    ),
    (
        FinancialStatus::Paid,
        FulfillmentStatus::Fulfilled,
        "WooCommerce's `completed` means paid and fulfilled: partly paid and partly refunded orders are written so (refunds are not in the order file)",
    ),
    (
        FinancialStatus::Voided,
        FulfillmentStatus::Cancelled,
        "WooCommerce's `cancelled` has no payment state: a cancelled order reads back voided, whatever it was paid",
    ),
    (
        FinancialStatus::Refunded,
        FulfillmentStatus::Fulfilled,
        "WooCommerce's `refunded` has no fulfilment state: a refunded order reads back fulfilled",
    ),
    (
        FinancialStatus::Voided,
        FulfillmentStatus::Unfulfilled,
        "WooCommerce's `failed` (the payment failed) has no fulfilment state: a voided order reads back unfulfilled",
    ),
];

/// The payment and fulfilment states a WooCommerce order status stands for (`wc-` prefix and
/// case aside); `None` for a status WooCommerce does not have.
pub fn order_status_states(status: &str) -> Option<(FinancialStatus, FulfillmentStatus)> {
    let s = status.trim().to_ascii_lowercase();
    let s = s.strip_prefix("wc-").unwrap_or(&s);
    let i = ORDER_STATUSES.iter().position(|n| *n == s)?;
    let (f, g, _) = ORDER_STATUS_STATES[i];
    Some((f, g))
}

/// The status an order with these states is written with. A cancelled order is `cancelled`
/// whatever was paid; a voided one `failed`; partly paid and partly refunded orders count as
/// paid, the nearest status WooCommerce has.
pub fn order_status(f: FinancialStatus, s: FulfillmentStatus) -> &'static str {
    use FinancialStatus as F;
    use FulfillmentStatus as S;
    match (f, s) {
        (_, S::Cancelled) => "cancelled",
        (F::Voided, _) => "failed",
        (F::Refunded, _) => "refunded",
        (F::Pending, _) => "pending",
        (F::Authorized, _) => "on-hold",
        (F::Paid | F::PartiallyPaid | F::PartiallyRefunded, S::Fulfilled) => "completed",
        (F::Paid | F::PartiallyPaid | F::PartiallyRefunded, _) => "processing",
    }
}

/// How an order's states come back from WooCommerce (see [`super::file_order_status`]).
pub fn order_status_round_trip(f: FinancialStatus, s: FulfillmentStatus) -> super::MappedStatus {
    let written = order_status(f, s);
    let i = ORDER_STATUSES
        .iter()
        .position(|n| *n == written)
        .unwrap_or_default();
    let (financial, fulfillment, why) = ORDER_STATUS_STATES[i];
    super::MappedStatus {
        written,
        financial,
        fulfillment,
        why,
    }
}

/// An order's `number` is read-only through the REST API (WooCommerce numbers orders by their
/// id); the source store's number travels in this meta key, the one storeshift looks orders
/// up by and reads back as the order's number.
pub const ORDER_NUMBER_META: &str = "storeshift_order_number";
/// The source's order date: `date_created` is read-only through the REST API.
pub const ORDER_CREATED_META: &str = "storeshift_created_at";
/// WordPress's own REST API root (pages), opened by an application password rather than the
/// WooCommerce consumer key.
pub const WP_API_BASE: &str = "/wp-json/wp/v2";

use super::cells::{Guard, ImportFile, Strips};

/// WooCommerce's CSV exporter puts `'` before values starting with `=`, `+`, `-` or `@`
/// (`WC_CSV_Exporter::escape_data`, woocommerce/woocommerce
/// `plugins/woocommerce/includes/export/abstract-wc-csv-exporter.php`, since 3.1); versions
/// from 7.x add tab and carriage return to the list. Applied to every column it exports.
pub const EXPORT_GUARD: Guard = Guard {
    mark: b'\'',
    triggers: b"=+-@\t\r",
    digits: false,
    always: &[],
};

/// The guard as WooCommerce's product importer understands it: `'=`, `'+`, `'-`, `'@` only
/// (`WC_Product_CSV_Importer::unescape_data`).
const IMPORT_GUARD: Guard = Guard {
    mark: b'\'',
    triggers: super::cells::FORMULA_TRIGGERS,
    digits: false,
    always: &[],
};

/// What reads each file the WooCommerce writers produce.
pub const IMPORT_FILES: &[ImportFile] = &[
    ImportFile {
        file: "products.csv",
        importer: "WooCommerce's product CSV importer (Products > Import)",
        guard: Some(IMPORT_GUARD),
        // Only the columns whose parse callback calls unescape_data: type and attribute values
        // (parse_comma_field), published, tax status, stock and low stock amount, the
        // dimensions (parse_float_field), tags, download limit and expiry (parse_int_field).
        // Name, SKU, descriptions, prices, categories, meta and the rest go through wc_clean /
        // parse_skip_field and keep a leading `'`.
        strips: Strips::Columns(&[
            "Type",
            "Published",
            "Tax status",
            "Stock",
            "Low stock amount",
            "Weight (*)",
            "Length (*)",
            "Width (*)",
            "Height (*)",
            "Tags",
            "Download limit",
            "Download expiry days",
            "Attribute * value(s)",
        ]),
        evidence: "woocommerce/woocommerce@0379e4ee plugins/woocommerce/includes/import/\
                   class-wc-product-csv-importer.php: get_formatting_callback() and the \
                   parse_*_field callbacks that call unescape_data()",
    },
    ImportFile {
        file: "customers.csv",
        importer: "Customer/Order/Coupon CSV Import Suite (SkyVerge), customer import",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "woocommerce-csv-import-suite 3.x includes/class-wc-csv-import-suite-parser.php \
                   format_data_from_csv() only trims; class-wc-csv-import-suite-customer-import.php \
                   update_customer_data() stores billing_phone through wc_clean(): `'+56 9 …` \
                   would be the customer's phone",
    },
    ImportFile {
        file: "orders.csv",
        importer: "Customer/Order/Coupon CSV Import Suite (SkyVerge), order import",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "woocommerce-csv-import-suite 3.x includes/class-wc-csv-import-suite-parser.php \
                   format_data_from_csv(): the same parser as its customer import, trim only",
    },
    ImportFile {
        file: "pages.csv",
        importer: "WP All Import (pages)",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "no guard handling documented for WP All Import; none written",
    },
    ImportFile {
        file: "categories.csv",
        importer: "none: the category list is for the operator, the product import creates \
                   the categories from each product's Categories column",
        guard: None,
        strips: Strips::Nowhere,
        evidence: "WooCommerce has no category importer",
    },
];

use crate::files::dates::Clock;

/// How WooCommerce's files write times: `2024-05-06T07:08:09`, a wall clock without a zone
/// (the export extensions print WordPress's `Y-m-d H:i:s`; the import plugins read either
/// with strtotime()).
pub const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
/// `order_date`: WooCommerce dates orders on the site's clock (WC_DateTime in the timezone of
/// Settings > General).
pub const ORDER_DATE_CLOCK: Clock = Clock::Store;
/// A page's `Date`: WordPress's `post_date`, the site's clock (`post_date_gmt` is the UTC one).
pub const POST_DATE_CLOCK: Clock = Clock::Store;
/// `date_registered`: WordPress's `user_registered`, which wp_insert_user() writes with
/// gmdate(): UTC.
pub const REGISTERED_CLOCK: Clock = Clock::Utc;
/// `marketing_updated_at`: a column of storeshift's own, written in UTC like the registration.
pub const MARKETING_DATE_CLOCK: Clock = Clock::Utc;
/// Why an order's customer currency does not reach WooCommerce: an order has one `currency`
/// (REST `currency`, the order CSV's `order_currency`), the amounts are in it, and nothing beside
/// it holds what the customer was charged in theirs.
pub const PRESENTMENT_NOT_CARRIED: &str =
    "a WooCommerce order has one currency: the amounts the customer paid in their own currency are not carried";

/// The note an order paid in another currency than the shop's gets, with what it loses.
pub fn presentment_not_carried(o: &Order, p: &Presentment) -> String {
    format!(
        "{PRESENTMENT_NOT_CARRIED}; written in {} (total {} {}), the customer paid {} {}",
        o.currency,
        o.totals.total.amount.normalize(),
        o.currency,
        p.totals.total.amount.normalize(),
        p.currency
    )
}

/// Fields WooCommerce's import files have no place for (see [`super::file_not_carried`]).
pub fn file_not_carried(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Products => &[
            ("attributes", "the product CSV has no column for other platforms' extra fields (metafields, store settings)"),
            ("created_at", "the product CSV has no creation date"),
            ("images[].alt", "the Images column holds URLs only: alt texts are not carried"),
            ("product_type", "WooCommerce products have no product type"),
            ("variants[].cost", "WooCommerce has no cost price"),
            ("status", "WooCommerce has no archived status: archived products arrive as drafts"),
        ],
        Entity::Customers => &[(
            "addresses[].phone",
            "the customer file has one phone, the billing phone, which is the customer's own",
        )],
        // What the order file (the Customer/Order/Coupon Export layout, files::woocommerce::
        // orders) has no column for.
        Entity::Orders => &[
            ("presentment", PRESENTMENT_NOT_CARRIED),
            ("tags", "the order file has no tags"),
            ("cancelled_at", "the order file has no cancellation date: a cancelled order has the status `cancelled`"),
            ("processed_at", "the order file has no payment date"),
            ("shipping_address.phone", "the order file has one phone, the billing phone"),
            ("line_items[].tax_lines", "the order file keeps a line's tax as one amount (total_tax), not as tax lines"),
            ("shipping_lines[].tax_lines", "the order file keeps shipping tax in the order's tax lines, not per shipping line"),
            ("transactions[].kind", "the order file has a payment method, not payments: one sale of the order total is read back"),
            ("transactions[].status", "the order file has a payment method, not payments: the payment's state is read from the order status"),
            ("transactions[].amount", "the order file has a payment method, not payments: one sale of the order total is read back"),
            ("transactions[].processed_at", "the order file has no payment date"),
        ],
        _ => &[],
    }
}

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "At the DNS provider: A (and AAAA) records for the apex and www pointing to the WordPress server's address.",
    "In WordPress: Settings → General → WordPress Address and Site Address set to https://DOMAIN (or WP_HOME / WP_SITEURL in wp-config.php).",
    "Install the TLS certificate for the domain on the server (e.g. Let's Encrypt) before the records switch.",
    "Purge page caches and the CDN so no page keeps the old addresses.",
];

/// A term's name as the store's owner typed it. WordPress keeps term names HTML-escaped
/// (`pre_term_name` runs `_wp_specialchars`: `&` `<` `>` become `&amp;` `&lt;` `&gt;`, and
/// an entity already there stays as it is), and the REST API answers them so: a category
/// named `Salt & Pepper` comes back as `Salt &amp; Pepper` (woocommerce/woocommerce#16250,
/// #27086, #40029), and so does the product CSV exporter (woocommerce/woocommerce#21910:
/// `Salt &amp; Pepper` in the Categories and Tags cells). The REST wire types and the file
/// readers decode through this one function, so every comparison and every record sees the
/// name itself.
pub fn term_name(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // An entity is at most a few characters up to its `;`; anything else is a plain `&`.
        let after = &rest[1..];
        let decoded = after
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| Some((entity(&after[..end])?, end + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity's name (between `&` and `;`) stands for: the ones WordPress writes
/// into term names, and numeric references (`&#039;`, `&#x2019;`).
fn entity(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some('\u{a0}'),
        _ => name.strip_prefix('#')?,
    };
    let n = match code.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => code.parse().ok()?,
    };
    char::from_u32(n)
}
