//! The environment catalog as pages show it.

use serde::{Deserialize, Serialize};

/// One entry in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryCard {
    /// Slug (its page is `/catalog/<slug>`).
    pub slug: String,
    /// Name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// Languages.
    pub languages: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// `Stoa staff` or the maintaining community's name.
    pub maintainer: String,
    /// Private to its community.
    pub private: bool,
    /// Its review state when not published (`in review`, …), for those who may see it.
    pub state: Option<String>,
}

/// The catalog page: the entries that match, and the filters on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    /// The search as typed.
    pub search: String,
    /// The language filter, if any.
    pub language: String,
    /// The tag filter, if any.
    pub tag: String,
    /// `name` or `newest`.
    pub sort: String,
    /// This page's entries.
    pub entries: Vec<EntryCard>,
    /// Matching entries in all.
    pub total: i64,
    /// This page (from 1).
    pub page: i64,
    /// Pages in all.
    pub pages: i64,
    /// Languages on offer with how many entries have each.
    pub languages: Vec<(String, i64)>,
    /// Tags on offer with how many entries have each.
    pub tags: Vec<(String, i64)>,
}

/// One version on an entry's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    /// `2025.01`.
    pub version: String,
    /// The image reference.
    pub image: String,
    /// `YYYY-MM-DD`.
    pub released_on: String,
    /// Release notes, sanitised HTML.
    pub notes_html: String,
    /// Deprecated.
    pub deprecated: bool,
    /// The version recommended instead.
    pub replacement: Option<String>,
    /// A security notice (plain text).
    pub security_notice: String,
}

/// An entry's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    /// The entry as listed.
    pub card: EntryCard,
    /// The description, sanitised HTML.
    pub description_html: String,
    /// Source repository (http or https), if any.
    pub source_url: String,
    /// Documentation (http or https), if any.
    pub docs_url: String,
    /// Newest release first.
    pub versions: Vec<VersionView>,
}
