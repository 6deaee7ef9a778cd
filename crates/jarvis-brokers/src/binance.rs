//! Binance Spot: signed REST endpoints for orders and the account, public
//! klines for bars.
//!
//! Limitations, by the API's design:
//! * Looking an order up or cancelling it needs its symbol. The adapter
//!   remembers the symbol of every order it submits (in memory, for its own
//!   lifetime). For orders placed elsewhere or before a restart, call
//!   [`BinanceBroker::remember_symbol`] first, or use
//!   [`BinanceBroker::order_in`] / [`BinanceBroker::cancel_in`]. Without a
//!   symbol, `order` answers `Unknown` (never `None`, which would invite a
//!   second order) and `cancel` answers `NotFound`.
//! * The account has no single equity figure: `cash` and `buying_power` are
//!   the free quote asset (USDT by default) and `equity` is its free + locked
//!   balance; other assets are not valued.
//! * Positions are the non-zero balances of the other assets, named
//!   `{ASSET}{QUOTE}` (e.g. `BTCUSDT`); Binance keeps no cost basis, so their
//!   `avg_price` is zero.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jarvis_trading::bars::Bar;
use jarvis_trading::broker::{
    Broker, BrokerAccount, BrokerError, BrokerOrder, BrokerOrderRequest, BrokerPosition,
    MarketData, Timeframe,
};
use jarvis_trading::orders::{OrderState, OrderType, Side};
use jarvis_trading::validate::{AssetClass, Instrument};
use reqwest::Method;
use reqwest::header::HeaderValue;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;

use crate::Timeouts;
use crate::http::{self, Reply};

const NAME: &str = "binance";
/// Most klines one request returns.
const KLINE_LIMIT: usize = 1000;
/// A page loop that never advances stops here.
const MAX_PAGES: usize = 100_000;
/// How far the request's timestamp may be from the exchange's clock.
const RECV_WINDOW_MS: u64 = 5000;

/// Binance Spot (the testnet by default), with HMAC-SHA256-signed requests.
pub struct BinanceBroker {
    base_url: String,
    api_key: String,
    secret: SecretString,
    http: reqwest::Client,
    quote_asset: String,
    /// Exchange time minus local time, in ms; learnt after a -1021.
    offset_ms: AtomicI64,
    /// client order id → symbol, because Binance looks orders up by both.
    symbols: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for BinanceBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinanceBroker")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("secret", &"[REDACTED]")
            .field("quote_asset", &self.quote_asset)
            .field("offset_ms", &self.offset_ms.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl BinanceBroker {
    /// The Spot test network.
    pub const TESTNET_URL: &'static str = "https://testnet.binance.vision";

    /// The Spot testnet with the default timeouts.
    pub fn testnet(api_key: impl Into<String>, secret: SecretString) -> Result<Self, BrokerError> {
        Self::new(Self::TESTNET_URL, api_key, secret, Timeouts::default())
    }

    /// Any endpoint (`https://api.binance.com` for live trading, a test server).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        secret: SecretString,
        timeouts: Timeouts,
    ) -> Result<Self, BrokerError> {
        Ok(Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key: api_key.into(),
            secret,
            http: http::client(NAME, timeouts)?,
            quote_asset: "USDT".to_owned(),
            offset_ms: AtomicI64::new(0),
            symbols: Mutex::new(HashMap::new()),
        })
    }

    /// Values the account in another quote asset than USDT (e.g. `FDUSD`).
    pub fn with_quote_asset(mut self, asset: impl Into<String>) -> Self {
        self.quote_asset = asset.into();
        self
    }

    /// Tells the adapter which symbol an order belongs to, so `order` and
    /// `cancel` can find orders it did not submit itself.
    pub fn remember_symbol(&self, client_order_id: &str, symbol: &str) {
        self.symbols
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(client_order_id.to_owned(), symbol.to_owned());
    }

