import { Loading, Notice } from "../components/Notice";
import { useAppData } from "../data/AppData";
import { kindLabel } from "../labels";
import { NoProviderYet } from "./Dashboard";

export function Chat() {
  const { providers } = useAppData();
  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Chat</h1>
      </header>
      {providers.error && <Notice tone="error">Could not load your AI providers: {providers.error}</Notice>}
      {providers.loading && <Loading what="AI providers" />}
      {providers.data && providers.data.length === 0 && <NoProviderYet />}
      {providers.data && providers.data.length > 0 && (
        <>
          <p className="lead" data-testid="chat-not-built">
            Chatting is not built yet — it arrives with the chat issue. Your providers are saved and ready.
          </p>
          <ul className="plain-list" aria-label="Configured AI providers">
            {providers.data.map((p) => (
              <li key={p.id} className="list-item" data-testid="chat-provider">
                <strong>{p.name}</strong>
                <span className="muted"> · {kindLabel(p.kind)} · </span>
                <span className="mono">{p.model}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
