//! Storage for Jarvis: one SQLite file per profile ([`Database`]) and the
//! [`SecretStore`] port with its backends.

pub mod db;
mod migrations;
pub mod secrets;

pub use db::{Database, DbError};
pub use migrations::LATEST_SCHEMA_VERSION;
pub use secrets::{
    EnvSecretStore, FileSecretStore, KeychainSecretStore, SecretBackend, SecretError, SecretStore,
};
