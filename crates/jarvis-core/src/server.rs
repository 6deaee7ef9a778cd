//! Settings and state of the optional local server, shared by both shells.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Default address of the local server.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// What the user chose in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ServerSettings {
    pub enabled: bool,
    /// `IP:PORT` to listen on, loopback only from Settings.
    pub listen: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: DEFAULT_LISTEN.to_owned(),
        }
    }
}

/// Who runs the server: the desktop app (toggled in Settings) or `jarvisd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ServerManager {
    Desktop,
    Jarvisd,
}

/// What is actually running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerStatus {
    pub running: bool,
    pub url: Option<String>,
    pub managed_by: ServerManager,
    /// Why the server could not start, when it failed.
    pub error: Option<String>,
}

impl ServerStatus {
    pub fn stopped(managed_by: ServerManager) -> Self {
        Self {
            running: false,
            url: None,
            managed_by,
            error: None,
        }
    }
}

/// Settings and state together, as the Settings screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerView {
    pub settings: ServerSettings,
    pub status: ServerStatus,
}
