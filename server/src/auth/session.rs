//! Sessions: tower-sessions with the sqlx store in Stoa's own database, so restarts keep
//! people signed in and replicas share sessions.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use stoa_db::accounts::AccountId;
use stoa_db::{Db, Timestamp};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::Settings;

/// The session store for whichever engine Stoa runs on (tables from Stoa's migrations).
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite: sessions are loaded on the read pool and written through the single writer
    /// connection. Loading happens on every request with a session cookie and writing only
    /// when the session changed (sign-in, sign-out, the hourly last-seen refresh), so reads
    /// must not queue behind the writer (and behind every other write of the portal).
    Sqlite {
        /// Store on the read pool (`load`).
        read: SqliteStore,
        /// Store on the writer (`create`, `save`, `delete`, expiry).
        write: SqliteStore,
    },
    /// PostgreSQL.
    Postgres(PostgresStore),
}

impl Store {
    /// The store on `db`.
    pub fn new(db: &Db) -> Store {
        match (
            db.sqlite_read_pool(),
            db.sqlite_write_pool(),
            db.postgres_pool(),
        ) {
            (Some(read), Some(write), _) => Store::Sqlite {
                read: SqliteStore::new(read.clone()),
                write: SqliteStore::new(write.clone()),
            },
            (_, _, Some(pool)) => Store::Postgres(PostgresStore::new(pool.clone())),
            _ => unreachable!("a Db is SQLite or PostgreSQL"),
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite { write, .. } => write.create(record).await,
            Store::Postgres(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite { write, .. } => write.save(record).await,
            Store::Postgres(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Store::Sqlite { read, .. } => read.load(id).await,
            Store::Postgres(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite { write, .. } => write.delete(id).await,
            Store::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Store::Sqlite { write, .. } => write.delete_expired().await,
            Store::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// The cookie name: with https the `__Host-` prefix pins it to this host, path `/` and
/// Secure, so a sibling subdomain cannot set or shadow it.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-stoa_session"
    } else {
        "stoa_session"
    }
}

/// The session layer: HttpOnly, SameSite=Lax, Secure over https, idle expiry from config.
pub fn layer(db: &Db, settings: &Settings) -> SessionManagerLayer<Store> {
    let idle = tower_sessions::cookie::time::Duration::minutes(
        i64::try_from(settings.session_idle_timeout_mins).unwrap_or(i64::MAX / 60),
    );
    SessionManagerLayer::new(Store::new(db))
        .with_name(cookie_name(settings.is_https()))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// How stale the recorded last-seen time may get before a request refreshes it. The idle
/// timeout slides only when the session is saved, and tower-sessions saves only changed
/// sessions: without a refresh an active person was signed out one idle timeout after
/// signing in. Refreshing at most hourly keeps that to one session write an hour per person.
pub const LAST_SEEN_REFRESH: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// What a signed-in session holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    /// Who.
    pub account_id: AccountId,
    /// The account's session epoch at sign-in.
    pub epoch: i64,
    /// When (for the absolute timeout).
    pub signed_in_at: Timestamp,
    /// When a request last used it, to within [`LAST_SEEN_REFRESH`] (for the idle timeout).
    /// Absent in sessions made before it existed: then the sign-in time.
    #[serde(default)]
    pub last_seen_at: Option<Timestamp>,
}

impl SessionAuth {
    /// When the session was last seen.
    pub fn last_seen(&self) -> Timestamp {
        self.last_seen_at.unwrap_or(self.signed_in_at)
    }
}

const AUTH_KEY: &str = "auth";
const OIDC_STATE_KEY: &str = "oidc_state";

/// Typed access to Stoa's session keys.
pub struct AuthSession(pub Session);

impl AuthSession {
    /// The signed-in account, as stored.
    pub async fn auth(&self) -> Result<Option<SessionAuth>, tower_sessions::session::Error> {
        self.0.get(AUTH_KEY).await
    }

    /// Signs in: a new session id (the old one stops working), then the account.
    pub async fn sign_in(
        &self,
        account: AccountId,
        epoch: i64,
        now: Timestamp,
    ) -> Result<(), tower_sessions::session::Error> {
        self.0.remove_value(OIDC_STATE_KEY).await?;
        self.0.cycle_id().await?;
        self.0
            .insert(
                AUTH_KEY,
                SessionAuth {
                    account_id: account,
                    epoch,
                    signed_in_at: now,
                    last_seen_at: Some(now),
                },
            )
            .await
    }

    /// Records that the session is in use at `now` if the recorded time is older than
    /// [`LAST_SEEN_REFRESH`]; the change makes tower-sessions save the session, which also
    /// slides its expiry and the cookie's.
    pub async fn touch(
        &self,
        stored: &SessionAuth,
        now: Timestamp,
    ) -> Result<(), tower_sessions::session::Error> {
        if stored.last_seen() + LAST_SEEN_REFRESH > now {
            return Ok(());
        }
        let mut updated = stored.clone();
        updated.last_seen_at = Some(now);
        self.0.insert(AUTH_KEY, updated).await
    }

    /// Remembers the state of a provider sign-in this browser started.
    pub async fn set_oidc_state(&self, state: &str) -> Result<(), tower_sessions::session::Error> {
        self.0.insert(OIDC_STATE_KEY, state).await
    }

    /// Takes (removes) the remembered provider state.
    pub async fn take_oidc_state(&self) -> Result<Option<String>, tower_sessions::session::Error> {
        self.0.remove(OIDC_STATE_KEY).await
    }

    /// Ends the session: its record is deleted and the cookie cleared.
    pub async fn sign_out(&self) -> Result<(), tower_sessions::session::Error> {
        self.0.flush().await
    }
}
