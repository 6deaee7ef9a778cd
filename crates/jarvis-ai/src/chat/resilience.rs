//! Retry with backoff and jitter, a circuit breaker per provider, timeouts,
//! and the fallback chain that moves on when a provider fails before its
//! first token.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use rand::Rng;
use serde::Serialize;
use ts_rs::TS;

use super::{ChatProvider, ChatRequest, Fault, TokenStream};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per provider, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): the server's
    /// `Retry-After` when it gave one, else exponential with jitter in [½, 1].
    pub fn delay(&self, attempt: u32, fault: &Fault) -> Duration {
        if let Fault::RateLimited {
            retry_after: Some(after),
        } = fault
        {
            return (*after).min(Duration::from_secs(60));
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        let jitter = rand::rng().random_range(0.5..=1.0);
        exp.mul_f64(jitter)
    }
}

#[derive(Debug, Clone)]
pub struct Timeouts {
    /// From sending the request to the first token.
    pub first_token: Duration,
    /// The longest silence between two tokens.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            first_token: Duration::from_secs(30),
            idle: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open before one trial request.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

/// Closed → (threshold failures) → Open → (open_for elapsed) → HalfOpen, where
/// one trial request either closes it again or re-opens it.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<BreakerInner>,
}

#[derive(Debug)]
struct BreakerInner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
    trial_in_flight: bool,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(BreakerInner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
                trial_in_flight: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> BreakerState {
        let mut inner = self.lock();
        self.advance(&mut inner);
        inner.state
    }

    fn advance(&self, inner: &mut BreakerInner) {
        if inner.state == BreakerState::Open
            && inner
                .opened_at
                .is_some_and(|at| at.elapsed() >= self.config.open_for)
        {
            inner.state = BreakerState::HalfOpen;
            inner.trial_in_flight = false;
        }
    }

    /// May a request go out now?
    pub fn try_acquire(&self) -> bool {
        let mut inner = self.lock();
        self.advance(&mut inner);
        match inner.state {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen if inner.trial_in_flight => false,
            BreakerState::HalfOpen => {
                inner.trial_in_flight = true;
                true
            }
        }
    }

    pub fn on_success(&self) {
        let mut inner = self.lock();
        inner.state = BreakerState::Closed;
        inner.failures = 0;
        inner.opened_at = None;
        inner.trial_in_flight = false;
    }

    pub fn on_failure(&self) {
        let mut inner = self.lock();
        inner.failures += 1;
        if inner.state == BreakerState::HalfOpen || inner.failures >= self.config.failure_threshold
        {
            inner.state = BreakerState::Open;
            inner.opened_at = Some(Instant::now());
            inner.trial_in_flight = false;
        }
    }
}

/// One step of a fallback chain.
pub struct Candidate {
    /// Shown to the user as "answered by".
    pub name: String,
    pub provider: Arc<dyn ChatProvider>,
    pub breaker: Arc<CircuitBreaker>,
    pub request: ChatRequest,
}

/// A failed try, kept so the user can see why a fallback happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub provider: String,
    pub fault: Fault,
}

/// An answer that has started: the first token is already in `stream`.
pub struct Started {
    pub provider: String,
    pub stream: TokenStream,
    pub attempts: Vec<Attempt>,
}

/// Tries each candidate in order (with retries) until one yields a first
/// token. Failures after the first token are the stream's business: the
/// text so far is kept and marked interrupted, never silently retried.
pub async fn start(
    chain: &[Candidate],
    retry: &RetryPolicy,
    timeouts: &Timeouts,
) -> Result<Started, Vec<Attempt>> {
    let mut attempts = Vec::new();
    for candidate in chain {
        for attempt in 0..retry.max_attempts.max(1) {
            if !candidate.breaker.try_acquire() {
                attempts.push(Attempt {
                    provider: candidate.name.clone(),
                    fault: Fault::CircuitOpen,
                });
                break;
            }
            match first_token(candidate, timeouts.first_token).await {
                Ok((token, rest)) => {
                    candidate.breaker.on_success();
                    let stream = stream::once(async { Ok(token) })
                        .chain(with_idle_timeout(rest, timeouts.idle));
                    return Ok(Started {
                        provider: candidate.name.clone(),
                        stream: Box::pin(stream),
                        attempts,
                    });
                }
                Err(fault) => {
                    tracing::warn!(provider = %candidate.name, attempt, %fault, "provider attempt failed");
                    if fault.counts_as_failure() {
                        candidate.breaker.on_failure();
                    }
                    let again = fault.retryable() && attempt + 1 < retry.max_attempts;
                    let delay = retry.delay(attempt, &fault);
                    attempts.push(Attempt {
                        provider: candidate.name.clone(),
                        fault,
                    });
                    if !again {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
    Err(attempts)
}

async fn first_token(
    candidate: &Candidate,
    limit: Duration,
) -> Result<(String, TokenStream), Fault> {
    let started = async {
        let mut stream = candidate.provider.stream(&candidate.request).await?;
        match stream.next().await {
            Some(Ok(token)) => Ok((token, stream)),
            Some(Err(fault)) => Err(fault),
            None => Err(Fault::Cut),
        }
    };
    tokio::time::timeout(limit, started)
        .await
        .unwrap_or(Err(Fault::Timeout("waiting for the first token")))
}

/// Ends the stream with a timeout fault after `idle` without a token.
fn with_idle_timeout(stream: TokenStream, idle: Duration) -> TokenStream {
    Box::pin(stream::unfold(Some(stream), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(item)) => {
                let done = item.is_err();
                Some((item, (!done).then_some(stream)))
            }
            Ok(None) => None,
            Err(_) => Some((Err(Fault::Timeout("the stream went silent")), None)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_the_threshold_and_half_opens_for_one_trial() {
        let breaker = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 2,
            open_for: Duration::from_millis(30),
        });
        assert!(breaker.try_acquire());
        breaker.on_failure();
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.on_failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.try_acquire());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.try_acquire(), "one trial goes through");
        assert!(!breaker.try_acquire(), "but only one");
        breaker.on_failure();
        assert_eq!(
            breaker.state(),
            BreakerState::Open,
            "a failed trial re-opens"
        );
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.try_acquire());
        breaker.on_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        let server = Fault::Server {
            status: 500,
            message: String::new(),
        };
        for attempt in 0..4 {
            let full =
                Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_millis(350));
            let d = policy.delay(attempt, &server);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let limited = Fault::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(policy.delay(0, &limited), Duration::from_secs(2));
    }
}
