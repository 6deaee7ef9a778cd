use std::time::Duration;

/// Why a provider call failed, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fault {
    #[error("cannot connect to the provider: {0}")]
    Connect(String),
    #[error("the provider did not answer in time ({0})")]
    Timeout(&'static str),
    #[error("the provider is rate limiting (HTTP 429){}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("the provider failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the provider refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the provider sent something unreadable: {0}")]
    Protocol(String),
    #[error("the answer stopped before the provider finished it")]
    Cut,
    #[error("the provider is paused after repeated failures (circuit open)")]
    CircuitOpen,
    /// The built-in model could not run (missing file, bad model, no engine).
    #[error("the built-in model cannot answer: {0}")]
    Local(String),
}

impl Fault {
    /// Worth trying again with the same provider.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Fault::Connect(_)
                | Fault::Timeout(_)
                | Fault::RateLimited { .. }
                | Fault::Server { .. }
        )
    }

    /// Counts against the provider's circuit breaker (a refused request is
    /// the caller's problem, not the provider's health).
    pub fn counts_as_failure(&self) -> bool {
        !matches!(self, Fault::Refused { .. } | Fault::CircuitOpen)
    }
}