    /// The exchange's clock minus the local one, in milliseconds, as last
    /// measured (0 until a -1021 made it necessary).
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// [`Broker::order`] for an order whose symbol the caller knows.
    pub async fn order_in(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<Option<BrokerOrder>, BrokerError> {
        self.remember_symbol(client_order_id, symbol);
        let params = [
            ("symbol", symbol.to_owned()),
            ("origClientOrderId", client_order_id.to_owned()),
        ];
        let (order, _) = match self
            .signed(Method::GET, "/api/v3/order", &params, client_order_id)
            .await
        {
            Ok(body) => parse_order(&body)?,
            Err(BrokerError::NotFound { .. }) => return Ok(None),
            Err(other) => return Err(other),
        };
        Ok(Some(self.with_fees(symbol, order, client_order_id).await))
    }

    /// `order` with the fees of its fills, read from its trades (answers to
    /// a query or a cancel list no fills). Unknown fees are logged, not fatal.
    async fn with_fees(
        &self,
        symbol: &str,
        mut order: BrokerOrder,
        client_order_id: &str,
    ) -> BrokerOrder {
        if order.filled_qty.is_zero() {
            return order;
        }
        let trades = self
            .signed(
                Method::GET,
                "/api/v3/myTrades",
                &[
                    ("symbol", symbol.to_owned()),
                    ("orderId", order.broker_id.clone()),
                ],
                client_order_id,
            )
            .await
            .and_then(|body| http::parse::<Vec<WireFill>>(NAME, "trades", &body));
        order.fees = match trades {
            Ok(trades) => self.fees_in_quote(symbol, &trades).await,
            Err(e) => {
                tracing::warn!(broker = NAME, error = %e, "the order's fees are unknown for now");
                None
            }
        };
        order
    }

    /// The commissions of `fills`, in the quote asset: paid in the quote
    /// asset as they are, in the base asset at the fill's price, in another
    /// asset (BNB) at that asset's latest price in the quote asset. `None`
    /// when one cannot be valued.
    async fn fees_in_quote(&self, symbol: &str, fills: &[WireFill]) -> Option<Decimal> {
        let base = symbol.strip_suffix(&self.quote_asset)?;
        let mut total = Decimal::ZERO;
        for fill in fills {
            let commission = http::decimal(NAME, "commission", &fill.commission).ok()?;
            if commission.is_zero() {
                continue;
            }
            total += if fill.commission_asset == self.quote_asset {
                commission
            } else if fill.commission_asset == base {
                commission * http::decimal(NAME, "price", &fill.price).ok()?
            } else {
                commission * self.price_in_quote(&fill.commission_asset).await?
            };
        }
        Some(total.round_dp(8).normalize())
    }

    /// The latest price of `asset` in the quote asset (public ticker).
    async fn price_in_quote(&self, asset: &str) -> Option<Decimal> {
        #[derive(Deserialize)]
        struct Ticker {
            price: String,
        }
        let url = format!(
            "{}/api/v3/ticker/price?symbol={asset}{}",
            self.base_url, self.quote_asset
        );
        let priced = async {
            let reply = http::send(NAME, self.http.get(url)).await?;
            let ticker: Ticker = http::parse(NAME, "ticker", &reply.body)?;
            http::decimal(NAME, "price", &ticker.price)
        };
        match priced.await {
            Ok(price) => Some(price),
            Err(e) => {
                tracing::warn!(broker = NAME, asset, error = %e, "cannot value a commission");
                None
            }
        }
    }

    /// [`Broker::cancel`] for an order whose symbol the caller knows.
    pub async fn cancel_in(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<BrokerOrder, BrokerError> {
        self.remember_symbol(client_order_id, symbol);
        let params = [
            ("symbol", symbol.to_owned()),
            ("origClientOrderId", client_order_id.to_owned()),
        ];
        match self
            .signed(Method::DELETE, "/api/v3/order", &params, client_order_id)
            .await
        {
            Ok(body) => {
                let (order, _) = parse_order(&body)?;
                Ok(self.with_fees(symbol, order, client_order_id).await)
            }
            // "Unknown order sent." also answers orders already filled or
            // cancelled: report what the order is, if it exists.
            Err(BrokerError::NotFound { .. }) => self
                .order_in(symbol, client_order_id)
                .await?
                .ok_or_else(|| BrokerError::NotFound {
                    broker: NAME,
                    client_order_id: client_order_id.to_owned(),
                }),
            Err(other) => Err(other),
        }
    }

    fn symbol_of(&self, client_order_id: &str) -> Option<String> {
        self.symbols
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(client_order_id)
            .cloned()
    }

    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// A signed request; on a clock error, measures the offset and retries
    /// once (safe: Binance refused the first before acting on it).
    async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        client_order_id: &str,
    ) -> Result<Vec<u8>, BrokerError> {
        match self
            .signed_once(method.clone(), path, params, client_order_id)
            .await
        {
            Err(BrokerError::Clock { .. }) => {
                self.sync_clock().await?;
                self.signed_once(method, path, params, client_order_id)
                    .await
            }
            other => other,
        }
    }

    async fn signed_once(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        client_order_id: &str,
    ) -> Result<Vec<u8>, BrokerError> {
        let mut pairs = params.to_vec();
        pairs.push(("recvWindow", RECV_WINDOW_MS.to_string()));
        pairs.push(("timestamp", self.now_ms().to_string()));
        // The signature covers exactly the bytes sent, so encode once, then sign.
        let payload = http::query(&pairs);
        let signature = sign(self.secret.expose_secret(), &payload)?;
        let url = format!("{}{path}?{payload}&signature={signature}", self.base_url);
        let mut key = HeaderValue::from_str(&self.api_key).map_err(|_| BrokerError::Auth {
            broker: NAME,
            reason: "the API key holds characters that cannot go in a header".into(),
        })?;
        key.set_sensitive(true);
        tracing::debug!(broker = NAME, %method, path, "signed request");
        let request = self.http.request(method, url).header("X-MBX-APIKEY", key);
        let reply = http::send(NAME, request).await?;
        check(&reply, client_order_id)?;
        Ok(reply.body)
    }

    /// Measures the exchange clock against ours (midpoint of the round trip).
    async fn sync_clock(&self) -> Result<(), BrokerError> {
        let before = Utc::now().timestamp_millis();
        let request = self.http.get(format!("{}/api/v3/time", self.base_url));
        let reply = http::send(NAME, request).await?;
        let after = Utc::now().timestamp_millis();
        check(&reply, "")?;
        let time: WireTime = http::parse(NAME, "server time", &reply.body)?;
        let offset = time.server_time - (before + after) / 2;
        self.offset_ms.store(offset, Ordering::Relaxed);
        tracing::info!(
            broker = NAME,
            offset_ms = offset,
            "corrected for the exchange clock"
        );
        Ok(())
    }

    async fn balances(&self) -> Result<Vec<(String, Decimal, Decimal)>, BrokerError> {
        let body = self.signed(Method::GET, "/api/v3/account", &[], "").await?;
        let account: WireAccount = http::parse(NAME, "account", &body)?;
        account
            .balances
            .into_iter()
            .map(|b| {
                let free = http::decimal(NAME, "free", &b.free)?;
                let locked = http::decimal(NAME, "locked", &b.locked)?;
                Ok((b.asset, free, locked))
            })
            .collect()
    }
}

#[async_trait]
impl Broker for BinanceBroker {
    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, instrument: &Instrument) -> Result<(), String> {
        let pair = instrument.class == AssetClass::Crypto && !instrument.symbol.contains('/');
        if pair && instrument.symbol.ends_with(&self.quote_asset) {
            Ok(())
        } else {
            Err(format!(
                "Binance Spot trades pairs quoted in {} like BTC{}; {} is not one",
                self.quote_asset, self.quote_asset, instrument.symbol
            ))
        }
    }

