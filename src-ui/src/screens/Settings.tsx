import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { Provider } from "../bindings/Provider";
import type { ServerView } from "../bindings/ServerView";
import { useBackend } from "../backend/context";
import { toBackendError } from "../backend/errors";
import { MaskedKey } from "../components/MaskedKey";
import { Loading, Notice } from "../components/Notice";
import { StatusDot } from "../components/StatusDot";
import { useAppData } from "../data/AppData";
import { kindLabel, MANAGER_LABELS } from "../labels";
import { ProviderForm } from "./ProviderForm";

type FormMode = { kind: "closed" } | { kind: "add" } | { kind: "edit"; id: string };

function ProviderRow({
  provider,
  disabled,
  onEdit,
  onRemoved,
}: {
  provider: Provider;
  disabled: boolean;
  onEdit(): void;
  onRemoved(): void;
}) {
  const backend = useBackend();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onRemoveClick = async () => {
    if (!confirming) {
      setConfirming(true);
      setError(null);
      return;
    }
    setBusy(true);
    try {
      await backend.removeProvider(provider.id);
      onRemoved();
    } catch (e) {
      setError(toBackendError(e).message);
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <tr data-testid="provider-row" data-provider-id={provider.id}>
      <th scope="row" data-testid="provider-name">
        {provider.name}
      </th>
      <td data-testid="provider-kind">{kindLabel(provider.kind)}</td>
      <td className="mono small break" data-testid="provider-base-url">
        {provider.base_url}
      </td>
      <td className="mono small" data-testid="provider-model">
        {provider.model}
      </td>
      <td>
        <MaskedKey provider={provider} />
      </td>
      <td className="row-actions">
        <button type="button" onClick={onEdit} disabled={disabled || busy} data-testid="provider-edit" aria-label={`Edit ${provider.name}`}>
          Edit
        </button>
        <button
          type="button"
          className={confirming ? "danger" : undefined}
          onClick={() => void onRemoveClick()}
          disabled={busy}
          data-testid="provider-remove"
          aria-label={confirming ? `Confirm remove ${provider.name}` : `Remove ${provider.name}`}
        >
          {busy ? "Removing…" : confirming ? "Confirm remove" : "Remove"}
        </button>
        {confirming && !busy && (
          <button type="button" onClick={() => setConfirming(false)} data-testid="provider-remove-cancel">
            Keep
          </button>
        )}
        {error && (
          <p className="field-error" role="alert" data-testid="provider-row-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

function ProvidersSection() {
  const { providers, refreshProviders, refreshHealth } = useAppData();
  const [mode, setMode] = useState<FormMode>({ kind: "closed" });
  const formSlot = useRef<HTMLDivElement>(null);

  const editing = mode.kind === "edit" ? providers.data?.find((p) => p.id === mode.id) : undefined;
  const formOpen = mode.kind === "add" || (mode.kind === "edit" && editing !== undefined);

  useEffect(() => {
    if (!formOpen) return;
    const first = formSlot.current?.querySelector<HTMLInputElement>("input[name=name]");
    first?.focus();
    first?.scrollIntoView?.({ block: "nearest" });
  }, [formOpen, mode]);

  const changed = () => {
    void refreshProviders();
    void refreshHealth();
  };

  const close = () => setMode({ kind: "closed" });

  return (
    <section className="settings-section" aria-labelledby="providers-title">
      <div className="section-header">
        <h2 id="providers-title">AI providers</h2>
        <button
          type="button"
          className="primary"
          data-testid="add-provider"
          onClick={() => setMode({ kind: "add" })}
          disabled={mode.kind === "add"}
        >
          Add provider
        </button>
      </div>
      <p className="muted">
        Keys are stored in your keychain and never leave this machine except to call the provider.
      </p>

      <div ref={formSlot}>
        {formOpen && (
          <ProviderForm
            key={mode.kind === "edit" ? mode.id : "add"}
            provider={editing}
            onCancel={close}
            onSaved={() => {
              close();
              changed();
            }}
          />
        )}
      </div>

      {providers.error && (
        <Notice tone="error" testId="providers-error">
          Could not load your AI providers: {providers.error}{" "}
          <button type="button" onClick={() => void refreshProviders()}>
            Retry
          </button>
        </Notice>
      )}
      {providers.loading && <Loading what="AI providers" />}
      {providers.data && providers.data.length === 0 && (
        <p className="empty" data-testid="providers-empty">
          No AI provider yet: add one with the button above.
        </p>
      )}
      {providers.data && providers.data.length > 0 && (
        <div className="table-wrap">
          <table className="providers-table" data-testid="provider-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Base URL</th>
                <th scope="col">Model</th>
                <th scope="col">Key</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {providers.data.map((p) => (
                <ProviderRow
                  key={p.id}
                  provider={p}
                  disabled={false}
                  onEdit={() => setMode({ kind: "edit", id: p.id })}
                  onRemoved={() => {
                    if (mode.kind === "edit" && mode.id === p.id) close();
                    changed();
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

type ServerField = "enabled" | "listen";

function ServerForm({ view }: { view: ServerView }) {
  const backend = useBackend();
  const { setServerView } = useAppData();
  const uid = useId();
  // null = show the saved settings; otherwise the user's unsaved edits.
  const [draft, setDraft] = useState<{ enabled: boolean; listen: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [fieldError, setFieldError] = useState<{ field: ServerField; message: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const { settings, status } = view;
  const values = draft ?? settings;
  const managedElsewhere = status.managed_by === "jarvisd";
  const dirty = draft !== null && (draft.enabled !== settings.enabled || draft.listen !== settings.listen);

  const edit = (patch: Partial<typeof values>) => {
    setDraft({ ...values, ...patch });
    if (fieldError && fieldError.field in patch) setFieldError(null);
  };

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving || managedElsewhere) return;
    setFormError(null);
    setFieldError(null);
    if (values.listen.trim() === "") {
      setFieldError({ field: "listen", message: "Enter an address and port, e.g. 127.0.0.1:7878." });
      return;
    }
    setSaving(true);
    try {
      const next = await backend.setServer({ enabled: values.enabled, listen: values.listen.trim() });
      setServerView(next);
      setDraft(null);
    } catch (err) {
      const be = toBackendError(err);
      if (be.field === "listen" || be.field === "enabled") setFieldError({ field: be.field, message: be.message });
      else setFormError(be.message);
    } finally {
      setSaving(false);
    }
  };

  const errFor = (f: ServerField) =>
    fieldError?.field === f ? (
      <p className="field-error" id={`${uid}-${f}-error`} data-testid={`error-${f}`}>
        {fieldError.message}
      </p>
    ) : null;

  return (
    <form className="panel" onSubmit={(e) => void onSubmit(e)} noValidate data-testid="server-form" aria-labelledby="server-title">
      <div className="server-status" data-testid="server-status">
        {status.running ? (
          <>
            <StatusDot status="ok" label="running" />
            {status.url && (
              <>
                {" at "}
                <a href={status.url} target="_blank" rel="noreferrer" data-testid="server-url">
                  {status.url}
                </a>
              </>
            )}
          </>
        ) : (
          <StatusDot status={status.error ? "error" : "muted"} label={status.error ? "failed" : "stopped"} />
        )}
        <span className="muted"> · managed by {MANAGER_LABELS[status.managed_by] ?? status.managed_by}</span>
      </div>
      {status.error && (
        <p className="error-text" role="alert" data-testid="server-start-error">
          The server could not start: {status.error}
        </p>
      )}
      {managedElsewhere && (
        <p className="notice notice-info" data-testid="server-managed">
          This page is served by jarvisd at {status.url ?? settings.listen}; it runs until you stop that process.
        </p>
      )}
      {formError && (
        <div className="form-error" role="alert" data-testid="server-error">
          {formError}
        </div>
      )}
      <fieldset disabled={managedElsewhere || saving} className="bare">
        <legend className="visually-hidden">Local server settings</legend>
        <div className="field field-inline">
          <input
            id={`${uid}-enabled`}
            type="checkbox"
            name="enabled"
            data-testid="server-toggle"
            checked={values.enabled}
            aria-invalid={fieldError?.field === "enabled" ? true : undefined}
            aria-describedby={fieldError?.field === "enabled" ? `${uid}-enabled-error` : undefined}
            onChange={(e) => edit({ enabled: e.target.checked })}
          />
          <label htmlFor={`${uid}-enabled`}>Serve Jarvis in the browser on this machine</label>
          {errFor("enabled")}
        </div>
        <div className="field">
          <label htmlFor={`${uid}-listen`}>Listen address</label>
          <input
            id={`${uid}-listen`}
            name="listen"
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="127.0.0.1:7878"
            value={values.listen}
            aria-invalid={fieldError?.field === "listen" ? true : undefined}
            aria-describedby={[fieldError?.field === "listen" ? `${uid}-listen-error` : "", `${uid}-listen-hint`].join(" ").trim()}
            onChange={(e) => edit({ listen: e.target.value })}
          />
          <p className="hint" id={`${uid}-listen-hint`}>
            Keep <code>127.0.0.1</code> so only this machine can connect; other addresses expose Jarvis to your network.
          </p>
          {errFor("listen")}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="server-save" disabled={managedElsewhere || saving}>
            {saving ? "Saving…" : "Save"}
          </button>
          {dirty && (
            <button type="button" onClick={() => { setDraft(null); setFieldError(null); setFormError(null); }}>
              Discard changes
            </button>
          )}
        </div>
      </fieldset>
    </form>
  );
}

function ServerSection() {
  const { server, refreshServer } = useAppData();
  return (
    <section className="settings-section" aria-labelledby="server-title">
      <div className="section-header">
        <h2 id="server-title">Local server</h2>
      </div>
      <p className="muted">Lets you open Jarvis in a web browser. Every request needs your owner access token.</p>
      {server.error && (
        <Notice tone="error" testId="server-load-error">
          Could not load the server settings: {server.error}{" "}
          <button type="button" onClick={() => void refreshServer()}>
            Retry
          </button>
        </Notice>
      )}
      {server.loading && <Loading what="server settings" />}
      {server.data && <ServerForm view={server.data} />}
    </section>
  );
}

export function Settings() {
  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Settings</h1>
      </header>
      <ProvidersSection />
      <ServerSection />
    </>
  );
}
