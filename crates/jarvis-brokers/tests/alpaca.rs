//! The Alpaca adapter against a loopback server speaking Alpaca's Trading
//! API v2 and Market Data v2 wire formats.

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{TimeZone, Utc};
use common::alpaca_wire::{NewOrder, alpaca_error, order_json};
use common::dec;
use jarvis_brokers::{AlpacaBroker, Timeouts};
use jarvis_trading::broker::{
    Broker, BrokerError, BrokerOrderRequest, MarketData, Timeframe, submit_reconciled,
};
use jarvis_trading::orders::{OrderState, OrderType, Side};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY_ID: &str = "PKTESTKEY0000000001";
const SECRET: &str = "alpaca-test-secret-never-printed";
/// Where the simulated market fills AAPL.
const PRICE: &str = "187.42";
const BUYING_POWER: &str = "10000";

/// What the next `POST /v2/orders` does instead of its normal job.
#[derive(Clone, Copy)]
enum Fault {
    /// Records the order, then answers 500.
    ErrorAfterRecording,
    /// Answers 503 without recording anything.
    ErrorBeforeRecording,
    /// 429 with this Retry-After.
    RateLimited(u64),
}

#[derive(Default)]
struct Sim {
    orders: Mutex<Vec<Value>>,
    posts: AtomicUsize,
    faults: Mutex<VecDeque<Fault>>,
    malformed_account: AtomicBool,
    bar_queries: Mutex<Vec<HashMap<String, String>>>,
}

impl Sim {
    fn created(&self) -> usize {
        self.orders.lock().unwrap().len()
    }
}

fn authorised(headers: &HeaderMap) -> Option<Response> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if get("APCA-API-KEY-ID") == Some(KEY_ID) && get("APCA-API-SECRET-KEY") == Some(SECRET) {
        None
    } else {
        Some(alpaca_error(
            StatusCode::UNAUTHORIZED,
            40110000,
            "request is not authorized",
        ))
    }
}

async fn post_order(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(new): Json<NewOrder>,
) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    sim.posts.fetch_add(1, Ordering::SeqCst);
    let fault = sim.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::ErrorBeforeRecording) => {
            return alpaca_error(
                StatusCode::SERVICE_UNAVAILABLE,
                50310000,
                "service unavailable",
            );
        }
        Some(Fault::RateLimited(secs)) => {
            let mut response = alpaca_error(
                StatusCode::TOO_MANY_REQUESTS,
                42910000,
                "rate limit exceeded",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            return response;
        }
        _ => {}
    }
    assert_eq!(new.time_in_force, "day");
    let qty: Decimal = new.qty.parse().expect("qty is a decimal string");
    let price = match new.order_type.as_str() {
        "market" => dec(PRICE),
        "limit" => new
            .limit_price
            .as_deref()
            .expect("limit_price")
            .parse()
            .unwrap(),
        other => panic!("unexpected order type {other}"),
    };
    if new.side == "buy" && qty * price > dec(BUYING_POWER) {
        return alpaca_error(StatusCode::FORBIDDEN, 40310000, "insufficient buying power");
    }
    let mut orders = sim.orders.lock().unwrap();
    if orders
        .iter()
        .any(|o| o["client_order_id"] == new.client_order_id.as_str())
    {
        return alpaca_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010001,
            "client_order_id must be unique",
        );
    }
    let id = format!("61e69015-8549-4bfd-b9c3-{:012}", orders.len() + 1);
    let order = if new.order_type == "market" {
        order_json(&id, &new, "filled", &new.qty, Some(PRICE))
    } else {
        order_json(&id, &new, "accepted", "0", None)
    };
    orders.push(order.clone());
    drop(orders);
    if matches!(fault, Some(Fault::ErrorAfterRecording)) {
        return alpaca_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            50010000,
            "internal server error occurred",
        );
    }
    Json(order).into_response()
}

async fn by_client_order_id(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    let wanted = query.get("client_order_id").expect("client_order_id");
    let orders = sim.orders.lock().unwrap();
    match orders
        .iter()
        .find(|o| o["client_order_id"] == wanted.as_str())
    {
        Some(order) => Json(order.clone()).into_response(),
        None => alpaca_error(StatusCode::NOT_FOUND, 40410000, "order not found"),
    }
}

