import { useEffect, useId, useRef, useState } from "react";
import type { CandlestickData, HistogramData, IChartApi, ISeriesApi, LineData, UTCTimestamp } from "lightweight-charts";
import type { BarView } from "../bindings/BarView";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { useAppData } from "../data/AppData";
import { baseChartOptions, chartColors, chartsSupported, intraday, loadCharts, useColorScheme, withAlpha } from "./charts";
import type { ChartColors } from "./charts";
import { formatPrice } from "./format";
import { lastSma, sma } from "./sma";

export const SMA_PERIOD = 20;

/** A bar as numbers: for drawing only. */
interface PlotBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const toPlot = (b: Pick<BarView, "open" | "high" | "low" | "close" | "volume"> & { time: unknown }): PlotBar => ({
  time: Number(b.time),
  open: Number(b.open),
  high: Number(b.high),
  low: Number(b.low),
  close: Number(b.close),
  volume: Number(b.volume),
});

interface Series {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  volume: ISeriesApi<"Histogram">;
  sma: ISeriesApi<"Line">;
}

const ts = (t: number) => t as UTCTimestamp;
/** The closes the last SMA needs (not the whole history, which may hold thousands of bars). */
const closes = (list: readonly PlotBar[]) => list.slice(-SMA_PERIOD).map((b) => b.close);
const candle = (b: PlotBar): CandlestickData => ({ time: ts(b.time), open: b.open, high: b.high, low: b.low, close: b.close });
const volumeBar = (b: PlotBar, c: ChartColors): HistogramData => ({
  time: ts(b.time),
  value: b.volume,
  color: withAlpha(b.close >= b.open ? c.up : c.down, 0.45),
});

function applyTheme(s: Series, c: ChartColors) {
  const base = baseChartOptions(c);
  s.chart.applyOptions({ layout: base.layout, grid: base.grid, rightPriceScale: base.rightPriceScale, timeScale: { borderColor: c.border } });
  s.candles.applyOptions({ upColor: c.up, downColor: c.down, borderUpColor: c.up, borderDownColor: c.down, wickUpColor: c.up, wickDownColor: c.down });
  s.sma.applyOptions({ color: c.accent });
}

function setAll(s: Series, bars: readonly PlotBar[], c: ChartColors) {
  s.chart.applyOptions({ timeScale: { timeVisible: intraday(bars.map((b) => b.time)) } });
  s.candles.setData(bars.map(candle));
  s.volume.setData(bars.map((b) => volumeBar(b, c)));
  const avg = sma(
    bars.map((b) => b.close),
    SMA_PERIOD,
  );
  const line: LineData[] = [];
  avg.forEach((v, i) => {
    if (v !== null) line.push({ time: ts(bars[i]!.time), value: v });
  });
  s.sma.setData(line);
}

