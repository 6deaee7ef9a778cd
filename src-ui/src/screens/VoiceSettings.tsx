import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { HotkeyMode } from "../bindings/HotkeyMode";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { SpeechModel } from "../bindings/SpeechModel";
import type { VoiceSettings } from "../bindings/VoiceSettings";
import { useBackend } from "../backend/context";
import { Loading, Notice } from "../components/Notice";
import { useAppData, useLoader } from "../data/AppData";
import { formatBytes, HOTKEY_MODE_LABELS, HOTKEY_MODES } from "../labels";
import { FieldError, fieldProps, splitError } from "../trading/fields";
import type { FieldErrors } from "../trading/fields";

export type VoiceField = "hotkey" | "mode" | "device" | "model";
const FIELDS: readonly VoiceField[] = ["hotkey", "mode", "device", "model"];

/** The settings the form edits; the model is chosen in the list of speech models. */
type FormValues = Pick<VoiceSettings, "hotkey" | "mode" | "device" | "speak_replies">;

const valuesOf = (s: VoiceSettings): FormValues => ({ hotkey: s.hotkey, mode: s.mode, device: s.device, speak_replies: s.speak_replies });

const sameValues = (a: FormValues, b: FormValues) =>
  a.hotkey === b.hotkey && a.mode === b.mode && a.device === b.device && a.speak_replies === b.speak_replies;

/** Download progress of one model, as the `voice_model_progress` events report it. */
export interface Progress {
  received: number;
  total: number;
}

/** Whole percent when the size is known, else null (the bar is then indeterminate). */
export function progressPercent(p: Progress): number | null {
  if (p.total <= 0) return null;
  return Math.min(100, Math.floor((p.received / p.total) * 100));
}

/** Where the select's "System default" sits: devices are named, the default is `null`. */
const DEFAULT_DEVICE = "";

