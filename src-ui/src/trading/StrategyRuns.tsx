import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { StrategyRun } from "../bindings/StrategyRun";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { useAppData, useLoader } from "../data/AppData";
import { StrategyFields, useStrategyChoice } from "./StrategyFields";
import { DECIMAL_INPUT, FieldError, fieldProps, splitError } from "./fields";
import type { FieldErrors } from "./fields";
import { formatQty } from "./format";

type Field = "symbol" | "strategy" | "params" | "qty";
const FIELDS: readonly Field[] = ["symbol", "strategy", "params", "qty"];

/** How often the runs are re-read while one is running (bars may come without events we follow). */
export const STRATEGY_RUN_POLL_MS = 3_000;
/** A burst of bars or trading events is gathered this long before one re-read. */
export const STRATEGY_RUN_DEBOUNCE_MS = 250;

const paramText = (params: StrategyRun["params"]) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

function RunRow({ run, onStopped }: { run: StrategyRun; onStopped(): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.stopStrategyRun(run.symbol);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      onStopped();
    }
  };
  const params = paramText(run.params);
  return (
    <li className="replay strategy-run" data-testid="strategy-run-row" data-symbol={run.symbol} data-running={String(run.running)}>
      <div className="replay-head">
        <strong>{run.symbol}</strong>
        <span data-testid="strategy-run-name">
          {run.strategy}
          {params && <span className="muted small"> ({params})</span>}
        </span>
        <span className="muted small" data-testid="strategy-run-size">
          qty {formatQty(run.qty)}
          {run.allow_short ? ", may go short" : ", long only"}
        </span>
        <span className={`small ${run.running ? "status-running" : "muted"}`}>{run.running ? "running" : "stopped"}</span>
        {run.running && (
          <button
            type="button"
            className="small-button"
            data-testid="strategy-run-stop"
            disabled={busy}
            onClick={() => void stop()}
            aria-label={`Stop the strategy on ${run.symbol}`}
          >
            {busy ? "Stopping…" : "Stop"}
          </button>
        )}
      </div>
      <p className="muted small strategy-run-counts" data-testid="strategy-run-counts">
        <span data-testid="strategy-run-bars">{run.bars_seen}</span> bars seen ·{" "}
        <span data-testid="strategy-run-signals">{run.signals}</span> signals ·{" "}
        <span data-testid="strategy-run-orders">{run.orders_placed}</span> orders placed · last signal:{" "}
        <span data-testid="strategy-run-last-signal">{run.last_signal ?? "none yet"}</span>
      </p>
      {run.last_error && (
        <p className="broker-warning small" role="alert" data-testid="strategy-run-last-error">
          Last order refused: {run.last_error}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert" data-testid="strategy-run-stop-error">
          Could not stop: {error}
        </p>
      )}
    </li>
  );
}

/**
 * Run a backtest strategy live: it is re-evaluated on each new bar of the symbol's market
 * data and places market orders through the normal pipeline.
 */
