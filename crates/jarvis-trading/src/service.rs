//! `TradingService`: the one code path every order takes —
//! signal → validation → risk check → order → execution → settlement —
//! with each step appended to the audit chain in the same commit as the
//! state it changes.
//!
//! State lives in memory for fast checks and in SQLite as the truth. A
//! paper order is committed by one journal append and applied to SQLite
//! just after (see `journal`); every other change is a SQLite transaction
//! that applies the journal first. A change that fails half-way leaves the
//! state marked stale, and it is reloaded from what is committed before it
//! is used again; a kill -9 at any moment leaves SQLite and the journal at
//! the last commit.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use jarvis_core::{ErrorKind, Event, EventBus, Problem, ProblemSource};
use jarvis_store::{Database, DbError};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::audit::{self, AuditEntry, AuditHead, AuditVerification};
use crate::broker::{BrokerError, BrokerOrder, BrokerOrderRequest, submit_reconciled};
use crate::journal::{Journal, JournalError, Recorder};
use crate::live::{self, LiveVenue, Snapshot};
use crate::orders::{Fill, Order, OrderRequest, OrderSource, OrderState, OrderType};
use crate::paper::{PaperModel, Quote};
use crate::portfolio::{Portfolio, Position};
use crate::risk::{self, RiskInput, RiskLimits, RiskRejection};
use crate::store::{self, AccountRow, Ledger};
use crate::validate::{self, Instrument, Invalid};

/// The venue name of the built-in paper broker.
pub const PAPER: &str = "paper";

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
    Broker(#[from] BrokerError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "trading is open in another Jarvis process on this data directory; close it to trade here"
    )]
    Elsewhere,
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
            TradingError::Broker(e) => match e {
                BrokerError::NotFound { .. } | BrokerError::Rejected { .. } => {
                    Problem::new(ErrorKind::Conflict, "broker_refused", self.to_string())
                }
                _ => Problem::new(
                    ErrorKind::Unavailable,
                    "broker_unavailable",
                    self.to_string(),
                ),
            },
            TradingError::Db(e) => e.problem(),
            TradingError::Journal(_) => {
                Problem::new(ErrorKind::Internal, "journal", self.to_string())
            }
            TradingError::Elsewhere => {
                Problem::new(ErrorKind::Conflict, "trading_elsewhere", self.to_string())
            }
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
    /// "paper": orders fill against replayed or live quotes, no real money;
    /// "alpaca" or "binance": the broker executes and settles, and cash,
    /// equity and positions are the broker's (realised P&L and fees count
    /// what was traded through Jarvis; `starting_cash` is the equity at the
    /// start of the UTC day).
    pub broker: String,
    /// What the broker allows to be spent now (live brokers only).
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub buying_power: Option<Decimal>,
    /// When the broker's figures were read; `None` for paper.
    pub as_of: Option<DateTime<Utc>>,
    /// Why the broker's figures are stale, when the last read failed.
    pub broker_error: Option<String>,
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
    /// A journaled change failed half-way: reload before the next one.
    stale: bool,
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

/// How long an open waits for this process's previous service on the same
/// database to let go of its journal (its last clone is being dropped, and
/// the drop applies what is left, waiting up to 5 s for a busy database).
const CLOSING_PATIENCE: Duration = Duration::from_secs(10);

/// The journal and state of each database with a service open in this
/// process: a second service on it shares them, since two states would
/// drift apart and a journal has one writer.
static REGISTRY: Mutex<Vec<Registration>> = Mutex::new(Vec::new());

struct Registration {
    database: PathBuf,
    journal: Weak<Journal>,
    state: Weak<Mutex<State>>,
    /// The journal's drop has let go of its file.
    released: Arc<std::sync::atomic::AtomicBool>,
}

type Shared = (Option<Arc<Journal>>, Arc<Mutex<State>>);

/// What the journal's applier does with a record it can never apply: with
/// the trading state held, so that no order is appended meanwhile, it sets
/// the journal aside and reloads the state from what is committed. Trading
/// goes on; the orders set aside are missing, and the log says where they
/// are.
fn set_aside_and_reload(state: Weak<Mutex<State>>) -> crate::journal::OnLasting {
    Box::new(move |journal, conn, error| {
        let Some(state) = state.upgrade() else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = journal.set_aside(error) {
            // Nothing more is applied: what the state holds beyond the
            // database must not be shown or built on.
            journal.stop(&e);
            state.stale = true;
            return;
        }
        if let Err(e) = reload(conn, &mut state, journal) {
            state.stale = true;
            tracing::error!(error = %e, "trading state could not be reloaded after the journal was set aside");
        }
    })
}

/// The journal and state for `db`: this process's, when a service has it
/// open, or else opened, recovered and loaded now. The registry stays
/// locked throughout, so two opens at once end with one of each.
fn open_shared(db: &Database) -> Result<Shared, TradingError> {
    let key = std::fs::canonicalize(db.path()).unwrap_or_else(|_| db.path().to_owned());
    let mut registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    registry.retain(|r| !r.released.load(std::sync::atomic::Ordering::SeqCst));
    let mut patience = Duration::ZERO;
    if let Some(entry) = registry.iter().find(|r| r.database == key) {
        if let (Some(journal), Some(state)) = (entry.journal.upgrade(), entry.state.upgrade()) {
            return Ok((Some(journal), state));
        }
        // Its last service is being dropped: the journal's file lock goes
        // once the drop has applied what is left.
        patience = CLOSING_PATIENCE;
    }
    let mut journal = Journal::open(db, patience)?;
    if journal.is_none() && !patience.is_zero() {
        tracing::warn!(
            "this process's previous trading service on this database still holds its journal: trading here only reads until restarted"
        );
    }
    let recovered = db.call_blocking(|conn| {
        if let Some(journal) = &journal {
            journal.recover(conn)?;
        }
        load_state(conn, journal.as_deref())
    });
    let state = match recovered {
        Ok(state) => state,
        // The database is busy or full: the rest of Jarvis starts, and
        // trading only reads until the next start applies the journal.
        Err(e) if journal.is_some() => {
            tracing::error!(error = %e, "the trading journal could not be applied at start-up: trading only reads until Jarvis restarts");
            journal = None;
            db.call_blocking(|conn| load_state(conn, None))?
        }
        Err(e) => return Err(e),
    };
    let state = Arc::new(Mutex::new(state));
    if let Some(journal) = &journal {
        journal.start(set_aside_and_reload(Arc::downgrade(&state)));
        registry.retain(|r| r.database != key);
        registry.push(Registration {
            database: key,
            journal: Arc::downgrade(journal),
            state: Arc::downgrade(&state),
            released: journal.released(),
        });
    }
    Ok((journal, state))
}

