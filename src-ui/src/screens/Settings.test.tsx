import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { detectedServer, fakeBackend, provider, serverView } from "../test/fakeBackend";

function renderSettings(fb = fakeBackend()) {
  window.location.hash = "#/settings";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const input = (form: HTMLElement, name: string) => form.querySelector<HTMLInputElement>(`[name="${name}"]`)!;

describe("Settings · AI providers", () => {
  it("lists providers with kind label and masked key", async () => {
    renderSettings(
      fakeBackend({
        providers: [
          provider({ id: "a", name: "Ollama", key_hint: null, has_key: false }),
          provider({ id: "b", name: "Gemini", kind: "gemini", key_hint: "wxyz" }),
        ],
      }),
    );
    const rows = await screen.findAllByTestId("provider-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("provider-kind").textContent).toBe("OpenAI-compatible");
    expect(within(rows[0]!).getByTestId("provider-key").textContent).toBe("no key");
    expect(within(rows[1]!).getByTestId("provider-kind").textContent).toBe("Gemini");
    expect(within(rows[1]!).getByTestId("provider-key").textContent).toBe("••••wxyz");
  });

  it("adds a provider; choosing a kind pre-fills the base URL", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ providers: [] }));
    await screen.findByTestId("providers-empty");
    await user.click(screen.getByTestId("add-provider"));
    const form = screen.getByTestId("provider-form");
    expect(input(form, "base_url").value).toBe("https://api.openai.com/v1");
    await user.selectOptions(input(form, "kind"), "anthropic");
    expect(input(form, "base_url").value).toBe("https://api.anthropic.com");
    expect(input(form, "api_key").type).toBe("password");
    expect(input(form, "api_key").getAttribute("autocomplete")).toBe("off");
    await user.type(input(form, "name"), "Claude");
    await user.type(input(form, "model"), "claude-sonnet-4");
    await user.type(input(form, "api_key"), "sk-ant-123456");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() =>
      expect(fb.backend.addProvider).toHaveBeenCalledWith({
        name: "Claude",
        kind: "anthropic",
        base_url: "https://api.anthropic.com",
        model: "claude-sonnet-4",
        api_key: "sk-ant-123456",
      }),
    );
    await waitFor(() => expect(screen.queryByTestId("provider-form")).toBeNull());
    const row = await screen.findByTestId("provider-row");
    expect(within(row).getByTestId("provider-key").textContent).toBe("••••3456");
  });

  it("keeps a custom base URL when the kind changes", async () => {
    const user = userEvent.setup();
    renderSettings();
    await user.click(await screen.findByTestId("add-provider"));
    const form = screen.getByTestId("provider-form");
    await user.clear(input(form, "base_url"));
    await user.type(input(form, "base_url"), "http://127.0.0.1:11434/v1");
    await user.selectOptions(input(form, "kind"), "gemini");
    expect(input(form, "base_url").value).toBe("http://127.0.0.1:11434/v1");
    expect(form.textContent).toContain("Ollama, llama.cpp and LM Studio are OpenAI-compatible");
  });

  it("shows the server's field error next to the right input and keeps the input", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ providers: [] }));
    fb.backend.addProvider.mockRejectedValueOnce(new BackendError("invalid", "base_url must be an http(s) URL", "base_url"));
    await user.click(await screen.findByTestId("add-provider"));
    const form = screen.getByTestId("provider-form");
    await user.clear(input(form, "base_url"));
    await user.type(input(form, "base_url"), "localhost:11434");
    await user.type(input(form, "name"), "Local");
    await user.type(input(form, "model"), "llama3");
    await user.click(screen.getByTestId("provider-save"));

    const err = await screen.findByTestId("error-base_url");
    expect(err.textContent).toBe("base_url must be an http(s) URL");
    const baseUrl = input(form, "base_url");
    expect(baseUrl.getAttribute("aria-invalid")).toBe("true");
    expect(baseUrl.getAttribute("aria-describedby")).toContain(err.id);
    // It sits in the same field as the base_url input, not next to another one.
    expect(err.closest(".field")).toBe(baseUrl.closest(".field"));
    expect(input(form, "name").getAttribute("aria-invalid")).toBeNull();
    expect(screen.queryByTestId("error-name")).toBeNull();
    expect(screen.queryByTestId("form-error")).toBeNull();
    // The user's input is kept.
    expect(baseUrl.value).toBe("localhost:11434");
    expect(input(form, "name").value).toBe("Local");
    expect(document.activeElement).toBe(baseUrl);
  });

  it("shows an error without a field as a form-level alert", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.addProvider.mockRejectedValueOnce(new BackendError("keychain", "The keychain is locked"));
    await user.click(await screen.findByTestId("add-provider"));
    const form = screen.getByTestId("provider-form");
    await user.type(input(form, "name"), "X");
    await user.type(input(form, "model"), "m");
    await user.click(screen.getByTestId("provider-save"));
    expect((await screen.findByTestId("form-error")).textContent).toBe("The keychain is locked");
    expect(screen.getByTestId("provider-form")).toBeTruthy();
  });

  it("validates required fields before calling the server", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("add-provider"));
    await user.click(screen.getByTestId("provider-save"));
    expect(screen.getByTestId("error-name")).toBeTruthy();
    expect(screen.getByTestId("error-model")).toBeTruthy();
    expect(fb.backend.addProvider).not.toHaveBeenCalled();
  });

  it("edits sending only the changed fields; an empty key keeps the key", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("provider-edit"));
    const form = screen.getByTestId("provider-form");
    expect(input(form, "name").value).toBe("Local Ollama");
    expect(input(form, "api_key")).toBeNull();
    expect(within(form).getByTestId("current-key").textContent).toBe("••••wxyz");
    await user.clear(input(form, "model"));
    await user.type(input(form, "model"), "qwen2.5:7b");
    await user.click(within(form).getByTestId("provider-replace-key"));
    expect(input(form, "api_key").value).toBe("");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(fb.backend.updateProvider).toHaveBeenCalledWith("p1", { model: "qwen2.5:7b" }));
  });

  it("sets and clears the embedding model of an OpenAI-compatible provider only", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("provider-edit"));
    const form = screen.getByTestId("provider-form");
    expect(input(form, "embedding_model").value).toBe("");
    await user.type(input(form, "embedding_model"), "nomic-embed-text");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() =>
      expect(fb.backend.updateProvider).toHaveBeenCalledWith("p1", { embedding_model: "nomic-embed-text" }),
    );
    await user.click(await screen.findByTestId("provider-edit"));
    const again = screen.getByTestId("provider-form");
    expect(input(again, "embedding_model").value).toBe("nomic-embed-text");
    await user.clear(input(again, "embedding_model"));
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(fb.backend.updateProvider).toHaveBeenLastCalledWith("p1", { embedding_model: "" }));
    await user.click(screen.getByTestId("add-provider"));
    const adding = screen.getByTestId("provider-form");
    await user.selectOptions(input(adding, "kind"), "gemini");
    expect(input(adding, "embedding_model")).toBeNull();
  });

  it("replaces the key when a new one is typed", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("provider-edit"));
    const form = screen.getByTestId("provider-form");
    await user.click(within(form).getByTestId("provider-replace-key"));
    await user.type(input(form, "api_key"), "sk-new-9999");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(fb.backend.updateProvider).toHaveBeenCalledWith("p1", { api_key: "sk-new-9999" }));
  });

  it("asks for an in-page confirmation before removing", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    const remove = await screen.findByTestId("provider-remove");
    await user.click(remove);
    expect(fb.backend.removeProvider).not.toHaveBeenCalled();
    expect(remove.textContent).toBe("Confirm remove");
    await user.click(remove);
    await waitFor(() => expect(fb.backend.removeProvider).toHaveBeenCalledWith("p1"));
    await screen.findByTestId("providers-empty");
  });

  it("shows the list's load error instead of a blank screen", async () => {
    const fb = fakeBackend();
    fb.backend.listProviders.mockRejectedValue(new BackendError("network", "Cannot reach the Jarvis server."));
    renderSettings(fb);
    expect((await screen.findByTestId("providers-error")).textContent).toContain("Cannot reach the Jarvis server.");
  });
});

