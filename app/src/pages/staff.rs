use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::auth::SignInRequired;
use crate::components::errors::ErrorPanel;
use crate::error::AppError;
use crate::serverfns::account::staff_overview;

/// The staff console's sections, on top of each of its pages: one console, not several.
#[component]
pub fn StaffNav(current: &'static str) -> impl IntoView {
    const SECTIONS: [(&str, &str); 8] = [
        ("/staff", "Overview"),
        ("/staff/communities", "Communities"),
        ("/staff/hubs", "Hubs"),
        ("/staff/changes", "Changes"),
        ("/staff/tickets", "Support queue"),
        ("/staff/announcements", "Announcements"),
        ("/staff/audit", "Audit log"),
        ("/catalog", "Catalog"),
    ];
    view! {
        <nav aria-label="Staff console" class="mb-4 flex flex-wrap gap-x-4 gap-y-1 border-b border-slate-200 pb-2 text-sm dark:border-slate-800" data-testid="staff-nav">
            {SECTIONS.iter().map(|(href, label)| {
                let here = *href == current;
                view! {
                    <a href=*href class=if here { "font-semibold underline" } else { "underline" }
                        aria-current=here.then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
    }
}

/// The staff console's front page; everyone else is refused.
#[component]
pub fn StaffPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| staff_overview());
    view! {
        <Title text="Staff" />
        <StaffNav current="/staff" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(AppError::Unauthorized) => view! { <SignInRequired next="/staff" /> }.into_any(),
                        Err(other) => Err::<(), _>(other).into_any(),
                        Ok(o) => view! {
                            <h1 class="text-2xl font-bold tracking-tight">"Staff"</h1>
                            <p class="mt-4" data-testid="account-count">{format!("{} accounts", o.accounts)}</p>
                            <h2 class="mt-6 text-lg font-semibold">"Staff members"</h2>
                            <ul class="mt-2 list-disc pl-6">
                                {o.staff.into_iter().map(|(name, email)| view! {
                                    <li>{name} " " <span class="text-slate-600 dark:text-slate-400">{email.unwrap_or_default()}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

/// Every community, for staff: searchable, paged, with member counts.
#[component]
pub fn StaffCommunitiesPage() -> impl IntoView {
    use crate::components::forms::{
        BUTTON, INPUT, TABLE, guarded, pager, urlencode, use_search_and_page,
    };
    use crate::serverfns::community::staff_communities;
    use leptos_router::components::{A, Form};
    let (q, page) = use_search_and_page();
    let list = Resource::new(
        move || (q(), page()),
        |(q, page)| staff_communities(q, page, 50),
    );
    view! {
        <Title text="All communities" />
        <StaffNav current="/staff/communities" />
        <h1 class="text-2xl font-bold tracking-tight">"All communities"</h1>
        <Form method="GET" action="" attr:role="search" attr:class="mt-3 flex max-w-md gap-2">
            <label for="staff-q" class="sr-only">"Search communities"</label>
            <input id="staff-q" type="search" name="q" maxlength="100" value=q class=INPUT />
            <button type="submit" class=BUTTON>"Search"</button>
        </Form>
        {guarded(list, move |p| {
            let current = p.page;
            let q = q();
            let href = move |n: u32| format!("/staff/communities?page={n}&q={}", urlencode(&q));
            view! {
                <p class="mt-3 text-sm" data-testid="staff-total">{format!("{} communities", p.total)}</p>
                <table class=TABLE data-testid="staff-communities">
                    <thead><tr><th>"Name"</th><th>"Slug"</th><th>"Plan"</th><th>"Billing"</th><th>"Members"</th><th>"Hubs"</th><th>"Joined"</th></tr></thead>
                    <tbody>
                        {p.items.into_iter().map(|c| view! {
                            <tr class="border-t border-slate-200 dark:border-slate-800">
                                <td class="py-2"><A href=format!("/communities/{}", c.slug) attr:class="underline">{c.name}</A></td>
                                <td class="py-2 font-mono">{c.slug.to_string()}</td>
                                <td class="py-2">{c.plan}</td>
                                <td class="py-2" data-testid="billing-state">{if c.billing.is_empty() { "—".to_owned() } else { c.billing.replace('_', " ") }}</td>
                                <td class="py-2">{c.members}</td>
                                <td class="py-2">
                                    {if c.hubs > 0 {
                                        view! { <a class="underline" href=format!("/staff/hubs?q={}", c.slug)>{c.hubs}</a> }.into_any()
                                    } else {
                                        view! { <span>"0"</span> }.into_any()
                                    }}
                                </td>
                                <td class="py-2">{c.created}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {pager(current, p.total, p.per_page, href)}
            }
        })}
        <MailLimitForm />
    }
}

/// Staff raise (or reset) one community's daily invitation mail limit.
#[component]
fn MailLimitForm() -> impl IntoView {
    use crate::components::forms::{
        BUTTON, FieldError, FormError, HINT, INPUT, LABEL, Saved, Typed, form_action,
    };
    use crate::serverfns::institutions::SetCommunityMailLimit;
    let set = form_action::<SetCommunityMailLimit>();
    let typed = Typed::of::<SetCommunityMailLimit>();
    let value = set.value();
    view! {
        <h2 class="mt-8 text-lg font-semibold">"Invitation mail limit"</h2>
        <p class=HINT>"Raise how many invitation emails one community may send a day (leave the number empty to go back to the default). Stoa's total daily limit still applies."</p>
        <ActionForm action=set attr:class="mt-3 flex max-w-xl items-end gap-2" attr:data-testid="mail-limit-form">
            <div class="flex-1">
                <label for="limit-slug" class=LABEL>"Community (short name)"</label>
                <input id="limit-slug" name="slug" required class=INPUT value=typed.get("slug", "") />
            </div>
            <div class="w-40">
                <label for="limit-per-day" class=LABEL>"Emails a day"</label>
                <input id="limit-per-day" name="per_day" type="number" min="1" class=INPUT value=typed.get("per_day", "") />
            </div>
            <button type="submit" class=BUTTON>"Set"</button>
        </ActionForm>
        <FieldError value field="per_day" />
        <FormError value fields=&["per_day"] />
        <Saved value text="Limit set." />
    }
}

fn query_value(key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || query.read().get(key).unwrap_or_default()
}

/// The pager of a console list (pages from 1, as the service counts them).
fn console_pager(page: i64, total: i64, href: impl Fn(i64) -> String) -> impl IntoView {
    crate::components::forms::pager(
        u32::try_from(page).unwrap_or(1),
        u64::try_from(total).unwrap_or(0),
        stoa_model::console::PAGE_SIZE,
        move |n| href(i64::from(n)),
    )
}

/// `/staff/hubs`: every hub with its revision, health, last change, drift and this month's
/// active people; searched and filtered.
#[component]
pub fn StaffHubsPage() -> impl IntoView {
    use crate::components::forms::{BUTTON, INPUT, LABEL, TABLE, guarded, urlencode};
    use crate::serverfns::console::{ConsoleHubs, hub_list};
    use leptos_router::components::Form;
    let (q, show, page) = (query_value("q"), query_value("show"), query_value("page"));
    let list = Resource::new(
        move || (q(), show(), page()),
        |(q, show, page)| hub_list(q, show, page),
    );
    view! {
        <Title text="Hubs" />
        <StaffNav current="/staff/hubs" />
        <h1 class="text-2xl font-bold tracking-tight">"Hubs"</h1>
        {guarded(list, |v: ConsoleHubs| {
            let (q, show) = (v.q.clone(), v.show.clone());
            let href = move |n: i64| format!("/staff/hubs?q={}&show={}&page={n}", urlencode(&q), urlencode(&show));
            view! {
                <Form method="GET" action="" attr:role="search" attr:class="mt-3 flex flex-wrap items-end gap-2" attr:data-testid="hub-filters">
                    <label class=LABEL>"Community or hub"
                        <input type="search" name="q" maxlength="100" value=v.q.clone() class=INPUT />
                    </label>
                    <label class=LABEL>"Show"
                        <select name="show" class=INPUT>
                            {v.filters.iter().map(|(w, l)| view! { <option value=w.clone() selected=*w == v.show>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=BUTTON>"Filter"</button>
                </Form>
                <p class="mt-3 text-sm" data-testid="hubs-total">{format!("{} hubs", v.total)}</p>
                <table class=TABLE data-testid="console-hubs">
                    <thead><tr><th>"Hub"</th><th>"Revision"</th><th>"Health"</th><th>"Last change"</th><th>{format!("Active in {}", v.month)}</th></tr></thead>
                    <tbody>
                        {v.hubs.into_iter().map(|h| view! {
                            <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-testid="console-hub">
                                <td class="py-2"><a class="underline" href=format!("/communities/{}/hub", h.community_slug)>{h.slug.clone()}</a>
                                    <br /><span class="text-xs text-slate-600 dark:text-slate-400">{h.community_name}</span></td>
                                <td class="py-2">{h.revision}
                                    {h.drift.then(|| view! { <br /><strong class="text-xs text-amber-700 dark:text-amber-400" data-testid="drift">"Not running what was asked"</strong> })}</td>
                                <td class="py-2" data-testid="health">{h.health}</td>
                                <td class="py-2 text-xs">{h.last_change}
                                    {(!h.last_message.is_empty()).then(|| view! { <br /><span class="text-slate-600 dark:text-slate-400">{h.last_message}</span> })}
                                    <br /><a class="underline" href=format!("/staff/changes?show=all&community={}", h.community_slug)>"Changes"</a></td>
                                <td class="py-2">{h.active_users}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {console_pager(v.page, v.total, href)}
            }
        })}
    }
}

/// `/staff/changes`: provisioning changes across every hub, newest first, with re-run and
/// cancel.
#[component]
pub fn StaffChangesPage() -> impl IntoView {
    use crate::components::forms::{
        BUTTON, FormError, INPUT, LABEL, TABLE, form_action, guarded, urlencode,
    };
    use crate::serverfns::console::{ConsoleChanges, change_list};
    use leptos_router::components::Form;
    let (show, community, page) = (
        query_value("show"),
        query_value("community"),
        query_value("page"),
    );
    let list = Resource::new(
        move || (show(), community(), page()),
        |(show, community, page)| change_list(show, community, page),
    );
    let intervene = form_action::<crate::serverfns::hub::InterveneHubChange>();
    view! {
        <Title text="Changes" />
        <StaffNav current="/staff/changes" />
        <h1 class="text-2xl font-bold tracking-tight">"Provisioning changes"</h1>
        <FormError value=intervene.value() />
        {guarded(list, move |v: ConsoleChanges| {
            let (show, community) = (v.show.clone(), v.community.clone());
            let href = move |n: i64| format!("/staff/changes?show={}&community={}&page={n}", urlencode(&show), urlencode(&community));
            view! {
                <Form method="GET" action="" attr:class="mt-3 flex flex-wrap items-end gap-2" attr:data-testid="change-filters">
                    <label class=LABEL>"Show"
                        <select name="show" class=INPUT>
                            {v.filters.iter().map(|(w, l)| view! { <option value=w.clone() selected=*w == v.show>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class=LABEL>"Community (slug)"
                        <input name="community" maxlength="64" value=v.community.clone() class=INPUT />
                    </label>
                    <button type="submit" class=BUTTON>"Filter"</button>
                </Form>
                <p class="mt-3 text-sm" data-testid="changes-total">{format!("{} changes", v.total)}</p>
                <table class=TABLE data-testid="console-changes">
                    <thead><tr><th>"#"</th><th>"Hub"</th><th>"Change"</th><th>"State"</th><th>"Attempts"</th><th>"Last error"</th><th>"Requested"</th><th><span class="sr-only">"Action"</span></th></tr></thead>
                    <tbody>
                        {v.changes.into_iter().map(|c| {
                            let id = c.id.to_string();
                            view! {
                                <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-testid="console-change">
                                    <td class="py-2 font-mono">{c.id}</td>
                                    <td class="py-2"><a class="underline" href=format!("/communities/{}/hub", c.community_slug)>{c.hub_slug}</a>
                                        <br /><span class="text-xs text-slate-600 dark:text-slate-400">{c.community_name}</span></td>
                                    <td class="py-2">{c.what}</td>
                                    <td class="py-2" data-testid="change-state">{c.state}</td>
                                    <td class="py-2">{c.attempts}</td>
                                    <td class="py-2 text-xs">{c.message}</td>
                                    <td class="py-2 text-xs">{c.requested_at}<br />{format!("moved {}", c.updated_at)}</td>
                                    <td class="py-2">
                                        <ActionForm action=intervene>
                                            <input type="hidden" name="slug" value=c.community_slug.clone() />
                                            <input type="hidden" name="change" value=id />
                                            {if c.can_rerun {
                                                view! { <button type="submit" name="intent" value="rerun" class=BUTTON>"Re-run"</button> }.into_any()
                                            } else {
                                                view! { <button type="submit" name="intent" value="cancel" class=BUTTON>"Cancel"</button> }.into_any()
                                            }}
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {console_pager(v.page, v.total, href)}
            }
        })}
    }
}
