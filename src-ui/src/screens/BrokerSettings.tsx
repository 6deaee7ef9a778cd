import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { BrokerKind } from "../bindings/BrokerKind";
import type { BrokerSettings } from "../bindings/BrokerSettings";
import type { BrokerUpdate } from "../bindings/BrokerUpdate";
import { useBackend } from "../backend/context";
import { MaskedKey } from "../components/MaskedKey";
import { Loading, Notice } from "../components/Notice";
import { StatusDot } from "../components/StatusDot";
import { useLoader } from "../data/AppData";
import { BROKER_CHOICES, BROKER_DEFAULT_URLS, BROKER_KINDS, brokerName } from "../labels";
import { FieldError, fieldProps, splitError } from "../trading/fields";
import type { FieldErrors } from "../trading/fields";

export type BrokerField = "kind" | "key_id" | "secret" | "base_url" | "data_url";
const FIELDS: readonly BrokerField[] = ["kind", "key_id", "secret", "base_url", "data_url"];

export interface BrokerValues {
  kind: BrokerKind;
  key_id: string;
  secret: string;
  base_url: string;
  data_url: string;
}

/** The endpoints to show for `kind`: the saved ones when it is the saved broker, else the defaults. */
function urlsFor(kind: BrokerKind, saved: BrokerSettings): Pick<BrokerValues, "base_url" | "data_url"> {
  if (kind === "paper") return { base_url: "", data_url: "" };
  const defaults = BROKER_DEFAULT_URLS[kind];
  if (kind === saved.kind) {
    return { base_url: saved.base_url ?? defaults.base_url, data_url: saved.data_url ?? defaults.data_url ?? "" };
  }
  return { base_url: defaults.base_url, data_url: defaults.data_url ?? "" };
}

function initialValues(saved: BrokerSettings): BrokerValues {
  return { kind: saved.kind, key_id: "", secret: "", ...urlsFor(saved.kind, saved) };
}

/**
 * The body for PUT /trading/broker. Keys are sent only when typed (empty keeps
 * the stored ones); empty URLs are left out so the server uses the saved or
 * default endpoint; Binance has no separate market-data URL.
 */
export function buildBrokerUpdate(v: BrokerValues): BrokerUpdate {
  if (v.kind === "paper") return { kind: "paper" };
  const update: BrokerUpdate = { kind: v.kind };
  const base = v.base_url.trim();
  if (base !== "") update.base_url = base;
  const data = v.data_url.trim();
  if (v.kind === "alpaca" && data !== "") update.data_url = data;
  const keyId = v.key_id.trim();
  const secret = v.secret.trim();
  if (keyId !== "") update.key_id = keyId;
  if (secret !== "") update.secret = secret;
  return update;
}

function clientErrors(v: BrokerValues): FieldErrors<BrokerField> {
  const errs: FieldErrors<BrokerField> = {};
  if (v.kind === "paper") return errs;
  const keyId = v.key_id.trim();
  const secret = v.secret.trim();
  if (keyId !== "" && secret === "") errs.secret = "Enter the secret that goes with this key id.";
  if (secret !== "" && keyId === "") errs.key_id = "Enter the key id that goes with this secret.";
  return errs;
}

/** Connected / not connected / paper, for the broker in use (not the one being chosen). */
function BrokerStatus({ saved, checking, onCheck }: { saved: BrokerSettings; checking: boolean; onCheck(): void }) {
  const name = brokerName(saved.kind);
  let state: "paper" | "connected" | "failed" | "unknown";
  if (saved.kind === "paper") state = "paper";
  else if (saved.connected === true) state = "connected";
  else if (saved.connected === false) state = "failed";
  else state = "unknown";
  return (
    <div className="broker-status" data-testid="broker-status" data-kind={saved.kind} data-state={state}>
      {state === "paper" && (
        <>
          <StatusDot status="ok" label="Paper trading" />
          <span className="muted"> · built in, no real money</span>
        </>
      )}
      {state === "connected" && (
        <>
          <StatusDot status="ok" label={`Connected to ${name}`} />
          {saved.key_hint && <span className="muted"> · key …{saved.key_hint}</span>}
        </>
      )}
      {state === "failed" && <StatusDot status="error" label={`${name} is not answering`} />}
      {state === "unknown" && <StatusDot status="muted" label={`${name}: not checked yet`} />}
      {saved.kind !== "paper" && (
        <button type="button" className="link-button" data-testid="broker-check" disabled={checking} onClick={onCheck}>
          {checking ? "Checking…" : "Check again"}
        </button>
      )}
      {saved.error && (
        <p className="error-text" role="alert" data-testid="broker-status-error">
          {saved.error}
        </p>
      )}
    </div>
  );
}