    fn remember_symbol(&self, client_order_id: &str, symbol: &str) {
        BinanceBroker::remember_symbol(self, client_order_id, symbol);
    }

    async fn submit(&self, order: &BrokerOrderRequest) -> Result<BrokerOrder, BrokerError> {
        let side = match order.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        };
        let mut params = vec![("symbol", order.symbol.clone()), ("side", side.to_owned())];
        match (order.order_type, order.limit_price) {
            (OrderType::Market, _) => params.push(("type", "MARKET".to_owned())),
            (OrderType::Limit, Some(price)) => {
                params.push(("type", "LIMIT".to_owned()));
                params.push(("timeInForce", "GTC".to_owned()));
                params.push(("price", http::plain(price)));
            }
            (OrderType::Limit, None) => {
                return Err(BrokerError::Rejected {
                    broker: NAME,
                    reason: "a limit order needs a limit price".into(),
                });
            }
        }
        params.push(("quantity", http::plain(order.qty)));
        params.push(("newClientOrderId", order.client_order_id.clone()));
        params.push(("newOrderRespType", "FULL".to_owned()));
        // Before sending, so a reconcile after an unknown outcome can look it up.
        self.remember_symbol(&order.client_order_id, &order.symbol);
        let body = self
            .signed(
                Method::POST,
                "/api/v3/order",
                &params,
                &order.client_order_id,
            )
            .await?;
        // The order exists now; an unreadable answer must not look like "not placed".
        let (mut placed, fills) = parse_order(&body).map_err(|e| BrokerError::Unknown {
            broker: NAME,
            reason: format!("the order was accepted but the answer was unreadable ({e})"),
        })?;
        if !placed.filled_qty.is_zero() {
            placed.fees = self.fees_in_quote(&order.symbol, &fills).await;
        }
        Ok(placed)
    }

    async fn cancel(&self, client_order_id: &str) -> Result<BrokerOrder, BrokerError> {
        let symbol = self
            .symbol_of(client_order_id)
            .ok_or_else(|| BrokerError::NotFound {
                broker: NAME,
                client_order_id: client_order_id.to_owned(),
            })?;
        self.cancel_in(&symbol, client_order_id).await
    }

    async fn order(&self, client_order_id: &str) -> Result<Option<BrokerOrder>, BrokerError> {
        match self.symbol_of(client_order_id) {
            Some(symbol) => self.order_in(&symbol, client_order_id).await,
            None => Err(BrokerError::Unknown {
                broker: NAME,
                reason: format!(
                    "Binance needs the symbol to look up client order id {client_order_id}; \
                     it was not submitted through this adapter (use remember_symbol)"
                ),
            }),
        }
    }

    async fn account(&self) -> Result<BrokerAccount, BrokerError> {
        let quote = self
            .balances()
            .await?
            .into_iter()
            .find(|(asset, _, _)| *asset == self.quote_asset);
        let (free, locked) = quote.map_or((Decimal::ZERO, Decimal::ZERO), |(_, f, l)| (f, l));
        Ok(BrokerAccount {
            cash: free,
            equity: free + locked,
            buying_power: free,
            currency: self.quote_asset.clone(),
        })
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        Ok(self
            .balances()
            .await?
            .into_iter()
            .filter(|(asset, free, locked)| {
                *asset != self.quote_asset && !(*free + *locked).is_zero()
            })
            .map(|(asset, free, locked)| BrokerPosition {
                symbol: format!("{asset}{}", self.quote_asset),
                qty: free + locked,
                avg_price: Decimal::ZERO,
            })
            .collect())
    }
}

