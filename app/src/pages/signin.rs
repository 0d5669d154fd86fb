use leptos::prelude::*;
use leptos_meta::Title;

/// Where sign-in lives. Accounts are not built yet (issue "Sign-in, accounts and sessions"):
/// the page says so plainly instead of showing a form that does nothing.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-md py-8">
            <h1 class="text-2xl font-bold tracking-tight">"Sign in"</h1>
            <p class="mt-4 text-slate-700 dark:text-slate-300">
                "Sign-in with your institution and by email link is not open yet. Community pages are public in the meantime."
            </p>
        </section>
    }
}
