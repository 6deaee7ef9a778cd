import type { Account } from "../bindings/Account";
import type { ApiKey } from "../bindings/ApiKey";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditVerification } from "../bindings/AuditVerification";
import type { BacktestReport } from "../bindings/BacktestReport";
import type { BacktestRequest } from "../bindings/BacktestRequest";
import type { BarView } from "../bindings/BarView";
import type { BrokerSettings } from "../bindings/BrokerSettings";
import type { BrokerUpdate } from "../bindings/BrokerUpdate";
import type { Conversation } from "../bindings/Conversation";
import type { ConversationPatch } from "../bindings/ConversationPatch";
import type { CreatedApiKey } from "../bindings/CreatedApiKey";
import type { DetectedServer } from "../bindings/DetectedServer";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Fact } from "../bindings/Fact";
import type { FeedRequest } from "../bindings/FeedRequest";
import type { Fill } from "../bindings/Fill";
import type { Health } from "../bindings/Health";
import type { ImportReport } from "../bindings/ImportReport";
import type { ListenStatus } from "../bindings/ListenStatus";
import type { Message } from "../bindings/Message";
import type { NewApiKey } from "../bindings/NewApiKey";
import type { NewConversation } from "../bindings/NewConversation";
import type { NewProvider } from "../bindings/NewProvider";
import type { Order } from "../bindings/Order";
import type { OrderRequest } from "../bindings/OrderRequest";
import type { Position } from "../bindings/Position";
import type { Provider } from "../bindings/Provider";
import type { ProviderCircuit } from "../bindings/ProviderCircuit";
import type { ProviderPatch } from "../bindings/ProviderPatch";
import type { QuoteView } from "../bindings/QuoteView";
import type { Regenerate } from "../bindings/Regenerate";
import type { ReplayRequest } from "../bindings/ReplayRequest";
import type { ReplayStatus } from "../bindings/ReplayStatus";
import type { RiskLimits } from "../bindings/RiskLimits";
import type { SearchHit } from "../bindings/SearchHit";
import type { SendMessage } from "../bindings/SendMessage";
import type { SendReceipt } from "../bindings/SendReceipt";
import type { ServerSettings } from "../bindings/ServerSettings";
import type { ServerView } from "../bindings/ServerView";
import type { SpeechModel } from "../bindings/SpeechModel";
import type { StartStrategyRun } from "../bindings/StartStrategyRun";
import type { StrategyInfo } from "../bindings/StrategyInfo";
import type { StrategyRun } from "../bindings/StrategyRun";
import type { VoiceOutcome } from "../bindings/VoiceOutcome";
import type { VoiceRun } from "../bindings/VoiceRun";
import type { VoiceSettings } from "../bindings/VoiceSettings";

/** State of the live event stream, reported to `subscribe`'s optional second callback. */
export type StreamState = "connecting" | "open" | "closed";

