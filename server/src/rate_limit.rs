//! One rate limiter for every endpoint that answers people who are not signed in (starting
//! and finishing a sign-in, sending and using email links; later Stoa's own OpenID endpoints
//! for hubs and the payment webhooks).
//!
//! Counters live in the database (`rate_limits`), not in memory: several Stoa processes
//! share one PostgreSQL database behind a load balancer, and an in-memory limit would
//! multiply by the number of processes and reset on every deploy. Each request costs one
//! atomic upsert; these endpoints write to the database anyway.
//!
//! Counting is per (class, client) in fixed one-minute windows. A fixed window lets a client
//! make up to twice the limit across a window boundary; for a limit that only has to stop
//! floods, that is an acceptable price for one row and one statement per request.
//!
//! A route opts in with one line:
//! `.route("/webhooks/stripe", post(webhook).layer(limiter.layer("webhook")))`.
//! Routes the router does not build itself (Leptos pages and server functions) are listed
//! by path in one place instead (`startup::router`, [`RateLimiter::paths`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use stoa_db::{Clock, Db};
use tower::{Layer, Service};

use crate::client_ip::ClientIp;
use crate::middleware::{RequestId, message_page};

/// Length of a counting window, in seconds.
const WINDOW_SECS: i64 = 60;

/// Counts requests per (class, client) in the database.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    db: Db,
    clock: Clock,
    per_minute: u32,
}

/// Over the limit: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub i64);

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per client and class, unless a class sets
    /// its own limit ([`RateLimiter::layer_with_limit`]).
    pub fn new(db: Db, clock: Clock, per_minute: u32) -> RateLimiter {
        RateLimiter {
            db,
            clock,
            per_minute,
        }
    }

    /// The layer limiting a route under `class` with the configured limit. Routes sharing a
    /// class share a budget (starting a sign-in by provider or by email, say).
    pub fn layer(&self, class: &'static str) -> RateLimitLayer {
        self.layer_with_limit(class, self.per_minute)
    }

    /// Like [`RateLimiter::layer`] with a limit of its own (a webhook sender's burst).
    pub fn layer_with_limit(&self, class: &'static str, per_minute: u32) -> RateLimitLayer {
        RateLimitLayer {
            limiter: self.clone(),
            class,
            per_minute,
        }
    }

    /// Limits for routes matched by exact path, `(path, class)`: for Leptos pages and server
    /// functions, which are mounted by Leptos and cannot take a route layer. Apply with
    /// `axum::middleware::from_fn_with_state(limiter.paths(..), limit_paths)`.
    pub fn paths(&self, routes: &[(&'static str, &'static str)]) -> PathLimits {
        PathLimits {
            limiter: self.clone(),
            routes: routes.into(),
        }
    }

    /// Counts one request; `Err` when it is over the limit. The database failing lets the
    /// request through (logged): the endpoints behind the limiter need the database too and
    /// fail on their own, and refusing every sign-in for a counter is worse.
    pub async fn check(
        &self,
        class: &str,
        per_minute: u32,
        client: Option<ClientIp>,
    ) -> Result<(), RetryAfter> {
        let now = self.clock.now().as_datetime().timestamp();
        let window_start = now - now.rem_euclid(WINDOW_SECS);
        // Only a hash is stored: addresses are personal data.
        let key = client.map_or_else(|| "unknown".to_owned(), |c| c.rate_key());
        let key = stoa_auth::hash_token(&key);
        let counted = async {
            let mut tx = self.db.begin().await?;
            let hits = stoa_db::rate_limits::hit(tx.conn(), class, &key, window_start).await?;
            tx.commit().await?;
            Ok::<_, stoa_db::DbError>(hits)
        };
        match counted.await {
            Ok(hits) if hits > i64::from(per_minute) => {
                tracing::warn!(rate_limit.class = class, "rate limit reached");
                Err(RetryAfter((window_start + WINDOW_SECS - now).max(1)))
            }
            Ok(_) => Ok(()),
            Err(err) => {
                tracing::error!(error = %stoa_db::error_chain(&err), "rate limiter cannot count; letting the request through");
                Ok(())
            }
        }
    }

    /// Deletes counters of windows that ended more than a day ago (housekeeping).
    pub async fn purge(db: &Db, clock: &Clock) -> Result<u64, stoa_db::DbError> {
        let before = clock.now().as_datetime().timestamp() - 24 * 3600;
        let mut tx = db.begin().await?;
        let n = stoa_db::rate_limits::purge(tx.conn(), before).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// The 429 answer: `Retry-After` and a page that says how long to wait.
pub fn too_many_requests(retry: RetryAfter, request_id: &str) -> Response {
    let text = format!(
        "Too many requests came from your network in a short time. Please wait {} seconds \
         and try again.",
        retry.0
    );
    let mut res = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
        &text,
        request_id,
    );
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry.0.to_string()).expect("digits are a valid header value"),
    );
    res
}

/// Rate limits by exact path (see [`RateLimiter::paths`]).
#[derive(Debug, Clone)]
pub struct PathLimits {
    limiter: RateLimiter,
    routes: std::sync::Arc<[(&'static str, &'static str)]>,
}

/// Middleware applying [`PathLimits`]: a listed path over its class's limit gets 429 and
/// runs nothing.
pub async fn limit_paths(State(limits): State<PathLimits>, req: Request, next: Next) -> Response {
    let class = limits
        .routes
        .iter()
        .find(|(path, _)| *path == req.uri().path())
        .map(|(_, class)| *class);
    if let Some(class) = class {
        let client = req.extensions().get::<ClientIp>().copied();
        let per_minute = limits.limiter.per_minute;
        if let Err(retry) = limits.limiter.check(class, per_minute, client).await {
            let id = req
                .extensions()
                .get::<RequestId>()
                .map_or("-", |r| r.0.as_str());
            return too_many_requests(retry, id);
        }
    }
    next.run(req).await
}

/// Limits the wrapped route (see [`RateLimiter::layer`]).
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limiter: RateLimiter,
    class: &'static str,
    per_minute: u32,
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimited {
            inner,
            limit: self.clone(),
        }
    }
}

/// A route behind the limiter: over the limit it answers 429 and the route does not run.
#[derive(Debug, Clone)]
pub struct RateLimited<S> {
    inner: S,
    limit: RateLimitLayer,
}

impl<S> Service<Request> for RateLimited<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The clone that was polled ready serves this request (tower's usual dance).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let limit = self.limit.clone();
        Box::pin(async move {
            let client = req.extensions().get::<ClientIp>().copied();
            if let Err(retry) = limit
                .limiter
                .check(limit.class, limit.per_minute, client)
                .await
            {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .map_or("-", |r| r.0.as_str());
                return Ok(too_many_requests(retry, id));
            }
            inner.call(req).await
        })
    }
}
