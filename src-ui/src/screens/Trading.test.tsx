import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { account, auditEntry, brokerSettings, fakeBackend, n64, order, position, replayStatus, strategyRun, backtestReport } from "../test/fakeBackend";

function renderTrading(fb = fakeBackend()) {
  window.location.hash = "#/trading";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const csvFile = (name = "bars.csv", text = "Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1.5,100\n2024-01-02,1.5,2,1,1.8,120\n") =>
  new File([text], name, { type: "text/csv" });

describe("Trading · overview", () => {
  it("opens with Ctrl+3 from another screen", async () => {
    const fb = fakeBackend();
    render(<Shell backend={fb.backend} />);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Dashboard");
    fireEvent.keyDown(window, { key: "3", code: "Digit3", ctrlKey: true });
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Trading"));
    expect(screen.getByTestId("nav-trading").getAttribute("aria-current")).toBe("page");
    expect(await screen.findByTestId("kill-switch-engage")).toBeTruthy();
  });

  it("offers the chart the symbols that have quotes or replays", async () => {
    renderTrading(
      fakeBackend({
        quotes: [{ symbol: "MSFT", price: "410", time: "2026-01-05T14:30:00Z" }],
        replays: [{ symbol: "AAPL", source: "replay", played: 3, total: 10, speed: 60, running: true }],
      }),
    );
    const select = await screen.findByTestId("chart-symbol");
    await waitFor(() => expect([...(select as HTMLSelectElement).options].map((o) => o.value)).toEqual(["AAPL", "MSFT"]));
    expect(screen.getByTestId("replay-progress").textContent).toBe("3/10");
  });

  it("shows the account as sent, the paper broker and the kill switch state", async () => {
    renderTrading(
      fakeBackend({
        account: account({ equity: "101234.5", cash: "99000", day_pnl: "-12.345", realized_pnl: "40", unrealized_pnl: "0", fees: "1.2" }),
      }),
    );
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Trading");
    expect((await screen.findByTestId("account-equity")).textContent).toBe("101,234.50");
    expect(screen.getByTestId("account-cash").textContent).toBe("99,000.00");
    expect(screen.getByTestId("account-day-pnl").textContent).toBe("-12.35");
    expect(screen.getByTestId("account-day-pnl").className).toContain("pnl-neg");
    expect(screen.getByTestId("account-realized-pnl").textContent).toBe("+40.00");
    expect(screen.getByTestId("account-fees").textContent).toBe("1.20");
    expect(screen.getByTestId("account-broker").textContent).toBe("paper");
    expect(screen.getByTestId("kill-switch-state").getAttribute("data-engaged")).toBe("false");
    // jsdom has no canvas: the chart says so instead of crashing.
    expect(screen.getByTestId("chart-unavailable")).toBeTruthy();
    expect(screen.getByText(/Paper orders fill against these prices/)).toBeTruthy();
  });

  it("lists positions, open orders and fills", async () => {
    renderTrading(
      fakeBackend({
        positions: [position({ unrealized_pnl: "-3.5" })],
        orders: [order({ id: "open-1", type: "limit", limit_price: "99.5" }), order({ id: "done-1", state: "filled", filled_qty: "5" })],
      }),
    );
    const row = await screen.findByTestId("position-row");
    expect(within(row).getByTestId("position-qty").textContent).toBe("5");
    expect(within(row).getByTestId("position-unrealized").textContent).toBe("-3.50");
    const open = await screen.findAllByTestId("open-order-row");
    expect(open).toHaveLength(1);
    expect(open[0]!.getAttribute("data-order-id")).toBe("open-1");
  });
});

describe("Trading · order ticket", () => {
  it("places a market order and shows its state; the tables are re-read", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(fakeBackend({ quotes: [{ symbol: "AAPL", price: "101.25", time: "2026-01-05T14:30:00Z" }] }));
    await waitFor(() => expect(screen.getByTestId("order-last-price").textContent).toBe("101.25"));
    const positionsBefore = fb.backend.listPositions.mock.calls.length;
    await user.type(screen.getByLabelText("Quantity"), "5");
    await user.click(screen.getByTestId("order-submit"));
    await waitFor(() =>
      expect(fb.backend.placeOrder).toHaveBeenCalledWith({ symbol: "AAPL", side: "buy", qty: "5", type: "market" }),
    );
    const result = await screen.findByTestId("order-result");
    expect(result.getAttribute("data-state")).toBe("filled");
    expect(result.textContent).toBe("Buy 5 AAPL: filled (5 of 5 at 101.25)");
    await waitFor(() => expect(fb.backend.listPositions.mock.calls.length).toBeGreaterThan(positionsBefore));
    expect(await screen.findByTestId("fill-row")).toBeTruthy();
  });

  it("asks for a limit price only for limit orders and sends it", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    await screen.findByTestId("account-equity");
    expect(screen.queryByLabelText("Limit price")).toBeNull();
    await user.selectOptions(screen.getByLabelText("Type"), "limit");
    await user.click(screen.getByTestId("order-side-sell"));
    await user.type(screen.getByLabelText("Quantity"), "2");
    await user.click(screen.getByTestId("order-submit"));
    expect((await screen.findByTestId("order-error-limit_price")).textContent).toBe("Enter the limit price.");
    expect(fb.backend.placeOrder).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Limit price"), "250.5");
    await user.click(screen.getByTestId("order-submit"));
    await waitFor(() =>
      expect(fb.backend.placeOrder).toHaveBeenCalledWith({ symbol: "AAPL", side: "sell", qty: "2", type: "limit", limit_price: "250.5" }),
    );
    expect((await screen.findByTestId("order-result")).textContent).toContain("accepted, waiting for the price to reach 250.50");
  });

  it("puts the server's field error next to that field", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    fb.backend.placeOrder.mockRejectedValueOnce(new BackendError("invalid_field", "qty must be a multiple of the lot size 1", "qty"));
    await screen.findByTestId("account-equity");
    const qty = screen.getByLabelText("Quantity");
    await user.type(qty, "1.5");
    await user.click(screen.getByTestId("order-submit"));
    const err = await screen.findByTestId("order-error-qty");
    expect(err.textContent).toBe("qty must be a multiple of the lot size 1");
    expect(err.getAttribute("role")).toBe("alert");
    expect(qty.getAttribute("aria-invalid")).toBe("true");
    expect(qty.getAttribute("aria-describedby")).toContain(err.id);
    expect(screen.queryByTestId("order-error")).toBeNull();
    // Typing again clears it.
    await user.type(qty, "0");
    expect(screen.queryByTestId("order-error-qty")).toBeNull();
  });

  it("shows a risk refusal as a banner naming the check", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    fb.backend.placeOrder.mockRejectedValueOnce(
      new BackendError("risk_rejected", "order value 12000 is above the limit 10000", "max_order_value"),
    );
    await screen.findByTestId("account-equity");
    await user.type(screen.getByLabelText("Quantity"), "120");
    await user.click(screen.getByTestId("order-submit"));
    const banner = await screen.findByTestId("order-error");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.getAttribute("data-check")).toBe("max_order_value");
    expect(banner.textContent).toBe("Refused by risk check max_order_value: order value 12000 is above the limit 10000");
    expect(screen.getByLabelText("Quantity").getAttribute("aria-invalid")).toBeNull();
  });

  it("checks the quantity before sending", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    await screen.findByTestId("account-equity");
    await user.click(screen.getByTestId("order-submit"));
    expect((await screen.findByTestId("order-error-qty")).textContent).toBe("Enter a quantity.");
    await user.type(screen.getByLabelText("Quantity"), "-3");
    await user.click(screen.getByTestId("order-submit"));
    expect(screen.getByTestId("order-error-qty").textContent).toContain("positive number");
    expect(fb.backend.placeOrder).not.toHaveBeenCalled();
  });
});

