import type { ApiError } from "../bindings/ApiError";

/** Every Backend method rejects with this; it carries the server's ApiError fields. */
export class BackendError extends Error implements ApiError {
  readonly code: string;
  readonly field?: string;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    if (field !== undefined && field !== "") this.field = field;
  }

  static fromApiError(e: ApiError): BackendError {
    return new BackendError(e.code, e.message, e.field ?? undefined);
  }

  toJSON(): ApiError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** True when `v` has the shape of an ApiError (as sent by jarvisd or a Tauri command). */
export function isApiError(v: unknown): v is ApiError {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.code === "string" &&
    typeof o.message === "string" &&
    (o.field === undefined || o.field === null || typeof o.field === "string")
  );
}

/** Normalise anything thrown into a BackendError. */
export function toBackendError(e: unknown, fallbackCode = "internal"): BackendError {
  if (e instanceof BackendError) return e;
  if (isApiError(e)) return BackendError.fromApiError(e);
  if (typeof e === "string") return new BackendError(fallbackCode, e);
  if (e instanceof Error) return new BackendError(fallbackCode, e.message);
  return new BackendError(fallbackCode, "Unexpected error");
}

/** A message fit for the screen, whatever was thrown. */
export function errorMessage(e: unknown): string {
  return toBackendError(e).message;
}