function BrokerForm({
  saved,
  checking,
  onCheck,
  onSaved,
}: {
  saved: BrokerSettings;
  checking: boolean;
  onCheck(): void;
  onSaved(s: BrokerSettings): void;
}) {
  const backend = useBackend();
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<BrokerValues>(() => initialValues(saved));
  const [replacingKeys, setReplacingKeys] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<BrokerField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const liveKind = values.kind === "paper" ? null : values.kind;
  const live = liveKind !== null;
  // The keys of the broker in use are in the keychain: masked, unless being replaced.
  const hasStoredKeys = live && values.kind === saved.kind;
  const keyInputsShown = live && (!hasStoredKeys || replacingKeys);
  const name = brokerName(values.kind);

  const clear = (f: BrokerField) => setErrors(({ [f]: _gone, ...rest }) => rest);
  const set = (f: Exclude<BrokerField, "kind">, value: string) => {
    setValues((v) => ({ ...v, [f]: value }));
    clear(f);
    setNote(null);
  };

  const focusField = (field: string) => {
    // Endpoint fields sit in the collapsed "Endpoints" part: open it first.
    setTimeout(() => {
      const el = formRef.current?.elements.namedItem(field);
      if (el instanceof HTMLElement) el.focus();
    }, 0);
  };

  const chooseKind = (kind: BrokerKind) => {
    setValues({ kind, key_id: "", secret: "", ...urlsFor(kind, saved) });
    setReplacingKeys(false);
    setErrors({});
    setFormError(null);
    setNote(null);
  };

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving) return;
    setFormError(null);
    setNote(null);
    const errs = clientErrors(values);
    const first = Object.keys(errs)[0];
    setErrors(errs);
    if (first) {
      focusField(first);
      return;
    }
    setSaving(true);
    try {
      const next = await backend.setBroker(buildBrokerUpdate(values));
      // The secret never stays in the page once the server has it.
      setValues({ kind: next.kind, key_id: "", secret: "", ...urlsFor(next.kind, next) });
      setReplacingKeys(false);
      setNote(next.kind === "paper" ? "Saved: trading uses the built-in paper broker." : `Saved: trading now goes through ${brokerName(next.kind)}.`);
      onSaved(next);
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) {
        setErrors({ [field]: message });
        if (field === "base_url" || field === "data_url") setAdvanced(true);
        if (field === "key_id" || field === "secret") setReplacingKeys(true);
        focusField(field === "kind" ? `${uid}-kind-${values.kind}` : field);
      } else {
        setFormError(message);
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="panel broker-form"
      data-testid="broker-form"
      aria-labelledby="broker-title"
      noValidate
      onSubmit={(e) => void onSubmit(e)}
    >
      <BrokerStatus saved={saved} checking={checking} onCheck={onCheck} />
      {formError && (
        <div className="form-error" role="alert" data-testid="broker-form-error">
          {formError}
        </div>
      )}
      <fieldset className="bare broker-kinds" disabled={saving} aria-describedby={errors.kind ? `${uid}-kind-error` : undefined}>
        <legend className="field-legend">Broker</legend>
        {BROKER_KINDS.map((k) => (
          <label key={k} className={`broker-kind${values.kind === k ? " broker-kind-on" : ""}`}>
            <input
              type="radio"
              name="kind"
              id={`${uid}-kind-${k}`}
              value={k}
              checked={values.kind === k}
              aria-invalid={errors.kind && values.kind === k ? true : undefined}
              data-testid={`broker-kind-${k}`}
              onChange={() => chooseKind(k)}
            />
            <span>
              <span className="broker-kind-label">{BROKER_CHOICES[k].label}</span>
              {k === saved.kind && <span className="muted small"> (in use)</span>}
              <span className="hint broker-kind-description">{BROKER_CHOICES[k].description}</span>
            </span>
          </label>
        ))}
        <FieldError uid={uid} field="kind" errors={errors} prefix="broker" />
      </fieldset>

      {liveKind && (
        <fieldset className="bare" disabled={saving}>
          <legend className="visually-hidden">{name} keys</legend>
          {hasStoredKeys && (
            <div className="field">
              <div className="current-key">
                <span>Current keys: </span>
                <MaskedKey provider={{ has_key: true, key_hint: saved.key_hint }} testId="broker-key-hint" />
                {!replacingKeys && (
                  <button
                    type="button"
                    className="link-button"
                    data-testid="broker-replace-keys"
                    onClick={() => {
                      setReplacingKeys(true);
                      setNote(null);
                      focusField("key_id");
                    }}
                  >
                    Replace keys
                  </button>
                )}
              </div>
            </div>
          )}
          {keyInputsShown && (
            <>
              <div className="field">
                <label htmlFor={`${uid}-key_id`}>{hasStoredKeys ? "New key id" : "Key id"}</label>
                <input
                  {...fieldProps(uid, "key_id", errors, true)}
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  data-testid="broker-key-id"
                  value={values.key_id}
                  onChange={(e) => set("key_id", e.target.value)}
                />
                <p className="hint" id={`${uid}-key_id-hint`}>
                  {values.kind === "alpaca"
                    ? "From the paper-trading dashboard at alpaca.markets (API keys)."
                    : "From testnet.binance.vision (Generate HMAC_SHA256 key)."}
                </p>
                <FieldError uid={uid} field="key_id" errors={errors} prefix="broker" />
              </div>
              <div className="field">
                <label htmlFor={`${uid}-secret`}>{hasStoredKeys ? "New secret" : "Secret"}</label>
                <input
                  {...fieldProps(uid, "secret", errors, true)}
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  data-testid="broker-secret"
                  value={values.secret}
                  onChange={(e) => set("secret", e.target.value)}
                />
                <p className="hint" id={`${uid}-secret-hint`}>
                  {hasStoredKeys
                    ? "Leave both empty to keep the current keys."
                    : "Stored in your keychain and never shown again. The keys are checked with the broker before they are kept."}
                </p>
                <FieldError uid={uid} field="secret" errors={errors} prefix="broker" />
              </div>
              {hasStoredKeys && (
                <button
                  type="button"
                  className="link-button"
                  data-testid="broker-keep-keys"
                  onClick={() => {
                    setReplacingKeys(false);
                    setValues((v) => ({ ...v, key_id: "", secret: "" }));
                    clear("key_id");
                    clear("secret");
                  }}
                >
                  Keep current keys
                </button>
              )}
            </>
          )}

          <details
            className="broker-endpoints"
            open={advanced}
            onToggle={(e) => setAdvanced(e.currentTarget.open)}
            data-testid="broker-endpoints"
          >
            <summary>Endpoints (advanced)</summary>
            <div className="field">
              <label htmlFor={`${uid}-base_url`}>{values.kind === "alpaca" ? "Trading API URL" : "API URL"}</label>
              <input
                {...fieldProps(uid, "base_url", errors, true)}
                type="url"
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
                placeholder={BROKER_DEFAULT_URLS[liveKind].base_url}
                data-testid="broker-base-url"
                value={values.base_url}
                onChange={(e) => set("base_url", e.target.value)}
              />
              <p className="hint" id={`${uid}-base_url-hint`}>
                The default is {values.kind === "alpaca" ? "Alpaca's paper-trading endpoint" : "the Binance Spot testnet"}, where
                no real money moves. A live endpoint trades real money.
              </p>
              <FieldError uid={uid} field="base_url" errors={errors} prefix="broker" />
            </div>
            {values.kind === "alpaca" && (
              <div className="field">
                <label htmlFor={`${uid}-data_url`}>Market data URL</label>
                <input
                  {...fieldProps(uid, "data_url", errors)}
                  type="url"
                  inputMode="url"
                  autoComplete="off"
                  spellCheck={false}
                  placeholder={BROKER_DEFAULT_URLS.alpaca.data_url ?? ""}
                  data-testid="broker-data-url"
                  value={values.data_url}
                  onChange={(e) => set("data_url", e.target.value)}
                />
                <FieldError uid={uid} field="data_url" errors={errors} prefix="broker" />
              </div>
            )}
          </details>
        </fieldset>
      )}

      <div className="form-actions">
        <button type="submit" className="primary" data-testid="broker-save" disabled={saving}>
          {saving ? (live ? "Checking the keys…" : "Saving…") : "Save"}
        </button>
      </div>
      {note && (
        <p className="muted small" role="status" data-testid="broker-saved">
          {note}
        </p>
      )}
    </form>
  );
}

/** Settings · which broker trading goes through, with its keys and endpoints. */
export function BrokerSection() {
  const backend = useBackend();
  const [broker, refresh, put] = useLoader(useCallback(() => backend.getBroker(), [backend]));
  const [checking, setChecking] = useState(false);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const check = async () => {
    setChecking(true);
    try {
      await refresh();
    } finally {
      setChecking(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="broker-title" data-testid="broker-section">
      <div className="section-header">
        <h2 id="broker-title">Trading broker</h2>
      </div>
      <p className="muted">
        With Paper, orders fill inside Jarvis and no real money moves. With Alpaca or Binance, orders are sent to the
        broker and execute there: cash, buying power and positions are the broker&apos;s own figures. The risk limits and
        the kill switch still apply before any order leaves Jarvis.
      </p>
      {broker.error && (
        <Notice tone="error" testId="broker-load-error">
          Could not load the broker settings: {broker.error}{" "}
          <button type="button" onClick={() => void refresh()}>
            Retry
          </button>
        </Notice>
      )}
      {broker.loading && <Loading what="broker settings" />}
      {broker.data && <BrokerForm saved={broker.data} checking={checking} onCheck={() => void check()} onSaved={(s) => put(() => s)} />}
    </section>
  );
}
