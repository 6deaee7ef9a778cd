//! The Binance Spot adapter against a loopback server speaking Binance's
//! REST wire format, checking every signature and timestamp as Binance does.

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{TimeZone, Utc};
use common::dec;
use hmac::{Hmac, Mac};
use jarvis_brokers::{BinanceBroker, Timeouts};
use jarvis_trading::broker::{
    Broker, BrokerError, BrokerOrderRequest, MarketData, Timeframe, submit_reconciled,
};
use jarvis_trading::orders::{OrderState, OrderType, Side};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;

const API_KEY: &str = "binance-test-api-key-0001";
const SECRET: &str = "binance-test-secret-never-printed";
/// Where the simulated market fills BTCUSDT.
const PRICE: &str = "43000.12";
const USDT_FREE: &str = "1000.00000000";
/// BNB's price in USDT on the public ticker.
const BNB_PRICE: &str = "312.50000000";
/// Commission taken in BTC (the asset bought): 0.1 % of the quantity.
const BTC_COMMISSION_RATE: &str = "0.001";
/// Commission taken in BNB instead: a flat amount per trade.
const BNB_COMMISSION: &str = "0.00010000";

#[derive(Clone, Copy)]
enum Fault {
    /// Records the order, then answers 503 -1007 (execution status unknown).
    ErrorAfterRecording,
    /// A gateway's 502 page; nothing recorded.
    ErrorBeforeRecording,
    /// 429 -1003 with this Retry-After.
    RateLimited(u64),
}

struct SimOrder {
    id: i64,
    client_id: String,
    symbol: String,
    side: String,
    kind: String,
    price: Decimal,
    qty: Decimal,
    executed: Decimal,
    quote: Decimal,
    status: &'static str,
}

#[derive(Default)]
struct Sim {
    /// The exchange clock minus the real one.
    skew_ms: AtomicI64,
    orders: Mutex<Vec<SimOrder>>,
    posts: AtomicUsize,
    faults: Mutex<VecDeque<Fault>>,
    time_calls: AtomicUsize,
    clock_rejections: AtomicUsize,
    malformed_account: AtomicBool,
    last_order_params: Mutex<HashMap<String, String>>,
    kline_queries: Mutex<Vec<HashMap<String, String>>>,
    /// Commissions are paid in BNB (else in the asset bought).
    pays_in_bnb: AtomicBool,
}

impl Sim {
    fn created(&self) -> usize {
        self.orders.lock().unwrap().len()
    }

    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.skew_ms.load(Ordering::SeqCst)
    }
}

fn binance_error(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, Json(json!({ "code": code, "msg": msg }))).into_response()
}

