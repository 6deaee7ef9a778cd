//! `TradingService`: the one code path every order takes —
//! signal → validation → risk check → order → execution → settlement —
//! with each step appended to the audit chain in the same SQLite
//! transaction as the state it changes.
//!
//! State lives in memory for fast checks and in SQLite as the truth. A
//! change is made on a copy, written and committed, and only then replaces
//! the in-memory state: a failed write leaves both as they were, and a
//! kill -9 at any moment leaves SQLite at the last commit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use jarvis_core::{ErrorKind, Event, EventBus, Problem, ProblemSource};
use jarvis_store::{Database, DbError};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::audit::{self, AuditEntry, AuditHead, AuditVerification};
use crate::orders::{Fill, Order, OrderRequest, OrderSource, OrderState, OrderType};
use crate::paper::{PaperModel, Quote};
use crate::portfolio::{Portfolio, Position};
use crate::risk::{self, RiskInput, RiskLimits, RiskRejection};
use crate::store::{self, AccountRow};
use crate::validate::{self, Instrument, Invalid};

/// The paper account's cash when a profile first trades.
pub const STARTING_CASH: i64 = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum TradingError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("{check}: {reason}", check = .0.check, reason = .0.reason)]
    Risk(RiskRejection),
    #[error("no order has the id {0}")]
    NoOrder(String),
    #[error("order {id} is already {state}")]
    NotOpen { id: String, state: &'static str },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for TradingError {
    fn from(e: rusqlite::Error) -> Self {
        TradingError::Db(DbError::Sqlite(e))
    }
}

impl ProblemSource for TradingError {
    fn problem(&self) -> Problem {
        match self {
            TradingError::Invalid(i) => Problem::invalid_field(i.field, &i.reason),
            // `field` names the failed risk check, e.g. "kill_switch".
            TradingError::Risk(r) => {
                Problem::new(ErrorKind::Invalid, "risk_rejected", &r.reason).with_field(r.check)
            }
            TradingError::NoOrder(_) => {
                Problem::new(ErrorKind::NotFound, "not_found", self.to_string())
            }
            TradingError::NotOpen { .. } => {
                Problem::new(ErrorKind::Conflict, "order_not_open", self.to_string())
            }
            TradingError::Db(e) => e.problem(),
        }
    }
}

/// `GET /api/v1/account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Account {
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub starting_cash: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub cash: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub equity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub market_value: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub realized_pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub unrealized_pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub fees: Decimal,
    /// Equity now minus equity at the start of the UTC day.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub day_pnl: Decimal,
    pub kill_switch: bool,
    pub limits: RiskLimits,
    /// "paper": orders fill against replayed or live quotes, no real money.
    pub broker: String,
}

/// A symbol's latest price, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct QuoteView {
    pub symbol: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub price: Decimal,
    pub time: DateTime<Utc>,
}

#[derive(Clone)]
struct State {
    portfolio: Portfolio,
    limits: RiskLimits,
    kill_switch: bool,
    day: NaiveDate,
    day_start_equity: Decimal,
    open_orders: Vec<Order>,
    /// Accept times of recent orders, for the per-minute limit.
    recent: VecDeque<DateTime<Utc>>,
    quotes: HashMap<String, Quote>,
    head: AuditHead,
}

impl State {
    fn price_of(&self, symbol: &str) -> Option<Decimal> {
        self.quotes.get(symbol).map(|q| q.price)
    }

    fn equity(&self) -> Decimal {
        self.portfolio.account(|s| self.price_of(s)).equity
    }

    fn account_row(&self) -> AccountRow {
        AccountRow {
            starting_cash: self.portfolio.starting_cash,
            cash: self.portfolio.cash,
            fees: self.portfolio.fees,
            kill_switch: self.kill_switch,
            limits: self.limits.clone(),
            day: self.day,
            day_start_equity: self.day_start_equity,
        }
    }
}

/// What a change produced, to announce once it is committed.
#[derive(Default)]
struct Outcome {
    orders: Vec<Order>,
    fills: Vec<Fill>,
}

