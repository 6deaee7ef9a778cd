import { afterEach, describe, expect, it, vi } from "vitest";
import type { Event as JarvisEvent } from "../bindings/Event";
import { BackendError } from "./errors";
import { checkToken, createHttpBackend, eventsUrl } from "./http";
import type { StreamState } from "./types";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function stubFetch(...responses: (Response | Error)[]) {
  const fn = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit): Promise<Response> => {
    const next = responses.shift();
    if (!next) throw new Error("unexpected fetch");
    if (next instanceof Error) throw next;
    return next;
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("HTTP transport", () => {
  it("sends the bearer token and JSON body, and returns the created provider", async () => {
    const created = { id: "abc", name: "OpenAI" };
    const fetchFn = stubFetch(jsonResponse(201, created));
    const b = createHttpBackend({ token: "s3cret" });
    const res = await b.addProvider({ name: "OpenAI", kind: "openai", base_url: "https://api.openai.com/v1", model: "gpt-4o" });
    expect(res).toEqual(created);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/v1/providers");
    expect(init?.method).toBe("POST");
    const headers = init?.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(init?.body as string)).toEqual({
      name: "OpenAI",
      kind: "openai",
      base_url: "https://api.openai.com/v1",
      model: "gpt-4o",
    });
  });

  it("maps a 422 ApiError to a BackendError carrying the field", async () => {
    stubFetch(jsonResponse(422, { code: "invalid", message: "base_url must start with http:// or https://", field: "base_url" }));
    const b = createHttpBackend({ token: "t" });
    const err = await b.updateProvider("p1", { base_url: "ftp://x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid", message: "base_url must start with http:// or https://", field: "base_url" });
  });

  it("uses PATCH with only the patch, and encodes the id", async () => {
    const fetchFn = stubFetch(jsonResponse(200, { id: "a/b" }));
    await createHttpBackend({ token: "t" }).updateProvider("a/b", { model: "m2" });
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/v1/providers/a%2Fb");
    expect(init?.method).toBe("PATCH");
    expect(JSON.parse(init?.body as string)).toEqual({ model: "m2" });
  });

  it("resolves DELETE on 204 with no body", async () => {
    const fetchFn = stubFetch(new Response(null, { status: 204 }));
    await expect(createHttpBackend({ token: "t" }).removeProvider("p1")).resolves.toBeUndefined();
    expect(fetchFn.mock.calls[0]![1]?.method).toBe("DELETE");
  });

  it("turns a network failure into code 'network'", async () => {
    stubFetch(new TypeError("Failed to fetch"));
    const err = await createHttpBackend({ token: "t" }).listProviders().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("network");
  });

  it("gives a generic error for a non-JSON 5xx body", async () => {
    stubFetch(new Response("<html>Bad gateway</html>", { status: 502 }));
    const err = await createHttpBackend({ token: "t" }).getServer().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "http_502" });
    expect((err as BackendError).field).toBeUndefined();
  });

  it("calls onUnauthorized on 401", async () => {
    stubFetch(jsonResponse(401, { code: "unauthorized", message: "missing or invalid token" }));
    const onUnauthorized = vi.fn();
    const err = await createHttpBackend({ token: "t", onUnauthorized }).health().catch((e: unknown) => e);
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(err).toMatchObject({ code: "unauthorized" });
  });

  it("checkToken calls GET /api/v1/health with the token", async () => {
    const fetchFn = stubFetch(jsonResponse(200, { status: "ok" }));
    await checkToken("tok");
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/v1/health");
    expect(init?.method).toBe("GET");
    expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer tok");
  });

  it("PUTs server settings", async () => {
    const fetchFn = stubFetch(jsonResponse(200, { settings: { enabled: true, listen: "127.0.0.1:7878" }, status: {} }));
    await createHttpBackend({ token: "t" }).setServer({ enabled: true, listen: "127.0.0.1:7878" });
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/v1/settings/server");
    expect(init?.method).toBe("PUT");
  });
});

