//! The shared catalog of environments: importing entries and their versions from a YAML
//! file (`stoa catalog import FILE`; the starter set is `catalog/starter.yaml`).
//!
//! The file format:
//!
//! ```yaml
//! entries:
//!   - slug: jupyter-scipy            # a-z, 0-9 and inner hyphens, 2–40 characters
//!     name: Jupyter SciPy
//!     summary: One line.
//!     description: |                 # Markdown, rendered sanitised
//!       …
//!     languages: [python]            # lowercase words
//!     tags: [data-science]           # lowercase words and hyphens
//!     maintainer: staff              # or a community's slug
//!     visibility: public             # or private (its community only); default public
//!     source: https://github.com/…   # http(s), optional
//!     docs: https://…                # http(s), optional
//!     versions:
//!       - version: "2025-03-17"
//!         image: quay.io/jupyter/scipy-notebook:2025-03-17   # the hub editor's check
//!         released: 2025-03-17
//!         notes: Markdown.           # optional
//!         deprecated: false          # optional
//!         replacement: "2025-06-02"  # optional: a version of the same entry
//!         security_notice: ""        # optional
//! ```
//!
//! Importing is idempotent: entries are matched by slug and versions by name, and written
//! as the file says; nothing is deleted. The whole file is checked before anything is
//! written, and every mistake is named with its place in the file.

use chrono::NaiveDate;
use serde::Deserialize;
use stoa_db::catalog::Use;
use stoa_db::catalog::{EntryFields, Listing, Sort, VersionFields};
use stoa_db::{Timestamp, WriteTx};
use stoa_hubs::HubSpec;
use stoa_model::catalog::{
    CatalogView, EntryCard, EntryView, PublishForm, PublishView, VersionView,
};
use stoa_model::hub::{CatalogNotice, HubSaved};
use stoa_model::policy::{Actor, Decision, decide};
use stoa_model::{Action, FieldMessage, Invalid};

use crate::billing::BillingConfig;
use crate::hubs::{self, CatalogChoice, Edit, HubConfig};
use crate::{Ctx, DomainError, Result, access};

/// The file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// The entries.
    pub entries: Vec<EntryIn>,
}

/// One entry as the file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    /// Unique slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// One line.
    #[serde(default)]
    pub summary: String,
    /// Markdown.
    #[serde(default)]
    pub description: String,
    /// Languages.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `staff` or a community slug.
    #[serde(default = "staff")]
    pub maintainer: String,
    /// `public` or `private`.
    #[serde(default = "public")]
    pub visibility: String,
    /// Source repository.
    #[serde(default)]
    pub source: String,
    /// Documentation.
    #[serde(default)]
    pub docs: String,
    /// Versions.
    pub versions: Vec<VersionIn>,
}

fn staff() -> String {
    "staff".into()
}

fn public() -> String {
    "public".into()
}

/// One version as the file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionIn {
    /// Its name.
    pub version: String,
    /// OCI reference.
    pub image: String,
    /// Release date.
    pub released: NaiveDate,
    /// Markdown.
    #[serde(default)]
    pub notes: String,
    /// Deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// A version of the same entry to move to.
    #[serde(default)]
    pub replacement: Option<String>,
    /// A security notice.
    #[serde(default)]
    pub security_notice: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Entries added.
    pub entries_added: usize,
    /// Entries already there (written again as the file says).
    pub entries_updated: usize,
    /// Versions added.
    pub versions_added: usize,
    /// Versions already there.
    pub versions_updated: usize,
}

/// Longest name, summary and version name.
const MAX_NAME: usize = 100;
const MAX_SUMMARY: usize = 200;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_VERSION: usize = 60;

fn label_ok(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 40
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '+')
}

