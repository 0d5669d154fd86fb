//! `local`: a real JupyterHub per hub on this machine, the embedded default.
//!
//! Each hub has a folder of its own under `hubs_dir` holding everything about it:
//!
//! | file | what |
//! | --- | --- |
//! | `placement.json` | its three ports, chosen once (its address never changes) |
//! | `secrets/` (0700) | `cookie_secret`, `proxy_token`, `api_token` (Stoa's service token), `crypt_key`, `client_secret` (files 0600) |
//! | `hub.json`, `hub.json.prev` | the revision it runs, rendered by `stoa_hubs::render_local_json`, and the one before |
//! | `applied.json` | the revision number `hub.json` holds once it answered with it |
//! | `runtime.json` | ports, address and Stoa's endpoints, read by `jupyterhub_config.py` |
//! | `jupyterhub_config.py`, `templates/` | shipped with Stoa (`hub/`), written again at each start |
//! | `jupyterhub.sqlite`, `hub.pid`, `proxy.pid`, `hub.log`, `proxy.log` | the hub's own state |
//! | `homes/<user>/` | people's files |
//! | `stopped` | present when the hub was stopped on purpose |
//!
//! Stoa starts the proxy (configurable-http-proxy) itself and the hub with
//! `cleanup_servers = False`, so a hub restart (every apply) leaves people's servers and their
//! routes running. Both run detached: hubs keep running when Stoa stops, and a starting Stoa
//! finds them again by pid file.
//!
//! This is a single-machine backend for evaluation and small trusted groups: people's servers
//! run on Stoa's machine (as `user_server_user` when Stoa runs as root, so they cannot read
//! Stoa's files), with no container, so size limits are advisory. Isolation between
//! communities is the Kubernetes backend's job.

mod files;
pub mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::{Rng as _, RngCore as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use stoa_hubs::RenderContext;

use crate::jupyterhub::HubApi;
use crate::{Deployment, Health, HubRef, HubUser, Placement, ProvisionError, Provisioner, Result};

/// How the local backend runs hubs (`[hubs.local]` in Stoa's configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalSettings {
    /// Where hubs' folders live.
    pub hubs_dir: PathBuf,
    /// The Python environment with JupyterHub (`scripts/hub-env.sh` makes it).
    pub python_env: PathBuf,
    /// The configurable-http-proxy executable.
    pub proxy_command: PathBuf,
    /// Hubs answer at `http://<slug>.<domain>:<port>`. Browsers resolve every name under
    /// `localhost` to this machine, and each hub gets a host of its own.
    pub domain: String,
    /// First and last port hubs may use (three each); `None` or `[0, 0]`: free ports at random
    /// below the system's ephemeral range (tests).
    pub ports: Option<(u16, u16)>,
    /// The account people's servers run as when Stoa runs as root (none: as Stoa's user).
    pub user_server_user: Option<String>,
    /// How long a hub may take to answer after a start.
    pub start_timeout_seconds: u64,
    /// The name of this machine's Stoa process that owns the hubs here (default: the host
    /// name). Only the process with this name runs their jobs.
    pub runner: String,
}

impl Default for LocalSettings {
    fn default() -> Self {
        LocalSettings {
            hubs_dir: PathBuf::from("data/hubs"),
            python_env: PathBuf::from("target/hub-venv"),
            proxy_command: PathBuf::from("node_modules/.bin/configurable-http-proxy"),
            domain: "hub.localhost".into(),
            ports: Some((8100, 8999)),
            user_server_user: None,
            start_timeout_seconds: 90,
            runner: default_runner(),
        }
    }
}

fn default_runner() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The ports of one hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Ports {
    /// The proxy's public port: the hub's address.
    port: u16,
    /// The hub itself, behind the proxy.
    hub_port: u16,
    /// The proxy's REST API.
    proxy_api_port: u16,
}

/// `applied.json`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Applied {
    revision: i32,
}

