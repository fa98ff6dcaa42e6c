//! Every GraphQL document the Shopify connector sends, in one place.
//!
//! A [`Document`] can only be made here, and [`super::ShopifyClient`] sends nothing else, so
//! [`catalog`] — every document and every variant the builders can produce — is what a test
//! validates against Shopify's published schema of each supported Admin API version
//! (`sandbox/tests/shopify_schema.rs`). Documents that carry several records are built from
//! one part per record (an alias and numbered variables, see [`var`]); the catalog holds each
//! part alone, every ordered pair of the parts that share a document, and the largest batch.
//!
//! The selections are the fields the mappers in `catalog.rs`, `content.rs` and `orders.rs`
//! read; a field added there is added here.

use crate::model::Entity;

/// What kind of document it is and how it reaches Shopify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
    /// Sent as the `query` argument of `bulkOperationRunQuery`.
    BulkQuery,
    /// Sent as the `mutation` argument of `bulkOperationRunMutation`, run once per JSONL line.
    BulkMutation,
}

/// One GraphQL document of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    name: String,
    kind: Kind,
    text: String,
}

impl Document {
    fn new(name: impl Into<String>, kind: Kind, text: impl Into<String>) -> Self {
        Document {
            name: name.into(),
            kind,
            text: text.into(),
        }
    }