/// Checks the whole file; every mistake, each with where it is (`entries[2].versions[0].image`).
pub fn check(file: &CatalogFile) -> std::result::Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut slugs = std::collections::HashSet::new();
    for (i, e) in file.entries.iter().enumerate() {
        let at = format!("entries[{i}] ({})", e.slug);
        if let Err(invalid) = stoa_model::Slug::parse(&e.slug) {
            problems.push(format!("{at}.slug: {invalid}"));
        }
        if e.slug == "publish" {
            // `/catalog/publish` is the page that publishes entries.
            problems.push(format!(
                "{at}.slug: \"publish\" is reserved; choose another"
            ));
        }
        if !slugs.insert(e.slug.as_str()) {
            problems.push(format!("{at}.slug: appears twice in the file"));
        }
        for (field, value, max) in [
            ("name", &e.name, MAX_NAME),
            ("summary", &e.summary, MAX_SUMMARY),
        ] {
            let min = usize::from(field == "name");
            if let Err(invalid) = stoa_model::validate::line(field, field, value, min, max) {
                problems.push(format!("{at}.{field}: {invalid}"));
            }
        }
        if let Err(invalid) =
            stoa_model::validate::text("description", &e.description, MAX_DESCRIPTION)
        {
            problems.push(format!("{at}.description: {invalid}"));
        }
        for (field, values) in [("languages", &e.languages), ("tags", &e.tags)] {
            for v in values.iter().filter(|v| !label_ok(v)) {
                problems.push(format!(
                    "{at}.{field}: {v:?} is not lowercase letters, digits and hyphens (at most 40)"
                ));
            }
        }
        for (field, value) in [("source", &e.source), ("docs", &e.docs)] {
            if let Err(invalid) = stoa_model::validate::url(field, value, false) {
                problems.push(format!("{at}.{field}: {invalid}"));
            }
        }
        if !matches!(e.visibility.as_str(), "public" | "private") {
            problems.push(format!(
                "{at}.visibility: public or private, not {:?}",
                e.visibility
            ));
        }
        if e.visibility == "private" && e.maintainer == "staff" {
            problems.push(format!(
                "{at}.visibility: a private entry belongs to a community (maintainer)"
            ));
        }
        if e.versions.is_empty() {
            problems.push(format!("{at}.versions: at least one"));
        }
        let names: std::collections::HashSet<&str> =
            e.versions.iter().map(|v| v.version.as_str()).collect();
        if names.len() != e.versions.len() {
            problems.push(format!("{at}.versions: a version name appears twice"));
        }
        for (j, v) in e.versions.iter().enumerate() {
            let at = format!("{at}.versions[{j}]");
            if let Err(invalid) =
                stoa_model::validate::line("version", "a version", &v.version, 1, MAX_VERSION)
            {
                problems.push(format!("{at}.version: {invalid}"));
            }
            if let Err(why) = stoa_hubs::check_image_reference(&v.image) {
                problems.push(format!("{at}.image: {why}"));
            }
            if let Err(invalid) = stoa_model::validate::text("notes", &v.notes, MAX_DESCRIPTION) {
                problems.push(format!("{at}.notes: {invalid}"));
            }
            if let Err(invalid) =
                stoa_model::validate::text("security_notice", &v.security_notice, 2_000)
            {
                problems.push(format!("{at}.security_notice: {invalid}"));
            }
            match &v.replacement {
                Some(r) if r == &v.version => {
                    problems.push(format!("{at}.replacement: not itself"))
                }
                Some(r) if !names.contains(r.as_str()) => {
                    problems.push(format!(
                        "{at}.replacement: {r:?} is not a version of this entry"
                    ));
                }
                _ => {}
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Reads the YAML `text`, checks it, and writes it in `tx` (all or nothing).
pub async fn import(tx: &mut WriteTx, text: &str, now: Timestamp) -> Result<Imported> {
    let file: CatalogFile = serde_saphyr::from_str(text)
        .map_err(|e| DomainError::invalid("file", format!("not a catalog file: {e}")))?;
    check(&file).map_err(|problems| DomainError::invalid("file", problems.join("\n")))?;
    let mut done = Imported::default();
    for e in &file.entries {
        let maintainer = if e.maintainer == "staff" {
            None
        } else {
            let found = stoa_db::communities::by_slug(tx.conn(), &e.maintainer).await?;
            Some(
                found
                    .ok_or_else(|| {
                        DomainError::invalid(
                            "file",
                            format!(
                                "{}: maintainer {:?} is no community here",
                                e.slug, e.maintainer
                            ),
                        )
                    })?
                    .id,
            )
        };
        let languages: Vec<String> = e.languages.clone();
        let tags: Vec<String> = e.tags.clone();
        let fields = EntryFields {
            slug: e.slug.trim(),
            name: e.name.trim(),
            summary: e.summary.trim(),
            description: e.description.trim(),
            maintainer,
            source_url: e.source.trim(),
            docs_url: e.docs.trim(),
            visibility: &e.visibility,
            // Imported by staff, from a file under review in the repository: published.
            status: "published",
            languages: &languages,
            tags: &tags,
        };
        let (entry, added) = stoa_db::catalog::upsert_entry(tx.conn(), &fields, now).await?;
        if added {
            done.entries_added += 1;
        } else {
            done.entries_updated += 1;
        }
        let mut ids = std::collections::HashMap::new();
        for v in &e.versions {
            let fields = VersionFields {
                version: v.version.trim(),
                image: v.image.trim(),
                release_notes: v.notes.trim(),
                released_on: v.released,
                deprecated: v.deprecated,
                security_notice: v.security_notice.trim(),
            };
            let (id, added) =
                stoa_db::catalog::upsert_version(tx.conn(), entry, &fields, now).await?;
            ids.insert(v.version.trim().to_owned(), id);
            if added {
                done.versions_added += 1;
            } else {
                done.versions_updated += 1;
            }
        }
        for v in &e.versions {
            let replacement = v
                .replacement
                .as_ref()
                .and_then(|r| ids.get(r.trim()).copied());
            stoa_db::catalog::set_replacement(tx.conn(), ids[v.version.trim()], replacement)
                .await?;
        }
    }
    Ok(done)
}

/// Entries per catalog page.
pub const PAGE_SIZE: i64 = 24;

fn viewer(ctx: &Ctx) -> stoa_db::catalog::Viewer {
    stoa_db::catalog::Viewer {
        account: ctx.caller.as_ref().map(|c| c.id),
        staff: ctx.caller.as_ref().is_some_and(|c| c.staff),
        now: ctx.now,
    }
}

fn state_words(status: &str) -> Option<String> {
    match status {
        "published" => None,
        "in_review" => Some("in review".into()),
        "changes_requested" => Some("changes requested".into()),
        other => Some(other.to_owned()),
    }
}

/// Cards for `entries`, with their labels and maintainers in two queries.
async fn cards(
    mut conn: stoa_db::Conn<'_>,
    entries: &[stoa_db::catalog::Entry],
) -> Result<Vec<EntryCard>> {
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    let labels = stoa_db::catalog::labels_of(conn.reborrow(), &ids).await?;
    let mut maintainers: Vec<_> = entries
        .iter()
        .filter_map(|e| e.maintainer_community_id)
        .collect();
    maintainers.sort_unstable_by_key(|c| c.0);
    maintainers.dedup();
    let names = stoa_db::catalog::maintainer_names(conn, &maintainers).await?;
    Ok(entries
        .iter()
        .map(|e| {
            let of = |kind: &str| -> Vec<String> {
                labels
                    .iter()
                    .filter(|(id, k, _)| *id == e.id && k == kind)
                    .map(|(_, _, v)| v.clone())
                    .collect()
            };
            let maintainer = match e.maintainer_community_id {
                None => "Stoa staff".to_owned(),
                Some(c) => names
                    .iter()
                    .find(|(id, _)| *id == c)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
            };
            EntryCard {
                slug: e.slug.clone(),
                name: e.name.clone(),
                summary: e.summary.clone(),
                languages: of("language"),
                tags: of("tag"),
                maintainer,
                private: e.visibility == "private",
                state: state_words(&e.status),
                used_by: e.used_by,
            }
        })
        .collect())
}

/// Most catalog list pages kept in memory by a [`ListCache`]: a page is about 10 KB, so
/// about 10 MB at most. Searches are typed by anyone, so the number of keys is bounded; the
/// oldest page goes first.
pub const MAX_CACHED_PAGES: usize = 1_000;

/// Catalog list pages as computed, kept under the catalog generation (migration 0019) they
/// were read at, one per application.
///
/// Why: with 10,000 entries, the filters' counts (a join of every label with its entry) and
/// the total cost tens of milliseconds per page on SQLite, and the list is the catalog's
/// busiest page. The data changes rarely (imports, publishing, reviews, applied revisions),
/// so a page is computed once per change and served from memory until the next.
///
/// Fresh: every request reads the generation first (one primary-key read); a page kept
/// under another generation is not used. Triggers move the generation in the writing
/// transaction, so a change committed by any Stoa process on the same database is on the
/// next list served by every process. Who sees which private entries is part of the key
/// (staff, and the viewer's communities with entries only members see), read per request.
#[derive(Debug, Default)]
pub struct ListCache {
    inner: std::sync::Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    generation: i64,
    pages: std::collections::HashMap<ListKey, std::sync::Arc<CatalogView>>,
    /// Keys in the order they were stored, for eviction.
    order: std::collections::VecDeque<ListKey>,
}

/// What a list page depends on besides the catalog's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListKey {
    staff: bool,
    own_hidden: Vec<stoa_db::communities::CommunityId>,
    search: String,
    language: String,
    tag: String,
    sort: &'static str,
    page: i64,
}

impl ListCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock leaves at worst a page too many or too few.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, generation: i64, key: &ListKey) -> Option<CatalogView> {
        let inner = self.lock();
        (inner.generation == generation)
            .then(|| inner.pages.get(key).map(|view| CatalogView::clone(view)))
            .flatten()
    }

    fn put(&self, generation: i64, key: ListKey, view: CatalogView) {
        let mut inner = self.lock();
        if inner.generation != generation {
            // Another generation: the pages kept are of no use any more. (A request that
            // read an older generation and finishes late clears newer pages: they are made
            // again by the next request, never served stale.)
            inner.generation = generation;
            inner.pages.clear();
            inner.order.clear();
        }
        if inner.pages.contains_key(&key) {
            return;
        }
        while inner.pages.len() >= MAX_CACHED_PAGES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.pages.remove(&oldest);
        }
        inner.order.push_back(key.clone());
        inner.pages.insert(key, std::sync::Arc::new(view));
    }

    /// How many pages are kept (for tests and figures).
    pub fn len(&self) -> usize {
        self.lock().pages.len()
    }

    /// Whether no page is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The catalog page's query parameters, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Browse<'a> {
    /// Search-box text.
    pub search: &'a str,
    /// A language filter (empty: any).
    pub language: &'a str,
    /// A tag filter (empty: any).
    pub tag: &'a str,
    /// `name` (the default when empty), `newest` or `popular`.
    pub sort: &'a str,
    /// The page number, from 1 (empty: the first).
    pub page: &'a str,
}

