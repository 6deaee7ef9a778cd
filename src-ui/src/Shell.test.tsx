import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeBackend, provider } from "./test/fakeBackend";
import { isSearchShortcut, shortcutRoute, Shell } from "./Shell";

const heading = () => screen.getByRole("heading", { level: 1 });

describe("Shell", () => {
  it("starts on the dashboard and marks it current", async () => {
    const { backend } = fakeBackend();
    render(<Shell backend={backend} />);
    expect(heading().textContent).toBe("Dashboard");
    expect(screen.getByTestId("nav-dashboard").getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("nav-chat").getAttribute("aria-current")).toBeNull();
    await screen.findByTestId("card-database");
  });

  it("Ctrl+2 switches to Chat, even while typing in an input", async () => {
    const { backend } = fakeBackend();
    window.location.hash = "#/settings";
    render(<Shell backend={backend} />);
    expect(heading().textContent).toBe("Settings");
    const listen = await screen.findByRole("textbox", { name: "Listen address" });
    listen.focus();
    const ev = fireEvent.keyDown(listen, { key: "2", code: "Digit2", ctrlKey: true });
    expect(ev).toBe(false); // default prevented
    await waitFor(() => expect(heading().textContent).toBe("Chat"));
    expect(window.location.hash).toBe("#/chat");
    expect(screen.getByTestId("nav-chat").getAttribute("aria-current")).toBe("page");
  });

  it("Ctrl+5 opens Settings and plain 5 does nothing", async () => {
    const { backend } = fakeBackend();
    render(<Shell backend={backend} />);
    fireEvent.keyDown(window, { key: "5", code: "Digit5" });
    expect(heading().textContent).toBe("Dashboard");
    fireEvent.keyDown(window, { key: "5", code: "Digit5", ctrlKey: true });
    await waitFor(() => expect(heading().textContent).toBe("Settings"));
  });

  it("Ctrl+K switches to Chat and focuses the search box, from any screen and any input", async () => {
    const { backend } = fakeBackend();
    window.location.hash = "#/settings";
    render(<Shell backend={backend} />);
    const listen = await screen.findByRole("textbox", { name: "Listen address" });
    listen.focus();
    const ev = fireEvent.keyDown(listen, { key: "k", code: "KeyK", ctrlKey: true });
    expect(ev).toBe(false); // default prevented (the browser's own Ctrl+K)
    await waitFor(() => expect(heading().textContent).toBe("Chat"));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("search-input")));

    // Already on Chat, with focus in the composer.
    screen.getByTestId("chat-input").focus();
    fireEvent.keyDown(screen.getByTestId("chat-input"), { key: "k", code: "KeyK", ctrlKey: true });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("search-input")));
  });

  it("recognises Ctrl+K and ⌘K only", () => {
    const base = { ctrlKey: false, altKey: false, shiftKey: false, metaKey: false, key: "k", code: "KeyK" };
    expect(isSearchShortcut({ ...base, ctrlKey: true })).toBe(true);
    expect(isSearchShortcut({ ...base, metaKey: true })).toBe(true);
    expect(isSearchShortcut({ ...base, ctrlKey: true, key: "л" })).toBe(true); // another layout, same key
    expect(isSearchShortcut(base)).toBe(false);
    expect(isSearchShortcut({ ...base, ctrlKey: true, shiftKey: true })).toBe(false);
    expect(isSearchShortcut({ ...base, ctrlKey: true, key: "j", code: "KeyJ" })).toBe(false);
  });

  it("maps shortcuts by physical key", () => {
    const base = { ctrlKey: true, altKey: false, shiftKey: false, metaKey: false };
    expect(shortcutRoute({ ...base, key: "&", code: "Digit1" })).toBe("dashboard");
    expect(shortcutRoute({ ...base, key: "3", code: "Digit3" })).toBe("trading");
    expect(shortcutRoute({ ...base, key: "4", code: "Numpad4" })).toBe("voice");
    expect(shortcutRoute({ ...base, key: "6", code: "Digit6" })).toBeNull();
    expect(shortcutRoute({ ...base, shiftKey: true, key: "1", code: "Digit1" })).toBeNull();
  });

  it("follows the hash on reload and for unknown routes falls back to the dashboard", () => {
    const { backend } = fakeBackend();
    window.location.hash = "#/voice";
    const { unmount } = render(<Shell backend={backend} />);
    expect(heading().textContent).toBe("Voice");
    expect(screen.getByTestId("ptt-button")).toBeTruthy();
    unmount();
    window.location.hash = "#/nope";
    render(<Shell backend={backend} />);
    expect(heading().textContent).toBe("Dashboard");
  });

  it("re-fetches providers and health when another UI changes providers", async () => {
    const fb = fakeBackend({ providers: [] });
    window.location.hash = "#/chat";
    render(<Shell backend={fb.backend} />);
    await screen.findByTestId("no-provider");
    fb.setProviders([provider({ name: "Work Claude", kind: "anthropic", model: "claude-sonnet" })]);
    const healthCalls = fb.backend.health.mock.calls.length;
    act(() => fb.emit({ type: "providers_changed" }));
    const picker = await screen.findByTestId<HTMLSelectElement>("provider-picker");
    expect(picker.selectedOptions[0]!.textContent).toBe("Work Claude · claude-sonnet");
    expect(screen.queryByTestId("no-provider")).toBeNull();
    expect(screen.getByTestId<HTMLTextAreaElement>("chat-input").disabled).toBe(false);
    expect(fb.backend.health.mock.calls.length).toBeGreaterThan(healthCalls);
  });

  it("updates the server status on server_changed", async () => {
    const fb = fakeBackend();
    render(<Shell backend={fb.backend} />);
    const card = await screen.findByTestId("card-server");
    expect(within(card).getByText("off")).toBeTruthy();
    act(() =>
      fb.emit({ type: "server_changed", status: { running: true, url: "http://127.0.0.1:7878", managed_by: "desktop", error: null } }),
    );
    await waitFor(() => expect(within(card).getByTestId("server-url").getAttribute("href")).toBe("http://127.0.0.1:7878"));
  });

  it("shows the status line while the event stream is down, and catches up on reconnect", async () => {
    const fb = fakeBackend();
    render(<Shell backend={fb.backend} />);
    await screen.findByTestId("card-database");
    expect(screen.queryByTestId("status-line")).toBeNull();
    act(() => fb.setStream("closed"));
    expect(screen.getByTestId("status-line").textContent).toContain("disconnected");
    const before = fb.backend.listProviders.mock.calls.length;
    act(() => fb.setStream("open"));
    expect(screen.queryByTestId("status-line")).toBeNull();
    await waitFor(() => expect(fb.backend.listProviders.mock.calls.length).toBe(before + 1));
  });

  it("offers Sign out only for the browser transport", () => {
    const { backend } = fakeBackend();
    const { unmount } = render(<Shell backend={backend} onSignOut={() => {}} />);
    expect(screen.getByTestId("sign-out")).toBeTruthy();
    unmount();
    render(<Shell backend={{ ...backend, transport: "tauri" }} onSignOut={() => {}} />);
    expect(screen.queryByTestId("sign-out")).toBeNull();
  });
});
