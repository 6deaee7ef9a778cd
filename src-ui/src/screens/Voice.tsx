import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent, KeyboardEvent as ReactKeyboardEvent, PointerEvent as ReactPointerEvent } from "react";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import type { HotkeyMode } from "../bindings/HotkeyMode";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { ListenTimings } from "../bindings/ListenTimings";
import type { VoiceOutcome } from "../bindings/VoiceOutcome";
import type { VoiceRun } from "../bindings/VoiceRun";
import { Notice } from "../components/Notice";
import { useAppData, useLoader } from "../data/AppData";
import { routeHref } from "../hooks/useHashRoute";
import type { Route } from "../hooks/useHashRoute";
import { describeIntent, formatMs, LATENCY_STAGES, listenStateLabel, listenTriggerLabel } from "../labels";
import { formatTime } from "../trading/format";

const SCREENS: readonly string[] = ["dashboard", "chat", "trading", "voice", "settings"];

/** Where the Voice screen sends the user to fix the hotkey, the microphone or the model. */
export const VOICE_SETTINGS_HREF = "#/settings/voice";

/** What the screen shows as "the last command": a spoken run (with its outcome) or a typed command's outcome. */
interface Latest {
  run: VoiceRun | null;
  outcome: VoiceOutcome | null;
}

const isTalkKey = (e: ReactKeyboardEvent) => e.key === " " || e.key === "Enter";
/** Space or Enter alone: a chord such as Ctrl+Alt+Space is the global hotkey, not this button. */
const isTalkPress = (e: ReactKeyboardEvent) => isTalkKey(e) && !e.ctrlKey && !e.altKey && !e.metaKey;

