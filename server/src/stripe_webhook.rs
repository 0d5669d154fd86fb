//! `POST /stripe/webhook`: Stripe's events, signature checked on the raw body.
//!
//! Outside the app's layers (no session, CSRF check or per-client rate limit: Stripe is not a
//! browser, and its signature is the authentication). The handler only verifies and records
//! the event with the job that applies it, then answers 200: Stripe waits for nothing, and a
//! crash after the answer loses nothing. A refused delivery gets 400 and writes nothing.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use stoa_db::{Clock, Db};
use stoa_domain::stripe::Refused;

/// The path Stripe is configured to deliver to.
pub const PATH: &str = "/stripe/webhook";

/// The largest event accepted. Stripe's events are a few kilobytes; an invoice with many
/// lines stays far below this.
const MAX_BODY: usize = 512 * 1024;

/// What the endpoint needs.
#[derive(Clone)]
pub struct WebhookState {
    /// The store.
    pub db: Db,
    /// Stoa's clock (the signature's tolerance is measured on it).
    pub clock: Clock,
    /// Signing secrets (several during a rotation).
    pub secrets: std::sync::Arc<[SecretString]>,
    /// Wakes this process's workers to apply the event now.
    pub wake: stoa_db::jobs::Wake,
}

/// The endpoint.
pub fn router<S: Clone + Send + Sync + 'static>(state: WebhookState) -> Router<S> {
    Router::new()
        .route(PATH, post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn receive(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let secrets: Vec<&str> = state.secrets.iter().map(|s| s.expose_secret()).collect();
    match stoa_domain::stripe::receive(&state.db, state.clock.now(), &secrets, signature, &body)
        .await
    {
        Ok(new) => {
            if new {
                state.wake.notify();
            }
            (StatusCode::OK, "received\n")
        }
        Err(Refused::Store(e)) => {
            tracing::error!(error = %stoa_db::error_chain(&e), "cannot record a Stripe event");
            // Stripe delivers again later.
            (StatusCode::SERVICE_UNAVAILABLE, "try again later\n")
        }
        Err(refused) => {
            tracing::warn!(reason = %refused, "Stripe webhook refused");
            (StatusCode::BAD_REQUEST, "refused\n")
        }
    }
}
