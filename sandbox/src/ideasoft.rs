//! An Ideasoft Admin API in memory: `/admin-api/{resource}` behind an OAuth2 bearer token,
//! plain JSON arrays for lists with the match count in a `total_count` header, `page`/`limit`
//! (1-100)/`sinceId`/`ids`/`sort`/`q[field]` filters, variants as child products, product
//! descriptions in their own `product_details` resource, Symfony/FOSRest-shaped errors and a
//! request window answered with 429 and `Retry-After` when spent.
//!
//! # Where each behaviour comes from
//!
//! Ideasoft's documentation (apidoc.ideasoft.dev) is not in the docs corpus; these public
//! repositories were read instead:
//!
//! - Base URL `https://{store}.myideasoft.com/admin-api`, Bearer auth, `limit` of 1-100,
//!   `GET {resource}/count`: Turkmen87ai/IdeaSoftApiIntegration `IdeaSoftApiClient/IdeaSoftClient.cs`,
//!   `Services/AdminResourceClient.cs`, `docs/ADMIN_STORE_API_REHBERI.md`;
//!   atillakesicioglu/ideasoft-api-docs `docs/AUTHENTICATION.md`.
//! - List parameters `sort` (`id` / `-id`), `limit`, `page`, `id`, `ids`, `sinceId`, `parent`,
//!   `brand`, `category`, `status`, `q[<parameter>]`: atillakesicioglu/ideasoft-api-docs
//!   `openapi/domains/admin-api/products.json` and `categories.json` (Product LIST, Category
//!   LIST); ysfkaya/ideasoft-api `src/RequestParameter.php` (`q[column]=term`, sort, sinceId).
//! - Lists are bare JSON arrays and the total arrives in the `total_count` header:
//!   ysfkaya/ideasoft-api `src/ResponseFormat.php`.
//! - Token endpoint `POST /oauth/v2/token` (form: `grant_type`, `client_id`, `client_secret`,
//!   `refresh_token` or `code`), answer `{access_token, refresh_token, expires_in, token_type,
//!   scope}`, refresh tokens rotate on every refresh: ysfkaya/ideasoft-api `src/OAuth.php`;
//!   Turkmen87ai `Authentication/IdeaSoftOAuthClient.cs` and `ideaSoftApi.md` (authorization
//!   code flow, `/panel/auth`, scopes such as `product_read`).
//! - Field names and value sets. Product: `name`, `slug`, `fullName`, `sku` ("unique like an
//!   id"), `barcode`, `price1`, `tax`, `stockAmount`, `buyingPrice`, `stockTypeLabel` (Piece, cm,
//!   Dozen, gram, kg, Person, Package, metre, m2, pair), `discount` + `discountType`, `status`
//!   (1/0), `taxIncluded`, `hasOption` (set by the API), `pageTitle`, `metaDescription`,
//!   `searchKeywords`, `shortDetails`, `brand`, `currency`, `parent` ("the main product" — a
//!   variant is a child product), `images`, `categories`. Category: `name`, `slug`, `sortOrder`,
//!   `status`, `parent`, `pageTitle`, `metaDescription`, `showcaseContent`. Member:
//!   `firstname`, `surname`, `email`, `phoneNumber`, `mobilePhoneNumber`, `address`,
//!   `district`, `zipCode`, `location`, `country`, `status` (queue/active/passive/suspended),
//!   `allowedToCampaigns` (1/0). Product image: `filename`, `extension`, `sortOrder` (one of 8),
//!   `attachment` (base64 data URI, POST only), `product`. Sources: the generated models
//!   `Models/Idea/{Product,Category,Member,Brand,ProductImage}.cs` of a public Ymltekstil
//!   IdeaSoft server (found by `find_string`), Turkmen87ai `Models/{Product,Member}.cs`, and a
//!   product POST body (`name, sku, stockAmount, price1, currency{id}, discountType,
//!   taxIncluded, stockTypeLabel, customShippingDisabled, status`) in a public React Native
//!   client. Image URLs on reads (`originalUrl`, `thumbUrl`) and the product image POST body:
//!   alpsungurk/ideasoft_api_p `server.js`. Variants listed flat next to their parents, with
//!   `parent.id`: the Ymltekstil `ProductsController.cs`.
//! - Orders: `transactionId`, `customerFirstname`, `customerSurname`, `customerEmail`,
//!   `customerPhone`, `status`, `paymentStatus`, `paymentTypeName`, `currency`,
//!   `generalAmount`, `finalAmount`, `shippingAmount`, `shippingProviderName` and `orderItems`
//!   (`productName`, `productSku`, `productPrice`, `productCurrency`, `productQuantity`,
//!   `productTax`, `productDiscount`, `discount`): Turkmen87ai `Models/{Order,OrderItem}.cs`.
//! - Pages (`/admin-api/pages`): `title`, `slug`, `content`, `status`, `sortOrder`, `type`,
//!   `pageTitle`, `metaDescription`: Turkmen87ai `Models/Page.cs`.
//! - Product descriptions live in `/admin-api/product_details` (`details`, `extraDetails`,
//!   `product`), one per product, a second POST failing as a duplicate: alpsungurk
//!   `server.js` / `api/db/*` (it POSTs details and treats "duplicate" as already there).
//! - Errors: 401/403/404/422/429 meanings from atillakesicioglu `docs/AUTHENTICATION.md`;
//!   OAuth errors `{error, error_description}` and API errors read from `message` /
//!   `errorMessage` / `errors` in Turkmen87ai `ApiErrorParser.cs` and alpsungurk `server.js`.
//!   429 honours `Retry-After` (Turkmen87ai `IdeaSoftClient.cs`).
//!
//! # Where the sources disagree or are silent, and what was chosen
//!
//! - Token grant: the community mirror shows `client_credentials`; every client that talks to
//!   a real store uses the authorization code and refresh token grants. The sandbox serves the
//!   refresh token grant (and rotates the refresh token); an access token can also be given
//!   directly.
//! - Error body: not shown anywhere. The operation descriptions (`cgetAction`, `postAction`)
//!   and the `/oauth/v2/token` path are those of Symfony's FOSRestBundle and
//!   FOSOAuthServerBundle, so errors take their shapes: `{"code": 400, "message": "Validation
//!   Failed", "errors": {"children": {field: {"errors": [...]}}}}`, `{"code", "message"}`
//!   otherwise, `{"error", "error_description"}` for OAuth.
//! - `q[field]`: documented only as `q[<valid query parameter>]`; here it is an exact match on
//!   the field (`q[sku]`, `q[slug]`, `q[email]`, `q[name]`).
//! - Filters by parent record: `products?parent={id}` is documented (Product LIST);
//!   `product_details?product={id}` follows the same naming, the sources being silent.
//! - `limit` above 100 or below 1: clients refuse it; here it is a 400.
//! - `discountType` 0: the field's example says "an amount off" (5 TL), its value list says
//!   "discounted price"; the example is followed (`price = price1 - discount`).
//! - Rate limit: only "429 = rate limit" is documented. The sandbox counts requests in a
//!   window (600 per minute by default) and announces it in `X-RateLimit-Limit`,
//!   `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds).
//! - Variant option values: silent. A variant carries `options: [{title, optionGroup:
//!   {title}}]` (Ideasoft's option and option group resources are named so); its `name` is the
//!   values joined, as the Ymltekstil controller expects.
//! - Orders: `member`, `couponDiscount`, the address objects (`firstname`, `surname`,
//!   `address`, `subLocation`, `location`, `country`, `zipCode`, `phoneNumber`) and the value
//!   sets of `status` (waiting_for_approval, approved, being_prepared, fulfilled, delivered,
//!   cancelled, refunded) and `paymentStatus` (waiting, success, failed, refunded) are not in
//!   the sources read; they are chosen to match the panel's wording. `productTax` is read as
//!   the KDV rate included in `productPrice`. Orders are served for reading only.
//! - A product's categories: the current models show `categories` on the product, an older
//!   SDK `productToCategories`, and alpsungurk links them through `/product_to_categories`.
//!   The sandbox takes and shows `categories: [{id}]` on the product.
//! - Deleting a product deletes its variants and its details (silent; a shop panel does so).
//!   Deleting a category that has subcategories is refused (silent; the safer reading).
//! - Product images cannot be created from a URL (base64 only), so the sandbox's product
//!   bodies treat `images` as read-only; seeded products carry them.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

