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
/// running app and fresh database.
macro_rules! on_both {
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
        }];
    }
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
    (
        client["client_id"].as_str().unwrap().to_owned(),
        client["client_secret"].as_str().unwrap().to_owned(),
    )
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
        if std::env::var_os("TEST_LOG").is_some() {
            stoa_server::telemetry::init(LogFormat::Pretty, "info", false, std::io::stdout);
        }
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
        adjust(&mut settings);
        let clock = stoa_db::Clock::default();
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
        let mailer =
            stoa_auth::Mailer::new(self.settings.smtp_url.as_ref(), &self.settings.mail_from)
                .expect("mailer");
        let worker = stoa_server::worker::Worker::new(
            self.db.clone(),
            self.clock.clone(),
            mailer,
            &self.settings.public_url,
        );
        worker.run_once().await.expect("worker pass")
    }

    pub async fn seed_demo(&self) {
        stoa_server::seed::demo(&self.db).await.expect("seed");
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
