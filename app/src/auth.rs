//! Who is signed in, as the UI sees it.

use serde::{Deserialize, Serialize};

/// The signed-in person, resolved by the server for each request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// Account id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Verified email, if known.
    pub email: Option<String>,
    /// Staff of the service.
    pub is_staff: bool,
    /// Set while a staff member sees Stoa as this person: read-only, for a limited time
    /// (every other field is then the member's).
    pub viewing_as: Option<ViewingAs>,
}

/// A staff member seeing Stoa as a member, with the member's consent on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewingAs {
    /// The staff member's account.
    pub staff_id: i64,
    /// Their name.
    pub staff_name: String,
    /// The ticket the consent is on.
    pub ticket: i64,
    /// Its community.
    pub community_slug: String,
    /// When it ends by itself, `HH:MM UTC`.
    pub until: String,
}

/// Sign-in page message for an `error` code in its URL (set by the server's auth routes).
pub fn sign_in_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid_email" => "Enter a valid email address, like name@university.edu.",
        "rate_limited" => {
            "Too many sign-in links were requested. Wait a few minutes and try again."
        }
        "mail_failed" => "We could not send the email. Please try again in a moment.",
        "link_invalid" => {
            "That sign-in link is invalid, expired or already used. Ask for a new one."
        }
        "provider" => "That sign-in provider is not available.",
        "denied" => "Sign-in was cancelled at the provider.",
        "failed" => "The sign-in provider could not confirm who you are. Please try again.",
        "identity_taken" => "That identity is already linked to another Stoa account.",
        "email_in_use" => {
            "A Stoa account with this email address exists already. Sign in with an email link \
             (or as you did before), then link this provider on your account page."
        }
        "internal" => "Something went wrong on our side. Please try again.",
        _ => return None,
    })
}
