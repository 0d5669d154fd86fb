//! Building the HTTP application and running it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use leptos::prelude::*;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use secrecy::ExposeSecret;
use secrecy::SecretString;
use stoa_app::{App, shell};
use stoa_auth::{Auth, AuthSettings, Mailer, ProviderConfig, SecretBox};
use stoa_db::{Clock, Db, PoolSettings};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::auth::csrf::CsrfConfig;
use crate::client_ip::ProxyConfig;
use crate::config::Settings;
use crate::health;
use crate::middleware::{
    CspNonce, PolicyConfig, REQUEST_ID_HEADER, RequestId, drop_client_request_id, panic_response,
    response_policy, static_header_layers,
};
use crate::rate_limit::RateLimiter;

/// What handlers can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos site options (paths of the compiled site).
    pub leptos_options: LeptosOptions,
    /// The store.
    pub db: Db,
    /// Sign-in.
    pub auth: Auth,
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    clock: Clock,
    worker: crate::worker::Worker,
    run_jobs: bool,
    job_workers: usize,
    shutdown_timeout: Duration,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds `settings.listen`.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] on a listener the caller bound (tests bind port 0).
    pub async fn build_with_listener(
        settings: &Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, listener, Clock::default()).await
    }

    /// Like [`Application::build_with_listener`] with a clock the caller controls (tests).
    pub async fn build_with_clock(
        settings: &Settings,
        listener: TcpListener,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let db = connect(settings).await?;
        db.migrate()
            .await
            .context("cannot apply database migrations")?;
        let auth = build_auth(settings, db.clone(), clock.clone())?;
        let provider =
            stoa_domain::hub_login::Provider::new(&settings.public_url, secret_box(settings)?);
        let wake = stoa_db::jobs::Wake::default();
        let backend = provisioner(settings);
        let queueing = stoa_domain::provisioning::Queueing {
            runner: backend.runner(),
            wake: wake.clone(),
        };
        let worker = worker(
            settings,
            db.clone(),
            clock.clone(),
            auth.mailer().clone(),
            backend,
            std::sync::Arc::new(provider.clone()),
            wake,
        );
        let limiter = RateLimiter::new(db.clone(), clock.clone(), settings.rate_limit_per_minute);
        let router = router_with(
            settings,
            db.clone(),
            auth,
            limiter,
            Router::new(),
            Some((provider, clock.clone())),
            queueing,
        )?;
        Ok(Self {
            listener,
            router,
            db,
            clock,
            worker,
            run_jobs: settings.run_jobs,
            job_workers: settings.job_workers,
            shutdown_timeout: Duration::from_secs(settings.shutdown_timeout_secs),
        })
    }
}

/// The provisioning backend chosen in `[hubs]`.
pub fn provisioner(settings: &Settings) -> std::sync::Arc<dyn stoa_provision::Provisioner> {
    match settings.hubs.backend {
        stoa_domain::hubs::BackendChoice::Local => std::sync::Arc::new(
            stoa_provision::local::LocalBackend::new(settings.hubs.local.clone()),
        ),
    }
}

/// The background worker of a process (tests run its passes directly).
pub fn worker(
    settings: &Settings,
    db: Db,
    clock: Clock,
    mailer: Mailer,
    backend: std::sync::Arc<dyn stoa_provision::Provisioner>,
    login: std::sync::Arc<dyn stoa_domain::provisioning::LoginSource>,
    wake: stoa_db::jobs::Wake,
) -> crate::worker::Worker {
    let hubs = crate::worker::Hubs {
        backend,
        sizes: settings.hubs.sizes.clone().into(),
        login,
    };
    crate::worker::Worker::new(
        db,
        clock,
        mailer,
        &settings.public_url,
        hubs,
        Duration::from_secs(settings.job_lease_secs.max(3)),
        wake,
        Duration::from_secs(60 * u64::from(settings.hubs.sync_minutes.max(1))),
    )
    .with_billing(settings.billing.clone())
    .with_stripe(stripe_client(settings).ok().flatten())
    .with_support(std::sync::Arc::new(support_desk(settings)))
}

