//! Alpaca: Trading API v2 (orders, account, positions) and Market Data v2
//! (stock bars).

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use jarvis_trading::bars::Bar;
use jarvis_trading::broker::{
    Broker, BrokerAccount, BrokerError, BrokerOrder, BrokerOrderRequest, BrokerPosition,
    MarketClock, MarketData, Timeframe,
};
use jarvis_trading::orders::{OrderState, OrderType, Side};
use jarvis_trading::validate::{AssetClass, Instrument};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::Timeouts;
use crate::http::{self, Reply};

const NAME: &str = "alpaca";
/// Most bars one page may hold (Alpaca's maximum).
const PAGE_LIMIT: u32 = 10_000;
/// A runaway `next_page_token` loop stops here.
const MAX_PAGES: usize = 10_000;

/// Alpaca's Trading API (orders, account, positions) and Market Data API
/// (bars), authenticated with an API key id and secret.
pub struct AlpacaBroker {
    base_url: String,
    data_url: String,
    key_id: String,
    secret: SecretString,
    http: reqwest::Client,
}

impl fmt::Debug for AlpacaBroker {
    // Neither key is printed: the id alone still identifies the account.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlpacaBroker")
            .field("base_url", &self.base_url)
            .field("data_url", &self.data_url)
            .field("key_id", &"[REDACTED]")
            .field("secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl AlpacaBroker {
    /// The paper-trading endpoint.
    pub const PAPER_URL: &'static str = "https://paper-api.alpaca.markets";
    /// The market-data endpoint (the same for paper and live keys).
    pub const DATA_URL: &'static str = "https://data.alpaca.markets";

    /// Paper trading with the default timeouts.
    pub fn paper(key_id: impl Into<String>, secret: SecretString) -> Result<Self, BrokerError> {
        Self::new(
            Self::PAPER_URL,
            Self::DATA_URL,
            key_id,
            secret,
            Timeouts::default(),
        )
    }

    /// Any endpoints (live trading, a proxy, a test server).
    pub fn new(
        base_url: impl Into<String>,
        data_url: impl Into<String>,
        key_id: impl Into<String>,
        secret: SecretString,
        timeouts: Timeouts,
    ) -> Result<Self, BrokerError> {
        Ok(Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            data_url: data_url.into().trim_end_matches('/').to_owned(),
            key_id: key_id.into(),
            secret,
            http: http::client(NAME, timeouts)?,
        })
    }

    fn auth_headers(&self) -> Result<HeaderMap, BrokerError> {
        let invalid = |what: &str| BrokerError::Auth {
            broker: NAME,
            reason: format!("the {what} holds characters that cannot go in a header"),
        };
        let mut key = HeaderValue::from_str(&self.key_id).map_err(|_| invalid("key id"))?;
        let mut secret = HeaderValue::from_str(self.secret.expose_secret())
            .map_err(|_| invalid("secret key"))?;
        // Sensitive headers are left out of reqwest/hyper debug output.
        key.set_sensitive(true);
        secret.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("APCA-API-KEY-ID", key);
        headers.insert("APCA-API-SECRET-KEY", secret);
        Ok(headers)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&NewOrder<'_>>,
    ) -> Result<Reply, BrokerError> {
        tracing::debug!(broker = NAME, %method, path = %path_of(&url), "request");
        let mut request = self.http.request(method, url).headers(self.auth_headers()?);
        if let Some(body) = body {
            request = request.json(body);
        }
        http::send(NAME, request).await
    }

    /// The order with this client order id, or `None` on a 404.
    async fn find(&self, client_order_id: &str) -> Result<Option<WireOrder>, BrokerError> {
        let url = format!(
            "{}/v2/orders:by_client_order_id?client_order_id={}",
            self.base_url,
            http::encode(client_order_id)
        );
        let reply = self.call(reqwest::Method::GET, url, None).await?;
        match reply.status {
            // Only Alpaca's own "not found" answer means "never received"; a
            // bare 404 (a wrong URL, a proxy) must not invite a second order.
            404 if serde_json::from_slice::<WireError>(&reply.body)
                .is_ok_and(|w| w.message.is_some()) =>
            {
                Ok(None)
            }
            404 => Err(BrokerError::Protocol {
                broker: NAME,
                reason: format!("not Alpaca's answer: {}", reply.snippet()),
            }),
            _ if reply.is_success() => http::parse(NAME, "order", &reply.body).map(Some),
            _ => Err(error_from(&reply)),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: String,
        what: &str,
    ) -> Result<T, BrokerError> {
        let reply = self.call(reqwest::Method::GET, url, None).await?;
        if !reply.is_success() {
            return Err(error_from(&reply));
        }
        http::parse(NAME, what, &reply.body)
    }
}

#[async_trait]
impl Broker for AlpacaBroker {
    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, instrument: &Instrument) -> Result<(), String> {
        match instrument.class {
            AssetClass::Equity => Ok(()),
            AssetClass::Crypto => Err(format!(
                "Alpaca is set up here for US stocks; {} is a crypto pair",
                instrument.symbol
            )),
        }
    }

