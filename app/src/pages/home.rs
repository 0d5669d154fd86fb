use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::communities::CommunityList;
use crate::components::errors::ErrorPanel;
use crate::serverfns::communities::list_communities;

/// The landing page: what Stoa is, and the newest communities.
#[component]
pub fn HomePage() -> impl IntoView {
    let newest = Resource::new(|| (), |_| list_communities(String::new(), 1, 6));
    view! {
        <Title text="" />
        <section class="py-8 sm:py-12">
            <h1 class="max-w-3xl text-3xl font-bold tracking-tight sm:text-5xl">
                "Your community's JupyterHub, without the in-house engineer."
            </h1>
            <p class="mt-4 max-w-2xl text-lg text-slate-700 dark:text-slate-300">
                "Stoa runs managed JupyterHubs for labs, courses and consortia. Every community shares the same
                 well-kept building blocks and configures its own hub: who can log in, environments, sizes and quotas."
            </p>
            <div class="mt-6 flex flex-wrap gap-3">
                <A href="/communities" attr:class="rounded-md bg-teal-700 px-4 py-2 font-medium text-white hover:bg-teal-800">
                    "Browse communities"
                </A>
                <A href="/signin" attr:class="rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    "Sign in"
                </A>
            </div>
        </section>
        <section aria-labelledby="newest-heading" class="py-6">
            <h2 id="newest-heading" class="mb-4 text-xl font-semibold">"Newest communities"</h2>
            <Suspense fallback=|| view! { <p>"Loading communities…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        newest.await.map(|page| {
                            let total = page.total;
                            view! {
                                <CommunityList communities=page.items />
                                <p class="mt-4 text-sm text-slate-600 dark:text-slate-400" data-testid="community-total">
                                    {format!("{total} communities on Stoa. ")} <A href="/communities" attr:class="underline">"See all"</A>
                                </p>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
