//! The audit log: a community's (its admins) and everything (staff), filterable.

use crate::pages::StaffNav;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::components::forms::{BUTTON, INPUT, LABEL, TABLE, guarded, urlencode};
use crate::pages::community::use_slug;
use crate::serverfns::audit::{AuditPage, all_audit, community_audit};

/// Action prefixes offered in the filter.
const ACTIONS: &[(&str, &str)] = &[
    ("", "All changes"),
    ("community.", "Community"),
    ("membership.", "Memberships"),
    ("invitation.", "Invitations"),
    ("join_request.", "Join requests"),
    ("institution.", "Institutions"),
    ("ticket.", "Support tickets"),
    ("announcement.", "Announcements"),
];

fn filters(with_community: bool) -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let action = get("action");
    view! {
        <Form method="GET" action="" attr:class="mt-3 flex flex-wrap items-end gap-2" attr:role="search">
            {with_community.then(|| view! {
                <div><label for="audit-community" class=LABEL>"Community"</label>
                <input id="audit-community" name="community" maxlength="40" placeholder="slug" value=get("community") class=INPUT /></div>
            })}
            <div><label for="audit-action" class=LABEL>"Kind"</label>
            <select id="audit-action" name="action" class=INPUT>
                {ACTIONS.iter().map(|(v, l)| view! { <option value=*v selected=move || action() == *v>{*l}</option> }).collect_view()}
            </select></div>
            <div><label for="audit-actor" class=LABEL>"Who"</label>
            <input id="audit-actor" name="actor" maxlength="100" value=get("actor") class=INPUT /></div>
            <button type="submit" class=BUTTON>"Filter"</button>
        </Form>
    }
}

fn table(page: AuditPage, show_community: bool, older: impl Fn(i64) -> String) -> impl IntoView {
    let next = page.next_before.map(older);
    view! {
        <table class=TABLE data-testid="audit-log">
            <thead><tr><th>"When"</th><th>"Who"</th>{show_community.then(|| view! { <th>"Community"</th> })}<th>"What"</th><th>"Target"</th><th>"Before → after"</th></tr></thead>
            <tbody>
                {page.items.into_iter().map(|r| { let kind = r.action.clone(); view! {
                    <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-action=kind>
                        <td class="py-2 whitespace-nowrap">{r.at}</td>
                        <td class="py-2">{r.actor}</td>
                        {show_community.then(|| view! { <td class="py-2">{r.community.unwrap_or_default()}</td> })}
                        <td class="py-2 font-mono text-xs">{r.action}</td>
                        <td class="py-2">{r.target}</td>
                        <td class="py-2 font-mono text-xs break-all">{r.before.unwrap_or_default()}" → "{r.after.unwrap_or_default()}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <p class="mt-3 text-sm"><a class="underline" href=href rel="next">"Older entries"</a></p> })}
    }
}

fn query_string(parts: &[(&str, String)]) -> String {
    parts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A community's log, for its admins (and staff).
#[component]
pub fn CommunityAuditPage() -> impl IntoView {
    let slug = use_slug();
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        (
            q.get("action").unwrap_or_default(),
            q.get("actor").unwrap_or_default(),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    let log = Resource::new(
        move || (slug(), params()),
        |(slug, (action, actor, before))| community_audit(slug, action, actor, before),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Audit log"</h2>
        {filters(false)}
        {guarded(log, move |page| {
            let (action, actor, _) = params();
            let slug = slug();
            table(page, false, move |before| {
                format!("/communities/{slug}/audit?{}", query_string(&[("action", action.clone()), ("actor", actor.clone()), ("before", before.to_string())]))
            })
        })}
    }
}

/// Every change in Stoa, for staff.
#[component]
pub fn StaffAuditPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        (
            q.get("community").unwrap_or_default(),
            q.get("action").unwrap_or_default(),
            q.get("actor").unwrap_or_default(),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    let log = Resource::new(params, |(community, action, actor, before)| {
        all_audit(community, action, actor, before)
    });
    view! {
        <Title text="Audit log" />
        <StaffNav current="/staff/audit" />
        <h1 class="text-2xl font-bold tracking-tight">"Audit log"</h1>
        {filters(true)}
        {guarded(log, move |page| {
            let (community, action, actor, _) = params();
            table(page, true, move |before| {
                format!("/staff/audit?{}", query_string(&[("community", community.clone()), ("action", action.clone()), ("actor", actor.clone()), ("before", before.to_string())]))
            })
        })}
    }
}
