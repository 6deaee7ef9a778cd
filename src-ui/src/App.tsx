import { useCallback, useMemo, useState } from "react";
import { createHttpBackend } from "./backend/http";
import { createTauriBackend, isTauri } from "./backend/tauri";
import { clearToken, loadToken, saveToken } from "./backend/token";
import { SignIn } from "./screens/SignIn";
import { Shell } from "./Shell";

const SESSION_ENDED = "Your session ended: the server no longer accepts that token. Sign in again.";

/** In a browser: sign in with the owner token, then talk to jarvisd over HTTP. */
export function BrowserApp() {
  const [token, setToken] = useState<string | null>(loadToken);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((message: string | null) => {
    clearToken();
    setNotice(message);
    setToken(null);
  }, []);

  const backend = useMemo(
    () => (token ? createHttpBackend({ token, onUnauthorized: () => signOut(SESSION_ENDED) }) : null),
    [token, signOut],
  );

  if (!backend) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }
  return <Shell key={token} backend={backend} onSignOut={() => signOut(null)} />;
}

function TauriApp() {
  const [backend] = useState(createTauriBackend);
  return <Shell backend={backend} />;
}

export function App() {
  return isTauri() ? <TauriApp /> : <BrowserApp />;
}