    /// A stable name: what it is for, and for batches the parts it holds.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Most records one aliased document carries (lookups, upserts, keyed writes).
pub const MAX_ALIASES: usize = 100;

/// The variable (and alias) of part `i` of a batch: `var("p", 3)` is `p3`.
pub fn var(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

/// The response key of part `i` of a batched mutation.
pub fn alias(i: usize) -> String {
    var("r", i)
}

// ---- selections -------------------------------------------------------------------------

pub(super) const PRODUCT_FIELDS: &str =
    "id handle title descriptionHtml vendor productType tags status createdAt updatedAt
    seo { title description }
    options { name values }
    variants(first: $inner) { nodes { ...V } pageInfo { hasNextPage endCursor } }
    media(first: 20) { nodes { id alt ... on MediaImage { image { url } } } pageInfo { hasNextPage endCursor } }
    collections(first: 10) { nodes { id title treePath: metafield(namespace: \"storeshift\", key: \"category_path\") { value } } pageInfo { hasNextPage endCursor } }";

pub(super) const VARIANT_FRAGMENT: &str =
    "fragment V on ProductVariant { id sku barcode price compareAtPrice inventoryQuantity
    inventoryPolicy taxable image { url } selectedOptions { name value } inventoryItem { tracked requiresShipping
    unitCost { amount } measurement { weight { value unit } } } }";

pub(super) const CUSTOMER_FIELDS: &str = "id email firstName lastName phone note tags createdAt updatedAt
    addresses { address1 address2 city company countryCodeV2 firstName lastName phone provinceCode zip }
    emailMarketingConsent { marketingState consentUpdatedAt }
    smsMarketingConsent { marketingState consentUpdatedAt }";

pub(super) const COLLECTION_FIELDS: &str = "id handle title descriptionHtml updatedAt
    seo { title description } image { url altText }
    treePath: metafield(namespace: \"storeshift\", key: \"category_path\") { value }";

pub(super) const PAGE_FIELDS: &str = "id handle title body isPublished publishedAt createdAt
    seoTitle: metafield(namespace: \"global\", key: \"title_tag\") { value }
    seoDescription: metafield(namespace: \"global\", key: \"description_tag\") { value }";

pub(super) const REDIRECT_FIELDS: &str = "id path target";

// Both amounts of every bag: an order placed in another currency than the shop's (Shopify
// Markets) has its customer's amounts in `presentmentMoney` only.
const MONEY: &str = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }";
const ADDRESS: &str =
    "address1 address2 city company countryCodeV2 firstName lastName phone provinceCode zip";

/// An order's fields, paged (`bulk` false: line items page by `$inner`, shipping lines take
/// the first 10) or for a bulk query (every node of each connection, no `first`, typed so the
/// result's flat lines can be put back under their order).
fn order_fields(bulk: bool) -> String {
    let (open, close) = if bulk {
        ("edges { node { __typename ", " } }")
    } else {
        ("nodes { ", " }")
    };
    let (shipping, lines, more) = if bulk {
        ("shippingLines", "lineItems", "")
    } else {
        (
            "shippingLines(first: 5)",
            "lineItems(first: $inner)",
            " pageInfo { hasNextPage endCursor }",
        )
    };
    format!(
        "id name email createdAt updatedAt processedAt cancelledAt currencyCode presentmentCurrencyCode note tags
        displayFinancialStatus displayFulfillmentStatus customer {{ id email }}
        subtotalPriceSet {{ {MONEY} }} totalDiscountsSet {{ {MONEY} }} totalShippingPriceSet {{ {MONEY} }}
        totalTaxSet {{ {MONEY} }} totalPriceSet {{ {MONEY} }} discountCodes
        taxLines {{ title rate priceSet {{ {MONEY} }} }}
        transactions {{ kind status gateway processedAt amountSet {{ {MONEY} }} }}
        billingAddress {{ {ADDRESS} }} shippingAddress {{ {ADDRESS} }}
        {shipping} {{ {open}{}{close}{more} }}
        {lines} {{ {open}...L{close}{more} }}",
        shipping_line()
    )
}

fn shipping_line() -> String {
    format!("title code originalPriceSet {{ {MONEY} }} taxLines {{ title rate priceSet {{ {MONEY} }} }}")
}

fn line_fragment() -> String {
    format!(
        "fragment L on LineItem {{ title sku variantTitle quantity originalUnitPriceSet {{ {MONEY} }}
        totalDiscountSet {{ {MONEY} }} taxLines {{ title rate priceSet {{ {MONEY} }} }} }}"
    )
}

/// A bulk operation's fields, as polled.
///
/// `query` tells a resumed run whether the operation running is the one it started.
const OP_FIELDS: &str = "id status errorCode objectCount fileSize url partialDataUrl query";

// ---- reads ------------------------------------------------------------------------------

/// The root connections read page by page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Products,
    Customers,
    Collections,
    Pages,
    Redirects,
    Orders,
}

impl Listing {
    pub const ALL: [Listing; 6] = [
        Listing::Products,
        Listing::Customers,
        Listing::Collections,
        Listing::Pages,
        Listing::Redirects,
        Listing::Orders,
    ];

    /// The connection for a canonical entity (blog posts have none).
    pub fn of(entity: Entity) -> Option<Listing> {
        Some(match entity {
            Entity::Products => Listing::Products,
            Entity::Customers => Listing::Customers,
            Entity::Categories => Listing::Collections,
            Entity::Pages => Listing::Pages,
            Entity::Redirects => Listing::Redirects,
            Entity::Orders => Listing::Orders,
            Entity::BlogPosts => return None,
        })
    }

    /// Whether the connection takes a `query` search with an `updated_at` range (the ones a
    /// sync cycle reads by what changed; pages and redirects are read whole).
    pub fn searchable(self) -> bool {
        matches!(
            self,
            Listing::Products | Listing::Customers | Listing::Collections | Listing::Orders
        )
    }

    /// The root field, which is also the data key of the reply.
    pub fn root(self) -> &'static str {
        match self {
            Listing::Products => "products",
            Listing::Customers => "customers",
            Listing::Collections => "collections",
            Listing::Pages => "pages",
            Listing::Redirects => "urlRedirects",
            Listing::Orders => "orders",
        }
    }
}

/// One page of a root connection: variables `$first: Int!`, `$after: String`, and for the
/// listings with a [`Nested`] connection `$inner: Int!`, that connection's first page size.
pub fn list_page(l: Listing) -> Document {
    let (fields, fragment) = match l {
        Listing::Products => (PRODUCT_FIELDS.to_string(), VARIANT_FRAGMENT.to_string()),
        Listing::Customers => (CUSTOMER_FIELDS.to_string(), String::new()),
        Listing::Collections => (COLLECTION_FIELDS.to_string(), String::new()),
        Listing::Pages => (PAGE_FIELDS.to_string(), String::new()),
        Listing::Redirects => (REDIRECT_FIELDS.to_string(), String::new()),
        Listing::Orders => (order_fields(false), line_fragment()),
    };
    let root = l.root();
    let inner = if l.nested().is_some() {
        ", $inner: Int!"
    } else {
        ""
    };
    // `$query` (null: every record) is the search a sync cycle narrows the listing with.
    let (decl, arg) = if l.searchable() {
        (", $query: String", ", query: $query")
    } else {
        ("", "")
    };
    Document::new(
        format!("list {root}"),
        Kind::Query,
        format!("query($first: Int!, $after: String{inner}{decl}) {{ {root}(first: $first, after: $after{arg}) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }} {fragment}"),
    )
}

/// The search that selects records changed at or after `since` (RFC 3339, UTC), in Shopify's
/// search syntax: `updated_at` is a range field, quoted so the colons of the time stay in it.
pub fn changed_since(since: &str) -> String {
    format!("updated_at:>='{since}'")
}

/// Ids only, a page of a root connection: variables `$first: Int!`, `$after: String` (finding
/// records deleted since the last sync costs one point per id, no bodies).
pub fn ids_page(l: Listing) -> Document {
    let root = l.root();
    Document::new(
        format!("ids {root}"),
        Kind::Query,
        format!("query($first: Int!, $after: String) {{ {root}(first: $first, after: $after) {{ nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}"),
    )
}

/// Nested connections whose first page (inside a listing) may not be all of them: each is
/// followed with [`nested_page`] until it is whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nested {
    ProductVariants,
    ProductMedia,
    ProductCollections,
    OrderLineItems,
    OrderShippingLines,
}

impl Nested {
    pub const ALL: [Nested; 5] = [
        Nested::ProductVariants,
        Nested::ProductMedia,
        Nested::ProductCollections,
        Nested::OrderLineItems,
        Nested::OrderShippingLines,
    ];

