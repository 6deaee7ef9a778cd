import { useEffect, useRef, useState } from "react";
import type { ComponentType } from "react";
import { BackendContext } from "./backend/context";
import type { Backend } from "./backend/types";
import { SEARCH_INPUT_ID } from "./chat/SearchPanel";
import { AppDataProvider, useAppData } from "./data/AppData";
import { ChatDataProvider } from "./data/ChatData";
import { ROUTE_TITLES, ROUTES, routeHref, useHashRoute } from "./hooks/useHashRoute";
import type { Route } from "./hooks/useHashRoute";
import { Chat } from "./screens/Chat";
import { Dashboard } from "./screens/Dashboard";
import { Voice } from "./screens/Voice";
import { Settings } from "./screens/Settings";
import { Trading } from "./screens/Trading";

const SCREENS: Record<Route, ComponentType> = {
  dashboard: Dashboard,
  chat: Chat,
  trading: Trading,
  voice: Voice,
  settings: Settings,
};

const ICONS: Record<Route, string> = {
  dashboard: "M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z",
  chat: "M4 4h16v12H7l-3 3V4z",
  trading: "M3 17l6-6 4 4 8-8M15 7h6v6",
  voice: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3",
  settings: "M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M14 4v4M8 10v4M16 16v4",
};

/** Ctrl+1…5 → the n-th screen; returns null for any other key. */
export function shortcutRoute(e: Pick<KeyboardEvent, "ctrlKey" | "altKey" | "shiftKey" | "metaKey" | "key" | "code">): Route | null {
  if (!e.ctrlKey || e.altKey || e.shiftKey || e.metaKey) return null;
  const m = /^Digit([1-9])$/.exec(e.code) ?? /^([1-9])$/.exec(e.key);
  if (!m) return null;
  return ROUTES[Number(m[1]) - 1] ?? null;
}

/** Ctrl+K (⌘K on a Mac) → search the conversations. */
export function isSearchShortcut(e: Pick<KeyboardEvent, "ctrlKey" | "altKey" | "shiftKey" | "metaKey" | "key" | "code">): boolean {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return false;
  return e.code === "KeyK" || e.key.toLowerCase() === "k";
}

function StatusLine() {
  const { stream } = useAppData();
  if (stream !== "closed") return null;
  return (
    <div className="status-line" role="status" data-testid="status-line">
      <span className="dot dot-warn" aria-hidden="true" /> Live updates disconnected — reconnecting…
    </div>
  );
}

function Layout({ onSignOut, transport }: { onSignOut?: () => void; transport: Backend["transport"] }) {
  const [route, navigate] = useHashRoute();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // Ctrl+K: set when asked, cleared once the search box has focus (after the Chat screen is up).
  const searchPending = useRef(false);
  const [searchAsk, setSearchAsk] = useState(0);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isSearchShortcut(e)) {
        e.preventDefault();
        searchPending.current = true;
        setSearchAsk((n) => n + 1);
        navigate("chat");
        return;
      }
      const r = shortcutRoute(e);
      if (r) {
        e.preventDefault();
        navigate(r);
      }
    };
    // capture phase, so it also works while an input has focus
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [navigate]);

  useEffect(() => {
    document.title = `${ROUTE_TITLES[route]} · Jarvis`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // Move focus to the new screen's heading, for keyboard and screen-reader users.
    mainRef.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [route]);

  // After the heading focus above, so that Ctrl+K wins when it switched screens.
  useEffect(() => {
    if (!searchPending.current || route !== "chat") return;
    const input = document.getElementById(SEARCH_INPUT_ID);
    if (!(input instanceof HTMLInputElement)) return;
    searchPending.current = false;
    input.focus();
    input.select();
  }, [route, searchAsk]);

  const Screen = SCREENS[route];
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.querySelector<HTMLElement>("h1")?.focus(); }}>
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">J</span>
          <span>Jarvis</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {ROUTES.map((r, i) => (
              <li key={r}>
                <a
                  href={routeHref(r)}
                  data-testid={`nav-${r}`}
                  aria-current={r === route ? "page" : undefined}
                  aria-keyshortcuts={`Control+${i + 1}`}
                  title={`${ROUTE_TITLES[r]} (Ctrl+${i + 1})`}
                >
                  <svg viewBox="0 0 24 24" aria-hidden="true" className="nav-icon">
                    <path d={ICONS[r]} />
                  </svg>
                  <span>{ROUTE_TITLES[r]}</span>
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-footer">
          {onSignOut && transport === "http" && (
            <button type="button" className="signout" onClick={onSignOut} data-testid="sign-out">
              Sign out
            </button>
          )}
        </div>
      </aside>
      <div className="content">
        <StatusLine />
        <main id="main" ref={mainRef} className="screen" data-screen={route}>
          <Screen />
        </main>
      </div>
    </div>
  );
}

export function Shell({ backend, onSignOut }: { backend: Backend; onSignOut?: () => void }) {
  return (
    <BackendContext.Provider value={backend}>
      <AppDataProvider backend={backend}>
        <ChatDataProvider backend={backend}>
          <Layout onSignOut={onSignOut} transport={backend.transport} />
        </ChatDataProvider>
      </AppDataProvider>
    </BackendContext.Provider>
  );
}
