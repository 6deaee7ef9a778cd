import type { ReactNode } from "react";
import { toBackendError } from "../backend/errors";

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** A plain non-negative decimal as typed: "10", "0.5", ".5", "10.". */
export const DECIMAL_INPUT = /^\d*\.?\d+$|^\d+\.$/;

/** The text of a chosen file (File.text where there is one, else a FileReader). */
export function readFileText(file: File): Promise<string> {
  if (typeof file.text === "function") return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsText(file);
  });
}

/**
 * Where a server error goes: next to its field when the form shows that field,
 * else in the form's banner.
 */
export function splitError<F extends string>(
  e: unknown,
  fields: readonly F[],
): { field?: F; rawField?: string; message: string; code: string } {
  const be = toBackendError(e);
  const field = be.field as F | undefined;
  const base = { rawField: be.field, message: be.message, code: be.code };
  return field !== undefined && fields.includes(field) ? { ...base, field } : base;
}

/** Props tying an input to its label, its error and its hint. */
export function fieldProps<F extends string>(uid: string, field: F, errors: FieldErrors<F>, hint?: boolean) {
  const err = errors[field];
  const described = [err ? `${uid}-${field}-error` : null, hint ? `${uid}-${field}-hint` : null].filter(Boolean).join(" ");
  return {
    id: `${uid}-${field}`,
    name: field,
    "aria-invalid": err ? (true as const) : undefined,
    "aria-describedby": described || undefined,
  };
}

export function FieldError<F extends string>({ uid, field, errors, prefix }: { uid: string; field: F; errors: FieldErrors<F>; prefix: string }): ReactNode {
  const err = errors[field];
  return err ? (
    <p className="field-error" id={`${uid}-${field}-error`} role="alert" data-testid={`${prefix}-error-${field}`}>
      {err}
    </p>
  ) : null;
}
