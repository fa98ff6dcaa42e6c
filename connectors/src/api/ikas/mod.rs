//! Ikas Admin GraphQL: products as a source (`listProduct` by page until `hasNext` is false)
//! and as a target (`saveProduct`, found by SKU first so a product is never created twice;
//! variant types and values created on demand). Errors arrive in `errors` with HTTP 200.
//! Every reply is read into the types of [`reply`].
//!
//! Ikas's published reference gives `listProduct` no `updatedAt` argument (its filters are
//! `id`, `name`, `sku`, `barcodeList`, `brandId`, `categoryIds`, `tagIds`, `vendorId`,
//! `salesChannelIds`, `attributeId`, `variantTypeId`, `variantStockLocationId`,
//! `includeDeleted`), so a sync cycle reads the products whole and skips the unchanged ones by
//! content hash ([`Source::read_changed`] keeps its default, `None`).

pub mod reply;

use super::http::{CallError, HttpClient, HttpConfig, Safety};
use crate::connector::{
    ApiStats, ConnectorError, Cursor, Result, Source, SourcePage, Target, WriteOutcome,
};
use crate::finding::{Finding, RecordRef, Severity};
use crate::model::*;
use crate::platform::ikas::api::{GRAPHQL_PATH, MAX_LIMIT, PAGE_LIMIT, TOKEN_PATH};
use crate::platform::url_path;
use crate::spec::EndpointSpec;
use async_trait::async_trait;
use reply::{ListProduct, Page, Rows};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct IkasClient {
    http: HttpClient,
    token_url: String,
    graphql_url: String,
    client_id: String,
    client_secret: String,
    token: Option<String>,
    currency: String,
}

/// variant type id → (type name, value id → value name)
type VariantTypes = HashMap<String, (String, HashMap<String, String>)>;

/// GraphQL errors of a request, in Ikas's words.
struct GraphqlErrors(String);

/// The fields a product is read with (source pages and the verifier).
const PRODUCT_FIELDS: &str =
    "id name description type createdAt metaData { slug pageTitle description }
    productVariantTypes { variantTypeId variantValueIds order }
    variants { id sku barcodeList weight isActive prices { sellPrice discountPrice currency }
               variantValueIds { variantTypeId variantValueId } }";

const VARIANT_TYPES: &str = "{ listVariantType { id name values { id name } } }";
const LIVE_IDS: &str = "query($page: Int!, $limit: Int!) { listProduct(pagination: { page: $page, limit: $limit }) { data { id } hasNext } }";
const BY_SKU: &str = "query($skus: [String!]) { listProduct(sku: { in: $skus }, pagination: { page: 1, limit: 10 }) { data { id variants { id sku } } } }";
const BY_SLUG_PAGE: &str = "query($page: Int!) { listProduct(pagination: { page: $page, limit: 200 }) { data { id metaData { slug } variants { id sku } } hasNext } }";
const SAVE_VARIANT_TYPE: &str =
    "mutation($input: VariantTypeInput!) { saveVariantType(input: $input) { id } }";
const SAVE_PRODUCT: &str = "mutation($input: ProductInput!) { saveProduct(input: $input) { id } }";
const DELETE_PRODUCTS: &str = "mutation($ids: [String!]!) { deleteProductList(idList: $ids) }";
const COUNT: &str = "{ listProduct(pagination: { page: 1, limit: 1 }) { count } }";

/// A page of products for the source.
fn list_document() -> String {
    format!("query($page: Int!, $limit: Int!) {{ listProduct(pagination: {{ page: $page, limit: $limit }}) {{ data {{ {PRODUCT_FIELDS} }} hasNext page count }} }}")
}

/// Products by id for the verifier.
fn by_ids_document() -> String {
    format!("query($ids: [String!]!, $limit: Int!) {{ listProduct(id: {{ in: $ids }}, pagination: {{ page: 1, limit: $limit }}) {{ data {{ {PRODUCT_FIELDS} }} }} }}")
}

