//! Who may do what: the one place that decides (actor, action, resource).
//!
//! Every server function and page asks [`decide`] before it reads or changes anything; the
//! store is never consulted about permissions. The rules:
//!
//! - Roles in a community are ordered owner > admin > billing, member. Owners and admins
//!   manage members and settings; billing manages payment; members use the hub.
//! - A community's data is invisible to people who have no part in it: a signed-in stranger
//!   gets the same 404 as for a community that does not exist. Somebody who belongs (any role)
//!   and lacks the right gets 403: they know it exists. Anonymous visitors are sent to sign in
//!   whether or not the community exists, which reveals nothing either.
//! - Staff can *see* everything but change, as staff, only what a community cannot change
//!   itself ([`Rule::CommunityStaff`]: a hub's staff-only settings). Everything else in a
//!   community is changed by its own people (or by staff who are members), so the audit log
//!   names who did it on the community's behalf.
//!
//! The decision depends on nothing but its inputs, so it is the same on the server and in the
//! browser (which uses it only to hide buttons; the server decides).

use serde::{Deserialize, Serialize};

/// A person's role in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uses the hub.
    Member,
    /// Manages payment.
    Billing,
    /// Manages members and settings.
    Admin,
    /// Everything admins can do, plus ownership; every community has at least one.
    Owner,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Billing, Role::Member];
    /// The roles an invitation or an admin may give (ownership is transferred, not given).
    pub const GRANTABLE: [Role; 3] = [Role::Admin, Role::Billing, Role::Member];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Billing => "billing",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Capitalised name for display.
    pub fn label(self) -> &'static str {
        match self {
            Role::Member => "Member",
            Role::Billing => "Billing",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking, as far as one resource is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    /// Signed in at all.
    pub signed_in: bool,
    /// Staff of the service.
    pub staff: bool,
    /// Role in the community the action is about, if any.
    pub role: Option<Role>,
    /// Admin of the institution that pays for the community (or of the institution the
    /// action is about).
    pub pays: bool,
}

impl Actor {
    /// Nobody signed in.
    pub const ANONYMOUS: Actor = Actor {
        signed_in: false,
        staff: false,
        role: None,
        pays: false,
    };
}

/// What the policy answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Sign in first (401, or a redirect for pages).
    SignIn,
    /// Pretend it does not exist (404).
    NotFound,
    /// Known to exist, not allowed (403).
    Forbidden,
}

/// Who an action is open to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Everybody, signed in or not.
    Anyone,
    /// Any signed-in person.
    SignedIn,
    /// Staff only.
    Staff,
    /// About one community: these roles may; staff may too when `staff_reads`; admins of the
    /// paying institution when `payers`.
    Community {
        /// Roles allowed.
        roles: &'static [Role],
        /// A read that staff may do.
        staff_reads: bool,
        /// Admins of the paying institution may.
        payers: bool,
    },
    /// A change to one community that only staff may make (what needs cloud work, or sets the
    /// limits the community works within). Recorded in that community's audit log under the
    /// staff member's name. Its people see that it exists (403); strangers get 404.
    CommunityStaff,
    /// About one institution: its admins; staff may read.
    Institution {
        /// A read that staff may do.
        staff_reads: bool,
    },
}

const ANY_ROLE: &[Role] = &[Role::Owner, Role::Admin, Role::Billing, Role::Member];
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin];
const OWNERS: &[Role] = &[Role::Owner];
const PAYMENT: &[Role] = &[Role::Owner, Role::Billing];
const MANAGERS_AND_PAYMENT: &[Role] = &[Role::Owner, Role::Admin, Role::Billing];

