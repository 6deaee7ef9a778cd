import { vi } from "vitest";
import type { Conversation } from "../bindings/Conversation";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { Message } from "../bindings/Message";
import type { Provider } from "../bindings/Provider";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { SearchHit } from "../bindings/SearchHit";
import type { ServerView } from "../bindings/ServerView";
import { BackendError } from "../backend/errors";
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
    providers: { status: "ok", count: 1, circuits: [] },
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

export function detectedServer(over: Partial<DetectedServer> = {}): DetectedServer {
  return {
    name: "Ollama",
    base_url: "http://127.0.0.1:11434/v1",
    models: ["llama3.1:8b", "qwen2.5:7b"],
    ...over,
  };
}

export function conversation(over: Partial<Conversation> = {}): Conversation {
  return {
    id: "c1",
    title: "Rust lifetimes",
    pinned: false,
    created_at: "2026-01-02T10:00:00Z",
    updated_at: "2026-01-02T10:00:00Z",
    ...over,
  };
}

export function message(over: Partial<Message> = {}): Message {
  return {
    id: "m1",
    conversation_id: "c1",
    role: "user",
    content: "Hello",
    status: "complete",
    provider: null,
    model: null,
    error: null,
    recalled: [],
    created_at: "2026-01-02T10:00:00Z",
    ...over,
  };
}

/** An in-memory Backend whose methods are vi.fn()s, plus helpers to push events. */
export function fakeBackend(
  init: {
    providers?: Provider[];
    health?: Health;
    server?: ServerView;
    conversations?: Conversation[];
    messages?: Message[];
    circuits?: ProviderCircuit[];
    hits?: SearchHit[];
    /** What `detectLocalServers` finds. */
    detected?: DetectedServer[];
    /** What `providerModels` lists, by provider id (an unknown id is `not_found`). */
    models?: Record<string, string[]>;
  } = {},
) {
  let providers = init.providers ?? [provider()];
  let conversations = init.conversations ?? [];
  let messages = init.messages ?? [];
  let circuits = init.circuits ?? [];
  let hits = init.hits ?? [];
  let detected = init.detected ?? [];
  let models = init.models ?? {};
  let seq = 0;
  const notFound = () => new BackendError("not_found", "not found");
  const listeners = new Set<{ onEvent: (e: JarvisEvent) => void; onState?: (s: StreamState) => void }>();
  const backend = {
    transport: "http" as const,
    health: vi.fn(async () => init.health ?? health({ providers: { status: providers.length ? "ok" : "not_configured", count: providers.length, circuits: [] } })),
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
    detectLocalServers: vi.fn(async () => detected),
    providerModels: vi.fn(async (id: string) => {
      const list = models[id];
      if (!list) throw notFound();
      return list;
    }),
    getServer: vi.fn(async () => init.server ?? serverView()),
    setServer: vi.fn(async (settings: ServerView["settings"]) => serverView({ settings })),
    listConversations: vi.fn(async () => conversations),
    createConversation: vi.fn(async (c: Parameters<Backend["createConversation"]>[0]) => {
      const created = conversation({ id: `c-new${++seq}`, title: c.title ?? "New conversation" });
      conversations = [created, ...conversations];
      return created;
    }),
    updateConversation: vi.fn(async (id: string, patch: Parameters<Backend["updateConversation"]>[1]) => {
      const cur = conversations.find((c) => c.id === id);
      if (!cur) throw notFound();
      const next = { ...cur, ...patch };
      conversations = conversations.map((c) => (c.id === id ? next : c));
      return next;
    }),
    deleteConversation: vi.fn(async (id: string) => {
      conversations = conversations.filter((c) => c.id !== id);
      messages = messages.filter((m) => m.conversation_id !== id);
    }),
    listMessages: vi.fn(async (id: string) => messages.filter((m) => m.conversation_id === id)),
    sendMessage: vi.fn(async (m: Parameters<Backend["sendMessage"]>[0]) => {
      let conv = conversations.find((c) => c.id === m.conversation_id);
      if (!conv) {
        if (m.conversation_id !== undefined) throw notFound();
        conv = conversation({ id: `c-new${++seq}`, title: m.text.slice(0, 30) });
        conversations = [conv, ...conversations];
      }
      const user_message = message({ id: `u${++seq}`, conversation_id: conv.id, role: "user", content: m.text });
      messages = [...messages, user_message];
      return { conversation: conv, user_message, assistant_message_id: `a${++seq}` };
    }),
    stopMessage: vi.fn(async (_id: string) => {}),
    providerCircuits: vi.fn(async () => circuits),
    search: vi.fn(async (_q: string, _limit?: number) => hits),
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
    setConversations(next: Conversation[]) {
      conversations = next;
    },
    /** Store a message as the server would when an answer ends. */
    addMessage(m: Message) {
      messages = [...messages, m];
    },
    setCircuits(next: ProviderCircuit[]) {
      circuits = next;
    },
    setHits(next: SearchHit[]) {
      hits = next;
    },
    setDetected(next: DetectedServer[]) {
      detected = next;
    },
    setModels(next: Record<string, string[]>) {
      models = next;
    },
    emit(e: JarvisEvent) {
      listeners.forEach((l) => l.onEvent(e));
    },
    setStream(s: StreamState) {
      listeners.forEach((l) => l.onState?.(s));
    },
  };
}
