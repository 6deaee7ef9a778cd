import { vi } from "vitest";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { Provider } from "../bindings/Provider";
import type { ServerView } from "../bindings/ServerView";
import type { Backend, StreamState } from "../backend/types";

export function provider(over: Partial<Provider> = {}): Provider {
  return {
    id: "p1",
    name: "Local Ollama",
    kind: "openai",
    base_url: "http://127.0.0.1:11434/v1",
    model: "llama3.1:8b",
    has_key: true,
    key_hint: "wxyz",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...over,
  };
}

export function health(over: Partial<Health> = {}): Health {
  return {
    status: "ok",
    version: "0.1.0",
    database: { status: "ok", schema_version: 2, latest_schema_version: 2, path: "/home/me/.local/share/jarvis/jarvis.db", message: null },
    keychain: { status: "ok", backend: "os_keychain", read_only: false, message: null },
    providers: { status: "ok", count: 1 },
    server: { running: false, url: null, managed_by: "desktop", error: null },
    ...over,
  };
}

export function serverView(over: Partial<ServerView> = {}): ServerView {
  return {
    settings: { enabled: false, listen: "127.0.0.1:7878" },
    status: { running: false, url: null, managed_by: "desktop", error: null },
    ...over,
  };
}

/** An in-memory Backend whose methods are vi.fn()s, plus helpers to push events. */
export function fakeBackend(init: { providers?: Provider[]; health?: Health; server?: ServerView } = {}) {
  let providers = init.providers ?? [provider()];
  const listeners = new Set<{ onEvent: (e: JarvisEvent) => void; onState?: (s: StreamState) => void }>();
  const backend = {
    transport: "http" as const,
    health: vi.fn(async () => init.health ?? health({ providers: { status: providers.length ? "ok" : "not_configured", count: providers.length } })),
    listProviders: vi.fn(async () => providers),
    addProvider: vi.fn(async (p: Parameters<Backend["addProvider"]>[0]) => {
      const created = provider({ ...p, id: `p${providers.length + 1}`, has_key: !!p.api_key, key_hint: p.api_key ? p.api_key.slice(-4) : null });
      providers = [...providers, created];
      return created;
    }),
    updateProvider: vi.fn(async (id: string, patch: Parameters<Backend["updateProvider"]>[1]) => {
      const cur = providers.find((p) => p.id === id);
      if (!cur) throw Object.assign(new Error("not found"), { code: "not_found" });
      const next = { ...cur, ...patch };
      providers = providers.map((p) => (p.id === id ? next : p));
      return next;
    }),
    removeProvider: vi.fn(async (id: string) => {
      providers = providers.filter((p) => p.id !== id);
    }),
    getServer: vi.fn(async () => init.server ?? serverView()),
    setServer: vi.fn(async (settings: ServerView["settings"]) => serverView({ settings })),
    subscribe: vi.fn((onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void) => {
      const l = { onEvent, onState };
      listeners.add(l);
      onState?.("open");
      return () => listeners.delete(l);
    }),
  } satisfies Backend;
  return {
    backend,
    setProviders(next: Provider[]) {
      providers = next;
    },
    emit(e: JarvisEvent) {
      listeners.forEach((l) => l.onEvent(e));
    },
    setStream(s: StreamState) {
      listeners.forEach((l) => l.onState?.(s));
    },
  };
}
