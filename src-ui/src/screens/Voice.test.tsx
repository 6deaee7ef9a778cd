import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend/errors";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { VoiceRun } from "../bindings/VoiceRun";
import { Shell } from "../Shell";
import { fakeBackend, listenStatus, voiceRun, voiceSettings } from "../test/fakeBackend";

function renderVoice(fb = fakeBackend()) {
  window.location.hash = "#/voice";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const ptt = () => screen.getByTestId("ptt-button");
const meter = () => screen.getByTestId("voice-level") as HTMLMeterElement;

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Voice · typed commands", () => {
  it("shows the parsed trade, waits for Confirm, then reports what was done", async () => {
    const fb = renderVoice();
    const user = userEvent.setup();
    await screen.findByTestId("ptt-button");
    expect(screen.queryByText(/not built yet/)).toBeNull();
    await user.type(screen.getByTestId("voice-text"), "buy ten shares of apple");
    await user.click(screen.getByTestId("voice-send"));
    expect(fb.backend.voiceCommand).toHaveBeenCalledWith("buy ten shares of apple");
    expect((await screen.findByTestId("voice-intent")).textContent).toContain('"symbol":"AAPL"');
    expect(fb.backend.voiceConfirm).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("voice-confirm"));
    expect(fb.backend.voiceConfirm).toHaveBeenCalledWith("c1");
    await waitFor(() => expect(screen.getByTestId("voice-outcome").textContent).toContain("Order filled"));
    expect(screen.getByTestId("voice-history").textContent).toContain("buy ten shares of apple");
  });

  it("asks for a command instead of sending nothing", async () => {
    const fb = renderVoice();
    const user = userEvent.setup();
    await user.click(await screen.findByTestId("voice-send"));
    expect((await screen.findByTestId("voice-error")).textContent).toContain("Type a command first");
    expect(fb.backend.voiceCommand).not.toHaveBeenCalled();
  });
});

