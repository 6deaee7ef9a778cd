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

/** Validate an incoming event; unknown or malformed events yield null and are ignored. */
export function parseEvent(v: unknown): JarvisEvent | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.type === "providers_changed") return { type: "providers_changed" };
  if (o.type === "server_changed" && isServerStatus(o.status)) {
    return { type: "server_changed", status: { ...o.status, error: o.status.error ?? null } };
  }
  return null;
}
