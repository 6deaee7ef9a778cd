import { useEffect, useState } from "react";
import type { ReactNode } from "react";
import type { StrategyInfo } from "../bindings/StrategyInfo";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { FieldError, fieldProps } from "./fields";
import type { FieldErrors } from "./fields";

type StrategyField = "strategy" | "params";

const defaults = (s: StrategyInfo | undefined) => Object.fromEntries((s?.params ?? []).map((p) => [p.name, p.default]));

/** The strategies on offer and the one chosen, with its parameters (the backtest form and live runs share it). */
export function useStrategyChoice() {
  const backend = useBackend();
  const [strategies, setStrategies] = useState<StrategyInfo[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [strategy, setStrategy] = useState("");
  const [params, setParams] = useState<Record<string, string>>({});

  useEffect(() => {
    let stale = false;
    backend.backtestStrategies().then(
      (list) => {
        if (stale) return;
        setStrategies(list);
        const first = list[0];
        if (first) {
          setStrategy(first.name);
          setParams(defaults(first));
        }
      },
      (e: unknown) => {
        if (!stale) setLoadError(errorMessage(e));
      },
    );
    return () => {
      stale = true;
    };
  }, [backend]);

  return {
    strategies,
    loadError,
    strategy,
    params,
    /** Chooses a strategy, its parameters back to their defaults. */
    choose(name: string) {
      setStrategy(name);
      setParams(defaults(strategies?.find((s) => s.name === name)));
    },
    setParam(name: string, value: string) {
      setParams((prev) => ({ ...prev, [name]: value }));
    },
    missingParam: Object.values(params).some((v) => v.trim() === ""),
    trimmedParams: () => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.trim()])),
  };
}

export type StrategyChoice = ReturnType<typeof useStrategyChoice>;

/** The strategy picker and its parameter inputs; `prefix` names their test ids. */
export function StrategyFields<F extends string>({
  uid,
  prefix,
  choice,
  errors,
  onEdit,
}: {
  uid: string;
  prefix: string;
  choice: StrategyChoice;
  errors: FieldErrors<F | StrategyField>;
  onEdit(field: StrategyField): void;
}): ReactNode {
  const { strategies, strategy, params } = choice;
  const info = strategies?.find((s) => s.name === strategy);
  return (
    <>
      <div className="field">
        <label htmlFor={`${uid}-strategy`}>Strategy</label>
        <select
          {...fieldProps<F | StrategyField>(uid, "strategy", errors)}
          value={strategy}
          disabled={!strategies}
          data-testid={`${prefix}-strategy`}
          onChange={(e) => {
            choice.choose(e.target.value);
            onEdit("strategy");
            onEdit("params");
          }}
        >
          {!strategies && <option value="">Loading…</option>}
          {strategies?.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
        <FieldError<F | StrategyField> uid={uid} field="strategy" errors={errors} prefix={prefix} />
      </div>
      <fieldset className="bare field params" aria-describedby={errors.params ? `${uid}-params-error` : undefined}>
        <legend className="field-label">Parameters</legend>
        <div className="param-inputs" id={`${uid}-params`} tabIndex={-1}>
          {info?.params.length === 0 && <span className="muted small">none</span>}
          {info?.params.map((p) => (
            <label key={p.name} className="param">
              <span>{p.name}</span>
              <input
                type="text"
                inputMode="numeric"
                name={`param-${p.name}`}
                data-testid={`${prefix}-param-${p.name}`}
                aria-invalid={errors.params ? true : undefined}
                value={params[p.name] ?? ""}
                onChange={(e) => {
                  choice.setParam(p.name, e.target.value);
                  onEdit("params");
                }}
              />
            </label>
          ))}
        </div>
        <FieldError<F | StrategyField> uid={uid} field="params" errors={errors} prefix={prefix} />
      </fieldset>
    </>
  );
}