function VoiceForm({
  saved,
  devices,
  devicesError,
  status,
  onSaved,
}: {
  saved: VoiceSettings;
  devices: string[] | null;
  devicesError: string | null;
  status: ListenStatus | null;
  onSaved(s: VoiceSettings): void;
}) {
  const backend = useBackend();
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  // null = show the saved settings; otherwise the user's unsaved edits.
  const [draft, setDraft] = useState<FormValues | null>(null);
  const [errors, setErrors] = useState<FieldErrors<VoiceField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const values = draft ?? valuesOf(saved);
  const dirty = draft !== null && !sameValues(draft, valuesOf(saved));

  const edit = (patch: Partial<FormValues>) => {
    setDraft({ ...values, ...patch });
    setErrors((prev) => {
      const next = { ...prev };
      for (const k of Object.keys(patch)) delete next[k as VoiceField];
      return next;
    });
    setNote(null);
  };

  // The field to focus once the form is enabled again (the fieldset is disabled while saving).
  const pendingFocus = useRef<string | null>(null);
  const focusField = (field: string) => {
    pendingFocus.current = field;
  };
  useEffect(() => {
    const field = pendingFocus.current;
    if (saving || field === null) return;
    pendingFocus.current = null;
    const el = formRef.current?.elements.namedItem(field);
    if (el instanceof RadioNodeList) (el[0] as HTMLElement | undefined)?.focus();
    else if (el instanceof HTMLElement) el.focus();
  }, [saving, errors]);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving) return;
    setFormError(null);
    setNote(null);
    const hotkey = values.hotkey.trim();
    if (hotkey === "") {
      setErrors({ hotkey: "Enter a hotkey: modifiers and one key, e.g. Ctrl+Alt+Space." });
      focusField("hotkey");
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      const next = await backend.setVoiceSettings({ ...values, hotkey, model: saved.model });
      setDraft(null);
      setNote("Saved.");
      onSaved(next);
    } catch (err) {
      const { field, message } = splitError(err, FIELDS);
      if (field) {
        setErrors({ [field]: message });
        if (field !== "model") focusField(field);
      } else {
        setFormError(message);
      }
    } finally {
      setSaving(false);
    }
  };

  const deviceValue = values.device ?? DEFAULT_DEVICE;
  const deviceMissing = values.device !== null && devices !== null && !devices.includes(values.device);

  return (
    <form ref={formRef} className="panel" data-testid="voice-form" aria-labelledby="voice-title" noValidate onSubmit={(e) => void onSubmit(e)}>
      {formError && (
        <div className="form-error" role="alert" data-testid="voice-form-error">
          {formError}
        </div>
      )}
      <fieldset className="bare" disabled={saving}>
        <legend className="visually-hidden">Push-to-talk settings</legend>
        <div className="field">
          <label htmlFor={`${uid}-hotkey`}>Hotkey</label>
          <input
            {...fieldProps(uid, "hotkey", errors, true)}
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="Ctrl+Alt+Space"
            data-testid="voice-hotkey"
            value={values.hotkey}
            onChange={(e) => edit({ hotkey: e.target.value })}
          />
          <p className="hint" id={`${uid}-hotkey-hint`}>
            Modifiers (Ctrl, Alt, Shift, Super) and one key, joined with +. It works from any app while Jarvis runs on the
            desktop.
          </p>
          {status?.hotkey_error && !dirty && (
            <p className="error-text small" data-testid="voice-hotkey-status">
              Not registered: {status.hotkey_error}
            </p>
          )}
          <FieldError uid={uid} field="hotkey" errors={errors} prefix="voice" />
        </div>

        <fieldset className="bare voice-modes" aria-describedby={errors.mode ? `${uid}-mode-error` : undefined}>
          <legend className="field-legend">When the hotkey is pressed</legend>
          {HOTKEY_MODES.map((m: HotkeyMode) => (
            <label key={m} title={HOTKEY_MODE_LABELS[m].description}>
              <input
                type="radio"
                name="mode"
                value={m}
                checked={values.mode === m}
                aria-invalid={errors.mode && values.mode === m ? true : undefined}
                data-testid={`voice-mode-${m}`}
                onChange={() => edit({ mode: m })}
              />
              {HOTKEY_MODE_LABELS[m].label}
            </label>
          ))}
        </fieldset>
        <p className="hint" data-testid="voice-mode-description">
          {HOTKEY_MODE_LABELS[values.mode].description}
        </p>
        <div className="field">
          <FieldError uid={uid} field="mode" errors={errors} prefix="voice" />
        </div>

        <div className="field">
          <label htmlFor={`${uid}-device`}>Microphone</label>
          <select
            {...fieldProps(uid, "device", errors, devicesError !== null)}
            data-testid="voice-device"
            value={deviceValue}
            onChange={(e) => edit({ device: e.target.value === DEFAULT_DEVICE ? null : e.target.value })}
          >
            <option value={DEFAULT_DEVICE}>System default</option>
            {(devices ?? []).map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
            {values.device !== null && !(devices ?? []).includes(values.device) && (
              <option value={values.device}>
                {values.device}
                {deviceMissing ? " (not connected)" : ""}
              </option>
            )}
          </select>
          {devicesError !== null && (
            <p className="hint error-text" id={`${uid}-device-hint`} data-testid="voice-devices-error">
              Could not list the microphones: {devicesError}
            </p>
          )}
          <FieldError uid={uid} field="device" errors={errors} prefix="voice" />
        </div>

        <div className="field field-inline">
          <input
            id={`${uid}-speak`}
            type="checkbox"
            name="speak_replies"
            data-testid="voice-speak"
            checked={values.speak_replies}
            onChange={(e) => edit({ speak_replies: e.target.checked })}
          />
          <label htmlFor={`${uid}-speak`}>Read replies aloud (needs espeak-ng)</label>
        </div>

        <div className="field">
          <span className="field-legend">Speech model</span>
          <span className={saved.model === null ? "small" : "mono small break"} data-testid="voice-model-current">
            {saved.model ?? "The default (the active model in the list below)"}
          </span>
          <span className="hint">Choose one with Use in the list of speech models below.</span>
          <FieldError uid={uid} field="model" errors={errors} prefix="voice" />
        </div>

        <div className="form-actions">
          <button type="submit" className="primary" data-testid="voice-save" disabled={saving}>
            {saving ? "Saving…" : "Save"}
          </button>
          {dirty && (
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setErrors({});
                setFormError(null);
              }}
            >
              Discard changes
            </button>
          )}
        </div>
        {note && (
          <p className="muted small" role="status" data-testid="voice-saved">
            {note}
          </p>
        )}
      </fieldset>
    </form>
  );
}

