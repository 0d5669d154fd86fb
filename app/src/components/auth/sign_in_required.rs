use leptos::prelude::*;

/// Sends an anonymous visitor of a protected page to sign in, and back afterwards: a 303 on
/// the server, a client-side navigation in the browser.
#[component]
pub fn SignInRequired(next: &'static str) -> impl IntoView {
    let target = format!("/signin?next={next}");
    #[cfg(feature = "ssr")]
    {
        leptos_axum::redirect(&target);
        // `redirect` only sets the status for requests that accept HTML; a page render is
        // always a navigation, so make it a 303 whatever the client's Accept header says.
        crate::ssr::set_status(303);
    }
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let target = target.clone();
        request_animation_frame(move || navigate(&target, Default::default()));
    }
    view! { <p>"Please " <a href=target class="underline">"sign in"</a> " to continue."</p> }
}
