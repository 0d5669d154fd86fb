//! What a ticket is and how it moves.

use serde::{Deserialize, Serialize};

macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// As stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)*
                }
            }

            /// For people.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            /// From [`Self::as_str`].
            pub fn parse(word: &str) -> Option<$name> {
                match word {
                    $($word => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

words! {
    /// What a ticket asks for.
    Kind {
        /// Something is broken.
        Incident = "incident", "Incident";
        /// A change the community cannot make itself in its hub's settings.
        ChangeRequest = "change_request", "Change request";
        /// How to do something.
        Guidance = "guidance", "Guidance";
        /// Something Stoa or the hubs should do.
        FeatureRequest = "feature_request", "Feature request";
        /// More than the community's plan allows (a bound, a GPU profile, a custom domain):
        /// carries the values asked for; staff approve or decline.
        Quota = "quota", "Quota increase";
    }
}

words! {
    /// How much it hurts; with the community's plan, sets the SLA targets.
    Impact {
        /// An inconvenience.
        Low = "low", "Low";
        /// Work is slowed.
        Medium = "medium", "Medium";
        /// Work is blocked for some.
        High = "high", "High";
        /// The hub is down or data is at risk, for everyone.
        Critical = "critical", "Critical";
    }
}

words! {
    /// Where a ticket stands.
    Status {
        /// Opened, nobody on the team has answered.
        New = "new", "New";
        /// Being worked on.
        Open = "open", "Open";
        /// Waiting on the community: the resolution clock is paused.
        Pending = "pending", "Waiting on you";
        /// Solved; a member's reply within the reopen window opens it again.
        Resolved = "resolved", "Resolved";
        /// Done for good.
        Closed = "closed", "Closed";
    }
}

impl Status {
    /// Whether the resolution clock runs.
    pub fn clock_runs(self) -> bool {
        matches!(self, Status::New | Status::Open)
    }

    /// Whether the ticket still needs the team (listed in the queue by default).
    pub fn active(self) -> bool {
        matches!(self, Status::New | Status::Open | Status::Pending)
    }
}

/// Who moves a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A member of the ticket's community.
    Member,
    /// The support team.
    Staff,
}

/// Something that happens to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// A public reply, optionally with a new status (staff only choose one).
    Reply {
        /// The status staff set with the reply (`None`: the rule's default).
        to: Option<Status>,
        /// Whether the reply comes within the reopen window after resolution.
        within_reopen_window: bool,
    },
    /// A status change without a reply (staff: any; members: resolve their own).
    Set(Status),
}

/// Why a move is refused, in words for the person who tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub &'static str);

impl Status {
    /// The status after `actor` makes `change`, or why it may not.
    ///
    /// - Members: a reply reopens a ticket waiting on them, and one resolved within the
    ///   reopen window; after it, or once closed, they open a new ticket. Members may mark
    ///   their ticket resolved.
    /// - Staff: a reply to a new ticket opens it (unless they choose another status); they
    ///   may set any status but `new`, on any ticket not closed.
    pub fn after(self, actor: Actor, change: Move) -> Result<Status, Refusal> {
        if self == Status::Closed {
            return Err(Refusal(
                "This ticket is closed. Open a new one and mention this one.",
            ));
        }
        match (actor, change) {
            (
                Actor::Member,
                Move::Reply {
                    within_reopen_window,
                    ..
                },
            ) => match self {
                Status::Pending => Ok(Status::Open),
                Status::Resolved if within_reopen_window => Ok(Status::Open),
                Status::Resolved => Err(Refusal(
                    "This ticket was resolved too long ago to reopen. Open a new one and mention this one.",
                )),
                other => Ok(other),
            },
            (Actor::Member, Move::Set(Status::Resolved)) => match self {
                Status::Resolved => Err(Refusal("This ticket is already resolved.")),
                _ => Ok(Status::Resolved),
            },
            (Actor::Member, Move::Set(_)) => Err(Refusal(
                "Members may mark a ticket resolved; the support team sets other states.",
            )),
            (Actor::Staff, Move::Reply { to, .. }) => match to {
                Some(Status::New) => Err(Refusal("A ticket cannot go back to new.")),
                Some(to) => Ok(to),
                None if self == Status::New => Ok(Status::Open),
                None => Ok(self),
            },
            (Actor::Staff, Move::Set(Status::New)) => {
                Err(Refusal("A ticket cannot go back to new."))
            }
            (Actor::Staff, Move::Set(to)) => Ok(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(within: bool) -> Move {
        Move::Reply {
            to: None,
            within_reopen_window: within,
        }
    }

    #[test]
    fn words_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        for i in Impact::ALL {
            assert_eq!(Impact::parse(i.as_str()), Some(*i));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Status::parse("Open"), None);
        assert_eq!(
            serde_json::to_string(&Kind::ChangeRequest).unwrap(),
            "\"change_request\""
        );
    }

    #[test]
    fn a_member_reply_reopens_within_the_window_only() {
        use Status::*;
        assert_eq!(Pending.after(Actor::Member, reply(false)), Ok(Open));
        assert_eq!(Resolved.after(Actor::Member, reply(true)), Ok(Open));
        assert!(Resolved.after(Actor::Member, reply(false)).is_err());
        assert!(Closed.after(Actor::Member, reply(true)).is_err());
        assert_eq!(New.after(Actor::Member, reply(false)), Ok(New));
        assert_eq!(Open.after(Actor::Member, reply(false)), Ok(Open));
    }

    #[test]
    fn members_resolve_staff_set_the_rest() {
        use Status::*;
        assert_eq!(Open.after(Actor::Member, Move::Set(Resolved)), Ok(Resolved));
        assert!(Open.after(Actor::Member, Move::Set(Pending)).is_err());
        assert!(Open.after(Actor::Member, Move::Set(Closed)).is_err());
        assert!(Resolved.after(Actor::Member, Move::Set(Resolved)).is_err());
        assert_eq!(New.after(Actor::Staff, reply(false)), Ok(Open));
        let pending = Move::Reply {
            to: Some(Pending),
            within_reopen_window: false,
        };
        assert_eq!(New.after(Actor::Staff, pending), Ok(Pending));
        assert_eq!(Pending.after(Actor::Staff, reply(false)), Ok(Pending));
        assert_eq!(Resolved.after(Actor::Staff, Move::Set(Closed)), Ok(Closed));
        assert!(Open.after(Actor::Staff, Move::Set(New)).is_err());
        assert!(Closed.after(Actor::Staff, Move::Set(Open)).is_err());
    }
}
