//! Market data for the chart and for orders: a CSV played back at a chosen
//! speed, so paper trading works offline with live-looking prices, or live
//! bars from the selected broker's market data (Alpaca bars, Binance
//! klines). Each bar becomes a quote at its close (with its volume, for
//! partial fills) and a `market_bar` event.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jarvis_core::{Event, EventBus};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::bars::{Bar, parse_csv};
use crate::broker::Timeframe;
use crate::live::LiveVenue;
use crate::paper::Quote;
use crate::service::{TradingError, TradingService};
use crate::validate::{self, Invalid};

/// Bars kept per symbol for the chart.
const HISTORY: usize = 5_000;
/// The longest wait between two bars, whatever their timestamps say.
const MAX_GAP: Duration = Duration::from_secs(5);

/// `POST /api/v1/market/replay`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReplayRequest {
    pub symbol: String,
    /// CSV text: a timestamp column and Open, High, Low, Close, Volume.
    pub csv: String,
    /// Times faster than the bars' own clock (60: a one-minute bar per
    /// second); 0 plays as fast as possible.
    pub speed: f64,
}

/// `POST /api/v1/market/feeds`: live bars from the selected broker.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FeedRequest {
    pub symbol: String,
    pub timeframe: FeedTimeframe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FeedTimeframe {
    Minute,
    Hour,
    Day,
}

impl FeedTimeframe {
    fn timeframe(self) -> Timeframe {
        match self {
            FeedTimeframe::Minute => Timeframe::Minute,
            FeedTimeframe::Hour => Timeframe::Hour,
            FeedTimeframe::Day => Timeframe::Day,
        }
    }