    /// `GET /v2/clock`: the US stock market's session.
    async fn clock(&self) -> Result<Option<MarketClock>, BrokerError> {
        let url = format!("{}/v2/clock", self.base_url);
        let wire: WireClock = self.get_json(url, "clock").await?;
        Ok(Some(MarketClock {
            is_open: wire.is_open,
            next_open: wire.next_open,
            next_close: wire.next_close,
        }))
    }

    async fn submit(&self, order: &BrokerOrderRequest) -> Result<BrokerOrder, BrokerError> {
        let limit_price = match (order.order_type, order.limit_price) {
            (OrderType::Limit, None) => {
                return Err(BrokerError::Rejected {
                    broker: NAME,
                    reason: "a limit order needs a limit price".into(),
                });
            }
            (OrderType::Limit, Some(price)) => Some(http::plain(price)),
            (OrderType::Market, _) => None,
        };
        let body = NewOrder {
            symbol: &order.symbol,
            qty: http::plain(order.qty),
            side: order.side.as_str(),
            order_type: match order.order_type {
                OrderType::Market => "market",
                OrderType::Limit => "limit",
            },
            time_in_force: "day",
            limit_price,
            client_order_id: &order.client_order_id,
        };
        let url = format!("{}/v2/orders", self.base_url);
        let reply = self.call(reqwest::Method::POST, url, Some(&body)).await?;
        if !reply.is_success() {
            return Err(error_from(&reply));
        }
        // The order exists now; an unreadable answer must not look like "not placed".
        http::parse::<WireOrder>(NAME, "order", &reply.body)
            .and_then(WireOrder::into_order)
            .map_err(|e| BrokerError::Unknown {
                broker: NAME,
                reason: format!("the order was accepted but the answer was unreadable ({e})"),
            })
    }

    async fn cancel(&self, client_order_id: &str) -> Result<BrokerOrder, BrokerError> {
        let not_found = || BrokerError::NotFound {
            broker: NAME,
            client_order_id: client_order_id.to_owned(),
        };
        let found = self.find(client_order_id).await?.ok_or_else(not_found)?;
        let url = format!("{}/v2/orders/{}", self.base_url, http::encode(&found.id));
        let reply = self.call(reqwest::Method::DELETE, url, None).await?;
        let refused = match reply.status {
            404 => return Err(not_found()),
            // 422: no longer cancelable (filled or already closed); say what it is.
            422 => Some(error_from(&reply)),
            _ if reply.is_success() => None,
            _ => return Err(error_from(&reply)),
        };
        // Cancelling is asynchronous at Alpaca: re-read what the order is now.
        let current = self
            .find(client_order_id)
            .await?
            .ok_or_else(not_found)?
            .into_order()?;
        match refused {
            Some(error) if current.state.is_open() => Err(error),
            _ => Ok(current),
        }
    }

    async fn order(&self, client_order_id: &str) -> Result<Option<BrokerOrder>, BrokerError> {
        self.find(client_order_id)
            .await?
            .map(WireOrder::into_order)
            .transpose()
    }

    async fn account(&self) -> Result<BrokerAccount, BrokerError> {
        let url = format!("{}/v2/account", self.base_url);
        let wire: WireAccount = self.get_json(url, "account").await?;
        Ok(BrokerAccount {
            cash: http::decimal(NAME, "cash", &wire.cash)?,
            equity: http::decimal(NAME, "equity", &wire.equity)?,
            buying_power: http::decimal(NAME, "buying_power", &wire.buying_power)?,
            currency: wire.currency,
        })
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        let url = format!("{}/v2/positions", self.base_url);
        let wire: Vec<WirePosition> = self.get_json(url, "positions").await?;
        wire.into_iter()
            .map(|p| {
                let qty = http::decimal(NAME, "qty", &p.qty)?;
                // Shorts come as side "short"; keep the sign whatever qty's is.
                let qty = if p.side.as_deref() == Some("short") {
                    -qty.abs()
                } else {
                    qty
                };
                Ok(BrokerPosition {
                    avg_price: http::decimal(NAME, "avg_entry_price", &p.avg_entry_price)?,
                    symbol: p.symbol,
                    qty,
                })
            })
            .collect()
    }
}

