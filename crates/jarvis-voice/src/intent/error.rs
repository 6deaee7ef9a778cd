//! Why a sentence that is clearly a command cannot be carried out as heard.

use rust_decimal::Decimal;
use thiserror::Error;

/// A command that was recognised but refused; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IntentError {
    #[error("nothing was heard")]
    Empty,
    #[error("quantity must be positive: got {0}")]
    NonPositiveQuantity(Decimal),
    #[error("how many shares? no quantity heard in \"{0}\"")]
    MissingQuantity(String),
    #[error("dollar amounts are not supported: say a number of shares")]
    NotionalAmount,
    #[error("which company? none heard in \"{0}\"")]
    MissingCompany(String),
    #[error("unknown company: could not map \"{0}\" to a ticker")]
    UnknownCompany(String),
    #[error("ambiguous company: heard {}", .0.join(" and "))]
    AmbiguousCompany(Vec<String>),
    #[error("limit price must be positive: got {0}")]
    NonPositivePrice(Decimal),
    #[error("a limit order needs a price, e.g. \"at 110\"")]
    MissingLimitPrice,
    #[error("which strategy? say moving average, rsi or breakout")]
    MissingStrategy,
    #[error("more than one strategy heard: {}", .0.join(" and "))]
    AmbiguousStrategy(Vec<String>),
    #[error("nothing to remember after \"remember\"")]
    NothingToRemember,
}
