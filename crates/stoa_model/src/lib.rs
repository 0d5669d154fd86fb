//! Stoa's vocabulary, shared by the store, the domain services and the UI (server and
//! browser): the newtypes that are valid by construction ([`Slug`], [`Email`], [`Role`],
//! [`JoinPolicy`]), the authorization [`policy`], and the form checks in [`validate`]. No IO.

pub mod account;
pub mod announcements;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod community;
pub mod console;
pub mod hub;
pub mod institution;
pub mod invitation;
pub mod join_requests;
pub mod logo;
pub mod members;
pub mod policy;
#[cfg(feature = "sqlx")]
mod sqlx_text;
pub mod support;
pub mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use join_requests::JoinRequestStatus;
pub use policy::{Action, Actor, Decision, Role, Rule, decide};

/// One field's validation message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMessage {
    /// Form field the message belongs next to (`form` for the whole form).
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldMessage {
    /// A message for `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Input that failed validation: one message per invalid field (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldMessage>);

impl Invalid {
    /// One message for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Invalid(vec![FieldMessage::new(field, message)])
    }

    /// The fields that have messages.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|m| m.field.as_str()).collect()
    }

    /// The message for `field`, if any.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|m| m.field == field)
            .map(|m| m.message.as_str())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|m| m.message.as_str()).collect();
        f.write_str(&messages.join(" "))
    }
}

impl std::error::Error for Invalid {}

/// A community's URL name: 2–40 characters of `a-z`, `0-9` and single inner hyphens,
/// starting with a letter, not one of [`validate::RESERVED_SLUGS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Checks `value` (trimmed); the error names the `slug` field.
    pub fn parse(value: &str) -> Result<Slug, Invalid> {
        validate::slug(value).map(Slug)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl std::ops::Deref for Slug {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, trimmed and lower-cased, that is plausible as a mailbox: one `@`, a
/// dotted domain of letters, digits and hyphens, a local part of RFC 5322 `atext` and
/// single dots, at most 64 + 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Normalises and checks `input`; `None` if it is not an address.
    pub fn parse(input: &str) -> Option<Email> {
        let email = input.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| atext(c) || c == '.');
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let domain_ok = domain.contains('.') && labels_ok;
        (local_ok && domain_ok && email.len() <= 254).then_some(Email(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part (after `@`).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value).ok_or_else(|| Invalid::field("email", "Enter a valid email address."))
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl std::ops::Deref for Email {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How people join a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Only people its admins invite.
    #[default]
    Invite,
    /// Signed-in people may ask; its admins decide.
    Request,
}

impl JoinPolicy {
    /// Every policy, in the order the form offers them.
    pub const ALL: [JoinPolicy; 2] = [JoinPolicy::Invite, JoinPolicy::Request];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JoinPolicy::Invite => "invite",
            JoinPolicy::Request => "request",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<JoinPolicy> {
        JoinPolicy::ALL.into_iter().find(|p| p.as_str() == value)
    }

    /// In words, for forms.
    pub fn label(self) -> &'static str {
        match self {
            JoinPolicy::Invite => "By invitation only",
            JoinPolicy::Request => "Signed-in people may ask to join",
        }
    }
}

impl fmt::Display for JoinPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ")
                .map(String::from)
                .as_deref(),
            Some("ada@example.org")
        );
        assert_eq!(
            Email::parse("a.b+tag@x-y.example.org").unwrap().domain(),
            "x-y.example.org"
        );
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@",
            "ada@localhost",
            "ada@@example.org",
            "ada@example..org",
            "ada@-example.org",
            ".ada@example.org",
            "a..da@example.org",
            "a da@example.org",
            "<ada@example.org>",
            "ada@example.org, bob@example.org",
            "ada\u{0}@example.org",
            "adä@example.org",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(65))).is_none());
    }

    #[test]
    fn slugs_and_policies_round_trip() {
        let slug = Slug::parse(" ocean-lab ").unwrap();
        assert_eq!(slug.as_str(), "ocean-lab");
        let json = serde_json_like(&slug);
        assert_eq!(json, "ocean-lab");
        assert!(Slug::try_from("Ocean".to_owned()).is_err());
        for p in JoinPolicy::ALL {
            assert_eq!(JoinPolicy::parse(p.as_str()), Some(p));
        }
        assert_eq!(JoinPolicy::parse("open"), None);
    }

    fn serde_json_like(slug: &Slug) -> String {
        String::from(slug.clone())
    }
}
