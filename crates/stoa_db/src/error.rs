/// What can go wrong in the store. Callers match on the first variants; the rest are
/// operational failures that the web layer turns into an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint refused the write (for example a slug already taken).
    #[error("conflicts with an existing record")]
    Conflict,
    /// The database URL or pool settings are unusable.
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// Applying or reverting migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other driver error (connection lost, bad SQL, ...).
    #[error("database error")]
    Sqlx(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Conflict,
            _ => DbError::Sqlx(err),
        }
    }
}

/// `error: cause: cause …` on one line, for logs: the whole chain, once, where it is handled.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
