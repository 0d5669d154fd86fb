use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db};
use stoa_server::config::{LogFormat, OidcProviderSettings, Settings};
use stoa_server::startup::{self, Application};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Writes `$body` once per engine: `mod $name { sqlite(), postgres() }`, each with its own
/// running app and fresh database; `settings = f` adjusts the app's settings first
/// (`f: fn(&mut Settings)`).
macro_rules! on_both {
    ($name:ident, settings = $adjust:ident, |$app:ident| $body:block) => {
        async fn $name($app: $crate::helpers::TestApp) $body
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::spawn_with(stoa_db::Backend::Sqlite, super::$adjust).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::TestApp::spawn_with(stoa_db::Backend::Postgres, super::$adjust).await).await;
            }
        }
    };
    ($name:ident, |$app:ident| $body:block) => {
        async fn $name($app: $crate::helpers::TestApp) $body
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::spawn(stoa_db::Backend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::TestApp::spawn(stoa_db::Backend::Postgres).await).await;
            }
        }
    };
}
pub(crate) use on_both;

/// The workspace root (tests run with the crate folder as working directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// Settings for a test: port 0, the given database, the built site, quiet logs.
pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: SecretString::from(database_url),
        site_root: workspace_root().join("target/site"),
        log_format: LogFormat::Pretty,
        shutdown_timeout_secs: 5,
        // Tests move the clock by days (invitation expiry, membership ends) between requests
        // of one signed-in person; sessions idle out only in the test about that, which sets
        // the production default again.
        session_idle_timeout_mins: 30 * 24 * 60,
        // Tests run background passes themselves (`TestApp::run_worker`), at the moment they
        // choose: a worker of the app's own would claim the jobs first, and a test looking for
        // the mail right after its pass would race it.
        run_jobs: false,
        hubs: stoa_domain::hubs::HubConfig {
            // Each app's hubs in a folder of its own (removed with the app's processes in
            // `Drop`), on ports the system gives.
            local: stoa_provision::local::LocalSettings {
                hubs_dir: std::env::temp_dir()
                    .join(format!("stoa-test-hubs-{}", stoa_auth::random_token())),
                ports: None,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Settings::default()
    }
}

/// Points the settings at the test peers when they run (scripts/peers.sh): the mail
/// catcher, and the OpenID provider, with a client registered for this app's callback.
async fn configure_peers(settings: &mut Settings) {
    if let Ok(smtp) = std::env::var("STOA_TEST_SMTP_URL") {
        settings.smtp_url = Some(SecretString::from(smtp));
    }
    if let Ok(issuer) = std::env::var("STOA_TEST_OIDC_ISSUER") {
        let (client_id, secret) = register_client(&issuer, &settings.public_url).await;
        settings.oidc_providers = vec![OidcProviderSettings {
            id: "test".into(),
            display_name: "Test University".into(),
            issuer_url: issuer,
            client_id,
            client_secret: Some(SecretString::from(secret)),
            client_secret_file: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            // The test provider reports verified addresses it derives from the login.
            trust_email: true,
        }];
    }
}

/// Another OpenID provider on the test peer, with its own keys and request counters (so a
/// test can count or rotate without disturbing tests running beside it). Its issuer URL.
pub async fn new_issuer() -> String {
    let peer = std::env::var("STOA_TEST_OIDC_ISSUER").expect("the OpenID provider peer runs");
    let res = reqwest::Client::new()
        .post(format!("{peer}/_test/issuers"))
        .send()
        .await
        .expect("OP reachable");
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    body["issuer"].as_str().unwrap().to_owned()
}

/// An extra sign-in provider for [`TestApp::spawn_with_providers`].
pub struct ExtraProvider {
    pub id: &'static str,
    pub issuer: String,
    pub trust_email: bool,
}

/// Registers a client with the OpenID provider (Dynamic Client Registration).
pub async fn register_client(issuer: &str, public_url: &str) -> (String, String) {
    let body = serde_json::json!({
        "redirect_uris": [format!("{public_url}/auth/callback")],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    });
    let res = reqwest::Client::new()
        .post(format!("{issuer}/reg"))
        .json(&body)
        .send()
        .await
        .expect("OP reachable");
    assert_eq!(
        res.status(),
        201,
        "client registration: {}",
        res.text().await.unwrap_or_default()
    );
    let client: serde_json::Value = res.json().await.unwrap();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    remember_secret(&secret);
    (client["client_id"].as_str().unwrap().to_owned(), secret)
}