    /// The owner's root field and the nested connection's field.
    pub fn path(self) -> (&'static str, &'static str) {
        match self {
            Nested::ProductVariants => ("product", "variants"),
            Nested::ProductMedia => ("product", "media"),
            Nested::ProductCollections => ("product", "collections"),
            Nested::OrderLineItems => ("order", "lineItems"),
            Nested::OrderShippingLines => ("order", "shippingLines"),
        }
    }
}

impl Listing {
    /// The nested connection whose first page is sized by the listing's `$inner`.
    pub fn nested(self) -> Option<Nested> {
        match self {
            Listing::Products => Some(Nested::ProductVariants),
            Listing::Orders => Some(Nested::OrderLineItems),
            _ => None,
        }
    }

    /// Every nested connection of a page's records, completed when cut short.
    pub fn followed(self) -> &'static [Nested] {
        match self {
            Listing::Products => &[
                Nested::ProductVariants,
                Nested::ProductMedia,
                Nested::ProductCollections,
            ],
            Listing::Orders => &[Nested::OrderLineItems, Nested::OrderShippingLines],
            _ => &[],
        }
    }
}

/// The rest of a nested connection: variables `$id: ID!`, `$first: Int!`, `$after: String`.
pub fn nested_page(n: Nested) -> Document {
    let (owner, field) = n.path();
    let (selection, fragment) = match n {
        Nested::ProductVariants => ("...V".to_string(), VARIANT_FRAGMENT.to_string()),
        Nested::ProductMedia => (
            "id alt ... on MediaImage { image { url } }".to_string(),
            String::new(),
        ),
        Nested::ProductCollections => (
            "id title treePath: metafield(namespace: \"storeshift\", key: \"category_path\") { value }"
                .to_string(),
            String::new(),
        ),
        Nested::OrderLineItems => ("...L".to_string(), line_fragment()),
        Nested::OrderShippingLines => (shipping_line(), String::new()),
    };
    Document::new(
        format!("more {owner} {field}"),
        Kind::Query,
        format!("query($id: ID!, $first: Int!, $after: String) {{ {owner}(id: $id) {{ {field}(first: $first, after: $after) {{ nodes {{ {selection} }} pageInfo {{ hasNextPage endCursor }} }} }} }} {fragment}"),
    )
}

/// What can be counted before choosing between pages and a bulk query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Products,
    Customers,
    Orders,
    Collections,
    Pages,
    Redirects,
}

impl Counted {
    pub const ALL: [Counted; 6] = [
        Counted::Products,
        Counted::Customers,
        Counted::Orders,
        Counted::Collections,
        Counted::Pages,
        Counted::Redirects,
    ];

    pub fn root(self) -> &'static str {
        match self {
            Counted::Products => "productsCount",
            Counted::Customers => "customersCount",
            Counted::Orders => "ordersCount",
            Counted::Collections => "collectionsCount",
            Counted::Pages => "pagesCount",
            Counted::Redirects => "urlRedirectsCount",
        }
    }

    /// The count of a listing's records.
    pub fn of(l: Listing) -> Counted {
        match l {
            Listing::Products => Counted::Products,
            Listing::Customers => Counted::Customers,
            Listing::Orders => Counted::Orders,
            Listing::Collections => Counted::Collections,
            Listing::Pages => Counted::Pages,
            Listing::Redirects => Counted::Redirects,
        }
    }

    /// The listing whose records it counts.
    pub fn listing(self) -> Listing {
        match self {
            Counted::Products => Listing::Products,
            Counted::Customers => Listing::Customers,
            Counted::Orders => Listing::Orders,
            Counted::Collections => Listing::Collections,
            Counted::Pages => Listing::Pages,
            Counted::Redirects => Listing::Redirects,
        }
    }
}

/// `ordersCount` stops at 10,000 unless told otherwise: `limit: null` counts them all, which
/// the choice between pages and a bulk query does not need, so the default stays.
pub fn count(c: Counted) -> Document {
    let root = c.root();
    let text = if c.listing().searchable() {
        format!("query($query: String) {{ {root}(query: $query) {{ count }} }}")
    } else {
        format!("{{ {root} {{ count }} }}")
    };
    Document::new(format!("count {root}"), Kind::Query, text)
}

