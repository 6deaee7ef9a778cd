//! Real brokers behind the trading ports
//! ([`Broker`](jarvis_trading::broker::Broker) and
//! [`MarketData`](jarvis_trading::broker::MarketData) from `jarvis-trading`).
//!
//! # Adapters
//!
//! * [`AlpacaBroker`]: US stocks through Alpaca's Trading API v2 and bars
//!   from Market Data v2. [`AlpacaBroker::paper`] points at the paper
//!   endpoint (`https://paper-api.alpaca.markets`, data from
//!   `https://data.alpaca.markets`); [`AlpacaBroker::new`] takes any URLs.
//!   Orders are `day` orders; market and limit only.
//! * [`BinanceBroker`]: Binance Spot. [`BinanceBroker::testnet`] points at
//!   `https://testnet.binance.vision`; [`BinanceBroker::new`] takes any URL.
//!   Requests are signed (HMAC-SHA256 over the exact query string,
//!   `recvWindow` 5000 ms). A `-1021` clock error makes the adapter read the
//!   exchange's time, remember the offset and retry once.
//!
//! # Behaviour shared by both
//!
//! * Every request has a connect timeout (5 s) and a whole-request timeout
//!   (10 s) by default ([`Timeouts`]); nothing waits forever.
//! * Errors are [`BrokerError`](jarvis_trading::broker::BrokerError)s: a refusal with the broker's reason is
//!   `Rejected`; a 5xx, a timeout or a connection dropped after sending is
//!   `Unknown` (reconcile by client order id, e.g. with
//!   [`jarvis_trading::broker::submit_reconciled`]); a refused connection is
//!   `Unreachable`; bad keys are `Auth`; 429 (and Binance's 418) is
//!   `RateLimited` with the `Retry-After` seconds.
//! * Secrets are `SecretString`s, sent only in headers or as a signature;
//!   `Debug` of the brokers and error messages never contain them, and
//!   transport errors are stripped of URLs.
//! * Money and quantities are `Decimal` end to end (Alpaca's numeric bar
//!   fields are read from their JSON text, never through `f64`); times are UTC.
//! * `MarketData::bars` returns bars in `[start, end)`, oldest first,
//!   following Alpaca's `next_page_token` and paging Binance klines by time.
//!
//! # Verified
//!
//! `tests/alpaca.rs` and `tests/binance.rs` run each adapter against a
//! loopback server speaking the documented wire format (the Binance one checks
//! every signature and the recvWindow): fills, cancels, rejections, auth
//! failures, rate limits, clock correction, reconciliation after a 5xx with
//! and without the order recorded (never placed twice), a server that never
//! answers, malformed bodies and two-page bar downloads. Nothing here has been
//! run against the real services.

mod alpaca;
mod binance;
mod http;

use std::time::Duration;

pub use alpaca::AlpacaBroker;
pub use binance::BinanceBroker;

/// How long a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP + TLS connection.
    pub connect: Duration,
    /// The whole request, from sending to the last byte of the answer.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(10),
        }
    }
}
