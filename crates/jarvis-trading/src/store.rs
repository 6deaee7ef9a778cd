//! Trading rows in SQLite. Every function runs inside the caller's
//! transaction; money is decimal TEXT. Writes go through a [`Ledger`]: the
//! open transaction itself, or a journal record applied to it just after
//! (see `journal`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use rust_decimal::Decimal;

use crate::orders::{Fill, Order, OrderSource, OrderState, OrderType, Side};
use crate::portfolio::{Holding, Portfolio};
use crate::risk::RiskLimits;

/// Where a change to the trading tables goes, and the one read a change
/// makes of them (idempotent orders, by client order id).
pub(crate) trait Ledger {
    fn execute(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<()>;
    fn order_by_client_id(&self, client_order_id: &str) -> rusqlite::Result<Option<Order>>;
}

impl Ledger for Connection {
    fn execute(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
        self.prepare_cached(sql)?.execute(params)?;
        Ok(())
    }

    fn order_by_client_id(&self, client_order_id: &str) -> rusqlite::Result<Option<Order>> {
        order_by_client_id(self, client_order_id)
    }
}

fn conversion(i: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("bad {what}").into(),
    )
}

fn dec(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Decimal> {
    let text: String = row.get(i)?;
    Decimal::from_str(&text).map_err(|_| conversion(i, "decimal"))
}

fn opt_dec(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Decimal>> {
    let text: Option<String> = row.get(i)?;
    text.map(|t| Decimal::from_str(&t).map_err(|_| conversion(i, "decimal")))
        .transpose()
}

fn time(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(i)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| conversion(i, "time"))
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    crate::audit::format_time(t)
}

/// The account row as stored.
pub(crate) struct AccountRow {
    pub starting_cash: Decimal,
    pub cash: Decimal,
    pub fees: Decimal,
    pub kill_switch: bool,
    pub limits: RiskLimits,
    pub day: NaiveDate,
    pub day_start_equity: Decimal,
}

pub(crate) fn load_account(conn: &Connection) -> rusqlite::Result<Option<AccountRow>> {
    conn.query_row(
        "SELECT starting_cash, cash, fees, kill_switch, limits, day, day_start_equity
         FROM trading_account WHERE id = 1",
        [],
        |r| {
            let limits: String = r.get(4)?;
            let day: String = r.get(5)?;
            Ok(AccountRow {
                starting_cash: dec(r, 0)?,
                cash: dec(r, 1)?,
                fees: dec(r, 2)?,
                kill_switch: r.get(3)?,
                limits: serde_json::from_str(&limits).map_err(|_| conversion(4, "limits"))?,
                day: NaiveDate::from_str(&day).map_err(|_| conversion(5, "day"))?,
                day_start_equity: dec(r, 6)?,
            })
        },
    )
    .optional()
}

pub(crate) fn save_account(w: &dyn Ledger, a: &AccountRow) -> rusqlite::Result<()> {
    w.execute(
        "INSERT INTO trading_account (id, starting_cash, cash, fees, kill_switch, limits, day, day_start_equity)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET starting_cash = ?1, cash = ?2, fees = ?3, kill_switch = ?4,
           limits = ?5, day = ?6, day_start_equity = ?7",
        params![
            a.starting_cash.to_string(),
            a.cash.to_string(),
            a.fees.to_string(),
            a.kill_switch,
            serde_json::to_string(&a.limits).unwrap_or_default(),
            a.day.to_string(),
            a.day_start_equity.to_string(),
        ],
    )
}

pub(crate) fn load_holdings(conn: &Connection) -> rusqlite::Result<BTreeMap<String, Holding>> {
    let mut stmt = conn.prepare("SELECT symbol, qty, cost, realized_pnl FROM trading_holdings")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Holding {
                qty: dec(r, 1)?,
                cost: dec(r, 2)?,
                realized_pnl: dec(r, 3)?,
            },
        ))
    })?;
    rows.collect()
}

pub(crate) fn save_holding(w: &dyn Ledger, symbol: &str, h: &Holding) -> rusqlite::Result<()> {
    w.execute(
        "INSERT INTO trading_holdings (symbol, qty, cost, realized_pnl) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (symbol) DO UPDATE SET qty = ?2, cost = ?3, realized_pnl = ?4",
        params![
            symbol,
            h.qty.to_string(),
            h.cost.to_string(),
            h.realized_pnl.to_string()
        ],
    )
}

/// Cash and fees only: the hot path's account write.
pub(crate) fn save_cash(w: &dyn Ledger, p: &Portfolio) -> rusqlite::Result<()> {
    w.execute(
        "UPDATE trading_account SET cash = ?1, fees = ?2 WHERE id = 1",
        params![p.cash.to_string(), p.fees.to_string()],
    )
}

/// The order columns, in the order `order` reads them.
macro_rules! order_columns {
    () => {
        "id, client_order_id, symbol, side, order_type, qty, limit_price, filled_qty,
    avg_fill_price, state, reason, source, created_at, updated_at, venue, broker_order_id"
    };
}
const ORDER: &str = order_columns!();