/// The catalog page: entries the caller may see matching the query, from `cache` when the
/// catalog has not changed since the same page was computed for the same kind of viewer.
pub async fn browse(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    cache: &ListCache,
    query: Browse<'_>,
) -> Result<CatalogView> {
    access::global(ctx, Action::ViewCatalog)?;
    let Browse {
        search,
        language,
        tag,
        sort,
        page,
    } = query;
    let (sort_by, sort_name) = match sort.trim() {
        "" | "name" => (Sort::Name, "name"),
        "newest" => (Sort::Newest, "newest"),
        "popular" => (Sort::Popular, "popular"),
        _ => {
            return Err(DomainError::invalid(
                "sort",
                "Sort by name, newest or popularity.",
            ));
        }
    };
    let page = crate::page_number(page)?;
    if search.chars().count() > 200 {
        return Err(DomainError::invalid(
            "q",
            "Search with at most 200 characters.",
        ));
    }
    let (language, tag) = (language.trim(), tag.trim());
    for (field, value) in [("language", language), ("tag", tag)] {
        if !value.is_empty() && !label_ok(value) {
            return Err(DomainError::invalid(
                field,
                "Choose one of the filters on offer.",
            ));
        }
    }
    let viewer = viewer(ctx);
    // The generation before any data: a page is never kept under a later generation than
    // what it shows.
    let generation = stoa_db::catalog::generation(conn.reborrow()).await?;
    let key = ListKey {
        staff: viewer.staff,
        own_hidden: if viewer.staff {
            Vec::new()
        } else {
            stoa_db::catalog::own_hidden(conn.reborrow(), &viewer).await?
        },
        search: search.to_owned(),
        language: language.to_owned(),
        tag: tag.to_owned(),
        sort: sort_name,
        page,
    };
    if let Some(view) = cache.get(generation, &key) {
        return Ok(view);
    }
    let listing = Listing {
        search,
        language: (!language.is_empty()).then_some(language),
        tag: (!tag.is_empty()).then_some(tag),
        sort: sort_by,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let found = stoa_db::catalog::list(conn.reborrow(), &viewer, &listing).await?;
    let facets = stoa_db::catalog::facets(conn.reborrow(), &viewer).await?;
    let waiting = if viewer.staff {
        stoa_db::catalog::in_review(conn.reborrow()).await?
    } else {
        Vec::new()
    };
    let entries = cards(conn, &found.items).await?;
    let pick = |kind: &str| -> Vec<(String, i64)> {
        facets
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, v, n)| (v.clone(), *n))
            .collect()
    };
    let view = CatalogView {
        search: search.to_owned(),
        language: language.to_owned(),
        tag: tag.to_owned(),
        sort: sort_name.to_owned(),
        entries,
        total: found.total,
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        languages: pick("language"),
        tags: pick("tag"),
        waiting,
    };
    cache.put(generation, key, view.clone());
    Ok(view)
}

fn web_link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        url.to_owned()
    } else {
        String::new()
    }
}

