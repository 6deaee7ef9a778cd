//! Import and export: Jarvis's own JSON, and ChatGPT's `conversations.json`.
//! An import is one transaction: a malformed file adds nothing, and a file
//! imported twice adds nothing the second time.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use jarvis_core::Role;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Conversation, Message, MessageStatus};

pub const EXPORT_FORMAT: &str = "jarvis.conversations";
pub const EXPORT_VERSION: u32 = 1;

/// Jarvis's own export: every conversation with its messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub conversations: Vec<ExportedConversation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedConversation {
    pub id: String,
    pub title: String,
    pub pinned: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ExportedMessage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedMessage {
    pub id: String,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Message> for ExportedMessage {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            role: m.role,
            content: m.content,
            status: m.status,
            provider: m.provider,
            model: m.model,
            error: m.error,
            created_at: m.created_at,
        }
    }
}

impl ExportedConversation {
    pub fn new(c: Conversation, messages: Vec<Message>) -> Self {
        Self {
            id: c.id,
            title: c.title,
            pinned: c.pinned,
            created_at: c.created_at,
            updated_at: c.updated_at,
            messages: messages.into_iter().map(Into::into).collect(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub format: String,
    pub conversations_imported: u32,
    pub messages_imported: u32,
    /// Already imported before (same source id), left as they were.
    pub conversations_skipped: u32,
}

/// A file that cannot be imported, with where the problem is.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct ImportError {
    /// `line L, column C` for bad JSON, or a path like `[3].mapping.x.message`.
    pub location: String,
    pub reason: String,
}

fn problem(location: impl Into<String>, reason: impl Into<String>) -> ImportError {
    ImportError {
        location: location.into(),
        reason: reason.into(),
    }
}

/// One conversation ready to store.
struct Incoming {
    id: String,
    source: String,
    title: String,
    pinned: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    messages: Vec<ExportedMessage>,
}

/// Reads a file as Jarvis JSON (an object with `format`) or ChatGPT's
/// export (an array of conversations).
fn parse(bytes: &[u8]) -> Result<(String, Vec<Incoming>), ImportError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => parse_jarvis(bytes).map(|c| ("jarvis".to_owned(), c)),
        Some(b'[') => parse_chatgpt(bytes).map(|c| ("chatgpt".to_owned(), c)),
        _ => Err(problem(
            "line 1",
            "expected Jarvis's JSON export (an object) or ChatGPT's conversations.json (an array)",
        )),
    }
}

fn deserialize<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ImportError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = if path.is_empty() || path == "." {
            format!("line {}, column {}", inner.line(), inner.column())
        } else {
            format!("{path} (line {}, column {})", inner.line(), inner.column())
        };
        let reason = inner.to_string();
        problem(
            location,
            reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_owned(),
        )
    })
}

fn parse_jarvis(bytes: &[u8]) -> Result<Vec<Incoming>, ImportError> {
    let export: Export = deserialize(bytes)?;
    if export.format != EXPORT_FORMAT {
        return Err(problem("format", format!("expected \"{EXPORT_FORMAT}\"")));
    }
    if export.version != EXPORT_VERSION {
        return Err(problem(
            "version",
            format!(
                "this Jarvis reads version {EXPORT_VERSION}, the file has {}",
                export.version
            ),
        ));
    }
    Ok(export
        .conversations
        .into_iter()
        .map(|c| Incoming {
            source: format!("jarvis:{}", c.id),
            id: c.id,
            title: c.title,
            pinned: c.pinned,
            created_at: c.created_at,
            updated_at: c.updated_at,
            messages: c.messages,
        })
        .collect())
}

// ChatGPT's export: each conversation is a tree of nodes (`mapping`); the
// visible thread runs from `current_node` up through `parent` links.
#[derive(Deserialize)]
struct GptConversation {
    id: Option<String>,
    conversation_id: Option<String>,
    title: Option<String>,
    create_time: Option<f64>,
    update_time: Option<f64>,
    mapping: HashMap<String, GptNode>,
    current_node: Option<String>,
}