/// A blocking task that did not finish (it panicked), as the database's
/// own calls report one.
fn task_failed(e: tokio::task::JoinError) -> TradingError {
    TradingError::Db(DbError::Task(e.to_string()))
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
    /// Where paper orders are committed; `None` when another process
    /// trades on this database (this one then only reads).
    journal: Option<Arc<Journal>>,
    bus: EventBus,
    state: Arc<Mutex<State>>,
    model: PaperModel,
    /// The real broker orders go to; `None` trades on paper.
    venue: Arc<RwLock<Option<Arc<LiveVenue>>>>,
    /// The last failure to read the live broker's account.
    broker_error: Arc<Mutex<Option<String>>>,
}

/// What `place` needs to know about a real broker, read before the
/// transaction (network calls never run inside one).
struct LiveContext {
    venue: Arc<LiveVenue>,
    snapshot: Result<Snapshot, BrokerError>,
}

impl TradingService {
    /// Loads the account (creating the paper account on first use).
    /// Records a previous run journaled but did not apply are applied
    /// first. Services opened on one database in one process share their
    /// state and journal.
    pub async fn open(db: Database, bus: EventBus) -> Result<Self, TradingError> {
        let opening = db.clone();
        let (journal, state) = tokio::task::spawn_blocking(move || open_shared(&opening))
            .await
            .map_err(task_failed)??;
        Ok(Self::with_state(db, journal, bus, state))
    }

    /// [`TradingService::open`] for start-up code that is not async.
    pub fn open_blocking(db: Database, bus: EventBus) -> Result<Self, TradingError> {
        let (journal, state) = open_shared(&db)?;
        Ok(Self::with_state(db, journal, bus, state))
    }

    fn with_state(
        db: Database,
        journal: Option<Arc<Journal>>,
        bus: EventBus,
        state: Arc<Mutex<State>>,
    ) -> Self {
        if journal.is_none() {
            tracing::warn!(
                "trading is open in another Jarvis process on this data directory: this one only reads"
            );
        }
        Self {
            db,
            journal,
            bus,
            state,
            model: PaperModel::default(),
            venue: Arc::new(RwLock::new(None)),
            broker_error: Arc::new(Mutex::new(None)),
        }
    }

    /// Sends new orders to `venue` from now on (`None`: paper). Orders
    /// already open stay with the venue they went to.
    pub fn set_venue(&self, venue: Option<Arc<LiveVenue>>) {
        *self.venue.write().unwrap_or_else(|p| p.into_inner()) = venue;
        *self.broker_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.bus.publish(Event::TradingChanged);
    }

    /// How many orders are open at `venue`.
    pub fn open_order_count(&self, venue: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .open_orders
            .iter()
            .filter(|o| o.venue == venue)
            .count()
    }

    /// The account's risk limits (what a backtest may be checked against).
    pub fn risk_limits(&self) -> RiskLimits {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .limits
            .clone()
    }

