import type { Event as JarvisEvent } from "../bindings/Event";
import type { ServerStatus } from "../bindings/ServerStatus";

function isServerStatus(v: unknown): v is ServerStatus {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.running === "boolean" &&
    (o.url === null || typeof o.url === "string") &&
    (o.managed_by === "desktop" || o.managed_by === "jarvisd") &&
    (o.error === null || o.error === undefined || typeof o.error === "string")
  );
}

const isString = (v: unknown): v is string => typeof v === "string";
const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isOptString = (v: unknown): v is string | null | undefined => v === null || v === undefined || typeof v === "string";
const allStrings = (o: Record<string, unknown>, keys: readonly string[]) => keys.every((k) => isString(o[k]));

/**
 * ts-rs types 64-bit integers as `bigint`, but JSON gives plain numbers: they stay numbers
 * at run time (safe below 2^53), so readers convert with `Number(...)`.
 */
const asBigint = (n: number) => n as unknown as bigint;

/** Validate an incoming event; unknown or malformed events yield null and are ignored. */
export function parseEvent(v: unknown): JarvisEvent | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case "providers_changed":
      return { type: "providers_changed" };
    case "conversations_changed":
      return { type: "conversations_changed" };
    case "facts_changed":
      return { type: "facts_changed" };
    case "server_changed":
      return isServerStatus(o.status) ? { type: "server_changed", status: { ...o.status, error: o.status.error ?? null } } : null;
    case "chat_started":
      return isString(o.conversation_id) && isString(o.message_id) && isString(o.provider)
        ? { type: "chat_started", conversation_id: o.conversation_id, message_id: o.message_id, provider: o.provider }
        : null;
    case "chat_delta":
      return isString(o.conversation_id) && isString(o.message_id) && isString(o.text)
        ? { type: "chat_delta", conversation_id: o.conversation_id, message_id: o.message_id, text: o.text }
        : null;
    case "chat_finished":
      return isString(o.conversation_id) && isString(o.message_id)
        ? { type: "chat_finished", conversation_id: o.conversation_id, message_id: o.message_id }
        : null;
    case "order_updated":
      return allStrings(o, ["order_id", "symbol", "state"])
        ? { type: "order_updated", order_id: o.order_id as string, symbol: o.symbol as string, state: o.state as string }
        : null;
    case "order_filled":
      return allStrings(o, ["order_id", "symbol", "side", "qty", "price"])
        ? {
            type: "order_filled",
            order_id: o.order_id as string,
            symbol: o.symbol as string,
            side: o.side as string,
            qty: o.qty as string,
            price: o.price as string,
          }
        : null;
    case "trading_changed":
      return { type: "trading_changed" };
    case "quote":
      return allStrings(o, ["symbol", "price", "time"])
        ? { type: "quote", symbol: o.symbol as string, price: o.price as string, time: o.time as string }
        : null;
    case "market_bar":
      return isInteger(o.time) && allStrings(o, ["symbol", "open", "high", "low", "close", "volume"])
        ? {
            type: "market_bar",
            symbol: o.symbol as string,
            time: asBigint(o.time),
            open: o.open as string,
            high: o.high as string,
            low: o.low as string,
            close: o.close as string,
            volume: o.volume as string,
          }
        : null;
    case "replay_changed":
      return isString(o.symbol) && typeof o.running === "boolean"
        ? { type: "replay_changed", symbol: o.symbol, running: o.running }
        : null;
    case "voice_state":
      return isString(o.state) && isOptString(o.trigger) ? { type: "voice_state", state: o.state, trigger: o.trigger ?? null } : null;
    case "voice_level":
      return isNumber(o.level) ? { type: "voice_level", level: o.level } : null;
    case "voice_finished":
      return isString(o.run_id) ? { type: "voice_finished", run_id: o.run_id } : null;
    case "voice_settings_changed":
      return { type: "voice_settings_changed" };
    case "voice_model_progress":
      return isString(o.name) && isNumber(o.received) && isNumber(o.total) && typeof o.done === "boolean" && isOptString(o.error)
        ? { type: "voice_model_progress", name: o.name, received: o.received, total: o.total, done: o.done, error: o.error ?? null }
        : null;
    default:
      return null;
  }
}
