//! Strategies: Rust types with parameters that turn bars into actions.
//!
//! A strategy sees bar `i` at its close and may ask for an action; the
//! backtester fills it at bar `i + 1`'s open (backtesting.py's rule).

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::backtest::OpenClose;
use crate::bars::Bar;

/// What a strategy asks for at a bar's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Go long with all available equity.
    Buy,
    /// Go short with all available equity.
    Sell,
    /// Close the whole position.
    Close,
}

/// The sign of the current position, as a strategy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    Flat,
    Long,
    Short,
}

/// The bars a strategy sees, with the opens and closes also as exact
/// integers at one common scale (so averages can be compared without
/// rounding).
pub struct Series<'a> {
    pub bars: &'a [Bar],
    fixed: &'a [OpenClose],
}

impl<'a> Series<'a> {
    /// `fixed` as [`crate::backtest::fixed_prices`] makes them (the
    /// backtester passes its own).
    pub fn new(bars: &'a [Bar], fixed: &'a [OpenClose]) -> Self {
        Self { bars, fixed }
    }
}

pub trait Strategy: Send {
    /// Leading bars where an indicator is still undefined. The backtester
    /// starts calling [`Strategy::next`] at bar `warmup() + 1`, so a
    /// crossover always compares two defined bars (as backtesting.py does).
    fn warmup(&self) -> usize;
    /// Computes indicators over all bars once.
    fn prepare(&mut self, series: &Series) -> Result<(), StrategyError>;
    /// The action at bar `i`'s close, if any.
    fn next(&mut self, i: usize, exposure: Exposure) -> Option<Action>;
    /// The first bar at or after `i` where [`Strategy::next`] may act,
    /// whatever the position: the backtester asks no earlier, and runs
    /// through a flat stretch before it in one step. It asks a batch ahead,
    /// before `next` has run on the bars between, so the answer must follow
    /// from the data alone. The default, `i`, has it ask at every bar.
    fn next_signal_from(&mut self, i: usize) -> usize {
        i
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StrategyError {
    #[error("unknown strategy {0:?} (known: sma-cross, rsi-reversion, breakout)")]
    Unknown(String),
    #[error("parameter {name}: {reason}")]
    Param { name: String, reason: String },
    #[error("{0}")]
    Data(String),
}

/// The strategies a user can pick by name, with their parameters.
pub const STRATEGIES: &[(&str, &[(&str, &str)])] = &[
    ("sma-cross", &[("fast", "10"), ("slow", "20")]),
    (
        "rsi-reversion",
        &[("period", "14"), ("lower", "30"), ("upper", "70")],
    ),
    ("breakout", &[("lookback", "20")]),
];

/// Builds a strategy from its name and `name=value` parameters; unknown
/// names or bad values are refused.
pub fn build(
    name: &str,
    params: &BTreeMap<String, String>,
) -> Result<Box<dyn Strategy>, StrategyError> {
    let (_, defaults) = STRATEGIES
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| StrategyError::Unknown(name.to_string()))?;
    for key in params.keys() {
        if !defaults.iter().any(|(k, _)| k == key) {
            let known: Vec<&str> = defaults.iter().map(|(k, _)| *k).collect();
            return Err(StrategyError::Param {
                name: key.clone(),
                reason: format!("not a parameter of {name} (it takes {})", known.join(", ")),
            });
        }
    }
    let get = |key: &str| -> Result<u32, StrategyError> {
        let text = params
            .get(key)
            .map(String::as_str)
            .or_else(|| defaults.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
            .unwrap_or("0");
        match text.parse::<u32>() {
            Ok(v) if (1..=100_000).contains(&v) => Ok(v),
            _ => Err(StrategyError::Param {
                name: key.to_string(),
                reason: format!("must be a whole number from 1 to 100000, got {text:?}"),
            }),
        }
    };
    Ok(match name {
        "sma-cross" => {
            let (fast, slow) = (get("fast")?, get("slow")?);
            if fast >= slow {
                return Err(StrategyError::Param {
                    name: "fast".into(),
                    reason: format!("must be shorter than slow ({fast} >= {slow})"),
                });
            }
            Box::new(SmaCross::new(fast as usize, slow as usize))
        }
        "rsi-reversion" => {
            let (period, lower, upper) = (get("period")?, get("lower")?, get("upper")?);
            if !(lower < upper && upper < 100) {
                return Err(StrategyError::Param {
                    name: "lower".into(),
                    reason: format!("need lower < upper < 100, got {lower} and {upper}"),
                });
            }
            Box::new(RsiReversion::new(
                period as usize,
                lower as f64,
                upper as f64,
            ))
        }
        _ => Box::new(Breakout::new(get("lookback")? as usize)),
    })
}

/// Fast SMA crossing the slow one: up → buy, down → sell (backtesting.py's
/// `SmaCross`). The averages are compared exactly: closes become integers at
/// a common scale, so `sum_fast / fast` vs `sum_slow / slow` is compared as
/// `sum_fast * slow` vs `sum_slow * fast` in i128, with no rounding at all.
pub struct SmaCross {
    fast: usize,
    slow: usize,
    /// Sign of (fast SMA − slow SMA) per bar; 0 where undefined or equal.
    sign: Vec<i8>,
    /// The bars where the sign flips strictly (−1 to 1 or 1 to −1): the
    /// only bars where it acts.
    crossings: Vec<usize>,
    /// Where [`Strategy::next_signal_from`] last stopped in `crossings`.
    cursor: usize,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        Self {
            fast,
            slow,
            sign: Vec::new(),
            crossings: Vec::new(),
            cursor: 0,
        }
    }
}

impl Strategy for SmaCross {
    fn warmup(&self) -> usize {
        self.slow - 1
    }