describe("Settings · Detect local servers", () => {
  it("shows what it found and adds one in one click, with a free name", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(
      fakeBackend({
        providers: [
          provider({ id: "a", name: "LM Studio", base_url: "http://192.168.1.9:1234/v1" }),
          provider({ id: "b", name: "lm studio 2", base_url: "https://api.openai.com/v1" }),
        ],
      }),
    );
    await screen.findAllByTestId("provider-row");
    let finish: () => void = () => {};
    fb.backend.detectLocalServers.mockImplementationOnce(
      () =>
        new Promise((resolve) => {
          finish = () =>
            resolve([
              detectedServer({ name: "llama.cpp", base_url: "http://127.0.0.1:8080/v1", models: ["qwen2.5-7b-instruct"] }),
              detectedServer({ name: "LM Studio", base_url: "http://127.0.0.1:1234/v1", models: ["gemma-3-4b", "phi-4", "mistral-7b"] }),
            ]);
        }),
    );
    await user.click(screen.getByTestId("detect-local"));
    expect(screen.getByTestId("detect-probing").textContent).toBe("Looking for Ollama, llama.cpp and LM Studio…");
    expect((screen.getByTestId("detect-local") as HTMLButtonElement).disabled).toBe(true);
    finish();

    const rows = await screen.findAllByTestId("detected-server");
    expect(screen.queryByTestId("detect-probing")).toBeNull();
    expect(rows).toHaveLength(2);
    const lm = rows[1]!;
    expect(within(lm).getByTestId("detected-name").textContent).toBe("LM Studio");
    expect(within(lm).getByTestId("detected-base-url").textContent).toBe("http://127.0.0.1:1234/v1");
    expect(within(lm).getByTestId("detected-count").textContent).toContain("3 models");
    expect(within(rows[0]!).getByTestId("detected-count").textContent).toContain("1 model");
    const select = within(lm).getByTestId("detected-model") as HTMLSelectElement;
    expect(select.value).toBe("gemma-3-4b");
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["gemma-3-4b", "phi-4", "mistral-7b"]);
    await user.selectOptions(select, "phi-4");
    await user.click(within(lm).getByTestId("detected-add"));
    // "LM Studio" and "lm studio 2" are taken.
    await waitFor(() =>
      expect(fb.backend.addProvider).toHaveBeenCalledWith({
        name: "LM Studio 3",
        kind: "openai",
        base_url: "http://127.0.0.1:1234/v1",
        model: "phi-4",
      }),
    );
    // Once added, the row says so and the list shows the new provider.
    expect((await within(lm).findByTestId("detected-already")).textContent).toBe("already added");
    expect(within(lm).queryByTestId("detected-add")).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId("provider-row")).toHaveLength(3));

    await user.click(within(rows[0]!).getByTestId("detected-add"));
    await waitFor(() =>
      expect(fb.backend.addProvider).toHaveBeenLastCalledWith({
        name: "llama.cpp",
        kind: "openai",
        base_url: "http://127.0.0.1:8080/v1",
        model: "qwen2.5-7b-instruct",
      }),
    );
    expect(fb.backend.addProvider).toHaveBeenCalledTimes(2);
  });

  it("says 'already added' for a server whose base URL is configured", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(
      fakeBackend({
        providers: [provider({ id: "a", name: "My Ollama", base_url: "http://127.0.0.1:11434/v1/" })],
        detected: [detectedServer({ name: "Ollama", base_url: "http://127.0.0.1:11434/v1" })],
      }),
    );
    await screen.findByTestId("provider-row");
    await user.click(screen.getByTestId("detect-local"));
    const row = await screen.findByTestId("detected-server");
    expect(within(row).getByTestId("detected-already").textContent).toBe("already added");
    expect(within(row).queryByTestId("detected-add")).toBeNull();
    expect(fb.backend.addProvider).not.toHaveBeenCalled();
  });

  it("says so when no local server answers", async () => {
    const user = userEvent.setup();
    renderSettings(fakeBackend({ detected: [] }));
    await user.click(await screen.findByTestId("detect-local"));
    expect((await screen.findByTestId("detect-none")).textContent).toBe(
      "No local server found on the usual ports (Ollama 11434, llama.cpp 8080, LM Studio 1234).",
    );
    expect(screen.queryByTestId("detected-server")).toBeNull();
  });

  it("shows a failed probe as an error, and a failed add in its row", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ providers: [], detected: [detectedServer()] }));
    fb.backend.detectLocalServers.mockRejectedValueOnce(new BackendError("network", "Cannot reach the Jarvis server."));
    await user.click(await screen.findByTestId("detect-local"));
    expect((await screen.findByTestId("detect-error")).textContent).toContain("Cannot reach the Jarvis server.");

    fb.backend.addProvider.mockRejectedValueOnce(new BackendError("keychain", "The keychain is locked"));
    await user.click(screen.getByTestId("detect-local"));
    const row = await screen.findByTestId("detected-server");
    expect(screen.queryByTestId("detect-error")).toBeNull();
    await user.click(within(row).getByTestId("detected-add"));
    expect((await within(row).findByTestId("detected-error")).textContent).toBe("The keychain is locked");
    expect(within(row).getByTestId("detected-add")).toBeTruthy();
  });
});