/// Every GraphQL document the connector sends, for checks against Ikas's API description.
pub fn documents() -> Vec<(&'static str, String)> {
    vec![
        ("listVariantType", VARIANT_TYPES.to_string()),
        ("listProduct (source page)", list_document()),
        ("listProduct (ids)", LIVE_IDS.to_string()),
        ("listProduct (by SKU)", BY_SKU.to_string()),
        ("listProduct (by slug)", BY_SLUG_PAGE.to_string()),
        ("listProduct (count)", COUNT.to_string()),
        ("listProduct (by ids)", by_ids_document()),
        ("saveVariantType", SAVE_VARIANT_TYPE.to_string()),
        ("saveProduct", SAVE_PRODUCT.to_string()),
        ("deleteProductList", DELETE_PRODUCTS.to_string()),
    ]
}

impl IkasClient {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        let url = spec.url.as_deref().ok_or_else(|| {
            ConnectorError::Input(
                "the Ikas API endpoint needs `url = \"https://STORE.myikas.com\"`".into(),
            )
        })?;
        let api = spec
            .options
            .get("api_url")
            .and_then(Value::as_str)
            .unwrap_or("https://api.myikas.com");
        Ok(IkasClient {
            http: HttpClient::new(HttpConfig::default().with_options(spec))?,
            token_url: format!("{}{TOKEN_PATH}", url.trim_end_matches('/')),
            graphql_url: format!("{}{GRAPHQL_PATH}", api.trim_end_matches('/')),
            client_id: spec.credential("client_id")?,
            client_secret: spec.credential("client_secret")?,
            token: None,
            currency: spec
                .options
                .get("currency")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| spec.currency().to_string()),
        })
    }

    async fn token(&mut self, renew: bool) -> Result<String> {
        if let (Some(t), false) = (&self.token, renew) {
            return Ok(t.clone());
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        let reply = self
            .http
            .send("Ikas token", Safety::Idempotent, |c| {
                c.post(&self.token_url).form(&form)
            })
            .await?;
        if reply.status.is_success() {
            let t: reply::Token = reply::parse("the token request", &reply.body)?;
            self.token = Some(t.access_token.clone());
            return Ok(t.access_token);
        }
        // A refusal's body is OAuth's `error`/`error_description` when Ikas sends one; any
        // other body still leaves the status to report.
        let refusal: reply::TokenRefusal =
            reply::parse("the token request", &reply.body).unwrap_or_default();
        Err(ConnectorError::Remote(format!(
            "Ikas refused the client credentials: HTTP {} {} (check the client_id and client_secret variables)",
            reply.status.as_u16(),
            refusal.error_description.or(refusal.error).unwrap_or_default()
        )))
    }

    /// Runs a document; internal errors are retried, an expired token renewed once. `Ok(Ok)`
    /// is the reply's `data`.
    async fn run(
        &mut self,
        query: &str,
        variables: Value,
        safety: Safety,
    ) -> std::result::Result<std::result::Result<Value, GraphqlErrors>, CallError> {
        let body = json!({ "query": query, "variables": variables });
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            let token = self
                .token(renewed)
                .await
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let reply = self
                .http
                .send("Ikas GraphQL", safety, |c| {
                    c.post(&self.graphql_url).bearer_auth(&token).json(&body)
                })
                .await?;
            // A failed HTTP status may come with a body that is no GraphQL reply at all (a
            // proxy's page): its status and words are the error then.
            let envelope: reply::Envelope = match reply::parse("Ikas GraphQL", &reply.body) {
                Ok(e) => e,
                Err(e) if reply.status.is_success() => {
                    return Err(CallError::Failed(e.to_string()))
                }
                Err(_) => reply::Envelope {
                    data: None,
                    errors: None,
                },
            };
            let errors = envelope.errors.unwrap_or_default();
            if reply.status.is_success() && errors.is_empty() {
                return match envelope.data {
                    Some(data) if !data.is_null() => Ok(Ok(data)),
                    _ => Err(CallError::Failed(
                        "Ikas GraphQL: the reply has neither `data` nor `errors`".into(),
                    )),
                };
            }
            let code = |c: &str| errors.iter().any(|e| e.code() == Some(c));
            if (code("UNAUTHENTICATED") || reply.status.as_u16() == 401) && !renewed {
                renewed = true;
                continue;
            }
            let text = if errors.is_empty() {
                format!("HTTP {}: {}", reply.status.as_u16(), reply.body)
            } else {
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if code("INTERNAL_SERVER_ERROR") && attempt < self.http.config().max_retries {
                // A mutation that failed inside the server may have been applied: the caller
                // looks records up again before resending a create.
                if safety == Safety::Unsafe {
                    return Err(CallError::Ambiguous(text));
                }
                self.http.wait_before_retry(attempt, None).await;
                attempt += 1;
                continue;
            }
            return Ok(Err(GraphqlErrors(text)));
        }
    }

    /// Runs a read and parses its `data` as the reply to `operation`.
    async fn query<T: DeserializeOwned>(
        &mut self,
        operation: &str,
        query: &str,
        variables: Value,
    ) -> Result<T> {
        let data = self
            .run(query, variables, Safety::Idempotent)
            .await?
            .map_err(|e| ConnectorError::Remote(format!("Ikas: {}", e.0)))?;
        Ok(reply::parse(operation, &data)?)
    }

    async fn variant_types(&mut self) -> Result<VariantTypes> {
        let r: reply::ListVariantType = self
            .query("listVariantType", VARIANT_TYPES, json!({}))
            .await?;
        Ok(r.list_variant_type
            .into_iter()
            .map(|t| {
                let values = t.values.into_iter().map(|v| (v.id, v.name)).collect();
                (t.id, (t.name, values))
            })
            .collect())
    }

    fn product_from(&self, p: &reply::Product, types: &VariantTypes) -> Product {
        let meta = p.meta_data.as_ref();
        let handle = meta.and_then(|m| m.slug.clone()).unwrap_or_default();
        let mut pvt: Vec<&reply::ProductVariantType> = p.product_variant_types.iter().collect();
        pvt.sort_by_key(|t| t.order);
        let options: Vec<ProductOption> = pvt
            .iter()
            .filter_map(|t| {
                let (name, values) = types.get(&t.variant_type_id)?;
                let vals = t
                    .variant_value_ids
                    .iter()
                    .filter_map(|v| values.get(v).cloned())
                    .collect();
                Some(ProductOption {
                    name: name.clone(),
                    values: vals,
                })
            })
            .collect();
        let money = |d: Option<rust_decimal::Decimal>| {
            d.map(|d| Money::new(d.normalize(), self.currency.clone()))
        };
        let variants = p
            .variants
            .iter()
            .map(|v| {
                let (sell, discount) = v
                    .prices
                    .first()
                    .map(|pr| (money(pr.sell_price), money(pr.discount_price)))
                    .unwrap_or((None, None));
                let (price, compare) = match (sell, discount) {
                    (Some(s), Some(d)) => (Some(d), Some(s)),
                    (s, _) => (s, None),
                };
                let option_values = pvt
                    .iter()
                    .map(|t| {
                        let tid = t.variant_type_id.as_str();
                        v.variant_value_ids
                            .iter()
                            .find(|r| r.variant_type_id == tid)
                            .and_then(|r| types.get(tid)?.1.get(&r.variant_value_id).cloned())
                            .unwrap_or_default()
                    })
                    .collect();
                Variant {
                    source_id: Some(v.id.clone()),
                    sku: v.sku.clone().filter(|s| !s.is_empty()),
                    barcode: v.barcode_list.first().cloned().flatten(),
                    price,
                    compare_at_price: compare,
                    weight: v.weight.map(|w| Weight {
                        value: w.normalize(),
                        unit: WeightUnit::Kg,
                    }),
                    option_values,
                    requires_shipping: p.kind != "DIGITAL",
                    taxable: true,
                    ..Default::default()
                }
            })
            .collect();
        let text = |s: Option<&String>| s.filter(|s| !s.is_empty()).cloned();
        Product {
            source: SourceRef::with_url(
                p.id.clone(),
                url_path(Platform::Ikas, Entity::Products, &handle, &[]),
            ),
            title: p.name.clone(),
            body_html: p.description.clone().unwrap_or_default(),
            kind: if options.is_empty() {
                ProductKind::Simple
            } else {
                ProductKind::Variable
            },
            options,
            variants,
            seo: Seo {
                title: text(meta.and_then(|m| m.page_title.as_ref())),
                description: text(meta.and_then(|m| m.description.as_ref())),
            },
            handle,
            ..Default::default()
        }
    }
}

