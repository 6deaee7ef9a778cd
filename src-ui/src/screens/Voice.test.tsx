import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Shell } from "../Shell";
import { fakeBackend } from "../test/fakeBackend";

describe("Voice", () => {
  it("shows the parsed trade, waits for Confirm, then reports what was done", async () => {
    const fb = fakeBackend();
    const user = userEvent.setup();
    window.location.hash = "#/voice";
    render(<Shell backend={fb.backend} />);
    expect(await screen.findByText(/Push-to-talk and the microphone are not built yet/)).toBeTruthy();
    await user.type(screen.getByTestId("voice-text"), "buy ten shares of apple");
    await user.click(screen.getByTestId("voice-send"));
    expect(fb.backend.voiceCommand).toHaveBeenCalledWith("buy ten shares of apple");
    expect((await screen.findByTestId("voice-intent")).textContent).toContain('"symbol":"AAPL"');
    expect(fb.backend.voiceConfirm).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("voice-confirm"));
    expect(fb.backend.voiceConfirm).toHaveBeenCalledWith("c1");
    expect((await screen.findByTestId("voice-outcome")).textContent).toContain("Order filled");
    expect(screen.getByTestId("voice-history").textContent).toContain("buy ten shares of apple");
  });

  it("asks for a command instead of sending nothing", async () => {
    const fb = fakeBackend();
    const user = userEvent.setup();
    window.location.hash = "#/voice";
    render(<Shell backend={fb.backend} />);
    await user.click(await screen.findByTestId("voice-send"));
    expect((await screen.findByTestId("voice-error")).textContent).toContain("Type a command first");
    expect(fb.backend.voiceCommand).not.toHaveBeenCalled();
  });
});