use super::{lock, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use storeshift_connectors::model::Platform;
use storeshift_connectors::platform::ideasoft::api::{
    MAX_IMAGES, MAX_LIMIT, MEMBER_STATUSES, PREFIX, STOCK_TYPES, TOKEN_PATH, TOTAL_COUNT_HEADER,
};
use storeshift_connectors::platform::normalize_handle;

#[derive(Debug, Clone)]
pub struct IdeasoftConfig {
    /// The access token that works from the start.
    pub access_token: String,
    pub client_id: String,
    pub client_secret: String,
    /// The refresh token that works from the start (rotated on every refresh).
    pub refresh_token: String,
    /// API requests one access token may make before it expires (`None`: it never does).
    pub token_ttl_requests: Option<u64>,
    /// Requests allowed per window.
    pub quota: u32,
    pub window_ms: u64,
}

impl Default for IdeasoftConfig {
    fn default() -> Self {
        IdeasoftConfig {
            access_token: "ideasoft_sandbox_token".into(),
            client_id: "ideasoft_sandbox_client".into(),
            client_secret: "ideasoft_sandbox_secret".into(),
            refresh_token: "ideasoft_sandbox_refresh".into(),
            token_ttl_requests: None,
            quota: 600,
            window_ms: 60_000,
        }
    }
}

/// The resources the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Products,
    Details,
    Categories,
    Members,
    Brands,
    Currencies,
    Orders,
    Pages,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "products" => Kind::Products,
            "product_details" => Kind::Details,
            "categories" => Kind::Categories,
            "members" => Kind::Members,
            "brands" => Kind::Brands,
            "currencies" => Kind::Currencies,
            "orders" => Kind::Orders,
            "pages" => Kind::Pages,
            _ => return None,
        })
    }
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    products: BTreeMap<u64, Value>,
    details: BTreeMap<u64, Value>,
    categories: BTreeMap<u64, Value>,
    members: BTreeMap<u64, Value>,
    brands: BTreeMap<u64, Value>,
    currencies: BTreeMap<u64, Value>,
    orders: BTreeMap<u64, Value>,
    pages: BTreeMap<u64, Value>,
}

impl Store {
    fn table(&self, k: Kind) -> &BTreeMap<u64, Value> {
        match k {
            Kind::Products => &self.products,
            Kind::Details => &self.details,
            Kind::Categories => &self.categories,
            Kind::Members => &self.members,
            Kind::Brands => &self.brands,
            Kind::Currencies => &self.currencies,
            Kind::Orders => &self.orders,
            Kind::Pages => &self.pages,
        }
    }

    fn table_mut(&mut self, k: Kind) -> &mut BTreeMap<u64, Value> {
        match k {
            Kind::Products => &mut self.products,
            Kind::Details => &mut self.details,
            Kind::Categories => &mut self.categories,
            Kind::Members => &mut self.members,
            Kind::Brands => &mut self.brands,
            Kind::Currencies => &mut self.currencies,
            Kind::Orders => &mut self.orders,
            Kind::Pages => &mut self.pages,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

#[derive(Debug)]
struct Auth {
    /// Valid access tokens and the API requests each has made.
    access: HashMap<String, u64>,
    refresh: String,
    issued: u64,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    used: u32,
}

struct Inner {
    config: IdeasoftConfig,
    store: Mutex<Store>,
    auth: Mutex<Auth>,
    window: Mutex<Window>,
    created: CreationLog,
    limited: Mutex<u64>,
}

#[derive(Clone)]
pub struct IdeasoftSandbox {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

/// `{"code", "message"}`, as FOSRestBundle words an error.
fn fos_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "code": status.as_u16(), "message": message })),
    )
        .into_response()
}

