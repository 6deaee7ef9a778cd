//! The built-in model, offered once: when the profile's `models/` folder
//! holds the GGUF that `scripts/run` installs, a provider for it is added
//! on start so a fresh install can chat with no key and no other program.
//! Removing that provider is respected: it is not offered again.

use jarvis_ai::{NewProvider, ProviderKind};
use rusqlite::OptionalExtension;

use crate::{App, AppError};

/// The file `scripts/run` installs into `<data dir>/models/`.
pub const BUILTIN_MODEL_FILE: &str = "qwen2.5-coder-0.5b-instruct.gguf";
const OFFERED_KEY: &str = "builtin_model_offered";

impl App {
    /// Adds the built-in provider the first time its model is present.
    /// Returns whether it was added now.
    pub async fn offer_builtin_model(&self) -> Result<bool, AppError> {
        let path = self.data_dir().join("models").join(BUILTIN_MODEL_FILE);
        if !path.is_file() {
            return Ok(false);
        }
        let offered = self
            .db
            .call(|conn| -> Result<bool, AppError> {
                Ok(conn
                    .query_row(
                        "SELECT 1 FROM settings WHERE key = ?1",
                        [OFFERED_KEY],
                        |_| Ok(()),
                    )
                    .optional()
                    .map_err(jarvis_store::DbError::Sqlite)?
                    .is_some())
            })
            .await?;
        if offered {
            return Ok(false);
        }
        let added = self
            .providers
            .add(NewProvider {
                name: "Built-in (Qwen 0.5B)".into(),
                kind: ProviderKind::Local,
                base_url: path.display().to_string(),
                model: "qwen2.5-coder-0.5b-instruct".into(),
                embedding_model: None,
                api_key: None,
            })
            .await;
        if let Err(e) = &added {
            tracing::warn!(error = %e, "the built-in model could not be offered");
        }
        self.db
            .call(|conn| -> Result<(), AppError> {
                conn.execute(
                    "INSERT OR IGNORE INTO settings (key, value, updated_at) VALUES (?1, 'true', ?2)",
                    (OFFERED_KEY, chrono::Utc::now().to_rfc3339()),
                )
                .map_err(jarvis_store::DbError::Sqlite)?;
                Ok(())
            })
            .await?;
        Ok(added.is_ok())
    }
}
