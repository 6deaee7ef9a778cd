//! Configured AI providers: name, kind, base URL, model, and an API key that
//! lives only in the SecretStore.

mod service;
mod validate;

pub use service::ProviderService;

use chrono::{DateTime, Utc};
use jarvis_core::{ErrorKind, Problem, ProblemSource};
use jarvis_store::{DbError, SecretError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ProviderKind {
    /// OpenAI and every server that copies its API (Ollama, llama.cpp, LM Studio, vLLM).
    Openai,
    Anthropic,
    Gemini,
    /// The built-in engine (llama.cpp) running a GGUF file on this machine;
    /// `base_url` holds the file's path.
    Local,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Local => "local",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Openai => "OpenAI-compatible",
            ProviderKind::Anthropic => "Anthropic",
            ProviderKind::Gemini => "Gemini",
            ProviderKind::Local => "Built-in (GGUF file)",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "openai" => Some(ProviderKind::Openai),
            "anthropic" => Some(ProviderKind::Anthropic),
            "gemini" => Some(ProviderKind::Gemini),
            "local" => Some(ProviderKind::Local),
            _ => None,
        }
    }

    /// Local OpenAI-compatible servers and the built-in model need no key;
    /// hosted APIs always do.
    pub fn requires_key(self) -> bool {
        !matches!(self, ProviderKind::Openai | ProviderKind::Local)
    }
}

/// A provider as every client sees it: never with its key.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    /// The model that embeds messages for recall by meaning (OpenAI-compatible
    /// providers only); none turns that off.
    pub embedding_model: Option<String>,
    pub has_key: bool,
    /// The key's last characters, for a masked display; none for short keys.
    pub key_hint: Option<String>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

/// A provider to add. The key goes to the SecretStore.
#[derive(Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    #[ts(optional)]
    pub embedding_model: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub api_key: Option<String>,
}

/// Changes to a provider: absent fields stay as they are; `api_key` replaces the key.
#[derive(Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProviderPatch {
    #[ts(optional)]
    pub name: Option<String>,
    #[ts(optional)]
    pub kind: Option<ProviderKind>,
    #[ts(optional)]
    pub base_url: Option<String>,
    #[ts(optional)]
    pub model: Option<String>,
    /// An empty string turns recall by meaning off.
    #[ts(optional)]
    pub embedding_model: Option<String>,
    #[ts(optional)]
    pub api_key: Option<String>,
}

// Debug by hand so that a request logged by mistake never shows its key.
impl std::fmt::Debug for NewProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProvider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("embedding_model", &self.embedding_model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl std::fmt::Debug for ProviderPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderPatch")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("embedding_model", &self.embedding_model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("a provider named \"{0}\" already exists")]
    DuplicateName(String),
    #[error("no provider has the id {0}")]
    NotFound(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for ProviderError {
    fn from(e: rusqlite::Error) -> Self {
        ProviderError::Db(DbError::Sqlite(e))
    }
}

impl ProblemSource for ProviderError {
    fn problem(&self) -> Problem {
        match self {
            ProviderError::Invalid { field, reason } => Problem::invalid_field(*field, reason),
            ProviderError::DuplicateName(_) => {
                Problem::new(ErrorKind::Conflict, "duplicate_name", self.to_string())
                    .with_field("name")
            }
            ProviderError::NotFound(_) => {
                Problem::new(ErrorKind::NotFound, "not_found", self.to_string())
            }
            ProviderError::Secret(e) => e.problem(),
            ProviderError::Db(e) => e.problem(),
        }
    }
}