    fn prepare(&mut self, series: &Series) -> Result<(), StrategyError> {
        let closes = series.fixed;
        self.sign = vec![0; closes.len()];
        // In i64 where the sums and products fit (any real price does): a
        // checked i128 product is a library call, an i64 one an instruction.
        let (fast, slow) = (self.fast, self.slow);
        self.cursor = 0;
        if crossing_signs::<i64>(closes, fast, slow, &mut self.sign, &mut self.crossings).is_none()
            && crossing_signs::<i128>(closes, fast, slow, &mut self.sign, &mut self.crossings)
                .is_none()
        {
            return Err(StrategyError::Data(
                "prices too large to average exactly".into(),
            ));
        }
        Ok(())
    }

    #[inline]
    fn next(&mut self, i: usize, _: Exposure) -> Option<Action> {
        // Strict on both bars, like backtesting.py's `crossover`.
        match (self.sign[i - 1], self.sign[i]) {
            (-1, 1) => Some(Action::Buy),
            (1, -1) => Some(Action::Sell),
            _ => None,
        }
    }

    fn next_signal_from(&mut self, i: usize) -> usize {
        // The backtester asks for later and later bars: walk on from the
        // last answer (a binary search each time cost more than the rest of
        // the loop).
        if self.cursor > 0 && self.crossings[self.cursor - 1] >= i {
            self.cursor = self.crossings.partition_point(|&bar| bar < i);
        }
        while self.crossings.get(self.cursor).is_some_and(|&bar| bar < i) {
            self.cursor += 1;
        }
        self.crossings
            .get(self.cursor)
            .copied()
            .unwrap_or(self.sign.len().max(i))
    }
}

/// Integers wide enough to sum closes exactly, with overflow checks.
trait Exact: Copy + Default + Ord + From<i64> + TryFrom<usize> {
    fn add(self, other: Self) -> Option<Self>;
    fn sub(self, other: Self) -> Option<Self>;
    fn mul(self, other: Self) -> Option<Self>;
}

macro_rules! exact {
    ($t:ty) => {
        impl Exact for $t {
            #[inline]
            fn add(self, other: Self) -> Option<Self> {
                self.checked_add(other)
            }
            #[inline]
            fn sub(self, other: Self) -> Option<Self> {
                self.checked_sub(other)
            }
            #[inline]
            fn mul(self, other: Self) -> Option<Self> {
                self.checked_mul(other)
            }
        }
    };
}
exact!(i64);
exact!(i128);

/// Sign of (fast SMA − slow SMA) per bar into `sign`, compared exactly as
/// `sum_fast * slow` vs `sum_slow * fast`, and the bars where it flips
/// strictly into `crossings`; `None` when `T` overflows.
fn crossing_signs<T: Exact>(
    bars: &[OpenClose],
    fast: usize,
    slow: usize,
    sign: &mut [i8],
    crossings: &mut Vec<usize>,
) -> Option<()> {
    let (fast_n, slow_n) = (T::try_from(fast).ok()?, T::try_from(slow).ok()?);
    let (mut sum_fast, mut sum_slow) = (T::default(), T::default());
    crossings.clear();
    let mut last = 0i8;
    let close = |i: usize| T::from(bars[i][1]);
    for (i, sign) in sign.iter_mut().enumerate().take(bars.len()) {
        let close_now = close(i);
        sum_fast = sum_fast.add(close_now)?;
        sum_slow = sum_slow.add(close_now)?;
        if i >= fast {
            sum_fast = sum_fast.sub(close(i - fast))?;
        }
        if i >= slow {
            sum_slow = sum_slow.sub(close(i - slow))?;
        }
        if i + 1 >= slow {
            let (left, right) = (sum_fast.mul(slow_n)?, sum_slow.mul(fast_n)?);
            let now = left.cmp(&right) as i8; // Less is -1, Greater 1
            if now == -last && now != 0 {
                crossings.push(i);
            }
            (*sign, last) = (now, now);
        }
    }
    Some(())
}

/// RSI mean reversion, long only: buy when RSI falls below `lower`, close
/// when it rises above `upper`. RSI is a ratio, not money, so f64 is fine.
pub struct RsiReversion {
    period: usize,
    lower: f64,
    upper: f64,
    rsi: Vec<f64>,
}

impl RsiReversion {
    pub fn new(period: usize, lower: f64, upper: f64) -> Self {
        Self {
            period,
            lower,
            upper,
            rsi: Vec::new(),
        }
    }
}

impl Strategy for RsiReversion {
    fn warmup(&self) -> usize {
        self.period
    }

