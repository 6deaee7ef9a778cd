import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { fakeBackend, listenStatus, SPEECH_MODELS, speechModel, voiceSettings } from "../test/fakeBackend";
import { progressPercent } from "./VoiceSettings";

function renderSettings(fb = fakeBackend()) {
  window.location.hash = "#/settings";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const field = <T extends HTMLElement = HTMLInputElement>(testId: string) => screen.getByTestId(testId) as unknown as T;
const BASE_PATH = "/home/me/.local/share/jarvis/models/ggml-base.en.bin";

describe("Settings · Voice", () => {
  it("shows the saved settings, the microphones and the speech models", async () => {
    renderSettings();
    expect((await screen.findByTestId<HTMLInputElement>("voice-hotkey")).value).toBe("Ctrl+Alt+Space");
    expect(field("voice-mode-hold").checked).toBe(true);
    expect(field("voice-mode-toggle").checked).toBe(false);
    expect(field("voice-speak").checked).toBe(false);
    const device = field<HTMLSelectElement>("voice-device");
    await waitFor(() => expect(device.options).toHaveLength(3));
    expect([...device.options].map((o) => o.textContent)).toEqual(["System default", "Built-in Audio", "USB Microphone"]);
    expect(device.value).toBe("");

    const tiny = await screen.findByTestId("voice-model-tiny.en");
    expect(tiny.getAttribute("data-state")).toBe("active");
    expect(within(tiny).getByTestId("voice-model-state-tiny.en").textContent).toBe("in use");
    expect(tiny.textContent).toContain("78 MB");
    expect(within(tiny).queryByTestId("voice-model-use-tiny.en")).toBeNull();
    const base = screen.getByTestId("voice-model-base.en");
    expect(within(base).getByTestId("voice-model-state-base.en").textContent).toBe("not installed");
    expect(base.textContent).toContain("148 MB");
    expect(within(base).getByTestId("voice-model-download-base.en")).toBeTruthy();
  });

  it("saves the hotkey, the mode, the microphone and spoken replies", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    const hotkey = await screen.findByTestId<HTMLInputElement>("voice-hotkey");
    await user.clear(hotkey);
    await user.type(hotkey, "Super+V");
    await user.click(field("voice-mode-toggle"));
    expect(screen.getByTestId("voice-mode-description").textContent).toContain("Press the hotkey once to start");
    await waitFor(() => expect(field<HTMLSelectElement>("voice-device").options).toHaveLength(3));
    await user.selectOptions(field<HTMLSelectElement>("voice-device"), "USB Microphone");
    await user.click(field("voice-speak"));
    await user.click(screen.getByTestId("voice-save"));
    await waitFor(() =>
      expect(fb.backend.setVoiceSettings).toHaveBeenCalledWith({
        hotkey: "Super+V",
        mode: "toggle",
        device: "USB Microphone",
        model: null,
        speak_replies: true,
      }),
    );
    expect((await screen.findByTestId("voice-saved")).textContent).toBe("Saved.");
    expect(field("voice-hotkey").value).toBe("Super+V");

    // Back to the system default: sent as null.
    await user.selectOptions(field<HTMLSelectElement>("voice-device"), "System default");
    await user.click(screen.getByTestId("voice-save"));
    await waitFor(() => expect(fb.backend.setVoiceSettings).toHaveBeenLastCalledWith(expect.objectContaining({ device: null })));
  });

  it("puts the server's refusal next to the field it names", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    const hotkey = await screen.findByTestId<HTMLInputElement>("voice-hotkey");
    fb.backend.setVoiceSettings.mockRejectedValueOnce(new BackendError("invalid_field", "hotkey: unknown key 'Spcae'", "hotkey"));
    await user.clear(hotkey);
    await user.type(hotkey, "Ctrl+Spcae");
    await user.click(screen.getByTestId("voice-save"));
    const err = await screen.findByTestId("voice-error-hotkey");
    expect(err.textContent).toBe("hotkey: unknown key 'Spcae'");
    expect(hotkey.getAttribute("aria-invalid")).toBe("true");
    expect(hotkey.getAttribute("aria-describedby")).toContain(err.id);
    expect(hotkey.value).toBe("Ctrl+Spcae");
    await waitFor(() => expect(document.activeElement).toBe(hotkey));

    fb.backend.setVoiceSettings.mockRejectedValueOnce(new BackendError("invalid_field", "device: no input device named 'USB Microphone'", "device"));
    await user.type(hotkey, "{Backspace}");
    expect(screen.queryByTestId("voice-error-hotkey")).toBeNull();
    await user.click(screen.getByTestId("voice-save"));
    expect((await screen.findByTestId("voice-error-device")).textContent).toContain("no input device");

    fb.backend.setVoiceSettings.mockRejectedValueOnce(new BackendError("invalid_field", "mode: must be hold or toggle", "mode"));
    await user.click(screen.getByTestId("voice-save"));
    expect((await screen.findByTestId("voice-error-mode")).textContent).toContain("must be hold or toggle");

    fb.backend.setVoiceSettings.mockRejectedValueOnce(new BackendError("invalid_field", "model: no such file", "model"));
    await user.click(screen.getByTestId("voice-save"));
    expect((await screen.findByTestId("voice-error-model")).textContent).toContain("no such file");
  });

  it("asks for a hotkey instead of saving an empty one", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.clear(await screen.findByTestId("voice-hotkey"));
    await user.click(screen.getByTestId("voice-save"));
    expect((await screen.findByTestId("voice-error-hotkey")).textContent).toContain("Enter a hotkey");
    expect(fb.backend.setVoiceSettings).not.toHaveBeenCalled();
  });

  it("says why the microphones cannot be listed, and keeps the system default", async () => {
    renderSettings(fakeBackend({ devices: new BackendError("not_supported", "no sound system: ALSA found no card") }));
    expect((await screen.findByTestId("voice-devices-error")).textContent).toBe(
      "Could not list the microphones: no sound system: ALSA found no card",
    );
    const device = field<HTMLSelectElement>("voice-device");
    expect([...device.options].map((o) => o.textContent)).toEqual(["System default"]);
  });

  it("keeps a saved microphone that is not connected", async () => {
    renderSettings(fakeBackend({ voiceSettings: voiceSettings({ device: "Headset" }) }));
    const device = await screen.findByTestId<HTMLSelectElement>("voice-device");
    await waitFor(() => expect(device.options).toHaveLength(4));
    expect(device.value).toBe("Headset");
    expect(device.selectedOptions[0]!.textContent).toBe("Headset (not connected)");
  });

  it("shows that the hotkey could not be registered", async () => {
    renderSettings(fakeBackend({ voiceStatus: listenStatus({ hotkey: null, hotkey_error: "already grabbed by another app" }) }));
    expect((await screen.findByTestId("voice-hotkey-status")).textContent).toContain("already grabbed by another app");
  });

  it("downloads a model with a progress bar, then offers to use it", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("voice-model-download-base.en"));
    expect(fb.backend.downloadSpeechModel).toHaveBeenCalledWith("base.en");
    const bar = await screen.findByTestId<HTMLProgressElement>("voice-model-progress-base.en");
    // Size not known yet: indeterminate.
    expect(bar.hasAttribute("value")).toBe(false);
    expect((screen.getByTestId("voice-model-download-base.en") as HTMLButtonElement).disabled).toBe(true);

    act(() => fb.emit({ type: "voice_model_progress", name: "base.en", received: 50_000_000, total: 200_000_000, done: false, error: null }));
    expect(screen.getByTestId<HTMLProgressElement>("voice-model-progress-base.en").value).toBe(25);
    expect(screen.getByTestId("voice-model-progress-text-base.en").textContent).toBe("25% · 50 MB of 200 MB");
    act(() => fb.emit({ type: "voice_model_progress", name: "base.en", received: 150_000_000, total: 200_000_000, done: false, error: null }));
    expect(screen.getByTestId<HTMLProgressElement>("voice-model-progress-base.en").value).toBe(75);

    fb.setSpeechModels(SPEECH_MODELS.map((m) => (m.name === "base.en" ? { ...m, installed: true } : m)));
    act(() => fb.emit({ type: "voice_model_progress", name: "base.en", received: 200_000_000, total: 200_000_000, done: true, error: null }));
    await waitFor(() => expect(screen.queryByTestId("voice-model-progress-base.en")).toBeNull());
    const base = await screen.findByTestId("voice-model-base.en");
    await waitFor(() => expect(base.getAttribute("data-state")).toBe("installed"));

    await user.click(within(base).getByTestId("voice-model-use-base.en"));
    await waitFor(() => expect(fb.backend.setVoiceSettings).toHaveBeenCalledWith(voiceSettings({ model: BASE_PATH })));
    await waitFor(() => expect(screen.getByTestId("voice-model-base.en").getAttribute("data-state")).toBe("active"));
    expect(screen.getByTestId("voice-model-tiny.en").getAttribute("data-state")).toBe("installed");
    expect(screen.getByTestId("voice-model-current").textContent).toBe(BASE_PATH);
  });

  it("shows why a download failed and lets it be tried again", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    await user.click(await screen.findByTestId("voice-model-download-small.en"));
    act(() => fb.emit({ type: "voice_model_progress", name: "small.en", received: 10, total: 0, done: false, error: null }));
    expect(screen.getByTestId("voice-model-progress-text-small.en").textContent).toBe("10 B received");
    act(() => fb.emit({ type: "voice_model_progress", name: "small.en", received: 10, total: 0, done: true, error: "SHA-256 mismatch" }));
    expect((await screen.findByTestId("voice-model-error-small.en")).textContent).toBe("The download failed: SHA-256 mismatch");
    expect(screen.queryByTestId("voice-model-progress-small.en")).toBeNull();
    const again = screen.getByTestId("voice-model-download-small.en") as HTMLButtonElement;
    expect(again.disabled).toBe(false);

    fb.backend.downloadSpeechModel.mockRejectedValueOnce(new BackendError("not_supported", "no space left on device"));
    await user.click(again);
    expect((await screen.findByTestId("voice-model-error-small.en")).textContent).toBe("no space left on device");
    expect(screen.queryByTestId("voice-model-progress-small.en")).toBeNull();
  });

  it("imports a .bin file and names the path when it is refused", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    const path = await screen.findByTestId<HTMLInputElement>("voice-import-path");
    await user.click(screen.getByTestId("voice-import"));
    expect((await screen.findByTestId("voice-error-path")).textContent).toContain("Enter the full path");
    expect(fb.backend.importSpeechModel).not.toHaveBeenCalled();

    await user.type(path, "notes.txt");
    await user.click(screen.getByTestId("voice-import"));
    expect((await screen.findByTestId("voice-error-path")).textContent).toBe("path: give the absolute path of a whisper .bin file");
    expect(path.getAttribute("aria-invalid")).toBe("true");

    await user.clear(path);
    await user.type(path, "/home/me/Downloads/ggml-medium.en.bin");
    await user.click(screen.getByTestId("voice-import"));
    expect(fb.backend.importSpeechModel).toHaveBeenLastCalledWith("/home/me/Downloads/ggml-medium.en.bin");
    expect((await screen.findByTestId("voice-imported")).textContent).toBe("Imported ggml-medium.en.bin: press Use to switch to it.");
    expect(path.value).toBe("");
    const row = await screen.findByTestId("voice-model-ggml-medium.en.bin");
    expect(row.getAttribute("data-state")).toBe("installed");
    expect(within(row).queryByTestId("voice-model-download-ggml-medium.en.bin")).toBeNull();
  });

  it("follows changes saved elsewhere", async () => {
    const fb = renderSettings(fakeBackend({ speechModels: [speechModel({ name: "tiny.en", installed: true, active: true })] }));
    expect((await screen.findByTestId<HTMLInputElement>("voice-hotkey")).value).toBe("Ctrl+Alt+Space");
    await act(async () => {
      await fb.backend.setVoiceSettings(voiceSettings({ hotkey: "Ctrl+Shift+J", speak_replies: true }));
    });
    await waitFor(() => expect(field("voice-hotkey").value).toBe("Ctrl+Shift+J"));
    expect(field("voice-speak").checked).toBe(true);
  });

  it("computes the download percent only when the size is known", () => {
    expect(progressPercent({ received: 0, total: 0 })).toBeNull();
    expect(progressPercent({ received: 1, total: 3 })).toBe(33);
    expect(progressPercent({ received: 5, total: 4 })).toBe(100);
  });
});