pub struct IkasSource {
    client: IkasClient,
    types: Option<VariantTypes>,
}

impl IkasSource {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasSource {
            client: IkasClient::open(spec)?,
            types: None,
        })
    }
}

#[async_trait]
impl Source for IkasSource {
    fn platform(&self) -> Platform {
        Platform::Ikas
    }

    fn entities(&self) -> Vec<Entity> {
        vec![Entity::Products]
    }

    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.http.stats())
    }

    /// A page of products by page number.
    async fn read_page(
        &mut self,
        entity: Entity,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<SourcePage> {
        if entity != Entity::Products {
            return Ok(SourcePage::default());
        }
        if self.types.is_none() {
            self.types = Some(self.client.variant_types().await?);
        }
        let page = cursor
            .and_then(|c| c.get("page"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let limit = if limit == 0 {
            PAGE_LIMIT
        } else {
            (limit as u64).min(MAX_LIMIT)
        };
        let r: ListProduct<Page<reply::Product>> = self
            .client
            .query(
                "listProduct",
                &list_document(),
                json!({ "page": page, "limit": limit }),
            )
            .await?;
        let types = self.types.clone().unwrap_or_default();
        Ok(SourcePage {
            records: r
                .list_product
                .data
                .iter()
                .map(|p| Record::Product(self.client.product_from(p, &types)))
                .collect(),
            next: r.list_product.has_next.then(|| json!({ "page": page + 1 })),
            ..Default::default()
        })
    }

    /// Product ids only (`data { id }`), as many a page as Ikas allows; deleted products are
    /// not listed (`includeDeleted` is left at its default).
    async fn live_ids(&mut self, entity: Entity) -> Result<Option<Vec<String>>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        let mut out = vec![];
        let mut page = 1u64;
        loop {
            let r: ListProduct<Page<reply::Id>> = self
                .client
                .query(
                    "listProduct",
                    LIVE_IDS,
                    json!({ "page": page, "limit": MAX_LIMIT }),
                )
                .await?;
            out.extend(r.list_product.data.into_iter().map(|p| p.id));
            if !r.list_product.has_next {
                return Ok(Some(out));
            }
            page += 1;
        }
    }
}

pub struct IkasTarget {
    client: IkasClient,
    findings: Vec<Finding>,
}

impl IkasTarget {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasTarget {
            client: IkasClient::open(spec)?,
            findings: vec![],
        })
    }

    /// Variant type id and value ids for the product's options, created where missing.
    async fn ensure_types(
        &mut self,
        p: &Product,
    ) -> Result<std::result::Result<Vec<(String, HashMap<String, String>)>, String>> {
        let mut out = vec![];
        let mut types = self.client.variant_types().await?;
        for o in &p.options {
            let found = types
                .iter()
                .find(|(_, (name, _))| *name == o.name)
                .map(|(id, (_, vals))| (id.clone(), vals.clone()));
            let missing = match &found {
                Some((_, vals)) => o.values.iter().any(|v| !vals.values().any(|x| x == v)),
                None => true,
            };
            if missing {
                let mut names: Vec<String> = found
                    .as_ref()
                    .map(|(_, vals)| vals.values().cloned().collect())
                    .unwrap_or_default();
                names.sort();
                for v in &o.values {
                    if !names.contains(v) {
                        names.push(v.clone());
                    }
                }
                let mut input = json!({ "name": o.name, "values": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() });
                if let Some((id, _)) = &found {
                    input["id"] = json!(id);
                }
                match self
                    .client
                    .run(
                        SAVE_VARIANT_TYPE,
                        json!({ "input": input }),
                        Safety::Idempotent,
                    )
                    .await?
                {
                    Err(e) => return Ok(Err(e.0)),
                    Ok(data) => {
                        reply::parse::<reply::SaveVariantType>("saveVariantType", &data)?;
                    }
                }
                types = self.client.variant_types().await?;
            }
            match types.iter().find(|(_, (name, _))| *name == o.name) {
                Some((id, (_, vals))) => out.push((
                    id.clone(),
                    vals.iter()
                        .map(|(vid, name)| (name.clone(), vid.clone()))
                        .collect(),
                )),
                None => {
                    return Ok(Err(format!(
                        "Ikas did not keep the variant type \"{}\"",
                        o.name
                    )))
                }
            }
        }
        Ok(Ok(out))
    }

    fn input(
        p: &Product,
        types: &[(String, HashMap<String, String>)],
        existing: Option<&reply::Existing>,
        currency: &str,
    ) -> Value {
        let price = |m: &Option<Money>| {
            m.as_ref()
                .and_then(|m| m.amount.to_string().parse::<f64>().ok())
        };
        let variants: Vec<Value> = p
            .variants
            .iter()
            .map(|v| {
                let (sell, discount) = match (price(&v.price), price(&v.compare_at_price)) {
                    (Some(p), Some(c)) if c > p => (c, Some(p)),
                    (p, _) => (p.unwrap_or(0.0), None),
                };
                let mut out = json!({
                    "sku": v.sku.clone().unwrap_or_default(),
                    "isActive": p.status == ProductStatus::Active,
                    "barcodeList": v.barcode.iter().collect::<Vec<_>>(),
                    "prices": [{ "sellPrice": sell, "discountPrice": discount, "currency": currency }],
                    "variantValueIds": types.iter().zip(&v.option_values).map(|((tid, vals), name)| json!({ "variantTypeId": tid, "variantValueId": vals.get(name) })).collect::<Vec<_>>(),
                });
                if let Some(w) = v.weight {
                    out["weight"] = json!(w.to_unit(WeightUnit::Kg).value.to_string().parse::<f64>().unwrap_or(0.0));
                }
                // Keep Ikas's variant ids so an update edits variants instead of replacing them.
                let same = existing.and_then(|e| e.variants.iter().find(|x| x.sku.as_deref() == v.sku.as_deref()));
                if let Some(x) = same {
                    out["id"] = json!(x.id);
                }
                out
            })
            .collect();
        let mut input = json!({
            "name": p.title,
            "description": p.body_html,
            "type": if p.variants.iter().all(|v| !v.requires_shipping) && !p.variants.is_empty() { "DIGITAL" } else { "PHYSICAL" },
            "metaData": { "slug": p.handle, "pageTitle": p.seo.title, "description": p.seo.description },
            "productVariantTypes": types.iter().enumerate().map(|(i, (tid, vals))| json!({
                "variantTypeId": tid, "order": i,
                "variantValueIds": p.options[i].values.iter().filter_map(|v| vals.get(v)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "variants": variants,
        });
        if let Some(e) = existing {
            input["id"] = json!(e.id);
        }
        input
    }

    async fn find(&mut self, p: &Product) -> Result<Option<reply::Existing>> {
        let skus: Vec<String> = p.skus().map(str::to_string).collect();
        if skus.is_empty() {
            return self.find_by_slug(&p.handle).await;
        }
        let r: ListProduct<Rows<reply::Existing>> = self
            .client
            .query("listProduct", BY_SKU, json!({ "skus": skus }))
            .await?;
        Ok(r.list_product.data.into_iter().next())
    }

    async fn find_by_slug(&mut self, slug: &str) -> Result<Option<reply::Existing>> {
        let mut page = 1u64;
        loop {
            let r: ListProduct<Page<reply::Existing>> = self
                .client
                .query("listProduct", BY_SLUG_PAGE, json!({ "page": page }))
                .await?;
            let hit = r
                .list_product
                .data
                .into_iter()
                .find(|p| p.meta_data.as_ref().and_then(|m| m.slug.as_deref()) == Some(slug));
            if hit.is_some() {
                return Ok(hit);
            }
            if !r.list_product.has_next {
                return Ok(None);
            }
            page += 1;
        }
    }

    async fn write_product(&mut self, r: &Record, p: &Product) -> Result<WriteOutcome> {
        let types = match self.ensure_types(p).await? {
            Ok(t) => t,
            Err(message) => return Ok(WriteOutcome::Failed { message }),
        };
        if !p.images.is_empty() {
            self.findings.push(
                Finding::new(Severity::Warning, "image_not_moved", format!("Ikas takes product images through its image upload endpoint; {} image(s) of \"{}\" were not sent (first: {})", p.images.len(), p.title, p.images[0].src))
                    .about(RecordRef { entity: r.entity(), source_id: r.source().id.clone(), label: r.label() }),
            );
        }
        let before = self.find(p).await?;
        let existed = before.is_some();
        let mut current = before;
        for attempt in 0..=self.client.http.config().max_retries {
            if attempt > 0 {
                self.client.http.wait_before_retry(attempt - 1, None).await;
                current = self.find(p).await?;
            }
            let input = Self::input(p, &types, current.as_ref(), &self.client.currency);
            let safety = if current.is_some() {
                Safety::Idempotent
            } else {
                Safety::Unsafe
            };
            match self
                .client
                .run(SAVE_PRODUCT, json!({ "input": input }), safety)
                .await
            {
                Ok(Ok(data)) => {
                    let saved: reply::SaveProduct = reply::parse("saveProduct", &data)?;
                    let target_id = saved.save_product.id;
                    return Ok(if existed {
                        WriteOutcome::Updated { target_id }
                    } else {
                        WriteOutcome::Created { target_id }
                    });
                }
                Ok(Err(e)) => return Ok(WriteOutcome::Failed { message: e.0 }),
                Err(CallError::Ambiguous(_)) => continue,
                Err(CallError::Failed(m)) => return Err(ConnectorError::Remote(m)),
            }
        }
        Ok(WriteOutcome::Failed {
            message: "Ikas did not confirm the product after repeated attempts".into(),
        })
    }
}

#[async_trait]
impl Target for IkasTarget {
    fn platform(&self) -> Platform {
        Platform::Ikas
    }

    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    async fn resume(&mut self, _entity: Entity, _checkpoint: Option<&Value>) -> Result<()> {
        Ok(())
    }

    async fn write_batch(&mut self, entity: Entity, batch: &[Record]) -> Result<Vec<WriteOutcome>> {
        let mut out = vec![];
        for r in batch {
            match (entity, r) {
                (Entity::Products, Record::Product(p)) => out.push(self.write_product(r, p).await?),
                _ => {
                    return Err(ConnectorError::Input(format!(
                        "the Ikas API target loads products; {} cannot be written through it",
                        r.entity()
                    )))
                }
            }
        }
        Ok(out)
    }

    fn checkpoint(&self, _entity: Entity) -> Option<Value> {
        None
    }

    /// Products move through this API; other entities go by files for now.
    fn accepts(&self, entity: Entity) -> bool {
        entity == Entity::Products
    }

    async fn lookup(&mut self, entity: Entity, external_key: &str) -> Result<Option<String>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        Ok(self.find_by_slug(external_key).await?.map(|p| p.id))
    }

    async fn delete(&mut self, entity: Entity, target_id: &str) -> Result<()> {
        if entity != Entity::Products {
            return Err(ConnectorError::Input(format!(
                "the Ikas API target cannot delete {entity}"
            )));
        }
        let data = self
            .client
            .run(
                DELETE_PRODUCTS,
                json!({ "ids": [target_id] }),
                Safety::Idempotent,
            )
            .await?
            .map_err(|e| {
                ConnectorError::Remote(format!("Ikas refused to delete {target_id}: {}", e.0))
            })?;
        let r: reply::DeleteProductList = reply::parse("deleteProductList", &data)?;
        if r.delete_product_list {
            Ok(())
        } else {
            Err(ConnectorError::Remote(format!(
                "Ikas answered `deleteProductList: false` for {target_id}: the product was not deleted"
            )))
        }
    }

    async fn finish(&mut self, _entity: Entity) -> Result<()> {
        Ok(())
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.client.http.stats())
    }

    fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }
}

