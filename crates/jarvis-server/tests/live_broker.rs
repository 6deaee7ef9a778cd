//! Trading through a real broker, end to end over the API: a loopback
//! server speaking Alpaca's Trading API v2 wire format (orders, account,
//! positions, clock, bars) stands in for Alpaca. The keys go to the real
//! keychain; orders go through validation, risk and the audit chain here,
//! execution and settlement there.

#[path = "../../jarvis-brokers/tests/common/alpaca_wire.rs"]
mod alpaca_wire;
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alpaca_wire::{NewOrder, alpaca_error, order_json};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use common::api;
use serde::Deserialize;
use serde_json::{Value, json};

const KEY_ID: &str = "PKLIVETEST00000042";
const SECRET: &str = "live-broker-secret-must-not-leak";
const PRICE: &str = "190.12";

#[derive(Default)]
struct Alpaca {
    orders: Mutex<Vec<Value>>,
    /// POSTs seen, rejected or not.
    posts: AtomicUsize,
    cancels: AtomicUsize,
    market_closed: AtomicBool,
    /// Market orders fill at once unless this is set (then they rest).
    hold_orders: AtomicBool,
    /// Answer POST /v2/orders with 503 without recording the order.
    fail_posts: AtomicBool,
}

impl Alpaca {
    fn orders_for(&self, client_order_id: &str) -> usize {
        let orders = self.orders.lock().unwrap();
        orders
            .iter()
            .filter(|o| o["client_order_id"] == client_order_id)
            .count()
    }

    /// Fills every resting order, as the market would.
    fn fill_all(&self) {
        for order in self.orders.lock().unwrap().iter_mut() {
            if order["status"] == "new" {
                order["status"] = json!("filled");
                order["filled_qty"] = order["qty"].clone();
                order["filled_avg_price"] = order["limit_price"].clone();
            }
        }
    }
}

fn refused(headers: &HeaderMap) -> Option<Response> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    (get("APCA-API-KEY-ID") != Some(KEY_ID) || get("APCA-API-SECRET-KEY") != Some(SECRET))
        .then(|| alpaca_error(StatusCode::FORBIDDEN, 40310000, "forbidden"))
}

async fn post_order(
    State(sim): State<Arc<Alpaca>>,
    headers: HeaderMap,
    Json(new): Json<NewOrder>,
) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    sim.posts.fetch_add(1, Ordering::SeqCst);
    if sim.fail_posts.load(Ordering::SeqCst) {
        return alpaca_error(
            StatusCode::SERVICE_UNAVAILABLE,
            50300000,
            "service unavailable",
        );
    }
    if sim.orders_for(&new.client_order_id) > 0 {
        return alpaca_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010001,
            "client_order_id must be unique",
        );
    }
    let fills_now = new.order_type == "market" && !sim.hold_orders.load(Ordering::SeqCst);
    let n = sim.orders.lock().unwrap().len();
    let id = format!("61e69015-8549-4bfd-b9c3-01e75843f4{n:02}");
    let order = match fills_now {
        true => order_json(&id, &new, "filled", &new.qty, Some(PRICE)),
        false => order_json(&id, &new, "new", "0", None),
    };
    sim.orders.lock().unwrap().push(order.clone());
    Json(order).into_response()
}

#[derive(Deserialize)]
struct ByClientId {
    client_order_id: String,
}

async fn by_client_order_id(
    State(sim): State<Arc<Alpaca>>,
    headers: HeaderMap,
    Query(q): Query<ByClientId>,
) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    let orders = sim.orders.lock().unwrap();
    match orders
        .iter()
        .find(|o| o["client_order_id"] == q.client_order_id)
    {
        Some(o) => Json(o.clone()).into_response(),
        None => alpaca_error(StatusCode::NOT_FOUND, 40410000, "order not found"),
    }
}

async fn cancel(
    State(sim): State<Arc<Alpaca>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    sim.cancels.fetch_add(1, Ordering::SeqCst);
    let mut orders = sim.orders.lock().unwrap();
    match orders.iter_mut().find(|o| o["id"] == id.as_str()) {
        Some(o) if o["status"] == "new" => {
            o["status"] = json!("canceled");
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => alpaca_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "order is not cancelable",
        ),
        None => alpaca_error(StatusCode::NOT_FOUND, 40410000, "order not found"),
    }
}

