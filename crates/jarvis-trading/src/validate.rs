//! Validation: is this order well-formed for its instrument? Refusals name
//! the field and the reason.

use rust_decimal::Decimal;
use serde::Serialize;
use ts_rs::TS;

use crate::orders::{OrderRequest, OrderType};

/// What kind of market a symbol trades on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AssetClass {
    /// US stocks: exchange hours, whole shares.
    Equity,
    /// Crypto pairs: around the clock, fractional units.
    Crypto,
}

/// What Jarvis knows about a tradable symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Instrument {
    pub symbol: String,
    pub class: AssetClass,
    /// Prices must be a multiple of this.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub tick_size: Decimal,
    /// Quantities must be a multiple of this.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub lot_size: Decimal,
}

impl Instrument {
    /// US equities: cent prices, whole shares.
    pub fn equity(symbol: &str) -> Self {
        Self {
            symbol: symbol.to_string(),
            class: AssetClass::Equity,
            tick_size: Decimal::new(1, 2),
            lot_size: Decimal::ONE,
        }
    }

    /// Crypto pairs: cent prices, 0.00001 units.
    pub fn crypto(symbol: &str) -> Self {
        Self {
            symbol: symbol.to_string(),
            class: AssetClass::Crypto,
            tick_size: Decimal::new(1, 2),
            lot_size: Decimal::new(1, 5),
        }
    }

    /// The instrument for a symbol by its form: `BTCUSDT`/`BTC/USD`-like
    /// pairs are crypto, 1–5 letters (optionally `.B`) are equities.
    pub fn for_symbol(symbol: &str) -> Option<Self> {
        let upper = symbol
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '.' || c == '/');
        if !upper || symbol.is_empty() || symbol.len() > 12 {
            return None;
        }
        const QUOTES: [&str; 4] = ["USDT", "USDC", "USD", "/USD"];
        if QUOTES
            .iter()
            .any(|q| symbol.ends_with(q) && symbol.len() > q.len() + 1)
            && symbol.len() >= 6
        {
            return Some(Self::crypto(symbol));
        }
        let (base, class) = symbol.split_once('.').unwrap_or((symbol, ""));
        let equity_like = (1..=5).contains(&base.len())
            && base.chars().all(|c| c.is_ascii_uppercase())
            && (class.is_empty()
                || (class.len() == 1 && class.chars().all(|c| c.is_ascii_uppercase())));
        equity_like.then(|| Self::equity(symbol))
    }
}

/// A refused field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// The instrument `symbol` names, or a refusal of the `symbol` field.
pub fn instrument(symbol: &str) -> Result<Instrument, Invalid> {
    Instrument::for_symbol(symbol).ok_or_else(|| {
        invalid(
            "symbol",
            format!("unknown instrument {symbol:?}: use a ticker like AAPL or a pair like BTCUSDT"),
        )
    })
}

/// Checks an order request against its instrument.
pub fn validate(request: &OrderRequest) -> Result<Instrument, Invalid> {
    let instrument = instrument(&request.symbol)?;
    if request.qty <= Decimal::ZERO {
        return Err(invalid(
            "qty",
            format!("must be more than 0, got {}", request.qty),
        ));
    }
    if !(request.qty % instrument.lot_size).is_zero() {
        return Err(invalid(
            "qty",
            format!(
                "{} is not a multiple of {}'s lot size {}",
                request.qty, instrument.symbol, instrument.lot_size
            ),
        ));
    }
    match (request.order_type, request.limit_price) {
        (OrderType::Market, Some(_)) => {
            return Err(invalid(
                "limit_price",
                "a market order takes no limit price",
            ));
        }
        (OrderType::Limit, None) => {
            return Err(invalid("limit_price", "a limit order needs a limit price"));
        }
        (OrderType::Limit, Some(price)) => {
            if price <= Decimal::ZERO {
                return Err(invalid(
                    "limit_price",
                    format!("must be more than 0, got {price}"),
                ));
            }
            if !(price % instrument.tick_size).is_zero() {
                return Err(invalid(
                    "limit_price",
                    format!(
                        "{price} is not a multiple of the tick size {}",
                        instrument.tick_size
                    ),
                ));
            }
        }
        (OrderType::Market, None) => {}
    }
    if let Some(id) = &request.client_order_id {
        let ok = (1..=64).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(invalid(
                "client_order_id",
                "use 1 to 64 letters, digits, '-' or '_'",
            ));
        }
    }
    Ok(instrument)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::Side;

    fn req(symbol: &str, qty: &str, limit: Option<&str>) -> OrderRequest {
        OrderRequest {
            symbol: symbol.into(),
            side: Side::Buy,
            qty: qty.parse().unwrap(),
            order_type: if limit.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            limit_price: limit.map(|l| l.parse().unwrap()),
            client_order_id: None,
        }
    }

    #[test]
    fn instruments_by_symbol_form() {
        assert_eq!(
            Instrument::for_symbol("AAPL").unwrap().lot_size,
            Decimal::ONE
        );
        assert_eq!(
            Instrument::for_symbol("BRK.B").unwrap().tick_size,
            Decimal::new(1, 2)
        );
        assert_eq!(
            Instrument::for_symbol("BTCUSDT").unwrap().lot_size,
            Decimal::new(1, 5)
        );
        for bad in ["aapl", "", "TOOLONGX", "A1", "BRK.BB"] {
            assert_eq!(Instrument::for_symbol(bad), None, "{bad}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        assert!(validate(&req("AAPL", "10", None)).is_ok());
        assert!(validate(&req("AAPL", "10", Some("101.25"))).is_ok());
        let field = |r: OrderRequest| validate(&r).unwrap_err().field;
        assert_eq!(field(req("apple", "10", None)), "symbol");
        assert_eq!(field(req("AAPL", "0", None)), "qty");
        assert_eq!(field(req("AAPL", "-5", None)), "qty");
        assert_eq!(field(req("AAPL", "1.5", None)), "qty");
        assert_eq!(field(req("AAPL", "1", Some("100.001"))), "limit_price");
        assert_eq!(field(req("AAPL", "1", Some("0"))), "limit_price");
        let mut market_with_price = req("AAPL", "1", None);
        market_with_price.limit_price = Some(Decimal::ONE);
        assert_eq!(field(market_with_price), "limit_price");
        let mut bad_id = req("AAPL", "1", None);
        bad_id.client_order_id = Some("has space".into());
        assert_eq!(field(bad_id), "client_order_id");
        assert!(validate(&req("BTCUSDT", "0.00012", None)).is_ok());
        assert_eq!(
            validate(&req("AAPL", "1.5", None)).unwrap_err().to_string(),
            "qty: 1.5 is not a multiple of AAPL's lot size 1"
        );
    }
}