/** What `cancelAllOrders` answers. */
export interface CancelledOrders {
  cancelled: number;
}

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
  /**
   * Answer the conversation's last question again; the last answer is replaced and the new one
   * streams as `chat_started`/`chat_delta`/`chat_finished` under `assistant_message_id`.
   * Rejects naming `conversation_id` while an answer is streaming or when there is no question.
   */
  regenerate(r: Regenerate): Promise<SendReceipt>;
  providerCircuits(): Promise<ProviderCircuit[]>;
  search(q: string, limit?: number): Promise<SearchHit[]>;

  // ---- pinned facts, API keys, import and export ----
  /** Newest first. */
  listFacts(): Promise<Fact[]>;
  /** Refusals name `text`. */
  addFact(text: string): Promise<Fact>;
  /** Rejects with `not_found` when it is already gone. */
  deleteFact(id: string): Promise<void>;
  listApiKeys(): Promise<ApiKey[]>;
  /** The answer holds the key itself, shown this once. Refusals name `name` (empty or taken). */
  createApiKey(k: NewApiKey): Promise<CreatedApiKey>;
  revokeApiKey(id: string): Promise<void>;
  /**
   * Import a ChatGPT `conversations.json` or a Jarvis export (the file's text). All or nothing;
   * refusals are `invalid_import` with `field` saying where in the file.
   */
  importConversations(text: string): Promise<ImportReport>;
  /** Every conversation and message, as the Jarvis export JSON. */
  exportConversations(): Promise<unknown>;

  // ---- trading (paper or a live broker), market data and backtests ----
  /** The broker trading goes through (paper, Alpaca or Binance), its endpoints, key hint and connection. */
  getBroker(): Promise<BrokerSettings>;
  /**
   * Choose the broker; the keys are proven against it before anything is kept.
   * Leave the keys out to keep the stored ones. Refusals name the field:
   * `secret` (wrong keys), `key_id`, `base_url`/`data_url` (bad or unreachable URL),
   * `kind` (orders still open at the current broker).
   */
  setBroker(update: BrokerUpdate): Promise<BrokerSettings>;
  /** Cash, equity, P&L, the kill switch and the risk limits. */
  account(): Promise<Account>;
  /**
   * Place an order. Refusals reject with `invalid_field` (field: the input at fault)
   * or `risk_rejected` (field: the risk check that refused, e.g. `kill_switch`).
   */
  placeOrder(request: OrderRequest): Promise<Order>;
  /** Newest first; the server's default limit is 100. */
  listOrders(limit?: number): Promise<Order[]>;
  cancelOrder(id: string): Promise<Order>;
  cancelAllOrders(): Promise<CancelledOrders>;
  /** Newest first. */
  listFills(limit?: number): Promise<Fill[]>;
  listPositions(): Promise<Position[]>;
  setKillSwitch(engaged: boolean): Promise<Account>;
  setRiskLimits(limits: RiskLimits): Promise<Account>;
  /** Newest first; `before` pages back from a sequence number. */
  auditEntries(before?: number | null, limit?: number): Promise<AuditEntry[]>;
  /** Walk the hash chain of the audit trail. */
  verifyAudit(): Promise<AuditVerification>;
  marketQuotes(): Promise<QuoteView[]>;
  /** The bars played so far for a symbol, oldest first. */
  marketBars(symbol: string): Promise<BarView[]>;
  listReplays(): Promise<ReplayStatus[]>;
  /** Play CSV bars as market data for a symbol (restarts a running replay). */
  startReplay(request: ReplayRequest): Promise<ReplayStatus>;
  /**
   * Live bars for a symbol from the selected broker, into the same chart and quotes
   * as a replay (stopped with `stopReplay`). Rejects naming `symbol` when the broker
   * is paper or does not trade the symbol.
   */
  startFeed(request: FeedRequest): Promise<ReplayStatus>;
  /** Stops a replay or a live feed; rejects with `not_found` when none is running for the symbol. */
  stopReplay(symbol: string): Promise<void>;
  backtestStrategies(): Promise<StrategyInfo[]>;
  /** Errors name the field at fault: csv, strategy, params, cash or commission. */
  runBacktest(request: BacktestRequest): Promise<BacktestReport>;
  /**
   * Run a strategy live on a symbol's market data (a CSV replay or live broker bars): it is
   * re-evaluated on each new bar and places market orders (source `strategy`) through the
   * normal risk checks. Refusals name the field: symbol, strategy, params or qty.
   */
  startStrategyRun(request: StartStrategyRun): Promise<StrategyRun>;
  listStrategyRuns(): Promise<StrategyRun[]>;
  /** Rejects with `not_found` when no strategy runs on the symbol. */
  stopStrategyRun(symbol: string): Promise<void>;
  /**
   * Act on a spoken (or typed) command: queries are answered, trades wait
   * for `voiceConfirm` (or a spoken "confirm"), anything else says what to do.
   */
  voiceCommand(text: string): Promise<VoiceOutcome>;
  /** Carry out a command waiting for confirmation; rejects naming `id` when none is. */
  voiceConfirm(id: string): Promise<VoiceOutcome>;

  // ---- push-to-talk, voice settings and speech models ----
  /** Listening state, microphone, model (and whether it is installed), hotkey and the last capture error. */
  voiceStatus(): Promise<ListenStatus>;
  /** Key down: open the microphone (trigger "ui"). Rejects while already listening or when capture cannot start. */
  listenStart(): Promise<ListenStatus>;
  /**
   * Key up: transcribe what was heard and act on it (a trade waits for `voiceConfirm`).
   * Rejects naming `state` when not listening.
   */
  listenStop(): Promise<VoiceRun>;
  /** Start when idle, stop when listening (trigger "ui"). */
  listenToggle(): Promise<ListenStatus>;
  /** Voice commands heard, newest first. */
  voiceHistory(): Promise<VoiceRun[]>;
  /** Input device names; rejects with `not_supported` on a machine without sound. */
  voiceDevices(): Promise<string[]>;
  getVoiceSettings(): Promise<VoiceSettings>;
  /** Refusals name the field: hotkey, mode, device or model. */
  setVoiceSettings(settings: VoiceSettings): Promise<VoiceSettings>;
  /** The whisper models known (downloadable or imported), with which is installed and active. */
  listSpeechModels(): Promise<SpeechModel[]>;
  /**
   * Start downloading a model; answers at once. Progress arrives as
   * `voice_model_progress` events, the last with `done: true` (and `error` when it failed).
   */
  downloadSpeechModel(name: string): Promise<SpeechModel>;
  /** Copy a whisper `.bin` file into the models folder; refusals name `path`. */
  importSpeechModel(path: string): Promise<SpeechModel>;
  /** Listen to backend events; returns the unsubscribe function. */
  subscribe(onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void): () => void;
}
