use leptos::prelude::*;

/// Sends an anonymous visitor of a protected page to sign in, and back afterwards. On the
/// server the 303 is set by `ssr::respond` (the one place statuses come from); in the browser
/// this navigates.
#[component]
pub fn SignInRequired(#[prop(into)] next: String) -> impl IntoView {
    let target = format!(
        "/signin?next={}",
        crate::components::forms::urlencode(&next)
    );
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let target = target.clone();
        request_animation_frame(move || navigate(&target, Default::default()));
    }
    view! { <p>"Please " <a href=target class="underline">"sign in"</a> " to continue."</p> }
}