/// Panics with set-up instructions unless the test peers run.
pub fn require_peers() {
    assert!(
        std::env::var("STOA_TEST_OIDC_ISSUER").is_ok()
            && std::env::var("STOA_TEST_MAILDEV_URL").is_ok(),
        "these tests need the OpenID provider and mail catcher: run `make test`, or \
         `eval \"$(scripts/peers.sh start)\"` before `cargo test`"
    );
}

/// One multi-threaded runtime for every server the tests start, as in production where one
/// process has one runtime. Leptos keeps process-wide state (its executor and reactive
/// arena); servers spread over the tests' many short-lived runtimes occasionally stalled a
/// render until the request timeout, which a single runtime never does (also checked with
/// wrk against one server).
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stoa-test-server")
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

/// The folder where this run's logs go: every test server's log, the harness's list of
/// secrets it saw ([`remember_secret`]), and the browser tests' server logs.
/// `scripts/test.sh` sets `STOA_TEST_LOG_DIR` to a folder per run and, after the whole
/// suite, scans it (`server/tests/log_hygiene.rs`); a plain `cargo test` writes to
/// `target/test-logs/adhoc`.
pub fn log_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = match std::env::var_os("STOA_TEST_LOG_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let dir = workspace_root().join("target/test-logs/adhoc");
                // No run owns this folder: what earlier runs left more than a day ago goes.
                let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    if entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < day_ago)
                    {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
                dir
            }
        };
        std::fs::create_dir_all(&dir).expect("create the test log folder");
        dir
    })
    .clone()
}

/// Appends to `name` in [`log_dir`], shared by every thread of this test process. Unbuffered:
/// the test harness ends the process without running destructors, and a buffer would lose
/// the end of the log.
fn log_file(name: &str) -> &'static std::sync::Mutex<std::fs::File> {
    static FILES: std::sync::OnceLock<
        std::sync::Mutex<
            std::collections::HashMap<String, &'static std::sync::Mutex<std::fs::File>>,
        >,
    > = std::sync::OnceLock::new();
    let mut files = FILES.get_or_init(Default::default).lock().unwrap();
    files.entry(name.to_owned()).or_insert_with(|| {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_dir().join(name))
            .expect("open a test log file");
        Box::leak(Box::new(std::sync::Mutex::new(file)))
    })
}

/// A writer for the tracing subscriber: one locked write per event, so lines of different
/// threads never interleave.
struct SharedFile(&'static std::sync::Mutex<std::fs::File>);

impl std::io::Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test process) the subscriber that writes everything the in-process
/// servers log to `api-<pid>.log` in [`log_dir`]: JSON as in production, every span field
/// included, at debug level (trace for Stoa's own crates, which is more than any deployment
/// logs), so the log-hygiene scan sees all that a server could ever write. Only the HTTP and
/// TLS plumbing of the libraries stays at info (their debug output is wire chatter, not
/// Stoa's data). With `TEST_LOG` set, lines also go to stdout as before (`RUST_LOG`, default info).
fn capture_logs() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{EnvFilter, Layer as _, fmt};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let file = log_file(&format!("api-{}.log", std::process::id()));
        let capture = fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(move || SharedFile(file))
            .with_filter(EnvFilter::new(
                "debug,stoa_server=trace,stoa_app=trace,stoa_auth=trace,stoa_db=trace,\
                 hyper=info,hyper_util=info,h2=info,rustls=info,reqwest=info,cookie_store=info",
            ));
        let stdout = std::env::var_os("TEST_LOG").is_some().then(|| {
            fmt::layer()
                .compact()
                .with_ansi(false)
                .with_target(false)
                .with_writer(std::io::stdout)
                .with_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
                )
        });
        // An error means a subscriber exists already (a test installed its own).
        drop(
            tracing_subscriber::registry()
                .with(capture)
                .with(stdout)
                .try_init(),
        );
    });
}

/// Records a value the logs must never contain (a client secret, a session id, a token), for
/// the log-hygiene scan after the suite: one line of `secrets-<pid>.txt` in [`log_dir`].
pub fn remember_secret(value: &str) {
    use std::io::Write as _;
    let value = value.trim();
    if value.is_empty() || value.contains('\n') {
        return;
    }
    let mut file = log_file(&format!("secrets-{}.txt", std::process::id()))
        .lock()
        .unwrap();
    writeln!(file, "{value}").expect("write the secrets list");
}