function Latencies({ ms }: { ms: ListenTimings }) {
  return (
    <div className="voice-latency" data-testid="voice-latency">
      <p className="voice-latency-main">
        Key up → text <strong data-testid="voice-latency-key-up">{formatMs(ms.key_up_to_text)}</strong>
      </p>
      <dl className="voice-stages">
        {LATENCY_STAGES.map((s) => (
          <div key={s.key}>
            <dt>{s.label}</dt>
            <dd data-testid={`voice-latency-${s.key}`}>{formatMs(ms[s.key])}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function OutcomeView({
  outcome,
  busy,
  showIntent,
  onConfirm,
}: {
  outcome: VoiceOutcome;
  busy: boolean;
  showIntent: boolean;
  onConfirm(id: string): void;
}) {
  return (
    <div className="voice-outcome-body" data-testid="voice-outcome" data-status={outcome.status}>
      <p>{outcome.message}</p>
      {showIntent && outcome.intent && (
        <p className="muted">
          Understood as <code data-testid="voice-intent">{JSON.stringify(outcome.intent)}</code>
        </p>
      )}
      {outcome.status === "needs_confirmation" && outcome.confirmation_id && (
        <button
          type="button"
          className="primary"
          data-testid="voice-confirm"
          disabled={busy}
          onClick={() => onConfirm(outcome.confirmation_id as string)}
        >
          Confirm
        </button>
      )}
      {outcome.status === "for_chat" && (
        <p className="muted">
          This is not a command: ask it in <a href={routeHref("chat")}>Chat</a>.
        </p>
      )}
    </div>
  );
}

function RunCard({ latest, busy, onConfirm }: { latest: Latest & { run: VoiceRun }; busy: boolean; onConfirm(id: string): void }) {
  const { run, outcome } = latest;
  return (
    <section className="card voice-run" data-testid="voice-run" aria-labelledby="voice-run-title">
      <h2 id="voice-run-title">Last spoken command</h2>
      {run.text ? (
        <p className="voice-transcript" data-testid="voice-transcript">
          “{run.text}”
        </p>
      ) : (
        <p className="muted" data-testid="voice-transcript">
          Nothing was heard.
        </p>
      )}
      {run.error && (
        <p className="error-text" data-testid="voice-run-error">
          {run.error}
        </p>
      )}
      {run.intent && (
        <p>
          Understood as <strong data-testid="voice-run-intent">{describeIntent(run.intent)}</strong>{" "}
          <code className="small">{JSON.stringify(run.intent)}</code>
        </p>
      )}
      {outcome && <OutcomeView outcome={outcome} busy={busy} showIntent={!run.intent} onConfirm={onConfirm} />}
      {run.spoken && <p className="muted small">The reply was read aloud.</p>}
      <Latencies ms={run.ms} />
      <p className="muted small">
        {formatMs(run.audio_ms)} of audio from {run.device || "the default microphone"}.
      </p>
    </section>
  );
}

/** Notes on what push-to-talk needs: the hotkey, a speech model, a working microphone. */
function StatusNotes({ status, mode, pttError }: { status: ListenStatus; mode: HotkeyMode | null; pttError: string | null }) {
  return (
    <div className="voice-notes" data-testid="voice-notes">
      {status.hotkey_error ? (
        <p className="error-text" data-testid="voice-hotkey-error">
          The hotkey could not be registered: {status.hotkey_error}. Choose another in{" "}
          <a href={VOICE_SETTINGS_HREF}>Settings → Voice</a>.
        </p>
      ) : status.hotkey ? (
        <p data-testid="voice-hotkey-note">
          Hotkey <kbd>{status.hotkey}</kbd>:{" "}
          {mode === "toggle"
            ? "press it once to start listening and again to stop, from any app."
            : "hold it while you speak, from any app; Jarvis acts when you let go."}
        </p>
      ) : (
        <p className="muted" data-testid="voice-hotkey-note">
          No global hotkey here: the desktop app registers one. Use the button above.
        </p>
      )}
      {!status.model_installed && (
        <Notice tone="error" testId="voice-model-missing">
          No speech model is installed{status.model ? ` (looked for ${status.model})` : ""}, so nothing can be transcribed.{" "}
          <a href={VOICE_SETTINGS_HREF} data-testid="voice-model-settings">
            Download or import one in Settings → Voice
          </a>
          .
        </Notice>
      )}
      {status.error && !pttError && (
        <p className="error-text" data-testid="voice-capture-error">
          The last capture failed: {status.error}
        </p>
      )}
    </div>
  );
}

/**
 * Spoken commands: hold the push-to-talk button (or the global hotkey) and
 * speak; Jarvis transcribes, works out the command and acts. Commands can also
 * be typed: the same parser and the same rule apply (a trade never runs on the
 * command alone, it waits for Confirm).
 */
export function Voice() {
  const backend = useBackend();
  const { listen, resyncs } = useAppData();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [latest, setLatest] = useState<Latest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<{ said: string; outcome: VoiceOutcome }[]>([]);

  // Push-to-talk.
  const [status, refreshStatus, putStatus] = useLoader(useCallback(() => backend.voiceStatus(), [backend]));
  const [runs, refreshRuns, putRuns] = useLoader(useCallback(() => backend.voiceHistory(), [backend]));
  const [settings, refreshSettings] = useLoader(useCallback(() => backend.getVoiceSettings(), [backend]));
  /**
   * The state as the last voice_state event said; it wins over a status answer
   * (which may be older) until the event stream reconnects (`resyncs` moves on).
   */
  const [stateEvent, setStateEvent] = useState<{ state: string; resync: number } | null>(null);
  const [level, setLevel] = useState(0);
  const [pttError, setPttError] = useState<string | null>(null);
  const [held, setHeld] = useState(false);
  const [stopping, setStopping] = useState(false);

  /** The press in progress: its start call, answered true when the microphone opened. */
  const press = useRef<Promise<boolean> | null>(null);
  const stoppingRef = useRef(false);
  /** Runs already shown (and navigated for), by id. */
  const shown = useRef(new Set<string>());
  /** Counts voice_state events, to tell whether a status answer is older than the last one. */
  const stateEvents = useRef(0);

  const follow = useCallback((outcome: VoiceOutcome | null) => {
    if (outcome?.status === "navigate" && outcome.screen && SCREENS.includes(outcome.screen)) {
      window.location.hash = routeHref(outcome.screen as Route);
    }
  }, []);

  const showRun = useCallback(
    (run: VoiceRun) => {
      if (shown.current.has(run.id)) return;
      shown.current.add(run.id);
      setLatest({ run, outcome: run.outcome });
      putRuns((prev) => [run, ...(prev ?? []).filter((r) => r.id !== run.id)]);
      follow(run.outcome);
    },
    [follow, putRuns],
  );

  useEffect(() => {
    void refreshStatus();
    void refreshSettings();
    void refreshRuns();
  }, [refreshStatus, refreshSettings, refreshRuns]);

  // After the event stream reconnects, events may have been missed: read everything again.
  useEffect(() => {
    if (resyncs === 0) return;
    void refreshStatus();
    void refreshSettings();
    void refreshRuns();
  }, [resyncs, refreshStatus, refreshSettings, refreshRuns]);

  useEffect(
    () =>
      listen((ev) => {
        switch (ev.type) {
          case "voice_state":
            stateEvents.current++;
            setStateEvent({ state: ev.state, resync: resyncs });
            if (ev.state !== "listening") setLevel(0);
            // The device, the hotkey or the last error may have changed with it.
            void refreshStatus();
            break;
          case "voice_level":
            setLevel(Math.min(1, Math.max(0, ev.level)));
            break;
          case "voice_finished":
            void backend.voiceHistory().then(
              (list) => {
                putRuns(() => list);
                const run = list.find((r) => r.id === ev.run_id);
                if (run) showRun(run);
              },
              () => void refreshRuns(),
            );
            break;
          case "voice_settings_changed":
            void refreshStatus();
            void refreshSettings();
            break;
          default:
            break;
        }
      }),
    [listen, backend, resyncs, refreshStatus, refreshSettings, refreshRuns, putRuns, showRun],
  );

  const listenState = stateEvent && stateEvent.resync === resyncs ? stateEvent.state : (status.data?.state ?? "idle");
  const mode: HotkeyMode | null = settings.data?.mode ?? null;

  const startPress = () => {
    if (press.current || stoppingRef.current) return;
    setPttError(null);
    setHeld(true);
    press.current = backend.listenStart().then(
      (s) => {
        putStatus(() => s);
        setStateEvent({ state: s.state, resync: resyncs });
        return true;
      },
      (e: unknown) => {
        setPttError(errorMessage(e));
        void refreshStatus();
        return false;
      },
    );
  };

  const endPress = () => {
    const started = press.current;
    if (!started) return;
    press.current = null;
    setHeld(false);
    stoppingRef.current = true;
    setStopping(true);
    void (async () => {
      try {
        // A quick tap may let go before the microphone has even opened.
        if (!(await started)) return;
        showRun(await backend.listenStop());
        // Idle, or speaking the reply: read it rather than only wait for the event
        // (unless an event newer than this answer has come in meanwhile).
        const seen = stateEvents.current;
        backend.voiceStatus().then(
          (s) => {
            putStatus(() => s);
            if (seen === stateEvents.current) setStateEvent(null);
          },
          () => {
            // The events still tell the state.
          },
        );
      } catch (e) {
        setPttError(errorMessage(e));
        void refreshStatus();
      } finally {
        stoppingRef.current = false;
        setStopping(false);
      }
    })();
  };

  // Leaving the screen while holding the button still ends the capture.
  const endPressRef = useRef(endPress);
  useEffect(() => {
    endPressRef.current = endPress;
  });
  useEffect(() => () => endPressRef.current(), []);

  const onPointerDown = (e: ReactPointerEvent<HTMLButtonElement>) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    // No text selection or long-press menu while holding.
    e.preventDefault();
    e.currentTarget.focus();
    startPress();
  };

  const onKeyDown = (e: ReactKeyboardEvent<HTMLButtonElement>) => {
    if (!isTalkPress(e)) return;
    e.preventDefault();
    if (e.repeat) return;
    startPress();
  };

  const onKeyUp = (e: ReactKeyboardEvent<HTMLButtonElement>) => {
    if (!isTalkKey(e)) return;
    e.preventDefault();
    endPress();
  };

  const run = async (action: () => Promise<VoiceOutcome>, said: string, keepRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      setLatest((prev) => ({ run: keepRun ? (prev?.run ?? null) : null, outcome: result }));
      setHistory((h) => [{ said, outcome: result }, ...h].slice(0, 20));
      follow(result);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = (id: string) => void run(() => backend.voiceConfirm(id), "confirm", true);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const said = text.trim();
    if (!said) {
      setError("Type a command first, e.g. “buy ten shares of apple”.");
      return;
    }
    void run(() => backend.voiceCommand(said), said, false);
    setText("");
  };

  const listening = listenState === "listening";
  const statusData = status.data;
  const runList = runs.data;
  const pct = listening ? Math.round(level * 100) : 0;
  const buttonLabel = held ? "Listening — let go to send" : stopping ? "Working…" : "Hold to talk";

  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Voice</h1>
      </header>
      <p className="lead">Say what you want Jarvis to do.</p>
      <p className="muted">
        For example “buy ten shares of apple”, “what is my profit and loss”, “activate the kill switch” or “open the
        trading screen”. A trade never runs on the command alone: it waits for Confirm.
      </p>

      <section className="panel voice-ptt" aria-label="Push to talk">
        <div className="voice-ptt-row">
          <button
            type="button"
            className={`ptt-button${held || listening ? " ptt-on" : ""}`}
            data-testid="ptt-button"
            data-state={listenState}
            aria-describedby="ptt-hint"
            onPointerDown={onPointerDown}
            onPointerUp={endPress}
            onPointerLeave={endPress}
            onPointerCancel={endPress}
            onKeyDown={onKeyDown}
            onKeyUp={onKeyUp}
            onBlur={endPress}
            onContextMenu={(e) => e.preventDefault()}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true" className="ptt-icon">
              <path d="M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3" />
            </svg>
            <span>{buttonLabel}</span>
          </button>
          <div className="voice-live">
            <p className="voice-state" data-testid="voice-state" data-state={listenState} role="status" aria-live="polite">
              {listenStateLabel(listenState)}
            </p>
            <label className="voice-level-label">
              <span className="small muted">Input level</span>
              <meter
                className="voice-level"
                data-testid="voice-level"
                min={0}
                max={1}
                value={listening ? level : 0}
                aria-valuetext={listening ? `${pct}%` : "not listening"}
              />
            </label>
          </div>
        </div>
        <p className="hint" id="ptt-hint">
          Hold the button — or Space or Enter while it has focus — while you speak, and let go to send.{" "}
          {mode === "toggle" ? (
            <span data-testid="voice-mode-hint">The hotkey is in toggle mode: press it once to start and again to stop.</span>
          ) : (
            <span data-testid="voice-mode-hint">
              Rather press once to start and again to stop? Switch the hotkey to toggle mode in{" "}
              <a href={VOICE_SETTINGS_HREF}>Settings → Voice</a>.
            </span>
          )}
        </p>
        {pttError && (
          <p role="alert" className="field-error" data-testid="voice-ptt-error">
            {pttError}
          </p>
        )}
        {status.error && (
          <p className="error-text" data-testid="voice-status-error">
            Could not read the push-to-talk status: {status.error}
          </p>
        )}
        {statusData && <StatusNotes status={statusData} mode={mode} pttError={pttError} />}
      </section>

      <form className="voice-form" onSubmit={onSubmit}>
        <label htmlFor="voice-text">Or type a command</label>
        <div className="input-with-action">
          <input
            id="voice-text"
            data-testid="voice-text"
            type="text"
            autoComplete="off"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="buy ten shares of apple"
          />
          <button type="submit" disabled={busy} data-testid="voice-send">
            {busy ? "Working…" : "Send"}
          </button>
        </div>
      </form>

      {error && (
        <p role="alert" className="field-error" data-testid="voice-error">
          {error}
        </p>
      )}

      <div aria-live="polite">
        {latest?.run ? (
          <RunCard latest={{ ...latest, run: latest.run }} busy={busy} onConfirm={confirm} />
        ) : (
          latest?.outcome && (
            <section className="card voice-outcome">
              <OutcomeView outcome={latest.outcome} busy={busy} showIntent onConfirm={confirm} />
            </section>
          )
        )}
      </div>

      {history.length > 0 && (
        <section className="card voice-section">
          <h2>Typed commands</h2>
          <ul className="voice-history" data-testid="voice-history">
            {history.map((h, i) => (
              <li key={i}>
                <strong>{h.said}</strong> — {h.outcome.message}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="card voice-section" aria-labelledby="voice-runs-title">
        <h2 id="voice-runs-title">Spoken commands</h2>
        {runs.error && (
          <p className="error-text" data-testid="voice-runs-error">
            Could not load the voice history: {runs.error}
          </p>
        )}
        {runList && runList.length === 0 && (
          <p className="empty" data-testid="voice-runs-empty">
            Nothing said yet: hold the button or the hotkey and speak.
          </p>
        )}
        {runList && runList.length > 0 && (
          <ol className="voice-runs" data-testid="voice-runs">
            {runList.map((r) => (
              <li key={r.id} data-testid="voice-run-item" data-run-id={r.id}>
                <span className="muted small">
                  {formatTime(r.at)} · {listenTriggerLabel(r.trigger)}
                </span>{" "}
                {r.text ? <strong>“{r.text}”</strong> : <span className="muted">nothing heard</span>}
                {r.outcome ? ` — ${r.outcome.message}` : r.error ? ` — ${r.error}` : ""}{" "}
                <span className="muted small">· key up → text {formatMs(r.ms.key_up_to_text)}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