/// Binance's checks on a SIGNED request: key, signature over the exact query
/// string, then the timestamp against recvWindow.
fn verify(
    sim: &Sim,
    headers: &HeaderMap,
    raw: Option<String>,
    params: &HashMap<String, String>,
) -> Option<Response> {
    if headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        return Some(binance_error(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    }
    let raw = raw.unwrap_or_default();
    let Some((payload, signature)) = raw.rsplit_once("&signature=") else {
        return Some(binance_error(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        ));
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    if hex::encode(mac.finalize().into_bytes()) != signature {
        return Some(binance_error(
            StatusCode::BAD_REQUEST,
            -1022,
            "Signature for this request is not valid.",
        ));
    }
    let timestamp: i64 = params["timestamp"].parse().unwrap();
    let window: i64 = params["recvWindow"].parse().unwrap();
    assert_eq!(window, 5000);
    let now = sim.now_ms();
    let msg = if timestamp > now + 1000 {
        Some("Timestamp for this request was 1000ms ahead of the server's time.")
    } else if now - timestamp > window {
        Some("Timestamp for this request is outside of the recvWindow.")
    } else {
        None
    };
    if let Some(msg) = msg {
        sim.clock_rejections.fetch_add(1, Ordering::SeqCst);
        return Some(binance_error(StatusCode::BAD_REQUEST, -1021, msg));
    }
    None
}

fn e8(value: Decimal) -> String {
    format!("{value:.8}")
}

/// `GET /api/v3/order` as documented.
fn query_json(o: &SimOrder) -> Value {
    json!({
        "symbol": o.symbol,
        "orderId": o.id,
        "orderListId": -1,
        "clientOrderId": o.client_id,
        "price": e8(o.price),
        "origQty": e8(o.qty),
        "executedQty": e8(o.executed),
        "cummulativeQuoteQty": e8(o.quote),
        "status": o.status,
        "timeInForce": "GTC",
        "type": o.kind,
        "side": o.side,
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": 1704153600000i64,
        "updateTime": 1704153600000i64,
        "isWorking": true,
        "workingTime": 1704153600000i64,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "NONE"
    })
}

/// The commission of a fill of `qty`, and the asset it is paid in.
fn commission(sim: &Sim, qty: Decimal) -> (String, &'static str) {
    if sim.pays_in_bnb.load(Ordering::SeqCst) {
        (BNB_COMMISSION.to_owned(), "BNB")
    } else {
        (e8(qty * dec(BTC_COMMISSION_RATE)), "BTC")
    }
}

/// `POST /api/v3/order` with `newOrderRespType=FULL`.
fn full_json(sim: &Sim, o: &SimOrder) -> Value {
    let fills = if o.executed.is_zero() {
        json!([])
    } else {
        let (commission, asset) = commission(sim, o.executed);
        json!([{
            "price": e8(dec(PRICE)),
            "qty": e8(o.executed),
            "commission": commission,
            "commissionAsset": asset,
            "tradeId": 56
        }])
    };
    json!({
        "symbol": o.symbol,
        "orderId": o.id,
        "orderListId": -1,
        "clientOrderId": o.client_id,
        "transactTime": 1704153600000i64,
        "price": e8(o.price),
        "origQty": e8(o.qty),
        "executedQty": e8(o.executed),
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": e8(o.quote),
        "status": o.status,
        "timeInForce": "GTC",
        "type": o.kind,
        "side": o.side,
        "workingTime": 1704153600000i64,
        "selfTradePreventionMode": "NONE",
        "fills": fills
    })
}

async fn order_endpoint(
    State(sim): State<Arc<Sim>>,
    method: axum::http::Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = verify(&sim, &headers, raw, &params) {
        return refused;
    }
    match method {
        axum::http::Method::POST => new_order(&sim, params),
        axum::http::Method::GET => query_order(&sim, &params),
        axum::http::Method::DELETE => cancel_order(&sim, &params),
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

fn new_order(sim: &Sim, params: HashMap<String, String>) -> Response {
    sim.posts.fetch_add(1, Ordering::SeqCst);
    *sim.last_order_params.lock().unwrap() = params.clone();
    let fault = sim.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::ErrorBeforeRecording) => {
            return (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
                .into_response();
        }
        Some(Fault::RateLimited(secs)) => {
            let mut response = binance_error(
                StatusCode::TOO_MANY_REQUESTS,
                -1003,
                "Too many requests; current limit is 6000 request weight per 1 MINUTE.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            return response;
        }
        _ => {}
    }
    assert_eq!(params["newOrderRespType"], "FULL");
    let qty = dec(&params["quantity"]);
    let kind = params["type"].clone();
    let price = if kind == "LIMIT" {
        assert_eq!(params["timeInForce"], "GTC");
        dec(&params["price"])
    } else {
        assert!(!params.contains_key("price"));
        Decimal::ZERO
    };
    let cost = qty * if kind == "LIMIT" { price } else { dec(PRICE) };
    if params["side"] == "BUY" && cost > dec(USDT_FREE) {
        return binance_error(
            StatusCode::BAD_REQUEST,
            -2010,
            "Account has insufficient balance for requested action.",
        );
    }
    let mut orders = sim.orders.lock().unwrap();
    if orders
        .iter()
        .any(|o| o.client_id == params["newClientOrderId"])
    {
        return binance_error(StatusCode::BAD_REQUEST, -2010, "Duplicate order sent.");
    }
    let market = kind == "MARKET";
    let order = SimOrder {
        id: 28 + orders.len() as i64,
        client_id: params["newClientOrderId"].clone(),
        symbol: params["symbol"].clone(),
        side: params["side"].clone(),
        kind,
        price,
        qty,
        executed: if market { qty } else { Decimal::ZERO },
        quote: if market { cost } else { Decimal::ZERO },
        status: if market { "FILLED" } else { "NEW" },
    };
    let body = full_json(sim, &order);
    orders.push(order);
    if matches!(fault, Some(Fault::ErrorAfterRecording)) {
        return binance_error(
            StatusCode::SERVICE_UNAVAILABLE,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        );
    }
    Json(body).into_response()
}

fn query_order(sim: &Sim, params: &HashMap<String, String>) -> Response {
    let orders = sim.orders.lock().unwrap();
    match orders
        .iter()
        .find(|o| o.client_id == params["origClientOrderId"] && o.symbol == params["symbol"])
    {
        Some(order) => Json(query_json(order)).into_response(),
        None => binance_error(StatusCode::BAD_REQUEST, -2013, "Order does not exist."),
    }
}

fn cancel_order(sim: &Sim, params: &HashMap<String, String>) -> Response {
    let mut orders = sim.orders.lock().unwrap();
    let Some(order) = orders.iter_mut().find(|o| {
        o.client_id == params["origClientOrderId"]
            && o.symbol == params["symbol"]
            && o.status == "NEW"
    }) else {
        return binance_error(StatusCode::BAD_REQUEST, -2011, "Unknown order sent.");
    };
    order.status = "CANCELED";
    Json(json!({
        "symbol": order.symbol,
        "origClientOrderId": order.client_id,
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": "cancelMyOrder1",
        "transactTime": 1704153700000i64,
        "price": e8(order.price),
        "origQty": e8(order.qty),
        "executedQty": e8(order.executed),
        "cummulativeQuoteQty": e8(order.quote),
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": order.kind,
        "side": order.side,
        "selfTradePreventionMode": "NONE"
    }))
    .into_response()
}

/// `GET /api/v3/myTrades?symbol=…&orderId=…`: the order's one trade.
async fn my_trades(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = verify(&sim, &headers, raw, &params) {
        return refused;
    }
    let orders = sim.orders.lock().unwrap();
    let trades: Vec<Value> = orders
        .iter()
        .filter(|o| o.id.to_string() == params["orderId"] && o.symbol == params["symbol"])
        .filter(|o| !o.executed.is_zero())
        .map(|o| {
            let (commission, asset) = commission(&sim, o.executed);
            json!({
                "symbol": o.symbol, "id": 56, "orderId": o.id, "orderListId": -1,
                "price": e8(dec(PRICE)), "qty": e8(o.executed), "quoteQty": e8(o.quote),
                "commission": commission, "commissionAsset": asset,
                "time": 1704153600000i64, "isBuyer": o.side == "BUY", "isMaker": false,
                "isBestMatch": true
            })
        })
        .collect();
    Json(trades).into_response()
}

/// `GET /api/v3/ticker/price?symbol=BNBUSDT` (public).
async fn ticker(Query(params): Query<HashMap<String, String>>) -> Response {
    match params.get("symbol").map(String::as_str) {
        Some("BNBUSDT") => Json(json!({"symbol": "BNBUSDT", "price": BNB_PRICE})).into_response(),
        _ => binance_error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol."),
    }
}

async fn account(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = verify(&sim, &headers, raw, &params) {
        return refused;
    }
    if sim.malformed_account.load(Ordering::SeqCst) {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"balances":[{"asset":"#,
        )
            .into_response();
    }
    Json(json!({
        "makerCommission": 15,
        "takerCommission": 15,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00150000",
            "taker": "0.00150000",
            "buyer": "0.00000000",
            "seller": "0.00000000"
        },
        "canTrade": true,
        "canWithdraw": true,
        "canDeposit": true,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": 123456789,
        "accountType": "SPOT",
        "balances": [
            { "asset": "BTC", "free": "0.50000000", "locked": "0.01000000" },
            { "asset": "ETH", "free": "0.00000000", "locked": "0.00000000" },
            { "asset": "USDT", "free": USDT_FREE, "locked": "250.50000000" }
        ],
        "permissions": ["SPOT"],
        "uid": 354937868
    }))
    .into_response()
}

async fn time(State(sim): State<Arc<Sim>>) -> Response {
    sim.time_calls.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "serverTime": sim.now_ms() })).into_response()
}

/// 1002 one-minute klines from 2024-01-02T00:00Z: two pages at limit 1000.
const KLINES: i64 = 1002;

fn t0_ms() -> i64 {
    Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0)
        .unwrap()
        .timestamp_millis()
}

