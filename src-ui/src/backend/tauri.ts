import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { NewProvider } from "../bindings/NewProvider";
import type { Provider } from "../bindings/Provider";
import type { ProviderPatch } from "../bindings/ProviderPatch";
import type { ServerSettings } from "../bindings/ServerSettings";
import type { ServerView } from "../bindings/ServerView";
import { toBackendError } from "./errors";
import { parseEvent } from "./events";
import type { Backend, StreamState } from "./types";

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
    getServer: () => call<ServerView>("get_server"),
    setServer: (settings: ServerSettings) => call<ServerView>("set_server", { settings }),
    subscribe,
  };
}
