//! Typed configuration: defaults, then an optional `stoa.toml`, then environment variables.
//!
//! Every key of [`Settings`] can be set in the file (`listen = "0.0.0.0:3000"`) or as
//! `STOA_<KEY>` in the environment (`STOA_LISTEN=0.0.0.0:3000`). `DATABASE_URL` is also read
//! under its conventional name. Secrets can come from a file instead: `STOA_<KEY>_FILE`
//! names a file whose content (without the trailing newline) is the value, for container
//! secrets that must not sit in the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Keys of [`Settings`], for telling known `STOA_*` variables from typos.
const KEYS: &[&str] = &[
    "listen",
    "database_url",
    "database_max_connections",
    "public_url",
    "site_root",
    "log_format",
    "log_filter",
    "request_timeout_secs",
    "shutdown_timeout_secs",
    "session_idle_timeout_mins",
    "session_absolute_timeout_hours",
    "smtp_url",
    "mail_from",
    "mail_per_community_per_day",
    "mail_per_account_per_day",
    "mail_per_day",
    "invitation_resend_cooldown_mins",
    "trusted_proxies",
    "proxy_header",
    "rate_limit_per_minute",
    "oidc_metadata_ttl_secs",
    "communities_per_account_per_day",
    "run_jobs",
    "job_lease_secs",
    "job_workers",
    "hubs",
    "support",
    "secret_key",
    "stripe_secret_key",
    "stripe_webhook_secrets",
    "stripe_api_url",
];

/// Keys whose value may come from `STOA_<KEY>_FILE`.
const SECRET_KEYS: &[&str] = &[
    "database_url",
    "smtp_url",
    "secret_key",
    "stripe_secret_key",
    "stripe_webhook_secrets",
];

/// Environment variables with the `STOA_` prefix that are not settings.
const NOT_SETTINGS: &[&str] = &[
    "STOA_CONFIG",
    "STOA_TEST_POSTGRES_URL",
    "STOA_TEST_OIDC_ISSUER",
    "STOA_TEST_SMTP_URL",
    "STOA_TEST_MAILDEV_URL",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event (development).
    #[default]
    Pretty,
    /// One JSON object per event (production log pipelines).
    Json,
}

