import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent, KeyboardEvent } from "react";
import type { Provider } from "../bindings/Provider";
import { toBackendError } from "../backend/errors";
import { Loading, Notice } from "../components/Notice";
import { useAppData } from "../data/AppData";
import type { StreamingAnswer } from "../data/ChatData";
import { useChatData } from "../data/ChatData";
import { NoProviderYet } from "../screens/Dashboard";

export const COMPOSER_ID = "chat-composer-input";

/** Lines from the circuit breakers that are not closed: those providers are skipped for now. */
export function CircuitNotices() {
  const { circuits } = useChatData();
  const paused = (circuits.data ?? []).filter((c) => c.state !== "closed");
  if (paused.length === 0) return null;
  return (
    <ul className="circuit-notices" aria-label="Paused providers">
      {paused.map((c) => (
        <li key={c.provider_id} className="circuit-notice" data-testid="circuit-notice" data-state={c.state}>
          <span className="dot dot-warn" aria-hidden="true" /> {c.name} paused after repeated failures (
          {c.state === "half_open" ? "half-open: trying again" : c.state})
        </li>
      ))}
    </ul>
  );
}

/** The provider the picker shows: the chosen one while it exists, else the first; undefined when there is none. */
export function pickedProvider(list: Provider[] | null, chosen: string | null): string | undefined {
  if (list?.some((p) => p.id === chosen)) return chosen!;
  return list?.[0]?.id;
}

function ProviderPicker({ providers, value, onChange }: { providers: Provider[]; value: string; onChange(id: string): void }) {
  const id = useId();
  return (
    <div className="provider-picker">
      <label htmlFor={id} className="small muted">
        Ask<span className="visually-hidden"> this provider</span>
      </label>
      <select id={id} data-testid="provider-picker" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-hint`}>
        {providers.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} · {p.model}
          </option>
        ))}
      </select>
      <span id={`${id}-hint`} className="hint" data-testid="provider-hint">
        {providers.length > 1 ? "first; the others take over if it fails." : "— add another provider in Settings to have a fallback."}
      </span>
    </div>
  );
}

/** The message box, provider picker and Send/Stop. One instance per conversation (keyed by it). */
export function Composer({ draftKey, streaming }: { draftKey: string; streaming: StreamingAnswer | null }) {
  const { providers } = useAppData();
  const chat = useChatData();
  const [text, setTextState] = useState(() => chat.draft(draftKey));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [stopError, setStopError] = useState<string | null>(null);
  // The providers list the server said "no provider" against; a new list clears it.
  const [noProviderFor, setNoProviderFor] = useState<Provider[] | null | undefined>(undefined);
  const input = useRef<HTMLTextAreaElement>(null);

  const list = providers.data;
  const none = (list !== null && list.length === 0) || (noProviderFor !== undefined && noProviderFor === list);
  const pickerValue = pickedProvider(list, chat.providerId) ?? "";
  const disabled = none || providers.loading;
  const canSend = !disabled && !sending && streaming === null && text.trim() !== "";

  useEffect(() => {
    input.current?.focus();
  }, [draftKey]);

  const setText = (t: string) => {
    setTextState(t);
    chat.setDraft(draftKey, t);
  };

  const send = async () => {
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      await chat.send(text.trim(), pickerValue === "" ? undefined : pickerValue);
      setText("");
    } catch (e) {
      const err = toBackendError(e);
      if (err.code === "no_provider") setNoProviderFor(list);
      else setError(err.message);
    } finally {
      setSending(false);
      input.current?.focus();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void send();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const onStop = async () => {
    if (!streaming) return;
    setStopError(null);
    try {
      await chat.stop(streaming.messageId);
    } catch (e) {
      setStopError(toBackendError(e).message);
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit} aria-label="Send a message" data-testid="composer">
      <CircuitNotices />
      {none && (
        <div className="composer-blocked">
          <NoProviderYet />
        </div>
      )}
      {providers.loading && <Loading what="AI providers" />}
      {providers.error && !list && <Notice tone="error">Could not load your AI providers: {providers.error}</Notice>}
      {error && (
        <p className="form-error" role="alert" data-testid="send-error">
          Could not send: {error}
        </p>
      )}
      {stopError && (
        <p className="form-error" role="alert" data-testid="stop-error">
          Could not stop the answer: {stopError}
        </p>
      )}
      <div className="composer-box">
        <label htmlFor={COMPOSER_ID} className="visually-hidden">
          Message
        </label>
        <textarea
          id={COMPOSER_ID}
          ref={input}
          data-testid="chat-input"
          rows={2}
          placeholder={none ? "Add an AI provider in Settings to chat" : "Ask Jarvis…"}
          aria-describedby={`${COMPOSER_ID}-keys`}
          value={text}
          disabled={disabled}
          readOnly={sending}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <div className="composer-send">
          {streaming ? (
            <button
              type="button"
              className="stop-button"
              data-testid="chat-stop"
              onClick={() => void onStop()}
              disabled={streaming.stopping || streaming.finished}
            >
              <span className="stop-square" aria-hidden="true" /> {streaming.stopping ? "Stopping…" : "Stop"}
            </button>
          ) : (
            <button type="submit" className="primary" data-testid="chat-send" disabled={!canSend} aria-busy={sending}>
              {sending ? "Sending…" : "Send"}
            </button>
          )}
        </div>
      </div>
      <div className="composer-bar">
        {list && list.length > 0 && !none && (
          <ProviderPicker providers={list} value={pickerValue} onChange={(id) => chat.setProviderId(id)} />
        )}
        <span id={`${COMPOSER_ID}-keys`} className="hint composer-keys">
          Enter to send · Shift+Enter for a new line
        </span>
      </div>
    </form>
  );
}
