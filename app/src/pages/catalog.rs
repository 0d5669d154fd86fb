//! The environment catalog: a searchable list (a plain GET form, the same without
//! JavaScript) and each entry's page with its versions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::forms::{BUTTON, INPUT, LABEL, guarded};
use crate::serverfns::catalog::{CatalogView, EntryView, get_catalog_entry, list_catalog};
use stoa_model::catalog::EntryCard;

/// `/catalog`: search, filter by language and tag, sort, page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let catalog = Resource::new(
        move || {
            (
                get("q"),
                get("language"),
                get("tag"),
                get("sort"),
                get("page"),
            )
        },
        |(q, language, tag, sort, page)| list_catalog(q, language, tag, sort, page),
    );
    view! {
        <Title text="Environment catalog" />
        <h1 class="text-2xl font-bold tracking-tight sm:text-3xl">"Environment catalog"</h1>
        <p class="mt-2 max-w-3xl text-slate-700 dark:text-slate-300">
            "Environments the communities share: images maintained by Stoa staff or by a community, each with its versions."
        </p>
        {guarded(catalog, |c: CatalogView| view! { <CatalogList c /> })}
    }
}

#[component]
fn CatalogList(c: CatalogView) -> impl IntoView {
    let link = {
        let (q, language, tag, sort) = (
            c.search.clone(),
            c.language.clone(),
            c.tag.clone(),
            c.sort.clone(),
        );
        move |page: i64| {
            let mut url = url_query(&[
                ("q", &q),
                ("language", &language),
                ("tag", &tag),
                ("sort", &sort),
            ]);
            if page > 1 {
                url.push_str(if url.contains('?') { "&" } else { "?" });
                url.push_str(&format!("page={page}"));
            }
            url
        }
    };
    let people = if c.total == 1 {
        "environment"
    } else {
        "environments"
    };
    let (previous, next) = (
        (c.page > 1).then(|| link(c.page - 1)),
        (c.page < c.pages).then(|| link(c.page + 1)),
    );
    view! {
        <form method="get" action="/catalog" class="mt-6 grid gap-3 sm:grid-cols-[2fr_1fr_1fr_1fr_auto]" role="search">
            <div>
                <label for="q" class=LABEL>"Search"</label>
                <input id="q" name="q" type="search" maxlength="200" class=INPUT value=c.search.clone() placeholder="pangeo, tidyverse, gpu…" />
            </div>
            <div>
                <label for="language" class=LABEL>"Language"</label>
                <select id="language" name="language" class=INPUT>
                    <option value="">"Any"</option>
                    {c.languages.iter().map(|(v, n)| view! {
                        <option value=v.clone() selected=*v == c.language>{format!("{v} ({n})")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="tag" class=LABEL>"Tag"</label>
                <select id="tag" name="tag" class=INPUT>
                    <option value="">"Any"</option>
                    {c.tags.iter().map(|(v, n)| view! {
                        <option value=v.clone() selected=*v == c.tag>{format!("{v} ({n})")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="sort" class=LABEL>"Sort"</label>
                <select id="sort" name="sort" class=INPUT>
                    <option value="name" selected=c.sort == "name">"Name"</option>
                    <option value="newest" selected=c.sort == "newest">"Newest"</option>
                </select>
            </div>
            <div class="flex items-end"><button type="submit" class=BUTTON>"Show"</button></div>
        </form>
        <p class="mt-4 text-sm" data-testid="catalog-total" role="status">{format!("{} {people}", c.total)}</p>
        <ul class="mt-2 grid gap-4 md:grid-cols-2" data-testid="catalog-entries">
            {c.entries.into_iter().map(|e| view! { <Card e /> }).collect_view()}
        </ul>
        <nav aria-label="Pages" class="mt-4 flex gap-4 text-sm">
            {previous.map(|href| view! { <a href=href class="underline" rel="prev">"Previous"</a> })}
            <span>{format!("Page {} of {}", c.page, c.pages)}</span>
            {next.map(|href| view! { <a href=href class="underline" rel="next">"Next"</a> })}
        </nav>
    }
}

/// `/catalog?q=…&tag=…`, with the empty ones left out; values percent-encoded.
fn url_query(pairs: &[(&str, &String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let v: String = url_escape(v);
            format!("{k}={v}")
        })
        .collect();
    if encoded.is_empty() {
        "/catalog".to_owned()
    } else {
        format!("/catalog?{}", encoded.join("&"))
    }
}

fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Card(e: EntryCard) -> impl IntoView {
    let href = format!("/catalog/{}", e.slug);
    let labels = e
        .languages
        .iter()
        .chain(e.tags.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="rounded-lg border border-slate-200 p-4 dark:border-slate-800" data-testid=format!("entry-{}", e.slug)>
            <h2 class="text-base font-semibold"><A href=href attr:class="underline">{e.name}</A></h2>
            <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">{e.summary}</p>
            <p class="mt-2 text-xs text-slate-600 dark:text-slate-400">{labels}</p>
            <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                {format!("Maintained by {}", e.maintainer)}
                {e.private.then_some(" · private to its community")}
                {e.state.map(|s| format!(" · {s}"))}
            </p>
        </li>
    }
}

/// `/catalog/<slug>`: the entry, how to use it, and its versions.
#[component]
pub fn CatalogEntryPage() -> impl IntoView {
    let params = use_params_map();
    let entry = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_catalog_entry,
    );
    view! {
        {guarded(entry, |e: EntryView| view! { <Entry e /> })}
    }
}

#[component]
fn Entry(e: EntryView) -> impl IntoView {
    let card = e.card;
    let labels = card
        .languages
        .iter()
        .chain(card.tags.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <Title text=card.name.clone() />
        <p class="text-sm"><A href="/catalog" attr:class="underline">"Environment catalog"</A></p>
        <h1 class="mt-2 text-2xl font-bold tracking-tight sm:text-3xl" data-testid="entry-name">{card.name.clone()}</h1>
        <p class="mt-1 text-slate-700 dark:text-slate-300">{card.summary.clone()}</p>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            {format!("Maintained by {}", card.maintainer)}
            {card.private.then_some(" · private to its community")}
            {card.state.map(|s| format!(" · {s}"))}
            {(!labels.is_empty()).then(|| format!(" · {labels}"))}
        </p>
        <div class="prose mt-4 max-w-none dark:prose-invert" data-testid="entry-description" inner_html=e.description_html></div>
        <p class="mt-3 flex gap-4 text-sm">
            {(!e.source_url.is_empty()).then(|| view! { <a href=e.source_url.clone() class="underline" rel="noreferrer">"Source"</a> })}
            {(!e.docs_url.is_empty()).then(|| view! { <a href=e.docs_url.clone() class="underline" rel="noreferrer">"Documentation"</a> })}
        </p>
        <h2 class="mt-8 text-lg font-semibold">"Versions"</h2>
        <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">"To use one on a hub, add an environment with its image on the hub's settings tab."</p>
        <ul class="mt-3 grid gap-3" data-testid="versions">
            {e.versions.into_iter().map(|v| {
                let replacement = v.replacement.clone();
                view! {
                    <li class="rounded border border-slate-200 p-3 dark:border-slate-800" data-testid=format!("version-{}", v.version)>
                        <p class="font-medium">{format!("{} · released {}", v.version, v.released_on)}
                            {v.deprecated.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">"deprecated"</span> })}
                        </p>
                        <p class="mt-1 font-mono text-sm break-all">{v.image}</p>
                        {replacement.map(|r| view! { <p class="mt-1 text-sm">{format!("Use {r} instead.")}</p> })}
                        {(!v.security_notice.is_empty()).then(|| view! {
                            <p class="mt-1 text-sm text-red-700 dark:text-red-400" role="note">{format!("Security notice: {}", v.security_notice)}</p>
                        })}
                        <div class="prose mt-2 max-w-none text-sm dark:prose-invert" inner_html=v.notes_html></div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
