import { useEffect, useState } from "react";
import type { KeyboardEvent } from "react";
import type { SearchHit } from "../bindings/SearchHit";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import { Notice } from "../components/Notice";
import { useChatData } from "../data/ChatData";
import { UNTITLED } from "./ConversationList";
import { Icon } from "./Icon";
import { Snippet } from "./Snippet";

export const SEARCH_INPUT_ID = "chat-search-input";
export const SEARCH_DEBOUNCE_MS = 150;
export const SEARCH_LIMIT = 20;

interface SearchResult {
  q: string;
  hits: SearchHit[] | null;
  error: string | null;
}

/** Debounced search; `loading` while the answer for the current query is pending. */
function useSearch(query: string) {
  const backend = useBackend();
  const [result, setResult] = useState<SearchResult | null>(null);
  const q = query.trim();

  useEffect(() => {
    if (q === "") return;
    let cancelled = false;
    const timer = setTimeout(() => {
      backend.search(q, SEARCH_LIMIT).then(
        (hits) => {
          if (!cancelled) setResult({ q, hits, error: null });
        },
        (e: unknown) => {
          if (!cancelled) setResult({ q, hits: null, error: errorMessage(e) });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [backend, q]);

  const current = result && result.q === q ? result : null;
  return { q, hits: current?.hits ?? null, error: current?.error ?? null, loading: q !== "" && current === null };
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** Move focus between the hits with the arrow keys. */
function onHitsKeyDown(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const buttons = Array.from(e.currentTarget.querySelectorAll<HTMLButtonElement>("[data-testid=search-hit]"));
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = e.key === "ArrowDown" ? at + 1 : at - 1;
  e.preventDefault();
  if (next < 0) document.getElementById(SEARCH_INPUT_ID)?.focus();
  else buttons[Math.min(next, buttons.length - 1)]?.focus();
}

/** The search box; while it holds a query, the hits replace the conversation list. */
export function SearchBox({ query, onQuery }: { query: string; onQuery(q: string): void }) {
  return (
    <div className="search-box" role="search">
      <Icon name="search" />
      <label htmlFor={SEARCH_INPUT_ID} className="visually-hidden">
        Search messages
      </label>
      <input
        id={SEARCH_INPUT_ID}
        type="search"
        data-testid="search-input"
        placeholder="Search messages (Ctrl+K)"
        aria-keyshortcuts="Control+K"
        autoComplete="off"
        spellCheck={false}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape" && query !== "") {
            e.preventDefault();
            onQuery("");
          } else if (e.key === "ArrowDown") {
            const first = document.querySelector<HTMLButtonElement>("[data-testid=search-hit]");
            if (first) {
              e.preventDefault();
              first.focus();
            }
          }
        }}
      />
      {query !== "" && (
        <button type="button" className="icon-button" aria-label="Clear the search" title="Clear (Esc)" onClick={() => onQuery("")}>
          <Icon name="close" />
        </button>
      )}
    </div>
  );
}

export function SearchResults({ query }: { query: string }) {
  const { openMessage } = useChatData();
  const { q, hits, error, loading } = useSearch(query);
  return (
    <section className="search-results" aria-label={`Search results for ${q}`} aria-busy={loading} data-testid="search-results">
      {loading && (
        <p className="loading small" role="status">
          Searching…
        </p>
      )}
      {error && (
        <Notice tone="error" testId="search-error">
          Search failed: {error}
        </Notice>
      )}
      {hits && hits.length === 0 && (
        <p className="empty small" role="status" data-testid="search-empty">
          No messages match “{q}”.
        </p>
      )}
      {hits && hits.length > 0 && (
        <>
          <p className="visually-hidden" role="status">
            {hits.length === 1 ? "1 match" : `${hits.length} matches`}
          </p>
          <ul className="search-hits" onKeyDown={onHitsKeyDown}>
            {hits.map((h) => (
              <li key={`${h.conversation_id}/${h.message_id}`}>
                <button type="button" className="search-hit" data-testid="search-hit" onClick={() => openMessage(h.conversation_id, h.message_id)}>
                  <span className="search-hit-head">
                    <span className="search-hit-title">{h.conversation_title.trim() === "" ? UNTITLED : h.conversation_title}</span>
                    <span className="search-hit-when muted">{formatWhen(h.created_at)}</span>
                  </span>
                  <span className="search-hit-snippet" data-testid="search-hit-snippet">
                    <span className="search-hit-role">{h.role === "user" ? "You: " : h.role === "assistant" ? "Jarvis: " : ""}</span>
                    <Snippet parts={h.snippet} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
