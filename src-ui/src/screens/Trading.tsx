import { useMemo } from "react";
import { brokerName } from "../labels";
import { AccountBar } from "../trading/AccountBar";
import { AuditTrail } from "../trading/AuditTrail";
import { Backtest } from "../trading/Backtest";
import { KillSwitch } from "../trading/KillSwitch";
import { MarketData } from "../trading/MarketData";
import { OrderTicket } from "../trading/OrderTicket";
import { PriceChart } from "../trading/PriceChart";
import { RiskLimitsPanel } from "../trading/RiskLimitsForm";
import { StrategyRuns } from "../trading/StrategyRuns";
import { Fills, OpenOrders, Positions } from "../trading/Tables";
import { useTradingData } from "../trading/useTradingData";
import "../trading/trading.css";

/** Trading (paper, or through Alpaca or Binance) on replayed or live market data, live strategies, the audit trail, and backtests. */
export function Trading() {
  const data = useTradingData();
  const { account, orders, positions, fills, quotes, replays, version, refreshTrading, refreshReplays, putAccount } = data;

  const symbols = useMemo(() => {
    const set = new Set<string>();
    quotes.data?.forEach((q) => set.add(q.symbol));
    replays.data?.forEach((r) => set.add(r.symbol));
    return [...set].sort();
  }, [quotes.data, replays.data]);

  const changed = () => void refreshTrading();
  const broker = account.data?.broker ?? null;

  return (
    <div className="trading">
      <header className="screen-header">
        <h1 tabIndex={-1}>Trading</h1>
        <span className="muted small" data-testid="trading-mode">
          {broker === null || broker === "paper"
            ? "Paper trading: simulated fills, no real money."
            : `Trading through ${brokerName(broker)}: orders execute at the broker.`}
        </span>
      </header>
      <KillSwitch account={account.data} onChanged={putAccount} />
      <AccountBar account={account} />
      <div className="trading-grid">
        <div className="trading-side">
          <OrderTicket quotes={quotes.data ?? []} killSwitch={account.data?.kill_switch ?? false} onPlaced={changed} />
          <MarketData replays={replays} quotes={quotes} broker={broker} onChanged={() => void refreshReplays()} />
          <RiskLimitsPanel account={account.data} onSaved={putAccount} />
        </div>
        <div className="trading-main">
          <PriceChart symbols={symbols} />
          <Positions positions={positions} />
          <OpenOrders orders={orders} onChanged={changed} />
          <Fills fills={fills} />
        </div>
      </div>
      <StrategyRuns symbols={symbols} />
      <AuditTrail version={version} />
      <Backtest />
    </div>
  );
}
