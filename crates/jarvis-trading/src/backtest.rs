//! The backtester: bars through a strategy, filled by backtesting.py's rules.
//!
//! The rules, as backtesting.py 0.6.6 applies them (margin 1, no spread, no
//! hedging, no trade-on-close):
//! - an order placed at bar `i`'s close fills at bar `i + 1`'s open;
//! - "all equity" orders buy `floor(margin_available / (open × (1 + commission)))`
//!   units, where margin available is equity minus the value of open trades
//!   at the current close; an order that cannot buy one unit is cancelled;
//! - commission is charged on both legs at the raw fill price;
//! - with exclusive orders, a new order first cancels pending ones and closes
//!   every open trade at the same open; without, an opposite order closes
//!   trades first-in first-out and opens the rest;
//! - equity is cash plus open trades marked at each bar's close; trades
//!   still open at the end are not counted, but their mark is in the final
//!   equity.
//!
//! Money is `Decimal` throughout; only the statistics are ratios in f64.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bars::Bar;
use crate::orders::Side;
use crate::paper::PaperModel;
use crate::risk::{RiskInput, RiskLimits};
use crate::stats::{EquityStats, Stats, compute_stats};
use crate::strategy::{Action, Exposure, Series, Strategy, StrategyError};

/// How a backtest's orders fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Fills {
    /// backtesting.py 0.6.6's rules (above): the same trades as it gives.
    #[default]
    BacktestingPy,
    /// The live paper broker's model: an order fills at the next bar's open
    /// moved against it by the slippage, on the price tick (the data's
    /// finest decimal place, and at most a cent); each bar fills at most
    /// the model's share of that bar's volume and the rest waits for the
    /// next bar; fees are the model's (the config's `commission` is not
    /// used). With exclusive orders, a new position opens only once the old
    /// one is closed.
    Paper(PaperModel),
}

#[derive(Debug, Clone)]
pub struct BacktestConfig {
    pub cash: Decimal,
    /// Relative commission per leg, e.g. 0.002 for 0.2 %.
    pub commission: Decimal,
    pub fills: Fills,
    pub exclusive_orders: bool,
    /// About how many points to keep in the equity curve (at least the first
    /// and last bars); `usize::MAX` keeps every bar.
    pub curve_points: usize,
    /// Risk limits checked, with the live pipeline's own `risk::check`, on
    /// every order that opens or adds to a position (orders that close
    /// only reduce risk). `None` checks nothing, as backtesting.py.
    pub risk: Option<RiskLimits>,
}

/// An order the risk check refused during a backtest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The bar whose open the order would have filled at.
    pub bar: usize,
    pub check: &'static str,
    pub reason: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BacktestError {
    #[error("cash: must be positive, got {0}")]
    Cash(Decimal),
    #[error("commission: must be from 0 to less than 1, got {0}")]
    Commission(Decimal),
    #[error("fills: {0}")]
    Fills(String),
    #[error("the data holds no bars")]
    NoBars,
    #[error(
        "prices, cash or commission are too large or carry too many decimal places to account exactly"
    )]
    TooPrecise,
    #[error(transparent)]
    Strategy(#[from] StrategyError),
}

/// A closed trade. Bars are indexes into the input; sizes are signed units
/// (negative for a short).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trade {
    #[serde(with = "rust_decimal::serde::str")]
    pub size: Decimal,
    pub entry_bar: usize,
    pub exit_bar: usize,
    #[serde(with = "rust_decimal::serde::str")]
    pub entry_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub exit_price: Decimal,
    /// Profit after both commissions.
    #[serde(with = "rust_decimal::serde::str")]
    pub pnl: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub commission: Decimal,
}

#[derive(Debug, Clone)]
pub struct BacktestResult {
    pub trades: Vec<Trade>,
    /// Equity at each bar's close (the warm-up bars hold the first value).
    pub equity: EquityCurve,
    /// Units still held at the end (not in `trades`).
    pub open_position: Decimal,
    pub stats: Stats,
    /// Orders the risk limits refused (empty without limits).
    pub refused: Vec<Refusal>,
    /// Orders still waiting at the end: with paper fills, orders that the
    /// bars' volume never let fill (at backtesting.py's rules, at most the
    /// order placed at the last bar).
    pub unfilled: usize,
}

/// Equity at the close of every `stride`-th bar, and of the last bar:
/// enough for a chart, without storing a million points. A stride of 1
/// keeps every bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquityCurve {
    pub stride: usize,
    /// (bar index, equity).
    pub points: Vec<(usize, Decimal)>,
}

impl EquityCurve {
    /// Equity at bar `i`, when that bar was kept.
    pub fn at(&self, i: usize) -> Option<Decimal> {
        self.points
            .iter()
            .find(|(bar, _)| *bar == i)
            .map(|(_, e)| *e)
    }

    pub fn last(&self) -> Option<Decimal> {
        self.points.last().map(|(_, e)| *e)
    }
}

#[derive(Debug, Clone, Copy)]
struct OpenTrade {
    /// Unique per backtest: closing orders name the trade by it.
    id: u64,
    size: i64,
    entry_bar: usize,
    /// At the price scale.
    entry_price: i128,
    /// What opening the units still held cost in fees (money scale).
    entry_fee: i128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Buy (+1) or sell (−1) with all available equity.
    AllEquity(i8),
    /// Close the open trade with this id.
    CloseTrade(u64),
    /// Paper fills only: units (signed) still to trade after a fill that the
    /// bar's volume cut short.
    Units(i64),
}

/// Exact fixed-point scales: prices are integers of 10^-`price` units and
/// money of 10^-`money` units, where `money` ≥ `price` + commission's
/// scale, so fees and every sum of them are exact integers. This keeps the
/// per-bar loop in i128 arithmetic (a few ns) instead of `Decimal` (tens).
#[derive(Debug, Clone, Copy)]
struct Scales {
    price: u32,
    money: u32,
    /// 10^(money − price): a price as money.
    price_to_money: i128,
    /// 10^(money − price − commission scale): price × commission as money.
    fee_to_money: i128,
    /// Commission as an integer at its own scale, and that scale's 10^n.
    commission: i128,
    commission_one: i128,
}

/// Money beyond these scales or sizes can't be held exactly.
const MAX_SCALE: u32 = 24;

fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// `value` as an integer at `scale` (≥ its own scale).
fn to_fixed(value: Decimal, scale: u32) -> i128 {
    value.mantissa() * pow10(scale - value.scale())
}

/// The units of the largest position (all cash at the lowest price) and
/// its value at the highest price (price scale), if that fits in i128.
fn largest_position(prices: &Prices, cash: i128, scales: &Scales) -> (i128, Option<i128>) {
    let units = cash / (prices.lowest.max(1) * scales.price_to_money) + 1;
    (units, units.checked_mul(prices.highest))
}

/// The largest position marked at the highest price must stay far inside
/// i128 at the money scale, leaving room for equity to grow; checked once
/// so the loop needs no overflow checks.
fn fits_in_i128(prices: &Prices, cash: i128, scales: &Scales) -> bool {
    let (units, value) = largest_position(prices, cash, scales);
    i64::try_from(units).is_ok()
        && value
            .and_then(|v| v.checked_mul(scales.price_to_money))
            .is_some_and(|v| v < 10i128.pow(32))
}

/// With paper fills, the paper broker's model works in `Decimal`: the
/// largest position's value must stay well inside its 96 bits even times
/// a fee rate.
fn fits_in_decimal(prices: &Prices, cash: i128, scales: &Scales) -> bool {
    let (_, value) = largest_position(prices, cash, scales);
    value.is_some_and(|v| v < 10i128.pow(24))
}

