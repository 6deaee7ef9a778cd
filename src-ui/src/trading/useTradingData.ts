import { useCallback, useEffect, useRef, useState } from "react";
import type { Account } from "../bindings/Account";
import type { Fill } from "../bindings/Fill";
import type { Order } from "../bindings/Order";
import type { Position } from "../bindings/Position";
import type { QuoteView } from "../bindings/QuoteView";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import { useBackend } from "../backend/context";
import type { Resource } from "../data/AppData";
import { useAppData, useLoader } from "../data/AppData";

/** How long a burst of trading events is gathered before one re-read. */
export const REFRESH_DEBOUNCE_MS = 100;
/** How often a running replay's progress is re-read. */
export const REPLAY_POLL_MS = 1_000;
/** How often the bar count of live feeds is re-read (new bars come every minute at best). */
export const FEED_POLL_MS = 10_000;
export const ORDERS_LIMIT = 100;
export const FILLS_LIMIT = 50;

export interface TradingData {
  account: Resource<Account>;
  orders: Resource<Order[]>;
  positions: Resource<Position[]>;
  fills: Resource<Fill[]>;
  quotes: Resource<QuoteView[]>;
  replays: Resource<ReplayStatus[]>;
  /** Bumped after each re-read caused by trading events, for panels that follow along (the audit trail). */
  version: number;
  /** Re-read account, orders, positions and fills now. */
  refreshTrading(): Promise<void>;
  refreshReplays(): Promise<void>;
  /** Apply an Account returned by a mutation (kill switch, limits). */
  putAccount(a: Account): void;
}

const byNewest = (a: QuoteView, b: QuoteView) => a.symbol.localeCompare(b.symbol);

/** The Trading screen's live state: loaded once, then kept in step with backend events. */
export function useTradingData(): TradingData {
  const backend = useBackend();
  const { listen, resyncs } = useAppData();

  const [account, refreshAccount, putAccountRaw] = useLoader(useCallback(() => backend.account(), [backend]));
  const [orders, refreshOrders] = useLoader(useCallback(() => backend.listOrders(ORDERS_LIMIT), [backend]));
  const [positions, refreshPositions] = useLoader(useCallback(() => backend.listPositions(), [backend]));
  const [fills, refreshFills] = useLoader(useCallback(() => backend.listFills(FILLS_LIMIT), [backend]));
  const [quotes, refreshQuotes, putQuotes] = useLoader(useCallback(() => backend.marketQuotes(), [backend]));
  const [replays, refreshReplays] = useLoader(useCallback(() => backend.listReplays(), [backend]));
  const [version, setVersion] = useState(0);

  const refreshTrading = useCallback(async () => {
    await Promise.all([refreshAccount(), refreshOrders(), refreshPositions(), refreshFills()]);
  }, [refreshAccount, refreshOrders, refreshPositions, refreshFills]);

  const putAccount = useCallback((a: Account) => putAccountRaw(() => a), [putAccountRaw]);

  useEffect(() => {
    void refreshTrading();
    void refreshQuotes();
    void refreshReplays();
  }, [refreshTrading, refreshQuotes, refreshReplays]);

  // Events: trading changes are gathered for REFRESH_DEBOUNCE_MS, then read once.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const scheduleRefresh = () => {
      if (timer.current !== null) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        void refreshTrading().then(() => setVersion((v) => v + 1));
      }, REFRESH_DEBOUNCE_MS);
    };
    const off = listen((ev) => {
      switch (ev.type) {
        case "trading_changed":
        case "order_updated":
        case "order_filled":
          scheduleRefresh();
          break;
        case "quote":
          putQuotes((prev) => {
            const list = prev ?? [];
            const next = { symbol: ev.symbol, price: ev.price, time: ev.time };
            return list.some((q) => q.symbol === ev.symbol)
              ? list.map((q) => (q.symbol === ev.symbol ? next : q))
              : [...list, next].sort(byNewest);
          });
          break;
        case "replay_changed":
          void refreshReplays();
          // A finished replay may have moved prices: positions and P&L follow.
          if (!ev.running) scheduleRefresh();
          break;
        default:
          break;
      }
    });
    return () => {
      off();
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [listen, putQuotes, refreshTrading, refreshReplays]);

  // After the event stream reconnects, events may have been missed: read everything again.
  useEffect(() => {
    if (resyncs === 0) return;
    void refreshTrading();
    void refreshQuotes();
    void refreshReplays();
  }, [resyncs, refreshTrading, refreshQuotes, refreshReplays]);

  // Replays and live feeds report progress only through their bars: poll while one runs
  // (often for a CSV replay, seldom for live bars, which arrive a minute apart at best).
  const replayRunning = replays.data?.some((r) => r.running && r.source === "replay") ?? false;
  const feedRunning = replays.data?.some((r) => r.running && r.source !== "replay") ?? false;
  const pollMs = replayRunning ? REPLAY_POLL_MS : feedRunning ? FEED_POLL_MS : null;
  useEffect(() => {
    if (pollMs === null) return;
    const id = setInterval(() => void refreshReplays(), pollMs);
    return () => clearInterval(id);
  }, [pollMs, refreshReplays]);

  return { account, orders, positions, fills, quotes, replays, version, refreshTrading, refreshReplays, putAccount };
}