/// A 400 naming each refused field with Symfony's validator messages.
fn validation(errors: &[(String, String)]) -> Response {
    let mut children = Map::new();
    for (field, msg) in errors {
        if let Some(list) = children
            .entry(field.clone())
            .or_insert_with(|| json!({ "errors": [] }))["errors"]
            .as_array_mut()
        {
            list.push(json!(msg));
        }
    }
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": 400, "message": "Validation Failed", "errors": { "children": children } })),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

const BLANK: &str = "This value should not be blank.";
const TAKEN: &str = "This value is already used.";
const INVALID: &str = "This value is not valid.";

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn ref_id(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(|r| r.get("id")).and_then(Value::as_u64)
}

fn as_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl IdeasoftSandbox {
    pub fn new(config: IdeasoftConfig) -> Self {
        let mut access = HashMap::new();
        access.insert(config.access_token.clone(), 0);
        let mut store = Store::default();
        for (abbr, label) in [("TL", "Türk Lirası"), ("USD", "Dolar"), ("EUR", "Euro")] {
            let id = store.id();
            store.currencies.insert(
                id,
                json!({ "id": id, "label": label, "abbr": abbr, "isPrimary": if abbr == "TL" { 1 } else { 0 }, "status": 1 }),
            );
        }
        IdeasoftSandbox {
            inner: Arc::new(Inner {
                auth: Mutex::new(Auth {
                    access,
                    refresh: config.refresh_token.clone(),
                    issued: 0,
                }),
                config,
                store: Mutex::new(store),
                window: Mutex::new(Window {
                    start: Instant::now(),
                    used: 0,
                }),
                created: CreationLog::default(),
                limited: Mutex::new(0),
            }),
            faults: Arc::new(Faults::default()),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route(
                &format!("{PREFIX}/{{resource}}"),
                get(list_records).post(create_record),
            )
            .route(
                &format!("{PREFIX}/{{resource}}/{{id}}"),
                get(get_record).put(update_record).delete(delete_record),
            )
            .route(TOKEN_PATH, post(token))
            .route(&format!("{CONTROL_PREFIX}/state"), get(control_state))
            .with_state(self.clone());
        with_faults(
            api,
            self.faults.clone(),
            |status| json!({ "code": status.as_u16(), "message": status.canonical_reason().unwrap_or("Error") }),
        )
    }

    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve(self.router(), port).await
    }

    pub fn config(&self) -> &IdeasoftConfig {
        &self.inner.config
    }

    pub fn creation_log(&self) -> &CreationLog {
        &self.inner.created
    }

    /// Main products (variants not counted).
    pub fn product_count(&self) -> usize {
        lock(&self.inner.store)
            .products
            .values()
            .filter(|p| p["parent"].is_null())
            .count()
    }

    pub fn variant_count(&self) -> usize {
        lock(&self.inner.store)
            .products
            .values()
            .filter(|p| !p["parent"].is_null())
            .count()
    }

    pub fn category_count(&self) -> usize {
        lock(&self.inner.store).categories.len()
    }

    pub fn member_count(&self) -> usize {
        lock(&self.inner.store).members.len()
    }

    /// Requests refused because the window was spent.
    pub fn rate_limited(&self) -> u64 {
        *lock(&self.inner.limited)
    }

    /// A hash of everything a client can change: equal before and after a rolled-back run.
    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        let v = json!({ "p": s.products, "d": s.details, "c": s.categories, "m": s.members, "b": s.brands, "o": s.orders, "pg": s.pages });
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// A brand the store owner set up (products refer to brands by id).
    pub fn add_brand(&self, name: &str) -> u64 {
        let mut s = lock(&self.inner.store);
        if let Some((id, _)) = s.brands.iter().find(|(_, b)| text(b, "name") == name) {
            return *id;
        }
        let id = s.id();
        let slug = normalize_handle(Platform::Ideasoft, name);
        s.brands.insert(
            id,
            json!({ "id": id, "name": name, "slug": slug, "sortOrder": 0, "status": 1, "createdAt": now(), "updatedAt": now() }),
        );
        id
    }

    fn add_category(&self, name: &str, parent: Option<u64>) -> u64 {
        let mut s = lock(&self.inner.store);
        let input = json!({ "name": name, "status": 1, "sortOrder": 0, "parent": parent.map(|p| json!({ "id": p })),
                            "pageTitle": name, "metaDescription": format!("{name} ürünleri"), "showcaseContent": format!("<p>{name}</p>") });
        match create_in(&self.inner, &mut s, Kind::Categories, &input) {
            Ok(c) => c["id"].as_u64().unwrap_or(0),
            Err(_) => s
                .categories
                .values()
                .find(|c| text(c, "name") == name && ref_id(c, "parent") == parent)
                .and_then(|c| c["id"].as_u64())
                .unwrap_or(0),
        }
    }

    /// A category tree, two brands and `n` products: every third with four variants (Renk ×
    /// Beden), each with a description, two images and a discount of one of both kinds.
    pub fn seed_catalog(&self, n: usize) {
        let giyim = self.add_category("Giyim", None);
        let kadin = self.add_category("Kadın", Some(giyim));
        let erkek = self.add_category("Erkek", Some(giyim));
        let aksesuar = self.add_category("Aksesuar", None);
        let brands = [
            self.add_brand("Anadolu Tekstil"),
            self.add_brand("Ege Deri"),
        ];
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let cats: Vec<Value> = match i % 3 {
                0 => vec![json!({ "id": kadin })],
                1 => vec![json!({ "id": erkek }), json!({ "id": aksesuar })],
                _ => vec![json!({ "id": aksesuar })],
            };
            let (discount, discount_type) = match i % 4 {
                0 => (5.0, 0),
                1 => (10.0, 1),
                _ => (0.0, 0),
            };
            let input = json!({
                "name": format!("Örgü Kazak {i}"), "sku": format!("IS-{i}"), "barcode": format!("869000{i:04}"),
                "price1": 100.0 + i as f64 + 0.5, "discount": discount, "discountType": discount_type,
                "buyingPrice": 40.0 + i as f64, "tax": 20, "taxIncluded": 1,
                "stockAmount": (i % 7) as f64, "stockTypeLabel": "Piece", "status": if i % 6 == 5 { 0 } else { 1 },
                "currency": { "id": 1 }, "brand": { "id": brands[i % 2] }, "categories": cats,
                "pageTitle": format!("Örgü Kazak {i} | Mağaza"), "metaDescription": format!("Sıcak tutan kazak {i}"),
                "searchKeywords": "kazak,kış", "customShippingDisabled": 1,
            });
            let Ok(p) = create_in(&self.inner, &mut s, Kind::Products, &input) else {
                continue;
            };
            let pid = p["id"].as_u64().unwrap_or(0);
            let images: Vec<Value> = (1..=2)
                .map(|k| {
                    let id = pid * 100 + k;
                    json!({ "id": id, "filename": format!("orgu-kazak-{i}-{k}"), "extension": "jpg", "directoryName": "urun",
                            "revision": "1", "sortOrder": k, "alt": format!("Kazak {i} görsel {k}"),
                            "originalUrl": format!("https://cdn.example.com/ideasoft/{i}-{k}.jpg"),
                            "thumbUrl": format!("https://cdn.example.com/ideasoft/thumb/{i}-{k}.jpg") })
                })
                .collect();
            if let Some(stored) = s.products.get_mut(&pid) {
                stored["images"] = json!(images);
            }
            let _ = create_in(
                &self.inner,
                &mut s,
                Kind::Details,
                &json!({ "product": { "id": pid }, "details": format!("<p>Yün karışımlı kazak {i}.</p>"), "extraDetails": "" }),
            );
            if i % 3 == 0 {
                for (color, code) in [("Kırmızı", "KIR"), ("Lacivert", "LAC")] {
                    for size in ["S", "M"] {
                        let v = json!({
                            "name": format!("{color} - {size}"), "sku": format!("IS-{i}-{code}-{size}"),
                            "price1": 100.0 + i as f64 + 0.5, "discount": discount, "discountType": discount_type,
                            "stockAmount": 3.0, "stockTypeLabel": "Piece", "status": 1, "tax": 20, "taxIncluded": 1,
                            "currency": { "id": 1 }, "parent": { "id": pid },
                            "options": [ { "optionGroup": { "title": "Renk" }, "title": color },
                                         { "optionGroup": { "title": "Beden" }, "title": size } ],
                        });
                        let _ = create_in(&self.inner, &mut s, Kind::Products, &v);
                    }
                }
            }
        }
    }

    /// `n` members, every other one allowing campaign e-mails.
    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let m = json!({
                "email": format!("uye{i}@example.com"), "firstname": format!("Ayşe{i}"), "surname": "Yılmaz",
                "phoneNumber": format!("0212 555 00 {i:02}"), "mobilePhoneNumber": format!("0532 555 00 {i:02}"),
                "allowedToCampaigns": (i % 2) as u64, "status": "active",
                "address": format!("Atatürk Cad. No:{i}"), "district": "Kadıköy", "zipCode": "34710",
                "location": { "id": 34, "name": "İstanbul" }, "country": { "id": 1, "name": "Türkiye", "code": "TR" },
            });
            let _ = create_in(&self.inner, &mut s, Kind::Members, &m);
        }
    }

    /// Files product `index` (0-based, in creation order) under a category id nobody has —
    /// the dangling link an interrupted panel edit can leave.
    pub fn link_missing_category(&self, index: usize) {
        let mut s = lock(&self.inner.store);
        let missing = s.next_id + 1_000;
        if let Some(p) = s
            .products
            .values_mut()
            .filter(|p| p["parent"].is_null())
            .nth(index)
        {
            if let Some(cs) = p["categories"].as_array_mut() {
                cs.push(json!({ "id": missing }));
            }
        }
    }

    /// `n` content pages, the last one unpublished.
    pub fn seed_pages(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let page = json!({
                "title": format!("Kargo ve İade {i}"), "content": format!("<p>Siparişler {i} iş gününde kargoda.</p>"),
                "status": if i + 1 == n { 0 } else { 1 }, "sortOrder": i, "type": "page",
                "pageTitle": format!("Kargo {i}"), "metaDescription": format!("Kargo ve iade koşulları {i}"),
            });
            let _ = create_in(&self.inner, &mut s, Kind::Pages, &page);
        }
    }

    /// `n` orders of seeded members and products, every fourth one cancelled, lira prices
    /// with 20 % KDV included.
    pub fn seed_orders(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let qty = (i % 3 + 1) as f64;
            let price = 150.0 + i as f64;
            let shipping = if i % 2 == 0 { 29.9 } else { 0.0 };
            let coupon = if i % 5 == 0 { 10.0 } else { 0.0 };
            let (status, payment) = match i % 4 {
                0 => ("cancelled", "failed"),
                1 => ("delivered", "success"),
                2 => ("being_prepared", "success"),
                _ => ("waiting_for_approval", "waiting"),
            };
            let address = json!({ "firstname": format!("Ayşe{i}"), "surname": "Yılmaz", "address": format!("Atatürk Cad. No:{i}"),
                                  "subLocation": "Kadıköy", "location": "İstanbul", "country": "Türkiye", "zipCode": "34710",
                                  "phoneNumber": format!("0532 555 00 {i:02}") });
            let id = s.id();
            let general = price * qty;
            s.orders.insert(id, json!({
                "id": id, "transactionId": format!("IS{:06}", 1000 + i), "customerFirstname": format!("Ayşe{i}"),
                "customerSurname": "Yılmaz", "customerEmail": format!("uye{i}@example.com"), "customerPhone": format!("0532 555 00 {i:02}"),
                "status": status, "paymentStatus": payment, "paymentTypeName": "Kredi Kartı", "currency": "TL",
                "generalAmount": general, "shippingAmount": shipping, "couponDiscount": coupon,
                "finalAmount": general + shipping - coupon, "shippingProviderName": "Yurtiçi Kargo",
                "member": { "id": i + 1 }, "billingAddress": address, "shippingAddress": address,
                "orderItems": [{ "id": id * 10 + 1, "productName": format!("Örgü Kazak {i}"), "productSku": format!("IS-{i}"),
                                 "productPrice": price, "productCurrency": "TL", "productQuantity": qty, "productTax": 20,
                                 "productDiscount": 0, "discount": 0 }],
                "createdAt": format!("2026-10-{:02}T10:00:00+03:00", i % 28 + 1), "updatedAt": now(),
            }));
        }
    }

    /// Checks the bearer token and counts the request against the window. Returns the rate
    /// headers to put on the reply.
    fn admit(&self, headers: &HeaderMap) -> Result<HeaderMap, Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        {
            let mut auth = lock(&self.inner.auth);
            let ttl = self.inner.config.token_ttl_requests;
            match auth.access.get_mut(token) {
                None => {
                    return Err(oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_grant",
                        "The access token provided is invalid.",
                    ))
                }
                Some(used) if ttl.is_some_and(|t| *used >= t) => {
                    return Err(oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_grant",
                        "The access token provided has expired.",
                    ))
                }
                Some(used) => *used += 1,
            }
        }
        let cfg = &self.inner.config;
        let mut w = lock(&self.inner.window);
        let now = Instant::now();
        if now.duration_since(w.start).as_millis() as u64 >= cfg.window_ms {
            w.start = now;
            w.used = 0;
        }
        let reset_ms = cfg
            .window_ms
            .saturating_sub(now.duration_since(w.start).as_millis() as u64);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from(cfg.quota));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from(reset_ms.div_ceil(1000)),
        );
        if w.used >= cfg.quota {
            *lock(&self.inner.limited) += 1;
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert("retry-after", HeaderValue::from(reset_ms.div_ceil(1000)));
            let mut r = fos_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests, please slow down.",
            );
            r.headers_mut().extend(h);
            return Err(r);
        }
        w.used += 1;
        h.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(cfg.quota - w.used),
        );
        Ok(h)
    }
}

