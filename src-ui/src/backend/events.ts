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

/** Validate an incoming event; unknown or malformed events yield null and are ignored. */
export function parseEvent(v: unknown): JarvisEvent | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case "providers_changed":
      return { type: "providers_changed" };
    case "conversations_changed":
      return { type: "conversations_changed" };
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
    default:
      return null;
  }
}
