use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;

use crate::components::communities::CommunityList;
use crate::components::errors::ErrorPanel;
use crate::components::forms::{pager, urlencode, use_search_and_page};
use crate::serverfns::communities::{CommunityPage, MAX_QUERY_CHARS, list_communities};

const PER_PAGE: u32 = 24;

/// The public directory of communities, searchable and paged. Search is a plain GET form:
/// with JavaScript it navigates on the client, without it the server renders the results.
#[component]
pub fn CommunitiesPage() -> impl IntoView {
    let (search, page) = use_search_and_page();
    let results = Resource::new(
        move || (search(), page()),
        |(q, page)| list_communities(q, page, PER_PAGE),
    );

    view! {
        <Title text="Communities" />
        <h1 class="text-2xl font-bold tracking-tight sm:text-3xl">"Communities"</h1>
        <p class="mt-2 text-slate-700 dark:text-slate-300">"Labs, courses and consortia running their hubs on Stoa."</p>
        <Form
            method="GET"
            action=""
            on_form_data=drop_unnamed_fields()
            attr:role="search"
            attr:class="mt-6 flex max-w-xl gap-2"
        >
            <label for="q" class="sr-only">"Search communities"</label>
            <input
                type="search"
                id="q"
                name="q"
                maxlength=MAX_QUERY_CHARS.to_string()
                placeholder="Search by name or field"
                prop:value=search
                class="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 placeholder:text-slate-400 focus:outline-2 focus:outline-teal-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
            />
            <button type="submit" class="rounded-md bg-teal-700 px-4 py-2 font-medium text-white hover:bg-teal-800">
                "Search"
            </button>
        </Form>
        <section aria-live="polite" class="mt-6">
            <Suspense fallback=|| view! { <p>"Loading communities…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        let q = search();
                        results.await.map(|page| view! { <Results page q /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn Results(page: CommunityPage, q: String) -> impl IntoView {
    let count = page.total;
    let current = page.page;
    let href = {
        let q = q.clone();
        move |n: u32| {
            let mut params = vec![];
            if !q.is_empty() {
                params.push(format!("q={}", urlencode(&q)));
            }
            if n > 1 {
                params.push(format!("page={n}"));
            }
            if params.is_empty() {
                "/communities".to_string()
            } else {
                format!("/communities?{}", params.join("&"))
            }
        }
    };
    let summary = match (count, q.is_empty()) {
        (1, true) => "1 community".to_string(),
        (n, true) => format!("{n} communities"),
        (1, false) => format!("1 community matches “{q}”"),
        (n, false) => format!("{n} communities match “{q}”"),
    };
    view! {
        // A heading, so the cards' <h3>s sit under an <h2> (heading order, WCAG 1.3.1).
        <h2 class="mb-4 text-sm font-normal text-slate-600 dark:text-slate-400" data-testid="result-count">{summary}</h2>
        <CommunityList communities=page.items />
        {pager(current, count, page.per_page, href)}
    }
}

/// leptos_router's `Form` appends the submit button even when it has no name, which would
/// put a stray `&=` in the URL; a browser submitting the plain form leaves it out.
fn drop_unnamed_fields() -> Arc<dyn Fn(&leptos::web_sys::FormData)> {
    Arc::new(|data: &leptos::web_sys::FormData| data.delete(""))
}
