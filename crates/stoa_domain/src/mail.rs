//! The text of every mail Stoa sends about communities and institutions, in one place. Each
//! function returns the subject and plain-text body; the worker (or the job queued by a
//! service) sends it. Names chosen by users (community, person) are quoted as plain text:
//! the mail is `text/plain`, so nothing in them is interpreted.

use stoa_db::Timestamp;
use stoa_model::Role;

// Invitation subjects are fixed: the community or institution name is chosen by whoever
// invites, and a subject line of their choosing would make Stoa a carrier for their message.
// The name is in the body, quoted as the name the community gave itself.

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// The invitation to join community `community` as `role`, from `inviter`, with the
/// one-time `link` that works until `expires_at`. The invitation is bound to the address it
/// is sent to, so the text says which address to sign in with.
pub fn invitation(
    inviter: &str,
    community: &str,
    role: Role,
    to: &str,
    link: &str,
    expires_at: Timestamp,
) -> Mail {
    Mail {
        subject: "Invitation to join a community on Stoa".to_owned(),
        body: format!(
            "Hello,\n\n{inviter} invites you to join the community “{community}” on Stoa as \
             {role}.\n\n\
             Accept the invitation here:\n\n{link}\n\n\
             The invitation is for {to}: sign in with this address (an email link to it works, \
             and creates your account if you have none). The link works once, until {} UTC. \
             If you did not expect this, ignore this message.\n",
            expires_at.as_datetime().format("%-d %B %Y %H:%M"),
        ),
    }
}

/// The invitation to become an admin of institution `institution` (its legal name), from
/// `inviter`.
pub fn institution_invitation(
    inviter: &str,
    institution: &str,
    to: &str,
    link: &str,
    expires_at: Timestamp,
) -> Mail {
    Mail {
        subject: "Invitation to administer an institution on Stoa".to_owned(),
        body: format!(
            "Hello,\n\n{inviter} invites you to become an admin of the institution \
             “{institution}” on Stoa: \
             admins manage its details and see the billing of the communities it pays for.\n\n\
             Accept the invitation here:\n\n{link}\n\n\
             The invitation is for {to}: sign in with this address (an email link to it works, \
             and creates your account if you have none). The link works once, until {} UTC. \
             If you did not expect this, ignore this message.\n",
            expires_at.as_datetime().format("%-d %B %Y %H:%M"),
        ),
    }
}

/// The answer to `requester`'s request to join `community` (slug `slug`): approved or not.
/// `public_url` has no trailing slash.
pub fn join_decision(
    requester: &str,
    community: &str,
    slug: &str,
    approved: bool,
    public_url: &str,
) -> Mail {
    if approved {
        Mail {
            subject: format!("Welcome to {community}"),
            body: format!(
                "Hello {requester},\n\nYour request to join {community} on Stoa was approved. \
                 You are a member now:\n\n{public_url}/communities/{slug}\n"
            ),
        }
    } else {
        Mail {
            subject: format!("Your request to join {community}"),
            body: format!(
                "Hello {requester},\n\nThe admins of {community} on Stoa did not approve your \
                 request to join this time.\n"
            ),
        }
    }
}

/// The notice that `member`'s membership of `community` (slug `slug`) ends at `ends_at`.
pub fn membership_end(
    member: &str,
    community: &str,
    slug: &str,
    ends_at: Timestamp,
    public_url: &str,
) -> Mail {
    let date = ends_at.as_datetime().format("%-d %B %Y");
    Mail {
        subject: format!("Your membership of {community} ends on {date}"),
        body: format!(
            "Hello {member},\n\nYour membership of {community} on Stoa ends on {date} (00:00 UTC). \
             After that you can no longer use its hub. Save any work you want to keep before \
             then.\n\nIf this is a mistake, ask the community's admins to change the end date:\
             \n\n{public_url}/communities/{slug}\n"
        ),
    }
}

/// The notice to a community's billing contacts that its payment is overdue, and when
/// changes to its hub pause.
pub fn payment_overdue(
    community: &str,
    slug: &str,
    pauses_on: Timestamp,
    public_url: &str,
) -> Mail {
    let date = pauses_on.as_datetime().format("%-d %B %Y");
    Mail {
        subject: format!("Payment for {community} is overdue"),
        body: format!(
            "Hello,\n\nThe membership of {community} on Stoa is not paid for. Its hub keeps \
             running, but from {date} changes to it (new settings, new environments) pause until \
             the payment arrives. Nothing is deleted.\n\nWhat is due, and how to pay:\n\n\
             {public_url}/communities/{slug}/billing\n\nIf you paid already, reply with the \
             transfer's reference and we will match it.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_decision_says_yes_or_no() {
        let yes = join_decision("Ada", "Ocean Lab", "ocean", true, "https://stoa.example");
        assert_eq!(yes.subject, "Welcome to Ocean Lab");
        assert!(yes.body.contains("https://stoa.example/communities/ocean"));
        let no = join_decision("Ada", "Ocean Lab", "ocean", false, "https://stoa.example");
        assert_eq!(no.subject, "Your request to join Ocean Lab");
        assert!(!no.body.contains("/communities/"));
    }

    #[test]
    fn invitation_names_the_address_to_sign_in_with() {
        let at = Timestamp::from(chrono::DateTime::UNIX_EPOCH);
        let mail = invitation(
            "Grace",
            "Ocean Lab",
            Role::Admin,
            "ada@example.org",
            "https://s/x",
            at,
        );
        assert!(mail.body.contains("for ada@example.org"));
        assert_eq!(mail.subject, "Invitation to join a community on Stoa");
        assert!(mail.body.contains("the community “Ocean Lab”"));
        assert!(mail.body.contains("as admin"));
        assert!(mail.body.contains("1 January 1970 00:00"));
    }
}
