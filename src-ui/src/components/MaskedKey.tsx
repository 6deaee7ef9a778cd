import type { Provider } from "../bindings/Provider";

export const MASK = "••••";

/** Text shown for a stored key: the mask plus the server's hint, never anything else. */
export function maskedKeyText(p: Pick<Provider, "has_key" | "key_hint">): string {
  if (!p.has_key) return "no key";
  return `${MASK}${p.key_hint ?? ""}`;
}

export function MaskedKey({ provider, testId = "provider-key" }: { provider: Pick<Provider, "has_key" | "key_hint">; testId?: string }) {
  return (
    <span
      className={provider.has_key ? "masked-key" : "masked-key masked-key-none"}
      data-testid={testId}
      title={provider.has_key ? "Stored key (only its last characters are shown)" : "No API key stored"}
    >
      {maskedKeyText(provider)}
    </span>
  );
}