    pub fn venue(&self) -> Option<Arc<LiveVenue>> {
        self.venue.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn live_venue_named(&self, name: &str) -> Result<Arc<LiveVenue>, TradingError> {
        self.venue().filter(|v| v.name() == name).ok_or_else(|| {
            TradingError::Broker(BrokerError::Unreachable {
                broker: "jarvis",
                reason: format!(
                    "this order went to {name}, which is no longer the selected broker; select it again in Settings to manage the order"
                ),
            })
        })
    }

    /// Runs `change` on the state inside one transaction (see
    /// `in_transaction`).
    async fn transact<T: Send + 'static>(
        &self,
        change: impl FnOnce(&Connection, &mut State, &PaperModel) -> Result<(T, Outcome), TradingError>
        + Send
        + 'static,
    ) -> Result<T, TradingError> {
        let journal = self.journal.clone().ok_or(TradingError::Elsewhere)?;
        let state = self.state.clone();
        let model = self.model.clone();
        let (value, outcome) = self
            .db
            .call(move |conn| -> Result<(T, Outcome), TradingError> {
                let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
                in_transaction(conn, &mut guard, &journal, |tx, state| {
                    change(tx, state, &model)
                })
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
        // Nothing reaches a broker from a process that does not trade here.
        self.owner()?;
        let live = match self.venue() {
            Some(venue) => Some(self.live_context(venue, &request).await),
            None => return self.place_paper_async(request, source).await,
        };
        let venue = live.as_ref().map(|l| l.venue.clone());
        let (order, created) = self
            .transact(move |conn, state, model| {
                let mut outcome = Outcome::default();
                let order = place(
                    conn,
                    state,
                    model,
                    request,
                    source,
                    live.as_ref(),
                    Utc::now(),
                    &mut outcome,
                )?;
                let created = !outcome.orders.is_empty();
                Ok(((order, created), outcome))
            })
            .await?;
        match (order?, venue) {
            // Execution at the broker, after the order is committed here: a
            // crash in between leaves an unsent order that start-up sends.
            (order, Some(venue)) if created && order.venue == venue.name() => {
                self.send_live(&venue, order).await
            }
            (order, _) => Ok(order),
        }
    }

    /// Reads the broker's account (and a price for a market order when no
    /// quote has arrived yet) for `place`.
    async fn live_context(&self, venue: Arc<LiveVenue>, request: &OrderRequest) -> LiveContext {
        let snapshot = venue.refresh().await;
        let needs_price = request.order_type == OrderType::Market
            && !self
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .quotes
                .contains_key(&request.symbol);
        if needs_price
            && snapshot.is_ok()
            && let Ok(Some((price, time))) = venue.last_price(&request.symbol).await
        {
            self.set_quote_blocking(
                &request.symbol,
                Quote {
                    price,
                    volume: None,
                    time,
                },
            );
        }
        LiveContext { venue, snapshot }
    }

    /// Sends an accepted order to the broker and records its answer.
    async fn send_live(&self, venue: &Arc<LiveVenue>, order: Order) -> Result<Order, TradingError> {
        if !venue.begin_send(&order.client_order_id) {
            return Ok(order);
        }
        let result = self.send_and_record(venue, &order).await;
        venue.end_send(&order.client_order_id);
        result
    }

    async fn send_and_record(
        &self,
        venue: &Arc<LiveVenue>,
        order: &Order,
    ) -> Result<Order, TradingError> {
        let request = BrokerOrderRequest {
            client_order_id: order.client_order_id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            order_type: order.order_type,
            qty: order.qty,
            limit_price: order.limit_price,
        };
        venue
            .broker()
            .remember_symbol(&order.client_order_id, &order.symbol);
        let answer = submit_reconciled(venue.broker(), &request).await;
        self.record_broker_answer(venue.name(), order.id.clone(), answer)
            .await
    }

    /// Records what the broker said about an order: acknowledgement, fills,
    /// cancel or rejection; an unclear answer is audited and left for the
    /// next sync.
    async fn record_broker_answer(
        &self,
        broker: &'static str,
        order_id: String,
        answer: Result<BrokerOrder, BrokerError>,
    ) -> Result<Order, TradingError> {
        self.transact(move |conn, state, _| {
            let mut outcome = Outcome::default();
            let now = Utc::now();
            let Some(index) = state.open_orders.iter().position(|o| o.id == order_id) else {
                // Closed meanwhile (e.g. cancelled); the broker's later word
                // cannot reopen it.
                let order = store::order_by_id(conn, &order_id)?
                    .ok_or_else(|| TradingError::NoOrder(order_id.clone()))?;
                return Ok((order, outcome));
            };
            match answer {
                Ok(report) => apply_broker_report(conn, state, index, &report, now, &mut outcome)?,
                Err(BrokerError::Rejected { reason, .. }) => {
                    let mut order = state.open_orders.remove(index);
                    order.state = OrderState::Rejected;
                    order.reason = Some(format!("{broker}: {reason}"));
                    order.updated_at = now;
                    store::update_order(conn, &order)?;
                    audit::append(
                        conn,
                        &mut state.head,
                        now,
                        "broker_rejected",
                        Some(&order.id),
                        &json!({"broker": broker, "reason": reason}),
                    )?;
                    outcome.orders.push(order);
                }
                Err(error) => {
                    let order = &mut state.open_orders[index];
                    order.reason = Some(format!(
                        "not confirmed by {broker} yet ({error}); Jarvis checks again by client order id"
                    ));
                    order.updated_at = now;
                    let order = order.clone();
                    store::update_order(conn, &order)?;
                    audit::append(
                        conn,
                        &mut state.head,
                        now,
                        "broker_unconfirmed",
                        Some(&order.id),
                        &json!({"broker": broker, "error": error.to_string()}),
                    )?;
                    outcome.orders.push(order);
                }
            }
            let order = outcome
                .orders
                .last()
                .cloned()
                .unwrap_or_else(|| state.open_orders[index].clone());
            Ok((order, outcome))
        })
        .await
    }

    /// Brings the live broker's account and every open order sent to it up
    /// to date: fills and cancels that happened there are recorded here,
    /// and orders committed here but never received there (a crash between
    /// commit and send) are sent now — found by client order id, so never
    /// twice. Runs at start-up and then periodically.
    pub async fn sync_live(&self) -> Result<(), TradingError> {
        // The process that trades here syncs; another one only reads.
        let (Some(venue), Some(_)) = (self.venue(), &self.journal) else {
            return Ok(());
        };
        let before = venue.snapshot();
        let refreshed = venue.refresh().await;
        *self.broker_error.lock().unwrap_or_else(|p| p.into_inner()) =
            refreshed.as_ref().err().map(|e| e.to_string());
        let open: Vec<Order> = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state
                .open_orders
                .iter()
                .filter(|o| o.venue == venue.name())
                .cloned()
                .collect()
        };
        for order in open {
            if !venue.begin_send(&order.client_order_id) {
                continue; // being sent right now
            }
            let result = self.sync_order(&venue, &order).await;
            venue.end_send(&order.client_order_id);
            if let Err(e) = result {
                tracing::warn!(order = %order.id, broker = venue.name(), error = %e, "order not synced");
            }
        }
        let after = venue.snapshot();
        let moved = match (&before, &after) {
            (Some(b), Some(a)) => b.account != a.account || b.positions != a.positions,
            (None, None) => false,
            _ => true,
        };
        if moved {
            self.bus.publish(Event::TradingChanged);
        }
        refreshed.map(|_| ()).map_err(TradingError::Broker)
    }

    async fn sync_order(&self, venue: &Arc<LiveVenue>, order: &Order) -> Result<(), TradingError> {
        venue
            .broker()
            .remember_symbol(&order.client_order_id, &order.symbol);
        match venue.broker().order(&order.client_order_id).await? {
            Some(report) => {
                self.record_broker_answer(venue.name(), order.id.clone(), Ok(report))
                    .await?;
            }
            None if order.broker_order_id.is_none() => {
                tracing::info!(order = %order.id, broker = venue.name(), "sending an order the broker never received");
                self.send_and_record(venue, order).await?;
            }
            None => tracing::warn!(
                order = %order.id,
                broker = venue.name(),
                "the broker no longer knows an order it acknowledged"
            ),
        }
        Ok(())
    }

    pub async fn cancel_order(&self, id: String) -> Result<Order, TradingError> {
        self.owner()?;
        let live_order = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state
                .open_orders
                .iter()
                .find(|o| o.id == id && o.venue != "paper")
                .cloned()
        };
        if let Some(order) = live_order {
            return self.cancel_live(order).await;
        }
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

    /// Asks the broker to cancel; an order it never received is cancelled
    /// here alone.
    async fn cancel_live(&self, order: Order) -> Result<Order, TradingError> {
        let venue = self.live_venue_named(&order.venue)?;
        if !venue.begin_send(&order.client_order_id) {
            return Err(TradingError::NotOpen {
                id: order.id,
                state: "being sent to the broker; try again in a moment",
            });
        }
        venue
            .broker()
            .remember_symbol(&order.client_order_id, &order.symbol);
        let answer = venue.broker().cancel(&order.client_order_id).await;
        let result = match answer {
            Err(BrokerError::NotFound { .. }) if order.broker_order_id.is_none() => {
                let id = order.id.clone();
                self.transact(move |conn, state, _| {
                    let mut outcome = Outcome::default();
                    let Some(index) = state.open_orders.iter().position(|o| o.id == id) else {
                        return Err(TradingError::NoOrder(id));
                    };
                    let order = cancel(
                        conn,
                        state,
                        index,
                        "cancelled before it reached the broker",
                        Utc::now(),
                        &mut outcome,
                    )?;
                    Ok((order, outcome))
                })
                .await
            }
            Err(e) => Err(TradingError::Broker(e)),
            Ok(report) => {
                self.record_broker_answer(venue.name(), order.id.clone(), Ok(report))
                    .await
            }
        };
        venue.end_send(&order.client_order_id);
        result
    }

    /// Cancels every open order; returns how many. Orders at a real broker
    /// are cancelled there; the first failure is returned after trying all.
    pub async fn cancel_all(&self) -> Result<usize, TradingError> {
        self.owner()?;
        let paper = self
            .transact(|conn, state, _| {
                let mut outcome = Outcome::default();
                let n = cancel_all(conn, state, "cancel all", Utc::now(), &mut outcome)?;
                Ok((n, outcome))
            })
            .await?;
        Ok(paper + self.cancel_all_live().await?)
    }

    async fn cancel_all_live(&self) -> Result<usize, TradingError> {
        let live: Vec<Order> = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state
                .open_orders
                .iter()
                .filter(|o| o.venue != "paper")
                .cloned()
                .collect()
        };
        let mut cancelled = 0;
        let mut first_error = None;
        for order in live {
            match self.cancel_live(order).await {
                Ok(o) if o.state == OrderState::Cancelled => cancelled += 1,
                Ok(_) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(cancelled), Err)
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
        if engaged {
            // New orders are already blocked; now the broker's open ones.
            if let Err(e) = self.cancel_all_live().await {
                tracing::error!(error = %e, "kill switch: an order at the broker could not be cancelled");
                self.bus.publish(Event::TradingChanged);
                return Err(e);
            }
        }
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
                    && state.open_orders[i].venue == PAPER
                    && try_fill(
                        conn,
                        state,
                        model,
                        i,
                        &quote,
                        OrderRow::Stored,
                        now,
                        &mut outcome,
                    )? == Filled::Completely
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
        if let Some(venue) = self.venue() {
            return self.live_account(&venue).await;
        }
        let state = self.fresh_state().await?;
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
            broker: PAPER.into(),
            buying_power: None,
            as_of: None,
            broker_error: None,
        })
    }

    /// The broker's latest snapshot (read now if there is none yet), with
    /// realised P&L and fees from the fills recorded here.
    async fn live_snapshot(&self, venue: &LiveVenue) -> Result<Snapshot, TradingError> {
        match venue.snapshot() {
            Some(s) => Ok(s),
            None => Ok(venue.refresh().await?),
        }
    }

    async fn live_account(&self, venue: &LiveVenue) -> Result<Account, TradingError> {
        let snapshot = self.live_snapshot(venue).await?;
        let ledger = self.venue_ledger(venue.name()).await?;
        let (kill_switch, limits, unrealized) = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let unrealized: Decimal = live_positions(&snapshot, &ledger, |s| state.price_of(s))
                .iter()
                .map(|p| p.unrealized_pnl)
                .sum();
            (state.kill_switch, state.limits.clone(), unrealized)
        };
        let account = &snapshot.account;
        let day_start = venue.day_start_equity().unwrap_or(account.equity);
        Ok(Account {
            starting_cash: day_start,
            cash: account.cash,
            equity: account.equity,
            market_value: account.equity - account.cash,
            realized_pnl: ledger.realized_pnl(),
            unrealized_pnl: unrealized,
            fees: ledger.fees,
            day_pnl: account.equity - day_start,
            kill_switch,
            limits,
            broker: venue.name().into(),
            buying_power: Some(account.buying_power),
            as_of: Some(snapshot.at),
            broker_error: self
                .broker_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        })
    }

    /// What was traded through Jarvis at `venue`, replayed from its fills.
    async fn venue_ledger(&self, venue: &'static str) -> Result<Portfolio, TradingError> {
        let fills = self
            .read(move |conn| store::venue_fills(conn, venue))
            .await?;
        let mut ledger = Portfolio::new(Decimal::ZERO);
        for f in fills {
            ledger.apply_fill(&f.symbol, f.side, f.qty, f.price, f.fee);
        }
        Ok(ledger)
    }

    pub async fn positions(&self) -> Result<Vec<Position>, TradingError> {
        if let Some(venue) = self.venue() {
            let snapshot = self.live_snapshot(&venue).await?;
            let ledger = self.venue_ledger(venue.name()).await?;
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            return Ok(live_positions(&snapshot, &ledger, |s| state.price_of(s)));
        }
        let state = self.fresh_state().await?;
        Ok(state.portfolio.positions(|s| state.price_of(s)))
    }

    pub async fn orders(&self, limit: u32) -> Result<Vec<Order>, TradingError> {
        self.read(move |conn| store::recent_orders(conn, limit.clamp(1, 1000)))
            .await
    }

    pub async fn fills(&self, limit: u32) -> Result<Vec<Fill>, TradingError> {
        self.read(move |conn| store::fills(conn, limit.clamp(1, 1000)))
            .await
    }

    pub async fn audit_entries(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, TradingError> {
        self.read(move |conn| audit::list(conn, before, limit.clamp(1, 1000)))
            .await
    }

    pub async fn verify_audit(&self) -> Result<AuditVerification, TradingError> {
        self.read(audit::verify).await
    }

    /// Reads the trading tables once the journal's queue is in them.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, TradingError> {
        let journal = self.journal.clone();
        self.db
            .call(move |conn| {
                if let Some(journal) = journal {
                    journal.apply_all(conn)?;
                }
                Ok(query(conn)?)
            })
            .await
    }

    /// Places a paper order: the whole pipeline on the caller's thread,
    /// committed by one journal append (see `journal`).
    fn place_paper(
        &self,
        request: OrderRequest,
        source: OrderSource,
    ) -> Result<Order, TradingError> {
        let journal = self.owner()?;
        let lock_state = || self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let state = lock_state();
            if !state.stale {
                return self.place_paper_locked(state, journal, request, source);
            }
            drop(state);
            // The database first, then the state: the order every change
            // takes them in. Another order may fail in between: look again.
            self.db.call_blocking(|conn| {
                let mut state = lock_state();
                match state.stale {
                    true => reload(conn, &mut state, journal),
                    false => Ok(()),
                }
            })?;
        }
    }

    /// `place_paper` from async code: on the caller's thread when the state
    /// is free and fresh (microseconds), else on a blocking thread, which
    /// may wait for a change in progress or reload the state.
    async fn place_paper_async(
        &self,
        request: OrderRequest,
        source: OrderSource,
    ) -> Result<Order, TradingError> {
        let journal = self.owner()?;
        let free = match self.state.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        if let Some(guard) = free.filter(|g| !g.stale) {
            return self.place_paper_locked(guard, journal, request, source);
        }
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.place_paper(request, source))
            .await
            .map_err(task_failed)?
    }

    fn place_paper_locked(
        &self,
        mut guard: std::sync::MutexGuard<'_, State>,
        journal: &Journal,
        request: OrderRequest,
        source: OrderSource,
    ) -> Result<Order, TradingError> {
        let state = &mut *guard;
        let head_before = state.head.clone();
        // Changed in place, and stale until the record is written: an error
        // or a panic half-way leaves it to be reloaded from what is
        // committed before anyone uses it.
        state.stale = true;
        let recorder = Recorder::new(journal);
        let mut outcome = Outcome::default();
        let placed = place(
            &recorder,
            state,
            &self.model,
            request,
            source,
            None,
            Utc::now(),
            &mut outcome,
        )
        .and_then(|placed| {
            if state.head.0 != head_before.0 {
                audit::save_head(&recorder, &state.head)?;
                journal.append(recorder, &head_before, &state.head, outcome.orders.clone())?;
            }
            Ok(placed)
        })?;
        state.stale = false;
        drop(guard);
        self.announce(&outcome);
        placed
    }

    /// The journal, when this process trades on the database.
    fn owner(&self) -> Result<&Arc<Journal>, TradingError> {
        self.journal.as_ref().ok_or(TradingError::Elsewhere)
    }

    /// The in-memory state, reloaded first when it may be behind what is
    /// committed: a change failed half-way, or another process trades.
    async fn fresh_state(&self) -> Result<State, TradingError> {
        let reader = self.journal.is_none();
        {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if !reader && !state.stale {
                return Ok(state.clone());
            }
        }
        let state = self.state.clone();
        let journal = self.journal.clone();
        self.db
            .call(move |conn| {
                // Decided again with the state held: someone may have
                // reloaded it, and traded since.
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                if reader || state.stale {
                    let fresh = load_state(conn, journal.as_deref())?;
                    replace_state(&mut state, fresh);
                }
                Ok(state.clone())
            })
            .await
    }

    /// The paper pipeline without the async hop, for the benchmark.
    #[doc(hidden)]
    pub fn place_blocking(&self, request: OrderRequest) -> Result<Order, TradingError> {
        self.place_paper(request, OrderSource::Strategy)
    }

    #[doc(hidden)]
    pub fn set_quote_blocking(&self, symbol: &str, quote: Quote) {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.quotes.insert(symbol.to_string(), quote);
    }
}

