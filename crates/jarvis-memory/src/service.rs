//! Conversations and messages: each write is one transaction, committed
//! before it is announced on the bus.

use chrono::{DateTime, Utc};
use jarvis_core::{Event, EventBus, Role};
use jarvis_store::Database;
use rusqlite::{Connection, OptionalExtension};

use std::sync::Arc;
use std::time::Duration;

use crate::facts::{self, Fact, FactSource};
use crate::index::SearchIndex;
use crate::search::{self, RecallKind, Recalled, SearchHit};
use crate::semantic;
use crate::{Conversation, ConversationPatch, MemoryError, Message, MessageStatus, NewMessage};

pub const DEFAULT_TITLE: &str = "New conversation";
const TITLE_MAX: usize = 120;
/// A search waits this long at most for the latest writes to be indexed
/// (a few milliseconds normally; a first build of a large index is longer).
const SEARCH_FRESHNESS: Duration = Duration::from_secs(2);
/// Recall runs before every request, so it waits less.
const RECALL_FRESHNESS: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct MemoryService {
    db: Database,
    bus: EventBus,
    index: Arc<SearchIndex>,
    vectors: Arc<std::sync::Mutex<semantic::Vectors>>,
}

fn time(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(i)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
}

fn bad_value(i: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("unknown {what}").into(),
    )
}

const CONVERSATION: &str = "id, title, pinned, created_at, updated_at";

fn conversation(row: &rusqlite::Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        title: row.get(1)?,
        pinned: row.get(2)?,
        created_at: time(row, 3)?,
        updated_at: time(row, 4)?,
    })
}

const MESSAGE: &str =
    "id, conversation_id, role, content, status, provider, model, error, created_at, recalled";

fn message(row: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let role: String = row.get(2)?;
    let status: String = row.get(4)?;
    Ok(Message {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        role: Role::parse(&role).ok_or_else(|| bad_value(2, "role"))?,
        content: row.get(3)?,
        status: MessageStatus::parse(&status).ok_or_else(|| bad_value(4, "status"))?,
        provider: row.get(5)?,
        model: row.get(6)?,
        error: row.get(7)?,
        created_at: time(row, 8)?,
        recalled: serde_json::from_str(&row.get::<_, String>(9)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, e.into())
        })?,
    })
}

fn find(conn: &Connection, id: &str) -> Result<Conversation, MemoryError> {
    conn.query_row(
        &format!("SELECT {CONVERSATION} FROM conversations WHERE id = ?1"),
        [id],
        conversation,
    )
    .optional()?
    .ok_or_else(|| MemoryError::NoConversation(id.to_owned()))
}

fn title(value: &str) -> Result<String, MemoryError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(MemoryError::Invalid {
            field: "title",
            reason: "must not be empty".into(),
        });
    }
    if value.chars().count() > TITLE_MAX {
        return Err(MemoryError::Invalid {
            field: "title",
            reason: format!("must be at most {TITLE_MAX} characters"),
        });
    }
    Ok(value.to_owned())
}

/// A title from the first words of the first message.
fn title_from(text: &str) -> String {
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = words.chars().take(60).collect();
    if words.chars().count() > 60 {
        title.push('…');
    }
    if title.is_empty() {
        DEFAULT_TITLE.to_owned()
    } else {
        title
    }
}

impl MemoryService {
    /// Opens the search index beside the database (see `index.rs`).
    pub fn new(db: Database, bus: EventBus) -> Self {
        let index = Arc::new(SearchIndex::open(db.path()));
        Self {
            db,
            bus,
            index,
            vectors: Arc::default(),
        }
    }

    /// Whether search follows the database (for `/health`).
    pub fn search_state(&self) -> crate::IndexState {
        self.index.state()
    }

