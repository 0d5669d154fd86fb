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
    /// Hubs whose applied revision uses it now.
    pub used_by: i64,
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
    /// For staff: entries waiting for review, oldest first (slug, name, community).
    pub waiting: Vec<(String, String, String)>,
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
    /// Communities using it that chose to be named: (name, slug).
    pub used_by_communities: Vec<(String, String)>,
    /// Communities whose hub the viewer may add it to: (slug, name).
    pub hub_choices: Vec<(String, String)>,
    /// The viewer may deprecate versions, attach security notices, review, feature and
    /// unpublish (staff).
    pub can_manage: bool,
    /// Shown first in the catalog.
    pub featured: bool,
    /// `draft`, `in_review`, `changes_requested`, `published`, `rejected`, `unpublished`.
    pub status: String,
    /// What staff said at the last review, for the maintainers and staff (empty otherwise).
    pub review_message: String,
    /// The viewer may publish a new version (an owner or admin of the maintaining community).
    pub can_publish: bool,
}

/// What a community's owners and admins fill in to publish an environment, or a new version
/// of one their community maintains. Field names follow the import file's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishForm {
    /// The maintaining community's slug.
    pub community: String,
    /// The entry's short name (its address).
    pub slug: String,
    /// Name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// Languages, separated by commas or spaces.
    pub languages: String,
    /// Tags, separated by commas or spaces.
    pub tags: String,
    /// Source repository URL.
    pub source: String,
    /// Documentation URL.
    pub docs: String,
    /// `public` (after staff review) or `private` (the community only).
    pub visibility: String,
    /// The version's name.
    pub version: String,
    /// Its image reference.
    pub image: String,
    /// Release notes (Markdown).
    pub notes: String,
}

/// The publish page: the communities the caller may publish for, and the form (filled in
/// from an entry of theirs when publishing a new version of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishView {
    /// (slug, name) of communities the caller runs.
    pub communities: Vec<(String, String)>,
    /// The form's starting values.
    pub form: PublishForm,
}