/// Appends output of a `stoa` process the tests started (its log, on stderr) to
/// `cli-<pid>.log` in [`log_dir`], for the log-hygiene scan.
pub fn save_process_log(stderr: &[u8]) {
    use std::io::Write as _;
    let mut file = log_file(&format!("cli-{}.log", std::process::id()))
        .lock()
        .unwrap();
    file.write_all(stderr).expect("write the process log");
    if !stderr.ends_with(b"\n") {
        file.write_all(b"\n").expect("write the process log");
    }
}

/// The session ids stored in the database at `url` (each is a cookie value), read on a
/// thread with its own runtime because it runs in `Drop`.
fn session_ids(url: &str) -> Vec<String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async {
            use sqlx::Connection as _;
            if url.starts_with("sqlite:") {
                let mut c = sqlx::SqliteConnection::connect(&url).await.ok()?;
                sqlx::query_scalar("SELECT id FROM tower_sessions")
                    .fetch_all(&mut c)
                    .await
                    .ok()
            } else {
                let mut c = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::query_scalar("SELECT id FROM tower_sessions.session")
                    .fetch_all(&mut c)
                    .await
                    .ok()
            }
        })
    })
    .join()
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// A running Stoa with its own database.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client with a cookie store that does not follow redirects.
    pub client: reqwest::Client,
    /// A second handle on the app's database, to arrange and inspect state.
    pub db: Db,
    pub backend: Backend,
    /// The app's clock: tests move it forward instead of sleeping.
    pub clock: stoa_db::Clock,
    /// The app's database URL (for running the `stoa` binary against it).
    pub database_url: String,
    /// The settings it runs with.
    pub settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _test_db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], adjusting the settings first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_with_providers(backend, &[], adjust).await
    }

    /// Like [`TestApp::spawn_with`], with more sign-in providers (registered with this
    /// app's callback) after the test provider.
    pub async fn spawn_with_providers(
        backend: Backend,
        extra: &[ExtraProvider],
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        capture_logs();
        let test_db = TestDb::new(backend).await;
        let mut settings = test_settings(&test_db.url);
        // Reserve a port to know the public URL (the OIDC client is registered for it);
        // the server binds it again on its own runtime.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        settings.listen = SocketAddr::from(([127, 0, 0, 1], port));
        settings.public_url = format!("http://{}", settings.listen);
        configure_peers(&mut settings).await;
        // PostgreSQL needs a configured key (SQLite makes one beside its file, and tests that).
        if backend == Backend::Postgres {
            settings.secret_key =
                Some(SecretString::from(stoa_auth::SecretBox::generate_key_text()));
        }
        for p in extra {
            let (client_id, secret) = register_client(&p.issuer, &settings.public_url).await;
            settings.oidc_providers.push(OidcProviderSettings {
                id: p.id.into(),
                display_name: format!("Provider {}", p.id),
                issuer_url: p.issuer.clone(),
                client_id,
                client_secret: Some(SecretString::from(secret)),
                client_secret_file: None,
                scopes: vec!["openid".into(), "email".into(), "profile".into()],
                trust_email: p.trust_email,
            });
        }
        adjust(&mut settings);
        let clock = stoa_db::Clock::default();
        let (addr, tx, server) = start_server(&settings, &clock).await;
        let db = startup::connect(&settings).await.expect("second handle");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        TestApp {
            addr,
            client,
            db,
            backend,
            clock,
            database_url: test_db.url.clone(),
            settings: settings.clone(),
            shutdown: Some(tx),
            server: Some(server),
            _test_db: test_db,
        }
    }

    /// Stops this Stoa and starts a new one (a new `Application`) on the same database,
    /// address and clock, as a restart or a deploy would.
    pub async fn restart(&mut self) {
        let _ = self.shutdown.take().expect("running").send(());
        self.server
            .take()
            .expect("running")
            .await
            .expect("server task")
            .expect("a clean stop");
        let (addr, tx, server) = start_server(&self.settings, &self.clock).await;
        assert_eq!(addr, self.addr, "the same address");
        self.shutdown = Some(tx);
        self.server = Some(server);
    }
}