/// With paper fills, prices are moved by the slippage on a tick of the
/// data's finest decimal place, and never coarser than a cent: written as
/// whole numbers, a 1 bp slip on 100 would otherwise cost a whole unit.
const PAPER_PRICE_SCALE: u32 = 2;

/// A bar's open and close as integers at the backtest's price scale.
pub type OpenClose = [i64; 2];

/// Bars' prices as integers at one scale: the only place bars become fixed
/// point. i64 keeps them half the size of i128: memory traffic, not
/// arithmetic, is the loop's cost.
struct Prices {
    /// The largest scale among opens and closes.
    scale: u32,
    /// Each bar's open and close at `scale`, side by side: the loop reads
    /// both only at the bars where something happens, a few apart, and
    /// each such read waits on memory; one cache line holds both. (Read
    /// from the 92-byte bars, each fill was a cache and TLB miss.)
    bars: Vec<OpenClose>,
    lowest: i128,
    highest: i128,
}

/// Below this many bars one thread converts them: a second would cost more
/// than it saves.
const PARALLEL_BARS: usize = 1 << 16;

impl Prices {
    fn new(bars: &[Bar]) -> Result<Self, BacktestError> {
        let threads = if bars.len() < PARALLEL_BARS {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        };
        Self::on(bars, threads)
    }

    /// Converts the bars in `threads` runs side by side, then brings the
    /// runs to the largest scale among them. Converting is mostly reading
    /// the bars (a million fill ~90 MB) and faulting in the closes' pages,
    /// both of which go faster split.
    fn on(bars: &[Bar], threads: usize) -> Result<Self, BacktestError> {
        // Zeroed pages are only mapped when written, by the run that writes
        // them.
        let mut fixed = vec![[0i64; 2]; bars.len()];
        let size = bars.len().div_ceil(threads.max(1)).max(1);
        let runs = std::thread::scope(|scope| {
            let mut parts = bars.chunks(size).zip(fixed.chunks_mut(size));
            let first = parts.next();
            let others: Vec<_> = parts
                .map(|(bars, fixed)| scope.spawn(move || Run::convert(bars, fixed)))
                .collect();
            let mut runs = vec![first.map_or(Ok(Run::EMPTY), |(b, f)| Run::convert(b, f))];
            runs.extend(others.into_iter().map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }));
            runs
        });
        let mut runs = runs.into_iter().collect::<Result<Vec<Run>, _>>()?;
        let scale = runs.iter().map(|r| r.scale).max().unwrap_or(0);
        for (run, fixed) in runs.iter_mut().zip(fixed.chunks_mut(size)) {
            run.rescale(fixed, scale)?;
        }
        let smallest = runs.iter().map(|r| r.smallest).min().unwrap_or(scale);
        if scale.saturating_sub(smallest) >= POWERS.len() as u32 {
            return Err(BacktestError::TooPrecise);
        }
        let lowest = runs.iter().map(|r| r.lowest).min().unwrap_or(i64::MAX);
        let highest = runs.iter().map(|r| r.highest).max().unwrap_or(0);
        Ok(Self {
            scale,
            bars: fixed,
            lowest: i128::from(lowest.min(highest).max(1)),
            highest: i128::from(highest.max(1)),
        })
    }

    /// The same prices at `scale` or finer.
    fn at_least(mut self, scale: u32) -> Result<Self, BacktestError> {
        if self.scale >= scale {
            return Ok(self);
        }
        let factor =
            i64::try_from(pow10(scale - self.scale)).map_err(|_| BacktestError::TooPrecise)?;
        for price in self.bars.as_flattened_mut() {
            *price = price.checked_mul(factor).ok_or(BacktestError::TooPrecise)?;
        }
        self.lowest *= i128::from(factor);
        self.highest *= i128::from(factor);
        self.scale = scale;
        Ok(self)
    }

    #[inline]
    fn open(&self, i: usize) -> i128 {
        i128::from(self.bars[i][0])
    }

    #[inline]
    fn close(&self, i: usize) -> i128 {
        i128::from(self.bars[i][1])
    }
}

/// One run of bars converted at the largest scale among them.
#[derive(Debug, Clone, Copy)]
struct Run {
    scale: u32,
    /// The smallest scale seen: converting it at the final scale needs the
    /// largest power of ten.
    smallest: u32,
    /// The smallest positive price and the largest (for sizing).
    lowest: i64,
    highest: i64,
    /// The extremes of every price: when they still fit after rescaling,
    /// every open does too.
    min: i64,
    max: i64,
}

impl Run {
    const EMPTY: Self = Self {
        scale: 0,
        smallest: u32::MAX,
        lowest: i64::MAX,
        highest: 0,
        min: 0,
        max: 0,
    };

    /// One pass over the bars, opens and closes into `fixed`: the
    /// scale starts at the first bar's, and what was read before is rescaled
    /// whenever a bar needs a larger one. The result, errors included, is
    /// that of converting every price at the largest scale.
    fn convert(bars: &[Bar], fixed: &mut [OpenClose]) -> Result<Self, BacktestError> {
        let scale_of = |b: &Bar| b.open.scale().max(b.close.scale());
        let mut run = Self {
            scale: bars.first().map_or(0, scale_of),
            ..Self::EMPTY
        };
        for (i, bar) in bars.iter().enumerate() {
            let own = scale_of(bar);
            if own > run.scale {
                run.rescale(&mut fixed[..i], own)?;
            }
            run.smallest = run.smallest.min(bar.open.scale().min(bar.close.scale()));
            let (o, c) = (
                fixed_price(bar.open, run.scale)?,
                fixed_price(bar.close, run.scale)?,
            );
            run.lowest = run
                .lowest
                .min(if o > 0 { o } else { i64::MAX })
                .min(if c > 0 { c } else { i64::MAX });
            run.highest = run.highest.max(o).max(c);
            (run.min, run.max) = (run.min.min(o).min(c), run.max.max(o).max(c));
            fixed[i] = [o, c];
        }
        Ok(run)
    }

    /// Brings the run and its prices to the larger `scale`.
    fn rescale(&mut self, fixed: &mut [OpenClose], scale: u32) -> Result<(), BacktestError> {
        if scale == self.scale {
            return Ok(());
        }
        let factor =
            i64::try_from(pow10(scale - self.scale)).map_err(|_| BacktestError::TooPrecise)?;
        let up = |v: i64| v.checked_mul(factor).ok_or(BacktestError::TooPrecise);
        for price in fixed.as_flattened_mut() {
            *price = up(*price)?;
        }
        (self.min, self.max, self.highest) = (up(self.min)?, up(self.max)?, up(self.highest)?);
        if self.lowest != i64::MAX {
            self.lowest = up(self.lowest)?;
        }
        self.scale = scale;
        Ok(())
    }
}

/// The opens and closes as the backtester sees them: integers at the bars'
/// price scale (for strategies run outside a backtest, tests and
/// benchmarks).
pub fn fixed_prices(bars: &[Bar]) -> Result<Vec<OpenClose>, BacktestError> {
    Prices::new(bars).map(|p| p.bars)
}

/// 10^0 to 10^18: a price is at most 18 places from the common scale.
const POWERS: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

fn fixed_price(value: Decimal, scale: u32) -> Result<i64, BacktestError> {
    let power = POWERS
        .get((scale - value.scale()) as usize)
        .ok_or(BacktestError::TooPrecise)?;
    // In i64: a price that fits there is multiplied in one instruction.
    i64::try_from(value.mantissa())
        .ok()
        .and_then(|m| m.checked_mul(*power))
        .ok_or(BacktestError::TooPrecise)
}

