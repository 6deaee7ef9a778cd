//! Voice for Jarvis: turns what speech-to-text heard into something the app can act on.
//!
//! [`intent::parse`] maps a transcript such as "Buy ten shares of Apple." to a
//! typed [`Intent`]; [`command_vocabulary`] gives whisper a prompt that makes
//! those commands easier to hear.

pub mod intent;

pub use intent::{
    Intent, IntentContext, IntentError, OrderType, QueryTarget, Screen, Side, Strategy, WatchItem,
    command_vocabulary, parse,
};
pub use rust_decimal::Decimal;
