import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend/errors";
import { Shell } from "../Shell";
import { conversation, fact, fakeBackend, message, provider } from "../test/fakeBackend";

function renderChat(fb = fakeBackend()) {
  window.location.hash = "#/chat";
  render(<Shell backend={fb.backend} />);
  return fb;
}

const messages = () => screen.queryAllByTestId("message");
const input = () => screen.getByTestId<HTMLTextAreaElement>("chat-input");

/** The composer once providers have loaded: typing into it before then does
 * nothing, which on a slow machine made these tests flaky. */
async function readyInput() {
  const el = await screen.findByTestId<HTMLTextAreaElement>("chat-input");
  await waitFor(() => expect(el.disabled).toBe(false));
  return el;
}

async function openConversation(title: string) {
  const item = (await screen.findAllByTestId("conversation-item")).find((li) => li.textContent?.includes(title));
  if (!item) throw new Error(`no conversation ${title}`);
  fireEvent.click(within(item).getByTestId("conversation-open"));
  return item;
}

describe("Chat · streaming", () => {
  it("assembles deltas in order, then replaces them with the stored message on chat_finished", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    await screen.findByTestId("chat-welcome");
    await user.type(input(), "Explain lifetimes");
    await user.keyboard("{Enter}");

    await waitFor(() => expect(fb.backend.sendMessage).toHaveBeenCalledWith({ text: "Explain lifetimes", provider_id: "p1" }));
    const receipt = await fb.backend.sendMessage.mock.results[0]!.value;
    const cid = receipt.conversation.id;
    const aid = receipt.assistant_message_id;

    // The new conversation is opened, with the question and a pending answer.
    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(messages()[0]!.dataset.role).toBe("user");
    expect(messages()[0]!.textContent).toContain("Explain lifetimes");
    expect(messages()[1]!.dataset.status).toBe("streaming");
    expect(input().value).toBe("");
    expect(screen.getByTestId("conversation-item").textContent).toContain("Explain lifetimes");

    act(() => fb.emit({ type: "chat_started", conversation_id: cid, message_id: aid, provider: "Work Claude" }));
    act(() => fb.emit({ type: "chat_delta", conversation_id: cid, message_id: aid, text: "Life" }));
    act(() => fb.emit({ type: "chat_delta", conversation_id: cid, message_id: aid, text: "times " }));
    // A delta for another answer is not mixed in.
    act(() => fb.emit({ type: "chat_delta", conversation_id: "other", message_id: "zzz", text: "NOPE" }));
    act(() => fb.emit({ type: "chat_delta", conversation_id: cid, message_id: aid, text: "are **scopes**" }));

    const live = () => messages().find((m) => m.dataset.status === "streaming")!;
    await waitFor(() => expect(live().textContent).toContain("Lifetimes are scopes"));
    expect(live().querySelector("strong")?.textContent).toBe("scopes");
    expect(within(live()).getByTestId("message-provider").textContent).toContain("Work Claude");
    expect(screen.getByTestId("chat-stop")).toBeTruthy();
    expect(screen.queryByTestId("chat-send")).toBeNull();
    expect(document.body.textContent).not.toContain("NOPE");

    fb.addMessage(
      message({
        id: aid,
        conversation_id: cid,
        role: "assistant",
        content: "Lifetimes are **regions** of code.",
        provider: "Local Ollama",
        model: "llama3.1:8b",
      }),
    );
    const listCalls = fb.backend.listMessages.mock.calls.length;
    act(() => fb.emit({ type: "chat_finished", conversation_id: cid, message_id: aid }));

    await waitFor(() => expect(messages().find((m) => m.dataset.role === "assistant")!.dataset.status).toBe("complete"));
    expect(fb.backend.listMessages.mock.calls.length).toBeGreaterThan(listCalls);
    expect(fb.backend.listMessages).toHaveBeenLastCalledWith(cid);
    const stored = messages().find((m) => m.dataset.role === "assistant")!;
    expect(stored.textContent).toContain("Lifetimes are regions of code.");
    expect(stored.textContent).not.toContain("scopes");
    expect(stored.id).toBe(`message-${aid}`);
    // The fallback is visible.
    expect(within(stored).getByTestId("message-provider").textContent).toBe("answered by Local Ollama · llama3.1:8b");
    expect(messages()).toHaveLength(2);
    await screen.findByTestId("chat-send");
    expect(screen.queryByTestId("chat-stop")).toBeNull();
    // The breakers are looked at again after the answer.
    await waitFor(() => expect(fb.backend.providerCircuits.mock.calls.length).toBeGreaterThanOrEqual(2));
  });

  it("Stop calls stopMessage with the answer's id, and a 404 for an ended answer is quiet", async () => {
    const user = userEvent.setup();
    const fb = renderChat(fakeBackend({ conversations: [conversation({ id: "c1", title: "Rust lifetimes" })] }));
    await openConversation("Rust lifetimes");
    await screen.findByTestId("messages-empty");
    await user.type(input(), "Go on");
    await user.click(screen.getByTestId("chat-send"));
    const receipt = await waitFor(() => fb.backend.sendMessage.mock.results[0]!.value);
    expect(fb.backend.sendMessage).toHaveBeenCalledWith({ conversation_id: "c1", text: "Go on", provider_id: "p1" });
    act(() => fb.emit({ type: "chat_delta", conversation_id: "c1", message_id: receipt.assistant_message_id, text: "Well" }));

    fb.backend.stopMessage.mockRejectedValueOnce(new BackendError("not_found", "no such answer"));
    await user.click(await screen.findByTestId("chat-stop"));
    expect(fb.backend.stopMessage).toHaveBeenCalledWith(receipt.assistant_message_id);
    expect(fb.backend.stopMessage).toHaveBeenCalledOnce();
    expect(screen.queryByTestId("stop-error")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows an error when Stop fails for another reason and lets the user try again", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    await user.type(await readyInput(), "Hi");
    await user.keyboard("{Enter}");
    const receipt = await waitFor(() => fb.backend.sendMessage.mock.results[0]!.value);
    fb.backend.stopMessage.mockRejectedValueOnce(new BackendError("internal", "boom"));
    await user.click(await screen.findByTestId("chat-stop"));
    expect((await screen.findByTestId("stop-error")).textContent).toContain("boom");
    await user.click(screen.getByTestId("chat-stop"));
    expect(fb.backend.stopMessage).toHaveBeenNthCalledWith(2, receipt.assistant_message_id);
  });

  it("keeps the text and shows the error when sending fails", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    fb.backend.sendMessage.mockRejectedValueOnce(new BackendError("network", "Cannot reach the Jarvis server."));
    await user.type(await readyInput(), "Hello there");
    await user.click(screen.getByTestId("chat-send"));
    expect((await screen.findByTestId("send-error")).textContent).toContain("Cannot reach the Jarvis server.");
    expect(input().value).toBe("Hello there");
  });

  it("Shift+Enter adds a new line instead of sending", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    await user.type(await readyInput(), "line one{Shift>}{Enter}{/Shift}line two");
    expect(input().value).toBe("line one\nline two");
    expect(fb.backend.sendMessage).not.toHaveBeenCalled();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(fb.backend.sendMessage).toHaveBeenCalledWith({ text: "line one\nline two", provider_id: "p1" }));
  });

  it("asks the picked provider first", async () => {
    const user = userEvent.setup();
    const fb = renderChat(
      fakeBackend({
        providers: [provider({ id: "p1", name: "Local Ollama" }), provider({ id: "p2", name: "Work Claude", kind: "anthropic", model: "claude-sonnet-4" })],
      }),
    );
    const picker = await screen.findByTestId<HTMLSelectElement>("provider-picker");
    expect(Array.from(picker.options).map((o) => o.textContent)).toEqual(["Local Ollama · llama3.1:8b", "Work Claude · claude-sonnet-4"]);
    expect(picker.value).toBe("p1");
    expect(screen.getByTestId("provider-hint").textContent).toContain("the others take over if it fails");
    await user.selectOptions(picker, "p2");
    await user.type(input(), "hi{Enter}");
    await waitFor(() => expect(fb.backend.sendMessage).toHaveBeenCalledWith({ text: "hi", provider_id: "p2" }));
  });

  it("follows an answer that another window started", async () => {
    const fb = renderChat(fakeBackend({ conversations: [conversation({ id: "c1", title: "Shared" })] }));
    await openConversation("Shared");
    await screen.findByTestId("messages-empty");
    fb.addMessage(message({ id: "u9", conversation_id: "c1", content: "Asked elsewhere" }));
    act(() => fb.emit({ type: "chat_started", conversation_id: "c1", message_id: "a9", provider: "Gemini" }));
    act(() => fb.emit({ type: "chat_delta", conversation_id: "c1", message_id: "a9", text: "Answer" }));
    await waitFor(() => expect(messages().map((m) => m.dataset.status)).toEqual(["complete", "streaming"]));
    expect(messages()[0]!.textContent).toContain("Asked elsewhere");
    expect(messages()[1]!.textContent).toContain("Answer");
  });
});

