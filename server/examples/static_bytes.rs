//! The benchmark baseline: serves fixed bytes with the same stack as Stoa (tokio, hyper,
//! axum, TCP_NODELAY) and nothing else. `bench/run.sh` feeds it the bytes of each page Stoa
//! rendered, so the difference is the cost of middleware, rendering and database.
//!
//! Usage: `static_bytes FILE ADDR` (those bytes for every GET) or `static_bytes DIR ADDR`
//! (`GET /name` answers `DIR/name`; the files are read once, at start).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::serve::ListenerExt as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(addr)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: static_bytes FILE|DIR ADDR");
    };
    let app = if std::fs::metadata(&path)?.is_dir() {
        let mut pages = HashMap::new();
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            if let Ok(name) = entry.file_name().into_string() {
                pages.insert(
                    format!("/{name}"),
                    Bytes::from(std::fs::read(entry.path())?),
                );
            }
        }
        let pages = Arc::new(pages);
        Router::new().fallback(move |req: Request| {
            let pages = Arc::clone(&pages);
            async move {
                match pages.get(req.uri().path()) {
                    Some(bytes) => (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        bytes.clone(),
                    )
                        .into_response(),
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
        })
    } else {
        let bytes = Bytes::from(std::fs::read(&path)?);
        Router::new().fallback(move || {
            let bytes = bytes.clone();
            async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes) }
        })
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
