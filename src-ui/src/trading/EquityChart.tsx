import { useEffect, useRef, useState } from "react";
import type { IChartApi, ISeriesApi, LineData, UTCTimestamp } from "lightweight-charts";
import type { EquityPoint } from "../bindings/EquityPoint";
import { baseChartOptions, chartColors, chartsSupported, intraday, loadCharts, useColorScheme, withAlpha } from "./charts";
import type { ChartColors } from "./charts";
import { unixSeconds } from "./format";

/** Points as the chart wants them: ascending, one per second (the last wins). */
export function equityLine(points: readonly EquityPoint[]): LineData[] {
  const byTime = new Map<number, number>();
  for (const p of points) {
    const t = unixSeconds(p.time);
    if (Number.isFinite(t)) byTime.set(t, Number(p.equity));
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
}

function style(area: ISeriesApi<"Area">, c: ChartColors) {
  area.applyOptions({ lineColor: c.accent, topColor: withAlpha(c.accent, 0.35), bottomColor: withAlpha(c.accent, 0.02) });
}

/** A backtest's equity curve. */
export function EquityChart({ points }: { points: readonly EquityPoint[] }) {
  const [supported] = useState(chartsSupported);
  const scheme = useColorScheme();
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<{ chart: IChartApi; area: ISeriesApi<"Area"> } | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    if (!supported || !container.current) return;
    let disposed = false;
    const el = container.current;
    void loadCharts().then((lc) => {
      if (disposed) return;
      const c = chartColors();
      const api = lc.createChart(el, baseChartOptions(c));
      const area = api.addSeries(lc.AreaSeries, { lineWidth: 2, priceLineVisible: false });
      style(area, c);
      chart.current = { chart: api, area };
      setReady(true);
    });
    return () => {
      disposed = true;
      chart.current?.chart.remove();
      chart.current = null;
      setReady(false);
    };
  }, [supported]);

  useEffect(() => {
    if (!ready || !chart.current) return;
    const c = chartColors();
    const base = baseChartOptions(c);
    chart.current.chart.applyOptions({ layout: base.layout, grid: base.grid, rightPriceScale: base.rightPriceScale, timeScale: { borderColor: c.border } });
    style(chart.current.area, c);
  }, [ready, scheme]);

  useEffect(() => {
    if (!ready || !chart.current) return;
    const line = equityLine(points);
    chart.current.area.setData(line);
    chart.current.chart.applyOptions({ timeScale: { timeVisible: intraday(line.map((p) => Number(p.time))) } });
    chart.current.chart.timeScale().fitContent();
  }, [ready, points]);

  if (!supported) return null;
  return <div className="chart-box chart-box-equity" ref={container} data-testid="equity-chart" role="img" aria-label="Equity curve" />;
}