    /// How far back the first load reaches, and how often to ask again.
    fn history_and_poll(self) -> (chrono::Duration, Duration) {
        match self {
            FeedTimeframe::Minute => (chrono::Duration::days(3), Duration::from_secs(20)),
            FeedTimeframe::Hour => (chrono::Duration::days(60), Duration::from_secs(60)),
            FeedTimeframe::Day => (chrono::Duration::days(730), Duration::from_secs(300)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReplayStatus {
    pub symbol: String,
    /// "replay" for a CSV, else the broker the bars come from.
    pub source: String,
    pub played: usize,
    pub total: usize,
    pub speed: f64,
    pub running: bool,
}

/// One bar for the chart: time in Unix seconds, amounts as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BarView {
    pub time: i64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
}

impl From<&Bar> for BarView {
    fn from(b: &Bar) -> Self {
        Self {
            time: b.ts.timestamp(),
            open: b.open.to_string(),
            high: b.high.to_string(),
            low: b.low.to_string(),
            close: b.close.to_string(),
            volume: b.volume.to_string(),
        }
    }
}

struct Running {
    status: Arc<Mutex<ReplayStatus>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
pub struct MarketService {
    trading: TradingService,
    bus: EventBus,
    replays: Arc<Mutex<HashMap<String, Running>>>,
    history: Arc<Mutex<HashMap<String, VecDeque<Bar>>>>,
    runs: crate::runner::Runs,
}

impl MarketService {
    pub fn new(trading: TradingService, bus: EventBus) -> Self {
        Self {
            trading,
            bus,
            replays: Default::default(),
            history: Default::default(),
            runs: Default::default(),
        }
    }

    /// Starts (or restarts) the replay for a symbol.
    pub fn start_replay(&self, request: ReplayRequest) -> Result<ReplayStatus, TradingError> {
        let invalid = |field, reason: String| TradingError::Invalid(Invalid { field, reason });
        validate::instrument(&request.symbol).map_err(TradingError::Invalid)?;
        if !request.speed.is_finite() || request.speed < 0.0 {
            return Err(invalid(
                "speed",
                format!("must be 0 or more, got {}", request.speed),
            ));
        }
        let bars = parse_csv(request.csv.as_bytes()).map_err(|e| invalid("csv", e.to_string()))?;
        self.stop_replay(&request.symbol);

        let status = Arc::new(Mutex::new(ReplayStatus {
            symbol: request.symbol.clone(),
            source: "replay".into(),
            played: 0,
            total: bars.len(),
            speed: request.speed,
            running: true,
        }));
        let task = tokio::spawn(play(
            self.clone(),
            request.symbol.clone(),
            bars,
            request.speed,
            status.clone(),
        ));
        let view = status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.replays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(request.symbol.clone(), Running { status, task });
        self.bus.publish(Event::ReplayChanged {
            symbol: request.symbol,
            running: true,
        });
        Ok(view)
    }

    /// Starts (or restarts) live bars for a symbol from the selected
    /// broker: the recent history first, then new bars as they complete.
    pub async fn start_feed(&self, request: FeedRequest) -> Result<ReplayStatus, TradingError> {
        let invalid = |field, reason: String| TradingError::Invalid(Invalid { field, reason });
        let Some(venue) = self.trading.venue() else {
            return Err(invalid(
                "symbol",
                "live bars come from a broker: select Alpaca or Binance in Settings, or play a CSV replay".into(),
            ));
        };
        let instrument = validate::instrument(&request.symbol).map_err(TradingError::Invalid)?;
        venue
            .broker()
            .supports(&instrument)
            .map_err(|reason| invalid("symbol", reason))?;
        let (back, poll) = request.timeframe.history_and_poll();
        let end = chrono::Utc::now();
        let mut bars = venue
            .data()
            .bars(
                &request.symbol,
                request.timeframe.timeframe(),
                end - back,
                end,
            )
            .await?;
        if bars.len() > HISTORY {
            bars.drain(..bars.len() - HISTORY);
        }
        self.stop_replay(&request.symbol);
        self.history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&request.symbol);
        for bar in &bars {
            self.remember(&request.symbol, bar);
        }
        if let Some(last) = bars.last() {
            self.trading
                .on_quote(request.symbol.clone(), quote_of(last))
                .await?;
        }
        let status = Arc::new(Mutex::new(ReplayStatus {
            symbol: request.symbol.clone(),
            source: venue.name().into(),
            played: bars.len(),
            total: bars.len(),
            speed: 0.0,
            running: true,
        }));
        let task = tokio::spawn(follow(
            self.clone(),
            venue,
            request.symbol.clone(),
            request.timeframe.timeframe(),
            bars.last().map(|b| b.ts),
            poll,
            status.clone(),
        ));
        let view = status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.replays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(request.symbol.clone(), Running { status, task });
        self.bus.publish(Event::ReplayChanged {
            symbol: request.symbol,
            running: true,
        });
        Ok(view)
    }

    /// Stops a symbol's replay or live feed; true when one was running.
    pub fn stop_replay(&self, symbol: &str) -> bool {
        let removed = self
            .replays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(symbol);
        match removed {
            Some(r) => {
                r.task.abort();
                let was_running = r.status.lock().unwrap_or_else(|p| p.into_inner()).running;
                self.bus.publish(Event::ReplayChanged {
                    symbol: symbol.to_string(),
                    running: false,
                });
                was_running
            }
            None => false,
        }
    }

    pub fn replays(&self) -> Vec<ReplayStatus> {
        let replays = self.replays.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<ReplayStatus> = replays
            .values()
            .map(|r| r.status.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        list.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        list
    }

    /// The bars played so far for a symbol, oldest first.
    pub fn bars(&self, symbol: &str) -> Vec<BarView> {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        history
            .get(symbol)
            .map(|h| h.iter().map(BarView::from).collect())
            .unwrap_or_default()
    }

    pub(crate) fn runs(&self) -> &crate::runner::Runs {
        &self.runs
    }

    pub(crate) fn trading(&self) -> &TradingService {
        &self.trading
    }

    /// The bars kept for `symbol`, oldest first.
    pub(crate) fn history_of(&self, symbol: &str) -> Vec<Bar> {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        history
            .get(symbol)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn remember(&self, symbol: &str, bar: &Bar) {
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        let h = history.entry(symbol.to_string()).or_default();
        if h.back().is_some_and(|last| last.ts >= bar.ts) {
            h.clear(); // a new replay of older data starts a fresh chart
        }
        if h.len() == HISTORY {
            h.pop_front();
        }
        h.push_back(bar.clone());
    }
}

fn quote_of(bar: &Bar) -> Quote {
    Quote {
        price: bar.close,
        volume: (bar.volume > Decimal::ZERO).then_some(bar.volume),
        time: bar.ts,
    }
}

/// Publishes a bar and applies its close as a quote.
async fn deliver(market: &MarketService, symbol: &str, bar: &Bar) -> Result<(), TradingError> {
    market.remember(symbol, bar);
    market.bus.publish(Event::MarketBar {
        symbol: symbol.to_string(),
        time: bar.ts.timestamp(),
        open: bar.open.to_string(),
        high: bar.high.to_string(),
        low: bar.low.to_string(),
        close: bar.close.to_string(),
        volume: bar.volume.to_string(),
    });
    market
        .trading
        .on_quote(symbol.to_string(), quote_of(bar))
        .await?;
    market.run_strategy(symbol, bar).await;
    Ok(())
}

/// Asks the broker for bars newer than the last one every `poll`; a
/// failed request is logged and retried at the next tick.
async fn follow(
    market: MarketService,
    venue: Arc<LiveVenue>,
    symbol: String,
    timeframe: Timeframe,
    mut last: Option<chrono::DateTime<chrono::Utc>>,
    poll: Duration,
    status: Arc<Mutex<ReplayStatus>>,
) {
    loop {
        tokio::time::sleep(poll).await;
        let end = chrono::Utc::now();
        let start = last.map_or(end - chrono::Duration::days(1), |t| {
            t + chrono::Duration::seconds(1)
        });
        let bars = match venue.data().bars(&symbol, timeframe, start, end).await {
            Ok(bars) => bars,
            Err(e) => {
                tracing::warn!(%symbol, broker = venue.name(), error = %e, "live bars: request failed");
                continue;
            }
        };
        let newer: Vec<&Bar> = bars
            .iter()
            .filter(|b| last.is_none_or(|t| b.ts > t))
            .collect();
        for bar in newer {
            if let Err(e) = deliver(&market, &symbol, bar).await {
                tracing::error!(%symbol, error = %e, "live bars stopped: the quote could not be applied");
                return;
            }
            last = Some(bar.ts);
            let mut s = status.lock().unwrap_or_else(|p| p.into_inner());
            s.played += 1;
            s.total += 1;
        }
    }
}

async fn play(
    market: MarketService,
    symbol: String,
    bars: Vec<Bar>,
    speed: f64,
    status: Arc<Mutex<ReplayStatus>>,
) {
    let mut previous: Option<&Bar> = None;
    for (i, bar) in bars.iter().enumerate() {
        if let Some(prev) = previous {
            let gap = (bar.ts - prev.ts).to_std().unwrap_or_default();
            if speed > 0.0 {
                tokio::time::sleep(gap.div_f64(speed).min(MAX_GAP)).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        previous = Some(bar);
        if let Err(e) = deliver(&market, &symbol, bar).await {
            tracing::error!(%symbol, error = %e, "replay stopped: the quote could not be applied");
            break;
        }
        status.lock().unwrap_or_else(|p| p.into_inner()).played = i + 1;
    }
    status.lock().unwrap_or_else(|p| p.into_inner()).running = false;
    market.bus.publish(Event::ReplayChanged {
        symbol,
        running: false,
    });
}
