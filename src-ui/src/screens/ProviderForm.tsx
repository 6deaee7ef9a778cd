import { useId, useRef, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import type { NewProvider } from "../bindings/NewProvider";
import type { Provider } from "../bindings/Provider";
import type { ProviderKind } from "../bindings/ProviderKind";
import type { ProviderPatch } from "../bindings/ProviderPatch";
import { useBackend } from "../backend/context";
import { toBackendError } from "../backend/errors";
import { MaskedKey } from "../components/MaskedKey";
import { DEFAULT_BASE_URLS, KIND_LABELS, PROVIDER_KINDS } from "../labels";

export type FieldName = "name" | "kind" | "base_url" | "model" | "embedding_model" | "api_key";

interface Values {
  name: string;
  kind: ProviderKind;
  base_url: string;
  model: string;
  /** Empty: no recall by meaning through this provider. */
  embedding_model: string;
  api_key: string;
}

const DEFAULT_URL_SET = new Set<string>(Object.values(DEFAULT_BASE_URLS));

const LOCAL_HINT_URL = "http://127.0.0.1:11434/v1";

function initialValues(p: Provider | undefined): Values {
  if (p)
    return {
      name: p.name,
      kind: p.kind,
      base_url: p.base_url,
      model: p.model,
      embedding_model: p.embedding_model ?? "",
      api_key: "",
    };
  return { name: "", kind: "openai", base_url: DEFAULT_BASE_URLS.openai, model: "", embedding_model: "", api_key: "" };
}

/** The body for POST /providers. */
export function buildNewProvider(v: Values): NewProvider {
  const body: NewProvider = {
    name: v.name.trim(),
    kind: v.kind,
    base_url: v.base_url.trim(),
    model: v.model.trim(),
  };
  const embedding = v.embedding_model.trim();
  if (v.kind === "openai" && embedding !== "") body.embedding_model = embedding;
  const key = v.api_key.trim();
  if (key !== "") body.api_key = key;
  return body;
}

/** Only the fields that differ from `original`; an empty key means "keep the key". */
export function buildPatch(original: Provider, v: Values, replacingKey: boolean): ProviderPatch {
  const patch: ProviderPatch = {};
  if (v.name.trim() !== original.name) patch.name = v.name.trim();
  if (v.kind !== original.kind) patch.kind = v.kind;
  if (v.base_url.trim() !== original.base_url) patch.base_url = v.base_url.trim();
  if (v.model.trim() !== original.model) patch.model = v.model.trim();
  // Only OpenAI-compatible providers embed; the server drops the model for others.
  const embedding = v.kind === "openai" ? v.embedding_model.trim() : "";
  if (embedding !== (original.embedding_model ?? "")) patch.embedding_model = embedding;
  const key = v.api_key.trim();
  if (replacingKey && key !== "") patch.api_key = key;
  return patch;
}

function clientErrors(v: Values): Partial<Record<FieldName, string>> {
  const errs: Partial<Record<FieldName, string>> = {};
  if (v.name.trim() === "") errs.name = "Give the provider a name.";
  if (v.base_url.trim() === "")
    errs.base_url = v.kind === "local" ? "Enter the path of a .gguf model file." : "Enter the base URL of the API.";
  if (v.model.trim() === "") errs.model = "Enter the model to use.";
  return errs;
}

interface Props {
  /** The provider being edited; absent when adding one. */
  provider?: Provider;
  onSaved(p: Provider): void;
  onCancel(): void;
}

export function ProviderForm({ provider, onSaved, onCancel }: Props) {
  const backend = useBackend();
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>(() => initialValues(provider));
  const [replacingKey, setReplacingKey] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // Models the saved provider offers, fetched on demand (edit mode only).
  const [models, setModels] = useState<string[] | null>(null);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [loadingModels, setLoadingModels] = useState(false);

  const editing = provider !== undefined;
  const keyInputShown = !editing || replacingKey;
  const visibleFields: FieldName[] = [
    "name",
    "kind",
    "base_url",
    "model",
    ...(values.kind === "openai" ? (["embedding_model"] as const) : []),
    ...(keyInputShown ? (["api_key"] as const) : []),
  ];

  const set = (field: FieldName, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    if (fieldErrors[field]) setFieldErrors(({ [field]: _gone, ...rest }) => rest);
  };

  const onKindChange = (kind: ProviderKind) => {
    setValues((v) => {
      const url = v.base_url.trim();
      // Pre-fill the base URL unless the user typed their own.
      const untouched = url === "" || DEFAULT_URL_SET.has(url);
      return { ...v, kind, base_url: untouched ? DEFAULT_BASE_URLS[kind] : v.base_url };
    });
  };

  const focusField = (field: string) => {
    const el = formRef.current?.elements.namedItem(field);
    if (el instanceof HTMLElement) el.focus();
  };

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving) return;
    setFormError(null);
    const errs = clientErrors(values);
    const first = Object.keys(errs)[0];
    if (first) {
      setFieldErrors(errs);
      focusField(first);
      return;
    }
    setFieldErrors({});
    setSaving(true);
    try {
      let saved: Provider;
      if (provider) {
        const patch = buildPatch(provider, values, replacingKey);
        saved = Object.keys(patch).length === 0 ? provider : await backend.updateProvider(provider.id, patch);
      } else {
        saved = await backend.addProvider(buildNewProvider(values));
      }
      setSaving(false);
      onSaved(saved);
    } catch (err) {
      setSaving(false);
      const be = toBackendError(err);
      const field = be.field as FieldName | undefined;
      if (field && visibleFields.includes(field)) {
        setFieldErrors({ [field]: be.message });
        focusField(field);
      } else {
        setFormError(be.message);
      }
    }
  };

  const onLoadModels = async () => {
    if (!provider || loadingModels) return;
    setLoadingModels(true);
    setModelsError(null);
    try {
      setModels(await backend.providerModels(provider.id));
    } catch (err) {
      setModels(null);
      setModelsError(toBackendError(err).message);
    } finally {
      setLoadingModels(false);
    }
  };

  const modelsHintId = modelsError ? `${uid}-models-error` : models ? `${uid}-models-hint` : undefined;
  const hintIds: Partial<Record<FieldName, string>> = {
    kind: `${uid}-kind-hint`,
    api_key: `${uid}-api_key-hint`,
    embedding_model: `${uid}-embedding_model-hint`,
    model: modelsHintId,
  };
  const fieldProps = (field: FieldName) => {
    const err = fieldErrors[field];
    return {
      id: `${uid}-${field}`,
      name: field,
      "aria-invalid": err ? (true as const) : undefined,
      "aria-describedby": [err ? `${uid}-${field}-error` : null, hintIds[field] ?? null].filter(Boolean).join(" ") || undefined,
    };
  };

  const fieldError = (field: FieldName): ReactNode =>
    fieldErrors[field] ? (
      <p className="field-error" id={`${uid}-${field}-error`} data-testid={`error-${field}`}>
        {fieldErrors[field]}
      </p>
    ) : null;

  const title = editing ? `Edit ${provider.name}` : "Add provider";

  return (
    <form
      ref={formRef}
      className="panel provider-form"
      data-testid="provider-form"
      aria-labelledby={`${uid}-title`}
      noValidate
      onSubmit={(e) => void onSubmit(e)}
    >
      <h3 id={`${uid}-title`}>{title}</h3>
      {formError && (
        <div className="form-error" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}

      <div className="field">
        <label htmlFor={`${uid}-name`}>Name</label>
        <input
          {...fieldProps("name")}
          type="text"
          required
          autoComplete="off"
          placeholder="e.g. Local Ollama"
          value={values.name}
          onChange={(e) => set("name", e.target.value)}
        />
        {fieldError("name")}
      </div>

      <div className="field">
        <label htmlFor={`${uid}-kind`}>Kind</label>
        <select {...fieldProps("kind")} value={values.kind} onChange={(e) => onKindChange(e.target.value as ProviderKind)}>
          {PROVIDER_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
        <p className="hint" id={`${uid}-kind-hint`}>
          Ollama, llama.cpp and LM Studio are OpenAI-compatible: choose that kind and use their local address,
          e.g. <code>{LOCAL_HINT_URL}</code>.
        </p>
        {fieldError("kind")}
      </div>

      <div className="field">
        <label htmlFor={`${uid}-base_url`}>{values.kind === "local" ? "Model file (.gguf)" : "Base URL"}</label>
        <input
          {...fieldProps("base_url")}
          type={values.kind === "local" ? "text" : "url"}
          inputMode={values.kind === "local" ? "text" : "url"}
          required
          autoComplete="off"
          spellCheck={false}
          placeholder={values.kind === "local" ? "/home/you/models/qwen2.5-0.5b-instruct.gguf" : DEFAULT_BASE_URLS[values.kind]}
          value={values.base_url}
          onChange={(e) => set("base_url", e.target.value)}
        />
        {fieldError("base_url")}
      </div>

      <div className="field">
        <label htmlFor={`${uid}-model`}>Model</label>
        <div className="input-with-action">
          <input
            {...fieldProps("model")}
            type="text"
            required
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. llama3.1:8b"
            list={models ? `${uid}-models` : undefined}
            value={values.model}
            onChange={(e) => set("model", e.target.value)}
          />
          {editing && (
            <button
              type="button"
              data-testid="load-models"
              disabled={loadingModels}
              title="Ask the saved provider which models it offers"
              onClick={() => void onLoadModels()}
            >
              {loadingModels ? "Loading…" : "Load models"}
            </button>
          )}
        </div>
        {models && (
          <>
            <datalist id={`${uid}-models`} data-testid="model-options">
              {models.map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
            <p className="hint" id={`${uid}-models-hint`} data-testid="models-count">
              {models.length === 1 ? "1 model" : `${models.length} models`}
            </p>
          </>
        )}
        {modelsError && (
          <p className="field-error" id={`${uid}-models-error`} role="alert" data-testid="models-error">
            Could not load the models: {modelsError}
          </p>
        )}
        {fieldError("model")}
      </div>

      {values.kind === "openai" && (
        <div className="field">
          <label htmlFor={`${uid}-embedding_model`}>Embedding model (optional)</label>
          <input
            {...fieldProps("embedding_model")}
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. nomic-embed-text or text-embedding-3-small"
            data-testid="provider-embedding-model"
            value={values.embedding_model}
            onChange={(e) => set("embedding_model", e.target.value)}
          />
          <p className="hint" id={`${uid}-embedding_model-hint`}>
            With one, Jarvis also recalls earlier messages by meaning, not only by shared words. Leave empty to
            recall by words only.
          </p>
          {fieldError("embedding_model")}
        </div>
      )}

      <div className="field">
        {editing && (
          <div className="current-key">
            <span>Current key: </span>
            <MaskedKey provider={provider} testId="current-key" />
            {!replacingKey && (
              <button
                type="button"
                className="link-button"
                data-testid="provider-replace-key"
                onClick={() => {
                  setReplacingKey(true);
                  // focus once the input is rendered
                  setTimeout(() => focusField("api_key"), 0);
                }}
              >
                {provider.has_key ? "Replace key" : "Add a key"}
              </button>
            )}
          </div>
        )}
        {keyInputShown && (
          <>
            <label htmlFor={`${uid}-api_key`}>{editing ? "New API key" : "API key"}</label>
            <input
              {...fieldProps("api_key")}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={values.api_key}
              onChange={(e) => set("api_key", e.target.value)}
            />
            <p className="hint" id={`${uid}-api_key-hint`}>
              {editing
                ? "Leave empty to keep the current key."
                : "Optional for local servers. Stored in your keychain, never shown again."}
            </p>
            {editing && (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setReplacingKey(false);
                  set("api_key", "");
                }}
              >
                Keep current key
              </button>
            )}
            {fieldError("api_key")}
          </>
        )}
      </div>

      <div className="form-actions">
        <button type="submit" className="primary" data-testid="provider-save" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save changes" : "Save provider"}
        </button>
        <button type="button" onClick={onCancel} data-testid="provider-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}
