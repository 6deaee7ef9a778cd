import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { fakeBackend, provider, serverView } from "../test/fakeBackend";

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
