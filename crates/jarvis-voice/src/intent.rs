//! Spoken-command intent parser: transcript in, [`Intent`] out.
//!
//! Each recogniser below owns one kind of command and answers `None` when the
//! sentence is not its kind, so anything unclaimed falls through to chat.

mod backtest;
mod commands;
mod company;
mod error;
mod model;
mod normalize;
mod numbers;
mod remember;
mod tickers;
mod trade;
mod vocabulary;
mod words;

#[cfg(test)]
mod tests;

pub use error::IntentError;
pub use model::{Intent, IntentContext, OrderType, QueryTarget, Screen, Side, Strategy, WatchItem};
pub use vocabulary::command_vocabulary;

/// Reads one transcript as a command, or as chat when it is not one.
///
/// Errors are for sentences that are clearly commands but cannot be carried
/// out as heard (a negative quantity, an unknown company, ...): guessing there
/// could place the wrong order.
pub fn parse(transcript: &str, ctx: &IntentContext) -> Result<Intent, IntentError> {
    let tokens = normalize::tokens(transcript);
    if tokens.is_empty() {
        return Err(IntentError::Empty);
    }
    let words: Vec<&str> = tokens.iter().map(String::as_str).collect();

    // Order matters: the specific commands come before the looser ones, so
    // "remember that my positions ..." is a memory, not a positions query.
    if let Some(result) = remember::parse(transcript, &words) {
        return result;
    }
    if let Some(intent) = commands::kill_switch(&words) {
        return Ok(intent);
    }
    if let Some(intent) = commands::cancel_all(&words) {
        return Ok(intent);
    }
    if let Some(result) = backtest::parse(&words, ctx) {
        return result;
    }
    if let Some(result) = trade::parse(&words, ctx) {
        return result;
    }
    if let Some(intent) = commands::navigate(&words) {
        return Ok(intent);
    }
    if let Some(intent) = commands::query(&words) {
        return Ok(intent);
    }
    Ok(Intent::Chat {
        text: transcript.trim().to_string(),
    })
}
