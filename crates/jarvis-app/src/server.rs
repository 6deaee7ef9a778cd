//! The local server's settings. The shells run the server; this module keeps
//! its settings valid and persisted, and asks the shell's runtime to apply them.

use std::net::SocketAddr;
use std::sync::Arc;

use jarvis_core::{Event, ServerManager, ServerSettings, ServerStatus, ServerView};
use rusqlite::OptionalExtension;

use crate::{App, AppError};

const SETTINGS_KEY: &str = "server";

/// Runs (or reports) the HTTP server; provided by the shell.
#[async_trait::async_trait]
pub trait ServerRuntime: Send + Sync {
    fn manager(&self) -> ServerManager;
    fn status(&self) -> ServerStatus;
    /// Starts, stops or restarts the server to match `settings`.
    async fn apply(&self, app: Arc<App>, settings: &ServerSettings) -> ServerStatus;
}

/// A loopback `IP:PORT` with a real port.
pub fn validate_listen(listen: &str) -> Result<SocketAddr, AppError> {
    let invalid = |reason: &str| AppError::Invalid {
        field: "listen",
        reason: reason.to_owned(),
    };
    let addr: SocketAddr = listen
        .trim()
        .parse()
        .map_err(|_| invalid("must be an address like 127.0.0.1:7878"))?;
    if !addr.ip().is_loopback() {
        return Err(invalid(
            "must be a loopback address (127.0.0.1 or [::1]); to serve other machines run jarvisd --allow-remote",
        ));
    }
    if addr.port() == 0 {
        return Err(invalid("needs a port between 1 and 65535"));
    }
    Ok(addr)
}

impl App {
    /// The stored settings; a stored value that no longer validates gives the defaults.
    pub async fn server_settings(&self) -> Result<ServerSettings, AppError> {
        let stored: Option<String> = self
            .db
            .call(|conn| {
                Ok::<_, AppError>(
                    conn.query_row(
                        "SELECT value FROM settings WHERE key = ?1",
                        [SETTINGS_KEY],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(jarvis_store::DbError::from)?,
                )
            })
            .await?;
        let parsed = stored.and_then(|json| {
            serde_json::from_str::<ServerSettings>(&json)
                .ok()
                .filter(|s| validate_listen(&s.listen).is_ok())
        });
        Ok(parsed.unwrap_or_default())
    }

    pub async fn server_view(&self) -> Result<ServerView, AppError> {
        Ok(ServerView {
            settings: self.server_settings().await?,
            status: self.server_runtime.status(),
        })
    }

    pub fn server_status(&self) -> ServerStatus {
        self.server_runtime.status()
    }

    /// Validates, saves, then applies the settings (start, stop or move the server).
    #[tracing::instrument(skip_all, fields(enabled = settings.enabled))]
    pub async fn set_server_settings(
        self: &Arc<Self>,
        settings: ServerSettings,
    ) -> Result<ServerView, AppError> {
        if self.server_runtime.manager() == ServerManager::Jarvisd {
            return Err(AppError::NotSupported(
                "this server is run by jarvisd; stop that process to turn it off".to_owned(),
            ));
        }
        let settings = ServerSettings {
            listen: validate_listen(&settings.listen)?.to_string(),
            ..settings
        };
        let json = serde_json::to_string(&settings).expect("settings serialise");
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (SETTINGS_KEY, json, chrono::Utc::now().to_rfc3339()),
                )
                .map_err(jarvis_store::DbError::from)?;
                Ok::<_, AppError>(())
            })
            .await?;
        let status = self.server_runtime.apply(self.clone(), &settings).await;
        self.bus.publish(Event::ServerChanged {
            status: status.clone(),
        });
        Ok(ServerView { settings, status })
    }

    /// Applies the stored settings at start-up (the desktop app's server).
    pub async fn start_configured_server(self: &Arc<Self>) -> Result<ServerStatus, AppError> {
        let settings = self.server_settings().await?;
        if !settings.enabled {
            return Ok(self.server_runtime.status());
        }
        let status = self.server_runtime.apply(self.clone(), &settings).await;
        self.bus.publish(Event::ServerChanged {
            status: status.clone(),
        });
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_must_be_loopback_with_a_port() {
        assert_eq!(
            validate_listen("127.0.0.1:7878").unwrap().to_string(),
            "127.0.0.1:7878"
        );
        assert!(validate_listen("[::1]:9000").is_ok());
        for bad in ["0.0.0.0:7878", "127.0.0.1:0", "localhost", "127.0.0.1", "x"] {
            match validate_listen(bad) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "listen"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
