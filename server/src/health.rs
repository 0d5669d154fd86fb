//! `/healthz` (the process answers) and `/readyz` (it can do its work: the database answers
//! and has exactly the schema this binary expects). Load balancers route on `/readyz`;
//! supervisors restart on `/healthz`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use stoa_db::Db;

/// How long the readiness check waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Always 200 while the process serves requests.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response()
}

/// 200 when the database answers and its migrations match this binary; 503 otherwise.
/// Takes only the store (`State<Db>`, through the app state's `FromRef`), so this module
/// does not depend on the router that mounts it.
pub async fn readyz(State(db): State<Db>) -> Response {
    let backend = db.backend();
    let check = async {
        db.ping().await?;
        db.migration_status().await
    };
    let (status, body) = match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(migrations)) if migrations.is_current() => (
            StatusCode::OK,
            json!({ "status": "ready", "database": { "backend": backend, "reachable": true, "migrations": migrations } }),
        ),
        Ok(Ok(migrations)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "not_ready", "reason": "migrations are not current",
                    "database": { "backend": backend, "reachable": true, "migrations": migrations } }),
        ),
        Ok(Err(err)) => {
            tracing::warn!(error = %stoa_db::error_chain(&err), "readiness check: database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "not_ready", "reason": "database unreachable",
                        "database": { "backend": backend, "reachable": false } }),
            )
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = READY_TIMEOUT.as_millis() as u64,
                "readiness check: database timed out"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "not_ready", "reason": "database timed out",
                        "database": { "backend": backend, "reachable": false } }),
            )
        }
    };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}
