//! Trading through a real broker: the venue (a `Broker` and its
//! `MarketData`), the broker's latest view of the account, and how a
//! broker's report of an order becomes fills and state here.
//!
//! With a real broker the broker settles: cash, buying power and positions
//! are the broker's. Jarvis still validates, checks risk, audits every
//! step and records each fill the broker reports.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::broker::{Broker, BrokerAccount, BrokerError, BrokerOrder, BrokerPosition, MarketClock};
use crate::broker::{MarketData, Timeframe};
use crate::orders::{Fill, Order, OrderState};

/// The broker's view of the account at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub account: BrokerAccount,
    pub positions: Vec<BrokerPosition>,
    /// `None` where the market never closes.
    pub clock: Option<MarketClock>,
    pub at: DateTime<Utc>,
}

impl Snapshot {
    pub fn position_qty(&self, symbol: &str) -> Decimal {
        self.positions
            .iter()
            .find(|p| p.symbol == symbol)
            .map_or(Decimal::ZERO, |p| p.qty)
    }
}

/// A real broker orders go to.
pub struct LiveVenue {
    broker: Arc<dyn Broker>,
    data: Arc<dyn MarketData>,
    snapshot: Mutex<Option<Snapshot>>,
    /// Equity at the first look of each UTC day, for the daily loss limit.
    day_start: Mutex<Option<(NaiveDate, Decimal)>>,
    /// Client order ids being sent right now: the background sync must not
    /// send them a second time while the first send is in flight.
    in_flight: Mutex<HashSet<String>>,
}

