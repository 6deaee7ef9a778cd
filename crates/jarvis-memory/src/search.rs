//! Search and recall over messages: what to ask the index (`index.rs`)
//! and how to show what it found.

use rusqlite::{Connection, OptionalExtension};

use crate::index::{self, Found};
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
    /// An earlier message about the same thing, found by its embedding.
    Similar,
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

/// Words of fewer characters say little about what a message is about.
const RECALL_MIN_CHARS: usize = 3;
/// Candidates read from the index per recalled message: some are in the
/// current conversation or failed, and are skipped.
const RECALL_CANDIDATES: usize = 8;

/// The meaningful terms of `text` (no stopwords, no short words, each once,
/// at most 12): recall wants messages that share any of them.
pub(crate) fn recall_terms(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in index::terms(text) {
        if word.chars().count() >= RECALL_MIN_CHARS
            && !STOPWORDS.contains(&word.as_str())
            && !words.contains(&word)
        {
            words.push(word);
        }
    }
    words.truncate(12);
    words
}

/// User text → the words every hit must hold, and the last word, which may
/// be the start of a longer one (the user may still be typing it).
/// Whatever the user types is plain text. `None` if there is no word.
pub(crate) fn search_terms(query: &str) -> Option<(Vec<String>, String)> {
    let mut words = index::terms(query);
    words.truncate(16);
    let last = words.pop()?;
    words.dedup();
    Some((words, last))
}

/// How many of the best hits recall asks the index for.
pub(crate) fn recall_candidates() -> usize {
    RECALL_LIMIT as usize * RECALL_CANDIDATES
}

/// The recalled messages among `found` (best first): not from the current
/// conversation, not failed, within `budget_chars`.
pub(crate) fn recall(
    conn: &Connection,
    found: &[Found],
    exclude_conversation: &str,
    budget_chars: usize,
) -> rusqlite::Result<Vec<Recalled>> {
    let mut stmt = conn.prepare_cached(recalled_message_sql!("m.rowid"))?;
    let candidates = found.iter().map(|f| {
        stmt.query_row(
            (f.rowid, exclude_conversation),
            recalled_message(RecallKind::Message),
        )
        .optional()
    });
    within_budget(candidates, budget_chars, RECALL_LIMIT as usize)
}

/// The query for one message to recall, found by `$key = ?1`: not from
/// conversation ?2, not failed; its row read by `recalled_message`.
macro_rules! recalled_message_sql {
    ($key:literal) => {
        concat!(
            "SELECT m.id, m.conversation_id, c.title, m.content
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE ",
            $key,
            " = ?1 AND m.conversation_id != ?2 AND m.status != 'failed'"
        )
    };
}
pub(crate) use recalled_message_sql;

/// Reads a row of `recalled_message_sql!` as a recalled message of `kind`.
pub(crate) fn recalled_message(
    kind: RecallKind,
) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<Recalled> {
    move |row| {
        Ok(Recalled {
            kind,
            message_id: row.get(0)?,
            conversation_id: row.get(1)?,
            conversation_title: row.get(2)?,
            excerpt: row.get(3)?,
        })
    }
}

/// The candidates that exist (`Some`), in order, each excerpt shortened to
/// `EXCERPT_CHARS`, until `budget_chars` or `limit` is reached.
pub(crate) fn within_budget(
    candidates: impl Iterator<Item = rusqlite::Result<Option<Recalled>>>,
    budget_chars: usize,
    limit: usize,
) -> rusqlite::Result<Vec<Recalled>> {
    let mut used = 0;
    let mut recalled = Vec::new();
    for candidate in candidates {
        let Some(mut memory) = candidate? else {
            continue;
        };
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
        if recalled.len() == limit {
            break;
        }
    }
    Ok(recalled)
}

/// Tokens a snippet shows around its hits.
const SNIPPET_TOKENS: usize = 16;

