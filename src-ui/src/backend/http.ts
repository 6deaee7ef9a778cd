import type { Account } from "../bindings/Account";
import type { ApiKey } from "../bindings/ApiKey";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditVerification } from "../bindings/AuditVerification";
import type { BacktestReport } from "../bindings/BacktestReport";
import type { BacktestRequest } from "../bindings/BacktestRequest";
import type { BarView } from "../bindings/BarView";
import type { BrokerSettings } from "../bindings/BrokerSettings";
import type { BrokerUpdate } from "../bindings/BrokerUpdate";
import type { Conversation } from "../bindings/Conversation";
import type { ConversationPatch } from "../bindings/ConversationPatch";
import type { CreatedApiKey } from "../bindings/CreatedApiKey";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Fact } from "../bindings/Fact";
import type { FeedRequest } from "../bindings/FeedRequest";
import type { Fill } from "../bindings/Fill";
import type { Health } from "../bindings/Health";
import type { ImportReport } from "../bindings/ImportReport";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { Message } from "../bindings/Message";
import type { NewApiKey } from "../bindings/NewApiKey";
import type { NewConversation } from "../bindings/NewConversation";
import type { NewProvider } from "../bindings/NewProvider";
import type { Order } from "../bindings/Order";
import type { OrderRequest } from "../bindings/OrderRequest";
import type { Position } from "../bindings/Position";
import type { Provider } from "../bindings/Provider";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { ProviderPatch } from "../bindings/ProviderPatch";
import type { QuoteView } from "../bindings/QuoteView";
import type { Regenerate } from "../bindings/Regenerate";
import type { ReplayRequest } from "../bindings/ReplayRequest";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import type { RiskLimits } from "../bindings/RiskLimits";
import type { SearchHit } from "../bindings/SearchHit";
import type { SendMessage } from "../bindings/SendMessage";
import type { SendReceipt } from "../bindings/SendReceipt";
import type { ServerSettings } from "../bindings/ServerSettings";
import type { ServerView } from "../bindings/ServerView";
import type { SpeechModel } from "../bindings/SpeechModel";
import type { StartStrategyRun } from "../bindings/StartStrategyRun";
import type { StrategyInfo } from "../bindings/StrategyInfo";
import type { StrategyRun } from "../bindings/StrategyRun";
import type { VoiceOutcome } from "../bindings/VoiceOutcome";
import type { VoiceRun } from "../bindings/VoiceRun";
import type { VoiceSettings } from "../bindings/VoiceSettings";
import { BackendError, isApiError } from "./errors";
import { parseEvent } from "./events";
import type { Backend, CancelledOrders, StreamState } from "./types";

export const EVENTS_PROTOCOL = "jarvis.v1";
export const MIN_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;

type WebSocketLike = Pick<WebSocket, "close"> & {
  onopen: ((ev: globalThis.Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: globalThis.Event) => unknown) | null;
};

export interface HttpBackendOptions {
  /** Owner access token, sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Origin of jarvisd; empty (the default) means same-origin. */
  baseUrl?: string;
  /** Called whenever the server answers 401 (the token is gone or was revoked). */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocketLike;
}

