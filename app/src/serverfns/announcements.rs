//! Announcements: the banners a signed-in person sees, and the staff's list and form.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::announcements::{AnnouncementDetail, AnnouncementsView, Banner};

/// What the caller should see now (nothing when signed out).
#[server(prefix = "/api", endpoint = "announcements/current")]
pub async fn current_announcements() -> Result<Vec<Banner>, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::announcements::current(ctx, conn).await).await
}

/// Dismisses an announcement, or acknowledges it (`acknowledge` = `true`).
#[server(prefix = "/api", endpoint = "announcements/read")]
pub async fn read_announcement(
    announcement: String,
    #[server(default)] acknowledge: String,
) -> Result<(), AppError> {
    let acknowledge = acknowledge == "true";
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::announcements::read(ctx, tx, &announcement, acknowledge).await
    })
    .await
}

/// Staff: every announcement.
#[server(prefix = "/api", endpoint = "announcements/list")]
pub async fn list_announcements(
    #[server(default)] page: String,
) -> Result<AnnouncementsView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::announcements::list(ctx, conn, &page).await)
        .await
}

/// Staff: makes an announcement; the answer leads to its page.
#[server(prefix = "/api", endpoint = "announcements/create")]
pub async fn create_announcement(
    title: String,
    #[server(default)] body: String,
    severity: String,
    #[server(default)] required: String,
    audience: String,
    #[server(default)] communities: String,
    #[server(default)] starts: String,
    ends: String,
    #[server(default)] mail: String,
) -> Result<i64, AppError> {
    let form = stoa_domain::announcements::NewForm {
        title: &title,
        body: &body,
        severity: &severity,
        required: matches!(required.as_str(), "on" | "true"),
        audience: &audience,
        communities: &communities,
        starts: &starts,
        ends: &ends,
        mail: matches!(mail.as_str(), "on" | "true"),
    };
    crate::ssr::write(async |ctx, tx| stoa_domain::announcements::create(ctx, tx, form).await)
        .await
        .inspect(|id| crate::ssr::go_to(&format!("/staff/announcements/{id}")))
}

/// Staff: one announcement with who acknowledged it.
#[server(prefix = "/api", endpoint = "announcements/get")]
pub async fn get_announcement(announcement: String) -> Result<AnnouncementDetail, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::announcements::detail(ctx, conn, &announcement).await
    })
    .await
}