impl Scales {
    fn new(price: u32, config: &BacktestConfig) -> Result<Self, BacktestError> {
        let commission_scale = config.commission.scale();
        let mut money = (price + commission_scale).max(config.cash.scale());
        if matches!(config.fills, Fills::Paper(_)) {
            // The paper broker's fees are in cents.
            money = money.max(2);
        }
        if money > MAX_SCALE {
            return Err(BacktestError::TooPrecise);
        }
        Ok(Self {
            price,
            money,
            price_to_money: pow10(money - price),
            fee_to_money: pow10(money - price - commission_scale),
            commission: to_fixed(config.commission, commission_scale),
            commission_one: pow10(commission_scale),
        })
    }

    fn money(&self, value: i128) -> Decimal {
        Decimal::from_i128_with_scale(value, self.money).normalize()
    }
}

struct Broker<'a> {
    bars: &'a [Bar],
    prices: &'a Prices,
    scales: Scales,
    exclusive: bool,
    /// Money scale.
    cash: i128,
    trades: Vec<OpenTrade>,
    /// Sum of open sizes, and of size × entry price (price scale): equity is
    /// then one multiply per bar.
    position: i64,
    cost: i128,
    orders: Vec<Order>,
    closed: Vec<Trade>,
    /// The paper broker's model, when orders fill by it.
    paper: Option<PaperModel>,
    next_trade_id: u64,
    /// The risk limits and what they track, when checked.
    risk: Option<RiskTracker>,
    refused: Vec<Refusal>,
}

/// What the risk check needs that the backtest does not otherwise keep.
struct RiskTracker {
    limits: RiskLimits,
    /// The UTC day of the last bar seen, and equity at its start.
    day: Option<chrono::NaiveDate>,
    day_start_equity: i128,
    /// Bar times of the orders accepted in the last minute of bar time.
    recent: std::collections::VecDeque<chrono::DateTime<chrono::Utc>>,
}

