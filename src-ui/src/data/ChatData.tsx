import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Conversation } from "../bindings/Conversation";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Message } from "../bindings/Message";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { Regenerate } from "../bindings/Regenerate";
import type { SendMessage } from "../bindings/SendMessage";
import type { SendReceipt } from "../bindings/SendReceipt";
import { BackendError, errorMessage, toBackendError } from "../backend/errors";
import type { Backend } from "../backend/types";
import type { Resource } from "./AppData";
import { useAppData, useLoader } from "./AppData";

/** An answer as it streams in, before the stored message replaces it. */
export interface StreamingAnswer {
  messageId: string;
  conversationId: string;
  /** From `chat_started`; null until it arrives. */
  provider: string | null;
  text: string;
  /** `chat_finished` arrived; the stored message is being fetched. */
  finished: boolean;
  /** Stop was asked for. */
  stopping: boolean;
}

export interface MessagesState extends Resource<Message[]> {
  /** The conversation these messages belong to. */
  conversationId: string | null;
}

/** A request to scroll to a message and highlight it (from a search hit). */
export interface FocusRequest {
  messageId: string;
  nonce: number;
}

export interface ChatData {
  conversations: Resource<Conversation[]>;
  refreshConversations(): Promise<void>;
  /** The open conversation; null for a new one, made on the first send. */
  selectedId: string | null;
  select(id: string | null): void;
  /** Open a conversation and scroll to one of its messages. */
  openMessage(conversationId: string, messageId: string): void;
  focus: FocusRequest | null;
  /** Messages of the open conversation. */
  messages: MessagesState;
  refreshMessages(): Promise<void>;
  /** Answers streaming now, in every conversation, oldest first. */
  streams: StreamingAnswer[];
  circuits: Resource<ProviderCircuit[]>;
  /** Send into the open conversation (or a new one); rejects with a BackendError. */
  send(text: string, providerId?: string): Promise<SendReceipt>;
  /**
   * Answer the open conversation's last question again: the last answer is dropped and the
   * new one streams in its place. Rejects with a BackendError (field `conversation_id`).
   */
  regenerate(providerId?: string): Promise<SendReceipt>;
  /** Stop a streaming answer; an answer that already ended is not an error. */
  stop(messageId: string): Promise<void>;
  newConversation(): Promise<Conversation>;
  renameConversation(id: string, title: string): Promise<void>;
  setPinned(id: string, pinned: boolean): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  /** Unsent text per conversation ("" key: the new conversation), kept across screens. */
  draft(key: string): string;
  setDraft(key: string, text: string): void;
  /** The provider picked in the composer (null: the first one). */
  providerId: string | null;
  setProviderId(id: string | null): void;
}

const ChatDataContext = createContext<ChatData | null>(null);

const NO_MESSAGES: MessagesState = { conversationId: null, data: null, error: null, loading: false };

/** Put `c` in the list in place, or first after the pinned ones when it is new. */
export function upsertConversation(list: Conversation[] | null, c: Conversation): Conversation[] {
  const prev = list ?? [];
  if (prev.some((x) => x.id === c.id)) return prev.map((x) => (x.id === c.id ? c : x));
  const at = c.pinned ? 0 : prev.findIndex((x) => !x.pinned);
  const i = at === -1 ? prev.length : at;
  return [...prev.slice(0, i), c, ...prev.slice(i)];
}