fn with_headers(h: HeaderMap, mut r: Response) -> Response {
    r.headers_mut().extend(h);
    r
}

/// Runs a handler body after authentication and rate accounting.
macro_rules! admitted {
    ($sb:expr, $headers:expr) => {
        match $sb.admit(&$headers) {
            Ok(h) => h,
            Err(r) => return r,
        }
    };
}

async fn control_state(State(sb): State<IdeasoftSandbox>) -> Json<Value> {
    Json(json!({
        "products": sb.product_count(), "variants": sb.variant_count(), "categories": sb.category_count(),
        "members": sb.member_count(), "pages": lock(&sb.inner.store).pages.len(),
        "duplicates": sb.creation_log().duplicates(),
        "requests": sb.faults.requests(), "rate_limited": sb.rate_limited(),
    }))
}

async fn token(
    State(sb): State<IdeasoftSandbox>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let cfg = &sb.inner.config;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("client_id") != cfg.client_id || field("client_secret") != cfg.client_secret {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "The client credentials are invalid",
        );
    }
    if field("grant_type") != "refresh_token" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only the refresh_token grant is served by this sandbox; get the first tokens through /panel/auth",
        );
    }
    let mut auth = lock(&sb.inner.auth);
    if field("refresh_token") != auth.refresh {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid refresh token",
        );
    }
    auth.issued += 1;
    let access = format!("{}-{}", cfg.access_token, auth.issued);
    auth.refresh = format!("{}-{}", cfg.refresh_token, auth.issued);
    auth.access.insert(access.clone(), 0);
    Json(json!({ "access_token": access, "expires_in": 86400, "token_type": "bearer",
                 "scope": "product_read product_create product_update product_delete category_read category_create category_update category_delete member_read member_create member_update member_delete",
                 "refresh_token": auth.refresh }))
    .into_response()
}

