//! A community's members: search, change role and end date, remove, transfer ownership.

use leptos::prelude::*;
use leptos_router::components::Form;

use crate::components::forms::{
    BUTTON, FormError, INPUT, TABLE, form_action, guarded, pager, urlencode, use_search_and_page,
};
use crate::pages::community::{role_options, use_slug};
use crate::policy::Role;
use crate::serverfns::members::{
    MembersPage as Members, RemoveMember, TransferOwnership, UpdateMember, list_members,
};

/// Members, owners first; admins manage them here.
#[component]
pub fn MembersPage() -> impl IntoView {
    let slug = use_slug();
    let (q, page) = use_search_and_page();
    let update = form_action::<UpdateMember>();
    let remove = form_action::<RemoveMember>();
    let transfer = form_action::<TransferOwnership>();
    let members = Resource::new(
        move || {
            (
                slug(),
                q(),
                page(),
                update.version().get() + remove.version().get() + transfer.version().get(),
            )
        },
        |(slug, q, page, _)| list_members(slug, q, page),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Members"</h2>
        <Form method="GET" action="" attr:role="search" attr:class="mt-3 flex max-w-md gap-2">
            <label for="member-q" class="sr-only">"Search members"</label>
            <input id="member-q" type="search" name="q" maxlength="100" placeholder="Name or email" value=q class=INPUT />
            <button type="submit" class=BUTTON>"Search"</button>
        </Form>
        <FormError value=update.value() />
        <FormError value=remove.value() />
        <FormError value=transfer.value() />
        {guarded(members, move |m: Members| {
            let slug = slug();
            let current = m.page;
            let q = q();
            let href = move |n: u32| {
                let mut url = format!("/communities/{slug}/members?page={n}");
                if !q.is_empty() {
                    url.push_str(&format!("&q={}", urlencode(&q)));
                }
                url
            };
            let slug = use_slug()();
            view! {
                <p class="mt-3 text-sm text-slate-600 dark:text-slate-400" data-testid="member-total">{format!("{} members", m.total)}</p>
                <table class=TABLE data-testid="members">
                    <thead>
                        <tr><th>"Name"</th><th>"Role"</th><th>"Ends on (UTC)"</th><th>"Since"</th><th><span class="sr-only">"Actions"</span></th></tr>
                    </thead>
                    <tbody>
                        {m.items.into_iter().map(|row| {
                            let manageable = m.can_manage && (row.role != Role::Owner || m.is_owner);
                            let (s1, s2, s3) = (slug.clone(), slug.clone(), slug.clone());
                            let id = row.account_id.to_string();
                            let (i1, i2, i3) = (id.clone(), id.clone(), id);
                            let form_id = format!("member-{}", row.account_id);
                            view! {
                                <tr class="border-t border-slate-200 dark:border-slate-800" data-member=row.name.clone()>
                                    <td class="py-2">{row.name.clone()}<br /><span class="text-xs text-slate-600 dark:text-slate-400">{row.email.clone().unwrap_or_default()}</span></td>
                                    {if manageable {
                                        view! {
                                            <td class="py-2">
                                                <select name="role" form=form_id.clone() class=INPUT aria-label=format!("Role of {}", row.name)>
                                                    {role_options(row.role, m.is_owner)}
                                                </select>
                                            </td>
                                            <td class="py-2">
                                                <input type="date" name="ends_on" form=form_id.clone() value=row.ends_on.clone().unwrap_or_default() class=INPUT aria-label=format!("End date of {}", row.name) />
                                            </td>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <td class="py-2">{row.role.label()}</td>
                                            <td class="py-2">{row.ends_on.clone().unwrap_or_else(|| "—".into())}</td>
                                        }.into_any()
                                    }}
                                    <td class="py-2">{row.since.clone()}</td>
                                    <td class="py-2">
                                        {manageable.then(|| view! {
                                            <div class="flex flex-wrap gap-1">
                                                <ActionForm action=update attr:id=form_id.clone()>
                                                    <input type="hidden" name="slug" value=s1 />
                                                    <input type="hidden" name="account_id" value=i1 />
                                                    <button type="submit" class=BUTTON>"Save"</button>
                                                </ActionForm>
                                                <ActionForm action=remove>
                                                    <input type="hidden" name="slug" value=s2 />
                                                    <input type="hidden" name="account_id" value=i2 />
                                                    <button type="submit" class=BUTTON>"Remove"</button>
                                                </ActionForm>
                                                {(m.is_owner && row.account_id != m.me).then(|| view! {
                                                    <ActionForm action=transfer>
                                                        <input type="hidden" name="slug" value=s3 />
                                                        <input type="hidden" name="account_id" value=i3 />
                                                        <button type="submit" class=BUTTON>"Make owner, step down"</button>
                                                    </ActionForm>
                                                })}
                                            </div>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {pager(current, m.total, m.per_page, href)}
            }
        })}
    }
}
