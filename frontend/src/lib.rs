//! The browser half of Stoa: hydrates the server-rendered HTML.

/// Entry point called by the hydration script that the server puts in every page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(stoa_app::App);
}
