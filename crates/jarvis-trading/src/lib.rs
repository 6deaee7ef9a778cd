//! Trading: bars, strategies and the backtester.

pub mod backtest;
pub mod bars;
pub mod report;
pub mod stats;
pub mod strategy;

pub use backtest::{BacktestConfig, BacktestError, BacktestResult, EquityCurve, Trade, run};
pub use bars::{Bar, BarsError, load_csv, read_csv};
pub use stats::Stats;
pub use strategy::{Action, Exposure, STRATEGIES, Series, Strategy, StrategyError};
