import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { BrokerSettings } from "../bindings/BrokerSettings";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { brokerSettings, fakeBackend } from "../test/fakeBackend";
import { buildBrokerUpdate } from "./BrokerSettings";

function renderSettings(fb = fakeBackend()) {
  window.location.hash = "#/settings";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const alpacaSaved = (over: Partial<BrokerSettings> = {}) =>
  brokerSettings({
    kind: "alpaca",
    base_url: "https://paper-api.alpaca.markets",
    data_url: "https://data.alpaca.markets",
    key_hint: "0042",
    connected: true,
    ...over,
  });

const field = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;

describe("Settings · Trading broker", () => {
  it("starts on Paper and explains where orders execute", async () => {
    renderSettings();
    const status = await screen.findByTestId("broker-status");
    expect(status.getAttribute("data-state")).toBe("paper");
    expect(status.textContent).toContain("Paper trading");
    expect(field("broker-kind-paper").checked).toBe(true);
    expect(screen.queryByTestId("broker-key-id")).toBeNull();
    expect(screen.queryByTestId("broker-base-url")).toBeNull();
    expect(screen.getByTestId("broker-section").textContent).toContain("orders are sent to the broker and execute there");
  });

  it("chooses Alpaca, enters the keys and saves them; the secret is cleared and the hint shown", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("broker-kind-alpaca"));
    expect(field("broker-kind-alpaca").checked).toBe(true);
    // Endpoints are prefilled with Alpaca's paper-trading defaults.
    expect(field("broker-base-url").value).toBe("https://paper-api.alpaca.markets");
    expect(field("broker-data-url").value).toBe("https://data.alpaca.markets");
    const secret = field("broker-secret");
    expect(secret.type).toBe("password");
    expect(secret.getAttribute("autocomplete")).toBe("off");
    await user.type(field("broker-key-id"), "PKTEST0042");
    await user.type(secret, "s3cr3t-value");

    let resolve: (s: BrokerSettings) => void = () => {};
    fb.backend.setBroker.mockImplementationOnce(() => new Promise((r) => (resolve = r)));
    await user.click(screen.getByTestId("broker-save"));
    expect(fb.backend.setBroker).toHaveBeenCalledWith({
      kind: "alpaca",
      base_url: "https://paper-api.alpaca.markets",
      data_url: "https://data.alpaca.markets",
      key_id: "PKTEST0042",
      secret: "s3cr3t-value",
    });
    const save = screen.getByTestId("broker-save") as HTMLButtonElement;
    expect(save.textContent).toBe("Checking the keys…");
    expect(save.disabled).toBe(true);
    await act(async () => resolve(alpacaSaved()));

    await waitFor(() => expect(screen.getByTestId("broker-save").textContent).toBe("Save"));
    // The keys are masked now: only the hint is shown, the secret input is gone and empty.
    expect(screen.getByTestId("broker-key-hint").textContent).toBe("••••0042");
    expect(screen.queryByTestId("broker-secret")).toBeNull();
    expect(screen.queryByTestId("broker-key-id")).toBeNull();
    const status = screen.getByTestId("broker-status");
    expect(status.getAttribute("data-state")).toBe("connected");
    expect(status.textContent).toContain("Connected to Alpaca");
    expect(screen.getByTestId("broker-saved").textContent).toBe("Saved: trading now goes through Alpaca.");
    expect(document.body.textContent).not.toContain("s3cr3t-value");

    // Replace keys brings back empty inputs.
    await user.click(screen.getByTestId("broker-replace-keys"));
    expect(field("broker-key-id").value).toBe("");
    expect(field("broker-secret").value).toBe("");
  });

  it("puts the broker's refusal of the keys next to the secret and keeps what was typed", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.setBroker.mockRejectedValueOnce(
      new BackendError("invalid_field", "alpaca refused the keys: 401 request is not authorized", "secret"),
    );
    await user.click(await screen.findByTestId("broker-kind-alpaca"));
    await user.type(field("broker-key-id"), "PKTEST0042");
    await user.type(field("broker-secret"), "wrong");
    await user.click(screen.getByTestId("broker-save"));
    const err = await screen.findByTestId("broker-error-secret");
    expect(err.textContent).toBe("alpaca refused the keys: 401 request is not authorized");
    const secret = field("broker-secret");
    expect(err.closest(".field")).toBe(secret.closest(".field"));
    expect(secret.getAttribute("aria-invalid")).toBe("true");
    expect(secret.getAttribute("aria-describedby")).toContain(err.id);
    expect(field("broker-key-id").value).toBe("PKTEST0042");
    expect(screen.queryByTestId("broker-form-error")).toBeNull();
    expect(screen.getByTestId("broker-status").getAttribute("data-state")).toBe("paper");
    // Typing again clears it.
    await user.type(secret, "x");
    expect(screen.queryByTestId("broker-error-secret")).toBeNull();
  });

  it("opens the endpoints to show a base URL error next to it", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.setBroker.mockRejectedValueOnce(
      new BackendError("invalid_field", "must use https:// (plain http is allowed only on this computer)", "base_url"),
    );
    await user.click(await screen.findByTestId("broker-kind-binance"));
    expect(screen.queryByTestId("broker-data-url")).toBeNull();
    const endpoints = screen.getByTestId("broker-endpoints") as HTMLDetailsElement;
    expect(endpoints.open).toBe(false);
    await user.click(within(endpoints).getByText("Endpoints (advanced)"));
    const base = field("broker-base-url");
    expect(base.value).toBe("https://testnet.binance.vision");
    await user.clear(base);
    await user.type(base, "http://testnet.example.com");
    // Close it again: the error must open it.
    await user.click(within(endpoints).getByText("Endpoints (advanced)"));
    await user.type(field("broker-key-id"), "binance-key-123456");
    await user.type(field("broker-secret"), "binance-secret");
    await user.click(screen.getByTestId("broker-save"));
    expect(fb.backend.setBroker).toHaveBeenCalledWith({
      kind: "binance",
      base_url: "http://testnet.example.com",
      key_id: "binance-key-123456",
      secret: "binance-secret",
    });
    const err = await screen.findByTestId("broker-error-base_url");
    expect(err.textContent).toContain("must use https://");
    expect(err.closest(".field")).toBe(field("broker-base-url").closest(".field"));
    expect(endpoints.open).toBe(true);
  });

  it("changes an endpoint of the broker in use without sending keys", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ broker: alpacaSaved() }));
    expect((await screen.findByTestId("broker-key-hint")).textContent).toBe("••••0042");
    expect(screen.getByTestId("broker-status").textContent).toContain("key …0042");
    expect(screen.queryByTestId("broker-secret")).toBeNull();
    await user.click(screen.getByText("Endpoints (advanced)"));
    const data = field("broker-data-url");
    await user.clear(data);
    await user.type(data, "https://data.sandbox.alpaca.markets");
    await user.click(screen.getByTestId("broker-save"));
    await waitFor(() =>
      expect(fb.backend.setBroker).toHaveBeenCalledWith({
        kind: "alpaca",
        base_url: "https://paper-api.alpaca.markets",
        data_url: "https://data.sandbox.alpaca.markets",
      }),
    );
  });

  it("asks for the other half of a key pair before calling the server", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("broker-kind-alpaca"));
    await user.type(field("broker-key-id"), "PKTEST0042");
    await user.click(screen.getByTestId("broker-save"));
    expect((await screen.findByTestId("broker-error-secret")).textContent).toBe("Enter the secret that goes with this key id.");
    expect(fb.backend.setBroker).not.toHaveBeenCalled();
  });

  it("shows a refused switch next to the broker choice", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ broker: alpacaSaved() }));
    fb.backend.setBroker.mockRejectedValueOnce(
      new BackendError(
        "invalid_field",
        "2 order(s) are still open at alpaca: cancel them (or let them fill) before switching broker",
        "kind",
      ),
    );
    await user.click(await screen.findByTestId("broker-kind-paper"));
    expect(screen.queryByTestId("broker-key-hint")).toBeNull();
    await user.click(screen.getByTestId("broker-save"));
    expect(fb.backend.setBroker).toHaveBeenCalledWith({ kind: "paper" });
    const err = await screen.findByTestId("broker-error-kind");
    expect(err.textContent).toContain("2 order(s) are still open at alpaca");
    expect(err.closest("fieldset")).toBe(field("broker-kind-paper").closest("fieldset"));
    expect(screen.getByTestId("broker-status").getAttribute("data-state")).toBe("connected");
  });

  it("shows why the broker is not connected, and checks again on demand", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ broker: alpacaSaved({ connected: false, error: "alpaca did not answer: connection refused" }) }));
    const status = await screen.findByTestId("broker-status");
    expect(status.getAttribute("data-state")).toBe("failed");
    expect(within(status).getByTestId("broker-status-error").textContent).toBe("alpaca did not answer: connection refused");
    fb.setBroker(alpacaSaved());
    await user.click(within(status).getByTestId("broker-check"));
    expect(fb.backend.getBroker).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(screen.getByTestId("broker-status").getAttribute("data-state")).toBe("connected"));
    expect(screen.queryByTestId("broker-status-error")).toBeNull();
  });
});

describe("buildBrokerUpdate", () => {
  const values = { kind: "alpaca" as const, key_id: "", secret: "", base_url: "", data_url: "" };

  it("leaves out empty keys and URLs, and URLs a broker does not use", () => {
    expect(buildBrokerUpdate(values)).toEqual({ kind: "alpaca" });
    expect(buildBrokerUpdate({ ...values, kind: "paper", base_url: "https://x", key_id: "k" })).toEqual({ kind: "paper" });
    expect(buildBrokerUpdate({ ...values, kind: "binance", data_url: "https://data.example.com", base_url: " https://b " })).toEqual({
      kind: "binance",
      base_url: "https://b",
    });
    expect(buildBrokerUpdate({ ...values, key_id: " PK1 ", secret: " s " })).toEqual({ kind: "alpaca", key_id: "PK1", secret: "s" });
  });
});