/// What a record looks like on the wire: references expanded the way the API shows them.
fn render(s: &Store, k: Kind, v: &Value) -> Value {
    let mut out = v.clone();
    match k {
        Kind::Products => {
            if let Some(id) = ref_id(v, "currency") {
                out["currency"] = s.currencies.get(&id).cloned().unwrap_or(Value::Null);
            }
            if let Some(id) = ref_id(v, "brand") {
                out["brand"] = s.brands.get(&id).cloned().unwrap_or(Value::Null);
            }
            if let Some(id) = ref_id(v, "parent") {
                out["parent"] = s
                    .products
                    .get(&id)
                    .map(|p| json!({ "id": id, "name": p["name"], "slug": p["slug"], "sku": p["sku"] }))
                    .unwrap_or(Value::Null);
            }
            let cats: Vec<Value> = v["categories"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_u64())
                // A link to a category that is gone shows as its bare id.
                .map(|id| match s.categories.get(&id) {
                    Some(c) => render(s, Kind::Categories, c),
                    None => json!({ "id": id }),
                })
                .collect();
            out["categories"] = json!(cats);
        }
        Kind::Categories => {
            if let Some(id) = ref_id(v, "parent") {
                out["parent"] = s
                    .categories
                    .get(&id)
                    .map(|p| render(s, Kind::Categories, p))
                    .unwrap_or(Value::Null);
            }
            out["hasChildren"] = json!(if s
                .categories
                .values()
                .any(|c| ref_id(c, "parent") == v["id"].as_u64())
            {
                "1"
            } else {
                "0"
            });
        }
        Kind::Details => {
            if let Some(id) = ref_id(v, "product") {
                out["product"] = s
                    .products
                    .get(&id)
                    .map(|p| json!({ "id": id, "name": p["name"], "sku": p["sku"] }))
                    .unwrap_or(Value::Null);
            }
        }
        _ => {}
    }
    out
}

fn matches(k: Kind, v: &Value, q: &HashMap<String, String>) -> bool {
    let id = v["id"].as_u64().unwrap_or(0);
    let num = |key: &str| q.get(key).and_then(|x| x.trim().parse::<u64>().ok());
    if let Some(since) = num("sinceId") {
        if id <= since {
            return false;
        }
    }
    if let Some(want) = num("id") {
        if id != want {
            return false;
        }
    }
    if let Some(ids) = q.get("ids") {
        if !ids
            .split(',')
            .any(|x| x.trim().parse::<u64>().ok() == Some(id))
        {
            return false;
        }
    }
    let refs: &[&str] = match k {
        Kind::Products => &["parent", "brand"],
        Kind::Categories => &["parent"],
        Kind::Details => &["product"],
        _ => &[],
    };
    for r in refs {
        if let Some(want) = num(r) {
            if ref_id(v, r) != Some(want) {
                return false;
            }
        }
    }
    if k == Kind::Products {
        if let Some(want) = num("category") {
            let has = v["categories"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["id"].as_u64() == Some(want)));
            if !has {
                return false;
            }
        }
    }
    if let Some(status) = q.get("status") {
        if v["status"].to_string().trim_matches('"') != status.trim() {
            return false;
        }
    }
    for (key, want) in q {
        let Some(field) = key.strip_prefix("q[").and_then(|r| r.strip_suffix(']')) else {
            continue;
        };
        let have = match &v[field] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let equal = if field == "email" {
            have.eq_ignore_ascii_case(want.trim())
        } else {
            have == *want
        };
        if !equal {
            return false;
        }
    }
    true
}

