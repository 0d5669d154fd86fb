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