describe("Trading · kill switch", () => {
  it("engages at once, refuses orders, and re-arms only after a confirmation", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    const state = await screen.findByTestId("kill-switch-state");
    await waitFor(() => expect(state.getAttribute("data-engaged")).toBe("false"));
    await user.click(screen.getByTestId("kill-switch-engage"));
    expect(fb.backend.setKillSwitch).toHaveBeenCalledWith(true);
    await waitFor(() => expect(screen.getByTestId("kill-switch-state").getAttribute("data-engaged")).toBe("true"));
    expect(screen.getByTestId("kill-switch-state").textContent).toContain("Engaged");
    expect(screen.getByTestId("kill-switch").className).toContain("kill-switch-engaged");

    // Orders are now refused, naming the check.
    await user.type(screen.getByLabelText("Quantity"), "1");
    await user.click(screen.getByTestId("order-submit"));
    expect((await screen.findByTestId("order-error")).textContent).toMatch(/^Refused by risk check kill_switch: /);

    // Re-arming asks first; "Keep stopped" changes nothing.
    await user.click(screen.getByTestId("kill-switch-rearm"));
    await user.click(screen.getByTestId("kill-switch-rearm-cancel"));
    expect(fb.backend.setKillSwitch).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("kill-switch-rearm"));
    await user.click(screen.getByTestId("kill-switch-rearm-confirm"));
    expect(fb.backend.setKillSwitch).toHaveBeenLastCalledWith(false);
    await waitFor(() => expect(screen.getByTestId("kill-switch-state").getAttribute("data-engaged")).toBe("false"));
  });

  it("shows the error when the switch cannot be changed", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    fb.backend.setKillSwitch.mockRejectedValueOnce(new BackendError("network", "Cannot reach the Jarvis server."));
    await screen.findByTestId("account-equity");
    await user.click(screen.getByTestId("kill-switch-engage"));
    expect((await screen.findByTestId("kill-switch-error")).textContent).toContain("Cannot reach the Jarvis server.");
  });
});

