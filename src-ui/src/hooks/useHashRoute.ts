import { useCallback, useSyncExternalStore } from "react";

export const ROUTES = ["dashboard", "chat", "trading", "voice", "settings"] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_TITLES: Record<Route, string> = {
  dashboard: "Dashboard",
  chat: "Chat",
  trading: "Trading",
  voice: "Voice",
  settings: "Settings",
};

/** `#/chat` → "chat"; anything unknown → "dashboard". */
export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, "").split(/[/?]/)[0] ?? "";
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : "dashboard";
}

export function routeHref(route: Route): string {
  return `#/${route}`;
}

function subscribe(cb: () => void) {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

const getHash = () => window.location.hash;

export function useHashRoute(): [Route, (r: Route) => void] {
  const hash = useSyncExternalStore(subscribe, getHash, () => "");
  const navigate = useCallback((r: Route) => {
    const target = routeHref(r);
    if (window.location.hash !== target) window.location.hash = target;
  }, []);
  return [parseRoute(hash), navigate];
}
