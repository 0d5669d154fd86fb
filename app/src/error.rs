//! The error every server function returns, shared by server and browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, in terms the UI can act on. Messages are safe to show: internals are
/// logged on the server and never cross the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("We could not find that.")]
    NotFound,
    /// Signing in is needed.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in, but not allowed.
    #[error("You do not have access to this page.")]
    Forbidden,
    /// An input failed validation; `field` names the form field.
    #[error("{message}")]
    Invalid {
        /// Form field the message belongs next to.
        field: String,
        /// What is wrong, in plain words.
        message: String,
    },
    /// Several inputs failed validation: one message per field, shown next to each.
    #[error("Please correct the marked fields.")]
    InvalidFields {
        /// The fields and what is wrong with each.
        errors: Vec<FieldMessage>,
    },
    /// A failure on the server; the cause is in the server log under this request id.
    #[error("Something went wrong on our side.")]
    Internal {
        /// Id of the request in the server log (the `x-request-id` response header).
        request_id: Option<String>,
    },
    /// The request did not reach the server function or its answer could not be read.
    #[error("The server could not be reached: {message}")]
    Transport {
        /// The transport error.
        message: String,
    },
}

impl AppError {
    /// The HTTP status that goes with this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::Invalid { .. } | AppError::InvalidFields { .. } => 422,
            AppError::Internal { .. } => 500,
            AppError::Transport { .. } => 502,
        }
    }
}

pub use stoa_model::FieldMessage;

impl From<stoa_model::Invalid> for AppError {
    fn from(invalid: stoa_model::Invalid) -> Self {
        let mut errors = invalid.0;
        if errors.len() == 1 {
            let FieldMessage { field, message } = errors.remove(0);
            AppError::Invalid { field, message }
        } else {
            AppError::InvalidFields { errors }
        }
    }
}

impl AppError {
    /// The validation message for `field`, if this error has one.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message),
            AppError::InvalidFields { errors } => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// The fields this error has messages for (none for other errors).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            AppError::Invalid { field, .. } => vec![field.as_str()],
            AppError::InvalidFields { errors } => errors.iter().map(|e| e.field.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The form's fields did not make the function's arguments (a number field left
            // empty, say): the person can fix that, so say so rather than blame the network.
            ServerFnErrorErr::Args(_) => AppError::Invalid {
                field: "form".to_owned(),
                message: "Some of the values could not be read: check the form and try again."
                    .to_owned(),
            },
            other => AppError::Transport {
                message: other.to_string(),
            },
        }
    }
}
