//! Rendered pages for anonymous visitors, kept in memory and served again while the data
//! behind them is unchanged.
//!
//! - What: `GET`/`HEAD` of the pages in [`cacheable`] (an allowlist), for requests that carry
//!   no cookie and no credentials, answered `200` without `Set-Cookie`. A request with any
//!   cookie is rendered as before and never stored: a session cookie may belong to a
//!   signed-in person (knowing would cost the session load this cache exists to skip), and
//!   other cookies (a form's flash message) change the page. An anonymous visitor holding an
//!   old session cookie only misses the cache.
//! - Fresh: migration 0007 keeps a version that triggers bump in the transaction of every
//!   change to a table these pages show. Each request reads it from the database before it
//!   may be answered from memory ([`Versions`]), so a change committed by any process is on
//!   the next page served, here or in any other Stoa on the same database. Concurrent
//!   requests share one read: a request waits for the first read that *starts* after it
//!   arrived, so the cost of reading does not grow with the request rate.
//! - Nonce: the page is rendered once with a random sentinel as its CSP nonce; the body is
//!   kept cut at each occurrence, and every copy served gets this response's own nonce
//!   (the one `middleware::response_policy` puts in the CSP header) spliced in.
//! - Bounded: at most [`MAX_ENTRIES`] pages and [`MAX_BYTES`] in all; the least recently used
//!   go first. Concurrent misses of one page wait for a single render.
//!
//! The layer sits outside the session and current-user layers (a hit does no session or
//! database work besides the version read) and inside `response_policy`, which gives the
//! request its nonce and puts the headers every response carries on hits too.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use rand::RngCore as _;
use stoa_db::Db;
use stoa_db::page_versions::VersionReader;
use tokio::sync::Notify;

use crate::middleware::{CspNonce, marked_error};

/// Most pages kept.
pub const MAX_ENTRIES: usize = 2_000;
/// Most bytes kept, bodies and headers.
pub const MAX_BYTES: usize = 64 << 20;
/// A larger page is rendered every time.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
/// Longest query string cached (directory searches); longer ones are rendered every time.
const MAX_QUERY_BYTES: usize = 256;

/// Whether the page at `path?query` may be served from the cache: pages whose anonymous
/// version depends only on the URL and on the tables migration 0007 watches (communities
/// and their logos). Adding a page here means adding triggers for every table it reads.
pub fn cacheable(path: &str, query: Option<&str>) -> bool {
    match path {
        "/" => query.is_none(),
        // Search text and page number are in the query, which is part of the key.
        "/communities" => query.is_none_or(|q| q.len() <= MAX_QUERY_BYTES),
        _ => {
            query.is_none()
                && path.strip_prefix("/communities/").is_some_and(|slug| {
                    // One path segment that is a community's name (not `new`, a reserved
                    // slug, nor a tab below a community, which are not public).
                    stoa_model::Slug::parse(slug).is_ok_and(|s| s.as_str() == slug)
                })
        }
    }
}

/// The layer; one per application (its cache is shared by every clone).
#[derive(Clone)]
pub struct PageCacheLayer {
    cache: Arc<PageCache>,
}