/// The `SNIPPET_TOKENS` words of `content` holding the most of `terms`,
/// split into plain and hit parts, with "…" where text was cut.
pub(crate) fn snippet(content: &str, terms: &[String]) -> Vec<SnippetPart> {
    let mut analyzer = index::analyzer();
    let mut stream = analyzer.token_stream(content);
    let mut tokens: Vec<(usize, usize, bool)> = Vec::new();
    while let Some(token) = stream.next() {
        tokens.push((
            token.offset_from,
            token.offset_to,
            terms.contains(&token.text),
        ));
    }
    if tokens.is_empty() {
        return vec![SnippetPart {
            text: content.chars().take(EXCERPT_CHARS).collect(),
            hit: false,
        }];
    }
    // The window with the most hits (the first such one).
    let width = SNIPPET_TOKENS.min(tokens.len());
    let mut hits_in: usize = tokens[..width].iter().filter(|t| t.2).count();
    let (mut best, mut best_hits) = (0, hits_in);
    for start in 1..=tokens.len() - width {
        hits_in =
            hits_in + usize::from(tokens[start + width - 1].2) - usize::from(tokens[start - 1].2);
        if hits_in > best_hits {
            (best, best_hits) = (start, hits_in);
        }
    }
    // Centre the hits in the window.
    if best_hits > 0 {
        let first = best
            + tokens[best..best + width]
                .iter()
                .position(|t| t.2)
                .unwrap_or(0);
        let last = best
            + tokens[best..best + width]
                .iter()
                .rposition(|t| t.2)
                .unwrap_or(0);
        let slack = width - (last - first + 1);
        best = first.saturating_sub(slack / 2).min(tokens.len() - width);
    }
    let window = &tokens[best..best + width];
    let from = if best == 0 { 0 } else { window[0].0 };
    let to = if best + width == tokens.len() {
        content.len()
    } else {
        window[width - 1].1
    };
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: &str, hit: bool| {
        if text.is_empty() {
            return;
        }
        match parts.last_mut() {
            Some(last) if last.hit == hit && !hit => last.text.push_str(text),
            _ => parts.push(SnippetPart {
                text: text.to_owned(),
                hit,
            }),
        }
    };
    if from > 0 {
        push("…", false);
    }
    let mut at = from;
    for &(start, end, hit) in window.iter().filter(|t| t.2) {
        push(&content[at..start], false);
        push(&content[start..end], hit);
        at = end;
    }
    push(&content[at..to], false);
    if to < content.len() {
        push("…", false);
    }
    parts
}

/// The stored messages behind `found`, in its order, with snippets marking
/// `terms`. Hits for rows deleted since they were indexed are skipped.
pub(crate) fn hits(
    conn: &Connection,
    found: &[Found],
    terms: &[String],
) -> rusqlite::Result<Vec<SearchHit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.conversation_id, c.title, m.id, m.role, m.content, m.created_at
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.rowid = ?1",
    )?;
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        let hit = stmt
            .query_row([f.rowid], |row| {
                let role: String = row.get(3)?;
                let created: String = row.get(5)?;
                Ok(SearchHit {
                    conversation_id: row.get(0)?,
                    conversation_title: row.get(1)?,
                    message_id: row.get(2)?,
                    role: jarvis_core::Role::parse(&role).unwrap_or(jarvis_core::Role::User),
                    snippet: snippet(&row.get::<_, String>(4)?, terms),
                    created_at: chrono::DateTime::parse_from_rfc3339(&created)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .unwrap_or_default(),
                })
            })
            .optional()?;
        out.extend(hit);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_plain_words_and_the_last_one_may_be_a_prefix() {
        assert_eq!(
            search_terms("Red  PLANÈT"),
            Some((vec!["red".to_owned()], "planet".to_owned()))
        );
        assert_eq!(
            search_terms("AND OR \"*"),
            Some((vec!["and".to_owned()], "or".to_owned()))
        );
        assert_eq!(search_terms("  ?! "), None);
    }

    #[test]
    fn recall_keeps_meaningful_words_once() {
        assert_eq!(
            recall_terms("What is the colour of Mars? mars!"),
            ["colour", "mars"]
        );
        assert!(recall_terms("what is it?").is_empty());
    }

    fn marked(parts: &[SnippetPart]) -> Vec<&str> {
        parts
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect()
    }

    #[test]
    fn snippets_mark_the_hits_as_written() {
        let parts = snippet("The Red planet, red!", &["red".to_owned()]);
        assert_eq!(marked(&parts), ["Red", "red"]);
        let text: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(text, "The Red planet, red!");
    }

    #[test]
    fn long_messages_are_cut_around_the_most_hits() {
        let content = format!(
            "{} mars {} mars rover {}",
            "one ".repeat(40),
            "two ".repeat(3),
            "three ".repeat(40)
        );
        let parts = snippet(&content, &["mars".to_owned(), "rover".to_owned()]);
        assert_eq!(marked(&parts), ["mars", "mars", "rover"]);
        assert!(parts.first().unwrap().text.starts_with("…one"));
        assert!(parts.last().unwrap().text.ends_with('…'));
        let words: usize = parts
            .iter()
            .map(|p| p.text.split_whitespace().filter(|w| *w != "…").count())
            .sum();
        assert!(words <= SNIPPET_TOKENS + 1, "{parts:?}");
    }
}
