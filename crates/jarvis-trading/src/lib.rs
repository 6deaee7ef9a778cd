//! Trading: bars, strategies and the backtester; the order pipeline
//! (validation, risk, paper execution, settlement) with its audit chain;
//! market-data replay.

pub mod audit;
pub mod backtest;
pub mod bars;
pub mod broker;
pub mod journal;
pub mod live;
pub mod orders;
pub mod paper;
pub mod portfolio;
pub mod replay;
pub mod report;
pub mod risk;
pub mod runner;
pub mod service;
pub mod stats;
mod store;
pub mod strategy;
pub mod validate;

pub use backtest::{BacktestConfig, BacktestError, BacktestResult, EquityCurve, Fills, Trade, run};
pub use bars::{Bar, BarsError, load_csv, parse_csv, read_csv};
pub use replay::MarketService;
pub use service::{TradingError, TradingService};
pub use stats::Stats;
pub use strategy::{Action, Exposure, STRATEGIES, Series, Strategy, StrategyError};
