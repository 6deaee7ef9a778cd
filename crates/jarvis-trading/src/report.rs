//! A backtest as JSON: what `jarvisd backtest --json` prints and the API
//! returns. Timestamps are ISO 8601 UTC; money is decimal strings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use ts_rs::TS;

use crate::backtest::{BacktestConfig, BacktestResult, Fills};
use crate::bars::Bar;
use crate::paper::PaperModel;
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
    /// How orders filled: `backtesting.py` or `paper`.
    pub fills: FillsName,
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
    /// Whether the account's risk limits were checked on every order.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(optional, as = "Option<bool>")]
    pub risk_checked: bool,
    /// Orders those limits refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<RefusalReport>>")]
    pub refused: Vec<RefusalReport>,
    /// Orders still waiting at the end (with paper fills: for volume).
    #[serde(skip_serializing_if = "is_zero")]
    #[ts(optional, as = "Option<usize>")]
    pub unfilled_orders: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// An order the risk limits refused in a backtest.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RefusalReport {
    pub bar: usize,
    pub time: DateTime<Utc>,
    /// The check that failed, as the live pipeline names it.
    pub check: String,
    pub reason: String,
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
        let refused = result
            .refused
            .iter()
            .map(|r| RefusalReport {
                bar: r.bar,
                time: bars[r.bar].ts,
                check: r.check.to_string(),
                reason: r.reason.clone(),
            })
            .collect();
        Self {
            unfilled_orders: result.unfilled,
            risk_checked: config.risk.is_some(),
            refused,
            strategy: strategy.to_string(),
            params,
            cash: config.cash,
            commission: config.commission,
            exclusive_orders: config.exclusive_orders,
            fills: FillsName::of(&config.fills),
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

/// `POST /api/v1/backtests`: a strategy over CSV bars sent in the body.
#[derive(Debug, Clone, serde::Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct BacktestRequest {
    pub strategy: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub cash: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub commission: Decimal,
    #[serde(default)]
    pub exclusive_orders: bool,
    /// `backtesting.py` (the default) fills by its rules; `paper` by the
    /// live paper broker's slippage, volume share and fees, with
    /// `commission` as the fee.
    #[serde(default)]
    #[ts(optional)]
    pub fills: Option<FillsName>,
    /// Check every order against the account's risk limits, as live
    /// trading does (off: backtesting.py's rules alone).
    #[serde(default)]
    #[ts(optional)]
    pub apply_risk_limits: Option<bool>,
    /// CSV text: a timestamp column and Open, High, Low, Close, Volume.
    pub csv: String,
}

/// How a backtest's orders fill, by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[ts(export)]
pub enum FillsName {
    #[default]
    #[serde(rename = "backtesting.py")]
    BacktestingPy,
    #[serde(rename = "paper")]
    Paper,
}

impl FillsName {
    /// The fill model, with `commission` as the paper broker's fee.
    pub fn model(self, commission: Decimal) -> Fills {
        match self {
            FillsName::BacktestingPy => Fills::BacktestingPy,
            FillsName::Paper => Fills::Paper(PaperModel::with_commission(commission)),
        }
    }

    fn of(fills: &Fills) -> Self {
        match fills {
            Fills::BacktestingPy => FillsName::BacktestingPy,
            Fills::Paper(_) => FillsName::Paper,
        }
    }
}

/// The names as the API spells them (its serde names), for the command line.
impl std::str::FromStr for FillsName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        use serde::Deserialize;
        use serde::de::value::{Error, StrDeserializer};
        Self::deserialize(StrDeserializer::<Error>::new(text))
            .map_err(|_| format!("expected backtesting.py or paper, got {text:?}"))
    }
}

/// A strategy the backtester offers, with its parameters and defaults.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StrategyInfo {
    pub name: String,
    pub params: Vec<StrategyParam>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StrategyParam {
    pub name: String,
    pub default: String,
}

pub fn strategies() -> Vec<StrategyInfo> {
    crate::strategy::STRATEGIES
        .iter()
        .map(|(name, params)| StrategyInfo {
            name: name.to_string(),
            params: params
                .iter()
                .map(|(n, d)| StrategyParam {
                    name: n.to_string(),
                    default: d.to_string(),
                })
                .collect(),
        })
        .collect()
}

/// Why a backtest request could not run: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BacktestRequestError {
    pub field: &'static str,
    pub reason: String,
}

/// Points kept in the equity curve sent to the UI.
pub const CURVE_POINTS: usize = 500;

/// Parses the CSV, runs the strategy, and reports with an equity curve.
/// `limits` are the account's, checked when the request asks for them.
pub fn run_request(
    request: BacktestRequest,
    limits: &crate::risk::RiskLimits,
) -> Result<BacktestReport, BacktestRequestError> {
    use crate::backtest::BacktestError;
    use crate::strategy::StrategyError;
    let fail = |field, reason: String| BacktestRequestError { field, reason };
    let mut strategy =
        crate::strategy::build(&request.strategy, &request.params).map_err(|e| match e {
            StrategyError::Unknown(_) => fail("strategy", e.to_string()),
            _ => fail("params", e.to_string()),
        })?;
    let bars =
        crate::bars::parse_csv(request.csv.as_bytes()).map_err(|e| fail("csv", e.to_string()))?;
    let config = BacktestConfig {
        cash: request.cash,
        commission: request.commission,
        fills: request.fills.unwrap_or_default().model(request.commission),
        exclusive_orders: request.exclusive_orders,
        curve_points: CURVE_POINTS,
        risk: request
            .apply_risk_limits
            .unwrap_or(false)
            .then(|| limits.clone()),
    };
    let result = crate::backtest::run(&bars, strategy.as_mut(), &config).map_err(|e| match e {
        BacktestError::Cash(_) => fail("cash", e.to_string()),
        BacktestError::Commission(_) => fail("commission", e.to_string()),
        BacktestError::Fills(_) => fail("fills", e.to_string()),
        BacktestError::Strategy(_) => fail("params", e.to_string()),
        BacktestError::NoBars | BacktestError::TooPrecise => fail("csv", e.to_string()),
    })?;
    Ok(BacktestReport::new(
        &request.strategy,
        request.params,
        &config,
        &bars,
        result,
        true,
    ))
}