#[derive(Deserialize)]
struct GptNode {
    message: Option<GptMessage>,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct GptMessage {
    id: String,
    author: GptAuthor,
    create_time: Option<f64>,
    content: GptContent,
}

#[derive(Deserialize)]
struct GptAuthor {
    role: String,
}

#[derive(Deserialize)]
struct GptContent {
    #[serde(default)]
    parts: Vec<serde_json::Value>,
}

fn timestamp(seconds: Option<f64>) -> Option<DateTime<Utc>> {
    let s = seconds?;
    Utc.timestamp_opt(s.trunc() as i64, (s.fract() * 1e9) as u32)
        .single()
}

fn parse_chatgpt(bytes: &[u8]) -> Result<Vec<Incoming>, ImportError> {
    let conversations: Vec<GptConversation> = deserialize(bytes)?;
    let now = Utc::now();
    let mut out = Vec::new();
    for (i, c) in conversations.into_iter().enumerate() {
        let id = c
            .conversation_id
            .clone()
            .or_else(|| c.id.clone())
            .ok_or_else(|| problem(format!("[{i}].id"), "missing conversation id"))?;
        let current = c
            .current_node
            .clone()
            .ok_or_else(|| problem(format!("[{i}].current_node"), "missing"))?;
        // Walk up from the current node; the number of steps is bounded so a
        // cycle in a hand-edited file cannot loop forever.
        let mut thread = Vec::new();
        let mut cursor = Some(current);
        for _ in 0..=c.mapping.len() {
            let Some(node_id) = cursor else { break };
            let node = c.mapping.get(&node_id).ok_or_else(|| {
                problem(
                    format!("[{i}].mapping.{node_id}"),
                    "a node refers to a node that is not in the mapping",
                )
            })?;
            thread.push(node);
            cursor = node.parent.clone();
        }
        thread.reverse();
        let created_at = timestamp(c.create_time).unwrap_or(now);
        let mut messages = Vec::new();
        for node in thread {
            let Some(m) = &node.message else { continue };
            let role = match m.author.role.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                _ => continue, // system prompts and tool output are not part of the talk
            };
            let content: String = m
                .content
                .parts
                .iter()
                .filter_map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            if content.trim().is_empty() {
                continue;
            }
            messages.push(ExportedMessage {
                id: format!("chatgpt-{}", m.id),
                role,
                content,
                status: MessageStatus::Complete,
                provider: (role == Role::Assistant).then(|| "ChatGPT".to_owned()),
                model: None,
                error: None,
                created_at: timestamp(m.create_time).unwrap_or(created_at),
            });
        }
        out.push(Incoming {
            id: uuid::Uuid::new_v4().to_string(),
            source: format!("chatgpt:{id}"),
            title: c
                .title
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "Imported from ChatGPT".to_owned()),
            pinned: false,
            created_at,
            updated_at: timestamp(c.update_time).unwrap_or(created_at),
            messages,
        });
    }
    Ok(out)
}

/// Parses and stores `bytes` in one transaction, handing each message to
/// the search index's `feed` as it is stored.
pub(crate) fn import(
    conn: &mut Connection,
    bytes: &[u8],
    mut feed: Option<crate::index::Feed>,
) -> Result<ImportReport, crate::MemoryError> {
    let (format, incoming) = parse(bytes).map_err(crate::MemoryError::Import)?;
    let tx = conn.transaction()?;
    let mut report = ImportReport {
        format,
        ..Default::default()
    };
    {
        let mut exists = tx.prepare("SELECT 1 FROM conversations WHERE source = ?1 OR id = ?2")?;
        let mut add_conversation = tx.prepare(
            "INSERT INTO conversations (id, title, pinned, created_at, updated_at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut add_message = tx.prepare(
            "INSERT INTO messages (id, conversation_id, seq, role, content, status, provider, model, error, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for c in incoming {
            if exists.exists((&c.source, &c.id))? {
                report.conversations_skipped += 1;
                continue;
            }
            add_conversation.execute((
                &c.id,
                &c.title,
                c.pinned,
                c.created_at.to_rfc3339(),
                c.updated_at.to_rfc3339(),
                &c.source,
            ))?;
            for (seq, m) in c.messages.into_iter().enumerate() {
                let rowid = add_message.insert(rusqlite::params![
                    m.id,
                    c.id,
                    seq as i64 + 1,
                    m.role.as_str(),
                    m.content,
                    m.status.as_str(),
                    m.provider,
                    m.model,
                    m.error,
                    m.created_at.to_rfc3339()
                ])?;
                if let Some(feed) = &mut feed {
                    feed.push(rowid, m.content);
                }
                report.messages_imported += 1;
            }
            report.conversations_imported += 1;
        }
    }
    tx.commit()?;
    if let Some(feed) = feed {
        feed.committed();
    }
    Ok(report)
}
