use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::auth::UserMenu;

/// Site header: brand, primary navigation and the account entry point.
#[component]
pub fn Header() -> impl IntoView {
    let link = "rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-slate-100 aria-[current=page]:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white dark:aria-[current=page]:bg-slate-800 dark:aria-[current=page]:text-white";
    view! {
        <header class="border-b border-slate-200 bg-white/90 dark:border-slate-800 dark:bg-slate-950/90">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-3 sm:px-6 lg:px-8">
                <A href="/" attr:class="flex items-center gap-2 text-lg font-semibold tracking-tight">
                    <span aria-hidden="true" class="inline-block h-6 w-6 rounded bg-teal-600"></span>
                    "Stoa"
                </A>
                <nav aria-label="Main" class="flex flex-wrap items-center gap-1">
                    <A href="/communities" attr:class=link>"Communities"</A>
                    <A href="/catalog" attr:class=link>"Catalog"</A>
                    <A href="/pricing" attr:class=link>"Pricing"</A>
                    <UserMenu />
                </nav>
            </div>
        </header>
    }
}
