//! The state of each part, for `/health` and the dashboard.

use jarvis_core::{ServerStatus, VERSION};
use jarvis_store::{LATEST_SCHEMA_VERSION, SecretBackend};
use serde::Serialize;
use ts_rs::TS;

use crate::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ComponentStatus {
    Ok,
    Error,
    NotConfigured,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OverallStatus {
    Ok,
    Degraded,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DatabaseHealth {
    pub status: ComponentStatus,
    pub schema_version: u32,
    pub latest_schema_version: u32,
    /// The database file; left out on the public `/health`.
    pub path: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct KeychainHealth {
    pub status: ComponentStatus,
    pub backend: SecretBackend,
    pub read_only: bool,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProvidersHealth {
    pub status: ComponentStatus,
    pub count: u32,
    /// Each provider's circuit breaker (open = paused after failures).
    pub circuits: Vec<jarvis_ai::chat::ProviderCircuit>,
}

/// The search index beside the database.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SearchHealth {
    pub status: ComponentStatus,
    /// Set when another process indexes, or when indexing stopped and why.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Health {
    pub status: OverallStatus,
    pub version: String,
    pub database: DatabaseHealth,
    pub keychain: KeychainHealth,
    pub providers: ProvidersHealth,
    pub search: SearchHealth,
    pub server: ServerStatus,
}

impl App {
    /// Checks each part now. `detailed` adds local paths (authenticated callers only).
    pub async fn health(&self, detailed: bool) -> Health {
        let database = match self.db.schema_version().await {
            Ok(version) => DatabaseHealth {
                status: ComponentStatus::Ok,
                schema_version: version,
                latest_schema_version: LATEST_SCHEMA_VERSION,
                path: None,
                message: None,
            },
            Err(e) => DatabaseHealth {
                status: ComponentStatus::Error,
                schema_version: 0,
                latest_schema_version: LATEST_SCHEMA_VERSION,
                path: None,
                message: Some(e.to_string()),
            },
        };
        let database = DatabaseHealth {
            path: detailed.then(|| self.db.path().display().to_string()),
            ..database
        };

        let secrets = self.secrets.clone();
        let check = tokio::task::spawn_blocking(move || secrets.check())
            .await
            .unwrap_or_else(|e| Err(jarvis_store::SecretError::Unavailable(e.to_string())));
        let keychain = KeychainHealth {
            status: if check.is_ok() {
                ComponentStatus::Ok
            } else {
                ComponentStatus::Error
            },
            backend: self.secrets.backend(),
            read_only: self.secrets.read_only(),
            message: check.err().map(|e| e.to_string()),
        };

        let providers = match self.chat.circuits().await {
            Ok(circuits) if circuits.is_empty() => ProvidersHealth {
                status: ComponentStatus::NotConfigured,
                count: 0,
                circuits,
            },
            Ok(circuits) => ProvidersHealth {
                status: ComponentStatus::Ok,
                count: circuits.len() as u32,
                circuits,
            },
            Err(_) => ProvidersHealth {
                status: ComponentStatus::Error,
                count: 0,
                circuits: Vec::new(),
            },
        };

        let search = match self.memory.search_state() {
            jarvis_memory::IndexState::Indexing => SearchHealth {
                status: ComponentStatus::Ok,
                message: None,
            },
            jarvis_memory::IndexState::Following => SearchHealth {
                status: ComponentStatus::Ok,
                message: Some(
                    "another Jarvis process on this data directory keeps the search index; \
                     searches here follow it"
                        .into(),
                ),
            },
            jarvis_memory::IndexState::Failed(why) => SearchHealth {
                status: ComponentStatus::Error,
                message: Some(format!("new messages are not searchable: {why}")),
            },
        };
        let status = if [
            database.status,
            keychain.status,
            providers.status,
            search.status,
        ]
        .contains(&ComponentStatus::Error)
        {
            OverallStatus::Degraded
        } else {
            OverallStatus::Ok
        };
        Health {
            status,
            version: VERSION.to_owned(),
            database,
            keychain,
            providers,
            search,
            server: self.server_runtime.status(),
        }
    }
}
