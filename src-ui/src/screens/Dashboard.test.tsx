import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { fakeBackend, health } from "../test/fakeBackend";

describe("Dashboard", () => {
  it("says the search index is up to date", async () => {
    render(<Shell backend={fakeBackend().backend} />);
    const db = await screen.findByTestId("card-database");
    expect(within(db).getByTestId("search-state").textContent).toBe("Search index: up to date");
    expect(within(db).queryByTestId("search-message")).toBeNull();
  });

  it("renders the health cards from the backend", async () => {
    const fb = fakeBackend({
      health: health({
        status: "degraded",
        database: { status: "ok", schema_version: 1, latest_schema_version: 3, path: "/data/jarvis.db", message: null },
        keychain: { status: "error", backend: "files", read_only: true, message: "permission denied" },
        providers: { status: "not_configured", count: 0, circuits: [] },
        search: { status: "error", message: "new messages are not searchable: search index: disk full" },
        server: { running: false, url: null, managed_by: "desktop", error: "address already in use" },
      }),
    });
    render(<Shell backend={fb.backend} />);
    const db = await screen.findByTestId("card-database");
    expect(db.textContent).toContain("Schema version 1 of 3");
    expect(within(db).getByTestId("search-state").textContent).toBe("Search index: error");
    expect(within(db).getByTestId("search-message").textContent).toContain("disk full");
    expect(db.textContent).toContain("/data/jarvis.db");
    const kc = screen.getByTestId("card-keychain");
    expect(kc.textContent).toContain("Secret files");
    expect(kc.textContent).toContain("Read-only");
    expect(kc.textContent).toContain("permission denied");
    expect(within(kc).getByText("error")).toBeTruthy();
    const pv = screen.getByTestId("card-providers");
    expect(within(pv).getByText("not configured")).toBeTruthy();
    expect(within(pv).getByRole("link", { name: "add one in Settings" }).getAttribute("href")).toBe("#/settings");
    expect(screen.getByTestId("card-server").textContent).toContain("address already in use");
  });

  it("names the providers paused by their circuit breaker", async () => {
    const fb = fakeBackend({
      health: health({
        providers: {
          status: "ok",
          count: 2,
          circuits: [
            { provider_id: "p1", name: "Local", state: "closed" },
            { provider_id: "p2", name: "Claude", state: "open" },
          ],
        },
      }),
    });
    render(<Shell backend={fb.backend} />);
    const paused = await screen.findAllByTestId("paused-provider");
    expect(paused.map((p) => p.textContent)).toEqual(["Claude: paused after repeated failures (open)"]);
  });

  it("shows a load failure and recovers with Refresh", async () => {
    const user = userEvent.setup();
    const fb = fakeBackend();
    fb.backend.health.mockRejectedValueOnce(new BackendError("network", "Cannot reach the Jarvis server."));
    render(<Shell backend={fb.backend} />);
    expect((await screen.findByTestId("dashboard-error")).textContent).toContain("Cannot reach the Jarvis server.");
    await user.click(screen.getByTestId("dashboard-refresh"));
    await screen.findByTestId("card-database");
    await waitFor(() => expect(screen.queryByTestId("dashboard-error")).toBeNull());
    expect(screen.getByTestId("card-keychain").textContent).toContain("OS keychain");
  });
});
