//! The public community directory.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Most rows one directory page may ask for.
pub const MAX_PER_PAGE: u32 = 50;
/// Longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// A community as shown in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunitySummary {
    /// URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Research or teaching field.
    pub field: String,
    /// Public website.
    pub website: Option<String>,
    /// Month it joined, e.g. "November 2026".
    pub joined: String,
}

/// One page of directory results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityPage {
    /// Rows on this page.
    pub items: Vec<CommunitySummary>,
    /// Rows matching in all.
    pub total: u64,
    /// This page, from 1.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

/// Checks and normalises directory parameters; shared by the server function and tests.
pub fn validate_query(
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<(String, u32, u32), AppError> {
    let query = query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::Invalid {
            field: "q".into(),
            message: format!("Search text is limited to {MAX_QUERY_CHARS} characters."),
        });
    }
    if query.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: "q".into(),
            message: "Search text cannot contain control characters.".into(),
        });
    }
    if page == 0 || page > 100_000 {
        return Err(AppError::Invalid {
            field: "page".into(),
            message: "No such page.".into(),
        });
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::Invalid {
            field: "per_page".into(),
            message: format!("Between 1 and {MAX_PER_PAGE} communities per page."),
        });
    }
    Ok((query.to_owned(), page, per_page))
}

/// Lists communities whose name, slug or field contains `query`, newest first.
#[server(prefix = "/api", endpoint = "communities/list")]
pub async fn list_communities(
    query: String,
    page: u32,
    per_page: u32,
) -> Result<CommunityPage, AppError> {
    crate::ssr::respond(async move {
        crate::access::global(crate::policy::Action::ViewDirectory)?;
        let (query, page, per_page) = validate_query(&query, page, per_page)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let offset = i64::from(page - 1) * i64::from(per_page);
        let found =
            stoa_db::communities::search(conn.conn(), &query, i64::from(per_page), offset).await?;
        Ok(CommunityPage {
            items: found
                .items
                .into_iter()
                .map(|c| CommunitySummary {
                    joined: c.created_at.as_datetime().format("%B %Y").to_string(),
                    slug: c.slug,
                    name: c.name,
                    description: c.description,
                    field: c.field,
                    website: c.website,
                })
                .collect(),
            total: u64::try_from(found.total).unwrap_or(0),
            page,
            per_page,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_directory_parameters() {
        assert_eq!(
            validate_query("  ocean ", 1, 20).unwrap(),
            ("ocean".into(), 1, 20)
        );
        assert!(
            matches!(validate_query(&"x".repeat(101), 1, 20), Err(AppError::Invalid { field, .. }) if field == "q")
        );
        assert!(matches!(
            validate_query("a\u{0}b", 1, 20),
            Err(AppError::Invalid { .. })
        ));
        assert!(
            matches!(validate_query("", 0, 20), Err(AppError::Invalid { field, .. }) if field == "page")
        );
        assert!(
            matches!(validate_query("", 1, 51), Err(AppError::Invalid { field, .. }) if field == "per_page")
        );
    }
}
