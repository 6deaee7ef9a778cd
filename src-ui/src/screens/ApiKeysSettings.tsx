import { useCallback, useEffect, useId, useState } from "react";
import type { FormEvent } from "react";
import type { ApiKey } from "../bindings/ApiKey";
import type { CreatedApiKey } from "../bindings/CreatedApiKey";
import { useBackend } from "../backend/context";
import { toBackendError } from "../backend/errors";
import { CopyButton } from "../chat/CopyButton";
import { Loading, Notice } from "../components/Notice";
import { useLoader } from "../data/AppData";

function formatWhen(iso: string | null): string {
  if (iso === null) return "never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function ApiKeyRow({ apiKey: k, onRevoked }: { apiKey: ApiKey; onRevoked(id: string): void }) {
  const backend = useBackend();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onRevoke = async () => {
    if (!confirming) {
      setConfirming(true);
      setError(null);
      return;
    }
    setBusy(true);
    try {
      await backend.revokeApiKey(k.id);
      onRevoked(k.id);
    } catch (e) {
      const err = toBackendError(e);
      // Revoked elsewhere already.
      if (err.code === "not_found") {
        onRevoked(k.id);
        return;
      }
      setError(err.message);
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <tr data-testid="api-key-row" data-api-key-id={k.id}>
      <th scope="row" data-testid="api-key-row-name">
        {k.name}
      </th>
      <td className="mono small" data-testid="api-key-prefix">
        {k.prefix}…
      </td>
      <td className="small">{formatWhen(k.created_at)}</td>
      <td className="small" data-testid="api-key-last-used">
        {formatWhen(k.last_used_at)}
      </td>
      <td className="row-actions">
        <button
          type="button"
          className={confirming ? "danger" : undefined}
          onClick={() => void onRevoke()}
          disabled={busy}
          data-testid="api-key-revoke"
          aria-label={confirming ? `Confirm revoke ${k.name}` : `Revoke ${k.name}`}
        >
          {busy ? "Revoking…" : confirming ? "Confirm revoke" : "Revoke"}
        </button>
        {confirming && !busy && (
          <button type="button" onClick={() => setConfirming(false)} data-testid="api-key-revoke-cancel">
            Keep
          </button>
        )}
        {error && (
          <p className="field-error" role="alert" data-testid="api-key-row-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

/** A key just made: shown this once, with a Copy button. */
function CreatedKey({ created, onDone }: { created: CreatedApiKey; onDone(): void }) {
  return (
    <div className="api-key-created" data-testid="api-key-created" role="status">
      <p>
        <strong>Key “{created.api_key.name}” made.</strong> Copy it now: <strong>you won’t see it again.</strong>
      </p>
      <div className="api-key-secret">
        <code className="mono break" data-testid="api-key-secret">
          {created.key}
        </code>
        <CopyButton text={created.key} testId="api-key-copy" />
      </div>
      <p className="hint">
        Send it as <code>Authorization: Bearer …</code> to the local server. Only its SHA-256 is stored.
      </p>
      <button type="button" onClick={onDone} data-testid="api-key-created-done">
        Done
      </button>
    </div>
  );
}

/** Keys for scripts and other apps besides the owner token: made, listed and revoked. */
export function ApiKeysSection() {
  const backend = useBackend();
  const load = useCallback(() => backend.listApiKeys(), [backend]);
  const [keys, refresh, put] = useLoader(load);
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const nameId = useId();

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const onCreate = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (creating) return;
    setNameError(null);
    setFormError(null);
    if (name.trim() === "") {
      setNameError("Give the key a name, e.g. the script or app that will use it.");
      return;
    }
    setCreating(true);
    try {
      const made = await backend.createApiKey({ name: name.trim() });
      setCreated(made);
      setName("");
      put((prev) => [...(prev ?? []).filter((k) => k.id !== made.api_key.id), made.api_key]);
    } catch (err) {
      const be = toBackendError(err);
      if (be.field === "name") setNameError(be.message);
      else setFormError(be.message);
    } finally {
      setCreating(false);
    }
  };

  const list = keys.data;
  return (
    <section className="settings-section" aria-labelledby="api-keys-title">
      <div className="section-header">
        <h2 id="api-keys-title">API keys</h2>
      </div>
      <p className="muted">
        Keys let scripts and other apps use the local server (and its OpenAI-compatible API) without your owner token. Revoke one
        and it stops working at once.
      </p>

      <form className="api-key-form" onSubmit={(e) => void onCreate(e)} noValidate>
        {formError && (
          <p className="form-error" role="alert" data-testid="api-key-form-error">
            {formError}
          </p>
        )}
        <div className="field">
          <label htmlFor={nameId}>Name</label>
          <div className="field-inline">
            <input
              id={nameId}
              name="name"
              type="text"
              data-testid="api-key-name"
              placeholder="e.g. Home Assistant"
              maxLength={100}
              value={name}
              readOnly={creating}
              aria-invalid={nameError !== null}
              aria-describedby={nameError ? `${nameId}-error` : undefined}
              onChange={(e) => {
                setName(e.target.value);
                setNameError(null);
              }}
            />
            <button type="submit" className="primary" data-testid="api-key-create" disabled={creating}>
              {creating ? "Creating…" : "Create key"}
            </button>
            {nameError && (
              <p className="field-error" role="alert" id={`${nameId}-error`} data-testid="api-key-name-error">
                {nameError}
              </p>
            )}
          </div>
        </div>
      </form>

      {created && <CreatedKey created={created} onDone={() => setCreated(null)} />}

      {keys.error && (
        <Notice tone="error" testId="api-keys-error">
          Could not load the API keys: {keys.error}{" "}
          <button type="button" onClick={() => void refresh()}>
            Retry
          </button>
        </Notice>
      )}
      {keys.loading && <Loading what="API keys" />}
      {list && list.length === 0 && (
        <p className="empty" data-testid="api-keys-empty">
          No API key yet.
        </p>
      )}
      {list && list.length > 0 && (
        <div className="table-wrap">
          <table className="providers-table api-keys-table" data-testid="api-key-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <ApiKeyRow
                  key={k.id}
                  apiKey={k}
                  onRevoked={(id) => {
                    put((prev) => (prev ?? []).filter((x) => x.id !== id));
                    if (created?.api_key.id === id) setCreated(null);
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
