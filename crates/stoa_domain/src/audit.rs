//! The one way an audit entry is made: [`Audit`] names who did what to whom, where, and the
//! before/after of the fields that changed ([`Changes`]), and records it in the transaction
//! of the change.

use serde::Serialize;
use serde_json::{Map, Value};
use stoa_db::communities::Community;
use stoa_db::{Conn, DbError, Timestamp, audit};

use crate::Caller;

/// An audit entry being built.
#[derive(Debug, Clone)]
#[must_use = "an audit entry does nothing until it is recorded"]
pub struct Audit<'a> {
    entry: audit::Entry<'a>,
}

impl<'a> Audit<'a> {
    /// `action` (dotted, e.g. `membership.updated`) by `caller` on `target` (a person, an
    /// address, a name: words, as the log shows them).
    pub fn by(caller: &'a Caller, action: &'a str, target: &'a str) -> Self {
        Self::new(Some(caller.id), &caller.name, action, target)
    }

    /// `action` done by Stoa itself (the worker, a sweep, the demo data).
    pub fn by_stoa(action: &'a str, target: &'a str) -> Self {
        Self::new(None, "Stoa", action, target)
    }

    fn new(
        actor: Option<stoa_db::accounts::AccountId>,
        actor_name: &'a str,
        action: &'a str,
        target: &'a str,
    ) -> Self {
        Self {
            entry: audit::Entry {
                actor,
                actor_name,
                community: None,
                institution: None,
                action,
                target,
                before: None,
                after: None,
            },
        }
    }

    /// About `community` (and so also filed under the institution that pays for it).
    pub fn community(mut self, community: &Community) -> Self {
        self.entry.community = Some(community.id);
        self.entry.institution = community.institution_id;
        self
    }

    /// About institution `id` (replaces the community's paying institution, if set).
    pub fn institution(mut self, id: Option<i64>) -> Self {
        self.entry.institution = id;
        self
    }

    /// The state before (a small JSON object).
    pub fn before(mut self, state: Value) -> Self {
        self.entry.before = Some(state.to_string());
        self
    }

    /// The state after (a small JSON object).
    pub fn after(mut self, state: Value) -> Self {
        self.entry.after = Some(state.to_string());
        self
    }

    /// Before and after of the fields that changed.
    pub fn changes(self, changes: Changes) -> Self {
        let (before, after) = (changes.before, changes.after);
        self.before(Value::Object(before))
            .after(Value::Object(after))
    }

    /// Appends the entry, in the transaction of the change.
    pub async fn record(self, conn: Conn<'_>, now: Timestamp) -> Result<(), DbError> {
        audit::record(conn, &self.entry, now).await
    }
}

/// The fields that changed, old and new values side by side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    before: Map<String, Value>,
    after: Map<String, Value>,
}

impl Changes {
    /// Notes `key` if `old` and `new` differ.
    pub fn field<T: Serialize + PartialEq + ?Sized>(mut self, key: &str, old: &T, new: &T) -> Self {
        if old != new {
            self.before
                .insert(key.into(), serde_json::to_value(old).unwrap_or(Value::Null));
            self.after
                .insert(key.into(), serde_json::to_value(new).unwrap_or(Value::Null));
        }
        self
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.after.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_keep_only_what_changed() {
        let changes = Changes::default()
            .field("name", "Ocean", "Ocean Lab")
            .field("field", "Physics", "Physics")
            .field(
                "website",
                &None::<String>,
                &Some("https://o.example".to_owned()),
            );
        assert_eq!(
            Value::Object(changes.before.clone()),
            serde_json::json!({"name": "Ocean", "website": null})
        );
        assert_eq!(
            Value::Object(changes.after),
            serde_json::json!({"name": "Ocean Lab", "website": "https://o.example"})
        );
        assert!(Changes::default().field("a", &1, &1).is_empty());
    }
}