impl Broker<'_> {
    /// Starts a new day's loss count at the first bar of each UTC day, from
    /// the equity the day opened with (the last close).
    fn track_day(&mut self, i: usize, last_equity: i128) {
        if let Some(risk) = &mut self.risk {
            let day = self.bars[i].ts.date_naive();
            if risk.day != Some(day) {
                risk.day = Some(day);
                risk.day_start_equity = last_equity;
            }
        }
    }

    /// The live pipeline's risk check on opening `units` (signed) at
    /// `price` on bar `i`, with `open_orders` earlier orders still waiting
    /// to fill; a refusal is recorded and returned as true.
    fn refused_by_risk(&mut self, units: i64, price: i128, i: usize, open_orders: u32) -> bool {
        if self.risk.is_none() {
            return false;
        }
        let scale = self.scales.money;
        let money = move |v: i128| Decimal::from_i128_with_scale(v, scale);
        let (cash, equity, fee) = (
            money(self.cash),
            money(self.equity(price)),
            money(self.fee(units, price)),
        );
        let (now, position) = (self.bars[i].ts, Decimal::from(self.position));
        let Some(risk) = &mut self.risk else {
            return false;
        };
        while risk
            .recent
            .front()
            .is_some_and(|t| now - *t >= chrono::Duration::seconds(60))
        {
            risk.recent.pop_front();
        }
        let checked = crate::risk::check(&RiskInput {
            limits: &risk.limits,
            kill_switch: false,
            side: if units > 0 { Side::Buy } else { Side::Sell },
            qty: Decimal::from(units.unsigned_abs()),
            price: Decimal::from_i128_with_scale(price, self.scales.price),
            fee_estimate: fee,
            position_qty: position,
            open_orders,
            orders_last_minute: risk.recent.len(),
            cash,
            equity,
            day_start_equity: money(risk.day_start_equity),
        });
        match checked {
            Ok(()) => {
                risk.recent.push_back(now);
                false
            }
            Err(refusal) => {
                self.refused.push(Refusal {
                    bar: i,
                    check: refusal.check,
                    reason: refusal.reason,
                });
                true
            }
        }
    }

    fn open(&self, i: usize) -> i128 {
        self.prices.open(i)
    }

    #[inline]
    fn close(&self, i: usize) -> i128 {
        self.prices.close(i)
    }

    fn fee(&self, units: i64, price: i128) -> i128 {
        match &self.paper {
            None => {
                i128::from(units).abs() * price * self.scales.commission * self.scales.fee_to_money
            }
            Some(model) => {
                let fee = model.fee(
                    Decimal::from(units.unsigned_abs()),
                    Decimal::from_i128_with_scale(price, self.scales.price),
                );
                // In cents (the model rounds), which the money scale holds.
                to_fixed(fee, self.scales.money)
            }
        }
    }

    #[inline]
    fn equity(&self, last: i128) -> i128 {
        if self.trades.is_empty() {
            // Flat: skips two wide multiplies on what is, for many
            // strategies, most bars.
            return self.cash;
        }
        self.cash + (i128::from(self.position) * last - self.cost) * self.scales.price_to_money
    }

    fn margin_available(&self, last: i128) -> i128 {
        let used: i128 = self
            .trades
            .iter()
            .map(|t| i128::from(t.size).abs() * last)
            .sum();
        (self.equity(last) - used * self.scales.price_to_money).max(0)
    }

    fn place(&mut self, action: Action) {
        let closes_all = self.exclusive || action == Action::Close;
        if closes_all {
            // Orders still waiting to open give way to the close (at
            // backtesting.py's rules nothing is waiting when a strategy
            // acts; with paper fills, the rest of a part-filled order is);
            // closes already waiting stay, once each.
            self.orders.retain(|o| matches!(o, Order::CloseTrade(_)));
            for t in &self.trades {
                if !self.orders.contains(&Order::CloseTrade(t.id)) {
                    self.orders.push(Order::CloseTrade(t.id));
                }
            }
        }
        match action {
            Action::Buy => self.orders.push(Order::AllEquity(1)),
            Action::Sell => self.orders.push(Order::AllEquity(-1)),
            Action::Close => {}
        }
    }

    fn close_trade(&mut self, index: usize, price: i128, bar: usize) {
        self.close_part(index, self.trades[index].size, price, bar);
    }

    /// Closes `units` (same sign as the trade) of trade `index` at `price`.
    /// The trade's entry fee goes with the units in proportion: with a
    /// relative commission that is exactly the fee on those units; with
    /// the paper broker's cent-rounded fees it is the units' share (the
    /// last part takes what is left).
    fn close_part(&mut self, index: usize, units: i64, price: i128, bar: usize) {
        let t = self.trades[index];
        let entry_fee = t.entry_fee * i128::from(units) / i128::from(t.size);
        if units == t.size {
            self.trades.remove(index);
        } else {
            self.trades[index].size -= units;
            self.trades[index].entry_fee -= entry_fee;
        }
        let exit_fee = self.fee(units, price);
        let gross = i128::from(units) * (price - t.entry_price) * self.scales.price_to_money;
        self.cash += gross - exit_fee;
        self.position -= units;
        self.cost -= i128::from(units) * t.entry_price;
        let commission = exit_fee + entry_fee;
        let price_decimal =
            |p: i128| Decimal::from_i128_with_scale(p, self.scales.price).normalize();
        self.closed.push(Trade {
            size: Decimal::from(units),
            entry_bar: t.entry_bar,
            exit_bar: bar,
            entry_price: price_decimal(t.entry_price),
            exit_price: price_decimal(price),
            pnl: self.scales.money(gross - commission),
            commission: self.scales.money(commission),
        });
    }

    /// Fills pending orders at bar `i`'s open.
    fn process(&mut self, i: usize) {
        if let Some(model) = self.paper.clone() {
            return self.process_paper(i, &model);
        }
        let (open, last) = (self.open(i), self.close(i));
        // Filling places no orders; the buffer is handed back afterwards
        // rather than freed and allocated again for the next order.
        let mut orders = std::mem::take(&mut self.orders);
        for order in orders.drain(..) {
            match order {
                Order::CloseTrade(id) => {
                    if let Some(k) = self.trades.iter().position(|t| t.id == id) {
                        self.close_trade(k, open, i);
                    }
                }
                Order::AllEquity(direction) => self.fill_all_equity(direction, open, last, i),
                // Only paper fills leave units to trade.
                Order::Units(_) => {}
            }
        }
        self.orders = orders;
    }

    /// Fills pending orders at bar `i`'s open by the paper broker's model.
    fn process_paper(&mut self, i: usize, model: &PaperModel) {
        let (open, last) = (self.open(i), self.close(i));
        let mut left = volume_share(&self.bars[i], model);
        let mut orders = std::mem::take(&mut self.orders);
        let mut waiting = Vec::new();
        // A close at this bar still waits for volume.
        let mut closing = false;
        // Part-filled orders waiting for volume: open orders, to the risk
        // check of a new one (those not reached yet this bar, and those
        // reached and still not done).
        let mut part_filled_ahead = orders
            .iter()
            .filter(|o| matches!(o, Order::Units(_)))
            .count();
        for order in orders.drain(..) {
            if matches!(order, Order::Units(_)) {
                part_filled_ahead -= 1;
            }
            let open_orders = part_filled_ahead
                + waiting
                    .iter()
                    .filter(|o| matches!(o, Order::Units(_)))
                    .count();
            match order {
                Order::CloseTrade(id) => {
                    let Some(k) = self.trades.iter().position(|t| t.id == id) else {
                        continue;
                    };
                    let size = self.trades[k].size;
                    let units = size.abs().min(left);
                    if units > 0 {
                        let price = self.slipped(model, -size.signum(), open);
                        self.close_part(k, units * size.signum(), price, i);
                        left -= units;
                    }
                    if units < size.abs() {
                        waiting.push(order);
                        closing = true;
                    }
                }
                Order::AllEquity(_) | Order::Units(_) if self.exclusive && closing => {
                    waiting.push(order);
                }
                Order::AllEquity(direction) => {
                    let direction = i64::from(direction);
                    let price = self.slipped(model, direction, open);
                    let Some(units) =
                        self.accept_paper_order(direction, price, last, i, open_orders as u32)
                    else {
                        continue;
                    };
                    let rest = self.trade_units(direction * units, price, last, i, &mut left);
                    if rest != 0 {
                        waiting.push(Order::Units(rest));
                    }
                }
                Order::Units(need) => {
                    let price = self.slipped(model, need.signum(), open);
                    let rest = self.trade_units(need, price, last, i, &mut left);
                    if rest != 0 {
                        waiting.push(Order::Units(rest));
                    }
                }
            }
        }
        orders.append(&mut waiting);
        self.orders = orders;
    }

    /// `price` moved against an order of `direction` (+1 buy, −1 sell) by
    /// the model's slippage, on the price tick.
    fn slipped(&self, model: &PaperModel, direction: i64, price: i128) -> i128 {
        let side = if direction > 0 { Side::Buy } else { Side::Sell };
        let tick = Decimal::new(1, self.scales.price);
        let quote = Decimal::from_i128_with_scale(price, self.scales.price);
        to_fixed(model.slipped(side, quote, tick), self.scales.price)
    }

    /// The most units whose price and fee the margin available pays for.
    fn affordable(&self, price: i128, last: i128) -> i64 {
        let margin = self.margin_available(last);
        let per_unit = price * self.scales.price_to_money;
        if per_unit <= 0 {
            return 0;
        }
        let most = i64::try_from(margin / per_unit).unwrap_or(i64::MAX);
        let fits = |units: i64| i128::from(units) * per_unit + self.fee(units, price) <= margin;
        // A first guess that fits: take off the units whose price the fee
        // overshoots by. It undershoots (the fee shrinks with the units),
        // so the answer lies between it and `most`; the cost only grows
        // with the units, so halving finds it.
        let mut low = most;
        while low > 0 && !fits(low) {
            let over = i128::from(low) * per_unit + self.fee(low, price) - margin;
            let fewer = i64::try_from((over + per_unit - 1) / per_unit).unwrap_or(low);
            low -= fewer.max(1);
        }
        let (mut low, mut high) = (low.max(0), most);
        while low < high {
            let middle = low + (high - low + 1) / 2;
            if fits(middle) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        low
    }

    /// Sizes a new all-equity order and meets the risk limits with it once,
    /// when it first fills (with exclusive orders, once the old position is
    /// closed), as the live pipeline checks an order once: the part that
    /// opens a position is checked (closing only reduces risk), and a
    /// refused part is dropped. The fills that follow, however many bars
    /// the volume spreads them over, are not checked again. `None` when
    /// nothing is left to trade.
    fn accept_paper_order(
        &mut self,
        direction: i64,
        price: i128,
        last: i128,
        i: usize,
        open_orders: u32,
    ) -> Option<i64> {
        let units = self.affordable(price, last);
        let opposite: i64 = self
            .trades
            .iter()
            .filter(|t| t.size.signum() != direction)
            .map(|t| t.size.abs())
            .sum();
        let opening = units - opposite;
        let units =
            if opening > 0 && self.refused_by_risk(direction * opening, price, i, open_orders) {
                units.min(opposite)
            } else {
                units
            };
        (units > 0).then_some(units)
    }

    /// Trades `need` units (signed) at `price` within `left` units of
    /// volume: opposite trades close first, first in first out, then the
    /// rest opens as far as money allows. Returns the units still to trade
    /// at the next bar (none when money, not volume, ran out).
    fn trade_units(
        &mut self,
        mut need: i64,
        price: i128,
        last: i128,
        i: usize,
        left: &mut i64,
    ) -> i64 {
        while need != 0 && *left > 0 {
            let Some(k) = self.first_opposite(need) else {
                break;
            };
            let size = self.trades[k].size;
            let units = need.abs().min(size.abs()).min(*left);
            self.close_part(k, units * size.signum(), price, i);
            need += units * size.signum();
            *left -= units;
        }
        if need == 0 || *left == 0 {
            return need;
        }
        let affordable = self.affordable(price, last);
        let units = need.abs().min(*left).min(affordable);
        let money_short = affordable <= need.abs().min(*left) && affordable < need.abs();
        if units > 0 {
            let signed = units * need.signum();
            self.open_trade(signed, price, i);
            need -= signed;
            *left -= units;
        }
        if money_short { 0 } else { need }
    }

    /// The oldest open trade on the other side of `units`, which an order
    /// of `units` closes first.
    fn first_opposite(&self, units: i64) -> Option<usize> {
        self.trades
            .iter()
            .position(|t| t.size.signum() != units.signum())
    }

    /// Opens a trade of `units` (signed) at `price`, paying its fee.
    fn open_trade(&mut self, units: i64, price: i128, i: usize) {
        let fee = self.fee(units, price);
        self.cash -= fee;
        self.position += units;
        self.cost += i128::from(units) * price;
        self.next_trade_id += 1;
        self.trades.push(OpenTrade {
            id: self.next_trade_id,
            size: units,
            entry_bar: i,
            entry_price: price,
            entry_fee: fee,
        });
    }

    fn fill_all_equity(&mut self, direction: i8, price: i128, last: i128, i: usize) {
        // price × (1 + commission), as money.
        let per_unit = price
            * (self.scales.commission_one + self.scales.commission)
            * self.scales.fee_to_money;
        if per_unit <= 0 {
            return;
        }
        let Ok(units) = i64::try_from(self.margin_available(last) / per_unit) else {
            return;
        };
        if units == 0 {
            return; // cannot afford one unit: the broker cancels it
        }
        let mut need = units * i64::from(direction);
        // Opposite trades close first-in first-out.
        while need != 0 {
            let Some(k) = self.first_opposite(need) else {
                break;
            };
            let t = self.trades[k];
            if need.abs() >= t.size.abs() {
                self.close_trade(k, price, i);
                need += t.size;
            } else {
                self.close_part(k, -need, price, i);
                need = 0;
            }
        }
        if need == 0 || i128::from(need).abs() * per_unit > self.margin_available(last) {
            return; // nothing left to open, or not enough margin after the closes
        }
        // backtesting.py's orders fill whole at the next open: none waits.
        if self.refused_by_risk(need, price, i, 0) {
            return;
        }
        self.open_trade(need, price, i);
    }

    fn exposure(&self) -> Exposure {
        match self.position.signum() {
            1 => Exposure::Long,
            -1 => Exposure::Short,
            _ => Exposure::Flat,
        }
    }
}