async fn klines(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(params["symbol"], "BTCUSDT");
    assert_eq!(params["interval"], "1m");
    assert!(!params.contains_key("signature"), "klines are public");
    let from: i64 = params["startTime"].parse().unwrap();
    let to: i64 = params["endTime"].parse().unwrap();
    let limit: usize = params["limit"].parse().unwrap();
    sim.kline_queries.lock().unwrap().push(params);
    let rows: Vec<Value> = (0..KLINES)
        .map(|i| (i, t0_ms() + i * 60_000))
        .filter(|(_, open)| *open >= from && *open <= to)
        .take(limit)
        .map(|(i, open)| {
            json!([
                open,
                format!("{}.{:08}", 42000 + i, i),
                format!("{}.50000000", 42001 + i),
                format!("{}.25000000", 41999 + i),
                format!("{}.{:08}", 42000 + i, 99_999_999 - i),
                format!("{}.12345678", i),
                open + 59_999,
                "1234.56780000",
                100,
                "1.00000000",
                "42000.00000000",
                "0"
            ])
        })
        .collect();
    Json(rows).into_response()
}

async fn start() -> (Arc<Sim>, String) {
    let sim = Arc::new(Sim::default());
    let router = Router::new()
        .route(
            "/api/v3/order",
            get(order_endpoint)
                .post(order_endpoint)
                .delete(order_endpoint),
        )
        .route("/api/v3/account", get(account))
        .route("/api/v3/time", get(time))
        .route("/api/v3/klines", get(klines))
        .route("/api/v3/myTrades", get(my_trades))
        .route("/api/v3/ticker/price", get(ticker))
        .with_state(sim.clone());
    (sim, common::serve(router).await)
}

