use super::{Seo, SourceRef, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Page {
    pub source: SourceRef,
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub body_html: String,
    #[serde(default = "published")]
    pub published: bool,
    #[serde(default, skip_serializing_if = "Seo::is_empty")]
    pub seo: Seo,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub created_at: Option<Timestamp>,
}

fn published() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct BlogPost {
    pub source: SourceRef,
    /// Handle of the blog the post belongs to ("news").
    pub blog: String,
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub body_html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::lenient"
    )]
    pub published_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Seo::is_empty")]
    pub seo: Seo,
}

/// A permanent (301) redirect from an old storefront path to its new home.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
pub struct Redirect {
    pub source: SourceRef,
    pub from: String,
    pub to: String,
}
