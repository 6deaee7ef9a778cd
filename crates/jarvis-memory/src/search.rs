//! Full-text search over messages (SQLite FTS5).

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A piece of a snippet; `hit` pieces matched the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub conversation_id: String,
    pub conversation_title: String,
    pub message_id: String,
    pub role: jarvis_core::Role,
    /// The words around the match, split so the UI can highlight hits
    /// without rendering HTML.
    pub snippet: Vec<SnippetPart>,
    #[ts(type = "string")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

// Markers that cannot appear in user text (Unicode non-characters).
const START: char = '\u{FDD0}';
const END: char = '\u{FDD1}';

/// What a recalled memory is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RecallKind {
    /// An earlier message, found by its words.
    #[default]
    Message,
    /// A fact the user asked Jarvis to remember (`message_id` is the fact's id).
    Fact,
}

/// An earlier message (or a pinned fact) recalled into the context of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Recalled {
    /// Answers stored before facts existed have no kind: messages.
    #[serde(default)]
    pub kind: RecallKind,
    pub message_id: String,
    pub conversation_id: String,
    pub conversation_title: String,
    /// The part of the message that was given to the model.
    pub excerpt: String,
}

/// Longest excerpt of one recalled message.
const EXCERPT_CHARS: usize = 400;
/// Most messages recalled for one answer.
const RECALL_LIMIT: u32 = 5;

/// Words too common to say what a message is about.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
    "one", "our", "out", "has", "have", "him", "his", "how", "its", "may", "new", "now", "see",
    "two", "who", "did", "get", "got", "let", "say", "she", "too", "use", "that", "this", "with",
    "what", "when", "where", "which", "will", "would", "could", "should", "there", "their", "them",
    "then", "than", "they", "from", "about", "into", "your", "yours", "just", "like", "been",
    "were", "does", "tell", "me", "please", "why", "also", "some", "more", "very",
];

/// The meaningful words of `text` joined with OR: recall wants messages
/// that share any of them, best (bm25) first. `None` if nothing is left.
pub(crate) fn recall_query(text: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.chars().count() >= 3
            && !STOPWORDS.contains(&word.as_str())
            && !words.contains(&word)
        {
            words.push(word);
        }
    }
    words.truncate(12);
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" OR ")
    })
}

pub(crate) fn recall(
    conn: &Connection,
    expression: &str,
    exclude_conversation: &str,
    budget_chars: usize,
) -> rusqlite::Result<Vec<Recalled>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.conversation_id, c.title, m.content
         FROM messages_fts
         JOIN messages m ON m.rowid = messages_fts.rowid
         JOIN conversations c ON c.id = m.conversation_id
         WHERE messages_fts MATCH ?1 AND m.conversation_id != ?2 AND m.status != 'failed'
         ORDER BY rank
         LIMIT ?3",
    )?;
    let rows = stmt.query_map((expression, exclude_conversation, RECALL_LIMIT), |row| {
        Ok(Recalled {
            kind: RecallKind::Message,
            message_id: row.get(0)?,
            conversation_id: row.get(1)?,
            conversation_title: row.get(2)?,
            excerpt: row.get(3)?,
        })
    })?;
    let mut used = 0;
    let mut recalled = Vec::new();
    for row in rows {
        let mut memory = row?;
        if memory.excerpt.chars().count() > EXCERPT_CHARS {
            memory.excerpt = memory
                .excerpt
                .chars()
                .take(EXCERPT_CHARS)
                .collect::<String>()
                + "…";
        }
        used += memory.excerpt.len();
        if used > budget_chars {
            break;
        }
        recalled.push(memory);
    }
    Ok(recalled)
}

/// User words → an FTS5 expression: every word quoted (so `AND`, `"` or `*`
/// typed by the user are plain text), the last one a prefix. `None` if no word.
pub(crate) fn fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\""))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut expression = rest.join(" ");
    if !expression.is_empty() {
        expression.push(' ');
    }
    expression.push_str(last);
    expression.push('*');
    Some(expression)
}

pub(crate) fn split_snippet(snippet: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut hit = false;
    for c in snippet.chars() {
        if c == START || c == END {
            if !current.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut current),
                    hit,
                });
            }
            hit = c == START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart { text: current, hit });
    }
    parts
}

pub(crate) fn run(
    conn: &Connection,
    expression: &str,
    limit: u32,
) -> rusqlite::Result<Vec<SearchHit>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT m.conversation_id, c.title, m.id, m.role,
                snippet(messages_fts, 0, '{START}', '{END}', '…', 16), m.created_at
         FROM messages_fts
         JOIN messages m ON m.rowid = messages_fts.rowid
         JOIN conversations c ON c.id = m.conversation_id
         WHERE messages_fts MATCH ?1
         ORDER BY rank
         LIMIT ?2"
    ))?;
    let rows = stmt.query_map((expression, limit), |row| {
        let role: String = row.get(3)?;
        let created: String = row.get(5)?;
        Ok(SearchHit {
            conversation_id: row.get(0)?,
            conversation_title: row.get(1)?,
            message_id: row.get(2)?,
            role: jarvis_core::Role::parse(&role).unwrap_or(jarvis_core::Role::User),
            snippet: split_snippet(&row.get::<_, String>(4)?),
            created_at: chrono::DateTime::parse_from_rfc3339(&created)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_default(),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_quoted_and_the_last_word_is_a_prefix() {
        assert_eq!(
            fts_query("red planet").as_deref(),
            Some("\"red\" \"planet\"*")
        );
        assert_eq!(fts_query("AND OR \"*").as_deref(), Some("\"AND\" \"OR\"*"));
        assert_eq!(fts_query("  ?! "), None);
    }

    #[test]
    fn recall_keeps_meaningful_words_joined_by_or() {
        assert_eq!(
            recall_query("What is the colour of Mars? mars!").as_deref(),
            Some("\"colour\" OR \"mars\"")
        );
        assert_eq!(recall_query("what is it?"), None);
    }

    #[test]
    fn snippets_split_into_plain_and_hit_parts() {
        let parts = split_snippet(&format!("the {START}red{END} planet"));
        assert_eq!(
            parts,
            vec![
                SnippetPart {
                    text: "the ".into(),
                    hit: false
                },
                SnippetPart {
                    text: "red".into(),
                    hit: true
                },
                SnippetPart {
                    text: " planet".into(),
                    hit: false
                },
            ]
        );
    }
}
