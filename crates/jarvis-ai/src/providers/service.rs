//! Adding, changing and removing providers: the row in SQLite and the key in
//! the SecretStore change together or not at all.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jarvis_core::{Event, EventBus};
use jarvis_store::{Database, SecretStore};
use rusqlite::{Connection, OptionalExtension, Transaction};
use secrecy::SecretString;

use super::validate::{self, invalid};
use super::{NewProvider, Provider, ProviderError, ProviderKind, ProviderPatch};

#[derive(Clone)]
pub struct ProviderService {
    db: Database,
    secrets: Arc<dyn SecretStore>,
    bus: EventBus,
}

/// The SecretStore name of a provider's key.
fn secret_name(id: &str) -> String {
    format!("provider/{id}")
}

const COLUMNS: &str =
    "id, name, kind, base_url, model, has_key, key_hint, created_at, updated_at, embedding_model";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Provider> {
    let kind: String = row.get(2)?;
    let parse_time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        let text: String = row.get(i)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })
    };
    Ok(Provider {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: ProviderKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown provider kind {kind}").into(),
            )
        })?,
        base_url: row.get(3)?,
        model: row.get(4)?,
        has_key: row.get(5)?,
        key_hint: row.get(6)?,
        created_at: parse_time(7)?,
        updated_at: parse_time(8)?,
        embedding_model: row.get(9)?,
    })
}

fn find(conn: &Connection, id: &str) -> Result<Provider, ProviderError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM providers WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| ProviderError::NotFound(id.to_owned()))
}

fn ensure_name_free(
    tx: &Transaction<'_>,
    name: &str,
    except_id: &str,
) -> Result<(), ProviderError> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM providers WHERE name = ?1 AND id != ?2)",
        (name, except_id),
        |row| row.get(0),
    )?;
    if taken {
        return Err(ProviderError::DuplicateName(name.to_owned()));
    }
    Ok(())
}

fn require_key(kind: ProviderKind) -> ProviderError {
    invalid(
        "api_key",
        format!("is required for {} providers", kind.label()),
    )
}

impl ProviderService {
    pub fn new(db: Database, secrets: Arc<dyn SecretStore>, bus: EventBus) -> Self {
        Self { db, secrets, bus }
    }

