//! What the invitation pages show: the invite results, the pending list, and the page an
//! invitation link (or, after signing in, its reference) leads to.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Role;

/// Most addresses one paste may hold.
pub const MAX_BULK: usize = 500;
/// Days an invitation works unless told otherwise.
pub const DEFAULT_EXPIRY_DAYS: u32 = 7;

/// What happened to one pasted address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteOutcome {
    /// Invitation created; the mail is on its way.
    Invited,
    /// That person is in the community already.
    AlreadyMember,
    /// An open invitation exists already (resend it instead).
    AlreadyInvited,
    /// Not an email address.
    InvalidAddress,
    /// The same address appeared earlier in the paste.
    Duplicate,
}

impl InviteOutcome {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            InviteOutcome::Invited => "invited",
            InviteOutcome::AlreadyMember => "already a member",
            InviteOutcome::AlreadyInvited => "already invited",
            InviteOutcome::InvalidAddress => "invalid address",
            InviteOutcome::Duplicate => "duplicate",
        }
    }
}

/// One row of the bulk result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    /// What was typed (trimmed).
    pub input: String,
    /// What happened.
    pub outcome: InviteOutcome,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Open; its mail is queued.
    Sending,
    /// Open; its mail went out.
    Sent,
    /// Used.
    Accepted,
    /// Past its expiry without being used.
    Expired,
    /// Withdrawn (or replaced by a newer one).
    Revoked,
}

impl InvitationStatus {
    /// Still usable.
    pub fn is_open(self) -> bool {
        matches!(self, InvitationStatus::Sending | InvitationStatus::Sent)
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Sending => "sending",
            InvitationStatus::Sent => "sent",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
        }
    }
}

/// An unresolved invitation, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    /// Id.
    pub id: i64,
    /// Address.
    pub email: String,
    /// Role it grants.
    pub role: Role,
    /// Sending, sent or expired.
    pub status: InvitationStatus,
    /// Expiry (YYYY-MM-DD).
    pub expires_on: String,
}

/// A non-secret name for an invitation, carried through sign-in in `next` instead of its
/// token (`community-42`, `institution-7`). It gives nothing to whoever reads it: only the
/// account with the invited address may see or accept the invitation by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvitationRef {
    /// An invitation to join a community.
    Community(i64),
    /// An invitation to administer an institution.
    Institution(i64),
}

impl InvitationRef {
    /// Parses the text form; `None` if it is not one.
    pub fn parse(text: &str) -> Option<InvitationRef> {
        let (kind, id) = text.split_once('-')?;
        let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
        match kind {
            "community" => Some(InvitationRef::Community(id)),
            "institution" => Some(InvitationRef::Institution(id)),
            _ => None,
        }
    }
}

impl fmt::Display for InvitationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvitationRef::Community(id) => write!(f, "community-{id}"),
            InvitationRef::Institution(id) => write!(f, "institution-{id}"),
        }
    }
}

/// What an invitation is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationTarget {
    /// Joining a community with a role.
    Community {
        /// Its slug.
        slug: String,
        /// Its name.
        name: String,
        /// The role it grants.
        role: Role,
    },
    /// Administering an institution.
    Institution {
        /// Its id.
        id: i64,
        /// Its legal name.
        name: String,
    },
}

/// Who is looking at an invitation, as far as accepting it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Viewer {
    /// Nobody signed in.
    Anonymous,
    /// Signed in with the invited address: may accept.
    Invitee,
    /// Signed in without the invited address: may not accept.
    OtherAccount,
}

/// What the invitation page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// The reference to carry through sign-in and to accept with.
    pub reference: String,
    /// What it is for, the address it was sent to and where it stands: shown to whoever
    /// holds the link, and to the invitee; `None` for anyone else opening a reference.
    pub details: Option<InvitationDetails>,
    /// Who looks.
    pub viewer: Viewer,
}

/// The facts of an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationDetails {
    /// What it is for.
    pub target: InvitationTarget,
    /// The address it was sent to.
    pub email: String,
    /// Where it stands.
    pub status: InvitationStatus,
    /// The viewer is a member (or admin) already.
    pub already_in: bool,
}

/// Splits a paste into addresses: newlines, commas, semicolons and spaces separate.
pub fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == '\n' || c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_and_reject_junk() {
        for r in [InvitationRef::Community(42), InvitationRef::Institution(7)] {
            assert_eq!(InvitationRef::parse(&r.to_string()), Some(r));
        }
        for bad in [
            "",
            "community",
            "community-",
            "community-0",
            "community--1",
            "team-3",
            "community-x",
        ] {
            assert_eq!(InvitationRef::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pastes_split_on_any_separator() {
        assert_eq!(
            split_addresses("a@x.org, b@x.org;c@x.org\n d@x.org "),
            ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]
        );
    }
}