/// Units of bar `bar`'s volume one bar's fills may take, by the model.
fn volume_share(bar: &Bar, model: &PaperModel) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (bar.volume * model.max_participation)
        .floor()
        .to_i64()
        .unwrap_or(i64::MAX)
        .max(0)
}

/// The next bars where the strategy may act, found a batch at a time. The
/// loop skips the bars between, so each such bar's prices are in memory
/// and not in cache: read one by one as the loop reaches them, every read
/// waited ~100 ns in turn. Read together in one short burst, the waits
/// overlap.
struct Signals {
    ahead: std::collections::VecDeque<usize>,
    /// Where the next batch starts.
    from: usize,
    n: usize,
}

/// Signals found and read into cache at a time: enough reads to overlap,
/// few enough to stay in cache until the loop gets to them.
const SIGNAL_BATCH: usize = 32;

impl Signals {
    fn new(start: usize, n: usize) -> Self {
        Self {
            ahead: std::collections::VecDeque::with_capacity(SIGNAL_BATCH),
            from: start,
            n,
        }
    }

    /// The first bar at or after `i` where the strategy may act (`n` for
    /// none); bars are asked for in increasing order.
    fn next(&mut self, i: usize, strategy: &mut dyn Strategy, prices: &Prices) -> usize {
        while self.ahead.front().is_some_and(|&at| at < i) {
            self.ahead.pop_front();
        }
        if self.ahead.is_empty() {
            self.from = self.from.max(i);
            while self.ahead.len() < SIGNAL_BATCH && self.from < self.n {
                let at = strategy.next_signal_from(self.from).max(self.from);
                if at >= self.n {
                    self.from = self.n;
                    break;
                }
                self.ahead.push_back(at);
                self.from = at + 1;
            }
            // Each signal's bar and the next, where its order fills. The
            // sum is only there so the reads are kept (`black_box`).
            let touched = self.ahead.iter().fold(0i64, |sum, &at| {
                let bar = |k: usize| prices.bars.get(k).map_or(0, |p| p[0]);
                sum.wrapping_add(bar(at)).wrapping_add(bar(at + 1))
            });
            std::hint::black_box(touched);
        }
        self.ahead.front().copied().unwrap_or(self.n)
    }
}

