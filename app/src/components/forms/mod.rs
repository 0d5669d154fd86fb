//! Form pieces shared by every page: field-level and form-level error messages, styles, and
//! the loading/sign-in/error frame around server data.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::auth::SignInRequired;
use crate::components::errors::ErrorPanel;
use crate::error::AppError;

/// Text inputs, selects and text areas.
pub const INPUT: &str = "w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 focus:outline-2 focus:outline-teal-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
/// Secondary buttons.
pub const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
/// The main button of a form.
pub const PRIMARY: &str = "rounded-md bg-teal-700 px-4 py-2 text-sm font-medium text-white hover:bg-teal-800 disabled:opacity-50";
/// Labels.
pub const LABEL: &str = "block text-sm font-medium";
/// Hints under a field.
pub const HINT: &str = "mt-1 text-xs text-slate-600 dark:text-slate-400";
/// Tables.
pub const TABLE: &str = "mt-3 w-full text-left text-sm";

/// The action behind an `ActionForm` on a page. Pages are rendered on the server only
/// (islands: no page code runs in the browser), so each `ActionForm` is a plain HTML form
/// that posts to the server function, with JavaScript or without. The server's form layer
/// (`stoa_server::forms`) then redirects to the page the person continues on and hands it the
/// outcome; this action's value is that outcome, so the form's [`FieldError`], [`FormError`]
/// and [`Saved`] show it exactly as they would after a client-side call.
pub fn form_action<S>() -> ServerAction<S>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    #[cfg(feature = "ssr")]
    if let Some(outcome) = crate::ssr::form_outcome().filter(|o| o.action == S::PATH) {
        let result = outcome.result.and_then(|value| {
            serde_json::from_value(value).map_err(|err| crate::ssr::internal(err.to_string()))
        });
        action.value().set(Some(result));
    }
    action
}

/// What the person typed into the form of server function `S` before it was refused, so the
/// form shows it again (values are rendered as attribute or text content, never as HTML).
#[derive(Debug, Clone, Default)]
pub struct Typed(Option<std::sync::Arc<Vec<(String, String)>>>);

impl Typed {
    /// The values of the refused submission to `S` that led to this page, if any.
    pub fn of<S: leptos::server_fn::ServerFn>() -> Typed {
        #[cfg(feature = "ssr")]
        // Kept after a refusal, and after a success that asked for it (a check before
        // saving): otherwise the form shows the stored values.
        if let Some(outcome) =
            crate::ssr::form_outcome().filter(|o| o.action == S::PATH && !o.fields.is_empty())
        {
            return Typed(Some(std::sync::Arc::new(outcome.fields)));
        }
        Typed(None)
    }

    /// The typed value of `field`, else `current` (the stored value, or empty).
    pub fn get(&self, field: &str, current: impl Into<String>) -> String {
        self.0
            .as_ref()
            .and_then(|fields| fields.iter().find(|(name, _)| name == field))
            .map_or_else(|| current.into(), |(_, value)| value.clone())
    }
}

/// The message for `field` when the last submission failed validation there.
#[component]
pub fn FieldError<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        value.with(|v| {
            let message = v.as_ref()?.as_ref().err()?.message_for(field)?.to_owned();
            Some(view! {
                <p role="alert" class="mt-1 text-sm text-red-700 dark:text-red-400" data-error-for=field>{message}</p>
            })
        })
    }
}

/// The message of a failed submission that no field shows: refusals, failures, and
/// validation of fields not in `fields`.
#[component]
pub fn FormError<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    #[prop(optional)] fields: &'static [&'static str],
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        value.with(|v| match v {
            // Every message of a validation error has its field on the form: shown there.
            Some(Err(e)) if !e.fields().is_empty() && e.fields().iter().all(|f| fields.contains(f)) => None,
            Some(Err(e)) => Some(view! {
                <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-400" data-testid="form-error">{e.to_string()}</p>
            }),
            _ => None,
        })
    }
}

/// A success note after a submission went through.
#[component]
pub fn Saved<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    text: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        value.with(|v| {
            matches!(v, Some(Ok(_))).then(|| view! {
                <p role="status" class="mt-2 text-sm text-teal-800 dark:text-teal-300">{text}</p>
            })
        })
    }
}

/// Renders a server resource: "Loading…" while it loads, the sign-in redirect when it needs
/// a signed-in person, the error panel (with the right status, set by `ssr::respond`) when
/// it failed, else `render(data)`.
pub fn guarded<T, V>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let location = use_location();
    let next = move || {
        let search = location.search.get_untracked();
        let path = location.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || {
                    let render = render.clone();
                    let next = next();
                    Suspend::new(async move {
                        match resource.await {
                            Err(AppError::Unauthorized) => view! { <SignInRequired next /> }.into_any(),
                            Err(other) => Err::<(), _>(other).into_any(),
                            Ok(data) => render(data).into_any(),
                        }
                    })
                }}
            </ErrorBoundary>
        </Suspense>
    }
}

/// Characters a query value keeps as they are: RFC 3986's unreserved set.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn urlencode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// The `q` and `page` of a list page's URL (an unparsable page reads as 1).
pub fn use_search_and_page() -> (
    impl Fn() -> String + Copy + Send + Sync + 'static,
    impl Fn() -> u32 + Copy + Send + Sync + 'static,
) {
    let query = leptos_router::hooks::use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    (q, page)
}

/// Number of pages for `total` rows, `per_page` a page (at least 1).
pub fn page_count(total: u64, per_page: u32) -> u32 {
    u32::try_from(total.div_ceil(u64::from(per_page.max(1))).max(1)).unwrap_or(u32::MAX)
}

/// "Previous · Page n of m · Next" for a list of `total` rows, `per_page` a page.
pub fn pager(
    current: u32,
    total: u64,
    per_page: u32,
    href: impl Fn(u32) -> String,
) -> impl IntoView {
    let last = page_count(total, per_page);
    view! {
        <nav aria-label="Pages" class="mt-6 flex items-center gap-4 text-sm">
            {(current > 1).then(|| view! { <a href=href(current - 1) rel="prev" class="underline">"Previous"</a> })}
            <span>{format!("Page {current} of {last}")}</span>
            {(current < last).then(|| view! { <a href=href(current + 1) rel="next" class="underline">"Next"</a> })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_count_rounds_up() {
        assert_eq!(super::page_count(0, 20), 1);
        assert_eq!(super::page_count(20, 20), 1);
        assert_eq!(super::page_count(21, 20), 2);
    }

    #[test]
    fn urlencode_escapes_reserved_and_non_ascii() {
        assert_eq!(super::urlencode("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }
}
