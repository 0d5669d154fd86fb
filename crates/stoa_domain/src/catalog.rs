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
use stoa_db::catalog::{EntryFields, VersionFields};
use stoa_db::{Timestamp, WriteTx};

use crate::{DomainError, Result};

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
