//! The one error shape that reaches users: `{code, message, field?}`.
//!
//! Every crate keeps its own `thiserror` enum and implements [`ProblemSource`]
//! for it; shells turn any such error into a [`Problem`] with `?` and map its
//! [`ErrorKind`] to an HTTP status or a Tauri error payload.

use serde::Serialize;
use ts_rs::TS;

/// What kind of failure this is; decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The body is not what the endpoint reads at all: broken JSON, not an object (400).
    Malformed,
    /// A value is wrong: the field says which (422).
    Invalid,
    /// No credential, or a wrong one (401).
    Unauthorized,
    /// A valid credential that may not do this (403), e.g. an API key
    /// managing API keys.
    Forbidden,
    /// The thing asked for does not exist (404).
    NotFound,
    /// The request clashes with existing state, e.g. a duplicate name (409).
    Conflict,
    /// The body is larger than allowed (413).
    TooLarge,
    /// A dependency (keychain, database) cannot serve right now (503).
    Unavailable,
    /// Not possible in this configuration (409 with a plain reason).
    NotSupported,
    /// A bug or an unexpected failure (500).
    Internal,
}

/// The serialisable error every command and endpoint returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, rename = "ApiError")]
pub struct Problem {
    #[serde(skip)]
    #[ts(skip)]
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. `invalid_field`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    /// A bad value in a named input field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, "invalid_field", message).with_field(field)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({field}): {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Implemented by each crate's error enum to describe itself to users.
pub trait ProblemSource {
    fn problem(&self) -> Problem;
}

impl<E: ProblemSource> From<E> for Problem {
    fn from(error: E) -> Self {
        error.problem()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_is_omitted_when_absent_and_present_otherwise() {
        let plain = Problem::new(ErrorKind::NotFound, "not_found", "no such provider");
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::json!({"code": "not_found", "message": "no such provider"})
        );
        let field = Problem::invalid_field("base_url", "must start with http:// or https://");
        assert_eq!(
            serde_json::to_value(&field).unwrap(),
            serde_json::json!({
                "code": "invalid_field",
                "message": "must start with http:// or https://",
                "field": "base_url"
            })
        );
    }
}
