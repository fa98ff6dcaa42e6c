//! Ideasoft facts: storefront URLs `/urun/{slug}`, `/kategori/{slug}`, `/sayfa/{slug}` and
//! `/marka/{slug}` (ASCII slugs, Turkish letters transliterated), and the Admin API's shape:
//! `https://{store}.myideasoft.com/admin-api/...` with an OAuth2 bearer token from
//! `/oauth/v2/token` (the refresh token rotates at every renewal), list pages of 1-100 records
//! read by `sinceId` (1 or more, so the first page goes without it) with the total in a
//! `total_count` header,
//! prices as decimals in the product's currency (`price1`, with `discount`/`discountType`),
//! variants as child products (`parent`), at most 8 images per product uploaded as base64.
//!
//! The authority is Ideasoft's own Admin API document ("Ideashop API" 3.0.0, vendored as
//! `sandbox/specs/ideasoft-admin-api.openapi.json`); where it is silent or wrong,
//! `sandbox/specs/IDEASOFT-NOTES.md` says so with the evidence.

use super::versions::{ApiVersions, VersionScheme};
use super::Facts;
use crate::model::{Entity, Platform};

pub const FACTS: Facts = Facts {
    platform: Platform::Ideasoft,
    max_options: None,
    max_variants: None,
    max_handle_len: 255,
    ascii_handles: true,
};

pub fn url_path(entity: Entity, handle: &str) -> String {
    match entity {
        Entity::Categories => format!("/kategori/{handle}"),
        Entity::Pages => format!("/sayfa/{handle}"),
        _ => format!("/urun/{handle}"),
    }
}

/// The Admin API ("Ideashop API") is at 3.x, with no version in its paths; its own swagger
/// document says 3.0.0.
pub const API_VERSIONS: ApiVersions = ApiVersions {
    platform: Platform::Ideasoft,
    supported: &["3"],
    default: "3",
    scheme: VersionScheme::Numbered,
    why: "Ideasoft's Admin API is the Ideashop API 3.x; earlier ones are not served",
};

/// The Admin API: paths, limits and value sets.
pub mod api {
    /// Every Admin API path starts here, under the store's own domain.
    pub const PREFIX: &str = "/admin-api";
    /// OAuth2 token endpoint (authorization code and refresh token grants), on the store domain.
    pub const TOKEN_PATH: &str = "/oauth/v2/token";
    /// Largest `limit` a list request accepts.
    pub const MAX_LIMIT: usize = 100;
    /// Response header carrying the number of records the list filters match.
    pub const TOTAL_COUNT_HEADER: &str = "total_count";
    /// A product shows at most this many images (`sortOrder` 1-8).
    pub const MAX_IMAGES: usize = 8;
    /// `stockTypeLabel` values the API accepts; `Piece` (adet) is the default unit.
    pub const STOCK_TYPES: &[&str] = &[
        "Piece", "cm", "Dozen", "gram", "kg", "Person", "Package", "metre", "m2", "pair",
    ];
    /// `discountType`: 1 = the discount is a percentage of `price1`, 0 = an amount off it.
    pub const DISCOUNT_PERCENT: i64 = 1;
    pub const DISCOUNT_AMOUNT: i64 = 0;
    /// The standard KDV rate (percent) Turkish prices include since July 2023; a product's
    /// `tax` other than this is worth carrying.
    pub const STANDARD_KDV: i64 = 20;
    /// Member `status` values; `active` is the one a migrated customer gets.
    pub const MEMBER_STATUSES: &[&str] = &["queue", "active", "passive", "suspended"];
    /// Member `deviceType` values (the device the membership was made on).
    pub const MEMBER_DEVICE_TYPES: &[&str] = &["bilgisayar", "mobil"];
    /// Page `type` values.
    pub const PAGE_TYPES: &[&str] = &["page", "article"];
    /// Largest `sortOrder` of a category (pages and option groups take up to 9999).
    pub const MAX_CATEGORY_SORT_ORDER: i64 = 999;
    pub const MAX_SORT_ORDER: i64 = 9999;
    /// Longest `name`, `sku`, `slug`, `title` the document allows.
    pub const MAX_TEXT: usize = 255;
    /// Longest `shortDetails`.
    pub const MAX_SHORT_DETAILS: usize = 512;
    /// Longest phone numbers of a member.
    pub const MAX_PHONE: usize = 32;
    /// Query parameters every documented list endpoint takes.
    pub const LIST_PARAMS: &[&str] = &["sort", "limit", "page", "id", "ids", "sinceId", "q", "s"];

