//! Backtest statistics. Money stays `Decimal`; ratios (returns, Sharpe…)
//! are f64 because they are measures, not amounts.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use ts_rs::TS;

use crate::backtest::Trade;
use crate::bars::Bar;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Stats {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bars: usize,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub equity_final: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub equity_peak: Decimal,
    pub return_pct: f64,
    pub buy_and_hold_return_pct: f64,
    /// Compound annual growth over the calendar span; null under a day.
    pub cagr_pct: Option<f64>,
    /// Per-bar returns, annualised by bars per calendar year; risk-free 0.
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    /// Deepest fall from a peak, as a negative percentage.
    pub max_drawdown_pct: f64,
    pub trades: usize,
    pub win_rate_pct: Option<f64>,
    /// Gross profit over gross loss; null when nothing lost.
    pub profit_factor: Option<f64>,
    /// Share of bars with a position open.
    pub exposure_pct: f64,
}

fn ratio(a: Decimal, b: Decimal) -> f64 {
    if b.is_zero() {
        return 0.0;
    }
    (a / b).to_f64().unwrap_or(0.0)
}

/// Equity statistics gathered bar by bar as the backtest runs, so no
/// per-bar curve has to be kept. Values are the engine's fixed-point money:
/// integers of 10^-`scale` units.
pub(crate) struct EquityStats {
    scale: u32,
    unit: f64,
    last: i128,
    peak: i128,
    /// `peak` as a value, kept rather than recomputed every bar.
    peak_value: f64,
    /// The lowest equity since `peak` was reached.
    trough: i128,
    /// Deepest equity / peak − 1 of the peaks before `peak` (≤ 0).
    max_drawdown: f64,
    previous: f64,
    /// Per-bar returns: count, sum, sum of squares, sum of squared losses.
    count: f64,
    sum: f64,
    sum_squares: f64,
    sum_losses_squared: f64,
}

impl EquityStats {
    pub(crate) fn new(scale: u32, starting: i128) -> Self {
        let unit = 10f64.powi(scale as i32);
        Self {
            scale,
            unit,
            last: starting,
            peak: starting,
            peak_value: to_f64(starting) / unit,
            trough: starting,
            max_drawdown: 0.0,
            previous: to_f64(starting) / unit,
            count: 0.0,
            sum: 0.0,
            sum_squares: 0.0,
            sum_losses_squared: 0.0,
        }
    }

    /// Divides only when it must: the drawdown is worked out once per peak,
    /// from the lowest equity since it (dividing by a positive peak keeps
    /// the order, so it is the same figure as dividing every bar), and an
    /// unchanged equity is a return of exactly 0. A division every bar was
    /// most of the backtest loop's time.
    #[inline]
    pub(crate) fn push(&mut self, fixed: i128) {
        if fixed > self.peak {
            self.max_drawdown = self.max_drawdown();
            self.peak = fixed;
            self.peak_value = to_f64(fixed) / self.unit;
            self.trough = fixed;
        } else if fixed < self.trough {
            self.trough = fixed;
        }
        if fixed == self.last {
            // value / previous − 1 = 0: adds nothing to the sums.
            if self.previous > 0.0 {
                self.count += 1.0;
            }
            return;
        }
        self.last = fixed;
        let value = to_f64(fixed) / self.unit;
        if self.previous > 0.0 {
            let r = value / self.previous - 1.0;
            self.count += 1.0;
            self.sum += r;
            self.sum_squares += r * r;
            // Without a branch: returns fall as often as they rise, and a
            // mispredicted branch cost more than the rest of the bar. Adding
            // 0 for a gain changes nothing (the sum is never −0).
            let loss = r.min(0.0);
            self.sum_losses_squared += loss * loss;
        }
        self.previous = value;
    }

    /// `bars` more bars at the last equity: returns of exactly 0.
    pub(crate) fn push_unchanged(&mut self, bars: usize) {
        if self.previous > 0.0 {
            self.count += bars as f64;
        }
    }