/** Owns the chat state above the screens, so an answer keeps streaming while another screen is open. */
export function ChatDataProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  const { listen, resyncs } = useAppData();
  const loadConversations = useCallback(() => backend.listConversations(), [backend]);
  const loadCircuits = useCallback(() => backend.providerCircuits(), [backend]);
  const [conversations, refreshConversations, putConversations] = useLoader(loadConversations);
  const [circuits, refreshCircuits] = useLoader(loadCircuits);

  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selectedRef = useRef<string | null>(null);
  const [messages, setMessages] = useState<MessagesState>(NO_MESSAGES);
  const messagesSeq = useRef(0);
  const [streams, setStreams] = useState<StreamingAnswer[]>([]);
  const finished = useRef(new Set<string>());
  const [focus, setFocus] = useState<FocusRequest | null>(null);
  const drafts = useRef(new Map<string, string>());
  const [providerId, setProviderId] = useState<string | null>(null);

  /** Fetch the messages of `cid`; `keep` leaves the current ones on screen meanwhile. */
  const loadMessages = useCallback(
    async (cid: string, keep: boolean) => {
      const mine = ++messagesSeq.current;
      if (!keep) setMessages({ conversationId: cid, data: null, error: null, loading: true });
      try {
        const data = await backend.listMessages(cid);
        if (mine !== messagesSeq.current || selectedRef.current !== cid) return;
        setMessages({ conversationId: cid, data, error: null, loading: false });
        // This answer is newer than every `chat_finished` seen so far: the stored messages win.
        setStreams((prev) => {
          const next = prev.filter((s) => !(s.finished && s.conversationId === cid));
          return next.length === prev.length ? prev : next;
        });
      } catch (e) {
        if (mine !== messagesSeq.current || selectedRef.current !== cid) return;
        if (toBackendError(e).code === "not_found") {
          // Deleted elsewhere.
          selectedRef.current = null;
          setSelectedId(null);
          setMessages(NO_MESSAGES);
          return;
        }
        setMessages((prev) => ({
          conversationId: cid,
          data: prev.conversationId === cid ? prev.data : null,
          error: errorMessage(e),
          loading: false,
        }));
      }
    },
    [backend],
  );

  const select = useCallback(
    (id: string | null) => {
      if (id === selectedRef.current) {
        if (id !== null) void loadMessages(id, true);
        return;
      }
      selectedRef.current = id;
      setSelectedId(id);
      setFocus(null);
      if (id === null) {
        messagesSeq.current++;
        setMessages(NO_MESSAGES);
      } else {
        void loadMessages(id, false);
      }
    },
    [loadMessages],
  );

  const openMessage = useCallback(
    (conversationId: string, messageId: string) => {
      select(conversationId);
      setFocus((prev) => ({ messageId, nonce: (prev?.nonce ?? 0) + 1 }));
    },
    [select],
  );

  const refreshMessages = useCallback(async () => {
    const cid = selectedRef.current;
    if (cid !== null) await loadMessages(cid, true);
  }, [loadMessages]);

  // Live updates.
  useEffect(() => {
    const onEvent = (ev: JarvisEvent) => {
      switch (ev.type) {
        case "conversations_changed":
          void refreshConversations();
          if (selectedRef.current !== null) void loadMessages(selectedRef.current, true);
          break;
        case "providers_changed":
          void refreshCircuits();
          break;
        case "chat_started":
          if (finished.current.has(ev.message_id)) break;
          setStreams((prev) =>
            prev.some((s) => s.messageId === ev.message_id)
              ? prev.map((s) => (s.messageId === ev.message_id ? { ...s, provider: ev.provider } : s))
              : [
                  ...prev,
                  {
                    messageId: ev.message_id,
                    conversationId: ev.conversation_id,
                    provider: ev.provider,
                    text: "",
                    finished: false,
                    stopping: false,
                  },
                ],
          );
          // Sent from another window: fetch the question too.
          if (selectedRef.current === ev.conversation_id) void loadMessages(ev.conversation_id, true);
          break;
        case "chat_delta":
          if (finished.current.has(ev.message_id)) break;
          setStreams((prev) =>
            prev.some((s) => s.messageId === ev.message_id)
              ? prev.map((s) => (s.messageId === ev.message_id ? { ...s, text: s.text + ev.text } : s))
              : [
                  ...prev,
                  {
                    messageId: ev.message_id,
                    conversationId: ev.conversation_id,
                    provider: null,
                    text: ev.text,
                    finished: false,
                    stopping: false,
                  },
                ],
          );
          break;
        case "chat_finished":
          finished.current.add(ev.message_id);
          if (selectedRef.current === ev.conversation_id) {
            // Keep the streamed text on screen until the stored message arrives.
            setStreams((prev) => prev.map((s) => (s.messageId === ev.message_id ? { ...s, finished: true } : s)));
            void loadMessages(ev.conversation_id, true);
          } else {
            setStreams((prev) => prev.filter((s) => s.messageId !== ev.message_id));
          }
          void refreshCircuits();
          break;
        default:
          break;
      }
    };
    return listen(onEvent);
  }, [listen, refreshConversations, refreshCircuits, loadMessages]);

  useEffect(() => {
    void refreshConversations();
    void refreshCircuits();
  }, [refreshConversations, refreshCircuits]);

  // The event stream came back after a drop: catch up on what was missed.
  useEffect(() => {
    if (resyncs === 0) return;
    void refreshConversations();
    void refreshCircuits();
    if (selectedRef.current !== null) void loadMessages(selectedRef.current, true);
  }, [resyncs, refreshConversations, refreshCircuits, loadMessages]);

  const send = useCallback(
    async (text: string, provider?: string) => {
      const from = selectedRef.current;
      const req: SendMessage = { text };
      if (from !== null) req.conversation_id = from;
      if (provider !== undefined) req.provider_id = provider;
      const receipt = await backend.sendMessage(req);
      const conv = receipt.conversation;
      const answerId = receipt.assistant_message_id;
      putConversations((prev) => upsertConversation(prev, conv));
      if (selectedRef.current === from) {
        if (from !== conv.id) {
          // A new conversation was made: open it.
          selectedRef.current = conv.id;
          setSelectedId(conv.id);
          setFocus(null);
          messagesSeq.current++;
          setMessages({ conversationId: conv.id, data: [receipt.user_message], error: null, loading: false });
        } else {
          setMessages((prev) =>
            prev.conversationId === conv.id && prev.data && !prev.data.some((m) => m.id === receipt.user_message.id)
              ? { ...prev, data: [...prev.data, receipt.user_message] }
              : prev,
          );
        }
      }
      if (finished.current.has(answerId)) {
        // It ended before the receipt arrived (e.g. every provider failed at once).
        if (selectedRef.current === conv.id) void loadMessages(conv.id, true);
      } else {
        setStreams((prev) =>
          prev.some((s) => s.messageId === answerId)
            ? prev
            : [...prev, { messageId: answerId, conversationId: conv.id, provider: null, text: "", finished: false, stopping: false }],
        );
      }
      void refreshConversations();
      return receipt;
    },
    [backend, putConversations, loadMessages, refreshConversations],
  );

  const regenerate = useCallback(
    async (provider?: string) => {
      const cid = selectedRef.current;
      if (cid === null) throw new BackendError("invalid_field", "Open a conversation first.", "conversation_id");
      const req: Regenerate = { conversation_id: cid };
      if (provider !== undefined) req.provider_id = provider;
      const receipt = await backend.regenerate(req);
      const answerId = receipt.assistant_message_id;
      putConversations((prev) => upsertConversation(prev, receipt.conversation));
      if (selectedRef.current === cid) {
        // A fetch started before this could still hold the old answer.
        messagesSeq.current++;
        // The server dropped the last answer: the new one streams in its place (at the end).
        setMessages((prev) => {
          const last = prev.data?.at(-1);
          if (prev.conversationId !== cid || !prev.data || !last || last.role !== "assistant" || last.id === answerId) return prev;
          return { ...prev, data: prev.data.slice(0, -1) };
        });
      }
      if (finished.current.has(answerId)) {
        if (selectedRef.current === cid) void loadMessages(cid, true);
      } else {
        setStreams((prev) =>
          prev.some((s) => s.messageId === answerId)
            ? prev
            : [...prev, { messageId: answerId, conversationId: cid, provider: null, text: "", finished: false, stopping: false }],
        );
      }
      void refreshConversations();
      return receipt;
    },
    [backend, putConversations, loadMessages, refreshConversations],
  );

  const stop = useCallback(
    async (messageId: string) => {
      const mark = (stopping: boolean) =>
        setStreams((prev) => prev.map((s) => (s.messageId === messageId ? { ...s, stopping } : s)));
      mark(true);
      try {
        await backend.stopMessage(messageId);
      } catch (e) {
        const err = toBackendError(e);
        if (err.code === "not_found") {
          // It had already ended (its chat_finished may have been missed): show the stored message.
          finished.current.add(messageId);
          setStreams((prev) => prev.map((s) => (s.messageId === messageId ? { ...s, finished: true } : s)));
          if (selectedRef.current !== null) void loadMessages(selectedRef.current, true);
          return;
        }
        mark(false);
        throw err;
      }
    },
    [backend, loadMessages],
  );

  const newConversation = useCallback(async () => {
    const created = await backend.createConversation({});
    putConversations((prev) => upsertConversation(prev, created));
    selectedRef.current = created.id;
    setSelectedId(created.id);
    setFocus(null);
    messagesSeq.current++;
    setMessages({ conversationId: created.id, data: [], error: null, loading: false });
    void refreshConversations();
    return created;
  }, [backend, putConversations, refreshConversations]);

  const patchConversation = useCallback(
    async (id: string, patch: { title?: string; pinned?: boolean }) => {
      const updated = await backend.updateConversation(id, patch);
      putConversations((prev) => upsertConversation(prev, updated));
      // Pinning moves it: let the server order the list.
      void refreshConversations();
    },
    [backend, putConversations, refreshConversations],
  );

  const renameConversation = useCallback((id: string, title: string) => patchConversation(id, { title }), [patchConversation]);
  const setPinned = useCallback((id: string, pinned: boolean) => patchConversation(id, { pinned }), [patchConversation]);

  const deleteConversation = useCallback(
    async (id: string) => {
      await backend.deleteConversation(id);
      putConversations((prev) => (prev ?? []).filter((c) => c.id !== id));
      drafts.current.delete(id);
      if (selectedRef.current === id) select(null);
      void refreshConversations();
    },
    [backend, putConversations, refreshConversations, select],
  );

  const draft = useCallback((key: string) => drafts.current.get(key) ?? "", []);
  const setDraft = useCallback((key: string, text: string) => {
    if (text === "") drafts.current.delete(key);
    else drafts.current.set(key, text);
  }, []);

  const value = useMemo<ChatData>(
    () => ({
      conversations,
      refreshConversations,
      selectedId,
      select,
      openMessage,
      focus,
      messages,
      refreshMessages,
      streams,
      circuits,
      send,
      regenerate,
      stop,
      newConversation,
      renameConversation,
      setPinned,
      deleteConversation,
      draft,
      setDraft,
      providerId,
      setProviderId,
    }),
    [
      conversations,
      refreshConversations,
      selectedId,
      select,
      openMessage,
      focus,
      messages,
      refreshMessages,
      streams,
      circuits,
      send,
      regenerate,
      stop,
      newConversation,
      renameConversation,
      setPinned,
      deleteConversation,
      draft,
      setDraft,
      providerId,
    ],
  );
  return <ChatDataContext.Provider value={value}>{children}</ChatDataContext.Provider>;
}

export function useChatData(): ChatData {
  const v = useContext(ChatDataContext);
  if (!v) throw new Error("useChatData must be used inside <ChatDataProvider>");
  return v;
}
