import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
const listen = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: (...a: unknown[]) => listen(...a) }));

const { createTauriBackend, isTauri } = await import("./tauri");
const { BackendError } = await import("./errors");

beforeEach(() => {
  invoke.mockReset();
  listen.mockReset();
});

describe("Tauri transport", () => {
  it("invokes the commands with the documented argument names", async () => {
    invoke.mockResolvedValue({});
    const b = createTauriBackend();
    await b.health();
    await b.listProviders();
    await b.addProvider({ name: "n", kind: "gemini", base_url: "u", model: "m" });
    await b.updateProvider("id1", { model: "m2" });
    await b.removeProvider("id1");
    await b.getServer();
    await b.setServer({ enabled: true, listen: "127.0.0.1:7878" });
    expect(invoke.mock.calls).toEqual([
      ["health", undefined],
      ["list_providers", undefined],
      ["add_provider", { provider: { name: "n", kind: "gemini", base_url: "u", model: "m" } }],
      ["update_provider", { id: "id1", patch: { model: "m2" } }],
      ["remove_provider", { id: "id1" }],
      ["get_server", undefined],
      ["set_server", { settings: { enabled: true, listen: "127.0.0.1:7878" } }],
    ]);
  });

  it("invokes the chat commands with camelCase argument names", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    await b.listConversations();
    await b.createConversation({ title: "Trip" });
    await b.updateConversation("c1", { title: "Trip to Lyon", pinned: true });
    await b.deleteConversation("c1");
    await b.listMessages("c1");
    await b.sendMessage({ conversation_id: "c1", text: "hi", provider_id: "p1" });
    await b.sendMessage({ text: "new one" });
    await b.stopMessage("a1");
    await b.providerCircuits();
    await b.search("lifetimes", 20);
    await b.search("all");
    expect(invoke.mock.calls).toEqual([
      ["list_conversations", undefined],
      ["create_conversation", { conversation: { title: "Trip" } }],
      ["update_conversation", { id: "c1", patch: { title: "Trip to Lyon", pinned: true } }],
      ["delete_conversation", { id: "c1" }],
      ["list_messages", { id: "c1" }],
      ["send_message", { message: { conversation_id: "c1", text: "hi", provider_id: "p1" } }],
      ["send_message", { message: { text: "new one" } }],
      ["stop_message", { messageId: "a1" }],
      ["provider_circuits", undefined],
      ["search_messages", { q: "lifetimes", limit: 20 }],
      ["search_messages", { q: "all" }],
    ]);
    // No undefined keys sneak in.
    expect(Object.keys(invoke.mock.calls[10]![1] as object)).toEqual(["q"]);
  });

  it("invokes detect_local_servers and provider_models", async () => {
    invoke.mockResolvedValueOnce([{ name: "Ollama", base_url: "http://127.0.0.1:11434/v1", models: [] }]).mockResolvedValueOnce(["m1"]);
    const b = createTauriBackend();
    await expect(b.detectLocalServers()).resolves.toEqual([{ name: "Ollama", base_url: "http://127.0.0.1:11434/v1", models: [] }]);
    await expect(b.providerModels("p1")).resolves.toEqual(["m1"]);
    expect(invoke.mock.calls).toEqual([
      ["detect_local_servers", undefined],
      ["provider_models", { id: "p1" }],
    ]);
  });

  it("invokes the trading commands with the documented argument names", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    const order = { symbol: "AAPL", side: "buy" as const, qty: "5", type: "market" as const };
    const limits = { max_position_value: "1", max_order_value: "2", max_open_orders: 3, max_orders_per_minute: 4, daily_loss_limit: "5" };
    const replay = { symbol: "AAPL", csv: "x", speed: 60 };
    const backtest = { strategy: "breakout", params: { lookback: "20" }, cash: "10000", commission: "0.002", exclusive_orders: false, csv: "y" };
    await b.account();
    await b.placeOrder(order);
    await b.listOrders();
    await b.listOrders(20);
    await b.cancelOrder("o1");
    await b.cancelAllOrders();
    await b.listFills(5);
    await b.listPositions();
    await b.setKillSwitch(false);
    await b.setRiskLimits(limits);
    await b.auditEntries();
    await b.auditEntries(42, 50);
    await b.verifyAudit();
    await b.marketQuotes();
    await b.marketBars("AAPL");
    await b.listReplays();
    await b.startReplay(replay);
    await b.stopReplay("AAPL");
    await b.backtestStrategies();
    await b.runBacktest(backtest);
    expect(invoke.mock.calls).toEqual([
      ["trading_account", undefined],
      ["place_order", { request: order }],
      ["list_orders", { limit: null }],
      ["list_orders", { limit: 20 }],
      ["cancel_order", { id: "o1" }],
      ["cancel_all_orders", undefined],
      ["list_fills", { limit: 5 }],
      ["list_positions", undefined],
      ["set_kill_switch", { engaged: false }],
      ["set_risk_limits", { limits }],
      ["audit_entries", { before: null, limit: null }],
      ["audit_entries", { before: 42, limit: 50 }],
      ["verify_audit", undefined],
      ["market_quotes", undefined],
      ["market_bars", { symbol: "AAPL" }],
      ["list_replays", undefined],
      ["start_replay", { request: replay }],
      ["stop_replay", { symbol: "AAPL" }],
      ["backtest_strategies", undefined],
      ["run_backtest", { request: backtest }],
    ]);
  });

  it("invokes the strategy run commands with the documented argument names", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    const request = { symbol: "AAPL", strategy: "breakout", params: { lookback: "20" }, qty: "5", allow_short: false };
    await b.startStrategyRun(request);
    await b.listStrategyRuns();
    await b.stopStrategyRun("AAPL");
    expect(invoke.mock.calls).toEqual([
      ["start_strategy_run", { request }],
      ["list_strategy_runs", undefined],
      ["stop_strategy_run", { symbol: "AAPL" }],
    ]);
  });

  it("invokes the broker and live feed commands with the documented argument names", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    const update = { kind: "binance" as const, base_url: "https://testnet.binance.vision", key_id: "k".repeat(12), secret: "s" };
    await b.getBroker();
    await b.setBroker(update);
    await b.setBroker({ kind: "paper" });
    await b.startFeed({ symbol: "BTCUSDT", timeframe: "hour" });
    expect(invoke.mock.calls).toEqual([
      ["get_broker", undefined],
      ["set_broker", { update }],
      ["set_broker", { update: { kind: "paper" } }],
      ["start_feed", { request: { symbol: "BTCUSDT", timeframe: "hour" } }],
    ]);
  });

  it("invokes the push-to-talk, voice settings and speech model commands with the documented argument names", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    const settings = { hotkey: "Ctrl+Alt+Space", mode: "toggle" as const, device: "USB Mic", model: "/m/ggml-base.en.bin", speak_replies: false };
    await b.voiceStatus();
    await b.listenStart();
    await b.listenStop();
    await b.listenToggle();
    await b.voiceHistory();
    await b.voiceDevices();
    await b.getVoiceSettings();
    await b.setVoiceSettings(settings);
    await b.listSpeechModels();
    await b.downloadSpeechModel("base.en");
    await b.importSpeechModel("/home/me/ggml-small.bin");
    expect(invoke.mock.calls).toEqual([
      ["voice_status", undefined],
      ["listen_start", undefined],
      ["listen_stop", undefined],
      ["listen_toggle", undefined],
      ["voice_history", undefined],
      ["voice_devices", undefined],
      ["get_voice_settings", undefined],
      ["set_voice_settings", { settings }],
      ["list_speech_models", undefined],
      ["download_speech_model", { name: "base.en" }],
      ["import_speech_model", { path: "/home/me/ggml-small.bin" }],
    ]);
  });

  it("turns a voice refusal into a BackendError with its field", async () => {
    invoke.mockRejectedValue({ code: "invalid_field", message: "device: no input device named 'USB'", field: "device" });
    const err = await createTauriBackend()
      .setVoiceSettings({ hotkey: "Ctrl+Alt+Space", mode: "hold", device: "USB", model: null, speak_replies: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ field: "device", message: "device: no input device named 'USB'" });
  });

  it("turns a broker refusal into a BackendError with its field", async () => {
    invoke.mockRejectedValue({ code: "invalid_field", message: "1 order(s) are still open at alpaca", field: "kind" });
    const err = await createTauriBackend().setBroker({ kind: "paper" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ field: "kind", message: "1 order(s) are still open at alpaca" });
  });

  it("turns a risk refusal into a BackendError naming the check", async () => {
    invoke.mockRejectedValue({ code: "risk_rejected", message: "the kill switch is engaged", field: "kill_switch" });
    const err = await createTauriBackend()
      .placeOrder({ symbol: "AAPL", side: "sell", qty: "1", type: "market" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "risk_rejected", field: "kill_switch" });
  });

  it("invokes the facts, regenerate, API key and import/export commands", async () => {
    invoke.mockResolvedValue(undefined);
    const b = createTauriBackend();
    await b.listFacts();
    await b.addFact("My dog is Rex");
    await b.deleteFact("f1");
    await b.regenerate({ conversation_id: "c1", provider_id: "p2" });
    await b.listApiKeys();
    await b.createApiKey({ name: "Script" });
    await b.revokeApiKey("k1");
    await b.importConversations("[]");
    await b.exportConversations();
    expect(invoke.mock.calls).toEqual([
      ["list_facts", undefined],
      ["add_fact", { text: "My dog is Rex" }],
      ["delete_fact", { id: "f1" }],
      ["regenerate_message", { request: { conversation_id: "c1", provider_id: "p2" } }],
      ["list_api_keys", undefined],
      ["create_api_key", { request: { name: "Script" } }],
      ["revoke_api_key", { id: "k1" }],
      ["import_conversations", { text: "[]" }],
      ["export_conversations", undefined],
    ]);
  });

  it("turns an import refusal into a BackendError naming where in the file", async () => {
    invoke.mockRejectedValue({ code: "invalid_import", message: "not a ChatGPT or Jarvis export", field: "[0].mapping" });
    const err = await createTauriBackend().importConversations("{}").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid_import", field: "[0].mapping" });
  });

  it("rejects provider_models failures as a BackendError", async () => {
    invoke.mockRejectedValue({ code: "providers_unavailable", message: "Ollama did not answer" });
    const err = await createTauriBackend().providerModels("p1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "providers_unavailable", message: "Ollama did not answer" });
  });

  it("turns a rejected ApiError into a BackendError with its field", async () => {
    invoke.mockRejectedValue({ code: "invalid", message: "model must not be empty", field: "model" });
    const err = await createTauriBackend().addProvider({ name: "n", kind: "openai", base_url: "u", model: "" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "invalid", message: "model must not be empty", field: "model" });
  });

  it("turns a plain string rejection into a BackendError", async () => {
    invoke.mockRejectedValue("command health not found");
    const err = await createTauriBackend().health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as InstanceType<typeof BackendError>).message).toBe("command health not found");
  });

  it("listens to jarvis:event and unlistens even if unsubscribed before listen resolves", async () => {
    const unlisten = vi.fn();
    let handler: ((e: { payload: unknown }) => void) | undefined;
    let resolveListen: (fn: () => void) => void = () => {};
    listen.mockImplementation((name: string, h: (e: { payload: unknown }) => void) => {
      expect(name).toBe("jarvis:event");
      handler = h;
      return new Promise((r) => (resolveListen = r));
    });
    const got: unknown[] = [];
    const unsubscribe = createTauriBackend().subscribe((e) => got.push(e));
    handler?.({ payload: { type: "providers_changed" } });
    handler?.({ payload: { type: "bogus" } });
    expect(got).toEqual([{ type: "providers_changed" }]);
    unsubscribe();
    resolveListen(unlisten);
    await Promise.resolve();
    await Promise.resolve();
    expect(unlisten).toHaveBeenCalledOnce();
  });

  it("detects the Tauri webview", () => {
    expect(isTauri()).toBe(false);
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    expect(isTauri()).toBe(true);
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  });
});
