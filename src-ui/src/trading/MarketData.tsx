import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { FeedTimeframe } from "../bindings/FeedTimeframe";
import type { QuoteView } from "../bindings/QuoteView";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import type { Resource } from "../data/AppData";
import { brokerName, FEED_DEFAULT_SYMBOLS, FEED_TIMEFRAME_LABELS, FEED_TIMEFRAMES } from "../labels";
import { FieldError, fieldProps, readFileText, splitError } from "./fields";
import type { FieldErrors } from "./fields";
import { formatPrice, formatTime } from "./format";

type Field = "csv" | "symbol" | "speed";
const FIELDS: readonly Field[] = ["csv", "symbol", "speed"];

/** True for a CSV replay; else the entry is live bars from a broker. */
const isReplay = (r: ReplayStatus) => r.source === "replay";

function ReplayRow({ replay, onStopped }: { replay: ReplayStatus; onStopped(): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const csv = isReplay(replay);
  const what = csv ? "replay" : "live bars";
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
    <li
      className="replay"
      data-testid="replay-row"
      data-symbol={replay.symbol}
      data-source={replay.source}
      data-running={String(replay.running)}
    >
      <div className="replay-head">
        <strong>{replay.symbol}</strong>
        <span className={csv ? "muted small" : "badge badge-live"} data-testid="replay-source">
          {csv ? "CSV replay" : `live · ${replay.source}`}
        </span>
        {csv && (
          <span className="muted small">{replay.speed === 0 ? "as fast as possible" : `${replay.speed}× real time`}</span>
        )}
        <span className={`small ${replay.running ? "status-running" : "muted"}`}>
          {replay.running ? (csv ? "playing" : "following") : csv ? "finished" : "stopped"}
        </span>
        {replay.running && (
          <button
            type="button"
            className="small-button"
            data-testid="replay-stop"
            disabled={busy}
            onClick={() => void stop()}
            aria-label={`Stop the ${replay.symbol} ${what}`}
          >
            {busy ? "Stopping…" : "Stop"}
          </button>
        )}
      </div>
      {csv ? (
        <div className="replay-progress">
          <progress value={replay.played} max={Math.max(replay.total, 1)} aria-label={`${replay.symbol} replay progress`} />
          <span className="mono small" data-testid="replay-progress">
            {replay.played}/{replay.total}
          </span>
        </div>
      ) : (
        <p className="muted small feed-bars" data-testid="feed-bars">
          {replay.played === 1 ? "1 bar" : `${replay.played} bars`} from {brokerName(replay.source)}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

type FeedField = "symbol" | "timeframe";
const FEED_FIELDS: readonly FeedField[] = ["symbol", "timeframe"];

/** Live bars from the selected broker, into the same chart and quotes as a replay. */
function LiveFeedForm({ broker, onStarted }: { broker: string; onStarted(): void }) {
  const backend = useBackend();
  const uid = useId();
  const name = brokerName(broker);
  const [symbol, setSymbol] = useState(() => (FEED_DEFAULT_SYMBOLS as Record<string, string>)[broker] ?? "");
  const [timeframe, setTimeframe] = useState<FeedTimeframe>("minute");
  const [errors, setErrors] = useState<FieldErrors<FeedField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const clear = (f: FeedField) => setErrors(({ [f]: _gone, ...rest }) => rest);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    const sym = symbol.trim().toUpperCase();
    if (sym === "") {
      setErrors({ symbol: `Enter a symbol ${name} trades, e.g. ${(FEED_DEFAULT_SYMBOLS as Record<string, string>)[broker] ?? "AAPL"}.` });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await backend.startFeed({ symbol: sym, timeframe });
      onStarted();
    } catch (err) {
      const { field, message } = splitError(err, FEED_FIELDS);
      if (field) setErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="feed-form" noValidate onSubmit={(e) => void onSubmit(e)} data-testid="feed-form" aria-labelledby={`${uid}-title`}>
      <h3 className="subhead" id={`${uid}-title`}>
        Live bars from {name}
      </h3>
      {formError && (
        <div className="form-error" role="alert" data-testid="feed-form-error">
          {formError}
        </div>
      )}
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${uid}-symbol`}>Symbol</label>
          <input
            {...fieldProps(uid, "symbol", errors)}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={symbol}
            data-testid="feed-symbol"
            onChange={(e) => {
              setSymbol(e.target.value);
              clear("symbol");
            }}
          />
          <FieldError uid={uid} field="symbol" errors={errors} prefix="feed" />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-timeframe`}>Bars of</label>
          <select
            {...fieldProps(uid, "timeframe", errors)}
            value={timeframe}
            data-testid="feed-timeframe"
            onChange={(e) => {
              setTimeframe(e.target.value as FeedTimeframe);
              clear("timeframe");
            }}
          >
            {FEED_TIMEFRAMES.map((t) => (
              <option key={t} value={t}>
                {FEED_TIMEFRAME_LABELS[t]}
              </option>
            ))}
          </select>
          <FieldError uid={uid} field="timeframe" errors={errors} prefix="feed" />
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" data-testid="feed-start" disabled={busy}>
          {busy ? "Starting…" : "Start"}
        </button>
      </div>
    </form>
  );
}

/**
 * Start and follow CSV replays (which feed the paper broker's prices) and, with a
 * live broker, its live bars; the latest quotes.
 */
export function MarketData({
  replays,
  quotes,
  broker,
  onChanged,
}: {
  replays: Resource<ReplayStatus[]>;
  quotes: Resource<QuoteView[]>;
  /** The account's broker ("paper", "alpaca", "binance"); null until the account is loaded. */
  broker: string | null;
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
  const live = broker !== null && broker !== "paper";

  return (
    <section className="panel market-data" aria-labelledby={`${uid}-title`} data-testid="market-data">
      <h2 id={`${uid}-title`}>Market data</h2>
      {live ? (
        <p className="hint" data-testid="market-data-hint">
          Orders execute at {brokerName(broker)} at its own prices. Live bars from {brokerName(broker)}, or a CSV replay,
          feed the chart and the quotes here.
        </p>
      ) : (
        <p className="hint" data-testid="market-data-hint">
          Play a CSV of price bars as live market data. Paper orders fill against these prices: a market order fills at
          the latest price of its symbol, a limit order when the price reaches its limit.
        </p>
      )}
      {live && <LiveFeedForm key={broker} broker={broker} onStarted={onChanged} />}
      {live && <h3 className="subhead">CSV replay</h3>}
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

      <h3 className="subhead">{live ? "Replays and live bars" : "Replays"}</h3>
      {replays.error && (
        <p className="error-text" role="alert">
          Could not load the replays: {replays.error}
        </p>
      )}
      {list.length === 0 ? (
        <p className="empty small" data-testid="replays-empty">
          {live ? "No replay or live bars yet." : "No replay yet."}
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
          {live ? "No prices yet: start live bars or a replay." : "No prices yet: start a replay."}
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
