import type { Account } from "../bindings/Account";
import type { Resource } from "../data/AppData";
import { formatMoney, formatPnl, signOf } from "./format";

function Figure({ label, value, testId, pnl }: { label: string; value: string; testId: string; pnl?: boolean }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd className={pnl ? `pnl pnl-${signOf(value)}` : undefined} data-testid={testId} data-value={value}>
        {pnl ? formatPnl(value) : formatMoney(value)}
      </dd>
    </div>
  );
}

/** Equity, cash and P&L of the (paper) account, as the server computed them. */
export function AccountBar({ account }: { account: Resource<Account> }) {
  const a = account.data;
  return (
    <section className="panel account-bar" aria-labelledby="account-title" data-testid="account-bar">
      <div className="account-head">
        <h2 id="account-title">Account</h2>
        {a && (
          <span
            className="badge badge-paper"
            data-testid="account-broker"
            title="Paper trading: orders fill against the market data played here, no real money moves."
          >
            {a.broker}
          </span>
        )}
      </div>
      {account.error && (
        <p className="error-text" role="alert" data-testid="account-error">
          Could not load the account: {account.error}
        </p>
      )}
      {!a && !account.error && <p className="loading">Loading the account…</p>}
      {a && (
        <dl className="figures">
          <Figure label="Equity" value={a.equity} testId="account-equity" />
          <Figure label="Cash" value={a.cash} testId="account-cash" />
          <Figure label="Day P&L" value={a.day_pnl} testId="account-day-pnl" pnl />
          <Figure label="Realized P&L" value={a.realized_pnl} testId="account-realized-pnl" pnl />
          <Figure label="Unrealized P&L" value={a.unrealized_pnl} testId="account-unrealized-pnl" pnl />
          <Figure label="Fees" value={a.fees} testId="account-fees" />
        </dl>
      )}
    </section>
  );
}