async fn cancel_order(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    let mut orders = sim.orders.lock().unwrap();
    let Some(order) = orders.iter_mut().find(|o| o["id"] == id.as_str()) else {
        return alpaca_error(StatusCode::NOT_FOUND, 40410000, "order not found");
    };
    if order["status"] == "filled" || order["status"] == "canceled" {
        return alpaca_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "order is not cancelable",
        );
    }
    order["status"] = json!("canceled");
    order["canceled_at"] = json!("2024-01-02T14:35:00.000000Z");
    StatusCode::NO_CONTENT.into_response()
}

async fn account(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    if sim.malformed_account.load(Ordering::SeqCst) {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"cash": "1000.5", "equity": "#,
        )
            .into_response();
    }
    Json(json!({
        "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98",
        "account_number": "PA3717PJAYWN",
        "status": "ACTIVE",
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": BUYING_POWER,
        "regt_buying_power": "10000",
        "daytrading_buying_power": "0",
        "non_marginable_buying_power": "5000.25",
        "cash": "5000.25",
        "accrued_fees": "0",
        "portfolio_value": "10123.75",
        "pattern_day_trader": false,
        "trading_blocked": false,
        "transfers_blocked": false,
        "account_blocked": false,
        "created_at": "2024-01-01T00:00:00.000000Z",
        "shorting_enabled": true,
        "long_market_value": "5123.5",
        "short_market_value": "0",
        "equity": "10123.75",
        "last_equity": "10000",
        "multiplier": "2",
        "initial_margin": "2561.75",
        "maintenance_margin": "1537.05",
        "sma": "0",
        "daytrade_count": 0
    }))
    .into_response()
}

async fn positions(headers: HeaderMap) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    let position = |symbol: &str, qty: &str, avg: &str, side: &str| {
        json!({
            "asset_id": "904837e3-3b76-47ec-b432-046db621571b",
            "symbol": symbol,
            "exchange": "NASDAQ",
            "asset_class": "us_equity",
            "asset_marginable": true,
            "avg_entry_price": avg,
            "qty": qty,
            "qty_available": qty,
            "side": side,
            "market_value": "0",
            "cost_basis": "0",
            "unrealized_pl": "0",
            "unrealized_plpc": "0",
            "unrealized_intraday_pl": "0",
            "unrealized_intraday_plpc": "0",
            "current_price": "0",
            "lastday_price": "0",
            "change_today": "0"
        })
    };
    Json(json!([
        position("AAPL", "10", "187.123", "long"),
        position("TSLA", "-3", "240.5", "short"),
    ]))
    .into_response()
}

const PAGE_TWO: &str = "QUFQTHxNfDIwMjQtMDEtMDJUMTQ6MzE6MDAuMDAwMDAwMDAwWg==";

