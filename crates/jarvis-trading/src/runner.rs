//! Strategies run live: on each new bar of a symbol's market data (a CSV
//! replay or live broker bars) the strategy looks at the bars so far and,
//! when it signals, a market order goes through the one pipeline —
//! validation, risk, the kill switch, the audit chain — with source
//! `strategy`, exactly like an order from the ticket.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::bars::Bar;
use crate::orders::{OrderRequest, OrderSource, OrderState, OrderType, Side};
use crate::replay::MarketService;
use crate::service::TradingError;
use crate::strategy::{self, Action, Exposure, Series, StrategyError};
use crate::validate::{self, Invalid};

/// `POST /api/v1/strategies/runs`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StartStrategyRun {
    pub symbol: String,
    /// sma-cross, rsi-reversion or breakout.
    pub strategy: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The position to hold when the strategy says buy.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    /// A sell signal goes short by `qty` instead of only closing.
    #[serde(default)]
    #[ts(optional)]
    pub allow_short: Option<bool>,
}

/// A strategy running on a symbol.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct StrategyRun {
    pub symbol: String,
    pub strategy: String,
    pub params: BTreeMap<String, String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    pub allow_short: bool,
    pub started_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub bars_seen: u64,
    #[ts(type = "number")]
    pub signals: u64,
    #[ts(type = "number")]
    pub orders_placed: u64,
    /// "buy", "sell" or "close", with the bar's time.
    pub last_signal: Option<String>,
    /// Why the last signal's order was refused (risk, kill switch…).
    pub last_error: Option<String>,
    pub running: bool,
}

#[derive(Default, Clone)]
pub(crate) struct Runs(Arc<Mutex<HashMap<String, StrategyRun>>>);

impl Runs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StrategyRun>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> TradingError {
    TradingError::Invalid(Invalid {
        field,
        reason: reason.into(),
    })
}

impl MarketService {
    /// Starts (or replaces) the strategy on `symbol`.
    pub fn start_strategy(&self, request: StartStrategyRun) -> Result<StrategyRun, TradingError> {
        let instrument = validate::instrument(&request.symbol).map_err(TradingError::Invalid)?;
        strategy::build(&request.strategy, &request.params).map_err(|e| match e {
            StrategyError::Unknown(_) => invalid("strategy", e.to_string()),
            other => invalid("params", other.to_string()),
        })?;
        if request.qty <= Decimal::ZERO || !(request.qty % instrument.lot_size).is_zero() {
            return Err(invalid(
                "qty",
                format!(
                    "must be more than 0 and a multiple of {}, got {}",
                    instrument.lot_size, request.qty
                ),
            ));
        }
        let run = StrategyRun {
            symbol: request.symbol.clone(),
            strategy: request.strategy,
            params: request.params,
            qty: request.qty,
            allow_short: request.allow_short.unwrap_or(false),
            started_at: Utc::now(),
            bars_seen: 0,
            signals: 0,
            orders_placed: 0,
            last_signal: None,
            last_error: None,
            running: true,
        };
        self.runs().lock().insert(request.symbol, run.clone());
        Ok(run)
    }

    pub fn strategy_runs(&self) -> Vec<StrategyRun> {
        let mut runs: Vec<StrategyRun> = self.runs().lock().values().cloned().collect();
        runs.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        runs
    }

    /// Stops the strategy on `symbol`; false when none ran.
    pub fn stop_strategy(&self, symbol: &str) -> bool {
        self.runs().lock().remove(symbol).is_some()
    }

    /// Called with each new bar, after its quote was applied.
    pub(crate) async fn run_strategy(&self, symbol: &str, bar: &Bar) {
        let Some(run) = self.runs().lock().get(symbol).cloned() else {
            return;
        };
        let outcome = self.evaluate(&run, symbol, bar).await;
        let mut runs = self.runs().lock();
        let Some(state) = runs.get_mut(symbol) else {
            return; // stopped meanwhile
        };
        state.bars_seen += 1;
        match outcome {
            Ok(None) => {}
            Ok(Some((signal, result))) => {
                state.signals += 1;
                state.last_signal = Some(format!("{signal} at {}", bar.ts.to_rfc3339()));
                match result {
                    Ok(order) if order.state == OrderState::Rejected => {
                        state.last_error = order.reason.clone();
                    }
                    Ok(_) => {
                        state.orders_placed += 1;
                        state.last_error = None;
                    }
                    Err(e) => state.last_error = Some(e.to_string()),
                }
            }
            Err(e) => state.last_error = Some(e),
        }
    }

    /// The strategy's signal on the bars so far and the order it led to.
    #[allow(clippy::type_complexity)]
    async fn evaluate(
        &self,
        run: &StrategyRun,
        symbol: &str,
        bar: &Bar,
    ) -> Result<Option<(&'static str, Result<crate::orders::Order, TradingError>)>, String> {
        let bars = self.history_of(symbol);
        let mut strategy =
            strategy::build(&run.strategy, &run.params).map_err(|e| e.to_string())?;
        if bars.len() <= strategy.warmup() {
            return Ok(None);
        }
        let fixed = crate::backtest::fixed_prices(&bars).map_err(|e| e.to_string())?;
        strategy
            .prepare(&Series::new(&bars, &fixed))
            .map_err(|e| e.to_string())?;
        let held = self
            .trading()
            .positions()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|p| p.symbol == symbol)
            .map_or(Decimal::ZERO, |p| p.qty);
        let exposure = if held > Decimal::ZERO {
            Exposure::Long
        } else if held < Decimal::ZERO {
            Exposure::Short
        } else {
            Exposure::Flat
        };
        let Some(action) = strategy.next(bars.len() - 1, exposure) else {
            return Ok(None);
        };
        let (signal, target) = match action {
            Action::Buy => ("buy", run.qty),
            Action::Sell if run.allow_short => ("sell", -run.qty),
            Action::Sell => ("sell", Decimal::ZERO),
            Action::Close => ("close", Decimal::ZERO),
        };
        let delta = target - held;
        if delta.is_zero() {
            return Ok(None);
        }
        let request = OrderRequest {
            symbol: symbol.to_string(),
            side: if delta > Decimal::ZERO {
                Side::Buy
            } else {
                Side::Sell
            },
            qty: delta.abs(),
            order_type: OrderType::Market,
            limit_price: None,
            // One order per bar, even if a bar is delivered twice.
            client_order_id: Some(format!("strategy-{symbol}-{}", bar.ts.timestamp())),
        };
        let result = self
            .trading()
            .place_order(request, OrderSource::Strategy)
            .await;
        Ok(Some((signal, result)))
    }
}
