//! The order pipeline against a real SQLite file: fills, refusals, the kill
//! switch, idempotency, restart, and the audit chain catching tampering.

use chrono::Utc;
use jarvis_core::{Event, EventBus};
use jarvis_store::Database;
use jarvis_trading::orders::{OrderRequest, OrderSource, OrderState, OrderType, Side};
use jarvis_trading::paper::Quote;
use jarvis_trading::risk::RiskLimits;
use jarvis_trading::{TradingError, TradingService};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn market(symbol: &str, side: Side, qty: &str) -> OrderRequest {
    OrderRequest {
        symbol: symbol.into(),
        side,
        qty: d(qty),
        order_type: OrderType::Market,
        limit_price: None,
        client_order_id: None,
    }
}

fn limit(symbol: &str, side: Side, qty: &str, price: &str) -> OrderRequest {
    OrderRequest {
        order_type: OrderType::Limit,
        limit_price: Some(d(price)),
        ..market(symbol, side, qty)
    }
}

fn quote(price: &str) -> Quote {
    Quote {
        price: d(price),
        volume: None,
        time: Utc::now(),
    }
}

async fn open(dir: &std::path::Path) -> (Database, TradingService, EventBus) {
    let db = Database::open(&dir.join("jarvis.db")).unwrap();
    let bus = EventBus::new();
    let service = TradingService::open(db.clone(), bus.clone()).await.unwrap();
    (db, service, bus)
}

#[tokio::test]
async fn a_market_order_fills_settles_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, bus) = open(dir.path()).await;
    let mut events = bus.subscribe();
    trading.on_quote("AAPL".into(), quote("100")).await.unwrap();

    let order = trading
        .place_order(market("AAPL", Side::Buy, "10"), OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Filled);
    // One basis point of slippage, rounded up to the cent.
    assert_eq!(order.avg_fill_price, Some(d("100.01")));
    let account = trading.account().await.unwrap();
    assert_eq!(account.cash, d("100000") - d("1000.10"));
    assert_eq!(account.equity, account.cash + d("1000"));
    let positions = trading.positions().await.unwrap();
    assert_eq!(
        (positions[0].symbol.as_str(), positions[0].qty),
        ("AAPL", d("10"))
    );

    let mut saw_fill = false;
    while let Ok(e) = events.try_recv() {
        saw_fill |= matches!(e, Event::OrderFilled { ref symbol, .. } if symbol == "AAPL");
    }
    assert!(saw_fill, "a fill event was published");

    drop(trading);
    let (_db, again, _) = open(dir.path()).await;
    let account = again.account().await.unwrap();
    assert_eq!(account.cash, d("98999.90"));
    assert_eq!(again.positions().await.unwrap()[0].qty, d("10"));
    assert_eq!(again.orders(10).await.unwrap()[0].id, order.id);
    let verified = again.verify_audit().await.unwrap();
    assert!(verified.ok, "{verified:?}");
    assert!(verified.entries >= 4);
}

#[tokio::test]
async fn refusals_name_the_check_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    let err = trading
        .place_order(market("AAPL", Side::Buy, "10"), OrderSource::Ui)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TradingError::Invalid(i) if i.field == "symbol"),
        "{err}"
    );
    assert!(err.to_string().contains("no price for AAPL"), "{err}");

    trading.on_quote("AAPL".into(), quote("100")).await.unwrap();
    let err = trading
        .place_order(market("AAPL", Side::Buy, "-5"), OrderSource::Voice)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TradingError::Invalid(i) if i.field == "qty"),
        "{err}"
    );
    let err = trading
        .place_order(market("AAPL", Side::Buy, "1000"), OrderSource::Api)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TradingError::Risk(r) if r.check == "max_order_value"),
        "{err}"
    );

    let entries = trading.audit_entries(None, 10).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e.kind == "order_refused"));
    assert!(
        entries[0].payload.contains("\"check\":\"max_order_value\""),
        "{}",
        entries[0].payload
    );
    assert!(
        trading.orders(10).await.unwrap().is_empty(),
        "a refusal creates no order"
    );
}

