use leptos::prelude::*;

use super::CommunityCard;
use crate::serverfns::communities::CommunitySummary;

/// A grid of community cards, or a friendly line when there are none.
#[component]
pub fn CommunityList(communities: Vec<CommunitySummary>) -> impl IntoView {
    if communities.is_empty() {
        return view! { <p class="text-slate-600 dark:text-slate-400" data-testid="no-results">"No communities match."</p> }
            .into_any();
    }
    view! {
        <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="community-list">
            {communities.into_iter().map(|community| view! { <CommunityCard community /> }).collect_view()}
        </ul>
    }
    .into_any()
}
