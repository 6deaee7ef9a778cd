//! The `SecretStore` port: where API keys and the owner token live.
//!
//! The OS keychain is the real store. Containers with no keychain choose,
//! explicitly, a read-only store fed by environment variables or mounted
//! files; nothing falls back to another store silently.

mod env;
mod file;
mod keychain;

pub use env::EnvSecretStore;
pub use file::FileSecretStore;
pub use keychain::KeychainSecretStore;

use jarvis_core::{ErrorKind, Problem, ProblemSource};
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

/// Which implementation holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SecretBackend {
    OsKeychain,
    Env,
    Files,
}

impl SecretBackend {
    pub fn label(self) -> &'static str {
        match self {
            SecretBackend::OsKeychain => "the OS keychain",
            SecretBackend::Env => "environment variables",
            SecretBackend::Files => "secret files",
        }
    }
}

/// Errors never carry a secret value, only names and reasons.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keychain is not reachable ({0}); start a Secret Service such as gnome-keyring, or run with --secrets env"
    )]
    Unavailable(String),
    #[error("the OS keychain is locked; unlock it and try again")]
    Locked,
    #[error("secrets come from {backend}, which Jarvis cannot write; {hint}")]
    ReadOnly { backend: &'static str, hint: String },
    #[error("the keychain refused the secret `{name}`: {reason}")]
    Rejected { name: String, reason: String },
    #[error("cannot read the secret `{name}`: {reason}")]
    Read { name: String, reason: String },
}

impl ProblemSource for SecretError {
    fn problem(&self) -> Problem {
        let (kind, code) = match self {
            SecretError::Unavailable(_) => (ErrorKind::Unavailable, "keychain_unavailable"),
            SecretError::Locked => (ErrorKind::Unavailable, "keychain_locked"),
            SecretError::ReadOnly { .. } => (ErrorKind::NotSupported, "secrets_read_only"),
            SecretError::Rejected { .. } | SecretError::Read { .. } => {
                (ErrorKind::Unavailable, "keychain_error")
            }
        };
        Problem::new(kind, code, self.to_string())
    }
}

/// A place to keep secrets by name (`owner-token`, `provider/<id>`).
/// Calls may block (D-Bus, files): async callers use `spawn_blocking`.
pub trait SecretStore: Send + Sync {
    fn backend(&self) -> SecretBackend;
    fn read_only(&self) -> bool;
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError>;
    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError>;
    /// Deleting a secret that does not exist is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
    /// Checks the store can be used now (for the dashboard).
    fn check(&self) -> Result<(), SecretError>;
}