/// A whole connection as one bulk query. Nested connections become lines of their own with
/// `__parentId`, typed by `__typename` (see [`bulk_child_field`]); Shopify allows at most five
/// connections, two levels deep, and no `first` (every node is read).
///
/// `search` (see [`changed_since`]) limits it to the records it selects; the search is written
/// into the document, since a bulk query takes no variables.
pub fn bulk_read(c: Counted, search: Option<&str>) -> Document {
    let root = c.listing().root();
    let filter = match search.filter(|_| c.listing().searchable()) {
        Some(q) => format!("(query: {})", graphql_string(q)),
        None => String::new(),
    };
    let text = match c {
        Counted::Products => format!("{{ products{filter} {{ edges {{ node {{ id handle title descriptionHtml vendor productType tags status createdAt updatedAt
    seo {{ title description }} options {{ name values }}
    variants {{ edges {{ node {{ __typename ...V }} }} }}
    media {{ edges {{ node {{ __typename alt ... on MediaImage {{ image {{ url }} }} }} }} }}
    collections {{ edges {{ node {{ __typename title treePath: metafield(namespace: \"storeshift\", key: \"category_path\") {{ value }} }} }} }} }} }} }} }} {VARIANT_FRAGMENT}"),
        Counted::Orders => format!(
            "{{ orders{filter} {{ edges {{ node {{ {} }} }} }} }} {}",
            order_fields(true),
            line_fragment()
        ),
        Counted::Customers => {
            format!("{{ {root}{filter} {{ edges {{ node {{ {CUSTOMER_FIELDS} }} }} }} }}")
        }
        Counted::Collections => {
            format!("{{ {root}{filter} {{ edges {{ node {{ {COLLECTION_FIELDS} }} }} }} }}")
        }
        Counted::Pages => format!("{{ {root} {{ edges {{ node {{ {PAGE_FIELDS} }} }} }} }}"),
        Counted::Redirects => {
            format!("{{ {root} {{ edges {{ node {{ {REDIRECT_FIELDS} }} }} }} }}")
        }
    };
    let name = if filter.is_empty() {
        format!("bulk read {root}")
    } else {
        format!("bulk read changed {root}")
    };
    Document::new(name, Kind::BulkQuery, text)
}

/// A GraphQL string literal.
fn graphql_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The field of its parent a bulk result line of type `typename` belongs under, as the paged
/// documents name it (so one mapper reads both).
pub fn bulk_child_field(typename: &str) -> Option<&'static str> {
    Some(match typename {
        "ProductVariant" => "variants",
        "MediaImage" | "Video" | "ExternalVideo" | "Model3d" => "media",
        "Collection" => "collections",
        "LineItem" => "lineItems",
        "ShippingLine" => "shippingLines",
        _ => return None,
    })
}

pub fn shop_currency() -> Document {
    Document::new("shop currency", Kind::Query, "{ shop { currencyCode } }")
}

pub fn first_location() -> Document {
    Document::new(
        "first location",
        Kind::Query,
        "{ locations(first: 1) { nodes { id } } }",
    )
}

// ---- verification: counts and records by id ------------------------------------------------

/// Most ids one `nodes(ids:)` takes (Shopify refuses input arrays of more than 250).
pub const MAX_NODE_IDS: usize = 250;

/// The count field of an entity, or `None` where Shopify has none.
pub fn count_field(entity: Entity) -> Option<&'static str> {
    Some(match entity {
        Entity::Products => "productsCount",
        Entity::Customers => "customersCount",
        Entity::Categories => "collectionsCount",
        Entity::Pages => "pagesCount",
        Entity::Redirects => "urlRedirectsCount",
        Entity::Orders => "ordersCount",
        Entity::BlogPosts => return None,
    })
}

/// An entity's count. `limit: null` lifts the default cap of 10,000 so the count is the
/// store's; `precision` still says when Shopify only knows "at least".
pub fn store_count(entity: Entity) -> Option<Document> {
    let root = count_field(entity)?;
    Some(Document::new(
        format!("verify count {root}"),
        Kind::Query,
        format!("{{ {root}(limit: null) {{ count precision }} }}"),
    ))
}

/// The type `nodes(ids:)` answers for an entity's ids.
pub fn node_type(entity: Entity) -> Option<&'static str> {
    Some(match entity {
        Entity::Products => "Product",
        Entity::Customers => "Customer",
        Entity::Categories => "Collection",
        Entity::Pages => "Page",
        Entity::Redirects => "UrlRedirect",
        Entity::Orders => "Order",
        Entity::BlogPosts => return None,
    })
}

/// Records of one entity by id, with the fields the listings select: `$ids: [ID!]!` (at
/// most [`MAX_NODE_IDS`]) and, for products and orders, `$inner: Int!` (see
/// [`BY_IDS_INNER`]), answered under `nodes`, one per id in order (`null`: not found).
/// First page of a record's variants or line items when fetched by id: most records have
/// fewer, and the rest is followed.
pub const BY_IDS_INNER: u64 = 25;

pub fn by_ids(entity: Entity) -> Option<Document> {
    let ty = node_type(entity)?;
    let (fields, fragment) = match entity {
        Entity::Products => (PRODUCT_FIELDS.to_string(), VARIANT_FRAGMENT.to_string()),
        Entity::Customers => (CUSTOMER_FIELDS.to_string(), String::new()),
        Entity::Categories => (COLLECTION_FIELDS.to_string(), String::new()),
        Entity::Pages => (PAGE_FIELDS.to_string(), String::new()),
        Entity::Redirects => (REDIRECT_FIELDS.to_string(), String::new()),
        _ => (order_fields(false), line_fragment()),
    };
    // Products and orders page their variants and lines by `$inner`, as the listings do.
    let inner = if matches!(entity, Entity::Products | Entity::Orders) {
        ", $inner: Int!"
    } else {
        ""
    };
    Some(Document::new(
        format!("verify nodes {ty}"),
        Kind::Query,
        format!("query($ids: [ID!]!{inner}) {{ nodes(ids: $ids) {{ __typename ... on {ty} {{ {fields} }} }} }} {fragment}"),
    ))
}

// ---- lookups by external key --------------------------------------------------------------

/// Records looked up by their external key, several per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `$c{i}` by custom id and `$h{i}` by handle (`ProductIdentifierInput!`), aliases `c{i}`, `h{i}`.
    Product,
    /// `$c{i}` by e-mail (`CustomerIdentifierInput!`), alias `c{i}`.
    Customer,
    /// `$k{i}` (`CollectionIdentifierInput!`, by handle), alias `k{i}`.
    Collection,
    /// `$k{i}` a search term (`handle:"..."`), alias `k{i}`.
    Page,
    /// `$k{i}` a search term (`path:"..."`), alias `k{i}`.
    Redirect,
    /// `$k{i}` (`OrderIdentifierInput!`, by custom id), alias `k{i}`.
    Order,
}

impl Lookup {
    pub const ALL: [Lookup; 6] = [
        Lookup::Product,
        Lookup::Customer,
        Lookup::Collection,
        Lookup::Page,
        Lookup::Redirect,
        Lookup::Order,
    ];

    fn part(self, i: usize) -> (String, String) {
        match self {
            Lookup::Product => (
                format!("$c{i}: ProductIdentifierInput!, $h{i}: ProductIdentifierInput!"),
                format!("c{i}: productByIdentifier(identifier: $c{i}) {{ id }} h{i}: productByIdentifier(identifier: $h{i}) {{ id }}"),
            ),
            Lookup::Customer => (
                format!("$c{i}: CustomerIdentifierInput!"),
                format!("c{i}: customerByIdentifier(identifier: $c{i}) {{ id }}"),
            ),
            Lookup::Collection => (
                format!("$k{i}: CollectionIdentifierInput!"),
                format!("k{i}: collectionByIdentifier(identifier: $k{i}) {{ id handle }}"),
            ),
            Lookup::Page => (
                format!("$k{i}: String!"),
                format!("k{i}: pages(first: 5, query: $k{i}) {{ nodes {{ id handle }} }}"),
            ),
            Lookup::Redirect => (
                format!("$k{i}: String!"),
                format!("k{i}: urlRedirects(first: 5, query: $k{i}) {{ nodes {{ id path target }} }}"),
            ),
            Lookup::Order => (
                format!("$k{i}: OrderIdentifierInput!"),
                format!("k{i}: orderByIdentifier(identifier: $k{i}) {{ id name }}"),
            ),
        }
    }
}

/// `n` lookups of one kind in one query (`n` is at least 1, at most [`MAX_ALIASES`]).
pub fn lookup(l: Lookup, n: usize) -> Document {
    let n = n.clamp(1, MAX_ALIASES);
    let (decl, body): (Vec<String>, Vec<String>) = (0..n).map(|i| l.part(i)).unzip();
    Document::new(
        format!("lookup {l:?} x{n}"),
        Kind::Query,
        format!("query({}) {{ {} }}", decl.join(", "), body.join(" ")),
    )
}

// ---- upserts ----------------------------------------------------------------------------

/// Records written by an upsert with an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Product,
    Customer,
}

impl Upsert {
    pub const ALL: [Upsert; 2] = [Upsert::Product, Upsert::Customer];

    /// The mutation field, also the data key of a bulk result line.
    pub fn root(self) -> &'static str {
        match self {
            Upsert::Product => "productSet",
            Upsert::Customer => "customerSet",
        }
    }

    fn types(self) -> (&'static str, &'static str) {
        match self {
            Upsert::Product => ("ProductSetIdentifiers", "ProductSetInput!"),
            Upsert::Customer => ("CustomerSetIdentifiers", "CustomerSetInput!"),
        }
    }

    fn field(self, identifier: &str, input: &str) -> String {
        match self {
            Upsert::Product => format!("productSet(identifier: ${identifier}, input: ${input}, synchronous: true) {{ product {{ id media(first: 50) {{ nodes {{ status mediaErrors {{ code message }} }} }} }} userErrors {{ field message code }} }}"),
            // The consent states answered are what decides the consent updates that follow.
            Upsert::Customer => format!("customerSet(identifier: ${identifier}, input: ${input}) {{ customer {{ id phone emailMarketingConsent {{ marketingState }} smsMarketingConsent {{ marketingState }} }} userErrors {{ field message code }} }}"),
        }
    }
}

/// `n` upserts in one mutation: part `i` takes `$i{i}` (identifier) and `$p{i}` (input) and
/// answers under [`alias`]`(i)`.
pub fn upserts(u: Upsert, n: usize) -> Document {
    let n = n.clamp(1, MAX_ALIASES);
    let (ident, input) = u.types();
    let decl: Vec<String> = (0..n)
        .map(|i| format!("$i{i}: {ident}, $p{i}: {input}"))
        .collect();
    let body: Vec<String> = (0..n)
        .map(|i| format!("{}: {}", alias(i), u.field(&var("i", i), &var("p", i))))
        .collect();
    Document::new(
        format!("upsert {u:?} x{n}"),
        Kind::Mutation,
        format!("mutation({}) {{ {} }}", decl.join(", "), body.join(" ")),
    )
}

/// The upsert a bulk mutation runs once per line (`{"identifier": ..., "input": ...}`).
pub fn bulk_upsert(u: Upsert) -> Document {
    let (ident, input) = u.types();
    Document::new(
        format!("bulk upsert {u:?}"),
        Kind::BulkMutation,
        format!(
            "mutation call($identifier: {ident}, $input: {input}) {{ {} }}",
            u.field("identifier", "input")
        ),
    )
}

// ---- keyed writes -----------------------------------------------------------------------

/// Creates and updates of records found by key (no upsert on Shopify for these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    CollectionCreate,
    CollectionUpdate,
    PageCreate,
    PageUpdate,
    RedirectCreate,
    RedirectUpdate,
    OrderCreate,
    OrderUpdate,
}