function ModelRow({
  model,
  progress,
  error,
  busy,
  onDownload,
  onUse,
}: {
  model: SpeechModel;
  progress: Progress | undefined;
  error: string | undefined;
  busy: boolean;
  onDownload(): void;
  onUse(): void;
}) {
  const pct = progress ? progressPercent(progress) : null;
  const state = model.active ? "active" : model.installed ? "installed" : progress ? "downloading" : "available";
  return (
    <li className="list-item voice-model" data-testid={`voice-model-${model.name}`} data-state={state}>
      <div className="voice-model-info">
        <strong>{model.name}</strong> <span className="muted small">{formatBytes(model.size_bytes)}</span>{" "}
        {model.active ? (
          <span className="badge badge-ok" data-testid={`voice-model-state-${model.name}`}>
            in use
          </span>
        ) : model.installed ? (
          <span className="badge" data-testid={`voice-model-state-${model.name}`}>
            installed
          </span>
        ) : (
          <span className="muted small" data-testid={`voice-model-state-${model.name}`}>
            not installed
          </span>
        )}
        {model.installed && <div className="mono small muted break">{model.path}</div>}
      </div>
      <div className="voice-model-actions">
        {model.installed && !model.active && (
          <button type="button" data-testid={`voice-model-use-${model.name}`} disabled={busy} onClick={onUse} aria-label={`Use ${model.name}`}>
            Use
          </button>
        )}
        {!model.installed && model.url !== "" && (
          <button
            type="button"
            data-testid={`voice-model-download-${model.name}`}
            disabled={busy || progress !== undefined}
            onClick={onDownload}
            aria-label={`Download ${model.name}`}
          >
            {progress ? "Downloading…" : "Download"}
          </button>
        )}
      </div>
      {progress && (
        <div className="voice-model-progress">
          <progress
            data-testid={`voice-model-progress-${model.name}`}
            aria-label={`Downloading ${model.name}`}
            max={100}
            {...(pct === null ? {} : { value: pct })}
          />
          <span className="small muted" data-testid={`voice-model-progress-text-${model.name}`}>
            {pct === null
              ? `${formatBytes(progress.received)} received`
              : `${pct}% · ${formatBytes(progress.received)} of ${formatBytes(progress.total)}`}
          </span>
        </div>
      )}
      {error && (
        <p className="field-error" role="alert" data-testid={`voice-model-error-${model.name}`}>
          {error}
        </p>
      )}
    </li>
  );
}

