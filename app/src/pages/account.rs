use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::auth::SignInRequired;
use crate::components::errors::ErrorPanel;
use crate::components::forms::{Typed, form_action};
use crate::error::AppError;
use crate::serverfns::account::{AccountView, RenameAccount, UnlinkIdentity, account_overview};

const INPUT: &str = "min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";

/// The signed-in person's account: name, email, identities, sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let rename = form_action::<RenameAccount>();
    let unlink = form_action::<UnlinkIdentity>();
    let overview = Resource::new(
        move || (rename.version().get(), unlink.version().get()),
        |_| account_overview(),
    );
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(AppError::Unauthorized) => view! { <SignInRequired next="/account" /> }.into_any(),
                        Err(other) => Err::<(), _>(other).into_any(),
                        Ok(account) => view! { <AccountDetails account rename unlink /> }.into_any(),
                    }
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn AccountDetails(
    account: AccountView,
    rename: ServerAction<RenameAccount>,
    unlink: ServerAction<UnlinkIdentity>,
) -> impl IntoView {
    let error_of =
        |result: Option<Result<(), AppError>>| result.and_then(Result::err).map(|e| e.to_string());
    let AccountView {
        name,
        email,
        identities,
        providers,
    } = account;
    let only_one = identities.len() <= 1;
    view! {
        <h1 class="text-2xl font-bold tracking-tight">"Your account"</h1>
        <section class="mt-6 max-w-xl">
            <ActionForm action=rename attr:class="flex flex-col gap-2">
                <label for="name" class="text-sm font-medium">"Name"</label>
                <div class="flex gap-2">
                    <input id="name" name="name" value={Typed::of::<RenameAccount>().get("name", name)} maxlength="100" required class=INPUT />
                    <button type="submit" class=BUTTON>"Save"</button>
                </div>
                {move || error_of(rename.value().get()).map(|m| view! { <p role="alert" class="text-sm text-red-700 dark:text-red-400">{m}</p> })}
            </ActionForm>
            <p class="mt-4 text-sm">"Email: " <span data-testid="account-email">{email.unwrap_or_else(|| "none".into())}</span></p>
        </section>
        <section class="mt-8 max-w-xl" aria-labelledby="identities-heading">
            <h2 id="identities-heading" class="text-lg font-semibold">"Ways to sign in"</h2>
            {move || error_of(unlink.value().get()).map(|m| view! { <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-400">{m}</p> })}
            <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800" data-testid="identities">
                {identities.into_iter().map(|identity| view! {
                    <li class="flex items-center justify-between gap-4 p-3">
                        <div>
                            <p class="font-medium">{identity.provider}</p>
                            <p class="text-sm text-slate-600 dark:text-slate-400">{identity.detail} " · linked " {identity.linked}</p>
                        </div>
                        <ActionForm action=unlink>
                            <input type="hidden" name="identity_id" value=identity.id.to_string() />
                            <button type="submit" class=BUTTON disabled=only_one>"Unlink"</button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
            <div class="mt-4 flex flex-wrap gap-2">
                {providers.into_iter().map(|(id, name)| view! {
                    <form method="post" action=format!("/auth/oidc/{id}")>
                        <input type="hidden" name="link" value="1" />
                        <input type="hidden" name="next" value="/account" />
                        <button type="submit" class=BUTTON>{format!("Link {name}")}</button>
                    </form>
                }).collect_view()}
            </div>
        </section>
        <section class="mt-8 max-w-xl" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading" class="text-lg font-semibold">"Sessions"</h2>
            <form method="post" action="/auth/signout-everywhere" class="mt-3">
                <button type="submit" class=BUTTON>"Sign out everywhere"</button>
            </form>
        </section>
    }
}