describe("Settings · Load models", () => {
  it("fills the model input's suggestions from the provider", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ models: { p1: ["llama3.1:8b", "qwen2.5:7b", "mistral:7b"] } }));
    await user.click(await screen.findByTestId("provider-edit"));
    const form = screen.getByTestId("provider-form");
    const model = input(form, "model");
    expect(model.getAttribute("list")).toBeNull();
    await user.click(within(form).getByTestId("load-models"));
    expect(fb.backend.providerModels).toHaveBeenCalledWith("p1");
    const list = await within(form).findByTestId("model-options");
    expect(list.tagName).toBe("DATALIST");
    expect(model.getAttribute("list")).toBe(list.id);
    expect(Array.from(list.querySelectorAll("option")).map((o) => o.value)).toEqual(["llama3.1:8b", "qwen2.5:7b", "mistral:7b"]);
    expect(within(form).getByTestId("models-count").textContent).toBe("3 models");
    expect(within(form).queryByTestId("models-error")).toBeNull();
  });

  it("shows why the models could not be loaded, and still saves", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.providerModels.mockRejectedValueOnce(
      new BackendError("providers_unavailable", "http://127.0.0.1:11434/v1 did not answer"),
    );
    await user.click(await screen.findByTestId("provider-edit"));
    const form = screen.getByTestId("provider-form");
    await user.click(within(form).getByTestId("load-models"));
    const err = await within(form).findByTestId("models-error");
    expect(err.textContent).toContain("http://127.0.0.1:11434/v1 did not answer");
    const model = input(form, "model");
    expect(err.closest(".field")).toBe(model.closest(".field"));
    expect(model.getAttribute("aria-describedby")).toContain(err.id);
    expect(model.getAttribute("list")).toBeNull();
    await user.clear(model);
    await user.type(model, "phi4");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(fb.backend.updateProvider).toHaveBeenCalledWith("p1", { model: "phi4" }));
  });

  it("offers Load models only when editing", async () => {
    const user = userEvent.setup();
    renderSettings();
    await user.click(await screen.findByTestId("add-provider"));
    expect(within(screen.getByTestId("provider-form")).queryByTestId("load-models")).toBeNull();
  });
});