/// Runs `strategy` over `bars`.
pub fn run(
    bars: &[Bar],
    strategy: &mut dyn Strategy,
    config: &BacktestConfig,
) -> Result<BacktestResult, BacktestError> {
    if config.cash <= Decimal::ZERO {
        return Err(BacktestError::Cash(config.cash));
    }
    if config.commission < Decimal::ZERO || config.commission >= Decimal::ONE {
        return Err(BacktestError::Commission(config.commission));
    }
    if let Fills::Paper(model) = &config.fills {
        model.validate().map_err(BacktestError::Fills)?;
    }
    if bars.is_empty() {
        return Err(BacktestError::NoBars);
    }
    let paper = matches!(config.fills, Fills::Paper(_));
    let mut prices = Prices::new(bars)?;
    if paper {
        prices = prices.at_least(PAPER_PRICE_SCALE)?;
    }
    let scales = Scales::new(prices.scale, config)?;
    let cash = to_fixed(config.cash, scales.money);
    if !fits_in_i128(&prices, cash, &scales) || (paper && !fits_in_decimal(&prices, cash, &scales))
    {
        return Err(BacktestError::TooPrecise);
    }
    strategy.prepare(&Series::new(bars, &prices.bars))?;
    let mut broker = Broker {
        bars,
        prices: &prices,
        scales,
        exclusive: config.exclusive_orders,
        cash,
        trades: Vec::new(),
        position: 0,
        cost: 0,
        orders: Vec::new(),
        closed: Vec::new(),
        paper: match &config.fills {
            Fills::BacktestingPy => None,
            Fills::Paper(model) => Some(model.clone()),
        },
        next_trade_id: 0,
        risk: config.risk.clone().map(|limits| RiskTracker {
            limits,
            day: None,
            day_start_equity: cash,
            recent: std::collections::VecDeque::new(),
        }),
        refused: Vec::new(),
    };
    let n = bars.len();
    let start = (strategy.warmup() + 1).min(n);
    let stride = n.div_ceil(config.curve_points.max(1)).max(1);
    let money = |v: i128| Decimal::from_i128_with_scale(v, scales.money).normalize();
    let mut curve: Vec<(usize, Decimal)> = Vec::with_capacity(config.curve_points.min(n) + 1);
    let mut stats = EquityStats::new(scales.money, cash);
    // The warm-up holds the starting cash (backtesting.py back-fills it with
    // the first computed equity, which is the same: nothing trades before).
    for i in 0..start {
        if i > 0 {
            stats.push(cash);
        }
        if i % stride == 0 {
            curve.push((i, money(cash)));
        }
    }
    let mut out_of_money = false;
    // The next bar the curve keeps: counted rather than `i % stride`, a
    // division per bar.
    let mut next_point = start.next_multiple_of(stride);
    let mut last_value = cash;
    let mut signals = Signals::new(start, n);
    let mut next_signal = signals.next(start, strategy, &prices);
    let mut i = start;
    while i < n {
        broker.track_day(i, last_value);
        if !broker.orders.is_empty() {
            broker.process(i);
        }
        let mut value = broker.equity(broker.close(i));
        if value <= 0 && !out_of_money {
            // Out of money: close everything and stop, as backtesting.py does.
            while !broker.trades.is_empty() {
                broker.close_trade(0, broker.close(i), i);
            }
            broker.cash = 0;
            broker.orders.clear();
            out_of_money = true;
        }
        if out_of_money {
            value = 0;
        }
        stats.push(value);
        last_value = value;
        if i == next_point || i == n - 1 {
            curve.push((i, money(value)));
        }
        if i == next_point {
            next_point += stride;
        }
        if !out_of_money && i >= next_signal {
            if let Some(action) = strategy.next(i, broker.exposure()) {
                broker.place(action);
            }
            next_signal = signals.next(i + 1, strategy, &prices);
        }
        i += 1;
        // Nothing held or pending: equity stays `value` until the strategy
        // may act again, so that stretch is counted, not walked.
        if broker.orders.is_empty() && (out_of_money || broker.trades.is_empty()) {
            let until = if out_of_money { n } else { next_signal.min(n) };
            if until > i {
                stats.push_unchanged(until - i);
                while next_point < until {
                    curve.push((next_point, money(value)));
                    next_point += stride;
                }
                if until == n && curve.last().is_none_or(|(bar, _)| *bar != n - 1) {
                    curve.push((n - 1, money(value)));
                }
                i = until;
            }
        }
    }
    if start == n && !(n - 1).is_multiple_of(stride) {
        curve.push((n - 1, money(cash)));
    }
    let open_entry_bars: Vec<usize> = broker.trades.iter().map(|t| t.entry_bar).collect();
    let stats = compute_stats(bars, &stats, &broker.closed, &open_entry_bars, config.cash);
    let equity = EquityCurve {
        stride,
        points: curve,
    };
    Ok(BacktestResult {
        trades: broker.closed,
        equity,
        open_position: Decimal::from(broker.position),
        stats,
        refused: broker.refused,
        unfilled: broker.orders.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::SmaCross;
    use chrono::{TimeZone, Utc};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn bar(i: usize, open: &str, close: &str) -> Bar {
        let (o, c) = (d(open), d(close));
        Bar {
            ts: Utc.timestamp_opt(i as i64 * 86_400, 0).unwrap(),
            open: o,
            high: o.max(c),
            low: o.min(c),
            close: c,
            volume: Decimal::ONE,
        }
    }

    /// A strategy that plays back a fixed script of actions.
    struct Script(Vec<(usize, Action)>);
    impl Strategy for Script {
        fn warmup(&self) -> usize {
            0
        }
        fn prepare(&mut self, _: &Series) -> Result<(), StrategyError> {
            Ok(())
        }
        fn next(&mut self, i: usize, _: Exposure) -> Option<Action> {
            self.0.iter().find(|(at, _)| *at == i).map(|(_, a)| *a)
        }
    }

    fn config(exclusive: bool) -> BacktestConfig {
        BacktestConfig {
            cash: d("1000"),
            commission: d("0.01"),
            fills: Fills::BacktestingPy,
            exclusive_orders: exclusive,
            curve_points: usize::MAX,
            risk: None,
        }
    }

    #[test]
    fn the_live_risk_limits_refuse_orders_that_break_them() {
        let bars = vec![
            bar(0, "10", "10"),
            bar(1, "10", "10"),
            bar(2, "10", "10"),
            bar(3, "10", "10"),
            bar(4, "10", "10"),
        ];
        let script = || Script(vec![(1, Action::Buy), (2, Action::Close), (3, Action::Buy)]);
        let free = run(&bars, &mut script(), &config(true)).unwrap();
        assert_eq!(free.trades.len(), 1);
        assert!(free.refused.is_empty());
        // All-equity sizing buys 99 units × 10 = 990: above a 500 order limit.
        let limited = BacktestConfig {
            risk: Some(RiskLimits {
                max_order_value: d("500"),
                ..RiskLimits::default()
            }),
            ..config(true)
        };
        let r = run(&bars, &mut script(), &limited).unwrap();
        assert!(r.trades.is_empty());
        assert_eq!(r.open_position, Decimal::ZERO);
        assert_eq!(
            r.refused
                .iter()
                .map(|f| (f.bar, f.check))
                .collect::<Vec<_>>(),
            [(2, "max_order_value"), (4, "max_order_value")]
        );
        assert_eq!(r.equity.last().unwrap(), d("1000"), "nothing traded");
    }

    #[test]
    fn fills_at_next_open_with_commission_on_both_legs() {
        let bars = vec![
            bar(0, "10", "10"),
            bar(1, "10", "10"),
            bar(2, "9", "11"),
            bar(3, "12", "12"),
            bar(4, "12", "13"),
        ];
        let mut s = Script(vec![(1, Action::Buy), (3, Action::Close)]);
        let r = run(&bars, &mut s, &config(true)).unwrap();
        // floor(1000 / (9 × 1.01)) = 110 units at bar 2's open.
        assert_eq!(r.trades.len(), 1);
        let t = &r.trades[0];
        assert_eq!((t.size, t.entry_bar, t.exit_bar), (d("110"), 2, 4));
        assert_eq!((t.entry_price, t.exit_price), (d("9"), d("12")));
        // 110 × 3 − 0.01 × 110 × (9 + 12)
        assert_eq!(t.pnl, d("330") - d("23.10"));
        assert_eq!(r.equity.at(2), Some(d("1000") - d("9.90") + d("220")));
        assert_eq!(r.equity.last().unwrap(), d("1306.90"));
    }

    #[test]
    fn exclusive_reversal_closes_then_opens_at_the_same_open() {
        let bars = vec![
            bar(0, "10", "10"),
            bar(1, "10", "10"),
            bar(2, "10", "10"),
            bar(3, "8", "8"),
            bar(4, "8", "8"),
        ];
        let mut s = Script(vec![(1, Action::Buy), (2, Action::Sell)]);
        let r = run(&bars, &mut s, &config(true)).unwrap();
        assert_eq!(r.trades.len(), 1, "the short is still open");
        assert_eq!((r.trades[0].entry_bar, r.trades[0].exit_bar), (2, 3));
        assert!(r.open_position < Decimal::ZERO);
        // Long 99 @10 → closed @8: cash = 1000 − 9.9 − 198 − 7.92 = 784.18;
        // short floor(784.18 / 8.08) = 97 @8, fee 7.76.
        assert_eq!(r.open_position, d("-97"));
        assert_eq!(r.equity.last().unwrap(), d("784.18") - d("7.76"));
    }

    #[test]
    fn non_exclusive_opposite_order_nets_against_the_open_trade() {
        let bars = vec![
            bar(0, "10", "10"),
            bar(1, "10", "10"),
            bar(2, "10", "10"),
            bar(3, "10", "10"),
        ];
        let mut s = Script(vec![(1, Action::Buy), (2, Action::Sell)]);
        let r = run(&bars, &mut s, &config(false)).unwrap();
        // At bar 3 the long (99 units at 10) ties up all but 0.10 of the
        // margin, so the sell sizes to floor(0.10 / 10.1) = 0 and is
        // cancelled: nothing changes.
        assert_eq!(r.trades.len(), 0);
        assert_eq!(r.open_position, d("99"));
    }

    #[test]
    fn refuses_amounts_it_cannot_hold_exactly() {
        let bars = vec![bar(0, "0.000000000001", "1000000000000"), bar(1, "1", "1")];
        let mut c = config(true);
        c.cash = d("1000000000000");
        let mut s = Script(vec![]);
        assert_eq!(
            run(&bars, &mut s, &c).unwrap_err(),
            BacktestError::TooPrecise
        );
    }

    /// The conversion as it was done in two passes: the largest scale
    /// first, then every price at it.
    #[allow(clippy::type_complexity)] // a test's tuple of everything compared
    fn two_pass_prices(bars: &[Bar]) -> Result<(u32, Vec<OpenClose>, i128, i128), BacktestError> {
        let scale = bars
            .iter()
            .map(|b| b.open.scale().max(b.close.scale()))
            .max()
            .unwrap_or(0);
        let (mut lowest, mut highest) = (i64::MAX, 0i64);
        let mut fixed = Vec::new();
        for bar in bars {
            let (open, c) = (
                fixed_price(bar.open, scale)?,
                fixed_price(bar.close, scale)?,
            );
            lowest = lowest
                .min(if open > 0 { open } else { i64::MAX })
                .min(if c > 0 { c } else { i64::MAX });
            highest = highest.max(open).max(c);
            fixed.push([open, c]);
        }
        let lowest = i128::from(lowest.min(highest).max(1));
        Ok((scale, fixed, lowest, i128::from(highest.max(1))))
    }

    proptest::proptest! {
        #[test]
        fn split_one_pass_prices_match_two_passes(
            base in 0u32..10,
            spread in 1u32..20,
            huge in 0usize..60,
            prices in proptest::collection::vec(
                ((-(1i64 << 62)..(1i64 << 62)), 0u32..20, (0i64..100_000), 0u32..20),
                1..30,
            ),
        ) {
            // Scales within `spread` of `base`; now and then a huge or
            // negative open, to overflow.
            let bars: Vec<Bar> = prices
                .iter()
                .enumerate()
                .map(|(i, &(m, s, c, cs))| Bar {
                    ts: Utc.timestamp_opt(i as i64, 0).unwrap(),
                    open: Decimal::new(if i == huge { m } else { m.abs() % 100_000 }, base + s % spread),
                    high: Decimal::ONE,
                    low: Decimal::ONE,
                    close: Decimal::new(c, base + cs % spread),
                    volume: Decimal::ONE,
                })
                .collect();
            let want = two_pass_prices(&bars);
            for threads in 1..=4 {
                let got = Prices::on(&bars, threads)
                    .map(|p| (p.scale, p.bars, p.lowest, p.highest));
                proptest::prop_assert_eq!(&got, &want, "{} threads", threads);
            }
        }
    }

    #[test]
    fn no_bars_have_no_prices() {
        assert_eq!(fixed_prices(&[]), Ok(vec![]));
    }

    #[test]
    fn refuses_bad_cash_and_commission() {
        let bars = vec![bar(0, "1", "1")];
        let mut s = SmaCross::new(1, 2);
        let mut c = config(true);
        c.cash = Decimal::ZERO;
        assert_eq!(
            run(&bars, &mut s, &c).unwrap_err().to_string(),
            "cash: must be positive, got 0"
        );
        c.cash = d("10");
        c.commission = d("1");
        assert!(matches!(
            run(&bars, &mut s, &c),
            Err(BacktestError::Commission(_))
        ));
    }

    /// A walk of closes (in cents) by `(step × 10 cents, gap)` moves, each
    /// open `gap` cents from the previous close, an hour apart.
    fn walk(moves: &[(i64, i64)], volume: Decimal) -> Vec<Bar> {
        let mut close = 1_000i64;
        moves
            .iter()
            .enumerate()
            .map(|(i, (step, gap))| {
                let open = (close + gap).max(1);
                close = (close + step * 10).max(1);
                let (o, c) = (Decimal::new(open, 2), Decimal::new(close, 2));
                Bar {
                    ts: chrono::Utc.timestamp_opt(i as i64 * 3_600, 0).unwrap(),
                    open: o,
                    high: o.max(c),
                    low: o.min(c),
                    close: c,
                    volume,
                }
            })
            .collect()
    }

    /// SMA crossover asked at every bar: the trait's default
    /// `next_signal_from`, so no stretch is skipped.
    struct EveryBar(SmaCross);
    impl Strategy for EveryBar {
        fn warmup(&self) -> usize {
            self.0.warmup()
        }
        fn prepare(&mut self, series: &Series) -> Result<(), StrategyError> {
            self.0.prepare(series)
        }
        fn next(&mut self, i: usize, exposure: Exposure) -> Option<Action> {
            self.0.next(i, exposure)
        }
    }

    proptest::proptest! {
        #[test]
        fn skipping_quiet_stretches_changes_nothing(
            moves in proptest::collection::vec((-30i64..=30, -5i64..=5), 1..300),
            cash in 1u32..3000,
            commission in 0u32..300,
            exclusive: bool,
            points in 1usize..40,
            risk: bool,
        ) {
            // Big moves and small cash run some out of money.
            let bars = walk(&moves, Decimal::ONE);
            let config = BacktestConfig {
                cash: Decimal::from(cash),
                commission: Decimal::new(i64::from(commission), 3),
                fills: Fills::BacktestingPy,
                exclusive_orders: exclusive,
                curve_points: points,
                risk: risk.then(RiskLimits::default),
            };
            let skipping = run(&bars, &mut SmaCross::new(2, 5), &config);
            let walking = run(&bars, &mut EveryBar(SmaCross::new(2, 5)), &config);
            proptest::prop_assert_eq!(format!("{skipping:?}"), format!("{walking:?}"));
        }
    }

    /// Flat bars at `price` with `volume` units each, an hour apart.
    fn flat_bars(count: usize, price: &str, volume: i64) -> Vec<Bar> {
        (0..count)
            .map(|i| Bar {
                ts: chrono::Utc.timestamp_opt(i as i64 * 3_600, 0).unwrap(),
                open: d(price),
                high: d(price),
                low: d(price),
                close: d(price),
                volume: Decimal::from(volume),
            })
            .collect()
    }

    /// Each closed trade's size, entry bar and exit bar.
    fn spans(r: &BacktestResult) -> Vec<(Decimal, usize, usize)> {
        r.trades
            .iter()
            .map(|t| (t.size, t.entry_bar, t.exit_bar))
            .collect()
    }

    fn paper(exclusive: bool) -> BacktestConfig {
        BacktestConfig {
            cash: d("1000"),
            commission: d("0.01"),
            // 1 bp of slippage and a quarter of each bar's volume, as live;
            // 1 % fees, in cents.
            fills: Fills::Paper(PaperModel::with_commission(d("0.01"))),
            exclusive_orders: exclusive,
            curve_points: usize::MAX,
            risk: None,
        }
    }

    #[test]
    fn paper_fills_slip_take_a_share_of_volume_and_pay_the_models_fees() {
        let bars = flat_bars(14, "10.00", 100);
        let mut s = Script(vec![(1, Action::Buy), (7, Action::Close)]);
        let r = run(&bars, &mut s, &paper(false)).unwrap();
        // 98 units were affordable at 10.01 plus 1 % fees (99 are not:
        // 990.99 + 9.91 > 1000); 25 a bar (a quarter of 100), and the last
        // 23 at bar 5. Each fill is a trade; closing also takes 25 a bar.
        assert_eq!(
            spans(&r),
            vec![
                (d("25"), 2, 8),
                (d("25"), 3, 9),
                (d("25"), 4, 10),
                (d("23"), 5, 11)
            ]
        );
        for t in &r.trades {
            // 10.00 moved 1 bp against each order, on the 0.01 tick.
            assert_eq!((t.entry_price, t.exit_price), (d("10.01"), d("9.99")));
            let fees = ((t.size * d("10.01") * d("0.01")).round_dp(2))
                + ((t.size * d("9.99") * d("0.01")).round_dp(2));
            assert_eq!(t.commission, fees);
            assert_eq!(t.pnl, t.size * d("-0.02") - fees);
        }
        // Everything closed: equity is the cash plus every trade's result.
        let total: Decimal = r.trades.iter().map(|t| t.pnl).sum();
        assert_eq!(r.stats.equity_final, d("1000") + total);
        assert_eq!(r.open_position, Decimal::ZERO);
    }

    #[test]
    fn paper_fills_with_exclusive_orders_reverse_only_once_closed() {
        let bars = flat_bars(30, "10.00", 100);
        let mut s = Script(vec![(1, Action::Buy), (7, Action::Sell)]);
        let r = run(&bars, &mut s, &paper(true)).unwrap();
        let last_long_exit = r
            .trades
            .iter()
            .filter(|t| t.size > Decimal::ZERO)
            .map(|t| t.exit_bar)
            .max()
            .unwrap();
        assert_eq!(last_long_exit, 11, "98 units close 25 a bar from bar 8");
        assert!(r.open_position < Decimal::ZERO, "the short opened");
        // The short's first fill shares bar 11 with the last close: 2 units
        // of that bar's 25 were left. Closed at the end, its fills show.
        let mut t = Script(vec![
            (1, Action::Buy),
            (7, Action::Sell),
            (25, Action::Close),
        ]);
        let closed = run(&bars, &mut t, &paper(true)).unwrap();
        let shorts: Vec<(Decimal, usize)> = closed
            .trades
            .iter()
            .filter(|t| t.size < Decimal::ZERO)
            .map(|t| (t.size, t.entry_bar))
            .collect();
        assert_eq!(shorts.first(), Some(&(d("-2"), 11)));
        assert!(
            shorts
                .iter()
                .all(|&(size, bar)| bar >= last_long_exit && size >= d("-25"))
        );
    }

    #[test]
    fn paper_fills_meet_the_risk_limits_once_per_order() {
        // Ten seconds apart: the four fills of one order fall within a
        // minute, and count as one order there.
        let bars: Vec<Bar> = flat_bars(10, "10.00", 100)
            .into_iter()
            .enumerate()
            .map(|(i, bar)| Bar {
                ts: chrono::Utc.timestamp_opt(i as i64 * 10, 0).unwrap(),
                ..bar
            })
            .collect();
        let limited = |limits: RiskLimits| BacktestConfig {
            risk: Some(limits),
            ..paper(false)
        };
        let one_a_minute = RiskLimits {
            max_orders_per_minute: 1,
            ..RiskLimits::default()
        };
        let r = run(
            &bars,
            &mut Script(vec![(1, Action::Buy)]),
            &limited(one_a_minute),
        )
        .unwrap();
        assert!(r.refused.is_empty(), "{:?}", r.refused);
        assert_eq!(r.open_position, d("98"), "all four fills went through");
        // An order too large is refused once, when placed, and nothing fills.
        let small = RiskLimits {
            max_order_value: d("500"),
            ..RiskLimits::default()
        };
        let r = run(&bars, &mut Script(vec![(1, Action::Buy)]), &limited(small)).unwrap();
        assert_eq!(r.refused.len(), 1);
        assert_eq!(r.refused[0].check, "max_order_value");
        assert_eq!(r.open_position, Decimal::ZERO);
    }

    #[test]
    fn paper_orders_still_filling_count_as_open_orders() {
        // The first buy fills 25 units a bar; the second arrives while 73
        // of them still wait for volume, so it is the second open order.
        let bars = flat_bars(10, "10.00", 100);
        let script = || Script(vec![(1, Action::Buy), (2, Action::Buy)]);
        let limits = |max_open_orders| BacktestConfig {
            risk: Some(RiskLimits {
                max_open_orders,
                ..RiskLimits::default()
            }),
            ..paper(false)
        };
        let r = run(&bars, &mut script(), &limits(1)).unwrap();
        assert_eq!(r.refused.len(), 1, "{:?}", r.refused);
        assert_eq!(
            (r.refused[0].bar, r.refused[0].check),
            (3, "max_open_orders")
        );
        let r = run(&bars, &mut script(), &limits(2)).unwrap();
        assert!(r.refused.is_empty(), "{:?}", r.refused);
    }

    #[test]
    fn a_close_cancels_the_rest_of_a_part_filled_order() {
        // 25 of 98 units fill at bar 2; the close at bar 2 drops the 73
        // still waiting rather than letting them take the volume first.
        let bars = flat_bars(14, "10.00", 100);
        let mut s = Script(vec![(1, Action::Buy), (2, Action::Close)]);
        let r = run(&bars, &mut s, &paper(false)).unwrap();
        assert_eq!(spans(&r), vec![(d("25"), 2, 3)]);
        assert_eq!((r.open_position, r.unfilled), (Decimal::ZERO, 0));
    }

    #[test]
    fn paper_all_equity_buys_the_most_units_the_money_pays_for() {
        // At 1.00 with 10 % fees, 909 units cost 909 + 90.90 = 999.90 of
        // 1,000; 910 would cost 1,001.
        let bars = flat_bars(4, "1.00", 1_000_000);
        let config = BacktestConfig {
            fills: Fills::Paper(PaperModel {
                slippage_bps: Decimal::ZERO,
                max_participation: Decimal::ONE,
                ..PaperModel::with_commission(d("0.1"))
            }),
            ..paper(false)
        };
        let r = run(&bars, &mut Script(vec![(1, Action::Buy)]), &config).unwrap();
        assert_eq!(r.open_position, d("909"));
    }

    #[test]
    fn whole_number_prices_slip_by_a_cent_not_a_unit() {
        let bars = flat_bars(5, "100", 1_000);
        let mut s = Script(vec![(1, Action::Buy), (2, Action::Close)]);
        let r = run(&bars, &mut s, &paper(false)).unwrap();
        let t = &r.trades[0];
        assert_eq!((t.entry_price, t.exit_price), (d("100.01"), d("99.99")));
    }

    #[test]
    fn orders_the_volume_never_fills_are_reported() {
        // A quarter of 3 units is no whole unit: nothing ever fills.
        let bars = flat_bars(6, "10.00", 3);
        let r = run(&bars, &mut Script(vec![(1, Action::Buy)]), &paper(false)).unwrap();
        assert_eq!(
            (r.trades.len(), r.open_position, r.unfilled),
            (0, Decimal::ZERO, 1)
        );
    }

    #[test]
    fn a_bad_paper_model_is_refused_by_field() {
        let bars = flat_bars(3, "10.00", 100);
        let mut config = paper(false);
        config.fills = Fills::Paper(PaperModel {
            max_participation: d("1.5"),
            ..PaperModel::default()
        });
        let err = run(&bars, &mut Script(vec![]), &config).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fills: max_participation: must be more than 0 and at most 1, got 1.5"
        );
    }

    proptest::proptest! {
        #[test]
        fn paper_fills_with_no_slippage_fees_or_volume_cap_are_backtesting_pys(
            moves in proptest::collection::vec((-30i64..=30, -5i64..=5), 1..200),
            cash in 1u32..3000,
        ) {
            let bars = walk(&moves, Decimal::from(1_000_000_000));
            let mut config = BacktestConfig {
                cash: Decimal::from(cash),
                commission: Decimal::ZERO,
                fills: Fills::BacktestingPy,
                exclusive_orders: true,
                curve_points: 50,
                risk: None,
            };
            let rules = run(&bars, &mut SmaCross::new(2, 5), &config);
            config.fills = Fills::Paper(PaperModel {
                slippage_bps: Decimal::ZERO,
                max_participation: Decimal::ONE,
                ..PaperModel::default()
            });
            let paper = run(&bars, &mut SmaCross::new(2, 5), &config);
            proptest::prop_assert_eq!(format!("{rules:?}"), format!("{paper:?}"));
        }
    }
}