#[derive(Clone)]
pub struct TradingService {
    db: Database,
    bus: EventBus,
    state: Arc<Mutex<State>>,
    model: PaperModel,
}

impl TradingService {
    /// Loads the account (creating the paper account on first use).
    pub async fn open(db: Database, bus: EventBus) -> Result<Self, TradingError> {
        let state = db.call(load_state).await?;
        Ok(Self::with_state(db, bus, state))
    }

    /// [`TradingService::open`] for start-up code that is not async.
    pub fn open_blocking(db: Database, bus: EventBus) -> Result<Self, TradingError> {
        let state = db.call_blocking(load_state)?;
        Ok(Self::with_state(db, bus, state))
    }

    fn with_state(db: Database, bus: EventBus, state: State) -> Self {
        Self {
            db,
            bus,
            state: Arc::new(Mutex::new(state)),
            model: PaperModel::default(),
        }
    }

    /// Runs `change` on a copy of the state inside one transaction; the copy
    /// replaces the state only after the commit.
    async fn transact<T: Send + 'static>(
        &self,
        change: impl FnOnce(&Connection, &mut State, &PaperModel) -> Result<(T, Outcome), TradingError>
        + Send
        + 'static,
    ) -> Result<T, TradingError> {
        let state = self.state.clone();
        let model = self.model.clone();
        let (value, outcome) = self
            .db
            .call(move |conn| -> Result<(T, Outcome), TradingError> {
                let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
                in_transaction(conn, &mut guard, |tx, state| change(tx, state, &model))
            })
            .await?;
        self.announce(&outcome);
        Ok(value)
    }

    fn announce(&self, outcome: &Outcome) {
        for order in &outcome.orders {
            self.bus.publish(Event::OrderUpdated {
                order_id: order.id.clone(),
                symbol: order.symbol.clone(),
                state: order.state.as_str().to_string(),
            });
        }
        for fill in &outcome.fills {
            self.bus.publish(Event::OrderFilled {
                order_id: fill.order_id.clone(),
                symbol: fill.symbol.clone(),
                side: fill.side.as_str().to_string(),
                qty: fill.qty.to_string(),
                price: fill.price.to_string(),
            });
        }
        if !outcome.orders.is_empty() || !outcome.fills.is_empty() {
            self.bus.publish(Event::TradingChanged);
        }
    }

    /// Places an order from any entry point; refusals name the failed
    /// validation field or risk check and are audited.
    pub async fn place_order(
        &self,
        request: OrderRequest,
        source: OrderSource,
    ) -> Result<Order, TradingError> {
        self.transact(move |conn, state, model| {
            let mut outcome = Outcome::default();
            let order = place(
                conn,
                state,
                model,
                request,
                source,
                Utc::now(),
                &mut outcome,
            )?;
            Ok((order, outcome))
        })
        .await
        .and_then(|r| r)
    }

    pub async fn cancel_order(&self, id: String) -> Result<Order, TradingError> {
        self.transact(move |conn, state, _| {
            let mut outcome = Outcome::default();
            let Some(index) = state.open_orders.iter().position(|o| o.id == id) else {
                return Ok((
                    Err(match store::order_by_id(conn, &id)? {
                        Some(o) => TradingError::NotOpen {
                            id,
                            state: o.state.as_str(),
                        },
                        None => TradingError::NoOrder(id),
                    }),
                    outcome,
                ));
            };
            let order = cancel(
                conn,
                state,
                index,
                "cancelled by the user",
                Utc::now(),
                &mut outcome,
            )?;
            Ok((Ok(order), outcome))
        })
        .await
        .and_then(|r| r)
    }

    /// Cancels every open order; returns how many.
    pub async fn cancel_all(&self) -> Result<usize, TradingError> {
        self.transact(|conn, state, _| {
            let mut outcome = Outcome::default();
            let n = cancel_all(conn, state, "cancel all", Utc::now(), &mut outcome)?;
            Ok((n, outcome))
        })
        .await
    }

    /// Engaging cancels every open order and blocks new ones until a
    /// person releases it.
    pub async fn set_kill_switch(&self, engaged: bool) -> Result<Account, TradingError> {
        self.transact(move |conn, state, _| {
            let mut outcome = Outcome::default();
            let now = Utc::now();
            let cancelled = if engaged {
                cancel_all(conn, state, "kill switch engaged", now, &mut outcome)?
            } else {
                0
            };
            state.kill_switch = engaged;
            store::save_account(conn, &state.account_row())?;
            audit::append(
                conn,
                &mut state.head,
                now,
                "kill_switch",
                None,
                &json!({"engaged": engaged, "cancelled_orders": cancelled}),
            )?;
            Ok(((), outcome))
        })
        .await?;
        self.bus.publish(Event::TradingChanged);
        self.account().await
    }

    pub async fn set_limits(&self, limits: RiskLimits) -> Result<Account, TradingError> {
        if let Err((field, reason)) = limits.validate() {
            return Err(TradingError::Invalid(Invalid { field, reason }));
        }
        self.transact(move |conn, state, _| {
            audit::append(
                conn,
                &mut state.head,
                Utc::now(),
                "limits_changed",
                None,
                &json!({"limits": &limits}),
            )?;
            state.limits = limits;
            store::save_account(conn, &state.account_row())?;
            Ok(((), Outcome::default()))
        })
        .await?;
        self.bus.publish(Event::TradingChanged);
        self.account().await
    }

    /// A new price: remembered for market orders, and resting orders on
    /// that symbol fill if it reaches them.
    pub async fn on_quote(&self, symbol: String, quote: Quote) -> Result<(), TradingError> {
        let view = QuoteView {
            symbol: symbol.clone(),
            price: quote.price,
            time: quote.time,
        };
        self.transact(move |conn, state, model| {
            let mut outcome = Outcome::default();
            state.quotes.insert(symbol.clone(), quote.clone());
            let now = Utc::now();
            let mut i = 0;
            while i < state.open_orders.len() {
                if state.open_orders[i].symbol == symbol
                    && try_fill(conn, state, model, i, &quote, now, &mut outcome)?
                {
                    continue; // filled and removed: the next order moved into i
                }
                i += 1;
            }
            Ok(((), outcome))
        })
        .await?;
        self.bus.publish(Event::Quote {
            symbol: view.symbol,
            price: view.price.to_string(),
            time: view.time.to_rfc3339(),
        });
        Ok(())
    }

    pub fn quotes(&self) -> Vec<QuoteView> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut quotes: Vec<QuoteView> = state
            .quotes
            .iter()
            .map(|(s, q)| QuoteView {
                symbol: s.clone(),
                price: q.price,
                time: q.time,
            })
            .collect();
        quotes.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        quotes
    }

    pub async fn account(&self) -> Result<Account, TradingError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let totals = state.portfolio.account(|s| state.price_of(s));
        Ok(Account {
            starting_cash: totals.starting_cash,
            cash: totals.cash,
            equity: totals.equity,
            market_value: totals.market_value,
            realized_pnl: totals.realized_pnl,
            unrealized_pnl: totals.unrealized_pnl,
            fees: totals.fees,
            day_pnl: totals.equity - state.day_start_equity,
            kill_switch: state.kill_switch,
            limits: state.limits.clone(),
            broker: "paper".into(),
        })
    }

    pub fn positions(&self) -> Vec<Position> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.portfolio.positions(|s| state.price_of(s))
    }

    pub async fn orders(&self, limit: u32) -> Result<Vec<Order>, TradingError> {
        self.db
            .call(move |conn| Ok(store::recent_orders(conn, limit.clamp(1, 1000))?))
            .await
    }

    pub async fn fills(&self, limit: u32) -> Result<Vec<Fill>, TradingError> {
        self.db
            .call(move |conn| Ok(store::fills(conn, limit.clamp(1, 1000))?))
            .await
    }

    pub async fn audit_entries(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, TradingError> {
        self.db
            .call(move |conn| Ok(audit::list(conn, before, limit.clamp(1, 1000))?))
            .await
    }

    pub async fn verify_audit(&self) -> Result<AuditVerification, TradingError> {
        self.db.call(|conn| Ok(audit::verify(conn)?)).await
    }

    /// The synchronous pipeline on a connection of the caller's: for the
    /// benchmark, which measures it without the async hop.
    #[doc(hidden)]
    pub fn place_blocking(
        &self,
        conn: &mut Connection,
        request: OrderRequest,
    ) -> Result<Order, TradingError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (result, _) = in_transaction(conn, &mut guard, |tx, state| {
            let mut outcome = Outcome::default();
            let order = place(
                tx,
                state,
                &self.model,
                request,
                OrderSource::Strategy,
                Utc::now(),
                &mut outcome,
            )?;
            Ok((order, outcome))
        })?;
        result
    }

    #[doc(hidden)]
    pub fn set_quote_blocking(&self, symbol: &str, quote: Quote) {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.quotes.insert(symbol.to_string(), quote);
    }
}

