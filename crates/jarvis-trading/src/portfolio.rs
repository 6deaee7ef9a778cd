//! Settlement: fills become positions, cash, realised P&L and fees.
//!
//! A position keeps its cost (signed quantity × average price, summed
//! exactly) rather than an average, so cash and cost never drift; the
//! average price is derived for display.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use ts_rs::TS;

use crate::orders::Side;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holding {
    /// Signed: negative is short.
    pub qty: Decimal,
    /// Signed cost of the open quantity.
    pub cost: Decimal,
    pub realized_pnl: Decimal,
}

impl Holding {
    pub fn avg_price(&self) -> Decimal {
        if self.qty.is_zero() {
            Decimal::ZERO
        } else {
            (self.cost / self.qty).round_dp(8).normalize()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    pub starting_cash: Decimal,
    pub cash: Decimal,
    pub fees: Decimal,
    pub holdings: BTreeMap<String, Holding>,
}

impl Portfolio {
    pub fn new(starting_cash: Decimal) -> Self {
        Self {
            starting_cash,
            cash: starting_cash,
            fees: Decimal::ZERO,
            holdings: BTreeMap::new(),
        }
    }

    pub fn qty(&self, symbol: &str) -> Decimal {
        self.holdings.get(symbol).map_or(Decimal::ZERO, |h| h.qty)
    }

    /// Settles one fill.
    pub fn apply_fill(
        &mut self,
        symbol: &str,
        side: Side,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
    ) {
        let signed = side.sign() * qty;
        self.cash -= signed * price + fee;
        self.fees += fee;
        let h = self.holdings.entry(symbol.to_string()).or_default();
        if h.qty.is_zero() || h.qty.is_sign_positive() == signed.is_sign_positive() {
            h.qty += signed;
            h.cost += signed * price;
            return;
        }
        // Opposite direction: close up to the open quantity first.
        let closing = qty.min(h.qty.abs());
        let closed_cost = h.cost * closing / h.qty.abs();
        let closed_signed = -side.sign() * closing; // signed like the open side
        h.realized_pnl += closed_signed * price - closed_cost;
        h.cost -= closed_cost;
        h.qty += side.sign() * closing;
        if h.qty.is_zero() {
            h.cost = Decimal::ZERO;
        }
        let opening = qty - closing;
        if !opening.is_zero() {
            h.qty += side.sign() * opening;
            h.cost += side.sign() * opening * price;
        }
    }

    pub fn realized_pnl(&self) -> Decimal {
        self.holdings.values().map(|h| h.realized_pnl).sum()
    }

    /// Open positions marked at `price_of(symbol)` (the average price when
    /// there is no quote).
    pub fn positions(&self, price_of: impl Fn(&str) -> Option<Decimal>) -> Vec<Position> {
        self.holdings
            .iter()
            .filter(|(_, h)| !h.qty.is_zero() || !h.realized_pnl.is_zero())
            .map(|(symbol, h)| {
                let mark = price_of(symbol).unwrap_or_else(|| h.avg_price());
                Position {
                    symbol: symbol.clone(),
                    qty: h.qty,
                    avg_price: h.avg_price(),
                    market_price: mark,
                    market_value: h.qty * mark,
                    unrealized_pnl: h.qty * mark - h.cost,
                    realized_pnl: h.realized_pnl,
                }
            })
            .collect()
    }

    pub fn account(&self, price_of: impl Fn(&str) -> Option<Decimal>) -> AccountTotals {
        let positions = self.positions(price_of);
        let market_value: Decimal = positions.iter().map(|p| p.market_value).sum();
        AccountTotals {
            starting_cash: self.starting_cash,
            cash: self.cash,
            equity: self.cash + market_value,
            market_value,
            realized_pnl: self.realized_pnl(),
            unrealized_pnl: positions.iter().map(|p| p.unrealized_pnl).sum(),
            fees: self.fees,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Position {
    pub symbol: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub avg_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub market_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub market_value: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub unrealized_pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub realized_pnl: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTotals {
    pub starting_cash: Decimal,
    pub cash: Decimal,
    pub equity: Decimal,
    pub market_value: Decimal,
    pub realized_pnl: Decimal,
    pub unrealized_pnl: Decimal,
    pub fees: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn round_trip_realises_the_difference_minus_nothing_else() {
        let mut p = Portfolio::new(d("1000"));
        p.apply_fill("AAPL", Side::Buy, d("10"), d("10"), d("1"));
        p.apply_fill("AAPL", Side::Sell, d("4"), d("12"), d("1"));
        let h = &p.holdings["AAPL"];
        assert_eq!((h.qty, h.cost, h.realized_pnl), (d("6"), d("60"), d("8")));
        assert_eq!(p.cash, d("1000") - d("100") - d("1") + d("48") - d("1"));
        // Sell through zero into a short of 4 at 11.
        p.apply_fill("AAPL", Side::Sell, d("10"), d("11"), d("0"));
        let h = &p.holdings["AAPL"];
        assert_eq!(
            (h.qty, h.cost, h.realized_pnl),
            (d("-4"), d("-44"), d("14"))
        );
        assert_eq!(h.avg_price(), d("11"));
        let a = p.account(|_| Some(d("10")));
        assert_eq!(a.unrealized_pnl, d("4"));
        assert_eq!(a.equity, p.cash - d("40"));
    }

    fn fills() -> impl Strategy<Value = Vec<(bool, u8, u32, u8, u32)>> {
        // (buy?, symbol, qty in hundredths, fee cents, price cents)
        proptest::collection::vec(
            (
                any::<bool>(),
                0u8..3,
                1u32..100_000,
                0u8..100,
                1u32..1_000_000,
            ),
            1..60,
        )
    }

    proptest! {
        /// Cash + positions × price is the equity, and equity − start is
        /// realised + unrealised − fees, after any sequence of fills.
        #[test]
        fn accounting_identities_hold(fills in fills(), mark in 1u32..1_000_000) {
            let mut p = Portfolio::new(d("100000"));
            let mut cash_flow = Decimal::ZERO;
            for (buy, sym, qty, fee, price) in fills {
                let side = if buy { Side::Buy } else { Side::Sell };
                let (qty, price, fee) = (Decimal::new(qty.into(), 2), Decimal::new(price.into(), 2), Decimal::new(fee.into(), 2));
                cash_flow -= side.sign() * qty * price + fee;
                p.apply_fill(["A", "B", "C"][sym as usize], side, qty, price, fee);
            }
            let mark = Decimal::new(mark.into(), 2);
            let a = p.account(|_| Some(mark));
            prop_assert_eq!(a.cash, d("100000") + cash_flow);
            let positions: Decimal = p.holdings.values().map(|h| h.qty * mark).sum();
            prop_assert_eq!(a.equity, a.cash + positions);
            let pnl = a.realized_pnl + a.unrealized_pnl - a.fees;
            // Average costs divide; 28 significant digits leave dust at most.
            prop_assert!((a.equity - a.starting_cash - pnl).abs() < d("0.000000001"));
        }
    }
}