describe("HTTP transport · local servers and models", () => {
  it("GETs /providers/detect and returns the servers", async () => {
    const servers = [{ name: "Ollama", base_url: "http://127.0.0.1:11434/v1", models: ["llama3.1:8b"] }];
    const fetchFn = stubFetch(jsonResponse(200, servers));
    await expect(createHttpBackend({ token: "t" }).detectLocalServers()).resolves.toEqual(servers);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/v1/providers/detect");
    expect(init?.method).toBe("GET");
    expect(init?.body).toBeUndefined();
  });

  it("GETs /providers/{id}/models with the id encoded", async () => {
    const fetchFn = stubFetch(jsonResponse(200, ["a", "b"]));
    await expect(createHttpBackend({ token: "t", baseUrl: "http://127.0.0.1:7878/" }).providerModels("p 1/x")).resolves.toEqual(["a", "b"]);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("http://127.0.0.1:7878/api/v1/providers/p%201%2Fx/models");
    expect(init?.method).toBe("GET");
  });

  it("maps an unreachable provider to providers_unavailable with its message", async () => {
    stubFetch(jsonResponse(503, { code: "providers_unavailable", message: "Ollama did not answer" }));
    const err = await createHttpBackend({ token: "t" }).providerModels("p1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "providers_unavailable", message: "Ollama did not answer" });
  });
});

describe("HTTP transport · chat", () => {
  const ok = (body: unknown = {}) => jsonResponse(200, body);
  const calls = (fetchFn: ReturnType<typeof stubFetch>) =>
    fetchFn.mock.calls.map(([url, init]) => [init?.method, url, init?.body === undefined ? undefined : JSON.parse(init.body as string)]);

  it("builds the documented URLs, methods and bodies", async () => {
    const fetchFn = stubFetch(
      ok([]),
      jsonResponse(201, { id: "c1" }),
      ok({ id: "c/1" }),
      new Response(null, { status: 204 }),
      ok([]),
      jsonResponse(202, { conversation: { id: "c1" }, user_message: {}, assistant_message_id: "a1" }),
      new Response(null, { status: 204 }),
      ok([]),
    );
    const b = createHttpBackend({ token: "t" });
    await b.listConversations();
    await b.createConversation({ title: "Trip" });
    await b.updateConversation("c/1", { pinned: true });
    await expect(b.deleteConversation("c1")).resolves.toBeUndefined();
    await b.listMessages("c 1");
    const receipt = await b.sendMessage({ conversation_id: "c1", text: "hi", provider_id: "p2" });
    expect(receipt.assistant_message_id).toBe("a1");
    await expect(b.stopMessage("a/1")).resolves.toBeUndefined();
    await b.providerCircuits();
    expect(calls(fetchFn)).toEqual([
      ["GET", "/api/v1/conversations", undefined],
      ["POST", "/api/v1/conversations", { title: "Trip" }],
      ["PATCH", "/api/v1/conversations/c%2F1", { pinned: true }],
      ["DELETE", "/api/v1/conversations/c1", undefined],
      ["GET", "/api/v1/conversations/c%201/messages", undefined],
      ["POST", "/api/v1/chat", { conversation_id: "c1", text: "hi", provider_id: "p2" }],
      ["POST", "/api/v1/chat/a%2F1/stop", undefined],
      ["GET", "/api/v1/chat/circuits", undefined],
    ]);
    // Stop sends no body, so no Content-Type either.
    const stopInit = fetchFn.mock.calls[6]![1]!;
    expect(stopInit.body).toBeUndefined();
    expect((stopInit.headers as Record<string, string>)["Content-Type"]).toBeUndefined();
    expect((stopInit.headers as Record<string, string>).Authorization).toBe("Bearer t");
  });

  it("leaves conversation_id out of a send that starts a new conversation", async () => {
    const fetchFn = stubFetch(jsonResponse(202, { conversation: { id: "new" }, user_message: {}, assistant_message_id: "a1" }));
    await createHttpBackend({ token: "t" }).sendMessage({ text: "hello" });
    expect(JSON.parse(fetchFn.mock.calls[0]![1]!.body as string)).toEqual({ text: "hello" });
  });

  it("encodes the search query and passes the limit", async () => {
    const fetchFn = stubFetch(ok([]), ok([]));
    const b = createHttpBackend({ token: "t" });
    await b.search("rust & c++ 100% #1?=x/y", 20);
    await b.search("plain");
    const [first, second] = fetchFn.mock.calls.map(([url]) => String(url));
    expect(first).toBe("/api/v1/search?q=rust%20%26%20c%2B%2B%20100%25%20%231%3F%3Dx%2Fy&limit=20");
    expect(new URL(first!, "http://x").searchParams.get("q")).toBe("rust & c++ 100% #1?=x/y");
    expect(second).toBe("/api/v1/search?q=plain");
    expect(fetchFn.mock.calls[0]![1]!.method).toBe("GET");
  });

  it("maps a stop for an answer that already ended to not_found", async () => {
    stubFetch(jsonResponse(404, { code: "not_found", message: "no such answer in progress" }));
    const err = await createHttpBackend({ token: "t" }).stopMessage("a1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "not_found" });
  });

  it("maps no_provider on send", async () => {
    stubFetch(jsonResponse(409, { code: "no_provider", message: "No AI provider is configured." }));
    const err = await createHttpBackend({ token: "t" }).sendMessage({ text: "hi" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "no_provider", message: "No AI provider is configured." });
  });
});

class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: ((ev: globalThis.Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: globalThis.Event) => unknown) | null = null;
  closed = false;
  constructor(
    public url: string,
    public protocols?: string | string[],
  ) {
    FakeSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.(new globalThis.Event("open"));
  }
  message(data: string) {
    this.onmessage?.(new MessageEvent("message", { data }));
  }
  drop() {
    this.onclose?.(new CloseEvent("close", { code: 1006 }));
  }
}

describe("HTTP event stream", () => {
  it("derives ws:// from the page origin", () => {
    expect(eventsUrl(undefined)).toBe(`ws://${window.location.host}/api/v1/events`);
    expect(eventsUrl("https://jarvis.local:8443")).toBe("wss://jarvis.local:8443/api/v1/events");
  });

  it("opens with the jarvis.v1 and bearer subprotocols, parses events and reconnects with backoff", () => {
    vi.useFakeTimers();
    FakeSocket.instances = [];
    const events: JarvisEvent[] = [];
    const states: StreamState[] = [];
    const b = createHttpBackend({ token: "tok123", WebSocket: FakeSocket });
    const unsubscribe = b.subscribe((e) => events.push(e), (s) => states.push(s));

    const first = FakeSocket.instances[0]!;
    expect(first.url).toMatch(/^ws:\/\/.+\/api\/v1\/events$/);
    expect(first.protocols).toEqual(["jarvis.v1", "bearer.tok123"]);
    first.open();
    first.message(JSON.stringify({ type: "providers_changed" }));
    first.message("not json");
    first.message(JSON.stringify({ type: "something_new" }));
    first.message(
      JSON.stringify({ type: "server_changed", status: { running: true, url: "http://127.0.0.1:7878", managed_by: "desktop", error: null } }),
    );
    first.message(JSON.stringify({ type: "chat_delta", conversation_id: "c1", message_id: "a1", text: "Hel" }));
    expect(events).toEqual([
      { type: "providers_changed" },
      { type: "server_changed", status: { running: true, url: "http://127.0.0.1:7878", managed_by: "desktop", error: null } },
      { type: "chat_delta", conversation_id: "c1", message_id: "a1", text: "Hel" },
    ]);

    // Drop: reconnect after 1s, then 2s, then 4s...
    first.drop();
    expect(states.at(-1)).toBe("closed");
    vi.advanceTimersByTime(999);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1]!.drop();
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);
    // Backoff is capped at 10s.
    for (let i = 0; i < 6; i++) {
      FakeSocket.instances.at(-1)!.drop();
      vi.advanceTimersByTime(10_000);
    }
    const count = FakeSocket.instances.length;
    FakeSocket.instances.at(-1)!.drop();
    vi.advanceTimersByTime(9_999);
    expect(FakeSocket.instances).toHaveLength(count);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(count + 1);

    // A successful open resets the backoff to 1s.
    const s = FakeSocket.instances.at(-1)!;
    s.open();
    s.drop();
    vi.advanceTimersByTime(1_000);
    expect(FakeSocket.instances).toHaveLength(count + 2);

    unsubscribe();
    expect(FakeSocket.instances.at(-1)!.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(count + 2);
  });
});

