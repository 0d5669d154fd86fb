use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::communities::CommunityList;
use crate::components::forms::{pager, urlencode, use_search_and_page};
use crate::error::AppError;
use crate::serverfns::communities::{CommunityPage, MAX_QUERY_CHARS, list_communities};

const PER_PAGE: u32 = 24;

/// The public directory of communities, searchable and paged. The server renders the
/// results for the URL's `q` and `page`; the search box is an island that, with JavaScript,
/// answers as you type without reloading the page, and without it is a plain GET form.
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
        <Suspense fallback=|| view! { <p>"Loading communities…"</p> }>
            {move || Suspend::new(async move {
                // The status of a refused query (422) is set by `ssr::respond`; the island
                // shows the message.
                let first = results.await;
                view! { <DirectorySearch q=search() first /> }
            })}
        </Suspense>
    }
}

/// The search form and its results. Served rendered; in the browser, typing asks the server
/// function for the first page of matches (after a short pause, the newest query winning)
/// and keeps the address bar in step, so reloading or sharing shows the same results.
#[island]
fn DirectorySearch(q: String, first: Result<CommunityPage, AppError>) -> impl IntoView {
    let typed = RwSignal::new(q.clone());
    let shown = RwSignal::new((q.clone(), first));
    // Each keystroke bumps the generation; only the last one's timer searches.
    let generation = StoredValue::new(0u32);
    let search = move |q: String| {
        leptos::task::spawn_local(async move {
            let answer = list_communities(q.clone(), 1, PER_PAGE).await;
            // A slow answer to an older query must not replace a newer one.
            if typed.get_untracked() == q {
                show_in_address_bar(&q);
                shown.set((q, answer));
            }
        });
    };
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        typed.set(q.clone());
        generation.update_value(|n| *n += 1);
        let this = generation.get_value();
        set_timeout(
            move || {
                if generation.get_value() == this {
                    search(q);
                }
            },
            std::time::Duration::from_millis(150),
        );
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        generation.update_value(|n| *n += 1);
        search(typed.get_untracked());
    };
    view! {
        <form method="GET" action="/communities" role="search" class="mt-6 flex max-w-xl gap-2" on:submit=on_submit>
            <label for="q" class="sr-only">"Search communities"</label>
            <input
                type="search"
                id="q"
                name="q"
                maxlength=MAX_QUERY_CHARS.to_string()
                placeholder="Search by name or field"
                value=q
                on:input=on_input
                class="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 placeholder:text-slate-400 focus:outline-2 focus:outline-teal-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
            />
            <button type="submit" class="rounded-md bg-teal-700 px-4 py-2 font-medium text-white hover:bg-teal-800">
                "Search"
            </button>
        </form>
        <section aria-live="polite" class="mt-6">
            {move || {
                let (q, answer) = shown.get();
                match answer {
                    Ok(page) => view! { <Results page q /> }.into_any(),
                    Err(error) => view! {
                        <p role="alert" class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                            {error.to_string()}
                        </p>
                    }.into_any(),
                }
            }}
        </section>
    }
}

/// `/communities?q=…` without reloading (replacing the entry: typing is not navigation).
fn show_in_address_bar(q: &str) {
    let url = if q.is_empty() {
        "/communities".to_owned()
    } else {
        format!("/communities?q={}", urlencode(q))
    };
    if let Ok(history) = window().history() {
        _ = history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&url));
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