    /// Every provider, by name.
    pub async fn list(&self) -> Result<Vec<Provider>, ProviderError> {
        self.db
            .call(|conn| {
                let mut stmt =
                    conn.prepare(&format!("SELECT {COLUMNS} FROM providers ORDER BY name"))?;
                let rows = stmt.query_map([], from_row)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    pub async fn count(&self) -> Result<u32, ProviderError> {
        self.db
            .call(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM providers", [], |r| r.get(0))?))
            .await
    }

    /// The provider's key, read from the SecretStore (for calling it).
    pub async fn api_key(&self, id: &str) -> Result<Option<SecretString>, ProviderError> {
        let secrets = self.secrets.clone();
        let name = secret_name(id);
        tokio::task::spawn_blocking(move || secrets.get(&name))
            .await
            .map_err(|e| ProviderError::Db(jarvis_store::DbError::Task(e.to_string())))?
            .map_err(ProviderError::from)
    }

    pub async fn get(&self, id: &str) -> Result<Provider, ProviderError> {
        let id = id.to_owned();
        self.db.call(move |conn| find(conn, &id)).await
    }

    #[tracing::instrument(skip_all, fields(name = %request.name, kind = request.kind.as_str()))]
    pub async fn add(&self, request: NewProvider) -> Result<Provider, ProviderError> {
        let name = validate::name(&request.name)?;
        let base_url = validate::location(request.kind, &request.base_url)?;
        let model = validate::model(&request.model)?;
        let embedding_model =
            validate::embedding_model(request.kind, request.embedding_model.as_deref())?;
        let key = validate::api_key(request.api_key.as_deref())?;
        if key.is_none() && request.kind.requires_key() {
            return Err(require_key(request.kind));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let secrets = self.secrets.clone();
        let provider = self
            .db
            .call(move |conn| {
                let tx = conn.transaction()?;
                ensure_name_free(&tx, &name, &id)?;
                let now = Utc::now().to_rfc3339();
                tx.execute(
                    "INSERT INTO providers (id, name, kind, base_url, model, has_key, key_hint, created_at, updated_at, embedding_model)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
                    (
                        &id,
                        &name,
                        request.kind.as_str(),
                        &base_url,
                        &model,
                        key.is_some(),
                        key.as_deref().and_then(validate::key_hint),
                        &now,
                        &embedding_model,
                    ),
                )?;
                // The key is stored before the row commits: if the keychain
                // refuses, the row is rolled back and nothing is half-saved.
                if let Some(key) = key {
                    secrets.set(&secret_name(&id), &SecretString::from(key))?;
                }
                let provider = find(&tx, &id)?;
                if let Err(e) = tx.commit() {
                    let _ = secrets.delete(&secret_name(&id));
                    return Err(ProviderError::from(e));
                }
                Ok(provider)
            })
            .await?;
        tracing::info!(id = %provider.id, "provider added");
        self.bus.publish(Event::ProvidersChanged);
        Ok(provider)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update(&self, id: &str, patch: ProviderPatch) -> Result<Provider, ProviderError> {
        let name = patch.name.as_deref().map(validate::name).transpose()?;
        let base_url = patch.base_url.clone();
        let model = patch.model.as_deref().map(validate::model).transpose()?;
        let key = validate::api_key(patch.api_key.as_deref())?;
        let kind = patch.kind;
        let embedding_patch = patch.embedding_model.clone();
        let id = id.to_owned();
        let secrets = self.secrets.clone();
        let provider = self
            .db
            .call(move |conn| {
                let tx = conn.transaction()?;
                let current = find(&tx, &id)?;
                let kind = kind.unwrap_or(current.kind);
                if kind.requires_key() && !current.has_key && key.is_none() {
                    return Err(require_key(kind));
                }
                // The location's rules depend on the kind, which may change
                // in the same patch: check it against the kind it will have.
                let base_url = match &base_url {
                    Some(url) => Some(validate::location(kind, url)?),
                    None if kind != current.kind => {
                        Some(validate::location(kind, &current.base_url)?)
                    }
                    None => None,
                };
                if let Some(name) = &name {
                    ensure_name_free(&tx, name, &id)?;
                }
                // Checked against the kind the provider will have; a kind
                // that offers no embeddings drops the model.
                let embedding_model = match &embedding_patch {
                    Some(value) => validate::embedding_model(kind, Some(value))?,
                    None if kind == ProviderKind::Openai => current.embedding_model.clone(),
                    None => None,
                };
                let (has_key, key_hint) = match &key {
                    Some(key) => (true, validate::key_hint(key)),
                    None => (current.has_key, current.key_hint.clone()),
                };
                tx.execute(
                    "UPDATE providers SET name = ?2, kind = ?3, base_url = ?4, model = ?5,
                            has_key = ?6, key_hint = ?7, updated_at = ?8, embedding_model = ?9
                     WHERE id = ?1",
                    (
                        &id,
                        name.as_deref().unwrap_or(&current.name),
                        kind.as_str(),
                        base_url.as_deref().unwrap_or(&current.base_url),
                        model.as_deref().unwrap_or(&current.model),
                        has_key,
                        key_hint,
                        Utc::now().to_rfc3339(),
                        embedding_model,
                    ),
                )?;
                if let Some(key) = key {
                    secrets.set(&secret_name(&id), &SecretString::from(key))?;
                }
                let provider = find(&tx, &id)?;
                tx.commit()?;
                Ok(provider)
            })
            .await?;
        tracing::info!("provider updated");
        self.bus.publish(Event::ProvidersChanged);
        Ok(provider)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn remove(&self, id: &str) -> Result<(), ProviderError> {
        let id = id.to_owned();
        let secrets = self.secrets.clone();
        self.db
            .call(move |conn| {
                let removed = conn.execute("DELETE FROM providers WHERE id = ?1", [&id])?;
                if removed == 0 {
                    return Err(ProviderError::NotFound(id));
                }
                // The row is gone for good; a key left behind would be an
                // orphan, not a leak, so a keychain failure is only logged.
                if let Err(e) = secrets.delete(&secret_name(&id)) {
                    tracing::warn!(error = %e, "could not delete the provider's key");
                }
                Ok(())
            })
            .await?;
        tracing::info!("provider removed");
        self.bus.publish(Event::ProvidersChanged);
        Ok(())
    }
}
