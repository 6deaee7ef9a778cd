//! The ports to the outside world of trading: a `Broker` that takes orders
//! and a `MarketData` source of bars. The paper broker in `paper.rs` is the
//! built-in one; real ones (Alpaca, Binance) live in `jarvis-brokers`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::bars::Bar;
use crate::orders::{OrderState, OrderType, Side};
use crate::validate::Instrument;

/// What is sent to a broker. `client_order_id` makes it idempotent: a
/// retry after an unknown outcome finds the first order instead of placing
/// a second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerOrderRequest {
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Decimal,
    pub limit_price: Option<Decimal>,
}

/// An order as the broker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerOrder {
    /// The broker's own id.
    pub broker_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub qty: Decimal,
    pub filled_qty: Decimal,
    pub avg_fill_price: Option<Decimal>,
    pub state: OrderState,
    /// The broker's reason for a rejection or cancel, when it gives one.
    pub reason: Option<String>,
    /// Commissions charged on the filled part so far, in the account's
    /// currency; `None` when the broker reports none (Alpaca on stocks).
    pub fees: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAccount {
    pub cash: Decimal,
    pub equity: Decimal,
    pub buying_power: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerPosition {
    pub symbol: String,
    /// Signed: negative is short.
    pub qty: Decimal,
    pub avg_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The broker refused the order for a stated reason (insufficient
    /// buying power, unknown symbol…). Nothing was placed.
    #[error("{broker} rejected the order: {reason}")]
    Rejected {
        broker: &'static str,
        reason: String,
    },
    /// Too many requests; try again after this many seconds.
    #[error("{broker} is rate limiting requests; retry after {retry_after_secs} s")]
    RateLimited {
        broker: &'static str,
        retry_after_secs: u64,
    },
    /// The request may or may not have taken effect (a 5xx, a timeout, a
    /// dropped connection): reconcile by client order id before retrying.
    #[error("{broker} did not say whether the request took effect: {reason}")]
    Unknown {
        broker: &'static str,
        reason: String,
    },
    /// The keys were refused.
    #[error("{broker} refused the API keys: {reason}")]
    Auth {
        broker: &'static str,
        reason: String,
    },
    /// The local clock is too far from the broker's (Binance -1021).
    #[error("{broker}: the computer's clock is out of step with the exchange: {reason}")]
    Clock {
        broker: &'static str,
        reason: String,
    },
    #[error("{broker}: no order with client order id {client_order_id}")]
    NotFound {
        broker: &'static str,
        client_order_id: String,
    },
    /// The broker answered with something that is not its documented format.
    #[error("{broker} sent an unexpected reply: {reason}")]
    Protocol {
        broker: &'static str,
        reason: String,
    },
    /// The broker could not be reached at all; nothing was sent.
    #[error("cannot reach {broker}: {reason}")]
    Unreachable {
        broker: &'static str,
        reason: String,
    },
}

/// Whether a market is trading now, as the broker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketClock {
    pub is_open: bool,
    pub next_open: Option<DateTime<Utc>>,
    pub next_close: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait Broker: Send + Sync {
    fn name(&self) -> &'static str;
    /// Refuses, with the reason, instruments this broker does not trade.
    fn supports(&self, _instrument: &Instrument) -> Result<(), String> {
        Ok(())
    }
    /// The market's hours now; `None` where it never closes (crypto).
    async fn clock(&self) -> Result<Option<MarketClock>, BrokerError> {
        Ok(None)
    }
    /// Tells brokers whose lookups need the symbol (Binance) which symbol
    /// an order is for, e.g. for orders placed before a restart.
    fn remember_symbol(&self, _client_order_id: &str, _symbol: &str) {}
    /// Places an order. On `BrokerError::Unknown` the caller reconciles with
    /// [`Broker::order`] by client order id before trying again.
    async fn submit(&self, order: &BrokerOrderRequest) -> Result<BrokerOrder, BrokerError>;
    async fn cancel(&self, client_order_id: &str) -> Result<BrokerOrder, BrokerError>;
    /// The order with this client order id, or `None` if the broker never
    /// received it.
    async fn order(&self, client_order_id: &str) -> Result<Option<BrokerOrder>, BrokerError>;
    async fn account(&self) -> Result<BrokerAccount, BrokerError>;
    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError>;
}

/// Bar sizes market-data sources are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeframe {
    Minute,
    Hour,
    Day,
}

#[async_trait]
pub trait MarketData: Send + Sync {
    fn name(&self) -> &'static str;
    /// Bars for `symbol` from `start` (inclusive) to `end` (exclusive),
    /// oldest first.
    async fn bars(
        &self,
        symbol: &str,
        timeframe: Timeframe,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Bar>, BrokerError>;
}

/// Places an order safely against a real broker: on an unknown outcome it
/// asks the broker for the client order id, and only resubmits when the
/// broker never saw it. Returns the broker's view of the one order.
pub async fn submit_reconciled(
    broker: &dyn Broker,
    order: &BrokerOrderRequest,
) -> Result<BrokerOrder, BrokerError> {
    match broker.submit(order).await {
        Err(BrokerError::Unknown { .. }) => match broker.order(&order.client_order_id).await? {
            Some(found) => Ok(found),
            None => broker.submit(order).await,
        },
        other => other,
    }
}