async fn account(headers: HeaderMap) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    Json(json!({
        "id": "904837e3-3b76-47ec-b432-046db621571b",
        "account_number": "PA3TESTING",
        "status": "ACTIVE",
        "currency": "USD",
        "cash": "50000.25",
        "equity": "51901.45",
        "buying_power": "100000.50",
        "last_equity": "51000",
        "pattern_day_trader": false,
        "trading_blocked": false
    }))
    .into_response()
}

async fn positions(headers: HeaderMap) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    Json(json!([{
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "symbol": "AAPL",
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "avg_entry_price": "180.00",
        "qty": "10",
        "side": "long",
        "market_value": "1901.20",
        "cost_basis": "1800.00",
        "unrealized_pl": "101.20",
        "current_price": PRICE
    }]))
    .into_response()
}

async fn clock(State(sim): State<Arc<Alpaca>>, headers: HeaderMap) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    let open = !sim.market_closed.load(Ordering::SeqCst);
    Json(json!({
        "timestamp": "2026-11-25T10:30:00.000-05:00",
        "is_open": open,
        "next_open": "2026-11-27T09:30:00-05:00",
        "next_close": "2026-11-25T16:00:00-05:00"
    }))
    .into_response()
}

async fn bars(headers: HeaderMap, Path(symbol): Path<String>) -> Response {
    if let Some(r) = refused(&headers) {
        return r;
    }
    let t = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:00:00Z");
    Json(json!({
        "bars": [{"t": t.to_string(), "o": 189.5, "h": 190.5, "l": 189.0, "c": 190.12, "v": 120000, "n": 900, "vw": 190.01}],
        "symbol": symbol,
        "next_page_token": null
    }))
    .into_response()
}