fn parse_limit(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let limit = match q.get("limit") {
        None => 20,
        Some(l) => match l.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(fos_error(
                    StatusCode::BAD_REQUEST,
                    &format!("limit must be a number between 1 and {MAX_LIMIT}; got \"{l}\""),
                ))
            }
        },
    };
    let page = match q.get("page") {
        None => 1,
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(fos_error(
                    StatusCode::BAD_REQUEST,
                    &format!("page must be a number from 1; got \"{p}\""),
                ))
            }
        },
    };
    Ok((limit, page))
}

fn unknown_resource(resource: &str) -> Response {
    fos_error(
        StatusCode::NOT_FOUND,
        &format!("No route found for \"{PREFIX}/{resource}\""),
    )
}

type Q = Query<HashMap<String, String>>;

async fn list_records(
    State(sb): State<IdeasoftSandbox>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = admitted!(sb, headers);
    let Some(k) = Kind::parse(&resource) else {
        return with_headers(h, unknown_resource(&resource));
    };
    let (limit, page) = match parse_limit(&q) {
        Ok(x) => x,
        Err(r) => return with_headers(h, r),
    };
    let s = lock(&sb.inner.store);
    let mut items: Vec<&Value> = s.table(k).values().filter(|v| matches(k, v, &q)).collect();
    if q.get("sort").map(|x| x.trim()) == Some("-id") {
        items.reverse();
    }
    let total = items.len();
    let page_items: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|v| render(&s, k, v))
        .collect();
    drop(s);
    let mut r = Json(page_items).into_response();
    r.headers_mut()
        .insert(TOTAL_COUNT_HEADER, HeaderValue::from(total));
    with_headers(h, r)
}

async fn get_record(
    State(sb): State<IdeasoftSandbox>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let h = admitted!(sb, headers);
    let Some(k) = Kind::parse(&resource) else {
        return with_headers(h, unknown_resource(&resource));
    };
    let s = lock(&sb.inner.store);
    if id == "count" {
        let n = s.table(k).values().filter(|v| matches(k, v, &q)).count();
        return with_headers(h, Json(json!({ "count": n })).into_response());
    }
    let r = match id.parse::<u64>().ok().and_then(|i| s.table(k).get(&i)) {
        Some(v) => Json(render(&s, k, v)).into_response(),
        None => not_found(k, &id),
    };
    with_headers(h, r)
}

fn not_found(k: Kind, id: &str) -> Response {
    let what = match k {
        Kind::Products => "Product",
        Kind::Details => "ProductDetail",
        Kind::Categories => "Category",
        Kind::Members => "Member",
        Kind::Brands => "Brand",
        Kind::Currencies => "Currency",
        Kind::Orders => "Order",
        Kind::Pages => "Page",
    };
    fos_error(
        StatusCode::NOT_FOUND,
        &format!("{what} object not found by the @ParamConverter annotation (id {id})."),
    )
}

/// Currencies are set up in the shop panel; orders come from checkouts (the sandbox serves
/// them for reading only).
fn read_only(k: Kind) -> Option<Response> {
    match k {
        Kind::Currencies => Some(fos_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Currencies are managed in the shop panel.",
        )),
        Kind::Orders => Some(fos_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "This sandbox serves orders for reading only.",
        )),
        _ => None,
    }
}

fn parse_body(body: &[u8]) -> Result<Value, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(fos_error(
            StatusCode::BAD_REQUEST,
            "The request body must be one JSON object.",
        )),
        Err(e) => Err(fos_error(
            StatusCode::BAD_REQUEST,
            &format!("Invalid json message received: {e}"),
        )),
    }
}

async fn create_record(
    State(sb): State<IdeasoftSandbox>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = admitted!(sb, headers);
    let Some(k) = Kind::parse(&resource) else {
        return with_headers(h, unknown_resource(&resource));
    };
    if let Some(r) = read_only(k) {
        return with_headers(h, r);
    }
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return with_headers(h, r),
    };
    let mut s = lock(&sb.inner.store);
    let r = match create_in(&sb.inner, &mut s, k, &input) {
        Ok(v) => (StatusCode::CREATED, Json(render(&s, k, &v))).into_response(),
        Err(r) => r,
    };
    with_headers(h, r)
}

async fn update_record(
    State(sb): State<IdeasoftSandbox>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = admitted!(sb, headers);
    let Some(k) = Kind::parse(&resource) else {
        return with_headers(h, unknown_resource(&resource));
    };
    if let Some(r) = read_only(k) {
        return with_headers(h, r);
    }
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return with_headers(h, r),
    };
    let mut s = lock(&sb.inner.store);
    let Some(existing) = id
        .parse::<u64>()
        .ok()
        .and_then(|i| s.table(k).get(&i).cloned())
    else {
        return with_headers(h, not_found(k, &id));
    };
    let num_id = existing["id"].as_u64().unwrap_or(0);
    let mut merged = existing.clone();
    merge(&mut merged, &input);
    let r = match validate(&s, k, &mut merged, Some(num_id)) {
        Ok(()) => {
            merged["updatedAt"] = json!(now());
            s.table_mut(k).insert(num_id, merged.clone());
            Json(render(&s, k, &merged)).into_response()
        }
        Err(r) => r,
    };
    with_headers(h, r)
}