#[async_trait]
impl MarketData for AlpacaBroker {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn bars(
        &self,
        symbol: &str,
        timeframe: Timeframe,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Bar>, BrokerError> {
        let timeframe = match timeframe {
            Timeframe::Minute => "1Min",
            Timeframe::Hour => "1Hour",
            Timeframe::Day => "1Day",
        };
        let mut bars = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("timeframe", timeframe.to_owned()),
                ("start", start.to_rfc3339_opts(SecondsFormat::Secs, true)),
                ("end", end.to_rfc3339_opts(SecondsFormat::Secs, true)),
                ("limit", PAGE_LIMIT.to_string()),
            ];
            if let Some(token) = &page_token {
                params.push(("page_token", token.clone()));
            }
            let url = format!(
                "{}/v2/stocks/{}/bars?{}",
                self.data_url,
                http::encode(symbol),
                http::query(&params)
            );
            let page: WireBars = self.get_json(url, "bars").await?;
            for bar in page.bars.unwrap_or_default() {
                let bar = bar.into_bar()?;
                // Alpaca's `end` is inclusive; the port's is exclusive.
                if bar.ts >= start && bar.ts < end {
                    bars.push(bar);
                }
            }
            match page.next_page_token {
                Some(next) if !next.is_empty() && page_token.as_deref() != Some(next.as_str()) => {
                    page_token = Some(next);
                }
                Some(next) if !next.is_empty() => {
                    return Err(BrokerError::Protocol {
                        broker: NAME,
                        reason: "the bars' next_page_token repeats itself".into(),
                    });
                }
                _ => return Ok(bars),
            }
        }
        Err(BrokerError::Protocol {
            broker: NAME,
            reason: format!("more than {MAX_PAGES} pages of bars"),
        })
    }
}

/// Turns a non-2xx answer into an error, using Alpaca's
/// `{"code": …, "message": …}` body when there is one.
fn error_from(reply: &Reply) -> BrokerError {
    let wire = serde_json::from_slice::<WireError>(&reply.body).ok();
    let message = wire
        .as_ref()
        .and_then(|w| w.message.clone())
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| reply.snippet());
    let auth_like = {
        let m = message.to_lowercase();
        m.contains("forbidden") || m.contains("authoriz") || m.contains("authentic")
    };
    match reply.status {
        401 => BrokerError::Auth {
            broker: NAME,
            reason: message,
        },
        403 if auth_like => BrokerError::Auth {
            broker: NAME,
            reason: message,
        },
        // 403 40310000 insufficient buying power, 422 invalid order, 400 bad input.
        400 | 403 | 422 => BrokerError::Rejected {
            broker: NAME,
            reason: message,
        },
        429 => BrokerError::RateLimited {
            broker: NAME,
            retry_after_secs: reply.retry_after_secs.unwrap_or(1),
        },
        500..=599 => BrokerError::Unknown {
            broker: NAME,
            reason: message,
        },
        _ => BrokerError::Protocol {
            broker: NAME,
            reason: format!("unexpected HTTP {}: {message}", reply.status),
        },
    }
}

/// The path of a URL, for logs (no host, no query).
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    path.split(['?', ':']).next().unwrap_or(path)
}

/// Maps Alpaca's order status onto the port's states.
fn state_of(status: &str) -> (OrderState, Option<String>) {
    match status {
        "filled" => (OrderState::Filled, None),
        "partially_filled" => (OrderState::PartiallyFilled, None),
        "canceled" => (OrderState::Cancelled, None),
        "expired" | "replaced" => (OrderState::Cancelled, Some(status.to_owned())),
        "rejected" => (OrderState::Rejected, Some("rejected by Alpaca".to_owned())),
        // Still working, or parked until the broker decides (done_for_day
        // ends in expired; pending_cancel may yet fill).
        "new"
        | "accepted"
        | "pending_new"
        | "accepted_for_bidding"
        | "pending_cancel"
        | "pending_replace"
        | "stopped"
        | "suspended"
        | "calculated"
        | "held"
        | "done_for_day" => (OrderState::Accepted, None),
        other => {
            // Treat the unknown as still open: never assume a fill or a cancel.
            tracing::warn!(broker = NAME, status = other, "unknown order status");
            (OrderState::Accepted, None)
        }
    }
}