impl PageCacheLayer {
    /// A cache whose pages are checked against the page version in `db`.
    pub fn new(db: Db) -> PageCacheLayer {
        PageCacheLayer {
            cache: Arc::new(PageCache {
                versions: Versions::new(db),
                store: Mutex::new(Store::default()),
                flights: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl<S> tower::Layer<S> for PageCacheLayer {
    type Service = PageCacheService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PageCacheService {
            inner,
            cache: std::sync::Arc::clone(&self.cache),
        }
    }
}

/// The service [`PageCacheLayer`] wraps around the application.
#[derive(Clone)]
pub struct PageCacheService<S> {
    inner: S,
    cache: Arc<PageCache>,
}

impl<S> tower::Service<Request<Body>> for PageCacheService<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The service that was polled ready serves this request; the clone waits for the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let cache = std::sync::Arc::clone(&self.cache);
        Box::pin(async move { Ok(cache.handle(inner, req).await) })
    }
}

struct PageCache {
    versions: Versions,
    store: Mutex<Store>,
    /// Renders in progress, by key: later requests for the same page wait for them.
    flights: Mutex<HashMap<String, Arc<Flight>>>,
}

/// A rendered page: its headers, and its body cut where the nonce goes.
struct Entry {
    version: i64,
    headers: HeaderMap,
    /// The body between nonces: `parts[0] nonce parts[1] nonce … parts[n]`.
    parts: Vec<Bytes>,
    /// Bytes held (bodies, headers, key), for the bound.
    size: usize,
    last_used: AtomicU64,
}

impl Entry {
    fn body_len(&self, nonce: &str) -> usize {
        self.parts.iter().map(Bytes::len).sum::<usize>()
            + nonce.len() * self.parts.len().saturating_sub(1)
    }

    fn body(&self, nonce: &str) -> Bytes {
        let mut body = Vec::with_capacity(self.body_len(nonce));
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(part);
        }
        body.into()
    }

    fn response(&self, nonce: &str, head: bool) -> Response<Body> {
        let body = if head {
            Body::empty()
        } else {
            Body::from(self.body(nonce))
        };
        let mut res = Response::new(body);
        *res.headers_mut() = self.headers.clone();
        if head {
            res.headers_mut().insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(self.body_len(nonce)),
            );
        }
        res
    }
}

/// The pages kept, all rendered under the newest version seen.
#[derive(Default)]
struct Store {
    /// The newest version read (its read number and value); pages of another are dropped.
    seen: Option<Seen>,
    entries: HashMap<String, Arc<Entry>>,
    bytes: usize,
    tick: u64,
}

impl Store {
    /// Notes the version a request read; a newer read of a different value empties the
    /// store. Reads finish in order, so an older read (a request that was slow to get
    /// here) changes nothing.
    fn observe(&mut self, seen: Seen) {
        match self.seen {
            Some(s) if s.read >= seen.read => {}
            Some(s) if s.version == seen.version => self.seen = Some(seen),
            _ => {
                self.entries.clear();
                self.bytes = 0;
                self.seen = Some(seen);
            }
        }
    }

    fn get(&mut self, key: &str, seen: Seen) -> Option<Arc<Entry>> {
        self.observe(seen);
        let entry = self.entries.get(key)?;
        if entry.version != seen.version {
            return None;
        }
        self.tick += 1;
        entry.last_used.store(self.tick, Ordering::Relaxed);
        Some(std::sync::Arc::clone(entry))
    }

    fn insert(&mut self, key: String, entry: Arc<Entry>) {
        // Rendered under a version that is no longer the newest: already stale.
        if self.seen.map(|s| s.version) != Some(entry.version) {
            return;
        }
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.size;
        }
        while !self.entries.is_empty()
            && (self.entries.len() >= MAX_ENTRIES || self.bytes + entry.size > MAX_BYTES)
        {
            self.evict_least_recently_used();
        }
        self.tick += 1;
        entry.last_used.store(self.tick, Ordering::Relaxed);
        self.bytes += entry.size;
        self.entries.insert(key, entry);
    }

    /// A scan, on inserts only, when full: a miss costs a render, far more than this.
    fn evict_least_recently_used(&mut self) {
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
            .map(|(k, _)| k.clone());
        if let Some(key) = oldest
            && let Some(old) = self.entries.remove(&key)
        {
            self.bytes -= old.size;
        }
    }
}

/// One render that concurrent misses of the same page wait for.
struct Flight {
    version: i64,
    /// The page, or `None` when it could not be kept (then each waiter renders its own).
    result: OnceLock<Option<Arc<Entry>>>,
    done: Notify,
}