/// An entry's page, if the caller may see it (otherwise not found: a private entry's
/// existence is not told).
pub async fn entry(ctx: &Ctx, mut conn: stoa_db::Conn<'_>, slug: &str) -> Result<EntryView> {
    access::global(ctx, Action::ViewCatalog)?;
    let found = stoa_db::catalog::get(conn.reborrow(), &viewer(ctx), slug.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    let versions = stoa_db::catalog::versions(conn.reborrow(), found.id).await?;
    let used_by_communities = stoa_db::catalog::listed_users(conn.reborrow(), found.id).await?;
    let mine = managed(ctx, conn.reborrow()).await?;
    let hub_choices = hub_choices(&mine, &found);
    let can_manage = access::global(ctx, Action::ManageCatalog).is_ok();
    let can_publish = found
        .maintainer_community_id
        .is_some_and(|c| mine.iter().any(|(id, _, _)| *id == c));
    // The review's words are for the maintainers and staff (anyone else sees only published
    // entries, which need none).
    let review_message = if can_publish || can_manage {
        found.review_message.clone()
    } else {
        String::new()
    };
    let card = cards(conn, std::slice::from_ref(&found))
        .await?
        .pop()
        .ok_or(DomainError::NotFound)?;
    let name_of = |id: i64| {
        versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.version.clone())
    };
    Ok(EntryView {
        card,
        description_html: stoa_hubs::announcement_html(&found.description),
        source_url: web_link(&found.source_url),
        docs_url: web_link(&found.docs_url),
        versions: versions
            .iter()
            .map(|v| VersionView {
                version: v.version.clone(),
                image: v.image.clone(),
                released_on: v.released_on.to_string(),
                notes_html: stoa_hubs::announcement_html(&v.release_notes),
                deprecated: v.deprecated,
                replacement: v.replacement_id.and_then(name_of),
                security_notice: v.security_notice.clone(),
            })
            .collect(),
        used_by_communities,
        hub_choices,
        can_manage,
        featured: found.featured,
        status: found.status.clone(),
        review_message,
        can_publish,
    })
}

/// The communities whose hub the caller runs and for which they publish (the policy's
/// [`Action::EditHub`] and [`Action::PublishCatalogEntry`], both): (id, slug, name), from one
/// query.
async fn managed(
    ctx: &Ctx,
    conn: stoa_db::Conn<'_>,
) -> Result<Vec<(stoa_db::communities::CommunityId, String, String)>> {
    let Some(me) = &ctx.caller else {
        return Ok(Vec::new());
    };
    Ok(stoa_db::memberships::of_account(conn, me.id)
        .await?
        .into_iter()
        .filter(|m| {
            let actor = Actor {
                signed_in: true,
                role: Some(m.role),
                ..Actor::ANONYMOUS
            };
            m.ends_at.is_none_or(|end| end > ctx.now)
                && decide(&actor, Action::EditHub) == Decision::Allow
                && decide(&actor, Action::PublishCatalogEntry) == Decision::Allow
        })
        .map(|m| (m.community_id, m.slug.to_string(), m.name))
        .collect())
}

/// The publish page: the communities the caller may publish for, and the form, filled in
/// from `entry` (one their community maintains) to publish a new version of it.
pub async fn publish_view(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    entry: &str,
) -> Result<PublishView> {
    access::signed_in(ctx, Action::ViewOwnCommunities)?;
    let communities = managed(ctx, conn.reborrow()).await?;
    let mut form = PublishForm {
        visibility: "public".into(),
        community: communities.first().map(|c| c.1.clone()).unwrap_or_default(),
        ..PublishForm::default()
    };
    if !entry.trim().is_empty() {
        let found = stoa_db::catalog::get(conn.reborrow(), &viewer(ctx), entry.trim())
            .await?
            .ok_or(DomainError::NotFound)?;
        let Some((_, slug, _)) = communities
            .iter()
            .find(|(id, _, _)| Some(*id) == found.maintainer_community_id)
        else {
            return Err(DomainError::Forbidden);
        };
        let (languages, tags) = stoa_db::catalog::labels(conn, found.id).await?;
        form = PublishForm {
            community: slug.clone(),
            slug: found.slug,
            name: found.name,
            summary: found.summary,
            description: found.description,
            languages: languages.join(", "),
            tags: tags.join(", "),
            source: found.source_url,
            docs: found.docs_url,
            visibility: found.visibility,
            ..PublishForm::default()
        };
    }
    Ok(PublishView {
        communities: communities.into_iter().map(|(_, s, n)| (s, n)).collect(),
        form,
    })
}

/// The form field a problem of [`check`] is about: `entries[0] (x).versions[0].image: …` is
/// about `image`.
fn field_of(problem: &str) -> (&str, &str) {
    let (path, message) = problem.split_once(": ").unwrap_or(("form", problem));
    let field = path.rsplit('.').next().unwrap_or("form");
    (field, message)
}

