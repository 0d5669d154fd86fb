use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db};
use stoa_server::config::{LogFormat, Settings};
use stoa_server::startup::{self, Application};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Writes `$body` once per engine: `mod $name { sqlite(), postgres() }`, each with its own
/// running app and fresh database.
macro_rules! on_both {
    ($name:ident, |$app:ident| $body:block) => {
        async fn $name($app: $crate::helpers::TestApp) $body
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::spawn(stoa_db::Backend::Sqlite).await).await;
            }
            #[tokio::test]
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

/// A running Stoa with its own database.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client with a cookie store that does not follow redirects.
    pub client: reqwest::Client,
    /// A second handle on the app's database, to arrange and inspect state.
    pub db: Db,
    pub backend: Backend,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _test_db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        if std::env::var_os("TEST_LOG").is_some() {
            stoa_server::telemetry::init(LogFormat::Pretty, "info", false, std::io::stdout);
        }
        let test_db = TestDb::new(backend).await;
        let settings = test_settings(&test_db.url);
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .expect("bind");
        let app = Application::build_with_listener(&settings, listener)
            .await
            .expect("build app");
        let addr = app.local_addr();
        let db = startup::connect(&settings).await.expect("second handle");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
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
