//! The browser half of Stoa: makes the server-rendered pages' islands interactive.

// Links the app, whose `#[island]` components export the functions the loader calls.
use stoa_app as _;

/// Entry point called by the islands loader that the server puts in every page. The loader
/// then hydrates each `<leptos-island>` in the same task, so a timer marks the page once
/// that is done: `<body data-hydrated="true">`, which end-to-end tests wait for.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