/// Ends a [`Flight`] however the render ends, cancelled included, so no waiter waits forever.
struct Landing<'a> {
    cache: &'a PageCache,
    key: &'a str,
    flight: Arc<Flight>,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let _ = self.flight.result.set(None);
        let mut flights = lock(&self.cache.flights);
        if flights
            .get(self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            flights.remove(self.key);
        }
        drop(flights);
        self.flight.done.notify_waiters();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here panics while holding a lock; if something did, the data is still whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PageCache {
    async fn handle<S>(&self, mut inner: S, req: Request<Body>) -> Response<Body>
    where
        S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    {
        // No nonce means `response_policy` is not outside this layer: render as without it.
        let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
        let (Some(key), Some(nonce)) = (key_of(&req), nonce) else {
            return call(&mut inner, req).await;
        };
        // Without a version, freshness cannot be shown: render, as without a cache.
        let Some(seen) = self.versions.current().await else {
            return call(&mut inner, req).await;
        };
        let head = req.method() == Method::HEAD;
        let hit = lock(&self.store).get(&key, seen);
        if let Some(entry) = hit {
            tracing::debug!(page_cache = "hit", "page served from the cache");
            return entry.response(&nonce, head);
        }
        if head {
            // The router answers HEAD without a body: nothing to keep.
            return call(&mut inner, req).await;
        }
        let flight = {
            let mut flights = lock(&self.flights);
            match flights.get(&key) {
                Some(f) if f.version == seen.version => Err(std::sync::Arc::clone(f)),
                _ => {
                    let f = Arc::new(Flight {
                        version: seen.version,
                        result: OnceLock::new(),
                        done: Notify::new(),
                    });
                    flights.insert(key.clone(), std::sync::Arc::clone(&f));
                    Ok(f)
                }
            }
        };
        match flight {
            Ok(flight) => {
                let landing = Landing {
                    cache: self,
                    key: &key,
                    flight,
                };
                let (res, entry) = render(&mut inner, req, &nonce, seen.version).await;
                if let Some(entry) = &entry {
                    lock(&self.store).insert(key.clone(), std::sync::Arc::clone(entry));
                }
                let _ = landing.flight.result.set(entry);
                tracing::debug!(page_cache = "miss", "page rendered");
                res
            }
            Err(flight) => {
                let done = flight.done.notified();
                tokio::pin!(done);
                done.as_mut().enable();
                if flight.result.get().is_none() {
                    done.await;
                }
                match flight.result.get() {
                    Some(Some(entry)) => {
                        tracing::debug!(page_cache = "hit", "page served from a shared render");
                        entry.response(&nonce, false)
                    }
                    _ => call(&mut inner, req).await,
                }
            }
        }
    }
}

/// The cache key (path and query as sent), when the request may be answered from the cache.
fn key_of(req: &Request<Body>) -> Option<String> {
    if !matches!(*req.method(), Method::GET | Method::HEAD)
        || req.headers().contains_key(header::COOKIE)
        || req.headers().contains_key(header::AUTHORIZATION)
    {
        return None;
    }
    let uri = req.uri();
    cacheable(uri.path(), uri.query()).then(|| {
        uri.path_and_query()
            .map_or(uri.path(), |pq| pq.as_str())
            .to_owned()
    })
}

