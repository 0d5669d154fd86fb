//! Announcements as pages show them.

use serde::{Deserialize, Serialize};

/// An announcement shown at the top of every page to the people it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    /// Its id (the dismiss form sends it).
    pub id: i64,
    /// One line.
    pub title: String,
    /// Sanitised HTML from the Markdown.
    pub body_html: String,
    /// `info`, `warning`, `critical`.
    pub severity: String,
    /// Acknowledged (and recorded) rather than dismissed.
    pub required: bool,
}

/// An announcement in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementRow {
    /// Its id.
    pub id: i64,
    /// One line.
    pub title: String,
    /// `info`, `warning`, `critical`.
    pub severity: String,
    /// Acknowledged rather than dismissed.
    pub required: bool,
    /// `Everyone` or `3 communities`.
    pub audience: String,
    /// `2026-12-01 09:00 – 2026-12-02 09:00 UTC`.
    pub window: String,
    /// `scheduled`, `shown`, `ended`.
    pub state: String,
    /// Mailed when made.
    pub mailed: bool,
    /// People who acknowledged it.
    pub acknowledged: i64,
    /// People who dismissed it.
    pub dismissed: i64,
}

/// The staff's announcements page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementsView {
    /// Newest first.
    pub items: Vec<AnnouncementRow>,
    /// In all.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Pages.
    pub pages: i64,
}

/// One person's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadView {
    /// Name.
    pub name: String,
    /// Address (staff see it).
    pub email: String,
    /// Acknowledged, else dismissed.
    pub acknowledged: bool,
    /// When, `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
}

/// One announcement for staff: its text, audience and who acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementDetail {
    /// In summary.
    pub row: AnnouncementRow,
    /// Sanitised HTML.
    pub body_html: String,
    /// The communities it is for (slug, name); empty for everyone.
    pub communities: Vec<(String, String)>,
    /// How many people it is for now.
    pub audience_size: i64,
    /// Who answered, first first.
    pub reads: Vec<ReadView>,
}