async fn bars(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(symbol): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = authorised(&headers) {
        return refused;
    }
    assert_eq!(symbol, "AAPL");
    let page_two = query.get("page_token").map(String::as_str) == Some(PAGE_TWO);
    sim.bar_queries.lock().unwrap().push(query);
    // Written out by hand: numbers exactly as Alpaca sends them, one with
    // more digits than an f64 can hold.
    let body = if page_two {
        r#"{"bars":[{"t":"2024-01-02T14:32:00Z","o":187.5,"h":187.77,"l":187.41,"c":187.7,"v":81234,"n":990,"vw":187.6}],"symbol":"AAPL","next_page_token":null}"#
    } else {
        r#"{"bars":[{"t":"2024-01-02T14:30:00Z","o":187.15,"h":187.5,"l":186.9,"c":187.42,"v":120034,"n":1520,"vw":187.2211},{"t":"2024-01-02T14:31:00Z","o":187.42,"h":187.6,"l":187.3,"c":187.4512345678901234,"v":98001,"n":1203,"vw":187.4}],"symbol":"AAPL","next_page_token":"QUFQTHxNfDIwMjQtMDEtMDJUMTQ6MzE6MDAuMDAwMDAwMDAwWg=="}"#
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn start() -> (Arc<Sim>, String) {
    let sim = Arc::new(Sim::default());
    let router = Router::new()
        .route("/v2/orders", post(post_order))
        .route("/v2/orders:by_client_order_id", get(by_client_order_id))
        .route("/v2/orders/{id}", delete(cancel_order))
        .route("/v2/account", get(account))
        .route("/v2/positions", get(positions))
        .route("/v2/stocks/{symbol}/bars", get(bars))
        .with_state(sim.clone());
    (sim, common::serve(router).await)
}

fn broker(url: &str) -> AlpacaBroker {
    broker_with(url, SECRET, Timeouts::default())
}

fn broker_with(url: &str, secret: &str, timeouts: Timeouts) -> AlpacaBroker {
    AlpacaBroker::new(url, url, KEY_ID, SecretString::from(secret), timeouts).expect("client")
}

fn request(id: &str, qty: &str, limit: Option<&str>) -> BrokerOrderRequest {
    BrokerOrderRequest {
        client_order_id: id.to_owned(),
        symbol: "AAPL".to_owned(),
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
async fn a_market_order_fills() {
    let (sim, url) = start().await;
    let order = broker(&url)
        .submit(&request("jarvis-mkt-1", "10", None))
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(order.client_order_id, "jarvis-mkt-1");
    assert_eq!(order.broker_id, "61e69015-8549-4bfd-b9c3-000000000001");
    assert_eq!(order.side, Side::Buy);
    assert_eq!(order.qty, dec("10"));
    assert_eq!(order.filled_qty, dec("10"));
    assert_eq!(order.avg_fill_price, Some(dec(PRICE)));
    assert_eq!(sim.created(), 1);
}

#[tokio::test]
async fn a_limit_order_is_accepted_then_cancelled() {
    let (sim, url) = start().await;
    let alpaca = broker(&url);
    let placed = alpaca
        .submit(&request("jarvis-lmt-1", "5", Some("150.25")))
        .await
        .unwrap();
    assert_eq!(placed.state, OrderState::Accepted);
    assert_eq!(placed.filled_qty, Decimal::ZERO);
    assert_eq!(placed.avg_fill_price, None);
    assert_eq!(sim.orders.lock().unwrap()[0]["limit_price"], "150.25");

    let cancelled = alpaca.cancel("jarvis-lmt-1").await.unwrap();
    assert_eq!(cancelled.state, OrderState::Cancelled);
    assert_eq!(cancelled.broker_id, placed.broker_id);
    let read = alpaca.order("jarvis-lmt-1").await.unwrap().unwrap();
    assert_eq!(read.state, OrderState::Cancelled);

    // A filled order cannot be cancelled: the answer says what it is instead.
    alpaca
        .submit(&request("jarvis-mkt-2", "1", None))
        .await
        .unwrap();
    let filled = alpaca.cancel("jarvis-mkt-2").await.unwrap();
    assert_eq!(filled.state, OrderState::Filled);
    assert!(matches!(
        alpaca.cancel("never-sent").await,
        Err(BrokerError::NotFound { client_order_id, .. }) if client_order_id == "never-sent"
    ));
}

#[tokio::test]
async fn insufficient_buying_power_is_rejected_with_the_reason() {
    let (sim, url) = start().await;
    let err = broker(&url)
        .submit(&request("jarvis-big-1", "1000", None))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::Rejected {
            broker: "alpaca",
            reason: "insufficient buying power".into()
        }
    );
    assert!(err.to_string().contains("insufficient buying power"));
    assert_eq!(sim.created(), 0);
}

#[tokio::test]
async fn too_many_requests_reports_retry_after() {
    let (sim, url) = start().await;
    sim.faults.lock().unwrap().push_back(Fault::RateLimited(7));
    let err = broker(&url)
        .submit(&request("jarvis-rl-1", "1", None))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::RateLimited {
            broker: "alpaca",
            retry_after_secs: 7
        }
    );
    assert_eq!(sim.created(), 0);
}

#[tokio::test]
async fn a_5xx_after_the_order_was_recorded_is_reconciled_not_repeated() {
    let (sim, url) = start().await;
    sim.faults
        .lock()
        .unwrap()
        .push_back(Fault::ErrorAfterRecording);
    let order = submit_reconciled(&broker(&url), &request("jarvis-rec-1", "2", None))
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
    let alpaca = broker(&url);
    let first = alpaca.submit(&request("jarvis-rec-2", "2", None)).await;
    assert!(
        matches!(first, Err(BrokerError::Unknown { .. })),
        "{first:?}"
    );
    assert_eq!(alpaca.order("jarvis-rec-2").await.unwrap(), None);

    sim.faults
        .lock()
        .unwrap()
        .push_back(Fault::ErrorBeforeRecording);
    let order = submit_reconciled(&alpaca, &request("jarvis-rec-3", "2", None))
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!(sim.posts.load(Ordering::SeqCst), 3);
    assert_eq!(sim.created(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_unknown() {
    let url = common::silent().await;
    let alpaca = broker_with(&url, SECRET, common::quick());
    let started = Instant::now();
    let err = alpaca
        .submit(&request("jarvis-hang-1", "1", None))
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
async fn a_refused_connection_is_unreachable() {
    let url = common::refused().await;
    let err = broker_with(&url, SECRET, common::quick())
        .account()
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_bare_404_is_not_taken_for_order_not_found() {
    let (_sim, url) = start().await;
    let misconfigured = broker(&format!("{url}/wrong-prefix"));
    let err = misconfigured.order("jarvis-x").await.unwrap_err();
    assert!(matches!(err, BrokerError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let (sim, url) = start().await;
    sim.malformed_account.store(true, Ordering::SeqCst);
    let err = broker(&url).account().await.unwrap_err();
    assert!(matches!(err, BrokerError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn wrong_keys_are_an_auth_error_and_secrets_stay_hidden() {
    let (_sim, url) = start().await;
    let wrong = "wrong-secret-value-123";
    let alpaca = broker_with(&url, wrong, Timeouts::default());
    let err = alpaca.account().await.unwrap_err();
    assert!(matches!(err, BrokerError::Auth { .. }), "{err:?}");
    let shown = format!("{err} {err:?} {alpaca:?}");
    assert!(!shown.contains(wrong) && !shown.contains(KEY_ID), "{shown}");
    assert!(!format!("{:?}", broker(&url)).contains(SECRET));
}

#[tokio::test]
async fn account_and_positions_are_exact() {
    let (_sim, url) = start().await;
    let alpaca = broker(&url);
    let account = alpaca.account().await.unwrap();
    assert_eq!(account.cash, dec("5000.25"));
    assert_eq!(account.equity, dec("10123.75"));
    assert_eq!(account.buying_power, dec("10000"));
    assert_eq!(account.currency, "USD");
    let positions = alpaca.positions().await.unwrap();
    assert_eq!(positions.len(), 2);
    assert_eq!(positions[0].symbol, "AAPL");
    assert_eq!(positions[0].qty, dec("10"));
    assert_eq!(positions[0].avg_price, dec("187.123"));
    assert_eq!(positions[1].qty, dec("-3"), "shorts are negative");
}

#[tokio::test]
async fn bars_follow_the_page_token_and_stay_exact() {
    let (sim, url) = start().await;
    let start = Utc.with_ymd_and_hms(2024, 1, 2, 14, 30, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2024, 1, 2, 15, 0, 0).unwrap();
    let bars = broker(&url)
        .bars("AAPL", Timeframe::Minute, start, end)
        .await
        .unwrap();
    assert_eq!(bars.len(), 3);
    assert_eq!(bars[0].ts, start);
    assert_eq!(bars[0].open, dec("187.15"));
    assert_eq!(bars[0].high, dec("187.5"));
    assert_eq!(bars[0].low, dec("186.9"));
    assert_eq!(bars[0].close, dec("187.42"));
    assert_eq!(bars[0].volume, dec("120034"));
    assert_eq!(bars[1].close.to_string(), "187.4512345678901234");
    assert_eq!(
        bars[2].ts,
        Utc.with_ymd_and_hms(2024, 1, 2, 14, 32, 0).unwrap()
    );
    assert_eq!(bars[2].high, dec("187.77"));

    let queries = sim.bar_queries.lock().unwrap();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0]["timeframe"], "1Min");
    assert_eq!(queries[0]["start"], "2024-01-02T14:30:00Z");
    assert_eq!(queries[0]["end"], "2024-01-02T15:00:00Z");
    assert_eq!(queries[0]["limit"], "10000");
    assert!(!queries[0].contains_key("page_token"));
    assert_eq!(queries[1]["page_token"], PAGE_TWO);
}