    /// Waits until every message written so far is searchable; false if
    /// that took longer than `timeout`. For tools and benchmarks.
    pub async fn wait_indexed(&self, timeout: Duration) -> bool {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.wait_fresh(timeout))
            .await
            .unwrap_or(false)
    }

    /// Runs `query` on the index off the async workers, once the writes so
    /// far are searchable or `freshness` has passed.
    async fn query_index<T: Send + 'static>(
        &self,
        freshness: Duration,
        query: impl FnOnce(&SearchIndex) -> tantivy::Result<T> + Send + 'static,
    ) -> Result<T, MemoryError> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            index.wait_fresh(freshness);
            query(&index)
        })
        .await
        .map_err(|e| MemoryError::Search(e.to_string()))?
        .map_err(|e| MemoryError::Search(e.to_string()))
    }

    /// Pinned first, then the most recently active.
    pub async fn conversations(&self) -> Result<Vec<Conversation>, MemoryError> {
        self.db
            .call(|conn| -> Result<_, MemoryError> {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {CONVERSATION} FROM conversations ORDER BY pinned DESC, updated_at DESC"
                ))?;
                let rows = stmt.query_map([], conversation)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    pub async fn conversation(&self, id: &str) -> Result<Conversation, MemoryError> {
        let id = id.to_owned();
        self.db.call(move |conn| find(conn, &id)).await
    }

    pub async fn create_conversation(
        &self,
        title_text: Option<String>,
    ) -> Result<Conversation, MemoryError> {
        let title = match title_text {
            Some(text) => title(&text)?,
            None => DEFAULT_TITLE.to_owned(),
        };
        let created = self
            .db
            .call(move |conn| -> Result<_, MemoryError> {
                let id = uuid::Uuid::new_v4().to_string();
                let now = Utc::now().to_rfc3339();
                conn.execute(
                    "INSERT INTO conversations (id, title, pinned, created_at, updated_at) VALUES (?1, ?2, 0, ?3, ?3)",
                    (&id, &title, &now),
                )?;
                find(conn, &id)
            })
            .await?;
        self.bus.publish(Event::ConversationsChanged);
        Ok(created)
    }

    pub async fn update_conversation(
        &self,
        id: &str,
        patch: ConversationPatch,
    ) -> Result<Conversation, MemoryError> {
        let new_title = patch.title.as_deref().map(title).transpose()?;
        let id = id.to_owned();
        let updated = self
            .db
            .call(move |conn| -> Result<_, MemoryError> {
                let tx = conn.transaction()?;
                let current = find(&tx, &id)?;
                tx.execute(
                    "UPDATE conversations SET title = ?2, pinned = ?3 WHERE id = ?1",
                    (
                        &id,
                        new_title.unwrap_or(current.title),
                        patch.pinned.unwrap_or(current.pinned),
                    ),
                )?;
                let updated = find(&tx, &id)?;
                tx.commit()?;
                Ok(updated)
            })
            .await?;
        self.bus.publish(Event::ConversationsChanged);
        Ok(updated)
    }

    pub async fn delete_conversation(&self, id: &str) -> Result<(), MemoryError> {
        let id = id.to_owned();
        self.db
            .call(move |conn| -> Result<_, MemoryError> {
                if conn.execute("DELETE FROM conversations WHERE id = ?1", [&id])? == 0 {
                    return Err(MemoryError::NoConversation(id));
                }
                Ok(())
            })
            .await?;
        self.index.changed();
        self.bus.publish(Event::ConversationsChanged);
        Ok(())
    }

    /// Every message of a conversation, oldest first.
    pub async fn messages(&self, conversation_id: &str) -> Result<Vec<Message>, MemoryError> {
        let id = conversation_id.to_owned();
        self.db
            .call(move |conn| -> Result<_, MemoryError> {
                find(conn, &id)?;
                let mut stmt = conn.prepare(&format!(
                    "SELECT {MESSAGE} FROM messages WHERE conversation_id = ?1 ORDER BY seq"
                ))?;
                let rows = stmt.query_map([&id], message)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Removes a conversation's last message if it is the assistant's (to
    /// answer again); returns it, or `None` when the last one is not an answer.
    pub async fn remove_last_answer(
        &self,
        conversation_id: &str,
    ) -> Result<Option<Message>, MemoryError> {
        let id = conversation_id.to_owned();
        let removed = self
            .db
            .call(move |conn| -> Result<_, MemoryError> {
                let tx = conn.transaction()?;
                find(&tx, &id)?;
                let last = tx
                    .query_row(
                        &format!(
                            "SELECT {MESSAGE} FROM messages WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1"
                        ),
                        [&id],
                        message,
                    )
                    .optional()?;
                let Some(last) = last.filter(|m| m.role == Role::Assistant) else {
                    return Ok(None);
                };
                tx.execute("DELETE FROM messages WHERE id = ?1", [&last.id])?;
                tx.commit()?;
                Ok(Some(last))
            })
            .await?;
        if removed.is_some() {
            self.index.changed();
            self.bus.publish(Event::ConversationsChanged);
        }
        Ok(removed)
    }

    /// Stores a message (committed when this returns). The first user message
    /// of an untitled conversation names it.
    pub async fn append(
        &self,
        conversation_id: &str,
        new: NewMessage,
    ) -> Result<Message, MemoryError> {
        let id = conversation_id.to_owned();
        let stored = self
            .db
            .call(move |conn| -> Result<_, MemoryError> {
                let tx = conn.transaction()?;
                let current = find(&tx, &id)?;
                let seq: i64 = tx.query_row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?1",
                    [&id],
                    |row| row.get(0),
                )?;
                let now = Utc::now().to_rfc3339();
                tx.execute(
                    "INSERT INTO messages (id, conversation_id, seq, role, content, status, provider, model, error, created_at, recalled)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    rusqlite::params![
                        new.id,
                        id,
                        seq,
                        new.role.as_str(),
                        new.content,
                        new.status.as_str(),
                        new.provider,
                        new.model,
                        new.error,
                        now,
                        serde_json::to_string(&new.recalled).expect("recalled serialises")
                    ],
                )?;
                let title = if current.title == DEFAULT_TITLE && new.role == Role::User {
                    title_from(&new.content)
                } else {
                    current.title
                };
                tx.execute(
                    "UPDATE conversations SET updated_at = ?2, title = ?3 WHERE id = ?1",
                    (&id, &now, &title),
                )?;
                let stored = tx.query_row(
                    &format!("SELECT {MESSAGE} FROM messages WHERE id = ?1"),
                    [&new.id],
                    message,
                )?;
                tx.commit()?;
                Ok(stored)
            })
            .await?;
        self.index.changed();
        self.bus.publish(Event::ConversationsChanged);
        Ok(stored)
    }

    /// Every conversation with its messages, as Jarvis's JSON export.
    pub async fn export(&self) -> Result<crate::transfer::Export, MemoryError> {
        let mut conversations = Vec::new();
        for c in self.conversations().await? {
            let messages = self.messages(&c.id).await?;
            conversations.push(crate::transfer::ExportedConversation::new(c, messages));
        }
        Ok(crate::transfer::Export {
            format: crate::transfer::EXPORT_FORMAT.to_owned(),
            version: crate::transfer::EXPORT_VERSION,
            conversations,
        })
    }

    /// Imports Jarvis JSON or ChatGPT's `conversations.json`: all or nothing,
    /// and nothing twice.
    pub async fn import(
        &self,
        bytes: Vec<u8>,
    ) -> Result<crate::transfer::ImportReport, MemoryError> {
        let feed = self.index.feed();
        let report = self
            .db
            .call(move |conn| crate::transfer::import(conn, &bytes, feed))
            .await?;
        if report.conversations_imported > 0 {
            self.index.changed();
            self.bus.publish(Event::ConversationsChanged);
        }
        Ok(report)
    }

    /// Earlier messages most relevant to `text`, from other conversations
    /// (the current one is in the context already), within `budget_chars`.
    pub async fn recall(
        &self,
        text: &str,
        exclude_conversation: &str,
        budget_chars: usize,
    ) -> Result<Vec<Recalled>, MemoryError> {
        let terms = search::recall_terms(text);
        let found = self
            .query_index(RECALL_FRESHNESS, move |index| {
                index.search_any(&terms, search::recall_candidates())
            })
            .await?;
        let exclude = exclude_conversation.to_owned();
        self.db
            .call(move |conn| -> Result<_, MemoryError> {
                // Pinned facts first (up to half the budget), newest first;
                // then the earlier messages that share the most words.
                let mut recalled = Vec::new();
                let mut used = 0;
                for fact in facts::list(conn)? {
                    let len = fact.text.chars().count();
                    if used + len > budget_chars / 2 {
                        break;
                    }
                    used += len;
                    recalled.push(Recalled {
                        kind: RecallKind::Fact,
                        message_id: fact.id,
                        conversation_id: String::new(),
                        conversation_title: "Remembered".into(),
                        excerpt: fact.text,
                    });
                }
                recalled.extend(search::recall(conn, &found, &exclude, budget_chars - used)?);
                Ok(recalled)
            })
            .await
    }

    /// Messages with no embedding from `model` yet, newest first: what the
    /// embedding job sends to the embeddings endpoint next.
    pub async fn unembedded(
        &self,
        model: &str,
        limit: usize,
    ) -> Result<Vec<(String, String)>, MemoryError> {
        let model = model.to_owned();
        self.db
            .call(move |conn| Ok(semantic::unembedded(conn, &model, limit)?))
            .await
    }

    /// Keeps message embeddings from `model` (zero vectors are dropped);
    /// returns how many were stored.
    pub async fn store_embeddings(
        &self,
        model: &str,
        vectors: Vec<(String, Vec<f32>)>,
    ) -> Result<usize, MemoryError> {
        let model = model.to_owned();
        let vectors: Vec<(String, Vec<f32>)> = vectors
            .into_iter()
            .filter_map(|(id, v)| semantic::normalised(v).map(|v| (id, v)))
            .collect();
        self.db
            .call(move |conn| Ok(semantic::store(conn, &model, &vectors)?))
            .await
    }

    /// Earlier messages close in meaning to `query` (an embedding from
    /// `model`), from other conversations, not among `already`, within
    /// `budget_chars`.
    pub async fn recall_similar(
        &self,
        model: &str,
        query: Vec<f32>,
        exclude_conversation: &str,
        already: Vec<Recalled>,
        budget_chars: usize,
    ) -> Result<Vec<Recalled>, MemoryError> {
        let Some(query) = semantic::normalised(query) else {
            return Ok(Vec::new());
        };
        // New vectors are read under the database's lock; the comparison
        // with every vector runs beside it, so writes are not held up.
        let model = model.to_owned();
        let vectors = self.vectors.clone();
        self.db
            .call({
                let vectors = vectors.clone();
                move |conn| -> Result<_, MemoryError> {
                    let mut vectors = vectors.lock().unwrap_or_else(|p| p.into_inner());
                    Ok(vectors.refresh(conn, &model)?)
                }
            })
            .await?;
        let nearest: Vec<(String, f32)> = tokio::task::spawn_blocking(move || {
            let vectors = vectors.lock().unwrap_or_else(|p| p.into_inner());
            vectors
                .nearest(&query, 12)
                .into_iter()
                .map(|(id, s)| (id.to_owned(), s))
                .collect()
        })
        .await
        .map_err(|e| MemoryError::Search(e.to_string()))?;
        let exclude = exclude_conversation.to_owned();
        self.db
            .call(move |conn| {
                Ok(semantic::recall(
                    conn,
                    &nearest,
                    &exclude,
                    &already,
                    budget_chars,
                )?)
            })
            .await
    }

    /// Remembers a fact (the same fact twice is kept once).
    pub async fn add_fact(&self, text: &str, source: FactSource) -> Result<Fact, MemoryError> {
        let text = facts::validate(text)?;
        let (fact, added) = self
            .db
            .call(move |conn| -> Result<_, MemoryError> { Ok(facts::add(conn, &text, source)?) })
            .await?;
        if added {
            self.bus.publish(Event::FactsChanged);
        }
        Ok(fact)
    }

    /// Every remembered fact, newest first.
    pub async fn facts(&self) -> Result<Vec<Fact>, MemoryError> {
        self.db
            .call(|conn| -> Result<_, MemoryError> { Ok(facts::list(conn)?) })
            .await
    }

    pub async fn delete_fact(&self, id: &str) -> Result<(), MemoryError> {
        let id = id.to_owned();
        let deleted = self
            .db
            .call({
                let id = id.clone();
                move |conn| -> Result<_, MemoryError> { Ok(facts::delete(conn, &id)?) }
            })
            .await?;
        if !deleted {
            return Err(MemoryError::NoFact(id));
        }
        self.bus.publish(Event::FactsChanged);
        Ok(())
    }

    /// Messages that match every word of `query` (the last one as a prefix),
    /// best first, with the matching words marked.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, MemoryError> {
        if !(1..=100).contains(&limit) {
            return Err(MemoryError::Invalid {
                field: "limit",
                reason: "must be between 1 and 100".into(),
            });
        }
        let Some((words, last)) = search::search_terms(query) else {
            return Err(MemoryError::Invalid {
                field: "q",
                reason: "needs at least one word".into(),
            });
        };
        let (found, terms) = self
            .query_index(SEARCH_FRESHNESS, move |index| {
                index.search_all(&words, Some(&last), limit as usize)
            })
            .await?;
        self.db
            .call(move |conn| Ok(search::hits(conn, &found, &terms)?))
            .await
    }
}