async fn start_alpaca() -> (Arc<Alpaca>, String) {
    let sim = Arc::new(Alpaca::default());
    let router = Router::new()
        .route("/v2/orders", post(post_order))
        .route("/v2/orders:by_client_order_id", get(by_client_order_id))
        .route("/v2/orders/{id}", delete(cancel))
        .route("/v2/account", get(account))
        .route("/v2/positions", get(positions))
        .route("/v2/clock", get(clock))
        .route("/v2/stocks/{symbol}/bars", get(bars))
        .with_state(sim.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (sim, url)
}

fn order(symbol: &str, qty: &str, limit: Option<&str>) -> Value {
    match limit {
        Some(p) => {
            json!({"symbol": symbol, "side": "buy", "qty": qty, "type": "limit", "limit_price": p})
        }
        None => json!({"symbol": symbol, "side": "buy", "qty": qty, "type": "market"}),
    }
}

async fn select_alpaca(api: &common::Api, url: &str) -> Value {
    let (status, settings) = api
        .json(
            "PUT",
            "/api/v1/trading/broker",
            json!({"kind": "alpaca", "base_url": url, "data_url": url, "key_id": KEY_ID, "secret": SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    settings
}

#[tokio::test]
async fn wrong_keys_are_refused_and_nothing_changes() {
    let api = api().await;
    let (_sim, url) = start_alpaca().await;
    let (status, problem) = api
        .json(
            "PUT",
            "/api/v1/trading/broker",
            json!({"kind": "alpaca", "base_url": url, "data_url": url, "key_id": KEY_ID, "secret": "wrong-secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "secret");
    assert!(problem["message"].as_str().unwrap().contains("forbidden"));
    let (_, settings) = api.get("/api/v1/trading/broker").await;
    assert_eq!(settings["kind"], "paper");

    // A key id without its secret, and plain http to another machine.
    let (status, problem) = api
        .json(
            "PUT",
            "/api/v1/trading/broker",
            json!({"kind": "alpaca", "key_id": KEY_ID}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("secret"))
    );
    let (status, problem) = api
        .json(
            "PUT",
            "/api/v1/trading/broker",
            json!({"kind": "alpaca", "base_url": "http://example.com", "key_id": KEY_ID, "secret": SECRET}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("base_url"))
    );
    let (status, problem) = api
        .json("PUT", "/api/v1/trading/broker", json!({"kind": "etrade"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

#[tokio::test]
async fn orders_go_to_alpaca_through_the_checks_and_the_audit_chain() {
    let api = api().await;
    let (sim, url) = start_alpaca().await;
    let settings = select_alpaca(&api, &url).await;
    assert_eq!(settings["kind"], "alpaca");
    assert_eq!(settings["key_hint"], "0042");
    assert_eq!(settings["connected"], true);
    assert!(!settings.to_string().contains(SECRET));

    // The account and positions are Alpaca's, to the cent.
    let (_, account) = api.get("/api/v1/account").await;
    assert_eq!(account["broker"], "alpaca");
    assert_eq!(account["cash"], "50000.25");
    assert_eq!(account["equity"], "51901.45");
    assert_eq!(account["buying_power"], "100000.50");
    let (_, positions) = api.get("/api/v1/positions").await;
    assert_eq!(positions[0]["symbol"], "AAPL");
    assert_eq!(positions[0]["qty"], "10");
    assert_eq!(positions[0]["avg_price"], "180.00");

    // A market order: no quote here yet, so the price for the risk check
    // comes from Alpaca's bars; Alpaca fills it.
    let (status, placed) = api
        .json("POST", "/api/v1/orders", order("AAPL", "5", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["venue"], "alpaca");
    assert_eq!(placed["state"], "filled");
    assert_eq!(placed["filled_qty"], "5");
    assert_eq!(placed["avg_fill_price"], PRICE);
    assert!(placed["broker_order_id"].as_str().is_some());
    assert_eq!(
        sim.orders_for(placed["client_order_id"].as_str().unwrap()),
        1
    );
    let (_, fills) = api.get("/api/v1/fills").await;
    assert_eq!(
        (fills[0]["qty"].as_str(), fills[0]["price"].as_str()),
        (Some("5"), Some(PRICE))
    );

    // Alpaca trades stocks here: a crypto pair is refused before sending.
    let posts = sim.posts.load(Ordering::SeqCst);
    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/orders",
            order("BTCUSDT", "1", Some("50000")),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("symbol"))
    );
    // Risk still applies: Alpaca's buying power is the limit here.
    let (status, problem) = api
        .json("POST", "/api/v1/orders", order("AAPL", "9000", Some("190")))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "risk_rejected");
    assert_eq!(
        sim.posts.load(Ordering::SeqCst),
        posts,
        "refused orders never reach the broker"
    );

    // Market closed: a market order is refused naming the type; a limit
    // order is sent and rests; when Alpaca fills it, the sync records it.
    sim.market_closed.store(true, Ordering::SeqCst);
    let (status, problem) = api
        .json("POST", "/api/v1/orders", order("AAPL", "1", None))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("type")),
        "{problem}"
    );
    assert!(problem["message"].as_str().unwrap().contains("closed"));
    let (status, resting) = api
        .json("POST", "/api/v1/orders", order("AAPL", "2", Some("185.5")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resting}");
    assert_eq!(resting["state"], "accepted");
    sim.fill_all();
    api.profile.app.trading.sync_live().await.unwrap();
    let (_, orders) = api.get("/api/v1/orders").await;
    let synced = orders
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == resting["id"])
        .unwrap();
    assert_eq!(
        (synced["state"].as_str(), synced["avg_fill_price"].as_str()),
        (Some("filled"), Some("185.5"))
    );

    // The kill switch cancels what is open at Alpaca, at Alpaca.
    let (_, waiting) = api
        .json("POST", "/api/v1/orders", order("AAPL", "3", Some("150")))
        .await;
    assert_eq!(waiting["state"], "accepted");
    let (status, account) = api
        .json("POST", "/api/v1/risk/kill-switch", json!({"engaged": true}))
        .await;
    assert_eq!(
        (status, account["kill_switch"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(sim.cancels.load(Ordering::SeqCst), 1);
    let (_, orders) = api.get("/api/v1/orders").await;
    let cancelled = orders
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == waiting["id"])
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled");

    // Every step is on the chain, and it verifies.
    let (_, audit) = api.get("/api/v1/audit?limit=100").await;
    let kinds: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "broker_acknowledged",
        "fill",
        "order_cancelled",
        "order_refused",
        "kill_switch",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let (_, verified) = api.json("POST", "/api/v1/audit/verify", json!({})).await;
    assert!(verified["first_bad"].is_null(), "{verified}");

    // The secret is in the keychain, not in the database.
    let db = std::fs::read(api.profile.dir.path().join("jarvis.db")).unwrap();
    let wal = std::fs::read(api.profile.dir.path().join("jarvis.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    }

    // Switching broker is refused while orders are open there.
    api.json(
        "POST",
        "/api/v1/risk/kill-switch",
        json!({"engaged": false}),
    )
    .await;
    let (_, open) = api
        .json("POST", "/api/v1/orders", order("AAPL", "1", Some("150")))
        .await;
    assert_eq!(open["state"], "accepted");
    let (status, problem) = api
        .json("PUT", "/api/v1/trading/broker", json!({"kind": "paper"}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
}

#[tokio::test]
async fn an_order_alpaca_never_received_is_sent_once_after_a_restart() {
    let api = api().await;
    let (sim, url) = start_alpaca().await;
    select_alpaca(&api, &url).await;
    sim.hold_orders.store(true, Ordering::SeqCst);

    // Alpaca is down when the order is placed: it is committed here,
    // audited as unconfirmed, and not lost.
    sim.fail_posts.store(true, Ordering::SeqCst);
    let (status, placed) = api
        .json("POST", "/api/v1/orders", json!({"symbol": "AAPL", "side": "buy", "qty": "4", "type": "limit", "limit_price": "189", "client_order_id": "restart-1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["state"], "accepted");
    assert!(placed["broker_order_id"].is_null());
    assert!(placed["reason"].as_str().unwrap().contains("not confirmed"));
    assert_eq!(sim.orders_for("restart-1"), 0);

    // Alpaca is back; a second Jarvis opens the same profile (a restart)
    // and reconciles: the order is sent exactly once.
    sim.fail_posts.store(false, Ordering::SeqCst);
    let reopened = jarvis_app::App::open(
        &jarvis_app::AppConfig {
            data_dir: api.profile.dir.path().to_owned(),
            secrets: jarvis_app::SecretsConfig::Keychain,
        },
        Arc::new(jarvis_server::JarvisdRuntime::default()),
    )
    .unwrap();
    reopened.connect_saved_broker().await.unwrap();
    reopened.trading.sync_live().await.unwrap();
    assert_eq!(sim.orders_for("restart-1"), 1);
    let orders = reopened.trading.orders(10).await.unwrap();
    let order = orders
        .iter()
        .find(|o| o.client_order_id == "restart-1")
        .unwrap();
    assert!(order.broker_order_id.is_some());
    assert_eq!(order.state.as_str(), "accepted");

    // The same client order id again trades nothing new.
    let (_, again) = api
        .json("POST", "/api/v1/orders", json!({"symbol": "AAPL", "side": "buy", "qty": "4", "type": "limit", "limit_price": "189", "client_order_id": "restart-1"}))
        .await;
    assert_eq!(again["id"], placed["id"]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.orders_for("restart-1"), 1);
    assert!(
        reopened
            .trading
            .verify_audit()
            .await
            .unwrap()
            .first_bad
            .is_none()
    );
}

#[tokio::test]
async fn live_bars_come_from_the_selected_broker() {
    let api = api().await;
    let feed = json!({"symbol": "AAPL", "timeframe": "hour"});
    let (status, problem) = api.json("POST", "/api/v1/market/feeds", feed.clone()).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("symbol")),
        "paper has no live bars: {problem}"
    );

    let (_sim, url) = start_alpaca().await;
    select_alpaca(&api, &url).await;
    let (status, started) = api.json("POST", "/api/v1/market/feeds", feed).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(
        (started["source"].as_str(), started["played"].as_u64()),
        (Some("alpaca"), Some(1))
    );
    let (_, bars) = api.get("/api/v1/market/bars?symbol=AAPL").await;
    assert_eq!(bars[0]["close"], PRICE);
    let (_, quotes) = api.get("/api/v1/market/quotes").await;
    assert_eq!(
        (quotes[0]["symbol"].as_str(), quotes[0]["price"].as_str()),
        (Some("AAPL"), Some(PRICE))
    );
    let (status, _) = api
        .json(
            "POST",
            "/api/v1/market/feeds",
            json!({"symbol": "ETHUSDT", "timeframe": "minute"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .json(
            "POST",
            "/api/v1/market/feeds",
            json!({"symbol": "AAPL", "timeframe": "week"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
