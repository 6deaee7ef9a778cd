import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { fakeBackend, importReport } from "../test/fakeBackend";
import { EXPORT_FILE_NAME } from "./ConversationsSettings";

function renderSettings(fb = fakeBackend()) {
  window.location.hash = "#/settings";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const jsonFile = (text: string, name = "conversations.json") => new File([text], name, { type: "application/json" });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Settings · import and export", () => {
  it("imports a picked file and shows the report, then refreshes the conversations", async () => {
    const user = userEvent.setup();
    const fb = renderSettings(fakeBackend({ importResult: importReport({ conversations_imported: 3, messages_imported: 42, conversations_skipped: 1 }) }));
    const text = '[{"title":"Trip","mapping":{}}]';
    const listed = fb.backend.listConversations.mock.calls.length;
    await user.upload(await screen.findByTestId("import-file"), jsonFile(text));
    await waitFor(() => expect(fb.backend.importConversations).toHaveBeenCalledWith(text));
    const report = await screen.findByTestId("import-report");
    expect(report.textContent).toContain("conversations.json");
    expect(report.textContent).toContain("ChatGPT export");
    expect(screen.getByTestId("import-imported").textContent).toBe("3 conversations with 42 messages");
    expect(screen.getByTestId("import-skipped").textContent).toContain("1 conversation skipped");
    await waitFor(() => expect(fb.backend.listConversations.mock.calls.length).toBeGreaterThan(listed));
  });

  it("shows the error with where in the file it is", async () => {
    const user = userEvent.setup();
    renderSettings(fakeBackend({ importResult: new BackendError("invalid_import", "expected a list of conversations", "[2].mapping") }));
    await user.upload(await screen.findByTestId("import-file"), jsonFile("{}", "bad.json"));
    const err = await screen.findByTestId("import-error");
    expect(err.textContent).toContain("Could not import bad.json: expected a list of conversations");
    expect(screen.getByTestId("import-error-where").textContent).toBe("[2].mapping");
    expect(screen.queryByTestId("import-report")).toBeNull();
  });

  it("exports as jarvis-conversations.json through a Blob URL", async () => {
    const user = userEvent.setup();
    const exported = { format: "jarvis", version: 1, conversations: [{ id: "c1", title: "Trip", messages: [] }] };
    const createObjectURL = vi.fn((_b: Blob) => "blob:jarvis-export");
    const revokeObjectURL = vi.fn();
    // jsdom has no object URLs; this file's environment is its own, so they are simply set.
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    const fb = renderSettings(fakeBackend({ exported }));
    await user.click(await screen.findByTestId("export-conversations"));
    await screen.findByTestId("export-done");
    expect(fb.backend.exportConversations).toHaveBeenCalledOnce();
    expect(click).toHaveBeenCalledOnce();
    const link = click.mock.contexts[0] as HTMLAnchorElement;
    expect(link.download).toBe(EXPORT_FILE_NAME);
    expect(link.href).toBe("blob:jarvis-export");
    const blob = createObjectURL.mock.calls[0]![0];
    expect(JSON.parse(await blob.text())).toEqual(exported);
  });

  it("shows an export failure", async () => {
    const user = userEvent.setup();
    const fb = renderSettings();
    fb.backend.exportConversations.mockRejectedValueOnce(new BackendError("network", "Cannot reach the Jarvis server."));
    await user.click(await screen.findByTestId("export-conversations"));
    expect((await screen.findByTestId("export-error")).textContent).toContain("Cannot reach the Jarvis server.");
  });
});