describe("Chat · messages", () => {
  it("renders user text as plain text, and the interrupted and failed states", async () => {
    renderChat(
      fakeBackend({
        conversations: [conversation({ id: "c1", title: "States" })],
        messages: [
          message({ id: "u1", content: "**not bold**\n<b>x</b>" }),
          message({
            id: "a1",
            role: "assistant",
            content: "Partial ans",
            status: "interrupted",
            provider: "Work Claude",
            model: "claude-sonnet-4",
            error: "stopped by the user",
          }),
          message({ id: "a2", role: "assistant", content: "", status: "failed", provider: null, model: null, error: "every provider failed: timeout" }),
        ],
      }),
    );
    await openConversation("States");
    await waitFor(() => expect(messages()).toHaveLength(3));
    const [u, interrupted, failed] = messages();
    expect(u!.dataset.role).toBe("user");
    expect(u!.querySelector("strong, b")).toBeNull();
    expect(u!.textContent).toContain("**not bold**\n<b>x</b>");

    expect(interrupted!.dataset.status).toBe("interrupted");
    expect(within(interrupted!).getByTestId("message-interrupted").textContent).toBe("interrupted");
    expect(interrupted!.textContent).toContain("stopped by the user");
    expect(interrupted!.textContent).toContain("Partial ans");
    expect(within(interrupted!).getByTestId("message-provider").textContent).toBe("answered by Work Claude · claude-sonnet-4");

    expect(failed!.dataset.status).toBe("failed");
    expect(within(failed!).getByTestId("message-error").textContent).toContain("every provider failed: timeout");
    expect(within(failed!).getByTestId("message-error").className).toContain("message-error");
  });

  it("lists the memories an answer used, as text, and opens their conversation", async () => {
    const fb = renderChat(
      fakeBackend({
        conversations: [conversation({ id: "c1", title: "Now" }), conversation({ id: "c0", title: "Mars talk" })],
        messages: [
          message({ id: "u1", content: "which colour was Mars?" }),
          message({
            id: "a1",
            role: "assistant",
            content: "Red.",
            provider: "Local",
            recalled: [
              { kind: "message", message_id: "old1", conversation_id: "c0", conversation_title: "Mars talk", excerpt: "Mars is red <img src=x>" },
            ],
          }),
        ],
      }),
    );
    await openConversation("Now");
    const used = await screen.findByTestId("message-recalled");
    expect(used.textContent).toContain("Used 1 memory from earlier conversations");
    expect(used.textContent).toContain("Mars is red <img src=x>");
    expect(used.querySelector("img")).toBeNull();
    fireEvent.click(within(used).getByRole("button", { name: "Mars talk" }));
    await waitFor(() => expect(fb.backend.listMessages).toHaveBeenLastCalledWith("c0"));
  });

  it("shows a loading error with a retry", async () => {
    const fb = renderChat(fakeBackend({ conversations: [conversation({ id: "c1", title: "Broken" })] }));
    fb.backend.listMessages.mockRejectedValueOnce(new BackendError("internal", "database is locked"));
    await openConversation("Broken");
    const err = await screen.findByTestId("messages-error");
    expect(err.textContent).toContain("database is locked");
    fireEvent.click(within(err).getByRole("button", { name: "Retry" }));
    await screen.findByTestId("messages-empty");
  });

  it("shows paused providers from the circuit breakers", async () => {
    renderChat(
      fakeBackend({
        circuits: [
          { provider_id: "p1", name: "Local Ollama", state: "closed" },
          { provider_id: "p2", name: "Claude", state: "open" },
          { provider_id: "p3", name: "Gemini", state: "half_open" },
        ],
      }),
    );
    const lines = await screen.findAllByTestId("circuit-notice");
    expect(lines.map((l) => l.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "Claude paused after repeated failures (open)",
      "Gemini paused after repeated failures (half-open: trying again)",
    ]);
  });
});

