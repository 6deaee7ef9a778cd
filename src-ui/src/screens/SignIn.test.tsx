import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BrowserApp } from "../App";
import { TOKEN_KEY } from "../backend/token";
import { health } from "../test/fakeBackend";

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A fake jarvisd: accepts only `good-token`. */
function stubServer() {
  const fetchFn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
    if (auth !== "Bearer good-token") return json(401, { code: "unauthorized", message: "invalid token" });
    const path = String(url);
    if (path === "/api/v1/health") return json(200, health({ providers: { status: "not_configured", count: 0, circuits: [] } }));
    if (path === "/api/v1/providers") return json(200, []);
    if (path === "/api/v1/settings/server")
      return json(200, {
        settings: { enabled: true, listen: "127.0.0.1:7878" },
        status: { running: true, url: "http://127.0.0.1:7878", managed_by: "jarvisd", error: null },
      });
    return json(404, { code: "not_found", message: "no route" });
  });
  vi.stubGlobal("fetch", fetchFn);
  // No real sockets in jsdom tests.
  vi.stubGlobal(
    "WebSocket",
    class {
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      close() {}
    },
  );
  return fetchFn;
}

afterEach(() => vi.unstubAllGlobals());

describe("Sign-in", () => {
  it("explains where the token comes from", () => {
    stubServer();
    render(<BrowserApp />);
    expect(screen.getByTestId("login-help").textContent).toBe(
      "Run jarvisd token on this machine to print your owner access token.",
    );
    expect((screen.getByTestId("login-token") as HTMLInputElement).type).toBe("password");
  });

  it("shows the rejection message on 401 and stores nothing", async () => {
    const user = userEvent.setup();
    stubServer();
    render(<BrowserApp />);
    await user.type(screen.getByTestId("login-token"), "wrong");
    await user.click(screen.getByTestId("login-submit"));
    expect((await screen.findByTestId("login-error")).textContent).toBe("That token was not accepted.");
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    expect((screen.getByTestId("login-token") as HTMLInputElement).value).toBe("wrong");
  });

  it("signs in, keeps the token in sessionStorage, and signs out", async () => {
    const user = userEvent.setup();
    const fetchFn = stubServer();
    render(<BrowserApp />);
    await user.type(screen.getByTestId("login-token"), "good-token");
    await user.click(screen.getByTestId("login-submit"));
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeTruthy();
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe("good-token");
    expect(fetchFn.mock.calls[0]![0]).toBe("/api/v1/health");
    await screen.findByTestId("card-providers");
    expect(screen.getByTestId("no-provider").textContent).toContain("No AI provider yet: add one in Settings");

    await user.click(screen.getByTestId("sign-out"));
    expect(screen.getByTestId("login-token")).toBeTruthy();
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it("uses a stored token after a reload and returns to sign-in when it is rejected", async () => {
    stubServer();
    window.sessionStorage.setItem(TOKEN_KEY, "revoked-token");
    render(<BrowserApp />);
    await waitFor(() => expect(screen.getByTestId("login-token")).toBeTruthy());
    expect(screen.getByRole("status").textContent).toContain("Sign in again");
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });
});