#[async_trait]
impl MarketData for BinanceBroker {
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
        let interval = match timeframe {
            Timeframe::Minute => "1m",
            Timeframe::Hour => "1h",
            Timeframe::Day => "1d",
        };
        let end_ms = end.timestamp_millis();
        let mut from_ms = start.timestamp_millis();
        let mut bars = Vec::new();
        for _ in 0..MAX_PAGES {
            if from_ms >= end_ms {
                return Ok(bars);
            }
            let params = [
                ("symbol", symbol.to_owned()),
                ("interval", interval.to_owned()),
                ("startTime", from_ms.to_string()),
                // endTime is inclusive at Binance; the port's end is exclusive.
                ("endTime", (end_ms - 1).to_string()),
                ("limit", KLINE_LIMIT.to_string()),
            ];
            let url = format!("{}/api/v3/klines?{}", self.base_url, http::query(&params));
            let reply = http::send(NAME, self.http.get(url)).await?;
            check(&reply, "")?;
            let rows: Vec<Vec<serde_json::Value>> = http::parse(NAME, "klines", &reply.body)?;
            let count = rows.len();
            let mut last_open = None;
            for row in rows {
                let bar = kline(&row)?;
                last_open = Some(bar.ts.timestamp_millis());
                if bar.ts >= start && bar.ts < end {
                    bars.push(bar);
                }
            }
            match last_open {
                // A short page is the last one.
                Some(open) if count >= KLINE_LIMIT && open >= from_ms => from_ms = open + 1,
                _ => return Ok(bars),
            }
        }
        Err(BrokerError::Protocol {
            broker: NAME,
            reason: format!("more than {MAX_PAGES} pages of klines"),
        })
    }
}