/** Candles, volume and SMA(20) for one symbol: the bars played so far, then live. */
export function PriceChart({ symbols }: { symbols: readonly string[] }) {
  const backend = useBackend();
  const { listen } = useAppData();
  const uid = useId();
  const scheme = useColorScheme();
  const [supported] = useState(chartsSupported);
  const [chosen, setChosen] = useState<string | null>(null);
  const symbol = chosen !== null && symbols.includes(chosen) ? chosen : (symbols[0] ?? null);
  const container = useRef<HTMLDivElement>(null);
  const series = useRef<Series | null>(null);
  const [ready, setReady] = useState(false);
  const bars = useRef<PlotBar[]>([]);
  // For the legend; belongs to `summary.symbol` (stale while another symbol loads).
  const [summary, setSummary] = useState<{ symbol: string | null; count: number; close: string | null; sma: number | null }>({
    symbol: null,
    count: 0,
    close: null,
    sma: null,
  });
  const [error, setError] = useState<string | null>(null);

  // The chart itself, created once the library has loaded.
  useEffect(() => {
    if (!supported || !container.current) return;
    let disposed = false;
    const el = container.current;
    void loadCharts().then(
      (lc) => {
        if (disposed) return;
        const c = chartColors();
        const chart = lc.createChart(el, baseChartOptions(c));
        const candles = chart.addSeries(lc.CandlestickSeries, { priceLineVisible: true });
        candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
        const volume = chart.addSeries(lc.HistogramSeries, {
          priceScaleId: "volume",
          priceFormat: { type: "volume" },
          lastValueVisible: false,
          priceLineVisible: false,
        });
        chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
        const line = chart.addSeries(lc.LineSeries, {
          lineWidth: 2,
          priceLineVisible: false,
          lastValueVisible: false,
          crosshairMarkerVisible: false,
          title: `SMA ${SMA_PERIOD}`,
        });
        series.current = { chart, candles, volume, sma: line };
        applyTheme(series.current, c);
        setReady(true);
      },
      (e: unknown) => {
        if (!disposed) setError(`The chart could not load: ${errorMessage(e)}`);
      },
    );
    return () => {
      disposed = true;
      series.current?.chart.remove();
      series.current = null;
      setReady(false);
    };
  }, [supported]);

  // Follow the light/dark theme.
  useEffect(() => {
    if (!ready || !series.current) return;
    const c = chartColors();
    applyTheme(series.current, c);
    setAll(series.current, bars.current, c);
  }, [scheme, ready]);

  // The symbol's bars so far; bars that arrived while loading are kept.
  useEffect(() => {
    bars.current = [];
    if (!symbol) return;
    let stale = false;
    const load = async () => {
      try {
        const loaded = (await backend.marketBars(symbol)).map(toPlot);
        if (stale) return;
        const lastLoaded = loaded[loaded.length - 1]?.time ?? -Infinity;
        bars.current = [...loaded, ...bars.current.filter((b) => b.time > lastLoaded)];
        const last = bars.current[bars.current.length - 1];
        setSummary({
          symbol,
          count: bars.current.length,
          close: last ? String(last.close) : null,
          sma: lastSma(closes(bars.current), SMA_PERIOD),
        });
        if (series.current) {
          setAll(series.current, bars.current, chartColors());
          series.current.chart.timeScale().fitContent();
        }
        setError(null);
      } catch (e) {
        if (!stale) setError(`Could not load the bars: ${errorMessage(e)}`);
      }
    };
    void load();
    return () => {
      stale = true;
    };
  }, [backend, symbol, ready]);

  // Live bars.
  useEffect(() => {
    if (!symbol) return;
    return listen((ev) => {
      if (ev.type !== "market_bar" || ev.symbol !== symbol) return;
      const bar = toPlot(ev);
      const list = bars.current;
      const last = list[list.length - 1];
      const s = series.current;
      const c = s ? chartColors() : null;
      if (last && bar.time < last.time) {
        // A new replay of older data: the server starts a fresh history too.
        bars.current = [bar];
        if (s && c) setAll(s, bars.current, c);
      } else {
        if (last && bar.time === last.time) list[list.length - 1] = bar;
        else list.push(bar);
        if (s && list.length <= 2) s.chart.applyOptions({ timeScale: { timeVisible: intraday(list.map((b) => b.time)) } });
        if (s && c) {
          s.candles.update(candle(bar));
          s.volume.update(volumeBar(bar, c));
          const avg = lastSma(closes(list), SMA_PERIOD);
          if (avg !== null) s.sma.update({ time: ts(bar.time), value: avg });
        }
      }
      setSummary({
        symbol,
        count: bars.current.length,
        close: ev.close,
        sma: lastSma(closes(bars.current), SMA_PERIOD),
      });
    });
  }, [listen, symbol]);

  const legend = summary.symbol === symbol ? summary : null;

  return (
    <section className="panel chart-panel" aria-labelledby={`${uid}-title`} data-testid="price-chart-panel">
      <div className="section-header">
        <h2 id={`${uid}-title`}>Chart</h2>
        <div className="chart-controls">
          <label htmlFor={`${uid}-symbol`}>Symbol</label>
          <select
            id={`${uid}-symbol`}
            value={symbol ?? ""}
            disabled={symbols.length === 0}
            data-testid="chart-symbol"
            onChange={(e) => setChosen(e.target.value)}
          >
            {symbols.length === 0 && <option value="">—</option>}
            {symbols.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="chart-legend small muted" data-testid="chart-legend">
        {symbol && legend && legend.count > 0 ? (
          <>
            {legend.count} bars · last close <span className="mono">{legend.close ? formatPrice(legend.close) : "—"}</span> ·{" "}
            <span className="legend-sma">
              SMA {SMA_PERIOD} <span className="mono">{legend.sma === null ? "—" : legend.sma.toFixed(2)}</span>
            </span>
          </>
        ) : symbol ? (
          `No bars for ${symbol} yet.`
        ) : (
          "No market data yet: start a replay to see prices here."
        )}
      </p>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {supported ? (
        <div className="chart-box chart-box-price" ref={container} data-testid="price-chart" role="img" aria-label={symbol ? `Price chart of ${symbol}` : "Price chart"} />
      ) : (
        <p className="muted small" data-testid="chart-unavailable">
          Charts need a canvas, which this view does not have.
        </p>
      )}
    </section>
  );
}