/// The support desk of `settings` (checked when they were loaded; a mistake found here
/// falls back to the defaults, with an error logged, rather than stopping a running Stoa).
pub fn support_desk(settings: &Settings) -> stoa_domain::support::Desk {
    use stoa_domain::support::{Desk, SupportConfig};
    Desk::new(settings.support.clone(), &settings.billing).unwrap_or_else(|problems| {
        tracing::error!(
            ?problems,
            "the [support] settings are not valid; using the defaults"
        );
        Desk::new(
            SupportConfig::default(),
            &stoa_domain::billing::BillingConfig::default(),
        )
        .expect("the default support settings suit the default plans")
    })
}

/// The Stripe API client, when a key is configured.
pub fn stripe_client(settings: &Settings) -> anyhow::Result<Option<stoa_stripe::Client>> {
    settings
        .stripe_secret_key
        .as_ref()
        .map(|key| {
            stoa_stripe::Client::new(&settings.stripe_api_url, key.clone())
                .map_err(|e| anyhow::anyhow!("cannot set up the Stripe client: {e}"))
        })
        .transpose()
}

impl Application {
    /// The clock the application decides expiry with.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// The background worker (tests run its passes directly).
    pub fn worker(&self) -> crate::worker::Worker {
        self.worker.clone()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (up to the
    /// configured timeout) and closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing in-flight requests");
            let _ = draining_tx.send(());
        };
        // Streamed pages go out as several small writes; without TCP_NODELAY, Nagle's
        // algorithm and delayed ACKs add ~40 ms to each (../shared/notes/toolchain.md §6).
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let housekeeping = tokio::spawn(housekeeping(self.db.clone(), self.clock.clone()));
        // Several workers: changes of different hubs run side by side (one hub's run one at
        // a time, by its queue); the first also schedules the hub checks.
        let workers: Vec<_> = if self.run_jobs {
            (0..self.job_workers.max(1))
                .map(|i| {
                    let worker = if i == 0 {
                        self.worker.clone()
                    } else {
                        self.worker.sibling()
                    };
                    tokio::spawn(worker.run())
                })
                .collect()
        } else {
            Vec::new()
        };
        if !self.run_jobs {
            tracing::info!("background jobs are off in this process (run_jobs = false)");
        }
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(listener, service).with_graceful_shutdown(signal);
        let grace = self.shutdown_timeout;
        tokio::select! {
            result = server.into_future() => result.context("server failed")?,
            () = async {
                match draining_rx.await {
                    Ok(()) => tokio::time::sleep(grace).await,
                    Err(_) => std::future::pending().await,
                }
            } => tracing::warn!(timeout_secs = grace.as_secs(), "in-flight requests did not finish in time; stopping anyway"),
        }
        housekeeping.abort();
        // A job cut off here was claimed with a lease; the next worker retries it.
        for worker in workers {
            worker.abort();
        }
        self.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Builds the sign-in service from the settings.
pub fn build_auth(settings: &Settings, db: Db, clock: Clock) -> anyhow::Result<Auth> {
    let mailer =
        Mailer::new(settings.smtp_url.as_ref(), &settings.mail_from).map_err(anyhow::Error::msg)?;
    let providers = settings
        .oidc_providers
        .iter()
        .map(|p| ProviderConfig {
            id: p.id.clone(),
            display_name: p.display_name.clone(),
            issuer_url: p.issuer_url.clone(),
            client_id: p.client_id.clone(),
            client_secret: p
                .client_secret
                .clone()
                .unwrap_or_else(|| SecretString::from("")),
            scopes: p.scopes.clone(),
            trust_email: p.trust_email,
        })
        .collect();
    let auth_settings = AuthSettings {
        public_url: settings.public_url.clone(),
        session_absolute: chrono::TimeDelta::hours(
            i64::try_from(settings.session_absolute_timeout_hours).unwrap_or(i64::MAX / 3600),
        ),
        session_idle: chrono::TimeDelta::minutes(
            i64::try_from(settings.session_idle_timeout_mins).unwrap_or(i64::MAX / 60),
        ),
        oidc_metadata_ttl: Duration::from_secs(settings.oidc_metadata_ttl_secs),
    };
    Auth::new(db, clock, mailer, providers, auth_settings)
        .map_err(|e| anyhow::anyhow!("sign-in: {}", e.log_detail()))
}

/// Periodic clean-up: expired sessions, sign-in attempts and links. Every process runs it;
/// the deletes are idempotent, so replicas doing it too is harmless.
async fn housekeeping(db: Db, clock: Clock) {
    let store = crate::auth::session::Store::new(&db);
    // First run one period after start, not at start: a fresh process (or a test) should not
    // race its own clean-up against migrations.
    let period = Duration::from_secs(15 * 60);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        if let Err(err) =
            tower_sessions::session_store::ExpiredDeletion::delete_expired(&store).await
        {
            tracing::warn!(error = %err, "cannot delete expired sessions");
        }
        let purged = async {
            let mut tx = db.begin().await?;
            let now = clock.now();
            let n = stoa_db::auth::purge_expired(tx.conn(), now).await?
                + stoa_db::hub_login::purge_expired(tx.conn(), now).await?;
            stoa_db::jobs::purge_failed(tx.conn(), now - chrono::TimeDelta::days(30)).await?;
            // Yesterday's mail counts still matter (a job queued late yesterday may refund);
            // older ones never do.
            let day = stoa_domain::date_of(now - chrono::TimeDelta::days(2));
            stoa_db::mail_counts::purge_before(tx.conn(), &day).await?;
            tx.commit().await?;
            Ok::<_, stoa_db::DbError>(n)
        };
        if let Err(err) = purged.await {
            tracing::warn!(error = %stoa_db::error_chain(&err), "cannot purge expired sign-in state");
        }
        if let Err(err) = RateLimiter::purge(&db, &clock).await {
            tracing::warn!(error = %stoa_db::error_chain(&err), "cannot purge old rate-limit counters");
        }
    }
}

/// Opens the database named by the settings.
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let pool = PoolSettings {
        max_connections: settings.database_max_connections,
        ..PoolSettings::default()
    };
    Db::connect(settings.database_url.expose_secret(), &pool)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                settings.database_url_redacted()
            )
        })
}

