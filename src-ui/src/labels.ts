import type { BrokerKind } from "./bindings/BrokerKind";
import type { ComponentStatus } from "./bindings/ComponentStatus";
import type { FactSource } from "./bindings/FactSource";
import type { FeedTimeframe } from "./bindings/FeedTimeframe";
import type { HotkeyMode } from "./bindings/HotkeyMode";
import type { Intent } from "./bindings/Intent";
import type { IntentQuery } from "./bindings/IntentQuery";
import type { ListenState } from "./bindings/ListenState";
import type { ListenTimings } from "./bindings/ListenTimings";
import type { ListenTrigger } from "./bindings/ListenTrigger";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { SecretBackend } from "./bindings/SecretBackend";
import type { ServerManager } from "./bindings/ServerManager";

export const PROVIDER_KINDS: readonly ProviderKind[] = ["openai", "anthropic", "gemini", "local"];

export const KIND_LABELS: Record<ProviderKind, string> = {
  openai: "OpenAI-compatible",
  anthropic: "Anthropic",
  gemini: "Gemini",
  local: "Built-in (GGUF file)",
};

export const DEFAULT_BASE_URLS: Record<ProviderKind, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  gemini: "https://generativelanguage.googleapis.com",
  // The built-in engine reads a model file: its absolute path goes here.
  local: "",
};

export const SECRET_BACKEND_LABELS: Record<SecretBackend, string> = {
  os_keychain: "OS keychain",
  env: "Environment variables",
  files: "Secret files",
};

export const STATUS_LABELS: Record<ComponentStatus, string> = {
  ok: "ok",
  error: "error",
  not_configured: "not configured",
};

export const MANAGER_LABELS: Record<ServerManager, string> = {
  desktop: "the Jarvis desktop app",
  jarvisd: "jarvisd",
};

export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? kind;
}

export const BROKER_KINDS: readonly BrokerKind[] = ["paper", "alpaca", "binance"];

/** Short names, for badges and sentences ("Trading through Alpaca"). */
export const BROKER_NAMES: Record<BrokerKind, string> = {
  paper: "Paper",
  alpaca: "Alpaca",
  binance: "Binance",
};

/** The choices in Settings. */
export const BROKER_CHOICES: Record<BrokerKind, { label: string; description: string }> = {
  paper: {
    label: "Paper",
    description: "Built in: orders fill here against replayed or live prices. No account, no real money.",
  },
  alpaca: {
    label: "Alpaca (paper trading, US stocks)",
    description: "Your Alpaca paper-trading account: US stocks and ETFs such as AAPL or SPY.",
  },
  binance: {
    label: "Binance Spot testnet (crypto)",
    description: "Your Binance Spot testnet account: crypto pairs such as BTCUSDT.",
  },
};

export type LiveBrokerKind = Exclude<BrokerKind, "paper">;

/** The endpoints the server uses when none are given (paper trading / testnet: no real money). */
export const BROKER_DEFAULT_URLS: Record<LiveBrokerKind, { base_url: string; data_url: string | null }> = {
  alpaca: { base_url: "https://paper-api.alpaca.markets", data_url: "https://data.alpaca.markets" },
  binance: { base_url: "https://testnet.binance.vision", data_url: null },
};

/** A broker's display name; unknown names as sent. */
export function brokerName(kind: string): string {
  return (BROKER_NAMES as Record<string, string>)[kind] ?? kind;
}

export const FEED_TIMEFRAMES: readonly FeedTimeframe[] = ["minute", "hour", "day"];

export const FEED_TIMEFRAME_LABELS: Record<FeedTimeframe, string> = {
  minute: "1 minute",
  hour: "1 hour",
  day: "1 day",
};

/** A symbol the broker trades, to start a live feed with. */
export const FEED_DEFAULT_SYMBOLS: Record<LiveBrokerKind, string> = {
  alpaca: "AAPL",
  binance: "BTCUSDT",
};

// ---------- voice ----------

/** What push-to-talk is doing, as the Voice screen says it. */
export const LISTEN_STATE_LABELS: Record<ListenState, string> = {
  idle: "Ready",
  listening: "Listening…",
  transcribing: "Working out what you said…",
  speaking: "Speaking the reply…",
};

/** A listen state's words; unknown states as sent. */
export function listenStateLabel(state: string): string {
  return (LISTEN_STATE_LABELS as Record<string, string>)[state] ?? state;
}

export const LISTEN_TRIGGER_LABELS: Record<ListenTrigger, string> = {
  hotkey: "hotkey",
  tray: "tray",
  ui: "button",
  api: "API",
};

export function listenTriggerLabel(trigger: string): string {
  return (LISTEN_TRIGGER_LABELS as Record<string, string>)[trigger] ?? trigger;
}

export const HOTKEY_MODES: readonly HotkeyMode[] = ["hold", "toggle"];

export const HOTKEY_MODE_LABELS: Record<HotkeyMode, { label: string; description: string }> = {
  hold: { label: "Hold to talk", description: "Hold the hotkey while you speak; Jarvis acts when you let go." },
  toggle: { label: "Press to start, press to stop", description: "Press the hotkey once to start listening and again to stop." },
};

/** The stages after key-up, in the order they run (key-up → text is shown first, on its own). */
export const LATENCY_STAGES: readonly { key: Exclude<keyof ListenTimings, "key_up_to_text" | "capture">; label: string }[] = [
  { key: "resample", label: "Resample" },
  { key: "vad", label: "Silence trim" },
  { key: "model_load", label: "Model load" },
  { key: "transcribe", label: "Transcribe" },
  { key: "intent", label: "Intent" },
  { key: "act", label: "Act" },
];

/** Milliseconds, rounded: "420 ms", "1,250 ms". */
export function formatMs(ms: number): string {
  return `${Math.round(ms).toLocaleString("en-US")} ms`;
}

/** A file size: "75 MB", "1.5 GB", "512 kB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

const QUERY_LABELS: Record<IntentQuery, string> = {
  pnl: "profit and loss",
  positions: "open positions",
  cash: "cash",
};

/** A command as a sentence: "Buy 10 AAPL at market", "Open the Trading screen". */
export function describeIntent(intent: Intent): string {
  switch (intent.kind) {
    case "trade": {
      const side = intent.side === "buy" ? "Buy" : "Sell";
      const price = intent.order_type === "limit" && intent.limit_price ? `limit ${intent.limit_price}` : "market";
      return `${side} ${intent.qty} ${intent.symbol} at ${price}`;
    }
    case "cancel_all":
      return "Cancel all open orders";
    case "kill_switch":
      return intent.engaged ? "Engage the kill switch" : "Release the kill switch";
    case "query":
      return `Tell me my ${QUERY_LABELS[intent.what] ?? intent.what}`;
    case "navigate": {
      const name = intent.screen.charAt(0).toUpperCase() + intent.screen.slice(1);
      return `Open the ${name} screen`;
    }
    case "remember":
      return `Remember that ${intent.text}`;
    case "backtest":
      return `Backtest ${intent.strategy}${intent.symbol ? ` on ${intent.symbol}` : ""}`;
    case "chat":
      return `Ask: ${intent.text}`;
    default:
      // A newer server may know more kinds than this UI.
      return JSON.stringify(intent as unknown);
  }
}

/** How a pinned fact was taught ("said in chat"). */
export const FACT_SOURCE_LABELS: Record<FactSource, string> = {
  chat: "said in chat",
  voice: "said by voice",
  ui: "added here",
  api: "added through the API",
};

export function factSourceLabel(source: string): string {
  return (FACT_SOURCE_LABELS as Record<string, string>)[source] ?? source;
}