    fn prepare(&mut self, series: &Series) -> Result<(), StrategyError> {
        let bars = series.bars;
        // Wilder's smoothing, seeded with the simple mean of the first period.
        let closes: Vec<f64> = bars
            .iter()
            .map(|b| b.close.to_f64().unwrap_or(0.0))
            .collect();
        self.rsi = vec![f64::NAN; closes.len()];
        let (mut gain, mut loss) = (0.0, 0.0);
        let n = self.period as f64;
        for i in 1..closes.len() {
            let change = closes[i] - closes[i - 1];
            let (up, down) = (change.max(0.0), (-change).max(0.0));
            if i <= self.period {
                gain += up / n;
                loss += down / n;
            } else {
                gain = (gain * (n - 1.0) + up) / n;
                loss = (loss * (n - 1.0) + down) / n;
            }
            if i >= self.period {
                self.rsi[i] = if loss == 0.0 {
                    100.0
                } else {
                    100.0 - 100.0 / (1.0 + gain / loss)
                };
            }
        }
        Ok(())
    }

    fn next(&mut self, i: usize, exposure: Exposure) -> Option<Action> {
        let rsi = self.rsi[i];
        match exposure {
            Exposure::Long if rsi > self.upper => Some(Action::Close),
            Exposure::Flat if rsi < self.lower => Some(Action::Buy),
            _ => None,
        }
    }
}

/// Donchian breakout, long only: buy when the close breaks above the highest
/// high of the previous `lookback` bars; close when it breaks below the
/// lowest low.
pub struct Breakout {
    lookback: usize,
    highest: Vec<Decimal>,
    lowest: Vec<Decimal>,
    closes: Vec<Decimal>,
}

impl Breakout {
    pub fn new(lookback: usize) -> Self {
        Self {
            lookback,
            highest: Vec::new(),
            lowest: Vec::new(),
            closes: Vec::new(),
        }
    }
}

impl Strategy for Breakout {
    fn warmup(&self) -> usize {
        self.lookback
    }

    fn prepare(&mut self, series: &Series) -> Result<(), StrategyError> {
        let bars = series.bars;
        // Monotonic deques give the window max/min in O(n).
        let n = bars.len();
        self.highest = vec![Decimal::ZERO; n];
        self.lowest = vec![Decimal::ZERO; n];
        self.closes = bars.iter().map(|b| b.close).collect();
        let (mut highs, mut lows): (VecDeque<usize>, VecDeque<usize>) = Default::default();
        for i in 0..n {
            // The channel at bar i covers bars i-lookback ..= i-1.
            if i >= self.lookback {
                while highs.front().is_some_and(|&j| j + self.lookback < i) {
                    highs.pop_front();
                }
                while lows.front().is_some_and(|&j| j + self.lookback < i) {
                    lows.pop_front();
                }
                if let (Some(&h), Some(&l)) = (highs.front(), lows.front()) {
                    self.highest[i] = bars[h].high;
                    self.lowest[i] = bars[l].low;
                }
            }
            while highs.back().is_some_and(|&j| bars[j].high <= bars[i].high) {
                highs.pop_back();
            }
            highs.push_back(i);
            while lows.back().is_some_and(|&j| bars[j].low >= bars[i].low) {
                lows.pop_back();
            }
            lows.push_back(i);
        }
        Ok(())
    }

