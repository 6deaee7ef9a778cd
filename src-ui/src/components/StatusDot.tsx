import type { ComponentStatus } from "../bindings/ComponentStatus";
import { STATUS_LABELS } from "../labels";

type Tone = "ok" | "error" | "muted" | "warn";

const TONES: Record<ComponentStatus, Tone> = { ok: "ok", error: "error", not_configured: "muted" };

/** A coloured dot followed by the word, so the state never depends on colour alone. */
export function StatusDot({ status, label }: { status: ComponentStatus | Tone; label?: string }) {
  const tone: Tone = status in TONES ? TONES[status as ComponentStatus] : (status as Tone);
  const word = label ?? (status in STATUS_LABELS ? STATUS_LABELS[status as ComponentStatus] : status);
  return (
    <span className={`status status-${tone}`} data-status={status}>
      <span className="dot" aria-hidden="true" />
      <span className="status-word">{word}</span>
    </span>
  );
}
