//! An Ideasoft Admin API in memory, answering as Ideasoft's own API document ("Ideashop API"
//! 3.0.0, vendored as `sandbox/specs/ideasoft-admin-api.openapi.json`) says, and only
//! as it says: `/admin-api/{resource}` behind an OAuth2 bearer token, lists as bare JSON arrays
//! with the match count in a `total_count` header, the documented list parameters of each
//! endpoint (`sort`, `limit` 1-100, `page` ≥ 1, `id`, `ids`, `sinceId` ≥ 1, the search key `s`,
//! `q[param]` for a documented parameter, and each endpoint's own filters), the fields each
//! schema requires enforced with a 422 naming them, variants as child products whose options
//! are option groups and options, product descriptions in `product_details`, and a request
//! window answered with 429 and `Retry-After` when spent.
//!
//! A query parameter the document does not list for an endpoint is refused with a 400 naming
//! it, and so is one the document lists but this sandbox does not implement: a client can
//! never rely on a filter the real store would ignore.
//!
//! Where the document is silent or wrong, and what this sandbox does there, is written down
//! once, with the evidence, in `sandbox/specs/IDEASOFT-NOTES.md`. In short: the
//! token grant, the error bodies (Symfony FOSRest / FOSOAuthServer shapes), which fields `s`
//! searches (products: name, full name, SKU, barcode, slug; members: names, e-mail; pages:
//! title, slug; categories, brands, option groups, options, countries, locations: name or
//! title and slug or code), the rate-limit headers, and the order value sets used by seeds.

// Handlers return ready axum responses as their errors; they are built once per request.
#![allow(clippy::result_large_err)]

use super::{lock, script, serve, with_faults, CreationLog, Faults, Running, CONTROL_PREFIX};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storeshift_connectors::model::Platform;
use storeshift_connectors::platform::ideasoft::api::{
    documented_filters, LIST_PARAMS, MAX_CATEGORY_SORT_ORDER, MAX_IMAGES, MAX_LIMIT,
    MAX_SORT_ORDER, MAX_TEXT, MEMBER_DEVICE_TYPES, MEMBER_STATUSES, PAGE_TYPES, PREFIX,
    STOCK_TYPES, TOKEN_PATH, TOTAL_COUNT_HEADER,
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
    OptionGroups,
    Options,
    Countries,
    Locations,
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
            "option_groups" => Kind::OptionGroups,
            "options" => Kind::Options,
            "countries" => Kind::Countries,
            "locations" => Kind::Locations,
            _ => return None,
        })
    }

    fn resource(self) -> &'static str {
        match self {
            Kind::Products => "products",
            Kind::Details => "product_details",
            Kind::Categories => "categories",
            Kind::Members => "members",
            Kind::Brands => "brands",
            Kind::Currencies => "currencies",
            Kind::Orders => "orders",
            Kind::Pages => "pages",
            Kind::OptionGroups => "option_groups",
            Kind::Options => "options",
            Kind::Countries => "countries",
            Kind::Locations => "locations",
        }
    }

    /// The filters beyond the common ones that this sandbox implements (a subset of what the
    /// document lists for the endpoint).
    fn implemented(self) -> &'static [&'static str] {
        match self {
            Kind::Products => &[
                "parent",
                "brand",
                "category",
                "hasOption",
                "status",
                "startUpdatedAt",
                "endUpdatedAt",
            ],
            Kind::Details => &["product"],
            Kind::Categories => &["parent", "startUpdatedAt", "endUpdatedAt"],
            Kind::Members => &["status"],
            Kind::Orders => &["status", "paymentStatus", "member"],
            Kind::Pages => &["type", "startUpdatedAt", "endUpdatedAt"],
            Kind::Options => &["optionGroup"],
            Kind::Countries => &["status"],
            Kind::Locations => &["country", "status"],
            Kind::Brands | Kind::Currencies | Kind::OptionGroups => &[],
        }
    }

    /// Fields the search key `s` looks in (the document does not say; see the notes).
    fn searched(self) -> &'static [&'static str] {
        match self {
            Kind::Products => &["name", "fullName", "sku", "barcode", "slug"],
            Kind::Members => &["firstname", "surname", "email"],
            Kind::Pages => &["title", "slug"],
            Kind::Categories | Kind::Brands => &["name", "slug"],
            Kind::OptionGroups | Kind::Options => &["title", "slug"],
            Kind::Countries => &["name", "code"],
            Kind::Locations => &["name"],
            Kind::Currencies => &["label", "abbr"],
            Kind::Orders => &["transactionId", "customerEmail"],
            Kind::Details => &["sku"],
        }
    }

    /// Whether clients may create, change and delete these records.
    fn writable(self) -> bool {
        !matches!(self, Kind::Currencies | Kind::Orders | Kind::Countries)
    }
}

#[derive(Debug, Default)]
struct Store {
    next_id: u64,
    tables: HashMap<&'static str, BTreeMap<u64, Value>>,
    /// When each category was last saved: `/categories` filters on `updatedAt` although the
    /// `Category` schema has no such field, so the time is kept here and never shown.
    category_saved: HashMap<u64, String>,
}

impl Store {
    fn table(&self, k: Kind) -> &BTreeMap<u64, Value> {
        static EMPTY: BTreeMap<u64, Value> = BTreeMap::new();
        self.tables.get(k.resource()).unwrap_or(&EMPTY)
    }

    fn table_mut(&mut self, k: Kind) -> &mut BTreeMap<u64, Value> {
        self.tables.entry(k.resource()).or_default()
    }

    fn get(&self, k: Kind, id: u64) -> Option<&Value> {
        self.table(k).get(&id)
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
    /// Refresh tokens already spent (a second use is refused and counted).
    spent: Vec<String>,
    issued: u64,
    spent_attempts: u64,
    /// Requests bearing a token issued by a renewal are held while this is set.
    hold_new: bool,
    held: u64,
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
    ttl: Mutex<Option<u64>>,
    refreshes: AtomicU64,
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

/// A 422 naming each refused field with Symfony's validator messages (the document: "422:
/// the object sent has a problem, usually a validation one").
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
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "code": 422, "message": "Validation Failed", "errors": { "children": children } })),
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
const CHOICE: &str = "The value you selected is not a valid choice.";

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
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Search text compared without case.
fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

