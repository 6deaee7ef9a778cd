//! Memory: every conversation and message in SQLite, searchable through
//! a tantivy index kept beside it.

pub mod facts;
mod index;
mod search;
mod semantic;
mod service;
pub mod transfer;

pub use facts::{Fact, FactSource, NewFact, remembered};
pub use index::IndexState;
pub use search::{RecallKind, Recalled, SearchHit, SnippetPart};
pub use semantic::MIN_SIMILARITY;
pub use service::MemoryService;

use chrono::{DateTime, Utc};
use jarvis_core::{ErrorKind, Problem, ProblemSource, Role};
use jarvis_store::DbError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Conversation {
    pub id: String,
    pub title: String,
    pub pinned: bool,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MessageStatus {
    Complete,
    /// Stopped or cut mid-answer: the text so far is kept.
    Interrupted,
    /// No provider answered; `error` says why.
    Failed,
}

impl MessageStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Complete => "complete",
            MessageStatus::Interrupted => "interrupted",
            MessageStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "complete" => Some(MessageStatus::Complete),
            "interrupted" => Some(MessageStatus::Interrupted),
            "failed" => Some(MessageStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    /// The provider that answered (assistant messages).
    pub provider: Option<String>,
    pub model: Option<String>,
    pub error: Option<String>,
    /// Earlier messages recalled into the context of this answer.
    pub recalled: Vec<Recalled>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Chosen by the caller so it can announce the id before storing.
    pub id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub error: Option<String>,
    pub recalled: Vec<Recalled>,
}

impl NewMessage {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            role: Role::User,
            content: content.into(),
            status: MessageStatus::Complete,
            provider: None,
            model: None,
            error: None,
            recalled: Vec::new(),
        }
    }
}

/// A conversation to start; untitled ones are named by their first message.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewConversation {
    #[serde(default)]
    #[ts(optional)]
    pub title: Option<String>,
}

/// Rename or pin a conversation; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ConversationPatch {
    #[ts(optional)]
    pub title: Option<String>,
    #[ts(optional)]
    pub pinned: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no conversation has the id {0}")]
    NoConversation(String),
    #[error("no fact has the id {0}")]
    NoFact(String),
    #[error("search failed: {0}")]
    Search(String),
    #[error("cannot import: {0}")]
    Import(transfer::ImportError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for MemoryError {
    fn from(e: rusqlite::Error) -> Self {
        MemoryError::Db(DbError::Sqlite(e))
    }
}

impl ProblemSource for MemoryError {
    fn problem(&self) -> Problem {
        match self {
            MemoryError::Invalid { field, reason } => Problem::invalid_field(*field, reason),
            MemoryError::NoConversation(_) | MemoryError::NoFact(_) => {
                Problem::new(ErrorKind::NotFound, "not_found", self.to_string())
            }
            MemoryError::Import(e) => {
                Problem::new(ErrorKind::Invalid, "invalid_import", self.to_string())
                    .with_field(e.location.clone())
            }
            MemoryError::Search(_) => {
                Problem::new(ErrorKind::Internal, "search_failed", self.to_string())
            }
            MemoryError::Db(e) => e.problem(),
        }
    }
}
