//! The compiled site's files: `/pkg/*` (script, WebAssembly, stylesheet) and the public
//! files at the root (favicon). Served outside the session, current-user and compression
//! layers (see `startup::router`): a file needs none of them, and each of them cost a
//! database query or CPU per request.
//!
//! `make site` names the script, WebAssembly and stylesheet after their content
//! (`stoa.<hash>.wasm`), lists the hashes in `<site_root>/hash.txt` (the format Leptos'
//! `HydrationScripts` and `HashedStylesheet` read) and writes brotli and gzip copies next to
//! each (`scripts/site-assets.mjs`). A hashed name never changes content, so browsers keep it
//! a year without asking again; a new build has new names, and an old or unknown name is a
//! 404, never another build's bytes. Files are sent precompressed as the client accepts;
//! nothing here compresses per request.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// `Cache-Control` of a content-hashed file: its bytes never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a public file with a fixed name (favicon): an hour, so a changed file
/// reaches everyone soon while a page view does not ask for it again.
pub const SHORT: &str = "public, max-age=3600";
/// `Cache-Control` of anything else under `/pkg` (a site built without hashes, e.g. by
/// cargo-leptos in development): always revalidate.
pub const REVALIDATE: &str = "no-cache";

/// What the server knows about the compiled site.
#[derive(Debug, Clone, Default)]
pub struct SiteAssets {
    /// The content hashes listed in `hash.txt` (empty: a site built without hashes).
    pub hashes: Vec<String>,
    /// Where the stylesheet is (`/pkg/stoa.<hash>.css`).
    pub stylesheet: String,
}

/// The hash file's name in the site root.
pub const HASH_FILE: &str = "hash.txt";

impl SiteAssets {
    /// Reads `<site_root>/hash.txt` (`js: …`, `wasm: …`, `css: …`, one a line). A missing
    /// file means a site without hashed names.
    pub fn load(site_root: &Path) -> SiteAssets {
        let text = std::fs::read_to_string(site_root.join(HASH_FILE)).unwrap_or_default();
        let mut assets = SiteAssets {
            hashes: Vec::new(),
            stylesheet: format!("/pkg/{}.css", stoa_app::OUTPUT_NAME),
        };
        for (key, hash) in text.lines().filter_map(|l| l.split_once(':')) {
            let (key, hash) = (key.trim(), hash.trim());
            if hash.is_empty() {
                continue;
            }
            if key == "css" {
                assets.stylesheet = format!("/pkg/{}.{hash}.css", stoa_app::OUTPUT_NAME);
            }
            assets.hashes.push(hash.to_owned());
        }
        assets
    }

    /// True when the site was built with hashed names.
    pub fn hashed(&self) -> bool {
        !self.hashes.is_empty()
    }

    /// The absolute path of the hash file, for `LeptosOptions::hash_file` (Leptos joins it
    /// to the executable's folder; an absolute path wins over that).
    pub fn hash_file_path(site_root: &Path) -> PathBuf {
        std::path::absolute(site_root.join(HASH_FILE)).unwrap_or_else(|_| site_root.join(HASH_FILE))
    }
}

static STYLESHEET: OnceLock<String> = OnceLock::new();

/// The stylesheet's URL for pages the server writes without the app (error pages). Set
/// once, from the first site a router is built for: one process serves one site.
pub fn stylesheet_href() -> &'static str {
    STYLESHEET
        .get()
        .map_or("/pkg/stoa.css", std::string::String::as_str)
}

/// The routes for the site's files: `/pkg/*` and each file at the top of the site root.
pub fn router(site_root: &Path) -> Router {
    let assets = SiteAssets::load(site_root);
    let _ = STYLESHEET.set(assets.stylesheet.clone());
    let hashes: Arc<HashSet<String>> = Arc::new(assets.hashes.iter().cloned().collect());
    let pkg = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(hashes, pkg_headers))
        .service(
            ServeDir::new(site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    let mut router = Router::new().nest_service("/pkg", pkg);
    for (name, path) in public_files(site_root) {
        router = router.route_service(
            &format!("/{name}"),
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(SHORT),
                ))
                .service(ServeFile::new(path)),
        );
    }
    router
}

/// Files directly in the site root (`make site` copies `public/` there), except the hash
/// list. Names that would not be a plain route segment are left to the app's fallback.
fn public_files(site_root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(site_root) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, _)| {
            name != HASH_FILE
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
        .collect();
    files.sort();
    files
}

/// Caching headers for `/pkg/*`: a year for content-hashed names, revalidation otherwise,
/// and `Vary: Accept-Encoding` because the bytes depend on what the client accepts.
async fn pkg_headers(
    State(hashes): State<Arc<HashSet<String>>>,
    req: Request,
    next: Next,
) -> Response {
    let immutable = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|name| name.split('.').any(|part| hashes.contains(part)));
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
        let headers = res.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable { IMMUTABLE } else { REVALIDATE }),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_hash_file() {
        let dir = std::env::temp_dir().join(format!("stoa-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!SiteAssets::load(&dir).hashed());
        assert_eq!(SiteAssets::load(&dir).stylesheet, "/pkg/stoa.css");
        std::fs::write(dir.join(HASH_FILE), "js: aaaa\nwasm: bbbb\ncss: cccc\n").unwrap();
        let assets = SiteAssets::load(&dir);
        assert_eq!(assets.hashes, ["aaaa", "bbbb", "cccc"]);
        assert_eq!(assets.stylesheet, "/pkg/stoa.cccc.css");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
