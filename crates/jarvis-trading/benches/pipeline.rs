//! Signal → paper fill through the whole pipeline (validation, risk,
//! order, execution, settlement, four audit entries, committed by one
//! journal append beside a real SQLite file in WAL mode), per order: one
//! order a millisecond, each one alone as a strategy sends them; then back
//! to back; then back to back through the async service. After each run the bench
//! waits until SQLite holds every order, so that one run's backlog does
//! not weigh on the next, and prints how long that took.
//!
//! `cargo bench -p jarvis-trading --bench pipeline [-- ORDERS]`

use std::time::{Duration, Instant};

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

/// Waits until SQLite holds every order (a read applies what the journal
/// still queues).
fn drain(runtime: &tokio::runtime::Runtime, trading: &TradingService) {
    let started = Instant::now();
    runtime.block_on(trading.orders(1)).unwrap();
    println!(
        "  all in SQLite {:.1} ms later",
        started.elapsed().as_secs_f64() * 1e3
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

    // Warm the code, the allocator and the page cache.
    for i in 0..200 {
        trading.place_blocking(request(i)).unwrap();
    }
    drain(&runtime, &trading);

    let paced_count = count.min(5_000);
    let mut paced = Vec::with_capacity(paced_count);
    let start = Instant::now();
    for i in 0..paced_count {
        let due = start + Duration::from_millis(i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let started = Instant::now();
        trading.place_blocking(request(i)).unwrap();
        paced.push(started.elapsed().as_secs_f64() * 1e6);
    }
    report("pipeline, one order a millisecond (caller's thread)", paced);
    drain(&runtime, &trading);

    let mut back_to_back = Vec::with_capacity(count);
    for i in 0..count {
        let started = Instant::now();
        let order = trading.place_blocking(request(i)).unwrap();
        back_to_back.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(order.filled_qty, Decimal::ONE);
    }
    report("pipeline, back to back (caller's thread)", back_to_back);
    drain(&runtime, &trading);

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
    report("TradingService::place_order (async)", service);
    drain(&runtime, &trading);

    let verified = runtime.block_on(trading.verify_audit()).unwrap();
    let stored = runtime.block_on(trading.orders(1000)).unwrap();
    assert!(verified.ok, "{verified:?}");
    assert!(stored.len() == 1000 && stored.iter().all(|o| o.filled_qty == Decimal::ONE));
    println!(
        "audit chain: {} entries, intact: {}",
        verified.entries, verified.ok
    );
}
