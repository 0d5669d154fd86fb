use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::sign_in_error_message;
use crate::components::errors::ErrorPanel;
use crate::serverfns::account::sign_in_options;

const BUTTON: &str = "w-full rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str =
    "w-full rounded-md bg-teal-700 px-4 py-2 font-medium text-white hover:bg-teal-800";

/// Sign in with an institution's provider or an email link. Plain forms: they work
/// without JavaScript, and the server answers with redirects.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || {
        query
            .read()
            .get("error")
            .and_then(|code| sign_in_error_message(&code))
    };
    let notice = move || {
        query
            .read()
            .get("notice")
            .filter(|n| n == "signed_out_everywhere")
    };
    let options = Resource::new(|| (), |_| sign_in_options());

    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-md py-8">
            <h1 class="text-2xl font-bold tracking-tight">"Sign in to Stoa"</h1>
            {move || error().map(|message| view! {
                <p role="alert" data-testid="sign-in-error" class="mt-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">{message}</p>
            })}
            {move || notice().map(|_| view! {
                <p role="status" class="mt-4 rounded-md border border-teal-300 bg-teal-50 p-3 text-sm dark:border-teal-800 dark:bg-teal-950">"You are signed out on every device."</p>
            })}
            <Suspense fallback=|| ()>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        options.await.map(|options| {
                            let signed_in = options.user.map(|user| view! {
                                <p class="mt-4 text-sm" data-testid="already-signed-in">"You are signed in as " <strong>{user.name}</strong> "."</p>
                            });
                            let providers = options.providers.into_iter().map(|(id, name)| view! {
                                <form method="post" action=format!("/auth/oidc/{id}")>
                                    <input type="hidden" name="next" value=next />
                                    <button type="submit" class=BUTTON>{format!("Continue with {name}")}</button>
                                </form>
                            }).collect_view();
                            view! {
                                {signed_in}
                                <div class="mt-6 flex flex-col gap-3">{providers}</div>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <form method="post" action="/auth/email" class="mt-8 flex flex-col gap-3 border-t border-slate-200 pt-6 dark:border-slate-800">
                <label for="email" class="text-sm font-medium">"Or get a sign-in link by email"</label>
                <input
                    type="email"
                    id="email"
                    name="email"
                    required
                    maxlength="254"
                    autocomplete="email"
                    placeholder="name@university.edu"
                    class="rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
                />
                <input type="hidden" name="next" value=next />
                <button type="submit" class=PRIMARY>"Email me a sign-in link"</button>
            </form>
        </section>
    }
}

/// After asking for a link.
#[component]
pub fn EmailSentPage() -> impl IntoView {
    view! {
        <Title text="Check your email" />
        <section class="mx-auto max-w-md py-8">
            <h1 class="text-2xl font-bold tracking-tight">"Check your email"</h1>
            <p class="mt-4 text-slate-700 dark:text-slate-300">
                "If the address can receive mail, a sign-in link is on its way. It works once, within 15 minutes."
            </p>
        </section>
    }
}

/// Where a sign-in link lands: confirms with a button, because mail scanners open links
/// and must not use them up.
#[component]
pub fn SignInLinkPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let check = Resource::new(token, crate::serverfns::account::check_sign_in_link);
    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-md py-8">
            <h1 class="text-2xl font-bold tracking-tight">"Sign in to Stoa"</h1>
            <Suspense fallback=|| ()>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        check.await.map(|email| match email {
                            Some(email) => view! {
                                <form method="post" action="/auth/email/verify" class="mt-6">
                                    <input type="hidden" name="token" value=token />
                                    <button type="submit" class=PRIMARY>{format!("Sign in as {email}")}</button>
                                </form>
                            }.into_any(),
                            None => view! {
                                <p role="alert" data-testid="link-invalid" class="mt-4">
                                    "This sign-in link is invalid, expired or already used. "
                                    <a href="/signin" class="underline">"Ask for a new one"</a>"."
                                </p>
                            }.into_any(),
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
