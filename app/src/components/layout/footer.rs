use leptos::prelude::*;

/// Site footer.
#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="border-t border-slate-200 dark:border-slate-800">
            <div class="mx-auto flex max-w-6xl flex-col gap-2 px-4 py-6 text-sm text-slate-600 sm:flex-row sm:items-center sm:justify-between sm:px-6 lg:px-8 dark:text-slate-400">
                <p>"Stoa — managed JupyterHubs for research and education communities."</p>
                <p>"Shared building blocks, run together."</p>
            </div>
        </footer>
    }
}