/// `runtime.json`: what `jupyterhub_config.py` reads besides the revision (format 1).
#[derive(Debug, Serialize)]
struct Runtime<'a> {
    format: u32,
    slug: &'a str,
    public_url: &'a str,
    bind_ip: &'a str,
    port: u16,
    hub_port: u16,
    proxy_api_port: u16,
    singleuser_command: Vec<String>,
    user_server_user: Option<&'a str>,
    stoa: StoaEndpoints,
}

#[derive(Debug, Serialize)]
struct StoaEndpoints {
    issuer: String,
    authorize_url: String,
    token_url: String,
    userinfo_url: String,
    end_session_url: String,
    client_id: String,
    usage_url: String,
    join_url: String,
}

/// The local backend.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    settings: LocalSettings,
}

/// A hub's folder.
struct HubDir {
    root: PathBuf,
}

impl HubDir {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn secret(&self, name: &str) -> Result<SecretString> {
        std::fs::read_to_string(self.path("secrets").join(name))
            .map(|s| SecretString::from(s.trim().to_owned()))
            .map_err(|e| io("read a hub secret", &e))
    }

    /// The marker that identifies the hub's process (its config path is in its command line).
    fn hub_marker(&self) -> String {
        self.path("jupyterhub_config.py").display().to_string()
    }

    fn read_json<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Option<T> {
        std::fs::read(self.path(name))
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
    }
}

fn io(what: &str, err: &std::io::Error) -> ProvisionError {
    ProvisionError::Unavailable(format!("cannot {what}: {err}"))
}

