//! Pinned facts: what the user asked Jarvis to remember ("remember that
//! my dentist appointment is on Friday"). Every request carries them to the
//! model until the user deletes them.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::MemoryError;

/// The longest fact kept.
pub const MAX_FACT_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FactSource {
    Chat,
    Voice,
    Ui,
    Api,
}

impl FactSource {
    fn as_str(self) -> &'static str {
        match self {
            FactSource::Chat => "chat",
            FactSource::Voice => "voice",
            FactSource::Ui => "ui",
            FactSource::Api => "api",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "chat" => FactSource::Chat,
            "voice" => FactSource::Voice,
            "ui" => FactSource::Ui,
            _ => FactSource::Api,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Fact {
    pub id: String,
    pub text: String,
    pub source: FactSource,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/memory/facts`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewFact {
    pub text: String,
}

/// The fact in "remember that X" / "remember: X" / "please remember X",
/// or `None` when the text is not asking to remember something.
pub fn remembered(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let lower = trimmed.to_lowercase();
    let rest = [
        "please remember that ",
        "remember that ",
        "please remember ",
        "remember: ",
        "remember ",
    ]
    .iter()
    .find_map(|prefix| lower.starts_with(prefix).then(|| &trimmed[prefix.len()..]))?;
    let fact = rest.trim().trim_end_matches(['.', '!']).trim();
    // "remember that" with nothing after it is not a fact.
    (!fact.is_empty() && !fact.eq_ignore_ascii_case("that")).then(|| fact.to_string())
}

/// A fact's text, checked: trimmed, not empty, not too long.
pub(crate) fn validate(text: &str) -> Result<String, MemoryError> {
    let text = text.trim();
    let invalid = |reason: &str| MemoryError::Invalid {
        field: "text",
        reason: reason.into(),
    };
    if text.is_empty() {
        return Err(invalid("is empty: say what to remember"));
    }
    if text.chars().count() > MAX_FACT_CHARS {
        return Err(invalid("is longer than 1000 characters"));
    }
    Ok(text.to_string())
}

fn fact(row: &rusqlite::Row<'_>) -> rusqlite::Result<Fact> {
    let created: String = row.get(3)?;
    let source: String = row.get(2)?;
    Ok(Fact {
        id: row.get(0)?,
        text: row.get(1)?,
        source: FactSource::parse(&source),
        created_at: DateTime::parse_from_rfc3339(&created)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    3,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
    })
}

/// Stores a fact, or returns the same fact already stored.
pub(crate) fn add(
    conn: &Connection,
    text: &str,
    source: FactSource,
) -> rusqlite::Result<(Fact, bool)> {
    if let Some(existing) = conn
        .query_row(
            "SELECT id, text, source, created_at FROM memory_facts WHERE lower(text) = lower(?1)",
            [text],
            fact,
        )
        .optional()?
    {
        return Ok((existing, false));
    }
    let new = Fact {
        id: uuid::Uuid::new_v4().to_string(),
        text: text.to_string(),
        source,
        created_at: Utc::now(),
    };
    conn.execute(
        "INSERT INTO memory_facts (id, text, source, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            new.id,
            new.text,
            source.as_str(),
            new.created_at.to_rfc3339()
        ],
    )?;
    Ok((new, true))
}

/// Every fact, newest first.
pub(crate) fn list(conn: &Connection) -> rusqlite::Result<Vec<Fact>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, text, source, created_at FROM memory_facts ORDER BY created_at DESC, rowid DESC",
    )?;
    let rows = stmt.query_map([], fact)?;
    rows.collect()
}

/// Deletes a fact; false when there was none with that id.
pub(crate) fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM memory_facts WHERE id = ?1", [id])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remember_requests_are_recognised_and_others_are_not() {
        assert_eq!(
            remembered("Remember that my dentist appointment is on Friday."),
            Some("my dentist appointment is on Friday".into())
        );
        assert_eq!(
            remembered("please remember I take my coffee black"),
            Some("I take my coffee black".into())
        );
        assert_eq!(
            remembered("remember: the wifi password is on the fridge"),
            Some("the wifi password is on the fridge".into())
        );
        assert_eq!(remembered("Do you remember that film?"), None);
        assert_eq!(remembered("remember that"), None);
        assert_eq!(remembered("What should I remember?"), None);
    }
}
