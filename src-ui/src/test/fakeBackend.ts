import { vi } from "vitest";
import type { Account } from "../bindings/Account";
import type { ApiKey } from "../bindings/ApiKey";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditVerification } from "../bindings/AuditVerification";
import type { BacktestReport } from "../bindings/BacktestReport";
import type { BarView } from "../bindings/BarView";
import type { BrokerSettings } from "../bindings/BrokerSettings";
import type { BrokerUpdate } from "../bindings/BrokerUpdate";
import type { Conversation } from "../bindings/Conversation";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Fact } from "../bindings/Fact";
import type { FeedRequest } from "../bindings/FeedRequest";
import type { Fill } from "../bindings/Fill";
import type { Health } from "../bindings/Health";
import type { ImportReport } from "../bindings/ImportReport";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { Message } from "../bindings/Message";
import type { Order } from "../bindings/Order";
import type { OrderRequest } from "../bindings/OrderRequest";
import type { Position } from "../bindings/Position";
import type { Provider } from "../bindings/Provider";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { QuoteView } from "../bindings/QuoteView";
import type { ReplayRequest } from "../bindings/ReplayRequest";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import type { RiskLimits } from "../bindings/RiskLimits";
import type { SearchHit } from "../bindings/SearchHit";
import type { ServerView } from "../bindings/ServerView";
import type { SpeechModel } from "../bindings/SpeechModel";
import type { StartStrategyRun } from "../bindings/StartStrategyRun";
import type { StrategyInfo } from "../bindings/StrategyInfo";
import type { StrategyRun } from "../bindings/StrategyRun";
import type { VoiceOutcome } from "../bindings/VoiceOutcome";
import type { VoiceRun } from "../bindings/VoiceRun";
import type { VoiceSettings } from "../bindings/VoiceSettings";
import { BackendError } from "../backend/errors";
import { BROKER_DEFAULT_URLS } from "../labels";
import type { Backend, StreamState } from "../backend/types";

