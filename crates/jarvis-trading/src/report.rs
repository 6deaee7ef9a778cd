//! A backtest as JSON: what `jarvisd backtest --json` prints and the API
//! returns. Timestamps are ISO 8601 UTC; money is decimal strings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use ts_rs::TS;

use crate::backtest::{BacktestConfig, BacktestResult};
use crate::bars::Bar;
use crate::stats::Stats;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BacktestReport {
    pub strategy: String,
    pub params: BTreeMap<String, String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub cash: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub commission: Decimal,
    pub exclusive_orders: bool,
    pub stats: Stats,
    pub trades: Vec<TradeReport>,
    /// Units still held at the end: not counted as trades, marked at the
    /// last close in the final equity.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub open_position: Decimal,
    /// The equity curve at the resolution the backtest kept.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub equity_curve: Vec<EquityPoint>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TradeReport {
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub size: Decimal,
    pub entry_bar: usize,
    pub exit_bar: usize,
    pub entry_time: DateTime<Utc>,
    pub exit_time: DateTime<Utc>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub entry_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub exit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub commission: Decimal,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EquityPoint {
    pub time: DateTime<Utc>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub equity: Decimal,
}

impl BacktestReport {
    /// `with_curve` false leaves the equity curve out.
    pub fn new(
        strategy: &str,
        params: BTreeMap<String, String>,
        config: &BacktestConfig,
        bars: &[Bar],
        result: BacktestResult,
        with_curve: bool,
    ) -> Self {
        let trades = result
            .trades
            .iter()
            .map(|t| TradeReport {
                size: t.size,
                entry_bar: t.entry_bar,
                exit_bar: t.exit_bar,
                entry_time: bars[t.entry_bar].ts,
                exit_time: bars[t.exit_bar].ts,
                entry_price: t.entry_price,
                exit_price: t.exit_price,
                pnl: t.pnl,
                commission: t.commission,
            })
            .collect();
        Self {
            strategy: strategy.to_string(),
            params,
            cash: config.cash,
            commission: config.commission,
            exclusive_orders: config.exclusive_orders,
            stats: result.stats,
            trades,
            open_position: result.open_position,
            equity_curve: if !with_curve {
                Vec::new()
            } else {
                result
                    .equity
                    .points
                    .iter()
                    .map(|&(i, equity)| EquityPoint {
                        time: bars[i].ts,
                        equity,
                    })
                    .collect()
            },
        }
    }
}
