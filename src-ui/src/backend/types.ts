import type { Conversation } from "../bindings/Conversation";
import type { ConversationPatch } from "../bindings/ConversationPatch";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { Message } from "../bindings/Message";
import type { NewConversation } from "../bindings/NewConversation";
import type { NewProvider } from "../bindings/NewProvider";
import type { Provider } from "../bindings/Provider";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { ProviderPatch } from "../bindings/ProviderPatch";
import type { SearchHit } from "../bindings/SearchHit";
import type { SendMessage } from "../bindings/SendMessage";
import type { SendReceipt } from "../bindings/SendReceipt";
import type { ServerSettings } from "../bindings/ServerSettings";
import type { ServerView } from "../bindings/ServerView";

/** State of the live event stream, reported to `subscribe`'s optional second callback. */
export type StreamState = "connecting" | "open" | "closed";

/** The one interface every screen talks to; implemented over Tauri IPC and over HTTP. */
export interface Backend {
  readonly transport: "tauri" | "http";
  health(): Promise<Health>;
  listProviders(): Promise<Provider[]>;
  addProvider(p: NewProvider): Promise<Provider>;
  updateProvider(id: string, patch: ProviderPatch): Promise<Provider>;
  removeProvider(id: string): Promise<void>;
  /**
   * Probe Ollama (11434), llama.cpp (8080) and LM Studio (1234) on 127.0.0.1;
   * only the servers that answered, with their models. May take about a second.
   */
  detectLocalServers(): Promise<DetectedServer[]>;
  /** The models a saved provider offers; rejects (e.g. `providers_unavailable`) when it can't be reached. */
  providerModels(id: string): Promise<string[]>;
  getServer(): Promise<ServerView>;
  setServer(settings: ServerSettings): Promise<ServerView>;
  /** Pinned first, then most recently updated (the server orders them). */
  listConversations(): Promise<Conversation[]>;
  createConversation(c: NewConversation): Promise<Conversation>;
  updateConversation(id: string, patch: ConversationPatch): Promise<Conversation>;
  deleteConversation(id: string): Promise<void>;
  /** Oldest first. */
  listMessages(conversationId: string): Promise<Message[]>;
  /**
   * Store the user's message and start the answer; it streams as `chat_started`,
   * `chat_delta` and `chat_finished` events. Without `conversation_id` a new conversation is made.
   */
  sendMessage(m: SendMessage): Promise<SendReceipt>;
  /** Stop an answer that is streaming; rejects with `not_found` when it already ended. */
  stopMessage(messageId: string): Promise<void>;
  providerCircuits(): Promise<ProviderCircuit[]>;
  search(q: string, limit?: number): Promise<SearchHit[]>;
  /** Listen to backend events; returns the unsubscribe function. */
  subscribe(onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void): () => void;
}
