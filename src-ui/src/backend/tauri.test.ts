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