/// Which header a trusted reverse proxy records the client address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, HAProxy, Traefik, Caddy, most load
    /// balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// Stoa's configuration. Defaults suit a developer laptop.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on. `STOA_LISTEN`, default `127.0.0.1:3000`.
    pub listen: SocketAddr,
    /// Where data lives: `sqlite://path/file.db` (created if missing) or
    /// `postgres://user:password@host/db`. `DATABASE_URL` or `STOA_DATABASE_URL`
    /// (or `STOA_DATABASE_URL_FILE`), default `sqlite://data/stoa.db`. Never logged.
    pub database_url: SecretString,
    /// Most database connections per process (for reads, on SQLite). Default 8.
    pub database_max_connections: u32,
    /// The URL people reach Stoa at; decides secure cookies and HSTS. Default
    /// `http://127.0.0.1:3000`.
    pub public_url: String,
    /// Folder with the compiled site (`pkg/stoa.js`, `pkg/stoa_bg.wasm`, `pkg/stoa.css`
    /// and public assets). Default `target/site`.
    pub site_root: PathBuf,
    /// `pretty` (default) or `json`. `STOA_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// Which events to log, in `tracing` filter syntax; `RUST_LOG` overrides it. Default
    /// `info`.
    pub log_filter: String,
    /// A request taking longer is answered with 408 and dropped. Default 30.
    pub request_timeout_secs: u64,
    /// On SIGTERM/SIGINT, how long in-flight requests may take to finish. Default 30.
    pub shutdown_timeout_secs: u64,
    /// A session unused this long is signed out. Default 10080 (7 days).
    pub session_idle_timeout_mins: u64,
    /// A session this old is signed out however active. Default 720 (30 days).
    pub session_absolute_timeout_hours: u64,
    /// SMTP server for sign-in links and notices: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS), or `smtp://host:1025` (no TLS: a
    /// relay on the same machine only).
    /// Unset: links are written to the server log instead (development only).
    /// `STOA_SMTP_URL` or `STOA_SMTP_URL_FILE`. Never logged.
    pub smtp_url: Option<SecretString>,
    /// Sender of Stoa's mail. Default `Stoa <no-reply@stoa.localhost>`.
    pub mail_from: String,
    /// New communities one account may sign up in any 24 hours; more are refused with a
    /// message (so Stoa cannot be used to mint communities for sending invitations). Default 3.
    pub communities_per_account_per_day: i64,
    /// OpenID Connect providers people can sign in with, in the order shown (config file
    /// only: `[[oidc_providers]]`). Secrets: `STOA_OIDC_<ID>_CLIENT_SECRET`, or
    /// `client_secret_file`.
    pub oidc_providers: Vec<OidcProviderSettings>,
    /// Invitation mail one community may have sent per UTC day, resends included; staff can
    /// raise it for one community (`/staff/communities`). Default 500: one full paste, a
    /// large course, a day. `STOA_MAIL_PER_COMMUNITY_PER_DAY`.
    pub mail_per_community_per_day: i64,
    /// Invitation mail one account may have sent per UTC day across every community and
    /// institution it manages, so that making more communities does not make more mail
    /// (never below the limit of the community the mail is for). Default 1000.
    /// `STOA_MAIL_PER_ACCOUNT_PER_DAY`.
    pub mail_per_account_per_day: i64,
    /// Invitation mail all of Stoa may send per UTC day: size it to the SMTP relay's quota.
    /// Sign-in links and notices are not counted. Default 10000. `STOA_MAIL_PER_DAY`.
    pub mail_per_day: i64,
    /// Minutes before the same invitation may be sent again. Default 10.
    /// `STOA_INVITATION_RESEND_COOLDOWN_MINS`.
    pub invitation_resend_cooldown_mins: i64,
    /// Reverse proxies (addresses or CIDR blocks, e.g. `["10.0.0.0/8", "127.0.0.1"]`) whose
    /// [`Settings::proxy_header`] is believed. The client address (rate limits) is the
    /// TCP peer's, unless the peer is listed here: then it is the rightmost address in the
    /// header that is not a listed proxy. Default empty: headers are ignored, so nobody can
    /// claim another address by sending one. In the file an array; in the environment a
    /// comma-separated list, `STOA_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1"`.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies write: `x-forwarded-for` (default) or `forwarded`.
    /// Only the one the proxy sets (appends to) is safe; a header it passes through
    /// untouched is whatever the client wrote.
    pub proxy_header: ProxyHeader,
    /// Requests per minute one client (an IPv4 address or an IPv6 /64) may make to each
    /// class of unauthenticated endpoint (starting a sign-in, finishing one), counted in
    /// the database so the limit holds across processes. Over it: 429 with `Retry-After`.
    /// Default 30. Raise it when many people share one address (a campus NAT without
    /// [`Settings::trusted_proxies`]).
    pub rate_limit_per_minute: u32,
    /// How long the providers' discovery documents and keys are reused before they are
    /// fetched again. An ID token signed with a key Stoa has not seen fetches the keys
    /// anew at once (at most once a minute), so rotation does not wait for this. Default
    /// 3600.
    pub oidc_metadata_ttl_secs: u64,
    /// Whether this process runs the background work: the job queue (mail) and membership
    /// ends and notices. Default true. Several processes sharing one database may all run
    /// it (each job is claimed by one of them); turn it off for web-only processes, as long
    /// as at least one process runs it, or invitations are never mailed. `STOA_RUN_JOBS`.
    pub run_jobs: bool,
    /// How long a claimed job is reserved for its worker, in seconds; the worker renews the
    /// lease every third of it while the job runs, so this bounds how long a job of a killed
    /// process waits before another takes it over, not how long a job may take. Default 30.
    pub job_lease_secs: u64,
    /// Background workers in this process (jobs of different hubs run side by side; one
    /// hub's run one at a time). Default 2.
    pub job_workers: usize,
    /// Hubs (config file only, `[hubs]`): the machine sizes communities choose from
    /// (`[[hubs.sizes]]` with `id`, `label`, `cpu_millis`, `memory_bytes`), the default bounds
    /// every community works within (`[hubs.bounds]`; staff override them per community on
    /// its hub page), and the image a new hub starts with (`default_image`). Each part has a
    /// default; name only what changes.
    pub hubs: stoa_domain::hubs::HubConfig,
    /// Plans and money (config file only, `[billing]`): `currency` (ISO 4217, default
    /// `eur`), `trial_days`, `default_plan`, and `[[billing.plans]]` each with `id`, `name`,
    /// `summary`, `annual_fee` (in the currency's minor unit: cents), `included_hubs`,
    /// `support`, `usage.bands` (`[{ up_to = 10, unit_amount = 0 }, { unit_amount = 200 }]`),
    /// `usage.monthly_cap`, and `[billing.plans.bounds]` (what hub settings may use; the
    /// `[hubs.bounds]` names). Stoa refuses to start on a plan it cannot price.
    pub billing: stoa_domain::billing::BillingConfig,
    /// The support desk (config file only, `[support]`): the team's `time_zone` (IANA name),
    /// `business_days` (`["mon", …, "fri"]`), `opens` and `closes` (`"09:00"`, `"17:00"`),
    /// `holidays` (`["2026-12-25"]`), `reopen_days` (how long a member's reply reopens a
    /// resolved ticket), and `[support.targets.<plan>.<impact>]` with `first_response` and
    /// `resolution` in business time (`"4h"`, `"30m"`), for every plan and impact. Stoa
    /// refuses to start on a plan without targets.
    pub support: stoa_domain::support::SupportConfig,
    /// 32 bytes, as 64 hex digits or base64, that encrypt what Stoa keeps for hub login and
    /// must read back (the hubs' client secrets, the keys ID tokens are signed with).
    /// `STOA_SECRET_KEY` or `STOA_SECRET_KEY_FILE`. Unset with the embedded SQLite database:
    /// made once into `stoa-secret.key` beside the database file (mode 0600). Required with
    /// PostgreSQL (Stoa refuses to start without it). Never logged. Replacing it makes the
    /// stored client secrets and signing keys unreadable: hubs must then be provisioned
    /// again (new secrets) and the keys rotated.
    pub secret_key: Option<SecretString>,
    /// Stripe's secret API key (`sk_live_…`, `sk_test_…`): cards through Checkout, the
    /// Customer Portal and usage fees on Stripe invoices. Unset: manual billing (staff record
    /// invoices and payments). `STOA_STRIPE_SECRET_KEY` or `STOA_STRIPE_SECRET_KEY_FILE`.
    /// Never logged.
    pub stripe_secret_key: Option<SecretString>,
    /// The webhook endpoint's signing secrets (`whsec_…`), separated by commas: during a
    /// rotation both the old and the new one. Required with `stripe_secret_key`.
    /// `STOA_STRIPE_WEBHOOK_SECRETS` or `STOA_STRIPE_WEBHOOK_SECRETS_FILE`. Never logged.
    pub stripe_webhook_secrets: Option<SecretString>,
    /// Where the Stripe API is (default `https://api.stripe.com`; a test peer's address in
    /// tests).
    pub stripe_api_url: String,
}