describe("Trading · audit trail", () => {
  const entries = Array.from({ length: 60 }, (_, i) => auditEntry(60 - i, { kind: i === 0 ? "fill" : "order_accepted" }));

  it("lists entries newest first, pages back and verifies the chain", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(fakeBackend({ audit: entries }));
    const audit = await screen.findByTestId("audit");
    await waitFor(() => expect(within(audit).getAllByTestId("audit-row")).toHaveLength(50));
    const first = within(audit).getAllByTestId("audit-row")[0]!;
    expect(first.textContent).toContain("60");
    expect(first.getAttribute("data-kind")).toBe("fill");
    expect(fb.backend.auditEntries).toHaveBeenCalledWith(null, 50);
    await user.click(within(audit).getByTestId("audit-older"));
    expect(fb.backend.auditEntries).toHaveBeenCalledWith(11, 50);
    await waitFor(() => expect(within(audit).getAllByTestId("audit-row")).toHaveLength(60));
    expect(within(audit).queryByTestId("audit-older")).toBeNull();

    await user.click(within(audit).getByTestId("audit-verify"));
    const result = await screen.findByTestId("audit-verify-result");
    expect(result.textContent).toBe("Chain intact: 60 entries checked.");
    expect(result.getAttribute("data-ok")).toBe("true");
  });

  it("names the first broken entry", async () => {
    const user = userEvent.setup();
    renderTrading(
      fakeBackend({ audit: [auditEntry(1)], verification: { ok: false, entries: n64(9), first_bad: { seq: n64(7), reason: "hash mismatch" } } }),
    );
    await user.click(await screen.findByTestId("audit-verify"));
    const result = await screen.findByTestId("audit-verify-result");
    expect(result.textContent).toBe("Broken at entry 7: hash mismatch");
    expect(result.getAttribute("role")).toBe("alert");
  });
});

