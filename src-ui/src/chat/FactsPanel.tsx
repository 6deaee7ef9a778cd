import { useCallback, useEffect, useId, useState } from "react";
import type { FormEvent } from "react";
import type { Fact } from "../bindings/Fact";
import { useBackend } from "../backend/context";
import { errorMessage, toBackendError } from "../backend/errors";
import { Notice } from "../components/Notice";
import { useAppData, useLoader } from "../data/AppData";
import { factSourceLabel } from "../labels";

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

function FactRow({ fact, onDelete }: { fact: Fact; onDelete(id: string): Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await onDelete(fact.id);
      // This row is gone now.
    } catch (e) {
      setError(errorMessage(e));
      setConfirming(false);
      setBusy(false);
    }
  };

  const when = formatDate(fact.created_at);
  return (
    <li className="fact" data-testid="fact-row" data-fact-id={fact.id}>
      <div className="fact-row">
        <span className="fact-text">{fact.text}</span>
        {!confirming && (
          <button
            type="button"
            className="link-button small"
            data-testid="fact-delete"
            aria-label={`Forget “${fact.text}”`}
            onClick={() => {
              setConfirming(true);
              setError(null);
            }}
          >
            Forget
          </button>
        )}
      </div>
      <span className="hint">
        {factSourceLabel(fact.source)}
        {when && ` · ${when}`}
      </span>
      {confirming && (
        <div className="fact-confirm" role="group" aria-label="Forget this fact?">
          <span className="small">Forget this?</span>
          <button
            type="button"
            className="danger small-button"
            data-testid="fact-delete-confirm"
            onClick={() => void remove()}
            disabled={busy}
            autoFocus
            onKeyDown={(e) => {
              if (e.key === "Escape") setConfirming(false);
            }}
          >
            {busy ? "Forgetting…" : "Forget"}
          </button>
          <button type="button" className="small-button" data-testid="fact-delete-cancel" onClick={() => setConfirming(false)} disabled={busy}>
            Keep
          </button>
        </div>
      )}
      {error && (
        <p className="field-error small" role="alert" data-testid="fact-error">
          Could not forget it: {error}
        </p>
      )}
    </li>
  );
}

/** The pinned facts given to every request: listed, added and forgotten. Collapsed until opened. */
export function FactsPanel() {
  const backend = useBackend();
  const { listen, resyncs } = useAppData();
  const load = useCallback(() => backend.listFacts(), [backend]);
  const [facts, refresh, put] = useLoader(load);
  const [text, setText] = useState("");
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  const inputId = useId();

  useEffect(() => {
    void refresh();
  }, [refresh, resyncs]);

  useEffect(
    () =>
      listen((ev) => {
        if (ev.type === "facts_changed") void refresh();
      }),
    [listen, refresh],
  );

  const onAdd = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === "" || adding) return;
    setAdding(true);
    setAddError(null);
    try {
      const created = await backend.addFact(text.trim());
      put((prev) => [created, ...(prev ?? []).filter((f) => f.id !== created.id)]);
      setText("");
    } catch (err) {
      setAddError(toBackendError(err).message);
    } finally {
      setAdding(false);
    }
  };

  const onDelete = useCallback(
    async (id: string) => {
      try {
        await backend.deleteFact(id);
      } catch (e) {
        // Already forgotten elsewhere: the list is simply out of date.
        if (toBackendError(e).code !== "not_found") throw e;
      }
      put((prev) => (prev ?? []).filter((f) => f.id !== id));
    },
    [backend, put],
  );

  const list = facts.data;
  return (
    <details className="facts-panel" data-testid="facts-panel">
      <summary>
        Remembered{list && list.length > 0 && <span className="muted"> ({list.length})</span>}
      </summary>
      <p className="hint">Jarvis gives these to every question. Say “remember that…” in chat, or add one here.</p>
      <form className="fact-form" onSubmit={(e) => void onAdd(e)}>
        <label htmlFor={inputId} className="visually-hidden">
          A fact to remember
        </label>
        <input
          id={inputId}
          type="text"
          data-testid="fact-input"
          placeholder="e.g. My dog is called Rex"
          value={text}
          maxLength={1000}
          readOnly={adding}
          aria-invalid={addError !== null}
          aria-describedby={addError ? `${inputId}-error` : undefined}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="small-button" data-testid="fact-add" disabled={adding || text.trim() === ""}>
          {adding ? "Adding…" : "Add"}
        </button>
      </form>
      {addError && (
        <p className="field-error small" role="alert" id={`${inputId}-error`} data-testid="fact-add-error">
          {addError}
        </p>
      )}
      {facts.error && (
        <Notice tone="error" testId="facts-error">
          Could not load the facts: {facts.error}{" "}
          <button type="button" className="link-button" onClick={() => void refresh()}>
            Retry
          </button>
        </Notice>
      )}
      {list && list.length === 0 && (
        <p className="empty small" data-testid="facts-empty">
          Nothing remembered yet.
        </p>
      )}
      {list && list.length > 0 && (
        <ul className="fact-list" aria-label="Remembered facts">
          {list.map((f) => (
            <FactRow key={f.id} fact={f} onDelete={onDelete} />
          ))}
        </ul>
      )}
    </details>
  );
}