/** Settings · push-to-talk: the hotkey, the microphone, spoken replies and the speech models. */
export function VoiceSection() {
  const backend = useBackend();
  const { listen } = useAppData();
  const uid = useId();
  const sectionRef = useRef<HTMLElement>(null);
  const [settings, refreshSettings, putSettings] = useLoader(useCallback(() => backend.getVoiceSettings(), [backend]));
  const [devices, refreshDevices] = useLoader(useCallback(() => backend.voiceDevices(), [backend]));
  const [models, refreshModels] = useLoader(useCallback(() => backend.listSpeechModels(), [backend]));
  const [status, refreshStatus] = useLoader(useCallback(() => backend.voiceStatus(), [backend]));
  const [downloads, setDownloads] = useState<Record<string, Progress>>({});
  const [modelErrors, setModelErrors] = useState<Record<string, string>>({});
  const [using, setUsing] = useState<string | null>(null);
  const [importPath, setImportPath] = useState("");
  const [importing, setImporting] = useState(false);
  const [importErrors, setImportErrors] = useState<FieldErrors<"path">>({});
  const [importNote, setImportNote] = useState<string | null>(null);

  const setModelError = (name: string, message: string | null) =>
    setModelErrors(({ [name]: _gone, ...rest }) => (message === null ? rest : { ...rest, [name]: message }));
  const dropDownload = (name: string) => setDownloads(({ [name]: _gone, ...rest }) => rest);

  useEffect(() => {
    void refreshSettings();
    void refreshDevices();
    void refreshModels();
    void refreshStatus();
  }, [refreshSettings, refreshDevices, refreshModels, refreshStatus]);

  // Arriving from the Voice screen's "Settings → Voice" link: bring this section into view.
  useEffect(() => {
    if (!/^#\/settings\/voice\b/.test(window.location.hash)) return;
    // After the shell has focused the screen's heading.
    const t = setTimeout(() => {
      const section = sectionRef.current;
      section?.scrollIntoView?.({ block: "start" });
      section?.querySelector<HTMLElement>("h2")?.focus();
    }, 0);
    return () => clearTimeout(t);
  }, []);

  useEffect(
    () =>
      listen((ev) => {
        switch (ev.type) {
          case "voice_settings_changed":
            void refreshSettings();
            void refreshModels();
            break;
          case "voice_state":
            // The desktop app reports the hotkey it registered this way.
            void refreshStatus();
            break;
          case "voice_model_progress":
            if (!ev.done) {
              setDownloads((prev) => ({ ...prev, [ev.name]: { received: ev.received, total: ev.total } }));
            } else {
              setDownloads(({ [ev.name]: _gone, ...rest }) => rest);
              if (ev.error) {
                setModelErrors((prev) => ({ ...prev, [ev.name]: `The download failed: ${ev.error}` }));
              } else {
                setModelErrors(({ [ev.name]: _gone, ...rest }) => rest);
              }
              void refreshModels();
              void refreshStatus();
            }
            break;
          default:
            break;
        }
      }),
    [listen, refreshSettings, refreshModels, refreshStatus],
  );

  const download = async (name: string) => {
    setModelError(name, null);
    setDownloads((prev) => ({ ...prev, [name]: prev[name] ?? { received: 0, total: 0 } }));
    try {
      const m = await backend.downloadSpeechModel(name);
      if (m.installed) {
        dropDownload(name);
        void refreshModels();
      }
    } catch (e) {
      dropDownload(name);
      setModelError(name, splitError(e, []).message);
    }
  };

  const use = async (m: SpeechModel) => {
    const saved = settings.data;
    if (!saved || using) return;
    setUsing(m.name);
    setModelError(m.name, null);
    try {
      const next = await backend.setVoiceSettings({ ...saved, model: m.path });
      putSettings(() => next);
      void refreshModels();
      void refreshStatus();
    } catch (e) {
      setModelError(m.name, splitError(e, []).message);
    } finally {
      setUsing(null);
    }
  };

  const onImport = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (importing) return;
    setImportNote(null);
    const path = importPath.trim();
    if (path === "") {
      setImportErrors({ path: "Enter the full path of a whisper model file (.bin)." });
      return;
    }
    setImportErrors({});
    setImporting(true);
    try {
      const m = await backend.importSpeechModel(path);
      setImportPath("");
      setImportNote(`Imported ${m.name}${m.active ? "." : ": press Use to switch to it."}`);
      void refreshModels();
    } catch (err) {
      setImportErrors({ path: splitError(err, ["path"]).message });
    } finally {
      setImporting(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="voice-title" data-testid="voice-section" ref={sectionRef}>
      <div className="section-header">
        <h2 id="voice-title" tabIndex={-1}>
          Voice
        </h2>
      </div>
      <p className="muted">
        Push-to-talk: hold the hotkey (or the button on the Voice screen), speak a command, let go. Speech is transcribed
        on this machine by a whisper model; nothing is sent anywhere.
      </p>
      {settings.error && (
        <Notice tone="error" testId="voice-load-error">
          Could not load the voice settings: {settings.error}{" "}
          <button type="button" onClick={() => void refreshSettings()}>
            Retry
          </button>
        </Notice>
      )}
      {settings.loading && <Loading what="voice settings" />}
      {settings.data && (
        <VoiceForm
          saved={settings.data}
          devices={devices.data}
          devicesError={devices.error}
          status={status.data}
          onSaved={(s) => {
            putSettings(() => s);
            void refreshModels();
            void refreshStatus();
          }}
        />
      )}

      <div className="panel" data-testid="voice-models">
        <h3>Speech models</h3>
        <p className="hint">
          Larger models understand more but take longer after you let go. The “.en” models know English only and are
          the quickest.
        </p>
        {models.error && (
          <Notice tone="error" testId="voice-models-error">
            Could not list the speech models: {models.error}{" "}
            <button type="button" onClick={() => void refreshModels()}>
              Retry
            </button>
          </Notice>
        )}
        {models.loading && <Loading what="speech models" />}
        {models.data && models.data.length === 0 && <p className="empty">No speech model is known.</p>}
        {models.data && models.data.length > 0 && (
          <ul className="plain-list voice-models">
            {models.data.map((m) => (
              <ModelRow
                key={m.name}
                model={m}
                progress={downloads[m.name]}
                error={modelErrors[m.name]}
                busy={using !== null || settings.data === null}
                onDownload={() => void download(m.name)}
                onUse={() => void use(m)}
              />
            ))}
          </ul>
        )}

        <form className="voice-import" noValidate onSubmit={(e) => void onImport(e)} data-testid="voice-import-form">
          <label htmlFor={`${uid}-path`} className="field-legend">
            Import a .bin file…
          </label>
          <div className="input-with-action">
            <input
              {...fieldProps(uid, "path", importErrors, true)}
              type="text"
              autoComplete="off"
              spellCheck={false}
              placeholder="/home/me/Downloads/ggml-small.en.bin"
              data-testid="voice-import-path"
              value={importPath}
              disabled={importing}
              onChange={(e) => {
                setImportPath(e.target.value);
                setImportErrors({});
                setImportNote(null);
              }}
            />
            <button type="submit" data-testid="voice-import" disabled={importing}>
              {importing ? "Importing…" : "Import"}
            </button>
          </div>
          <p className="hint" id={`${uid}-path-hint`}>
            The full path of a whisper.cpp model (ggml-….bin) on this machine; it is copied into Jarvis’s models folder.
          </p>
          <FieldError uid={uid} field="path" errors={importErrors} prefix="voice" />
          {importNote && (
            <p className="muted small" role="status" data-testid="voice-imported">
              {importNote}
            </p>
          )}
        </form>
      </div>
    </section>
  );
}