/// Leptos options built in code, so the binary runs without cargo-leptos' environment;
/// under `cargo leptos watch|serve` its `LEPTOS_*` variables win.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some()
        && let Ok(conf) = leptos::config::get_configuration(None)
    {
        return conf.leptos_options;
    }
    // A site built by `make site` has content-hashed names listed in `hash.txt`; the shell's
    // HydrationScripts and HashedStylesheet read it (see `assets`).
    let hashed = crate::assets::SiteAssets::load(&settings.site_root).hashed();
    LeptosOptions::builder()
        .output_name(stoa_app::OUTPUT_NAME)
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen)
        .hash_files(hashed)
        .hash_file(std::sync::Arc::from(
            crate::assets::SiteAssets::hash_file_path(&settings.site_root).to_string_lossy(),
        ))
        .build()
}

/// The app's routes, generated once per process and reused by every router built after.
///
/// Generating them renders the app once with resource loading switched off through a
/// process-wide flag (leptos_server's `SuppressResourceLoad`, set by leptos_router's
/// `RouteList::generate`). A resource whose future another server in the same process
/// polls for the first time meanwhile never loads (leptos issue #4773), so that render
/// waited for the request timeout. One server per process never overlaps the two; the test
/// suite builds a server per test beside running ones (`server/tests/api/parallel.rs`).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP application.
pub fn router(
    settings: &Settings,
    db: Db,
    auth: Auth,
    limiter: RateLimiter,
) -> anyhow::Result<Router> {
    router_with(
        settings,
        db,
        auth,
        limiter,
        Router::new(),
        None,
        stoa_domain::provisioning::Queueing::default(),
    )
}

/// Name of the key file made beside an embedded SQLite database when `secret_key` is unset.
pub const SECRET_KEY_FILE: &str = "stoa-secret.key";

