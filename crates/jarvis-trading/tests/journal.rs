//! The paper order journal against real files: orders acknowledged but not
//! yet in SQLite when the process dies are applied by the next start, once;
//! a record cut short is ignored; a second process on the same data
//! directory does not trade.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

use chrono::Utc;
use jarvis_core::EventBus;
use jarvis_store::Database;
use jarvis_trading::orders::{OrderRequest, OrderSource, OrderState, OrderType, Side};
use jarvis_trading::paper::Quote;
use jarvis_trading::{TradingError, TradingService};
use rust_decimal::Decimal;

const JOURNAL: &str = "jarvis.db-trading-journal";

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn market(side: Side, qty: &str, client_order_id: Option<&str>) -> OrderRequest {
    OrderRequest {
        symbol: "AAPL".into(),
        side,
        qty: d(qty),
        order_type: OrderType::Market,
        limit_price: None,
        client_order_id: client_order_id.map(str::to_owned),
    }
}

async fn open(dir: &Path) -> TradingService {
    let db = Database::open(&dir.join("jarvis.db")).unwrap();
    TradingService::open(db, EventBus::new()).await.unwrap()
}

/// Opens `dir` again: it holds `orders` orders, and the chain verifies.
async fn reopens_with_orders(dir: &Path, orders: usize) {
    let trading = open(dir).await;
    assert_eq!(trading.orders(10).await.unwrap().len(), orders);
    let verified = trading.verify_audit().await.unwrap();
    assert!(verified.ok, "{verified:?}");
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Places orders while the database's writer is held, so that they are
/// journaled and acknowledged but not applied, then copies the database
/// and the journal as a crash would leave them.
async fn crash_with_orders_in_the_journal(crashed: &Path) -> Vec<String> {
    let running = tempfile::tempdir().unwrap();
    let db = Database::open(&running.path().join("jarvis.db")).unwrap();
    let trading = TradingService::open(db.clone(), EventBus::new())
        .await
        .unwrap();
    let quote = Quote {
        price: d("100"),
        volume: None,
        time: Utc::now(),
    };
    trading.on_quote("AAPL".into(), quote).await.unwrap();
    trading
        .place_order(market(Side::Buy, "3", None), OrderSource::Api)
        .await
        .unwrap();
    trading.orders(1).await.unwrap(); // in SQLite

    let (release, held) = mpsc::channel::<()>();
    let (holding, writer_held) = mpsc::channel::<()>();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            db.call_blocking(|_| {
                holding.send(()).unwrap();
                held.recv()
            })
        })
    };
    writer_held.recv().unwrap();
    let mut acknowledged = Vec::new();
    for (side, id) in [(Side::Buy, "c-1"), (Side::Sell, "c-2"), (Side::Buy, "c-3")] {
        let order = trading
            .place_order(market(side, "2", Some(id)), OrderSource::Api)
            .await
            .unwrap();
        assert_eq!(order.state, OrderState::Filled);
        acknowledged.push(order.id);
    }
    // Idempotent while still only in the journal.
    let again = trading
        .place_order(market(Side::Buy, "2", Some("c-1")), OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(again.id, acknowledged[0]);

    // The crash: what SQLite holds now, and the journal file.
    let snapshot = rusqlite::Connection::open(running.path().join("jarvis.db")).unwrap();
    snapshot
        .execute(
            "VACUUM INTO ?1",
            [crashed.join("jarvis.db").to_str().unwrap()],
        )
        .unwrap();
    std::fs::copy(running.path().join(JOURNAL), crashed.join(JOURNAL)).unwrap();
    release.send(()).unwrap();
    writer.join().unwrap().unwrap();
    acknowledged
}

