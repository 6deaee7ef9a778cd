export const TOKEN_KEY = "jarvis.token";

export function loadToken(): string | null {
  try {
    const t = window.sessionStorage.getItem(TOKEN_KEY);
    return t && t.trim() !== "" ? t : null;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage unavailable (private mode): the session lasts until reload
  }
}

export function clearToken(): void {
  try {
    window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // ignore
  }
}