describe("Voice · push-to-talk", () => {
  it("holding the button listens, shows the level, and on release shows the transcript, intent, outcome and latencies", async () => {
    const fb = renderVoice();
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Ready"));
    expect(meter().getAttribute("aria-valuetext")).toBe("not listening");
    expect(await screen.findByTestId("voice-runs-empty")).toBeTruthy();

    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    expect(fb.backend.listenStart).toHaveBeenCalledOnce();
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Listening…"));
    expect(ptt().textContent).toContain("let go to send");

    act(() => fb.emit({ type: "voice_level", level: 0.42 }));
    expect(meter().value).toBeCloseTo(0.42);
    expect(meter().getAttribute("aria-valuetext")).toBe("42%");

    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    expect(fb.backend.listenStop).toHaveBeenCalledOnce();

    const run = await screen.findByTestId("voice-run");
    expect(within(run).getByTestId("voice-transcript").textContent).toBe("“buy ten shares of apple”");
    expect(within(run).getByTestId("voice-run-intent").textContent).toBe("Buy 10 AAPL at market");
    expect(within(run).getByTestId("voice-outcome").textContent).toContain("Buy 10 AAPL at market?");
    expect(within(run).getByTestId("voice-latency-key-up").textContent).toBe("392 ms");
    expect(within(run).getByTestId("voice-latency-resample").textContent).toBe("3 ms");
    expect(within(run).getByTestId("voice-latency-vad").textContent).toBe("2 ms");
    expect(within(run).getByTestId("voice-latency-model_load").textContent).toBe("0 ms");
    expect(within(run).getByTestId("voice-latency-transcribe").textContent).toBe("380 ms");
    expect(within(run).getByTestId("voice-latency-intent").textContent).toBe("1 ms");
    expect(within(run).getByTestId("voice-latency-act").textContent).toBe("12 ms");
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Ready"));
    expect(meter().value).toBe(0);

    // The history has the run, once.
    const items = await screen.findAllByTestId("voice-run-item");
    expect(items).toHaveLength(1);
    expect(items[0]!.textContent).toContain("buy ten shares of apple");
    expect(items[0]!.textContent).toContain("key up → text 392 ms");

    // The trade waits for Confirm, as typed commands do.
    expect(fb.backend.voiceConfirm).not.toHaveBeenCalled();
    await userEvent.setup().click(within(run).getByTestId("voice-confirm"));
    expect(fb.backend.voiceConfirm).toHaveBeenCalledWith("c1");
    await waitFor(() => expect(within(screen.getByTestId("voice-run")).getByTestId("voice-outcome").textContent).toContain("Order filled"));
    expect(screen.getByTestId("voice-transcript").textContent).toContain("buy ten shares of apple");
  });

  it("stops when the pointer leaves, waits for a slow start, and stops only once", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    const start = deferred<ListenStatus>();
    fb.backend.listenStart.mockImplementationOnce(() => start.promise);
    fireEvent.pointerDown(ptt(), { pointerType: "touch" });
    expect(ptt().textContent).toContain("let go to send");
    // Slid off the button before the microphone opened: nothing is stopped yet.
    fireEvent.pointerLeave(ptt(), { pointerType: "touch" });
    expect(ptt().textContent).toContain("Working…");
    expect(fb.backend.listenStop).not.toHaveBeenCalled();
    fb.setListenStatus(listenStatus({ state: "listening", trigger: "ui" }));
    await act(async () => start.resolve(listenStatus({ state: "listening", trigger: "ui" })));
    await waitFor(() => expect(fb.backend.listenStop).toHaveBeenCalledOnce());
    expect(await screen.findByTestId("voice-run")).toBeTruthy();
    // The pointer-up that follows does not stop a second time.
    fireEvent.pointerUp(ptt(), { pointerType: "touch" });
    await waitFor(() => expect(ptt().textContent).toBe("Hold to talk"));
    expect(fb.backend.listenStop).toHaveBeenCalledOnce();
    expect(fb.backend.listenStart).toHaveBeenCalledOnce();
  });

  it("reads the state again after a run, even without events (the stream is down)", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    fb.backend.listenStart.mockImplementationOnce(async () => {
      fb.setListenStatus(listenStatus({ state: "listening", trigger: "ui" }));
      return listenStatus({ state: "listening", trigger: "ui" });
    });
    fb.backend.listenStop.mockImplementationOnce(async () => {
      fb.setListenStatus(listenStatus({ state: "speaking", trigger: "ui" }));
      return voiceRun({ id: "quiet" });
    });
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Listening…"));
    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Speaking the reply…"));
    expect(screen.getByTestId("voice-run")).toBeTruthy();
    // The event that ends the reply.
    act(() => fb.emit({ type: "voice_state", state: "idle", trigger: null }));
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Ready"));
  });

  it("ignores other mouse buttons", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 2 });
    expect(fb.backend.listenStart).not.toHaveBeenCalled();
  });

  it("works from the keyboard: Space or Enter down starts, up stops, auto-repeat is ignored", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    ptt().focus();
    await act(async () => {
      fireEvent.keyDown(ptt(), { key: " ", code: "Space" });
    });
    expect(fb.backend.listenStart).toHaveBeenCalledOnce();
    await act(async () => {
      fireEvent.keyDown(ptt(), { key: " ", code: "Space", repeat: true });
      fireEvent.keyDown(ptt(), { key: " ", code: "Space", repeat: true });
    });
    expect(fb.backend.listenStart).toHaveBeenCalledOnce();
    await act(async () => {
      fireEvent.keyUp(ptt(), { key: " ", code: "Space" });
    });
    await waitFor(() => expect(fb.backend.listenStop).toHaveBeenCalledOnce());
    await screen.findByTestId("voice-run");
    await waitFor(() => expect(screen.getByTestId("voice-state").textContent).toBe("Ready"));

    await act(async () => {
      fireEvent.keyDown(ptt(), { key: "Enter", code: "Enter" });
    });
    expect(fb.backend.listenStart).toHaveBeenCalledTimes(2);
    await act(async () => {
      fireEvent.keyUp(ptt(), { key: "Enter", code: "Enter" });
    });
    await waitFor(() => expect(fb.backend.listenStop).toHaveBeenCalledTimes(2));
    // Other keys, and the global hotkey's chord, do nothing here.
    fireEvent.keyDown(ptt(), { key: "a", code: "KeyA" });
    fireEvent.keyDown(ptt(), { key: " ", code: "Space", ctrlKey: true, altKey: true });
    expect(fb.backend.listenStart).toHaveBeenCalledTimes(2);
  });

  it("stops listening when the screen is left while the button is held", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    expect(fb.backend.listenStart).toHaveBeenCalledOnce();
    await act(async () => {
      window.location.hash = "#/dashboard";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeTruthy();
    await waitFor(() => expect(fb.backend.listenStop).toHaveBeenCalledOnce());
  });

  it("follows a command heard through the hotkey, from the voice events", async () => {
    const fb = renderVoice(fakeBackend({ voiceHistory: [voiceRun({ id: "old", text: "what is my cash", intent: { kind: "query", what: "cash" }, outcome: null })] }));
    expect((await screen.findAllByTestId("voice-run-item"))[0]!.textContent).toContain("what is my cash");
    expect(screen.queryByTestId("voice-run")).toBeNull();

    act(() => fb.emit({ type: "voice_state", state: "listening", trigger: "hotkey" }));
    expect(screen.getByTestId("voice-state").textContent).toBe("Listening…");
    act(() => fb.emit({ type: "voice_state", state: "transcribing", trigger: "hotkey" }));
    expect(screen.getByTestId("voice-state").textContent).toBe("Working out what you said…");
    const heard = voiceRun({ id: "r9", trigger: "hotkey", text: "sell five shares of tesla", intent: { kind: "trade", side: "sell", qty: "5", symbol: "TSLA", order_type: "market" } });
    fb.setVoiceHistory([heard, ...((await fb.backend.voiceHistory()) as VoiceRun[])]);
    act(() => fb.emit({ type: "voice_state", state: "speaking", trigger: "hotkey" }));
    expect(screen.getByTestId("voice-state").textContent).toBe("Speaking the reply…");
    act(() => fb.emit({ type: "voice_finished", run_id: "r9" }));

    const run = await screen.findByTestId("voice-run");
    expect(run.textContent).toContain("sell five shares of tesla");
    expect(within(run).getByTestId("voice-run-intent").textContent).toBe("Sell 5 TSLA at market");
    const items = await screen.findAllByTestId("voice-run-item");
    expect(items.map((i) => i.getAttribute("data-run-id"))).toEqual(["r9", "old"]);
    expect(items[0]!.textContent).toContain("hotkey");
    expect(fb.backend.listenStart).not.toHaveBeenCalled();
  });

  it("opens the screen a spoken 'navigate' command names", async () => {
    const fb = renderVoice(
      fakeBackend({
        nextRun: {
          text: "open the trading screen",
          intent: { kind: "navigate", screen: "trading" },
          outcome: { status: "navigate", message: "Opening Trading.", intent: { kind: "navigate", screen: "trading" }, confirmation_id: null, order: null, screen: "trading" },
        },
      }),
    );
    await screen.findByTestId("ptt-button");
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    await waitFor(() => expect(window.location.hash).toBe("#/trading"));
    expect(await screen.findByRole("heading", { level: 1, name: "Trading" })).toBeTruthy();
    expect(fb.backend.listenStop).toHaveBeenCalledOnce();
  });

  it("points a question that is not a command to Chat", async () => {
    const fb = renderVoice(
      fakeBackend({
        nextRun: {
          text: "why is the sky blue",
          intent: { kind: "chat", text: "why is the sky blue" },
          outcome: { status: "for_chat", message: "That is a question for Chat.", intent: { kind: "chat", text: "why is the sky blue" }, confirmation_id: null, order: null, screen: null },
        },
      }),
    );
    await screen.findByTestId("ptt-button");
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    const run = await screen.findByTestId("voice-run");
    expect(within(run).getByRole("link", { name: "Chat" }).getAttribute("href")).toBe("#/chat");
    expect(window.location.hash).toBe("#/voice");
    expect(fb.backend.voiceConfirm).not.toHaveBeenCalled();
  });

  it("shows why listening could not start, and does not stop", async () => {
    const fb = renderVoice();
    await screen.findByTestId("ptt-button");
    fb.backend.listenStart.mockRejectedValueOnce(new BackendError("not_supported", "cannot listen: no input device"));
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    expect((await screen.findByTestId("voice-ptt-error")).textContent).toBe("cannot listen: no input device");
    expect(fb.backend.listenStop).not.toHaveBeenCalled();
  });

  it("shows a run where nothing was heard", async () => {
    const fb = renderVoice(fakeBackend({ nextRun: { text: "", intent: null, outcome: null, error: "no speech was heard" } }));
    await screen.findByTestId("ptt-button");
    await act(async () => {
      fireEvent.pointerDown(ptt(), { pointerType: "mouse", button: 0 });
    });
    await act(async () => {
      fireEvent.pointerUp(ptt(), { pointerType: "mouse", button: 0 });
    });
    const run = await screen.findByTestId("voice-run");
    expect(within(run).getByTestId("voice-transcript").textContent).toBe("Nothing was heard.");
    expect(within(run).getByTestId("voice-run-error").textContent).toBe("no speech was heard");
    expect(within(run).queryByTestId("voice-confirm")).toBeNull();
    expect(fb.backend.listenStop).toHaveBeenCalledOnce();
  });
});