describe("HTTP transport · trading, market data and backtests", () => {
  const ok = (body: unknown = {}) => jsonResponse(200, body);
  const calls = (fetchFn: ReturnType<typeof stubFetch>) =>
    fetchFn.mock.calls.map(([url, init]) => [init?.method, url, init?.body === undefined ? undefined : JSON.parse(init.body as string)]);
  const limits = { max_position_value: "50000", max_order_value: "10000", max_open_orders: 20, max_orders_per_minute: 30, daily_loss_limit: "2000" };
  const backtest = { strategy: "sma-cross", params: { fast: "10" }, cash: "10000", commission: "0.002", exclusive_orders: true, csv: "Date,Open\n" };

  it("builds the documented URLs, methods and bodies", async () => {
    const fetchFn = stubFetch(
      ok({}),
      jsonResponse(201, { id: "o1" }),
      ok([]),
      ok([]),
      ok({ id: "o/1" }),
      ok({ cancelled: 2 }),
      ok([]),
      ok([]),
      ok([]),
      ok({}),
      ok({}),
      ok([]),
      ok([]),
      ok({ ok: true, entries: 3, first_bad: null }),
      ok([]),
      ok([]),
      ok([]),
      jsonResponse(201, { symbol: "BTC/USD" }),
      new Response(null, { status: 204 }),
      ok([]),
      ok({}),
    );
    const b = createHttpBackend({ token: "t" });
    await b.account();
    await b.placeOrder({ symbol: "AAPL", side: "buy", qty: "5", type: "limit", limit_price: "101.5" });
    await b.listOrders();
    await b.listOrders(20);
    await b.cancelOrder("o/1");
    await expect(b.cancelAllOrders()).resolves.toEqual({ cancelled: 2 });
    await b.listFills();
    await b.listFills(10);
    await b.listPositions();
    await b.setKillSwitch(true);
    await b.setRiskLimits(limits);
    await b.auditEntries();
    await b.auditEntries(120, 50);
    await b.verifyAudit();
    await b.marketQuotes();
    await b.marketBars("BTC/USD");
    await b.listReplays();
    await b.startReplay({ symbol: "BTC/USD", csv: "x", speed: 0 });
    await expect(b.stopReplay("BTC/USD")).resolves.toBeUndefined();
    await b.backtestStrategies();
    await b.runBacktest(backtest);
    expect(calls(fetchFn)).toEqual([
      ["GET", "/api/v1/account", undefined],
      ["POST", "/api/v1/orders", { symbol: "AAPL", side: "buy", qty: "5", type: "limit", limit_price: "101.5" }],
      ["GET", "/api/v1/orders", undefined],
      ["GET", "/api/v1/orders?limit=20", undefined],
      ["DELETE", "/api/v1/orders/o%2F1", undefined],
      ["POST", "/api/v1/orders/cancel-all", undefined],
      ["GET", "/api/v1/fills", undefined],
      ["GET", "/api/v1/fills?limit=10", undefined],
      ["GET", "/api/v1/positions", undefined],
      ["POST", "/api/v1/risk/kill-switch", { engaged: true }],
      ["PUT", "/api/v1/risk/limits", limits],
      ["GET", "/api/v1/audit", undefined],
      ["GET", "/api/v1/audit?limit=50&before=120", undefined],
      ["POST", "/api/v1/audit/verify", undefined],
      ["GET", "/api/v1/market/quotes", undefined],
      ["GET", "/api/v1/market/bars?symbol=BTC%2FUSD", undefined],
      ["GET", "/api/v1/market/replays", undefined],
      ["POST", "/api/v1/market/replays", { symbol: "BTC/USD", csv: "x", speed: 0 }],
      ["DELETE", "/api/v1/market/replays/BTC%2FUSD", undefined],
      ["GET", "/api/v1/backtests/strategies", undefined],
      ["POST", "/api/v1/backtests", backtest],
    ]);
  });

  it("passes risk refusals through with the check's name as the field", async () => {
    stubFetch(jsonResponse(422, { code: "risk_rejected", message: "the kill switch is engaged", field: "kill_switch" }));
    const err = await createHttpBackend({ token: "t" })
      .placeOrder({ symbol: "AAPL", side: "buy", qty: "1", type: "market" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "risk_rejected", field: "kill_switch", message: "the kill switch is engaged" });
  });

  it("reads and sets the broker, and starts a live feed", async () => {
    const settings = { kind: "alpaca", base_url: "https://paper-api.alpaca.markets", data_url: "https://data.alpaca.markets", key_hint: "0042", connected: true, error: null };
    const fetchFn = stubFetch(ok(settings), ok(settings), jsonResponse(201, { symbol: "AAPL", source: "alpaca" }), new Response(null, { status: 204 }));
    const b = createHttpBackend({ token: "t" });
    await expect(b.getBroker()).resolves.toEqual(settings);
    await expect(
      b.setBroker({ kind: "alpaca", base_url: "https://paper-api.alpaca.markets", key_id: "PKTEST0042", secret: "s3cr3t" }),
    ).resolves.toEqual(settings);
    await expect(b.startFeed({ symbol: "AAPL", timeframe: "minute" })).resolves.toEqual({ symbol: "AAPL", source: "alpaca" });
    await expect(b.stopReplay("AAPL")).resolves.toBeUndefined();
    expect(calls(fetchFn)).toEqual([
      ["GET", "/api/v1/trading/broker", undefined],
      ["PUT", "/api/v1/trading/broker", { kind: "alpaca", base_url: "https://paper-api.alpaca.markets", key_id: "PKTEST0042", secret: "s3cr3t" }],
      ["POST", "/api/v1/market/feeds", { symbol: "AAPL", timeframe: "minute" }],
      ["DELETE", "/api/v1/market/replays/AAPL", undefined],
    ]);
    for (const [, init] of fetchFn.mock.calls) expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer t");
  });

  it("passes a broker refusal through naming the field", async () => {
    stubFetch(
      jsonResponse(422, { code: "invalid_field", message: "secret: alpaca refused the keys (401 unauthorized)", field: "secret" }),
      jsonResponse(422, { code: "invalid_field", message: "live bars come from a broker", field: "symbol" }),
    );
    const b = createHttpBackend({ token: "t" });
    const err = await b.setBroker({ kind: "alpaca", key_id: "PK1", secret: "bad" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid_field", field: "secret", message: "secret: alpaca refused the keys (401 unauthorized)" });
    const feedErr = await b.startFeed({ symbol: "AAPL", timeframe: "day" }).catch((e: unknown) => e);
    expect(feedErr).toMatchObject({ field: "symbol" });
  });

  it("names the CSV line of a backtest error", async () => {
    stubFetch(jsonResponse(422, { code: "invalid_field", message: "line 3: Close: not a number", field: "csv" }));
    const err = await createHttpBackend({ token: "t" }).runBacktest(backtest).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "invalid_field", field: "csv", message: "line 3: Close: not a number" });
  });
});

