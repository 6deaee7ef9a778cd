import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { Account } from "../bindings/Account";
import type { RiskLimits } from "../bindings/RiskLimits";
import { useBackend } from "../backend/context";
import { DECIMAL_INPUT, FieldError, fieldProps, splitError } from "./fields";
import type { FieldErrors } from "./fields";

type Field = keyof RiskLimits;
const FIELDS: readonly Field[] = ["max_order_value", "max_position_value", "daily_loss_limit", "max_open_orders", "max_orders_per_minute"];
const LABELS: Record<Field, string> = {
  max_order_value: "Max order value",
  max_position_value: "Max position value",
  daily_loss_limit: "Daily loss limit",
  max_open_orders: "Max open orders",
  max_orders_per_minute: "Max orders per minute",
};
const COUNTS: readonly Field[] = ["max_open_orders", "max_orders_per_minute"];

type Values = Record<Field, string>;
const toValues = (l: RiskLimits): Values => ({
  max_order_value: l.max_order_value,
  max_position_value: l.max_position_value,
  daily_loss_limit: l.daily_loss_limit,
  max_open_orders: String(l.max_open_orders),
  max_orders_per_minute: String(l.max_orders_per_minute),
});

function LimitsForm({ limits, onSaved }: { limits: RiskLimits; onSaved(a: Account): void }) {
  const backend = useBackend();
  const uid = useId();
  const [values, setValues] = useState<Values>(() => toValues(limits));
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFormError(null);
    setSaved(false);
    const errs: FieldErrors<Field> = {};
    for (const f of FIELDS) {
      const v = values[f].trim();
      if (COUNTS.includes(f) ? !/^\d+$/.test(v) : !DECIMAL_INPUT.test(v)) {
        errs[f] = COUNTS.includes(f) ? "Enter a whole number." : "Enter an amount, e.g. 10000.";
      }
    }
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      const account = await backend.setRiskLimits({
        max_order_value: values.max_order_value.trim(),
        max_position_value: values.max_position_value.trim(),
        daily_loss_limit: values.daily_loss_limit.trim(),
        max_open_orders: Number(values.max_open_orders),
        max_orders_per_minute: Number(values.max_orders_per_minute),
      });
      setSaved(true);
      onSaved(account);
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) setErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate onSubmit={(e) => void onSubmit(e)} data-testid="limits-form" className="limits-form">
      {formError && (
        <div className="form-error" role="alert">
          {formError}
        </div>
      )}
      {FIELDS.map((f) => (
        <div className="field field-compact" key={f}>
          <label htmlFor={`${uid}-${f}`}>{LABELS[f]}</label>
          <input
            {...fieldProps(uid, f, errors)}
            type="text"
            inputMode={COUNTS.includes(f) ? "numeric" : "decimal"}
            value={values[f]}
            onChange={(e) => {
              const v = e.target.value;
              setValues((prev) => ({ ...prev, [f]: v }));
              setSaved(false);
            }}
          />
          <FieldError uid={uid} field={f} errors={errors} prefix="limits" />
        </div>
      ))}
      <div className="form-actions">
        <button type="submit" disabled={busy} data-testid="limits-save">
          {busy ? "Saving…" : "Save limits"}
        </button>
        {saved && (
          <span className="muted small" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}

/** The pre-trade risk limits every order is checked against. */
export function RiskLimitsPanel({ account, onSaved }: { account: Account | null; onSaved(a: Account): void }) {
  return (
    <section className="panel" aria-labelledby="limits-title" data-testid="risk-limits">
      <details>
        <summary>
          <h2 id="limits-title" className="inline-heading">
            Risk limits
          </h2>
        </summary>
        <p className="hint">Every order, from this screen, the API, voice or a strategy, is checked against these first.</p>
        {account ? <LimitsForm key={JSON.stringify(account.limits)} limits={account.limits} onSaved={onSaved} /> : <p className="loading">Loading…</p>}
      </details>
    </section>
  );
}