impl Write {
    pub const ALL: [Write; 8] = [
        Write::CollectionCreate,
        Write::CollectionUpdate,
        Write::PageCreate,
        Write::PageUpdate,
        Write::RedirectCreate,
        Write::RedirectUpdate,
        Write::OrderCreate,
        Write::OrderUpdate,
    ];

    /// The writes that share a document (one entity's batch).
    pub fn groups() -> [[Write; 2]; 4] {
        [
            [Write::CollectionCreate, Write::CollectionUpdate],
            [Write::PageCreate, Write::PageUpdate],
            [Write::RedirectCreate, Write::RedirectUpdate],
            [Write::OrderCreate, Write::OrderUpdate],
        ]
    }

    /// Whether it makes a record (not safe to send twice).
    pub fn creates(self) -> bool {
        matches!(
            self,
            Write::CollectionCreate
                | Write::PageCreate
                | Write::RedirectCreate
                | Write::OrderCreate
        )
    }

    /// Whether part `j` takes `$id{j}` (the record's id) besides `$p{j}` (its input).
    pub fn takes_id(self) -> bool {
        matches!(self, Write::PageUpdate | Write::RedirectUpdate)
    }

    fn part(self, j: usize) -> (String, String) {
        let errs = "userErrors { field message code }";
        let (p, id, r) = (var("p", j), var("id", j), alias(j));
        match self {
            Write::CollectionCreate | Write::CollectionUpdate => {
                let m = if self == Write::CollectionCreate {
                    "collectionCreate"
                } else {
                    "collectionUpdate"
                };
                (
                    format!("${p}: CollectionInput!"),
                    format!("{r}: {m}(input: ${p}) {{ collection {{ id }} userErrors {{ field message }} }}"),
                )
            }
            Write::PageCreate => (
                format!("${p}: PageCreateInput!"),
                format!("{r}: pageCreate(page: ${p}) {{ page {{ id }} {errs} }}"),
            ),
            Write::PageUpdate => (
                format!("${id}: ID!, ${p}: PageUpdateInput!"),
                format!("{r}: pageUpdate(id: ${id}, page: ${p}) {{ page {{ id }} {errs} }}"),
            ),
            Write::RedirectCreate => (
                format!("${p}: UrlRedirectInput!"),
                format!("{r}: urlRedirectCreate(urlRedirect: ${p}) {{ urlRedirect {{ id }} {errs} }}"),
            ),
            Write::RedirectUpdate => (
                format!("${id}: ID!, ${p}: UrlRedirectInput!"),
                format!("{r}: urlRedirectUpdate(id: ${id}, urlRedirect: ${p}) {{ urlRedirect {{ id }} {errs} }}"),
            ),
            Write::OrderCreate => (
                format!("${p}: OrderCreateOrderInput!"),
                format!("{r}: orderCreate(order: ${p}, options: {{ inventoryBehaviour: BYPASS, sendReceipt: false, sendFulfillmentReceipt: false }}) {{ order {{ id }} {errs} }}"),
            ),
            Write::OrderUpdate => (
                format!("${p}: OrderInput!"),
                format!("{r}: orderUpdate(input: ${p}) {{ order {{ id }} userErrors {{ field message }} }}"),
            ),
        }
    }
}

