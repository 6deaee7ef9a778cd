import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
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
import { toBackendError } from "./errors";
import { parseEvent } from "./events";
import type { Backend, CancelledOrders, StreamState } from "./types";

export const EVENT_NAME = "jarvis:event";

/** True inside a Tauri v2 webview. */
export function isTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

export function createTauriBackend(): Backend {
  function subscribe(onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void): () => void {
    let stopped = false;
    let unlisten: (() => void) | null = null;
    onState?.("connecting");
    listen<unknown>(EVENT_NAME, (e) => {
      const ev = parseEvent(e.payload);
      if (ev) onEvent(ev);
    }).then(
      (fn) => {
        if (stopped) fn();
        else {
          unlisten = fn;
          onState?.("open");
        }
      },
      () => {
        if (!stopped) onState?.("closed");
      },
    );
    return () => {
      stopped = true;
      unlisten?.();
      unlisten = null;
    };
  }

  return {
    transport: "tauri",
    health: () => call<Health>("health"),
    listProviders: () => call<Provider[]>("list_providers"),
    addProvider: (provider: NewProvider) => call<Provider>("add_provider", { provider }),
    updateProvider: (id: string, patch: ProviderPatch) => call<Provider>("update_provider", { id, patch }),
    removeProvider: (id: string) => call<void>("remove_provider", { id }),
    detectLocalServers: () => call<DetectedServer[]>("detect_local_servers"),
    providerModels: (id: string) => call<string[]>("provider_models", { id }),
    getServer: () => call<ServerView>("get_server"),
    setServer: (settings: ServerSettings) => call<ServerView>("set_server", { settings }),
    listConversations: () => call<Conversation[]>("list_conversations"),
    createConversation: (conversation: NewConversation) => call<Conversation>("create_conversation", { conversation }),
    updateConversation: (id: string, patch: ConversationPatch) => call<Conversation>("update_conversation", { id, patch }),
    deleteConversation: (id: string) => call<void>("delete_conversation", { id }),
    listMessages: (id: string) => call<Message[]>("list_messages", { id }),
    sendMessage: (message: SendMessage) => call<SendReceipt>("send_message", { message }),
    stopMessage: (messageId: string) => call<void>("stop_message", { messageId }),
    regenerate: (request: Regenerate) => call<SendReceipt>("regenerate_message", { request }),
    providerCircuits: () => call<ProviderCircuit[]>("provider_circuits"),
    // Tauri turns a missing `limit` into None on the Rust side.
    search: (q: string, limit?: number) => call<SearchHit[]>("search_messages", limit === undefined ? { q } : { q, limit }),
    listFacts: () => call<Fact[]>("list_facts"),
    addFact: (text: string) => call<Fact>("add_fact", { text }),
    deleteFact: (id: string) => call<void>("delete_fact", { id }),
    listApiKeys: () => call<ApiKey[]>("list_api_keys"),
    createApiKey: (request: NewApiKey) => call<CreatedApiKey>("create_api_key", { request }),
    revokeApiKey: (id: string) => call<void>("revoke_api_key", { id }),
    importConversations: (text: string) => call<ImportReport>("import_conversations", { text }),
    exportConversations: () => call<unknown>("export_conversations"),
    getBroker: () => call<BrokerSettings>("get_broker"),
    setBroker: (update: BrokerUpdate) => call<BrokerSettings>("set_broker", { update }),
    account: () => call<Account>("trading_account"),
    placeOrder: (request: OrderRequest) => call<Order>("place_order", { request }),
    // `null` becomes None on the Rust side: the server's default applies.
    listOrders: (limit?: number) => call<Order[]>("list_orders", { limit: limit ?? null }),
    cancelOrder: (id: string) => call<Order>("cancel_order", { id }),
    cancelAllOrders: () => call<CancelledOrders>("cancel_all_orders"),
    listFills: (limit?: number) => call<Fill[]>("list_fills", { limit: limit ?? null }),
    listPositions: () => call<Position[]>("list_positions"),
    setKillSwitch: (engaged: boolean) => call<Account>("set_kill_switch", { engaged }),
    setRiskLimits: (limits: RiskLimits) => call<Account>("set_risk_limits", { limits }),
    auditEntries: (before?: number | null, limit?: number) =>
      call<AuditEntry[]>("audit_entries", { before: before ?? null, limit: limit ?? null }),
    verifyAudit: () => call<AuditVerification>("verify_audit"),
    marketQuotes: () => call<QuoteView[]>("market_quotes"),
    marketBars: (symbol: string) => call<BarView[]>("market_bars", { symbol }),
    listReplays: () => call<ReplayStatus[]>("list_replays"),
    startReplay: (request: ReplayRequest) => call<ReplayStatus>("start_replay", { request }),
    startFeed: (request: FeedRequest) => call<ReplayStatus>("start_feed", { request }),
    stopReplay: (symbol: string) => call<void>("stop_replay", { symbol }),
    backtestStrategies: () => call<StrategyInfo[]>("backtest_strategies"),
    runBacktest: (request: BacktestRequest) => call<BacktestReport>("run_backtest", { request }),
    startStrategyRun: (request: StartStrategyRun) => call<StrategyRun>("start_strategy_run", { request }),
    listStrategyRuns: () => call<StrategyRun[]>("list_strategy_runs"),
    stopStrategyRun: (symbol: string) => call<void>("stop_strategy_run", { symbol }),
    voiceCommand: (text: string) => call<VoiceOutcome>("voice_command", { command: { text } }),
    voiceConfirm: (id: string) => call<VoiceOutcome>("voice_confirm", { id }),
    voiceStatus: () => call<ListenStatus>("voice_status"),
    // The desktop commands always report the trigger "ui".
    listenStart: () => call<ListenStatus>("listen_start"),
    listenStop: () => call<VoiceRun>("listen_stop"),
    listenToggle: () => call<ListenStatus>("listen_toggle"),
    voiceHistory: () => call<VoiceRun[]>("voice_history"),
    voiceDevices: () => call<string[]>("voice_devices"),
    getVoiceSettings: () => call<VoiceSettings>("get_voice_settings"),
    setVoiceSettings: (settings: VoiceSettings) => call<VoiceSettings>("set_voice_settings", { settings }),
    listSpeechModels: () => call<SpeechModel[]>("list_speech_models"),
    downloadSpeechModel: (name: string) => call<SpeechModel>("download_speech_model", { name }),
    importSpeechModel: (path: string) => call<SpeechModel>("import_speech_model", { path }),
    subscribe,
  };
}
