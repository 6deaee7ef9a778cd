//! The intents a spoken command can become, and what the parser may know.
//!
//! The JSON shapes are a contract with external tools: change them only
//! together with those tools.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the user asked for, as one tagged JSON object (`{"kind": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Intent {
    /// Place an order. Amounts are decimal strings (`serde-str`) so no
    /// precision is lost on the way to JSON.
    Trade {
        side: Side,
        #[ts(type = "string")]
        qty: Decimal,
        symbol: String,
        order_type: OrderType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(as = "Option<String>", optional)]
        limit_price: Option<Decimal>,
    },
    /// Cancel every open order.
    CancelAll,
    /// Engage (`true`) or release (`false`) the trading kill switch.
    KillSwitch { engaged: bool },
    /// Read a number from the account.
    Query { what: QueryTarget },
    /// Show a screen of the app.
    Navigate { screen: Screen },
    /// Store a note in memory, without the "remember that" in front.
    Remember { text: String },
    /// Run a strategy over history, on one symbol or the default one.
    Backtest {
        strategy: Strategy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        symbol: Option<String>,
    },
    /// Not a command: the transcript as heard, for the assistant to answer.
    Chat { text: String },
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
// Prefixed in TypeScript: other crates export their own order types.
#[ts(export, rename = "IntentSide")]
pub enum Side {
    Buy,
    Sell,
}

/// Market unless the user named a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "IntentOrderType")]
pub enum OrderType {
    Market,
    Limit,
}

/// Which account figure a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "IntentQuery")]
pub enum QueryTarget {
    Pnl,
    Positions,
    Cash,
}

/// A screen of the desktop app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "IntentScreen")]
pub enum Screen {
    Dashboard,
    Chat,
    Trading,
    Voice,
    Settings,
}

/// A backtestable strategy, named as the backtester names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export, rename = "IntentStrategy")]
pub enum Strategy {
    SmaCross,
    RsiReversion,
    Breakout,
}

/// What the parser knows about this user beyond the built-in company table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentContext {
    /// Extra symbols the user follows; they win over the built-in table.
    pub watchlist: Vec<WatchItem>,
}

impl IntentContext {
    /// Adds one watchlist entry, e.g. `("PLTR", "Palantir")`.
    #[must_use]
    pub fn watch(mut self, symbol: impl Into<String>, name: impl Into<String>) -> Self {
        self.watchlist.push(WatchItem {
            symbol: symbol.into(),
            name: name.into(),
        });
        self
    }
}

/// One symbol and the company name the user would say for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchItem {
    pub symbol: String,
    pub name: String,
}