/// The broker's positions, valued at the latest quotes; the average price
/// is the broker's, or what Jarvis paid where the broker does not keep one
/// (Binance Spot balances).
fn live_positions(
    snapshot: &Snapshot,
    ledger: &Portfolio,
    price_of: impl Fn(&str) -> Option<Decimal>,
) -> Vec<Position> {
    snapshot
        .positions
        .iter()
        .map(|p| {
            let held = ledger.holdings.get(&p.symbol);
            let avg = if p.avg_price.is_zero() {
                held.map_or(Decimal::ZERO, |h| h.avg_price())
            } else {
                p.avg_price
            };
            let mark = price_of(&p.symbol).unwrap_or(avg);
            Position {
                symbol: p.symbol.clone(),
                qty: p.qty,
                avg_price: avg,
                market_price: mark,
                market_value: p.qty * mark,
                unrealized_pnl: if avg.is_zero() {
                    Decimal::ZERO
                } else {
                    p.qty * (mark - avg)
                },
                realized_pnl: held.map_or(Decimal::ZERO, |h| h.realized_pnl),
            }
        })
        .collect()
}

/// Records a broker's report on open order `index`: acknowledgement, the
/// newly filled part, and a final state.
fn apply_broker_report(
    conn: &Connection,
    state: &mut State,
    index: usize,
    report: &BrokerOrder,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> rusqlite::Result<()> {
    let before = &state.open_orders[index];
    let fees_recorded = store::fees_of_order(conn, &before.id)?;
    let Some((order, fill)) = live::apply_report(before, report, fees_recorded, now) else {
        return Ok(());
    };
    let venue = before.venue.clone();
    if before.broker_order_id.is_none() {
        audit::append(
            conn,
            &mut state.head,
            now,
            "broker_acknowledged",
            Some(&order.id),
            &json!({"broker": venue, "broker_order_id": report.broker_id}),
        )?;
    }
    if let Some(fill) = fill {
        store::insert_fill(conn, &fill)?;
        audit::append(
            conn,
            &mut state.head,
            now,
            "fill",
            Some(&order.id),
            &json!({
                "execution": {"qty": fill.qty.to_string(), "price": fill.price.to_string(), "fee": fill.fee.to_string()},
                "order_state": order.state.as_str(),
                "settlement": {"by": venue, "broker_filled_qty": report.filled_qty.to_string()},
            }),
        )?;
        outcome.fills.push(fill);
    }
    store::update_order(conn, &order)?;
    if matches!(order.state, OrderState::Cancelled | OrderState::Rejected) {
        audit::append(
            conn,
            &mut state.head,
            now,
            if order.state == OrderState::Cancelled {
                "order_cancelled"
            } else {
                "broker_rejected"
            },
            Some(&order.id),
            &json!({"broker": venue, "reason": order.reason, "filled_qty": order.filled_qty.to_string()}),
        )?;
    }
    if order.state.is_open() {
        state.open_orders[index] = order.clone();
    } else {
        state.open_orders.remove(index);
    }
    outcome.orders.push(order);
    Ok(())
}

/// Runs `change` on the state inside one transaction, after the journal's
/// queue. The state is changed in place; if anything fails the transaction
/// rolls back and the state is reloaded from SQLite, the source of truth,
/// keeping only the quotes (which are not stored). Refusals are `Ok`
/// values: their audit entries commit.
fn in_transaction<T>(
    conn: &mut Connection,
    state: &mut State,
    journal: &Journal,
    change: impl FnOnce(&Connection, &mut State) -> Result<T, TradingError>,
) -> Result<T, TradingError> {
    if state.stale {
        reload(conn, state, journal)?;
    }
    let head_before = state.head.0;
    let attempt = (|| {
        let tx = conn.transaction()?;
        // Journaled changes go in first, in order.
        let journaled = journal.apply_queued(&tx)?;
        // Stale until committed: a panic half-way leaves it to be reloaded.
        state.stale = true;
        let result = change(&tx, state)?;
        if state.head.0 != head_before {
            audit::save_head(&*tx, &state.head)?;
        }
        tx.commit()?;
        state.stale = false;
        if let Some(seq) = journaled {
            journal.forget(seq);
        }
        Ok(result)
    })();
    if attempt.is_err()
        && let Err(e) = reload(conn, state, journal)
    {
        state.stale = true;
        tracing::error!(error = %e, "trading state could not be reloaded after a failed write");
    }
    attempt
}

/// Replaces `state` with what is committed, keeping only the quotes
/// (which are not stored).
fn reload(conn: &mut Connection, state: &mut State, journal: &Journal) -> Result<(), TradingError> {
    let fresh = load_state(conn, Some(journal))?;
    replace_state(state, fresh);
    Ok(())
}

/// `state` becomes `fresh`, keeping what is not stored: the quotes, and
/// the recent orders the per-minute limit counts.
fn replace_state(state: &mut State, fresh: State) {
    let quotes = std::mem::take(&mut state.quotes);
    let recent = std::mem::take(&mut state.recent);
    *state = State {
        quotes,
        recent,
        ..fresh
    };
}

/// The account, holdings, open orders and audit head, as committed, with
/// the journal's queue applied first.
fn load_state(conn: &mut Connection, journal: Option<&Journal>) -> Result<State, TradingError> {
    // A process that does not trade here only reads: no write lock.
    let tx = match journal {
        Some(_) => conn.transaction()?,
        None => conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?,
    };
    let journaled = match journal {
        Some(journal) => journal.apply_queued(&tx)?,
        None => None,
    };
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
            store::save_account(&*tx, &a)?;
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
        stale: false,
    };
    tx.commit()?;
    if let (Some(journal), Some(seq)) = (journal, journaled) {
        journal.forget(seq);
    }
    Ok(state)
}

