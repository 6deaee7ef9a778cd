import { useState } from "react";
import type { Health } from "../bindings/Health";
import type { ServerStatus } from "../bindings/ServerStatus";
import { StatusDot } from "../components/StatusDot";
import { Loading, Notice } from "../components/Notice";
import { useAppData } from "../data/AppData";
import { routeHref } from "../hooks/useHashRoute";
import { MANAGER_LABELS, SECRET_BACKEND_LABELS } from "../labels";

export function NoProviderYet() {
  return (
    <p className="empty" data-testid="no-provider">
      No AI provider yet: <a href={routeHref("settings")}>add one in Settings</a>
    </p>
  );
}

function ServerState({ status }: { status: ServerStatus }) {
  return (
    <>
      <p>
        <StatusDot status={status.error ? "error" : status.running ? "ok" : "muted"} label={status.running ? "on" : "off"} />
      </p>
      {status.running && status.url && (
        <p>
          URL:{" "}
          <a href={status.url} target="_blank" rel="noreferrer" data-testid="server-url">
            {status.url}
          </a>
        </p>
      )}
      <p className="muted">Managed by {MANAGER_LABELS[status.managed_by] ?? status.managed_by}</p>
      {status.error && (
        <p className="error-text" role="alert">
          Could not start: {status.error}
        </p>
      )}
    </>
  );
}

function Cards({ health }: { health: Health }) {
  const { database: db, keychain: kc, providers: pv, search, server } = health;
  return (
    <div className="cards">
      <section className="card" aria-labelledby="card-db" data-testid="card-database">
        <h2 id="card-db">Database</h2>
        <p>
          <StatusDot status={db.status} />
        </p>
        <p>
          Schema version {db.schema_version} of {db.latest_schema_version}
        </p>
        {db.path && (
          <p className="mono small" title="Database file">
            {db.path}
          </p>
        )}
        {db.message && <p className={db.status === "error" ? "error-text" : "muted"}>{db.message}</p>}
        <p data-testid="search-state">
          Search index: <StatusDot status={search.status} label={search.status === "ok" ? "up to date" : undefined} />
        </p>
        {search.message && (
          <p className={search.status === "error" ? "error-text" : "muted"} data-testid="search-message">
            {search.message}
          </p>
        )}
      </section>

      <section className="card" aria-labelledby="card-kc" data-testid="card-keychain">
        <h2 id="card-kc">Keychain</h2>
        <p>
          <StatusDot status={kc.status} />
        </p>
        <p>{SECRET_BACKEND_LABELS[kc.backend] ?? kc.backend}</p>
        <p className="muted">{kc.read_only ? "Read-only: keys can't be saved from Jarvis" : "Read and write"}</p>
        {kc.message && <p className={kc.status === "error" ? "error-text" : "muted"}>{kc.message}</p>}
      </section>

      <section className="card" aria-labelledby="card-pv" data-testid="card-providers">
        <h2 id="card-pv">AI providers</h2>
        <p>
          <StatusDot status={pv.status} />
        </p>
        {pv.count === 0 ? (
          <NoProviderYet />
        ) : (
          <p>
            {pv.count} configured · <a href={routeHref("settings")}>manage</a>
          </p>
        )}
        {pv.circuits
          .filter((c) => c.state !== "closed")
          .map((c) => (
            <p key={c.provider_id} className="muted" data-testid="paused-provider">
              {c.name}: paused after repeated failures ({c.state === "open" ? "open" : "half-open, trying again"})
            </p>
          ))}
      </section>

      <section className="card" aria-labelledby="card-srv" data-testid="card-server">
        <h2 id="card-srv">Local server</h2>
        <ServerState status={server} />
      </section>
    </div>
  );
}

export function Dashboard() {
  const { health, refreshHealth } = useAppData();
  const [refreshing, setRefreshing] = useState(false);

  const onRefresh = async () => {
    setRefreshing(true);
    try {
      await refreshHealth();
    } finally {
      setRefreshing(false);
    }
  };

  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Dashboard</h1>
        <button type="button" onClick={() => void onRefresh()} disabled={refreshing} data-testid="dashboard-refresh">
          {refreshing ? "Refreshing…" : "Refresh"}
        </button>
      </header>
      {health.data && (
        <p className="muted small" data-testid="overall-status">
          Jarvis {health.data.version} ·{" "}
          <StatusDot status={health.data.status === "ok" ? "ok" : "warn"} label={health.data.status} />
        </p>
      )}
      {health.error && (
        <Notice tone="error" testId="dashboard-error">
          Could not load the health report: {health.error}
        </Notice>
      )}
      {health.loading && <Loading what="health report" />}
      {health.data && <Cards health={health.data} />}
    </>
  );
}