/// Ikas for verification: the product count from `count` of a one-item `listProduct` page,
/// and products by id through `listProduct(id: { in: [...] })`, up to a page of 200 ids a
/// query, in requests (Ikas publishes no query cost).
pub struct IkasVerifier {
    client: IkasClient,
    types: Option<VariantTypes>,
}

impl IkasVerifier {
    pub fn open(spec: &EndpointSpec) -> Result<Self> {
        Ok(IkasVerifier {
            client: IkasClient::open(spec)?,
            types: None,
        })
    }
}

#[async_trait]
impl crate::verify::Verifier for IkasVerifier {
    fn describe(&self) -> String {
        format!("Ikas Admin API ({})", self.client.graphql_url)
    }

    fn unit(&self) -> crate::verify::BudgetUnit {
        crate::verify::BudgetUnit::Requests
    }

    async fn count(&mut self, entity: Entity) -> Result<Option<crate::verify::StoreCount>> {
        if entity != Entity::Products {
            return Ok(None);
        }
        let r: ListProduct<reply::Count> =
            self.client.query("listProduct", COUNT, json!({})).await?;
        Ok(Some(crate::verify::StoreCount {
            count: r.list_product.count,
            exact: true,
            how: "listProduct(pagination: { page: 1, limit: 1 }) { count }".into(),
        }))
    }