describe("Trading · backtest", () => {
  it("prefills the strategy's parameters, sends the form and shows stats and trades", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    const form = await screen.findByTestId("backtest-form");
    await waitFor(() => expect((within(form).getByTestId("backtest-strategy") as HTMLSelectElement).value).toBe("sma-cross"));
    expect((within(form).getByTestId("backtest-param-fast") as HTMLInputElement).value).toBe("10");
    expect((within(form).getByTestId("backtest-param-slow") as HTMLInputElement).value).toBe("20");
    expect((within(form).getByTestId("backtest-cash") as HTMLInputElement).value).toBe("10000");
    expect((within(form).getByTestId("backtest-commission") as HTMLInputElement).value).toBe("0.002");
    expect((within(form).getByTestId("backtest-exclusive") as HTMLInputElement).checked).toBe(true);

    // Another strategy brings its own parameters.
    await user.selectOptions(within(form).getByTestId("backtest-strategy"), "breakout");
    expect((within(form).getByTestId("backtest-param-lookback") as HTMLInputElement).value).toBe("20");
    await user.selectOptions(within(form).getByTestId("backtest-strategy"), "sma-cross");
    await user.clear(within(form).getByTestId("backtest-param-fast"));
    await user.type(within(form).getByTestId("backtest-param-fast"), "5");

    await user.click(within(form).getByTestId("backtest-run"));
    expect((await screen.findByTestId("backtest-error-csv")).textContent).toContain("Choose a CSV file");
    expect(fb.backend.runBacktest).not.toHaveBeenCalled();

    const file = csvFile();
    const text = await file.text();
    await user.upload(within(form).getByTestId("backtest-file"), file);
    await user.click(within(form).getByTestId("backtest-run"));
    await waitFor(() =>
      expect(fb.backend.runBacktest).toHaveBeenCalledWith({
        strategy: "sma-cross",
        params: { fast: "5", slow: "20" },
        cash: "10000",
        commission: "0.002",
        exclusive_orders: true,
        apply_risk_limits: false,
        fills: "backtesting.py",
        csv: text,
      }),
    );
    const stats = await screen.findByTestId("backtest-stats");
    expect(within(stats).getByTestId("stat-return").textContent).toBe("12.35%");
    expect(within(stats).getByTestId("stat-sharpe").textContent).toBe("1.23");
    expect(within(stats).getByTestId("stat-max-drawdown").textContent).toBe("-7.89%");
    expect(within(stats).getByTestId("stat-trades").textContent).toBe("2");
    expect(within(stats).getByTestId("stat-final-equity").textContent).toBe("11,234.57");
    const trades = within(screen.getByTestId("backtest-trades")).getAllByTestId("backtest-trade-row");
    expect(trades).toHaveLength(2);
    expect(trades[0]!.textContent).toContain("2024-01-22");
    expect(trades[0]!.textContent).toContain("+1,116.25");
    expect(trades[1]!.textContent).toContain("-360.00");
  });

  it("fills like the paper broker when asked, and says which fills a report used", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(fakeBackend({ backtest: backtestReport({ fills: "paper", unfilled_orders: 2 }) }));
    const form = await screen.findByTestId("backtest-form");
    await waitFor(() => expect((within(form).getByTestId("backtest-run") as HTMLButtonElement).disabled).toBe(false));
    await user.click(within(form).getByTestId("backtest-paper-fills"));
    await user.upload(within(form).getByTestId("backtest-file"), csvFile());
    await user.click(within(form).getByTestId("backtest-run"));
    await waitFor(() => expect(fb.backend.runBacktest).toHaveBeenCalledWith(expect.objectContaining({ fills: "paper" })));
    expect((await screen.findByTestId("backtest-fills")).textContent).toBe("paper broker fills");
    expect(screen.getByTestId("backtest-unfilled").textContent).toContain("2 orders had not filled by the last bar");
  });

  it("checks the risk limits when asked and lists the orders they refused", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(
      fakeBackend({
        backtest: backtestReport({
          risk_checked: true,
          refused: [
            { bar: 40, time: "2024-02-10T00:00:00Z", check: "max_order_value", reason: "order value 30000.00 is above the limit 25000" },
          ],
        }),
      }),
    );
    const form = await screen.findByTestId("backtest-form");
    await waitFor(() => expect((within(form).getByTestId("backtest-run") as HTMLButtonElement).disabled).toBe(false));
    await user.click(within(form).getByTestId("backtest-risk"));
    await user.upload(within(form).getByTestId("backtest-file"), csvFile());
    await user.click(within(form).getByTestId("backtest-run"));
    await waitFor(() =>
      expect(fb.backend.runBacktest).toHaveBeenCalledWith(expect.objectContaining({ apply_risk_limits: true })),
    );
    const refused = await screen.findByTestId("backtest-refused");
    expect(refused.textContent).toContain("Your risk limits refused 1 order");
    expect(within(refused).getByTestId("backtest-refusal").textContent).toContain("2024-02-10");
    expect(within(refused).getByTestId("backtest-refusal").textContent).toContain("above the limit 25000");
  });

  it("shows a progress bar while running and a CSV error next to the file input", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    let reject: (e: unknown) => void = () => {};
    fb.backend.runBacktest.mockImplementationOnce(() => new Promise((_, r) => (reject = r)));
    const form = await screen.findByTestId("backtest-form");
    await waitFor(() => expect((within(form).getByTestId("backtest-run") as HTMLButtonElement).disabled).toBe(false));
    await user.upload(within(form).getByTestId("backtest-file"), csvFile());
    await user.click(within(form).getByTestId("backtest-run"));
    const running = await screen.findByTestId("backtest-running");
    expect(running.querySelector("progress")?.hasAttribute("value")).toBe(false); // indeterminate
    await act(async () => reject(new BackendError("invalid_field", "line 3: Close: not a number: \"x\"", "csv")));
    expect((await screen.findByTestId("backtest-error-csv")).textContent).toBe('line 3: Close: not a number: "x"');
    expect(screen.queryByTestId("backtest-running")).toBeNull();
    expect(screen.queryByTestId("backtest-results")).toBeNull();
  });
});

