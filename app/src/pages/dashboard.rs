//! The signed-in person's communities and institutions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::forms::{BUTTON, PRIMARY, guarded};
use crate::serverfns::community::my_dashboard;

/// "Your communities": where a signed-in person starts.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| my_dashboard());
    view! {
        <Title text="Your communities" />
        <div class="flex flex-wrap items-center justify-between gap-2">
            <h1 class="text-2xl font-bold tracking-tight">"Your communities"</h1>
            <div class="flex gap-2">
                <A href="/communities/new" attr:class=PRIMARY>"Sign up a community"</A>
                <A href="/institutions/new" attr:class=BUTTON>"Register an institution"</A>
            </div>
        </div>
        {guarded(dashboard, |d| view! {
            {if d.communities.is_empty() {
                view! { <p class="mt-4">"You do not belong to any community yet. Sign one up, or accept an invitation from your email."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800" data-testid="my-communities">
                        {d.communities.into_iter().map(|c| view! {
                            <li class="flex items-center justify-between p-3">
                                <A href=format!("/communities/{}", c.slug) attr:class="font-medium underline">{c.name}</A>
                                <span class="text-sm text-slate-600 dark:text-slate-400">
                                    {c.role.label()}
                                    {c.ends_on.map(|d| format!(" · until {d}"))}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!d.institutions.is_empty()).then(|| view! {
                <h2 class="mt-8 text-lg font-semibold">"Your institutions"</h2>
                <ul class="mt-2 list-disc pl-6">
                    {d.institutions.into_iter().map(|(id, name)| view! {
                        <li><A href=format!("/institutions/{id}") attr:class="underline">{name}</A></li>
                    }).collect_view()}
                </ul>
            })}
        })}
    }
}