describe("Chat · no provider", () => {
  it("disables the composer and points to Settings", async () => {
    renderChat(fakeBackend({ providers: [] }));
    const hint = await screen.findByTestId("no-provider");
    expect(hint.textContent).toBe("No AI provider yet: add one in Settings");
    expect(within(hint).getByRole("link").getAttribute("href")).toBe("#/settings");
    expect(input().disabled).toBe(true);
    expect(screen.getByTestId<HTMLButtonElement>("chat-send").disabled).toBe(true);
    expect(screen.queryByTestId("provider-picker")).toBeNull();
  });

  it("shows the same hint when the server answers no_provider", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    fb.backend.sendMessage.mockRejectedValueOnce(new BackendError("no_provider", "No AI provider is configured."));
    await user.type(await readyInput(), "hi{Enter}");
    expect((await screen.findByTestId("no-provider")).textContent).toContain("add one in Settings");
    expect(input().disabled).toBe(true);
    expect(screen.queryByTestId("send-error")).toBeNull();
  });
});

describe("Chat · conversations", () => {
  const two = () =>
    fakeBackend({
      conversations: [conversation({ id: "c1", title: "Pinned one", pinned: true }), conversation({ id: "c2", title: "Recent one" })],
    });

  it("lists conversations as the server orders them, with a pinned marker", async () => {
    renderChat(two());
    const items = await screen.findAllByTestId("conversation-item");
    expect(items.map((i) => within(i).getByTestId("conversation-title").textContent)).toEqual(["Pinned one", "Recent one"]);
    expect(within(items[0]!).queryByTestId("conversation-pinned")).toBeTruthy();
    expect(within(items[1]!).queryByTestId("conversation-pinned")).toBeNull();
  });

  it("renames inline: Enter saves, Escape cancels", async () => {
    const user = userEvent.setup();
    const fb = renderChat(two());
    const item = (await screen.findAllByTestId("conversation-item"))[1]!;
    await user.click(within(item).getByTestId("conversation-rename"));
    const field = within(item).getByTestId<HTMLInputElement>("conversation-rename-input");
    expect(document.activeElement).toBe(field);
    await user.clear(field);
    await user.type(field, "Trip to Lyon{Enter}");
    await waitFor(() => expect(fb.backend.updateConversation).toHaveBeenCalledWith("c2", { title: "Trip to Lyon" }));
    await waitFor(() => expect(screen.getAllByTestId("conversation-title")[1]!.textContent).toBe("Trip to Lyon"));

    const again = screen.getAllByTestId("conversation-item")[1]!;
    await user.click(within(again).getByTestId("conversation-rename"));
    await user.type(within(again).getByTestId("conversation-rename-input"), " nope{Escape}");
    expect(within(again).queryByTestId("conversation-rename-input")).toBeNull();
    expect(fb.backend.updateConversation).toHaveBeenCalledOnce();
  });

  it("pins and unpins", async () => {
    const user = userEvent.setup();
    const fb = renderChat(two());
    const items = await screen.findAllByTestId("conversation-item");
    await user.click(within(items[1]!).getByTestId("conversation-pin"));
    expect(fb.backend.updateConversation).toHaveBeenCalledWith("c2", { pinned: true });
    await user.click(within(items[0]!).getByTestId("conversation-pin"));
    expect(fb.backend.updateConversation).toHaveBeenCalledWith("c1", { pinned: false });
  });

  it("deletes only after an in-page confirmation", async () => {
    const user = userEvent.setup();
    const confirmSpy = vi.spyOn(window, "confirm");
    const fb = renderChat(two());
    await openConversation("Recent one");
    const item = screen.getAllByTestId("conversation-item")[1]!;
    await user.click(within(item).getByTestId("conversation-delete"));
    expect(fb.backend.deleteConversation).not.toHaveBeenCalled();
    await user.click(within(item).getByTestId("conversation-delete-cancel"));
    expect(within(item).queryByTestId("conversation-delete-confirm")).toBeNull();

    await user.click(within(item).getByTestId("conversation-delete"));
    await user.click(within(item).getByTestId("conversation-delete-confirm"));
    await waitFor(() => expect(fb.backend.deleteConversation).toHaveBeenCalledWith("c2"));
    await waitFor(() => expect(screen.getAllByTestId("conversation-item")).toHaveLength(1));
    // It was open: back to a new conversation.
    expect(screen.getByTestId("chat-title").textContent).toBe("New conversation");
    expect(confirmSpy).not.toHaveBeenCalled();
  });

  it("New conversation creates one and opens it", async () => {
    const user = userEvent.setup();
    const fb = renderChat(two());
    await screen.findAllByTestId("conversation-item");
    await user.click(screen.getByTestId("new-conversation"));
    await waitFor(() => expect(fb.backend.createConversation).toHaveBeenCalledWith({}));
    await waitFor(() => expect(screen.getAllByTestId("conversation-item")).toHaveLength(3));
    const created = screen.getAllByTestId("conversation-item").find((i) => i.textContent?.includes("New conversation"))!;
    expect(within(created).getByTestId("conversation-open").getAttribute("aria-current")).toBe("true");
    await screen.findByTestId("messages-empty");
    await waitFor(() => expect(document.activeElement).toBe(input()));
    await user.type(input(), "first{Enter}");
    await waitFor(() => expect(fb.backend.sendMessage).toHaveBeenCalledWith({ conversation_id: created.dataset.conversationId, text: "first", provider_id: "p1" }));
  });

  it("re-fetches the list on conversations_changed", async () => {
    const fb = renderChat(two());
    await screen.findAllByTestId("conversation-item");
    fb.setConversations([conversation({ id: "c3", title: "From the other window" })]);
    act(() => fb.emit({ type: "conversations_changed" }));
    await waitFor(() => expect(screen.getAllByTestId("conversation-title").map((t) => t.textContent)).toEqual(["From the other window"]));
  });
});