describe("Trading · market data and live updates", () => {
  it("starts a replay from a CSV file at speed 60 by default", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    const form = await screen.findByTestId("replay-form");
    const file = csvFile();
    const text = await file.text();
    await user.upload(within(form).getByLabelText("CSV file"), file);
    await user.click(within(form).getByTestId("replay-start"));
    await waitFor(() => expect(fb.backend.startReplay).toHaveBeenCalledWith({ symbol: "AAPL", csv: text, speed: 60 }));
    const row = await screen.findByTestId("replay-row");
    expect(within(row).getByTestId("replay-progress").textContent).toBe("0/2");
    await user.click(within(row).getByTestId("replay-stop"));
    expect(fb.backend.stopReplay).toHaveBeenCalledWith("AAPL");
  });

  it("puts a replay's CSV error next to the file input", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    fb.backend.startReplay.mockRejectedValueOnce(new BackendError("invalid_field", "missing column Volume (found: Date, Close)", "csv"));
    const form = await screen.findByTestId("replay-form");
    await user.upload(within(form).getByLabelText("CSV file"), csvFile());
    await user.click(within(form).getByTestId("replay-start"));
    expect((await screen.findByTestId("replay-error-csv")).textContent).toBe("missing column Volume (found: Date, Close)");
  });

  it("follows quotes, and re-reads the account once after a burst of trading events", async () => {
    const fb = renderTrading();
    await screen.findByTestId("account-equity");
    await waitFor(() => expect(fb.backend.account).toHaveBeenCalledTimes(1));
    act(() => fb.emit({ type: "quote", symbol: "MSFT", price: "410.5", time: "2026-01-05T14:30:00Z" }));
    expect((await screen.findByTestId("quote-price-MSFT")).textContent).toBe("410.50");
    act(() => fb.emit({ type: "quote", symbol: "MSFT", price: "411", time: "2026-01-05T14:31:00Z" }));
    expect(screen.getByTestId("quote-price-MSFT").textContent).toBe("411.00");

    fb.setAccount(account({ equity: "100500" }));
    fb.setPositions([position()]);
    act(() => {
      fb.emit({ type: "order_updated", order_id: "o1", symbol: "AAPL", state: "filled" });
      fb.emit({ type: "order_filled", order_id: "o1", symbol: "AAPL", side: "buy", qty: "5", price: "101.25" });
      fb.emit({ type: "trading_changed" });
    });
    await waitFor(() => expect(screen.getByTestId("account-equity").textContent).toBe("100,500.00"));
    expect(fb.backend.account).toHaveBeenCalledTimes(2);
    expect(await screen.findByTestId("position-row")).toBeTruthy();
  });

  it("cancels one open order, or all of them", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(fakeBackend({ orders: [order({ id: "a1" }), order({ id: "a2" })] }));
    const rows = await screen.findAllByTestId("open-order-row");
    expect(rows).toHaveLength(2);
    await user.click(within(rows[0]!).getByTestId("order-cancel"));
    expect(fb.backend.cancelOrder).toHaveBeenCalledWith("a1");
    await waitFor(() => expect(screen.getAllByTestId("open-order-row")).toHaveLength(1));
    await user.click(screen.getByTestId("cancel-all"));
    expect(fb.backend.cancelAllOrders).toHaveBeenCalledOnce();
    expect((await screen.findByTestId("cancel-all-result")).textContent).toBe("1 order cancelled.");
    await waitFor(() => expect(screen.queryAllByTestId("open-order-row")).toHaveLength(0));
  });
});