async fn delete_record(
    State(sb): State<IdeasoftSandbox>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let h = admitted!(sb, headers);
    let Some(k) = Kind::parse(&resource) else {
        return with_headers(h, unknown_resource(&resource));
    };
    let mut s = lock(&sb.inner.store);
    let Some(num_id) = id
        .parse::<u64>()
        .ok()
        .filter(|i| s.table(k).contains_key(i))
    else {
        return with_headers(h, not_found(k, &id));
    };
    match k {
        Kind::Products => {
            let mut gone = vec![num_id];
            gone.extend(
                s.products
                    .values()
                    .filter(|p| ref_id(p, "parent") == Some(num_id))
                    .filter_map(|p| p["id"].as_u64()),
            );
            let parent = s.products.get(&num_id).and_then(|p| ref_id(p, "parent"));
            for g in &gone {
                s.products.remove(g);
            }
            s.details
                .retain(|_, d| ref_id(d, "product").is_none_or(|p| !gone.contains(&p)));
            if let Some(pid) = parent {
                refresh_has_option(&mut s, pid);
            }
        }
        Kind::Categories => {
            if s.categories
                .values()
                .any(|c| ref_id(c, "parent") == Some(num_id))
            {
                return with_headers(
                    h,
                    fos_error(
                        StatusCode::BAD_REQUEST,
                        "The category has subcategories; delete or move them first.",
                    ),
                );
            }
            s.categories.remove(&num_id);
            for p in s.products.values_mut() {
                if let Some(cs) = p["categories"].as_array_mut() {
                    cs.retain(|c| c["id"].as_u64() != Some(num_id));
                }
            }
        }
        Kind::Currencies | Kind::Orders => {
            if let Some(r) = read_only(k) {
                return with_headers(h, r);
            }
        }
        _ => {
            s.table_mut(k).remove(&num_id);
        }
    }
    with_headers(h, StatusCode::NO_CONTENT.into_response())
}

/// PUT semantics: the fields sent replace the stored ones; read-only fields stay.
fn merge(stored: &mut Value, input: &Value) {
    if let Some(o) = input.as_object() {
        for (key, v) in o {
            if matches!(
                key.as_str(),
                "id" | "createdAt"
                    | "updatedAt"
                    | "hasOption"
                    | "fullName"
                    | "images"
                    | "hasChildren"
            ) {
                continue;
            }
            stored[key] = v.clone();
        }
    }
}

fn refresh_has_option(s: &mut Store, parent: u64) {
    let has = s
        .products
        .values()
        .any(|p| ref_id(p, "parent") == Some(parent));
    if let Some(p) = s.products.get_mut(&parent) {
        p["hasOption"] = json!(if has { 1 } else { 0 });
    }
}

fn unique_slug(table: &BTreeMap<u64, Value>, base: &str, except: Option<u64>) -> String {
    let taken = |slug: &str| {
        table
            .iter()
            .any(|(id, v)| Some(*id) != except && text(v, "slug") == slug)
    };
    let base = if base.is_empty() { "kayit" } else { base };
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or_else(|| base.to_string())
}

fn create_in(inner: &Inner, s: &mut Store, k: Kind, input: &Value) -> Result<Value, Response> {
    let mut v = json!({});
    merge(&mut v, input);
    validate(s, k, &mut v, None)?;
    let id = s.id();
    v["id"] = json!(id);
    v["createdAt"] = json!(now());
    v["updatedAt"] = json!(now());
    let key = match k {
        Kind::Products => {
            v["hasOption"] = json!(0);
            if v["images"].is_null() {
                v["images"] = json!([]);
            }
            match ref_id(&v, "parent") {
                Some(_) => ("variants", text(&v, "sku").to_string()),
                None => ("products", text(&v, "slug").to_string()),
            }
        }
        Kind::Details => (
            "product_details",
            ref_id(&v, "product").unwrap_or(0).to_string(),
        ),
        Kind::Categories => ("categories", text(&v, "slug").to_string()),
        Kind::Members => ("members", text(&v, "email").to_ascii_lowercase()),
        Kind::Brands => ("brands", text(&v, "slug").to_string()),
        Kind::Currencies => ("currencies", text(&v, "abbr").to_string()),
        Kind::Orders => ("orders", text(&v, "transactionId").to_string()),
        Kind::Pages => ("pages", text(&v, "slug").to_string()),
    };
    inner.created.record(key.0, &key.1);
    s.table_mut(k).insert(id, v.clone());
    if k == Kind::Products {
        if let Some(pid) = ref_id(&v, "parent") {
            refresh_has_option(s, pid);
        }
    }
    Ok(v)
}