impl IdeasoftSandbox {
    pub fn new(config: IdeasoftConfig) -> Self {
        let mut access = HashMap::new();
        access.insert(config.access_token.clone(), 0);
        let mut store = Store::default();
        for (abbr, label) in [("TL", "Türk Lirası"), ("USD", "Dolar"), ("EUR", "Euro")] {
            let id = store.id();
            store.table_mut(Kind::Currencies).insert(
                id,
                json!({ "id": id, "label": label, "abbr": abbr, "buyingPrice": 1.0, "sellingPrice": 1.0,
                        "isPrimary": i64::from(abbr == "TL"), "status": 1, "permissionStatus": 1, "isEffective": 0,
                        "updatedAt": now() }),
            );
        }
        let region = json!({ "id": 1, "name": "Türkiye" });
        let mut country_ids = HashMap::new();
        for (code, name) in [
            ("TR", "Türkiye"),
            ("DE", "Almanya"),
            ("US", "Amerika Birleşik Devletleri"),
            ("GB", "Birleşik Krallık"),
        ] {
            let id = store.id();
            country_ids.insert(code, id);
            store.table_mut(Kind::Countries).insert(
                id,
                json!({ "id": id, "name": name, "code": code, "status": 1 }),
            );
        }
        for (code, city) in [
            ("TR", "İstanbul"),
            ("TR", "Ankara"),
            ("TR", "İzmir"),
            ("TR", "Bursa"),
            ("TR", "Antalya"),
            ("DE", "Berlin"),
            ("US", "New York"),
            ("GB", "London"),
        ] {
            let id = store.id();
            let country = country_ids[code];
            store.table_mut(Kind::Locations).insert(
                id,
                json!({ "id": id, "name": city, "status": 1, "country": { "id": country }, "region": region }),
            );
        }
        IdeasoftSandbox {
            inner: Arc::new(Inner {
                auth: Mutex::new(Auth {
                    access,
                    refresh: config.refresh_token.clone(),
                    spent: vec![],
                    issued: 0,
                    spent_attempts: 0,
                    hold_new: false,
                    held: 0,
                }),
                ttl: Mutex::new(config.token_ttl_requests),
                config,
                store: Mutex::new(store),
                window: Mutex::new(Window {
                    start: Instant::now(),
                    used: 0,
                }),
                created: CreationLog::default(),
                limited: Mutex::new(0),
                refreshes: AtomicU64::new(0),
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
            .route(&format!("{CONTROL_PREFIX}/tokens"), post(control_tokens))
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
            .table(Kind::Products)
            .values()
            .filter(|p| p["parent"].is_null())
            .count()
    }

    pub fn variant_count(&self) -> usize {
        lock(&self.inner.store)
            .table(Kind::Products)
            .values()
            .filter(|p| !p["parent"].is_null())
            .count()
    }

    pub fn category_count(&self) -> usize {
        lock(&self.inner.store).table(Kind::Categories).len()
    }

    pub fn member_count(&self) -> usize {
        lock(&self.inner.store).table(Kind::Members).len()
    }

    pub fn option_group_count(&self) -> usize {
        lock(&self.inner.store).table(Kind::OptionGroups).len()
    }

    pub fn option_count(&self) -> usize {
        lock(&self.inner.store).table(Kind::Options).len()
    }

    /// A stored record as the API shows it (for tests).
    pub fn record(&self, resource: &str, id: u64) -> Option<Value> {
        let k = Kind::parse(resource)?;
        let s = lock(&self.inner.store);
        s.get(k, id).map(|v| render(&s, k, v))
    }

    /// Requests refused because the window was spent.
    pub fn rate_limited(&self) -> u64 {
        *lock(&self.inner.limited)
    }

    /// Refresh grants answered with new tokens.
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::SeqCst)
    }

    /// Refresh grants that sent a refresh token already spent.
    pub fn spent_refresh_attempts(&self) -> u64 {
        lock(&self.inner.auth).spent_attempts
    }

    /// The refresh token that works now.
    pub fn current_refresh_token(&self) -> String {
        lock(&self.inner.auth).refresh.clone()
    }

    /// Makes every access token expire after `n` more requests (`None`: never).
    pub fn set_token_ttl(&self, n: Option<u64>) {
        *lock(&self.inner.ttl) = n;
    }

    /// Forgets every access token issued so far: the next request must renew.
    pub fn expire_access_tokens(&self) {
        lock(&self.inner.auth).access.clear();
    }

    /// A hash of everything a client can change: equal before and after a rolled-back run.
    pub fn fingerprint(&self) -> String {
        let s = lock(&self.inner.store);
        // A table made on first use and emptied again is no change.
        let mut names: Vec<&&str> = s
            .tables
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(n, _)| n)
            .collect();
        names.sort();
        let v: Vec<Value> = names
            .into_iter()
            .map(|n| json!([n, s.tables[*n]]))
            .collect();
        blake3::hash(Value::Array(v).to_string().as_bytes())
            .to_hex()
            .to_string()
    }

    /// A brand the store owner set up (products refer to brands by id).
    pub fn add_brand(&self, name: &str) -> u64 {
        let mut s = lock(&self.inner.store);
        if let Some((id, _)) = s
            .table(Kind::Brands)
            .iter()
            .find(|(_, b)| text(b, "name") == name)
        {
            return *id;
        }
        let id = s.id();
        let slug = normalize_handle(Platform::Ideasoft, name);
        s.table_mut(Kind::Brands).insert(
            id,
            json!({ "id": id, "name": name, "slug": slug, "sortOrder": 0, "status": 1,
                    "displayShowcaseContent": 0, "displayShowcaseFooterContent": 0,
                    "createdAt": now(), "updatedAt": now() }),
        );
        id
    }

    fn add(&self, s: &mut Store, k: Kind, input: Value) -> Option<u64> {
        create_in(&self.inner, s, k, &input, true)
            .ok()
            .and_then(|v| v["id"].as_u64())
    }

    fn add_category(&self, name: &str, parent: Option<u64>) -> u64 {
        let mut s = lock(&self.inner.store);
        let input = json!({ "name": name, "status": 1, "sortOrder": 0, "parent": parent.map(|p| json!({ "id": p })),
                            "displayShowcaseContent": 1, "showcaseContentDisplayType": 1, "displayShowcaseFooterContent": 0,
                            "showcaseFooterContentDisplayType": 1, "isCombine": 0,
                            "pageTitle": name, "metaDescription": format!("{name} ürünleri"), "showcaseContent": format!("<p>{name}</p>") });
        self.add(&mut s, Kind::Categories, input).unwrap_or(0)
    }

