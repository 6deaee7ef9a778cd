//! `jarvisd backtest` as scripts use it: JSON on stdout, errors that name
//! the line or parameter, a non-zero exit on bad input.

use std::path::Path;
use std::process::{Command, Output};

fn jarvisd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .args(args)
        .output()
        .expect("run jarvisd")
}

/// 40 daily bars: down, then up, then down, so SMA(3, 5) crosses both ways.
fn write_bars(dir: &Path) -> String {
    let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
    for day in 0..40 {
        let close = match day {
            0..=9 => 100 - day,
            10..=24 => 90 + (day - 10) * 2,
            _ => 118 - (day - 24) * 4,
        };
        let date =
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(day as u64);
        csv.push_str(&format!(
            "{date},{close}.5,{},{},{close},1000\n",
            close + 2,
            close - 1
        ));
    }
    let path = dir.join("bars.csv");
    std::fs::write(&path, csv).unwrap();
    path.display().to_string()
}

/// SMA(3, 5) on `data`: cash 10,000, commission 0.002, exclusive orders,
/// JSON out.
fn sma_cross_json(data: &str) -> Vec<&str> {
    vec![
        "backtest",
        "--data",
        data,
        "--strategy",
        "sma-cross",
        "--param",
        "fast=3",
        "--param",
        "slow=5",
        "--cash",
        "10000",
        "--commission",
        "0.002",
        "--exclusive-orders",
        "--json",
    ]
}

#[test]
fn prints_trades_and_stats_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_bars(dir.path());
    let out = jarvisd(&sma_cross_json(&data));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let trades = report["trades"].as_array().unwrap();
    assert!(!trades.is_empty(), "{report}");
    let first = &trades[0];
    // The first cross is up (a long), filled at the next bar's open.
    assert_eq!(
        first["entry_time"].as_str().unwrap().len(),
        "2024-01-13T00:00:00Z".len()
    );
    assert!(
        first["entry_price"].as_str().unwrap().ends_with(".5"),
        "{first}"
    );
    assert!(first["size"].as_str().unwrap().parse::<i64>().unwrap() > 0);
    assert_eq!(
        report["stats"]["trades"].as_u64().unwrap() as usize,
        trades.len()
    );
    assert!(report["stats"]["equity_final"].is_string());
    assert_eq!(report["params"]["fast"], "3");
}

#[test]
fn paper_fills_slip_each_fill_by_the_paper_brokers_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_bars(dir.path());
    let run = |fills: &str| {
        let mut args = sma_cross_json(&data);
        args.extend(["--fills", fills]);
        let out = jarvisd(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (rules, paper) = (run("backtesting.py"), run("paper"));
    assert_eq!(rules["fills"], "backtesting.py");
    assert_eq!(paper["fills"], "paper");
    let price = |report: &serde_json::Value, key: &str| -> rust_decimal::Decimal {
        report["trades"][0][key].as_str().unwrap().parse().unwrap()
    };
    // The long enters at the same bar, at its open moved up 1 bp and
    // rounded up to the cent, and exits at that open moved down and
    // rounded down.
    assert_eq!(
        rules["trades"][0]["entry_bar"],
        paper["trades"][0]["entry_bar"]
    );
    let bp = |price: rust_decimal::Decimal, sign: i64| {
        price * (rust_decimal::Decimal::ONE + rust_decimal::Decimal::new(sign, 4))
    };
    let cents = rust_decimal::Decimal::ONE_HUNDRED;
    assert_eq!(
        price(&paper, "entry_price"),
        (bp(price(&rules, "entry_price"), 1) * cents).ceil() / cents
    );
    assert_eq!(
        price(&paper, "exit_price"),
        (bp(price(&rules, "exit_price"), -1) * cents).floor() / cents
    );

    let mut args = sma_cross_json(&data);
    args.extend(["--fills", "live"]);
    let out = jarvisd(&args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected backtesting.py or paper"), "{err}");
}

#[test]
fn a_bad_row_is_refused_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,1,1,5\n2024-01-02,1,2,x,1,5\n",
    )
    .unwrap();
    let out = jarvisd(&[
        "backtest",
        "--data",
        path.to_str().unwrap(),
        "--strategy",
        "sma-cross",
        "--json",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3: Low: not a number"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_strategies_and_parameters_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_bars(dir.path());
    let out = jarvisd(&["backtest", "--data", &data, "--strategy", "moon"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown strategy \"moon\""));

    let out = jarvisd(&[
        "backtest",
        "--data",
        &data,
        "--strategy",
        "sma-cross",
        "--param",
        "fast=50",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("parameter fast: must be shorter than slow")
    );

    let out = jarvisd(&[
        "backtest",
        "--data",
        &data,
        "--strategy",
        "sma-cross",
        "--param",
        "fast",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn human_output_lists_trades() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_bars(dir.path());
    let out = jarvisd(&[
        "backtest",
        "--data",
        &data,
        "--strategy",
        "breakout",
        "--param",
        "lookback=5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("final equity"), "{text}");
    assert!(text.contains("breakout over 40 bars"), "{text}");
}