fn broker(url: &str) -> BinanceBroker {
    broker_with(url, SECRET, Timeouts::default())
}

fn broker_with(url: &str, secret: &str, timeouts: Timeouts) -> BinanceBroker {
    BinanceBroker::new(url, API_KEY, SecretString::from(secret), timeouts).expect("client")
}

fn request(id: &str, qty: &str, limit: Option<&str>) -> BrokerOrderRequest {
    BrokerOrderRequest {
        client_order_id: id.to_owned(),
        symbol: "BTCUSDT".to_owned(),
        side: Side::Buy,
        order_type: if limit.is_some() {
            OrderType::Limit
        } else {
            OrderType::Market
        },
        qty: dec(qty),
        limit_price: limit.map(dec),
    }
}

#[tokio::test]
async fn a_market_order_fills_with_the_average_price() {
    let (sim, url) = start().await;
    let order = broker(&url)
        .submit(&request("jarvis-mkt-1", "0.01", None))
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(order.broker_id, "28");
    assert_eq!(order.client_order_id, "jarvis-mkt-1");
    assert_eq!(order.symbol, "BTCUSDT");
    assert_eq!(order.qty, dec("0.01"));
    assert_eq!(order.filled_qty, dec("0.01"));
    // cummulativeQuoteQty 430.00120000 / executedQty 0.01000000.
    assert_eq!(order.avg_fill_price, Some(dec(PRICE)));
    let sent = sim.last_order_params.lock().unwrap().clone();
    assert_eq!(sent["side"], "BUY");
    assert_eq!(sent["type"], "MARKET");
    assert_eq!(sent["quantity"], "0.01");
    assert_eq!(sim.created(), 1);
}

#[tokio::test]
async fn commissions_are_valued_in_the_quote_asset() {
    let (sim, url) = start().await;
    let broker = broker(&url);
    // Paid in BTC, the asset bought: 0.00001 BTC at the fill's price.
    let order = broker
        .submit(&request("jarvis-fee-1", "0.01", None))
        .await
        .unwrap();
    assert_eq!(order.fees, Some(dec("0.43000120")));
    // A query lists no fills: the order's trades are read, here paid in BNB
    // and valued at BNB's ticker price (0.0001 × 312.5).
    sim.pays_in_bnb.store(true, Ordering::SeqCst);
    let queried = broker.order("jarvis-fee-1").await.unwrap().unwrap();
    assert_eq!(queried.fees, Some(dec("0.03125")));
    // An order with no fill has no fees to read.
    let resting = broker
        .submit(&request("jarvis-fee-2", "0.01", Some("30000")))
        .await
        .unwrap();
    assert_eq!(resting.fees, None);
}

