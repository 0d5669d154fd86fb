use stoa_db::DbError;
use stoa_model::{Decision, Invalid};

/// Why a service refused or failed. The first variants are answers for the person (the web
/// layer maps them to 401/403/404/422 with these messages); `Store` is an operational failure
/// the web layer logs with its cause chain and answers with an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Nothing there, or nothing the caller may know exists.
    #[error("not found")]
    NotFound,
    /// Signing in is needed.
    #[error("sign in first")]
    SignIn,
    /// Known to exist, not allowed.
    #[error("not allowed")]
    Forbidden,
    /// The input broke a rule; one message per field.
    #[error("{0}")]
    Invalid(Invalid),
    /// The store failed.
    #[error("store failure")]
    Store(#[source] DbError),
}

impl DomainError {
    /// One message for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DomainError::Invalid(Invalid::field(field, message))
    }

    /// The refusal that goes with a policy decision (`None` for Allow).
    pub fn from_decision(decision: Decision) -> Option<Self> {
        match decision {
            Decision::Allow => None,
            Decision::SignIn => Some(DomainError::SignIn),
            Decision::NotFound => Some(DomainError::NotFound),
            Decision::Forbidden => Some(DomainError::Forbidden),
        }
    }
}

impl From<Invalid> for DomainError {
    fn from(invalid: Invalid) -> Self {
        DomainError::Invalid(invalid)
    }
}

impl From<DbError> for DomainError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => DomainError::NotFound,
            // A uniqueness check that passed was overtaken by a concurrent request; nothing
            // was changed (the transaction rolls back).
            DbError::Conflict => DomainError::invalid(
                "form",
                "This was changed at the same moment elsewhere. Please try again.",
            ),
            other => DomainError::Store(other),
        }
    }
}