/// A new UTC day starts a new daily-loss window.
fn roll_day(conn: &dyn Ledger, state: &mut State, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let today = now.date_naive();
    if state.day != today {
        state.day = today;
        state.day_start_equity = state.equity();
        store::save_account(conn, &state.account_row())?;
    }
    Ok(())
}

/// Audits a refused order and hands back the refusal: `stage` is
/// "validation", "risk" or "execution"; the check is the refused field or
/// risk check.
fn refuse(
    conn: &dyn Ledger,
    state: &mut State,
    request: &OrderRequest,
    source: OrderSource,
    stage: &'static str,
    error: TradingError,
    now: DateTime<Utc>,
) -> Result<Result<Order, TradingError>, TradingError> {
    let (check, reason) = match &error {
        TradingError::Invalid(i) => (i.field.to_string(), i.reason.clone()),
        TradingError::Risk(r) => (r.check.to_string(), r.reason.clone()),
        other => ("broker".to_string(), other.to_string()),
    };
    audit::append(
        conn,
        &mut state.head,
        now,
        "order_refused",
        None,
        &json!({"request": request, "source": store::source_str(source), "stage": stage, "check": check, "reason": reason}),
    )?;
    Ok(Err(error))
}

fn invalid(field: &'static str, reason: String) -> TradingError {
    TradingError::Invalid(Invalid { field, reason })
}