/// Starts an `Application` with `settings` on the server runtime.
async fn start_server(
    settings: &Settings,
    clock: &stoa_db::Clock,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<anyhow::Result<()>>,
) {
    {
        let (tx, rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel::<SocketAddr>();
        // Everything the server owns (listener, pools) is created on the server runtime:
        // tokio I/O is tied to the runtime that registered it.
        let server = server_runtime().spawn({
            let (settings, clock) = (settings.clone(), clock.clone());
            async move {
                let app = Application::build_with_clock(
                    &settings,
                    tokio::net::TcpListener::bind(settings.listen).await?,
                    clock,
                )
                .await?;
                let _ = ready_tx.send(app.local_addr());
                app.run_until(async {
                    let _ = rx.await;
                })
                .await
            }
        });
        let addr = ready_rx.await.expect("the test server started");
        (addr, tx, server)
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Calls the server function at `/api/{endpoint}` as `client` with form fields; returns
    /// the status and the JSON body (Null when it is not JSON).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let res = client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .expect("server function call");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Runs one pass of background work (jobs, membership ends) with the app's clock and
    /// mailer, as its own worker would.
    pub async fn run_worker(&self) -> stoa_server::worker::Pass {
        self.worker().run_once().await.expect("worker pass")
    }

    /// A worker of this app as its own would be (its backend, its hubs' logins), with a
    /// claimer of its own.
    pub fn worker(&self) -> stoa_server::worker::Worker {
        let mailer =
            stoa_auth::Mailer::new(self.settings.smtp_url.as_ref(), &self.settings.mail_from)
                .expect("mailer");
        let provider = stoa_domain::hub_login::Provider::new(
            &self.settings.public_url,
            startup::secret_box(&self.settings).expect("secret key"),
        );
        startup::worker(
            &self.settings,
            self.db.clone(),
            self.clock.clone(),
            mailer,
            startup::provisioner(&self.settings),
            std::sync::Arc::new(provider),
            stoa_db::jobs::Wake::default(),
        )
    }

    pub async fn seed_demo(&self) {
        stoa_server::seed::demo(
            &self.db,
            &self.settings.hubs,
            &self.settings.billing,
            &stoa_server::startup::support_desk(&self.settings),
            0,
        )
        .await
        .expect("seed");
    }

    /// Stops the server gracefully and reports how it ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.take().expect("running").send(());
        let result = self
            .server
            .take()
            .expect("running")
            .await
            .expect("server task");
        self.db.close().await;
        result
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Hubs run detached (they outlive Stoa on purpose): a test's hubs, proxies and
        // people's servers go with the test, passed or failed.
        let hubs_dir = &self.settings.hubs.local.hubs_dir;
        stoa_provision::local::process::kill_all_under(hubs_dir);
        let _ = std::fs::remove_dir_all(hubs_dir);
        // Every session id this app issued that still exists is a cookie value the logs
        // must not contain (read before the database goes with `_test_db`).
        for id in session_ids(&self.database_url) {
            remember_secret(&id);
        }
    }
}

/// The value of `name="<attr>"` occurrences in `html`.
pub fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// An SMTP server on 127.0.0.1 that refuses every recipient with an answer quoting the
/// address, as real servers do (`550 5.1.1 <a@b.org>: Recipient address rejected`); returns
/// its `smtp://` URL. For tests of what Stoa logs when mail is refused.
pub async fn smtp_refusing_recipients() -> String {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 refusing ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let answer = if upper.starts_with("RCPT TO:") {
                        let to = line["RCPT TO:".len()..].trim().to_owned();
                        format!("550 5.1.1 {to}: Recipient address rejected: User unknown")
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        "250 ok".to_owned()
                    };
                    if write
                        .write_all(format!("{answer}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    url
}

/// Everything this test process's servers logged so far ([`capture_logs`]).
pub fn captured_log() -> String {
    std::fs::read_to_string(log_dir().join(format!("api-{}.log", std::process::id())))
        .unwrap_or_default()
}

/// Another Stoa on a [`TestApp`]'s database (its own `Application`: pools, page cache), as a
/// second process or replica would be. Stops when dropped.
pub struct OtherStoa {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Starts an [`OtherStoa`] on this app's database, settings and clock, on another port.
    pub async fn another_stoa(&self) -> OtherStoa {
        let mut settings = self.settings.clone();
        settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let (addr, shutdown, _server) = start_server(&settings, &self.clock).await;
        OtherStoa {
            addr,
            shutdown: Some(shutdown),
        }
    }
}

impl OtherStoa {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for OtherStoa {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
