//! The paper broker: fills orders against the latest quote, with
//! commission and slippage models and volume-limited partial fills.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::orders::{Order, OrderType, Side};

/// The latest price of a symbol: a quote, or a bar's close in a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub price: Decimal,
    /// Units that traded at this price (a bar's volume); `None` means deep
    /// enough to fill anything.
    pub volume: Option<Decimal>,
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperModel {
    /// Commission per unit plus basis points of the value, at least `min_fee`.
    pub fee_per_unit: Decimal,
    pub fee_bps: Decimal,
    pub min_fee: Decimal,
    /// Price moved against the order by this many basis points.
    pub slippage_bps: Decimal,
    /// Largest share of a quote's volume one fill may take.
    pub max_participation: Decimal,
}

impl Default for PaperModel {
    fn default() -> Self {
        Self {
            fee_per_unit: Decimal::ZERO,
            fee_bps: Decimal::ZERO,
            min_fee: Decimal::ZERO,
            slippage_bps: Decimal::ONE,
            max_participation: Decimal::new(25, 2),
        }
    }
}

/// One simulated execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub qty: Decimal,
    pub price: Decimal,
    pub fee: Decimal,
}

impl PaperModel {
    /// The model live paper trading uses, charging `commission` (relative,
    /// e.g. 0.002) of each fill's value as its fee.
    pub fn with_commission(commission: Decimal) -> Self {
        Self {
            fee_bps: commission * Decimal::from(10_000),
            ..Self::default()
        }
    }

    pub fn fee(&self, qty: Decimal, price: Decimal) -> Decimal {
        let fee = qty * self.fee_per_unit + qty * price * self.fee_bps / Decimal::from(10_000);
        if qty.is_zero() {
            Decimal::ZERO
        } else {
            fee.max(self.min_fee).round_dp(2)
        }
    }

    /// Why the model cannot be used, naming the field; fees, slippage and
    /// participation are never negative, and participation is at most 1.
    pub fn validate(&self) -> Result<(), String> {
        let fields = [
            ("fee_per_unit", self.fee_per_unit),
            ("fee_bps", self.fee_bps),
            ("min_fee", self.min_fee),
            ("slippage_bps", self.slippage_bps),
        ];
        for (name, value) in fields {
            if value < Decimal::ZERO {
                return Err(format!("{name}: must not be negative, got {value}"));
            }
        }
        if self.max_participation <= Decimal::ZERO || self.max_participation > Decimal::ONE {
            return Err(format!(
                "max_participation: must be more than 0 and at most 1, got {}",
                self.max_participation
            ));
        }
        Ok(())
    }

    /// The quote moved against the order by the slippage, on the tick.
    pub(crate) fn slipped(&self, side: Side, price: Decimal, tick: Decimal) -> Decimal {
        let moved =
            price * (Decimal::ONE + side.sign() * self.slippage_bps / Decimal::from(10_000));
        let ticks = moved / tick;
        let rounded = match side {
            Side::Buy => ticks.round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity),
            Side::Sell => ticks.round_dp_with_strategy(0, RoundingStrategy::ToNegativeInfinity),
        };
        (rounded * tick).normalize()
    }

    /// What fills of `order` at `quote`, if anything. Market orders fill at
    /// the slipped quote; limit orders when the quote reaches the limit, at
    /// the better of the two; never more than the volume allows.
    pub fn execute(
        &self,
        order: &Order,
        quote: &Quote,
        tick: Decimal,
        lot: Decimal,
    ) -> Option<Execution> {
        let remaining = order.remaining();
        if remaining <= Decimal::ZERO {
            return None;
        }
        let price = match (order.order_type, order.limit_price) {
            (OrderType::Market, _) => self.slipped(order.side, quote.price, tick),
            (OrderType::Limit, Some(limit)) => {
                let reachable = match order.side {
                    Side::Buy => quote.price <= limit,
                    Side::Sell => quote.price >= limit,
                };
                if !reachable {
                    return None;
                }
                match order.side {
                    Side::Buy => self.slipped(order.side, quote.price, tick).min(limit),
                    Side::Sell => self.slipped(order.side, quote.price, tick).max(limit),
                }
            }
            (OrderType::Limit, None) => return None,
        };
        let qty = match quote.volume {
            Some(volume) => {
                let available = (volume * self.max_participation / lot).floor() * lot;
                remaining.min(available)
            }
            None => remaining,
        };
        if qty <= Decimal::ZERO {
            return None;
        }
        Some(Execution {
            qty,
            price,
            fee: self.fee(qty, price),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{OrderSource, OrderState};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn order(side: Side, qty: &str, limit: Option<&str>) -> Order {
        Order {
            id: "o".into(),
            client_order_id: "c".into(),
            symbol: "AAPL".into(),
            side,
            order_type: if limit.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            qty: d(qty),
            limit_price: limit.map(d),
            filled_qty: Decimal::ZERO,
            avg_fill_price: None,
            state: OrderState::Accepted,
            reason: None,
            source: OrderSource::Api,
            venue: "paper".into(),
            broker_order_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn quote(price: &str, volume: Option<&str>) -> Quote {
        Quote {
            price: d(price),
            volume: volume.map(d),
            time: Utc::now(),
        }
    }

    #[test]
    fn market_orders_slip_against_the_trader_on_the_tick() {
        let m = PaperModel {
            slippage_bps: d("10"),
            ..Default::default()
        };
        let tick = d("0.01");
        let buy = m
            .execute(
                &order(Side::Buy, "10", None),
                &quote("100.00", None),
                tick,
                Decimal::ONE,
            )
            .unwrap();
        assert_eq!((buy.qty, buy.price), (d("10"), d("100.1")));
        let sell = m
            .execute(
                &order(Side::Sell, "10", None),
                &quote("100.03", None),
                tick,
                Decimal::ONE,
            )
            .unwrap();
        // 100.03 × 0.999 = 99.92997 → down to 99.92
        assert_eq!(sell.price, d("99.92"));
    }

    #[test]
    fn limit_orders_wait_for_their_price() {
        let m = PaperModel {
            slippage_bps: Decimal::ZERO,
            ..Default::default()
        };
        let o = order(Side::Buy, "5", Some("99.50"));
        assert_eq!(
            m.execute(&o, &quote("100", None), d("0.01"), Decimal::ONE),
            None
        );
        let fill = m
            .execute(&o, &quote("99.40", None), d("0.01"), Decimal::ONE)
            .unwrap();
        assert_eq!(fill.price, d("99.40"));
    }

    #[test]
    fn volume_limits_give_partial_fills_and_fees_apply() {
        let m = PaperModel {
            fee_per_unit: d("0.005"),
            min_fee: d("1"),
            slippage_bps: Decimal::ZERO,
            ..Default::default()
        };
        let o = order(Side::Buy, "1000", None);
        let fill = m
            .execute(&o, &quote("10", Some("2000")), d("0.01"), Decimal::ONE)
            .unwrap();
        assert_eq!(fill.qty, d("500")); // 25 % of 2000
        assert_eq!(fill.fee, d("2.5"));
        assert_eq!(m.fee(d("10"), d("10")), d("1")); // the minimum
        assert_eq!(
            m.execute(&o, &quote("10", Some("3")), d("0.01"), Decimal::ONE),
            None
        );
    }
}
