//! Trading, market data, backtest and spoken-command commands: one service
//! call each.

use jarvis_core::{ErrorKind, Problem};
use jarvis_trading::audit::{AuditEntry, AuditVerification};
use jarvis_trading::orders::{Fill, Order, OrderRequest, OrderSource};
use jarvis_trading::portfolio::Position;
use jarvis_trading::replay::{BarView, ReplayRequest, ReplayStatus};
use jarvis_trading::report::{BacktestReport, BacktestRequest, StrategyInfo};
use jarvis_trading::risk::RiskLimits;
use jarvis_trading::service::{Account, QuoteView};
use serde::Serialize;
use tauri::State;

use crate::commands::Backend;

type Reply<T> = Result<T, Problem>;

#[tauri::command]
pub async fn trading_account(backend: State<'_, Backend>) -> Reply<Account> {
    Ok(backend.app()?.trading.account().await?)
}

#[tauri::command]
pub async fn place_order(backend: State<'_, Backend>, request: OrderRequest) -> Reply<Order> {
    Ok(backend
        .app()?
        .trading
        .place_order(request, OrderSource::Ui)
        .await?)
}

#[tauri::command]
pub async fn list_orders(backend: State<'_, Backend>, limit: Option<u32>) -> Reply<Vec<Order>> {
    Ok(backend.app()?.trading.orders(limit.unwrap_or(100)).await?)
}

#[tauri::command]
pub async fn cancel_order(backend: State<'_, Backend>, id: String) -> Reply<Order> {
    Ok(backend.app()?.trading.cancel_order(id).await?)
}

#[derive(Serialize)]
pub struct Cancelled {
    cancelled: usize,
}

#[tauri::command]
pub async fn cancel_all_orders(backend: State<'_, Backend>) -> Reply<Cancelled> {
    Ok(Cancelled {
        cancelled: backend.app()?.trading.cancel_all().await?,
    })
}

#[tauri::command]
pub async fn list_fills(backend: State<'_, Backend>, limit: Option<u32>) -> Reply<Vec<Fill>> {
    Ok(backend.app()?.trading.fills(limit.unwrap_or(100)).await?)
}

#[tauri::command]
pub async fn list_positions(backend: State<'_, Backend>) -> Reply<Vec<Position>> {
    Ok(backend.app()?.trading.positions().await?)
}

#[tauri::command]
pub async fn set_kill_switch(backend: State<'_, Backend>, engaged: bool) -> Reply<Account> {
    Ok(backend.app()?.trading.set_kill_switch(engaged).await?)
}

#[tauri::command]
pub async fn set_risk_limits(backend: State<'_, Backend>, limits: RiskLimits) -> Reply<Account> {
    Ok(backend.app()?.trading.set_limits(limits).await?)
}

#[tauri::command]
pub async fn audit_entries(
    backend: State<'_, Backend>,
    before: Option<i64>,
    limit: Option<u32>,
) -> Reply<Vec<AuditEntry>> {
    Ok(backend
        .app()?
        .trading
        .audit_entries(before, limit.unwrap_or(100))
        .await?)
}

#[tauri::command]
pub async fn verify_audit(backend: State<'_, Backend>) -> Reply<AuditVerification> {
    Ok(backend.app()?.trading.verify_audit().await?)
}

#[tauri::command]
pub async fn market_quotes(backend: State<'_, Backend>) -> Reply<Vec<QuoteView>> {
    Ok(backend.app()?.trading.quotes())
}

#[tauri::command]
pub async fn market_bars(backend: State<'_, Backend>, symbol: String) -> Reply<Vec<BarView>> {
    Ok(backend.app()?.market.bars(&symbol))
}

#[tauri::command]
pub async fn list_replays(backend: State<'_, Backend>) -> Reply<Vec<ReplayStatus>> {
    Ok(backend.app()?.market.replays())
}

#[tauri::command]
pub async fn start_replay(
    backend: State<'_, Backend>,
    request: ReplayRequest,
) -> Reply<ReplayStatus> {
    Ok(backend.app()?.market.start_replay(request)?)
}

#[tauri::command]
pub async fn stop_replay(backend: State<'_, Backend>, symbol: String) -> Reply<()> {
    if backend.app()?.market.stop_replay(&symbol) {
        Ok(())
    } else {
        Err(Problem::new(
            ErrorKind::NotFound,
            "not_found",
            format!("no replay is running for {symbol}"),
        ))
    }
}

#[tauri::command]
pub async fn backtest_strategies() -> Reply<Vec<StrategyInfo>> {
    Ok(jarvis_trading::report::strategies())
}

#[tauri::command]
pub async fn run_backtest(
    backend: State<'_, Backend>,
    request: BacktestRequest,
) -> Reply<BacktestReport> {
    let limits = backend.app()?.trading.risk_limits();
    // CPU-bound: off the async workers.
    tauri::async_runtime::spawn_blocking(move || {
        jarvis_trading::report::run_request(request, &limits)
    })
    .await
    .map_err(|e| Problem::new(ErrorKind::Internal, "internal", e.to_string()))?
    .map_err(|e| Problem::invalid_field(e.field, e.reason))
}

#[tauri::command]
pub async fn voice_command(
    backend: State<'_, Backend>,
    command: jarvis_app::VoiceCommand,
) -> Reply<jarvis_app::VoiceOutcome> {
    Ok(backend.app()?.voice_command(command).await?)
}

#[tauri::command]
pub async fn voice_confirm(
    backend: State<'_, Backend>,
    id: String,
) -> Reply<jarvis_app::VoiceOutcome> {
    Ok(backend.app()?.voice_confirm(&id).await?)
}

#[tauri::command]
pub async fn get_broker(backend: State<'_, Backend>) -> Reply<jarvis_app::BrokerSettings> {
    Ok(backend.app()?.broker_settings().await?)
}

#[tauri::command]
pub async fn set_broker(
    backend: State<'_, Backend>,
    update: jarvis_app::BrokerUpdate,
) -> Reply<jarvis_app::BrokerSettings> {
    Ok(backend.app()?.set_broker(update).await?)
}

#[tauri::command]
pub async fn start_feed(
    backend: State<'_, Backend>,
    request: jarvis_trading::replay::FeedRequest,
) -> Reply<ReplayStatus> {
    Ok(backend.app()?.market.start_feed(request).await?)
}

#[tauri::command]
pub async fn start_strategy_run(
    backend: State<'_, Backend>,
    request: jarvis_trading::runner::StartStrategyRun,
) -> Reply<jarvis_trading::runner::StrategyRun> {
    Ok(backend.app()?.market.start_strategy(request)?)
}

#[tauri::command]
pub async fn list_strategy_runs(
    backend: State<'_, Backend>,
) -> Reply<Vec<jarvis_trading::runner::StrategyRun>> {
    Ok(backend.app()?.market.strategy_runs())
}

#[tauri::command]
pub async fn stop_strategy_run(backend: State<'_, Backend>, symbol: String) -> Reply<()> {
    if backend.app()?.market.stop_strategy(&symbol) {
        Ok(())
    } else {
        Err(Problem::new(
            ErrorKind::NotFound,
            "not_found",
            format!("no strategy runs on {symbol}"),
        ))
    }
}