#[tokio::test]
async fn the_kill_switch_cancels_open_orders_and_blocks_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    trading.on_quote("MSFT".into(), quote("400")).await.unwrap();
    let resting = trading
        .place_order(limit("MSFT", Side::Buy, "5", "390"), OrderSource::Ui)
        .await
        .unwrap();
    assert_eq!(resting.state, OrderState::Accepted);

    let account = trading.set_kill_switch(true).await.unwrap();
    assert!(account.kill_switch);
    let orders = trading.orders(10).await.unwrap();
    assert_eq!(orders[0].state, OrderState::Cancelled);
    assert_eq!(orders[0].reason.as_deref(), Some("kill switch engaged"));

    for source in [
        OrderSource::Ui,
        OrderSource::Api,
        OrderSource::Voice,
        OrderSource::Strategy,
    ] {
        let err = trading
            .place_order(market("MSFT", Side::Buy, "1"), source)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TradingError::Risk(r) if r.check == "kill_switch"),
            "{source:?}: {err}"
        );
    }
    // It stays engaged across a restart until a person releases it.
    drop(trading);
    let (_db, trading, _) = open(dir.path()).await;
    assert!(trading.account().await.unwrap().kill_switch);
    trading.set_kill_switch(false).await.unwrap();
    trading.on_quote("MSFT".into(), quote("400")).await.unwrap();
    assert!(
        trading
            .place_order(market("MSFT", Side::Buy, "1"), OrderSource::Api)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn resting_limit_orders_fill_when_the_price_reaches_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    trading.on_quote("NVDA".into(), quote("120")).await.unwrap();
    let order = trading
        .place_order(limit("NVDA", Side::Buy, "10", "115"), OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(order.state, OrderState::Accepted);
    trading.on_quote("NVDA".into(), quote("116")).await.unwrap();
    assert_eq!(
        trading.orders(1).await.unwrap()[0].state,
        OrderState::Accepted
    );
    trading
        .on_quote("NVDA".into(), quote("114.50"))
        .await
        .unwrap();
    let filled = &trading.orders(1).await.unwrap()[0];
    assert_eq!(filled.state, OrderState::Filled);
    assert_eq!(filled.avg_fill_price, Some(d("114.52")));
}

#[tokio::test]
async fn partial_fills_follow_the_volume() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    let q = |v: &str| Quote {
        price: d("50"),
        volume: Some(d(v)),
        time: Utc::now(),
    };
    trading.on_quote("AMD".into(), q("100")).await.unwrap();
    let order = trading
        .place_order(market("AMD", Side::Buy, "40"), OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(
        (order.state, order.filled_qty),
        (OrderState::PartiallyFilled, d("25"))
    );
    trading.on_quote("AMD".into(), q("100")).await.unwrap();
    let order = &trading.orders(1).await.unwrap()[0];
    assert_eq!(
        (order.state, order.filled_qty),
        (OrderState::Filled, d("40"))
    );
    assert_eq!(trading.fills(10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_same_client_order_id_never_trades_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    trading.on_quote("AAPL".into(), quote("100")).await.unwrap();
    let mut request = market("AAPL", Side::Buy, "3");
    request.client_order_id = Some("retry-1".into());
    let first = trading
        .place_order(request.clone(), OrderSource::Api)
        .await
        .unwrap();
    let second = trading
        .place_order(request, OrderSource::Api)
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(trading.positions().await.unwrap()[0].qty, d("3"));
}

#[tokio::test]
async fn limits_are_validated_and_changes_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    let bad = RiskLimits {
        max_open_orders: 0,
        ..RiskLimits::default()
    };
    let err = trading.set_limits(bad).await.unwrap_err();
    assert!(matches!(&err, TradingError::Invalid(i) if i.field == "max_open_orders"));
    let tight = RiskLimits {
        max_order_value: d("100"),
        ..RiskLimits::default()
    };
    assert_eq!(
        trading
            .set_limits(tight)
            .await
            .unwrap()
            .limits
            .max_order_value,
        d("100")
    );
    assert_eq!(
        trading.audit_entries(None, 1).await.unwrap()[0].kind,
        "limits_changed"
    );
}

/// Builds a chain of real orders, applies `sql` to the file, verifies.
async fn tampered(sql: &str) -> jarvis_trading::audit::AuditVerification {
    let dir = tempfile::tempdir().unwrap();
    let (_db, trading, _) = open(dir.path()).await;
    trading.on_quote("AAPL".into(), quote("100")).await.unwrap();
    for _ in 0..3 {
        trading
            .place_order(market("AAPL", Side::Buy, "1"), OrderSource::Api)
            .await
            .unwrap();
    }
    let intact = trading.verify_audit().await.unwrap();
    assert!(intact.ok && intact.entries >= 12, "{intact:?}");
    let conn = rusqlite::Connection::open(dir.path().join("jarvis.db")).unwrap();
    conn.execute_batch(sql).unwrap();
    jarvis_trading::audit::verify(&conn).unwrap()
}

#[tokio::test]
async fn the_audit_chain_names_the_first_tampered_entry() {
    // One changed byte in entry 5's payload.
    let bad =
        tampered("UPDATE audit_log SET payload = replace(payload, '\"1\"', '\"2\"') WHERE seq = 5")
            .await;
    assert!(!bad.ok);
    assert_eq!(bad.first_bad.unwrap().seq, 5);
    // A changed time.
    let bad =
        tampered("UPDATE audit_log SET time = '2020-01-01T00:00:00.000000Z' WHERE seq = 2").await;
    assert_eq!(bad.first_bad.unwrap().seq, 2);
    // A deletion: entry 8 no longer follows 6.
    let bad = tampered("DELETE FROM audit_log WHERE seq = 7").await;
    let first = bad.first_bad.unwrap();
    assert_eq!(first.seq, 8);
    assert!(
        first.reason.contains("expected entry 7"),
        "{}",
        first.reason
    );
    // A reordering: entries 3 and 4 swap places.
    let bad = tampered(
        "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4;
         UPDATE audit_log SET seq = 4 WHERE seq = -1",
    )
    .await;
    assert_eq!(bad.first_bad.unwrap().seq, 3);
    // The newest entries cut off: the head recorded with the account says so.
    let bad = tampered("DELETE FROM audit_log WHERE seq > 10").await;
    let first = bad.first_bad.unwrap();
    assert_eq!(first.seq, 11);
    assert!(
        first.reason.contains("removed from the end"),
        "{}",
        first.reason
    );
}
