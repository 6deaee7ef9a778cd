import { describe, expect, it } from "vitest";
import { formatDecimal, formatMoney, formatPct, formatPnl, formatPrice, formatQty, groupDigits, shortId, signOf } from "./format";
import { lastSma, sma } from "./sma";

describe("decimal formatting (text only)", () => {
  it("groups digits", () => {
    expect(groupDigits("1234567")).toBe("1,234,567");
    expect(groupDigits("123")).toBe("123");
  });

  it("rounds half away from zero without floats", () => {
    expect(formatMoney("100000")).toBe("100,000.00");
    expect(formatMoney("1234.565")).toBe("1,234.57");
    expect(formatMoney("-1234.565")).toBe("-1,234.57");
    expect(formatMoney("999.995")).toBe("1,000.00");
    expect(formatMoney("0.004")).toBe("0.00");
    expect(formatMoney("-0.004")).toBe("0.00");
    expect(formatMoney(".5")).toBe("0.50");
    // beyond float precision: still exact
    expect(formatMoney("12345678901234567890.125")).toBe("12,345,678,901,234,567,890.13");
    expect(formatDecimal("1.23456789", 4)).toBe("1.2346");
    expect(formatMoney("n/a")).toBe("n/a");
  });

  it("signs P&L and reads signs from text", () => {
    expect(formatPnl("12.5")).toBe("+12.50");
    expect(formatPnl("-3")).toBe("-3.00");
    expect(formatPnl("0")).toBe("0.00");
    expect(signOf("-0.00")).toBe("zero");
    expect(signOf("-0.01")).toBe("neg");
    expect(signOf("7")).toBe("pos");
  });

  it("keeps price and quantity digits as sent", () => {
    expect(formatPrice("101.2")).toBe("101.20");
    expect(formatPrice("0.00001234")).toBe("0.00001234");
    expect(formatPrice("45000.500")).toBe("45,000.50");
    expect(formatQty("5.000")).toBe("5");
    expect(formatQty("1500.25")).toBe("1,500.25");
  });

  it("formats server floats for display", () => {
    expect(formatPct(12.345678)).toBe("12.35%");
    expect(formatPct(null)).toBe("—");
  });
});

describe("shortId", () => {
  it("tells apart orders placed in the same minute (UUIDv7 share their leading time)", () => {
    const a = "01a215da-3db7-7062-86fe-3b13b236f737";
    const b = "01a215da-3dc0-7a11-9c42-77e0d1a4b5c9";
    expect(shortId(a)).toBe("b236f737");
    expect(shortId(a)).not.toBe(shortId(b));
    expect(shortId("abc")).toBe("abc");
  });
});

describe("sma", () => {
  it("averages over the window", () => {
    expect(sma([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4]);
    expect(lastSma([1, 2, 3, 4, 5], 2)).toBe(4.5);
    expect(lastSma([1], 2)).toBeNull();
  });
});