describe("Chat · search", () => {
  const hitFixture = () =>
    fakeBackend({
      conversations: [conversation({ id: "c1", title: "Rust lifetimes" }), conversation({ id: "c2", title: "Cooking" })],
      messages: [
        message({ id: "m1", conversation_id: "c2", content: "How long to boil an egg?" }),
        message({ id: "m2", conversation_id: "c2", role: "assistant", content: "About 9 minutes for a hard egg.", provider: "Local Ollama" }),
      ],
      hits: [
        {
          conversation_id: "c2",
          conversation_title: "Cooking",
          message_id: "m2",
          role: "assistant",
          snippet: [
            { text: "About 9 minutes for a hard ", hit: false },
            { text: "egg", hit: true },
            { text: " <img src=x onerror=alert(1)>", hit: false },
            { text: "<img src=x onerror=alert(1)>", hit: true },
          ],
          created_at: "2026-01-02T10:00:00Z",
        },
      ],
    });

  it("debounces, marks the hits as text and opens the message", async () => {
    const user = userEvent.setup();
    const fb = renderChat(hitFixture());
    await screen.findAllByTestId("conversation-item");
    await user.type(screen.getByTestId("search-input"), "egg");
    const hit = await screen.findByTestId("search-hit");
    // One call for the settled query, not one per key.
    expect(fb.backend.search).toHaveBeenCalledTimes(1);
    expect(fb.backend.search).toHaveBeenCalledWith("egg", 20);
    expect(hit.textContent).toContain("Cooking");
    const marks = hit.querySelectorAll("mark");
    expect(Array.from(marks).map((m) => m.textContent)).toEqual(["egg", "<img src=x onerror=alert(1)>"]);
    expect(hit.querySelector("img")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
    expect(hit.textContent).toContain("<img src=x onerror=alert(1)>");

    const scrollIntoView = vi.fn();
    Element.prototype.scrollIntoView = scrollIntoView;
    try {
      await user.click(hit);
      await waitFor(() => expect(document.getElementById("message-m2")).toBeTruthy());
      expect(fb.backend.listMessages).toHaveBeenCalledWith("c2");
      expect(screen.getByTestId("chat-title").textContent).toBe("Cooking");
      await waitFor(() => expect(document.getElementById("message-m2")!.classList.contains("message-flash")).toBe(true));
      expect(scrollIntoView).toHaveBeenCalled();
      expect(scrollIntoView.mock.contexts[0]).toBe(document.getElementById("message-m2"));
    } finally {
      Reflect.deleteProperty(Element.prototype, "scrollIntoView");
    }
  });

  it("waits ~150 ms after the last key before searching", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const fb = renderChat(hitFixture());
      await screen.findAllByTestId("conversation-item");
      const box = screen.getByTestId("search-input");
      fireEvent.change(box, { target: { value: "e" } });
      act(() => vi.advanceTimersByTime(100));
      fireEvent.change(box, { target: { value: "eg" } });
      act(() => vi.advanceTimersByTime(100));
      fireEvent.change(box, { target: { value: "egg" } });
      act(() => vi.advanceTimersByTime(100));
      expect(fb.backend.search).not.toHaveBeenCalled();
      act(() => vi.advanceTimersByTime(60));
      expect(fb.backend.search).toHaveBeenCalledOnce();
      expect(fb.backend.search).toHaveBeenCalledWith("egg", 20);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says when nothing matches, and Escape goes back to the list", async () => {
    const user = userEvent.setup();
    const fb = renderChat(hitFixture());
    fb.setHits([]);
    await screen.findAllByTestId("conversation-item");
    await user.type(screen.getByTestId("search-input"), "zebra");
    expect((await screen.findByTestId("search-empty")).textContent).toContain("zebra");
    expect(screen.queryByTestId("conversation-item")).toBeNull();
    await user.keyboard("{Escape}");
    expect(screen.getAllByTestId("conversation-item")).toHaveLength(2);
  });

  it("shows a search error", async () => {
    const user = userEvent.setup();
    const fb = renderChat(hitFixture());
    fb.backend.search.mockRejectedValueOnce(new BackendError("invalid", "query too long"));
    await user.type(await screen.findByTestId("search-input"), "x");
    expect((await screen.findByTestId("search-error")).textContent).toContain("query too long");
  });
});