describe("Settings · Local server", () => {
  it("saves the toggle and listen address", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    const toggle = (await screen.findByTestId("server-toggle")) as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    await user.click(toggle);
    const listen = screen.getByRole("textbox", { name: "Listen address" });
    await user.clear(listen);
    await user.type(listen, "127.0.0.1:9000");
    fb.backend.setServer.mockResolvedValueOnce(
      serverView({
        settings: { enabled: true, listen: "127.0.0.1:9000" },
        status: { running: true, url: "http://127.0.0.1:9000", managed_by: "desktop", error: null },
      }),
    );
    await user.click(screen.getByTestId("server-save"));
    expect(fb.backend.setServer).toHaveBeenCalledWith({ enabled: true, listen: "127.0.0.1:9000" });
    const link = await within(screen.getByTestId("server-status")).findByTestId("server-url");
    expect(link.textContent).toBe("http://127.0.0.1:9000");
  });

  it("puts a listen error next to the listen input", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.setServer.mockRejectedValueOnce(new BackendError("invalid", "not a socket address", "listen"));
    const listen = await screen.findByRole("textbox", { name: "Listen address" });
    await user.clear(listen);
    await user.type(listen, "nope");
    await user.click(screen.getByTestId("server-save"));
    expect((await screen.findByTestId("error-listen")).textContent).toBe("not a socket address");
    expect(listen.getAttribute("aria-invalid")).toBe("true");
    expect((listen as HTMLInputElement).value).toBe("nope");
  });

  it("shows why the server failed to start", async () => {
    renderSettings(
      fakeBackend({
        server: serverView({
          settings: { enabled: true, listen: "127.0.0.1:7878" },
          status: { running: false, url: null, managed_by: "desktop", error: "address already in use" },
        }),
      }),
    );
    expect((await screen.findByTestId("server-start-error")).textContent).toContain("address already in use");
  });

  it("disables the controls when jarvisd manages the server", async () => {
    renderSettings(
      fakeBackend({
        server: serverView({
          settings: { enabled: true, listen: "127.0.0.1:7878" },
          status: { running: true, url: "http://127.0.0.1:7878", managed_by: "jarvisd", error: null },
        }),
      }),
    );
    const toggle = (await screen.findByTestId("server-toggle")) as HTMLInputElement;
    expect(toggle.disabled || toggle.closest("fieldset")?.disabled).toBe(true);
    expect((screen.getByTestId("server-save") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("server-managed").textContent).toBe(
      "This page is served by jarvisd at http://127.0.0.1:7878; it runs until you stop that process.",
    );
    fireEvent.submit(screen.getByTestId("server-form"));
  });
});
