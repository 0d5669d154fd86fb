use leptos::prelude::*;

use crate::serverfns::communities::CommunitySummary;

/// One community in a listing. Every value is rendered as text, never as HTML.
#[component]
pub fn CommunityCard(community: CommunitySummary) -> impl IntoView {
    let CommunitySummary {
        slug,
        name,
        description,
        field,
        website,
        joined,
    } = community;
    let slug = String::from(slug);
    view! {
        <li class="flex flex-col rounded-lg border border-slate-200 p-4 dark:border-slate-800" data-slug=slug>
            <h3 class="text-base font-semibold">{name}</h3>
            <p class="mt-1 text-xs uppercase tracking-wide text-teal-700 dark:text-teal-400">{field}</p>
            <p class="mt-2 flex-1 text-sm text-slate-700 dark:text-slate-300">{description}</p>
            <p class="mt-3 flex items-center justify-between text-xs text-slate-500 dark:text-slate-400">
                <span>"Joined " {joined}</span>
                // Only http(s) links: a stored `javascript:` URL must never become a link.
                {website
                    .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
                    .map(|url| {
                        view! {
                            <a href=url class="underline hover:text-slate-900 dark:hover:text-white" rel="noopener noreferrer nofollow">
                                "Website"
                            </a>
                        }
                    })}
            </p>
        </li>
    }
}
