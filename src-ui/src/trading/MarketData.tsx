import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { QuoteView } from "../bindings/QuoteView";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import type { Resource } from "../data/AppData";
import { FieldError, fieldProps, readFileText, splitError } from "./fields";
import type { FieldErrors } from "./fields";
import { formatPrice, formatTime } from "./format";

type Field = "csv" | "symbol" | "speed";
const FIELDS: readonly Field[] = ["csv", "symbol", "speed"];

function ReplayRow({ replay, onStopped }: { replay: ReplayStatus; onStopped(): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.stopReplay(replay.symbol);
      onStopped();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="replay" data-testid="replay-row" data-symbol={replay.symbol} data-running={String(replay.running)}>
      <div className="replay-head">
        <strong>{replay.symbol}</strong>
        <span className="muted small">
          {replay.speed === 0 ? "as fast as possible" : `${replay.speed}× real time`}
        </span>
        <span className={`small ${replay.running ? "status-running" : "muted"}`}>{replay.running ? "playing" : "finished"}</span>
        {replay.running && (
          <button type="button" className="small-button" data-testid="replay-stop" disabled={busy} onClick={() => void stop()} aria-label={`Stop the ${replay.symbol} replay`}>
            {busy ? "Stopping…" : "Stop"}
          </button>
        )}
      </div>
      <div className="replay-progress">
        <progress value={replay.played} max={Math.max(replay.total, 1)} aria-label={`${replay.symbol} replay progress`} />
        <span className="mono small" data-testid="replay-progress">
          {replay.played}/{replay.total}
        </span>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** Start and follow CSV replays, which feed the paper broker's prices; the latest quotes. */
export function MarketData({
  replays,
  quotes,
  onChanged,
}: {
  replays: Resource<ReplayStatus[]>;
  quotes: Resource<QuoteView[]>;
  onChanged(): void;
}) {
  const backend = useBackend();
  const uid = useId();
  const [file, setFile] = useState<File | null>(null);
  const [symbol, setSymbol] = useState("AAPL");
  const [speed, setSpeed] = useState("60");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const clear = (f: Field) => setErrors(({ [f]: _gone, ...rest }) => rest);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    const errs: FieldErrors<Field> = {};
    if (!file) errs.csv = "Choose a CSV file of bars (timestamp, Open, High, Low, Close, Volume).";
    if (symbol.trim() === "") errs.symbol = "Enter the symbol these prices are for, e.g. AAPL.";
    const speedNum = Number(speed);
    if (speed.trim() === "" || !Number.isFinite(speedNum) || speedNum < 0) errs.speed = "Enter 0 or more (0 plays as fast as possible).";
    setErrors(errs);
    if (Object.keys(errs).length > 0 || !file) return;
    setBusy(true);
    try {
      const csv = await readFileText(file);
      await backend.startReplay({ symbol: symbol.trim().toUpperCase(), csv, speed: speedNum });
      onChanged();
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) setErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  };

  const list = replays.data ?? [];
  const quoteList = quotes.data ?? [];

  return (
    <section className="panel market-data" aria-labelledby={`${uid}-title`} data-testid="market-data">
      <h2 id={`${uid}-title`}>Market data</h2>
      <p className="hint">
        Play a CSV of price bars as live market data. Paper orders fill against these prices: a market order fills at
        the latest price of its symbol, a limit order when the price reaches its limit.
      </p>
      <form className="replay-form" noValidate onSubmit={(e) => void onSubmit(e)} data-testid="replay-form">
        {formError && (
          <div className="form-error" role="alert" data-testid="replay-form-error">
            {formError}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${uid}-csv`}>CSV file</label>
          <input
            {...fieldProps(uid, "csv", errors)}
            type="file"
            accept=".csv,text/csv,text/plain"
            data-testid="replay-file"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              clear("csv");
            }}
          />
          <FieldError uid={uid} field="csv" errors={errors} prefix="replay" />
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${uid}-symbol`}>Symbol</label>
            <input
              {...fieldProps(uid, "symbol", errors)}
              type="text"
              autoComplete="off"
              spellCheck={false}
              value={symbol}
              data-testid="replay-symbol"
              onChange={(e) => {
                setSymbol(e.target.value);
                clear("symbol");
              }}
            />
            <FieldError uid={uid} field="symbol" errors={errors} prefix="replay" />
          </div>
          <div className="field">
            <label htmlFor={`${uid}-speed`}>Speed</label>
            <input
              {...fieldProps(uid, "speed", errors, true)}
              type="number"
              min={0}
              step="any"
              inputMode="decimal"
              value={speed}
              data-testid="replay-speed"
              onChange={(e) => {
                setSpeed(e.target.value);
                clear("speed");
              }}
            />
            <p className="hint" id={`${uid}-speed-hint`}>
              × real time; 0 = as fast as possible
            </p>
            <FieldError uid={uid} field="speed" errors={errors} prefix="replay" />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="replay-start" disabled={busy}>
            {busy ? "Starting…" : "Start replay"}
          </button>
        </div>
      </form>

      <h3 className="subhead">Replays</h3>
      {replays.error && (
        <p className="error-text" role="alert">
          Could not load the replays: {replays.error}
        </p>
      )}
      {list.length === 0 ? (
        <p className="empty small" data-testid="replays-empty">
          No replay yet.
        </p>
      ) : (
        <ul className="plain-list replays" data-testid="replays">
          {list.map((r) => (
            <ReplayRow key={r.symbol} replay={r} onStopped={onChanged} />
          ))}
        </ul>
      )}

      <h3 className="subhead">Quotes</h3>
      {quoteList.length === 0 ? (
        <p className="empty small" data-testid="quotes-empty">
          No prices yet: start a replay.
        </p>
      ) : (
        <table className="data-table compact" data-testid="quotes">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col" className="num">
                Last
              </th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {quoteList.map((q) => (
              <tr key={q.symbol} data-testid="quote-row" data-symbol={q.symbol}>
                <th scope="row">{q.symbol}</th>
                <td className="num mono" data-testid={`quote-price-${q.symbol}`}>
                  {formatPrice(q.price)}
                </td>
                <td className="small muted">{formatTime(q.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
