import { useCallback, useEffect, useRef, useState } from "react";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditVerification } from "../bindings/AuditVerification";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { formatTime, shortId } from "./format";

export const AUDIT_PAGE = 50;
const PAYLOAD_PREVIEW = 90;

/** Newest first, without duplicates (a refresh overlaps the pages already loaded). */
export function mergeEntries(a: readonly AuditEntry[], b: readonly AuditEntry[]): AuditEntry[] {
  const bySeq = new Map<number, AuditEntry>();
  for (const e of [...a, ...b]) bySeq.set(Number(e.seq), e);
  return [...bySeq.values()].sort((x, y) => Number(y.seq) - Number(x.seq));
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function verificationText(v: AuditVerification): string {
  const n = Number(v.entries);
  if (v.ok) return `Chain intact: ${n} ${n === 1 ? "entry" : "entries"} checked.`;
  if (v.first_bad) return `Broken at entry ${Number(v.first_bad.seq)}: ${v.first_bad.reason}`;
  return `The chain does not check out (${n} entries).`;
}

function Payload({ text }: { text: string }) {
  if (text.length <= PAYLOAD_PREVIEW) return <code className="payload">{text}</code>;
  return (
    <details className="payload-details">
      <summary>
        <code className="payload">{text.slice(0, PAYLOAD_PREVIEW)}…</code>
      </summary>
      <pre className="payload-full">{prettyJson(text)}</pre>
    </details>
  );
}

/** The hash-chained log of every trading step, and a check of the chain. */
export function AuditTrail({ version }: { version: number }) {
  const backend = useBackend();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [verification, setVerification] = useState<{ ok: boolean; text: string } | null>(null);
  const seq = useRef(0);
  const firstPage = useRef(true);

  /** Fetch the newest page and merge it with what is shown (older pages stay). */
  const loadNewest = useCallback((): Promise<void> => {
    const mine = ++seq.current;
    return backend.auditEntries(null, AUDIT_PAGE).then(
      (page) => {
        if (mine !== seq.current) return;
        setError(null);
        if (firstPage.current) {
          firstPage.current = false;
          setMore(page.length === AUDIT_PAGE);
        }
        setEntries((prev) => mergeEntries(page, prev ?? []));
      },
      (e: unknown) => {
        if (mine === seq.current) setError(errorMessage(e));
      },
    );
  }, [backend]);

  // First load, then again whenever trading events were read.
  useEffect(() => {
    void loadNewest();
  }, [loadNewest, version]);

  const loadOlder = async () => {
    const oldest = entries?.[entries.length - 1];
    if (!oldest) return;
    setLoadingOlder(true);
    try {
      const page = await backend.auditEntries(Number(oldest.seq), AUDIT_PAGE);
      setEntries((prev) => mergeEntries(prev ?? [], page));
      setMore(page.length === AUDIT_PAGE);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingOlder(false);
    }
  };

  const verify = async () => {
    setVerifying(true);
    setVerification(null);
    try {
      const v = await backend.verifyAudit();
      setVerification({ ok: v.ok, text: verificationText(v) });
    } catch (e) {
      setVerification({ ok: false, text: `Could not verify: ${errorMessage(e)}` });
    } finally {
      setVerifying(false);
    }
  };

  return (
    <section className="panel audit" aria-labelledby="audit-title" data-testid="audit">
      <div className="section-header">
        <h2 id="audit-title">Audit trail</h2>
        <div className="section-actions">
          <button type="button" className="small-button" onClick={() => void loadNewest()} data-testid="audit-refresh">
            Refresh
          </button>
          <button type="button" className="small-button primary" onClick={() => void verify()} disabled={verifying} data-testid="audit-verify">
            {verifying ? "Verifying…" : "Verify"}
          </button>
        </div>
      </div>
      <p className="hint">
        Every signal, risk check, order and fill is appended here; each entry's hash covers the one before, so any
        edit to the log breaks the chain.
      </p>
      {verification && (
        <p
          className={`verify-result ${verification.ok ? "verify-ok" : "verify-bad"}`}
          role={verification.ok ? "status" : "alert"}
          data-testid="audit-verify-result"
          data-ok={String(verification.ok)}
        >
          {verification.text}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert" data-testid="audit-error">
          Could not load the audit trail: {error}
        </p>
      )}
      {entries === null && !error && <p className="loading">Loading the audit trail…</p>}
      {entries && entries.length === 0 && (
        <p className="empty small" data-testid="audit-empty">
          Nothing logged yet.
        </p>
      )}
      {entries && entries.length > 0 && (
        <div className="table-scroll table-scroll-tall">
          <table className="data-table audit-table" data-testid="audit-entries">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Seq
                </th>
                <th scope="col">Time</th>
                <th scope="col">Kind</th>
                <th scope="col">Order</th>
                <th scope="col">Payload</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={String(e.seq)} data-testid="audit-row" data-kind={e.kind}>
                  <td className="num mono">{String(e.seq)}</td>
                  <td className="small nowrap">{formatTime(e.time)}</td>
                  <td>
                    <span className={`kind kind-${e.kind}`}>{e.kind}</span>
                  </td>
                  <td className="mono small" title={e.order_id ?? undefined}>
                    {e.order_id ? shortId(e.order_id) : "—"}
                  </td>
                  <td className="payload-cell">
                    <Payload text={e.payload} />
                  </td>
                  <td className="mono small" title={e.hash}>
                    {e.hash.slice(0, 10)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries && entries.length > 0 && more && (
        <div className="form-actions">
          <button type="button" className="small-button" onClick={() => void loadOlder()} disabled={loadingOlder} data-testid="audit-older">
            {loadingOlder ? "Loading…" : "Load older"}
          </button>
        </div>
      )}
    </section>
  );
}
