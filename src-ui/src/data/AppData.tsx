import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Event as JarvisEvent } from "../bindings/Event";
import type { Health } from "../bindings/Health";
import type { Provider } from "../bindings/Provider";
import type { ServerStatus } from "../bindings/ServerStatus";
import type { ServerView } from "../bindings/ServerView";
import { errorMessage } from "../backend/errors";
import type { Backend, StreamState } from "../backend/types";

export interface Resource<T> {
  data: T | null;
  error: string | null;
  /** True until the first answer (data or error) arrives. */
  loading: boolean;
}

export interface AppData {
  health: Resource<Health>;
  providers: Resource<Provider[]>;
  server: Resource<ServerView>;
  stream: StreamState;
  /** Counts reconnections of the event stream after a drop: events may have been missed. */
  resyncs: number;
  /** Receive every backend event (one stream shared by the whole app); returns the unsubscribe function. */
  listen(fn: (e: JarvisEvent) => void): () => void;
  refreshHealth(): Promise<void>;
  refreshProviders(): Promise<void>;
  refreshServer(): Promise<void>;
  refreshAll(): Promise<void>;
  /** Apply a ServerView returned by a mutation. */
  setServerView(view: ServerView): void;
}

const initial = <T,>(): Resource<T> => ({ data: null, error: null, loading: true });

const AppDataContext = createContext<AppData | null>(null);

/** A loader that ignores answers older than the newest request. */
export function useLoader<T>(load: () => Promise<T>) {
  const [state, setState] = useState<Resource<T>>(initial);
  const seq = useRef(0);
  const refresh = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const data = await load();
      if (mine === seq.current) setState({ data, error: null, loading: false });
    } catch (e) {
      if (mine === seq.current) setState((prev) => ({ data: prev.data, error: errorMessage(e), loading: false }));
    }
  }, [load]);
  /** Replace the data directly (newer than any request in flight). */
  const put = useCallback((update: (prev: T | null) => T | null) => {
    seq.current++;
    setState((prev) => ({ data: update(prev.data), error: null, loading: false }));
  }, []);
  return [state, refresh, put] as const;
}

/** Owns the app's live state: fetches it and keeps it in step with backend events. */
export function AppDataProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  const loadHealth = useCallback(() => backend.health(), [backend]);
  const loadProviders = useCallback(() => backend.listProviders(), [backend]);
  const loadServer = useCallback(() => backend.getServer(), [backend]);
  const [health, refreshHealth, putHealth] = useLoader(loadHealth);
  const [providers, refreshProviders] = useLoader(loadProviders);
  const [server, refreshServer, putServer] = useLoader(loadServer);
  const [stream, setStream] = useState<StreamState>("connecting");
  const [resyncs, setResyncs] = useState(0);
  const listeners = useRef(new Set<(e: JarvisEvent) => void>());

  const listen = useCallback((fn: (e: JarvisEvent) => void) => {
    const set = listeners.current;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }, []);

  const refreshAll = useCallback(async () => {
    await Promise.all([refreshHealth(), refreshProviders(), refreshServer()]);
  }, [refreshHealth, refreshProviders, refreshServer]);

  const applyServerStatus = useCallback(
    (status: ServerStatus) => {
      putServer((prev) => (prev ? { ...prev, status } : prev));
      putHealth((prev) => (prev ? { ...prev, server: status } : prev));
    },
    [putServer, putHealth],
  );

  const setServerView = useCallback(
    (view: ServerView) => {
      putServer(() => view);
      putHealth((prev) => (prev ? { ...prev, server: view.status } : prev));
    },
    [putServer, putHealth],
  );

  useEffect(() => {
    void refreshAll();
  }, [refreshAll]);

  useEffect(() => {
    let wasOpen = false;
    let dropped = false;
    const unsubscribe = backend.subscribe(
      (ev) => {
        if (ev.type === "providers_changed") {
          void refreshProviders();
          void refreshHealth();
        } else if (ev.type === "server_changed") {
          applyServerStatus(ev.status);
          // The settings may have changed too (another window saved them).
          void refreshServer();
        }
        listeners.current.forEach((fn) => fn(ev));
      },
      (s) => {
        setStream(s);
        if (s === "open") {
          // Events may have been missed while the stream was down: catch up.
          if (dropped) {
            void refreshAll();
            setResyncs((n) => n + 1);
          }
          wasOpen = true;
          dropped = false;
        } else if (s === "closed" && wasOpen) {
          dropped = true;
        }
      },
    );
    return unsubscribe;
  }, [backend, refreshProviders, refreshHealth, refreshServer, refreshAll, applyServerStatus]);

  const value = useMemo<AppData>(
    () => ({
      health,
      providers,
      server,
      stream,
      resyncs,
      listen,
      refreshHealth,
      refreshProviders,
      refreshServer,
      refreshAll,
      setServerView,
    }),
    [health, providers, server, stream, resyncs, listen, refreshHealth, refreshProviders, refreshServer, refreshAll, setServerView],
  );
  return <AppDataContext.Provider value={value}>{children}</AppDataContext.Provider>;
}

export function useAppData(): AppData {
  const v = useContext(AppDataContext);
  if (!v) throw new Error("useAppData must be used inside <AppDataProvider>");
  return v;
}
