import { useEffect, useRef, useState } from "react";
import type { KeyboardEvent } from "react";
import type { Conversation } from "../bindings/Conversation";
import { errorMessage } from "../backend/errors";
import { Loading, Notice } from "../components/Notice";
import { useChatData } from "../data/ChatData";
import { Icon } from "./Icon";

export const UNTITLED = "Untitled conversation";

function ConversationItem({ conversation: c, selected }: { conversation: Conversation; selected: boolean }) {
  const chat = useChatData();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(c.title);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<null | "rename" | "pin" | "delete">(null);
  const [error, setError] = useState<string | null>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const committing = useRef(false);
  const returnFocus = useRef(false);
  const label = c.title.trim() === "" ? UNTITLED : c.title;

  useEffect(() => {
    if (editing) {
      inputRef.current?.focus();
      inputRef.current?.select();
    } else if (returnFocus.current) {
      returnFocus.current = false;
      openRef.current?.focus();
    }
  }, [editing]);

  const startRename = () => {
    setTitle(c.title);
    setError(null);
    setConfirming(false);
    setEditing(true);
  };

  const finishRename = async (save: boolean, keyboard: boolean) => {
    if (committing.current) return;
    const next = title.trim();
    if (!save || next === "" || next === c.title) {
      returnFocus.current = keyboard;
      setEditing(false);
      return;
    }
    committing.current = true;
    setBusy("rename");
    try {
      await chat.renameConversation(c.id, next);
      returnFocus.current = keyboard;
      setEditing(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      committing.current = false;
      setBusy(null);
    }
  };

  const onRenameKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void finishRename(true, true);
    } else if (e.key === "Escape") {
      e.preventDefault();
      void finishRename(false, true);
    }
  };

  const togglePin = async () => {
    setBusy("pin");
    setError(null);
    try {
      await chat.setPinned(c.id, !c.pinned);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const onDelete = async () => {
    if (!confirming) {
      setConfirming(true);
      setError(null);
      return;
    }
    setBusy("delete");
    try {
      await chat.deleteConversation(c.id);
      // This item is gone now.
    } catch (e) {
      setError(errorMessage(e));
      setConfirming(false);
      setBusy(null);
    }
  };

  const classes = ["conversation"];
  if (selected) classes.push("conversation-selected");
  if (confirming) classes.push("conversation-confirming");

  return (
    <li className={classes.join(" ")} data-testid="conversation-item" data-conversation-id={c.id} data-pinned={c.pinned}>
      <div className="conversation-row">
        {editing ? (
          <input
            ref={inputRef}
            type="text"
            className="conversation-rename-input"
            data-testid="conversation-rename-input"
            aria-label={`New title for ${label}`}
            value={title}
            maxLength={200}
            disabled={busy === "rename"}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={onRenameKey}
            onBlur={() => void finishRename(true, false)}
          />
        ) : (
          <button
            ref={openRef}
            type="button"
            className="conversation-open"
            data-testid="conversation-open"
            aria-current={selected ? "true" : undefined}
            onClick={() => chat.select(c.id)}
            title={label}
          >
            {c.pinned && (
              <span className="conversation-pin" data-testid="conversation-pinned" title="Pinned">
                <Icon name="pin" />
                <span className="visually-hidden">Pinned: </span>
              </span>
            )}
            <span className="conversation-title" data-testid="conversation-title">
              {label}
            </span>
          </button>
        )}
        {!editing && !confirming && (
          <div className="conversation-actions">
            <button
              type="button"
              className="icon-button"
              data-testid="conversation-rename"
              aria-label={`Rename ${label}`}
              title="Rename"
              onClick={startRename}
              disabled={busy !== null}
            >
              <Icon name="edit" />
            </button>
            <button
              type="button"
              className="icon-button"
              data-testid="conversation-pin"
              aria-label={c.pinned ? `Unpin ${label}` : `Pin ${label}`}
              aria-pressed={c.pinned}
              title={c.pinned ? "Unpin" : "Pin to the top"}
              onClick={() => void togglePin()}
              disabled={busy !== null}
            >
              <Icon name={c.pinned ? "unpin" : "pin"} />
            </button>
            <button
              type="button"
              className="icon-button"
              data-testid="conversation-delete"
              aria-label={`Delete ${label}`}
              title="Delete"
              onClick={() => void onDelete()}
              disabled={busy !== null}
            >
              <Icon name="trash" />
            </button>
          </div>
        )}
      </div>
      {confirming && (
        <div className="conversation-confirm" role="group" aria-label={`Delete ${label}?`}>
          <span className="small">Delete this conversation?</span>
          <button
            type="button"
            className="danger small-button"
            data-testid="conversation-delete-confirm"
            onClick={() => void onDelete()}
            disabled={busy === "delete"}
            // The confirm button takes focus, so Enter or Space confirms and Escape keeps.
            autoFocus
            onKeyDown={(e) => {
              if (e.key === "Escape") setConfirming(false);
            }}
          >
            {busy === "delete" ? "Deleting…" : "Delete"}
          </button>
          <button
            type="button"
            className="small-button"
            data-testid="conversation-delete-cancel"
            onClick={() => setConfirming(false)}
            disabled={busy === "delete"}
          >
            Keep
          </button>
        </div>
      )}
      {error && (
        <p className="field-error small" role="alert" data-testid="conversation-error">
          {error}
        </p>
      )}
    </li>
  );
}

export function ConversationList() {
  const { conversations, refreshConversations, selectedId } = useChatData();
  const list = conversations.data;
  return (
    <nav className="conversation-nav" aria-label="Conversations">
      {conversations.error && (
        <Notice tone="error" testId="conversations-error">
          Could not load your conversations: {conversations.error}{" "}
          <button type="button" className="link-button" onClick={() => void refreshConversations()}>
            Retry
          </button>
        </Notice>
      )}
      {conversations.loading && <Loading what="conversations" />}
      {list && list.length === 0 && (
        <p className="empty small" data-testid="conversations-empty">
          No conversations yet. Ask something to start one.
        </p>
      )}
      {list && list.length > 0 && (
        <ul className="conversation-list" data-testid="conversation-list">
          {list.map((c) => (
            <ConversationItem key={c.id} conversation={c} selected={c.id === selectedId} />
          ))}
        </ul>
      )}
    </nav>
  );
}