    /// An option group and its options, as a store owner sets them up.
    fn add_options(&self, s: &mut Store, title: &str, values: &[&str]) -> (u64, Vec<u64>) {
        let gid = self
            .add(
                s,
                Kind::OptionGroups,
                json!({ "title": title, "sortOrder": 0, "filterStatus": 1, "aggregator": 0, "options": [] }),
            )
            .unwrap_or(0);
        let ids = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                self.add(
                    s,
                    Kind::Options,
                    json!({ "title": v, "sortOrder": i, "optionGroup": { "id": gid } }),
                )
            })
            .collect();
        (gid, ids)
    }

    /// An option group with its options, as a store owner sets them up before a migration.
    pub fn add_option_group(&self, title: &str, values: &[&str]) -> u64 {
        let mut s = lock(&self.inner.store);
        self.add_options(&mut s, title, values).0
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
        let (renk, colors) = self.add_options(&mut s, "Renk", &["Kırmızı", "Lacivert"]);
        let (beden, sizes) = self.add_options(&mut s, "Beden", &["S", "M"]);
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
            let common = json!({
                "price1": 100.0 + i as f64 + 0.5, "discount": discount, "discountType": discount_type,
                "tax": 20, "taxIncluded": 1, "stockTypeLabel": "Piece", "currency": { "id": 1 },
                "customShippingDisabled": 1, "moneyOrderDiscount": 0, "hasGift": 0, "categoryShowcaseStatus": 0,
            });
            let mut input = json!({
                "name": format!("Örgü Kazak {i}"), "sku": format!("IS-{i}"), "barcode": format!("869000{i:04}"),
                "buyingPrice": 40.0 + i as f64, "stockAmount": (i % 7) as f64, "status": if i % 6 == 5 { 0 } else { 1 },
                "brand": { "id": brands[i % 2] }, "categories": cats,
                "pageTitle": format!("Örgü Kazak {i} | Mağaza"), "metaDescription": format!("Sıcak tutan kazak {i}"),
                "searchKeywords": "kazak,kış",
            });
            merge(&mut input, &common);
            let Some(pid) = self.add(&mut s, Kind::Products, input) else {
                continue;
            };
            let images: Vec<Value> = (1..=2)
                .map(|k| {
                    let id = pid * 100 + k;
                    json!({ "id": id, "filename": format!("orgu-kazak-{i}-{k}"), "extension": "jpg", "sortOrder": k,
                            "originalUrl": format!("https://cdn.example.com/ideasoft/{i}-{k}.jpg"),
                            "thumbUrl": format!("https://cdn.example.com/ideasoft/thumb/{i}-{k}.jpg") })
                })
                .collect();
            if let Some(stored) = s.table_mut(Kind::Products).get_mut(&pid) {
                stored["images"] = json!(images);
            }
            self.add(
                &mut s,
                Kind::Details,
                json!({ "product": { "id": pid }, "sku": format!("IS-{i}"), "details": format!("<p>Yün karışımlı kazak {i}.</p>"), "extraDetails": "" }),
            );
            if i % 3 == 0 {
                for (c, (color, code)) in
                    [("Kırmızı", "KIR"), ("Lacivert", "LAC")].iter().enumerate()
                {
                    for (z, size) in ["S", "M"].iter().enumerate() {
                        let mut v = json!({
                            "name": format!("{color} - {size}"), "sku": format!("IS-{i}-{code}-{size}"),
                            "stockAmount": 3.0, "status": 1, "parent": { "id": pid },
                            "optionGroups": [
                                { "id": renk, "options": [ { "id": colors[c] } ] },
                                { "id": beden, "options": [ { "id": sizes[z] } ] },
                            ],
                        });
                        merge(&mut v, &common);
                        self.add(&mut s, Kind::Products, v);
                    }
                }
            }
        }
    }

    /// `n` members, every other one allowing campaign e-mails.
    pub fn seed_customers(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        let istanbul = s
            .table(Kind::Locations)
            .values()
            .find(|l| text(l, "name") == "İstanbul")
            .and_then(|l| l["id"].as_u64())
            .unwrap_or(0);
        let turkey = s
            .table(Kind::Countries)
            .values()
            .find(|c| text(c, "code") == "TR")
            .and_then(|c| c["id"].as_u64())
            .unwrap_or(0);
        for i in 0..n {
            let m = json!({
                "email": format!("uye{i}@example.com"), "firstname": format!("Ayşe{i}"), "surname": "Yılmaz",
                "password": format!("sandbox-password-{i}"),
                "phoneNumber": format!("0212 555 00 {i:02}"), "mobilePhoneNumber": format!("0532 555 00 {i:02}"),
                "allowedToCampaigns": (i % 2) as u64, "allowedToSms": 0, "allowedToPhone": 0, "status": "active",
                "deviceType": "bilgisayar",
                "address": format!("Atatürk Cad. No:{i}"), "district": "Kadıköy", "zipCode": "34710",
                "location": { "id": istanbul }, "country": { "id": turkey },
            });
            self.add(&mut s, Kind::Members, m);
        }
    }

    /// Files product `index` (0-based, in creation order) under a category id nobody has —
    /// the dangling link an interrupted panel edit can leave.
    pub fn link_missing_category(&self, index: usize) {
        let mut s = lock(&self.inner.store);
        let missing = s.next_id + 1_000;
        if let Some(p) = s
            .table_mut(Kind::Products)
            .values_mut()
            .filter(|p| p["parent"].is_null())
            .nth(index)
        {
            if let Some(cs) = p["categories"].as_array_mut() {
                cs.push(json!({ "id": missing }));
            }
        }
    }

    /// Two products with the same slug, as a store that imported a spreadsheet twice can hold
    /// them (the API itself refuses a taken slug; a database import does not ask).
    pub fn add_duplicate_slug(&self, slug: &str, name: &str) -> Vec<u64> {
        let mut s = lock(&self.inner.store);
        let mut ids = vec![];
        for n in 0..2 {
            let id = s.id();
            s.table_mut(Kind::Products).insert(
                id,
                json!({ "id": id, "name": name, "fullName": name, "slug": slug, "sku": format!("DUP-{id}-{n}"),
                        "stockAmount": 1, "price1": 10.0, "currency": { "id": 1 }, "discountType": 0, "moneyOrderDiscount": 0,
                        "taxIncluded": 1, "stockTypeLabel": "Piece", "customShippingDisabled": 1, "hasGift": 0, "status": 1,
                        "hasOption": 0, "categoryShowcaseStatus": 0, "categories": [], "images": [],
                        "createdAt": now(), "updatedAt": now() }),
            );
            ids.push(id);
        }
        ids
    }

    /// `n` content pages, the last one unpublished.
    pub fn seed_pages(&self, n: usize) {
        let mut s = lock(&self.inner.store);
        for i in 0..n {
            let page = json!({
                "title": format!("Kargo ve İade {i}"), "content": format!("<p>Siparişler {i} iş gününde kargoda.</p>"),
                "status": if i + 1 == n { 0 } else { 1 }, "sortOrder": i, "type": "page", "blockStatus": 0,
                "pageTitle": format!("Kargo {i}"), "metaDescription": format!("Kargo ve iade koşulları {i}"),
            });
            self.add(&mut s, Kind::Pages, page);
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
                _ => ("waiting_for_approval", "in_transaction"),
            };
            let address = json!({ "firstname": format!("Ayşe{i}"), "surname": "Yılmaz", "address": format!("Atatürk Cad. No:{i}"),
                                  "subLocation": "Kadıköy", "location": "İstanbul", "country": "Türkiye", "zipCode": "34710",
                                  "mobilePhoneNumber": format!("0532 555 00 {i:02}") });
            let mut billing = address.clone();
            billing["invoiceType"] = json!("individual");
            let id = s.id();
            let general = price * qty;
            let tax = (general * 20.0 / 120.0 * 100.0).round() / 100.0;
            let mut order = json!({
                "id": id, "transactionId": format!("IS{:06}", 1000 + i), "customerFirstname": format!("Ayşe{i}"),
                "customerSurname": "Yılmaz", "customerEmail": format!("uye{i}@example.com"), "customerPhone": format!("0532 555 00 {i:02}"),
                "status": status, "paymentStatus": payment, "paymentTypeName": "Kredi Kartı",
                "paymentProviderCode": "iyzico", "paymentProviderName": "iyzico", "paymentGatewayCode": "iyzico", "paymentGatewayName": "iyzico",
                "currency": "TL", "currencyRates": "{}", "amount": general - tax, "taxAmount": tax, "totalCustomTaxAmount": 0,
                "promotionDiscount": 0, "additionalServiceAmount": 0, "sumOfGainedPoints": 0, "installment": 1, "installmentRate": 0,
            });
            merge(
                &mut order,
                &json!({
                    "extraInstallment": 0, "hasUserNote": 0, "nebimTransferStatus": 0, "deviceType": "desktop", "invoicePrintCount": 0,
                    "useGiftPackage": 0, "usePromotion": 0, "source": "sandbox",
                    "generalAmount": general, "shippingAmount": shipping, "couponDiscount": coupon,
                    "finalAmount": general + shipping - coupon, "shippingProviderName": "Yurtiçi Kargo",
                    "member": { "id": i + 1 }, "billingAddress": billing, "shippingAddress": address,
                }),
            );
            merge(
                &mut order,
                &json!({
                    "orderItems": [{ "id": id * 10 + 1, "productName": format!("Örgü Kazak {i}"), "productSku": format!("IS-{i}"),
                                     "productPrice": price, "productCurrency": "TL", "productQuantity": qty, "productTax": 20,
                                     "productDiscount": 0, "productMoneyOrderDiscount": 0, "productWeight": 0.5,
                                     "productStockTypeLabel": "Piece", "isProductPromotioned": 0, "discount": 0, "order": { "id": id } }],
                    "createdAt": format!("2026-10-{:02}T10:00:00+03:00", i % 28 + 1),
                }),
            );
            order["id"] = json!(id);
            order["updatedAt"] = json!(now());
            s.table_mut(Kind::Orders).insert(id, order);
        }
    }

    /// Holds a request that bears a token issued by a renewal while the hold is on (a test
    /// kills the client in that window: rotated, stored, not yet used).
    async fn hold(&self, headers: &HeaderMap) {
        let token = bearer(headers).to_string();
        let mut counted = false;
        loop {
            {
                let mut a = lock(&self.inner.auth);
                let issued =
                    token != self.inner.config.access_token && a.access.contains_key(&token);
                if !(a.hold_new && issued) {
                    return;
                }
                if !counted {
                    a.held += 1;
                    counted = true;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Checks the bearer token and counts the request against the window. Returns the rate
    /// headers to put on the reply.
    fn admit(&self, headers: &HeaderMap) -> Result<HeaderMap, Response> {
        let token = bearer(headers);
        {
            let mut auth = lock(&self.inner.auth);
            let ttl = *lock(&self.inner.ttl);
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

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

fn with_headers(h: HeaderMap, mut r: Response) -> Response {
    r.headers_mut().extend(h);
    r
}

/// Runs a handler body after authentication and rate accounting.
macro_rules! admitted {
    ($sb:expr, $headers:expr) => {{
        $sb.hold(&$headers).await;
        match $sb.admit(&$headers) {
            Ok(h) => h,
            Err(r) => return r,
        }
    }};
}

async fn control_state(State(sb): State<IdeasoftSandbox>) -> Json<Value> {
    let a = lock(&sb.inner.auth);
    Json(json!({
        "products": sb.product_count(), "variants": sb.variant_count(), "categories": sb.category_count(),
        "members": sb.member_count(), "pages": lock(&sb.inner.store).table(Kind::Pages).len(),
        "option_groups": sb.option_group_count(), "options": sb.option_count(),
        "duplicates": sb.creation_log().duplicates(),
        "requests": sb.faults.requests(), "rate_limited": sb.rate_limited(),
        "refreshes": sb.refreshes(), "spent_refresh_attempts": a.spent_attempts, "held": a.held,
        "refresh_fingerprint": blake3::hash(a.refresh.as_bytes()).to_hex()[..16].to_string(),
    }))
}

/// `POST /__sandbox/tokens` with any of `{"ttl_requests": N|null, "hold_new": bool,
/// "expire_access": true}`: token behaviour for tests run against a separate process.
async fn control_tokens(State(sb): State<IdeasoftSandbox>, Json(body): Json<Value>) -> Json<Value> {
    if let Some(ttl) = body.get("ttl_requests") {
        sb.set_token_ttl(ttl.as_u64());
    }
    if let Some(h) = body.get("hold_new").and_then(Value::as_bool) {
        lock(&sb.inner.auth).hold_new = h;
    }
    if body.get("expire_access").and_then(Value::as_bool) == Some(true) {
        sb.expire_access_tokens();
    }
    control_state(State(sb)).await
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
    let sent = field("refresh_token");
    if sent != auth.refresh {
        if auth.spent.iter().any(|s| s == sent) {
            auth.spent_attempts += 1;
        }
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid refresh token",
        );
    }
    auth.issued += 1;
    let access = format!("{}-{}", cfg.access_token, auth.issued);
    let next = format!("{}-{}", cfg.refresh_token, auth.issued);
    let old = std::mem::replace(&mut auth.refresh, next);
    auth.spent.push(old);
    auth.access.insert(access.clone(), 0);
    sb.inner.refreshes.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "access_token": access, "expires_in": 86400, "token_type": "bearer",
                 "scope": "product_read product_create product_update product_delete category_read category_create category_update category_delete member_read member_create member_update member_delete",
                 "refresh_token": auth.refresh }))
    .into_response()
}

/// What a record looks like on the wire: references expanded the way the API shows them,
/// secrets left out.
fn render(s: &Store, k: Kind, v: &Value) -> Value {
    let mut out = v.clone();
    let expand = |out: &mut Value, field: &str, kind: Kind| {
        if let Some(id) = ref_id(v, field) {
            out[field] = s
                .get(kind, id)
                .map(|x| render(s, kind, x))
                .unwrap_or(json!({ "id": id }));
        }
    };
    match k {
        Kind::Products => {
            expand(&mut out, "currency", Kind::Currencies);
            expand(&mut out, "brand", Kind::Brands);
            if let Some(id) = ref_id(v, "parent") {
                out["parent"] = s
                    .get(Kind::Products, id)
                    .map(|p| json!({ "id": id, "name": p["name"], "slug": p["slug"] }))
                    .unwrap_or(json!({ "id": id }));
            }
            let cats: Vec<Value> = v["categories"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_u64())
                // A link to a category that is gone shows as its bare id.
                .map(|id| match s.get(Kind::Categories, id) {
                    Some(c) => render(s, Kind::Categories, c),
                    None => json!({ "id": id }),
                })
                .collect();
            out["categories"] = json!(cats);
            let groups: Vec<Value> = v["optionGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| {
                    let gid = g["id"].as_u64()?;
                    let group = s.get(Kind::OptionGroups, gid)?;
                    let options: Vec<Value> = g["options"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| s.get(Kind::Options, o["id"].as_u64()?))
                        .map(|o| json!({ "id": o["id"], "title": o["title"], "slug": o["slug"], "sortOrder": o["sortOrder"] }))
                        .collect();
                    Some(json!({ "id": gid, "title": group["title"], "slug": group["slug"], "sortOrder": group["sortOrder"],
                                 "filterStatus": group["filterStatus"], "aggregator": group["aggregator"], "options": options }))
                })
                .collect();
            out["optionGroups"] = json!(groups);
        }
        Kind::Categories => {
            if let Some(id) = ref_id(v, "parent") {
                out["parent"] = s
                    .get(Kind::Categories, id)
                    .map(|p| render(s, Kind::Categories, p))
                    .unwrap_or(json!({ "id": id }));
            }
            out["hasChildren"] = json!(i64::from(
                s.table(Kind::Categories)
                    .values()
                    .any(|c| ref_id(c, "parent") == v["id"].as_u64())
            ));
        }
        Kind::Details => {
            if let Some(id) = ref_id(v, "product") {
                out["product"] = s
                    .get(Kind::Products, id)
                    .map(|p| json!({ "id": id, "name": p["name"], "sku": p["sku"] }))
                    .unwrap_or(json!({ "id": id }));
            }
        }
        Kind::Members => {
            // Ideasoft never shows a password.
            if let Some(o) = out.as_object_mut() {
                o.remove("password");
            }
            expand(&mut out, "country", Kind::Countries);
            expand(&mut out, "location", Kind::Locations);
        }
        Kind::Options => {
            if let Some(id) = ref_id(v, "optionGroup") {
                out["optionGroup"] = s
                    .get(Kind::OptionGroups, id)
                    .map(|g| json!({ "id": id, "title": g["title"], "slug": g["slug"] }))
                    .unwrap_or(json!({ "id": id }));
            }
        }
        Kind::OptionGroups => {
            let gid = v["id"].as_u64();
            let options: Vec<Value> = s
                .table(Kind::Options)
                .values()
                .filter(|o| ref_id(o, "optionGroup") == gid)
                .map(|o| json!({ "id": o["id"], "title": o["title"], "slug": o["slug"], "sortOrder": o["sortOrder"] }))
                .collect();
            out["options"] = json!(options);
        }
        Kind::Locations => expand(&mut out, "country", Kind::Countries),
        _ => {}
    }
    out
}

/// Checks every query parameter against the document's list for the endpoint.
fn check_query(k: Kind, q: &[(String, String)]) -> Result<(), Response> {
    let resource = k.resource();
    for (key, value) in q {
        let name = match key.strip_prefix("q[").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => {
                if inner == "q"
                    || inner == "s"
                    || !(k.implemented().contains(&inner) || inner == "id")
                {
                    return Err(fos_error(
                        StatusCode::BAD_REQUEST,
                        &format!("q[{inner}] is not a search filter of GET {PREFIX}/{resource}: q[...] takes one of its query parameters ({})", k.implemented().join(", ")),
                    ));
                }
                inner
            }
            None => key.as_str(),
        };
        let common = LIST_PARAMS.contains(&name);
        if !common && !k.implemented().contains(&name) {
            let msg = if documented_filters(resource).contains(&name) {
                format!(
                    "the sandbox does not implement the filter {name} of GET {PREFIX}/{resource}"
                )
            } else {
                format!("{name} is not a parameter of GET {PREFIX}/{resource}")
            };
            return Err(fos_error(StatusCode::BAD_REQUEST, &msg));
        }
        let at_least = |min: u64| -> Result<(), Response> {
            match value.trim().parse::<u64>() {
                Ok(n) if n >= min => Ok(()),
                _ => Err(fos_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{name} must be a whole number of at least {min}; got \"{value}\""),
                )),
            }
        };
        match name {
            "sinceId" | "id" | "page" => at_least(1)?,
            "limit" => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => {}
                _ => {
                    return Err(fos_error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "limit must be a number between 1 and {MAX_LIMIT}; got \"{value}\""
                        ),
                    ))
                }
            },
            "startUpdatedAt" | "endUpdatedAt" => {
                if let Err(why) = window_bound(k, name, value) {
                    return Err(fos_error(StatusCode::BAD_REQUEST, &why));
                }
            }
            "sort" if !matches!(value.trim(), "id" | "-id") => {
                return Err(fos_error(
                    StatusCode::BAD_REQUEST,
                    &format!("sort takes id or -id; got \"{value}\""),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

fn matches(k: Kind, v: &Value, q: &[(String, String)]) -> bool {
    let id = v["id"].as_u64().unwrap_or(0);
    for (key, want) in q {
        let name = key
            .strip_prefix("q[")
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(key);
        let num = || want.trim().parse::<u64>().ok();
        let ok = match name {
            "sinceId" => num().is_some_and(|s| id > s),
            "id" => num() == Some(id),
            "ids" => want
                .split(',')
                .any(|x| x.trim().parse::<u64>().ok() == Some(id)),
            "s" => {
                let needle = fold(want);
                needle.is_empty()
                    || k.searched()
                        .iter()
                        .any(|f| fold(text(v, f)).contains(&needle))
            }
            "category" => v["categories"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["id"].as_u64() == num())),
            "parent" | "brand" | "product" | "member" | "optionGroup" | "country" => {
                ref_id(v, name) == num()
            }
            "status" | "hasOption" | "type" | "paymentStatus" => {
                v[name].to_string().trim_matches('"') == want.trim()
            }
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A `startUpdatedAt`/`endUpdatedAt` value as the instant it bounds, in the form the document
/// gives each: `yyyy-mm-dd hh:mm:ss` for the start on products, `yyyy-mm-dd` otherwise (a
/// start date from its first second, an end date through its last). The document names no
/// zone; this store keeps its times in UTC and reads the values in UTC (see the notes).
fn window_bound(k: Kind, name: &str, value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let v = value.trim();
    let start = name == "startUpdatedAt";
    if start && k == Kind::Products {
        return chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
            .map(|t| t.and_utc())
            .map_err(|_| {
                format!("{name} takes a date and time as yyyy-mm-dd hh:mm:ss; got \"{value}\"")
            });
    }
    let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| format!("{name} takes a date as yyyy-mm-dd; got \"{value}\""))?;
    let day = if start {
        day
    } else {
        day + chrono::Days::new(1)
    };
    Ok(day.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// When the record was last saved: its `updatedAt`, or for a category the time kept aside.
fn saved_at(s: &Store, k: Kind, v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = if k == Kind::Categories {
        s.category_saved.get(&v["id"].as_u64()?)?.as_str()
    } else {
        v.get("updatedAt")?.as_str()?
    };
    chrono::DateTime::parse_from_rfc3339(t)
        .or_else(|_| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// Whether the record was saved inside the `startUpdatedAt`/`endUpdatedAt` window (start
/// inclusive, end exclusive of the day after); a record never saved is outside any window.
fn in_window(s: &Store, k: Kind, v: &Value, q: &[(String, String)]) -> bool {
    q.iter().all(|(key, value)| {
        let name = key
            .strip_prefix("q[")
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(key);
        if name != "startUpdatedAt" && name != "endUpdatedAt" {
            return true;
        }
        let (Ok(bound), Some(t)) = (window_bound(k, name, value), saved_at(s, k, v)) else {
            return false;
        };
        if name == "startUpdatedAt" {
            t >= bound
        } else {
            t < bound
        }
    })
}

fn unknown_resource(resource: &str) -> Response {
    fos_error(
        StatusCode::NOT_FOUND,
        &format!("No route found for \"{PREFIX}/{resource}\""),
    )
}

type Q = Query<Vec<(String, String)>>;

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
    if let Err(r) = check_query(k, &q) {
        return with_headers(h, r);
    }
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let limit = get("limit").and_then(|l| l.parse().ok()).unwrap_or(20usize);
    let page = get("page").and_then(|p| p.parse().ok()).unwrap_or(1usize);
    let s = lock(&sb.inner.store);
    let mut items: Vec<&Value> = s
        .table(k)
        .values()
        .filter(|v| matches(k, v, &q) && in_window(&s, k, v, &q))
        .collect();
    if get("sort") == Some("-id") {
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
        if let Err(r) = check_query(k, &q) {
            return with_headers(h, r);
        }
        let n = s
            .table(k)
            .values()
            .filter(|v| matches(k, v, &q) && in_window(&s, k, v, &q))
            .count();
        return with_headers(h, Json(json!({ "count": n })).into_response());
    }
    let r = match id.parse::<u64>().ok().and_then(|i| s.get(k, i)) {
        Some(v) => Json(render(&s, k, v)).into_response(),
        None => not_found(k, &id),
    };
    with_headers(h, r)
}

fn not_found(k: Kind, id: &str) -> Response {
    fos_error(
        StatusCode::NOT_FOUND,
        &format!(
            "{} object not found by the @ParamConverter annotation (id {id}).",
            k.resource()
        ),
    )
}

/// Currencies and countries are set up in the shop panel; orders come from checkouts (the
/// sandbox serves them for reading only).
fn read_only(k: Kind) -> Option<Response> {
    (!k.writable()).then(|| {
        fos_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!(
                "{} are managed in the shop panel; this sandbox serves them for reading only.",
                k.resource()
            ),
        )
    })
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
    let r = match create_in(&sb.inner, &mut s, k, &input, false) {
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
    let Some(existing) = id.parse::<u64>().ok().and_then(|i| s.get(k, i).cloned()) else {
        return with_headers(h, not_found(k, &id));
    };
    let num_id = existing["id"].as_u64().unwrap_or(0);
    let mut merged = existing.clone();
    merge(&mut merged, &input);
    let r = match validate(&s, k, &mut merged, Some(num_id)) {
        Ok(()) => {
            if stamps(k).1 {
                merged["updatedAt"] = json!(now());
            }
            if k == Kind::Categories {
                s.category_saved.insert(num_id, now());
            }
            s.table_mut(k).insert(num_id, merged.clone());
            if k == Kind::Products {
                if let Some(pid) = ref_id(&merged, "parent") {
                    refresh_has_option(&mut s, pid);
                }
            }
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
    if let Some(r) = read_only(k) {
        return with_headers(h, r);
    }
    let mut s = lock(&sb.inner.store);
    let Some(num_id) = id.parse::<u64>().ok().filter(|i| s.get(k, *i).is_some()) else {
        return with_headers(h, not_found(k, &id));
    };
    match k {
        Kind::Products => {
            let mut gone = vec![num_id];
            gone.extend(
                s.table(Kind::Products)
                    .values()
                    .filter(|p| ref_id(p, "parent") == Some(num_id))
                    .filter_map(|p| p["id"].as_u64()),
            );
            let parent = s.get(k, num_id).and_then(|p| ref_id(p, "parent"));
            for g in &gone {
                s.table_mut(Kind::Products).remove(g);
            }
            s.table_mut(Kind::Details)
                .retain(|_, d| ref_id(d, "product").is_none_or(|p| !gone.contains(&p)));
            if let Some(pid) = parent {
                refresh_has_option(&mut s, pid);
            }
        }
        Kind::Categories => {
            if s.table(Kind::Categories)
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
            s.table_mut(Kind::Categories).remove(&num_id);
            for p in s.table_mut(Kind::Products).values_mut() {
                if let Some(cs) = p["categories"].as_array_mut() {
                    cs.retain(|c| c["id"].as_u64() != Some(num_id));
                }
            }
        }
        _ => {
            s.table_mut(k).remove(&num_id);
        }
    }
    with_headers(h, StatusCode::NO_CONTENT.into_response())
}

/// PUT semantics: the fields sent replace the stored ones (null clears one); fields the API
/// sets stay.
fn merge(stored: &mut Value, input: &Value) {
    if let Some(o) = input.as_object() {
        for (key, v) in o {
            if v.is_null() {
                if let Some(s) = stored.as_object_mut() {
                    s.remove(key);
                }
                continue;
            }
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
        .table(Kind::Products)
        .values()
        .any(|p| ref_id(p, "parent") == Some(parent));
    if let Some(p) = s.table_mut(Kind::Products).get_mut(&parent) {
        p["hasOption"] = json!(i64::from(has));
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

/// Stores a new record; `seeding` skips the password requirement of members made by the
/// sandbox itself.
fn create_in(
    inner: &Inner,
    s: &mut Store,
    k: Kind,
    input: &Value,
    seeding: bool,
) -> Result<Value, Response> {
    let mut v = json!({});
    merge(&mut v, input);
    if k == Kind::Members && !seeding && text(&v, "password").is_empty() {
        let mut errs = required_errors(k, &v);
        errs.push(("password".into(), BLANK.into()));
        return Err(validation(&errs));
    }
    validate(s, k, &mut v, None)?;
    let id = s.id();
    v["id"] = json!(id);
    let (created, updated) = stamps(k);
    if created {
        v["createdAt"] = json!(now());
    }
    if updated {
        v["updatedAt"] = json!(now());
    }
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
        Kind::Members => {
            v["iysStatus"] = json!(0);
            ("members", text(&v, "email").to_ascii_lowercase())
        }
        Kind::Options => (
            "options",
            format!(
                "{}/{}",
                ref_id(&v, "optionGroup").unwrap_or(0),
                text(&v, "title")
            ),
        ),
        Kind::OptionGroups => ("option_groups", text(&v, "title").to_string()),
        Kind::Locations => ("locations", text(&v, "name").to_string()),
        other => (other.resource(), text(&v, "slug").to_string()),
    };
    inner.created.record(key.0, &key.1);
    if k == Kind::Categories {
        s.category_saved.insert(id, now());
    }
    s.table_mut(k).insert(id, v.clone());
    if k == Kind::Products {
        if let Some(pid) = ref_id(&v, "parent") {
            refresh_has_option(s, pid);
        }
    }
    Ok(v)
}

/// Whether the document's schema carries `createdAt` and `updatedAt`.
fn stamps(k: Kind) -> (bool, bool) {
    match k {
        Kind::Products | Kind::Members | Kind::Pages | Kind::Options | Kind::Brands => (true, true),
        Kind::Categories => (true, false),
        Kind::Currencies => (false, true),
        _ => (false, false),
    }
}

/// The fields each schema of the document requires on a record a client sends (the
/// server-assigned `id`, `hasOption`, `hasChildren` and `iysStatus` aside; `password` is
/// checked on creation only).
fn required(k: Kind) -> &'static [&'static str] {
    match k {
        Kind::Products => &[
            "name",
            "sku",
            "stockAmount",
            "price1",
            "currency",
            "discountType",
            "moneyOrderDiscount",
            "taxIncluded",
            "stockTypeLabel",
            "customShippingDisabled",
            "hasGift",
            "status",
            "categoryShowcaseStatus",
        ],
        Kind::Details => &["sku", "details", "product"],
        Kind::Categories => &[
            "name",
            "sortOrder",
            "status",
            "displayShowcaseContent",
            "showcaseContentDisplayType",
            "displayShowcaseFooterContent",
            "showcaseFooterContentDisplayType",
            "isCombine",
        ],
        Kind::Members => &[
            "firstname",
            "surname",
            "email",
            "status",
            "country",
            "location",
            "deviceType",
            "allowedToPhone",
            "allowedToCampaigns",
            "allowedToSms",
        ],
        Kind::Pages => &[
            "type",
            "title",
            "content",
            "status",
            "blockStatus",
            "sortOrder",
        ],
        Kind::OptionGroups => &[
            "title",
            "sortOrder",
            "filterStatus",
            "aggregator",
            "options",
        ],
        Kind::Options => &["title", "sortOrder", "optionGroup"],
        Kind::Brands => &[
            "name",
            "status",
            "sortOrder",
            "displayShowcaseContent",
            "displayShowcaseFooterContent",
        ],
        Kind::Locations => &["name", "status"],
        Kind::Currencies | Kind::Orders | Kind::Countries => &[],
    }
}

/// A required field that is absent, null or a blank string.
fn required_errors(k: Kind, v: &Value) -> Vec<(String, String)> {
    required(k)
        .iter()
        .filter(|f| match v.get(**f) {
            None | Some(Value::Null) => true,
            Some(Value::String(t)) => t.trim().is_empty(),
            _ => false,
        })
        .map(|f| (f.to_string(), BLANK.to_string()))
        .collect()
}

/// Checks a record as it will be stored (`id` = `None` on create) and fills the fields the
/// API computes (slug, fullName).
fn validate(s: &Store, k: Kind, v: &mut Value, id: Option<u64>) -> Result<(), Response> {
    let mut errs = required_errors(k, v);
    let mut err = |f: &str, m: &str| {
        if !errs.iter().any(|(x, _)| x == f) {
            errs.push((f.to_string(), m.to_string()));
        }
    };
    let one_of = |v: &Value, f: &str, allowed: &[i64]| {
        v.get(f)
            .filter(|x| !x.is_null())
            .is_some_and(|x| as_int(x).is_none_or(|n| !allowed.contains(&n)))
    };
    let in_range = |v: &Value, f: &str, lo: f64, hi: f64| {
        v.get(f)
            .filter(|x| !x.is_null())
            .is_some_and(|x| as_num(x).is_none_or(|n| n < lo || n > hi))
    };
    let too_long = |v: &Value, f: &str, max: usize| text(v, f).chars().count() > max;
    let refers = |v: &Value, f: &str, kind: Kind| {
        v.get(f)
            .filter(|x| !x.is_null())
            .is_some_and(|_| ref_id(v, f).is_none_or(|r| s.get(kind, r).is_none()))
    };
    let taken = |field: &str, value: &str, table: Kind| {
        !value.is_empty()
            && s.table(table)
                .iter()
                .any(|(rid, r)| Some(*rid) != id && text(r, field) == value)
    };
    match k {
        Kind::Products => {
            for f in ["name", "sku", "slug", "barcode"] {
                if too_long(v, f, MAX_TEXT) {
                    err(
                        f,
                        "This value is too long. It should have 255 characters or less.",
                    );
                }
            }
            if taken("sku", text(v, "sku").trim(), Kind::Products) {
                err("sku", TAKEN);
            }
            for f in ["price1", "stockAmount", "discount", "buyingPrice"] {
                if in_range(v, f, 0.0, f64::MAX) {
                    err(f, "This value should be greater than or equal to 0.");
                }
            }
            if in_range(v, "moneyOrderDiscount", 0.0, 99.0) {
                err(
                    "moneyOrderDiscount",
                    "This value should be between 0 and 99.",
                );
            }
            for f in [
                "discountType",
                "status",
                "taxIncluded",
                "customShippingDisabled",
                "hasGift",
                "categoryShowcaseStatus",
            ] {
                if one_of(v, f, &[0, 1]) {
                    err(f, CHOICE);
                }
            }
            if in_range(v, "tax", 0.0, 100.0) {
                err("tax", INVALID);
            }
            let unit = text(v, "stockTypeLabel");
            if !unit.is_empty() && !STOCK_TYPES.contains(&unit) {
                err("stockTypeLabel", CHOICE);
            }
            if refers(v, "currency", Kind::Currencies) {
                err("currency", INVALID);
            }
            if refers(v, "brand", Kind::Brands) {
                err("brand", INVALID);
            }
            for c in v["categories"].as_array().into_iter().flatten() {
                if c["id"]
                    .as_u64()
                    .is_none_or(|c| s.get(Kind::Categories, c).is_none())
                {
                    err("categories", INVALID);
                }
            }
            for g in v["optionGroups"].as_array().into_iter().flatten() {
                let gid = g["id"].as_u64();
                if gid.is_none_or(|g| s.get(Kind::OptionGroups, g).is_none()) {
                    err("optionGroups", INVALID);
                }
                for o in g["options"].as_array().into_iter().flatten() {
                    let belongs = o["id"]
                        .as_u64()
                        .and_then(|o| s.get(Kind::Options, o))
                        .is_some_and(|o| ref_id(o, "optionGroup") == gid);
                    if !belongs {
                        err(
                            "optionGroups",
                            "This option does not belong to the option group.",
                        );
                    }
                }
            }
            let parent = ref_id(v, "parent");
            let parent_name = match parent {
                Some(pid) => match s.get(Kind::Products, pid) {
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
            let given = text(v, "slug").trim().to_string();
            if taken("slug", &given, Kind::Products) {
                err("slug", TAKEN);
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            let name = text(v, "name").trim().to_string();
            v["fullName"] = json!(match &parent_name {
                Some(p) => format!("{p} {name}"),
                None => name.clone(),
            });
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "fullName"));
                v["slug"] = json!(unique_slug(s.table(Kind::Products), &base, id));
            }
        }
        Kind::Details => {
            let described = |p: u64| {
                s.table(Kind::Details)
                    .iter()
                    .any(|(did, d)| Some(*did) != id && ref_id(d, "product") == Some(p))
            };
            match ref_id(v, "product") {
                Some(p) if s.get(Kind::Products, p).is_some() && described(p) => {
                    err("product", "This value is already used. (duplicate entry)")
                }
                Some(p) if s.get(Kind::Products, p).is_some() => {}
                Some(_) => err("product", INVALID),
                None => {}
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
        }
        Kind::Categories => {
            if too_long(v, "name", MAX_TEXT) {
                err(
                    "name",
                    "This value is too long. It should have 255 characters or less.",
                );
            }
            if let Some(p) = ref_id(v, "parent") {
                if s.get(Kind::Categories, p).is_none() || Some(p) == id {
                    err("parent", INVALID);
                }
            }
            for f in ["status", "isCombine"] {
                if one_of(v, f, &[0, 1]) {
                    err(f, CHOICE);
                }
            }
            for f in ["displayShowcaseContent", "displayShowcaseFooterContent"] {
                if one_of(v, f, &[0, 1, 2]) {
                    err(f, CHOICE);
                }
            }
            for f in [
                "showcaseContentDisplayType",
                "showcaseFooterContentDisplayType",
            ] {
                if one_of(v, f, &[1, 2, 3]) {
                    err(f, CHOICE);
                }
            }
            if in_range(v, "sortOrder", 0.0, MAX_CATEGORY_SORT_ORDER as f64) {
                err("sortOrder", INVALID);
            }
            let given = text(v, "slug").trim().to_string();
            if taken("slug", &given, Kind::Categories) {
                err("slug", TAKEN);
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "name"));
                v["slug"] = json!(unique_slug(s.table(Kind::Categories), &base, id));
            }
        }
        Kind::Members => {
            let email = text(v, "email").trim().to_ascii_lowercase();
            let valid = email
                .split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
            if !email.is_empty() && !valid {
                err("email", "This value is not a valid email address.");
            } else if s
                .table(Kind::Members)
                .iter()
                .any(|(mid, m)| Some(*mid) != id && text(m, "email").eq_ignore_ascii_case(&email))
            {
                err("email", TAKEN);
            }
            let status = text(v, "status");
            if !status.is_empty() && !MEMBER_STATUSES.contains(&status) {
                err("status", CHOICE);
            }
            let device = text(v, "deviceType");
            if !device.is_empty() && !MEMBER_DEVICE_TYPES.contains(&device) {
                err("deviceType", CHOICE);
            }
            for f in ["allowedToCampaigns", "allowedToSms", "allowedToPhone"] {
                if one_of(v, f, &[0, 1]) {
                    err(f, CHOICE);
                }
            }
            for f in ["phoneNumber", "mobilePhoneNumber"] {
                if too_long(v, f, 32) {
                    err(
                        f,
                        "This value is too long. It should have 32 characters or less.",
                    );
                }
            }
            if refers(v, "country", Kind::Countries) {
                err("country", INVALID);
            }
            match ref_id(v, "location").and_then(|l| s.get(Kind::Locations, l)) {
                Some(l) if ref_id(l, "country") == ref_id(v, "country") => {}
                Some(_) => err("location", "This city is not in the member's country."),
                None if v.get("location").is_some_and(|l| !l.is_null()) => err("location", INVALID),
                None => {}
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            v["email"] = json!(email);
        }
        Kind::Pages => {
            if too_long(v, "title", MAX_TEXT) {
                err(
                    "title",
                    "This value is too long. It should have 255 characters or less.",
                );
            }
            for f in ["status", "blockStatus"] {
                if one_of(v, f, &[0, 1]) {
                    err(f, CHOICE);
                }
            }
            let kind = text(v, "type");
            if !kind.is_empty() && !PAGE_TYPES.contains(&kind) {
                err("type", CHOICE);
            }
            if in_range(v, "sortOrder", 0.0, MAX_SORT_ORDER as f64) {
                err("sortOrder", INVALID);
            }
            let given = text(v, "slug").trim().to_string();
            if taken("slug", &given, Kind::Pages) {
                err("slug", TAKEN);
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            if given.is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "title"));
                v["slug"] = json!(unique_slug(s.table(Kind::Pages), &base, id));
            }
        }
        Kind::OptionGroups | Kind::Options => {
            for f in ["filterStatus", "aggregator"] {
                if one_of(v, f, &[0, 1]) {
                    err(f, CHOICE);
                }
            }
            if in_range(v, "sortOrder", 0.0, MAX_SORT_ORDER as f64) {
                err("sortOrder", INVALID);
            }
            if k == Kind::Options && refers(v, "optionGroup", Kind::OptionGroups) {
                err("optionGroup", INVALID);
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            if text(v, "slug").is_empty() {
                v["slug"] = json!(normalize_handle(Platform::Ideasoft, text(v, "title")));
            }
            if k == Kind::OptionGroups {
                // Options join a group through `/options`; the group's own list is derived.
                v["options"] = json!([]);
            }
        }
        Kind::Brands => {
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
            if text(v, "slug").is_empty() {
                let base = normalize_handle(Platform::Ideasoft, text(v, "name"));
                v["slug"] = json!(unique_slug(s.table(Kind::Brands), &base, id));
            }
        }
        Kind::Locations => {
            if refers(v, "country", Kind::Countries) {
                err("country", INVALID);
            }
            if !errs.is_empty() {
                return Err(validation(&errs));
            }
        }
        Kind::Currencies | Kind::Orders | Kind::Countries => {}
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
    script(&sb.faults, &opts.faults);
    let c = sb.config();
    let creds = format!(
        "Ideasoft sandbox: bearer token {} (or client {} secret {} refresh token {}); POST /__sandbox/tokens sets ttl_requests, hold_new, expire_access",
        c.access_token, c.client_id, c.client_secret, c.refresh_token
    );
    Ok((sb.start(opts.port).await?, creds))
}