async function readApiError(res: Response): Promise<BackendError> {
  const fallback = new BackendError(
    res.status === 401 ? "unauthorized" : `http_${res.status}`,
    res.status === 401
      ? "The access token was not accepted."
      : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`,
  );
  let text: string;
  try {
    text = await res.text();
  } catch {
    return fallback;
  }
  try {
    const body: unknown = JSON.parse(text);
    if (isApiError(body)) return BackendError.fromApiError(body);
  } catch {
    // not JSON: fall through to the generic message
  }
  return fallback;
}

/** Check a token by calling `GET /api/v1/health` with it; rejects with a BackendError. */
export async function checkToken(token: string, opts: Omit<HttpBackendOptions, "token"> = {}): Promise<Health> {
  return createHttpBackend({ ...opts, token, onUnauthorized: undefined }).health();
}

export function eventsUrl(baseUrl: string | undefined): string {
  const base = baseUrl && baseUrl !== "" ? new URL(baseUrl) : new URL(window.location.href);
  const scheme = base.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${base.host}/api/v1/events`;
}

export function createHttpBackend(opts: HttpBackendOptions): Backend {
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  /** `raw` sends a string body as it is (a file's text) instead of JSON-encoding `body`. */
  async function request<T>(method: string, path: string, body?: unknown, raw?: string): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${opts.token}`,
      Accept: "application/json",
    };
    const init: RequestInit = { method, headers, cache: "no-store" };
    if (raw !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = raw;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, init);
    } catch (e) {
      const detail = e instanceof Error && e.message ? ` (${e.message})` : "";
      throw new BackendError("network", `Cannot reach the Jarvis server${detail}.`);
    }
    if (!res.ok) {
      const err = await readApiError(res);
      if (res.status === 401) opts.onUnauthorized?.();
      throw err;
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BackendError("bad_response", "The server sent a response that is not valid JSON.");
    }
  }

  const id = (s: string) => encodeURIComponent(s);
  /** `?a=1&b=2` from the defined values only; "" when there are none. */
  const query = (params: Record<string, string | number | null | undefined>) => {
    const parts = Object.entries(params)
      .filter((kv): kv is [string, string | number] => kv[1] !== undefined && kv[1] !== null)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    return parts.length ? `?${parts.join("&")}` : "";
  };

  function subscribe(onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void): () => void {
    const WS = opts.WebSocket ?? (globalThis.WebSocket as unknown as NonNullable<HttpBackendOptions["WebSocket"]>);
    const url = eventsUrl(opts.baseUrl);
    let socket: WebSocketLike | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let delay = MIN_BACKOFF_MS;
    let stopped = false;

    const connect = () => {
      timer = null;
      if (stopped) return;
      onState?.("connecting");
      let ws: WebSocketLike;
      try {
        ws = new WS(url, [EVENTS_PROTOCOL, `bearer.${opts.token}`]);
      } catch {
        scheduleReconnect();
        return;
      }
      socket = ws;
      ws.onopen = () => {
        delay = MIN_BACKOFF_MS;
        onState?.("open");
      };
      ws.onmessage = (msg) => {
        if (typeof msg.data !== "string") return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(msg.data);
        } catch {
          return;
        }
        const ev = parseEvent(parsed);
        if (ev) onEvent(ev);
      };
      ws.onerror = () => {
        // onclose follows and handles the reconnect.
      };
      ws.onclose = () => {
        if (socket !== ws) return;
        socket = null;
        scheduleReconnect();
      };
    };

    const scheduleReconnect = () => {
      if (stopped) return;
      onState?.("closed");
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    };

    connect();

    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      const ws = socket;
      socket = null;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        ws.close(1000, "unsubscribed");
      }
    };
  }

  return {
    transport: "http",
    health: () => request<Health>("GET", "/api/v1/health"),
    listProviders: () => request<Provider[]>("GET", "/api/v1/providers"),
    addProvider: (p: NewProvider) => request<Provider>("POST", "/api/v1/providers", p),
    updateProvider: (pid: string, patch: ProviderPatch) =>
      request<Provider>("PATCH", `/api/v1/providers/${id(pid)}`, patch),
    removeProvider: (pid: string) => request<void>("DELETE", `/api/v1/providers/${id(pid)}`),
    detectLocalServers: () => request<DetectedServer[]>("GET", "/api/v1/providers/detect"),
    providerModels: (pid: string) => request<string[]>("GET", `/api/v1/providers/${id(pid)}/models`),
    getServer: () => request<ServerView>("GET", "/api/v1/settings/server"),
    setServer: (settings: ServerSettings) => request<ServerView>("PUT", "/api/v1/settings/server", settings),
    listConversations: () => request<Conversation[]>("GET", "/api/v1/conversations"),
    createConversation: (c: NewConversation) => request<Conversation>("POST", "/api/v1/conversations", c),
    updateConversation: (cid: string, patch: ConversationPatch) =>
      request<Conversation>("PATCH", `/api/v1/conversations/${id(cid)}`, patch),
    deleteConversation: (cid: string) => request<void>("DELETE", `/api/v1/conversations/${id(cid)}`),
    listMessages: (cid: string) => request<Message[]>("GET", `/api/v1/conversations/${id(cid)}/messages`),
    sendMessage: (m: SendMessage) => request<SendReceipt>("POST", "/api/v1/chat", m),
    stopMessage: (mid: string) => request<void>("POST", `/api/v1/chat/${id(mid)}/stop`),
    regenerate: (r: Regenerate) => request<SendReceipt>("POST", "/api/v1/chat/regenerate", r),
    providerCircuits: () => request<ProviderCircuit[]>("GET", "/api/v1/chat/circuits"),
    search: (q: string, limit?: number) =>
      request<SearchHit[]>("GET", `/api/v1/search?q=${encodeURIComponent(q)}${limit === undefined ? "" : `&limit=${limit}`}`),
    listFacts: () => request<Fact[]>("GET", "/api/v1/memory/facts"),
    addFact: (text: string) => request<Fact>("POST", "/api/v1/memory/facts", { text }),
    deleteFact: (fid: string) => request<void>("DELETE", `/api/v1/memory/facts/${id(fid)}`),
    listApiKeys: () => request<ApiKey[]>("GET", "/api/v1/api-keys"),
    createApiKey: (k: NewApiKey) => request<CreatedApiKey>("POST", "/api/v1/api-keys", k),
    revokeApiKey: (kid: string) => request<void>("DELETE", `/api/v1/api-keys/${id(kid)}`),
    importConversations: (text: string) => request<ImportReport>("POST", "/api/v1/import", undefined, text),
    exportConversations: () => request<unknown>("GET", "/api/v1/export"),
    getBroker: () => request<BrokerSettings>("GET", "/api/v1/trading/broker"),
    setBroker: (update: BrokerUpdate) => request<BrokerSettings>("PUT", "/api/v1/trading/broker", update),
    account: () => request<Account>("GET", "/api/v1/account"),
    placeOrder: (r: OrderRequest) => request<Order>("POST", "/api/v1/orders", r),
    listOrders: (limit?: number) => request<Order[]>("GET", `/api/v1/orders${query({ limit })}`),
    cancelOrder: (oid: string) => request<Order>("DELETE", `/api/v1/orders/${id(oid)}`),
    cancelAllOrders: () => request<CancelledOrders>("POST", "/api/v1/orders/cancel-all"),
    listFills: (limit?: number) => request<Fill[]>("GET", `/api/v1/fills${query({ limit })}`),
    listPositions: () => request<Position[]>("GET", "/api/v1/positions"),
    setKillSwitch: (engaged: boolean) => request<Account>("POST", "/api/v1/risk/kill-switch", { engaged }),
    setRiskLimits: (limits: RiskLimits) => request<Account>("PUT", "/api/v1/risk/limits", limits),
    auditEntries: (before?: number | null, limit?: number) =>
      request<AuditEntry[]>("GET", `/api/v1/audit${query({ limit, before })}`),
    verifyAudit: () => request<AuditVerification>("POST", "/api/v1/audit/verify"),
    marketQuotes: () => request<QuoteView[]>("GET", "/api/v1/market/quotes"),
    marketBars: (symbol: string) => request<BarView[]>("GET", `/api/v1/market/bars${query({ symbol })}`),
    listReplays: () => request<ReplayStatus[]>("GET", "/api/v1/market/replays"),
    startReplay: (r: ReplayRequest) => request<ReplayStatus>("POST", "/api/v1/market/replays", r),
    startFeed: (r: FeedRequest) => request<ReplayStatus>("POST", "/api/v1/market/feeds", r),
    stopReplay: (symbol: string) => request<void>("DELETE", `/api/v1/market/replays/${id(symbol)}`),
    backtestStrategies: () => request<StrategyInfo[]>("GET", "/api/v1/backtests/strategies"),
    runBacktest: (r: BacktestRequest) => request<BacktestReport>("POST", "/api/v1/backtests", r),
    startStrategyRun: (r: StartStrategyRun) => request<StrategyRun>("POST", "/api/v1/strategies/runs", r),
    listStrategyRuns: () => request<StrategyRun[]>("GET", "/api/v1/strategies/runs"),
    stopStrategyRun: (symbol: string) => request<void>("DELETE", `/api/v1/strategies/runs/${id(symbol)}`),
    voiceCommand: (text: string) => request<VoiceOutcome>("POST", "/api/v1/voice/command", { text }),
    voiceConfirm: (id: string) =>
      request<VoiceOutcome>("POST", `/api/v1/voice/confirm/${encodeURIComponent(id)}`, {}),
    voiceStatus: () => request<ListenStatus>("GET", "/api/v1/voice/status"),
    listenStart: () => request<ListenStatus>("POST", "/api/v1/voice/listen/start", { trigger: "ui" }),
    listenStop: () => request<VoiceRun>("POST", "/api/v1/voice/listen/stop", {}),
    listenToggle: () => request<ListenStatus>("POST", "/api/v1/voice/listen/toggle", { trigger: "ui" }),
    voiceHistory: () => request<VoiceRun[]>("GET", "/api/v1/voice/history"),
    voiceDevices: () => request<string[]>("GET", "/api/v1/voice/devices"),
    getVoiceSettings: () => request<VoiceSettings>("GET", "/api/v1/voice/settings"),
    setVoiceSettings: (settings: VoiceSettings) => request<VoiceSettings>("PUT", "/api/v1/voice/settings", settings),
    listSpeechModels: () => request<SpeechModel[]>("GET", "/api/v1/voice/models"),
    downloadSpeechModel: (name: string) => request<SpeechModel>("POST", "/api/v1/voice/models/download", { name }),
    importSpeechModel: (path: string) => request<SpeechModel>("POST", "/api/v1/voice/models/import", { path }),
    subscribe,
  };
}