impl LiveVenue {
    pub fn new(broker: Arc<dyn Broker>, data: Arc<dyn MarketData>) -> Arc<Self> {
        Arc::new(Self {
            broker,
            data,
            snapshot: Mutex::new(None),
            day_start: Mutex::new(None),
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    pub fn name(&self) -> &'static str {
        self.broker.name()
    }

    pub fn broker(&self) -> &dyn Broker {
        self.broker.as_ref()
    }

    /// Asks the broker for the account, positions and market clock.
    pub async fn refresh(&self) -> Result<Snapshot, BrokerError> {
        let account = self.broker.account().await?;
        let positions = self.broker.positions().await?;
        let clock = self.broker.clock().await?;
        let now = Utc::now();
        {
            let mut day = lock(&self.day_start);
            if day.is_none_or(|(d, _)| d != now.date_naive()) {
                *day = Some((now.date_naive(), account.equity));
            }
        }
        let snapshot = Snapshot {
            account,
            positions,
            clock,
            at: now,
        };
        *lock(&self.snapshot) = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// The last snapshot taken, if any.
    pub fn snapshot(&self) -> Option<Snapshot> {
        lock(&self.snapshot).clone()
    }

    pub fn day_start_equity(&self) -> Option<Decimal> {
        lock(&self.day_start).map(|(_, equity)| equity)
    }

    /// The latest close the broker's market data has for `symbol` within
    /// the last week (markets close over weekends and holidays).
    pub async fn last_price(
        &self,
        symbol: &str,
    ) -> Result<Option<(Decimal, DateTime<Utc>)>, BrokerError> {
        let end = Utc::now();
        let start = end - chrono::Duration::days(7);
        let bars = self.data.bars(symbol, Timeframe::Hour, start, end).await?;
        Ok(bars.last().map(|b| (b.close, b.ts)))
    }

    pub fn data(&self) -> &dyn MarketData {
        self.data.as_ref()
    }

    /// Marks `client_order_id` as being sent; false if it already is.
    pub(crate) fn begin_send(&self, client_order_id: &str) -> bool {
        lock(&self.in_flight).insert(client_order_id.to_string())
    }

    pub(crate) fn end_send(&self, client_order_id: &str) {
        lock(&self.in_flight).remove(client_order_id);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a broker's report changes in `order`: the updated order and the
/// fill for the quantity filled since the last report, if any. `None`
/// when nothing changed.
/// `fees_recorded` is what the order's fills recorded here have paid so far:
/// the new fill pays the rest of the broker's cumulative fees.
pub(crate) fn apply_report(
    order: &Order,
    report: &BrokerOrder,
    fees_recorded: Decimal,
    now: DateTime<Utc>,
) -> Option<(Order, Option<Fill>)> {
    let mut updated = order.clone();
    updated.broker_order_id = Some(report.broker_id.clone());
    let mut fill = None;
    let delta = report.filled_qty - order.filled_qty;
    if delta > Decimal::ZERO {
        // The broker reports the cumulative average; the new part's price
        // is what makes the averages agree.
        let reported_value = report.avg_fill_price.unwrap_or_default() * report.filled_qty;
        let value_before = order.avg_fill_price.unwrap_or_default() * order.filled_qty;
        let price = ((reported_value - value_before) / delta)
            .round_dp(8)
            .normalize();
        fill = Some(Fill {
            order_id: order.id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            qty: delta,
            price,
            fee: report.fees.map_or(Decimal::ZERO, |fees| {
                (fees - fees_recorded).max(Decimal::ZERO)
            }),
            time: now,
        });
        updated.filled_qty = report.filled_qty;
        updated.avg_fill_price = report.avg_fill_price.map(|p| p.normalize());
    }
    updated.state = match report.state {
        // Never move backwards: a report can trail our own knowledge.
        OrderState::Accepted if order.state == OrderState::PartiallyFilled => order.state,
        state => state,
    };
    if !updated.state.is_open() && report.reason.is_some() {
        updated.reason = report.reason.clone();
    } else if updated.state.is_open() {
        updated.reason = None;
    }
    let changed = updated.broker_order_id != order.broker_order_id
        || fill.is_some()
        || updated.state != order.state
        || updated.reason != order.reason;
    changed.then(|| {
        updated.updated_at = now;
        (updated, fill)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{OrderSource, OrderType, Side};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn order() -> Order {
        Order {
            id: "o1".into(),
            client_order_id: "c1".into(),
            symbol: "AAPL".into(),
            side: Side::Buy,
            order_type: OrderType::Market,
            qty: d("10"),
            limit_price: None,
            filled_qty: Decimal::ZERO,
            avg_fill_price: None,
            state: OrderState::Accepted,
            reason: None,
            source: OrderSource::Api,
            venue: "alpaca".into(),
            broker_order_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn report(filled: &str, avg: Option<&str>, state: OrderState) -> BrokerOrder {
        BrokerOrder {
            broker_id: "b1".into(),
            client_order_id: "c1".into(),
            symbol: "AAPL".into(),
            side: Side::Buy,
            qty: d("10"),
            filled_qty: d(filled),
            avg_fill_price: avg.map(d),
            state,
            reason: None,
            fees: None,
        }
    }

    #[test]
    fn partial_then_full_fill_prices_each_part_so_the_average_matches() {
        let first = report("4", Some("100"), OrderState::PartiallyFilled);
        let (after_first, fill) =
            apply_report(&order(), &first, Decimal::ZERO, Utc::now()).unwrap();
        let fill = fill.unwrap();
        assert_eq!((fill.qty, fill.price, fill.fee), (d("4"), d("100"), d("0")));
        assert_eq!(after_first.broker_order_id.as_deref(), Some("b1"));

        // 4 @ 100 then 6 more for an average of 101.2: the 6 cost 102.
        let second = report("10", Some("101.2"), OrderState::Filled);
        let (done, fill) = apply_report(&after_first, &second, Decimal::ZERO, Utc::now()).unwrap();
        let fill = fill.unwrap();
        assert_eq!((fill.qty, fill.price), (d("6"), d("102")));
        assert_eq!(done.state, OrderState::Filled);
        assert_eq!(done.filled_qty, d("10"));
    }

    #[test]
    fn the_same_report_twice_changes_nothing() {
        let r = report("4", Some("100"), OrderState::PartiallyFilled);
        let (once, _) = apply_report(&order(), &r, Decimal::ZERO, Utc::now()).unwrap();
        assert!(apply_report(&once, &r, Decimal::ZERO, Utc::now()).is_none());
    }

    #[test]
    fn each_fill_pays_the_fees_not_yet_recorded() {
        let mut first = report("4", Some("100"), OrderState::PartiallyFilled);
        first.fees = Some(d("0.4"));
        let (after_first, fill) =
            apply_report(&order(), &first, Decimal::ZERO, Utc::now()).unwrap();
        assert_eq!(fill.unwrap().fee, d("0.4"));
        let mut second = report("10", Some("101.2"), OrderState::Filled);
        second.fees = Some(d("1.012"));
        let (_, fill) = apply_report(&after_first, &second, d("0.4"), Utc::now()).unwrap();
        assert_eq!(fill.unwrap().fee, d("0.612"));
    }

    #[test]
    fn a_cancel_keeps_the_brokers_reason_and_the_fills_so_far() {
        let mut r = report("0", None, OrderState::Cancelled);
        r.reason = Some("canceled".into());
        let (cancelled, fill) = apply_report(&order(), &r, Decimal::ZERO, Utc::now()).unwrap();
        assert!(fill.is_none());
        assert_eq!(cancelled.state, OrderState::Cancelled);
        assert_eq!(cancelled.reason.as_deref(), Some("canceled"));
    }
}