/// One OpenID Connect provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderSettings {
    /// Short id used in URLs: lowercase letters, digits and `-`.
    pub id: String,
    /// Button label, e.g. "CILogon" or "University Keycloak".
    pub display_name: String,
    /// Issuer URL; discovery must report exactly this issuer.
    pub issuer_url: String,
    /// Client id registered with the provider.
    pub client_id: String,
    /// Client secret. Prefer `STOA_OIDC_<ID>_CLIENT_SECRET` or `client_secret_file`.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// File holding the client secret.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes to ask for. Default `openid email profile`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Believe the verified email addresses this provider asserts: a sign-in whose address
    /// belongs to an existing account signs in to that account, and new accounts get the
    /// address. Only for providers that really verify addresses (an institution's own,
    /// CILogon). Default false: the address is shown on the identity but links nothing;
    /// when it belongs to an existing account the sign-in is refused with a message telling
    /// the person to sign in as before and link the provider on the account page.
    #[serde(default)]
    pub trust_email: bool,
}

/// A list, or one string of comma-separated items (what an environment variable holds).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Many(items) => items,
    })
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

impl Default for Settings {
    fn default() -> Self {
        let defaults = stoa_domain::limits::Limits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: SecretString::from("sqlite://data/stoa.db"),
            database_max_connections: 8,
            public_url: "http://127.0.0.1:3000".into(),
            site_root: PathBuf::from("target/site"),
            log_format: LogFormat::Pretty,
            log_filter: "info".into(),
            request_timeout_secs: 30,
            shutdown_timeout_secs: 30,
            session_idle_timeout_mins: 7 * 24 * 60,
            session_absolute_timeout_hours: 30 * 24,
            smtp_url: None,
            mail_from: "Stoa <no-reply@stoa.localhost>".into(),
            communities_per_account_per_day: 3,
            oidc_providers: Vec::new(),
            mail_per_community_per_day: defaults.mail_per_community_per_day,
            mail_per_account_per_day: defaults.mail_per_account_per_day,
            mail_per_day: defaults.mail_per_day,
            invitation_resend_cooldown_mins: defaults.resend_cooldown.num_minutes(),
            trusted_proxies: Vec::new(),
            proxy_header: ProxyHeader::XForwardedFor,
            rate_limit_per_minute: 30,
            oidc_metadata_ttl_secs: 3600,
            run_jobs: true,
            job_lease_secs: 30,
            job_workers: 2,
            hubs: stoa_domain::hubs::HubConfig::default(),
            billing: stoa_domain::billing::BillingConfig::default(),
            support: stoa_domain::support::SupportConfig::default(),
            secret_key: None,
            stripe_secret_key: None,
            stripe_webhook_secrets: None,
            stripe_api_url: "https://api.stripe.com".into(),
        }
    }
}

/// Settings plus what was noticed while reading them.
#[derive(Debug)]
pub struct Loaded {
    /// The effective settings.
    pub settings: Settings,
    /// Problems worth telling the operator about that do not stop Stoa.
    pub warnings: Vec<String>,
}