/// Hex HMAC-SHA256 of the query string with the secret key.
fn sign(secret: &str, payload: &str) -> Result<String, BrokerError> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| BrokerError::Auth {
            broker: NAME,
            reason: "the secret key cannot be used for signing".into(),
        })?;
    mac.update(payload.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Turns a non-2xx answer into an error, from Binance's `{"code", "msg"}`.
fn check(reply: &Reply, client_order_id: &str) -> Result<(), BrokerError> {
    if reply.is_success() {
        return Ok(());
    }
    let rate_limited = BrokerError::RateLimited {
        broker: NAME,
        retry_after_secs: reply.retry_after_secs.unwrap_or(1),
    };
    // 418: banned for ignoring 429s; both carry Retry-After.
    if matches!(reply.status, 418 | 429) {
        return Err(rate_limited);
    }
    let (code, msg) = match serde_json::from_slice::<WireError>(&reply.body) {
        Ok(wire) => (Some(wire.code), wire.msg),
        Err(_) => (None, reply.snippet()),
    };
    let not_found = || BrokerError::NotFound {
        broker: NAME,
        client_order_id: client_order_id.to_owned(),
    };
    Err(match code {
        Some(-1021) => BrokerError::Clock {
            broker: NAME,
            reason: msg,
        },
        // Bad signature (wrong secret), malformed key, key refused.
        Some(-1022 | -2014 | -2015) => BrokerError::Auth {
            broker: NAME,
            reason: msg,
        },
        Some(-2013) => not_found(),
        Some(-2011) if msg.contains("Unknown order") => not_found(),
        Some(-1003 | -1015) => rate_limited,
        // "Execution status unknown": the order may exist.
        Some(-1006 | -1007) => BrokerError::Unknown {
            broker: NAME,
            reason: msg,
        },
        _ if reply.status >= 500 => BrokerError::Unknown {
            broker: NAME,
            reason: msg,
        },
        // -2010 (new order rejected, e.g. insufficient balance), filters, bad params.
        Some(_) => BrokerError::Rejected {
            broker: NAME,
            reason: msg,
        },
        None if reply.status == 401 => BrokerError::Auth {
            broker: NAME,
            reason: msg,
        },
        None if reply.status == 403 => BrokerError::Rejected {
            broker: NAME,
            reason: format!("blocked by Binance's web application firewall ({msg})"),
        },
        None => BrokerError::Protocol {
            broker: NAME,
            reason: msg,
        },
    })
}

/// The order, and its fills when the answer lists them (a FULL answer to a
/// new order does; a query does not).
fn parse_order(body: &[u8]) -> Result<(BrokerOrder, Vec<WireFill>), BrokerError> {
    let mut wire = http::parse::<WireOrder>(NAME, "order", body)?;
    let fills = std::mem::take(&mut wire.fills);
    Ok((wire.into_order()?, fills))
}

/// One kline: `[openTime, "open", "high", "low", "close", "volume", closeTime, …]`.
fn kline(row: &[serde_json::Value]) -> Result<Bar, BrokerError> {
    let bad = |what: &str| BrokerError::Protocol {
        broker: NAME,
        reason: format!("a kline has no {what}"),
    };
    let open_ms = row
        .first()
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| bad("open time"))?;
    let ts = DateTime::from_timestamp_millis(open_ms).ok_or_else(|| bad("valid open time"))?;
    let field = |index: usize, name: &str| -> Result<Decimal, BrokerError> {
        let text = row
            .get(index)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad(name))?;
        http::decimal(NAME, name, text)
    };
    Ok(Bar {
        ts,
        open: field(1, "open")?,
        high: field(2, "high")?,
        low: field(3, "low")?,
        close: field(4, "close")?,
        volume: field(5, "volume")?,
    })
}

