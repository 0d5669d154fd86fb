use leptos::prelude::*;
use leptos_router::components::A;

use crate::serverfns::account::get_current_user;

/// The header's account corner: the person's name and sign-out, or a sign-in link.
#[component]
pub fn UserMenu() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    Some(user) => view! {
                        <A href="/dashboard" attr:class="rounded-md px-3 py-2 text-sm font-medium">"Your communities"</A>
                        {user.is_staff.then(|| view! { <A href="/staff" attr:class="rounded-md px-3 py-2 text-sm font-medium">"Staff"</A> })}
                        <A href="/account" attr:class="rounded-md px-3 py-2 text-sm font-medium" attr:data-testid="user-name">{user.name}</A>
                        <form method="post" action="/auth/signout">
                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">"Sign out"</button>
                        </form>
                    }.into_any(),
                    None => view! {
                        <A href="/signin" attr:class="ml-2 rounded-md bg-teal-700 px-3 py-2 text-sm font-medium text-white hover:bg-teal-800">"Sign in"</A>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
