import type { ComponentStatus } from "./bindings/ComponentStatus";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { SecretBackend } from "./bindings/SecretBackend";
import type { ServerManager } from "./bindings/ServerManager";

export const PROVIDER_KINDS: readonly ProviderKind[] = ["openai", "anthropic", "gemini", "local"];

export const KIND_LABELS: Record<ProviderKind, string> = {
  openai: "OpenAI-compatible",
  anthropic: "Anthropic",
  gemini: "Gemini",
  local: "Built-in (GGUF file)",
};

export const DEFAULT_BASE_URLS: Record<ProviderKind, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  gemini: "https://generativelanguage.googleapis.com",
  // The built-in engine reads a model file: its absolute path goes here.
  local: "",
};

export const SECRET_BACKEND_LABELS: Record<SecretBackend, string> = {
  os_keychain: "OS keychain",
  env: "Environment variables",
  files: "Secret files",
};

export const STATUS_LABELS: Record<ComponentStatus, string> = {
  ok: "ok",
  error: "error",
  not_configured: "not configured",
};

export const MANAGER_LABELS: Record<ServerManager, string> = {
  desktop: "the Jarvis desktop app",
  jarvisd: "jarvisd",
};

export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? kind;
}