    /// The filters beyond [`LIST_PARAMS`] that the document gives each list endpoint storeshift
    /// uses (`GET /admin-api/{resource}`), copied from it.
    pub fn documented_filters(resource: &str) -> &'static [&'static str] {
        match resource {
            "products" => &[
                "parent",
                "brand",
                "category",
                "categoryIds",
                "midblock",
                "selfDistributor",
                "distributor",
                "specialty",
                "hasOption",
                "status",
                "specValue",
                "specName",
                "specGroup",
                "startCreatedAt",
                "endCreatedAt",
                "startUpdatedAt",
                "endUpdatedAt",
                "startCountDownDate",
                "endCountDownDate",
                "filterCurrency",
                "buttonType",
                "minPrice",
                "maxPrice",
                "criticalStock",
                "stockAmount",
                "stockExpr",
                "currency",
                "currencyExpr",
            ],
            "product_details" => &["product"],
            "categories" => &[
                "parent",
                "displayShowcaseContent",
                "displayShowcaseFooterContent",
                "distributor",
                "startCreatedAt",
                "endCreatedAt",
                "startUpdatedAt",
                "endUpdatedAt",
            ],
            "members" => &[
                "gender",
                "deviceType",
                "status",
                "kvkkStatus",
                "allowedToPhone",
                "allowedToCampaigns",
                "allowedToSms",
                "memberGroup",
                "startBirthDate",
                "endBirthDate",
                "birthDateType",
                "orderStatus",
                "iysStatus",
                "startAllowedToCampaignsUpdatedAt",
                "endAllowedToCampaignsUpdatedAt",
                "startAllowedToPhoneUpdatedAt",
                "endAllowedToPhoneUpdatedAt",
                "startAllowedToSmsUpdatedAt",
                "endAllowedToSmsUpdatedAt",
            ],
            "brands" => &[
                "distributor",
                "displayShowcaseContent",
                "displayShowcaseFooterContent",
            ],
            "orders" => &[
                "status",
                "paymentStatus",
                "paymentTypeName",
                "shippingProviderCode",
                "shippingCompany",
                "startCreatedAt",
                "endCreatedAt",
                "filterCurrency",
                "minPrice",
                "maxPrice",
                "member",
                "memberGroup",
                "billingFullname",
                "billingLocation",
                "customerFullname",
                "productName",
                "productId",
                "productSku",
                "shippingMobilePhoneNumber",
                "referrer",
                "deviceType",
                "paidFromCurrentAccount",
                "cardSavingSystem",
                "startShippingDate",
                "endShippingDate",
                "cargoTrackingCodeNonExisting",
                "couponCode",
                "couponUsage",
                "gatewayCode",
            ],
            "pages" => &[
                "type",
                "startCreatedAt",
                "endCreatedAt",
                "startUpdatedAt",
                "endUpdatedAt",
            ],
            "options" => &["optionGroup"],
            "countries" => &["status"],
            "locations" => &["status", "country", "region"],
            _ => &[],
        }
    }
}

/// Values the document requires on every record that a source store has no word for. Each is
/// what Ideasoft's own panel starts a new record with.
pub mod defaults {
    /// Prices include KDV, as Turkish shelf prices do.
    pub const TAX_INCLUDED: i64 = 1;
    /// 1: the store's shipping rules price the product (no per-product shipping cost).
    pub const CUSTOM_SHIPPING_DISABLED: i64 = 1;
    /// Percent off for payment by bank transfer (`moneyOrderDiscount`, 0-99).
    pub const MONEY_ORDER_DISCOUNT: i64 = 0;
    /// No gift comes with the product.
    pub const HAS_GIFT: i64 = 0;
    /// The category page shows the product the usual way.
    pub const CATEGORY_SHOWCASE_STATUS: i64 = 0;
    /// The stock unit when the source names none.
    pub const STOCK_TYPE: &str = "Piece";
    /// How a category's header and footer texts show (1 = above the products).
    pub const SHOWCASE_CONTENT_DISPLAY_TYPE: i64 = 1;
    /// A migrated category is an ordinary one, not a "kombin" (outfit) category.
    pub const IS_COMBINE: i64 = 0;
    /// A migrated page is a plain page, not listed in the storefront's page block.
    pub const PAGE_TYPE: &str = "page";
    pub const PAGE_BLOCK_STATUS: i64 = 0;
    /// The canonical page has no position: pages keep Ideasoft's first place.
    pub const PAGE_SORT_ORDER: i64 = 0;
    /// Option groups show in the storefront's filter menu, each on its own.
    pub const OPTION_GROUP_FILTER_STATUS: i64 = 1;
    pub const OPTION_GROUP_AGGREGATOR: i64 = 0;
    /// A migrated member can sign in at once.
    pub const MEMBER_STATUS: &str = "active";
    /// The device a migrated membership counts as made on (`deviceType`).
    pub const MEMBER_DEVICE_TYPE: &str = "bilgisayar";
    /// Country and city a member gets when the source has none (options `default_country`,
    /// `default_location` choose others): Ideasoft stores sell in Türkiye first.
    pub const DEFAULT_COUNTRY: &str = "TR";
    pub const DEFAULT_LOCATION: &str = "İstanbul";
}

/// Ideasoft names the Turkish lira `TL`; everything else by its ISO code.
pub fn currency_abbr(iso: &str) -> String {
    match iso.trim().to_ascii_uppercase().as_str() {
        "TRY" | "TRL" => "TL".to_string(),
        other => other.to_string(),
    }
}

/// The ISO 4217 code of an Ideasoft currency abbreviation (`TL` → `TRY`).
pub fn currency_iso(abbr: &str) -> String {
    match abbr.trim().to_ascii_uppercase().as_str() {
        "TL" | "YTL" => "TRY".to_string(),
        other => other.to_string(),
    }
}

/// How a domain is pointed at a store on this platform (the cutover's domain step, and the
/// rollback plan when this platform is the old store).
pub const DOMAIN_STEPS: &[&str] = &[
    "In the Ideasoft panel: the store's domain settings → add the domain as the store's main domain.",
    "At the DNS provider: the records the Ideasoft panel lists for the domain (A record for the apex, CNAME for www).",
    "Ideasoft issues the TLS certificate once the records resolve; check the storefront answers on https.",
];
