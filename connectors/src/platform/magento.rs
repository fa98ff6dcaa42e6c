//! Magento 2 facts: `/{url_key}.html` URLs, and the REST API's shape (`/rest/{store}/V1/`,
//! admin token then Bearer, `searchCriteria` paging that stops on `total_count` because a page
//! past the end repeats the last one).

use crate::model::Entity;

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
        file: "customer_composite.csv",
        importer: "Magento ImportExport (Customers and Addresses)",
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