#[derive(Serialize)]
struct NewOrder<'a> {
    symbol: &'a str,
    qty: String,
    side: &'static str,
    #[serde(rename = "type")]
    order_type: &'static str,
    time_in_force: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_price: Option<String>,
    client_order_id: &'a str,
}

#[derive(Deserialize)]
struct WireError {
    message: Option<String>,
}

#[derive(Deserialize)]
struct WireOrder {
    id: String,
    client_order_id: String,
    symbol: String,
    side: String,
    /// Null for notional orders, which Jarvis does not send.
    qty: Option<String>,
    filled_qty: String,
    filled_avg_price: Option<String>,
    status: String,
}

impl WireOrder {
    fn into_order(self) -> Result<BrokerOrder, BrokerError> {
        let side = match self.side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            other => {
                return Err(BrokerError::Protocol {
                    broker: NAME,
                    reason: format!("unknown order side {other:?}"),
                });
            }
        };
        let filled_qty = http::decimal(NAME, "filled_qty", &self.filled_qty)?;
        let qty = match &self.qty {
            Some(qty) => http::decimal(NAME, "qty", qty)?,
            None => filled_qty,
        };
        let avg_fill_price = self
            .filled_avg_price
            .as_deref()
            .map(|p| http::decimal(NAME, "filled_avg_price", p))
            .transpose()?;
        let (state, reason) = state_of(&self.status);
        Ok(BrokerOrder {
            broker_id: self.id,
            client_order_id: self.client_order_id,
            symbol: self.symbol,
            side,
            qty,
            filled_qty,
            avg_fill_price,
            state,
            reason,
            // Alpaca charges no commission on stocks and reports none.
            fees: None,
        })
    }
}

#[derive(Deserialize)]
struct WireClock {
    is_open: bool,
    next_open: Option<DateTime<Utc>>,
    next_close: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct WireAccount {
    cash: String,
    equity: String,
    buying_power: String,
    currency: String,
}

#[derive(Deserialize)]
struct WirePosition {
    symbol: String,
    qty: String,
    avg_entry_price: String,
    side: Option<String>,
}

#[derive(Deserialize)]
struct WireBars {
    bars: Option<Vec<WireBar>>,
    next_page_token: Option<String>,
}

/// Prices and volume are JSON numbers; kept as raw text so no `f64` rounds them.
#[derive(Deserialize)]
struct WireBar {
    t: DateTime<Utc>,
    o: Box<RawValue>,
    h: Box<RawValue>,
    l: Box<RawValue>,
    c: Box<RawValue>,
    v: Box<RawValue>,
}

impl WireBar {
    fn into_bar(self) -> Result<Bar, BrokerError> {
        Ok(Bar {
            ts: self.t,
            open: http::raw_decimal(NAME, "o", &self.o)?,
            high: http::raw_decimal(NAME, "h", &self.h)?,
            low: http::raw_decimal(NAME, "l", &self.l)?,
            close: http::raw_decimal(NAME, "c", &self.c)?,
            volume: http::raw_decimal(NAME, "v", &self.v)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_states() {
        assert_eq!(state_of("filled").0, OrderState::Filled);
        assert_eq!(state_of("pending_new").0, OrderState::Accepted);
        assert_eq!(state_of("partially_filled").0, OrderState::PartiallyFilled);
        assert_eq!(state_of("canceled").0, OrderState::Cancelled);
        assert_eq!(
            state_of("expired"),
            (OrderState::Cancelled, Some("expired".into()))
        );
        assert_eq!(state_of("rejected").0, OrderState::Rejected);
        assert_eq!(state_of("something_new").0, OrderState::Accepted);
    }

    #[test]
    fn log_paths_drop_host_and_query() {
        assert_eq!(path_of("https://h:1/v2/orders/abc"), "/v2/orders/abc");
        assert_eq!(
            path_of("http://127.0.0.1:9/v2/orders:by_client_order_id?client_order_id=x"),
            "/v2/orders"
        );
    }
}