    /// Deepest equity / peak − 1 so far (≤ 0).
    pub(crate) fn max_drawdown(&self) -> f64 {
        if self.peak <= 0 {
            return self.max_drawdown;
        }
        let deepest = to_f64(self.trough) / self.unit / self.peak_value - 1.0;
        self.max_drawdown.min(deepest)
    }

    pub(crate) fn last(&self) -> Decimal {
        Decimal::from_i128_with_scale(self.last, self.scale).normalize()
    }

    /// Annualised by bars per calendar year; risk-free rate 0.
    fn risk_ratios(&self, years: f64) -> (Option<f64>, Option<f64>) {
        if self.count < 2.0 || years <= 0.0 {
            return (None, None);
        }
        let n = self.count;
        let mean = self.sum / n;
        let variance = ((self.sum_squares - n * mean * mean) / (n - 1.0)).max(0.0);
        let downside = (self.sum_losses_squared / n).sqrt();
        let annualise = (n / years).sqrt();
        let sharpe = (variance > 0.0).then(|| mean / variance.sqrt() * annualise);
        let sortino = (downside > 0.0).then(|| mean / downside * annualise);
        (sharpe, sortino)
    }
}

/// i128 → f64 through i64 when it fits (a hardware conversion; the i128
/// one is a library call). The same value either way; the wide case is
/// kept out of line, or the compiler merges both arms into the library call.
#[inline]
fn to_f64(v: i128) -> f64 {
    match i64::try_from(v) {
        Ok(v) => v as f64,
        Err(_) => wide_to_f64(v),
    }
}

#[cold]
#[inline(never)]
fn wide_to_f64(v: i128) -> f64 {
    v as f64
}