describe("Trading · live broker", () => {
  const liveAccount = account({
    broker: "alpaca",
    equity: "100250.5",
    cash: "80000",
    buying_power: "160000",
    as_of: "2026-01-05T14:30:00Z",
  });

  it("shows the broker's figures: a live badge, buying power and when they were read", async () => {
    renderTrading(fakeBackend({ account: liveAccount, broker: brokerSettings({ kind: "alpaca", connected: true }) }));
    expect((await screen.findByTestId("account-buying-power")).textContent).toBe("160,000.00");
    const badge = screen.getByTestId("account-broker");
    expect(badge.textContent).toBe("alpaca");
    expect(badge.getAttribute("data-live")).toBe("true");
    expect(badge.getAttribute("title")).toContain("orders execute at Alpaca");
    expect(badge.className).toContain("badge-live");
    expect(screen.getByTestId("account-as-of").textContent).toMatch(/^as of \S/);
    expect(screen.getByTestId("account-as-of").getAttribute("title")).toBe("2026-01-05T14:30:00Z");
    expect(screen.getByTestId("trading-mode").textContent).toBe("Trading through Alpaca: orders execute at the broker.");
    expect(screen.getByTestId("kill-switch-state").textContent).toBe("Off: orders are accepted and sent to Alpaca.");
    expect(screen.queryByTestId("account-broker-error")).toBeNull();
  });

  it("warns when the broker's figures could not be read", async () => {
    renderTrading(fakeBackend({ account: { ...liveAccount, broker_error: "network error: connection refused" } }));
    const warning = await screen.findByTestId("account-broker-error");
    expect(warning.getAttribute("role")).toBe("alert");
    expect(warning.textContent).toBe("Could not read the account at Alpaca: network error: connection refused. The figures below may be out of date.");
    // The last figures stay on screen.
    expect(screen.getByTestId("account-equity").textContent).toBe("100,250.50");
  });

  it("keeps the paper account plain: no buying power, no time, no live bars", async () => {
    renderTrading();
    const badge = await screen.findByTestId("account-broker");
    expect(badge.getAttribute("data-live")).toBe("false");
    expect(badge.getAttribute("title")).toContain("Paper trading");
    expect(screen.queryByTestId("account-buying-power")).toBeNull();
    expect(screen.queryByTestId("account-as-of")).toBeNull();
    expect(screen.getByTestId("replay-form")).toBeTruthy();
    expect(screen.queryByTestId("feed-form")).toBeNull();
  });

  it("marks orders that execute at the broker", async () => {
    renderTrading(
      fakeBackend({
        account: liveAccount,
        orders: [order({ id: "live-1", venue: "alpaca", broker_order_id: "61e69015-8549" }), order({ id: "paper-1" })],
      }),
    );
    const rows = await screen.findAllByTestId("open-order-row");
    expect(rows).toHaveLength(2);
    const venue = within(rows[0]!).getByTestId("order-venue");
    expect(venue.textContent).toBe("alpaca");
    expect(venue.getAttribute("title")).toContain("61e69015-8549");
    expect(within(rows[1]!).queryByTestId("order-venue")).toBeNull();
  });

  it("starts live bars from the broker and lists them beside replays with their source", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(
      fakeBackend({
        account: liveAccount,
        broker: brokerSettings({ kind: "alpaca", connected: true }),
        replays: [replayStatus({ symbol: "SPY", played: 4, total: 10 })],
      }),
    );
    const form = await screen.findByTestId("feed-form");
    expect(within(form).getByRole("heading").textContent).toBe("Live bars from Alpaca");
    const symbol = within(form).getByTestId("feed-symbol") as HTMLInputElement;
    expect(symbol.value).toBe("AAPL");
    await user.clear(symbol);
    await user.type(symbol, "msft");
    await user.selectOptions(within(form).getByTestId("feed-timeframe"), "hour");
    await user.click(within(form).getByTestId("feed-start"));
    await waitFor(() => expect(fb.backend.startFeed).toHaveBeenCalledWith({ symbol: "MSFT", timeframe: "hour" }));
    // The replay form is still there.
    expect(screen.getByTestId("replay-form")).toBeTruthy();

    await waitFor(() => expect(screen.getAllByTestId("replay-row")).toHaveLength(2));
    const [replay, feed] = screen.getAllByTestId("replay-row");
    expect(replay!.getAttribute("data-source")).toBe("replay");
    expect(within(replay!).getByTestId("replay-source").textContent).toBe("CSV replay");
    expect(within(replay!).getByTestId("replay-progress").textContent).toBe("4/10");
    expect(feed!.getAttribute("data-symbol")).toBe("MSFT");
    expect(feed!.getAttribute("data-source")).toBe("alpaca");
    expect(within(feed!).getByTestId("replay-source").textContent).toBe("live · alpaca");
    expect(within(feed!).getByTestId("feed-bars").textContent).toBe("120 bars from Alpaca");
    await user.click(within(feed!).getByTestId("replay-stop"));
    expect(fb.backend.stopReplay).toHaveBeenCalledWith("MSFT");
  });

  it("puts a refused symbol next to the symbol input", async () => {
    const user = userEvent.setup();
    const fb = renderTrading(fakeBackend({ account: account({ broker: "binance" }), broker: brokerSettings({ kind: "binance" }) }));
    fb.backend.startFeed.mockRejectedValueOnce(new BackendError("invalid_field", "binance trades crypto pairs such as BTCUSDT, not AAPL", "symbol"));
    const form = await screen.findByTestId("feed-form");
    const symbol = within(form).getByTestId("feed-symbol") as HTMLInputElement;
    expect(symbol.value).toBe("BTCUSDT");
    await user.clear(symbol);
    await user.type(symbol, "AAPL");
    await user.click(within(form).getByTestId("feed-start"));
    const err = await within(form).findByTestId("feed-error-symbol");
    expect(err.textContent).toBe("binance trades crypto pairs such as BTCUSDT, not AAPL");
    expect(symbol.getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("feed-form-error")).toBeNull();
    // An empty symbol is caught before the server.
    await user.clear(symbol);
    await user.click(within(form).getByTestId("feed-start"));
    expect((await within(form).findByTestId("feed-error-symbol")).textContent).toContain("Enter a symbol Binance trades");
    expect(fb.backend.startFeed).toHaveBeenCalledTimes(1);
  });
});

