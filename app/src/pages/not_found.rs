use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any path no route matches, with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="py-12 text-center">
            <p class="text-sm font-semibold text-teal-700 dark:text-teal-400">"404"</p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Page not found"</h1>
            <p class="mt-4 text-slate-700 dark:text-slate-300">"The page you asked for does not exist, or is not visible to you."</p>
            <p class="mt-6"><A href="/" attr:class="underline">"Back to the home page"</A></p>
        </section>
    }
}