    fn batch_limit(&self, _entity: Entity) -> usize {
        MAX_LIMIT as usize
    }

    fn fetch_cost(&self, _entity: Entity, n: usize) -> u64 {
        n.div_ceil(MAX_LIMIT as usize) as u64
    }

    fn fetch_how(&self, entity: Entity) -> String {
        match entity {
            Entity::Products => format!(
                "listProduct(id: {{ in: [...] }}, pagination: {{ limit: {MAX_LIMIT} }}), and the variant types once"
            ),
            _ => "not fetched".into(),
        }
    }

    async fn fetch(&mut self, entity: Entity, ids: &[String]) -> Result<Vec<Option<Record>>> {
        if entity != Entity::Products {
            return Ok(vec![None; ids.len()]);
        }
        if self.types.is_none() {
            self.types = Some(self.client.variant_types().await?);
        }
        let q = by_ids_document();
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in ids.chunks(MAX_LIMIT as usize) {
            let r: ListProduct<Rows<reply::Product>> = self
                .client
                .query(
                    "listProduct",
                    &q,
                    json!({ "ids": chunk, "limit": chunk.len() }),
                )
                .await?;
            let types = self.types.clone().unwrap_or_default();
            for p in &r.list_product.data {
                found.insert(
                    p.id.clone(),
                    Record::Product(self.client.product_from(p, &types)),
                );
            }
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn spent(&self) -> u64 {
        self.client.http.stats().calls
    }

    fn requests(&self) -> u64 {
        self.client.http.stats().calls
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn no_document_filters_products_by_update_time() {
        // `listProduct` has no `updatedAt` argument in Ikas's reference: sending one would
        // fail every sync cycle with a validation error.
        for (name, doc) in documents() {
            assert!(!doc.contains("updatedAt"), "{name}: {doc}");
        }
    }

    #[test]
    fn the_product_fields_include_the_type_the_reader_uses() {
        // `requires_shipping` comes from `type`; a document without it read every product
        // as physical.
        assert!(PRODUCT_FIELDS.split_whitespace().any(|w| w == "type"));
    }
}
