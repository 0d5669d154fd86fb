use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::auth::SignInRequired;
use crate::components::errors::ErrorPanel;
use crate::error::AppError;
use crate::serverfns::account::staff_overview;

/// The staff console's front page; everyone else is refused.
#[component]
pub fn StaffPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| staff_overview());
    view! {
        <Title text="Staff" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(AppError::Unauthorized) => view! { <SignInRequired next="/staff" /> }.into_any(),
                        Err(other) => Err::<(), _>(other).into_any(),
                        Ok(o) => view! {
                            <h1 class="text-2xl font-bold tracking-tight">"Staff"</h1>
                            <p class="mt-2 flex gap-4"><a class="underline" href="/staff/communities">"All communities"</a><a class="underline" href="/staff/audit">"Audit log"</a><a class="underline" href="/staff/tickets">"Support queue"</a><a class="underline" href="/staff/announcements">"Announcements"</a></p>
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
                    <thead><tr><th>"Name"</th><th>"Slug"</th><th>"Members"</th><th>"Joined"</th></tr></thead>
                    <tbody>
                        {p.items.into_iter().map(|c| view! {
                            <tr class="border-t border-slate-200 dark:border-slate-800">
                                <td class="py-2"><A href=format!("/communities/{}", c.slug) attr:class="underline">{c.name}</A></td>
                                <td class="py-2 font-mono">{c.slug.to_string()}</td>
                                <td class="py-2">{c.members}</td>
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