export function StrategyRuns({ symbols }: { symbols: string[] }) {
  const backend = useBackend();
  const { listen, resyncs } = useAppData();
  const uid = useId();
  const [runs, refreshRuns] = useLoader(useCallback(() => backend.listStrategyRuns(), [backend]));
  const choice = useStrategyChoice();
  const { strategies, loadError, strategy } = choice;
  const [symbol, setSymbol] = useState("");
  const [qty, setQty] = useState("");
  const [allowShort, setAllowShort] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void refreshRuns();
  }, [refreshRuns, resyncs]);

  // Re-read on the run's orders changing or a new bar of a running symbol, gathered into one read.
  const running = runs.data?.filter((r) => r.running).map((r) => r.symbol) ?? [];
  const runningKey = running.join("\n");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const watched = new Set(runningKey === "" ? [] : runningKey.split("\n"));
    const schedule = () => {
      if (timer.current !== null) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        void refreshRuns();
      }, STRATEGY_RUN_DEBOUNCE_MS);
    };
    const off = listen((ev) => {
      if (ev.type === "trading_changed" || (ev.type === "market_bar" && watched.has(ev.symbol))) schedule();
    });
    return () => {
      off();
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [listen, refreshRuns, runningKey]);

  const anyRunning = running.length > 0;
  useEffect(() => {
    if (!anyRunning) return;
    const id = setInterval(() => void refreshRuns(), STRATEGY_RUN_POLL_MS);
    return () => clearInterval(id);
  }, [anyRunning, refreshRuns]);

  const clear = (f: Field) => setErrors(({ [f]: _gone, ...rest }) => rest);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    const sym = symbol.trim().toUpperCase();
    const q = qty.trim();
    const errs: FieldErrors<Field> = {};
    if (sym === "") errs.symbol = "Enter the symbol whose bars the strategy follows, e.g. AAPL.";
    if (!strategy) errs.strategy = "Choose a strategy.";
    if (choice.missingParam) errs.params = "Give every parameter a value.";
    if (!DECIMAL_INPUT.test(q) || Number(q) <= 0) errs.qty = "Enter the quantity each order trades, e.g. 10.";
    setErrors(errs);
    const first = FIELDS.find((f) => errs[f]);
    if (first) {
      document.getElementById(`${uid}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const trimmed = choice.trimmedParams();
      await backend.startStrategyRun({ symbol: sym, strategy, params: trimmed, qty: q, allow_short: allowShort });
      setSymbol("");
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) setErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setBusy(false);
      void refreshRuns();
    }
  };

  const list = runs.data ?? [];

  return (
    <section className="panel strategy-runs" aria-labelledby={`${uid}-title`} data-testid="strategy-runs">
      <h2 id={`${uid}-title`}>Strategies, live</h2>
      <p className="hint">
        Run a strategy on a symbol's replayed or live bars: its orders go through the same risk checks as yours, and the kill switch stops them.
      </p>
      {loadError && (
        <p className="error-text" role="alert">
          Could not load the strategies: {loadError}
        </p>
      )}
      <form className="strategy-run-form" noValidate onSubmit={(e) => void onSubmit(e)} data-testid="strategy-run-form" aria-busy={busy}>
        {formError && (
          <div className="form-error" role="alert" data-testid="strategy-run-form-error">
            {formError}
          </div>
        )}
        <div className="backtest-grid">
          <div className="field">
            <label htmlFor={`${uid}-symbol`}>Symbol</label>
            <input
              {...fieldProps(uid, "symbol", errors)}
              type="text"
              autoComplete="off"
              spellCheck={false}
              list={`${uid}-symbols`}
              placeholder="e.g. AAPL"
              value={symbol}
              data-testid="strategy-run-symbol"
              onChange={(e) => {
                setSymbol(e.target.value);
                clear("symbol");
              }}
            />
            <datalist id={`${uid}-symbols`}>
              {symbols.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            <FieldError uid={uid} field="symbol" errors={errors} prefix="strategy-run" />
          </div>
          <StrategyFields uid={uid} prefix="strategy-run" choice={choice} errors={errors} onEdit={clear} />
          <div className="field">
            <label htmlFor={`${uid}-qty`}>Quantity per order</label>
            <input
              {...fieldProps(uid, "qty", errors, true)}
              type="text"
              inputMode="decimal"
              value={qty}
              data-testid="strategy-run-qty"
              onChange={(e) => {
                setQty(e.target.value);
                clear("qty");
              }}
            />
            <p className="hint" id={`${uid}-qty-hint`}>
              each signal places a market order of this size
            </p>
            <FieldError uid={uid} field="qty" errors={errors} prefix="strategy-run" />
          </div>
          <div className="field checkbox-field">
            <label className="checkbox">
              <input
                type="checkbox"
                checked={allowShort}
                data-testid="strategy-run-allow-short"
                onChange={(e) => setAllowShort(e.target.checked)}
              />
              Allow short
            </label>
            <p className="hint">a sell signal may open a short position, not only close a long one</p>
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="strategy-run-start" disabled={busy || !strategies}>
            {busy ? "Starting…" : "Start"}
          </button>
        </div>
      </form>
      <h3 className="subhead">
        Runs <span className="count">{list.length}</span>
      </h3>
      {runs.error && (
        <p className="error-text" role="alert" data-testid="strategy-runs-load-error">
          Could not read the runs: {runs.error}
        </p>
      )}
      {runs.loading ? (
        <p className="muted small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="empty small" data-testid="strategy-runs-empty">
          No strategy is running.
        </p>
      ) : (
        <ul className="plain-list replays" data-testid="strategy-run-list">
          {list.map((r) => (
            <RunRow key={r.symbol} run={r} onStopped={() => void refreshRuns()} />
          ))}
        </ul>
      )}
    </section>
  );
}