/// Runs `change` on the state inside one transaction. The state is changed
/// in place (no copy on the hot path); if anything fails the transaction
/// rolls back and the state is reloaded from SQLite, the source of truth,
/// keeping only the quotes (which are not stored). Refusals are `Ok`
/// values: their audit entries commit.
fn in_transaction<T>(
    conn: &mut Connection,
    state: &mut State,
    change: impl FnOnce(&Connection, &mut State) -> Result<T, TradingError>,
) -> Result<T, TradingError> {
    let head_before = state.head.0;
    let attempt = (|| {
        let tx = conn.transaction()?;
        let result = change(&tx, state)?;
        if state.head.0 != head_before {
            audit::save_head(&tx, &state.head)?;
        }
        tx.commit()?;
        Ok(result)
    })();
    if attempt.is_err() {
        let quotes = std::mem::take(&mut state.quotes);
        match load_state(conn) {
            Ok(fresh) => *state = State { quotes, ..fresh },
            Err(e) => {
                tracing::error!(error = %e, "trading state could not be reloaded after a failed write")
            }
        }
    }
    attempt
}

/// The account, holdings, open orders and audit head, as committed.
fn load_state(conn: &mut Connection) -> Result<State, TradingError> {
    let tx = conn.transaction()?;
    let today = Utc::now().date_naive();
    let account = match store::load_account(&tx)? {
        Some(a) => a,
        None => {
            let cash = Decimal::from(STARTING_CASH);
            let a = AccountRow {
                starting_cash: cash,
                cash,
                fees: Decimal::ZERO,
                kill_switch: false,
                limits: RiskLimits::default(),
                day: today,
                day_start_equity: cash,
            };
            store::save_account(&tx, &a)?;
            a
        }
    };
    let mut portfolio = Portfolio::new(account.starting_cash);
    portfolio.cash = account.cash;
    portfolio.fees = account.fees;
    portfolio.holdings = store::load_holdings(&tx)?;
    let state = State {
        portfolio,
        limits: account.limits,
        kill_switch: account.kill_switch,
        day: account.day,
        day_start_equity: account.day_start_equity,
        open_orders: store::open_orders(&tx)?,
        recent: VecDeque::new(),
        quotes: HashMap::new(),
        head: store::audit_head(&tx)?,
    };
    tx.commit()?;
    Ok(state)
}

