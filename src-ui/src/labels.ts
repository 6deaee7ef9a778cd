import type { BrokerKind } from "./bindings/BrokerKind";
import type { ComponentStatus } from "./bindings/ComponentStatus";
import type { FeedTimeframe } from "./bindings/FeedTimeframe";
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