export function provider(over: Partial<Provider> = {}): Provider {
  return {
    id: "p1",
    name: "Local Ollama",
    kind: "openai",
    base_url: "http://127.0.0.1:11434/v1",
    model: "llama3.1:8b",
    embedding_model: null,
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
    search: { status: "ok", message: null },
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

export function fact(over: Partial<Fact> = {}): Fact {
  return { id: "f1", text: "My dog is called Rex", source: "chat", created_at: "2026-01-02T10:00:00Z", ...over };
}

export function apiKey(over: Partial<ApiKey> = {}): ApiKey {
  return { id: "k1", name: "Laptop script", prefix: "jv_k3Xa", created_at: "2026-01-02T10:00:00Z", last_used_at: null, ...over };
}

export function importReport(over: Partial<ImportReport> = {}): ImportReport {
  return { format: "chatgpt", conversations_imported: 3, messages_imported: 42, conversations_skipped: 1, ...over };
}

export function riskLimits(over: Partial<RiskLimits> = {}): RiskLimits {
  return {
    max_position_value: "50000",
    max_order_value: "10000",
    max_open_orders: 20,
    max_orders_per_minute: 30,
    daily_loss_limit: "2000",
    ...over,
  };
}

export function account(over: Partial<Account> = {}): Account {
  return {
    starting_cash: "100000",
    cash: "100000",
    equity: "100000",
    market_value: "0",
    realized_pnl: "0",
    unrealized_pnl: "0",
    fees: "0",
    day_pnl: "0",
    kill_switch: false,
    limits: riskLimits(),
    broker: "paper",
    buying_power: null,
    as_of: null,
    broker_error: null,
    ...over,
  };
}

export function order(over: Partial<Order> = {}): Order {
  return {
    id: "o1",
    client_order_id: "o1",
    symbol: "AAPL",
    side: "buy",
    type: "market",
    qty: "5",
    limit_price: null,
    filled_qty: "0",
    avg_fill_price: null,
    state: "accepted",
    reason: null,
    source: "ui",
    venue: "paper",
    broker_order_id: null,
    created_at: "2026-01-05T14:30:00Z",
    updated_at: "2026-01-05T14:30:00Z",
    ...over,
  };
}

export function fill(over: Partial<Fill> = {}): Fill {
  return { order_id: "o1", symbol: "AAPL", side: "buy", qty: "5", price: "101.25", fee: "0.5", time: "2026-01-05T14:30:00Z", ...over };
}

export function position(over: Partial<Position> = {}): Position {
  return {
    symbol: "AAPL",
    qty: "5",
    avg_price: "101.25",
    market_price: "102",
    market_value: "510",
    unrealized_pnl: "3.75",
    realized_pnl: "0",
    ...over,
  };
}

export function replayStatus(over: Partial<ReplayStatus> = {}): ReplayStatus {
  return { symbol: "AAPL", source: "replay", played: 0, total: 10, speed: 60, running: true, ...over };
}

export function brokerSettings(over: Partial<BrokerSettings> = {}): BrokerSettings {
  return { kind: "paper", base_url: null, data_url: null, key_hint: null, connected: null, error: null, ...over };
}

/** ts-rs types 64-bit integers as bigint; JSON (and so the UI at run time) has numbers. */
export const n64 = (n: number) => n as unknown as bigint;

export function auditEntry(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq: n64(seq),
    time: "2026-01-05T14:30:00Z",
    kind: "order_accepted",
    order_id: "o1",
    payload: JSON.stringify({ order: { id: "o1", symbol: "AAPL", qty: "5" }, broker: "paper" }),
    prev_hash: "0".repeat(64),
    hash: `${seq.toString(16).padStart(4, "0")}${"ab".repeat(30)}`,
    ...over,
  };
}

export const STRATEGIES: StrategyInfo[] = [
  { name: "sma-cross", params: [{ name: "fast", default: "10" }, { name: "slow", default: "20" }] },
  { name: "breakout", params: [{ name: "lookback", default: "20" }] },
];

export function strategyRun(over: Partial<StrategyRun> = {}): StrategyRun {
  return {
    symbol: "AAPL",
    strategy: "sma-cross",
    params: { fast: "10", slow: "20" },
    qty: "5",
    allow_short: false,
    started_at: "2026-01-05T14:30:00Z",
    bars_seen: 0,
    signals: 0,
    orders_placed: 0,
    last_signal: null,
    last_error: null,
    running: true,
    ...over,
  };
}

export function backtestReport(over: Partial<BacktestReport> = {}): BacktestReport {
  return {
    strategy: "sma-cross",
    params: { fast: "10", slow: "20" },
    cash: "10000",
    commission: "0.002",
    exclusive_orders: true,
    fills: "backtesting.py",
    stats: {
      start: "2024-01-01T00:00:00Z",
      end: "2024-10-27T00:00:00Z",
      bars: 300,
      equity_final: "11234.5678",
      equity_peak: "11500",
      return_pct: 12.345678,
      buy_and_hold_return_pct: 8.5,
      cagr_pct: 15.2,
      sharpe: 1.234,
      sortino: 1.9,
      max_drawdown_pct: -7.89,
      trades: 2,
      win_rate_pct: 50,
      profit_factor: 2.5,
      exposure_pct: 61.3,
    },
    trades: [
      {
        size: "95",
        entry_bar: 21,
        exit_bar: 40,
        entry_time: "2024-01-22T00:00:00Z",
        exit_time: "2024-02-10T00:00:00Z",
        entry_price: "100.5",
        exit_price: "112.25",
        pnl: "1116.25",
        commission: "40.45",
      },
      {
        size: "-90",
        entry_bar: 60,
        exit_bar: 75,
        entry_time: "2024-03-01T00:00:00Z",
        exit_time: "2024-03-16T00:00:00Z",
        entry_price: "110",
        exit_price: "114",
        pnl: "-360",
        commission: "40.32",
      },
    ],
    open_position: "0",
    equity_curve: [
      { time: "2024-01-01T00:00:00Z", equity: "10000" },
      { time: "2024-10-27T00:00:00Z", equity: "11234.5678" },
    ],
    ...over,
  };
}

export function listenStatus(over: Partial<ListenStatus> = {}): ListenStatus {
  return {
    state: "idle",
    trigger: null,
    device: null,
    model: "/home/me/.local/share/jarvis/models/ggml-tiny.en.bin",
    model_installed: true,
    hotkey: "Ctrl+Alt+Space",
    hotkey_error: null,
    error: null,
    ...over,
  };
}

export function voiceSettings(over: Partial<VoiceSettings> = {}): VoiceSettings {
  return { hotkey: "Ctrl+Alt+Space", mode: "hold", device: null, model: null, speak_replies: false, ...over };
}

export function voiceRun(over: Partial<VoiceRun> = {}): VoiceRun {
  return {
    id: "r1",
    at: "2026-01-05T14:30:00Z",
    trigger: "ui",
    device: "Built-in Audio",
    audio_ms: 1800,
    text: "buy ten shares of apple",
    intent: { kind: "trade", side: "buy", qty: "10", symbol: "AAPL", order_type: "market" },
    error: null,
    outcome: {
      status: "needs_confirmation",
      message: 'Buy 10 AAPL at market? Say "confirm" or press Confirm.',
      intent: { kind: "trade", side: "buy", qty: "10", symbol: "AAPL", order_type: "market" },
      confirmation_id: "c1",
      order: null,
      screen: null,
    },
    ms: { capture: 1800, resample: 3, vad: 2, model_load: 0, transcribe: 380, intent: 1, key_up_to_text: 392, act: 12 },
    spoken: null,
    ...over,
  };
}

const MODELS_DIR = "/home/me/.local/share/jarvis/models";

export function speechModel(over: Partial<SpeechModel> = {}): SpeechModel {
  const name = over.name ?? "tiny.en";
  const file = over.file ?? `ggml-${name}.bin`;
  return {
    name,
    file,
    size_bytes: 77_704_715,
    installed: false,
    path: `${MODELS_DIR}/${file}`,
    active: false,
    url: `https://huggingface.co/ggerganov/whisper.cpp/resolve/main/${file}`,
    sha256: null,
    ...over,
  };
}

export const SPEECH_MODELS: SpeechModel[] = [
  speechModel({ name: "tiny.en", installed: true, active: true }),
  speechModel({ name: "base.en", size_bytes: 147_964_211 }),
  speechModel({ name: "small.en", size_bytes: 487_614_201 }),
];

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
    account?: Account;
    orders?: Order[];
    fills?: Fill[];
    positions?: Position[];
    audit?: AuditEntry[];
    verification?: AuditVerification;
    quotes?: QuoteView[];
    replays?: ReplayStatus[];
    bars?: Record<string, BarView[]>;
    backtest?: BacktestReport;
    strategyRuns?: StrategyRun[];
    broker?: BrokerSettings;
    voiceStatus?: ListenStatus;
    voiceSettings?: VoiceSettings;
    /** Newest first. */
    voiceHistory?: VoiceRun[];
    /** What `voiceDevices` lists, or the error it rejects with. */
    devices?: string[] | BackendError;
    speechModels?: SpeechModel[];
    /** What the next `listenStop` hears (id and trigger are filled in). */
    nextRun?: Partial<VoiceRun>;
    /** Newest first. */
    facts?: Fact[];
    apiKeys?: ApiKey[];
    /** What `importConversations` answers, or the error it rejects with. */
    importResult?: ImportReport | BackendError;
    /** What `exportConversations` answers. */
    exported?: unknown;
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
  // Trading: a toy paper broker that fills market orders at once at the quote (or 100).
  let acct = init.account ?? account();
  let orders = init.orders ?? [];
  let fills = init.fills ?? [];
  let positions = init.positions ?? [];
  const audit = init.audit ?? [];
  let quotes = init.quotes ?? [];
  let replays = init.replays ?? [];
  const bars = init.bars ?? {};
  let broker = init.broker ?? brokerSettings();
  let strategyRuns = init.strategyRuns ?? [];
  const notFound = () => new BackendError("not_found", "not found");
  const listeners = new Set<{ onEvent: (e: JarvisEvent) => void; onState?: (s: StreamState) => void }>();
  const emit = (e: JarvisEvent) => listeners.forEach((l) => l.onEvent(e));
  // Push-to-talk: a microphone that always hears `nextRun`.
  let listen = init.voiceStatus ?? listenStatus();
  let voiceCfg = init.voiceSettings ?? voiceSettings();
  let voiceRuns = init.voiceHistory ?? [];
  let devices = init.devices ?? ["Built-in Audio", "USB Microphone"];
  let speechModels = init.speechModels ?? SPEECH_MODELS;
  let nextRun = init.nextRun ?? {};
  let facts = init.facts ?? [];
  let apiKeys = init.apiKeys ?? [];
  let importResult = init.importResult ?? importReport();
  const setListenState = (state: ListenStatus["state"], trigger: ListenStatus["trigger"]) => {
    listen = { ...listen, state, trigger };
    emit({ type: "voice_state", state, trigger });
  };
  const start = () => {
    if (listen.state === "listening") throw new BackendError("invalid_field", "state: already listening", "state");
    setListenState("listening", "ui");
    return listen;
  };
  const stop = () => {
    if (listen.state !== "listening") throw new BackendError("invalid_field", "state: not listening: start first", "state");
    const trigger = listen.trigger ?? "ui";
    setListenState("transcribing", trigger);
    const run = voiceRun({ ...nextRun, id: `r-new${++seq}`, trigger });
    voiceRuns = [run, ...voiceRuns];
    setListenState("idle", null);
    emit({ type: "voice_finished", run_id: run.id });
    return run;
  };
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
    // Drops the last answer (as the server replaces it) and streams a new one under a new id.
    regenerate: vi.fn(async (r: Parameters<Backend["regenerate"]>[0]) => {
      const conv = conversations.find((c) => c.id === r.conversation_id);
      if (!conv) throw notFound();
      const mine = messages.filter((m) => m.conversation_id === conv.id);
      const question = mine.findLast((m) => m.role === "user");
      if (!question) throw new BackendError("invalid_field", "conversation_id: there is no question to answer again", "conversation_id");
      const last = mine.at(-1);
      if (last && last.role === "assistant") messages = messages.filter((m) => m !== last);
      return { conversation: conv, user_message: question, assistant_message_id: `a${++seq}` };
    }),
    providerCircuits: vi.fn(async () => circuits),
    search: vi.fn(async (_q: string, _limit?: number) => hits),
    listFacts: vi.fn(async () => facts),
    addFact: vi.fn(async (text: string) => {
      if (text.trim() === "") throw new BackendError("invalid_field", "text: say what to remember", "text");
      const created = fact({ id: `f-new${++seq}`, text: text.trim(), source: "ui" });
      facts = [created, ...facts];
      emit({ type: "facts_changed" });
      return created;
    }),
    deleteFact: vi.fn(async (id: string) => {
      if (!facts.some((f) => f.id === id)) throw notFound();
      facts = facts.filter((f) => f.id !== id);
      emit({ type: "facts_changed" });
    }),
    listApiKeys: vi.fn(async () => apiKeys),
    createApiKey: vi.fn(async (k: Parameters<Backend["createApiKey"]>[0]) => {
      const name = k.name.trim();
      if (name === "") throw new BackendError("invalid_field", "name: give the key a name", "name");
      if (apiKeys.some((x) => x.name === name)) throw new BackendError("invalid_field", `name: a key named ${name} already exists`, "name");
      const created = apiKey({ id: `k-new${++seq}`, name, prefix: `jv_n${seq}` });
      apiKeys = [...apiKeys, created];
      return { api_key: created, key: `jv_n${seq}${"x".repeat(40)}` };
    }),
    revokeApiKey: vi.fn(async (id: string) => {
      if (!apiKeys.some((x) => x.id === id)) throw notFound();
      apiKeys = apiKeys.filter((x) => x.id !== id);
    }),
    importConversations: vi.fn(async (_text: string) => {
      if (importResult instanceof BackendError) throw importResult;
      return importResult;
    }),
    exportConversations: vi.fn(async () => init.exported ?? { format: "jarvis", version: 1, conversations: [] }),
    getBroker: vi.fn(async () => broker),
    // Accepts any keys; keeps the stored ones when none are sent (as the server does).
    setBroker: vi.fn(async (u: BrokerUpdate) => {
      if (u.kind === "paper") {
        broker = brokerSettings();
      } else {
        const same = broker.kind === u.kind;
        const defaults = BROKER_DEFAULT_URLS[u.kind];
        broker = {
          kind: u.kind,
          base_url: u.base_url || (same ? broker.base_url : null) || defaults.base_url,
          data_url: u.kind === "binance" ? null : u.data_url || (same ? broker.data_url : null) || defaults.data_url,
          key_hint: u.key_id !== undefined ? (u.key_id.length >= 8 ? u.key_id.slice(-4) : null) : same ? broker.key_hint : null,
          connected: true,
          error: null,
        };
      }
      acct = { ...acct, broker: u.kind };
      return broker;
    }),
    account: vi.fn(async () => acct),
    placeOrder: vi.fn(async (r: OrderRequest) => {
      if (acct.kill_switch) throw new BackendError("risk_rejected", "the kill switch is engaged: no new orders", "kill_switch");
      const price = r.type === "limit" ? (r.limit_price ?? "0") : (quotes.find((q) => q.symbol === r.symbol)?.price ?? "100");
      const id = `o-new${++seq}`;
      const placed = order({
        id,
        client_order_id: r.client_order_id ?? id,
        symbol: r.symbol,
        side: r.side,
        type: r.type,
        qty: r.qty,
        limit_price: r.limit_price ?? null,
        state: r.type === "market" ? "filled" : "accepted",
        filled_qty: r.type === "market" ? r.qty : "0",
        avg_fill_price: r.type === "market" ? price : null,
      });
      orders = [placed, ...orders];
      if (placed.state === "filled") fills = [fill({ order_id: id, symbol: r.symbol, side: r.side, qty: r.qty, price }), ...fills];
      return placed;
    }),
    listOrders: vi.fn(async (limit?: number) => orders.slice(0, limit ?? 100)),
    cancelOrder: vi.fn(async (id: string) => {
      const cur = orders.find((o) => o.id === id);
      if (!cur) throw notFound();
      const next: Order = { ...cur, state: "cancelled", reason: "cancelled by the user" };
      orders = orders.map((o) => (o.id === id ? next : o));
      return next;
    }),
    cancelAllOrders: vi.fn(async () => {
      const open = orders.filter((o) => o.state === "accepted" || o.state === "partially_filled");
      orders = orders.map((o) => (open.includes(o) ? { ...o, state: "cancelled" as const } : o));
      return { cancelled: open.length };
    }),
    listFills: vi.fn(async (limit?: number) => fills.slice(0, limit ?? 100)),
    listPositions: vi.fn(async () => positions),
    setKillSwitch: vi.fn(async (engaged: boolean) => {
      acct = { ...acct, kill_switch: engaged };
      return acct;
    }),
    setRiskLimits: vi.fn(async (limits: RiskLimits) => {
      acct = { ...acct, limits };
      return acct;
    }),
    auditEntries: vi.fn(async (before?: number | null, limit?: number) =>
      audit.filter((e) => before === undefined || before === null || Number(e.seq) < before).slice(0, limit ?? 100),
    ),
    verifyAudit: vi.fn(async () => init.verification ?? { ok: true, entries: n64(audit.length), first_bad: null }),
    marketQuotes: vi.fn(async () => quotes),
    marketBars: vi.fn(async (symbol: string) => bars[symbol] ?? []),
    listReplays: vi.fn(async () => replays),
    startReplay: vi.fn(async (r: ReplayRequest) => {
      const status: ReplayStatus = { symbol: r.symbol, source: "replay", played: 0, total: r.csv.trim().split("\n").length - 1, speed: r.speed, running: true };
      replays = [...replays.filter((x) => x.symbol !== r.symbol), status];
      return status;
    }),
    startFeed: vi.fn(async (r: FeedRequest) => {
      if (broker.kind === "paper")
        throw new BackendError("invalid_field", "live bars come from a broker: select Alpaca or Binance in Settings, or play a CSV replay", "symbol");
      const status: ReplayStatus = { symbol: r.symbol, source: broker.kind, played: 120, total: 120, speed: 0, running: true };
      replays = [...replays.filter((x) => x.symbol !== r.symbol), status];
      return status;
    }),
    stopReplay: vi.fn(async (symbol: string) => {
      if (!replays.some((x) => x.symbol === symbol && x.running)) throw notFound();
      replays = replays.map((x) => (x.symbol === symbol ? { ...x, running: false } : x));
    }),
    backtestStrategies: vi.fn(async () => STRATEGIES),
    runBacktest: vi.fn(async (_r: Parameters<Backend["runBacktest"]>[0]) => init.backtest ?? backtestReport()),
    // Checks what the server checks first; a new run replaces a stopped one on the same symbol.
    startStrategyRun: vi.fn(async (r: StartStrategyRun) => {
      const symbol = r.symbol.trim().toUpperCase();
      if (symbol === "") throw new BackendError("invalid_field", "symbol: enter a symbol", "symbol");
      if (!STRATEGIES.some((x) => x.name === r.strategy))
        throw new BackendError("invalid_field", `strategy: no strategy named ${r.strategy}`, "strategy");
      if (!/^\d*\.?\d+$/.test(r.qty) || Number(r.qty) <= 0) throw new BackendError("invalid_field", "qty: must be above zero", "qty");
      if (strategyRuns.some((x) => x.symbol === symbol && x.running))
        throw new BackendError("invalid_field", `symbol: a strategy already runs on ${symbol}`, "symbol");
      const run = strategyRun({ symbol, strategy: r.strategy, params: r.params, qty: r.qty, allow_short: r.allow_short ?? false });
      strategyRuns = [...strategyRuns.filter((x) => x.symbol !== symbol), run];
      return run;
    }),
    listStrategyRuns: vi.fn(async () => strategyRuns),
    stopStrategyRun: vi.fn(async (symbol: string) => {
      if (!strategyRuns.some((x) => x.symbol === symbol && x.running)) throw notFound();
      strategyRuns = strategyRuns.map((x) => (x.symbol === symbol ? { ...x, running: false } : x));
    }),
    voiceCommand: vi.fn(async (text: string): Promise<VoiceOutcome> => ({
      status: "needs_confirmation",
      message: `Buy 10 AAPL at market? (${text}) Say "confirm" or press Confirm.`,
      intent: { kind: "trade", side: "buy", qty: "10", symbol: "AAPL", order_type: "market" },
      confirmation_id: "c1",
      order: null,
      screen: null,
    })),
    voiceConfirm: vi.fn(async (_id: string): Promise<VoiceOutcome> => ({
      status: "done",
      message: "Order filled: 10 of 10 AAPL filled.",
      intent: null,
      confirmation_id: null,
      order: null,
      screen: null,
    })),
    voiceStatus: vi.fn(async () => listen),
    listenStart: vi.fn(async () => start()),
    listenStop: vi.fn(async () => stop()),
    listenToggle: vi.fn(async () => {
      if (listen.state === "listening") stop();
      else start();
      return listen;
    }),
    voiceHistory: vi.fn(async () => voiceRuns),
    voiceDevices: vi.fn(async () => {
      if (devices instanceof BackendError) throw devices;
      return devices;
    }),
    getVoiceSettings: vi.fn(async () => voiceCfg),
    setVoiceSettings: vi.fn(async (next: VoiceSettings) => {
      voiceCfg = next;
      const active = speechModels.find((m) => (next.model === null ? m.name === "tiny.en" : m.path === next.model));
      speechModels = speechModels.map((m) => ({ ...m, active: m === active }));
      listen = { ...listen, model: active?.path ?? next.model, model_installed: active?.installed ?? false, device: next.device };
      emit({ type: "voice_settings_changed" });
      return voiceCfg;
    }),
    listSpeechModels: vi.fn(async () => speechModels),
    downloadSpeechModel: vi.fn(async (name: string) => {
      const m = speechModels.find((x) => x.name === name);
      if (!m) throw new BackendError("invalid_field", `name: no model named ${name}`, "name");
      return m;
    }),
    importSpeechModel: vi.fn(async (path: string) => {
      if (!path.startsWith("/") || !path.endsWith(".bin")) throw new BackendError("invalid_field", "path: give the absolute path of a whisper .bin file", "path");
      const file = path.slice(path.lastIndexOf("/") + 1);
      const imported = speechModel({ name: file, file, size_bytes: 1_000_000, installed: true, url: "" });
      speechModels = [...speechModels.filter((m) => m.name !== file), imported];
      return imported;
    }),
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
    setBroker(next: BrokerSettings) {
      broker = next;
    },
    setAccount(next: Account) {
      acct = next;
    },
    setPositions(next: Position[]) {
      positions = next;
    },
    setQuotes(next: QuoteView[]) {
      quotes = next;
    },
    setReplays(next: ReplayStatus[]) {
      replays = next;
    },
    setStrategyRuns(next: StrategyRun[]) {
      strategyRuns = next;
    },
    setListenStatus(next: ListenStatus) {
      listen = next;
    },
    setVoiceHistory(next: VoiceRun[]) {
      voiceRuns = next;
    },
    setDevices(next: string[] | BackendError) {
      devices = next;
    },
    setSpeechModels(next: SpeechModel[]) {
      speechModels = next;
    },
    setNextRun(next: Partial<VoiceRun>) {
      nextRun = next;
    },
    setFacts(next: Fact[]) {
      facts = next;
    },
    setApiKeys(next: ApiKey[]) {
      apiKeys = next;
    },
    setImportResult(next: ImportReport | BackendError) {
      importResult = next;
    },
    emit,
    setStream(s: StreamState) {
      listeners.forEach((l) => l.onState?.(s));
    },
  };
}