describe("Trading · live strategies", () => {
  it("starts a strategy with its default params, then lists it and stops it", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    const panel = await screen.findByTestId("strategy-runs");
    expect(within(panel).getByRole("heading", { level: 2 }).textContent).toBe("Strategies, live");
    expect(within(panel).getByText(/same risk checks.*kill switch stops them/)).toBeTruthy();
    expect(await within(panel).findByTestId("strategy-runs-empty")).toBeTruthy();
    const select = within(panel).getByTestId("strategy-run-strategy") as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe("sma-cross"));
    expect((within(panel).getByTestId("strategy-run-param-fast") as HTMLInputElement).value).toBe("10");
    expect((within(panel).getByTestId("strategy-run-param-slow") as HTMLInputElement).value).toBe("20");
    // Another strategy brings its own defaults.
    await user.selectOptions(select, "breakout");
    expect((within(panel).getByTestId("strategy-run-param-lookback") as HTMLInputElement).value).toBe("20");
    expect(within(panel).queryByTestId("strategy-run-param-fast")).toBeNull();
    await user.clear(within(panel).getByTestId("strategy-run-param-lookback"));
    await user.type(within(panel).getByTestId("strategy-run-param-lookback"), "55");
    await user.type(within(panel).getByTestId("strategy-run-symbol"), "aapl");
    await user.type(within(panel).getByTestId("strategy-run-qty"), "3");
    await user.click(within(panel).getByTestId("strategy-run-allow-short"));
    await user.click(within(panel).getByTestId("strategy-run-start"));
    await waitFor(() =>
      expect(fb.backend.startStrategyRun).toHaveBeenCalledWith({
        symbol: "AAPL",
        strategy: "breakout",
        params: { lookback: "55" },
        qty: "3",
        allow_short: true,
      }),
    );
    const row = await within(panel).findByTestId("strategy-run-row");
    expect(row.getAttribute("data-symbol")).toBe("AAPL");
    expect(row.getAttribute("data-running")).toBe("true");
    expect(within(row).getByTestId("strategy-run-name").textContent).toBe("breakout (lookback=55)");
    expect(within(row).getByTestId("strategy-run-size").textContent).toBe("qty 3, may go short");
    expect(within(row).getByTestId("strategy-run-bars").textContent).toBe("0");
    expect(within(row).queryByTestId("strategy-run-last-error")).toBeNull();

    await user.click(within(row).getByTestId("strategy-run-stop"));
    expect(fb.backend.stopStrategyRun).toHaveBeenCalledWith("AAPL");
    await waitFor(() => expect(within(panel).getByTestId("strategy-run-row").getAttribute("data-running")).toBe("false"));
    expect(within(panel).queryByTestId("strategy-run-stop")).toBeNull();
  });

  it("shows the counts, the last signal and the last refusal as a warning", async () => {
    renderTrading(
      fakeBackend({
        strategyRuns: [
          strategyRun({
            symbol: "BTC/USD",
            bars_seen: 42,
            signals: 3,
            orders_placed: 2,
            last_signal: "sell",
            last_error: "the kill switch is engaged: no new orders",
          }),
          strategyRun({ symbol: "MSFT", running: false }),
        ],
      }),
    );
    const rows = await screen.findAllByTestId("strategy-run-row");
    expect(rows).toHaveLength(2);
    const [btc, msft] = rows;
    expect(within(btc!).getByTestId("strategy-run-name").textContent).toBe("sma-cross (fast=10, slow=20)");
    expect(within(btc!).getByTestId("strategy-run-counts").textContent).toBe("42 bars seen · 3 signals · 2 orders placed · last signal: sell");
    const warning = within(btc!).getByTestId("strategy-run-last-error");
    expect(warning.getAttribute("role")).toBe("alert");
    expect(warning.textContent).toContain("the kill switch is engaged: no new orders");
    expect(within(btc!).getByTestId("strategy-run-stop")).toBeTruthy();
    expect(within(msft!).getByTestId("strategy-run-last-signal").textContent).toBe("none yet");
    expect(within(msft!).queryByTestId("strategy-run-stop")).toBeNull();
  });

  it("checks the form before sending and puts the server's refusal next to its field", async () => {
    const user = userEvent.setup();
    const fb = renderTrading();
    const panel = await screen.findByTestId("strategy-runs");
    await waitFor(() => expect((within(panel).getByTestId("strategy-run-strategy") as HTMLSelectElement).value).toBe("sma-cross"));
    await user.clear(within(panel).getByTestId("strategy-run-param-fast"));
    await user.click(within(panel).getByTestId("strategy-run-start"));
    expect((await within(panel).findByTestId("strategy-run-error-symbol")).textContent).toContain("Enter the symbol");
    expect(within(panel).getByTestId("strategy-run-error-qty").textContent).toContain("Enter the quantity");
    expect(within(panel).getByTestId("strategy-run-error-params").textContent).toBe("Give every parameter a value.");
    expect(fb.backend.startStrategyRun).not.toHaveBeenCalled();

    fb.backend.startStrategyRun.mockRejectedValueOnce(new BackendError("invalid_field", "qty: must be a multiple of the lot size 1", "qty"));
    await user.type(within(panel).getByTestId("strategy-run-param-fast"), "5");
    await user.type(within(panel).getByTestId("strategy-run-symbol"), "AAPL");
    const qty = within(panel).getByTestId("strategy-run-qty");
    await user.type(qty, "1.5");
    await user.click(within(panel).getByTestId("strategy-run-start"));
    const err = await within(panel).findByTestId("strategy-run-error-qty");
    expect(err.textContent).toBe("qty: must be a multiple of the lot size 1");
    expect(qty.getAttribute("aria-invalid")).toBe("true");
    expect(qty.getAttribute("aria-describedby")).toContain(err.id);
    expect(within(panel).queryByTestId("strategy-run-error-symbol")).toBeNull();
    expect(within(panel).queryByTestId("strategy-run-form-error")).toBeNull();

    fb.backend.startStrategyRun.mockRejectedValueOnce(new BackendError("invalid_field", "strategy: no strategy named sma-cross", "strategy"));
    await user.clear(qty);
    await user.type(qty, "2");
    await user.click(within(panel).getByTestId("strategy-run-start"));
    expect((await within(panel).findByTestId("strategy-run-error-strategy")).textContent).toBe("strategy: no strategy named sma-cross");
  });

  it("re-reads the runs on a bar of a running symbol and when trading changes", async () => {
    const fb = renderTrading(fakeBackend({ strategyRuns: [strategyRun({ symbol: "AAPL" })] }));
    const row = await screen.findByTestId("strategy-run-row");
    expect(within(row).getByTestId("strategy-run-bars").textContent).toBe("0");
    const reads = fb.backend.listStrategyRuns.mock.calls.length;
    const bar = (symbol: string) =>
      ({ type: "market_bar", symbol, time: n64(1_767_623_400), open: "1", high: "2", low: "1", close: "2", volume: "10" }) as const;

    // A bar of another symbol is not this run's business.
    act(() => fb.emit(bar("MSFT")));
    await new Promise((r) => setTimeout(r, 400));
    expect(fb.backend.listStrategyRuns.mock.calls.length).toBe(reads);

    fb.setStrategyRuns([strategyRun({ symbol: "AAPL", bars_seen: 1, signals: 1, orders_placed: 1, last_signal: "buy" })]);
    act(() => {
      fb.emit(bar("AAPL"));
      fb.emit(bar("AAPL"));
    });
    await waitFor(() => expect(within(screen.getByTestId("strategy-run-row")).getByTestId("strategy-run-bars").textContent).toBe("1"));
    // A burst of bars is one read.
    expect(fb.backend.listStrategyRuns.mock.calls.length).toBe(reads + 1);
    expect(screen.getByTestId("strategy-run-last-signal").textContent).toBe("buy");

    fb.setStrategyRuns([strategyRun({ symbol: "AAPL", bars_seen: 1, last_error: "order value 12000 is above the limit 10000" })]);
    act(() => fb.emit({ type: "trading_changed" }));
    expect((await screen.findByTestId("strategy-run-last-error")).textContent).toContain("above the limit 10000");
  });
});
