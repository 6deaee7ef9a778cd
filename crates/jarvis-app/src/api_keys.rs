//! API keys for the local server, besides the owner token: one per tool
//! or OpenAI client, each revocable on its own. A key is shown once, when
//! made; only its SHA-256 is stored (a stolen database gives no key).
//! Keys may use the API but not manage keys: that needs the owner token.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::{App, AppError};

/// Every key starts so, to be recognisable in configs and secret scanners.
pub const KEY_PREFIX: &str = "jv_";

/// A key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The key's first characters, e.g. "jv_k3Xa".
    pub prefix: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewApiKey {
    pub name: String,
}

/// The answer to making a key: the only time `key` is shown.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    pub key: String,
}

/// SHA-256 of each live key → its id; read on every request, so kept in
/// memory and reloaded after each change.
#[derive(Default, Clone)]
pub(crate) struct KeyIndex(Arc<RwLock<HashMap<String, String>>>);

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

impl App {
    async fn reload_key_index(&self) -> Result<(), AppError> {
        let keys: HashMap<String, String> = self
            .db
            .call(|conn| -> Result<_, AppError> {
                let mut stmt = conn
                    .prepare("SELECT hash, id FROM api_keys")
                    .map_err(jarvis_store::DbError::from)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(jarvis_store::DbError::from)?;
                Ok(rows
                    .collect::<Result<_, _>>()
                    .map_err(jarvis_store::DbError::from)?)
            })
            .await?;
        *self.api_keys.0.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(())
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, AppError> {
        self.db
            .call(|conn| -> Result<_, AppError> {
                let mut stmt = conn
                    .prepare(
                        "SELECT id, name, prefix, created_at, last_used_at FROM api_keys ORDER BY created_at",
                    )
                    .map_err(jarvis_store::DbError::from)?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(ApiKey {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            prefix: r.get(2)?,
                            created_at: time(&r.get::<_, String>(3)?),
                            last_used_at: r.get::<_, Option<String>>(4)?.as_deref().map(time),
                        })
                    })
                    .map_err(jarvis_store::DbError::from)?;
                Ok(rows
                    .collect::<Result<_, _>>()
                    .map_err(jarvis_store::DbError::from)?)
            })
            .await
    }

    /// Makes a key named `name`; the answer is the only time it is shown.
    pub async fn create_api_key(&self, request: NewApiKey) -> Result<CreatedApiKey, AppError> {
        let name = request.name.trim().to_owned();
        if name.is_empty() {
            return Err(AppError::invalid(
                "name",
                "is required: say what the key is for",
            ));
        }
        if name.chars().count() > 80 {
            return Err(AppError::invalid("name", "must be at most 80 characters"));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let key = format!(
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let api_key = ApiKey {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            prefix: key.chars().take(KEY_PREFIX.len() + 4).collect(),
            created_at: Utc::now(),
            last_used_at: None,
        };
        let row = (api_key.clone(), hash(&key));
        self.db
            .call(move |conn| -> Result<(), AppError> {
                let (k, hash) = row;
                match conn.execute(
                    "INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![k.id, k.name, k.prefix, hash, k.created_at.to_rfc3339()],
                ) {
                    Ok(_) => Ok(()),
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        Err(AppError::invalid("name", format!("a key named {:?} exists already", k.name)))
                    }
                    Err(e) => Err(jarvis_store::DbError::from(e).into()),
                }
            })
            .await?;
        self.reload_key_index().await?;
        tracing::info!(name = %api_key.name, "API key created");
        Ok(CreatedApiKey { api_key, key })
    }

    /// Revokes a key: requests with it are refused from now on.
    pub async fn revoke_api_key(&self, id: &str) -> Result<(), AppError> {
        let id_owned = id.to_owned();
        let deleted = self
            .db
            .call(move |conn| -> Result<usize, AppError> {
                Ok(conn
                    .execute("DELETE FROM api_keys WHERE id = ?1", [&id_owned])
                    .map_err(jarvis_store::DbError::from)?)
            })
            .await?;
        if deleted == 0 {
            return Err(AppError::NotFound(format!("no API key has the id {id}")));
        }
        self.reload_key_index().await?;
        Ok(())
    }

    /// The id of the key `presented` is, if it is a live API key.
    pub async fn check_api_key(&self, presented: &str) -> Option<String> {
        if !presented.starts_with(KEY_PREFIX) {
            return None;
        }
        if !self
            .api_keys_loaded
            .load(std::sync::atomic::Ordering::Acquire)
        {
            if self.reload_key_index().await.is_err() {
                return None;
            }
            self.api_keys_loaded
                .store(true, std::sync::atomic::Ordering::Release);
        }
        let id = self
            .api_keys
            .0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash(presented))
            .cloned()?;
        // Best effort: when a key was last used, for the list.
        let db = self.db.clone();
        let used = id.clone();
        tokio::spawn(async move {
            let _ = db
                .call(move |conn| {
                    conn.execute(
                        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
                        params![used, Utc::now().to_rfc3339()],
                    )
                    .map_err(jarvis_store::DbError::from)
                })
                .await;
        });
        Some(id)
    }
}
