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
});
