import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { NewProvider } from "../bindings/NewProvider";
import type { Provider } from "../bindings/Provider";
import type { ProviderPatch } from "../bindings/ProviderPatch";
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
  getServer(): Promise<ServerView>;
  setServer(settings: ServerSettings): Promise<ServerView>;
  /** Listen to backend events; returns the unsubscribe function. */
  subscribe(onEvent: (e: JarvisEvent) => void, onState?: (s: StreamState) => void): () => void;
}