#[tokio::test]
async fn a_limit_order_is_accepted_then_cancelled() {
    let (sim, url) = start().await;
    let binance = broker(&url);
    let placed = binance
        .submit(&request("jarvis-lmt-1", "0.02", Some("42000.5")))
        .await
        .unwrap();
    assert_eq!(placed.state, OrderState::Accepted);
    assert_eq!(placed.avg_fill_price, None);
    let sent = sim.last_order_params.lock().unwrap().clone();
    assert_eq!(sent["type"], "LIMIT");
    assert_eq!(sent["price"], "42000.5");

    let cancelled = binance.cancel("jarvis-lmt-1").await.unwrap();
    assert_eq!(cancelled.state, OrderState::Cancelled);
    assert_eq!(
        cancelled.client_order_id, "jarvis-lmt-1",
        "origClientOrderId, not the cancel's id"
    );
    assert_eq!(cancelled.broker_id, placed.broker_id);
    let read = binance.order("jarvis-lmt-1").await.unwrap().unwrap();
    assert_eq!(read.state, OrderState::Cancelled);

    // Cancelling a filled order reports the fill; an unknown one is NotFound.
    binance
        .submit(&request("jarvis-mkt-2", "0.001", None))
        .await
        .unwrap();
    assert_eq!(
        binance.cancel("jarvis-mkt-2").await.unwrap().state,
        OrderState::Filled
    );
    assert!(matches!(
        binance.cancel_in("BTCUSDT", "never-sent").await,
        Err(BrokerError::NotFound { .. })
    ));
}

#[tokio::test]
async fn orders_from_elsewhere_need_their_symbol() {
    let (_sim, url) = start().await;
    broker(&url)
        .submit(&request("jarvis-old-1", "0.001", None))
        .await
        .unwrap();
    // A fresh adapter (a restart) has not seen the order's symbol.
    let fresh = broker(&url);
    assert!(matches!(
        fresh.order("jarvis-old-1").await,
        Err(BrokerError::Unknown { .. })
    ));
    assert_eq!(fresh.order_in("BTCUSDT", "nope").await.unwrap(), None);
    fresh.remember_symbol("jarvis-old-1", "BTCUSDT");
    let found = fresh.order("jarvis-old-1").await.unwrap().unwrap();
    assert_eq!(found.state, OrderState::Filled);
}

#[tokio::test]
async fn insufficient_balance_is_rejected_with_the_reason() {
    let (sim, url) = start().await;
    let err = broker(&url)
        .submit(&request("jarvis-big-1", "1", None))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::Rejected {
            broker: "binance",
            reason: "Account has insufficient balance for requested action.".into()
        }
    );
    assert_eq!(sim.created(), 0);
}

