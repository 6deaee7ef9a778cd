import { useState } from "react";
import type { Account } from "../bindings/Account";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { brokerName } from "../labels";

/**
 * Always at the top of the Trading screen. Engaging is immediate (it is the
 * safe direction); re-arming asks for a confirmation first.
 */
export function KillSwitch({ account, onChanged }: { account: Account | null; onChanged(a: Account): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const engaged = account?.kill_switch ?? false;

  const set = async (next: boolean) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await backend.setKillSwitch(next));
      setConfirming(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      className={`kill-switch${engaged ? " kill-switch-engaged" : ""}`}
      aria-labelledby="kill-switch-title"
      data-testid="kill-switch"
    >
      <div className="kill-switch-text">
        <h2 id="kill-switch-title">Kill switch</h2>
        <p className="kill-switch-state" data-testid="kill-switch-state" data-engaged={account ? String(engaged) : undefined} aria-live="polite">
          {!account
            ? "Loading…"
            : engaged
              ? "Engaged: every new order is refused until you re-arm trading."
              : account.broker === "paper"
                ? "Off: orders are accepted (paper trading)."
                : `Off: orders are accepted and sent to ${brokerName(account.broker)}.`}
        </p>
      </div>
      <div className="kill-switch-actions">
        {!engaged && (
          <button
            type="button"
            className="kill-button"
            data-testid="kill-switch-engage"
            disabled={!account || busy}
            onClick={() => void set(true)}
          >
            {busy ? "Engaging…" : "Engage kill switch"}
          </button>
        )}
        {engaged && !confirming && (
          <button type="button" data-testid="kill-switch-rearm" disabled={busy} onClick={() => setConfirming(true)}>
            Re-arm trading
          </button>
        )}
        {engaged && confirming && (
          <div className="kill-switch-confirm" role="group" aria-label="Confirm re-arming">
            <span>Accept new orders again?</span>
            <button type="button" className="primary" data-testid="kill-switch-rearm-confirm" disabled={busy} onClick={() => void set(false)}>
              {busy ? "Re-arming…" : "Yes, re-arm trading"}
            </button>
            <button type="button" data-testid="kill-switch-rearm-cancel" disabled={busy} onClick={() => setConfirming(false)}>
              Keep stopped
            </button>
          </div>
        )}
      </div>
      {error && (
        <p className="field-error kill-switch-error" role="alert" data-testid="kill-switch-error">
          Could not change the kill switch: {error}
        </p>
      )}
    </section>
  );
}