/// Checks a record as it will be stored (`id` = `None` on create) and fills the fields the
/// API computes (slug, fullName, defaults).
fn validate(s: &Store, k: Kind, v: &mut Value, id: Option<u64>) -> Result<(), Response> {
    let mut errs: Vec<(String, String)> = vec![];
    let mut err = |f: &str, m: &str| errs.push((f.to_string(), m.to_string()));
    match k {
        Kind::Products => {
            let name = text(v, "name").trim().to_string();
            if name.is_empty() {
                err("name", BLANK);
            }
            let sku = text(v, "sku").trim().to_string();
            if sku.is_empty() {
                err("sku", BLANK);
            } else if s
                .products
                .iter()
                .any(|(pid, p)| Some(*pid) != id && text(p, "sku") == sku)
            {
                err("sku", TAKEN);
            }
            match v.get("price1").map(as_num) {
                None | Some(None) => err("price1", BLANK),
                Some(Some(p)) if p < 0.0 => {
                    err("price1", "This value should be greater than or equal to 0.")
                }
                _ => {}
            }
            if let Some(d) = v.get("discount").filter(|d| !d.is_null()) {
                if as_num(d).is_none_or(|d| d < 0.0) {
                    err(
                        "discount",
                        "This value should be greater than or equal to 0.",
                    );
                }
            }
            if !matches!(
                v.get("discountType").and_then(as_num),
                None | Some(0.0) | Some(1.0)
            ) {
                err(
                    "discountType",
                    "The value you selected is not a valid choice.",
                );
            }
            if !matches!(
                v.get("status").and_then(as_num),
                None | Some(0.0) | Some(1.0)
            ) {
                err("status", "The value you selected is not a valid choice.");
            }
            let unit = text(v, "stockTypeLabel").to_string();
            if unit.is_empty() {
                v["stockTypeLabel"] = json!("Piece");
            } else if !STOCK_TYPES.contains(&unit.as_str()) {
                err(
                    "stockTypeLabel",
                    "The value you selected is not a valid choice.",
                );
            }
            match ref_id(v, "currency") {
                Some(c) if s.currencies.contains_key(&c) => {}
                _ => err("currency", INVALID),
            }
            if let Some(b) = ref_id(v, "brand") {
                if !s.brands.contains_key(&b) {
                    err("brand", INVALID);
                }
            }
            for c in v["categories"].as_array().into_iter().flatten() {
                if c["id"]
                    .as_u64()
                    .is_none_or(|c| !s.categories.contains_key(&c))
                {
                    err("categories", INVALID);
                }
            }
            let parent = ref_id(v, "parent");
            let parent_name = match parent {
                Some(pid) => match s.products.get(&pid) {
                    Some(p) if p["parent"].is_null() && Some(pid) != id => {
                        Some(text(p, "name").to_string())
                    }
                    _ => {
                        err("parent", INVALID);
                        None
                    }
                },
                None => None,
            };
            if v["images"].as_array().is_some_and(|a| a.len() > MAX_IMAGES) {
                err("images", "A product can have at most 8 images.");
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            v["fullName"] = json!(match &parent_name {
                Some(p) => format!("{p} {name}"),
                None => name.clone(),
            });
            let given = text(v, "slug").trim().to_string();
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "fullName"));
                v["slug"] = json!(unique_slug(&s.products, &base, id));
            } else if s
                .products
                .iter()
                .any(|(pid, p)| Some(*pid) != id && text(p, "slug") == given)
            {
                return Err(validation(&[("slug".into(), TAKEN.into())]));
            }
            if v.get("status").is_none() {
                v["status"] = json!(1);
            }
        }
        Kind::Details => {
            match ref_id(v, "product") {
                Some(p) if s.products.contains_key(&p) => {
                    if s.details
                        .iter()
                        .any(|(did, d)| Some(*did) != id && ref_id(d, "product") == Some(p))
                    {
                        err("product", "This value is already used. (duplicate entry)");
                    }
                }
                _ => err("product", INVALID),
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
        }
        Kind::Categories => {
            if text(v, "name").trim().is_empty() {
                err("name", BLANK);
            }
            if let Some(p) = ref_id(v, "parent") {
                if !s.categories.contains_key(&p) || Some(p) == id {
                    err("parent", INVALID);
                }
            }
            if !matches!(
                v.get("status").and_then(as_num),
                None | Some(0.0) | Some(1.0)
            ) {
                err("status", "The value you selected is not a valid choice.");
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            let given = text(v, "slug").trim().to_string();
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "name"));
                v["slug"] = json!(unique_slug(&s.categories, &base, id));
            } else if s
                .categories
                .iter()
                .any(|(cid, c)| Some(*cid) != id && text(c, "slug") == given)
            {
                return Err(validation(&[("slug".into(), TAKEN.into())]));
            }
            if v.get("status").is_none() {
                v["status"] = json!(1);
            }
        }
        Kind::Members => {
            let email = text(v, "email").trim().to_ascii_lowercase();
            let valid = email
                .split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
            if email.is_empty() {
                err("email", BLANK);
            } else if !valid {
                err("email", "This value is not a valid email address.");
            } else if s
                .members
                .iter()
                .any(|(mid, m)| Some(*mid) != id && text(m, "email").eq_ignore_ascii_case(&email))
            {
                err("email", TAKEN);
            }
            for f in ["firstname", "surname"] {
                if text(v, f).trim().is_empty() {
                    err(f, BLANK);
                }
            }
            let status = text(v, "status").to_string();
            if status.is_empty() {
                v["status"] = json!("active");
            } else if !MEMBER_STATUSES.contains(&status.as_str()) {
                err("status", "The value you selected is not a valid choice.");
            }
            if !matches!(
                v.get("allowedToCampaigns").and_then(as_num),
                None | Some(0.0) | Some(1.0)
            ) {
                err(
                    "allowedToCampaigns",
                    "The value you selected is not a valid choice.",
                );
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            v["email"] = json!(email);
        }
        Kind::Brands => {
            if text(v, "name").trim().is_empty() {
                return Err(validation(&[("name".into(), BLANK.into())]));
            }
            if text(v, "slug").is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "name"));
                v["slug"] = json!(unique_slug(&s.brands, &base, id));
            }
        }
        Kind::Pages => {
            if text(v, "title").trim().is_empty() {
                err("title", BLANK);
            }
            if !matches!(
                v.get("status").and_then(as_num),
                None | Some(0.0) | Some(1.0)
            ) {
                err("status", "The value you selected is not a valid choice.");
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            let given = text(v, "slug").trim().to_string();
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "title"));
                v["slug"] = json!(unique_slug(&s.pages, &base, id));
            } else if s
                .pages
                .iter()
                .any(|(pid, p)| Some(*pid) != id && text(p, "slug") == given)
            {
                return Err(validation(&[("slug".into(), TAKEN.into())]));
            }
            if v.get("status").is_none() {
                v["status"] = json!(1);
            }
        }
        Kind::Currencies | Kind::Orders => {}
    }
    Ok(())
}

/// Starts a seeded sandbox for `storeshift sandbox ideasoft`; the line says which credentials
/// it takes.
pub async fn launch(opts: &super::LaunchOptions) -> std::io::Result<(Running, String)> {
    let sb = IdeasoftSandbox::new(IdeasoftConfig::default());
    sb.seed_catalog(opts.seed_products);
    sb.seed_customers(opts.seed_customers);
    sb.seed_orders(opts.seed_customers);
    sb.seed_pages(3);
    let c = sb.config();
    let creds = format!(
        "Ideasoft sandbox: bearer token {} (or client {} secret {} refresh token {})",
        c.access_token, c.client_id, c.client_secret, c.refresh_token
    );
    Ok((sb.start(opts.port).await?, creds))
}