/// One mutation of several keyed writes; part `j` is `writes[j]`.
pub fn writes(parts: &[Write]) -> Document {
    let parts = &parts[..parts.len().min(MAX_ALIASES)];
    let (decl, body): (Vec<String>, Vec<String>) =
        parts.iter().enumerate().map(|(j, w)| w.part(j)).unzip();
    let names: Vec<String> = parts.iter().map(|w| format!("{w:?}")).collect();
    Document::new(
        format!("writes [{}]", names.join(", ")),
        Kind::Mutation,
        format!("mutation({}) {{ {} }}", decl.join(", "), body.join(" ")),
    )
}

// ---- marketing consent ------------------------------------------------------------------

/// The consent updates a customer may need after its upsert (customerSet has no consent
/// fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Email,
    Sms,
}

impl Consent {
    pub const ALL: [Consent; 2] = [Consent::Email, Consent::Sms];

    /// The input's field holding the consent.
    pub fn field(self) -> &'static str {
        match self {
            Consent::Email => "emailMarketingConsent",
            Consent::Sms => "smsMarketingConsent",
        }
    }

    fn part(self, j: usize) -> (String, String) {
        let (c, r) = (var("c", j), alias(j));
        let (ty, m) = match self {
            Consent::Email => (
                "CustomerEmailMarketingConsentUpdateInput",
                "customerEmailMarketingConsentUpdate",
            ),
            Consent::Sms => (
                "CustomerSmsMarketingConsentUpdateInput",
                "customerSmsMarketingConsentUpdate",
            ),
        };
        (
            format!("${c}: {ty}!"),
            format!(
                "{r}: {m}(input: ${c}) {{ customer {{ id }} userErrors {{ field message code }} }}"
            ),
        )
    }
}

