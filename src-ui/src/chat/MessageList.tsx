import { memo, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { Message } from "../bindings/Message";
import { errorMessage } from "../backend/errors";
import { Loading, Notice } from "../components/Notice";
import { useAppData } from "../data/AppData";
import type { StreamingAnswer } from "../data/ChatData";
import { useChatData } from "../data/ChatData";
import { pickedProvider } from "./Composer";
import { CopyButton } from "./CopyButton";
import { RichText } from "./RichText";

export const FLASH_MS = 2_000;

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function providerLine(m: Pick<Message, "provider" | "model" | "status">): string | null {
  if (!m.provider && !m.model) return null;
  const who = [m.provider, m.model].filter((x) => x).join(" · ");
  return m.status === "failed" ? `last tried ${who}` : `answered by ${who}`;
}

/** Answer the last question again, asking the provider picked in the composer first. */
function RegenerateButton() {
  const chat = useChatData();
  const { providers } = useAppData();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onClick = async () => {
    setBusy(true);
    setError(null);
    try {
      await chat.regenerate(pickedProvider(providers.data, chat.providerId));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="link-button small"
        data-testid="chat-regenerate"
        onClick={() => void onClick()}
        disabled={busy}
        title="Answer the last question again, replacing this answer"
      >
        {busy ? "Regenerating…" : "Regenerate"}
      </button>
      {error && (
        <span className="field-error small" role="alert" data-testid="regenerate-error">
          Could not regenerate: {error}
        </span>
      )}
    </>
  );
}

/** A stored message; `regenerate` offers to answer it again (the last answer, when nothing streams). */
export const MessageView = memo(function MessageView({ message: m, regenerate = false }: { message: Message; regenerate?: boolean }) {
  const when = formatTime(m.created_at);
  if (m.role !== "assistant") {
    return (
      <article
        className={`message message-${m.role}`}
        id={`message-${m.id}`}
        data-testid="message"
        data-role={m.role}
        data-status={m.status}
        aria-label={m.role === "user" ? "You" : "System"}
      >
        <div className="message-body user-text">{m.content}</div>
        {when && (
          <div className="message-meta">
            <time dateTime={m.created_at}>{when}</time>
          </div>
        )}
      </article>
    );
  }
  const provider = providerLine(m);
  return (
    <article
      className={`message message-assistant message-${m.status}`}
      id={`message-${m.id}`}
      data-testid="message"
      data-role="assistant"
      data-status={m.status}
      aria-label="Jarvis"
    >
      {m.content !== "" && <RichText text={m.content} />}
      {m.status === "interrupted" && (
        <p className="message-interrupted">
          <span className="badge badge-warn" data-testid="message-interrupted">
            interrupted
          </span>
          {m.error && (
            <span className="muted" data-testid="message-error">
              {m.error}
            </span>
          )}
        </p>
      )}
      {m.status === "failed" && (
        <div className="message-error" data-testid="message-error">
          <strong>No answer.</strong> {m.error ?? "Every provider failed."}
        </div>
      )}
      <div className="message-meta">
        {provider && <span data-testid="message-provider">{provider}</span>}
        {when && <time dateTime={m.created_at}>{when}</time>}
        {m.content !== "" && <CopyButton text={m.content} testId="copy-message" className="link-button small" />}
        {regenerate && <RegenerateButton />}
      </div>
      <RecalledMemories recalled={m.recalled} />
    </article>
  );
});

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Which pinned facts and earlier messages were given to the model with this question. */
function RecalledMemories({ recalled }: { recalled: Message["recalled"] }) {
  const { openMessage } = useChatData();
  if (recalled.length === 0) return null;
  const facts = recalled.filter((r) => r.kind === "fact");
  const earlier = recalled.filter((r) => r.kind !== "fact");
  const parts = [
    earlier.length > 0 && `${plural(earlier.length, "memory", "memories")} from earlier conversations`,
    facts.length > 0 && plural(facts.length, "remembered fact", "remembered facts"),
  ].filter((x): x is string => !!x);
  return (
    <details className="message-recalled" data-testid="message-recalled">
      <summary>Used {parts.join(" and ")}</summary>
      <ul>
        {facts.map((r) => (
          <li key={`fact-${r.message_id}`} className="recalled-fact" data-testid="recalled-fact">
            <span className="recalled-kind">Remembered:</span> {r.excerpt}
          </li>
        ))}
        {earlier.map((r) => (
          <li key={r.message_id} data-testid="recalled-message" data-kind={r.kind}>
            {r.kind === "similar" && <span className="recalled-kind">Similar in meaning:</span>}{" "}
            <button type="button" className="link-button small" onClick={() => openMessage(r.conversation_id, r.message_id)}>
              {r.conversation_title}
            </button>
            <span className="muted"> — {r.excerpt}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** An answer still streaming in. */
function StreamingView({ answer }: { answer: StreamingAnswer }) {
  return (
    <article
      className="message message-assistant message-streaming"
      id={`message-${answer.messageId}`}
      data-testid="message"
      data-role="assistant"
      data-status="streaming"
      aria-label="Jarvis (answering)"
    >
      {answer.text === "" ? (
        <p className="typing" data-testid="message-thinking">
          <span className="visually-hidden">Waiting for the answer</span>
          <span className="typing-dot" aria-hidden="true" />
          <span className="typing-dot" aria-hidden="true" />
          <span className="typing-dot" aria-hidden="true" />
        </p>
      ) : (
        <div className="streaming-text" data-testid="message-streaming-text">
          <RichText text={answer.text} />
        </div>
      )}
      <div className="message-meta">
        <span data-testid="message-provider">
          {answer.finished ? "finishing…" : answer.provider ? `${answer.provider} is answering…` : "Starting…"}
        </span>
      </div>
    </article>
  );
}

/** The stored messages, with the answers that are streaming in at the end (or in place). */
function mergeItems(stored: Message[], streams: StreamingAnswer[]) {
  const live = new Map(streams.map((s) => [s.messageId, s]));
  const items: ({ kind: "stored"; message: Message } | { kind: "live"; answer: StreamingAnswer })[] = [];
  for (const m of stored) {
    const s = live.get(m.id);
    // While it streams, the live text wins over a row the server may already have stored.
    if (s && !s.finished) {
      items.push({ kind: "live", answer: s });
      live.delete(m.id);
    } else {
      items.push({ kind: "stored", message: m });
      live.delete(m.id);
    }
  }
  for (const s of live.values()) items.push({ kind: "live", answer: s });
  return items;
}

const NEAR_BOTTOM_PX = 80;

export function MessageList({ streams }: { streams: StreamingAnswer[] }) {
  const { messages, selectedId, refreshMessages, focus } = useChatData();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const handledFocus = useRef(0);
  const stored = messages.conversationId === selectedId ? messages.data : null;
  const items = stored ? mergeItems(stored, streams) : [];
  const lastText = streams.at(-1)?.text.length ?? 0;
  const lastQuestion = stored?.findLast((m) => m.role === "user")?.id;

  // A conversation opens at its end, and a new question brings the view back down.
  useLayoutEffect(() => {
    stick.current = true;
  }, [selectedId, lastQuestion]);

  // Follow the answer as it grows, unless the user scrolled up to read.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current && !(focus && focus.nonce !== handledFocus.current)) el.scrollTop = el.scrollHeight;
  }, [items.length, lastText, stored, focus]);

  // Scroll to a search hit and flash it.
  useEffect(() => {
    if (!focus || focus.nonce === handledFocus.current || !stored) return;
    const el = document.getElementById(`message-${focus.messageId}`);
    if (!el) return;
    handledFocus.current = focus.nonce;
    stick.current = false;
    el.scrollIntoView?.({ block: "center", behavior: "smooth" });
    el.classList.add("message-flash");
    // Not undone by a re-render: React leaves a class it did not set alone.
    setTimeout(() => el.classList.remove("message-flash"), FLASH_MS);
  }, [focus, stored]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  };

  const streaming = streams.some((s) => !s.finished);
  const lastItem = items.at(-1);
  const regenerateId = !streaming && lastItem?.kind === "stored" && lastItem.message.role === "assistant" ? lastItem.message.id : null;

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} data-testid="messages">
      {selectedId === null && (
        <div className="chat-welcome" data-testid="chat-welcome">
          <p className="lead">What can I help with?</p>
          <p className="muted">Your conversations are kept on this machine. Press Ctrl+K to search them.</p>
        </div>
      )}
      {selectedId !== null && messages.error && (
        <Notice tone="error" testId="messages-error">
          Could not load the messages: {messages.error}{" "}
          <button type="button" className="link-button" onClick={() => void refreshMessages()}>
            Retry
          </button>
        </Notice>
      )}
      {selectedId !== null && messages.loading && !stored && <Loading what="messages" />}
      {stored && items.length === 0 && (
        <p className="empty chat-empty" data-testid="messages-empty">
          No messages yet. Ask something below.
        </p>
      )}
      {items.length > 0 && (
        <div className="message-log" role="log" aria-label="Messages" aria-busy={streaming}>
          {items.map((it) =>
            it.kind === "stored" ? (
              <MessageView key={it.message.id} message={it.message} regenerate={it.message.id === regenerateId} />
            ) : <StreamingView key={it.answer.messageId} answer={it.answer} />,
          )}
        </div>
      )}
    </div>
  );
}
