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
use stoa_db::catalog::{EntryFields, Listing, Sort, VersionFields};
use stoa_db::{Timestamp, WriteTx};
use stoa_model::Action;
use stoa_model::catalog::{CatalogView, EntryCard, EntryView, VersionView};

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
            }
        })
        .collect())
}

/// The catalog page: entries the caller may see matching `search` (as typed), `language`,
/// `tag`, sorted by `sort` (`name`, the default, or `newest`), page `page` (from 1).
pub async fn browse(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    search: &str,
    language: &str,
    tag: &str,
    sort: &str,
    page: &str,
) -> Result<CatalogView> {
    access::global(ctx, Action::ViewCatalog)?;
    let sort_by = match sort.trim() {
        "" | "name" => Sort::Name,
        "newest" => Sort::Newest,
        _ => return Err(DomainError::invalid("sort", "Sort by name or newest.")),
    };
    let page: i64 = match page.trim() {
        "" => 1,
        typed => typed
            .parse()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or_else(|| DomainError::invalid("page", "A page number, from 1."))?,
    };
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
    let entries = cards(conn, &found.items).await?;
    let pick = |kind: &str| -> Vec<(String, i64)> {
        facets
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, v, n)| (v.clone(), *n))
            .collect()
    };
    Ok(CatalogView {
        search: search.to_owned(),
        language: language.to_owned(),
        tag: tag.to_owned(),
        sort: if sort_by == Sort::Newest {
            "newest"
        } else {
            "name"
        }
        .to_owned(),
        entries,
        total: found.total,
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        languages: pick("language"),
        tags: pick("tag"),
    })
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTER: &str = include_str!("../../../catalog/starter.yaml");

    #[test]
    fn the_starter_set_is_a_valid_catalog() {
        let file: CatalogFile = serde_saphyr::from_str(STARTER).expect("parses");
        check(&file).expect("valid");
        assert!(file.entries.len() >= 8, "a useful starter set");
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
