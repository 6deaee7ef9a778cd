import { useSyncExternalStore } from "react";
import type { ChartOptions, DeepPartial } from "lightweight-charts";

/**
 * lightweight-charts draws on a canvas and sizes itself with ResizeObserver;
 * jsdom (the unit tests) has neither, so the charts are left out there.
 */
export function chartsSupported(): boolean {
  return (
    typeof window !== "undefined" &&
    typeof window.ResizeObserver === "function" &&
    typeof window.matchMedia === "function" &&
    typeof HTMLCanvasElement !== "undefined"
  );
}

/** Loaded on first use, so the chart library stays out of the main bundle. */
export const loadCharts = () => import("lightweight-charts");

const DARK = "(prefers-color-scheme: dark)";

function subscribeScheme(cb: () => void) {
  if (typeof window.matchMedia !== "function") return () => {};
  const mq = window.matchMedia(DARK);
  mq.addEventListener("change", cb);
  return () => mq.removeEventListener("change", cb);
}

const getScheme = () => (typeof window.matchMedia === "function" && window.matchMedia(DARK).matches ? "dark" : "light");

/** "light" or "dark", following the system like styles.css does. */
export function useColorScheme(): "light" | "dark" {
  return useSyncExternalStore(subscribeScheme, getScheme, () => "light");
}

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  border: string;
  surface: string;
  up: string;
  down: string;
  accent: string;
  warn: string;
}

/** The theme's colours, read from the CSS variables of styles.css. */
export function chartColors(): ChartColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--text", "#1c2128"),
    muted: v("--muted", "#5b6573"),
    grid: v("--surface-2", "#f0f2f5"),
    border: v("--border", "#d9dde3"),
    surface: v("--surface", "#ffffff"),
    up: v("--ok", "#1f8a4c"),
    down: v("--error", "#c62f2f"),
    accent: v("--accent", "#2f5bd3"),
    warn: v("--warn", "#b7791f"),
  };
}

/** Options shared by every chart on the screen, in the current theme. */
export function baseChartOptions(c: ChartColors): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: {
      // ColorType.Solid, spelled out so this module does not load the library.
      background: { type: "solid" as ChartOptions["layout"]["background"]["type"], color: c.surface } as ChartOptions["layout"]["background"],
      textColor: c.muted,
      fontFamily: getComputedStyle(document.body).fontFamily,
      // The library's licence asks for this attribution link.
      attributionLogo: true,
    },
    grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
    rightPriceScale: { borderColor: c.border },
    timeScale: { borderColor: c.border, timeVisible: true, secondsVisible: false },
    crosshair: { mode: 0 },
  };
}

/** Hex colour with an alpha, for volume bars and area fills ("#1f8a4c" → "rgba(31,138,76,0.4)"). */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1]!, 16)},${parseInt(m[2]!, 16)},${parseInt(m[3]!, 16)},${alpha})`;
}

/** True when some time (Unix seconds) is not at midnight UTC: the time axis then shows hours. */
export const intraday = (times: Iterable<number>) => {
  for (const t of times) if (t % 86_400 !== 0) return true;
  return false;
};
