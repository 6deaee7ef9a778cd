//! `jarvisd audit verify`: exit 0 with the count when the chain is intact,
//! exit 1 naming the first bad entry when not.

use std::process::Command;

use jarvis_app::DATABASE_FILE;
use jarvis_trading::orders::{OrderRequest, OrderSource, OrderType, Side};
use jarvis_trading::paper::Quote;

fn verify(dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .args(["--secrets", "env"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn verify_reports_the_count_then_the_first_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = jarvis_store::Database::open(&dir.path().join(DATABASE_FILE)).unwrap();
        let trading = jarvis_trading::TradingService::open(db, jarvis_core::EventBus::new())
            .await
            .unwrap();
        let quote = Quote {
            price: "100".parse().unwrap(),
            volume: None,
            time: chrono::Utc::now(),
        };
        trading.on_quote("AAPL".into(), quote).await.unwrap();
        for _ in 0..2 {
            let request = OrderRequest {
                symbol: "AAPL".into(),
                side: Side::Buy,
                qty: "1".parse().unwrap(),
                order_type: OrderType::Market,
                limit_price: None,
                client_order_id: None,
            };
            trading
                .place_order(request, OrderSource::Api)
                .await
                .unwrap();
        }
    }
    let (code, out) = verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "audit chain intact: 8 entries");

    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute("UPDATE audit_log SET kind = 'fill ' WHERE seq = 4", [])
        .unwrap();
    drop(conn);
    let (code, out) = verify(dir.path());
    assert_eq!(code, 1);
    assert!(out.starts_with("audit chain broken at entry 4:"), "{out}");
}