describe("HTTP transport · live strategy runs", () => {
  const calls = (fetchFn: ReturnType<typeof stubFetch>) =>
    fetchFn.mock.calls.map(([url, init]) => [init?.method, url, init?.body === undefined ? undefined : JSON.parse(init.body as string)]);
  const start = { symbol: "BTC/USD", strategy: "sma-cross", params: { fast: "10", slow: "20" }, qty: "0.5", allow_short: true };
  const run = {
    ...start,
    started_at: "2026-01-05T14:30:00Z",
    bars_seen: 0,
    signals: 0,
    orders_placed: 0,
    last_signal: null,
    last_error: null,
    running: true,
  };

  it("starts, lists and stops runs at the documented URLs with the owner token", async () => {
    const fetchFn = stubFetch(jsonResponse(201, run), jsonResponse(200, [run]), new Response(null, { status: 204 }));
    const b = createHttpBackend({ token: "t" });
    await expect(b.startStrategyRun(start)).resolves.toEqual(run);
    await expect(b.listStrategyRuns()).resolves.toEqual([run]);
    await expect(b.stopStrategyRun("BTC/USD")).resolves.toBeUndefined();
    expect(calls(fetchFn)).toEqual([
      ["POST", "/api/v1/strategies/runs", start],
      ["GET", "/api/v1/strategies/runs", undefined],
      ["DELETE", "/api/v1/strategies/runs/BTC%2FUSD", undefined],
    ]);
    for (const [, init] of fetchFn.mock.calls) expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer t");
  });

  it("passes refusals through naming the field, and a missing run as not_found", async () => {
    stubFetch(
      jsonResponse(422, { code: "invalid_field", message: "qty: must be above zero", field: "qty" }),
      jsonResponse(404, { code: "not_found", message: "no strategy runs on AAPL" }),
    );
    const b = createHttpBackend({ token: "t" });
    const err = await b.startStrategyRun({ ...start, qty: "0" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid_field", field: "qty", message: "qty: must be above zero" });
    await expect(b.stopStrategyRun("AAPL")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("HTTP transport · push-to-talk, voice settings and speech models", () => {
  const ok = (body: unknown = {}) => jsonResponse(200, body);
  const calls = (fetchFn: ReturnType<typeof stubFetch>) =>
    fetchFn.mock.calls.map(([url, init]) => [init?.method, url, init?.body === undefined ? undefined : JSON.parse(init.body as string)]);
  const settings = { hotkey: "Ctrl+Alt+Space", mode: "hold", device: null, model: null, speak_replies: true } as const;

  it("calls the documented routes with the documented bodies", async () => {
    const model = { name: "base.en", file: "ggml-base.en.bin", size_bytes: 147951465, installed: false, path: "/m/ggml-base.en.bin", active: false, url: "https://x/ggml-base.en.bin", sha256: null };
    const fetchFn = stubFetch(
      ok({ state: "idle" }),
      ok({ state: "listening" }),
      ok({ id: "r1" }),
      ok({ state: "listening" }),
      ok([{ id: "r1" }]),
      ok(["Built-in Audio", "USB Mic"]),
      ok(settings),
      ok(settings),
      ok([model]),
      jsonResponse(202, model),
      ok({ ...model, name: "mine.bin", installed: true }),
    );
    const b = createHttpBackend({ token: "t" });
    await expect(b.voiceStatus()).resolves.toEqual({ state: "idle" });
    await b.listenStart();
    await expect(b.listenStop()).resolves.toEqual({ id: "r1" });
    await b.listenToggle();
    await expect(b.voiceHistory()).resolves.toEqual([{ id: "r1" }]);
    await expect(b.voiceDevices()).resolves.toEqual(["Built-in Audio", "USB Mic"]);
    await expect(b.getVoiceSettings()).resolves.toEqual(settings);
    await b.setVoiceSettings(settings);
    await expect(b.listSpeechModels()).resolves.toEqual([model]);
    await expect(b.downloadSpeechModel("base.en")).resolves.toEqual(model);
    await expect(b.importSpeechModel("/home/me/mine.bin")).resolves.toMatchObject({ installed: true });
    expect(calls(fetchFn)).toEqual([
      ["GET", "/api/v1/voice/status", undefined],
      ["POST", "/api/v1/voice/listen/start", { trigger: "ui" }],
      ["POST", "/api/v1/voice/listen/stop", {}],
      ["POST", "/api/v1/voice/listen/toggle", { trigger: "ui" }],
      ["GET", "/api/v1/voice/history", undefined],
      ["GET", "/api/v1/voice/devices", undefined],
      ["GET", "/api/v1/voice/settings", undefined],
      ["PUT", "/api/v1/voice/settings", settings],
      ["GET", "/api/v1/voice/models", undefined],
      ["POST", "/api/v1/voice/models/download", { name: "base.en" }],
      ["POST", "/api/v1/voice/models/import", { path: "/home/me/mine.bin" }],
    ]);
    for (const [, init] of fetchFn.mock.calls) expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer t");
  });

  it("passes refusals through: no sound, a bad hotkey, a bad import path", async () => {
    stubFetch(
      jsonResponse(409, { code: "not_supported", message: "no sound system: ALSA found no card" }),
      jsonResponse(422, { code: "invalid_field", message: "hotkey: unknown key 'Spcae'", field: "hotkey" }),
      jsonResponse(422, { code: "invalid_field", message: "path: not a whisper model", field: "path" }),
    );
    const b = createHttpBackend({ token: "t" });
    await expect(b.voiceDevices()).rejects.toMatchObject({ code: "not_supported", message: "no sound system: ALSA found no card" });
    const err = await b.setVoiceSettings({ ...settings, hotkey: "Ctrl+Spcae" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ field: "hotkey" });
    await expect(b.importSpeechModel("/tmp/x.txt")).rejects.toMatchObject({ field: "path", message: "path: not a whisper model" });
  });
});

describe("HTTP transport · facts, regenerate, API keys, import and export", () => {
  const ok = (body: unknown) => jsonResponse(200, body);
  const calls = (fetchFn: ReturnType<typeof stubFetch>) =>
    fetchFn.mock.calls.map(([url, init]) => [init?.method, url, init?.body === undefined ? undefined : JSON.parse(init.body as string)]);
  const fact = { id: "f/1", text: "My dog is Rex", source: "ui", created_at: "2026-01-02T10:00:00Z" };
  const key = { id: "k/1", name: "Script", prefix: "jv_k3Xa", created_at: "2026-01-02T10:00:00Z", last_used_at: null };

  it("calls the documented routes with the documented bodies", async () => {
    const receipt = { conversation: { id: "c1" }, user_message: { id: "u1" }, assistant_message_id: "a2" };
    const report = { format: "chatgpt", conversations_imported: 2, messages_imported: 9, conversations_skipped: 0 };
    const fetchFn = stubFetch(
      ok([fact]),
      jsonResponse(201, fact),
      new Response(null, { status: 204 }),
      jsonResponse(202, receipt),
      ok([key]),
      jsonResponse(201, { api_key: key, key: "jv_k3Xa-secret" }),
      new Response(null, { status: 204 }),
      ok({ format: "jarvis", conversations: [] }),
    );
    const b = createHttpBackend({ token: "t" });
    await expect(b.listFacts()).resolves.toEqual([fact]);
    await expect(b.addFact("My dog is Rex")).resolves.toEqual(fact);
    await expect(b.deleteFact("f/1")).resolves.toBeUndefined();
    await expect(b.regenerate({ conversation_id: "c1", provider_id: "p2" })).resolves.toEqual(receipt);
    await expect(b.listApiKeys()).resolves.toEqual([key]);
    await expect(b.createApiKey({ name: "Script" })).resolves.toEqual({ api_key: key, key: "jv_k3Xa-secret" });
    await expect(b.revokeApiKey("k/1")).resolves.toBeUndefined();
    await expect(b.exportConversations()).resolves.toEqual({ format: "jarvis", conversations: [] });
    expect(calls(fetchFn)).toEqual([
      ["GET", "/api/v1/memory/facts", undefined],
      ["POST", "/api/v1/memory/facts", { text: "My dog is Rex" }],
      ["DELETE", "/api/v1/memory/facts/f%2F1", undefined],
      ["POST", "/api/v1/chat/regenerate", { conversation_id: "c1", provider_id: "p2" }],
      ["GET", "/api/v1/api-keys", undefined],
      ["POST", "/api/v1/api-keys", { name: "Script" }],
      ["DELETE", "/api/v1/api-keys/k%2F1", undefined],
      ["GET", "/api/v1/export", undefined],
    ]);
    for (const [, init] of fetchFn.mock.calls) expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer t");

    const importFetch = stubFetch(ok(report));
    const file = '[{"title":"Trip","mapping":{}}]';
    await expect(createHttpBackend({ token: "t" }).importConversations(file)).resolves.toEqual(report);
    const [url, init] = importFetch.mock.calls[0]!;
    expect(url).toBe("/api/v1/import");
    expect(init?.method).toBe("POST");
    // The file goes as it is, not JSON-encoded again.
    expect(init?.body).toBe(file);
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("passes refusals through naming the field", async () => {
    stubFetch(
      jsonResponse(422, { code: "invalid_field", message: "text: say what to remember", field: "text" }),
      jsonResponse(422, { code: "invalid_field", message: "conversation_id: an answer is still streaming", field: "conversation_id" }),
      jsonResponse(422, { code: "invalid_field", message: "name: a key named Script already exists", field: "name" }),
      jsonResponse(422, { code: "invalid_import", message: "not a ChatGPT or Jarvis export", field: "[3].mapping" }),
      jsonResponse(404, { code: "not_found", message: "no such fact" }),
    );
    const b = createHttpBackend({ token: "t" });
    await expect(b.addFact(" ")).rejects.toMatchObject({ code: "invalid_field", field: "text" });
    await expect(b.regenerate({ conversation_id: "c1" })).rejects.toMatchObject({ field: "conversation_id" });
    await expect(b.createApiKey({ name: "Script" })).rejects.toMatchObject({ field: "name" });
    const err = await b.importConversations("{}").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid_import", field: "[3].mapping" });
    await expect(b.deleteFact("f1")).rejects.toMatchObject({ code: "not_found" });
  });
});
