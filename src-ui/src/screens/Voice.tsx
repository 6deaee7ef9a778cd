import { useState } from "react";
import type { FormEvent } from "react";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import type { VoiceOutcome } from "../bindings/VoiceOutcome";
import { routeHref } from "../hooks/useHashRoute";
import type { Route } from "../hooks/useHashRoute";

const SCREENS: readonly string[] = ["dashboard", "chat", "trading", "voice", "settings"];

/**
 * Spoken commands, typed for now: the same parser and the same confirmation
 * rule as speech (a trade never runs on the command alone). Push-to-talk and
 * the microphone are not built yet, and the screen says so.
 */
export function Voice() {
  const backend = useBackend();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<VoiceOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<{ said: string; outcome: VoiceOutcome }[]>([]);

  const run = async (action: () => Promise<VoiceOutcome>, said: string) => {
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      setOutcome(result);
      setHistory((h) => [{ said, outcome: result }, ...h].slice(0, 20));
      if (result.status === "navigate" && result.screen && SCREENS.includes(result.screen)) {
        window.location.hash = routeHref(result.screen as Route);
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const said = text.trim();
    if (!said) {
      setError("Type a command first, e.g. “buy ten shares of apple”.");
      return;
    }
    void run(() => backend.voiceCommand(said), said);
    setText("");
  };

  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Voice</h1>
      </header>
      <p className="lead">Say what you want Jarvis to do — for now, type it.</p>
      <p className="muted">
        Push-to-talk and the microphone are not built yet. Commands typed here go through the same parser as speech:
        “buy ten shares of apple”, “what is my profit and loss”, “activate the kill switch”, “open the trading screen”.
        A trade never runs on the command alone: it waits for Confirm.
      </p>

      <form className="voice-form" onSubmit={onSubmit}>
        <label htmlFor="voice-text">Command</label>
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

      {outcome && (
        <section className="card voice-outcome" data-testid="voice-outcome" aria-live="polite">
          <p>{outcome.message}</p>
          {outcome.intent && (
            <p className="muted">
              Understood as <code data-testid="voice-intent">{JSON.stringify(outcome.intent)}</code>
            </p>
          )}
          {outcome.status === "needs_confirmation" && outcome.confirmation_id && (
            <button
              type="button"
              data-testid="voice-confirm"
              disabled={busy}
              onClick={() => {
                const id = outcome.confirmation_id as string;
                void run(() => backend.voiceConfirm(id), "confirm");
              }}
            >
              Confirm
            </button>
          )}
          {outcome.status === "for_chat" && (
            <p className="muted">
              This is not a command: ask it in <a href={routeHref("chat")}>Chat</a>.
            </p>
          )}
        </section>
      )}

      {history.length > 0 && (
        <section className="card">
          <h2>History</h2>
          <ul className="voice-history" data-testid="voice-history">
            {history.map((h, i) => (
              <li key={i}>
                <strong>{h.said}</strong> — {h.outcome.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