/// The key hub-login secrets are encrypted with at rest: `secret_key`; or, with the embedded
/// SQLite database and no `secret_key`, [`SECRET_KEY_FILE`] beside the database file, made
/// on first start (mode 0600). PostgreSQL deployments must set `secret_key`: several
/// processes on several machines share the database, and a file on one of them is no key.
pub fn secret_box(settings: &Settings) -> anyhow::Result<SecretBox> {
    if let Some(key) = &settings.secret_key {
        return SecretBox::from_key_text(key.expose_secret())
            .map_err(|e| anyhow::anyhow!("secret_key: {e}"));
    }
    let url = settings.database_url.expose_secret();
    if !url.starts_with("sqlite:") {
        anyhow::bail!(
            "secret_key is required with PostgreSQL: set STOA_SECRET_KEY (or \
             STOA_SECRET_KEY_FILE) to 32 random bytes, e.g. `openssl rand -hex 32`; it encrypts \
             the hubs' client secrets and ID-token signing keys, and must be the same for every \
             Stoa process on this database"
        );
    }
    let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)
        .context("database_url")?;
    let path = std::path::Path::new(options.get_filename()).with_file_name(SECRET_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return SecretBox::from_key_text(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    // Written under another name and linked into place, so a process starting at the same
    // moment reads either no file or the whole key, never half of one.
    let tmp = path.with_file_name(format!("{SECRET_KEY_FILE}.{}.tmp", std::process::id()));
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        writeln!(file, "{}", SecretBox::generate_key_text())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            "no secret_key is configured: made one in this file (mode 0600) to encrypt hub \
             login secrets; back it up with the database, or set STOA_SECRET_KEY"
        ),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    SecretBox::from_key_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// [`router`] with `extra` routes mounted beside the app's, under every layer a page has
/// (the benchmark serves fixed bytes through the full stack with it:
/// `server/examples/stack_bytes.rs`).
///
/// `hub_login`: the OpenID provider of the hubs and its clock (None: no hub login routes, for
/// routers built without a secret key, such as the benchmark's).
pub fn router_with(
    settings: &Settings,
    db: Db,
    auth: Auth,
    limiter: RateLimiter,
    extra: Router,
    hub_login: Option<(stoa_domain::hub_login::Provider, Clock)>,
    queueing: stoa_domain::provisioning::Queueing,
) -> anyhow::Result<Router> {
    let wake = queueing.wake.clone();
    let state = AppState {
        leptos_options: leptos_options(settings),
        db,
        auth,
    };
    let routes = route_list();
    let logos = crate::logos::LogoState {
        db: state.db.clone(),
        auth: state.auth.clone(),
        limits: settings.limits(),
    };
    let context = {
        let db = state.db.clone();
        let auth = state.auth.clone();
        let limits = settings.limits();
        let hubs = std::sync::Arc::new(settings.hubs.clone());
        let billing = std::sync::Arc::new(settings.billing.clone());
        let stripe = stripe_client(settings)?.map(std::sync::Arc::new);
        let catalog = std::sync::Arc::new(stoa_domain::catalog::ListCache::default());
        let support = std::sync::Arc::new(support_desk(settings));
        move || {
            if let Some(stripe) = &stripe {
                provide_context(std::sync::Arc::clone(stripe));
            }
            provide_context(db.clone());
            provide_context(auth.clone());
            provide_context(limits);
            provide_context(std::sync::Arc::clone(&hubs));
            provide_context(std::sync::Arc::clone(&billing));
            provide_context(queueing.clone());
            provide_context(std::sync::Arc::clone(&catalog));
            provide_context(std::sync::Arc::clone(&support));
            // The middleware chose this response's nonce and request id; hand them to the
            // render so the hydration scripts carry the nonce the CSP header names.
            if let Some(parts) = use_context::<axum::http::request::Parts>() {
                if let Some(nonce) = parts.extensions.get::<CspNonce>() {
                    provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
                }
                if let Some(id) = parts.extensions.get::<RequestId>() {
                    provide_context(stoa_app::ssr::RequestId(id.0.clone()));
                }
            }
        }
    };
    let policy = PolicyConfig {
        hsts: settings.is_https(),
        form_action_origins: settings
            .oidc_providers
            .iter()
            .filter_map(|p| url::Url::parse(&p.issuer_url).ok())
            .map(|u| u.origin().ascii_serialization())
            .collect(),
    };
    let csrf = CsrfConfig {
        origin: settings.public_origin(),
    };
    let sessions = crate::auth::session::layer(&state.db, settings);
    let page_cache = crate::page_cache::PageCacheLayer::new(state.db.clone());
    let auth = state.auth.clone();
    let proxies = ProxyConfig {
        trusted: settings.trusted_proxy_nets()?.into(),
        header: settings.proxy_header,
    };
    let body_limits = std::sync::Arc::new(crate::body_limit::limits());
    let hub_login = hub_login.map(|(provider, clock)| crate::hub_login::HubLoginState {
        db: state.db.clone(),
        clock,
        provider: std::sync::Arc::new(provider),
        limits: settings.limits(),
    });
    // Stripe's webhooks, when a signing secret is configured; Stoa's clock comes with the
    // full application (the bare `router` of some tests has none, and no webhooks).
    let webhook = match (&hub_login, settings.webhook_secrets()) {
        (Some(s), secrets) if !secrets.is_empty() => {
            crate::stripe_webhook::router(crate::stripe_webhook::WebhookState {
                db: state.db.clone(),
                clock: s.clock.clone(),
                secrets: secrets.into(),
                wake,
            })
        }
        _ => Router::new(),
    };
    let (hub_browser, hub_api) = match &hub_login {
        Some(s) => (
            crate::hub_login::browser_router(s.clone()),
            crate::hub_login::api_router(s.clone()),
        ),
        None => (Router::new(), Router::new()),
    };
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID_HEADER);

    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(crate::auth::routes::router(state.auth.clone(), &limiter))
        .merge(crate::logos::router(logos))
        .merge(hub_browser)
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .with_state(state)
        .merge(extra)
        // Plain form posts to server functions: Post/Redirect/Get with the outcome kept for
        // the page (`forms`). Innermost, so it sees the session and the signed-in person.
        .layer(axum::middleware::from_fn_with_state(
            crate::forms::FormsConfig {
                origin: settings.public_origin(),
            },
            crate::forms::plain_forms,
        ))
        // Each `layer` wraps what is above it, so the last one is outermost: the policy sees
        // every response, including those the inner layers make up (timeouts, panics), and
        // CSRF refuses a cross-site request before any session is loaded or body read.
        .layer(axum::middleware::from_fn(
            crate::middleware::html_cache_control,
        ))
        .layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::current_user,
        ))
        .layer(sessions)
        // Anonymous pages from memory: outside the session and current-user layers (a hit
        // loads no session), inside `response_policy` (its nonce and headers).
        .layer(page_cache)
        // Body limits are decided per route in `body_limit::limits`; axum's blanket 2 MB
        // default for extractors would otherwise cap a route given more.
        .layer(axum::middleware::from_fn_with_state(
            body_limits,
            crate::body_limit::limit_body,
        ))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            csrf,
            crate::auth::csrf::csrf,
        ))
        // Unauthenticated pages and server functions that Leptos mounts (the others have
        // the limiter as a route layer, in `auth::routes`): the sign-in link page and the
        // server function it checks the link with.
        .layer(axum::middleware::from_fn_with_state(
            limiter.paths(&[
                ("/signin/link", crate::auth::routes::SIGN_IN_FINISH),
                (
                    "/api/account/check_link",
                    crate::auth::routes::SIGN_IN_FINISH,
                ),
            ]),
            crate::rate_limit::limit_paths,
        ))
        .layer(axum::middleware::from_fn_with_state(
            proxies,
            crate::client_ip::client_ip,
        ))
        // Pages and API answers are compressed per request (brotli at quality 4); the
        // site's files are not: they are served precompressed by `assets`.
        .layer(CompressionLayer::new());
    // The site's files first, outside the app's layers: no session, no current user, no
    // per-request compression for them; everything else goes to the app.
    // Hub login's server-to-server endpoints sit outside the app's layers too (no session,
    // CSRF check or per-client rate limit: see `hub_login`).
    let mut router = crate::assets::router(&settings.site_root)
        .merge(hub_api)
        .merge(webhook)
        .fallback_service(app)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    |res: &axum::http::Response<Body>, latency: Duration, _: &Span| {
                        tracing::info!(
                            http.status = res.status().as_u16(),
                            duration_ms = latency.as_secs_f64() * 1000.0,
                            "request finished"
                        );
                    },
                )
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn_with_state(
            policy.clone(),
            response_policy,
        ));
    for layer in static_header_layers(policy.hsts) {
        router = router.layer(layer);
    }
    Ok(router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_client_request_id)))
}

/// The span every log line of a request is recorded in. The path only: query strings can
/// carry tokens (sign-in links), so they are never logged.
fn request_span(req: &Request<Body>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request.id = %id, http.method = %req.method(), http.path = %req.uri().path())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Times a closure for startup logging.
pub fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