async fn call<S>(inner: &mut S, req: Request<Body>) -> Response<Body>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    match inner.call(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// Renders the page with a sentinel nonce; returns the response with `nonce` in its place,
/// and the entry to keep when the response may be kept.
async fn render<S>(
    inner: &mut S,
    mut req: Request<Body>,
    nonce: &str,
    version: i64,
) -> (Response<Body>, Option<Arc<Entry>>)
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    let sentinel = sentinel();
    req.extensions_mut().insert(CspNonce(sentinel.clone()));
    let (mut head, body) = call(inner, req).await.into_parts();
    // The pages are rendered whole before their first byte (`SsrMode::Async`), so reading
    // the body to the end adds no wait.
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            tracing::error!(error = %err, "cannot read a rendered page");
            return (marked_error(StatusCode::INTERNAL_SERVER_ERROR), None);
        }
    };
    let parts = split(&body, sentinel.as_bytes());
    let mut in_headers = false;
    for value in head.headers.values_mut() {
        if let Ok(text) = value.to_str()
            && text.contains(&sentinel)
            && let Ok(fixed) = HeaderValue::from_str(&text.replace(&sentinel, nonce))
        {
            *value = fixed;
            in_headers = true;
        }
    }
    head.headers.remove(header::CONTENT_LENGTH);
    let is_html = head
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let keep = head.status == StatusCode::OK
        && is_html
        && !in_headers
        && !head.headers.contains_key(header::SET_COOKIE)
        && body.len() <= MAX_ENTRY_BYTES;
    let entry = keep.then(|| {
        let size = body.len()
            + head
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>()
            + 256;
        Arc::new(Entry {
            version,
            headers: head.headers.clone(),
            parts: parts.clone(),
            size,
            last_used: AtomicU64::new(0),
        })
    });
    let served = Entry {
        version,
        headers: HeaderMap::new(),
        parts,
        size: 0,
        last_used: AtomicU64::new(0),
    }
    .body(nonce);
    (Response::from_parts(head, Body::from(served)), entry)
}

/// `body` cut at each occurrence of `sentinel` (which is left out).
fn split(body: &Bytes, sentinel: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(body, sentinel) {
        parts.push(body.slice(start..at));
        start = at + sentinel.len();
    }
    parts.push(body.slice(start..));
    parts
}

/// A stand-in nonce for a render that will be cached: random like a nonce (so nothing in
/// the page can contain it by chance or by design) and of the same alphabet.
fn sentinel() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A version read: its number (reads are numbered in the order they start) and value.
#[derive(Debug, Clone, Copy)]
struct Seen {
    read: u64,
    version: i64,
}

/// The page version, read from the database for each request, one read shared by every
/// request that arrived before it started.
struct Versions {
    reader: tokio::sync::Mutex<VersionReader>,
    state: Mutex<ReadState>,
    done: Notify,
}

#[derive(Default)]
struct ReadState {
    /// Number of the last read started.
    started: u64,
    in_flight: bool,
    /// The last read finished: its number and result.
    finished: u64,
    result: Option<Seen>,
    /// The last read failed (logged once, not for every request).
    failing: bool,
}

/// Clears `in_flight` if the request reading is cancelled, so another takes over.
struct Reading<'a>(&'a Versions);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).in_flight = false;
        self.0.done.notify_waiters();
    }
}

impl Versions {
    fn new(db: Db) -> Versions {
        Versions {
            reader: tokio::sync::Mutex::new(VersionReader::new(db)),
            state: Mutex::new(ReadState::default()),
            done: Notify::new(),
        }
    }

