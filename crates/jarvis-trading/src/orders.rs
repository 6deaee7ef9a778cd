//! Orders as users and brokers see them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "OrderSide")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for a buy, −1 for a sell.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OrderType {
    Market,
    Limit,
}

/// Where an order came from: every entry point goes through the same checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OrderSource {
    Ui,
    Api,
    Voice,
    Strategy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OrderState {
    /// Accepted by Jarvis and the broker, waiting to fill.
    Accepted,
    PartiallyFilled,
    Filled,
    Cancelled,
    /// The broker refused it (Jarvis's own checks refuse before an order exists).
    Rejected,
}

impl OrderState {
    pub fn is_open(self) -> bool {
        matches!(self, OrderState::Accepted | OrderState::PartiallyFilled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Accepted => "accepted",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "accepted" => OrderState::Accepted,
            "partially_filled" => OrderState::PartiallyFilled,
            "filled" => OrderState::Filled,
            "cancelled" => OrderState::Cancelled,
            "rejected" => OrderState::Rejected,
            _ => return None,
        })
    }
}

/// `POST /api/v1/orders`: what a person, a strategy or a voice command asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct OrderRequest {
    pub symbol: String,
    pub side: Side,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null", optional)]
    pub limit_price: Option<Decimal>,
    /// Sending the same id again returns the first order instead of a second.
    #[serde(default)]
    #[ts(optional)]
    pub client_order_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Order {
    pub id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub limit_price: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub filled_qty: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub avg_fill_price: Option<Decimal>,
    pub state: OrderState,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    pub source: OrderSource,
    /// Where it executes: "paper", "alpaca" or "binance".
    pub venue: String,
    /// The broker's own id once it has acknowledged the order.
    pub broker_order_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    pub fn remaining(&self) -> Decimal {
        self.qty - self.filled_qty
    }
}

/// One execution of (part of) an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Fill {
    pub order_id: String,
    pub symbol: String,
    pub side: Side,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub fee: Decimal,
    pub time: DateTime<Utc>,
}