pub(crate) fn compute_stats(
    bars: &[Bar],
    equity: &EquityStats,
    trades: &[Trade],
    open_entry_bars: &[usize],
    cash: Decimal,
) -> Stats {
    let n = bars.len();
    let (start, end) = (bars[0].ts, bars[n - 1].ts);
    let equity_final = equity.last();
    let equity_peak = Decimal::from_i128_with_scale(equity.peak, equity.scale).normalize();
    let years = (end - start).num_seconds() as f64 / (365.25 * 86_400.0);
    let (sharpe, sortino) = equity.risk_ratios(years);

    let wins = trades.iter().filter(|t| t.pnl > Decimal::ZERO).count();
    let gross_profit: Decimal = trades.iter().map(|t| t.pnl.max(Decimal::ZERO)).sum();
    let gross_loss: Decimal = trades.iter().map(|t| (-t.pnl).max(Decimal::ZERO)).sum();

    // Bars with a position: closed trades entry..=exit, open ones to the end.
    let mut delta = vec![0i32; n + 1];
    for (from, to) in trades
        .iter()
        .map(|t| (t.entry_bar, t.exit_bar))
        .chain(open_entry_bars.iter().map(|&e| (e, n - 1)))
    {
        delta[from] += 1;
        delta[to + 1] -= 1;
    }
    let mut depth = 0;
    let mut held = 0usize;
    for d in &delta[..n] {
        depth += d;
        held += usize::from(depth > 0);
    }

    Stats {
        start,
        end,
        bars: n,
        equity_final,
        equity_peak,
        return_pct: ratio(equity_final - cash, cash) * 100.0,
        buy_and_hold_return_pct: ratio(bars[n - 1].close - bars[0].close, bars[0].close) * 100.0,
        cagr_pct: (years >= 1.0 / 365.25 && equity_final > Decimal::ZERO)
            .then(|| (ratio(equity_final, cash).powf(1.0 / years) - 1.0) * 100.0),
        sharpe,
        sortino,
        max_drawdown_pct: equity.max_drawdown() * 100.0,
        trades: trades.len(),
        win_rate_pct: (!trades.is_empty()).then(|| wins as f64 / trades.len() as f64 * 100.0),
        profit_factor: (!gross_loss.is_zero()).then(|| ratio(gross_profit, gross_loss)),
        exposure_pct: held as f64 / n as f64 * 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn drawdown_win_rate_profit_factor_and_exposure() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| Bar {
                ts: Utc.timestamp_opt(i * 86_400, 0).unwrap(),
                open: d(10),
                high: d(10),
                low: d(10),
                close: d(10 + i),
                volume: d(1),
            })
            .collect();
        let mut equity = EquityStats::new(1, 1000);
        for v in [1200, 900, 1100, 1300] {
            equity.push(v);
        }
        let trade = |pnl: i64, entry, exit| Trade {
            size: d(1),
            entry_bar: entry,
            exit_bar: exit,
            entry_price: d(10),
            exit_price: d(10),
            pnl: d(pnl),
            commission: d(0),
        };
        let trades = vec![trade(30, 0, 1), trade(-10, 1, 2)];
        let s = compute_stats(&bars, &equity, &trades, &[4], d(100));
        assert_eq!(s.equity_final, d(130));
        assert_eq!(s.equity_peak, d(130));
        assert!((s.return_pct - 30.0).abs() < 1e-9);
        assert!((s.buy_and_hold_return_pct - 40.0).abs() < 1e-9);
        assert!((s.max_drawdown_pct - (-25.0)).abs() < 1e-9);
        assert_eq!(s.win_rate_pct, Some(50.0));
        assert_eq!(s.profit_factor, Some(3.0));
        assert_eq!(s.exposure_pct, 80.0);
        // Returns 0.2, -0.25, 0.2222…, 0.1818…: the textbook formulas.
        let r = [0.2, -0.25, 2.0 / 9.0, 2.0 / 11.0];
        let mean = r.iter().sum::<f64>() / 4.0;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        let per_year = (4.0 / (4.0 / 365.25_f64)).sqrt();
        assert!((s.sharpe.unwrap() - mean / sd * per_year).abs() < 1e-9);
        let downside = (0.0625_f64 / 4.0).sqrt();
        assert!((s.sortino.unwrap() - mean / downside * per_year).abs() < 1e-9);
    }

    /// Every bar's figures worked out the plain way: a division per bar.
    fn divided_every_bar(unit: f64, starting: i128, values: &[i128]) -> [f64; 5] {
        let (mut peak, mut previous) = (starting as f64 / unit, starting as f64 / unit);
        let (mut drawdown, mut count, mut sum, mut squares, mut losses) =
            (0.0f64, 0.0, 0.0, 0.0, 0.0);
        for &v in values {
            let value = v as f64 / unit;
            if value > peak {
                peak = value;
            } else if peak > 0.0 {
                drawdown = drawdown.min(value / peak - 1.0);
            }
            if previous > 0.0 {
                let r = value / previous - 1.0;
                count += 1.0;
                sum += r;
                squares += r * r;
                if r < 0.0 {
                    losses += r * r;
                }
            }
            previous = value;
        }
        [drawdown, count, sum, squares, losses]
    }

    proptest::proptest! {
        #[test]
        fn dividing_only_when_needed_gives_the_same_bits(
            starting in 1i128..1_000_000,
            steps in proptest::collection::vec((0u8..4, -50_000i128..50_000), 0..300),
        ) {
            // Runs of unchanged equity, new peaks, falls and zero.
            let mut values = Vec::new();
            let mut v = starting;
            for (kind, step) in steps {
                v = match kind {
                    0 => v,
                    1 => (v + step).max(0),
                    2 => v + step.abs(),
                    _ => 0,
                };
                values.push(v);
            }
            let mut stats = EquityStats::new(2, starting);
            for &v in &values {
                stats.push(v);
            }
            let got = [stats.max_drawdown(), stats.count, stats.sum, stats.sum_squares, stats.sum_losses_squared];
            let want = divided_every_bar(100.0, starting, &values);
            proptest::prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
        }
    }
}
