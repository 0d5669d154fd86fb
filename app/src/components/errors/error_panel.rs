use leptos::prelude::*;

use crate::error::AppError;

/// The fallback of an `ErrorBoundary`: says what went wrong without internals, shows the
/// request id for support. (The page's HTTP status is set by `ssr::respond`.)
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let first = move || {
        errors
            .get()
            .into_iter()
            .next()
            .map(|(_, e)| {
                e.downcast_ref::<AppError>()
                    .cloned()
                    .unwrap_or(AppError::Internal { request_id: None })
            })
            .unwrap_or(AppError::Internal { request_id: None })
    };
    view! {
        <div role="alert" class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
            {move || {
                let error = first();
                let request_id = match &error {
                    AppError::Internal { request_id } => request_id.clone(),
                    _ => None,
                };
                view! {
                    <p class="font-medium">{error.to_string()}</p>
                    {request_id
                        .map(|id| {
                            view! {
                                <p class="mt-1 text-sm">
                                    "If this keeps happening, contact support and quote request id "
                                    <code class="font-mono" data-testid="request-id">{id}</code>
                                    "."
                                </p>
                            }
                        })}
                }
            }}
        </div>
    }
}