describe("Chat · regenerate", () => {
  const answered = () =>
    fakeBackend({
      providers: [provider({ id: "p1", name: "Local Ollama" }), provider({ id: "p2", name: "Work Claude", kind: "anthropic", model: "claude-sonnet-4" })],
      conversations: [conversation({ id: "c1", title: "Rust lifetimes" })],
      messages: [
        message({ id: "u1", content: "Explain lifetimes" }),
        message({ id: "old-a1", role: "assistant", content: "Old answer", provider: "Local Ollama" }),
        message({ id: "old-u2", content: "Shorter please" }),
        message({ id: "old-a2", role: "assistant", content: "Lifetimes are scopes.", provider: "Local Ollama" }),
      ],
    });

  it("is offered on the last answer only, and streams the new answer in place of the old one", async () => {
    const user = userEvent.setup();
    const fb = renderChat(answered());
    await openConversation("Rust lifetimes");
    await waitFor(() => expect(messages()).toHaveLength(4));
    const buttons = screen.getAllByTestId("chat-regenerate");
    expect(buttons).toHaveLength(1);
    expect(messages()[3]!.contains(buttons[0]!)).toBe(true);

    // With the provider picked in the composer.
    await user.selectOptions(await screen.findByTestId("provider-picker"), "p2");
    await user.click(buttons[0]!);
    await waitFor(() => expect(fb.backend.regenerate).toHaveBeenCalledWith({ conversation_id: "c1", provider_id: "p2" }));
    const receipt = await fb.backend.regenerate.mock.results[0]!.value;
    const aid = receipt.assistant_message_id;

    // The old answer is gone; the new one streams at its place, and nothing can be regenerated meanwhile.
    await waitFor(() => expect(messages().map((m) => m.dataset.status)).toEqual(["complete", "complete", "complete", "streaming"]));
    expect(document.body.textContent).not.toContain("Lifetimes are scopes.");
    expect(screen.queryByTestId("chat-regenerate")).toBeNull();
    expect(screen.getByTestId("chat-stop")).toBeTruthy();

    act(() => fb.emit({ type: "chat_started", conversation_id: "c1", message_id: aid, provider: "Work Claude" }));
    act(() => fb.emit({ type: "chat_delta", conversation_id: "c1", message_id: aid, text: "Scopes, briefly." }));
    await waitFor(() => expect(messages()[3]!.textContent).toContain("Scopes, briefly."));

    fb.addMessage(message({ id: aid, conversation_id: "c1", role: "assistant", content: "Scopes, briefly.", provider: "Work Claude" }));
    act(() => fb.emit({ type: "chat_finished", conversation_id: "c1", message_id: aid }));
    await waitFor(() => expect(messages()[3]!.dataset.status).toBe("complete"));
    expect(messages()).toHaveLength(4);
    expect(messages()[3]!.id).toBe(`message-${aid}`);
    expect(messages()[1]!.textContent).toContain("Old answer");
    // Offered again, on the new answer.
    expect(messages()[3]!.contains(screen.getByTestId("chat-regenerate"))).toBe(true);
  });

  it("is not offered while an answer streams, nor when the last message is a question", async () => {
    const user = userEvent.setup();
    renderChat(fakeBackend({ conversations: [conversation({ id: "c1", title: "Fresh" })] }));
    await openConversation("Fresh");
    await screen.findByTestId("messages-empty");
    await user.type(await readyInput(), "Hi{Enter}");
    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(screen.queryByTestId("chat-regenerate")).toBeNull();
  });

  it("shows the server's refusal", async () => {
    const user = userEvent.setup();
    const fb = renderChat(answered());
    fb.backend.regenerate.mockRejectedValueOnce(
      new BackendError("invalid_field", "conversation_id: the answer is still being written: stop it first", "conversation_id"),
    );
    await openConversation("Rust lifetimes");
    await user.click(await screen.findByTestId("chat-regenerate"));
    expect((await screen.findByTestId("regenerate-error")).textContent).toContain("still being written");
    // The old answer stays.
    expect(document.body.textContent).toContain("Lifetimes are scopes.");
    expect(screen.getByTestId<HTMLButtonElement>("chat-regenerate").disabled).toBe(false);
  });
});

