//! Signal → paper fill through the whole pipeline (validation, risk,
//! order, execution, settlement, four audit entries, one SQLite commit on
//! a real file in WAL mode), per order.
//!
//! `cargo bench -p jarvis-trading --bench pipeline [-- ORDERS]`

use std::time::Instant;

use chrono::Utc;
use jarvis_core::EventBus;
use jarvis_store::Database;
use jarvis_trading::TradingService;
use jarvis_trading::orders::{OrderRequest, OrderSource, OrderType, Side};
use jarvis_trading::paper::Quote;
use jarvis_trading::risk::RiskLimits;
use rust_decimal::Decimal;

fn request(i: usize) -> OrderRequest {
    OrderRequest {
        symbol: "AAPL".into(),
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        qty: Decimal::ONE,
        order_type: OrderType::Market,
        limit_price: None,
        client_order_id: None,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn report(name: &str, mut micros: Vec<f64>) {
    micros.sort_by(f64::total_cmp);
    println!(
        "{name}: {} orders, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        micros.len(),
        percentile(&micros, 0.50),
        percentile(&micros, 0.90),
        percentile(&micros, 0.99),
        percentile(&micros, 0.999),
        micros[micros.len() - 1]
    );
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    let trading = TradingService::open_blocking(db.clone(), EventBus::new()).unwrap();
    let generous = RiskLimits {
        max_orders_per_minute: u32::MAX,
        ..RiskLimits::default()
    };
    runtime.block_on(trading.set_limits(generous)).unwrap();
    trading.set_quote_blocking(
        "AAPL",
        Quote {
            price: "187.25".parse().unwrap(),
            volume: None,
            time: Utc::now(),
        },
    );

    // Warm the statement cache and the page cache.
    for i in 0..200 {
        db.call_blocking(|conn| trading.place_blocking(conn, request(i)))
            .unwrap();
    }
    let mut sync = Vec::with_capacity(count);
    for i in 0..count {
        let started = Instant::now();
        let order = db
            .call_blocking(|conn| trading.place_blocking(conn, request(i)))
            .unwrap();
        sync.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(order.filled_qty, Decimal::ONE);
    }
    report("pipeline (on the caller's thread)", sync);

    let mut service = Vec::with_capacity(count);
    runtime.block_on(async {
        for i in 0..count {
            let started = Instant::now();
            trading
                .place_order(request(i), OrderSource::Strategy)
                .await
                .unwrap();
            service.push(started.elapsed().as_secs_f64() * 1e6);
        }
    });
    report(
        "TradingService::place_order (async, via the DB thread pool)",
        service,
    );
    let verified = runtime.block_on(trading.verify_audit()).unwrap();
    println!(
        "audit chain: {} entries, intact: {}",
        verified.entries, verified.ok
    );
}
