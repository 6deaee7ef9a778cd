import type { Account } from "../bindings/Account";
import type { Resource } from "../data/AppData";
import { brokerName } from "../labels";
import { formatMoney, formatPnl, formatTime, signOf } from "./format";

function Figure({ label, value, testId, pnl, title }: { label: string; value: string; testId: string; pnl?: boolean; title?: string }) {
  return (
    <div className="figure" title={title}>
      <dt>{label}</dt>
      <dd className={pnl ? `pnl pnl-${signOf(value)}` : undefined} data-testid={testId} data-value={value}>
        {pnl ? formatPnl(value) : formatMoney(value)}
      </dd>
    </div>
  );
}

const PAPER_TITLE = "Paper trading: orders fill against the market data played here, no real money moves.";

function liveTitle(name: string): string {
  return `Trading through ${name}: orders execute at ${name}, and cash, buying power and positions are ${name}'s figures.`;
}

/** Equity, cash and P&L of the account: the paper broker's, or the live broker's as last read. */
export function AccountBar({ account }: { account: Resource<Account> }) {
  const a = account.data;
  const live = a !== null && a.broker !== "paper";
  const name = a ? brokerName(a.broker) : "";
  return (
    <section className="panel account-bar" aria-labelledby="account-title" data-testid="account-bar">
      <div className="account-head">
        <h2 id="account-title">Account</h2>
        {a && (
          <span
            className={`badge ${live ? "badge-live" : "badge-paper"}`}
            data-testid="account-broker"
            data-live={String(live)}
            title={live ? liveTitle(name) : PAPER_TITLE}
          >
            {a.broker}
          </span>
        )}
        {a?.as_of && (
          <span className="muted small" data-testid="account-as-of" title={a.as_of}>
            as of {formatTime(a.as_of)}
          </span>
        )}
      </div>
      {account.error && (
        <p className="error-text" role="alert" data-testid="account-error">
          Could not load the account: {account.error}
        </p>
      )}
      {a?.broker_error && (
        <p className="broker-warning" role="alert" data-testid="account-broker-error">
          <strong>Could not read the account at {name}:</strong> {a.broker_error}. The figures below may be out of date.
        </p>
      )}
      {!a && !account.error && <p className="loading">Loading the account…</p>}
      {a && (
        <dl className="figures">
          <Figure label="Equity" value={a.equity} testId="account-equity" />
          <Figure label="Cash" value={a.cash} testId="account-cash" />
          {a.buying_power !== null && <Figure label="Buying power" value={a.buying_power} testId="account-buying-power" />}
          <Figure
            label="Day P&L"
            value={a.day_pnl}
            testId="account-day-pnl"
            pnl
            title={live ? "Change in equity since the start of the UTC day" : undefined}
          />
          <Figure label="Realized P&L" value={a.realized_pnl} testId="account-realized-pnl" pnl title={live ? "From the fills traded through Jarvis" : undefined} />
          <Figure label="Unrealized P&L" value={a.unrealized_pnl} testId="account-unrealized-pnl" pnl />
          <Figure label="Fees" value={a.fees} testId="account-fees" title={live ? "Fees of the fills traded through Jarvis" : undefined} />
        </dl>
      )}
    </section>
  );
}