    /// The version as of a read that started after this call: every change committed
    /// before the request arrived is counted. `None` when it cannot be read.
    async fn current(&self) -> Option<Seen> {
        let need = lock(&self.state).started + 1;
        loop {
            let done = self.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            let read = {
                let mut state = lock(&self.state);
                if state.finished >= need {
                    return state.result;
                }
                if state.in_flight {
                    None
                } else {
                    state.in_flight = true;
                    state.started += 1;
                    Some(state.started)
                }
            };
            let Some(read) = read else {
                done.await;
                continue;
            };
            let reading = Reading(self);
            let result = self.reader.lock().await.read().await;
            let mut state = lock(&self.state);
            let seen = match result {
                Ok(version) => {
                    if state.failing {
                        tracing::info!("the page version can be read again; page cache on");
                        state.failing = false;
                    }
                    Some(Seen { read, version })
                }
                Err(err) => {
                    if !state.failing {
                        tracing::warn!(error = %stoa_db::error_chain(&err), "cannot read the page version; pages are rendered without the cache until it can");
                        state.failing = true;
                    }
                    None
                }
            };
            state.finished = read;
            state.result = seen;
            drop(state);
            drop(reading);
            return seen;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_public_pages_are_cacheable() {
        assert!(cacheable("/", None));
        assert!(cacheable("/communities", None));
        assert!(cacheable("/communities", Some("q=physics&page=2")));
        assert!(cacheable("/communities/ocean-lab", None));
        assert!(!cacheable("/", Some("x=1")));
        assert!(!cacheable("/communities", Some(&"q".repeat(300))));
        assert!(!cacheable("/communities/new", None));
        assert!(!cacheable("/communities/ocean-lab/members", None));
        assert!(!cacheable("/communities/ocean-lab", Some("x=1")));
        assert!(!cacheable("/communities/Ocean%20Lab", None));
        assert!(!cacheable("/communities/", None));
        assert!(!cacheable("/dashboard", None));
        assert!(!cacheable("/signin", None));
        assert!(!cacheable("/api/communities/list", None));
    }

    #[test]
    fn pages_are_cut_at_every_sentinel() {
        let body = Bytes::from_static(b"a<script nonce=\"S\">x</script><s nonce=\"S\">S");
        let parts = split(&body, b"S");
        let entry = Entry {
            version: 1,
            headers: HeaderMap::new(),
            parts,
            size: 0,
            last_used: AtomicU64::new(0),
        };
        assert_eq!(
            entry.body("nonce-1"),
            Bytes::from_static(
                b"a<script nonce=\"nonce-1\">x</script><s nonce=\"nonce-1\">nonce-1"
            )
        );
        assert_eq!(entry.body_len("nonce-1"), entry.body("nonce-1").len());
    }

    fn entry(version: i64, size: usize) -> Arc<Entry> {
        Arc::new(Entry {
            version,
            headers: HeaderMap::new(),
            parts: vec![Bytes::new()],
            size,
            last_used: AtomicU64::new(0),
        })
    }

    #[test]
    fn a_new_version_empties_the_store_and_an_older_read_changes_nothing() {
        let mut store = Store::default();
        let v1 = Seen {
            read: 1,
            version: 10,
        };
        store.observe(v1);
        store.insert("/".into(), entry(10, 100));
        assert!(store.get("/", v1).is_some());
        let v2 = Seen {
            read: 2,
            version: 11,
        };
        assert!(store.get("/", v2).is_none(), "stale after a change");
        assert_eq!(store.bytes, 0);
        // A slow request that read the old version neither brings it back nor clears.
        store.insert("/".into(), entry(10, 100));
        assert!(store.get("/", v1).is_none());
        store.insert("/".into(), entry(11, 100));
        assert!(store.get("/", v1).is_none());
        assert!(store.get("/", v2).is_some());
        let v3 = Seen {
            read: 3,
            version: 11,
        };
        assert!(store.get("/", v3).is_some(), "the same version, read again");
    }

    #[test]
    fn the_store_stays_within_its_bounds_dropping_the_least_recently_used() {
        let mut store = Store::default();
        let seen = Seen {
            read: 1,
            version: 1,
        };
        store.observe(seen);
        let big = MAX_BYTES / 4;
        for key in ["a", "b", "c"] {
            store.insert(key.into(), entry(1, big));
        }
        assert!(store.get("a", seen).is_some());
        store.insert("d".into(), entry(1, big));
        store.insert("e".into(), entry(1, big));
        assert!(store.bytes <= MAX_BYTES);
        assert!(store.get("b", seen).is_none(), "least recently used");
        assert!(store.get("a", seen).is_some(), "used recently");
        for i in 0..MAX_ENTRIES + 10 {
            store.insert(format!("/{i}"), entry(1, 1));
        }
        assert!(store.entries.len() <= MAX_ENTRIES);
    }
}