/// Checks only a real broker can answer: does it trade the instrument, is
/// the market open for a market order, and what can be spent.
fn live_checks<'a>(
    live: &'a LiveContext,
    request: &OrderRequest,
    instrument: &Instrument,
) -> Result<&'a Snapshot, Box<(&'static str, TradingError)>> {
    if let Err(reason) = live.venue.broker().supports(instrument) {
        return Err(Box::new(("validation", invalid("symbol", reason))));
    }
    let snapshot = match &live.snapshot {
        Ok(s) => s,
        Err(e) => {
            return Err(Box::new(("execution", TradingError::Broker(e.clone()))));
        }
    };
    if let Some(clock) = &snapshot.clock
        && !clock.is_open
        && request.order_type == OrderType::Market
    {
        let opens = clock
            .next_open
            .map(|t| format!("; it opens {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        return Err(Box::new((
            "validation",
            invalid(
                "type",
                format!(
                    "the market for {} is closed{opens}. A market order would wait and fill at an unknown price; place a limit order instead",
                    request.symbol
                ),
            ),
        )));
    }
    Ok(snapshot)
}

/// Signal → validation → risk → order → execution → settlement.
/// `Ok(Err(_))` is a refusal (audited, committed); `Err(_)` a failure.
/// With a real broker (`live`) execution and settlement happen there
/// after this commits; on paper they happen here.
#[allow(clippy::too_many_arguments)] // one call site each; a struct would only rename them
fn place(
    conn: &dyn Ledger,
    state: &mut State,
    model: &PaperModel,
    request: OrderRequest,
    source: OrderSource,
    live: Option<&LiveContext>,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> Result<Result<Order, TradingError>, TradingError> {
    // Idempotent: the same client order id returns the first order.
    if let Some(id) = &request.client_order_id
        && let Some(existing) = conn.order_by_client_id(id)?
    {
        return Ok(Ok(existing));
    }
    roll_day(conn, state, now)?;

    let instrument: Instrument = match validate::validate(&request) {
        Ok(i) => i,
        Err(invalid) => {
            return refuse(
                conn,
                state,
                &request,
                source,
                "validation",
                TradingError::Invalid(invalid),
                now,
            );
        }
    };
    let snapshot = match live
        .map(|l| live_checks(l, &request, &instrument))
        .transpose()
    {
        Ok(s) => s,
        Err(refusal) => {
            let (stage, error) = *refusal;
            return refuse(conn, state, &request, source, stage, error, now);
        }
    };
    let price = match (request.order_type, request.limit_price) {
        (OrderType::Limit, Some(limit)) => limit,
        _ => match state.price_of(&request.symbol) {
            Some(p) => p,
            None => {
                let reason = format!(
                    "no price for {} yet: start market data for it (a replay on the Trading screen) or use a limit order",
                    request.symbol
                );
                return refuse(
                    conn,
                    state,
                    &request,
                    source,
                    "validation",
                    invalid("symbol", reason),
                    now,
                );
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
    // With a real broker, what can be spent and what is held are its figures.
    let (cash, equity, position_qty, day_start_equity, fee_estimate) = match (snapshot, live) {
        (Some(s), Some(l)) => (
            s.account.buying_power,
            s.account.equity,
            s.position_qty(&request.symbol),
            l.venue.day_start_equity().unwrap_or(s.account.equity),
            Decimal::ZERO,
        ),
        _ => (
            state.portfolio.cash,
            state.equity(),
            state.portfolio.qty(&request.symbol),
            state.day_start_equity,
            model.fee(request.qty, price),
        ),
    };
    let input = RiskInput {
        limits: &state.limits,
        kill_switch: state.kill_switch,
        side: request.side,
        qty: request.qty,
        price,
        fee_estimate,
        position_qty,
        open_orders: state.open_orders.len() as u32,
        orders_last_minute: state.recent.len(),
        cash,
        equity,
        day_start_equity,
    };
    if let Err(rejection) = risk::check(&input) {
        return refuse(
            conn,
            state,
            &request,
            source,
            "risk",
            TradingError::Risk(rejection),
            now,
        );
    }

    let venue = live.map_or(PAPER, |l| l.venue.name());
    // Time-ordered (v7): orders keyed by id and client order id are added at
    // the end of their indexes, not at random places that split pages.
    let id = uuid::Uuid::now_v7().to_string();
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
        venue: venue.to_string(),
        broker_order_id: None,
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
        &steps::Signal {
            request: &request,
            source: store::source_str(source),
        },
    )?;
    audit::append(
        conn,
        &mut state.head,
        now,
        "checks_passed",
        oid,
        &steps::ChecksPassed {
            checks: steps::CHECKS,
            instrument: &instrument,
            price,
        },
    )?;
    // The signal holds the rest of the order; its id is the entry's.
    audit::append(
        conn,
        &mut state.head,
        now,
        "order_accepted",
        oid,
        &steps::OrderAccepted {
            broker: venue,
            client_order_id: &order.client_order_id,
        },
    )?;
    state.recent.push_back(now);
    state.open_orders.push(order);
    let index = state.open_orders.len() - 1;
    let placed = state.open_orders[index].clone();
    outcome.orders.push(placed.clone());
    // Execution on paper: fill against the latest quote now, or rest until
    // a quote reaches the order. An order filled at once is stored once, in
    // its final state.
    if live.is_none()
        && let Some(quote) = state.quotes.get(&placed.symbol).cloned()
        && try_fill(
            conn,
            state,
            model,
            index,
            &quote,
            OrderRow::New,
            now,
            outcome,
        )? != Filled::Not
    {
        let updated = outcome.orders.iter().rev().find(|o| o.id == placed.id);
        return Ok(Ok(updated.cloned().unwrap_or(placed)));
    }
    store::insert_order(conn, &placed)?;
    Ok(Ok(placed))
}

/// The audit payloads of the paper pipeline's steps, written straight to
/// JSON text without building a `serde_json::Value` first.
mod steps {
    use rust_decimal::Decimal;
    use serde::Serialize;

    use crate::orders::OrderRequest;
    use crate::validate::Instrument;

    pub const CHECKS: [&str; 8] = [
        "validation",
        "kill_switch",
        "daily_loss_limit",
        "max_orders_per_minute",
        "max_open_orders",
        "max_order_value",
        "max_position_value",
        "buying_power",
    ];

    #[derive(Serialize)]
    pub struct Signal<'a> {
        pub request: &'a OrderRequest,
        pub source: &'static str,
    }

    #[derive(Serialize)]
    pub struct ChecksPassed<'a> {
        pub checks: [&'static str; 8],
        pub instrument: &'a Instrument,
        #[serde(with = "rust_decimal::serde::str")]
        pub price: Decimal,
    }

    #[derive(Serialize)]
    pub struct OrderAccepted<'a> {
        pub broker: &'a str,
        pub client_order_id: &'a str,
    }

    #[derive(Serialize)]
    pub struct PaperFill {
        pub execution: Execution,
        pub order_state: &'static str,
        pub settlement: Settlement,
    }

    #[derive(Serialize)]
    pub struct Execution {
        #[serde(with = "rust_decimal::serde::str")]
        pub fee: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        pub price: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        pub qty: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        pub quote: Decimal,
    }

    #[derive(Serialize)]
    pub struct Settlement {
        #[serde(with = "rust_decimal::serde::str")]
        pub cash: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        pub position: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        pub realized_pnl: Decimal,
    }
}

/// Whether an order's row is in the database yet.
#[derive(Clone, Copy, PartialEq)]
enum OrderRow {
    Stored,
    New,
}

/// How much of an order `try_fill` filled.
#[derive(PartialEq)]
enum Filled {
    Not,
    Partly,
    Completely,
}

/// Execution and settlement of open order `index` at `quote`; a complete
/// order is removed from the open list. Nothing is written when nothing
/// fills, not even a `New` row.
#[allow(clippy::too_many_arguments)] // two call sites; a struct would only rename them
fn try_fill(
    conn: &dyn Ledger,
    state: &mut State,
    model: &PaperModel,
    index: usize,
    quote: &Quote,
    row: OrderRow,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> rusqlite::Result<Filled> {
    let order = &state.open_orders[index];
    let Some(instrument) = Instrument::for_symbol(&order.symbol) else {
        return Ok(Filled::Not);
    };
    let Some(exec) = model.execute(order, quote, instrument.tick_size, instrument.lot_size) else {
        return Ok(Filled::Not);
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

    match row {
        OrderRow::New => store::insert_order(conn, &order)?,
        OrderRow::Stored => store::update_order(conn, &order)?,
    }
    store::insert_fill(conn, &fill)?;
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
        &steps::PaperFill {
            execution: steps::Execution {
                fee: fill.fee,
                price: fill.price,
                qty: fill.qty,
                quote: quote.price,
            },
            order_state: order.state.as_str(),
            settlement: steps::Settlement {
                cash: state.portfolio.cash,
                position: holding.qty,
                realized_pnl: holding.realized_pnl,
            },
        },
    )?;
    let filled = if order.state == OrderState::Filled {
        state.open_orders.remove(index);
        Filled::Completely
    } else {
        Filled::Partly
    };
    outcome.fills.push(fill);
    outcome.orders.push(order);
    Ok(filled)
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
    // Orders at a real broker are cancelled there, not here.
    let mut n = 0;
    while let Some(index) = state.open_orders.iter().position(|o| o.venue == PAPER) {
        cancel(conn, state, index, reason, now, outcome)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::Side;

    fn buy(qty: &str) -> OrderRequest {
        OrderRequest {
            symbol: "AAPL".into(),
            side: Side::Buy,
            qty: qty.parse().unwrap(),
            order_type: OrderType::Market,
            limit_price: None,
            client_order_id: None,
        }
    }

    /// A service on a new database in `dir`, AAPL at 100, one bought.
    async fn holding_one(dir: &std::path::Path) -> TradingService {
        let db = Database::open(&dir.join("jarvis.db")).unwrap();
        let trading = TradingService::open(db, EventBus::new()).await.unwrap();
        let quote = Quote {
            price: "100".parse().unwrap(),
            volume: None,
            time: Utc::now(),
        };
        trading.on_quote("AAPL".into(), quote).await.unwrap();
        trading
            .place_order(buy("1"), OrderSource::Api)
            .await
            .unwrap();
        trading
    }

    #[tokio::test]
    async fn a_record_that_cannot_apply_is_set_aside_and_trading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let trading = holding_one(dir.path()).await;

        // A record that does not follow the trail (as if written by a
        // build that knew another history) reaches the applier.
        let journal = trading.journal.clone().unwrap();
        {
            let state = trading.state.lock().unwrap();
            let recorder = Recorder::new(&journal);
            let far = (state.head.0 + 9, "ab".repeat(32));
            audit::save_head(&recorder, &far).unwrap();
            let from = (state.head.0 + 5, "cd".repeat(32));
            journal.append(recorder, &from, &far, Vec::new()).unwrap();
        }
        let aside = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().contains(".unapplied-"))
        };
        for _ in 0..200 {
            if aside() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(aside(), "the journal was set aside");

        // Trading goes on, on the committed history.
        let order = trading
            .place_order(buy("2"), OrderSource::Api)
            .await
            .unwrap();
        assert_eq!(order.filled_qty, Decimal::TWO);
        assert_eq!(trading.orders(10).await.unwrap().len(), 2);
        assert_eq!(trading.positions().await.unwrap()[0].qty, Decimal::from(3));
        assert!(trading.verify_audit().await.unwrap().ok);
    }

    #[tokio::test]
    async fn an_order_the_journal_refuses_leaves_no_trace_in_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let trading = holding_one(dir.path()).await;
        trading.orders(1).await.unwrap(); // in SQLite
        let before = trading.account().await.unwrap();

        // The journal stops (a record it could never apply): the next order
        // is refused, and the state it had already changed is reloaded.
        let journal = trading.journal.clone().unwrap();
        journal.stop(&JournalError::Stopped("a test".into()));
        let err = trading
            .place_order(buy("5"), OrderSource::Api)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("restart Jarvis"), "{err}");
        let after = trading.account().await.unwrap();
        assert_eq!((after.cash, after.fees), (before.cash, before.fees));
        let positions = trading.positions().await.unwrap();
        assert_eq!(positions[0].qty, Decimal::ONE);
    }
}