describe("Chat · remembered facts", () => {
  const openPanel = async () => {
    const panel = await screen.findByTestId("facts-panel");
    fireEvent.click(within(panel).getByText("Remembered"));
    return panel;
  };

  it("lists the facts, adds one and forgets one after a confirmation", async () => {
    const user = userEvent.setup();
    const fb = renderChat(
      fakeBackend({
        facts: [fact({ id: "f2", text: "I live in Lyon", source: "voice" }), fact({ id: "f1", text: "My dog is called Rex", source: "chat" })],
      }),
    );
    const panel = await openPanel();
    await waitFor(() => expect(within(panel).getAllByTestId("fact-row")).toHaveLength(2));
    const rows = () => within(panel).queryAllByTestId("fact-row");
    expect(rows()[0]!.textContent).toContain("I live in Lyon");
    expect(rows()[0]!.textContent).toContain("said by voice");

    await user.type(within(panel).getByTestId("fact-input"), "  I prefer metric units ");
    await user.click(within(panel).getByTestId("fact-add"));
    expect(fb.backend.addFact).toHaveBeenCalledWith("I prefer metric units");
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[0]!.textContent).toContain("I prefer metric units");
    expect(within(panel).getByTestId<HTMLInputElement>("fact-input").value).toBe("");

    const rex = rows().find((r) => r.textContent?.includes("Rex"))!;
    await user.click(within(rex).getByTestId("fact-delete"));
    expect(fb.backend.deleteFact).not.toHaveBeenCalled();
    await user.click(within(rex).getByTestId("fact-delete-cancel"));
    expect(within(rex).queryByTestId("fact-delete-confirm")).toBeNull();
    await user.click(within(rex).getByTestId("fact-delete"));
    await user.click(within(rex).getByTestId("fact-delete-confirm"));
    expect(fb.backend.deleteFact).toHaveBeenCalledWith("f1");
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(panel.textContent).not.toContain("Rex");
  });

  it("shows a refusal by the field, and refreshes on facts_changed", async () => {
    const user = userEvent.setup();
    const fb = renderChat();
    const panel = await openPanel();
    await within(panel).findByTestId("facts-empty");
    fb.backend.addFact.mockRejectedValueOnce(new BackendError("invalid_field", "text: too long", "text"));
    await user.type(within(panel).getByTestId("fact-input"), "x");
    await user.click(within(panel).getByTestId("fact-add"));
    expect((await within(panel).findByTestId("fact-add-error")).textContent).toContain("too long");
    expect(within(panel).getByTestId("fact-input").getAttribute("aria-invalid")).toBe("true");

    fb.setFacts([fact({ id: "f9", text: "Told by voice" })]);
    act(() => fb.emit({ type: "facts_changed" }));
    await waitFor(() => expect(within(panel).getAllByTestId("fact-row")).toHaveLength(1));
    expect(panel.textContent).toContain("Told by voice");
  });

  it("shows recalled facts apart from recalled messages", async () => {
    renderChat(
      fakeBackend({
        conversations: [conversation({ id: "c1", title: "Now" })],
        messages: [
          message({ id: "u1", content: "what's my dog called?" }),
          message({
            id: "a1",
            role: "assistant",
            content: "Rex.",
            recalled: [
              { kind: "fact", message_id: "f1", conversation_id: "", conversation_title: "", excerpt: "My dog is called Rex" },
              { kind: "message", message_id: "old1", conversation_id: "c0", conversation_title: "Dogs", excerpt: "Rex likes walks" },
              { kind: "similar", message_id: "old2", conversation_id: "c0", conversation_title: "Dogs", excerpt: "Our puppy's name" },
            ],
          }),
        ],
      }),
    );
    await openConversation("Now");
    const used = await screen.findByTestId("message-recalled");
    expect(used.querySelector("summary")!.textContent).toBe("Used 2 memories from earlier conversations and 1 remembered fact");
    expect(within(used).getByTestId("recalled-fact").textContent).toBe("Remembered: My dog is called Rex");
    const [byWords, byMeaning] = within(used).getAllByTestId("recalled-message");
    expect(byWords!.textContent).toContain("Rex likes walks");
    expect(byWords!.textContent).not.toContain("Similar in meaning");
    expect(byMeaning!.textContent).toContain("Similar in meaning: Dogs — Our puppy's name");
    expect(within(within(used).getByTestId("recalled-fact")).queryByRole("button")).toBeNull();
  });
});