#[tokio::test]
async fn orders_only_in_the_journal_are_applied_once_by_the_next_start() {
    let crashed = tempfile::tempdir().unwrap();
    let acknowledged = crash_with_orders_in_the_journal(crashed.path()).await;
    let db = crashed.path().join("jarvis.db");
    assert_eq!(count(&db, "SELECT count(*) FROM trading_orders"), 1);

    let trading = open(crashed.path()).await;
    let orders = trading.orders(10).await.unwrap();
    assert_eq!(orders.len(), 4);
    for id in &acknowledged {
        let order = orders.iter().find(|o| &o.id == id).unwrap();
        assert_eq!(
            (order.state, order.filled_qty),
            (OrderState::Filled, d("2"))
        );
    }
    // Settlement agrees with the fills: 3 + 2 − 2 + 2 held.
    let fills = trading.fills(10).await.unwrap();
    assert_eq!(fills.len(), 4);
    let cash = fills.iter().fold(d("100000"), |cash, f| match f.side {
        Side::Buy => cash - f.qty * f.price - f.fee,
        Side::Sell => cash + f.qty * f.price - f.fee,
    });
    assert_eq!(trading.account().await.unwrap().cash, cash);
    assert_eq!(trading.positions().await.unwrap()[0].qty, d("5"));
    let verified = trading.verify_audit().await.unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.entries, 16);
    drop(trading);

    // A second start applies nothing twice.
    let trading = open(crashed.path()).await;
    assert_eq!(trading.orders(10).await.unwrap().len(), 4);
    assert_eq!(trading.verify_audit().await.unwrap().entries, 16);
    // The journal is emptied once everything is in SQLite.
    drop(trading);
    assert_eq!(
        std::fs::metadata(crashed.path().join(JOURNAL))
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_record_cut_short_by_a_crash_is_left_out() {
    let crashed = tempfile::tempdir().unwrap();
    let acknowledged = crash_with_orders_in_the_journal(crashed.path()).await;
    // The last record loses its end, as if the process died writing it:
    // that order was never acknowledged, so it is not applied.
    let journal = crashed.path().join(JOURNAL);
    let len = std::fs::metadata(&journal).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(len - 10)
        .unwrap();

    let trading = open(crashed.path()).await;
    let orders = trading.orders(10).await.unwrap();
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().all(|o| o.id != acknowledged[2]));
    let verified = trading.verify_audit().await.unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.entries, 12);

    // Trading goes on from there, over the cut record.
    let quote = Quote {
        price: d("101"),
        volume: None,
        time: Utc::now(),
    };
    trading.on_quote("AAPL".into(), quote).await.unwrap();
    let order = trading
        .place_order(market(Side::Sell, "1", Some("c-4")), OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    drop(trading);
    reopens_with_orders(crashed.path(), 4).await;
}

#[tokio::test]
async fn garbage_after_the_records_is_ignored() {
    let crashed = tempfile::tempdir().unwrap();
    crash_with_orders_in_the_journal(crashed.path()).await;
    std::fs::OpenOptions::new()
        .append(true)
        .open(crashed.path().join(JOURNAL))
        .unwrap()
        .write_all(&[0x5a; 100])
        .unwrap();
    reopens_with_orders(crashed.path(), 4).await;
}

#[tokio::test]
async fn a_second_process_on_the_same_data_reads_but_does_not_trade() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).await);
    // Another process holds the journal (a lock on its own open file).
    let other = std::fs::File::options()
        .read(true)
        .write(true)
        .open(dir.path().join(JOURNAL))
        .unwrap();
    other.lock().unwrap();

    let trading = open(dir.path()).await;
    let err = trading
        .place_order(market(Side::Buy, "1", None), OrderSource::Ui)
        .await
        .unwrap_err();
    assert!(matches!(err, TradingError::Elsewhere), "{err}");
    assert!(err.to_string().contains("another Jarvis process"));
    assert!(trading.set_kill_switch(true).await.is_err());
    assert!(trading.orders(10).await.unwrap().is_empty());
    assert!(trading.verify_audit().await.unwrap().ok);
}