/// Maps Binance's order status onto the port's states.
fn state_of(status: &str) -> (OrderState, Option<String>) {
    match status {
        "NEW" | "PENDING_NEW" | "PENDING_CANCEL" => (OrderState::Accepted, None),
        "PARTIALLY_FILLED" => (OrderState::PartiallyFilled, None),
        "FILLED" => (OrderState::Filled, None),
        "CANCELED" => (OrderState::Cancelled, None),
        "EXPIRED" => (OrderState::Cancelled, Some("expired".to_owned())),
        "EXPIRED_IN_MATCH" => (
            OrderState::Cancelled,
            Some("expired by self-trade prevention".to_owned()),
        ),
        "REJECTED" => (OrderState::Rejected, Some("rejected by Binance".to_owned())),
        other => {
            // Treat the unknown as still open: never assume a fill or a cancel.
            tracing::warn!(broker = NAME, status = other, "unknown order status");
            (OrderState::Accepted, None)
        }
    }
}

#[derive(Deserialize)]
struct WireError {
    code: i64,
    msg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTime {
    server_time: i64,
}

#[derive(Deserialize)]
struct WireAccount {
    balances: Vec<WireBalance>,
}

#[derive(Deserialize)]
struct WireBalance {
    asset: String,
    free: String,
    locked: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOrder {
    symbol: String,
    order_id: i64,
    client_order_id: String,
    /// In a cancel's answer `clientOrderId` is the cancel's own id and this
    /// is the order's.
    orig_client_order_id: Option<String>,
    orig_qty: String,
    executed_qty: String,
    cummulative_quote_qty: String,
    status: String,
    side: String,
    #[serde(default)]
    fills: Vec<WireFill>,
}

/// A fill in a FULL order answer, or a trade from `/api/v3/myTrades`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFill {
    price: String,
    commission: String,
    commission_asset: String,
}

impl WireOrder {
    fn into_order(self) -> Result<BrokerOrder, BrokerError> {
        let side = match self.side.as_str() {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            other => {
                return Err(BrokerError::Protocol {
                    broker: NAME,
                    reason: format!("unknown order side {other:?}"),
                });
            }
        };
        let qty = http::decimal(NAME, "origQty", &self.orig_qty)?;
        let filled_qty = http::decimal(NAME, "executedQty", &self.executed_qty)?;
        let quote = http::decimal(NAME, "cummulativeQuoteQty", &self.cummulative_quote_qty)?;
        // Binance reports the quote spent, not a price: average = quote / quantity.
        let avg_fill_price = if filled_qty.is_zero() {
            None
        } else {
            quote.checked_div(filled_qty).map(|p| p.normalize())
        };
        let (state, reason) = state_of(&self.status);
        Ok(BrokerOrder {
            broker_id: self.order_id.to_string(),
            client_order_id: self.orig_client_order_id.unwrap_or(self.client_order_id),
            symbol: self.symbol,
            side,
            qty,
            filled_qty,
            avg_fill_price,
            state,
            reason,
            fees: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_documented_example() {
        // The HMAC example from Binance's "SIGNED endpoint examples".
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            sign(secret, payload).unwrap(),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn statuses_map_to_states() {
        assert_eq!(state_of("NEW").0, OrderState::Accepted);
        assert_eq!(state_of("PARTIALLY_FILLED").0, OrderState::PartiallyFilled);
        assert_eq!(state_of("FILLED").0, OrderState::Filled);
        assert_eq!(state_of("CANCELED").0, OrderState::Cancelled);
        assert_eq!(
            state_of("EXPIRED"),
            (OrderState::Cancelled, Some("expired".into()))
        );
        assert_eq!(state_of("REJECTED").0, OrderState::Rejected);
    }
}
