import { describe, expect, it } from "vitest";
import { parseEvent } from "./events";

describe("parseEvent", () => {
  it("accepts the chat and conversation events", () => {
    expect(parseEvent({ type: "conversations_changed" })).toEqual({ type: "conversations_changed" });
    expect(parseEvent({ type: "chat_started", conversation_id: "c1", message_id: "a1", provider: "Claude", extra: 1 })).toEqual({
      type: "chat_started",
      conversation_id: "c1",
      message_id: "a1",
      provider: "Claude",
    });
    expect(parseEvent({ type: "chat_delta", conversation_id: "c1", message_id: "a1", text: "" })).toEqual({
      type: "chat_delta",
      conversation_id: "c1",
      message_id: "a1",
      text: "",
    });
    expect(parseEvent({ type: "chat_finished", conversation_id: "c1", message_id: "a1" })).toEqual({
      type: "chat_finished",
      conversation_id: "c1",
      message_id: "a1",
    });
  });

  it("drops malformed or unknown events", () => {
    expect(parseEvent({ type: "chat_delta", conversation_id: "c1", message_id: "a1" })).toBeNull();
    expect(parseEvent({ type: "chat_delta", conversation_id: "c1", message_id: 7, text: "x" })).toBeNull();
    expect(parseEvent({ type: "chat_started", conversation_id: "c1", message_id: "a1" })).toBeNull();
    expect(parseEvent({ type: "chat_finished", message_id: "a1" })).toBeNull();
    expect(parseEvent({ type: "server_changed", status: { running: "yes" } })).toBeNull();
    expect(parseEvent({ type: "toString" })).toBeNull();
    expect(parseEvent(null)).toBeNull();
    expect(parseEvent("conversations_changed")).toBeNull();
  });

  it("accepts the trading and market events", () => {
    expect(parseEvent({ type: "trading_changed" })).toEqual({ type: "trading_changed" });
    expect(parseEvent({ type: "order_updated", order_id: "o1", symbol: "AAPL", state: "filled" })).toEqual({
      type: "order_updated",
      order_id: "o1",
      symbol: "AAPL",
      state: "filled",
    });
    expect(parseEvent({ type: "order_filled", order_id: "o1", symbol: "AAPL", side: "buy", qty: "5", price: "101.25" })).toEqual({
      type: "order_filled",
      order_id: "o1",
      symbol: "AAPL",
      side: "buy",
      qty: "5",
      price: "101.25",
    });
    expect(parseEvent({ type: "quote", symbol: "AAPL", price: "101.25", time: "2026-01-05T14:30:00Z" })).toEqual({
      type: "quote",
      symbol: "AAPL",
      price: "101.25",
      time: "2026-01-05T14:30:00Z",
    });
    const bar = { symbol: "AAPL", time: 1704067200, open: "1", high: "2", low: "0.5", close: "1.5", volume: "100" };
    expect(parseEvent({ type: "market_bar", ...bar })).toEqual({ type: "market_bar", ...bar });
    expect(parseEvent({ type: "replay_changed", symbol: "AAPL", running: false })).toEqual({
      type: "replay_changed",
      symbol: "AAPL",
      running: false,
    });
  });

  it("drops malformed trading and market events", () => {
    expect(parseEvent({ type: "order_updated", order_id: "o1", symbol: "AAPL" })).toBeNull();
    expect(parseEvent({ type: "order_filled", order_id: "o1", symbol: "AAPL", side: "buy", qty: 5, price: "1" })).toBeNull();
    expect(parseEvent({ type: "quote", symbol: "AAPL", price: 101.25, time: "t" })).toBeNull();
    expect(parseEvent({ type: "market_bar", symbol: "AAPL", time: "1704067200", open: "1", high: "2", low: "0", close: "1", volume: "1" })).toBeNull();
    expect(parseEvent({ type: "market_bar", symbol: "AAPL", time: 1.5, open: "1", high: "2", low: "0", close: "1", volume: "1" })).toBeNull();
    expect(parseEvent({ type: "replay_changed", symbol: "AAPL", running: "no" })).toBeNull();
  });

  it("accepts the voice events", () => {
    expect(parseEvent({ type: "facts_changed" })).toEqual({ type: "facts_changed" });
    expect(parseEvent({ type: "voice_state", state: "listening", trigger: "hotkey" })).toEqual({
      type: "voice_state",
      state: "listening",
      trigger: "hotkey",
    });
    expect(parseEvent({ type: "voice_state", state: "idle", trigger: null })).toEqual({ type: "voice_state", state: "idle", trigger: null });
    expect(parseEvent({ type: "voice_state", state: "idle" })).toEqual({ type: "voice_state", state: "idle", trigger: null });
    expect(parseEvent({ type: "voice_level", level: 0.42 })).toEqual({ type: "voice_level", level: 0.42 });
    expect(parseEvent({ type: "voice_finished", run_id: "r1" })).toEqual({ type: "voice_finished", run_id: "r1" });
    expect(parseEvent({ type: "voice_settings_changed" })).toEqual({ type: "voice_settings_changed" });
    const progress = { name: "base.en", received: 1024, total: 4096, done: false, error: null };
    expect(parseEvent({ type: "voice_model_progress", ...progress })).toEqual({ type: "voice_model_progress", ...progress });
    expect(parseEvent({ type: "voice_model_progress", ...progress, done: true, error: "checksum mismatch" })).toEqual({
      type: "voice_model_progress",
      ...progress,
      done: true,
      error: "checksum mismatch",
    });
  });

  it("drops malformed voice events", () => {
    expect(parseEvent({ type: "voice_state", trigger: "ui" })).toBeNull();
    expect(parseEvent({ type: "voice_state", state: "idle", trigger: 3 })).toBeNull();
    expect(parseEvent({ type: "voice_level", level: "0.5" })).toBeNull();
    expect(parseEvent({ type: "voice_level", level: Number.NaN })).toBeNull();
    expect(parseEvent({ type: "voice_finished" })).toBeNull();
    expect(parseEvent({ type: "voice_model_progress", name: "base.en", received: "1", total: 2, done: false, error: null })).toBeNull();
    expect(parseEvent({ type: "voice_model_progress", name: "base.en", received: 1, total: 2, error: null })).toBeNull();
  });
});