fn order(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    let side: String = r.get(3)?;
    let order_type: String = r.get(4)?;
    let state: String = r.get(9)?;
    let source: String = r.get(11)?;
    Ok(Order {
        id: r.get(0)?,
        client_order_id: r.get(1)?,
        symbol: r.get(2)?,
        side: match side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            _ => return Err(conversion(3, "side")),
        },
        order_type: match order_type.as_str() {
            "market" => OrderType::Market,
            "limit" => OrderType::Limit,
            _ => return Err(conversion(4, "order type")),
        },
        qty: dec(r, 5)?,
        limit_price: opt_dec(r, 6)?,
        filled_qty: dec(r, 7)?,
        avg_fill_price: opt_dec(r, 8)?,
        state: OrderState::parse(&state).ok_or_else(|| conversion(9, "state"))?,
        reason: r.get(10)?,
        source: match source.as_str() {
            "ui" => OrderSource::Ui,
            "api" => OrderSource::Api,
            "voice" => OrderSource::Voice,
            "strategy" => OrderSource::Strategy,
            _ => return Err(conversion(11, "source")),
        },
        created_at: time(r, 12)?,
        updated_at: time(r, 13)?,
        venue: r.get(14)?,
        broker_order_id: r.get(15)?,
    })
}

pub(crate) fn source_str(source: OrderSource) -> &'static str {
    match source {
        OrderSource::Ui => "ui",
        OrderSource::Api => "api",
        OrderSource::Voice => "voice",
        OrderSource::Strategy => "strategy",
    }
}

pub(crate) fn insert_order(w: &dyn Ledger, o: &Order) -> rusqlite::Result<()> {
    w.execute(
        concat!(
            "INSERT INTO trading_orders (",
            order_columns!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ),
        params![
            o.id,
            o.client_order_id,
            o.symbol,
            o.side.as_str(),
            match o.order_type {
                OrderType::Market => "market",
                OrderType::Limit => "limit",
            },
            o.qty.to_string(),
            o.limit_price.map(|p| p.to_string()),
            o.filled_qty.to_string(),
            o.avg_fill_price.map(|p| p.to_string()),
            o.state.as_str(),
            o.reason,
            source_str(o.source),
            ts(o.created_at),
            ts(o.updated_at),
            o.venue,
            o.broker_order_id,
        ],
    )
}

pub(crate) fn update_order(w: &dyn Ledger, o: &Order) -> rusqlite::Result<()> {
    w.execute(
        "UPDATE trading_orders SET filled_qty = ?2, avg_fill_price = ?3, state = ?4, reason = ?5,
           updated_at = ?6, broker_order_id = ?7 WHERE id = ?1",
        params![
            o.id,
            o.filled_qty.to_string(),
            o.avg_fill_price.map(|p| p.to_string()),
            o.state.as_str(),
            o.reason,
            ts(o.updated_at),
            o.broker_order_id,
        ],
    )
}

pub(crate) fn insert_fill(w: &dyn Ledger, f: &Fill) -> rusqlite::Result<()> {
    w.execute(
        "INSERT INTO trading_fills (order_id, symbol, side, qty, price, fee, time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            f.order_id,
            f.symbol,
            f.side.as_str(),
            f.qty.to_string(),
            f.price.to_string(),
            f.fee.to_string(),
            ts(f.time),
        ],
    )
}

/// What the fills recorded for an order have paid in fees.
pub(crate) fn fees_of_order(conn: &Connection, order_id: &str) -> rusqlite::Result<Decimal> {
    let mut stmt = conn.prepare_cached("SELECT fee FROM trading_fills WHERE order_id = ?1")?;
    let fees = stmt.query_map([order_id], |row| dec(row, 0))?;
    fees.sum()
}

pub(crate) fn order_by_client_id(
    conn: &Connection,
    client_order_id: &str,
) -> rusqlite::Result<Option<Order>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        order_columns!(),
        " FROM trading_orders WHERE client_order_id = ?1"
    ))?
    .query_row([client_order_id], order)
    .optional()
}

pub(crate) fn order_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<Order>> {
    conn.prepare_cached(&format!("SELECT {ORDER} FROM trading_orders WHERE id = ?1"))?
        .query_row([id], order)
        .optional()
}

pub(crate) fn open_orders(conn: &Connection) -> rusqlite::Result<Vec<Order>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ORDER} FROM trading_orders WHERE state IN ('accepted', 'partially_filled') ORDER BY created_at"
    ))?;
    let rows = stmt.query_map([], order)?;
    rows.collect()
}

pub(crate) fn recent_orders(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<Order>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ORDER} FROM trading_orders ORDER BY rowid DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], order)?;
    rows.collect()
}

pub(crate) fn fills(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<Fill>> {
    let mut stmt = conn.prepare_cached(
        "SELECT order_id, symbol, side, qty, price, fee, time FROM trading_fills ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], fill)?;
    rows.collect()
}

fn fill(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fill> {
    let side: String = r.get(2)?;
    Ok(Fill {
        order_id: r.get(0)?,
        symbol: r.get(1)?,
        side: if side == "buy" { Side::Buy } else { Side::Sell },
        qty: dec(r, 3)?,
        price: dec(r, 4)?,
        fee: dec(r, 5)?,
        time: time(r, 6)?,
    })
}

/// The newest audit entry's (seq, hash), or the genesis.
pub(crate) fn audit_head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, crate::audit::GENESIS.to_string())))
}

/// Every fill of orders executed at `venue`, oldest first.
pub(crate) fn venue_fills(conn: &Connection, venue: &str) -> rusqlite::Result<Vec<Fill>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.order_id, f.symbol, f.side, f.qty, f.price, f.fee, f.time
           FROM trading_fills f JOIN trading_orders o ON o.id = f.order_id
          WHERE o.venue = ?1 ORDER BY f.id",
    )?;
    let rows = stmt.query_map([venue], fill)?;
    rows.collect()
}
