import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Provider } from "../bindings/Provider";
import type { ServerView } from "../bindings/ServerView";
import { useBackend } from "../backend/context";
import { toBackendError } from "../backend/errors";
import { MaskedKey } from "../components/MaskedKey";
import { Loading, Notice } from "../components/Notice";
import { StatusDot } from "../components/StatusDot";
import { useAppData } from "../data/AppData";
import { kindLabel, MANAGER_LABELS } from "../labels";
import { ApiKeysSection } from "./ApiKeysSettings";
import { BrokerSection } from "./BrokerSettings";
import { ConversationsSection } from "./ConversationsSettings";
import { ProviderForm } from "./ProviderForm";
import { VoiceSection } from "./VoiceSettings";

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

/** Base URLs compared without surrounding spaces, trailing slashes or case. */
function sameBaseUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, "").toLowerCase();
  return norm(a) === norm(b);
}

/** `name`, or `name 2`, `name 3`… whichever no provider uses yet. */
export function uniqueProviderName(name: string, providers: readonly Provider[]): string {
  const taken = new Set(providers.map((p) => p.name.trim().toLowerCase()));
  if (!taken.has(name.trim().toLowerCase())) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name} ${n}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

const modelCount = (n: number) => `${n} ${n === 1 ? "model" : "models"}`;

function DetectedServerRow({
  server,
  providers,
  onAdded,
}: {
  server: DetectedServer;
  providers: readonly Provider[];
  onAdded(p: Provider): void;
}) {
  const backend = useBackend();
  const uid = useId();
  const [model, setModel] = useState(server.models[0] ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const alreadyAdded = providers.some((p) => sameBaseUrl(p.base_url, server.base_url));
  const noModel = server.models.length === 0;

  const onAdd = async () => {
    if (busy || alreadyAdded || model === "") return;
    setBusy(true);
    setError(null);
    try {
      const created = await backend.addProvider({
        name: uniqueProviderName(server.name, providers),
        kind: "openai",
        base_url: server.base_url,
        model,
      });
      onAdded(created);
    } catch (e) {
      setError(toBackendError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="list-item detected-server" data-testid="detected-server">
      <div className="detected-info">
        <strong data-testid="detected-name">{server.name}</strong>{" "}
        <span className="mono small break" data-testid="detected-base-url">
          {server.base_url}
        </span>{" "}
        <span className="muted small" data-testid="detected-count">
          · {modelCount(server.models.length)}
        </span>
      </div>
      <div className="detected-actions">
        {noModel ? (
          <span className="muted small" data-testid="detected-no-model">
            No model available: load one in the server first.
          </span>
        ) : (
          <>
            <label htmlFor={`${uid}-model`} className="visually-hidden">
              Model for {server.name}
            </label>
            <select
              id={`${uid}-model`}
              data-testid="detected-model"
              value={model}
              disabled={busy || alreadyAdded}
              onChange={(e) => setModel(e.target.value)}
            >
              {server.models.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </>
        )}
        {alreadyAdded ? (
          <span className="muted small" data-testid="detected-already">
            already added
          </span>
        ) : (
          <button
            type="button"
            className="primary"
            data-testid="detected-add"
            disabled={busy || noModel}
            aria-label={`Add ${server.name}`}
            onClick={() => void onAdd()}
          >
            {busy ? "Adding…" : "Add"}
          </button>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="detected-error">
          {error}
        </p>
      )}
    </li>
  );
}

export type DetectState =
  | { kind: "idle" }
  | { kind: "probing" }
  | { kind: "done"; servers: DetectedServer[] }
  | { kind: "error"; message: string };

function DetectedServers({
  state,
  providers,
  onRetry,
  onClose,
  onAdded,
}: {
  state: DetectState;
  providers: readonly Provider[];
  onRetry(): void;
  onClose(): void;
  onAdded(p: Provider): void;
}) {
  if (state.kind === "idle") return null;
  if (state.kind === "probing") {
    return (
      <p className="loading" role="status" aria-live="polite" data-testid="detect-probing">
        Looking for Ollama, llama.cpp and LM Studio…
      </p>
    );
  }
  if (state.kind === "error") {
    return (
      <Notice tone="error" testId="detect-error">
        Could not look for local servers: {state.message}{" "}
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      </Notice>
    );
  }
  return (
    <div className="panel detected-panel" data-testid="detected-list">
      <div className="section-header">
        <h3>Local servers</h3>
        <button type="button" className="link-button" onClick={onClose} data-testid="detect-close">
          Close
        </button>
      </div>
      {state.servers.length === 0 ? (
        <p className="empty" role="status" data-testid="detect-none">
          No local server found on the usual ports (Ollama 11434, llama.cpp 8080, LM Studio 1234).
        </p>
      ) : (
        <ul className="plain-list">
          {state.servers.map((s) => (
            <DetectedServerRow key={s.base_url} server={s} providers={providers} onAdded={onAdded} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ProvidersSection() {
  const backend = useBackend();
  const { providers, refreshProviders, refreshHealth } = useAppData();
  const [mode, setMode] = useState<FormMode>({ kind: "closed" });
  const [detect, setDetect] = useState<DetectState>({ kind: "idle" });
  // Providers added from the detected list since `providers` was last loaded (`base`).
  const [justAdded, setJustAdded] = useState<{ base: Provider[] | null; list: Provider[] }>({ base: null, list: [] });
  const detectSeq = useRef(0);
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

  const runDetect = async () => {
    const mine = ++detectSeq.current;
    setDetect({ kind: "probing" });
    try {
      const servers = await backend.detectLocalServers();
      if (mine === detectSeq.current) setDetect({ kind: "done", servers });
    } catch (e) {
      if (mine === detectSeq.current) setDetect({ kind: "error", message: toBackendError(e).message });
    }
  };

  // Until the list is refreshed, count what was just added so names and "already added" stay right.
  const known = providers.data ?? [];
  const knownIds = new Set(known.map((p) => p.id));
  const pending = justAdded.base === providers.data ? justAdded.list.filter((p) => !knownIds.has(p.id)) : [];
  const allProviders = [...known, ...pending];

  return (
    <section className="settings-section" aria-labelledby="providers-title">
      <div className="section-header">
        <h2 id="providers-title">AI providers</h2>
        <div className="section-actions">
          <button
            type="button"
            data-testid="detect-local"
            onClick={() => void runDetect()}
            disabled={detect.kind === "probing"}
          >
            {detect.kind === "probing" ? "Detecting…" : "Detect local servers"}
          </button>
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
      </div>
      <p className="muted">
        Keys are stored in your keychain and never leave this machine except to call the provider.
      </p>

      <DetectedServers
        state={detect}
        providers={allProviders}
        onRetry={() => void runDetect()}
        onClose={() => {
          detectSeq.current++;
          setDetect({ kind: "idle" });
        }}
        onAdded={(p) => {
          const base = providers.data;
          setJustAdded((prev) => ({ base, list: prev.base === base ? [...prev.list, p] : [p] }));
          changed();
        }}
      />

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
      <BrokerSection />
      <VoiceSection />
      <ServerSection />
      <ApiKeysSection />
      <ConversationsSection />
    </>
  );
}
