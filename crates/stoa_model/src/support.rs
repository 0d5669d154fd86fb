//! Support tickets as pages show them. A member's views never carry internal notes: the
//! service leaves them out before a view is made.

use serde::{Deserialize, Serialize};

/// An SLA clock as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaView {
    /// `Answered`, `2 h 30 min left`, `Overdue by 1 h`.
    pub first_response: String,
    /// `5 h left`, `Paused (waiting on you): 5 h left`, `Met`, `Overdue by 3 h`.
    pub resolution: String,
    /// Either clock is past its target.
    pub breached: bool,
    /// The resolution clock is paused.
    pub paused: bool,
    /// The targets in words: `first response 4 h, resolution 16 h (business hours)`.
    pub targets: String,
}

/// One ticket in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    /// Its number (`#12`).
    pub number: i64,
    /// The community's slug (its page is `/communities/<slug>/support/<number>`).
    pub community_slug: String,
    /// The community's name.
    pub community_name: String,
    /// One line.
    pub title: String,
    /// `incident`, `change_request`, `guidance`, `feature_request`, `quota`.
    pub kind: String,
    /// For people.
    pub kind_label: String,
    /// `low` … `critical`.
    pub impact: String,
    /// For people.
    pub impact_label: String,
    /// `new` … `closed`.
    pub status: String,
    /// For people.
    pub status_label: String,
    /// Who opened it.
    pub opened_by: String,
    /// The staff member on it (empty: nobody yet).
    pub assignee: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub opened_at: String,
    /// The clocks.
    pub sla: SlaView,
}

/// A hub a ticket may be about, with its state now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubState {
    /// The hub's slug.
    pub hub: String,
    /// `revision 4 of 5 applied`, `no revision applied yet`.
    pub revision: String,
    /// `healthy`, `failed`, `deploying`, `stopped`, `not deployed yet`.
    pub health: String,
    /// `apply revision 4, healthy, 2026-11-26 10:00 UTC`, or empty.
    pub last_change: String,
}

/// The kinds and impacts on offer, and the hubs, for the form that opens a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    /// (value, label).
    pub kinds: Vec<(String, String)>,
    /// (value, label).
    pub impacts: Vec<(String, String)>,
    /// The community's hubs with their state now.
    pub hubs: Vec<HubState>,
    /// The community's plan's targets, per impact: (impact label, words).
    pub targets: Vec<(String, String)>,
    /// The quota request form, for those who may change the hub's settings.
    pub quota: Option<QuotaChoices>,
}

/// What the quota request form shows: the limits now, and the hub's environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaChoices {
    /// Per form field, the limit now in words: (`home_quota_gib`, `now up to 10 GiB`).
    pub now: Vec<(String, String)>,
    /// The hub's environments (slug, name), for a GPU.
    pub environments: Vec<(String, String)>,
    /// The hub's custom domain now (empty: none).
    pub custom_domain: String,
}

/// A quota request on its ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaView {
    /// The values asked for, one line each.
    pub requested: Vec<String>,
    /// The price difference from the plan configuration, one line each.
    pub prices: Vec<String>,
    /// `approved`, `declined`, or empty while undecided.
    pub decision: String,
    /// The decision in words (`Approved by Margaret Hamilton on …: revision 4.`), or empty.
    pub decision_words: String,
    /// For staff while undecided: what approval changes in the hub's settings.
    pub changes: Vec<String>,
    /// For staff while undecided: why it cannot be approved as it stands (empty: it can).
    pub problem: String,
    /// For staff while undecided: whether the revision is applied at once.
    pub apply_note: String,
    /// The caller may approve or decline it.
    pub can_decide: bool,
}

/// A community's tickets (those the caller may see) and the form to open one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketList {
    /// This page, newest first.
    pub tickets: Vec<TicketSummary>,
    /// Matching in all.
    pub total: i64,
    /// This page (from 1).
    pub page: i64,
    /// Pages in all.
    pub pages: i64,
    /// `open` (new, open, waiting), `done` (resolved, closed) or `all`.
    pub show: String,
    /// Whether the caller sees every ticket of the community (owners and admins) or only
    /// their own.
    pub all_of_community: bool,
    /// The form's choices, if the caller may open tickets.
    pub choices: Option<Choices>,
}

/// A reply or an internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    /// The author's name (`Stoa support` for staff, to members).
    pub author: String,
    /// Written by the support team.
    pub by_staff: bool,
    /// An internal note (only ever in a staff member's view).
    pub internal: bool,
    /// Sanitised HTML from the Markdown.
    pub body_html: String,
    /// `Status: waiting on you`, if the message moved the ticket.
    pub status_change: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
}

/// One ticket with its conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketView {
    /// The ticket in summary.
    pub ticket: TicketSummary,
    /// Sanitised HTML from the description.
    pub body_html: String,
    /// The hub's state when the ticket was opened.
    pub hub_state: Option<HubState>,
    /// Replies (and, for staff, internal notes), oldest first.
    pub messages: Vec<MessageView>,
    /// The caller answers as the support team (internal notes, status, assignee).
    pub staff: bool,
    /// The caller may reply (a member of the community, the ticket not closed).
    pub can_reply: bool,
    /// The caller may mark it resolved.
    pub can_resolve: bool,
    /// A resolved ticket a reply would reopen; after the window: empty.
    pub reopen_until: String,
    /// The member who opened it lets the support team see Stoa as they do.
    pub consent: bool,
    /// The caller opened it and may give or withdraw that consent.
    pub can_consent: bool,
    /// For staff: who may be assigned (account id, name).
    pub assignees: Vec<(i64, String)>,
    /// For staff: the statuses they may set (value, label).
    pub statuses: Vec<(String, String)>,
    /// For staff: the impacts (value, label).
    pub impacts: Vec<(String, String)>,
    /// The values asked for, if it is a quota request.
    pub quota: Option<QuotaView>,
}

/// The staff queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    /// This page, newest first.
    pub tickets: Vec<TicketSummary>,
    /// Matching in all.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Pages.
    pub pages: i64,
    /// The filters as applied.
    pub status: String,
    /// Impact filter.
    pub impact: String,
    /// Community slug filter.
    pub community: String,
    /// `me`, `none`, an account id, or empty.
    pub assignee: String,
    /// Only breached.
    pub breached: bool,
    /// Search text.
    pub q: String,
    /// Statuses (value, label) for the filter.
    pub statuses: Vec<(String, String)>,
    /// Impacts (value, label).
    pub impacts: Vec<(String, String)>,
    /// Staff (id, name).
    pub assignees: Vec<(i64, String)>,
}

/// The answer to opening a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketOpened {
    /// Its number.
    pub number: i64,
    /// Its page.
    pub url: String,
}
