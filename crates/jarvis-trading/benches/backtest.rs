//! Backtest throughput: SMA(10, 20) crossover over one-minute bars.
//!
//! `cargo bench -p jarvis-trading --bench backtest [-- BARS [CSV]]`
//! Writes a random-walk CSV of BARS bars (default 1,000,000) unless CSV is
//! given, then reports loading the CSV and the engine separately (the
//! engine's time includes converting the bars to fixed point).
//! `scripts/bench-backtest` runs this beside backtesting.py and vectorbt on
//! the same file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use jarvis_trading::{BacktestConfig, load_csv, run, strategy};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (path, _keep) = match args.get(1) {
        Some(p) => (PathBuf::from(p), None),
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("bars.csv");
            write_random_walk(&path, count);
            (path, Some(dir))
        }
    };

    // The first load is what a `jarvisd backtest` process pays; later ones
    // may reuse memory the first freed.
    let mut loads = Vec::new();
    let mut bars = Vec::new();
    for _ in 0..3 {
        drop(bars);
        let started = Instant::now();
        bars = load_csv(&path).expect("load bars");
        loads.push(started.elapsed().as_secs_f64());
    }
    println!(
        "load csv: {} bars, first {:.1} ms ({:.2} M bars/s), best of 3 {:.1} ms",
        bars.len(),
        loads[0] * 1e3,
        bars.len() as f64 / loads[0] / 1e6,
        loads.iter().copied().fold(f64::MAX, f64::min) * 1e3
    );

    // The run (commission 0.002: on a random walk the money runs
    // out and most bars are flat), then one in the market at every bar
    // (commission 0), where the loop must walk every bar.
    for (commission, label) in [("0.002", ""), ("0", ", commission 0")] {
        let config = BacktestConfig {
            cash: 10_000.into(),
            commission: commission.parse().unwrap(),
            fills: jarvis_trading::Fills::BacktestingPy,
            exclusive_orders: true,
            curve_points: 2_000,
            risk: None,
        };
        let mut best = f64::MAX;
        let mut result = None;
        for _ in 0..7 {
            let mut s = strategy::build("sma-cross", &BTreeMap::new()).unwrap();
            let started = Instant::now();
            result = Some(run(&bars, s.as_mut(), &config).expect("backtest"));
            best = best.min(started.elapsed().as_secs_f64());
        }
        let stats = result.expect("seven runs").stats;
        println!(
            "engine sma-cross(10,20){label}: {} bars, {} trades, {:.1}% of bars in the market, \
             best of 7 {:.2} ms = {:.1} M bars/s",
            bars.len(),
            stats.trades,
            stats.exposure_pct,
            best * 1e3,
            bars.len() as f64 / best / 1e6
        );
    }
    // Two parts of the engine's time, on their own.
    let started = Instant::now();
    let fixed = jarvis_trading::backtest::fixed_prices(&bars).unwrap();
    let convert = started.elapsed();
    let mut s = strategy::build("sma-cross", &BTreeMap::new()).unwrap();
    let started = Instant::now();
    s.prepare(&strategy::Series::new(&bars, &fixed)).unwrap();
    println!(
        "  of which bars to fixed point {:.2} ms, sma-cross prepare {:.2} ms",
        convert.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// A deterministic random walk (xorshift), prices with 2 decimals.
fn write_random_walk(path: &std::path::Path, count: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create csv"));
    writeln!(out, "timestamp,Open,High,Low,Close,Volume").unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = 1_577_836_800i64; // 2020-01-01T00:00:00Z
    let mut cents: i64 = 10_000;
    for i in 0..count as i64 {
        let open = cents;
        let close = (open + (next() % 41) as i64 - 20).max(100);
        let high = open.max(close) + (next() % 10) as i64;
        let low = (open.min(close) - (next() % 10) as i64).max(1);
        cents = close;
        let ts = chrono::DateTime::from_timestamp(start + i * 60, 0).unwrap();
        writeln!(
            out,
            "{},{}.{:02},{}.{:02},{}.{:02},{}.{:02},{}",
            ts.format("%Y-%m-%d %H:%M:%S"),
            open / 100,
            open % 100,
            high / 100,
            high % 100,
            low / 100,
            low % 100,
            close / 100,
            close % 100,
            100 + next() % 1000
        )
        .unwrap();
    }
}