    fn next(&mut self, i: usize, exposure: Exposure) -> Option<Action> {
        let close = self.closes[i];
        match exposure {
            Exposure::Long if close < self.lowest[i] => Some(Action::Close),
            Exposure::Flat if close > self.highest[i] => Some(Action::Buy),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn prepare(s: &mut dyn Strategy, bars: &[Bar]) {
        let fixed = crate::backtest::fixed_prices(bars).unwrap();
        s.prepare(&Series::new(bars, &fixed)).unwrap();
    }

    fn bars(closes: &[&str]) -> Vec<Bar> {
        closes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c: Decimal = c.parse().unwrap();
                Bar {
                    ts: Utc.timestamp_opt(i as i64 * 60, 0).unwrap(),
                    open: c,
                    high: c,
                    low: c,
                    close: c,
                    volume: Decimal::ONE,
                }
            })
            .collect()
    }

    #[test]
    fn sma_cross_is_strict_on_both_bars() {
        // fast=1 (the close itself) vs slow=2.
        let b = bars(&["10", "9", "10", "11", "11", "10"]);
        let mut s = SmaCross::new(1, 2);
        prepare(&mut s, &b);
        // sma2: -, 9.5, 9.5, 10.5, 11, 10.5; close-sma2 sign: 0,-1,1,1,0,-1
        assert_eq!(s.sign, vec![0, -1, 1, 1, 0, -1]);
        assert_eq!(s.crossings, vec![2]);
        assert_eq!(s.next_signal_from(0), 2);
        assert_eq!(s.next_signal_from(3), 6, "none left: past the end");
        assert_eq!(s.next_signal_from(1), 2, "asked for an earlier bar again");
        assert_eq!(s.next(2, Exposure::Flat), Some(Action::Buy));
        assert_eq!(s.next(3, Exposure::Long), None);
        // 0 → -1 is not a strict cross.
        assert_eq!(s.next(5, Exposure::Long), None);
    }

    #[test]
    fn sma_compares_exactly_across_scales() {
        let b = bars(&["1", "1.1", "1.05", "1.075"]);
        let mut s = SmaCross::new(1, 2);
        prepare(&mut s, &b);
        assert_eq!(s.sign, vec![0, 1, -1, 1]);
    }

    #[test]
    fn sma_falls_back_to_i128_when_i64_would_overflow() {
        let base = 1i64 << 62; // two of them overflow i64
        let closes = [base, base + 4, base + 1, base + 2].map(|c| [c, c]);
        let mut sign = [0i8; 4];
        let mut crossings = Vec::new();
        assert_eq!(
            crossing_signs::<i64>(&closes, 1, 2, &mut sign, &mut crossings),
            None
        );
        let mut s = SmaCross::new(1, 2);
        s.prepare(&Series::new(&[], &closes)).unwrap();
        assert_eq!(s.sign, vec![0, 1, -1, 1]);
        assert_eq!(s.crossings, vec![2, 3]);
    }

    #[test]
    fn build_validates_names_and_parameters() {
        let mut p = BTreeMap::new();
        assert!(matches!(build("nope", &p), Err(StrategyError::Unknown(_))));
        p.insert("fast".into(), "30".into());
        let err = build("sma-cross", &p).err().unwrap();
        assert_eq!(
            err.to_string(),
            "parameter fast: must be shorter than slow (30 >= 20)"
        );
        p.insert("fast".into(), "-1".into());
        assert!(matches!(
            build("sma-cross", &p),
            Err(StrategyError::Param { .. })
        ));
        p.clear();
        p.insert("speed".into(), "3".into());
        let err = build("sma-cross", &p).err().unwrap();
        assert!(
            err.to_string()
                .starts_with("parameter speed: not a parameter"),
            "{err}"
        );
        assert!(build("rsi-reversion", &BTreeMap::new()).is_ok());
        assert!(build("breakout", &BTreeMap::new()).is_ok());
    }

    #[test]
    fn breakout_channel_excludes_the_current_bar() {
        let b = bars(&["5", "6", "7", "8", "4"]);
        let mut s = Breakout::new(2);
        prepare(&mut s, &b);
        assert_eq!(s.highest[2], Decimal::from(6));
        assert_eq!(s.next(2, Exposure::Flat), Some(Action::Buy));
        assert_eq!(s.lowest[4], Decimal::from(7));
        assert_eq!(s.next(4, Exposure::Long), Some(Action::Close));
    }

    #[test]
    fn rsi_is_high_after_gains_and_low_after_losses() {
        let up: Vec<String> = (0..20).map(|i| (100 + i).to_string()).collect();
        let refs: Vec<&str> = up.iter().map(String::as_str).collect();
        let mut s = RsiReversion::new(14, 30.0, 70.0);
        prepare(&mut s, &bars(&refs));
        assert_eq!(s.rsi[19], 100.0);
        assert_eq!(s.next(19, Exposure::Long), Some(Action::Close));
        assert!(s.rsi[13].is_nan());
    }
}
