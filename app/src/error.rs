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
            AppError::Invalid { .. } => 422,
            AppError::Internal { .. } => 500,
            AppError::Transport { .. } => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport {
            message: value.to_string(),
        }
    }
}