/// One mutation of several consent updates; part `j` is `parts[j]` with input `$c{j}`.
pub fn consents(parts: &[Consent]) -> Document {
    let parts = &parts[..parts.len().min(MAX_ALIASES)];
    let (decl, body): (Vec<String>, Vec<String>) =
        parts.iter().enumerate().map(|(j, c)| c.part(j)).unzip();
    let names: Vec<String> = parts.iter().map(|c| format!("{c:?}")).collect();
    Document::new(
        format!("consents [{}]", names.join(", ")),
        Kind::Mutation,
        format!("mutation({}) {{ {} }}", decl.join(", "), body.join(" ")),
    )
}

// ---- deletes ----------------------------------------------------------------------------

/// What a rollback deletes; the reply's payload is under `r`, with the deleted id's field.
pub fn delete(entity: Entity) -> Option<(Document, &'static str)> {
    let (call, field) = match entity {
        Entity::Products => ("productDelete(input: { id: $id })", "deletedProductId"),
        Entity::Customers => ("customerDelete(input: { id: $id })", "deletedCustomerId"),
        Entity::Categories => (
            "collectionDelete(input: { id: $id })",
            "deletedCollectionId",
        ),
        Entity::Pages => ("pageDelete(id: $id)", "deletedPageId"),
        Entity::Redirects => ("urlRedirectDelete(id: $id)", "deletedUrlRedirectId"),
        Entity::Orders => ("orderDelete(orderId: $id)", "deletedId"),
        Entity::BlogPosts => return None,
    };
    Some((
        Document::new(
            format!("delete {entity}"),
            Kind::Mutation,
            format!(
                "mutation($id: ID!) {{ r: {call} {{ {field} userErrors {{ field message }} }} }}"
            ),
        ),
        field,
    ))
}

// ---- bulk operations and redirect imports -------------------------------------------------

pub fn staged_uploads_create() -> Document {
    Document::new("stagedUploadsCreate", Kind::Mutation, "mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }")
}

/// Variable `$t: BulkOperationType`.
pub fn current_bulk_operation() -> Document {
    Document::new(
        "currentBulkOperation",
        Kind::Query,
        format!(
            "query($t: BulkOperationType) {{ currentBulkOperation(type: $t) {{ {OP_FIELDS} }} }}"
        ),
    )
}

/// Variable `$id: ID!`.
pub fn bulk_operation() -> Document {
    Document::new(
        "bulk operation by id",
        Kind::Query,
        format!("query($id: ID!) {{ node(id: $id) {{ ... on BulkOperation {{ {OP_FIELDS} }} }} }}"),
    )
}

/// Variables `$m` (a [`Kind::BulkMutation`] document's text) and `$p` (the staged path).
pub fn run_bulk_mutation() -> Document {
    Document::new("bulkOperationRunMutation", Kind::Mutation, format!("mutation($m: String!, $p: String!) {{ bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) {{ bulkOperation {{ {OP_FIELDS} }} userErrors {{ field message code }} }} }}"))
}