/// A new UTC day starts a new daily-loss window.
fn roll_day(conn: &Connection, state: &mut State, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let today = now.date_naive();
    if state.day != today {
        state.day = today;
        state.day_start_equity = state.equity();
        store::save_account(conn, &state.account_row())?;
    }
    Ok(())
}

/// Which stage refused an order, which check, and why.
struct Refusal<'a> {
    stage: &'static str,
    check: &'a str,
    reason: &'a str,
}

fn refuse(
    conn: &Connection,
    state: &mut State,
    request: &OrderRequest,
    source: OrderSource,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    audit::append(
        conn,
        &mut state.head,
        now,
        "order_refused",
        None,
        &json!({"request": request, "source": store::source_str(source), "stage": refusal.stage, "check": refusal.check, "reason": refusal.reason}),
    )?;
    Ok(())
}

/// Signal → validation → risk → order → execution → settlement.
/// `Ok(Err(_))` is a refusal (audited, committed); `Err(_)` a failure.
fn place(
    conn: &Connection,
    state: &mut State,
    model: &PaperModel,
    request: OrderRequest,
    source: OrderSource,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> Result<Result<Order, TradingError>, TradingError> {
    // Idempotent: the same client order id returns the first order.
    if let Some(id) = &request.client_order_id
        && let Some(existing) = store::order_by_client_id(conn, id)?
    {
        return Ok(Ok(existing));
    }
    roll_day(conn, state, now)?;

    let instrument: Instrument = match validate::validate(&request) {
        Ok(i) => i,
        Err(invalid) => {
            refuse(
                conn,
                state,
                &request,
                source,
                Refusal {
                    stage: "validation",
                    check: invalid.field,
                    reason: &invalid.reason,
                },
                now,
            )?;
            return Ok(Err(TradingError::Invalid(invalid)));
        }
    };
    let price = match (request.order_type, request.limit_price) {
        (OrderType::Limit, Some(limit)) => limit,
        _ => match state.price_of(&request.symbol) {
            Some(p) => p,
            None => {
                let invalid = Invalid {
                    field: "symbol",
                    reason: format!(
                        "no price for {} yet: start market data for it (a replay on the Trading screen) or use a limit order",
                        request.symbol
                    ),
                };
                refuse(
                    conn,
                    state,
                    &request,
                    source,
                    Refusal {
                        stage: "validation",
                        check: invalid.field,
                        reason: &invalid.reason,
                    },
                    now,
                )?;
                return Ok(Err(TradingError::Invalid(invalid)));
            }
        },
    };

    while state
        .recent
        .front()
        .is_some_and(|t| *t <= now - chrono::Duration::seconds(60))
    {
        state.recent.pop_front();
    }
    let equity = state.equity();
    let input = RiskInput {
        limits: &state.limits,
        kill_switch: state.kill_switch,
        side: request.side,
        qty: request.qty,
        price,
        fee_estimate: model.fee(request.qty, price),
        position_qty: state.portfolio.qty(&request.symbol),
        open_orders: state.open_orders.len() as u32,
        orders_last_minute: state.recent.len(),
        cash: state.portfolio.cash,
        equity,
        day_start_equity: state.day_start_equity,
    };
    if let Err(rejection) = risk::check(&input) {
        refuse(
            conn,
            state,
            &request,
            source,
            Refusal {
                stage: "risk",
                check: rejection.check,
                reason: &rejection.reason,
            },
            now,
        )?;
        return Ok(Err(TradingError::Risk(rejection)));
    }

    let id = uuid::Uuid::new_v4().to_string();
    let order = Order {
        client_order_id: request
            .client_order_id
            .clone()
            .unwrap_or_else(|| id.clone()),
        id,
        symbol: request.symbol.clone(),
        side: request.side,
        order_type: request.order_type,
        qty: request.qty,
        limit_price: request.limit_price,
        filled_qty: Decimal::ZERO,
        avg_fill_price: None,
        state: OrderState::Accepted,
        reason: None,
        source,
        created_at: now,
        updated_at: now,
    };
    let oid = Some(order.id.as_str());
    audit::append(
        conn,
        &mut state.head,
        now,
        "signal",
        oid,
        &json!({"request": &request, "source": store::source_str(source)}),
    )?;
    audit::append(
        conn,
        &mut state.head,
        now,
        "checks_passed",
        oid,
        &json!({"instrument": &instrument, "price": price.to_string(), "checks": ["validation", "kill_switch", "daily_loss_limit", "max_orders_per_minute", "max_open_orders", "max_order_value", "max_position_value", "buying_power"]}),
    )?;
    store::insert_order(conn, &order)?;
    audit::append(
        conn,
        &mut state.head,
        now,
        "order_accepted",
        oid,
        &json!({"order": &order, "broker": "paper"}),
    )?;
    state.recent.push_back(now);
    state.open_orders.push(order);
    let index = state.open_orders.len() - 1;
    let placed = state.open_orders[index].clone();
    outcome.orders.push(placed.clone());
    // Execution: the paper broker fills against the latest quote now, or
    // the order rests until a quote reaches it.
    if let Some(quote) = state.quotes.get(&placed.symbol).cloned() {
        try_fill(conn, state, model, index, &quote, now, outcome)?;
        if let Some(updated) = outcome.orders.iter().rev().find(|o| o.id == placed.id) {
            return Ok(Ok(updated.clone()));
        }
    }
    Ok(Ok(placed))
}

/// Execution and settlement of open order `index` at `quote`. Returns
/// whether the order is now complete (and was removed from the open list).
fn try_fill(
    conn: &Connection,
    state: &mut State,
    model: &PaperModel,
    index: usize,
    quote: &Quote,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> rusqlite::Result<bool> {
    let order = &state.open_orders[index];
    let Some(instrument) = Instrument::for_symbol(&order.symbol) else {
        return Ok(false);
    };
    let Some(exec) = model.execute(order, quote, instrument.tick_size, instrument.lot_size) else {
        return Ok(false);
    };
    let fill = Fill {
        order_id: order.id.clone(),
        symbol: order.symbol.clone(),
        side: order.side,
        qty: exec.qty,
        price: exec.price,
        fee: exec.fee,
        time: now,
    };
    state
        .portfolio
        .apply_fill(&fill.symbol, fill.side, fill.qty, fill.price, fill.fee);
    let order = &mut state.open_orders[index];
    let filled_before = order.filled_qty;
    order.filled_qty += exec.qty;
    let value_before = order.avg_fill_price.unwrap_or_default() * filled_before;
    order.avg_fill_price =
        Some(((value_before + exec.qty * exec.price) / order.filled_qty).normalize());
    order.state = if order.remaining().is_zero() {
        OrderState::Filled
    } else {
        OrderState::PartiallyFilled
    };
    order.updated_at = now;
    let order = order.clone();

    store::insert_fill(conn, &fill)?;
    store::update_order(conn, &order)?;
    let holding = state
        .portfolio
        .holdings
        .get(&fill.symbol)
        .cloned()
        .unwrap_or_default();
    store::save_holding(conn, &fill.symbol, &holding)?;
    store::save_cash(conn, &state.portfolio)?;
    audit::append(
        conn,
        &mut state.head,
        now,
        "fill",
        Some(&order.id),
        &json!({
            "execution": {"qty": fill.qty.to_string(), "price": fill.price.to_string(), "fee": fill.fee.to_string(), "quote": quote.price.to_string()},
            "order_state": order.state.as_str(),
            "settlement": {"cash": state.portfolio.cash.to_string(), "position": holding.qty.to_string(), "realized_pnl": holding.realized_pnl.to_string()},
        }),
    )?;
    let done = order.state == OrderState::Filled;
    if done {
        state.open_orders.remove(index);
    }
    outcome.fills.push(fill);
    outcome.orders.push(order);
    Ok(done)
}

fn cancel(
    conn: &Connection,
    state: &mut State,
    index: usize,
    reason: &str,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> rusqlite::Result<Order> {
    let mut order = state.open_orders.remove(index);
    order.state = OrderState::Cancelled;
    order.reason = Some(reason.to_string());
    order.updated_at = now;
    store::update_order(conn, &order)?;
    audit::append(
        conn,
        &mut state.head,
        now,
        "order_cancelled",
        Some(&order.id),
        &json!({"reason": reason, "filled_qty": order.filled_qty.to_string()}),
    )?;
    outcome.orders.push(order.clone());
    Ok(order)
}

fn cancel_all(
    conn: &Connection,
    state: &mut State,
    reason: &str,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> rusqlite::Result<usize> {
    let n = state.open_orders.len();
    while !state.open_orders.is_empty() {
        cancel(conn, state, 0, reason, now, outcome)?;
    }
    Ok(n)
}
