import { useId, useState } from "react";
import type { FormEvent } from "react";
import { checkToken } from "../backend/http";
import { toBackendError } from "../backend/errors";

interface Props {
  onSignedIn(token: string): void;
  /** Shown above the form, e.g. when a session ended. */
  notice?: string | null;
  /** How to check a token; defaults to GET /api/v1/health with it. */
  check?: (token: string) => Promise<unknown>;
}

export function SignIn({ onSignedIn, notice, check = checkToken }: Props) {
  const uid = useId();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const t = token.trim();
    if (t === "") {
      setError("Paste your owner access token.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await check(t);
      onSignedIn(t);
    } catch (err) {
      const be = toBackendError(err);
      setError(be.code === "unauthorized" || be.code === "http_401" ? "That token was not accepted." : be.message);
      setChecking(false);
    }
  };

  return (
    <main className="signin">
      <form className="panel signin-panel" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby={`${uid}-title`}>
        <h1 id={`${uid}-title`}>Sign in to Jarvis</h1>
        {notice && (
          <p className="notice notice-info" role="status">
            {notice}
          </p>
        )}
        <p data-testid="login-help">
          Run <code>jarvisd token</code> on this machine to print your owner access token.
        </p>
        <div className="field">
          <label htmlFor={`${uid}-token`}>Owner access token</label>
          <input
            id={`${uid}-token`}
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            autoFocus
            data-testid="login-token"
            value={token}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${uid}-error` : undefined}
            onChange={(e) => setToken(e.target.value)}
          />
          {error && (
            <p className="field-error" id={`${uid}-error`} role="alert" data-testid="login-error">
              {error}
            </p>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="login-submit" disabled={checking}>
            {checking ? "Checking…" : "Sign in"}
          </button>
        </div>
      </form>
    </main>
  );
}