/// Writes `contents` to `path` through a temporary file and a rename, so a reader (or a
/// crash) never sees half a file.
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn mkdir(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Where hubs' ports come from when none are configured: from 10000 up to just below the
/// system's ephemeral range (`ip_local_port_range`, 32768 by default on Linux).
fn auto_port_range() -> (u16, u16) {
    const FIRST: u16 = 10_000;
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|raw| raw.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    // A system whose ephemeral range starts low leaves no room below: use 10000..20000 then.
    let last = if ephemeral_start > FIRST + 1_000 {
        ephemeral_start - 1
    } else {
        20_000
    };
    (FIRST, last)
}

/// Where the proxy's command line names its API port, to recognise it by pid.
fn proxy_marker(ports: &Ports) -> String {
    format!("--api-port {}", ports.proxy_api_port)
}

impl LocalBackend {
    /// A backend with these settings; relative paths are taken from the current directory
    /// now, so a later `chdir` changes nothing.
    pub fn new(mut settings: LocalSettings) -> LocalBackend {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        settings.hubs_dir = absolute(&settings.hubs_dir);
        settings.python_env = absolute(&settings.python_env);
        settings.proxy_command = absolute(&settings.proxy_command);
        LocalBackend { settings }
    }

    /// The settings in use.
    pub fn settings(&self) -> &LocalSettings {
        &self.settings
    }

    fn dir(&self, hub: &HubRef) -> HubDir {
        HubDir {
            root: self.settings.hubs_dir.join(&hub.slug),
        }
    }

    fn url(&self, hub: &HubRef, ports: &Ports) -> String {
        format!(
            "http://{}.{}:{}",
            hub.slug, self.settings.domain, ports.port
        )
    }

    fn api(&self, dir: &HubDir, ports: &Ports) -> Result<HubApi> {
        Ok(HubApi::new(
            &format!("http://127.0.0.1:{}/hub/api", ports.port),
            dir.secret("api_token")?,
        ))
    }

    /// Ports given to other hubs here, from their placement files.
    fn taken_ports(&self) -> Vec<u16> {
        let Ok(entries) = std::fs::read_dir(&self.settings.hubs_dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read(e.path().join("placement.json")).ok())
            .filter_map(|raw| serde_json::from_slice::<Ports>(&raw).ok())
            .flat_map(|p| [p.port, p.hub_port, p.proxy_api_port])
            .collect()
    }

    fn allocate_ports(&self) -> Result<Ports> {
        let taken = self.taken_ports();
        // The first of `starts` whose block of three is free (ours and the system's).
        let first_free = |mut starts: Box<dyn Iterator<Item = u16> + '_>| {
            starts.find(|&port| {
                [port, port + 1, port + 2]
                    .iter()
                    .all(|p| !taken.contains(p) && process::bindable(*p))
            })
        };
        let configured = self
            .settings
            .ports
            .filter(|&(first, last)| (first, last) != (0, 0));
        let (first, last, found) = match configured {
            Some((first, last)) => {
                let starts = (first..=last.saturating_sub(2)).step_by(3);
                (first, last, first_free(Box::new(starts)))
            }
            None => {
                // Not ports the system hands out (binding port 0): those come from the
                // ephemeral range, which the system also gives outgoing connections (to
                // PostgreSQL, to a hub's API). A hub keeps its ports for life, and a restart
                // then finds its port held by some client's connection: the change waits
                // until that connection ends. Random blocks below that range instead; random
                // so that Stoa processes sharing a machine (tests) rarely try the same one.
                let (first, last) = auto_port_range();
                let mut rng = rand::rng();
                let starts = (0..200).map(move |_| rng.random_range(first..=last - 2));
                (first, last, first_free(Box::new(starts)))
            }
        };
        found
            .map(|port| Ports {
                port,
                hub_port: port + 1,
                proxy_api_port: port + 2,
            })
            .ok_or_else(|| {
                ProvisionError::Unavailable(format!(
                    "no free ports left for a hub between {first} and {last}"
                ))
            })
    }

    /// The hub's folder, ports and secrets, made on first use.
    fn prepare(&self, hub: &HubRef) -> Result<(HubDir, Ports)> {
        let dir = self.dir(hub);
        // 0711: people's servers (another account) reach their home below, and list nothing.
        mkdir(&self.settings.hubs_dir, 0o711).map_err(|e| io("make the hubs folder", &e))?;
        mkdir(&dir.root, 0o711).map_err(|e| io("make the hub's folder", &e))?;
        mkdir(&dir.path("secrets"), 0o700).map_err(|e| io("make the secrets folder", &e))?;
        mkdir(&dir.path("homes"), 0o711).map_err(|e| io("make the homes folder", &e))?;
        for (name, bytes) in [
            ("cookie_secret", 32),
            ("proxy_token", 32),
            ("api_token", 32),
            ("crypt_key", 32),
        ] {
            let path = dir.path("secrets").join(name);
            if !path.exists() {
                write_atomic(&path, random_hex(bytes).as_bytes(), 0o600)
                    .map_err(|e| io("write a hub secret", &e))?;
            }
        }
        let ports = match dir.read_json::<Ports>("placement.json") {
            Some(ports) => ports,
            None => {
                let ports = self.allocate_ports()?;
                let raw = serde_json::to_vec_pretty(&ports).unwrap_or_default();
                write_atomic(&dir.path("placement.json"), &raw, 0o644)
                    .map_err(|e| io("record the hub's ports", &e))?;
                ports
            }
        };
        Ok((dir, ports))
    }

    /// Writes the shipped config and templates, `runtime.json` and the client secret.
    fn write_runtime(
        &self,
        hub: &HubRef,
        dir: &HubDir,
        ports: &Ports,
        login: &crate::HubLogin,
    ) -> Result<()> {
        files::write_all(&dir.root).map_err(|e| io("write the hub's config files", &e))?;
        let url = self.url(hub, ports);
        let singleuser = self.settings.python_env.join("bin/jupyterhub-singleuser");
        let runtime = Runtime {
            format: 1,
            slug: &hub.slug,
            public_url: &url,
            bind_ip: "127.0.0.1",
            port: ports.port,
            hub_port: ports.hub_port,
            proxy_api_port: ports.proxy_api_port,
            singleuser_command: vec![singleuser.display().to_string()],
            user_server_user: self.settings.user_server_user.as_deref(),
            stoa: StoaEndpoints {
                issuer: login.issuer.clone(),
                authorize_url: login.endpoint("/oauth/authorize"),
                token_url: login.endpoint("/oauth/token"),
                userinfo_url: login.endpoint("/oauth/userinfo"),
                end_session_url: login.endpoint("/oauth/end-session"),
                client_id: login.client_id.clone(),
                usage_url: login.endpoint("/api/hubs/usage"),
                join_url: login.join_url.clone(),
            },
        };
        let mut raw = serde_json::to_vec_pretty(&runtime).unwrap_or_default();
        raw.push(b'\n');
        write_atomic(&dir.path("runtime.json"), &raw, 0o644)
            .map_err(|e| io("write runtime.json", &e))?;
        write_atomic(
            &dir.path("secrets").join("client_secret"),
            login.client_secret.expose_secret().as_bytes(),
            0o600,
        )
        .map_err(|e| io("write the client secret", &e))
    }

    /// Starts the proxy unless it runs. An old proxy still exiting holds the port: wait for
    /// its pid to go first.
    async fn ensure_proxy(&self, dir: &HubDir, ports: &Ports) -> Result<()> {
        let marker = proxy_marker(ports);
        if process::alive(&dir.path("proxy.pid"), &marker).is_some() {
            return Ok(());
        }
        if !process::bindable(ports.port) || !process::bindable(ports.proxy_api_port) {
            return Err(ProvisionError::Unavailable(format!(
                "port {} or {} is taken by another program",
                ports.port, ports.proxy_api_port
            )));
        }
        let token = dir.secret("proxy_token")?;
        let mut command = tokio::process::Command::new(&self.settings.proxy_command);
        command
            .current_dir(&dir.root)
            .env_clear()
            .envs(process::base_env())
            .env("CONFIGPROXY_AUTH_TOKEN", token.expose_secret())
            .args(["--ip", "127.0.0.1", "--port"])
            .arg(ports.port.to_string())
            .args(["--api-ip", "127.0.0.1", "--api-port"])
            .arg(ports.proxy_api_port.to_string())
            .arg("--default-target")
            .arg(format!("http://127.0.0.1:{}", ports.hub_port))
            .arg("--error-target")
            .arg(format!("http://127.0.0.1:{}/hub/error", ports.hub_port))
            .args(["--log-level", "warn"]);
        let mut child = process::spawn_detached(command, &dir.path("proxy.log"))
            .map_err(|e| io("start configurable-http-proxy", &e))?;
        let pid = child.id().unwrap_or_default();
        write_atomic(&dir.path("proxy.pid"), pid.to_string().as_bytes(), 0o644)
            .map_err(|e| io("write proxy.pid", &e))?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(ProvisionError::Unavailable(format!(
                    "the proxy exited ({status}): {}",
                    process::log_tail(&dir.path("proxy.log"), 3)
                )));
            }
            if process::listening(ports.proxy_api_port).await
                && process::listening(ports.port).await
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(ProvisionError::Unavailable(
            "the proxy did not listen within 20 seconds".into(),
        ))
    }

    /// Waits (up to 10 s) until the hub's port can be bound again. A process of this hub's
    /// own (working in its folder: a previous hub process that outlived its pid file, say)
    /// still listening there is stopped; anything else is another program's, and the change
    /// waits for a later try, naming it.
    async fn free_port(&self, dir: &HubDir, port: u16) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if process::bindable(port) {
                return Ok(());
            }
            let holder = process::listener_of(port);
            if let Some((pid, _)) = &holder
                && process::works_in(*pid, &dir.root)
            {
                tracing::warn!(
                    pid,
                    port,
                    "a process of this hub still holds its port: stopping it"
                );
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            if std::time::Instant::now() > deadline {
                let who = holder
                    .map(|(pid, comm)| format!(" ({comm}, pid {pid})"))
                    .unwrap_or_default();
                return Err(ProvisionError::Unavailable(format!(
                    "port {port} is taken by another program{who}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop_hub_process(&self, dir: &HubDir) {
        let marker = dir.hub_marker();
        if let Some(pid) = process::alive(&dir.path("hub.pid"), &marker) {
            process::terminate(pid, &marker, Duration::from_secs(20)).await;
        }
    }

    async fn stop_proxy(&self, dir: &HubDir, ports: &Ports) {
        let marker = proxy_marker(ports);
        if let Some(pid) = process::alive(&dir.path("proxy.pid"), &marker) {
            process::terminate(pid, &marker, Duration::from_secs(10)).await;
        }
    }

    /// (Re)starts the hub process with the files in its folder and waits until it answers
    /// through the proxy.
    async fn restart_hub(&self, dir: &HubDir, ports: &Ports) -> Result<String> {
        self.stop_hub_process(dir).await;
        self.free_port(dir, ports.hub_port).await?;
        let log = dir.path("hub.log");
        let mut command =
            tokio::process::Command::new(self.settings.python_env.join("bin/jupyterhub"));
        // None of Stoa's environment (its database URL, its keys) reaches the hub.
        command
            .current_dir(&dir.root)
            .env_clear()
            .envs(process::base_env())
            .env("STOA_HUB_DIR", &dir.root)
            .arg("-f")
            .arg(dir.path("jupyterhub_config.py"));
        let mut child =
            process::spawn_detached(command, &log).map_err(|e| io("start JupyterHub", &e))?;
        let pid = child.id().unwrap_or_default();
        write_atomic(&dir.path("hub.pid"), pid.to_string().as_bytes(), 0o644)
            .map_err(|e| io("write hub.pid", &e))?;
        let api = self.api(dir, ports)?;
        let started = Instant::now();
        let timeout = Duration::from_secs(self.settings.start_timeout_seconds);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                use std::os::unix::process::ExitStatusExt as _;
                let tail = process::log_tail(&log, 4);
                let text = format!("JupyterHub exited at start ({status}): {tail}");
                // Killed, or a port taken between our check and its bind: trying again may
                // work. Exiting on its own is the hub refusing its configuration.
                return Err(
                    if status.signal().is_some() || tail.contains("Address already in use") {
                        ProvisionError::Unavailable(text)
                    } else {
                        ProvisionError::Rejected(text)
                    },
                );
            }
            if let Ok(version) = api.version().await {
                return Ok(version);
            }
            if started.elapsed() > timeout {
                self.stop_hub_process(dir).await;
                return Err(ProvisionError::Unavailable(format!(
                    "JupyterHub did not answer within {} seconds: {}",
                    timeout.as_secs(),
                    process::log_tail(&log, 2)
                )));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    fn placed(&self, hub: &HubRef) -> Option<(HubDir, Ports)> {
        let dir = self.dir(hub);
        let ports = dir.read_json::<Ports>("placement.json")?;
        Some((dir, ports))
    }
}

#[async_trait]
impl Provisioner for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn runner(&self) -> Option<String> {
        Some(self.settings.runner.clone())
    }

    async fn create(&self, hub: &HubRef) -> Result<Placement> {
        let (_, ports) = self.prepare(hub)?;
        Ok(Placement {
            url: self.url(hub, &ports),
        })
    }

    async fn apply(&self, hub: &HubRef, deployment: &Deployment) -> Result<()> {
        let (dir, ports) = self.prepare(hub)?;
        let ctx = RenderContext {
            sizes: &deployment.sizes,
            logo_url: deployment.logo_url.as_deref(),
        };
        let rendered = stoa_hubs::render_local_json(&deployment.spec, &ctx)
            .map_err(|e| ProvisionError::Rejected(e.to_string()))?;
        self.write_runtime(hub, &dir, &ports, &deployment.login)?;
        let current = std::fs::read_to_string(dir.path("hub.json")).ok();
        let applied = dir.read_json::<Applied>("applied.json");
        if applied.is_some_and(|a| a.revision == deployment.revision)
            && current.as_deref() == Some(rendered.as_str())
            && !dir.path("stopped").exists()
            && self.api(&dir, &ports)?.version().await.is_ok()
        {
            // Applied already (a job retried after a crash): nothing to do.
            return Ok(());
        }
        if let Some(previous) = &current {
            write_atomic(&dir.path("hub.json.prev"), previous.as_bytes(), 0o644)
                .map_err(|e| io("keep the previous revision", &e))?;
        }
        write_atomic(&dir.path("hub.json"), rendered.as_bytes(), 0o644)
            .map_err(|e| io("write hub.json", &e))?;
        let _ = std::fs::remove_file(dir.path("stopped"));
        self.ensure_proxy(&dir, &ports).await?;
        match self.restart_hub(&dir, &ports).await {
            Ok(_) => {
                let raw = serde_json::to_vec(&Applied {
                    revision: deployment.revision,
                })
                .unwrap_or_default();
                write_atomic(&dir.path("applied.json"), &raw, 0o644)
                    .map_err(|e| io("record the applied revision", &e))
            }
            Err(err) => {
                // Back to what ran before, so a bad revision never leaves the hub down.
                match current {
                    Some(previous) if applied.is_some() => {
                        if let Err(e) =
                            write_atomic(&dir.path("hub.json"), previous.as_bytes(), 0o644)
                        {
                            tracing::error!(hub = hub.slug, error = %e, "cannot restore the previous revision");
                        } else if let Err(e) = self.restart_hub(&dir, &ports).await {
                            tracing::error!(hub = hub.slug, error = %e, "the previous revision did not start again");
                        }
                    }
                    _ => self.stop_hub_process(&dir).await,
                }
                Err(err)
            }
        }
    }

    async fn start(&self, hub: &HubRef) -> Result<()> {
        let Some((dir, ports)) = self.placed(hub) else {
            return Err(ProvisionError::Rejected("the hub was never created".into()));
        };
        if !dir.path("hub.json").exists() {
            return Err(ProvisionError::Rejected(
                "no revision was applied to the hub yet".into(),
            ));
        }
        let _ = std::fs::remove_file(dir.path("stopped"));
        files::write_all(&dir.root).map_err(|e| io("write the hub's config files", &e))?;
        self.ensure_proxy(&dir, &ports).await?;
        if process::alive(&dir.path("hub.pid"), &dir.hub_marker()).is_some()
            && self.api(&dir, &ports)?.version().await.is_ok()
        {
            return Ok(());
        }
        self.restart_hub(&dir, &ports).await.map(drop)
    }

    async fn stop(&self, hub: &HubRef) -> Result<()> {
        let Some((dir, ports)) = self.placed(hub) else {
            return Ok(());
        };
        write_atomic(&dir.path("stopped"), b"", 0o644)
            .map_err(|e| io("mark the hub stopped", &e))?;
        if process::alive(&dir.path("hub.pid"), &dir.hub_marker()).is_some() {
            // People's servers outlive a hub restart on purpose; a stop ends them.
            if let Err(err) = self.api(&dir, &ports)?.stop_all_servers().await {
                tracing::warn!(hub = hub.slug, error = %err, "cannot stop every server before stopping the hub");
            }
        }
        self.stop_hub_process(&dir).await;
        self.stop_proxy(&dir, &ports).await;
        Ok(())
    }

    async fn delete(&self, hub: &HubRef) -> Result<()> {
        self.stop(hub).await?;
        let dir = self.dir(hub);
        match std::fs::remove_dir_all(&dir.root) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("remove the hub's folder", &e)),
        }
    }

    async fn health(&self, hub: &HubRef) -> Result<Health> {
        let Some((dir, ports)) = self.placed(hub) else {
            return Ok(Health::Absent);
        };
        if dir.path("stopped").exists() {
            return Ok(Health::Stopped);
        }
        if !dir.path("hub.json").exists() {
            return Ok(Health::Absent);
        }
        if process::alive(&dir.path("proxy.pid"), &proxy_marker(&ports)).is_none() {
            return Ok(Health::Down("the proxy is not running".into()));
        }
        if process::alive(&dir.path("hub.pid"), &dir.hub_marker()).is_none() {
            return Ok(Health::Down("JupyterHub is not running".into()));
        }
        match self.api(&dir, &ports)?.version().await {
            Ok(version) => Ok(Health::Healthy {
                revision: dir.read_json::<Applied>("applied.json").map(|a| a.revision),
                version,
            }),
            Err(err) => Ok(Health::Down(err.to_string())),
        }
    }

    async fn users(&self, hub: &HubRef) -> Result<Vec<HubUser>> {
        let (dir, ports) = self.placed(hub).ok_or_else(not_created)?;
        self.api(&dir, &ports)?.users().await
    }

    async fn set_admin(&self, hub: &HubRef, user: &str, admin: bool) -> Result<()> {
        let (dir, ports) = self.placed(hub).ok_or_else(not_created)?;
        self.api(&dir, &ports)?.set_admin(user, admin).await
    }

    async fn remove_user(&self, hub: &HubRef, user: &str) -> Result<()> {
        let (dir, ports) = self.placed(hub).ok_or_else(not_created)?;
        self.api(&dir, &ports)?.remove_user(user).await
    }
}

fn not_created() -> ProvisionError {
    ProvisionError::Rejected("the hub was never created".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(ports: Option<(u16, u16)>) -> (LocalBackend, PathBuf) {
        let root = std::env::temp_dir().join(format!("stoa-local-{}", random_hex(6)));
        let backend = LocalBackend::new(LocalSettings {
            hubs_dir: root.clone(),
            ports,
            ..LocalSettings::default()
        });
        (backend, root)
    }

    #[tokio::test]
    async fn create_places_a_hub_once_on_its_own_host_with_private_secrets() {
        use std::os::unix::fs::PermissionsExt as _;
        let (backend, root) = backend(None);
        let hub = HubRef {
            id: 1,
            slug: "ocean-lab".into(),
        };
        let first = backend.create(&hub).await.unwrap();
        let again = backend.create(&hub).await.unwrap();
        assert_eq!(first, again, "the address never changes");
        assert!(
            first.url.starts_with("http://ocean-lab.hub.localhost:"),
            "{}",
            first.url
        );
        assert_eq!(
            first.oauth_callback(),
            format!("{}/hub/oauth_callback", first.url)
        );
        let secrets = root.join("ocean-lab/secrets");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secrets), 0o700);
        for name in ["cookie_secret", "proxy_token", "api_token", "crypt_key"] {
            let path = secrets.join(name);
            assert_eq!(mode(&path), 0o600, "{name}");
            assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 64, "{name}");
        }
        assert_eq!(backend.health(&hub).await.unwrap(), Health::Absent);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn hubs_get_distinct_ports_within_the_range() {
        let (backend, root) = backend(Some((20100, 20108)));
        let mut urls = Vec::new();
        for (id, slug) in [(1, "a"), (2, "b")] {
            let hub = HubRef {
                id,
                slug: slug.into(),
            };
            urls.push(backend.create(&hub).await.unwrap().url);
        }
        assert_ne!(
            urls[0].rsplit(':').next(),
            urls[1].rsplit(':').next(),
            "{urls:?}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn a_full_range_is_a_clear_transient_error() {
        let (backend, root) = backend(Some((20200, 20202)));
        let a = HubRef {
            id: 1,
            slug: "a".into(),
        };
        let b = HubRef {
            id: 2,
            slug: "b".into(),
        };
        backend.create(&a).await.unwrap();
        let err = backend.create(&b).await.unwrap_err();
        assert!(err.is_transient());
        assert!(err.to_string().contains("no free ports"), "{err}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
