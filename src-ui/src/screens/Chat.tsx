import { useState } from "react";
import { errorMessage } from "../backend/errors";
import { Composer, COMPOSER_ID } from "../chat/Composer";
import { ConversationList, UNTITLED } from "../chat/ConversationList";
import { FactsPanel } from "../chat/FactsPanel";
import { Icon } from "../chat/Icon";
import { MessageList } from "../chat/MessageList";
import { SearchBox, SearchResults } from "../chat/SearchPanel";
import { useChatData } from "../data/ChatData";

function NewConversationButton() {
  const chat = useChatData();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onClick = async () => {
    setError(null);
    // The open conversation is still empty: reuse it rather than pile up empty ones.
    if (chat.selectedId !== null && chat.messages.conversationId === chat.selectedId && chat.messages.data?.length === 0) {
      document.getElementById(COMPOSER_ID)?.focus();
      return;
    }
    setBusy(true);
    try {
      await chat.newConversation();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className="primary new-conversation" data-testid="new-conversation" onClick={() => void onClick()} disabled={busy}>
        <Icon name="plus" /> New conversation
      </button>
      {error && (
        <p className="field-error small" role="alert" data-testid="new-conversation-error">
          Could not start a conversation: {error}
        </p>
      )}
    </>
  );
}

export function Chat() {
  const chat = useChatData();
  const [query, setQuery] = useState("");
  const { selectedId } = chat;
  const selected = chat.conversations.data?.find((c) => c.id === selectedId) ?? null;
  const streams = chat.streams.filter((s) => s.conversationId === selectedId && selectedId !== null);
  const active = streams.find((s) => !s.finished) ?? null;
  const title = selectedId === null ? "New conversation" : selected ? selected.title.trim() || UNTITLED : "";

  return (
    <>
      <header className="screen-header chat-header">
        <h1 tabIndex={-1}>Chat</h1>
      </header>
      <div className="chat-layout">
        <aside className="chat-sidebar" aria-label="Conversations and search">
          <NewConversationButton />
          <SearchBox query={query} onQuery={setQuery} />
          {query.trim() !== "" ? <SearchResults query={query} /> : <ConversationList />}
          <FactsPanel />
        </aside>
        <section className="chat-main" aria-labelledby="chat-title">
          <div className="chat-main-header">
            <h2 id="chat-title" className="chat-title" data-testid="chat-title">
              {title}
              {selected?.pinned && <span className="visually-hidden"> (pinned)</span>}
            </h2>
          </div>
          <MessageList streams={streams} />
          <Composer key={selectedId ?? ""} draftKey={selectedId ?? ""} streaming={active} />
        </section>
      </div>
    </>
  );
}
