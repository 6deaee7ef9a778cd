import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { BacktestReport } from "../bindings/BacktestReport";
import { useBackend } from "../backend/context";
import { EquityChart } from "./EquityChart";
import { StrategyFields, useStrategyChoice } from "./StrategyFields";
import { DECIMAL_INPUT, FieldError, fieldProps, readFileText, splitError } from "./fields";
import type { FieldErrors } from "./fields";
import { formatBarTime, formatMoney, formatNumber, formatPct, formatPnl, formatPrice, formatQty, signOf } from "./format";

type Field = "strategy" | "params" | "cash" | "commission" | "csv";
const FIELDS: readonly Field[] = ["strategy", "params", "cash", "commission", "csv"];


function Stat({ label, value, testId, tone }: { label: string; value: string; testId: string; tone?: string }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd className={tone} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

const toneOf = (n: number | null) => (n === null ? undefined : n > 0 ? "pnl pnl-pos" : n < 0 ? "pnl pnl-neg" : undefined);

function Results({ report }: { report: BacktestReport }) {
  const s = report.stats;
  return (
    <div className="backtest-results" data-testid="backtest-results">
      <h3 className="subhead">
        Results: {report.strategy}{" "}
        <span className="muted small">
          {Object.entries(report.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")}{" "}
          · {s.bars} bars, {formatBarTime(s.start)} → {formatBarTime(s.end)} ·{" "}
          <span data-testid="backtest-fills">{report.fills === "paper" ? "paper broker fills" : "backtesting.py fills"}</span>
        </span>
      </h3>
      <dl className="figures stats" data-testid="backtest-stats">
        <Stat label="Return" value={formatPct(s.return_pct)} testId="stat-return" tone={toneOf(s.return_pct)} />
        <Stat label="Buy & hold" value={formatPct(s.buy_and_hold_return_pct)} testId="stat-buy-hold" />
        <Stat label="CAGR" value={formatPct(s.cagr_pct)} testId="stat-cagr" />
        <Stat label="Sharpe" value={formatNumber(s.sharpe)} testId="stat-sharpe" />
        <Stat label="Sortino" value={formatNumber(s.sortino)} testId="stat-sortino" />
        <Stat label="Max drawdown" value={formatPct(s.max_drawdown_pct)} testId="stat-max-drawdown" />
        <Stat label="Win rate" value={formatPct(s.win_rate_pct)} testId="stat-win-rate" />
        <Stat label="Profit factor" value={formatNumber(s.profit_factor)} testId="stat-profit-factor" />
        <Stat label="Exposure" value={formatPct(s.exposure_pct)} testId="stat-exposure" />
        <Stat label="Trades" value={String(s.trades)} testId="stat-trades" />
        <Stat label="Final equity" value={formatMoney(s.equity_final)} testId="stat-final-equity" />
        <Stat label="Peak equity" value={formatMoney(s.equity_peak)} testId="stat-peak-equity" />
      </dl>
      {report.risk_checked && (
        <div data-testid="backtest-refused">
          {(report.refused ?? []).length === 0 ? (
            <p className="muted small">Every order met your risk limits.</p>
          ) : (
            <>
              <p className="small">
                Your risk limits refused {(report.refused ?? []).length === 1 ? "1 order" : `${(report.refused ?? []).length} orders`}:
              </p>
              <ul className="small">
                {(report.refused ?? []).slice(0, 20).map((r) => (
                  <li key={r.bar} data-testid="backtest-refusal">
                    {formatBarTime(r.time)} — {r.reason}
                  </li>
                ))}
                {(report.refused ?? []).length > 20 && <li>… and {(report.refused ?? []).length - 20} more</li>}
              </ul>
            </>
          )}
        </div>
      )}
      {signOf(report.open_position) !== "zero" && (
        <p className="muted small">Still holding {formatQty(report.open_position)} at the end (marked at the last close, not counted as a trade).</p>
      )}
      {(report.unfilled_orders ?? 0) > 0 && (
        <p className="muted small" data-testid="backtest-unfilled">
          {report.unfilled_orders === 1 ? "1 order had" : `${report.unfilled_orders} orders had`} not filled by the last bar
          {report.fills === "paper" ? " (the bars' volume was too thin, or it came too late)." : " (placed at the last bar)."}
        </p>
      )}
      <h3 className="subhead">Equity curve</h3>
      <EquityChart points={report.equity_curve} />
      <h3 className="subhead">
        Trades <span className="count">{report.trades.length}</span>
      </h3>
      {report.trades.length === 0 ? (
        <p className="empty small" data-testid="backtest-no-trades">
          The strategy made no trade on these bars.
        </p>
      ) : (
        <div className="table-scroll table-scroll-tall">
          <table className="data-table" data-testid="backtest-trades">
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col">Exit</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Entry price
                </th>
                <th scope="col" className="num">
                  Exit price
                </th>
                <th scope="col" className="num">
                  P&amp;L
                </th>
                <th scope="col" className="num">
                  Commission
                </th>
              </tr>
            </thead>
            <tbody>
              {report.trades.map((t, i) => (
                <tr key={`${t.entry_bar}-${t.exit_bar}-${i}`} data-testid="backtest-trade-row">
                  <td className="small nowrap">{formatBarTime(t.entry_time)}</td>
                  <td className="small nowrap">{formatBarTime(t.exit_time)}</td>
                  <td className={`num mono side-${signOf(t.size) === "neg" ? "sell" : "buy"}`}>{formatQty(t.size)}</td>
                  <td className="num mono">{formatPrice(t.entry_price)}</td>
                  <td className="num mono">{formatPrice(t.exit_price)}</td>
                  <td className={`num mono pnl pnl-${signOf(t.pnl)}`}>{formatPnl(t.pnl)}</td>
                  <td className="num mono">{formatMoney(t.commission)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Run a strategy over CSV bars sent with the request: statistics, equity curve and trades. */
export function Backtest() {
  const backend = useBackend();
  const uid = useId();
  const choice = useStrategyChoice();
  const { strategies, loadError, strategy } = choice;
  const [cash, setCash] = useState("10000");
  const [commission, setCommission] = useState("0.002");
  const [exclusive, setExclusive] = useState(true);
  const [withRisk, setWithRisk] = useState(false);
  const [paperFills, setPaperFills] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState<BacktestReport | null>(null);

  const clear = (f: Field) => setErrors(({ [f]: _gone, ...rest }) => rest);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (running) return;
    setFormError(null);
    const errs: FieldErrors<Field> = {};
    if (!strategy) errs.strategy = "Choose a strategy.";
    if (!DECIMAL_INPUT.test(cash.trim())) errs.cash = "Enter the starting cash, e.g. 10000.";
    if (!DECIMAL_INPUT.test(commission.trim())) errs.commission = "Enter the commission as a fraction of the traded value, e.g. 0.002.";
    if (choice.missingParam) errs.params = "Give every parameter a value.";
    if (!file) errs.csv = "Choose a CSV file of bars (timestamp, Open, High, Low, Close, Volume).";
    setErrors(errs);
    const first = FIELDS.find((f) => errs[f]);
    if (first || !file) {
      if (first) document.getElementById(`${uid}-${first}`)?.focus();
      return;
    }
    setRunning(true);
    setReport(null);
    try {
      const csv = await readFileText(file);
      const trimmed = choice.trimmedParams();
      setReport(
        await backend.runBacktest({
          strategy,
          params: trimmed,
          cash: cash.trim(),
          commission: commission.trim(),
          exclusive_orders: exclusive,
          apply_risk_limits: withRisk,
          fills: paperFills ? "paper" : "backtesting.py",
          csv,
        }),
      );
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) setErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="panel backtest" aria-labelledby={`${uid}-title`} data-testid="backtest">
      <h2 id={`${uid}-title`}>Backtest</h2>
      <p className="hint">Run a strategy over historical bars from a CSV file. Nothing is traded: it only simulates.</p>
      {loadError && (
        <p className="error-text" role="alert">
          Could not load the strategies: {loadError}
        </p>
      )}
      <form className="backtest-form" noValidate onSubmit={(e) => void onSubmit(e)} data-testid="backtest-form" aria-busy={running}>
        {formError && (
          <div className="form-error" role="alert" data-testid="backtest-form-error">
            {formError}
          </div>
        )}
        <div className="backtest-grid">
          <StrategyFields uid={uid} prefix="backtest" choice={choice} errors={errors} onEdit={clear} />
          <div className="field">
            <label htmlFor={`${uid}-cash`}>Cash</label>
            <input
              {...fieldProps(uid, "cash", errors)}
              type="text"
              inputMode="decimal"
              value={cash}
              data-testid="backtest-cash"
              onChange={(e) => {
                setCash(e.target.value);
                clear("cash");
              }}
            />
            <FieldError uid={uid} field="cash" errors={errors} prefix="backtest" />
          </div>
          <div className="field">
            <label htmlFor={`${uid}-commission`}>Commission</label>
            <input
              {...fieldProps(uid, "commission", errors, true)}
              type="text"
              inputMode="decimal"
              value={commission}
              data-testid="backtest-commission"
              onChange={(e) => {
                setCommission(e.target.value);
                clear("commission");
              }}
            />
            <p className="hint" id={`${uid}-commission-hint`}>
              fraction of each trade's value (0.002 = 0.2%)
            </p>
            <FieldError uid={uid} field="commission" errors={errors} prefix="backtest" />
          </div>
          <div className="field">
            <label htmlFor={`${uid}-csv`}>CSV file</label>
            <input
              {...fieldProps(uid, "csv", errors)}
              type="file"
              accept=".csv,text/csv,text/plain"
              data-testid="backtest-file"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                clear("csv");
              }}
            />
            <FieldError uid={uid} field="csv" errors={errors} prefix="backtest" />
          </div>
          <div className="field checkbox-field">
            <label className="checkbox">
              <input type="checkbox" checked={exclusive} data-testid="backtest-exclusive" onChange={(e) => setExclusive(e.target.checked)} />
              Exclusive orders
            </label>
            <p className="hint">each new signal closes the open position first</p>
          </div>
          <div className="field checkbox-field">
            <label className="checkbox">
              <input type="checkbox" checked={withRisk} data-testid="backtest-risk" onChange={(e) => setWithRisk(e.target.checked)} />
              Check my risk limits
            </label>
            <p className="hint">every order meets the same limits as live trading; refused orders are listed</p>
          </div>
          <div className="field checkbox-field">
            <label className="checkbox">
              <input type="checkbox" checked={paperFills} data-testid="backtest-paper-fills" onChange={(e) => setPaperFills(e.target.checked)} />
              Fill like the paper broker
            </label>
            <p className="hint">
              1 bp slippage, at most a quarter of each bar&apos;s volume, commission as the fee; off: backtesting.py&apos;s rules
            </p>
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="backtest-run" disabled={running || !strategies}>
            {running ? "Running…" : "Run backtest"}
          </button>
          {running && (
            <span className="backtest-progress" role="status" data-testid="backtest-running">
              <progress aria-label="Backtest running" /> Running the backtest…
            </span>
          )}
        </div>
      </form>
      {report && <Results report={report} />}
    </section>
  );
}
