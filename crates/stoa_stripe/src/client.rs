//! Sending async-stripe's requests with reqwest.
//!
//! async-stripe builds each request (method, path, form body encoded as its pinned API
//! version documents); this client sends it with Stoa's HTTP stack, names the API version
//! explicitly, adds the idempotency key the caller chose, and keeps the HTTP status and
//! Stripe's error fields, which async-stripe's own client loses on non-JSON answers.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use stripe_client_core::{RequestBuilder, StripeMethod, StripeRequest};

/// The Stripe API version every request names: the one async-stripe's request types were
/// generated for. Create the production webhook endpoint with this version too.
pub fn api_version() -> &'static str {
    stripe_client_core::VERSION.as_str()
}

/// How long one call may take before it counts as failed (jobs retry it, with the same key).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A call that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error: the request was understood and refused.
    #[error("Stripe refused the request ({status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// `error.type` (`invalid_request_error`, `card_error`, …).
        kind: String,
        /// `error.code`, when given.
        code: Option<String>,
        /// `error.param`, when given.
        param: Option<String>,
        /// `error.message` (Stripe's words; no secrets).
        message: String,
    },
    /// Stripe could not be reached, or did not answer in time: safe to retry with the same key.
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    /// The answer was not what the API documents.
    #[error("Stripe's answer ({status}) could not be read: {detail}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
}

impl StripeError {
    /// Whether trying again later may succeed (network trouble, rate limits, Stripe's own
    /// errors); a refusal of the request itself will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            StripeError::Unreachable(_) => true,
            StripeError::Api { status, .. } | StripeError::Decode { status, .. } => {
                *status == 429 || *status == 409 || *status >= 500
            }
        }
    }
}

/// A Stripe API client: the secret key and where the API is.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the API at `base` (`https://api.stripe.com`, or a test peer's address).
    pub fn new(base: &str, key: SecretString) -> Result<Client, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("stoa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StripeError::Unreachable(e.to_string()))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    /// Sends `request` and reads the answer as `T` (Stoa's own lenient view of the object).
    /// `idempotency_key`: the same key on every retry of one intended call, so Stripe does it
    /// once. Every call made from a job passes one.
    pub async fn send<R: StripeRequest, T: DeserializeOwned>(
        &self,
        request: &R,
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        self.send_built(request.build(), idempotency_key).await
    }

    /// Sends a request async-stripe built.
    pub async fn send_built<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let method = match request.method {
            StripeMethod::Get => reqwest::Method::GET,
            StripeMethod::Post => reqwest::Method::POST,
            StripeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut url = format!("{}/v1{}", self.base, request.path);
        if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
            url.push('?');
            url.push_str(query);
        }
        let mut http = self
            .http
            .request(method, url)
            .bearer_auth(self.key.expose_secret())
            .header("Stripe-Version", api_version());
        if let Some(body) = request.body {
            http = http
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
        }
        if let Some(key) = idempotency_key {
            http = http.header("Idempotency-Key", key);
        }
        let answer = http
            .send()
            .await
            .map_err(|e| StripeError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| StripeError::Unreachable(e.without_url().to_string()))?;
        if !(200..300).contains(&status) {
            return Err(api_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| StripeError::Decode {
            status,
            detail: e.to_string(),
        })
    }
}

/// `text` with every word holding an `@` replaced: Stripe's messages may quote an email
/// address (an invalid one, a customer's), and they end up in logs and job errors.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Stripe's error answer: `{"error": {"type", "code", "param", "message"}}`.
fn api_error(status: u16, body: &[u8]) -> StripeError {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Fields,
    }
    #[derive(serde::Deserialize)]
    struct Fields {
        #[serde(rename = "type", default)]
        kind: String,
        code: Option<String>,
        param: Option<String>,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { error }) => StripeError::Api {
            status,
            kind: error.kind,
            code: error.code,
            param: error.param,
            message: without_addresses(&error.message),
        },
        Err(_) => StripeError::Decode {
            status,
            // A proxy's or test peer's page: the first line says enough.
            detail: String::from_utf8_lossy(body)
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_messages_lose_the_addresses_they_quote() {
        let err = api_error(
            400,
            br#"{"error": {"type": "invalid_request_error", "param": "email",
                "message": "Invalid email address: 'ada@example.test'"}}"#,
        );
        assert_eq!(
            err.to_string(),
            "Stripe refused the request (400): Invalid email address: [address]"
        );
        assert!(!err.is_transient());
        let page = api_error(502, b"<html>Bad gateway</html>\nmore");
        assert!(matches!(page, StripeError::Decode { status: 502, .. }));
        assert!(page.is_transient());
    }
}
