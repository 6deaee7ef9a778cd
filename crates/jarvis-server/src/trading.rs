//! Trading, market data and backtests over HTTP. Handlers extract, call one
//! service method and map the error.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use jarvis_app::{BrokerSettings, BrokerUpdate};
use jarvis_core::Problem;
use jarvis_trading::audit::{AuditEntry, AuditVerification};
use jarvis_trading::orders::{Fill, Order, OrderRequest, OrderSource};
use jarvis_trading::portfolio::Position;
use jarvis_trading::replay::{BarView, FeedRequest, ReplayRequest, ReplayStatus};
use jarvis_trading::report::{BacktestReport, BacktestRequest, StrategyInfo};
use jarvis_trading::risk::RiskLimits;
use jarvis_trading::runner::{StartStrategyRun, StrategyRun};
use jarvis_trading::service::{Account, QuoteView};
use serde::{Deserialize, Serialize};

use crate::ServerState;
use crate::error::ApiError;
use crate::json::ValidJson;

/// CSV uploads (replays, backtests) may be large; everything else stays small.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/orders", post(place_order).get(list_orders))
        .route("/orders/cancel-all", post(cancel_all))
        .route("/orders/{id}", delete(cancel_order))
        .route("/fills", get(list_fills))
        .route("/positions", get(positions))
        .route("/account", get(account))
        .route("/trading/broker", get(get_broker).put(set_broker))
        .route("/risk/kill-switch", post(kill_switch))
        .route("/risk/limits", put(set_limits))
        .route("/audit", get(audit_entries))
        .route("/audit/verify", post(verify_audit))
        .route("/market/quotes", get(quotes))
        .route("/market/bars", get(bars))
        .route("/market/replays", get(replays))
        .route("/market/replays/{symbol}", delete(stop_replay))
        .route("/market/feeds", post(start_feed))
        .route("/strategies/runs", get(strategy_runs).post(start_strategy))
        .route("/strategies/runs/{symbol}", delete(stop_strategy))
        .route("/backtests/strategies", get(strategies))
        .merge(
            Router::new()
                .route("/market/replays", post(start_replay))
                .route("/backtests", post(run_backtest))
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
}

async fn place_order(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<OrderRequest>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let order = state
        .app
        .trading
        .place_order(request, OrderSource::Api)
        .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    limit: Option<u32>,
    before: Option<i64>,
}

fn page(
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Page, ApiError> {
    query
        .map(|Query(p)| p)
        .map_err(|e| ApiError(Problem::invalid_field("query", e.body_text())))
}

async fn list_orders(
    State(state): State<ServerState>,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let page = page(query)?;
    Ok(Json(
        state.app.trading.orders(page.limit.unwrap_or(100)).await?,
    ))
}

async fn cancel_order(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(state.app.trading.cancel_order(id).await?))
}

#[derive(Serialize)]
struct Cancelled {
    cancelled: usize,
}

async fn cancel_all(State(state): State<ServerState>) -> Result<Json<Cancelled>, ApiError> {
    Ok(Json(Cancelled {
        cancelled: state.app.trading.cancel_all().await?,
    }))
}

async fn list_fills(
    State(state): State<ServerState>,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Fill>>, ApiError> {
    let page = page(query)?;
    Ok(Json(
        state.app.trading.fills(page.limit.unwrap_or(100)).await?,
    ))
}

async fn positions(State(state): State<ServerState>) -> Result<Json<Vec<Position>>, ApiError> {
    Ok(Json(state.app.trading.positions().await?))
}

async fn account(State(state): State<ServerState>) -> Result<Json<Account>, ApiError> {
    Ok(Json(state.app.trading.account().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KillSwitch {
    engaged: bool,
}

async fn kill_switch(
    State(state): State<ServerState>,
    ValidJson(body): ValidJson<KillSwitch>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(state.app.trading.set_kill_switch(body.engaged).await?))
}

async fn start_feed(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<FeedRequest>,
) -> Result<(StatusCode, Json<ReplayStatus>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.market.start_feed(request).await?),
    ))
}

async fn get_broker(State(state): State<ServerState>) -> Result<Json<BrokerSettings>, ApiError> {
    Ok(Json(state.app.broker_settings().await?))
}

async fn set_broker(
    State(state): State<ServerState>,
    ValidJson(update): ValidJson<BrokerUpdate>,
) -> Result<Json<BrokerSettings>, ApiError> {
    Ok(Json(state.app.set_broker(update).await?))
}

async fn set_limits(
    State(state): State<ServerState>,
    ValidJson(limits): ValidJson<RiskLimits>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(state.app.trading.set_limits(limits).await?))
}

async fn audit_entries(
    State(state): State<ServerState>,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let page = page(query)?;
    Ok(Json(
        state
            .app
            .trading
            .audit_entries(page.before, page.limit.unwrap_or(100))
            .await?,
    ))
}

async fn verify_audit(
    State(state): State<ServerState>,
) -> Result<Json<AuditVerification>, ApiError> {
    Ok(Json(state.app.trading.verify_audit().await?))
}

async fn quotes(State(state): State<ServerState>) -> Json<Vec<QuoteView>> {
    Json(state.app.trading.quotes())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SymbolQuery {
    symbol: String,
}

async fn bars(
    State(state): State<ServerState>,
    query: Result<Query<SymbolQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<BarView>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError(Problem::invalid_field("symbol", e.body_text())))?;
    Ok(Json(state.app.market.bars(&q.symbol)))
}

async fn replays(State(state): State<ServerState>) -> Json<Vec<ReplayStatus>> {
    Json(state.app.market.replays())
}

async fn start_replay(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<ReplayRequest>,
) -> Result<(StatusCode, Json<ReplayStatus>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.market.start_replay(request)?),
    ))
}

async fn stop_replay(
    State(state): State<ServerState>,
    Path(symbol): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.app.market.stop_replay(&symbol) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(Problem::new(
            jarvis_core::ErrorKind::NotFound,
            "not_found",
            format!("no replay is running for {symbol}"),
        )))
    }
}

async fn strategies() -> Json<Vec<StrategyInfo>> {
    Json(jarvis_trading::report::strategies())
}

async fn run_backtest(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<BacktestRequest>,
) -> Result<Json<BacktestReport>, ApiError> {
    let limits = state.app.trading.risk_limits();
    // CPU-bound: off the async workers.
    let report =
        tokio::task::spawn_blocking(move || jarvis_trading::report::run_request(request, &limits))
            .await
            .map_err(|e| {
                ApiError(Problem::new(
                    jarvis_core::ErrorKind::Internal,
                    "internal",
                    e.to_string(),
                ))
            })?
            .map_err(|e| ApiError(Problem::invalid_field(e.field, e.reason)))?;
    Ok(Json(report))
}

async fn strategy_runs(State(state): State<ServerState>) -> Json<Vec<StrategyRun>> {
    Json(state.app.market.strategy_runs())
}

async fn start_strategy(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<StartStrategyRun>,
) -> Result<(StatusCode, Json<StrategyRun>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.market.start_strategy(request)?),
    ))
}

async fn stop_strategy(
    State(state): State<ServerState>,
    Path(symbol): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.app.market.stop_strategy(&symbol) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(Problem::new(
            jarvis_core::ErrorKind::NotFound,
            "not_found",
            format!("no strategy runs on {symbol}"),
        )))
    }
}
