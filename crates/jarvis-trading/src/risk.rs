//! Risk checks: pure functions of the limits, the account and the order.
//! The first failed check refuses the order and names itself.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::orders::Side;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RiskLimits {
    /// Largest absolute position value per instrument, at the order's price.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub max_position_value: Decimal,
    /// Largest value of one order (quantity × price).
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub max_order_value: Decimal,
    pub max_open_orders: u32,
    pub max_orders_per_minute: u32,
    /// New orders stop once equity is this far below the day's start.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub daily_loss_limit: Decimal,
}

impl Default for RiskLimits {
    fn default() -> Self {
        Self {
            max_position_value: Decimal::from(50_000),
            max_order_value: Decimal::from(25_000),
            max_open_orders: 20,
            max_orders_per_minute: 30,
            daily_loss_limit: Decimal::from(5_000),
        }
    }
}

impl RiskLimits {
    /// Every limit must be positive; names the first that is not.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (field, value) in [
            ("max_position_value", self.max_position_value),
            ("max_order_value", self.max_order_value),
            ("daily_loss_limit", self.daily_loss_limit),
        ] {
            if value <= Decimal::ZERO {
                return Err((field, format!("must be more than 0, got {value}")));
            }
        }
        if self.max_open_orders == 0 {
            return Err(("max_open_orders", "must be at least 1".into()));
        }
        if self.max_orders_per_minute == 0 {
            return Err(("max_orders_per_minute", "must be at least 1".into()));
        }
        Ok(())
    }
}

/// What the risk check needs to know about the world.
pub struct RiskInput<'a> {
    pub limits: &'a RiskLimits,
    pub kill_switch: bool,
    pub side: Side,
    pub qty: Decimal,
    /// Limit price, or the latest quote for a market order.
    pub price: Decimal,
    pub fee_estimate: Decimal,
    pub position_qty: Decimal,
    pub open_orders: u32,
    /// Orders accepted in the last 60 seconds.
    pub orders_last_minute: usize,
    pub cash: Decimal,
    pub equity: Decimal,
    pub day_start_equity: Decimal,
}

/// A refused order: which check and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RiskRejection {
    pub check: &'static str,
    pub reason: String,
}

fn reject(check: &'static str, reason: String) -> Result<(), RiskRejection> {
    Err(RiskRejection { check, reason })
}

pub fn check(input: &RiskInput) -> Result<(), RiskRejection> {
    let l = input.limits;
    if input.kill_switch {
        return reject(
            "kill_switch",
            "the kill switch is engaged: no new orders until a person re-arms it".into(),
        );
    }
    let loss = input.day_start_equity - input.equity;
    if loss >= l.daily_loss_limit {
        return reject(
            "daily_loss_limit",
            format!(
                "today's loss {loss} has reached the daily limit {}",
                l.daily_loss_limit
            ),
        );
    }
    let recent = input.orders_last_minute;
    if recent >= l.max_orders_per_minute as usize {
        return reject(
            "max_orders_per_minute",
            format!(
                "{recent} orders in the last minute; the limit is {}",
                l.max_orders_per_minute
            ),
        );
    }
    if input.open_orders >= l.max_open_orders {
        return reject(
            "max_open_orders",
            format!(
                "{} orders are open; the limit is {}",
                input.open_orders, l.max_open_orders
            ),
        );
    }
    let value = input.qty * input.price;
    if value > l.max_order_value {
        return reject(
            "max_order_value",
            format!(
                "order value {} is above the limit {}",
                value.round_dp(2),
                l.max_order_value
            ),
        );
    }
    let after = input.position_qty + input.side.sign() * input.qty;
    let position_value = (after * input.price).abs();
    if position_value > l.max_position_value && after.abs() > input.position_qty.abs() {
        return reject(
            "max_position_value",
            format!(
                "the position would be worth {}, above the limit {}",
                position_value.round_dp(2),
                l.max_position_value
            ),
        );
    }
    // A cash account: every buy is paid from cash (a short's sale proceeds
    // are in cash, so covering is paid from them too).
    let needed = input.qty * input.price + input.fee_estimate;
    if input.side == Side::Buy && needed > input.cash {
        return reject(
            "buying_power",
            format!(
                "needs {} but only {} cash is available",
                needed.round_dp(2),
                input.cash.round_dp(2)
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn input(limits: &RiskLimits, recent: usize) -> RiskInput<'_> {
        RiskInput {
            limits,
            kill_switch: false,
            side: Side::Buy,
            qty: d(10),
            price: d(100),
            fee_estimate: d(1),
            position_qty: d(0),
            open_orders: 0,
            orders_last_minute: recent,
            cash: d(100_000),
            equity: d(100_000),
            day_start_equity: d(100_000),
        }
    }

    #[test]
    fn each_check_names_itself() {
        let limits = RiskLimits::default();
        assert_eq!(check(&input(&limits, 0)), Ok(()));
        type Change = Box<dyn Fn(&mut RiskInput)>;
        let cases: Vec<(&str, Change)> = vec![
            ("kill_switch", Box::new(|i| i.kill_switch = true)),
            ("daily_loss_limit", Box::new(|i| i.equity = d(94_000))),
            ("max_open_orders", Box::new(|i| i.open_orders = 20)),
            ("max_order_value", Box::new(|i| i.qty = d(300))),
            ("max_position_value", Box::new(|i| i.position_qty = d(495))),
            ("buying_power", Box::new(|i| i.cash = d(500))),
        ];
        for (name, change) in cases {
            let mut i = input(&limits, 0);
            change(&mut i);
            assert_eq!(check(&i).unwrap_err().check, name);
        }
        assert_eq!(
            check(&input(&limits, 30)).unwrap_err().check,
            "max_orders_per_minute"
        );
        assert_eq!(check(&input(&limits, 29)), Ok(()));
    }

    #[test]
    fn reducing_a_position_is_allowed_even_above_the_limit() {
        let limits = RiskLimits::default();
        let mut i = input(&limits, 0);
        i.side = Side::Sell;
        i.position_qty = d(900); // worth 90,000, above 50,000
        assert_eq!(check(&i), Ok(()));
    }

    proptest! {
        /// Whatever the order stream, accepting only what `check` passes
        /// never leaves a position above the limit or too many open orders.
        #[test]
        fn limits_are_never_exceeded(orders in proptest::collection::vec((any::<bool>(), 1i64..500, 1i64..300), 1..200)) {
            let limits = RiskLimits::default();
            let (mut position, mut open) = (Decimal::ZERO, 0u32);
            let mut cash = d(100_000);
            for (buy, qty, price) in orders {
                let mut i = input(&limits, 0);
                i.side = if buy { Side::Buy } else { Side::Sell };
                i.qty = d(qty);
                i.price = d(price);
                i.position_qty = position;
                i.open_orders = open;
                i.cash = cash;
                let before = (position * d(price)).abs();
                if check(&i).is_ok() {
                    position += i.side.sign() * d(qty);
                    cash -= i.side.sign() * d(qty) * d(price) + i.fee_estimate;
                    open = (open + 1) % 25;
                    let after = (position * d(price)).abs();
                    prop_assert!(after <= limits.max_position_value || after < before);
                    prop_assert!(d(qty) * d(price) <= limits.max_order_value);
                    prop_assert!(open <= limits.max_open_orders);
                    prop_assert!(cash >= Decimal::ZERO || !buy);
                }
            }
        }
    }
}
