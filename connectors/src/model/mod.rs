//! The canonical store model: every reader produces it, every writer consumes it.
//!
//! Money is always a [`Money`] (decimal + currency). Every record keeps where it came from in a
//! [`SourceRef`], so redirects, id maps and reports can always point back at the source.

mod catalog;
mod content;
mod customer;
mod money;
mod order;
mod time;

pub use catalog::*;
pub use content::*;
pub use customer::*;
pub use money::*;
pub use order::*;
pub use time::*;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The platforms storeshift knows. Platform facts live in [`crate::platform`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    #[serde(alias = "woo")]
    WooCommerce,
    #[serde(alias = "magento2")]
    Magento,
    BigCommerce,
    Ideasoft,
    Ikas,
    Medusa,
    Vendure,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::Shopify,
        Platform::WooCommerce,
        Platform::Magento,
        Platform::BigCommerce,
        Platform::Ideasoft,
        Platform::Ikas,
        Platform::Medusa,
        Platform::Vendure,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::Magento => "magento",
            Platform::BigCommerce => "bigcommerce",
            Platform::Ideasoft => "ideasoft",
            Platform::Ikas => "ikas",
            Platform::Medusa => "medusa",
            Platform::Vendure => "vendure",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Shopify => "Shopify",
            Platform::WooCommerce => "WooCommerce",
            Platform::Magento => "Magento 2",
            Platform::BigCommerce => "BigCommerce",
            Platform::Ideasoft => "Ideasoft",
            Platform::Ikas => "Ikas",
            Platform::Medusa => "Medusa",
            Platform::Vendure => "Vendure",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        let s = s.trim().to_ascii_lowercase();
        Platform::ALL.into_iter().find(|p| {
            p.key() == s
                || (s == "woo" && *p == Platform::WooCommerce)
                || (s == "magento2" && *p == Platform::Magento)
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The kinds of record a migration moves, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Categories,
    Products,
    Customers,
    Orders,
    Pages,
    BlogPosts,
    Redirects,
}

impl Entity {
    /// Dependency order: what an entity refers to is moved before it.
    pub const ALL: [Entity; 7] = [
        Entity::Categories,
        Entity::Products,
        Entity::Customers,
        Entity::Orders,
        Entity::Pages,
        Entity::BlogPosts,
        Entity::Redirects,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Entity::Categories => "categories",
            Entity::Products => "products",
            Entity::Customers => "customers",
            Entity::Orders => "orders",
            Entity::Pages => "pages",
            Entity::BlogPosts => "blog_posts",
            Entity::Redirects => "redirects",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Entity::ALL
            .into_iter()
            .find(|e| e.key() == s || (s == "posts" && *e == Entity::BlogPosts))
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Where a record came from. Kept on every record for id maps, redirects and reports.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct SourceRef {
    /// The record's id on the source platform (a row id, an API id, a SKU when nothing better exists).
    pub id: String,
    /// The storefront URL path the record had on the source (e.g. `/product/blue-hat/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
}

impl SourceRef {
    pub fn new(id: impl Into<String>) -> Self {
        SourceRef {
            id: id.into(),
            url_path: None,
        }
    }
    pub fn with_url(id: impl Into<String>, url_path: impl Into<String>) -> Self {
        SourceRef {
            id: id.into(),
            url_path: Some(url_path.into()),
        }
    }
}

/// SEO fields carried from platform to platform.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Seo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Seo {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none()
    }
}

/// One record of any entity: what flows through the pipeline.
#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
#[serde(tag = "entity", rename_all = "snake_case")]
pub enum Record {
    Category(Category),
    Product(Product),
    Customer(Customer),
    // Boxed: an order is several times larger than every other record, and readers move
    // records by value millions of times.
    Order(Box<Order>),
    Page(Page),
    BlogPost(BlogPost),
    Redirect(Redirect),
}

impl Record {
    pub fn entity(&self) -> Entity {
        match self {
            Record::Category(_) => Entity::Categories,
            Record::Product(_) => Entity::Products,
            Record::Customer(_) => Entity::Customers,
            Record::Order(_) => Entity::Orders,
            Record::Page(_) => Entity::Pages,
            Record::BlogPost(_) => Entity::BlogPosts,
            Record::Redirect(_) => Entity::Redirects,
        }
    }

    pub fn source(&self) -> &SourceRef {
        match self {
            Record::Category(r) => &r.source,
            Record::Product(r) => &r.source,
            Record::Customer(r) => &r.source,
            Record::Order(r) => &r.source,
            Record::Page(r) => &r.source,
            Record::BlogPost(r) => &r.source,
            Record::Redirect(r) => &r.source,
        }
    }

    pub fn source_mut(&mut self) -> &mut SourceRef {
        match self {
            Record::Category(r) => &mut r.source,
            Record::Product(r) => &mut r.source,
            Record::Customer(r) => &mut r.source,
            Record::Order(r) => &mut r.source,
            Record::Page(r) => &mut r.source,
            Record::BlogPost(r) => &mut r.source,
            Record::Redirect(r) => &mut r.source,
        }
    }

    /// The key a target upserts by: handle for catalog and content, email for customers,
    /// number for orders, the old path for redirects.
    pub fn external_key(&self) -> String {
        match self {
            Record::Category(r) => r.handle.clone(),
            Record::Product(r) => r.handle.clone(),
            Record::Customer(r) => r.key(),
            Record::Order(r) => r.number.clone(),
            Record::Page(r) => r.handle.clone(),
            Record::BlogPost(r) => format!("{}/{}", r.blog, r.handle),
            Record::Redirect(r) => r.from.clone(),
        }
    }

    /// A short human label for logs, findings and the console.
    pub fn label(&self) -> String {
        match self {
            Record::Category(r) => r.path_string(),
            Record::Product(r) => r.title.clone(),
            Record::Customer(r) => r.label(),
            Record::Order(r) => format!("#{}", r.number),
            Record::Page(r) => r.title.clone(),
            Record::BlogPost(r) => r.title.clone(),
            Record::Redirect(r) => format!("{} -> {}", r.from, r.to),
        }
    }

    /// Stable content hash: a re-run moves only records whose hash changed.
    pub fn content_hash(&self) -> [u8; 32] {
        // The derived `Hash` feeds every field in declaration order (lengths and variant tags
        // included, maps are BTreeMaps) into one reused buffer, which blake3 hashes at once:
        // the same record gives the same bytes in every run, and no text is formatted on
        // the way (serialising to JSON for this was a fifth of reading a catalog).
        thread_local! {
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUF.with(|b| {
            let mut buf = b.borrow_mut();
            buf.clear();
            std::hash::Hash::hash(self, &mut Bytes(&mut buf));
            *blake3::hash(&buf).as_bytes()
        })
    }
}

/// A `Hasher` that only collects what it is fed, for a cryptographic hash over it.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::hash::Hasher for Bytes<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}
