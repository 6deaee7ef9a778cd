//! "remember that my dentist appointment is on friday".
//!
//! The note is cut from the original transcript, not the normalised words, so
//! it keeps its capitals and punctuation ("Dr. Lee", "Friday").

use super::error::IntentError;
use super::model::Intent;
use super::words::command_start;

const TRIGGER: &str = "remember";

/// `None` when the sentence is not a request to remember something.
pub(super) fn parse(transcript: &str, words: &[&str]) -> Option<Result<Intent, IntentError>> {
    let start = command_start(words, &[]);
    if words.get(start) != Some(&TRIGGER) {
        return None;
    }
    // "remember when we went to Paris?" is a question, not a note.
    if transcript.trim_end().ends_with('?') {
        return None;
    }
    let text = note(transcript).unwrap_or_else(|| {
        let rest = words.get(start + 1..).unwrap_or_default();
        let rest = rest.strip_prefix(&["that"]).unwrap_or(rest);
        rest.join(" ")
    });
    Some(if text.is_empty() {
        Err(IntentError::NothingToRemember)
    } else {
        Ok(Intent::Remember { text })
    })
}

/// The original text after "remember" and an optional "that".
fn note(transcript: &str) -> Option<String> {
    let after = after_word(transcript, TRIGGER)?;
    let after = after.trim_start_matches(|c: char| c.is_whitespace() || ",:;-–—".contains(c));
    let after = if starts_with_word(after, "that") {
        after.get("that".len()..).unwrap_or_default()
    } else {
        after
    };
    let note = after
        .trim()
        .trim_end_matches(['.', '!'])
        .trim_end()
        .to_string();
    Some(note)
}

/// The text after the first whole-word, case-insensitive `word`.
fn after_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    // ASCII lowercasing keeps byte offsets, so indices carry over to `text`.
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower.get(from..)?.find(word) {
        let begin = from + found;
        let end = begin + word.len();
        let before_ok = !lower
            .get(..begin)
            .and_then(|head| head.chars().next_back())
            .is_some_and(char::is_alphanumeric);
        let after_ok = !lower
            .get(end..)
            .and_then(|tail| tail.chars().next())
            .is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return text.get(end..);
        }
        from = end;
    }
    None
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.get(..word.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(word))
        && !text
            .get(word.len()..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_alphanumeric)
}
