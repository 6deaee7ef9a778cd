import type { ReactNode } from "react";

/** A message box for loading, error and empty states. */
export function Notice({ tone = "info", children, testId }: { tone?: "info" | "error"; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"} data-testid={testId}>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}