/// Configuration errors, worded for the person who has to fix them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file or a variable has a bad value.
    #[error("{0}")]
    Invalid(String),
    /// A `*_FILE` secret could not be read.
    #[error("cannot read {var} ({path}): {source}")]
    SecretFile {
        /// The variable naming the file.
        var: String,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl Settings {
    /// Reads settings from `file` (if given, it must exist; else `stoa.toml` if present) and
    /// from the process environment.
    pub fn load(file: Option<&Path>) -> Result<Loaded, ConfigError> {
        Self::load_from(file, std::env::vars().collect())
    }

    /// Like [`Settings::load`] with an explicit environment (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: Vec<(String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let mut warnings = Vec::new();
        let mut figment = Figment::new();
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("stoa.toml").exists() => {
                figment = figment.merge(Toml::file_exact("stoa.toml"))
            }
            None => {}
        }

        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        if let Some(url) = lookup("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        for (name, _) in &env {
            let Some(key) = name.strip_prefix("STOA_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            let is_file = key
                .strip_suffix("_file")
                .is_some_and(|k| SECRET_KEYS.contains(&k));
            let is_oidc_secret = key.starts_with("oidc_") && key.ends_with("_client_secret");
            if !KEYS.contains(&key.as_str())
                && !is_file
                && !is_oidc_secret
                && !NOT_SETTINGS.contains(&name.as_str())
            {
                warnings.push(format!("ignoring unknown environment variable {name}"));
            }
        }
        for (name, value) in &env {
            let Some(key) = name.strip_prefix("STOA_").map(str::to_ascii_lowercase) else {
                continue;
            };
            if KEYS.contains(&key.as_str()) {
                // Parsed like figment's own Env provider: "5" is a number, "true" a bool.
                let value: figment::value::Value = value
                    .parse()
                    .unwrap_or_else(|e: std::convert::Infallible| match e {});
                figment = figment.merge(Serialized::default(&key, value));
            }
        }
        for key in SECRET_KEYS {
            let var = format!("STOA_{}_FILE", key.to_ascii_uppercase());
            if let Some(path) = lookup(&var) {
                let content =
                    std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
                        var: var.clone(),
                        path: path.clone(),
                        source,
                    })?;
                let value = content
                    .strip_suffix('\n')
                    .unwrap_or(&content)
                    .trim_end_matches('\r');
                figment = figment.merge(Serialized::default(key, value));
            }
        }

        let mut settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(describe_figment_error(e)))?;
        for provider in &mut settings.oidc_providers {
            let var = format!(
                "STOA_OIDC_{}_CLIENT_SECRET",
                provider.id.to_ascii_uppercase().replace('-', "_")
            );
            if let Some(secret) = lookup(&var) {
                provider.client_secret = Some(SecretString::from(secret));
            } else if let Some(path) = &provider.client_secret_file {
                let content =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                        var: format!("oidc_providers.{}.client_secret_file", provider.id),
                        path: path.display().to_string(),
                        source,
                    })?;
                provider.client_secret = Some(SecretString::from(content.trim_end().to_owned()));
            }
        }
        settings.validate(&mut warnings)?;
        Ok(Loaded { settings, warnings })
    }

    /// The webhook signing secrets, in the order given.
    pub fn webhook_secrets(&self) -> Vec<SecretString> {
        self.stripe_webhook_secrets
            .as_ref()
            .map(|all| {
                all.expose_secret()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| SecretString::from(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn validate(&self, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let url = self.database_url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(format!(
                "database_url must start with sqlite:// or postgres:// (got {})",
                redact_url(url)
            )));
        }
        if let Some(key) = &self.secret_key
            && stoa_auth::SecretBox::from_key_text(key.expose_secret()).is_err()
        {
            return Err(ConfigError::Invalid(
                "secret_key must be 32 bytes written as 64 hex digits or in base64 \
                 (make one with `openssl rand -hex 32`)"
                    .into(),
            ));
        }
        if self.stripe_secret_key.is_some() && self.webhook_secrets().is_empty() {
            return Err(ConfigError::Invalid(
                "stripe_secret_key is set but stripe_webhook_secrets is not: Stoa learns of \
                 payments only through signed webhooks (set STOA_STRIPE_WEBHOOK_SECRETS to the \
                 endpoint's whsec_… secret)"
                    .into(),
            ));
        }
        // The key travels in each request: https, or plain http to this machine only.
        let api_ok = url::Url::parse(&self.stripe_api_url).is_ok_and(|u| {
            u.scheme() == "https"
                || (u.scheme() == "http"
                    && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
        });
        if self.stripe_secret_key.is_some() && !api_ok {
            return Err(ConfigError::Invalid(format!(
                "stripe_api_url must be https:// (or http:// on this machine, for a test peer); got {}",
                self.stripe_api_url
            )));
        }
        let billing = self.billing.problems();
        if !billing.is_empty() {
            let all: Vec<String> = billing.into_iter().map(|p| p.0).collect();
            return Err(ConfigError::Invalid(all.join("; ")));
        }
        if let Err(problems) = stoa_domain::support::Desk::new(self.support.clone(), &self.billing)
        {
            return Err(ConfigError::Invalid(problems.join("; ")));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections must be at least 1".into(),
            ));
        }
        let public_url = url::Url::parse(&self.public_url);
        if !public_url.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
            return Err(ConfigError::Invalid(format!(
                "public_url must be an http:// or https:// URL (got {:?})",
                self.public_url
            )));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "request_timeout_secs must be at least 1".into(),
            ));
        }
        if let Some(smtp) = &self.smtp_url {
            let url = smtp.expose_secret();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::Invalid(format!(
                    "smtp_url must start with smtp:// or smtps:// (got {})",
                    redact_url(url)
                )));
            }
        } else if self.is_https() {
            // Without SMTP, sign-in and invitation links go to the log: whoever reads the
            // logs could sign in as anyone. Acceptable on a developer's machine only.
            return Err(ConfigError::Invalid(format!(
                "smtp_url is not set, but public_url ({}) is https://: without SMTP, sign-in \
                 and invitation links are written to the log, which is for local development \
                 only. Set smtp_url (STOA_SMTP_URL or STOA_SMTP_URL_FILE), e.g. \
                 smtp://user:password@mail.example.org:587?tls=required",
                self.public_url
            )));
        } else {
            warnings.push(
                "smtp_url is not set: sign-in links are written to the server log instead of being \
                 mailed (development only)"
                    .into(),
            );
        }
        if self.hubs.local.user_server_user.is_none() && nix::unistd::Uid::effective().is_root() {
            warnings.push(
                "Stoa runs as root and hubs.local.user_server_user is not set: people's servers \
                 on local hubs run as root and could read Stoa's database and keys; set it to an \
                 unprivileged account (e.g. `useradd --system stoa-hubuser`) unless every hub \
                 user is trusted"
                    .into(),
            );
        }
        if self.job_workers == 0 || self.job_lease_secs < 3 {
            return Err(ConfigError::Invalid(
                "job_workers must be at least 1 and job_lease_secs at least 3".into(),
            ));
        }
        for (key, value) in [
            (
                "mail_per_community_per_day",
                self.mail_per_community_per_day,
            ),
            ("mail_per_account_per_day", self.mail_per_account_per_day),
            ("mail_per_day", self.mail_per_day),
        ] {
            if !(1..=1_000_000_000).contains(&value) {
                return Err(ConfigError::Invalid(format!(
                    "{key} must be between 1 and 1000000000 (got {value})"
                )));
            }
        }
        if !(0..=7 * 24 * 60).contains(&self.invitation_resend_cooldown_mins) {
            return Err(ConfigError::Invalid(format!(
                "invitation_resend_cooldown_mins must be between 0 and 10080 (got {})",
                self.invitation_resend_cooldown_mins
            )));
        }
        self.trusted_proxy_nets()?;
        if self.rate_limit_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "rate_limit_per_minute must be at least 1".into(),
            ));
        }
        if self.communities_per_account_per_day < 1 {
            return Err(ConfigError::Invalid(
                "communities_per_account_per_day must be at least 1".into(),
            ));
        }
        if self.session_idle_timeout_mins == 0 || self.session_absolute_timeout_hours == 0 {
            return Err(ConfigError::Invalid(
                "session timeouts must be at least 1".into(),
            ));
        }
        self.check_hubs()?;
        let mut seen = std::collections::HashSet::new();
        for p in &self.oidc_providers {
            let valid_id = !p.id.is_empty()
                && p.id.len() <= 32
                && p.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_id {
                return Err(ConfigError::Invalid(format!(
                    "oidc_providers: id {:?} must be 1-32 lowercase letters, digits or '-'",
                    p.id
                )));
            }
            if !seen.insert(p.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "oidc_providers: id {:?} appears twice",
                    p.id
                )));
            }
            if url::Url::parse(&p.issuer_url).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "oidc_providers.{}: issuer_url is not a URL",
                    p.id
                )));
            }
            if p.client_secret.is_none() {
                return Err(ConfigError::Invalid(format!(
                    "oidc_providers.{}: no client secret (set STOA_OIDC_{}_CLIENT_SECRET or client_secret_file)",
                    p.id,
                    p.id.to_ascii_uppercase().replace('-', "_")
                )));
            }
            if !p.scopes.iter().any(|s| s == "openid") {
                return Err(ConfigError::Invalid(format!(
                    "oidc_providers.{}: scopes must include openid",
                    p.id
                )));
            }
        }
        if !self.site_root.join("pkg").is_dir() {
            warnings.push(format!(
                "site_root {} has no pkg/ folder: pages will render without styles or \
                 interactivity until the site is built (make build)",
                self.site_root.display()
            ));
        }
        Ok(())
    }

    /// `scheme://host[:port]` of [`Settings::public_url`], for same-origin checks.
    pub fn public_origin(&self) -> String {
        url::Url::parse(&self.public_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| self.public_url.trim_end_matches('/').to_owned())
    }

    /// The hub configuration must offer at least one size, each with a unique id, and start
    /// new hubs on a valid image: a community could otherwise not save any settings.
    fn check_hubs(&self) -> Result<(), ConfigError> {
        let hubs = &self.hubs;
        if hubs.sizes.is_empty() {
            return Err(ConfigError::Invalid(
                "hubs.sizes must list at least one size".into(),
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for size in &hubs.sizes {
            if size.id.trim().is_empty() || !ids.insert(size.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "hubs.sizes: id {:?} is empty or appears twice",
                    size.id
                )));
            }
            if size.cpu_millis == 0 || size.memory_bytes == 0 {
                return Err(ConfigError::Invalid(format!(
                    "hubs.sizes.{}: cpu_millis and memory_bytes must be above 0",
                    size.id
                )));
            }
        }
        stoa_hubs::check_image_reference(&hubs.default_image)
            .map_err(|e| ConfigError::Invalid(format!("hubs.default_image: {e}")))?;
        Ok(())
    }

    /// The abuse limits handed to the domain services.
    pub fn limits(&self) -> stoa_domain::limits::Limits {
        stoa_domain::limits::Limits {
            mail_per_community_per_day: self.mail_per_community_per_day,
            mail_per_account_per_day: self.mail_per_account_per_day,
            mail_per_day: self.mail_per_day,
            resend_cooldown: chrono::TimeDelta::minutes(self.invitation_resend_cooldown_mins),
            communities_per_account_per_day: self.communities_per_account_per_day,
        }
    }

    /// True when Stoa is reached over https (secure cookies, HSTS).
    pub fn is_https(&self) -> bool {
        url::Url::parse(&self.public_url).is_ok_and(|u| u.scheme() == "https")
    }

    /// [`Settings::trusted_proxies`] parsed; a plain address is a one-address block.
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::Invalid(format!(
                            "trusted_proxies: {entry:?} is not an IP address or CIDR block \
                             (like 10.0.0.0/8 or 2001:db8::/32)"
                        ))
                    })
            })
            .collect()
    }

    /// The database URL with any password replaced, safe to print.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