/// Declares [`Action`] and [`Action::ALL`] from one list, so no action can be left out of
/// `ALL` (and so out of the tests that walk it).
macro_rules! actions {
    ($($(#[doc = $doc:literal])* $name:ident => $rule:expr,)*) => {
        /// Everything someone can ask Stoa to do or show.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Action {
            $($(#[doc = $doc])* $name,)*
        }

        impl Action {
            /// Every action.
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// Who the action is open to.
            pub fn rule(self) -> Rule {
                match self {
                    $(Action::$name => $rule,)*
                }
            }
        }
    };
}

actions! {
    /// Sign in, and see who is signed in.
    SignIn => Rule::Anyone,
    /// See and change one's own account.
    ManageOwnAccount => Rule::SignedIn,
    /// Browse the public directory.
    ViewDirectory => Rule::Anyone,
    /// See a community's public page (name, description, how to join).
    ViewCommunityPage => Rule::Anyone,
    /// See an invitation before accepting it (the link is the credential).
    ViewInvitation => Rule::Anyone,
    /// Sign up a community.
    CreateCommunity => Rule::SignedIn,
    /// List one's own communities and institutions.
    ViewOwnCommunities => Rule::SignedIn,
    /// Accept an invitation.
    AcceptInvitation => Rule::SignedIn,
    /// Ask to join a community that takes requests.
    RequestToJoin => Rule::SignedIn,
    /// Register an institution.
    CreateInstitution => Rule::SignedIn,
    /// A community's home: members count, hub and billing status.
    ViewCommunityHome => Rule::Community { roles: ANY_ROLE, staff_reads: true, payers: true },
    /// Leave a community.
    LeaveCommunity => Rule::Community { roles: ANY_ROLE, staff_reads: false, payers: false },
    /// Change name, description, links, join policy.
    UpdateCommunity => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// List and search members.
    ViewMembers => Rule::Community { roles: MANAGERS, staff_reads: true, payers: false },
    /// Change a member's role or end date, or remove them.
    ManageMembers => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// Make another member the owner.
    TransferOwnership => Rule::Community { roles: OWNERS, staff_reads: false, payers: false },
    /// List invitations.
    ViewInvitations => Rule::Community { roles: MANAGERS, staff_reads: true, payers: false },
    /// Invite, revoke, resend.
    ManageInvitations => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// List join requests.
    ViewJoinRequests => Rule::Community { roles: MANAGERS, staff_reads: true, payers: false },
    /// Approve or deny join requests.
    DecideJoinRequests => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// Read the community's audit log.
    ViewAuditLog => Rule::Community { roles: MANAGERS, staff_reads: true, payers: false },
    /// See billing status and the paying institution.
    ViewBilling => Rule::Community { roles: PAYMENT, staff_reads: true, payers: true },
    /// Choose the paying institution.
    ManageBilling => Rule::Community { roles: PAYMENT, staff_reads: false, payers: false },
    /// Move the community to another plan (its effect on limits shown first).
    ChangePlan => Rule::Community { roles: PAYMENT, staff_reads: false, payers: true },
    /// Record an invoice for the community and its payment (manual billing: bank transfer,
    /// PO), which moves it to active: staff only.
    RecordPayments => Rule::CommunityStaff,
    /// See the plans on offer and price expected usage.
    ViewPricing => Rule::Anyone,
    /// Browse and search the environment catalog (each entry's visibility is decided with
    /// the entry: public ones for anyone, private ones for their community).
    ViewCatalog => Rule::Anyone,
    /// Deprecate catalog versions and attach security notices (each mails the admins of the
    /// hubs using the version once): staff, who curate the shared catalog.
    ManageCatalog => Rule::Staff,
    /// Publish an environment the community maintains in the catalog (public ones after
    /// staff review), or a new version of one.
    PublishCatalogEntry => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// See the community's usage (monthly active users, the daily chart, the usage fee):
    /// those who run it, those who pay.
    ViewUsage => Rule::Community { roles: MANAGERS_AND_PAYMENT, staff_reads: true, payers: true },
    /// See an institution and the communities it pays for.
    ViewInstitution => Rule::Institution { staff_reads: true },
    /// Change an institution's details.
    UpdateInstitution => Rule::Institution { staff_reads: false },
    /// A community's hub in summary: its environments and how to log in.
    ViewHub => Rule::Community { roles: ANY_ROLE, staff_reads: true, payers: false },
    /// The hub's settings in full, its revisions, their diffs and the homepage preview.
    ViewHubRevisions => Rule::Community { roles: MANAGERS, staff_reads: true, payers: false },
    /// Save a revision of the hub's settings, roll back to an older one, ask for one to be
    /// applied.
    EditHub => Rule::Community { roles: MANAGERS, staff_reads: false, payers: false },
    /// Change the hub's staff-only settings (GPU and node pools, custom domain, the
    /// community's bounds): the first thing staff change rather than read.
    EditHubStaffSettings => Rule::CommunityStaff,
    /// See the community's support tickets: owners and admins all of them, other members
    /// those they opened (the service narrows the list); staff read every community's.
    ViewTickets => Rule::Community { roles: ANY_ROLE, staff_reads: true, payers: false },
    /// Open a support ticket for the community, reply to one, mark one resolved.
    WriteTicket => Rule::Community { roles: ANY_ROLE, staff_reads: false, payers: false },
    /// The support queue: answer tickets, write internal notes, assign, set status and
    /// impact.
    ManageTickets => Rule::Staff,
    /// Make announcements (to everyone or chosen communities, optionally mailed) and see
    /// who acknowledged them.
    ManageAnnouncements => Rule::Staff,
    /// Staff overview.
    ViewStaffOverview => Rule::Staff,
    /// Every community, for staff.
    ListAllCommunities => Rule::Staff,
    /// The operations console: every hub (revision, health, drift, usage) and every
    /// provisioning change. Re-running or cancelling a change is `EditHubStaffSettings`.
    ViewOperations => Rule::Staff,
    /// The whole audit log, for staff.
    ViewAllAuditLog => Rule::Staff,
    /// See and raise (or reset) a community's daily invitation mail limit: staff only, as
    /// the limit is what keeps Stoa from being used to send unsolicited mail.
    ManageMailLimits => Rule::Staff,
}

/// Decides whether `actor` may do `action`.
pub fn decide(actor: &Actor, action: Action) -> Decision {
    match action.rule() {
        Rule::Anyone => Decision::Allow,
        _ if !actor.signed_in => Decision::SignIn,
        Rule::SignedIn => Decision::Allow,
        Rule::Staff if actor.staff => Decision::Allow,
        Rule::Staff => Decision::Forbidden,
        Rule::Community {
            roles,
            staff_reads,
            payers,
        } => {
            let by_role = actor.role.is_some_and(|r| roles.contains(&r));
            if by_role || (payers && actor.pays) || (staff_reads && actor.staff) {
                Decision::Allow
            } else if actor.role.is_some() || actor.pays || actor.staff {
                // They can see the community exists; they just may not do this.
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
        Rule::CommunityStaff if actor.staff => Decision::Allow,
        Rule::CommunityStaff if actor.role.is_some() || actor.pays => Decision::Forbidden,
        Rule::CommunityStaff => Decision::NotFound,
        Rule::Institution { staff_reads } => {
            if actor.pays || (staff_reads && actor.staff) {
                Decision::Allow
            } else if actor.staff {
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The people the table speaks of.
    const WHO: [&str; 6] = ["anonymous", "member", "billing", "admin", "owner", "staff"];

    fn actor(who: &str, own: bool) -> Actor {
        let role = |r| if own { Some(r) } else { None };
        match who {
            "anonymous" => Actor::ANONYMOUS,
            "staff" => Actor {
                signed_in: true,
                staff: true,
                ..Actor::ANONYMOUS
            },
            "member" => Actor {
                signed_in: true,
                role: role(Role::Member),
                ..Actor::ANONYMOUS
            },
            "billing" => Actor {
                signed_in: true,
                role: role(Role::Billing),
                ..Actor::ANONYMOUS
            },
            "admin" => Actor {
                signed_in: true,
                role: role(Role::Admin),
                ..Actor::ANONYMOUS
            },
            "owner" => Actor {
                signed_in: true,
                role: role(Role::Owner),
                ..Actor::ANONYMOUS
            },
            _ => unreachable!(),
        }
    }

    fn code(d: Decision) -> &'static str {
        match d {
            Decision::Allow => "ok",
            Decision::SignIn => "in",
            Decision::NotFound => "404",
            Decision::Forbidden => "403",
        }
    }

    /// Written out by hand, not derived from the rules: (action, on the actor's own
    /// community / institution, on another one), columns in [`WHO`] order.
    #[rustfmt::skip]
    const EXPECTED: &[(Action, [&str; 6], [&str; 6])] = &[
        //                          anon   member billing admin owner staff      anon  member billing admin owner staff
        (Action::SignIn,             ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ManageOwnAccount,   ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewDirectory,      ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewCommunityPage,  ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewInvitation,     ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::CreateCommunity,    ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewOwnCommunities, ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::AcceptInvitation,   ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::RequestToJoin,      ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::CreateInstitution,  ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewCommunityHome,  ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "404", "404", "404", "404", "ok"]),
        (Action::LeaveCommunity,     ["in", "ok", "ok", "ok", "ok", "403"],      ["in", "404", "404", "404", "404", "403"]),
        (Action::UpdateCommunity,    ["in", "403", "403", "ok", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::ViewMembers,        ["in", "403", "403", "ok", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::ManageMembers,      ["in", "403", "403", "ok", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::TransferOwnership,  ["in", "403", "403", "403", "ok", "403"],   ["in", "404", "404", "404", "404", "403"]),
        (Action::ViewInvitations,    ["in", "403", "403", "ok", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::ManageInvitations,  ["in", "403", "403", "ok", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::ViewJoinRequests,   ["in", "403", "403", "ok", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::DecideJoinRequests, ["in", "403", "403", "ok", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::ViewAuditLog,       ["in", "403", "403", "ok", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::ViewBilling,        ["in", "403", "ok", "403", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::ManageBilling,      ["in", "403", "ok", "403", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::ChangePlan,         ["in", "403", "ok", "403", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::RecordPayments,     ["in", "403", "403", "403", "403", "ok"],   ["in", "404", "404", "404", "404", "ok"]),
        (Action::ViewPricing,        ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ViewCatalog,        ["ok", "ok", "ok", "ok", "ok", "ok"],       ["ok", "ok", "ok", "ok", "ok", "ok"]),
        (Action::ManageCatalog,      ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::PublishCatalogEntry, ["in", "403", "403", "ok", "ok", "403"],   ["in", "404", "404", "404", "404", "403"]),
        (Action::ViewUsage,          ["in", "403", "ok", "ok", "ok", "ok"],      ["in", "404", "404", "404", "404", "ok"]),
        (Action::ViewHub,            ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "404", "404", "404", "404", "ok"]),
        (Action::ViewTickets,        ["in", "ok", "ok", "ok", "ok", "ok"],       ["in", "404", "404", "404", "404", "ok"]),
        (Action::WriteTicket,        ["in", "ok", "ok", "ok", "ok", "403"],      ["in", "404", "404", "404", "404", "403"]),
        (Action::ManageTickets,      ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::ManageAnnouncements, ["in", "403", "403", "403", "403", "ok"],  ["in", "403", "403", "403", "403", "ok"]),
        (Action::ViewHubRevisions,   ["in", "403", "403", "ok", "ok", "ok"],     ["in", "404", "404", "404", "404", "ok"]),
        (Action::EditHub,            ["in", "403", "403", "ok", "ok", "403"],    ["in", "404", "404", "404", "404", "403"]),
        (Action::EditHubStaffSettings, ["in", "403", "403", "403", "403", "ok"], ["in", "404", "404", "404", "404", "ok"]),
        (Action::ViewStaffOverview,  ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::ListAllCommunities, ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::ViewOperations,     ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::ViewAllAuditLog,    ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
        (Action::ManageMailLimits,   ["in", "403", "403", "403", "403", "ok"],   ["in", "403", "403", "403", "403", "ok"]),
    ];

    #[test]
    fn every_action_role_and_community_matches_the_table() {
        for &action in Action::ALL {
            if matches!(action.rule(), Rule::Institution { .. }) {
                continue; // institutions have their own table below
            }
            let Some((_, own, other)) = EXPECTED.iter().find(|(a, _, _)| *a == action) else {
                panic!("{action:?} has no entry in the authorization table");
            };
            for (i, who) in WHO.iter().enumerate() {
                assert_eq!(
                    code(decide(&actor(who, true), action)),
                    own[i],
                    "{action:?} by {who} on their own community"
                );
                assert_eq!(
                    code(decide(&actor(who, false), action)),
                    other[i],
                    "{action:?} by {who} on another community"
                );
            }
        }
    }

    #[test]
    fn institution_admins_and_staff() {
        let admin = Actor {
            signed_in: true,
            pays: true,
            ..Actor::ANONYMOUS
        };
        let stranger = Actor {
            signed_in: true,
            ..Actor::ANONYMOUS
        };
        let staff = Actor {
            signed_in: true,
            staff: true,
            ..Actor::ANONYMOUS
        };
        #[rustfmt::skip]
        let table = [
            // action, anonymous, stranger, institution admin, staff
            (Action::ViewInstitution, ["in", "404", "ok", "ok"]),
            (Action::UpdateInstitution, ["in", "404", "ok", "403"]),
        ];
        for (action, expected) in table {
            for (i, who) in [Actor::ANONYMOUS, stranger, admin, staff]
                .iter()
                .enumerate()
            {
                assert_eq!(code(decide(who, action)), expected[i], "{action:?} by #{i}");
            }
        }
        // Institution admins see their communities' billing and home, nothing else.
        assert_eq!(decide(&admin, Action::ViewBilling), Decision::Allow);
        assert_eq!(decide(&admin, Action::ViewCommunityHome), Decision::Allow);
        assert_eq!(decide(&admin, Action::ViewMembers), Decision::Forbidden);
        assert_eq!(decide(&admin, Action::ManageBilling), Decision::Forbidden);
        let institution_actions = Action::ALL
            .iter()
            .filter(|a| matches!(a.rule(), Rule::Institution { .. }))
            .count();
        assert_eq!(
            institution_actions,
            table.len(),
            "an institution action lacks a row"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
        assert!(!Role::GRANTABLE.contains(&Role::Owner));
    }
}