/// Words of a labels field (commas or spaces between them), lowercased.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Publishes an environment `f.community` maintains, or a new version of one: checked like an
/// import (every mistake next to its field). A private entry is listed for the community at
/// once; a new public entry waits for staff review (a new version of a published public entry
/// does not: its maintainers were reviewed). Returns the entry's slug.
pub async fn publish(ctx: &Ctx, tx: &mut WriteTx, f: &PublishForm) -> Result<String> {
    let access = access::change(ctx, tx, f.community.trim(), Action::PublishCatalogEntry).await?;
    let me = ctx.caller()?;
    let community = &access.community;
    let slug = f.slug.trim();
    let everything = stoa_db::catalog::Viewer {
        account: None,
        staff: true,
        now: ctx.now,
    };
    let existing = stoa_db::catalog::get(tx.conn(), &everything, slug).await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.maintainer_community_id != Some(community.id))
    {
        return Err(DomainError::invalid(
            "slug",
            "Another entry of the catalog has this short name; choose another.",
        ));
    }
    let today = ctx.now.as_datetime().date_naive();
    let entry = EntryIn {
        slug: slug.to_owned(),
        name: f.name.trim().to_owned(),
        summary: f.summary.trim().to_owned(),
        description: f.description.replace("\r\n", "\n").trim().to_owned(),
        languages: words(&f.languages),
        tags: words(&f.tags),
        maintainer: community.slug.to_string(),
        visibility: f.visibility.trim().to_owned(),
        source: f.source.trim().to_owned(),
        docs: f.docs.trim().to_owned(),
        versions: vec![VersionIn {
            version: f.version.trim().to_owned(),
            image: f.image.trim().to_owned(),
            released: today,
            notes: f.notes.replace("\r\n", "\n").trim().to_owned(),
            deprecated: false,
            replacement: None,
            security_notice: String::new(),
        }],
    };
    let file = CatalogFile {
        entries: vec![entry],
    };
    if let Err(problems) = check(&file) {
        return Err(DomainError::Invalid(Invalid(
            problems
                .iter()
                .map(|p| {
                    let (field, message) = field_of(p);
                    FieldMessage::new(field, message.to_owned())
                })
                .collect(),
        )));
    }
    let e = &file.entries[0];
    let v = &e.versions[0];
    if let Some(old) = &existing {
        let versions = stoa_db::catalog::versions(tx.conn(), old.id).await?;
        if versions.iter().any(|o| o.version == v.version) {
            // Hubs name versions: one never changes its image under them.
            return Err(DomainError::invalid(
                "version",
                format!(
                    "Version {} is published already; give this one a new name.",
                    v.version
                ),
            ));
        }
    }
    let status = match (&existing, e.visibility.as_str()) {
        (_, "private") => "published",
        (Some(old), _) if old.status == "published" && old.visibility == "public" => "published",
        _ => "in_review",
    };
    let fields = EntryFields {
        slug: &e.slug,
        name: &e.name,
        summary: &e.summary,
        description: &e.description,
        maintainer: Some(community.id),
        source_url: &e.source,
        docs_url: &e.docs,
        visibility: &e.visibility,
        status,
        languages: &e.languages,
        tags: &e.tags,
    };
    let (id, _) = stoa_db::catalog::upsert_entry(tx.conn(), &fields, ctx.now).await?;
    let version = VersionFields {
        version: &v.version,
        image: &v.image,
        release_notes: &v.notes,
        released_on: v.released,
        deprecated: false,
        security_notice: "",
    };
    stoa_db::catalog::upsert_version(tx.conn(), id, &version, ctx.now).await?;
    if status != existing.as_ref().map_or("", |o| o.status.as_str()) {
        stoa_db::catalog::set_review(tx.conn(), id, status, "", ctx.now).await?;
    }
    access
        .audit(
            me,
            "catalog.published",
            &format!("{} {}", e.name, v.version),
        )
        .after(serde_json::json!({ "entry": e.slug, "version": v.version, "status": status }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(e.slug.clone())
}

/// Staff: decides on an entry waiting for review: `approve` (listed publicly), `changes` (back
/// to its community with what to change) or `reject`, with a message (required unless
/// approving) that is mailed to the community's owners and admins.
pub async fn review(
    ctx: &Ctx,
    tx: &mut WriteTx,
    entry: &str,
    decision: &str,
    message: &str,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageCatalog)?;
    let found = stoa_db::catalog::get(tx.conn(), &viewer(ctx), entry.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    if found.status != "in_review" {
        return Err(DomainError::invalid(
            "form",
            "This entry is not waiting for review.",
        ));
    }
    let message = message.replace("\r\n", "\n").trim().to_owned();
    let (status, words) = match decision {
        "approve" => ("published", "is now listed in the catalog"),
        "changes" => ("changes_requested", "needs changes before it is listed"),
        "reject" => ("rejected", "was not accepted for the catalog"),
        _ => {
            return Err(DomainError::invalid(
                "decision",
                "Approve, ask for changes or reject.",
            ));
        }
    };
    if message.is_empty() && status != "published" {
        return Err(DomainError::invalid(
            "message",
            "Say what to change, or why: the community reads it.",
        ));
    }
    if message.chars().count() > MAX_NOTICE_CHARS {
        return Err(DomainError::invalid(
            "message",
            format!("Keep the message to {MAX_NOTICE_CHARS} characters."),
        ));
    }
    stoa_db::catalog::set_review(tx.conn(), found.id, status, &message, ctx.now).await?;
    crate::audit::Audit::by(me, "catalog.reviewed", &found.name)
        .after(serde_json::json!({ "status": status, "message": message }))
        .record(tx.conn(), ctx.now)
        .await?;
    if let Some(community) = found.maintainer_community_id {
        let said = if message.is_empty() {
            String::new()
        } else {
            format!("Stoa's staff wrote:\n\n{message}\n\n")
        };
        let body = format!(
            "Hello,\n\nThe environment {} that your community submitted {words}.\n\n{said}\
             Its page:\n\n{}/catalog/{}\n",
            found.name, ctx.public_url, found.slug
        );
        for to in stoa_db::memberships::manager_emails(tx.conn(), community, ctx.now).await? {
            let task = stoa_db::jobs::Task::SendNotice {
                to,
                subject: format!("Your catalog entry {} {words}", found.name),
                body: body.clone(),
            };
            stoa_db::jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
        }
    }
    Ok(())
}

/// Staff: `feature` or `unfeature` an entry (featured ones come first), `unpublish` it (hidden
/// from everyone but its community; hubs using it keep their images) or `republish` it.
pub async fn curate(ctx: &Ctx, tx: &mut WriteTx, entry: &str, action: &str) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageCatalog)?;
    let found = stoa_db::catalog::get(tx.conn(), &viewer(ctx), entry.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    match action {
        "feature" | "unfeature" => {
            stoa_db::catalog::set_featured(tx.conn(), found.id, action == "feature").await?;
        }
        "unpublish" | "republish" => {
            let status = if action == "unpublish" {
                "unpublished"
            } else {
                "published"
            };
            stoa_db::catalog::set_review(
                tx.conn(),
                found.id,
                status,
                &found.review_message,
                ctx.now,
            )
            .await?;
        }
        _ => {
            return Err(DomainError::invalid(
                "action",
                "Feature, unfeature, unpublish or republish.",
            ));
        }
    }
    crate::audit::Audit::by(me, "catalog.curated", &found.name)
        .after(serde_json::json!({ "action": action }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// The communities whose hub the caller may add `entry` to, among `managed` (those they run):
/// all of them for a public entry, only the maintaining community for a private one.
fn hub_choices(
    managed: &[(stoa_db::communities::CommunityId, String, String)],
    entry: &stoa_db::catalog::Entry,
) -> Vec<(String, String)> {
    managed
        .iter()
        .filter(|(id, _, _)| may_use(entry, *id))
        .map(|(_, slug, name)| (slug.clone(), name.clone()))
        .collect()
}

/// Whether `community`'s hub may use `entry`: any public one; a private one only in the
/// community that maintains it.
fn may_use(entry: &stoa_db::catalog::Entry, community: stoa_db::communities::CommunityId) -> bool {
    entry.visibility != "private" || entry.maintainer_community_id == Some(community)
}

/// Adds version `version` of entry `entry` to `community`'s hub as a new environment called
/// `display_name` (the entry's name and the version when left blank). It is a new revision
/// like any other save, which the community's admins review and apply from the hub page.
pub async fn add_to_hub(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    entry: &str,
    community: &str,
    version: &str,
    display_name: &str,
) -> Result<HubSaved> {
    access::global(ctx, Action::ViewCatalog)?;
    let found = stoa_db::catalog::get(tx.conn(), &viewer(ctx), entry.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    let target = stoa_db::communities::by_slug(tx.conn(), community.trim()).await?;
    if let Some(c) = &target
        && !may_use(&found, c.id)
    {
        return Err(DomainError::invalid(
            "community",
            "This environment is private to the community that maintains it: only its hub can use it.",
        ));
    }
    let versions = stoa_db::catalog::versions(tx.conn(), found.id).await?;
    let chosen = versions
        .iter()
        .find(|v| v.version == version.trim())
        .ok_or_else(|| DomainError::invalid("version", "Choose one of the versions listed."))?;
    if chosen.deprecated {
        let instead = chosen
            .replacement_id
            .and_then(|id| versions.iter().find(|v| v.id == id))
            .map_or_else(String::new, |r| format!(" Use {} instead.", r.version));
        return Err(DomainError::invalid(
            "version",
            format!("Version {} is deprecated.{instead}", chosen.version),
        ));
    }
    let display_name = match display_name.trim() {
        "" => format!("{} {}", found.name, chosen.version),
        typed => typed.to_owned(),
    };
    let choice = CatalogChoice {
        original: String::new(),
        display_name,
        description: found.summary.clone(),
        image: chosen.image.clone(),
        reference: stoa_hubs::CatalogRef {
            entry: found.slug.clone(),
            name: found.name.clone(),
            version: chosen.version.clone(),
        },
    };
    hubs::save_on_latest(
        ctx,
        tx,
        cfg,
        billing,
        community.trim(),
        &Edit::Catalog(choice),
    )
    .await
}

/// Moves `environment` of `community`'s hub to the version recommended in place of the
/// deprecated one it uses: a new revision, applied from the hub page like any other.
pub async fn use_replacement(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    community: &str,
    environment: &str,
) -> Result<HubSaved> {
    // Asked first, so that someone who may only look at the hub is told no (403) rather
    // than that there is nothing to move.
    let access = access::change(ctx, tx, community, Action::EditHub).await?;
    // What the hub page's notice offers, read directly (not through the whole hub view).
    let hub = stoa_db::hubs::of_community(tx.conn(), access.community.id)
        .await?
        .into_iter()
        .next()
        .ok_or(DomainError::NotFound)?;
    let warning = stoa_db::catalog::warnings(tx.conn(), hub.id)
        .await?
        .into_iter()
        .find(|w| w.environment == environment)
        .ok_or(DomainError::NotFound)?;
    let replacement = warning.replacement.ok_or_else(|| {
        DomainError::invalid("form", "The catalog recommends no version to move to yet.")
    })?;
    move_to_version(ctx, tx, cfg, billing, community, environment, &replacement).await
}

/// Moves `environment` of `community`'s hub, an environment from the catalog, to another
/// `version` of the same entry: a new revision ("Pangeo 2025.06.02 → 2025.08.14").
pub async fn move_to_version(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    community: &str,
    environment: &str,
    version: &str,
) -> Result<HubSaved> {
    let access = access::change(ctx, tx, community, Action::EditHub).await?;
    let spec = hubs::latest_spec(tx.conn(), cfg, &access).await?;
    let reference = spec
        .environments
        .iter()
        .find(|e| e.slug == environment)
        .and_then(|e| e.catalog.clone())
        .ok_or(DomainError::NotFound)?;
    // The hub uses the entry already, so whether it may was settled when it was added.
    let everything = stoa_db::catalog::Viewer {
        account: None,
        staff: true,
        now: ctx.now,
    };
    let found = stoa_db::catalog::get(tx.conn(), &everything, &reference.entry)
        .await?
        .ok_or(DomainError::NotFound)?;
    let target = stoa_db::catalog::versions(tx.conn(), found.id)
        .await?
        .into_iter()
        .find(|v| v.version == version.trim())
        .ok_or_else(|| DomainError::invalid("version", "Choose one of the versions listed."))?;
    if target.deprecated {
        return Err(DomainError::invalid(
            "version",
            format!("Version {} is deprecated.", target.version),
        ));
    }
    let choice = CatalogChoice {
        original: environment.to_owned(),
        display_name: String::new(),
        description: String::new(),
        image: target.image,
        reference: stoa_hubs::CatalogRef {
            entry: found.slug,
            name: found.name,
            version: target.version,
        },
    };
    hubs::save_on_latest(ctx, tx, cfg, billing, community, &Edit::Catalog(choice)).await
}

/// A version staff find: the entry (any visibility) and the version by name.
async fn version_of(
    ctx: &Ctx,
    tx: &mut WriteTx,
    entry: &str,
    version: &str,
) -> Result<(
    stoa_db::catalog::Entry,
    Vec<stoa_db::catalog::Version>,
    usize,
)> {
    let found = stoa_db::catalog::get(tx.conn(), &viewer(ctx), entry.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    let versions = stoa_db::catalog::versions(tx.conn(), found.id).await?;
    let at = versions
        .iter()
        .position(|v| v.version == version.trim())
        .ok_or_else(|| DomainError::invalid("version", "Choose one of the versions listed."))?;
    Ok((found, versions, at))
}

/// Staff: marks `version` of `entry` deprecated, recommending `replacement` (another version
/// of the entry, or blank for none). The admins of every hub whose applied revision uses it
/// are mailed once (through the job queue); returns how many hubs were told now.
pub async fn deprecate(
    ctx: &Ctx,
    tx: &mut WriteTx,
    entry: &str,
    version: &str,
    replacement: &str,
) -> Result<usize> {
    let me = access::signed_in(ctx, Action::ManageCatalog)?;
    let (found, versions, at) = version_of(ctx, tx, entry, version).await?;
    let chosen = &versions[at];
    let instead = match replacement.trim() {
        "" => None,
        typed => Some(
            versions
                .iter()
                .find(|v| v.version == typed && v.id != chosen.id && !v.deprecated)
                .ok_or_else(|| {
                    DomainError::invalid(
                        "replacement",
                        "Recommend another version of this entry that is not deprecated, or none.",
                    )
                })?,
        ),
    };
    stoa_db::catalog::set_deprecated(tx.conn(), chosen.id, true, instead.map(|v| v.id)).await?;
    let target = format!("{} {}", found.name, chosen.version);
    crate::audit::Audit::by(me, "catalog.version_deprecated", &target)
        .after(serde_json::json!({ "replacement": instead.map(|v| &v.version) }))
        .record(tx.conn(), ctx.now)
        .await?;
    let advice = match instead {
        Some(v) => format!(
            "The catalog recommends {} {} instead. Your hub page offers the move as a new \
             revision, which you review and apply like any other change.",
            found.name, v.version
        ),
        None => "Choose another environment for it on your hub page.".to_owned(),
    };
    notify(
        ctx,
        tx,
        chosen.id,
        "deprecated",
        &|community, environment| crate::mail::Mail {
            subject: format!("{target} is deprecated on your hub"),
            body: format!(
                "Hello,\n\nThe hub of {community} offers the environment '{environment}', which \
                 uses {target} from the Stoa catalog. That version is now deprecated. {advice}\n\n"
            ),
        },
    )
    .await
}

/// Staff: attaches a security notice to `version` of `entry` (plain text; blank removes it).
/// A new notice is mailed once to the admins of every hub whose applied revision uses the
/// version; returns how many hubs were told now.
pub async fn set_security_notice(
    ctx: &Ctx,
    tx: &mut WriteTx,
    entry: &str,
    version: &str,
    notice: &str,
) -> Result<usize> {
    let me = access::signed_in(ctx, Action::ManageCatalog)?;
    let (found, versions, at) = version_of(ctx, tx, entry, version).await?;
    let chosen = &versions[at];
    let notice = notice.trim().replace("\r\n", "\n");
    if notice.chars().count() > MAX_NOTICE_CHARS {
        return Err(DomainError::invalid(
            "notice",
            format!("Keep the notice to {MAX_NOTICE_CHARS} characters."),
        ));
    }
    stoa_db::catalog::set_security_notice(tx.conn(), chosen.id, &notice).await?;
    let target = format!("{} {}", found.name, chosen.version);
    crate::audit::Audit::by(me, "catalog.security_notice", &target)
        .before(serde_json::json!({ "notice": chosen.security_notice }))
        .after(serde_json::json!({ "notice": notice }))
        .record(tx.conn(), ctx.now)
        .await?;
    if notice.is_empty() {
        return Ok(0);
    }
    notify(ctx, tx, chosen.id, "security", &|community, environment| {
        crate::mail::Mail {
            subject: format!("Security notice for {target} on your hub"),
            body: format!(
                "Hello,\n\nThe hub of {community} offers the environment '{environment}', which \
                 uses {target} from the Stoa catalog. Stoa's staff attached this security \
                 notice to it:\n\n{notice}\n\n"
            ),
        }
    })
    .await
}

/// Longest security notice.
pub const MAX_NOTICE_CHARS: usize = 2000;

/// Queues `mail` (given the community's name and the environment's name) to the owners and
/// admins of each hub whose applied revision uses `version`, once per hub and `kind`, with a
/// link to the hub page; returns how many hubs were told now.
async fn notify(
    ctx: &Ctx,
    tx: &mut WriteTx,
    version: i64,
    kind: &str,
    mail: &(dyn Fn(&str, &str) -> crate::mail::Mail + Sync),
) -> Result<usize> {
    let mut told = 0;
    for (hub, community) in stoa_db::catalog::hubs_using(tx.conn(), version).await? {
        if !stoa_db::catalog::claim_notice(tx.conn(), version, hub, kind, ctx.now).await? {
            continue;
        }
        told += 1;
        let community = stoa_db::communities::by_id(tx.conn(), community).await?;
        let environments: Vec<String> =
            stoa_db::catalog::environments_using(tx.conn(), hub, version).await?;
        let mut m = mail(&community.name, &environments.join("', '"));
        m.body.push_str(&format!(
            "Your hub page:\n\n{}/communities/{}/hub\n",
            ctx.public_url, community.slug
        ));
        for to in stoa_db::memberships::manager_emails(tx.conn(), community.id, ctx.now).await? {
            let task = stoa_db::jobs::Task::SendNotice {
                to,
                subject: m.subject.clone(),
                body: m.body.clone(),
            };
            stoa_db::jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
        }
    }
    Ok(told)
}

/// Records which catalog versions `spec` (a hub's applied revision) uses.
pub(crate) async fn record_uses(
    conn: stoa_db::Conn<'_>,
    hub: stoa_db::hubs::HubId,
    spec: &HubSpec,
) -> Result<()> {
    let uses: Vec<Use<'_>> = spec
        .environments
        .iter()
        .filter_map(|e| {
            e.catalog.as_ref().map(|c| Use {
                environment: &e.slug,
                entry: &c.entry,
                version: &c.version,
            })
        })
        .collect();
    Ok(stoa_db::catalog::record_uses(conn, hub, &uses).await?)
}

/// The hub page's notices: applied environments on a deprecated version or one with a
/// security notice, and whether `latest` (the newest saved settings) already moves them on.
pub(crate) async fn notices(
    conn: stoa_db::Conn<'_>,
    hub: &stoa_db::hubs::Hub,
    latest: &HubSpec,
) -> Result<Vec<CatalogNotice>> {
    let warnings = stoa_db::catalog::warnings(conn, hub.id).await?;
    Ok(warnings
        .into_iter()
        .map(|w| {
            let moved = latest
                .environments
                .iter()
                .find(|e| e.slug == w.environment)
                .is_none_or(|e| {
                    e.catalog
                        .as_ref()
                        .is_none_or(|c| c.entry != w.entry_slug || c.version != w.version)
                });
            let headline = if w.deprecated {
                format!("{} {} is deprecated", w.entry_name, w.version)
            } else {
                format!("{} {} has a security notice", w.entry_name, w.version)
            };
            CatalogNotice {
                environment: w.environment,
                entry_slug: w.entry_slug,
                headline,
                security_notice: w.security_notice,
                replacement: w.replacement,
                moved_in: moved
                    .then_some(hub.latest_revision)
                    .filter(|n| Some(*n) != hub.applied_revision),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTER: &str = include_str!("../../../catalog/starter.yaml");

    fn page_of(page: i64) -> (ListKey, CatalogView) {
        let key = ListKey {
            staff: false,
            own_hidden: Vec::new(),
            search: String::new(),
            language: String::new(),
            tag: String::new(),
            sort: "name",
            page,
        };
        let view = CatalogView {
            search: String::new(),
            language: String::new(),
            tag: String::new(),
            sort: "name".into(),
            entries: Vec::new(),
            total: 0,
            page,
            pages: 1,
            languages: Vec::new(),
            tags: Vec::new(),
            waiting: Vec::new(),
        };
        (key, view)
    }

    #[test]
    fn the_list_cache_serves_a_page_only_under_its_generation() {
        let cache = ListCache::default();
        let (key, view) = page_of(1);
        assert_eq!(cache.get(7, &key), None);
        cache.put(7, key.clone(), view.clone());
        assert_eq!(cache.get(7, &key), Some(view.clone()));
        assert_eq!(cache.get(8, &key), None, "the catalog changed since");
        let staff = ListKey {
            staff: true,
            ..key.clone()
        };
        assert_eq!(cache.get(7, &staff), None, "staff see another list");
        let members = ListKey {
            own_hidden: vec![stoa_db::communities::CommunityId(3)],
            ..key.clone()
        };
        assert_eq!(
            cache.get(7, &members),
            None,
            "so do members of a maintainer"
        );

        // A page of a new generation drops the old ones; a late one of the old generation
        // drops the new ones (made again on the next request) and is never served as new.
        let (other, other_view) = page_of(2);
        cache.put(8, other.clone(), other_view);
        assert_eq!((cache.len(), cache.get(7, &key)), (1, None));
        cache.put(7, key, view);
        assert_eq!(cache.get(8, &other), None);
    }

    #[test]
    fn the_list_cache_is_bounded_oldest_first() {
        let cache = ListCache::default();
        let pages = i64::try_from(MAX_CACHED_PAGES).unwrap();
        for page in 1..=pages + 10 {
            let (key, view) = page_of(page);
            cache.put(1, key, view);
        }
        assert_eq!(cache.len(), MAX_CACHED_PAGES);
        assert_eq!(cache.get(1, &page_of(10).0), None, "the oldest went");
        assert!(cache.get(1, &page_of(11).0).is_some());
        assert!(cache.get(1, &page_of(pages + 10).0).is_some());
    }

    #[test]
    fn the_starter_set_is_a_valid_catalog() {
        let file: CatalogFile = serde_saphyr::from_str(STARTER).expect("parses");
        check(&file).expect("valid");
        assert!(file.entries.len() >= 8, "a useful starter set");
    }

    #[test]
    fn images_are_checked_as_the_hub_editor_checks_them() {
        use stoa_hubs::image::examples::{BAD, GOOD};
        let with = |image: &str| CatalogFile {
            entries: vec![EntryIn {
                slug: "x-stack".into(),
                name: "X".into(),
                summary: String::new(),
                description: String::new(),
                languages: Vec::new(),
                tags: Vec::new(),
                maintainer: "staff".into(),
                visibility: "public".into(),
                source: String::new(),
                docs: String::new(),
                versions: vec![VersionIn {
                    version: "1".into(),
                    image: image.into(),
                    released: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    notes: String::new(),
                    deprecated: false,
                    replacement: None,
                    security_notice: String::new(),
                }],
            }],
        };
        for good in GOOD {
            assert_eq!(check(&with(good)), Ok(()), "{good:?}");
        }
        for bad in BAD {
            let problems = check(&with(bad)).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(".versions[0].image: ")),
                "{bad:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn every_mistake_is_named_with_its_place() {
        let file: CatalogFile = serde_saphyr::from_str(
            r#"
entries:
  - slug: Bad Slug
    name: ""
    languages: [Python]
    visibility: secret
    source: ftp://example.org
    versions:
      - version: "1"
        image: "not an image!"
        released: 2025-01-01
        replacement: "2"
  - slug: twice
    name: Twice
    versions: []
  - slug: twice
    name: Twice again
    maintainer: staff
    visibility: private
    versions:
      - { version: "1", image: "quay.io/a/b:1", released: 2025-01-01 }
      - { version: "1", image: "quay.io/a/b:2", released: 2025-01-02 }
"#,
        )
        .unwrap();
        let problems = check(&file).unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "entries[0] (Bad Slug).slug",
            "entries[0] (Bad Slug).name",
            "entries[0] (Bad Slug).languages: \"Python\"",
            "entries[0] (Bad Slug).visibility",
            "entries[0] (Bad Slug).source",
            "entries[0] (Bad Slug).versions[0].image",
            "entries[0] (Bad Slug).versions[0].replacement",
            "entries[1] (twice).versions: at least one",
            "entries[2] (twice).slug: appears twice",
            "entries[2] (twice).visibility: a private entry belongs to a community",
            "entries[2] (twice).versions: a version name appears twice",
        ] {
            assert!(all.contains(expected), "{expected} missing in:\n{all}");
        }
    }
}