#[tokio::test]
async fn a_clock_error_fetches_the_exchange_time_and_retries_once() {
    let (sim, url) = start().await;
    sim.skew_ms.store(60_000, Ordering::SeqCst);
    let binance = broker(&url);
    let order = binance
        .submit(&request("jarvis-clk-1", "0.01", None))
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(sim.clock_rejections.load(Ordering::SeqCst), 1);
    assert_eq!(sim.time_calls.load(Ordering::SeqCst), 1);
    assert_eq!(sim.created(), 1);
    let offset = binance.clock_offset_ms();
    assert!((59_000..=61_000).contains(&offset), "{offset}");
    // The offset is kept: later requests pass first time.
    binance.account().await.unwrap();
    assert_eq!(sim.clock_rejections.load(Ordering::SeqCst), 1);
    assert_eq!(sim.time_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn too_many_requests_reports_retry_after() {
    let (sim, url) = start().await;
    sim.faults.lock().unwrap().push_back(Fault::RateLimited(12));
    let err = broker(&url)
        .submit(&request("jarvis-rl-1", "0.01", None))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::RateLimited {
            broker: "binance",
            retry_after_secs: 12
        }
    );
}

#[tokio::test]
async fn a_5xx_after_the_order_was_recorded_is_reconciled_not_repeated() {
    let (sim, url) = start().await;
    sim.faults
        .lock()
        .unwrap()
        .push_back(Fault::ErrorAfterRecording);
    let order = submit_reconciled(&broker(&url), &request("jarvis-rec-1", "0.01", None))
        .await
        .unwrap();
    assert_eq!(order.client_order_id, "jarvis-rec-1");
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(sim.posts.load(Ordering::SeqCst), 1, "never sent twice");
    assert_eq!(sim.created(), 1);
}

#[tokio::test]
async fn a_5xx_before_the_order_was_recorded_is_resubmitted_once() {
    let (sim, url) = start().await;
    sim.faults
        .lock()
        .unwrap()
        .push_back(Fault::ErrorBeforeRecording);
    let order = submit_reconciled(&broker(&url), &request("jarvis-rec-2", "0.01", None))
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(sim.posts.load(Ordering::SeqCst), 2);
    assert_eq!(sim.created(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_unknown() {
    let url = common::silent().await;
    let binance = broker_with(&url, SECRET, common::quick());
    let started = Instant::now();
    let err = binance
        .submit(&request("jarvis-hang-1", "0.01", None))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, BrokerError::Unknown { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let (sim, url) = start().await;
    sim.malformed_account.store(true, Ordering::SeqCst);
    let err = broker(&url).account().await.unwrap_err();
    assert!(matches!(err, BrokerError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn a_wrong_secret_fails_the_signature_check_as_auth() {
    let (sim, url) = start().await;
    let wrong = "wrong-binance-secret-456";
    let binance = broker_with(&url, wrong, Timeouts::default());
    let err = binance
        .submit(&request("jarvis-auth-1", "0.01", None))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::Auth {
            broker: "binance",
            reason: "Signature for this request is not valid.".into()
        }
    );
    let shown = format!("{err} {err:?} {binance:?} {:?}", broker(&url));
    assert!(
        !shown.contains(wrong) && !shown.contains(SECRET) && !shown.contains(API_KEY),
        "{shown}"
    );
    assert_eq!(sim.created(), 0);
}

#[tokio::test]
async fn account_and_positions_come_from_balances() {
    let (_sim, url) = start().await;
    let binance = broker(&url);
    let account = binance.account().await.unwrap();
    assert_eq!(account.cash, dec("1000"));
    assert_eq!(account.buying_power, dec("1000"));
    assert_eq!(account.equity, dec("1250.5"));
    assert_eq!(account.currency, "USDT");
    let positions = binance.positions().await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].symbol, "BTCUSDT");
    assert_eq!(positions[0].qty, dec("0.51"));
    assert_eq!(positions[0].avg_price, Decimal::ZERO);
}

#[tokio::test]
async fn klines_page_by_time_and_stay_exact() {
    let (sim, url) = start().await;
    let start = Utc.timestamp_millis_opt(t0_ms()).unwrap();
    let end = start + chrono::Duration::minutes(KLINES);
    let bars = broker(&url)
        .bars("BTCUSDT", Timeframe::Minute, start, end)
        .await
        .unwrap();
    assert_eq!(bars.len(), KLINES as usize);
    assert_eq!(
        bars[0].ts,
        Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap()
    );
    assert_eq!(bars[0].open, dec("42000.00000000"));
    assert_eq!(bars[0].high, dec("42001.5"));
    assert_eq!(bars[0].low, dec("41999.25"));
    assert_eq!(bars[0].close, dec("42000.99999999"));
    assert_eq!(bars[0].volume, dec("0.12345678"));
    let last = &bars[1001];
    assert_eq!(
        last.ts,
        Utc.with_ymd_and_hms(2024, 1, 2, 16, 41, 0).unwrap()
    );
    assert_eq!(last.open, dec("43001.00001001"));
    assert_eq!(last.close, dec("43001.99998998"));
    assert!(
        bars.windows(2).all(|w| w[0].ts < w[1].ts),
        "oldest first, no repeats"
    );

    let queries = sim.kline_queries.lock().unwrap();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0]["limit"], "1000");
    assert_eq!(queries[0]["startTime"], t0_ms().to_string());
    assert_eq!(
        queries[0]["endTime"],
        (end.timestamp_millis() - 1).to_string()
    );
    assert_eq!(
        queries[1]["startTime"],
        (t0_ms() + 999 * 60_000 + 1).to_string()
    );
}
