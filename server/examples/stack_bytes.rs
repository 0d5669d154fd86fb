//! The benchmark's middle line: fixed bytes served through Stoa's full HTTP stack. It builds
//! `stoa_server`'s real router (request id, security headers and CSP nonce, request log,
//! panic and timeout layers, client address, rate limits, CSRF, body limits, session,
//! current user, compression) from the same configuration as `stoa serve` (environment or
//! `stoa.toml`), plus one route, `GET /__bench/{name}`, answering the bytes of `DIR/name`
//! as a page. The gap to `static_bytes` is the middleware (with a session cookie: also the
//! session load and current-user lookup); the gap from here to the page is render and
//! database. `bench/run.sh` feeds it each benchmarked page.
//!
//! Usage: `stack_bytes DIR` (listens on `STOA_LISTEN`). Not part of the `stoa` binary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use stoa_db::Clock;
use stoa_server::config::{Loaded, Settings};
use stoa_server::rate_limit::RateLimiter;
use stoa_server::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(dir) = std::env::args().nth(1) else {
        anyhow::bail!("usage: stack_bytes DIR");
    };
    let mut pages = HashMap::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        if let Ok(name) = entry.file_name().into_string() {
            pages.insert(name, axum::body::Bytes::from(std::fs::read(entry.path())?));
        }
    }
    let pages = Arc::new(pages);
    let Loaded { settings, .. } =
        Settings::load(None).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    stoa_server::telemetry::init(
        settings.log_format,
        &settings.log_filter,
        false,
        std::io::stderr,
    );
    let db = startup::connect(&settings).await?;
    db.migrate().await?;
    let clock = Clock::default();
    let auth = startup::build_auth(&settings, db.clone(), clock.clone())?;
    let limiter = RateLimiter::new(db.clone(), clock, settings.rate_limit_per_minute);
    let extra = Router::new().route(
        "/__bench/{name}",
        get(move |Path(name): Path<String>| {
            let pages = Arc::clone(&pages);
            async move {
                match pages.get(&name) {
                    Some(bytes) => (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        bytes.clone(),
                    )
                        .into_response(),
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
        }),
    );
    let router = startup::router_with(
        &settings,
        db,
        auth,
        limiter,
        extra,
        None,
        stoa_domain::provisioning::Queueing::default(),
    )?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
