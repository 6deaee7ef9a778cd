import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { apiKey, fakeBackend } from "../test/fakeBackend";

function renderSettings(fb = fakeBackend()) {
  window.location.hash = "#/settings";
  render(<Shell backend={fb.backend} />);
  return fb;
}

describe("Settings · API keys", () => {
  it("lists the keys with name, prefix, created and last used", async () => {
    renderSettings(
      fakeBackend({
        apiKeys: [
          apiKey({ id: "k1", name: "Laptop script", prefix: "jv_k3Xa", last_used_at: null }),
          apiKey({ id: "k2", name: "Home Assistant", prefix: "jv_9QzT", last_used_at: "2026-01-03T08:00:00Z" }),
        ],
      }),
    );
    const rows = await screen.findAllByTestId("api-key-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("api-key-row-name").textContent).toBe("Laptop script");
    expect(within(rows[0]!).getByTestId("api-key-prefix").textContent).toBe("jv_k3Xa…");
    expect(within(rows[0]!).getByTestId("api-key-last-used").textContent).toBe("never");
    expect(within(rows[1]!).getByTestId("api-key-last-used").textContent).not.toBe("never");
  });

  it("creates a key and shows it once, with Copy and a warning", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(async (_t: string) => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const fb = renderSettings();
    await screen.findByTestId("api-keys-empty");
    await user.type(screen.getByTestId("api-key-name"), "  Home Assistant ");
    await user.click(screen.getByTestId("api-key-create"));
    expect(fb.backend.createApiKey).toHaveBeenCalledWith({ name: "Home Assistant" });
    const created = await screen.findByTestId("api-key-created");
    const { key } = await fb.backend.createApiKey.mock.results[0]!.value;
    expect(within(created).getByTestId("api-key-secret").textContent).toBe(key);
    expect(created.textContent).toContain("you won’t see it again");
    await user.click(within(created).getByTestId("api-key-copy"));
    expect(writeText).toHaveBeenCalledWith(key);
    // Listed, without the key itself.
    const row = await screen.findByTestId("api-key-row");
    expect(row.textContent).toContain("Home Assistant");
    expect(row.textContent).not.toContain(key);
    expect(screen.getByTestId<HTMLInputElement>("api-key-name").value).toBe("");
    await user.click(within(created).getByTestId("api-key-created-done"));
    expect(screen.queryByTestId("api-key-created")).toBeNull();
    expect(document.body.textContent).not.toContain(key);
  });

  it("shows refusals by the name field, and needs a name", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ apiKeys: [apiKey({ name: "Laptop script" })] }));
    await screen.findByTestId("api-key-row");
    await user.click(screen.getByTestId("api-key-create"));
    expect(await screen.findByTestId("api-key-name-error")).toBeTruthy();
    expect(fb.backend.createApiKey).not.toHaveBeenCalled();

    await user.type(screen.getByTestId("api-key-name"), "Laptop script");
    await user.click(screen.getByTestId("api-key-create"));
    expect((await screen.findByTestId("api-key-name-error")).textContent).toContain("already exists");
    expect(screen.getByTestId("api-key-name").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("api-key-created")).toBeNull();

    fb.backend.createApiKey.mockRejectedValueOnce(new BackendError("internal", "database is locked"));
    await user.type(screen.getByTestId("api-key-name"), " 2");
    await user.click(screen.getByTestId("api-key-create"));
    expect((await screen.findByTestId("api-key-form-error")).textContent).toContain("database is locked");
  });

  it("revokes only after a confirmation", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ apiKeys: [apiKey({ id: "k1", name: "Laptop script" }), apiKey({ id: "k2", name: "Other" })] }));
    const rows = await screen.findAllByTestId("api-key-row");
    await user.click(within(rows[0]!).getByTestId("api-key-revoke"));
    expect(fb.backend.revokeApiKey).not.toHaveBeenCalled();
    await user.click(within(rows[0]!).getByTestId("api-key-revoke-cancel"));
    expect(within(rows[0]!).getByTestId("api-key-revoke").textContent).toBe("Revoke");
    await user.click(within(rows[0]!).getByTestId("api-key-revoke"));
    await user.click(within(rows[0]!).getByTestId("api-key-revoke"));
    expect(fb.backend.revokeApiKey).toHaveBeenCalledWith("k1");
    await waitFor(() => expect(screen.getAllByTestId("api-key-row")).toHaveLength(1));
    expect(screen.getByTestId("api-key-row").textContent).toContain("Other");
  });
});