/// Replaces the password (and any query string, which may carry credentials) in a URL.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable URL>".into();
    };
    let rest = rest.split('?').next().unwrap_or_default();
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        None => rest.to_string(),
    };
    format!("{scheme}://{rest}")
}

fn describe_figment_error(err: figment::Error) -> String {
    err.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            if key.is_empty() {
                e.kind.to_string()
            } else {
                format!("setting `{key}`: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_file_or_env() {
        let loaded = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(loaded.settings.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(
            loaded.settings.database_url.expose_secret(),
            "sqlite://data/stoa.db"
        );
    }

    #[test]
    fn environment_overrides_and_is_typed() {
        let loaded = Settings::load_from(
            None,
            env(&[
                ("STOA_LISTEN", "127.0.0.1:0"),
                ("DATABASE_URL", "postgres://u:hunter2@db/stoa"),
                ("STOA_REQUEST_TIMEOUT_SECS", "5"),
                ("STOA_LOG_FORMAT", "json"),
                ("STOA_LISTNE", "typo"),
            ]),
        )
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.request_timeout_secs, 5);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.database_url_redacted(), "postgres://u:***@db/stoa");
        assert!(loaded.warnings.iter().any(|w| w.contains("STOA_LISTNE")));
        assert!(
            !format!("{s:?}").contains("hunter2"),
            "Debug must not show the password"
        );
    }

    #[test]
    fn plans_come_from_the_file_and_one_that_cannot_be_priced_stops_stoa() {
        let dir = std::env::temp_dir().join(format!("stoa-billing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stoa.toml");
        let plan = |bands: &str| {
            format!(
                "[billing]\ncurrency = \"CHF\"\ntrial_days = 14\ndefault_plan = \"course\"\n\
                 [[billing.plans]]\nid = \"course\"\nname = \"Course\"\nannual_fee = 50000\n\
                 included_hubs = 1\nsupport = \"Email\"\nusage.bands = {bands}\n\
                 usage.monthly_cap = 20000\n[billing.plans.bounds]\nmax_event_users = 80\n"
            )
        };
        std::fs::write(
            &file,
            plan("[{ up_to = 20, unit_amount = 0 }, { unit_amount = 250 }]"),
        )
        .unwrap();
        let s = Settings::load_from(Some(&file), Vec::new())
            .unwrap()
            .settings;
        assert_eq!(s.billing.currency.code(), "chf");
        assert_eq!(s.billing.trial_days, 14);
        let course = s.billing.default_plan();
        assert_eq!(course.bounds.max_event_users, Some(80));
        assert_eq!(course.usage.fee(24).total, stoa_billing_money(1_000));
        assert_eq!(course.usage.fee(500).total, stoa_billing_money(20_000));

        std::fs::write(
            &file,
            plan("[{ up_to = 20, unit_amount = 0 }, { up_to = 10, unit_amount = 250 }, { unit_amount = 100 }]"),
        )
        .unwrap();
        let Err(err) = Settings::load_from(Some(&file), Vec::new()) else {
            panic!("a plan that cannot be priced is refused");
        };
        let err = err.to_string();
        assert!(
            err.contains("usage.bands[1].up_to (10) must be above the band before (20)"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn stoa_billing_money(cents: i64) -> stoa_domain::billing::Money {
        stoa_domain::billing::Money(cents)
    }

    #[test]
    fn hubs_come_from_the_file_and_are_checked() {
        let dir = std::env::temp_dir().join(format!("stoa-hubs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stoa.toml");
        let write = |text: &str| std::fs::write(&file, text).unwrap();
        write(
            "[hubs]\ndefault_image = \"quay.io/jupyter/base-notebook:2026-01-01\"\n\
             [hubs.bounds]\nmax_home_quota_gib = 100\n\
             [[hubs.sizes]]\nid = \"tiny\"\nlabel = \"Tiny\"\ncpu_millis = 500\nmemory_bytes = 1073741824\n",
        );
        let s = Settings::load_from(Some(&file), Vec::new())
            .unwrap()
            .settings;
        assert_eq!(s.hubs.sizes.len(), 1);
        assert_eq!(s.hubs.bounds.max_home_quota_gib, 100);
        assert_eq!(
            s.hubs.bounds.max_environments,
            stoa_hubs::Bounds::default().max_environments,
            "bounds not named keep their default"
        );
        for (text, key) in [
            ("[hubs]\nsizes = []\n", "hubs.sizes"),
            (
                "[[hubs.sizes]]\nid = \"a\"\nlabel = \"A\"\ncpu_millis = 1\nmemory_bytes = 1\n\
                 [[hubs.sizes]]\nid = \"a\"\nlabel = \"B\"\ncpu_millis = 1\nmemory_bytes = 1\n",
                "appears twice",
            ),
            (
                "[hubs]\ndefault_image = \"not an image\"\n",
                "hubs.default_image",
            ),
            ("[hubs.bounds]\nmax_home_quota = 3\n", "max_home_quota"),
        ] {
            write(text);
            let err = Settings::load_from(Some(&file), Vec::new()).unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_are_rejected_with_the_key_named() {
        let err = Settings::load_from(None, env(&[("STOA_LISTEN", "not-an-address")])).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = Settings::load_from(None, env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
        let err = Settings::load_from(None, env(&[("STOA_COMMUNITIES_PER_ACCOUNT_PER_DAY", "0")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("communities_per_account_per_day"),
            "{err}"
        );
    }

    #[test]
    fn community_cap_is_configurable() {
        let default = Settings::load_from(None, env(&[])).unwrap().settings;
        assert_eq!(default.limits().communities_per_account_per_day, 3);
        let set = Settings::load_from(None, env(&[("STOA_COMMUNITIES_PER_ACCOUNT_PER_DAY", "7")]))
            .unwrap();
        assert!(set.warnings.iter().all(|w| !w.contains("COMMUNITIES")));
        assert_eq!(set.settings.limits().communities_per_account_per_day, 7);
    }

    #[test]
    fn file_layer_and_secret_files() {
        let dir = std::env::temp_dir().join(format!("stoa-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stoa.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:4000\"\nshutdown_timeout_secs = 3\n",
        )
        .unwrap();
        let secret = dir.join("db-url");
        std::fs::write(&secret, "postgres://a:s3cret@h/d\n").unwrap();
        let loaded = Settings::load_from(
            Some(&file),
            env(&[
                ("STOA_SHUTDOWN_TIMEOUT_SECS", "7"),
                ("STOA_DATABASE_URL_FILE", secret.to_str().unwrap()),
            ]),
        )
        .unwrap();
        assert_eq!(loaded.settings.listen.port(), 4000);
        assert_eq!(loaded.settings.shutdown_timeout_secs, 7, "env beats file");
        assert_eq!(
            loaded.settings.database_url.expose_secret(),
            "postgres://a:s3cret@h/d"
        );
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let err = Settings::load_from(Some(&file), env(&[])).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mail_limits_come_from_the_environment_and_are_checked() {
        let loaded = Settings::load_from(
            None,
            env(&[
                ("STOA_MAIL_PER_COMMUNITY_PER_DAY", "50"),
                ("STOA_MAIL_PER_ACCOUNT_PER_DAY", "60"),
                ("STOA_MAIL_PER_DAY", "70"),
                ("STOA_INVITATION_RESEND_COOLDOWN_MINS", "5"),
            ]),
        )
        .unwrap();
        assert!(loaded.warnings.iter().all(|w| !w.contains("MAIL")));
        let limits = loaded.settings.limits();
        assert_eq!(
            (
                limits.mail_per_community_per_day,
                limits.mail_per_account_per_day,
                limits.mail_per_day,
                limits.resend_cooldown.num_minutes()
            ),
            (50, 60, 70, 5)
        );
        let err = Settings::load_from(None, env(&[("STOA_MAIL_PER_DAY", "0")])).unwrap_err();
        assert!(err.to_string().contains("mail_per_day"), "{err}");
        let err = Settings::load_from(None, env(&[("STOA_INVITATION_RESEND_COOLDOWN_MINS", "-1")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("invitation_resend_cooldown_mins"),
            "{err}"
        );
    }

    #[test]
    fn edge_settings_parse_and_are_checked() {
        let loaded = Settings::load_from(
            None,
            env(&[
                (
                    "STOA_TRUSTED_PROXIES",
                    "10.0.0.0/8, 127.0.0.1,2001:db8::/32",
                ),
                ("STOA_PROXY_HEADER", "forwarded"),
                ("STOA_RATE_LIMIT_PER_MINUTE", "100"),
                ("STOA_OIDC_METADATA_TTL_SECS", "60"),
            ]),
        )
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(s.trusted_proxy_nets().unwrap().len(), 3);
        assert_eq!(s.proxy_header, ProxyHeader::Forwarded);
        assert_eq!(
            (s.rate_limit_per_minute, s.oidc_metadata_ttl_secs),
            (100, 60)
        );
        assert!(
            !loaded.warnings.iter().any(|w| w.contains("STOA_")),
            "the new variables are known: {:?}",
            loaded.warnings
        );
        let err =
            Settings::load_from(None, env(&[("STOA_TRUSTED_PROXIES", "10.0.0.0/33")])).unwrap_err();
        assert!(err.to_string().contains("trusted_proxies"), "{err}");
        let err =
            Settings::load_from(None, env(&[("STOA_RATE_LIMIT_PER_MINUTE", "0")])).unwrap_err();
        assert!(err.to_string().contains("rate_limit_per_minute"), "{err}");
        let dir = std::env::temp_dir().join(format!("stoa-proxies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stoa.toml");
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.1\", \"fd00::/8\"]\n").unwrap();
        let loaded = Settings::load_from(Some(&file), env(&[])).unwrap();
        assert_eq!(loaded.settings.trusted_proxy_nets().unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
        let defaults = Settings::default();
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.proxy_header, ProxyHeader::XForwardedFor);
    }

    #[test]
    fn secret_key_is_checked_and_read_from_a_file() {
        let err = Settings::load_from(None, env(&[("STOA_SECRET_KEY", "too-short")])).unwrap_err();
        assert!(err.to_string().contains("secret_key"), "{err}");
        assert!(
            !err.to_string().contains("too-short"),
            "the value is not echoed"
        );
        let dir = std::env::temp_dir().join(format!("stoa-secret-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        let key = stoa_auth::SecretBox::generate_key_text();
        std::fs::write(&file, format!("{key}\n")).unwrap();
        let loaded = Settings::load_from(
            None,
            env(&[("STOA_SECRET_KEY_FILE", file.to_str().unwrap())]),
        )
        .unwrap();
        assert!(
            !loaded.warnings.iter().any(|w| w.contains("SECRET")),
            "{:?}",
            loaded.warnings
        );
        assert_eq!(
            loaded.settings.secret_key.unwrap().expose_secret(),
            key.as_str()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn https_needs_smtp() {
        let https = ("STOA_PUBLIC_URL", "https://stoa.example.org");
        let err = Settings::load_from(None, env(&[https])).unwrap_err();
        assert!(err.to_string().contains("smtp_url is not set"), "{err}");
        let ok = Settings::load_from(None, env(&[https, ("STOA_SMTP_URL", "smtp://relay:25")]));
        assert!(ok.is_ok());
    }

    #[test]
    fn redacts_urls() {
        assert_eq!(redact_url("sqlite://data/stoa.db"), "sqlite://data/stoa.db");
        assert_eq!(
            redact_url("postgres://u:p@h:5432/db?sslpassword=x"),
            "postgres://u:***@h:5432/db"
        );
    }
}