/// Variable `$q` (a [`Kind::BulkQuery`] document's text).
/// `groupObjects: true`: each record's nested lines follow it, so the result file is read
/// forward one record at a time (from 2026-01 Shopify's default is false, any order).
pub fn run_bulk_query() -> Document {
    Document::new("bulkOperationRunQuery", Kind::Mutation, format!("mutation($q: String!) {{ bulkOperationRunQuery(query: $q, groupObjects: true) {{ bulkOperation {{ {OP_FIELDS} }} userErrors {{ field message code }} }} }}"))
}

pub fn redirect_import_create() -> Document {
    Document::new("urlRedirectImportCreate", Kind::Mutation, "mutation($url: URL!) { urlRedirectImportCreate(url: $url) { urlRedirectImport { id } userErrors { field message code } } }")
}

pub fn redirect_import_submit() -> Document {
    Document::new("urlRedirectImportSubmit", Kind::Mutation, "mutation($id: ID!) { urlRedirectImportSubmit(id: $id) { job { id done } userErrors { field message code } } }")
}

pub fn redirect_import() -> Document {
    Document::new("urlRedirectImport", Kind::Query, "query($id: ID!) { urlRedirectImport(id: $id) { finished createdCount updatedCount failedCount } }")
}

// ---- the catalog ------------------------------------------------------------------------

/// Every document the connector can send: each static one, each builder with every argument
/// it is called with, batches of 1, 2 and [`MAX_ALIASES`] parts, and every ordered pair of
/// the keyed writes that share a document (with the largest alternating mix).
pub fn catalog() -> Vec<Document> {
    let mut out = vec![shop_currency(), first_location()];
    out.extend(Listing::ALL.map(list_page));
    out.extend(Nested::ALL.map(nested_page));
    out.extend(Counted::ALL.map(count));
    out.extend(Counted::ALL.map(|c| bulk_read(c, None)));
    let search = changed_since("2026-01-01T00:00:00Z");
    out.extend(
        Counted::ALL
            .into_iter()
            .filter(|c| c.listing().searchable())
            .map(|c| bulk_read(c, Some(&search))),
    );
    out.extend(
        Listing::ALL
            .into_iter()
            .filter(|l| l.searchable())
            .map(ids_page),
    );
    for l in Lookup::ALL {
        for n in [1, 2, MAX_ALIASES] {
            out.push(lookup(l, n));
        }
    }
    for u in Upsert::ALL {
        for n in [1, 2, MAX_ALIASES] {
            out.push(upserts(u, n));
        }
        out.push(bulk_upsert(u));
    }
    for group in Write::groups() {
        for a in group {
            out.push(writes(&[a]));
            for b in group {
                out.push(writes(&[a, b]));
            }
        }
        let mixed: Vec<Write> = (0..MAX_ALIASES).map(|j| group[j % 2]).collect();
        out.push(writes(&mixed));
    }
    for a in Consent::ALL {
        for b in Consent::ALL {
            out.push(consents(&[a, b]));
        }
        out.push(consents(&[a]));
    }
    let mixed: Vec<Consent> = (0..MAX_ALIASES).map(|j| Consent::ALL[j % 2]).collect();
    out.push(consents(&mixed));
    for e in Entity::ALL {
        out.extend(store_count(e));
        out.extend(by_ids(e));
    }
    for e in Entity::ALL {
        if let Some((d, _)) = delete(e) {
            out.push(d);
        }
    }
    out.extend([
        staged_uploads_create(),
        current_bulk_operation(),
        bulk_operation(),
        run_bulk_mutation(),
        run_bulk_query(),
        redirect_import_create(),
        redirect_import_submit(),
        redirect_import(),
    ]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_catalog_document_parses_and_names_are_unique() {
        let all = catalog();
        let mut names = std::collections::HashSet::new();
        for d in &all {
            assert!(names.insert(d.name().to_string()), "twice: {}", d.name());
            graphql_parser::parse_query::<String>(d.text())
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", d.name(), d.text()));
        }
        assert!(all.len() > 60, "{}", all.len());
    }

    proptest! {
        /// Any mix of one entity's writes makes one document whose parts answer under their
        /// own alias with their own variables, in order.
        #[test]
        fn a_batch_of_writes_has_one_alias_and_its_variables_per_part(
            group in 0usize..4, picks in proptest::collection::vec(any::<bool>(), 1..40)
        ) {
            let g = Write::groups()[group];
            let parts: Vec<Write> = picks.iter().map(|b| g[usize::from(*b)]).collect();
            let doc = writes(&parts);
            let parsed = graphql_parser::parse_query::<String>(doc.text()).expect("parses");
            let text = doc.text();
            for (j, w) in parts.iter().enumerate() {
                let a = format!("{}: ", alias(j));
                prop_assert!(text.contains(&a));
                let p = format!("${}:", var("p", j));
                prop_assert!(text.contains(&p));
                let id = format!("${}:", var("id", j));
                prop_assert_eq!(text.contains(&id), w.takes_id());
            }
            prop_assert_eq!(parsed.definitions.len(), 1);
        }
    }
}
