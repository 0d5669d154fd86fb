//! The benchmark baseline: serves one file's bytes for every GET with the same stack as
//! Stoa (tokio, hyper, axum, TCP_NODELAY) and nothing else. `bench/run.sh` feeds it the
//! bytes of Stoa's rendered home page, so the difference is the cost of rendering.
//!
//! Usage: `static_bytes FILE ADDR`

use axum::Router;
use axum::http::header;
use axum::serve::ListenerExt as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(addr)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: static_bytes FILE ADDR");
    };
    let bytes: &'static [u8] = Vec::leak(std::fs::read(&file)?);
    let app = Router::new().fallback(move || async move {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes)
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