describe("Voice · status notes", () => {
  it("names the hotkey and its mode", async () => {
    const fb = renderVoice();
    expect((await screen.findByTestId("voice-hotkey-note")).textContent).toContain("Ctrl+Alt+Space");
    expect(screen.getByTestId("voice-hotkey-note").textContent).toContain("hold it while you speak");
    expect(screen.getByTestId("voice-mode-hint").textContent).toContain("toggle mode in Settings → Voice");
    expect(screen.queryByTestId("voice-model-missing")).toBeNull();

    await act(async () => {
      await fb.backend.setVoiceSettings(voiceSettings({ mode: "toggle" }));
    });
    await waitFor(() => expect(screen.getByTestId("voice-hotkey-note").textContent).toContain("press it once to start listening and again to stop"));
    expect(screen.getByTestId("voice-mode-hint").textContent).toContain("The hotkey is in toggle mode");
  });

  it("says why the hotkey is missing, that no model is installed, and why the last capture failed", async () => {
    renderVoice(
      fakeBackend({
        voiceStatus: listenStatus({
          hotkey: null,
          hotkey_error: "Ctrl+Alt+Space is taken by another application",
          model: "/home/me/.local/share/jarvis/models/ggml-base.en.bin",
          model_installed: false,
          error: "the microphone was unplugged",
        }),
      }),
    );
    expect((await screen.findByTestId("voice-hotkey-error")).textContent).toContain("Ctrl+Alt+Space is taken by another application");
    const missing = screen.getByTestId("voice-model-missing");
    expect(missing.textContent).toContain("No speech model is installed");
    expect(missing.textContent).toContain("ggml-base.en.bin");
    expect(screen.getByTestId("voice-model-settings").getAttribute("href")).toBe("#/settings/voice");
    expect(screen.getByTestId("voice-capture-error").textContent).toContain("the microphone was unplugged");
  });

  it("takes the user to Settings → Voice to install a model", async () => {
    const user = userEvent.setup();
    renderVoice(fakeBackend({ voiceStatus: listenStatus({ model_installed: false }) }));
    await user.click(await screen.findByTestId("voice-model-settings"));
    expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeTruthy();
    expect(await screen.findByTestId("voice-section")).toBeTruthy();
    await waitFor(() => expect(document.activeElement?.id).toBe("voice-title"));
  });

  it("re-reads the status when the voice state changes (the hotkey is registered later)", async () => {
    const fb = renderVoice(fakeBackend({ voiceStatus: listenStatus({ hotkey: null }) }));
    expect((await screen.findByTestId("voice-hotkey-note")).textContent).toContain("No global hotkey here");
    fb.setListenStatus(listenStatus({ hotkey: "Super+V" }));
    act(() => fb.emit({ type: "voice_state", state: "idle", trigger: null }));
    await waitFor(() => expect(screen.getByTestId("voice-hotkey-note").textContent).toContain("Super+V"));
  });
});
