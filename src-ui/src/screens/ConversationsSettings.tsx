import { useId, useRef, useState } from "react";
import type { ChangeEvent } from "react";
import type { ImportReport } from "../bindings/ImportReport";
import { useBackend } from "../backend/context";
import { toBackendError } from "../backend/errors";
import { useChatData } from "../data/ChatData";

export const EXPORT_FILE_NAME = "jarvis-conversations.json";

const FORMAT_LABELS: Record<string, string> = { chatgpt: "ChatGPT export", jarvis: "Jarvis export" };

function readText(file: File): Promise<string> {
  if (typeof file.text === "function") return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsText(file);
  });
}

/** Save `text` as a file through a Blob URL (works in a browser and in the Tauri webview). */
export function downloadText(text: string, fileName: string, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Let the download start before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

type ImportState =
  | { kind: "idle" }
  | { kind: "reading"; file: string }
  | { kind: "done"; file: string; report: ImportReport }
  | { kind: "failed"; file: string; message: string; where: string | null };

/** Import a ChatGPT `conversations.json` or a Jarvis export; export everything as a Jarvis file. */
export function ConversationsSection() {
  const backend = useBackend();
  const { refreshConversations } = useChatData();
  const [state, setState] = useState<ImportState>({ kind: "idle" });
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const [exported, setExported] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const fileId = useId();

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setState({ kind: "reading", file: file.name });
    try {
      const text = await readText(file);
      const report = await backend.importConversations(text);
      setState({ kind: "done", file: file.name, report });
      void refreshConversations();
    } catch (err) {
      const be = toBackendError(err);
      setState({ kind: "failed", file: file.name, message: be.message, where: be.field ?? null });
    } finally {
      // Picking the same file again imports it again.
      if (fileRef.current) fileRef.current.value = "";
    }
  };

  const onExport = async () => {
    setExporting(true);
    setExportError(null);
    setExported(false);
    try {
      const data = await backend.exportConversations();
      downloadText(JSON.stringify(data, null, 2), EXPORT_FILE_NAME);
      setExported(true);
    } catch (err) {
      setExportError(toBackendError(err).message);
    } finally {
      setExporting(false);
    }
  };

  const busy = state.kind === "reading";
  return (
    <section className="settings-section" aria-labelledby="conversations-title">
      <div className="section-header">
        <h2 id="conversations-title">Conversations</h2>
      </div>
      <p className="muted">
        Bring in your ChatGPT history (<code>conversations.json</code> from ChatGPT’s data export) or a Jarvis export. Importing the
        same file twice adds nothing.
      </p>
      <div className="panel transfer-panel">
        <div className="field">
          <label htmlFor={fileId}>Import conversations</label>
          <input
            ref={fileRef}
            id={fileId}
            type="file"
            accept=".json,application/json"
            data-testid="import-file"
            disabled={busy}
            aria-describedby={`${fileId}-hint`}
            onChange={(e) => void onFile(e)}
          />
          <p className="hint" id={`${fileId}-hint`}>
            A ChatGPT <code>conversations.json</code> or a <code>{EXPORT_FILE_NAME}</code> made by Jarvis.
          </p>
        </div>
        {state.kind === "reading" && (
          <p className="loading" role="status" data-testid="import-busy">
            Importing {state.file}…
          </p>
        )}
        {state.kind === "done" && (
          <div className="import-report" role="status" data-testid="import-report">
            <p>
              <strong>Imported {state.file}</strong> ({FORMAT_LABELS[state.report.format] ?? state.report.format}):{" "}
              <span data-testid="import-imported">
                {plural(state.report.conversations_imported, "conversation", "conversations")} with{" "}
                {plural(state.report.messages_imported, "message", "messages")}
              </span>
              {state.report.conversations_skipped > 0 && (
                <span data-testid="import-skipped">
                  ; {plural(state.report.conversations_skipped, "conversation", "conversations")} skipped (already imported)
                </span>
              )}
              .
            </p>
          </div>
        )}
        {state.kind === "failed" && (
          <p className="form-error" role="alert" data-testid="import-error">
            Could not import {state.file}: {state.message}
            {state.where && (
              <>
                {" "}
                (at <code data-testid="import-error-where">{state.where}</code>)
              </>
            )}
          </p>
        )}

        <div className="field">
          <span className="field-label">Export conversations</span>
          <div className="field-inline">
            <button type="button" data-testid="export-conversations" onClick={() => void onExport()} disabled={exporting}>
              {exporting ? "Exporting…" : "Export"}
            </button>
            <span className="hint">
              Every conversation and message, as <code>{EXPORT_FILE_NAME}</code>.
            </span>
          </div>
          {exported && (
            <p className="hint" role="status" data-testid="export-done">
              Saved {EXPORT_FILE_NAME} to your downloads.
            </p>
          )}
          {exportError && (
            <p className="field-error" role="alert" data-testid="export-error">
              Could not export: {exportError}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
